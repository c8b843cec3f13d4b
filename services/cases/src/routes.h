/*
 * Handlers of the cases service's accompaniment routes, one per route of
 * service.c's table (and of openapi/cases.yaml). Each is MP_OP_ROUTE(name):
 * it runs the op name##_op of its file (mp/run.h).
 */
#ifndef CASES_ROUTES_H
#define CASES_ROUTES_H

#include "mp/run.h"
#include "mp/service.h"

/* Content type of answers sent as the database wrote them (lists,
 * dashboards without sealed fields: no parse and re-dump). */
#define CASES_JSON_RAW "application/json"

/* persons.c */
int cases_person_create(struct mp_ctx *ctx);
int cases_persons_list(struct mp_ctx *ctx);
int cases_person_get(struct mp_ctx *ctx);
int cases_person_update(struct mp_ctx *ctx);
int cases_consent_create(struct mp_ctx *ctx);
int cases_consent_withdraw(struct mp_ctx *ctx);
int cases_person_export(struct mp_ctx *ctx);
int cases_person_erase(struct mp_ctx *ctx);

/* casework.c */
int cases_case_open(struct mp_ctx *ctx);
int cases_cases_list(struct mp_ctx *ctx);
int cases_case_get(struct mp_ctx *ctx);
int cases_case_transition(struct mp_ctx *ctx);
int cases_case_assign(struct mp_ctx *ctx);
int cases_case_note(struct mp_ctx *ctx);
int cases_referral_create(struct mp_ctx *ctx);
int cases_referral_get(struct mp_ctx *ctx);
int cases_referral_transition(struct mp_ctx *ctx);
int cases_referrals_overdue(struct mp_ctx *ctx);
int cases_mediation_create(struct mp_ctx *ctx);
int cases_mediation_update(struct mp_ctx *ctx);

/* training.c */
int cases_training_session_create(struct mp_ctx *ctx);
int cases_training_sessions_list(struct mp_ctx *ctx);
int cases_training_attendance(struct mp_ctx *ctx);
int cases_certification_create(struct mp_ctx *ctx);
int cases_certifications_list(struct mp_ctx *ctx);
int cases_certification_revoke(struct mp_ctx *ctx);
int cases_audit_list(struct mp_ctx *ctx);
int cases_dashboard(struct mp_ctx *ctx);

#endif /* CASES_ROUTES_H */
