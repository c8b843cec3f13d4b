/*
 * check_problem: RFC 9457 problem objects as clients receive them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "mp/problem.h"

static Suite *problem_suite(void);

START_TEST(test_new_has_type_title_status_detail)
{
	json_t *p = mp_problem_new(404, "not-found", NULL, "no such call");

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(json_string_value(json_object_get(p, "type")),
	                 "urn:mp:problem:not-found");
	ck_assert_str_eq(json_string_value(json_object_get(p, "title")),
	                 "Not Found");
	ck_assert_int_eq(json_integer_value(json_object_get(p, "status")), 404);
	ck_assert_str_eq(json_string_value(json_object_get(p, "detail")),
	                 "no such call");
	ck_assert_ptr_null(json_object_get(p, "errors"));
	ck_assert_int_eq(json_object_size(p), 4);
	json_decref(p);
}
END_TEST

START_TEST(test_new_optional_parts)
{
	json_t *p = mp_problem_new(409, NULL, "Illegal transition", NULL);

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(json_string_value(json_object_get(p, "type")),
	                 "about:blank");
	ck_assert_str_eq(json_string_value(json_object_get(p, "title")),
	                 "Illegal transition");
	ck_assert_ptr_null(json_object_get(p, "detail"));
	json_decref(p);
}
END_TEST

START_TEST(test_new_rejects_bad_input)
{
	char longslug[MP_PROBLEM_SLUG_MAX + 2];
	json_t *p;

	ck_assert_ptr_null(mp_problem_new(99, "x", NULL, NULL));
	ck_assert_ptr_null(mp_problem_new(600, "x", NULL, NULL));
	ck_assert_ptr_null(mp_problem_new(-400, "x", NULL, NULL));
	ck_assert_ptr_null(mp_problem_new(400, "", NULL, NULL));
	ck_assert_ptr_null(mp_problem_new(400, "Bad Slug", NULL, NULL));
	ck_assert_ptr_null(mp_problem_new(400, "a/b", NULL, NULL));
	ck_assert_ptr_null(mp_problem_new(400, "caf\xc3\xa9", NULL, NULL));
	/* invalid UTF-8 in detail: refused, not sent garbled */
	ck_assert_ptr_null(mp_problem_new(400, "x", NULL, "bad \xff byte"));
	ck_assert_ptr_null(mp_problem_new(400, "x", "\xc3", NULL));

	memset(longslug, 'a', sizeof(longslug) - 1);
	longslug[sizeof(longslug) - 1] = '\0';
	ck_assert_ptr_null(mp_problem_new(400, longslug, NULL, NULL));
	longslug[MP_PROBLEM_SLUG_MAX] = '\0';
	p = mp_problem_new(400, longslug, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	json_decref(p);
}
END_TEST

START_TEST(test_add_error_builds_array_in_order)
{
	json_t *p = mp_problem_new(400, "validation", NULL, NULL), *e;

	ck_assert_uint_eq(mp_problem_error_count(p), 0);
	ck_assert_int_eq(mp_problem_add_error(p, "title.fr", "required"), 0);
	ck_assert_int_eq(mp_problem_add_error(p, "budget_lines[2].amount",
	                                      "expected integer"),
	                 0);
	ck_assert_int_eq(mp_problem_add_error(p, "", "expected object"), 0);
	ck_assert_uint_eq(mp_problem_error_count(p), 3);
	e = json_array_get(json_object_get(p, "errors"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")),
	                 "budget_lines[2].amount");
	ck_assert_str_eq(json_string_value(json_object_get(e, "reason")),
	                 "expected integer");
	ck_assert_int_eq(json_object_size(e), 2);
	json_decref(p);
}
END_TEST

START_TEST(test_add_error_rejects_bad_input)
{
	json_t *p = mp_problem_new(400, "validation", NULL, NULL);
	json_t *arr = json_array();

	ck_assert_int_eq(mp_problem_add_error(NULL, "a", "b"), -EINVAL);
	ck_assert_int_eq(mp_problem_add_error(arr, "a", "b"), -EINVAL);
	ck_assert_int_eq(mp_problem_add_error(p, NULL, "b"), -EINVAL);
	ck_assert_int_eq(mp_problem_add_error(p, "a", NULL), -EINVAL);
	ck_assert_int_eq(mp_problem_add_error(p, "a\xff", "b"), -EINVAL);
	ck_assert_int_eq(mp_problem_add_error(p, "a", "\xed\xa0\x80"),
	                 -EINVAL); /* UTF-8 encoded surrogate */
	ck_assert_int_eq(mp_problem_add_error(p, "a", "\xc0\xaf"),
	                 -EINVAL); /* overlong */
	ck_assert_uint_eq(mp_problem_error_count(p), 0);
	ck_assert_ptr_null(json_object_get(p, "errors"));

	json_object_set_new(p, "errors", json_string("oops"));
	ck_assert_int_eq(mp_problem_add_error(p, "a", "b"), -EINVAL);
	ck_assert_uint_eq(mp_problem_error_count(p), 0);
	ck_assert_uint_eq(mp_problem_error_count(NULL), 0);
	ck_assert_uint_eq(mp_problem_error_count(arr), 0);
	json_decref(arr);
	json_decref(p);
}
END_TEST

START_TEST(test_add_error_accepts_unicode_and_controls)
{
	json_t *p = mp_problem_new(400, "validation", NULL, NULL);
	char *s;

	ck_assert_int_eq(
	    mp_problem_add_error(p, "title.\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a",
	                         "unknown \"field\"\n"),
	    0);
	s = json_dumps(p, JSON_COMPACT);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "unknown \\\"field\\\"\\n"));
	free(s);
	json_decref(p);
}
END_TEST

START_TEST(test_status_titles)
{
	ck_assert_str_eq(mp_http_status_title(400), "Bad Request");
	ck_assert_str_eq(mp_http_status_title(401), "Unauthorized");
	ck_assert_str_eq(mp_http_status_title(403), "Forbidden");
	ck_assert_str_eq(mp_http_status_title(404), "Not Found");
	ck_assert_str_eq(mp_http_status_title(409), "Conflict");
	ck_assert_str_eq(mp_http_status_title(412), "Precondition Failed");
	ck_assert_str_eq(mp_http_status_title(413), "Content Too Large");
	ck_assert_str_eq(mp_http_status_title(415), "Unsupported Media Type");
	ck_assert_str_eq(mp_http_status_title(422), "Unprocessable Content");
	ck_assert_str_eq(mp_http_status_title(428), "Precondition Required");
	ck_assert_str_eq(mp_http_status_title(429), "Too Many Requests");
	ck_assert_str_eq(mp_http_status_title(500), "Internal Server Error");
	ck_assert_str_eq(mp_http_status_title(503), "Service Unavailable");
	ck_assert_str_eq(mp_http_status_title(418), "Client Error");
	ck_assert_str_eq(mp_http_status_title(599), "Server Error");
	ck_assert_str_eq(mp_http_status_title(299), "Success");
	ck_assert_str_eq(mp_http_status_title(0), "Unknown Status");
	ck_assert_str_eq(mp_http_status_title(600), "Unknown Status");
	ck_assert_str_eq(mp_http_status_title(-1), "Unknown Status");
}
END_TEST

static Suite *
problem_suite(void)
{
	Suite *s = suite_create("problem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_new_has_type_title_status_detail);
	tcase_add_test(tc, test_new_optional_parts);
	tcase_add_test(tc, test_new_rejects_bad_input);
	tcase_add_test(tc, test_add_error_builds_array_in_order);
	tcase_add_test(tc, test_add_error_rejects_bad_input);
	tcase_add_test(tc, test_add_error_accepts_unicode_and_controls);
	tcase_add_test(tc, test_status_titles);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(problem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
