/*
 * tokens.h: the pure part of the gateway's identity and token
 * service (no Kore types): form-urlencoded bodies (RFC 6749 appendix B),
 * HTTP Basic client credentials (RFC 6749 2.3.1), opaque refresh tokens and
 * client secrets with their SHA-256 digests, the lock-out back-off, scope
 * lists, account rules and the claims of an access token.
 *
 * Implemented in tokens.c; tested by tests/unit/check_gateway_tokens.c.
 * Everything here that handles a secret (a password in a form, a refresh
 * token, a client secret) wipes its own copies with sodium_memzero.
 */
#ifndef GATEWAY_DOMAIN_TOKENS_H
#define GATEWAY_DOMAIN_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- form bodies ----------------------------------------------------------
 */

#define GW_FORM_MAX_BYTES 8192 /* a token request is a few hundred bytes */
#define GW_FORM_MAX_PARAMS 16

struct gw_tok_form {
	size_t n;
	const char *names[GW_FORM_MAX_PARAMS];  /* point into buf */
	const char *values[GW_FORM_MAX_PARAMS]; /* point into buf */
	char *buf; /* decoded copy of the body, wiped and freed by
	              gw_tok_form_free */
	size_t cap;
};

/*
 * gw_tok_form_parse: parse body[0..len) as application/x-www-form-urlencoded:
 * "name=value" pairs separated by '&', '+' for space, %XX escapes. Strict:
 * an empty body, an empty pair ("a=1&&b=2"), a pair without '=', an empty
 * name, a bad or truncated escape, a decoded NUL or control character, a
 * byte outside printable ASCII in the raw body, a parameter given twice
 * (RFC 6749 3.2) or more than GW_FORM_MAX_PARAMS pairs is -EINVAL;
 * len > GW_FORM_MAX_BYTES is -E2BIG; -ENOMEM. On success *f owns a decoded
 * copy (release it with gw_tok_form_free); on failure *f is left empty (safe
 * to free). body is not kept.
 */
int gw_tok_form_parse(const char *body, size_t len, struct gw_tok_form *f);

/* gw_tok_form_get: the decoded value of parameter `name`, or NULL. Borrowed
 * from f. An empty value ("scope=") is returned as "". */
const char *gw_tok_form_get(const struct gw_tok_form *f, const char *name);

/* gw_tok_form_free: wipe (it may hold a password) and release f's copy;
 * f becomes empty. NULL-safe. */
void gw_tok_form_free(struct gw_tok_form *f);

/*
 * gw_tok_basic_parse: client credentials from an Authorization header value
 * "Basic base64(urlencoded(id) ':' urlencoded(secret))" (RFC 6749 2.3.1;
 * scheme case-insensitive). Writes the decoded id and secret (NUL-
 * terminated). Returns 0; -ENOENT when header is NULL or another scheme;
 * -EINVAL when malformed (bad base64, no ':', empty id, escapes, controls);
 * -ENAMETOOLONG when a part does not fit. Outputs are wiped on failure.
 */
int gw_tok_basic_parse(const char *header, char *id, size_t idlen, char *secret,
                       size_t secretlen);

/* ---- opaque secrets ---------------------------------------------------------
 */

/* "rt_" + 43 base64url characters (32 random bytes). */
#define GW_REFRESH_PREFIX "rt_"
#define GW_REFRESH_STRLEN 46
/* "cs_" + 43 base64url characters (32 random bytes). */
#define GW_SECRET_PREFIX "cs_"
#define GW_SECRET_STRLEN 46
#define GW_SHA256_HEXLEN 64

/*
 * gw_tok_refresh_new / gw_tok_secret_new: a new random refresh token or client
 * secret (NUL-terminated) into out. Returns 0, or -EIO when libsodium
 * cannot be initialised (out is then "").
 */
int gw_tok_refresh_new(char out[GW_REFRESH_STRLEN + 1]);
int gw_tok_secret_new(char out[GW_SECRET_STRLEN + 1]);

/* gw_tok_refresh_valid: 1 if s has the exact shape of a refresh token (prefix,
 * length, base64url alphabet), else 0. Checked before any database work. */
int gw_tok_refresh_valid(const char *s);

/* gw_tok_sha256_hex: lowercase hex SHA-256 of s[0..len) into out (NUL-
 * terminated). What the database stores instead of a refresh token.
 * Returns 0 or -EIO. */
int gw_tok_sha256_hex(const char *s, size_t len,
                      char out[GW_SHA256_HEXLEN + 1]);

/* ---- lock-out
 * ----------------------------------------------------------------- */

#define GW_LOCK_THRESHOLD 5 /* failures before the first lock */
#define GW_LOCK_BASE_S 30
#define GW_LOCK_CAP_S 900

/*
 * gw_tok_lockout_seconds: how long an account is locked after its `failures`-th
 * consecutive failed login: 0 below GW_LOCK_THRESHOLD, then
 * GW_LOCK_BASE_S * 2^(failures - GW_LOCK_THRESHOLD) capped at GW_LOCK_CAP_S
 * (5 -> 30 s, 6 -> 60 s, 7 -> 120 s, ... 10 and beyond -> 900 s).
 * Never overflows; negative input is 0.
 */
int gw_tok_lockout_seconds(int failures);

/* ---- scopes ---------------------------------------------------------------
 */

#define GW_SCOPE_MAX 512 /* bytes of a scope list, as in mp_principal */
#define GW_SCOPE_TOKEN_MAX 64
#define GW_SCOPES_MAX 32

/* Scopes every user token may carry (users are authorised by roles). */
#define GW_USER_SCOPES "profile offline_access"

/*
 * gw_tok_scope_token_valid: 1 if s[0..len) is one scope token of our syntax:
 * 1..GW_SCOPE_TOKEN_MAX characters of [a-z0-9:._-] (a subset of RFC 6749's
 * scope-token), else 0.
 */
int gw_tok_scope_token_valid(const char *s, size_t len);

/*
 * gw_tok_scope_list_valid: 1 if s is a space-separated list (single spaces, no
 * leading/trailing space) of at most GW_SCOPES_MAX valid tokens, shorter
 * than GW_SCOPE_MAX bytes, without duplicates; "" is valid (empty list).
 */
int gw_tok_scope_list_valid(const char *s);

/*
 * gw_tok_scope_intersect: the tokens of `requested` that are also in `granted`,
 * in requested order, into out. A NULL requested means "everything
 * granted" (RFC 6749 3.3: the server's default) and copies granted.
 * Returns 0; -EINVAL when either list is not valid; -ENOENT when requested
 * is non-empty and nothing of it is granted (invalid_scope); -ENOSPC when
 * out is too small. out is "" on failure.
 */
int gw_tok_scope_intersect(const char *granted, const char *requested,
                           char *out, size_t outlen);

/* ---- accounts -------------------------------------------------------------
 */

#define GW_USERNAME_MAX 64
#define GW_PASSWORD_MIN 12 /* code points */
#define GW_PASSWORD_MAX 128

/*
 * gw_tok_username_normalise: lower-case ASCII copy of `in` into out, then 1 if
 * it matches ^[a-z0-9][a-z0-9._-]{2,63}$ (the users table's rule), else 0
 * (out is then "").
 */
int gw_tok_username_normalise(const char *in, char *out, size_t outlen);

/* gw_tok_client_id_valid: 1 if s matches ^[a-z0-9][a-z0-9._-]{2,63}$, else 0.
 */
int gw_tok_client_id_valid(const char *s);

/*
 * gw_tok_roles_check: the rules a user's roles and places obey, beyond the
 * role names themselves: at least one role; "client" is not a user role;
 * every role but admin and gender_analyst needs a region; municipal_agent
 * needs a commune too (tokens without it are refused by the verifier).
 * roles is a bitmask of enum mp_role; region and commune may be NULL or
 * "". Returns NULL when valid, else a static reason naming the field in
 * *field ("roles", "region" or "commune").
 */
const char *gw_tok_roles_check(unsigned roles, const char *region,
                               const char *commune, const char **field);

/* ---- access tokens ----------------------------------------------------------
 */

struct gw_tok_claims_in {
	const char *issuer, *audience;
	const char *subject;      /* user uuid or client id */
	unsigned roles;           /* enum mp_role bits */
	const char *region;       /* NULL or "" = omitted */
	const char *commune;      /* idem */
	const char *organisation; /* idem */
	const char *scope;        /* NULL = omitted; "" kept */
	const char *client_id;    /* API clients only */
	const char *jti;
	int64_t iat;
	int64_t ttl_s;
};

/*
 * gw_tok_claims_build: the JSON claims of an access token: iss, aud, sub,
 * roles (array of names, in bit order), region, commune, organisation,
 * scope, client_id (when set), jti, iat, exp = iat + ttl_s. The names are
 * those mp_jwt_verify reads. Returns 0 with *out a new reference (the
 * caller releases it); -EINVAL for a missing iss/aud/sub/jti, ttl_s <= 0,
 * or a role bit without a name; -ENOMEM.
 */
int gw_tok_claims_build(const struct gw_tok_claims_in *in, json_t **out);

#endif /* GATEWAY_DOMAIN_TOKENS_H */
