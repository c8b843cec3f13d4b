/*
 * Transition tables of the funding service.
 *
 * Design note: every state change of a call, application, agreement,
 * tranche or report goes through one generic lookup over a static table, so
 * the rules live in one readable place and the 409 "allowed" list is derived
 * from the same data that decides.  Tables are small (tens of rows): a linear
 * scan is faster than any index and needs no initialisation.  Actions are
 * verbs ("submit", "withdraw"); clients may post either the verb or the
 * target state.
 *
 * Who does what (beyond the chain): an ERC decision is applied by the
 * service from the vote tally (SYSTEM) or recorded by a council officer acting
 * as the ERC secretariat; individual ERC members vote (see domain_quorum.c),
 * they do not move applications themselves.  "appraised -> rejected" closes
 * an application that is not shortlisted, and "waitlisted -> rejected" ends a
 * waiting list, so no application is left in a non-final state forever.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define R_APP FUNDING_ROLE_APPLICANT
#define R_OFF FUNDING_ROLE_COUNCIL_OFFICER
#define R_SYS FUNDING_ROLE_SYSTEM

static int state_index(const struct funding_machine *, const char *);
static int is_action(const struct funding_machine *, const char *);
static int collect_targets(const struct funding_machine *, const char *,
                           unsigned, const char **, size_t, size_t *);
static void set_err(char *, size_t, const char *, const char *, const char *);

/* ---- call ------------------------------------------------------------- */

/* NULL-terminated: also the enum of the `status` list filter. */
const char *const funding_call_states[] = {
    "draft", "published", "closed", "decided", "archived", NULL,
};

static const struct funding_transition call_transitions[] = {
    {"draft", "published", "publish", R_OFF},
    /* SYSTEM: closed automatically at the call's close date. */
    {"published", "closed", "close", R_OFF | R_SYS},
    {"closed", "decided", "decide", R_OFF | R_SYS},
    {"decided", "archived", "archive", R_OFF},
};

const struct funding_machine funding_machine_call = {
    "call",
    funding_call_states,
    ARRAY_LEN(funding_call_states) - 1,
    call_transitions,
    ARRAY_LEN(call_transitions),
};

/* ---- application ------------------------------------------------------ */

const char *const funding_application_states[] = {
    "draft",           "submitted",  "eligible",         "ineligible",
    "under_appraisal", "appraised",  "shortlisted",      "selected",
    "rejected",        "waitlisted", "agreement_signed", "in_progress",
    "completed",       "terminated", "withdrawn",        NULL,
};

/* Applied from the ERC tally, or recorded by the officer (secretariat). */
#define R_ERC (R_OFF | R_SYS)

static const struct funding_transition application_transitions[] = {
    {"draft", "submitted", "submit", R_APP},
    {"draft", "withdrawn", "withdraw", R_APP},
    /* The automatic eligibility check on submission. */
    {"submitted", "eligible", "mark_eligible", R_SYS},
    {"submitted", "ineligible", "mark_ineligible", R_SYS},
    {"submitted", "withdrawn", "withdraw", R_APP},
    {"eligible", "under_appraisal", "start_appraisal", R_OFF},
    {"eligible", "withdrawn", "withdraw", R_APP},
    /* SYSTEM: once every assigned appraiser has scored. */
    {"under_appraisal", "appraised", "complete_appraisal", R_OFF | R_SYS},
    {"under_appraisal", "withdrawn", "withdraw", R_APP},
    {"appraised", "shortlisted", "shortlist", R_OFF},
    {"appraised", "rejected", "reject", R_OFF},
    {"appraised", "withdrawn", "withdraw", R_APP},
    {"shortlisted", "selected", "select", R_ERC},
    {"shortlisted", "rejected", "reject", R_ERC},
    {"shortlisted", "waitlisted", "waitlist", R_ERC},
    {"shortlisted", "withdrawn", "withdraw", R_APP},
    {"waitlisted", "selected", "select", R_ERC},
    {"waitlisted", "rejected", "reject", R_ERC},
    {"selected", "agreement_signed", "sign_agreement", R_OFF | R_SYS},
    {"agreement_signed", "in_progress", "start", R_OFF | R_SYS},
    /* a project that never starts (its agreement is terminated) */
    {"agreement_signed", "terminated", "terminate", R_OFF},
    {"in_progress", "completed", "complete", R_OFF},
    {"in_progress", "terminated", "terminate", R_OFF},
};

const struct funding_machine funding_machine_application = {
    "application",
    funding_application_states,
    ARRAY_LEN(funding_application_states) - 1,
    application_transitions,
    ARRAY_LEN(application_transitions),
};

/* ---- agreement -------------------------------------------------------- */

static const char *const agreement_states[] = {
    "draft", "signed", "active", "closed", "terminated",
};

static const struct funding_transition agreement_transitions[] = {
    {"draft", "signed", "sign", R_OFF},
    /* SYSTEM: activated when its first tranche is released. */
    {"signed", "active", "activate", R_OFF | R_SYS},
    {"signed", "terminated", "terminate", R_OFF},
    {"active", "closed", "close", R_OFF},
    {"active", "terminated", "terminate", R_OFF},
};

const struct funding_machine funding_machine_agreement = {
    "agreement",
    agreement_states,
    ARRAY_LEN(agreement_states),
    agreement_transitions,
    ARRAY_LEN(agreement_transitions),
};

/* ---- tranche ---------------------------------------------------------- */

static const char *const tranche_states[] = {
    "planned",
    "releasable",
    "released",
};

static const struct funding_transition tranche_transitions[] = {
    /* SYSTEM: when its condition becomes met (signature, report). */
    {"planned", "releasable", "make_releasable", R_OFF | R_SYS},
    {"releasable", "released", "release", R_OFF},
};

const struct funding_machine funding_machine_tranche = {
    "tranche",
    tranche_states,
    ARRAY_LEN(tranche_states),
    tranche_transitions,
    ARRAY_LEN(tranche_transitions),
};

/* ---- report ----------------------------------------------------------- */

static const char *const report_states[] = {
    "draft",
    "submitted",
    "approved",
    "changes_requested",
};

static const struct funding_transition report_transitions[] = {
    {"draft", "submitted", "submit", R_APP},
    {"submitted", "approved", "approve", R_OFF},
    {"submitted", "changes_requested", "request_changes", R_OFF},
    {"changes_requested", "submitted", "submit", R_APP},
};

const struct funding_machine funding_machine_report = {
    "report",
    report_states,
    ARRAY_LEN(report_states),
    report_transitions,
    ARRAY_LEN(report_transitions),
};

const struct funding_machine *const funding_machines[] = {
    &funding_machine_call,      &funding_machine_application,
    &funding_machine_agreement, &funding_machine_tranche,
    &funding_machine_report,
};
const size_t funding_n_machines = ARRAY_LEN(funding_machines);

/* ---- lookup ----------------------------------------------------------- */

static int
state_index(const struct funding_machine *m, const char *s)
{
	size_t i;

	for (i = 0; i < m->n_states; i++) {
		if (strcmp(m->states[i], s) == 0)
			return (int)i;
	}
	return -1;
}

static int
is_action(const struct funding_machine *m, const char *s)
{
	size_t i;

	for (i = 0; i < m->n_transitions; i++) {
		if (strcmp(m->transitions[i].action, s) == 0)
			return 1;
	}
	return 0;
}

/*
 * Targets from `from` usable by role_mask, in table order; stores at most
 * cap of them and counts all of them.  They are distinct because (from, to)
 * is unique in a table (funding_machine_validate, run by the unit suite).
 */
static int
collect_targets(const struct funding_machine *m, const char *from,
                unsigned role_mask, const char **out, size_t cap, size_t *n_out)
{
	size_t i, n = 0;
	const struct funding_transition *t;

	for (i = 0; i < m->n_transitions; i++) {
		t = &m->transitions[i];
		if (strcmp(t->from, from) != 0 || (t->roles & role_mask) == 0)
			continue;
		if (n < cap)
			out[n] = t->to;
		n++;
	}
	*n_out = n;
	return 0;
}

int
funding_machine_targets(const struct funding_machine *m, const char *from,
                        unsigned role_mask, const char **out, size_t cap,
                        size_t *n_out)
{
	size_t dummy;

	if (n_out == NULL)
		n_out = &dummy;
	*n_out = 0;
	if (m == NULL || from == NULL || (out == NULL && cap > 0))
		return -EFAULT;
	if (state_index(m, from) < 0)
		return -ENOENT;
	return collect_targets(m, from, role_mask, out, cap, n_out);
}

int
funding_transition_check(const struct funding_machine *m, const char *from,
                         const char *to_or_action, unsigned role_mask,
                         const char **allowed_out, size_t allowed_cap,
                         size_t *n_allowed)
{
	size_t i, dummy;
	int found = 0;
	const struct funding_transition *t;

	if (n_allowed == NULL)
		n_allowed = &dummy;
	*n_allowed = 0;
	if (m == NULL || from == NULL || to_or_action == NULL ||
	    (allowed_out == NULL && allowed_cap > 0))
		return -EFAULT;
	if (state_index(m, from) < 0)
		return -ENOENT;
	collect_targets(m, from, ~0u, allowed_out, allowed_cap, n_allowed);

	for (i = 0; i < m->n_transitions; i++) {
		t = &m->transitions[i];
		if (strcmp(t->from, from) != 0)
			continue;
		if (strcmp(t->to, to_or_action) != 0 &&
		    strcmp(t->action, to_or_action) != 0)
			continue;
		if ((t->roles & role_mask) != 0)
			return 0;
		found = 1;
	}
	if (found)
		return -EPERM;
	if (state_index(m, to_or_action) < 0 && !is_action(m, to_or_action))
		return -ENOENT;
	return -EINVAL;
}

const char *
funding_transition_target(const struct funding_machine *m, const char *from,
                          const char *to_or_action)
{
	size_t i;
	const struct funding_transition *t;

	if (m == NULL || from == NULL || to_or_action == NULL)
		return NULL;
	for (i = 0; i < m->n_transitions; i++) {
		t = &m->transitions[i];
		if (strcmp(t->from, from) == 0 &&
		    (strcmp(t->to, to_or_action) == 0 ||
		     strcmp(t->action, to_or_action) == 0))
			return t->to;
	}
	return NULL;
}

const char *const *
funding_machine_states(const struct funding_machine *m, size_t *n)
{
	if (m == NULL) {
		if (n != NULL)
			*n = 0;
		return NULL;
	}
	if (n != NULL)
		*n = m->n_states;
	return m->states;
}

int
funding_machine_has_state(const struct funding_machine *m, const char *state)
{
	if (m == NULL || state == NULL)
		return 0;
	return state_index(m, state) >= 0;
}

int
funding_machine_is_terminal(const struct funding_machine *m, const char *state)
{
	size_t i;

	if (!funding_machine_has_state(m, state))
		return 0;
	for (i = 0; i < m->n_transitions; i++) {
		if (strcmp(m->transitions[i].from, state) == 0)
			return 0;
	}
	return 1;
}

const struct funding_machine *
funding_machine_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < funding_n_machines; i++) {
		if (strcmp(funding_machines[i]->name, name) == 0)
			return funding_machines[i];
	}
	return NULL;
}

/* ---- self-check ------------------------------------------------------- */

static void
set_err(char *err, size_t errlen, const char *what, const char *a,
        const char *b)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s%s%s", what, a, b ? " -> " : "",
		         b ? b : "");
}

int
funding_machine_validate(const struct funding_machine *m, char *err,
                         size_t errlen)
{
	size_t i, j, changed;
	const struct funding_transition *t, *u;
	unsigned char reach[64];

	if (m == NULL || m->states == NULL || m->n_states == 0 ||
	    m->n_states > sizeof(reach) ||
	    (m->transitions == NULL && m->n_transitions > 0)) {
		set_err(err, errlen, "bad machine", "", NULL);
		return -EINVAL;
	}
	for (i = 0; i < m->n_states; i++) {
		if (m->states[i] == NULL || m->states[i][0] == '\0') {
			set_err(err, errlen, "empty state name", "", NULL);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(m->states[i], m->states[j]) == 0) {
				set_err(err, errlen, "duplicate state",
				        m->states[i], NULL);
				return -EINVAL;
			}
		}
	}
	for (i = 0; i < m->n_transitions; i++) {
		t = &m->transitions[i];
		if (t->from == NULL || t->to == NULL || t->action == NULL ||
		    t->action[0] == '\0') {
			set_err(err, errlen, "incomplete transition", "", NULL);
			return -EINVAL;
		}
		if (state_index(m, t->from) < 0 || state_index(m, t->to) < 0) {
			set_err(err, errlen, "unknown state in", t->from,
			        t->to);
			return -EINVAL;
		}
		if (state_index(m, t->action) >= 0) {
			set_err(err, errlen, "action spelt like a state",
			        t->action, NULL);
			return -EINVAL;
		}
		if (t->roles == 0) {
			set_err(err, errlen, "no role may do", t->from, t->to);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			u = &m->transitions[j];
			if (strcmp(u->from, t->from) != 0)
				continue;
			if (strcmp(u->to, t->to) == 0 ||
			    strcmp(u->action, t->action) == 0) {
				set_err(err, errlen, "duplicate transition",
				        t->from, t->to);
				return -EINVAL;
			}
		}
	}
	/* Every state reachable from the initial one (fixpoint). */
	memset(reach, 0, sizeof(reach));
	reach[0] = 1;
	do {
		changed = 0;
		for (i = 0; i < m->n_transitions; i++) {
			t = &m->transitions[i];
			if (reach[state_index(m, t->from)] &&
			    !reach[state_index(m, t->to)]) {
				reach[state_index(m, t->to)] = 1;
				changed = 1;
			}
		}
	} while (changed);
	for (i = 0; i < m->n_states; i++) {
		if (!reach[i]) {
			set_err(err, errlen, "unreachable state", m->states[i],
			        NULL);
			return -EINVAL;
		}
	}
	return 0;
}
