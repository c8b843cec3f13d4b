/*
 * The pure decisions of the funding routes (run.h's decide step): each
 * reads the facts its load statement returned and the validated body,
 * calls the domain functions of domain_*.c and either sets run->decision
 * or answers the refusal itself.
 */
#ifndef FUNDING_DECIDE_H
#define FUNDING_DECIDE_H

#include "run.h"

/* Facts {"state"}, body {"to"} (a state or an action), op->arg the
 * machine. Decision {"from", "to"}; 409 listing the allowed states for an
 * illegal change, 403 when the role may not make it. Application changes
 * made by a dedicated route (submission, ERC decisions, signature) are
 * refused with 409 naming it; "appraised" computes the score from the
 * facts' "results" (every non-conflicted appraiser must have scored). */
int funding_decide_transition(struct mp_ctx *ctx, struct funding_run *run);

/* Submission: facts of the application and its call's rules; decision
 * {"eligible": bool, "failed": [{"rule", "reason"}]}. */
int funding_decide_submit(struct mp_ctx *ctx, struct funding_run *run);

/* Call creation or change: the body's eligibility_rules and scoring_grid
 * are checked by the domain (400 naming the field). */
int funding_decide_call(struct mp_ctx *ctx, struct funding_run *run);

/* An appraiser's scores against the call's grid: decision {"result_bp"};
 * 400 listing every bad criterion. */
int funding_decide_scores(struct mp_ctx *ctx, struct funding_run *run);

/* Opening an ERC session: the quorum of the attendance; 409 with the
 * report when not met, else decision {"quorum": report}. */
int funding_decide_quorum(struct mp_ctx *ctx, struct funding_run *run);

/* Recording the ERC's decision on one agenda item: the tally of the votes
 * cast; decision {"decision", "for", "against", "abstain"}. */
int funding_decide_tally(struct mp_ctx *ctx, struct funding_run *run);

/* A grant agreement's tranche schedule: amounts summing to the committed
 * amount, well-formed conditions (400 naming the tranche). */
int funding_decide_schedule(struct mp_ctx *ctx, struct funding_run *run);

/* Releasing a tranche: its condition must be met (409 otherwise). */
int funding_decide_release(struct mp_ctx *ctx, struct funding_run *run);

#endif /* FUNDING_DECIDE_H */
