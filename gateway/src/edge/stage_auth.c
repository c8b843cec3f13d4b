/*
 * Stage "auth": who may call the route. The library verified any bearer
 * token already (signature, issuer, audience, expiry); here the route's
 * roles, or an API client's scopes, are checked (gw_route_authorize):
 * 401 with WWW-Authenticate when a token is needed, 403 when the
 * principal is not admitted. Revoked tokens are stage_revocation.c's.
 */
#include <errno.h>

#include "mp/service.h"

#include "edge/pipeline.h"
#include "edge/routing.h"
#include "edge/stages.h"

static int auth_access(struct gw_edge *e, void *st);

const struct gw_stage gw_stage_auth = {
    .name = "auth",
    .on = GW_ON_API,
    .access = auth_access,
};

static int
auth_access(struct gw_edge *e, void *st)
{
	struct mp_ctx *ctx = e->ctx;
	int rc;

	(void)st;
	rc = gw_route_authorize(e->route, &ctx->principal);
	if (rc == 0)
		return GW_NEXT;
	if (rc == -EACCES) {
		mp_reply_header(ctx, "WWW-Authenticate", "Bearer");
		return mp_reply_problem(
		    ctx, 401, "unauthenticated",
		    "a bearer token is required for this route");
	}
	return mp_reply_problem(
	    ctx, 403, "forbidden",
	    "the gateway's route table does not admit you here");
}
