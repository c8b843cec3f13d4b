/*
 * run.h: the shape of every service route: parse, load, decide, apply,
 * answer.
 *
 * A route is a struct mp_op: an optional body schema, an optional "load"
 * statement that returns the facts a decision needs (and refuses, with
 * 404, whatever the principal may not see), an optional pure C "decide"
 * step (a service's transition table, eligibility, scoring, consent
 * rules...) and one "apply" statement, a call of one SQL function of the
 * service's migrations that performs the change, re-checks what it was
 * shown (state, version, budget) under its row locks and writes the event
 * to the outbox in the same transaction.
 *
 * Statements receive, as text:
 *   load:  $1 principal, $2 args, $3 body
 *   apply: $1 principal, $2 args, $3 body, $4 decision, $5 request id
 * principal = {"sub", "roles": [...], "region", "commune", "org"} of the
 * verified token ({} for a public request); args = the path parameters,
 * the declared query arguments, "if_match" (the If-Match header) and
 * "lang" (the language negotiated from Accept-Language);
 * body = the validated JSON body (or null); decision = what decide() set.
 * Both statements return one row whose first column is JSON.
 *
 * The load statement's object is decoded by the op's facts table
 * (facts.h) before decide runs: a key missing, mistyped or undeclared is
 * a 500 logged with its path, never a silent zero in a decision.
 */
#ifndef MP_RUN_H
#define MP_RUN_H

#include <jansson.h>

#include "mp/facts.h"
#include "mp/service.h"

struct mp_run;

/* What a decide step returns once it answered the client (a refusal). */
#define MP_ANSWERED 1

/* Pure decision between load and apply: returns 0 to go on (run->decision
 * set, or left NULL for SQL null), or MP_ANSWERED once it answered the
 * client (a refusal). */
typedef int (*mp_decide_fn)(struct mp_ctx *ctx, struct mp_run *run);

struct mp_op {
	const struct mp_field *schema; /* JSON body; NULL: no body is read */
	const struct mp_field *query;  /* query parameters (mp/query.h):
	                                  checked, 400 naming a bad one;
	                                  passed as text in args */
	const char *load_sql;          /* optional */
	const struct mp_fact *facts;   /* load's answer; required with
	                                  load_sql and decide */
	size_t facts_size;             /* sizeof the struct it fills */
	mp_decide_fn decide;           /* optional (needs load_sql or body) */
	const char *apply_sql;         /* required */
	int status;                    /* success status: 200 or 201 */
	const char *location;          /* 201: printf format, %s = body "id" */
	const char *ctype;             /* NULL: JSON; else column 0 sent raw */
	const void *arg;               /* for decide (a transition machine) */
	/* optional: adds to `args` (borrowed) what declared query arguments
	 * cannot express (a repeated argument, a query parsed by the
	 * service). Returns 0, or MP_ANSWERED once it answered the client
	 * (a 400 naming the argument). */
	int (*args)(struct mp_ctx *ctx, json_t *args);
	/* optional: rework the apply's JSON answer (borrowed) before it is
	 * sent, e.g. open encrypted fields; 0 to send it, MP_ANSWERED once
	 * it answered the client itself */
	int (*answer)(struct mp_ctx *ctx, struct mp_run *run, json_t *body);
};

/* The facts members of an op: MP_OP_FACTS(table, struct x_facts). */
#define MP_OP_FACTS(tbl, st) .facts = (tbl), .facts_size = sizeof(st)

struct mp_run {
	const struct mp_op *op;
	json_t *body;       /* validated body, or NULL */
	json_t *facts_json; /* load's answer, or NULL */
	void *facts;        /* the struct op->facts decoded, or NULL */
	json_t *decision;   /* decide's answer, or NULL */
	char *principal;    /* $1 */
	char *args;         /* $2 */
	char *body_text;    /* $3 */
};

/* Run `op` for the request: the whole of a route handler. */
int mp_run_op(struct mp_ctx *ctx, const struct mp_op *op);

/* Answer a refusal from decide(): `problem` is stolen (NULL: 500).
 * Returns MP_ANSWERED. */
int mp_refuse(struct mp_ctx *ctx, json_t *problem);

/* Answer `status` with a problem of `slug` and `detail` from decide().
 * Returns MP_ANSWERED. */
int mp_refuse_status(struct mp_ctx *ctx, int status, const char *slug,
                     const char *detail);

/* A 409 "illegal-transition" problem with `detail` and "allowed": the n
 * names of allowed (a new reference, or NULL without memory). */
json_t *mp_conflict_problem(const char *detail, const char *const *allowed,
                            size_t n);

/* Defines the handler `name` running the op `name##_op`. */
#define MP_OP_ROUTE(name)                                                      \
	int name(struct mp_ctx *ctx)                                           \
	{                                                                      \
		return mp_run_op(ctx, &name##_op);                             \
	}

#endif /* MP_RUN_H */
