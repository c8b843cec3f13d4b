/*
 * ERC quorum and vote tally.
 *
 * Design note: the ERC's legitimacy rests on two checks that must not drift
 * between code paths: enough members present, and every college (local
 * authorities, state services, civil society) represented, before any vote;
 * then one vote per present, non-conflicted member.  Both are pure functions
 * over the member list of one deliberation, so the handler loads the rows and
 * the rule is applied here only.  The share compare is cross-multiplied
 * integers (present * 10000 >= quorum_bp * total), never a float ratio.
 * Inputs that break the rules (a second vote, an absent or conflicted voter)
 * are refused as a whole rather than silently skipped: a tally built on
 * ignored votes would be a wrong decision recorded in the minutes.
 */
#include <errno.h>
#include <string.h>

#include "domain.h"

static int members_valid(const struct funding_member *, size_t);
static int member_index(const struct funding_member *, size_t, const char *);

static const char *const college_names[FUNDING_N_COLLEGES] = {
    "local_authority",
    "state_service",
    "civil_society",
};

static const char *const choice_names[] = {"for", "against", "abstain"};
static const char *const decision_names[] = {"selected", "rejected",
                                             "waitlisted"};

const char *
funding_college_name(int college)
{
	if (college < 0 || college >= FUNDING_N_COLLEGES)
		return NULL;
	return college_names[college];
}

int
funding_college_parse(const char *name, enum funding_college *out)
{
	int i;

	if (name == NULL || out == NULL)
		return -EINVAL;
	for (i = 0; i < FUNDING_N_COLLEGES; i++) {
		if (strcmp(name, college_names[i]) == 0) {
			*out = (enum funding_college)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
funding_vote_choice_name(int choice)
{
	if (choice < 0 || choice > FUNDING_VOTE_ABSTAIN)
		return NULL;
	return choice_names[choice];
}

int
funding_vote_choice_parse(const char *name, enum funding_vote_choice *out)
{
	int i;

	if (name == NULL || out == NULL)
		return -EINVAL;
	for (i = 0; i <= FUNDING_VOTE_ABSTAIN; i++) {
		if (strcmp(name, choice_names[i]) == 0) {
			*out = (enum funding_vote_choice)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
funding_decision_name(int decision)
{
	if (decision < 0 || decision > FUNDING_DECISION_WAITLISTED)
		return NULL;
	return decision_names[decision];
}

/*
 * 1..FUNDING_MEMBERS_MAX members, colleges in range, ids non-NULL and unique
 * (quadratic, at most 5*10^7 compares for the largest allowed ERC; real ones
 * have a few dozen members).
 */
static int
members_valid(const struct funding_member *m, size_t n)
{
	size_t i, j;

	if (m == NULL || n == 0 || n > FUNDING_MEMBERS_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (m[i].id == NULL || (int)m[i].college < 0 ||
		    (int)m[i].college >= FUNDING_N_COLLEGES)
			return 0;
		for (j = 0; j < i; j++) {
			if (strcmp(m[i].id, m[j].id) == 0)
				return 0;
		}
	}
	return 1;
}

static int
member_index(const struct funding_member *m, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(m[i].id, id) == 0)
			return (int)i;
	}
	return -1;
}

int
funding_quorum_check(const struct funding_member *m, size_t n, int quorum_bp,
                     struct funding_quorum_report *r)
{
	struct funding_quorum_report q;
	size_t i;
	int c;

	if (r == NULL || quorum_bp < 1 || quorum_bp > 10000 ||
	    !members_valid(m, n))
		return -EINVAL;
	memset(&q, 0, sizeof(q));
	q.total = n;
	for (i = 0; i < n; i++) {
		q.total_by_college[m[i].college]++;
		if (funding_member_may_vote(&m[i])) {
			q.present++;
			q.present_by_college[m[i].college]++;
		}
	}
	/* ceil(quorum_bp * total / 10000); n <= 10^4 so no overflow. */
	q.needed_present = ((size_t)quorum_bp * n + 9999) / 10000;
	q.share_met = q.present * 10000 >= (size_t)quorum_bp * n;
	q.colleges_met = true;
	for (c = 0; c < FUNDING_N_COLLEGES; c++) {
		if (q.present_by_college[c] == 0) {
			q.colleges_met = false;
			q.missing_colleges |= 1u << c;
		}
	}
	*r = q;
	return q.share_met && q.colleges_met ? 0 : 1;
}

int
funding_member_may_vote(const struct funding_member *m)
{
	return m != NULL && m->present && !m->conflicted;
}

int
funding_vote_tally(const struct funding_member *m, size_t n_members,
                   const struct funding_vote *v, size_t n_votes,
                   struct funding_tally *t, size_t *bad_vote)
{
	struct funding_tally r;
	size_t i, j;
	int idx;

	if (bad_vote != NULL)
		*bad_vote = 0;
	if (t == NULL || (v == NULL && n_votes > 0) ||
	    !members_valid(m, n_members))
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	for (i = 0; i < n_votes; i++) {
		if (bad_vote != NULL)
			*bad_vote = i;
		if (v[i].member_id == NULL || (int)v[i].choice < 0 ||
		    (int)v[i].choice > FUNDING_VOTE_ABSTAIN)
			return -EINVAL;
		if ((idx = member_index(m, n_members, v[i].member_id)) < 0)
			return -ENOENT;
		if (!funding_member_may_vote(&m[idx]))
			return -EPERM;
		for (j = 0; j < i; j++) {
			if (v[j].member_id != NULL &&
			    strcmp(v[j].member_id, v[i].member_id) == 0)
				return -EEXIST;
		}
		switch (v[i].choice) {
		case FUNDING_VOTE_FOR:
			r.votes_for++;
			break;
		case FUNDING_VOTE_AGAINST:
			r.votes_against++;
			break;
		case FUNDING_VOTE_ABSTAIN:
			r.abstentions++;
			break;
		}
	}
	if (bad_vote != NULL)
		*bad_vote = 0;
	r.cast = r.votes_for + r.votes_against;
	if (r.votes_for > r.votes_against)
		r.decision = FUNDING_DECISION_SELECTED;
	else if (r.votes_against > r.votes_for)
		r.decision = FUNDING_DECISION_REJECTED;
	else
		r.decision = FUNDING_DECISION_WAITLISTED;
	*t = r;
	return 0;
}
