/*
 * Stages "deployed" and "breaker": the state of the route's upstream, as
 * gw_proxy_upstream_check sees it, read once by "deployed".
 *   deployed (before authorisation): a part of the API that is not
 *            configured here says so to anyone: 503 upstream-not-configured
 *            with Retry-After;
 *   breaker  (after authorisation, before any Redis round trip): an open
 *            circuit answers 503 upstream-unavailable at once, with the
 *            breaker's Retry-After.
 */
#include <errno.h>
#include <stdio.h>

#include "mp/service.h"

#include "edge/pipeline.h"
#include "edge/stages.h"
#include "proxy/proxy.h"

static int deployed_access(struct gw_edge *e, void *st);
static int breaker_access(struct gw_edge *e, void *st);

const struct gw_stage gw_stage_deployed = {
    .name = "deployed",
    .on = GW_ON_API,
    .access = deployed_access,
};

const struct gw_stage gw_stage_breaker = {
    .name = "breaker",
    .on = GW_ON_API,
    .access = breaker_access,
};

static int
deployed_access(struct gw_edge *e, void *st)
{
	(void)st;
	e->upstream_retry_s = 1;
	e->upstream_rc =
	    gw_proxy_upstream_check(e->route->upstream, &e->upstream_retry_s);
	if (e->upstream_rc != -ENOENT)
		return GW_NEXT;
	mp_reply_header(e->ctx, "Retry-After", "30");
	return mp_reply_problem(e->ctx, 503, "upstream-not-configured",
	                        "this part of the API is not available here");
}

static int
breaker_access(struct gw_edge *e, void *st)
{
	char ra[24];

	(void)st;
	if (e->upstream_rc != -EAGAIN)
		return GW_NEXT;
	snprintf(ra, sizeof(ra), "%d", e->upstream_retry_s);
	mp_reply_header(e->ctx, "Retry-After", ra);
	return mp_reply_problem(e->ctx, 503, "upstream-unavailable",
	                        "the upstream service is failing; retry later");
}
