/*
 * Disclosure control of the cases dashboards (see domain.h): the exact
 * counts of cases_dashboard() become tables by sex with their totals,
 * suppressed by the library's mp_suppress (primary and complementary).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "mp/suppress.h"

#include "domain.h"

#define NSEX 2

static const char *const sexes[NSEX] = {"female", "male"};

/* A table of the dashboard: its key, the dimensions of a row, and its
 * margins (the sum over rows counts people only where a person is in one
 * row: a case with two needs is in two rows of cases_by_need). */
struct dash_table {
	const char *key;
	const char *dims[3];
	unsigned margins;
};

static const struct dash_table tables[] = {
    {"cases_by_state", {"state", NULL}, MP_MARGIN_ROW | MP_MARGIN_COL},
    {"cases_by_need", {"need", NULL}, MP_MARGIN_ROW},
    {"referrals_by_outcome",
     {"status", "outcome", NULL},
     MP_MARGIN_ROW | MP_MARGIN_COL},
    {"referrals_by_category", {"category", NULL}, MP_MARGIN_ROW},
    /* an agent certified both as agent and as mediator is in two rows */
    {"certified", {"role", NULL}, MP_MARGIN_ROW},
};

static int sex_index(const json_t *cell);
static int count_of(const json_t *cell, int64_t *n);
static bool same_row(const struct dash_table *dt, const json_t *a,
                     const json_t *b);
static json_t *cell_json(const struct dash_table *dt, const json_t *proto,
                         const char *sex, const struct mp_cell *x);
static int protect_table(json_t *dash, const struct dash_table *dt,
                         int64_t threshold);
static int protect_medians(json_t *dash, int64_t threshold);
static int protect_unrecorded(json_t *dash, int64_t threshold);

static int
sex_index(const json_t *cell)
{
	const char *s = json_string_value(json_object_get(cell, "sex"));

	for (int i = 0; s != NULL && i < NSEX; i++)
		if (strcmp(s, sexes[i]) == 0)
			return i;
	return -EINVAL;
}

static int
count_of(const json_t *cell, int64_t *n)
{
	const json_t *v = json_object_get(cell, "n");

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*n = json_integer_value(v);
	return 0;
}

static bool
same_row(const struct dash_table *dt, const json_t *a, const json_t *b)
{
	for (size_t i = 0; dt->dims[i] != NULL; i++) {
		const json_t *x = json_object_get(a, dt->dims[i]);
		const json_t *y = json_object_get(b, dt->dims[i]);

		if (x == NULL || y == NULL || !json_equal(x, y))
			return false;
	}
	return true;
}

/* A published cell: the row's dimensions from proto (NULL: the total
 * row, every dimension "total"), the sex, the count or null. */
static json_t *
cell_json(const struct dash_table *dt, const json_t *proto, const char *sex,
          const struct mp_cell *x)
{
	bool hide = (x->flags & MP_CELL_SUPPRESSED) != 0;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	for (size_t i = 0; dt->dims[i] != NULL; i++)
		json_object_set_new(o, dt->dims[i],
		                    proto != NULL ? json_incref(json_object_get(
		                                        proto, dt->dims[i]))
		                                  : json_string("total"));
	json_object_set_new(o, "sex", json_string(sex));
	json_object_set_new(o, "count",
	                    hide ? json_null() : json_integer(x->count));
	json_object_set_new(o, "suppressed", json_boolean(hide));
	return o;
}

static int
protect_table(json_t *dash, const struct dash_table *dt, int64_t threshold)
{
	json_t *in = json_object_get(dash, dt->key), *out = NULL, *e;
	const json_t *protos[MP_TABLE_MAX_ROWS];
	struct mp_table t = {0};
	size_t i, r, nrows = 0;
	int64_t n;
	int sex, rc;

	if (!json_is_array(in))
		return -EINVAL;
	json_array_foreach(in, i, e)
	{
		if (nrows == 0 || !same_row(dt, protos[nrows - 1], e)) {
			if (nrows == MP_TABLE_MAX_ROWS)
				return -E2BIG;
			protos[nrows++] = e;
		}
	}
	if (nrows == 0)
		return 0;
	if ((rc = mp_table_init(&t, nrows, NSEX, dt->margins)) != 0)
		return rc;
	r = 0;
	json_array_foreach(in, i, e)
	{
		while (r < nrows && !same_row(dt, protos[r], e))
			r++;
		if (r == nrows || (sex = sex_index(e)) < 0 ||
		    count_of(e, &n) != 0) {
			rc = -EINVAL;
			goto cleanup;
		}
		mp_table_at(&t, r, (size_t)sex)->count += n;
		mp_table_at(&t, r, (size_t)sex)->value += n;
	}
	mp_table_totals(&t);
	if ((rc = mp_suppress(&t, threshold, NULL, NULL)) != 0)
		goto cleanup;
	if ((out = json_array()) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (r = 0; r <= nrows; r++) {
		if (r == nrows && !(dt->margins & MP_MARGIN_COL))
			break;
		for (size_t c = 0; c <= NSEX; c++) {
			json_t *cell =
			    cell_json(dt, r < nrows ? protos[r] : NULL,
			              c < NSEX ? sexes[c] : "total",
			              mp_table_at(&t, r, c));

			if (cell == NULL ||
			    json_array_append_new(out, cell) != 0) {
				rc = -ENOMEM;
				goto cleanup;
			}
		}
	}
	/* protos borrow from `in`: replaced only once they are copied */
	rc = json_object_set_new(dash, dt->key, out) == 0 ? 0 : -ENOMEM;
	out = NULL;
cleanup:
	json_decref(out);
	mp_table_free(&t);
	return rc;
}

/* The medians by sex publish no sum: each rests on its own count. */
static int
protect_medians(json_t *dash, int64_t threshold)
{
	json_t *in = json_object_get(dash, "median_days_to_first_referral"), *e;
	size_t i;
	int64_t n;

	if (!json_is_array(in))
		return -EINVAL;
	json_array_foreach(in, i, e)
	{
		bool hide;

		if (sex_index(e) < 0 || count_of(e, &n) != 0)
			return -EINVAL;
		hide = n > 0 && n < threshold;
		if (hide)
			json_object_set_new(e, "median_days", json_null());
		json_object_set_new(e, "count",
		                    hide ? json_null() : json_integer(n));
		json_object_set_new(e, "suppressed", json_boolean(hide));
		json_object_del(e, "n");
	}
	return 0;
}

/* The certified agents whose sex was never recorded: one count, no sum
 * published with it, suppressed from 1 to threshold - 1 like any cell. */
static int
protect_unrecorded(json_t *dash, int64_t threshold)
{
	json_t *v = json_object_get(dash, "certified_sex_unrecorded");
	int64_t n;
	bool hide;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0)
		return -EINVAL;
	hide = n > 0 && n < threshold;
	return json_object_set_new(
	           dash, "certified_sex_unrecorded",
	           json_pack("{s:o, s:b}", "count",
	                     hide ? json_null() : json_integer(n), "suppressed",
	                     hide)) == 0
	           ? 0
	           : -ENOMEM;
}

int
cases_dashboard_protect(json_t *dash)
{
	json_t *th = json_object_get(dash, "suppression_threshold");
	int rc;

	if (!json_is_object(dash) || !json_is_integer(th) ||
	    json_integer_value(th) < 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if ((rc = protect_table(dash, &tables[i],
		                        json_integer_value(th))) != 0)
			return rc;
	if ((rc = protect_unrecorded(dash, json_integer_value(th))) != 0)
		return rc;
	return protect_medians(dash, json_integer_value(th));
}
