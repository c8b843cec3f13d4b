/*
 * The gateway's REST proxy: /v1/<service>/... forwarded to the service that
 * owns it, on the worker's Kore event loop: http:// upstreams (and
 * gw_proxy_fetch of http:// URLs) through the native HTTP/1.1 client
 * (h1client.h: per-worker pools of kept connections), https:// ones
 * through libcurl's multi socket interface (one CURLM per worker). edge.c
 * decides whether and what to forward; this module moves the bytes and keeps
 * one circuit breaker per upstream.
 *
 * Configuration (environment, read once in the parent):
 *   MP_UPSTREAMS         the upstreams and their base URLs,
 *                        "funding=http://host:port,cases=http://..."
 *                        (syntax: upstream_conf.h); no service is named
 *                        anywhere else in the gateway
 *   MP_UPSTREAM_TIMEOUT_MS  whole-transfer timeout of every upstream
 *                        (default 10000, at most 60 s; "10s" forms
 *                        accepted)
 *   MP_UPSTREAM_<NAME>_TIMEOUT_MS  the same for one upstream (<NAME>
 *                        upper-cased, '-' as '_'), overrides the above
 *   MP_BREAKER           "<failures>/<open time>", default "5/10s": after
 *                        that many consecutive failures an upstream is
 *                        answered 503 at once for the open time; "off"
 *                        disables the breaker
 *   MP_UPSTREAM_CLIENT   "native" (default: the native client for every
 *                        upstream whose bases are all http://) or "curl"
 *                        (libcurl for every upstream)
 * An upstream named without a URL answers 503 for its prefix; a malformed
 * value stops start-up.
 *
 * Replicas: an upstream may list several base URLs (upstream_conf.h).
 * A call goes to the replica with the fewest calls in flight from this
 * worker among those whose breaker admits it; each replica has its own
 * breaker (ejected when open, probed back by its half-open trial); a GET
 * or HEAD that a replica refuses, drops without an answer or answers 502
 * or 503 is sent once to another replica (writes and timeouts never).
 * gw_proxy_upstream_check says -EAGAIN only when every replica is open.
 *
 * The circuit breaker is per worker and per replica (each worker learns
 * on its own within N requests; no shared state to lock). A failure is a
 * transfer that brought no usable answer (refused, reset, timed out,
 * unresolvable, malformed, too large) or an upstream 502, 503 or 504: the
 * service or what stands in front of it is unwell. A 500 is one route's bug and
 * does not count; any other answer is a success. Open: gw_proxy_start refuses
 * with -EAGAIN until the open time has passed; then half-open: exactly
 * one request (the trial) is let through, whose success closes the circuit
 * and whose failure opens it again. A trial whose client went away frees
 * the slot without a verdict.
 *
 * Answers of the proxy itself (problem+json, gw_proxy_fail_reply):
 *   502 bad-gateway       refused, reset, unresolvable, malformed or larger
 *                         than PROXY_RESPONSE_MAX
 *   504 gateway-timeout   no complete answer within the upstream's timeout
 *                         (connect: PROXY_CONNECT_MS)
 */
#ifndef GATEWAY_PROXY_H
#define GATEWAY_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "mp/service.h"

#define PROXY_TIMEOUT_MS 10000L
#define PROXY_CONNECT_MS 1000L
#define PROXY_RESPONSE_MAX (8L * 1024 * 1024)

/* gw_proxy_start flags */
#define PROXY_NO_CONDITIONAL                                                   \
	0x01 /* drop If-None-Match / If-Modified-Since:                        \
	        the gateway answers those itself */

struct proxy_call;
struct gw_upstream_conf;

/* The upstreams as configured (after gw_proxy_parent_init): *n of them. */
const struct gw_upstream_conf *gw_proxy_upstream_conf(int *n);

/* The name of upstream i (the route registry's index), or NULL. */
const char *gw_proxy_upstream_name(int i);

/* In the parent (mp_service.parent_init): read and check the upstreams,
 * timeouts and breaker, initialise libcurl, declare the syscalls libcurl
 * needs and the proxy's metrics. 0 or -1 (one line on stderr). */
int gw_proxy_parent_init(void);

/* In each worker (mp_service.worker_init): the worker's multi handle on
 * its event loop. 0 or -1. */
int gw_proxy_worker_init(void);

/*
 * gw_proxy_upstream_check: may `upstream` ("funding") be called now, by this
 * worker's breaker? Read-only (claims no half-open trial). Returns 0,
 * -ENOENT (unknown or not configured), or -EAGAIN (open) with the seconds
 * left in *retry_after_s (>= 1).
 */
int gw_proxy_upstream_check(const char *upstream, int *retry_after_s);

/* gw_proxy_upstream_timeout_ms: the time limit of a call to `upstream`
 * (MP_UPSTREAM_<NAME>_TIMEOUT_MS, else MP_UPSTREAM_TIMEOUT_MS); the largest
 * allowed, 60 s, for a name not configured here. */
int64_t gw_proxy_upstream_timeout_ms(const char *upstream);

/*
 * gw_proxy_start: forward ctx's request (method, path, query, end-to-end
 * headers, plus X-Request-Id, X-Forwarded-For and `traceparent`, which
 * replaces the client's) to `upstream`, with `body` (len bytes; ownership
 * passes to the call, freed with it, also on failure; may be NULL when len
 * is 0). On 0 the request is parked (http_request_sleep) and *out is the
 * call: the caller sets ctx->resume, keeps *out in its request state and
 * releases it with gw_proxy_call_free from its user_free (which also ends a
 * transfer whose client went away); when the transfer ends the request is
 * woken. Returns 0; -ENOENT (not configured), -EAGAIN (breaker open,
 * *retry_after_s set), -ENAMETOOLONG (target too long), -EINVAL (a
 * method that cannot be forwarded), -ENOMEM or -EIO (libcurl refused).
 */
int gw_proxy_start(struct mp_ctx *ctx, const char *upstream, char *body,
                   size_t len, const char *traceparent, int flags,
                   int *retry_after_s, struct proxy_call **out);

/*
 * gw_proxy_fetch: a request the gateway makes on behalf of ctx to `url` (the
 * GraphQL façade calls the gateway's own /v1 routes, so each read runs the
 * whole REST pipeline: roles, revocation, rate limits, cache, breaker,
 * metrics): `method` ("GET", "POST", "PUT", "PATCH", "DELETE"), headers as
 * a NULL-terminated list of name, value pairs, `body` (len bytes, owned by
 * the call as for gw_proxy_start). Several may run at once for one request;
 * each one's end wakes it. Returns 0 with *out as for gw_proxy_start, or
 * -ENOENT (no multi handle), -EINVAL, -ENOMEM, -EIO.
 */
int gw_proxy_fetch(struct mp_ctx *ctx, const char *method, const char *url,
                   const char *const *hdrs, char *body, size_t len,
                   struct proxy_call **out);
/* gw_proxy_call_free: end and release a call (NULL-safe). */
void gw_proxy_call_free(struct proxy_call *pc);

/* 1 once the transfer has ended (the request was woken for it). */
int gw_proxy_call_done(const struct proxy_call *pc);

/* The upstream's HTTP status (200..599), or 0 when the transfer brought no
 * usable answer (answer with gw_proxy_fail_reply). */
int gw_proxy_call_status(const struct proxy_call *pc);

/* First response header `name` (case-insensitive), or NULL. Borrowed. */
const char *gw_proxy_call_header(const struct proxy_call *pc, const char *name);

/* The response body (borrowed; NULL when empty) and its length. */
const char *gw_proxy_call_body(const struct proxy_call *pc, size_t *len);

/* 502 or 504 problem for a call whose status is 0. Returns MP_DONE. */
int gw_proxy_fail_reply(struct mp_ctx *ctx, struct proxy_call *pc);

/*
 * gw_proxy_reply: send the upstream's answer to the client: its status,
 * end-to-end headers except those named in `drop` (NULL-terminated,
 * case-insensitive; may be NULL) and except what Kore writes itself, then
 * X-Request-Id, then the body. Headers the caller added before are kept.
 * Returns MP_DONE.
 */
int gw_proxy_reply(struct mp_ctx *ctx, struct proxy_call *pc,
                   const char *const *drop);

#endif /* GATEWAY_PROXY_H */
