/*
 * Asynchronous PostgreSQL for handlers, on Kore's pgsql layer.
 *
 * A chain step sends one statement and names the next step; the request
 * sleeps until Kore wakes it with the result. The step runs only once the
 * statement is complete and the connection is back in the pool, so a step
 * never holds a connection while it computes or answers.
 *
 * Each statement is a transaction of its own: Kore hands the connection
 * back after every statement, so there is no way (and no need) to hold a
 * transaction open across steps. Business rules spanning several writes
 * are SQL functions in the service's migrations, which also lets the
 * database enforce them under concurrency (row locks, constraints).
 *
 * Errors are mapped here once: SQLSTATE classes to HTTP statuses, our own
 * MPnnn codes raised by those SQL functions to status nnn. Messages from
 * the database are logged (without parameters: they may hold personal
 * data) and never sent to the client, except our MPnnn messages, which are
 * written for clients.
 *
 * Admission to the pool is ours, first come first served. Kore's own
 * wait queue wakes the oldest waiter when a connection comes back, but the
 * woken request only runs later in the loop; a request that arrived
 * meanwhile (Kore puts new requests at the head of its run list) takes the
 * free connection first and the woken one goes to the back of the queue
 * again. Under load a few requests lost that race over and over: p99 five
 * to eighteen times pgbench's at the same concurrency, for the same mean.
 * Here a statement takes a connection only when none is promised to an
 * older waiter; a released connection is handed to the head of the queue
 * (promised, so nobody can take it in between). A request already past its
 * first statement queues ahead of new ones: finishing admitted work first
 * keeps the number of half-done requests, and their latency, low.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>

#include "mp/log.h"
#include "mp/phases.h"
#include "mp/problem.h"
#include "mp/runtime.h"
#include "mp/service.h"

enum { PHASE_IDLE, PHASE_SETUP, PHASE_RUNNING };

#define DB_MAX_RETRIES 3

static int db_start(struct mp_ctx *ctx, mp_handler next, const char *sql,
                    int nvalues, const char *const *values, int checked);
static int db_send(struct mp_ctx *ctx);
static int db_finish(struct mp_ctx *ctx);
static void db_release(struct mp_ctx *ctx);
static int status_for_sqlstate(const char *st);
static void adm_enqueue(struct mp_ctx *ctx, int front);
static void adm_remove(struct mp_ctx *ctx);
static void adm_release(struct mp_ctx *ctx);
static void db_phase_read(struct kore_pgsql *sql, void *arg);

/* This worker's admission queue (one event loop: no locking). */
static struct {
	struct mp_ctx *head, *tail;
	int used;    /* connections held or promised, <= mp_settings.db_pool */
	int waiting; /* requests in the queue */
} adm;

static void
adm_enqueue(struct mp_ctx *ctx, int front)
{
	ctx->db_queued = 1;
	adm.waiting++;
	ctx->db_wprev = NULL;
	ctx->db_wnext = NULL;
	if (adm.head == NULL) {
		adm.head = adm.tail = ctx;
	} else if (front) {
		ctx->db_wnext = adm.head;
		adm.head->db_wprev = ctx;
		adm.head = ctx;
	} else {
		ctx->db_wprev = adm.tail;
		adm.tail->db_wnext = ctx;
		adm.tail = ctx;
	}
}

static void
adm_remove(struct mp_ctx *ctx)
{
	if (!ctx->db_queued)
		return;
	if (ctx->db_wprev != NULL)
		ctx->db_wprev->db_wnext = ctx->db_wnext;
	else
		adm.head = ctx->db_wnext;
	if (ctx->db_wnext != NULL)
		ctx->db_wnext->db_wprev = ctx->db_wprev;
	else
		adm.tail = ctx->db_wprev;
	ctx->db_wnext = ctx->db_wprev = NULL;
	ctx->db_queued = 0;
	adm.waiting--;
}

/* Give back ctx's connection (if it holds one) and promise the free
 * connections to the oldest waiters. */
static void
adm_release(struct mp_ctx *ctx)
{
	struct mp_ctx *w;

	adm_remove(ctx);
	if (ctx->db_granted) {
		ctx->db_granted = 0;
		adm.used--;
	}
	while (adm.used < mp_settings.db_pool && (w = adm.head) != NULL) {
		adm_remove(w);
		w->db_granted = 1;
		adm.used++;
		mp_phase_mark(w, MP_PH_GRANT);
		http_request_wakeup(w->req);
	}
}

void
mp_db_worker_warm(void)
{
	struct kore_pgsql *sql;
	int64_t n = mp_settings.db_pool_warm;
	int i, opened = 0;

	if (n > mp_settings.db_pool)
		n = mp_settings.db_pool;
	if (n <= 0)
		return;
	sql = kore_calloc((size_t)n, sizeof(*sql));
	/* each held connection makes the next setup open a new one */
	for (i = 0; i < n; i++) {
		kore_pgsql_init(&sql[i]);
		if (!kore_pgsql_setup(&sql[i], "db", KORE_PGSQL_SYNC)) {
			mp_log(MP_LOG_WARN, "db", "pool warm-up: %s",
			       sql[i].error != NULL ? sql[i].error : "failed");
			kore_pgsql_cleanup(&sql[i]);
			break;
		}
		opened++;
	}
	for (i = 0; i < opened; i++)
		kore_pgsql_cleanup(&sql[i]);
	kore_free(sql);
}

static void
db_release(struct mp_ctx *ctx)
{
	struct kore_pgsql *sql = ctx->db_impl;

	if (sql != NULL) {
		sql->cb = NULL;
		kore_pgsql_cleanup(sql);
		kore_free(sql);
		ctx->db_impl = NULL;
		mp_metrics_gauge_add(MP_G_DB_INFLIGHT, -1);
	}
	adm_release(ctx);
}

void
mp_db_ctx_free(struct mp_ctx *ctx)
{
	db_release(ctx);
	if (ctx->result != NULL) {
		PQclear(ctx->result);
		ctx->result = NULL;
	}
	free(ctx->db_error);
	ctx->db_error = NULL;
}

static int
db_start(struct mp_ctx *ctx, mp_handler next, const char *sql, int nvalues,
         const char *const *values, int checked)
{
	int i;

	if (nvalues < 0 ||
	    nvalues > (int)(sizeof(ctx->db_values) / sizeof(ctx->db_values[0])))
		fatal("mp_db_query: %d values", nvalues);
	mp_db_ctx_free(ctx);
	for (i = 0; i < ctx->db_nvalues; i++)
		free(ctx->db_values[i]);
	ctx->db_nvalues = 0;
	for (i = 0; i < nvalues; i++) {
		ctx->db_values[i] = NULL;
		if (values[i] != NULL &&
		    (ctx->db_values[i] = strdup(values[i])) == NULL) {
			ctx->db_nvalues = i;
			return mp_reply_problem(ctx, 500, "internal",
			                        "out of memory");
		}
	}
	ctx->db_nvalues = nvalues;
	ctx->db_sql = sql;
	ctx->db_next = next;
	ctx->db_handle_errors = checked;
	ctx->db_retries = 0;
	ctx->sqlstate[0] = '\0';
	ctx->db_phase = PHASE_SETUP;
	return db_send(ctx);
}

int
mp_db_query(struct mp_ctx *ctx, mp_handler next, const char *sql, int nvalues,
            const char *const *values)
{
	return db_start(ctx, next, sql, nvalues, values, 0);
}

int
mp_db_query_checked(struct mp_ctx *ctx, mp_handler next, const char *sql,
                    int nvalues, const char *const *values)
{
	return db_start(ctx, next, sql, nvalues, values, 1);
}

/* Get a connection (or queue for one) and send the statement. */
static int
db_send(struct mp_ctx *ctx)
{
	struct kore_pgsql *sql = ctx->db_impl;
	const char *vals[16];
	int i;

	if (sql == NULL && !ctx->db_granted) {
		if (ctx->phase != NULL && ctx->db_steps == 0 &&
		    !ctx->db_queued) {
			ctx->phase->queued = (uint16_t)adm.waiting;
			ctx->phase->held = (uint16_t)adm.used;
		}
		if (!ctx->db_queued && adm.head == NULL &&
		    adm.used < mp_settings.db_pool) {
			ctx->db_granted = 1;
			adm.used++;
			mp_phase_mark(ctx, MP_PH_GRANT);
		} else {
			if (!ctx->db_queued)
				adm_enqueue(ctx, ctx->db_steps > 0);
			http_request_sleep(ctx->req);
			return MP_WAIT; /* woken by adm_release */
		}
	}
	if (sql == NULL) {
		ctx->db_steps++;
		sql = kore_calloc(1, sizeof(*sql));
		kore_pgsql_init(sql);
		kore_pgsql_bind_request(sql, ctx->req);
		ctx->db_impl = sql;
		mp_metrics_gauge_add(MP_G_DB_INFLIGHT, 1);
	}
	if (!kore_pgsql_setup(sql, "db", KORE_PGSQL_ASYNC)) {
		if (sql->state == KORE_PGSQL_STATE_INIT)
			return MP_WAIT; /* queued for a free connection */
		mp_log(MP_LOG_ERROR, "db", "no connection: %s",
		       sql->error != NULL ? sql->error : "unknown");
		db_release(ctx);
		ctx->db_phase = PHASE_IDLE;
		mp_reply_header(ctx, "Retry-After", "1");
		return mp_reply_problem(
		    ctx, 503, "database-unavailable",
		    "the database is unavailable; retry shortly");
	}
	for (i = 0; i < ctx->db_nvalues; i++)
		vals[i] = ctx->db_values[i];
	if (!kore_pgsql_query_param_fields(sql, ctx->db_sql, 0, ctx->db_nvalues,
	                                   vals, NULL, NULL)) {
		mp_log(MP_LOG_ERROR, "db", "send failed: %s",
		       sql->error != NULL ? sql->error : "unknown");
		db_release(ctx);
		ctx->db_phase = PHASE_IDLE;
		mp_reply_header(ctx, "Retry-After", "1");
		return mp_reply_problem(
		    ctx, 503, "database-unavailable",
		    "the database is unavailable; retry shortly");
	}
	ctx->db_phase = PHASE_RUNNING;
	if (ctx->phase != NULL) {
		mp_phase_mark(ctx, MP_PH_SENT);
		/* Kore calls it each time its loop reads from the connection */
		sql->cb = db_phase_read;
		sql->arg = ctx;
	}
	return MP_WAIT;
}

static void
db_phase_read(struct kore_pgsql *sql, void *arg)
{
	mp_phase_read(arg, sql->state != KORE_PGSQL_STATE_WAIT);
}

/* Called by the entry point each time Kore wakes the request. */
int
mp_db_resume(struct mp_ctx *ctx)
{
	struct kore_pgsql *sql = ctx->db_impl;
	const char *st;

	if (ctx->db_phase == PHASE_SETUP)
		return db_send(ctx);
	if (ctx->db_phase != PHASE_RUNNING || sql == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "request resumed without a statement");
	mp_phase_mark(ctx, MP_PH_RESUMED);

	for (;;) {
		switch (sql->state) {
		case KORE_PGSQL_STATE_WAIT:
			return MP_WAIT;
		case KORE_PGSQL_STATE_RESULT:
			if (ctx->result == NULL) {
				ctx->result = sql->result;
				sql->result = NULL;
			}
			kore_pgsql_continue(sql);
			break;
		case KORE_PGSQL_STATE_ERROR:
			if (sql->result == NULL && ctx->sqlstate[0] == '\0') {
				/* connection-level failure: no more results */
				snprintf(ctx->sqlstate, sizeof(ctx->sqlstate),
				         "08000");
				free(ctx->db_error);
				ctx->db_error = strdup(sql->error != NULL
				                           ? sql->error
				                           : "connection lost");
				return db_finish(ctx);
			}
			if (ctx->sqlstate[0] == '\0') {
				st = sql->result != NULL
				         ? PQresultErrorField(sql->result,
				                              PG_DIAG_SQLSTATE)
				         : NULL;
				snprintf(ctx->sqlstate, sizeof(ctx->sqlstate),
				         "%s", st != NULL ? st : "08000");
				free(ctx->db_error);
				ctx->db_error = strdup(sql->error != NULL
				                           ? sql->error
				                           : "connection lost");
				if (ctx->result != NULL)
					PQclear(ctx->result);
				ctx->result = sql->result;
				sql->result = NULL;
			}
			if (sql->conn == NULL) /* connection gone */
				return db_finish(ctx);
			kore_pgsql_continue(sql);
			break;
		case KORE_PGSQL_STATE_DONE:
			kore_pgsql_continue(sql);
			break;
		case KORE_PGSQL_STATE_COMPLETE:
			return db_finish(ctx);
		default:
			return MP_WAIT;
		}
	}
}

/* The statement is over and its connection released: run the next step,
 * retry a serialization failure, or answer the error. */
static int
db_finish(struct mp_ctx *ctx)
{
	db_release(ctx);
	ctx->db_phase = PHASE_IDLE;
	if (ctx->sqlstate[0] != '\0' &&
	    (strcmp(ctx->sqlstate, "40001") == 0 ||
	     strcmp(ctx->sqlstate, "40P01") == 0) &&
	    ctx->db_retries < DB_MAX_RETRIES) {
		ctx->db_retries++;
		ctx->sqlstate[0] = '\0';
		if (ctx->result != NULL) {
			PQclear(ctx->result);
			ctx->result = NULL;
		}
		ctx->db_phase = PHASE_SETUP;
		return db_send(ctx);
	}
	if (ctx->sqlstate[0] != '\0' && !ctx->db_handle_errors)
		return mp_db_error_reply(ctx);
	/* a write may have put events in the outbox: the relay publishes
	 * them now rather than at its next sweep */
	if (ctx->sqlstate[0] == '\0' && ctx->req->method != HTTP_METHOD_GET)
		mp_events_poke();
	return ctx->db_next(ctx);
}

static int
status_for_sqlstate(const char *st)
{
	if (st[0] == 'M' && st[1] == 'P')
		return atoi(st + 2);
	if (strcmp(st, "23505") == 0)
		return 409;
	if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
		return 422;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strncmp(st, "08", 2) == 0 || strncmp(st, "57", 2) == 0 ||
	    strncmp(st, "53", 2) == 0)
		return 503;
	return 500;
}

int
mp_db_error_reply(struct mp_ctx *ctx)
{
	const char *msg = NULL, *detail = NULL, *constraint = NULL;
	json_t *problem, *extra;
	int status = status_for_sqlstate(ctx->sqlstate);

	if (ctx->result != NULL) {
		msg = PQresultErrorField(ctx->result, PG_DIAG_MESSAGE_PRIMARY);
		detail =
		    PQresultErrorField(ctx->result, PG_DIAG_MESSAGE_DETAIL);
		constraint =
		    PQresultErrorField(ctx->result, PG_DIAG_CONSTRAINT_NAME);
	}
	if (status < 400 || status > 599)
		status = 500;
	if (ctx->sqlstate[0] == 'M' && ctx->sqlstate[1] == 'P') {
		problem = mp_problem_new(status,
		                         status == 409   ? "conflict"
		                         : status == 404 ? "not-found"
		                         : status == 412 ? "precondition-failed"
		                                         : "rejected",
		                         mp_http_status_title(status), msg);
		if (detail != NULL &&
		    (extra = json_loads(detail, 0, NULL)) != NULL) {
			if (json_is_object(extra))
				json_object_update(problem, extra);
			json_decref(extra);
		}
		return mp_reply_problem_json(ctx, problem);
	}
	if (status == 500 || status == 503)
		mp_log(MP_LOG_ERROR, "db", "statement failed (%s): %s",
		       ctx->sqlstate,
		       ctx->db_error != NULL ? ctx->db_error : "");
	if (status == 503)
		mp_reply_header(ctx, "Retry-After", "1");
	switch (status) {
	case 409:
		problem = mp_problem_new(409, "conflict", "Conflict",
		                         "the resource already exists");
		if (constraint != NULL)
			json_object_set_new(problem, "constraint",
			                    json_string(constraint));
		return mp_reply_problem_json(ctx, problem);
	case 422:
		problem = mp_problem_new(
		    422, "constraint-violated", "Unprocessable Content",
		    "the request breaks a rule of the data");
		if (constraint != NULL)
			json_object_set_new(problem, "constraint",
			                    json_string(constraint));
		return mp_reply_problem_json(ctx, problem);
	case 503:
		return mp_reply_problem(
		    ctx, 503, "database-unavailable",
		    "the database is unavailable; retry shortly");
	default:
		return mp_reply_problem(ctx, 500, "internal",
		                        "the request could not be completed");
	}
}

int
mp_db_rows(const struct mp_ctx *ctx)
{
	return ctx->result != NULL ? PQntuples(ctx->result) : 0;
}

const char *
mp_db_value(const struct mp_ctx *ctx, int row, int col)
{
	if (ctx->result == NULL || row >= PQntuples(ctx->result) ||
	    col >= PQnfields(ctx->result))
		return NULL;
	return PQgetvalue(ctx->result, row, col);
}

int
mp_db_isnull(const struct mp_ctx *ctx, int row, int col)
{
	if (ctx->result == NULL || row >= PQntuples(ctx->result) ||
	    col >= PQnfields(ctx->result))
		return 1;
	return PQgetisnull(ctx->result, row, col);
}

size_t
mp_db_length(const struct mp_ctx *ctx, int row, int col)
{
	if (ctx->result == NULL || row >= PQntuples(ctx->result) ||
	    col >= PQnfields(ctx->result))
		return 0;
	return (size_t)PQgetlength(ctx->result, row, col);
}

/* The type OIDs of json and jsonb, fixed in PostgreSQL's catalog. */
#define DB_JSONOID 114
#define DB_JSONBOID 3802

int
mp_db_is_json(const struct mp_ctx *ctx, int col)
{
	Oid t;

	if (ctx->result == NULL || col >= PQnfields(ctx->result))
		return 0;
	t = PQftype(ctx->result, col);
	return t == DB_JSONOID || t == DB_JSONBOID;
}

int
mp_db_reply_row_json(struct mp_ctx *ctx, int status)
{
	const char *v;

	if (mp_db_rows(ctx) < 1 || mp_db_isnull(ctx, 0, 0))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	v = mp_db_value(ctx, 0, 0);
	return mp_reply_raw(ctx, status, "application/json", v, strlen(v));
}
