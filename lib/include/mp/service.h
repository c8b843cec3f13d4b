/*
 * The Kore side of the shared library: how a service declares itself and
 * how its handlers are written.
 *
 * A service is one Kore module. Kore routes every request to one entry
 * point (mp_http_entry, the only route in the service's .conf); the library
 * matches the request against the service's route table, answers 404/405,
 * assigns the request id, authenticates the bearer token, checks the roles
 * the route allows, and only then calls the handler with a request context.
 *
 * Handlers never block. Database work is a chain of steps: a handler sends
 * one statement with mp_db_query() naming the step to run when its result
 * is in, and returns what mp_db_query() returned. Each statement is its own
 * transaction (Kore's pool hands a connection back after every statement),
 * so a multi-statement business rule is one SQL function or one CTE in the
 * service's migrations: the database, not the worker, holds the invariant.
 *
 * Return values of handlers and steps: MP_DONE (a response was sent) or
 * MP_WAIT (a query is in flight; the library resumes the chain).
 */
#ifndef MP_SERVICE_H
#define MP_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "mp/principal.h"
#include "mp/body.h"
#include "mp/events.h"

struct http_request;
struct mp_ctx;

/* The Server header of every answer, Kore's own included (app.c). */
#define MP_HTTP_SERVER "mp"

#define MP_DONE 0
#define MP_WAIT 1

/* Route flags. */
#define MP_ROUTE_PUBLIC                                                        \
	0x01 /* no token needed (a token, if sent, is still verified) */
#define MP_ROUTE_INTERNAL                                                      \
	0x02 /* ops endpoints: not in OpenAPI, no auth, no metrics label */
#define MP_ROUTE_PREFIX                                                        \
	0x04 /* pattern matches itself and everything below it */
#define MP_ROUTE_ANY_METHOD 0x08 /* the route takes every method */
/* query parameters may repeat (DHIS2-style dimension=a&dimension=b): the
 * handler reads the raw query string for them. With cache_ttl_s, the
 * answer must not depend on the order of the repeated values: the
 * gateway's cache key sorts them (gw_cache_key) */
#define MP_ROUTE_REPEATS 0x10
/* the answer is the same for every caller: the gateway's cache key
 * ignores who asks (with cache_ttl_s) */
#define MP_ROUTE_PUBLIC_DATA 0x20

#define MP_MAX_PARAMS 6

/* Method bits, equal to Kore's HTTP_METHOD_* values. */
#define MP_GET 0x0001
#define MP_POST 0x0002
#define MP_PUT 0x0004
#define MP_DELETE 0x0010
#define MP_PATCH 0x0080

typedef int (*mp_handler)(struct mp_ctx *ctx);

/*
 * One route of a service. The service's table is the one source of its
 * routes: the library routes and authorises with it, the service serves it
 * at /_routes (with an ETag, its version also in /readyz), and the gateway
 * loads it from there and enforces it before forwarding anything, so a
 * route never needs a gateway change. The last three fields are for the
 * gateway only (zero: no API clients, not cached, rate class "default",
 * "write" for writes).
 */
struct mp_route {
	int method;          /* one MP_* method */
	const char *pattern; /* "/v1/funding/calls/{id}": literal segments and
	                        {params} */
	mp_handler handler;
	unsigned flags;
	unsigned roles; /* MP_ROLE_* allowed; 0 = any authenticated principal */
	const char *scopes;     /* space-separated scopes of which an API client
	                           needs one ("funding:read"); NULL: API clients
	                           refused */
	int cache_ttl_s;        /* > 0: the gateway may cache GET answers this
	                           long (per principal unless MP_ROUTE_PUBLIC_DATA) */
	const char *rate_class; /* the gateway's rate-limit class ("auth",
	                           "write"); NULL: "default" */
};

/*
 * A part of a service with a life cycle of its own (the gateway's OpenAPI
 * files, its upstream probes), listed in mp_service.extensions so that it
 * plugs in without editing the service's own init functions. Every hook is
 * optional (NULL).
 *   parent_init  in the parent, after mp_service.parent_init; -1 stops
 *                start-up (bad configuration)
 *   worker_init  in each worker, after mp_service.worker_init; -1 is fatal
 *   worker_stop  in each worker at teardown, before the event threads stop
 *   ready        on each /readyz, in the worker: adds its entries to
 *                `checks` (borrowed) from state it already holds -- it must
 *                not block. Returns 0 (ready), MP_READY_DEGRADED (still 200,
 *                status "degraded") or negative (not ready: 503).
 */
#define MP_READY_DEGRADED 1

struct mp_extension {
	const char *name;
	int (*parent_init)(void);
	int (*worker_init)(void);
	void (*worker_stop)(void);
	int (*ready)(json_t *checks);
};

struct mp_service {
	const char *name; /* "funding": logs, metrics, stream "events:<name>" */
	const struct mp_route *routes;
	size_t nroutes;
	int uses_db;    /* 1: MP_DB_URL required, migrations applied at start */
	int uses_redis; /* 1: MP_REDIS_URL required */
	int relay;      /* 1: run the outbox relay to the service's stream */
	const struct mp_consumer_def
	    *consumers; /* NULL-terminated by .stream == NULL;
	                   read after parent_init */
	/* 1: refuse access tokens the gateway revoked (mp/revocation.h): the
	 * library consumes its events into this service's revoked_token and
	 * each worker checks an in-memory copy. Needs uses_db and uses_redis.
	 * A consumer of the service on "events:gateway" shares the delivery
	 * (one inbox row per event): its apply runs after the library's. */
	int revocation;
	int (*parent_init)(
	    void); /* optional, in the parent after configuration */
	int (*worker_init)(void); /* optional, in each worker */
	const struct mp_extension *const *extensions; /* NULL-terminated */
	/* 1: /metrics and /_routes are never served on the public listener,
	 * only on the ops listener (MP_OPS_PORT): a process that faces the
	 * internet (the gateway). Others move them there when MP_OPS_PORT
	 * is set. */
	int ops_private;
	/* Optional: headers every answer of the process carries (the
	 * gateway's security and CORS headers), added once when a request
	 * arrives, before anything can answer it (the library's own 401,
	 * 403, 404, 431 included). */
	void (*headers)(struct mp_ctx *ctx);
	/* Optional: 1 for a request that belongs to work accepted before a
	 * drain began (the gateway's own GraphQL reads, made for an
	 * operation in flight): served while draining instead of the 503
	 * shutting-down. The worker keeps accepting connections while it
	 * drains requests, so such a request reaches it whatever Kore's
	 * accept lock says. */
	int (*drain_exempt)(struct mp_ctx *ctx);
};

/* Each service module defines exactly one of these. */
extern const struct mp_service mp_service_def;

/* What one request carries through its handler and steps. Owned by the
 * request (freed with it); handlers may keep their own state in `user`,
 * released by `user_free` if set. */
struct mp_ctx {
	struct http_request *req;
	const struct mp_route *route;
	int route_idx;
	char request_id[64];
	char traceparent[64];
	const char *lang; /* negotiated: "fr", "ar", "en" or "zgh" */
	struct mp_principal principal;
	struct {
		const char *name;
		char value[128];
	} params[MP_MAX_PARAMS];
	int nparams;
	uint64_t start_us;

	/* the database chain */
	int db_phase;
	int db_retries;
	mp_handler db_next;
	int db_handle_errors; /* the step sees errors itself */
	const char *db_sql;
	char *db_values[16];
	int db_nvalues;
	PGresult *result; /* result of the last statement (owned) */
	char sqlstate[6]; /* "" if the last statement succeeded */
	char *db_error;   /* message of the failure (never sent to clients) */
	void *db_impl;    /* struct kore_pgsql, opaque here */
	/* admission to the worker's pool (db.c): first come, first served */
	struct mp_ctx *db_wnext, *db_wprev;
	int db_queued;  /* waiting for a connection */
	int db_granted; /* holds (or was promised) a connection */
	int db_steps;   /* statements this request has run */
	/* where its time went (phases.c), NULL unless MP_BENCH_PHASES */
	struct mp_phase_rec *phase;

	void *query_impl;      /* parsed query string (reply.c) */
	int cache_control_set; /* the handler chose Cache-Control (reply.c
	                          then adds no default "no-store") */
	/* the response headers so far, as their wire lines ("Name: value"
	 * CRLF each), handed to Kore as one block by mp_reply_send (reply.c):
	 * hdr_inline first, then a heap copy when it outgrows it */
	char *hdr;
	size_t hdr_len, hdr_cap;
	char hdr_inline[768];

	/* When set, a re-entered request (after MP_WAIT) runs this instead of
	 * the database chain: for handlers that park a request on their own
	 * I/O (the gateway's upstream calls) and wake it with
	 * http_request_wakeup(). */
	mp_handler resume;

	void *user;
	void (*user_free)(void *);
};

/* ---- request inspection ---------------------------------------------- */

/* Value of path parameter `name` ({name} in the pattern), or NULL. */
const char *mp_param(const struct mp_ctx *ctx, const char *name);

/* Value of request header `name` (case-insensitive), or NULL. Borrowed. */
const char *mp_header(const struct mp_ctx *ctx, const char *name);

/* Query-string argument `name` (URL-decoded), or NULL. Borrowed; valid
 * for the request's life. The library has already refused (400) a query
 * with a bad escape, a control character or a repeated name (query.h). */
const char *mp_query(struct mp_ctx *ctx, const char *name);

/*
 * Check the query parameters `schema` declares (query.h: enum, uuid,
 * integer range, ...). 0 when valid; otherwise the client was answered
 * (400 "validation", errors[] naming each bad parameter) and a negative
 * error is returned: the handler returns MP_DONE. schema NULL checks only
 * what every request gets (mp_query_split_or_reply).
 */
int mp_query_or_reply(struct mp_ctx *ctx, const struct mp_field *schema);

/* Split the query string strictly (query.h); run by the library for every
 * request before its handler. 0, or negative once it answered 400. */
int mp_query_split_or_reply(struct mp_ctx *ctx);

/* As mp_query_or_reply, and first refuse (400 "bad-query", errors[]
 * naming each) a parameter `allowed` does not declare: for APIs whose
 * clients must learn that a misspelt filter was not applied. */
int mp_query_strict_or_reply(struct mp_ctx *ctx,
                             const struct mp_field *allowed);

/* ---- replies (each returns MP_DONE) -------------------------------------- */

/* Send `body` (stolen: the reference is released) as JSON with `status`. */
int mp_reply_json(struct mp_ctx *ctx, int status, json_t *body);

/* Send raw bytes with a content type. */
int mp_reply_raw(struct mp_ctx *ctx, int status, const char *ctype,
                 const void *data, size_t len);

/* Send a problem+json: `problem` is stolen. */
int mp_reply_problem_json(struct mp_ctx *ctx, json_t *problem);

/* Build and send a problem with the standard title of `status`. */
int mp_reply_problem(struct mp_ctx *ctx, int status, const char *slug,
                     const char *detail);

/* 405 problem with the Allow header listing `methods` (MP_* bits). */
int mp_reply_method_not_allowed(struct mp_ctx *ctx, unsigned methods);

/* Add a response header (copied). A Cache-Control set here replaces the
 * library's default "no-store". A name that is not an HTTP token, or a
 * value with a CR, LF or other control character (tab aside), is dropped
 * with an error logged: no caller can split the answer's header block. */
void mp_reply_header(struct mp_ctx *ctx, const char *name, const char *value);

/* As mp_reply_header, replacing every header of that name added so far. */
void mp_reply_header_set(struct mp_ctx *ctx, const char *name,
                         const char *value);

/* Send the answer: `status`, the headers added so far, then `len` bytes of
 * `data` (NULL for none; Kore adds Content-Length unless the request has
 * HTTP_REQUEST_NO_CONTENT_LENGTH). Every answer of a request goes through
 * here, so that the headers go with it. Returns MP_DONE. */
int mp_reply_send(struct mp_ctx *ctx, int status, const void *data, size_t len);

/*
 * Parse the request body against `schema`. On success returns 0 and
 * *out is a new reference the caller releases. Otherwise the client was
 * already answered (400 with errors[], 413 or 415) and a negative error is
 * returned: the handler returns MP_DONE.
 */
int mp_body_or_reply(struct mp_ctx *ctx, const struct mp_field *schema,
                     json_t **out);

/* Region check that answers 404 (as for a missing id) when the principal
 * may not see `region`. 0 allowed, -EACCES answered. */
int mp_region_or_reply(struct mp_ctx *ctx, const char *region);

/* Role check that answers 403. 0 allowed, -EACCES answered. */
int mp_role_or_reply(struct mp_ctx *ctx, unsigned roles);

/* ---- the database chain ------------------------------------------------ */

/*
 * Send one parameterised statement; when it completes, `next` runs with
 * ctx->result set. Values are copied (NULL means SQL NULL). On failure the
 * library answers the client itself, mapping SQLSTATE to HTTP:
 *   23505 → 409, 23503/23514/23502/22xxx → 422, 40001/40P01 → retried up to
 *   3 times then 503, MPnnn (raised by our SQL functions) → nnn with the
 *   message as detail and DETAIL merged when it is a JSON object,
 *   anything else → 500 (logged, never sent).
 * Returns MP_WAIT, or MP_DONE when it already answered (pool exhausted → 503).
 */
int mp_db_query(struct mp_ctx *ctx, mp_handler next, const char *sql,
                int nvalues, const char *const *values);

/* Same, but `next` also runs on failure with ctx->sqlstate set. */
int mp_db_query_checked(struct mp_ctx *ctx, mp_handler next, const char *sql,
                        int nvalues, const char *const *values);

/* Result accessors for ctx->result (NULL-safe). */
int mp_db_rows(const struct mp_ctx *ctx);
const char *mp_db_value(const struct mp_ctx *ctx, int row, int col);
int mp_db_isnull(const struct mp_ctx *ctx, int row, int col);
/* Bytes of a value (0 when absent), and whether column col is of type
 * json or jsonb (text PostgreSQL built and checked as JSON). */
size_t mp_db_length(const struct mp_ctx *ctx, int row, int col);
int mp_db_is_json(const struct mp_ctx *ctx, int col);

/* Map a failed statement to a problem reply (what mp_db_query does). */
int mp_db_error_reply(struct mp_ctx *ctx);

/* Send the single JSON value in row 0 column 0 (the usual shape of our
 * queries: SELECT json_build_object(...)) with `status`; 404 when no row. */
int mp_db_reply_row_json(struct mp_ctx *ctx, int status);

/* ---- service state --------------------------------------------------------
 */

/* 1 once SIGTERM was received: readiness fails, new requests get 503. */
int mp_draining(void);

/* Name of the service (mp_service_def.name). */
const char *mp_service_name(void);

#endif /* MP_SERVICE_H */
