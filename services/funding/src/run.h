/*
 * The shape of every funding route: parse, load, decide, apply, answer.
 *
 * A route is a struct funding_op: an optional body schema, an optional
 * "load" statement that returns the facts a decision needs (and refuses,
 * with 404, whatever the principal may not see), an optional pure C
 * "decide" step (the domain_*.c functions: transition table, eligibility,
 * scoring, quorum, tally, tranche conditions) and one "apply" statement, a
 * call of one SQL function of migrations/0003_api.sql that performs the
 * change, re-checks what it was shown (state, version, budget) under its
 * row locks and writes the event to the outbox in the same transaction.
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
 */
#ifndef FUNDING_RUN_H
#define FUNDING_RUN_H

#include <jansson.h>

#include "mp/service.h"

struct funding_run;

/* What a decide step returns once it answered the client (a refusal). */
#define FUNDING_ANSWERED 1

/* Pure decision between load and apply: returns 0 to go on (run->decision
 * set, or left NULL for SQL null), or FUNDING_ANSWERED once it answered the
 * client (a refusal). */
typedef int (*funding_decide_fn)(struct mp_ctx *ctx, struct funding_run *run);

struct funding_op {
	const struct mp_field *schema; /* JSON body; NULL: no body is read */
	const char *const *query;      /* query arguments passed in args */
	const char *load_sql;          /* optional */
	funding_decide_fn decide;      /* optional (needs load_sql or body) */
	const char *apply_sql;         /* required */
	int status;                    /* success status: 200 or 201 */
	const char *location;          /* 201: printf format, %s = body "id" */
	const char *ctype;             /* NULL: JSON; else column 0 sent raw */
	const void *arg;               /* for decide (a transition machine) */
};

struct funding_run {
	const struct funding_op *op;
	json_t *body;     /* validated body, or NULL */
	json_t *facts;    /* load's answer, or NULL */
	json_t *decision; /* decide's answer, or NULL */
	char *principal;  /* $1 */
	char *args;       /* $2 */
	char *body_text;  /* $3 */
};

/* Run `op` for the request: the whole of a route handler. */
int funding_run_op(struct mp_ctx *ctx, const struct funding_op *op);

/* Answer a refusal from decide(): `problem` is stolen. Returns
 * FUNDING_ANSWERED. */
int funding_refuse(struct mp_ctx *ctx, json_t *problem);

/* The role mask the transition tables know (admin acts as an officer). */
unsigned funding_roles(const struct mp_ctx *ctx);

/* Defines the handler `name` running the op `name##_op`. */
#define FUNDING_ROUTE(name)                                                    \
	int name(struct mp_ctx *ctx)                                           \
	{                                                                      \
		return funding_run_op(ctx, &name##_op);                        \
	}

#endif /* FUNDING_RUN_H */
