/*
 * http.c: GraphQL over HTTP on GET and POST /graphql (the Kore glue of the
 * engine in this folder).
 *
 * A request is parsed, validated and measured against the limits before
 * anything goes upstream; then the engine runs in passes and each pass's
 * reads go out together, as requests of the gateway to its own /v1 routes
 * (gw_proxy_fetch): every read runs the REST pipeline with the caller's token
 * -- roles and scopes, revocation, rate limits (each read counts: the
 * operation is rate-limited by its cost), the response cache, the breaker,
 * the metrics -- and the services enforce regions as for REST.
 *
 * Media types (GraphQL over HTTP): the answer is
 * application/graphql-response+json when the client names it in Accept,
 * else application/json (also without Accept, and for any type); 406 when it
 * accepts neither. With application/graphql-response+json a request error
 * (syntax, validation, variables, limits) is a 400; with application/json every
 * well-formed request is a 200. A mutation by GET is a 405 with Allow: POST,
 * and so is an operation giving a value to a @personal argument (its
 * variables, personal data, would sit in the URL: gql_personal_operation).
 *
 * Configuration (environment, read in the parent):
 *   MP_GRAPHQL_SCHEMA         the SDL (default openapi/schema.graphql)
 *   MP_GRAPHQL_INTROSPECTION  __schema/__type answered (default false)
 *   MP_GRAPHQL_SUGGESTIONS    "Did you mean" in errors (default false)
 *   MP_GRAPHQL_MAX_BYTES      document size (default 32768)
 *   MP_GRAPHQL_MAX_TOKENS     tokens (default 4000)
 *   MP_GRAPHQL_MAX_DEPTH      field nesting (default 10)
 *   MP_GRAPHQL_MAX_ALIASES    aliases (default 30)
 *   MP_GRAPHQL_MAX_ROOT_FIELDS root fields (default 20)
 *   MP_GRAPHQL_MAX_DIRECTIVES directives (default 30)
 *   MP_GRAPHQL_MAX_COST       static cost (default 5000; lists count their
 *                             first/limit, 20 when not given)
 *   MP_GRAPHQL_MAX_UPSTREAM   upstream requests per operation (default 64)
 *   MP_GRAPHQL_TRUSTED_DOCUMENTS  a JSON object {sha256: document}: only
 *                             those documents run (trusted documents)
 *   MP_GRAPHQL_METRIC_OPERATIONS  operation names counted apart in
 *                             /metrics (at most 16 with the trusted
 *                             documents' own; the others as "(other)")
 * Automatic persisted queries (extensions.persistedQuery) are kept in
 * Redis (gql:apq:<sha256>, 30 days).
 *   MP_GRAPHIQL_DIR           GraphiQL's files (default build/graphiql, filled
 *                             by make build); a browser's GET /graphql gets
 *                             GraphiQL when introspection is on
 * Internal errors are masked: the client sees the request id.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <kore/kore.h>
#include <kore/http.h>
#include <sodium.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/runtime.h"
#include "mp/service.h"

#include "edge/cache.h"
#include "edge/pipeline.h"
#include "edge/ratelimit.h"
#include "edge/stages.h"
#include "graphql/gql_exec.h"
#include "graphql/gql_limits.h"
#include "graphql/graphql.h"
#include "proxy/proxy.h"

#define CT_JSON "application/json"
#define CACHE_UPSTREAMS 8 /* services an answer may read (upstream_bit) */
#define CT_GQL "application/graphql-response+json"

struct gqlreq {
	struct mp_ctx *ctx;
	struct gql_arena *a;
	struct gql_errors errs;
	struct gql_document *doc;
	struct gql_exec *x;
	json_t *vars;
	int gql_media; /* answer as application/graphql-response+json */
	struct gql_fetch **fs;
	struct proxy_call **calls;
	int n;
	char xff[512];
	const char *opname;
	char hash[65];      /* persisted query */
	int apq_keep;       /* its text to keep once it validates */
	struct apqwait *aw; /* its Redis look-up */
	json_t *params;     /* the request's parameters */
	/* the scoped cache of a persisted GET (see "the answers' cache") */
	int cache_on, may_store;
	struct cachewait *cw; /* its Redis look-up */
	unsigned touched;     /* a bit per upstream read (upstream_bit) */
	/* the oldest generation a read of each service was answered under */
	uint64_t read_gen[CACHE_UPSTREAMS];
	int ttl;         /* shortest TTL of the reads; -1 none yet */
	int uncacheable; /* a read the gateway's cache did not keep */
	char key[GW_CACHE_KEY_MAX];
	int op_idx; /* the operation's counters (op_index) */
	int reads;  /* upstream reads made so far: the operation's cost */
	struct gw_rate_charge *charge; /* a cached answer's (cache_charged) */
	struct gw_cache_entry hit;     /* that answer (borrows cw->value) */
	int hit_reads;
	/* the RateLimit of the read with the least left (rate_read) */
	char rl_policy[GW_RATE_HEADER_MAX], rl[GW_RATE_HEADER_MAX];
	long rl_left; /* its r=; -1 while no read carried one */
};

/* The cache look-up of a persisted GET: each upstream's generation and
 * the stored value, in one round trip; outlives the request like
 * apqwait. */
struct cachewait {
	struct mp_ctx *ctx; /* NULL once the request is gone */
	int pending;        /* replies still awaited */
	int nup;
	uint64_t gen[CACHE_UPSTREAMS];
	char *value;
	size_t vlen;
};

/* A Redis look-up of a persisted query; outlives the request if the client
 * goes away first (the reply then frees it). */
struct apqwait {
	struct mp_ctx *ctx; /* NULL once the request is gone */
	int done;
	char *text;
	size_t len;
};

static int graphql_parent_init(void);
static void sha256_hex(const char *text, size_t len, char out[65]);
static void page_csp(struct mp_ctx *ctx);
static int respond(struct gqlreq *g, int status, json_t *body);
static int request_error(struct gqlreq *g, int malformed, const char *msg);
static int run(struct gqlreq *g);
static int resumed(struct mp_ctx *ctx);
static void gqlreq_free(void *arg);
static void apq_store(struct gqlreq *g, const char *text, size_t len);
static void set_forget(const char *key, const void *val, size_t len,
                       const char *ex_s);
static int persisted(struct gqlreq *g, json_t *ext, const char *text,
                     size_t len);
static int cache_lookup(struct gqlreq *g, json_t *ext);
static void cache_read(struct gqlreq *g, int i);
static int cache_respond(struct gqlreq *g, json_t *resp);

const struct mp_extension gw_graphql_extension = {
    .name = "graphql",
    .parent_init = graphql_parent_init,
};

static struct gql_schema *schema;
static char schema_path[512];
static int introspection, suggestions;
static int64_t max_bytes, max_tokens, max_depth, max_aliases, max_root,
    max_directives, max_cost, max_upstream;
static char self_base[128];
static char trusted_path[512];
static char graphiql_dir[512];

/* GraphiQL's files, in memory (read once in the parent) */
static struct asset {
	const char *name, *ctype;
	char *data;
	size_t len;
} assets[] = {
    {"graphiql.min.js", "text/javascript; charset=utf-8", NULL, 0},
    {"graphiql.min.css", "text/css; charset=utf-8", NULL, 0},
    {"react.production.min.js", "text/javascript; charset=utf-8", NULL, 0},
    {"react-dom.production.min.js", "text/javascript; charset=utf-8", NULL, 0},
    {"start.js", "text/javascript; charset=utf-8", NULL, 0},
    /* the REST reference (/docs), served whatever introspection says */
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8", NULL, 0},
    {"swagger-ui.css", "text/css; charset=utf-8", NULL, 0},
    {"docs.js", "text/javascript; charset=utf-8", NULL, 0},
};
#define ASSET_FIRST_DOCS 5 /* assets[5..]: /docs's */

static const char docs_page[] =
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>REST reference - migration-policy platform</title>\n"
    "<link rel=\"stylesheet\" href=\"/graphql/assets/swagger-ui.css\">\n"
    "</head>\n<body>\n<div id=\"docs\"></div>\n"
    "<script src=\"/graphql/assets/swagger-ui-bundle.js\"></script>\n"
    "<script src=\"/graphql/assets/docs.js\"></script>\n</body>\n</html>\n";

/* The reference of every operation the gateway serves: the merged
 * OpenAPI document of /openapi/. */
static const char docs_start[] =
    "window.ui = SwaggerUIBundle({ url: '/openapi/openapi.yaml',\n"
    "  dom_id: '#docs', deepLinking: true, docExpansion: 'list',\n"
    "  defaultModelsExpandDepth: -1 });\n";

static const char graphiql_page[] =
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>GraphiQL - migration-policy platform</title>\n"
    "<link rel=\"stylesheet\" href=\"/graphql/assets/graphiql.min.css\">\n"
    "<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>\n"
    "</head>\n<body>\n<div id=\"graphiql\">Loading GraphiQL...</div>\n"
    "<script src=\"/graphql/assets/react.production.min.js\"></script>\n"
    "<script src=\"/graphql/assets/react-dom.production.min.js\"></script>\n"
    "<script src=\"/graphql/assets/graphiql.min.js\"></script>\n"
    "<script src=\"/graphql/assets/start.js\"></script>\n</body>\n</html>\n";

/* The page's own script: a token may be given as #token=... (kept out of
 * server logs), the first query as ?query=. */
static const char graphiql_start[] =
    "(function () {\n"
    "  var q = new URLSearchParams(location.search).get('query');\n"
    "  var t = new URLSearchParams(location.hash.slice(1)).get('token');\n"
    "  var fetcher = GraphiQL.createFetcher({ url: '/graphql',\n"
    "    headers: t ? { authorization: 'Bearer ' + t } : {} });\n"
    "  ReactDOM.createRoot(document.getElementById('graphiql')).render(\n"
    "    React.createElement(GraphiQL, { fetcher: fetcher,\n"
    "      defaultQuery: q || '{ themes { code label } }' }));\n"
    "})();\n";

/* Reads GraphiQL's files; without them the page is off (logged). */
static void
load_assets(void)
{
	char path[1024];
	FILE *f;
	long n;
	size_t i;

	for (i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		if (strcmp(assets[i].name, "start.js") == 0 ||
		    strcmp(assets[i].name, "docs.js") == 0) {
			const char *js = assets[i].name[0] == 's'
			                     ? graphiql_start
			                     : docs_start;
			assets[i].data = (char *)(uintptr_t)js;
			assets[i].len = strlen(js);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", graphiql_dir,
		         assets[i].name);
		if ((f = fopen(path, "rb")) == NULL)
			goto missing;
		if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
		    fseek(f, 0, SEEK_SET) != 0 ||
		    (assets[i].data = malloc((size_t)n)) == NULL ||
		    fread(assets[i].data, 1, (size_t)n, f) != (size_t)n) {
			fclose(f);
			goto missing;
		}
		fclose(f);
		assets[i].len = (size_t)n;
	}
	return;
missing:
	mp_log(MP_LOG_WARN, "graphql",
	       "GraphiQL's files are not in %s (make build copies them): "
	       "no GraphiQL page",
	       graphiql_dir);
	for (i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		assets[i].len = 0;
}

static int
graphiql_ready(void)
{
	return introspection && assets[0].len > 0;
}

int
gw_graphql_docs(struct mp_ctx *ctx)
{
	if (assets[ASSET_FIRST_DOCS].len == 0)
		return mp_reply_problem(ctx, 404, "not-found",
		                        "the REST reference's files are not "
		                        "installed (make build)");
	page_csp(ctx);
	return mp_reply_raw(ctx, 200, "text/html; charset=utf-8", docs_page,
	                    strlen(docs_page));
}

int
gw_graphql_asset(struct mp_ctx *ctx)
{
	const char *name = mp_param(ctx, "name");
	size_t i;

	for (i = 0; name != NULL && i < sizeof(assets) / sizeof(assets[0]); i++)
		if (strcmp(assets[i].name, name) == 0 && assets[i].len > 0 &&
		    (i >= ASSET_FIRST_DOCS || graphiql_ready())) {
			mp_reply_header(ctx, "Cache-Control",
			                "public, max-age=86400");
			return mp_reply_raw(ctx, 200, assets[i].ctype,
			                    assets[i].data, assets[i].len);
		}
	return mp_reply_problem(ctx, 404, "not-found", NULL);
}

/* The gateway's answers carry "default-src 'none'" (stage_cors.c); the
 * page needs its own scripts and styles: its policy replaces that one. */
static void
page_csp(struct mp_ctx *ctx)
{
	static const char csp[] =
	    "default-src 'none'; script-src 'self'; style-src 'self' "
	    "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
	    "connect-src 'self'; worker-src 'self' blob:; frame-ancestors "
	    "'none'";

	mp_reply_header_set(ctx, "Content-Security-Policy", csp);
}

/* A browser asking for /graphql (Accept: text/html, no query): GraphiQL,
 * when introspection is on. */
static int
wants_page(struct mp_ctx *ctx)
{
	const char *acc = mp_header(ctx, "accept");

	return ctx->req->method == HTTP_METHOD_GET && acc != NULL &&
	       strstr(acc, "text/html") != NULL &&
	       mp_query(ctx, "extensions") == NULL &&
	       (mp_query(ctx, "query") == NULL || graphiql_ready());
}
static json_t *trusted; /* {sha256: document}, trusted-documents mode */
static char internal_secret[65];
static int m_ops_query = -1, m_ops_mutation = -1, m_refused = -1,
           m_cache_hit = -1, m_cache_miss = -1;

/*
 * Operations counted by name: the upstream calls and the runs of each
 * operation named in MP_GRAPHQL_METRIC_OPERATIONS, then of the named
 * operations of the trusted documents, up to OPS_NAMED names in all;
 * every other operation (a client may name its operations anything) is
 * counted under operation="(other)", so the label set of /metrics has at
 * most OPS_NAMED + 1 values whatever the clients send.
 */
#define OPS_NAMED 16
#define OP_NAME_LEN 64
static char metric_ops[OPS_NAMED * OP_NAME_LEN];
static char op_names[OPS_NAMED][OP_NAME_LEN];
static char op_labels[OPS_NAMED + 1][OP_NAME_LEN + 16];
static int n_op_names;
static int m_op_calls[OPS_NAMED + 1], m_op_runs[OPS_NAMED + 1];

/* The counters' index of an operation's name (n_op_names: "(other)"). */
static int
op_index(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < n_op_names; i++)
		if (strcmp(op_names[i], name) == 0)
			return i;
	return n_op_names;
}

/* Adds a name to count apart; 0, 1 when there is no room left. */
static int
op_name_add(const char *name)
{
	if (op_index(name) < n_op_names)
		return 0;
	if (n_op_names == OPS_NAMED || strlen(name) >= OP_NAME_LEN)
		return 1;
	snprintf(op_names[n_op_names++], OP_NAME_LEN, "%s", name);
	return 0;
}

/* The names counted apart and their counters (in the parent). */
static int
op_metrics_init(void)
{
	char list[OPS_NAMED][OP_NAME_LEN];
	struct gql_parse_limits plim = {0, 64};
	struct gql_document *doc;
	struct gql_errors errs;
	struct gql_arena *a;
	const struct gql_def *d;
	const char *k;
	json_t *v;
	int n = 0, i, left = 0;

	if (metric_ops[0] != '\0' &&
	    gw_list_parse(metric_ops, &list[0][0], OP_NAME_LEN, OPS_NAMED,
	                  &n) != 0) {
		fprintf(stderr,
		        "config: MP_GRAPHQL_METRIC_OPERATIONS: at most %d "
		        "operation names of fewer than %d bytes\n",
		        OPS_NAMED, OP_NAME_LEN);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (list[i][0] == '\0' || strchr("0123456789", list[i][0]) ||
		    strspn(list[i],
		           "_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
		           "OPQRSTUVWXYZ0123456789") != strlen(list[i])) {
			fprintf(stderr,
			        "config: MP_GRAPHQL_METRIC_OPERATIONS: \"%s\" "
			        "is not a GraphQL operation name\n",
			        list[i]);
			return -1;
		}
		(void)op_name_add(list[i]);
	}
	json_object_foreach(trusted, k, v)
	{
		memset(&errs, 0, sizeof(errs));
		if ((a = gql_arena_new()) == NULL)
			return -1;
		errs.arena = a;
		if (gql_parse(a, json_string_value(v), json_string_length(v),
		              &plim, &doc, &errs) == 0)
			for (d = doc->defs; d != NULL; d = d->next)
				if (d->kind == GQL_D_OPERATION &&
				    d->name != NULL)
					left += op_name_add(d->name);
		gql_arena_free(a);
	}
	if (left > 0)
		mp_log(MP_LOG_WARN, "graphql",
		       "%d operation names of the trusted documents beyond "
		       "the first %d are counted as (other) in /metrics",
		       left, OPS_NAMED);
	for (i = 0; i <= n_op_names; i++) {
		snprintf(op_labels[i], sizeof(op_labels[i]), "operation=\"%s\"",
		         i < n_op_names ? op_names[i] : "(other)");
		m_op_calls[i] = mp_metrics_counter_new(
		    "gateway_graphql_upstream_calls_total", op_labels[i],
		    "upstream requests made by GraphQL operations, by "
		    "operation name (per run: divide by "
		    "gateway_graphql_operation_runs_total)",
		    0);
		m_op_runs[i] = mp_metrics_counter_new(
		    "gateway_graphql_operation_runs_total", op_labels[i],
		    "GraphQL operations executed, by operation name (those of "
		    "MP_GRAPHQL_METRIC_OPERATIONS and the trusted documents; "
		    "the others as (other))",
		    0);
		if (m_op_calls[i] < 0 || m_op_runs[i] < 0) {
			fprintf(stderr, "graphql: the metrics table is full\n");
			return -1;
		}
	}
	return 0;
}

/* A trusted document holding a literal of personal data (gql_personal_check)
 * would refuse every run of it: the manifest is refused at start instead.
 * Other errors are the run's to report. -1 (said on stderr) or 0. */
static int
trusted_personal(const char *hash, const json_t *doc)
{
	struct gql_parse_limits plim = {0, 64};
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs;
	struct gql_document *d;
	int rc = 0;

	if (a == NULL)
		return -1;
	memset(&errs, 0, sizeof(errs));
	errs.arena = a;
	if (gql_parse(a, json_string_value(doc), json_string_length(doc), &plim,
	              &d, &errs) == 0 &&
	    gql_personal_check(schema, d, &errs) != 0) {
		fprintf(stderr,
		        "config: MP_GRAPHQL_TRUSTED_DOCUMENTS: %s: %s: "
		        "%u:%u: %s\n",
		        trusted_path, hash,
		        errs.head->nlocs ? errs.head->locs[0].line : 0,
		        errs.head->nlocs ? errs.head->locs[0].col : 0,
		        errs.head->message);
		rc = -1;
	}
	gql_arena_free(a);
	return rc;
}

/* The trusted documents: every key must be the SHA-256 of its document,
 * and no document may hold personal data (trusted_personal). */
static int
load_trusted(void)
{
	json_error_t jerr;
	const char *k;
	json_t *v;
	char h[65];

	if ((trusted = json_load_file(trusted_path, 0, &jerr)) == NULL ||
	    !json_is_object(trusted)) {
		fprintf(stderr,
		        "config: MP_GRAPHQL_TRUSTED_DOCUMENTS: %s: not a JSON "
		        "object (%s)\n",
		        trusted_path, jerr.text);
		return -1;
	}
	json_object_foreach(trusted, k, v)
	{
		if (!json_is_string(v)) {
			fprintf(
			    stderr,
			    "config: MP_GRAPHQL_TRUSTED_DOCUMENTS: %s: %s is "
			    "not a document\n",
			    trusted_path, k);
			return -1;
		}
		sha256_hex(json_string_value(v), json_string_length(v), h);
		if (strcmp(h, k) != 0) {
			fprintf(
			    stderr,
			    "config: MP_GRAPHQL_TRUSTED_DOCUMENTS: %s: %s is "
			    "not the SHA-256 of its document\n",
			    trusted_path, k);
			return -1;
		}
		if (trusted_personal(k, v) != 0)
			return -1;
	}
	return 0;
}

static int
graphql_parent_init(void)
{
	const struct mp_cfg_var vars[] = {
	    {"MP_GRAPHQL_SCHEMA", MP_CFG_STRING, 0, "openapi/schema.graphql", 0,
	     0, NULL, schema_path, sizeof(schema_path),
	     "the GraphQL schema (SDL)"},
	    {"MP_GRAPHQL_INTROSPECTION", MP_CFG_BOOL, 0, "false", 0, 0, NULL,
	     &introspection, 0, "answer __schema and __type"},
	    {"MP_GRAPHQL_SUGGESTIONS", MP_CFG_BOOL, 0, "false", 0, 0, NULL,
	     &suggestions, 0, "suggest names in GraphQL errors"},
	    {"MP_GRAPHQL_MAX_BYTES", MP_CFG_INT, 0, "32768", 16, 1048576, NULL,
	     &max_bytes, 0, "largest GraphQL document in bytes"},
	    {"MP_GRAPHQL_MAX_TOKENS", MP_CFG_INT, 0, "4000", 1, 1000000, NULL,
	     &max_tokens, 0, "most tokens in a GraphQL document"},
	    {"MP_GRAPHQL_MAX_DEPTH", MP_CFG_INT, 0, "10", 1, 256, NULL,
	     &max_depth, 0, "deepest field nesting of an operation"},
	    {"MP_GRAPHQL_MAX_ALIASES", MP_CFG_INT, 0, "30", 0, 100000, NULL,
	     &max_aliases, 0, "most aliases in an operation"},
	    {"MP_GRAPHQL_MAX_ROOT_FIELDS", MP_CFG_INT, 0, "20", 1, 100000, NULL,
	     &max_root, 0, "most root fields of an operation"},
	    {"MP_GRAPHQL_MAX_DIRECTIVES", MP_CFG_INT, 0, "30", 0, 100000, NULL,
	     &max_directives, 0, "most directives in a document"},
	    {"MP_GRAPHQL_MAX_COST", MP_CFG_INT, 0, "5000", 1, 100000000, NULL,
	     &max_cost, 0, "largest static cost of an operation"},
	    {"MP_GRAPHQL_MAX_UPSTREAM", MP_CFG_INT, 0, "64", 1, 10000, NULL,
	     &max_upstream, 0, "most upstream requests of an operation"},
	    {"MP_GRAPHIQL_DIR", MP_CFG_STRING, 0, "build/graphiql", 0, 0, NULL,
	     graphiql_dir, sizeof(graphiql_dir),
	     "GraphiQL's static files (GET /graphql as a page)"},
	    {"MP_GRAPHQL_TRUSTED_DOCUMENTS", MP_CFG_STRING, 0, "", 0, 0, NULL,
	     trusted_path, sizeof(trusted_path),
	     "a JSON object {sha256: document}: only those run"},
	    {"MP_GRAPHQL_METRIC_OPERATIONS", MP_CFG_STRING, 0, "", 0, 0, NULL,
	     metric_ops, sizeof(metric_ops),
	     "operation names counted apart in /metrics (at most 16)"},
	};
	struct gql_arena *a;
	struct gql_errors errs;
	unsigned char rnd[32];
	char *text = NULL;
	const char *host;
	FILE *f;
	long n;
	size_t i;

	if (gw_config_load(vars, sizeof(vars) / sizeof(vars[0])) != 0)
		return -1;
	if ((f = fopen(schema_path, "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)n + 1)) == NULL ||
	    fread(text, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "config: MP_GRAPHQL_SCHEMA: cannot read %s\n",
		        schema_path);
		if (f != NULL)
			fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	a = gql_arena_new();
	memset(&errs, 0, sizeof(errs));
	errs.arena = a;
	if (a == NULL ||
	    gql_schema_build(text, (size_t)n, &schema, &errs) != 0) {
		fprintf(
		    stderr, "config: MP_GRAPHQL_SCHEMA: %s:%u:%u: %s\n",
		    schema_path,
		    errs.head && errs.head->nlocs ? errs.head->locs[0].line : 0,
		    errs.head && errs.head->nlocs ? errs.head->locs[0].col : 0,
		    errs.head ? errs.head->message : "out of memory");
		free(text);
		gql_arena_free(a);
		return -1;
	}
	/* the schema keeps pointers into its own arena only */
	free(text);
	gql_arena_free(a);
	if (trusted_path[0] != '\0' && load_trusted() != 0)
		return -1;
	load_assets();
	host = mp_settings.http_host;
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "[::1]";
	snprintf(self_base, sizeof(self_base), "http://%s:%s", host,
	         mp_settings.http_port);
	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(internal_secret + 2 * i, 3, "%02x", rnd[i]);
	sodium_memzero(rnd, sizeof(rnd));
	m_ops_query = mp_metrics_counter_new("gateway_graphql_operations_total",
	                                     "kind=\"query\"",
	                                     "GraphQL operations executed", 0);
	m_ops_mutation = mp_metrics_counter_new(
	    "gateway_graphql_operations_total", "kind=\"mutation\"",
	    "GraphQL operations executed", 0);
	if (op_metrics_init() != 0)
		return -1;
	m_cache_hit = mp_metrics_counter_new(
	    "gateway_graphql_cache_total", "result=\"hit\"",
	    "persisted GET operations by outcome of the gateway's cache", 0);
	m_cache_miss = mp_metrics_counter_new(
	    "gateway_graphql_cache_total", "result=\"miss\"",
	    "persisted GET operations by outcome of the gateway's cache", 0);
	m_refused = mp_metrics_counter_new(
	    "gateway_graphql_refused_total", NULL,
	    "GraphQL requests refused before execution (syntax, validation, "
	    "limits)",
	    0);
	mp_log(MP_LOG_INFO, "graphql",
	       "schema %s: %d types; introspection %s; trusted documents "
	       "%s; reads via %s",
	       schema_path, schema->ntypes, introspection ? "on" : "off",
	       trusted != NULL ? "only" : "off", self_base);
	return 0;
}

int
gw_graphql_internal(struct mp_ctx *ctx)
{
	const char *h = mp_header(ctx, "x-mp-graphql");
	struct http_request *req = ctx->req;
	int loopback = 0;

	if (h == NULL || internal_secret[0] == '\0' ||
	    strlen(h) != strlen(internal_secret) ||
	    sodium_memcmp(h, internal_secret, strlen(h)) != 0)
		return 0;
	if (req->owner != NULL && req->owner->family == AF_INET)
		loopback =
		    (ntohl(req->owner->addr.ipv4.sin_addr.s_addr) >> 24) == 127;
	else if (req->owner != NULL && req->owner->family == AF_INET6)
		loopback =
		    IN6_IS_ADDR_LOOPBACK(&req->owner->addr.ipv6.sin6_addr);
	return loopback;
}

static void
gqlreq_free(void *arg)
{
	struct gqlreq *g = arg;
	int i;

	if (g == NULL)
		return;
	for (i = 0; g->calls != NULL && i < g->n; i++)
		gw_proxy_call_free(g->calls[i]);
	free(g->calls);
	if (g->aw != NULL) {
		if (g->aw->done) {
			free(g->aw->text);
			free(g->aw);
		} else
			g->aw->ctx = NULL; /* the reply frees it */
	}
	if (g->cw != NULL) {
		if (g->cw->pending == 0) {
			free(g->cw->value);
			free(g->cw);
		} else
			g->cw->ctx = NULL; /* the last reply frees it */
	}
	gw_rate_charge_free(g->charge);
	gql_exec_free(g->x);
	json_decref(g->params);
	json_decref(g->vars);
	gql_arena_free(g->a);
	free(g);
}

static int
respond(struct gqlreq *g, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	int rc;

	json_decref(body);
	if (text == NULL)
		return mp_reply_problem(g->ctx, 500, "internal", NULL);
	rc = mp_reply_raw(g->ctx, status,
	                  g->gql_media ? CT_GQL "; charset=utf-8"
	                               : CT_JSON "; charset=utf-8",
	                  text, strlen(text));
	free(text);
	return rc;
}

/* A request error: no data. malformed: not a GraphQL request at all (400
 * in both media types). */
static int
request_error(struct gqlreq *g, int malformed, const char *msg)
{
	json_t *errors;

	mp_metrics_counter_add(m_refused, 1);
	if (msg != NULL)
		gql_error_add(&g->errs, "BAD_REQUEST", "%s", msg);
	errors = gql_errors_json(&g->errs);
	return respond(g, malformed || g->gql_media ? 400 : 200,
	               json_pack("{s:o}", "errors", errors));
}

/* Accept: the first of ours the client takes; -1 when none. */
static int
negotiate(struct mp_ctx *ctx)
{
	const char *acc = mp_header(ctx, "accept");
	const char *p;
	int json = 0, gql = 0, any = 0;
	char item[128];
	size_t n;

	if (acc == NULL || *acc == '\0')
		return 0; /* legacy clients: application/json */
	for (p = acc; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ",");
		if (n >= sizeof(item))
			n = sizeof(item) - 1;
		memcpy(item, p, n);
		item[n] = '\0';
		p += strcspn(p, ",");
		if (strstr(item, "q=0") != NULL && strstr(item, "q=0.") == NULL)
			continue; /* refused explicitly */
		item[strcspn(item, "; ")] = '\0';
		if (strcasecmp(item, CT_GQL) == 0)
			gql = 1;
		else if (strcasecmp(item, CT_JSON) == 0)
			json = 1;
		else if (strcmp(item, "*/*") == 0 ||
		         strcasecmp(item, "application/*") == 0)
			any = 1;
	}
	if (gql)
		return 1;
	if (json || any)
		return 0;
	return -1;
}

static int
read_body(struct mp_ctx *ctx, char **out, size_t *len)
{
	struct http_request *req = ctx->req;
	size_t want = req->http_body_length;
	ssize_t n;

	*out = NULL;
	*len = 0;
	if (want > (size_t)max_bytes * 4 + 4096)
		return -E2BIG;
	if ((*out = malloc(want + 1)) == NULL)
		return -ENOMEM;
	while (*len < want) {
		n = http_body_read(req, *out + *len, want - *len);
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	(*out)[*len] = '\0';
	return 0;
}

/* The X-Forwarded-For a read carries: the client's, then its peer. */
static void
forwarded_for(struct gqlreq *g)
{
	struct http_request *req = g->ctx->req;
	const char *xff = mp_header(g->ctx, "x-forwarded-for");
	char addr[INET6_ADDRSTRLEN];

	mp_peer_addr(req->owner, addr, sizeof(addr));
	if (xff != NULL && *xff != '\0')
		snprintf(g->xff, sizeof(g->xff), "%s, %s", xff, addr);
	else
		snprintf(g->xff, sizeof(g->xff), "%s", addr);
}

/* Starts this pass's reads. */
static int
dispatch(struct gqlreq *g)
{
	const char *auth = mp_header(g->ctx, "authorization");
	const char *lang = mp_header(g->ctx, "accept-language");
	const char *hdrs[20];
	char url[4096], *body;
	size_t blen;
	int i, k, rc;

	free(g->calls);
	if ((g->calls = calloc((size_t)g->n, sizeof(*g->calls))) == NULL)
		return -ENOMEM;
	for (i = 0; i < g->n; i++) {
		struct gql_fetch *f = g->fs[i];
		k = 0;
		hdrs[k++] = "X-Request-Id";
		hdrs[k++] = g->ctx->request_id;
		hdrs[k++] = "X-MP-GraphQL";
		hdrs[k++] = internal_secret;
		hdrs[k++] = "X-Forwarded-For";
		hdrs[k++] = g->xff;
		hdrs[k++] = "Accept";
		hdrs[k++] = CT_JSON;
		if (auth != NULL) {
			hdrs[k++] = "Authorization";
			hdrs[k++] = auth;
		}
		if (lang != NULL) {
			hdrs[k++] = "Accept-Language";
			hdrs[k++] = lang;
		}
		if (f->if_match != NULL) {
			hdrs[k++] = "If-Match";
			hdrs[k++] = f->if_match;
		}
		body = NULL;
		blen = 0;
		if (f->body != NULL) {
			hdrs[k++] = "Content-Type";
			hdrs[k++] = CT_JSON;
			body = json_dumps(f->body, JSON_COMPACT);
			blen = body != NULL ? strlen(body) : 0;
		}
		hdrs[k] = NULL;
		snprintf(url, sizeof(url), "%s%s", self_base, f->path);
		rc = gw_proxy_fetch(g->ctx, f->method, url, hdrs, body, blen,
		                    &g->calls[i]);
		if (rc != 0) {
			g->uncacheable = 1;
			gql_exec_supply(g->x, f, 0, NULL);
		}
	}
	return 0;
}

/* Rate limits: each read ran the REST pipeline's rate stage and came back
 * with that class's RateLimit-Policy and RateLimit. The answer carries
 * those of the read with the least left (in a query all reads are of one
 * class; a mutation's writes and reads are two), so a client sees its
 * budget as after the operation, whatever its cost. Uncached answers only:
 * a cached one carries what its charge left (cache_charged). */
static void
rate_read(struct gqlreq *g, const struct proxy_call *pc)
{
	const char *pol = gw_proxy_call_header(pc, "RateLimit-Policy");
	const char *rl = gw_proxy_call_header(pc, "RateLimit");
	const char *r;
	char *end;
	long left;

	if (pol == NULL || rl == NULL || (r = strstr(rl, ";r=")) == NULL ||
	    strlen(pol) >= sizeof(g->rl_policy) || strlen(rl) >= sizeof(g->rl))
		return;
	errno = 0;
	left = strtol(r + 3, &end, 10);
	if (errno != 0 || end == r + 3 || left < 0 ||
	    (g->rl_left >= 0 && left >= g->rl_left))
		return;
	g->rl_left = left;
	memcpy(g->rl_policy, pol, strlen(pol) + 1);
	memcpy(g->rl, rl, strlen(rl) + 1);
}

static int
all_done(struct gqlreq *g)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (g->calls[i] != NULL && !gw_proxy_call_done(g->calls[i]))
			return 0;
	return 1;
}

/* One pass after another until the response is ready. */
static int
run(struct gqlreq *g)
{
	json_t *resp;
	int n, is_mut = gql_exec_kind(g->x) == GQL_OP_MUTATION;

	if ((n = gql_exec_step(g->x, &g->fs)) < 0)
		return mp_reply_problem(g->ctx, 500, "internal", NULL);
	if (n > 0) {
		g->n = n;
		g->reads += n;
		mp_metrics_counter_add(m_op_calls[g->op_idx], n);
		if (dispatch(g) != 0)
			return mp_reply_problem(g->ctx, 500, "internal", NULL);
		if (all_done(g))
			return resumed(g->ctx);
		g->ctx->resume = resumed;
		return MP_WAIT;
	}
	mp_metrics_counter_add(is_mut ? m_ops_mutation : m_ops_query, 1);
	mp_metrics_counter_add(m_op_runs[g->op_idx], 1);
	resp = gql_exec_response(g->x);
	if (g->rl_left >= 0) {
		mp_reply_header(g->ctx, "RateLimit-Policy", g->rl_policy);
		mp_reply_header(g->ctx, "RateLimit", g->rl);
	}
	if (g->cache_on && !is_mut)
		return cache_respond(g, resp);
	return respond(g, 200, resp);
}

static int
resumed(struct mp_ctx *ctx)
{
	struct gqlreq *g = ctx->user;
	const char *b;
	size_t len;
	json_t *body;
	int i, status;

	if (!all_done(g)) {
		http_request_sleep(ctx->req); /* woken by one of several */
		return MP_WAIT;
	}
	ctx->resume = NULL;
	for (i = 0; i < g->n; i++) {
		if (g->calls[i] == NULL)
			continue; /* already answered (refused to start) */
		status = gw_proxy_call_status(g->calls[i]);
		cache_read(g, i);
		rate_read(g, g->calls[i]);
		b = gw_proxy_call_body(g->calls[i], &len);
		body =
		    b != NULL && len > 0 ? json_loadb(b, len, 0, NULL) : NULL;
		gql_exec_supply(g->x, g->fs[i], status != 0 ? status : 502,
		                body);
		gw_proxy_call_free(g->calls[i]);
		g->calls[i] = NULL;
	}
	return run(g);
}

/* The parameters of a GET (query string) or a POST (JSON body). */
static int
read_params(struct gqlreq *g, json_t **params)
{
	struct mp_ctx *ctx = g->ctx;
	const char *ct, *q, *v;
	char *body = NULL;
	size_t len;
	json_error_t jerr;
	json_t *p;

	*params = NULL;
	if (ctx->req->method == HTTP_METHOD_GET) {
		p = json_object();
		if ((q = mp_query(ctx, "query")) != NULL)
			json_object_set_new(p, "query", json_string(q));
		if ((q = mp_query(ctx, "operationName")) != NULL)
			json_object_set_new(p, "operationName", json_string(q));
		if ((v = mp_query(ctx, "variables")) != NULL) {
			json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
			if (j == NULL) {
				json_decref(p);
				return request_error(
				    g, 1,
				    "The variables parameter is not JSON.");
			}
			json_object_set_new(p, "variables", j);
		}
		if ((v = mp_query(ctx, "extensions")) != NULL) {
			json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
			if (j == NULL) {
				json_decref(p);
				return request_error(
				    g, 1,
				    "The extensions parameter is not JSON.");
			}
			json_object_set_new(p, "extensions", j);
		}
		*params = p;
		return 0;
	}
	ct = mp_header(ctx, "content-type");
	if (ct == NULL || strncasecmp(ct, CT_JSON, strlen(CT_JSON)) != 0 ||
	    (ct[strlen(CT_JSON)] != '\0' && ct[strlen(CT_JSON)] != ';' &&
	     ct[strlen(CT_JSON)] != ' ')) {
		mp_metrics_counter_add(m_refused, 1);
		return mp_reply_problem(ctx, 415, "unsupported-media-type",
		                        "POST /graphql takes application/json");
	}
	if (read_body(ctx, &body, &len) != 0) {
		free(body);
		return mp_reply_problem(ctx, 413, "payload-too-large",
		                        "the GraphQL request is too large");
	}
	p = json_loadb(body, len, 0, &jerr);
	free(body);
	if (p == NULL || !json_is_object(p)) {
		json_decref(p);
		return request_error(
		    g, 1,
		    "The body is not a JSON object of a GraphQL request.");
	}
	*params = p;
	return 0;
}

/* Parse, validate, measure, then run the document (arena-owned). */
static int
execute(struct gqlreq *g, const char *text, size_t len)
{
	struct gql_parse_limits plim = {(size_t)max_tokens, 64};
	struct gql_validate_opts vo = {100, suggestions, introspection};
	struct gql_exec_opts eo;
	struct gql_limits lim;
	struct gql_limits_seen seen;
	struct mp_ctx *ctx = g->ctx;

	if (len > (size_t)max_bytes)
		return request_error(g, 0,
		                     "The document is larger than the limit "
		                     "(MP_GRAPHQL_MAX_BYTES).");
	if (gql_parse(g->a, text, len, &plim, &g->doc, &g->errs) != 0 ||
	    gql_validate(schema, g->doc, &vo, &g->errs) != 0)
		return request_error(g, 0, NULL);
	if (g->apq_keep)
		apq_store(g, text, len);
	memset(&eo, 0, sizeof(eo));
	eo.introspection = introspection;
	eo.max_fetches = (int)max_upstream;
	eo.batch_max = 40; /* ids per batch read: ~1,500 bytes of URL */
	eo.request_id = ctx->request_id;
	if ((g->x = gql_exec_new(schema, g->doc, g->opname, g->vars, &eo,
	                         &g->errs)) == NULL)
		return request_error(g, 0, NULL);
	if (ctx->req->method == HTTP_METHOD_GET &&
	    (gql_exec_kind(g->x) != GQL_OP_QUERY ||
	     gql_personal_operation(schema, g->doc,
	                            gql_exec_operation(g->x)))) {
		mp_metrics_counter_add(m_refused, 1);
		return mp_reply_method_not_allowed(ctx, MP_POST);
	}
	g->op_idx = op_index(gql_exec_operation(g->x)->name);
	lim.max_depth = (int)max_depth;
	lim.max_aliases = (int)max_aliases;
	lim.max_root_fields = (int)max_root;
	lim.max_directives = (int)max_directives;
	lim.max_cost = (double)max_cost;
	lim.default_list_size = 20;
	if (gql_limits_check(schema, g->doc, gql_exec_operation(g->x), g->vars,
	                     &lim, &seen, &g->errs) != 0)
		return request_error(g, 0, NULL);
	forwarded_for(g);
	return run(g);
}

/* ---- persisted queries ------------------------------------------------- */

static void
sha256_hex(const char *text, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t i;

	crypto_hash_sha256(h, (const unsigned char *)text, len);
	for (i = 0; i < sizeof(h); i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int
apq_error(struct gqlreq *g, const char *code, const char *msg)
{
	gql_error_add(&g->errs, code, "%s", msg);
	return request_error(g, 0, NULL);
}

static void
apq_lookup_reply(void *reply, void *arg)
{
	struct apqwait *w = arg;
	redisReply *r = reply;

	w->done = 1;
	if (r != NULL && r->type == REDIS_REPLY_STRING && r->len > 0 &&
	    (w->text = malloc(r->len + 1)) != NULL) {
		memcpy(w->text, r->str, r->len);
		w->text[r->len] = '\0';
		w->len = r->len;
	}
	if (w->ctx == NULL) {
		free(w->text);
		free(w);
		return;
	}
	http_request_wakeup(w->ctx->req);
}

static int
apq_resumed(struct mp_ctx *ctx)
{
	struct gqlreq *g = ctx->user;
	char hash[65];
	char *text;

	if (!g->aw->done) {
		http_request_sleep(ctx->req);
		return MP_WAIT;
	}
	ctx->resume = NULL;
	if (g->aw->text == NULL)
		return apq_error(g, "PERSISTED_QUERY_NOT_FOUND",
		                 "PersistedQueryNotFound");
	/* what Redis gave back must still be what the hash names */
	sha256_hex(g->aw->text, g->aw->len, hash);
	if (strcmp(hash, g->hash) != 0)
		return apq_error(g, "PERSISTED_QUERY_NOT_FOUND",
		                 "PersistedQueryNotFound");
	text = gql_strndup(g->a, g->aw->text, g->aw->len);
	if (text == NULL)
		return mp_reply_problem(ctx, 500, "internal", NULL);
	return execute(g, text, g->aw->len);
}

/* Keeps an automatic persisted query's text (gql:apq:<hash>, 30 days):
 * called once the document validated, so no document with a literal of
 * personal data (gql_personal_check), nor any invalid one, is kept. */
static void
apq_store(struct gqlreq *g, const char *text, size_t len)
{
	char key[80];

	snprintf(key, sizeof(key), "gql:apq:%s", g->hash);
	set_forget(key, text, len, "2592000");
}

/* SET key value EX ex_s, fire and forget (gw_redis_forget): a lost store
 * costs one more miss (an answer) or one resend (a persisted query). */
static void
set_forget(const char *key, const void *val, size_t len, const char *ex_s)
{
	struct gw_cmd cmd;

	gw_cmd_init(&cmd, "SET");
	gw_cmd_str(&cmd, key);
	gw_cmd_arg(&cmd, val, len);
	gw_cmd_str(&cmd, "EX");
	gw_cmd_str(&cmd, ex_s);
	gw_redis_forget(&cmd);
}

/*
 * extensions.persistedQuery {version: 1, sha256Hash}: with the query, the
 * hash is checked and the query stored in Redis (gql:apq:<hash>, 30
 * days) once it validates; without it, the query is looked up
 * (PERSISTED_QUERY_NOT_FOUND on a miss: the client sends it again with the
 * query). In trusted-documents mode only the manifest's documents run, by hash
 * or by text.
 */
static int
persisted(struct gqlreq *g, json_t *ext, const char *text, size_t len)
{
	json_t *pq = json_object_get(ext, "persistedQuery");
	const char *hash = NULL, *argv[2];
	size_t argvlen[2];
	char key[80], mine[65];
	json_t *doc;

	if (pq != NULL) {
		hash = json_string_value(json_object_get(pq, "sha256Hash"));
		if (!json_is_object(pq) || hash == NULL || strlen(hash) != 64 ||
		    strspn(hash, "0123456789abcdef") != 64 ||
		    json_integer_value(json_object_get(pq, "version")) != 1)
			return request_error(
			    g, 1,
			    "extensions.persistedQuery needs version 1 and a "
			    "sha256Hash of 64 lower-case hex digits.");
		snprintf(g->hash, sizeof(g->hash), "%s", hash);
	}
	if (text != NULL) {
		sha256_hex(text, len, mine);
		if (hash != NULL && strcmp(mine, hash) != 0)
			return apq_error(g, "PERSISTED_QUERY_HASH_MISMATCH",
			                 "provided sha does not match query");
		hash = mine;
	}
	if (trusted != NULL) {
		doc = hash != NULL ? json_object_get(trusted, hash) : NULL;
		if (!json_is_string(doc))
			return apq_error(
			    g, "PERSISTED_QUERY_NOT_ALLOWED",
			    "Only the trusted documents of this API may run "
			    "here.");
		return execute(g, json_string_value(doc),
		               json_string_length(doc));
	}
	if (text != NULL) {
		if (pq != NULL) {
			snprintf(g->hash, sizeof(g->hash), "%s", hash);
			g->apq_keep = 1; /* once it validates (execute) */
		}
		return execute(g, text, len);
	}
	if (hash == NULL)
		return request_error(g, 1, "The request has no query.");
	if ((g->aw = calloc(1, sizeof(*g->aw))) == NULL)
		return mp_reply_problem(g->ctx, 500, "internal", NULL);
	g->aw->ctx = g->ctx;
	snprintf(key, sizeof(key), "gql:apq:%s", hash);
	argv[0] = "GET";
	argv[1] = key;
	argvlen[0] = 3;
	argvlen[1] = strlen(key);
	if (mp_redis_command(apq_lookup_reply, g->aw, 2, argv, argvlen) != 0) {
		free(g->aw);
		g->aw = NULL;
		return apq_error(g, "PERSISTED_QUERY_NOT_FOUND",
		                 "PersistedQueryNotFound");
	}
	g->ctx->resume = apq_resumed;
	http_request_sleep(g->ctx->req);
	return MP_WAIT;
}

/* ---- the answers' cache ------------------------------------------------
 *
 * A GET of a persisted operation (APQ or trusted document, by hash, with
 * its variables) is answered from the gateway's response cache (the same
 * Redis keys and value format as REST's, edge/cache.h) when every read
 * under it was one the cache keeps. Its key is gw_cache_key's over
 * /graphql and the query string (hash, variables, operation name), the
 * language and the caller's scope, exactly as a REST answer's (anonymous,
 * or role, region, commune, organisation and, for applicants and API
 * clients, the subject; callers with other roles are never served from
 * it), in the tag {graphql}. It lives as long as the shortest TTL of the
 * reads under it (each read learns its own from the cache stage,
 * GW_CACHE_TTL_HEADER). Invalidation is REST's: the generations of the
 * services read, taken before the reads were made, are kept in the value
 * (their sum, shifted, and a bit per service in the low byte), and every
 * look-up reads the current generations: an event of any service the
 * answer read makes it a miss. A revoked token never gets here (the route
 * runs the revocation stage first, service.c). POSTs are never cached.
 *
 * Rate limits: an answer served from here is counted as the reads it was
 * made of would have been (each a GET of the default class, as its miss
 * counted them): the number of reads is kept with the answer, as the
 * parameter "reads" of the stored content type (only the GraphQL answers
 * of the tag {graphql} have it; the served content type is the one the
 * client negotiated), and a hit charges that many requests to the caller
 * (gw_rate_charge_*, all or none) before anything is sent, 304s included.
 * Refused: 429 with Retry-After, RateLimit-Policy, RateLimit and one
 * error RATE_LIMITED (no data: nothing ran), as a /v1 GET would be
 * refused before the cache. An entry without the count (older release)
 * is a miss. */

/* The configured upstreams in name order: bit i of an answer's services. */
static const char *up_names[CACHE_UPSTREAMS];
static int up_count = -1;

static void
upstreams_sorted(void)
{
	const char *t;
	int n = 0, i, j;

	if (up_count >= 0)
		return;
	(void)gw_proxy_upstream_conf(&n);
	up_count = 0;
	for (i = 0; i < n && up_count < CACHE_UPSTREAMS; i++)
		up_names[up_count++] = gw_proxy_upstream_name(i);
	for (i = 1; i < up_count; i++)
		for (j = i; j > 0 && strcmp(up_names[j - 1], up_names[j]) > 0;
		     j--) {
			t = up_names[j];
			up_names[j] = up_names[j - 1];
			up_names[j - 1] = t;
		}
}

static int
upstream_bit(const char *service)
{
	int i;

	for (i = 0; service != NULL && i < up_count; i++)
		if (strcmp(up_names[i], service) == 0)
			return i;
	return -1;
}

/* The generation stored with an answer that read the services of mask,
 * of generations gen[] (the stored one: its reads'; the current one: the
 * look-up's). */
static uint64_t
combined_gen(const uint64_t *gen, int n, unsigned mask)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		if (mask & (1u << i))
			sum += gen[i];
	return (sum << 8) | mask;
}

struct cacheslot {
	struct cachewait *w;
	int idx; /* < w->nup: that upstream's generation; else the value */
};

static void
cache_reply(void *reply, void *arg)
{
	struct cacheslot *sl = arg;
	struct cachewait *w = sl->w;
	redisReply *r = reply;
	char num[32];

	if (r == NULL)
		w->nup = -1; /* Redis is down: nothing served nor stored */
	else if (sl->idx < CACHE_UPSTREAMS && w->nup >= 0 && sl->idx < w->nup &&
	         r->type == REDIS_REPLY_STRING) {
		snprintf(num, sizeof(num), "%.*s",
		         (int)(r->len < 31 ? r->len : 31), r->str);
		w->gen[sl->idx] = strtoull(num, NULL, 10);
	} else if (sl->idx == CACHE_UPSTREAMS &&
	           r->type == REDIS_REPLY_STRING && r->len > 0 &&
	           (w->value = malloc(r->len)) != NULL) {
		memcpy(w->value, r->str, r->len);
		w->vlen = r->len;
	}
	free(sl);
	if (--w->pending > 0)
		return;
	if (w->ctx == NULL) {
		free(w->value);
		free(w);
		return;
	}
	http_request_wakeup(w->ctx->req);
}

/* Sends GET key; 0, or -1 when Redis is not there. */
static int
cache_get(struct cachewait *w, int idx, const char *key)
{
	struct cacheslot *sl = malloc(sizeof(*sl));
	const char *argv[2] = {"GET", key};
	size_t argvlen[2] = {3, strlen(key)};

	if (sl == NULL)
		return -1;
	sl->w = w;
	sl->idx = idx;
	w->pending++;
	if (mp_redis_command(cache_reply, sl, 2, argv, argvlen) != 0) {
		w->pending--;
		free(sl);
		return -1;
	}
	return 0;
}

/* The answer as stored: the body the client gets, its ETag, 304s. */
static int
cache_answer(struct gqlreq *g, const void *body, size_t len, const char *etag,
             const char *xcache)
{
	struct mp_ctx *ctx = g->ctx;

	gw_cache_reply_headers(ctx, etag, xcache,
	                       "Accept, Accept-Language, Authorization");
	if (gw_cache_not_modified(ctx, etag))
		return MP_DONE;
	return mp_reply_raw(ctx, 200,
	                    g->gql_media ? CT_GQL "; charset=utf-8"
	                                 : CT_JSON "; charset=utf-8",
	                    body, len);
}

/* The reads an answer was made of, from its stored content type
 * ("application/json; reads=<n>"); 0 when it does not say. */
static int
stored_reads(const char *ctype)
{
	const char *p = ctype != NULL ? strstr(ctype, "; reads=") : NULL;
	char *end;
	long n;

	if (p == NULL)
		return 0;
	n = strtol(p + 8, &end, 10);
	return *end == '\0' && n > 0 && n <= INT32_MAX ? (int)n : 0;
}

/* A hit, charged: served, or refused 429 (see "Rate limits" above). */
static int
cache_charged(struct mp_ctx *ctx)
{
	struct gqlreq *g = ctx->user;
	int retry;

	if (gw_rate_charge_pending(g->charge)) {
		http_request_sleep(ctx->req);
		return MP_WAIT;
	}
	ctx->resume = NULL;
	if ((retry = gw_rate_charge_answer(g->charge, ctx)) > 0) {
		mp_metrics_counter_add(m_refused, 1);
		gql_error_add(&g->errs, "RATE_LIMITED",
		              "Too many requests: this operation counts as %d "
		              "reads; retry after %d s (Retry-After).",
		              g->hit_reads, retry);
		return respond(
		    g, 429,
		    json_pack("{s:o}", "errors", gql_errors_json(&g->errs)));
	}
	mp_metrics_counter_add(m_cache_hit, 1);
	return cache_answer(g, g->hit.body, g->hit.body_len, g->hit.etag,
	                    "hit");
}

/* A hit: count its reads against the caller before serving it. */
static int
cache_charge(struct gqlreq *g)
{
	int rc = gw_rate_charge_start(g->ctx, g->hit_reads, &g->charge);

	if (rc < 0)
		return mp_reply_problem(g->ctx, 500, "internal", NULL);
	if (rc == 0)
		return cache_charged(g->ctx);
	g->ctx->resume = cache_charged;
	http_request_sleep(g->ctx->req);
	return MP_WAIT;
}

static int
cache_resumed(struct mp_ctx *ctx)
{
	struct gqlreq *g = ctx->user;
	struct cachewait *w = g->cw;
	struct gw_cache_entry ce;
	uint64_t stored;

	if (w->pending > 0) {
		http_request_sleep(ctx->req);
		return MP_WAIT;
	}
	ctx->resume = NULL;
	if (w->nup < 0)
		g->cache_on = 0;
	else if (w->value != NULL &&
	         gw_cache_value_decode(w->value, w->vlen, &stored, &ce) == 0 &&
	         ce.status == 200 && (stored & 0xffu) != 0 &&
	         combined_gen(w->gen, w->nup, (unsigned)(stored & 0xffu)) ==
	             stored) {
		if ((g->hit_reads = stored_reads(ce.content_type)) > 0) {
			g->hit = ce;
			return cache_charge(g);
		}
	}
	return persisted(g, json_object_get(g->params, "extensions"), NULL, 0);
}

/* A persisted GET: look its answer up, then run it if not found. */
static int
cache_lookup(struct gqlreq *g, json_t *ext)
{
	struct mp_ctx *ctx = g->ctx;
	struct gw_cache_control cc;
	struct gw_cache_req cr;
	const char *h = mp_header(ctx, "cache-control");
	char gen[GW_CACHE_KEY_MAX];
	int use_stored, i;

	upstreams_sorted();
	(void)gw_cache_request_mode(
	    h != NULL && gw_cache_control_parse(h, &cc) == 0 ? &cc : NULL,
	    &use_stored, &g->may_store);
	memset(&cr, 0, sizeof(cr));
	cr.service = "graphql";
	cr.path = ctx->req->path;
	cr.query = ctx->req->query_string;
	cr.accept_language = mp_header(ctx, "accept-language");
	cr.principal = ctx->principal.authenticated ? &ctx->principal : NULL;
	if ((ctx->principal.authenticated &&
	     (ctx->principal.roles & ~(unsigned)GW_CACHE_SCOPED_ROLES) != 0) ||
	    (!use_stored && !g->may_store) || up_count == 0 ||
	    gw_cache_key(&cr, g->key, sizeof(g->key)) != 0 ||
	    (g->cw = calloc(1, sizeof(*g->cw))) == NULL)
		return persisted(g, ext, NULL, 0);
	g->cache_on = 1;
	g->ttl = -1;
	g->cw->ctx = ctx;
	g->cw->nup = up_count;
	for (i = 0; i < up_count; i++)
		if (gw_cache_gen_key(up_names[i], gen, sizeof(gen)) != 0 ||
		    cache_get(g->cw, i, gen) != 0)
			g->cw->nup = -1;
	if (use_stored && g->cw->nup > 0 &&
	    cache_get(g->cw, CACHE_UPSTREAMS, g->key) != 0)
		g->cw->nup = -1;
	if (g->cw->pending == 0)
		return cache_resumed(ctx);
	ctx->resume = cache_resumed;
	http_request_sleep(ctx->req);
	return MP_WAIT;
}

/* What read i of the pass says of the answer's cacheability: its TTL and
 * the generation it was answered under (an answer served from a copy
 * older than the look-up's generation is stored under the older one, so
 * the next look-up misses rather than keep it). */
static void
cache_read(struct gqlreq *g, int i)
{
	const char *h = gw_proxy_call_header(g->calls[i], GW_CACHE_TTL_HEADER);
	int bit = upstream_bit(g->fs[i]->service), ttl = 0;
	unsigned long long gen = 0;
	unsigned b;

	if (!g->cache_on)
		return;
	if (h == NULL || sscanf(h, "%d %llu", &ttl, &gen) != 2 || ttl <= 0 ||
	    bit < 0) {
		g->uncacheable = 1;
		return;
	}
	b = 1u << bit;
	if (!(g->touched & b) || gen < g->read_gen[bit])
		g->read_gen[bit] = gen;
	g->touched |= b;
	if (g->ttl < 0 || ttl < g->ttl)
		g->ttl = ttl;
}

/* The answer of a persisted GET: stored when every read was kept. */
static int
cache_respond(struct gqlreq *g, json_t *resp)
{
	struct gw_cache_entry ce;
	char etag[GW_ETAG_LEN], ex[16], ctype[48];
	char *text = json_dumps(resp, JSON_COMPACT);
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	json_decref(resp);
	if (text == NULL ||
	    gw_etag(text, strlen(text), etag, sizeof(etag)) != 0) {
		free(text);
		return mp_reply_problem(g->ctx, 500, "internal", NULL);
	}
	mp_metrics_counter_add(m_cache_miss, 1);
	memset(&ce, 0, sizeof(ce));
	ce.status = 200;
	snprintf(ctype, sizeof(ctype), CT_JSON "; reads=%d", g->reads);
	ce.content_type = ctype;
	ce.etag = etag;
	ce.body = text;
	ce.body_len = strlen(text);
	if (g->may_store && !g->uncacheable && g->ttl > 0 && g->touched != 0 &&
	    g->cw->nup > 0 &&
	    gw_cache_value_encode(
	        combined_gen(g->read_gen, up_count, g->touched), &ce, NULL, 0,
	        &len) == -ENOSPC &&
	    (buf = malloc(len)) != NULL &&
	    gw_cache_value_encode(
	        combined_gen(g->read_gen, up_count, g->touched), &ce, buf, len,
	        &len) == 0) {
		snprintf(ex, sizeof(ex), "%d", g->ttl);
		set_forget(g->key, buf, len, ex);
	}
	free(buf);
	rc = cache_answer(g, text, strlen(text), etag, "miss");
	free(text);
	return rc;
}

int
gw_graphql_handler(struct mp_ctx *ctx)
{
	struct gqlreq *g;
	json_t *params = NULL, *q, *vars, *opname, *ext;
	const char *text = NULL;
	size_t len = 0;
	int media, rc, m = ctx->req->method;

	if (m != HTTP_METHOD_GET && m != HTTP_METHOD_POST)
		return mp_reply_method_not_allowed(ctx, MP_GET | MP_POST);
	if (wants_page(ctx)) {
		if (!graphiql_ready())
			return mp_reply_problem(
			    ctx, 406, "not-acceptable",
			    "no GraphiQL page here (introspection "
			    "is off); ask for "
			    "application/json");
		page_csp(ctx);
		return mp_reply_raw(ctx, 200, "text/html; charset=utf-8",
		                    graphiql_page, strlen(graphiql_page));
	}
	if ((media = negotiate(ctx)) < 0)
		return mp_reply_problem(
		    ctx, 406, "not-acceptable",
		    "/graphql answers application/graphql-response+json or "
		    "application/json");
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->a = gql_arena_new()) == NULL) {
		free(g);
		return mp_reply_problem(ctx, 500, "internal", NULL);
	}
	g->ctx = ctx;
	g->gql_media = media;
	g->rl_left = -1;
	g->errs.arena = g->a;
	ctx->user = g;
	ctx->user_free = gqlreq_free;
	if (read_params(g, &params) != 0 || params == NULL)
		return MP_DONE;
	q = json_object_get(params, "query");
	vars = json_object_get(params, "variables");
	opname = json_object_get(params, "operationName");
	ext = json_object_get(params, "extensions");
	if ((q != NULL && !json_is_string(q)) ||
	    (vars != NULL && !json_is_object(vars) && !json_is_null(vars)) ||
	    (opname != NULL && !json_is_string(opname) &&
	     !json_is_null(opname)) ||
	    (ext != NULL && !json_is_object(ext) && !json_is_null(ext))) {
		json_decref(params);
		return request_error(
		    g, 1,
		    "query must be a string, variables and extensions "
		    "objects, operationName a string.");
	}
	/* the arena keeps the document; the variables outlive params */
	if (q != NULL) {
		len = json_string_length(q);
		text = gql_strndup(g->a, json_string_value(q), len);
	}
	g->vars = json_is_object(vars) ? json_incref(vars) : NULL;
	g->opname = json_is_string(opname)
	                ? gql_strndup(g->a, json_string_value(opname),
	                              json_string_length(opname))
	                : NULL;
	if (text == NULL && ctx->req->method == HTTP_METHOD_GET &&
	    json_is_object(json_object_get(ext, "persistedQuery"))) {
		/* a persisted GET: maybe answered from the cache */
		g->params = params;
		return cache_lookup(g, ext);
	}
	if (json_is_object(ext) || trusted != NULL) {
		rc = persisted(g, ext, text, len);
		json_decref(params);
		return rc;
	}
	json_decref(params);
	if (text == NULL)
		return request_error(g, 1, "The request has no query.");
	return execute(g, text, len);
}
