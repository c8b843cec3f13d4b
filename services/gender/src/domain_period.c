/*
 * DHIS2 period identifiers (see domain.h): monthly YYYYMM, quarterly
 * YYYYQn, yearly YYYY, as DHIS2's analytics and dataValueSets APIs write
 * them, so the open data imports into a DHIS2 instance unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"

static int digits(const char *s, size_t n, int *out);
static bool period_valid(const struct gender_period *p);
static int period_step(const struct gender_period *p, int dir,
                       struct gender_period *out);

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool
period_valid(const struct gender_period *p)
{
	if (p == NULL || p->year < 1900 || p->year > 9999)
		return false;
	switch (p->type) {
	case GENDER_PERIOD_MONTHLY:
		return p->index >= 1 && p->index <= 12;
	case GENDER_PERIOD_QUARTERLY:
		return p->index >= 1 && p->index <= 4;
	case GENDER_PERIOD_YEARLY:
		return p->index == 0;
	}
	return false;
}

int
gender_period_parse(const char *s, struct gender_period *out)
{
	struct gender_period p;
	size_t len;

	if (s == NULL || out == NULL)
		return -EINVAL;
	len = strlen(s);
	if (len < 4 || digits(s, 4, &p.year) != 0)
		return -EINVAL;
	if (len == 4) {
		p.type = GENDER_PERIOD_YEARLY;
		p.index = 0;
	} else if (len == 6 && s[4] == 'Q') {
		p.type = GENDER_PERIOD_QUARTERLY;
		if (digits(s + 5, 1, &p.index) != 0)
			return -EINVAL;
	} else if (len == 6) {
		p.type = GENDER_PERIOD_MONTHLY;
		if (digits(s + 4, 2, &p.index) != 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (!period_valid(&p))
		return -EINVAL;
	*out = p;
	return 0;
}

int
gender_period_format(const struct gender_period *p, char *buf, size_t len)
{
	int n;

	if (!period_valid(p) || buf == NULL)
		return -EINVAL;
	switch (p->type) {
	case GENDER_PERIOD_MONTHLY:
		n = snprintf(buf, len, "%04d%02d", p->year, p->index);
		break;
	case GENDER_PERIOD_QUARTERLY:
		n = snprintf(buf, len, "%04dQ%d", p->year, p->index);
		break;
	default:
		n = snprintf(buf, len, "%04d", p->year);
		break;
	}
	return n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

int
gender_period_of_date(const char *date, enum gender_period_type type,
                      struct gender_period *out)
{
	int y, m, d;
	struct gender_period p;

	if (date == NULL || out == NULL || strlen(date) < 10 ||
	    date[4] != '-' || date[7] != '-' || digits(date, 4, &y) != 0 ||
	    digits(date + 5, 2, &m) != 0 || digits(date + 8, 2, &d) != 0 ||
	    m < 1 || m > 12 || d < 1 || d > 31 ||
	    (date[10] != '\0' && date[10] != 'T' && date[10] != ' '))
		return -EINVAL;
	p.type = type;
	p.year = y;
	p.index = type == GENDER_PERIOD_MONTHLY     ? m
	          : type == GENDER_PERIOD_QUARTERLY ? (m - 1) / 3 + 1
	                                            : 0;
	if (!period_valid(&p))
		return -EINVAL;
	*out = p;
	return 0;
}

int
gender_period_bounds(const struct gender_period *p, char start[11],
                     char end[11])
{
	int m0, m1, y1;
	char tmp[48];

	if (!period_valid(p) || start == NULL || end == NULL)
		return -EINVAL;
	switch (p->type) {
	case GENDER_PERIOD_MONTHLY:
		m0 = p->index;
		m1 = p->index + 1;
		break;
	case GENDER_PERIOD_QUARTERLY:
		m0 = (p->index - 1) * 3 + 1;
		m1 = m0 + 3;
		break;
	default:
		m0 = 1;
		m1 = 13;
		break;
	}
	y1 = p->year;
	if (m1 > 12) {
		m1 -= 12;
		y1++;
	}
	snprintf(tmp, sizeof(tmp), "%04d-%02d-01", p->year, m0);
	memcpy(start, tmp, 11);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-01", y1, m1);
	memcpy(end, tmp, 11);
	return 0;
}

/* The period `dir` (+1 or -1) steps away, as a count of periods since
 * year 0 so a year boundary is no special case. */
static int
period_step(const struct gender_period *p, int dir, struct gender_period *out)
{
	struct gender_period n;
	int per_year, k;

	if (!period_valid(p) || out == NULL)
		return -EINVAL;
	n = *p;
	per_year = p->type == GENDER_PERIOD_MONTHLY     ? 12
	           : p->type == GENDER_PERIOD_QUARTERLY ? 4
	                                                : 1;
	k = p->year * per_year + (per_year == 1 ? 0 : p->index - 1) + dir;
	n.year = k / per_year;
	n.index = per_year == 1 ? 0 : k % per_year + 1;
	if (!period_valid(&n))
		return -ERANGE;
	*out = n;
	return 0;
}

int
gender_period_next(const struct gender_period *p, struct gender_period *out)
{
	return period_step(p, 1, out);
}

int
gender_period_prev(const struct gender_period *p, struct gender_period *out)
{
	return period_step(p, -1, out);
}

const char *
gender_period_type_name(enum gender_period_type t)
{
	switch (t) {
	case GENDER_PERIOD_MONTHLY:
		return "MONTHLY";
	case GENDER_PERIOD_QUARTERLY:
		return "QUARTERLY";
	case GENDER_PERIOD_YEARLY:
		return "YEARLY";
	}
	return "YEARLY";
}
