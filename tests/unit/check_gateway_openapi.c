/*
 * The merged OpenAPI document (gw_openapi_merge): paths of every document
 * in order, duplicates left out and named, components namespaced by file,
 * security schemes kept by name, $refs rewritten (local and to another
 * file), block scalars and comments carried without breaking the blocks.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openapi/openapi.h"

static const char gw_doc[] =
    "openapi: 3.1.0\n"
    "info:\n"
    "  title: gw\n"
    "paths:\n"
    "  /auth/me:\n"
    "    get:\n"
    "      description: |\n"
    "        Text with a # hash and an indented\n"
    "\n"
    "        paragraph; see common.yaml#/components/schemas/Problem.\n"
    "      security: [{bearer: []}]\n"
    "      responses:\n"
    "        '404': {$ref: '#/components/responses/NotFound'}\n"
    "# a comment between path items\n"
    "  /healthz:\n"
    "    get:\n"
    "      responses:\n"
    "        '200': {description: gw's own}\n"
    "components:\n"
    "  securitySchemes:\n"
    "    bearer: {type: http, scheme: bearer}\n"
    "  responses:\n"
    "    NotFound:\n"
    "      description: nf\n"
    "      content:\n"
    "        application/problem+json:\n"
    "          schema: {$ref: 'common.yaml#/components/schemas/Problem'}\n";

static const char common_doc[] = "openapi: 3.1.0\n"
                                 "paths:\n"
                                 "  /healthz:\n"
                                 "    get:\n"
                                 "      responses:\n"
                                 "        '200': {description: common's}\n"
                                 "components:\n"
                                 "  schemas:\n"
                                 "    Problem:\n"
                                 "      type: object\n";

static const char funding_doc[] =
    "openapi: 3.1.0\r\n"
    "paths:\r\n"
    "  /v1/funding/calls:\r\n"
    "    get:\r\n"
    "      responses:\r\n"
    "        '404': {$ref: \"#/components/responses/NotFound\"}\r\n"
    "components:\r\n"
    "  securitySchemes:\r\n"
    "    bearer:\r\n"
    "      type: http\r\n"
    "      description: second definition, dropped\r\n"
    "  responses:\r\n"
    "    NotFound:\r\n"
    "      description: funding's\r\n"
    "tags:\r\n"
    "  - name: dropped\r\n";

static char *
merged(void)
{
	const struct gw_openapi_doc docs[] = {
	    {"gateway", gw_doc, sizeof(gw_doc) - 1},
	    {"common", common_doc, sizeof(common_doc) - 1},
	    {"funding", funding_doc, sizeof(funding_doc) - 1},
	};
	char *out = NULL;
	size_t len = 0;

	ck_assert_int_eq(gw_openapi_merge(docs, 3, &out, &len), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), len);
	return out;
}

START_TEST(test_paths_in_order_duplicates_named)
{
	char *m = merged();
	const char *a = strstr(m, "\n  /auth/me:\n");
	const char *h = strstr(m, "\n  /healthz:\n");
	const char *f = strstr(m, "\n  /v1/funding/calls:\n");

	ck_assert_int_eq(strncmp(m, "openapi: 3.1.0\n", 15), 0);
	ck_assert(a != NULL && h != NULL && f != NULL && a < h && h < f);
	/* the first /healthz wins, the second is left out and named */
	ck_assert_ptr_nonnull(strstr(m, "gw's own"));
	ck_assert_ptr_null(strstr(m, "common's"));
	ck_assert_ptr_nonnull(strstr(m, "Paths left out (an earlier file has "
	                                "them): /healthz."));
	ck_assert_ptr_null(strstr(h + 1, "\n  /healthz:\n"));
	/* other top-level keys are not carried, comments between items go */
	ck_assert_ptr_null(strstr(m, "dropped\n"));
	ck_assert_ptr_null(strstr(m, "# a comment"));
	ck_assert_ptr_null(strstr(m, "\r"));
	free(m);
}
END_TEST

START_TEST(test_components_namespaced)
{
	char *m = merged();

	ck_assert_ptr_nonnull(strstr(m, "\ncomponents:\n"));
	ck_assert_ptr_nonnull(strstr(m, "\n    gateway.NotFound:\n"));
	ck_assert_ptr_nonnull(strstr(m, "\n    funding.NotFound:\n"));
	ck_assert_ptr_nonnull(strstr(m, "\n    common.Problem:\n"));
	/* each section once */
	ck_assert_ptr_null(
	    strstr(strstr(m, "\n  responses:\n") + 1, "\n  responses:\n"));
	/* security schemes: names kept, the first definition wins */
	ck_assert_ptr_nonnull(strstr(m, "\n    bearer: {type: http, scheme: "
	                                "bearer}\n"));
	ck_assert_ptr_null(strstr(m, "second definition"));
	ck_assert_ptr_nonnull(strstr(m, "security: [{bearer: []}]"));
	free(m);
}
END_TEST

START_TEST(test_refs_rewritten)
{
	char *m = merged();

	ck_assert_ptr_nonnull(strstr(m, "{$ref: '#/components/responses/"
	                                "gateway.NotFound'}"));
	ck_assert_ptr_nonnull(strstr(m, "{$ref: \"#/components/responses/"
	                                "funding.NotFound\"}"));
	ck_assert_ptr_nonnull(strstr(m, "schema: {$ref: '#/components/schemas/"
	                                "common.Problem'}"));
	ck_assert_ptr_null(strstr(m, "common.yaml#"));
	/* block scalar text kept whole, blank line included */
	ck_assert_ptr_nonnull(
	    strstr(m, "        Text with a # hash and an "
	              "indented\n\n        paragraph; see #/components/schemas/"
	              "common.Problem.\n"));
	free(m);
}
END_TEST

START_TEST(test_refuses)
{
	struct gw_openapi_doc bad[] = {
	    {"Bad Stem", gw_doc, sizeof(gw_doc) - 1}};
	struct gw_openapi_doc nopaths[] = {{"x", "openapi: 3.1.0\n", 15}};
	char *out = NULL;
	size_t len;

	ck_assert_int_eq(gw_openapi_merge(bad, 1, &out, &len), -EINVAL);
	ck_assert_int_eq(gw_openapi_merge(nopaths, 1, &out, &len), -EINVAL);
	ck_assert_int_eq(gw_openapi_merge(NULL, 1, &out, &len), -EINVAL);
	ck_assert_int_eq(gw_openapi_merge(bad, 0, &out, &len), -EINVAL);
	ck_assert_ptr_null(out);
}
END_TEST

static Suite *
openapi_suite(void)
{
	Suite *s = suite_create("gateway_openapi");
	TCase *tc = tcase_create("merge");

	tcase_add_test(tc, test_paths_in_order_duplicates_named);
	tcase_add_test(tc, test_components_namespaced);
	tcase_add_test(tc, test_refs_rewritten);
	tcase_add_test(tc, test_refuses);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(openapi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
