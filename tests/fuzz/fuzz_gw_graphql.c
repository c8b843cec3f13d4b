/*
 * fuzz_gw_graphql: the GraphQL engine on arbitrary documents
 * (gateway/src/graphql/): the parser with the gateway's limits, then the
 * validator against the specification's example schema
 * (tests/graphql/spec/schema.graphql, read once), then the execution of
 * the valid ones with every upstream read answered 404, so field
 * collection, fragments, variables' defaults and error paths run too.
 * Invariants: no crash, no leak, no read outside the input (an exact-size
 * heap copy), an error always located, a response always produced.
 * Built and run by scripts/fuzz.sh (make fuzz).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/gql_exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gql_schema *schema;

static void
load_schema(void)
{
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs = {a, NULL, NULL, 0, 0};
	FILE *f = fopen("tests/graphql/spec/schema.graphql", "rb");
	static char buf[1 << 16];
	size_t n;

	if (f == NULL)
		abort();
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (gql_schema_build(buf, n, &schema, &errs) != 0)
		abort();
	gql_arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gql_parse_limits lim = {4000, 64};
	struct gql_exec_opts eo = {1, 16, 4, 0, "fuzz"};
	struct gql_arena *a;
	struct gql_errors errs;
	struct gql_document *doc;
	struct gql_exec *x;
	struct gql_fetch **fs;
	json_t *r;
	char *copy;
	int n, i, rounds = 0;

	if (schema == NULL)
		load_schema();
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	a = gql_arena_new();
	memset(&errs, 0, sizeof(errs));
	errs.arena = a;
	if (gql_parse(a, copy, size, &lim, &doc, &errs) != 0) {
		if (errs.count != 1 || errs.head->nlocs != 1)
			abort();
		goto done;
	}
	if (gql_validate(schema, doc, NULL, &errs) != 0) {
		if (errs.count == 0)
			abort();
		goto done;
	}
	x = gql_exec_new(schema, doc, NULL, NULL, &eo, &errs);
	if (x == NULL)
		goto done;
	while ((n = gql_exec_step(x, &fs)) > 0 && rounds++ < 8)
		for (i = 0; i < n; i++)
			gql_exec_supply(x, fs[i], 404, NULL);
	if (n == 0) {
		if ((r = gql_exec_response(x)) == NULL)
			abort();
		json_decref(r);
	}
	gql_exec_free(x);
done:
	gql_arena_free(a);
	free(copy);
	return 0;
}
