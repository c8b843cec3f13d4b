/*
 * Every handler of the gender service, one per route of service.c's table
 * (and of openapi/gender.yaml). Each is MP_OP_ROUTE(name): it runs the op
 * name##_op of its file (mp/run.h).
 */
#ifndef GENDER_ROUTES_H
#define GENDER_ROUTES_H

#include "mp/run.h"
#include "mp/service.h"

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

#endif /* GENDER_ROUTES_H */
