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
	int64_t workers;
	char log_level[8];
	char db_url[512];
	int64_t db_pool;
	char redis_url[256];
	char jwt_keys[1024];
	char jwt_issuer[128];
	char jwt_audience[128];
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
	MP_G_REDIS_UP,        /* per worker: 1 connected, 0 down */
	MP_G_DB_INFLIGHT,     /* per worker: statements in flight */
	MP_G_OUTBOX_PENDING,  /* last seen by the relay */
	MP_G_OUTBOX_PUBLISHED,/* counter */
	MP_G_EVENTS_CONSUMED, /* counter */
	MP_G_EVENTS_DUPLICATE,/* counter: already in the inbox */
	MP_G_EVENTS_FAILED,   /* counter */
	MP_G_EVENTS_DEAD,     /* counter: sent to the dead-letter stream */
	MP_G_REDIS_RECONNECTS,/* counter */
	MP_G_REQUESTS_INFLIGHT,
	MP_G__COUNT
};
void mp_metrics_gauge_set(enum mp_gauge g, int64_t v);
void mp_metrics_gauge_add(enum mp_gauge g, int64_t delta);
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

/* db.c */
int mp_db_resume(struct mp_ctx *ctx);
void mp_db_ctx_free(struct mp_ctx *ctx);

/* events (relay/consumer threads) started in each worker. */
int mp_events_worker_start(void);
void mp_events_worker_stop(void);

/* reply.c */
void mp_query_free(struct mp_ctx *ctx);

/* health.c: -ENOENT when `path` is not an ops endpoint, else MP_DONE or
 * MP_WAIT. */
int mp_health_route(struct mp_ctx *ctx, const char *path);

#endif
