/*
 * jwt_cache.c: verified access tokens remembered by one process, so that
 * a token presented again is not verified again (contract in mp/jwt.h).
 *
 * Why: an RS256 signature costs 25-45 us to verify and an ES256 one 65-175
 * us on our machines, several times everything else a cached GET costs;
 * a client sends the same token on every request of its lifetime.
 *
 * What is remembered is the outcome of a complete mp_jwt_verify (format,
 * algorithm, key, signature, issuer, audience, claims, times), keyed by
 * the token's exact bytes: a look-up hashes them with SipHash under a
 * random per-process key (no one can aim at a slot) and compares them in
 * full and in constant time, so only the very token that was verified is
 * answered from here. An entry is served only while its token would still
 * pass the time checks: until exp + leeway, after which the caller's full
 * verification reports the expiry. Another keyset (key rotation) empties
 * the cache. Revocation is not remembered: callers check it per request.
 *
 * Direct-mapped: a new token takes its slot's place. Not thread-safe: one
 * cache per event loop.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mp/jwt.h"

struct jwt_entry {
	char *token; /* NULL: empty */
	size_t len;
	int64_t from;  /* and now >= from: when it was verified */
	int64_t until; /* served while now < until */
	struct mp_principal p;
};

struct mp_jwt_cache {
	struct jwt_entry *e;
	size_t n;
	const struct mp_jwt_keyset *ks;
	unsigned char key[crypto_shorthash_KEYBYTES];
	unsigned long long hits, misses;
};

static void entry_clear(struct jwt_entry *e);
static struct jwt_entry *slot_of(struct mp_jwt_cache *c, const char *tok,
                                 size_t len);

int
mp_jwt_cache_new(size_t slots, struct mp_jwt_cache **out)
{
	struct mp_jwt_cache *c;

	*out = NULL;
	if (slots == 0 || sodium_init() < 0)
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->e = calloc(slots, sizeof(*c->e))) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->n = slots;
	randombytes_buf(c->key, sizeof(c->key));
	*out = c;
	return 0;
}

static void
entry_clear(struct jwt_entry *e)
{
	if (e->token != NULL) {
		sodium_memzero(e->token, e->len);
		free(e->token);
	}
	sodium_memzero(e, sizeof(*e));
}

void
mp_jwt_cache_free(struct mp_jwt_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		entry_clear(&c->e[i]);
	free(c->e);
	sodium_memzero(c->key, sizeof(c->key));
	free(c);
}

static struct jwt_entry *
slot_of(struct mp_jwt_cache *c, const char *tok, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)tok, len, c->key);
	memcpy(&v, h, sizeof(v));
	return &c->e[v % c->n];
}

int
mp_jwt_verify_cached(struct mp_jwt_cache *c, const struct mp_jwt_keyset *ks,
                     const struct mp_jwt_policy *pol, const char *token,
                     size_t len, int64_t now, struct mp_principal *p)
{
	struct jwt_entry *e;
	size_t i;
	int rc;

	if (c == NULL || token == NULL || pol == NULL ||
	    len > (size_t)MP_JWT_CACHE_TOKEN_MAX)
		return mp_jwt_verify(ks, pol, token, len, now, p);
	if (c->ks != ks) {
		for (i = 0; i < c->n; i++)
			entry_clear(&c->e[i]);
		c->ks = ks;
	}
	e = slot_of(c, token, len);
	if (e->token != NULL && e->len == len && now >= e->from &&
	    now < e->until && sodium_memcmp(e->token, token, len) == 0) {
		*p = e->p;
		c->hits++;
		return MP_JWT_OK;
	}
	c->misses++;
	rc = mp_jwt_verify(ks, pol, token, len, now, p);
	if (rc != MP_JWT_OK)
		return rc;
	entry_clear(e);
	if ((e->token = malloc(len)) == NULL)
		return rc; /* verified all the same; just not remembered */
	memcpy(e->token, token, len);
	e->len = len;
	/* a clock stepped back before the verification: verify again (nbf and
	 * iat are checked then) */
	e->from = now;
	/* the time check of mp_jwt_verify: valid while now < exp + leeway */
	e->until = p->exp <= INT64_MAX - pol->leeway_s ? p->exp + pol->leeway_s
	                                               : INT64_MAX;
	e->p = *p;
	return rc;
}

void
mp_jwt_cache_stats(const struct mp_jwt_cache *c, unsigned long long *hits,
                   unsigned long long *misses)
{
	*hits = c != NULL ? c->hits : 0;
	*misses = c != NULL ? c->misses : 0;
}
