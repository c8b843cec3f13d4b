/*
 * Gateway: pure domain logic (no Kore, no network, no Redis, no database).
 *
 * Design note: every decision the gateway takes about a request before or
 * after it talks to Redis or an upstream lives here as plain C over plain
 * values, so the Check suites link it directly and the Kore handlers only
 * read headers, call these functions, run the Redis commands they name and
 * answer:
 *
 *   routes     which route a path is, 404 / 405 / 400 for bad paths, who
 *              may call it (401 / 403)             (domain_routes.c)
 *   cache      the Redis key of a cacheable answer, Cache-Control, ETags,
 *              the byte format of a cached answer    (domain_cache.c)
 *   ratelimit  fixed-window counters: keys, decisions, RateLimit headers,
 *              the policy spec from the environment  (domain_ratelimit.c)
 *   idem       Idempotency-Key: key syntax, request fingerprint, the byte
 *              format of a stored outcome, replay / conflict decisions
 *                                                   (domain_idem.c)
 *
 * Nothing here allocates: results go to caller buffers and a too small
 * buffer is -ENOSPC. Byte strings read back from Redis are decoded strictly
 * (any garbage, truncation or trailing byte is -EINVAL) and never over-read.
 * Redis keys never contain client-chosen bytes or personal data: those parts
 * are hashed (SHA-256, libsodium).
 *
 * Return convention: 0 success, negative errno on error, results through
 * out-parameters. A few predicates return 1 / 0 and say so.
 */
#ifndef GATEWAY_DOMAIN_H
#define GATEWAY_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include "mp/principal.h"

/* ---- routes (domain_routes.c) ------------------------------------------ */

/* Method bits, equal to MP_GET... of mp/service.h and Kore's
 * HTTP_METHOD_* (this header stays free of Kore and libpq). */
#define GW_M_GET 0x0001u
#define GW_M_POST 0x0002u
#define GW_M_PUT 0x0004u
#define GW_M_DELETE 0x0010u
#define GW_M_PATCH 0x0080u
#define GW_M_ALL (GW_M_GET | GW_M_POST | GW_M_PUT | GW_M_DELETE | GW_M_PATCH)

/* Route flags. */
#define GW_R_PUBLIC 0x01u    /* no token needed (everyone, API clients too) */
#define GW_R_CACHEABLE 0x02u /* GET answers may be cached for ttl_s */
/* GW_R_PUBLIC_DATA: the answer does not depend on who asks, so the cache
 * key ignores the principal. */
#define GW_R_PUBLIC_DATA 0x04u
#define GW_R_ALL (GW_R_PUBLIC | GW_R_CACHEABLE | GW_R_PUBLIC_DATA)

/* Rate-limit classes; each has a policy (see gw_rate_policies_parse). */
enum gw_rate_class {
	GW_RC_DEFAULT = 0,
	GW_RC_AUTH,  /* stricter: /auth/token and friends */
	GW_RC_WRITE, /* POST, PUT, PATCH, DELETE on business data */
	GW_RC_COUNT
};

#define GW_PATH_MAX 2048     /* bytes in a request path */
#define GW_MAX_PARAMS 8      /* {params} in one pattern */
#define GW_PARAM_MAX 128     /* bytes in one captured param value */
#define GW_PARAM_NAME_MAX 32 /* bytes in a {param} name */

/*
 * One route of the gateway. Patterns are "/"-separated segments, each a
 * literal ("calls"), a parameter ("{id}": one non-empty segment, captured)
 * or, as the last segment only, "**": this prefix itself and everything
 * below it (pattern "/v1/funding" + "/" "**" matches "/v1/funding" and
 * "/v1/funding/a/b"). Below, "**" names such a tail.
 * All strings have static storage duration.
 */
struct gw_route {
	unsigned methods;    /* GW_M_* bits */
	const char *pattern; /* "/v1/funding/calls/{id}" */
	unsigned flags;      /* GW_R_* */
	unsigned roles;      /* MP_ROLE_* allowed; 0 = any authenticated
	                        principal. Never MP_ROLE_CLIENT: API clients
	                        are admitted by scopes only. */
	const char *scopes;  /* space-separated scopes of which an API client
	                        needs one; NULL = API clients refused */
	int ttl_s;           /* cache TTL in seconds (GW_R_CACHEABLE) */
	enum gw_rate_class rate_class;
	const char *upstream; /* "funding", "cases", "gender"; NULL = the
	                         gateway answers itself */
};

/* One captured {param}: name from the pattern, raw value from the path
 * (not percent-decoded; the upstream decodes). Both NUL-terminated. */
struct gw_param {
	char name[GW_PARAM_NAME_MAX + 1];
	char value[GW_PARAM_MAX + 1];
};

/* The outcome of gw_route_match. */
struct gw_route_match {
	const struct gw_route *route; /* the chosen route (NULL unless 0) */
	size_t index;                 /* its index in the table */
	unsigned allow; /* GW_M_* union of every route matching the path:
	                   the Allow header of a 405 (0 on 404/400) */
	size_t nparams;
	struct gw_param params[GW_MAX_PARAMS];
	const char *rest; /* borrowed from path: what "**" matched, "" or
	                     "/a/b" (always "" for other routes) */
};

/*
 * gw_route_table_validate: start-up self-check of a route table (call it
 * once and refuse to start on error). Checks every pattern against the
 * grammar above ("/" then segments of RFC 3986 pchar bytes, no empty
 * segment, no "." or ".." segment, "{name}" with name [a-z_][a-z0-9_]*
 * up to GW_PARAM_NAME_MAX, at most GW_MAX_PARAMS of them, "**" last only;
 * "/" alone is the root), methods a non-empty subset of GW_M_ALL, flags a
 * subset of GW_R_ALL, GW_R_CACHEABLE only with GET and ttl_s > 0, ttl_s >= 0,
 * roles a subset of MP_ROLE_ALL without MP_ROLE_CLIENT, scopes NULL or
 * tokens separated by single spaces, rate_class valid, upstream NULL or
 * [a-z]+, and that no two routes have the same pattern (ignoring {param}
 * names) with a method in common (the second could never be chosen).
 * Returns 0, or -EINVAL with the index of the first bad route in *bad
 * (may be NULL) and a one-line English message in err (may be NULL;
 * truncated to errlen).
 */
int gw_route_table_validate(const struct gw_route *table, size_t n, size_t *bad,
                            char *err, size_t errlen);

/*
 * gw_path_check: path hygiene, applied by gw_route_match before matching.
 * A path is accepted when it starts with "/", is at most GW_PATH_MAX bytes,
 * holds only RFC 3986 path bytes (ALPHA DIGIT - . _ ~ ! $ & ' ( ) * + , ;
 * = : @ / and "%" followed by two hex digits: no space, control byte,
 * non-ASCII byte, "?", "#", "\" or malformed escape), and has no "//",
 * "/./", "/../", trailing "/." or "/..", and no percent-encoded "/", ".",
 * "\" or control byte (%2f %2e %5c %00-%1f %7f, any case): such paths are
 * either attacks on the upstream's own normalisation or never legitimate.
 * The query string must be split off by the caller.
 * Returns 0; -ENAMETOOLONG when longer than GW_PATH_MAX; -EINVAL for any
 * other refusal or a NULL path.
 */
int gw_path_check(const char *path);

/*
 * gw_route_match: the route of (method, path) in table[0..n-1] (validated
 * with gw_route_table_validate).
 *
 * Specificity, segment by segment from the left: a literal beats a {param},
 * which beats a segment covered by "**"; at equal segments a route without
 * "**" beats one with it ("/a" beats "/a" + "/" "**" for the path "/a"); among
 * equals the first in the table wins. The most specific route among those
 * whose methods contain `method` is chosen, so a method that a specific
 * route lacks falls through to a less specific one that has it (a
 * "/v1/funding" + "**" proxy catches what "/v1/funding/calls/{id}" GET does
 * not). A single trailing "/" is ignored ("/a/" matches "/a"), like the
 * services' own router.
 *
 * Returns 0 and fills *m; -ENOENT: no route has this path (404);
 * -EOPNOTSUPP: some route has the path, none the method (405, send
 * m->allow as Allow); -EINVAL or -ENAMETOOLONG: refused by gw_path_check
 * (400 / 414); -E2BIG: the chosen route's {param} value is longer than
 * GW_PARAM_MAX bytes (400); -EFAULT: NULL table (with n > 0), path or m,
 * or method 0. On every return but -EFAULT, *m is reset first (route NULL,
 * allow 0 unless -EOPNOTSUPP, nparams 0, rest ""). m->rest points into
 * path: keep path alive as long as m is used.
 */
int gw_route_match(const struct gw_route *table, size_t n, unsigned method,
                   const char *path, struct gw_route_match *m);

/* gw_route_param: value of the param `name` in m, or NULL. Borrowed from
 * m. */
const char *gw_route_param(const struct gw_route_match *m, const char *name);

/*
 * gw_route_status: the HTTP status for a gw_route_match or
 * gw_route_authorize return code: 0 -> 200, -ENOENT -> 404, -EOPNOTSUPP ->
 * 405, -EINVAL and -E2BIG -> 400, -ENAMETOOLONG -> 414, -EACCES -> 401,
 * -EPERM -> 403, anything else -> 500.
 */
int gw_route_status(int rc);

/*
 * gw_route_authorize: may principal p call route r?
 *   - GW_R_PUBLIC routes: everyone (p may be NULL).
 *   - otherwise p must be authenticated: else -EACCES (401).
 *   - an API client (MP_ROLE_CLIENT among p->roles, whatever other bits it
 *     carries) is allowed only when one of its space-separated p->scopes is
 *     one of the route's scopes (exact token match); r->scopes NULL refuses
 *     every client;
 *   - anyone else: r->roles == 0 admits every authenticated principal,
 *     otherwise p must hold one of r->roles.
 * Returns 0 allowed, -EACCES authentication required (401), -EPERM
 * authenticated but not allowed (403), -EFAULT when r is NULL. Fails closed.
 */
int gw_route_authorize(const struct gw_route *r, const struct mp_principal *p);

/* ---- cache (domain_cache.c) -------------------------------------------- */

/*
 * Invalidation scheme: Redis holds a counter "gw:gen:<service>" per
 * upstream, which the gateway INCRs whenever an event of that service
 * arrives. The gateway keeps the generation inside each stored value
 * (gw_cache_value_encode) and reads counter and value in one round trip,
 * so one INCR makes every older entry of the service a miss, replaced in
 * place by the next answer. Coarse, but it can never serve an answer older
 * than the last event. (gw_cache_req.generation can also put the
 * generation in the key itself; the gateway passes 0.)
 */

#define GW_CACHE_KEY_MAX 128    /* bytes of a key + NUL; always enough */
#define GW_CACHE_QUERY_MAX 4096 /* bytes of a query string the key accepts */
#define GW_CACHE_QUERY_PAIRS 64 /* name=value pairs the key accepts */
#define GW_SERVICE_MAX 32       /* bytes of a service name */

/* What the answer to a cacheable GET depends on. Strings are borrowed. */
struct gw_cache_req {
	const char *service; /* "funding": [a-z0-9_-], 1..GW_SERVICE_MAX */
	uint64_t generation; /* current value of gw_cache_gen_key() */
	const char *path;    /* request path, starts with "/" */
	const char *query;   /* raw query string without "?"; NULL or "" */
	const char *accept_language;          /* header value or NULL */
	const struct mp_principal *principal; /* NULL = anonymous */
	int public_data;                      /* route has GW_R_PUBLIC_DATA */
};

/*
 * gw_cache_key: the Redis key of the cached answer to r, written as
 * "gw:c:<service>:<generation>:<64 hex>" into out. The hash covers, each
 * length-prefixed so no two different inputs can collide by concatenation:
 *   - the path, byte for byte;
 *   - the query, normalised: split on "&", empty pairs dropped, name and
 *     value percent-decoded with "+" as space ("%41" == "A", "a+b" ==
 *     "a%20b"), pairs sorted by name then value (so the order of
 *     parameters, and of repeated ones, does not matter; upstreams treat
 *     repeated parameters as sets), "a" kept distinct from "a=";
 *   - the language mp_lang_negotiate() picks from accept_language (the
 *     upstreams answer in that language; "fr-FR,fr;q=0.9" == "fr");
 *   - unless public_data: whether the request is anonymous, else the
 *     principal's role names (sorted) and unknown role bits, region,
 *     commune, organisation (upstreams filter by all of these) and, for
 *     applicants and API clients, who see only their own objects, the
 *     subject (plus client_id and scopes for clients).
 * Returns 0; -EINVAL for a NULL r, service, path or out, a bad service
 * name, a path not starting with "/", a malformed percent escape in the
 * query; -E2BIG when the query exceeds GW_CACHE_QUERY_MAX bytes or
 * GW_CACHE_QUERY_PAIRS pairs (do not cache such requests); -ENOSPC when
 * outlen < needed (GW_CACHE_KEY_MAX always suffices; out is "" if
 * outlen > 0); -EIO if libsodium cannot be initialised.
 */
int gw_cache_key(const struct gw_cache_req *r, char *out, size_t outlen);

/*
 * gw_cache_gen_key: "gw:gen:<service>" (the generation counter) into out.
 * Returns 0, -EINVAL (bad service name, NULL out), -ENOSPC.
 */
int gw_cache_gen_key(const char *service, char *out, size_t outlen);

/*
 * gw_cache_event_service: the service that emitted an event of type
 * `event_type` ("funding.application.submitted.v1" -> "funding"), into out.
 * The type must be at least four "."-separated segments, each
 * [a-z][a-z0-9_]* (the first at most GW_SERVICE_MAX bytes), the last "v"
 * followed by 1..9 digits without a leading zero; at most 255 bytes.
 * Returns 0, -EINVAL (malformed type, NULL), -ENOSPC.
 */
int gw_cache_event_service(const char *event_type, char *out, size_t outlen);

/* Cache-Control directives of a request or a response (RFC 9111 5.2). */
struct gw_cache_control {
	int no_store; /* no-store */
	int no_cache; /* no-cache, also in its qualified form no-cache="f" */
	int private;  /* private, also private="f" */
	int max_age;  /* max-age seconds, -1 absent */
	int s_maxage; /* s-maxage seconds, -1 absent (responses) */
};

/*
 * gw_cache_control_parse: parse a Cache-Control header value (several
 * header lines joined with ","). Directive names are case-insensitive,
 * OWS is allowed around elements and "=", values are tokens or quoted
 * strings (with \-escapes), empty elements and unknown directives are
 * ignored, and an element that does not parse is skipped up to the next
 * "," outside quotes; if it starts with a known directive name, that
 * directive still counts, with an invalid value (the conservative reading:
 * "no-store x" is no-store). A max-age / s-maxage whose value is not digits
 * (quoted digits are accepted) is taken as 0, i.e. stale (RFC 9111
 * 1.2.2); larger than INT32_MAX is capped to it; when a directive repeats,
 * the smallest value wins. header NULL or "" gives no directives. Returns
 * 0, or -EINVAL if cc is NULL.
 */
int gw_cache_control_parse(const char *header, struct gw_cache_control *cc);

/*
 * gw_cache_request_mode: what a request's Cache-Control lets the gateway
 * do: *use_stored = 0 for no-cache, no-store or max-age=0 (the client
 * wants a fresh answer), *may_store = 0 for no-store. cc NULL: both 1.
 * Returns 0, or -EINVAL for NULL out-parameters.
 */
int gw_cache_request_mode(const struct gw_cache_control *cc, int *use_stored,
                          int *may_store);

/*
 * gw_cache_response_ttl: how long to keep an upstream answer with HTTP
 * status `status` and response Cache-Control cc (NULL = none), on a route
 * with TTL route_ttl_s. *ttl_s = 0 means "do not store": status not one of
 * 200 203 204 300 301 308 404 410 (the RFC 9110 heuristically cacheable
 * ones the gateway can meet), or cc has no-store, private, or no-cache (the
 * gateway never revalidates, so an answer that must be revalidated is not
 * kept). Otherwise *ttl_s = min(route_ttl_s, s-maxage if given else
 * max-age if given), 0 included. Returns 0, or -EINVAL (NULL ttl_s,
 * route_ttl_s < 0).
 */
int gw_cache_response_ttl(int status, int route_ttl_s,
                          const struct gw_cache_control *cc, int *ttl_s);

#define GW_ETAG_LEN 35 /* "\"" + 32 hex + "\"" + NUL */

/*
 * gw_etag: a strong entity tag for body: "\"<first 32 hex of SHA-256>\""
 * (34 characters) into out. body may be NULL when len is 0. Returns 0,
 * -EINVAL (NULL out, NULL body with len > 0), -ENOSPC (outlen <
 * GW_ETAG_LEN), -EIO (libsodium).
 */
int gw_etag(const void *body, size_t len, char *out, size_t outlen);

/*
 * gw_etag_match: 1 if an If-None-Match header value matches etag by the
 * weak comparison of RFC 9110 8.8.3.2 (W/ prefixes ignored on both sides;
 * a comma-separated list matches if any member does; "*" matches any
 * current representation), else 0. A header that does not parse as a
 * list of entity-tags (or "*") matches nothing, so the full answer is
 * sent. NULL header or etag, or an etag that is not an entity-tag: 0.
 */
int gw_etag_match(const char *if_none_match, const char *etag);

#define GW_CACHE_HDR_MAX 255         /* bytes of content_type, etag */
#define GW_CACHE_BODY_MAX (8u << 20) /* bytes of a cached body */

/*
 * A cached answer. After gw_cache_entry_decode the pointers borrow from
 * the decoded buffer: content_type and etag are NUL-terminated, body is
 * body_len bytes (NULL when 0).
 */
struct gw_cache_entry {
	int status;               /* 100..599 */
	const char *content_type; /* "" or NULL = none; header-value bytes */
	const char *etag;         /* "" or NULL = none */
	const void *body;
	size_t body_len;
};

/*
 * gw_cache_entry_encode: serialise e as one binary-safe byte string:
 *   "GWC" 0x01, status (2 bytes big-endian),
 *   content-type length (2 bytes BE), bytes, 0x00,
 *   etag length (2 bytes BE), bytes, 0x00,
 *   body length (4 bytes BE), bytes.
 * content_type and etag are at most GW_CACHE_HDR_MAX bytes of header-value
 * text (HTAB, SP..~, 0x80..0xff: no CR, LF or other control byte), body at
 * most GW_CACHE_BODY_MAX bytes. *len receives the encoded size on 0 and on
 * -ENOSPC (so out NULL with outlen 0 asks for the size). Returns 0,
 * -EINVAL (bad entry, NULL e or len, NULL out with outlen > 0), -ENOSPC.
 */
int gw_cache_entry_encode(const struct gw_cache_entry *e, unsigned char *out,
                          size_t outlen, size_t *len);

/*
 * gw_cache_entry_decode: the reverse, on bytes from Redis. Accepts exactly
 * what gw_cache_entry_encode produces: any other magic or version, a
 * length running past the end, a missing terminator, a forbidden byte in a
 * header, a status outside 100..599, an oversize field or a trailing byte
 * is -EINVAL, and *e is untouched. Never reads past buf[len - 1]. On 0 the
 * pointers in *e borrow from buf. Returns 0 or -EINVAL (also for NULL).
 */
int gw_cache_entry_decode(const void *buf, size_t len,
                          struct gw_cache_entry *e);

/*
 * A stored cache value: the service generation the answer was read under
 * (gw_cache_gen_key's counter), in decimal, one space, then the entry as
 * gw_cache_entry_encode writes it. A lookup reads the counter and the value
 * in one round trip, and a value of another generation is a miss: an event
 * makes every entry of its service stale at once, and an answer fetched
 * before an event but stored after it is never served.
 *
 * gw_cache_value_encode: as gw_cache_entry_encode, with the prefix (*len
 * counts it). gw_cache_value_decode: 0 with *generation and *e (borrowing
 * from buf), or -EINVAL for anything else (no digits, more than 20, an
 * overflow, a leading zero, no space, a bad entry); never reads past
 * buf[len - 1].
 */
int gw_cache_value_encode(uint64_t generation, const struct gw_cache_entry *e,
                          unsigned char *out, size_t outlen, size_t *len);
int gw_cache_value_decode(const void *buf, size_t len, uint64_t *generation,
                          struct gw_cache_entry *e);

/* ---- rate limits (domain_ratelimit.c) ---------------------------------- */

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
 * gw_rate_key: "gw:rl:<class>:<kind>:<32 hex>:<window>" into out, the hex
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

/* ---- idempotency keys (domain_idem.c) ---------------------------------- */

/*
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on POST and
 * PATCH. Flow in the gateway:
 *   1. gw_idem_key_parse the header; gw_idem_redis_key for the Redis key
 *      (namespaced by principal: two users never share a key);
 *      gw_idem_fingerprint the request.
 *   2. GET the record; gw_idem_decide. PROCEED: SET NX PX an IN_PROGRESS
 *      record (PX longer than the upstream timeout, so a crashed gateway's
 *      claim expires; if SET NX loses a race, GET and decide again), call
 *      the upstream, then if gw_idem_storable(status) SET XX EX (24 h) the
 *      DONE record, else DEL the claim so the write can be retried.
 *      REPLAY: answer the stored response. CONFLICT: 409. MISMATCH: 422.
 */

#define GW_IDEM_KEY_MAX 255 /* bytes of a key */
#define GW_IDEM_FP_LEN 64   /* hex characters of a fingerprint */
#define GW_IDEM_LOCATION_MAX 2048
#define GW_IDEM_BODY_MAX (8u << 20)
#define GW_IDEM_REDIS_KEY_MAX 80 /* "gw:idem:" + 64 hex + NUL, rounded */

enum gw_idem_state { GW_IDEM_IN_PROGRESS = 1, GW_IDEM_DONE = 2 };

enum gw_idem_action {
	GW_IDEM_PROCEED = 0, /* no record: claim the key and forward */
	GW_IDEM_REPLAY,      /* same request, done: answer the stored one */
	GW_IDEM_CONFLICT,    /* same request still in progress: 409 */
	GW_IDEM_MISMATCH     /* key reused for another request: 422 */
};

/*
 * A stored record. In IN_PROGRESS only state, fingerprint and started_ms
 * are meaningful (status 0, strings "", no body). After
 * gw_idem_record_decode the pointers borrow from the decoded buffer:
 * content_type and location NUL-terminated, body body_len bytes (NULL
 * when 0).
 */
struct gw_idem_record {
	enum gw_idem_state state;
	char fingerprint[GW_IDEM_FP_LEN + 1]; /* lowercase hex */
	int64_t started_ms;                   /* when the key was claimed */
	int status;                           /* DONE: 100..599 */
	const char *content_type;             /* DONE: "" or NULL = none */
	const char *location; /* DONE: Location header, "" or NULL */
	const void *body;
	size_t body_len;
};

/*
 * gw_idem_key_parse: the key of an Idempotency-Key header value: either a
 * Structured Field string ("\"abc\"", with \" and \\ escapes) or a bare
 * value; OWS around it is ignored. The key itself must be 1..255 visible
 * ASCII bytes (0x21..0x7e). Written NUL-terminated to out. Returns 0,
 * -EINVAL (NULL, malformed, empty, too long, forbidden byte), -ENOSPC.
 */
int gw_idem_key_parse(const char *header, char *out, size_t outlen);

/*
 * gw_idem_redis_key: "gw:idem:<64 hex>" into out, the hex being SHA-256 of
 * the principal's subject (NULL or "" for anonymous requests) and the key,
 * length-prefixed. Returns 0, -EINVAL, -ENOSPC, -EIO.
 */
int gw_idem_redis_key(const char *subject, const char *key, char *out,
                      size_t outlen);

/*
 * gw_idem_fingerprint: what makes two requests "the same": SHA-256 hex of
 * the method (one GW_M_* bit), the target (path with its query, as sent),
 * the principal's subject (NULL = "") and the body bytes, each
 * length-prefixed. Returns 0, -EINVAL (method not one GW_M_* bit, NULL
 * target or out, NULL body with len > 0), -EIO.
 */
int gw_idem_fingerprint(unsigned method, const char *target,
                        const char *subject, const void *body, size_t len,
                        char out[GW_IDEM_FP_LEN + 1]);

/*
 * gw_idem_record_encode: serialise r as one binary-safe byte string:
 *   "GWI" 0x01, state (1 byte), fingerprint (64 bytes),
 *   started_ms (8 bytes big-endian two's complement), then for DONE only:
 *   status (2 bytes BE), content-type length (2 BE), bytes, 0x00,
 *   location length (2 BE), bytes, 0x00, body length (4 BE), bytes.
 * content_type at most GW_CACHE_HDR_MAX, location at most
 * GW_IDEM_LOCATION_MAX bytes of header-value text (no control byte but
 * HTAB), body at most GW_IDEM_BODY_MAX; fingerprint 64 lowercase hex;
 * started_ms >= 0. *len gets the encoded size on 0 and -ENOSPC. Returns 0,
 * -EINVAL, -ENOSPC (out NULL with outlen 0 asks for the size).
 */
int gw_idem_record_encode(const struct gw_idem_record *r, unsigned char *out,
                          size_t outlen, size_t *len);

/*
 * gw_idem_record_decode: the reverse, strictly (see gw_cache_entry_decode):
 * exactly what gw_idem_record_encode produces, or -EINVAL with *r
 * untouched. Never reads past buf[len - 1]; on 0 the pointers in *r
 * borrow from buf.
 */
int gw_idem_record_decode(const void *buf, size_t len,
                          struct gw_idem_record *r);

/*
 * gw_idem_decide: what to do with a request of fingerprint fp given the
 * stored record (NULL when there is none): PROCEED, REPLAY (same
 * fingerprint, DONE), CONFLICT (same fingerprint, IN_PROGRESS) or MISMATCH
 * (another fingerprint, whatever the state). Returns 0 and *action, or
 * -EINVAL (fp not 64 lowercase hex, NULL action, unknown state).
 */
int gw_idem_decide(const struct gw_idem_record *stored, const char *fp,
                   enum gw_idem_action *action);

/*
 * gw_idem_storable: 1 if an upstream answer with this status is kept for
 * replay, else 0. Kept: every final answer 200..499 except 408, 425 and
 * 429, which say "try again later": keeping them would make the retry
 * they ask for replay the refusal. 5xx (and the gateway's own 502/504)
 * are not kept, so a failed write can be retried with the same key.
 */
int gw_idem_storable(int status);

/* gw_idem_applies: 1 for the methods the gateway honours the header on
 * (POST, PATCH), else 0. */
int gw_idem_applies(unsigned method);

#endif /* GATEWAY_DOMAIN_H */
