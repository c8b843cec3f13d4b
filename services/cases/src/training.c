/*
 * Training of agents and mediators (sessions, attendance, certification
 * with an expiry that withdraws the right to case work at once), the
 * audit of a region and the dashboards.
 */
#include "mp/log.h"
#include "mp/query.h"

#include "domain.h"

#include "routes.h"

static const char *const regions[] = {"souss-massa", "oriental", NULL};
static const char *const modules[] = {
    "reception_orientation", "rights_and_procedures",
    "personal_data",         "mediation",
    "directory_use",         NULL};
static const char *const roles[] = {"municipal_agent", "mediator", NULL};
static const char *const sexes[] = {"female", "male", NULL};
static const struct mp_field page_query[] = {MP_Q_LIMIT, MP_Q_CURSOR,
                                             MP_FIELD_END};
static const struct mp_field cert_query[] = {
    MP_FIELD("person_sub", MP_F_STRING, 0, .min_len = 1, .max_len = 64),
    MP_Q_LIMIT, MP_Q_CURSOR, MP_FIELD_END};
/* the audit's cursor is a sequence number, not an id */
static const struct mp_field audit_query[] = {
    MP_FIELD("subject_id", MP_F_UUID, 0),
    MP_FIELD("actor_sub", MP_F_STRING, 0, .min_len = 1, .max_len = 64),
    MP_Q_LIMIT,
    MP_FIELD("cursor", MP_F_INT, 0, .min = 1, .max = 999999999999999999LL),
    MP_FIELD_END};
static const struct mp_field dashboard_query[] = {
    MP_FIELD("region", MP_F_ENUM, 0, .enum_values = regions),
    MP_FIELD("commune", MP_F_STRING, 0, .min_len = 2, .max_len = 64),
    MP_FIELD_END};

static const struct mp_field session_create[] = {
    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED, .enum_values = regions),
    MP_FIELD("commune", MP_F_STRING, MP_F_REQUIRED, .min_len = 2,
             .max_len = 64),
    MP_FIELD("module", MP_F_ENUM, MP_F_REQUIRED, .enum_values = modules),
    MP_FIELD("held_on", MP_F_DATE, MP_F_REQUIRED),
    MP_FIELD("trainer", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 200),
    MP_FIELD_END};

static const struct mp_field attendee_fields[] = {
    MP_FIELD("person_sub", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 64),
    MP_FIELD("role", MP_F_ENUM, MP_F_REQUIRED, .enum_values = roles),
    /* the agent's own profile attribute: certified agents are counted
     * by sex (dashboards, cases.training.certified.v1) */
    MP_FIELD("sex", MP_F_ENUM, MP_F_REQUIRED, .enum_values = sexes),
    MP_FIELD_END};
static const struct mp_field attendee =
    MP_FIELD("attendee", MP_F_OBJECT, 0, .fields = attendee_fields);

static const struct mp_field attendance[] = {
    MP_FIELD("attendees", MP_F_ARRAY, MP_F_REQUIRED, .max_len = 200,
             .items = &attendee),
    MP_FIELD_END};

static const struct mp_field certification_create[] = {
    MP_FIELD("person_sub", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 64),
    MP_FIELD("session_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("valid_days", MP_F_INT, 0, .min = 1, .max = 1095), MP_FIELD_END};

static const struct mp_op cases_training_session_create_op = {
    .schema = session_create,
    .apply_sql = "SELECT cases_training_session_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op cases_training_sessions_list_op = {
    .query = page_query,
    .apply_sql = "SELECT cases_training_session_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = CASES_JSON_RAW};
static const struct mp_op cases_training_attendance_op = {
    .schema = attendance,
    .apply_sql = "SELECT cases_training_attendance($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_certification_create_op = {
    .schema = certification_create,
    .apply_sql = "SELECT cases_certification_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op cases_certifications_list_op = {
    .query = cert_query,
    .apply_sql = "SELECT cases_certification_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = CASES_JSON_RAW};
static const struct mp_op cases_certification_revoke_op = {
    .apply_sql = "SELECT cases_certification_revoke($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op cases_audit_list_op = {
    .query = audit_query,
    .apply_sql = "SELECT cases_audit_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = CASES_JSON_RAW};
/* The exact counts of cases_dashboard() never leave the process: the
 * answer step publishes them with disclosure control, or answers 500. */
static int
dashboard_answer(struct mp_ctx *ctx, struct mp_run *run, json_t *body)
{
	int rc;

	(void)run;
	if ((rc = cases_dashboard_protect(body)) == 0)
		return 0;
	mp_log(MP_LOG_ERROR, "dashboard", "disclosure control failed: %d", rc);
	mp_reply_problem(ctx, 500, "internal",
	                 "the request could not be completed");
	return MP_ANSWERED;
}

static const struct mp_op cases_dashboard_op = {
    .query = dashboard_query,
    .apply_sql = "SELECT cases_dashboard($1, $2, $3, $4, $5)",
    .status = 200,
    .answer = dashboard_answer};

MP_OP_ROUTE(cases_training_session_create)
MP_OP_ROUTE(cases_training_sessions_list)
MP_OP_ROUTE(cases_training_attendance)
MP_OP_ROUTE(cases_certification_create)
MP_OP_ROUTE(cases_certifications_list)
MP_OP_ROUTE(cases_certification_revoke)
MP_OP_ROUTE(cases_audit_list)
MP_OP_ROUTE(cases_dashboard)
