/*
 * revocation.h: a service's own record of revoked access tokens, for
 * verification in depth (the gateway checks revocation first; a service
 * reached directly must refuse a revoked token too).
 *
 * The services share nothing but events. The gateway publishes
 * "gateway.token.revoked.v1" (data {"jti", "exp"}: no personal data) on
 * the stream "events:gateway"; a service consumes it with the library's
 * consumer (exactly-once effect through its inbox) into its own table
 * revoked_token (library migration lib-0005), and each worker keeps the
 * unexpired jtis in memory, refreshed from that table by a thread every
 * MP_REVOCATION_POLL_MS. A request's check is a hash look-up under a read
 * lock: no database or Redis round trip per request.
 *
 * Bounded error: a token is refused by every worker of the service at
 * most (delivery to a consumer, normally milliseconds) + one poll period +
 * one query after the event is on the stream. While the database cannot
 * be read, the set stops growing (revocations already known still apply)
 * and readiness reports the check "revocations": "stale" (status
 * "degraded") once the last good refresh is older than
 * MP_REVOCATION_STALE_MS ("loading" before the first one).
 */
#ifndef MP_REVOCATION_H
#define MP_REVOCATION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#define MP_REVOCATION_STREAM "events:gateway"
#define MP_REVOCATION_EVENT "gateway.token.revoked.v1"
#define MP_REVOCATION_POLL_MS 250
#define MP_REVOCATION_STALE_MS 5000
/* A revoked entry is kept until its token could no longer pass any
 * verifier: exp plus the largest leeway a policy may grant. */
#define MP_REVOCATION_KEEP_S 600

/* ---- the set (no locking: the caller serialises) -------------------- */

struct mp_revoked_set;

/* A new empty set into *out. 0 or -ENOMEM. */
int mp_revoked_new(struct mp_revoked_set **out);
/* Add jti (copied; 1..63 bytes) revoked until exp. Adding it again keeps
 * the later exp. 0, -EINVAL (bad jti), -ENOMEM. */
int mp_revoked_add(struct mp_revoked_set *s, const char *jti, int64_t exp);
/* 1 when jti is in the set, else 0 (NULL-safe). */
int mp_revoked_has(const struct mp_revoked_set *s, const char *jti);
/* Drop entries with exp + MP_REVOCATION_KEEP_S < now; returns how many. */
size_t mp_revoked_prune(struct mp_revoked_set *s, int64_t now);
size_t mp_revoked_count(const struct mp_revoked_set *s);
void mp_revoked_free(struct mp_revoked_set *s);

/* ---- the consumer's effect ------------------------------------------ */

/*
 * mp_revocation_apply: an mp_consume_fn (events.h) for MP_REVOCATION_STREAM
 * with use_db: records a gateway.token.revoked.v1 in revoked_token (and
 * deletes rows past their keep time); any other type is ignored. A
 * malformed revocation is logged and skipped (returning 0: redelivery
 * would not repair it). Negative on a database error (redelivered).
 */
int mp_revocation_apply(PGconn *conn, const json_t *event, void *arg);

/* ---- the per-worker view -------------------------------------------- */

/*
 * mp_revocation_start: load revoked_token of db_url once, synchronously
 * (blocking up to a 3 s connect timeout: call it before the worker
 * serves), then start this process' refresh thread, reading it every
 * MP_REVOCATION_POLL_MS. db_url must outlive the thread. A failed first
 * load is logged and left to the thread ("loading"). 0, -EALREADY,
 * -ENOMEM or -EAGAIN.
 */
int mp_revocation_start(const char *db_url);
/* Stop the thread and free the set (no-op when not started). */
void mp_revocation_stop(void);
/* 1 when jti is revoked as far as this process knows, 0 otherwise (and
 * when the view was never started). Thread-safe, never blocks on I/O. */
int mp_revocation_revoked(const char *jti);
/* mp_revocation_note: add jti (revoked until exp) to this process' set at
 * once, for the process that revoked it: its next request with that token
 * is refused without waiting for the next refresh. No-op when the view
 * was never started. 0, -EINVAL, -ENOMEM. */
int mp_revocation_note(const char *jti, int64_t exp);
/* Milliseconds since the last successful refresh (INT64_MAX before the
 * first one). */
int64_t mp_revocation_age_ms(void);

#endif /* MP_REVOCATION_H */
