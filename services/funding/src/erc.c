/*
 * The ERC (espace régional de concertation): its members by college,
 * sessions with an agenda of shortlisted applications, attendance, the
 * quorum checked before any vote (decide.c over domain_quorum.c), one
 * vote per present member without a declared conflict, and the decision
 * of each item from the tally, which commits the budget on selection.
 */
#include "decide.h"
#include "routes.h"

static const char *const regions[] = {"souss-massa", "oriental", NULL};
static const char *const colleges[] = {"local_authority", "state_service",
                                       "civil_society", NULL};
static const char *const choices[] = {"for", "against", "abstain", NULL};
static const struct mp_field member_query[] = {FUNDING_Q_REGION, MP_FIELD_END};

static const struct mp_field uuid_item = MP_FIELD("id", MP_F_UUID, 0);

static const struct mp_field member[] = {
    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED, .enum_values = regions),
    MP_FIELD("user_sub", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 64),
    MP_FIELD("name", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 200),
    MP_FIELD("college", MP_F_ENUM, MP_F_REQUIRED, .enum_values = colleges),
    MP_FIELD_END};

static const struct mp_field session[] = {
    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED, .enum_values = regions),
    MP_FIELD("call_id", MP_F_UUID, 0),
    MP_FIELD("scheduled_at", MP_F_DATETIME, MP_F_REQUIRED),
    MP_FIELD("quorum_bp", MP_F_INT, 0, .min = 1, .max = 10000),
    MP_FIELD("agenda", MP_F_ARRAY, MP_F_REQUIRED, .min_len = 1, .max_len = 500,
             .items = &uuid_item),
    MP_FIELD_END};

static const struct mp_field attendance[] = {
    MP_FIELD("present", MP_F_ARRAY, MP_F_REQUIRED, .max_len = 1000,
             .items = &uuid_item),
    MP_FIELD_END};

static const struct mp_field conflict[] = {
    MP_FIELD("application_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("statement", MP_F_STRING, 0, .max_len = 2000), MP_FIELD_END};

static const struct mp_field vote[] = {
    MP_FIELD("application_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("choice", MP_F_ENUM, MP_F_REQUIRED, .enum_values = choices),
    MP_FIELD_END};

static const struct mp_field decision[] = {
    MP_FIELD("application_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("minutes", MP_F_STRING, 0, .max_len = 10000), MP_FIELD_END};

static const struct mp_field closing[] = {
    MP_FIELD("minutes", MP_F_STRING, 0, .max_len = 20000), MP_FIELD_END};

static const struct mp_op funding_erc_members_list_op = {
    .query = member_query,
    .apply_sql = "SELECT funding_erc_member_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_erc_member_add_op = {
    .schema = member,
    .apply_sql = "SELECT funding_erc_member_add($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op funding_erc_member_deactivate_op = {
    .apply_sql = "SELECT funding_erc_member_deactivate($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_erc_session_create_op = {
    .schema = session,
    .apply_sql = "SELECT funding_erc_session_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/funding/erc/sessions/%s"};
static const struct mp_op funding_erc_session_get_op = {
    .apply_sql = "SELECT funding_erc_session_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_erc_attendance_op = {
    .schema = attendance,
    .apply_sql = "SELECT funding_erc_attendance($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_erc_session_open_op = {
    .load_sql = "SELECT funding_erc_quorum_facts($1, $2, $3)",
    FUNDING_FACTS_QUORUM,
    .decide = funding_decide_quorum,
    .apply_sql = "SELECT funding_erc_session_open($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_erc_conflict_op = {
    .schema = conflict,
    .apply_sql = "SELECT funding_erc_conflict($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_erc_vote_op = {
    .schema = vote,
    .apply_sql = "SELECT funding_erc_vote($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op funding_erc_decide_op = {
    .schema = decision,
    .load_sql = "SELECT funding_erc_tally_facts($1, $2, $3)",
    FUNDING_FACTS_TALLY,
    .decide = funding_decide_tally,
    .apply_sql = "SELECT funding_erc_decide($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_erc_session_close_op = {
    .schema = closing,
    .apply_sql = "SELECT funding_erc_session_close($1, $2, $3, $4, $5)",
    .status = 200};

MP_OP_ROUTE(funding_erc_members_list)
MP_OP_ROUTE(funding_erc_member_add)
MP_OP_ROUTE(funding_erc_member_deactivate)
MP_OP_ROUTE(funding_erc_session_create)
MP_OP_ROUTE(funding_erc_session_get)
MP_OP_ROUTE(funding_erc_attendance)
MP_OP_ROUTE(funding_erc_session_open)
MP_OP_ROUTE(funding_erc_conflict)
MP_OP_ROUTE(funding_erc_vote)
MP_OP_ROUTE(funding_erc_decide)
MP_OP_ROUTE(funding_erc_session_close)
