/*
 * Integration suite of the GraphQL façade (gateway/src/graphql/): the
 * gateway and the funding service as real processes on the test
 * PostgreSQL and Redis, /graphql over HTTP with real tokens.
 *
 * It checks GraphQL over HTTP (media types, status codes, GET and POST,
 * 405 for a mutation by GET), resolution through the gateway's own /v1
 * routes (every type of the schema reachable, another region's object null
 * with NOT_FOUND through a field and through node(id:)), the upstream-call
 * counter of /metrics bounded for nested lists, every limit refusing before
 * any upstream call, a mutation, and runs the graphql-http audit and a
 * real JS client (graphql-request) against the running gateway
 * (tests/graphql/audit.mjs, client.mjs; Node test tooling).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "support.h"

#define GQL_MEDIA "application/graphql-response+json"

static struct t_proc funding, gw;
static void make_application(const char *who, const char *call);
static const char *const regions[] = {"oriental", "souss-massa"};
static const char *const funding_env[] = {NULL};

/* made once by the fixture (in the parent: the forked tests read them) */
static char call_o[64], call_s[64], draft_o[64];

static void
suite_setup(void)
{
	static char up[128];
	const char *env[8];
	int j = 0;

	signal(SIGPIPE, SIG_IGN);
	if (t_service_start(&funding, "funding", funding_env) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
	snprintf(up, sizeof(up), "MP_UPSTREAMS=funding=http://127.0.0.1:%d",
	         funding.port);
	env[j++] = up;
	env[j++] = "MP_RATE_LIMITS=default=100000/60,write=100000/60,"
	           "auth=100/60";
	env[j++] = "MP_GRAPHQL_INTROSPECTION=true";
	env[j++] = "MP_GRAPHQL_SUGGESTIONS=true";
	env[j++] = "MP_GRAPHQL_METRIC_OPERATIONS=Counted,Publish";
	env[j] = NULL;
	if (t_gateway_start(&gw, "graphql-gateway", env) != 0) {
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

/* ---- helpers ------------------------------------------------------------- */

static char *
tok(const char *who, const char *roles, int r)
{
	static unsigned seq;
	long long now = (long long)time(NULL);
	char sub[96], jti[64], *list, *save = NULL, *t;
	json_t *c, *arr = json_array();

	list = strdup(roles);
	for (char *x = strtok_r(list, ",", &save); x != NULL;
	     x = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(x));
	free(list);
	snprintf(sub, sizeof(sub), "%s-%s", who, regions[r]);
	snprintf(jti, sizeof(jti), "gql-%d-%u-%lld", (int)getpid(), ++seq, now);
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:s}", "iss",
	              "https://auth.test", "aud", "mp-api", "sub", sub, "iat",
	              now - 5, "exp", now + 3600, "roles", arr, "region",
	              regions[r], "jti", jti);
	t = t_token_claims(c);
	json_decref(c);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* POST /graphql {query, variables} to the suite's gateway. */
static void
gql(const char *token, const char *accept, const char *query, json_t *vars,
    struct t_resp *r)
{
	t_graphql(&gw, token, accept, query, vars, r);
}

static const char *
err_code(const struct t_resp *r, size_t i)
{
	json_t *e = json_array_get(json_object_get(r->json, "errors"), i);
	const char *s = json_string_value(
	    json_object_get(json_object_get(e, "extensions"), "code"));

	return s != NULL ? s : "";
}

/* gateway_graphql_upstream_calls_total summed over kinds */
static long long
upstream_calls(void)
{
	struct t_proc ops = t_ops(&gw);
	struct t_resp r;
	long long sum = 0, v;
	char *p;

	ck_assert_int_eq(t_http(&ops, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	for (p = r.body;
	     p != NULL && (p = strstr(p, "\ngateway_graphql_upstream_calls_"
	                                 "total{")) != NULL;
	     p++) {
		char *sp = strchr(p, '}');
		if (sp != NULL && sscanf(sp + 1, " %lld", &v) == 1)
			sum += v;
	}
	t_resp_free(&r);
	return sum;
}

/* The counter once nothing else is in flight: a request of an earlier
 * test that its client gave up on under load may still be resolving,
 * and its calls must not be counted as this query's. */
static long long
settled_upstream_calls(void)
{
	long long a = upstream_calls(), b;

	for (int i = 0; i < 25; i++) {
		t_sleep_ms(200);
		if ((b = upstream_calls()) == a)
			return b;
		a = b;
	}
	return a;
}

/* a call of region r, published or not; its id into out */
static void
make_call(int r, int publish, char *out, size_t outlen)
{
	char *off = tok("officer", "council_officer", r), path[160];
	struct t_resp resp;
	json_t *body = json_pack(
	    "{s:s, s:i, s:{s:s}, s:{s:s}, s:[s], s:[s,s], s:I, s:I, s:s, s:s, "
	    "s:[{s:s, s:i, s:i}]}",
	    "region", regions[r], "year", 2027, "title", "fr", "Appel GraphQL",
	    "description", "fr", "Appel de test", "themes", "economic",
	    "applicant_types", "association", "mre", "budget_minor",
	    (json_int_t)10000000, "max_grant_minor", (json_int_t)1000000,
	    "opens_at", "2026-01-01T00:00:00Z", "closes_at",
	    "2027-12-31T00:00:00Z", "scoring_grid", "key", "relevance",
	    "weight", 1, "max", 10);
	json_t *env = json_pack("{s:I, s:s}", "allocated_minor",
	                        (json_int_t)900000000, "currency", "EUR");

	/* publishing needs the region's envelope of the year */
	snprintf(path, sizeof(path), "/v1/funding/envelopes/%s/2027",
	         regions[r]);
	ck_assert_int_eq(t_json(&funding, "PUT", path, off, env, &resp), 0);
	ck_assert_msg(resp.status == 200 || resp.status == 201 ||
	                  resp.status == 409 || resp.status == 412,
	              "envelope: %ld %s", resp.status, resp.body);
	t_resp_free(&resp);
	json_decref(env);
	ck_assert_int_eq(
	    t_json(&funding, "POST", "/v1/funding/calls", off, body, &resp), 0);
	ck_assert_msg(resp.status == 201, "call: %ld %s", resp.status,
	              resp.body);
	snprintf(out, outlen, "%s",
	         json_string_value(json_object_get(resp.json, "id")));
	t_resp_free(&resp);
	json_decref(body);
	if (publish) {
		snprintf(path, sizeof(path), "/v1/funding/calls/%s/transitions",
		         out);
		body = json_pack("{s:s}", "to", "publish");
		ck_assert_int_eq(
		    t_json(&funding, "POST", path, off, body, &resp), 0);
		ck_assert_msg(resp.status == 200, "publish: %ld %s",
		              resp.status, resp.body);
		t_resp_free(&resp);
		json_decref(body);
	}
	free(off);
}

static void
fixture_data(void)
{
	if (call_o[0] != '\0')
		return;
	make_call(0, 1, call_o, sizeof(call_o));
	make_call(1, 1, call_s, sizeof(call_s));
	make_call(0, 0, draft_o, sizeof(draft_o));
}

/* ---- GraphQL over HTTP ------------------------------------------------- */

START_TEST(get_and_post_media_types)
{
	struct t_resp r;
	char ct[128];
	const char *h[] = {"Accept: application/graphql-response+json", NULL};

	ck_assert_int_eq(t_http(&gw, "GET",
	                        "/graphql?query=%7Bthemes%7Bcode%20label%7D%7D",
	                        NULL, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(t_resp_header(&r, "content-type", ct, sizeof(ct)), 0);
	ck_assert_msg(strstr(ct, "application/json") != NULL, "%s", ct);
	ck_assert_int_gt(json_array_size(json_object_get(
	                     json_object_get(r.json, "data"), "themes")),
	                 0);
	t_resp_free(&r);

	ck_assert_int_eq(t_http(&gw, "GET", "/graphql?query=%7B__typename%7D",
	                        h, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(t_resp_header(&r, "content-type", ct, sizeof(ct)), 0);
	ck_assert_ptr_nonnull(strstr(ct, "application/graphql-response+json"));
	t_resp_free(&r);

	/* a request error: 400 in graphql-response+json, 200 in json */
	gql(NULL, "application/graphql-response+json", "{ nope }", NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(err_code(&r, 0), "GRAPHQL_VALIDATION_FAILED");
	ck_assert_ptr_null(json_object_get(r.json, "data"));
	t_resp_free(&r);
	gql(NULL, "application/json", "{ nope }", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	gql(NULL, "application/json", "{ themes { code ", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(err_code(&r, 0), "GRAPHQL_PARSE_FAILED");
	t_resp_free(&r);
	/* neither media type acceptable */
	gql(NULL, "text/csv", "{ __typename }", NULL, &r);
	ck_assert_int_eq(r.status, 406);
	t_resp_free(&r);
}
END_TEST

START_TEST(mutation_by_get_is_405)
{
	struct t_resp r;
	char allow[64];

	ck_assert_int_eq(
	    t_http(&gw, "GET",
	           "/graphql?query=mutation%7BsubmitApplication(id%3A"
	           "%22x%22)%7Bstatus%7D%7D",
	           NULL, NULL, 0, &r),
	    0);
	ck_assert_int_eq(r.status, 405);
	ck_assert_int_eq(t_resp_header(&r, "allow", allow, sizeof(allow)), 0);
	ck_assert_ptr_nonnull(strstr(allow, "POST"));
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&gw, "PUT", "/graphql", NULL, "{}", 2, &r), 0);
	ck_assert_int_eq(r.status, 405);
	t_resp_free(&r);
}
END_TEST

START_TEST(every_type_reachable)
{
	char *off = tok("officer", "council_officer", 0), q[2048], who[64];
	struct t_resp r;
	json_t *d;

	fixture_data();
	snprintf(
	    q, sizeof(q),
	    "{ regions { code label name { fr ar } provinces { code label } "
	    "communes { code province } } themes { code label } "
	    "applicantTypes { code } calls(region: \"oriental\", first: 5) { "
	    "edges { cursor node { id uuid title { fr } status themes } } "
	    "pageInfo { hasNextPage endCursor } } call(id: \"%s\") { id year "
	    "budgetMinor status applications { nodes { id } } ranking { rank "
	    "} } ercMembers(region: \"oriental\") { id } envelopes(region: "
	    "\"oriental\") { year } dashboard(year: 2027) { decided selected } "
	    "}",
	    draft_o);
	gql(off, NULL, q, NULL, &r);
	ck_assert_msg(r.status == 200 &&
	                  json_object_get(r.json, "errors") == NULL,
	              "%ld %s", r.status, r.body);
	d = json_object_get(r.json, "data");
	ck_assert_int_eq(json_array_size(json_object_get(d, "regions")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(d, "call"), "status")),
	                 "DRAFT");
	ck_assert_int_ge(json_array_size(json_object_get(
	                     json_object_get(d, "calls"), "edges")),
	                 1);
	t_resp_free(&r);

	/* the README's council query: a call, its ranking, its applications
	 * and their appraisals, and each application's node(id:) */
	snprintf(who, sizeof(who), "reach-%d", (int)getpid());
	make_application(who, call_o);
	snprintf(
	    q, sizeof(q),
	    "{ call(id: \"%s\") { title { fr } status ranking { rank "
	    "scoreBp application { title { fr } status } } "
	    "applications(first: 10) { nodes { id status scoreBp "
	    "applicantType theme totalBudgetMinor call { uuid } appraisals "
	    "{ nodes { resultBp recommendation } } } } } }",
	    call_o);
	gql(off, NULL, q, NULL, &r);
	ck_assert_msg(r.status == 200 &&
	                  json_object_get(r.json, "errors") == NULL,
	              "%ld %s", r.status, r.body);
	d = json_object_get(
	    json_object_get(
	        json_object_get(json_object_get(r.json, "data"), "call"),
	        "applications"),
	    "nodes");
	ck_assert_int_ge(json_array_size(d), 1);
	snprintf(
	    q, sizeof(q),
	    "{ node(id: \"%s\") { __typename ... on Application { status "
	    "call { status } } } }",
	    json_string_value(json_object_get(json_array_get(d, 0), "id")));
	t_resp_free(&r);
	gql(off, NULL, q, NULL, &r);
	ck_assert_msg(strstr(r.body, "\"__typename\":\"Application\"") != NULL,
	              "%s", r.body);
	t_resp_free(&r);
	free(off);
}
END_TEST

START_TEST(region_isolation_nested_and_node)
{
	char *souss = tok("officer", "council_officer", 1), q[1024];
	char *oriental = tok("officer", "council_officer", 0), gid[256];
	struct t_resp r;
	json_t *d;

	fixture_data();
	/* the draft of oriental: null with NOT_FOUND for souss-massa */
	snprintf(q, sizeof(q), "{ call(id: \"%s\") { id title { fr } } }",
	         draft_o);
	gql(oriental, NULL, q, NULL, &r);
	d = json_object_get(json_object_get(r.json, "data"), "call");
	ck_assert_msg(json_is_object(d), "%s", r.body);
	snprintf(gid, sizeof(gid), "%s",
	         json_string_value(json_object_get(d, "id")));
	t_resp_free(&r);
	gql(souss, NULL, q, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(json_is_null(json_object_get(
	                  json_object_get(r.json, "data"), "call")),
	              "%s", r.body);
	ck_assert_str_eq(err_code(&r, 0), "NOT_FOUND");
	ck_assert_ptr_null(strstr(r.body, "Appel GraphQL"));
	t_resp_free(&r);
	/* through node(id:) */
	snprintf(q, sizeof(q),
	         "{ node(id: \"%s\") { id ... on Call { title "
	         "{ fr } } } }",
	         gid);
	gql(souss, NULL, q, NULL, &r);
	ck_assert_msg(json_is_null(json_object_get(
	                  json_object_get(r.json, "data"), "node")),
	              "%s", r.body);
	ck_assert_str_eq(err_code(&r, 0), "NOT_FOUND");
	t_resp_free(&r);
	gql(oriental, NULL, q, NULL, &r);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(
	            json_object_get(json_object_get(r.json, "data"), "node"),
	            "title"),
	        "fr")),
	    "Appel GraphQL");
	t_resp_free(&r);
	/* nested: souss-massa's officer lists oriental's call's applications */
	snprintf(q, sizeof(q),
	         "{ call(id: \"%s\") { title { fr } "
	         "applications { nodes { id } } } }",
	         call_o);
	gql(souss, NULL, q, NULL, &r);
	ck_assert_msg(json_is_null(json_object_get(
	                  json_object_get(r.json, "data"), "call")),
	              "%s", r.body);
	t_resp_free(&r);
	free(souss);
	free(oriental);
}
END_TEST

/* the upstream calls of one query (the counter once settled), its answer
 * into r */
static long long
calls_of(const char *token, const char *query, struct t_resp *r)
{
	long long before = settled_upstream_calls();

	gql(token, NULL, query, NULL, r);
	ck_assert_msg(r->status == 200 &&
	                  json_object_get(r->json, "errors") == NULL,
	              "%ld %s", r->status, r->body);
	return upstream_calls() - before;
}

START_TEST(upstream_calls_bounded)
{
	char *off = tok("officer", "council_officer", 0), extra[3][64], who[64],
	     q[512];
	static const int pages[] = {2, 5};
	long long n;
	struct t_resp r, one;
	json_t *nodes, *first, *single;
	size_t i;

	fixture_data();
	/* five calls of oriental at least (with the fixture's two), most
	 * with applications, so both pages hold several */
	for (i = 0; i < 3; i++) {
		make_call(0, 1, extra[i], sizeof(extra[i]));
		snprintf(who, sizeof(who), "bound-%d-%zu", (int)getpid(), i);
		make_application(who, extra[i]);
	}
	make_application("bound-o", call_o);
	/* a list of calls, each with its applications and their call:
	 * three levels, three reads whatever the page size -- the page,
	 * one batch read of every call's applications (call-applications,
	 * per_parent = first), one batch read (ids=) of their calls */
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(q, sizeof(q),
		         "{ calls(region: \"oriental\", first: %d) { nodes { "
		         "uuid title { fr } applications(first: 5) { nodes { "
		         "uuid call { status } } pageInfo { hasNextPage "
		         "endCursor } } } } }",
		         pages[i]);
		n = calls_of(off, q, &r);
		nodes = json_object_get(
		    json_object_get(json_object_get(r.json, "data"), "calls"),
		    "nodes");
		ck_assert_int_eq(json_array_size(nodes), pages[i]);
		ck_assert_msg(n <= 3, "page of %d: %lld upstream calls",
		              pages[i], n);
		/* each call's page is the one its own read gives */
		first = json_array_get(nodes, pages[i] - 1);
		snprintf(q, sizeof(q),
		         "{ call(id: \"%s\") { applications(first: 5) { "
		         "nodes { uuid call { status } } pageInfo { "
		         "hasNextPage endCursor } } } }",
		         json_string_value(json_object_get(first, "uuid")));
		gql(off, NULL, q, NULL, &one);
		single = json_object_get(
		    json_object_get(json_object_get(one.json, "data"), "call"),
		    "applications");
		ck_assert_msg(
		    json_equal(single, json_object_get(first, "applications")),
		    "batched %s\nalone %s", r.body, one.body);
		t_resp_free(&one);
		t_resp_free(&r);
		/* a fourth level: each application's appraisals, one batch
		 * read (application-appraisals) for all of them */
		snprintf(q, sizeof(q),
		         "{ calls(region: \"oriental\", first: %d) { nodes { "
		         "applications(first: 5) { nodes { appraisals(first: "
		         "3) { nodes { resultBp } pageInfo { hasNextPage } } } "
		         "} } } }",
		         pages[i]);
		n = calls_of(off, q, &r);
		ck_assert_msg(n <= 3, "page of %d, four levels: %lld calls",
		              pages[i], n);
		t_resp_free(&r);
	}
	/* identical reads in one request: once */
	n = calls_of(off,
	             "{ a: themes { code } b: themes { label } c: themes { "
	             "code } }",
	             &r);
	t_resp_free(&r);
	ck_assert_int_eq(n, 1);
	free(off);
}
END_TEST

/* /metrics of process p (its ops listener), malloc'd */
static char *
metrics_of(const struct t_proc *p)
{
	char *m = t_metrics_text(p);

	ck_assert_ptr_nonnull(m);
	return m;
}

/* The upstream calls are counted by operation name, for the names the
 * gateway was given (MP_GRAPHQL_METRIC_OPERATIONS) and the trusted
 * documents' only: any number of other names share "(other)", so the
 * label set stays bounded whatever clients send. */
START_TEST(upstream_calls_by_operation)
{
	char q[128], *m0, *m1, *p;
	long long counted0, other0;
	struct t_resp r;
	int i, labels = 0;

	(void)settled_upstream_calls();
	m0 = metrics_of(&gw);
	counted0 = t_metric(m0, "gateway_graphql_upstream_calls_total",
	                    "operation=\"Counted\"");
	other0 = t_metric(m0, "gateway_graphql_upstream_calls_total",
	                  "operation=\"(other)\"");
	ck_assert_int_ge(counted0, 0);
	ck_assert_int_ge(other0, 0);
	gql(NULL, NULL, "query Counted { themes { code } }", NULL, &r);
	t_resp_free(&r);
	/* 25 names a client chose */
	for (i = 0; i < 25; i++) {
		snprintf(q, sizeof(q), "query Chosen%d_%d { themes { code } }",
		         i, (int)getpid());
		gql(NULL, NULL, q, NULL, &r);
		ck_assert_msg(json_object_get(r.json, "errors") == NULL, "%s",
		              r.body);
		t_resp_free(&r);
	}
	(void)settled_upstream_calls();
	m1 = metrics_of(&gw);
	ck_assert_int_eq(t_metric(m1, "gateway_graphql_upstream_calls_total",
	                          "operation=\"Counted\"") -
	                     counted0,
	                 1);
	ck_assert_int_ge(t_metric(m1, "gateway_graphql_upstream_calls_total",
	                          "operation=\"(other)\"") -
	                     other0,
	                 25);
	ck_assert_int_ge(t_metric(m1, "gateway_graphql_operation_runs_total",
	                          "operation=\"Counted\""),
	                 1);
	ck_assert_ptr_null(strstr(m1, "Chosen"));
	/* the label set: the two names given and (other), nothing more */
	for (p = m1;
	     (p = strstr(p, "\ngateway_graphql_upstream_calls_total{")) != NULL;
	     p++)
		labels++;
	ck_assert_int_eq(labels, 3);
	free(m0);
	free(m1);
}
END_TEST

/* a draft application of the applicant `who` to call `call` */
static void
make_application(const char *who, const char *call)
{
	char *app = tok(who, "applicant", 0), path[512];
	struct t_resp resp;
	json_t *body = json_pack(
	    "{s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s}, s:s, s:s, "
	    "s:[{s:s, s:I}], s:I, s:I, s:[{s:s, s:s, s:i}], s:i}",
	    "applicant", "kind", "person", "type", "mre", "name", "Samira B.",
	    "sex", "female", "age_band", "35-49", "country_of_residence", "BE",
	    "title", "fr", "Atelier", "summary", "fr", "Formation", "commune",
	    "oujda", "theme", "economic", "budget_lines", "label", "Machines",
	    "amount_minor", (json_int_t)450000, "requested_minor",
	    (json_int_t)300000, "cofinancing_minor", (json_int_t)150000,
	    "beneficiaries", "sex", "female", "age_band", "25-34", "count", 20,
	    "gender_marker", 2);

	snprintf(path, sizeof(path), "/v1/funding/calls/%s/applications", call);
	ck_assert_int_eq(t_json(&funding, "POST", path, app, body, &resp), 0);
	ck_assert_msg(resp.status == 201, "application: %ld %s", resp.status,
	              resp.body);
	t_resp_free(&resp);
	json_decref(body);
	free(app);
}

/* The items of a list read their parent in one batch read (funding's
 * ?ids=), whatever the number of distinct parents: no N+1. */
START_TEST(items_in_one_batch_read)
{
	char *off = tok("officer", "council_officer", 0), calls[4][64], who[32],
	     q[256];
	long long before, after;
	struct t_resp r;
	json_t *nodes, *n;
	size_t i;

	for (i = 0; i < 4; i++) {
		make_call(0, 1, calls[i], sizeof(calls[i]));
		snprintf(who, sizeof(who), "batch-%d-%zu", (int)getpid(), i);
		make_application(who, calls[i]);
	}
	snprintf(q, sizeof(q),
	         "{ applications(first: 30) { nodes { status "
	         "call { uuid title { fr } } } } }");
	before = upstream_calls();
	gql(off, NULL, q, NULL, &r);
	after = upstream_calls();
	ck_assert_msg(json_object_get(r.json, "errors") == NULL, "%s", r.body);
	nodes = json_object_get(
	    json_object_get(json_object_get(r.json, "data"), "applications"),
	    "nodes");
	ck_assert_int_ge(json_array_size(nodes), 4);
	/* every item got its own call (the region's other suites' calls
	 * may be among them) */
	json_array_foreach(nodes, i, n)
	    ck_assert_ptr_nonnull(json_string_value(json_object_get(
	        json_object_get(json_object_get(n, "call"), "title"), "fr")));
	/* the page, then one batch read of every call (at most 30 < 40) */
	ck_assert_int_eq(after - before, 2);
	t_resp_free(&r);
	free(off);
}
END_TEST

START_TEST(limits_refuse_before_upstream)
{
	static const struct {
		const char *code;
		const char *query;
	} cases[] = {
	    {"QUERY_TOO_DEEP",
	     "{ __schema { types { fields { type { ofType { ofType { ofType "
	     "{ ofType { ofType { ofType { name } } } } } } } } } } }"},
	    {"TOO_MANY_ROOT_FIELDS",
	     "{ a0: themes { code } a1: themes { code } a2: themes { code } "
	     "a3: themes { code } a4: themes { code } a5: themes { code } a6: "
	     "themes { code } a7: themes { code } a8: themes { code } a9: "
	     "themes { code } b0: themes { code } b1: themes { code } b2: "
	     "themes { code } b3: themes { code } b4: themes { code } b5: "
	     "themes { code } b6: themes { code } b7: themes { code } b8: "
	     "themes { code } b9: themes { code } c0: themes { code } }"},
	    {"QUERY_TOO_COSTLY",
	     "{ calls(first: 200) { nodes { applications(first: 200) { nodes "
	     "{ title { fr } } } } } }"},
	};
	long long before = upstream_calls();
	struct t_resp r;
	size_t i;
	char big[40000];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gql(NULL, "application/graphql-response+json", cases[i].query,
		    NULL, &r);
		ck_assert_msg(r.status == 400, "%s: %ld %s", cases[i].code,
		              r.status, r.body);
		ck_assert_str_eq(err_code(&r, 0), cases[i].code);
		t_resp_free(&r);
	}
	/* aliases and directives */
	{
		char q[4096];
		size_t n = 0;
		n += (size_t)snprintf(q + n, sizeof(q) - n, "{ themes { ");
		for (i = 0; i < 31; i++)
			n += (size_t)snprintf(q + n, sizeof(q) - n,
			                      "x%zu: code @include(if: true) ",
			                      i);
		snprintf(q + n, sizeof(q) - n, "} }");
		gql(NULL, GQL_MEDIA, q, NULL, &r);
		ck_assert_int_eq(r.status, 400);
		ck_assert_ptr_nonnull(strstr(r.body, "TOO_MANY_ALIASES"));
		ck_assert_ptr_nonnull(strstr(r.body, "TOO_MANY_DIRECTIVES"));
		t_resp_free(&r);
	}
	/* size and tokens */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{ themes { code } }", 19);
	big[sizeof(big) - 1] = '\0';
	gql(NULL, GQL_MEDIA, big, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "MP_GRAPHQL_MAX_BYTES"));
	t_resp_free(&r);
	{
		char q[20000];
		size_t n = 0;
		n += (size_t)snprintf(q + n, sizeof(q) - n, "{ themes { ");
		for (i = 0; i < 4100; i++)
			n += (size_t)snprintf(q + n, sizeof(q) - n, "c ");
		snprintf(q + n, sizeof(q) - n, "} }");
		gql(NULL, GQL_MEDIA, q, NULL, &r);
		ck_assert_int_eq(r.status, 400);
		ck_assert_ptr_nonnull(strstr(r.body, "tokens"));
		t_resp_free(&r);
	}
	/* nothing of it reached the services */
	ck_assert_int_eq(upstream_calls(), before);
}
END_TEST

START_TEST(mutation_transition)
{
	char *off = tok("officer", "council_officer", 0), id[64], q[512];
	struct t_resp r;

	make_call(0, 0, id, sizeof(id));
	snprintf(q, sizeof(q),
	         "mutation Publish($id: ID!) { transitionCall(id: $id, to: "
	         "\"publish\") { status publishedAt } }");
	gql(off, NULL, q, json_pack("{s:s}", "id", id), &r);
	ck_assert_msg(r.status == 200 &&
	                  json_object_get(r.json, "errors") == NULL,
	              "%s", r.body);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(json_object_get(r.json, "data"),
	                                     "transitionCall"),
	                     "status")),
	                 "PUBLISHED");
	t_resp_free(&r);
	/* again: the service's 409 becomes a CONFLICT error */
	gql(off, NULL, q, json_pack("{s:s}", "id", id), &r);
	ck_assert_str_eq(err_code(&r, 0), "CONFLICT");
	t_resp_free(&r);
	free(off);
}
END_TEST

/* POST {query?, extensions: {persistedQuery: {version: 1, sha256Hash}}} */
static void
apq_post(const char *query, const char *hash, struct t_resp *r)
{
	json_t *body =
	    json_pack("{s:{s:{s:i, s:s}}}", "extensions", "persistedQuery",
	              "version", 1, "sha256Hash", hash);
	const char *h[] = {"Content-Type: application/json", NULL};
	char *text;

	if (query != NULL)
		json_object_set_new(body, "query", json_string(query));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/graphql", h, text, strlen(text), r), 0);
	free(text);
}

START_TEST(persisted_queries)
{
	char q[128], hash[65], path[512];
	struct t_resp r;

	/* a query of its own, so the hash is new to this Redis */
	snprintf(q, sizeof(q), "query Apq%d { themes { code } }",
	         (int)getpid());
	t_sha256_hex(q, hash);
	apq_post(NULL, hash, &r); /* miss */
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(err_code(&r, 0), "PERSISTED_QUERY_NOT_FOUND");
	t_resp_free(&r);
	apq_post(q, hash, &r); /* registered */
	ck_assert_msg(json_array_size(json_object_get(
	                  json_object_get(r.json, "data"), "themes")) > 0,
	              "%s", r.body);
	t_resp_free(&r);
	/* hit, by GET as a CDN or the gateway's cache can keep it */
	snprintf(path, sizeof(path),
	         "/graphql?extensions=%%7B%%22persistedQuery%%22%%3A%%7B%%22"
	         "version%%22%%3A1%%2C%%22sha256Hash%%22%%3A%%22%s%%22%%7D%%7D",
	         hash);
	ck_assert_int_eq(t_http(&gw, "GET", path, NULL, NULL, 0, &r), 0);
	ck_assert_msg(json_array_size(json_object_get(
	                  json_object_get(r.json, "data"), "themes")) > 0,
	              "%s", r.body);
	t_resp_free(&r);
	/* mismatch: refused, nothing stored */
	apq_post("{ regions { code } }", hash, &r);
	ck_assert_str_eq(err_code(&r, 0), "PERSISTED_QUERY_HASH_MISMATCH");
	t_resp_free(&r);
	/* a malformed hash */
	apq_post(NULL, "abc", &r);
	ck_assert_int_eq(r.status, 400);
	t_resp_free(&r);
}
END_TEST

/* GET /graphql of process p of persisted query `hash` with `vars` (JSON)
 * as `token`, with one more header (NULL: none) */
static void
persisted_get_at(struct t_proc *p, const char *token, const char *hash,
                 const char *vars, const char *header, struct t_resp *r)
{
	char ext[160], path[1024], auth[4096], *e, *v;
	const char *h[3];
	int k = 0;

	snprintf(ext, sizeof(ext),
	         "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"%s\"}}",
	         hash);
	e = curl_easy_escape(NULL, ext, 0);
	v = curl_easy_escape(NULL, vars, 0);
	snprintf(path, sizeof(path), "/graphql?extensions=%s&variables=%s", e,
	         v);
	curl_free(e);
	curl_free(v);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[k++] = auth;
	}
	if (header != NULL)
		h[k++] = header;
	h[k] = NULL;
	ck_assert_int_eq(t_http(p, "GET", path, h, NULL, 0, r), 0);
}

/* the same of the suite's gateway */
static void
persisted_get(const char *token, const char *hash, const char *vars,
              const char *header, struct t_resp *r)
{
	persisted_get_at(&gw, token, hash, vars, header, r);
}

static const char *
x_cache(const struct t_resp *r)
{
	static char v[32];

	if (t_resp_header(r, "x-cache", v, sizeof(v)) != 0)
		return "(none)";
	return v;
}

/* A miss's answer is stored in Redis by the worker that answered it, with
 * a command that leaves after the answer has: a repeat that another
 * worker takes at once can be a miss too. Give the store its moment (a
 * round trip to Redis on this machine is well under a millisecond). */
static void
store_landed(void)
{
	t_sleep_ms(200);
}

/* A persisted GET is answered from the gateway's scoped cache: a hit the
 * second time (ETag, 304), each region's officer their own answer, fresh
 * again soon after a write through the service; a POST never. */
START_TEST(persisted_get_cached)
{
	char *ori = tok("officer", "council_officer", 0);
	char *sou = tok("officer", "council_officer", 1), q[256], hash[65],
	     vars[128], etag[64], inm[128], path[160];
	struct t_resp r;
	json_t *call, *body;
	int i, fresh = 0;

	fixture_data();
	snprintf(q, sizeof(q),
	         "query Cached%d($id: ID!) { call(id: $id) { uuid status "
	         "title { fr } } }",
	         (int)getpid());
	t_sha256_hex(q, hash);
	apq_post(q, hash, &r); /* registered; a POST is never cached */
	ck_assert_msg(json_object_get(r.json, "errors") != NULL ||
	                  json_object_get(r.json, "data") != NULL,
	              "%s", r.body);
	ck_assert_str_eq(x_cache(&r), "(none)");
	t_resp_free(&r);
	snprintf(vars, sizeof(vars), "{\"id\":\"%s\"}", draft_o);
	/* the fixture's writes invalidate the cache as their events arrive:
	 * let them land, and the workers' copies of the generation follow
	 * (MP_CACHE_SYNC_MS) */
	ck_assert_int_eq(
	    t_stream_settle("events:funding", "gateway", 300, 15000), 0);
	t_sleep_ms(300);

	persisted_get(ori, hash, vars, NULL, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(x_cache(&r), "miss");
	call = json_object_get(json_object_get(r.json, "data"), "call");
	ck_assert_str_eq(json_string_value(json_object_get(call, "uuid")),
	                 draft_o);
	t_resp_free(&r);
	store_landed();
	persisted_get(ori, hash, vars, NULL, &r);
	ck_assert_str_eq(x_cache(&r), "hit");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(r.json, "data"), "call"),
	        "uuid")),
	    draft_o);
	ck_assert_int_eq(t_resp_header(&r, "etag", etag, sizeof(etag)), 0);
	t_resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	persisted_get(ori, hash, vars, inm, &r);
	ck_assert_int_eq(r.status, 304);
	t_resp_free(&r);

	/* the other region's officer: an answer of their own (the draft is
	 * not theirs to see), never oriental's */
	for (i = 0; i < 2; i++) {
		persisted_get(sou, hash, vars, NULL, &r);
		ck_assert_str_eq(x_cache(&r), i == 0 ? "miss" : "hit");
		ck_assert_msg(json_is_null(json_object_get(
		                  json_object_get(r.json, "data"), "call")),
		              "%s", r.body);
		ck_assert_str_eq(err_code(&r, 0), "NOT_FOUND");
		ck_assert_ptr_null(strstr(r.body, "Appel GraphQL"));
		t_resp_free(&r);
		store_landed();
	}
	/* anonymous: its own entry too */
	persisted_get(NULL, hash, vars, NULL, &r);
	ck_assert_str_eq(x_cache(&r), "miss");
	t_resp_free(&r);

	/* a write through the service: the next GETs are fresh within a
	 * bounded delay (the event reaches the gateway's consumer) */
	snprintf(path, sizeof(path), "/v1/funding/calls/%s", draft_o);
	body = json_pack("{s:{s:s}}", "title", "fr", "Appel GraphQL modifié");
	ck_assert_int_eq(t_json(&funding, "PATCH", path, ori, body, &r), 0);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	t_resp_free(&r);
	json_decref(body);
	for (i = 0; i < 50 && !fresh; i++) {
		persisted_get(ori, hash, vars, NULL, &r);
		fresh = strstr(r.body, "modifié") != NULL;
		if (fresh)
			ck_assert_str_eq(x_cache(&r), "miss");
		t_resp_free(&r);
		if (!fresh)
			t_sleep_ms(100);
	}
	ck_assert_msg(fresh, "still the old title 5 s after the write");
	/* kept again once the write's invalidation has settled (an answer
	 * read from a worker's copy older than the event is stored under
	 * that older generation: a miss, never stale) */
	ck_assert_int_eq(
	    t_stream_settle("events:funding", "gateway", 300, 15000), 0);
	t_sleep_ms(300);
	for (i = 0, fresh = 0; i < 3 && !fresh; i++) {
		persisted_get(ori, hash, vars, NULL, &r);
		ck_assert_ptr_nonnull(strstr(r.body, "modifié"));
		fresh = strcmp(x_cache(&r), "hit") == 0;
		t_resp_free(&r);
	}
	ck_assert_msg(fresh, "the fresh answer is not kept");
	/* a POST of the same operation is never cached */
	apq_post(NULL, hash, &r);
	ck_assert_str_eq(x_cache(&r), "(none)");
	t_resp_free(&r);
	/* a revoked token gets a 401, never the cached answer */
	{
		const char *form[] = {
		    "Content-Type: application/x-www-form-urlencoded", NULL};
		char rv[4200];

		snprintf(rv, sizeof(rv), "token=%s", ori);
		ck_assert_int_eq(t_http(&gw, "POST", "/auth/revoke", form, rv,
		                        strlen(rv), &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		t_resp_free(&r);
		/* every worker's revocation view within one refresh (250 ms) */
		t_sleep_ms(300);
		persisted_get(ori, hash, vars, NULL, &r);
		ck_assert_int_eq(r.status, 401);
		ck_assert_ptr_null(strstr(r.body, "modifié"));
		t_resp_free(&r);
	}
	free(ori);
	free(sou);
}
END_TEST

/* r= of the RateLimit header of an answer; -1 without one */
static long
rate_remaining(const struct t_resp *r)
{
	char v[96];
	const char *p;

	if (t_resp_header(r, "ratelimit", v, sizeof(v)) != 0 ||
	    (p = strstr(v, ";r=")) == NULL)
		return -1;
	return strtol(p + 3, NULL, 10);
}

/* A cached persisted GET counts as the reads it was made of, as the
 * same operation run (or a REST GET served from the cache) does: with a
 * default limit of 10 an operation of 2 reads is served five times in
 * a window (its miss and four hits; a 304 counts too), then refused 429
 * with Retry-After, RateLimit headers and a RATE_LIMITED error, and so is
 * the same operation by POST (its reads are refused). An answer that ran
 * (the miss, the POST) carries the RateLimit of its reads too. */
START_TEST(persisted_get_rate_limited)
{
	char q[160], hash[65], up[128], who[64], inm[128], etag[64], ra[16];
	char pol[96];
	const char *env[4];
	struct t_proc tg;
	struct t_resp r;
	char *user, *m;
	long before;
	int i;

	/* the test's six answers in one window (3600 s) */
	if (time(NULL) % 3600 > 3590)
		t_sleep_ms((int)(3601 - time(NULL) % 3600) * 1000);
	snprintf(up, sizeof(up), "MP_UPSTREAMS=funding=http://127.0.0.1:%d",
	         funding.port);
	env[0] = up;
	env[1] = "MP_RATE_LIMITS=default=10/3600,write=100/60,auth=100/60";
	env[2] = "MP_RATE_LEASE_MAX=1"; /* exact counts, whatever the worker */
	env[3] = NULL;
	ck_assert_int_eq(t_gateway_start(&tg, "graphql-ratelimit", env), 0);
	/* an identity of its own: counters are per caller, in shared Redis */
	snprintf(who, sizeof(who), "rl%d-%ld", (int)getpid(), (long)time(NULL));
	user = tok(who, "council_officer", 0);
	snprintf(q, sizeof(q),
	         "query Limited%d { themes { code } regions { code } }",
	         (int)getpid());
	t_sha256_hex(q, hash);
	apq_post(q, hash, &r); /* registered (the suite's gateway) */
	ck_assert_msg(json_object_get(r.json, "data") != NULL, "%s", r.body);
	t_resp_free(&r);

	persisted_get_at(&tg, user, hash, "{}", NULL, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(x_cache(&r), "miss"); /* 2 reads: 8 left */
	/* an answer that ran carries its reads' RateLimit, as a hit does */
	ck_assert_int_eq(rate_remaining(&r), 8);
	ck_assert_int_eq(
	    t_resp_header(&r, "ratelimit-policy", pol, sizeof(pol)), 0);
	ck_assert_str_eq(pol, "\"default\";q=10;w=3600");
	ck_assert_int_eq(t_resp_header(&r, "etag", etag, sizeof(etag)), 0);
	t_resp_free(&r);
	store_landed();
	before = 8;
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	for (i = 0; i < 4; i++) {
		persisted_get_at(&tg, user, hash, "{}", i == 1 ? inm : NULL,
		                 &r);
		ck_assert_msg(r.status == (i == 1 ? 304 : 200),
		              "hit %d: %ld %s", i, r.status, r.body);
		if (i != 1)
			ck_assert_str_eq(x_cache(&r), "hit");
		/* each hit costs what the operation's two reads cost */
		ck_assert_int_eq(rate_remaining(&r), before - 2);
		before -= 2;
		t_resp_free(&r);
	}
	persisted_get_at(&tg, user, hash, "{}", NULL, &r);
	ck_assert_msg(r.status == 429, "%ld %s", r.status, r.body);
	ck_assert_str_eq(err_code(&r, 0), "RATE_LIMITED");
	ck_assert_ptr_null(json_object_get(r.json, "data"));
	ck_assert_int_eq(rate_remaining(&r), 0);
	ck_assert_int_eq(t_resp_header(&r, "retry-after", ra, sizeof(ra)), 0);
	ck_assert_int_gt(atoi(ra), 0);
	t_resp_free(&r);
	/* the same operation run (POST): its reads are refused too */
	{
		json_t *body = json_pack("{s:s}", "query", q);
		char auth[4096], *text = json_dumps(body, JSON_COMPACT);
		const char *h[] = {"Content-Type: application/json", auth,
		                   NULL};

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", user);
		ck_assert_int_eq(
		    t_http(&tg, "POST", "/graphql", h, text, strlen(text), &r),
		    0);
		ck_assert_str_eq(err_code(&r, 0), "RATE_LIMITED");
		ck_assert_str_eq(err_code(&r, 1), "RATE_LIMITED");
		ck_assert_int_eq(rate_remaining(&r), 0);
		t_resp_free(&r);
		free(text);
		json_decref(body);
	}
	m = metrics_of(&tg);
	ck_assert_int_ge(t_metric(m, "gw_ratelimit_refused_total", "\""), 2);
	free(m);
	free(user);
	t_proc_stop(&tg);
}
END_TEST

/* A gateway in trusted-documents mode runs its manifest's documents, by
 * hash or in full, and nothing else; a manifest holding a literal of
 * personal data (@personal) stops the start. */
START_TEST(trusted_documents)
{
	static const char doc[] = "{ themes { code } }";
	static const char named[] = "query TrustedThemes { themes { label } }";
	static const char personal[] =
	    "{ persons(name: \"Tafsut\") { nodes { uuid } } }";
	char hash[65], hash2[65], path[512], env_file[600], up[128], *m;
	char line[4096];
	int seen = 0;
	const char *env[4];
	struct t_proc tg;
	struct t_resp r;
	const char *h[] = {"Content-Type: application/json", NULL};
	FILE *f;

	t_sha256_hex(doc, hash);
	t_sha256_hex(named, hash2);
	t_var_path("trusted-documents.json", path, sizeof(path));
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "{\"%s\": \"%s\", \"%s\": \"%s\"}\n", hash, doc, hash2,
	        named);
	fclose(f);
	snprintf(env_file, sizeof(env_file), "MP_GRAPHQL_TRUSTED_DOCUMENTS=%s",
	         path);
	snprintf(up, sizeof(up), "MP_UPSTREAMS=funding=http://127.0.0.1:%d",
	         funding.port);
	env[0] = env_file;
	env[1] = up;
	env[2] = NULL;
	ck_assert_int_eq(t_gateway_start(&tg, "graphql-trusted", env), 0);
	ck_assert_int_eq(t_http(&tg, "POST", "/graphql", h,
	                        "{\"query\": \"{ themes { code } }\"}", 32, &r),
	                 0);
	ck_assert_msg(json_object_get(r.json, "data") != NULL, "%s", r.body);
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&tg, "POST", "/graphql", h,
	                        "{\"query\": \"{ regions { code } }\"}", 33,
	                        &r),
	                 0);
	ck_assert_msg(strstr(r.body, "PERSISTED_QUERY_NOT_ALLOWED") != NULL,
	              "%s", r.body);
	ck_assert_ptr_null(json_object_get(r.json, "data"));
	t_resp_free(&r);
	/* the manifest's operation names are counted apart in /metrics */
	m = metrics_of(&tg);
	ck_assert_int_eq(t_metric(m, "gateway_graphql_upstream_calls_total",
	                          "operation=\"TrustedThemes\""),
	                 0);
	free(m);
	t_proc_stop(&tg);

	/* a manifest with a name written in a document: refused at start,
	 * the line naming the document and the argument, not the name */
	t_sha256_hex(personal, hash);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "{\"%s\": \"%s\", \"%s\": \"%s\"}\n", hash2, named, hash,
	        "{ persons(name: \\\"Tafsut\\\") { nodes { uuid } } }");
	fclose(f);
	ck_assert_int_ne(t_gateway_start(&tg, "graphql-trusted-personal", env),
	                 0);
	t_var_path("log/graphql-trusted-personal.log", path, sizeof(path));
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		ck_assert_ptr_null(strstr(line, "Tafsut"));
		seen |= strstr(line, "MP_GRAPHQL_TRUSTED_DOCUMENTS") != NULL &&
		        strstr(line, hash) != NULL &&
		        strstr(line, "\"Query.persons\"") != NULL;
	}
	fclose(f);
	ck_assert_msg(seen, "no line naming the document in %s", path);
}
END_TEST

static int
node_script(const char *script, const char *arg)
{
	return t_tool("node %s http://127.0.0.1:%d/graphql %s", script, gw.port,
	              arg != NULL ? arg : "");
}

START_TEST(graphql_http_audit)
{
	ck_assert_int_eq(node_script("tests/graphql/audit.mjs", NULL), 0);
}
END_TEST

START_TEST(js_client)
{
	char *off = tok("officer", "council_officer", 0), arg[4096];

	fixture_data();
	snprintf(arg, sizeof(arg), "%s %s", off, call_o);
	ck_assert_int_eq(node_script("tests/graphql/client.mjs", arg), 0);
	free(off);
}
END_TEST

/* A browser's GET /graphql is GraphiQL; a query typed in it returns data
 * (headless chromium). */
START_TEST(graphiql_in_a_browser)
{
	struct t_resp r;
	const char *h[] = {"Accept: text/html", NULL};
	char ct[128];

	ck_assert_int_eq(t_http(&gw, "GET", "/graphql", h, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(t_resp_header(&r, "content-type", ct, sizeof(ct)), 0);
	ck_assert_ptr_nonnull(strstr(ct, "text/html"));
	t_resp_free(&r);
	ck_assert_int_eq(node_script("tests/graphql/graphiql.mjs", NULL), 0);
}
END_TEST

/* /docs: the REST reference lists every operation of the merged OpenAPI
 * document (headless chromium). */
START_TEST(docs_in_a_browser)
{
	ck_assert_int_eq(node_script("tests/graphql/docs.mjs", NULL), 0);
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
	Suite *s = suite_create("gateway_graphql");
	TCase *tc = tcase_create("graphql");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, get_and_post_media_types);
	tcase_add_test(tc, mutation_by_get_is_405);
	tcase_add_test(tc, every_type_reachable);
	tcase_add_test(tc, region_isolation_nested_and_node);
	tcase_add_test(tc, upstream_calls_bounded);
	tcase_add_test(tc, upstream_calls_by_operation);
	tcase_add_test(tc, items_in_one_batch_read);
	tcase_add_test(tc, limits_refuse_before_upstream);
	tcase_add_test(tc, mutation_transition);
	tcase_add_test(tc, persisted_queries);
	tcase_add_test(tc, persisted_get_cached);
	tcase_add_test(tc, persisted_get_rate_limited);
	tcase_add_test(tc, trusted_documents);
	tcase_add_test(tc, graphql_http_audit);
	tcase_add_test(tc, js_client);
	tcase_add_test(tc, graphiql_in_a_browser);
	tcase_add_test(tc, docs_in_a_browser);
	tcase_add_test(tc, no_worker_died);
	suite_add_tcase(s, tc);
	return t_run(s);
}
