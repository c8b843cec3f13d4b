/*
 * timefmt.c: RFC 3339 times and calendar dates.
 *
 * Why our own code rather than strptime/timegm: strptime accepts far more
 * than RFC 3339 (spaces, missing fields, locale names), timegm depends on
 * the width of time_t and the process time zone, and neither checks that a
 * day exists. The civil <-> day-number conversions are Howard Hinnant's
 * branch-free algorithms over the proleptic Gregorian calendar, exact for
 * every year we accept (0000..9999), with floor division for times before
 * 1970.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mp/util.h"

#define MS_PER_DAY 86400000LL
#define MIN_UNIX_MS (-62167219200000LL) /* 0000-01-01T00:00:00Z */
#define MAX_UNIX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
static int is_leap(int64_t y);
static unsigned days_in_month(int64_t y, unsigned m);
static int digits(const char *s, size_t n, int *out);

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[12] = {31, 28, 31, 30, 31, 30,
	                                 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

/* Exactly n ASCII digits (n <= 9) into *out; -1 otherwise. */
static int
digits(const char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
mp_time_format(int64_t unix_ms, char out[32])
{
	int64_t days, rem, y;
	unsigned m, d, h, mi, s, ms;

	out[0] = '\0';
	if (unix_ms < MIN_UNIX_MS || unix_ms > MAX_UNIX_MS)
		return -ERANGE;
	days = unix_ms / MS_PER_DAY;
	rem = unix_ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	ms = (unsigned)(rem % 1000);
	rem /= 1000;
	s = (unsigned)(rem % 60);
	mi = (unsigned)(rem / 60 % 60);
	h = (unsigned)(rem / 3600);
	snprintf(out, 32, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", (int)y, m, d,
	         h, mi, s, ms);
	return 0;
}

int
mp_date_parse(const char *s, int *y, int *m, int *d)
{
	int yy, mm, dd;

	if (s == NULL || strnlen(s, 11) != 10)
		return -EINVAL;
	if (digits(s, 4, &yy) || s[4] != '-' || digits(s + 5, 2, &mm) ||
	    s[7] != '-' || digits(s + 8, 2, &dd))
		return -EINVAL;
	if (mm < 1 || mm > 12 || dd < 1 || (unsigned)dd > days_in_month(yy, mm))
		return -EINVAL;
	if (y != NULL)
		*y = yy;
	if (m != NULL)
		*m = mm;
	if (d != NULL)
		*d = dd;
	return 0;
}

int
mp_time_parse(const char *s, int64_t *unix_ms)
{
	char date[11];
	int y, mo, d, h, mi, sec, oh, om, frac = 0, nfrac, sign;
	const char *p;
	int64_t ms;

	if (s == NULL || strnlen(s, 20) < 20)
		return -EINVAL;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (mp_date_parse(date, &y, &mo, &d) != 0)
		return -EINVAL;
	if ((s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -EINVAL;
	if (h > 23 || mi > 59 || sec > 59)
		return -EINVAL;

	p = s + 19;
	if (*p == '.') {
		p++;
		for (nfrac = 0; p[nfrac] >= '0' && p[nfrac] <= '9'; nfrac++) {
			if (nfrac >= 9)
				return -EINVAL;
			if (nfrac < 3)
				frac = frac * 10 + (p[nfrac] - '0');
		}
		if (nfrac == 0)
			return -EINVAL;
		for (; nfrac < 3; nfrac++)
			frac *= 10;
		while (*p >= '0' && *p <= '9')
			p++;
	}

	if (*p == 'Z' || *p == 'z') {
		sign = 0;
		oh = om = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (strnlen(p, 7) != 6 || digits(p + 1, 2, &oh) ||
		    p[3] != ':' || digits(p + 4, 2, &om))
			return -EINVAL;
		if (oh > 23 || om > 59)
			return -EINVAL;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;

	ms = days_from_civil(y, (unsigned)mo, (unsigned)d) * MS_PER_DAY;
	ms += ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
	ms -= (int64_t)sign * (oh * 3600 + om * 60) * 1000;
	*unix_ms = ms;
	return 0;
}

uint64_t
mp_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t
mp_mono_ms(void)
{
	return (int64_t)(mp_mono_ns() / 1000000u);
}

int64_t
mp_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
