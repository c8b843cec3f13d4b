/*
 * Stage "path": path hygiene and the route table of the upstream that owns
 * the path (/v1/<name>/..., route_table.h: the table that upstream serves
 * at /_routes). 404 for a path no upstream owns or no route of its table
 * matches, 400 for a path that is not acceptable (dot segments, encoded
 * slashes, control bytes...), 414 too long, 405 with Allow for a method
 * the route does not have; an OPTIONS request on a known path is a CORS
 * preflight (stage_cors.c). An upstream not deployed here is 503
 * upstream-not-configured; one whose table has not been loaded yet (it
 * has been down since the gateway started) is 503 routes-unavailable.
 * A query parameter named twice is a 400 naming it (mp_query_split),
 * unless the route says GW_R_REPEATS (the service's MP_ROUTE_REPEATS):
 * the service would read the first occurrence while the cache key sorts
 * them, so "?region=a&region=b" and "?region=b&region=a" would share an
 * entry but not an answer. (The library checks every other rule of query
 * strings for the /v1 prefix; service.c marks it MP_ROUTE_REPEATS so that
 * this stage decides per route.) Every answer comes from the gateway
 * itself: nothing unknown reaches an upstream.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/query.h"
#include "mp/service.h"

#include "edge/edge.h"
#include "edge/pipeline.h"
#include "edge/route_table.h"
#include "edge/routing.h"
#include "edge/stages.h"
#include "proxy/proxy.h"

static int path_access(struct gw_edge *e, void *st);
static int repeats_or_reply(struct gw_edge *e);
static int no_table(struct gw_edge *e, int i);

const struct gw_stage gw_stage_path = {
    .name = "path",
    .on = GW_ON_API,
    .access = path_access,
};

static int
no_table(struct gw_edge *e, int i)
{
	struct mp_ctx *ctx = e->ctx;
	int retry = 1;

	if (gw_proxy_upstream_check(gw_proxy_upstream_name(i), &retry) ==
	    -ENOENT) {
		mp_reply_header(ctx, "Retry-After", "30");
		return mp_reply_problem(ctx, 503, "upstream-not-configured",
		                        "this part of the API is not available "
		                        "here");
	}
	mp_reply_header(ctx, "Retry-After", "5");
	return mp_reply_problem(ctx, 503, "routes-unavailable",
	                        "this part of the API has not been reached "
	                        "yet; retry");
}

static int
path_access(struct gw_edge *e, void *st)
{
	struct mp_ctx *ctx = e->ctx;
	struct http_request *req = ctx->req;
	unsigned method = (unsigned)req->method;
	int rc, i;

	(void)st;
	if (method == HTTP_METHOD_HEAD)
		method = GW_M_GET;
	/* hygiene first: a bad path is 400 whoever would own it */
	if ((rc = gw_path_check(req->path)) == 0 &&
	    (i = gw_routes_index(req->path)) >= 0) {
		if ((e->table = gw_routes_current(i)) == NULL)
			return no_table(e, i);
		gw_route_table_hold(e->table);
		rc = gw_route_match(e->table->routes, e->table->n, method,
		                    req->path, &e->m);
	} else if (rc == 0) {
		rc = -ENOENT; /* no upstream owns it */
	}
	if (req->method == HTTP_METHOD_OPTIONS &&
	    (rc == 0 || rc == -EOPNOTSUPP))
		return gw_cors_preflight_reply(ctx);
	if (rc == -EOPNOTSUPP)
		return mp_reply_method_not_allowed(ctx, e->m.allow);
	if (rc == -ENOENT)
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	if (rc == -ENAMETOOLONG)
		return mp_reply_problem(ctx, 414, "uri-too-long",
		                        "the request path is too long");
	if (rc != 0)
		return mp_reply_problem(ctx, 400, "bad-path",
		                        "the request path is not acceptable");
	e->route = e->m.route;
	return repeats_or_reply(e);
}

/* GW_NEXT, or the answer to a parameter named twice on a route that does
 * not take repeats (400 naming it; 503 out of memory). */
static int
repeats_or_reply(struct gw_edge *e)
{
	struct mp_query q;
	json_t *problem = NULL;
	int rc;

	if (e->route->flags & GW_R_REPEATS)
		return GW_NEXT;
	memset(&q, 0, sizeof(q));
	rc = mp_query_split(e->ctx->req->query_string, &q, &problem);
	mp_query_clear(&q);
	if (rc == 0)
		return GW_NEXT;
	if (problem != NULL)
		return mp_reply_problem_json(e->ctx, problem);
	return mp_reply_problem(e->ctx, 503, "overloaded",
	                        "out of memory; retry shortly");
}
