/*
 * The gateway's REST proxy: /v1/<service>/... forwarded to the service that
 * owns it, with libcurl's multi socket interface on the worker's Kore event
 * loop (one CURLM per worker, connections kept and reused by it).
 *
 * Upstreams come from the environment, read once in the parent:
 *   MP_UPSTREAM_FUNDING  base URL of the funding service (http://host:port)
 *   MP_UPSTREAM_CASES    ... cases
 *   MP_UPSTREAM_GENDER   ... gender
 * An upstream that is not set answers 503 for its prefix; a malformed one
 * stops start-up.
 *
 * Answers of the proxy itself (problem+json):
 *   503 upstream-not-configured   no base URL for that prefix
 *   502 bad-gateway               refused, reset, unresolvable, malformed or
 *                                 larger than PROXY_RESPONSE_MAX
 *   504 gateway-timeout           no complete answer within
 *                                 PROXY_TIMEOUT_MS (connect: PROXY_CONNECT_MS)
 */
#ifndef GATEWAY_PROXY_H
#define GATEWAY_PROXY_H

#include "mp/service.h"

#define PROXY_TIMEOUT_MS 10000L
#define PROXY_CONNECT_MS 1000L
#define PROXY_RESPONSE_MAX (8L * 1024 * 1024)

/* In the parent (mp_service.parent_init): read and check the upstreams,
 * initialise libcurl, declare the syscalls libcurl needs. 0 or -1. */
int proxy_parent_init(void);

/* In each worker (mp_service.worker_init): the worker's multi handle on
 * its event loop. 0 or -1. */
int proxy_worker_init(void);

/* Handler of the routes /v1/funding, /v1/cases, /v1/gender (prefix, any
 * method): the upstream is chosen by the route's pattern. */
int proxy_handler(struct mp_ctx *ctx);

#endif /* GATEWAY_PROXY_H */
