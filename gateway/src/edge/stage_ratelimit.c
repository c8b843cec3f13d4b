/*
 * Stage "ratelimit": fixed windows in Redis (ratelimit.c decides) per API
 * client, user or client IP, in the request's class: the route's, "write"
 * for a default-class write, "auth" on the token endpoints. The count is
 * Redis', leased to each worker k positions at a time (INCRBY k in the
 * request's round trip when the worker's lease of that window is used up;
 * the window's first lease sets its expiry): with k > 1 most requests are
 * decided from the worker's memory, never admitting more than the limit
 * (ratelimit.h, "Leases", for the error bound: early refusals only). A
 * window whose count reached the limit is refused from memory too. Every
 * limited answer carries RateLimit-Policy and RateLimit; a refusal is 429
 * with Retry-After. Redis down: not applied (counted).
 *
 * gw_rate_charge_* (stages.h) counts an answer that stands for several
 * requests by the same identity and windows, in the default class: the
 * GraphQL façade's cached answers (their reads would have been GETs).
 *
 * Configuration (environment, read in the parent):
 *   MP_RATE_LIMITS      "default=300/60,auth=10/60,write=60/60" (those are
 *                       the built-ins; a class not named keeps its own)
 *   MP_TRUSTED_PROXIES  comma-separated IP addresses of proxies whose
 *                       X-Forwarded-For is believed (exact match); empty:
 *                       the peer address is the client
 *   MP_RATE_LEASE_MAX   largest lease (default 64); k = limit / (4 x
 *                       workers) within 1..this; 1: one INCR a request
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <kore/kore.h>
#include <kore/http.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/runtime.h"
#include "mp/service.h"
#include "mp/util.h"

#include "edge/pipeline.h"
#include "edge/ratelimit.h"
#include "edge/stages.h"
#include "graphql/graphql.h"

#define PROXIES_MAX 16
#define PROXY_LEN 256
#define IP_LEN 64

struct rate {
	int slot;      /* the INCRBY, or -1 */
	int local;     /* decided from the worker's lease: count is set */
	int64_t count; /* the count gw_rate_decide gets */
	int64_t k;     /* positions the INCRBY leases */
	char key[GW_RATE_KEY_MAX];
	char ttl[24]; /* seconds to the end of the window, and one */
};

/* This worker's leases, one per window key; a collision drops the older
 * key's unused positions (early refusals at worst, never extra passes). */
#define LEASES 1024
static struct {
	char key[GW_RATE_KEY_MAX];
	struct gw_rate_lease l;
} leases[LEASES];
static int64_t lease_max = 64;

static struct gw_rate_lease *lease_of(const char *key);

static int rate_parent_init(void);
static int rate_access(struct gw_edge *e, void *st);
static int rate_queue(struct gw_edge *e, void *st, struct gw_batch *b);
static int rate_checked(struct gw_edge *e, void *st, const struct gw_batch *b);
static int proxy_trusted(const char *addr);
static void client_ip(struct mp_ctx *ctx, char *out, size_t outlen);

const struct gw_stage gw_stage_ratelimit = {
    .name = "ratelimit",
    .on = GW_ON_API | GW_ON_TOKEN,
    .state_size = sizeof(struct rate),
    .parent_init = rate_parent_init,
    .access = rate_access,
    .queue = rate_queue,
    .checked = rate_checked,
};

/* Configuration, set in the parent and inherited by the workers. */
static struct gw_rate_policy policies[GW_RC_COUNT];
static char proxies[PROXIES_MAX][PROXY_LEN];
static int nproxies;
static int m_refused = -1, m_unchecked = -1;

static int
rate_parent_init(void)
{
	char err[512], trusted[PROXIES_MAX * PROXY_LEN];
	const struct mp_cfg_var vars[] = {
	    {"MP_TRUSTED_PROXIES", MP_CFG_STRING, 0, "", 0, 0, NULL, trusted,
	     sizeof(trusted), "proxies whose X-Forwarded-For is believed"},
	    {"MP_RATE_LEASE_MAX", MP_CFG_INT, 0, "64", 1, 100000, NULL,
	     &lease_max, 0, "largest rate-limit lease a worker takes"},
	};

	trusted[0] = '\0';
	if (gw_config_load(vars, 2) != 0)
		return -1;
	if (gw_rate_policies_parse(getenv("MP_RATE_LIMITS"), policies, err,
	                           sizeof(err)) != 0) {
		fprintf(stderr, "config: MP_RATE_LIMITS: %s\n", err);
		return -1;
	}
	if (gw_list_parse(trusted, &proxies[0][0], PROXY_LEN, PROXIES_MAX,
	                  &nproxies) != 0) {
		fprintf(stderr,
		        "config: MP_TRUSTED_PROXIES: at most %d "
		        "addresses, comma-separated\n",
		        PROXIES_MAX);
		return -1;
	}
	m_refused =
	    mp_metrics_counter_new("gw_ratelimit_refused_total", NULL,
	                           "Requests refused 429 by a rate limit", 0);
	m_unchecked = mp_metrics_counter_new(
	    "gw_ratelimit_unchecked_total", NULL,
	    "Requests served without a rate-limit check (Redis down)", 0);
	mp_log(MP_LOG_INFO, "edge", "trusted proxies: %d", nproxies);
	return 0;
}

/* 1 if addr is one of MP_TRUSTED_PROXIES. */
static int
proxy_trusted(const char *addr)
{
	int i;

	for (i = 0; i < nproxies; i++)
		if (strcmp(addr, proxies[i]) == 0)
			return 1;
	return 0;
}

/* The client's address: the peer; while that is a trusted proxy, the
 * X-Forwarded-For entry it appended (walking the list from the right).
 * A client can prepend anything to X-Forwarded-For, so entries left of
 * the first untrusted hop are never believed. */
static void
client_ip(struct mp_ctx *ctx, char *out, size_t outlen)
{
	struct http_request *req = ctx->req;
	const char *xff = mp_header(ctx, "x-forwarded-for"), *p, *end, *s;
	size_t len;
	int internal;

	mp_peer_addr(req->owner, out, outlen);
	if (out[0] == '\0')
		snprintf(out, outlen, "unknown");
	/* the GraphQL façade's reads carry their caller's address */
	internal = gw_graphql_internal(ctx);
	if (xff == NULL || (nproxies == 0 && !internal))
		return;
	end = xff + strlen(xff);
	while ((proxy_trusted(out) || internal) && end > xff) {
		internal = 0;
		for (s = end; s > xff && s[-1] != ','; s--)
			;
		p = s;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= outlen || len >= IP_LEN)
			return; /* malformed: keep the last trusted hop */
		memcpy(out, p, len);
		out[len] = '\0';
		end = s > xff ? s - 1 : xff;
	}
}

/* The class: the route's; a write in the default class is "write". The
 * token endpoints come with theirs (GW_RC_AUTH, edge.c). */
static int
rate_access(struct gw_edge *e, void *st)
{
	int m = e->ctx->req->method;

	(void)st;
	if (e->route == NULL)
		return GW_NEXT;
	e->rclass = e->route->rate_class;
	if (e->rclass == GW_RC_DEFAULT && m != HTTP_METHOD_GET &&
	    m != HTTP_METHOD_HEAD && m != HTTP_METHOD_OPTIONS)
		e->rclass = GW_RC_WRITE;
	return GW_NEXT;
}

static struct gw_rate_lease *
lease_of(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	i = (size_t)(h % LEASES);
	if (strcmp(leases[i].key, key) != 0) {
		snprintf(leases[i].key, sizeof(leases[i].key), "%s", key);
		memset(&leases[i].l, 0, sizeof(leases[i].l));
	}
	return &leases[i].l;
}

/* From the worker's lease when it has positions (or the window is spent),
 * else INCRBY k of the request's window counter (its EXPIRE is fire and
 * forget). */
static int
rate_queue(struct gw_edge *e, void *st, struct gw_batch *b)
{
	struct rate *r = st;
	const struct gw_rate_policy *pol = &policies[e->rclass];
	char ip[IP_LEN], ident[128];
	const char *kind;
	struct gw_cmd cmd;
	int64_t win, reset;
	char kbuf[24];

	r->slot = -1;
	r->local = 0;
	client_ip(e->ctx, ip, sizeof(ip));
	if (gw_rate_identity(&e->ctx->principal, ip, &kind, ident,
	                     sizeof(ident)) != 0 ||
	    gw_rate_window(mp_now_ms(), pol, &win, &reset) != 0 ||
	    gw_rate_key(pol->name, kind, ident, win, r->key, sizeof(r->key)) !=
	        0)
		return GW_NEXT;
	/* Redis down: no limiting (counted), leases or not */
	if (mp_redis_connected() &&
	    gw_rate_lease_take(lease_of(r->key), pol, &r->count) >= 0) {
		r->local = 1;
		return GW_NEXT;
	}
	r->k = gw_rate_lease_size(pol, (int)worker_count, lease_max);
	snprintf(kbuf, sizeof(kbuf), "%lld", (long long)r->k);
	gw_cmd_init(&cmd, "INCRBY");
	gw_cmd_str(&cmd, r->key);
	gw_cmd_str(&cmd, kbuf);
	r->slot = gw_batch_add(b, &cmd);
	/* the window's first lease sets its expiry (rate_checked): one
	 * command a lease rather than two */
	snprintf(r->ttl, sizeof(r->ttl), "%lld", (long long)reset + 1);
	return GW_NEXT;
}

/* RateLimit headers, or 429. */
static int
rate_checked(struct gw_edge *e, void *st, const struct gw_batch *b)
{
	struct rate *r = st;
	struct mp_ctx *ctx = e->ctx;
	const struct gw_rate_policy *pol = &policies[e->rclass];
	struct gw_rate_decision d;
	struct gw_rate_lease *l;
	struct gw_cmd cmd;
	char ph[GW_RATE_HEADER_MAX], lh[GW_RATE_HEADER_MAX], ra[24];
	int64_t top;

	if (r->slot < 0 && !r->local)
		return GW_NEXT;
	if (!r->local && gw_batch_type(b, r->slot) == REDIS_REPLY_INTEGER) {
		top = gw_batch_integer(b, r->slot);
		if (top == r->k) {
			gw_cmd_init(&cmd, "EXPIRE");
			gw_cmd_str(&cmd, r->key);
			gw_cmd_str(&cmd, r->ttl);
			gw_redis_forget(&cmd);
		}
		l = lease_of(r->key);
		gw_rate_lease_add(l, pol, r->k, top);
		if (gw_rate_lease_take(l, pol, &r->count) >= 0)
			r->local = 1;
	}
	if (!r->local || gw_rate_decide(r->count, pol, mp_now_ms(), &d) != 0) {
		mp_metrics_counter_add(m_unchecked, 1);
		return GW_NEXT; /* Redis down: no limiting */
	}
	if (gw_rate_headers(pol, &d, ph, sizeof(ph), lh, sizeof(lh)) == 0) {
		mp_reply_header(ctx, "RateLimit-Policy", ph);
		mp_reply_header(ctx, "RateLimit", lh);
	}
	if (d.allowed)
		return GW_NEXT;
	mp_metrics_counter_add(m_refused, 1);
	snprintf(ra, sizeof(ra), "%lld", (long long)d.retry_after_s);
	mp_reply_header(ctx, "Retry-After", ra);
	return mp_reply_problem(
	    ctx, 429, "rate-limited",
	    "too many requests; retry after the time in Retry-After");
}

/* ---- answers that stand for several requests -------------------------- */

struct gw_rate_charge {
	struct mp_ctx *ctx; /* NULL once the request is gone */
	int pending;        /* the INCRBY's reply is awaited */
	int local;          /* decided: count is set */
	int64_t n, k, count;
	char key[GW_RATE_KEY_MAX];
	char ttl[24];
};

static void
charge_reply(void *reply, void *arg)
{
	struct gw_rate_charge *c = arg;
	const struct gw_rate_policy *pol = &policies[GW_RC_DEFAULT];
	redisReply *r = reply;
	struct gw_rate_lease *l;
	struct gw_cmd cmd;

	c->pending = 0;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
		if (r->integer == c->k) {
			gw_cmd_init(&cmd, "EXPIRE");
			gw_cmd_str(&cmd, c->key);
			gw_cmd_str(&cmd, c->ttl);
			gw_redis_forget(&cmd);
		}
		l = lease_of(c->key);
		gw_rate_lease_add(l, pol, c->k, r->integer);
		c->local = gw_rate_lease_take_n(l, pol, c->n, &c->count) >= 0;
	}
	if (c->ctx == NULL) {
		free(c);
		return;
	}
	http_request_wakeup(c->ctx->req);
}

int
gw_rate_charge_start(struct mp_ctx *ctx, int64_t n, struct gw_rate_charge **out)
{
	const struct gw_rate_policy *pol = &policies[GW_RC_DEFAULT];
	struct gw_rate_charge *c;
	struct gw_rate_lease *l;
	char ip[IP_LEN], ident[128], kbuf[24];
	const char *kind, *argv[3];
	size_t argvlen[3];
	int64_t win, reset;
	int i;

	*out = NULL;
	if (n < 1 || (c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	*out = c;
	c->ctx = ctx;
	c->n = n;
	client_ip(ctx, ip, sizeof(ip));
	if (gw_rate_identity(&ctx->principal, ip, &kind, ident,
	                     sizeof(ident)) != 0 ||
	    gw_rate_window(mp_now_ms(), pol, &win, &reset) != 0 ||
	    gw_rate_key(pol->name, kind, ident, win, c->key, sizeof(c->key)) !=
	        0 ||
	    !mp_redis_connected())
		return 0; /* not checked */
	l = lease_of(c->key);
	if (gw_rate_lease_take_n(l, pol, n, &c->count) >= 0) {
		c->local = 1;
		return 0;
	}
	/* lease what this answer needs, and at least a usual lease */
	c->k = gw_rate_lease_size(pol, (int)worker_count, lease_max);
	if (c->k < n - l->left)
		c->k = n - l->left;
	snprintf(kbuf, sizeof(kbuf), "%lld", (long long)c->k);
	snprintf(c->ttl, sizeof(c->ttl), "%lld", (long long)reset + 1);
	argv[0] = "INCRBY";
	argv[1] = c->key;
	argv[2] = kbuf;
	for (i = 0; i < 3; i++)
		argvlen[i] = strlen(argv[i]);
	if (mp_redis_command(charge_reply, c, 3, argv, argvlen) != 0)
		return 0; /* not checked */
	c->pending = 1;
	return 1;
}

int
gw_rate_charge_pending(const struct gw_rate_charge *c)
{
	return c != NULL && c->pending;
}

int
gw_rate_charge_answer(struct gw_rate_charge *c, struct mp_ctx *ctx)
{
	const struct gw_rate_policy *pol = &policies[GW_RC_DEFAULT];
	struct gw_rate_decision d;
	char ph[GW_RATE_HEADER_MAX], lh[GW_RATE_HEADER_MAX], ra[24];

	if (c == NULL || !c->local ||
	    gw_rate_decide(c->count, pol, mp_now_ms(), &d) != 0) {
		mp_metrics_counter_add(m_unchecked, 1);
		return 0; /* Redis down: no limiting */
	}
	if (gw_rate_headers(pol, &d, ph, sizeof(ph), lh, sizeof(lh)) == 0) {
		mp_reply_header(ctx, "RateLimit-Policy", ph);
		mp_reply_header(ctx, "RateLimit", lh);
	}
	if (d.allowed)
		return 0;
	mp_metrics_counter_add(m_refused, 1);
	snprintf(ra, sizeof(ra), "%lld", (long long)d.retry_after_s);
	mp_reply_header(ctx, "Retry-After", ra);
	return (int)(d.retry_after_s > 0 ? d.retry_after_s : 1);
}

void
gw_rate_charge_free(struct gw_rate_charge *c)
{
	if (c == NULL)
		return;
	if (c->pending)
		c->ctx = NULL; /* the reply frees it */
	else
		free(c);
}
