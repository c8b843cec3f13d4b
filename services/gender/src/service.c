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

static const struct mp_route routes[] = {
    /* indicators and published figures (public) */
    {MP_GET, "/v1/gender/indicators", gender_indicators_list, PUB, 0},
    {MP_GET, "/v1/gender/indicators/{code}", gender_figures, FIG, 0},
    {MP_GET, "/v1/gender/indicators/{code}/data.csv", gender_figures_csv_route,
     FIG, 0},
    {MP_GET, "/v1/gender/indicators/{code}/dataValueSets",
     gender_figures_dvs_route, FIG, 0},
    {MP_GET, "/v1/gender/indicators/{code}/chart.svg", gender_figures_svg_route,
     FIG, 0},
    /* targets and alerts */
    {MP_GET, "/v1/gender/targets", gender_targets_list, PUB, 0},
    {MP_PUT, "/v1/gender/targets/{code}/{region}", gender_target_put, 0,
     ANA | ADM},
    {MP_GET, "/v1/gender/alerts", gender_alerts, PUB, 0},
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
