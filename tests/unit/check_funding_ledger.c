/*
 * Envelope ledger arithmetic and tranche schedules.
 *
 * The property test drives 10^5 random operations (amounts drawn to hit
 * int64 edges, exact boundaries and ordinary values) and checks after each
 * one: the invariant 0 <= disbursed <= committed <= allocated; a success
 * changes exactly the expected field by exactly the amount; a refusal
 * changes nothing; and an operation that fits is never refused.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/funding/src/domain.h"

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible from the printed seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static int
same(const struct funding_ledger *a, const struct funding_ledger *b)
{
	return a->allocated == b->allocated && a->committed == b->committed &&
	       a->disbursed == b->disbursed;
}

START_TEST(test_commit_and_disburse)
{
	struct funding_ledger l;

	ck_assert_int_eq(funding_ledger_init(&l, 1000000), 0);
	ck_assert_int_eq(funding_ledger_available(&l), 1000000);
	ck_assert_int_eq(funding_ledger_commit(&l, 600000), 0);
	ck_assert_int_eq(funding_ledger_available(&l), 400000);
	/* One minor unit over what is available: refused, unchanged. */
	ck_assert_int_eq(funding_ledger_commit(&l, 400001), -ENOSPC);
	ck_assert_int_eq(l.committed, 600000);
	ck_assert_int_eq(funding_ledger_commit(&l, 400000), 0);
	ck_assert_int_eq(funding_ledger_available(&l), 0);
	ck_assert_int_eq(funding_ledger_commit(&l, 1), -ENOSPC);
	ck_assert_int_eq(funding_ledger_disburse(&l, 999999), 0);
	ck_assert_int_eq(funding_ledger_disburse(&l, 2), -ENOSPC);
	ck_assert_int_eq(funding_ledger_disburse(&l, 1), 0);
	ck_assert_int_eq(funding_ledger_disburse(&l, 1), -ENOSPC);
	ck_assert_int_eq(l.allocated, 1000000);
	ck_assert_int_eq(l.committed, 1000000);
	ck_assert_int_eq(l.disbursed, 1000000);
	/* Disbursing needs a commitment first. */
	ck_assert_int_eq(funding_ledger_init(&l, 500), 0);
	ck_assert_int_eq(funding_ledger_disburse(&l, 1), -ENOSPC);
}
END_TEST

START_TEST(test_bad_amounts)
{
	struct funding_ledger l, before;

	ck_assert_int_eq(funding_ledger_init(&l, 1000), 0);
	ck_assert_int_eq(funding_ledger_commit(&l, 100), 0);
	before = l;
	ck_assert_int_eq(funding_ledger_commit(&l, 0), -EINVAL);
	ck_assert_int_eq(funding_ledger_commit(&l, -1), -EINVAL);
	ck_assert_int_eq(funding_ledger_commit(&l, INT64_MIN), -EINVAL);
	ck_assert_int_eq(funding_ledger_disburse(&l, 0), -EINVAL);
	ck_assert_int_eq(funding_ledger_disburse(&l, -50), -EINVAL);
	ck_assert_int_eq(funding_ledger_disburse(&l, INT64_MIN), -EINVAL);
	ck_assert_int_eq(funding_ledger_allocate(&l, 0), -EINVAL);
	ck_assert(same(&l, &before));
	ck_assert_int_eq(funding_ledger_init(&l, -1), -EINVAL);
	ck_assert_int_eq(funding_ledger_init(&l, INT64_MIN), -EINVAL);
	ck_assert_int_eq(funding_ledger_init(NULL, 5), -EINVAL);
	ck_assert(same(&l, &before));
	ck_assert_int_eq(funding_ledger_commit(NULL, 5), -EINVAL);
	ck_assert_int_eq(funding_ledger_disburse(NULL, 5), -EINVAL);
	ck_assert_int_eq(funding_ledger_allocate(NULL, 5), -EINVAL);
	ck_assert_int_eq(funding_ledger_release_commitment(NULL, 5, 0, NULL),
	                 -EINVAL);
	ck_assert_int_eq(funding_ledger_available(NULL), -1);
}
END_TEST

/* A ledger row that breaks the invariant is refused by every operation. */
START_TEST(test_corrupt_ledger)
{
	static const struct funding_ledger bad[] = {
	    {100, 101, 0},     /* committed > allocated */
	    {100, 50, 51},     /* disbursed > committed */
	    {100, 50, -1},     /* disbursed < 0 */
	    {-1, -1, -1},      /* negative allocation */
	    {INT64_MIN, 0, 0}, /* negative allocation */
	    {0, INT64_MIN, INT64_MIN},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct funding_ledger l = bad[i];

		ck_assert_int_eq(funding_ledger_valid(&l), -EINVAL);
		ck_assert_int_eq(funding_ledger_available(&l), -1);
		ck_assert_int_eq(funding_ledger_commit(&l, 1), -EINVAL);
		ck_assert_int_eq(funding_ledger_disburse(&l, 1), -EINVAL);
		ck_assert_int_eq(funding_ledger_allocate(&l, 1), -EINVAL);
		ck_assert_int_eq(funding_ledger_allocate(&l, -1), -EINVAL);
		ck_assert_int_eq(
		    funding_ledger_release_commitment(&l, 1, 0, NULL), -EINVAL);
		ck_assert(same(&l, &bad[i]));
	}
}
END_TEST

START_TEST(test_int64_edges)
{
	struct funding_ledger l, before;

	ck_assert_int_eq(funding_ledger_init(&l, INT64_MAX), 0);
	ck_assert_int_eq(funding_ledger_commit(&l, INT64_MAX), 0);
	ck_assert_int_eq(funding_ledger_available(&l), 0);
	before = l;
	ck_assert_int_eq(funding_ledger_commit(&l, 1), -ERANGE);
	ck_assert_int_eq(funding_ledger_commit(&l, INT64_MAX), -ERANGE);
	ck_assert_int_eq(funding_ledger_allocate(&l, 1), -ERANGE);
	ck_assert_int_eq(funding_ledger_allocate(&l, INT64_MAX), -ERANGE);
	ck_assert(same(&l, &before));
	ck_assert_int_eq(funding_ledger_disburse(&l, INT64_MAX), 0);
	ck_assert_int_eq(funding_ledger_disburse(&l, 1), -ERANGE);
	ck_assert_int_eq(funding_ledger_valid(&l), 0);

	/* Not an overflow, just too much: -ENOSPC. */
	ck_assert_int_eq(funding_ledger_init(&l, 10), 0);
	ck_assert_int_eq(funding_ledger_commit(&l, INT64_MAX), -ENOSPC);
	ck_assert_int_eq(funding_ledger_commit(&l, 3), 0);
	ck_assert_int_eq(funding_ledger_commit(&l, INT64_MAX), -ERANGE);
	ck_assert_int_eq(funding_ledger_disburse(&l, INT64_MAX), -ENOSPC);
	ck_assert_int_eq(funding_ledger_disburse(&l, 3), 0);
	ck_assert_int_eq(funding_ledger_disburse(&l, INT64_MAX), -ERANGE);

	/* Cuts: never below zero, never below what is committed. */
	ck_assert_int_eq(funding_ledger_init(&l, 0), 0);
	ck_assert_int_eq(funding_ledger_allocate(&l, INT64_MIN), -ERANGE);
	ck_assert_int_eq(funding_ledger_allocate(&l, -1), -ERANGE);
	ck_assert_int_eq(funding_ledger_allocate(&l, INT64_MAX), 0);
	ck_assert_int_eq(funding_ledger_allocate(&l, INT64_MIN), -ERANGE);
	ck_assert_int_eq(funding_ledger_allocate(&l, -INT64_MAX), 0);
	ck_assert_int_eq(l.allocated, 0);
}
END_TEST

START_TEST(test_allocate)
{
	struct funding_ledger l;

	ck_assert_int_eq(funding_ledger_init(&l, 1000), 0);
	ck_assert_int_eq(funding_ledger_commit(&l, 700), 0);
	ck_assert_int_eq(funding_ledger_allocate(&l, 500), 0);
	ck_assert_int_eq(funding_ledger_available(&l), 800);
	ck_assert_int_eq(funding_ledger_allocate(&l, -801), -ENOSPC);
	ck_assert_int_eq(l.allocated, 1500);
	ck_assert_int_eq(funding_ledger_allocate(&l, -800), 0);
	ck_assert_int_eq(funding_ledger_available(&l), 0);
}
END_TEST

START_TEST(test_release_commitment)
{
	struct funding_ledger l, before;
	int64_t released = -1;

	ck_assert_int_eq(funding_ledger_init(&l, 1000), 0);
	ck_assert_int_eq(funding_ledger_commit(&l, 300), 0);   /* project A */
	ck_assert_int_eq(funding_ledger_commit(&l, 500), 0);   /* project B */
	ck_assert_int_eq(funding_ledger_disburse(&l, 100), 0); /* A */
	ck_assert_int_eq(funding_ledger_disburse(&l, 500), 0); /* B, all */
	/* A is terminated: its 200 not disbursed go back. */
	ck_assert_int_eq(
	    funding_ledger_release_commitment(&l, 300, 100, &released), 0);
	ck_assert_int_eq(released, 200);
	ck_assert_int_eq(l.committed, 600);
	ck_assert_int_eq(l.disbursed, 600);
	ck_assert_int_eq(funding_ledger_available(&l), 400);
	/* A project fully disbursed releases nothing. */
	ck_assert_int_eq(
	    funding_ledger_release_commitment(&l, 500, 500, &released), 0);
	ck_assert_int_eq(released, 0);
	ck_assert_int_eq(l.committed, 600);
	ck_assert_int_eq(funding_ledger_release_commitment(&l, 0, 0, NULL), 0);
	/* Bad project figures: refused, unchanged. */
	before = l;
	released = 42;
	ck_assert_int_eq(
	    funding_ledger_release_commitment(&l, 100, 101, &released),
	    -EINVAL);
	ck_assert_int_eq(
	    funding_ledger_release_commitment(&l, -1, 0, &released), -EINVAL);
	ck_assert_int_eq(
	    funding_ledger_release_commitment(&l, 10, -1, &released), -EINVAL);
	ck_assert_int_eq(funding_ledger_release_commitment(
	                     &l, INT64_MAX, INT64_MIN, &released),
	                 -EINVAL);
	/* More than the envelope still owes: the figures disagree. */
	ck_assert_int_eq(funding_ledger_release_commitment(&l, 1, 0, &released),
	                 -ENOSPC);
	ck_assert_int_eq(
	    funding_ledger_release_commitment(&l, INT64_MAX, 0, &released),
	    -ENOSPC);
	ck_assert_int_eq(released, 42);
	ck_assert(same(&l, &before));
}
END_TEST

/* An amount drawn to hit edges as often as ordinary values. */
static int64_t
draw_amount(const struct funding_ledger *l)
{
	uint64_t r = rng();
	int64_t room = l->allocated - l->committed;
	int64_t owed = l->committed - l->disbursed;

	switch (r % 12) {
	case 0:
		return 0;
	case 1:
		return -(int64_t)(rng() % 1000) - 1;
	case 2:
		return INT64_MAX;
	case 3:
		return INT64_MIN;
	case 4:
		return room;
	case 5:
		return room < INT64_MAX ? room + 1 : room;
	case 6:
		return owed;
	case 7:
		return owed < INT64_MAX ? owed + 1 : owed;
	case 8:
		return (int64_t)(rng() >> 1); /* any non-negative */
	case 9:
		return room > 0 ? 1 + (int64_t)(rng() % (uint64_t)room) : 1;
	case 10:
		return owed > 0 ? 1 + (int64_t)(rng() % (uint64_t)owed) : 1;
	default:
		return 1 + (int64_t)(rng() % 1000000);
	}
}

START_TEST(test_property_random_operations)
{
	struct funding_ledger l, before;
	uint64_t seed = 0x243F6A8885A308D3ULL ^ (uint64_t)_i;
	int64_t a, b, released;
	int i, rc, op, ok[4] = {0}, refused[4] = {0};

	/* Fixed seeds: a failure replays identically. */
	rng_state = seed;
	/* Start anywhere from empty to the largest envelope. */
	ck_assert_int_eq(funding_ledger_init(
	                     &l, _i == 0   ? 0
	                         : _i == 1 ? INT64_MAX
	                                   : (int64_t)(rng() % 100000000000LL)),
	                 0);
	for (i = 0; i < 100000; i++) {
		before = l;
		op = (int)(rng() % 4);
		a = draw_amount(&l);
		switch (op) {
		case 0:
			rc = funding_ledger_commit(&l, a);
			if (rc == 0)
				ck_assert(l.committed == before.committed + a &&
				          l.allocated == before.allocated &&
				          l.disbursed == before.disbursed);
			else
				ck_assert(rc == -EINVAL || rc == -ENOSPC ||
				          rc == -ERANGE);
			/* Whatever fits is accepted. */
			if (a > 0 && a <= before.allocated - before.committed)
				ck_assert_int_eq(rc, 0);
			if (a <= 0)
				ck_assert_int_eq(rc, -EINVAL);
			break;
		case 1:
			rc = funding_ledger_disburse(&l, a);
			if (rc == 0)
				ck_assert(l.disbursed == before.disbursed + a &&
				          l.allocated == before.allocated &&
				          l.committed == before.committed);
			else
				ck_assert(rc == -EINVAL || rc == -ENOSPC ||
				          rc == -ERANGE);
			if (a > 0 && a <= before.committed - before.disbursed)
				ck_assert_int_eq(rc, 0);
			if (a <= 0)
				ck_assert_int_eq(rc, -EINVAL);
			break;
		case 2:
			/* A project: committed a, disbursed b <= a (mostly). */
			b = (rng() % 8 == 0 && a < INT64_MAX) ? a + 1
			    : a > 0 ? (int64_t)(rng() % (uint64_t)a)
			            : 0;
			released = -7;
			rc = funding_ledger_release_commitment(&l, a, b,
			                                       &released);
			if (rc == 0) {
				ck_assert_int_eq(released, a - b);
				ck_assert(l.committed ==
				              before.committed - (a - b) &&
				          l.allocated == before.allocated &&
				          l.disbursed == before.disbursed);
			} else {
				ck_assert(rc == -EINVAL || rc == -ENOSPC);
				ck_assert_int_eq(released, -7);
			}
			if (a >= 0 && b >= 0 && b <= a &&
			    a - b <= before.committed - before.disbursed)
				ck_assert_int_eq(rc, 0);
			break;
		default:
			if (rng() % 2 && a != INT64_MIN)
				a = -a;
			rc = funding_ledger_allocate(&l, a);
			if (rc == 0)
				ck_assert(l.allocated == before.allocated + a &&
				          l.committed == before.committed &&
				          l.disbursed == before.disbursed);
			else
				ck_assert(rc == -EINVAL || rc == -ENOSPC ||
				          rc == -ERANGE);
			if (a > 0 && a <= INT64_MAX - before.allocated)
				ck_assert_int_eq(rc, 0);
			if (a < 0 && a != INT64_MIN &&
			    -a <= before.allocated - before.committed)
				ck_assert_int_eq(rc, 0);
			break;
		}
		if (rc != 0)
			ck_assert(same(&l, &before));
		(rc == 0 ? ok : refused)[op]++;
		/* The invariant, spelt out. */
		ck_assert(0 <= l.disbursed);
		ck_assert(l.disbursed <= l.committed);
		ck_assert(l.committed <= l.allocated);
		ck_assert_int_eq(funding_ledger_valid(&l), 0);
		ck_assert_int_eq(funding_ledger_available(&l),
		                 l.allocated - l.committed);
	}
	/* The run exercised both outcomes of every operation. */
	for (op = 0; op < 4; op++) {
		ck_assert_int_gt(ok[op], 100);
		ck_assert_int_gt(refused[op], 100);
	}
}
END_TEST

/* ---- tranches --------------------------------------------------------- */

START_TEST(test_schedule_valid)
{
	struct funding_tranche t[3] = {
	    {4000000, "signature"},
	    {4000000, "report_approved:m1"},
	    {2000000, "report_approved:final-report_2"},
	};
	size_t bad = 99;
	char err[128] = "unset";

	ck_assert_int_eq(funding_tranche_schedule_validate(t, 3, 10000000, &bad,
	                                                   err, sizeof(err)),
	                 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(bad, 0);
	ck_assert_int_eq(
	    funding_tranche_schedule_validate(t, 1, 4000000, NULL, NULL, 0), 0);
	/* One tranche of the largest amount. */
	t[0].amount_minor = INT64_MAX;
	ck_assert_int_eq(
	    funding_tranche_schedule_validate(t, 1, INT64_MAX, NULL, NULL, 0),
	    0);
}
END_TEST

static void
expect_bad_schedule(const struct funding_tranche *t, size_t n, int64_t approved,
                    size_t want_idx, const char *err_part)
{
	size_t bad = 99;
	char err[160] = "unset";

	ck_assert_int_eq(funding_tranche_schedule_validate(t, n, approved, &bad,
	                                                   err, sizeof(err)),
	                 -EINVAL);
	ck_assert_uint_eq(bad, want_idx);
	ck_assert_msg(strstr(err, err_part) != NULL, "message \"%s\"", err);
}

START_TEST(test_schedule_invalid)
{
	struct funding_tranche t[3] = {
	    {4000000, "signature"},
	    {4000000, "report_approved:m1"},
	    {2000000, "report_approved:m2"},
	};
	static const char *const bad_conditions[] = {
	    "",
	    "Signature",
	    "signature ",
	    "signed",
	    "report_approved",
	    "report_approved:",
	    "report_approved:M1",
	    "report_approved:m 1",
	    "report_approved:m1\n",
	    "report_approved:m\xc3\xa9",
	    "report_approved:m1:extra",
	    "REPORT_APPROVED:m1",
	    "report_approved:"
	    "k123456789_123456789_123456789_123456789_123456789_123456789_1234",
	};
	size_t i;

	expect_bad_schedule(t, 3, 10000001, 3, "not the approved 10000001");
	expect_bad_schedule(t, 3, 9999999, 2, "exceed the approved");
	expect_bad_schedule(t, 3, 0, 3, "approved amount must be positive");
	expect_bad_schedule(t, 3, -10000000, 3, "approved amount");
	expect_bad_schedule(t, 0, 10000000, 0, "1 to 64 tranches");
	expect_bad_schedule(NULL, 3, 10000000, 3, "1 to 64 tranches");
	expect_bad_schedule(t, FUNDING_TRANCHES_MAX + 1, 10000000,
	                    FUNDING_TRANCHES_MAX + 1, "1 to 64 tranches");
	t[1].amount_minor = 0;
	expect_bad_schedule(t, 3, 6000000, 1, "tranche 1: amount");
	t[1].amount_minor = -1;
	expect_bad_schedule(t, 3, 6000000, 1, "tranche 1: amount");
	t[1].amount_minor = INT64_MIN;
	expect_bad_schedule(t, 3, 6000000, 1, "tranche 1: amount");
	t[1].amount_minor = 4000000;
	for (i = 0; i < sizeof(bad_conditions) / sizeof(bad_conditions[0]);
	     i++) {
		t[2].condition = bad_conditions[i];
		expect_bad_schedule(t, 3, 10000000, 2, "tranche 2: condition");
	}
	t[2].condition = NULL;
	expect_bad_schedule(t, 3, 10000000, 2, "tranche 2: condition");
	/* Sums that would overflow int64 are refused, not wrapped. */
	t[0].amount_minor = INT64_MAX;
	t[1].amount_minor = INT64_MAX;
	t[2].condition = "signature";
	expect_bad_schedule(t, 2, INT64_MAX, 1, "exceed the approved");
	t[1].amount_minor = 2;
	t[2].amount_minor = INT64_MAX - 1; /* wraps to 0 mod 2^64 with +2 */
	t[0].amount_minor = INT64_MAX;
	expect_bad_schedule(t, 3, INT64_MAX, 1, "exceed the approved");
}
END_TEST

START_TEST(test_schedule_milestone_limits)
{
	struct funding_tranche t[1] = {{5, NULL}};
	char cond[128];

	/* 64-character milestone: fine. */
	snprintf(
	    cond, sizeof(cond), "report_approved:%s",
	    "k123456789_123456789_123456789_123456789_123456789_123456789_123");
	t[0].condition = cond;
	ck_assert_int_eq(
	    funding_tranche_schedule_validate(t, 1, 5, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_condition_met)
{
	static const char *const approved[] = {"m1", "m3"};
	struct funding_tranche_facts f = {false, approved, 2};

	ck_assert_int_eq(funding_tranche_condition_met("signature", &f), 0);
	ck_assert_int_eq(
	    funding_tranche_condition_met("report_approved:m1", &f), 0);
	f.agreement_signed = true;
	ck_assert_int_eq(funding_tranche_condition_met("signature", &f), 1);
	ck_assert_int_eq(
	    funding_tranche_condition_met("report_approved:m1", &f), 1);
	ck_assert_int_eq(
	    funding_tranche_condition_met("report_approved:m3", &f), 1);
	ck_assert_int_eq(
	    funding_tranche_condition_met("report_approved:m2", &f), 0);
	/* Exact match only: no prefix, no suffix. */
	ck_assert_int_eq(funding_tranche_condition_met("report_approved:m", &f),
	                 0);
	ck_assert_int_eq(
	    funding_tranche_condition_met("report_approved:m10", &f), 0);
	f.n_approved = 0;
	ck_assert_int_eq(
	    funding_tranche_condition_met("report_approved:m1", &f), 0);
	f.approved_milestones = NULL;
	ck_assert_int_eq(
	    funding_tranche_condition_met("report_approved:m1", &f), 0);
	/* Malformed. */
	f.approved_milestones = approved;
	f.n_approved = 2;
	ck_assert_int_eq(funding_tranche_condition_met("report_approved:", &f),
	                 -EINVAL);
	ck_assert_int_eq(funding_tranche_condition_met("signature;", &f),
	                 -EINVAL);
	ck_assert_int_eq(funding_tranche_condition_met("", &f), -EINVAL);
	ck_assert_int_eq(funding_tranche_condition_met(NULL, &f), -EINVAL);
	ck_assert_int_eq(funding_tranche_condition_met("signature", NULL),
	                 -EINVAL);
	f.approved_milestones = NULL;
	ck_assert_int_eq(funding_tranche_condition_met("signature", &f),
	                 -EINVAL);
}
END_TEST

static Suite *
ledger_suite(void)
{
	Suite *s = suite_create("funding_ledger");
	TCase *tc = tcase_create("ledger");
	TCase *tp = tcase_create("property");
	TCase *tt = tcase_create("tranches");

	tcase_add_test(tc, test_commit_and_disburse);
	tcase_add_test(tc, test_bad_amounts);
	tcase_add_test(tc, test_corrupt_ledger);
	tcase_add_test(tc, test_int64_edges);
	tcase_add_test(tc, test_allocate);
	tcase_add_test(tc, test_release_commitment);
	suite_add_tcase(s, tc);
	/* Three seeds: empty, the largest and an ordinary envelope. */
	tcase_add_loop_test(tp, test_property_random_operations, 0, 3);
	tcase_set_timeout(tp, 120);
	suite_add_tcase(s, tp);
	tcase_add_test(tt, test_schedule_valid);
	tcase_add_test(tt, test_schedule_invalid);
	tcase_add_test(tt, test_schedule_milestone_limits);
	tcase_add_test(tt, test_condition_met);
	suite_add_tcase(s, tt);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ledger_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
