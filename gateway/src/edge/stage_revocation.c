/*
 * Stage "revocation": a token whose jti was revoked (/auth/revoke, a
 * refresh family's or an account's revocation) is a 401.
 *
 * Checked in memory, without a round trip: every worker keeps the
 * unexpired revoked jtis of the gateway's revoked_token table (filled in
 * the same transaction as the revocation, 0008_revocation_view.sql) in
 * the library's revocation view (mp/revocation.h), refreshed every
 * MP_REVOCATION_POLL_MS. The worker that revokes a token adds it to its
 * own set at once (mp_revocation_note). Error bound: another worker, or
 * another gateway replica, refuses the token at most one poll period
 * (250 ms) plus one query after the revocation committed; the services
 * refuse it on their own after the event reaches them.
 *
 * The view cannot be refreshed (database down for more than
 * MP_REVOCATION_STALE_MS): revocations already known still apply, and
 * MP_REVOCATION_FAIL=open (the default) accepts other tokens, because
 * access tokens live minutes and the services check too; "closed"
 * answers 503 on non-public routes instead. Either way it is counted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/revocation.h"
#include "mp/runtime.h"
#include "mp/service.h"

#include "edge/pipeline.h"
#include "edge/routing.h"
#include "edge/stages.h"

static int revocation_parent_init(void);
static int revocation_access(struct gw_edge *e, void *st);

const struct gw_stage gw_stage_revocation = {
    .name = "revocation",
    .on = GW_ON_API | GW_ON_OWN,
    .parent_init = revocation_parent_init,
    .access = revocation_access,
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
	    "Tokens whose revocation could not be checked (revocation view "
	    "stale)",
	    0);
	mp_log(MP_LOG_INFO, "edge", "revocation fails %s", mode);
	return 0;
}

static int
revocation_access(struct gw_edge *e, void *st)
{
	const struct mp_principal *p = &e->ctx->principal;
	struct mp_ctx *ctx = e->ctx;

	(void)st;
	if (!p->authenticated || p->jti[0] == '\0')
		return GW_NEXT;
	if (mp_revocation_revoked(p->jti)) {
		mp_metrics_counter_add(m_revoked, 1);
		mp_reply_header(ctx, "WWW-Authenticate",
		                "Bearer error=\"invalid_token\"");
		return mp_reply_problem(ctx, 401, "invalid-token",
		                        "this token was revoked");
	}
	if (mp_revocation_age_ms() <= MP_REVOCATION_STALE_MS)
		return GW_NEXT;
	mp_metrics_counter_add(m_unchecked, 1);
	mp_log(MP_LOG_WARN, "edge",
	       "token revocation not checked (revocation view stale): %s",
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
