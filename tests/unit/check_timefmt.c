/*
 * check_timefmt: RFC 3339 times and calendar dates, strict in what they
 * accept, exact in what they compute.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "mp/util.h"

static Suite *timefmt_suite(void);
static int64_t parse_ok(const char *s);

static int64_t
parse_ok(const char *s)
{
	int64_t ms = 0;

	ck_assert_msg(mp_time_parse(s, &ms) == 0, "rejected \"%s\"", s);
	return ms;
}

START_TEST(test_format_known_instants)
{
	char out[32];

	ck_assert_int_eq(mp_time_format(0, out), 0);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
	ck_assert_int_eq(mp_time_format(1795933800123LL, out), 0);
	ck_assert_str_eq(out, "2026-11-29T06:30:00.123Z");
	ck_assert_int_eq(mp_time_format(1709251199999LL, out), 0);
	ck_assert_str_eq(out, "2024-02-29T23:59:59.999Z");
	ck_assert_int_eq(mp_time_format(-1, out), 0);
	ck_assert_str_eq(out, "1969-12-31T23:59:59.999Z");
	ck_assert_int_eq(mp_time_format(-14182940000LL, out), 0);
	ck_assert_str_eq(out, "1969-07-20T20:17:40.000Z");
	ck_assert_int_eq(mp_time_format(-62135596800000LL, out), 0);
	ck_assert_str_eq(out, "0001-01-01T00:00:00.000Z");
	ck_assert_int_eq(mp_time_format(253402300799999LL, out), 0);
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
	ck_assert_int_eq(mp_time_format(-62167219200000LL, out), 0);
	ck_assert_str_eq(out, "0000-01-01T00:00:00.000Z");
}
END_TEST

START_TEST(test_format_out_of_range)
{
	char out[32] = "x";

	ck_assert_int_eq(mp_time_format(253402300800000LL, out), -ERANGE);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(mp_time_format(-62167219200001LL, out), -ERANGE);
	ck_assert_int_eq(mp_time_format(INT64_MAX, out), -ERANGE);
	ck_assert_int_eq(mp_time_format(INT64_MIN, out), -ERANGE);
}
END_TEST

START_TEST(test_parse_utc_and_offsets)
{
	ck_assert_int_eq(parse_ok("2026-11-29T06:30:00.123Z"), 1795933800123LL);
	ck_assert_int_eq(parse_ok("2026-11-29t06:30:00.123z"), 1795933800123LL);
	ck_assert_int_eq(parse_ok("2026-11-29T07:30:00.123+01:00"),
	                 1795933800123LL);
	ck_assert_int_eq(parse_ok("2026-11-29T01:00:00.123-05:30"),
	                 1795933800123LL);
	ck_assert_int_eq(parse_ok("2026-11-29T06:30:00.123-00:00"),
	                 1795933800123LL);
	ck_assert_int_eq(parse_ok("2026-11-30T06:29:00.123+23:59"),
	                 1795933800123LL);
	/* an offset that crosses a year boundary */
	ck_assert_int_eq(parse_ok("2026-12-31T23:00:00Z"),
	                 parse_ok("2027-01-01T01:00:00+02:00"));
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(parse_ok("1969-12-31T23:59:59.999Z"), -1);
}
END_TEST

START_TEST(test_parse_fractions)
{
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00.1Z"), 100);
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00.12Z"), 120);
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00.123Z"), 123);
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00.1239Z"), 123);
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00.123456789Z"), 123);
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00.999999999+00:00"), 999);
}
END_TEST

START_TEST(test_parse_leap_days)
{
	ck_assert_int_eq(parse_ok("2024-02-29T23:59:59.999Z"), 1709251199999LL);
	ck_assert_int_eq(parse_ok("2000-02-29T00:00:00Z"),
	                 parse_ok("2000-03-01T00:00:00Z") - 86400000LL);
	ck_assert_int_eq(parse_ok("1600-02-29T00:00:00Z") + 86400000LL,
	                 parse_ok("1600-03-01T00:00:00Z"));
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const char *const bad[] = {
	    "",
	    "2026",
	    "2026-11-29",
	    "2026-11-29T06:30Z",    /* no seconds */
	    "2026-11-29T06:30:00",  /* no offset */
	    "2026-11-29 06:30:00Z", /* space separator */
	    "2026-11-29T24:00:00Z", /* 24:00 */
	    "2026-11-29T23:60:00Z",
	    "2026-12-31T23:59:60Z", /* leap second */
	    "2023-02-29T00:00:00Z", /* not a leap year */
	    "1900-02-29T00:00:00Z", /* century, not leap */
	    "2100-02-29T00:00:00Z",
	    "2026-04-31T00:00:00Z",
	    "2026-13-01T00:00:00Z",
	    "2026-00-10T00:00:00Z",
	    "2026-01-00T00:00:00Z",
	    "2026-01-32T00:00:00Z",
	    "2026-11-29T06:30:00+24:00", /* bad offsets */
	    "2026-11-29T06:30:00+05:60",
	    "2026-11-29T06:30:00+0530",
	    "2026-11-29T06:30:00+05",
	    "2026-11-29T06:30:00+5:30",
	    "2026-11-29T06:30:00+05:3",
	    "2026-11-29T06:30:00 +05:30",
	    "2026-11-29T06:30:00Z+01:00",
	    "2026-11-29T06:30:00UTC",
	    "2026-11-29T06:30:00GMT",
	    "2026-11-29T06:30:00+05:30:00",
	    "2026-11-29T06:30:00.Z",           /* empty fraction */
	    "2026-11-29T06:30:00.1234567890Z", /* 10 digits */
	    "2026-11-29T06:30:00,123Z",
	    "2026-11-29T06:30:00.12aZ",
	    "2026-11-29T06:30:00Z ",
	    " 2026-11-29T06:30:00Z",
	    "2026-11-29T06:30:00Zjunk",
	    "2026-11-29T06:30:00ZZ",
	    "+2026-11-29T06:30:00Z",
	    "12026-11-29T06:30:00Z",
	    "2026-1-29T06:30:00Z",
	    "2026-11-29T6:30:00Z",
	    "2026/11/29T06:30:00Z",
	    "2026-11-29T06-30-00Z",
	    "-026-11-29T06:30:00Z",
	    "2026-11-29T06:30:-1Z",
	    "2026-11-29T\xd9\xa0\xd9\xa6:30:00Z", /* Arabic-Indic digits */
	    "2026-11-29T06:30:00.\xef\xbc\x91Z",  /* fullwidth digit */
	    "2026-11-29T06:30:00\xe2\x80\x8bZ",   /* zero-width space */
	    "2026-11-29\x00T06:30:00Z",
	    NULL};
	int64_t ms = 42;
	size_t i;

	ck_assert_int_eq(mp_time_parse(NULL, &ms), -EINVAL);
	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(mp_time_parse(bad[i], &ms) == -EINVAL,
		              "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(ms, 42);
	}
}
END_TEST

/* Every proper prefix of a valid time is rejected (truncated input). */
START_TEST(test_parse_rejects_truncations)
{
	const char *full = "2026-11-29T06:30:00.123+01:00";
	char buf[64];
	int64_t ms;
	size_t n;

	for (n = 0; n < strlen(full); n++) {
		memcpy(buf, full, n);
		buf[n] = '\0';
		/* "...:00.1", "...:00.12" etc. lack an offset too */
		ck_assert_msg(mp_time_parse(buf, &ms) == -EINVAL,
		              "accepted prefix \"%s\"", buf);
	}
	ck_assert_int_eq(mp_time_parse(full, &ms), 0);
}
END_TEST

START_TEST(test_parse_long_input)
{
	char *s = malloc(1 << 20);
	int64_t ms;

	ck_assert_ptr_nonnull(s);
	memset(s, '9', (1 << 20) - 1);
	s[(1 << 20) - 1] = '\0';
	ck_assert_int_eq(mp_time_parse(s, &ms), -EINVAL);
	memcpy(s, "2026-11-29T06:30:00.", 20);
	ck_assert_int_eq(mp_time_parse(s, &ms), -EINVAL);
	free(s);
}
END_TEST

START_TEST(test_round_trip)
{
	char out[32];
	int64_t ms, back;
	unsigned seed = 12345;
	int i;

	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		ms = ((int64_t)rand_r(&seed) << 31 | rand_r(&seed)) %
		         (253402300799999LL + 62167219200000LL + 1) -
		     62167219200000LL;
		ck_assert_int_eq(mp_time_format(ms, out), 0);
		ck_assert_int_eq(mp_time_parse(out, &back), 0);
		ck_assert_msg(back == ms, "%lld -> %s -> %lld", (long long)ms,
		              out, (long long)back);
	}
}
END_TEST

START_TEST(test_date_parse)
{
	int y = 0, m = 0, d = 0;

	ck_assert_int_eq(mp_date_parse("2024-02-29", &y, &m, &d), 0);
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(m, 2);
	ck_assert_int_eq(d, 29);
	ck_assert_int_eq(mp_date_parse("2000-02-29", NULL, NULL, NULL), 0);
	ck_assert_int_eq(mp_date_parse("2026-12-31", NULL, NULL, &d), 0);
	ck_assert_int_eq(d, 31);
	ck_assert_int_eq(mp_date_parse("0000-01-01", NULL, NULL, NULL), 0);
	ck_assert_int_eq(mp_date_parse("9999-12-31", NULL, NULL, NULL), 0);

	y = 7;
	ck_assert_int_eq(mp_date_parse(NULL, &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2023-02-29", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("1900-02-29", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-06-31", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-02-30", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-13-01", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-00-01", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-01-00", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-1-01", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-01-1", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-01-01T", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-01-01 ", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse(" 2026-01-01", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026/01/01", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("20260101", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("+026-01-01", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(mp_date_parse("2026-01-+1", &y, &m, &d), -EINVAL);
	ck_assert_int_eq(
	    mp_date_parse("\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa6-01-01", &y, &m, &d),
	    -EINVAL);
	ck_assert_int_eq(y, 7);
}
END_TEST

START_TEST(test_now_ms)
{
	int64_t a = mp_now_ms(), t = (int64_t)time(NULL) * 1000;

	ck_assert_int_gt(a, 1704067200000LL); /* after 2024-01-01 */
	ck_assert_int_lt(a - t < 0 ? t - a : a - t, 2000);
	ck_assert_int_le(a, mp_now_ms());
}
END_TEST

static Suite *
timefmt_suite(void)
{
	Suite *s = suite_create("timefmt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_format_known_instants);
	tcase_add_test(tc, test_format_out_of_range);
	tcase_add_test(tc, test_parse_utc_and_offsets);
	tcase_add_test(tc, test_parse_fractions);
	tcase_add_test(tc, test_parse_leap_days);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_parse_rejects_truncations);
	tcase_add_test(tc, test_parse_long_input);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_date_parse);
	tcase_add_test(tc, test_now_ms);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(timefmt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
