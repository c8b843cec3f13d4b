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

/* "GET /v1/funding/regions" for every operation of the OpenAPI file, read
 * line by line: our specs write paths at 2 spaces, methods at 4. */
static json_t *
openapi_operations(const char *file)
{
	char line[512], path[512] = "", *end;
	json_t *ops = json_array();
	FILE *f = fopen(file, "r");
	static const char *const methods[] = {"get", "post", "put", "patch",
		"delete", NULL};

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "  /", 3) == 0 &&
		    (end = strstr(line, ":\n")) != NULL) {
			*end = '\0';
			snprintf(path, sizeof(path), "%s", line + 2);
			continue;
		}
		if (line[0] != ' ' && line[0] != '\n')
			path[0] = '\0';
		for (int m = 0; path[0] != '\0' && methods[m] != NULL; m++) {
			char want[32];

			snprintf(want, sizeof(want), "    %s:", methods[m]);
			if (strncmp(line, want, strlen(want)) == 0) {
				char op[560];

				snprintf(op, sizeof(op), "%s %s", methods[m], path);
				for (char *c = op; *c != ' '; c++)
					*c = (char)(*c - 'a' + 'A');
				json_array_append_new(ops, json_string(op));
			}
		}
	}
	fclose(f);
	return ops;
}

static int
has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

START_TEST(routes_equal_openapi)
{
	json_t *spec = openapi_operations("openapi/funding.yaml"), *served, *r;
	struct t_resp resp;
	char op[600];
	size_t i;

	ck_assert_int_eq(t_http(&svc, "GET", "/_routes", NULL, NULL, 0,
	    &resp), 0);
	ck_assert_int_eq(resp.status, 200);
	served = json_array();
	json_array_foreach(resp.json, i, r) {
		snprintf(op, sizeof(op), "%s %s",
		    json_string_value(json_object_get(r, "method")),
		    json_string_value(json_object_get(r, "path")));
		json_array_append_new(served, json_string(op));
	}
	ck_assert_int_gt(json_array_size(served), 0);
	json_array_foreach(served, i, r)
		ck_assert_msg(has(spec, json_string_value(r)),
		    "served but not in openapi/funding.yaml: %s",
		    json_string_value(r));
	json_array_foreach(spec, i, r)
		ck_assert_msg(has(served, json_string_value(r)),
		    "in openapi/funding.yaml but not served: %s",
		    json_string_value(r));
	json_decref(spec);
	json_decref(served);
	t_resp_free(&resp);
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
