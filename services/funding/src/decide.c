/*
 * Pure decisions between a route's load and apply statements (decide.h).
 * Everything here is arithmetic over the facts the database returned and
 * the validated body; the apply statement re-checks, under its locks, that
 * the facts still hold (the state it was shown, the version, the budget).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/problem.h"

#include "decide.h"
#include "domain.h"

#define ALLOWED_MAX 16

static int answered(int rc);
static json_t *conflict_problem(const char *detail, const char **allowed,
    size_t n);
static int64_t fact_int(const json_t *o, const char *key);
static const char *fact_str(const json_t *o, const char *key);
static int members_from(const json_t *arr, struct funding_member *m,
    size_t cap, size_t *n);
static int dedicated_route(const struct funding_machine *m,
    const char *from, const char *to);
static int appraised_score(struct mp_ctx *ctx, struct funding_run *run);
static json_t *quorum_report(const struct funding_quorum_report *r,
    int quorum_bp);

/* A refusal was sent: tell the runner not to apply anything. */
static int
answered(int rc)
{
	(void)rc;
	return FUNDING_ANSWERED;
}

static json_t *
conflict_problem(const char *detail, const char **allowed, size_t n)
{
	json_t *p = mp_problem_new(409, "illegal-transition", NULL, detail);
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(allowed[i]));
	json_object_set_new(p, "allowed", arr);
	return p;
}

static int64_t
fact_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *
fact_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Changes of an application that have their own route, because they carry
 * more than a state: the eligibility check, the ERC vote, the agreement. */
static int
dedicated_route(const struct funding_machine *m, const char *from,
    const char *to)
{
	if (m != &funding_machine_application)
		return 0;
	if (strcmp(to, "submitted") == 0 || strcmp(to, "eligible") == 0 ||
	    strcmp(to, "ineligible") == 0 || strcmp(to, "selected") == 0 ||
	    strcmp(to, "waitlisted") == 0 ||
	    strcmp(to, "agreement_signed") == 0)
		return 1;
	return strcmp(to, "rejected") == 0 &&
	    (strcmp(from, "shortlisted") == 0 ||
	    strcmp(from, "waitlisted") == 0);
}

int
funding_decide_transition(struct mp_ctx *ctx, struct funding_run *run)
{
	const struct funding_machine *m = run->op->arg;
	const char *from = fact_str(run->facts, "state");
	const char *want = fact_str(run->body, "to");
	const char *allowed[ALLOWED_MAX], *to;
	size_t n = 0;
	char detail[200];
	int rc;

	if (from == NULL || want == NULL)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the request could not be completed"));
	rc = funding_transition_check(m, from, want, funding_roles(ctx),
	    allowed, ALLOWED_MAX, &n);
	if (rc == -ENOENT) {
		json_t *p = mp_problem_new(400, "validation", NULL,
		    "the request body is not valid");

		mp_problem_add_error(p, "to", "not a state or action of this "
		    "resource");
		return funding_refuse(ctx, p);
	}
	if (rc == -EINVAL) {
		snprintf(detail, sizeof(detail), "a %s in state '%s' cannot "
		    "go to '%s'", m->name, from, want);
		return funding_refuse(ctx, conflict_problem(detail, allowed,
		    n < ALLOWED_MAX ? n : ALLOWED_MAX));
	}
	if (rc == -EPERM)
		return answered(mp_reply_problem(ctx, 403, "forbidden",
		    "your role may not make this change"));
	if (rc != 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the request could not be completed"));
	to = funding_transition_target(m, from, want);
	if (dedicated_route(m, from, to)) {
		snprintf(detail, sizeof(detail), "'%s' is made by its own "
		    "route (submit, ERC decision or agreement signature)", to);
		return funding_refuse(ctx, conflict_problem(detail, allowed,
		    n < ALLOWED_MAX ? n : ALLOWED_MAX));
	}
	run->decision = json_pack("{s:s, s:s}", "from", from, "to", to);
	if (m == &funding_machine_application && strcmp(to, "appraised") == 0)
		return appraised_score(ctx, run);
	return 0;
}

/* The application's score: the mean of its appraisals (domain_scoring.c),
 * once every appraiser without a conflict has scored. */
static int
appraised_score(struct mp_ctx *ctx, struct funding_run *run)
{
	const json_t *results = json_object_get(run->facts, "results");
	size_t n = json_array_size(results), i;
	int32_t *r, score;
	json_t *v;
	int rc;

	if (fact_int(run->facts, "pending") > 0)
		return answered(mp_reply_problem(ctx, 409, "appraisal-incomplete",
		    "an assigned appraiser has not scored yet"));
	if (n == 0)
		return answered(mp_reply_problem(ctx, 409, "appraisal-incomplete",
		    "no appraisal was submitted"));
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return answered(mp_reply_problem(ctx, 503, "overloaded",
		    "out of memory; retry shortly"));
	json_array_foreach(results, i, v)
		r[i] = (int32_t)json_integer_value(v);
	rc = funding_application_score_bp(r, n, &score);
	free(r);
	if (rc != 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the request could not be completed"));
	json_object_set_new(run->decision, "score_bp", json_integer(score));
	return 0;
}

int
funding_decide_submit(struct mp_ctx *ctx, struct funding_run *run)
{
	const json_t *f = json_object_get(run->facts, "facts");
	const char *from = fact_str(run->facts, "state");
	const char *allowed[ALLOWED_MAX];
	struct funding_app_facts af;
	json_t *failed = NULL;
	size_t n = 0;
	int rc;

	rc = funding_transition_check(&funding_machine_application,
	    from != NULL ? from : "", "submit", funding_roles(ctx), allowed,
	    ALLOWED_MAX, &n);
	if (rc == -EINVAL)
		return funding_refuse(ctx, conflict_problem("only a draft "
		    "can be submitted", allowed, n < ALLOWED_MAX ? n :
		    ALLOWED_MAX));
	if (rc != 0)
		return answered(mp_reply_problem(ctx, 403, "forbidden",
		    "only the applicant submits an application"));
	memset(&af, 0, sizeof(af));
	af.applicant_type = fact_str(f, "applicant_type");
	af.region = fact_str(f, "region");
	af.commune = fact_str(f, "commune");
	af.theme = fact_str(f, "theme");
	af.requested_minor = fact_int(f, "requested_minor");
	af.total_budget_minor = fact_int(f, "total_budget_minor");
	af.cofinancing_minor = fact_int(f, "cofinancing_minor");
	af.beneficiaries_female = fact_int(f, "beneficiaries_female");
	af.beneficiaries_male = fact_int(f, "beneficiaries_male");
	af.gender_marker = (int)fact_int(f, "gender_marker");
	af.submitted_at_ms = fact_int(f, "now_ms");
	af.call_opens_at_ms = fact_int(f, "opens_ms");
	af.call_closes_at_ms = fact_int(f, "closes_ms");
	rc = funding_eligibility_check(json_object_get(run->facts, "rules"),
	    &af, &failed);
	if (rc < 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the call's eligibility rules could not be applied"));
	run->decision = json_pack("{s:b, s:o}", "eligible", rc == 0,
	    "failed", failed);
	return 0;
}

int
funding_decide_call(struct mp_ctx *ctx, struct funding_run *run)
{
	const json_t *rules = json_object_get(run->body, "eligibility_rules");
	const json_t *grid = json_object_get(run->body, "scoring_grid");
	json_t *p = NULL;
	char err[200];

	if (rules != NULL && !json_is_null(rules) &&
	    funding_eligibility_rules_validate(rules, err, sizeof(err)) != 0) {
		p = mp_problem_new(400, "validation", NULL,
		    "the request body is not valid");
		mp_problem_add_error(p, "eligibility_rules", err);
	}
	if (grid != NULL && !json_is_null(grid) &&
	    funding_grid_validate(grid, err, sizeof(err)) != 0) {
		if (p == NULL)
			p = mp_problem_new(400, "validation", NULL,
			    "the request body is not valid");
		mp_problem_add_error(p, "scoring_grid", err);
	}
	if (p != NULL)
		return funding_refuse(ctx, p);
	return 0;
}

int
funding_decide_scores(struct mp_ctx *ctx, struct funding_run *run)
{
	struct funding_grid g;
	int32_t points[FUNDING_GRID_MAX], bp;
	json_t *bad = NULL, *p, *e;
	char err[200], field[128];
	size_t i;

	if (funding_grid_parse(json_object_get(run->facts, "grid"), &g, err,
	    sizeof(err)) != 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the call's scoring grid could not be read"));
	if (funding_score_parse(&g, json_object_get(run->body, "scores"),
	    points, &bad) != 0) {
		p = mp_problem_new(400, "validation", NULL,
		    "the request body is not valid");
		json_array_foreach(bad, i, e) {
			snprintf(field, sizeof(field), "scores.%s",
			    fact_str(e, "criterion"));
			mp_problem_add_error(p, field, fact_str(e, "reason"));
		}
		json_decref(bad);
		return funding_refuse(ctx, p);
	}
	if (funding_appraisal_result_bp(&g, points, &bp) != 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the request could not be completed"));
	run->decision = json_pack("{s:i}", "result_bp", (int)bp);
	return 0;
}

/* Members from [{"id", "college", "present", "conflicted"}]. */
static int
members_from(const json_t *arr, struct funding_member *m, size_t cap,
    size_t *n)
{
	enum funding_college c;
	size_t i;
	json_t *e;

	*n = 0;
	json_array_foreach(arr, i, e) {
		if (i >= cap || funding_college_parse(fact_str(e, "college"),
		    &c) != 0 || fact_str(e, "id") == NULL)
			return -EINVAL;
		m[i].id = fact_str(e, "id");
		m[i].college = c;
		m[i].present = json_is_true(json_object_get(e, "present"));
		m[i].conflicted = json_is_true(json_object_get(e,
		    "conflicted"));
		*n = i + 1;
	}
	return 0;
}

static json_t *
quorum_report(const struct funding_quorum_report *r, int quorum_bp)
{
	json_t *missing = json_array();

	for (int c = 0; c < FUNDING_N_COLLEGES; c++)
		if (r->missing_colleges & (1u << c))
			json_array_append_new(missing,
			    json_string(funding_college_name(c)));
	return json_pack("{s:I, s:I, s:I, s:i, s:b, s:b, s:o}", "members",
	    (json_int_t)r->total, "present", (json_int_t)r->present,
	    "needed_present", (json_int_t)r->needed_present, "quorum_bp",
	    quorum_bp, "share_met", r->share_met, "colleges_met",
	    r->colleges_met, "missing_colleges", missing);
}

int
funding_decide_quorum(struct mp_ctx *ctx, struct funding_run *run)
{
	static struct funding_member m[FUNDING_MEMBERS_MAX];
	struct funding_quorum_report r;
	int quorum_bp = (int)fact_int(run->facts, "quorum_bp");
	size_t n;
	json_t *p;
	int rc;

	if (members_from(json_object_get(run->facts, "members"), m,
	    FUNDING_MEMBERS_MAX, &n) != 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the ERC's members could not be read"));
	if (n == 0)
		return answered(mp_reply_problem(ctx, 409, "no-members",
		    "the region's ERC has no member"));
	rc = funding_quorum_check(m, n, quorum_bp, &r);
	if (rc < 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the quorum could not be computed"));
	if (rc == 1) {
		p = mp_problem_new(409, "quorum-not-met", NULL,
		    "the quorum is not met: a share of the members and "
		    "every college must be present");
		json_object_set_new(p, "quorum", quorum_report(&r, quorum_bp));
		return funding_refuse(ctx, p);
	}
	run->decision = json_pack("{s:o}", "quorum", quorum_report(&r,
	    quorum_bp));
	return 0;
}

int
funding_decide_tally(struct mp_ctx *ctx, struct funding_run *run)
{
	static struct funding_member m[FUNDING_MEMBERS_MAX];
	static struct funding_vote v[FUNDING_MEMBERS_MAX];
	const json_t *votes = json_object_get(run->facts, "votes");
	enum funding_vote_choice ch;
	struct funding_tally t;
	size_t n, nv = 0, i, bad;
	json_t *e;

	if (members_from(json_object_get(run->facts, "members"), m,
	    FUNDING_MEMBERS_MAX, &n) != 0 || n == 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the ERC's members could not be read"));
	json_array_foreach(votes, i, e) {
		if (i >= FUNDING_MEMBERS_MAX ||
		    funding_vote_choice_parse(fact_str(e, "choice"), &ch) != 0)
			return answered(mp_reply_problem(ctx, 500, "internal",
			    "the votes could not be read"));
		v[i].member_id = fact_str(e, "member_id");
		v[i].choice = ch;
		nv = i + 1;
	}
	if (funding_vote_tally(m, n, v, nv, &t, &bad) != 0)
		return answered(mp_reply_problem(ctx, 409, "votes-inconsistent",
		    "a recorded vote comes from a member who may not vote"));
	run->decision = json_pack("{s:s, s:I, s:I, s:I}", "decision",
	    funding_decision_name(t.decision), "for",
	    (json_int_t)t.votes_for, "against", (json_int_t)t.votes_against,
	    "abstain", (json_int_t)t.abstentions);
	return 0;
}

int
funding_decide_schedule(struct mp_ctx *ctx, struct funding_run *run)
{
	struct funding_tranche t[FUNDING_TRANCHES_MAX];
	const json_t *arr = json_object_get(run->body, "tranches");
	size_t n = json_array_size(arr), i, bad = 0;
	char err[200], field[64];
	json_t *e, *p;

	if (n > FUNDING_TRANCHES_MAX)
		n = FUNDING_TRANCHES_MAX; /* the schema caps it already */
	json_array_foreach(arr, i, e) {
		if (i >= n)
			break;
		t[i].amount_minor = fact_int(e, "amount_minor");
		t[i].condition = fact_str(e, "condition");
	}
	if (funding_tranche_schedule_validate(t, n, fact_int(run->facts,
	    "approved_minor"), &bad, err, sizeof(err)) != 0) {
		p = mp_problem_new(400, "validation", NULL,
		    "the request body is not valid");
		if (bad < n)
			snprintf(field, sizeof(field), "tranches[%zu]", bad);
		else
			snprintf(field, sizeof(field), "tranches");
		mp_problem_add_error(p, field, err);
		return funding_refuse(ctx, p);
	}
	return 0;
}

int
funding_decide_release(struct mp_ctx *ctx, struct funding_run *run)
{
	const json_t *ms = json_object_get(run->facts, "milestones");
	const char *cond = fact_str(run->facts, "condition");
	const char **names;
	struct funding_tranche_facts f;
	size_t i;
	json_t *e;
	int rc;

	/* every approved milestone (one per report: no fixed bound) */
	if ((names = calloc(json_array_size(ms) + 1, sizeof(*names))) == NULL)
		return answered(mp_reply_problem(ctx, 503, "overloaded",
		    "out of memory; retry shortly"));
	memset(&f, 0, sizeof(f));
	f.agreement_signed = json_is_true(json_object_get(run->facts,
	    "signed"));
	json_array_foreach(ms, i, e)
		names[i] = json_string_value(e);
	f.n_approved = json_array_size(ms);
	f.approved_milestones = names;
	rc = funding_tranche_condition_met(cond, &f);
	free(names);
	if (rc < 0)
		return answered(mp_reply_problem(ctx, 500, "internal",
		    "the tranche's condition could not be read"));
	if (rc == 0) {
		json_t *p = mp_problem_new(409, "condition-not-met", NULL,
		    "the tranche's release condition is not met yet");

		json_object_set_new(p, "condition", json_string(cond));
		return funding_refuse(ctx, p);
	}
	return 0;
}
