/*
 * Readiness of the gateway's upstreams, for /readyz.
 *
 * Each worker runs one probe thread that asks every configured upstream
 * for its /readyz every MP_UPSTREAM_PROBE_MS (default 2000 ms, each probe
 * bounded by 1 s) and keeps the last outcome. The /readyz handler only
 * reads those outcomes, so a readiness probe of the gateway never waits on
 * an upstream.
 *
 * /readyz then carries checks.upstreams = {"funding": "up", ...} with, per
 * upstream, "up" (its /readyz answered 200), "down" (anything else, or no
 * answer in time), "unknown" (not probed yet) or "unconfigured". An
 * upstream that is down makes the gateway "degraded" but still ready
 * (200): the gateway keeps serving its own routes, the other upstreams and
 * cached answers, and taking it out of the load balancer would turn one
 * service's outage into an outage of everything. The proxy answers the
 * dead upstream's routes itself (502/503).
 *
 * Upstreams come from the proxy's MP_UPSTREAMS (proxy/upstream_conf.h).
 * The same thread keeps each upstream's route table current
 * (edge/route_table.h): /readyz then also carries
 * checks.upstream_routes = {"funding": "\"<version>\"", ...}, or
 * "kept <version>: why" / "none: why" (degraded) when the table in use is
 * not the one the upstream serves.
 */
#ifndef GATEWAY_UPSTREAMS_H
#define GATEWAY_UPSTREAMS_H

#include "mp/service.h"

#define GW_PROBE_MS_DEFAULT 2000
#define GW_PROBE_TIMEOUT_MS 1000L

/* The extension (mp_service.extensions): reads the settings in the
 * parent, runs the probe thread in each worker, adds the upstreams to
 * /readyz. */
extern const struct mp_extension gw_upstreams_extension;

#endif /* GATEWAY_UPSTREAMS_H */
