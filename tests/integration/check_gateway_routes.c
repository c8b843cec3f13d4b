/*
 * Integration suite: the gateway learns its routes from the services.
 *
 * Real processes on the test PostgreSQL and Redis: the test app (tests/
 * app, upstream "test": it owns /v1/test), the cases and gender services,
 * and a gateway with MP_UPSTREAMS naming the three and nothing else (no
 * route of theirs is written in the gateway). The test app has one route
 * whose path each of its starts takes from MP_TESTAPP_EXTRA_ROUTE (for
 * council officers, cached 30 s), so restarting only the test app adds a
 * route, removes one, or serves a table the gateway must refuse.
 *
 * The restarts happen inside one test (Check forks each test, and the
 * processes' state lives in the suite's parent): the steps are in order.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "support.h"

static struct t_proc app, cases, gender, gw;
static int app_port;
static char env_upstreams[512], env_extra[128];
static const char *app_env[4], *gw_env[6];

static void
app_start(const char *extra_path)
{
	snprintf(env_extra, sizeof(env_extra), "MP_TESTAPP_EXTRA_ROUTE=%s",
	         extra_path);
	app_env[0] = env_extra;
	app_env[1] = "MP_WORKERS=1";
	app_env[2] = NULL;
	if (t_testapp_start(&app, "routes-testapp", app_env, app_port) != 0) {
		fprintf(stderr, "the test app did not become ready\n");
		exit(1);
	}
	app_port = app.port;
}

static void
suite_setup(void)
{
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
	app_start("/v1/test/added-1");
	if (t_service_start(&cases, "cases", NULL) != 0 ||
	    t_service_start(&gender, "gender", NULL) != 0) {
		fprintf(stderr, "cases or gender did not become ready\n");
		exit(1);
	}
	snprintf(
	    env_upstreams, sizeof(env_upstreams),
	    "MP_UPSTREAMS=test=http://127.0.0.1:%d,cases=http://127.0.0.1:%d,"
	    "gender=http://127.0.0.1:%d",
	    app.port, cases.port, gender.port);
	gw_env[j++] = env_upstreams;
	gw_env[j++] = "MP_UPSTREAM_PROBE_MS=200";
	gw_env[j++] = "MP_RATE_LIMITS=default=100000/60,write=100000/60";
	gw_env[j] = NULL;
	if (t_gateway_start(&gw, "routes-gateway", gw_env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		exit(1);
	}
}

static void
suite_teardown(void)
{
	t_proc_stop(&gw);
	t_proc_stop(&app);
	t_proc_stop(&cases);
	t_proc_stop(&gender);
}

/* A token for one role (none: role ""), in souss-massa. */
static char *
role_token(const char *role)
{
	static unsigned seq;
	long long now = (long long)time(NULL);
	char jti[64];
	json_t *c;
	char *t;

	snprintf(jti, sizeof(jti), "routes-%d-%u-%lld", (int)getpid(), ++seq,
	         now);
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub",
	              "routes-user", "iat", now - 5, "exp", now + 3600, "roles",
	              role, "region", "souss-massa", "jti", jti);
	t = t_token_claims(c);
	json_decref(c);
	ck_assert_ptr_nonnull(t);
	return t;
}

static void
get(const char *path, const char *role, struct t_resp *r)
{
	char auth[4096], *t = role != NULL ? role_token(role) : NULL;
	const char *hdr[2] = {auth, NULL};

	if (t != NULL)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t);
	ck_assert_int_eq(
	    t_http(&gw, "GET", path, t != NULL ? hdr : NULL, NULL, 0, r), 0);
	free(t);
}

/* Poll (10 s at most) until GET path as role answers `status`. */
static int
wait_status(const char *path, const char *role, long status)
{
	struct t_resp r;
	long got = 0;
	int i;

	for (i = 0; i < 100; i++) {
		get(path, role, &r);
		got = r.status;
		t_resp_free(&r);
		if (got == status)
			return 1;
		t_sleep_ms(100);
	}
	return 0;
}

/* Poll (10 s at most) until the gateway's /readyz says of the test app's
 * routes something that starts with prefix and contains needle; its
 * status and that into out. */
static int
ready_says(const char *prefix, const char *needle, char *out, size_t outlen)
{
	struct t_resp r;
	const char *s;
	int i, ok = 0;

	for (i = 0; i < 100 && !ok; i++) {
		ck_assert_int_eq(
		    t_http(&gw, "GET", "/readyz", NULL, NULL, 0, &r), 0);
		s = json_string_value(json_object_get(
		    json_object_get(json_object_get(r.json, "checks"),
		                    "upstream_routes"),
		    "test"));
		if (s != NULL && strncmp(s, prefix, strlen(prefix)) == 0 &&
		    strstr(s, needle) != NULL) {
			snprintf(out, outlen, "%s %s", t_jstr(r.json, "status"),
			         s);
			ok = 1;
		}
		t_resp_free(&r);
		if (!ok)
			t_sleep_ms(100);
	}
	return ok;
}

/* 1 if the gateway's log has a line with both needles. */
static int
log_has(const char *a, const char *b)
{
	char path[512], line[2048];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/log/%s.log",
	         getenv("MP_TEST_VAR") != NULL ? getenv("MP_TEST_VAR") : "/tmp",
	         gw.name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, a) != NULL && strstr(line, b) != NULL;
	fclose(f);
	return found;
}

/* Restart only the test app, on the same port, with another extra path. */
static void
app_restart(const char *extra_path)
{
	t_proc_stop(&app);
	app_start(extra_path);
}

START_TEST(routes_follow_the_service)
{
	struct t_resp r, r2;
	char x[512], said[512];

	/* 1. served with the roles and cache policy the test app declares */
	get("/v1/test/added-1", NULL, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert(t_gateway_refused(&r));
	t_resp_free(&r);
	get("/v1/test/added-1", "applicant", &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert(t_gateway_refused(&r));
	t_resp_free(&r);
	get("/v1/test/added-1", "council_officer", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(t_jstr(r.json, "route"), "/v1/test/added-1");
	get("/v1/test/added-1", "council_officer", &r2);
	ck_assert_int_eq(r2.status, 200);
	ck_assert_int_eq(t_resp_header(&r2, "X-Cache", x, sizeof(x)), 0);
	ck_assert_str_eq(x, "hit");
	ck_assert(json_equal(json_object_get(r.json, "call"),
	                     json_object_get(r2.json, "call")));
	t_resp_free(&r);
	t_resp_free(&r2);
	/* a public route of the app needs no token through the gateway */
	get("/v1/test/sum?a=2&b=3", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);

	/* 2. restart only the app: a route added, the old one gone (404) */
	app_restart("/v1/test/added-2");
	ck_assert_msg(wait_status("/v1/test/added-2", "council_officer", 200),
	              "the gateway did not learn the new route");
	ck_assert(wait_status("/v1/test/added-1", "council_officer", 404));
	get("/v1/test/added-1", "council_officer", &r);
	ck_assert_str_eq(t_jstr(r.json, "detail"), "no such resource");
	t_resp_free(&r);
	ck_assert(ready_says("\"", "", said, sizeof(said)));

	/* 3. a table the gateway must refuse (a route outside /v1/test):
	 * the last good table stays, and /readyz and the log say so */
	app_restart("/v1/funding/stolen");
	ck_assert_msg(ready_says("kept ", "refused", said, sizeof(said)),
	              "/readyz does not say the table was kept");
	ck_assert_msg(strncmp(said, "degraded ", 9) == 0, "%s", said);
	ck_assert_msg(strstr(said, "outside /v1/test") != NULL, "%s", said);
	ck_assert(log_has("table", "refused"));
	/* still the previous table: its route, with its roles */
	get("/v1/test/added-2", NULL, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert(t_gateway_refused(&r));
	t_resp_free(&r);
	get("/v1/test/sum?a=2&b=3", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);

	/* 4. a good table again: current again */
	app_restart("/v1/test/added-3");
	ck_assert(wait_status("/v1/test/added-3", "council_officer", 200));
	ck_assert(ready_says("\"", "", said, sizeof(said)));
}
END_TEST

/* Every service's table, role by role, enforced by the gateway exactly as
 * the service enforces it (funding's is in check_gateway_edge.c). */
START_TEST(every_service_agrees_with_the_gateway)
{
	size_t n;

	n = t_routes_agree(&app, &gw, role_token);
	ck_assert_uint_ge(n, 9 * 9);
	n += t_routes_agree(&cases, &gw, role_token);
	n += t_routes_agree(&gender, &gw, role_token);
	ck_assert_uint_ge(n, 9 * 9);
}
END_TEST

/* A path no upstream owns, and the gateway's own 404 for it. */
START_TEST(unknown_upstream_is_404)
{
	struct t_resp r;

	get("/v1/funding/calls", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	get("/v1/nothing", "admin", &r);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
}
END_TEST

static Suite *
routes_suite(void)
{
	Suite *s = suite_create("gateway_routes");
	TCase *tc = tcase_create("routes");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, every_service_agrees_with_the_gateway);
	tcase_add_test(tc, unknown_upstream_is_404);
	tcase_add_test(tc, routes_follow_the_service);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(routes_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
