/*
 * Upstream readiness probes (contract in upstreams.h).
 *
 * Why a thread and not the worker's event loop: the probes are a
 * background chore with no request waiting on them. A thread with its own
 * CURLM (curl_multi_poll, all upstreams probed at once) needs no socket or
 * timer wiring into Kore, cannot stall request handling, and shares
 * nothing with the proxy's multi handle. The worker reads the outcomes
 * with atomic loads; the thread is the only writer.
 *
 * Stopping: worker_stop writes to a pipe that both the sleep between
 * rounds and curl_multi_poll watch, then joins the thread (at most one
 * probe timeout later).
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include "proxy/upstreams.h"

#define URL_MAX 512

enum probe_state { PS_UNCONFIGURED = 0, PS_UNKNOWN, PS_UP, PS_DOWN };

struct probe {
	const char *name;
	const char *env;
	char url[URL_MAX]; /* base + "/readyz"; "" = not configured */
	CURL *easy;
	int state;         /* enum probe_state; atomic */
	int logged;        /* last state written to the log (thread only) */
};

static int upstreams_parent_init(void);
static int upstreams_worker_init(void);
static void upstreams_worker_stop(void);
static int upstreams_ready(json_t *checks);
static int probe_url_set(struct probe *p, const char *base);
static void *probe_main(void *arg);
static int probe_round(CURLM *multi);
static size_t discard(char *ptr, size_t size, size_t n, void *arg);
static const char *state_name(int state);

const struct mp_extension gw_upstreams_extension = {
	.name = "upstreams",
	.parent_init = upstreams_parent_init,
	.worker_init = upstreams_worker_init,
	.worker_stop = upstreams_worker_stop,
	.ready = upstreams_ready,
};

static struct probe probes[] = {
	{"funding", "MP_UPSTREAM_FUNDING", "", NULL, PS_UNCONFIGURED, 0},
	{"cases", "MP_UPSTREAM_CASES", "", NULL, PS_UNCONFIGURED, 0},
	{"gender", "MP_UPSTREAM_GENDER", "", NULL, PS_UNCONFIGURED, 0},
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

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

/* base "http://h:p/" -> "http://h:p/readyz". 0, or -EINVAL for what the
 * proxy would refuse too (it stops start-up for those). */
static int
probe_url_set(struct probe *p, const char *base)
{
	size_t len = strlen(base);

	if (strncasecmp(base, "http://", 7) != 0 &&
	    strncasecmp(base, "https://", 8) != 0)
		return -EINVAL;
	while (len > 0 && base[len - 1] == '/')
		len--;
	if (len + sizeof("/readyz") > sizeof(p->url))
		return -EINVAL;
	memcpy(p->url, base, len);
	memcpy(p->url + len, "/readyz", sizeof("/readyz"));
	return 0;
}

/* In the parent: which upstreams to probe and how often. */
static int
upstreams_parent_init(void)
{
	const char *v;
	char *end;
	size_t i;
	long n;

	if ((v = getenv("MP_UPSTREAM_PROBE_MS")) != NULL && *v != '\0') {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || n < 100 || n > 600000) {
			fprintf(stderr, "config: MP_UPSTREAM_PROBE_MS: expected "
			    "100..600000\n");
			return -1;
		}
		probe_ms = n;
	}
	for (i = 0; i < NPROBES; i++) {
		probes[i].url[0] = '\0';
		probes[i].state = PS_UNCONFIGURED;
		v = getenv(probes[i].env);
		if (v == NULL || *v == '\0')
			continue;
		if (probe_url_set(&probes[i], v) != 0) {
			fprintf(stderr, "config: %s: expected an http:// or "
			    "https:// base URL\n", probes[i].env);
			return -1;
		}
		probes[i].state = PS_UNKNOWN;
		configured++;
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

static size_t
discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/*
 * Probe every configured upstream at once and record the outcomes.
 * Returns 0, or -ECANCELED when asked to stop mid-round (outcomes of an
 * interrupted round are not recorded).
 */
static int
probe_round(CURLM *multi)
{
	struct curl_waitfd wfd = {0, CURL_WAIT_POLLIN, 0};
	CURLMsg *msg;
	long status;
	size_t i;
	int still = 0, left, state;

	wfd.fd = wake[0];
	for (i = 0; i < NPROBES; i++) {
		if (probes[i].easy != NULL)
			curl_multi_add_handle(multi, probes[i].easy);
	}
	do {
		if (curl_multi_perform(multi, &still) != CURLM_OK)
			break;
		if (still > 0 && curl_multi_poll(multi, &wfd, 1, 200, NULL) !=
		    CURLM_OK)
			break;
	} while (still > 0 && !stopping);

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE || stopping)
			continue;
		for (i = 0; i < NPROBES; i++) {
			if (probes[i].easy != msg->easy_handle)
				continue;
			status = 0;
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &status);
			state = msg->data.result == CURLE_OK && status == 200 ?
			    PS_UP : PS_DOWN;
			__atomic_store_n(&probes[i].state, state,
			    __ATOMIC_RELEASE);
			if (state != probes[i].logged)
				mp_log(state == PS_UP ? MP_LOG_INFO :
				    MP_LOG_WARN, "upstream", "%s is %s",
				    probes[i].name, state_name(state));
			probes[i].logged = state;
		}
	}
	for (i = 0; i < NPROBES; i++) {
		if (probes[i].easy != NULL)
			curl_multi_remove_handle(multi, probes[i].easy);
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
	for (i = 0; i < NPROBES; i++) {
		if (probes[i].url[0] == '\0')
			continue;
		if ((probes[i].easy = curl_easy_init()) == NULL)
			continue;
		curl_easy_setopt(probes[i].easy, CURLOPT_URL, probes[i].url);
		curl_easy_setopt(probes[i].easy, CURLOPT_TIMEOUT_MS,
		    GW_PROBE_TIMEOUT_MS);
		curl_easy_setopt(probes[i].easy, CURLOPT_CONNECTTIMEOUT_MS,
		    GW_PROBE_TIMEOUT_MS);
		curl_easy_setopt(probes[i].easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(probes[i].easy, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(probes[i].easy, CURLOPT_PROTOCOLS_STR,
		    "http,https");
		curl_easy_setopt(probes[i].easy, CURLOPT_USERAGENT,
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
	for (i = 0; i < NPROBES; i++) {
		if (probes[i].easy != NULL)
			curl_easy_cleanup(probes[i].easy);
		probes[i].easy = NULL;
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

/* /readyz: checks.upstreams from the last outcomes; degraded while a
 * configured upstream is down. Never blocks. */
static int
upstreams_ready(json_t *checks)
{
	json_t *ups = json_object();
	size_t i;
	int state, down = 0;

	for (i = 0; i < NPROBES; i++) {
		state = __atomic_load_n(&probes[i].state, __ATOMIC_ACQUIRE);
		if (state == PS_DOWN)
			down = 1;
		json_object_set_new(ups, probes[i].name,
		    json_string(state_name(state)));
	}
	json_object_set_new(checks, "upstreams", ups);
	return down ? MP_READY_DEGRADED : 0;
}
