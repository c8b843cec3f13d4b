/*
 * pipeline.h: how a stage of the gateway's request pipeline plugs in.
 *
 * The pipeline (edge.c) knows no policy. Every policy -- path hygiene,
 * authorisation, revocation, rate limits, Idempotency-Key, the response
 * cache, CORS -- is a stage in its own stage_*.c, registered once, in
 * order, in gw_stages[] (stages.c), the way nginx modules register
 * handlers into request phases. A stage fills in the hooks of the phases
 * it takes part in; edge.c runs the phases in this order, and within each
 * phase the stages in table order:
 *
 * (The security and CORS headers are not a phase: the library adds them
 * once, when any request arrives, through mp_service.headers =
 * gw_edge_reply_headers (stage_cors.c), so that every answer carries each
 * exactly once -- the library's own 401/403/404 included. A second pass
 * would send them twice, and a browser refuses an answer with two
 * Access-Control-Allow-Origin. What mp_reply_* adds itself,
 * X-Content-Type-Options, a proxied or cached answer gets from
 * gw_edge_headers_passthrough.)
 *
 *   access    before any Redis round trip: may answer (404, 401, 503...);
 *   (edge.c reads the request body here, on the /v1 pipeline only)
 *   queue     queue this stage's Redis commands of the request's one
 *             shared round trip (gw_batch_add); may answer (400...);
 *   checked   the round trip is in: decide from the replies; may answer,
 *             or start a round trip of its own (gw_edge_wait) and go on
 *             from its continuation;
 *   (edge.c forwards to the upstream, or on the token endpoints hands the
 *   request to identity/auth.c)
 *   failed    the upstream gave no answer (edge.c replies 502/503/504);
 *   response  the upstream answered `status`: may answer it itself (the
 *             cache does, with its headers and 304s), else edge.c passes
 *             the upstream's answer through.
 *
 * Hooks that may answer return GW_NEXT to let the request go on, or the
 * handler result of their answer (MP_DONE; MP_WAIT after gw_edge_wait).
 *
 * Per-request state: a stage that needs some sets state_size; edge.c
 * gives each request that many zeroed bytes for it and passes them to
 * every hook as `st` (gw_edge_state() finds them from elsewhere).
 *
 * Everything here runs on a Kore worker's event loop: nothing blocks.
 */
#ifndef GW_EDGE_PIPELINE_H
#define GW_EDGE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "mp/service.h"

#include "edge/routing.h"

/* A hook's "not answered, go on" (MP_DONE is 0 and MP_WAIT 1). */
#define GW_NEXT (-1)

/* Which pipelines a stage takes part in. */
#define GW_ON_API 0x01u   /* /v1/... towards an upstream */
#define GW_ON_TOKEN 0x02u /* /auth/token and /auth/register */
#define GW_ON_OWN 0x04u   /* the gateway's other own routes (gw_edge_own) */

#define GW_CMD_ARGS 8 /* arguments of one Redis command */

struct proxy_call;
struct gw_batch;
struct gw_route_table;

/* The request as every stage sees it (ctx->user belongs to edge.c). */
struct gw_edge {
	struct mp_ctx *ctx;
	unsigned on; /* GW_ON_API or GW_ON_TOKEN */
	/* the route (GW_ON_API; set by the path stage, NULL before), in the
	 * upstream's table, held until the request is freed */
	struct gw_route_match m;
	const struct gw_route *route;
	struct gw_route_table *table;
	/* what gw_proxy_upstream_check said of route->upstream: 0, -ENOENT not
	 * configured, -EAGAIN circuit open (retry_s: its Retry-After) */
	int upstream_rc, upstream_retry_s;
	enum gw_rate_class rclass; /* the rate-limit class of the request */
	char *body;                /* the request body (GW_ON_API) */
	size_t body_len;
	char traceparent[56];  /* sent upstream (W3C Trace Context) */
	unsigned proxy_flags;  /* PROXY_* of gw_proxy_start */
	struct proxy_call *pc; /* the upstream call, once forwarded */
};

/* A Redis command being built: gw_cmd_init then gw_cmd_arg / gw_cmd_str;
 * arguments are borrowed until the command is sent. */
struct gw_cmd {
	int argc;
	const char *argv[GW_CMD_ARGS];
	size_t len[GW_CMD_ARGS];
};

struct gw_stage {
	const char *name;
	unsigned on;       /* GW_ON_* */
	size_t state_size; /* bytes of zeroed per-request state, or 0 */
	/* In the parent, once: configuration and metrics. 0, or -1 with a
	 * line on stderr (the gateway does not start). */
	int (*parent_init)(void);
	int (*access)(struct gw_edge *e, void *st);
	int (*queue)(struct gw_edge *e, void *st, struct gw_batch *b);
	int (*checked)(struct gw_edge *e, void *st, const struct gw_batch *b);
	void (*failed)(struct gw_edge *e, void *st);
	int (*response)(struct gw_edge *e, void *st, int status);
};

/* A stage's continuation after its own round trip (gw_edge_wait): same
 * contract as the checked hook. */
typedef int (*gw_edge_step)(struct gw_edge *e, void *st,
                            const struct gw_batch *b);

/* The ordered table (stages.c), NULL-terminated. */
extern const struct gw_stage *const gw_stages[];

/* ---- Redis commands and round trips ---------------------------------- */

/* gw_cmd_init: an empty command named `name` ("GET"). */
void gw_cmd_init(struct gw_cmd *c, const char *name);
/* gw_cmd_arg: append len bytes at p; gw_cmd_str: a NUL-terminated
 * string. More than GW_CMD_ARGS arguments is a programming error
 * (abort). */
void gw_cmd_arg(struct gw_cmd *c, const void *p, size_t len);
void gw_cmd_str(struct gw_cmd *c, const char *s);

/* gw_batch_add: send c as part of b; returns its slot, whose reply the
 * checked hook (or continuation) reads. A command that could not be sent
 * (Redis down) reads as type 0. */
int gw_batch_add(struct gw_batch *b, struct gw_cmd *c);
/* The reply of a slot: its REDIS_REPLY_* type (0: none; also for a
 * negative slot or a NULL batch), its integer, its string (NULL unless
 * the type is REDIS_REPLY_STRING; NUL-terminated, *len bytes). */
int gw_batch_type(const struct gw_batch *b, int slot);
long long gw_batch_integer(const struct gw_batch *b, int slot);
const char *gw_batch_str(const struct gw_batch *b, int slot, size_t *len);

/* gw_redis_forget: send c; nobody waits for its reply (a refusal is
 * logged). */
void gw_redis_forget(struct gw_cmd *c);

/*
 * gw_edge_wait: from a checked hook or continuation, a round trip of the
 * stage's own: returns the hook's result (MP_WAIT, or what `step` returns
 * when nothing was sent). `step` then runs with the stage's state and b's
 * replies; its GW_NEXT goes on with the next stage. The batch is edge.c's
 * (gw_edge_batch), freed by it. NULL from gw_edge_batch: out of memory.
 */
struct gw_batch *gw_edge_batch(struct gw_edge *e);
int gw_edge_wait(struct gw_edge *e, struct gw_batch *b, gw_edge_step step);

/* gw_edge_headers_passthrough: before an answer that does not go through
 * mp_reply_* (a proxied one, a cached one): what mp_reply_* would have
 * added (X-Content-Type-Options). The security and CORS headers are
 * already there. */
void gw_edge_headers_passthrough(struct gw_edge *e);

/* gw_edge_state: the per-request state of stage s (NULL when it has
 * none). */
void *gw_edge_state(struct gw_edge *e, const struct gw_stage *s);

/* ---- helpers for stages ---------------------------------------------- */

struct mp_cfg_var;

/* gw_config_load: a stage's parent_init reads its variables from the
 * environment (mp_config_load); 0, or -1 with the error on stderr. */
int gw_config_load(const struct mp_cfg_var *vars, size_t n);

/*
 * gw_list_parse: split a comma-separated list (blanks around items
 * ignored) into out[max][item], each NUL-terminated. Returns 0 and *n, or
 * -EINVAL (an item of item bytes or more, or more than max items).
 */
int gw_list_parse(const char *spec, char *out, size_t item, int max, int *n);

#endif /* GW_EDGE_PIPELINE_H */
