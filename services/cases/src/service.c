/*
 * The cases service: its route table and definition for the shared
 * runtime. openapi/cases.yaml lists exactly these routes (a contract test
 * compares them). Roles here are the first gate; region, commune,
 * assignment, certification and consent are checked by each route's
 * decide step and SQL function.
 */
#include "mp/log.h"
#include "mp/service.h"

#include "directory.h"
#include "protect.h"
#include "routes.h"

#define OFF (MP_ROLE_COUNCIL_OFFICER | MP_ROLE_ADMIN)
#define AGT MP_ROLE_MUNICIPAL_AGENT
#define MED MP_ROLE_MEDIATOR
#define WRK (AGT | MED)
#define ALL (AGT | MED | OFF)
#define PUB MP_ROUTE_PUBLIC

/* The service directory (HSDS) is the same for everyone: public data the
 * gateway caches 300 s under one key for every caller (an officer's write
 * emits a cases.directory.* event, which drops it), open to API clients
 * with the scope cases:read. Writes and everything about people are never
 * cached by the gateway and refuse API clients. */
#define DIR (MP_ROUTE_PUBLIC | MP_ROUTE_PUBLIC_DATA)
#define DIR_READ "cases:read"
#define TTL_DIR 300

static int cases_init(void);

static const struct mp_route routes[] = {
    /* service directory: HSDS 3.0 (public, read-only) */
    {MP_GET, "/v1/cases/hsds", cases_hsds_root, DIR, 0, DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/services", cases_hsds_services, DIR, 0, DIR_READ,
     TTL_DIR},
    {MP_GET, "/v1/cases/hsds/services/{id}", cases_hsds_service_get, DIR, 0,
     DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/service_at_locations",
     cases_hsds_service_at_locations, DIR, 0, DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/service_at_locations/{id}",
     cases_hsds_service_at_location_get, DIR, 0, DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/organizations", cases_hsds_organizations, DIR, 0,
     DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/organizations/{id}", cases_hsds_organization_get,
     DIR, 0, DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/taxonomies", cases_hsds_taxonomies, DIR, 0,
     DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/taxonomies/{id}", cases_hsds_taxonomy_get, DIR, 0,
     DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/taxonomy_terms", cases_hsds_taxonomy_terms, DIR, 0,
     DIR_READ, TTL_DIR},
    {MP_GET, "/v1/cases/hsds/taxonomy_terms/{id}", cases_hsds_taxonomy_term_get,
     DIR, 0, DIR_READ, TTL_DIR},
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
    /*
     * Accompaniment: personal data. The gateway facts stay at their
     * defaults on purpose: no API client scope (only signed-in agents,
     * mediators and officers), never cached by the gateway (cache_ttl_s
     * 0: a person's answer must not sit in Redis), rate class "default"
     * for reads and "write" for writes.
     */
    /* persons, consent, rights */
    {MP_POST, "/v1/cases/persons", cases_person_create, 0, WRK},
    {MP_GET, "/v1/cases/persons", cases_persons_list, 0, ALL},
    {MP_GET, "/v1/cases/persons/{id}", cases_person_get, 0, ALL},
    {MP_PATCH, "/v1/cases/persons/{id}", cases_person_update, 0, WRK},
    {MP_POST, "/v1/cases/persons/{id}/consents", cases_consent_create, 0, WRK},
    {MP_POST, "/v1/cases/consents/{id}/withdrawal", cases_consent_withdraw, 0,
     ALL},
    {MP_GET, "/v1/cases/persons/{id}/export", cases_person_export, 0,
     AGT | OFF},
    {MP_POST, "/v1/cases/persons/{id}/erasure", cases_person_erase, 0, OFF},
    /* cases */
    {MP_POST, "/v1/cases/cases", cases_case_open, 0, WRK},
    {MP_GET, "/v1/cases/cases", cases_cases_list, 0, ALL},
    {MP_GET, "/v1/cases/cases/{id}", cases_case_get, 0, ALL},
    {MP_POST, "/v1/cases/cases/{id}/transitions", cases_case_transition, 0,
     WRK},
    {MP_PUT, "/v1/cases/cases/{id}/assignment", cases_case_assign, 0,
     AGT | OFF},
    {MP_POST, "/v1/cases/cases/{id}/notes", cases_case_note, 0, ALL},
    /* referrals and mediation */
    {MP_POST, "/v1/cases/cases/{id}/referrals", cases_referral_create, 0, WRK},
    {MP_GET, "/v1/cases/referrals/overdue", cases_referrals_overdue, 0, ALL},
    {MP_GET, "/v1/cases/referrals/{id}", cases_referral_get, 0, ALL},
    {MP_POST, "/v1/cases/referrals/{id}/transitions", cases_referral_transition,
     0, WRK},
    {MP_POST, "/v1/cases/cases/{id}/mediations", cases_mediation_create, 0,
     WRK},
    {MP_PATCH, "/v1/cases/mediations/{id}", cases_mediation_update, 0, WRK},
    /* training and certification */
    {MP_POST, "/v1/cases/training/sessions", cases_training_session_create, 0,
     OFF},
    {MP_GET, "/v1/cases/training/sessions", cases_training_sessions_list, 0,
     OFF},
    {MP_PUT, "/v1/cases/training/sessions/{id}/attendance",
     cases_training_attendance, 0, OFF},
    {MP_POST, "/v1/cases/training/certifications", cases_certification_create,
     0, OFF},
    {MP_GET, "/v1/cases/training/certifications", cases_certifications_list, 0,
     ALL},
    {MP_POST, "/v1/cases/training/certifications/{id}/revocation",
     cases_certification_revoke, 0, OFF},
    /* audit and dashboards */
    {MP_GET, "/v1/cases/audit", cases_audit_list, 0, OFF},
    {MP_GET, "/v1/cases/dashboard", cases_dashboard, 0, OFF},
};

/* The keys of personal data: checked in the parent (a bad key stops the
 * start), loaded again in each worker. */
static int
cases_init(void)
{
	return cases_protect_init() == 0 ? 0 : -1;
}

const struct mp_service mp_service_def = {
    .name = "cases",
    .routes = routes,
    .nroutes = sizeof(routes) / sizeof(routes[0]),
    .uses_db = 1,
    .uses_redis = 1,
    .relay = 1,
    .revocation = 1, /* refuse what the gateway revoked (mp/revocation.h) */
    .parent_init = cases_init,
    .worker_init = cases_init,
};
