/*
 * Envelope ledger arithmetic and tranche schedules.
 *
 * Design note: the database row is the source of truth and the handler
 * locks it (SELECT ... FOR UPDATE) for the transaction; these functions are
 * the arithmetic applied to the locked row, so the rule "never commit or
 * disburse more than there is" is written once.  Every operation checks the
 * invariant 0 <= disbursed <= committed <= allocated on entry (a corrupt row
 * is an error, not a starting point), checks its argument, and only then
 * writes, so a refused operation leaves the ledger exactly as it was.  All
 * sums are guarded before they are computed: int64 overflow is undefined
 * behaviour in C, so "check after" is not an option.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mp/util.h"

#include "domain.h"

#define REPORT_PREFIX "report_approved:"

static int parse_condition(const char *, const char **);

int
funding_ledger_valid(const struct funding_ledger *l)
{
	if (l == NULL)
		return -EINVAL;
	if (l->disbursed < 0 || l->disbursed > l->committed ||
	    l->committed > l->allocated)
		return -EINVAL;
	return 0;
}

int
funding_ledger_init(struct funding_ledger *l, int64_t allocated)
{
	if (l == NULL || allocated < 0)
		return -EINVAL;
	l->allocated = allocated;
	l->committed = 0;
	l->disbursed = 0;
	return 0;
}

int64_t
funding_ledger_available(const struct funding_ledger *l)
{
	if (funding_ledger_valid(l) != 0)
		return -1;
	return l->allocated - l->committed;
}

int
funding_ledger_allocate(struct funding_ledger *l, int64_t delta)
{
	if (delta == 0 || funding_ledger_valid(l) != 0)
		return -EINVAL;
	if (delta > 0 && l->allocated > INT64_MAX - delta)
		return -ERANGE;
	/* allocated >= 0, so allocated + delta >= INT64_MIN: no overflow. */
	if (delta < 0 && l->allocated + delta < 0)
		return -ERANGE;
	if (l->allocated + delta < l->committed)
		return -ENOSPC;
	l->allocated += delta;
	return 0;
}

int
funding_ledger_commit(struct funding_ledger *l, int64_t amount)
{
	if (amount <= 0 || funding_ledger_valid(l) != 0)
		return -EINVAL;
	if (l->committed > INT64_MAX - amount)
		return -ERANGE;
	if (amount > l->allocated - l->committed)
		return -ENOSPC;
	l->committed += amount;
	return 0;
}

int
funding_ledger_disburse(struct funding_ledger *l, int64_t amount)
{
	if (amount <= 0 || funding_ledger_valid(l) != 0)
		return -EINVAL;
	if (l->disbursed > INT64_MAX - amount)
		return -ERANGE;
	if (amount > l->committed - l->disbursed)
		return -ENOSPC;
	l->disbursed += amount;
	return 0;
}

int
funding_ledger_release_commitment(struct funding_ledger *l,
                                  int64_t project_committed,
                                  int64_t project_disbursed,
                                  int64_t *released_out)
{
	int64_t rest;

	if (project_committed < 0 || project_disbursed < 0 ||
	    project_disbursed > project_committed ||
	    funding_ledger_valid(l) != 0)
		return -EINVAL;
	rest = project_committed - project_disbursed;
	/*
	 * What the envelope still owes all its projects is committed -
	 * disbursed; one project's remainder cannot exceed it, else the
	 * inputs disagree with the ledger.
	 */
	if (rest > l->committed - l->disbursed)
		return -ENOSPC;
	l->committed -= rest;
	if (released_out != NULL)
		*released_out = rest;
	return 0;
}

/* ---- tranches --------------------------------------------------------- */

/*
 * Returns 0 for "signature" (*milestone NULL), 1 for a report condition
 * (*milestone points into cond), -EINVAL if malformed.
 */
static int
parse_condition(const char *cond, const char **milestone)
{
	size_t i, len;
	const char *ms;

	*milestone = NULL;
	if (cond == NULL)
		return -EINVAL;
	if (strcmp(cond, "signature") == 0)
		return 0;
	if (strncmp(cond, REPORT_PREFIX, strlen(REPORT_PREFIX)) != 0)
		return -EINVAL;
	ms = cond + strlen(REPORT_PREFIX);
	len = strnlen(ms, FUNDING_MILESTONE_MAX + 1);
	if (len == 0 || len > FUNDING_MILESTONE_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = ms[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return -EINVAL;
	}
	*milestone = ms;
	return 1;
}

int
funding_tranche_schedule_validate(const struct funding_tranche *t, size_t n,
                                  int64_t approved_minor, size_t *bad_index,
                                  char *err, size_t errlen)
{
	int64_t sum = 0;
	const char *ms;
	size_t i;

	mp_err_set(err, errlen, "%s", "");
	if (bad_index != NULL)
		*bad_index = n;
	if (approved_minor <= 0) {
		mp_err_set(err, errlen, "approved amount must be positive");
		return -EINVAL;
	}
	if (t == NULL || n == 0 || n > FUNDING_TRANCHES_MAX) {
		mp_err_set(err, errlen, "a schedule holds 1 to %d tranches",
		           FUNDING_TRANCHES_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (bad_index != NULL)
			*bad_index = i;
		if (t[i].amount_minor <= 0) {
			mp_err_set(err, errlen,
			           "tranche %zu: amount must be positive", i);
			return -EINVAL;
		}
		if (parse_condition(t[i].condition, &ms) < 0) {
			mp_err_set(
			    err, errlen,
			    "tranche %zu: condition must be \"signature\" or "
			    "\"" REPORT_PREFIX "<milestone>\"",
			    i);
			return -EINVAL;
		}
		if (sum > approved_minor - t[i].amount_minor) {
			mp_err_set(
			    err, errlen,
			    "tranche %zu: amounts exceed the approved %" PRId64,
			    i, approved_minor);
			return -EINVAL;
		}
		sum += t[i].amount_minor;
	}
	if (bad_index != NULL)
		*bad_index = n;
	if (sum != approved_minor) {
		mp_err_set(err, errlen,
		           "tranches sum to %" PRId64
		           ", not the approved %" PRId64,
		           sum, approved_minor);
		return -EINVAL;
	}
	if (bad_index != NULL)
		*bad_index = 0;
	return 0;
}

int
funding_tranche_condition_met(const char *condition,
                              const struct funding_tranche_facts *f)
{
	const char *ms;
	size_t i;
	int kind;

	if (f == NULL || (f->approved_milestones == NULL && f->n_approved > 0))
		return -EINVAL;
	if ((kind = parse_condition(condition, &ms)) < 0)
		return -EINVAL;
	if (kind == 0)
		return f->agreement_signed ? 1 : 0;
	/* A report can only be approved under a signed agreement. */
	if (!f->agreement_signed)
		return 0;
	for (i = 0; i < f->n_approved; i++) {
		if (f->approved_milestones[i] != NULL &&
		    strcmp(f->approved_milestones[i], ms) == 0)
			return 1;
	}
	return 0;
}
