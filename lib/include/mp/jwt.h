/*
 * jwt.h: verification (and, for the gateway and tests, signing) of the
 * platform's access tokens: compact JWS, RS256 or ES256, selected by "kid".
 *
 * libjwt 1.10 is used for the signature arithmetic only. It trusts the
 * token's own "alg" (an HS256 token "signed" with our RSA public key PEM as
 * HMAC secret verifies) and checks no claim, so this module does everything
 * else itself, before any crypto: size cap, strict base64url, header JSON,
 * kid syntax and lookup, alg pinned per kid. Claims are read from the
 * exact signed bytes with duplicate keys rejected.
 *
 * Claim rules (a token that breaks one is rejected, never "repaired"):
 *   exp  required integer; expired when now >= exp + leeway  -> EXPIRED
 *   nbf  optional integer; now + leeway < nbf                -> NOT_YET_VALID
 *   iat  required integer; iat > now + leeway                -> NOT_YET_VALID
 *   exp - iat  at most the policy's max_lifetime_s            -> BAD_CLAIMS
 *        (NumericDate as a JSON real, or negative, is BAD_CLAIMS)
 *   iss  string equal to policy issuer                       -> BAD_ISSUER
 *   aud  string equal to policy audience, or a non-empty array of strings
 *        containing it                                       -> BAD_AUDIENCE
 *   sub  required non-empty string                           -> BAD_CLAIMS
 *   jti  required non-empty string (what a revocation names)  -> BAD_CLAIMS
 *   roles    optional array of known role names; an UNKNOWN name rejects the
 *            token (BAD_CLAIMS): a role this build does not know signals an
 *            issuer/verifier mismatch that must be fixed, not papered over.
 *   region   optional; "souss-massa" or "oriental"; absent means ""
 *   commune, organisation, client_id, scope: optional strings
 *   A token carrying role municipal_agent must carry region and commune.
 *   Every string must fit its mp_principal array (overlong -> BAD_CLAIMS)
 *   and contain no control characters; wrong JSON type -> BAD_CLAIMS.
 *   Other claims are ignored.
 */
#ifndef MP_JWT_H
#define MP_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mp/principal.h"

/* Defaults and hard limits. */
#define MP_JWT_DEFAULT_MAX_TOKEN_BYTES 8192
#define MP_JWT_MAX_KEYS 16
#define MP_JWT_MAX_KID_LEN 63 /* [A-Za-z0-9_-]{1,63} */
#define MP_JWT_MAX_PEM_BYTES                                                   \
	16384 /* a PEM file larger than this is refused                        \
	       */
#define MP_JWT_MAX_LEEWAY_S 600
/* Longest token lifetime (exp - iat) accepted when the policy says 0: eight
 * times the gateway's default access-token lifetime (900 s). */
#define MP_JWT_DEFAULT_MAX_LIFETIME_S 7200

/* Opaque: public keys by kid, each with its pinned algorithm. */
struct mp_jwt_keyset;

/*
 * mp_jwt_keyset_new: allocate an empty keyset into *out (owned by the
 * caller, release with mp_jwt_keyset_free). Returns 0, -EINVAL or -ENOMEM.
 */
int mp_jwt_keyset_new(struct mp_jwt_keyset **out);

/*
 * mp_jwt_keyset_add_pem: add a PUBLIC key (PEM "BEGIN PUBLIC KEY") under
 * kid, pinned to alg ("RS256" with an RSA key of >= 2048 bits, or "ES256"
 * with a P-256 key). The PEM is parsed and checked here, and stored in
 * canonical form (caller keeps ownership of pem). kid must match
 * [A-Za-z0-9_-]{1,63}.
 * Returns 0; -EINVAL (bad kid, alg other than RS256/ES256, not a public key,
 * wrong key type or size), -EEXIST (kid already present), -ENOSPC (more than
 * MP_JWT_MAX_KEYS), -E2BIG (pem larger than MP_JWT_MAX_PEM_BYTES), -ENOMEM.
 */
int mp_jwt_keyset_add_pem(struct mp_jwt_keyset *ks, const char *kid,
                          const char *alg, const char *pem, size_t len);

/*
 * mp_jwt_keyset_add_pem_file: as mp_jwt_keyset_add_pem, reading the PEM from
 * a regular file. Additional errors: the negated errno of open/read
 * (-ENOENT, -EACCES...), -EINVAL if the path is not a regular file.
 */
int mp_jwt_keyset_add_pem_file(struct mp_jwt_keyset *ks, const char *kid,
                               const char *alg, const char *public_pem_path);

/*
 * mp_jwt_keyset_load_spec: add every key of a configuration string
 *   "kid1:RS256:/path/a.pem,kid2:ES256:/path/b.pem"
 * (comma-separated entries kid:alg:path; the path is everything after the
 * second colon; blanks around entries are ignored; empty entries are an
 * error). All or nothing: on error no key of this spec stays in ks, the
 * return is negative (-EINVAL for syntax, else the add error) and err
 * (if errlen > 0) holds a one-line reason naming the entry; it never
 * contains key material.
 */
int mp_jwt_keyset_load_spec(struct mp_jwt_keyset *ks, const char *spec,
                            char *err, size_t errlen);

/* mp_jwt_keyset_count: number of keys held (0 for NULL). */
size_t mp_jwt_keyset_count(const struct mp_jwt_keyset *ks);

/* mp_jwt_keyset_free: release ks and its keys; NULL is a no-op. */
void mp_jwt_keyset_free(struct mp_jwt_keyset *ks);

/*
 * Verification policy (borrowed by mp_jwt_verify for the call only).
 * issuer and audience are REQUIRED (non-empty). leeway_s in
 * [0, MP_JWT_MAX_LEEWAY_S]. max_token_bytes <= 0 means the default 8192.
 * max_lifetime_s: longest exp - iat accepted; 0 means
 * MP_JWT_DEFAULT_MAX_LIFETIME_S, negative is an invalid policy.
 */
struct mp_jwt_policy {
	const char *issuer;
	const char *audience;
	int leeway_s;
	int64_t max_token_bytes;
	int64_t max_lifetime_s;
};

enum mp_jwt_error {
	MP_JWT_OK = 0,
	MP_JWT_MALFORMED = -1,
	MP_JWT_TOO_LARGE = -2,
	MP_JWT_BAD_ALG = -3,
	MP_JWT_UNKNOWN_KID = -4,
	MP_JWT_BAD_SIGNATURE = -5,
	MP_JWT_EXPIRED = -6,
	MP_JWT_NOT_YET_VALID = -7,
	MP_JWT_BAD_ISSUER = -8,
	MP_JWT_BAD_AUDIENCE = -9,
	MP_JWT_BAD_CLAIMS = -10,
	/* Not the token's fault: NULL keyset/policy/principal, an invalid
	 * policy, or out of memory. Answer 500, not 401. */
	MP_JWT_INTERNAL = -11
};

/*
 * mp_jwt_verify: verify the compact JWS token[0..len) (need not be
 * NUL-terminated; any byte outside base64url and '.' makes it MALFORMED)
 * against ks and pol at time 'now' (seconds since the epoch, injected so
 * tests control the clock). On MP_JWT_OK *p is filled and p->authenticated
 * is 1; on any error *p is zeroed (a public principal). Returns one of enum
 * mp_jwt_error. Thread-safe for a keyset that is no longer being modified.
 */
int mp_jwt_verify(const struct mp_jwt_keyset *ks,
                  const struct mp_jwt_policy *pol, const char *token,
                  size_t len, int64_t now, struct mp_principal *p);

/* ---- verified tokens remembered (jwt_cache.c) ------------------------ */

/* Longer tokens are verified every time, never remembered. */
#define MP_JWT_CACHE_TOKEN_MAX 4096

struct mp_jwt_cache;

/* mp_jwt_cache_new: an empty cache of `slots` tokens (direct-mapped),
 * keyed under a random per-process SipHash key. 0, -EINVAL, -ENOMEM. */
int mp_jwt_cache_new(size_t slots, struct mp_jwt_cache **out);
/* Wipes the remembered tokens and frees c (NULL-safe). */
void mp_jwt_cache_free(struct mp_jwt_cache *c);
/*
 * mp_jwt_verify_cached: mp_jwt_verify, except that a token this cache saw
 * verified (the same bytes, against the same keyset) and whose exp +
 * leeway is still ahead of now is answered from memory with the principal
 * that verification gave. Anything else is verified in full, and a token
 * that passes is remembered in its slot until exp + leeway. A different
 * ks than the previous call's empties the cache first. Revocation is the
 * caller's business, per request. c NULL: plain mp_jwt_verify. Same
 * returns as mp_jwt_verify. Not thread-safe (one cache per event loop).
 */
int mp_jwt_verify_cached(struct mp_jwt_cache *c, const struct mp_jwt_keyset *ks,
                         const struct mp_jwt_policy *pol, const char *token,
                         size_t len, int64_t now, struct mp_principal *p);
/* Look-ups answered from memory and verified in full since creation. */
void mp_jwt_cache_stats(const struct mp_jwt_cache *c, unsigned long long *hits,
                        unsigned long long *misses);

/*
 * mp_jwt_strerror: short, stable reason for an enum mp_jwt_error value,
 * suitable for a problem+json "detail" (no token content, no key data).
 * Returns a static string ("unknown error" for an unknown code).
 */
const char *mp_jwt_strerror(int code);

/*
 * mp_jwt_bearer: extract the token from an Authorization header value
 * "Bearer <token>" (scheme case-insensitive, one or more spaces, optional
 * surrounding spaces/tabs; token = RFC 6750 b64token). *tok points INTO
 * header (borrowed, not NUL-terminated at the token end), *len its length.
 * Returns 0; -ENOENT if header is NULL or blank (no credentials: public);
 * -EINVAL for another scheme or a malformed value (*tok, *len untouched).
 */
int mp_jwt_bearer(const char *header, const char **tok, size_t *len);

/*
 * mp_jwt_sign: sign claims (a JSON object, borrowed) as a compact JWS with
 * header {"alg", "kid", "typ":"JWT"}. alg is "RS256" or "ES256"; kid must
 * satisfy the keyset's kid syntax; private_pem[0..pem_len) is a PEM private
 * key of the matching type (borrowed; the internal copy libjwt makes is
 * wiped). No claim is added or checked: the caller sets iss/aud/exp/iat...
 * On success *out is a NUL-terminated malloc'd string the caller free()s.
 * Returns 0, -EINVAL (bad argument, key unusable for alg), -ENOMEM.
 */
int mp_jwt_sign(const char *alg, const char *kid, const char *private_pem,
                size_t pem_len, json_t *claims, char **out);

#endif /* MP_JWT_H */
