/*
 * Integration suite of the gateway's request pipeline (edge/edge.c): the
 * gateway and the funding service as real processes on the test
 * PostgreSQL and Redis, plus a slow peer upstream in this process behind
 * /v1/gender (for what funding is too quick to show: a write still in
 * flight).
 *
 * The gateway runs with 2 workers, small AUTH rate limit (5 per hour, so a
 * test can exhaust it) and generous others, a 3-failure / 2 s circuit
 * breaker, one CORS origin and the identity service's keys (tokens of
 * t_token, test-rs-1, verify there too).
 *
 * Order matters only at the end: Redis is stopped and started again, then
 * funding is killed and restarted (the circuit breaker); every other test
 * makes the data it needs (names carry the test's own prefix).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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

#define ORIGIN "https://council.souss-massa.example"
#define JSON_CT "Content-Type: application/json"
#define FORM_CT "Content-Type: application/x-www-form-urlencoded"
#define FUNDING_ENV_N 3

static struct t_proc funding, gw, gw_ops;
static char env_upstreams[256];
static const char *gw_env[24];
static const char *const funding_env[FUNDING_ENV_N] = {"MP_OUTBOX_SWEEP_MS=200",
                                                       "MP_WORKERS=2", NULL};

static const char *const regions[2] = {"souss-massa", "oriental"};
static const char *const communes[2] = {"agadir", "oujda"};

static void gen_settle(void);

/* ---- the slow peer upstream (/v1/gender)
 * ----------------------------------------- */

static struct {
	int lfd, port;
	atomic_int slow_seen; /* /slow/ requests received (this process) */
} peer = {.lfd = -1};

/* One connection: each request is answered 201 {"ok":true} after 1.5 s
 * when its path has "/slow/", at once otherwise. The traceparent it
 * received is echoed in X-Seen-Traceparent. */
static void *
peer_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384], head[512], tp[128], path[512];
	const char *p;
	size_t have = 0, hlen, blen;

	for (;;) {
		if (t_peer_read_request(fd, buf, sizeof(buf), &have, &hlen,
		                        &blen) != 0)
			goto out;
		tp[0] = '\0';
		for (p = buf; p < buf + hlen; p = strchr(p, '\n') + 1)
			if (strncasecmp(p, "traceparent: ", 13) == 0)
				sscanf(p + 13, "%127[^\r\n]", tp);
		if (sscanf(buf, "%*s %511s", path) != 1)
			goto out;
		buf[hlen - 1] = '\0';
		if (t_peer_ops_answer(fd, buf, t_peer_routes("gender")))
			goto out;
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
		if (strstr(path, "/slow/") != NULL) {
			atomic_fetch_add(&peer.slow_seen, 1);
			t_sleep_ms(1500);
		}
		snprintf(
		    head, sizeof(head),
		    "HTTP/1.1 201 Created\r\n"
		    "Content-Type: application/json\r\nX-Seen-Traceparent: %s"
		    "\r\nContent-Length: 11\r\n\r\n{\"ok\":true}",
		    tp);
		if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0)
			goto out;
	}
out:
	close(fd);
	return NULL;
}

static void
peer_serve(void)
{
	(void)t_peer_serve(peer.lfd, peer_conn, NULL);
}

static int
peer_listen(void)
{
	return (peer.lfd = t_listen_loopback(&peer.port)) < 0 ? -1 : 0;
}

/* ---- fixture
 * ---------------------------------------------------------------------- */

static void
suite_setup(void)
{
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
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
	         "gender=http://127.0.0.1:%d,cases=",
	         funding.port, peer.port);
	gw_env[j++] = env_upstreams;
	gw_env[j++] = "MP_RATE_LIMITS=default=100000/60,write=100000/60,"
	              "auth=5/3600";
	gw_env[j++] = "MP_BREAKER=3/2s";
	gw_env[j++] = "MP_CORS_ORIGINS=" ORIGIN ",https://council.oriental."
	              "example";
	gw_env[j] = NULL;
	/* the peer serves its route table while the gateway loads it */
	if (t_peer_ops_start(peer.lfd, t_peer_routes("gender")) != 0 ||
	    t_gateway_start(&gw, "edge-gateway", gw_env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		t_proc_stop(&funding);
		exit(1);
	}
	gw_ops = t_ops(&gw);
	t_peer_ops_stop();
}

static void
suite_teardown(void)
{
	t_proc_stop(&gw);
	t_proc_stop(&funding);
}

/* ---- helpers
 * ------------------------------------------------------------------------ */

/* A test-rs-1 token for who-<region> with comma-separated roles, valid an
 * hour, with a jti of its own (t_token's jti repeats across the forked
 * test processes, and a revoked one would then refuse the others). */
static char *
tok(const char *who, const char *roles, int r)
{
	static unsigned seq;
	long long now = (long long)time(NULL);
	char sub[96], jti[64], *list, *save = NULL;
	json_t *c, *arr = json_array();
	char *t;

	list = strdup(roles);
	for (char *x = strtok_r(list, ",", &save); x != NULL;
	     x = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(x));
	free(list);
	snprintf(sub, sizeof(sub), "%s-%s", who, regions[r]);
	snprintf(jti, sizeof(jti), "edge-%d-%u-%lld", (int)getpid(), ++seq,
	         now);
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub", sub, "iat",
	              now - 5, "exp", now + 3600, "roles", arr, "region",
	              regions[r], "jti", jti);
	t = t_token_claims(c);
	json_decref(c);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* Request with a token (NULL: none), a JSON body (stolen; NULL: none)
 * and extra header lines (NULL-terminated; may be NULL). */
static void
call(const struct t_proc *p, const char *method, const char *path,
     const char *token, json_t *body, const char *const *extra,
     struct t_resp *r)
{
	char auth[4096];
	const char *hdr[16];
	char *text = NULL;
	int i = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdr[i++] = auth;
	}
	if (body != NULL) {
		hdr[i++] = JSON_CT;
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
	for (int k = 0; extra != NULL && extra[k] != NULL && i < 15; k++)
		hdr[i++] = extra[k];
	hdr[i] = NULL;
	ck_assert_int_eq(t_http(p, method, path, hdr,
	                        text != NULL ? text
	                        : strcmp(method, "GET") == 0 ||
	                                strcmp(method, "OPTIONS") == 0
	                            ? NULL
	                            : "",
	                        text != NULL ? strlen(text) : 0, r),
	                 0);
	free(text);
}

static int
has_header(const struct t_resp *r, const char *name, const char *value)
{
	char v[1024];

	if (t_resp_header(r, name, v, sizeof(v)) != 0)
		return 0;
	return value == NULL || strcmp(v, value) == 0;
}

/* How many times the answer carries header `name`. */
static int
header_count(const struct t_resp *r, const char *name)
{
	const char *p = r->headers;
	size_t n = strlen(name);
	int count = 0;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			count++;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return count;
}

static void
rfc3339(char *out, size_t n, long long delta_s)
{
	time_t t = time(NULL) + delta_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
call_body(int r, const char *title)
{
	char opens[32], closes[32];

	rfc3339(opens, sizeof(opens), -86400);
	rfc3339(closes, sizeof(closes), 30 * 86400);
	return json_pack(
	    "{s:s, s:i, s:{s:s}, s:{s:s}, s:[s], s:[s, s], s:I, "
	    "s:I, s:i, s:s, s:s, s:{s:i}, s:[{s:s, s:i, s:i}]}",
	    "region", regions[r], "year", 2027, "title", "fr", title,
	    "description", "fr", "Appel de test de la passerelle", "themes",
	    "economic", "applicant_types", "mre", "association", "budget_minor",
	    (json_int_t)1000000, "max_grant_minor", (json_int_t)500000,
	    "min_cofinancing_bp", 1000, "opens_at", opens, "closes_at", closes,
	    "eligibility_rules", "min_beneficiaries", 1, "scoring_grid", "key",
	    "relevance", "weight", 100, "max", 10);
}

static json_t *
application_body(int r, const char *name)
{
	return json_pack(
	    "{s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s},"
	    " s:s, s:s, s:[{s:s, s:I}], s:I, s:I, s:[{s:s, s:s, s:i}], s:i}",
	    "applicant", "kind", "person", "type", "mre", "name", name, "sex",
	    "female", "age_band", "35-49", "country_of_residence", "FR",
	    "title", "fr", "Atelier solidaire", "summary", "fr",
	    "Formation de femmes migrantes", "commune", communes[r], "theme",
	    "economic", "budget_lines", "label", "Machines", "amount_minor",
	    (json_int_t)200000, "requested_minor", (json_int_t)100000,
	    "cofinancing_minor", (json_int_t)100000, "beneficiaries", "sex",
	    "female", "age_band", "25-34", "count", 20, "gender_marker", 2);
}

/* A draft call of region r made through the gateway: its id into out. */
static void
draft_call(int r, const char *title, char out[64])
{
	char *off = tok("edge-officer", "council_officer", r);
	struct t_resp resp;

	call(&gw, "POST", "/v1/funding/calls", off, call_body(r, title), NULL,
	     &resp);
	ck_assert_msg(resp.status == 201, "create call: %ld %s", resp.status,
	              resp.body);
	snprintf(out, 64, "%s", t_jstr(resp.json, "id"));
	t_resp_free(&resp);
	free(off);
}

/* Publish call `id` of region r (an envelope that covers it first). */
static void
publish_call(int r, const char *id)
{
	char *off = tok("edge-officer", "council_officer", r);
	char path[160];
	struct t_resp resp;
	long long committed = 0;

	snprintf(path, sizeof(path), "/v1/funding/envelopes/%s/2027",
	         regions[r]);
	call(&funding, "GET", path, off, NULL, NULL, &resp);
	if (resp.status == 200)
		committed = json_integer_value(
		    json_object_get(resp.json, "committed_minor"));
	t_resp_free(&resp);
	call(&gw, "PUT", path, off,
	     json_pack("{s:I, s:s}", "allocated_minor",
	               (json_int_t)(committed + 100000000), "currency", "EUR"),
	     NULL, &resp);
	ck_assert_msg(resp.status == 200, "envelope: %ld %s", resp.status,
	              resp.body);
	t_resp_free(&resp);
	snprintf(path, sizeof(path), "/v1/funding/calls/%s/transitions", id);
	call(&gw, "POST", path, off, json_pack("{s:s}", "to", "publish"), NULL,
	     &resp);
	ck_assert_msg(resp.status == 200, "publish: %ld %s", resp.status,
	              resp.body);
	t_resp_free(&resp);
	free(off);
}

/* GET with curl's path normalisation off (the path is sent as written). */
static long
raw_status(const char *path)
{
	char url[512];
	long code = 0;
	CURL *c = curl_easy_init();
	struct t_resp r;

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", gw.port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, fopen("/dev/null", "w"));
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

/* ---- route table vs funding: every role against every route
 * -------------------------- */

static char *
role_token(const char *role)
{
	return tok("edge-drift", role, 0);
}

START_TEST(route_table_equals_funding)
{
	/* funding's own table, as the gateway loaded it from /_routes */
	ck_assert_uint_gt(t_routes_agree(&funding, &gw, role_token), 40 * 9);
}
END_TEST

/* An API client: admitted by scope on public reads, refused elsewhere. */
START_TEST(api_client_scopes)
{
	json_t *c;
	char *t;
	struct t_resp r;
	long long now = (long long)time(NULL);

	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub",
	              "edge-client-1", "iat", now - 5, "exp", now + 600,
	              "roles", "client", "scope", "funding:read", "client_id",
	              "edge-client-1", "jti", "edge-client-jti-1");
	t = t_token_claims(c);
	json_decref(c);
	ck_assert_ptr_nonnull(t);
	call(&gw, "GET", "/v1/funding/themes", t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	call(&gw, "GET", "/v1/funding/applications", t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert(t_gateway_refused(&r));
	t_resp_free(&r);
	free(t);
}
END_TEST

START_TEST(unknown_routes_answered_by_gateway)
{
	struct t_resp r;
	char v[128];

	call(&gw, "GET", "/v1/funding/no-such-thing", NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(t_jstr(r.json, "type"), "urn:mp:problem:not-found");
	t_resp_free(&r);
	call(&gw, "DELETE", "/v1/funding/calls", NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_int_eq(t_resp_header(&r, "Allow", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "GET, POST");
	t_resp_free(&r);
	/* the catch-all of a service without routes wants a token */
	call(&gw, "GET", "/v1/gender/indicators", NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert(has_header(&r, "WWW-Authenticate", "Bearer"));
	t_resp_free(&r);
}
END_TEST

/* A parameter named twice is refused at the gateway, naming it, in either
 * order (the service read the first while the cache key sorted them, so
 * both orders shared a cache entry but not an answer); gender's figures
 * (repeated dimension=) pass through to the service that reads them. */
START_TEST(repeated_query_parameters)
{
	static const char *const twice[] = {
	    "/v1/funding/calls?region=oriental&region=souss-massa",
	    "/v1/funding/calls?region=souss-massa&region=oriental",
	    "/v1/funding/themes?lang=fr&x=1&lang=ar", NULL};
	char *t = tok("edge-repeats", "gender_analyst", 0);
	struct t_resp r;
	json_t *e;
	int i;

	for (i = 0; twice[i] != NULL; i++) {
		call(&gw, "GET", twice[i], NULL, NULL, NULL, &r);
		ck_assert_msg(r.status == 400, "%s: %ld", twice[i], r.status);
		e = json_array_get(json_object_get(r.json, "errors"), 0);
		ck_assert_str_eq(t_jstr(e, "field"), i < 2 ? "region" : "lang");
		ck_assert_ptr_nonnull(strstr(t_jstr(e, "reason"), "repeated"));
		ck_assert_ptr_nonnull(strcasestr(
		    r.headers, "content-type: application/problem+json"));
		t_resp_free(&r);
	}
	call(&gw, "GET", "/v1/funding/calls?region=oriental", NULL, NULL, NULL,
	     &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	peer_serve();
	call(&gw, "GET", "/v1/gender/figures?dimension=sex&dimension=age_band",
	     t, NULL, NULL, &r);
	ck_assert_msg(r.status == 201, "repeats to gender: %ld %s", r.status,
	              r.body);
	t_resp_free(&r);
	free(t);
}
END_TEST

START_TEST(path_traversal_refused)
{
	ck_assert_int_eq(raw_status("/v1/funding/../auth/me"), 400);
	ck_assert_int_eq(raw_status("/v1/funding/calls/..%2f..%2fauth"), 400);
	ck_assert_int_eq(raw_status("/v1/funding/%2e%2e/auth/me"), 400);
	ck_assert_int_eq(raw_status("/v1/funding//calls"), 400);
	ck_assert_int_eq(raw_status("/v1/funding/calls/%00"), 400);
	ck_assert_int_eq(raw_status("/v1/funding/./calls"), 400);
}
END_TEST

/* ---- tokens
 * ---------------------------------------------------------------------------
 */

static json_t *
claims(long long iat, long long nbf, long long exp, const char *iss,
       const char *aud)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s}",
	                      "iss", iss, "aud", aud, "sub", "edge-tok", "iat",
	                      iat, "exp", exp, "roles", "council_officer",
	                      "region", "souss-massa", "jti", "edge-tok-jti");

	if (nbf != 0)
		json_object_set_new(c, "nbf", json_integer(nbf));
	return c;
}

static void
refused_401(const char *token, const char *what)
{
	struct t_resp r;

	call(&gw, "GET", "/v1/funding/envelopes", token, NULL, NULL, &r);
	ck_assert_msg(r.status == 401, "%s: %ld %s", what, r.status, r.body);
	t_resp_free(&r);
	/* refused on a public route too: a token that is sent is checked */
	call(&gw, "GET", "/v1/funding/themes", token, NULL, NULL, &r);
	ck_assert_msg(r.status == 401, "%s (public): %ld", what, r.status);
	t_resp_free(&r);
}

START_TEST(bad_tokens_refused)
{
	long long now = (long long)time(NULL);
	const char *iss = "https://auth.test", *aud = "mp-api";
	json_t *c;
	char *t, *pub, *big;
	struct t_resp r;
	size_t n;

	c = claims(now - 5, 0, now + 600, iss, aud);
	t = t_jwt_forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", c, NULL);
	refused_401(t, "alg none");
	free(t);
	pub = t_key("test-rs-1.pub.pem");
	ck_assert_ptr_nonnull(pub);
	t = t_jwt_forge("{\"alg\":\"HS256\",\"kid\":\"test-rs-1\",\"typ\":"
	                "\"JWT\"}",
	                c, pub);
	refused_401(t, "HS256 with the public key");
	free(t);
	free(pub);
	t = t_token_claims(c);
	/* sanity: the same claims, properly signed, pass */
	call(&gw, "GET", "/v1/funding/envelopes", t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	{
		char *x = t_jwt_reheader(t, "{\"alg\":\"RS256\",\"kid\":"
		                            "\"no-such-key\",\"typ\":\"JWT\"}");

		refused_401(x, "unknown kid");
		free(x);
		x = t_jwt_reheader(
		    t, "{\"alg\":\"RS256\",\"kid\":"
		       "\"../../tests/keys/test-rs-1\",\"typ\":\"JWT\"}");
		refused_401(x, "kid with path characters");
		free(x);
		x = strdup(t);
		n = strlen(x);
		x[n - 5] = x[n - 5] == 'A' ? 'B' : 'A';
		refused_401(x, "tampered signature");
		free(x);
	}
	free(t);
	json_decref(c);

	c = claims(now - 7200, 0, now - 3600, iss, aud);
	t = t_token_claims(c);
	refused_401(t, "expired");
	free(t);
	json_decref(c);
	c = claims(now - 5, now + 3600, now + 7200, iss, aud);
	t = t_token_claims(c);
	refused_401(t, "not yet valid");
	free(t);
	json_decref(c);
	c = claims(now - 5, 0, now + 600, iss, "someone-else");
	t = t_token_claims(c);
	refused_401(t, "wrong aud");
	free(t);
	json_decref(c);
	c = claims(now - 5, 0, now + 600, "https://evil.test", aud);
	t = t_token_claims(c);
	refused_401(t, "wrong iss");
	free(t);
	json_decref(c);

	/* 64 KB: refused one way or another, and the gateway lives on */
	big = malloc(65536 + 1);
	memset(big, 'A', 65536);
	big[65536] = '\0';
	memcpy(big + 100, ".", 1);
	memcpy(big + 30000, ".", 1);
	{
		char *hdr = malloc(65536 + 64);
		const char *h[] = {hdr, NULL};

		snprintf(hdr, 65536 + 64, "Authorization: Bearer %s", big);
		if (t_http(&gw, "GET", "/v1/funding/envelopes", h, NULL, 0,
		           &r) == 0)
			ck_assert_msg(r.status == 401 || r.status == 431 ||
			                  r.status == 413 || r.status == 400,
			              "64 KB token: %ld", r.status);
		t_resp_free(&r);
		free(hdr);
	}
	free(big);
	call(&gw, "GET", "/healthz", NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
}
END_TEST

START_TEST(revoked_token_refused)
{
	char *t = tok("edge-revoked", "council_officer", 0), body[4200];
	const char *form[] = {FORM_CT, NULL};
	struct t_resp r;

	call(&gw, "GET", "/v1/funding/envelopes", t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	snprintf(body, sizeof(body), "token=%s", t);
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/auth/revoke", form, body, strlen(body), &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	/* the worker that revoked refuses at once, the others after their
	 * next refresh of the revocation view: wait out one (250 ms) */
	t_sleep_ms(300);
	call(&gw, "GET", "/v1/funding/envelopes", t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(t_jstr(r.json, "detail"), "this token was revoked");
	t_resp_free(&r);
	/* even where no token is needed, a revoked one is not accepted */
	call(&gw, "GET", "/v1/funding/themes", t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);
	free(t);
}
END_TEST

/* ---- the cache
 * ---------------------------------------------------------------------------
 */

START_TEST(cache_miss_hit_etag_304)
{
	const char *inm[2], *fresh[] = {"Cache-Control: no-cache", NULL};
	char etag[128], e2[128], line[160];
	struct t_resp a, b, c;

	struct timespec t0, t1;
	long waited;

	ck_assert_int_ge(t_redis_int("INCR gw:gen:{funding}"), 1);
	/* A worker's memory in front of Redis (edge/cache_local.h) serves
	 * its copy until it re-reads the generation, every MP_CACHE_SYNC_MS
	 * (100), and never past 3 periods: the first miss must come within
	 * that bound. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		call(&gw, "GET", "/v1/funding/themes", NULL, NULL, NULL, &a);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		waited = (t1.tv_sec - t0.tv_sec) * 1000 +
		         (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (has_header(&a, "X-Cache", "miss") || waited > 1000)
			break;
		t_resp_free(&a);
		t_sleep_ms(5);
	}
	fprintf(stderr, "cache: generation raised, first miss after %ld ms\n",
	        waited);
	ck_assert_int_eq(a.status, 200);
	ck_assert(has_header(&a, "X-Cache", "miss"));
	ck_assert_int_le(waited, 3 * 100 + 100);
	ck_assert_int_eq(t_resp_header(&a, "ETag", etag, sizeof(etag)), 0);
	ck_assert(has_header(&a, "RateLimit", NULL));
	ck_assert(has_header(&a, "RateLimit-Policy", NULL));
	call(&gw, "GET", "/v1/funding/themes", NULL, NULL, NULL, &b);
	ck_assert_int_eq(b.status, 200);
	ck_assert(has_header(&b, "X-Cache", "hit"));
	ck_assert_int_eq(t_resp_header(&b, "ETag", e2, sizeof(e2)), 0);
	ck_assert_str_eq(etag, e2);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(memcmp(a.body, b.body, a.len) == 0);
	ck_assert(has_header(&b, "Content-Type", "application/json"));
	snprintf(line, sizeof(line), "If-None-Match: %s", etag);
	inm[0] = line;
	inm[1] = NULL;
	call(&gw, "GET", "/v1/funding/themes", NULL, NULL, inm, &c);
	ck_assert_int_eq(c.status, 304);
	ck_assert_uint_eq(c.len, 0);
	ck_assert(has_header(&c, "ETag", etag));
	t_resp_free(&c);
	/* the client asks for a fresh answer */
	call(&gw, "GET", "/v1/funding/themes", NULL, NULL, fresh, &c);
	ck_assert_int_eq(c.status, 200);
	ck_assert(has_header(&c, "X-Cache", "miss"));
	t_resp_free(&a);
	t_resp_free(&b);
	t_resp_free(&c);
}
END_TEST

/* 1 if the list answer has an item with this id. */
static int
lists_id(const json_t *list, const char *id)
{
	const json_t *items = json_object_get(list, "items"), *it;
	size_t i;

	if (!json_is_array(items))
		items = list;
	json_array_foreach(items, i,
	                   it) if (strcmp(t_jstr(it, "id"), id) == 0) return 1;
	return 0;
}

START_TEST(cache_never_shared_between_regions)
{
	char a_id[64], b_id[64];
	char *a = tok("edge-cache-officer", "council_officer", 0);
	char *b = tok("edge-cache-officer", "council_officer", 1);
	const char *url = "/v1/funding/calls?status=draft";
	struct t_resp r;

	draft_call(0, "Appel brouillon Souss-Massa", a_id);
	draft_call(1, "Appel brouillon Oriental", b_id);
	gen_settle();
	call(&gw, "GET", url, a, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(lists_id(r.json, a_id));
	ck_assert(!lists_id(r.json, b_id));
	t_resp_free(&r);
	call(&gw, "GET", url, b, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(has_header(&r, "X-Cache", "miss"));
	ck_assert(lists_id(r.json, b_id));
	ck_assert(!lists_id(r.json, a_id));
	t_resp_free(&r);
	call(&gw, "GET", url, a, NULL, NULL, &r);
	ck_assert(has_header(&r, "X-Cache", "hit"));
	ck_assert(lists_id(r.json, a_id));
	ck_assert(!lists_id(r.json, b_id));
	t_resp_free(&r);
	call(&gw, "GET", url, b, NULL, NULL, &r);
	ck_assert(has_header(&r, "X-Cache", "hit"));
	ck_assert(!lists_id(r.json, a_id));
	t_resp_free(&r);
	/* nor between the public and an officer: anonymous sees no drafts */
	call(&gw, "GET", url, NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!lists_id(r.json, a_id));
	ck_assert(!lists_id(r.json, b_id));
	t_resp_free(&r);
	free(a);
	free(b);
}
END_TEST

/* Wait until the consumer has seen the events of what a test just made
 * (gw:gen:funding unchanged for 800 ms), so the cache is not emptied
 * under the test's feet. */
static void
gen_settle(void)
{
	long long prev = -2, cur;
	int stable = 0, i;

	for (i = 0; i < 100 && stable < 8; i++) {
		cur = t_redis_int("INCRBY gw:gen:{funding} 0");
		stable = cur == prev ? stable + 1 : 0;
		prev = cur;
		t_sleep_ms(100);
	}
}

START_TEST(cache_invalidated_by_event)
{
	char id[64], path[128];
	char *a = tok("edge-inval-officer", "council_officer", 0);
	struct t_resp r;
	int i, seen = 0;

	draft_call(0, "Appel invalidation", id);
	gen_settle();
	snprintf(path, sizeof(path), "/v1/funding/calls/%s", id);
	call(&gw, "GET", path, a, NULL, NULL, &r);
	ck_assert_str_eq(t_jstr(r.json, "status"), "draft");
	t_resp_free(&r);
	call(&gw, "GET", path, a, NULL, NULL, &r);
	ck_assert(has_header(&r, "X-Cache", "hit"));
	t_resp_free(&r);
	publish_call(0, id);
	/* the event reaches the gateway's consumer, which bumps gw:gen:funding
	 */
	for (i = 0; i < 100 && !seen; i++) {
		call(&gw, "GET", path, a, NULL, NULL, &r);
		seen = strcmp(t_jstr(r.json, "status"), "published") == 0;
		t_resp_free(&r);
		if (!seen)
			t_sleep_ms(100);
	}
	ck_assert_msg(seen, "the published call never showed through the "
	                    "cache");
	free(a);
}
END_TEST

/* ---- idempotency
 * ----------------------------------------------------------------------------
 */

START_TEST(idempotent_replay_and_mismatch)
{
	char call_id[64], path[160], id1[64];
	char *app = tok("edge-idem-applicant", "applicant", 0);
	const char *key[] = {"Idempotency-Key: \"edge-key-1\"", NULL};
	struct t_resp r1, r2, r3, l;
	size_t i, n = 0;
	const json_t *it;

	draft_call(0, "Appel idempotence", call_id);
	publish_call(0, call_id);
	snprintf(path, sizeof(path), "/v1/funding/calls/%s/applications",
	         call_id);
	call(&gw, "POST", path, app, application_body(0, "Idem Person"), key,
	     &r1);
	ck_assert_msg(r1.status == 201, "%ld %s", r1.status, r1.body);
	ck_assert(!has_header(&r1, "Idempotent-Replayed", NULL));
	snprintf(id1, sizeof(id1), "%s", t_jstr(r1.json, "id"));
	call(&gw, "POST", path, app, application_body(0, "Idem Person"), key,
	     &r2);
	ck_assert_int_eq(r2.status, 201);
	ck_assert(has_header(&r2, "Idempotent-Replayed", "true"));
	ck_assert_str_eq(t_jstr(r2.json, "id"), id1);
	ck_assert_uint_eq(r1.len, r2.len);
	/* another body with the same key */
	call(&gw, "POST", path, app, application_body(0, "Someone Else"), key,
	     &r3);
	ck_assert_int_eq(r3.status, 422);
	ck_assert_str_eq(t_jstr(r3.json, "type"),
	                 "urn:mp:problem:idempotency-key-reused");
	/* funding holds one application for this call and applicant */
	call(&funding, "GET", "/v1/funding/applications?limit=100", app, NULL,
	     NULL, &l);
	ck_assert_int_eq(l.status, 200);
	json_array_foreach(json_object_get(l.json, "items"), i,
	                   it) if (strcmp(t_jstr(it, "call_id"), call_id) == 0)
	    n++;
	ck_assert_uint_eq(n, 1);
	t_resp_free(&r1);
	t_resp_free(&r2);
	t_resp_free(&r3);
	t_resp_free(&l);
	free(app);
}
END_TEST

struct bg_req {
	char token[4096];
	long status;
};

static void *
bg_post(void *arg)
{
	struct bg_req *q = arg;
	const char *key[] = {"Idempotency-Key: edge-slow-key", NULL};
	struct t_resp r;

	call(&gw, "POST", "/v1/gender/slow/write", q->token,
	     json_pack("{s:i}", "n", 1), key, &r);
	q->status = r.status;
	t_resp_free(&r);
	return NULL;
}

/* The slow write with this token and key, through the suite's gateway,
 * is refused 409: another with the key is in progress. */
static void
slow_write_in_progress(const char *token, const char *const *key)
{
	struct t_resp r;

	call(&gw, "POST", "/v1/gender/slow/write", token,
	     json_pack("{s:i}", "n", 1), key, &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(t_jstr(r.json, "type"),
	                 "urn:mp:problem:idempotency-in-progress");
	t_resp_free(&r);
}

START_TEST(idempotency_in_flight_409)
{
	struct bg_req q;
	pthread_t t;
	char *m = tok("edge-slow", "mediator", 0);
	const char *key[] = {"Idempotency-Key: edge-slow-key", NULL};
	struct t_resp r;

	peer_serve();
	snprintf(q.token, sizeof(q.token), "%s", m);
	ck_assert_int_eq(pthread_create(&t, NULL, bg_post, &q), 0);
	t_sleep_ms(500); /* the first is at the slow upstream */
	slow_write_in_progress(m, key);
	pthread_join(t, NULL);
	ck_assert_int_eq(q.status, 201);
	/* done: the same request now replays */
	call(&gw, "POST", "/v1/gender/slow/write", m,
	     json_pack("{s:i}", "n", 1), key, &r);
	ck_assert_int_eq(r.status, 201);
	ck_assert(has_header(&r, "Idempotent-Replayed", "true"));
	t_resp_free(&r);
	free(m);
}
END_TEST

/* A gateway killed (SIGKILL) while a write with an Idempotency-Key is at
 * the upstream leaves the key claimed: the write may have happened. The
 * claim lasts the upstream's time limit and 5 s (stage_idem.c), here
 * 1 + 5 s: a retry before is a 409, a retry at 6.5 s goes through. */
START_TEST(idempotency_claim_of_killed_gateway)
{
	const char *key[] = {"Idempotency-Key: edge-killed-key", NULL};
	char env_up[256], req[8192], *m = tok("edge-killed", "mediator", 0);
	const char *env[4];
	struct t_proc tg;
	struct t_resp r;
	pid_t w[4];
	int fd, i, n;
	int64_t t0;

	snprintf(env_up, sizeof(env_up),
	         "MP_UPSTREAMS=funding=http://127.0.0.1:%d,"
	         "gender=http://127.0.0.1:%d,cases=",
	         funding.port, peer.port);
	env[0] = env_up;
	env[1] = "MP_UPSTREAM_GENDER_TIMEOUT_MS=1000";
	env[2] = "MP_RATE_LIMITS=default=100000/60,write=100000/60";
	env[3] = NULL;
	ck_assert_int_eq(t_peer_ops_start(peer.lfd, t_peer_routes("gender")),
	                 0);
	ck_assert_int_eq(t_gateway_start(&tg, "edge-killed", env), 0);
	t_peer_ops_stop();
	peer_serve();
	/* the write goes out through tg; tg dies while it is upstream */
	n = snprintf(req, sizeof(req),
	             "POST /v1/gender/slow/write HTTP/1.1\r\nHost: t\r\n"
	             "Authorization: Bearer %s\r\n%s\r\n" JSON_CT "\r\n"
	             "Content-Length: 7\r\n\r\n{\"n\":1}",
	             m, key[0]);
	ck_assert_int_lt(n, (int)sizeof(req));
	fd = t_connect_loopback(tg.port, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
	/* claimed, then sent to the slow upstream (1.5 s) */
	for (i = 0; i < 250 && atomic_load(&peer.slow_seen) == 0; i++)
		t_sleep_ms(20);
	ck_assert_int_eq(atomic_load(&peer.slow_seen), 1);
	t0 = t_mono_ms(); /* the claim is older */
	n = t_proc_workers(&tg, w, 4);
	for (i = 0; i < n; i++)
		(void)kill(w[i], SIGKILL);
	(void)kill(tg.pid, SIGKILL);
	t_proc_stop(&tg);
	close(fd);
	/* the claim outlives its gateway */
	slow_write_in_progress(m, key);
	/* then frees the key: 1 s + 5 s after it was taken */
	t_sleep_ms((int)(6500 - (t_mono_ms() - t0)));
	call(&gw, "POST", "/v1/gender/slow/write", m,
	     json_pack("{s:i}", "n", 1), key, &r);
	ck_assert_msg(r.status == 201, "after the claim's life: %ld %s",
	              r.status, r.body);
	t_resp_free(&r);
	free(m);
}
END_TEST

/* ---- traceparent
 * ------------------------------------------------------------------------------
 */

START_TEST(traceparent_propagated)
{
	char *m = tok("edge-trace", "mediator", 0), seen[128];
	const char *tp[] = {"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"
	                    "00f067aa0ba902b7-01",
	                    NULL};
	struct t_resp r;

	peer_serve();
	call(&gw, "GET", "/v1/gender/trace", m, NULL, tp, &r);
	ck_assert_int_eq(r.status, 201);
	ck_assert_int_eq(
	    t_resp_header(&r, "X-Seen-Traceparent", seen, sizeof(seen)), 0);
	ck_assert_uint_eq(strlen(seen), 55);
	ck_assert(strncmp(seen, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36) ==
	          0);
	ck_assert(strncmp(seen + 36, "00f067aa0ba902b7", 16) != 0);
	ck_assert_str_eq(seen + 52, "-01");
	t_resp_free(&r);
	/* none (or a broken one): a new trace */
	tp[0] = "traceparent: 00-zzzz";
	call(&gw, "GET", "/v1/gender/trace", m, NULL, tp, &r);
	ck_assert_int_eq(
	    t_resp_header(&r, "X-Seen-Traceparent", seen, sizeof(seen)), 0);
	ck_assert_uint_eq(strlen(seen), 55);
	ck_assert(strncmp(seen, "00-", 3) == 0);
	t_resp_free(&r);
	free(m);
}
END_TEST

/* ---- rate limits
 * ------------------------------------------------------------------------------
 */

START_TEST(rate_limit_on_token_endpoint)
{
	const char body[] = "grant_type=password&username=edge.nobody&"
	                    "password=wrong-password-1";
	char pol[128], lim[128], ra[32], want[128];
	struct t_resp r;
	int i, refused = 0, first_r = -1, prev_r = -1, t = 0;

	for (i = 0; i < 12 && !refused; i++) {
		/* no trusted proxy is configured: X-Forwarded-For is not
		 * believed, each request counts against 127.0.0.1 */
		char xff[64];
		const char *h[] = {FORM_CT, xff, NULL};

		snprintf(xff, sizeof(xff), "X-Forwarded-For: 203.0.113.%d",
		         i + 1);
		ck_assert_int_eq(t_http(&gw, "POST", "/auth/token", h, body,
		                        strlen(body), &r),
		                 0);
		ck_assert_int_eq(
		    t_resp_header(&r, "RateLimit-Policy", pol, sizeof(pol)), 0);
		ck_assert_str_eq(pol, "\"auth\";q=5;w=3600");
		ck_assert_int_eq(
		    t_resp_header(&r, "RateLimit", lim, sizeof(lim)), 0);
		ck_assert_int_eq(sscanf(lim, "\"auth\";r=%d;t=%d", &prev_r, &t),
		                 2);
		if (first_r < 0)
			first_r = prev_r;
		if (r.status == 429) {
			refused = 1;
			ck_assert_int_eq(prev_r, 0);
			ck_assert_int_eq(
			    t_resp_header(&r, "Retry-After", ra, sizeof(ra)),
			    0);
			ck_assert_int_eq(atoi(ra), t);
			ck_assert_str_eq(t_jstr(r.json, "type"),
			                 "urn:mp:problem:rate-limited");
			snprintf(want, sizeof(want),
			         "application/problem+json");
			ck_assert(has_header(&r, "Content-Type", want));
		} else {
			ck_assert_int_eq(r.status, 400); /* invalid_grant */
		}
		t_resp_free(&r);
	}
	ck_assert(refused);
	ck_assert_int_le(first_r, 4);
}
END_TEST

/* ---- CORS and security headers
 * ----------------------------------------------------------------- */

/* Every answer carries each CORS and security header exactly once -- the
 * gateway's own, proxied, cached (miss and hit), preflights, errors: a
 * browser refuses an answer with two Access-Control-Allow-Origin (it did
 * on every /v1 answer and preflight). */
START_TEST(cors_headers_once)
{
	static const char *const once[] = {"Access-Control-Allow-Origin",
	                                   "Access-Control-Allow-Credentials",
	                                   "Access-Control-Expose-Headers",
	                                   "X-Content-Type-Options",
	                                   "Referrer-Policy",
	                                   "X-Frame-Options",
	                                   "Content-Security-Policy",
	                                   NULL};
	const char *pre[] = {
	    "Origin: " ORIGIN, "Access-Control-Request-Method: PATCH",
	    "Access-Control-Request-Headers: authorization, if-match", NULL};
	const char *get[] = {"Origin: " ORIGIN, NULL};
	char *t = tok("edge-once", "council_officer", 0);
	struct {
		const char *method, *path;
		int auth, preflight;
	} req[] = {
	    {"OPTIONS", "/v1/funding/calls", 0, 1},
	    {"OPTIONS", "/auth/token", 0, 1},
	    {"OPTIONS", "/admin/users", 0, 1},
	    {"GET", "/v1/funding/themes", 0, 0},
	    {"GET", "/v1/funding/themes", 0, 0}, /* a cache hit */
	    {"GET", "/v1/funding/envelopes", 1, 0},
	    {"POST", "/v1/funding/calls", 1, 0},       /* 400 from funding */
	    {"GET", "/v1/funding/nothing-here", 0, 0}, /* 404, gateway */
	    {"GET", "/auth/me", 1, 0},
	    {"GET", "/admin/users", 1, 0}, /* 403, gateway */
	};
	struct t_resp r;
	size_t i;
	int k;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		call(&gw, req[i].method, req[i].path, req[i].auth ? t : NULL,
		     strcmp(req[i].method, "POST") == 0 ? json_object() : NULL,
		     req[i].preflight ? pre : get, &r);
		ck_assert_msg(r.status > 0, "%s %s", req[i].method,
		              req[i].path);
		for (k = 0; once[k] != NULL; k++)
			ck_assert_msg(header_count(&r, once[k]) == 1,
			              "%s %s (%ld): %s %d times", req[i].method,
			              req[i].path, r.status, once[k],
			              header_count(&r, once[k]));
		t_resp_free(&r);
	}
	free(t);
}
END_TEST

START_TEST(cors_and_security_headers)
{
	const char *pre[] = {
	    "Origin: " ORIGIN, "Access-Control-Request-Method: POST",
	    "Access-Control-Request-Headers: authorization, idempotency-key",
	    NULL};
	const char *bad[] = {"Origin: https://evil.example",
	                     "Access-Control-Request-Method: POST", NULL};
	const char *get[] = {"Origin: " ORIGIN, NULL};
	char v[512], *t = tok("edge-cors", "council_officer", 0);
	struct t_resp r;

	call(&gw, "OPTIONS", "/v1/funding/calls", NULL, NULL, pre, &r);
	ck_assert_int_eq(r.status, 204);
	ck_assert(has_header(&r, "Access-Control-Allow-Origin", ORIGIN));
	ck_assert(has_header(&r, "Access-Control-Allow-Credentials", "true"));
	ck_assert_int_eq(
	    t_resp_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(v, "POST"));
	ck_assert_int_eq(
	    t_resp_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(v, "Authorization"));
	ck_assert_ptr_nonnull(strstr(v, "Idempotency-Key"));
	ck_assert_ptr_nonnull(strstr(v, "If-None-Match"));
	ck_assert(has_header(&r, "Access-Control-Max-Age", NULL));
	ck_assert(has_header(&r, "Vary", "Origin"));
	t_resp_free(&r);
	/* the token endpoint too */
	call(&gw, "OPTIONS", "/auth/token", NULL, NULL, pre, &r);
	ck_assert_int_eq(r.status, 204);
	ck_assert(has_header(&r, "Access-Control-Allow-Origin", ORIGIN));
	t_resp_free(&r);
	/* an origin not on the list gets nothing */
	call(&gw, "OPTIONS", "/v1/funding/calls", NULL, NULL, bad, &r);
	ck_assert(!has_header(&r, "Access-Control-Allow-Origin", NULL));
	ck_assert(!has_header(&r, "Access-Control-Allow-Methods", NULL));
	t_resp_free(&r);
	/* an actual request */
	call(&gw, "GET", "/v1/funding/envelopes", t, NULL, get, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(has_header(&r, "Access-Control-Allow-Origin", ORIGIN));
	ck_assert_int_eq(
	    t_resp_header(&r, "Access-Control-Expose-Headers", v, sizeof(v)),
	    0);
	ck_assert_ptr_nonnull(strstr(v, "RateLimit"));
	ck_assert_ptr_nonnull(strstr(v, "X-Request-Id"));
	ck_assert(has_header(&r, "X-Content-Type-Options", "nosniff"));
	ck_assert(has_header(&r, "Referrer-Policy", "no-referrer"));
	t_resp_free(&r);
	/* authenticated, not cacheable: no-store */
	call(&gw, "POST", "/v1/funding/calls", t, json_object(), get, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert(has_header(&r, "Cache-Control", "no-store"));
	ck_assert(has_header(&r, "X-Content-Type-Options", "nosniff"));
	t_resp_free(&r);
	free(t);
}
END_TEST

START_TEST(metrics_count_the_edge)
{
	struct t_resp r;

	call(&gw_ops, "GET", "/metrics", NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(
	    r.body,
	    "gw_cache_requests_total{service=\"gateway\",result=\"hit\"}"));
	ck_assert_ptr_nonnull(strstr(r.body, "gw_ratelimit_refused_total"));
	ck_assert_ptr_nonnull(strstr(r.body,
	                             "gw_idempotency_total{service="
	                             "\"gateway\",outcome=\"replayed\"}"));
	ck_assert_ptr_nonnull(strstr(
	    r.body,
	    "gw_upstream_breaker_open_workers{service=\"gateway\",upstream="
	    "\"funding\"} 0"));
	ck_assert_ptr_null(strstr(
	    r.body,
	    "gw_cache_requests_total{service=\"gateway\",result=\"hit\"} 0"));
	t_resp_free(&r);
}
END_TEST

/* ---- Redis stopped mid-run
 * ---------------------------------------------------------------------- */

START_TEST(redis_down_degrades)
{
	const char *key[] = {"Idempotency-Key: edge-redis-down", NULL};
	const char *form[] = {FORM_CT, NULL};
	const char body[] = "grant_type=password&username=edge.nobody&"
	                    "password=wrong-password-1";
	char *m = tok("edge-redis", "mediator", 0);
	struct t_resp r;
	int i, back = 0;

	ck_assert_int_eq(t_redis_stop(), 0);
	t_sleep_ms(300);
	call(&gw, "GET", "/v1/funding/themes", NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!has_header(&r, "X-Cache", "hit"));
	ck_assert(!has_header(&r, "RateLimit", NULL));
	t_resp_free(&r);
	call(&gw, "POST", "/v1/gender/write", m, json_pack("{s:i}", "n", 2),
	     key, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(t_jstr(r.json, "type"),
	                 "urn:mp:problem:idempotency-unavailable");
	t_resp_free(&r);
	/* without a key the write goes through */
	peer_serve();
	call(&gw, "POST", "/v1/gender/write", m, json_pack("{s:i}", "n", 2),
	     NULL, &r);
	ck_assert_int_eq(r.status, 201);
	t_resp_free(&r);
	/* no rate limiting (the AUTH class is exhausted by now) */
	for (i = 0; i < 7; i++) {
		ck_assert_int_eq(t_http(&gw, "POST", "/auth/token", form, body,
		                        strlen(body), &r),
		                 0);
		ck_assert_int_ne(r.status, 429);
		t_resp_free(&r);
	}
	ck_assert_int_eq(t_redis_start(), 0);
	for (i = 0; i < 100 && !back; i++) {
		call(&gw, "GET", "/v1/funding/themes", NULL, NULL, NULL, &r);
		back = has_header(&r, "RateLimit", NULL);
		t_resp_free(&r);
		if (!back)
			t_sleep_ms(100);
	}
	ck_assert(back);
	free(m);
}
END_TEST

/* ---- an upstream killed: the circuit opens, then closes
 * ------------------------------------------ */

START_TEST(breaker_opens_and_closes)
{
	const char *fresh[] = {"Cache-Control: no-cache", NULL};
	struct t_resp r;
	char ra[16];
	int i, port = funding.port, opened = 0, closed = 0;
	struct timespec t0, t1;
	long ms;

	t_proc_kill(&funding);
	for (i = 0; i < 20 && !opened; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		call(&gw, "GET", "/v1/funding/themes", NULL, NULL, fresh, &r);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (r.status == 503) {
			opened = 1;
			ck_assert_str_eq(t_jstr(r.json, "type"),
			                 "urn:mp:problem:upstream-unavailable");
			ck_assert_int_eq(
			    t_resp_header(&r, "Retry-After", ra, sizeof(ra)),
			    0);
			ck_assert_int_ge(atoi(ra), 1);
			ck_assert_int_le(atoi(ra), 2);
			ck_assert_int_lt(ms, 500);
		} else {
			ck_assert_int_eq(r.status, 502);
		}
		t_resp_free(&r);
	}
	ck_assert(opened);
	call(&gw_ops, "GET", "/metrics", NULL, NULL, NULL, &r);
	ck_assert_ptr_null(
	    strstr(r.body, "gw_upstream_breaker_open_workers{"
	                   "service=\"gateway\",upstream=\"funding\"} 0"));
	t_resp_free(&r);

	ck_assert_int_eq(
	    t_service_start_port(&funding, "funding", funding_env, port), 0);
	t_sleep_ms(2100); /* the open time */
	for (i = 0; i < 40 && closed < 4; i++) {
		call(&gw, "GET", "/v1/funding/themes", NULL, NULL, fresh, &r);
		closed = r.status == 200 ? closed + 1 : 0;
		t_resp_free(&r);
		if (closed == 0)
			t_sleep_ms(250);
	}
	ck_assert_int_ge(closed, 4);
}
END_TEST

/* GET /v1/funding/themes through p, never from its cache: the status and
 * the Retry-After (0 without). */
static long
themes_status(const struct t_proc *p, int *retry_after)
{
	const char *fresh[] = {"Cache-Control: no-cache", NULL};
	struct t_resp r;
	char ra[16];
	long st;

	call(p, "GET", "/v1/funding/themes", NULL, NULL, fresh, &r);
	st = r.status;
	*retry_after = t_resp_header(&r, "Retry-After", ra, sizeof(ra)) == 0
	                   ? atoi(ra)
	                   : 0;
	t_resp_free(&r);
	return st;
}

/* The circuit's open time starts at 1 s and doubles at each failed trial,
 * up to MP_BREAKER's (10 s here): a service back a second after a crash is
 * called again within two, not after ten. */
START_TEST(breaker_backs_off)
{
	char env_up[128];
	const char *env[5];
	struct t_proc tg, f;
	int i, ra = 0, port;
	long st = 0;
	int64_t t0;

	/* a funding of its own: this test process's child, killed and
	 * started again on its port */
	ck_assert_int_eq(t_service_start(&f, "funding", funding_env), 0);
	port = f.port;
	snprintf(env_up, sizeof(env_up),
	         "MP_UPSTREAMS=funding=http://127.0.0.1:%d", port);
	env[0] = env_up;
	env[1] = "MP_BREAKER=3/10s";
	env[2] = "MP_WORKERS=1"; /* one breaker */
	/* anonymous, so counted against this host with the suite's others */
	env[3] = "MP_RATE_LIMITS=default=100000/60,write=100000/60";
	env[4] = NULL;
	ck_assert_int_eq(t_gateway_start(&tg, "edge-backoff", env), 0);
	t_proc_kill(&f);
	for (i = 0; i < 10 && (st = themes_status(&tg, &ra)) != 503; i++)
		ck_assert_int_eq(st, 502);
	ck_assert_int_eq(st, 503);
	ck_assert_int_eq(ra, 1); /* the first opening: 1 s */
	t_sleep_ms(1100);
	ck_assert_int_eq(themes_status(&tg, &ra), 502); /* the trial */
	ck_assert_int_eq(themes_status(&tg, &ra), 503);
	ck_assert_int_eq(ra, 2); /* the second: 2 s */
	ck_assert_int_eq(t_service_start_port(&f, "funding", funding_env, port),
	                 0);
	t0 = t_mono_ms();
	for (i = 0; i < 40 && (st = themes_status(&tg, &ra)) != 200; i++)
		t_sleep_ms(100);
	ck_assert_int_eq(st, 200);
	ck_assert_msg(t_mono_ms() - t0 < 3000, "called again after %lld ms",
	              (long long)(t_mono_ms() - t0));
	t_proc_stop(&tg);
	t_proc_stop(&f);
}
END_TEST

/* No worker of the gateway died (a seccomp kill, a fatal) so far. */
/* A header block that comes in pieces past the worker's first 8 KB
 * buffer is carried into one of the configured 32 KB (lib netio.c): 20 KB
 * is answered 431 problem+json like a block sent at once (before, the
 * buffer was 32 KB from the start), and 7.7 KB in pieces passes. */
START_TEST(header_block_in_pieces)
{
	static char pad[20][1100];
	const char *pieces[24];
	char *out;
	int i, n = 0;

	pieces[n++] = "GET /v1/funding/themes HTTP/1.1\r\nHost: t\r\n";
	for (i = 0; i < 19; i++) {
		snprintf(pad[i], sizeof(pad[i]), "X-Pad-%02d: %0*d\r\n", i,
		         1100 - 14, 0);
		pieces[n++] = pad[i];
	}
	pieces[n++] = "\r\n";
	pieces[n] = NULL;
	ck_assert_int_eq(t_raw_exchange(&gw, pieces, 5, 1, &out), 1);
	ck_assert_msg(strncmp(out, "HTTP/1.1 431", 12) == 0, "%.300s", out);
	ck_assert_ptr_nonnull(strcasestr(out, "application/problem+json"));
	ck_assert_ptr_nonnull(strstr(out, "header-too-large"));
	free(out);

	n = 1;
	for (i = 0; i < 7; i++)
		pieces[n++] = pad[i];
	pieces[n++] = "\r\n";
	pieces[n] = NULL;
	ck_assert_int_eq(t_raw_exchange(&gw, pieces, 5, 1, &out), 1);
	ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "%.300s", out);
	free(out);
}
END_TEST

START_TEST(no_worker_died)
{
	ck_assert_int_eq(t_proc_worker_restarts(&gw), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gateway_edge");
	TCase *tc = tcase_create("edge");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, route_table_equals_funding);
	tcase_add_test(tc, api_client_scopes);
	tcase_add_test(tc, unknown_routes_answered_by_gateway);
	tcase_add_test(tc, path_traversal_refused);
	tcase_add_test(tc, bad_tokens_refused);
	tcase_add_test(tc, revoked_token_refused);
	tcase_add_test(tc, cache_miss_hit_etag_304);
	tcase_add_test(tc, cache_never_shared_between_regions);
	tcase_add_test(tc, cache_invalidated_by_event);
	tcase_add_test(tc, idempotent_replay_and_mismatch);
	tcase_add_test(tc, idempotency_in_flight_409);
	tcase_add_test(tc, idempotency_claim_of_killed_gateway);
	tcase_add_test(tc, traceparent_propagated);
	tcase_add_test(tc, rate_limit_on_token_endpoint);
	tcase_add_test(tc, cors_and_security_headers);
	tcase_add_test(tc, cors_headers_once);
	tcase_add_test(tc, repeated_query_parameters);
	tcase_add_test(tc, metrics_count_the_edge);
	tcase_add_test(tc, redis_down_degrades);
	tcase_add_test(tc, breaker_opens_and_closes);
	tcase_add_test(tc, breaker_backs_off);
	tcase_add_test(tc, header_block_in_pieces);
	tcase_add_test(tc, no_worker_died);
	suite_add_tcase(s, tc);
	return t_run(s);
}
