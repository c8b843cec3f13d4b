/*
 * Response cache: pure logic (cache.c: no Kore, no network, no Redis). The
 * Redis key of a cacheable answer, Cache-Control, ETags and the byte format
 * of a cached answer. Nothing allocates: a too small buffer is -ENOSPC;
 * byte strings read back from Redis are decoded strictly (-EINVAL). Keys
 * never hold client-chosen bytes or personal data: those parts are hashed.
 * Returns: 0 success, negative errno on error, unless said otherwise.
 */
#ifndef GW_EDGE_CACHE_H
#define GW_EDGE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "mp/principal.h"

#include "edge/routing.h"

/*
 * Redis Cluster: every key of the gateway carries one hash tag ({...}) and
 * every command it sends names one key, so it runs on a cluster
 * unchanged. The keys read together share their tag: a service's
 * generation and its cache entries are all tagged {<service>}, so the
 * lookup's two GETs (and any script or MGET a later change may want) go
 * to one slot. (check_gateway_keys.c checks the layout.)
 *
 * Invalidation scheme: Redis holds a counter "gw:gen:{<service>}" per
 * upstream, which the gateway INCRs whenever an event of that service
 * arrives. The gateway keeps the generation inside each stored value
 * (gw_cache_value_encode) and reads counter and value in one round trip,
 * so one INCR makes every older entry of the service a miss, replaced in
 * place by the next answer. Coarse, but it can never serve an answer older
 * than the last event. (gw_cache_req.generation can also put the
 * generation in the key itself; the gateway passes 0.)
 */

/* Roles whose view of the data the principal-scoped cache key captures
 * (role, region, commune, organisation, plus the subject for applicants
 * and clients). Appraisers, ERC members, mediators see what is assigned
 * to them personally: never served from the cache. */
#define GW_CACHE_SCOPED_ROLES                                                  \
	(MP_ROLE_APPLICANT | MP_ROLE_COUNCIL_OFFICER | MP_ROLE_ADMIN |         \
	 MP_ROLE_GENDER_ANALYST | MP_ROLE_CLIENT)

/* The header with which the cache stage tells the gateway's own GraphQL
 * reads (gw_graphql_internal) how long it keeps their answer and the
 * service's generation the answer belongs to: "<seconds> <generation>",
 * the seconds of the route's TTL as this answer allows it ("0" when not
 * kept); absent when the read is not cacheable at all. */
#define GW_CACHE_TTL_HEADER "X-MP-Cache-TTL"

#define GW_CACHE_KEY_MAX 128    /* bytes of a key + NUL; always enough */
#define GW_CACHE_QUERY_MAX 4096 /* bytes of a query string the key accepts */
#define GW_CACHE_QUERY_PAIRS 64 /* name=value pairs the key accepts */

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
 * "gw:c:{<service>}:<generation>:<64 hex>" into out. The hash covers, each
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
 * gw_cache_gen_key: "gw:gen:{<service>}" (the generation counter) into
 * out.
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

#endif /* GW_EDGE_CACHE_H */
