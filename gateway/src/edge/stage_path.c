/*
 * Stage "path": path hygiene and the gateway's route table (routing.c over
 * route_table.c). 400 for a path that is not acceptable (dot segments,
 * encoded slashes, control bytes...), 414 too long, 404 no route, 405
 * with Allow for a method the route does not have; an OPTIONS request on
 * a known path is a CORS preflight (stage_cors.c). A query parameter
 * named twice is a 400 naming it (mp_query_split), unless the route says
 * GW_R_REPEATS: the service would read the first occurrence while the
 * cache key sorts them, so "?region=a&region=b" and "?region=b&region=a"
 * would share an entry but not an answer. (The library checks every other
 * rule of query strings for the /v1 prefixes; service.c marks them
 * MP_ROUTE_REPEATS so that this stage decides per route.) Every answer
 * comes from the gateway itself: nothing unknown reaches an upstream.
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

static int path_parent_init(void);
static int path_access(struct gw_edge *e, void *st);
static int repeats_or_reply(struct gw_edge *e);

const struct gw_stage gw_stage_path = {
    .name = "path",
    .on = GW_ON_API,
    .parent_init = path_parent_init,
    .access = path_access,
};

/* The route table's self-check: the gateway refuses to start on a bad
 * entry. */
static int
path_parent_init(void)
{
	char bad_route[256];
	size_t bad = 0;

	if (gw_route_table_validate(gw_routes, gw_nroutes, &bad, bad_route,
	                            sizeof(bad_route)) != 0) {
		fprintf(stderr, "gateway: route table entry %zu: %s\n", bad,
		        bad_route);
		return -1;
	}
	return 0;
}

static int
path_access(struct gw_edge *e, void *st)
{
	struct mp_ctx *ctx = e->ctx;
	struct http_request *req = ctx->req;
	unsigned method = (unsigned)req->method;
	int rc;

	(void)st;
	if (method == HTTP_METHOD_HEAD)
		method = GW_M_GET;
	rc = gw_route_match(gw_routes, gw_nroutes, method, req->path, &e->m);
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
