/*
 * The gateway's end: SIGTERM under load, again and again, and every worker
 * must exit cleanly.
 *
 * Kore's parent reaps its workers at shutdown without saying how they
 * ended, so a worker that dies in its exit path is invisible in the log
 * and in the parent's exit status. Each test here starts its own gateway
 * (so that its workers descend from the test process) and traces them to
 * their end (t_workers_watch): a worker killed by a signal at any time
 * (mid-load, or in Kore's cleanup after the drain) fails the test.
 *
 * What these found, and what keeps them true: password hashes ran on
 * Kore's task threads, which Kore never joins; Kore unloads the module (and
 * libsodium) right after the worker's teardown hook, so a hash still
 * running then jumped into unmapped code (SIGSEGV while the main thread
 * was in kore_pool_cleanup); and Kore's task thread could take a NULL task
 * under load (a wake-up with an empty queue) and kill the worker with the
 * requests it held. The hashing threads are the gateway's own now
 * (identity/pwhash.c), joined at teardown.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>

#include "support.h"

#define CYCLES 10
#define LOAD_MS 600
#define WORKERS 2

enum load_kind {
	L_TOKEN,    /* POST /auth/token: a password check on a hashing thread */
	L_GRAPHQL,  /* POST /graphql: nested reads through the gateway itself */
	L_PROXIED,  /* an officer's GET: token checked, proxied on a miss */
	L_CACHED,   /* a public GET: from the cache after the first */
	L_ABANDONED /* a token request whose client gives up after 30 ms */
};

static const char *const kind_name[] = {"token", "graphql", "proxied", "cached",
                                        "abandoned"};
#define NKINDS (sizeof(kind_name) / sizeof(kind_name[0]))

struct loader {
	pthread_t thread;
	enum load_kind kind;
	const struct t_proc *gw;
	const char *token; /* L_PROXIED */
	volatile int *stop;
	uint64_t sigterm_ms; /* 0 until the SIGTERM is sent */
	/* outcomes of the requests started before the SIGTERM: answered at
	 * all, answered as the kind is when it works, not answered */
	int answered, served, dropped;
	char first_drop[160];
};

static struct t_proc funding;
static char upstreams[128];

/* A council officer of oriental's access token, with the jti the gateway's
 * revocation check requires. malloc'd. */
static char *
officer_token(void)
{
	long long now = (long long)time(NULL);
	char jti[64];
	json_t *c;
	char *t;

	snprintf(jti, sizeof(jti), "drain-%d-%lld", (int)getpid(), now);
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub",
	              "drain-officer", "iat", now - 5, "exp", now + 3600,
	              "roles", "council_officer", "region", "oriental", "jti",
	              jti);
	t = t_token_claims(c);
	json_decref(c);
	ck_assert_ptr_nonnull(t);
	return t;
}

static size_t
discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* One request of the loader's kind on its own keep-alive handle.
 * Returns the curl outcome; *status gets the HTTP status (0 if none). */
static CURLcode
load_one(struct loader *l, CURL *c, unsigned seq, long *status)
{
	static const char gql[] =
	    "{\"query\":\"{ regions { code provinces { code } } "
	    "themes { code } }\"}";
	char url[256], body[256], auth[4096];
	struct curl_slist *h = NULL;
	CURLcode rc;

	*status = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	h = curl_slist_append(h, "Expect:");
	switch (l->kind) {
	case L_TOKEN:
	case L_ABANDONED:
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/auth/token",
		         l->gw->port);
		/* one in four the admin's right password (a token issued),
		 * the others unknown names (the dummy hash is checked) */
		if (seq % 4 == 0)
			snprintf(body, sizeof(body),
			         "grant_type=password&username=root-admin&"
			         "password=root-password-2026");
		else
			snprintf(body, sizeof(body),
			         "grant_type=password&username=drain.%u.%u&"
			         "password=wrong-password-1",
			         (unsigned)getpid(), seq);
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
		if (l->kind == L_ABANDONED)
			curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30L);
		break;
	case L_GRAPHQL:
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/graphql",
		         l->gw->port);
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, gql);
		break;
	case L_PROXIED:
		snprintf(url, sizeof(url),
		         "http://127.0.0.1:%d/v1/funding/calls?region=oriental",
		         l->gw->port);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		         l->token);
		h = curl_slist_append(h, auth);
		break;
	case L_CACHED:
		snprintf(url, sizeof(url),
		         "http://127.0.0.1:%d/v1/funding/regions/oriental/"
		         "provinces",
		         l->gw->port);
		break;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	return rc;
}

/*
 * Requests back to back until told to stop. A request that started at
 * least 100 ms before the SIGTERM must have been answered (any status): a
 * transport error there is a request the gateway dropped (a worker died).
 * Later ones may meet the drain's 503, a closed keep-alive connection or
 * no listener at all. GraphQL too: its reads go through the gateway's own
 * listener, and a draining worker serves them (drain_exempt) and keeps
 * accepting while it has requests in flight (graphql_in_flight_at_sigterm
 * below).
 */
static void *
load_main(void *arg)
{
	struct loader *l = arg;
	CURL *c = curl_easy_init();
	unsigned seq = 0;
	uint64_t start, term;
	CURLcode rc;
	long status;

	while (c != NULL && !*l->stop) {
		start = t_mono_ms();
		rc = load_one(l, c, seq++, &status);
		term = __atomic_load_n(&l->sigterm_ms, __ATOMIC_ACQUIRE);
		if (term != 0 && start + 100 > term)
			continue; /* around or after the SIGTERM */
		if (rc == CURLE_OK) {
			l->answered++;
			if ((status >= 200 && status < 300) ||
			    (l->kind == L_TOKEN && status == 400))
				l->served++;
		} else if (l->kind != L_ABANDONED) {
			if (l->dropped++ == 0)
				snprintf(l->first_drop, sizeof(l->first_drop),
				         "%s request %u: %s",
				         kind_name[l->kind], seq,
				         curl_easy_strerror(rc));
		}
	}
	curl_easy_cleanup(c);
	return NULL;
}

/*
 * One cycle: a gateway, its workers watched, `kinds` loaders for load_ms,
 * SIGTERM while they run; asserts every worker exited 0, the parent too,
 * and no request started well before the SIGTERM was dropped. Adds to
 * served[kind] the requests served before the SIGTERM (2xx; 400 for a
 * wrong password).
 */
static void
cycle(int n, const char *const *env, const enum load_kind *kinds, size_t nkinds,
      int load_ms, int served[NKINDS])
{
	struct loader l[8];
	struct t_proc gw;
	struct t_watch *w;
	volatile int stop = 0;
	char why[256], name[32];
	char *tok = officer_token();
	uint64_t term;
	size_t i;
	int st, bad;

	ck_assert_uint_le(nkinds, 8);
	snprintf(name, sizeof(name), "drain-gateway-%d", n);
	ck_assert_msg(t_gateway_start(&gw, name, env) == 0,
	              "cycle %d: the gateway did not become ready", n);
	{ /* the officer's token is good: the proxied load is served */
		char auth[4096];
		const char *h[] = {auth, NULL};
		struct t_resp r;

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
		ck_assert_int_eq(t_http(&gw, "GET",
		                        "/v1/funding/calls?region=oriental", h,
		                        NULL, 0, &r),
		                 0);
		ck_assert_msg(r.status == 200, "officer's GET: %ld %s",
		              r.status, r.body != NULL ? r.body : "");
		t_resp_free(&r);
	}
	st = t_workers_watch(&gw, WORKERS, &w);
	ck_assert_msg(st == 0, "cycle %d: cannot watch the workers: %s", n,
	              strerror(-st));
	memset(l, 0, sizeof(l));
	for (i = 0; i < nkinds; i++) {
		l[i].kind = kinds[i];
		l[i].gw = &gw;
		l[i].token = tok;
		l[i].stop = &stop;
		ck_assert_int_eq(
		    pthread_create(&l[i].thread, NULL, load_main, &l[i]), 0);
	}
	t_sleep_ms(load_ms);
	term = t_mono_ms();
	for (i = 0; i < nkinds; i++)
		__atomic_store_n(&l[i].sigterm_ms, term, __ATOMIC_RELEASE);
	st = t_proc_stop(&gw); /* SIGTERM; SIGKILL after 20 s */
	stop = 1;
	for (i = 0; i < nkinds; i++)
		pthread_join(l[i].thread, NULL);
	bad = t_workers_ended(w, 5000, why, sizeof(why));
	free(tok);
	ck_assert_msg(bad == 0,
	              "cycle %d: %d worker(s) did not exit cleanly "
	              "(%s)",
	              n, bad, why);
	ck_assert_msg(st == 0, "cycle %d: the gateway's parent ended with %d",
	              n, st);
	for (i = 0; i < nkinds; i++) {
		ck_assert_msg(l[i].dropped == 0,
		              "cycle %d: %d request(s) dropped before the "
		              "SIGTERM, first: %s",
		              n, l[i].dropped, l[i].first_drop);
		served[l[i].kind] += l[i].served;
	}
}

static void
suite_setup(void)
{
	static const char *const funding_env[] = {NULL};

	signal(SIGPIPE, SIG_IGN);
	if (t_service_start(&funding, "funding", funding_env) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
	snprintf(upstreams, sizeof(upstreams),
	         "MP_UPSTREAMS=funding=http://127.0.0.1:%d", funding.port);
}

static void
suite_teardown(void)
{
	t_proc_stop(&funding);
}

/* SIGTERM with the four kinds of traffic in flight, CYCLES times: every
 * worker exits 0 each time, nothing started before the SIGTERM is
 * dropped, and each kind was really served. */
START_TEST(drain_under_load_repeatedly)
{
	static const enum load_kind kinds[] = {
	    L_TOKEN, L_TOKEN, L_GRAPHQL, L_PROXIED, L_CACHED, L_ABANDONED};
	const char *env[] = {upstreams,
	                     "MP_RATE_LIMITS=default=1000000/60,"
	                     "write=1000000/60,auth=1000000/60",
	                     NULL};
	int served[NKINDS] = {0}, n;

	for (n = 0; n < CYCLES; n++)
		cycle(n, env, kinds, sizeof(kinds) / sizeof(kinds[0]), LOAD_MS,
		      served);
	/* each kind was really served, in every cycle on average */
	ck_assert_int_gt(served[L_TOKEN], CYCLES);
	ck_assert_int_gt(served[L_GRAPHQL], CYCLES);
	ck_assert_int_gt(served[L_PROXIED], CYCLES);
	ck_assert_int_gt(served[L_CACHED], CYCLES);
}
END_TEST

/* Real argon2id costs (50-100 ms a check): clients that give up at once
 * leave their checks running when the drain finds no request left, so the
 * workers stop with hashes in progress; they still exit 0. */
START_TEST(shutdown_with_hashes_in_progress)
{
	static const enum load_kind kinds[] = {L_ABANDONED, L_ABANDONED,
	                                       L_ABANDONED, L_ABANDONED};
	const char *env[] = {upstreams, "MP_PWHASH_FAST=0",
	                     "MP_RATE_LIMITS=auth=1000000/60", NULL};
	int served[NKINDS] = {0}, n;

	for (n = 0; n < 3; n++)
		cycle(n, env, kinds, sizeof(kinds) / sizeof(kinds[0]), 300,
		      served);
}
END_TEST

/* ---- a GraphQL operation in flight at the SIGTERM ---------------------
 *
 * An in-process "funding" that answers each read 400 ms late, so an
 * operation of two passes (regions, then each region's communes) has its
 * second read made after the SIGTERM: the draining gateway must serve
 * that read (its own request, through its own listener) and answer the
 * operation in full. */
#define SLOW_MS 400

static void *
slow_conn(void *arg)
{
	static const char regions[] =
	    "{\"items\":[{\"code\":\"oriental\",\"label\":\"Oriental\","
	    "\"name\":{\"fr\":\"Oriental\"}}]}";
	static const char communes[] =
	    "{\"items\":[{\"code\":\"oujda\",\"province\":\"oujda-angad\","
	    "\"label\":\"Oujda\",\"name\":{\"fr\":\"Oujda\"}}]}";
	int fd = (int)(intptr_t)arg;
	char buf[16384], path[512], out[1024];
	size_t have = 0, hlen, blen;
	const char *body;
	int n, status;

	while (t_peer_read_request(fd, buf, sizeof(buf), &have, &hlen, &blen) ==
	           0 &&
	       sscanf(buf, "%*s %511s", path) == 1) {
		buf[hlen - 1] = '\0';
		if (t_peer_ops_answer(fd, buf, t_peer_routes("funding")))
			break;
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
		t_sleep_ms(SLOW_MS);
		status = 200;
		if (strcmp(path, "/v1/funding/regions") == 0)
			body = regions;
		else if (strcmp(path,
		                "/v1/funding/regions/oriental/communes") == 0)
			body = communes;
		else {
			status = 404;
			body = "{}";
		}
		n = snprintf(out, sizeof(out),
		             "HTTP/1.1 %d X\r\nContent-Type: application/json"
		             "\r\nContent-Length: %zu\r\n\r\n%s",
		             status, strlen(body), body);
		if (write(fd, out, (size_t)n) != n)
			break;
	}
	close(fd);
	return NULL;
}

struct gql_call {
	const struct t_proc *gw;
	const char *token;
	struct t_resp r;
	int rc;
	uint64_t ms;
};

static void *
gql_call_main(void *arg)
{
	struct gql_call *c = arg;
	static const char q[] =
	    "{\"query\": \"{ regions { code communes { code } } }\"}";
	char auth[4096];
	const char *h[] = {"Content-Type: application/json", auth, NULL};
	uint64_t start = t_mono_ms();

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	c->rc = t_http(c->gw, "POST", "/graphql", h, q, strlen(q), &c->r);
	c->ms = t_mono_ms() - start;
	return NULL;
}

/* Three times: the operation sent, SIGTERM during its first read; it is
 * answered in full (no error) before the grace period, and the gateway
 * exits 0. */
START_TEST(graphql_in_flight_at_sigterm)
{
	static char up[128];
	const char *env[] = {up, "MP_BREAKER=off",
	                     "MP_RATE_LIMITS=default=1000000/60", NULL};
	struct gql_call c;
	struct t_proc gw;
	pthread_t th;
	json_t *communes;
	char *tok = officer_token();
	int lfd, port, n, st;

	ck_assert_int_ge(lfd = t_listen_loopback(&port), 0);
	ck_assert_int_eq(t_peer_serve(lfd, slow_conn, NULL), 1);
	snprintf(up, sizeof(up), "MP_UPSTREAMS=funding=http://127.0.0.1:%d",
	         port);
	for (n = 0; n < 3; n++) {
		ck_assert_int_eq(t_gateway_start(&gw, "drain-graphql", env), 0);
		memset(&c, 0, sizeof(c));
		c.gw = &gw;
		c.token = tok;
		ck_assert_int_eq(pthread_create(&th, NULL, gql_call_main, &c),
		                 0);
		t_sleep_ms(SLOW_MS / 2);
		st = t_proc_stop(&gw); /* SIGTERM, then the drain */
		pthread_join(th, NULL);
		ck_assert_msg(c.rc == 0 && c.r.status == 200 &&
		                  json_object_get(c.r.json, "errors") == NULL,
		              "cycle %d: %d %ld %s after %llu ms", n, c.rc,
		              c.r.status, c.r.body != NULL ? c.r.body : "",
		              (unsigned long long)c.ms);
		communes = json_object_get(
		    json_array_get(
		        json_object_get(json_object_get(c.r.json, "data"),
		                        "regions"),
		        0),
		    "communes");
		ck_assert_str_eq(t_jstr(json_array_get(communes, 0), "code"),
		                 "oujda");
		ck_assert_uint_lt(c.ms, 5000);
		ck_assert_int_eq(st, 0);
		t_resp_free(&c.r);
	}
	free(tok);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gateway_drain");
	TCase *tc = tcase_create("drain");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, shutdown_with_hashes_in_progress);
	tcase_add_test(tc, drain_under_load_repeatedly);
	tcase_add_test(tc, graphql_in_flight_at_sigterm);
	suite_add_tcase(s, tc);
	return t_run(s);
}
