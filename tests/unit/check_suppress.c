/*
 * Disclosure control: primary and complementary suppression of tables
 * with margins, and the audit that nothing suppressed can be recomputed.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mp/suppress.h"

static void
fill(struct mp_table *t, const int64_t *v)
{
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			struct mp_cell *x = mp_table_at(t, r, c);

			x->count = x->value = v[r * t->cols + c];
		}
	mp_table_totals(t);
}

static bool
hid(const struct mp_table *t, size_t r, size_t c)
{
	return (mp_table_at(t, r, c)->flags & MP_CELL_SUPPRESSED) != 0;
}

START_TEST(test_one_dimension)
{
	/* women/men/other by region as a 1-D row with its total */
	static const int64_t v[] = {12, 3, 9};
	struct mp_table t;
	size_t np, ns;

	ck_assert_int_eq(mp_table_init(&t, 1, 3, MP_MARGIN_ROW), 0);
	fill(&t, v);
	ck_assert_int_eq(mp_table_at(&t, 0, 3)->count, 24);
	ck_assert_int_eq(mp_suppress(&t, 5, &np, &ns), 0);
	ck_assert_uint_eq(np, 1);
	ck_assert_uint_eq(ns, 1);
	ck_assert(hid(&t, 0, 1));
	ck_assert(mp_table_at(&t, 0, 1)->flags & MP_CELL_PRIMARY);
	/* the smallest other cell hides it from the total */
	ck_assert(hid(&t, 0, 2));
	ck_assert(!hid(&t, 0, 0));
	ck_assert(!hid(&t, 0, 3));
	/* marked, never zeroed */
	ck_assert_int_eq(mp_table_at(&t, 0, 1)->count, 3);
	ck_assert_int_eq(mp_table_disclosed(&t, NULL, NULL), 0);
	mp_table_free(&t);
}
END_TEST

START_TEST(test_naive_leaks_through_totals)
{
	/* regions x (women, men) with row and column totals */
	static const int64_t v[] = {20, 3, 15, 12, 8, 9};
	struct mp_table t;
	size_t r = 9, c = 9, ns;

	ck_assert_int_eq(mp_table_init(&t, 3, 2, MP_MARGIN_ROW | MP_MARGIN_COL),
	                 0);
	fill(&t, v);
	/* naive: only the small cell hidden; the row total gives it away */
	mp_table_at(&t, 0, 1)->flags = MP_CELL_PRIMARY;
	ck_assert_int_eq(mp_table_disclosed(&t, &r, &c), 1);
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(c, 1);
	/* complementary suppression closes it: a rectangle of 4 cells */
	ck_assert_int_eq(mp_suppress(&t, 5, NULL, &ns), 0);
	ck_assert_uint_eq(ns, 3);
	ck_assert(hid(&t, 0, 0) && hid(&t, 0, 1));
	ck_assert(hid(&t, 2, 0) && hid(&t, 2, 1));
	ck_assert(!hid(&t, 1, 0) && !hid(&t, 1, 1));
	ck_assert(!hid(&t, 3, 0) && !hid(&t, 3, 1) && !hid(&t, 3, 2));
	ck_assert_int_eq(mp_table_disclosed(&t, NULL, NULL), 0);
	mp_table_free(&t);
}
END_TEST

START_TEST(test_naive_leaks_through_column_total)
{
	/* one column only (no sex dimension): the grand total leaks */
	static const int64_t v[] = {40, 2, 17};
	struct mp_table t;

	ck_assert_int_eq(mp_table_init(&t, 3, 1, MP_MARGIN_COL), 0);
	fill(&t, v);
	mp_table_at(&t, 1, 0)->flags = MP_CELL_PRIMARY;
	ck_assert_int_eq(mp_table_disclosed(&t, NULL, NULL), 1);
	ck_assert_int_eq(mp_suppress(&t, 5, NULL, NULL), 0);
	ck_assert(hid(&t, 1, 0));
	ck_assert(hid(&t, 2, 0)); /* 17 < 40: the smaller complement */
	ck_assert(!hid(&t, 0, 0) && !hid(&t, 3, 0));
	ck_assert_int_eq(mp_table_disclosed(&t, NULL, NULL), 0);
	mp_table_free(&t);
}
END_TEST

START_TEST(test_small_margin_and_zeros)
{
	/* a column whose total is itself small; zeros are not sensitive */
	static const int64_t v[] = {0, 2, 30, 25, 0, 7};
	struct mp_table t;
	size_t np;

	ck_assert_int_eq(mp_table_init(&t, 2, 3, MP_MARGIN_ROW | MP_MARGIN_COL),
	                 0);
	fill(&t, v);
	ck_assert_int_eq(mp_suppress(&t, 5, &np, NULL), 0);
	/* primary: the 2 and its column total 2; the empty cell below
	 * stays published, row 0's total still needs a complement */
	ck_assert_uint_eq(np, 2);
	ck_assert(hid(&t, 0, 1) && hid(&t, 2, 1) && !hid(&t, 1, 1));
	ck_assert(hid(&t, 0, 2) || hid(&t, 0, 0) || hid(&t, 0, 3));
	ck_assert_int_eq(mp_table_disclosed(&t, NULL, NULL), 0);
	for (size_t i = 0; i < 3 * 4; i++)
		if (t.cells[i].flags & MP_CELL_PRIMARY)
			ck_assert(t.cells[i].count > 0 && t.cells[i].count < 5);
	mp_table_free(&t);
}
END_TEST

START_TEST(test_threshold_configurable)
{
	static const int64_t v[] = {8, 9, 30};
	struct mp_table t;
	size_t np;

	ck_assert_int_eq(mp_table_init(&t, 1, 3, MP_MARGIN_ROW), 0);
	fill(&t, v);
	ck_assert_int_eq(mp_suppress(&t, 5, &np, NULL), 0);
	ck_assert_uint_eq(np, 0);
	ck_assert_int_eq(mp_suppress(&t, 10, &np, NULL), 0);
	ck_assert_uint_eq(np, 2);
	ck_assert(hid(&t, 0, 0) && hid(&t, 0, 1) && !hid(&t, 0, 2));
	ck_assert_int_eq(mp_suppress(&t, 0, NULL, NULL), -EINVAL);
	mp_table_free(&t);
}
END_TEST

/* Many random tables: after suppression every small cell is hidden, no
 * hidden cell is derivable and no count was changed. */
START_TEST(test_random_tables_never_disclose)
{
	unsigned seed = 12345;

	for (int round = 0; round < 400; round++) {
		size_t rows = 1 + rand_r(&seed) % 12,
		       cols = 1 + rand_r(&seed) % 4;
		unsigned m = 1 + rand_r(&seed) % 3;
		int64_t v[12 * 4], before[13 * 5];
		struct mp_table t;

		for (size_t i = 0; i < rows * cols; i++)
			v[i] = (rand_r(&seed) % 3 == 0) ? rand_r(&seed) % 5
			                                : rand_r(&seed) % 40;
		ck_assert_int_eq(mp_table_init(&t, rows, cols, m), 0);
		fill(&t, v);
		for (size_t i = 0; i < (rows + 1) * (cols + 1); i++)
			before[i] = t.cells[i].count;
		ck_assert_int_eq(mp_suppress(&t, 5, NULL, NULL), 0);
		ck_assert_int_eq(mp_table_disclosed(&t, NULL, NULL), 0);
		for (size_t r = 0; r < rows; r++)
			for (size_t c = 0; c < cols; c++) {
				struct mp_cell *x = mp_table_at(&t, r, c);

				if (x->count > 0 && x->count < 5)
					ck_assert(x->flags & MP_CELL_PRIMARY);
			}
		for (size_t i = 0; i < (rows + 1) * (cols + 1); i++)
			ck_assert_int_eq(before[i], t.cells[i].count);
		mp_table_free(&t);
	}
}
END_TEST

START_TEST(test_bad_input)
{
	struct mp_table t;

	ck_assert_int_eq(mp_table_init(&t, 0, 2, 0), -EINVAL);
	ck_assert_int_eq(mp_table_init(&t, MP_TABLE_MAX_ROWS + 1, 2, 0),
	                 -EINVAL);
	ck_assert_int_eq(mp_suppress(NULL, 5, NULL, NULL), -EINVAL);
	ck_assert_ptr_null(mp_table_at(NULL, 0, 0));
}
END_TEST

static Suite *
suppress_suite(void)
{
	Suite *s = suite_create("mp_suppress");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_one_dimension);
	tcase_add_test(tc, test_naive_leaks_through_totals);
	tcase_add_test(tc, test_naive_leaks_through_column_total);
	tcase_add_test(tc, test_small_margin_and_zeros);
	tcase_add_test(tc, test_threshold_configurable);
	tcase_add_test(tc, test_random_tables_never_disclose);
	tcase_add_test(tc, test_bad_input);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suppress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
