/*
 * jsontext.c: compaction and top-level member lookup over JSON text
 * (mp/jsontext.h). Single passes over the bytes that track only whether
 * they are inside a string (and after a backslash there) and how deep in
 * objects and arrays they are: that is all either job needs, since a
 * value is skipped by reaching the comma or brace that closes it at depth
 * zero.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "mp/jsontext.h"

static int is_ws(char c);
static size_t skip_ws(const char *s, size_t i, size_t len);
static size_t string_end(const char *s, size_t i, size_t len);
static size_t value_end(const char *s, size_t i, size_t len);

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && is_ws(s[i]))
		i++;
	return i;
}

/* s[i] is the opening quote: the index just past the closing one (len if
 * the string does not end). */
static size_t
string_end(const char *s, size_t i, size_t len)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

/* s[i] starts a value: the index just past it (trailing blanks not
 * included). */
static size_t
value_end(const char *s, size_t i, size_t len)
{
	size_t depth = 0, last = i;

	while (i < len) {
		char c = s[i];

		if (c == '"') {
			i = string_end(s, i, len);
			last = i;
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return last;
			if (--depth == 0)
				return i + 1;
		} else if (c == ',' && depth == 0) {
			return last;
		}
		i++;
		if (!is_ws(c))
			last = i;
	}
	return last;
}

size_t
mp_json_compact(char *dst, const char *src, size_t len)
{
	size_t i = 0, o = 0, e;

	while (i < len) {
		char c = src[i];

		if (c == '"') {
			e = string_end(src, i, len);
			memmove(dst + o, src + i, e - i);
			o += e - i;
			i = e;
		} else {
			if (!is_ws(c))
				dst[o++] = c;
			i++;
		}
	}
	return o;
}

int
mp_json_member(const char *s, size_t len, const char *key, const char **val,
               size_t *vlen)
{
	size_t klen = strlen(key), i, ks, ke, vs, ve;

	i = skip_ws(s, 0, len);
	if (i >= len || s[i] != '{')
		return -ENOENT;
	i = skip_ws(s, i + 1, len);
	while (i < len && s[i] == '"') {
		ks = i + 1;
		i = string_end(s, i, len);
		ke = i - 1;
		i = skip_ws(s, i, len);
		if (i >= len || s[i] != ':')
			return -ENOENT;
		vs = skip_ws(s, i + 1, len);
		ve = value_end(s, vs, len);
		if (ve <= vs)
			return -ENOENT;
		if (ke >= ks && ke - ks == klen &&
		    memcmp(s + ks, key, klen) == 0) {
			*val = s + vs;
			*vlen = ve - vs;
			return 0;
		}
		i = skip_ws(s, ve, len);
		if (i >= len || s[i] != ',')
			return -ENOENT;
		i = skip_ws(s, i + 1, len);
	}
	return -ENOENT;
}

int
mp_json_int_value(const char *v, size_t len, int64_t *out)
{
	uint64_t n = 0, limit;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && v[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= len || (v[i] == '0' && len - i > 1))
		return -EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		if (n > (limit - (uint64_t)(v[i] - '0')) / 10)
			return -EINVAL;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = neg ? (n == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n)
	           : (int64_t)n;
	return 0;
}
