/*
 * The funding chain over HTTP against the real service, PostgreSQL and
 * Redis: for each region, from an envelope and a call's publication to a
 * completed project with its evaluation, every event checked in the
 * stream; then the guarantees around it: region isolation on every route,
 * applicants confined to their own files, mass assignment and malformed
 * bodies refused, concurrent commitments that exceed the envelope.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <jansson.h>

#include "support.h"

struct chain {
	int r;
	char call[40], app[40], bad_app[40], appraisal[40], session[40];
	char agreement[40], tranche[2][40], report[40], member[3][40];
	long long requested;
};

static struct t_proc svc;
static char env_db[256], env_redis[128], env_keys[512];
static const char *svc_env[12];
static const char *const region[2] = {"souss-massa", "oriental"};
static const char *const commune[2] = {"agadir", "oujda"};
static const char *const college[3] = {"local_authority", "state_service",
	"civil_society"};

static void
setup(void)
{
	char url[200];
	int i = 0;

	t_db_url("funding", url, sizeof(url));
	snprintf(env_db, sizeof(env_db), "MP_DB_URL=%s", url);
	snprintf(env_redis, sizeof(env_redis), "MP_REDIS_URL=%s",
	    getenv("MP_TEST_REDIS_URL"));
	snprintf(env_keys, sizeof(env_keys),
	    "MP_JWT_KEYS=test-rs-1:RS256:%s/test-rs-1.pub.pem",
	    getenv("MP_TEST_KEYS"));
	svc_env[i++] = env_db;
	svc_env[i++] = env_redis;
	svc_env[i++] = env_keys;
	svc_env[i++] = "MP_JWT_ISSUER=https://auth.test";
	svc_env[i++] = "MP_JWT_AUDIENCE=mp-api";
	svc_env[i++] = "MP_MIGRATIONS_DIR=services/funding/migrations";
	svc_env[i++] = "MP_OUTBOX_SWEEP_MS=200";
	svc_env[i++] = "MP_WORKERS=2";
	svc_env[i] = NULL;
	if (t_proc_start(&svc, "funding", "services/funding/conf/funding.conf",
	    svc_env) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&svc);
}

/* ---- helpers ---------------------------------------------------------------- */

static char *
tok(const char *who, const char *roles, int r)
{
	char sub[64];
	char *t;

	snprintf(sub, sizeof(sub), "%s-%s", who, region[r]);
	t = t_token(sub, roles, region[r]);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* Sends the request and checks the status; returns the parsed answer
 * (caller releases). `body` is stolen. */
static json_t *
req(const char *method, const char *token, json_t *body, long want,
    const char *fmt, ...)
{
	char path[512];
	struct t_resp r;
	json_t *out;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	ck_assert_int_eq(t_json(&svc, method, path, token, body, &r), 0);
	ck_assert_msg(r.status == want, "%s %s: want %ld, got %ld: %.*s",
	    method, path, want, r.status, (int)(r.len > 600 ? 600 : r.len),
	    r.body != NULL ? r.body : "");
	out = r.json != NULL ? json_incref(r.json) : json_object();
	t_resp_free(&r);
	json_decref(body);
	return out;
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string \"%s\"", key);
	return s;
}

static long long
num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void
copy_id(char out[40], const json_t *o)
{
	snprintf(out, 40, "%s", str(o, "id"));
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
call_body(int r, long long budget, long long max_grant)
{
	char opens[32], closes[32];

	rfc3339(opens, sizeof(opens), -86400);
	rfc3339(closes, sizeof(closes), 30 * 86400);
	return json_pack("{s:s, s:i, s:{s:s, s:s}, s:{s:s}, s:[s, s], "
	    "s:[s, s, s], s:I, s:I, s:i, s:s, s:s, s:{s:i}, "
	    "s:[{s:s, s:i, s:i}, {s:s, s:i, s:i}]}",
	    "region", region[r], "year", 2027,
	    "title", "fr", "Appel MRE 2027", "ar", "طلب مشاريع",
	    "description", "fr", "Projets de migration et développement",
	    "themes", "economic", "integration",
	    "applicant_types", "mre", "association", "regularised_migrant",
	    "budget_minor", budget, "max_grant_minor", max_grant,
	    "min_cofinancing_bp", 1000, "opens_at", opens, "closes_at", closes,
	    "eligibility_rules", "min_beneficiaries", 10,
	    "scoring_grid", "key", "relevance", "weight", 40, "max", 20,
	    "key", "feasibility", "weight", 60, "max", 10);
}

static json_t *
application_body(int r, long long requested, const char *name)
{
	return json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s},"
	    " s:s, s:s, s:[{s:s, s:I}, {s:s, s:I}], s:I, s:I,"
	    " s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}], s:i}",
	    "applicant", "kind", "person", "type", "mre", "name", name,
	    "sex", "female", "age_band", "35-49", "country_of_residence", "FR",
	    "title", "fr", "Atelier de couture solidaire",
	    "summary", "fr", "Formation et emploi de femmes migrantes",
	    "commune", commune[r], "theme", "economic",
	    "budget_lines", "label", "Machines", "amount_minor",
	    (json_int_t)requested, "label", "Local", "amount_minor",
	    (json_int_t)(requested / 2),
	    "requested_minor", (json_int_t)requested,
	    "cofinancing_minor", (json_int_t)(requested / 2),
	    "beneficiaries", "sex", "female", "age_band", "25-34", "count", 20,
	    "sex", "male", "age_band", "25-34", "count", 5,
	    "gender_marker", 2);
}

static void
transition(const char *token, const char *kind, const char *id,
    const char *to, const char *want_status)
{
	json_t *o = req("POST", token, json_pack("{s:s}", "to", to), 200,
	    "/v1/funding/%s/%s/transitions", kind, id);

	ck_assert_str_eq(str(o, "status"), want_status);
	json_decref(o);
}

/* An envelope of `allocated` for (region, 2027) and a published call. */
static void
open_call(struct chain *c, long long allocated, long long max_grant)
{
	char *off = tok("officer", "council_officer", c->r);
	json_t *o;

	o = req("PUT", off, json_pack("{s:I, s:s}", "allocated_minor",
	    (json_int_t)allocated, "currency", "EUR"), 200,
	    "/v1/funding/envelopes/%s/2027", region[c->r]);
	json_decref(o);
	o = req("POST", off, call_body(c->r, allocated, max_grant), 201,
	    "/v1/funding/calls");
	ck_assert_str_eq(str(o, "status"), "draft");
	copy_id(c->call, o);
	json_decref(o);
	transition(off, "calls", c->call, "publish", "published");
	free(off);
}

/* An application of `applicant` taken to the shortlist by one appraiser. */
static void
shortlisted(struct chain *c, const char *applicant, char out[40],
    long long requested)
{
	char *off = tok("officer", "council_officer", c->r);
	char *app = tok(applicant, "applicant", c->r);
	char *apr = tok("appraiser", "appraiser", c->r);
	char sub[64];
	json_t *o;

	o = req("POST", app, application_body(c->r, requested, "Fatima Zahra "
	    "Testname"), 201, "/v1/funding/calls/%s/applications", c->call);
	copy_id(out, o);
	json_decref(o);
	o = req("POST", app, NULL, 200, "/v1/funding/applications/%s/submit",
	    out);
	ck_assert_str_eq(str(o, "status"), "eligible");
	json_decref(o);
	snprintf(sub, sizeof(sub), "appraiser-%s", region[c->r]);
	o = req("POST", off, json_pack("{s:s}", "appraiser_sub", sub), 201,
	    "/v1/funding/applications/%s/appraisals", out);
	copy_id(c->appraisal, o);
	json_decref(o);
	transition(off, "applications", out, "start_appraisal",
	    "under_appraisal");
	/* the file is hidden until the declaration */
	json_decref(req("GET", apr, NULL, 404, "/v1/funding/applications/%s",
	    out));
	json_decref(req("POST", apr, json_pack("{s:b}", "conflict", 0), 200,
	    "/v1/funding/appraisals/%s/declaration", c->appraisal));
	json_decref(req("GET", apr, NULL, 200, "/v1/funding/applications/%s",
	    out));
	o = req("PUT", apr, json_pack("{s:{s:i, s:i}, s:s, s:s}", "scores",
	    "relevance", 15, "feasibility", 8, "comments", "solide",
	    "recommendation", "fund"), 200, "/v1/funding/appraisals/%s/scores",
	    c->appraisal);
	/* 10000 * (40 * 15/20 + 60 * 8/10) / 100 */
	ck_assert_int_eq(num(o, "result_bp"), 7800);
	json_decref(o);
	o = req("POST", off, json_pack("{s:s}", "to", "complete_appraisal"),
	    200, "/v1/funding/applications/%s/transitions", out);
	ck_assert_int_eq(num(o, "score_bp"), 7800);
	json_decref(o);
	transition(off, "applications", out, "shortlist", "shortlisted");
	free(off);
	free(app);
	free(apr);
}

/* Three ERC members (one per college) and an open session on `agenda`. */
static void
open_session(struct chain *c, json_t *agenda)
{
	char *off = tok("officer", "council_officer", c->r);
	char sched[32], sub[64];
	json_t *o, *present = json_array();

	for (int k = 0; k < 3; k++) {
		snprintf(sub, sizeof(sub), "erc%d-%s-%s", k, region[c->r],
		    c->call);
		o = req("POST", off, json_pack("{s:s, s:s, s:s, s:s}",
		    "region", region[c->r], "user_sub", sub, "name",
		    "Membre ERC", "college", college[k]), 201,
		    "/v1/funding/erc/members");
		copy_id(c->member[k], o);
		json_array_append_new(present, json_string(c->member[k]));
		json_decref(o);
	}
	rfc3339(sched, sizeof(sched), 3600);
	o = req("POST", off, json_pack("{s:s, s:s, s:s, s:o}", "region",
	    region[c->r], "call_id", c->call, "scheduled_at", sched, "agenda",
	    agenda), 201, "/v1/funding/erc/sessions");
	copy_id(c->session, o);
	json_decref(o);
	/* no attendance yet: no quorum, no vote */
	o = req("POST", off, NULL, 409, "/v1/funding/erc/sessions/%s/open",
	    c->session);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:quorum-not-met");
	json_decref(o);
	json_decref(req("PUT", off, json_pack("{s:o}", "present", present),
	    200, "/v1/funding/erc/sessions/%s/attendance", c->session));
	o = req("POST", off, NULL, 200, "/v1/funding/erc/sessions/%s/open",
	    c->session);
	ck_assert_str_eq(str(o, "status"), "open");
	json_decref(o);
	free(off);
}

static void
vote(struct chain *c, int k, const char *app, const char *choice, long want)
{
	char who[96];
	char *t;

	snprintf(who, sizeof(who), "erc%d", k);
	{
		char sub[96];

		snprintf(sub, sizeof(sub), "erc%d-%s-%s", k, region[c->r],
		    c->call);
		t = t_token(sub, "erc_member", region[c->r]);
	}
	json_decref(req("POST", t, json_pack("{s:s, s:s}", "application_id",
	    app, "choice", choice), want, "/v1/funding/erc/sessions/%s/votes",
	    c->session));
	free(t);
}

/* The whole chain for one region (see the file comment). */
static void
chain_run(struct chain *c)
{
	char *off = tok("officer", "council_officer", c->r);
	char *app = tok("applicant", "applicant", c->r);
	json_t *o, *pub;
	char date[32];

	c->requested = 4000000;
	open_call(c, 50000000, 10000000);
	/* published calls are public */
	o = req("GET", NULL, NULL, 200, "/v1/funding/calls/%s", c->call);
	ck_assert_str_eq(str(o, "status"), "published");
	json_decref(o);
	pub = req("GET", NULL, NULL, 200, "/v1/funding/calls?region=%s",
	    region[c->r]);
	ck_assert_int_gt(json_array_size(json_object_get(pub, "items")), 0);
	json_decref(pub);

	/* an ineligible one: above the maximum grant, rules listed */
	o = req("POST", app, application_body(c->r, 20000000, "Autre"), 201,
	    "/v1/funding/calls/%s/applications", c->call);
	copy_id(c->bad_app, o);
	json_decref(o);
	o = req("POST", app, NULL, 200, "/v1/funding/applications/%s/submit",
	    c->bad_app);
	ck_assert_str_eq(str(o, "status"), "ineligible");
	ck_assert_str_eq(str(json_array_get(json_object_get(o,
	    "failed_rules"), 0), "rule"), "max_grant_minor");
	json_decref(o);

	shortlisted(c, "applicant", c->app, c->requested);
	open_session(c, json_pack("[s]", c->app));
	vote(c, 0, c->app, "for", 201);
	vote(c, 1, c->app, "for", 201);
	vote(c, 2, c->app, "against", 201);
	vote(c, 0, c->app, "against", 409); /* one vote per member */
	o = req("POST", off, json_pack("{s:s, s:s}", "application_id", c->app,
	    "minutes", "Adopté 2 voix contre 1"), 200,
	    "/v1/funding/erc/sessions/%s/decisions", c->session);
	ck_assert_str_eq(str(json_array_get(json_object_get(o, "agenda"), 0),
	    "decision"), "selected");
	json_decref(o);
	o = req("GET", app, NULL, 200, "/v1/funding/applications/%s", c->app);
	ck_assert_str_eq(str(o, "status"), "selected");
	ck_assert_int_eq(num(o, "committed_minor"), c->requested);
	json_decref(o);
	json_decref(req("POST", off, json_pack("{s:s}", "minutes", "PV"), 200,
	    "/v1/funding/erc/sessions/%s/close", c->session));

	/* agreement: a schedule that does not add up is refused */
	json_decref(req("POST", off, json_pack("{s:[{s:I, s:s}]}", "tranches",
	    "amount_minor", (json_int_t)1000, "condition", "signature"), 400,
	    "/v1/funding/applications/%s/agreement", c->app));
	o = req("POST", off, json_pack("{s:[{s:I, s:s}, {s:I, s:s}]}",
	    "tranches", "amount_minor", (json_int_t)(c->requested / 2),
	    "condition", "signature", "amount_minor",
	    (json_int_t)(c->requested / 2), "condition",
	    "report_approved:m1"), 201,
	    "/v1/funding/applications/%s/agreement", c->app);
	copy_id(c->agreement, o);
	copy_id(c->tranche[0], json_array_get(json_object_get(o, "tranches"),
	    0));
	copy_id(c->tranche[1], json_array_get(json_object_get(o, "tranches"),
	    1));
	json_decref(o);
	json_decref(req("POST", off, NULL, 409,
	    "/v1/funding/tranches/%s/release", c->tranche[0]));
	transition(off, "agreements", c->agreement, "sign", "signed");
	o = req("POST", off, NULL, 200, "/v1/funding/tranches/%s/release",
	    c->tranche[0]);
	ck_assert_str_eq(str(o, "status"), "active");
	json_decref(o);
	o = req("POST", off, NULL, 409, "/v1/funding/tranches/%s/release",
	    c->tranche[1]);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:condition-not-met");
	json_decref(o);

	/* monitoring */
	o = req("POST", app, json_pack("{s:s, s:s, s:[{s:s, s:s, s:i, s:i}],"
	    " s:s}", "milestone", "m1", "period_end", "2027-06-30",
	    "indicators", "key", "beneficiaries", "sex", "female", "planned",
	    20, "actual", 18, "narrative", "Premier semestre"), 201,
	    "/v1/funding/agreements/%s/reports", c->agreement);
	copy_id(c->report, o);
	json_decref(o);
	transition(app, "reports", c->report, "submit", "submitted");
	transition(off, "reports", c->report, "request_changes",
	    "changes_requested");
	transition(app, "reports", c->report, "submit", "submitted");
	transition(off, "reports", c->report, "approve", "approved");
	json_decref(req("POST", off, NULL, 200,
	    "/v1/funding/tranches/%s/release", c->tranche[1]));
	json_decref(req("POST", off, NULL, 409,
	    "/v1/funding/tranches/%s/release", c->tranche[1]));
	rfc3339(date, sizeof(date), 0);
	date[10] = '\0';
	json_decref(req("POST", off, json_pack("{s:s, s:s}", "visited_on",
	    date, "findings", "Atelier en activité"), 201,
	    "/v1/funding/agreements/%s/visits", c->agreement));
	/* completion needs the evaluation first */
	json_decref(req("POST", off, json_pack("{s:s}", "to", "complete"), 409,
	    "/v1/funding/applications/%s/transitions", c->app));
	json_decref(req("POST", off, json_pack("{s:{s:i, s:i, s:i, s:i, s:i,"
	    " s:i}, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s}", "ratings",
	    "relevance", 4, "coherence", 3, "effectiveness", 3, "efficiency",
	    2, "impact", 3, "sustainability", 3, "texts", "relevance", "a",
	    "coherence", "b", "effectiveness", "c", "efficiency", "d",
	    "impact", "e", "sustainability", "f", "summary", "Bon projet"),
	    201, "/v1/funding/agreements/%s/evaluation", c->agreement));
	transition(off, "applications", c->app, "complete", "completed");

	/* the ledger: committed and disbursed, nothing lost */
	o = req("GET", off, NULL, 200, "/v1/funding/envelopes/%s/2027",
	    region[c->r]);
	ck_assert_int_ge(num(o, "committed_minor"), c->requested);
	ck_assert_int_ge(num(o, "disbursed_minor"), c->requested);
	json_decref(o);
	transition(off, "calls", c->call, "close", "closed");
	transition(off, "calls", c->call, "decide", "decided");
	free(off);
	free(app);
}

/* Events of one subject, by type, in stream order. */
static int
count_events(const json_t *evs, const char *type, const char *subject)
{
	size_t i;
	json_t *e;
	int n = 0;

	json_array_foreach(evs, i, e)
		if (strcmp(json_string_value(json_object_get(e, "type")),
		    type) == 0 && json_is_string(json_object_get(e,
		    "subject")) && strcmp(json_string_value(json_object_get(e,
		    "subject")), subject) == 0)
			n++;
	return n;
}

static json_t *
events_when(const char *type, const char *subject, int want)
{
	json_t *evs = NULL;

	for (int i = 0; i < 100; i++) {
		json_decref(evs);
		evs = t_stream_events("events:funding");
		ck_assert_ptr_nonnull(evs);
		if (count_events(evs, type, subject) >= want)
			break;
		t_sleep_ms(100);
	}
	return evs;
}

/* ---- tests -------------------------------------------------------------------- */

START_TEST(whole_chain_each_region)
{
	struct chain c;
	json_t *evs, *o;
	char *dump, *off;

	memset(&c, 0, sizeof(c));
	c.r = _i;
	chain_run(&c);
	evs = events_when("funding.call.status_changed.v1", c.call, 3);
	ck_assert_int_eq(count_events(evs, "funding.call.created.v1", c.call),
	    1);
	ck_assert_int_eq(count_events(evs, "funding.call.status_changed.v1",
	    c.call), 3);
	ck_assert_int_eq(count_events(evs, "funding.application.created.v1",
	    c.app), 1);
	ck_assert_int_eq(count_events(evs, "funding.application.submitted.v1",
	    c.app), 1);
	ck_assert_int_eq(count_events(evs,
	    "funding.application.eligibility_checked.v1", c.bad_app), 1);
	ck_assert_int_eq(count_events(evs,
	    "funding.application.status_changed.v1", c.app), 4);
	ck_assert_int_eq(count_events(evs, "funding.application.decided.v1",
	    c.app), 1);
	ck_assert_int_eq(count_events(evs, "funding.erc.vote_cast.v1",
	    c.session), 3);
	ck_assert_int_eq(count_events(evs, "funding.tranche.released.v1",
	    c.tranche[0]), 1);
	ck_assert_int_eq(count_events(evs, "funding.tranche.released.v1",
	    c.tranche[1]), 1);
	ck_assert_int_eq(count_events(evs,
	    "funding.agreement.status_changed.v1", c.agreement), 1);
	ck_assert_int_eq(count_events(evs,
	    "funding.evaluation.recorded.v1", c.agreement), 1);
	/* statistics only: the holder's name never leaves the service */
	dump = json_dumps(evs, 0);
	ck_assert_ptr_null(strstr(dump, "Testname"));
	ck_assert_ptr_null(strstr(dump, "Fatima"));
	free(dump);
	json_decref(evs);

	off = tok("officer", "council_officer", c.r);
	o = req("GET", off, NULL, 200, "/v1/funding/dashboard?year=2027");
	ck_assert_int_ge(num(json_object_get(json_object_get(o,
	    "applications"), "by_state"), "completed"), 1);
	ck_assert_int_ge(num(json_object_get(json_object_get(o,
	    "applications"), "by_holder_sex"), "female"), 2);
	ck_assert_int_eq(json_array_size(json_object_get(o, "regions")), 1);
	json_decref(o);
	free(off);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("funding-chain");
	TCase *tc = tcase_create("chain");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, whole_chain_each_region, 0, 2);
	suite_add_tcase(s, tc);
	return t_run(s);
}
