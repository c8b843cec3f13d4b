/*
 * stages.h: the stages of the gateway's request pipeline, one file each
 * (stage_<name>.c), in the order of gw_stages[] (stages.c). How a stage
 * plugs in: pipeline.h.
 */
#ifndef GW_EDGE_STAGES_H
#define GW_EDGE_STAGES_H

#include "edge/pipeline.h"

extern const struct gw_stage gw_stage_path;       /* stage_path.c */
extern const struct gw_stage gw_stage_cors;       /* stage_cors.c */
extern const struct gw_stage gw_stage_deployed;   /* stage_upstream.c */
extern const struct gw_stage gw_stage_auth;       /* stage_auth.c */
extern const struct gw_stage gw_stage_breaker;    /* stage_upstream.c */
extern const struct gw_stage gw_stage_trace;      /* stage_trace.c */
extern const struct gw_stage gw_stage_revocation; /* stage_revocation.c */
extern const struct gw_stage gw_stage_ratelimit;  /* stage_ratelimit.c */
extern const struct gw_stage gw_stage_idem;       /* stage_idem.c */
extern const struct gw_stage gw_stage_cache;      /* stage_cache.c */

/* stage_cors.c: the 204 answer of a CORS preflight (Allow-Methods,
 * -Headers, Max-Age for an allowed origin that asks), for a request whose
 * pipeline already added the stage's headers. MP_DONE. */
int gw_cors_preflight_reply(struct mp_ctx *ctx);

/* stage_cache.c, also for the GraphQL façade's cached answers: the
 * headers of an answer the cache keeps (X-Cache: xcache, the ETag when
 * not NULL or "", Cache-Control: private, no-cache for a signed-in caller
 * and no-cache otherwise, Vary: vary); and the 304 of a matching
 * If-None-Match (1: answered, 0: not). */
void gw_cache_reply_headers(struct mp_ctx *ctx, const char *etag,
                            const char *xcache, const char *vary);
int gw_cache_not_modified(struct mp_ctx *ctx, const char *etag);

/*
 * stage_ratelimit.c, for an answer given without the n GETs it stands for
 * (a cached GraphQL answer, graphql/http.c): count n requests of the
 * default class against ctx's caller (API client, user or client address,
 * as the stage counts a /v1 request), all or none: refused when the
 * window cannot give all n.
 *
 * gw_rate_charge_start: decided from the worker's lease when it can be
 * (returns 0), else one INCRBY (returns 1; the request is woken by
 * http_request_wakeup when its reply is in: gw_rate_charge_pending says
 * 0 from then on). -ENOMEM: nothing to count with (*out NULL). Redis down
 * or a caller that cannot be named: 0, and not applied (counted).
 * gw_rate_charge_answer: once decided, adds RateLimit-Policy and
 * RateLimit (and Retry-After when refused) to ctx's answer; returns 0
 * to serve, else the Retry-After seconds (>= 1) of a refusal (counted in
 * gw_ratelimit_refused_total): the caller answers 429.
 * gw_rate_charge_free: at any time, also while the reply is awaited (it
 * then frees the charge).
 */
struct gw_rate_charge;
int gw_rate_charge_start(struct mp_ctx *ctx, int64_t n,
                         struct gw_rate_charge **out);
int gw_rate_charge_pending(const struct gw_rate_charge *c);
int gw_rate_charge_answer(struct gw_rate_charge *c, struct mp_ctx *ctx);
void gw_rate_charge_free(struct gw_rate_charge *c);

#endif /* GW_EDGE_STAGES_H */
