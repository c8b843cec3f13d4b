/*
 * query.c: strict query strings (see query.h for why).
 *
 * Decoding happens in a private copy, in place (a decoded piece is never
 * longer than its encoding). Typed checks are body.c's: each declared
 * parameter that is present becomes a JSON value of its field's type and
 * the object goes through mp_body_validate, so a query and a body with the
 * same field get the same reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mp/problem.h"
#include "mp/query.h"
#include "mp/util.h"

#define NAME_ECHO_MAX 64 /* longest raw name echoed back in errors[] */

static const char *decode(char *s);
static int utf8_valid(const unsigned char *s);
static void echo_name(const char *raw, char *out, size_t outlen);
static int refuse(json_t **problem, const char *field, const char *reason);
static json_t *typed_value(const struct mp_field *f, const char *v);
static int split(const char *qs, struct mp_query *q, int repeats,
                 json_t **problem);

/* Percent-decode s in place ('+' is a space). Returns NULL when decoded,
 * else the reason it is refused. */
static const char *
decode(char *s)
{
	char *in = s, *out = s;
	int hi, lo;
	unsigned char c;

	while (*in != '\0') {
		if (*in == '%') {
			if ((hi = mp_hex_value((unsigned char)in[1])) < 0 ||
			    (lo = mp_hex_value((unsigned char)in[2])) < 0)
				return "malformed percent-encoding";
			c = (unsigned char)(hi * 16 + lo);
			in += 3;
		} else {
			c = (unsigned char)*in++;
			if (c == '+')
				c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return "control character (e.g. %00)";
		*out++ = (char)c;
	}
	*out = '\0';
	return utf8_valid((const unsigned char *)s) ? NULL : "not valid UTF-8";
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF). */
static int
utf8_valid(const unsigned char *s)
{
	while (*s != '\0') {
		unsigned char c = *s;
		size_t n, i;
		uint32_t cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		s += n + 1;
	}
	return 1;
}

/* The name of a parameter that could not be decoded, as the client wrote
 * it when that is short printable ASCII, else "query". */
static void
echo_name(const char *raw, char *out, size_t outlen)
{
	size_t len = strlen(raw), i;

	for (i = 0; i < len; i++)
		if ((unsigned char)raw[i] < 0x21 ||
		    (unsigned char)raw[i] > 0x7e)
			break;
	if (len == 0 || i < len || len > NAME_ECHO_MAX || len >= outlen)
		snprintf(out, outlen, "query");
	else
		memcpy(out, raw, len + 1);
}

static int
refuse(json_t **problem, const char *field, const char *reason)
{
	*problem = mp_problem_new(400, "bad-query", NULL,
	                          "a query parameter cannot be read");
	if (*problem == NULL ||
	    mp_problem_add_error(*problem, field, reason) != 0) {
		json_decref(*problem);
		*problem = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

int
mp_query_split(const char *qs, struct mp_query *q, json_t **problem)
{
	return split(qs, q, 0, problem);
}

int
mp_query_split_repeats(const char *qs, struct mp_query *q, json_t **problem)
{
	return split(qs, q, 1, problem);
}

static int
split(const char *qs, struct mp_query *q, int repeats, json_t **problem)
{
	char *s, *amp, *eq, raw[NAME_ECHO_MAX + 1];
	const char *why;
	int i;

	memset(q, 0, sizeof(*q));
	*problem = NULL;
	if (qs == NULL || *qs == '\0')
		return 0;
	if ((q->buf = strdup(qs)) == NULL)
		return -ENOMEM;
	for (s = q->buf; s != NULL; s = amp) {
		if ((amp = strchr(s, '&')) != NULL)
			*amp++ = '\0';
		if (*s == '\0')
			continue;
		if ((eq = strchr(s, '=')) != NULL)
			*eq++ = '\0';
		echo_name(s, raw, sizeof(raw));
		if ((why = decode(s)) != NULL)
			return refuse(problem, raw, why);
		if (eq != NULL && (why = decode(eq)) != NULL)
			return refuse(problem, s, why);
		for (i = 0; !repeats && i < q->n; i++)
			if (strcmp(q->names[i], s) == 0)
				return refuse(
				    problem, s,
				    "repeated parameter: give it once");
		if (q->n == MP_QUERY_MAX_PARAMS)
			return refuse(problem, "query", "too many parameters");
		q->names[q->n] = s;
		q->values[q->n] = eq != NULL ? eq : s + strlen(s);
		q->n++;
	}
	return 0;
}

const char *
mp_query_get(const struct mp_query *q, const char *name)
{
	int i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->names[i], name) == 0)
			return q->values[i];
	return NULL;
}

/* The JSON value body.c checks for field f: integers and booleans are
 * read from the text; text that is not one stays a string, which body.c
 * refuses as "expected integer" / "expected boolean". */
static json_t *
typed_value(const struct mp_field *f, const char *v)
{
	const char *d = v[0] == '-' ? v + 1 : v;
	size_t len = strlen(d);

	switch (f->type) {
	case MP_F_INT:
	case MP_F_MONEY:
		if (len == 0 || len > 18 || strspn(d, "0123456789") != len)
			break;
		return json_integer((json_int_t)strtoll(v, NULL, 10));
	case MP_F_BOOL:
		if (strcmp(v, "true") == 0)
			return json_true();
		if (strcmp(v, "false") == 0)
			return json_false();
		break;
	default:
		break;
	}
	return json_string(v);
}

int
mp_query_validate(const struct mp_query *q, const struct mp_field *schema,
                  json_t *problem)
{
	json_t *obj = json_object();
	const struct mp_field *f;
	const char *v;
	int rc;

	if (obj == NULL)
		return -ENOMEM;
	for (f = schema; f->name != NULL; f++) {
		if ((v = mp_query_get(q, f->name)) == NULL)
			continue;
		if (json_object_set_new(obj, f->name, typed_value(f, v)) != 0) {
			json_decref(obj);
			return -ENOMEM;
		}
	}
	rc = mp_body_validate(obj, schema, NULL, problem);
	json_decref(obj);
	return rc;
}

void
mp_query_clear(struct mp_query *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}
