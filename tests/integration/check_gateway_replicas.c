/*
 * Integration suite: several replicas of one upstream behind the gateway.
 *
 * Two funding processes on the same database (replicas A and B) and a
 * gateway with MP_UPSTREAMS=funding=http://A,http://B. Under load (GET
 * threads with Cache-Control: no-store, so that every GET reaches a
 * replica, and a writer creating calls with an Idempotency-Key each,
 * retrying a failed one with the same key), replica A is killed with
 * SIGKILL (nothing drained):
 *   - no GET fails: a GET that A refuses or drops is sent to B, and A's
 *     own breaker ejects it;
 *   - no write is acknowledged twice: no title exists twice in the
 *     database, and every title the writer was told about (201) exists;
 *   - no write fails at its first try once A is dead: a write whose
 *     connection A refuses goes to B (it never left the gateway).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "support.h"

#define GET_THREADS 3
#define WRITES 30

static struct t_proc a, b, gw;
static char env_upstreams[256];
static const char *gw_env[6];
static const char *const funding_env[] = {"MP_WORKERS=1", NULL};

static void
suite_setup(void)
{
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
	if (t_service_start(&a, "funding", funding_env) != 0 ||
	    t_service_start(&b, "funding", funding_env) != 0) {
		fprintf(stderr, "the funding replicas did not become ready\n");
		exit(1);
	}
	snprintf(env_upstreams, sizeof(env_upstreams),
	         "MP_UPSTREAMS=funding=http://127.0.0.1:%d,http://127.0.0.1:%d",
	         a.port, b.port);
	gw_env[j++] = env_upstreams;
	gw_env[j++] = "MP_RATE_LIMITS=default=1000000/60,write=1000000/60";
	gw_env[j++] = "MP_BREAKER=3/5s";
	gw_env[j++] = "MP_UPSTREAM_PROBE_MS=200";
	gw_env[j] = NULL;
	if (t_gateway_start(&gw, "replicas-gateway", gw_env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		exit(1);
	}
}

static void
suite_teardown(void)
{
	t_proc_stop(&gw);
	if (a.pid > 0)
		t_proc_stop(&a);
	t_proc_stop(&b);
}

static volatile int running;
static long gets_ok, gets_failed, last_fail_status;
/* writes answered other than 201 at their first try, once A is dead */
static int killed;
static long first_tries_failed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *
getter(void *arg)
{
	const char *hdr[] = {"Cache-Control: no-store", NULL};
	struct t_resp r;
	long ok = 0, bad = 0, last = 0;

	(void)arg;
	while (running) {
		if (t_http(&gw, "GET", "/v1/funding/regions", hdr, NULL, 0,
		           &r) == 0 &&
		    r.status == 200)
			ok++;
		else {
			bad++;
			last = r.status;
		}
		t_resp_free(&r);
	}
	pthread_mutex_lock(&mu);
	gets_ok += ok;
	gets_failed += bad;
	if (bad > 0)
		last_fail_status = last;
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void
rfc3339(char *out, size_t n, long delta)
{
	time_t t = time(NULL) + delta;

	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

/* 1 when something accepts connections on 127.0.0.1:port. */
static int
port_open(int port)
{
	int fd = t_connect_loopback(port, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* One write: POST a call titled `title` with its own Idempotency-Key,
 * retried (same key) until acknowledged or 6 tries. 1 if acknowledged. */
static int
write_once(const char *token, const char *title)
{
	char auth[4096], key[96], opens[32], closes[32], *text;
	const char *hdr[4] = {auth, key, "Content-Type: application/json",
	                      NULL};
	struct t_resp r;
	json_t *body;
	int i, acked = 0;

	rfc3339(opens, sizeof(opens), -86400);
	rfc3339(closes, sizeof(closes), 30 * 86400);
	body = json_pack(
	    "{s:s, s:i, s:{s:s}, s:{s:s}, s:[s], s:[s], s:I, "
	    "s:I, s:i, s:s, s:s, s:{s:i}, s:[{s:s, s:i, s:i}]}",
	    "region", "oriental", "year", 2027, "title", "fr", title,
	    "description", "fr", "Appel des répliques", "themes", "economic",
	    "applicant_types", "association", "budget_minor",
	    (json_int_t)1000000, "max_grant_minor", (json_int_t)500000,
	    "min_cofinancing_bp", 1000, "opens_at", opens, "closes_at", closes,
	    "eligibility_rules", "min_beneficiaries", 1, "scoring_grid", "key",
	    "relevance", "weight", 100, "max", 10);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(key, sizeof(key), "Idempotency-Key: %s", title);
	for (i = 0; i < 6 && !acked; i++) {
		ck_assert_int_eq(t_http(&gw, "POST", "/v1/funding/calls", hdr,
		                        text, strlen(text), &r),
		                 0);
		acked = r.status == 201;
		if (!acked && i == 0 && killed) {
			fprintf(stderr, "replicas: %s first answered %ld\n",
			        title, r.status);
			first_tries_failed++;
		}
		t_resp_free(&r);
		if (!acked)
			t_sleep_ms(300);
	}
	free(text);
	return acked;
}

/* How many calls have this French title. */
static long
titles(PGconn *c, const char *title)
{
	const char *v[1] = {title};
	PGresult *res = PQexecParams(c,
	                             "SELECT count(*) FROM calls WHERE "
	                             "title->>'fr' = $1",
	                             1, NULL, v, NULL, NULL, 0);
	long n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

START_TEST(kill_one_replica_under_load)
{
	pthread_t t[GET_THREADS];
	char *tok = t_token("replicas-officer", "council_officer", "oriental");
	char title[WRITES][64], url[256];
	int acked[WRITES], i, run = (int)getpid();
	PGconn *db;
	long nacked = 0;

	/* both replicas serve before the kill */
	running = 1;
	for (i = 0; i < GET_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, getter, NULL), 0);
	for (i = 0; i < WRITES; i++) {
		snprintf(title[i], sizeof(title[i]), "replicas-%d-%d", run, i);
		acked[i] = write_once(tok, title[i]);
		if (i == WRITES / 3) {
			(void)t_proc_kill(&a); /* not our child: no status */
			/* dead once its port is closed: a write sent to a
			 * worker still dying may have happened, and is not
			 * moved (under load that window was seen) */
			for (int k = 0; k < 250 && port_open(a.port); k++)
				t_sleep_ms(20);
			killed = 1;
		}
	}
	t_sleep_ms(1500); /* GETs go on after the ejection */
	running = 0;
	for (i = 0; i < GET_THREADS; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr,
	        "replicas: %ld GETs ok, %ld failed (last status "
	        "%ld)\n",
	        gets_ok, gets_failed, last_fail_status);
	ck_assert_int_gt(gets_ok, 100);
	ck_assert_int_eq(gets_failed, 0);

	t_db_url("funding", url, sizeof(url));
	db = PQconnectdb(url);
	ck_assert_int_eq(PQstatus(db), CONNECTION_OK);
	for (i = 0; i < WRITES; i++) {
		long n = titles(db, title[i]);

		ck_assert_msg(n <= 1, "%s written %ld times", title[i], n);
		if (acked[i])
			ck_assert_msg(n == 1, "%s acknowledged, not written",
			              title[i]);
	}
	for (i = 0; i < WRITES; i++)
		nacked += acked[i];
	fprintf(stderr, "replicas: %ld of %d writes acknowledged\n", nacked,
	        WRITES);
	ck_assert_int_ge(nacked, WRITES - 3);
	/* a write that finds A's port closed is sent to B (nothing of it
	 * left the gateway), whether A's breaker is closed, or half-open
	 * for a trial */
	ck_assert_int_eq(first_tries_failed, 0);
	PQfinish(db);
	free(tok);
}
END_TEST

static Suite *
replicas_suite(void)
{
	Suite *s = suite_create("gateway_replicas");
	TCase *tc = tcase_create("replicas");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, kill_one_replica_under_load);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(replicas_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
