/*
 * The funding service: its route table and definition for the shared
 * runtime. openapi/funding.yaml lists exactly these routes (a contract
 * test compares them). Roles here are the first gate; region, ownership
 * and state are checked by each route's SQL function (routes.h, mp/run.h).
 */
#include "mp/service.h"

#include "reference.h"
#include "routes.h"
#include "users.h"

#define OFF (MP_ROLE_COUNCIL_OFFICER | MP_ROLE_ADMIN)
#define APP MP_ROLE_APPLICANT
#define APR MP_ROLE_APPRAISER
#define ERC MP_ROLE_ERC_MEMBER
#define ANA MP_ROLE_GENDER_ANALYST
#define PUB MP_ROUTE_PUBLIC

/* What the gateway enforces and caches for these routes (served at
 * /_routes; mp/service.h):
 *   - reference data (regions, provinces, communes, themes, applicant
 *     types) is the same for everyone: public data, cached 300 s;
 *   - calls are public but NOT public data: an officer's token shows the
 *     drafts of their region (f_call_visible), so the gateway keys them
 *     per principal; every anonymous caller shares one entry, 60 s;
 *   - per-principal reads are cached 30 s under keys that carry role,
 *     region, commune, organisation and, for applicants and API clients,
 *     the subject. (The gateway never serves appraisers, ERC members or
 *     mediators from its cache: what they see is assigned to them.)
 *   - public reads admit API clients with the scope funding:read; every
 *     other route refuses API clients.
 * Writes go in the gateway's "write" rate class without saying so. */
#define REF (MP_ROUTE_PUBLIC | MP_ROUTE_PUBLIC_DATA)
#define RD "funding:read"
#define TTL_REF 300
#define TTL_CALL 60
#define TTL_OWN 30

static const struct mp_route routes[] = {
    /* reference data (public) */
    {MP_GET, "/v1/funding/regions", funding_regions_list, REF, 0, RD, TTL_REF},
    {MP_GET, "/v1/funding/regions/{region}/provinces", funding_provinces_list,
     REF, 0, RD, TTL_REF},
    {MP_GET, "/v1/funding/regions/{region}/communes", funding_communes_list,
     REF, 0, RD, TTL_REF},
    {MP_GET, "/v1/funding/themes", funding_themes_list, REF, 0, RD, TTL_REF},
    {MP_GET, "/v1/funding/applicant-types", funding_applicant_types_list, REF,
     0, RD, TTL_REF},
    /* envelopes */
    {MP_GET, "/v1/funding/envelopes", funding_envelopes_list, 0, OFF | ANA,
     NULL, TTL_OWN},
    {MP_GET, "/v1/funding/envelopes/{region}/{year}", funding_envelope_get, 0,
     OFF | ANA, NULL, TTL_OWN},
    {MP_PUT, "/v1/funding/envelopes/{region}/{year}", funding_envelope_put, 0,
     OFF},
    /* calls */
    {MP_GET, "/v1/funding/calls", funding_calls_list, PUB, 0, RD, TTL_CALL},
    {MP_POST, "/v1/funding/calls", funding_call_create, 0, OFF},
    {MP_GET, "/v1/funding/calls/{id}", funding_call_get, PUB, 0, RD, TTL_CALL},
    {MP_PATCH, "/v1/funding/calls/{id}", funding_call_update, 0, OFF},
    {MP_POST, "/v1/funding/calls/{id}/transitions", funding_call_transition, 0,
     OFF},
    {MP_GET, "/v1/funding/calls/{id}/ranking", funding_call_ranking, 0,
     OFF | ERC, NULL, TTL_OWN},
    {MP_GET, "/v1/funding/calls/{id}/applications", funding_call_applications,
     0, OFF, NULL, TTL_OWN},
    {MP_POST, "/v1/funding/calls/{id}/applications", funding_application_create,
     0, APP},
    /* the first page of many calls' applications at once (GraphQL) */
    {MP_GET, "/v1/funding/call-applications", funding_call_applications_batch,
     0, OFF, NULL, TTL_OWN},
    /* applications */
    {MP_GET, "/v1/funding/applications", funding_applications_list, 0,
     APP | OFF, NULL, TTL_OWN},
    {MP_GET, "/v1/funding/applications/{id}", funding_application_get, 0,
     APP | OFF | APR | ERC, NULL, TTL_OWN},
    {MP_PATCH, "/v1/funding/applications/{id}", funding_application_update, 0,
     APP},
    {MP_POST, "/v1/funding/applications/{id}/submit",
     funding_application_submit, 0, APP},
    {MP_POST, "/v1/funding/applications/{id}/transitions",
     funding_application_transition, 0, APP | OFF},
    {MP_POST, "/v1/funding/applications/{id}/appraisals",
     funding_appraiser_assign, 0, OFF},
    {MP_POST, "/v1/funding/applications/{id}/agreement",
     funding_agreement_create, 0, OFF},
    /* appraisal */
    {MP_GET, "/v1/funding/appraisals", funding_appraisals_list, 0, APR | OFF,
     NULL, TTL_OWN},
    /* the first page of many applications' appraisals at once (GraphQL) */
    {MP_GET, "/v1/funding/application-appraisals",
     funding_application_appraisals_batch, 0, APR | OFF, NULL, TTL_OWN},
    {MP_GET, "/v1/funding/appraisals/{id}", funding_appraisal_get, 0, APR | OFF,
     NULL, TTL_OWN},
    {MP_POST, "/v1/funding/appraisals/{id}/declaration",
     funding_appraisal_declare, 0, APR},
    {MP_PUT, "/v1/funding/appraisals/{id}/scores", funding_appraisal_scores, 0,
     APR},
    /* ERC */
    {MP_GET, "/v1/funding/erc/members", funding_erc_members_list, 0, OFF | ERC,
     NULL, TTL_OWN},
    {MP_POST, "/v1/funding/erc/members", funding_erc_member_add, 0, OFF},
    {MP_POST, "/v1/funding/erc/members/{id}/deactivate",
     funding_erc_member_deactivate, 0, OFF},
    {MP_POST, "/v1/funding/erc/sessions", funding_erc_session_create, 0, OFF},
    {MP_GET, "/v1/funding/erc/sessions/{id}", funding_erc_session_get, 0,
     OFF | ERC, NULL, TTL_OWN},
    {MP_PUT, "/v1/funding/erc/sessions/{id}/attendance", funding_erc_attendance,
     0, OFF},
    {MP_POST, "/v1/funding/erc/sessions/{id}/open", funding_erc_session_open, 0,
     OFF},
    {MP_POST, "/v1/funding/erc/sessions/{id}/conflicts", funding_erc_conflict,
     0, ERC},
    {MP_POST, "/v1/funding/erc/sessions/{id}/votes", funding_erc_vote, 0, ERC},
    {MP_POST, "/v1/funding/erc/sessions/{id}/decisions", funding_erc_decide, 0,
     OFF},
    {MP_POST, "/v1/funding/erc/sessions/{id}/close", funding_erc_session_close,
     0, OFF},
    /* agreements, tranches, monitoring, evaluation */
    {MP_GET, "/v1/funding/agreements/{id}", funding_agreement_get, 0, APP | OFF,
     NULL, TTL_OWN},
    {MP_POST, "/v1/funding/agreements/{id}/transitions",
     funding_agreement_transition, 0, OFF},
    {MP_POST, "/v1/funding/tranches/{id}/release", funding_tranche_release, 0,
     OFF},
    {MP_POST, "/v1/funding/agreements/{id}/reports", funding_report_create, 0,
     APP},
    {MP_GET, "/v1/funding/reports/{id}", funding_report_get, 0, APP | OFF, NULL,
     TTL_OWN},
    {MP_POST, "/v1/funding/reports/{id}/transitions", funding_report_transition,
     0, APP | OFF},
    {MP_POST, "/v1/funding/agreements/{id}/visits", funding_visit_create, 0,
     OFF},
    {MP_POST, "/v1/funding/agreements/{id}/evaluation",
     funding_evaluation_create, 0, OFF},
    /* dashboards */
    {MP_GET, "/v1/funding/dashboard", funding_dashboard, 0, OFF | ANA, NULL,
     TTL_OWN},
    {MP_GET, "/v1/funding/dashboard.csv", funding_dashboard_csv, 0, OFF | ANA,
     NULL, TTL_OWN},
};

const struct mp_service mp_service_def = {
    .name = "funding",
    .routes = routes,
    .nroutes = sizeof(routes) / sizeof(routes[0]),
    .uses_db = 1,
    .uses_redis = 1,
    .relay = 1,
    .consumers = funding_consumers, /* events:gateway: accounts */
    .revocation = 1,
};
