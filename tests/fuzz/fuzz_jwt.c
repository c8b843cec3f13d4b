/*
 * fuzz_jwt.c: libFuzzer harness for the token verifier and the
 * Authorization header parser, the two parsers that read client bytes
 * before anything else.
 *
 * Random bytes almost never form base64url JSON, let alone a valid
 * signature, so the first input byte picks a mode that lets the fuzzer
 * reach each layer:
 *   0  bytes as a compact token            (size, segments, base64url)
 *   1  bytes as an Authorization header    (mp_jwt_bearer, then verify)
 *   2  "header\npayload" JSON texts, encoded with a junk signature
 *                                          (header rules, JSON parsing)
 *   3  payload JSON, SIGNED with the ES256 test key, then verified
 *                                          (claim rules behind the crypto)
 * Keys: tests/keys (override with MP_FUZZ_KEYS); run from the repo root.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib/include \
 *     tests/fuzz/fuzz_jwt.c lib/src/core/jwt.c lib/src/core/authz.c \
 *     -ljansson -ljwt -lsodium -lcrypto -o build/fuzz_jwt
 *   build/fuzz_jwt -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "mp/authz.h"
#include "mp/jwt.h"

#define NOW ((int64_t)1750000000)
#define ISS "https://auth.mp.test"
#define AUD "mp-api"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *read_key(const char *, size_t *);
static void check_principal(int, const struct mp_principal *);
static void run_token(const char *, size_t);
static void mode_bearer(const uint8_t *, size_t);
static void mode_json_pair(const uint8_t *, size_t);
static void mode_signed_claims(const uint8_t *, size_t);
static void default_claim(json_t *, const char *, json_t *);

static struct mp_jwt_keyset *ks;
static const struct mp_jwt_policy pol = {ISS, AUD, 60, 0, 0};
static char *es_priv;
static size_t es_priv_len;

static char *
read_key(const char *file, size_t *len)
{
	const char *dir = getenv("MP_FUZZ_KEYS");
	char path[1024], *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/keys", file);
	if ((f = fopen(path, "rb")) == NULL ||
	    (buf = calloc(1, MP_JWT_MAX_PEM_BYTES + 1)) == NULL) {
		fprintf(stderr, "fuzz_jwt: cannot read %s (set MP_FUZZ_KEYS)\n",
		        path);
		abort();
	}
	*len = fread(buf, 1, MP_JWT_MAX_PEM_BYTES, f);
	fclose(f);
	return buf;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t len;
	char *pem;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || mp_jwt_keyset_new(&ks) != 0)
		abort();
	pem = read_key("test-rs-1.pub.pem", &len);
	if (mp_jwt_keyset_add_pem(ks, "test-rs-1", "RS256", pem, len) != 0)
		abort();
	free(pem);
	pem = read_key("test-es-1.pub.pem", &len);
	if (mp_jwt_keyset_add_pem(ks, "test-es-1", "ES256", pem, len) != 0)
		abort();
	free(pem);
	es_priv = read_key("test-es-1.key.pem", &es_priv_len);
	return 0;
}

/* Invariants that must hold whatever the input. */
static void
check_principal(int rc, const struct mp_principal *p)
{
	if (rc < MP_JWT_INTERNAL || rc > MP_JWT_OK)
		abort();
	if (strcmp(mp_jwt_strerror(rc), "unknown error") == 0)
		abort();
	if (rc != MP_JWT_OK) {
		/* A rejected token leaves a public principal. */
		if (p->authenticated || p->roles || p->subject[0] ||
		    mp_authz_region(p, "oriental") == 0)
			abort();
		return;
	}
	if (!p->authenticated || p->subject[0] == '\0' ||
	    (p->roles & ~MP_ROLE_ALL) != 0 ||
	    memchr(p->subject, '\0', sizeof(p->subject)) == NULL ||
	    memchr(p->region, '\0', sizeof(p->region)) == NULL ||
	    memchr(p->commune, '\0', sizeof(p->commune)) == NULL ||
	    memchr(p->scopes, '\0', sizeof(p->scopes)) == NULL)
		abort();
	if (p->region[0] != '\0' && strcmp(p->region, "souss-massa") != 0 &&
	    strcmp(p->region, "oriental") != 0)
		abort();
	(void)mp_authz_has_scope(p, "cases:read");
	(void)mp_authz_commune(p, p->region, p->commune);
}

static void
run_token(const char *tok, size_t len)
{
	struct mp_principal p;
	int rc;

	memset(&p, 0xa5, sizeof(p));
	rc = mp_jwt_verify(ks, &pol, tok, len, NOW, &p);
	check_principal(rc, &p);
}

static void
mode_bearer(const uint8_t *data, size_t size)
{
	char *hdr = malloc(size + 1);
	const char *tok = NULL;
	size_t len = 0;

	if (hdr == NULL)
		return;
	memcpy(hdr, data, size);
	hdr[size] = '\0';
	if (mp_jwt_bearer(hdr, &tok, &len) == 0) {
		if (tok < hdr || tok + len > hdr + size || len == 0)
			abort();
		run_token(tok, len);
	}
	free(hdr);
}

static void
mode_json_pair(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hl, pl, cap;
	char *buf, *w;
	static const char sig[] = ".AAAA";

	if (nl == NULL)
		return;
	hl = (size_t)(nl - data);
	pl = size - hl - 1;
	cap = (hl + pl) * 4 / 3 + 16 + sizeof(sig);
	if ((buf = malloc(cap)) == NULL)
		return;
	sodium_bin2base64(buf, cap, data, hl,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	w = buf + strlen(buf);
	*w++ = '.';
	sodium_bin2base64(w, cap - (size_t)(w - buf), nl + 1, pl,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	strcat(w, sig);
	run_token(buf, strlen(buf));
	free(buf);
}

static void
default_claim(json_t *c, const char *name, json_t *v)
{
	if (json_object_get(c, name) == NULL)
		json_object_set(c, name, v);
	json_decref(v);
}

static void
mode_signed_claims(const uint8_t *data, size_t size)
{
	json_t *c = json_loadb((const char *)data, size, 0, NULL);
	char *tok = NULL;

	if (json_is_object(c)) {
		/* Fill what the fuzzer is unlikely to guess, so that it
		 * explores the claims that follow. */
		default_claim(c, "iss", json_string(ISS));
		default_claim(c, "aud", json_string(AUD));
		default_claim(c, "exp", json_integer(NOW + 600));
		default_claim(c, "iat", json_integer(NOW));
		if (mp_jwt_sign("ES256", "test-es-1", es_priv, es_priv_len, c,
		                &tok) == 0) {
			run_token(tok, strlen(tok));
			free(tok);
		}
	}
	json_decref(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		run_token((const char *)data + 1, size - 1);
		break;
	case 1:
		mode_bearer(data + 1, size - 1);
		break;
	case 2:
		mode_json_pair(data + 1, size - 1);
		break;
	default:
		mode_signed_claims(data + 1, size - 1);
		break;
	}
	return 0;
}
