/*
 * Gateway response cache: keys, Cache-Control, ETags, the stored format.
 *
 * Design note: a cache that serves region A's list to region B is a data
 * leak, so the key is built from everything an upstream's answer depends
 * on, and when in doubt a field goes in (a wider key only costs hit rate).
 * Inputs are hashed length-prefixed, so "a=b&c" can never be made to look
 * like another request by moving bytes between fields, and the Redis key
 * holds no client bytes. Invalidation is by generation: each key embeds the
 * per-service counter the gateway bumps on every event of that service.
 * Entries are stored in a small length-prefixed binary format rather than
 * JSON, because bodies are arbitrary bytes; the decoder trusts nothing it
 * reads back, as Redis is shared and may hold anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mp/principal.h"
#include "mp/util.h"

#include "edge/cache.h"
#include "edge/wire.h"

#define ENTRY_MAGIC "GWC\x01"
#define ENTRY_FIXED (4 + 2 + 2 + 1 + 2 + 1 + 4)

struct qpair {
	size_t name_off, name_len, val_off, val_len;
	int has_eq;
};

/*
 * A cache key's input, framed field by field as gw_hash_feed frames it.
 * Each cached answer used to cost a SHA-256 of it (0.6 us, as much as the
 * rest of the lookup): the input is kept whole while it fits, and the
 * process remembers the digests of recent inputs (gw_memo). An input
 * too long for the buffer is hashed as it comes, every time. The key is
 * the same either way.
 */
#define KEYFEED_MAX 4096

struct keyfeed {
	unsigned char buf[KEYFEED_MAX];
	size_t len;
	int streaming; /* outgrew buf: everything goes to st */
	crypto_hash_sha256_state st;
};

static struct gw_memo key_memo;

static void kf_feed(struct keyfeed *kf, unsigned char tag, const void *data,
                    size_t len);
static void kf_hex(struct keyfeed *kf,
                   char hex[2 * crypto_hash_sha256_BYTES + 1]);
static int sodium_ready(void);
static int sha256_hex(const void *data, size_t len, size_t hexlen, char *out,
                      size_t outlen);
static void feed_str(struct keyfeed *kf, unsigned char tag, const char *s,
                     size_t max);
static int pct_decode(const char *s, size_t len, unsigned char *out,
                      size_t *outlen);
static int qpair_cmp(const unsigned char *buf, const struct qpair *a,
                     const struct qpair *b);
static int query_feed(struct keyfeed *kf, const char *q);
static void principal_feed(struct keyfeed *kf, const struct mp_principal *p);
static int is_ows(char c);
static int is_tchar(unsigned char c);
static const char *skip_element(const char *p);
static void cc_apply(struct gw_cache_control *cc, const char *name, size_t nlen,
                     const char *val, size_t vlen, int valid);
static int etag_parse(const char **pp, const char **opaque, size_t *olen);

static int
sodium_ready(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

/* First hexlen (1..64) hex digits of SHA-256(data), NUL-terminated. */
static int
sha256_hex(const void *data, size_t len, size_t hexlen, char *out,
           size_t outlen)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	if (out == NULL || (data == NULL && len > 0) || hexlen == 0 ||
	    hexlen > 2 * crypto_hash_sha256_BYTES)
		return -EINVAL;
	if (outlen <= hexlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	if (sodium_ready() != 0)
		return -EIO;
	crypto_hash_sha256(h, (const unsigned char *)data,
	                   (unsigned long long)len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	memcpy(out, hex, hexlen);
	out[hexlen] = '\0';
	return 0;
}

static void
kf_feed(struct keyfeed *kf, unsigned char tag, const void *data, size_t len)
{
	if (!kf->streaming && kf->len + GW_FRAME_HDR + len > sizeof(kf->buf)) {
		crypto_hash_sha256_init(&kf->st);
		crypto_hash_sha256_update(&kf->st, kf->buf, kf->len);
		kf->streaming = 1;
	}
	if (kf->streaming) {
		gw_hash_feed(&kf->st, tag, data, len);
		return;
	}
	gw_frame_header(kf->buf + kf->len, tag, len);
	kf->len += GW_FRAME_HDR;
	if (len > 0)
		memcpy(kf->buf + kf->len, data, len);
	kf->len += len;
}

/* The hex digest of what was fed, from the memo when it has it. */
static void
kf_hex(struct keyfeed *kf, char hex[2 * crypto_hash_sha256_BYTES + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	const char *known;

	if (kf->streaming) {
		crypto_hash_sha256_final(&kf->st, h);
		sodium_bin2hex(hex, 2 * crypto_hash_sha256_BYTES + 1, h,
		               sizeof(h));
		return;
	}
	if ((known = gw_memo_find(&key_memo, kf->buf, kf->len)) != NULL) {
		memcpy(hex, known, 2 * crypto_hash_sha256_BYTES + 1);
		return;
	}
	crypto_hash_sha256(h, kf->buf, kf->len);
	sodium_bin2hex(hex, 2 * crypto_hash_sha256_BYTES + 1, h, sizeof(h));
	gw_memo_keep(&key_memo, kf->buf, kf->len, hex);
}

/* A string that may come from a hand-built principal: at most max bytes. */
static void
feed_str(struct keyfeed *kf, unsigned char tag, const char *s, size_t max)
{
	kf_feed(kf, tag, s, strnlen(s, max));
}

/* Decode form-urlencoded bytes ('+' is space); -EINVAL on a bad escape. */
static int
pct_decode(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			out[o++] = ' ';
		} else if (c == '%') {
			if (i + 2 >= len)
				return -EINVAL;
			hi = (unsigned char)s[i + 1];
			lo = (unsigned char)s[i + 2];
			hi = hi >= '0' && hi <= '9'   ? hi - '0'
			     : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10
			     : hi >= 'A' && hi <= 'F' ? hi - 'A' + 10
			                              : -1;
			lo = lo >= '0' && lo <= '9'   ? lo - '0'
			     : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10
			     : lo >= 'A' && lo <= 'F' ? lo - 'A' + 10
			                              : -1;
			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[o++] = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = c;
		}
	}
	*outlen = o;
	return 0;
}

static int
qpair_cmp(const unsigned char *buf, const struct qpair *a,
          const struct qpair *b)
{
	size_t n;
	int c;

	n = a->name_len < b->name_len ? a->name_len : b->name_len;
	if ((c = memcmp(buf + a->name_off, buf + b->name_off, n)) != 0)
		return c;
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	if (a->has_eq != b->has_eq)
		return a->has_eq - b->has_eq;
	n = a->val_len < b->val_len ? a->val_len : b->val_len;
	if ((c = memcmp(buf + a->val_off, buf + b->val_off, n)) != 0)
		return c;
	if (a->val_len != b->val_len)
		return a->val_len < b->val_len ? -1 : 1;
	return 0;
}

static int
query_feed(struct keyfeed *kf, const char *q)
{
	unsigned char buf[GW_CACHE_QUERY_MAX];
	struct qpair pairs[GW_CACHE_QUERY_PAIRS], t;
	const char *s, *e, *eq;
	size_t qlen, n = 0, used = 0, dl, i, j;
	unsigned char cnt[4];

	qlen = q == NULL ? 0 : strnlen(q, GW_CACHE_QUERY_MAX + 1);
	if (qlen > GW_CACHE_QUERY_MAX)
		return -E2BIG;
	for (s = q; qlen > 0 && s < q + qlen; s = e + 1) {
		e = memchr(s, '&', (size_t)(q + qlen - s));
		if (e == NULL)
			e = q + qlen;
		if (e == s)
			continue; /* empty pair */
		if (n == GW_CACHE_QUERY_PAIRS)
			return -E2BIG;
		eq = memchr(s, '=', (size_t)(e - s));
		pairs[n].has_eq = eq != NULL;
		if (eq == NULL)
			eq = e;
		/* decoded bytes never outnumber raw ones: buf cannot
		 * overflow, used + raw length <= qlen */
		pairs[n].name_off = used;
		if (pct_decode(s, (size_t)(eq - s), buf + used, &dl) != 0)
			return -EINVAL;
		pairs[n].name_len = dl;
		used += dl;
		pairs[n].val_off = used;
		pairs[n].val_len = 0;
		if (eq < e) {
			if (pct_decode(eq + 1, (size_t)(e - eq - 1), buf + used,
			               &dl) != 0)
				return -EINVAL;
			pairs[n].val_len = dl;
			used += dl;
		}
		n++;
	}
	/* insertion sort: n <= GW_CACHE_QUERY_PAIRS */
	for (i = 1; i < n; i++) {
		t = pairs[i];
		for (j = i; j > 0 && qpair_cmp(buf, &pairs[j - 1], &t) > 0; j--)
			pairs[j] = pairs[j - 1];
		pairs[j] = t;
	}
	cnt[0] = (unsigned char)(n >> 24);
	cnt[1] = (unsigned char)(n >> 16);
	cnt[2] = (unsigned char)(n >> 8);
	cnt[3] = (unsigned char)n;
	kf_feed(kf, 'Q', cnt, sizeof(cnt));
	for (i = 0; i < n; i++) {
		kf_feed(kf, 'n', buf + pairs[i].name_off, pairs[i].name_len);
		if (pairs[i].has_eq)
			kf_feed(kf, 'v', buf + pairs[i].val_off,
			        pairs[i].val_len);
	}
	return 0;
}

static void
principal_feed(struct keyfeed *kf, const struct mp_principal *p)
{
	const char *names[9], *t;
	unsigned char unknown[4];
	unsigned bit, rest;
	size_t n = 0, i, j;

	if (p == NULL || !p->authenticated) {
		kf_feed(kf, 'A', "anonymous", 9);
		return;
	}
	for (bit = 1; bit & MP_ROLE_ALL; bit <<= 1) {
		if ((p->roles & bit) != 0 && (t = mp_role_name(bit)) != NULL &&
		    n < sizeof(names) / sizeof(names[0]))
			names[n++] = t;
	}
	for (i = 1; i < n; i++) {
		t = names[i];
		for (j = i; j > 0 && strcmp(names[j - 1], t) > 0; j--)
			names[j] = names[j - 1];
		names[j] = t;
	}
	for (i = 0; i < n; i++)
		kf_feed(kf, 'r', names[i], strlen(names[i]));
	rest = p->roles & ~MP_ROLE_ALL;
	unknown[0] = (unsigned char)(rest >> 24);
	unknown[1] = (unsigned char)(rest >> 16);
	unknown[2] = (unsigned char)(rest >> 8);
	unknown[3] = (unsigned char)rest;
	kf_feed(kf, 'u', unknown, sizeof(unknown));
	feed_str(kf, 'g', p->region, sizeof(p->region));
	feed_str(kf, 'c', p->commune, sizeof(p->commune));
	feed_str(kf, 'o', p->organisation, sizeof(p->organisation));
	if ((p->roles & (MP_ROLE_APPLICANT | MP_ROLE_CLIENT)) != 0)
		feed_str(kf, 's', p->subject, sizeof(p->subject));
	if ((p->roles & MP_ROLE_CLIENT) != 0) {
		feed_str(kf, 'i', p->client_id, sizeof(p->client_id));
		feed_str(kf, 'p', p->scopes, sizeof(p->scopes));
	}
}

int
gw_cache_key(const struct gw_cache_req *r, char *out, size_t outlen)
{
	struct keyfeed kf;
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	const char *lang;
	struct gw_sb sb;
	int rc;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (r == NULL || out == NULL ||
	    !gw_name_valid(r->service, GW_SERVICE_MAX) || r->path == NULL ||
	    r->path[0] != '/')
		return -EINVAL;
	if (sodium_ready() != 0)
		return -EIO;
	kf.len = 0;
	kf.streaming = 0;
	kf_feed(&kf, 'V', "gw-cache-1", 10);
	kf_feed(&kf, 'P', r->path, strlen(r->path));
	if ((rc = query_feed(&kf, r->query)) != 0)
		return rc;
	lang = mp_lang_negotiate(r->accept_language);
	kf_feed(&kf, 'L', lang, strlen(lang));
	if (r->public_data)
		kf_feed(&kf, 'D', "public", 6);
	else
		principal_feed(&kf, r->principal);
	kf_hex(&kf, hex);
	gw_sb_init(&sb, out, outlen);
	gw_sb_mem(&sb, "gw:c:{", 6);
	gw_sb_str(&sb, r->service);
	gw_sb_mem(&sb, "}:", 2);
	gw_sb_u64(&sb, r->generation);
	gw_sb_mem(&sb, ":", 1);
	gw_sb_str(&sb, hex);
	return gw_sb_done(&sb);
}

int
gw_cache_gen_key(const char *service, char *out, size_t outlen)
{
	struct gw_sb sb;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (out == NULL || !gw_name_valid(service, GW_SERVICE_MAX))
		return -EINVAL;
	gw_sb_init(&sb, out, outlen);
	gw_sb_mem(&sb, "gw:gen:{", 8);
	gw_sb_str(&sb, service);
	gw_sb_mem(&sb, "}", 1);
	return gw_sb_done(&sb);
}

int
gw_cache_event_service(const char *type, char *out, size_t outlen)
{
	const char *s, *seg, *last = NULL;
	size_t nseg = 0, first_len = 0, len, i;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (type == NULL || out == NULL)
		return -EINVAL;
	len = strnlen(type, 256);
	if (len == 0 || len > 255)
		return -EINVAL;
	for (s = type;; s++) {
		seg = s;
		if (!(*s >= 'a' && *s <= 'z'))
			return -EINVAL;
		while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		       *s == '_')
			s++;
		if (nseg++ == 0)
			first_len = (size_t)(s - seg);
		last = seg;
		if (*s == '\0')
			break;
		if (*s != '.')
			return -EINVAL;
	}
	if (nseg < 4 || first_len > GW_SERVICE_MAX)
		return -EINVAL;
	/* last segment: "v" then 1..9 digits, no leading zero */
	if (last[0] != 'v' || last[1] < '1' || last[1] > '9')
		return -EINVAL;
	for (i = 1; last[i] != '\0'; i++) {
		if (last[i] < '0' || last[i] > '9' || i > 9)
			return -EINVAL;
	}
	if (first_len >= outlen)
		return -ENOSPC;
	memcpy(out, type, first_len);
	out[first_len] = '\0';
	return 0;
}

/* ---- Cache-Control ------------------------------------------------------ */

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Past the next "," that is outside a quoted string (or at the end). */
static const char *
skip_element(const char *p)
{
	int quoted = 0;

	for (; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			return p + 1;
	}
	return p;
}

/* valid: the value (if any) is well-formed; vlen 0 with val NULL: none. */
static void
cc_apply(struct gw_cache_control *cc, const char *name, size_t nlen,
         const char *val, size_t vlen, int valid)
{
	long long v = 0;
	size_t i;
	int *slot;

	if (nlen == 8 && strncasecmp(name, "no-store", 8) == 0) {
		cc->no_store = 1;
	} else if (nlen == 8 && strncasecmp(name, "no-cache", 8) == 0) {
		cc->no_cache = 1;
	} else if (nlen == 7 && strncasecmp(name, "private", 7) == 0) {
		cc->private = 1;
	} else if ((nlen == 7 && strncasecmp(name, "max-age", 7) == 0) ||
	           (nlen == 8 && strncasecmp(name, "s-maxage", 8) == 0)) {
		slot = nlen == 7 ? &cc->max_age : &cc->s_maxage;
		if (!valid || val == NULL || vlen == 0)
			v = 0;
		for (i = 0; valid && val != NULL && i < vlen; i++) {
			if (val[i] < '0' || val[i] > '9') {
				v = 0;
				break;
			}
			if (v <= INT32_MAX)
				v = v * 10 + (val[i] - '0');
		}
		if (v > INT32_MAX)
			v = INT32_MAX;
		if (*slot < 0 || v < *slot)
			*slot = (int)v;
	}
}

int
gw_cache_control_parse(const char *header, struct gw_cache_control *cc)
{
	const char *p, *name, *val;
	size_t nlen, vlen;
	int valid;

	if (cc == NULL)
		return -EINVAL;
	memset(cc, 0, sizeof(*cc));
	cc->max_age = cc->s_maxage = -1;
	if (header == NULL)
		return 0;
	p = header;
	while (*p != '\0') {
		while (is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			break;
		name = p;
		while (is_tchar((unsigned char)*p))
			p++;
		nlen = (size_t)(p - name);
		if (nlen == 0) {
			p = skip_element(p);
			continue;
		}
		while (is_ows(*p))
			p++;
		val = NULL;
		vlen = 0;
		valid = 1;
		if (*p == '=') {
			p++;
			while (is_ows(*p))
				p++;
			if (*p == '"') {
				val = ++p;
				/* digits only matter: an escape makes the value
				 * invalid, as it cannot be a number */
				while (*p != '\0' && *p != '"') {
					if (*p == '\\') {
						valid = 0;
						if (p[1] != '\0')
							p++;
					}
					p++;
				}
				vlen = (size_t)(p - val);
				if (*p == '"')
					p++;
				else
					valid = 0; /* unterminated */
			} else {
				val = p;
				while (is_tchar((unsigned char)*p))
					p++;
				vlen = (size_t)(p - val);
				if (vlen == 0)
					valid = 0;
			}
			while (is_ows(*p))
				p++;
		}
		if (*p != ',' && *p != '\0') {
			valid = 0;
			p = skip_element(p);
		}
		/* a known directive counts even when malformed, with an
		 * invalid value: the conservative reading */
		cc_apply(cc, name, nlen, val, vlen, valid);
	}
	return 0;
}

int
gw_cache_request_mode(const struct gw_cache_control *cc, int *use_stored,
                      int *may_store)
{
	if (use_stored == NULL || may_store == NULL)
		return -EINVAL;
	*use_stored = *may_store = 1;
	if (cc == NULL)
		return 0;
	if (cc->no_cache || cc->no_store || cc->max_age == 0)
		*use_stored = 0;
	if (cc->no_store)
		*may_store = 0;
	return 0;
}

int
gw_cache_response_ttl(int status, int route_ttl_s,
                      const struct gw_cache_control *cc, int *ttl_s)
{
	int t;

	if (ttl_s == NULL || route_ttl_s < 0)
		return -EINVAL;
	*ttl_s = 0;
	switch (status) {
	case 200:
	case 203:
	case 204:
	case 300:
	case 301:
	case 308:
	case 404:
	case 410:
		break;
	default:
		return 0;
	}
	t = route_ttl_s;
	if (cc != NULL) {
		if (cc->no_store || cc->private || cc->no_cache)
			return 0;
		if (cc->s_maxage >= 0) {
			if (cc->s_maxage < t)
				t = cc->s_maxage;
		} else if (cc->max_age >= 0 && cc->max_age < t) {
			t = cc->max_age;
		}
	}
	*ttl_s = t;
	return 0;
}

/* ---- ETags -------------------------------------------------------------- */

int
gw_etag(const void *body, size_t len, char *out, size_t outlen)
{
	char hex[33];
	int rc;

	if (out == NULL || (body == NULL && len > 0))
		return -EINVAL;
	if (outlen < GW_ETAG_LEN) {
		if (outlen > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	if ((rc = sha256_hex(body, len, 32, hex, sizeof(hex))) != 0)
		return rc;
	out[0] = '"';
	memcpy(out + 1, hex, 32);
	out[33] = '"';
	out[34] = '\0';
	return 0;
}

/*
 * entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E /
 * obs-text. Advances *pp past it; returns 0 or -EINVAL.
 */
static int
etag_parse(const char **pp, const char **opaque, size_t *olen)
{
	const char *p = *pp, *s;

	if (p[0] == 'W' && p[1] == '/')
		p += 2;
	if (*p != '"')
		return -EINVAL;
	s = ++p;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;

		if (!(c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80))
			return -EINVAL; /* also NUL: unterminated */
		p++;
	}
	*opaque = s;
	*olen = (size_t)(p - s);
	*pp = p + 1;
	return 0;
}

int
gw_etag_match(const char *inm, const char *etag)
{
	const char *p, *mine, *theirs;
	size_t mlen, tlen;
	int matched = 0;

	if (inm == NULL || etag == NULL)
		return 0;
	p = etag;
	if (etag_parse(&p, &mine, &mlen) != 0 || *p != '\0')
		return 0;
	p = inm;
	while (is_ows(*p))
		p++;
	if (*p == '*') {
		p++;
		while (is_ows(*p))
			p++;
		return *p == '\0';
	}
	while (*p != '\0') {
		while (is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (etag_parse(&p, &theirs, &tlen) != 0)
			return 0;
		if (tlen == mlen && memcmp(theirs, mine, mlen) == 0)
			matched = 1;
		while (is_ows(*p))
			p++;
		if (*p != ',' && *p != '\0')
			return 0;
	}
	return matched;
}

/* ---- stored entries ----------------------------------------------------- */

int
gw_cache_entry_encode(const struct gw_cache_entry *e, unsigned char *out,
                      size_t outlen, size_t *len)
{
	const char *ct, *et;
	size_t ctl, etl, need;

	if (e == NULL || len == NULL || (out == NULL && outlen > 0))
		return -EINVAL;
	ct = e->content_type != NULL ? e->content_type : "";
	et = e->etag != NULL ? e->etag : "";
	ctl = strnlen(ct, GW_CACHE_HDR_MAX + 1);
	etl = strnlen(et, GW_CACHE_HDR_MAX + 1);
	if (e->status < 100 || e->status > 599 || ctl > GW_CACHE_HDR_MAX ||
	    etl > GW_CACHE_HDR_MAX || !gw_hdr_text_ok(ct, ctl) ||
	    !gw_hdr_text_ok(et, etl) || e->body_len > GW_CACHE_BODY_MAX ||
	    (e->body == NULL && e->body_len > 0))
		return -EINVAL;
	need = ENTRY_FIXED + ctl + etl + e->body_len;
	*len = need;
	if (outlen < need)
		return -ENOSPC;
	memcpy(out, ENTRY_MAGIC, 4);
	(void)gw_put_answer(out + 4, e->status, ct, ctl, et, etl, e->body,
	                    e->body_len);
	return 0;
}

int
gw_cache_entry_decode(const void *buf, size_t len, struct gw_cache_entry *e)
{
	struct gw_cache_entry t;
	struct gw_rd r;
	uint64_t status, blen;

	if (buf == NULL || e == NULL || len < ENTRY_FIXED)
		return -EINVAL;
	r.p = (const unsigned char *)buf;
	r.left = len;
	if (memcmp(r.p, ENTRY_MAGIC, 4) != 0)
		return -EINVAL;
	r.p += 4;
	r.left -= 4;
	if (gw_rd_be(&r, 2, &status) != 0 || status < 100 || status > 599 ||
	    gw_rd_text(&r, GW_CACHE_HDR_MAX, &t.content_type) != 0 ||
	    gw_rd_text(&r, GW_CACHE_HDR_MAX, &t.etag) != 0 ||
	    gw_rd_be(&r, 4, &blen) != 0 || blen > GW_CACHE_BODY_MAX ||
	    r.left != blen)
		return -EINVAL;
	t.status = (int)status;
	t.body = blen > 0 ? r.p : NULL;
	t.body_len = (size_t)blen;
	*e = t;
	return 0;
}

int
gw_cache_value_encode(uint64_t generation, const struct gw_cache_entry *e,
                      unsigned char *out, size_t outlen, size_t *len)
{
	char pre[24];
	size_t elen = 0;
	int n, rc;

	if (len == NULL || (out == NULL && outlen > 0))
		return -EINVAL;
	n = snprintf(pre, sizeof(pre), "%" PRIu64 " ", generation);
	rc = gw_cache_entry_encode(e, NULL, 0, &elen);
	if (rc != -ENOSPC && rc != 0)
		return rc;
	*len = (size_t)n + elen;
	if (outlen < *len)
		return -ENOSPC;
	memcpy(out, pre, (size_t)n);
	return gw_cache_entry_encode(e, out + n, outlen - (size_t)n, &elen);
}

int
gw_cache_value_decode(const void *buf, size_t len, uint64_t *generation,
                      struct gw_cache_entry *e)
{
	const unsigned char *p = buf;
	uint64_t g = 0;
	size_t i;

	if (buf == NULL || generation == NULL || e == NULL)
		return -EINVAL;
	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (i == 20 || (i == 1 && p[0] == '0') ||
		    g > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return -EINVAL;
		g = g * 10 + (uint64_t)(p[i] - '0');
	}
	if (i == 0 || i >= len || p[i] != ' ' ||
	    gw_cache_entry_decode(p + i + 1, len - i - 1, e) != 0)
		return -EINVAL;
	*generation = g;
	return 0;
}
