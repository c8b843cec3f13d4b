/*
 * gql_verdicts: the C engine's verdict on GraphQL documents, for the
 * differential test against graphql-js (tests/contract/graphql_diff.sh).
 *
 *   gql_verdicts SCHEMA.graphql DOC.graphql...
 *
 * prints one JSON line per document: {"file": ..., "errors": [{"message":
 * ..., "locations": [[line, column], ...]}]} (an empty list: valid). A
 * syntax error stops at the parser, as graphql-js' parse() does.
 *
 *   gql_verdicts --exec SCHEMA DOC [VARIABLES.json [ANSWERS.json]]
 *
 * executes the document's only operation and prints the response; the
 * upstream requests it makes are answered from ANSWERS.json, an object
 * {"METHOD /path?query": {"status": 200, "body": ...}} (missing: 404), and
 * listed on stderr.
 * Exit status: 0, or 2 when the schema or a file cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gateway/src/graphql/gql_exec.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static void
json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static int
run_exec(struct gql_schema *schema, int argc, char **argv)
{
	struct gql_exec_opts eo = {1, 0, 0, 0, "test"};
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs = {a, NULL, NULL, 0, 0};
	struct gql_document *doc;
	struct gql_fetch **fs;
	struct gql_exec *x;
	json_t *vars = NULL, *answers = NULL, *r, *ans;
	char *src, key[2048];
	size_t len;
	int n, i;

	if (argc < 4 || (src = slurp(argv[3], &len)) == NULL)
		return 2;
	if (argc > 4)
		vars = json_load_file(argv[4], 0, NULL);
	if (argc > 5)
		answers = json_load_file(argv[5], 0, NULL);
	if (gql_parse(a, src, len, NULL, &doc, &errs) != 0 ||
	    gql_validate(schema, doc, NULL, &errs) != 0 ||
	    (x = gql_exec_new(schema, doc, NULL, vars, &eo, &errs)) == NULL) {
		r = json_pack("{s:o}", "errors", gql_errors_json(&errs));
		json_dumpf(r, stdout, JSON_INDENT(2));
		putchar('\n');
		return 0;
	}
	while ((n = gql_exec_step(x, &fs)) > 0)
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "%s %s", fs[i]->method,
			         fs[i]->path);
			fprintf(stderr, "fetch %s %s\n", fs[i]->service, key);
			ans = json_object_get(answers, key);
			gql_exec_supply(
			    x, fs[i],
			    ans ? (int)json_integer_value(
			              json_object_get(ans, "status"))
			        : 404,
			    ans ? json_incref(json_object_get(ans, "body"))
			        : json_pack("{s:s}", "title", "Not Found"));
		}
	r = gql_exec_response(x);
	json_dumpf(r, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(r);
	gql_exec_free(x);
	json_decref(vars);
	json_decref(answers);
	free(src);
	gql_arena_free(a);
	return 0;
}

int
main(int argc, char **argv)
{
	int exec_mode = argc > 1 && strcmp(argv[1], "--exec") == 0;

	struct gql_validate_opts vo = {100, 0, 1};
	struct gql_arena *sa = gql_arena_new();
	struct gql_errors serrs = {sa, NULL, NULL, 0, 0};
	struct gql_schema *schema;
	struct gql_error *e;
	char *src;
	size_t len;
	int i, k;

	if (argc < 2) {
		fprintf(stderr, "usage: gql_verdicts SCHEMA DOC...\n");
		return 2;
	}
	if (exec_mode) {
		argv++;
		argc--;
	}
	if ((src = slurp(argv[1], &len)) == NULL) {
		fprintf(stderr, "gql_verdicts: cannot read %s\n", argv[1]);
		return 2;
	}
	if (gql_schema_build(src, len, &schema, &serrs) != 0) {
		for (e = serrs.head; e != NULL; e = e->next)
			fprintf(stderr, "%s:%u:%u: %s\n", argv[1],
			        e->nlocs ? e->locs[0].line : 0,
			        e->nlocs ? e->locs[0].col : 0, e->message);
		return 2;
	}
	free(src);
	if (exec_mode) {
		i = run_exec(schema, argc + 1, argv - 1);
		gql_schema_free(schema);
		gql_arena_free(sa);
		return i;
	}
	for (i = 2; i < argc; i++) {
		struct gql_arena *a = gql_arena_new();
		struct gql_errors errs = {a, NULL, NULL, 0, 0};
		struct gql_document *doc;

		if ((src = slurp(argv[i], &len)) == NULL) {
			fprintf(stderr, "gql_verdicts: cannot read %s\n",
			        argv[i]);
			return 2;
		}
		if (gql_parse(a, src, len, NULL, &doc, &errs) == 0)
			gql_validate(schema, doc, &vo, &errs);
		printf("{\"file\": ");
		json_str(argv[i]);
		printf(", \"errors\": [");
		for (e = errs.head; e != NULL; e = e->next) {
			printf("{\"message\": ");
			json_str(e->message);
			printf(", \"locations\": [");
			for (k = 0; k < e->nlocs; k++)
				printf("%s[%u, %u]", k ? ", " : "",
				       e->locs[k].line, e->locs[k].col);
			printf("]}%s", e->next ? ", " : "");
		}
		printf("]}\n");
		free(src);
		gql_arena_free(a);
	}
	gql_schema_free(schema);
	gql_arena_free(sa);
	return 0;
}
