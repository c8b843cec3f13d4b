/*
 * jwt.c: access-token verification and signing (RS256 / ES256, by kid).
 *
 * Why so much happens outside libjwt: libjwt 1.10 takes the algorithm from
 * the token itself (so an "HS256" token whose HMAC key is our RSA public
 * key PEM verifies, and a key of NULL verifies nothing at all), and checks
 * no claim. So every decision that depends on attacker bytes is taken here,
 * before any crypto, on a strict reading of the token:
 *   1. size cap, then exactly three non-empty base64url segments;
 *   2. the header, decoded with libsodium (strict, no padding) and parsed
 *      with duplicate keys rejected: alg must be RS256/ES256, kid must be a
 *      short [A-Za-z0-9_-] name (never a path) present in the keyset, and
 *      alg must equal the algorithm pinned for that kid;
 *   3. the payload decoded the same way into a JSON object, and the
 *      signature to exactly the length the key's algorithm produces.
 * Only then does libjwt check the signature, with the kid's public key,
 * and its own idea of the algorithm is compared with the pin once more.
 * Claims are read from OUR decoding of the signed bytes (not libjwt's
 * grants), and any claim that does not fit the principal is a rejection:
 * nothing is truncated or defaulted silently.
 *
 * Keys are parsed with OpenSSL when added (type and size checked against
 * the pinned alg) and stored as canonical public-key PEM, so a file that
 * holds something else (a private key, two keys) fails at start-up, not at
 * the first request.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "mp/jwt.h"
#include "mp/util.h"
#include "mp/principal.h"

#define ES256_SIG_LEN 64
#define RSA_MIN_BITS 2048
#define MAX_ROLES 16
#define MAX_AUD 16

struct mp_jwt_key {
	char kid[MP_JWT_MAX_KID_LEN + 1];
	jwt_alg_t alg;
	size_t sig_len;     /* exact length of a raw signature */
	unsigned char *pem; /* canonical SubjectPublicKeyInfo PEM */
	size_t pem_len;
	EVP_PKEY *pkey; /* parsed once: verifying must not re-read PEM */
};

struct mp_jwt_keyset {
	struct mp_jwt_key keys[MP_JWT_MAX_KEYS];
	size_t n;
};

struct segment {
	const char *p;
	size_t len;
};

static int kid_valid(const char *, size_t);
static int alg_from_name(const char *, jwt_alg_t *);
static int canonical_public_pem(jwt_alg_t, const char *, size_t,
                                unsigned char **, size_t *, size_t *);
static int private_key_fits(jwt_alg_t, const char *, size_t);
static int no_passphrase(char *, int, int, void *);
static void key_clear(struct mp_jwt_key *);
static EVP_PKEY *pkey_from_pem(const unsigned char *, size_t);
static int verify_signature(const struct mp_jwt_key *, const char *, size_t,
                            const unsigned char *, size_t);
static const struct mp_jwt_key *find_key(const struct mp_jwt_keyset *,
                                         const char *);
static int read_small_file(const char *, char **, size_t *);
static int split_token(const char *, size_t, struct segment *);
static int b64url_decode(const struct segment *, unsigned char **, size_t *);
static int segment_json(const struct segment *, json_t **);
static int check_header(const struct mp_jwt_keyset *, json_t *,
                        const struct mp_jwt_key **);
static int policy_valid(const struct mp_jwt_policy *);
static int text_ok(const char *, size_t);
static int scope_ok(const char *, size_t);
static int claim_string(json_t *, const char *, int, char *, size_t);
static int claim_time(json_t *, const char *, int, int64_t *, int *);
static int check_times(json_t *, int64_t, const struct mp_jwt_policy *,
                       struct mp_principal *);
static int check_audience(json_t *, const char *);
static int check_roles(json_t *, unsigned *);
static int check_claims(json_t *, const struct mp_jwt_policy *, int64_t,
                        struct mp_principal *);
static int is_b64token_char(int);
static char *trim(char *);

/* --- keys ------------------------------------------------------------- */

static int
kid_valid(const char *kid, size_t len)
{
	size_t i;

	if (len == 0 || len > MP_JWT_MAX_KID_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		char c = kid[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int
alg_from_name(const char *name, jwt_alg_t *out)
{
	if (name == NULL)
		return -EINVAL;
	if (strcmp(name, "RS256") == 0)
		*out = JWT_ALG_RS256;
	else if (strcmp(name, "ES256") == 0)
		*out = JWT_ALG_ES256;
	else
		return -EINVAL;
	return 0;
}

/* Parse a public key, check it suits alg, re-serialise it canonically. */
static int
canonical_public_pem(jwt_alg_t alg, const char *pem, size_t len,
                     unsigned char **out, size_t *out_len, size_t *sig_len)
{
	BIO *in = NULL, *mem = NULL;
	EVP_PKEY *pkey = NULL;
	BUF_MEM *bm = NULL;
	char group[64];
	size_t group_len = 0;
	int rc = -EINVAL;

	if ((in = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if ((pkey = PEM_read_bio_PUBKEY(in, NULL, no_passphrase, NULL)) == NULL)
		goto cleanup;

	switch (alg) {
	case JWT_ALG_RS256:
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA ||
		    EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS)
			goto cleanup;
		*sig_len = (size_t)EVP_PKEY_get_size(pkey);
		break;
	case JWT_ALG_ES256:
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
		    EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		                            &group_len) != 1 ||
		    strcmp(group, "prime256v1") != 0)
			goto cleanup;
		*sig_len = ES256_SIG_LEN;
		break;
	default:
		goto cleanup;
	}

	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(mem, pkey) != 1) {
		rc = -ENOMEM;
		goto cleanup;
	}
	BIO_get_mem_ptr(mem, &bm);
	if (bm == NULL || bm->length == 0) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if ((*out = malloc(bm->length + 1)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	memcpy(*out, bm->data, bm->length);
	(*out)[bm->length] = '\0';
	*out_len = bm->length;
	rc = 0;

cleanup:
	EVP_PKEY_free(pkey);
	BIO_free(mem);
	BIO_free(in);
	ERR_clear_error();
	return rc;
}

/*
 * libjwt would ask for a passphrase on stdin for an encrypted key; refuse
 * such keys (and keys of the wrong type) before handing the PEM over.
 */
static int
private_key_fits(jwt_alg_t alg, const char *pem, size_t len)
{
	BIO *in = NULL;
	EVP_PKEY *pkey = NULL;
	char group[64];
	size_t group_len = 0;
	int rc = -EINVAL;

	if ((in = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if ((pkey = PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL)) ==
	    NULL)
		goto cleanup;
	if (alg == JWT_ALG_RS256 &&
	    EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
	    EVP_PKEY_get_bits(pkey) >= RSA_MIN_BITS)
		rc = 0;
	if (alg == JWT_ALG_ES256 && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(pkey, group, sizeof(group), &group_len) ==
	        1 &&
	    strcmp(group, "prime256v1") == 0)
		rc = 0;

cleanup:
	EVP_PKEY_free(pkey);
	BIO_free(in);
	ERR_clear_error();
	return rc;
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void
key_clear(struct mp_jwt_key *k)
{
	EVP_PKEY_free(k->pkey);
	free(k->pem);
	memset(k, 0, sizeof(*k));
}

static const struct mp_jwt_key *
find_key(const struct mp_jwt_keyset *ks, const char *kid)
{
	size_t i;

	for (i = 0; i < ks->n; i++) {
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return &ks->keys[i];
	}
	return NULL;
}

int
mp_jwt_keyset_new(struct mp_jwt_keyset **out)
{
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (sodium_init() < 0)
		return -ENOMEM;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return -ENOMEM;
	return 0;
}

int
mp_jwt_keyset_add_pem(struct mp_jwt_keyset *ks, const char *kid,
                      const char *alg, const char *pem, size_t len)
{
	struct mp_jwt_key *k;
	jwt_alg_t a;
	int rc;

	if (ks == NULL || kid == NULL || pem == NULL || len == 0)
		return -EINVAL;
	if (!kid_valid(kid, strlen(kid)) || alg_from_name(alg, &a) != 0)
		return -EINVAL;
	if (len > MP_JWT_MAX_PEM_BYTES)
		return -E2BIG;
	if (find_key(ks, kid) != NULL)
		return -EEXIST;
	if (ks->n >= MP_JWT_MAX_KEYS)
		return -ENOSPC;

	k = &ks->keys[ks->n];
	memset(k, 0, sizeof(*k));
	if ((rc = canonical_public_pem(a, pem, len, &k->pem, &k->pem_len,
	                               &k->sig_len)) != 0) {
		key_clear(k);
		return rc;
	}
	if ((k->pkey = pkey_from_pem(k->pem, k->pem_len)) == NULL) {
		key_clear(k);
		return -EINVAL;
	}
	memcpy(k->kid, kid, strlen(kid) + 1);
	k->alg = a;
	ks->n++;
	return 0;
}

static EVP_PKEY *
pkey_from_pem(const unsigned char *pem, size_t len)
{
	BIO *in = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = NULL;

	if (in != NULL)
		pkey = PEM_read_bio_PUBKEY(in, NULL, NULL, NULL);
	BIO_free(in);
	return pkey;
}

/*
 * Checks a JWS signature over input[0..len) ("header.payload") with the
 * key's parsed public key: RS256 is RSASSA-PKCS1-v1_5 with SHA-256; ES256
 * is ECDSA P-256 with SHA-256, whose raw r||s signature (RFC 7518 3.4) is
 * re-encoded as the DER OpenSSL expects. sig_len was checked against the
 * key already. Returns MP_JWT_OK, MP_JWT_BAD_SIGNATURE or MP_JWT_INTERNAL.
 */
static int
verify_signature(const struct mp_jwt_key *key, const char *input, size_t len,
                 const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	const unsigned char *check = sig;
	size_t check_len = sig_len;
	int der_len, rc = MP_JWT_INTERNAL;

	if (key->alg == JWT_ALG_ES256) {
		if (sig_len != 64)
			return MP_JWT_BAD_SIGNATURE;
		if ((es = ECDSA_SIG_new()) == NULL ||
		    (r = BN_bin2bn(sig, 32, NULL)) == NULL ||
		    (s = BN_bin2bn(sig + 32, 32, NULL)) == NULL)
			goto cleanup;
		if (ECDSA_SIG_set0(es, r, s) != 1)
			goto cleanup;
		r = s = NULL; /* owned by es now */
		if ((der_len = i2d_ECDSA_SIG(es, &der)) <= 0)
			goto cleanup;
		check = der;
		check_len = (size_t)der_len;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1)
		goto cleanup;
	rc = EVP_DigestVerify(md, check, check_len,
	                      (const unsigned char *)input, len) == 1
	         ? MP_JWT_OK
	         : MP_JWT_BAD_SIGNATURE;

cleanup:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

static int
read_small_file(const char *path, char **out, size_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto cleanup;
	}
	if (st.st_size > MP_JWT_MAX_PEM_BYTES) {
		rc = -E2BIG;
		goto cleanup;
	}
	/* One spare byte detects a file that grew since fstat. */
	if ((buf = malloc(MP_JWT_MAX_PEM_BYTES + 1)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		r = read(fd, buf + got, MP_JWT_MAX_PEM_BYTES + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > MP_JWT_MAX_PEM_BYTES) {
			rc = -E2BIG;
			goto cleanup;
		}
	}
	*out = buf;
	*out_len = got;
	buf = NULL;
	rc = 0;

cleanup:
	free(buf);
	close(fd);
	return rc;
}

int
mp_jwt_keyset_add_pem_file(struct mp_jwt_keyset *ks, const char *kid,
                           const char *alg, const char *public_pem_path)
{
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if (ks == NULL || kid == NULL || alg == NULL || public_pem_path == NULL)
		return -EINVAL;
	if ((rc = read_small_file(public_pem_path, &pem, &len)) != 0)
		return rc;
	rc = len == 0 ? -EINVAL : mp_jwt_keyset_add_pem(ks, kid, alg, pem, len);
	free(pem);
	return rc;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int
mp_jwt_keyset_load_spec(struct mp_jwt_keyset *ks, const char *spec, char *err,
                        size_t errlen)
{
	char *copy = NULL, *entry, *next, *kid, *alg, *path, *colon;
	size_t start, i, index = 0;
	jwt_alg_t a;
	int rc = 0;

	mp_err_set(err, errlen, "ok");
	if (ks == NULL || spec == NULL) {
		mp_err_set(err, errlen, "no keyset or key spec");
		return -EINVAL;
	}
	if ((copy = strdup(spec)) == NULL) {
		mp_err_set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	start = ks->n;
	if (*trim(copy) == '\0') {
		mp_err_set(err, errlen, "empty key spec");
		rc = -EINVAL;
		goto cleanup;
	}

	for (entry = copy; entry != NULL; entry = next) {
		index++;
		if ((next = strchr(entry, ',')) != NULL)
			*next++ = '\0';
		entry = trim(entry);
		kid = entry;
		if ((colon = strchr(kid, ':')) == NULL) {
			mp_err_set(err, errlen,
			           "entry %zu: expected kid:alg:path", index);
			rc = -EINVAL;
			goto cleanup;
		}
		*colon = '\0';
		alg = colon + 1;
		if ((colon = strchr(alg, ':')) == NULL) {
			mp_err_set(err, errlen,
			           "entry %zu: expected kid:alg:path", index);
			rc = -EINVAL;
			goto cleanup;
		}
		*colon = '\0';
		path = colon + 1;
		if (!kid_valid(kid, strlen(kid))) {
			mp_err_set(
			    err, errlen,
			    "entry %zu: invalid kid (want [A-Za-z0-9_-], "
			    "1-%d chars)",
			    index, MP_JWT_MAX_KID_LEN);
			rc = -EINVAL;
			goto cleanup;
		}
		if (alg_from_name(alg, &a) != 0) {
			mp_err_set(err, errlen,
			           "entry %zu (kid %s): unsupported algorithm "
			           "(want RS256 or ES256)",
			           index, kid);
			rc = -EINVAL;
			goto cleanup;
		}
		if (*path == '\0') {
			mp_err_set(err, errlen,
			           "entry %zu (kid %s): empty path", index,
			           kid);
			rc = -EINVAL;
			goto cleanup;
		}
		if ((rc = mp_jwt_keyset_add_pem_file(ks, kid, alg, path)) !=
		    0) {
			mp_err_set(err, errlen,
			           "entry %zu (kid %s): cannot load %s: %s",
			           index, kid, path,
			           rc == -EINVAL
			               ? "not a public key for this algorithm"
			           : rc == -EEXIST ? "duplicate kid"
			           : rc == -ENOSPC ? "too many keys"
			           : rc == -E2BIG  ? "file too large"
			                           : strerror(-rc));
			goto cleanup;
		}
	}

cleanup:
	if (rc != 0) {
		for (i = start; i < ks->n; i++)
			key_clear(&ks->keys[i]);
		ks->n = start;
	}
	free(copy);
	return rc;
}

size_t
mp_jwt_keyset_count(const struct mp_jwt_keyset *ks)
{
	return ks == NULL ? 0 : ks->n;
}

void
mp_jwt_keyset_free(struct mp_jwt_keyset *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		key_clear(&ks->keys[i]);
	free(ks);
}

/* --- token structure ------------------------------------------------- */

static int
split_token(const char *tok, size_t len, struct segment *seg)
{
	size_t i, n = 0, start = 0;

	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)tok[i] : '.';

		if (c == '.') {
			/* Header and payload must be non-empty; an empty
			 * signature (alg "none") gets past this point so that
			 * it is reported as the algorithm problem it is. */
			if (n == 3 || (i == start && n < 2))
				return MP_JWT_MALFORMED;
			seg[n].p = tok + start;
			seg[n].len = i - start;
			n++;
			start = i + 1;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		             (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			return MP_JWT_MALFORMED;
		}
	}
	return n == 3 ? MP_JWT_OK : MP_JWT_MALFORMED;
}

/* Strict base64url (no padding, no blanks, canonical trailing bits). */
static int
b64url_decode(const struct segment *s, unsigned char **out, size_t *out_len)
{
	unsigned char *buf;
	const char *end = NULL;
	size_t cap = s->len / 4 * 3 + 3;

	if ((buf = malloc(cap + 1)) == NULL)
		return MP_JWT_INTERNAL;
	if (sodium_base642bin(buf, cap, s->p, s->len, NULL, out_len, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != s->p + s->len || *out_len == 0) {
		free(buf);
		return MP_JWT_MALFORMED;
	}
	buf[*out_len] = '\0';
	*out = buf;
	return MP_JWT_OK;
}

static int
segment_json(const struct segment *s, json_t **out)
{
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	json_t *js;
	int rc;

	if ((rc = b64url_decode(s, &raw, &raw_len)) != MP_JWT_OK)
		return rc;
	js = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES,
	                NULL);
	free(raw);
	if (!json_is_object(js)) {
		json_decref(js);
		return MP_JWT_MALFORMED;
	}
	*out = js;
	return MP_JWT_OK;
}

static int
check_header(const struct mp_jwt_keyset *ks, json_t *hdr,
             const struct mp_jwt_key **key)
{
	json_t *alg, *kid, *typ;
	jwt_alg_t a;

	/* Only RS256/ES256 exist here: "none", HS*, anything else stops. */
	alg = json_object_get(hdr, "alg");
	if (!json_is_string(alg) ||
	    alg_from_name(json_string_value(alg), &a) != 0)
		return MP_JWT_BAD_ALG;
	/* We implement no header extension, so "crit" cannot be honoured. */
	if (json_object_get(hdr, "crit") != NULL)
		return MP_JWT_MALFORMED;
	typ = json_object_get(hdr, "typ");
	if (typ != NULL && (!json_is_string(typ) ||
	                    strcasecmp(json_string_value(typ), "JWT") != 0))
		return MP_JWT_MALFORMED;

	kid = json_object_get(hdr, "kid");
	if (kid == NULL)
		return MP_JWT_UNKNOWN_KID;
	if (!json_is_string(kid) ||
	    !kid_valid(json_string_value(kid), json_string_length(kid)) ||
	    strlen(json_string_value(kid)) != json_string_length(kid))
		return MP_JWT_MALFORMED;
	if ((*key = find_key(ks, json_string_value(kid))) == NULL)
		return MP_JWT_UNKNOWN_KID;
	if ((*key)->alg != a)
		return MP_JWT_BAD_ALG;
	return MP_JWT_OK;
}

/* --- claims ------------------------------------------------------------ */

static int
policy_valid(const struct mp_jwt_policy *pol)
{
	return pol->issuer != NULL && pol->issuer[0] != '\0' &&
	       pol->audience != NULL && pol->audience[0] != '\0' &&
	       pol->leeway_s >= 0 && pol->leeway_s <= MP_JWT_MAX_LEEWAY_S &&
	       pol->max_lifetime_s >= 0;
}

/* No NUL, no C0 control, no DEL: these strings end up in logs and SQL
 * parameters; jansson has already guaranteed valid UTF-8. */
static int
text_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* RFC 6749 scope-token characters, tokens separated by spaces. */
static int
scope_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != ' ' && (c < 0x21 || c > 0x7e || c == '"' || c == '\\'))
			return 0;
	}
	return 1;
}

/*
 * Copy string claim `name` into dst[dstsz]. Absent: "" (or BAD_CLAIMS when
 * required). Wrong type, control characters or too long: BAD_CLAIMS.
 */
static int
claim_string(json_t *claims, const char *name, int required, char *dst,
             size_t dstsz)
{
	json_t *v = json_object_get(claims, name);
	size_t len;

	dst[0] = '\0';
	if (v == NULL)
		return required ? MP_JWT_BAD_CLAIMS : MP_JWT_OK;
	if (!json_is_string(v))
		return MP_JWT_BAD_CLAIMS;
	len = json_string_length(v);
	if (len >= dstsz || (required && len == 0) ||
	    !text_ok(json_string_value(v), len))
		return MP_JWT_BAD_CLAIMS;
	memcpy(dst, json_string_value(v), len + 1);
	return MP_JWT_OK;
}

/* NumericDate as a non-negative JSON integer. */
static int
claim_time(json_t *claims, const char *name, int required, int64_t *out,
           int *present)
{
	json_t *v = json_object_get(claims, name);

	*present = 0;
	*out = 0;
	if (v == NULL)
		return required ? MP_JWT_BAD_CLAIMS : MP_JWT_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return MP_JWT_BAD_CLAIMS;
	*out = (int64_t)json_integer_value(v);
	*present = 1;
	return MP_JWT_OK;
}

/* exp, iat and nbf against the clock, and exp - iat against the longest
 * lifetime the policy accepts: a token minted for centuries (exp 2^63-1)
 * would outlive every revocation record kept for it. */
static int
check_times(json_t *claims, int64_t now, const struct mp_jwt_policy *pol,
            struct mp_principal *p)
{
	int64_t nbf, max_life;
	int leeway = pol->leeway_s, present, rc;

	if ((rc = claim_time(claims, "exp", 1, &p->exp, &present)) != 0 ||
	    (rc = claim_time(claims, "iat", 1, &p->iat, &present)) != 0 ||
	    (rc = claim_time(claims, "nbf", 0, &nbf, &present)) != 0)
		return rc;
	/* Valid while now < exp + leeway; written to never overflow. */
	if (p->exp <= INT64_MAX - leeway && now >= p->exp + leeway)
		return MP_JWT_EXPIRED;
	if (present && nbf - leeway > now)
		return MP_JWT_NOT_YET_VALID;
	if (p->iat - leeway > now)
		return MP_JWT_NOT_YET_VALID;
	max_life = pol->max_lifetime_s > 0 ? pol->max_lifetime_s
	                                   : MP_JWT_DEFAULT_MAX_LIFETIME_S;
	/* both are non-negative: the difference cannot overflow */
	if (p->exp - p->iat > max_life)
		return MP_JWT_BAD_CLAIMS;
	return MP_JWT_OK;
}

static int
check_audience(json_t *claims, const char *audience)
{
	json_t *aud = json_object_get(claims, "aud"), *v;
	size_t i, want = strlen(audience);
	int found = 0;

	if (aud == NULL)
		return MP_JWT_BAD_AUDIENCE;
	if (json_is_string(aud))
		return json_string_length(aud) == want &&
		               memcmp(json_string_value(aud), audience, want) ==
		                   0
		           ? MP_JWT_OK
		           : MP_JWT_BAD_AUDIENCE;
	if (!json_is_array(aud) || json_array_size(aud) > MAX_AUD)
		return MP_JWT_BAD_CLAIMS;
	json_array_foreach(aud, i, v)
	{
		if (!json_is_string(v))
			return MP_JWT_BAD_CLAIMS;
		if (json_string_length(v) == want &&
		    memcmp(json_string_value(v), audience, want) == 0)
			found = 1;
	}
	return found ? MP_JWT_OK : MP_JWT_BAD_AUDIENCE;
}

static int
check_roles(json_t *claims, unsigned *roles)
{
	json_t *arr = json_object_get(claims, "roles"), *v;
	unsigned bit;
	size_t i;

	*roles = 0;
	if (arr == NULL)
		return MP_JWT_OK;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_ROLES)
		return MP_JWT_BAD_CLAIMS;
	json_array_foreach(arr, i, v)
	{
		/* An unknown role is an issuer/verifier mismatch: reject. */
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    mp_role_from_name(json_string_value(v), &bit) != 0)
			return MP_JWT_BAD_CLAIMS;
		*roles |= bit;
	}
	return MP_JWT_OK;
}

static int
check_claims(json_t *claims, const struct mp_jwt_policy *pol, int64_t now,
             struct mp_principal *p)
{
	json_t *iss;
	size_t want;
	int rc;

	if ((rc = check_times(claims, now, pol, p)) != MP_JWT_OK)
		return rc;

	iss = json_object_get(claims, "iss");
	want = strlen(pol->issuer);
	if (iss != NULL && !json_is_string(iss))
		return MP_JWT_BAD_CLAIMS;
	if (iss == NULL || json_string_length(iss) != want ||
	    memcmp(json_string_value(iss), pol->issuer, want) != 0)
		return MP_JWT_BAD_ISSUER;
	if ((rc = check_audience(claims, pol->audience)) != MP_JWT_OK)
		return rc;

	if ((rc = claim_string(claims, "sub", 1, p->subject,
	                       sizeof(p->subject))) != 0 ||
	    (rc = claim_string(claims, "region", 0, p->region,
	                       sizeof(p->region))) != 0 ||
	    (rc = claim_string(claims, "commune", 0, p->commune,
	                       sizeof(p->commune))) != 0 ||
	    (rc = claim_string(claims, "organisation", 0, p->organisation,
	                       sizeof(p->organisation))) != 0 ||
	    (rc = claim_string(claims, "scope", 0, p->scopes,
	                       sizeof(p->scopes))) != 0 ||
	    (rc = claim_string(claims, "jti", 1, p->jti, sizeof(p->jti))) !=
	        0 ||
	    (rc = claim_string(claims, "client_id", 0, p->client_id,
	                       sizeof(p->client_id))) != 0)
		return rc;
	if (json_object_get(claims, "region") != NULL &&
	    strcmp(p->region, MP_REGION_SOUSS_MASSA) != 0 &&
	    strcmp(p->region, MP_REGION_ORIENTAL) != 0)
		return MP_JWT_BAD_CLAIMS;
	if (!scope_ok(p->scopes, strlen(p->scopes)))
		return MP_JWT_BAD_CLAIMS;
	if ((rc = check_roles(claims, &p->roles)) != MP_JWT_OK)
		return rc;
	/* A commune-level role without its commune would read as
	 * region-wide in mp_authz_commune(): refuse such a token. */
	if ((p->roles & MP_ROLE_MUNICIPAL_AGENT) &&
	    (p->region[0] == '\0' || p->commune[0] == '\0'))
		return MP_JWT_BAD_CLAIMS;
	return MP_JWT_OK;
}

/* --- verification -------------------------------------------------------- */

int
mp_jwt_verify(const struct mp_jwt_keyset *ks, const struct mp_jwt_policy *pol,
              const char *token, size_t len, int64_t now,
              struct mp_principal *p)
{
	struct mp_principal tmp;
	struct segment seg[3];
	const struct mp_jwt_key *key = NULL;
	json_t *hdr = NULL, *claims = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	int64_t max;
	int rc;

	if (p != NULL)
		memset(p, 0, sizeof(*p));
	if (ks == NULL || pol == NULL || p == NULL || !policy_valid(pol))
		return MP_JWT_INTERNAL;
	if (token == NULL || len == 0)
		return MP_JWT_MALFORMED;
	max = pol->max_token_bytes > 0 ? pol->max_token_bytes
	                               : MP_JWT_DEFAULT_MAX_TOKEN_BYTES;
	if ((uint64_t)len > (uint64_t)max)
		return MP_JWT_TOO_LARGE;

	memset(&tmp, 0, sizeof(tmp));
	if ((rc = split_token(token, len, seg)) != MP_JWT_OK)
		goto cleanup;
	if ((rc = segment_json(&seg[0], &hdr)) != MP_JWT_OK)
		goto cleanup;
	if ((rc = check_header(ks, hdr, &key)) != MP_JWT_OK)
		goto cleanup;
	if ((rc = segment_json(&seg[1], &claims)) != MP_JWT_OK)
		goto cleanup;
	if (seg[2].len == 0) {
		rc = MP_JWT_BAD_SIGNATURE;
		goto cleanup;
	}
	if ((rc = b64url_decode(&seg[2], &sig, &sig_len)) != MP_JWT_OK)
		goto cleanup;
	if (sig_len != key->sig_len) {
		rc = MP_JWT_BAD_SIGNATURE;
		goto cleanup;
	}

	/* Crypto with the kid's own key, whose algorithm check_header pinned:
	 * never an algorithm chosen by the token. The signing input is the
	 * token up to the second dot. */
	if ((rc = verify_signature(key, token,
	                           (size_t)(seg[1].p - token) + seg[1].len, sig,
	                           sig_len)) != MP_JWT_OK)
		goto cleanup;

	if ((rc = check_claims(claims, pol, now, &tmp)) != MP_JWT_OK)
		goto cleanup;
	tmp.authenticated = 1;
	*p = tmp;
	rc = MP_JWT_OK;

cleanup:
	free(sig);
	json_decref(claims);
	json_decref(hdr);
	ERR_clear_error();
	return rc;
}

const char *
mp_jwt_strerror(int code)
{
	switch (code) {
	case MP_JWT_OK:
		return "ok";
	case MP_JWT_MALFORMED:
		return "malformed token";
	case MP_JWT_TOO_LARGE:
		return "token too large";
	case MP_JWT_BAD_ALG:
		return "token algorithm not accepted";
	case MP_JWT_UNKNOWN_KID:
		return "unknown signing key";
	case MP_JWT_BAD_SIGNATURE:
		return "invalid token signature";
	case MP_JWT_EXPIRED:
		return "token expired";
	case MP_JWT_NOT_YET_VALID:
		return "token not yet valid";
	case MP_JWT_BAD_ISSUER:
		return "token issuer not accepted";
	case MP_JWT_BAD_AUDIENCE:
		return "token audience not accepted";
	case MP_JWT_BAD_CLAIMS:
		return "invalid token claims";
	case MP_JWT_INTERNAL:
		return "internal error";
	default:
		return "unknown error";
	}
}

/* --- Authorization header ------------------------------------------------ */

static int
is_b64token_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == '+' || c == '/';
}

int
mp_jwt_bearer(const char *header, const char **tok, size_t *len)
{
	const char *s, *t, *e;

	if (tok == NULL || len == NULL)
		return -EINVAL;
	if (header == NULL)
		return -ENOENT;
	s = header;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return -ENOENT;
	if (strncasecmp(s, "Bearer", 6) != 0 || s[6] != ' ')
		return -EINVAL;
	s += 6;
	while (*s == ' ')
		s++;
	t = s;
	while (is_b64token_char((unsigned char)*s))
		s++;
	if (s == t)
		return -EINVAL;
	while (*s == '=')
		s++;
	e = s;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0')
		return -EINVAL;
	*tok = t;
	*len = (size_t)(e - t);
	return 0;
}

/* --- signing -------------------------------------------------------------- */

int
mp_jwt_sign(const char *alg, const char *kid, const char *private_pem,
            size_t pem_len, json_t *claims, char **out)
{
	jwt_t *jwt = NULL;
	char *grants = NULL, *enc;
	jwt_alg_t a;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (alg == NULL || kid == NULL || private_pem == NULL || out == NULL ||
	    pem_len == 0 || pem_len > MP_JWT_MAX_PEM_BYTES ||
	    !json_is_object(claims) || alg_from_name(alg, &a) != 0 ||
	    !kid_valid(kid, strlen(kid)))
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOMEM;
	if ((rc = private_key_fits(a, private_pem, pem_len)) != 0)
		return rc;

	if (jwt_new(&jwt) != 0)
		return -ENOMEM;
	/* libjwt copies the key and wipes its copy in jwt_free(). */
	if ((rc = jwt_set_alg(jwt, a, (const unsigned char *)private_pem,
	                      (int)pem_len)) != 0 ||
	    (rc = jwt_add_header(jwt, "kid", kid)) != 0) {
		rc = rc == ENOMEM ? -ENOMEM : -EINVAL;
		goto cleanup;
	}
	if ((grants = json_dumps(claims, JSON_COMPACT)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (jwt_add_grants_json(jwt, grants) != 0) {
		rc = -EINVAL;
		goto cleanup;
	}
	errno = 0;
	if ((enc = jwt_encode_str(jwt)) == NULL) {
		rc = errno == ENOMEM ? -ENOMEM : -EINVAL;
		goto cleanup;
	}
	*out = enc;
	rc = 0;

cleanup:
	free(grants);
	jwt_free(jwt);
	ERR_clear_error();
	return rc;
}
