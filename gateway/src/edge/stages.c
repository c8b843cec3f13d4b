/*
 * The gateway's request pipeline, in order: the one place where a stage
 * is added, removed or moved (how a stage plugs in: pipeline.h). Within
 * each phase edge.c runs the stages in this order, so, for a /v1 request:
 *
 *   access   path (400/414/404/405, preflight) -> deployed (503 not
 *            configured) -> auth (401/403) -> breaker (503 circuit open)
 *            -> trace -> revocation (401, in memory) -> ratelimit (its
 *            class)
 *   queue    ratelimit, idem, cache: at most one Redis round trip
 *   checked  ratelimit (429) -> idem (replay, 409, 422, claim) -> cache
 *            (hit)
 *   response idem (record the outcome) -> cache (store, 304, headers)
 *
 * The token endpoints (/auth/token, /auth/register) run the stages marked
 * GW_ON_TOKEN (cors, ratelimit in class "auth") before identity/auth.c.
 */
#include <stddef.h>

#include "edge/pipeline.h"
#include "edge/stages.h"

const struct gw_stage *const gw_stages[] = {
    &gw_stage_path,
    &gw_stage_cors,
    &gw_stage_deployed,
    &gw_stage_auth,
    &gw_stage_breaker,
    &gw_stage_trace,
    &gw_stage_revocation,
    &gw_stage_ratelimit,
    &gw_stage_idem,
    &gw_stage_cache,
    NULL,
};
