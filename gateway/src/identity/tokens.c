/*
 * The pure rules of the gateway's token service (contract in
 * tokens.h). Kept free of Kore so Check tests them directly.
 *
 * The parsers here read client bytes on an unauthenticated endpoint, so
 * they are strict rather than forgiving: anything ambiguous (a parameter
 * given twice, a broken escape, a control character) is refused, because a
 * lenient parser is where two components start disagreeing about what a
 * request said. Secrets only ever live in buffers this file wipes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mp/principal.h"
#include "mp/util.h"

#include "identity/tokens.h"

static int url_decode(const char *in, size_t len, char *out, size_t *outlen);
static int random_token(const char *prefix, char *out, size_t outsize);
static int id_syntax(const char *s);
static int scope_has(const char *list, const char *tok, size_t len);

/* Decode in[0..len) ('+' -> ' ', %XX) into out, NUL-terminated. The
 * decoded text must not contain control characters (so no NUL either). */
static int
url_decode(const char *in, size_t len, char *out, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= len)
				return -EINVAL;
			hi = mp_hex_value((unsigned char)in[i + 1]);
			lo = mp_hex_value((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

int
gw_tok_form_parse(const char *body, size_t len, struct gw_tok_form *f)
{
	const char *p, *end, *amp, *eq;
	size_t i, o = 0, dl;
	int rc;

	memset(f, 0, sizeof(*f));
	if (body == NULL || len == 0)
		return -EINVAL;
	if (len > GW_FORM_MAX_BYTES)
		return -E2BIG;
	for (i = 0; i < len; i++)
		if ((unsigned char)body[i] < 0x21 ||
		    (unsigned char)body[i] > 0x7e)
			return -EINVAL;
	/* decoded text is never longer than its source; +1 NUL per pair */
	f->cap = len + GW_FORM_MAX_PARAMS + 1;
	if ((f->buf = malloc(f->cap)) == NULL)
		return -ENOMEM;
	p = body;
	end = body + len;
	while (p <= end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		rc = -EINVAL;
		if (eq == NULL || eq == p || f->n >= GW_FORM_MAX_PARAMS)
			goto fail;
		f->names[f->n] = f->buf + o;
		if ((rc = url_decode(p, (size_t)(eq - p), f->buf + o, &dl)) !=
		    0)
			goto fail;
		if (dl == 0 || gw_tok_form_get(f, f->names[f->n]) != NULL) {
			rc = -EINVAL; /* empty name, or given twice */
			goto fail;
		}
		o += dl + 1;
		f->values[f->n] = f->buf + o;
		if ((rc = url_decode(eq + 1, (size_t)(amp - eq - 1), f->buf + o,
		                     &dl)) != 0)
			goto fail;
		o += dl + 1;
		f->n++;
		if (amp == end)
			break;
		p = amp + 1;
		if (p == end) {
			rc = -EINVAL; /* trailing '&' */
			goto fail;
		}
	}
	return 0;
fail:
	gw_tok_form_free(f);
	return rc;
}

const char *
gw_tok_form_get(const struct gw_tok_form *f, const char *name)
{
	size_t i;

	for (i = 0; f != NULL && i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

void
gw_tok_form_free(struct gw_tok_form *f)
{
	if (f == NULL)
		return;
	if (f->buf != NULL) {
		sodium_memzero(f->buf, f->cap);
		free(f->buf);
	}
	memset(f, 0, sizeof(*f));
}

int
gw_tok_basic_parse(const char *header, char *id, size_t idlen, char *secret,
                   size_t secretlen)
{
	unsigned char raw[512];
	char dec[512];
	size_t rawlen = 0, hlen, dl;
	const char *b64, *bend;
	char *colon;
	int rc = -EINVAL;

	if (idlen > 0)
		id[0] = '\0';
	if (secretlen > 0)
		secret[0] = '\0';
	if (header == NULL)
		return -ENOENT;
	while (*header == ' ' || *header == '\t')
		header++;
	if (strncasecmp(header, "basic", 5) != 0 ||
	    (header[5] != ' ' && header[5] != '\t'))
		return -ENOENT;
	b64 = header + 6;
	while (*b64 == ' ' || *b64 == '\t')
		b64++;
	bend = b64 + strlen(b64);
	while (bend > b64 && (bend[-1] == ' ' || bend[-1] == '\t'))
		bend--;
	hlen = (size_t)(bend - b64);
	if (hlen == 0 || hlen >= sizeof(raw) * 4 / 3)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	if (sodium_base642bin(raw, sizeof(raw) - 1, b64, hlen, NULL, &rawlen,
	                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		goto cleanup;
	raw[rawlen] = '\0';
	if (memchr(raw, '\0', rawlen) != NULL ||
	    (colon = strchr((char *)raw, ':')) == NULL || colon == (char *)raw)
		goto cleanup;
	*colon = '\0';
	if (url_decode((char *)raw, strlen((char *)raw), dec, &dl) != 0 ||
	    dl == 0)
		goto cleanup;
	if (dl >= idlen) {
		rc = -ENAMETOOLONG;
		goto cleanup;
	}
	memcpy(id, dec, dl + 1);
	if (url_decode(colon + 1, strlen(colon + 1), dec, &dl) != 0)
		goto cleanup;
	if (dl >= secretlen) {
		rc = -ENAMETOOLONG;
		goto cleanup;
	}
	memcpy(secret, dec, dl + 1);
	rc = 0;
cleanup:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(dec, sizeof(dec));
	if (rc != 0) {
		if (idlen > 0)
			sodium_memzero(id, idlen);
		if (secretlen > 0)
			sodium_memzero(secret, secretlen);
	}
	return rc;
}

/* prefix + base64url(32 random bytes) without padding. */
static int
random_token(const char *prefix, char *out, size_t outsize)
{
	unsigned char rnd[32];
	size_t plen = strlen(prefix);

	out[0] = '\0';
	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(out, prefix, plen);
	sodium_bin2base64(out + plen, outsize - plen, rnd, sizeof(rnd),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	return 0;
}

int
gw_tok_refresh_new(char out[GW_REFRESH_STRLEN + 1])
{
	return random_token(GW_REFRESH_PREFIX, out, GW_REFRESH_STRLEN + 1);
}

int
gw_tok_secret_new(char out[GW_SECRET_STRLEN + 1])
{
	return random_token(GW_SECRET_PREFIX, out, GW_SECRET_STRLEN + 1);
}

int
gw_tok_refresh_valid(const char *s)
{
	size_t i, plen = strlen(GW_REFRESH_PREFIX);

	if (s == NULL || strlen(s) != GW_REFRESH_STRLEN ||
	    strncmp(s, GW_REFRESH_PREFIX, plen) != 0)
		return 0;
	for (i = plen; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int
gw_tok_sha256_hex(const char *s, size_t len, char out[GW_SHA256_HEXLEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	out[0] = '\0';
	if (sodium_init() < 0)
		return -EIO;
	crypto_hash_sha256(h, (const unsigned char *)s, len);
	sodium_bin2hex(out, GW_SHA256_HEXLEN + 1, h, sizeof(h));
	return 0;
}

int
gw_tok_lockout_seconds(int failures)
{
	int over, s = GW_LOCK_BASE_S;

	if (failures < GW_LOCK_THRESHOLD)
		return 0;
	over = failures - GW_LOCK_THRESHOLD;
	while (over-- > 0 && s < GW_LOCK_CAP_S)
		s *= 2;
	return s > GW_LOCK_CAP_S ? GW_LOCK_CAP_S : s;
}

int
gw_tok_scope_token_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0 || len > GW_SCOPE_TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == ':' || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* 1 if the valid list contains s[0..len) as a whole token. */
static int
scope_has(const char *list, const char *tok, size_t len)
{
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == len && memcmp(p, tok, len) == 0)
			return 1;
		p = *e == ' ' ? e + 1 : e;
	}
	return 0;
}

int
gw_tok_scope_list_valid(const char *s)
{
	const char *p, *e;
	size_t n = 0;

	if (s == NULL || strlen(s) >= GW_SCOPE_MAX)
		return 0;
	for (p = s; *p != '\0'; p = *e == ' ' ? e + 1 : e) {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (!gw_tok_scope_token_valid(p, (size_t)(e - p)) ||
		    ++n > GW_SCOPES_MAX)
			return 0;
		if (*e == ' ' && e[1] == '\0')
			return 0; /* trailing space */
		/* duplicates: the same token earlier in the list */
		if (p > s) {
			char prefix[GW_SCOPE_MAX];
			size_t plen = (size_t)(p - s) - 1;

			memcpy(prefix, s, plen);
			prefix[plen] = '\0';
			if (scope_has(prefix, p, (size_t)(e - p)))
				return 0;
		}
	}
	return 1;
}

int
gw_tok_scope_intersect(const char *granted, const char *requested, char *out,
                       size_t outlen)
{
	const char *p, *e;
	size_t o = 0, len;

	if (outlen == 0)
		return -ENOSPC;
	out[0] = '\0';
	if (!gw_tok_scope_list_valid(granted) ||
	    (requested != NULL && !gw_tok_scope_list_valid(requested)))
		return -EINVAL;
	if (requested == NULL) {
		if (strlen(granted) >= outlen)
			return -ENOSPC;
		memcpy(out, granted, strlen(granted) + 1);
		return 0;
	}
	for (p = requested; *p != '\0'; p = *e == ' ' ? e + 1 : e) {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (!scope_has(granted, p, len))
			continue;
		if (o + (o > 0) + len >= outlen) {
			out[0] = '\0';
			return -ENOSPC;
		}
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, p, len);
		o += len;
		out[o] = '\0';
	}
	if (o == 0 && *requested != '\0')
		return -ENOENT;
	return 0;
}

/* ^[a-z0-9][a-z0-9._-]{2,63}$ */
static int
id_syntax(const char *s)
{
	size_t i, len;

	if (s == NULL)
		return 0;
	len = strlen(s);
	if (len < 3 || len > 64)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

int
gw_tok_username_normalise(const char *in, char *out, size_t outlen)
{
	size_t i, len;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	if (in == NULL || (len = strlen(in)) >= outlen)
		return 0;
	for (i = 0; i <= len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z')
		             ? (char)(in[i] - 'A' + 'a')
		             : in[i];
	if (!id_syntax(out)) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}

int
gw_tok_client_id_valid(const char *s)
{
	return id_syntax(s);
}

const char *
gw_tok_roles_check(unsigned roles, const char *region, const char *commune,
                   const char **field)
{
	int has_region = region != NULL && *region != '\0';
	int has_commune = commune != NULL && *commune != '\0';

	*field = "roles";
	if ((roles & MP_ROLE_ALL) == 0 || (roles & ~MP_ROLE_ALL) != 0)
		return "at least one known role is required";
	if (roles & MP_ROLE_CLIENT)
		return "client is the role of API clients, not of users";
	if ((roles & ~(unsigned)(MP_ROLE_ADMIN | MP_ROLE_GENDER_ANALYST)) &&
	    !has_region) {
		*field = "region";
		return "these roles act within a region: region is required";
	}
	if ((roles & MP_ROLE_MUNICIPAL_AGENT) && !has_commune) {
		*field = "commune";
		return "a municipal agent is bound to a commune: commune is "
		       "required";
	}
	*field = NULL;
	return NULL;
}

int
gw_tok_claims_build(const struct gw_tok_claims_in *in, json_t **out)
{
	json_t *c = NULL, *roles = NULL;
	const char *name;
	unsigned bit;
	int rc = -ENOMEM;

	*out = NULL;
	if (in->issuer == NULL || *in->issuer == '\0' || in->audience == NULL ||
	    *in->audience == '\0' || in->subject == NULL ||
	    *in->subject == '\0' || in->jti == NULL || *in->jti == '\0' ||
	    in->ttl_s <= 0 || (in->roles & ~MP_ROLE_ALL) != 0)
		return -EINVAL;
	if ((c = json_object()) == NULL || (roles = json_array()) == NULL)
		goto fail;
	for (bit = 1; bit <= MP_ROLE_ALL; bit <<= 1) {
		if (!(in->roles & bit))
			continue;
		if ((name = mp_role_name(bit)) == NULL) {
			rc = -EINVAL;
			goto fail;
		}
		if (json_array_append_new(roles, json_string(name)) != 0)
			goto fail;
	}
	if (json_object_set_new(c, "iss", json_string(in->issuer)) != 0 ||
	    json_object_set_new(c, "aud", json_string(in->audience)) != 0 ||
	    json_object_set_new(c, "sub", json_string(in->subject)) != 0 ||
	    json_object_set(c, "roles", roles) != 0 ||
	    json_object_set_new(c, "jti", json_string(in->jti)) != 0 ||
	    json_object_set_new(c, "iat", json_integer(in->iat)) != 0 ||
	    json_object_set_new(c, "exp", json_integer(in->iat + in->ttl_s)) !=
	        0)
		goto fail;
	if (in->region != NULL && *in->region != '\0' &&
	    json_object_set_new(c, "region", json_string(in->region)) != 0)
		goto fail;
	if (in->commune != NULL && *in->commune != '\0' &&
	    json_object_set_new(c, "commune", json_string(in->commune)) != 0)
		goto fail;
	if (in->organisation != NULL && *in->organisation != '\0' &&
	    json_object_set_new(c, "organisation",
	                        json_string(in->organisation)) != 0)
		goto fail;
	if (in->scope != NULL &&
	    json_object_set_new(c, "scope", json_string(in->scope)) != 0)
		goto fail;
	if (in->client_id != NULL && *in->client_id != '\0' &&
	    json_object_set_new(c, "client_id", json_string(in->client_id)) !=
	        0)
		goto fail;
	json_decref(roles);
	*out = c;
	return 0;
fail:
	json_decref(roles);
	json_decref(c);
	return rc;
}
