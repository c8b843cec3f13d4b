/*
 * routes.h: the gateway's table of the upstream routes it forwards (the
 * enforcement, cache and rate-limit facts of every /v1/... route), checked
 * by gw_route_table_validate at start-up and matched by gw_route_match
 * (routing.h) in edge.c.
 */
#ifndef GATEWAY_ROUTES_H
#define GATEWAY_ROUTES_H

#include <stddef.h>

#include "edge/routing.h"

/* The table and its length (static storage). */
extern const struct gw_route gw_routes[];
extern const size_t gw_nroutes;

/* Scope an API client needs on the public read routes. */
#define GW_SCOPE_FUNDING_READ "funding:read"

#endif /* GATEWAY_ROUTES_H */
