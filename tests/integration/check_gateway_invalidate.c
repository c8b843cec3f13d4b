/*
 * Integration suite of the gateway's event-driven parts, with the gateway
 * and the funding service as real processes on the test PostgreSQL and
 * Redis:
 *
 *   - cache invalidation: an event of service S (through the real outbox
 *     and relay, or XADDed by hand) raises gw:gen:S within a second, also
 *     after Redis was stopped and started again;
 *   - /openapi/: the index, the files, the merged document, caching
 *     headers, names outside the list;
 *   - /readyz with the upstreams: funding up, cases not configured, then
 *     funding stopped (degraded, still 200). Stopping funding is last.
 *
 * One gateway and one funding for the suite (unchecked fixture); Check
 * forks a process per test.
 */
#include <sys/types.h>

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

#include "support.h"

static struct t_proc funding, gw;
static char env_upstreams[256];
static const char *const funding_env[] = {"MP_WORKERS=2", NULL};
static const char *gw_env[12];

static void suite_setup(void);
static void suite_teardown(void);
static long long generation(const char *service);
static long long generation_wait(const char *service, long long above,
                                 int timeout_ms);
static void envelope_put(long long amount);
static json_t *ready_wait(const char *upstream, const char *state,
                          long *status);
static int spec_has_path(const char *text, const char *path);
static void refs_resolve(const char *text);

/* ---- fixture
 * ------------------------------------------------------------------ */

static void
suite_setup(void)
{
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
	if (t_service_start(&funding, "funding", funding_env) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
	snprintf(env_upstreams, sizeof(env_upstreams),
	         "MP_UPSTREAMS=funding=http://127.0.0.1:%d,cases=,gender=",
	         funding.port);
	gw_env[j++] = env_upstreams;
	gw_env[j++] = "MP_UPSTREAM_PROBE_MS=200";
	gw_env[j++] = "MP_OPENAPI_DIR=openapi";
	gw_env[j] = NULL;
	if (t_gateway_start(&gw, "inv-gateway", gw_env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		t_proc_stop(&funding);
		exit(1);
	}
}

static void
suite_teardown(void)
{
	t_proc_stop(&gw);
	t_proc_stop(&funding);
}

/* ---- helpers
 * --------------------------------------------------------------------- */

/* gw:gen:<service> (0 when absent; INCRBY 0 answers an integer). */
static long long
generation(const char *service)
{
	return t_redis_int("INCRBY gw:gen:{%s} 0", service);
}

/* Poll until gw:gen:<service> > above; the last value read. */
static long long
generation_wait(const char *service, long long above, int timeout_ms)
{
	int64_t end = t_mono_ms() + timeout_ms;
	long long g;

	do {
		g = generation(service);
		if (g > above)
			return g;
		t_sleep_ms(20);
	} while (t_mono_ms() < end);
	return g;
}

/* An officer allocates the 2029 envelope of souss-massa through the
 * gateway: funding commits it with its event in the outbox. */
static void
envelope_put(long long amount)
{
	char *tok = t_token("inv-officer", "council_officer", "souss-massa");
	json_t *body = json_pack("{s:I, s:s}", "allocated_minor",
	                         (json_int_t)amount, "currency", "EUR");
	struct t_resp r;

	ck_assert_int_eq(t_json(&gw, "PUT",
	                        "/v1/funding/envelopes/souss-massa/2029", tok,
	                        body, &r),
	                 0);
	ck_assert_msg(r.status == 200 || r.status == 201, "envelope: %ld %s",
	              r.status, r.body);
	t_resp_free(&r);
	json_decref(body);
	free(tok);
}

/* Poll the gateway's /readyz (5 s at most) until checks.upstreams has
 * `upstream` in `state`; the last body (new reference) and status. */
static json_t *
ready_wait(const char *upstream, const char *state, long *status)
{
	int64_t end = t_mono_ms() + 5000;
	struct t_resp r;
	json_t *body = NULL;
	const char *got;

	do {
		json_decref(body);
		ck_assert_int_eq(
		    t_http(&gw, "GET", "/readyz", NULL, NULL, 0, &r), 0);
		*status = r.status;
		body = json_incref(r.json);
		t_resp_free(&r);
		got = t_jstr(json_object_get(json_object_get(body, "checks"),
		                             "upstreams"),
		             upstream);
		if (strcmp(got, state) == 0)
			return body;
		t_sleep_ms(50);
	} while (t_mono_ms() < end);
	return body;
}

/* 1 if the YAML text has the path item "  <path>:" (paths at 2 spaces). */
static int
spec_has_path(const char *text, const char *path)
{
	char want[600];

	snprintf(want, sizeof(want), "\n  %s:\n", path);
	return strstr(text, want) != NULL;
}

/* Every '#/components/<sec>/<Name>' of the merged text is defined there:
 * a line "    <Name>:" below the line "  <sec>:" of its components. */
static void
refs_resolve(const char *text)
{
	const char *p = text, *comp = strstr(text, "\ncomponents:\n");
	char sec[64], name[128], want[256];
	const char *s, *next;
	int n = 0;

	ck_assert_ptr_nonnull(comp);
	while ((p = strstr(p, "'#/components/")) != NULL) {
		p += 14;
		ck_assert_int_eq(sscanf(p, "%63[^/]/%127[^']", sec, name), 2);
		snprintf(want, sizeof(want), "\n  %s:\n", sec);
		s = strstr(comp, want);
		ck_assert_msg(s != NULL, "no section %s", sec);
		s += strlen(want);
		/* the section ends at the next line indented 2 */
		next = s;
		while ((next = strstr(next, "\n  ")) != NULL && next[3] == ' ')
			next++;
		snprintf(want, sizeof(want), "\n    %s:", name);
		s = strstr(s - 1, want);
		ck_assert_msg(s != NULL && (next == NULL || s < next),
		              "dangling $ref #/components/%s/%s", sec, name);
		n++;
	}
	ck_assert_int_gt(n, 50);
}

/* ---- invalidation
 * -------------------------------------------------------------- */

/* A change committed by funding (outbox -> relay -> events:funding) raises
 * the funding generation within a second; a consumer group "gateway"
 * exists on every stream. */
START_TEST(funding_event_bumps_generation)
{
	long long before, after;
	int64_t t0;

	before = generation("funding");
	t0 = t_mono_ms();
	envelope_put(5000000);
	after = generation_wait("funding", before, 1000);
	ck_assert_msg(after > before, "gw:gen:funding still %lld after 1 s",
	              after);
	fprintf(stderr,
	        "invalidation: gw:gen:funding %lld -> %lld in %llu "
	        "ms\n",
	        before, after, (unsigned long long)(t_mono_ms() - t0));
	/* the group caught up: read, applied, acknowledged */
	ck_assert_int_eq(
	    t_stream_settle("events:funding", "gateway", 100, 5000), 0);
	ck_assert_int_ge(t_redis_int("XINFO GROUPS events:funding"), 1);
	ck_assert_int_ge(t_redis_int("XINFO GROUPS events:cases"), 1);
	ck_assert_int_ge(t_redis_int("XINFO GROUPS events:gender"), 1);
}
END_TEST

/* An event invalidates the service that emitted it, on every stream; a
 * type that does not parse invalidates the stream's owner. */
START_TEST(each_stream_and_odd_types)
{
	long long c0 = generation("cases"), g0 = generation("gender");
	long long f0 = generation("funding");

	t_redis_int("XADD events:cases * type cases.case.opened.v1 event "
	            "{\"specversion\":\"1.0\",\"id\":\"inv-1\",\"source\":"
	            "\"urn:mp:cases\",\"type\":\"cases.case.opened.v1\"}");
	ck_assert_int_gt(generation_wait("cases", c0, 1000), c0);
	t_redis_int("XADD events:gender * type bogus event "
	            "{\"specversion\":\"1.0\",\"id\":\"inv-2\",\"source\":"
	            "\"urn:mp:gender\",\"type\":\"gender.Bad\"}");
	ck_assert_int_gt(generation_wait("gender", g0, 1000), g0);
	/* nothing of funding moved */
	ck_assert_int_eq(generation("funding"), f0);
}
END_TEST

/* The same event delivered twice (a redelivery) only invalidates twice:
 * harmless, and the entries are acknowledged. */
START_TEST(redelivery_is_harmless)
{
	long long c0 = generation("cases"), c1;
	int i;

	for (i = 0; i < 2; i++)
		t_redis_int("XADD events:cases * type cases.case.closed.v1 "
		            "event {\"specversion\":\"1.0\",\"id\":\"inv-dup\","
		            "\"source\":\"urn:mp:cases\",\"type\":"
		            "\"cases.case.closed.v1\"}");
	c1 = generation_wait("cases", c0 + 1, 1000);
	ck_assert_int_eq(c1, c0 + 2);
	/* acknowledged: nothing pending for the group */
	t_sleep_ms(100);
	ck_assert_int_eq(t_redis_int("XPENDING events:cases gateway - + 10"),
	                 0);
}
END_TEST

/* Redis stopped and started again: the consumers reconnect and events are
 * processed again (the relay republishes what was committed meanwhile). */
START_TEST(redis_restart)
{
	long long before, after;
	int64_t t0;

	ck_assert_int_eq(t_redis_stop(), 0);
	t_sleep_ms(1500);
	ck_assert_int_eq(t_redis_start(), 0);
	before = generation("funding");
	t0 = t_mono_ms();
	envelope_put(6000000);
	after = generation_wait("funding", before, 15000);
	ck_assert_msg(after > before, "no invalidation after Redis restart");
	fprintf(stderr, "invalidation after Redis restart: %llu ms\n",
	        (unsigned long long)(t_mono_ms() - t0));
	/* and the next one is fast again */
	before = after;
	envelope_put(7000000);
	ck_assert_int_gt(generation_wait("funding", before, 1000), before);
}
END_TEST

/* ---- /openapi/
 * ----------------------------------------------------------------- */

START_TEST(openapi_index)
{
	struct t_resp r;
	char v[256];
	json_t *e;
	size_t i;
	int seen = 0;

	ck_assert_int_eq(t_http(&gw, "GET", "/openapi/", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(t_resp_header(&r, "content-type", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "application/json");
	ck_assert_int_eq(t_resp_header(&r, "cache-control", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "public, max-age=300");
	ck_assert_str_eq(t_jstr(r.json, "merged"), "/openapi/openapi.yaml");
	json_array_foreach(json_object_get(r.json, "specs"), i, e)
	{
		if (strcmp(t_jstr(e, "name"), "gateway.yaml") == 0 ||
		    strcmp(t_jstr(e, "name"), "funding.yaml") == 0 ||
		    strcmp(t_jstr(e, "name"), "common.yaml") == 0) {
			ck_assert_str_eq(t_jstr(e, "kind"), "openapi");
			seen++;
		}
		if (strcmp(t_jstr(e, "name"), "events.asyncapi.yaml") == 0)
			ck_assert_str_eq(t_jstr(e, "kind"), "asyncapi");
		ck_assert_int_eq(strncmp(t_jstr(e, "url"), "/openapi/", 9), 0);
	}
	ck_assert_int_eq(seen, 3);
	t_resp_free(&r);
	/* without the trailing slash too */
	ck_assert_int_eq(t_http(&gw, "GET", "/openapi", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
}
END_TEST

/* A file as on disk, with its type, caching headers and a working ETag. */
START_TEST(openapi_file_as_on_disk)
{
	const char *hdr[2] = {NULL, NULL};
	char v[256], etag[128], inm[160];
	struct t_resp r;
	FILE *f;
	char *disk;
	long len;

	ck_assert_ptr_nonnull(f = fopen("openapi/funding.yaml", "rb"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	disk = malloc((size_t)len);
	ck_assert_int_eq(fread(disk, 1, (size_t)len, f), (size_t)len);
	fclose(f);

	ck_assert_int_eq(
	    t_http(&gw, "GET", "/openapi/funding.yaml", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq((long)r.len, len);
	ck_assert_int_eq(memcmp(r.body, disk, (size_t)len), 0);
	ck_assert_int_eq(t_resp_header(&r, "content-type", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "application/yaml");
	ck_assert_int_eq(t_resp_header(&r, "cache-control", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "public, max-age=300");
	ck_assert_int_eq(t_resp_header(&r, "etag", etag, sizeof(etag)), 0);
	t_resp_free(&r);
	free(disk);

	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	hdr[0] = inm;
	ck_assert_int_eq(
	    t_http(&gw, "GET", "/openapi/funding.yaml", hdr, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 304);
	ck_assert_int_eq(r.len, 0);
	t_resp_free(&r);

	ck_assert_int_eq(
	    t_http(&gw, "GET", "/openapi/gateway.yaml", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(strncmp(r.body, "openapi: 3.1", 12), 0);
	t_resp_free(&r);
	ck_assert_int_eq(
	    t_http(&gw, "GET", "/openapi/common.yaml", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
}
END_TEST

/* Only the names found at start: anything else is a 404 (or the router's
 * 404 for a path that is not one segment); no token needed. */
START_TEST(openapi_names_outside_list)
{
	static const char *const bad[] = {"/openapi/nope.yaml",
	                                  "/openapi/..%2fMakefile",
	                                  "/openapi/%2e%2e%2fMakefile",
	                                  "/openapi/../Makefile",
	                                  "/openapi/gateway.yaml%00",
	                                  "/openapi/GATEWAY.YAML",
	                                  "/openapi/gateway.yaml/x",
	                                  "/openapi/.yaml",
	                                  NULL};
	struct t_resp r;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_int_eq(t_http(&gw, "GET", bad[i], NULL, NULL, 0, &r),
		                 0);
		ck_assert_msg(r.status == 404 || r.status == 400, "%s: %ld",
		              bad[i], r.status);
		ck_assert_ptr_null(
		    strstr(r.body != NULL ? r.body : "", "MODULES"));
		t_resp_free(&r);
	}
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/openapi/gateway.yaml", NULL, "x", 1, &r), 0);
	ck_assert_int_eq(r.status, 405);
	t_resp_free(&r);
}
END_TEST

/* The merged document: OpenAPI 3.1, every path of gateway.yaml, common.yaml
 * and funding.yaml, components namespaced, every $ref resolving. */
START_TEST(openapi_merged)
{
	static const char *const paths[] = {
	    "/auth/token",
	    "/openapi/{name}",
	    "/admin/users/{id}",
	    "/healthz",
	    "/readyz",
	    "/v1/funding/calls",
	    "/v1/funding/envelopes/{region}/{year}",
	    NULL};
	struct t_resp r;
	char v[256], cmd[1024], file[512];
	FILE *f;
	int i;

	ck_assert_int_eq(
	    t_http(&gw, "GET", "/openapi/openapi.yaml", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(t_resp_header(&r, "content-type", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "application/yaml");
	ck_assert_int_eq(t_resp_header(&r, "cache-control", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "public, max-age=300");
	ck_assert_int_eq(strncmp(r.body, "openapi: 3.1.0\n", 15), 0);
	for (i = 0; paths[i] != NULL; i++)
		ck_assert_msg(spec_has_path(r.body, paths[i]), "missing %s",
		              paths[i]);
	ck_assert_ptr_nonnull(strstr(r.body, "\n    gateway.User:\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\n    funding.NotFound:\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\n    gateway.NotFound:\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\n    common.Problem:\n"));
	ck_assert_ptr_null(strstr(r.body, "common.yaml#"));
	refs_resolve(r.body);

	/* a real YAML parser agrees, when this machine has one */
	t_var_path("merged-openapi.yaml", file, sizeof(file));
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fwrite(r.body, 1, r.len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import yaml' 2>/dev/null || "
	         "exit 0; python3 -c 'import sys, yaml; d = yaml.safe_load("
	         "open(sys.argv[1])); assert d[\"openapi\"] == \"3.1.0\"; "
	         "assert len(d[\"paths\"]) > 40' %s",
	         file);
	ck_assert_int_eq(system(cmd), 0);
	t_resp_free(&r);
}
END_TEST

/* ---- readiness
 * ----------------------------------------------------------------- */

START_TEST(ready_reports_upstreams)
{
	json_t *b, *ups;
	long status;

	b = ready_wait("funding", "up", &status);
	ck_assert_int_eq(status, 200);
	ups = json_object_get(json_object_get(b, "checks"), "upstreams");
	ck_assert_str_eq(t_jstr(ups, "funding"), "up");
	ck_assert_str_eq(t_jstr(ups, "cases"), "unconfigured");
	ck_assert_str_eq(t_jstr(ups, "gender"), "unconfigured");
	ck_assert_str_eq(t_jstr(b, "status"), "ready");
	ck_assert_str_eq(t_jstr(json_object_get(b, "checks"), "redis"), "up");
	json_decref(b);
}
END_TEST

/* Last: funding stopped. The gateway stays ready (200) but says
 * "degraded" and which upstream is down, within a few probe periods. */
START_TEST(upstream_down_degrades)
{
	json_t *b;
	long status;
	int64_t t0;

	t_proc_stop(&funding);
	t0 = t_mono_ms();
	b = ready_wait("funding", "down", &status);
	ck_assert_str_eq(
	    t_jstr(json_object_get(json_object_get(b, "checks"), "upstreams"),
	           "funding"),
	    "down");
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(t_jstr(b, "status"), "degraded");
	fprintf(stderr, "readiness: funding seen down after %llu ms\n",
	        (unsigned long long)(t_mono_ms() - t0));
	json_decref(b);
}
END_TEST

/* No worker died (a seccomp kill of a probe or consumer thread). */
START_TEST(no_worker_died)
{
	ck_assert_int_eq(t_proc_worker_restarts(&gw), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gateway_invalidate");
	TCase *tc = tcase_create("invalidate");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, funding_event_bumps_generation);
	tcase_add_test(tc, each_stream_and_odd_types);
	tcase_add_test(tc, redelivery_is_harmless);
	tcase_add_test(tc, openapi_index);
	tcase_add_test(tc, openapi_file_as_on_disk);
	tcase_add_test(tc, openapi_names_outside_list);
	tcase_add_test(tc, openapi_merged);
	tcase_add_test(tc, ready_reports_upstreams);
	tcase_add_test(tc, redis_restart);
	tcase_add_test(tc, no_worker_died);
	tcase_add_test(tc, upstream_down_degrades);
	suite_add_tcase(s, tc);
	return t_run(s);
}
