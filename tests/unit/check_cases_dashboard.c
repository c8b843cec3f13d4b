/*
 * check_cases_dashboard.c: the disclosure control of the cases dashboards
 * (cases_dashboard_protect over the library's mp_suppress): a table where
 * suppressing the cells of 1 to 4 alone leaks one through its totals, the
 * layout with totals and zeros, the medians, malformed input.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/cases/src/domain.h"

static json_t *
dash(const char *tables)
{
	char buf[2048];
	json_t *d;

	snprintf(buf, sizeof(buf),
	         "{\"region\": \"souss-massa\", \"commune\": null, "
	         "\"suppression_threshold\": 5, \"cases_by_state\": [], "
	         "\"cases_by_need\": [], \"referrals_by_outcome\": [], "
	         "\"referrals_by_category\": [], "
	         "\"median_days_to_first_referral\": [], \"certified\": [] %s}",
	         tables);
	d = json_loads(buf, 0, NULL);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* The published cell of `dim` = val (or "total") and sex in table key. */
static const json_t *
cell(const json_t *d, const char *key, const char *dim, const char *val,
     const char *sex)
{
	size_t i;
	const json_t *e;

	json_array_foreach(json_object_get(d, key), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, dim)), val) ==
		        0 &&
		    strcmp(json_string_value(json_object_get(e, "sex")), sex) ==
		        0)
			return e;
	}
	ck_abort_msg("no cell %s=%s sex=%s in %s", dim, val, sex, key);
	return NULL;
}

static int
hidden(const json_t *c)
{
	return json_is_true(json_object_get(c, "suppressed"));
}

/*
 * The independent check: in every published sum (a row with its total, a
 * column with its total) the number of suppressed members is not exactly
 * one, since that one would be the total minus the others. Returns the
 * number of such sums.
 */
static int
lone_hidden(const json_t *d, const char *key, const char *dim,
            const char *const *vals, size_t nvals)
{
	static const char *const sexes[] = {"female", "male", "total"};
	int lone = 0;
	size_t r, c, k;

	for (r = 0; r < nvals; r++) {
		for (k = 0, c = 0; c < 3; c++)
			k += (size_t)hidden(
			    cell(d, key, dim, vals[r], sexes[c]));
		lone += k == 1;
	}
	for (c = 0; c < 3; c++) {
		for (k = 0, r = 0; r < nvals; r++)
			k += (size_t)hidden(
			    cell(d, key, dim, vals[r], sexes[c]));
		k += (size_t)hidden(cell(d, key, dim, "total", sexes[c]));
		lone += k == 1;
	}
	return lone;
}

START_TEST(primary_alone_leaks_through_the_totals)
{
	/* in_progress: 3 women, 10 men. Hiding the 3 alone publishes 13 and
	 * 10, hence 3; and the women's column total gives it again. */
	static const char *const states[] = {"in_progress", "open"};
	json_t *d = dash(", \"cases_by_state\": ["
	                 "{\"state\": \"in_progress\", \"sex\": \"female\", "
	                 "\"n\": 3},"
	                 "{\"state\": \"in_progress\", \"sex\": \"male\", "
	                 "\"n\": 10},"
	                 "{\"state\": \"open\", \"sex\": \"female\", \"n\": 8},"
	                 "{\"state\": \"open\", \"sex\": \"male\", \"n\": 9}]");
	const json_t *c;

	ck_assert_int_eq(cases_dashboard_protect(d), 0);
	/* 3 rows (2 states + totals) x 3 columns (female, male, total) */
	ck_assert_int_eq(json_array_size(json_object_get(d, "cases_by_state")),
	                 9);
	c = cell(d, "cases_by_state", "state", "in_progress", "female");
	ck_assert(hidden(c));
	ck_assert(json_is_null(json_object_get(c, "count")));
	ck_assert_int_eq(lone_hidden(d, "cases_by_state", "state", states, 2),
	                 0);
	/* something besides the 3 is hidden in its row and in its column */
	ck_assert(
	    hidden(cell(d, "cases_by_state", "state", "in_progress", "male")) ||
	    hidden(cell(d, "cases_by_state", "state", "in_progress", "total")));
	ck_assert(
	    hidden(cell(d, "cases_by_state", "state", "open", "female")) ||
	    hidden(cell(d, "cases_by_state", "state", "total", "female")));
	/* what is shown is exact; the grand total 30 is published */
	c = cell(d, "cases_by_state", "state", "total", "total");
	ck_assert(!hidden(c));
	ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 30);
	ck_assert_ptr_null(json_object_get(c, "n"));
	json_decref(d);
}
END_TEST

START_TEST(layout_zeros_and_row_totals_only_for_needs)
{
	json_t *d =
	    dash(", \"cases_by_need\": ["
	         "{\"need\": \"health\", \"sex\": \"female\", \"n\": 7},"
	         "{\"need\": \"housing\", \"sex\": \"male\", \"n\": 6}],"
	         "\"referrals_by_outcome\": ["
	         "{\"status\": \"sent\", \"outcome\": null, \"sex\": \"male\", "
	         "\"n\": 12}]");
	const json_t *c;
	size_t i;
	json_t *e;

	ck_assert_int_eq(cases_dashboard_protect(d), 0);
	/* a case with two needs is in two rows: no total row for needs */
	ck_assert_int_eq(json_array_size(json_object_get(d, "cases_by_need")),
	                 6);
	json_array_foreach(json_object_get(d, "cases_by_need"), i, e)
	    ck_assert_str_ne(json_string_value(json_object_get(e, "need")),
	                     "total");
	/* an absent (need, sex) is a published 0, not a hole */
	c = cell(d, "cases_by_need", "need", "health", "male");
	ck_assert(!hidden(c));
	ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 0);
	c = cell(d, "cases_by_need", "need", "health", "total");
	ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 7);
	/* two dimensions: the null outcome is kept, totals say "total" */
	c = cell(d, "referrals_by_outcome", "status", "sent", "male");
	ck_assert(json_is_null(json_object_get(c, "outcome")));
	c = cell(d, "referrals_by_outcome", "status", "total", "male");
	ck_assert_str_eq(json_string_value(json_object_get(c, "outcome")),
	                 "total");
	ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 12);
	json_decref(d);
}
END_TEST

START_TEST(medians_rest_on_their_count)
{
	json_t *d =
	    dash(", \"median_days_to_first_referral\": ["
	         "{\"sex\": \"female\", \"median_days\": 2.5, \"n\": 3},"
	         "{\"sex\": \"male\", \"median_days\": 4.0, \"n\": 7}]");
	json_t *m;

	ck_assert_int_eq(cases_dashboard_protect(d), 0);
	m = json_object_get(d, "median_days_to_first_referral");
	ck_assert(hidden(json_array_get(m, 0)));
	ck_assert(
	    json_is_null(json_object_get(json_array_get(m, 0), "median_days")));
	ck_assert(json_is_null(json_object_get(json_array_get(m, 0), "count")));
	ck_assert(!hidden(json_array_get(m, 1)));
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_array_get(m, 1), "count")),
	    7);
	ck_assert_ptr_null(json_object_get(json_array_get(m, 1), "n"));
	json_decref(d);
}
END_TEST

START_TEST(certified_agents_by_role_and_sex)
{
	/* 3 women mediators: hidden, and since the row publishes its total,
	 * the 8 men beside them too; agents are shown; no total row (an
	 * agent certified in both roles is in both rows) */
	json_t *d = dash(", \"certified\": ["
	                 "{\"role\": \"mediator\", \"sex\": \"female\", "
	                 "\"n\": 3},"
	                 "{\"role\": \"mediator\", \"sex\": \"male\", "
	                 "\"n\": 8},"
	                 "{\"role\": \"municipal_agent\", \"sex\": "
	                 "\"female\", \"n\": 6},"
	                 "{\"role\": \"municipal_agent\", \"sex\": "
	                 "\"male\", \"n\": 7}],"
	                 "\"certified_sex_unrecorded\": 2");
	const json_t *c, *u;
	size_t i, k;
	json_t *e;

	ck_assert_int_eq(cases_dashboard_protect(d), 0);
	ck_assert_int_eq(json_array_size(json_object_get(d, "certified")), 6);
	json_array_foreach(json_object_get(d, "certified"), i, e)
	    ck_assert_str_ne(json_string_value(json_object_get(e, "role")),
	                     "total");
	c = cell(d, "certified", "role", "mediator", "female");
	ck_assert(hidden(c));
	ck_assert(json_is_null(json_object_get(c, "count")));
	k = (size_t)hidden(cell(d, "certified", "role", "mediator", "male")) +
	    (size_t)hidden(cell(d, "certified", "role", "mediator", "total"));
	ck_assert_uint_ge(k, 1);
	c = cell(d, "certified", "role", "municipal_agent", "total");
	ck_assert(!hidden(c));
	ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 13);
	u = json_object_get(d, "certified_sex_unrecorded");
	ck_assert(json_is_true(json_object_get(u, "suppressed")));
	ck_assert(json_is_null(json_object_get(u, "count")));
	json_decref(d);
	d = dash(", \"certified_sex_unrecorded\": 0");
	ck_assert_int_eq(cases_dashboard_protect(d), 0);
	u = json_object_get(d, "certified_sex_unrecorded");
	ck_assert_int_eq(json_integer_value(json_object_get(u, "count")), 0);
	ck_assert(json_is_false(json_object_get(u, "suppressed")));
	json_decref(d);
}
END_TEST

START_TEST(malformed_counts_are_refused)
{
	static const char *const bad[] = {
	    ", \"cases_by_state\": [{\"state\": \"open\", \"sex\": \"x\", "
	    "\"n\": 3}]",
	    ", \"cases_by_state\": [{\"state\": \"open\", \"sex\": "
	    "\"female\", \"n\": -1}]",
	    ", \"cases_by_state\": [{\"state\": \"open\", \"sex\": "
	    "\"female\", \"n\": \"3\"}]",
	    ", \"cases_by_state\": [{\"sex\": \"female\", \"n\": 3}]",
	    ", \"cases_by_need\": {}",
	};
	json_t *d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = dash(bad[i]);
		ck_assert_int_eq(cases_dashboard_protect(d), -EINVAL);
		json_decref(d);
	}
	d = dash("");
	json_object_del(d, "suppression_threshold");
	ck_assert_int_eq(cases_dashboard_protect(d), -EINVAL);
	json_decref(d);
}
END_TEST

static Suite *
dashboard_suite(void)
{
	Suite *s = suite_create("cases_dashboard");
	TCase *t = tcase_create("core");

	tcase_add_test(t, primary_alone_leaks_through_the_totals);
	tcase_add_test(t, layout_zeros_and_row_totals_only_for_needs);
	tcase_add_test(t, medians_rest_on_their_count);
	tcase_add_test(t, certified_agents_by_role_and_sex);
	tcase_add_test(t, malformed_counts_are_refused);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dashboard_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
