/*
 * The gateway's REST proxy on the worker's Kore event loop (contract in
 * proxy.h): http:// upstreams go through the native client (h1client.c),
 * whose outcomes native_done translates into libcurl's result codes so that
 * the breaker, the retries and the problem answers below read one
 * language (gw_proxy_fetch of an http:// URL too: fetch_endpoint); https://
 * upstreams and URLs go through libcurl's multi socket interface as
 * described here.
 *
 * How the pieces meet:
 *  - one CURLM per worker. libcurl tells us which sockets to watch
 *    (CURLMOPT_SOCKETFUNCTION) and when to call it back
 *    (CURLMOPT_TIMERFUNCTION); we mirror those wishes with level-triggered
 *    epoll registrations (kore_platform_event_schedule / _disable_read) and
 *    one Kore one-shot timer. Readiness and timers come back as
 *    curl_multi_socket_action(), after which finished transfers are
 *    collected and their requests woken.
 *  - a request is parked with http_request_sleep() while its transfer runs;
 *    app.c re-enters it through the ctx->resume its caller (edge.c) set.
 *  - everything a transfer owns is its struct proxy_call, held by the
 *    caller's request state and released with gw_proxy_call_free from the
 *    request's user_free, which Kore runs on every path, including a
 *    client that went away mid-transfer: the easy handle then leaves the
 *    multi handle (libcurl closes that upstream connection) before
 *    anything is freed.
 *
 * The circuit breaker (contract in proxy.h) lives in struct upstream,
 * which every worker has its own copy of after the fork: per-worker state
 * needs no lock and each worker opens within N of its own requests.
 *
 * Sockets: the struct handed to epoll for a descriptor lives in a table
 * indexed by descriptor and is never freed while the worker runs. One
 * curl_multi_socket_action() can close other sockets (timeouts of other
 * transfers run in it too) while epoll_wait's batch still holds events
 * for them; such a stale event then finds an unregistered entry (ignored)
 * or the entry of a new socket that reuses the number (a spurious wake-up,
 * which libcurl shrugs off) -- never freed memory. libcurl closes its
 * sockets through our CURLOPT_CLOSESOCKETFUNCTION, so the table knows when
 * a number stops being an upstream socket without asking the kernel.
 *
 * The cost per proxied request is kept to what the transfer needs:
 *  - easy handles are reused (curl_easy_reset, a per-worker free list):
 *    curl_easy_init allocates and clears several kilobytes each time;
 *  - a kept connection stays in epoll while it idles in libcurl's cache
 *    (CURL_POLL_REMOVE only marks it unwanted): the next transfer on it
 *    asks for the same events and costs no epoll_ctl. Should the idle
 *    connection wake us (the upstream closed it), it is taken out then;
 *  - no proxy from the environment (CURLOPT_PROXY ""): traffic to the
 *    services never goes through a forward proxy, and libcurl does not
 *    read six environment variables per transfer to find that out.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <kore/kore.h>
#include <kore/http.h>
#include <kore/seccomp.h>

#include "mp/config.h"
#include "mp/log.h"
#include "mp/runtime.h"
#include "mp/service.h"
#include "mp/util.h"

#include "edge/route_table.h"
#include "proxy/h1.h"
#include "proxy/h1client.h"
#include "proxy/proxy.h"
#include "proxy/upstream_conf.h"

#define URL_MAX 512
#define RESP_HEADERS_MAX 100
#define RESP_HEADER_BYTES_MAX (64 * 1024)
#define FETCH_EPS_MAX 4

enum breaker_state { BR_CLOSED = 0, BR_OPEN, BR_HALF_OPEN };

/* One base URL of an upstream, with its own breaker (per worker). */
struct replica {
	struct upstream *up;
	char base[URL_MAX]; /* without trailing '/' */
	enum breaker_state br;
	int failures; /* consecutive */
	int opens;    /* openings since it last answered */
	uint64_t open_until_ms;
	int trial;                 /* a half-open trial is in flight */
	int outstanding;           /* calls in flight from this worker */
	struct gw_h1c_endpoint ep; /* http:// bases: the native client */
};

struct upstream {
	char name[GW_SERVICE_MAX + 1];
	char timeout_env[GW_SERVICE_MAX +
	                 32];            /* MP_UPSTREAM_<NAME>_TIMEOUT_MS */
	char label[GW_SERVICE_MAX + 16]; /* metrics label */
	struct replica rep[GW_REPLICAS_MAX];
	int nrep;    /* 0: not deployed here */
	int native;  /* every replica http://: the native client, not libcurl */
	unsigned rr; /* where the next pick starts (ties rotate) */
	int64_t timeout_ms;
	int m_open, m_failures, m_rejected; /* metric ids */
	int m_opened, m_reused, m_idle;     /* the native client's pools */
};

struct psock {
	struct kore_event evt; /* first member: Kore casts to it */
	int fd;
	int registered; /* in epoll with `events` */
	int wanted;     /* libcurl watches it (not idle in its cache) */
	int events;
};

/* Idle easy handles of this worker, reset and ready for a transfer. */
#define EASY_IDLE_MAX 64

struct rhdr {
	char *name;
	char *value;
};

struct proxy_call {
	struct http_request *req;
	struct upstream *up;
	struct replica *rep; /* the replica of the transfer in flight */
	char *target;        /* path and query as sent (encoded) */
	int moved;           /* a GET already retried on another replica */
	int counted;         /* rep->outstanding counts this call */
	CURL *easy;
	struct curl_slist *hdrs;
	char *url;
	int in_multi;
	int done;
	CURLcode result;
	long status;
	int retried; /* a 408 on a kept connection was retried */
	int trial;   /* this call is the breaker's half-open trial */
	int flags;   /* PROXY_* */
	char *traceparent;
	int too_big;     /* body over PROXY_RESPONSE_MAX */
	int bad_headers; /* too many, too long */
	int hdr_done;    /* the header block ended: what follows are trailers */
	char *req_body;
	size_t req_body_len;
	char *body;
	size_t body_len, body_cap;
	struct rhdr hdr[RESP_HEADERS_MAX];
	int nhdr;
	size_t hdr_bytes;
	char errbuf[CURL_ERROR_SIZE];
	/* the native client (up->native): hdr[] then points into x.buf */
	int native;
	struct gw_h1_buf wreq; /* request line, fields, empty line */
	struct gw_h1c_xfer x;
};

static int upstreams_configure(void);
static struct upstream *upstream_named(const char *name);
static const char *breaker_dur_get(const char *name);
static int breaker_parse(const char *spec);
static int breaker_usable(const struct replica *r, uint64_t now);
static int breaker_admit(struct replica *r);
static void breaker_record(struct replica *r, int failed, int trial);
static void breaker_gauge(const struct upstream *up);
static struct replica *replica_pick(struct upstream *up,
                                    const struct replica * not, int *trial,
                                    int *retry_after_s);
static int replica_url(struct proxy_call *pc, struct replica *r);
static void replica_leave(struct proxy_call *pc);
static int retry_elsewhere(struct proxy_call *pc);
static struct psock *psock_get(int fd);
static CURL *easy_take(void);
static void easy_give(CURL *e);
static int close_cb(void *clientp, curl_socket_t fd);
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                   void *socketp);
static int timer_cb(CURLM *m, long timeout_ms, void *userp);
static void on_timer(void *arg, u_int64_t now);
static void on_sock_event(void *arg, int err);
static int retry_stale(struct proxy_call *pc);
static void multi_collect(void);
static size_t on_body(char *ptr, size_t size, size_t n, void *arg);
static size_t on_header(char *ptr, size_t size, size_t n, void *arg);
static void rhdr_clear(struct proxy_call *pc);
static int is_hop_by_hop(const char *name);
static int url_append(char *dst, size_t cap, size_t *len, const char *s);
static int hdr_add(struct proxy_call *pc, const char *name, const char *value);
static int request_headers(struct mp_ctx *ctx, struct proxy_call *pc);
static int method_setup(struct proxy_call *pc, int method);
static int call_failed(const struct proxy_call *pc);
static void call_finish(struct proxy_call *pc);
static void native_done(struct gw_h1c_xfer *x);
static int native_request(struct proxy_call *pc, const char *name,
                          const char *target, struct mp_ctx *ctx,
                          const char *const *hdrs, int64_t timeout_ms);
static struct gw_h1c_endpoint *fetch_endpoint(const char *url,
                                              const char **target);

/* What libcurl (and the resolver thread it starts for host names) needs
 * beyond Kore's worker filter and the library's "mp" filter (app.c).
 * Registered from the parent: KORE_SECCOMP_FILTER would define a second
 * kore_seccomp_hook next to app.c's and the module would not link. */
static struct sock_filter gateway_filter[] = {
    KORE_SYSCALL_ALLOW(socketpair), /* multi wake-up, resolver thread */
    KORE_SYSCALL_ALLOW(bind),       /* getaddrinfo's netlink socket */
    KORE_SYSCALL_ALLOW(sendmmsg),   /* glibc's resolver, A + AAAA */
    KORE_SYSCALL_ALLOW(faccessat),
    KORE_SYSCALL_ALLOW(faccessat2),
    KORE_SYSCALL_ALLOW(statx),
    KORE_SYSCALL_ALLOW(mremap), /* realloc of large answer bodies */
};

/* Each upstream's metrics: where its id goes in struct upstream. */
static const struct {
	size_t off;
	const char *name, *help;
	int gauge;
} upstream_metrics[] = {
    {offsetof(struct upstream, m_open), "gw_upstream_breaker_open_workers",
     "Workers whose circuit breaker for the upstream is open or half-open", 1},
    {offsetof(struct upstream, m_failures), "gw_upstream_failures_total",
     "Upstream calls that failed (transport error, 502, 503, 504)", 0},
    {offsetof(struct upstream, m_rejected),
     "gw_upstream_breaker_rejected_total",
     "Requests answered 503 by an open circuit breaker", 0},
    {offsetof(struct upstream, m_opened),
     "gw_upstream_connections_opened_total",
     "Connections the native client opened to the upstream", 0},
    {offsetof(struct upstream, m_reused),
     "gw_upstream_connections_reused_total",
     "Upstream requests sent on a kept connection", 0},
    {offsetof(struct upstream, m_idle), "gw_upstream_connections_idle",
     "Kept connections to the upstream idle in the workers' pools", 1},
};

/* The upstreams as configured (MP_UPSTREAMS), set in the parent. */
static struct gw_upstream_conf confs[GW_UPSTREAMS_MAX];
static struct upstream upstreams[GW_UPSTREAMS_MAX];
static size_t nupstreams;

/* MP_UPSTREAM_CLIENT: "native" (h1client.c for http:// upstreams) or
 * "curl" (libcurl for every upstream). */
static char client_kind[16] = "native";

/* Breaker configuration (MP_BREAKER); threshold 0 = disabled. The open
 * time is the longest; the first opening lasts BREAKER_FIRST_OPEN_MS
 * (breaker_open_time). */
static int breaker_threshold = 5;
static int64_t breaker_open_ms = 10000;
#define BREAKER_FIRST_OPEN_MS 1000

/* Per worker. */
static CURLM *multi;
static struct kore_timer *timer;
static struct psock **socks;
static CURL *easy_idle[EASY_IDLE_MAX];
static int neasy_idle;
static size_t nsocks;

/* ---- configuration ------------------------------------------------------- */

/* The duration part of MP_BREAKER, handed to mp_config_load so it reads
 * with the syntax of every other duration setting. */
static const char *breaker_dur;

static const char *
breaker_dur_get(const char *name)
{
	(void)name;
	return breaker_dur;
}

/* "<failures>/<duration>" ("5/10s", "3/500ms") or "off". */
static int
breaker_parse(const char *spec)
{
	const char *slash;
	char *end;
	long n;
	int64_t ms = 0;
	const struct mp_cfg_var var = {"MP_BREAKER",
	                               MP_CFG_DURATION_MS,
	                               1,
	                               NULL,
	                               100,
	                               3600000,
	                               NULL,
	                               &ms,
	                               0,
	                               "breaker open time"};

	if (strcmp(spec, "off") == 0) {
		breaker_threshold = 0;
		return 0;
	}
	if ((slash = strchr(spec, '/')) == NULL || slash == spec)
		return -EINVAL;
	errno = 0;
	n = strtol(spec, &end, 10);
	if (errno != 0 || end != slash || n < 1 || n > 1000)
		return -EINVAL;
	breaker_dur = slash + 1;
	if (mp_config_load(&var, 1, breaker_dur_get, NULL, 0) != 0)
		return -EINVAL;
	breaker_threshold = (int)n;
	breaker_open_ms = ms;
	return 0;
}

/* MP_UPSTREAMS into confs and upstreams; the route registry learns the
 * names. 0, or -1 with a line on stderr. */
static int
upstreams_configure(void)
{
	const char *names[GW_UPSTREAMS_MAX];
	char err[512];
	size_t i, k;
	int n = 0;

	if (gw_upstreams_parse(getenv("MP_UPSTREAMS"), confs, GW_UPSTREAMS_MAX,
	                       &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	nupstreams = (size_t)n;
	for (i = 0; i < nupstreams; i++) {
		struct upstream *up = &upstreams[i];

		memset(up, 0, sizeof(*up));
		memcpy(up->name, confs[i].name, sizeof(up->name));
		snprintf(up->label, sizeof(up->label), "upstream=\"%.32s\"",
		         up->name);
		snprintf(up->timeout_env, sizeof(up->timeout_env),
		         "MP_UPSTREAM_%.32s_TIMEOUT_MS", up->name);
		for (k = 12; up->timeout_env[k] != '\0'; k++)
			up->timeout_env[k] =
			    up->timeout_env[k] == '-'
			        ? '_'
			        : (char)toupper(
			              (unsigned char)up->timeout_env[k]);
		for (k = 0; k < (size_t)confs[i].nreplicas; k++) {
			up->rep[k].up = up;
			up->rep[k].br = BR_CLOSED;
			snprintf(up->rep[k].base, sizeof(up->rep[k].base), "%s",
			         confs[i].base[k]);
		}
		up->nrep = confs[i].nreplicas;
		/* http:// replicas go through the native client unless
		 * MP_UPSTREAM_CLIENT=curl; one https:// base puts the whole
		 * upstream on libcurl */
		up->native = up->nrep > 0 && strcmp(client_kind, "native") == 0;
		for (k = 0; k < (size_t)up->nrep; k++) {
			if (gw_h1c_endpoint_init(&up->rep[k].ep,
			                         up->rep[k].base,
			                         PROXY_CONNECT_MS) != 0)
				up->native = 0;
			else
				(void)gw_h1c_endpoint_resolve(&up->rep[k].ep);
		}
		up->m_open = up->m_failures = up->m_rejected = -1;
		names[i] = up->name;
	}
	if (gw_routes_setup(names, n) != 0) {
		fprintf(stderr, "config: MP_UPSTREAMS: too many upstreams\n");
		return -1;
	}
	return 0;
}

const struct gw_upstream_conf *
gw_proxy_upstream_conf(int *n)
{
	*n = (int)nupstreams;
	return confs;
}

const char *
gw_proxy_upstream_name(int i)
{
	return i >= 0 && (size_t)i < nupstreams ? upstreams[i].name : NULL;
}

int
gw_proxy_parent_init(void)
{
	static const char *const kinds[] = {"native", "curl", NULL};
	char line[512], err[512], bspec[64];
	size_t i, k, off = 0;
	int missing = 0;
	int64_t timeout_ms;
	struct mp_cfg_var vars[] = {
	    {"MP_UPSTREAM_CLIENT", MP_CFG_ENUM, 0, "native", 0, 0, kinds,
	     client_kind, sizeof(client_kind),
	     "HTTP client of http:// upstreams: native or curl"},
	    {"MP_UPSTREAM_TIMEOUT_MS", MP_CFG_DURATION_MS, 0, "10000", 100,
	     60000, NULL, &timeout_ms, 0, "time limit of an upstream call"},
	    {"MP_BREAKER", MP_CFG_STRING, 0, "5/10s", 0, 0, NULL, bspec,
	     sizeof(bspec), "circuit breaker failures/open-time or off"},
	};

	snprintf(bspec, sizeof(bspec), "5/10s");
	timeout_ms = PROXY_TIMEOUT_MS;
	if (mp_config_load(vars, sizeof(vars) / sizeof(vars[0]), NULL, err,
	                   sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (breaker_parse(bspec) != 0) {
		fprintf(stderr,
		        "config: MP_BREAKER=%.32s is not <failures>/"
		        "<duration> (\"5/10s\") or off\n",
		        bspec);
		return -1;
	}
	if (upstreams_configure() != 0)
		return -1;
	for (i = 0; i < nupstreams; i++) {
		struct mp_cfg_var one = {
		    upstreams[i].timeout_env,
		    MP_CFG_DURATION_MS,
		    0,
		    NULL,
		    100,
		    60000,
		    NULL,
		    &upstreams[i].timeout_ms,
		    0,
		    "time limit of calls to this upstream"};

		upstreams[i].timeout_ms = timeout_ms;
		if (mp_config_load(&one, 1, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
	}
	/* one series per upstream of each (a name's series together) */
	for (k = 0; k < sizeof(upstream_metrics) / sizeof(upstream_metrics[0]);
	     k++)
		for (i = 0; i < nupstreams; i++)
			*(int *)((char *)&upstreams[i] +
			         upstream_metrics[k].off) =
			    mp_metrics_counter_new(upstream_metrics[k].name,
			                           upstreams[i].label,
			                           upstream_metrics[k].help,
			                           upstream_metrics[k].gauge);
	for (i = 0; i < nupstreams; i++)
		for (k = 0; k < (size_t)upstreams[i].nrep; k++) {
			upstreams[i].rep[k].ep.m_opened = upstreams[i].m_opened;
			upstreams[i].rep[k].ep.m_reused = upstreams[i].m_reused;
			upstreams[i].rep[k].ep.m_idle = upstreams[i].m_idle;
		}

	for (i = 0; i < nupstreams; i++) {
		if (upstreams[i].nrep > 0)
			continue;
		missing++;
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
		                        missing > 1 ? ", " : "",
		                        upstreams[i].name);
		if (off >= sizeof(line))
			off = sizeof(line) - 1;
	}
	if (missing > 0)
		mp_log(MP_LOG_WARN, "upstream",
		       "not deployed here, answering "
		       "503: %s",
		       line);
	mp_log(MP_LOG_INFO, "upstream", "%zu upstreams (MP_UPSTREAMS)",
	       nupstreams);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "gateway: libcurl initialisation failed\n");
		return -1;
	}
	if (!kore_seccomp_filter("gateway", gateway_filter,
	                         KORE_FILTER_LEN(gateway_filter))) {
		fprintf(stderr, "gateway: seccomp filter already declared\n");
		return -1;
	}
	return 0;
}

int
gw_proxy_worker_init(void)
{
	if (gw_h1c_worker_init() != 0 || (multi = curl_multi_init()) == NULL)
		return -1;
	if (curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, sock_cb) !=
	        CURLM_OK ||
	    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb) !=
	        CURLM_OK ||
	    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 256L) != CURLM_OK) {
		curl_multi_cleanup(multi);
		multi = NULL;
		return -1;
	}
	return 0;
}

static struct upstream *
upstream_named(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < nupstreams; i++)
		if (strcmp(upstreams[i].name, name) == 0)
			return &upstreams[i];
	return NULL;
}

/* ---- circuit breaker (per worker) ------------------------------------------
 */

/* Open when no replica's circuit is closed: the upstream fails fast. */
static void
breaker_gauge(const struct upstream *up)
{
	int i, open = up->nrep > 0;

	for (i = 0; i < up->nrep; i++)
		if (up->rep[i].br == BR_CLOSED)
			open = 0;
	mp_metrics_counter_set(up->m_open, open);
}

/* 1 if r may take a call now: closed, open past its time (a trial), or
 * half-open with no trial in flight. */
static int
breaker_usable(const struct replica *r, uint64_t now)
{
	return breaker_threshold == 0 || r->br == BR_CLOSED ||
	       (r->br == BR_OPEN && now >= r->open_until_ms) ||
	       (r->br == BR_HALF_OPEN && !r->trial);
}

/* r was found usable: 0 go, 1 go as its half-open trial. */
static int
breaker_admit(struct replica *r)
{
	if (breaker_threshold == 0 || r->br == BR_CLOSED)
		return 0;
	if (r->br == BR_OPEN) {
		r->br = BR_HALF_OPEN;
		mp_log(MP_LOG_INFO, "upstream",
		       "%s (%s): circuit half-open, "
		       "sending a trial request",
		       r->up->name, r->base);
	}
	r->trial = 1;
	return 1;
}

/* How long the circuit stays open at its n-th opening in a row (n >= 1):
 * BREAKER_FIRST_OPEN_MS, doubled at each failed trial, at most the
 * configured time (MP_BREAKER). A replica that comes back within a second
 * (a crash and a restart) is called again a second later, not after the
 * whole configured time; one that stays down is tried less and less. */
static int64_t
breaker_open_time(int n)
{
	int64_t ms = BREAKER_FIRST_OPEN_MS;

	while (--n > 0 && ms < breaker_open_ms)
		ms *= 2;
	return ms < breaker_open_ms ? ms : breaker_open_ms;
}

static void
breaker_record(struct replica *r, int failed, int trial)
{
	struct upstream *up = r->up;

	if (failed)
		mp_metrics_counter_add(up->m_failures, 1);
	if (breaker_threshold == 0)
		return;
	if (trial)
		r->trial = 0;
	if (!failed) {
		if (r->br != BR_CLOSED)
			mp_log(MP_LOG_INFO, "upstream",
			       "%s (%s): circuit "
			       "closed",
			       up->name, r->base);
		r->br = BR_CLOSED;
		r->failures = r->opens = 0;
		breaker_gauge(up);
		return;
	}
	r->failures++;
	if ((r->br == BR_CLOSED && r->failures >= breaker_threshold) ||
	    (r->br == BR_HALF_OPEN && trial)) {
		int64_t open_ms = breaker_open_time(++r->opens);

		r->br = BR_OPEN;
		r->open_until_ms = mp_mono_ms() + (uint64_t)open_ms;
		mp_log(MP_LOG_WARN, "upstream",
		       "%s (%s): circuit open for %lld "
		       "ms after %d consecutive failures: ejected",
		       up->name, r->base, (long long)open_ms, r->failures);
		breaker_gauge(up);
	}
}

/*
 * The replica for the next call: among those whose breaker lets a call
 * through (not `not`), the one with the fewest calls in flight from this
 * worker; ties go round. NULL when none may be called (every circuit
 * open): *retry_after_s is the soonest reopening, and the refusal is
 * counted.
 */
static struct replica *
replica_pick(struct upstream *up, const struct replica * not, int *trial,
             int *retry_after_s)
{
	struct replica *best = NULL, *r;
	uint64_t now = mp_mono_ms(), soonest = UINT64_MAX;
	int k;

	for (k = 0; k < up->nrep; k++) {
		r = &up->rep[(up->rr + (unsigned)k) % (unsigned)up->nrep];
		if (r == not )
			continue;
		if (!breaker_usable(r, now)) {
			if (r->br == BR_OPEN && r->open_until_ms < soonest)
				soonest = r->open_until_ms;
			continue;
		}
		if (best == NULL || r->outstanding < best->outstanding)
			best = r;
	}
	up->rr++;
	if (best == NULL) {
		if (retry_after_s != NULL) {
			*retry_after_s =
			    soonest == UINT64_MAX
			        ? 1
			        : (int)((soonest - now + 999) / 1000);
			if (*retry_after_s < 1)
				*retry_after_s = 1;
		}
		if (not == NULL)
			mp_metrics_counter_add(up->m_rejected, 1);
		return NULL;
	}
	*trial = breaker_admit(best) == 1;
	return best;
}

int64_t
gw_proxy_upstream_timeout_ms(const char *upstream)
{
	const struct upstream *up = upstream_named(upstream);

	return up != NULL ? up->timeout_ms : 60000;
}

int
gw_proxy_upstream_check(const char *upstream, int *retry_after_s)
{
	struct upstream *up = upstream_named(upstream);
	uint64_t now = mp_mono_ms(), soonest = UINT64_MAX;
	int i;

	if (up == NULL || up->nrep == 0 || multi == NULL)
		return -ENOENT;
	for (i = 0; i < up->nrep; i++) {
		if (breaker_usable(&up->rep[i], now))
			return 0;
		if (up->rep[i].open_until_ms < soonest)
			soonest = up->rep[i].open_until_ms;
	}
	*retry_after_s = (int)((soonest - now + 999) / 1000);
	if (*retry_after_s < 1)
		*retry_after_s = 1;
	mp_metrics_counter_add(up->m_rejected, 1);
	return -EAGAIN;
}

/* ---- libcurl on the event loop ------------------------------------------- */

static struct psock *
psock_get(int fd)
{
	struct psock **grown;
	size_t n;

	if (fd < 0)
		return NULL;
	if ((size_t)fd >= nsocks) {
		n = nsocks == 0 ? 256 : nsocks;
		while (n <= (size_t)fd)
			n *= 2;
		if ((grown = realloc(socks, n * sizeof(*socks))) == NULL)
			return NULL;
		memset(grown + nsocks, 0, (n - nsocks) * sizeof(*socks));
		socks = grown;
		nsocks = n;
	}
	if (socks[fd] == NULL) {
		if ((socks[fd] = calloc(1, sizeof(*socks[fd]))) == NULL)
			return NULL;
		socks[fd]->evt.type = KORE_TYPE_CURL_HANDLE;
		socks[fd]->evt.handle = on_sock_event;
	}
	socks[fd]->fd = fd;
	return socks[fd];
}

/*
 * libcurl's wishes for one socket. CURL_POLL_REMOVE comes when a transfer
 * ends and its connection goes idle into libcurl's cache (or just before
 * libcurl closes it, which close_cb then sees): the registration is kept,
 * only marked unwanted, so that the next transfer on the connection, which
 * asks for the same events, costs no system call. Registrations are
 * level-triggered: what is not handled now is reported again.
 */
static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct psock *s;
	int events = EPOLLRDHUP;

	(void)easy;
	(void)userp;
	(void)socketp;
	/* Returning -1 would abort every transfer of the multi handle: on
	 * failure, leave the socket unwatched and let the transfer's own
	 * timeout end it. */
	if ((s = psock_get(fd)) == NULL) {
		mp_log(MP_LOG_ERROR, "upstream", "out of memory for socket %d",
		       (int)fd);
		return 0;
	}
	if (what == CURL_POLL_REMOVE || what == CURL_POLL_NONE) {
		s->wanted = 0;
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	s->wanted = 1;
	if (s->registered && s->events == events)
		return 0;
	kore_platform_event_schedule(fd, events, 0, s);
	s->registered = 1;
	s->events = events;
	return 0;
}

/* libcurl closes one of its sockets: out of epoll first, while the number
 * is still ours (after close() it may be a client connection's). */
static int
close_cb(void *clientp, curl_socket_t fd)
{
	struct psock *s = fd >= 0 && (size_t)fd < nsocks ? socks[fd] : NULL;

	(void)clientp;
	if (s != NULL && s->registered)
		kore_platform_disable_read(fd); /* EPOLL_CTL_DEL */
	if (s != NULL) {
		s->registered = s->wanted = 0;
		s->evt.flags = 0;
	}
	return close(fd);
}

static CURL *
easy_take(void)
{
	return neasy_idle > 0 ? easy_idle[--neasy_idle] : curl_easy_init();
}

/* Back to the free list, its options reset (connections stay with the
 * multi handle's cache, not with the easy handle). */
static void
easy_give(CURL *e)
{
	if (e == NULL)
		return;
	if (neasy_idle < EASY_IDLE_MAX) {
		curl_easy_reset(e);
		easy_idle[neasy_idle++] = e;
	} else {
		curl_easy_cleanup(e);
	}
}

static void
on_sock_event(void *arg, int err)
{
	struct psock *s = arg;
	int flags = 0, running;
	CURLMcode rc;

	if (!s->registered || multi == NULL) {
		s->evt.flags = 0;
		return; /* stale event of a socket removed in this batch */
	}
	if (!s->wanted) {
		/* an idle kept connection: the upstream closed it or sent
		 * what nobody asked for. libcurl finds out when it next
		 * picks it; until then it must not wake us again. */
		kore_platform_disable_read(s->fd);
		s->registered = 0;
		s->evt.flags = 0;
		return;
	}
	if (s->evt.flags & KORE_EVENT_READ)
		flags |= CURL_CSELECT_IN;
	if (s->evt.flags & KORE_EVENT_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (err)
		flags |= CURL_CSELECT_ERR;
	s->evt.flags = 0;
	rc = curl_multi_socket_action(multi, s->fd, flags, &running);
	if (rc != CURLM_OK)
		mp_log(MP_LOG_ERROR, "upstream", "socket action: %s",
		       curl_multi_strerror(rc));
	multi_collect();
}

static int
timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	(void)userp;
	if (timer != NULL) {
		kore_timer_remove(timer);
		timer = NULL;
	}
	if (timeout_ms >= 0)
		timer = kore_timer_add(on_timer, (u_int64_t)timeout_ms, NULL,
		                       KORE_TIMER_ONESHOT);
	return 0;
}

static void
on_timer(void *arg, u_int64_t now)
{
	int running;
	CURLMcode rc;

	(void)arg;
	(void)now;
	timer = NULL; /* Kore frees a one-shot timer after this returns */
	rc = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	if (rc != CURLM_OK)
		mp_log(MP_LOG_ERROR, "upstream", "timeout action: %s",
		       curl_multi_strerror(rc));
	multi_collect();
}

/*
 * A 408 that comes back on a kept connection is the upstream closing that
 * connection as idle (Kore does so with a 408 once its header timeout has
 * passed, measured under load), not an answer to our request, which it
 * had not read: RFC 9110 lets a client repeat the request, once, on a new
 * connection. 1 if the transfer was restarted.
 */
static int
retry_stale(struct proxy_call *pc)
{
	long fresh = -1;

	if (pc->result != CURLE_OK || pc->status != 408 || pc->retried)
		return 0;
	if (pc->native) {
		if (!pc->x.reused)
			return 0;
		pc->retried = 1;
		pc->x.fresh = 1;
		mp_log(MP_LOG_DEBUG, "upstream",
		       "408 on a kept connection to %s: retried on a new one",
		       pc->up != NULL ? pc->up->name : "self");
		gw_h1c_start(&pc->x);
		return 1;
	}
	if (curl_easy_getinfo(pc->easy, CURLINFO_NUM_CONNECTS, &fresh) !=
	        CURLE_OK ||
	    fresh != 0)
		return 0;
	curl_multi_remove_handle(multi, pc->easy);
	pc->in_multi = 0;
	pc->retried = 1;
	rhdr_clear(pc);
	pc->body_len = 0;
	pc->status = 0;
	pc->errbuf[0] = '\0';
	curl_easy_setopt(pc->easy, CURLOPT_FRESH_CONNECT, 1L);
	if (curl_multi_add_handle(multi, pc->easy) != CURLM_OK)
		return 0;
	pc->in_multi = 1;
	mp_log(MP_LOG_DEBUG, "upstream",
	       "408 on a kept connection to %s: "
	       "retried on a new one",
	       pc->up != NULL ? pc->up->name : "self");
	return 1;
}

/* pc->url: replica r's base and pc->target; 0 or -ENOMEM. */
static int
replica_url(struct proxy_call *pc, struct replica *r)
{
	size_t n = strlen(r->base) + strlen(pc->target) + 1;
	char *url;

	if ((url = malloc(n)) == NULL)
		return -ENOMEM;
	snprintf(url, n, "%s%s", r->base, pc->target);
	free(pc->url);
	pc->url = url;
	curl_easy_setopt(pc->easy, CURLOPT_URL, pc->url);
	return 0;
}

/* The call no longer counts among its replica's calls in flight. */
static void
replica_leave(struct proxy_call *pc)
{
	if (pc->counted && pc->rep != NULL)
		pc->rep->outstanding--;
	pc->counted = 0;
}

/*
 * A GET (or HEAD) whose replica could not be reached, hung up without an
 * answer or said it is unavailable (502, 503) is sent once to another
 * replica: the failure counts against the first one's breaker, and the
 * client sees only the second answer. A write is sent elsewhere only when
 * no connection was made (nothing of it left the gateway): once sent, it
 * might have happened, and a timeout might be a slow answer on its way.
 * 1 if the transfer was restarted elsewhere.
 */
static int
retry_elsewhere(struct proxy_call *pc)
{
	struct replica *r, *old = pc->rep;
	char why[64];
	int trial = 0;

	if (old == NULL || pc->moved || old->up->nrep < 2 ||
	    (pc->req->method != HTTP_METHOD_GET &&
	     pc->req->method != HTTP_METHOD_HEAD &&
	     pc->result != CURLE_COULDNT_CONNECT) ||
	    !(pc->result == CURLE_COULDNT_CONNECT ||
	      pc->result == CURLE_GOT_NOTHING ||
	      pc->result == CURLE_RECV_ERROR ||
	      pc->result == CURLE_SEND_ERROR ||
	      (pc->result == CURLE_OK &&
	       (pc->status == 502 || pc->status == 503))))
		return 0;
	if ((r = replica_pick(old->up, old, &trial, NULL)) == NULL)
		return 0;
	if (pc->result != CURLE_OK)
		snprintf(why, sizeof(why), "%s",
		         curl_easy_strerror(pc->result));
	else
		snprintf(why, sizeof(why), "HTTP %ld", pc->status);
	breaker_record(old, 1, pc->trial);
	replica_leave(pc);
	pc->moved = 1;
	if (pc->native) {
		mp_log(MP_LOG_INFO, "upstream",
		       "%s: %s retried on %s after %s from %s", r->up->name,
		       http_method_text(pc->req->method), r->base, why,
		       old->base);
		pc->rep = r;
		pc->trial = trial;
		r->outstanding++;
		pc->counted = 1;
		pc->result = CURLE_OK;
		pc->status = 0;
		pc->too_big = pc->bad_headers = 0;
		pc->errbuf[0] = '\0';
		pc->x.ep = &r->ep;
		gw_h1c_start(&pc->x);
		return 1;
	}
	curl_multi_remove_handle(multi, pc->easy);
	pc->in_multi = 0;
	pc->rep = r;
	pc->trial = trial;
	rhdr_clear(pc);
	pc->body_len = 0;
	pc->status = 0;
	pc->result = CURLE_OK;
	pc->too_big = pc->bad_headers = 0;
	pc->errbuf[0] = '\0';
	if (replica_url(pc, r) != 0 ||
	    curl_multi_add_handle(multi, pc->easy) != CURLM_OK) {
		if (trial)
			r->trial = 0;
		pc->trial = 0;
		pc->result = CURLE_OUT_OF_MEMORY;
		return 0;
	}
	pc->in_multi = 1;
	r->outstanding++;
	pc->counted = 1;
	mp_log(MP_LOG_INFO, "upstream", "%s: %s retried on %s after %s from %s",
	       r->up->name, http_method_text(pc->req->method), r->base, why,
	       old->base);
	return 1;
}

/* Finished transfers: keep their outcome, release the handle (its
 * connection goes back to the multi handle's cache), wake the request. */
static void
multi_collect(void)
{
	struct proxy_call *pc;
	CURLMsg *msg;
	char *priv;
	int left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		                      &priv) != CURLE_OK ||
		    priv == NULL)
			continue;
		pc = (struct proxy_call *)(void *)priv;
		pc->result = msg->data.result;
		(void)curl_easy_getinfo(pc->easy, CURLINFO_RESPONSE_CODE,
		                        &pc->status);
		call_finish(pc);
	}
}

/* A transfer (either client) ended with pc->result and pc->status: retry
 * it (stale connection, another replica), or keep its outcome, give the
 * breaker its verdict and wake the request. */
static void
call_finish(struct proxy_call *pc)
{
	if (retry_stale(pc) || retry_elsewhere(pc))
		return;
	if (pc->easy != NULL) {
		if (pc->in_multi)
			curl_multi_remove_handle(multi, pc->easy);
		pc->in_multi = 0;
		easy_give(pc->easy);
		pc->easy = NULL;
	}
	curl_slist_free_all(pc->hdrs);
	pc->hdrs = NULL;
	pc->done = 1;
	if (pc->rep != NULL)
		breaker_record(pc->rep,
		               call_failed(pc) || pc->status == 502 ||
		                   pc->status == 503 || pc->status == 504,
		               pc->trial);
	replica_leave(pc);
	pc->trial = 0;
	http_request_wakeup(pc->req);
}

/* The native client's exchange ended: its outcome in libcurl's terms, so
 * that the breaker, the retries and gw_proxy_fail_reply read one language;
 * the fields point into the answer's buffer, which no longer moves. */
static void
native_done(struct gw_h1c_xfer *x)
{
	struct proxy_call *pc =
	    (struct proxy_call *)(void *)((char *)x -
	                                  offsetof(struct proxy_call, x));
	static const CURLcode codes[] = {
	    [GW_H1C_OK] = CURLE_OK,
	    [GW_H1C_RESOLVE] = CURLE_COULDNT_RESOLVE_HOST,
	    [GW_H1C_CONNECT] = CURLE_COULDNT_CONNECT,
	    [GW_H1C_SEND] = CURLE_SEND_ERROR,
	    [GW_H1C_NOTHING] = CURLE_GOT_NOTHING,
	    [GW_H1C_RECV] = CURLE_RECV_ERROR,
	    [GW_H1C_PARTIAL] = CURLE_PARTIAL_FILE,
	    [GW_H1C_TIMEOUT] = CURLE_OPERATION_TIMEDOUT,
	    [GW_H1C_MALFORMED] = CURLE_WEIRD_SERVER_REPLY,
	    [GW_H1C_TOO_BIG] = CURLE_FILESIZE_EXCEEDED,
	    [GW_H1C_HEADERS] = CURLE_WRITE_ERROR,
	    [GW_H1C_NOMEM] = CURLE_OUT_OF_MEMORY};
	size_t i;

	pc->result = codes[x->result];
	pc->too_big = x->result == GW_H1C_TOO_BIG;
	pc->bad_headers = x->result == GW_H1C_HEADERS;
	pc->status = x->result == GW_H1C_OK ? x->resp.status : 0;
	snprintf(pc->errbuf, sizeof(pc->errbuf), "%s", x->err);
	pc->nhdr = 0;
	for (i = 0; x->result == GW_H1C_OK && i < x->resp.nfields; i++) {
		pc->hdr[pc->nhdr].name = x->buf + x->resp.field[i].name;
		pc->hdr[pc->nhdr].value = x->buf + x->resp.field[i].value;
		pc->nhdr++;
	}
	pc->body = x->result == GW_H1C_OK ? x->buf + x->resp.body_off : NULL;
	pc->body_len = x->result == GW_H1C_OK ? x->resp.body_len : 0;
	call_finish(pc);
}

/* ---- one transfer ----------------------------------------------------------
 */

static size_t
on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct proxy_call *pc = arg;
	size_t len = size * n, cap;
	char *grown;

	if (len == 0)
		return 0;
	if (pc->body_len + len > (size_t)PROXY_RESPONSE_MAX) {
		pc->too_big = 1;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (pc->body_len + len > pc->body_cap) {
		cap = pc->body_cap == 0 ? 16384 : pc->body_cap;
		while (cap < pc->body_len + len)
			cap *= 2;
		if (cap > (size_t)PROXY_RESPONSE_MAX)
			cap = (size_t)PROXY_RESPONSE_MAX;
		if ((grown = realloc(pc->body, cap)) == NULL)
			return 0;
		pc->body = grown;
		pc->body_cap = cap;
	}
	memcpy(pc->body + pc->body_len, ptr, len);
	pc->body_len += len;
	return len;
}

static void
rhdr_clear(struct proxy_call *pc)
{
	int i;

	for (i = 0; !pc->native && i < pc->nhdr; i++) {
		free(pc->hdr[i].name);
		free(pc->hdr[i].value);
	}
	pc->nhdr = 0;
	pc->hdr_bytes = 0;
}

/* One header line per call, status lines included (an interim 1xx
 * answer starts a new block: only the last block is kept). */
static size_t
on_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct proxy_call *pc = arg;
	size_t len = size * n, nlen, vlen;
	const char *colon, *v, *end = ptr + len;

	if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		rhdr_clear(pc);
		pc->hdr_done = 0;
		return len;
	}
	while (end > ptr && (end[-1] == '\r' || end[-1] == '\n' ||
	                     end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == ptr) {
		pc->hdr_done = 1; /* end of block */
		return len;
	}
	/* a trailer is not merged into the header (RFC 9110 6.5.1);
	 * obsolete line folding is dropped */
	if (pc->hdr_done || *ptr == ' ' || *ptr == '\t')
		return len;
	if ((colon = memchr(ptr, ':', (size_t)(end - ptr))) == NULL ||
	    colon == ptr)
		return len;
	nlen = (size_t)(colon - ptr);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	vlen = (size_t)(end - v);
	pc->hdr_bytes += nlen + vlen;
	if (pc->nhdr >= RESP_HEADERS_MAX ||
	    pc->hdr_bytes > RESP_HEADER_BYTES_MAX) {
		pc->bad_headers = 1;
		return 0;
	}
	if ((pc->hdr[pc->nhdr].name = strndup(ptr, nlen)) == NULL)
		return 0;
	if ((pc->hdr[pc->nhdr].value = strndup(v, vlen)) == NULL) {
		free(pc->hdr[pc->nhdr].name);
		return 0;
	}
	pc->nhdr++;
	return len;
}

/* Runs when Kore frees the request: after the answer, or when the client
 * went away while the transfer was in flight. */
void
gw_proxy_call_free(struct proxy_call *pc)
{
	if (pc == NULL)
		return;
	if (pc->trial && pc->rep != NULL)
		pc->rep->trial = 0; /* no verdict: let another request try */
	replica_leave(pc);
	free(pc->target);
	if (pc->easy != NULL) {
		if (pc->in_multi && multi != NULL)
			curl_multi_remove_handle(multi, pc->easy);
		easy_give(pc->easy);
	}
	curl_slist_free_all(pc->hdrs);
	rhdr_clear(pc);
	if (pc->native) { /* the body lies in x.buf */
		gw_h1c_release(&pc->x);
		gw_h1_buf_free(&pc->wreq);
	} else {
		free(pc->body);
	}
	free(pc->url);
	free(pc->traceparent);
	free(pc->req_body);
	free(pc);
}

/* Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding,
 * Upgrade: they describe one hop, never the exchange. */
static int
is_hop_by_hop(const char *name)
{
	static const char *const hop[] = {
	    "connection", "keep-alive",        "te",      "trailer",
	    "trailers",   "transfer-encoding", "upgrade", NULL};
	int i;

	if (strncasecmp(name, "proxy-", 6) == 0)
		return 1;
	for (i = 0; hop[i] != NULL; i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	return 0;
}

/* Append `s`, percent-encoding what may not stand raw in a URL (controls,
 * space, non-ASCII, '#'): Kore hands over the request target as received. */
static int
url_append(char *dst, size_t cap, size_t *len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || c == '#' || c == '"' ||
		    c == '<' || c == '>') {
			if (*len + 3 >= cap)
				return -ENAMETOOLONG;
			dst[(*len)++] = '%';
			dst[(*len)++] = hex[c >> 4];
			dst[(*len)++] = hex[c & 15];
		} else {
			if (*len + 1 >= cap)
				return -ENAMETOOLONG;
			dst[(*len)++] = (char)c;
		}
	}
	dst[*len] = '\0';
	return 0;
}

/* One request field. NULL value: drop libcurl's default of that name
 * (the native client sends none). 0, -ENOMEM or -EINVAL (a CR or LF). */
static int
hdr_add(struct proxy_call *pc, const char *name, const char *value)
{
	struct curl_slist *n;
	char *line;
	size_t len;

	if (pc->native)
		return value == NULL ? 0
		                     : gw_h1_req_field(&pc->wreq, name, value);
	len = strlen(name) + (value != NULL ? strlen(value) : 0) + 3;
	if ((line = malloc(len)) == NULL)
		return -ENOMEM;
	if (value == NULL) /* "Name:" removes libcurl's default */
		snprintf(line, len, "%s:", name);
	else if (*value == '\0') /* "Name;" sends it empty */
		snprintf(line, len, "%s;", name);
	else
		snprintf(line, len, "%s: %s", name, value);
	n = curl_slist_append(pc->hdrs, line);
	free(line);
	if (n == NULL)
		return -ENOMEM;
	pc->hdrs = n;
	return 0;
}

/* End-to-end request headers, plus X-Request-Id and X-Forwarded-For. */
static int
request_headers(struct mp_ctx *ctx, struct proxy_call *pc)
{
	struct http_request *req = ctx->req;
	struct http_header *h;
	const char *conn = mp_header(ctx, "connection");
	const char *xff = mp_header(ctx, "x-forwarded-for");
	char addr[INET6_ADDRSTRLEN], fwd[1024];
	int has_ctype = 0, has_accept = 0, rc;

	TAILQ_FOREACH(h, &req->req_headers, list)
	{
		if (h->header == NULL || h->value == NULL ||
		    is_hop_by_hop(h->header) ||
		    gw_h1_list_has(conn, h->header) ||
		    strcasecmp(h->header, "host") == 0 ||
		    strcasecmp(h->header, "content-length") == 0 ||
		    strcasecmp(h->header, "expect") == 0 ||
		    strcasecmp(h->header, "x-request-id") == 0 ||
		    strcasecmp(h->header, "x-forwarded-for") == 0 ||
		    (pc->traceparent != NULL &&
		     strcasecmp(h->header, "traceparent") == 0) ||
		    ((pc->flags & PROXY_NO_CONDITIONAL) &&
		     (strcasecmp(h->header, "if-none-match") == 0 ||
		      strcasecmp(h->header, "if-modified-since") == 0)))
			continue;
		if (strcasecmp(h->header, "content-type") == 0)
			has_ctype = 1;
		if (strcasecmp(h->header, "accept") == 0)
			has_accept = 1;
		if ((rc = hdr_add(pc, h->header, h->value)) != 0)
			return rc;
	}
	mp_peer_addr(req->owner, addr, sizeof(addr));
	if (xff != NULL && *xff != '\0' && addr[0] != '\0')
		snprintf(fwd, sizeof(fwd), "%s, %s", xff, addr);
	else
		snprintf(fwd, sizeof(fwd), "%s",
		         addr[0] != '\0' ? addr : (xff != NULL ? xff : ""));
	if ((fwd[0] != '\0' && hdr_add(pc, "X-Forwarded-For", fwd) != 0) ||
	    hdr_add(pc, "X-Request-Id", ctx->request_id) != 0 ||
	    (pc->traceparent != NULL &&
	     hdr_add(pc, "traceparent", pc->traceparent) != 0) ||
	    hdr_add(pc, "Expect", NULL) != 0 ||
	    (!has_accept && hdr_add(pc, "Accept", NULL) != 0) ||
	    (!has_ctype && hdr_add(pc, "Content-Type", NULL) != 0))
		return -ENOMEM;
	return 0;
}

static int
method_setup(struct proxy_call *pc, int method)
{
	CURL *e = pc->easy;
	const char *name = http_method_text(method);

	if (name == NULL || *name == '\0')
		return -EINVAL;
	if (method == HTTP_METHOD_HEAD) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return 0;
	}
	if (method == HTTP_METHOD_GET && pc->req_body_len == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return 0;
	}
	if (pc->req_body_len > 0 || method == HTTP_METHOD_POST ||
	    method == HTTP_METHOD_PUT || method == HTTP_METHOD_PATCH) {
		/* in memory: libcurl can resend it on a stale kept connection
		 */
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)pc->req_body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		                 pc->req_body != NULL ? pc->req_body : "");
	}
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, name);
	return 0;
}

/* The options every transfer shares: pc->url, pc->hdrs, the callbacks. */
static void
easy_setup(struct proxy_call *pc, int64_t timeout_ms)
{
	CURL *e = pc->easy;

	curl_easy_setopt(e, CURLOPT_URL, pc->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)pc);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 timeout_ms < PROXY_CONNECT_MS ? (long)timeout_ms
	                                               : PROXY_CONNECT_MS);
	/* Never reuse a connection the upstream is about to drop as idle
	 * (Kore's http_header_timeout is 10 s in our confs): the 408 retry
	 * stays only as the backstop for Kore's late timers. */
	curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, 5L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	                 (curl_off_t)PROXY_RESPONSE_MAX);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, pc->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, pc);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, pc);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, pc->errbuf);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
}

int
gw_proxy_fetch(struct mp_ctx *ctx, const char *method, const char *url,
               const char *const *hdrs, char *body, size_t len,
               struct proxy_call **out)
{
	struct proxy_call *pc;
	struct gw_h1c_endpoint *ep;
	const char *target = NULL;
	CURLMcode mrc;
	int rc, i, m;

	*out = NULL;
	if (multi == NULL) {
		free(body);
		return -ENOENT;
	}
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		free(body);
		return -ENOMEM;
	}
	pc->req = ctx->req;
	pc->req_body = body;
	pc->req_body_len = len;
	if ((ep = fetch_endpoint(url, &target)) != NULL) {
		if ((rc = native_request(pc, method, target, NULL, hdrs,
		                         PROXY_TIMEOUT_MS)) != 0)
			goto fail;
		/* asleep first: done may come before gw_h1c_start returns */
		http_request_sleep(ctx->req);
		*out = pc;
		pc->x.ep = ep;
		gw_h1c_start(&pc->x);
		return 0;
	}
	rc = -ENOMEM;
	if ((pc->url = strdup(url)) == NULL || (pc->easy = easy_take()) == NULL)
		goto fail;
	for (i = 0; hdrs != NULL && hdrs[i] != NULL; i += 2)
		if (hdr_add(pc, hdrs[i], hdrs[i + 1]) != 0)
			goto fail;
	if (hdr_add(pc, "Expect", NULL) != 0)
		goto fail;
	easy_setup(pc, PROXY_TIMEOUT_MS);
	m = strcmp(method, "GET") == 0     ? HTTP_METHOD_GET
	    : strcmp(method, "POST") == 0  ? HTTP_METHOD_POST
	    : strcmp(method, "PUT") == 0   ? HTTP_METHOD_PUT
	    : strcmp(method, "PATCH") == 0 ? HTTP_METHOD_PATCH
	                                   : HTTP_METHOD_DELETE;
	rc = -EINVAL;
	if (method_setup(pc, m) != 0)
		goto fail;
	if ((mrc = curl_multi_add_handle(multi, pc->easy)) != CURLM_OK) {
		mp_log(MP_LOG_ERROR, "upstream", "cannot start a transfer: %s",
		       curl_multi_strerror(mrc));
		rc = -EIO;
		goto fail;
	}
	pc->in_multi = 1;
	http_request_sleep(ctx->req);
	*out = pc;
	return 0;
fail:
	gw_proxy_call_free(pc);
	return rc;
}

/*
 * The native client's request for pc: the request line (method name,
 * target), the fields (ctx's end-to-end ones, or the name, value pairs of
 * hdrs), Content-Length when there is a body (or the method has one), the
 * empty line; and the exchange's settings. 0, -EINVAL (a method or a
 * header that cannot be forwarded) or -ENOMEM.
 */
static int
native_request(struct proxy_call *pc, const char *name, const char *target,
               struct mp_ctx *ctx, const char *const *hdrs, int64_t timeout_ms)
{
	char clen[32];
	int rc, i;

	pc->native = 1; /* hdr_add writes into pc->wreq */
	if (name == NULL || *name == '\0')
		return -EINVAL;
	if ((rc = gw_h1_req_line(&pc->wreq, name, target)) != 0)
		return rc;
	pc->x.line_len = pc->wreq.len;
	if (ctx != NULL && (rc = request_headers(ctx, pc)) != 0)
		return rc;
	for (i = 0; hdrs != NULL && hdrs[i] != NULL; i += 2)
		if ((rc = hdr_add(pc, hdrs[i], hdrs[i + 1])) != 0)
			return rc;
	if (pc->req_body_len > 0 || strcmp(name, "POST") == 0 ||
	    strcmp(name, "PUT") == 0 || strcmp(name, "PATCH") == 0) {
		snprintf(clen, sizeof(clen), "%zu", pc->req_body_len);
		if ((rc = gw_h1_req_field(&pc->wreq, "Content-Length", clen)) !=
		    0)
			return rc;
	}
	if ((rc = gw_h1_buf_put(&pc->wreq, "\r\n", 2)) != 0)
		return rc;
	pc->x.head = pc->wreq.p;
	pc->x.head_len = pc->wreq.len;
	pc->x.body = pc->req_body;
	pc->x.body_len = pc->req_body_len;
	pc->x.head_only = strcmp(name, "HEAD") == 0;
	pc->x.body_max = (size_t)PROXY_RESPONSE_MAX;
	pc->x.timeout_ms = timeout_ms;
	pc->x.done = native_done;
	return 0;
}

/*
 * The native client's endpoint for a gw_proxy_fetch URL and its target
 * (*target, inside url): http:// URLs only, at most FETCH_EPS_MAX bases
 * per worker (the GraphQL façade uses one, the gateway itself); NULL when
 * libcurl must do it.
 */
static struct gw_h1c_endpoint *
fetch_endpoint(const char *url, const char **target)
{
	static struct {
		char base[GW_BASE_MAX];
		struct gw_h1c_endpoint ep;
	} eps[FETCH_EPS_MAX];
	static int neps;
	const char *slash;
	size_t blen;
	int i;

	if (strcmp(client_kind, "native") != 0 ||
	    strncmp(url, "http://", 7) != 0 ||
	    (slash = strchr(url + 7, '/')) == NULL ||
	    (blen = (size_t)(slash - url)) >= GW_BASE_MAX)
		return NULL;
	*target = slash;
	for (i = 0; i < neps; i++)
		if (strlen(eps[i].base) == blen &&
		    memcmp(eps[i].base, url, blen) == 0)
			return &eps[i].ep;
	if (neps == FETCH_EPS_MAX)
		return NULL;
	memcpy(eps[neps].base, url, blen);
	eps[neps].base[blen] = '\0';
	if (gw_h1c_endpoint_init(&eps[neps].ep, eps[neps].base,
	                         PROXY_CONNECT_MS) != 0)
		return NULL;
	return &eps[neps++].ep;
}

int
gw_proxy_start(struct mp_ctx *ctx, const char *upstream, char *body, size_t len,
               const char *traceparent, int flags, int *retry_after_s,
               struct proxy_call **out)
{
	struct http_request *req = ctx->req;
	struct upstream *up = upstream_named(upstream);
	struct proxy_call *pc;
	struct replica *r;
	size_t ulen = 0, cap;
	CURLMcode mrc;
	CURL *e = NULL;
	int rc, trial = 0;

	*out = NULL;
	if (up == NULL || up->nrep == 0 || multi == NULL) {
		free(body);
		return -ENOENT;
	}
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		free(body);
		return -ENOMEM;
	}
	pc->req = req;
	pc->up = up;
	pc->flags = flags;
	pc->req_body = body;
	pc->req_body_len = len;
	rc = -ENOMEM;
	if (traceparent != NULL &&
	    (pc->traceparent = strdup(traceparent)) == NULL)
		goto fail;
	cap = 3 * strlen(req->path) + 2 +
	      (req->query_string != NULL ? 3 * strlen(req->query_string) : 0) +
	      1;
	if ((pc->target = malloc(cap)) == NULL)
		goto fail;
	pc->target[0] = '\0';
	rc = -ENAMETOOLONG;
	if (url_append(pc->target, cap, &ulen, req->path) != 0 ||
	    (req->query_string != NULL &&
	     (url_append(pc->target, cap, &ulen, "?") != 0 ||
	      url_append(pc->target, cap, &ulen, req->query_string) != 0)) ||
	    ulen + URL_MAX > 65536)
		goto fail;
	if (up->native) {
		if ((rc = native_request(pc, http_method_text(req->method),
		                         pc->target, ctx, NULL,
		                         up->timeout_ms)) != 0)
			goto fail;
	} else {
		rc = -ENOMEM;
		if ((pc->easy = e = easy_take()) == NULL ||
		    request_headers(ctx, pc) != 0)
			goto fail;
		easy_setup(pc, up->timeout_ms);
		rc = -EINVAL;
		if (method_setup(pc, req->method) != 0)
			goto fail;
	}
	/* last: a claimed half-open trial must reach the upstream */
	if ((r = replica_pick(up, NULL, &trial, retry_after_s)) == NULL) {
		rc = -EAGAIN;
		goto fail;
	}
	pc->rep = r;
	pc->trial = trial;
	if (pc->native) {
		/* asleep first: the exchange may end before gw_h1c_start
		 * returns (a refused connection), and that wakes it */
		r->outstanding++;
		pc->counted = 1;
		http_request_sleep(req);
		*out = pc;
		pc->x.ep = &r->ep;
		gw_h1c_start(&pc->x);
		return 0;
	}
	rc = -ENOMEM;
	if (replica_url(pc, r) != 0)
		goto fail;
	if ((mrc = curl_multi_add_handle(multi, e)) != CURLM_OK) {
		mp_log(MP_LOG_ERROR, "upstream", "cannot start a transfer: %s",
		       curl_multi_strerror(mrc));
		rc = -EIO;
		goto fail;
	}
	pc->in_multi = 1;
	r->outstanding++;
	pc->counted = 1;
	http_request_sleep(req);
	*out = pc;
	return 0;
fail:
	gw_proxy_call_free(pc);
	return rc;
}

int
gw_proxy_call_done(const struct proxy_call *pc)
{
	return pc != NULL && pc->done;
}

/* 1 when the transfer brought no usable answer. */
static int
call_failed(const struct proxy_call *pc)
{
	return pc->result != CURLE_OK || pc->too_big || pc->bad_headers ||
	       pc->status < 200 || pc->status > 599;
}

int
gw_proxy_call_status(const struct proxy_call *pc)
{
	if (pc == NULL || !pc->done || call_failed(pc))
		return 0;
	return (int)pc->status;
}

const char *
gw_proxy_call_header(const struct proxy_call *pc, const char *name)
{
	int i;

	for (i = 0; pc != NULL && i < pc->nhdr; i++)
		if (strcasecmp(pc->hdr[i].name, name) == 0)
			return pc->hdr[i].value;
	return NULL;
}

const char *
gw_proxy_call_body(const struct proxy_call *pc, size_t *len)
{
	*len = pc->body_len;
	return pc->body_len > 0 ? pc->body : NULL;
}

int
gw_proxy_fail_reply(struct mp_ctx *ctx, struct proxy_call *pc)
{
	const char *why;
	const char *kv[] = {"request_id", ctx->request_id, "upstream",
	                    pc->up->name, NULL};

	if (pc->result == CURLE_OPERATION_TIMEDOUT) {
		mp_logkv(MP_LOG_WARN, "upstream", kv, "timed out: %s",
		         pc->errbuf[0] != '\0'
		             ? pc->errbuf
		             : curl_easy_strerror(pc->result));
		return mp_reply_problem(
		    ctx, 504, "gateway-timeout",
		    "the upstream service did not answer in time");
	}
	if (pc->too_big || pc->result == CURLE_FILESIZE_EXCEEDED)
		why = "the upstream answer is too large";
	else if (pc->bad_headers)
		why = "the upstream answer has too many headers";
	else
		why = "the upstream service could not be reached or "
		      "answered badly";
	mp_logkv(MP_LOG_WARN, "upstream", kv, "failed (%d): %s",
	         (int)pc->result,
	         pc->too_big             ? why
	         : pc->errbuf[0] != '\0' ? pc->errbuf
	                                 : curl_easy_strerror(pc->result));
	return mp_reply_problem(ctx, 502, "bad-gateway", why);
}

int
gw_proxy_reply(struct mp_ctx *ctx, struct proxy_call *pc,
               const char *const *drop)
{
	struct http_request *req = ctx->req;
	const char *uconn = NULL, *clen = NULL;
	int i, k, keep_len, skip;

	for (i = 0; i < pc->nhdr; i++) {
		if (strcasecmp(pc->hdr[i].name, "connection") == 0)
			uconn = pc->hdr[i].value;
		else if (strcasecmp(pc->hdr[i].name, "content-length") == 0)
			clen = pc->hdr[i].value;
	}
	/* Kore computes Content-Length from the body, which HEAD and 304
	 * answers do not carry: keep the upstream's there. */
	keep_len = (req->method == HTTP_METHOD_HEAD || pc->status == 304);
	for (i = 0; i < pc->nhdr; i++) {
		const char *n = pc->hdr[i].name;

		/* Kore writes Server (and HSTS when enabled) itself */
		if (is_hop_by_hop(n) || gw_h1_list_has(uconn, n) ||
		    strcasecmp(n, "content-length") == 0 ||
		    strcasecmp(n, "server") == 0 ||
		    strcasecmp(n, "x-request-id") == 0 ||
		    (http_hsts_enable &&
		     strcasecmp(n, "strict-transport-security") == 0))
			continue;
		for (k = 0, skip = 0; drop != NULL && drop[k] != NULL; k++)
			if (strcasecmp(n, drop[k]) == 0)
				skip = 1;
		if (!skip)
			mp_reply_header(ctx, n, pc->hdr[i].value);
	}
	if (keep_len) {
		req->flags |= HTTP_REQUEST_NO_CONTENT_LENGTH;
		if (clen != NULL)
			mp_reply_header(ctx, "Content-Length", clen);
	}
	mp_reply_header(ctx, "X-Request-Id", ctx->request_id);
	return mp_reply_send(ctx, (int)pc->status, pc->body, pc->body_len);
}
