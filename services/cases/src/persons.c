/*
 * Persons (beneficiaries), their consents and their rights: registration
 * with the identifying fields sealed before they leave the worker (decide
 * step), search by name through the blind index, reading (opened in the
 * answer), consent records and their withdrawal, export of everything
 * held (right of access) and erasure by anonymisation. Every read and
 * write of a person is audited by its SQL function.
 */
#include "mp/query.h"

#include "decide.h"
#include "routes.h"

static const char *const sexes[] = {"female", "male", NULL};
static const char *const beneficiary_types[] = {"mre", "regularised_migrant",
                                                "other_migrant", NULL};
static const char *const purposes[] = {"accompaniment", "referral",
                                       "statistics", NULL};
static const char *const recorded_hows[] = {"oral", "written", "electronic",
                                            NULL};
static const char *const read_purposes[] = {"accompaniment", "referral",
                                            "statistics",    "right_of_access",
                                            "supervision",   NULL};
/* "name" is read by the decide step only (cases_decide_search): it is
 * never passed to the database in clear */
static const struct mp_field list_query[] = {
    MP_FIELD("commune", MP_F_STRING, 0, .min_len = 2, .max_len = 64),
    MP_Q_LIMIT, MP_Q_CURSOR, MP_FIELD_END};
static const struct mp_field get_query[] = {
    MP_FIELD("purpose", MP_F_ENUM, 0, .enum_values = read_purposes),
    MP_FIELD_END};

static const struct mp_field language =
    MP_FIELD("language", MP_F_STRING, 0, .min_len = 2, .max_len = 3);

static const struct mp_field person_create[] = {
    MP_FIELD("given_name", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 200),
    MP_FIELD("family_name", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 200),
    MP_FIELD("sex", MP_F_ENUM, MP_F_REQUIRED, .enum_values = sexes),
    MP_FIELD("birth_year", MP_F_INT, 0, .min = 1900, .max = 2100),
    MP_FIELD("nationality", MP_F_STRING, 0, .min_len = 2, .max_len = 2),
    MP_FIELD("beneficiary_type", MP_F_ENUM, MP_F_REQUIRED,
             .enum_values = beneficiary_types),
    MP_FIELD("languages", MP_F_ARRAY, 0, .max_len = 10, .items = &language),
    MP_FIELD("phone", MP_F_STRING, 0, .min_len = 3, .max_len = 32),
    MP_FIELD("email", MP_F_EMAIL, 0, .max_len = 254),
    MP_FIELD("address", MP_F_STRING, 0, .max_len = 500),
    MP_FIELD("commune", MP_F_STRING, 0, .min_len = 2, .max_len = 64),
    MP_FIELD_END};

/* names, nationality and contact are re-sealed; sex and beneficiary type
 * (what statistics count) are not changed here */
static const struct mp_field person_update[] = {
    MP_FIELD("given_name", MP_F_STRING, 0, .min_len = 1, .max_len = 200),
    MP_FIELD("family_name", MP_F_STRING, 0, .min_len = 1, .max_len = 200),
    MP_FIELD("birth_year", MP_F_INT, 0, .min = 1900, .max = 2100),
    MP_FIELD("nationality", MP_F_STRING, 0, .min_len = 2, .max_len = 2),
    MP_FIELD("languages", MP_F_ARRAY, 0, .max_len = 10, .items = &language),
    MP_FIELD("phone", MP_F_STRING, 0, .min_len = 3, .max_len = 32),
    MP_FIELD("email", MP_F_EMAIL, 0, .max_len = 254),
    MP_FIELD("address", MP_F_STRING, 0, .max_len = 500),
    MP_FIELD_END};

static const struct mp_field consent_create[] = {
    MP_FIELD("purpose", MP_F_ENUM, MP_F_REQUIRED, .enum_values = purposes),
    MP_FIELD("service_id", MP_F_UUID, 0),
    MP_FIELD("given_to", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 200),
    MP_FIELD("recorded_how", MP_F_ENUM, MP_F_REQUIRED,
             .enum_values = recorded_hows),
    MP_FIELD("given_at", MP_F_DATETIME, 0),
    MP_FIELD_END};

static const struct mp_op cases_person_create_op = {
    .schema = person_create,
    .load_sql = "SELECT cases_register_facts($1, $2, $3)",
    CASES_FACTS_PERSON_WORK,
    .decide = cases_decide_register,
    .apply_sql = "SELECT cases_person_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/cases/persons/%s",
    .answer = cases_answer_open};
static const struct mp_op cases_persons_list_op = {
    .query = list_query,
    .decide = cases_decide_search,
    .apply_sql = "SELECT cases_person_list($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = cases_answer_open};
static const struct mp_op cases_person_get_op = {
    .query = get_query,
    .apply_sql = "SELECT cases_person_get($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = cases_answer_open};
static const struct mp_op cases_person_update_op = {
    .schema = person_update,
    .load_sql = "SELECT cases_person_update_facts($1, $2, $3)",
    CASES_FACTS_PERSON_UPDATE,
    .decide = cases_decide_person_update,
    .apply_sql = "SELECT cases_person_update($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = cases_answer_open};
static const struct mp_op cases_consent_create_op = {
    .schema = consent_create,
    .apply_sql = "SELECT cases_consent_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op cases_consent_withdraw_op = {
    .apply_sql = "SELECT cases_consent_withdraw($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_person_export_op = {
    .apply_sql = "SELECT cases_person_export($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = cases_answer_open};
static const struct mp_op cases_person_erase_op = {
    .apply_sql = "SELECT cases_person_erase($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = cases_answer_open};

MP_OP_ROUTE(cases_person_create)
MP_OP_ROUTE(cases_persons_list)
MP_OP_ROUTE(cases_person_get)
MP_OP_ROUTE(cases_person_update)
MP_OP_ROUTE(cases_consent_create)
MP_OP_ROUTE(cases_consent_withdraw)
MP_OP_ROUTE(cases_person_export)
MP_OP_ROUTE(cases_person_erase)
