/*
 * Funding service over HTTP: its routes equal openapi/funding.yaml, and
 * the public reference data answers in the client's language.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "support.h"

static struct t_proc svc;

static void
setup(void)
{
	if (t_service_start(&svc, "funding", NULL) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&svc);
}

START_TEST(routes_equal_openapi)
{
	t_assert_routes_match_openapi(&svc, "openapi/funding.yaml");
}
END_TEST

START_TEST(regions_by_language)
{
	const char *ar[] = {"Accept-Language: ar", NULL};
	struct t_resp r;
	json_t *items;

	ck_assert_int_eq(t_http(&svc, "GET", "/v1/funding/regions", ar, NULL,
	    0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	items = json_object_get(r.json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    items, 0), "code")), "oriental");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    items, 0), "label")), "الشرق");
	t_resp_free(&r);
}
END_TEST

START_TEST(reference_lists_by_language)
{
	const char *en[] = {"Accept-Language: en-GB,en;q=0.9", NULL};
	struct t_resp r;
	json_t *items;

	t_http(&svc, "GET", "/v1/funding/themes", en, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	items = json_object_get(r.json, "items");
	ck_assert_int_eq(json_array_size(items), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    items, 0), "label")), "Economic development");
	t_resp_free(&r);
	/* no English name: the French one */
	t_http(&svc, "GET", "/v1/funding/regions/oriental/communes", en, NULL,
	    0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "label")), "Berkane");
	t_resp_free(&r);
}
END_TEST

START_TEST(provinces_and_unknown_region)
{
	struct t_resp r;

	t_http(&svc, "GET", "/v1/funding/regions/oriental/provinces", NULL,
	    NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 8);
	t_resp_free(&r);
	t_http(&svc, "GET", "/v1/funding/regions/atlantis/provinces", NULL,
	    NULL, 0, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_nonnull(strstr(r.headers, "application/problem+json"));
	t_resp_free(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("funding");
	TCase *tc = tcase_create("reference");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, routes_equal_openapi);
	tcase_add_test(tc, regions_by_language);
	tcase_add_test(tc, provinces_and_unknown_region);
	tcase_add_test(tc, reference_lists_by_language);
	suite_add_tcase(s, tc);
	return t_run(s);
}
