/*
 * The pure decisions of the funding routes (mp/run.h's decide step): each
 * reads the facts its load statement returned, decoded by the tables
 * below (a key renamed in the SQL is a refusal, never a silent zero), and
 * the validated body, calls the domain functions of domain_*.c and either
 * sets run->decision or answers the refusal itself.
 */
#ifndef FUNDING_DECIDE_H
#define FUNDING_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "mp/run.h"

/* The role mask the transition tables know (admin acts as an officer). */
unsigned funding_roles(const struct mp_ctx *ctx);

/* ---- facts of the load statements ------------------------------------- */

/* funding_call_state, funding_agreement_state, funding_report_state:
 * {"state"}; funding_application_state adds "results" (the submitted
 * appraisals' result_bp) and "pending" (appraisers yet to score). */
struct funding_state_facts {
	const char *state;
	int64_t *results;
	size_t n_results;
	int64_t pending;
};
extern const struct mp_fact funding_facts_state[];
extern const struct mp_fact funding_facts_app_state[];
#define FUNDING_FACTS_STATE                                                    \
	MP_OP_FACTS(funding_facts_state, struct funding_state_facts)
#define FUNDING_FACTS_APP_STATE                                                \
	MP_OP_FACTS(funding_facts_app_state, struct funding_state_facts)

/* funding_application_submit_facts: {"state", "rules", "facts": {...}}. */
struct funding_submit_app {
	const char *applicant_type, *region, *commune, *theme;
	int64_t requested_minor, total_budget_minor;
	int64_t cofinancing_minor;
	int64_t beneficiaries_female, beneficiaries_male;
	int64_t gender_marker, now_ms, opens_ms, closes_ms;
};
struct funding_submit_facts {
	const char *state;
	const json_t *rules;
	struct funding_submit_app app;
};
extern const struct mp_fact funding_facts_submit[];
#define FUNDING_FACTS_SUBMIT                                                   \
	MP_OP_FACTS(funding_facts_submit, struct funding_submit_facts)

/* funding_appraisal_score_facts: {"grid"}, the call's scoring grid. */
struct funding_grid_facts {
	const json_t *grid;
};
extern const struct mp_fact funding_facts_grid[];
#define FUNDING_FACTS_GRID                                                     \
	MP_OP_FACTS(funding_facts_grid, struct funding_grid_facts)

/* A member of the region's ERC as the quorum and the tally see it. */
struct funding_member_facts {
	const char *id, *college;
	int present, conflicted;
};
struct funding_vote_facts {
	const char *member_id, *choice;
};

/* funding_erc_quorum_facts: {"quorum_bp", "members": [{"id", "college",
 * "present"}]}. */
struct funding_quorum_facts {
	int64_t quorum_bp;
	struct funding_member_facts *members;
	size_t n_members;
};
extern const struct mp_fact funding_facts_quorum[];
#define FUNDING_FACTS_QUORUM                                                   \
	MP_OP_FACTS(funding_facts_quorum, struct funding_quorum_facts)

/* funding_erc_tally_facts: {"members": [{"id", "college", "present",
 * "conflicted"}], "votes": [{"member_id", "choice"}]}. */
struct funding_tally_facts {
	struct funding_member_facts *members;
	size_t n_members;
	struct funding_vote_facts *votes;
	size_t n_votes;
};
extern const struct mp_fact funding_facts_tally[];
#define FUNDING_FACTS_TALLY                                                    \
	MP_OP_FACTS(funding_facts_tally, struct funding_tally_facts)

/* funding_agreement_facts: {"approved_minor"}. */
struct funding_agreement_facts {
	int64_t approved_minor;
};
extern const struct mp_fact funding_facts_agreement[];
#define FUNDING_FACTS_AGREEMENT                                                \
	MP_OP_FACTS(funding_facts_agreement, struct funding_agreement_facts)

/* funding_tranche_facts: {"condition", "signed", "milestones": [...]}. */
struct funding_release_facts {
	const char *condition;
	int is_signed;
	const char **milestones;
	size_t n_milestones;
};
extern const struct mp_fact funding_facts_release[];
#define FUNDING_FACTS_RELEASE                                                  \
	MP_OP_FACTS(funding_facts_release, struct funding_release_facts)

/* ---- decide steps ------------------------------------------------------ */

/* Facts funding_state_facts, body {"to"} (a state or an action), op->arg
 * the machine. Decision {"from", "to"}; 409 listing the allowed states
 * for an illegal change, 403 when the role may not make it. Application
 * changes made by a dedicated route (submission, ERC decisions,
 * signature) are refused with 409 naming it; "appraised" computes the
 * score from the facts' results (every non-conflicted appraiser must
 * have scored). */
int funding_decide_transition(struct mp_ctx *ctx, struct mp_run *run);

/* Submission: facts funding_submit_facts; decision
 * {"eligible": bool, "failed": [{"rule", "reason"}]}. */
int funding_decide_submit(struct mp_ctx *ctx, struct mp_run *run);

/* Call creation or change: the body's eligibility_rules and scoring_grid
 * are checked by the domain (400 naming the field). No facts. */
int funding_decide_call(struct mp_ctx *ctx, struct mp_run *run);

/* An appraiser's scores against the call's grid (funding_grid_facts):
 * decision {"result_bp"}; 400 listing every bad criterion. */
int funding_decide_scores(struct mp_ctx *ctx, struct mp_run *run);

/* Opening an ERC session (funding_quorum_facts): the quorum of the
 * attendance; 409 with the report when not met, else decision
 * {"quorum": report}. */
int funding_decide_quorum(struct mp_ctx *ctx, struct mp_run *run);

/* Recording the ERC's decision on one agenda item (funding_tally_facts):
 * the tally of the votes cast; decision {"decision", "for", "against",
 * "abstain"}. */
int funding_decide_tally(struct mp_ctx *ctx, struct mp_run *run);

/* A grant agreement's tranche schedule (funding_agreement_facts): amounts
 * summing to the committed amount, well-formed conditions (400 naming the
 * tranche). */
int funding_decide_schedule(struct mp_ctx *ctx, struct mp_run *run);

/* Releasing a tranche (funding_release_facts): its condition must be met
 * (409 otherwise). */
int funding_decide_release(struct mp_ctx *ctx, struct mp_run *run);

#endif /* FUNDING_DECIDE_H */
