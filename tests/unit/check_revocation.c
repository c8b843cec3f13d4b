/*
 * check_revocation: the in-memory set of revoked jtis each worker checks
 * on every request (mp/revocation.h): membership, growth well past its
 * first size, pruning only what no verifier can accept any more.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

#include "mp/revocation.h"

static Suite *revocation_suite(void);

START_TEST(add_has)
{
	struct mp_revoked_set *s;

	ck_assert_int_eq(mp_revoked_new(&s), 0);
	ck_assert_int_eq(mp_revoked_has(s, "a"), 0);
	ck_assert_int_eq(mp_revoked_add(s, "a", 100), 0);
	ck_assert_int_eq(mp_revoked_add(s, "a", 50), 0); /* keeps 100 */
	ck_assert_int_eq(mp_revoked_has(s, "a"), 1);
	ck_assert_int_eq(mp_revoked_has(s, "b"), 0);
	ck_assert_uint_eq(mp_revoked_count(s), 1);
	ck_assert_int_eq(mp_revoked_add(s, "", 1), -EINVAL);
	ck_assert_int_eq(mp_revoked_add(s, NULL, 1), -EINVAL);
	ck_assert_int_eq(mp_revoked_add(s, "line\nbreak", 1), -EINVAL);
	ck_assert_int_eq(
	    mp_revoked_add(s,
	                   "0123456789012345678901234567890123456789"
	                   "012345678901234567890123",
	                   1),
	    -EINVAL); /* 64 bytes: longer than any jti a token may carry */
	ck_assert_int_eq(mp_revoked_has(s, ""), 0);
	ck_assert_int_eq(mp_revoked_has(NULL, "a"), 0);
	/* the later exp counts when pruning */
	ck_assert_uint_eq(mp_revoked_prune(s, 100 + MP_REVOCATION_KEEP_S), 0);
	ck_assert_int_eq(mp_revoked_has(s, "a"), 1);
	mp_revoked_free(s);
	mp_revoked_free(NULL);
}
END_TEST

START_TEST(grows_and_prunes)
{
	struct mp_revoked_set *s;
	char jti[40];
	int i;

	ck_assert_int_eq(mp_revoked_new(&s), 0);
	for (i = 0; i < 20000; i++) {
		snprintf(jti, sizeof(jti), "jti-%d", i);
		/* even ones expire at 1000, odd ones at 5000 */
		ck_assert_int_eq(mp_revoked_add(s, jti, i % 2 ? 5000 : 1000),
		                 0);
	}
	ck_assert_uint_eq(mp_revoked_count(s), 20000);
	for (i = 0; i < 20000; i++) {
		snprintf(jti, sizeof(jti), "jti-%d", i);
		ck_assert_int_eq(mp_revoked_has(s, jti), 1);
	}
	ck_assert_int_eq(mp_revoked_has(s, "jti-20000"), 0);
	/* within the keep time (the largest leeway) nothing goes */
	ck_assert_uint_eq(mp_revoked_prune(s, 1000 + MP_REVOCATION_KEEP_S), 0);
	ck_assert_uint_eq(mp_revoked_prune(s, 1001 + MP_REVOCATION_KEEP_S),
	                  10000);
	ck_assert_uint_eq(mp_revoked_count(s), 10000);
	for (i = 0; i < 20000; i++) {
		snprintf(jti, sizeof(jti), "jti-%d", i);
		ck_assert_int_eq(mp_revoked_has(s, jti), i % 2);
	}
	ck_assert_uint_eq(mp_revoked_prune(s, 1LL << 40), 10000);
	ck_assert_uint_eq(mp_revoked_count(s), 0);
	ck_assert_int_eq(mp_revoked_has(s, "jti-1"), 0);
	mp_revoked_free(s);
}
END_TEST

START_TEST(view_not_started_refuses_nothing)
{
	ck_assert_int_eq(mp_revocation_revoked("a"), 0);
	mp_revocation_stop(); /* no-op */
}
END_TEST

static Suite *
revocation_suite(void)
{
	Suite *s = suite_create("revocation");
	TCase *tc = tcase_create("set");

	tcase_add_test(tc, add_has);
	tcase_add_test(tc, grows_and_prunes);
	tcase_add_test(tc, view_not_started_refuses_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(revocation_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
