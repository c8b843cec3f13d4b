/*
 * Starts the event threads of mp/events.h in each worker from the
 * service definition and the settings, and feeds their counters to the
 * shared metrics.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>

#include "mp/events.h"
#include "mp/log.h"
#include "mp/revocation.h"
#include "mp/runtime.h"
#include "mp/service.h"

#define MAX_CONSUMERS 8

static void em(enum mp_event_metric m, int64_t v);
static void lag(const struct mp_consumer_def *def, int64_t v);
static int revocation_then(PGconn *conn, const json_t *event, void *arg);
static size_t consumer_defs(struct mp_consumer_def *out, size_t max);

static struct mp_events_cfg cfg;
static char consumer_name[160];
static struct mp_relay *relay;
static struct mp_consumer *consumers[MAX_CONSUMERS];
/* mp_events_consumer_lag{stream="..."}: one gauge a consumed stream */
static char lag_label[MAX_CONSUMERS][160];
static int lag_metric[MAX_CONSUMERS] = {-1, -1, -1, -1, -1, -1, -1, -1};
/* What the workers run, set in the parent (consumer_defs) */
static struct mp_consumer_def defs[MAX_CONSUMERS];
static size_t ndefs;

/* The library's revocation effect, then the service's own consumer of
 * the same stream (arg: its definition), in one transaction. */
static int
revocation_then(PGconn *conn, const json_t *event, void *arg)
{
	const struct mp_consumer_def *svc = arg;
	int rc;

	if ((rc = mp_revocation_apply(conn, event, NULL)) != 0)
		return rc;
	return svc->apply(conn, event, svc->arg);
}

/*
 * The consumers each worker runs: the service's, plus the revocation
 * consumer when it declares revocation. One stream read by two groups of
 * one database would record each event once in the inbox and the second
 * would skip it as a duplicate, so a service consumer of the revocation
 * stream is wrapped rather than doubled. Returns the count.
 */
static size_t
consumer_defs(struct mp_consumer_def *out, size_t max)
{
	const struct mp_consumer_def *d;
	size_t n = 0;
	int wrapped = 0;

	for (d = mp_service_def.consumers;
	     d != NULL && d->stream != NULL && n < max; d++) {
		out[n] = *d;
		if (mp_service_def.revocation && d->use_db &&
		    strcmp(d->stream, MP_REVOCATION_STREAM) == 0) {
			out[n].apply = revocation_then;
			out[n].arg = (void *)(uintptr_t)d;
			wrapped = 1;
		}
		n++;
	}
	if (mp_service_def.revocation && !wrapped && n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].stream = MP_REVOCATION_STREAM;
		out[n].group = mp_service_def.name;
		out[n].apply = mp_revocation_apply;
		out[n].use_db = 1;
		n++;
	}
	return n;
}

static void
em(enum mp_event_metric m, int64_t v)
{
	switch (m) {
	case MP_EM_PENDING:
		mp_metrics_gauge_set(MP_G_OUTBOX_PENDING, v);
		break;
	case MP_EM_PUBLISHED:
		mp_metrics_gauge_add(MP_G_OUTBOX_PUBLISHED, v);
		break;
	case MP_EM_CONSUMED:
		mp_metrics_gauge_add(MP_G_EVENTS_CONSUMED, v);
		break;
	case MP_EM_DUPLICATE:
		mp_metrics_gauge_add(MP_G_EVENTS_DUPLICATE, v);
		break;
	case MP_EM_FAILED:
		mp_metrics_gauge_add(MP_G_EVENTS_FAILED, v);
		break;
	case MP_EM_DEAD:
		mp_metrics_gauge_add(MP_G_EVENTS_DEAD, v);
		break;
	}
}

/* Every worker's consumer of a stream sees the same group lag, and the
 * metrics sum the workers' shares: worker 1 alone reports it. */
static void
lag(const struct mp_consumer_def *def, int64_t v)
{
	size_t i;

	if (worker == NULL || worker->id != 1)
		return;
	for (i = 0; i < ndefs; i++)
		if (strcmp(defs[i].stream, def->stream) == 0)
			mp_metrics_counter_set(lag_metric[i], v);
}

int
mp_events_parent_init(void)
{
	size_t i;

	ndefs = consumer_defs(defs, MAX_CONSUMERS);
	for (i = 0; i < ndefs; i++) {
		snprintf(lag_label[i], sizeof(lag_label[i]), "stream=\"%s\"",
		         defs[i].stream);
		lag_metric[i] = mp_metrics_counter_new(
		    "mp_events_consumer_lag", lag_label[i],
		    "Entries of the stream not yet delivered to "
		    "the service's consumer group",
		    1);
		if (lag_metric[i] < 0)
			return -1;
	}
	return 0;
}

void
mp_events_poke(void)
{
	mp_relay_poke(relay);
}

int
mp_events_worker_start(void)
{
	size_t i;

	if (mp_settings.redis_url[0] == '\0')
		return 0;
	snprintf(consumer_name, sizeof(consumer_name), "%s-%d",
	         mp_settings.instance, (int)getpid());
	cfg.service = mp_service_def.name;
	cfg.db_url = mp_settings.db_url;
	cfg.redis_url = mp_settings.redis_url;
	cfg.sweep_ms = mp_settings.sweep_ms;
	cfg.claim_idle_ms = mp_settings.claim_idle_ms;
	cfg.max_deliveries = mp_settings.max_deliveries;
	cfg.consumer_name = consumer_name;
	cfg.crash_before_ack = getenv("MP_FAULT_CRASH_BEFORE_ACK");
	cfg.metric = em;
	cfg.lag = lag;
	if (mp_service_def.relay && mp_service_def.uses_db &&
	    mp_relay_start(&cfg, &relay) != 0)
		return -1;
	for (i = 0; i < ndefs; i++) {
		if (mp_consumer_start(&cfg, &defs[i], &consumers[i]) != 0)
			return -1;
	}
	return 0;
}

void
mp_events_worker_stop(void)
{
	int i;

	for (i = 0; i < MAX_CONSUMERS; i++) {
		mp_consumer_stop(consumers[i]);
		consumers[i] = NULL;
	}
	mp_relay_stop(relay);
	relay = NULL;
}
