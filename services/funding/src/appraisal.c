/*
 * Appraisal (instruction): officers assign appraisers to an eligible
 * application; each appraiser declares the absence (or presence) of a
 * conflict of interest before anything of the file is shown to them, then
 * scores every criterion of the call's grid (decide.c over
 * domain_scoring.c computes the weighted result).
 */
#include "decide.h"
#include "routes.h"

static const char *const recommendations[] = {"fund", "fund_with_changes",
                                              "do_not_fund", NULL};
static const struct mp_field list_query[] = {
    MP_FIELD("application_id", MP_F_UUID, 0), MP_Q_LIMIT, MP_Q_CURSOR,
    MP_FIELD_END};
/* the first page of each of up to 100 applications
 * (0006_application_appraisals_batch) */
static const struct mp_field batch_query[] = {
    MP_FIELD("application_ids", MP_F_STRING, MP_F_REQUIRED, .min_len = 36,
             .max_len = 3699),
    MP_FIELD("per_parent", MP_F_INT, 0, .min = 1, .max = 200), MP_FIELD_END};

static const struct mp_field assign[] = {MP_FIELD("appraiser_sub", MP_F_STRING,
                                                  MP_F_REQUIRED, .min_len = 1,
                                                  .max_len = 64),
                                         MP_FIELD_END};

static const struct mp_field declaration[] = {
    MP_FIELD("conflict", MP_F_BOOL, MP_F_REQUIRED),
    MP_FIELD("statement", MP_F_STRING, 0, .max_len = 2000), MP_FIELD_END};

static const struct mp_field scores[] = {
    MP_FIELD("scores", MP_F_OBJECT, MP_F_REQUIRED),
    MP_FIELD("comments", MP_F_STRING, 0, .max_len = 8000),
    MP_FIELD("recommendation", MP_F_ENUM, MP_F_REQUIRED,
             .enum_values = recommendations),
    MP_FIELD_END};

static const struct mp_op funding_appraiser_assign_op = {
    .schema = assign,
    .apply_sql = "SELECT funding_appraiser_assign($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/funding/appraisals/%s"};
static const struct mp_op funding_appraisals_list_op = {
    .query = list_query,
    .apply_sql = "SELECT funding_appraisal_list($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_application_appraisals_batch_op = {
    .query = batch_query,
    .apply_sql =
        "SELECT funding_application_appraisals_batch($1, $2, $3, $4, $5)",
    .status = 200,
    .ctype = FUNDING_JSON_RAW};
static const struct mp_op funding_appraisal_get_op = {
    .apply_sql = "SELECT funding_appraisal_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_appraisal_declare_op = {
    .schema = declaration,
    .apply_sql = "SELECT funding_appraisal_declare($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_appraisal_scores_op = {
    .schema = scores,
    .load_sql = "SELECT funding_appraisal_score_facts($1, $2, $3)",
    FUNDING_FACTS_GRID,
    .decide = funding_decide_scores,
    .apply_sql = "SELECT funding_appraisal_submit($1, $2, $3, $4, $5)",
    .status = 200};

MP_OP_ROUTE(funding_appraiser_assign)
MP_OP_ROUTE(funding_appraisals_list)
MP_OP_ROUTE(funding_application_appraisals_batch)
MP_OP_ROUTE(funding_appraisal_get)
MP_OP_ROUTE(funding_appraisal_declare)
MP_OP_ROUTE(funding_appraisal_scores)
