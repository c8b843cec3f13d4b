/*
 * Integration suite of the Foundation: the test application
 * (tests/app) on real PostgreSQL and Redis, driven over HTTP.
 * One process is started for the whole suite (unchecked fixture); tests
 * that kill or stop things restore them before they end.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <poll.h>
#include <signal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <jwt.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "mp/jwt.h"
#include "support.h"

static struct t_proc app;
static char env_db[256], env_redis[128], env_keys[512], env_crash[300];
static char crash_flag[256];
static const char *app_env[16];

static const char json_ct[] = "Content-Type: application/json";

static void
app_setup(void)
{
	char url[200];
	int i = 0;

	t_db_url("testapp", url, sizeof(url));
	snprintf(env_db, sizeof(env_db), "MP_DB_URL=%s", url);
	snprintf(env_redis, sizeof(env_redis), "MP_REDIS_URL=%s",
	         getenv("MP_TEST_REDIS_URL"));
	snprintf(env_keys, sizeof(env_keys),
	         "MP_JWT_KEYS=test-rs-1:RS256:%s/test-rs-1.pub.pem,"
	         "test-es-1:ES256:%s/test-es-1.pub.pem",
	         getenv("MP_TEST_KEYS"), getenv("MP_TEST_KEYS"));
	t_var_path("crash-before-ack", crash_flag, sizeof(crash_flag));
	snprintf(env_crash, sizeof(env_crash), "MP_FAULT_CRASH_BEFORE_ACK=%s",
	         crash_flag);
	app_env[i++] = env_db;
	app_env[i++] = env_redis;
	app_env[i++] = env_keys;
	app_env[i++] = env_crash;
	app_env[i++] = "MP_JWT_ISSUER=https://auth.test";
	app_env[i++] = "MP_JWT_AUDIENCE=mp-api";
	app_env[i++] = "MP_MIGRATIONS_DIR=tests/app/migrations";
	app_env[i++] = "MP_CONSUMER_CLAIM_IDLE_MS=400";
	app_env[i++] = "MP_OUTBOX_SWEEP_MS=200";
	app_env[i++] = "MP_BODY_MAX=65536";
	app_env[i++] = "MP_CONSUMER_MAX_DELIVERIES=3";
	app_env[i++] = "MP_WORKERS=2";
	app_env[i] = NULL;
	if (t_proc_start(&app, "testapp", "tests/app/testapp.conf", app_env) !=
	    0) {
		fprintf(stderr, "testapp did not become ready\n");
		exit(1);
	}
}

static void
app_teardown(void)
{
	t_proc_stop(&app);
}

/* POST an item; returns its id (static buffer) or NULL. */
static const char *
create_item(const char *name)
{
	static char id[64];
	char body[256];
	const char *hdr[] = {json_ct, NULL};
	struct t_resp r;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"qty\":7}", name);
	if (t_http(&app, "POST", "/v1/test/items", hdr, body, strlen(body),
	           &r) != 0 ||
	    r.status != 201 || r.json == NULL) {
		t_resp_free(&r);
		return NULL;
	}
	snprintf(id, sizeof(id), "%s",
	         json_string_value(json_object_get(r.json, "id")));
	t_resp_free(&r);
	return id;
}

static long long
effects_of(const char *id)
{
	char path[128];
	struct t_resp r;
	long long n = -1;

	snprintf(path, sizeof(path), "/v1/test/effects/%s", id);
	if (t_http(&app, "GET", path, NULL, NULL, 0, &r) == 0 &&
	    r.status == 200)
		n = json_integer_value(json_object_get(r.json, "count"));
	t_resp_free(&r);
	return n;
}

/* Wait until the item's effect count reaches want (or 15 s pass). */
static long long
wait_effects(const char *id, long long want)
{
	long long n = -1;

	for (int i = 0; i < 150; i++) {
		if ((n = effects_of(id)) >= want)
			break;
		t_sleep_ms(100);
	}
	return n;
}

START_TEST(async_query)
{
	struct t_resp r;

	ck_assert_int_eq(
	    t_http(&app, "GET", "/v1/test/sum?a=2&b=40", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(r.json);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "sum")),
	                 42);
	t_resp_free(&r);
}
END_TEST

START_TEST(request_id_echoed_or_generated)
{
	const char *hdr[] = {"X-Request-Id: abc-123.x", NULL};
	const char *bad[] = {"X-Request-Id: <script>", NULL};
	struct t_resp r;
	char v[128];

	t_http(&app, "GET", "/v1/test/sum?a=1&b=1", hdr, NULL, 0, &r);
	ck_assert_int_eq(t_resp_header(&r, "X-Request-Id", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "abc-123.x");
	t_resp_free(&r);
	t_http(&app, "GET", "/v1/test/sum?a=1&b=1", bad, NULL, 0, &r);
	ck_assert_int_eq(t_resp_header(&r, "X-Request-Id", v, sizeof(v)), 0);
	ck_assert_int_eq((int)strlen(v), 36); /* a generated UUID */
	t_resp_free(&r);
}
END_TEST

START_TEST(unknown_route_and_method)
{
	struct t_resp r;
	char allow[64];

	t_http(&app, "GET", "/v1/test/nothing", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")),
	                 "urn:mp:problem:not-found");
	t_resp_free(&r);
	t_http(&app, "DELETE", "/v1/test/items", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_int_eq(t_resp_header(&r, "Allow", allow, sizeof(allow)), 0);
	ck_assert_str_eq(allow, "POST");
	t_resp_free(&r);
}
END_TEST

/* A request that comes in several writes is read to its end, a body
 * after its headers too: the worker skips the empty read after a short one only
 * within one wake-up (lib/src/kore/netio.c), so bytes arriving later are not
 * left unread. Each piece comes 30 ms after the last, well after the worker
 * read the one before. */
START_TEST(request_in_pieces)
{
	const char *get[] = {"GET /v1/test/sum?a=2&b=40 HTTP/1.1\r\nHo",
	                     "st: t\r\n", "\r", "\n", NULL};
	const char *post[] = {
	    "POST /v1/test/echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
	    "application/json\r\nContent-Length: 25\r\n\r\n",
	    "{\"name\":\"pi", "eces\",\"qty\":3}", NULL};
	json_t *body;
	char *out;

	ck_assert_int_eq(t_raw_exchange(&app, get, 30, 1, &out), 1);
	ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "%.200s", out);
	body = json_loads(strstr(out, "\r\n\r\n") + 4, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(body, "sum")), 42);
	json_decref(body);
	free(out);
	ck_assert_int_eq(t_raw_exchange(&app, post, 30, 1, &out), 1);
	ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "%.200s", out);
	ck_assert_ptr_nonnull(strstr(out, "pieces"));
	free(out);
}
END_TEST

/* Headers a handler adds all reach the client, in order, past the first
 * buffer; a replaced one is sent once; a name or value that would split
 * the block is dropped, never sent. */
START_TEST(response_headers_block)
{
	struct t_resp r;
	char v[160], want[160], name[32];
	int i;

	ck_assert_int_eq(
	    t_http(&app, "GET", "/v1/test/headers", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "X-Many-%d", i);
		snprintf(want, sizeof(want), "%d-%0*d", i, 90, 0);
		ck_assert_int_eq(t_resp_header(&r, name, v, sizeof(v)), 0);
		ck_assert_str_eq(v, want);
	}
	ck_assert_int_eq(t_resp_header(&r, "X-Set", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "second");
	ck_assert_ptr_null(
	    strcasestr(strcasestr(r.headers, "X-Set:") + 1, "X-Set:"));
	ck_assert_ptr_null(strcasestr(r.headers, "X-Injected"));
	ck_assert_ptr_null(strcasestr(r.headers, "X-Bad"));
	ck_assert_int_eq(t_resp_header(&r, "X-Tab", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "tab\tafter eight bytes\t\xc3\xa9");
	ck_assert_int_eq(t_resp_header(&r, "X-After", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "kept");
	ck_assert_int_eq(t_resp_header(&r, "X-Request-Id", v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(r.body, "ok"));
	t_resp_free(&r);
}
END_TEST

/* The head of an answer, which the library writes itself (reply.c): as
 * Kore would, keep-alive by default, closed on "Connection: close" and for
 * HTTP/1.0, one Server and one Content-Length, no body for HEAD. */
static int
count_of(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

START_TEST(answer_head)
{
	const char get[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
	const char *twice[] = {get, get, NULL};
	const char *closing[] = {
	    "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
	    get, NULL};
	const char *old[] = {"GET /healthz HTTP/1.0\r\nHost: t\r\n\r\n", NULL};
	const char *head[] = {
	    "HEAD /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
	    NULL};
	const char *body, *cl;
	int64_t t0;
	char *out;

	/* keep-alive: both answers on one connection */
	ck_assert_int_eq(t_raw_exchange(&app, twice, 100, 2, &out), 2);
	ck_assert_msg(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%.300s",
	              out);
	ck_assert_int_eq(count_of(out, "\r\nserver: mp\r\n"), 2);
	ck_assert_int_eq(count_of(out, "\r\nconnection: keep-alive\r\n"
	                               "keep-alive: timeout=30\r\n"),
	                 2);
	ck_assert_int_eq(count_of(out, "\r\ncontent-length: "), 2);
	body = strstr(out, "\r\n\r\n") + 4;
	cl = strstr(out, "\r\ncontent-length: ") + 18;
	ck_assert_ptr_nonnull(strstr(body, "HTTP/1.1 200 OK\r\n"));
	ck_assert_int_eq(strtol(cl, NULL, 10),
	                 (long)(strstr(body, "HTTP/1.1 200") - body));
	free(out);

	/* Connection: close: one answer, then the connection ends (not the
	 * 5 s the exchange would wait for a second answer) */
	t0 = t_mono_ms();
	ck_assert_int_eq(t_raw_exchange(&app, closing, 200, 2, &out), 1);
	ck_assert_int_lt(t_mono_ms() - t0, 3000);
	ck_assert_int_eq(count_of(out, "\r\nconnection: close\r\n"), 1);
	ck_assert_int_eq(count_of(out, "keep-alive"), 0);
	free(out);

	/* HTTP/1.0: answered in 1.0 and closed */
	ck_assert_int_eq(t_raw_exchange(&app, old, 0, 1, &out), 1);
	ck_assert_msg(strncmp(out, "HTTP/1.0 200 OK\r\n", 17) == 0, "%.300s",
	              out);
	ck_assert_int_eq(count_of(out, "\r\nconnection: close\r\n"), 1);
	free(out);

	/* HEAD: the GET's length, no body */
	t_raw_exchange(&app, head, 0, 1, &out);
	cl = strstr(out, "\r\ncontent-length: ");
	ck_assert_ptr_nonnull(cl);
	ck_assert_int_gt(strtol(cl + 18, NULL, 10), 0);
	ck_assert_str_eq(strstr(out, "\r\n\r\n"), "\r\n\r\n");
	free(out);
}
END_TEST

/* A burst of connections (a client opening its pool) is accepted at once
 * and spread over both workers (balance.c): every connection's first GET
 * is answered, and each worker holds about half of them. */
#define BURST 64
START_TEST(connections_spread)
{
	const char get[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
	struct pollfd pfd[BURST];
	struct t_resp r;
	char buf[4096], line[128];
	const char *p;
	int i, answered = 0, per[2] = {-1, -1}, nw = 0;
	int64_t t0;

	t0 = t_mono_ms();
	for (i = 0; i < BURST; i++) {
		pfd[i].fd = t_connect_loopback(app.port, 0);
		ck_assert_int_ge(pfd[i].fd, 0);
		pfd[i].events = POLLIN;
	}
	for (i = 0; i < BURST; i++)
		ck_assert_int_eq(send(pfd[i].fd, get, sizeof(get) - 1, 0),
		                 (ssize_t)(sizeof(get) - 1));
	while (answered < BURST && t_mono_ms() - t0 < 5000) {
		if (poll(pfd, BURST, 100) <= 0)
			continue;
		for (i = 0; i < BURST; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			ck_assert_int_gt(recv(pfd[i].fd, buf, sizeof(buf), 0),
			                 12);
			ck_assert_int_eq(strncmp(buf, "HTTP/1.1 200", 12), 0);
			pfd[i].events = 0; /* answered; keep it open */
			answered++;
		}
	}
	ck_assert_int_eq(answered, BURST);
	ck_assert_int_lt(t_mono_ms() - t0, 2000);
	/* the 64 and this one: each worker about half */
	ck_assert_int_eq(t_http(&app, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	for (p = r.body; (p = strstr(p, "\nmp_worker_connections{")) != NULL;
	     p++) {
		ck_assert_int_lt(nw, 2);
		ck_assert_int_eq(sscanf(p, "\n%127[^}]} %d", line, &per[nw]),
		                 2);
		nw++;
	}
	ck_assert_int_eq(nw, 2);
	ck_assert_msg(per[0] >= BURST / 2 - 8 && per[1] >= BURST / 2 - 8,
	              "connections per worker: %d and %d", per[0], per[1]);
	t_resp_free(&r);
	for (i = 0; i < BURST; i++)
		close(pfd[i].fd);
}
END_TEST

/* The sum of mp_worker_connections over p's workers; -1 when absent. */
static int
connections_counted(const struct t_proc *p)
{
	struct t_resp r;
	const char *q;
	int sum = -1, v;

	if (t_http(p, "GET", "/metrics", NULL, NULL, 0, &r) != 0)
		return -1;
	for (q = r.body;
	     q != NULL && (q = strstr(q, "\nmp_worker_connections{")) != NULL;
	     q++)
		if (sscanf(strchr(q, '}') + 1, " %d", &v) == 1)
			sum = (sum < 0 ? 0 : sum) + v;
	t_resp_free(&r);
	return sum;
}

/* A worker that dies (SIGKILL) takes its connections with it; the one
 * Kore starts in its slot begins with no connection counted, rather than
 * its predecessor's (which /metrics would show for ever and balance.c
 * would count as load). */
#define HELD 24
START_TEST(worker_restart_resets_gauges)
{
	const char get[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
	struct pollfd pfd[HELD];
	char buf[4096];
	pid_t before[4], after[4], victim;
	int i, j, n, answered = 0, alive, counted = -1, fresh;
	int64_t t0;

	for (i = 0; i < HELD; i++) {
		pfd[i].fd = t_connect_loopback(app.port, 0);
		ck_assert_int_ge(pfd[i].fd, 0);
		ck_assert_int_eq(send(pfd[i].fd, get, sizeof(get) - 1, 0),
		                 (ssize_t)(sizeof(get) - 1));
		pfd[i].events = POLLIN;
	}
	for (t0 = t_mono_ms(); answered < HELD && t_mono_ms() - t0 < 5000;) {
		if (poll(pfd, HELD, 100) <= 0)
			continue;
		for (i = 0; i < HELD; i++)
			if (pfd[i].revents & POLLIN) {
				ck_assert_int_gt(
				    recv(pfd[i].fd, buf, sizeof(buf), 0), 0);
				pfd[i].events = 0; /* answered, kept open */
				answered++;
			}
	}
	ck_assert_int_eq(answered, HELD);
	ck_assert_int_ge(connections_counted(&app), HELD);

	ck_assert_int_eq(t_proc_workers(&app, before, 4), 2);
	victim = before[0];
	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	/* Kore starts another worker in its slot */
	for (t0 = t_mono_ms(), fresh = 0; !fresh && t_mono_ms() - t0 < 10000;
	     t_sleep_ms(50)) {
		n = t_proc_workers(&app, after, 4);
		for (j = 0; j < n; j++)
			if (after[j] != before[0] && after[j] != before[1])
				fresh = 1;
	}
	ck_assert_msg(fresh, "no worker started after the kill");
	/* the connections the victim held are closed */
	for (i = 0; i < HELD; i++)
		pfd[i].events = POLLIN;
	t_sleep_ms(300);
	(void)poll(pfd, HELD, 0);
	for (i = 0, alive = 0; i < HELD; i++)
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			alive++;
	ck_assert_msg(HELD - alive >= 4,
	              "the killed worker held only %d connections",
	              HELD - alive);
	/* counted: the survivors' and this request's (the new worker may
	 * take it), not the dead worker's */
	for (t0 = t_mono_ms(); t_mono_ms() - t0 < 3000; t_sleep_ms(100))
		if ((counted = connections_counted(&app)) <= alive + 1)
			break;
	ck_assert_msg(counted >= alive && counted <= alive + 1,
	              "%d connections counted, %d open (+1 asking)", counted,
	              alive);
	for (i = 0; i < HELD; i++)
		close(pfd[i].fd);
}
END_TEST

START_TEST(wrong_type_names_field)
{
	const char *hdr[] = {json_ct, NULL};
	const char body[] = "{\"name\":\"x\",\"qty\":\"seven\"}";
	struct t_resp r;
	json_t *e;

	t_http(&app, "POST", "/v1/test/echo", hdr, body, strlen(body), &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.headers, "application/problem+json"));
	e = json_array_get(json_object_get(r.json, "errors"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "qty");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(e, "reason")));
	t_resp_free(&r);
}
END_TEST

START_TEST(malformed_and_unknown_fields)
{
	const char *hdr[] = {json_ct, NULL};
	const char bad[] = "{\"name\":\"x\",";
	const char extra[] = "{\"name\":\"x\",\"qty\":1,\"status\":\"paid\"}";
	struct t_resp r;

	t_http(&app, "POST", "/v1/test/items", hdr, bad, strlen(bad), &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")),
	                 "urn:mp:problem:malformed-json");
	t_resp_free(&r);
	t_http(&app, "POST", "/v1/test/items", hdr, extra, strlen(extra), &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(r.json, "errors"), 0), "field")),
	    "status");
	t_resp_free(&r);
	t_http(&app, "POST", "/v1/test/items", NULL, extra, strlen(extra), &r);
	ck_assert_int_eq(r.status, 415);
	t_resp_free(&r);
}
END_TEST

START_TEST(oversized_body_413)
{
	const char *hdr[] = {json_ct, NULL};
	size_t len = 200 * 1024;
	char *body = malloc(len);
	struct t_resp r;

	memset(body, ' ', len);
	body[0] = '{';
	body[len - 1] = '}';
	t_http(&app, "POST", "/v1/test/echo", hdr, body, len, &r);
	ck_assert_int_eq(r.status, 413);
	t_resp_free(&r);
	free(body);
}
END_TEST

START_TEST(write_event_reaches_stream_and_inbox_once)
{
	long long before = t_redis_int("XLEN events:testapp");
	const char *id = create_item("once");

	ck_assert_ptr_nonnull(id);
	ck_assert_int_eq(wait_effects(id, 1), 1);
	ck_assert_int_ge(t_redis_int("XLEN events:testapp"), before + 1);
	t_sleep_ms(1500); /* claims and sweeps run: still exactly one */
	ck_assert_int_eq(effects_of(id), 1);
}
END_TEST

START_TEST(consumer_killed_before_ack)
{
	const char *id;
	FILE *f;
	int i;

	f = fopen(crash_flag, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	id = create_item("crash");
	ck_assert_ptr_nonnull(id);
	/* the consumer committed, then died before XACK (flag consumed) */
	for (i = 0; i < 100 && access(crash_flag, F_OK) == 0; i++)
		t_sleep_ms(100);
	ck_assert_int_ne(access(crash_flag, F_OK), 0);
	ck_assert_int_eq(wait_effects(id, 1), 1);
	/* Kore restarts the worker; another consumer claims the pending
	 * entry, finds it in the inbox and acknowledges it */
	for (i = 0;
	     i < 100 && t_redis_int("XPENDING events:testapp testapp") > 0 &&
	     t_redis_int("XPENDING events:testapp testapp - + 10") > 0;
	     i++)
		t_sleep_ms(100);
	ck_assert_int_eq(t_redis_int("XPENDING events:testapp testapp - + 10"),
	                 0);
	ck_assert_int_eq(effects_of(id), 1);
}
END_TEST

START_TEST(events_survive_redis_outage)
{
	const char *id;
	char saved[64];
	struct t_resp r;

	ck_assert_int_eq(t_redis_stop(), 0);
	id = create_item("outage");
	ck_assert_ptr_nonnull(id); /* writes go on while Redis is down */
	snprintf(saved, sizeof(saved), "%s", id);
	t_http(&app, "GET", "/readyz", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 503);
	t_resp_free(&r);
	t_sleep_ms(1000);
	ck_assert_int_eq(effects_of(saved), 0);
	ck_assert_int_eq(t_redis_start(), 0);
	ck_assert_int_eq(wait_effects(saved, 1), 1);
	t_sleep_ms(1000);
	ck_assert_int_eq(effects_of(saved), 1);
}
END_TEST

/* ---- tokens ----------------------------------------------------------------
 */

static json_t *
claims(const char *role, long long exp_delta, const char *aud, const char *iss)
{
	long long now = (long long)time(NULL);

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s}", "iss",
	                 iss, "aud", aud, "sub", "user-1", "iat", now - 5,
	                 "exp", now + exp_delta, "roles", role, "region",
	                 "oriental", "jti", "j-1");
}

static char *
sign_rs(json_t *c)
{
	char *pem = t_key("test-rs-1.key.pem"), *tok = NULL;

	ck_assert_ptr_nonnull(pem);
	ck_assert_int_eq(
	    mp_jwt_sign("RS256", "test-rs-1", pem, strlen(pem), c, &tok), 0);
	free(pem);
	json_decref(c);
	return tok;
}

static long
call_secure(const char *token)
{
	char auth[9000];
	const char *hdr[] = {auth, NULL};
	struct t_resp r;
	long st;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	t_http(&app, "GET", "/v1/test/secure", hdr, NULL, 0, &r);
	st = r.status;
	if (st == 401)
		ck_assert_ptr_nonnull(strstr(r.headers, "WWW-Authenticate"));
	t_resp_free(&r);
	return st;
}

static char *
b64url(const char *s)
{
	size_t len = strlen(s);
	size_t cap = sodium_base64_ENCODED_LEN(
	    len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);

	sodium_bin2base64(out, cap, (const unsigned char *)s, len,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

START_TEST(jwt_valid_and_role)
{
	char *t = sign_rs(
	    claims("council_officer", 300, "mp-api", "https://auth.test"));

	ck_assert_int_eq(call_secure(t), 200);
	free(t);
	t = sign_rs(claims("applicant", 300, "mp-api", "https://auth.test"));
	ck_assert_int_eq(call_secure(t), 403);
	free(t);
}
END_TEST

START_TEST(jwt_refusals)
{
	char *t, *h, *p, buf[4096];
	json_t *c;
	char *cs;
	jwt_t *j;
	char *pub = t_key("test-rs-1.pub.pem");

	/* expired, wrong audience, wrong issuer */
	t = sign_rs(
	    claims("council_officer", -300, "mp-api", "https://auth.test"));
	ck_assert_int_eq(call_secure(t), 401);
	free(t);
	t = sign_rs(
	    claims("council_officer", 300, "other-api", "https://auth.test"));
	ck_assert_int_eq(call_secure(t), 401);
	free(t);
	t = sign_rs(claims("council_officer", 300, "mp-api", "https://evil"));
	ck_assert_int_eq(call_secure(t), 401);
	free(t);

	/* alg:none */
	c = claims("council_officer", 300, "mp-api", "https://auth.test");
	cs = json_dumps(c, JSON_COMPACT);
	h = b64url("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"test-rs-1\"}");
	p = b64url(cs);
	snprintf(buf, sizeof(buf), "%s.%s.", h, p);
	ck_assert_int_eq(call_secure(buf), 401);
	free(h);
	free(p);

	/* HS256 signed with the public key as the HMAC secret */
	ck_assert_int_eq(jwt_new(&j), 0);
	ck_assert_int_eq(jwt_add_grants_json(j, cs), 0);
	ck_assert_int_eq(jwt_add_header(j, "kid", "test-rs-1"), 0);
	ck_assert_int_eq(jwt_set_alg(j, JWT_ALG_HS256,
	                             (const unsigned char *)pub,
	                             (int)strlen(pub)),
	                 0);
	t = jwt_encode_str(j);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(call_secure(t), 401);
	free(t);
	jwt_free(j);

	/* tampered payload */
	t = sign_rs(
	    claims("council_officer", 300, "mp-api", "https://auth.test"));
	h = strchr(t, '.');
	h[2] = h[2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(call_secure(t), 401);
	free(t);
	free(cs);
	free(pub);
	json_decref(c);
}
END_TEST

/* The workers remember verified tokens (MP jwt_cache.c); a remembered
 * token is still refused from the moment it expires, and one changed
 * byte is another token, verified and refused. */
START_TEST(remembered_token_still_expires)
{
	/* valid for 5 more seconds: exp 25 s ago, within the 30 s leeway */
	char *t = sign_rs(
	    claims("council_officer", -25, "mp-api", "https://auth.test"));
	time_t until = time(NULL) + 5;
	char *bad;
	int i;

	/* fresh connections: both workers verify it, then remember it */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(call_secure(t), 200);
	bad = strdup(t);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(call_secure(bad), 401);
	free(bad);
	while (time(NULL) <= until)
		t_sleep_ms(200);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(call_secure(t), 401);
	free(t);
}
END_TEST

static long long
wait_dead(long long want)
{
	long long n = -1;

	for (int i = 0; i < 200; i++) {
		if ((n = t_redis_int("XLEN events:testapp:dead")) >= want)
			break;
		t_sleep_ms(100);
	}
	return n;
}

/* An entry that is not an event is dead-lettered at once; an event whose
 * effect keeps failing is retried, then dead-lettered after
 * MP_CONSUMER_MAX_DELIVERIES, and the stream's pending list empties. */
START_TEST(dead_letter)
{
	long long before = t_redis_int("XLEN events:testapp:dead");

	if (before < 0)
		before = 0;
	/* XADD answers the entry id (a string), hence the ignored result */
	(void)t_redis_int("XADD events:testapp * type x event %s", "not json");
	ck_assert_int_ge(wait_dead(before + 1), before + 1);
	t_redis_int(
	    "XADD events:testapp * type testapp.item.created.v1 "
	    "event %s",
	    "{\"id\":\"poison-1\",\"type\":\"testapp.item."
	    "created.v1\",\"source\":\"urn:mp:test\",\"data\":{\"item_id\":"
	    "\"not-a-uuid\"}}");
	ck_assert_int_ge(wait_dead(before + 2), before + 2);
	for (int i = 0; i < 50 && t_redis_int("XPENDING events:testapp testapp "
	                                      "- + 10") > 0;
	     i++)
		t_sleep_ms(100);
	ck_assert_int_eq(t_redis_int("XPENDING events:testapp testapp - + 10"),
	                 0);
}
END_TEST

/* ---- batches: one read applied in one transaction -------------------------
 */

/* XADD the events (JSON texts) to events:testapp atomically, so that one
 * XREADGROUP of the consumer reads them all. 0 or -1. */
static int
xadd_atomically(const char *const *events, int n)
{
	static const char lua[] =
	    "for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', 'type', "
	    "'testapp.item.created.v1', 'event', ARGV[i]) end return #ARGV";
	const char *argv[16];
	redisContext *rd;
	redisReply *rep;
	int i, ok;

	if (n > 12)
		return -1;
	rd = redisConnect("127.0.0.1", atoi(getenv("MP_TEST_REDIS_PORT")));
	if (rd == NULL || rd->err)
		return -1;
	argv[0] = "EVAL";
	argv[1] = lua;
	argv[2] = "1";
	argv[3] = "events:testapp";
	for (i = 0; i < n; i++)
		argv[4 + i] = events[i];
	rep = redisCommandArgv(rd, 4 + n, argv, NULL);
	ok = rep != NULL && rep->type == REDIS_REPLY_INTEGER &&
	     rep->integer == n;
	freeReplyObject(rep);
	redisFree(rd);
	return ok ? 0 : -1;
}

/* An item event as the test application's producer writes it; item is
 * a UUID (or not, for a poison event). */
static char *
item_event(const char *event_id, const char *item)
{
	char *s = NULL;

	if (asprintf(&s,
	             "{\"id\":\"%s\",\"type\":\"testapp.item.created.v1\","
	             "\"source\":\"urn:mp:testapp\",\"time\":"
	             "\"2027-01-01T00:00:00Z\",\"data\":{\"item_id\":\"%s\"}}",
	             event_id, item) < 0)
		return NULL;
	return s;
}

/* A random UUID (v4 layout) in out[37]. */
static void
random_uuid(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
	         b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* How many transactions wrote the effects of these items (their rows'
 * distinct xmin), read directly in the test application's database. */
static long long
effect_transactions(char items[][37], int n)
{
	char url[256], arr[512];
	const char *param[1];
	PGconn *pg;
	PGresult *res;
	long long v = -1;
	size_t off = 0;

	t_db_url("testapp", url, sizeof(url));
	off += (size_t)snprintf(arr, sizeof(arr), "{");
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(arr + off, sizeof(arr) - off, "%s%s",
		                        i ? "," : "", items[i]);
	snprintf(arr + off, sizeof(arr) - off, "}");
	pg = PQconnectdb(url);
	if (PQstatus(pg) == CONNECTION_OK) {
		param[0] = arr;
		res = PQexecParams(pg,
		                   "SELECT count(DISTINCT xmin::text) FROM "
		                   "effects WHERE item_id = ANY($1::uuid[])",
		                   1, NULL, param, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			v = atoll(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	PQfinish(pg);
	return v;
}

/* Events read together are applied in ONE transaction (their effects
 * share one xmin), each exactly once, a duplicate in the same read
 * included. */
START_TEST(batch_applied_in_one_transaction)
{
	char items[5][37], eid[256];
	char *evs[6];
	int i;

	for (i = 0; i < 5; i++) {
		random_uuid(items[i]);
		snprintf(eid, sizeof(eid), "batch-%s", items[i]);
		evs[i] = item_event(eid, items[i]);
		ck_assert_ptr_nonnull(evs[i]);
	}
	evs[5] = strdup(evs[2]); /* the same event twice in one read */
	ck_assert_int_eq(xadd_atomically((const char *const *)evs, 6), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(wait_effects(items[i], 1), 1);
	t_sleep_ms(1000); /* claims and sweeps run: still exactly once */
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(effects_of(items[i]), 1);
	ck_assert_int_eq(effect_transactions(items, 5), 1);
	for (i = 0; i < 6; i++)
		free(evs[i]);
}
END_TEST

/* A poison event in the middle of a read: the batch's transaction rolls
 * back, the read is applied again one event per transaction, the others
 * are applied exactly once and the poison goes to the dead-letter stream
 * after its deliveries; nothing stays pending. */
START_TEST(batch_isolates_poison)
{
	char items[4][37], eid[256];
	char *evs[5];
	long long dead = t_redis_int("XLEN events:testapp:dead");
	int i, k = 0;

	if (dead < 0)
		dead = 0;
	for (i = 0; i < 4; i++) {
		random_uuid(items[i]);
		snprintf(eid, sizeof(eid), "isolate-%s", items[i]);
		evs[k++] = item_event(eid, items[i]);
		if (i == 1) {
			snprintf(eid, sizeof(eid), "poison-%s", items[i]);
			evs[k++] = item_event(eid, "not-a-uuid");
		}
	}
	for (i = 0; i < 5; i++)
		ck_assert_ptr_nonnull(evs[i]);
	ck_assert_int_eq(xadd_atomically((const char *const *)evs, 5), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(wait_effects(items[i], 1), 1);
	ck_assert_int_ge(wait_dead(dead + 1), dead + 1);
	for (i = 0; i < 50 && t_redis_int("XPENDING events:testapp testapp "
	                                  "- + 10") > 0;
	     i++)
		t_sleep_ms(100);
	ck_assert_int_eq(t_redis_int("XPENDING events:testapp testapp - + 10"),
	                 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(effects_of(items[i]), 1);
	for (i = 0; i < 5; i++)
		free(evs[i]);
}
END_TEST

START_TEST(large_answer)
{
	struct t_resp r;

	for (int i = 0; i < 4; i++) { /* both workers, several times */
		ck_assert_int_eq(
		    t_http(&app, "GET", "/v1/test/big", NULL, NULL, 0, &r), 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_gt(r.len, 2000000);
		t_resp_free(&r);
	}
}
END_TEST

START_TEST(metrics_and_health)
{
	struct t_resp r;

	t_http(&app, "GET", "/healthz", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	t_http(&app, "GET", "/metrics", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(
	    strstr(r.body, "mp_http_requests_total{"
	                   "service=\"testapp\",route=\"/v1/test/sum\""));
	ck_assert_ptr_nonnull(
	    strstr(r.body, "mp_http_request_duration_seconds_bucket"));
	ck_assert_ptr_nonnull(strstr(r.body, "mp_outbox_pending"));
	t_resp_free(&r);
}
END_TEST

/* SIGTERM while a request is in flight: it completes, the process exits
 * cleanly, and readiness fails while draining. */
START_TEST(graceful_shutdown)
{
	struct t_proc p2;
	struct t_resp r;
	pid_t child;
	int status;

	ck_assert_int_eq(t_proc_start(&p2, "testapp-drain",
	                              "tests/app/testapp.conf", app_env),
	                 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int ok = t_http(&p2, "GET", "/v1/test/slow", NULL, NULL, 0,
		                &r) == 0 &&
		         r.status == 200;
		_exit(ok ? 0 : 1);
	}
	t_sleep_ms(300);
	kill(p2.pid, SIGTERM);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0); /* in-flight request done */
	status = t_proc_stop(&p2);
	ck_assert(WIFEXITED(status));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("foundation");
	TCase *tc = tcase_create("testapp");

	if (sodium_init() < 0)
		return 1;
	tcase_add_unchecked_fixture(tc, app_setup, app_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, async_query);
	tcase_add_test(tc, request_id_echoed_or_generated);
	tcase_add_test(tc, unknown_route_and_method);
	tcase_add_test(tc, request_in_pieces);
	tcase_add_test(tc, response_headers_block);
	tcase_add_test(tc, answer_head);
	tcase_add_test(tc, connections_spread);
	tcase_add_test(tc, worker_restart_resets_gauges);
	tcase_add_test(tc, wrong_type_names_field);
	tcase_add_test(tc, malformed_and_unknown_fields);
	tcase_add_test(tc, oversized_body_413);
	tcase_add_test(tc, write_event_reaches_stream_and_inbox_once);
	tcase_add_test(tc, consumer_killed_before_ack);
	tcase_add_test(tc, events_survive_redis_outage);
	tcase_add_test(tc, jwt_valid_and_role);
	tcase_add_test(tc, jwt_refusals);
	tcase_add_test(tc, remembered_token_still_expires);
	tcase_add_test(tc, large_answer);
	tcase_add_test(tc, dead_letter);
	tcase_add_test(tc, batch_applied_in_one_transaction);
	tcase_add_test(tc, batch_isolates_poison);
	tcase_add_test(tc, metrics_and_health);
	suite_add_tcase(s, tc);
	tc = tcase_create("shutdown");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, graceful_shutdown);
	suite_add_tcase(s, tc);
	return t_run(s);
}
