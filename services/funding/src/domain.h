/*
 * Funding service: pure domain logic (no Kore, no database, no HTTP).
 *
 * Design note: everything that decides something in the funding chain
 * (which state change is legal and for whom, whether an application is
 * eligible, what an appraisal scores, whether an ERC session may vote and
 * what it decided, what the regional envelope can still commit) lives here
 * as plain C over plain values, so the Check suites link it directly and the
 * Kore handlers only parse, authorise, call these functions and answer.
 * Money and scores are integers (minor units, basis points); no floating
 * point anywhere, every rounding rule is written next to its function.
 *
 * Return convention: 0 success, negative errno on error, results through
 * out-parameters.  A few predicates return a documented positive value
 * (1 = "ineligible", "quorum not met", "condition met").
 */
#ifndef FUNDING_DOMAIN_H
#define FUNDING_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mp/principal.h"

/* ---- roles ------------------------------------------------------------ */

/*
 * Role bits are those of the verified token (enum mp_role), so a principal's
 * `roles` is passed to funding_transition_check as is.  FUNDING_ROLE_SYSTEM is
 * a pseudo-role for transitions the service performs itself (automatic
 * eligibility, the result of an ERC tally, a close date); it lies outside
 * MP_ROLE_ALL, so no token can ever carry it.
 */
#define FUNDING_ROLE_APPLICANT ((unsigned)MP_ROLE_APPLICANT)
#define FUNDING_ROLE_COUNCIL_OFFICER ((unsigned)MP_ROLE_COUNCIL_OFFICER)
#define FUNDING_ROLE_APPRAISER ((unsigned)MP_ROLE_APPRAISER)
#define FUNDING_ROLE_ERC_MEMBER ((unsigned)MP_ROLE_ERC_MEMBER)
#define FUNDING_ROLE_ADMIN ((unsigned)MP_ROLE_ADMIN)
#define FUNDING_ROLE_SYSTEM (1u << 15)

_Static_assert((FUNDING_ROLE_SYSTEM & MP_ROLE_ALL) == 0,
               "FUNDING_ROLE_SYSTEM must not be a token role");

/* ---- transition tables ------------------------------------------------ */

/*
 * One allowed state change: from `from` to `to`, named `action` (the verb a
 * client may post instead of the target state), performed by any role whose
 * bit is in `roles`.  Within a machine, (from, action) and (from, to) are
 * unique and no action is spelt like a state, so "to_or_action" is never
 * ambiguous (funding_machine_validate checks this).
 */
struct funding_transition {
	const char *from, *to, *action;
	unsigned roles;
};

/*
 * A state machine: its states (states[0] is the initial state) and its
 * transitions.  All strings have static storage duration.
 */
struct funding_machine {
	const char *name;
	const char *const *states;
	size_t n_states;
	const struct funding_transition *transitions;
	size_t n_transitions;
};

/* call: draft -> published -> closed -> decided -> archived */
extern const struct funding_machine funding_machine_call;
/* The states of calls and applications, NULL-terminated (the enums of
 * the `status` list filters). */
extern const char *const funding_call_states[];
extern const char *const funding_application_states[];
/*
 * application: draft -> submitted -> eligible | ineligible (SYSTEM) ->
 * under_appraisal -> appraised -> shortlisted -> selected | rejected |
 * waitlisted (ERC decision) -> agreement_signed -> in_progress -> completed |
 * terminated; waitlisted -> selected | rejected; appraised -> rejected (not
 * shortlisted); withdrawn by the applicant from draft, submitted, eligible,
 * under_appraisal, appraised, shortlisted.
 */
extern const struct funding_machine funding_machine_application;
/* agreement: draft -> signed -> active -> closed | terminated */
extern const struct funding_machine funding_machine_agreement;
/* tranche: planned -> releasable -> released */
extern const struct funding_machine funding_machine_tranche;
/* report: draft -> submitted -> approved | changes_requested -> submitted */
extern const struct funding_machine funding_machine_report;

/* Every machine above, in that order (for OpenAPI enums and tests). */
extern const struct funding_machine *const funding_machines[];
extern const size_t funding_n_machines;

/*
 * Checks whether `role_mask` may move an object of machine `m` from state
 * `from` by `to_or_action` (a target state name or an action name).
 *
 * Returns 0 if allowed; -EPERM if such a transition exists but no role in
 * role_mask may perform it; -EINVAL if it is not a transition from `from`
 * (illegal: answer 409); -ENOENT if `from` is not a state of `m`, or if
 * `to_or_action` is neither a state nor an action of `m`; -EFAULT if m, from
 * or to_or_action is NULL, or allowed_out is NULL while allowed_cap > 0.
 *
 * Whenever `from` is a known state (every return but -EFAULT and the first
 * -ENOENT case), *n_allowed receives the number of distinct states reachable
 * from `from` by any role, in table order, and the first min(allowed_cap,
 * *n_allowed) of them are stored in allowed_out (static strings, not owned
 * by the caller); otherwise *n_allowed is 0.  n_allowed may be NULL.
 */
int funding_transition_check(const struct funding_machine *m, const char *from,
                             const char *to_or_action, unsigned role_mask,
                             const char **allowed_out, size_t allowed_cap,
                             size_t *n_allowed);

/*
 * The state that `to_or_action` leads to from `from` (whatever the role), or
 * NULL if there is no such transition.  Static string, not owned.
 */
const char *funding_transition_target(const struct funding_machine *m,
                                      const char *from,
                                      const char *to_or_action);

/*
 * Distinct states reachable from `from` by at least one role in role_mask
 * (pass ~0u for every role), in table order; same out-parameter contract as
 * funding_transition_check.  Returns 0, -ENOENT for an unknown `from`, or
 * -EFAULT.
 */
int funding_machine_targets(const struct funding_machine *m, const char *from,
                            unsigned role_mask, const char **out, size_t cap,
                            size_t *n_out);

/*
 * All states of `m` in declaration order (the first is the initial state);
 * *n receives their count.  Returns a static array, or NULL (and *n = 0) if
 * m is NULL.
 */
const char *const *funding_machine_states(const struct funding_machine *m,
                                          size_t *n);

/* 1 if `state` is a state of `m`, else 0. */
int funding_machine_has_state(const struct funding_machine *m,
                              const char *state);

/* 1 if `state` is a state of `m` with no outgoing transition, else 0. */
int funding_machine_is_terminal(const struct funding_machine *m,
                                const char *state);

/* The machine called `name` ("call", "application"...), or NULL. */
const struct funding_machine *funding_machine_by_name(const char *name);

/*
 * Self-check of a table: non-empty unique states, every from/to a state,
 * (from, to) and (from, action) unique, no action spelt like a state, every
 * transition with at least one role, every state reachable from the initial
 * one.  Returns 0 or -EINVAL with a message in err (may be NULL).
 */
int funding_machine_validate(const struct funding_machine *m, char *err,
                             size_t errlen);

/* ---- eligibility ------------------------------------------------------ */

/*
 * What the eligibility check needs to know about one submitted application
 * and its call.  Amounts in minor units, times in unix milliseconds (UTC).
 * Strings are borrowed; a NULL string is "not given" (it fails any rule
 * that constrains it).  beneficiaries_* are expected direct beneficiaries.
 */
struct funding_app_facts {
	const char *applicant_type; /* mre, regularised_migrant, ... */
	const char *region;         /* souss-massa, oriental */
	const char *commune;
	const char *theme;
	int64_t requested_minor;
	int64_t total_budget_minor;
	int64_t cofinancing_minor;
	int64_t beneficiaries_female;
	int64_t beneficiaries_male;
	int gender_marker; /* OECD DAC: 0, 1 or 2 */
	int64_t submitted_at_ms;
	int64_t call_opens_at_ms;
	int64_t call_closes_at_ms;
};

/* Applicant types and regions of the glossary (NULL-terminated lists). */
extern const char *const funding_applicant_types[];
extern const char *const funding_regions[];

/* Size limits on rules (a call's rules are authored by officers). */
#define FUNDING_RULE_LIST_MAX 256 /* entries in one list rule */
#define FUNDING_RULE_STR_MAX 64   /* bytes in one list entry */

/*
 * Validates a call's eligibility rules: a JSON object whose keys are all
 * optional but must be among
 *   applicant_types  non-empty array of unique applicant types
 *                    (funding_applicant_types)
 *   regions          non-empty array of unique region codes (funding_regions)
 *   themes, communes non-empty arrays of unique non-empty strings
 *                    (at most FUNDING_RULE_STR_MAX bytes, no NUL)
 *   max_grant_minor  integer > 0
 *   min_cofinancing_bp  integer 0..10000
 *   min_beneficiaries   integer >= 0
 *   require_gender_marker_min  integer 0..2
 * Unknown keys are refused (a typo must not silently drop a rule).
 * Returns 0 or -EINVAL with a one-line English message in err (err may be
 * NULL; the message is truncated to errlen).
 */
int funding_eligibility_rules_validate(const json_t *rules, char *err,
                                       size_t errlen);

/*
 * Checks `facts` against `rules`.  Besides the rules of the call, two rules
 * always apply: "submission_window" (call_opens_at_ms <= submitted_at_ms <=
 * call_closes_at_ms, both ends inclusive) and "budget" (requested > 0, total
 * budget > 0, requested + cofinancing <= total budget).
 * Co-financing rate: cofinancing / total budget in basis points, compared
 * exactly (cofinancing * 10000 >= min_cofinancing_bp * total, in 128 bits).
 *
 * Returns 0 eligible, 1 ineligible, -EINVAL if the rules are malformed
 * (see funding_eligibility_rules_validate) or the facts are (negative
 * amount or beneficiary count, gender_marker outside 0..2, call closing
 * before it opens), -ENOMEM.  On 0 and 1, if `failed` is not NULL, *failed
 * receives a new JSON array (caller owns it, json_decref) with one object
 * {"rule": "<rule key>", "reason": "<English text>"} per failed rule, in a
 * fixed order, every failed rule listed (empty when eligible).  On error
 * *failed is NULL.
 */
int funding_eligibility_check(const json_t *rules,
                              const struct funding_app_facts *facts,
                              json_t **failed);

/*
 * Co-financing rate in basis points, rounded down: floor(cofinancing *
 * 10000 / total).  Returns 0, or -EINVAL if an amount is negative, total is
 * 0 or cofinancing > total.
 */
int funding_cofinancing_bp(int64_t cofinancing_minor, int64_t total_minor,
                           int32_t *bp_out);

/* ---- scoring ---------------------------------------------------------- */

#define FUNDING_GRID_MAX 32             /* criteria in one grid */
#define FUNDING_CRITERION_KEY_MAX 64    /* bytes, [a-z0-9_] */
#define FUNDING_WEIGHT_MAX 10000        /* weight of one criterion */
#define FUNDING_POINTS_MAX 1000000      /* max points of one criterion */
#define FUNDING_GRID_LCM_MAX 1000000000 /* lcm of all maxima */

struct funding_criterion {
	char key[FUNDING_CRITERION_KEY_MAX + 1];
	int32_t weight; /* 1..FUNDING_WEIGHT_MAX, any unit (percent...) */
	int32_t max;    /* 1..FUNDING_POINTS_MAX points */
};

/* A parsed scoring grid; plain value, no heap. */
struct funding_grid {
	size_t n;
	struct funding_criterion c[FUNDING_GRID_MAX];
	int64_t weight_sum; /* sum of weights */
	int64_t lcm;        /* lcm of all maxima, <= FUNDING_GRID_LCM_MAX */
};

/*
 * Parses a scoring grid: a JSON array of 1..FUNDING_GRID_MAX objects
 * {"key": "relevance", "weight": 30, "max": 20} (an optional "label",
 * string or object, is accepted and ignored; other keys are refused).
 * Keys are unique, 1..64 characters of [a-z0-9_]; weights 1..10000; maxima
 * 1..1000000, and the least common multiple of all maxima at most 10^9 (so
 * that results are computed exactly in 64 bits; grids like 5/10/20/25/100
 * are far below).  Returns 0 with *out filled, or -EINVAL with a message in
 * err (may be NULL).
 */
int funding_grid_parse(const json_t *grid, struct funding_grid *out, char *err,
                       size_t errlen);

/* funding_grid_parse without keeping the result (used on call creation). */
int funding_grid_validate(const json_t *grid, char *err, size_t errlen);

/*
 * Parses one appraiser's scores: a JSON object {"<criterion key>": points}
 * with exactly one integer 0..max for every criterion of `g`.  On success
 * returns 0 and points[i] holds the score of g->c[i] (points has room for
 * g->n entries).  Returns -EINVAL if any score is missing, unknown, not an
 * integer or out of range; then, if `offending` is not NULL, *offending
 * receives a new array (caller owns it) of {"criterion": key, "reason": text}
 * listing EVERY offending criterion (grid order, then unknown keys).  On
 * success or other errors *offending is NULL.  -ENOMEM possible.
 */
int funding_score_parse(const struct funding_grid *g, const json_t *scores,
                        int32_t *points, json_t **offending);

/* funding_score_parse without keeping the points. */
int funding_score_validate(const struct funding_grid *g, const json_t *scores,
                           json_t **offending);

/*
 * Weighted result of one appraisal in basis points 0..10000:
 *   exact value  V = 10000 * sum_i(w_i * s_i / max_i) / sum_i(w_i)
 *   result       floor(V + 1/2)  (rounded half-up, computed exactly over
 *                the common denominator g->lcm, no intermediate rounding).
 * Returns 0, or -EINVAL if g is not a parsed grid or a point is outside
 * 0..max.
 */
int funding_appraisal_result_bp(const struct funding_grid *g,
                                const int32_t *points, int32_t *bp_out);

/*
 * Score of an application: the mean of its appraisals' results (each
 * 0..10000), rounded half-up: floor((2 * sum + n) / (2 * n)).  Returns 0,
 * -ENODATA if n is 0, -EINVAL if a result is outside 0..10000.
 */
int funding_application_score_bp(const int32_t *results, size_t n,
                                 int32_t *bp_out);

/* One application in a call's ranking.  id is borrowed. */
struct funding_rank_entry {
	const char *id;
	int32_t score_bp; /* 0..10000, or negative: not scored yet */
	int64_t submitted_at_ms;
};

/*
 * Sorts a ranking in place: scored entries by score descending, ties by
 * submission time ascending, then by id ascending (strcmp); entries not
 * scored yet (negative score) after all scored ones, in the same tie order.
 * A total order, so the result does not depend on the input order.
 */
void funding_rank_sort(struct funding_rank_entry *e, size_t n);

/* ---- ERC quorum and votes --------------------------------------------- */

enum funding_college {
	FUNDING_COLLEGE_LOCAL_AUTHORITY = 0,
	FUNDING_COLLEGE_STATE_SERVICE = 1,
	FUNDING_COLLEGE_CIVIL_SOCIETY = 2,
};
#define FUNDING_N_COLLEGES 3
#define FUNDING_MEMBERS_MAX 10000 /* members in one ERC */

/* "local_authority"... for a college, or NULL if out of range. */
const char *funding_college_name(int college);
/* Parses a college name; 0 or -EINVAL. */
int funding_college_parse(const char *name, enum funding_college *out);

/*
 * An ERC member as seen by one deliberation: present at the session, and
 * conflicted if they declared a conflict of interest on the application
 * being decided (pass false for a session-wide check).  id is borrowed.
 */
struct funding_member {
	const char *id;
	enum funding_college college;
	bool present;
	bool conflicted;
};

struct funding_quorum_report {
	size_t total;          /* members */
	size_t present;        /* present and not conflicted */
	size_t needed_present; /* smallest `present` meeting the share */
	size_t total_by_college[FUNDING_N_COLLEGES];
	size_t present_by_college[FUNDING_N_COLLEGES];
	bool share_met;
	bool colleges_met;
	unsigned missing_colleges; /* bit (1u << college) per missing college */
};

/*
 * Quorum of a deliberation.  A member counts as present when present and
 * not conflicted (a conflicted member cannot deliberate, so cannot make the
 * quorum either).  The share is met when present * 10000 >= quorum_bp *
 * total (integer compare); every college must have at least one member
 * counted present.  Fills *r in every non-error case.
 * Returns 0 quorum met, 1 not met, -EINVAL if n is 0 or above
 * FUNDING_MEMBERS_MAX, quorum_bp is outside 1..10000, a college is out of
 * range, an id is NULL, or two members share an id.
 */
int funding_quorum_check(const struct funding_member *m, size_t n,
                         int quorum_bp, struct funding_quorum_report *r);

enum funding_vote_choice {
	FUNDING_VOTE_FOR = 0,
	FUNDING_VOTE_AGAINST = 1,
	FUNDING_VOTE_ABSTAIN = 2,
};

/* "for", "against", "abstain"; parse returns 0 or -EINVAL. */
const char *funding_vote_choice_name(int choice);
int funding_vote_choice_parse(const char *name, enum funding_vote_choice *out);

/* One vote on one application.  member_id is borrowed. */
struct funding_vote {
	const char *member_id;
	enum funding_vote_choice choice;
};

enum funding_decision {
	FUNDING_DECISION_SELECTED = 0,
	FUNDING_DECISION_REJECTED = 1,
	FUNDING_DECISION_WAITLISTED = 2,
};

/* "selected", "rejected", "waitlisted" (also application states). */
const char *funding_decision_name(int decision);

struct funding_tally {
	size_t votes_for, votes_against, abstentions;
	size_t cast; /* votes_for + votes_against; abstentions are not cast */
	enum funding_decision decision;
};

/* 1 if the member may vote: present and not conflicted; else 0. */
int funding_member_may_vote(const struct funding_member *m);

/*
 * Tallies the votes on one application.  Only present, non-conflicted
 * members vote, once each.  Decision rule: votes cast = for + against
 * (abstentions are not cast); selected if for > against (hence for is a
 * strict majority of the votes cast); rejected if against > for; a tie,
 * including no vote cast at all, is waitlisted.
 * Returns 0 with *t filled; or, with *bad_vote (if not NULL) set to the index
 * of the first offending vote and *t untouched: -EEXIST a member votes twice,
 * -EPERM an absent or conflicted member votes, -ENOENT a voter who is not a
 * member, -EINVAL a NULL member id or a choice out of range (or members
 * malformed as for funding_quorum_check).
 */
int funding_vote_tally(const struct funding_member *m, size_t n_members,
                       const struct funding_vote *v, size_t n_votes,
                       struct funding_tally *t, size_t *bad_vote);

/* ---- envelope ledger -------------------------------------------------- */

/*
 * A regional envelope in minor units.  Invariant (checked on entry and kept
 * by every operation): 0 <= disbursed <= committed <= allocated.
 * available = allocated - committed.  Every operation either succeeds or
 * leaves the ledger unchanged.
 */
struct funding_ledger {
	int64_t allocated;
	int64_t committed;
	int64_t disbursed;
};

/* 0 if the invariant holds, -EINVAL otherwise. */
int funding_ledger_valid(const struct funding_ledger *l);

/* Sets l to {allocated, 0, 0}; -EINVAL if allocated < 0. */
int funding_ledger_init(struct funding_ledger *l, int64_t allocated);

/* allocated - committed, or -1 if the ledger is invalid. */
int64_t funding_ledger_available(const struct funding_ledger *l);

/*
 * Changes the allocation by delta (a top-up if positive, a cut if negative).
 * Returns 0; -EINVAL delta is 0 or the ledger is invalid; -ERANGE the new
 * allocation would overflow int64 or go negative; -ENOSPC a cut would bring
 * the allocation below what is committed.
 */
int funding_ledger_allocate(struct funding_ledger *l, int64_t delta);

/*
 * Commits `amount` (an ERC selection).  Returns 0; -EINVAL amount <= 0 or
 * the ledger is invalid; -ERANGE committed + amount overflows int64;
 * -ENOSPC amount exceeds what is available.
 */
int funding_ledger_commit(struct funding_ledger *l, int64_t amount);

/*
 * Disburses `amount` (a tranche released).  Returns 0; -EINVAL amount <= 0
 * or the ledger is invalid; -ERANGE disbursed + amount overflows int64;
 * -ENOSPC amount exceeds committed - disbursed.
 */
int funding_ledger_disburse(struct funding_ledger *l, int64_t amount);

/*
 * A project is terminated: what was committed to it and not disbursed
 * (project_committed - project_disbursed) returns to the envelope's
 * available amount.  *released_out (may be NULL) receives that remainder.
 * Returns 0; -EINVAL a project amount is negative, project_disbursed >
 * project_committed, or the ledger is invalid; -ENOSPC the remainder exceeds
 * what the envelope has committed and not disbursed.
 */
int funding_ledger_release_commitment(struct funding_ledger *l,
                                      int64_t project_committed,
                                      int64_t project_disbursed,
                                      int64_t *released_out);

/* ---- tranches --------------------------------------------------------- */

#define FUNDING_TRANCHES_MAX 64
#define FUNDING_MILESTONE_MAX 64 /* bytes, [a-z0-9_-] */

/* One planned tranche of an agreement.  condition is borrowed. */
struct funding_tranche {
	int64_t amount_minor;
	const char *condition; /* "signature" | "report_approved:<milestone>" */
};

/*
 * Validates a tranche schedule: 1..FUNDING_TRANCHES_MAX tranches, each
 * amount > 0, each condition well formed ("signature", or
 * "report_approved:" followed by a milestone of 1..64 characters of
 * [a-z0-9_-]), and the amounts summing exactly to approved_minor (> 0).
 * Returns 0; -EINVAL with *bad_index (may be NULL) the offending tranche
 * (or n when the sum or count is wrong) and a message in err (may be NULL).
 */
int funding_tranche_schedule_validate(const struct funding_tranche *t, size_t n,
                                      int64_t approved_minor, size_t *bad_index,
                                      char *err, size_t errlen);

/* What a tranche condition is checked against.  Strings are borrowed. */
struct funding_tranche_facts {
	bool agreement_signed;
	const char *const *approved_milestones; /* milestones with an
	                                           approved report */
	size_t n_approved;
};

/*
 * 1 if `condition` is met by `f`, 0 if not, -EINVAL if the condition is
 * malformed (or NULL) or f is NULL.  "signature" is met once the agreement
 * is signed; "report_approved:<m>" once the agreement is signed and <m> is
 * among the approved milestones (exact match).
 */
int funding_tranche_condition_met(const char *condition,
                                  const struct funding_tranche_facts *f);

#endif /* FUNDING_DOMAIN_H */
