/*
 * Every handler of the gender service, one per route of service.c's table
 * (and of openapi/gender.yaml). Each is MP_OP_ROUTE(name): it runs the op
 * name##_op of its file (mp/run.h).
 */
#ifndef GENDER_ROUTES_H
#define GENDER_ROUTES_H

#include "mp/run.h"
#include "mp/service.h"

/* A 400 problem naming `field` and `reason` (errors[]), answered from a
 * decide step or an args hook. Returns MP_ANSWERED. */
int gender_refuse_field(struct mp_ctx *ctx, const char *field,
                        const char *reason);

/* indicators.c */
int gender_indicators_list(struct mp_ctx *ctx);
int gender_figures(struct mp_ctx *ctx);
int gender_figures_csv_route(struct mp_ctx *ctx);
int gender_figures_dvs_route(struct mp_ctx *ctx);
int gender_figures_svg_route(struct mp_ctx *ctx);
int gender_targets_list(struct mp_ctx *ctx);
int gender_alerts(struct mp_ctx *ctx);
int gender_target_put(struct mp_ctx *ctx);
int gender_disclosure_get(struct mp_ctx *ctx);
int gender_disclosure_put(struct mp_ctx *ctx);
int gender_projection_get(struct mp_ctx *ctx);
int gender_replay(struct mp_ctx *ctx);

/* diagnostics.c */
int gender_diagnostic_create(struct mp_ctx *ctx);
int gender_diagnostics_list(struct mp_ctx *ctx);
int gender_diagnostic_get(struct mp_ctx *ctx);
int gender_questionnaire_create(struct mp_ctx *ctx);
int gender_questionnaire_get(struct mp_ctx *ctx);
int gender_version_create(struct mp_ctx *ctx);
int gender_version_update(struct mp_ctx *ctx);
int gender_campaign_create(struct mp_ctx *ctx);
int gender_responses_batch(struct mp_ctx *ctx);
int gender_results(struct mp_ctx *ctx);
int gender_recommendation_create(struct mp_ctx *ctx);
int gender_action_create(struct mp_ctx *ctx);
int gender_action_update(struct mp_ctx *ctx);

#endif /* GENDER_ROUTES_H */
