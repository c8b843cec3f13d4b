/*
 * Monitoring and evaluation of funded projects (progress reports with
 * indicators planned vs actual by sex, their review, site visits, the
 * final OECD-DAC evaluation) and the regional dashboards built on the
 * whole chain (JSON and CSV).
 */
#include "decide.h"
#include "routes.h"

static const char *const indicator_sexes[] = {"female", "male", "all", NULL};
static const struct mp_field dashboard_query[] = {FUNDING_Q_REGION,
                                                  FUNDING_Q_YEAR, MP_FIELD_END};

static const struct mp_field indicator_fields[] = {
    MP_FIELD("key", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 64),
    MP_FIELD("sex", MP_F_ENUM, MP_F_REQUIRED, .enum_values = indicator_sexes),
    MP_FIELD("planned", MP_F_INT, MP_F_REQUIRED, .min = 0, .max = 1000000000),
    MP_FIELD("actual", MP_F_INT, MP_F_REQUIRED, .min = 0, .max = 1000000000),
    MP_FIELD_END};
static const struct mp_field indicator =
    MP_FIELD("indicator", MP_F_OBJECT, 0, .fields = indicator_fields);

static const struct mp_field report[] = {
    MP_FIELD("milestone", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 64),
    MP_FIELD("period_end", MP_F_DATE, MP_F_REQUIRED),
    MP_FIELD("indicators", MP_F_ARRAY, MP_F_REQUIRED, .min_len = 1,
             .max_len = 50, .items = &indicator),
    MP_FIELD("narrative", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 20000),
    MP_FIELD_END};

static const struct mp_field visit[] = {
    MP_FIELD("visited_on", MP_F_DATE, MP_F_REQUIRED),
    MP_FIELD("findings", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 20000),
    MP_FIELD_END};

/* The six OECD-DAC criteria, rated 1 (highly unsatisfactory) to 4
 * (highly satisfactory), each with its justification. */
#define DAC_FIELDS(type, ...)                                                  \
	MP_FIELD("relevance", type, MP_F_REQUIRED, __VA_ARGS__),               \
	    MP_FIELD("coherence", type, MP_F_REQUIRED, __VA_ARGS__),           \
	    MP_FIELD("effectiveness", type, MP_F_REQUIRED, __VA_ARGS__),       \
	    MP_FIELD("efficiency", type, MP_F_REQUIRED, __VA_ARGS__),          \
	    MP_FIELD("impact", type, MP_F_REQUIRED, __VA_ARGS__),              \
	    MP_FIELD("sustainability", type, MP_F_REQUIRED, __VA_ARGS__),      \
	    MP_FIELD_END

static const struct mp_field ratings[] = {
    DAC_FIELDS(MP_F_INT, .min = 1, .max = 4)};
static const struct mp_field texts[] = {
    DAC_FIELDS(MP_F_STRING, .min_len = 1, .max_len = 4000)};

static const struct mp_field evaluation[] = {
    MP_FIELD("ratings", MP_F_OBJECT, MP_F_REQUIRED, .fields = ratings),
    MP_FIELD("texts", MP_F_OBJECT, MP_F_REQUIRED, .fields = texts),
    MP_FIELD("summary", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 20000),
    MP_FIELD_END};

static const struct mp_op funding_report_create_op = {
    .schema = report,
    .apply_sql = "SELECT funding_report_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/funding/reports/%s"};
static const struct mp_op funding_report_get_op = {
    .apply_sql = "SELECT funding_report_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_report_transition_op = {
    .schema = funding_transition_body,
    .load_sql = "SELECT funding_report_state($1, $2, $3)",
    FUNDING_FACTS_STATE,
    .decide = funding_decide_transition,
    .apply_sql = "SELECT funding_report_transition($1, $2, $3, $4, $5)",
    .status = 200,
    .arg = &funding_machine_report};
static const struct mp_op funding_visit_create_op = {
    .schema = visit,
    .apply_sql = "SELECT funding_visit_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op funding_evaluation_create_op = {
    .schema = evaluation,
    .apply_sql = "SELECT funding_evaluation_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op funding_dashboard_op = {
    .query = dashboard_query,
    .apply_sql = "SELECT funding_dashboard($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_dashboard_csv_op = {
    .query = dashboard_query,
    .apply_sql = "SELECT funding_dashboard_csv($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = "text/csv; charset=utf-8"};

MP_OP_ROUTE(funding_report_create)
MP_OP_ROUTE(funding_report_get)
MP_OP_ROUTE(funding_report_transition)
MP_OP_ROUTE(funding_visit_create)
MP_OP_ROUTE(funding_evaluation_create)
MP_OP_ROUTE(funding_dashboard)
MP_OP_ROUTE(funding_dashboard_csv)
