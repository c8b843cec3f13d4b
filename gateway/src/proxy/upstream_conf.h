/*
 * upstream_conf.h: the gateway's upstreams as configured (pure: no Kore,
 * no network), from one variable:
 *
 *   MP_UPSTREAMS=funding=http://funding:8081,cases=http://cases:8082
 *
 * Comma-separated items. "<name>=<base URL>" names an upstream and its
 * first replica; a bare base URL right after it adds another replica of
 * the same upstream ("funding=http://a:8081,http://b:8081"); "<name>="
 * with no URL names an upstream that is not deployed here (its routes
 * answer 503 upstream-not-configured). The upstream <name> owns the paths
 * /v1/<name> and below, its events are on the stream events:<name>, and
 * its route table is what it serves at <base>/_routes.
 *
 * Names: [a-z][a-z0-9_-]*, at most GW_SERVICE_MAX bytes, each once. Base
 * URLs: http:// or https://, a host, no query, fragment, blank or control
 * byte; a trailing "/" is dropped; each once per upstream.
 */
#ifndef GW_PROXY_UPSTREAM_CONF_H
#define GW_PROXY_UPSTREAM_CONF_H

#include <stddef.h>

#include "edge/routing.h"

#define GW_UPSTREAMS_MAX 16
#define GW_REPLICAS_MAX 8
#define GW_BASE_MAX 256 /* bytes of a base URL + NUL */

struct gw_upstream_conf {
	char name[GW_SERVICE_MAX + 1];
	int nreplicas; /* 0: not deployed here */
	char base[GW_REPLICAS_MAX][GW_BASE_MAX];
};

/*
 * gw_upstreams_parse: spec (NULL or "" is no upstream) into out[0..*n).
 * Returns 0, or -EINVAL with a message naming the item and the reason in
 * err (out and *n then undefined).
 */
int gw_upstreams_parse(const char *spec, struct gw_upstream_conf *out, int max,
                       int *n, char *err, size_t errlen);

/* gw_upstream_base_check: 0 if base is an acceptable base URL (see
 * above), writing its length without trailing '/' to *len; else -EINVAL. */
int gw_upstream_base_check(const char *base, size_t blen, size_t *len);

#endif /* GW_PROXY_UPSTREAM_CONF_H */
