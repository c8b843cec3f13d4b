/*
 * route_table.h: the routes the gateway enforces, as the services declare
 * them (pure: no Kore, no network).
 *
 * Each upstream serves its own route table at /_routes (lib/src/kore/
 * health.c: method, path, public, prefix, roles, scopes, cache_ttl_s,
 * public_data, rate_class, repeats; its ETag is the table's version, also given
 * in the service's /readyz as checks.routes). The gateway keeps no table of its
 * own: it loads each upstream's at start and whenever the upstream's /readyz
 * shows a new version (proxy/upstreams.c), parses it here into gw_route entries
 * (routing.h), and keeps the last good one when a service is down or serves a
 * malformed table.
 *
 * Ownership: a table is created by gw_route_table_parse (any thread) and
 * handed to the registry with gw_routes_offer (any thread). From then on
 * only the worker's event loop touches it: gw_routes_current takes the
 * newest offered table in and returns the upstream's table; a request that
 * keeps pointers into it across a wait holds it (gw_route_table_hold /
 * _release), so a table replaced meanwhile lives until its last request is
 * done.
 */
#ifndef GW_EDGE_ROUTE_TABLE_H
#define GW_EDGE_ROUTE_TABLE_H

#include <stddef.h>

#include "edge/routing.h"

#define GW_ROUTES_MAX 1024       /* routes in one upstream's table */
#define GW_ROUTES_VERSION_MAX 80 /* bytes of a version (ETag) + NUL */

struct gw_route_table {
	int refs; /* the registry's and the requests' holds */
	char upstream[GW_SERVICE_MAX + 1];
	char version[GW_ROUTES_VERSION_MAX];
	size_t n;
	struct gw_route *routes; /* pattern and scopes owned by the table */
};

/*
 * gw_route_table_parse: the /_routes document of upstream `upstream`
 * (json, len bytes; version: its ETag, or NULL) into a new table with one
 * hold. Every route must lie under /v1/<upstream>, name known roles (never
 * "client": API clients go by scopes), scopes of [a-z0-9:._-], a cache TTL
 * 0..86400 on GET routes only, a rate class the gateway knows, and pass
 * gw_route_table_validate. A prefix route becomes "<path>/" "**", "*" all
 * methods. Returns 0, -ENOMEM, or -EINVAL with the first reason in err:
 * a malformed table is refused whole.
 */
int gw_route_table_parse(const char *upstream, const char *version,
                         const char *json, size_t len,
                         struct gw_route_table **out, char *err, size_t errlen);

/* gw_route_table_hold / _release: one more / one fewer hold; the last
 * release frees the table. NULL is ignored. */
void gw_route_table_hold(struct gw_route_table *t);
void gw_route_table_release(struct gw_route_table *t);

/* ---- the registry: one slot per upstream ------------------------------ */

/* gw_routes_setup: the upstreams' names, in the parent, once (at most
 * GW_UPSTREAMS_MAX of proxy/upstream_conf.h). 0 or -EINVAL. */
int gw_routes_setup(const char *const *names, int n);

/* gw_routes_index: the upstream that owns path ("/v1/<name>" or below):
 * its index, or -1. */
int gw_routes_index(const char *path);

/* gw_routes_offer: make t (with its one hold) the next table of upstream
 * i; a table offered before and not taken in yet is freed. Any thread. */
void gw_routes_offer(int i, struct gw_route_table *t);

/* gw_routes_current: the table of upstream i (NULL: none loaded yet),
 * after taking in an offered one. Not held for the caller. Event loop
 * (or the parent before the workers start) only. */
struct gw_route_table *gw_routes_current(int i);

#endif /* GW_EDGE_ROUTE_TABLE_H */
