/*
 * Cache invalidation from events (contract in invalidate.h).
 *
 * Design: the consumers keep no inbox (use_db 0). The effect, an INCR in
 * Redis, cannot share a transaction with an inbox row in the gateway's
 * PostgreSQL anyway, and it does not need one: INCR is idempotent in the
 * only sense that matters here. A redelivered event (a crash between the
 * INCR and the XACK, a claim by another worker) bumps the generation once
 * more, which only makes already unreachable entries unreachable again and
 * costs one cache miss per cached URL. What must never happen -- an event
 * acknowledged without its INCR -- cannot: the library acknowledges only
 * after apply returned 0, and apply returns 0 only when Redis answered
 * the INCR with an integer.
 *
 * The INCR goes over the consumer thread's own blocking connection
 * (mp_consumer_redis), the one that read the event: no second connection
 * and no reconnection logic here. These functions run in the consumer
 * threads, beside the Kore loop, so blocking is fine.
 *
 * The service to invalidate is the one that emitted the event, from the
 * CloudEvent type ("funding.call.published.v1" -> "funding"). An event
 * whose type does not parse still invalidates the service that owns the
 * stream: when in doubt, drop the cache rather than serve a stale answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "mp/events.h"
#include "mp/log.h"

#include "edge/cache.h"
#include "edge/invalidate.h"
#include "proxy/proxy.h"
#include "proxy/upstream_conf.h"

static int invalidate_apply(PGconn *conn, const json_t *event, void *arg);

/* One consumer per upstream, on events:<name>; the rest zero (the end). */
struct mp_consumer_def gw_invalidate_consumers[GW_UPSTREAMS_MAX + 1];
static char streams[GW_UPSTREAMS_MAX][GW_SERVICE_MAX + 8];

int
gw_invalidate_parent_init(void)
{
	const struct gw_upstream_conf *conf;
	int i, n;

	conf = gw_proxy_upstream_conf(&n);
	memset(gw_invalidate_consumers, 0, sizeof(gw_invalidate_consumers));
	for (i = 0; i < n && i < GW_UPSTREAMS_MAX; i++) {
		snprintf(streams[i], sizeof(streams[i]), "events:%s",
		         conf[i].name);
		gw_invalidate_consumers[i].stream = streams[i];
		gw_invalidate_consumers[i].group = "gateway";
		gw_invalidate_consumers[i].apply = invalidate_apply;
		gw_invalidate_consumers[i].arg =
		    (void *)(uintptr_t)conf[i].name;
	}
	return 0;
}

/*
 * mp_consume_fn of every stream: INCR the generation of the service that
 * emitted `event` (arg: the name of the service owning the stream, used
 * when the type does not name one). Returns 0 once Redis counted it,
 * -ENOTCONN or -EIO otherwise (the library leaves the event pending and
 * delivers it again).
 */
static int
invalidate_apply(PGconn *conn, const json_t *event, void *arg)
{
	char service[GW_SERVICE_MAX + 1], key[GW_CACHE_KEY_MAX];
	const char *type;
	redisContext *rd = mp_consumer_redis();
	redisReply *rep;
	int rc = 0;

	(void)conn;
	if (rd == NULL)
		return -ENOTCONN;
	type = json_string_value(json_object_get(event, "type"));
	if (type == NULL ||
	    gw_cache_event_service(type, service, sizeof(service)) != 0) {
		mp_log(MP_LOG_WARN, "invalidate",
		       "event type not understood; "
		       "invalidating all of %s",
		       (const char *)arg);
		if (strlen(arg) >= sizeof(service))
			return -EINVAL;
		strcpy(service, arg);
	}
	if (gw_cache_gen_key(service, key, sizeof(key)) != 0)
		return -EINVAL;
	rep = redisCommand(rd, "INCR %s", key);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER)
		rc = -EIO;
	freeReplyObject(rep);
	return rc;
}
