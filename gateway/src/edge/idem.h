/*
 * Idempotency-Key: pure logic (idem.c: no Kore, no network, no Redis): key
 * syntax, request fingerprint, the byte format of a stored outcome, replay
 * and conflict decisions. Nothing allocates (-ENOSPC on a too small buffer);
 * records read back from Redis are decoded strictly (-EINVAL).
 * Returns: 0 success, negative errno on error, unless said otherwise.
 */
#ifndef GW_EDGE_IDEM_H
#define GW_EDGE_IDEM_H

#include <stddef.h>
#include <stdint.h>

#include "mp/principal.h"

#include "edge/routing.h"

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
#define GW_IDEM_REDIS_KEY_MAX 80 /* "gw:idem:{" + 64 hex + "}" + NUL */

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
 * gw_idem_redis_key: "gw:idem:{<64 hex>}" into out, the hex being SHA-256 of
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

#endif /* GW_EDGE_IDEM_H */
