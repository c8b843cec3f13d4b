/*
 * The gateway: its route table and definition for the shared runtime.
 *
 * Everything under /v1/funding, /v1/cases and /v1/gender (every method)
 * goes to the service that owns it (proxy.c). Tokens are not enforced here
 * yet: a token that is sent is verified by the library, and each service
 * checks roles and regions itself.
 */
#include "mp/service.h"

#include "proxy.h"

#define PROXY_FLAGS (MP_ROUTE_PUBLIC | MP_ROUTE_PREFIX | MP_ROUTE_ANY_METHOD)

static const struct mp_route routes[] = {
	{MP_GET, "/v1/funding", proxy_handler, PROXY_FLAGS, 0},
	{MP_GET, "/v1/cases", proxy_handler, PROXY_FLAGS, 0},
	{MP_GET, "/v1/gender", proxy_handler, PROXY_FLAGS, 0},
};

const struct mp_service mp_service_def = {
	.name = "gateway",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.uses_db = 1,
	.uses_redis = 1,
	.relay = 0,
	.parent_init = proxy_parent_init,
	.worker_init = proxy_worker_init,
};
