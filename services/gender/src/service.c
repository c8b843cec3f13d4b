/*
 * The gender service: its route table, consumers and definition for the
 * shared runtime. openapi/gender.yaml lists exactly these routes (a
 * contract test compares them). Published figures are public (suppressed
 * for anyone but an analyst of the region asking for unsuppressed ones);
 * region and role are checked again by each route's SQL function.
 */
#include "mp/service.h"

#include "consume.h"
#include "routes.h"

#define ANA MP_ROLE_GENDER_ANALYST
#define ADM MP_ROLE_ADMIN
#define PUB MP_ROUTE_PUBLIC
#define FIG (MP_ROUTE_PUBLIC | MP_ROUTE_REPEATS)
#define REF (MP_ROUTE_PUBLIC | MP_ROUTE_PUBLIC_DATA)
/* API clients read published figures with this scope */
#define RD "gender:read"
/* published reads are cached by the gateway (per principal: an analyst's
 * unsuppressed answer is marked CDN-Cache-Control: no-store by the service,
 * so each such read reaches it and is audited) and dropped on the
 * service's events (gender.indicator.updated.v1 for the figures). The
 * figures' dimension= and filter= repeat and the gateway's key sorts
 * them, which is right because their answer does not depend on their
 * order (gender_query_parse lays dimensions out in a canonical order) */
#define TTL_FIG 60
#define TTL_REF 300

static const struct mp_route routes[] = {
    /* indicators and published figures (public) */
    {MP_GET, "/v1/gender/indicators", gender_indicators_list, REF, 0, RD,
     TTL_REF},
    {MP_GET, "/v1/gender/indicators/{code}", gender_figures, FIG, 0, RD,
     TTL_FIG},
    {MP_GET, "/v1/gender/indicators/{code}/data.csv", gender_figures_csv_route,
     FIG, 0, RD, TTL_FIG},
    {MP_GET, "/v1/gender/indicators/{code}/dataValueSets",
     gender_figures_dvs_route, FIG, 0, RD, TTL_FIG},
    {MP_GET, "/v1/gender/indicators/{code}/chart.svg", gender_figures_svg_route,
     FIG, 0, RD, TTL_FIG},
    /* targets and alerts */
    {MP_GET, "/v1/gender/targets", gender_targets_list, PUB, 0, RD},
    {MP_PUT, "/v1/gender/targets/{code}/{region}", gender_target_put, 0,
     ANA | ADM},
    {MP_GET, "/v1/gender/alerts", gender_alerts, PUB, 0, RD},
    /* diagnostics: survey instruments, responses, results, action plan */
    {MP_GET, "/v1/gender/diagnostics", gender_diagnostics_list, PUB, 0, RD,
     TTL_FIG},
    {MP_POST, "/v1/gender/diagnostics", gender_diagnostic_create, 0, ANA | ADM},
    {MP_GET, "/v1/gender/diagnostics/{id}", gender_diagnostic_get, PUB, 0, RD,
     TTL_FIG},
    {MP_POST, "/v1/gender/diagnostics/{id}/questionnaires",
     gender_questionnaire_create, 0, ANA | ADM},
    {MP_GET, "/v1/gender/questionnaires/{id}", gender_questionnaire_get, PUB, 0,
     RD, TTL_FIG},
    {MP_POST, "/v1/gender/questionnaires/{id}/versions", gender_version_create,
     0, ANA | ADM},
    {MP_PUT, "/v1/gender/questionnaires/{id}/versions/{version}",
     gender_version_update, 0, ANA | ADM},
    {MP_GET, "/v1/gender/questionnaires/{id}/results", gender_results, PUB, 0,
     RD, TTL_FIG},
    {MP_POST, "/v1/gender/diagnostics/{id}/campaigns", gender_campaign_create,
     0, ANA | ADM},
    {MP_POST, "/v1/gender/campaigns/{id}/responses", gender_responses_batch, 0,
     ANA | ADM},
    {MP_POST, "/v1/gender/diagnostics/{id}/recommendations",
     gender_recommendation_create, 0, ANA | ADM},
    {MP_POST, "/v1/gender/recommendations/{id}/actions", gender_action_create,
     0, ANA | ADM},
    {MP_PATCH, "/v1/gender/actions/{id}", gender_action_update, 0, ANA | ADM},
    /* operators */
    {MP_GET, "/v1/gender/disclosure", gender_disclosure_get, 0, ANA | ADM},
    {MP_PUT, "/v1/gender/disclosure/{region}", gender_disclosure_put, 0, ADM},
    {MP_GET, "/v1/gender/projection", gender_projection_get, 0, ADM},
    {MP_POST, "/v1/gender/projection/rebuild", gender_replay, 0, ADM},
};

const struct mp_service mp_service_def = {
    .name = "gender",
    .routes = routes,
    .nroutes = sizeof(routes) / sizeof(routes[0]),
    .uses_db = 1,
    .uses_redis = 1,
    .relay = 1,
    .revocation = 1, /* refuse what the gateway revoked (mp/revocation.h) */
    .consumers = gender_consumers,
};
