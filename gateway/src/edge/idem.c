/*
 * Gateway idempotency keys (draft-ietf-httpapi-idempotency-key-header).
 *
 * Design note: a retried POST must not create a second application, so the
 * gateway remembers, per principal and key, either that a request is in
 * flight (IN_PROGRESS, a short-lived claim taken with SET NX) or the answer
 * it got (DONE). What makes a retry "the same request" is a fingerprint of
 * method, target, principal and body; reusing a key for anything else is
 * the client's bug and is refused (422) rather than silently replayed.
 * Only answers that a retry could not change are kept: a 5xx or a "try
 * later" refusal is forgotten so the client can retry with the same key.
 * Records are a strict length-prefixed binary format because they hold
 * arbitrary bodies, and the decoder trusts nothing it reads from Redis.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "edge/cache.h"
#include "edge/idem.h"
#include "edge/wire.h"

#define REC_MAGIC "GWI\x01"
#define REC_FIXED (4 + 1 + GW_IDEM_FP_LEN + 8)
#define REC_DONE_FIXED (2 + 2 + 1 + 2 + 1 + 4)

static int fp_valid(const char *fp);

/* 64 lowercase hex digits, then NUL. */
static int
fp_valid(const char *fp)
{
	size_t i;

	if (fp == NULL)
		return 0;
	for (i = 0; i < GW_IDEM_FP_LEN; i++) {
		if (!((fp[i] >= '0' && fp[i] <= '9') ||
		      (fp[i] >= 'a' && fp[i] <= 'f')))
			return 0;
	}
	return fp[GW_IDEM_FP_LEN] == '\0';
}

int
gw_idem_key_parse(const char *header, char *out, size_t outlen)
{
	const char *b, *t, *p;
	size_t n = 0;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (header == NULL || out == NULL)
		return -EINVAL;
	for (b = header; *b == ' ' || *b == '\t'; b++)
		;
	for (t = b + strlen(b); t > b && (t[-1] == ' ' || t[-1] == '\t'); t--)
		;
	if (t == b)
		return -EINVAL;
	if (*b == '"') {
		/* sf-string: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) )
		 * DQUOTE, and the key must be visible ASCII (no space) */
		if (t - b < 2 || t[-1] != '"')
			return -EINVAL;
		for (p = b + 1; p < t - 1; p++) {
			char c = *p;

			if (c == '\\') {
				if (p + 1 >= t - 1 ||
				    (p[1] != '"' && p[1] != '\\'))
					goto invalid;
				c = *++p;
			} else if (c == '"' || c < 0x21 || c > 0x7e) {
				goto invalid;
			}
			if (n >= GW_IDEM_KEY_MAX)
				goto invalid;
			if (n + 1 >= outlen) {
				if (outlen > 0)
					out[0] = '\0';
				return -ENOSPC;
			}
			out[n++] = c;
		}
	} else {
		for (p = b; p < t; p++) {
			if (*p < 0x21 || *p > 0x7e || *p == '"' ||
			    n >= GW_IDEM_KEY_MAX)
				return -EINVAL;
			n++;
		}
		if (n >= outlen)
			return -ENOSPC;
		memcpy(out, b, n);
	}
	if (n == 0)
		goto invalid;
	out[n] = '\0';
	return 0;

invalid:
	if (outlen > 0)
		out[0] = '\0';
	return -EINVAL;
}

int
gw_idem_redis_key(const char *subject, const char *key, char *out,
                  size_t outlen)
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	int n;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (out == NULL || key == NULL || key[0] == '\0')
		return -EINVAL;
	if (subject == NULL)
		subject = "";
	if (sodium_init() < 0)
		return -EIO;
	crypto_hash_sha256_init(&st);
	gw_hash_feed(&st, 'V', "gw-idem-1", 9);
	gw_hash_feed(&st, 's', subject, strlen(subject));
	gw_hash_feed(&st, 'k', key, strlen(key));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	n = snprintf(out, outlen, "gw:idem:{%s}", hex);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

int
gw_idem_fingerprint(unsigned method, const char *target, const char *subject,
                    const void *body, size_t len, char out[GW_IDEM_FP_LEN + 1])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES], m[4];

	if (out == NULL)
		return -EINVAL;
	out[0] = '\0';
	if (method == 0 || (method & (method - 1)) != 0 ||
	    (method & GW_M_ALL) == 0 || target == NULL ||
	    (body == NULL && len > 0))
		return -EINVAL;
	if (subject == NULL)
		subject = "";
	if (sodium_init() < 0)
		return -EIO;
	gw_put_be(m, method, 4);
	crypto_hash_sha256_init(&st);
	gw_hash_feed(&st, 'V', "gw-idem-fp-1", 12);
	gw_hash_feed(&st, 'm', m, sizeof(m));
	gw_hash_feed(&st, 't', target, strlen(target));
	gw_hash_feed(&st, 's', subject, strlen(subject));
	gw_hash_feed(&st, 'b', body, len);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, GW_IDEM_FP_LEN + 1, h, sizeof(h));
	return 0;
}

int
gw_idem_record_encode(const struct gw_idem_record *r, unsigned char *out,
                      size_t outlen, size_t *len)
{
	const char *ct = "", *loc = "";
	size_t ctl = 0, locl = 0, need;

	if (r == NULL || len == NULL || (out == NULL && outlen > 0) ||
	    (r->state != GW_IDEM_IN_PROGRESS && r->state != GW_IDEM_DONE) ||
	    !fp_valid(r->fingerprint) || r->started_ms < 0)
		return -EINVAL;
	need = REC_FIXED;
	if (r->state == GW_IDEM_DONE) {
		if (r->content_type != NULL)
			ct = r->content_type;
		if (r->location != NULL)
			loc = r->location;
		ctl = strnlen(ct, GW_CACHE_HDR_MAX + 1);
		locl = strnlen(loc, GW_IDEM_LOCATION_MAX + 1);
		if (r->status < 100 || r->status > 599 ||
		    ctl > GW_CACHE_HDR_MAX || locl > GW_IDEM_LOCATION_MAX ||
		    !gw_hdr_text_ok(ct, ctl) || !gw_hdr_text_ok(loc, locl) ||
		    r->body_len > GW_IDEM_BODY_MAX ||
		    (r->body == NULL && r->body_len > 0))
			return -EINVAL;
		need += REC_DONE_FIXED + ctl + locl + r->body_len;
	}
	*len = need;
	if (outlen < need)
		return -ENOSPC;
	memcpy(out, REC_MAGIC, 4);
	out[4] = (unsigned char)r->state;
	memcpy(out + 5, r->fingerprint, GW_IDEM_FP_LEN);
	gw_put_be(out + 5 + GW_IDEM_FP_LEN, (uint64_t)r->started_ms, 8);
	if (r->state != GW_IDEM_DONE)
		return 0;
	(void)gw_put_answer(out + REC_FIXED, r->status, ct, ctl, loc, locl,
	                    r->body, r->body_len);
	return 0;
}

int
gw_idem_record_decode(const void *buf, size_t len, struct gw_idem_record *r)
{
	struct gw_idem_record t;
	struct gw_rd rd;
	uint64_t v, blen;

	if (buf == NULL || r == NULL || len < REC_FIXED)
		return -EINVAL;
	rd.p = (const unsigned char *)buf;
	rd.left = len;
	if (memcmp(rd.p, REC_MAGIC, 4) != 0)
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	if (rd.p[4] != GW_IDEM_IN_PROGRESS && rd.p[4] != GW_IDEM_DONE)
		return -EINVAL;
	t.state = (enum gw_idem_state)rd.p[4];
	memcpy(t.fingerprint, rd.p + 5, GW_IDEM_FP_LEN);
	t.fingerprint[GW_IDEM_FP_LEN] = '\0';
	if (!fp_valid(t.fingerprint))
		return -EINVAL;
	rd.p += 5 + GW_IDEM_FP_LEN;
	rd.left -= 5 + GW_IDEM_FP_LEN;
	if (gw_rd_be(&rd, 8, &v) != 0 || v > (uint64_t)INT64_MAX)
		return -EINVAL;
	t.started_ms = (int64_t)v;
	t.content_type = "";
	t.location = "";
	if (t.state == GW_IDEM_IN_PROGRESS) {
		if (rd.left != 0)
			return -EINVAL;
		*r = t;
		return 0;
	}
	if (gw_rd_be(&rd, 2, &v) != 0 || v < 100 || v > 599 ||
	    gw_rd_text(&rd, GW_CACHE_HDR_MAX, &t.content_type) != 0 ||
	    gw_rd_text(&rd, GW_IDEM_LOCATION_MAX, &t.location) != 0 ||
	    gw_rd_be(&rd, 4, &blen) != 0 || blen > GW_IDEM_BODY_MAX ||
	    rd.left != blen)
		return -EINVAL;
	t.status = (int)v;
	t.body = blen > 0 ? rd.p : NULL;
	t.body_len = (size_t)blen;
	*r = t;
	return 0;
}

int
gw_idem_decide(const struct gw_idem_record *stored, const char *fp,
               enum gw_idem_action *action)
{
	if (action == NULL || !fp_valid(fp))
		return -EINVAL;
	if (stored == NULL) {
		*action = GW_IDEM_PROCEED;
		return 0;
	}
	if (stored->state != GW_IDEM_IN_PROGRESS &&
	    stored->state != GW_IDEM_DONE)
		return -EINVAL;
	if (memcmp(stored->fingerprint, fp, GW_IDEM_FP_LEN + 1) != 0)
		*action = GW_IDEM_MISMATCH;
	else if (stored->state == GW_IDEM_DONE)
		*action = GW_IDEM_REPLAY;
	else
		*action = GW_IDEM_CONFLICT;
	return 0;
}

int
gw_idem_storable(int status)
{
	if (status < 200 || status > 499)
		return 0;
	return status != 408 && status != 425 && status != 429;
}

int
gw_idem_applies(unsigned method)
{
	return method == GW_M_POST || method == GW_M_PATCH;
}
