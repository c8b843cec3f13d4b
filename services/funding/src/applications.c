/*
 * Applications to a call: the applicant's draft, its submission with the
 * automatic eligibility check (decide.c over domain_eligibility.c), and
 * every other state change through the application transition table.
 * The body lists every field a client may set: "status", "score_bp" or
 * "region" in a body are unknown fields, refused (no mass assignment).
 */
#include "decide.h"
#include "routes.h"

static const char *const applicant_kinds[] = {"person", "organisation", NULL};
static const char *const applicant_types[] = {
    "mre", "regularised_migrant", "association", "cooperative", "commune",
    NULL};
static const char *const holder_sexes[] = {"female", "male", "not_applicable",
                                           NULL};
static const char *const sexes[] = {"female", "male", NULL};
static const char *const age_bands[] = {"0-17",  "18-24", "25-34", "35-49",
                                        "50-64", "65+",   NULL};
static const char *const adult_bands[] = {"18-24", "25-34", "35-49",
                                          "50-64", "65+",   NULL};
static const char *const theme_codes[] = {"local_development", "economic",
                                          "social_solidarity_economy",
                                          "integration", NULL};
static const struct mp_field list_query[] = {
    MP_FIELD("status", MP_F_ENUM, 0, .enum_values = funding_application_states),
    MP_FIELD("call_id", MP_F_UUID, 0),
    /* batch read: up to 100 comma-separated ids (0004_batch_reads.sql) */
    MP_FIELD("ids", MP_F_STRING, 0, .min_len = 36, .max_len = 3699), MP_Q_LIMIT,
    MP_Q_CURSOR, MP_FIELD_END};
static const struct mp_field page_query[] = {MP_Q_LIMIT, MP_Q_CURSOR,
                                             MP_FIELD_END};
/* the first page of each of up to 100 calls (0005_call_applications_batch) */
static const struct mp_field batch_query[] = {
    MP_FIELD("call_ids", MP_F_STRING, MP_F_REQUIRED, .min_len = 36,
             .max_len = 3699),
    MP_FIELD("per_parent", MP_F_INT, 0, .min = 1, .max = 200), MP_FIELD_END};

const struct mp_field funding_transition_body[] = {
    MP_FIELD("to", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 64),
    MP_FIELD("comment", MP_F_STRING, 0, .max_len = 4000), MP_FIELD_END};

static const struct mp_field applicant[] = {
    MP_FIELD("kind", MP_F_ENUM, MP_F_REQUIRED, .enum_values = applicant_kinds),
    MP_FIELD("type", MP_F_ENUM, MP_F_REQUIRED, .enum_values = applicant_types),
    MP_FIELD("name", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 200),
    MP_FIELD("sex", MP_F_ENUM, 0, .enum_values = holder_sexes),
    MP_FIELD("age_band", MP_F_ENUM, 0, .enum_values = adult_bands),
    MP_FIELD("country_of_residence", MP_F_STRING, 0, .min_len = 2,
             .max_len = 2),
    MP_FIELD("organisation_name", MP_F_STRING, 0, .max_len = 200),
    MP_FIELD("email", MP_F_EMAIL, 0, .max_len = 254),
    MP_FIELD("phone", MP_F_STRING, 0, .max_len = 32),
    MP_FIELD_END};

static const struct mp_field budget_line_fields[] = {
    MP_FIELD("label", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 200),
    MP_FIELD("amount_minor", MP_F_MONEY, MP_F_REQUIRED, .min = 1,
             .max = FUNDING_MONEY_MAX),
    MP_FIELD_END};
static const struct mp_field budget_line =
    MP_FIELD("line", MP_F_OBJECT, 0, .fields = budget_line_fields);

static const struct mp_field beneficiary_fields[] = {
    MP_FIELD("sex", MP_F_ENUM, MP_F_REQUIRED, .enum_values = sexes),
    MP_FIELD("age_band", MP_F_ENUM, MP_F_REQUIRED, .enum_values = age_bands),
    MP_FIELD("count", MP_F_INT, MP_F_REQUIRED, .min = 0, .max = 1000000),
    MP_FIELD_END};
static const struct mp_field beneficiary =
    MP_FIELD("group", MP_F_OBJECT, 0, .fields = beneficiary_fields);

#define APPLICATION_FIELDS(req)                                                \
	MP_FIELD("title", MP_F_I18N, req, .max_len = 200),                     \
	    MP_FIELD("summary", MP_F_I18N, req, .max_len = 4000),              \
	    MP_FIELD("commune", MP_F_STRING, req, .min_len = 2,                \
	             .max_len = 64),                                           \
	    MP_FIELD("theme", MP_F_ENUM, req, .enum_values = theme_codes),     \
	    MP_FIELD("budget_lines", MP_F_ARRAY, req, .min_len = 1,            \
	             .max_len = 50, .items = &budget_line),                    \
	    MP_FIELD("requested_minor", MP_F_MONEY, req, .min = 1,             \
	             .max = FUNDING_MONEY_MAX),                                \
	    MP_FIELD("cofinancing_minor", MP_F_MONEY, req, .min = 0,           \
	             .max = FUNDING_MONEY_MAX),                                \
	    MP_FIELD("beneficiaries", MP_F_ARRAY, req, .min_len = 1,           \
	             .max_len = 24, .items = &beneficiary),                    \
	    MP_FIELD("gender_marker", MP_F_INT, req, .min = 0, .max = 2)

static const struct mp_field application_create[] = {
    MP_FIELD("applicant", MP_F_OBJECT, MP_F_REQUIRED, .fields = applicant),
    APPLICATION_FIELDS(MP_F_REQUIRED), MP_FIELD_END};

static const struct mp_field application_patch[] = {APPLICATION_FIELDS(0),
                                                    MP_FIELD_END};

static const struct mp_op funding_application_create_op = {
    .schema = application_create,
    .apply_sql = "SELECT funding_application_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/funding/applications/%s"};
static const struct mp_op funding_applications_list_op = {
    .query = list_query,
    .apply_sql = "SELECT funding_application_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_call_applications_op = {
    .query = page_query,
    .apply_sql = "SELECT funding_call_applications($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_call_applications_batch_op = {
    .query = batch_query,
    .apply_sql = "SELECT funding_call_applications_batch($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_application_get_op = {
    .apply_sql = "SELECT funding_application_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_application_update_op = {
    .schema = application_patch,
    .apply_sql = "SELECT funding_application_update($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_application_submit_op = {
    .load_sql = "SELECT funding_application_submit_facts($1, $2, $3)",
    FUNDING_FACTS_SUBMIT,
    .decide = funding_decide_submit,
    .apply_sql = "SELECT funding_application_submit($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_application_transition_op = {
    .schema = funding_transition_body,
    .load_sql = "SELECT funding_application_state($1, $2, $3)",
    FUNDING_FACTS_APP_STATE,
    .decide = funding_decide_transition,
    .apply_sql = "SELECT funding_application_transition($1, $2, $3, $4, $5)",
    .status = 200,
    .arg = &funding_machine_application};

MP_OP_ROUTE(funding_application_create)
MP_OP_ROUTE(funding_applications_list)
MP_OP_ROUTE(funding_call_applications)
MP_OP_ROUTE(funding_call_applications_batch)
MP_OP_ROUTE(funding_application_get)
MP_OP_ROUTE(funding_application_update)
MP_OP_ROUTE(funding_application_submit)
MP_OP_ROUTE(funding_application_transition)
