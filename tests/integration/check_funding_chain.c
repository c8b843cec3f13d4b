/*
 * The funding chain over HTTP against the real service, PostgreSQL and
 * Redis: for each region, from an envelope and a call's publication to a
 * completed project with its evaluation, every event checked in the
 * stream; then the guarantees around it: region isolation on every route,
 * applicants confined to their own files, mass assignment and malformed
 * bodies refused, concurrent commitments that exceed the envelope; and
 * the chain read back through the gateway's GraphQL façade.
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
static const char *const region[2] = {"souss-massa", "oriental"};
static const char *const commune[2] = {"agadir", "oujda"};
static const char *const college[3] = {"local_authority", "state_service",
                                       "civil_society"};

static void
setup(void)
{
	static const char *const env[] = {"MP_OUTBOX_SWEEP_MS=200",
	                                  "MP_WORKERS=2", NULL};

	if (t_service_start(&svc, "funding", env) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&svc);
}

/* ---- helpers ----------------------------------------------------------------
 */

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
	va_list ap;
	json_t *out;

	va_start(ap, fmt);
	out = t_expectv(&svc, method, token, body, want, fmt, ap);
	va_end(ap);
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
	return json_pack(
	    "{s:s, s:i, s:{s:s, s:s}, s:{s:s}, s:[s, s], "
	    "s:[s, s, s], s:I, s:I, s:i, s:s, s:s, s:{s:i}, "
	    "s:[{s:s, s:i, s:i}, {s:s, s:i, s:i}]}",
	    "region", region[r], "year", 2027, "title", "fr", "Appel MRE 2027",
	    "ar", "طلب مشاريع", "description", "fr",
	    "Projets de migration et développement", "themes", "economic",
	    "integration", "applicant_types", "mre", "association",
	    "regularised_migrant", "budget_minor", budget, "max_grant_minor",
	    max_grant, "min_cofinancing_bp", 1000, "opens_at", opens,
	    "closes_at", closes, "eligibility_rules", "min_beneficiaries", 10,
	    "scoring_grid", "key", "relevance", "weight", 40, "max", 20, "key",
	    "feasibility", "weight", 60, "max", 10);
}

static json_t *
application_body(int r, long long requested, const char *name)
{
	return json_pack(
	    "{s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s},"
	    " s:s, s:s, s:[{s:s, s:I}, {s:s, s:I}], s:I, s:I,"
	    " s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}], s:i}",
	    "applicant", "kind", "person", "type", "mre", "name", name, "sex",
	    "female", "age_band", "35-49", "country_of_residence", "FR",
	    "title", "fr", "Atelier de couture solidaire", "summary", "fr",
	    "Formation et emploi de femmes migrantes", "commune", commune[r],
	    "theme", "economic", "budget_lines", "label", "Machines",
	    "amount_minor", (json_int_t)requested, "label", "Local",
	    "amount_minor", (json_int_t)(requested / 2), "requested_minor",
	    (json_int_t)requested, "cofinancing_minor",
	    (json_int_t)(requested / 2), "beneficiaries", "sex", "female",
	    "age_band", "25-34", "count", 20, "sex", "male", "age_band",
	    "25-34", "count", 5, "gender_marker", 2);
}

static void
transition(const char *token, const char *kind, const char *id, const char *to,
           const char *want_status)
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
	char path[128];
	struct t_resp r;
	long long committed = 0;
	json_t *o;

	/* earlier tests may have committed part of it: make `allocated`
	 * available on top of that */
	snprintf(path, sizeof(path), "/v1/funding/envelopes/%s/2027",
	         region[c->r]);
	ck_assert_int_eq(t_json(&svc, "GET", path, off, NULL, &r), 0);
	if (r.status == 200)
		committed = num(r.json, "committed_minor");
	t_resp_free(&r);
	o = req("PUT", off,
	        json_pack("{s:I, s:s}", "allocated_minor",
	                  (json_int_t)(committed + allocated), "currency",
	                  "EUR"),
	        200, "/v1/funding/envelopes/%s/2027", region[c->r]);
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

	o = req("POST", app,
	        application_body(c->r, requested,
	                         "Fatima Zahra "
	                         "Testname"),
	        201, "/v1/funding/calls/%s/applications", c->call);
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
	json_decref(
	    req("GET", apr, NULL, 404, "/v1/funding/applications/%s", out));
	json_decref(req("POST", apr, json_pack("{s:b}", "conflict", 0), 200,
	                "/v1/funding/appraisals/%s/declaration", c->appraisal));
	json_decref(
	    req("GET", apr, NULL, 200, "/v1/funding/applications/%s", out));
	o = req("PUT", apr,
	        json_pack("{s:{s:i, s:i}, s:s, s:s}", "scores", "relevance", 15,
	                  "feasibility", 8, "comments", "solide",
	                  "recommendation", "fund"),
	        200, "/v1/funding/appraisals/%s/scores", c->appraisal);
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
		/* an erc_member account of the region, as the gateway
		 * publishes it */
		ck_assert_int_eq(t_account_published(sub, "erc_member",
		                                     region[c->r], "funding"),
		                 0);
		o = req("POST", off,
		        json_pack("{s:s, s:s, s:s, s:s}", "region",
		                  region[c->r], "user_sub", sub, "name",
		                  "Membre ERC", "college", college[k]),
		        201, "/v1/funding/erc/members");
		copy_id(c->member[k], o);
		json_decref(o);
	}
	/* earlier tests left members in the region's ERC: all attend */
	o = req("GET", off, NULL, 200, "/v1/funding/erc/members?region=%s",
	        region[c->r]);
	{
		size_t i;
		json_t *m;

		json_array_foreach(json_object_get(o, "items"), i, m)
		    json_array_append_new(present, json_string(str(m, "id")));
	}
	json_decref(o);
	rfc3339(sched, sizeof(sched), 3600);
	o = req("POST", off,
	        json_pack("{s:s, s:s, s:s, s:o}", "region", region[c->r],
	                  "call_id", c->call, "scheduled_at", sched, "agenda",
	                  agenda),
	        201, "/v1/funding/erc/sessions");
	copy_id(c->session, o);
	json_decref(o);
	/* no attendance yet: no quorum, no vote */
	o = req("POST", off, NULL, 409, "/v1/funding/erc/sessions/%s/open",
	        c->session);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:quorum-not-met");
	json_decref(o);
	json_decref(req("PUT", off, json_pack("{s:o}", "present", present), 200,
	                "/v1/funding/erc/sessions/%s/attendance", c->session));
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
	json_decref(req(
	    "POST", t,
	    json_pack("{s:s, s:s}", "application_id", app, "choice", choice),
	    want, "/v1/funding/erc/sessions/%s/votes", c->session));
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
	ck_assert_str_eq(
	    str(json_array_get(json_object_get(o, "failed_rules"), 0), "rule"),
	    "max_grant_minor");
	json_decref(o);

	shortlisted(c, "applicant", c->app, c->requested);
	open_session(c, json_pack("[s]", c->app));
	vote(c, 0, c->app, "for", 201);
	vote(c, 1, c->app, "for", 201);
	vote(c, 2, c->app, "against", 201);
	vote(c, 0, c->app, "against", 409); /* one vote per member */
	o = req("POST", off,
	        json_pack("{s:s, s:s}", "application_id", c->app, "minutes",
	                  "Adopté 2 voix contre 1"),
	        200, "/v1/funding/erc/sessions/%s/decisions", c->session);
	ck_assert_str_eq(
	    str(json_array_get(json_object_get(o, "agenda"), 0), "decision"),
	    "selected");
	json_decref(o);
	o = req("GET", app, NULL, 200, "/v1/funding/applications/%s", c->app);
	ck_assert_str_eq(str(o, "status"), "selected");
	ck_assert_int_eq(num(o, "committed_minor"), c->requested);
	json_decref(o);
	json_decref(req("POST", off, json_pack("{s:s}", "minutes", "PV"), 200,
	                "/v1/funding/erc/sessions/%s/close", c->session));

	/* agreement: a schedule that does not add up is refused */
	json_decref(
	    req("POST", off,
	        json_pack("{s:[{s:I, s:s}]}", "tranches", "amount_minor",
	                  (json_int_t)1000, "condition", "signature"),
	        400, "/v1/funding/applications/%s/agreement", c->app));
	o = req("POST", off,
	        json_pack("{s:[{s:I, s:s}, {s:I, s:s}]}", "tranches",
	                  "amount_minor", (json_int_t)(c->requested / 2),
	                  "condition", "signature", "amount_minor",
	                  (json_int_t)(c->requested / 2), "condition",
	                  "report_approved:m1"),
	        201, "/v1/funding/applications/%s/agreement", c->app);
	copy_id(c->agreement, o);
	copy_id(c->tranche[0],
	        json_array_get(json_object_get(o, "tranches"), 0));
	copy_id(c->tranche[1],
	        json_array_get(json_object_get(o, "tranches"), 1));
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
	o = req("POST", app,
	        json_pack("{s:s, s:s, s:[{s:s, s:s, s:i, s:i}],"
	                  " s:s}",
	                  "milestone", "m1", "period_end", "2027-06-30",
	                  "indicators", "key", "beneficiaries", "sex", "female",
	                  "planned", 20, "actual", 18, "narrative",
	                  "Premier semestre"),
	        201, "/v1/funding/agreements/%s/reports", c->agreement);
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
	json_decref(req("POST", off,
	                json_pack("{s:s, s:s}", "visited_on", date, "findings",
	                          "Atelier en activité"),
	                201, "/v1/funding/agreements/%s/visits", c->agreement));
	/* completion needs the evaluation first */
	json_decref(req("POST", off, json_pack("{s:s}", "to", "complete"), 409,
	                "/v1/funding/applications/%s/transitions", c->app));
	json_decref(
	    req("POST", off,
	        json_pack("{s:{s:i, s:i, s:i, s:i, s:i,"
	                  " s:i}, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s}",
	                  "ratings", "relevance", 4, "coherence", 3,
	                  "effectiveness", 3, "efficiency", 2, "impact", 3,
	                  "sustainability", 3, "texts", "relevance", "a",
	                  "coherence", "b", "effectiveness", "c", "efficiency",
	                  "d", "impact", "e", "sustainability", "f", "summary",
	                  "Bon projet"),
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

	json_array_foreach(
	    evs, i,
	    e) if (strcmp(json_string_value(json_object_get(e, "type")),
	                  type) == 0 &&
	           json_is_string(json_object_get(e, "subject")) &&
	           strcmp(json_string_value(json_object_get(e, "subject")),
	                  subject) == 0) n++;
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

/* ---- tests
 * -------------------------------------------------------------------- */

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
	ck_assert_int_eq(
	    count_events(evs, "funding.call.status_changed.v1", c.call), 3);
	ck_assert_int_eq(
	    count_events(evs, "funding.application.created.v1", c.app), 1);
	ck_assert_int_eq(
	    count_events(evs, "funding.application.submitted.v1", c.app), 1);
	ck_assert_int_eq(
	    count_events(evs, "funding.application.eligibility_checked.v1",
	                 c.bad_app),
	    1);
	/* under_appraisal, appraised, shortlisted, then implied by the
	 * agreement: agreement_signed, in_progress; completed */
	ck_assert_int_eq(
	    count_events(evs, "funding.application.status_changed.v1", c.app),
	    6);
	ck_assert_int_eq(
	    count_events(evs, "funding.application.decided.v1", c.app), 1);
	ck_assert_int_eq(
	    count_events(evs, "funding.erc.vote_cast.v1", c.session), 3);
	ck_assert_int_eq(
	    count_events(evs, "funding.tranche.released.v1", c.tranche[0]), 1);
	ck_assert_int_eq(
	    count_events(evs, "funding.tranche.released.v1", c.tranche[1]), 1);
	/* signed, active (first tranche), closed (project completed) */
	ck_assert_int_eq(count_events(evs,
	                              "funding.agreement.status_changed.v1",
	                              c.agreement),
	                 3);
	ck_assert_int_eq(
	    count_events(evs, "funding.evaluation.recorded.v1", c.agreement),
	    1);
	/* statistics only: the holder's name never leaves the service */
	dump = json_dumps(evs, 0);
	ck_assert_ptr_null(strstr(dump, "Testname"));
	ck_assert_ptr_null(strstr(dump, "Fatima"));
	free(dump);
	json_decref(evs);

	off = tok("officer", "council_officer", c.r);
	o = req("GET", off, NULL, 200, "/v1/funding/dashboard?year=2027");
	ck_assert_int_ge(
	    num(json_object_get(json_object_get(o, "applications"), "by_state"),
	        "completed"),
	    1);
	ck_assert_int_ge(num(json_object_get(json_object_get(o, "applications"),
	                                     "by_holder_sex"),
	                     "female"),
	                 2);
	ck_assert_int_eq(json_array_size(json_object_get(o, "regions")), 1);
	json_decref(o);
	free(off);
}
END_TEST

/* A region B officer (and every other region B role) on every non-public
 * route of a region A chain: 404 as for a missing id, and nothing moves. */
struct probe {
	const char *method, *pattern, *who, *body;
	long want;
};

static const struct probe probes[] = {
    {"GET", "/v1/funding/envelopes/{region}/{year}", "off", NULL, 404},
    {"PUT", "/v1/funding/envelopes/{region}/{year}", "off",
     "{\"allocated_minor\": 1}", 404},
    {"PATCH", "/v1/funding/calls/{id}", "off", "{\"budget_minor\": 5}", 404},
    {"POST", "/v1/funding/calls/{id}/transitions", "off",
     "{\"to\": \"publish\"}", 404},
    {"GET", "/v1/funding/calls/{id}/ranking", "off", NULL, 404},
    {"GET", "/v1/funding/calls/{id}/applications", "off", NULL, 404},
    {"GET", "/v1/funding/applications/{id}", "off", NULL, 404},
    {"PATCH", "/v1/funding/applications/{id}", "app", "{\"gender_marker\": 0}",
     404},
    {"POST", "/v1/funding/applications/{id}/submit", "app", NULL, 404},
    {"POST", "/v1/funding/applications/{id}/transitions", "off",
     "{\"to\": \"terminate\"}", 404},
    {"POST", "/v1/funding/applications/{id}/appraisals", "off",
     "{\"appraiser_sub\": \"x\"}", 404},
    {"POST", "/v1/funding/applications/{id}/agreement", "off",
     "{\"tranches\": [{\"amount_minor\": 1, \"condition\": "
     "\"signature\"}]}",
     404},
    {"GET", "/v1/funding/appraisals/{id}", "off", NULL, 404},
    {"POST", "/v1/funding/appraisals/{id}/declaration", "apr",
     "{\"conflict\": false}", 404},
    {"PUT", "/v1/funding/appraisals/{id}/scores", "apr",
     "{\"scores\": {}, \"recommendation\": \"fund\"}", 404},
    {"POST", "/v1/funding/erc/members/{id}/deactivate", "off", NULL, 404},
    {"GET", "/v1/funding/erc/sessions/{id}", "off", NULL, 404},
    {"PUT", "/v1/funding/erc/sessions/{id}/attendance", "off",
     "{\"present\": []}", 404},
    {"POST", "/v1/funding/erc/sessions/{id}/open", "off", NULL, 404},
    {"POST", "/v1/funding/erc/sessions/{id}/conflicts", "erc",
     "{\"application_id\": \"{app}\"}", 404},
    {"POST", "/v1/funding/erc/sessions/{id}/votes", "erc",
     "{\"application_id\": \"{app}\", \"choice\": \"for\"}", 404},
    {"POST", "/v1/funding/erc/sessions/{id}/decisions", "off",
     "{\"application_id\": \"{app}\"}", 404},
    {"POST", "/v1/funding/erc/sessions/{id}/close", "off", "{}", 404},
    {"GET", "/v1/funding/agreements/{id}", "off", NULL, 404},
    {"POST", "/v1/funding/agreements/{id}/transitions", "off",
     "{\"to\": \"terminate\"}", 404},
    {"POST", "/v1/funding/tranches/{id}/release", "off", NULL, 404},
    {"POST", "/v1/funding/agreements/{id}/reports", "app",
     "{\"milestone\": \"x\", \"period_end\": \"2027-01-01\", "
     "\"indicators\": [{\"key\": \"k\", \"sex\": \"all\", \"planned\": 1,"
     " \"actual\": 1}], \"narrative\": \"n\"}",
     404},
    {"GET", "/v1/funding/reports/{id}", "off", NULL, 404},
    {"POST", "/v1/funding/reports/{id}/transitions", "off",
     "{\"to\": \"approve\"}", 404},
    {"POST", "/v1/funding/agreements/{id}/visits", "off",
     "{\"visited_on\": \"2027-01-01\", \"findings\": \"f\"}", 404},
    {"POST", "/v1/funding/agreements/{id}/evaluation", "off",
     "{\"ratings\": {\"relevance\": 1, \"coherence\": 1, "
     "\"effectiveness\": 1, \"efficiency\": 1, \"impact\": 1, "
     "\"sustainability\": 1}, \"texts\": {\"relevance\": \"a\", "
     "\"coherence\": \"a\", \"effectiveness\": \"a\", \"efficiency\": "
     "\"a\", \"impact\": \"a\", \"sustainability\": \"a\"}, "
     "\"summary\": \"s\"}",
     404},
    /* the ones without an id: the region is in the query or the body */
    {"GET", "/v1/funding/dashboard?region=souss-massa", "off", NULL, 404},
    {"GET", "/v1/funding/dashboard.csv?region=souss-massa", "off", NULL, 404},
    {"POST", "/v1/funding/calls", "off", "{\"region\": \"souss-massa\"}", 400},
    {"POST", "/v1/funding/erc/members", "off",
     "{\"region\": "
     "\"souss-massa\", \"user_sub\": \"u\", \"name\": \"n\", "
     "\"college\": \"civil_society\"}",
     403},
    {"POST", "/v1/funding/erc/sessions", "off",
     "{\"region\": "
     "\"souss-massa\", \"scheduled_at\": \"2027-01-01T10:00:00Z\", "
     "\"agenda\": [\"{app}\"]}",
     403},
};

/* The id a probe's {id} stands for, by the path's collection. */
static const char *
probe_id(const struct chain *c, const char *draft_call, const char *pattern)
{
	if (strstr(pattern, "/calls/{id}/transitions") != NULL ||
	    strstr(pattern, "/calls/{id}\0") != NULL ||
	    strcmp(pattern, "/v1/funding/calls/{id}") == 0)
		return draft_call;
	if (strstr(pattern, "/calls/") != NULL)
		return c->call;
	if (strstr(pattern, "/applications/") != NULL)
		return c->app;
	if (strstr(pattern, "/appraisals/") != NULL)
		return c->appraisal;
	if (strstr(pattern, "/erc/sessions/") != NULL)
		return c->session;
	if (strstr(pattern, "/erc/members/") != NULL)
		return c->member[0];
	if (strstr(pattern, "/agreements/") != NULL)
		return c->agreement;
	if (strstr(pattern, "/tranches/") != NULL)
		return c->tranche[0];
	if (strstr(pattern, "/reports/") != NULL)
		return c->report;
	return "";
}

/* pattern with {id}, {region}, {year} and {app} replaced */
static void
expand(char *out, size_t n, const char *pattern, const char *id,
       const char *app)
{
	size_t o = 0;

	for (const char *p = pattern; *p != '\0' && o + 1 < n;) {
		const char *rep = NULL;
		size_t skip = 0;

		if (strncmp(p, "{id}", 4) == 0)
			rep = id, skip = 4;
		else if (strncmp(p, "{region}", 8) == 0)
			rep = "souss-massa", skip = 8;
		else if (strncmp(p, "{year}", 6) == 0)
			rep = "2027", skip = 6;
		else if (strncmp(p, "{app}", 5) == 0)
			rep = app, skip = 5;
		if (rep != NULL) {
			o += (size_t)snprintf(out + o, n - o, "%s", rep);
			p += skip;
		} else
			out[o++] = *p++;
	}
	out[o < n ? o : n - 1] = '\0';
}

static int
probed(const char *method, const char *path)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (strcmp(probes[i].method, method) == 0 &&
		    strncmp(probes[i].pattern, path, strlen(path)) == 0 &&
		    (probes[i].pattern[strlen(path)] == '\0' ||
		     probes[i].pattern[strlen(path)] == '?'))
			return 1;
	return 0;
}

START_TEST(other_region_sees_nothing)
{
	struct chain c;
	char *off_a = tok("officer", "council_officer", 0), *t;
	char draft[40], path[512], body[1024];
	struct t_resp r;
	json_t *o, *routes, *e;
	long long version;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.r = 0;
	chain_run(&c);
	o = req("POST", off_a, call_body(0, 1000, 100), 201,
	        "/v1/funding/calls");
	copy_id(draft, o);
	json_decref(o);
	o = req("GET", off_a, NULL, 200, "/v1/funding/applications/%s", c.app);
	version = num(o, "version");
	json_decref(o);

	/* every non-public route of the service is probed */
	ck_assert_int_eq(t_http(&svc, "GET", "/_routes", NULL, NULL, 0, &r), 0);
	routes = json_incref(r.json);
	t_resp_free(&r);
	json_array_foreach(routes, i, e)
	{
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *p = json_string_value(json_object_get(e, "path"));

		if (json_is_true(json_object_get(e, "public")) ||
		    strchr(p, '{') == NULL)
			continue;
		if (strcmp(p, "/v1/funding/calls/{id}/applications") == 0 &&
		    strcmp(m, "POST") == 0)
			continue; /* applying to a published call is public */
		ck_assert_msg(probed(m, p), "route not probed: %s %s", m, p);
	}
	json_decref(routes);

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *pr = &probes[i];
		const char *id = probe_id(&c, draft, pr->pattern);

		if (strcmp(pr->who, "off") == 0)
			t = tok("officer", "council_officer", 1);
		else if (strcmp(pr->who, "app") == 0)
			t = tok("applicant", "applicant", 1);
		else if (strcmp(pr->who, "apr") == 0)
			t = tok("appraiser", "appraiser", 1);
		else
			t = tok("erc0", "erc_member", 1);
		expand(path, sizeof(path), pr->pattern, id, c.app);
		if (pr->body != NULL)
			expand(body, sizeof(body), pr->body, id, c.app);
		{
			json_t *b =
			    pr->body != NULL ? json_loads(body, 0, NULL) : NULL;

			ck_assert_msg(pr->body == NULL || b != NULL,
			              "probe body: %s", body);
			json_decref(
			    req(pr->method, t, b, pr->want, "%s", path));
		}
		free(t);
	}
	/* lists filter: nothing of region A */
	t = tok("officer", "council_officer", 1);
	o = req("GET", t, NULL, 200, "/v1/funding/applications?call_id=%s",
	        c.call);
	ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);
	o = req("GET", t, NULL, 200,
	        "/v1/funding/envelopes?region=souss-massa");
	ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);
	o = req("GET", t, NULL, 200,
	        "/v1/funding/erc/members?region=souss-massa");
	ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);
	o = req("GET", t, NULL, 200,
	        "/v1/funding/calls?status=draft&limit=200");
	json_array_foreach(json_object_get(o, "items"), i, e)
	    ck_assert_str_ne(str(e, "region"), "souss-massa");
	json_decref(o);
	free(t);
	/* and nothing moved */
	o = req("GET", off_a, NULL, 200, "/v1/funding/applications/%s", c.app);
	ck_assert_str_eq(str(o, "status"), "completed");
	ck_assert_int_eq(num(o, "version"), version);
	json_decref(o);
	o = req("GET", off_a, NULL, 200, "/v1/funding/calls/%s", draft);
	ck_assert_str_eq(str(o, "status"), "draft");
	json_decref(o);
	free(off_a);
}
END_TEST

START_TEST(applicant_sees_only_own)
{
	struct chain c;
	char *a = tok("alice", "applicant", 0), *b = tok("bob", "applicant", 0);
	char mine[40];
	json_t *o;
	size_t i;
	json_t *e;

	memset(&c, 0, sizeof(c));
	c.r = 0;
	open_call(&c, 10000000, 1000000);
	o = req("POST", a, application_body(0, 100000, "Alice"), 201,
	        "/v1/funding/calls/%s/applications", c.call);
	copy_id(mine, o);
	json_decref(o);
	json_decref(
	    req("GET", a, NULL, 200, "/v1/funding/applications/%s", mine));
	json_decref(
	    req("GET", b, NULL, 404, "/v1/funding/applications/%s", mine));
	json_decref(req("PATCH", b, json_pack("{s:i}", "gender_marker", 0), 404,
	                "/v1/funding/applications/%s", mine));
	json_decref(req("POST", b, NULL, 404,
	                "/v1/funding/applications/%s/submit", mine));
	json_decref(req("POST", b, json_pack("{s:s}", "to", "withdraw"), 404,
	                "/v1/funding/applications/%s/transitions", mine));
	o = req("GET", b, NULL, 200, "/v1/funding/applications?limit=200");
	json_array_foreach(json_object_get(o, "items"), i, e)
	    ck_assert_str_ne(str(e, "id"), mine);
	json_decref(o);
	/* an applicant cannot reach officer routes at all */
	json_decref(req("GET", a, NULL, 403,
	                "/v1/funding/calls/%s/applications", c.call));
	free(a);
	free(b);
}
END_TEST

START_TEST(mass_assignment_refused)
{
	struct chain c;
	char *a = tok("mallory", "applicant", 0);
	char *off = tok("officer", "council_officer", 0);
	char id[40];
	json_t *body, *o;

	memset(&c, 0, sizeof(c));
	c.r = 0;
	open_call(&c, 10000000, 1000000);
	body = application_body(0, 100000, "Mallory");
	json_object_set_new(body, "status", json_string("selected"));
	json_object_set_new(body, "score_bp", json_integer(10000));
	o = req("POST", a, body, 400, "/v1/funding/calls/%s/applications",
	        c.call);
	ck_assert_ptr_nonnull(
	    strstr(json_dumps(json_object_get(o, "errors"), 0), "\"status\""));
	ck_assert_ptr_nonnull(strstr(
	    json_dumps(json_object_get(o, "errors"), 0), "\"score_bp\""));
	json_decref(o);
	o = req("POST", a, application_body(0, 100000, "Mallory"), 201,
	        "/v1/funding/calls/%s/applications", c.call);
	copy_id(id, o);
	json_decref(o);
	json_decref(req("PATCH", a, json_pack("{s:s}", "status", "eligible"),
	                400, "/v1/funding/applications/%s", id));
	json_decref(req("PATCH", a,
	                json_pack("{s:I}", "committed_minor", (json_int_t)99),
	                400, "/v1/funding/applications/%s", id));
	json_decref(req("PATCH", off, json_pack("{s:s}", "status", "published"),
	                400, "/v1/funding/calls/%s", c.call));
	o = req("GET", a, NULL, 200, "/v1/funding/applications/%s", id);
	ck_assert_str_eq(str(o, "status"), "draft");
	ck_assert(json_is_null(json_object_get(o, "score_bp")));
	json_decref(o);
	free(a);
	free(off);
}
END_TEST

START_TEST(malformed_bodies)
{
	char *off = tok("officer", "council_officer", 1);
	const char *hdr[] = {NULL, "Content-Type: application/json", NULL};
	char auth[2048], path[200], etag[32];
	struct t_resp r;
	json_t *body, *o;
	struct chain c;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", off);
	hdr[0] = auth;
	t_http(&svc, "POST", "/v1/funding/calls", hdr, "{\"region\":", 10, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")),
	                 "urn:mp:problem:malformed-json");
	t_resp_free(&r);
	hdr[1] = "Content-Type: text/plain";
	t_http(&svc, "POST", "/v1/funding/calls", hdr, "{}", 2, &r);
	ck_assert_int_eq(r.status, 415);
	t_resp_free(&r);

	/* wrong types and missing fields: every one named */
	o = req("POST", off,
	        json_pack("{s:s, s:s}", "region", "oriental", "year", "2027"),
	        400, "/v1/funding/calls");
	ck_assert_int_ge(json_array_size(json_object_get(o, "errors")), 8);
	json_decref(o);
	/* a grid and rules the domain refuses */
	body = call_body(1, 1000, 100);
	json_object_set_new(body, "scoring_grid",
	                    json_pack("[{s:s, s:i, "
	                              "s:i}]",
	                              "key", "Bad Key", "weight", 0, "max",
	                              10));
	json_object_set_new(body, "eligibility_rules",
	                    json_pack("{s:i}", "min_beneficiarys", 3));
	o = req("POST", off, body, 400, "/v1/funding/calls");
	ck_assert_ptr_nonnull(strstr(json_dumps(o, 0), "scoring_grid"));
	ck_assert_ptr_nonnull(strstr(json_dumps(o, 0), "eligibility_rules"));
	json_decref(o);
	/* transitions: unknown, illegal (with the allowed ones) */
	memset(&c, 0, sizeof(c));
	c.r = 1;
	open_call(&c, 1000000, 1000);
	o = req("POST", off, json_pack("{s:s}", "to", "flying"), 400,
	        "/v1/funding/calls/%s/transitions", c.call);
	json_decref(o);
	o = req("POST", off, json_pack("{s:s}", "to", "archive"), 409,
	        "/v1/funding/calls/%s/transitions", c.call);
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_object_get(o, "allowed"), 0)),
	    "closed");
	json_decref(o);
	/* ids that cannot exist, bad query arguments */
	json_decref(req("GET", off, NULL, 404, "/v1/funding/calls/not-a-uuid"));
	json_decref(req(
	    "GET", off, NULL, 404,
	    "/v1/funding/applications/01a2269a-0000-7000-8000-000000000000"));
	json_decref(req("GET", off, NULL, 400, "/v1/funding/calls?limit=0"));
	json_decref(
	    req("GET", off, NULL, 400, "/v1/funding/calls?status=flying"));
	/* a stale If-Match is refused with the current ETag */
	{
		const char *h[] = {NULL, "Content-Type: application/json",
		                   "If-Match: \"v1\"", NULL};

		h[0] = auth;
		t_http(&svc, "PATCH",
		       "/v1/funding/calls/01a2269a-0000-7000-"
		       "8000-000000000000",
		       h, "{}", 2, &r);
		ck_assert_int_eq(r.status, 404);
		t_resp_free(&r);
		o = req("POST", off, call_body(1, 1000, 100), 201,
		        "/v1/funding/calls");
		snprintf(path, sizeof(path), "/v1/funding/calls/%s",
		         str(o, "id"));
		json_decref(o);
		h[2] = "If-Match: \"v7\"";
		t_http(&svc, "PATCH", path, h, "{\"budget_minor\": 2000}", 22,
		       &r);
		ck_assert_int_eq(r.status, 412);
		t_resp_free(&r);
		h[2] = "If-Match: \"v1\"";
		t_http(&svc, "PATCH", path, h, "{\"budget_minor\": 2000}", 22,
		       &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_int_eq(num(r.json, "budget_minor"), 2000);
		ck_assert_int_eq(t_resp_header(&r, "ETag", etag, sizeof(etag)),
		                 0);
		ck_assert_str_eq(etag, "\"v2\"");
		t_resp_free(&r);
	}
	free(off);
}
END_TEST

struct decide_arg {
	const char *token, *session, *app;
	long status;
};

static void *
decide_thread(void *p)
{
	struct decide_arg *d = p;
	struct t_resp r;
	json_t *b = json_pack("{s:s}", "application_id", d->app);
	char path[200];

	snprintf(path, sizeof(path), "/v1/funding/erc/sessions/%s/decisions",
	         d->session);
	if (t_json(&svc, "POST", path, d->token, b, &r) == 0)
		d->status = r.status;
	t_resp_free(&r);
	json_decref(b);
	return NULL;
}

/* 16 selections compete for an envelope that holds 10: exactly 10 win. */
START_TEST(concurrent_commitments)
{
	enum { N = 16, FIT = 10 };
	struct chain c;
	char apps[N][40], who[32];
	char *off = tok("officer", "council_officer", 1);
	struct decide_arg d[N];
	pthread_t th[N];
	long long amount = 300000, before;
	json_t *agenda = json_array(), *o;
	int ok = 0, refused = 0;

	memset(&c, 0, sizeof(c));
	c.r = 1;
	open_call(&c, 1000000, 1000000);
	o = req("GET", off, NULL, 200, "/v1/funding/envelopes/oriental/2027");
	before = num(o, "committed_minor");
	json_decref(o);
	/* room for exactly FIT more commitments of `amount` */
	json_decref(
	    req("PUT", off,
	        json_pack("{s:I}", "allocated_minor",
	                  (json_int_t)(before + FIT * amount + amount / 2)),
	        200, "/v1/funding/envelopes/oriental/2027"));
	for (int i = 0; i < N; i++) {
		snprintf(who, sizeof(who), "racer%d", i);
		shortlisted(&c, who, apps[i], amount);
		json_array_append_new(agenda, json_string(apps[i]));
	}
	open_session(&c, agenda);
	for (int i = 0; i < N; i++)
		for (int k = 0; k < 3; k++)
			vote(&c, k, apps[i], "for", 201);
	for (int i = 0; i < N; i++) {
		d[i].token = off;
		d[i].session = c.session;
		d[i].app = apps[i];
		d[i].status = 0;
		pthread_create(&th[i], NULL, decide_thread, &d[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += d[i].status == 200;
		refused += d[i].status == 409;
	}
	ck_assert_int_eq(ok, FIT);
	ck_assert_int_eq(refused, N - FIT);
	o = req("GET", off, NULL, 200, "/v1/funding/envelopes/oriental/2027");
	ck_assert_int_eq(num(o, "committed_minor"), before + FIT * amount);
	ck_assert_int_eq(num(o, "available_minor"), amount / 2);
	json_decref(o);
	free(off);
}
END_TEST

/* Conflicts of interest exclude: an appraiser who declares one never sees
 * the file nor scores it; an ERC member who declares one cannot vote and
 * does not count for that item. Withdrawal by the applicant, and the
 * admin's dashboard over both regions. */
START_TEST(conflicts_exclude_and_withdrawal)
{
	struct chain c;
	char *off = tok("officer", "council_officer", 0);
	char *app = tok("carol", "applicant", 0);
	char *apr = tok("appraiser2", "appraiser", 0);
	char *adm = t_token("admin-1", "admin", "");
	char a1[40], a2[40], ap[40], sub[96];
	json_t *o, *agenda = json_array();

	memset(&c, 0, sizeof(c));
	c.r = 0;
	open_call(&c, 50000000, 10000000);
	/* a conflicted appraiser */
	o = req("POST", app, application_body(0, 1000000, "Carol"), 201,
	        "/v1/funding/calls/%s/applications", c.call);
	copy_id(a1, o);
	json_decref(o);
	json_decref(req("POST", app, NULL, 200,
	                "/v1/funding/applications/%s/submit", a1));
	o = req("POST", off,
	        json_pack("{s:s}", "appraiser_sub", "appraiser2-souss-massa"),
	        201, "/v1/funding/applications/%s/appraisals", a1);
	copy_id(ap, o);
	json_decref(o);
	transition(off, "applications", a1, "start_appraisal",
	           "under_appraisal");
	json_decref(req(
	    "POST", apr,
	    json_pack("{s:b, s:s}", "conflict", 1, "statement", "my cousin"),
	    200, "/v1/funding/appraisals/%s/declaration", ap));
	json_decref(
	    req("GET", apr, NULL, 404, "/v1/funding/applications/%s", a1));
	json_decref(
	    req("PUT", apr,
	        json_pack("{s:{s:i, s:i}, s:s}", "scores", "relevance", 20,
	                  "feasibility", 10, "recommendation", "fund"),
	        403, "/v1/funding/appraisals/%s/scores", ap));
	json_decref(req("POST", apr, json_pack("{s:b}", "conflict", 0), 409,
	                "/v1/funding/appraisals/%s/declaration", ap));
	/* scores out of the grid are refused criterion by criterion */
	/* (a conflicted appraiser is not counted as pending either) */
	o = req("POST", off, json_pack("{s:s}", "to", "complete_appraisal"),
	        409, "/v1/funding/applications/%s/transitions", a1);
	json_decref(o);

	/* withdrawal by the applicant, then nothing more */
	transition(app, "applications", a1, "withdraw", "withdrawn");
	o = req("POST", app, json_pack("{s:s}", "to", "withdraw"), 409,
	        "/v1/funding/applications/%s/transitions", a1);
	ck_assert_int_eq(json_array_size(json_object_get(o, "allowed")), 0);
	json_decref(o);

	/* an ERC member with a declared conflict: cannot vote, not counted */
	shortlisted(&c, "dave", a2, 1000000);
	json_array_append_new(agenda, json_string(a2));
	open_session(&c, agenda);
	snprintf(sub, sizeof(sub), "erc0-%s-%s", region[0], c.call);
	{
		char *t = t_token(sub, "erc_member", region[0]);

		json_decref(req("POST", t,
		                json_pack("{s:s, s:s}", "application_id", a2,
		                          "statement", "board member"),
		                200, "/v1/funding/erc/sessions/%s/conflicts",
		                c.session));
		json_decref(req("POST", t,
		                json_pack("{s:s, s:s}", "application_id", a2,
		                          "choice", "for"),
		                403, "/v1/funding/erc/sessions/%s/votes",
		                c.session));
		free(t);
	}
	vote(&c, 1, a2, "against", 201);
	vote(&c, 2, a2, "against", 201);
	o = req("POST", off, json_pack("{s:s}", "application_id", a2), 200,
	        "/v1/funding/erc/sessions/%s/decisions", c.session);
	ck_assert_str_eq(
	    str(json_array_get(json_object_get(o, "agenda"), 0), "decision"),
	    "rejected");
	json_decref(o);

	/* the admin's dashboard covers both regions */
	o = req("GET", adm, NULL, 200, "/v1/funding/dashboard");
	ck_assert_int_eq(json_array_size(json_object_get(o, "regions")), 2);
	json_decref(o);
	o = req("GET", off, NULL, 200, "/v1/funding/dashboard");
	ck_assert_int_eq(json_array_size(json_object_get(o, "regions")), 1);
	json_decref(o);
	free(off);
	free(app);
	free(apr);
	free(adm);
}
END_TEST

/* Idempotency-Key is honoured by the service itself, in the write's own
 * transaction: a retry whose first attempt committed (its answer lost to a
 * crash, as make chaos provokes) gets the first answer back and nothing is
 * written twice; the same key with another body is a 422; another
 * applicant's identical key is theirs alone. */
static int
post_keyed(const char *token, const char *key, json_t *body, const char *call,
           char id[40])
{
	char auth[2048], path[128], idem[300];
	const char *hdr[] = {auth, "Content-Type: application/json", idem,
	                     NULL};
	struct t_resp r;
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *o;
	int status;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	snprintf(path, sizeof(path), "/v1/funding/calls/%s/applications", call);
	ck_assert_int_eq(
	    t_http(&svc, "POST", path, hdr, text, strlen(text), &r), 0);
	status = r.status;
	id[0] = '\0';
	if ((o = json_loads(r.body, 0, NULL)) != NULL) {
		if (json_is_string(json_object_get(o, "id")))
			copy_id(id, o);
		json_decref(o);
	}
	t_resp_free(&r);
	free(text);
	return status;
}

START_TEST(idempotency_key_at_the_service)
{
	struct chain c;
	char *app = tok("idem", "applicant", 0);
	char *other = tok("idem2", "applicant", 0);
	char first[40], again[40], theirs[40], none[40];
	json_t *b = application_body(0, 1000000, "Idem Holder");
	json_t *b2 = application_body(0, 2000000, "Idem Holder");
	json_t *list;

	memset(&c, 0, sizeof(c));
	c.r = 0;
	open_call(&c, 50000000, 10000000);
	ck_assert_int_eq(post_keyed(app, "k-1", b, c.call, first), 201);
	ck_assert_int_eq(post_keyed(app, "k-1", b, c.call, again), 201);
	ck_assert_str_eq(again, first);
	ck_assert_int_eq(post_keyed(app, "k-1", b2, c.call, none), 422);
	ck_assert_int_eq(post_keyed(other, "k-1", b, c.call, theirs), 201);
	ck_assert_str_ne(theirs, first);
	list = req("GET", app, NULL, 200, "/v1/funding/applications?call_id=%s",
	           c.call);
	ck_assert_int_eq(json_array_size(json_object_get(list, "items")), 1);
	json_decref(list);
	json_decref(b);
	json_decref(b2);
	free(app);
	free(other);
}
END_TEST

/* 1 when souss-massa's member `id` is listed active, 0 inactive, -1 not
 * listed. */
static int
member_active(const char *off, const char *id)
{
	json_t *o, *e;
	size_t i;
	int st = -1;

	o = req("GET", off, NULL, 200, "/v1/funding/erc/members?region=%s",
	        "souss-massa");
	json_array_foreach(json_object_get(o, "items"), i,
	                   e) if (strcmp(str(e, "id"), id) == 0) st =
	    json_is_true(json_object_get(e, "active"));
	json_decref(o);
	return st;
}

/* An officer may add as ERC member only an erc_member account of the
 * region (funding knows accounts from the gateway's events): a nonsense
 * subject, another region's member and an account without the role are
 * 400 on user_sub (they were 201 and counted towards quorum). A member can
 * be deactivated (then not counted, not present, not voting) and come
 * back; an account that loses the role leaves. */
START_TEST(erc_members_are_accounts_of_the_region)
{
	char *off = tok("officer", "council_officer", 0);
	char *off_b = tok("officer", "council_officer", 1);
	char id[40], body_err[160];
	json_t *o, *e;

	ck_assert_int_eq(t_account_published("acct-erc-sm", "erc_member",
	                                     "souss-massa", "funding"),
	                 0);
	ck_assert_int_eq(t_account_published("acct-erc-or", "erc_member",
	                                     "oriental", "funding"),
	                 0);
	ck_assert_int_eq(t_account_published("acct-app-sm", "applicant",
	                                     "souss-massa", "funding"),
	                 0);
	const char *refused[] = {"no-such-account", "acct-erc-or",
	                         "acct-app-sm"};
	for (int k = 0; k < 3; k++) {
		o = req("POST", off,
		        json_pack("{s:s, s:s, s:s, s:s}", "region",
		                  "souss-massa", "user_sub", refused[k], "name",
		                  "M", "college", "civil_society"),
		        400, "/v1/funding/erc/members");
		e = json_array_get(json_object_get(o, "errors"), 0);
		snprintf(body_err, sizeof(body_err), "%s", str(e, "field"));
		ck_assert_str_eq(body_err, "user_sub");
		json_decref(o);
	}
	o = req("POST", off,
	        json_pack("{s:s, s:s, s:s, s:s}", "region", "souss-massa",
	                  "user_sub", "acct-erc-sm", "name", "M", "college",
	                  "civil_society"),
	        201, "/v1/funding/erc/members");
	copy_id(id, o);
	ck_assert(json_is_true(json_object_get(o, "active")));
	json_decref(o);
	json_decref(req("POST", off,
	                json_pack("{s:s, s:s, s:s, s:s}", "region",
	                          "souss-massa", "user_sub", "acct-erc-sm",
	                          "name", "M", "college", "civil_society"),
	                409, "/v1/funding/erc/members"));

	/* deactivation: the other region's officer sees no such member */
	json_decref(req("POST", off_b, NULL, 404,
	                "/v1/funding/erc/members/%s/deactivate", id));
	o = req("POST", off, NULL, 200, "/v1/funding/erc/members/%s/deactivate",
	        id);
	ck_assert(json_is_false(json_object_get(o, "active")));
	json_decref(o);
	json_decref(req("POST", off, NULL, 409,
	                "/v1/funding/erc/members/%s/deactivate", id));
	/* the list shows it inactive */
	ck_assert_int_eq(member_active(off, id), 0);

	/* back again, the same member; then the account loses the role */
	o = req("POST", off,
	        json_pack("{s:s, s:s, s:s, s:s}", "region", "souss-massa",
	                  "user_sub", "acct-erc-sm", "name", "M", "college",
	                  "local_authority"),
	        201, "/v1/funding/erc/members");
	ck_assert_str_eq(str(o, "id"), id);
	json_decref(o);
	ck_assert_int_eq(t_account_published("acct-erc-sm", "applicant",
	                                     "souss-massa", "funding"),
	                 0);
	ck_assert_int_eq(member_active(off, id), 0);
	free(off);
	free(off_b);
}
END_TEST

/* POST /graphql {query} to the gateway g as token; the answer in r */
static void
graphql(const struct t_proc *g, const char *token, const char *query,
        struct t_resp *r)
{
	json_t *body = json_pack("{s:s}", "query", query);

	ck_assert_int_eq(t_json(g, "POST", "/graphql", token, body, r), 0);
	json_decref(body);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
}

static json_t *
dig(json_t *o, const char *a, const char *b)
{
	o = json_object_get(o, a);
	return b != NULL ? json_object_get(o, b) : o;
}

/* The chain read back through the gateway's GraphQL façade: the ERC
 * session with its call, attendance and agenda (decision, tally, votes
 * cast, the application), the agreement with its application, tranches,
 * reports, visits and evaluation, a report in full, each also by
 * node(id:); a vote on the closed session is a CONFLICT. The other
 * region's officer gets null with NOT_FOUND for each and none of their
 * data; the holder reads their agreement and report, not the ERC's
 * session (FORBIDDEN). */
START_TEST(graphql_walk_of_the_chain)
{
	char *off = tok("officer", "council_officer", 1);
	char *other = tok("officer", "council_officer", 0);
	char *holder = tok("applicant", "applicant", 1), up[128], q[2048],
	     sub[96], *erc;
	const char *env[2] = {up, NULL};
	struct t_proc gw;
	struct t_resp r;
	struct chain c;
	json_t *d, *ses, *agr, *item, *e;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.r = 1;
	chain_run(&c);
	snprintf(up, sizeof(up), "MP_UPSTREAMS=funding=http://127.0.0.1:%d",
	         svc.port);
	ck_assert_int_eq(t_gateway_start(&gw, "chain-graphql", env), 0);
	snprintf(
	    q, sizeof(q),
	    "{ s: ercSession(id: \"%s\") { id region status quorumBp "
	    "present call { uuid status } agenda { position decision tally "
	    "votesCast application { uuid status committedMinor } } } "
	    "g: agreement(id: \"%s\") { id status approvedMinor "
	    "disbursedMinor application { status call { uuid } } tranches { "
	    "seq amountMinor condition status releasedAt } reports { id "
	    "milestone status } visits { visitedOn findings } evaluation { "
	    "ratings { relevance efficiency } summary } } "
	    "r: report(id: \"%s\") { id milestone status narrative "
	    "agreement { uuid } } }",
	    c.session, c.agreement, c.report);
	graphql(&gw, off, q, &r);
	ck_assert_msg(json_object_get(r.json, "errors") == NULL, "%s", r.body);
	d = json_object_get(r.json, "data");
	ses = json_object_get(d, "s");
	ck_assert_str_eq(str(ses, "status"), "closed");
	/* its three members and the region's earlier ones: all attend */
	ck_assert_int_ge(json_array_size(json_object_get(ses, "present")), 3);
	ck_assert_str_eq(str(dig(ses, "call", NULL), "uuid"), c.call);
	item = json_array_get(json_object_get(ses, "agenda"), 0);
	ck_assert_str_eq(str(item, "decision"), "selected");
	ck_assert_int_eq(num(item, "votesCast"), 3);
	ck_assert_str_eq(str(dig(item, "application", NULL), "uuid"), c.app);
	ck_assert_str_eq(str(dig(item, "application", NULL), "status"),
	                 "COMPLETED");
	agr = json_object_get(d, "g");
	ck_assert_int_eq(num(agr, "disbursedMinor"), c.requested);
	ck_assert_str_eq(str(dig(agr, "application", "call"), "uuid"), c.call);
	ck_assert_int_eq(json_array_size(json_object_get(agr, "tranches")), 2);
	json_array_foreach(json_object_get(agr, "tranches"), i, item)
	    ck_assert_str_eq(str(item, "status"), "released");
	ck_assert_str_eq(
	    str(json_array_get(json_object_get(agr, "reports"), 0), "status"),
	    "approved");
	ck_assert_int_eq(json_array_size(json_object_get(agr, "visits")), 1);
	ck_assert_int_eq(num(dig(agr, "evaluation", "ratings"), "relevance"),
	                 4);
	ck_assert_str_eq(str(dig(agr, "evaluation", NULL), "summary"),
	                 "Bon projet");
	ck_assert_str_eq(str(dig(d, "r", NULL), "status"), "approved");
	ck_assert_str_eq(str(dig(d, "r", "agreement"), "uuid"), c.agreement);
	/* each by its global id */
	snprintf(q, sizeof(q),
	         "{ a: node(id: \"%s\") { __typename ... on ErcSession { "
	         "status } } b: node(id: \"%s\") { __typename ... on "
	         "Agreement { disbursedMinor } } c: node(id: \"%s\") { "
	         "__typename ... on Report { milestone } } }",
	         str(ses, "id"), str(agr, "id"), str(dig(d, "r", NULL), "id"));
	t_resp_free(&r);
	graphql(&gw, off, q, &r);
	d = json_object_get(r.json, "data");
	ck_assert_msg(json_object_get(r.json, "errors") == NULL, "%s", r.body);
	ck_assert_str_eq(str(dig(d, "a", NULL), "status"), "closed");
	ck_assert_str_eq(str(dig(d, "b", NULL), "__typename"), "Agreement");
	ck_assert_str_eq(str(dig(d, "c", NULL), "milestone"), "m1");

	/* the other region's officer: nothing, by id or by node */
	for (int k = 0; k < 2; k++) {
		char q2[2048];

		if (k == 0)
			snprintf(
			    q2, sizeof(q2),
			    "{ s: ercSession(id: \"%s\") { status agenda "
			    "{ decision } } g: agreement(id: \"%s\") { "
			    "status evaluation { summary } } r: report(id: "
			    "\"%s\") { narrative } }",
			    c.session, c.agreement, c.report);
		else
			snprintf(q2, sizeof(q2), "%s", q);
		t_resp_free(&r);
		graphql(&gw, other, q2, &r);
		d = json_object_get(r.json, "data");
		json_array_foreach(json_object_get(r.json, "errors"), i, e)
		    ck_assert_str_eq(
		        json_string_value(dig(e, "extensions", "code")),
		        "NOT_FOUND");
		ck_assert_int_eq(
		    json_array_size(json_object_get(r.json, "errors")), 3);
		ck_assert_msg(
		    json_is_null(json_object_get(d, k ? "a" : "s")) &&
		        json_is_null(json_object_get(d, k ? "b" : "g")) &&
		        json_is_null(json_object_get(d, k ? "c" : "r")),
		    "%s", r.body);
		ck_assert_ptr_null(strstr(r.body, "Bon projet"));
		ck_assert_ptr_null(strstr(r.body, "selected"));
	}
	/* the holder: their agreement and report, not the ERC's session */
	snprintf(q, sizeof(q),
	         "{ s: ercSession(id: \"%s\") { status } g: agreement(id: "
	         "\"%s\") { disbursedMinor } r: report(id: \"%s\") { "
	         "status } }",
	         c.session, c.agreement, c.report);
	t_resp_free(&r);
	graphql(&gw, holder, q, &r);
	d = json_object_get(r.json, "data");
	ck_assert_msg(json_is_null(json_object_get(d, "s")), "%s", r.body);
	ck_assert_str_eq(
	    json_string_value(
	        dig(json_array_get(json_object_get(r.json, "errors"), 0),
	            "extensions", "code")),
	    "FORBIDDEN");
	ck_assert_int_eq(num(dig(d, "g", NULL), "disbursedMinor"), c.requested);
	ck_assert_str_eq(str(dig(d, "r", NULL), "status"), "approved");
	/* a vote on the closed session: the service's 409 */
	snprintf(sub, sizeof(sub), "erc0-%s-%s", region[1], c.call);
	erc = t_token(sub, "erc_member", region[1]);
	snprintf(q, sizeof(q),
	         "mutation { castVote(sessionId: \"%s\", applicationId: "
	         "\"%s\", choice: FOR) { choice } }",
	         c.session, c.app);
	t_resp_free(&r);
	graphql(&gw, erc, q, &r);
	ck_assert_str_eq(
	    json_string_value(
	        dig(json_array_get(json_object_get(r.json, "errors"), 0),
	            "extensions", "code")),
	    "CONFLICT");
	t_resp_free(&r);
	t_proc_stop(&gw);
	free(erc);
	free(off);
	free(other);
	free(holder);
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
	tcase_add_test(tc, other_region_sees_nothing);
	tcase_add_test(tc, applicant_sees_only_own);
	tcase_add_test(tc, mass_assignment_refused);
	tcase_add_test(tc, malformed_bodies);
	tcase_add_test(tc, concurrent_commitments);
	tcase_add_test(tc, conflicts_exclude_and_withdrawal);
	tcase_add_test(tc, idempotency_key_at_the_service);
	tcase_add_test(tc, erc_members_are_accounts_of_the_region);
	tcase_add_test(tc, graphql_walk_of_the_chain);
	suite_add_tcase(s, tc);
	return t_run(s);
}
