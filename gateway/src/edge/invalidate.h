/*
 * Response-cache invalidation: the gateway's consumers of the services'
 * event streams (consumer group "gateway").
 *
 * Every event of service S INCRs the generation counter gw:gen:S
 * (gw_cache_gen_key in cache.h). The response cache embeds the generation
 * current when an answer was stored in that answer's key, so one INCR makes
 * every cached answer of S unreachable at once; they expire by their TTL.
 */
#ifndef GATEWAY_INVALIDATE_H
#define GATEWAY_INVALIDATE_H

#include "mp/events.h"

/* The consumer definitions for mp_service.consumers: events:<name> of
 * every upstream of MP_UPSTREAMS, ended by .stream == NULL. Static
 * storage, filled by gw_invalidate_parent_init. */
extern struct mp_consumer_def gw_invalidate_consumers[];

/* In the parent, after gw_proxy_parent_init: one consumer per upstream.
 * Returns 0. */
int gw_invalidate_parent_init(void);

#endif /* GATEWAY_INVALIDATE_H */
