/*
 * Prometheus metrics shared by all the workers of a process.
 *
 * Kore's workers are separate processes and /metrics is answered by
 * whichever one accepts the scrape, so counters live in one anonymous
 * shared mapping made by the parent before it forks; workers update them
 * with atomic adds and any worker can render the whole picture. Fixed
 * sizes (routes known at start, a closed list of status codes, fixed
 * latency buckets) keep it lock-free and bounded: labels never come from
 * client input.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/runtime.h"
#include "mp/service.h"

#define MAX_SLOTS MP_METRICS_WORKER_SLOTS

static const int statuses[] = {200, 201, 202, 204, 301, 302, 304, 400,
                               401, 403, 404, 405, 409, 412, 413, 415,
                               422, 428, 429, 500, 502, 503, 504, 0};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))
/* Upper bounds in microseconds; the last bucket is +Inf. */
static const uint64_t buckets_us[] = {500,    1000,   2500,    5000,
                                      10000,  25000,  50000,   100000,
                                      250000, 500000, 1000000, 2500000};
#define NBUCKET (sizeof(buckets_us) / sizeof(buckets_us[0]))

struct route_stats {
	uint64_t count[NSTATUS];
	uint64_t bucket[NBUCKET + 1];
	uint64_t sum_us;
};

struct shm {
	size_t nroutes;
	/* per worker: started, requests dispatched, open client connections */
	int64_t worker_up[MAX_SLOTS];
	uint64_t worker_requests[MAX_SLOTS];
	int64_t worker_conns[MAX_SLOTS];
	int64_t worker_capped[MAX_SLOTS]; /* balance.c: not accepting */
	int64_t gauges[MAX_SLOTS][MP_G__COUNT];
	int64_t counters[MAX_SLOTS][MP_METRICS_COUNTERS_MAX];
	struct route_stats routes[]; /* nroutes + 1 (unmatched) */
};

static struct shm *shm;

/* Service counters: declared in the parent, inherited by the workers. */
static struct {
	const char *name, *label, *help;
	int is_gauge;
} counter_info[MP_METRICS_COUNTERS_MAX];
static int ncounters;

static int metric_name_ok(const char *name);

static const struct {
	const char *name, *type, *help;
	int reduce_max; /* 1: max over workers, 0: sum */
} gauge_info[MP_G__COUNT] = {
    [MP_G_REDIS_UP] = {"mp_redis_up_workers", "gauge",
                       "Workers with a live Redis connection", 0},
    [MP_G_DB_INFLIGHT] = {"mp_db_statements_inflight", "gauge",
                          "Statements waiting for PostgreSQL", 0},
    [MP_G_OUTBOX_PENDING] = {"mp_outbox_pending", "gauge",
                             "Outbox rows not yet published", 1},
    [MP_G_OUTBOX_PUBLISHED] = {"mp_outbox_published_total", "counter",
                               "Events published to the stream", 0},
    [MP_G_EVENTS_CONSUMED] = {"mp_events_consumed_total", "counter",
                              "Events applied by consumers", 0},
    [MP_G_EVENTS_DUPLICATE] = {"mp_events_duplicate_total", "counter",
                               "Redelivered events skipped thanks to the inbox",
                               0},
    [MP_G_EVENTS_FAILED] = {"mp_events_failed_total", "counter",
                            "Event deliveries that failed", 0},
    [MP_G_EVENTS_DEAD] = {"mp_events_dead_lettered_total", "counter",
                          "Events moved to the dead-letter stream", 0},
    [MP_G_REDIS_RECONNECTS] = {"mp_redis_reconnects_total", "counter",
                               "Redis reconnection attempts", 0},
    [MP_G_REQUESTS_INFLIGHT] = {"mp_http_requests_inflight", "gauge",
                                "HTTP requests being served", 0},
};

int
mp_metrics_init(size_t nroutes)
{
	size_t len =
	    sizeof(struct shm) + (nroutes + 1) * sizeof(struct route_stats);
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	         -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	shm = p;
	shm->nroutes = nroutes;
	return 0;
}

static int
slot(void)
{
	if (worker == NULL)
		return 0;
	return (int)(worker->id % MAX_SLOTS);
}

void
mp_metrics_observe(int route_idx, int status, uint64_t dur_us)
{
	struct route_stats *rs;
	size_t i, idx;

	if (shm == NULL)
		return;
	idx = route_idx < 0 || (size_t)route_idx >= shm->nroutes
	          ? shm->nroutes
	          : (size_t)route_idx;
	rs = &shm->routes[idx];
	for (i = 0; i < NSTATUS - 1 && statuses[i] != status; i++)
		;
	__atomic_fetch_add(&rs->count[i], 1, __ATOMIC_RELAXED);
	for (i = 0; i < NBUCKET && dur_us > buckets_us[i]; i++)
		;
	__atomic_fetch_add(&rs->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&rs->sum_us, dur_us, __ATOMIC_RELAXED);
}

/* A worker Kore starts, or restarts after its predecessor in this slot
 * died: what its gauges said was the dead worker's state (its connections,
 * statements in flight, idle upstream connections...), which died with it.
 * The slot's gauges start again from zero; counters keep counting. */
void
mp_metrics_worker_started(void)
{
	int s, i;

	if (shm == NULL)
		return;
	s = slot();
	__atomic_store_n(&shm->worker_conns[s], 0, __ATOMIC_RELAXED);
	for (i = 0; i < MP_G__COUNT; i++)
		if (strcmp(gauge_info[i].type, "gauge") == 0)
			__atomic_store_n(&shm->gauges[s][i], 0,
			                 __ATOMIC_RELAXED);
	for (i = 0; i < ncounters; i++)
		if (counter_info[i].is_gauge)
			__atomic_store_n(&shm->counters[s][i], 0,
			                 __ATOMIC_RELAXED);
	__atomic_store_n(&shm->worker_up[s], 1, __ATOMIC_RELAXED);
}

void
mp_metrics_worker_request(void)
{
	if (shm != NULL)
		__atomic_fetch_add(&shm->worker_requests[slot()], 1,
		                   __ATOMIC_RELAXED);
}

void
mp_metrics_worker_conns_add(int64_t delta)
{
	if (shm != NULL)
		__atomic_fetch_add(&shm->worker_conns[slot()], delta,
		                   __ATOMIC_RELAXED);
}

void
mp_metrics_worker_capped_set(int capped)
{
	if (shm != NULL)
		__atomic_store_n(&shm->worker_capped[slot()], capped ? 1 : 0,
		                 __ATOMIC_RELAXED);
}

int
mp_metrics_worker_slot(void)
{
	return slot();
}

uint64_t
mp_metrics_workers_capped(void)
{
	uint64_t mask = 0;
	int s;

	if (shm == NULL)
		return 0;
	for (s = 0; s < MAX_SLOTS; s++)
		if (s != slot() &&
		    __atomic_load_n(&shm->worker_up[s], __ATOMIC_RELAXED) &&
		    __atomic_load_n(&shm->worker_capped[s], __ATOMIC_RELAXED))
			mask |= (uint64_t)1 << s;
	return mask;
}

int64_t
mp_metrics_worker_conns(int *nworkers, int64_t *total)
{
	int64_t mine = 0, v;
	int s, n = 0;

	*total = 0;
	if (shm == NULL) {
		*nworkers = 1;
		return 0;
	}
	for (s = 0; s < MAX_SLOTS; s++) {
		if (!__atomic_load_n(&shm->worker_up[s], __ATOMIC_RELAXED))
			continue;
		v = __atomic_load_n(&shm->worker_conns[s], __ATOMIC_RELAXED);
		*total += v;
		n++;
		if (s == slot())
			mine = v;
	}
	*nworkers = n > 0 ? n : 1;
	return mine;
}

void
mp_metrics_gauge_set(enum mp_gauge g, int64_t v)
{
	if (shm != NULL)
		__atomic_store_n(&shm->gauges[slot()][g], v, __ATOMIC_RELAXED);
}

void
mp_metrics_gauge_add(enum mp_gauge g, int64_t delta)
{
	if (shm != NULL)
		__atomic_fetch_add(&shm->gauges[slot()][g], delta,
		                   __ATOMIC_RELAXED);
}

static int
metric_name_ok(const char *name)
{
	const char *p;

	if (name == NULL || !((*name >= 'a' && *name <= 'z') || *name == '_'))
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return 0;
	return p - name <= 96;
}

int
mp_metrics_counter_new(const char *name, const char *label, const char *help,
                       int is_gauge)
{
	if (shm == NULL)
		return -ENODEV;
	if (!metric_name_ok(name) || help == NULL)
		return -EINVAL;
	if (ncounters >= MP_METRICS_COUNTERS_MAX)
		return -ENOSPC;
	counter_info[ncounters].name = name;
	counter_info[ncounters].label = label;
	counter_info[ncounters].help = help;
	counter_info[ncounters].is_gauge = is_gauge;
	return ncounters++;
}

void
mp_metrics_counter_add(int id, int64_t delta)
{
	if (shm != NULL && id >= 0 && id < ncounters)
		__atomic_fetch_add(&shm->counters[slot()][id], delta,
		                   __ATOMIC_RELAXED);
}

void
mp_metrics_counter_set(int id, int64_t v)
{
	if (shm != NULL && id >= 0 && id < ncounters)
		__atomic_store_n(&shm->counters[slot()][id], v,
		                 __ATOMIC_RELAXED);
}

int
mp_metrics_render(char **out, size_t *outlen)
{
	const struct mp_service *svc = &mp_service_def;
	const char *pattern, *svcname = svc->name;
	struct route_stats *rs;
	uint64_t cum, v;
	int64_t agg, gv;
	size_t r, i, s;
	FILE *f;

	*out = NULL;
	*outlen = 0;
	if (shm == NULL)
		return -ENODEV;
	if ((f = open_memstream(out, outlen)) == NULL)
		return -ENOMEM;

	fprintf(f,
	        "# HELP mp_http_requests_total HTTP requests by route "
	        "pattern and status.\n# TYPE mp_http_requests_total counter\n");
	for (r = 0; r <= shm->nroutes; r++) {
		rs = &shm->routes[r];
		pattern = r < shm->nroutes ? svc->routes[r].pattern : "other";
		for (s = 0; s < NSTATUS; s++) {
			v = __atomic_load_n(&rs->count[s], __ATOMIC_RELAXED);
			if (v == 0)
				continue;
			char code[8];

			if (statuses[s] != 0)
				snprintf(code, sizeof(code), "%d", statuses[s]);
			else
				snprintf(code, sizeof(code), "other");
			fprintf(f,
			        "mp_http_requests_total{service=\"%s\","
			        "route=\"%s\",method=\"%s\",status=\"%s\"} "
			        "%llu\n",
			        svcname, pattern,
			        r < shm->nroutes
			            ? http_method_text(svc->routes[r].method)
			            : "any",
			        code, (unsigned long long)v);
		}
	}
	fprintf(
	    f, "# HELP mp_http_request_duration_seconds Latency by route "
	       "pattern.\n# TYPE mp_http_request_duration_seconds histogram\n");
	for (r = 0; r <= shm->nroutes; r++) {
		rs = &shm->routes[r];
		pattern = r < shm->nroutes ? svc->routes[r].pattern : "other";
		cum = 0;
		for (i = 0; i <= NBUCKET; i++)
			cum +=
			    __atomic_load_n(&rs->bucket[i], __ATOMIC_RELAXED);
		if (cum == 0)
			continue;
		cum = 0;
		for (i = 0; i <= NBUCKET; i++) {
			cum +=
			    __atomic_load_n(&rs->bucket[i], __ATOMIC_RELAXED);
			if (i < NBUCKET)
				fprintf(f,
				        "mp_http_request_duration_seconds_"
				        "bucket{service=\"%s\",route=\"%s\","
				        "le=\"%g\"} %llu\n",
				        svcname, pattern,
				        (double)buckets_us[i] / 1e6,
				        (unsigned long long)cum);
			else
				fprintf(f,
				        "mp_http_request_duration_seconds_"
				        "bucket{service=\"%s\",route=\"%s\","
				        "le=\"+Inf\"} %llu\n",
				        svcname, pattern,
				        (unsigned long long)cum);
		}
		fprintf(f,
		        "mp_http_request_duration_seconds_sum{service=\"%s\","
		        "route=\"%s\"} %.6f\n",
		        svcname, pattern,
		        (double)__atomic_load_n(&rs->sum_us, __ATOMIC_RELAXED) /
		            1e6);
		fprintf(f,
		        "mp_http_request_duration_seconds_count{service="
		        "\"%s\",route=\"%s\"} %llu\n",
		        svcname, pattern, (unsigned long long)cum);
	}
	fprintf(f, "# HELP mp_worker_http_requests_total HTTP requests "
	           "dispatched by each worker process.\n# TYPE "
	           "mp_worker_http_requests_total counter\n");
	for (s = 0; s < MAX_SLOTS; s++)
		if (__atomic_load_n(&shm->worker_up[s], __ATOMIC_RELAXED))
			fprintf(
			    f,
			    "mp_worker_http_requests_total{service="
			    "\"%s\",worker=\"%zu\"} %llu\n",
			    svcname, s,
			    (unsigned long long)__atomic_load_n(
			        &shm->worker_requests[s], __ATOMIC_RELAXED));
	fprintf(
	    f, "# HELP mp_worker_connections Client connections open "
	       "on each worker process.\n# TYPE mp_worker_connections gauge\n");
	for (s = 0; s < MAX_SLOTS; s++)
		if (__atomic_load_n(&shm->worker_up[s], __ATOMIC_RELAXED))
			fprintf(f,
			        "mp_worker_connections{service=\"%s\","
			        "worker=\"%zu\"} %lld\n",
			        svcname, s,
			        (long long)__atomic_load_n(
			            &shm->worker_conns[s], __ATOMIC_RELAXED));
	for (i = 0; i < MP_G__COUNT; i++) {
		agg = 0;
		for (s = 0; s < MAX_SLOTS; s++) {
			gv = __atomic_load_n(&shm->gauges[s][i],
			                     __ATOMIC_RELAXED);
			if (gauge_info[i].reduce_max)
				agg = gv > agg ? gv : agg;
			else
				agg += gv;
		}
		fprintf(f,
		        "# HELP %s %s.\n# TYPE %s %s\n%s{service=\"%s\"} "
		        "%lld\n",
		        gauge_info[i].name, gauge_info[i].help,
		        gauge_info[i].name, gauge_info[i].type,
		        gauge_info[i].name, svcname, (long long)agg);
	}
	for (i = 0; i < (size_t)ncounters; i++) {
		int seen = 0;

		for (r = 0; r < i; r++)
			if (strcmp(counter_info[r].name,
			           counter_info[i].name) == 0)
				seen = 1;
		if (!seen)
			fprintf(f, "# HELP %s %s.\n# TYPE %s %s\n",
			        counter_info[i].name, counter_info[i].help,
			        counter_info[i].name,
			        counter_info[i].is_gauge ? "gauge" : "counter");
		agg = 0;
		for (s = 0; s < MAX_SLOTS; s++)
			agg += __atomic_load_n(&shm->counters[s][i],
			                       __ATOMIC_RELAXED);
		fprintf(
		    f, "%s{service=\"%s\"%s%s} %lld\n", counter_info[i].name,
		    svcname, counter_info[i].label != NULL ? "," : "",
		    counter_info[i].label != NULL ? counter_info[i].label : "",
		    (long long)agg);
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
