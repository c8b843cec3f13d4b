/*
 * Integration suite of the gateway's identity and token service: the
 * gateway as a real process on the test PostgreSQL and Redis, signing with
 * test-es-1 while MP_JWT_KEYS publishes test-rs-1 and test-es-1 (a key
 * rotation in progress), MP_PWHASH_FAST=1 and a bootstrap admin.
 *
 * Each test makes the accounts it needs (names carry the test's own
 * prefix), through the admin API with a test-signed admin token, so tests
 * stay independent in any order.
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
#include <sodium.h>

#include "mp/jwt.h"
#include "mp/principal.h"

#include "support.h"

static struct t_proc gw;
static const char *gw_env[8];

#define PW "correct-horse-battery"
#define FORM_CT "Content-Type: application/x-www-form-urlencoded"

static void suite_setup(void);
static void suite_teardown(void);
static int form(const char *body, struct t_resp *r);
static void user_create(const char *name, const char *roles, const char *region,
                        const char *commune);
static json_t *login(const char *name, const char *pw);
static int verify(const char *tok, struct mp_principal *p);
static long me_status(const char *tok);
static char *admin_token(void);
static json_t *openapi_operations(const char *file);
static json_t *revocation_events(const char *jti);

/* ---- fixture
 * ------------------------------------------------------------------ */

static void
suite_setup(void)
{
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
	gw_env[j++] = "MP_UPSTREAMS=cases=,gender=";
	/* this suite logs in far more often than the AUTH class allows one
	 * address (check_gateway_edge.c tests that limit) */
	gw_env[j++] = "MP_RATE_LIMITS=auth=1000/60";
	gw_env[j] = NULL;
	if (t_gateway_start(&gw, "gwauth-gateway", gw_env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		exit(1);
	}
}

static void
suite_teardown(void)
{
	t_proc_stop(&gw);
}

/* ---- helpers
 * --------------------------------------------------------------------- */

static int
form(const char *body, struct t_resp *r)
{
	const char *hdr[] = {FORM_CT, NULL};

	return t_http(&gw, "POST", "/auth/token", hdr, body, strlen(body), r);
}

static char *
admin_token(void)
{
	char *t = t_token("itest-admin", "admin", "souss-massa");

	ck_assert_ptr_nonnull(t);
	return t;
}

/* Create an account with password PW (201, or 409 when it exists). */
static void
user_create(const char *name, const char *roles, const char *region,
            const char *commune)
{
	char *adm = admin_token();
	json_t *body, *arr = json_array();
	char *list = strdup(roles), *save = NULL;
	struct t_resp r;

	for (char *x = strtok_r(list, ",", &save); x != NULL;
	     x = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(x));
	free(list);
	body = json_pack("{s:s, s:s, s:o}", "username", name, "password", PW,
	                 "roles", arr);
	if (region != NULL)
		json_object_set_new(body, "region", json_string(region));
	if (commune != NULL)
		json_object_set_new(body, "commune", json_string(commune));
	ck_assert_int_eq(t_json(&gw, "POST", "/admin/users", adm, body, &r), 0);
	ck_assert_msg(r.status == 201 || r.status == 409, "create %s: %ld %s",
	              name, r.status, r.body);
	t_resp_free(&r);
	json_decref(body);
	free(adm);
}

/* Password grant: the parsed answer (200 expected). */
static json_t *
login(const char *name, const char *pw)
{
	char body[512];
	struct t_resp r;
	json_t *j;

	snprintf(body, sizeof(body),
	         "grant_type=password&username=%s&"
	         "password=%s",
	         name, pw);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_msg(r.status == 200, "login %s: %ld %s", name, r.status,
	              r.body);
	j = json_incref(r.json);
	t_resp_free(&r);
	return j;
}

static int
verify(const char *tok, struct mp_principal *p)
{
	struct mp_jwt_policy pol = {"https://auth.test", "mp-api", 5, 0, 0};
	struct mp_jwt_keyset *ks = NULL;
	char a[512], b[512];
	int rc;

	snprintf(a, sizeof(a), "%s/test-rs-1.pub.pem", getenv("MP_TEST_KEYS"));
	snprintf(b, sizeof(b), "%s/test-es-1.pub.pem", getenv("MP_TEST_KEYS"));
	ck_assert_int_eq(mp_jwt_keyset_new(&ks), 0);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(ks, "test-rs-1", "RS256", a), 0);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(ks, "test-es-1", "ES256", b), 0);
	rc = mp_jwt_verify(ks, &pol, tok, strlen(tok), (int64_t)time(NULL), p);
	mp_jwt_keyset_free(ks);
	return rc;
}

static long
me_status(const char *tok)
{
	struct t_resp r;
	long st;

	ck_assert_int_eq(t_json(&gw, "GET", "/auth/me", tok, NULL, &r), 0);
	st = r.status;
	t_resp_free(&r);
	return st;
}

/* The status of GET path with tok once every worker has learnt a
 * revocation: the worker that revoked refuses at once, the others within
 * their view's poll period (stage_revocation.c, 250 ms plus a query);
 * asked until 401 or 1.5 s, since each request may land on any worker. */
static long
status_after_revocation(const char *path, const char *tok)
{
	struct t_resp r;
	long st = 0;
	int64_t t0 = t_mono_ms();

	do {
		if (st != 0)
			t_sleep_ms(25);
		ck_assert_int_eq(t_json(&gw, "GET", path, tok, NULL, &r), 0);
		st = r.status;
		t_resp_free(&r);
	} while (st != 401 && t_mono_ms() - t0 < 1500);
	return st;
}

/* "GET /auth/me" for every operation of the OpenAPI file (paths at 2
 * spaces, methods at 4, as our specs are written). */
static json_t *
openapi_operations(const char *file)
{
	static const char *const methods[] = {"get",   "post",   "put",
	                                      "patch", "delete", NULL};
	char line[512], path[512] = "", *end, want[32], op[600];
	json_t *ops = json_array();
	FILE *f = fopen(file, "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "  /", 3) == 0 &&
		    (end = strstr(line, ":\n")) != NULL) {
			*end = '\0';
			snprintf(path, sizeof(path), "%s", line + 2);
			continue;
		}
		if (line[0] != ' ' && line[0] != '\n')
			path[0] = '\0';
		for (int m = 0; path[0] != '\0' && methods[m] != NULL; m++) {
			snprintf(want, sizeof(want), "    %s:", methods[m]);
			if (strncmp(line, want, strlen(want)) != 0)
				continue;
			snprintf(op, sizeof(op), "%s %s", methods[m], path);
			for (char *c = op; *c != ' '; c++)
				*c = (char)(*c - 'a' + 'A');
			json_array_append_new(ops, json_string(op));
		}
	}
	fclose(f);
	return ops;
}

/* The gateway.token.revoked.v1 events of events:gateway naming `jti`
 * (a new array). */
static json_t *
revocation_events(const char *jti)
{
	json_t *all = t_stream_events("events:gateway"), *out = json_array(),
	       *ev;
	size_t i;

	ck_assert_ptr_nonnull(all);
	json_array_foreach(all, i, ev)
	{
		if (strcmp(t_jstr(ev, "type"), "gateway.token.revoked.v1") ==
		        0 &&
		    strcmp(t_jstr(json_object_get(ev, "data"), "jti"), jti) ==
		        0)
			json_array_append(out, ev);
	}
	json_decref(all);
	return out;
}

/* ---- tests
 * ------------------------------------------------------------------------ */

START_TEST(password_grant_and_me)
{
	struct mp_principal p;
	struct t_resp r;
	char cc[128];
	json_t *t;
	const char *tok;

	user_create("pg.officer", "council_officer", "souss-massa", NULL);
	t = login("PG.Officer", PW); /* names are case-insensitive */
	tok = t_jstr(t, "access_token");
	ck_assert_str_eq(t_jstr(t, "token_type"), "Bearer");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "expires_in")),
	                 900);
	ck_assert_int_eq(strncmp(t_jstr(t, "refresh_token"), "rt_", 3), 0);
	ck_assert_int_eq(verify(tok, &p), MP_JWT_OK);
	ck_assert_uint_eq(p.roles, MP_ROLE_COUNCIL_OFFICER);
	ck_assert_str_eq(p.region, "souss-massa");
	ck_assert_uint_eq(strlen(p.jti), 36);
	ck_assert_int_eq(p.exp - p.iat, 900);

	ck_assert_int_eq(t_json(&gw, "GET", "/auth/me", tok, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(t_jstr(r.json, "username"), "pg.officer");
	ck_assert_str_eq(t_jstr(r.json, "id"), p.subject);
	ck_assert_ptr_null(strstr(r.body, "password"));
	ck_assert_ptr_null(strstr(r.body, "argon2"));
	t_resp_free(&r);
	json_decref(t);

	/* the token answer is never cached */
	ck_assert_int_eq(form("grant_type=password&username=pg.officer&"
	                      "password=" PW,
	                      &r),
	                 0);
	ck_assert_int_eq(t_resp_header(&r, "cache-control", cc, sizeof(cc)), 0);
	ck_assert_str_eq(cc, "no-store");
	t_resp_free(&r);
	ck_assert_int_eq(me_status(NULL), 401);
}
END_TEST

START_TEST(bad_password_does_not_enumerate)
{
	struct t_resp a, b;

	user_create("enum.user", "applicant", "oriental", NULL);
	ck_assert_int_eq(form("grant_type=password&username=enum.user&"
	                      "password=wrong-password-1",
	                      &a),
	                 0);
	ck_assert_int_eq(form("grant_type=password&username=nobody.here&"
	                      "password=wrong-password-1",
	                      &b),
	                 0);
	ck_assert_int_eq(a.status, 400);
	ck_assert_int_eq(b.status, 400);
	ck_assert_str_eq(t_jstr(a.json, "error"), "invalid_grant");
	ck_assert_str_eq(t_jstr(a.json, "type"),
	                 "urn:mp:problem:invalid-grant");
	ck_assert_str_eq(t_jstr(a.json, "error"), t_jstr(b.json, "error"));
	ck_assert_str_eq(t_jstr(a.json, "detail"), t_jstr(b.json, "detail"));
	ck_assert_ptr_nonnull(
	    strcasestr(a.headers, "content-type: application/problem+json"));
	t_resp_free(&a);
	t_resp_free(&b);
}
END_TEST

START_TEST(lockout_with_retry_after)
{
	struct t_resp r;
	char ra[32], *adm, path[128];
	const char *bad = "grant_type=password&username=lock.user&"
	                  "password=wrong-password-1";
	json_t *t, *body;
	struct mp_principal p;
	int i;

	user_create("lock.user", "mediator", "souss-massa", NULL);
	for (i = 1; i <= 5; i++) {
		ck_assert_int_eq(form(bad, &r), 0);
		ck_assert_int_eq(r.status, 400);
		ck_assert_int_eq(
		    t_resp_header(&r, "retry-after", ra, sizeof(ra)) == 0,
		    i == 5);
		t_resp_free(&r);
	}
	ck_assert_int_eq(atoi(ra), 30);
	/* locked: even the right password answers like a wrong one */
	ck_assert_int_eq(form("grant_type=password&username=lock.user&"
	                      "password=" PW,
	                      &r),
	                 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_grant");
	ck_assert_int_eq(t_resp_header(&r, "retry-after", ra, sizeof(ra)), 0);
	ck_assert_int_gt(atoi(ra), 0);
	t_resp_free(&r);

	/* an unknown name locks the same way: nothing tells them apart */
	for (i = 1; i <= 5; i++) {
		ck_assert_int_eq(form("grant_type=password&username="
		                      "ghost.user&password=wrong-password-1",
		                      &r),
		                 0);
		ck_assert_int_eq(r.status, 400);
		ck_assert_int_eq(
		    t_resp_header(&r, "retry-after", ra, sizeof(ra)) == 0,
		    i == 5);
		t_resp_free(&r);
	}

	/* an admin lifts the lock */
	adm = admin_token();
	ck_assert_int_eq(
	    t_json(&gw, "GET", "/admin/users?limit=200", adm, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	{
		json_t *it;
		size_t k;

		path[0] = '\0';
		json_array_foreach(
		    json_object_get(r.json, "items"), k,
		    it) if (strcmp(t_jstr(it, "username"), "lock.user") == 0)
		{
			ck_assert_ptr_nonnull(
			    json_object_get(it, "locked_until"));
			snprintf(path, sizeof(path), "/admin/users/%s",
			         t_jstr(it, "id"));
		}
	}
	t_resp_free(&r);
	ck_assert(path[0] != '\0');
	body = json_pack("{s:b}", "unlock", 1);
	ck_assert_int_eq(t_json(&gw, "PATCH", path, adm, body, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "failed_logins")), 0);
	t_resp_free(&r);
	json_decref(body);
	free(adm);
	t = login("lock.user", PW);
	ck_assert_int_eq(verify(t_jstr(t, "access_token"), &p), MP_JWT_OK);
	json_decref(t);
}
END_TEST

START_TEST(refresh_rotation_and_reuse)
{
	struct t_resp r;
	char body[256], first[64], second[64], third[64];
	struct mp_principal p;
	json_t *t;

	user_create("rot.user", "appraiser", "oriental", NULL);
	t = login("rot.user", PW);
	snprintf(first, sizeof(first), "%s", t_jstr(t, "refresh_token"));
	json_decref(t);

	snprintf(body, sizeof(body),
	         "grant_type=refresh_token&"
	         "refresh_token=%s",
	         first);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 200);
	snprintf(second, sizeof(second), "%s", t_jstr(r.json, "refresh_token"));
	ck_assert_str_ne(first, second);
	ck_assert_int_eq(verify(t_jstr(r.json, "access_token"), &p), MP_JWT_OK);
	ck_assert_uint_eq(p.roles, MP_ROLE_APPRAISER);
	t_resp_free(&r);

	snprintf(body, sizeof(body),
	         "grant_type=refresh_token&"
	         "refresh_token=%s",
	         second);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 200);
	snprintf(third, sizeof(third), "%s", t_jstr(r.json, "refresh_token"));
	t_resp_free(&r);

	/* the first one again: reuse, the whole family dies */
	snprintf(body, sizeof(body),
	         "grant_type=refresh_token&"
	         "refresh_token=%s",
	         first);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_grant");
	t_resp_free(&r);
	snprintf(body, sizeof(body),
	         "grant_type=refresh_token&"
	         "refresh_token=%s",
	         third);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_grant");
	t_resp_free(&r);

	/* not even a token of ours */
	ck_assert_int_eq(form("grant_type=refresh_token&refresh_token=abc", &r),
	                 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_grant");
	t_resp_free(&r);
}
END_TEST

START_TEST(client_credentials)
{
	struct mp_principal p;
	struct t_resp r;
	char body[512], secret[128], www[128];
	char *adm = admin_token();
	json_t *c;

	c = json_pack("{s:s, s:s, s:[s, s]}", "client_id", "itest-client",
	              "name", "Integration test app", "scopes", "funding:read",
	              "cases:read");
	ck_assert_int_eq(t_json(&gw, "POST", "/admin/clients", adm, c, &r), 0);
	ck_assert_int_eq(r.status, 201);
	ck_assert_int_eq(strncmp(t_jstr(r.json, "client_secret"), "cs_", 3), 0);
	ck_assert_ptr_null(json_object_get(r.json, "secret_hash"));
	snprintf(secret, sizeof(secret), "%s", t_jstr(r.json, "client_secret"));
	t_resp_free(&r);
	json_decref(c);

	snprintf(body, sizeof(body),
	         "grant_type=client_credentials&"
	         "client_id=itest-client&client_secret=%s&"
	         "scope=cases:read+gender:read",
	         secret);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(t_jstr(r.json, "scope"), "cases:read");
	ck_assert_ptr_null(json_object_get(r.json, "refresh_token"));
	ck_assert_int_eq(verify(t_jstr(r.json, "access_token"), &p), MP_JWT_OK);
	ck_assert_uint_eq(p.roles, MP_ROLE_CLIENT);
	ck_assert_str_eq(p.client_id, "itest-client");
	ck_assert_str_eq(p.subject, "itest-client");
	ck_assert_str_eq(p.scopes, "cases:read");
	ck_assert_int_eq(me_status(t_jstr(r.json, "access_token")), 200);
	t_resp_free(&r);

	/* nothing asked for is granted */
	snprintf(body, sizeof(body),
	         "grant_type=client_credentials&"
	         "client_id=itest-client&client_secret=%s&scope=gender:write",
	         secret);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_scope");
	t_resp_free(&r);

	/* bad secret, unknown client: 401 invalid_client */
	ck_assert_int_eq(form("grant_type=client_credentials&client_id="
	                      "itest-client&client_secret=cs_wrong",
	                      &r),
	                 0);
	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_client");
	ck_assert_int_eq(
	    t_resp_header(&r, "www-authenticate", www, sizeof(www)), 0);
	t_resp_free(&r);
	ck_assert_int_eq(form("grant_type=client_credentials&client_id="
	                      "no-such-client&client_secret=cs_wrong",
	                      &r),
	                 0);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);

	/* disabled: refused */
	ck_assert_int_eq(
	    t_json(&gw, "DELETE", "/admin/clients/itest-client", adm, NULL, &r),
	    0);
	ck_assert_int_eq(r.status, 204);
	t_resp_free(&r);
	snprintf(body, sizeof(body),
	         "grant_type=client_credentials&"
	         "client_id=itest-client&client_secret=%s",
	         secret);
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);
	free(adm);
}
END_TEST

START_TEST(revoke_refresh_and_access)
{
	const char *hdr[] = {FORM_CT, NULL};
	struct mp_principal p;
	struct t_resp r;
	char body[4096], *exp;
	json_t *t;

	user_create("rev.user", "gender_analyst", NULL, NULL);
	t = login("rev.user", PW);

	/* refresh token: its family is dead */
	snprintf(body, sizeof(body), "token=%s&token_type_hint=refresh_token",
	         t_jstr(t, "refresh_token"));
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	snprintf(body, sizeof(body),
	         "grant_type=refresh_token&"
	         "refresh_token=%s",
	         t_jstr(t, "refresh_token"));
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 400);
	t_resp_free(&r);

	/* access token: its jti is kept until it expires, in the table every
	 * gateway worker reads into memory, and no worker accepts it past
	 * one refresh of that view (250 ms; 2 workers, 8 tries) */
	ck_assert_int_eq(verify(t_jstr(t, "access_token"), &p), MP_JWT_OK);
	snprintf(body, sizeof(body), "token=%s", t_jstr(t, "access_token"));
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	exp = t_db_scalar(
	    "gateway", "SELECT exp FROM revoked_token WHERE jti = $1", p.jti);
	ck_assert_ptr_nonnull(exp);
	ck_assert_int_eq(strtoll(exp, NULL, 10), p.exp);
	free(exp);
	ck_assert_int_eq(t_redis_int("EXISTS gw:jti:{%s}", p.jti), 0);
	t_sleep_ms(400);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(t_json(&gw, "GET", "/auth/me",
		                        t_jstr(t, "access_token"), NULL, &r),
		                 0);
		ck_assert_int_eq(r.status, 401);
		t_resp_free(&r);
	}

	/* nonsense is not an error (RFC 7009 2.2) */
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, "token=abc", 9, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, "foo=bar", 7, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_request");
	t_resp_free(&r);
	json_decref(t);
}
END_TEST

/* Sign-out is published for the services: one gateway.token.revoked.v1 on
 * events:gateway with the jti and exp only, within a second, and none for
 * a second revocation of the same token. */
START_TEST(revocation_published)
{
	const char *hdr[] = {FORM_CT, NULL};
	struct mp_principal p;
	struct t_resp r;
	char body[4096];
	json_t *t, *evs = NULL, *ev, *data;
	int waited;

	user_create("revp.user", "gender_analyst", NULL, NULL);
	t = login("revp.user", PW);
	ck_assert_int_eq(verify(t_jstr(t, "access_token"), &p), MP_JWT_OK);
	ck_assert_str_ne(p.jti, "");
	snprintf(body, sizeof(body), "token=%s", t_jstr(t, "access_token"));
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);

	for (waited = 0; waited <= 1000; waited += 50) {
		json_decref(evs);
		evs = revocation_events(p.jti);
		if (json_array_size(evs) > 0)
			break;
		t_sleep_ms(50);
	}
	ck_assert_msg(json_array_size(evs) == 1,
	              "%zu events for the jti "
	              "after %d ms",
	              json_array_size(evs), waited);
	ev = json_array_get(evs, 0);
	data = json_object_get(ev, "data");
	ck_assert_str_eq(t_jstr(ev, "source"), "urn:mp:gateway");
	ck_assert_ptr_null(json_object_get(ev, "subject"));
	ck_assert_uint_eq(json_object_size(data), 2);
	ck_assert_str_eq(t_jstr(data, "jti"), p.jti);
	ck_assert(json_is_integer(json_object_get(data, "exp")));
	ck_assert_int_eq(json_integer_value(json_object_get(data, "exp")),
	                 p.exp);
	json_decref(evs);

	/* the gateway's cache invalidation reads the services' streams, not
	 * its own: no cache generation of a "gateway" service */
	ck_assert_int_eq(t_redis_int("EXISTS gw:gen:gateway"), 0);

	/* revoked again: nothing new to tell */
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	t_sleep_ms(300);
	evs = revocation_events(p.jti);
	ck_assert_uint_eq(json_array_size(evs), 1);
	json_decref(evs);
	json_decref(t);
}
END_TEST

/* Sign-out holds on the gateway's own routes as on /v1: a revoked admin
 * token is refused at once on /auth/me, /admin/users and /admin/clients
 * (it used to stay admin there for the rest of its life). */
START_TEST(revoked_token_refused_on_own_routes)
{
	static const char *const own[] = {"/auth/me", "/admin/users",
	                                  "/admin/clients", NULL};
	const char *hdr[] = {FORM_CT, NULL};
	struct t_resp r;
	char body[4096];
	json_t *t;
	int i;

	user_create("revo.admin", "admin", NULL, NULL);
	t = login("revo.admin", PW);
	for (i = 0; own[i] != NULL; i++) {
		ck_assert_int_eq(t_json(&gw, "GET", own[i],
		                        t_jstr(t, "access_token"), NULL, &r),
		                 0);
		ck_assert_msg(r.status == 200, "%s before: %ld", own[i],
		              r.status);
		t_resp_free(&r);
	}
	snprintf(body, sizeof(body), "token=%s", t_jstr(t, "access_token"));
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	t_sleep_ms(300); /* one refresh of every worker's revocation view */
	for (i = 0; own[i] != NULL; i++) {
		ck_assert_int_eq(t_json(&gw, "GET", own[i],
		                        t_jstr(t, "access_token"), NULL, &r),
		                 0);
		ck_assert_msg(r.status == 401, "%s after revocation: %ld %s",
		              own[i], r.status, r.body);
		ck_assert_str_eq(t_jstr(r.json, "type"),
		                 "urn:mp:problem:invalid-token");
		ck_assert_int_eq(
		    t_resp_header(&r, "www-authenticate", body, sizeof(body)),
		    0);
		t_resp_free(&r);
	}
	/* a write too */
	ck_assert_int_eq(t_json(&gw, "POST", "/admin/clients",
	                        t_jstr(t, "access_token"), NULL, &r),
	                 0);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);
	json_decref(t);
}
END_TEST

/* The gateway's tokens stay valid for every process: their lifetime is
 * within the library's MP_JWT_MAX_LIFETIME_S (a longer MP_ACCESS_TTL_S
 * stops start-up with a line naming both), and they carry a jti. */
START_TEST(access_ttl_within_max_lifetime)
{
	static const char *const env[] = {"MP_ACCESS_TTL_S=7201",
	                                  "MP_JWT_MAX_LIFETIME_S=7200", NULL};
	struct mp_principal p;
	struct t_proc g2;
	char path[512], line[512];
	int found = 0;
	FILE *f;
	json_t *t;

	ck_assert_int_ne(t_gateway_start(&g2, "gwauth-longttl", env), 0);
	t_var_path("log/gwauth-longttl.log", path, sizeof(path));
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "MP_ACCESS_TTL_S (7201) exceeds "
		                 "MP_JWT_MAX_LIFETIME_S (7200)") != NULL)
			found = 1;
	fclose(f);
	ck_assert(found);

	user_create("ttl.user", "gender_analyst", NULL, NULL);
	t = login("ttl.user", PW);
	ck_assert_int_eq(verify(t_jstr(t, "access_token"), &p), MP_JWT_OK);
	ck_assert_str_ne(p.jti, "");
	ck_assert_int_le(p.exp - p.iat, 7200);
	json_decref(t);
}
END_TEST

/* Revoking a refresh-token family revokes the access tokens issued with
 * it, everywhere: a spent refresh token presented again (reuse), and
 * sign-out with the refresh token. Each is refused at once by the gateway
 * and published once for the services. */
START_TEST(family_revocation_revokes_access)
{
	const char *hdr[] = {FORM_CT, NULL};
	struct mp_principal p1, p2, p3;
	struct t_resp r;
	char body[4096];
	json_t *t1, *t2, *t3, *evs;
	int waited;

	user_create("fam.user", "gender_analyst", NULL, NULL);
	t1 = login("fam.user", PW);
	snprintf(body, sizeof(body),
	         "grant_type=refresh_token&"
	         "refresh_token=%s",
	         t_jstr(t1, "refresh_token"));
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t2 = json_incref(r.json);
	t_resp_free(&r);
	ck_assert_int_eq(verify(t_jstr(t1, "access_token"), &p1), MP_JWT_OK);
	ck_assert_int_eq(verify(t_jstr(t2, "access_token"), &p2), MP_JWT_OK);
	ck_assert_int_eq(me_status(t_jstr(t1, "access_token")), 200);
	ck_assert_int_eq(me_status(t_jstr(t2, "access_token")), 200);

	/* reuse of the spent first refresh token */
	ck_assert_int_eq(form(body, &r), 0);
	ck_assert_int_eq(r.status, 400);
	t_resp_free(&r);
	ck_assert_int_eq(
	    status_after_revocation("/auth/me", t_jstr(t1, "access_token")),
	    401);
	ck_assert_int_eq(
	    status_after_revocation("/auth/me", t_jstr(t2, "access_token")),
	    401);
	for (waited = 0; waited < 2000; waited += 50) {
		json_t *a = revocation_events(p1.jti),
		       *b = revocation_events(p2.jti);
		int both = json_array_size(a) == 1 && json_array_size(b) == 1;

		json_decref(a);
		json_decref(b);
		if (both)
			break;
		t_sleep_ms(50);
	}
	ck_assert_msg(waited < 2000, "no event for each access token");

	/* sign-out with the refresh token */
	t3 = login("fam.user", PW);
	ck_assert_int_eq(verify(t_jstr(t3, "access_token"), &p3), MP_JWT_OK);
	snprintf(body, sizeof(body), "token=%s", t_jstr(t3, "refresh_token"));
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", hdr, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	ck_assert_int_eq(
	    status_after_revocation("/auth/me", t_jstr(t3, "access_token")),
	    401);
	for (waited = 0; waited < 2000; waited += 50) {
		evs = revocation_events(p3.jti);
		if (json_array_size(evs) == 1)
			break;
		json_decref(evs);
		evs = NULL;
		t_sleep_ms(50);
	}
	ck_assert_ptr_nonnull(evs);
	json_decref(evs);
	json_decref(t1);
	json_decref(t2);
	json_decref(t3);
}
END_TEST

/* An admin who demotes or disables an account takes its rights away at
 * once: its access tokens are revoked with its refresh tokens (it used to
 * keep them until they expired). A change that revokes nothing (unlock)
 * leaves a fresh token alone. */
START_TEST(admin_change_revokes_access)
{
	char *adm = admin_token(), path[128];
	struct t_resp r;
	json_t *t, *b;

	user_create("chg.user", "admin", NULL, NULL);
	t = login("chg.user", PW);
	ck_assert_int_eq(
	    t_json(&gw, "GET", "/auth/me", t_jstr(t, "access_token"), NULL, &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	snprintf(path, sizeof(path), "/admin/users/%s", t_jstr(r.json, "id"));
	t_resp_free(&r);
	ck_assert_int_eq(t_json(&gw, "GET", "/admin/users",
	                        t_jstr(t, "access_token"), NULL, &r),
	                 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);

	b = json_pack("{s:b}", "unlock", 1);
	ck_assert_int_eq(t_json(&gw, "PATCH", path, adm, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	ck_assert_int_eq(me_status(t_jstr(t, "access_token")), 200);

	/* demoted: the admin token no longer opens /admin */
	b = json_pack("{s:[s], s:s}", "roles", "council_officer", "region",
	              "oriental");
	ck_assert_int_eq(t_json(&gw, "PATCH", path, adm, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_array_get(
	                     json_object_get(r.json, "roles"), 0)),
	                 "council_officer");
	t_resp_free(&r);
	json_decref(b);
	ck_assert_int_eq(
	    status_after_revocation("/admin/users", t_jstr(t, "access_token")),
	    401);
	json_decref(t);

	/* disabled: the same */
	t = login("chg.user", PW);
	ck_assert_int_eq(me_status(t_jstr(t, "access_token")), 200);
	b = json_pack("{s:b}", "disabled", 1);
	ck_assert_int_eq(t_json(&gw, "PATCH", path, adm, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	ck_assert_int_eq(
	    status_after_revocation("/auth/me", t_jstr(t, "access_token")),
	    401);
	json_decref(t);
	free(adm);
}
END_TEST

START_TEST(register_applicant_only)
{
	struct mp_principal p;
	struct t_resp r;
	json_t *b, *t;

	b = json_pack("{s:s, s:s, s:s, s:s}", "username", "reg.user",
	              "password", PW, "region", "oriental", "commune", "oujda");
	ck_assert_int_eq(t_json(&gw, "POST", "/auth/register", NULL, b, &r), 0);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(json_string_value(json_array_get(
	                     json_object_get(r.json, "roles"), 0)),
	                 "applicant");
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "roles")), 1);
	ck_assert_ptr_null(strstr(r.body, "password"));
	t_resp_free(&r);
	/* taken */
	ck_assert_int_eq(t_json(&gw, "POST", "/auth/register", NULL, b, &r), 0);
	ck_assert_int_eq(r.status, 409);
	t_resp_free(&r);
	json_decref(b);

	t = login("reg.user", PW);
	ck_assert_int_eq(verify(t_jstr(t, "access_token"), &p), MP_JWT_OK);
	ck_assert_uint_eq(p.roles, MP_ROLE_APPLICANT);
	ck_assert_str_eq(p.region, "oriental");
	json_decref(t);

	/* mass assignment: roles cannot be chosen */
	b = json_pack("{s:s, s:s, s:s, s:[s]}", "username", "reg.sneaky",
	              "password", PW, "region", "oriental", "roles", "admin");
	ck_assert_int_eq(t_json(&gw, "POST", "/auth/register", NULL, b, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "\"roles\""));
	t_resp_free(&r);
	json_decref(b);
	/* a commune must be one of the region's: another region's, or none
	 * at all, is refused naming the field (it would go into tokens) */
	{
		static const char *const bad[] = {"agadir", "atlantis", "Oujda",
		                                  NULL};

		for (int i = 0; bad[i] != NULL; i++) {
			b = json_pack("{s:s, s:s, s:s, s:s}", "username",
			              "reg.commune", "password", PW, "region",
			              "oriental", "commune", bad[i]);
			ck_assert_int_eq(
			    t_json(&gw, "POST", "/auth/register", NULL, b, &r),
			    0);
			ck_assert_msg(r.status == 400, "commune %s: %ld %s",
			              bad[i], r.status, r.body);
			ck_assert_str_eq(
			    t_jstr(json_array_get(
			               json_object_get(r.json, "errors"), 0),
			           "field"),
			    "commune");
			t_resp_free(&r);
			json_decref(b);
		}
	}
	/* an admin cannot make such an account either (the table's rule) */
	{
		char *adm = admin_token();

		b = json_pack("{s:s, s:s, s:[s], s:s, s:s}", "username",
		              "reg.agent", "password", PW, "roles",
		              "municipal_agent", "region", "oriental",
		              "commune", "agadir");
		ck_assert_int_eq(
		    t_json(&gw, "POST", "/admin/users", adm, b, &r), 0);
		ck_assert_msg(r.status == 422,
		              "admin, commune of another "
		              "region: %ld %s",
		              r.status, r.body);
		t_resp_free(&r);
		json_decref(b);
		free(adm);
	}
	/* short password */
	b = json_pack("{s:s, s:s, s:s}", "username", "reg.short", "password",
	              "short", "region", "oriental");
	ck_assert_int_eq(t_json(&gw, "POST", "/auth/register", NULL, b, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "\"password\""));
	t_resp_free(&r);
	json_decref(b);
}
END_TEST

START_TEST(admin_routes)
{
	char *adm = admin_token(),
	     *app = t_token("some-applicant", "applicant", "oriental"),
	     path[128];
	struct t_resp r;
	json_t *b;

	ck_assert_int_eq(t_json(&gw, "GET", "/admin/users", app, NULL, &r), 0);
	ck_assert_int_eq(r.status, 403);
	t_resp_free(&r);
	ck_assert_int_eq(t_json(&gw, "GET", "/admin/clients", app, NULL, &r),
	                 0);
	ck_assert_int_eq(r.status, 403);
	t_resp_free(&r);
	ck_assert_int_eq(t_json(&gw, "GET", "/admin/users", NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);

	/* create, read, change */
	b = json_pack("{s:s, s:s, s:[s], s:s, s:s}", "username", "adm.agent",
	              "password", PW, "roles", "municipal_agent", "region",
	              "souss-massa", "commune", "agadir");
	ck_assert_int_eq(t_json(&gw, "POST", "/admin/users", adm, b, &r), 0);
	ck_assert_int_eq(r.status, 201);
	snprintf(path, sizeof(path), "/admin/users/%s", t_jstr(r.json, "id"));
	t_resp_free(&r);
	json_decref(b);
	ck_assert_int_eq(t_json(&gw, "GET", path, adm, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(t_jstr(r.json, "commune"), "agadir");
	ck_assert_ptr_null(strstr(r.body, "argon2"));
	t_resp_free(&r);
	b = json_pack("{s:[s, s], s:s}", "roles", "municipal_agent", "mediator",
	              "organisation", "assoc-x");
	ck_assert_int_eq(t_json(&gw, "PATCH", path, adm, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "roles")), 2);
	t_resp_free(&r);
	json_decref(b);

	/* validation: an agent without commune, an unknown member */
	b = json_pack("{s:s, s:s, s:[s], s:s}", "username", "adm.bad",
	              "password", PW, "roles", "municipal_agent", "region",
	              "oriental");
	ck_assert_int_eq(t_json(&gw, "POST", "/admin/users", adm, b, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "commune"));
	t_resp_free(&r);
	json_decref(b);
	b = json_pack("{s:b}", "password_hash", 1);
	ck_assert_int_eq(t_json(&gw, "PATCH", path, adm, b, &r), 0);
	ck_assert_int_eq(r.status, 400);
	t_resp_free(&r);
	json_decref(b);
	ck_assert_int_eq(
	    t_json(&gw, "GET",
	           "/admin/users/0190a000-0000-7000-8000-000000000000", adm,
	           NULL, &r),
	    0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);

	/* pages */
	ck_assert_int_eq(
	    t_json(&gw, "GET", "/admin/users?limit=1", adm, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "items")), 1);
	ck_assert(json_is_string(json_object_get(r.json, "next_cursor")));
	t_resp_free(&r);
	ck_assert_int_eq(
	    t_json(&gw, "GET", "/admin/users?limit=0", adm, NULL, &r), 0);
	ck_assert_int_eq(r.status, 400);
	t_resp_free(&r);
	ck_assert_int_eq(t_json(&gw, "GET", "/admin/clients", adm, NULL, &r),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert(json_is_array(json_object_get(r.json, "items")));
	t_resp_free(&r);
	free(adm);
	free(app);
}
END_TEST

START_TEST(bootstrap_admin_can_log_in)
{
	struct mp_principal p;
	json_t *t = login("root-admin", "root-password-2026");

	ck_assert_int_eq(verify(t_jstr(t, "access_token"), &p), MP_JWT_OK);
	ck_assert_uint_eq(p.roles, MP_ROLE_ADMIN);
	json_decref(t);
}
END_TEST

START_TEST(jwks_lists_both_keys)
{
	struct t_resp r;
	char cc[128], hdr[256];
	unsigned char raw[256];
	size_t rawlen = 0, i;
	const char *tok, *dot;
	json_t *k, *h, *t;
	int rs = 0, es = 0;

	ck_assert_int_eq(
	    t_http(&gw, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(t_resp_header(&r, "cache-control", cc, sizeof(cc)), 0);
	ck_assert_str_eq(cc, "public, max-age=300");
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "keys")), 2);
	json_array_foreach(json_object_get(r.json, "keys"), i, k)
	{
		ck_assert_str_eq(t_jstr(k, "use"), "sig");
		if (strcmp(t_jstr(k, "kid"), "test-rs-1") == 0) {
			rs = 1;
			ck_assert_str_eq(t_jstr(k, "kty"), "RSA");
			ck_assert_str_eq(t_jstr(k, "alg"), "RS256");
			ck_assert_str_eq(t_jstr(k, "e"), "AQAB");
			ck_assert_uint_ge(strlen(t_jstr(k, "n")), 342);
		} else if (strcmp(t_jstr(k, "kid"), "test-es-1") == 0) {
			es = 1;
			ck_assert_str_eq(t_jstr(k, "kty"), "EC");
			ck_assert_str_eq(t_jstr(k, "crv"), "P-256");
			ck_assert_uint_eq(strlen(t_jstr(k, "x")), 43);
			ck_assert_uint_eq(strlen(t_jstr(k, "y")), 43);
		}
	}
	ck_assert(rs && es);
	t_resp_free(&r);

	/* tokens come signed by the new key, and verify */
	user_create("jwks.user", "erc_member", "oriental", NULL);
	t = login("jwks.user", PW);
	tok = t_jstr(t, "access_token");
	dot = strchr(tok, '.');
	ck_assert_ptr_nonnull(dot);
	snprintf(hdr, sizeof(hdr), "%.*s", (int)(dot - tok), tok);
	ck_assert_int_eq(
	    sodium_base642bin(raw, sizeof(raw) - 1, hdr, strlen(hdr), NULL,
	                      &rawlen, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	    0);
	raw[rawlen] = '\0';
	h = json_loads((const char *)raw, 0, NULL);
	ck_assert_str_eq(t_jstr(h, "kid"), "test-es-1");
	ck_assert_str_eq(t_jstr(h, "alg"), "ES256");
	json_decref(h);
	json_decref(t);
}
END_TEST

START_TEST(malformed_forms)
{
	static const char *const bad[] = {"grant_type=password&grant_type="
	                                  "password",
	                                  "grant_type=%zz", "grant_type", "&&",
	                                  NULL};
	const char *json_hdr[] = {"Content-Type: application/json", NULL};
	struct t_resp r;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_int_eq(form(bad[i], &r), 0);
		ck_assert_msg(r.status == 400, "%s: %ld", bad[i], r.status);
		ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_request");
		ck_assert_ptr_nonnull(strcasestr(
		    r.headers, "content-type: application/problem+json"));
		t_resp_free(&r);
	}
	ck_assert_int_eq(t_http(&gw, "POST", "/auth/token", json_hdr,
	                        "{\"grant_type\":\"password\"}", 25, &r),
	                 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_request");
	t_resp_free(&r);
	ck_assert_int_eq(form("username=x&password=y", &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_request");
	t_resp_free(&r);
	ck_assert_int_eq(form("grant_type=password&username=x", &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_request");
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&gw, "GET", "/auth/token", NULL, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 405);
	t_resp_free(&r);
}
END_TEST

START_TEST(unsupported_grant_type)
{
	struct t_resp r;

	ck_assert_int_eq(form("grant_type=implicit", &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "unsupported_grant_type");
	ck_assert_str_eq(t_jstr(r.json, "type"),
	                 "urn:mp:problem:unsupported-grant-type");
	t_resp_free(&r);
	ck_assert_int_eq(form("grant_type=password&username=a.b.c&password=x&"
	                      "scope=funding:write",
	                      &r),
	                 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(t_jstr(r.json, "error"), "invalid_scope");
	t_resp_free(&r);
}
END_TEST

/* The auth and admin routes served equal those of openapi/gateway.yaml. */
START_TEST(routes_equal_openapi)
{
	json_t *spec = openapi_operations("openapi/gateway.yaml"), *served, *r;
	struct t_proc ops = t_ops(&gw);
	struct t_resp resp;
	char op[600];
	size_t i, j;
	int found;

	ck_assert_int_eq(t_http(&ops, "GET", "/_routes", NULL, NULL, 0, &resp),
	                 0);
	ck_assert_int_eq(resp.status, 200);
	served = json_array();
	json_array_foreach(resp.json, i, r)
	{
		if (json_is_true(json_object_get(r, "prefix")))
			continue; /* the proxy's prefixes: the services' specs
			           */
		snprintf(op, sizeof(op), "%s %s", t_jstr(r, "method"),
		         t_jstr(r, "path"));
		json_array_append_new(served, json_string(op));
	}
	t_resp_free(&resp);
	json_array_foreach(served, i, r)
	{
		found = 0;
		for (j = 0; j < json_array_size(spec); j++)
			if (strcmp(json_string_value(json_array_get(spec, j)),
			           json_string_value(r)) == 0)
				found = 1;
		ck_assert_msg(found,
		              "served but not in openapi/gateway.yaml: "
		              "%s",
		              json_string_value(r));
	}
	json_array_foreach(spec, i, r)
	{
		found = 0;
		for (j = 0; j < json_array_size(served); j++)
			if (strcmp(json_string_value(json_array_get(served, j)),
			           json_string_value(r)) == 0)
				found = 1;
		ck_assert_msg(found,
		              "in openapi/gateway.yaml but not served: "
		              "%s",
		              json_string_value(r));
	}
	json_decref(spec);
	json_decref(served);
}
END_TEST

/* No worker died (a seccomp kill in a task thread, a fatal) so far. */
START_TEST(no_worker_died)
{
	ck_assert_int_eq(t_proc_worker_restarts(&gw), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gateway_auth");
	TCase *tc = tcase_create("auth");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, password_grant_and_me);
	tcase_add_test(tc, bad_password_does_not_enumerate);
	tcase_add_test(tc, lockout_with_retry_after);
	tcase_add_test(tc, refresh_rotation_and_reuse);
	tcase_add_test(tc, client_credentials);
	tcase_add_test(tc, revoke_refresh_and_access);
	tcase_add_test(tc, revocation_published);
	tcase_add_test(tc, family_revocation_revokes_access);
	tcase_add_test(tc, admin_change_revokes_access);
	tcase_add_test(tc, access_ttl_within_max_lifetime);
	tcase_add_test(tc, revoked_token_refused_on_own_routes);
	tcase_add_test(tc, register_applicant_only);
	tcase_add_test(tc, admin_routes);
	tcase_add_test(tc, bootstrap_admin_can_log_in);
	tcase_add_test(tc, jwks_lists_both_keys);
	tcase_add_test(tc, malformed_forms);
	tcase_add_test(tc, unsupported_grant_type);
	tcase_add_test(tc, routes_equal_openapi);
	tcase_add_test(tc, no_worker_died);
	suite_add_tcase(s, tc);
	return t_run(s);
}
