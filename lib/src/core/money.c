/*
 * money.c: amounts as int64_t minor units (MAD centimes, EUR cents).
 *
 * Why integers and a hand-written parser: floating point cannot hold 0.10
 * exactly, and strtod/strtoll accept spaces, signs, exponents, hex and
 * locale separators that no client should send as an amount. The parser
 * accumulates in uint64_t against an explicit limit, so INT64_MIN is
 * reachable for signed input and nothing overflows on the way. Percentages
 * are split as amount = q * 10000 + r so that amount * bp / 10000 is exact
 * without 128-bit arithmetic: only q * bp can overflow, and that is checked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mp/util.h"

static int money_parse(const char *s, int allow_negative, int64_t *minor);

static int
money_parse(const char *s, int allow_negative, int64_t *minor)
{
	uint64_t limit = (uint64_t)INT64_MAX, v = 0;
	const char *p = s;
	int neg = 0, i, d;

	if (s == NULL)
		return -EINVAL;
	if (*p == '-') {
		if (!allow_negative)
			return -EINVAL;
		neg = 1;
		limit = (uint64_t)INT64_MAX + 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return -EINVAL; /* leading zero */

	/* Integer part, scaled by 100 at the end: keep v <= limit / 100. */
	for (; *p >= '0' && *p <= '9'; p++) {
		d = *p - '0';
		if (v > (limit / 100 - (uint64_t)d) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)d;
	}
	v *= 100;

	if (*p == '.') {
		p++;
		for (i = 0; i < 2 && *p >= '0' && *p <= '9'; i++, p++) {
			d = (*p - '0') * (i == 0 ? 10 : 1);
			if (v > limit - (uint64_t)d)
				return -ERANGE;
			v += (uint64_t)d;
		}
		if (i == 0)
			return -EINVAL; /* "1." */
	}
	if (*p != '\0')
		return -EINVAL; /* third decimal, exponent, space, ... */

	if (neg)
		*minor = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*minor = (int64_t)v;
	return 0;
}

int
mp_money_parse(const char *s, int64_t *minor)
{
	return money_parse(s, 0, minor);
}

int
mp_money_parse_signed(const char *s, int64_t *minor)
{
	return money_parse(s, 1, minor);
}

int
mp_money_format(int64_t minor, char *out, size_t outlen)
{
	char buf[MP_MONEY_STRLEN];
	uint64_t mag;
	int n;

	if (out == NULL || outlen == 0)
		return -ENOSPC;
	mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	n = snprintf(buf, sizeof(buf), "%s%llu.%02llu", minor < 0 ? "-" : "",
	             (unsigned long long)(mag / 100),
	             (unsigned long long)(mag % 100));
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -ENOSPC;
	}
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

int
mp_money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return -ERANGE;
	*out = r;
	return 0;
}

int
mp_money_percent(int64_t amount, int bp, int64_t *out)
{
	int64_t q = amount / 10000, r = amount % 10000;
	int64_t whole, rem, frac, res;

	/* q and r carry amount's sign, so q * bp and r * bp share the sign
	 * of the exact product; |r * bp| < 10000 * 2^31 cannot overflow. */
	if (__builtin_mul_overflow(q, (int64_t)bp, &whole))
		return -ERANGE;
	rem = r * (int64_t)bp;
	frac = rem % 10000;
	if (__builtin_add_overflow(whole, rem / 10000, &res))
		return -ERANGE;
	if (frac >= 5000 && __builtin_add_overflow(res, 1, &res))
		return -ERANGE;
	if (frac <= -5000 && __builtin_sub_overflow(res, 1, &res))
		return -ERANGE;
	*out = res;
	return 0;
}
