/*
 * check_jwt.c: access-token verification, keysets, Authorization header.
 *
 * Tokens are produced three ways so that the verifier is not only tested
 * against itself: mp_jwt_sign (the gateway's path), libjwt directly (for
 * the HS256 key-confusion attack), and OpenSSL directly (an independent
 * RFC 7515/7518 signer, also used to sign hand-crafted headers and
 * payloads so that "rejected before crypto" is distinguishable from "bad
 * signature"). Keys come from tests/keys (scripts/gen-test-keys.sh);
 * MP_TEST_KEYS overrides the directory.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "mp/jwt.h"
#include "mp/principal.h"

#define NOW ((int64_t)1750000000)
#define ISS "https://auth.mp.test"
#define AUD "mp-api"
#define LEEWAY 60

static const char *keys_dir(void);
static char *key_path(const char *);
static char *slurp(const char *, size_t *);
static char *b64url(const void *, size_t);
static json_t *base_claims(void);
static char *sign_as(const char *, const char *, const char *, json_t *);
static char *sign_rs1(json_t *);
static int verify(const char *);
static int verify_claims(json_t *);
static char *raw_token(const char *, const char *, const char *, int);
static char *forged(const char *, const char *, const char *);
static void setup(void);
static void teardown(void);
static Suite *jwt_suite(void);

static struct mp_jwt_keyset *ks;
static struct mp_jwt_policy pol = {ISS, AUD, LEEWAY, 0, 0};
static struct mp_principal pr;

/* --- helpers ------------------------------------------------------------ */

static const char *
keys_dir(void)
{
	const char *env = getenv("MP_TEST_KEYS");

	return env != NULL && env[0] != '\0' ? env : "tests/keys";
}

static char *
key_path(const char *file)
{
	char *p = NULL;

	ck_assert_int_gt(asprintf(&p, "%s/%s", keys_dir(), file), 0);
	return p;
}

static char *
slurp(const char *file, size_t *len)
{
	char *path = key_path(file), *buf;
	FILE *f = fopen(path, "rb");

	ck_assert_msg(f != NULL,
	              "cannot open %s (run from the repo root or "
	              "set MP_TEST_KEYS)",
	              path);
	buf = calloc(1, 65536);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	free(path);
	return buf;
}

static char *
b64url(const void *bin, size_t len)
{
	size_t cap = sodium_base64_ENCODED_LEN(
	    len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	sodium_bin2base64(out, cap, bin, len,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

static json_t *
base_claims(void)
{
	json_t *c = json_pack(
	    "{s:s, s:s, s:s, s:I, s:I, s:[s, s], s:s, s:s, s:s, s:s}", "iss",
	    ISS, "aud", AUD, "sub", "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a4b",
	    "iat", (json_int_t)(NOW - 10), "exp", (json_int_t)(NOW + 600),
	    "roles", "council_officer", "appraiser", "region", "souss-massa",
	    "organisation", "conseil-regional-sm", "scope",
	    "funding:read funding:write", "jti", "jti-0001");

	ck_assert_ptr_nonnull(c);
	return c;
}

/* Sign with mp_jwt_sign; the claims reference is consumed. */
static char *
sign_as(const char *alg, const char *kid, const char *keyfile, json_t *claims)
{
	size_t len;
	char *pem = slurp(keyfile, &len), *tok = NULL;

	ck_assert_int_eq(mp_jwt_sign(alg, kid, pem, len, claims, &tok), 0);
	ck_assert_ptr_nonnull(tok);
	json_decref(claims);
	free(pem);
	return tok;
}

static char *
sign_rs1(json_t *claims)
{
	return sign_as("RS256", "test-rs-1", "test-rs-1.key.pem", claims);
}

static int
verify(const char *tok)
{
	return mp_jwt_verify(ks, &pol, tok, strlen(tok), NOW, &pr);
}

static int
verify_claims(json_t *claims)
{
	char *tok = sign_rs1(claims);
	int rc = verify(tok);

	free(tok);
	return rc;
}

/*
 * Independent signer: OpenSSL over b64url(header).b64url(payload), with
 * the raw R||S form of RFC 7518 for EC keys (or DER when der != 0, the
 * classic interoperability mistake).
 */
static char *
raw_token(const char *keyfile, const char *header, const char *payload, int der)
{
	size_t pem_len, sig_len = 0, in_len;
	char *pem = slurp(keyfile, &pem_len), *h, *p, *in = NULL, *s,
	     *tok = NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig, raw[64];

	ck_assert_ptr_nonnull(k);
	h = b64url(header, strlen(header));
	p = b64url(payload, strlen(payload));
	ck_assert_int_gt(asprintf(&in, "%s.%s", h, p), 0);
	in_len = strlen(in);
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k),
	                 1);
	ck_assert_int_eq(
	    EVP_DigestSign(ctx, NULL, &sig_len, (unsigned char *)in, in_len),
	    1);
	sig = malloc(sig_len);
	ck_assert_int_eq(
	    EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)in, in_len), 1);
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC && !der) {
		const unsigned char *q = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)sig_len);
		const BIGNUM *r, *sv;

		ck_assert_ptr_nonnull(es);
		ECDSA_SIG_get0(es, &r, &sv);
		BN_bn2binpad(r, raw, 32);
		BN_bn2binpad(sv, raw + 32, 32);
		ECDSA_SIG_free(es);
		s = b64url(raw, 64);
	} else {
		s = b64url(sig, sig_len);
	}
	ck_assert_int_gt(asprintf(&tok, "%s.%s", in, s), 0);
	free(s);
	free(sig);
	free(in);
	free(p);
	free(h);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	BIO_free(bio);
	free(pem);
	return tok;
}

/* Unsigned token from literal header/payload text and signature text. */
static char *
forged(const char *header, const char *payload, const char *sig)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload)), *tok = NULL;

	ck_assert_int_gt(asprintf(&tok, "%s.%s.%s", h, p, sig), 0);
	free(h);
	free(p);
	return tok;
}

static const char *payload_ok =
    "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\","
    "\"iat\":1749999990,\"exp\":1750000600,\"jti\":\"j1\"}";

static void
setup(void)
{
	char *rs = key_path("test-rs-1.pub.pem");
	char *es = key_path("test-es-1.pub.pem");

	ck_assert_int_eq(sodium_init() >= 0, 1);
	ck_assert_int_eq(mp_jwt_keyset_new(&ks), 0);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(ks, "test-rs-1", "RS256", rs), 0);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(ks, "test-es-1", "ES256", es), 0);
	memset(&pr, 0, sizeof(pr));
	free(rs);
	free(es);
}

static void
teardown(void)
{
	mp_jwt_keyset_free(ks);
	ks = NULL;
}

/* --- valid tokens -------------------------------------------------------- */

START_TEST(valid_rs256_fills_principal)
{
	json_t *c = base_claims();

	json_object_set_new(c, "commune", json_string("agadir"));
	json_object_set_new(c, "client_id", json_string("mobile-app"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_OK);
	ck_assert_int_eq(pr.authenticated, 1);
	ck_assert_str_eq(pr.subject, "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a4b");
	ck_assert_uint_eq(pr.roles,
	                  MP_ROLE_COUNCIL_OFFICER | MP_ROLE_APPRAISER);
	ck_assert_str_eq(pr.region, "souss-massa");
	ck_assert_str_eq(pr.commune, "agadir");
	ck_assert_str_eq(pr.organisation, "conseil-regional-sm");
	ck_assert_str_eq(pr.scopes, "funding:read funding:write");
	ck_assert_str_eq(pr.jti, "jti-0001");
	ck_assert_str_eq(pr.client_id, "mobile-app");
	ck_assert_int_eq(pr.exp, NOW + 600);
	ck_assert_int_eq(pr.iat, NOW - 10);
}
END_TEST

START_TEST(valid_es256)
{
	char *tok =
	    sign_as("ES256", "test-es-1", "test-es-1.key.pem", base_claims());

	ck_assert_int_eq(verify(tok), MP_JWT_OK);
	ck_assert_int_eq(pr.authenticated, 1);
	free(tok);
}
END_TEST

START_TEST(minimal_claims_no_roles_no_region)
{
	char *tok = raw_token("test-rs-1.key.pem",
	                      "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\"}",
	                      payload_ok, 0);

	ck_assert_int_eq(verify(tok), MP_JWT_OK);
	ck_assert_uint_eq(pr.roles, 0);
	ck_assert_str_eq(pr.region, "");
	ck_assert_str_eq(pr.scopes, "");
	free(tok);
}
END_TEST

START_TEST(independent_signer_interop)
{
	const char *h = "{\"alg\":\"ES256\",\"kid\":\"test-es-1\","
	                "\"typ\":\"JWT\"}";
	char *tok = raw_token("test-es-1.key.pem", h, payload_ok, 0);
	char *der = raw_token("test-es-1.key.pem", h, payload_ok, 1);
	char *rs = raw_token("test-rs-1.key.pem",
	                     "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\"}",
	                     payload_ok, 0);

	ck_assert_int_eq(verify(tok), MP_JWT_OK);
	ck_assert_str_eq(pr.subject, "u1");
	ck_assert_int_eq(verify(rs), MP_JWT_OK);
	/* DER-encoded ECDSA is not JWS: rejected, and p is zeroed. */
	ck_assert_int_eq(verify(der), MP_JWT_BAD_SIGNATURE);
	ck_assert_int_eq(pr.authenticated, 0);
	ck_assert_str_eq(pr.subject, "");
	free(tok);
	free(der);
	free(rs);
}
END_TEST

/* --- algorithm confusion ---------------------------------------------------
 */

START_TEST(alg_none_rejected)
{
	const char *hs[] = {
	    "{\"alg\":\"none\",\"kid\":\"test-rs-1\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"None\",\"kid\":\"test-rs-1\"}",
	    "{\"alg\":\"NONE\",\"kid\":\"test-rs-1\"}",
	    "{\"alg\":\"none\"}",
	    "{\"kid\":\"test-rs-1\"}",
	    "{\"alg\":null,\"kid\":\"test-rs-1\"}",
	    "{\"alg\":[\"RS256\"],\"kid\":\"test-rs-1\"}",
	    "{\"alg\":\"RS512\",\"kid\":\"test-rs-1\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		char *t1 = forged(hs[i], payload_ok, "");
		char *t2 = forged(hs[i], payload_ok, "c2ln");

		ck_assert_msg(verify(t1) == MP_JWT_BAD_ALG, "header %s", hs[i]);
		ck_assert_msg(verify(t2) == MP_JWT_BAD_ALG, "header %s", hs[i]);
		ck_assert_int_eq(pr.authenticated, 0);
		free(t1);
		free(t2);
	}
}
END_TEST

START_TEST(hs256_with_public_key_as_secret_rejected)
{
	size_t len;
	char *pub = slurp("test-rs-1.pub.pem", &len), *tok, *grants;
	jwt_t *jwt = NULL, *dec = NULL;
	json_t *c = base_claims();

	ck_assert_int_eq(jwt_new(&jwt), 0);
	ck_assert_int_eq(
	    jwt_set_alg(jwt, JWT_ALG_HS256, (unsigned char *)pub, (int)len), 0);
	ck_assert_int_eq(jwt_add_header(jwt, "kid", "test-rs-1"), 0);
	grants = json_dumps(c, JSON_COMPACT);
	ck_assert_int_eq(jwt_add_grants_json(jwt, grants), 0);
	tok = jwt_encode_str(jwt);
	ck_assert_ptr_nonnull(tok);

	/* The attack is real: libjwt alone accepts this forgery. */
	ck_assert_int_eq(jwt_decode(&dec, tok, (unsigned char *)pub, (int)len),
	                 0);
	jwt_free(dec);

	ck_assert_int_eq(verify(tok), MP_JWT_BAD_ALG);
	ck_assert_int_eq(pr.authenticated, 0);
	free(tok);
	free(grants);
	json_decref(c);
	jwt_free(jwt);
	free(pub);
}
END_TEST

START_TEST(alg_must_match_pin_of_kid)
{
	/* Validly signed by the RSA key, but claims the EC kid. */
	char *t1 = raw_token("test-rs-1.key.pem",
	                     "{\"alg\":\"RS256\",\"kid\":\"test-es-1\"}",
	                     payload_ok, 0);
	char *t2 = raw_token("test-es-1.key.pem",
	                     "{\"alg\":\"ES256\",\"kid\":\"test-rs-1\"}",
	                     payload_ok, 0);

	ck_assert_int_eq(verify(t1), MP_JWT_BAD_ALG);
	ck_assert_int_eq(verify(t2), MP_JWT_BAD_ALG);
	free(t1);
	free(t2);
}
END_TEST

/* --- time claims ---------------------------------------------------------- */

static int
with_int(const char *name, int64_t v)
{
	json_t *c = base_claims();

	json_object_set_new(c, name, json_integer((json_int_t)v));
	return verify_claims(c);
}

START_TEST(expired)
{
	ck_assert_int_eq(with_int("exp", NOW - 3600), MP_JWT_EXPIRED);
	ck_assert_int_eq(with_int("exp", NOW - LEEWAY - 1), MP_JWT_EXPIRED);
	ck_assert_int_eq(with_int("exp", NOW - LEEWAY), MP_JWT_EXPIRED);
	ck_assert_int_eq(pr.authenticated, 0);
}
END_TEST

START_TEST(exp_within_leeway)
{
	ck_assert_int_eq(with_int("exp", NOW - LEEWAY + 1), MP_JWT_OK);
	ck_assert_int_eq(with_int("exp", NOW), MP_JWT_OK);
	pol.leeway_s = 0;
	ck_assert_int_eq(with_int("exp", NOW), MP_JWT_EXPIRED);
	ck_assert_int_eq(with_int("exp", NOW + 1), MP_JWT_OK);
	pol.leeway_s = LEEWAY;
}
END_TEST

START_TEST(nbf_future)
{
	ck_assert_int_eq(with_int("nbf", NOW + LEEWAY + 1),
	                 MP_JWT_NOT_YET_VALID);
	ck_assert_int_eq(with_int("nbf", NOW + LEEWAY), MP_JWT_OK);
	ck_assert_int_eq(with_int("nbf", NOW - 5), MP_JWT_OK);
}
END_TEST

START_TEST(iat_future)
{
	ck_assert_int_eq(with_int("iat", NOW + LEEWAY + 1),
	                 MP_JWT_NOT_YET_VALID);
	ck_assert_int_eq(with_int("iat", NOW + LEEWAY), MP_JWT_OK);
}
END_TEST

START_TEST(time_claims_required_and_typed)
{
	json_t *c;

	c = base_claims();
	json_object_del(c, "exp");
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_del(c, "iat");
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "exp", json_string("1750000600"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "exp", json_real(1750000600.5));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "nbf", json_null());
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_int("iat", -1), MP_JWT_BAD_CLAIMS);
}
END_TEST

/* A token that outlives the policy's maximum lifetime could outlive every
 * revocation record kept for it: exp - iat is capped. */
START_TEST(lifetime_capped)
{
	json_t *c;

	/* base_claims: iat NOW - 10 */
	ck_assert_int_eq(
	    with_int("exp", NOW - 10 + MP_JWT_DEFAULT_MAX_LIFETIME_S),
	    MP_JWT_OK);
	ck_assert_int_eq(
	    with_int("exp", NOW - 10 + MP_JWT_DEFAULT_MAX_LIFETIME_S + 1),
	    MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(pr.authenticated, 0);
	/* far-future exp: refused, without overflow */
	ck_assert_int_eq(with_int("exp", INT64_MAX), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "iat", json_integer(0));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	/* the policy sets its own maximum */
	pol.max_lifetime_s = 300;
	ck_assert_int_eq(with_int("exp", NOW + 290), MP_JWT_OK);
	ck_assert_int_eq(with_int("exp", NOW + 291), MP_JWT_BAD_CLAIMS);
	pol.max_lifetime_s = -1;
	ck_assert_int_eq(with_int("exp", NOW + 290), MP_JWT_INTERNAL);
	pol.max_lifetime_s = 0;
}
END_TEST

/* --- issuer and audience ------------------------------------------------- */

START_TEST(issuer)
{
	json_t *c;

	c = base_claims();
	json_object_set_new(c, "iss", json_string("https://evil.test"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_ISSUER);
	c = base_claims();
	json_object_set_new(c, "iss", json_string(ISS ".evil"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_ISSUER);
	c = base_claims();
	json_object_set_new(c, "iss", json_string("https://auth.mp"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_ISSUER);
	c = base_claims();
	json_object_del(c, "iss");
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_ISSUER);
	c = base_claims();
	json_object_set_new(c, "iss", json_integer(1));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
}
END_TEST

START_TEST(audience)
{
	json_t *c;

	c = base_claims();
	json_object_set_new(c, "aud", json_string("other-api"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_AUDIENCE);
	c = base_claims();
	json_object_del(c, "aud");
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_AUDIENCE);
	c = base_claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", "other", AUD));
	ck_assert_int_eq(verify_claims(c), MP_JWT_OK);
	c = base_claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", "other", AUD "x"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_AUDIENCE);
	c = base_claims();
	json_object_set_new(c, "aud", json_array());
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_AUDIENCE);
	c = base_claims();
	json_object_set_new(c, "aud", json_pack("[s,i]", AUD, 3));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "aud", json_true());
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
}
END_TEST

/* --- kid ----------------------------------------------------------------- */

START_TEST(unknown_kid)
{
	char *tok =
	    sign_as("RS256", "test-rs-2", "test-rs-2.key.pem", base_claims());
	char *nokid = raw_token("test-rs-1.key.pem", "{\"alg\":\"RS256\"}",
	                        payload_ok, 0);

	ck_assert_int_eq(verify(tok), MP_JWT_UNKNOWN_KID);
	ck_assert_int_eq(verify(nokid), MP_JWT_UNKNOWN_KID);
	free(tok);
	free(nokid);
}
END_TEST

START_TEST(kid_never_a_path)
{
	const char *hs[] = {
	    "{\"alg\":\"RS256\",\"kid\":\"../../etc/passwd\"}",
	    "{\"alg\":\"RS256\",\"kid\":\"/etc/passwd\"}",
	    "{\"alg\":\"RS256\",\"kid\":\"test-rs-1.pub\"}",
	    "{\"alg\":\"RS256\",\"kid\":\"test\\\\rs\"}",
	    "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\\u0000x\"}",
	    "{\"alg\":\"RS256\",\"kid\":\"\"}",
	    "{\"alg\":\"RS256\",\"kid\":\"t\u00e9st\"}",
	    "{\"alg\":\"RS256\",\"kid\":7}",
	    "{\"alg\":\"RS256\",\"kid\":"
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		char *tok =
		    raw_token("test-rs-1.key.pem", hs[i], payload_ok, 0);

		ck_assert_msg(verify(tok) == MP_JWT_MALFORMED, "header %s",
		              hs[i]);
		free(tok);
	}
}
END_TEST

/* --- integrity ------------------------------------------------------------ */

START_TEST(wrong_key_for_kid)
{
	/* Signed with test-rs-2's private key, labelled test-rs-1. */
	char *tok =
	    sign_as("RS256", "test-rs-1", "test-rs-2.key.pem", base_claims());

	ck_assert_int_eq(verify(tok), MP_JWT_BAD_SIGNATURE);
	free(tok);
}
END_TEST

START_TEST(tampered_payload)
{
	char *tok = sign_rs1(base_claims()), *dot1, *dot2, *evil, *np;
	json_t *c = base_claims();
	char *js;

	json_object_set_new(c, "roles", json_pack("[s]", "admin"));
	js = json_dumps(c, JSON_COMPACT);
	np = b64url(js, strlen(js));
	dot1 = strchr(tok, '.');
	dot2 = strchr(dot1 + 1, '.');
	evil = NULL;
	ck_assert_int_gt(
	    asprintf(&evil, "%.*s.%s%s", (int)(dot1 - tok), tok, np, dot2), 0);
	ck_assert_int_eq(verify(evil), MP_JWT_BAD_SIGNATURE);
	ck_assert_uint_eq(pr.roles, 0);
	ck_assert_int_eq(pr.authenticated, 0);

	/* The header is signed too: an equivalent but re-encoded header
	 * (same kid and alg) no longer matches the signature. */
	free(js);
	js =
	    strdup("{\"alg\":\"RS256\",\"kid\":\"test-rs-1\",\"typ\":\"jwt\"}");
	free(np);
	np = b64url(js, strlen(js));
	free(evil);
	ck_assert_int_gt(asprintf(&evil, "%s%s", np, dot1), 0);
	ck_assert_int_eq(verify(evil), MP_JWT_BAD_SIGNATURE);

	free(evil);
	free(np);
	free(js);
	json_decref(c);
	free(tok);
}
END_TEST

START_TEST(tampered_signature)
{
	char *tok = sign_rs1(base_claims());
	char *es =
	    sign_as("ES256", "test-es-1", "test-es-1.key.pem", base_claims());
	char *sig = strrchr(tok, '.') + 1, *esig = strrchr(es, '.') + 1;
	size_t len = strlen(tok);

	ck_assert_int_eq(verify(tok), MP_JWT_OK);
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify(tok), MP_JWT_BAD_SIGNATURE);
	esig[5] = esig[5] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify(es), MP_JWT_BAD_SIGNATURE);
	/* Truncated signature. */
	ck_assert_int_eq(mp_jwt_verify(ks, &pol, tok, len - 4, NOW, &pr),
	                 MP_JWT_BAD_SIGNATURE);
	/* Signature removed. */
	*sig = '\0';
	ck_assert_int_eq(verify(tok), MP_JWT_BAD_SIGNATURE);
	free(tok);
	free(es);
}
END_TEST

/* --- structure ----------------------------------------------------------- */

START_TEST(too_large)
{
	size_t n = 64 * 1024;
	char *big = malloc(n + 1);
	json_t *c = base_claims();
	char *pad = malloc(n), *tok;

	memset(big, 'A', n);
	big[100] = '.';
	big[200] = '.';
	big[n] = '\0';
	ck_assert_int_eq(verify(big), MP_JWT_TOO_LARGE);

	/* A genuine 64 KB token: refused on size by default, accepted when
	 * the policy allows it, so the cap is what rejected it. */
	memset(pad, 'x', n - 1);
	pad[n - 1] = '\0';
	json_object_set_new(c, "padding", json_string(pad));
	tok = sign_rs1(c);
	ck_assert_int_gt(strlen(tok), n);
	ck_assert_int_eq(verify(tok), MP_JWT_TOO_LARGE);
	pol.max_token_bytes = 256 * 1024;
	ck_assert_int_eq(verify(tok), MP_JWT_OK);
	pol.max_token_bytes = 100;
	ck_assert_int_eq(verify("a.b.c"), MP_JWT_MALFORMED);
	pol.max_token_bytes = 0;
	free(tok);
	free(pad);
	free(big);
}
END_TEST

START_TEST(empty_and_null)
{
	ck_assert_int_eq(verify(""), MP_JWT_MALFORMED);
	ck_assert_int_eq(mp_jwt_verify(ks, &pol, NULL, 10, NOW, &pr),
	                 MP_JWT_MALFORMED);
	ck_assert_int_eq(verify(".."), MP_JWT_MALFORMED);
	ck_assert_int_eq(verify("."), MP_JWT_MALFORMED);
}
END_TEST

START_TEST(segment_count)
{
	char *tok = sign_rs1(base_claims()), *two = strdup(tok), *four = NULL,
	     *five = NULL;

	*strrchr(two, '.') = '\0';
	ck_assert_int_eq(verify(two), MP_JWT_MALFORMED);
	ck_assert_int_gt(asprintf(&four, "%s.AAAA", tok), 0);
	ck_assert_int_eq(verify(four), MP_JWT_MALFORMED);
	free(four);
	ck_assert_int_gt(asprintf(&four, "%s.", tok), 0);
	ck_assert_int_eq(verify(four), MP_JWT_MALFORMED);
	ck_assert_int_gt(asprintf(&five, "%s.AAAA.AAAA", tok), 0);
	ck_assert_int_eq(verify(five), MP_JWT_MALFORMED);
	ck_assert_int_eq(verify("abc"), MP_JWT_MALFORMED);
	free(tok);
	free(two);
	free(four);
	free(five);
}
END_TEST

START_TEST(garbage_base64)
{
	char *tok = sign_rs1(base_claims()), *x;
	size_t len = strlen(tok);

	ck_assert_int_eq(verify("!!!!.####.$$$$"), MP_JWT_MALFORMED);
	ck_assert_int_eq(verify("eyJ=.eyJ=.AAAA"), MP_JWT_MALFORMED);
	ck_assert_int_eq(verify("e+J/.eyJh.AAAA"), MP_JWT_MALFORMED);
	/* One base64 char alone cannot encode a byte. */
	ck_assert_int_eq(verify("e.e.AAAA"), MP_JWT_MALFORMED);

	/* Non-ASCII and embedded NUL inside the given length. */
	x = strdup(tok);
	x[5] = (char)0xc3;
	ck_assert_int_eq(verify(x), MP_JWT_MALFORMED);
	strcpy(x, tok);
	x[len - 3] = '\0';
	ck_assert_int_eq(mp_jwt_verify(ks, &pol, x, len, NOW, &pr),
	                 MP_JWT_MALFORMED);
	strcpy(x, tok);
	x[7] = ' ';
	ck_assert_int_eq(verify(x), MP_JWT_MALFORMED);
	free(x);
	free(tok);
}
END_TEST

/*
 * A payload whose length is 1 mod 3 leaves 4 unused bits in the last
 * base64 character. A lenient decoder ignores them and goes on to the
 * signature check (BAD_SIGNATURE); the strict one stops at MALFORMED.
 */
START_TEST(non_canonical_base64_rejected)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char payload[256], *sig, *tok, *dot2, *last;
	unsigned char zero[256] = {0};

	snprintf(payload, sizeof(payload), "%s", payload_ok);
	while (strlen(payload) % 3 != 1)
		strcat(payload, " ");
	sig = b64url(zero, sizeof(zero));
	tok = forged("{\"alg\":\"RS256\",\"kid\":\"test-rs-1\"}", payload, sig);
	ck_assert_int_eq(verify(tok), MP_JWT_BAD_SIGNATURE);
	dot2 = strrchr(tok, '.');
	last = dot2 - 1;
	*last = b64[(strchr(b64, *last) - b64) | 1];
	ck_assert_int_eq(verify(tok), MP_JWT_MALFORMED);
	free(tok);
	free(sig);
}
END_TEST

START_TEST(header_not_json_object)
{
	const char *hs[] = {
	    "hello",
	    "[\"RS256\"]",
	    "\"RS256\"",
	    "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\"",
	    "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\"} x",
	    "{\"alg\":\"RS256\",\"alg\":\"RS256\",\"kid\":\"test-rs-1\"}",
	    "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\",\"x\":\"\xff\xfe\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		char *tok =
		    raw_token("test-rs-1.key.pem", hs[i], payload_ok, 0);

		ck_assert_msg(verify(tok) == MP_JWT_MALFORMED, "header %s",
		              hs[i]);
		free(tok);
	}
}
END_TEST

START_TEST(header_extensions_refused)
{
	char *crit = raw_token(
	    "test-rs-1.key.pem",
	    "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\",\"crit\":[\"exp\"]}",
	    payload_ok, 0);
	char *typ = raw_token(
	    "test-rs-1.key.pem",
	    "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\",\"typ\":\"at+jwt\"}",
	    payload_ok, 0);

	ck_assert_int_eq(verify(crit), MP_JWT_MALFORMED);
	ck_assert_int_eq(verify(typ), MP_JWT_MALFORMED);
	free(crit);
	free(typ);
}
END_TEST

START_TEST(payload_not_json_object)
{
	const char *h = "{\"alg\":\"RS256\",\"kid\":\"test-rs-1\"}";
	const char *ps[] = {
	    "not json",
	    "[1,2]",
	    "{\"sub\":\"a\",\"sub\":\"b\",\"iss\":\"" ISS "\"}",
	    "{\"sub\":\"\xc3\x28\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		char *tok = raw_token("test-rs-1.key.pem", h, ps[i], 0);

		ck_assert_msg(verify(tok) == MP_JWT_MALFORMED, "payload %s",
		              ps[i]);
		free(tok);
	}
}
END_TEST

/* --- identity claims ------------------------------------------------------ */

START_TEST(subject_required)
{
	json_t *c;

	c = base_claims();
	json_object_del(c, "sub");
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "sub", json_string(""));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "sub", json_integer(42));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "sub", json_string("line\nbreak"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
}
END_TEST

/* A token without a jti could never be revoked. */
START_TEST(jti_required)
{
	json_t *c;

	c = base_claims();
	json_object_del(c, "jti");
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(pr.authenticated, 0);
	c = base_claims();
	json_object_set_new(c, "jti", json_string(""));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "jti", json_integer(7));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	ck_assert_int_eq(verify_claims(c), MP_JWT_OK);
	ck_assert_str_eq(pr.jti, "jti-0001");
}
END_TEST

START_TEST(roles_claim)
{
	json_t *c;

	c = base_claims();
	json_object_set_new(c, "roles", json_string("admin"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "roles", json_pack("[i]", 128));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "roles", json_pack("{s:b}", "admin", 1));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "roles", json_pack("[s,s]", "admin", "root"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "roles", json_pack("[s]", "Admin"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "roles", json_array());
	ck_assert_int_eq(verify_claims(c), MP_JWT_OK);
	ck_assert_uint_eq(pr.roles, 0);
	c = base_claims();
	json_object_set_new(
	    c, "roles",
	    json_pack("[s,s,s]", "gender_analyst", "admin", "client"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_OK);
	ck_assert_uint_eq(pr.roles, MP_ROLE_GENDER_ANALYST | MP_ROLE_ADMIN |
	                                MP_ROLE_CLIENT);
}
END_TEST

static int
with_str(const char *name, const char *v)
{
	json_t *c = base_claims();

	json_object_set_new(c, name, json_string(v));
	return verify_claims(c);
}

START_TEST(region_claim)
{
	char longv[200];

	memset(longv, 'o', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	ck_assert_int_eq(with_str("region", longv), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("region", "casablanca-settat"),
	                 MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("region", "Oriental"), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("region", ""), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("region", "all"), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("region", "oriental"), MP_JWT_OK);
	ck_assert_str_eq(pr.region, "oriental");
}
END_TEST

START_TEST(overlong_strings_never_truncated)
{
	char s[600];

	memset(s, 'c', sizeof(s));
	s[63] = '\0'; /* 63 chars: fits commune[64] */
	ck_assert_int_eq(with_str("commune", s), MP_JWT_OK);
	ck_assert_uint_eq(strlen(pr.commune), 63);
	s[63] = 'c';
	s[64] = '\0';
	ck_assert_int_eq(with_str("commune", s), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("organisation", s), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("jti", s), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("client_id", s), MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("sub", s), MP_JWT_BAD_CLAIMS);
	memset(s, 'c', sizeof(s));
	s[512] = '\0';
	ck_assert_int_eq(with_str("scope", s), MP_JWT_BAD_CLAIMS);
	s[511] = '\0';
	ck_assert_int_eq(with_str("scope", s), MP_JWT_OK);
}
END_TEST

START_TEST(string_claim_contents)
{
	json_t *c = base_claims();

	ck_assert_int_eq(with_str("organisation", "assoc\x01"),
	                 MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("scope", "funding:read \"x\""),
	                 MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("scope", "cases:read\tcases:write"),
	                 MP_JWT_BAD_CLAIMS);
	ck_assert_int_eq(with_str("organisation", "Association Tawada"),
	                 MP_JWT_OK);
	/* UTF-8 names are fine (commune names in Arabic). */
	ck_assert_int_eq(with_str("organisation", "\xd8\xac\xd9\x85"),
	                 MP_JWT_OK);
	json_object_set_new(c, "commune", json_integer(5));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
}
END_TEST

START_TEST(municipal_agent_needs_commune)
{
	json_t *c;

	c = base_claims();
	json_object_set_new(c, "roles", json_pack("[s]", "municipal_agent"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
	c = base_claims();
	json_object_set_new(c, "roles", json_pack("[s]", "municipal_agent"));
	json_object_set_new(c, "commune", json_string("tiznit"));
	ck_assert_int_eq(verify_claims(c), MP_JWT_OK);
	ck_assert_uint_eq(pr.roles, MP_ROLE_MUNICIPAL_AGENT);
	c = base_claims();
	json_object_set_new(c, "roles", json_pack("[s]", "municipal_agent"));
	json_object_set_new(c, "commune", json_string("tiznit"));
	json_object_del(c, "region");
	ck_assert_int_eq(verify_claims(c), MP_JWT_BAD_CLAIMS);
}
END_TEST

/* --- keys and keysets ---------------------------------------------------- */

START_TEST(rotation_two_kids)
{
	char *p2 = key_path("test-rs-2.pub.pem");
	char *t1 = sign_rs1(base_claims());
	char *t2 =
	    sign_as("RS256", "test-rs-2", "test-rs-2.key.pem", base_claims());
	struct mp_jwt_keyset *next = NULL;

	ck_assert_int_eq(verify(t2), MP_JWT_UNKNOWN_KID);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(ks, "test-rs-2", "RS256", p2), 0);
	ck_assert_int_eq(verify(t1), MP_JWT_OK);
	ck_assert_int_eq(verify(t2), MP_JWT_OK);

	/* After rotation the old kid is gone from the new keyset. */
	ck_assert_int_eq(mp_jwt_keyset_new(&next), 0);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(next, "test-rs-2", "RS256", p2), 0);
	ck_assert_int_eq(mp_jwt_verify(next, &pol, t2, strlen(t2), NOW, &pr),
	                 MP_JWT_OK);
	ck_assert_int_eq(mp_jwt_verify(next, &pol, t1, strlen(t1), NOW, &pr),
	                 MP_JWT_UNKNOWN_KID);
	mp_jwt_keyset_free(next);
	free(t1);
	free(t2);
	free(p2);
}
END_TEST

START_TEST(keyset_spec_good)
{
	struct mp_jwt_keyset *k = NULL;
	char *spec = NULL, err[256];
	const char *d = keys_dir();
	char *t = sign_as("ES256", "es", "test-es-1.key.pem", base_claims());

	ck_assert_int_gt(asprintf(&spec,
	                          " rs1:RS256:%s/test-rs-1.pub.pem , "
	                          "rs2:RS256:%s/test-rs-2.pub.pem,"
	                          "es:ES256:%s/test-es-1.pub.pem ",
	                          d, d, d),
	                 0);
	ck_assert_int_eq(mp_jwt_keyset_new(&k), 0);
	ck_assert_int_eq(mp_jwt_keyset_load_spec(k, spec, err, sizeof(err)), 0);
	ck_assert_uint_eq(mp_jwt_keyset_count(k), 3);
	ck_assert_int_eq(mp_jwt_verify(k, &pol, t, strlen(t), NOW, &pr),
	                 MP_JWT_OK);
	mp_jwt_keyset_free(k);
	free(spec);
	free(t);
}
END_TEST

START_TEST(keyset_spec_bad_entries)
{
	struct {
		const char *fmt; /* %1$s = keys dir */
		int rc;
		const char *msg;
	} cases[] = {
	    {"", -EINVAL, "empty"},
	    {"   ", -EINVAL, "empty"},
	    {"justakid", -EINVAL, "entry 1"},
	    {"k:RS256", -EINVAL, "entry 1"},
	    {"k:RS256:", -EINVAL, "empty path"},
	    {":RS256:%1$s/test-rs-1.pub.pem", -EINVAL, "invalid kid"},
	    {"../k:RS256:%1$s/test-rs-1.pub.pem", -EINVAL, "invalid kid"},
	    {"k:HS256:%1$s/test-rs-1.pub.pem", -EINVAL, "algorithm"},
	    {"k:none:%1$s/test-rs-1.pub.pem", -EINVAL, "algorithm"},
	    {"k:rs256:%1$s/test-rs-1.pub.pem", -EINVAL, "algorithm"},
	    {"k:ES256:%1$s/test-rs-1.pub.pem", -EINVAL, "entry 1 (kid k)"},
	    {"k:RS256:%1$s/test-es-1.pub.pem", -EINVAL, "not a public key"},
	    {"k:RS256:%1$s/test-rs-1.key.pem", -EINVAL, "not a public key"},
	    {"k:RS256:%1$s/README", -EINVAL, "not a public key"},
	    {"k:RS256:%1$s/nope.pem", -ENOENT, "nope.pem"},
	    {"k:RS256:%1$s", -EINVAL, "entry 1"},
	    {"k:RS256:%1$s/test-rs-1.pub.pem,", -EINVAL, "entry 2"},
	    {"k:RS256:%1$s/test-rs-1.pub.pem,,j:RS256:%1$s/test-rs-2.pub.pem",
	     -EINVAL, "entry 2"},
	    {"k:RS256:%1$s/test-rs-1.pub.pem,k:RS256:%1$s/test-rs-2.pub.pem",
	     -EEXIST, "duplicate"},
	    {"a:RS256:%1$s/test-rs-1.pub.pem,b:RS256:%1$s/missing.pem", -ENOENT,
	     "entry 2 (kid b)"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mp_jwt_keyset *k = NULL;
		char *spec = NULL, err[256] = "";

		ck_assert_int_ge(asprintf(&spec, cases[i].fmt, keys_dir()), 0);
		ck_assert_int_eq(mp_jwt_keyset_new(&k), 0);
		ck_assert_msg(mp_jwt_keyset_load_spec(
		                  k, spec, err, sizeof(err)) == cases[i].rc,
		              "spec '%s': err '%s'", spec, err);
		ck_assert_msg(strstr(err, cases[i].msg) != NULL,
		              "spec '%s': err '%s' lacks '%s'", spec, err,
		              cases[i].msg);
		/* All or nothing. */
		ck_assert_uint_eq(mp_jwt_keyset_count(k), 0);
		mp_jwt_keyset_free(k);
		free(spec);
	}
	ck_assert_int_eq(mp_jwt_keyset_load_spec(NULL, "a:RS256:/x", NULL, 0),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_load_spec(ks, NULL, NULL, 0), -EINVAL);
	ck_assert_uint_eq(mp_jwt_keyset_count(ks), 2);
}
END_TEST

START_TEST(keyset_add_pem_checks)
{
	size_t rl, el, kl;
	char *rs = slurp("test-rs-1.pub.pem", &rl);
	char *ec = slurp("test-es-1.pub.pem", &el);
	char *priv = slurp("test-rs-1.key.pem", &kl);
	struct mp_jwt_keyset *k = NULL;
	EVP_PKEY *small = EVP_RSA_gen(1024);
	BIO *b = BIO_new(BIO_s_mem());
	char *sp, kid[16], *huge;
	long sl;
	int i;

	ck_assert_int_eq(mp_jwt_keyset_new(&k), 0);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", priv, kl),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "ES256", rs, rl),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", ec, el),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "HS256", rs, rl),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", NULL, rs, rl), -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a/b", "RS256", rs, rl),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", rs, 0),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", rs, rl / 2),
	                 -EINVAL);
	huge = calloc(1, MP_JWT_MAX_PEM_BYTES + 2);
	memset(huge, 'A', MP_JWT_MAX_PEM_BYTES + 1);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", huge,
	                                       MP_JWT_MAX_PEM_BYTES + 1),
	                 -E2BIG);
	free(huge);

	/* RSA below 2048 bits is refused. */
	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(PEM_write_bio_PUBKEY(b, small), 1);
	sl = BIO_get_mem_data(b, &sp);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", sp, (size_t)sl),
	                 -EINVAL);
	ck_assert_uint_eq(mp_jwt_keyset_count(k), 0);

	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", rs, rl), 0);
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "a", "RS256", rs, rl),
	                 -EEXIST);
	for (i = 1; i < MP_JWT_MAX_KEYS; i++) {
		snprintf(kid, sizeof(kid), "k%d", i);
		ck_assert_int_eq(mp_jwt_keyset_add_pem(k, kid, "RS256", rs, rl),
		                 0);
	}
	ck_assert_int_eq(mp_jwt_keyset_add_pem(k, "one-more", "RS256", rs, rl),
	                 -ENOSPC);
	ck_assert_int_eq(mp_jwt_keyset_add_pem_file(k, "dir", "RS256", "/"),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_keyset_new(NULL), -EINVAL);
	mp_jwt_keyset_free(NULL);

	BIO_free(b);
	EVP_PKEY_free(small);
	mp_jwt_keyset_free(k);
	free(rs);
	free(ec);
	free(priv);
}
END_TEST

/* --- API contract ------------------------------------------------------- */

START_TEST(bad_policy_is_internal_and_zeroes_principal)
{
	char *tok = sign_rs1(base_claims());
	struct mp_jwt_policy bad;

	ck_assert_int_eq(verify(tok), MP_JWT_OK);
	bad = pol;
	bad.issuer = NULL;
	ck_assert_int_eq(mp_jwt_verify(ks, &bad, tok, strlen(tok), NOW, &pr),
	                 MP_JWT_INTERNAL);
	ck_assert_int_eq(pr.authenticated, 0);
	ck_assert_uint_eq(pr.roles, 0);
	bad = pol;
	bad.audience = "";
	ck_assert_int_eq(mp_jwt_verify(ks, &bad, tok, strlen(tok), NOW, &pr),
	                 MP_JWT_INTERNAL);
	bad = pol;
	bad.leeway_s = -1;
	ck_assert_int_eq(mp_jwt_verify(ks, &bad, tok, strlen(tok), NOW, &pr),
	                 MP_JWT_INTERNAL);
	bad.leeway_s = MP_JWT_MAX_LEEWAY_S + 1;
	ck_assert_int_eq(mp_jwt_verify(ks, &bad, tok, strlen(tok), NOW, &pr),
	                 MP_JWT_INTERNAL);
	ck_assert_int_eq(mp_jwt_verify(NULL, &pol, tok, strlen(tok), NOW, &pr),
	                 MP_JWT_INTERNAL);
	ck_assert_int_eq(mp_jwt_verify(ks, NULL, tok, strlen(tok), NOW, &pr),
	                 MP_JWT_INTERNAL);
	ck_assert_int_eq(mp_jwt_verify(ks, &pol, tok, strlen(tok), NOW, NULL),
	                 MP_JWT_INTERNAL);
	free(tok);
}
END_TEST

START_TEST(strerror_stable_and_distinct)
{
	int a, b;

	for (a = MP_JWT_INTERNAL; a <= MP_JWT_OK; a++) {
		ck_assert_str_ne(mp_jwt_strerror(a), "unknown error");
		for (b = a + 1; b <= MP_JWT_OK; b++)
			ck_assert_str_ne(mp_jwt_strerror(a),
			                 mp_jwt_strerror(b));
	}
	ck_assert_str_eq(mp_jwt_strerror(MP_JWT_EXPIRED), "token expired");
	ck_assert_str_eq(mp_jwt_strerror(-99), "unknown error");
	ck_assert_str_eq(mp_jwt_strerror(1), "unknown error");
}
END_TEST

START_TEST(bearer_header)
{
	const char *tok = NULL;
	size_t len = 0;
	const char *h = "Bearer abc.def.ghi";

	ck_assert_int_eq(mp_jwt_bearer(h, &tok, &len), 0);
	ck_assert_ptr_eq(tok, h + 7);
	ck_assert_uint_eq(len, 11);
	ck_assert_int_eq(mp_jwt_bearer("bEaReR    x.y.z  \t", &tok, &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(strncmp(tok, "x.y.z", len), 0);
	ck_assert_int_eq(mp_jwt_bearer("Bearer a~+/b==", &tok, &len), 0);
	ck_assert_uint_eq(len, 7); /* "a~+/b==" */

	ck_assert_int_eq(mp_jwt_bearer(NULL, &tok, &len), -ENOENT);
	ck_assert_int_eq(mp_jwt_bearer("", &tok, &len), -ENOENT);
	ck_assert_int_eq(mp_jwt_bearer(" \t ", &tok, &len), -ENOENT);

	tok = NULL;
	len = 77;
	ck_assert_int_eq(mp_jwt_bearer("Basic dXNlcjpwYXNz", &tok, &len),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer ", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearerabc", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer\tabc", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer a b", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer a=b", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer ==", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer a,b", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer abc\x01", &tok, &len), -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer \xc3\xa9t\xff", &tok, &len),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_bearer("Bearer abc", NULL, &len), -EINVAL);
	ck_assert_ptr_null(tok);
	ck_assert_uint_eq(len, 77);
}
END_TEST

START_TEST(bearer_then_verify)
{
	char *tok = sign_rs1(base_claims()), *hdr = NULL;
	const char *t;
	size_t len;

	/* The token is verified in place, without NUL termination. */
	ck_assert_int_gt(asprintf(&hdr, "Bearer %s ", tok), 0);
	ck_assert_int_eq(mp_jwt_bearer(hdr, &t, &len), 0);
	ck_assert_int_eq(mp_jwt_verify(ks, &pol, t, len, NOW, &pr), MP_JWT_OK);
	free(hdr);
	free(tok);
}
END_TEST

START_TEST(sign_rejects_bad_input)
{
	size_t rl, el;
	char *rs = slurp("test-rs-1.key.pem", &rl);
	char *ec = slurp("test-es-1.key.pem", &el);
	char *pub;
	size_t pl;
	json_t *c = base_claims(), *arr = json_array();
	char *out = (char *)1;
	BIO *b = BIO_new(BIO_s_mem());
	BIO *in = BIO_new_mem_buf(rs, (int)rl);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	char *enc;
	long encl;

	pub = slurp("test-rs-1.pub.pem", &pl);
	ck_assert_int_eq(mp_jwt_sign("ES256", "k", rs, rl, c, &out), -EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(mp_jwt_sign("RS256", "k", ec, el, c, &out), -EINVAL);
	ck_assert_int_eq(mp_jwt_sign("HS256", "k", rs, rl, c, &out), -EINVAL);
	ck_assert_int_eq(mp_jwt_sign("none", "k", rs, rl, c, &out), -EINVAL);
	ck_assert_int_eq(mp_jwt_sign("RS256", "../k", rs, rl, c, &out),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_sign("RS256", "k", rs, rl, arr, &out), -EINVAL);
	ck_assert_int_eq(mp_jwt_sign("RS256", "k", rs, rl, NULL, &out),
	                 -EINVAL);
	ck_assert_int_eq(mp_jwt_sign("RS256", "k", pub, pl, c, &out), -EINVAL);
	ck_assert_int_eq(mp_jwt_sign("RS256", "k", rs, 0, c, &out), -EINVAL);

	/* An encrypted key is refused, never prompting on stdin. */
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, k, EVP_aes_256_cbc(),
	                                          (unsigned char *)"pw", 2,
	                                          NULL, NULL),
	                 1);
	encl = BIO_get_mem_data(b, &enc);
	ck_assert_int_eq(mp_jwt_sign("RS256", "k", enc, (size_t)encl, c, &out),
	                 -EINVAL);
	ck_assert_ptr_null(out);

	EVP_PKEY_free(k);
	BIO_free(in);
	BIO_free(b);
	json_decref(c);
	json_decref(arr);
	free(pub);
	free(rs);
	free(ec);
}
END_TEST

/* ---- verified tokens remembered (mp_jwt_verify_cached) ------------------ */

START_TEST(cache_serves_the_verified_principal)
{
	char *tok = sign_rs1(base_claims());
	struct mp_jwt_cache *c = NULL;
	struct mp_principal first, again;
	unsigned long long hits, misses;

	ck_assert_int_eq(mp_jwt_cache_new(64, &c), 0);
	ck_assert_int_eq(
	    mp_jwt_verify_cached(c, ks, &pol, tok, strlen(tok), NOW, &first),
	    MP_JWT_OK);
	ck_assert_int_eq(mp_jwt_verify_cached(c, ks, &pol, tok, strlen(tok),
	                                      NOW + 5, &again),
	                 MP_JWT_OK);
	ck_assert_int_eq(memcmp(&first, &again, sizeof(first)), 0);
	ck_assert_str_eq(again.jti, "jti-0001");
	ck_assert_int_eq(again.authenticated, 1);
	mp_jwt_cache_stats(c, &hits, &misses);
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(misses, 1);
	mp_jwt_cache_free(c);
	free(tok);
}
END_TEST

/* Only the very bytes that were verified: one changed byte of the
 * signature, or of the payload, is verified (and refused) in full. */
START_TEST(cache_never_serves_another_token)
{
	char *tok = sign_rs1(base_claims()), *bad = strdup(tok);
	size_t len = strlen(tok);
	struct mp_jwt_cache *c = NULL;

	ck_assert_int_eq(mp_jwt_cache_new(1, &c), 0); /* one slot for all */
	ck_assert_int_eq(mp_jwt_verify_cached(c, ks, &pol, tok, len, NOW, &pr),
	                 MP_JWT_OK);
	bad[len - 2] = bad[len - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_ne(mp_jwt_verify_cached(c, ks, &pol, bad, len, NOW, &pr),
	                 MP_JWT_OK);
	ck_assert_int_eq(pr.authenticated, 0);
	memcpy(bad, tok, len);
	bad[strchr(tok, '.') - tok + 5] ^= 0x01; /* in the payload */
	ck_assert_int_ne(mp_jwt_verify_cached(c, ks, &pol, bad, len, NOW, &pr),
	                 MP_JWT_OK);
	/* a prefix is not the token either */
	ck_assert_int_ne(
	    mp_jwt_verify_cached(c, ks, &pol, tok, len - 1, NOW, &pr),
	    MP_JWT_OK);
	mp_jwt_cache_free(c);
	free(bad);
	free(tok);
}
END_TEST

/* Served while now < exp + leeway, exactly as mp_jwt_verify accepts it;
 * then refused as expired. */
START_TEST(cache_stops_at_expiry)
{
	json_t *cl = base_claims();
	char *tok;
	struct mp_jwt_cache *c = NULL;
	unsigned long long hits, misses;

	json_object_set_new(cl, "exp", json_integer(NOW + 100));
	tok = sign_rs1(cl);
	ck_assert_int_eq(mp_jwt_cache_new(8, &c), 0);
	ck_assert_int_eq(
	    mp_jwt_verify_cached(c, ks, &pol, tok, strlen(tok), NOW, &pr),
	    MP_JWT_OK);
	ck_assert_int_eq(mp_jwt_verify_cached(c, ks, &pol, tok, strlen(tok),
	                                      NOW + 100 + LEEWAY - 1, &pr),
	                 MP_JWT_OK);
	ck_assert_int_eq(mp_jwt_verify_cached(c, ks, &pol, tok, strlen(tok),
	                                      NOW + 100 + LEEWAY, &pr),
	                 MP_JWT_EXPIRED);
	/* a clock stepped back before iat - leeway: verified again, refused */
	ck_assert_int_eq(
	    mp_jwt_verify_cached(c, ks, &pol, tok, strlen(tok), NOW, &pr),
	    MP_JWT_OK);
	ck_assert_int_eq(mp_jwt_verify_cached(c, ks, &pol, tok, strlen(tok),
	                                      NOW - 10 - LEEWAY - 1, &pr),
	                 MP_JWT_NOT_YET_VALID);
	ck_assert_int_eq(pr.authenticated, 0);
	mp_jwt_cache_stats(c, &hits, &misses);
	ck_assert_uint_eq(hits, 2);
	ck_assert_uint_eq(misses, 3);
	mp_jwt_cache_free(c);
	free(tok);
}
END_TEST

/* A rotated keyset (the old kid gone) empties the cache: a token of the
 * old key is refused at once. Failures are never remembered. */
START_TEST(cache_follows_the_keyset)
{
	char *p2 = key_path("test-rs-2.pub.pem");
	char *t1 = sign_rs1(base_claims());
	struct mp_jwt_keyset *next = NULL;
	struct mp_jwt_cache *c = NULL;
	unsigned long long hits, misses;

	ck_assert_int_eq(mp_jwt_cache_new(64, &c), 0);
	ck_assert_int_eq(
	    mp_jwt_verify_cached(c, ks, &pol, t1, strlen(t1), NOW, &pr),
	    MP_JWT_OK);
	ck_assert_int_eq(mp_jwt_keyset_new(&next), 0);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(next, "test-rs-2", "RS256", p2), 0);
	ck_assert_int_eq(
	    mp_jwt_verify_cached(c, next, &pol, t1, strlen(t1), NOW, &pr),
	    MP_JWT_UNKNOWN_KID);
	ck_assert_int_eq(
	    mp_jwt_verify_cached(c, next, &pol, t1, strlen(t1), NOW, &pr),
	    MP_JWT_UNKNOWN_KID);
	mp_jwt_cache_stats(c, &hits, &misses);
	ck_assert_uint_eq(hits, 0);
	ck_assert_uint_eq(misses, 3);
	mp_jwt_keyset_free(next);
	mp_jwt_cache_free(c);
	free(t1);
	free(p2);
}
END_TEST

static Suite *
jwt_suite(void)
{
	Suite *s = suite_create("jwt");
	TCase *v = tcase_create("verify");
	TCase *k = tcase_create("keyset");
	TCase *a = tcase_create("api");
	TCase *ca = tcase_create("cache");

	tcase_add_checked_fixture(v, setup, teardown);
	tcase_add_checked_fixture(k, setup, teardown);
	tcase_add_checked_fixture(a, setup, teardown);
	tcase_add_checked_fixture(ca, setup, teardown);
	tcase_set_timeout(ca, 30);
	tcase_add_test(ca, cache_serves_the_verified_principal);
	tcase_add_test(ca, cache_never_serves_another_token);
	tcase_add_test(ca, cache_stops_at_expiry);
	tcase_add_test(ca, cache_follows_the_keyset);
	suite_add_tcase(s, ca);
	tcase_set_timeout(v, 30);
	tcase_set_timeout(k, 30);
	tcase_set_timeout(a, 30);

	tcase_add_test(v, valid_rs256_fills_principal);
	tcase_add_test(v, valid_es256);
	tcase_add_test(v, minimal_claims_no_roles_no_region);
	tcase_add_test(v, independent_signer_interop);
	tcase_add_test(v, alg_none_rejected);
	tcase_add_test(v, hs256_with_public_key_as_secret_rejected);
	tcase_add_test(v, alg_must_match_pin_of_kid);
	tcase_add_test(v, expired);
	tcase_add_test(v, exp_within_leeway);
	tcase_add_test(v, nbf_future);
	tcase_add_test(v, iat_future);
	tcase_add_test(v, time_claims_required_and_typed);
	tcase_add_test(v, lifetime_capped);
	tcase_add_test(v, issuer);
	tcase_add_test(v, audience);
	tcase_add_test(v, unknown_kid);
	tcase_add_test(v, kid_never_a_path);
	tcase_add_test(v, wrong_key_for_kid);
	tcase_add_test(v, tampered_payload);
	tcase_add_test(v, tampered_signature);
	tcase_add_test(v, too_large);
	tcase_add_test(v, empty_and_null);
	tcase_add_test(v, segment_count);
	tcase_add_test(v, garbage_base64);
	tcase_add_test(v, non_canonical_base64_rejected);
	tcase_add_test(v, header_not_json_object);
	tcase_add_test(v, header_extensions_refused);
	tcase_add_test(v, payload_not_json_object);
	tcase_add_test(v, subject_required);
	tcase_add_test(v, jti_required);
	tcase_add_test(v, roles_claim);
	tcase_add_test(v, region_claim);
	tcase_add_test(v, overlong_strings_never_truncated);
	tcase_add_test(v, string_claim_contents);
	tcase_add_test(v, municipal_agent_needs_commune);
	suite_add_tcase(s, v);

	tcase_add_test(k, rotation_two_kids);
	tcase_add_test(k, keyset_spec_good);
	tcase_add_test(k, keyset_spec_bad_entries);
	tcase_add_test(k, keyset_add_pem_checks);
	suite_add_tcase(s, k);

	tcase_add_test(a, bad_policy_is_internal_and_zeroes_principal);
	tcase_add_test(a, strerror_stable_and_distinct);
	tcase_add_test(a, bearer_header);
	tcase_add_test(a, bearer_then_verify);
	tcase_add_test(a, sign_rejects_bad_input);
	suite_add_tcase(s, a);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jwt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
