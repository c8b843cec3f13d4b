/*
 * Integration suite of the gateway's REST proxy: the gateway and the
 * funding service as real processes (PostgreSQL, Redis from
 * scripts/test.sh), plus a peer upstream in this process that records what
 * reaches it, for what no service shows yet (headers as received, a slow
 * or huge answer, a dropped connection).
 *
 *   /v1/funding -> the funding service (the gateway answers 404 itself
 *                  for what is not in its route table)
 *   /v1/gender  -> the peer, named "localhost" (a host name, not an IP),
 *                  behind the gateway's authenticated catch-all: requests
 *                  carry a test token (auth)
 *   /v1/cases   -> not configured (503)
 *
 * One gateway and one funding for the suite (unchecked fixture); stopping
 * funding is the last test. The peer's listening socket is made once; each
 * test that needs the peer serves it from a thread of its own process
 * (Check forks a process per test).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "support.h"

static struct t_proc funding, gw;
static char env_upstreams[256];
static const char *const funding_env[] = {"MP_WORKERS=2", NULL};
static const char *gw_env[8];

static const char json_ct[] = "Content-Type: application/json";
/* "Authorization: Bearer <t_token>" for the authenticated /v1/gender
 * catch-all, made in suite_setup (inherited by every test's process). */
static char auth[4096];
static const char *auth_only[] = {auth, NULL};

/* ---- the peer upstream --------------------------------------------------- */

static struct {
	int lfd;
	int port;
	pthread_mutex_t mu;
	int accepts;
	int early_eof; /* the gateway hung up while the answer was held back */
	char last[16384]; /* last request as received: head and body */
	size_t last_len;
} peer = {.lfd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

static int
send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Serve one connection: requests in a row (keep-alive). The path says
 * what to do: .../peer/sleep/<ms> holds the answer back (and notices the
 * gateway hanging up), .../peer/big/<bytes> answers that many bytes, anything
 * else answers 201 "peer-ok" with end-to-end and hop-by-hop headers. */
static void *
peer_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384], head[512], path[1024];
	const char *cl;
	size_t have = 0, hlen, blen, i;
	long v;

	for (;;) {
		if (t_peer_read_request(fd, buf, sizeof(buf), &have, &hlen,
		                        &blen) != 0)
			goto out;
		buf[hlen - 1] = '\0';
		if (t_peer_ops_answer(fd, buf, t_peer_routes("gender")))
			goto out;
		buf[hlen - 1] = '\n';
		pthread_mutex_lock(&peer.mu);
		memcpy(peer.last, buf, hlen + blen);
		peer.last_len = hlen + blen;
		peer.last[peer.last_len < sizeof(peer.last)
		              ? peer.last_len
		              : sizeof(peer.last) - 1] = '\0';
		pthread_mutex_unlock(&peer.mu);
		if (sscanf(buf, "%*s %1023s", path) != 1)
			goto out;
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;

		if ((cl = strstr(path, "/peer/sleep/")) != NULL) {
			struct pollfd pfd = {fd, POLLIN, 0};

			v = strtol(cl + 12, NULL, 10);
			if (poll(&pfd, 1, (int)v) > 0 &&
			    recv(fd, buf, 1, MSG_PEEK) == 0) {
				pthread_mutex_lock(&peer.mu);
				peer.early_eof++;
				pthread_mutex_unlock(&peer.mu);
				goto out;
			}
			snprintf(head, sizeof(head),
			         "HTTP/1.1 200 OK\r\n"
			         "Content-Length: 5\r\n\r\nslept");
			if (send_all(fd, head, strlen(head)) != 0)
				goto out;
		} else if ((cl = strstr(path, "/peer/big/")) != NULL ||
		           (cl = strstr(path, "/peer/stream/")) != NULL) {
			/* big: announced length; stream: until close */
			int stream = cl[6] == 's';
			char chunk[65536];

			v = strtol(cl + (stream ? 13 : 10), NULL, 10);
			if (stream)
				snprintf(head, sizeof(head),
				         "HTTP/1.1 200 OK"
				         "\r\nConnection: close\r\n\r\n");
			else
				snprintf(
				    head, sizeof(head),
				    "HTTP/1.1 200 OK"
				    "\r\nContent-Type: application/octet-"
				    "stream\r\nContent-Length: %ld\r\n\r\n",
				    v);
			if (send_all(fd, head, strlen(head)) != 0)
				goto out;
			memset(chunk, 'x', sizeof(chunk));
			for (i = 0; i < (size_t)v; i += sizeof(chunk))
				if (send_all(fd, chunk,
				             (size_t)v - i < sizeof(chunk)
				                 ? (size_t)v - i
				                 : sizeof(chunk)) != 0)
					goto out;
			if (stream)
				goto out;
		} else {
			snprintf(head, sizeof(head),
			         "HTTP/1.1 201 Created\r\n"
			         "Content-Type: text/plain\r\n"
			         "Connection: X-Hop\r\n"
			         "X-Hop: secret\r\n"
			         "Keep-Alive: timeout=5\r\n"
			         "Server: peer\r\n"
			         "X-Upstream: peer\r\n"
			         "Content-Length: 7\r\n\r\npeer-ok");
			if (send_all(fd, head, strlen(head)) != 0)
				goto out;
		}
	}
out:
	close(fd);
	return NULL;
}

static void
peer_counted(void)
{
	pthread_mutex_lock(&peer.mu);
	peer.accepts++;
	pthread_mutex_unlock(&peer.mu);
}

/* Serve the peer from this process (once per process). */
static void
peer_serve(void)
{
	(void)t_peer_serve(peer.lfd, peer_conn, peer_counted);
}

static int
peer_count(const int *field)
{
	int v;

	pthread_mutex_lock(&peer.mu);
	v = *field;
	pthread_mutex_unlock(&peer.mu);
	return v;
}

/* Copy of the last request the peer received. */
static void
peer_last(char *out, size_t outlen)
{
	pthread_mutex_lock(&peer.mu);
	snprintf(out, outlen, "%s", peer.last);
	pthread_mutex_unlock(&peer.mu);
}

static int
peer_listen(void)
{
	return (peer.lfd = t_listen_loopback(&peer.port)) < 0 ? -1 : 0;
}

/* ---- fixture ---------------------------------------------------------------
 */

static void
suite_setup(void)
{
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
	{
		char *tok = t_token("gwtest-user", "mediator", "souss-massa");

		if (tok == NULL) {
			fprintf(stderr, "cannot sign a test token\n");
			exit(1);
		}
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
		free(tok);
	}
	if (peer_listen() != 0) {
		fprintf(stderr, "peer upstream: cannot listen\n");
		exit(1);
	}
	if (t_service_start(&funding, "funding", funding_env) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
	snprintf(env_upstreams, sizeof(env_upstreams),
	         "MP_UPSTREAMS=funding=http://127.0.0.1:%d,"
	         "gender=http://localhost:%d/,cases=",
	         funding.port, peer.port);
	gw_env[j++] = env_upstreams;
	gw_env[j] = NULL;
	/* the peer serves its route table while the gateway loads it */
	if (t_peer_ops_start(peer.lfd, t_peer_routes("gender")) != 0 ||
	    t_gateway_start(&gw, "gwtest-gateway", gw_env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		t_proc_stop(&funding);
		exit(1);
	}
	t_peer_ops_stop();
}

static void
suite_teardown(void)
{
	t_proc_stop(&gw);
	t_proc_stop(&funding);
}

/* ---- helpers
 * ----------------------------------------------------------------- */

/* How many response headers are called `name`. */
static int
header_count(const struct t_resp *r, const char *name)
{
	const char *line = r->headers;
	size_t nlen = strlen(name);
	int n = 0;

	while (line != NULL && *line != '\0') {
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':')
			n++;
		line = strstr(line, "\r\n");
		if (line != NULL)
			line += 2;
	}
	return n;
}

/* 1 if the raw request `req` has a header line starting with `line`
 * (case-insensitive name). */
static int
has_line(const char *req, const char *line)
{
	const char *p = req;
	size_t len = strlen(line);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, line, len) == 0)
			return 1;
	}
	return 0;
}

/* ---- tests
 * ------------------------------------------------------------------- */

START_TEST(funding_problem_forwarded)
{
	const char *hdr[] = {"X-Request-Id: gw-req-404", NULL};
	struct t_resp r;
	char v[128];

	ck_assert_int_eq(t_http(&gw, "GET", "/v1/funding/gw-probe?x=1&y=%20",
	                        hdr, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(t_resp_header(&r, "Content-Type", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "application/problem+json");
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(t_jstr(r.json, "type"), "urn:mp:problem:not-found");
	ck_assert_str_eq(t_jstr(r.json, "instance"), "/v1/funding/gw-probe");
	/* funding saw the id the client chose... */
	ck_assert_str_eq(t_jstr(r.json, "request_id"), "gw-req-404");
	/* ...and the client gets it back once */
	ck_assert_int_eq(t_resp_header(&r, "X-Request-Id", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "gw-req-404");
	ck_assert_int_eq(header_count(&r, "X-Request-Id"), 1);
	ck_assert_int_eq(header_count(&r, "Content-Length"), 1);
	ck_assert_int_eq(header_count(&r, "Server"), 1);
	t_resp_free(&r);
}
END_TEST

START_TEST(funding_post_forwarded)
{
	const char *hdr[] = {json_ct, NULL};
	const char body[] = "{\"title\":\"gateway probe\",\"amount\":1200}";
	struct t_resp r;
	char v[128];

	ck_assert_int_eq(t_http(&gw, "POST", "/v1/funding/gw-probe/items", hdr,
	                        body, strlen(body), &r),
	                 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(t_jstr(r.json, "type"), "urn:mp:problem:not-found");
	ck_assert_str_eq(t_jstr(r.json, "instance"),
	                 "/v1/funding/gw-probe/items");
	ck_assert_int_eq(t_resp_header(&r, "X-Request-Id", v, sizeof(v)), 0);
	ck_assert_str_eq(t_jstr(r.json, "request_id"), v);
	t_resp_free(&r);
}
END_TEST

START_TEST(request_forwarded_end_to_end)
{
	const char *hdr[] = {json_ct,
	                     "X-Request-Id: gw-req-e2e",
	                     "Connection: keep-alive, X-Drop-Me",
	                     "X-Drop-Me: 1",
	                     "Keep-Alive: timeout=99",
	                     "Proxy-Authorization: Basic eDp5",
	                     "X-Forwarded-For: 203.0.113.7",
	                     "If-Match: \"v7\"",
	                     "If-None-Match: \"v6\"",
	                     "Accept: application/json",
	                     "Accept-Language: ar",
	                     "traceparent: 00-0af7651916cd43dd8448eb211c80319c-"
	                     "b7ad6b7169203331-01",
	                     auth,
	                     NULL};
	const char body[] = "{\"k\":\"v\",\"n\":[1,2,3]}";
	char seen[16384], v[128],
	    line[128] = "PATCH /v1/gender/peer/echo"
	                "?a=1&b=%C3%A9 HTTP/1.1\r\n";
	struct t_resp r;

	peer_serve();
	ck_assert_int_eq(t_http(&gw, "PATCH",
	                        "/v1/gender/peer/echo?a=1&b=%C3%A9", hdr, body,
	                        strlen(body), &r),
	                 0);
	ck_assert_int_eq(r.status, 201);
	ck_assert_uint_eq(r.len, 7);
	ck_assert_str_eq(r.body, "peer-ok");

	/* what the upstream received */
	peer_last(seen, sizeof(seen));
	ck_assert_msg(strncmp(seen, line, strlen(line)) == 0,
	              "request line: %.60s", seen);
	ck_assert(has_line(seen, "X-Request-Id: gw-req-e2e\r\n"));
	ck_assert(
	    has_line(seen, "X-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n"));
	ck_assert(has_line(seen, "Content-Type: application/json\r\n"));
	ck_assert(has_line(seen, "If-Match: \"v7\"\r\n"));
	ck_assert(has_line(seen, "If-None-Match: \"v6\"\r\n"));
	ck_assert(has_line(seen, "Accept: application/json\r\n"));
	ck_assert(has_line(seen, "Accept-Language: ar\r\n"));
	/* the same trace, the gateway's own span */
	ck_assert(has_line(seen,
	                   "traceparent: 00-0af7651916cd43dd8448eb211c80319c"
	                   "-"));
	ck_assert(!has_line(seen,
	                    "traceparent: 00-0af7651916cd43dd8448eb211c80319c"
	                    "-b7ad6b7169203331-01\r\n"));
	snprintf(line, sizeof(line), "Content-Length: %zu\r\n", strlen(body));
	ck_assert(has_line(seen, line));
	ck_assert(!has_line(seen, "X-Drop-Me"));
	ck_assert(!has_line(seen, "Keep-Alive"));
	ck_assert(!has_line(seen, "Proxy-Authorization"));
	ck_assert(!has_line(seen, "Expect"));
	snprintf(line, sizeof(line), "Host: localhost:%d\r\n", peer.port);
	ck_assert(has_line(seen, line)); /* not the client's Host */
	ck_assert_ptr_nonnull(
	    strstr(seen, "\r\n\r\n{\"k\":\"v\",\"n\":[1,2,3]}"));

	/* what the client received */
	ck_assert_int_eq(t_resp_header(&r, "X-Upstream", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "peer");
	ck_assert_int_eq(header_count(&r, "X-Hop"), 0);
	ck_assert_int_eq(t_resp_header(&r, "Keep-Alive", v, sizeof(v)), 0);
	ck_assert_str_ne(v, "timeout=5"); /* Kore's own, not the upstream's */
	ck_assert_int_eq(header_count(&r, "Keep-Alive"), 1);
	ck_assert_int_eq(header_count(&r, "Server"), 1);
	ck_assert_int_eq(t_resp_header(&r, "Server", v, sizeof(v)), 0);
	ck_assert_str_ne(v, "peer");
	ck_assert_int_eq(header_count(&r, "Content-Length"), 1);
	ck_assert_int_eq(t_resp_header(&r, "X-Request-Id", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "gw-req-e2e");
	t_resp_free(&r);
}
END_TEST

START_TEST(body_without_type_stays_untyped)
{
	const char *hdr[] = {"Content-Type:", auth, NULL}; /* the client sends
	                                                     none */
	char seen[16384];
	struct t_resp r;

	peer_serve();
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/v1/gender/peer/raw", hdr, "abc", 3, &r), 0);
	ck_assert_int_eq(r.status, 201);
	t_resp_free(&r);
	peer_last(seen, sizeof(seen));
	ck_assert_msg(strncmp(seen, "POST /v1/gender/peer/raw ", 25) == 0,
	              "request line: %.40s", seen);
	ck_assert(!has_line(seen, "Content-Type"));
	ck_assert(has_line(seen, "Content-Length: 3\r\n"));
	ck_assert_ptr_nonnull(strstr(seen, "\r\n\r\nabc"));
	/* an empty POST still says so */
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/v1/gender/peer/empty", auth_only, "", 0, &r),
	    0);
	ck_assert_int_eq(r.status, 201);
	t_resp_free(&r);
	peer_last(seen, sizeof(seen));
	ck_assert(has_line(seen, "Content-Length: 0\r\n"));
}
END_TEST

START_TEST(connections_reused)
{
	struct t_resp r;
	int before, i;

	peer_serve();
	before = peer_count(&peer.accepts);
	for (i = 0; i < 12; i++) {
		ck_assert_int_eq(t_http(&gw, "GET", "/v1/gender/peer/again",
		                        auth_only, NULL, 0, &r),
		                 0);
		ck_assert_int_eq(r.status, 201);
		t_resp_free(&r);
	}
	/* at most one new connection per gateway worker */
	ck_assert_int_le(peer_count(&peer.accepts) - before, 2);
}
END_TEST

START_TEST(unconfigured_upstream_503)
{
	struct t_resp r;
	char v[64];

	ck_assert_int_eq(
	    t_http(&gw, "GET", "/v1/cases/anything", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(t_resp_header(&r, "Content-Type", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "application/problem+json");
	ck_assert_str_eq(t_jstr(r.json, "type"),
	                 "urn:mp:problem:upstream-not-configured");
	ck_assert_int_eq(
	    (int)json_integer_value(json_object_get(r.json, "status")), 503);
	t_resp_free(&r);
}
END_TEST

START_TEST(large_answer_capped)
{
	struct t_resp r;

	peer_serve();
	/* 1 MB passes whole */
	ck_assert_int_eq(t_http(&gw, "GET", "/v1/gender/peer/big/1000000",
	                        auth_only, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 1000000);
	t_resp_free(&r);
	/* over 8 MiB: 502, and the worker lives on */
	ck_assert_int_eq(t_http(&gw, "GET", "/v1/gender/peer/big/9000000",
	                        auth_only, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 502);
	ck_assert_str_eq(t_jstr(r.json, "type"), "urn:mp:problem:bad-gateway");
	t_resp_free(&r);
	/* the same without a length: counted while it arrives */
	ck_assert_int_eq(t_http(&gw, "GET", "/v1/gender/peer/stream/3000000",
	                        auth_only, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 3000000);
	ck_assert_int_eq(header_count(&r, "Connection"), 1); /* Kore's */
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&gw, "GET", "/v1/gender/peer/stream/9000000",
	                        auth_only, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 502);
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&gw, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
}
END_TEST

static size_t
discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

START_TEST(client_gone_ends_upstream_call)
{
	char url[256];
	struct t_resp r;
	uint64_t t0;
	CURL *c;
	CURLcode rc;

	peer_serve();
	snprintf(url, sizeof(url),
	         "http://127.0.0.1:%d/v1/gender/peer/sleep/"
	         "8000",
	         gw.port);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, curl_slist_append(NULL, auth));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	ck_assert_int_eq(rc, CURLE_OPERATION_TIMEDOUT);
	/* the gateway drops its upstream call with the request */
	t0 = t_mono_ms();
	while (peer_count(&peer.early_eof) == 0 && t_mono_ms() - t0 < 3000)
		t_sleep_ms(20);
	ck_assert_int_eq(peer_count(&peer.early_eof), 1);
	ck_assert_int_eq(
	    t_http(&gw, "GET", "/v1/gender/peer/after", auth_only, NULL, 0, &r),
	    0);
	ck_assert_int_eq(r.status, 201);
	t_resp_free(&r);
}
END_TEST

START_TEST(slow_upstream_504)
{
	struct t_resp r;
	uint64_t t0 = t_mono_ms(), took;

	peer_serve();
	ck_assert_int_eq(t_http(&gw, "GET", "/v1/gender/peer/sleep/15000",
	                        auth_only, NULL, 0, &r),
	                 0);
	took = t_mono_ms() - t0;
	ck_assert_int_eq(r.status, 504);
	ck_assert_str_eq(t_jstr(r.json, "type"),
	                 "urn:mp:problem:gateway-timeout");
	ck_assert_msg(took >= 9500 && took < 13000, "took %llu ms",
	              (unsigned long long)took);
	t_resp_free(&r);
}
END_TEST

struct par_req {
	CURL *c;
	struct curl_slist *h;
	char id[32];
	char rid[64]; /* X-Request-Id of the answer */
};

static size_t
par_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct par_req *q = arg;
	size_t len = size * n, v;

	if (len > 14 && strncasecmp(ptr, "X-Request-Id: ", 14) == 0) {
		for (v = 14; v < len && ptr[v] != '\r' && ptr[v] != '\n' &&
		             v - 14 < sizeof(q->rid) - 1;
		     v++)
			q->rid[v - 14] = ptr[v];
		q->rid[v - 14] = '\0';
	}
	return len;
}

/* 200 requests, 64 at a time, through one client multi handle: each gets
 * funding's answer with its own request id. */
START_TEST(parallel_requests)
{
	enum { TOTAL = 200, PAR = 64 };
	struct par_req q[TOTAL];
	struct t_resp r;
	CURLM *m = curl_multi_init();
	CURLMsg *msg;
	char url[256], line[64];
	int started = 0, running = 0, done = 0, ok = 0, left, i;
	long code;

	memset(q, 0, sizeof(q));
	while (done < TOTAL) {
		while (started < TOTAL && running < PAR) {
			i = started++;
			snprintf(q[i].id, sizeof(q[i].id), "par-%d", i);
			snprintf(url, sizeof(url),
			         "http://127.0.0.1:%d/v1/"
			         "funding/par/%d",
			         gw.port, i);
			snprintf(line, sizeof(line), "X-Request-Id: %s",
			         q[i].id);
			q[i].h = curl_slist_append(NULL, line);
			q[i].c = curl_easy_init();
			curl_easy_setopt(q[i].c, CURLOPT_URL, url);
			curl_easy_setopt(q[i].c, CURLOPT_HTTPHEADER, q[i].h);
			curl_easy_setopt(q[i].c, CURLOPT_WRITEFUNCTION,
			                 discard);
			curl_easy_setopt(q[i].c, CURLOPT_HEADERFUNCTION,
			                 par_header);
			curl_easy_setopt(q[i].c, CURLOPT_HEADERDATA, &q[i]);
			curl_easy_setopt(q[i].c, CURLOPT_TIMEOUT, 20L);
			curl_easy_setopt(q[i].c, CURLOPT_PRIVATE,
			                 (char *)&q[i]);
			curl_multi_add_handle(m, q[i].c);
			running++;
		}
		curl_multi_perform(m, &left);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			char *priv = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			                  &priv);
			code = 0;
			curl_easy_getinfo(msg->easy_handle,
			                  CURLINFO_RESPONSE_CODE, &code);
			struct par_req *pq = (struct par_req *)(void *)priv;
			if (msg->data.result == CURLE_OK && code == 404 &&
			    strcmp(pq->rid, pq->id) == 0)
				ok++;
			curl_multi_remove_handle(m, msg->easy_handle);
			running--;
			done++;
		}
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	for (i = 0; i < TOTAL; i++) {
		curl_easy_cleanup(q[i].c);
		curl_slist_free_all(q[i].h);
	}
	curl_multi_cleanup(m);
	ck_assert_int_eq(ok, TOTAL);
	ck_assert_int_eq(t_http(&gw, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
}
END_TEST

/* No worker of the gateway died (a seccomp kill or a fatal) so far. */
/* The gateway's own communes (gateway/migrations/0004_communes.sql, what
 * /auth/register accepts) are funding's, region by region: two copies of
 * one reference list cannot drift apart unnoticed. */
START_TEST(communes_equal_funding)
{
	static const char *const regions[] = {"souss-massa", "oriental", NULL};
	char url[256], path[128];
	const char *v[1];
	struct t_resp r;
	PGconn *pg;
	PGresult *res;
	json_t *item;
	size_t i;
	int k;

	t_db_url("gateway", url, sizeof(url));
	pg = PQconnectdb(url);
	ck_assert_int_eq(PQstatus(pg), CONNECTION_OK);
	for (k = 0; regions[k] != NULL; k++) {
		snprintf(path, sizeof(path), "/v1/funding/regions/%s/communes",
		         regions[k]);
		ck_assert_int_eq(t_http(&gw, "GET", path, NULL, NULL, 0, &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		v[0] = regions[k];
		res = PQexecParams(pg,
		                   "SELECT code FROM communes WHERE "
		                   "region = $1 ORDER BY code",
		                   1, NULL, v, NULL, NULL, 0);
		ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
		ck_assert_int_gt(PQntuples(res), 0);
		ck_assert_msg(
		    (size_t)PQntuples(res) ==
		        json_array_size(json_object_get(r.json, "items")),
		    "%s: %d communes at the "
		    "gateway, funding lists %s",
		    regions[k], PQntuples(res), r.body);
		json_array_foreach(json_object_get(r.json, "items"), i, item)
		    ck_assert_str_eq(
		        json_string_value(json_object_get(item, "code")),
		        PQgetvalue(res, (int)i, 0));
		PQclear(res);
		t_resp_free(&r);
	}
	PQfinish(pg);
}
END_TEST

/* /metrics and /_routes are not on the public port: an ops listener
 * (MP_OPS_PORT) serves them, and only them with the probes. */
START_TEST(ops_listener_only)
{
	static const char *const ops_only[] = {"/metrics", "/_routes", NULL};
	struct t_proc ops = t_ops(&gw);
	struct t_resp r;
	int i;

	ck_assert_int_gt(ops.port, 0);
	for (i = 0; ops_only[i] != NULL; i++) {
		ck_assert_int_eq(
		    t_http(&gw, "GET", ops_only[i], NULL, NULL, 0, &r), 0);
		ck_assert_msg(r.status == 404, "public %s: %ld", ops_only[i],
		              r.status);
		ck_assert_ptr_nonnull(strcasestr(
		    r.headers, "content-type: application/problem+json"));
		t_resp_free(&r);
		ck_assert_int_eq(
		    t_http(&ops, "GET", ops_only[i], NULL, NULL, 0, &r), 0);
		ck_assert_msg(r.status == 200, "ops %s: %ld", ops_only[i],
		              r.status);
		t_resp_free(&r);
	}
	ck_assert_int_eq(t_http(&ops, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	ck_assert_ptr_nonnull(strstr(r.body, "service=\"gateway\""));
	t_resp_free(&r);
	/* the probes answer on both; the API only on the public one */
	ck_assert_int_eq(t_http(&ops, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&gw, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	ck_assert_int_eq(
	    t_http(&ops, "GET", "/v1/funding/themes", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	ck_assert_int_eq(
	    t_http(&ops, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r),
	    0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
}
END_TEST

/* A header block over 8 KB is answered 431 (problem+json), not reset;
 * one just under passes. */
START_TEST(header_block_limit_431)
{
	static char big[9000], fits[7600];
	const char *hdr[2] = {NULL, NULL};
	struct t_resp r;

	snprintf(big, sizeof(big), "X-Padding: %0*d", (int)sizeof(big) - 13, 0);
	hdr[0] = big;
	ck_assert_int_eq(
	    t_http(&gw, "GET", "/v1/funding/themes", hdr, NULL, 0, &r), 0);
	ck_assert_msg(r.status == 431, "9 KB of headers: %ld", r.status);
	ck_assert_ptr_nonnull(
	    strcasestr(r.headers, "content-type: application/problem+json"));
	ck_assert_ptr_nonnull(strstr(r.body, "header-too-large"));
	t_resp_free(&r);
	/* on the gateway's own routes too */
	ck_assert_int_eq(
	    t_http(&gw, "GET", "/.well-known/jwks.json", hdr, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 431);
	t_resp_free(&r);
	snprintf(fits, sizeof(fits), "X-Padding: %0*d", (int)sizeof(fits) - 13,
	         0);
	hdr[0] = fits;
	ck_assert_int_eq(
	    t_http(&gw, "GET", "/v1/funding/themes", hdr, NULL, 0, &r), 0);
	ck_assert_msg(r.status == 200, "7.6 KB of headers: %ld %s", r.status,
	              r.body);
	t_resp_free(&r);
}
END_TEST

START_TEST(no_worker_died)
{
	ck_assert_int_eq(t_proc_worker_restarts(&gw), 0);
}
END_TEST

START_TEST(gateway_healthz)
{
	struct t_resp r;

	ck_assert_int_eq(t_http(&gw, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(t_jstr(r.json, "service"), "gateway");
	t_resp_free(&r);
}
END_TEST

/* 1 when process pid has exited (a zombie not yet reaped, or gone). */
static int
proc_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* "pid (comm) S ..." */
	return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* Last: stops funding. */
START_TEST(upstream_down_502)
{
	const char *no_cache[] = {"Cache-Control: no-cache", NULL};
	struct t_resp r;
	uint64_t t0;
	int i;

	ck_assert_int_gt(funding.pid, 0);
	kill(funding.pid, SIGTERM);
	/* gone once its parent has exited, which it does after its last
	 * worker: a refused or reset connection alone may come from one
	 * worker while the other still drains (and answers 503 on the
	 * gateway's kept connection). This process is not funding's parent
	 * (each test is a fork): it sees a zombie, not an exit status. */
	for (i = 0; i < 200 && !proc_gone(funding.pid); i++)
		t_sleep_ms(100);
	ck_assert_msg(proc_gone(funding.pid), "funding did not stop");
	t0 = t_mono_ms();
	ck_assert_int_eq(
	    t_http(&gw, "GET", "/v1/funding/themes", no_cache, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 502);
	ck_assert_str_eq(t_jstr(r.json, "type"), "urn:mp:problem:bad-gateway");
	ck_assert_uint_lt(t_mono_ms() - t0, 3000);
	t_resp_free(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gateway");
	TCase *tc = tcase_create("proxy");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, funding_problem_forwarded);
	tcase_add_test(tc, funding_post_forwarded);
	tcase_add_test(tc, request_forwarded_end_to_end);
	tcase_add_test(tc, body_without_type_stays_untyped);
	tcase_add_test(tc, connections_reused);
	tcase_add_test(tc, unconfigured_upstream_503);
	tcase_add_test(tc, large_answer_capped);
	tcase_add_test(tc, client_gone_ends_upstream_call);
	tcase_add_test(tc, slow_upstream_504);
	tcase_add_test(tc, parallel_requests);
	tcase_add_test(tc, gateway_healthz);
	tcase_add_test(tc, communes_equal_funding);
	tcase_add_test(tc, ops_listener_only);
	tcase_add_test(tc, header_block_limit_431);
	tcase_add_test(tc, no_worker_died);
	tcase_add_test(tc, upstream_down_502);
	suite_add_tcase(s, tc);
	return t_run(s);
}
