/*
 * check_query: query strings are split strictly (a byte the service cannot
 * read or a repeated name is refused, naming the parameter, never
 * dropped) and declared parameters are checked with body.c's types.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "mp/problem.h"
#include "mp/query.h"

static Suite *query_suite(void);
static void refused(const char *qs, const char *field, const char *reason);
static void invalid(const char *qs, const char *field, const char *reason);
static void one_error(json_t *problem, const char *field, const char *reason);

static const char *const regions[] = {"souss-massa", "oriental", NULL};
static const struct mp_field schema[] = {
    MP_FIELD("region", MP_F_ENUM, 0, .enum_values = regions),
    MP_FIELD("year", MP_F_INT, 0, .min = 1000, .max = 9999),
    MP_FIELD("application_id", MP_F_UUID, 0),
    MP_FIELD("done", MP_F_BOOL, 0),
    MP_Q_LIMIT,
    MP_Q_CURSOR,
    MP_FIELD_END};

/* The only error of `problem` is on `field`, its reason containing
 * `reason`; problem is released. */
static void
one_error(json_t *problem, const char *field, const char *reason)
{
	json_t *err;

	ck_assert_uint_eq(mp_problem_error_count(problem), 1);
	err = json_array_get(json_object_get(problem, "errors"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(err, "field")),
	                 field);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(err, "reason")), reason));
	json_decref(problem);
}

/* mp_query_split refuses qs with one error on `field`. */
static void
refused(const char *qs, const char *field, const char *reason)
{
	struct mp_query q;
	json_t *problem = NULL;

	ck_assert_int_eq(mp_query_split(qs, &q, &problem), -EINVAL);
	ck_assert_ptr_nonnull(problem);
	ck_assert_int_eq(json_integer_value(json_object_get(problem, "status")),
	                 400);
	one_error(problem, field, reason);
	mp_query_clear(&q);
}

/* qs splits, but mp_query_validate refuses it on `field`. */
static void
invalid(const char *qs, const char *field, const char *reason)
{
	struct mp_query q;
	json_t *problem = NULL;

	ck_assert_int_eq(mp_query_split(qs, &q, &problem), 0);
	problem = mp_problem_new(400, "validation", NULL, NULL);
	ck_assert_int_eq(mp_query_validate(&q, schema, problem), -EINVAL);
	one_error(problem, field, reason);
	mp_query_clear(&q);
}

START_TEST(split_decodes)
{
	struct mp_query q;
	json_t *problem = NULL;

	ck_assert_int_eq(
	    mp_query_split("a=1&&b=x+y%2Bz&c&d=&e=%D8%B9%D8%B1%D8%A8", &q,
	                   &problem),
	    0);
	ck_assert_ptr_null(problem);
	ck_assert_int_eq(q.n, 5);
	ck_assert_str_eq(mp_query_get(&q, "a"), "1");
	ck_assert_str_eq(mp_query_get(&q, "b"), "x y+z");
	ck_assert_str_eq(mp_query_get(&q, "c"), "");
	ck_assert_str_eq(mp_query_get(&q, "d"), "");
	ck_assert_str_eq(mp_query_get(&q, "e"), "\xd8\xb9\xd8\xb1\xd8\xa8");
	ck_assert_ptr_null(mp_query_get(&q, "f"));
	mp_query_clear(&q);
	mp_query_clear(&q); /* twice is safe */
	ck_assert_int_eq(mp_query_split(NULL, &q, &problem), 0);
	ck_assert_int_eq(q.n, 0);
	ck_assert_int_eq(mp_query_split("", &q, &problem), 0);
	ck_assert_int_eq(q.n, 0);
	mp_query_clear(&q);
}
END_TEST

START_TEST(split_refuses_what_it_cannot_read)
{
	/* was: the parameter silently ignored */
	refused("region=oriental%00", "region", "control character");
	refused("region=%00oriental&year=2027", "region", "control character");
	refused("a=1&region%00=x", "region%00", "control character");
	refused("region=%0a", "region", "control character");
	refused("region=%7F", "region", "control character");
	refused("region=%zz", "region", "percent-encoding");
	refused("region=ori%4", "region", "percent-encoding");
	refused("region=%", "region", "percent-encoding");
	refused("region=%C3%28", "region", "UTF-8");
	refused("region=%ED%A0%80", "region", "UTF-8"); /* a surrogate */
	refused("region=%C0%AF", "region", "UTF-8");    /* overlong */
	/* a name is echoed as the client wrote it */
	refused("%FF=1", "%FF", "UTF-8");
	refused("%01%02=1", "%01%02", "control character");
}
END_TEST

START_TEST(split_refuses_repeated_names)
{
	/* was: the first occurrence read, the cache keyed both orders alike */
	refused("region=a&region=b", "region", "repeated");
	refused("limit=5&x=1&limit=5", "limit", "repeated");
	refused("re%67ion=a&region=b", "region", "repeated");
}
END_TEST

/* MP_ROUTE_REPEATS routes: names may repeat, every other rule holds */
START_TEST(split_repeats_allows_only_repetition)
{
	struct mp_query q;
	json_t *problem = NULL;

	ck_assert_int_eq(
	    mp_query_split_repeats("dimension=sex&dimension="
	                           "period%3A2027Q1&filter=region:oriental",
	                           &q, &problem),
	    0);
	ck_assert_int_eq(q.n, 3);
	ck_assert_str_eq(mp_query_get(&q, "dimension"), "sex");
	mp_query_clear(&q);
	ck_assert_int_eq(
	    mp_query_split_repeats("dimension=a%00&dimension=b", &q, &problem),
	    -EINVAL);
	ck_assert_ptr_nonnull(problem);
	json_decref(problem);
	mp_query_clear(&q);
}
END_TEST

START_TEST(split_caps_the_count)
{
	char qs[512] = "";
	struct mp_query q;
	json_t *problem = NULL;
	int i;

	for (i = 0; i < MP_QUERY_MAX_PARAMS; i++)
		snprintf(qs + strlen(qs), sizeof(qs) - strlen(qs), "p%d=1&", i);
	ck_assert_int_eq(mp_query_split(qs, &q, &problem), 0);
	ck_assert_int_eq(q.n, MP_QUERY_MAX_PARAMS);
	mp_query_clear(&q);
	strcat(qs, "one_more=1");
	refused(qs, "query", "too many");
}
END_TEST

START_TEST(validate_types)
{
	struct mp_query q;
	json_t *problem = NULL;

	ck_assert_int_eq(
	    mp_query_split("region=oriental&year=2027&application_id="
	                   "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a4b&done=true&"
	                   "limit=200&other=anything",
	                   &q, &problem),
	    0);
	problem = mp_problem_new(400, "validation", NULL, NULL);
	ck_assert_int_eq(mp_query_validate(&q, schema, problem), 0);
	ck_assert_uint_eq(mp_problem_error_count(problem), 0);
	json_decref(problem);
	mp_query_clear(&q);

	invalid("region=atlantis", "region", "");
	invalid("year=27", "year", "");
	invalid("year=20270", "year", "");
	invalid("year=+2027", "year", "integer");
	invalid("year=2027.0", "year", "integer");
	invalid("year=", "year", "integer");
	invalid("application_id=abc", "application_id", "UUID");
	invalid("cursor=abc", "cursor", "UUID");
	invalid("limit=0", "limit", "");
	invalid("limit=201", "limit", "");
	invalid("limit=99999999999999999999", "limit", "integer");
	invalid("done=yes", "done", "boolean");
}
END_TEST

START_TEST(validate_required_and_every_error)
{
	static const struct mp_field need[] = {
	    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED,
	             .enum_values = regions),
	    MP_FIELD("year", MP_F_INT, 0, .min = 1000, .max = 9999),
	    MP_FIELD_END};
	struct mp_query q;
	json_t *problem = NULL;

	ck_assert_int_eq(mp_query_split("year=1", &q, &problem), 0);
	problem = mp_problem_new(400, "validation", NULL, NULL);
	ck_assert_int_eq(mp_query_validate(&q, need, problem), -EINVAL);
	ck_assert_uint_eq(mp_problem_error_count(problem), 2);
	json_decref(problem);
	mp_query_clear(&q);
}
END_TEST

static Suite *
query_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("query");

	tcase_add_test(tc, split_decodes);
	tcase_add_test(tc, split_refuses_what_it_cannot_read);
	tcase_add_test(tc, split_refuses_repeated_names);
	tcase_add_test(tc, split_repeats_allows_only_repetition);
	tcase_add_test(tc, split_caps_the_count);
	tcase_add_test(tc, validate_types);
	tcase_add_test(tc, validate_required_and_every_error);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(query_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
