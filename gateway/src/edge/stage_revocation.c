/*
 * Stage "revocation": a token whose jti was revoked (/auth/revoke) is a
 * 401, checked in the request's first round trip (EXISTS on the key
 * gw_auth_jti_revoked_key names).
 *
 * Redis down: the revocation cannot be checked. MP_REVOCATION_FAIL=open
 * (the default) accepts the token, because access tokens live minutes,
 * the revocation is also in the gateway's database, and the gateway keeps
 * serving without Redis; "closed" answers 503 on non-public routes
 * instead. Either way it is logged and counted.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/runtime.h"
#include "mp/service.h"

#include "edge/pipeline.h"
#include "edge/routing.h"
#include "edge/stages.h"
#include "identity/tokens.h"

struct revocation {
	int slot; /* the EXISTS, or -1 */
};

static int revocation_parent_init(void);
static int revocation_queue(struct gw_edge *e, void *st, struct gw_batch *b);
static int revocation_checked(struct gw_edge *e, void *st,
                              const struct gw_batch *b);

const struct gw_stage gw_stage_revocation = {
    .name = "revocation",
    .on = GW_ON_API | GW_ON_OWN,
    .state_size = sizeof(struct revocation),
    .parent_init = revocation_parent_init,
    .queue = revocation_queue,
    .checked = revocation_checked,
};

static int fail_closed;
static int m_revoked = -1, m_unchecked = -1;

static int
revocation_parent_init(void)
{
	static const char *const modes[] = {"open", "closed", NULL};
	char mode[8];
	const struct mp_cfg_var vars[] = {
	    {"MP_REVOCATION_FAIL", MP_CFG_ENUM, 0, "open", 0, 0, modes, mode,
	     sizeof(mode), "open or closed when revocation cannot be checked"},
	};

	snprintf(mode, sizeof(mode), "open");
	if (gw_config_load(vars, 1) != 0)
		return -1;
	fail_closed = strcmp(mode, "closed") == 0;
	m_revoked =
	    mp_metrics_counter_new("gw_revoked_tokens_refused_total", NULL,
	                           "Requests refused for a revoked token", 0);
	m_unchecked = mp_metrics_counter_new(
	    "gw_revocation_unchecked_total", NULL,
	    "Tokens whose revocation could not be checked (Redis down)", 0);
	mp_log(MP_LOG_INFO, "edge", "revocation fails %s", mode);
	return 0;
}

static int
revocation_queue(struct gw_edge *e, void *st, struct gw_batch *b)
{
	struct revocation *r = st;
	const struct mp_principal *p = &e->ctx->principal;
	struct gw_cmd cmd;
	char key[96];

	r->slot = -1;
	if (!p->authenticated || p->jti[0] == '\0' ||
	    gw_auth_jti_revoked_key(p->jti, key, sizeof(key)) != 0)
		return GW_NEXT;
	gw_cmd_init(&cmd, "EXISTS");
	gw_cmd_str(&cmd, key);
	r->slot = gw_batch_add(b, &cmd);
	return GW_NEXT;
}

static int
revocation_checked(struct gw_edge *e, void *st, const struct gw_batch *b)
{
	struct revocation *r = st;
	struct mp_ctx *ctx = e->ctx;
	int t;

	if (r->slot < 0)
		return GW_NEXT;
	t = gw_batch_type(b, r->slot);
	if (t == REDIS_REPLY_INTEGER && gw_batch_integer(b, r->slot) == 0)
		return GW_NEXT;
	if (t == REDIS_REPLY_INTEGER) {
		mp_metrics_counter_add(m_revoked, 1);
		mp_reply_header(ctx, "WWW-Authenticate",
		                "Bearer error=\"invalid_token\"");
		return mp_reply_problem(ctx, 401, "invalid-token",
		                        "this token was revoked");
	}
	mp_metrics_counter_add(m_unchecked, 1);
	mp_log(MP_LOG_WARN, "edge",
	       "token revocation not checked (Redis "
	       "unavailable): %s",
	       fail_closed ? "refused" : "accepted");
	if (fail_closed &&
	    !(e->route != NULL && (e->route->flags & GW_R_PUBLIC))) {
		mp_reply_header(ctx, "Retry-After", "1");
		return mp_reply_problem(
		    ctx, 503, "revocation-unavailable",
		    "the token cannot be checked right now; retry");
	}
	return GW_NEXT;
}
