/*
 * The rules of case work (domain.h): the two transition tables, consent,
 * certification and the outcome of a referral. Pure functions of their
 * arguments, so the service and its unit suite see the same answers; the
 * SQL re-checks each of them under its row locks.
 */
#include <errno.h>
#include <string.h>

#include "domain.h"

static const char *const case_states[] = {"open", "in_progress", "resolved",
                                          "closed", NULL};
static const struct cases_edge case_edges[] = {
    {"open", "start", "in_progress"},       {"open", "close", "closed"},
    {"in_progress", "resolve", "resolved"}, {"in_progress", "close", "closed"},
    {"resolved", "reopen", "in_progress"},  {"resolved", "close", "closed"},
    {"closed", "reopen", "in_progress"},    {NULL, NULL, NULL},
};

static const char *const referral_states[] = {
    "proposed", "sent", "accepted", "declined", "completed", "cancelled", NULL};
static const struct cases_edge referral_edges[] = {
    {"proposed", "send", "sent"},
    {"proposed", "cancel", "cancelled"},
    {"sent", "accept", "accepted"},
    {"sent", "decline", "declined"},
    {"sent", "cancel", "cancelled"},
    {"accepted", "complete", "completed"},
    {"accepted", "cancel", "cancelled"},
    {"declined", "complete", "completed"},
    {NULL, NULL, NULL},
};

const struct cases_machine cases_machine_case = {"case", case_states,
                                                 case_edges};
const struct cases_machine cases_machine_referral = {
    "referral", referral_states, referral_edges};

static int is_state(const struct cases_machine *m, const char *s);
static int is_action(const struct cases_machine *m, const char *s);

static int
is_state(const struct cases_machine *m, const char *s)
{
	for (size_t i = 0; m->states[i] != NULL; i++)
		if (strcmp(m->states[i], s) == 0)
			return 1;
	return 0;
}

static int
is_action(const struct cases_machine *m, const char *s)
{
	for (const struct cases_edge *e = m->edges; e->from != NULL; e++)
		if (strcmp(e->action, s) == 0)
			return 1;
	return 0;
}

int
cases_transition_check(const struct cases_machine *m, const char *from,
                       const char *want, const char **to, const char **allowed,
                       size_t *n)
{
	const struct cases_edge *e;
	int rc = -EINVAL;

	*n = 0;
	*to = NULL;
	if (m == NULL || from == NULL || want == NULL)
		return -ENOENT;
	for (e = m->edges; e->from != NULL; e++) {
		if (strcmp(e->from, from) != 0)
			continue;
		if (*n < CASES_ALLOWED_MAX)
			allowed[(*n)++] = e->to;
		if (rc != 0 && (strcmp(e->to, want) == 0 ||
		                strcmp(e->action, want) == 0)) {
			*to = e->to;
			rc = 0;
		}
	}
	if (rc != 0 && !is_state(m, want) && !is_action(m, want))
		return -ENOENT;
	return rc;
}

int
cases_consent_allows(const struct cases_consent *c, size_t n,
                     const char *purpose, const char *service_id)
{
	int referral;

	if (purpose == NULL)
		return 0;
	referral = strcmp(purpose, "referral") == 0;
	if (referral && service_id == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].withdrawn || c[i].purpose == NULL ||
		    strcmp(c[i].purpose, purpose) != 0)
			continue;
		if (!referral)
			return 1;
		if (c[i].service_id != NULL &&
		    strcmp(c[i].service_id, service_id) == 0)
			return 1;
	}
	return 0;
}

int
cases_certified(int64_t until_ms, int64_t now_ms)
{
	return until_ms > 0 && now_ms < until_ms;
}

int
cases_outcome_check(const char *from, const char *outcome, const char *reason,
                    const char **field, const char **why)
{
	static const char *const failures[] = {
	    "person_refused",     "service_lacked_capacity",
	    "person_unreachable", "service_unreachable",
	    "need_disappeared",   NULL};
	size_t i;

	*field = "outcome";
	if (outcome == NULL) {
		*why = "required to complete a referral";
		return -EINVAL;
	}
	if (strcmp(outcome, "successful") == 0) {
		if (from == NULL || strcmp(from, "accepted") != 0) {
			*why = "a declined referral cannot be successful";
			return -EINVAL;
		}
		*field = "outcome_reason";
		if (reason == NULL || strcmp(reason, "need_met") != 0) {
			*why = "a successful referral has the reason need_met";
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(outcome, "unsuccessful") != 0) {
		*why = "one of successful, unsuccessful";
		return -EINVAL;
	}
	*field = "outcome_reason";
	for (i = 0; reason != NULL && failures[i] != NULL; i++)
		if (strcmp(reason, failures[i]) == 0)
			return 0;
	*why = "one of person_refused, service_lacked_capacity, "
	       "person_unreachable, service_unreachable, need_disappeared";
	return -EINVAL;
}
