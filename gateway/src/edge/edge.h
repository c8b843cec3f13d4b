/*
 * edge.h: the gateway's request pipeline in front of the proxy, for every
 * /v1/... request and, for rate limits, the token endpoints.
 *
 * The pipeline is a table of stages (stages.c), one file each:
 *   stage_path.c        path hygiene and the route table the owning
 *                       upstream serves (route_table.h): 400 / 414 / 404 /
 *                       405 with Allow, from the gateway itself;
 *   stage_cors.c        security headers, CORS for an allow-list of
 *                       origins, preflights (MP_CORS_ORIGINS,
 *                       MP_CORS_MAX_AGE_S);
 *   stage_upstream.c    503 for an upstream not configured here, or whose
 *                       circuit is open;
 *   stage_auth.c        the route's roles or scopes (401 with
 *                       WWW-Authenticate / 403);
 *   stage_trace.c       W3C traceparent;
 *   stage_revocation.c  a token whose jti was revoked is a 401
 *                       (MP_REVOCATION_FAIL: open or closed without Redis);
 *   stage_ratelimit.c   per API client, user or IP, RateLimit headers, 429
 *                       + Retry-After (MP_RATE_LIMITS, MP_TRUSTED_PROXIES);
 *   stage_idem.c        Idempotency-Key on POST and PATCH: replay, 409
 *                       while in flight, 422 for another body, 503 when
 *                       Redis cannot say;
 *   stage_cache.c       the response cache of cacheable GETs, ETag /
 *                       If-None-Match, X-Cache: hit | miss;
 * then the proxy (proxy/: its circuit breaker). How a stage plugs in:
 * pipeline.h; each stage's file says what it reads from the environment
 * (in the parent) and what it does when Redis is down.
 */
#ifndef GATEWAY_EDGE_H
#define GATEWAY_EDGE_H

#include "mp/service.h"

/* In the parent: every stage's parent_init (configuration, route table
 * self-check, metrics), in order. 0 or -1 with one line on stderr. */
int gw_edge_parent_init(void);

/* Handler of the /v1 prefix (every method): the whole pipeline, then the
 * upstream that owns /v1/<name>. */
int gw_edge_handler(struct mp_ctx *ctx);

/* The token endpoints: the GW_ON_TOKEN stages (the AUTH rate-limit
 * class), then identity/auth.c's handlers. */
int gw_edge_auth_token(struct mp_ctx *ctx);
int gw_edge_auth_register(struct mp_ctx *ctx);

/* The security and CORS headers of every answer of the gateway
 * (stage_cors.c): its mp_service.headers, called once per request. */
void gw_edge_reply_headers(struct mp_ctx *ctx);

/*
 * gw_edge_own: the gateway's other own routes (/auth/me, /auth/revoke,
 * /admin/...): the GW_ON_OWN stages (the revocation of the bearer
 * token: 401 for a revoked one), then `next`,
 * the route's handler, with ctx->user free again. Returns MP_DONE or
 * MP_WAIT.
 */
int gw_edge_own(struct mp_ctx *ctx, mp_handler next);

/* CORS preflight (OPTIONS) of the gateway's own routes: gw_edge_own with
 * the preflight answer of stage_cors.c. */
int gw_edge_preflight(struct mp_ctx *ctx);

#endif /* GATEWAY_EDGE_H */
