/*
 * Outbox relay and stream consumer threads (contract in mp/events.h).
 *
 * Both are plain threads with blocking libpq and hiredis connections of
 * their own. They reconnect forever with back-off and never lose an
 * event: the relay marks a row sent only after Redis acknowledged the
 * XADD, and the consumer acknowledges an entry only after its effect
 * committed. The relay publishes under a transaction-scoped advisory lock
 * so that only one relay (of all workers and replicas) publishes at a
 * time, in outbox order.
 *
 * Waking: the relay sweeps the outbox every MP_OUTBOX_SWEEP_MS, and a
 * worker whose request wrote pokes its relay's pipe (mp_relay_poke) so
 * events go out at once (no LISTEN/NOTIFY: NOTIFY serialises commits).
 * Stopping: the same pipe wakes the thread out of poll(); the relay runs
 * one last round before it exits so SIGTERM does not strand committed
 * events.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "mp/events.h"
#include "mp/log.h"
#include "mp/redisurl.h"
#include "mp/util.h"

#define RELAY_BATCH 256
#define RELAY_LOCK_KEY "7283910001"
/* Entries read (and applied in one transaction) at most at a time. */
#define CONSUMER_BATCH 256
#define BACKOFF_MAX_MS 5000

struct link {
	PGconn *pg;
	redisContext *rd;
	int wake[2];
	volatile int stop;
	int64_t backoff_ms;
};

struct mp_relay {
	struct mp_events_cfg cfg;
	struct link l;
	pthread_t thread;
	char stream[128];
	unsigned rounds;
};

struct mp_consumer {
	struct mp_events_cfg cfg;
	struct mp_consumer_def def;
	struct link l;
	pthread_t thread;
	char dead[160];
	int64_t last_claim_ms;
	int64_t last_lag_ms;
	int leading; /* holds the group's lock on l.pg (consumer_lead) */
	int grouped; /* XGROUP CREATE done since the last (re)connection */
};

/* The consumer whose apply runs in this thread (mp_consumer_redis). */
static _Thread_local struct mp_consumer *current_consumer;

static void consumer_report_lag(struct mp_consumer *c);
static void link_sleep(struct link *l, int64_t ms);
static int link_pg(struct link *l, const char *url);
static int link_redis(struct link *l, const char *url);
static void link_close(struct link *l);
static void metric(const struct mp_events_cfg *c, enum mp_event_metric m,
                   int64_t v);
static int relay_round(struct mp_relay *r);
static void marker_key(const struct mp_relay *r, const char *event_id,
                       char *out, size_t outlen);
static void markers_delete(struct mp_relay *r, const PGresult *res, int n);
static void relay_housekeeping(struct mp_relay *r);
static void *relay_main(void *arg);
static void *consumer_main(void *arg);
static int consumer_handle(struct mp_consumer *c, const char *id,
                           const char *payload, size_t len);
static int consumer_apply(struct mp_consumer *c, json_t *ev, int *dup);
static int consumer_inbox(struct mp_consumer *c, json_t *const *evs, size_t n,
                          unsigned char *fresh);
static int consumer_effect(struct mp_consumer *c, const json_t *ev);
static int consumer_batch(struct mp_consumer *c, const redisReply *entries);
static int consumer_ack(struct mp_consumer *c, const char *const *ids,
                        size_t n);
static void consumer_fault_after_commit(const struct mp_consumer *c);
static int consumer_claim(struct mp_consumer *c);
static int consumer_read(struct mp_consumer *c);
static int consumer_lead(struct mp_consumer *c);
static void consumer_dead_letter(struct mp_consumer *c, const char *id,
                                 const char *payload, size_t len,
                                 const char *why);
static int pg_exec_ok(PGconn *pg, const char *sql);
static int entry_event(const redisReply *e, const char **id,
                       const char **payload, size_t *len);

static void
metric(const struct mp_events_cfg *c, enum mp_event_metric m, int64_t v)
{
	if (c->metric != NULL)
		c->metric(m, v);
}

/* Sleep up to ms, woken early by stop or (relay) a worker's poke. */
static void
link_sleep(struct link *l, int64_t ms)
{
	struct pollfd pfd;
	char buf[64];

	pfd.fd = l->wake[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (int)ms) > 0 && (pfd.revents & POLLIN))
		/* drain: one round serves every poke */
		while (read(l->wake[0], buf, sizeof(buf)) > 0)
			;
}

static int
pg_exec_ok(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	         PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	return ok ? 0 : -EIO;
}

static int
link_pg(struct link *l, const char *url)
{
	if (l->pg != NULL && PQstatus(l->pg) == CONNECTION_OK)
		return 0;
	if (l->pg != NULL)
		PQfinish(l->pg);
	l->pg = PQconnectdb(url);
	if (PQstatus(l->pg) != CONNECTION_OK) {
		PQfinish(l->pg);
		l->pg = NULL;
		return -ECONNREFUSED;
	}
	return 0;
}

static int
link_redis(struct link *l, const char *url)
{
	struct mp_redis_addr a;
	struct timeval tv = {2, 0};
	redisReply *rep;
	int rc = 0;

	if (l->rd != NULL && l->rd->err == 0)
		return 0;
	if (l->rd != NULL) {
		redisFree(l->rd);
		l->rd = NULL;
	}
	if (mp_redis_url_parse(url, &a) != 0)
		return -EINVAL;
	l->rd = redisConnectWithTimeout(a.host, a.port, tv);
	if (l->rd == NULL || l->rd->err) {
		rc = -ECONNREFUSED;
		goto done;
	}
	tv.tv_sec = 10;
	redisSetTimeout(l->rd, tv);
	if (a.password[0] != '\0') {
		rep = redisCommand(l->rd, "AUTH %s", a.password);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
			rc = -EACCES;
		freeReplyObject(rep);
	}
	if (rc == 0 && a.db != 0) {
		rep = redisCommand(l->rd, "SELECT %d", a.db);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
			rc = -EIO;
		freeReplyObject(rep);
	}
done:
	memset(a.password, 0, sizeof(a.password));
	if (rc != 0 && l->rd != NULL) {
		redisFree(l->rd);
		l->rd = NULL;
	}
	return rc;
}

static void
link_close(struct link *l)
{
	if (l->pg != NULL)
		PQfinish(l->pg);
	if (l->rd != NULL)
		redisFree(l->rd);
	l->pg = NULL;
	l->rd = NULL;
	close(l->wake[0]);
	close(l->wake[1]);
}

char *
mp_cloudevent_encode(const char *service, const char *id, const char *type,
                     const char *subject, const char *time,
                     const char *data_json, const char *request_id)
{
	json_t *ev, *data;
	char source[96];
	char *out;

	data = json_loads(data_json, JSON_DECODE_ANY, NULL);
	if (data == NULL)
		return NULL;
	snprintf(source, sizeof(source), "urn:mp:%s", service);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "specversion",
	               "1.0", "id", id, "source", source, "type", type, "time",
	               time, "datacontenttype", "application/json", "data",
	               data);
	if (ev == NULL)
		return NULL;
	if (subject != NULL && subject[0] != '\0')
		json_object_set_new(ev, "subject", json_string(subject));
	if (request_id != NULL && request_id[0] != '\0')
		json_object_set_new(ev, "requestid", json_string(request_id));
	out = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
	return out;
}

/*
 * One publication round: returns the number of rows published, 0 when
 * there was nothing to do (or another relay holds the lock), negative on
 * a connection failure (the caller reconnects; nothing is marked sent).
 */
/*
 * Exactly once in the stream, also across a crash between XADD and the
 * COMMIT that marks the row sent: each event is added together with a
 * marker key (SET NX) in one atomic script; a row published before the
 * crash finds its marker after the restart and is only marked sent. The
 * marker is deleted once the row is marked sent, and expires after a day
 * otherwise (longer than any outage the relay rides out).
 */
static const char publish_once_lua[] =
    "if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 86400) then "
    "return redis.call('XADD', KEYS[1], 'MAXLEN', '~', '1000000', '*', "
    "'type', ARGV[1], 'event', ARGV[2]) end return false";

static void
marker_key(const struct mp_relay *r, const char *event_id, char *out,
           size_t outlen)
{
	snprintf(out, outlen, "%s:published:%s", r->stream, event_id);
}

/* One DEL for the markers of a published batch (rows' event_id in column 1). */
static void
markers_delete(struct mp_relay *r, const PGresult *res, int n)
{
	const char **argv = calloc((size_t)n + 1, sizeof(*argv));
	char **keys = calloc((size_t)n, sizeof(*keys));
	char marker[200];
	int i, made = 0;

	if (argv != NULL && keys != NULL) {
		argv[0] = "DEL";
		for (i = 0; i < n; i++) {
			marker_key(r, PQgetvalue(res, i, 1), marker,
			           sizeof(marker));
			if ((keys[i] = strdup(marker)) == NULL)
				break;
			argv[i + 1] = keys[i];
			made++;
		}
		if (made == n)
			freeReplyObject(
			    redisCommandArgv(r->l.rd, n + 1, argv, NULL));
	}
	for (i = 0; keys != NULL && i < made; i++)
		free(keys[i]);
	free(keys);
	free(argv);
}

static int
relay_round(struct mp_relay *r)
{
	static const char sel[] =
	    "SELECT id, event_id, type, coalesce(subject, ''), "
	    "to_char(time AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
	    "data::text, coalesce(request_id, '') FROM outbox "
	    "WHERE sent_at IS NULL ORDER BY id LIMIT "
	    "256";
	PGresult *res = NULL, *upd;
	redisReply *rep;
	char *ids = NULL, *ev;
	const char *argv[10], *param[1];
	char marker[200];
	size_t idslen = 0;
	int i, n, rc = 0, sent = 0;
	FILE *f;

	if (pg_exec_ok(r->l.pg, "BEGIN") != 0)
		return -EIO;
	res = PQexec(r->l.pg,
	             "SELECT pg_try_advisory_xact_lock(" RELAY_LOCK_KEY ")");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = -EIO;
		goto rollback;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		rc = -EBUSY; /* another relay is publishing */
		goto rollback;
	}
	PQclear(res);
	res = PQexec(r->l.pg, sel);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = -EIO;
		goto rollback;
	}
	n = PQntuples(res);
	if (n == 0)
		goto rollback;

	for (i = 0; i < n; i++) {
		ev = mp_cloudevent_encode(
		    r->cfg.service, PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		    PQgetvalue(res, i, 4), PQgetvalue(res, i, 5),
		    PQgetvalue(res, i, 6));
		if (ev == NULL) {
			rc = -ENOMEM;
			goto rollback;
		}
		marker_key(r, PQgetvalue(res, i, 1), marker, sizeof(marker));
		argv[0] = "EVAL";
		argv[1] = publish_once_lua;
		argv[2] = "2";
		argv[3] = r->stream;
		argv[4] = marker;
		argv[5] = PQgetvalue(res, i, 2);
		argv[6] = ev;
		/* append without sending: the round trip is paid once */
		redisAppendCommandArgv(r->l.rd, 7, argv, NULL);
		free(ev);
	}
	for (i = 0; i < n; i++) {
		rep = NULL;
		if (redisGetReply(r->l.rd, (void **)&rep) != REDIS_OK ||
		    rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			freeReplyObject(rep);
			rc = -EIO;
			goto rollback;
		}
		freeReplyObject(rep);
		sent++;
	}

	if ((f = open_memstream(&ids, &idslen)) == NULL) {
		rc = -ENOMEM;
		goto rollback;
	}
	fputc('{', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", PQgetvalue(res, i, 0));
	fputc('}', f);
	fclose(f);
	param[0] = ids;
	upd = PQexecParams(r->l.pg,
	                   "UPDATE outbox SET sent_at = now() "
	                   "WHERE id = ANY($1::bigint[])",
	                   1, NULL, param, NULL, NULL, 0);
	free(ids);
	if (PQresultStatus(upd) != PGRES_COMMAND_OK) {
		PQclear(upd);
		rc = -EIO;
		goto rollback;
	}
	PQclear(upd);
	if (pg_exec_ok(r->l.pg, "COMMIT") != 0) {
		PQclear(res);
		return -EIO;
	}
	/* marked sent: the markers have done their job (their TTL cleans up
	 * if this fails) */
	markers_delete(r, res, n);
	PQclear(res);
	metric(&r->cfg, MP_EM_PUBLISHED, sent);
	return sent;

rollback:
	PQclear(res);
	(void)pg_exec_ok(r->l.pg, "ROLLBACK");
	return rc;
}

static void
relay_housekeeping(struct mp_relay *r)
{
	PGresult *res;

	res = PQexec(r->l.pg,
	             "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		metric(&r->cfg, MP_EM_PENDING, atoll(PQgetvalue(res, 0, 0)));
	PQclear(res);
	if (++r->rounds % 600 == 0)
		(void)pg_exec_ok(r->l.pg, "DELETE FROM outbox WHERE sent_at < "
		                          "now() - interval '7 days'");
}

static void *
relay_main(void *arg)
{
	struct mp_relay *r = arg;
	int n, down = 0;

	r->l.backoff_ms = 100;
	for (;;) {
		if (link_pg(&r->l, r->cfg.db_url) != 0 ||
		    link_redis(&r->l, r->cfg.redis_url) != 0) {
			if (!down)
				mp_log(
				    MP_LOG_WARN, "relay",
				    "database or Redis "
				    "unreachable; events stay in the outbox");
			down = 1;
			if (r->l.stop)
				break;
			link_sleep(&r->l, r->l.backoff_ms);
			r->l.backoff_ms = r->l.backoff_ms * 2 > BACKOFF_MAX_MS
			                      ? BACKOFF_MAX_MS
			                      : r->l.backoff_ms * 2;
			continue;
		}
		if (down)
			mp_log(MP_LOG_INFO, "relay", "publishing again");
		down = 0;
		r->l.backoff_ms = 100;
		n = relay_round(r);
		if (n == -EBUSY) {
			/* the other relay's round may have started before our
			 * commit: try again soon rather than at the next sweep
			 */
			link_sleep(&r->l, 20);
			continue;
		}
		if (n < 0) {
			/* force a reconnect of whichever side failed */
			if (r->l.rd != NULL && r->l.rd->err) {
				redisFree(r->l.rd);
				r->l.rd = NULL;
			}
			if (r->l.pg != NULL &&
			    PQstatus(r->l.pg) != CONNECTION_OK) {
				PQfinish(r->l.pg);
				r->l.pg = NULL;
			}
			if (r->l.rd != NULL && r->l.pg != NULL) {
				redisFree(r->l.rd);
				r->l.rd = NULL;
			}
			continue;
		}
		if (n == RELAY_BATCH)
			continue;
		relay_housekeeping(r);
		if (r->l.stop)
			break;
		link_sleep(&r->l, r->cfg.sweep_ms);
	}
	/* last flush after stop was asked: bounded to a few rounds */
	for (n = 0; n < 8 && r->l.pg != NULL && r->l.rd != NULL; n++)
		if (relay_round(r) < RELAY_BATCH)
			break;
	return NULL;
}

int
mp_relay_start(const struct mp_events_cfg *cfg, struct mp_relay **out)
{
	struct mp_relay *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->cfg = *cfg;
	snprintf(r->stream, sizeof(r->stream), "events:%s", cfg->service);
	if (pipe2(r->l.wake, O_NONBLOCK) != 0) {
		free(r);
		return -errno;
	}
	if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
		close(r->l.wake[0]);
		close(r->l.wake[1]);
		free(r);
		return -EAGAIN;
	}
	*out = r;
	return 0;
}

void
mp_relay_poke(struct mp_relay *r)
{
	/* non-blocking: a full pipe already holds a wake-up */
	if (r != NULL)
		(void)!write(r->l.wake[1], "p", 1);
}

void
mp_relay_stop(struct mp_relay *r)
{
	if (r == NULL)
		return;
	r->l.stop = 1;
	(void)!write(r->l.wake[1], "x", 1);
	pthread_join(r->thread, NULL);
	link_close(&r->l);
	free(r);
}

/* ---- consumer ----------------------------------------------------------- */

static void
consumer_dead_letter(struct mp_consumer *c, const char *id, const char *payload,
                     size_t len, const char *why)
{
	redisReply *rep;

	rep = redisCommand(c->l.rd, "XADD %s * origin_id %s reason %s event %b",
	                   c->dead, id, why, payload, len);
	freeReplyObject(rep);
	rep = redisCommand(c->l.rd, "XACK %s %s %s", c->def.stream,
	                   c->def.group, id);
	freeReplyObject(rep);
	metric(&c->cfg, MP_EM_DEAD, 1);
	mp_log(MP_LOG_ERROR, "consumer", "event %s of %s dead-lettered: %s", id,
	       c->def.stream, why);
}

/*
 * Inside the open transaction: record the ids of the n events in `inbox`
 * in one statement. fresh[i] is set to 1 for the first occurrence of each
 * id that was not there yet (the events to apply now), 0 for the others
 * (already applied: a redelivery, or the same event twice in the read).
 * 0, -ENOMEM or -EIO (the caller rolls back).
 */
static int
consumer_inbox(struct mp_consumer *c, json_t *const *evs, size_t n,
               unsigned char *fresh)
{
	const char *param[1];
	json_t *rows;
	PGresult *res;
	char *text;
	size_t i, k;
	int r;

	memset(fresh, 0, n);
	if ((rows = json_array()) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		json_array_append_new(
		    rows,
		    json_pack(
		        "{s:s?, s:s?, s:s?}", "id",
		        json_string_value(json_object_get(evs[i], "id")),
		        "source",
		        json_string_value(json_object_get(evs[i], "source")),
		        "type",
		        json_string_value(json_object_get(evs[i], "type"))));
	text = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	if (text == NULL)
		return -ENOMEM;
	param[0] = text;
	res =
	    PQexecParams(c->l.pg,
	                 "INSERT INTO inbox (event_id, source, type) "
	                 "SELECT e->>'id', coalesce(e->>'source', ''), "
	                 "e->>'type' FROM jsonb_array_elements($1::jsonb) e "
	                 "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
	                 1, NULL, param, NULL, NULL, 0);
	free(text);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return -EIO;
	}
	for (r = 0; r < PQntuples(res); r++)
		for (k = 0; k < n; k++)
			if (!fresh[k] &&
			    strcmp(json_string_value(
			               json_object_get(evs[k], "id")),
			           PQgetvalue(res, r, 0)) == 0) {
				fresh[k] = 1;
				break;
			}
	PQclear(res);
	return 0;
}

/* The service's effect of one event (its inbox row already written). */
static int
consumer_effect(struct mp_consumer *c, const json_t *ev)
{
	int rc;

	current_consumer = c;
	rc = c->def.apply(c->def.use_db ? c->l.pg : NULL, ev, c->def.arg);
	current_consumer = NULL;
	return rc;
}

/*
 * Inside the open transaction (use_db) or none: record the event's id in
 * the inbox and, unless it was already there (*dup = 1), run the
 * service's effect. Returns 0, MP_CONSUME_REJECT, or negative (the caller
 * rolls back).
 */
static int
consumer_apply(struct mp_consumer *c, json_t *ev, int *dup)
{
	unsigned char fresh = 1;
	int rc;

	if (c->def.use_db && (rc = consumer_inbox(c, &ev, 1, &fresh)) != 0)
		return rc;
	*dup = !fresh;
	return fresh ? consumer_effect(c, ev) : 0;
}

/* Test fault point: die after COMMIT, before XACK (once per flag file). */
static void
consumer_fault_after_commit(const struct mp_consumer *c)
{
	if (c->cfg.crash_before_ack != NULL &&
	    c->cfg.crash_before_ack[0] != '\0' &&
	    unlink(c->cfg.crash_before_ack) == 0)
		_exit(86);
}

/* XACK of n entry ids in one command. 0 or -EIO. */
static int
consumer_ack(struct mp_consumer *c, const char *const *ids, size_t n)
{
	const char **argv;
	redisReply *rep;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((argv = calloc(n + 3, sizeof(*argv))) == NULL)
		return -ENOMEM;
	argv[0] = "XACK";
	argv[1] = c->def.stream;
	argv[2] = c->def.group;
	memcpy(argv + 3, ids, n * sizeof(*argv));
	rep = redisCommandArgv(c->l.rd, (int)n + 3, argv, NULL);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
		rc = -EIO;
	freeReplyObject(rep);
	free(argv);
	return rc;
}

/* Apply one entry in a transaction of its own. 0: done (acknowledged),
 * <0: leave pending. */
static int
consumer_handle(struct mp_consumer *c, const char *id, const char *payload,
                size_t len)
{
	json_t *ev;
	int rc = 0, dup = 0;

	ev = json_loadb(payload, len, 0, NULL);
	if (ev == NULL || !json_is_string(json_object_get(ev, "id")) ||
	    !json_is_string(json_object_get(ev, "type"))) {
		json_decref(ev);
		consumer_dead_letter(c, id, payload, len, "malformed event");
		return 0;
	}
	if (c->def.use_db && pg_exec_ok(c->l.pg, "BEGIN") != 0) {
		rc = -EIO;
		goto out;
	}
	rc = consumer_apply(c, ev, &dup);
	if (rc == MP_CONSUME_REJECT) {
		if (c->def.use_db)
			(void)pg_exec_ok(c->l.pg, "ROLLBACK");
		consumer_dead_letter(
		    c, id, payload, len,
		    "rejected by the consumer: unknown type or malformed data");
		rc = 0;
		goto out;
	}
	if (rc == -EIO && c->def.use_db && PQstatus(c->l.pg) != CONNECTION_OK)
		goto out; /* the connection is gone: reconnect */
	if (rc != 0) {
		if (c->def.use_db)
			(void)pg_exec_ok(c->l.pg, "ROLLBACK");
		metric(&c->cfg, MP_EM_FAILED, 1);
		rc = -EAGAIN;
		goto out;
	}
	if (c->def.use_db && pg_exec_ok(c->l.pg, "COMMIT") != 0) {
		rc = -EIO;
		goto out;
	}
	if (!dup)
		consumer_fault_after_commit(c);
	metric(&c->cfg, dup ? MP_EM_DUPLICATE : MP_EM_CONSUMED, 1);
	rc = consumer_ack(c, &id, 1);
out:
	json_decref(ev);
	return rc;
}

/*
 * Apply the entries of one read (a stream reply's entry array) in ONE
 * transaction, each with its inbox row, then XACK them all in one
 * command after COMMIT: the commit's flush is paid once per batch, not
 * once per event. Malformed entries are dead-lettered first. When any
 * event of the batch fails or is rejected, the whole transaction is
 * rolled back and the batch is applied again one event per transaction
 * (consumer_handle), so a poison event is isolated (dead-lettered or left
 * pending) and the others are applied, each still exactly once. Returns
 * 0, or -EIO when the connections must be re-established (what is not
 * acknowledged stays pending and is delivered again).
 */
static int
consumer_batch(struct mp_consumer *c, const redisReply *entries)
{
	const char **ids = NULL, *id, *payload;
	json_t **evs = NULL;
	size_t *lens = NULL, i, n = 0, applied = 0, dups = 0;
	const char **payloads = NULL;
	unsigned char *fresh = NULL;
	int rc = 0, failed = 0;

	if (entries->elements == 0)
		return 0;
	ids = calloc(entries->elements, sizeof(*ids));
	payloads = calloc(entries->elements, sizeof(*payloads));
	lens = calloc(entries->elements, sizeof(*lens));
	evs = calloc(entries->elements, sizeof(*evs));
	fresh = calloc(entries->elements, 1);
	if (ids == NULL || payloads == NULL || lens == NULL || evs == NULL ||
	    fresh == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	for (i = 0; i < entries->elements; i++) {
		if (entry_event(entries->element[i], &id, &payload, &lens[n]) !=
		        0 ||
		    payload == NULL)
			continue;
		evs[n] = json_loadb(payload, lens[n], 0, NULL);
		if (evs[n] == NULL ||
		    !json_is_string(json_object_get(evs[n], "id")) ||
		    !json_is_string(json_object_get(evs[n], "type"))) {
			json_decref(evs[n]);
			evs[n] = NULL;
			consumer_dead_letter(c, id, payload, lens[n],
			                     "malformed event");
			continue;
		}
		ids[n] = id;
		payloads[n] = payload;
		n++;
	}
	if (n == 0)
		goto done;
	/* one event, or no transaction to share: one at a time */
	if (n == 1 || !c->def.use_db) {
		failed = 1;
		goto one_by_one;
	}
	if (pg_exec_ok(c->l.pg, "BEGIN") != 0) {
		rc = -EIO;
		goto done;
	}
	if (consumer_inbox(c, evs, n, fresh) != 0)
		failed = 1;
	for (i = 0; i < n && !failed; i++) {
		if (!fresh[i])
			dups++;
		else if (consumer_effect(c, evs[i]) != 0)
			failed = 1;
		else
			applied++;
	}
	if (failed || pg_exec_ok(c->l.pg, "COMMIT") != 0) {
		(void)pg_exec_ok(c->l.pg, "ROLLBACK");
		failed = 1;
		if (PQstatus(c->l.pg) != CONNECTION_OK) {
			rc = -EIO;
			goto done;
		}
		goto one_by_one;
	}
	if (applied > 0)
		consumer_fault_after_commit(c);
	metric(&c->cfg, MP_EM_CONSUMED, (int64_t)applied);
	metric(&c->cfg, MP_EM_DUPLICATE, (int64_t)dups);
	rc = consumer_ack(c, ids, n);
	goto done;

one_by_one:
	for (i = 0; i < n && !c->l.stop; i++)
		if (consumer_handle(c, ids[i], payloads[i], lens[i]) == -EIO) {
			rc = -EIO;
			break;
		}
done:
	for (i = 0; evs != NULL && i < n; i++)
		json_decref(evs[i]);
	free(evs);
	free(fresh);
	free(lens);
	free(payloads);
	free(ids);
	return rc;
}

struct redisContext *
mp_consumer_redis(void)
{
	return current_consumer != NULL ? current_consumer->l.rd : NULL;
}

/* Entry of a stream reply: [id, [field, value, ...]]; find "event". */
static int
entry_event(const redisReply *e, const char **id, const char **payload,
            size_t *len)
{
	const redisReply *f;
	size_t k;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return -EINVAL;
	*id = e->element[0]->str;
	*payload = NULL;
	*len = 0;
	f = e->element[1];
	if (f->type != REDIS_REPLY_ARRAY)
		return 0; /* deleted entry: nil fields */
	for (k = 0; k + 1 < f->elements; k += 2) {
		if (f->element[k]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[k]->str, "event") == 0) {
			*payload = f->element[k + 1]->str;
			*len = f->element[k + 1]->len;
		}
	}
	return 0;
}

/* Claim what other (dead) consumers left pending for too long. */
static int
consumer_claim(struct mp_consumer *c)
{
	redisReply *rep, *pend;
	const char *id, *payload;
	size_t len, i;
	long long deliveries;

	rep = redisCommand(c->l.rd, "XAUTOCLAIM %s %s %s %lld 0-0 COUNT 100",
	                   c->def.stream, c->def.group, c->cfg.consumer_name,
	                   (long long)c->cfg.claim_idle_ms);
	if (rep == NULL)
		return -EIO;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 ||
	    rep->element[1]->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return 0;
	}
	for (i = 0; i < rep->element[1]->elements; i++) {
		if (entry_event(rep->element[1]->element[i], &id, &payload,
		                &len) != 0)
			continue;
		pend = redisCommand(c->l.rd, "XPENDING %s %s %s %s 1",
		                    c->def.stream, c->def.group, id, id);
		deliveries = 0;
		if (pend != NULL && pend->type == REDIS_REPLY_ARRAY &&
		    pend->elements == 1 &&
		    pend->element[0]->type == REDIS_REPLY_ARRAY &&
		    pend->element[0]->elements == 4)
			deliveries = pend->element[0]->element[3]->integer;
		freeReplyObject(pend);
		if (payload == NULL) {
			consumer_dead_letter(c, id, "", 0, "entry deleted");
			continue;
		}
		if (deliveries > c->cfg.max_deliveries) {
			consumer_dead_letter(c, id, payload, len,
			                     "too many failed deliveries");
			continue;
		}
		(void)consumer_handle(c, id, payload, len);
	}
	freeReplyObject(rep);
	return 0;
}

static int
consumer_read(struct mp_consumer *c)
{
	redisReply *rep;

	rep = redisCommand(c->l.rd,
	                   "XREADGROUP GROUP %s %s COUNT %d BLOCK "
	                   "%lld STREAMS %s >",
	                   c->def.group, c->cfg.consumer_name, CONSUMER_BATCH,
	                   (long long)c->cfg.sweep_ms, c->def.stream);
	if (rep == NULL)
		return -EIO;
	if (rep->type == REDIS_REPLY_ERROR) {
		/* NOGROUP after a FLUSHALL or stream deletion: recreate */
		freeReplyObject(rep);
		rep = redisCommand(c->l.rd, "XGROUP CREATE %s %s 0 MKSTREAM",
		                   c->def.stream, c->def.group);
		freeReplyObject(rep);
		return 0;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
	    rep->element[0]->elements == 2 &&
	    rep->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
		(void)consumer_batch(c, rep->element[0]->element[1]);
	freeReplyObject(rep);
	return 0;
}

/* Reports the group's lag on the stream (Redis 7: XINFO GROUPS gives
 * `lag`, the entries not yet delivered to the group; nil while Redis cannot
 * tell, then nothing is reported). At most every LAG_EVERY_MS. */
#define LAG_EVERY_MS 5000
static void
consumer_report_lag(struct mp_consumer *c)
{
	redisReply *rep, *g;
	size_t i, k;
	int mine;

	if (c->cfg.lag == NULL || mp_mono_ms() - c->last_lag_ms < LAG_EVERY_MS)
		return;
	c->last_lag_ms = mp_mono_ms();
	rep = redisCommand(c->l.rd, "XINFO GROUPS %s", c->def.stream);
	for (i = 0;
	     rep != NULL && rep->type == REDIS_REPLY_ARRAY && i < rep->elements;
	     i++) {
		g = rep->element[i];
		if (g->type != REDIS_REPLY_ARRAY)
			continue;
		mine = 0;
		for (k = 0; k + 1 < g->elements; k += 2)
			if (g->element[k]->type == REDIS_REPLY_STRING &&
			    strcmp(g->element[k]->str, "name") == 0 &&
			    g->element[k + 1]->type == REDIS_REPLY_STRING &&
			    strcmp(g->element[k + 1]->str, c->def.group) == 0)
				mine = 1;
		for (k = 0; mine && k + 1 < g->elements; k += 2)
			if (g->element[k]->type == REDIS_REPLY_STRING &&
			    strcmp(g->element[k]->str, "lag") == 0 &&
			    g->element[k + 1]->type == REDIS_REPLY_INTEGER)
				c->cfg.lag(&c->def, g->element[k + 1]->integer);
	}
	freeReplyObject(rep);
}

/* How often a consumer that does not lead tries to (ms). */
#define FOLLOW_RETRY_MS 250

/*
 * One consumer of a stream's group applies events at a time, among every
 * worker and replica of the service: the one holding a session advisory
 * lock named after the stream and group on its own database connection.
 * Two consumers applying batches side by side would apply a stream's
 * events out of order (a referral before the opening of its case, a
 * decision before the application), and a projection is only right in
 * stream order. The lock goes with the connection: when the leader dies or
 * loses its database, another takes over and first claims what was left
 * pending. Returns 0 when this consumer leads (always for consumers
 * without a database, whose effects do not depend on order), -EBUSY when
 * another does, -EIO on a failed query.
 */
static int
consumer_lead(struct mp_consumer *c)
{
	char name[300];
	const char *param[1] = {name};
	PGresult *res;
	int rc;

	if (!c->def.use_db || c->leading)
		return 0;
	snprintf(name, sizeof(name), "mp-consumer:%s:%s", c->def.stream,
	         c->def.group);
	res = PQexecParams(c->l.pg,
	                   "SELECT pg_try_advisory_lock(hashtextextended($1, "
	                   "0))",
	                   1, NULL, param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = -EIO;
	else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		rc = 0;
	else
		rc = -EBUSY;
	PQclear(res);
	if (rc == 0) {
		c->leading = 1;
		c->last_claim_ms = 0; /* claim what a former leader left */
	}
	return rc;
}

static void *
consumer_main(void *arg)
{
	struct mp_consumer *c = arg;
	redisReply *rep;
	int down = 0;

	c->l.backoff_ms = 100;
	while (!c->l.stop) {
		if (c->l.pg == NULL || PQstatus(c->l.pg) != CONNECTION_OK)
			c->leading = 0; /* a new connection holds no lock */
		if ((c->def.use_db && link_pg(&c->l, c->cfg.db_url) != 0) ||
		    link_redis(&c->l, c->cfg.redis_url) != 0) {
			if (!down)
				mp_log(MP_LOG_WARN, "consumer",
				       "%s: database "
				       "or Redis unreachable",
				       c->def.stream);
			down = 1;
			link_sleep(&c->l, c->l.backoff_ms);
			c->l.backoff_ms = c->l.backoff_ms * 2 > BACKOFF_MAX_MS
			                      ? BACKOFF_MAX_MS
			                      : c->l.backoff_ms * 2;
			continue;
		}
		if (down || !c->grouped) {
			rep = redisCommand(c->l.rd,
			                   "XGROUP CREATE %s %s 0 "
			                   "MKSTREAM",
			                   c->def.stream, c->def.group);
			freeReplyObject(rep);
			c->grouped = 1;
		}
		down = 0;
		c->l.backoff_ms = 100;
		consumer_report_lag(c);
		if (consumer_lead(c) != 0) {
			link_sleep(&c->l, FOLLOW_RETRY_MS);
			if (c->l.rd->err) {
				redisFree(c->l.rd);
				c->l.rd = NULL;
			}
			continue;
		}
		if (mp_mono_ms() - c->last_claim_ms >=
		        c->cfg.claim_idle_ms / 2 ||
		    c->last_claim_ms == 0) {
			c->last_claim_ms = mp_mono_ms();
			(void)consumer_claim(c);
		}
		if (consumer_read(c) != 0 || c->l.rd->err) {
			redisFree(c->l.rd);
			c->l.rd = NULL;
		}
		if (c->l.pg != NULL && PQstatus(c->l.pg) != CONNECTION_OK) {
			PQfinish(c->l.pg);
			c->l.pg = NULL;
		}
	}
	return NULL;
}

int
mp_consumer_start(const struct mp_events_cfg *cfg,
                  const struct mp_consumer_def *def, struct mp_consumer **out)
{
	struct mp_consumer *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->cfg = *cfg;
	c->def = *def;
	snprintf(c->dead, sizeof(c->dead), "%s:dead", def->stream);
	if (pipe2(c->l.wake, O_NONBLOCK) != 0) {
		free(c);
		return -errno;
	}
	if (pthread_create(&c->thread, NULL, consumer_main, c) != 0) {
		close(c->l.wake[0]);
		close(c->l.wake[1]);
		free(c);
		return -EAGAIN;
	}
	*out = c;
	return 0;
}

void
mp_consumer_stop(struct mp_consumer *c)
{
	if (c == NULL)
		return;
	c->l.stop = 1;
	(void)!write(c->l.wake[1], "x", 1);
	/* the thread may sit in XREADGROUP BLOCK for up to sweep_ms */
	pthread_join(c->thread, NULL);
	link_close(&c->l);
	free(c);
}
