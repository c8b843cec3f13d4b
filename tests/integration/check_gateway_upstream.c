/*
 * Integration suite of the gateway's native upstream client
 * (gateway/src/proxy/h1client.c, h1.c): the real gateway in front of a raw
 * HTTP/1.1 peer in this process (/v1/raw) that answers what a test needs,
 * byte by byte: chunked answers sent in pieces, an answer larger than
 * PROXY_RESPONSE_MAX, one that never comes in time, a malformed status
 * line, and a kept connection that the service closes when the next
 * request arrives on it (the idle-close race).
 *
 * The gateway runs one worker (so that consecutive requests share its
 * kept connections), a 800 ms timeout for the peer and no circuit breaker
 * (the failures asked for here must not refuse the next test). The same
 * tests run a second time against a gateway with MP_UPSTREAM_CLIENT=curl:
 * libcurl, which https:// upstreams use, must behave the same way.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>

#include "support.h"

#define RESPONSE_MAX (8L * 1024 * 1024) /* PROXY_RESPONSE_MAX */

static struct t_proc gw;
static char env_upstreams[128];

static struct {
	int lfd, port;
	atomic_int dropped;     /* requests closed without an answer */
	atomic_int connections; /* that carried a /v1/raw request */
} peer = {.lfd = -1};

/* ---- the raw peer ------------------------------------------------------ */

static int
put(int fd, const char *s, size_t n)
{
	return send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int
puts_(int fd, const char *s)
{
	return put(fd, s, strlen(s));
}

/* A chunked answer sent a piece at a time, with an extension and a
 * trailer. */
static int
answer_chunked(int fd)
{
	static const char *const parts[] = {
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\nX-Peer: chunked\r\n\r\n",
	    "5\r\nhello\r\n",
	    "7;ext=1\r\n, world\r\n",
	    "1\r\n!\r\n",
	    "0\r\nX-Checksum: 42\r\n\r\n",
	    NULL};
	int i;

	for (i = 0; parts[i] != NULL; i++) {
		if (puts_(fd, parts[i]) != 0)
			return -1;
		t_sleep_ms(5);
	}
	return 0;
}

/* RESPONSE_MAX + 64 KiB of body in 64 KiB chunks; the gateway hangs up
 * somewhere past the limit. */
static int
answer_big(int fd)
{
	static char chunk[65536];
	char line[32];
	long sent;

	memset(chunk, 'x', sizeof(chunk));
	if (puts_(fd,
	          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") != 0)
		return -1;
	for (sent = 0; sent <= RESPONSE_MAX; sent += (long)sizeof(chunk)) {
		snprintf(line, sizeof(line), "%zx\r\n", sizeof(chunk));
		if (puts_(fd, line) != 0 ||
		    put(fd, chunk, sizeof(chunk)) != 0 ||
		    puts_(fd, "\r\n") != 0)
			return -1;
	}
	return puts_(fd, "0\r\n\r\n");
}

/* One connection: requests answered by path until it closes. */
static void *
peer_conn(void *arg)
{
	int fd = (int)(intptr_t)arg, served = 0;
	char buf[16384], path[512], body[600];
	size_t have = 0, hlen, blen;

	for (;;) {
		if (t_peer_read_request(fd, buf, sizeof(buf), &have, &hlen,
		                        &blen) != 0)
			goto out;
		if (sscanf(buf, "%*s %511s", path) != 1)
			goto out;
		buf[hlen - 1] = '\0';
		if (t_peer_ops_answer(fd, buf, t_peer_routes("raw")))
			goto out;
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
		if (strstr(path, "/once") != NULL && served > 0) {
			/* the service gave up on this kept connection: the
			 * request is dropped unread */
			atomic_fetch_add(&peer.dropped, 1);
			goto out;
		}
		if (served++ == 0)
			atomic_fetch_add(&peer.connections, 1);
		if (strstr(path, "/chunked") != NULL) {
			if (answer_chunked(fd) != 0)
				goto out;
		} else if (strstr(path, "/big") != NULL) {
			(void)answer_big(fd);
			goto out;
		} else if (strstr(path, "/slow") != NULL) {
			t_sleep_ms(3000);
			(void)puts_(fd,
			            "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
			            "\r\nlate");
			goto out;
		} else if (strstr(path, "/badstatus") != NULL) {
			(void)puts_(fd,
			            "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n"
			            "\r\n");
			goto out;
		} else {
			snprintf(body, sizeof(body), "served %s", path);
			snprintf(
			    buf + have, sizeof(buf) - have,
			    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			    "Content-Length: %zu\r\n\r\n%s",
			    strlen(body), body);
			if (puts_(fd, buf + have) != 0)
				goto out;
		}
	}
out:
	close(fd);
	return NULL;
}

/* The peer answers from this test's process (each test is a fork). */
static void
peer_serve(void)
{
	if (t_peer_serve(peer.lfd, peer_conn, NULL)) {
		atomic_store(&peer.dropped, 0);
		atomic_store(&peer.connections, 0);
	}
}

/* ---- fixture ----------------------------------------------------------- */

static void
gateway_setup(const char *client)
{
	const char *env[8];
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
	if (peer.lfd < 0 && (peer.lfd = t_listen_loopback(&peer.port)) < 0) {
		fprintf(stderr, "peer upstream: cannot listen\n");
		exit(1);
	}
	snprintf(env_upstreams, sizeof(env_upstreams),
	         "MP_UPSTREAMS=raw=http://127.0.0.1:%d", peer.port);
	env[j++] = env_upstreams;
	env[j++] = "MP_UPSTREAM_RAW_TIMEOUT_MS=800";
	env[j++] = "MP_BREAKER=off";
	env[j++] = "MP_WORKERS=1";
	env[j++] = client;
	env[j] = NULL;
	if (t_peer_ops_start(peer.lfd, t_peer_routes("raw")) != 0 ||
	    t_gateway_start(&gw, "upstream-gateway", env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		exit(1);
	}
	t_peer_ops_stop();
}

static void
native_setup(void)
{
	gateway_setup("MP_UPSTREAM_CLIENT=native");
}

static void
curl_setup(void)
{
	gateway_setup("MP_UPSTREAM_CLIENT=curl");
}

static void
gateway_teardown(void)
{
	t_proc_stop(&gw);
}

/* ---- helpers ----------------------------------------------------------- */

/* method path through the gateway, never from its cache, the peer not
 * accepting in this process (connect_timeout_504). */
static void
call_unserved(const char *method, const char *path, const char *body,
              struct t_resp *r)
{
	char auth[4096];
	char *token = t_token("raw-tester", "council_officer", "souss-massa");
	const char *hdr[4] = {auth, "Cache-Control: no-store",
	                      "Content-Type: application/json", NULL};

	ck_assert_ptr_nonnull(token);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	free(token);
	ck_assert_int_eq(t_http(&gw, method, path, hdr, body,
	                        body != NULL ? strlen(body) : 0, r),
	                 0);
}

/* method path through the gateway to the peer, never from its cache. */
static void
call(const char *method, const char *path, const char *body, struct t_resp *r)
{
	peer_serve();
	call_unserved(method, path, body, r);
}

/* A problem+json answer of the gateway itself with this status and type. */
static void
assert_problem(const struct t_resp *r, long status, const char *type)
{
	ck_assert_int_eq(r->status, status);
	ck_assert_ptr_nonnull(r->json);
	ck_assert_ptr_nonnull(strstr(t_jstr(r->json, "type"), type));
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(chunked_answer_joined)
{
	struct t_resp r;
	char v[64];
	int i;

	for (i = 0; i < 3; i++) { /* again on the kept connection */
		call("GET", "/v1/raw/chunked", NULL, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_eq(r.len, 13);
		ck_assert(memcmp(r.body, "hello, world!", 13) == 0);
		ck_assert_int_eq(t_resp_header(&r, "x-peer", v, sizeof(v)), 0);
		ck_assert_str_eq(v, "chunked");
		/* hop-by-hop framing and trailers are not forwarded */
		ck_assert_int_ne(
		    t_resp_header(&r, "transfer-encoding", v, sizeof(v)), 0);
		ck_assert_int_ne(t_resp_header(&r, "x-checksum", v, sizeof(v)),
		                 0);
		t_resp_free(&r);
	}
	ck_assert_int_eq(atomic_load(&peer.connections), 1);
}
END_TEST

START_TEST(stale_kept_connection_retried)
{
	struct t_resp r;

	call("GET", "/v1/raw/plain", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	/* the kept connection is dropped when this arrives: sent again on
	 * a new one, for a GET and for a POST alike (never read) */
	call("GET", "/v1/raw/once", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, strlen("served /v1/raw/once"));
	t_resp_free(&r);
	call("POST", "/v1/raw/once", "{}", &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	ck_assert_int_eq(atomic_load(&peer.dropped), 2);
	ck_assert_int_eq(atomic_load(&peer.connections), 3);
}
END_TEST

START_TEST(answer_too_large_502)
{
	struct t_resp r;

	call("GET", "/v1/raw/big", NULL, &r);
	assert_problem(&r, 502, "bad-gateway");
	ck_assert_ptr_nonnull(strstr(t_jstr(r.json, "detail"), "too large"));
	t_resp_free(&r);
	/* the gateway still answers */
	call("GET", "/v1/raw/plain", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
}
END_TEST

START_TEST(slow_upstream_504_in_time)
{
	struct t_resp r;
	int64_t t0 = t_mono_ms(), took;

	call("GET", "/v1/raw/slow", NULL, &r);
	took = t_mono_ms() - t0;
	assert_problem(&r, 504, "gateway-timeout");
	t_resp_free(&r);
	/* 800 ms of timeout; the peer would answer after 3 s */
	ck_assert_msg(took >= 750 && took < 2500, "504 after %lld ms",
	              (long long)took);
}
END_TEST

START_TEST(malformed_status_502)
{
	struct t_resp r;

	call("GET", "/v1/raw/badstatus", NULL, &r);
	assert_problem(&r, 502, "bad-gateway");
	t_resp_free(&r);
}
END_TEST

/* An upstream that takes no new connection (its accept queue full, so
 * the kernel drops the SYNs and connect() never completes): a 504 in the
 * upstream's time (800 ms here; the connection's own limit is 1 s), not a
 * request hanging on the connect. */
START_TEST(connect_timeout_504)
{
	enum { FILL = 160 }; /* more than the peer's listen backlog, 128 */
	struct t_resp r;
	int fds[FILL], i, took;
	int64_t t0;

	for (i = 0; i < FILL; i++) { /* nobody accepts in this process */
		fds[i] = t_connect_loopback(peer.port, 1);
		ck_assert_int_ge(fds[i], 0);
	}
	t_sleep_ms(100); /* the first 129 are in the queue, the rest wait */
	t0 = t_mono_ms();
	call_unserved("GET", "/v1/raw/plain", NULL, &r);
	took = (int)(t_mono_ms() - t0);
	assert_problem(&r, 504, "gateway-timeout");
	t_resp_free(&r);
	ck_assert_msg(took >= 750 && took < 2500, "504 after %d ms", took);
	for (i = 0; i < FILL; i++)
		close(fds[i]);
}
END_TEST

/* The native client's pools in /metrics (gw_upstream_connections_*):
 * three requests in a row on one worker open one connection, send the
 * next two on it, and leave it idle in the pool. */
START_TEST(pool_metrics)
{
	static const char lab[] = "upstream=\"raw\"";
	struct t_resp r;
	char *m0, *m1;
	int i;

	m0 = t_metrics_text(&gw);
	ck_assert_ptr_nonnull(m0);
	for (i = 0; i < 3; i++) {
		call("GET", "/v1/raw/plain", NULL, &r);
		ck_assert_int_eq(r.status, 200);
		t_resp_free(&r);
	}
	m1 = t_metrics_text(&gw);
	ck_assert_ptr_nonnull(m1);
	/* one connection reached the peer of this test (a kept one from
	 * an earlier test, whose peer is gone, is retried on a new one) */
	ck_assert_int_eq(atomic_load(&peer.connections), 1);
	ck_assert_int_ge(
	    t_metric(m1, "gw_upstream_connections_opened_total", lab) -
	        t_metric(m0, "gw_upstream_connections_opened_total", lab),
	    1);
	ck_assert_int_ge(
	    t_metric(m1, "gw_upstream_connections_reused_total", lab) -
	        t_metric(m0, "gw_upstream_connections_reused_total", lab),
	    2);
	ck_assert_int_eq(t_metric(m1, "gw_upstream_connections_idle", lab), 1);
	free(m0);
	free(m1);
}
END_TEST

static TCase *
tests(const char *name, void (*setup)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, setup, gateway_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, chunked_answer_joined);
	tcase_add_test(tc, stale_kept_connection_retried);
	tcase_add_test(tc, answer_too_large_502);
	tcase_add_test(tc, slow_upstream_504_in_time);
	tcase_add_test(tc, malformed_status_502);
	tcase_add_test(tc, connect_timeout_504);
	return tc;
}

int
main(void)
{
	Suite *s = suite_create("gateway_upstream");
	SRunner *sr;
	TCase *tc;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tc = tests("native", native_setup);
	tcase_add_test(tc, pool_metrics); /* the native client's own */
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tests("curl", curl_setup));
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
