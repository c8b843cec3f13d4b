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

#endif /* GW_EDGE_STAGES_H */
