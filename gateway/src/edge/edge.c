/*
 * The gateway's request pipeline in front of the proxy (contract in
 * edge.h). Decisions are the pure functions of routing.h, cache.h,
 * ratelimit.h and idem.h; this file reads headers, runs the Redis commands
 * those functions name and answers.
 *
 * Redis round trips are batches: the commands of one step are pipelined
 * on the worker's connection and the request is parked until every reply
 * is in. A batch is its own allocation pointing back at the request's
 * state (struct edge) and pointed to by it; when Kore frees the request
 * (client gone, or answered) edge_free() clears that back-pointer, and the
 * batch, whose replies may still arrive, frees itself when the last one
 * does without touching anything else. Writes that need no answer for the
 * client (cache stores, idempotency records, EXPIREs) are sent without a
 * back-pointer at all.
 *
 * Degradation when Redis is down (every command fails at once with
 * -ENOTCONN, or its reply is NULL):
 *   - revocation cannot be checked: the token is accepted (MP_REVOCATION_FAIL
 *     =open, the default) because access tokens live minutes, the
 *     revocation is also in the gateway's database, and the issue asks the
 *     gateway to keep serving without Redis; "closed" answers 503 on
 *     non-public routes instead. Either way it is logged and counted;
 *   - rate limits are not applied (counted);
 *   - the cache is skipped (GETs served uncached);
 *   - an idempotent write is refused with 503: without its record the
 *     gateway could forward a retry of a write that already happened.
 *
 * Headers: answers the gateway writes through mp_reply_* get the library's
 * X-Content-Type-Options and Cache-Control: no-store; edge_headers() adds
 * the rest (Referrer-Policy, frame and CSP headers, CORS, Vary). Proxied
 * and cached answers get all of them here, replacing the upstream's copies.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <kore/kore.h>
#include <kore/http.h>
#include <sodium.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/principal.h"
#include "mp/runtime.h"
#include "mp/service.h"
#include "mp/util.h"

#include "edge/cache.h"
#include "edge/edge.h"
#include "edge/idem.h"
#include "edge/ratelimit.h"
#include "edge/route_table.h"
#include "edge/routing.h"
#include "identity/auth.h"
#include "identity/tokens.h"
#include "proxy/proxy.h"

#define BATCH_MAX 4
#define ORIGINS_MAX 16
#define ORIGIN_LEN 256
#define PROXIES_MAX 16
#define IDEM_TTL_S 86400
/* Life of an in-progress claim: longer than any upstream call (their
 * timeouts are at most 60 s, proxy.c), short enough that the key of a
 * gateway that died mid-call comes free. */
#define IDEM_CLAIM_PX_MS 120000
#define IP_LEN 64

/* Roles whose view of the data the principal-scoped cache key captures
 * (role, region, commune, organisation, plus the subject for applicants
 * and clients). Appraisers, ERC members, mediators see what is assigned
 * to them personally: never served from the cache. */
#define CACHE_SCOPED_ROLES (MP_ROLE_APPLICANT | MP_ROLE_COUNCIL_OFFICER | \
    MP_ROLE_ADMIN | MP_ROLE_GENDER_ANALYST | MP_ROLE_CLIENT)

struct edge;

/* One reply of a batch, copied out of hiredis' reply. */
struct slot {
	struct batch *b;
	int type; /* REDIS_REPLY_*, 0: no reply (Redis down) */
	long long integer;
	char *str;
	size_t len;
};

/* A Redis round trip of one request (see the design note). */
struct batch {
	struct edge *edge; /* NULL once the request is gone */
	int n, pending;
	struct slot slot[BATCH_MAX];
};

/* The request's pipeline state (ctx->user). */
struct edge {
	struct mp_ctx *ctx;
	struct gw_route_match m;
	const struct gw_route *route;
	struct batch *batch;
	struct proxy_call *pc;
	mp_handler after; /* the step to run when batch / pc completes */
	mp_handler next;  /* token endpoints: auth.c's handler */
	char *body;
	size_t body_len;
	char traceparent[56];
	/* rate limit */
	enum gw_rate_class rclass;
	int s_rl;
	char rl_key[GW_RATE_KEY_MAX];
	char rl_ttl[24]; /* seconds to the end of the window, and one */
	/* revocation */
	int s_jti;
	/* cache */
	int cacheable, use_stored, may_store, s_gen, s_entry;
	uint64_t cache_gen; /* the service's generation, read with the entry */
	char cache_key[GW_CACHE_KEY_MAX];
	/* idempotency */
	int idem, idem_claimed, s_idem;
	char idem_key[GW_IDEM_REDIS_KEY_MAX];
	char idem_fp[GW_IDEM_FP_LEN + 1];
};

static int rate_parse(void);
static int list_parse(const char *spec, char out[][ORIGIN_LEN], int max,
    int *n);
static const char *env_get(const char *name);
static int64_t now_ms(void);
static struct edge *edge_new(struct mp_ctx *ctx);
static void edge_free(void *arg);
static struct batch *batch_new(struct edge *e);
static void batch_free(struct batch *b);
static int batch_add(struct batch *b, int argc, const char **argv,
    const size_t *argvlen);
static int batch_run(struct edge *e, struct batch *b, mp_handler after);
static void batch_reply(void *reply, void *arg);
static void forget_reply(void *reply, void *arg);
static void redis_forget(int argc, const char **argv, const size_t *argvlen);
static int edge_resume(struct mp_ctx *ctx);
static int edge_park(struct edge *e, mp_handler after);
static const char *origin_allowed(struct mp_ctx *ctx);
static void edge_headers(struct mp_ctx *ctx, int own_reply);
static int proxy_trusted(const char *addr);
static void client_ip(struct mp_ctx *ctx, char *out, size_t outlen);
static int hex_ok(const char *s, size_t n, int nonzero);
static int traceparent_valid(const char *in);
static void traceparent_make(struct mp_ctx *ctx, char *out, size_t outlen);
static const char *slot_str(const struct batch *b, int i, size_t *len);
static int slot_type(const struct batch *b, int i);
static int jti_add(struct edge *e, struct batch *b);
static void cache_headers(struct edge *e, const char *etag,
    const char *xcache);
static int body_read(struct edge *e);
static int rate_add(struct edge *e, struct batch *b);
static int rate_or_reply(struct edge *e);
static int revoked_or_reply(struct edge *e);
static int pipeline_start(struct mp_ctx *ctx);
static int step_checked(struct mp_ctx *ctx);
static int step_claimed(struct mp_ctx *ctx);
static int step_rechecked(struct mp_ctx *ctx);
static int idem_decide_or_reply(struct edge *e, const struct slot *s,
    int *proceed);
static int idem_replay(struct edge *e, const struct gw_idem_record *rec);
static void idem_release(struct edge *e);
static void idem_store(struct edge *e, int status);
static int cache_lookup_add(struct edge *e, struct batch *b, char *gen,
    size_t genlen);
static int cache_hit_reply(struct edge *e, const struct gw_cache_entry *ce);
static int forward(struct edge *e);
static int step_upstream(struct mp_ctx *ctx);
static int auth_start(struct mp_ctx *ctx, enum gw_rate_class c,
    mp_handler next);
static int auth_checked(struct mp_ctx *ctx);
static int not_modified(struct edge *e, const char *etag);

/* Configuration, set in the parent and inherited by the workers. */
static struct gw_rate_policy policies[GW_RC_COUNT];
static char origins[ORIGINS_MAX][ORIGIN_LEN];
static int norigins;
static char proxies[PROXIES_MAX][ORIGIN_LEN];
static int nproxies;
static int64_t cors_max_age_s;
static int revocation_fail_closed;

/* Metric ids. */
static int m_cache_hit = -1, m_cache_miss = -1, m_cache_bypass = -1;
static int m_not_modified = -1, m_rl_refused = -1, m_rl_unchecked = -1;
static int m_idem_replay = -1, m_idem_conflict = -1, m_idem_mismatch = -1;
static int m_idem_unavailable = -1, m_revoked = -1, m_revocation_unchecked = -1;

static const char expose_headers[] = "ETag, Location, RateLimit, "
    "RateLimit-Policy, Retry-After, X-Request-Id, X-Cache, "
    "Idempotent-Replayed";
static const char allow_headers[] = "Authorization, Content-Type, "
    "Idempotency-Key, If-Match, If-None-Match, Accept-Language, "
    "X-Request-Id, traceparent, tracestate";

/* ---- configuration ----------------------------------------------------------- */

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static int
rate_parse(void)
{
	char err[256];
	const char *spec = getenv("MP_RATE_LIMITS");

	if (gw_rate_policies_parse(spec, policies, err, sizeof(err)) != 0) {
		fprintf(stderr, "config: MP_RATE_LIMITS: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* Split a comma-separated list (OWS around items) into out. */
static int
list_parse(const char *spec, char out[][ORIGIN_LEN], int max, int *n)
{
	const char *p = spec, *e;
	size_t len;

	*n = 0;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ','; e++)
			;
		len = (size_t)(e - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= ORIGIN_LEN || *n >= max)
			return -EINVAL;
		memcpy(out[*n], p, len);
		out[*n][len] = '\0';
		(*n)++;
		p = e;
	}
	return 0;
}

int
gw_edge_parent_init(void)
{
	static const char *const fail_modes[] = {"open", "closed", NULL};
	char err[512], bad_route[256], cors[ORIGINS_MAX * ORIGIN_LEN];
	char trusted[PROXIES_MAX * ORIGIN_LEN], fail_mode[8];
	size_t bad = 0;
	int i;
	const struct mp_cfg_var vars[] = {
		{"MP_CORS_ORIGINS", MP_CFG_STRING, 0, "", 0, 0, NULL, cors,
		    sizeof(cors), "origins allowed by CORS, comma-separated"},
		{"MP_CORS_MAX_AGE_S", MP_CFG_INT, 0, "600", 0, 86400, NULL,
		    &cors_max_age_s, 0, "Access-Control-Max-Age in seconds"},
		{"MP_TRUSTED_PROXIES", MP_CFG_STRING, 0, "", 0, 0, NULL,
		    trusted, sizeof(trusted),
		    "proxies whose X-Forwarded-For is believed"},
		{"MP_REVOCATION_FAIL", MP_CFG_ENUM, 0, "open", 0, 0,
		    fail_modes, fail_mode, sizeof(fail_mode),
		    "open or closed when revocation cannot be checked"},
	};

	if (gw_route_table_validate(gw_routes, gw_nroutes, &bad, bad_route,
	    sizeof(bad_route)) != 0) {
		fprintf(stderr, "gateway: route table entry %zu: %s\n", bad,
		    bad_route);
		return -1;
	}
	cors[0] = trusted[0] = '\0';
	snprintf(fail_mode, sizeof(fail_mode), "open");
	if (mp_config_load(vars, sizeof(vars) / sizeof(vars[0]), env_get, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (rate_parse() != 0)
		return -1;
	if (list_parse(cors, origins, ORIGINS_MAX, &norigins) != 0) {
		fprintf(stderr, "config: MP_CORS_ORIGINS: at most %d origins "
		    "of fewer than %d bytes, comma-separated\n", ORIGINS_MAX,
		    ORIGIN_LEN);
		return -1;
	}
	for (i = 0; i < norigins; i++) {
		if (strncmp(origins[i], "https://", 8) != 0 &&
		    strncmp(origins[i], "http://", 7) != 0) {
			fprintf(stderr, "config: MP_CORS_ORIGINS: '%s' is not "
			    "an http(s) origin\n", origins[i]);
			return -1;
		}
	}
	if (list_parse(trusted, proxies, PROXIES_MAX, &nproxies) != 0) {
		fprintf(stderr, "config: MP_TRUSTED_PROXIES: at most %d "
		    "addresses, comma-separated\n", PROXIES_MAX);
		return -1;
	}
	revocation_fail_closed = strcmp(fail_mode, "closed") == 0;

	m_cache_hit = mp_metrics_counter_new("gw_cache_requests_total",
	    "result=\"hit\"", "Cacheable GETs by cache outcome", 0);
	m_cache_miss = mp_metrics_counter_new("gw_cache_requests_total",
	    "result=\"miss\"", "Cacheable GETs by cache outcome", 0);
	m_cache_bypass = mp_metrics_counter_new("gw_cache_requests_total",
	    "result=\"bypass\"", "Cacheable GETs by cache outcome", 0);
	m_not_modified = mp_metrics_counter_new("gw_not_modified_total", NULL,
	    "Answers 304 for a matching If-None-Match", 0);
	m_rl_refused = mp_metrics_counter_new("gw_ratelimit_refused_total",
	    NULL, "Requests refused 429 by a rate limit", 0);
	m_rl_unchecked = mp_metrics_counter_new("gw_ratelimit_unchecked_total",
	    NULL, "Requests served without a rate-limit check (Redis down)",
	    0);
	m_idem_replay = mp_metrics_counter_new("gw_idempotency_total",
	    "outcome=\"replayed\"", "Idempotency-Key requests by outcome", 0);
	m_idem_conflict = mp_metrics_counter_new("gw_idempotency_total",
	    "outcome=\"in_progress\"", "Idempotency-Key requests by outcome",
	    0);
	m_idem_mismatch = mp_metrics_counter_new("gw_idempotency_total",
	    "outcome=\"mismatch\"", "Idempotency-Key requests by outcome", 0);
	m_idem_unavailable = mp_metrics_counter_new("gw_idempotency_total",
	    "outcome=\"unavailable\"", "Idempotency-Key requests by outcome",
	    0);
	m_revoked = mp_metrics_counter_new("gw_revoked_tokens_refused_total",
	    NULL, "Requests refused for a revoked token", 0);
	m_revocation_unchecked = mp_metrics_counter_new(
	    "gw_revocation_unchecked_total", NULL,
	    "Tokens whose revocation could not be checked (Redis down)", 0);
	mp_log(MP_LOG_INFO, "edge", "%zu routes; CORS origins: %d; trusted "
	    "proxies: %d; revocation fails %s", gw_nroutes, norigins, nproxies,
	    fail_mode);
	return 0;
}

/* ---- request state and Redis batches -------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct edge *
edge_new(struct mp_ctx *ctx)
{
	struct edge *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->ctx = ctx;
	e->s_rl = e->s_jti = e->s_gen = e->s_entry = e->s_idem = -1;
	ctx->user = e;
	ctx->user_free = edge_free;
	return e;
}

/* user_free: runs when Kore frees the request, answered or abandoned. */
static void
edge_free(void *arg)
{
	struct edge *e = arg;

	if (e->batch != NULL) {
		if (e->batch->pending > 0)
			e->batch->edge = NULL; /* frees itself when done */
		else
			batch_free(e->batch);
	}
	/* A claim still held here means the client went away mid-call: the
	 * write may or may not have happened upstream, so the claim stays
	 * until it expires (IDEM_CLAIM_PX_MS): a retry meanwhile is a 409,
	 * never a second write. */
	proxy_call_free(e->pc);
	free(e->body);
	free(e);
}

static struct batch *
batch_new(struct edge *e)
{
	struct batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->edge = e;
	return b;
}

static void
batch_free(struct batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		free(b->slot[i].str);
	free(b);
}

/* Queue one command; its slot index (a failed send leaves type 0). */
static int
batch_add(struct batch *b, int argc, const char **argv, const size_t *argvlen)
{
	int i = b->n++;

	b->slot[i].b = b;
	if (mp_redis_command(batch_reply, &b->slot[i], argc, argv, argvlen) ==
	    0)
		b->pending++;
	return i;
}

static void
batch_reply(void *reply, void *arg)
{
	struct slot *s = arg;
	struct batch *b = s->b;
	redisReply *r = reply;
	struct edge *e;

	if (r != NULL) {
		s->type = r->type;
		s->integer = r->integer;
		if ((r->type == REDIS_REPLY_STRING ||
		    r->type == REDIS_REPLY_STATUS ||
		    r->type == REDIS_REPLY_ERROR) &&
		    (s->str = malloc(r->len + 1)) != NULL) {
			memcpy(s->str, r->str, r->len);
			s->str[r->len] = '\0';
			s->len = r->len;
		} else if (r->type == REDIS_REPLY_STRING) {
			s->type = 0; /* out of memory: as if no reply */
		}
	}
	if (--b->pending > 0)
		return;
	if ((e = b->edge) == NULL) {
		batch_free(b); /* the request is gone */
		return;
	}
	e->ctx->resume = edge_resume;
	http_request_wakeup(e->ctx->req);
}

/* Run `after` once every reply of b is in: now if none is pending. */
static int
batch_run(struct edge *e, struct batch *b, mp_handler after)
{
	if (e->batch != NULL)
		batch_free(e->batch); /* the previous step's, consumed */
	e->batch = b;
	e->after = after;
	if (b->pending == 0)
		return after(e->ctx);
	return edge_park(e, after);
}

static int
edge_park(struct edge *e, mp_handler after)
{
	e->after = after;
	e->ctx->resume = edge_resume;
	http_request_sleep(e->ctx->req);
	return MP_WAIT;
}

static int
edge_resume(struct mp_ctx *ctx)
{
	struct edge *e = ctx->user;

	if ((e->batch != NULL && e->batch->pending > 0) ||
	    (e->pc != NULL && !proxy_call_done(e->pc))) {
		http_request_sleep(ctx->req); /* woken by someone else */
		return MP_WAIT;
	}
	return e->after(ctx);
}

static void
forget_reply(void *reply, void *arg)
{
	redisReply *r = reply;

	(void)arg;
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		mp_log(MP_LOG_WARN, "edge", "redis refused a write: %s",
		    r->str);
}

/* A command whose outcome no request waits for. */
static void
redis_forget(int argc, const char **argv, const size_t *argvlen)
{
	(void)mp_redis_command(forget_reply, NULL, argc, argv, argvlen);
}

static const char *
slot_str(const struct batch *b, int i, size_t *len)
{
	if (b == NULL || i < 0 || b->slot[i].type != REDIS_REPLY_STRING)
		return NULL;
	*len = b->slot[i].len;
	return b->slot[i].str;
}

static int
slot_type(const struct batch *b, int i)
{
	return b == NULL || i < 0 ? 0 : b->slot[i].type;
}

/* ---- headers ------------------------------------------------------------------ */

/* The request's Origin when it is on the allow-list, else NULL. */
static const char *
origin_allowed(struct mp_ctx *ctx)
{
	const char *o = mp_header(ctx, "origin");
	int i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < norigins; i++)
		if (strcmp(o, origins[i]) == 0)
			return o;
	return NULL;
}

/* Security and CORS headers. own_reply: the answer goes through
 * mp_reply_*, which adds X-Content-Type-Options and Cache-Control itself. */
static void
edge_headers(struct mp_ctx *ctx, int own_reply)
{
	const char *origin = origin_allowed(ctx);

	if (!own_reply)
		mp_reply_header(ctx, "X-Content-Type-Options", "nosniff");
	mp_reply_header(ctx, "Referrer-Policy", "no-referrer");
	mp_reply_header(ctx, "X-Frame-Options", "DENY");
	mp_reply_header(ctx, "Content-Security-Policy",
	    "default-src 'none'; frame-ancestors 'none'");
	if (norigins == 0)
		return;
	mp_reply_header(ctx, "Vary", "Origin");
	if (origin == NULL)
		return;
	mp_reply_header(ctx, "Access-Control-Allow-Origin", origin);
	mp_reply_header(ctx, "Access-Control-Allow-Credentials", "true");
	mp_reply_header(ctx, "Access-Control-Expose-Headers", expose_headers);
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

	out[0] = '\0';
	if (req->owner != NULL && req->owner->family == AF_INET)
		inet_ntop(AF_INET, &req->owner->addr.ipv4.sin_addr, out,
		    (socklen_t)outlen);
	else if (req->owner != NULL && req->owner->family == AF_INET6)
		inet_ntop(AF_INET6, &req->owner->addr.ipv6.sin6_addr, out,
		    (socklen_t)outlen);
	if (out[0] == '\0')
		snprintf(out, outlen, "unknown");
	if (xff == NULL || nproxies == 0)
		return;
	end = xff + strlen(xff);
	while (proxy_trusted(out) && end > xff) {
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

/* 1 if s[0..n-1] are lowercase hex digits, not all zero when nonzero
 * is asked. */
static int
hex_ok(const char *s, size_t n, int nonzero)
{
	size_t i;
	int any = 0;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
		if (s[i] != '0')
			any = 1;
	}
	return !nonzero || any;
}

/* version "-" trace-id "-" parent-id "-" flags (W3C Trace Context 3.2):
 * version 00 is exactly 55 bytes; a later version may append "-..." and
 * is read as 00; version ff is invalid. */
static int
traceparent_valid(const char *in)
{
	size_t len;

	if (in == NULL || (len = strlen(in)) < 55)
		return 0;
	if (!hex_ok(in, 2, 0) || strncmp(in, "ff", 2) == 0 || in[2] != '-' ||
	    !hex_ok(in + 3, 32, 1) || in[35] != '-' ||
	    !hex_ok(in + 36, 16, 1) || in[52] != '-' || !hex_ok(in + 53, 2, 0))
		return 0;
	if (strncmp(in, "00", 2) == 0)
		return len == 55;
	return len == 55 || in[55] == '-';
}

/* W3C Trace Context: keep a valid incoming trace id and its flags, with a
 * span id of our own (the gateway's hop); otherwise start a new trace. */
static void
traceparent_make(struct mp_ctx *ctx, char *out, size_t outlen)
{
	const char *in = mp_header(ctx, "traceparent");
	unsigned char trace[16], span[8];
	char thex[33], shex[17], flags[3] = "00";

	randombytes_buf(span, sizeof(span));
	sodium_bin2hex(shex, sizeof(shex), span, sizeof(span));
	if (traceparent_valid(in)) {
		memcpy(thex, in + 3, 32);
		thex[32] = '\0';
		flags[0] = in[53];
		flags[1] = in[54];
	} else {
		randombytes_buf(trace, sizeof(trace));
		sodium_bin2hex(thex, sizeof(thex), trace, sizeof(trace));
	}
	snprintf(out, outlen, "00-%s-%s-%s", thex, shex, flags);
	snprintf(ctx->traceparent, sizeof(ctx->traceparent), "%s", out);
}

/* The request body in memory (the fingerprint and the proxy need it). */
static int
body_read(struct edge *e)
{
	struct http_request *req = e->ctx->req;
	size_t want = req->http_body_length;
	ssize_t n;

	if (want == 0)
		return 0;
	if ((e->body = malloc(want)) == NULL)
		return -ENOMEM;
	while (e->body_len < want) {
		n = http_body_read(req, e->body + e->body_len,
		    want - e->body_len);
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		e->body_len += (size_t)n;
	}
	return 0;
}

/* ---- rate limits and revocation (first round trip) ----------------------------------- */

/* Queue INCR of the request's window counter (its EXPIRE is fire and
 * forget). -1 when nothing could be queued. */
static int
rate_add(struct edge *e, struct batch *b)
{
	const struct gw_rate_policy *pol = &policies[e->rclass];
	char ip[IP_LEN], ident[128], key[GW_RATE_KEY_MAX];
	const char *kind, *argv[3];
	size_t argvlen[3];
	int64_t win, reset;

	client_ip(e->ctx, ip, sizeof(ip));
	if (gw_rate_identity(&e->ctx->principal, ip, &kind, ident,
	    sizeof(ident)) != 0 ||
	    gw_rate_window(now_ms(), pol, &win, &reset) != 0 ||
	    gw_rate_key(pol->name, kind, ident, win, key, sizeof(key)) != 0)
		return -1;
	argv[0] = "INCR";
	argv[1] = key;
	argvlen[0] = 4;
	argvlen[1] = strlen(key);
	e->s_rl = batch_add(b, 2, argv, argvlen);
	/* the window's first hit sets its expiry (rate_or_reply): one
	 * command a request rather than two */
	snprintf(e->rl_key, sizeof(e->rl_key), "%s", key);
	snprintf(e->rl_ttl, sizeof(e->rl_ttl), "%lld", (long long)reset + 1);
	return e->s_rl;
}

/* After the round trip: RateLimit headers, or 429. 0 go on, else
 * answered (MP_DONE returned through *). */
static int
rate_or_reply(struct edge *e)
{
	struct mp_ctx *ctx = e->ctx;
	const struct gw_rate_policy *pol = &policies[e->rclass];
	struct gw_rate_decision d;
	char ph[GW_RATE_HEADER_MAX], lh[GW_RATE_HEADER_MAX], ra[24];

	if (e->s_rl < 0)
		return 0;
	if (slot_type(e->batch, e->s_rl) == REDIS_REPLY_INTEGER &&
	    e->batch->slot[e->s_rl].integer == 1) {
		const char *argv[3] = {"EXPIRE", e->rl_key, e->rl_ttl};
		size_t argvlen[3] = {6, strlen(e->rl_key), strlen(e->rl_ttl)};

		redis_forget(3, argv, argvlen);
	}
	if (slot_type(e->batch, e->s_rl) != REDIS_REPLY_INTEGER ||
	    gw_rate_decide(e->batch->slot[e->s_rl].integer, pol, now_ms(),
	    &d) != 0) {
		mp_metrics_counter_add(m_rl_unchecked, 1);
		return 0; /* Redis down: no limiting */
	}
	if (gw_rate_headers(pol, &d, ph, sizeof(ph), lh, sizeof(lh)) == 0) {
		mp_reply_header(ctx, "RateLimit-Policy", ph);
		mp_reply_header(ctx, "RateLimit", lh);
	}
	if (d.allowed)
		return 0;
	mp_metrics_counter_add(m_rl_refused, 1);
	snprintf(ra, sizeof(ra), "%lld", (long long)d.retry_after_s);
	mp_reply_header(ctx, "Retry-After", ra);
	mp_reply_problem(ctx, 429, "rate-limited",
	    "too many requests; retry after the time in Retry-After");
	return -EBUSY;
}

/* After the round trip: 401 for a revoked jti. 0 go on, else answered. */
static int
revoked_or_reply(struct edge *e)
{
	struct mp_ctx *ctx = e->ctx;
	int t;

	if (e->s_jti < 0)
		return 0;
	t = slot_type(e->batch, e->s_jti);
	if (t == REDIS_REPLY_INTEGER && e->batch->slot[e->s_jti].integer == 0)
		return 0;
	if (t == REDIS_REPLY_INTEGER) {
		mp_metrics_counter_add(m_revoked, 1);
		mp_reply_header(ctx, "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
		mp_reply_problem(ctx, 401, "invalid-token",
		    "this token was revoked");
		return -EACCES;
	}
	mp_metrics_counter_add(m_revocation_unchecked, 1);
	mp_log(MP_LOG_WARN, "edge", "token revocation not checked (Redis "
	    "unavailable): %s", revocation_fail_closed ? "refused" :
	    "accepted");
	if (revocation_fail_closed && !(e->route != NULL &&
	    (e->route->flags & GW_R_PUBLIC))) {
		mp_reply_header(ctx, "Retry-After", "1");
		mp_reply_problem(ctx, 503, "revocation-unavailable",
		    "the token cannot be checked right now; retry");
		return -EAGAIN;
	}
	return 0;
}

static int
jti_add(struct edge *e, struct batch *b)
{
	char key[96];
	const char *argv[2];
	size_t argvlen[2];

	if (!e->ctx->principal.authenticated ||
	    e->ctx->principal.jti[0] == '\0' ||
	    gw_auth_jti_revoked_key(e->ctx->principal.jti, key,
	    sizeof(key)) != 0)
		return -1;
	argv[0] = "EXISTS";
	argv[1] = key;
	argvlen[0] = 6;
	argvlen[1] = strlen(key);
	return batch_add(b, 2, argv, argvlen);
}

/* ---- the token endpoints -------------------------------------------------------- */

static int
auth_start(struct mp_ctx *ctx, enum gw_rate_class c, mp_handler next)
{
	struct edge *e;
	struct batch *b;

	if ((e = edge_new(ctx)) == NULL || (b = batch_new(e)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	edge_headers(ctx, 1);
	e->rclass = c;
	e->next = next;
	(void)rate_add(e, b);
	return batch_run(e, b, auth_checked);
}

/* The rate limit is decided: hand the request to auth.c with a clean
 * slate (its own state, its own database chain). */
static int
auth_checked(struct mp_ctx *ctx)
{
	struct edge *e = ctx->user;
	mp_handler next = e->next;

	if (rate_or_reply(e) != 0)
		return MP_DONE;
	ctx->user = NULL;
	ctx->user_free = NULL;
	ctx->resume = NULL;
	edge_free(e);
	return next(ctx);
}

int
gw_edge_auth_token(struct mp_ctx *ctx)
{
	return auth_start(ctx, GW_RC_AUTH, gw_auth_token);
}

int
gw_edge_auth_register(struct mp_ctx *ctx)
{
	return auth_start(ctx, GW_RC_AUTH, gw_auth_register);
}

int
gw_edge_preflight(struct mp_ctx *ctx)
{
	const char *origin = origin_allowed(ctx);
	char age[24];

	if (origin != NULL && mp_header(ctx,
	    "access-control-request-method") != NULL) {
		snprintf(age, sizeof(age), "%lld", (long long)cors_max_age_s);
		mp_reply_header(ctx, "Access-Control-Allow-Methods",
		    "GET, POST, PUT, PATCH, DELETE");
		mp_reply_header(ctx, "Access-Control-Allow-Headers",
		    allow_headers);
		mp_reply_header(ctx, "Access-Control-Max-Age", age);
	}
	edge_headers(ctx, 1);
	return mp_reply_raw(ctx, 204, NULL, "", 0);
}

/* ---- the /v1 pipeline ------------------------------------------------------------ */

int
gw_edge_handler(struct mp_ctx *ctx)
{
	struct http_request *req = ctx->req;
	struct edge *e;
	unsigned method = (unsigned)req->method;
	char ra[24];
	int rc, up, retry = 1;

	if ((e = edge_new(ctx)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	edge_headers(ctx, 1);
	if (method == HTTP_METHOD_HEAD)
		method = GW_M_GET;
	rc = gw_route_match(gw_routes, gw_nroutes, method, req->path, &e->m);
	if (req->method == HTTP_METHOD_OPTIONS &&
	    (rc == 0 || rc == -EOPNOTSUPP))
		return gw_edge_preflight(ctx);
	if (rc == -EOPNOTSUPP)
		return mp_reply_method_not_allowed(ctx, e->m.allow);
	if (rc == -ENOENT)
		return mp_reply_problem(ctx, 404, "not-found",
		    "no such resource");
	if (rc == -ENAMETOOLONG)
		return mp_reply_problem(ctx, 414, "uri-too-long",
		    "the request path is too long");
	if (rc != 0)
		return mp_reply_problem(ctx, 400, "bad-path",
		    "the request path is not acceptable");
	e->route = e->m.route;

	/* a part of the API that is not deployed here says so to anyone */
	up = proxy_upstream_check(e->route->upstream, &retry);
	if (up == -ENOENT) {
		mp_reply_header(ctx, "Retry-After", "30");
		return mp_reply_problem(ctx, 503, "upstream-not-configured",
		    "this part of the API is not available here");
	}
	rc = gw_route_authorize(e->route, &ctx->principal);
	if (rc == -EACCES) {
		mp_reply_header(ctx, "WWW-Authenticate", "Bearer");
		return mp_reply_problem(ctx, 401, "unauthenticated",
		    "a bearer token is required for this route");
	}
	if (rc != 0)
		return mp_reply_problem(ctx, 403, "forbidden",
		    "the gateway's route table does not admit you here");
	if (up == -EAGAIN) {
		/* open circuit: at once, without a Redis round trip */
		snprintf(ra, sizeof(ra), "%d", retry);
		mp_reply_header(ctx, "Retry-After", ra);
		return mp_reply_problem(ctx, 503, "upstream-unavailable",
		    "the upstream service is failing; retry later");
	}
	return pipeline_start(ctx);
}

/* Authorised: gather what the first round trip needs and send it. */
static int
pipeline_start(struct mp_ctx *ctx)
{
	struct edge *e = ctx->user;
	struct http_request *req = ctx->req;
	struct gw_cache_control cc;
	struct batch *b;
	const char *h, *subject, *argv[2];
	size_t argvlen[2];
	char key[GW_IDEM_KEY_MAX + 1], gen[GW_CACHE_KEY_MAX], *target;
	int has_cc;

	traceparent_make(ctx, e->traceparent, sizeof(e->traceparent));
	if (body_read(e) != 0)
		return mp_reply_problem(ctx, 400, "unreadable-body",
		    "the request body could not be read");
	e->rclass = e->route->rate_class;
	if (e->rclass == GW_RC_DEFAULT && req->method != HTTP_METHOD_GET &&
	    req->method != HTTP_METHOD_HEAD &&
	    req->method != HTTP_METHOD_OPTIONS)
		e->rclass = GW_RC_WRITE;
	if ((b = batch_new(e)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	e->batch = b;
	e->s_jti = jti_add(e, b);
	(void)rate_add(e, b);
	subject = ctx->principal.authenticated ? ctx->principal.subject : NULL;

	/* Idempotency-Key */
	h = mp_header(ctx, "idempotency-key");
	if (h != NULL && gw_idem_applies((unsigned)req->method)) {
		if (gw_idem_key_parse(h, key, sizeof(key)) != 0)
			return mp_reply_problem(ctx, 400, "bad-idempotency-key",
			    "Idempotency-Key must be 1 to 255 visible ASCII "
			    "characters");
		if ((target = malloc(strlen(req->path) + 2 +
		    (req->query_string != NULL ? strlen(req->query_string) :
		    0))) == NULL)
			return mp_reply_problem(ctx, 500, "internal",
			    "out of memory");
		sprintf(target, "%s%s%s", req->path, req->query_string !=
		    NULL ? "?" : "", req->query_string != NULL ?
		    req->query_string : "");
		if (gw_idem_redis_key(subject, key, e->idem_key,
		    sizeof(e->idem_key)) != 0 ||
		    gw_idem_fingerprint((unsigned)req->method, target, subject,
		    e->body, e->body_len, e->idem_fp) != 0) {
			free(target);
			return mp_reply_problem(ctx, 500, "internal",
			    "the idempotency key could not be computed");
		}
		free(target);
		e->idem = 1;
		argv[0] = "GET";
		argv[1] = e->idem_key;
		argvlen[0] = 3;
		argvlen[1] = strlen(e->idem_key);
		e->s_idem = batch_add(b, 2, argv, argvlen);
	}

	/* the cache */
	if ((e->route->flags & GW_R_CACHEABLE) &&
	    req->method == HTTP_METHOD_GET) {
		if (ctx->principal.authenticated && !(e->route->flags &
		    GW_R_PUBLIC_DATA) && (ctx->principal.roles &
		    ~(unsigned)CACHE_SCOPED_ROLES) != 0) {
			mp_metrics_counter_add(m_cache_bypass, 1);
		} else {
			h = mp_header(ctx, "cache-control");
			has_cc = h != NULL &&
			    gw_cache_control_parse(h, &cc) == 0;
			(void)gw_cache_request_mode(has_cc ? &cc : NULL,
			    &e->use_stored, &e->may_store);
			e->cacheable = 1;
			if ((e->use_stored || e->may_store) &&
			    cache_lookup_add(e, b, gen, sizeof(gen)) != 0) {
				e->cacheable = 0; /* e.g. a huge query */
				e->cache_key[0] = '\0';
				mp_metrics_counter_add(m_cache_bypass, 1);
			}
		}
	}
	e->batch = NULL;
	return batch_run(e, b, step_checked);
}

/*
 * The cache in the first round trip, two plain GETs: the service's
 * generation and the stored value (gw_cache_value_decode: the entry with
 * the generation it was read under). The key does not change with the
 * generation (gw_cache_key with generation 0): a stale value is a miss and
 * the next answer replaces it in place.
 */
static int
cache_lookup_add(struct edge *e, struct batch *b, char *gen, size_t genlen)
{
	struct mp_ctx *ctx = e->ctx;
	struct gw_cache_req cr;
	const char *argv[2];
	size_t argvlen[2];

	memset(&cr, 0, sizeof(cr));
	cr.service = e->route->upstream;
	cr.generation = 0;
	cr.path = ctx->req->path;
	cr.query = ctx->req->query_string;
	cr.accept_language = mp_header(ctx, "accept-language");
	cr.principal = ctx->principal.authenticated ? &ctx->principal : NULL;
	cr.public_data = (e->route->flags & GW_R_PUBLIC_DATA) != 0;
	if (gw_cache_key(&cr, e->cache_key, sizeof(e->cache_key)) != 0 ||
	    gw_cache_gen_key(e->route->upstream, gen, genlen) != 0)
		return -EINVAL;
	argv[0] = "GET";
	argvlen[0] = 3;
	argv[1] = gen;
	argvlen[1] = strlen(gen);
	e->s_gen = batch_add(b, 2, argv, argvlen);
	argv[1] = e->cache_key;
	argvlen[1] = strlen(e->cache_key);
	e->s_entry = batch_add(b, 2, argv, argvlen);
	return 0;
}

/* First round trip done: revocation, rate limit, idempotency, cache. */
static int
step_checked(struct mp_ctx *ctx)
{
	struct edge *e = ctx->user;
	struct gw_cache_entry ce;
	struct batch *b;
	const char *gen;
	size_t len;
	char num[32];
	uint64_t g = 0, stored;
	int proceed = 0;

	if (revoked_or_reply(e) != 0 || rate_or_reply(e) != 0)
		return MP_DONE;
	if (e->idem) {
		if (idem_decide_or_reply(e, &e->batch->slot[e->s_idem],
		    &proceed) != 0)
			return MP_DONE;
		if (!proceed)
			return MP_DONE; /* replayed */
		{
			struct gw_idem_record rec;
			unsigned char buf[128];
			char px[24];
			const char *sargv[6];
			size_t sargvlen[6], blen = 0;

			memset(&rec, 0, sizeof(rec));
			rec.state = GW_IDEM_IN_PROGRESS;
			memcpy(rec.fingerprint, e->idem_fp, sizeof(rec.fingerprint));
			rec.started_ms = now_ms();
			if (gw_idem_record_encode(&rec, buf, sizeof(buf),
			    &blen) != 0 || (b = batch_new(e)) == NULL)
				return mp_reply_problem(ctx, 500, "internal",
				    "the idempotency record could not be made");
			snprintf(px, sizeof(px), "%d", IDEM_CLAIM_PX_MS);
			sargv[0] = "SET";
			sargv[1] = e->idem_key;
			sargv[2] = (const char *)buf;
			sargv[3] = "NX";
			sargv[4] = "PX";
			sargv[5] = px;
			sargvlen[0] = 3;
			sargvlen[1] = strlen(e->idem_key);
			sargvlen[2] = blen;
			sargvlen[3] = 2;
			sargvlen[4] = 2;
			sargvlen[5] = strlen(px);
			e->s_idem = batch_add(b, 6, sargv, sargvlen);
			return batch_run(e, b, step_claimed);
		}
	}
	if (!e->cacheable)
		return forward(e);
	if (e->s_gen < 0 || (slot_type(e->batch, e->s_gen) !=
	    REDIS_REPLY_STRING && slot_type(e->batch, e->s_gen) !=
	    REDIS_REPLY_NIL)) {
		e->cacheable = 0; /* Redis down: serve uncached */
		e->cache_key[0] = '\0'; /* and store nothing */
		mp_metrics_counter_add(m_cache_bypass, 1);
		return forward(e);
	}
	if ((gen = slot_str(e->batch, e->s_gen, &len)) != NULL) {
		snprintf(num, sizeof(num), "%.*s", (int)(len < 31 ? len : 31),
		    gen);
		g = strtoull(num, NULL, 10);
	}
	e->cache_gen = g;
	if (e->use_stored &&
	    (gen = slot_str(e->batch, e->s_entry, &len)) != NULL &&
	    gw_cache_value_decode(gen, len, &stored, &ce) == 0 &&
	    stored == g) {
		mp_metrics_counter_add(m_cache_hit, 1);
		return cache_hit_reply(e, &ce);
	}
	return forward(e);
}

/* ---- idempotency -------------------------------------------------------------------- */

/* Decide on a GET of the record: *proceed = 1 to claim the key, else the
 * client was answered (replay, 409, 422, 503). Returns 0, or -1 when
 * answered with an error. */
static int
idem_decide_or_reply(struct edge *e, const struct slot *s, int *proceed)
{
	struct mp_ctx *ctx = e->ctx;
	struct gw_idem_record rec;
	enum gw_idem_action act;

	*proceed = 0;
	if (s->type != REDIS_REPLY_STRING && s->type != REDIS_REPLY_NIL) {
		mp_metrics_counter_add(m_idem_unavailable, 1);
		mp_reply_header(ctx, "Retry-After", "1");
		mp_reply_problem(ctx, 503, "idempotency-unavailable",
		    "the idempotency key cannot be checked right now; retry "
		    "with the same key");
		return -1;
	}
	if (s->type == REDIS_REPLY_NIL)
		act = GW_IDEM_PROCEED;
	else if (gw_idem_record_decode(s->str, s->len, &rec) != 0 ||
	    gw_idem_decide(&rec, e->idem_fp, &act) != 0)
		act = GW_IDEM_CONFLICT; /* unreadable: never write twice */
	switch (act) {
	case GW_IDEM_PROCEED:
		*proceed = 1;
		return 0;
	case GW_IDEM_REPLAY:
		mp_metrics_counter_add(m_idem_replay, 1);
		idem_replay(e, &rec);
		return 0;
	case GW_IDEM_MISMATCH:
		mp_metrics_counter_add(m_idem_mismatch, 1);
		mp_reply_problem(ctx, 422, "idempotency-key-reused",
		    "this Idempotency-Key was used for another request");
		return -1;
	case GW_IDEM_CONFLICT:
	default:
		mp_metrics_counter_add(m_idem_conflict, 1);
		mp_reply_header(ctx, "Retry-After", "1");
		mp_reply_problem(ctx, 409, "idempotency-in-progress",
		    "a request with this Idempotency-Key is still in "
		    "progress");
		return -1;
	}
}

static int
idem_replay(struct edge *e, const struct gw_idem_record *rec)
{
	struct mp_ctx *ctx = e->ctx;

	mp_reply_header(ctx, "Idempotent-Replayed", "true");
	if (rec->location != NULL && rec->location[0] != '\0')
		mp_reply_header(ctx, "Location", rec->location);
	return mp_reply_raw(ctx, rec->status, rec->content_type != NULL &&
	    rec->content_type[0] != '\0' ? rec->content_type : NULL,
	    rec->body != NULL ? rec->body : "", rec->body_len);
}

/* SET NX answered: forward when the claim is ours; otherwise someone
 * else's record appeared between our GET and SET: read it again. */
static int
step_claimed(struct mp_ctx *ctx)
{
	struct edge *e = ctx->user;
	struct batch *b;
	const char *argv[2];
	size_t argvlen[2];
	int t = slot_type(e->batch, e->s_idem);

	if (t == REDIS_REPLY_STATUS) {
		e->idem_claimed = 1;
		return forward(e);
	}
	if (t != REDIS_REPLY_NIL || (b = batch_new(e)) == NULL) {
		mp_metrics_counter_add(m_idem_unavailable, 1);
		mp_reply_header(ctx, "Retry-After", "1");
		return mp_reply_problem(ctx, 503, "idempotency-unavailable",
		    "the idempotency key cannot be checked right now; retry "
		    "with the same key");
	}
	argv[0] = "GET";
	argv[1] = e->idem_key;
	argvlen[0] = 3;
	argvlen[1] = strlen(e->idem_key);
	e->s_idem = batch_add(b, 2, argv, argvlen);
	return batch_run(e, b, step_rechecked);
}

static int
step_rechecked(struct mp_ctx *ctx)
{
	struct edge *e = ctx->user;
	int proceed = 0;

	if (idem_decide_or_reply(e, &e->batch->slot[e->s_idem], &proceed) != 0
	    || !proceed)
		return MP_DONE;
	/* gone again in between: let the client retry rather than race */
	mp_metrics_counter_add(m_idem_conflict, 1);
	mp_reply_header(ctx, "Retry-After", "1");
	return mp_reply_problem(ctx, 409, "idempotency-in-progress",
	    "a request with this Idempotency-Key is still in progress");
}

/* Drop our claim so that the write can be retried with the same key. */
static void
idem_release(struct edge *e)
{
	const char *argv[2] = {"DEL", e->idem_key};
	size_t argvlen[2] = {3, strlen(e->idem_key)};

	e->idem_claimed = 0;
	redis_forget(2, argv, argvlen);
}

/* The upstream answered `status`: keep the outcome for replays, or
 * release the key. */
static void
idem_store(struct edge *e, int status)
{
	struct gw_idem_record rec;
	unsigned char *buf = NULL;
	const char *argv[6], *body;
	size_t argvlen[6], len = 0, blen;
	char ex[16];

	if (!e->idem_claimed)
		return;
	if (!gw_idem_storable(status)) {
		idem_release(e);
		return;
	}
	memset(&rec, 0, sizeof(rec));
	rec.state = GW_IDEM_DONE;
	memcpy(rec.fingerprint, e->idem_fp, sizeof(rec.fingerprint));
	rec.started_ms = now_ms();
	rec.status = status;
	rec.content_type = proxy_call_header(e->pc, "content-type");
	rec.location = proxy_call_header(e->pc, "location");
	body = proxy_call_body(e->pc, &blen);
	rec.body = body;
	rec.body_len = blen;
	if (gw_idem_record_encode(&rec, NULL, 0, &len) != -ENOSPC ||
	    (buf = malloc(len)) == NULL ||
	    gw_idem_record_encode(&rec, buf, len, &len) != 0) {
		mp_log(MP_LOG_WARN, "edge", "an idempotent outcome could not "
		    "be recorded; the key is released");
		free(buf);
		idem_release(e);
		return;
	}
	snprintf(ex, sizeof(ex), "%d", IDEM_TTL_S);
	argv[0] = "SET";
	argv[1] = e->idem_key;
	argv[2] = (const char *)buf;
	argv[3] = "XX";
	argv[4] = "EX";
	argv[5] = ex;
	argvlen[0] = 3;
	argvlen[1] = strlen(e->idem_key);
	argvlen[2] = len;
	argvlen[3] = 2;
	argvlen[4] = 2;
	argvlen[5] = strlen(ex);
	redis_forget(6, argv, argvlen);
	e->idem_claimed = 0;
	free(buf);
}

/* ---- the cache ----------------------------------------------------------------------- */

/* Headers of every cacheable answer, hit or miss. */
static void
cache_headers(struct edge *e, const char *etag, const char *xcache)
{
	struct mp_ctx *ctx = e->ctx;

	mp_reply_header(ctx, "X-Cache", xcache);
	if (etag != NULL && etag[0] != '\0')
		mp_reply_header(ctx, "ETag", etag);
	mp_reply_header(ctx, "Cache-Control", ctx->principal.authenticated ?
	    "private, no-cache" : "no-cache");
	mp_reply_header(ctx, "Vary", "Accept-Language, Authorization");
}

/* 304 when If-None-Match matches etag: 1 answered, 0 not. */
static int
not_modified(struct edge *e, const char *etag)
{
	struct mp_ctx *ctx = e->ctx;
	const char *inm = mp_header(ctx, "if-none-match");

	if (inm == NULL || etag == NULL || !gw_etag_match(inm, etag))
		return 0;
	mp_metrics_counter_add(m_not_modified, 1);
	http_response_header(ctx->req, "X-Request-Id", ctx->request_id);
	http_response(ctx->req, 304, NULL, 0);
	return 1;
}

static int
cache_hit_reply(struct edge *e, const struct gw_cache_entry *ce)
{
	struct mp_ctx *ctx = e->ctx;

	edge_headers(ctx, 0);
	cache_headers(e, ce->etag, "hit");
	if (ce->status == 200 && not_modified(e, ce->etag))
		return MP_DONE;
	if (ce->content_type != NULL && ce->content_type[0] != '\0')
		mp_reply_header(ctx, "Content-Type", ce->content_type);
	mp_reply_header(ctx, "Content-Language", ctx->lang);
	http_response_header(ctx->req, "X-Request-Id", ctx->request_id);
	http_response(ctx->req, ce->status, ce->body, ce->body_len);
	return MP_DONE;
}

/* ---- the upstream ------------------------------------------------------------------- */

static int
forward(struct edge *e)
{
	struct mp_ctx *ctx = e->ctx;
	char ra[16];
	int rc, retry = 1;

	rc = proxy_start(ctx, e->route->upstream, e->body, e->body_len,
	    e->traceparent, e->cacheable ? PROXY_NO_CONDITIONAL : 0, &retry,
	    &e->pc);
	e->body = NULL; /* the call owns it now */
	if (rc == 0)
		return edge_park(e, step_upstream);
	if (e->idem_claimed)
		idem_release(e);
	switch (rc) {
	case -EAGAIN:
		snprintf(ra, sizeof(ra), "%d", retry);
		mp_reply_header(ctx, "Retry-After", ra);
		return mp_reply_problem(ctx, 503, "upstream-unavailable",
		    "the upstream service is failing; retry later");
	case -ENOENT:
		mp_reply_header(ctx, "Retry-After", "30");
		return mp_reply_problem(ctx, 503, "upstream-not-configured",
		    "this part of the API is not available here");
	case -ENAMETOOLONG:
		return mp_reply_problem(ctx, 414, "uri-too-long",
		    "the request target is too long");
	case -EINVAL:
		return mp_reply_problem(ctx, 405, "method-not-allowed",
		    "this method cannot be forwarded");
	default:
		return mp_reply_problem(ctx, 502, "bad-gateway",
		    "the upstream service could not be reached");
	}
}

static int
step_upstream(struct mp_ctx *ctx)
{
	static const char *const drop_plain[] = {"x-content-type-options",
		"referrer-policy", "x-frame-options",
		"content-security-policy", NULL};
	static const char *const drop_cached[] = {"x-content-type-options",
		"referrer-policy", "x-frame-options",
		"content-security-policy", "cache-control", "etag", "vary",
		NULL};
	struct edge *e = ctx->user;
	struct gw_cache_control cc;
	struct gw_cache_entry ce;
	const char *body, *etag, *cdn, *argv[5];
	char own_etag[GW_ETAG_LEN], ex[16];
	unsigned char *buf = NULL;
	size_t blen, len = 0, argvlen[5];
	int status = proxy_call_status(e->pc), ttl = 0;

	if (status == 0) {
		if (e->idem_claimed)
			idem_release(e);
		return proxy_fail_reply(ctx, e->pc);
	}
	idem_store(e, status);
	if (!e->cacheable) {
		edge_headers(ctx, 0);
		if (ctx->principal.authenticated &&
		    proxy_call_header(e->pc, "cache-control") == NULL)
			mp_reply_header(ctx, "Cache-Control", "no-store");
		return proxy_reply(ctx, e->pc, drop_plain);
	}

	/* a cacheable GET */
	mp_metrics_counter_add(m_cache_miss, 1);
	body = proxy_call_body(e->pc, &blen);
	if ((etag = proxy_call_header(e->pc, "etag")) == NULL &&
	    gw_etag(body, blen, own_etag, sizeof(own_etag)) == 0)
		etag = own_etag;
	/* The services stamp Cache-Control: no-store on every answer for
	 * the client's sake; what they want of the gateway, if anything,
	 * they say in CDN-Cache-Control (RFC 9213). */
	cdn = proxy_call_header(e->pc, "cdn-cache-control");
	if (e->may_store && e->cache_key[0] != '\0' &&
	    gw_cache_response_ttl(status, e->route->ttl_s, cdn != NULL &&
	    gw_cache_control_parse(cdn, &cc) == 0 ? &cc : NULL, &ttl) == 0 &&
	    ttl > 0) {
		memset(&ce, 0, sizeof(ce));
		ce.status = status;
		ce.content_type = proxy_call_header(e->pc, "content-type");
		ce.etag = etag;
		ce.body = body;
		ce.body_len = blen;
		if (gw_cache_value_encode(e->cache_gen, &ce, NULL, 0,
		    &len) == -ENOSPC && (buf = malloc(len)) != NULL &&
		    gw_cache_value_encode(e->cache_gen, &ce, buf, len,
		    &len) == 0) {
			snprintf(ex, sizeof(ex), "%d", ttl);
			argv[0] = "SET";
			argv[1] = e->cache_key;
			argv[2] = (const char *)buf;
			argv[3] = "EX";
			argv[4] = ex;
			argvlen[0] = 3;
			argvlen[1] = strlen(e->cache_key);
			argvlen[2] = len;
			argvlen[3] = 2;
			argvlen[4] = strlen(ex);
			redis_forget(5, argv, argvlen);
		}
		free(buf);
	}
	edge_headers(ctx, 0);
	cache_headers(e, etag, "miss");
	if (status == 200 && not_modified(e, etag))
		return MP_DONE;
	return proxy_reply(ctx, e->pc, drop_cached);
}
