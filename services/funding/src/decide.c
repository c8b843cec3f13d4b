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

#define S struct funding_state_facts
const struct mp_fact funding_facts_state[] = {
    MP_FACT("state", MP_FACT_STRING, 0, S, state), MP_FACT_END};
const struct mp_fact funding_facts_app_state[] = {
    MP_FACT("state", MP_FACT_STRING, 0, S, state),
    MP_FACT_ARRAY("results", MP_FACT_INTS, 0, S, results, n_results),
    MP_FACT("pending", MP_FACT_INT, 0, S, pending), MP_FACT_END};
#undef S

#define A struct funding_submit_app
static const struct mp_fact submit_app[] = {
    MP_FACT("applicant_type", MP_FACT_STRING, 0, A, applicant_type),
    MP_FACT("region", MP_FACT_STRING, 0, A, region),
    MP_FACT("commune", MP_FACT_STRING, 0, A, commune),
    MP_FACT("theme", MP_FACT_STRING, 0, A, theme),
    MP_FACT("requested_minor", MP_FACT_INT, 0, A, requested_minor),
    MP_FACT("total_budget_minor", MP_FACT_INT, 0, A, total_budget_minor),
    MP_FACT("cofinancing_minor", MP_FACT_INT, 0, A, cofinancing_minor),
    MP_FACT("beneficiaries_female", MP_FACT_INT, 0, A, beneficiaries_female),
    MP_FACT("beneficiaries_male", MP_FACT_INT, 0, A, beneficiaries_male),
    MP_FACT("gender_marker", MP_FACT_INT, 0, A, gender_marker),
    MP_FACT("now_ms", MP_FACT_INT, 0, A, now_ms),
    MP_FACT("opens_ms", MP_FACT_INT, 0, A, opens_ms),
    MP_FACT("closes_ms", MP_FACT_INT, 0, A, closes_ms),
    MP_FACT_END};
#undef A
const struct mp_fact funding_facts_submit[] = {
    MP_FACT("state", MP_FACT_STRING, 0, struct funding_submit_facts, state),
    MP_FACT("rules", MP_FACT_RAW_OBJECT, 0, struct funding_submit_facts, rules),
    MP_FACT_OBJECT("facts", 0, struct funding_submit_facts, app, submit_app),
    MP_FACT_END};

const struct mp_fact funding_facts_grid[] = {
    MP_FACT("grid", MP_FACT_RAW_ARRAY, 0, struct funding_grid_facts, grid),
    MP_FACT_END};

#define M struct funding_member_facts
static const struct mp_fact quorum_member[] = {
    MP_FACT("id", MP_FACT_STRING, 0, M, id),
    MP_FACT("college", MP_FACT_STRING, 0, M, college),
    MP_FACT("present", MP_FACT_BOOL, 0, M, present), MP_FACT_END};
static const struct mp_fact tally_member[] = {
    MP_FACT("id", MP_FACT_STRING, 0, M, id),
    MP_FACT("college", MP_FACT_STRING, 0, M, college),
    MP_FACT("present", MP_FACT_BOOL, 0, M, present),
    MP_FACT("conflicted", MP_FACT_BOOL, 0, M, conflicted), MP_FACT_END};
#undef M
static const struct mp_fact vote_item[] = {
    MP_FACT("member_id", MP_FACT_STRING, 0, struct funding_vote_facts,
            member_id),
    MP_FACT("choice", MP_FACT_STRING, 0, struct funding_vote_facts, choice),
    MP_FACT_END};
const struct mp_fact funding_facts_quorum[] = {
    MP_FACT("quorum_bp", MP_FACT_INT, 0, struct funding_quorum_facts,
            quorum_bp),
    MP_FACT_LIST("members", 0, struct funding_quorum_facts, members, n_members,
                 struct funding_member_facts, quorum_member),
    MP_FACT_END};
const struct mp_fact funding_facts_tally[] = {
    MP_FACT_LIST("members", 0, struct funding_tally_facts, members, n_members,
                 struct funding_member_facts, tally_member),
    MP_FACT_LIST("votes", 0, struct funding_tally_facts, votes, n_votes,
                 struct funding_vote_facts, vote_item),
    MP_FACT_END};

const struct mp_fact funding_facts_agreement[] = {
    MP_FACT("approved_minor", MP_FACT_INT, 0, struct funding_agreement_facts,
            approved_minor),
    MP_FACT_END};

const struct mp_fact funding_facts_release[] = {
    MP_FACT("condition", MP_FACT_STRING, 0, struct funding_release_facts,
            condition),
    MP_FACT("signed", MP_FACT_BOOL, 0, struct funding_release_facts, is_signed),
    MP_FACT_ARRAY("milestones", MP_FACT_STRINGS, 0,
                  struct funding_release_facts, milestones, n_milestones),
    MP_FACT_END};

static const char *body_str(const json_t *o, const char *key);
static int64_t body_int(const json_t *o, const char *key);
static int members_from(const struct funding_member_facts *f, size_t n,
                        struct funding_member *m, size_t cap);
static int dedicated_route(const struct funding_machine *m, const char *from,
                           const char *to);
static int appraised_score(struct mp_ctx *ctx, struct mp_run *run);
static json_t *quorum_report(const struct funding_quorum_report *r,
                             int quorum_bp);

/* A member of a body the schema validated (or of a domain report): the
 * type is known, unlike a load's facts. */
static const char *
body_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t
body_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

unsigned
funding_roles(const struct mp_ctx *ctx)
{
	unsigned roles = ctx->principal.roles;

	if (roles & MP_ROLE_ADMIN)
		roles |= MP_ROLE_COUNCIL_OFFICER;
	return roles;
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
funding_decide_transition(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct funding_machine *m = run->op->arg;
	const struct funding_state_facts *f = run->facts;
	const char *from = f->state;
	const char *want = body_str(run->body, "to");
	const char *allowed[ALLOWED_MAX], *to;
	size_t n = 0;
	char detail[200];
	int rc;

	if (from == NULL || want == NULL)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the request could not be completed");
	rc = funding_transition_check(m, from, want, funding_roles(ctx),
	                              allowed, ALLOWED_MAX, &n);
	if (rc == -ENOENT) {
		json_t *p = mp_problem_new(400, "validation", NULL,
		                           "the request body is not valid");

		mp_problem_add_error(p, "to",
		                     "not a state or action of this "
		                     "resource");
		return mp_refuse(ctx, p);
	}
	if (rc == -EINVAL) {
		snprintf(detail, sizeof(detail),
		         "a %s in state '%s' cannot "
		         "go to '%s'",
		         m->name, from, want);
		return mp_refuse(ctx, mp_conflict_problem(
		                          detail, allowed,
		                          n < ALLOWED_MAX ? n : ALLOWED_MAX));
	}
	if (rc == -EPERM)
		return mp_refuse_status(ctx, 403, "forbidden",
		                        "your role may not make this change");
	if (rc != 0)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the request could not be completed");
	to = funding_transition_target(m, from, want);
	if (dedicated_route(m, from, to)) {
		snprintf(detail, sizeof(detail),
		         "'%s' is made by its own "
		         "route (submit, ERC decision or agreement signature)",
		         to);
		return mp_refuse(ctx, mp_conflict_problem(
		                          detail, allowed,
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
appraised_score(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct funding_state_facts *f = run->facts;
	size_t n = f->n_results, i;
	int32_t *r, score;
	int rc;

	if (f->pending > 0)
		return mp_refuse_status(
		    ctx, 409, "appraisal-incomplete",
		    "an assigned appraiser has not scored yet");
	if (n == 0)
		return mp_refuse_status(ctx, 409, "appraisal-incomplete",
		                        "no appraisal was submitted");
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return mp_refuse_status(ctx, 503, "overloaded",
		                        "out of memory; retry shortly");
	for (i = 0; i < n; i++)
		r[i] = (int32_t)f->results[i];
	rc = funding_application_score_bp(r, n, &score);
	free(r);
	if (rc != 0)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the request could not be completed");
	json_object_set_new(run->decision, "score_bp", json_integer(score));
	return 0;
}

int
funding_decide_submit(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct funding_submit_facts *sf = run->facts;
	const struct funding_submit_app *f = &sf->app;
	const char *allowed[ALLOWED_MAX];
	struct funding_app_facts af;
	json_t *failed = NULL;
	size_t n = 0;
	int rc;

	rc = funding_transition_check(&funding_machine_application, sf->state,
	                              "submit", funding_roles(ctx), allowed,
	                              ALLOWED_MAX, &n);
	if (rc == -EINVAL)
		return mp_refuse(ctx, mp_conflict_problem(
		                          "only a draft "
		                          "can be submitted",
		                          allowed,
		                          n < ALLOWED_MAX ? n : ALLOWED_MAX));
	if (rc != 0)
		return mp_refuse_status(
		    ctx, 403, "forbidden",
		    "only the applicant submits an application");
	memset(&af, 0, sizeof(af));
	af.applicant_type = f->applicant_type;
	af.region = f->region;
	af.commune = f->commune;
	af.theme = f->theme;
	af.requested_minor = f->requested_minor;
	af.total_budget_minor = f->total_budget_minor;
	af.cofinancing_minor = f->cofinancing_minor;
	af.beneficiaries_female = f->beneficiaries_female;
	af.beneficiaries_male = f->beneficiaries_male;
	af.gender_marker = (int)f->gender_marker;
	af.submitted_at_ms = f->now_ms;
	af.call_opens_at_ms = f->opens_ms;
	af.call_closes_at_ms = f->closes_ms;
	rc = funding_eligibility_check(sf->rules, &af, &failed);
	if (rc < 0)
		return mp_refuse_status(
		    ctx, 500, "internal",
		    "the call's eligibility rules could not be applied");
	run->decision =
	    json_pack("{s:b, s:o}", "eligible", rc == 0, "failed", failed);
	return 0;
}

int
funding_decide_call(struct mp_ctx *ctx, struct mp_run *run)
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
		return mp_refuse(ctx, p);
	return 0;
}

int
funding_decide_scores(struct mp_ctx *ctx, struct mp_run *run)
{
	struct funding_grid g;
	int32_t points[FUNDING_GRID_MAX], bp;
	json_t *bad = NULL, *p, *e;
	char err[200], field[128];
	size_t i;

	const struct funding_grid_facts *f = run->facts;

	if (funding_grid_parse(f->grid, &g, err, sizeof(err)) != 0)
		return mp_refuse_status(
		    ctx, 500, "internal",
		    "the call's scoring grid could not be read");
	if (funding_score_parse(&g, json_object_get(run->body, "scores"),
	                        points, &bad) != 0) {
		p = mp_problem_new(400, "validation", NULL,
		                   "the request body is not valid");
		json_array_foreach(bad, i, e)
		{
			snprintf(field, sizeof(field), "scores.%s",
			         body_str(e, "criterion"));
			mp_problem_add_error(p, field, body_str(e, "reason"));
		}
		json_decref(bad);
		return mp_refuse(ctx, p);
	}
	if (funding_appraisal_result_bp(&g, points, &bp) != 0)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the request could not be completed");
	run->decision = json_pack("{s:i}", "result_bp", (int)bp);
	return 0;
}

/* The domain's members from the decoded facts: at most cap, each of a
 * known college. */
static int
members_from(const struct funding_member_facts *f, size_t n,
             struct funding_member *m, size_t cap)
{
	enum funding_college c;
	size_t i;

	if (n > cap)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (funding_college_parse(f[i].college, &c) != 0)
			return -EINVAL;
		m[i].id = f[i].id;
		m[i].college = c;
		m[i].present = f[i].present != 0;
		m[i].conflicted = f[i].conflicted != 0;
	}
	return 0;
}

static json_t *
quorum_report(const struct funding_quorum_report *r, int quorum_bp)
{
	json_t *missing = json_array();

	for (int c = 0; c < FUNDING_N_COLLEGES; c++)
		if (r->missing_colleges & (1u << c))
			json_array_append_new(
			    missing, json_string(funding_college_name(c)));
	return json_pack("{s:I, s:I, s:I, s:i, s:b, s:b, s:o}", "members",
	                 (json_int_t)r->total, "present",
	                 (json_int_t)r->present, "needed_present",
	                 (json_int_t)r->needed_present, "quorum_bp", quorum_bp,
	                 "share_met", r->share_met, "colleges_met",
	                 r->colleges_met, "missing_colleges", missing);
}

int
funding_decide_quorum(struct mp_ctx *ctx, struct mp_run *run)
{
	static struct funding_member m[FUNDING_MEMBERS_MAX];
	const struct funding_quorum_facts *f = run->facts;
	struct funding_quorum_report r;
	int quorum_bp = (int)f->quorum_bp;
	size_t n = f->n_members;
	json_t *p;
	int rc;

	if (members_from(f->members, n, m, FUNDING_MEMBERS_MAX) != 0)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the ERC's members could not be read");
	if (n == 0)
		return mp_refuse_status(ctx, 409, "no-members",
		                        "the region's ERC has no member");
	rc = funding_quorum_check(m, n, quorum_bp, &r);
	if (rc < 0)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the quorum could not be computed");
	if (rc == 1) {
		p = mp_problem_new(
		    409, "quorum-not-met", NULL,
		    "the quorum is not met: a share of the members and "
		    "every college must be present");
		json_object_set_new(p, "quorum", quorum_report(&r, quorum_bp));
		return mp_refuse(ctx, p);
	}
	run->decision =
	    json_pack("{s:o}", "quorum", quorum_report(&r, quorum_bp));
	return 0;
}

int
funding_decide_tally(struct mp_ctx *ctx, struct mp_run *run)
{
	static struct funding_member m[FUNDING_MEMBERS_MAX];
	static struct funding_vote v[FUNDING_MEMBERS_MAX];
	const struct funding_tally_facts *f = run->facts;
	enum funding_vote_choice ch;
	struct funding_tally t;
	size_t n = f->n_members, nv = f->n_votes, i, bad;

	if (members_from(f->members, n, m, FUNDING_MEMBERS_MAX) != 0 || n == 0)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the ERC's members could not be read");
	if (nv > FUNDING_MEMBERS_MAX)
		return mp_refuse_status(ctx, 500, "internal",
		                        "the votes could not be read");
	for (i = 0; i < nv; i++) {
		if (funding_vote_choice_parse(f->votes[i].choice, &ch) != 0)
			return mp_refuse_status(ctx, 500, "internal",
			                        "the votes could not be read");
		v[i].member_id = f->votes[i].member_id;
		v[i].choice = ch;
	}
	if (funding_vote_tally(m, n, v, nv, &t, &bad) != 0)
		return mp_refuse_status(
		    ctx, 409, "votes-inconsistent",
		    "a recorded vote comes from a member who may not vote");
	run->decision = json_pack("{s:s, s:I, s:I, s:I}", "decision",
	                          funding_decision_name(t.decision), "for",
	                          (json_int_t)t.votes_for, "against",
	                          (json_int_t)t.votes_against, "abstain",
	                          (json_int_t)t.abstentions);
	return 0;
}

int
funding_decide_schedule(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct funding_agreement_facts *f = run->facts;
	struct funding_tranche t[FUNDING_TRANCHES_MAX];
	const json_t *arr = json_object_get(run->body, "tranches");
	size_t n = json_array_size(arr), i, bad = 0;
	char err[200], field[64];
	json_t *e, *p;

	if (n > FUNDING_TRANCHES_MAX)
		n = FUNDING_TRANCHES_MAX; /* the schema caps it already */
	json_array_foreach(arr, i, e)
	{
		if (i >= n)
			break;
		t[i].amount_minor = body_int(e, "amount_minor");
		t[i].condition = body_str(e, "condition");
	}
	if (funding_tranche_schedule_validate(t, n, f->approved_minor, &bad,
	                                      err, sizeof(err)) != 0) {
		p = mp_problem_new(400, "validation", NULL,
		                   "the request body is not valid");
		if (bad < n)
			snprintf(field, sizeof(field), "tranches[%zu]", bad);
		else
			snprintf(field, sizeof(field), "tranches");
		mp_problem_add_error(p, field, err);
		return mp_refuse(ctx, p);
	}
	return 0;
}

int
funding_decide_release(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct funding_release_facts *rf = run->facts;
	const char *cond = rf->condition;
	struct funding_tranche_facts f;
	int rc;

	/* every approved milestone (one per report: no fixed bound) */
	memset(&f, 0, sizeof(f));
	f.agreement_signed = rf->is_signed != 0;
	f.n_approved = rf->n_milestones;
	f.approved_milestones = rf->milestones;
	rc = funding_tranche_condition_met(cond, &f);
	if (rc < 0)
		return mp_refuse_status(
		    ctx, 500, "internal",
		    "the tranche's condition could not be read");
	if (rc == 0) {
		json_t *p = mp_problem_new(
		    409, "condition-not-met", NULL,
		    "the tranche's release condition is not met yet");

		json_object_set_new(p, "condition", json_string(cond));
		return mp_refuse(ctx, p);
	}
	return 0;
}
