/*
 * Questionnaires: document validation, skip logic, answers, versioning.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/gender/src/domain.h"

static const char doc_text[] =
    "{\"questions\": ["
    "{\"key\": \"works\", \"type\": \"single\", \"required\": true,"
    " \"label\": {\"fr\": \"Travaillez-vous ?\", \"ar\": \"هل تعملين؟\"},"
    " \"options\": [{\"code\": \"yes\", \"label\": {\"fr\": \"Oui\"}},"
    "  {\"code\": \"no\", \"label\": {\"fr\": \"Non\"}}]},"
    "{\"key\": \"sector\", \"type\": \"multiple\", \"required\": true,"
    " \"label\": {\"fr\": \"Secteur\"}, \"skip_if\": {\"question\": "
    "\"works\", \"equals\": \"no\"},"
    " \"options\": [{\"code\": \"agri\", \"label\": {\"fr\": \"Agriculture\"}},"
    "  {\"code\": \"care\", \"label\": {\"fr\": \"Soins\"}},"
    "  {\"code\": \"trade\", \"label\": {\"fr\": \"Commerce\"}}]},"
    "{\"key\": \"hours\", \"type\": \"number\", \"min\": 0, \"max\": 80,"
    " \"label\": {\"fr\": \"Heures\"}, \"skip_if\": {\"question\": "
    "\"works\", \"in\": [\"no\"]}},"
    "{\"key\": \"access\", \"type\": \"likert\", \"scale\": 5,"
    " \"required\": true, \"label\": {\"fr\": \"Accès aux services\"}},"
    "{\"key\": \"needs\", \"type\": \"text\", \"label\": {\"fr\": \"Besoins\"},"
    " \"skip_if\": {\"question\": \"access\", \"gt\": 3}}"
    "]}";

static json_t *
doc(void)
{
	json_error_t e;
	json_t *d = json_loads(doc_text, 0, &e);

	ck_assert_msg(d != NULL, "fixture: %s", e.text);
	return d;
}

static int
check_answers(const json_t *d, const char *answers, char *field)
{
	json_t *a = json_loads(answers, 0, NULL);
	char err[GENDER_ERR_MAX];
	int rc;

	ck_assert_ptr_nonnull(a);
	rc = gender_response_validate(d, a, field, 64, err, sizeof(err));
	json_decref(a);
	return rc;
}

START_TEST(test_document_valid)
{
	json_t *d = doc();
	char field[64], err[GENDER_ERR_MAX];

	ck_assert_int_eq(gender_questionnaire_validate(d, field, sizeof(field),
	                                               err, sizeof(err)),
	                 0);
	json_decref(d);
}
END_TEST

START_TEST(test_document_errors)
{
	static const struct {
		const char *doc, *field;
	} bad[] = {
	    {"{\"questions\": []}", "questions"},
	    {"{\"questions\": [{\"key\": \"A\", \"type\": \"text\", "
	     "\"label\": {\"fr\": \"x\"}}]}",
	     "questions[0].key"},
	    {"{\"questions\": [{\"key\": \"a\", \"type\": \"essay\", "
	     "\"label\": {\"fr\": \"x\"}}]}",
	     "questions[0].type"},
	    {"{\"questions\": [{\"key\": \"a\", \"type\": \"single\", "
	     "\"label\": {\"fr\": \"x\"}, \"options\": [{\"code\": "
	     "\"y\", \"label\": {\"fr\": \"Y\"}}]}]}",
	     "questions[0].options"},
	    {"{\"questions\": [{\"key\": \"a\", \"type\": \"text\", "
	     "\"label\": {}}]}",
	     "questions[0].label"},
	    /* a skip condition on a later question (could loop) */
	    {"{\"questions\": [{\"key\": \"a\", \"type\": \"text\", "
	     "\"label\": {\"fr\": \"x\"}, \"skip_if\": {\"question\": "
	     "\"b\", \"equals\": \"1\"}}, {\"key\": \"b\", \"type\": "
	     "\"text\", \"label\": {\"fr\": \"y\"}}]}",
	     "questions[0].skip_if"},
	    {"{\"questions\": [{\"key\": \"a\", \"type\": \"likert\", "
	     "\"scale\": 2, \"label\": {\"fr\": \"x\"}}]}",
	     "questions[0].scale"},
	    {"{\"questions\": [{\"key\": \"a\", \"type\": \"text\", "
	     "\"label\": {\"fr\": \"x\"}}, {\"key\": \"a\", \"type\": "
	     "\"text\", \"label\": {\"fr\": \"y\"}}]}",
	     "questions[1].key"},
	};
	char field[64], err[GENDER_ERR_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *d = json_loads(bad[i].doc, 0, NULL);

		ck_assert_ptr_nonnull(d);
		ck_assert_int_eq(gender_questionnaire_validate(
		                     d, field, sizeof(field), err, sizeof(err)),
		                 -EINVAL);
		ck_assert_str_eq(field, bad[i].field);
		json_decref(d);
	}
}
END_TEST

START_TEST(test_skip_logic)
{
	json_t *d = doc();
	char field[64];

	/* works = no: sector and hours are skipped, so not required */
	ck_assert_int_eq(check_answers(d,
	                               "{\"works\": \"no\", \"access\": 2, "
	                               "\"needs\": \"garde d'enfants\"}",
	                               field),
	                 0);
	/* answering a skipped question is refused */
	ck_assert_int_eq(check_answers(d,
	                               "{\"works\": \"no\", \"access\": 2, "
	                               "\"hours\": 20}",
	                               field),
	                 -EINVAL);
	ck_assert_str_eq(field, "hours");
	/* works = yes: sector is required */
	ck_assert_int_eq(
	    check_answers(d, "{\"works\": \"yes\", \"access\": 2}", field),
	    -EINVAL);
	ck_assert_str_eq(field, "sector");
	ck_assert_int_eq(
	    check_answers(
	        d,
	        "{\"works\": \"yes\", \"sector\": "
	        "[\"care\", \"trade\"], \"hours\": 35, \"access\": 4}",
	        field),
	    0);
	/* access > 3 skips needs */
	ck_assert_int_eq(
	    check_answers(d,
	                  "{\"works\": \"yes\", \"sector\": "
	                  "[\"care\"], \"access\": 5, \"needs\": \"x\"}",
	                  field),
	    -EINVAL);
	ck_assert_str_eq(field, "needs");
	json_decref(d);
}
END_TEST

START_TEST(test_answer_types)
{
	json_t *d = doc();
	char field[64];

	ck_assert_int_eq(check_answers(d,
	                               "{\"works\": \"maybe\", "
	                               "\"access\": 2}",
	                               field),
	                 -EINVAL);
	ck_assert_str_eq(field, "works");
	ck_assert_int_eq(check_answers(d,
	                               "{\"works\": \"yes\", \"sector\": "
	                               "[\"care\", \"care\"], \"access\": 2}",
	                               field),
	                 -EINVAL);
	ck_assert_str_eq(field, "sector");
	ck_assert_int_eq(
	    check_answers(d,
	                  "{\"works\": \"yes\", \"sector\": "
	                  "[\"care\"], \"hours\": 81, \"access\": 2}",
	                  field),
	    -EINVAL);
	ck_assert_str_eq(field, "hours");
	ck_assert_int_eq(check_answers(d,
	                               "{\"works\": \"yes\", \"sector\": "
	                               "[\"care\"], \"access\": 6}",
	                               field),
	                 -EINVAL);
	ck_assert_str_eq(field, "access");
	ck_assert_int_eq(
	    check_answers(d,
	                  "{\"works\": \"yes\", \"sector\": "
	                  "[\"care\"], \"access\": 2, \"age\": 30}",
	                  field),
	    -EINVAL);
	ck_assert_str_eq(field, "age");
	json_decref(d);
}
END_TEST

START_TEST(test_versioning_frozen)
{
	ck_assert_int_eq(gender_version_editable(0), 0);
	ck_assert_int_eq(gender_version_editable(1), -EROFS);
	ck_assert_int_eq(gender_version_editable(250), -EROFS);
}
END_TEST

static Suite *
questionnaire_suite(void)
{
	Suite *s = suite_create("gender_questionnaire");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_document_valid);
	tcase_add_test(tc, test_document_errors);
	tcase_add_test(tc, test_skip_logic);
	tcase_add_test(tc, test_answer_types);
	tcase_add_test(tc, test_versioning_frozen);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(questionnaire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
