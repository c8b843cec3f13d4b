/*
 * pwhash.h: argon2id hashing and verification (libsodium crypto_pwhash_str)
 * off the worker's event loop, for passwords and client secrets.
 *
 * Costs: crypto_pwhash_OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (about
 * 50-100 ms and 64 MiB each), or the MIN limits when MP_PWHASH_FAST=1
 * (tests only: it makes hashes cheap to crack). Verification uses the
 * costs written in the stored hash, so hashes made under either setting
 * keep verifying.
 */
#ifndef GATEWAY_PWHASH_H
#define GATEWAY_PWHASH_H

#include <sodium.h>

#include "mp/service.h"

#define GW_PWHASH_STRBYTES crypto_pwhash_STRBYTES

enum gw_pwhash_op { GW_PWHASH_HASH, GW_PWHASH_VERIFY };

struct gw_pwjob;

/*
 * gw_pwhash_parent_init: in the parent, read MP_PWHASH_FAST and
 * MP_PWHASH_THREADS and compute the dummy hash that gw_pwhash_dummy()
 * returns (so that a login for an unknown name costs one verification like
 * any other). 0 or -1 (message on stderr).
 */
int gw_pwhash_parent_init(void);

/*
 * The hashing threads' life in each worker (mp_service.extensions):
 * MP_PWHASH_THREADS threads (1-16, default 2, read by
 * gw_pwhash_parent_init) start with the worker and are joined at its
 * teardown, before Kore unloads the module.
 */
extern const struct mp_extension gw_pwhash_extension;

/* gw_pwhash_dummy: a hash of a random secret nobody knows, with the
 * current costs. Static, valid for the process' life. */
const char *gw_pwhash_dummy(void);

/*
 * gw_pwhash_str: hash `secret` synchronously into out (blocking: for the
 * parent at start-up only). 0 or -ENOMEM.
 */
int gw_pwhash_str(const char *secret, char out[GW_PWHASH_STRBYTES]);

/*
 * gw_pwhash_start: park ctx's request while one of the worker's hashing
 * threads hashes `secret` (op HASH) or checks it against `hash` (op
 * VERIFY), then run `next` on the worker's loop. Both strings are copied
 * (the secret's copy is wiped when the job ends). *jobp receives the job:
 * the caller keeps it in its request state and releases it with
 * gw_pwhash_release() from its user_free (also when the client went away
 * mid-job). Returns MP_WAIT, or MP_DONE after answering 500 (no memory) or
 * 503 (the worker has no hashing thread) when the job cannot start.
 */
int gw_pwhash_start(struct mp_ctx *ctx, enum gw_pwhash_op op,
                    const char *secret, const char *hash, mp_handler next,
                    struct gw_pwjob **jobp);

/*
 * gw_pwhash_result: outcome of a finished job: 0 (hash made / secret
 * matches), -EACCES (no match), -ENOMEM or -EINVAL (bad stored hash).
 * For HASH, the hash is copied to hash_out when it is not NULL.
 */
int gw_pwhash_result(const struct gw_pwjob *job,
                     char hash_out[GW_PWHASH_STRBYTES]);

/* gw_pwhash_release: forget job. A job still running is left to finish
 * and frees itself; NULL-safe. */
void gw_pwhash_release(struct gw_pwjob *job);

/*
 * gw_pwhash_wake: wake ctx's parked request and run `next` on it, once, as the
 * next step of its chain (the completion side of gw_pwhash_start, also
 * used for the gateway's Redis round trips). Call on the loop thread only.
 */
void gw_pwhash_wake(struct mp_ctx *ctx, mp_handler next);

#endif /* GATEWAY_PWHASH_H */
