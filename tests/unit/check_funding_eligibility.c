/*
 * Eligibility rules of a call: validation on call creation, and the check
 * of an application's facts listing every failed rule.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/funding/src/domain.h"

#define OPEN_MS 1735689600000LL  /* 2025-01-01T00:00:00Z */
#define CLOSE_MS 1738367999999LL /* 2025-01-31T23:59:59.999Z */

static const char *rules_text =
    "{\"applicant_types\": [\"mre\", \"association\"],"
    " \"regions\": [\"oriental\"],"
    " \"themes\": [\"local_development\", \"sse\"],"
    " \"communes\": [\"oujda\", \"berkane\"],"
    " \"max_grant_minor\": 50000000,"
    " \"min_cofinancing_bp\": 2000,"
    " \"min_beneficiaries\": 10,"
    " \"require_gender_marker_min\": 1}";

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

/* An application that passes every rule of rules_text. */
static struct funding_app_facts
good_facts(void)
{
	struct funding_app_facts f;

	memset(&f, 0, sizeof(f));
	f.applicant_type = "mre";
	f.region = "oriental";
	f.commune = "oujda";
	f.theme = "sse";
	f.requested_minor = 40000000;
	f.total_budget_minor = 50000000;
	f.cofinancing_minor = 10000000; /* exactly 2000 bp */
	f.beneficiaries_female = 6;
	f.beneficiaries_male = 4; /* exactly 10 */
	f.gender_marker = 1;
	f.submitted_at_ms = OPEN_MS + 1000;
	f.call_opens_at_ms = OPEN_MS;
	f.call_closes_at_ms = CLOSE_MS;
	return f;
}

/* Runs the check and returns the failed rule names joined by ','. */
static int
run(const json_t *rules, const struct funding_app_facts *f, char *names,
    size_t cap)
{
	json_t *failed = (json_t *)0x1, *e;
	size_t i;
	int rc;

	names[0] = '\0';
	rc = funding_eligibility_check(rules, f, &failed);
	if (rc < 0) {
		ck_assert_ptr_null(failed);
		return rc;
	}
	ck_assert(json_is_array(failed));
	ck_assert_int_eq(rc, json_array_size(failed) > 0);
	json_array_foreach(failed, i, e)
	{
		const char *r = json_string_value(json_object_get(e, "rule"));
		const char *why =
		    json_string_value(json_object_get(e, "reason"));

		ck_assert_ptr_nonnull(r);
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_gt(strlen(why), 0);
		ck_assert_uint_eq(json_object_size(e), 2);
		if (i > 0)
			strncat(names, ",", cap - strlen(names) - 1);
		strncat(names, r, cap - strlen(names) - 1);
	}
	json_decref(failed);
	return rc;
}

static void
expect_invalid_rules(const char *text, const char *err_part)
{
	json_t *r = J(text);
	char err[128] = "unset";
	struct funding_app_facts f = good_facts();
	json_t *failed = (json_t *)0x1;

	ck_assert_msg(funding_eligibility_rules_validate(r, err, sizeof(err)) ==
	                  -EINVAL,
	              "accepted: %s", text);
	ck_assert_msg(strstr(err, err_part) != NULL, "%s: message \"%s\"", text,
	              err);
	ck_assert_int_eq(funding_eligibility_check(r, &f, &failed), -EINVAL);
	ck_assert_ptr_null(failed);
	json_decref(r);
}

START_TEST(test_valid_rules)
{
	json_t *r = J(rules_text);
	char err[128] = "unset";

	ck_assert_int_eq(
	    funding_eligibility_rules_validate(r, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	json_decref(r);
	r = J("{}");
	ck_assert_int_eq(funding_eligibility_rules_validate(r, NULL, 0), 0);
	json_decref(r);
	r = J("{\"applicant_types\": [\"mre\", \"regularised_migrant\","
	      " \"association\", \"cooperative\", \"commune\"],"
	      " \"regions\": [\"souss-massa\", \"oriental\"],"
	      " \"min_cofinancing_bp\": 0, \"min_beneficiaries\": 0,"
	      " \"require_gender_marker_min\": 2,"
	      " \"max_grant_minor\": 9223372036854775807}");
	ck_assert_int_eq(funding_eligibility_rules_validate(r, NULL, 0), 0);
	json_decref(r);
}
END_TEST

START_TEST(test_malformed_rules)
{
	expect_invalid_rules("[]", "JSON object");
	expect_invalid_rules("null", "JSON object");
	expect_invalid_rules("\"applicant_types\"", "JSON object");
	expect_invalid_rules("42", "JSON object");
	expect_invalid_rules("{\"max_grant\": 1}", "max_grant: unknown rule");
	expect_invalid_rules("{\"applicant_types\": \"mre\"}",
	                     "applicant_types: must be an array");
	expect_invalid_rules("{\"applicant_types\": []}", "1 to 256");
	expect_invalid_rules("{\"applicant_types\": [\"mre\", 3]}",
	                     "applicant_types[1]: must be a string");
	expect_invalid_rules("{\"applicant_types\": [\"tourist\"]}",
	                     "unknown value \"tourist\"");
	expect_invalid_rules("{\"applicant_types\": [\"MRE\"]}",
	                     "unknown value");
	expect_invalid_rules("{\"applicant_types\": [\"mre\", \"mre\"]}",
	                     "duplicate value");
	expect_invalid_rules("{\"regions\": [\"casablanca-settat\"]}",
	                     "regions[0]: unknown value");
	expect_invalid_rules("{\"regions\": [null]}", "must be a string");
	expect_invalid_rules("{\"themes\": [\"\"]}", "themes[0]: must be 1");
	expect_invalid_rules("{\"themes\": [[\"sse\"]]}", "must be a string");
	expect_invalid_rules("{\"communes\": {\"oujda\": 1}}",
	                     "communes: must be an array");
	expect_invalid_rules("{\"max_grant_minor\": 0}",
	                     "max_grant_minor: must be between 1");
	expect_invalid_rules("{\"max_grant_minor\": -1}", "max_grant_minor");
	expect_invalid_rules("{\"max_grant_minor\": 1.5}",
	                     "must be an integer");
	expect_invalid_rules("{\"max_grant_minor\": \"100\"}",
	                     "must be an integer");
	expect_invalid_rules("{\"max_grant_minor\": true}",
	                     "must be an integer");
	expect_invalid_rules("{\"max_grant_minor\": null}",
	                     "must be an integer");
	expect_invalid_rules("{\"min_cofinancing_bp\": 10001}",
	                     "min_cofinancing_bp: must be between 0 and 10000");
	expect_invalid_rules("{\"min_cofinancing_bp\": -1}",
	                     "min_cofinancing_bp");
	expect_invalid_rules("{\"min_cofinancing_bp\": 20.0}",
	                     "must be an integer");
	expect_invalid_rules("{\"min_beneficiaries\": -1}",
	                     "min_beneficiaries");
	expect_invalid_rules("{\"min_beneficiaries\": -9223372036854775808}",
	                     "min_beneficiaries");
	expect_invalid_rules(
	    "{\"require_gender_marker_min\": 3}",
	    "require_gender_marker_min: must be between 0 and 2");
	expect_invalid_rules("{\"require_gender_marker_min\": -1}",
	                     "require_gender_marker_min");
	/* One bad rule among good ones still refuses the whole set. */
	expect_invalid_rules(
	    "{\"regions\": [\"oriental\"], \"min_beneficiaries\":"
	    " 5, \"themes\": 7}",
	    "themes");
}
END_TEST

START_TEST(test_rules_size_limits)
{
	json_t *r = json_object(), *list = json_array();
	char s[128];
	int i;

	/* 257 entries: too many. */
	for (i = 0; i < FUNDING_RULE_LIST_MAX + 1; i++) {
		snprintf(s, sizeof(s), "commune_%d", i);
		json_array_append_new(list, json_string(s));
	}
	json_object_set_new(r, "communes", list);
	ck_assert_int_eq(funding_eligibility_rules_validate(r, NULL, 0),
	                 -EINVAL);
	/* 256: fine. */
	json_array_remove(list, 0);
	ck_assert_int_eq(funding_eligibility_rules_validate(r, NULL, 0), 0);
	/* 65-byte entry: too long; 64: fine. */
	memset(s, 'x', 65);
	s[65] = '\0';
	json_object_set_new(r, "themes", json_pack("[s]", s));
	ck_assert_int_eq(funding_eligibility_rules_validate(r, NULL, 0),
	                 -EINVAL);
	s[64] = '\0';
	json_object_set_new(r, "themes", json_pack("[s]", s));
	ck_assert_int_eq(funding_eligibility_rules_validate(r, NULL, 0), 0);
	json_decref(r);
}
END_TEST

START_TEST(test_embedded_nul)
{
	json_t *r = json_object();
	char err[64];

	/* "max_grant_minor\0x" must not pass as max_grant_minor. */
	json_object_setn_new(r, "max_grant_minor\0x", 17, json_integer(5));
	ck_assert_int_eq(
	    funding_eligibility_rules_validate(r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	json_decref(r);
	/* A list entry with an embedded NUL ("oujda\0x" is not "oujda"). */
	r = json_object();
	json_object_set_new(
	    r, "communes",
	    json_pack("[s, s%]", "berkane", "oujda\0x", (size_t)7));
	ck_assert_int_eq(
	    funding_eligibility_rules_validate(r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "communes[1]: must be 1 to 64 bytes "
	                                  "without NUL"));
	json_decref(r);
}
END_TEST

START_TEST(test_error_message_truncation)
{
	json_t *r = J("{\"this_is_a_long_unknown_rule_name\": 1}");
	char err[8];

	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(funding_eligibility_rules_validate(r, err, 5),
	                 -EINVAL);
	ck_assert_uint_eq(strlen(err), 4);
	ck_assert_int_eq(err[5], 'Z');
	ck_assert_int_eq(funding_eligibility_rules_validate(r, err, 0),
	                 -EINVAL);
	json_decref(r);
}
END_TEST

START_TEST(test_eligible)
{
	json_t *r = J(rules_text);
	struct funding_app_facts f = good_facts();
	char names[256];

	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);
	ck_assert_str_eq(names, "");
	/* `failed` may be NULL when the caller only wants the verdict. */
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), 0);
	json_decref(r);
}
END_TEST

/* Each rule alone, failing by the smallest possible margin. */
START_TEST(test_each_rule_fails_alone)
{
	json_t *r = J(rules_text);
	struct funding_app_facts f;
	char names[256];

	f = good_facts();
	f.applicant_type = "cooperative";
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "applicant_types");

	f = good_facts();
	f.region = "souss-massa";
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "regions");

	f = good_facts();
	f.commune = "agadir";
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "communes");

	f = good_facts();
	f.theme = "Sse";
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "themes");

	f = good_facts();
	f.requested_minor = 50000001;
	f.total_budget_minor = 62500002;
	f.cofinancing_minor = 12500001;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "max_grant_minor");

	f = good_facts();
	f.cofinancing_minor = 9999999; /* 1999.9998 bp */
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "min_cofinancing_bp");

	f = good_facts();
	f.beneficiaries_male = 3;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "min_beneficiaries");

	f = good_facts();
	f.gender_marker = 0;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "require_gender_marker_min");

	f = good_facts();
	f.submitted_at_ms = OPEN_MS - 1;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "submission_window");

	f = good_facts();
	f.submitted_at_ms = CLOSE_MS + 1;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "submission_window");

	f = good_facts();
	f.requested_minor = 40000001; /* + cofinancing > total */
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "budget");
	json_decref(r);
}
END_TEST

START_TEST(test_boundaries_pass)
{
	json_t *r = J(rules_text);
	struct funding_app_facts f;
	char names[256];

	f = good_facts();
	f.submitted_at_ms = OPEN_MS;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);
	f.submitted_at_ms = CLOSE_MS;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);

	f = good_facts();
	f.requested_minor = 50000000; /* == max grant */
	f.cofinancing_minor = 12500000;
	f.total_budget_minor = 62500000; /* 2000 bp exactly */
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);

	f = good_facts();
	f.beneficiaries_female = 0;
	f.beneficiaries_male = 10;
	f.gender_marker = 2;
	f.applicant_type = "association";
	f.commune = "berkane";
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);
	json_decref(r);
}
END_TEST

START_TEST(test_every_failed_rule_listed)
{
	json_t *r = J(rules_text);
	struct funding_app_facts f = good_facts();
	char names[512];

	f.applicant_type = "commune";
	f.region = "souss-massa";
	f.commune = NULL;
	f.theme = NULL;
	f.requested_minor = 90000000;
	f.total_budget_minor = 100000000;
	f.cofinancing_minor = 0;
	f.beneficiaries_female = 0;
	f.beneficiaries_male = 0;
	f.gender_marker = 0;
	f.submitted_at_ms = CLOSE_MS + 86400000;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(
	    names, "submission_window,applicant_types,regions,communes,themes,"
	           "max_grant_minor,min_cofinancing_bp,min_beneficiaries,"
	           "require_gender_marker_min");
	json_decref(r);
}
END_TEST

START_TEST(test_reason_text)
{
	json_t *r = J(rules_text), *failed = NULL;
	struct funding_app_facts f = good_facts();
	const char *why;

	f.commune = NULL;
	f.requested_minor = 50000001;
	f.total_budget_minor = 100000000;
	f.cofinancing_minor = 20000000;
	ck_assert_int_eq(funding_eligibility_check(r, &f, &failed), 1);
	ck_assert_uint_eq(json_array_size(failed), 2);
	why = json_string_value(
	    json_object_get(json_array_get(failed, 0), "reason"));
	ck_assert_str_eq(why, "commune is missing");
	why = json_string_value(
	    json_object_get(json_array_get(failed, 1), "reason"));
	ck_assert_str_eq(
	    why, "requested 50000001 exceeds the maximum grant 50000000");
	json_decref(failed);
	json_decref(r);
}
END_TEST

/* Only built-in rules apply to an empty rule set; NULL strings pass. */
START_TEST(test_empty_rules)
{
	json_t *r = J("{}");
	struct funding_app_facts f = good_facts();
	char names[256];

	f.applicant_type = NULL;
	f.region = NULL;
	f.commune = NULL;
	f.theme = NULL;
	f.gender_marker = 0;
	f.beneficiaries_female = 0;
	f.beneficiaries_male = 0;
	f.cofinancing_minor = 0;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);
	f.requested_minor = 0;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "budget");
	f.requested_minor = 1;
	f.total_budget_minor = 0;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "budget");
	json_decref(r);
}
END_TEST

START_TEST(test_zero_budget_with_cofinancing_rule)
{
	json_t *r = J("{\"min_cofinancing_bp\": 1}");
	struct funding_app_facts f = good_facts();
	char names[256];

	f.total_budget_minor = 0;
	f.requested_minor = 0;
	f.cofinancing_minor = 0;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "budget,min_cofinancing_bp");
	json_decref(r);
	/* A 0 bp minimum is met by anything. */
	r = J("{\"min_cofinancing_bp\": 0}");
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "budget");
	json_decref(r);
}
END_TEST

START_TEST(test_malformed_facts)
{
	json_t *r = J(rules_text), *failed = (json_t *)0x1;
	struct funding_app_facts f;

	f = good_facts();
	f.requested_minor = -1;
	ck_assert_int_eq(funding_eligibility_check(r, &f, &failed), -EINVAL);
	ck_assert_ptr_null(failed);
	f = good_facts();
	f.total_budget_minor = INT64_MIN;
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), -EINVAL);
	f = good_facts();
	f.cofinancing_minor = -5;
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), -EINVAL);
	f = good_facts();
	f.beneficiaries_female = -1;
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), -EINVAL);
	f = good_facts();
	f.beneficiaries_male = INT64_MIN;
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), -EINVAL);
	f = good_facts();
	f.gender_marker = 3;
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), -EINVAL);
	f.gender_marker = -1;
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), -EINVAL);
	f = good_facts();
	f.call_closes_at_ms = f.call_opens_at_ms - 1;
	ck_assert_int_eq(funding_eligibility_check(r, &f, NULL), -EINVAL);
	ck_assert_int_eq(funding_eligibility_check(r, NULL, &failed), -EINVAL);
	ck_assert_ptr_null(failed);
	ck_assert_int_eq(funding_eligibility_check(NULL, &f, &failed), -EINVAL);
	json_decref(r);
}
END_TEST

/* int64 extremes: no overflow, exact comparisons. */
START_TEST(test_int64_edges)
{
	json_t *r;
	struct funding_app_facts f = good_facts();
	char names[256];

	r = J("{\"max_grant_minor\": 9223372036854775807,"
	      " \"min_cofinancing_bp\": 10000,"
	      " \"min_beneficiaries\": 9223372036854775807}");
	f.total_budget_minor = INT64_MAX;
	f.cofinancing_minor = INT64_MAX;
	f.requested_minor = 0;
	f.beneficiaries_female = INT64_MAX;
	f.beneficiaries_male = INT64_MAX;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "budget");
	/* 100% co-financing demands cofinancing == total: one short fails. */
	f.requested_minor = 1;
	f.cofinancing_minor = INT64_MAX - 1;
	f.beneficiaries_female = INT64_MAX - 1;
	f.beneficiaries_male = 1;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "min_cofinancing_bp");
	f.beneficiaries_male = 0;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "min_cofinancing_bp,min_beneficiaries");
	json_decref(r);

	/* The largest possible request against the largest grant. */
	r = J("{\"max_grant_minor\": 9223372036854775807,"
	      " \"min_cofinancing_bp\": 0}");
	f = good_facts();
	f.requested_minor = INT64_MAX;
	f.total_budget_minor = INT64_MAX;
	f.cofinancing_minor = 0;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);
	f.cofinancing_minor = 1;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 1);
	ck_assert_str_eq(names, "budget");
	json_decref(r);

	/* Times at the int64 ends. */
	r = J("{}");
	f = good_facts();
	f.call_opens_at_ms = INT64_MIN;
	f.call_closes_at_ms = INT64_MAX;
	f.submitted_at_ms = INT64_MIN;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);
	f.submitted_at_ms = INT64_MAX;
	ck_assert_int_eq(run(r, &f, names, sizeof(names)), 0);
	json_decref(r);
}
END_TEST

START_TEST(test_cofinancing_bp)
{
	int32_t bp = -1;

	ck_assert_int_eq(funding_cofinancing_bp(1, 3, &bp), 0);
	ck_assert_int_eq(bp, 3333);
	ck_assert_int_eq(funding_cofinancing_bp(2, 3, &bp), 0);
	ck_assert_int_eq(bp, 6666); /* rounded down */
	ck_assert_int_eq(funding_cofinancing_bp(0, 3, &bp), 0);
	ck_assert_int_eq(bp, 0);
	ck_assert_int_eq(funding_cofinancing_bp(3, 3, &bp), 0);
	ck_assert_int_eq(bp, 10000);
	ck_assert_int_eq(funding_cofinancing_bp(INT64_MAX, INT64_MAX, &bp), 0);
	ck_assert_int_eq(bp, 10000);
	ck_assert_int_eq(funding_cofinancing_bp(INT64_MAX - 1, INT64_MAX, &bp),
	                 0);
	ck_assert_int_eq(bp, 9999);
	ck_assert_int_eq(funding_cofinancing_bp(INT64_MAX / 5, INT64_MAX, &bp),
	                 0);
	ck_assert_int_eq(bp, 1999);
	bp = 42;
	ck_assert_int_eq(funding_cofinancing_bp(1, 0, &bp), -EINVAL);
	ck_assert_int_eq(funding_cofinancing_bp(0, 0, &bp), -EINVAL);
	ck_assert_int_eq(funding_cofinancing_bp(4, 3, &bp), -EINVAL);
	ck_assert_int_eq(funding_cofinancing_bp(-1, 3, &bp), -EINVAL);
	ck_assert_int_eq(funding_cofinancing_bp(1, -3, &bp), -EINVAL);
	ck_assert_int_eq(funding_cofinancing_bp(1, 3, NULL), -EINVAL);
	ck_assert_int_eq(bp, 42);
}
END_TEST

START_TEST(test_known_lists)
{
	size_t n;

	for (n = 0; funding_applicant_types[n] != NULL; n++)
		;
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(funding_applicant_types[1], "regularised_migrant");
	for (n = 0; funding_regions[n] != NULL; n++)
		;
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(funding_regions[0], "souss-massa");
}
END_TEST

static Suite *
eligibility_suite(void)
{
	Suite *s = suite_create("funding_eligibility");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_valid_rules);
	tcase_add_test(tc, test_malformed_rules);
	tcase_add_test(tc, test_rules_size_limits);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_error_message_truncation);
	tcase_add_test(tc, test_eligible);
	tcase_add_test(tc, test_each_rule_fails_alone);
	tcase_add_test(tc, test_boundaries_pass);
	tcase_add_test(tc, test_every_failed_rule_listed);
	tcase_add_test(tc, test_reason_text);
	tcase_add_test(tc, test_empty_rules);
	tcase_add_test(tc, test_zero_budget_with_cofinancing_rule);
	tcase_add_test(tc, test_malformed_facts);
	tcase_add_test(tc, test_int64_edges);
	tcase_add_test(tc, test_cofinancing_bp);
	tcase_add_test(tc, test_known_lists);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(eligibility_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
