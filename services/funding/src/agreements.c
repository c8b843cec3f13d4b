/*
 * Grant agreements of selected applications and their tranches: the
 * schedule is checked by the domain (amounts summing to the committed
 * amount, well-formed conditions); a tranche is released only when its
 * condition is met (decide.c over domain_ledger.c), and the release is a
 * disbursement in the envelope's ledger in the same transaction.
 */
#include "decide.h"
#include "routes.h"

static const struct mp_field tranche_fields[] = {
    MP_FIELD("amount_minor", MP_F_MONEY, MP_F_REQUIRED, .min = 1,
             .max = FUNDING_MONEY_MAX),
    MP_FIELD("condition", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 90),
    MP_FIELD_END};
static const struct mp_field tranche =
    MP_FIELD("tranche", MP_F_OBJECT, 0, .fields = tranche_fields);

static const struct mp_field agreement[] = {
    MP_FIELD("tranches", MP_F_ARRAY, MP_F_REQUIRED, .min_len = 1,
             .max_len = FUNDING_TRANCHES_MAX, .items = &tranche),
    MP_FIELD_END};

static const struct mp_op funding_agreement_create_op = {
    .schema = agreement,
    .load_sql = "SELECT funding_agreement_facts($1, $2, $3)",
    FUNDING_FACTS_AGREEMENT,
    .decide = funding_decide_schedule,
    .apply_sql = "SELECT funding_agreement_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/funding/agreements/%s"};
static const struct mp_op funding_agreement_get_op = {
    .apply_sql = "SELECT funding_agreement_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op funding_agreement_transition_op = {
    .schema = funding_transition_body,
    .load_sql = "SELECT funding_agreement_state($1, $2, $3)",
    FUNDING_FACTS_STATE,
    .decide = funding_decide_transition,
    .apply_sql = "SELECT funding_agreement_transition($1, $2, $3, $4, $5)",
    .status = 200,
    .arg = &funding_machine_agreement};
static const struct mp_op funding_tranche_release_op = {
    .load_sql = "SELECT funding_tranche_facts($1, $2, $3)",
    FUNDING_FACTS_RELEASE,
    .decide = funding_decide_release,
    .apply_sql = "SELECT funding_tranche_release($1, $2, $3, $4, $5)",
    .status = 200};

MP_OP_ROUTE(funding_agreement_create)
MP_OP_ROUTE(funding_agreement_get)
MP_OP_ROUTE(funding_agreement_transition)
MP_OP_ROUTE(funding_tranche_release)
