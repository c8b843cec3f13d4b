/*
 * Indicator arithmetic, DHIS2 periods and the analytics query parser.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/gender/src/domain.h"

START_TEST(test_share_bp)
{
	int32_t bp;

	ck_assert_int_eq(gender_share_bp(1, 3, &bp), 0);
	ck_assert_int_eq(bp, 3333);
	ck_assert_int_eq(gender_share_bp(2, 3, &bp), 0);
	ck_assert_int_eq(bp, 6667);
	ck_assert_int_eq(gender_share_bp(1, 8, &bp), 0);
	ck_assert_int_eq(bp, 1250);
	ck_assert_int_eq(gender_share_bp(0, 7, &bp), 0);
	ck_assert_int_eq(bp, 0);
	ck_assert_int_eq(gender_share_bp(7, 7, &bp), 0);
	ck_assert_int_eq(bp, 10000);
	/* money: 1.5 M of 3.75 M minor units = 40 % */
	ck_assert_int_eq(gender_share_bp(150000000, 375000000, &bp), 0);
	ck_assert_int_eq(bp, 4000);
	ck_assert_int_eq(gender_share_bp(0, 0, &bp), -EDOM);
	ck_assert_int_eq(gender_share_bp(4, 3, &bp), -EINVAL);
	ck_assert_int_eq(gender_share_bp(-1, 3, &bp), -EINVAL);
}
END_TEST

START_TEST(test_median)
{
	int64_t odd[] = {9, 1, 5}, even[] = {10, 3, 4, 1}, x2;

	ck_assert_int_eq(gender_median_x2(odd, 3, &x2), 0);
	ck_assert_int_eq(x2, 10);
	ck_assert_int_eq(gender_median_x2(even, 4, &x2), 0);
	ck_assert_int_eq(x2, 7); /* (3 + 4) / 2 = 3.5 */
	ck_assert_int_eq(gender_median_x2(even, 0, &x2), -EDOM);
}
END_TEST

START_TEST(test_gap_and_trend)
{
	int64_t gap;
	bool off;

	ck_assert_int_eq(
	    gender_gap(3500, 4000, GENDER_TARGET_AT_LEAST, &gap, &off), 0);
	ck_assert_int_eq(gap, -500);
	ck_assert(off);
	ck_assert_int_eq(
	    gender_gap(4200, 4000, GENDER_TARGET_AT_LEAST, &gap, &off), 0);
	ck_assert(!off);
	ck_assert_int_eq(gender_gap(40, 30, GENDER_TARGET_AT_MOST, &gap, &off),
	                 0);
	ck_assert(off);
	ck_assert_int_eq(
	    gender_trend_of(3000, 3500, GENDER_TARGET_AT_LEAST, 100),
	    GENDER_TREND_IMPROVING);
	ck_assert_int_eq(
	    gender_trend_of(3500, 3000, GENDER_TARGET_AT_LEAST, 100),
	    GENDER_TREND_WORSENING);
	ck_assert_int_eq(
	    gender_trend_of(3000, 3050, GENDER_TARGET_AT_LEAST, 100),
	    GENDER_TREND_STABLE);
	ck_assert_int_eq(gender_trend_of(30, 20, GENDER_TARGET_AT_MOST, 0),
	                 GENDER_TREND_IMPROVING);
	ck_assert_str_eq(gender_trend_name(GENDER_TREND_WORSENING),
	                 "worsening");
}
END_TEST

START_TEST(test_period_parse_format)
{
	static const char *const good[] = {
	    "202701", "202712", "2027Q1", "2027Q4", "2027", "1900", "9999"};
	static const char *const bad[] = {
	    "",       "27",     "20271",  "202700",   "202713",
	    "2027Q0", "2027Q5", "2027q1", "2027-01",  "1899",
	    "2027W1", "+2027",  "2027 ",  "20270101", "2027Q"};
	struct gender_period p;
	char buf[GENDER_PERIOD_STRLEN];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(gender_period_parse(good[i], &p), 0);
		ck_assert_int_eq(gender_period_format(&p, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(gender_period_parse(bad[i], &p) == -EINVAL,
		              "accepted '%s'", bad[i]);
	ck_assert_int_eq(gender_period_parse("2027Q3", &p), 0);
	ck_assert_int_eq(p.type, GENDER_PERIOD_QUARTERLY);
	ck_assert_int_eq(p.index, 3);
	ck_assert_int_eq(gender_period_format(&p, buf, 4), -ERANGE);
	ck_assert_str_eq(gender_period_type_name(p.type), "QUARTERLY");
}
END_TEST

START_TEST(test_period_of_date_and_bounds)
{
	struct gender_period p, n;
	char a[11], b[11], buf[8];

	ck_assert_int_eq(gender_period_of_date("2027-05-17T10:00:00Z",
	                                       GENDER_PERIOD_QUARTERLY, &p),
	                 0);
	ck_assert_int_eq(gender_period_format(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2027Q2");
	ck_assert_int_eq(gender_period_bounds(&p, a, b), 0);
	ck_assert_str_eq(a, "2027-04-01");
	ck_assert_str_eq(b, "2027-07-01");
	ck_assert_int_eq(
	    gender_period_of_date("2027-12-31", GENDER_PERIOD_MONTHLY, &p), 0);
	ck_assert_int_eq(gender_period_bounds(&p, a, b), 0);
	ck_assert_str_eq(a, "2027-12-01");
	ck_assert_str_eq(b, "2028-01-01");
	ck_assert_int_eq(gender_period_next(&p, &n), 0);
	ck_assert_int_eq(gender_period_format(&n, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "202801");
	ck_assert_int_eq(gender_period_prev(&n, &p), 0);
	ck_assert_int_eq(gender_period_format(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "202712");
	ck_assert_int_eq(gender_period_parse("2027Q1", &p), 0);
	ck_assert_int_eq(gender_period_prev(&p, &n), 0);
	ck_assert_int_eq(gender_period_format(&n, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "2026Q4");
	ck_assert_int_eq(gender_period_parse("9999", &p), 0);
	ck_assert_int_eq(gender_period_next(&p, &n), -ERANGE);
	ck_assert_int_eq(
	    gender_period_of_date("2027/01/01", GENDER_PERIOD_YEARLY, &p),
	    -EINVAL);
	ck_assert_int_eq(
	    gender_period_of_date("2027-13-01", GENDER_PERIOD_YEARLY, &p),
	    -EINVAL);
}
END_TEST

START_TEST(test_query_dhis2_style)
{
	struct gender_query q;
	const char *field;
	char err[200];
	bool filter;
	const struct gender_dimsel *d;
	json_t *j;
	char *s;

	ck_assert_int_eq(
	    gender_query_parse(
	        "indicator=x&dimension=sex&"
	        "dimension=period:2027Q1%3B2027Q2&filter=region:oriental",
	        &q, &field, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(q.ndims, 2);
	ck_assert_uint_eq(q.nfilters, 1);
	d = gender_query_find(&q, GENDER_DIM_PERIOD, &filter);
	ck_assert_ptr_nonnull(d);
	ck_assert(!filter);
	ck_assert_uint_eq(d->nitems, 2);
	ck_assert_int_eq(d->ptype, GENDER_PERIOD_QUARTERLY);
	d = gender_query_find(&q, GENDER_DIM_REGION, &filter);
	ck_assert(filter);
	ck_assert_str_eq(d->items[0], "oriental");
	j = gender_query_json(&q);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(
	    s, "{\"dims\":[\"period\",\"sex\"],\"items\":"
	       "{\"period\":[{\"from\":\"2027-01-01\",\"id\":\"2027Q1\",\"to\":"
	       "\"2027-04-01\"},{\"from\":\"2027-04-01\",\"id\":\"2027Q2\","
	       "\"to\":\"2027-07-01\"}],\"region\":[\"oriental\"]},\"ptype\":"
	       "\"quarterly\"}");
	free(s);
	json_decref(j);
	/* literal ';' works too, and a bare period dimension is yearly */
	ck_assert_int_eq(gender_query_parse("dimension=age_band:18-24;25-34&"
	                                    "dimension=period",
	                                    &q, &field, err, sizeof(err)),
	                 0);
	d = gender_query_find(&q, GENDER_DIM_PERIOD, &filter);
	ck_assert_int_eq(d->ptype, GENDER_PERIOD_YEARLY);
	ck_assert_uint_eq(d->nitems, 0);
}
END_TEST

START_TEST(test_query_errors_name_the_field)
{
	static const char *const bad[] = {"dimension=colour",
	                                  "dimension=sex:other",
	                                  "dimension=period:2027Q1;202702",
	                                  "filter=region",
	                                  "dimension=sex&filter=sex:female",
	                                  "dimension=region:atlantis",
	                                  "dimension=period:2027Q9",
	                                  "filter=age_band:12-13",
	                                  "dimension=sex%ZZ",
	                                  "dimension=gender_marker:3",
	                                  "dimension=commune:Oujda"};
	struct gender_query q;
	const char *field;
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(gender_query_parse(bad[i], &q, &field, err,
		                                 sizeof(err)) == -EINVAL,
		              "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(field);
		ck_assert(err[0] != '\0');
	}
	ck_assert_int_eq(
	    gender_query_parse("filter=sex", &q, &field, err, sizeof(err)),
	    -EINVAL);
	ck_assert_str_eq(field, "filter");
}
END_TEST

static Suite *
indicator_suite(void)
{
	Suite *s = suite_create("gender_indicator");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_share_bp);
	tcase_add_test(tc, test_median);
	tcase_add_test(tc, test_gap_and_trend);
	tcase_add_test(tc, test_period_parse_format);
	tcase_add_test(tc, test_period_of_date_and_bounds);
	tcase_add_test(tc, test_query_dhis2_style);
	tcase_add_test(tc, test_query_errors_name_the_field);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(indicator_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
