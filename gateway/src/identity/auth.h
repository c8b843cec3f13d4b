/*
 * auth.h: the gateway's identity and token service (OAuth 2.0 style,
 * RFC 6749 / RFC 7009):
 *
 *   POST /auth/token     grant_type=password | refresh_token |
 *                        client_credentials (form-encoded)
 *   POST /auth/revoke    a refresh token (its family, and the access
 *                        tokens issued with it) or an access token (its
 *                        jti, in revoked_jtis and Redis)
 *   POST /auth/register  applicant self-registration (JSON)
 *   GET  /auth/me        the caller's profile
 *
 * Configuration (environment, read in the parent):
 *   MP_JWT_SIGNING_KEY  "kid:ALG:/path/private.pem" (RS256 or ES256); its
 *                       kid must be in MP_JWT_KEYS with the matching public
 *                       key (checked at start). Unset: /auth/token and
 *                       /auth/register answer 503.
 *   MP_ACCESS_TTL_S     access token lifetime, default 900 (60..86400)
 *   MP_REFRESH_TTL_S    refresh token lifetime, default 2592000 (30 days)
 *   MP_BOOTSTRAP_ADMIN  "username:password": created as admin at start
 *                       when no enabled admin exists (idempotent)
 *   MP_PWHASH_FAST      1 = minimal argon2id costs (tests only, pwhash.h)
 *
 * Access tokens carry iss, aud, sub, roles, region, commune, organisation,
 * scope, client_id (API clients), jti (UUID v7), iat, exp. A revoked
 * access token's jti is a row of revoked_jtis, mirrored into the library's
 * revoked_token that every gateway worker reads into memory
 * (0008_revocation_view.sql, edge/stage_revocation.c), and is published
 * once on events:gateway as gateway.token.revoked.v1 {jti, exp} for the
 * services (0003_revocation_events.sql; openapi/events.asyncapi.yaml).
 */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include <stddef.h>

#include <jansson.h>

#include "mp/service.h"

/* In the parent: configuration, signing key check, password hashing
 * set-up, bootstrap admin. 0, or -1 with one line on stderr. */
int gw_auth_parent_init(void);

/*
 * gw_auth_sign: sign claims (borrowed) with the configured signing key.
 * *out is malloc'd (the caller wipes and frees it). Returns 0, -ENOENT
 * when no signing key is configured, or mp_jwt_sign's error.
 */
int gw_auth_sign(json_t *claims, char **out);

/*
 * gw_auth_revoked_note: make this worker refuse revoked access tokens
 * at once (mp_revocation_note); the other workers learn them from the
 * database within a poll period. `list` (borrowed): a JSON array of
 * {"jti", "exp"}, as the SQL functions that revoke them return it; they
 * have recorded the revocation and published it already.
 */
void gw_auth_revoked_note(const json_t *list);

/* Handlers (routes in service.c). */
int gw_auth_token(struct mp_ctx *ctx);
int gw_auth_revoke(struct mp_ctx *ctx);
int gw_auth_register(struct mp_ctx *ctx);
int gw_auth_me(struct mp_ctx *ctx);

#endif /* GATEWAY_AUTH_H */
