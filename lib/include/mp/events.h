/*
 * Events between services: transactional outbox, relay, consumer.
 *
 * Producer side: a service writes its change and calls the SQL function
 * mp_emit(type, subject, data, request_id) in the SAME statement or SQL
 * function, so both commit together (installed by the built-in migration
 * lib-0001, see migrate.c). The relay thread publishes committed rows to
 * the Redis stream "events:<service>" as CloudEvents 1.0 JSON and marks
 * them sent. At-least-once: a crash between XADD and the UPDATE publishes
 * a row twice, which the consumers' inbox absorbs.
 *
 * Consumer side: a thread reads a stream in a consumer group; the events
 * of one read (up to 256) are applied in ONE transaction of its own
 * database, each as the insert of its id into `inbox` and the service's
 * effect, and acknowledged with one XACK after COMMIT. When one of them
 * fails or is rejected, the transaction is rolled back and the read is
 * applied again one event per transaction, so that only that event is
 * retried or dead-lettered. Of all the workers and replicas of a service,
 * one consumer per stream applies at a time (a session advisory lock on
 * its connection), so events are applied in stream order; another takes
 * over when it dies. Entries left pending by a dead consumer are claimed
 * with XAUTOCLAIM; after max_deliveries failed deliveries an entry goes to
 * "<stream>:dead" and is acknowledged.
 *
 * These threads use blocking libpq and hiredis: they run beside Kore's
 * loop, never inside it, so they cannot stall request handling.
 */
#ifndef MP_EVENTS_H
#define MP_EVENTS_H

#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

/* Apply one event (a CloudEvent object, borrowed) inside the consumer's
 * transaction on `conn` (NULL for consumers without a database). Return 0
 * to commit, negative to roll back and have it redelivered, or
 * MP_CONSUME_REJECT to roll back and move it to the dead-letter stream at
 * once (an unknown type or malformed data: redelivering cannot help, and
 * the stream goes on). */
#define MP_CONSUME_REJECT 1

typedef int (*mp_consume_fn)(PGconn *conn, const json_t *event, void *arg);

struct mp_consumer_def {
	const char *stream; /* "events:funding" */
	const char *group;  /* "gender" */
	mp_consume_fn apply;
	void *arg;
	int use_db; /* 1: inbox + transaction in the service database */
};

enum mp_event_metric {
	MP_EM_PENDING,   /* set: rows waiting in the outbox */
	MP_EM_PUBLISHED, /* add */
	MP_EM_CONSUMED,
	MP_EM_DUPLICATE,
	MP_EM_FAILED,
	MP_EM_DEAD,
};

struct mp_events_cfg {
	const char *service;
	const char *db_url;
	const char *redis_url;
	int64_t sweep_ms;
	int64_t claim_idle_ms;
	int64_t max_deliveries;
	const char *consumer_name; /* unique per process */
	const char
	    *crash_before_ack; /* test fault point: path of a flag file */
	void (*metric)(enum mp_event_metric m, int64_t v);
	/* Optional: the group's lag on a consumer's stream (entries not yet
	 * delivered to the group, XINFO GROUPS), reported every few seconds
	 * by that consumer's thread; NULL reports nothing. */
	void (*lag)(const struct mp_consumer_def *def, int64_t lag);
};

struct mp_relay;
struct mp_consumer;

/* Start the relay thread. cfg strings must outlive the relay. */
int mp_relay_start(const struct mp_events_cfg *cfg, struct mp_relay **out);
/* Wake the relay for a round now (after a transaction that may have
 * written to the outbox). Never blocks; NULL is ignored. */
void mp_relay_poke(struct mp_relay *r);
/* Publish what is left (one last round, bounded), stop and free. */
void mp_relay_stop(struct mp_relay *r);

int mp_consumer_start(const struct mp_events_cfg *cfg,
                      const struct mp_consumer_def *def,
                      struct mp_consumer **out);
void mp_consumer_stop(struct mp_consumer *c);

/* The calling consumer thread's own Redis connection (hiredis, blocking),
 * for an apply function whose effect lives in Redis rather than in a
 * database (use_db 0). Valid only inside apply, in that thread; NULL
 * elsewhere. Borrowed: never free it; on a failed command return
 * negative from apply and the thread reconnects and redelivers. */
struct redisContext *mp_consumer_redis(void);

/* Build the CloudEvent JSON for an outbox row (exposed for tests).
 * data_json is the row's jsonb text. Returns a malloc'd string or NULL. */
char *mp_cloudevent_encode(const char *service, const char *id,
                           const char *type, const char *subject,
                           const char *time, const char *data_json,
                           const char *request_id);

#endif
