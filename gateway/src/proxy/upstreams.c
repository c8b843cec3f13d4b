/*
 * Upstream readiness probes and the services' route tables (contract in
 * upstreams.h).
 *
 * Why a thread and not the worker's event loop: the probes are a
 * background chore with no request waiting on them. A thread with its own
 * CURLM (curl_multi_poll, all upstreams probed at once) needs no socket or
 * timer wiring into Kore, cannot stall request handling, and shares
 * nothing with the proxy's multi handle. The worker reads the probe
 * outcomes with atomic loads and the route status under a mutex; the
 * thread is the only writer. New route tables reach the worker through
 * gw_routes_offer (edge/route_table.h), which the event loop takes in.
 *
 * Route tables: the parent loads every upstream's table before the
 * workers start (they inherit it); then each probe reads checks.routes of
 * the upstream's /readyz, the version of the table it serves, and when
 * that differs from the one loaded, fetches /_routes. A table that does
 * not parse is refused whole and the last good one kept; so is the table
 * of an upstream that is down. Both say so in /readyz
 * (checks.upstream_routes) and
 * in the log.
 *
 * Stopping: worker_stop writes to a pipe that both the sleep between
 * rounds and curl_multi_poll watch, then joins the thread (at most one
 * probe timeout later).
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <kore/kore.h>
#include <kore/seccomp.h>

#include "mp/log.h"
#include "mp/service.h"

#include "edge/route_table.h"
#include "proxy/proxy.h"
#include "proxy/upstream_conf.h"
#include "proxy/upstreams.h"

#define URL_MAX (GW_BASE_MAX + 16)
#define BODY_MAX (4u << 20) /* bytes of a /_routes document */
#define STATUS_MAX 256

enum probe_state { PS_UNCONFIGURED = 0, PS_UNKNOWN, PS_UP, PS_DOWN };

struct buf {
	char *p;
	size_t len, cap, max;
};

struct probe {
	int index; /* in the route registry and gw_proxy_upstream_conf */
	const char *name;
	const struct gw_upstream_conf *conf;
	int cur; /* the replica probed: the next one after a failure */
	char ready_url[URL_MAX]; /* base + "/readyz"; "" = not deployed */
	char routes_url[URL_MAX];
	CURL *easy;
	struct buf body;
	int state;  /* enum probe_state; atomic */
	int logged; /* last state written to the log (thread only) */
	/* route table: the version loaded, the one refused last (thread, or
	 * the parent before it), and what /readyz says (under mu) */
	char version[GW_ROUTES_VERSION_MAX];
	char refused[GW_ROUTES_VERSION_MAX];
	char status[STATUS_MAX];
	int current; /* 1: the table loaded is the one served */
};

static int upstreams_parent_init(void);
static int upstreams_worker_init(void);
static void upstreams_worker_stop(void);
static int upstreams_ready(json_t *checks);
static void *probe_main(void *arg);
static int probe_round(CURLM *multi);
static int probe_urls(struct probe *p);
static size_t on_body(char *ptr, size_t size, size_t n, void *arg);
static size_t on_header(char *ptr, size_t size, size_t n, void *arg);
static const char *state_name(int state);
static void routes_refresh(struct probe *p, const char *served);
static void status_set(struct probe *p, int current, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const struct mp_extension gw_upstreams_extension = {
    .name = "upstreams",
    .parent_init = upstreams_parent_init,
    .worker_init = upstreams_worker_init,
    .worker_stop = upstreams_worker_stop,
    .ready = upstreams_ready,
};

static struct probe probes[GW_UPSTREAMS_MAX];
static size_t nprobes;
static pthread_mutex_t status_mu = PTHREAD_MUTEX_INITIALIZER;

/* What the thread's libcurl needs beyond Kore's and the library's filters
 * (its wake-up socketpair, the resolver). Declared under our own name so
 * that it does not depend on what other gateway files declare. */
static struct sock_filter upstreams_filter[] = {
    KORE_SYSCALL_ALLOW(socketpair),
    KORE_SYSCALL_ALLOW(bind),
    KORE_SYSCALL_ALLOW(sendmmsg),
    KORE_SYSCALL_ALLOW(ppoll),
};

static int64_t probe_ms = GW_PROBE_MS_DEFAULT;
static int configured;

/* Per worker. */
static pthread_t thread;
static int running;
static int wake[2] = {-1, -1};
static volatile int stopping;

static void
status_set(struct probe *p, int current, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&status_mu);
	va_start(ap, fmt);
	vsnprintf(p->status, sizeof(p->status), fmt, ap);
	va_end(ap);
	p->current = current;
	pthread_mutex_unlock(&status_mu);
}

static size_t
on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;
	char *grown;

	if (b->len + len + 1 > b->max)
		return 0; /* too big: the transfer fails */
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 4096 : b->cap;

		while (cap < b->len + len + 1)
			cap *= 2;
		if ((grown = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, ptr, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/* The ETag of /_routes into arg (GW_ROUTES_VERSION_MAX bytes). */
static size_t
on_header(char *ptr, size_t size, size_t n, void *arg)
{
	char *etag = arg;
	size_t len = size * n;

	if (len > 5 && strncasecmp(ptr, "etag:", 5) == 0) {
		ptr += 5;
		len -= 5;
		while (len > 0 && (*ptr == ' ' || *ptr == '\t')) {
			ptr++;
			len--;
		}
		while (len > 0 && (ptr[len - 1] == '\r' ||
		                   ptr[len - 1] == '\n' || ptr[len - 1] == ' '))
			len--;
		if (len < GW_ROUTES_VERSION_MAX) {
			memcpy(etag, ptr, len);
			etag[len] = '\0';
		}
	}
	return size * n;
}

/*
 * Fetch p's /_routes (blocking: the parent at start, or the probe thread)
 * and hand a good table to the registry. served: the version the upstream
 * says it serves, or "" when unknown. The outcome goes to p->status and,
 * when it changes, to the log.
 */
static void
routes_refresh(struct probe *p, const char *served)
{
	struct gw_route_table *t = NULL;
	struct buf body = {NULL, 0, 0, BODY_MAX};
	char etag[GW_ROUTES_VERSION_MAX] = "", err[256], inm[128];
	struct curl_slist *hdrs = NULL;
	CURL *easy;
	CURLcode cc;
	long status = 0;

	if ((easy = curl_easy_init()) == NULL)
		return;
	if (p->version[0] != '\0') {
		snprintf(inm, sizeof(inm), "If-None-Match: %s", p->version);
		hdrs = curl_slist_append(hdrs, inm);
	}
	curl_easy_setopt(easy, CURLOPT_URL, p->routes_url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 2 * GW_PROBE_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, GW_PROBE_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, etag);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "mp-gateway-routes");
	cc = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(easy);
	curl_slist_free_all(hdrs);

	if (cc == CURLE_OK && status == 304) {
		status_set(p, 1, "%s", p->version);
	} else if (cc != CURLE_OK || status != 200) {
		snprintf(err, sizeof(err), "GET /_routes: %s",
		         cc != CURLE_OK ? curl_easy_strerror(cc) : "not 200");
		goto refused;
	} else if (gw_route_table_parse(p->name, etag,
	                                body.p != NULL ? body.p : "", body.len,
	                                &t, err, sizeof(err)) != 0) {
		goto refused;
	} else {
		mp_log(MP_LOG_INFO, "routes", "%s: table %s loaded, %zu routes",
		       p->name, etag, t->n);
		snprintf(p->version, sizeof(p->version), "%s", etag);
		p->refused[0] = '\0';
		gw_routes_offer(p->index, t);
		status_set(p, 1, "%s", etag);
	}
	free(body.p);
	return;
refused:
	free(body.p);
	if (strcmp(p->refused, served) != 0 || served[0] == '\0')
		mp_log(MP_LOG_WARN, "routes", "%s: table %s refused (%s); %s",
		       p->name, served[0] != '\0' ? served : "?", err,
		       p->version[0] != '\0' ? "keeping the last good one"
		                             : "none loaded yet");
	snprintf(p->refused, sizeof(p->refused), "%s", served);
	if (p->version[0] != '\0')
		status_set(p, 0, "kept %s: the table served was refused: %s",
		           p->version, err);
	else
		status_set(p, 0, "none: %s", err);
}

static int
url_set(char *dst, const char *base, const char *path)
{
	int n = snprintf(dst, URL_MAX, "%s%s", base, path);

	return n < 0 || n >= URL_MAX ? -EINVAL : 0;
}

/* The probe's URLs on replica p->cur. 0 or -EINVAL. */
static int
probe_urls(struct probe *p)
{
	const char *base = p->conf->base[p->cur];

	return url_set(p->ready_url, base, "/readyz") != 0 ||
	               url_set(p->routes_url, base, "/_routes") != 0
	           ? -EINVAL
	           : 0;
}

/* In the parent: which upstreams to probe and how often, and every
 * upstream's route table, inherited by the workers. */
static int
upstreams_parent_init(void)
{
	const struct gw_upstream_conf *conf;
	const char *v;
	char *end;
	size_t i;
	long n;
	int nconf;

	if ((v = getenv("MP_UPSTREAM_PROBE_MS")) != NULL && *v != '\0') {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || n < 100 || n > 600000) {
			fprintf(stderr,
			        "config: MP_UPSTREAM_PROBE_MS: expected "
			        "100..600000\n");
			return -1;
		}
		probe_ms = n;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "upstreams: libcurl initialisation failed\n");
		return -1;
	}
	if (!kore_seccomp_filter("gw-upstreams", upstreams_filter,
	                         KORE_FILTER_LEN(upstreams_filter))) {
		fprintf(stderr, "upstreams: seccomp filter already declared\n");
		return -1;
	}
	conf = gw_proxy_upstream_conf(&nconf);
	nprobes = (size_t)nconf;
	for (i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];

		memset(p, 0, sizeof(*p));
		p->index = (int)i;
		p->name = conf[i].name;
		p->body.max = 64 * 1024;
		p->state = PS_UNCONFIGURED;
		snprintf(p->status, sizeof(p->status),
		         "none: not deployed here");
		p->conf = &conf[i];
		if (conf[i].nreplicas == 0)
			continue;
		if (probe_urls(p) != 0) {
			fprintf(stderr,
			        "config: MP_UPSTREAMS: %s: URL too "
			        "long\n",
			        p->name);
			return -1;
		}
		p->state = PS_UNKNOWN;
		configured++;
		routes_refresh(p, "");
		while (p->version[0] == '\0' &&
		       p->cur + 1 < conf[i].nreplicas) {
			p->cur++; /* the first replica may be the one down */
			(void)probe_urls(p);
			routes_refresh(p, "");
		}
		(void)gw_routes_current(p->index); /* take it in */
	}
	return 0;
}

/* In each worker: start the probe thread (none when nothing is
 * configured). */
static int
upstreams_worker_init(void)
{
	if (configured == 0)
		return 0;
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	stopping = 0;
	if (pthread_create(&thread, NULL, probe_main, NULL) != 0) {
		close(wake[0]);
		close(wake[1]);
		wake[0] = wake[1] = -1;
		return -1;
	}
	running = 1;
	return 0;
}

static void
upstreams_worker_stop(void)
{
	if (!running)
		return;
	stopping = 1;
	(void)!write(wake[1], "x", 1);
	pthread_join(thread, NULL);
	running = 0;
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
}

/* The version of the route table an upstream's /readyz says it serves
 * (checks.routes), into out; "" when it does not say. */
static void
served_version(const struct buf *b, char *out, size_t outlen)
{
	json_t *doc;
	const char *v;

	out[0] = '\0';
	if (b->p == NULL || (doc = json_loadb(b->p, b->len, 0, NULL)) == NULL)
		return;
	v = json_string_value(
	    json_object_get(json_object_get(doc, "checks"), "routes"));
	if (v != NULL)
		snprintf(out, outlen, "%s", v);
	json_decref(doc);
}

/*
 * Probe every configured upstream at once and record the outcomes; then
 * fetch the route tables that changed. Returns 0, or -ECANCELED when asked
 * to stop mid-round (outcomes of an interrupted round are not recorded).
 */
static int
probe_round(CURLM *multi)
{
	struct curl_waitfd wfd = {0, CURL_WAIT_POLLIN, 0};
	char served[GW_ROUTES_VERSION_MAX];
	CURLMsg *msg;
	long status;
	size_t i;
	int still = 0, left, state;

	wfd.fd = wake[0];
	for (i = 0; i < nprobes; i++) {
		probes[i].body.len = 0;
		if (probes[i].easy != NULL)
			curl_multi_add_handle(multi, probes[i].easy);
	}
	do {
		if (curl_multi_perform(multi, &still) != CURLM_OK)
			break;
		if (still > 0 &&
		    curl_multi_poll(multi, &wfd, 1, 200, NULL) != CURLM_OK)
			break;
	} while (still > 0 && !stopping);

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE || stopping)
			continue;
		for (i = 0; i < nprobes; i++) {
			struct probe *p = &probes[i];

			if (p->easy != msg->easy_handle)
				continue;
			status = 0;
			curl_easy_getinfo(msg->easy_handle,
			                  CURLINFO_RESPONSE_CODE, &status);
			state = msg->data.result == CURLE_OK && status == 200
			            ? PS_UP
			            : PS_DOWN;
			if (state == PS_UP) {
				served_version(&p->body, served,
				               sizeof(served));
				if (served[0] == '\0' ||
				    (strcmp(served, p->version) != 0 &&
				     strcmp(served, p->refused) != 0))
					routes_refresh(p, served);
				else if (strcmp(served, p->version) == 0)
					status_set(p, 1, "%s", p->version);
			} else if (p->version[0] != '\0') {
				status_set(p, 0,
				           "kept %s: the upstream is down",
				           p->version);
			}
			__atomic_store_n(&p->state, state, __ATOMIC_RELEASE);
			if (state != p->logged)
				mp_log(state == PS_UP ? MP_LOG_INFO
				                      : MP_LOG_WARN,
				       "upstream", "%s is %s", p->name,
				       state_name(state));
			p->logged = state;
		}
	}
	for (i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];

		if (p->easy == NULL)
			continue;
		curl_multi_remove_handle(multi, p->easy);
		/* a replica that failed: probe the next one next time, so
		 * the upstream is up while one of its replicas is */
		if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PS_DOWN &&
		    p->conf->nreplicas > 1) {
			p->cur = (p->cur + 1) % p->conf->nreplicas;
			if (probe_urls(p) == 0)
				curl_easy_setopt(p->easy, CURLOPT_URL,
				                 p->ready_url);
		}
	}
	return stopping ? -ECANCELED : 0;
}

static void *
probe_main(void *arg)
{
	struct pollfd pfd;
	CURLM *multi;
	char buf[16];
	size_t i;

	(void)arg;
	if ((multi = curl_multi_init()) == NULL)
		return NULL;
	for (i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];

		if (p->ready_url[0] == '\0' ||
		    (p->easy = curl_easy_init()) == NULL)
			continue;
		curl_easy_setopt(p->easy, CURLOPT_URL, p->ready_url);
		curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS,
		                 GW_PROBE_TIMEOUT_MS);
		curl_easy_setopt(p->easy, CURLOPT_CONNECTTIMEOUT_MS,
		                 GW_PROBE_TIMEOUT_MS);
		curl_easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(p->easy, CURLOPT_WRITEDATA, &p->body);
		curl_easy_setopt(p->easy, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(p->easy, CURLOPT_USERAGENT,
		                 "mp-gateway-probe");
	}
	while (!stopping) {
		if (probe_round(multi) != 0)
			break;
		pfd.fd = wake[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)probe_ms) > 0)
			(void)!read(wake[0], buf, sizeof(buf));
	}
	for (i = 0; i < nprobes; i++) {
		if (probes[i].easy != NULL)
			curl_easy_cleanup(probes[i].easy);
		probes[i].easy = NULL;
		free(probes[i].body.p);
		probes[i].body.p = NULL;
		probes[i].body.cap = probes[i].body.len = 0;
	}
	curl_multi_cleanup(multi);
	return NULL;
}

static const char *
state_name(int state)
{
	switch (state) {
	case PS_UP:
		return "up";
	case PS_DOWN:
		return "down";
	case PS_UNKNOWN:
		return "unknown";
	default:
		return "unconfigured";
	}
}

/* /readyz: checks.upstreams from the last outcomes and checks.upstream_routes,
 * the version of each upstream's table in use ("kept ...: why" when it is not
 * the one served, "none: why" when there is none); degraded while a
 * deployed upstream is down or its table is not current. Never blocks. */
static int
upstreams_ready(json_t *checks)
{
	json_t *ups = json_object(), *routes = json_object();
	size_t i;
	int state, degraded = 0;

	pthread_mutex_lock(&status_mu);
	for (i = 0; i < nprobes; i++) {
		state = __atomic_load_n(&probes[i].state, __ATOMIC_ACQUIRE);
		if (state == PS_DOWN ||
		    (state != PS_UNCONFIGURED && !probes[i].current))
			degraded = 1;
		json_object_set_new(ups, probes[i].name,
		                    json_string(state_name(state)));
		json_object_set_new(routes, probes[i].name,
		                    json_string(probes[i].status));
	}
	pthread_mutex_unlock(&status_mu);
	json_object_set_new(checks, "upstreams", ups);
	json_object_set_new(checks, "upstream_routes", routes);
	return degraded ? MP_READY_DEGRADED : 0;
}
