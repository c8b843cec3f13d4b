/*
 * check_body: strict request bodies as a client meets them: what is
 * accepted, and for everything else, which problem comes back and which
 * fields it names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "mp/body.h"
#include "mp/problem.h"

static Suite *body_suite(void);
static int parse(const char *json, json_t **problem);
static int parse_n(const char *buf, size_t len,
                   const struct mp_body_limits *lim, json_t **problem);
static const char *reason_of(const json_t *problem, const char *field);
static const char *slug_of(const json_t *problem);
static char *with_base(const char *extra);

static const char *const kinds[] = {"mre", "regularised_migrant", "association",
                                    NULL};
static const char *const themes[] = {"health", "education", "employment", NULL};

static const struct mp_field line_fields[] = {
    MP_FIELD("label", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 100),
    MP_FIELD("amount", MP_F_MONEY, MP_F_REQUIRED), MP_FIELD_END};
static const struct mp_field line_item =
    MP_FIELD("line", MP_F_OBJECT, 0, .fields = line_fields);
static const struct mp_field theme_item =
    MP_FIELD("theme", MP_F_ENUM, 0, .enum_values = themes);
static const struct mp_field address_fields[] = {
    MP_FIELD("city", MP_F_STRING, MP_F_REQUIRED, .max_len = 80),
    MP_FIELD("zip", MP_F_STRING, MP_F_REQUIRED, .min_len = 5, .max_len = 5),
    MP_FIELD_END};
static const struct mp_field int_item =
    MP_FIELD("cell", MP_F_INT, MP_F_NULLABLE, .min = 0, .max = 9);
static const struct mp_field row_item =
    MP_FIELD("row", MP_F_ARRAY, 0, .max_len = 3, .items = &int_item);

static const struct mp_field schema[] = {
    MP_FIELD("title", MP_F_I18N, MP_F_REQUIRED, .min_len = 1, .max_len = 200),
    MP_FIELD("kind", MP_F_ENUM, MP_F_REQUIRED, .enum_values = kinds),
    MP_FIELD("summary", MP_F_STRING, 0, .max_len = 10),
    MP_FIELD("count", MP_F_INT, 0, .min = 1, .max = 64),
    MP_FIELD("any_int", MP_F_INT, 0),
    MP_FIELD("active", MP_F_BOOL, 0),
    MP_FIELD("call_id", MP_F_UUID, 0),
    MP_FIELD("start_date", MP_F_DATE, 0),
    MP_FIELD("submitted_at", MP_F_DATETIME, 0),
    MP_FIELD("budget_lines", MP_F_ARRAY, 0, .max_len = 3, .items = &line_item),
    MP_FIELD("themes", MP_F_ARRAY, 0, .min_len = 1, .items = &theme_item),
    MP_FIELD("meta", MP_F_OBJECT, 0),
    MP_FIELD("tags", MP_F_ARRAY, 0),
    MP_FIELD("amount", MP_F_MONEY, 0),
    MP_FIELD("capped", MP_F_MONEY, 0, .min = 100, .max = 1000),
    MP_FIELD("email", MP_F_EMAIL, 0, .max_len = 40),
    MP_FIELD("note", MP_F_STRING, MP_F_NULLABLE),
    MP_FIELD("address", MP_F_OBJECT, 0, .fields = address_fields),
    MP_FIELD("grid", MP_F_ARRAY, 0, .items = &row_item),
    MP_FIELD("lat", MP_F_NUMBER, 0, .min = -90, .max = 90),
    MP_FIELD("ratio", MP_F_NUMBER, 0),
    MP_FIELD_END};

#define BASE "\"title\":{\"fr\":\"Appel\"},\"kind\":\"mre\""

static int
parse_n(const char *buf, size_t len, const struct mp_body_limits *lim,
        json_t **problem)
{
	json_t *out = (json_t *)0x1;
	int rc;

	*problem = (json_t *)0x1;
	rc = mp_body_parse(buf, len, schema, lim, &out, problem);
	if (rc == 0) {
		ck_assert_ptr_nonnull(out);
		ck_assert(json_is_object(out));
		ck_assert_ptr_null(*problem);
		json_decref(out);
	} else {
		ck_assert_ptr_null(out);
		ck_assert_ptr_nonnull(*problem);
		/* every problem we produce serialises */
		char *s = json_dumps(*problem, 0);
		ck_assert_ptr_nonnull(s);
		free(s);
	}
	return rc;
}

static int
parse(const char *json, json_t **problem)
{
	return parse_n(json, strlen(json), NULL, problem);
}

/* Reason given for field, or NULL if the field is not listed. */
static const char *
reason_of(const json_t *problem, const char *field)
{
	json_t *errors = json_object_get(problem, "errors"), *e;
	size_t i;

	json_array_foreach(errors, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "field")),
		           field) == 0)
			return json_string_value(json_object_get(e, "reason"));
	}
	return NULL;
}

static const char *
slug_of(const json_t *problem)
{
	const char *t = json_string_value(json_object_get(problem, "type"));

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(strncmp(t, MP_PROBLEM_BASE, strlen(MP_PROBLEM_BASE)),
	                 0);
	return t + strlen(MP_PROBLEM_BASE);
}

/* "{" BASE "," extra "}" in a malloc'd string. */
static char *
with_base(const char *extra)
{
	size_t n = strlen(extra) + sizeof(BASE) + 8;
	char *s = malloc(n);

	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "{%s%s%s}", BASE, extra[0] != '\0' ? "," : "", extra);
	return s;
}

START_TEST(test_minimal_and_full_bodies_accepted)
{
	json_t *p;
	char *s;

	ck_assert_int_eq(parse("{" BASE "}", &p), 0);
	s = with_base(
	    "\"summary\":\"\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9 "
	    "abcd\","
	    "\"count\":64,\"any_int\":-9223372036854775807,"
	    "\"active\":false,"
	    "\"call_id\":\"0192F5C4-7A3E-7B21-8C4D-5E6F70819203\","
	    "\"start_date\":\"2024-02-29\","
	    "\"submitted_at\":\"2026-11-29T07:30:00.5+01:00\","
	    "\"budget_lines\":[{\"label\":\"Formation\",\"amount\":0},"
	    "{\"amount\":150000,\"label\":\"x\"}],"
	    "\"themes\":[\"health\",\"employment\"],"
	    "\"meta\":{\"a\":{\"b\":[1,\"x\",null,true,1.5]}},"
	    "\"tags\":[[],{},\"t\"],\"amount\":0,\"capped\":1000,"
	    "\"email\":\"first.last+mp@example.co.ma\",\"note\":null,"
	    "\"address\":{\"city\":\"Agadir\",\"zip\":\"80000\"},"
	    "\"grid\":[[0,9,null],[],[1]],"
	    "\"lat\":-90,\"ratio\":-1.5e300");
	ck_assert_int_eq(parse(s, &p), 0);
	free(s);

	/* every translation key, zgh included */
	ck_assert_int_eq(parse("{\"title\":{\"fr\":\"a\",\"ar\":\"b\","
	                       "\"en\":\"c\",\"zgh\":\"d\"},\"kind\":\"mre\"}",
	                       &p),
	                 0);
	ck_assert_int_eq(
	    parse("{\"title\":{\"ar\":\"b\",\"zgh\":\"\xe2\xb4\xb0\"},"
	          "\"kind\":\"association\"}",
	          &p),
	    0);
	/* whitespace around the document is fine */
	ck_assert_int_eq(parse(" \n\t{" BASE "}\r\n ", &p), 0);
}
END_TEST

struct bad_case {
	const char *extra; /* appended to the base body */
	const char *field;
	const char *reason; /* prefix of the expected reason */
};

static const struct bad_case bad_cases[] = {
    /* strings */
    {"\"summary\":5", "summary", "expected string"},
    {"\"summary\":[\"a\"]", "summary", "expected string"},
    {"\"summary\":\"abcdefghijk\"", "summary", "at most 10 characters"},
    {"\"summary\":\"\xd8\xb9\xd8\xb9\xd8\xb9\xd8\xb9\xd8\xb9\xd8\xb9\xd8\xb9"
     "\xd8\xb9\xd8\xb9\xd8\xb9\xd8\xb9\"",
     "summary", "at most 10 characters"},
    {"\"summary\":null", "summary", "must not be null"},
    {"\"summary\":\"a\\u0000b\"", "summary", "must not contain NUL"},
    /* integers */
    {"\"count\":\"5\"", "count", "expected integer"},
    {"\"count\":5.0", "count", "expected integer"},
    {"\"count\":5e0", "count", "expected integer"},
    {"\"count\":true", "count", "expected integer"},
    {"\"count\":0", "count", "must be between 1 and 64"},
    {"\"count\":65", "count", "must be between 1 and 64"},
    {"\"count\":-9223372036854775808", "count", "must be between 1 and 64"},
    {"\"any_int\":1.5", "any_int", "expected integer"},
    /* booleans */
    {"\"active\":\"true\"", "active", "expected boolean"},
    {"\"active\":1", "active", "expected boolean"},
    /* uuids */
    {"\"call_id\":\"not-a-uuid\"", "call_id", "not a valid UUID"},
    {"\"call_id\":\"0192f5c4-7a3e-7b21-8c4d-5e6f7081920\"", "call_id",
     "not a valid UUID"},
    {"\"call_id\":\"0192f5c4-7a3e-7b21-8c4d-5e6f70819203\\u0000x\"", "call_id",
     "must not contain NUL"},
    {"\"call_id\":42", "call_id", "expected string"},
    /* dates and times */
    {"\"start_date\":\"2023-02-29\"", "start_date", "not a valid date"},
    {"\"start_date\":\"2026-1-01\"", "start_date", "not a valid date"},
    {"\"start_date\":20260101", "start_date", "expected string"},
    {"\"submitted_at\":\"2026-11-29T24:00:00Z\"", "submitted_at",
     "not a valid RFC 3339 date-time"},
    {"\"submitted_at\":\"2026-11-29\"", "submitted_at",
     "not a valid RFC 3339 date-time"},
    {"\"submitted_at\":\"2026-11-29T06:30:00+05:60\"", "submitted_at",
     "not a valid RFC 3339 date-time"},
    /* enums */
    {"\"kind\":\"MRE\"", "kind",
     "must be one of: mre, regularised_migrant, association"},
    {"\"kind\":\"\"", "kind", "must be one of: "},
    {"\"kind\":[\"mre\"]", "kind", "expected string"},
    {"\"themes\":[\"health\",\"sport\"]", "themes[1]", "must be one of: "},
    {"\"themes\":[]", "themes", "at least 1 item"},
    {"\"themes\":[null]", "themes[0]", "must not be null"},
    /* i18n */
    {"\"title\":\"Appel\"", "title", "expected object of translations"},
    {"\"title\":{}", "title", "at least one of fr, ar, en is required"},
    {"\"title\":{\"zgh\":\"x\"}", "title",
     "at least one of fr, ar, en is required"},
    {"\"title\":{\"fr\":\"a\",\"de\":\"b\"}", "title.de",
     "unsupported language"},
    {"\"title\":{\"fr\":\"a\",\"FR\":\"b\"}", "title.FR",
     "unsupported language"},
    {"\"title\":{\"fr\":1}", "title.fr", "expected string"},
    {"\"title\":{\"fr\":\"\"}", "title.fr", "at least 1 character"},
    {"\"title\":{\"fr\":\"a\",\"ar\":\"x\\u0000\"}", "title.ar",
     "must not contain NUL"},
    {"\"title\":null", "title", "must not be null"},
    /* arrays of objects: nested paths */
    {"\"budget_lines\":{}", "budget_lines", "expected array"},
    {"\"budget_lines\":[1]", "budget_lines[0]", "expected object"},
    {"\"budget_lines\":[null]", "budget_lines[0]", "must not be null"},
    {"\"budget_lines\":[{},{},{},{}]", "budget_lines", "at most 3 items"},
    {"\"budget_lines\":[{\"label\":\"a\",\"amount\":1},"
     "{\"label\":\"b\",\"amount\":2},{\"label\":\"c\",\"amount\":-3}]",
     "budget_lines[2].amount", "must not be negative"},
    {"\"budget_lines\":[{\"label\":\"a\"}]", "budget_lines[0].amount",
     "required"},
    {"\"budget_lines\":[{\"label\":\"a\",\"amount\":1,\"owner\":1}]",
     "budget_lines[0].owner", "unknown field"},
    {"\"budget_lines\":[{\"label\":\"\",\"amount\":1}]",
     "budget_lines[0].label", "at least 1 character"},
    /* nested object */
    {"\"address\":{\"city\":5,\"zip\":\"80000\"}", "address.city",
     "expected string"},
    {"\"address\":{\"city\":\"Oujda\"}", "address.zip", "required"},
    {"\"address\":{\"city\":\"Oujda\",\"zip\":\"600\"}", "address.zip",
     "at least 5 characters"},
    {"\"address\":{\"city\":\"Oujda\",\"zip\":\"60000\",\"x\":1}", "address.x",
     "unknown field"},
    {"\"address\":\"Oujda\"", "address", "expected object"},
    /* arrays of arrays */
    {"\"grid\":[[0],[1,2,10]]", "grid[1][2]", "must be between 0 and 9"},
    {"\"grid\":[[0],[1,2,3,4]]", "grid[1]", "at most 3 items"},
    {"\"grid\":[[\"1\"]]", "grid[0][0]", "expected integer"},
    /* free-form */
    {"\"meta\":[1]", "meta", "expected object"},
    {"\"meta\":{\"a\":[{\"b\":\"x\\u0000\"}]}", "meta", "must not contain NUL"},
    {"\"tags\":{}", "tags", "expected array"},
    {"\"tags\":[[[\"\\u0000\"]]]", "tags", "must not contain NUL"},
    /* money */
    {"\"amount\":12.5", "amount", "expected integer amount"},
    {"\"amount\":\"1250\"", "amount", "expected integer amount"},
    {"\"amount\":-1", "amount", "must not be negative"},
    {"\"capped\":99", "capped", "must be between 100 and 1000"},
    {"\"capped\":1001", "capped", "must be between 100 and 1000"},
    /* email */
    {"\"email\":\"a@b\"", "email", "not a valid email"},
    {"\"email\":\"a@@b.ma\"", "email", "not a valid email"},
    {"\"email\":\"a@b@c.ma\"", "email", "not a valid email"},
    {"\"email\":\"@b.ma\"", "email", "not a valid email"},
    {"\"email\":\"a.@b.ma\"", "email", "not a valid email"},
    {"\"email\":\".a@b.ma\"", "email", "not a valid email"},
    {"\"email\":\"a..b@c.ma\"", "email", "not a valid email"},
    {"\"email\":\"a@-b.ma\"", "email", "not a valid email"},
    {"\"email\":\"a@b-.ma\"", "email", "not a valid email"},
    {"\"email\":\"a@b..ma\"", "email", "not a valid email"},
    {"\"email\":\"a@.ma\"", "email", "not a valid email"},
    {"\"email\":\"a@b.ma.\"", "email", "not a valid email"},
    {"\"email\":\"a@b.123\"", "email", "not a valid email"},
    {"\"email\":\"a b@c.ma\"", "email", "not a valid email"},
    {"\"email\":\"a@b c.ma\"", "email", "not a valid email"},
    {"\"email\":\"\xc3\xa9@b.ma\"", "email", "not a valid email"},
    {"\"email\":\"a@\xc3\xa9.ma\"", "email", "not a valid email"},
    {"\"email\":\"a\\nb@c.ma\"", "email", "not a valid email"},
    {"\"email\":\"\"", "email", "not a valid email"},
    {"\"email\":\"abcdefghijabcdefghijabcdefghij@bcdefghij.ma\"", "email",
     "at most 40 characters"},
    {"\"email\":\"a\\u0000@b.ma\"", "email", "must not contain NUL"},
    /* number */
    {"\"lat\":\"30.4\"", "lat", "expected number"},
    {"\"lat\":true", "lat", "expected number"},
    {"\"lat\":90.000001", "lat", "must be between -90 and 90"},
    {"\"lat\":-91", "lat", "must be between -90 and 90"},
    {"\"ratio\":[1.5]", "ratio", "expected number"},
    /* unknown */
    {"\"is_admin\":true", "is_admin", "unknown field"},
    {"\"\":1", "", "unknown field"},
};

START_TEST(test_bad_field_table)
{
	const struct bad_case *c = &bad_cases[_i];
	const char *reason;
	json_t *p;
	char *s = with_base(c->extra);

	/* a later duplicate of a base key would be a duplicate-key error:
	 * for cases that replace a base field, build the body by hand */
	if (strncmp(c->extra, "\"title\"", 7) == 0 ||
	    strncmp(c->extra, "\"kind\"", 6) == 0) {
		size_t n = strlen(c->extra) + 64;

		free(s);
		s = malloc(n);
		ck_assert_ptr_nonnull(s);
		if (c->extra[1] == 't')
			snprintf(s, n, "{%s,\"kind\":\"mre\"}", c->extra);
		else
			snprintf(s, n, "{\"title\":{\"en\":\"x\"},%s}",
			         c->extra);
	}
	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "validation");
	ck_assert_int_eq(json_integer_value(json_object_get(p, "status")), 400);
	reason = reason_of(p, c->field);
	ck_assert_msg(reason != NULL, "%s: no error for \"%s\"", s, c->field);
	ck_assert_msg(strncmp(reason, c->reason, strlen(c->reason)) == 0,
	              "%s: reason \"%s\", want \"%s\"", s, reason, c->reason);
	json_decref(p);
	free(s);
}
END_TEST

START_TEST(test_required_fields)
{
	json_t *p;

	ck_assert_int_eq(parse("{}", &p), -EINVAL);
	ck_assert_str_eq(reason_of(p, "title"), "required");
	ck_assert_str_eq(reason_of(p, "kind"), "required");
	ck_assert_uint_eq(mp_problem_error_count(p), 2);
	json_decref(p);
}
END_TEST

START_TEST(test_every_bad_field_listed)
{
	json_t *p;
	char *s = with_base("\"summary\":1,\"count\":0,\"active\":\"no\","
	                    "\"budget_lines\":[{\"label\":\"a\",\"amount\":1},"
	                    "{\"label\":2,\"amount\":\"x\"}],"
	                    "\"title2\":1,\"amount\":-1");

	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_uint_eq(mp_problem_error_count(p), 7);
	ck_assert_ptr_nonnull(reason_of(p, "summary"));
	ck_assert_ptr_nonnull(reason_of(p, "count"));
	ck_assert_ptr_nonnull(reason_of(p, "active"));
	ck_assert_ptr_nonnull(reason_of(p, "budget_lines[1].label"));
	ck_assert_ptr_nonnull(reason_of(p, "budget_lines[1].amount"));
	ck_assert_ptr_nonnull(reason_of(p, "title2"));
	ck_assert_ptr_nonnull(reason_of(p, "amount"));
	ck_assert_ptr_null(reason_of(p, "budget_lines[0].label"));
	ck_assert_str_eq(json_string_value(json_object_get(p, "detail")),
	                 "7 validation errors");
	json_decref(p);
	free(s);
}
END_TEST

START_TEST(test_duplicate_key_rejected)
{
	json_t *p;

	ck_assert_int_eq(parse("{" BASE ",\"kind\":\"association\"}", &p),
	                 -EINVAL);
	ck_assert_str_eq(slug_of(p), "malformed-json");
	ck_assert_ptr_nonnull(strstr(
	    json_string_value(json_object_get(p, "detail")), "duplicate"));
	json_decref(p);
	/* also nested */
	ck_assert_int_eq(
	    parse("{" BASE ",\"meta\":{\"a\":1,\"b\":2,\"a\":3}}", &p),
	    -EINVAL);
	ck_assert_str_eq(slug_of(p), "malformed-json");
	json_decref(p);
}
END_TEST

START_TEST(test_depth_bomb)
{
	size_t n = 10000, i;
	char *s = malloc(2 * n + 1);
	json_t *p;

	ck_assert_ptr_nonnull(s);
	memset(s, '[', n);
	s[n] = '\0';
	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "body-too-deep");
	json_decref(p);
	/* balanced, so jansson alone would accept it up to 2048 */
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "body-too-deep");
	json_decref(p);
	/* objects */
	for (i = 0; i + 5 <= 2 * n; i += 5)
		memcpy(s + i, "{\"a\":", 5);
	s[i] = '\0';
	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "body-too-deep");
	json_decref(p);
	free(s);
}
END_TEST

START_TEST(test_depth_limit_exact)
{
	struct mp_body_limits lim = {0, 3};
	const char *ok = "{" BASE ",\"meta\":{\"a\":[1]}}";     /* 3 levels */
	const char *deep = "{" BASE ",\"meta\":{\"a\":[[1]]}}"; /* 4 */
	const char *str = "{" BASE ",\"meta\":{\"a\":\"[[[[\\\"[[[{{{\"}}";
	json_t *p;

	ck_assert_int_eq(parse_n(ok, strlen(ok), &lim, &p), 0);
	ck_assert_int_eq(parse_n(deep, strlen(deep), &lim, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "body-too-deep");
	json_decref(p);
	/* brackets inside strings (and escaped quotes) do not count */
	ck_assert_int_eq(parse_n(str, strlen(str), &lim, &p), 0);
	/* the default is 16 */
	ck_assert_int_eq(parse(deep, &p), 0);
}
END_TEST

START_TEST(test_size_limit)
{
	size_t n = (1u << 20) + 64, i;
	struct mp_body_limits big = {4u << 20, 0};
	char *s = malloc(n + 1);
	json_t *p;
	int len;

	ck_assert_ptr_nonnull(s);
	len = snprintf(s, n + 1, "{" BASE ",\"summary\":\"");
	for (i = (size_t)len; i < n - 2; i++)
		s[i] = 'x';
	memcpy(s + n - 2, "\"}", 3);

	ck_assert_int_eq(parse_n(s, n, NULL, &p), -E2BIG);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "status")), 413);
	ck_assert_str_eq(slug_of(p), "body-too-large");
	json_decref(p);

	/* under a larger limit it parses, and the field is too long */
	ck_assert_int_eq(parse_n(s, n, &big, &p), -EINVAL);
	ck_assert_str_eq(reason_of(p, "summary"), "at most 10 characters");
	json_decref(p);

	/* limit boundary: exactly max_bytes is allowed */
	big.max_bytes = strlen("{" BASE "}");
	ck_assert_int_eq(parse_n("{" BASE "}", big.max_bytes, &big, &p), 0);
	big.max_bytes--;
	ck_assert_int_eq(parse_n("{" BASE "}", big.max_bytes + 1, &big, &p),
	                 -E2BIG);
	json_decref(p);
	free(s);
}
END_TEST

START_TEST(test_invalid_utf8_rejected)
{
	static const char *const bad[] = {
	    "{" BASE ",\"summary\":\"\xff\"}",
	    "{" BASE ",\"summary\":\"\xc0\xaf\"}",         /* overlong */
	    "{" BASE ",\"summary\":\"\xed\xa0\x80\"}",     /* surrogate */
	    "{" BASE ",\"summary\":\"\xf4\x90\x80\x80\"}", /* > U+10FFFF */
	    "{" BASE ",\"summary\":\"\xe2\x82\"}",         /* truncated */
	    "{" BASE ",\"\xfe\":1}",                       /* in a key */
	    "{" BASE ",\"summary\":\"\\ud800\"}",          /* lone escape */
	    NULL};
	json_t *p;
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(parse(bad[i], &p) == -EINVAL, "case %zu", i);
		ck_assert_str_eq(slug_of(p), "malformed-json");
		json_decref(p);
	}
}
END_TEST

START_TEST(test_nul_handling)
{
	const char raw[] = "{" BASE ",\"summary\":\"a\0b\"}";
	json_t *p;

	/* "\u0000" in a key */
	ck_assert_int_eq(parse("{" BASE ",\"a\\u0000b\":1}", &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "malformed-json");
	json_decref(p);
	/* a raw NUL byte inside the buffer */
	ck_assert_int_eq(parse_n(raw, sizeof(raw) - 1, NULL, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "malformed-json");
	json_decref(p);
	/* a raw NUL after the document */
	ck_assert_int_eq(
	    parse_n("{" BASE "}\0", strlen("{" BASE "}") + 1, NULL, &p),
	    -EINVAL);
	json_decref(p);
	/* "\u0000" in a value is reported on its field (table covers the
	 * types); an escaped NUL inside a legal string elsewhere too */
	ck_assert_int_eq(parse("{\"title\":{\"fr\":\"\\u0000\"},"
	                       "\"kind\":\"mre\"}",
	                       &p),
	                 -EINVAL);
	ck_assert_str_eq(reason_of(p, "title.fr"),
	                 "must not contain NUL characters");
	json_decref(p);
}
END_TEST

START_TEST(test_syntax_errors)
{
	static const char *const bad[] = {
	    "{" BASE "} x",
	    "{" BASE "}{}",
	    "{" BASE "}]",
	    "{" BASE ",}",
	    "{" BASE ",\"count\":01}",
	    "{" BASE ",\"count\":+1}",
	    "{" BASE ",\"count\":NaN}",
	    "{" BASE ",\"count\":Infinity}",
	    "{" BASE ",\"count\":0x10}",
	    "{" BASE ",'summary':'x'}",
	    "{" BASE ",summary:\"x\"}",
	    "{" BASE ",\"summary\":\"a\tb\"}", /* raw control char */
	    "{" BASE ",\"summary\":\"a\nb\"}",
	    "{" BASE ",\"summary\":\"\\x41\"}",
	    "{" BASE " /* c */}",
	    "{" BASE ",\"any_int\":99999999999999999999}",
	    "\xef\xbb\xbf{" BASE "}", /* BOM */
	    "   ",
	    "nul",
	    "{",
	    NULL};
	json_t *p;
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(parse(bad[i], &p) == -EINVAL, "case %zu", i);
		ck_assert_msg(strcmp(slug_of(p), "malformed-json") == 0,
		              "case %zu: %s", i, slug_of(p));
		json_decref(p);
	}
}
END_TEST

START_TEST(test_malformed_detail_has_position_not_input)
{
	const char *s = "{\"title\":{\"fr\":\"Appel\"},\n"
	                "  \"kind\": SECRET_TOKEN_abc123\n}";
	const char *detail;
	json_t *p;
	char *dump;

	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "malformed-json");
	detail = json_string_value(json_object_get(p, "detail"));
	ck_assert_ptr_nonnull(detail);
	ck_assert_ptr_nonnull(strstr(detail, "line 2"));
	ck_assert_ptr_nonnull(strstr(detail, "column"));
	dump = json_dumps(p, 0);
	ck_assert_ptr_null(strstr(dump, "SECRET"));
	ck_assert_ptr_null(strstr(dump, "abc123"));
	free(dump);
	json_decref(p);
}
END_TEST

START_TEST(test_empty_body)
{
	json_t *p;

	ck_assert_int_eq(parse_n(NULL, 0, NULL, &p), -EINVAL);
	ck_assert_str_eq(slug_of(p), "malformed-json");
	ck_assert_str_eq(json_string_value(json_object_get(p, "detail")),
	                 "request body is empty");
	json_decref(p);
	ck_assert_int_eq(parse("", &p), -EINVAL);
	json_decref(p);
}
END_TEST

START_TEST(test_top_level_not_object)
{
	static const char *const bad[] = {"[]",   "[{" BASE "}]", "\"x\"", "1",
	                                  "null", "true",         NULL};
	json_t *p;
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_int_eq(parse(bad[i], &p), -EINVAL);
		ck_assert_str_eq(slug_of(p), "validation");
		ck_assert_str_eq(reason_of(p, ""), "expected object");
		ck_assert_uint_eq(mp_problem_error_count(p), 1);
		ck_assert_str_eq(
		    json_string_value(json_object_get(p, "detail")),
		    "request body must be a JSON object");
		json_decref(p);
	}
}
END_TEST

START_TEST(test_truncations_never_accepted)
{
	char *full =
	    with_base("\"budget_lines\":[{\"label\":\"\xc3\xa9t\xc3\xa9\","
	              "\"amount\":15}],\"submitted_at\":"
	              "\"2026-11-29T06:30:00Z\"");
	size_t n, len = strlen(full);
	json_t *p;

	for (n = 0; n < len; n++) {
		ck_assert_msg(parse_n(full, n, NULL, &p) != 0, "prefix %zu", n);
		json_decref(p);
	}
	ck_assert_int_eq(parse_n(full, len, NULL, &p), 0);
	free(full);
}
END_TEST

/* The length is honoured: what follows the body in memory is ignored. */
START_TEST(test_length_not_nul_terminated)
{
	const char *s = "{" BASE "}GARBAGE";
	json_t *p;

	ck_assert_int_eq(parse_n(s, strlen(s) - 7, NULL, &p), 0);
}
END_TEST

START_TEST(test_error_cap_and_long_keys)
{
	size_t n = 0, cap = 64 * 1024, i;
	char *s = malloc(cap);
	char key[10000];
	json_t *p, *e;

	ck_assert_ptr_nonnull(s);
	n += (size_t)snprintf(s + n, cap - n, "{" BASE);
	for (i = 0; i < 500; i++)
		n += (size_t)snprintf(s + n, cap - n, ",\"k%zu\":1", i);
	snprintf(s + n, cap - n, "}");
	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_uint_eq(mp_problem_error_count(p), MP_BODY_MAX_ERRORS);
	ck_assert_ptr_nonnull(strstr(
	    json_string_value(json_object_get(p, "detail")), "first 100"));
	json_decref(p);

	/* a 9999-byte unknown key of 2-byte characters: the echoed name is
	 * cut, at a character boundary */
	for (i = 0; i + 2 < sizeof(key); i += 2)
		memcpy(key + i, "\xc3\xa9", 2);
	key[i] = '\0';
	snprintf(s, cap, "{" BASE ",\"%s\":1}", key);
	ck_assert_int_eq(parse(s, &p), -EINVAL);
	ck_assert_uint_eq(mp_problem_error_count(p), 1);
	e = json_array_get(json_object_get(p, "errors"), 0);
	ck_assert_uint_le(
	    strlen(json_string_value(json_object_get(e, "field"))), 64);
	ck_assert_uint_gt(
	    strlen(json_string_value(json_object_get(e, "field"))), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "reason")),
	                 "unknown field");
	json_decref(p);

	/* same with a key that starts with one ASCII byte: odd boundary */
	key[0] = 'x';
	key[1] = 'x';
	memmove(key + 1, key, sizeof(key) - 2);
	key[sizeof(key) - 1] = '\0';
	snprintf(s, cap, "{" BASE ",\"%s\":1}", key);
	ck_assert_int_eq(parse(s, &p), -EINVAL);
	json_decref(p);
	free(s);
}
END_TEST

START_TEST(test_validate_with_prefix)
{
	static const char *const statuses[] = {"draft", "open", NULL};
	static const struct mp_field q[] = {
	    MP_FIELD("status", MP_F_ENUM, 0, .enum_values = statuses),
	    MP_FIELD("limit", MP_F_INT, 0, .min = 1, .max = 100), MP_FIELD_END};
	json_t *problem = mp_problem_new(400, "validation", NULL, NULL);
	json_t *good = json_pack("{s:s, s:i}", "status", "open", "limit", 5);
	json_t *bad = json_pack("{s:s, s:i, s:b}", "status", "closed", "limit",
	                        500, "x", 1);
	json_t *arr = json_array();

	ck_assert_int_eq(mp_body_validate(good, q, "filter", problem), 0);
	ck_assert_uint_eq(mp_problem_error_count(problem), 0);
	ck_assert_int_eq(mp_body_validate(good, q, NULL, problem), 0);
	ck_assert_int_eq(mp_body_validate(bad, q, "filter", problem), -EINVAL);
	ck_assert_str_eq(reason_of(problem, "filter.status"),
	                 "must be one of: draft, open");
	ck_assert_str_eq(reason_of(problem, "filter.limit"),
	                 "must be between 1 and 100");
	ck_assert_str_eq(reason_of(problem, "filter.x"), "unknown field");
	ck_assert_uint_eq(mp_problem_error_count(problem), 3);
	/* appends; a non-object is reported at the prefix */
	ck_assert_int_eq(mp_body_validate(arr, q, "filter", problem), -EINVAL);
	ck_assert_str_eq(reason_of(problem, "filter"), "expected object");
	ck_assert_int_eq(mp_body_validate(NULL, q, "", problem), -EINVAL);
	ck_assert_uint_eq(mp_problem_error_count(problem), 5);
	/* obj is not modified */
	ck_assert_uint_eq(json_object_size(bad), 3);
	/* bad arguments */
	ck_assert_int_eq(mp_body_validate(good, q, "", NULL), -EINVAL);
	ck_assert_int_eq(mp_body_validate(good, NULL, "", problem), -EINVAL);

	json_decref(arr);
	json_decref(good);
	json_decref(bad);
	json_decref(problem);
}
END_TEST

START_TEST(test_bad_arguments)
{
	json_t *out, *p;

	ck_assert_int_eq(mp_body_parse("{}", 2, NULL, NULL, &out, &p), -EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(mp_body_parse(NULL, 5, schema, NULL, &out, &p),
	                 -EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

static Suite *
body_suite(void)
{
	Suite *s = suite_create("body");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_minimal_and_full_bodies_accepted);
	tcase_add_loop_test(tc, test_bad_field_table, 0,
	                    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_required_fields);
	tcase_add_test(tc, test_every_bad_field_listed);
	tcase_add_test(tc, test_duplicate_key_rejected);
	tcase_add_test(tc, test_depth_bomb);
	tcase_add_test(tc, test_depth_limit_exact);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_invalid_utf8_rejected);
	tcase_add_test(tc, test_nul_handling);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_malformed_detail_has_position_not_input);
	tcase_add_test(tc, test_empty_body);
	tcase_add_test(tc, test_top_level_not_object);
	tcase_add_test(tc, test_truncations_never_accepted);
	tcase_add_test(tc, test_length_not_nul_terminated);
	tcase_add_test(tc, test_error_cap_and_long_keys);
	tcase_add_test(tc, test_validate_with_prefix);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(body_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
