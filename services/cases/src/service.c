/*
 * The cases service: its route table and definition for the shared runtime.
 */
#include "mp/service.h"

static const struct mp_route routes[] = {
	{0, NULL, NULL, 0, 0},
};

const struct mp_service mp_service_def = {
	.name = "cases",
	.routes = routes,
	.nroutes = 0,
	.uses_db = 1,
	.uses_redis = 1,
	.relay = 1,
};
