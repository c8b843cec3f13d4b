/*
 * check_cases_rules.c: the rules of case work, written out literally (not
 * derived from the tables under test): every ordered pair of states of
 * both machines, the consent rules, certification expiry to the
 * millisecond and the outcomes of a completed referral.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/cases/src/domain.h"

struct expect {
	const char *state;
	const char *allowed[CASES_ALLOWED_MAX]; /* NULL-terminated */
};

static const struct expect case_expect[] = {
    {"open", {"in_progress", "closed"}},
    {"in_progress", {"resolved", "closed"}},
    {"resolved", {"in_progress", "closed"}},
    {"closed", {"in_progress"}},
    {NULL, {NULL}},
};

static const struct expect referral_expect[] = {
    {"proposed", {"sent", "cancelled"}},
    {"sent", {"accepted", "declined", "cancelled"}},
    {"accepted", {"completed", "cancelled"}},
    {"declined", {"completed"}},
    {"completed", {NULL}},
    {"cancelled", {NULL}},
    {NULL, {NULL}},
};

static void check_machine(const struct cases_machine *m,
                          const struct expect *ex);
static Suite *rules_suite(void);

static void
check_machine(const struct cases_machine *m, const struct expect *ex)
{
	const char *allowed[CASES_ALLOWED_MAX], *to;
	size_t n, k, want;

	for (const struct expect *f = ex; f->state != NULL; f++) {
		for (want = 0; f->allowed[want] != NULL; want++)
			;
		for (const struct expect *t = ex; t->state != NULL; t++) {
			int legal = 0, rc;

			for (k = 0; k < want; k++)
				legal |= strcmp(f->allowed[k], t->state) == 0;
			rc = cases_transition_check(m, f->state, t->state, &to,
			                            allowed, &n);
			ck_assert_msg(rc == (legal ? 0 : -EINVAL),
			              "%s: %s -> %s gave %d", m->name, f->state,
			              t->state, rc);
			if (legal)
				ck_assert_str_eq(to, t->state);
			ck_assert_uint_eq(n, want);
			for (k = 0; k < want; k++)
				ck_assert_str_eq(allowed[k], f->allowed[k]);
		}
	}
}

START_TEST(case_machine_every_pair)
{
	check_machine(&cases_machine_case, case_expect);
}
END_TEST

START_TEST(referral_machine_every_pair)
{
	check_machine(&cases_machine_referral, referral_expect);
}
END_TEST

START_TEST(actions_and_unknown_names)
{
	const char *allowed[CASES_ALLOWED_MAX], *to;
	size_t n;

	ck_assert_int_eq(cases_transition_check(&cases_machine_case, "open",
	                                        "start", &to, allowed, &n),
	                 0);
	ck_assert_str_eq(to, "in_progress");
	ck_assert_int_eq(cases_transition_check(&cases_machine_case, "closed",
	                                        "reopen", &to, allowed, &n),
	                 0);
	ck_assert_str_eq(to, "in_progress");
	/* an action of another state is illegal here, not unknown */
	ck_assert_int_eq(cases_transition_check(&cases_machine_case, "open",
	                                        "resolve", &to, allowed, &n),
	                 -EINVAL);
	ck_assert_int_eq(cases_transition_check(&cases_machine_case, "open",
	                                        "flying", &to, allowed, &n),
	                 -ENOENT);
	ck_assert_int_eq(cases_transition_check(&cases_machine_referral, "sent",
	                                        "resolved", &to, allowed, &n),
	                 -ENOENT);
	ck_assert_int_eq(cases_transition_check(&cases_machine_case, NULL,
	                                        "start", &to, allowed, &n),
	                 -ENOENT);
}
END_TEST

START_TEST(consent_rules)
{
	const char *svc = "0193a000-0000-7000-8000-000000000001";
	const char *other = "0193a000-0000-7000-8000-000000000002";
	struct cases_consent c[] = {
	    {"accompaniment", NULL, 1},
	    {"referral", svc, 0},
	    {"statistics", NULL, 0},
	};

	/* withdrawn: no accompaniment */
	ck_assert_int_eq(cases_consent_allows(c, 3, "accompaniment", NULL), 0);
	c[0].withdrawn = 0;
	ck_assert_int_eq(cases_consent_allows(c, 3, "accompaniment", NULL), 1);
	/* a referral consent names its service */
	ck_assert_int_eq(cases_consent_allows(c, 3, "referral", svc), 1);
	ck_assert_int_eq(cases_consent_allows(c, 3, "referral", other), 0);
	ck_assert_int_eq(cases_consent_allows(c, 3, "referral", NULL), 0);
	c[1].withdrawn = 1;
	ck_assert_int_eq(cases_consent_allows(c, 3, "referral", svc), 0);
	/* one purpose does not stand for another */
	ck_assert_int_eq(cases_consent_allows(c + 1, 2, "accompaniment", NULL),
	                 0);
	ck_assert_int_eq(cases_consent_allows(c, 3, NULL, NULL), 0);
	ck_assert_int_eq(cases_consent_allows(NULL, 0, "statistics", NULL), 0);
}
END_TEST

START_TEST(certification_expiry)
{
	int64_t until = 1800000000000LL;

	ck_assert_int_eq(cases_certified(until, until - 1), 1);
	/* expiry withdraws the right at that very millisecond */
	ck_assert_int_eq(cases_certified(until, until), 0);
	ck_assert_int_eq(cases_certified(until, until + 1), 0);
	/* never certified */
	ck_assert_int_eq(cases_certified(0, 1), 0);
}
END_TEST

START_TEST(referral_outcomes)
{
	const char *field, *why;

	ck_assert_int_eq(cases_outcome_check("accepted", "successful",
	                                     "need_met", &field, &why),
	                 0);
	ck_assert_int_eq(cases_outcome_check("declined", "unsuccessful",
	                                     "service_lacked_capacity", &field,
	                                     &why),
	                 0);
	ck_assert_int_eq(cases_outcome_check("declined", "successful",
	                                     "need_met", &field, &why),
	                 -EINVAL);
	ck_assert_str_eq(field, "outcome");
	ck_assert_int_eq(cases_outcome_check("accepted", "successful",
	                                     "person_refused", &field, &why),
	                 -EINVAL);
	ck_assert_str_eq(field, "outcome_reason");
	ck_assert_int_eq(cases_outcome_check("accepted", "unsuccessful",
	                                     "need_met", &field, &why),
	                 -EINVAL);
	ck_assert_str_eq(field, "outcome_reason");
	ck_assert_int_eq(
	    cases_outcome_check("accepted", "unsuccessful", NULL, &field, &why),
	    -EINVAL);
	ck_assert_int_eq(
	    cases_outcome_check("accepted", NULL, "need_met", &field, &why),
	    -EINVAL);
	ck_assert_str_eq(field, "outcome");
	ck_assert_int_eq(
	    cases_outcome_check("accepted", "maybe", "need_met", &field, &why),
	    -EINVAL);
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite *s = suite_create("cases_rules");
	TCase *t = tcase_create("rules");

	tcase_add_test(t, case_machine_every_pair);
	tcase_add_test(t, referral_machine_every_pair);
	tcase_add_test(t, actions_and_unknown_names);
	tcase_add_test(t, consent_rules);
	tcase_add_test(t, certification_expiry);
	tcase_add_test(t, referral_outcomes);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
