/*
 * Rate limits: pure logic (ratelimit.c: no Kore, no network, no Redis):
 * fixed-window keys, decisions, RateLimit headers and the policy spec from
 * the environment. Nothing allocates (-ENOSPC on a too small buffer).
 * Returns: 0 success, negative errno on error, unless said otherwise.
 */
#ifndef GW_EDGE_RATELIMIT_H
#define GW_EDGE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "mp/principal.h"

#include "edge/routing.h"

/*
 * Fixed windows: the window of a request is floor(now / window); the
 * gateway runs INCR on gw_rate_key() then, when the INCR returned 1,
 * EXPIRE key reset_s + 1, and passes the INCR result to gw_rate_decide().
 */

struct gw_rate_policy {
	const char *name; /* "default": [a-z0-9_-], 1..32 bytes */
	int64_t limit;    /* requests per window, 1..GW_RATE_LIMIT_MAX */
	int64_t window_s; /* window length, 1..GW_RATE_WINDOW_MAX seconds */
};

#define GW_RATE_LIMIT_MAX 1000000000LL
#define GW_RATE_WINDOW_MAX 86400LL
#define GW_RATE_KEY_MAX 128   /* bytes of a key + NUL; always enough */
#define GW_RATE_HEADER_MAX 96 /* bytes of one header value + NUL */

struct gw_rate_decision {
	int allowed;           /* 1: serve, 0: answer 429 */
	int64_t limit;         /* policy limit */
	int64_t remaining;     /* requests left in this window, >= 0 */
	int64_t reset_s;       /* seconds to the end of the window, >= 1 */
	int64_t retry_after_s; /* Retry-After when refused, else 0 */
};

/* gw_rate_class_name: "default", "auth", "write", or NULL for a value
 * outside the enum. Static string. */
const char *gw_rate_class_name(enum gw_rate_class c);

/* gw_rate_class_from_name: the class named name (as gw_rate_class_name
 * writes it), or -EINVAL. */
int gw_rate_class_from_name(const char *name);

/*
 * gw_rate_policies_default: the built-in policies, indexed by
 * enum gw_rate_class: default=300/60, auth=10/60, write=60/60.
 */
void gw_rate_policies_default(struct gw_rate_policy out[GW_RC_COUNT]);

/*
 * gw_rate_policies_parse: read a policy spec such as
 * "default=300/60,auth=10/60,write=60/60" (from MP_RATE_LIMITS) into
 * out[], indexed by enum gw_rate_class: each entry is <class>=<limit>/
 * <window seconds>, the class one of gw_rate_class_name(), numbers
 * decimal without sign or leading zero within the ranges of struct
 * gw_rate_policy; OWS around entries is ignored. Classes not named keep
 * their built-in policy (gw_rate_policies_default); spec NULL or blank
 * gives the built-ins. A class named twice, an empty entry, an unknown
 * class or a bad number is -EINVAL with a message naming the entry
 * ("bad rate-limit entry 'auth=10': ...") in err (may be NULL; truncated
 * to errlen), and out untouched. names point to static strings.
 */
int gw_rate_policies_parse(const char *spec,
                           struct gw_rate_policy out[GW_RC_COUNT], char *err,
                           size_t errlen);

/*
 * gw_rate_window: the window containing now_ms (Unix milliseconds, >= 0)
 * under policy: *window_index = floor(now_ms / (window_s * 1000)) and
 * *reset_s = seconds until that window ends, rounded up (1..window_s).
 * Returns 0, or -EINVAL (NULL, negative now_ms, policy out of range).
 */
int gw_rate_window(int64_t now_ms, const struct gw_rate_policy *policy,
                   int64_t *window_index, int64_t *reset_s);

/*
 * gw_rate_key: "gw:rl:{<kind>:<32 hex>}:<class>:<window>" into out (one
 * caller's counters share a hash tag), the hex
 * being the first 32 of SHA-256(identity), so no IP address or user id is
 * written to Redis in clear. class as a policy name, kind "client", "user"
 * or "ip", identity non-empty, window_index >= 0. Returns 0, -EINVAL,
 * -ENOSPC (GW_RATE_KEY_MAX always suffices), -EIO (libsodium).
 */
int gw_rate_key(const char *class_name, const char *kind, const char *identity,
                int64_t window_index, char *out, size_t outlen);

/*
 * gw_rate_decide: the decision for the count_after_incr'th request (>= 1)
 * of the window containing now_ms: allowed while count <= limit, so
 * exactly `limit` requests pass; remaining = limit - count, never below 0;
 * reset_s as gw_rate_window; retry_after_s = reset_s when refused, else 0.
 * Returns 0, or -EINVAL (NULL, count < 1, bad policy or now_ms).
 */
int gw_rate_decide(int64_t count_after_incr,
                   const struct gw_rate_policy *policy, int64_t now_ms,
                   struct gw_rate_decision *d);

/*
 * gw_rate_headers: the values of the RateLimit-Policy and RateLimit fields
 * of draft-ietf-httpapi-ratelimit-headers-08:
 *   policy_out: "<name>";q=<limit>;w=<window_s>
 *   limit_out:  "<name>";r=<remaining>;t=<reset_s>
 * Either output may be NULL (with its size 0) to skip it. Returns 0,
 * -EINVAL (bad policy or decision), -ENOSPC (GW_RATE_HEADER_MAX always
 * suffices; a too small output is "").
 */
int gw_rate_headers(const struct gw_rate_policy *policy,
                    const struct gw_rate_decision *d, char *policy_out,
                    size_t policy_len, char *limit_out, size_t limit_len);

/*
 * gw_rate_identity: whom a request is counted against. An authenticated
 * API client (MP_ROLE_CLIENT) by its client_id (its subject if client_id
 * is empty): kind "client"; another authenticated principal by its
 * subject: kind "user"; otherwise (p NULL or not authenticated) by
 * client_ip: kind "ip". *kind is a static string; the identity is copied
 * to out. Returns 0, -EINVAL (NULL kind/out, empty identity to use),
 * -ENOSPC.
 */
int gw_rate_identity(const struct mp_principal *p, const char *client_ip,
                     const char **kind, char *out, size_t outlen);

/*
 * Leases: a worker reserves `k` positions of a window's count at once
 * (INCRBY k) and hands them to its next requests without a Redis round
 * trip. A position is only used if it is <= limit, so no more than `limit`
 * requests pass in a window, whatever the number of workers and replicas:
 * the error is one-sided. Positions a worker leased and did not use before
 * the window ended are lost to the others: an identity may be refused
 * early, by at most (W - 1) * (k - 1) requests in a window, W the workers
 * of all replicas. k = 1 is today's exact count (one INCR a request).
 */
struct gw_rate_lease {
	int64_t top;  /* highest count an INCRBY of this worker answered */
	int64_t left; /* positions leased, <= limit, not used yet */
};

/* gw_rate_lease_size: positions to lease at once: limit / (4 * workers),
 * within 1..max (max <= 1: always 1). */
int64_t gw_rate_lease_size(const struct gw_rate_policy *policy, int workers,
                           int64_t max);

/* gw_rate_lease_add: an INCRBY of k answered top (the window's count
 * after it): the positions top-k+1..top that are <= limit are ours. */
void gw_rate_lease_add(struct gw_rate_lease *l,
                       const struct gw_rate_policy *policy, int64_t k,
                       int64_t top);

/*
 * gw_rate_lease_take: decide one request from the lease. 1: a position is
 * used (allowed); 0: the window's count has reached the limit (refuse,
 * with no round trip: counts only grow in a window); -1: nothing leased,
 * lease more. For 1 and 0, *count is the count to give gw_rate_decide
 * (same decision, RateLimit remaining = unreserved positions + ours).
 */
int gw_rate_lease_take(struct gw_rate_lease *l,
                       const struct gw_rate_policy *policy, int64_t *count);

/*
 * gw_rate_lease_take_n: the same for one answer that stands for n >= 1
 * requests (a cached GraphQL answer costs the reads it was made of):
 * 1: n positions used; 0: the window cannot give n positions any more
 * (those leased here plus those nobody holds are fewer; nothing is
 * used, *count = limit + 1); -1: lease at least n - left more (also for
 * n < 1 or a NULL argument). gw_rate_lease_take is n = 1.
 */
int gw_rate_lease_take_n(struct gw_rate_lease *l,
                         const struct gw_rate_policy *policy, int64_t n,
                         int64_t *count);

#endif /* GW_EDGE_RATELIMIT_H */
