/*
 * The gateway: its route table and definition for the shared runtime.
 *
 * Everything under /v1 (every method) goes through the gateway's pipeline
 * (edge/stages.c: the route table the owning upstream serves at /_routes,
 * roles and scopes, revocation, rate limits, idempotency keys, cache,
 * CORS) to the upstream of MP_UPSTREAMS that owns /v1/<name>
 * (proxy/proxy.c). For the library this prefix is public: it verifies a
 * token that is sent, and the pipeline decides who may call what; each
 * service checks again.
 *
 * /auth/token and /auth/register pass the AUTH rate limit first (edge.c).
 * OPTIONS on /auth and /admin (prefix routes) answers CORS preflights.
 *
 * /auth/... and /.well-known/jwks.json are the gateway's own identity and
 * token service (identity/auth.c, identity/jwks.c); /admin/... manages
 * accounts and API clients (identity/admin.c, role admin). Those behind a
 * token refuse a revoked one like /v1 does, and carry CORS headers: their
 * handlers run behind the edge's GW_ON_OWN stages (gw_edge_own).
 */
#include "mp/log.h"
#include "mp/principal.h"
#include "mp/revocation.h"
#include "mp/runtime.h"
#include "mp/service.h"

#include "edge/edge.h"
#include "edge/invalidate.h"
#include "graphql/graphql.h"
#include "identity/admin.h"
#include "identity/auth.h"
#include "identity/jwks.h"
#include "identity/pwhash.h"
#include "openapi/openapi.h"
#include "proxy/proxy.h"
#include "proxy/upstreams.h"

/* MP_ROUTE_REPEATS: the edge decides per route whether a query parameter
 * may repeat (edge/stage_path.c); the library checks the other rules. */
#define PROXY_FLAGS                                                            \
	(MP_ROUTE_PUBLIC | MP_ROUTE_PREFIX | MP_ROUTE_ANY_METHOD |             \
	 MP_ROUTE_REPEATS)
#define PREFLIGHT_FLAGS (MP_ROUTE_PUBLIC | MP_ROUTE_PREFIX)
#define MP_OPTIONS 0x0040 /* Kore's HTTP_METHOD_OPTIONS */

/* name_own: `name` behind the GW_ON_OWN stages (revocation, CORS). */
#define OWN_ROUTE(name)                                                        \
	static int name##_own(struct mp_ctx *ctx)                              \
	{                                                                      \
		return gw_edge_own(ctx, name);                                 \
	}
OWN_ROUTE(gw_auth_revoke)
OWN_ROUTE(gw_auth_me)
OWN_ROUTE(gw_admin_users_list)
OWN_ROUTE(gw_admin_users_create)
OWN_ROUTE(gw_admin_users_get)
OWN_ROUTE(gw_admin_users_patch)
OWN_ROUTE(gw_admin_clients_list)
OWN_ROUTE(gw_admin_clients_create)
OWN_ROUTE(gw_admin_clients_delete)
/* /graphql refuses a revoked token up front: its cached answers are
 * served without any read that would refuse it (graphql/http.c) */
OWN_ROUTE(gw_graphql_handler)

static const struct mp_route routes[] = {
    {MP_GET, "/v1", gw_edge_handler, PROXY_FLAGS, 0},
    {MP_POST, "/auth/token", gw_edge_auth_token, MP_ROUTE_PUBLIC, 0},
    {MP_POST, "/auth/revoke", gw_auth_revoke_own, MP_ROUTE_PUBLIC, 0},
    {MP_POST, "/auth/register", gw_edge_auth_register, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/auth/me", gw_auth_me_own, 0, 0},
    {MP_GET, "/.well-known/jwks.json", gw_jwks_get, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/graphql", gw_graphql_handler_own, MP_ROUTE_PUBLIC, 0},
    {MP_POST, "/graphql", gw_graphql_handler_own, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/graphql/assets/{name}", gw_graphql_asset, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/docs", gw_graphql_docs, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/openapi", gw_openapi_index, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/openapi/{name}", gw_openapi_file, MP_ROUTE_PUBLIC, 0},
    {MP_GET, "/admin/users", gw_admin_users_list_own, 0, MP_ROLE_ADMIN},
    {MP_POST, "/admin/users", gw_admin_users_create_own, 0, MP_ROLE_ADMIN},
    {MP_GET, "/admin/users/{id}", gw_admin_users_get_own, 0, MP_ROLE_ADMIN},
    {MP_PATCH, "/admin/users/{id}", gw_admin_users_patch_own, 0, MP_ROLE_ADMIN},
    {MP_GET, "/admin/clients", gw_admin_clients_list_own, 0, MP_ROLE_ADMIN},
    {MP_POST, "/admin/clients", gw_admin_clients_create_own, 0, MP_ROLE_ADMIN},
    {MP_DELETE, "/admin/clients/{id}", gw_admin_clients_delete_own, 0,
     MP_ROLE_ADMIN},
    {MP_OPTIONS, "/auth", gw_edge_preflight, PREFLIGHT_FLAGS, 0},
    {MP_OPTIONS, "/admin", gw_edge_preflight, PREFLIGHT_FLAGS, 0},
    /* a browser's GraphQL POST (JSON, a token) is preflighted */
    {MP_OPTIONS, "/graphql", gw_edge_preflight, PREFLIGHT_FLAGS, 0},
};

static int gw_parent_init(void);

/* /openapi/ (openapi.c), the upstreams' readiness (upstreams.c), the
 * password hashing threads (pwhash.c). */
static const struct mp_extension *const extensions[] = {
    &gw_openapi_extension,
    &gw_pwhash_extension,
    &gw_upstreams_extension,
    &gw_graphql_extension,
    NULL,
};

/* The proxy's and the pipeline's set-up, then the token service's (which needs
 * the migrated database and the library's MP_JWT_KEYS). */
static int
gw_parent_init(void)
{
	if (gw_proxy_parent_init() != 0 || gw_invalidate_parent_init() != 0 ||
	    gw_edge_parent_init() != 0 || gw_jwks_parent_init() != 0 ||
	    gw_auth_parent_init() != 0)
		return -1;
	return 0;
}

/* Each worker: its libcurl multi handle, and its view of revoked tokens
 * (loaded before it serves; edge/stage_revocation.c). */
static int
gw_worker_init(void)
{
	if (gw_proxy_worker_init() != 0)
		return -1;
	if (mp_revocation_start(mp_settings.db_url) != 0) {
		mp_log(MP_LOG_ERROR, "edge",
		       "cannot start the revocation view");
		return -1;
	}
	return 0;
}

const struct mp_service mp_service_def = {
    .name = "gateway",
    .routes = routes,
    .nroutes = sizeof(routes) / sizeof(routes[0]),
    .uses_db = 1,
    .uses_redis = 1,
    .relay = 1, /* events:gateway: gateway.token.revoked.v1 */
    .consumers = gw_invalidate_consumers,
    .extensions = extensions,
    .ops_private = 1, /* /metrics, /_routes: on MP_OPS_PORT only */
    .headers = gw_edge_reply_headers, /* security and CORS, once */
    /* the façade's reads of an operation in flight at a SIGTERM */
    .drain_exempt = gw_graphql_internal,
    .parent_init = gw_parent_init,
    .worker_init = gw_worker_init,
};
