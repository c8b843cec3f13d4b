/*
 * cache_local.h: each gateway worker's memory in front of the Redis
 * response cache (stage_cache.c).
 *
 * The worker keeps copies of the values it read from or wrote to Redis
 * (the same keys, so the same scoping by principal), each with the
 * service's generation it was stored under and its Redis expiry, and the
 * generation of each service, re-read from Redis every MP_CACHE_SYNC_MS
 * (default 100) by a timer: one round trip a worker a period instead of
 * one a request. A copy is served only while its generation is the
 * worker's current one, read at most 3 periods ago with Redis connected;
 * otherwise the request takes the Redis path as before (and Redis down
 * still means uncached). So an event's invalidation (INCR of gw:gen:<s>)
 * reaches every worker within one period and a round trip more than it
 * reaches Redis. Bounded memory: at most MP_CACHE_LOCAL_BYTES (default 32
 * MiB) of copies, none above 1 MiB, 1024 slots (a collision replaces).
 */
#ifndef GW_EDGE_CACHE_LOCAL_H
#define GW_EDGE_CACHE_LOCAL_H

#include <stddef.h>
#include <stdint.h>

/* In the parent: read MP_CACHE_SYNC_MS and MP_CACHE_LOCAL_BYTES; 0, or
 * -1 with a line on stderr. */
int gw_cache_local_config(void);

/* 0 and *gen: the worker's current generation of service, fresh enough to
 * serve from memory; -1 otherwise (also starts following the service). */
int gw_cache_local_gen(const char *service, uint64_t *gen);

/* A generation of service just read from Redis (the request's path). */
void gw_cache_local_gen_seen(const char *service, uint64_t gen);

/* The copy of key stored under gen, unexpired: its bytes (valid until the
 * next put) and *len; NULL when there is none. */
const char *gw_cache_local_get(const char *key, uint64_t gen, size_t *len);

/* A number that changes with every put: bytes gw_cache_local_get gave are
 * still there, unchanged, while it has not. */
uint64_t gw_cache_local_stamp(void);

/* Keep a copy of val (the encoded Redis value of key, stored under gen)
 * for ttl_ms (its remaining Redis time to live). */
void gw_cache_local_put(const char *key, uint64_t gen, const void *val,
                        size_t len, int64_t ttl_ms);

#endif /* GW_EDGE_CACHE_LOCAL_H */
