/*
 * The cases service: its route table and definition for the shared
 * runtime. openapi/cases.yaml lists exactly these routes (a contract test
 * compares them). Roles here are the first gate; region and ownership are
 * checked by each route's SQL function.
 */
#include "mp/service.h"

#include "directory.h"

#define OFF (MP_ROLE_COUNCIL_OFFICER | MP_ROLE_ADMIN)
#define PUB MP_ROUTE_PUBLIC

static const struct mp_route routes[] = {
    /* service directory: HSDS 3.0 (public, read-only) */
    {MP_GET, "/v1/cases/hsds", cases_hsds_root, PUB, 0},
    {MP_GET, "/v1/cases/hsds/services", cases_hsds_services, PUB, 0},
    {MP_GET, "/v1/cases/hsds/services/{id}", cases_hsds_service_get, PUB, 0},
    {MP_GET, "/v1/cases/hsds/service_at_locations",
     cases_hsds_service_at_locations, PUB, 0},
    {MP_GET, "/v1/cases/hsds/service_at_locations/{id}",
     cases_hsds_service_at_location_get, PUB, 0},
    {MP_GET, "/v1/cases/hsds/organizations", cases_hsds_organizations, PUB, 0},
    {MP_GET, "/v1/cases/hsds/organizations/{id}", cases_hsds_organization_get,
     PUB, 0},
    {MP_GET, "/v1/cases/hsds/taxonomies", cases_hsds_taxonomies, PUB, 0},
    {MP_GET, "/v1/cases/hsds/taxonomies/{id}", cases_hsds_taxonomy_get, PUB, 0},
    {MP_GET, "/v1/cases/hsds/taxonomy_terms", cases_hsds_taxonomy_terms, PUB,
     0},
    {MP_GET, "/v1/cases/hsds/taxonomy_terms/{id}", cases_hsds_taxonomy_term_get,
     PUB, 0},
    /* service directory: officers' writes */
    {MP_POST, "/v1/cases/directory/organizations",
     cases_directory_organization_create, 0, OFF},
    {MP_PATCH, "/v1/cases/directory/organizations/{id}",
     cases_directory_organization_update, 0, OFF},
    {MP_POST, "/v1/cases/directory/services", cases_directory_service_create, 0,
     OFF},
    {MP_PATCH, "/v1/cases/directory/services/{id}",
     cases_directory_service_update, 0, OFF},
    {MP_POST, "/v1/cases/directory/locations", cases_directory_location_create,
     0, OFF},
    {MP_PATCH, "/v1/cases/directory/locations/{id}",
     cases_directory_location_update, 0, OFF},
    {MP_POST, "/v1/cases/directory/service_at_locations",
     cases_directory_sal_create, 0, OFF},
    {MP_PATCH, "/v1/cases/directory/service_at_locations/{id}",
     cases_directory_sal_update, 0, OFF},
};

const struct mp_service mp_service_def = {
    .name = "cases",
    .routes = routes,
    .nroutes = sizeof(routes) / sizeof(routes[0]),
    .uses_db = 1,
    .uses_redis = 1,
    .relay = 1,
    .revocation = 1, /* refuse what the gateway revoked (mp/revocation.h) */
};
