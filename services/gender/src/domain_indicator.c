/*
 * Indicator arithmetic in integers (see domain.h): shares in basis points,
 * medians kept exact by doubling, gaps to targets and their trend. No
 * floating point, so a figure is the same on every machine and in SQL.
 */
#include <errno.h>
#include <stdlib.h>

#include "domain.h"

static int cmp_i64(const void *a, const void *b);

int
gender_share_bp(int64_t part, int64_t whole, int32_t *out_bp)
{
	if (out_bp == NULL || part < 0 || whole < 0 || part > whole)
		return -EINVAL;
	if (whole == 0)
		return -EDOM;
	/* part <= whole < 2^63 / 20000 in practice; guard anyway */
	if (part > INT64_MAX / 20000)
		return -EINVAL;
	*out_bp = (int32_t)((part * 20000 + whole) / (2 * whole));
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
gender_median_x2(int64_t *v, size_t n, int64_t *out_x2)
{
	if (v == NULL || out_x2 == NULL)
		return -EINVAL;
	if (n == 0)
		return -EDOM;
	qsort(v, n, sizeof(*v), cmp_i64);
	if (n % 2 == 1)
		*out_x2 = 2 * v[n / 2];
	else
		*out_x2 = v[n / 2 - 1] + v[n / 2];
	return 0;
}

int
gender_gap(int64_t value, int64_t target, enum gender_target_kind kind,
           int64_t *gap, bool *off)
{
	if (gap == NULL || off == NULL)
		return -EINVAL;
	*gap = value - target;
	*off = kind == GENDER_TARGET_AT_LEAST ? value < target : value > target;
	return 0;
}

enum gender_trend
gender_trend_of(int64_t previous, int64_t current, enum gender_target_kind kind,
                int64_t tolerance)
{
	int64_t d = current - previous;

	if (tolerance < 0)
		tolerance = 0;
	if (d <= tolerance && d >= -tolerance)
		return GENDER_TREND_STABLE;
	if (kind == GENDER_TARGET_AT_LEAST)
		return d > 0 ? GENDER_TREND_IMPROVING : GENDER_TREND_WORSENING;
	return d < 0 ? GENDER_TREND_IMPROVING : GENDER_TREND_WORSENING;
}

const char *
gender_trend_name(enum gender_trend t)
{
	switch (t) {
	case GENDER_TREND_IMPROVING:
		return "improving";
	case GENDER_TREND_STABLE:
		return "stable";
	case GENDER_TREND_WORSENING:
		return "worsening";
	}
	return "stable";
}
