/*
 * check_money: amounts in minor units; parsing refuses everything that is
 * not a plain decimal, arithmetic never overflows silently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "mp/util.h"

static Suite *money_suite(void);
static int64_t parse_ok(const char *s);
static int64_t next_rand(uint64_t *state);

static int64_t
parse_ok(const char *s)
{
	int64_t v = -12345;

	ck_assert_msg(mp_money_parse_signed(s, &v) == 0, "rejected \"%s\"", s);
	return v;
}

/* splitmix64 */
static int64_t
next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (int64_t)(z ^ (z >> 31));
}

START_TEST(test_parse_good)
{
	int64_t v;

	ck_assert_int_eq(mp_money_parse("0", &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(mp_money_parse("0.5", &v), 0);
	ck_assert_int_eq(v, 50);
	ck_assert_int_eq(mp_money_parse("0.05", &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(mp_money_parse("12", &v), 0);
	ck_assert_int_eq(v, 1200);
	ck_assert_int_eq(mp_money_parse("1234.56", &v), 0);
	ck_assert_int_eq(v, 123456);
	ck_assert_int_eq(mp_money_parse("9000000", &v), 0);
	ck_assert_int_eq(v, 900000000);
	ck_assert_int_eq(mp_money_parse("92233720368547758.07", &v), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(mp_money_parse("92233720368547758", &v), 0);
	ck_assert_int_eq(v, 9223372036854775800LL);
}
END_TEST

START_TEST(test_parse_overflow)
{
	int64_t v = 7;

	ck_assert_int_eq(mp_money_parse("92233720368547758.08", &v), -ERANGE);
	ck_assert_int_eq(mp_money_parse("92233720368547758.1", &v), -ERANGE);
	ck_assert_int_eq(mp_money_parse("92233720368547759", &v), -ERANGE);
	ck_assert_int_eq(mp_money_parse("100000000000000000", &v), -ERANGE);
	ck_assert_int_eq(mp_money_parse("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(
	    mp_money_parse("99999999999999999999999999999999999999999", &v),
	    -ERANGE);
	ck_assert_int_eq(mp_money_parse_signed("-92233720368547758.09", &v),
	                 -ERANGE);
	ck_assert_int_eq(mp_money_parse_signed("-92233720368547759", &v),
	                 -ERANGE);
	ck_assert_int_eq(v, 7);
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const char *const bad[] = {
	    "",
	    "-1",
	    "-0.01",
	    "+1",
	    " 1",
	    "1 ",
	    "1\t",
	    "1e3",
	    "1E3",
	    "1.2e1",
	    "1.234",
	    "1.",
	    ".5",
	    ".",
	    "01",
	    "00",
	    "00.5",
	    "0012",
	    "1,000",
	    "1,5",
	    "1_000",
	    "1 000",
	    "0x10",
	    "NaN",
	    "inf",
	    "Infinity",
	    "1.2.3",
	    "1..2",
	    "--1",
	    "abc",
	    "12a",
	    "\xd9\xa1\xd9\xa2", /* Arabic-Indic "12" */
	    "\xef\xbc\x91",     /* fullwidth 1 */
	    "12\xc2\xa0",
	    "\n",
	    "1\n",
	    "$12",
	    "12MAD",
	    "12.5 MAD",
	    NULL};
	int64_t v = 99;
	size_t i;

	ck_assert_int_eq(mp_money_parse(NULL, &v), -EINVAL);
	ck_assert_int_eq(mp_money_parse_signed(NULL, &v), -EINVAL);
	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(mp_money_parse(bad[i], &v) == -EINVAL,
		              "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(v, 99);
	}
}
END_TEST

START_TEST(test_parse_signed)
{
	int64_t v;

	ck_assert_int_eq(parse_ok("-0.01"), -1);
	ck_assert_int_eq(parse_ok("-0"), 0);
	ck_assert_int_eq(parse_ok("-12.5"), -1250);
	ck_assert_int_eq(parse_ok("12.5"), 1250);
	ck_assert_int_eq(parse_ok("-92233720368547758.08"), INT64_MIN);
	ck_assert_int_eq(parse_ok("-92233720368547758.07"), INT64_MIN + 1);
	ck_assert_int_eq(mp_money_parse_signed("-", &v), -EINVAL);
	ck_assert_int_eq(mp_money_parse_signed("--1", &v), -EINVAL);
	ck_assert_int_eq(mp_money_parse_signed("- 1", &v), -EINVAL);
	ck_assert_int_eq(mp_money_parse_signed("-01", &v), -EINVAL);
	ck_assert_int_eq(mp_money_parse_signed("1-", &v), -EINVAL);
	ck_assert_int_eq(mp_money_parse_signed("-.5", &v), -EINVAL);
}
END_TEST

START_TEST(test_format)
{
	char out[MP_MONEY_STRLEN];
	char small[8] = "xxxxxxx";

	ck_assert_int_eq(mp_money_format(0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0.00");
	ck_assert_int_eq(mp_money_format(5, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0.05");
	ck_assert_int_eq(mp_money_format(-5, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "-0.05");
	ck_assert_int_eq(mp_money_format(-100, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "-1.00");
	ck_assert_int_eq(mp_money_format(123456, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1234.56");
	ck_assert_int_eq(mp_money_format(INT64_MAX, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "92233720368547758.07");
	ck_assert_int_eq(mp_money_format(INT64_MIN, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "-92233720368547758.08");

	/* "1234.56" needs 8 bytes with its NUL */
	ck_assert_int_eq(mp_money_format(123456, small, 7), -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(mp_money_format(123456, small, 8), 0);
	ck_assert_str_eq(small, "1234.56");
	ck_assert_int_eq(mp_money_format(1, small, 0), -ENOSPC);
	ck_assert_int_eq(mp_money_format(1, NULL, 10), -ENOSPC);
}
END_TEST

START_TEST(test_format_parse_round_trip)
{
	char out[MP_MONEY_STRLEN];
	uint64_t st = 42;
	int64_t v, back;
	int i;

	for (i = 0; i < 100000; i++) {
		v = next_rand(&st);
		if (i % 3 == 0)
			v %= 1000000; /* many small amounts too */
		ck_assert_int_eq(mp_money_format(v, out, sizeof(out)), 0);
		ck_assert_int_eq(mp_money_parse_signed(out, &back), 0);
		ck_assert_int_eq(back, v);
		if (v >= 0) {
			ck_assert_int_eq(mp_money_parse(out, &back), 0);
			ck_assert_int_eq(back, v);
		}
	}
}
END_TEST

START_TEST(test_add)
{
	int64_t r = 5;

	ck_assert_int_eq(mp_money_add(100, 250, &r), 0);
	ck_assert_int_eq(r, 350);
	ck_assert_int_eq(mp_money_add(INT64_MAX, INT64_MIN, &r), 0);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(mp_money_add(INT64_MAX - 1, 1, &r), 0);
	ck_assert_int_eq(r, INT64_MAX);
	r = 5;
	ck_assert_int_eq(mp_money_add(INT64_MAX, 1, &r), -ERANGE);
	ck_assert_int_eq(mp_money_add(1, INT64_MAX, &r), -ERANGE);
	ck_assert_int_eq(mp_money_add(INT64_MIN, -1, &r), -ERANGE);
	ck_assert_int_eq(mp_money_add(INT64_MIN, INT64_MIN, &r), -ERANGE);
	ck_assert_int_eq(mp_money_add(INT64_MAX, INT64_MAX, &r), -ERANGE);
	ck_assert_int_eq(r, 5);
}
END_TEST

START_TEST(test_percent_rounding)
{
	int64_t r;

	ck_assert_int_eq(mp_money_percent(1000, 2500, &r), 0);
	ck_assert_int_eq(r, 250);
	ck_assert_int_eq(mp_money_percent(123456, 10000, &r), 0);
	ck_assert_int_eq(r, 123456);
	ck_assert_int_eq(mp_money_percent(123456, 0, &r), 0);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(mp_money_percent(1, 5000, &r), 0); /* 0.5 */
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(mp_money_percent(1, 4999, &r), 0); /* 0.4999 */
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(mp_money_percent(-1, 5000, &r), 0); /* -0.5 */
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(mp_money_percent(1, -5000, &r), 0);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(mp_money_percent(-1, 4999, &r), 0);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(mp_money_percent(15, 1000, &r), 0); /* 1.5 */
	ck_assert_int_eq(r, 2);
	ck_assert_int_eq(mp_money_percent(25, 1000, &r), 0); /* 2.5 */
	ck_assert_int_eq(r, 3);
	ck_assert_int_eq(mp_money_percent(3, 3333, &r), 0); /* 0.9999 */
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(mp_money_percent(99999, 1, &r), 0); /* 9.9999 */
	ck_assert_int_eq(r, 10);
	/* 30 % of a 9 000 000.00 envelope */
	ck_assert_int_eq(mp_money_percent(900000000, 3000, &r), 0);
	ck_assert_int_eq(r, 270000000);
}
END_TEST

START_TEST(test_percent_edges)
{
	int64_t r = 77;

	ck_assert_int_eq(mp_money_percent(INT64_MAX, 10000, &r), 0);
	ck_assert_int_eq(r, INT64_MAX);
	ck_assert_int_eq(mp_money_percent(INT64_MIN, 10000, &r), 0);
	ck_assert_int_eq(r, INT64_MIN);
	/* 4611686018427387903.5 rounds up */
	ck_assert_int_eq(mp_money_percent(INT64_MAX, 5000, &r), 0);
	ck_assert_int_eq(r, 4611686018427387904LL);
	ck_assert_int_eq(mp_money_percent(INT64_MIN, 5000, &r), 0);
	ck_assert_int_eq(r, INT64_MIN / 2);
	ck_assert_int_eq(mp_money_percent(INT64_MAX, -10000, &r), 0);
	ck_assert_int_eq(r, -INT64_MAX);
	r = 77;
	ck_assert_int_eq(mp_money_percent(INT64_MAX, 10001, &r), -ERANGE);
	ck_assert_int_eq(mp_money_percent(INT64_MIN, -10000, &r), -ERANGE);
	ck_assert_int_eq(mp_money_percent(INT64_MIN, 10001, &r), -ERANGE);
	ck_assert_int_eq(mp_money_percent(INT64_MAX, 2147483647, &r), -ERANGE);
	ck_assert_int_eq(mp_money_percent(INT64_MIN, -2147483647 - 1, &r),
	                 -ERANGE);
	ck_assert_int_eq(r, 77);
}
END_TEST

#ifdef __SIZEOF_INT128__
/* Against a 128-bit reference on random operands. */
START_TEST(test_percent_matches_reference)
{
	uint64_t st = 7;
	int64_t a, r;
	int bp, i, rc;
	__int128 p, q, rem, want;

	for (i = 0; i < 500000; i++) {
		a = next_rand(&st);
		if (i % 2)
			a >>= (unsigned)(next_rand(&st) & 63);
		bp = (int)(next_rand(&st) % 40001) - 20000;
		if (i % 7 == 0)
			bp = (int)next_rand(&st);
		p = (__int128)a * bp;
		q = p / 10000;
		rem = p % 10000;
		want = q + (rem >= 5000 ? 1 : rem <= -5000 ? -1 : 0);
		rc = mp_money_percent(a, bp, &r);
		if (want > INT64_MAX || want < INT64_MIN) {
			ck_assert_int_eq(rc, -ERANGE);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_msg((__int128)r == want, "%lld * %d",
			              (long long)a, bp);
		}
	}
}
END_TEST
#endif

static Suite *
money_suite(void)
{
	Suite *s = suite_create("money");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_overflow);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_parse_signed);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_parse_round_trip);
	tcase_add_test(tc, test_add);
	tcase_add_test(tc, test_percent_rounding);
	tcase_add_test(tc, test_percent_edges);
#ifdef __SIZEOF_INT128__
	tcase_add_test(tc, test_percent_matches_reference);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(money_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
