/*
 * edge.h: the gateway's request pipeline in front of the proxy, for every
 * /v1/... request and, for rate limits, the token endpoints.
 *
 *   1. path hygiene and the gateway's route table (routes.c): 400 / 414 /
 *      404 / 405 with Allow, from the gateway itself;
 *   2. enforcement: the library verified any bearer token; the route's
 *      roles or scopes are checked here (401 with WWW-Authenticate /
 *      403), and a token whose jti was revoked (/auth/revoke) is a 401;
 *   3. rate limits per API client, user or IP, fixed windows in Redis,
 *      with RateLimit-Policy / RateLimit headers on every limited answer
 *      and 429 + Retry-After;
 *   4. Idempotency-Key on POST and PATCH: replay, 409 while in flight,
 *      422 for another body, 503 when Redis cannot say;
 *   5. the response cache of cacheable GETs, with ETag / If-None-Match,
 *      X-Cache: hit | miss;
 *   6. CORS for an allow-list of origins and security headers;
 *   then the proxy (its circuit breaker, W3C traceparent).
 *
 * Configuration (environment, read in the parent):
 *   MP_RATE_LIMITS      "default=300/60,auth=10/60,write=60/60" (those are
 *                       the built-ins; a class not named keeps its own)
 *   MP_TRUSTED_PROXIES  comma-separated IP addresses of proxies whose
 *                       X-Forwarded-For is believed (exact match); empty:
 *                       the peer address is the client
 *   MP_CORS_ORIGINS     comma-separated origins allowed to call from a
 *                       browser, exact match ("https://a.example"); empty:
 *                       no CORS headers at all
 *   MP_CORS_MAX_AGE_S   Access-Control-Max-Age of preflights (default 600)
 *   MP_REVOCATION_FAIL  "open" (default) or "closed": what a token whose
 *                       revocation cannot be checked (Redis down) gets on a
 *                       non-public route: served, or 503
 *
 * Redis down: GETs are served uncached, rate limits are not applied (both
 * counted in metrics), idempotent writes are refused with 503.
 */
#ifndef GATEWAY_EDGE_H
#define GATEWAY_EDGE_H

#include "mp/service.h"

/* In the parent: configuration, route table self-check, metrics. 0 or -1
 * with one line on stderr. */
int gw_edge_parent_init(void);

/* Handler of the /v1/funding, /v1/cases and /v1/gender prefixes (every
 * method): the whole pipeline, then the upstream. */
int gw_edge_handler(struct mp_ctx *ctx);

/* The token endpoints behind the AUTH rate-limit class, then auth.c's
 * handlers. */
int gw_edge_auth_token(struct mp_ctx *ctx);
int gw_edge_auth_register(struct mp_ctx *ctx);

/* CORS preflight (OPTIONS) of the gateway's own routes. */
int gw_edge_preflight(struct mp_ctx *ctx);

#endif /* GATEWAY_EDGE_H */
