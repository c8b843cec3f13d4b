/*
 * Revocation in a service (mp/revocation.h), through funding reached
 * directly: a gateway.token.revoked.v1 CloudEvent on events:gateway makes
 * every worker refuse that token within one second, without a database
 * or Redis round trip per request; other tokens still pass; the record
 * survives a restart; a malformed event is skipped, not fatal.
 *
 * The service side is tested with events XADDed here exactly as the
 * gateway's relay writes them (fields "type" and "event"), then end to
 * end: sign-out at the gateway's /auth/revoke, and the token is refused
 * by the gateway and by funding reached directly within one second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "mp/util.h"

#include "support.h"

#define OFFICER_SUB "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a77"
#define PROTECTED "/v1/funding/envelopes"

static struct t_proc svc;

static void
setup(void)
{
	if (t_service_start(&svc, "funding", NULL) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&svc);
}

/* An officer token with a fresh jti (copied to jti_out). */
static char *
officer_token(char *jti_out, size_t len)
{
	long long now = (long long)time(NULL);
	json_t *c;
	char *tok;

	ck_assert_int_eq(mp_uuid_v7(jti_out), 0);
	(void)len;
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub", OFFICER_SUB,
	              "iat", now - 5, "exp", now + 900, "roles",
	              "council_officer", "region", "oriental", "jti", jti_out);
	tok = t_token_claims(c);
	json_decref(c);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

/* XADD a CloudEvent of `type` with `data` (a JSON text) as the gateway's
 * relay would. */
static void
publish(const char *type, const char *data)
{
	char id[40], ev[1024];

	ck_assert_int_eq(mp_uuid_v7(id), 0);
	snprintf(ev, sizeof(ev),
	         "{\"specversion\":\"1.0\",\"id\":\"%s\",\"source\":\"urn:mp:"
	         "gateway\","
	         "\"type\":\"%s\",\"time\":\"2026-12-03T08:00:00Z\","
	         "\"datacontenttype\":\"application/json\",\"data\":%s}",
	         id, type, data);
	(void)t_redis_int("XADD events:gateway * type %s event %s", type, ev);
}

static void
publish_revocation(const char *jti, long long exp)
{
	char data[256];

	snprintf(data, sizeof(data), "{\"jti\":\"%s\",\"exp\":%lld}", jti, exp);
	publish("gateway.token.revoked.v1", data);
}

static long
status_of(const char *token)
{
	struct t_resp r;
	long st;

	ck_assert_int_eq(t_json(&svc, "GET", PROTECTED, token, NULL, &r), 0);
	st = r.status;
	t_resp_free(&r);
	return st;
}

START_TEST(revoked_token_refused_by_every_worker_within_one_second)
{
	char jti[40], other_jti[40];
	char *tok = officer_token(jti, sizeof(jti));
	char *other = officer_token(other_jti, sizeof(other_jti));
	long long t0, first = -1;
	struct t_resp r;
	int i;

	ck_assert_int_eq(status_of(tok), 200);
	t0 = t_mono_ms();
	publish_revocation(jti, (long long)time(NULL) + 900);
	while (t_mono_ms() - t0 < 3000) {
		if (status_of(tok) == 401) {
			first = t_mono_ms() - t0;
			break;
		}
		t_sleep_ms(10);
	}
	printf("revocation: first refusal %lld ms after the event\n", first);
	ck_assert_int_ge(first, 0);
	ck_assert_int_lt(first, 1000);
	/* one second after the event, every worker refuses it: fresh
	 * connections land on both workers */
	if (t_mono_ms() - t0 < 1000)
		t_sleep_ms((int)(1000 - (t_mono_ms() - t0)));
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(t_json(&svc, "GET", PROTECTED, tok, NULL, &r),
		                 0);
		ck_assert_int_eq(r.status, 401);
		ck_assert_ptr_nonnull(strstr(r.headers, "invalid_token"));
		ck_assert_str_eq(
		    json_string_value(json_object_get(r.json, "detail")),
		    "token revoked");
		t_resp_free(&r);
		/* the same principal with another token is not refused */
		ck_assert_int_eq(status_of(other), 200);
	}
	/* public routes do not take a revoked token either */
	ck_assert_int_eq(
	    t_json(&svc, "GET", "/v1/funding/calls", tok, NULL, &r), 0);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);
	free(tok);
	free(other);
}
END_TEST

START_TEST(malformed_events_skipped_and_a_new_process_knows)
{
	char jti[40];
	char *tok = officer_token(jti, sizeof(jti));
	long long t0;

	/* what the consumer must skip without stopping */
	publish("gateway.token.revoked.v1", "{\"jti\":\"\",\"exp\":1}");
	publish("gateway.token.revoked.v1", "{\"jti\":7}");
	publish("gateway.token.revoked.v1", "{\"jti\":\"x\",\"exp\":\"soon\"}");
	publish("gateway.user.updated.v1", "{\"sub\":\"s\"}");
	publish_revocation(jti, (long long)time(NULL) + 900);
	t0 = t_mono_ms();
	while (status_of(tok) != 401 && t_mono_ms() - t0 < 3000)
		t_sleep_ms(20);
	ck_assert_int_eq(status_of(tok), 401);
	ck_assert_int_eq(t_redis_int("XLEN events:gateway:dead"), 0);

	/* the service's own table: a process started now refuses it at
	 * once (this one stays up: Check forks each test) */
	{
		struct t_proc again;
		struct t_resp r;

		ck_assert_int_eq(t_service_start(&again, "funding", NULL), 0);
		ck_assert_int_eq(
		    t_json(&again, "GET", PROTECTED, tok, NULL, &r), 0);
		ck_assert_int_eq(r.status, 401);
		t_resp_free(&r);
		t_proc_stop(&again);
	}
	free(tok);
}
END_TEST

START_TEST(readiness_reports_the_view)
{
	struct t_resp r;
	const char *v = "";
	int waited;

	/* "loading" until the first refresh, then "fresh" */
	for (waited = 0; waited < 2000; waited += 50) {
		ck_assert_int_eq(t_json(&svc, "GET", "/readyz", NULL, NULL, &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		v = json_string_value(json_object_get(
		    json_object_get(r.json, "checks"), "revocations"));
		ck_assert_ptr_nonnull(v);
		if (strcmp(v, "fresh") == 0) {
			t_resp_free(&r);
			break;
		}
		ck_assert_str_eq(v, "loading");
		t_resp_free(&r);
		t_sleep_ms(50);
	}
	ck_assert_int_lt(waited, 2000);
}
END_TEST

/* GET `path` of `p` with `token`: the status. */
static long
status_at(const struct t_proc *p, const char *path, const char *token)
{
	struct t_resp r;
	long st;

	ck_assert_int_eq(t_json(p, "GET", path, token, NULL, &r), 0);
	st = r.status;
	t_resp_free(&r);
	return st;
}

/* Milliseconds until `path` of `p` refuses `token` (401), or -1 after
 * 3 s. */
static long long
ms_until_refused(const struct t_proc *p, const char *path, const char *token,
                 long long t0)
{
	while (t_mono_ms() - t0 < 3000) {
		if (status_at(p, path, token) == 401)
			return t_mono_ms() - t0;
		t_sleep_ms(10);
	}
	return -1;
}

START_TEST(sign_out_at_the_gateway_refused_everywhere_within_one_second)
{
	const char *form[] = {"Content-Type: application/x-www-form-urlencoded",
	                      NULL};
	static char upstream[96];
	const char *env[] = {upstream, NULL};
	struct t_proc gw;
	struct t_resp r;
	char *adm = t_token("rev-admin", "admin", "oriental"), *tok, body[4096];
	json_t *user;
	long long t0, at_gw, at_svc;
	int i;

	snprintf(upstream, sizeof(upstream),
	         "MP_UPSTREAMS=funding=http://127.0.0.1:%d,cases=,gender=",
	         svc.port);
	ck_assert_int_eq(t_gateway_start(&gw, "rev-gateway", env), 0);
	user = json_pack("{s:s, s:s, s:[s], s:s}", "username", "rev.officer",
	                 "password", "a-long-passphrase-2026", "roles",
	                 "council_officer", "region", "oriental");
	ck_assert_int_eq(t_json(&gw, "POST", "/admin/users", adm, user, &r), 0);
	ck_assert_msg(r.status == 201, "create: %ld %s", r.status, r.body);
	t_resp_free(&r);
	json_decref(user);
	snprintf(body, sizeof(body),
	         "grant_type=password&username=rev.officer"
	         "&password=a-long-passphrase-2026");
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/token", form, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	tok =
	    strdup(json_string_value(json_object_get(r.json, "access_token")));
	t_resp_free(&r);

	ck_assert_int_eq(status_at(&gw, PROTECTED, tok), 200);
	ck_assert_int_eq(status_at(&svc, PROTECTED, tok), 200);

	snprintf(body, sizeof(body), "token=%s", tok);
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", form, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	t0 = t_mono_ms();
	at_gw = ms_until_refused(&gw, PROTECTED, tok, t0);
	at_svc = ms_until_refused(&svc, PROTECTED, tok, t0);
	printf("sign-out: refused by the gateway after %lld ms, by funding "
	       "directly after %lld ms\n",
	       at_gw, at_svc);
	ck_assert_int_ge(at_gw, 0);
	ck_assert_int_lt(at_gw, 1000);
	ck_assert_int_ge(at_svc, 0);
	ck_assert_int_lt(at_svc, 1000);
	if (t_mono_ms() - t0 < 1000)
		t_sleep_ms((int)(1000 - (t_mono_ms() - t0)));
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(status_at(&svc, PROTECTED, tok), 401);
		ck_assert_int_eq(status_at(&gw, PROTECTED, tok), 401);
	}
	t_proc_stop(&gw);
	free(tok);
	free(adm);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("revocation");
	TCase *tc = tcase_create("service");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, readiness_reports_the_view);
	tcase_add_test(tc,
	               revoked_token_refused_by_every_worker_within_one_second);
	tcase_add_test(tc, malformed_events_skipped_and_a_new_process_knows);
	tcase_add_test(
	    tc, sign_out_at_the_gateway_refused_everywhere_within_one_second);
	suite_add_tcase(s, tc);
	return t_run(s);
}
