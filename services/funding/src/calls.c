/*
 * Calls for proposals and the regional envelopes they draw on, plus the
 * public reference lists a call is written with (themes, applicant types,
 * communes). Bodies are checked here, field by field; the eligibility
 * rules and the scoring grid by the domain (decide.c); the rest (region of
 * the officer, known themes, dates in order, state) by the SQL functions.
 */
#include <stdint.h>

#include "decide.h"
#include "routes.h"

static const char *const regions[] = {"souss-massa", "oriental", NULL};
static const char *const currencies[] = {"EUR", "MAD", NULL};
static const char *const theme_codes[] = {"local_development", "economic",
                                          "social_solidarity_economy",
                                          "integration", NULL};
static const char *const applicant_types[] = {
    "mre", "regularised_migrant", "association", "cooperative", "commune",
    NULL};
static const struct mp_field list_query[] = {
    MP_FIELD("status", MP_F_ENUM, 0, .enum_values = funding_call_states),
    FUNDING_Q_REGION,
    /* batch read: up to 100 comma-separated ids (0004_batch_reads.sql) */
    MP_FIELD("ids", MP_F_STRING, 0, .min_len = 36, .max_len = 3699), MP_Q_LIMIT,
    MP_Q_CURSOR, MP_FIELD_END};
static const struct mp_field envelope_query[] = {FUNDING_Q_REGION,
                                                 FUNDING_Q_YEAR, MP_FIELD_END};

static const struct mp_field theme_item =
    MP_FIELD("theme", MP_F_ENUM, 0, .enum_values = theme_codes);
static const struct mp_field type_item =
    MP_FIELD("type", MP_F_ENUM, 0, .enum_values = applicant_types);
static const struct mp_field grid_item = MP_FIELD("criterion", MP_F_OBJECT, 0);

#define CALL_FIELDS(req)                                                       \
	MP_FIELD("title", MP_F_I18N, req, .max_len = 200),                     \
	    MP_FIELD("description", MP_F_I18N, req, .max_len = 4000),          \
	    MP_FIELD("themes", MP_F_ARRAY, req, .min_len = 1, .max_len = 4,    \
	             .items = &theme_item),                                    \
	    MP_FIELD("applicant_types", MP_F_ARRAY, req, .min_len = 1,         \
	             .max_len = 5, .items = &type_item),                       \
	    MP_FIELD("budget_minor", MP_F_MONEY, req, .min = 1,                \
	             .max = FUNDING_MONEY_MAX),                                \
	    MP_FIELD("max_grant_minor", MP_F_MONEY, req, .min = 1,             \
	             .max = FUNDING_MONEY_MAX),                                \
	    MP_FIELD("min_cofinancing_bp", MP_F_INT, 0, .min = 0,              \
	             .max = 10000),                                            \
	    MP_FIELD("opens_at", MP_F_DATETIME, req),                          \
	    MP_FIELD("closes_at", MP_F_DATETIME, req),                         \
	    MP_FIELD("eligibility_rules", MP_F_OBJECT, 0),                     \
	    MP_FIELD("scoring_grid", MP_F_ARRAY, req, .min_len = 1,            \
	             .max_len = 32, .items = &grid_item)

static const struct mp_field call_create[] = {
    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED, .enum_values = regions),
    MP_FIELD("year", MP_F_INT, MP_F_REQUIRED, .min = 2020, .max = 2100),
    MP_FIELD("currency", MP_F_ENUM, 0, .enum_values = currencies),
    CALL_FIELDS(MP_F_REQUIRED), MP_FIELD_END};

static const struct mp_field call_patch[] = {CALL_FIELDS(0), MP_FIELD_END};

static const struct mp_field envelope_put[] = {
    MP_FIELD("allocated_minor", MP_F_MONEY, MP_F_REQUIRED, .min = 0,
             .max = FUNDING_MONEY_MAX),
    MP_FIELD("currency", MP_F_ENUM, 0, .enum_values = currencies),
    MP_FIELD_END};

static const struct mp_op funding_themes_list_op = {
    .apply_sql = "SELECT funding_themes($1, $2, $3, $4, $5)", .status = 200};
static const struct mp_op funding_applicant_types_list_op = {
    .apply_sql = "SELECT funding_applicant_types($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_communes_list_op = {
    .apply_sql = "SELECT funding_communes($1, $2, $3, $4, $5)", .status = 200};

static const struct mp_op funding_calls_list_op = {
    .query = list_query,
    .apply_sql = "SELECT funding_call_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_call_get_op = {
    .apply_sql = "SELECT funding_call_get($1, $2, $3, $4, $5)", .status = 200};
static const struct mp_op funding_call_create_op = {
    .schema = call_create,
    .decide = funding_decide_call,
    .apply_sql = "SELECT funding_call_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/funding/calls/%s"};
static const struct mp_op funding_call_update_op = {
    .schema = call_patch,
    .decide = funding_decide_call,
    .apply_sql = "SELECT funding_call_update($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_call_transition_op = {
    .schema = funding_transition_body,
    .load_sql = "SELECT funding_call_state($1, $2, $3)",
    FUNDING_FACTS_STATE,
    .decide = funding_decide_transition,
    .apply_sql = "SELECT funding_call_transition($1, $2, $3, $4, $5)",
    .status = 200,
    .arg = &funding_machine_call};
static const struct mp_op funding_call_ranking_op = {
    .apply_sql = "SELECT funding_call_ranking($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};

static const struct mp_op funding_envelopes_list_op = {
    .query = envelope_query,
    .apply_sql = "SELECT funding_envelope_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_envelope_get_op = {
    .apply_sql = "SELECT funding_envelope_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_envelope_put_op = {
    .schema = envelope_put,
    .apply_sql = "SELECT funding_envelope_put($1, $2, $3, $4, $5)",
    .status = 200};

MP_OP_ROUTE(funding_themes_list)
MP_OP_ROUTE(funding_applicant_types_list)
MP_OP_ROUTE(funding_communes_list)
MP_OP_ROUTE(funding_calls_list)
MP_OP_ROUTE(funding_call_get)
MP_OP_ROUTE(funding_call_create)
MP_OP_ROUTE(funding_call_update)
MP_OP_ROUTE(funding_call_transition)
MP_OP_ROUTE(funding_call_ranking)
MP_OP_ROUTE(funding_envelopes_list)
MP_OP_ROUTE(funding_envelope_get)
MP_OP_ROUTE(funding_envelope_put)
