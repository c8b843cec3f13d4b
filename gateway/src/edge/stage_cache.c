/*
 * Stage "cache": the response cache of cacheable GETs (cache.c decides;
 * the invalidation scheme is in cache.h). In the first round trip, two
 * plain GETs: the service's generation and the stored value (the entry
 * with the generation it was read under). The key does not change with
 * the generation (gw_cache_key with generation 0): a stale value is a miss
 * and the next answer replaces it in place. A hit is answered here, with
 * ETag / If-None-Match (304) and X-Cache: hit; a miss goes upstream and
 * its answer is stored for the TTL the route and the service's
 * CDN-Cache-Control allow, and answered here with X-Cache: miss.
 *
 * Who may be served from the cache: anonymous callers, and roles whose
 * view of the data the principal-scoped key captures
 * (GW_CACHE_SCOPED_ROLES in cache.h); routes marked public-data ignore the
 * principal altogether.
 *
 * In front of Redis, each worker's memory (cache_local.h): the same
 * values under the same keys, served while the worker's copy of the
 * service's generation is fresh (read every MP_CACHE_SYNC_MS), so a hit
 * usually costs no Redis round trip; invalidation reaches it within a
 * period and a round trip more than Redis.
 *
 * Redis down: GETs are served uncached (counted), nothing is stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <kore/kore.h>
#include <kore/http.h>

#include "mp/runtime.h"
#include "mp/service.h"

#include "edge/cache.h"
#include "edge/cache_local.h"
#include "edge/pipeline.h"
#include "edge/stages.h"
#include "graphql/graphql.h"
#include "proxy/proxy.h"

struct cache {
	int on, use_stored, may_store, s_gen, s_entry, s_ttl;
	int local;        /* the worker's memory has it (cache_local.h) */
	const char *lval; /* ... these bytes, while the stamp is lstamp */
	size_t llen;
	uint64_t lstamp;
	uint64_t gen; /* the service's generation, read with the entry */
	char key[GW_CACHE_KEY_MAX];
};

static int cache_parent_init(void);
static int cache_queue(struct gw_edge *e, void *st, struct gw_batch *b);
static int cache_checked(struct gw_edge *e, void *st, const struct gw_batch *b);
static int cache_response(struct gw_edge *e, void *st, int status);
static int lookup_add(struct gw_edge *e, struct cache *c, struct gw_batch *b);
static void redis_lookup_add(struct gw_edge *e, struct cache *c,
                             struct gw_batch *b);
static void cache_headers(struct mp_ctx *ctx, const char *etag,
                          const char *xcache);
static int hit_reply(struct gw_edge *e, const struct gw_cache_entry *ce,
                     uint64_t gen);
static int store(struct gw_edge *e, struct cache *c, int status,
                 const char *etag);
static void ttl_header(struct mp_ctx *ctx, int ttl, uint64_t gen);

const struct gw_stage gw_stage_cache = {
    .name = "cache",
    .on = GW_ON_API,
    .state_size = sizeof(struct cache),
    .parent_init = cache_parent_init,
    .queue = cache_queue,
    .checked = cache_checked,
    .response = cache_response,
};

static int m_hit = -1, m_miss = -1, m_bypass = -1, m_not_modified = -1,
           m_local = -1;

static int
cache_parent_init(void)
{
	m_hit =
	    mp_metrics_counter_new("gw_cache_requests_total", "result=\"hit\"",
	                           "Cacheable GETs by cache outcome", 0);
	m_miss =
	    mp_metrics_counter_new("gw_cache_requests_total", "result=\"miss\"",
	                           "Cacheable GETs by cache outcome", 0);
	m_bypass = mp_metrics_counter_new("gw_cache_requests_total",
	                                  "result=\"bypass\"",
	                                  "Cacheable GETs by cache outcome", 0);
	m_not_modified = mp_metrics_counter_new(
	    "gw_not_modified_total", NULL,
	    "Answers 304 for a matching If-None-Match", 0);
	m_local = mp_metrics_counter_new(
	    "gw_cache_local_hits_total", NULL,
	    "Cache hits answered from the worker's memory (no Redis)", 0);
	return gw_cache_local_config();
}

static int
cache_queue(struct gw_edge *e, void *st, struct gw_batch *b)
{
	struct cache *c = st;
	struct mp_ctx *ctx = e->ctx;
	struct gw_cache_control cc;
	const char *h;
	int has_cc;

	c->s_gen = c->s_entry = c->s_ttl = -1;
	if (!(e->route->flags & GW_R_CACHEABLE) ||
	    ctx->req->method != HTTP_METHOD_GET)
		return GW_NEXT;
	if (ctx->principal.authenticated &&
	    !(e->route->flags & GW_R_PUBLIC_DATA) &&
	    (ctx->principal.roles & ~(unsigned)GW_CACHE_SCOPED_ROLES) != 0) {
		mp_metrics_counter_add(m_bypass, 1);
		return GW_NEXT;
	}
	h = mp_header(ctx, "cache-control");
	has_cc = h != NULL && gw_cache_control_parse(h, &cc) == 0;
	(void)gw_cache_request_mode(has_cc ? &cc : NULL, &c->use_stored,
	                            &c->may_store);
	c->on = 1;
	if ((c->use_stored || c->may_store) && lookup_add(e, c, b) != 0) {
		c->on = 0; /* e.g. a huge query */
		c->key[0] = '\0';
		mp_metrics_counter_add(m_bypass, 1);
	}
	if (c->on)
		e->proxy_flags |= PROXY_NO_CONDITIONAL;
	return GW_NEXT;
}

static int
lookup_add(struct gw_edge *e, struct cache *c, struct gw_batch *b)
{
	struct mp_ctx *ctx = e->ctx;
	struct gw_cache_req cr;

	memset(&cr, 0, sizeof(cr));
	cr.service = e->route->upstream;
	cr.generation = 0;
	cr.path = ctx->req->path;
	cr.query = ctx->req->query_string;
	cr.accept_language = mp_header(ctx, "accept-language");
	cr.principal = ctx->principal.authenticated ? &ctx->principal : NULL;
	cr.public_data = (e->route->flags & GW_R_PUBLIC_DATA) != 0;
	if (gw_cache_key(&cr, c->key, sizeof(c->key)) != 0)
		return -EINVAL;
	/* the worker's memory first: no Redis command at all on a hit */
	if (c->use_stored &&
	    gw_cache_local_gen(e->route->upstream, &c->gen) == 0 &&
	    (c->lval = gw_cache_local_get(c->key, c->gen, &c->llen)) != NULL) {
		c->local = 1;
		c->lstamp = gw_cache_local_stamp();
		return 0;
	}
	redis_lookup_add(e, c, b);
	return 0;
}

/* The generation, the value and its time to live, from Redis. */
static void
redis_lookup_add(struct gw_edge *e, struct cache *c, struct gw_batch *b)
{
	struct gw_cmd cmd;
	char gen[GW_CACHE_KEY_MAX];

	if (gw_cache_gen_key(e->route->upstream, gen, sizeof(gen)) != 0)
		return;
	gw_cmd_init(&cmd, "GET");
	gw_cmd_str(&cmd, gen);
	c->s_gen = gw_batch_add(b, &cmd);
	gw_cmd_init(&cmd, "GET");
	gw_cmd_str(&cmd, c->key);
	c->s_entry = gw_batch_add(b, &cmd);
	gw_cmd_init(&cmd, "PTTL"); /* how long a copy may live here */
	gw_cmd_str(&cmd, c->key);
	c->s_ttl = gw_batch_add(b, &cmd);
}

static int
cache_checked(struct gw_edge *e, void *st, const struct gw_batch *b)
{
	struct cache *c = st;
	struct gw_cache_entry ce;
	struct gw_batch *nb;
	const char *str;
	size_t len;
	char num[32];
	uint64_t g = 0, stored;
	int t;

	if (!c->on)
		return GW_NEXT;
	if (c->local) {
		/* still there? Another request may have replaced it since
		 * the queue hook (then read Redis, as without the copy):
		 * nothing was put since, usually, when no stage waited; the
		 * copy was unexpired when looked up, a few stages ago */
		str = c->lstamp == gw_cache_local_stamp()
		          ? c->lval
		          : gw_cache_local_get(c->key, c->gen, &c->llen);
		if (str != NULL &&
		    gw_cache_value_decode(str, c->llen, &stored, &ce) == 0) {
			mp_metrics_counter_add(m_hit, 1);
			mp_metrics_counter_add(m_local, 1);
			return hit_reply(e, &ce, c->gen);
		}
		c->local = 0;
		if ((nb = gw_edge_batch(e)) == NULL)
			return GW_NEXT;
		redis_lookup_add(e, c, nb);
		return gw_edge_wait(e, nb, cache_checked);
	}
	t = gw_batch_type(b, c->s_gen);
	if (c->s_gen < 0 || (t != REDIS_REPLY_STRING && t != REDIS_REPLY_NIL)) {
		c->on = 0;        /* Redis down: serve uncached */
		c->key[0] = '\0'; /* and store nothing */
		e->proxy_flags &= ~(unsigned)PROXY_NO_CONDITIONAL;
		mp_metrics_counter_add(m_bypass, 1);
		return GW_NEXT;
	}
	if ((str = gw_batch_str(b, c->s_gen, &len)) != NULL) {
		snprintf(num, sizeof(num), "%.*s", (int)(len < 31 ? len : 31),
		         str);
		g = strtoull(num, NULL, 10);
	}
	c->gen = g;
	gw_cache_local_gen_seen(e->route->upstream, g);
	if (c->use_stored &&
	    (str = gw_batch_str(b, c->s_entry, &len)) != NULL &&
	    gw_cache_value_decode(str, len, &stored, &ce) == 0 && stored == g) {
		mp_metrics_counter_add(m_hit, 1);
		if (gw_batch_type(b, c->s_ttl) == REDIS_REPLY_INTEGER)
			gw_cache_local_put(c->key, g, str, len,
			                   gw_batch_integer(b, c->s_ttl));
		return hit_reply(e, &ce, c->gen);
	}
	return GW_NEXT;
}

void
gw_cache_reply_headers(struct mp_ctx *ctx, const char *etag, const char *xcache,
                       const char *vary)
{
	mp_reply_header(ctx, "X-Cache", xcache);
	if (etag != NULL && etag[0] != '\0')
		mp_reply_header(ctx, "ETag", etag);
	mp_reply_header(ctx, "Cache-Control",
	                ctx->principal.authenticated ? "private, no-cache"
	                                             : "no-cache");
	mp_reply_header(ctx, "Vary", vary);
}

/* Headers of every cacheable answer, hit or miss. */
static void
cache_headers(struct mp_ctx *ctx, const char *etag, const char *xcache)
{
	gw_cache_reply_headers(ctx, etag, xcache,
	                       "Accept-Language, Authorization");
}

int
gw_cache_not_modified(struct mp_ctx *ctx, const char *etag)
{
	const char *inm = mp_header(ctx, "if-none-match");

	if (inm == NULL || etag == NULL || !gw_etag_match(inm, etag))
		return 0;
	mp_metrics_counter_add(m_not_modified, 1);
	mp_reply_header(ctx, "X-Request-Id", ctx->request_id);
	mp_reply_send(ctx, 304, NULL, 0);
	return 1;
}

static int
hit_reply(struct gw_edge *e, const struct gw_cache_entry *ce, uint64_t gen)
{
	struct mp_ctx *ctx = e->ctx;

	gw_edge_headers_passthrough(e);
	cache_headers(ctx, ce->etag, "hit");
	ttl_header(ctx, e->route->ttl_s, gen);
	if (ce->status == 200 && gw_cache_not_modified(ctx, ce->etag))
		return MP_DONE;
	if (ce->content_type != NULL && ce->content_type[0] != '\0')
		mp_reply_header(ctx, "Content-Type", ce->content_type);
	mp_reply_header(ctx, "Content-Language", ctx->lang);
	mp_reply_header(ctx, "X-Request-Id", ctx->request_id);
	return mp_reply_send(ctx, ce->status, ce->body, ce->body_len);
}

/* A read of the gateway's GraphQL façade learns how long its answer is
 * kept and under which generation (cache.h: GW_CACHE_TTL_HEADER);
 * nobody else sees the header. */
static void
ttl_header(struct mp_ctx *ctx, int ttl, uint64_t gen)
{
	char v[48];

	if (!gw_graphql_internal(ctx))
		return;
	snprintf(v, sizeof(v), "%d %llu", ttl > 0 ? ttl : 0,
	         (unsigned long long)gen);
	mp_reply_header(ctx, GW_CACHE_TTL_HEADER, v);
}

/* Store the upstream's answer when the route's TTL and the service's
 * CDN-Cache-Control allow it. The services stamp Cache-Control: no-store
 * on every answer for the client's sake; what they want of the gateway,
 * if anything, they say in CDN-Cache-Control (RFC 9213). Returns the
 * seconds it is kept, 0 when not stored. */
static int
store(struct gw_edge *e, struct cache *c, int status, const char *etag)
{
	struct gw_cache_control cc;
	struct gw_cache_entry ce;
	struct gw_cmd cmd;
	const char *cdn = gw_proxy_call_header(e->pc, "cdn-cache-control");
	unsigned char *buf = NULL;
	size_t len = 0;
	char ex[16];
	int ttl = 0;

	if (!c->may_store || c->key[0] == '\0' ||
	    gw_cache_response_ttl(
	        status, e->route->ttl_s,
	        cdn != NULL && gw_cache_control_parse(cdn, &cc) == 0 ? &cc
	                                                             : NULL,
	        &ttl) != 0 ||
	    ttl <= 0)
		return 0;
	memset(&ce, 0, sizeof(ce));
	ce.status = status;
	ce.content_type = gw_proxy_call_header(e->pc, "content-type");
	ce.etag = etag;
	ce.body = gw_proxy_call_body(e->pc, &ce.body_len);
	if (gw_cache_value_encode(c->gen, &ce, NULL, 0, &len) == -ENOSPC &&
	    (buf = malloc(len)) != NULL &&
	    gw_cache_value_encode(c->gen, &ce, buf, len, &len) == 0) {
		gw_cache_local_put(c->key, c->gen, buf, len,
		                   (int64_t)ttl * 1000);
		snprintf(ex, sizeof(ex), "%d", ttl);
		gw_cmd_init(&cmd, "SET");
		gw_cmd_str(&cmd, c->key);
		gw_cmd_arg(&cmd, buf, len);
		gw_cmd_str(&cmd, "EX");
		gw_cmd_str(&cmd, ex);
		gw_redis_forget(&cmd);
	} else
		ttl = 0;
	free(buf);
	return ttl;
}

/* A cacheable GET went upstream: store, then answer with the cache's
 * headers (and a 304 when the client already has it). */
static int
cache_response(struct gw_edge *e, void *st, int status)
{
	static const char *const drop[] = {"x-content-type-options",
	                                   "referrer-policy",
	                                   "x-frame-options",
	                                   "content-security-policy",
	                                   "cache-control",
	                                   "etag",
	                                   "vary",
	                                   NULL};
	struct cache *c = st;
	struct mp_ctx *ctx = e->ctx;
	const char *body, *etag;
	char own_etag[GW_ETAG_LEN];
	size_t blen;
	int ttl;

	if (!c->on)
		return GW_NEXT;
	mp_metrics_counter_add(m_miss, 1);
	body = gw_proxy_call_body(e->pc, &blen);
	if ((etag = gw_proxy_call_header(e->pc, "etag")) == NULL &&
	    gw_etag(body, blen, own_etag, sizeof(own_etag)) == 0)
		etag = own_etag;
	ttl = store(e, c, status, etag);
	gw_edge_headers_passthrough(e);
	cache_headers(ctx, etag, "miss");
	ttl_header(ctx, ttl, c->gen);
	if (status == 200 && gw_cache_not_modified(ctx, etag))
		return MP_DONE;
	return gw_proxy_reply(ctx, e->pc, drop);
}
