/*
 * Transition tables of the funding service.
 *
 * The expected tables below are written out literally (not derived from the
 * code under test): for every machine and every ordered pair of states the
 * suite checks legal/illegal, and every illegal pair checks the exact
 * "allowed" list a 409 would carry.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/funding/src/domain.h"

#define ALL_ROLES                                                              \
	(FUNDING_ROLE_APPLICANT | FUNDING_ROLE_COUNCIL_OFFICER |               \
	 FUNDING_ROLE_APPRAISER | FUNDING_ROLE_ERC_MEMBER |                    \
	 FUNDING_ROLE_ADMIN | FUNDING_ROLE_SYSTEM)
#define MAXN 8

struct expect {
	const char *state;
	const char *allowed[MAXN]; /* NULL-terminated, table order */
};

static const struct expect call_expect[] = {
    {"draft", {"published"}}, {"published", {"closed"}},
    {"closed", {"decided"}},  {"decided", {"archived"}},
    {"archived", {NULL}},     {NULL, {NULL}},
};

static const struct expect application_expect[] = {
    {"draft", {"submitted", "withdrawn"}},
    {"submitted", {"eligible", "ineligible", "withdrawn"}},
    {"eligible", {"under_appraisal", "withdrawn"}},
    {"ineligible", {NULL}},
    {"under_appraisal", {"appraised", "withdrawn"}},
    {"appraised", {"shortlisted", "rejected", "withdrawn"}},
    {"shortlisted", {"selected", "rejected", "waitlisted", "withdrawn"}},
    {"selected", {"agreement_signed"}},
    {"rejected", {NULL}},
    {"waitlisted", {"selected", "rejected"}},
    {"agreement_signed", {"in_progress", "terminated"}},
    {"in_progress", {"completed", "terminated"}},
    {"completed", {NULL}},
    {"terminated", {NULL}},
    {"withdrawn", {NULL}},
    {NULL, {NULL}},
};

static const struct expect agreement_expect[] = {
    {"draft", {"signed"}},
    {"signed", {"active", "terminated"}},
    {"active", {"closed", "terminated"}},
    {"closed", {NULL}},
    {"terminated", {NULL}},
    {NULL, {NULL}},
};

static const struct expect tranche_expect[] = {
    {"planned", {"releasable"}},
    {"releasable", {"released"}},
    {"released", {NULL}},
    {NULL, {NULL}},
};

static const struct expect report_expect[] = {
    {"draft", {"submitted"}}, {"submitted", {"approved", "changes_requested"}},
    {"approved", {NULL}},     {"changes_requested", {"submitted"}},
    {NULL, {NULL}},
};

static size_t
nlist(const char *const *l)
{
	size_t n = 0;

	while (n < MAXN && l[n] != NULL)
		n++;
	return n;
}

static int
in_expected(const struct expect *e, const char *to)
{
	size_t i;

	for (i = 0; i < nlist(e->allowed); i++) {
		if (strcmp(e->allowed[i], to) == 0)
			return 1;
	}
	return 0;
}

/* Exact list equality, order included. */
static void
assert_allowed(const struct expect *e, const char **got, size_t n_got)
{
	size_t i, n = nlist(e->allowed);

	ck_assert_msg(n_got == n, "%s: %zu allowed, expected %zu", e->state,
	              n_got, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(got[i], e->allowed[i]);
}

/* The machine's states are exactly those of the table, in order. */
static void
check_states(const struct funding_machine *m, const struct expect *ex)
{
	size_t n, i;
	const char *const *s = funding_machine_states(m, &n);

	for (i = 0; ex[i].state != NULL; i++) {
		ck_assert_uint_lt(i, n);
		ck_assert_str_eq(s[i], ex[i].state);
	}
	ck_assert_uint_eq(i, n);
}

/* Every ordered pair of states: legal iff listed; illegal lists allowed. */
static void
check_all_pairs(const struct funding_machine *m, const struct expect *ex)
{
	size_t i, j, n;
	const char *got[MAXN];
	int rc;

	for (i = 0; ex[i].state != NULL; i++) {
		for (j = 0; ex[j].state != NULL; j++) {
			memset(got, 0, sizeof(got));
			n = 999;
			rc = funding_transition_check(m, ex[i].state,
			                              ex[j].state, ALL_ROLES,
			                              got, MAXN, &n);
			if (in_expected(&ex[i], ex[j].state)) {
				ck_assert_msg(rc == 0, "%s: %s -> %s: %d",
				              m->name, ex[i].state, ex[j].state,
				              rc);
			} else {
				ck_assert_msg(
				    rc == -EINVAL,
				    "%s: %s -> %s should be illegal (%d)",
				    m->name, ex[i].state, ex[j].state, rc);
			}
			assert_allowed(&ex[i], got, n);
		}
		ck_assert_int_eq(funding_machine_is_terminal(m, ex[i].state),
		                 nlist(ex[i].allowed) == 0);
	}
}

START_TEST(test_tables_are_consistent)
{
	char err[128];
	size_t i;

	ck_assert_uint_eq(funding_n_machines, 5);
	for (i = 0; i < funding_n_machines; i++) {
		err[0] = '\0';
		ck_assert_msg(funding_machine_validate(funding_machines[i], err,
		                                       sizeof(err)) == 0,
		              "%s: %s", funding_machines[i]->name, err);
	}
}
END_TEST

START_TEST(test_call_machine)
{
	check_states(&funding_machine_call, call_expect);
	check_all_pairs(&funding_machine_call, call_expect);
}
END_TEST

START_TEST(test_application_machine)
{
	check_states(&funding_machine_application, application_expect);
	check_all_pairs(&funding_machine_application, application_expect);
}
END_TEST

START_TEST(test_agreement_machine)
{
	check_states(&funding_machine_agreement, agreement_expect);
	check_all_pairs(&funding_machine_agreement, agreement_expect);
}
END_TEST

START_TEST(test_tranche_machine)
{
	check_states(&funding_machine_tranche, tranche_expect);
	check_all_pairs(&funding_machine_tranche, tranche_expect);
}
END_TEST

START_TEST(test_report_machine)
{
	check_states(&funding_machine_report, report_expect);
	check_all_pairs(&funding_machine_report, report_expect);
}
END_TEST

START_TEST(test_by_name)
{
	ck_assert_ptr_eq(funding_machine_by_name("call"),
	                 &funding_machine_call);
	ck_assert_ptr_eq(funding_machine_by_name("application"),
	                 &funding_machine_application);
	ck_assert_ptr_eq(funding_machine_by_name("agreement"),
	                 &funding_machine_agreement);
	ck_assert_ptr_eq(funding_machine_by_name("tranche"),
	                 &funding_machine_tranche);
	ck_assert_ptr_eq(funding_machine_by_name("report"),
	                 &funding_machine_report);
	ck_assert_ptr_null(funding_machine_by_name("Call"));
	ck_assert_ptr_null(funding_machine_by_name(""));
	ck_assert_ptr_null(funding_machine_by_name(NULL));
}
END_TEST

/* The happy path of an application, each step by the role that does it. */
START_TEST(test_application_walk_by_action)
{
	static const struct {
		const char *from, *action, *to;
		unsigned role;
	} walk[] = {
	    {"draft", "submit", "submitted", FUNDING_ROLE_APPLICANT},
	    {"submitted", "mark_eligible", "eligible", FUNDING_ROLE_SYSTEM},
	    {"eligible", "start_appraisal", "under_appraisal",
	     FUNDING_ROLE_COUNCIL_OFFICER},
	    {"under_appraisal", "complete_appraisal", "appraised",
	     FUNDING_ROLE_SYSTEM},
	    {"appraised", "shortlist", "shortlisted",
	     FUNDING_ROLE_COUNCIL_OFFICER},
	    {"shortlisted", "waitlist", "waitlisted", FUNDING_ROLE_SYSTEM},
	    {"waitlisted", "select", "selected", FUNDING_ROLE_SYSTEM},
	    {"selected", "sign_agreement", "agreement_signed",
	     FUNDING_ROLE_COUNCIL_OFFICER},
	    {"agreement_signed", "start", "in_progress", FUNDING_ROLE_SYSTEM},
	    {"in_progress", "complete", "completed",
	     FUNDING_ROLE_COUNCIL_OFFICER},
	};
	const struct funding_machine *m = &funding_machine_application;
	const char *state = "draft";
	size_t i;

	for (i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		ck_assert_str_eq(state, walk[i].from);
		ck_assert_int_eq(
		    funding_transition_check(m, state, walk[i].action,
		                             walk[i].role, NULL, 0, NULL),
		    0);
		ck_assert_int_eq(funding_transition_check(m, state, walk[i].to,
		                                          walk[i].role, NULL, 0,
		                                          NULL),
		                 0);
		state = funding_transition_target(m, state, walk[i].action);
		ck_assert_ptr_nonnull(state);
		ck_assert_str_eq(state, walk[i].to);
	}
	ck_assert_int_eq(funding_machine_is_terminal(m, state), 1);
}
END_TEST

START_TEST(test_application_roles)
{
	const struct funding_machine *m = &funding_machine_application;
	const char *got[MAXN];
	size_t n;

	/* Eligibility is decided by the service only. */
	ck_assert_int_eq(funding_transition_check(m, "submitted", "eligible",
	                                          FUNDING_ROLE_APPLICANT, got,
	                                          MAXN, &n),
	                 -EPERM);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(got[0], "eligible");
	ck_assert_str_eq(got[1], "ineligible");
	ck_assert_str_eq(got[2], "withdrawn");
	ck_assert_int_eq(funding_transition_check(m, "submitted", "ineligible",
	                                          FUNDING_ROLE_COUNCIL_OFFICER |
	                                              FUNDING_ROLE_ADMIN,
	                                          NULL, 0, NULL),
	                 -EPERM);
	ck_assert_int_eq(
	    funding_transition_check(m, "submitted", "mark_ineligible",
	                             FUNDING_ROLE_SYSTEM, NULL, 0, NULL),
	    0);
	/* Only the applicant withdraws; only before a decision. */
	ck_assert_int_eq(funding_transition_check(m, "shortlisted", "withdraw",
	                                          FUNDING_ROLE_COUNCIL_OFFICER,
	                                          NULL, 0, NULL),
	                 -EPERM);
	ck_assert_int_eq(funding_transition_check(m, "shortlisted", "withdraw",
	                                          FUNDING_ROLE_APPLICANT, NULL,
	                                          0, NULL),
	                 0);
	ck_assert_int_eq(funding_transition_check(m, "selected", "withdraw",
	                                          FUNDING_ROLE_APPLICANT, got,
	                                          MAXN, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(got[0], "agreement_signed");
	ck_assert_int_eq(funding_transition_check(m, "waitlisted", "withdrawn",
	                                          FUNDING_ROLE_APPLICANT, got,
	                                          MAXN, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(got[0], "selected");
	ck_assert_str_eq(got[1], "rejected");
	/* ERC decisions: not by an applicant, appraiser or single member. */
	ck_assert_int_eq(funding_transition_check(m, "shortlisted", "selected",
	                                          FUNDING_ROLE_APPLICANT |
	                                              FUNDING_ROLE_APPRAISER |
	                                              FUNDING_ROLE_ERC_MEMBER,
	                                          NULL, 0, NULL),
	                 -EPERM);
	ck_assert_int_eq(funding_transition_check(m, "waitlisted", "select",
	                                          FUNDING_ROLE_COUNCIL_OFFICER,
	                                          NULL, 0, NULL),
	                 0);
	/* No role at all. */
	ck_assert_int_eq(
	    funding_transition_check(m, "draft", "submit", 0, NULL, 0, NULL),
	    -EPERM);
	/* An applicant cannot submit on an officer's behalf and vice versa. */
	ck_assert_int_eq(funding_transition_check(m, "draft", "submitted",
	                                          FUNDING_ROLE_COUNCIL_OFFICER,
	                                          NULL, 0, NULL),
	                 -EPERM);
	ck_assert_int_eq(
	    funding_transition_check(m, "in_progress", "terminated",
	                             FUNDING_ROLE_APPLICANT, NULL, 0, NULL),
	    -EPERM);
}
END_TEST

#define APP FUNDING_ROLE_APPLICANT
#define OFF FUNDING_ROLE_COUNCIL_OFFICER
#define SYS FUNDING_ROLE_SYSTEM

/* Who may do each transition, written out; checked role by role. */
static const struct {
	const struct funding_machine *m;
	const char *from, *to;
	unsigned roles;
} who[] = {
    {&funding_machine_call, "draft", "published", OFF},
    {&funding_machine_call, "published", "closed", OFF | SYS},
    {&funding_machine_call, "closed", "decided", OFF | SYS},
    {&funding_machine_call, "decided", "archived", OFF},
    {&funding_machine_application, "draft", "submitted", APP},
    {&funding_machine_application, "draft", "withdrawn", APP},
    {&funding_machine_application, "submitted", "eligible", SYS},
    {&funding_machine_application, "submitted", "ineligible", SYS},
    {&funding_machine_application, "submitted", "withdrawn", APP},
    {&funding_machine_application, "eligible", "under_appraisal", OFF},
    {&funding_machine_application, "eligible", "withdrawn", APP},
    {&funding_machine_application, "under_appraisal", "appraised", OFF | SYS},
    {&funding_machine_application, "under_appraisal", "withdrawn", APP},
    {&funding_machine_application, "appraised", "shortlisted", OFF},
    {&funding_machine_application, "appraised", "rejected", OFF},
    {&funding_machine_application, "appraised", "withdrawn", APP},
    {&funding_machine_application, "shortlisted", "selected", OFF | SYS},
    {&funding_machine_application, "shortlisted", "rejected", OFF | SYS},
    {&funding_machine_application, "shortlisted", "waitlisted", OFF | SYS},
    {&funding_machine_application, "shortlisted", "withdrawn", APP},
    {&funding_machine_application, "waitlisted", "selected", OFF | SYS},
    {&funding_machine_application, "waitlisted", "rejected", OFF | SYS},
    {&funding_machine_application, "selected", "agreement_signed", OFF | SYS},
    {&funding_machine_application, "agreement_signed", "in_progress",
     OFF | SYS},
    {&funding_machine_application, "agreement_signed", "terminated", OFF},
    {&funding_machine_application, "in_progress", "completed", OFF},
    {&funding_machine_application, "in_progress", "terminated", OFF},
    {&funding_machine_agreement, "draft", "signed", OFF},
    {&funding_machine_agreement, "signed", "active", OFF | SYS},
    {&funding_machine_agreement, "signed", "terminated", OFF},
    {&funding_machine_agreement, "active", "closed", OFF},
    {&funding_machine_agreement, "active", "terminated", OFF},
    {&funding_machine_tranche, "planned", "releasable", OFF | SYS},
    {&funding_machine_tranche, "releasable", "released", OFF},
    {&funding_machine_report, "draft", "submitted", APP},
    {&funding_machine_report, "submitted", "approved", OFF},
    {&funding_machine_report, "submitted", "changes_requested", OFF},
    {&funding_machine_report, "changes_requested", "submitted", APP},
};

START_TEST(test_role_matrix)
{
	static const unsigned roles[] = {
	    FUNDING_ROLE_APPLICANT, FUNDING_ROLE_COUNCIL_OFFICER,
	    FUNDING_ROLE_APPRAISER, FUNDING_ROLE_ERC_MEMBER,
	    FUNDING_ROLE_ADMIN,     FUNDING_ROLE_SYSTEM,
	};
	size_t i, j, k, n_tr = 0;
	int rc;

	for (i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		for (j = 0; j < sizeof(roles) / sizeof(roles[0]); j++) {
			rc = funding_transition_check(who[i].m, who[i].from,
			                              who[i].to, roles[j], NULL,
			                              0, NULL);
			ck_assert_msg(
			    rc == ((who[i].roles & roles[j]) ? 0 : -EPERM),
			    "%s %s -> %s by role %#x: %d", who[i].m->name,
			    who[i].from, who[i].to, roles[j], rc);
		}
	}
	/* ...and the list above is the whole of every table. */
	for (k = 0; k < funding_n_machines; k++)
		n_tr += funding_machines[k]->n_transitions;
	ck_assert_uint_eq(n_tr, sizeof(who) / sizeof(who[0]));
	/* Role bits are the agreed values. */
	ck_assert_uint_eq(FUNDING_ROLE_APPLICANT, 1);
	ck_assert_uint_eq(FUNDING_ROLE_COUNCIL_OFFICER, 2);
	ck_assert_uint_eq(FUNDING_ROLE_APPRAISER, 4);
	ck_assert_uint_eq(FUNDING_ROLE_ERC_MEMBER, 8);
	ck_assert_uint_eq(FUNDING_ROLE_ADMIN, 128);
	ck_assert_uint_eq(FUNDING_ROLE_SYSTEM, 32768);
}
END_TEST

START_TEST(test_other_machine_roles)
{
	ck_assert_int_eq(
	    funding_transition_check(&funding_machine_call, "draft", "publish",
	                             FUNDING_ROLE_APPLICANT, NULL, 0, NULL),
	    -EPERM);
	ck_assert_int_eq(funding_transition_check(
	                     &funding_machine_call, "published", "close",
	                     FUNDING_ROLE_SYSTEM, NULL, 0, NULL),
	                 0);
	ck_assert_int_eq(funding_transition_check(
	                     &funding_machine_report, "submitted", "approve",
	                     FUNDING_ROLE_APPLICANT, NULL, 0, NULL),
	                 -EPERM);
	ck_assert_int_eq(funding_transition_check(
	                     &funding_machine_report, "changes_requested",
	                     "submit", FUNDING_ROLE_APPLICANT, NULL, 0, NULL),
	                 0);
	ck_assert_int_eq(funding_transition_check(
	                     &funding_machine_tranche, "releasable", "release",
	                     FUNDING_ROLE_SYSTEM, NULL, 0, NULL),
	                 -EPERM);
	ck_assert_int_eq(funding_transition_check(
	                     &funding_machine_agreement, "draft", "sign",
	                     FUNDING_ROLE_COUNCIL_OFFICER, NULL, 0, NULL),
	                 0);
}
END_TEST

START_TEST(test_role_filtered_targets)
{
	const struct funding_machine *m = &funding_machine_application;
	const char *got[MAXN];
	size_t n;

	ck_assert_int_eq(funding_machine_targets(m, "shortlisted",
	                                         FUNDING_ROLE_APPLICANT, got,
	                                         MAXN, &n),
	                 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(got[0], "withdrawn");
	ck_assert_int_eq(funding_machine_targets(m, "shortlisted",
	                                         FUNDING_ROLE_SYSTEM, got, MAXN,
	                                         &n),
	                 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(got[0], "selected");
	ck_assert_str_eq(got[1], "rejected");
	ck_assert_str_eq(got[2], "waitlisted");
	ck_assert_int_eq(funding_machine_targets(m, "draft",
	                                         FUNDING_ROLE_COUNCIL_OFFICER,
	                                         got, MAXN, &n),
	                 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(funding_machine_targets(m, "nope", ~0u, got, MAXN, &n),
	                 -ENOENT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(
	    funding_machine_targets(NULL, "draft", ~0u, got, MAXN, &n),
	    -EFAULT);
	ck_assert_int_eq(funding_machine_targets(m, "draft", ~0u, NULL, 1, &n),
	                 -EFAULT);
}
END_TEST

START_TEST(test_illegal_by_action_name)
{
	const struct funding_machine *m = &funding_machine_application;
	const char *got[MAXN];
	size_t n;

	/* "submit" exists, but not from "eligible". */
	ck_assert_int_eq(funding_transition_check(m, "eligible", "submit",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(got[0], "under_appraisal");
	ck_assert_str_eq(got[1], "withdrawn");
	/* Skipping a step: draft straight to eligible. */
	ck_assert_int_eq(funding_transition_check(m, "draft", "mark_eligible",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(got[0], "submitted");
	ck_assert_str_eq(got[1], "withdrawn");
	/* Same state again is not a transition. */
	ck_assert_int_eq(funding_transition_check(m, "submitted", "submitted",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 3);
	/* Going back. */
	ck_assert_int_eq(funding_transition_check(m, "completed", "in_progress",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(funding_transition_target(m, "completed", "start"));
	ck_assert_ptr_null(funding_transition_target(m, "draft", "bogus"));
	ck_assert_ptr_null(funding_transition_target(m, NULL, "submit"));
	ck_assert_str_eq(funding_transition_target(m, "draft", "withdrawn"),
	                 "withdrawn");
}
END_TEST

START_TEST(test_unknown_states)
{
	const struct funding_machine *m = &funding_machine_application;
	const char *got[MAXN];
	size_t n = 77;

	/* Unknown `from`: nothing listed. */
	ck_assert_int_eq(funding_transition_check(m, "Draft", "submitted",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -ENOENT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(funding_transition_check(m, "", "submitted", ALL_ROLES,
	                                          got, MAXN, &n),
	                 -ENOENT);
	ck_assert_int_eq(funding_transition_check(m, "published", "closed",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -ENOENT);
	/* Unknown target: -ENOENT, and the allowed list is still given. */
	ck_assert_int_eq(funding_transition_check(m, "draft", "approved",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -ENOENT);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(got[0], "submitted");
	ck_assert_str_eq(got[1], "withdrawn");
	ck_assert_int_eq(
	    funding_transition_check(m, "draft", "", ALL_ROLES, got, MAXN, &n),
	    -ENOENT);
	ck_assert_int_eq(funding_transition_check(m, "draft", "publish",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -ENOENT);
	ck_assert_int_eq(funding_transition_check(m, "draft",
	                                          "submitted\xff\xfe",
	                                          ALL_ROLES, got, MAXN, &n),
	                 -ENOENT);
	ck_assert_int_eq(funding_machine_has_state(m, "withdrawn"), 1);
	ck_assert_int_eq(funding_machine_has_state(m, "withdraw"), 0);
	ck_assert_int_eq(funding_machine_has_state(m, NULL), 0);
	ck_assert_int_eq(funding_machine_is_terminal(m, "nope"), 0);
}
END_TEST

START_TEST(test_allowed_capacity)
{
	const struct funding_machine *m = &funding_machine_application;
	const char *got[4] = {"x", "x", "x", "x"};
	size_t n;

	/* Room for 2 of 4: 2 written, count says 4, the rest untouched. */
	ck_assert_int_eq(funding_transition_check(m, "shortlisted", "draft",
	                                          ALL_ROLES, got, 2, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(got[0], "selected");
	ck_assert_str_eq(got[1], "rejected");
	ck_assert_str_eq(got[2], "x");
	ck_assert_str_eq(got[3], "x");
	/* No room at all: only the count. */
	ck_assert_int_eq(funding_transition_check(m, "shortlisted", "draft",
	                                          ALL_ROLES, NULL, 0, &n),
	                 -EINVAL);
	ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(test_null_arguments)
{
	const struct funding_machine *m = &funding_machine_call;
	size_t n = 5;

	ck_assert_int_eq(funding_transition_check(NULL, "draft", "published",
	                                          ALL_ROLES, NULL, 0, &n),
	                 -EFAULT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(funding_transition_check(m, NULL, "published",
	                                          ALL_ROLES, NULL, 0, &n),
	                 -EFAULT);
	ck_assert_int_eq(
	    funding_transition_check(m, "draft", NULL, ALL_ROLES, NULL, 0, &n),
	    -EFAULT);
	ck_assert_int_eq(funding_transition_check(m, "draft", "published",
	                                          ALL_ROLES, NULL, 3, &n),
	                 -EFAULT);
	ck_assert_ptr_null(funding_machine_states(NULL, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(funding_machine_validate(NULL, NULL, 0), -EINVAL);
}
END_TEST

/* The self-check refuses broken tables (so a bad edit fails the suite). */
START_TEST(test_validate_rejects_broken_tables)
{
	static const char *const st[] = {"a", "b", "c"};
	static const char *const dup_st[] = {"a", "b", "a"};
	static const struct funding_transition ok[] = {
	    {"a", "b", "go", 1},
	    {"b", "c", "go", 1},
	};
	static const struct funding_transition unknown[] = {
	    {"a", "b", "go", 1},
	    {"b", "z", "go", 1},
	};
	static const struct funding_transition no_role[] = {
	    {"a", "b", "go", 1},
	    {"b", "c", "go", 0},
	};
	static const struct funding_transition like_state[] = {
	    {"a", "b", "b", 1},
	    {"b", "c", "go", 1},
	};
	static const struct funding_transition dup_action[] = {
	    {"a", "b", "go", 1},
	    {"a", "c", "go", 1},
	};
	static const struct funding_transition dup_pair[] = {
	    {"a", "b", "go", 1},
	    {"a", "b", "run", 1},
	    {"b", "c", "go", 1},
	};
	static const struct funding_transition unreachable[] = {
	    {"a", "b", "go", 1},
	};
	struct funding_machine m = {"t", st, 3, ok, 2};
	char err[96];

	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)), 0);
	m.states = dup_st;
	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "duplicate state"));
	m.states = st;
	m.transitions = unknown;
	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown state"));
	m.transitions = no_role;
	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)),
	                 -EINVAL);
	m.transitions = like_state;
	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)),
	                 -EINVAL);
	m.transitions = dup_action;
	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)),
	                 -EINVAL);
	m.transitions = dup_pair;
	m.n_transitions = 3;
	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)),
	                 -EINVAL);
	m.transitions = unreachable;
	m.n_transitions = 1;
	ck_assert_int_eq(funding_machine_validate(&m, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unreachable state: c"));
	m.n_states = 0;
	ck_assert_int_eq(funding_machine_validate(&m, NULL, 0), -EINVAL);
}
END_TEST

static Suite *
transitions_suite(void)
{
	Suite *s = suite_create("funding_transitions");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tables_are_consistent);
	tcase_add_test(tc, test_call_machine);
	tcase_add_test(tc, test_application_machine);
	tcase_add_test(tc, test_agreement_machine);
	tcase_add_test(tc, test_tranche_machine);
	tcase_add_test(tc, test_report_machine);
	tcase_add_test(tc, test_by_name);
	tcase_add_test(tc, test_application_walk_by_action);
	tcase_add_test(tc, test_application_roles);
	tcase_add_test(tc, test_role_matrix);
	tcase_add_test(tc, test_other_machine_roles);
	tcase_add_test(tc, test_role_filtered_targets);
	tcase_add_test(tc, test_illegal_by_action_name);
	tcase_add_test(tc, test_unknown_states);
	tcase_add_test(tc, test_allowed_capacity);
	tcase_add_test(tc, test_null_arguments);
	tcase_add_test(tc, test_validate_rejects_broken_tables);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(transitions_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
