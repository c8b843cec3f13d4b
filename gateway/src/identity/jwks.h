/*
 * jwks.h: GET /.well-known/jwks.json, the token verification keys of
 * MP_JWT_KEYS published as a JWK Set.
 */
#ifndef GATEWAY_JWKS_H
#define GATEWAY_JWKS_H

#include "mp/service.h"

/* In the parent, after the library loaded MP_JWT_KEYS: build the JWK Set
 * document. 0, or -1 with one line on stderr. */
int gw_jwks_parent_init(void);

/* Handler of GET /.well-known/jwks.json (public, cacheable 300 s). */
int gw_jwks_get(struct mp_ctx *ctx);

#endif /* GATEWAY_JWKS_H */
