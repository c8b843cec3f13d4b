/*
 * Case work: cases (opened for a person with consent, by a certified
 * agent or mediator), their state through one transition table,
 * assignment, confidential notes (sealed before they leave the worker),
 * referrals to the directory's services-at-location and mediations.
 * Every read and write of a case is audited by its SQL function.
 */
#include "mp/query.h"

#include "decide.h"
#include "domain.h"
#include "routes.h"

static const char *const vulnerabilities[] = {
    "unaccompanied_minor", "single_parent",
    "disability",          "chronic_illness",
    "no_income",           "no_housing",
    "no_documents",        "violence_survivor",
    "elderly_alone",       NULL};
static const char *const close_reasons[] = {
    "person_left_region", "person_declined", "duplicate", "out_of_scope",
    "unreachable",        "other",           NULL};
static const char *const assignee_roles[] = {"municipal_agent", "mediator",
                                             "council_officer", NULL};
static const char *const outcomes[] = {"successful", "unsuccessful", NULL};
static const char *const outcome_reasons[] = {"need_met",
                                              "person_refused",
                                              "service_lacked_capacity",
                                              "person_unreachable",
                                              "service_unreachable",
                                              "need_disappeared",
                                              NULL};
static const char *const administrations[] = {"commune",
                                              "prefecture",
                                              "consulate",
                                              "court",
                                              "health_centre",
                                              "school",
                                              "social_security",
                                              "employment_agency",
                                              "police",
                                              "other",
                                              NULL};
static const char *const mediation_outcomes[] = {
    "resolved", "partly_resolved", "unresolved", "postponed", NULL};
static const char *const case_states[] = {"open", "in_progress", "resolved",
                                          "closed", NULL};
static const struct mp_field list_query[] = {
    MP_FIELD("status", MP_F_ENUM, 0, .enum_values = case_states),
    MP_FIELD("person_id", MP_F_UUID, 0), MP_Q_LIMIT, MP_Q_CURSOR, MP_FIELD_END};
static const struct mp_field page_query[] = {MP_Q_LIMIT, MP_Q_CURSOR,
                                             MP_FIELD_END};

static const struct mp_field need =
    MP_FIELD("need", MP_F_STRING, 0, .min_len = 2, .max_len = 64);
static const struct mp_field vulnerability =
    MP_FIELD("flag", MP_F_ENUM, 0, .enum_values = vulnerabilities);

static const struct mp_field case_open[] = {
    MP_FIELD("person_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("needs", MP_F_ARRAY, MP_F_REQUIRED, .min_len = 1, .max_len = 9,
             .items = &need),
    MP_FIELD("vulnerabilities", MP_F_ARRAY, 0, .max_len = 9,
             .items = &vulnerability),
    MP_FIELD_END};

static const struct mp_field case_transition[] = {
    MP_FIELD("to", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 64),
    MP_FIELD("reason", MP_F_ENUM, 0, .enum_values = close_reasons),
    MP_FIELD_END};

static const struct mp_field case_assign[] = {
    MP_FIELD("assignee_sub", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 64),
    MP_FIELD("assignee_role", MP_F_ENUM, MP_F_REQUIRED,
             .enum_values = assignee_roles),
    MP_FIELD_END};

static const struct mp_field note[] = {
    MP_FIELD("text", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 8000),
    MP_FIELD_END};

static const struct mp_field referral_create[] = {
    MP_FIELD("service_at_location_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("need", MP_F_STRING, MP_F_REQUIRED, .min_len = 2, .max_len = 64),
    MP_FIELD("follow_up_on", MP_F_DATE, 0), MP_FIELD_END};

static const struct mp_field referral_transition[] = {
    MP_FIELD("to", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 64),
    MP_FIELD("outcome", MP_F_ENUM, 0, .enum_values = outcomes),
    MP_FIELD("outcome_reason", MP_F_ENUM, 0, .enum_values = outcome_reasons),
    MP_FIELD("follow_up_on", MP_F_DATE, 0), MP_FIELD_END};

static const struct mp_field mediation_create[] = {
    MP_FIELD("administration", MP_F_ENUM, MP_F_REQUIRED,
             .enum_values = administrations),
    MP_FIELD("purpose", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 500),
    MP_FIELD("accompanied_on", MP_F_DATE, MP_F_REQUIRED),
    MP_FIELD("outcome", MP_F_ENUM, 0, .enum_values = mediation_outcomes),
    MP_FIELD("follow_up_on", MP_F_DATE, 0),
    MP_FIELD_END};

static const struct mp_field mediation_update[] = {
    MP_FIELD("outcome", MP_F_ENUM, 0, .enum_values = mediation_outcomes),
    MP_FIELD("follow_up_on", MP_F_DATE, 0), MP_FIELD_END};

static const struct mp_op cases_case_open_op = {
    .schema = case_open,
    .load_sql = "SELECT cases_person_work_facts($1, $2, $3)",
    CASES_FACTS_PERSON_WORK,
    .decide = cases_decide_case_open,
    .apply_sql = "SELECT cases_case_open($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/cases/cases/%s",
    .answer = cases_answer_open};
static const struct mp_op cases_cases_list_op = {
    .query = list_query,
    .apply_sql = "SELECT cases_case_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = CASES_JSON_RAW};
static const struct mp_op cases_case_get_op = {
    .apply_sql = "SELECT cases_case_get($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = cases_answer_open};
static const struct mp_op cases_case_transition_op = {
    .schema = case_transition,
    .load_sql = "SELECT cases_case_work_facts($1, $2, $3)",
    CASES_FACTS_CASE_WORK,
    .decide = cases_decide_transition,
    .apply_sql = "SELECT cases_case_transition($1, $2, $3, $4, $5)",
    .status = 200,
    .arg = &cases_machine_case,
    .answer = cases_answer_open};
static const struct mp_op cases_case_assign_op = {
    .schema = case_assign,
    .apply_sql = "SELECT cases_case_assign($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = cases_answer_open};
static const struct mp_op cases_case_note_op = {
    .schema = note,
    .decide = cases_decide_note,
    .apply_sql = "SELECT cases_case_note_add($1, $2, $3, $4, $5)",
    .status = 201,
    .answer = cases_answer_open};
static const struct mp_op cases_referral_create_op = {
    .schema = referral_create,
    .load_sql = "SELECT cases_case_work_facts($1, $2, $3)",
    CASES_FACTS_CASE_WORK,
    .decide = cases_decide_referral,
    .apply_sql = "SELECT cases_referral_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/cases/referrals/%s"};
static const struct mp_op cases_referral_get_op = {
    .apply_sql = "SELECT cases_referral_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_referral_transition_op = {
    .schema = referral_transition,
    .load_sql = "SELECT cases_referral_work_facts($1, $2, $3)",
    CASES_FACTS_CASE_WORK,
    .decide = cases_decide_transition,
    .apply_sql = "SELECT cases_referral_transition($1, $2, $3, $4, $5)",
    .status = 200,
    .arg = &cases_machine_referral};
static const struct mp_op cases_referrals_overdue_op = {
    .query = page_query,
    .apply_sql = "SELECT cases_referral_overdue($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = CASES_JSON_RAW};
static const struct mp_op cases_mediation_create_op = {
    .schema = mediation_create,
    .apply_sql = "SELECT cases_mediation_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op cases_mediation_update_op = {
    .schema = mediation_update,
    .apply_sql = "SELECT cases_mediation_update($1, $2, $3, $4, $5)",
    .status = 200};

MP_OP_ROUTE(cases_case_open)
MP_OP_ROUTE(cases_cases_list)
MP_OP_ROUTE(cases_case_get)
MP_OP_ROUTE(cases_case_transition)
MP_OP_ROUTE(cases_case_assign)
MP_OP_ROUTE(cases_case_note)
MP_OP_ROUTE(cases_referral_create)
MP_OP_ROUTE(cases_referral_get)
MP_OP_ROUTE(cases_referral_transition)
MP_OP_ROUTE(cases_referrals_overdue)
MP_OP_ROUTE(cases_mediation_create)
MP_OP_ROUTE(cases_mediation_update)
