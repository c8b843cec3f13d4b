/*
 * Gateway rate limits: fixed-window counters.
 *
 * Design note: a fixed window is one INCR and one EXPIRE per request on a
 * key that names the window, so every gateway replica shares the count
 * through Redis and nothing has to be cleaned up (keys expire with their
 * window). Its known weakness, up to twice the limit across a window edge,
 * is acceptable for abuse protection and keeps the Redis work O(1). The
 * identity in the key is hashed so Redis never holds an IP address or a
 * user id in clear. Everything here is arithmetic on int64 values whose
 * ranges are checked first, so no expression can overflow.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mp/principal.h"

#include "edge/ratelimit.h"
#include "edge/wire.h"

#define NAME_MAX_LEN 32

static const char *const class_names[GW_RC_COUNT] = {"default", "auth",
                                                     "write"};

static const struct gw_rate_policy builtin[GW_RC_COUNT] = {
    {"default", 300, 60},
    {"auth", 10, 60},
    {"write", 60, 60},
};

static int policy_valid(const struct gw_rate_policy *p);
static int parse_num(const char *s, size_t len, int64_t max, int64_t *out);
static int entry_error(char *err, size_t errlen, const char *entry, size_t len,
                       const char *why);
static int copy_out(const char *s, size_t max, char *out, size_t outlen);
static int identity_hex(const char *identity, char out[33]);

static int
policy_valid(const struct gw_rate_policy *p)
{
	return p != NULL && gw_name_valid(p->name, NAME_MAX_LEN) &&
	       p->limit >= 1 && p->limit <= GW_RATE_LIMIT_MAX &&
	       p->window_s >= 1 && p->window_s <= GW_RATE_WINDOW_MAX;
}

const char *
gw_rate_class_name(enum gw_rate_class c)
{
	if ((int)c < 0 || c >= GW_RC_COUNT)
		return NULL;
	return class_names[c];
}

int
gw_rate_class_from_name(const char *name)
{
	int c;

	for (c = 0; name != NULL && c < GW_RC_COUNT; c++)
		if (strcmp(name, class_names[c]) == 0)
			return c;
	return -EINVAL;
}

void
gw_rate_policies_default(struct gw_rate_policy out[GW_RC_COUNT])
{
	if (out != NULL)
		memcpy(out, builtin, sizeof(builtin));
}

/* 1..max, decimal digits, no sign, no leading zero. */
static int
parse_num(const char *s, size_t len, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 18 || s[0] == '0')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0'); /* len <= 18: fits */
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
entry_error(char *err, size_t errlen, const char *entry, size_t len,
            const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "bad rate-limit entry '%.*s': %s",
		         (int)(len > 64 ? 64 : len), entry, why);
	return -EINVAL;
}

int
gw_rate_policies_parse(const char *spec, struct gw_rate_policy out[GW_RC_COUNT],
                       char *err, size_t errlen)
{
	struct gw_rate_policy tmp[GW_RC_COUNT];
	const char *s, *e, *b, *t, *eq, *slash;
	unsigned seen = 0;
	size_t len;
	int c;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	memcpy(tmp, builtin, sizeof(tmp));
	if (spec == NULL)
		spec = "";
	for (s = spec; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '\0') {
		memcpy(out, tmp, sizeof(tmp));
		return 0;
	}
	for (s = spec;; s = e + 1) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		for (b = s; b < e && (*b == ' ' || *b == '\t'); b++)
			;
		for (t = e; t > b && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		len = (size_t)(t - b);
		if (len == 0)
			return entry_error(err, errlen, b, 0, "empty entry");
		eq = memchr(b, '=', len);
		if (eq == NULL)
			return entry_error(
			    err, errlen, b, len,
			    "expected <class>=<limit>/<seconds>");
		for (c = 0; c < GW_RC_COUNT; c++) {
			if (strlen(class_names[c]) == (size_t)(eq - b) &&
			    memcmp(class_names[c], b, (size_t)(eq - b)) == 0)
				break;
		}
		if (c == GW_RC_COUNT)
			return entry_error(err, errlen, b, len,
			                   "unknown class (default, auth, "
			                   "write)");
		if ((seen & (1u << c)) != 0)
			return entry_error(err, errlen, b, len,
			                   "class given twice");
		seen |= 1u << c;
		slash = memchr(eq, '/', (size_t)(t - eq));
		if (slash == NULL)
			return entry_error(err, errlen, b, len,
			                   "expected <limit>/<seconds>");
		if (parse_num(eq + 1, (size_t)(slash - eq - 1),
		              GW_RATE_LIMIT_MAX, &tmp[c].limit) != 0)
			return entry_error(err, errlen, b, len,
			                   "limit must be 1..1000000000");
		if (parse_num(slash + 1, (size_t)(t - slash - 1),
		              GW_RATE_WINDOW_MAX, &tmp[c].window_s) != 0)
			return entry_error(err, errlen, b, len,
			                   "window must be 1..86400 seconds");
		if (*e == '\0')
			break;
	}
	memcpy(out, tmp, sizeof(tmp));
	return 0;
}

int
gw_rate_window(int64_t now_ms, const struct gw_rate_policy *policy,
               int64_t *window_index, int64_t *reset_s)
{
	int64_t window_ms, left_ms;

	if (!policy_valid(policy) || now_ms < 0 || window_index == NULL ||
	    reset_s == NULL)
		return -EINVAL;
	window_ms = policy->window_s * 1000; /* <= 86400000 */
	left_ms = window_ms - now_ms % window_ms;
	*window_index = now_ms / window_ms;
	*reset_s = (left_ms + 999) / 1000;
	return 0;
}

/* First 32 hex digits of SHA-256(identity), which keeps addresses and
 * subjects out of Redis's keys; the same identities come back request
 * after request, and the hash cost a cached answer as much as its lookup:
 * the process remembers them (gw_memo). */
static struct gw_memo ident_memo;

static int
identity_hex(const char *identity, char out[33])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	size_t len = strlen(identity);
	const char *known;

	if (sodium_init() < 0)
		return -EIO;
	if ((known = gw_memo_find(&ident_memo, identity, len)) != NULL) {
		memcpy(out, known, 33);
		return 0;
	}
	crypto_hash_sha256(h, (const unsigned char *)identity,
	                   (unsigned long long)len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	memcpy(out, hex, 32);
	out[32] = '\0';
	gw_memo_keep(&ident_memo, identity, len, out);
	return 0;
}

int
gw_rate_key(const char *class_name, const char *kind, const char *identity,
            int64_t window_index, char *out, size_t outlen)
{
	char hex[33];
	struct gw_sb sb;
	int rc;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (out == NULL || !gw_name_valid(class_name, NAME_MAX_LEN) ||
	    kind == NULL ||
	    (strcmp(kind, "client") != 0 && strcmp(kind, "user") != 0 &&
	     strcmp(kind, "ip") != 0) ||
	    identity == NULL || identity[0] == '\0' || window_index < 0)
		return -EINVAL;
	if ((rc = identity_hex(identity, hex)) != 0)
		return rc;
	gw_sb_init(&sb, out, outlen);
	gw_sb_mem(&sb, "gw:rl:{", 7);
	gw_sb_str(&sb, kind);
	gw_sb_mem(&sb, ":", 1);
	gw_sb_str(&sb, hex);
	gw_sb_mem(&sb, "}:", 2);
	gw_sb_str(&sb, class_name);
	gw_sb_mem(&sb, ":", 1);
	gw_sb_i64(&sb, window_index);
	return gw_sb_done(&sb);
}

int
gw_rate_decide(int64_t count, const struct gw_rate_policy *policy,
               int64_t now_ms, struct gw_rate_decision *d)
{
	struct gw_rate_decision r;
	int64_t window;

	if (d == NULL || count < 1)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	if (gw_rate_window(now_ms, policy, &window, &r.reset_s) != 0)
		return -EINVAL;
	r.limit = policy->limit;
	r.allowed = count <= policy->limit;
	r.remaining = r.allowed ? policy->limit - count : 0;
	r.retry_after_s = r.allowed ? 0 : r.reset_s;
	*d = r;
	return 0;
}

int
gw_rate_headers(const struct gw_rate_policy *policy,
                const struct gw_rate_decision *d, char *policy_out,
                size_t policy_len, char *limit_out, size_t limit_len)
{
	struct gw_sb sb;

	if (policy_out != NULL && policy_len > 0)
		policy_out[0] = '\0';
	if (limit_out != NULL && limit_len > 0)
		limit_out[0] = '\0';
	if (!policy_valid(policy) || d == NULL || d->remaining < 0 ||
	    d->reset_s < 0 || (policy_out == NULL && policy_len > 0) ||
	    (limit_out == NULL && limit_len > 0))
		return -EINVAL;
	if (policy_out != NULL) {
		gw_sb_init(&sb, policy_out, policy_len);
		gw_sb_mem(&sb, "\"", 1);
		gw_sb_str(&sb, policy->name);
		gw_sb_mem(&sb, "\";q=", 4);
		gw_sb_i64(&sb, policy->limit);
		gw_sb_mem(&sb, ";w=", 3);
		gw_sb_i64(&sb, policy->window_s);
		if (gw_sb_done(&sb) != 0)
			return -ENOSPC;
	}
	if (limit_out != NULL) {
		gw_sb_init(&sb, limit_out, limit_len);
		gw_sb_mem(&sb, "\"", 1);
		gw_sb_str(&sb, policy->name);
		gw_sb_mem(&sb, "\";r=", 4);
		gw_sb_i64(&sb, d->remaining);
		gw_sb_mem(&sb, ";t=", 3);
		gw_sb_i64(&sb, d->reset_s);
		if (gw_sb_done(&sb) != 0)
			return -ENOSPC;
	}
	return 0;
}

/* Copy a bounded string; -EINVAL if empty, -ENOSPC if it does not fit. */
static int
copy_out(const char *s, size_t max, char *out, size_t outlen)
{
	size_t len = strnlen(s, max);

	if (len == 0)
		return -EINVAL;
	if (len >= outlen)
		return -ENOSPC;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
gw_rate_identity(const struct mp_principal *p, const char *client_ip,
                 const char **kind, char *out, size_t outlen)
{
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (kind == NULL || out == NULL)
		return -EINVAL;
	if (p != NULL && p->authenticated) {
		if ((p->roles & MP_ROLE_CLIENT) != 0) {
			*kind = "client";
			if (p->client_id[0] != '\0')
				return copy_out(p->client_id,
				                sizeof(p->client_id), out,
				                outlen);
			return copy_out(p->subject, sizeof(p->subject), out,
			                outlen);
		}
		*kind = "user";
		return copy_out(p->subject, sizeof(p->subject), out, outlen);
	}
	*kind = "ip";
	if (client_ip == NULL)
		return -EINVAL;
	return copy_out(client_ip, SIZE_MAX, out, outlen);
}

int64_t
gw_rate_lease_size(const struct gw_rate_policy *policy, int workers,
                   int64_t max)
{
	int64_t k;

	if (policy == NULL || workers < 1 || max <= 1)
		return 1;
	k = policy->limit / (4 * (int64_t)workers);
	if (k > max)
		k = max;
	return k < 1 ? 1 : k;
}

void
gw_rate_lease_add(struct gw_rate_lease *l, const struct gw_rate_policy *policy,
                  int64_t k, int64_t top)
{
	int64_t valid;

	if (l == NULL || policy == NULL || k < 1 || top < k)
		return;
	/* top - k < limit <=> some of top-k+1..top are <= limit */
	valid = policy->limit - (top - k);
	if (valid > k)
		valid = k;
	if (valid > 0)
		l->left += valid;
	if (top > l->top)
		l->top = top;
}

int
gw_rate_lease_take(struct gw_rate_lease *l, const struct gw_rate_policy *policy,
                   int64_t *count)
{
	return gw_rate_lease_take_n(l, policy, 1, count);
}

int
gw_rate_lease_take_n(struct gw_rate_lease *l,
                     const struct gw_rate_policy *policy, int64_t n,
                     int64_t *count)
{
	int64_t unreserved;

	if (l == NULL || policy == NULL || count == NULL || n < 1)
		return -1;
	unreserved = policy->limit - l->top;
	if (unreserved < 0)
		unreserved = 0;
	if (l->left >= n) {
		l->left -= n;
		*count = policy->limit - (unreserved + l->left);
		if (*count < 1)
			*count = 1;
		return 1;
	}
	/* what is ours and what nobody holds yet cannot make n */
	if (l->left + unreserved < n) {
		*count = policy->limit + 1;
		return 0;
	}
	return -1;
}
