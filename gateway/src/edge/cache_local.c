/*
 * Each gateway worker's memory in front of the Redis response cache: see
 * cache_local.h. Everything runs on the worker's event loop (no locks).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <kore/kore.h>

#include "mp/config.h"
#include "mp/runtime.h"
#include "mp/util.h"

#include "edge/cache.h"
#include "edge/cache_local.h"
#include "edge/pipeline.h"

#define SLOTS 1024
#define SERVICES 16
#define VALUE_MAX (1024 * 1024)

struct slot {
	char key[GW_CACHE_KEY_MAX];
	uint64_t gen;
	int64_t expires_ms; /* monotonic */
	char *val;
	size_t len;
};

struct service {
	char name[48];
	uint64_t gen;
	int64_t synced_ms; /* monotonic; 0: never */
	int asking;        /* a GET of its counter is in flight */
};

static struct slot slots[SLOTS];
static struct service services[SERVICES];
static int nservices, timer_on;
static size_t bytes;
static uint64_t stamp; /* gw_cache_local_stamp */
static int64_t sync_ms = 100, max_bytes = 32 << 20;

static struct service *service_of(const char *name, int add);
static void sync_tick(void *arg, u_int64_t now);
static void sync_reply(void *reply, void *arg);

int
gw_cache_local_config(void)
{
	const struct mp_cfg_var vars[] = {
	    {"MP_CACHE_SYNC_MS", MP_CFG_INT, 0, "100", 10, 10000, NULL,
	     &sync_ms, 0, "period of each worker's read of the generations"},
	    {"MP_CACHE_LOCAL_BYTES", MP_CFG_INT, 0, "33554432", 0,
	     (int64_t)1 << 34, NULL, &max_bytes, 0,
	     "bytes of cached answers each worker keeps in memory"},
	};

	return gw_config_load(vars, 2);
}

static struct service *
service_of(const char *name, int add)
{
	int i;

	for (i = 0; i < nservices; i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	if (!add || nservices == SERVICES ||
	    strlen(name) >= sizeof(services[0].name))
		return NULL;
	snprintf(services[nservices].name, sizeof(services[0].name), "%s",
	         name);
	if (!timer_on) {
		kore_timer_add(sync_tick, (u_int64_t)sync_ms, NULL, 0);
		timer_on = 1;
	}
	return &services[nservices++];
}

static void
sync_reply(void *reply, void *arg)
{
	struct service *s = &services[(intptr_t)arg];
	redisReply *r = reply;

	s->asking = 0;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_NIL)
		gw_cache_local_gen_seen(s->name, 0);
	else if (r->type == REDIS_REPLY_STRING)
		gw_cache_local_gen_seen(s->name, strtoull(r->str, NULL, 10));
}

/* Every sync_ms: re-read each followed service's generation. */
static void
sync_tick(void *arg, u_int64_t now)
{
	const char *argv[2];
	size_t len[2];
	char key[GW_CACHE_KEY_MAX];
	int i;

	(void)arg;
	(void)now;
	for (i = 0; i < nservices; i++) {
		if (services[i].asking ||
		    gw_cache_gen_key(services[i].name, key, sizeof(key)) != 0)
			continue;
		argv[0] = "GET";
		len[0] = 3;
		argv[1] = key;
		len[1] = strlen(key);
		if (mp_redis_command(sync_reply, (void *)(intptr_t)i, 2, argv,
		                     len) == 0)
			services[i].asking = 1;
	}
}

int
gw_cache_local_gen(const char *service, uint64_t *gen)
{
	struct service *s = service_of(service, 1);

	if (s == NULL || s->synced_ms == 0 || !mp_redis_connected() ||
	    mp_mono_ms() - s->synced_ms > 3 * sync_ms)
		return -1;
	*gen = s->gen;
	return 0;
}

void
gw_cache_local_gen_seen(const char *service, uint64_t gen)
{
	struct service *s = service_of(service, 1);

	if (s == NULL)
		return;
	/* replies come in order on the worker's one connection: the last
	 * read is the current value */
	s->gen = gen;
	s->synced_ms = mp_mono_ms();
}

static struct slot *
slot_of(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return &slots[h % SLOTS];
}

const char *
gw_cache_local_get(const char *key, uint64_t gen, size_t *len)
{
	struct slot *s = slot_of(key);

	if (s->val == NULL || strcmp(s->key, key) != 0 || s->gen != gen ||
	    mp_mono_ms() >= s->expires_ms)
		return NULL;
	*len = s->len;
	return s->val;
}

uint64_t
gw_cache_local_stamp(void)
{
	return stamp;
}

void
gw_cache_local_put(const char *key, uint64_t gen, const void *val, size_t len,
                   int64_t ttl_ms)
{
	struct slot *s = slot_of(key);
	char *copy;

	stamp++;

	if (ttl_ms <= 0 || len > VALUE_MAX || strlen(key) >= sizeof(s->key))
		return;
	if (s->val != NULL) {
		bytes -= s->len;
		free(s->val);
		s->val = NULL;
	}
	if ((int64_t)(bytes + len) > max_bytes || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, val, len);
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->gen = gen;
	s->expires_ms = mp_mono_ms() + ttl_ms;
	s->val = copy;
	s->len = len;
	bytes += len;
}
