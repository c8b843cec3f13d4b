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

/* The consumer definitions for mp_service.consumers: events:funding,
 * events:cases and events:gender, NULL-terminated (.stream == NULL).
 * Static storage. */
extern const struct mp_consumer_def gw_invalidate_consumers[];

#endif /* GATEWAY_INVALIDATE_H */
