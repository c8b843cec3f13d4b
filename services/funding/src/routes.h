/*
 * Every handler of the funding service, one per route of service.c's
 * table (and of openapi/funding.yaml). Each is MP_OP_ROUTE(name): it runs
 * the op name##_op of its file (mp/run.h).
 */
#ifndef FUNDING_ROUTES_H
#define FUNDING_ROUTES_H

#include "mp/run.h"
#include "mp/service.h"

#include "mp/query.h"

#include "domain.h"

/* Largest amount in minor units a body may carry (10^13 = 100 bn EUR). */
#define FUNDING_MONEY_MAX 10000000000000LL

/* Content type of answers sent as the database wrote them (lists,
 * dashboards: no ETag or Location to derive, so no parse and re-dump). */
#define FUNDING_JSON_RAW "application/json"

/* List filters shared by several routes (openapi/funding.yaml: RegionCode
 * and the year pattern ^[1-9][0-9]{3}$). */
#define FUNDING_Q_REGION                                                       \
	MP_FIELD("region", MP_F_ENUM, 0, .enum_values = funding_regions)
#define FUNDING_Q_YEAR MP_FIELD("year", MP_F_INT, 0, .min = 1000, .max = 9999)

/* Body of every .../transitions route: {"to": state or action,
 * "comment"}. */
extern const struct mp_field funding_transition_body[];

/* calls.c */
int funding_themes_list(struct mp_ctx *ctx);
int funding_applicant_types_list(struct mp_ctx *ctx);
int funding_communes_list(struct mp_ctx *ctx);
int funding_calls_list(struct mp_ctx *ctx);
int funding_call_get(struct mp_ctx *ctx);
int funding_call_create(struct mp_ctx *ctx);
int funding_call_update(struct mp_ctx *ctx);
int funding_call_transition(struct mp_ctx *ctx);
int funding_call_ranking(struct mp_ctx *ctx);
int funding_envelopes_list(struct mp_ctx *ctx);
int funding_envelope_get(struct mp_ctx *ctx);
int funding_envelope_put(struct mp_ctx *ctx);

/* applications.c */
int funding_application_create(struct mp_ctx *ctx);
int funding_applications_list(struct mp_ctx *ctx);
int funding_call_applications(struct mp_ctx *ctx);
int funding_call_applications_batch(struct mp_ctx *ctx);
int funding_application_get(struct mp_ctx *ctx);
int funding_application_update(struct mp_ctx *ctx);
int funding_application_submit(struct mp_ctx *ctx);
int funding_application_transition(struct mp_ctx *ctx);

/* appraisal.c */
int funding_appraiser_assign(struct mp_ctx *ctx);
int funding_appraisals_list(struct mp_ctx *ctx);
int funding_application_appraisals_batch(struct mp_ctx *ctx);
int funding_appraisal_get(struct mp_ctx *ctx);
int funding_appraisal_declare(struct mp_ctx *ctx);
int funding_appraisal_scores(struct mp_ctx *ctx);

/* erc.c */
int funding_erc_members_list(struct mp_ctx *ctx);
int funding_erc_member_add(struct mp_ctx *ctx);
int funding_erc_member_deactivate(struct mp_ctx *ctx);
int funding_erc_session_create(struct mp_ctx *ctx);
int funding_erc_session_get(struct mp_ctx *ctx);
int funding_erc_attendance(struct mp_ctx *ctx);
int funding_erc_session_open(struct mp_ctx *ctx);
int funding_erc_conflict(struct mp_ctx *ctx);
int funding_erc_vote(struct mp_ctx *ctx);
int funding_erc_decide(struct mp_ctx *ctx);
int funding_erc_session_close(struct mp_ctx *ctx);

/* agreements.c */
int funding_agreement_create(struct mp_ctx *ctx);
int funding_agreement_get(struct mp_ctx *ctx);
int funding_agreement_transition(struct mp_ctx *ctx);
int funding_tranche_release(struct mp_ctx *ctx);
int funding_report_create(struct mp_ctx *ctx);
int funding_report_get(struct mp_ctx *ctx);
int funding_report_transition(struct mp_ctx *ctx);
int funding_visit_create(struct mp_ctx *ctx);
int funding_evaluation_create(struct mp_ctx *ctx);
int funding_dashboard(struct mp_ctx *ctx);
int funding_dashboard_csv(struct mp_ctx *ctx);

#endif /* FUNDING_ROUTES_H */
