/*
 * The funding service: its route table and definition for the shared
 * runtime. openapi/funding.yaml lists exactly these routes (a contract
 * test compares them).
 */
#include "mp/service.h"

#include "reference.h"

static const struct mp_route routes[] = {
	{MP_GET, "/v1/funding/regions", funding_regions_list, MP_ROUTE_PUBLIC,
	    0},
	{MP_GET, "/v1/funding/regions/{region}/provinces",
	    funding_provinces_list, MP_ROUTE_PUBLIC, 0},
};

const struct mp_service mp_service_def = {
	.name = "funding",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.uses_db = 1,
	.uses_redis = 1,
	.relay = 1,
};
