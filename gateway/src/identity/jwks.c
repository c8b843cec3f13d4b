/*
 * GET /.well-known/jwks.json: the public keys of MP_JWT_KEYS as a JWK Set
 * (RFC 7517/7518): RSA keys with n and e, P-256 keys with x and y, each
 * with its kid, alg and use "sig". During a key rotation MP_JWT_KEYS holds
 * the old and the new key, so tokens signed by either verify everywhere.
 *
 * The document is built once in the parent (the keys do not change while
 * the process runs) and served from memory with a public cache lifetime,
 * so relying parties can refetch it cheaply on an unknown kid.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <kore/kore.h>
#include <kore/http.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "mp/jwt.h"
#include "mp/log.h"
#include "mp/runtime.h"
#include "mp/service.h"

#include "identity/jwks.h"

static int b64url_bn(const BIGNUM *bn, size_t pad, json_t *jwk,
                     const char *name);
static int jwk_from_pem(const char *kid, const char *alg, const char *path,
                        json_t **out);

static char *jwks_doc; /* the served document */
static size_t jwks_len;

/* Set jwk[name] to base64url(bn), left-padded with zeros to `pad` bytes
 * when pad > 0 (EC coordinates are fixed-size). */
static int
b64url_bn(const BIGNUM *bn, size_t pad, json_t *jwk, const char *name)
{
	unsigned char bin[1024];
	char b64[1400];
	int len;

	len = pad > 0 ? BN_bn2binpad(bn, bin, (int)pad) : BN_bn2bin(bn, bin);
	if (len <= 0 || (size_t)len > sizeof(bin))
		return -EINVAL;
	sodium_bin2base64(b64, sizeof(b64), bin, (size_t)len,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return json_object_set_new(jwk, name, json_string(b64)) == 0 ? 0
	                                                             : -ENOMEM;
}

static int
jwk_from_pem(const char *kid, const char *alg, const char *path, json_t **out)
{
	BIGNUM *a = NULL, *b = NULL;
	EVP_PKEY *pk = NULL;
	json_t *jwk = NULL;
	FILE *f;
	int rc = -EINVAL;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (pk == NULL || (jwk = json_object()) == NULL)
		goto cleanup;
	if (strcmp(alg, "RS256") == 0 && EVP_PKEY_is_a(pk, "RSA")) {
		if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &a) ||
		    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &b))
			goto cleanup;
		json_object_set_new(jwk, "kty", json_string("RSA"));
		if ((rc = b64url_bn(a, 0, jwk, "n")) != 0 ||
		    (rc = b64url_bn(b, 0, jwk, "e")) != 0)
			goto cleanup;
	} else if (strcmp(alg, "ES256") == 0 && EVP_PKEY_is_a(pk, "EC")) {
		if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &a) ||
		    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &b))
			goto cleanup;
		json_object_set_new(jwk, "kty", json_string("EC"));
		json_object_set_new(jwk, "crv", json_string("P-256"));
		if ((rc = b64url_bn(a, 32, jwk, "x")) != 0 ||
		    (rc = b64url_bn(b, 32, jwk, "y")) != 0)
			goto cleanup;
	} else {
		goto cleanup;
	}
	json_object_set_new(jwk, "kid", json_string(kid));
	json_object_set_new(jwk, "alg", json_string(alg));
	json_object_set_new(jwk, "use", json_string("sig"));
	*out = jwk;
	jwk = NULL;
	rc = 0;
cleanup:
	BN_free(a);
	BN_free(b);
	EVP_PKEY_free(pk);
	json_decref(jwk);
	return rc;
}

int
gw_jwks_parent_init(void)
{
	char spec[sizeof(mp_settings.jwt_keys)], *entry, *save = NULL;
	char *kid, *alg, *path, *c1, *c2;
	json_t *keys = json_array(), *jwk, *doc;
	int rc = -1;

	if (keys == NULL || sodium_init() < 0)
		goto cleanup;
	snprintf(spec, sizeof(spec), "%s", mp_settings.jwt_keys);
	/* the library already checked the syntax and the keys themselves */
	for (entry = strtok_r(spec, ",", &save); entry != NULL;
	     entry = strtok_r(NULL, ",", &save)) {
		while (*entry == ' ' || *entry == '\t')
			entry++;
		if (*entry == '\0' || (c1 = strchr(entry, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c1 = '\0';
		*c2 = '\0';
		kid = entry;
		alg = c1 + 1;
		path = c2 + 1;
		for (c1 = path + strlen(path);
		     c1 > path && (c1[-1] == ' ' || c1[-1] == '\t'); c1--)
			c1[-1] = '\0';
		if (jwk_from_pem(kid, alg, path, &jwk) != 0) {
			fprintf(stderr,
			        "config: MP_JWT_KEYS: key %s cannot "
			        "be published as a JWK\n",
			        kid);
			goto cleanup;
		}
		json_array_append_new(keys, jwk);
	}
	if ((doc = json_pack("{s:O}", "keys", keys)) == NULL)
		goto cleanup;
	jwks_doc = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (jwks_doc == NULL)
		goto cleanup;
	jwks_len = strlen(jwks_doc);
	mp_log(MP_LOG_INFO, "jwks", "publishing %zu keys",
	       json_array_size(keys));
	rc = 0;
cleanup:
	json_decref(keys);
	return rc;
}

int
gw_jwks_get(struct mp_ctx *ctx)
{
	static const char empty[] = "{\"keys\":[]}";

	/* Written here rather than through mp_reply_raw, which adds a
	 * Content-Language: this answer is the same in every language. */
	mp_reply_header(ctx, "X-Request-Id", ctx->request_id);
	mp_reply_header(ctx, "X-Content-Type-Options", "nosniff");
	mp_reply_header(ctx, "Cache-Control", "public, max-age=300");
	mp_reply_header(ctx, "Content-Type", "application/jwk-set+json");
	if (jwks_doc == NULL)
		return mp_reply_send(ctx, 200, empty, sizeof(empty) - 1);
	return mp_reply_send(ctx, 200, jwks_doc, jwks_len);
}
