/*
 * Internal interfaces between the Kore-glue files of lib/src/kore.
 * Services include mp/service.h only.
 */
#ifndef MP_RUNTIME_H
#define MP_RUNTIME_H

#include <stdint.h>

#include "mp/jwt.h"
#include "mp/service.h"

/* Deployment configuration, read once from the environment in the parent
 * (inherited by the workers it forks). */
struct mp_settings {
	char http_host[64];
	int64_t http_port_num;
	char http_port[8];
	char ops_host[64];    /* "" until set: MP_OPS_HOST, else http_host */
	int64_t ops_port_num; /* 0: no ops listener */
	char ops_port[8];
	int64_t header_block_max;
	int64_t workers;
	char log_level[8];
	char db_url[512];
	int64_t db_pool;
	int64_t db_pool_warm;
	char redis_url[256];
	char jwt_keys[1024];
	char jwt_issuer[128];
	char jwt_audience[128];
	int64_t jwt_max_lifetime_s;
	char migrations_dir[256];
	int64_t body_max;
	int64_t shutdown_grace_ms;
	int64_t sweep_ms;
	int64_t claim_idle_ms;
	int64_t max_deliveries;
	char instance[64];
};

extern struct mp_settings mp_settings;
extern struct mp_jwt_keyset *mp_keyset;
extern struct mp_jwt_policy mp_jwt_policy;

/* metrics.c: counters in memory shared by the parent and its workers. */
int mp_metrics_init(size_t nroutes);
void mp_metrics_observe(int route_idx, int status, uint64_t dur_us);
enum mp_gauge {
	MP_G_REDIS_UP,         /* per worker: 1 connected, 0 down */
	MP_G_DB_INFLIGHT,      /* per worker: statements in flight */
	MP_G_OUTBOX_PENDING,   /* last seen by the relay */
	MP_G_OUTBOX_PUBLISHED, /* counter */
	MP_G_EVENTS_CONSUMED,  /* counter */
	MP_G_EVENTS_DUPLICATE, /* counter: already in the inbox */
	MP_G_EVENTS_FAILED,    /* counter */
	MP_G_EVENTS_DEAD,      /* counter: sent to the dead-letter stream */
	MP_G_REDIS_RECONNECTS, /* counter */
	MP_G_REQUESTS_INFLIGHT,
	MP_G__COUNT
};
/* Per worker process (series labelled worker="N", to see the balance):
 * this worker runs, dispatched one more request, gained or lost client
 * connections. mp_metrics_worker_conns returns this worker's open
 * connections and sets the number of running workers and their total. */
void mp_metrics_worker_started(void);
void mp_metrics_worker_request(void);
void mp_metrics_worker_conns_add(int64_t delta);
int64_t mp_metrics_worker_conns(int *nworkers, int64_t *total);
/* Per-worker series are kept in this many slots (a worker's: its Kore id
 * modulo this). */
#define MP_METRICS_WORKER_SLOTS 64
/* balance.c: this worker stopped (1) or resumed (0) accepting; its slot;
 * the slots of the other running workers that stopped (a bit each). */
void mp_metrics_worker_capped_set(int capped);
int mp_metrics_worker_slot(void);
uint64_t mp_metrics_workers_capped(void);
/* balance.c: in the parent, the wake-up descriptors of the workers (0, or
 * -1 with errno set) */
int mp_balance_parent_init(void);
void mp_metrics_gauge_set(enum mp_gauge g, int64_t v);
void mp_metrics_gauge_add(enum mp_gauge g, int64_t delta);
/*
 * Service counters: named series a service declares for itself (the
 * gateway's cache hits, rate-limit refusals...), in the same shared memory.
 * Declare them in the parent (mp_service.parent_init), before the workers
 * fork; at most MP_METRICS_COUNTERS_MAX. `name` is a Prometheus metric name
 * ([a-z_][a-z0-9_]*), `label` NULL or one fixed label pair written as is
 * ("upstream=\"funding\""), `help` one line; all three must have static
 * storage duration. Series of one name share their HELP/TYPE lines.
 * Values are kept per worker and summed on render. Returns the counter's id
 * (>= 0), -EINVAL (bad name, NULL help), -ENOSPC (table full) or -ENODEV
 * (mp_metrics_init not run yet).
 */
#define MP_METRICS_COUNTERS_MAX 96
int mp_metrics_counter_new(const char *name, const char *label,
                           const char *help, int is_gauge);
/* Add to / set this worker's share of counter `id` (ignored when id < 0). */
void mp_metrics_counter_add(int id, int64_t delta);
void mp_metrics_counter_set(int id, int64_t v);
/* Render Prometheus text into a malloc'd buffer. */
int mp_metrics_render(char **out, size_t *len);

/* redis.c: hiredis async on the worker's event loop. */
int mp_redis_worker_start(const char *url);
void mp_redis_worker_stop(void);
int mp_redis_connected(void);
/* Send a command (argv style); cb runs with the reply (NULL on failure).
 * Returns 0 when queued, -ENOTCONN while Redis is down. */
int mp_redis_command(void (*cb)(void *reply, void *arg), void *arg, int argc,
                     const char **argv, const size_t *argvlen);

/* balance.c: count this worker's connections and keep it from taking
 * more than its share (call once in each worker). */
struct connection;
void mp_balance_worker_start(void);
/* netio.c: the worker's reads of client sockets (at worker start, then
 * for each connection from mp_http_connect) */
void mp_netio_worker_start(void);
void mp_netio_connection(struct connection *c);
/* The peer's address of c as inet_ntop writes it ("" when c is NULL, not
 * IP, or outlen is too small; INET6_ADDRSTRLEN is always enough). */
void mp_peer_addr(const struct connection *c, char *out, size_t outlen);

/* phases.c: where requests' time goes, when MP_BENCH_PHASES names a
 * directory (mp/phases.h). Start/stop once in each worker; begin at a
 * request's first dispatch, mark each phase (an enum mp_phase) when it is
 * reached (only the first statement's are kept), read each time the
 * worker's loop reads part (complete 0) or the end (1) of a result, end
 * when the request is freed (writes the record). Each is a no-op when the
 * variable is unset or the request has no record. */
void mp_phases_worker_start(void);
void mp_phases_worker_stop(void);
void mp_phase_begin(struct mp_ctx *ctx);
void mp_phase_mark(struct mp_ctx *ctx, int which);
void mp_phase_read(struct mp_ctx *ctx, int complete);
void mp_phase_end(struct mp_ctx *ctx);

/* db.c */
/* Open up to mp_settings.db_pool_warm connections of this worker's pool
 * now, before it serves (Kore opens a pool connection with a blocking
 * connect inside the event loop: growing the pool under load stalls every
 * request of the worker for each handshake). */
void mp_db_worker_warm(void);
int mp_db_resume(struct mp_ctx *ctx);
void mp_db_ctx_free(struct mp_ctx *ctx);

/* events (relay/consumer threads) started in each worker. */
/* In the parent, before the workers fork: declares the per-stream consumer
 * lag gauges. 0, or -1 when the metrics table is full. */
int mp_events_parent_init(void);
int mp_events_worker_start(void);
/* Wake this worker's relay (after a write): never blocks. */
void mp_events_poke(void);
void mp_events_worker_stop(void);

/* reply.c */
void mp_query_free(struct mp_ctx *ctx);
/* reply.c: release the request's response header buffer */
void mp_reply_headers_free(struct mp_ctx *ctx);

/* app.c: 1 when the request came in on the ops listener (MP_OPS_PORT). */
int mp_request_on_ops(const struct mp_ctx *ctx);

/* health.c: -ENOENT when `path` is not an ops endpoint, else MP_DONE or
 * MP_WAIT. */
int mp_health_route(struct mp_ctx *ctx, const char *path);

#endif
