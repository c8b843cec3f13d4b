/*
 * The gateway's request pipeline (contract in edge.h; how a stage plugs in
 * in pipeline.h). This file knows no policy: it runs the stages of
 * gw_stages[] (stages.c) phase by phase, owns the request's state and its
 * Redis round trips, forwards to the upstream and passes its answer back.
 *
 * Redis round trips are batches: the commands the stages queue are
 * pipelined on the worker's connection and the request is parked until
 * every reply is in. A batch is its own allocation pointing back at the
 * request's state (struct core) and pointed to by it; when Kore frees the
 * request (client gone, or answered) core_free() clears that back-pointer,
 * and the batch, whose replies may still arrive, frees itself when the
 * last one does without touching anything else. Writes that need no
 * answer for the client (cache stores, idempotency records, EXPIREs) go
 * through gw_redis_forget, without a back-pointer at all.
 *
 * Redis down: every command fails at once (-ENOTCONN) or its reply is
 * NULL; each stage says in its own file what it does then.
 *
 * Headers: answers the gateway writes through mp_reply_* get the library's
 * X-Content-Type-Options and Cache-Control: no-store; the stages' headers
 * hooks add the rest (security headers, CORS). Proxied and cached answers
 * get all of them, replacing the upstream's copies.
 */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <kore/kore.h>
#include <kore/http.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/principal.h"
#include "mp/runtime.h"
#include "mp/service.h"

#include "edge/edge.h"
#include "edge/pipeline.h"
#include "edge/route_table.h"
#include "edge/stages.h"
#include "identity/auth.h"
#include "proxy/proxy.h"

#define BATCH_MAX 8   /* commands of one round trip */
#define STAGES_MAX 32 /* entries of gw_stages[] */

struct core;

/* One reply of a batch, copied out of hiredis' reply. */
struct slot {
	struct gw_batch *b;
	int type; /* REDIS_REPLY_*, 0: no reply (Redis down) */
	long long integer;
	char *str;
	size_t len;
};

struct gw_batch {
	struct core *core; /* NULL once the request is gone */
	int n, pending;
	struct slot slot[BATCH_MAX];
};

/* The request's pipeline state (ctx->user). */
struct core {
	struct gw_edge e;       /* what the stages see */
	struct gw_batch *batch; /* in flight, or the last one consumed */
	mp_handler after;       /* runs when batch / e.pc completes */
	gw_edge_step step;      /* a stage's continuation (gw_edge_wait) */
	size_t at;              /* the stage whose checked hook runs */
	mp_handler next;        /* GW_ON_TOKEN, GW_ON_OWN: its handler */
	unsigned char *state;   /* the stages' states, after this struct */
};

static struct core *core_new(struct mp_ctx *ctx, unsigned on);
static void core_free(void *arg);
static void *stage_state(struct core *c, size_t i);
static int runs(const struct core *c, size_t i);
static struct gw_batch *batch_new(struct core *c);
static void batch_free(struct gw_batch *b);
static int batch_run(struct core *c, struct gw_batch *b, mp_handler after);
static void batch_reply(void *reply, void *arg);
static void forget_reply(void *reply, void *arg);
static int core_park(struct core *c, mp_handler after);
static int core_resume(struct mp_ctx *ctx);
static int body_read(struct core *c);
static int run_access(struct core *c);
static int run_checked(struct core *c, size_t from);
static int first_checked(struct mp_ctx *ctx);
static int step_resumed(struct mp_ctx *ctx);
static void run_failed(struct core *c);
static int terminal(struct core *c);
static int forward(struct core *c);
static int upstream_answered(struct mp_ctx *ctx);
static int handler_start(struct mp_ctx *ctx, unsigned on, mp_handler next);

/* Per-request state layout, set in the parent (inherited by workers). */
static size_t nstages;
static size_t state_off[STAGES_MAX];
static size_t state_total;

/* ---- set-up -------------------------------------------------------------- */

int
gw_edge_parent_init(void)
{
	const size_t align = alignof(max_align_t);
	char names[STAGES_MAX * 16];
	size_t i, used = 0;

	names[0] = '\0';
	for (nstages = 0; gw_stages[nstages] != NULL; nstages++) {
		if (nstages == STAGES_MAX) {
			fprintf(stderr, "gateway: more than %d stages\n",
			        STAGES_MAX);
			return -1;
		}
	}
	state_total = 0;
	for (i = 0; i < nstages; i++) {
		const struct gw_stage *s = gw_stages[i];

		state_off[i] = state_total;
		state_total += (s->state_size + align - 1) / align * align;
		if (s->parent_init != NULL && s->parent_init() != 0)
			return -1;
		used += (size_t)snprintf(
		    names + used,
		    used < sizeof(names) ? sizeof(names) - used : 0, "%s%s",
		    i > 0 ? ", " : "", s->name);
	}
	mp_log(MP_LOG_INFO, "edge", "pipeline: %s", names);
	return 0;
}

/* ---- request state ---------------------------------------------------------
 */

static struct core *
core_new(struct mp_ctx *ctx, unsigned on)
{
	const size_t head = (sizeof(struct core) + alignof(max_align_t) - 1) /
	                    alignof(max_align_t) * alignof(max_align_t);
	struct core *c;

	if ((c = calloc(1, head + state_total)) == NULL)
		return NULL;
	c->state = (unsigned char *)c + head;
	c->e.ctx = ctx;
	c->e.on = on;
	ctx->user = c;
	ctx->user_free = core_free;
	return c;
}

/* user_free: runs when Kore frees the request, answered or abandoned. */
static void
core_free(void *arg)
{
	struct core *c = arg;

	if (c->batch != NULL) {
		if (c->batch->pending > 0)
			c->batch->core = NULL; /* frees itself when done */
		else
			batch_free(c->batch);
	}
	gw_proxy_call_free(c->e.pc);
	gw_route_table_release(c->e.table);
	free(c->e.body);
	free(c);
}

static void *
stage_state(struct core *c, size_t i)
{
	return gw_stages[i]->state_size > 0 ? c->state + state_off[i] : NULL;
}

void *
gw_edge_state(struct gw_edge *e, const struct gw_stage *s)
{
	struct core *c = (struct core *)e;
	size_t i;

	for (i = 0; i < nstages; i++)
		if (gw_stages[i] == s)
			return stage_state(c, i);
	return NULL;
}

/* 1 if stage i takes part in this request's pipeline. */
static int
runs(const struct core *c, size_t i)
{
	return (gw_stages[i]->on & c->e.on) != 0;
}

static const char *
env_get(const char *name)
{
	return getenv(name);
}

int
gw_config_load(const struct mp_cfg_var *vars, size_t n)
{
	char err[512];

	if (mp_config_load(vars, n, env_get, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

int
gw_list_parse(const char *spec, char *out, size_t item, int max, int *n)
{
	const char *p = spec, *end;
	size_t len;

	*n = 0;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != ','; end++)
			;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= item || *n >= max)
			return -EINVAL;
		memcpy(out + (size_t)*n * item, p, len);
		out[(size_t)*n * item + len] = '\0';
		(*n)++;
		p = end;
	}
	return 0;
}

/* ---- Redis commands and batches
 * ---------------------------------------------- */

void
gw_cmd_init(struct gw_cmd *c, const char *name)
{
	c->argc = 0;
	gw_cmd_str(c, name);
}

void
gw_cmd_arg(struct gw_cmd *c, const void *p, size_t len)
{
	if (c->argc >= GW_CMD_ARGS)
		abort(); /* a stage builds a command too long: a bug */
	c->argv[c->argc] = p;
	c->len[c->argc] = len;
	c->argc++;
}

void
gw_cmd_str(struct gw_cmd *c, const char *s)
{
	gw_cmd_arg(c, s, strlen(s));
}

static struct gw_batch *
batch_new(struct core *c)
{
	struct gw_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->core = c;
	return b;
}

struct gw_batch *
gw_edge_batch(struct gw_edge *e)
{
	return batch_new((struct core *)e);
}

static void
batch_free(struct gw_batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		free(b->slot[i].str);
	free(b);
}

int
gw_batch_add(struct gw_batch *b, struct gw_cmd *cmd)
{
	int i;

	if (b->n >= BATCH_MAX)
		abort(); /* the stages queue more than a batch holds: a bug */
	i = b->n++;
	b->slot[i].b = b;
	if (mp_redis_command(batch_reply, &b->slot[i], cmd->argc, cmd->argv,
	                     cmd->len) == 0)
		b->pending++;
	return i;
}

int
gw_batch_type(const struct gw_batch *b, int i)
{
	return b == NULL || i < 0 || i >= b->n ? 0 : b->slot[i].type;
}

long long
gw_batch_integer(const struct gw_batch *b, int i)
{
	return b == NULL || i < 0 || i >= b->n ? 0 : b->slot[i].integer;
}

const char *
gw_batch_str(const struct gw_batch *b, int i, size_t *len)
{
	if (gw_batch_type(b, i) != REDIS_REPLY_STRING)
		return NULL;
	*len = b->slot[i].len;
	return b->slot[i].str;
}

static void
batch_reply(void *reply, void *arg)
{
	struct slot *s = arg;
	struct gw_batch *b = s->b;
	redisReply *r = reply;
	struct core *c;

	if (r != NULL) {
		s->type = r->type;
		s->integer = r->integer;
		if ((r->type == REDIS_REPLY_STRING ||
		     r->type == REDIS_REPLY_STATUS ||
		     r->type == REDIS_REPLY_ERROR) &&
		    (s->str = malloc(r->len + 1)) != NULL) {
			memcpy(s->str, r->str, r->len);
			s->str[r->len] = '\0';
			s->len = r->len;
		} else if (r->type == REDIS_REPLY_STRING) {
			s->type = 0; /* out of memory: as if no reply */
		}
	}
	if (--b->pending > 0)
		return;
	if ((c = b->core) == NULL) {
		batch_free(b); /* the request is gone */
		return;
	}
	c->e.ctx->resume = core_resume;
	http_request_wakeup(c->e.ctx->req);
}

/* Run `after` once every reply of b is in: now if none is pending. */
static int
batch_run(struct core *c, struct gw_batch *b, mp_handler after)
{
	if (c->batch != NULL && c->batch != b)
		batch_free(c->batch); /* the previous round trip's, consumed */
	c->batch = b;
	c->after = after;
	if (b->pending == 0)
		return after(c->e.ctx);
	return core_park(c, after);
}

int
gw_edge_wait(struct gw_edge *e, struct gw_batch *b, gw_edge_step step)
{
	struct core *c = (struct core *)e;

	c->step = step;
	return batch_run(c, b, step_resumed);
}

static void
forget_reply(void *reply, void *arg)
{
	redisReply *r = reply;

	(void)arg;
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		mp_log(MP_LOG_WARN, "edge", "redis refused a write: %s",
		       r->str);
}

void
gw_redis_forget(struct gw_cmd *cmd)
{
	(void)mp_redis_command(forget_reply, NULL, cmd->argc, cmd->argv,
	                       cmd->len);
}

static int
core_park(struct core *c, mp_handler after)
{
	c->after = after;
	c->e.ctx->resume = core_resume;
	http_request_sleep(c->e.ctx->req);
	return MP_WAIT;
}

static int
core_resume(struct mp_ctx *ctx)
{
	struct core *c = ctx->user;

	if ((c->batch != NULL && c->batch->pending > 0) ||
	    (c->e.pc != NULL && !gw_proxy_call_done(c->e.pc))) {
		http_request_sleep(ctx->req); /* woken by someone else */
		return MP_WAIT;
	}
	return c->after(ctx);
}

/* ---- the phases
 * ------------------------------------------------------------------ */

void
gw_edge_headers_passthrough(struct gw_edge *e)
{
	mp_reply_header(e->ctx, "X-Content-Type-Options", "nosniff");
}

/* The request body in memory (the fingerprint and the proxy need it). */
static int
body_read(struct core *c)
{
	struct http_request *req = c->e.ctx->req;
	size_t want = req->http_body_length;
	ssize_t n;

	if (want == 0)
		return 0;
	if ((c->e.body = malloc(want)) == NULL)
		return -ENOMEM;
	while (c->e.body_len < want) {
		n = http_body_read(req, c->e.body + c->e.body_len,
		                   want - c->e.body_len);
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		c->e.body_len += (size_t)n;
	}
	return 0;
}

/* access, then the first round trip with every stage's commands. */
static int
run_access(struct core *c)
{
	struct mp_ctx *ctx = c->e.ctx;
	struct gw_batch *b;
	size_t i;
	int rc;

	for (i = 0; i < nstages; i++) {
		if (!runs(c, i) || gw_stages[i]->access == NULL)
			continue;
		if ((rc = gw_stages[i]->access(&c->e, stage_state(c, i))) !=
		    GW_NEXT)
			return rc;
	}
	if (c->e.on == GW_ON_API && body_read(c) != 0)
		return mp_reply_problem(ctx, 400, "unreadable-body",
		                        "the request body could not be read");
	if ((b = batch_new(c)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	c->batch = b; /* freed with the request if a stage answers now */
	for (i = 0; i < nstages; i++) {
		if (!runs(c, i) || gw_stages[i]->queue == NULL)
			continue;
		if ((rc = gw_stages[i]->queue(&c->e, stage_state(c, i), b)) !=
		    GW_NEXT)
			return rc;
	}
	return batch_run(c, b, first_checked);
}

static int
first_checked(struct mp_ctx *ctx)
{
	return run_checked(ctx->user, 0);
}

/* A stage's own round trip is in: its continuation, then the next stages. */
static int
step_resumed(struct mp_ctx *ctx)
{
	struct core *c = ctx->user;
	int rc;

	rc = c->step(&c->e, stage_state(c, c->at), c->batch);
	if (rc != GW_NEXT)
		return rc;
	return run_checked(c, c->at + 1);
}

static int
run_checked(struct core *c, size_t from)
{
	size_t i;
	int rc;

	for (i = from; i < nstages; i++) {
		if (!runs(c, i) || gw_stages[i]->checked == NULL)
			continue;
		c->at = i;
		rc = gw_stages[i]->checked(&c->e, stage_state(c, i), c->batch);
		if (rc != GW_NEXT)
			return rc;
	}
	return terminal(c);
}

static void
run_failed(struct core *c)
{
	size_t i;

	for (i = 0; i < nstages; i++)
		if (runs(c, i) && gw_stages[i]->failed != NULL)
			gw_stages[i]->failed(&c->e, stage_state(c, i));
}

/* Every stage let the request through. */
static int
terminal(struct core *c)
{
	struct mp_ctx *ctx = c->e.ctx;
	mp_handler next = c->next;

	if (c->e.on == GW_ON_API)
		return forward(c);
	/* a token endpoint or another of the gateway's own routes: hand the
	 * request to its handler with a clean slate (its own state, its own
	 * database chain) */
	ctx->user = NULL;
	ctx->user_free = NULL;
	ctx->resume = NULL;
	core_free(c);
	return next(ctx);
}

/* ---- the upstream
 * ------------------------------------------------------------------- */

static int
forward(struct core *c)
{
	struct gw_edge *e = &c->e;
	struct mp_ctx *ctx = e->ctx;
	char ra[16];
	int rc, retry = 1;

	rc = gw_proxy_start(ctx, e->route->upstream, e->body, e->body_len,
	                    e->traceparent, e->proxy_flags, &retry, &e->pc);
	e->body = NULL; /* the call owns it now */
	if (rc == 0)
		return core_park(c, upstream_answered);
	run_failed(c);
	switch (rc) {
	case -EAGAIN:
		snprintf(ra, sizeof(ra), "%d", retry);
		mp_reply_header(ctx, "Retry-After", ra);
		return mp_reply_problem(
		    ctx, 503, "upstream-unavailable",
		    "the upstream service is failing; retry later");
	case -ENOENT:
		mp_reply_header(ctx, "Retry-After", "30");
		return mp_reply_problem(
		    ctx, 503, "upstream-not-configured",
		    "this part of the API is not available here");
	case -ENAMETOOLONG:
		return mp_reply_problem(ctx, 414, "uri-too-long",
		                        "the request target is too long");
	case -EINVAL:
		return mp_reply_problem(ctx, 405, "method-not-allowed",
		                        "this method cannot be forwarded");
	default:
		return mp_reply_problem(
		    ctx, 502, "bad-gateway",
		    "the upstream service could not be reached");
	}
}

static int
upstream_answered(struct mp_ctx *ctx)
{
	static const char *const drop[] = {"x-content-type-options",
	                                   "referrer-policy", "x-frame-options",
	                                   "content-security-policy", NULL};
	struct core *c = ctx->user;
	struct gw_edge *e = &c->e;
	int status = gw_proxy_call_status(e->pc), rc;
	size_t i;

	if (status == 0) {
		run_failed(c);
		return gw_proxy_fail_reply(ctx, e->pc);
	}
	for (i = 0; i < nstages; i++) {
		if (!runs(c, i) || gw_stages[i]->response == NULL)
			continue;
		rc = gw_stages[i]->response(e, stage_state(c, i), status);
		if (rc != GW_NEXT)
			return rc;
	}
	gw_edge_headers_passthrough(e);
	if (ctx->principal.authenticated &&
	    gw_proxy_call_header(e->pc, "cache-control") == NULL)
		mp_reply_header(ctx, "Cache-Control", "no-store");
	return gw_proxy_reply(ctx, e->pc, drop);
}

/* ---- entry points
 * ------------------------------------------------------------------ */

int
gw_edge_handler(struct mp_ctx *ctx)
{
	struct core *c;

	if ((c = core_new(ctx, GW_ON_API)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	return run_access(c);
}

/* The `on` stages, then `next` (a gateway route's own handler). */
static int
handler_start(struct mp_ctx *ctx, unsigned on, mp_handler next)
{
	struct core *c;

	if ((c = core_new(ctx, on)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	c->e.rclass = GW_RC_AUTH; /* the token endpoints' class */
	c->next = next;
	return run_access(c);
}

int
gw_edge_auth_token(struct mp_ctx *ctx)
{
	return handler_start(ctx, GW_ON_TOKEN, gw_auth_token);
}

int
gw_edge_auth_register(struct mp_ctx *ctx)
{
	return handler_start(ctx, GW_ON_TOKEN, gw_auth_register);
}

int
gw_edge_own(struct mp_ctx *ctx, mp_handler next)
{
	return handler_start(ctx, GW_ON_OWN, next);
}

int
gw_edge_preflight(struct mp_ctx *ctx)
{
	return handler_start(ctx, GW_ON_OWN, gw_cors_preflight_reply);
}
