/*
 * Protection of personal data at rest (domain.h): identifying fields are
 * sealed with XChaCha20-Poly1305 (libsodium) under the current key of a
 * key ring, each value naming its key, so that values sealed under an
 * older key still open while a rotation re-seals them; the associated
 * data binds a value to its row and field (a ciphertext copied onto
 * another person does not open). Names are searchable through a keyed
 * BLAKE2b digest of each normalised word, never through plaintext.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "domain.h"

#define PREFIX "enc1:"
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define WORD_MAX 128

static int key_id_ok(const char *s, size_t len);
static const struct cases_key *key_find(const struct cases_keyring *kr,
                                        const char *id, size_t len);
static size_t fold(const unsigned char *s, size_t i, char *out);

static int
key_id_ok(const char *s, size_t len)
{
	if (len == 0 || len > CASES_KEY_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

int
cases_keyring_parse(const char *spec, struct cases_keyring *kr, char *err,
                    size_t errlen)
{
	const char *p = spec, *colon, *end;
	size_t bin_len;

	memset(kr, 0, sizeof(*kr));
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot be initialised");
		return -EINVAL;
	}
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "no key");
		return -EINVAL;
	}
	while (*p != '\0') {
		struct cases_key *k = &kr->keys[kr->n];

		end = p + strcspn(p, ",");
		colon = memchr(p, ':', (size_t)(end - p));
		if (kr->n == CASES_KEYS_MAX) {
			snprintf(err, errlen, "more than %d keys",
			         CASES_KEYS_MAX);
			goto fail;
		}
		if (colon == NULL || !key_id_ok(p, (size_t)(colon - p))) {
			snprintf(err, errlen,
			         "key %zu: expected id:base64 "
			         "with an id of 1 to 32 [a-z0-9_-]",
			         kr->n + 1);
			goto fail;
		}
		memcpy(k->id, p, (size_t)(colon - p));
		if (key_find(kr, k->id, strlen(k->id)) != k) {
			snprintf(err, errlen, "key id %s given twice", k->id);
			goto fail;
		}
		if (sodium_base642bin(k->key, sizeof(k->key), colon + 1,
		                      (size_t)(end - colon - 1), NULL, &bin_len,
		                      NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    bin_len != CASES_KEY_BYTES) {
			snprintf(err, errlen,
			         "key %s: not the base64 of 32 "
			         "bytes",
			         k->id);
			goto fail;
		}
		kr->n++;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
fail:
	cases_keyring_wipe(kr);
	return -EINVAL;
}

void
cases_keyring_wipe(struct cases_keyring *kr)
{
	sodium_memzero(kr, sizeof(*kr));
}

/* The key named id[0..len) among the first n + 1 slots (the slot being
 * filled included), or NULL. */
static const struct cases_key *
key_find(const struct cases_keyring *kr, const char *id, size_t len)
{
	for (size_t i = 0; i <= kr->n && i < CASES_KEYS_MAX; i++)
		if (strlen(kr->keys[i].id) == len &&
		    memcmp(kr->keys[i].id, id, len) == 0)
			return &kr->keys[i];
	return NULL;
}

int
cases_seal(const struct cases_keyring *kr, const char *aad, const void *pt,
           size_t len, char **out)
{
	const struct cases_key *k;
	unsigned char *buf = NULL;
	unsigned long long ctlen;
	size_t b64len, head;
	char *s;

	*out = NULL;
	if (kr == NULL || kr->n == 0 || aad == NULL || (pt == NULL && len))
		return -EINVAL;
	k = &kr->keys[0];
	if ((buf = malloc(NONCE + len + TAG)) == NULL)
		return -ENOMEM;
	randombytes_buf(buf, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    buf + NONCE, &ctlen, pt, len, (const unsigned char *)aad,
	    strlen(aad), NULL, buf, k->key);
	b64len = sodium_base64_encoded_len(NONCE + (size_t)ctlen,
	                                   sodium_base64_VARIANT_ORIGINAL);
	head = strlen(PREFIX) + strlen(k->id) + 1;
	if ((s = malloc(head + b64len)) == NULL) {
		free(buf);
		return -ENOMEM;
	}
	snprintf(s, head + 1, "%s%s:", PREFIX, k->id);
	sodium_bin2base64(s + head, b64len, buf, NONCE + (size_t)ctlen,
	                  sodium_base64_VARIANT_ORIGINAL);
	free(buf);
	*out = s;
	return 0;
}

int
cases_open(const struct cases_keyring *kr, const char *aad, const char *enc,
           char **out, size_t *len)
{
	const struct cases_key *k;
	const char *id, *colon;
	unsigned char *bin = NULL;
	unsigned long long ptlen;
	size_t b64len, binlen;
	char *pt = NULL;
	int rc = -EBADMSG;

	*out = NULL;
	*len = 0;
	if (kr == NULL || aad == NULL || enc == NULL ||
	    strncmp(enc, PREFIX, strlen(PREFIX)) != 0)
		return -EBADMSG;
	id = enc + strlen(PREFIX);
	if ((colon = strchr(id, ':')) == NULL)
		return -EBADMSG;
	k = NULL;
	for (size_t i = 0; i < kr->n && k == NULL; i++)
		if (strlen(kr->keys[i].id) == (size_t)(colon - id) &&
		    memcmp(kr->keys[i].id, id, (size_t)(colon - id)) == 0)
			k = &kr->keys[i];
	if (k == NULL)
		return -ENOKEY;
	b64len = strlen(colon + 1);
	if ((bin = malloc(b64len)) == NULL)
		return -ENOMEM;
	if (sodium_base642bin(bin, b64len, colon + 1, b64len, NULL, &binlen,
	                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen < NONCE + TAG)
		goto cleanup;
	if ((pt = malloc(binlen - NONCE - TAG + 1)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        (unsigned char *)pt, &ptlen, NULL, bin + NONCE, binlen - NONCE,
	        (const unsigned char *)aad, strlen(aad), bin, k->key) != 0) {
		free(pt);
		pt = NULL;
		goto cleanup;
	}
	pt[ptlen] = '\0';
	*out = pt;
	*len = (size_t)ptlen;
	rc = 0;
cleanup:
	free(bin);
	return rc;
}

int
cases_sealed_current(const struct cases_keyring *kr, const char *enc)
{
	size_t n;

	if (kr == NULL || kr->n == 0 || enc == NULL ||
	    strncmp(enc, PREFIX, strlen(PREFIX)) != 0)
		return 0;
	n = strlen(kr->keys[0].id);
	enc += strlen(PREFIX);
	return strncmp(enc, kr->keys[0].id, n) == 0 && enc[n] == ':';
}

/* Lower-case one character at s[i] into out (1 byte, or the UTF-8 bytes
 * kept as they are); common Latin accents lose their accent. Returns the
 * bytes consumed (0 at the end). */
static size_t
fold(const unsigned char *s, size_t i, char *out)
{
	static const char latin[] = /* U+00C0 .. U+00FF, by base letter */
	    "aaaaaaaceeeeiiiidnooooo/ouuuuyps"
	    "aaaaaaaceeeeiiiidnooooo/ouuuuypy";
	unsigned char c = s[i];

	if (c == 0)
		return 0;
	if (c < 0x80) {
		out[0] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		out[1] = '\0';
		return 1;
	}
	if (c == 0xC3 && s[i + 1] >= 0x80 && s[i + 1] <= 0xBF) {
		out[0] = latin[s[i + 1] - 0x80];
		out[1] = '\0';
		return 2;
	}
	out[0] = (char)c;
	out[1] = '\0';
	return 1;
}

int
cases_name_tokens(const unsigned char key[CASES_KEY_BYTES], const char *name,
                  char out[][CASES_TOKEN_HEX + 1], size_t cap, size_t *n)
{
	const unsigned char *s = (const unsigned char *)name;
	char word[WORD_MAX + 8], ch[2];
	unsigned char digest[CASES_TOKEN_HEX / 2];
	size_t i = 0, w = 0, used;

	*n = 0;
	if (key == NULL || name == NULL || out == NULL)
		return -EINVAL;
	for (;;) {
		used = fold(s, i, ch);
		if (used == 0 || (ch[0] != '\0' && ch[0] > 0 &&
		                  !((ch[0] >= 'a' && ch[0] <= 'z') ||
		                    (ch[0] >= '0' && ch[0] <= '9')))) {
			/* a word ends at the end, a space or punctuation */
			if (w > 0 && *n < cap) {
				size_t k;

				crypto_generichash(digest, sizeof(digest),
				                   (const unsigned char *)word,
				                   w, key, CASES_KEY_BYTES);
				sodium_bin2hex(out[*n], CASES_TOKEN_HEX + 1,
				               digest, sizeof(digest));
				for (k = 0; k < *n; k++)
					if (strcmp(out[k], out[*n]) == 0)
						break;
				if (k == *n)
					(*n)++;
			}
			w = 0;
			if (used == 0)
				break;
			i += used;
			continue;
		}
		if (w < WORD_MAX)
			word[w++] = ch[0];
		i += used;
	}
	sodium_memzero(word, sizeof(word));
	return 0;
}

int
cases_index_ring_parse(const char *spec, struct cases_keyring *kr, char *err,
                       size_t errlen)
{
	char ring[160];
	int rc;

	/* base64 has no ':': a bare key is the legacy ring of one key */
	if (spec == NULL || strchr(spec, ':') != NULL)
		return cases_keyring_parse(spec, kr, err, errlen);
	if (snprintf(ring, sizeof(ring), "0:%s", spec) >= (int)sizeof(ring)) {
		memset(kr, 0, sizeof(*kr));
		snprintf(err, errlen, "not the base64 of 32 bytes");
		return -EINVAL;
	}
	rc = cases_keyring_parse(ring, kr, err, errlen);
	sodium_memzero(ring, sizeof(ring));
	return rc;
}

int
cases_index_tokens(const struct cases_key *k, const char *name,
                   char out[][CASES_INDEX_TOKEN_MAX + 1], size_t cap, size_t *n)
{
	char hex[CASES_TOKENS_MAX][CASES_TOKEN_HEX + 1];
	size_t idlen;
	int rc;

	*n = 0;
	if (k == NULL || out == NULL)
		return -EINVAL;
	if (cap > CASES_TOKENS_MAX)
		cap = CASES_TOKENS_MAX;
	if ((rc = cases_name_tokens(k->key, name, hex, cap, n)) != 0)
		return rc;
	idlen = strnlen(k->id, CASES_KEY_ID_MAX);
	for (size_t i = 0; i < *n; i++) {
		memcpy(out[i], k->id, idlen);
		out[i][idlen] = ':';
		memcpy(out[i] + idlen + 1, hex[i], CASES_TOKEN_HEX + 1);
	}
	return 0;
}

int
cases_index_search(const struct cases_keyring *ix, const char *name,
                   char out[][CASES_INDEX_TOKEN_MAX + 1], size_t cap, size_t *n,
                   size_t *words)
{
	size_t k_n;
	int rc;

	*n = *words = 0;
	if (ix == NULL || ix->n == 0)
		return -EINVAL;
	for (size_t k = 0; k < ix->n; k++) {
		if ((rc = cases_index_tokens(&ix->keys[k], name, out + *n,
		                             cap - *n, &k_n)) != 0)
			return rc;
		*n += k_n;
		if (k == 0)
			*words = k_n;
		else if (k_n != *words)
			return -EINVAL; /* cap too small for every key */
	}
	return 0;
}

int
cases_identity_name(const json_t *identity, char *buf, size_t len)
{
	const char *g, *f;

	if (!json_is_object(identity) || len == 0)
		return -EINVAL;
	g = json_string_value(json_object_get(identity, "given_name"));
	f = json_string_value(json_object_get(identity, "family_name"));
	if ((size_t)snprintf(buf, len, "%s %s", g != NULL ? g : "",
	                     f != NULL ? f : "") >= len)
		return -ENOSPC;
	return 0;
}
