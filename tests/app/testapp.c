/*
 * A small service that exercises the shared library end to end for the
 * integration suite (tests/integration/check_foundation.c): async queries,
 * a write with its outbox event, a consumer with an inbox, a protected
 * route and strict bodies. Not deployed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/service.h"

static int sum(struct mp_ctx *ctx);
static int sum_done(struct mp_ctx *ctx);
static int item_create(struct mp_ctx *ctx);
static int item_created(struct mp_ctx *ctx);
static int item_get(struct mp_ctx *ctx);
static int effects_get(struct mp_ctx *ctx);
static int reply_row(struct mp_ctx *ctx);
static int secure(struct mp_ctx *ctx);
static int echo(struct mp_ctx *ctx);
static int slow(struct mp_ctx *ctx);
static int big(struct mp_ctx *ctx);
static int extra(struct mp_ctx *ctx);
static int headers(struct mp_ctx *ctx);
static int testapp_parent_init(void);
static int apply_item_event(PGconn *conn, const json_t *ev, void *arg);

static const char *const colours[] = {"red", "green", NULL};
static const struct mp_field item_schema[] = {
    {"name", MP_F_STRING, MP_F_REQUIRED, 1, 100, 0, 0, NULL, NULL, NULL},
    {"qty", MP_F_INT, MP_F_REQUIRED, 0, 0, 0, 1000, NULL, NULL, NULL},
    {"colour", MP_F_ENUM, 0, 0, 0, 0, 0, colours, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL},
};

static char extra_path[128] = "/v1/test/extra";

static const struct mp_route routes[] = {
    {MP_GET, "/v1/test/sum", sum, MP_ROUTE_PUBLIC, 0},
    {MP_POST, "/v1/test/items", item_create, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/v1/test/items/{id}", item_get, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/v1/test/effects/{id}", effects_get, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/v1/test/secure", secure, 0, MP_ROLE_COUNCIL_OFFICER},
    {MP_POST, "/v1/test/echo", echo, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/v1/test/slow", slow, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/v1/test/big", big, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/v1/test/headers", headers, MP_ROUTE_PUBLIC, 0},
    /* a route whose path each start takes from MP_TESTAPP_EXTRA_ROUTE:
     * the gateway's suite adds, removes and spoils routes by restarting
     * only this process (check_gateway_routes.c) */
    {MP_GET, extra_path, extra, 0, MP_ROLE_COUNCIL_OFFICER, NULL, 30},
};

static const struct mp_consumer_def consumers[] = {
    {"events:testapp", "testapp", apply_item_event, NULL, 1},
    {NULL, NULL, NULL, NULL, 0},
};

const struct mp_service mp_service_def = {
    .name = "testapp",
    .routes = routes,
    .nroutes = sizeof(routes) / sizeof(routes[0]),
    .uses_db = 1,
    .uses_redis = 1,
    .relay = 1,
    .consumers = consumers,
    .parent_init = testapp_parent_init,
};

static int
testapp_parent_init(void)
{
	const char *v = getenv("MP_TESTAPP_EXTRA_ROUTE");

	if (v != NULL && *v != '\0')
		snprintf(extra_path, sizeof(extra_path), "%s", v);
	return 0;
}

/* The extra route: which path it was, and a number that changes on every
 * call (a cached answer repeats it). */
static int
extra(struct mp_ctx *ctx)
{
	static long long calls;

	return mp_reply_json(
	    ctx, 200,
	    json_pack("{s:s, s:I}", "route", extra_path, "call", ++calls));
}

static int
sum(struct mp_ctx *ctx)
{
	const char *v[2] = {mp_query(ctx, "a"), mp_query(ctx, "b")};

	if (v[0] == NULL || v[1] == NULL)
		return mp_reply_problem(
		    ctx, 400, "validation",
		    "query parameters a and b are required");
	return mp_db_query(ctx, sum_done,
	                   "SELECT json_build_object('sum', $1::int + $2::int)",
	                   2, v);
}

static int
sum_done(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 200);
}

static int
item_create(struct mp_ctx *ctx)
{
	json_t *body;
	char qty[24];
	const char *v[4];

	if (mp_body_or_reply(ctx, item_schema, &body) != 0)
		return MP_DONE;
	snprintf(qty, sizeof(qty), "%lld",
	         (long long)json_integer_value(json_object_get(body, "qty")));
	v[0] = json_string_value(json_object_get(body, "name"));
	v[1] = qty;
	v[2] = json_string_value(json_object_get(body, "colour"));
	v[3] = ctx->request_id;
	/* values are copied by mp_db_query: the body can go now */
	int rc = mp_db_query(ctx, item_created,
	                     "SELECT testapp_item_create($1, $2::int, $3, $4)",
	                     4, v);
	json_decref(body);
	return rc;
}

static int
item_created(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 201);
}

static int
reply_row(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 200);
}

static int
item_get(struct mp_ctx *ctx)
{
	const char *v[1] = {mp_param(ctx, "id")};

	return mp_db_query(
	    ctx, reply_row,
	    "SELECT row_to_json(i) FROM items i WHERE id::text = $1", 1, v);
}

static int
effects_get(struct mp_ctx *ctx)
{
	const char *v[1] = {mp_param(ctx, "id")};

	return mp_db_query(
	    ctx, reply_row,
	    "SELECT json_build_object('count', count(*)) FROM effects "
	    "WHERE item_id::text = $1",
	    1, v);
}

static int
secure(struct mp_ctx *ctx)
{
	return mp_reply_json(ctx, 200,
	                     json_pack("{s:s, s:s}", "subject",
	                               ctx->principal.subject, "region",
	                               ctx->principal.region));
}

static int
echo(struct mp_ctx *ctx)
{
	json_t *body;

	if (mp_body_or_reply(ctx, item_schema, &body) != 0)
		return MP_DONE;
	return mp_reply_json(ctx, 200, body);
}

/* Response headers as a handler may add them (check_foundation.c): many
 * (past the request's first header buffer), one replaced, and two that
 * would split the header block, which the library drops. */
static int
headers(struct mp_ctx *ctx)
{
	char name[32], value[128];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "X-Many-%d", i);
		snprintf(value, sizeof(value), "%d-%0*d", i, 90, 0);
		mp_reply_header(ctx, name, value);
	}
	mp_reply_header(ctx, "X-Set", "first");
	mp_reply_header(ctx, "X-Bad", "a\r\nX-Injected: 1");
	mp_reply_header(ctx, "X-Bad: x\r\nX-Injected", "1");
	/* refused bytes anywhere in a long value (it is checked a word at a
	 * time), a HTAB and obs-text kept */
	mp_reply_header(ctx, "X-Bad-Word", "0123456789\rX-Injected: 1");
	mp_reply_header(ctx, "X-Bad-Del", "01234567890123\x7f");
	mp_reply_header(ctx, "X-Bad-Nul", "0123456789abcdef\x01");
	mp_reply_header(ctx, "X-Tab", "tab\tafter eight bytes\t\xc3\xa9");
	mp_reply_header(ctx, "X-After", "kept");
	mp_reply_header_set(ctx, "X-Set", "second");
	return mp_reply_raw(ctx, 200, "text/plain", "ok", 2);
}

/* A request that stays in flight for a second (graceful shutdown test). */
static int
slow(struct mp_ctx *ctx)
{
	return mp_db_query(
	    ctx, reply_row,
	    "SELECT json_build_object('slept', pg_sleep(1) IS NULL)", 0, NULL);
}

/* A 2 MB answer: large results and bodies must not trip the sandbox. */
static int
big(struct mp_ctx *ctx)
{
	return mp_db_query(
	    ctx, reply_row,
	    "SELECT json_build_object('x', repeat('a', 2000000))", 0, NULL);
}

/* The consumer's effect: one row per applied event (no unique key, so a
 * double application would show as two rows). */
static int
apply_item_event(PGconn *conn, const json_t *ev, void *arg)
{
	const json_t *data = json_object_get(ev, "data");
	const char *v[2];
	PGresult *res;
	int ok;

	(void)arg;
	v[0] = json_string_value(json_object_get(data, "item_id"));
	v[1] = json_string_value(json_object_get(ev, "id"));
	if (v[0] == NULL)
		return 0; /* not an item event: nothing to do */
	res = PQexecParams(conn,
	                   "INSERT INTO effects (item_id, event_id) "
	                   "VALUES ($1::uuid, $2)",
	                   2, NULL, v, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0 : -1;
}
