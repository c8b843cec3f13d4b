/*
 * ERC quorum and vote tally.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/funding/src/domain.h"

#define LA FUNDING_COLLEGE_LOCAL_AUTHORITY
#define SS FUNDING_COLLEGE_STATE_SERVICE
#define CS FUNDING_COLLEGE_CIVIL_SOCIETY

/* Nine members, three per college; callers flip presence/conflicts. */
static void
nine(struct funding_member m[9])
{
	static const char *const ids[9] = {
	    "la1", "la2", "la3", "ss1", "ss2", "ss3", "cs1", "cs2", "cs3",
	};
	int i;

	for (i = 0; i < 9; i++) {
		m[i].id = ids[i];
		m[i].college = (enum funding_college)(i / 3);
		m[i].present = true;
		m[i].conflicted = false;
	}
}

START_TEST(test_quorum_met)
{
	struct funding_member m[9];
	struct funding_quorum_report r;

	nine(m);
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), 0);
	ck_assert_uint_eq(r.total, 9);
	ck_assert_uint_eq(r.present, 9);
	ck_assert_uint_eq(r.needed_present, 5); /* ceil(4.5) */
	ck_assert(r.share_met);
	ck_assert(r.colleges_met);
	ck_assert_uint_eq(r.missing_colleges, 0);
	ck_assert_uint_eq(r.total_by_college[CS], 3);
	ck_assert_uint_eq(r.present_by_college[SS], 3);
	/* 10000 bp: everyone must be there. */
	ck_assert_int_eq(funding_quorum_check(m, 9, 10000, &r), 0);
	m[4].present = false;
	ck_assert_int_eq(funding_quorum_check(m, 9, 10000, &r), 1);
	ck_assert(!r.share_met);
	ck_assert_uint_eq(r.needed_present, 9);
}
END_TEST

/* present * 10000 >= quorum_bp * total, exactly, at the boundary. */
START_TEST(test_quorum_share_boundary)
{
	struct funding_member m[9];
	struct funding_quorum_report r;
	int i;

	nine(m);
	m[0].present = m[3].present = m[6].present = false; /* 6 of 9 */
	/* 6/9 = 6666.67 bp: meets 6666, not 6667. */
	ck_assert_int_eq(funding_quorum_check(m, 9, 6666, &r), 0);
	ck_assert_uint_eq(r.needed_present, 6);
	ck_assert_int_eq(funding_quorum_check(m, 9, 6667, &r), 1);
	ck_assert(!r.share_met);
	ck_assert(r.colleges_met);
	ck_assert_uint_eq(r.present, 6);
	ck_assert_uint_eq(r.needed_present, 7);
	/* Exactly half of 8 (la2..cs3), every college there. */
	nine(m);
	m[3].present = m[4].present = m[6].present = m[7].present = false;
	ck_assert_int_eq(funding_quorum_check(m + 1, 8, 5000, &r), 0);
	ck_assert_uint_eq(r.present, 4);
	ck_assert_uint_eq(r.needed_present, 4);
	m[2].present = false; /* 3 of 8 */
	ck_assert_int_eq(funding_quorum_check(m + 1, 8, 5000, &r), 1);
	ck_assert(!r.share_met);
	ck_assert(r.colleges_met);
	/* Lowest quorum: 1 bp of 9 members needs one person. */
	nine(m);
	for (i = 1; i < 9; i++)
		m[i].present = false;
	ck_assert_int_eq(funding_quorum_check(m, 9, 1, &r), 1);
	ck_assert(r.share_met); /* but two colleges are missing */
	ck_assert_uint_eq(r.missing_colleges, (1u << SS) | (1u << CS));
	ck_assert_uint_eq(r.needed_present, 1);
}
END_TEST

START_TEST(test_quorum_college_missing)
{
	struct funding_member m[9];
	struct funding_quorum_report r;

	nine(m);
	m[6].present = m[7].present = m[8].present = false;
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), 1);
	ck_assert(r.share_met);
	ck_assert(!r.colleges_met);
	ck_assert_uint_eq(r.missing_colleges, 1u << CS);
	ck_assert_uint_eq(r.present_by_college[CS], 0);
	ck_assert_uint_eq(r.present_by_college[LA], 3);
	ck_assert_uint_eq(r.total_by_college[CS], 3);
	/* Two colleges missing. */
	m[0].present = m[1].present = m[2].present = false;
	ck_assert_int_eq(funding_quorum_check(m, 9, 3000, &r), 1);
	ck_assert_uint_eq(r.missing_colleges, (1u << CS) | (1u << LA));
	/* A college with no members at all is missing too. */
	ck_assert_int_eq(funding_quorum_check(m + 3, 3, 5000, &r), 1);
	ck_assert_uint_eq(r.missing_colleges, (1u << CS) | (1u << LA));
	ck_assert_uint_eq(r.total_by_college[LA], 0);
}
END_TEST

/* A conflicted member cannot make the quorum of that deliberation. */
START_TEST(test_quorum_conflicts)
{
	struct funding_member m[9];
	struct funding_quorum_report r;

	nine(m);
	m[6].conflicted = m[7].conflicted = true;
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), 0);
	ck_assert_uint_eq(r.present, 7);
	ck_assert_uint_eq(r.present_by_college[CS], 1);
	m[8].conflicted = true;
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), 1);
	ck_assert_uint_eq(r.missing_colleges, 1u << CS);
	ck_assert_uint_eq(r.total, 9);
}
END_TEST

START_TEST(test_quorum_bad_input)
{
	struct funding_member m[9], big[2];
	struct funding_quorum_report r;

	nine(m);
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(funding_quorum_check(m, 0, 5000, &r), -EINVAL);
	ck_assert_int_eq(funding_quorum_check(NULL, 9, 5000, &r), -EINVAL);
	ck_assert_int_eq(funding_quorum_check(m, 9, 0, &r), -EINVAL);
	ck_assert_int_eq(funding_quorum_check(m, 9, -1, &r), -EINVAL);
	ck_assert_int_eq(funding_quorum_check(m, 9, 10001, &r), -EINVAL);
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, NULL), -EINVAL);
	ck_assert_int_eq(
	    funding_quorum_check(m, FUNDING_MEMBERS_MAX + 1, 5000, &r),
	    -EINVAL);
	m[2].college = (enum funding_college)3;
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), -EINVAL);
	m[2].college = (enum funding_college) - 1;
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), -EINVAL);
	nine(m);
	m[5].id = "la2"; /* the same person twice */
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), -EINVAL);
	m[5].id = NULL;
	ck_assert_int_eq(funding_quorum_check(m, 9, 5000, &r), -EINVAL);
	/* The report is untouched on error. */
	ck_assert_uint_eq(r.missing_colleges, 0x5a5a5a5au);
	big[0] = big[1] = m[0];
	big[1].id = "other";
	ck_assert_int_eq(funding_quorum_check(big, 2, 5000, &r), 1);
}
END_TEST

START_TEST(test_quorum_largest_erc)
{
	static struct funding_member m[FUNDING_MEMBERS_MAX];
	static char ids[FUNDING_MEMBERS_MAX][8];
	struct funding_quorum_report r;
	size_t i;

	for (i = 0; i < FUNDING_MEMBERS_MAX; i++) {
		snprintf(ids[i], sizeof(ids[i]), "m%zu", i);
		m[i].id = ids[i];
		m[i].college = (enum funding_college)(i % 3);
		m[i].present = i < 5000;
		m[i].conflicted = false;
	}
	ck_assert_int_eq(funding_quorum_check(m, FUNDING_MEMBERS_MAX, 5000, &r),
	                 0);
	ck_assert_int_eq(funding_quorum_check(m, FUNDING_MEMBERS_MAX, 5001, &r),
	                 1);
	ck_assert_uint_eq(r.needed_present, 5001);
}
END_TEST

static struct funding_tally
tally_ok(const struct funding_member *m, size_t nm,
         const struct funding_vote *v, size_t nv)
{
	struct funding_tally t;
	size_t bad = 99;

	ck_assert_int_eq(funding_vote_tally(m, nm, v, nv, &t, &bad), 0);
	ck_assert_uint_eq(t.cast, t.votes_for + t.votes_against);
	return t;
}

START_TEST(test_tally_decisions)
{
	struct funding_member m[9];
	struct funding_vote v[9];
	struct funding_tally t;
	int i;

	nine(m);
	for (i = 0; i < 9; i++)
		v[i].member_id = m[i].id;
	/* 5 for, 3 against, 1 abstention. */
	for (i = 0; i < 9; i++)
		v[i].choice = i < 5   ? FUNDING_VOTE_FOR
		              : i < 8 ? FUNDING_VOTE_AGAINST
		                      : FUNDING_VOTE_ABSTAIN;
	t = tally_ok(m, 9, v, 9);
	ck_assert_uint_eq(t.votes_for, 5);
	ck_assert_uint_eq(t.votes_against, 3);
	ck_assert_uint_eq(t.abstentions, 1);
	ck_assert_uint_eq(t.cast, 8);
	ck_assert_int_eq(t.decision, FUNDING_DECISION_SELECTED);
	/* 4-4 tie with one abstention: waitlisted. */
	v[4].choice = FUNDING_VOTE_AGAINST;
	v[5].choice = FUNDING_VOTE_FOR;
	v[6].choice = FUNDING_VOTE_AGAINST;
	v[7].choice = FUNDING_VOTE_AGAINST;
	t = tally_ok(m, 9, v, 9);
	ck_assert_uint_eq(t.votes_for, 5);
	v[0].choice = FUNDING_VOTE_AGAINST;
	v[8].choice = FUNDING_VOTE_FOR;
	v[1].choice = FUNDING_VOTE_ABSTAIN;
	t = tally_ok(m, 9, v, 9);
	ck_assert_uint_eq(t.votes_for, 4);
	ck_assert_uint_eq(t.votes_against, 4);
	ck_assert_int_eq(t.decision, FUNDING_DECISION_WAITLISTED);
	/* One more against: rejected. */
	v[1].choice = FUNDING_VOTE_AGAINST;
	t = tally_ok(m, 9, v, 9);
	ck_assert_int_eq(t.decision, FUNDING_DECISION_REJECTED);
	/* Abstentions are not cast: 1 for, 0 against, 8 abstain selects. */
	for (i = 0; i < 9; i++)
		v[i].choice = i == 0 ? FUNDING_VOTE_FOR : FUNDING_VOTE_ABSTAIN;
	t = tally_ok(m, 9, v, 9);
	ck_assert_uint_eq(t.cast, 1);
	ck_assert_int_eq(t.decision, FUNDING_DECISION_SELECTED);
	/* Everyone abstains, or nobody votes: a tie, waitlisted. */
	v[0].choice = FUNDING_VOTE_ABSTAIN;
	t = tally_ok(m, 9, v, 9);
	ck_assert_uint_eq(t.cast, 0);
	ck_assert_int_eq(t.decision, FUNDING_DECISION_WAITLISTED);
	t = tally_ok(m, 9, NULL, 0);
	ck_assert_int_eq(t.decision, FUNDING_DECISION_WAITLISTED);
	/* Not everyone has to vote. */
	v[0].choice = FUNDING_VOTE_AGAINST;
	t = tally_ok(m, 9, v, 1);
	ck_assert_int_eq(t.decision, FUNDING_DECISION_REJECTED);
}
END_TEST

static void
expect_refused(const struct funding_member *m, size_t nm,
               const struct funding_vote *v, size_t nv, int want,
               size_t want_idx)
{
	struct funding_tally t;
	size_t bad = 99;

	memset(&t, 0x77, sizeof(t));
	ck_assert_int_eq(funding_vote_tally(m, nm, v, nv, &t, &bad), want);
	ck_assert_uint_eq(bad, want_idx);
	ck_assert_uint_eq(t.votes_for, (size_t)0x7777777777777777ULL);
}

START_TEST(test_tally_refuses_bad_votes)
{
	struct funding_member m[9];
	struct funding_vote v[4] = {
	    {"la1", FUNDING_VOTE_FOR},
	    {"ss1", FUNDING_VOTE_AGAINST},
	    {"cs1", FUNDING_VOTE_FOR},
	    {"la1", FUNDING_VOTE_FOR},
	};

	nine(m);
	/* A member voting twice, even the same way. */
	expect_refused(m, 9, v, 4, -EEXIST, 3);
	v[3].choice = FUNDING_VOTE_AGAINST;
	expect_refused(m, 9, v, 4, -EEXIST, 3);
	/* An absent member. */
	v[3].member_id = "ss3";
	m[5].present = false;
	expect_refused(m, 9, v, 4, -EPERM, 3);
	m[5].present = true;
	ck_assert_int_eq(tally_ok(m, 9, v, 4).votes_for, 2);
	/* A conflicted member, even present. */
	m[3].conflicted = true;
	expect_refused(m, 9, v, 4, -EPERM, 1);
	m[3].conflicted = false;
	/* Not a member of this ERC. */
	v[2].member_id = "intruder";
	expect_refused(m, 9, v, 4, -ENOENT, 2);
	v[2].member_id = "";
	expect_refused(m, 9, v, 4, -ENOENT, 2);
	v[2].member_id = NULL;
	expect_refused(m, 9, v, 4, -EINVAL, 2);
	v[2].member_id = "cs1";
	v[2].choice = (enum funding_vote_choice)3;
	expect_refused(m, 9, v, 4, -EINVAL, 2);
	v[2].choice = (enum funding_vote_choice) - 1;
	expect_refused(m, 9, v, 4, -EINVAL, 2);
	v[2].choice = FUNDING_VOTE_ABSTAIN;
	/* Malformed member lists and arguments. */
	expect_refused(m, 0, v, 4, -EINVAL, 0);
	expect_refused(m, 9, NULL, 4, -EINVAL, 0);
	m[1].id = "la1";
	expect_refused(m, 9, v, 4, -EINVAL, 0);
	nine(m);
	ck_assert_int_eq(funding_vote_tally(m, 9, v, 4, NULL, NULL), -EINVAL);
	ck_assert_int_eq(tally_ok(m, 9, v, 4).abstentions, 1);
}
END_TEST

START_TEST(test_names)
{
	enum funding_college c;
	enum funding_vote_choice v;
	int i;

	for (i = 0; i < FUNDING_N_COLLEGES; i++) {
		ck_assert_int_eq(
		    funding_college_parse(funding_college_name(i), &c), 0);
		ck_assert_int_eq(c, i);
	}
	ck_assert_str_eq(funding_college_name(LA), "local_authority");
	ck_assert_str_eq(funding_college_name(SS), "state_service");
	ck_assert_str_eq(funding_college_name(CS), "civil_society");
	ck_assert_ptr_null(funding_college_name(3));
	ck_assert_ptr_null(funding_college_name(-1));
	ck_assert_int_eq(funding_college_parse("Civil_society", &c), -EINVAL);
	ck_assert_int_eq(funding_college_parse("", &c), -EINVAL);
	ck_assert_int_eq(funding_college_parse(NULL, &c), -EINVAL);
	ck_assert_int_eq(funding_college_parse("state_service", NULL), -EINVAL);
	ck_assert_int_eq(funding_vote_choice_parse("against", &v), 0);
	ck_assert_int_eq(v, FUNDING_VOTE_AGAINST);
	ck_assert_int_eq(funding_vote_choice_parse("abstain", &v), 0);
	ck_assert_int_eq(v, FUNDING_VOTE_ABSTAIN);
	ck_assert_int_eq(funding_vote_choice_parse("for ", &v), -EINVAL);
	ck_assert_int_eq(funding_vote_choice_parse("yes", &v), -EINVAL);
	ck_assert_str_eq(funding_vote_choice_name(FUNDING_VOTE_FOR), "for");
	ck_assert_ptr_null(funding_vote_choice_name(3));
	/* Decisions are spelt like the application states they lead to. */
	for (i = 0; i < 3; i++)
		ck_assert(funding_machine_has_state(
		    &funding_machine_application, funding_decision_name(i)));
	ck_assert_str_eq(funding_decision_name(FUNDING_DECISION_WAITLISTED),
	                 "waitlisted");
	ck_assert_ptr_null(funding_decision_name(-1));
	ck_assert_ptr_null(funding_decision_name(3));
}
END_TEST

START_TEST(test_may_vote)
{
	struct funding_member m = {"x", CS, true, false};

	ck_assert_int_eq(funding_member_may_vote(&m), 1);
	m.conflicted = true;
	ck_assert_int_eq(funding_member_may_vote(&m), 0);
	m.conflicted = false;
	m.present = false;
	ck_assert_int_eq(funding_member_may_vote(&m), 0);
	ck_assert_int_eq(funding_member_may_vote(NULL), 0);
}
END_TEST

static Suite *
quorum_suite(void)
{
	Suite *s = suite_create("funding_quorum");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_quorum_met);
	tcase_add_test(tc, test_quorum_share_boundary);
	tcase_add_test(tc, test_quorum_college_missing);
	tcase_add_test(tc, test_quorum_conflicts);
	tcase_add_test(tc, test_quorum_bad_input);
	tcase_add_test(tc, test_quorum_largest_erc);
	tcase_add_test(tc, test_tally_decisions);
	tcase_add_test(tc, test_tally_refuses_bad_votes);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_may_vote);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(quorum_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
