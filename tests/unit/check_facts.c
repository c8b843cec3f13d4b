/*
 * check_facts.c: the strict decoder of a load statement's facts.
 *
 * The point of the decoder is what it refuses: a key missing (renamed in
 * the SQL), a key of another type (a real where an integer is read, a
 * string "1", a null), a key nobody declared; each refusal names the path
 * a developer needs. And what it accepts is read exactly: every member of
 * every type, nested objects, lists of objects and arrays of scalars.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mp/facts.h"

struct member {
	const char *id;
	int present;
};

struct inner {
	int64_t amount;
};

struct facts {
	const char *state;
	int64_t pending;
	int is_signed;
	const char *note;
	int64_t optional_n;
	struct inner inner;
	struct member *members;
	size_t n_members;
	const char **names;
	size_t n_names;
	int64_t *results;
	size_t n_results;
	const json_t *rules;
	const json_t *grid;
};

static const struct mp_fact member_table[] = {
    MP_FACT("id", MP_FACT_STRING, 0, struct member, id),
    MP_FACT("present", MP_FACT_BOOL, 0, struct member, present), MP_FACT_END};

static const struct mp_fact inner_table[] = {
    MP_FACT("amount", MP_FACT_INT, 0, struct inner, amount), MP_FACT_END};

static const struct mp_fact table[] = {
    MP_FACT("state", MP_FACT_STRING, 0, struct facts, state),
    MP_FACT("pending", MP_FACT_INT, 0, struct facts, pending),
    MP_FACT("signed", MP_FACT_BOOL, 0, struct facts, is_signed),
    MP_FACT("note", MP_FACT_STRING, MP_FACT_NULLABLE, struct facts, note),
    MP_FACT("optional_n", MP_FACT_INT, MP_FACT_OPTIONAL, struct facts,
            optional_n),
    MP_FACT_OBJECT("inner", 0, struct facts, inner, inner_table),
    MP_FACT_LIST("members", 0, struct facts, members, n_members, struct member,
                 member_table),
    MP_FACT_ARRAY("names", MP_FACT_STRINGS, 0, struct facts, names, n_names),
    MP_FACT_ARRAY("results", MP_FACT_INTS, 0, struct facts, results, n_results),
    MP_FACT("rules", MP_FACT_RAW_OBJECT, 0, struct facts, rules),
    MP_FACT("grid", MP_FACT_RAW_ARRAY, 0, struct facts, grid),
    MP_FACT_END};

#define GOOD                                                                   \
	"{\"state\": \"draft\", \"pending\": 2, \"signed\": true, "            \
	"\"note\": null, \"inner\": {\"amount\": 9007199254740993}, "          \
	"\"members\": [{\"id\": \"a\", \"present\": true}, "                   \
	"{\"id\": \"b\", \"present\": false}], \"names\": [\"m1\", \"m2\"], "  \
	"\"results\": [7500, -1], \"rules\": {\"x\": 1}, \"grid\": []}"

static json_t *load(const char *text);
static int decode_text(const char *text, struct facts *f, char *err,
                       size_t errlen);
static json_t *good_with(const char *key, json_t *value);
static void expect_refusal(json_t *in, const char *err_expected);
static Suite *facts_suite(void);

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

static int
decode_text(const char *text, struct facts *f, char *err, size_t errlen)
{
	json_t *j = load(text);
	int rc;

	memset(f, 0, sizeof(*f));
	rc = mp_facts_decode(j, table, f, err, errlen);
	if (rc == 0)
		mp_facts_release(table, f);
	json_decref(j);
	return rc;
}

/* GOOD with `key` set to `value` (stolen), or removed when value is NULL. */
static json_t *
good_with(const char *key, json_t *value)
{
	json_t *j = load(GOOD);

	if (value == NULL)
		json_object_del(j, key);
	else
		json_object_set_new(j, key, value);
	return j;
}

static void
expect_refusal(json_t *in, const char *err_expected)
{
	struct facts f;
	char err[200];

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(mp_facts_decode(in, table, &f, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, err_expected);
	/* nothing left allocated: a second release is harmless */
	ck_assert_ptr_null(f.members);
	ck_assert_ptr_null(f.names);
	ck_assert_ptr_null(f.results);
	json_decref(in);
}

START_TEST(decodes_every_type)
{
	json_t *j = load(GOOD);
	struct facts f;
	char err[200];

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(mp_facts_decode(j, table, &f, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(f.state, "draft");
	ck_assert_int_eq(f.pending, 2);
	ck_assert_int_eq(f.is_signed, 1);
	ck_assert_ptr_null(f.note);
	ck_assert_int_eq(f.optional_n, 0);
	ck_assert_int_eq(f.inner.amount, 9007199254740993LL);
	ck_assert_uint_eq(f.n_members, 2);
	ck_assert_str_eq(f.members[0].id, "a");
	ck_assert_int_eq(f.members[0].present, 1);
	ck_assert_str_eq(f.members[1].id, "b");
	ck_assert_int_eq(f.members[1].present, 0);
	ck_assert_uint_eq(f.n_names, 2);
	ck_assert_str_eq(f.names[1], "m2");
	ck_assert_ptr_null(f.names[2]); /* NULL after the last */
	ck_assert_uint_eq(f.n_results, 2);
	ck_assert_int_eq(f.results[0], 7500);
	ck_assert_int_eq(f.results[1], -1);
	ck_assert_int_eq(json_integer_value(json_object_get(f.rules, "x")), 1);
	ck_assert(json_is_array(f.grid));
	mp_facts_release(table, &f);
	ck_assert_ptr_null(f.members);
	ck_assert_uint_eq(f.n_members, 0);
	mp_facts_release(table, &f); /* twice is harmless */
	json_decref(j);
}
END_TEST

START_TEST(optional_and_nullable)
{
	struct facts f;
	char err[200];
	json_t *j = good_with("optional_n", json_integer(5));

	json_object_set_new(j, "note", json_string("n"));
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(mp_facts_decode(j, table, &f, err, sizeof(err)), 0);
	ck_assert_int_eq(f.optional_n, 5);
	ck_assert_str_eq(f.note, "n");
	mp_facts_release(table, &f);
	json_decref(j);
	/* an optional key may be absent, a nullable one may not */
	expect_refusal(good_with("note", NULL), "note: missing");
	ck_assert_int_eq(decode_text(GOOD, &f, err, sizeof(err)), 0);
}
END_TEST

START_TEST(refuses_missing_keys)
{
	/* a key renamed in the SQL: the old name is missing, the new one
	 * undeclared; the missing one is reported first */
	json_t *j = good_with("pending", NULL);

	json_object_set_new(j, "pending_count", json_integer(2));
	expect_refusal(j, "pending: missing");
	expect_refusal(good_with("state", NULL), "state: missing");
	expect_refusal(good_with("members", NULL), "members: missing");
	expect_refusal(good_with("inner", load("{}")), "inner.amount: missing");
	expect_refusal(good_with("members", load("[{\"id\": \"a\", "
	                                         "\"present\": true}, "
	                                         "{\"id\": \"b\"}]")),
	               "members[1].present: missing");
}
END_TEST

START_TEST(refuses_mistyped_keys)
{
	expect_refusal(good_with("pending", json_real(2.0)),
	               "pending: not an integer");
	expect_refusal(good_with("pending", json_string("2")),
	               "pending: not an integer");
	expect_refusal(good_with("pending", json_null()), "pending: null");
	expect_refusal(good_with("state", json_integer(1)),
	               "state: not a string");
	expect_refusal(good_with("signed", json_integer(1)),
	               "signed: not a boolean");
	expect_refusal(good_with("inner", json_integer(1)),
	               "inner: not an object");
	expect_refusal(good_with("members", load("{}")),
	               "members: not an array");
	expect_refusal(good_with("members", load("[{\"id\": \"a\", "
	                                         "\"present\": true}, 3]")),
	               "members[1]: not an object");
	expect_refusal(good_with("members", load("[{\"id\": 7, "
	                                         "\"present\": true}]")),
	               "members[0].id: not a string");
	expect_refusal(good_with("names", load("[\"a\", null]")),
	               "names[1]: not a string");
	expect_refusal(good_with("results", load("[1, 2.5]")),
	               "results[1]: not an integer");
	expect_refusal(good_with("rules", load("[]")), "rules: not an object");
	expect_refusal(good_with("grid", load("{}")), "grid: not an array");
}
END_TEST

START_TEST(refuses_undeclared_keys)
{
	expect_refusal(good_with("extra", json_true()),
	               "extra: not a declared fact");
	expect_refusal(good_with("inner", load("{\"amount\": 1, \"x\": 2}")),
	               "inner.x: not a declared fact");
	expect_refusal(good_with("members", load("[{\"id\": \"a\", "
	                                         "\"present\": true, "
	                                         "\"college\": \"c\"}]")),
	               "members[0].college: not a declared fact");
}
END_TEST

START_TEST(refuses_non_objects_and_bad_arguments)
{
	struct facts f;
	char err[200];
	json_t *j = load("[1]");

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(mp_facts_decode(j, table, &f, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, "(facts): not an object");
	ck_assert_int_eq(mp_facts_decode(NULL, table, &f, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_int_eq(mp_facts_decode(j, NULL, &f, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_int_eq(mp_facts_decode(j, table, NULL, err, sizeof(err)),
	                 -EINVAL);
	/* no error buffer: still refused, no crash */
	ck_assert_int_eq(mp_facts_decode(j, table, &f, NULL, 0), -EINVAL);
	mp_facts_release(NULL, &f);
	mp_facts_release(table, NULL);
	json_decref(j);
}
END_TEST

START_TEST(long_paths_are_cut_not_overflowed)
{
	static const struct mp_fact deep_item[] = {
	    MP_FACT("present", MP_FACT_BOOL, 0, struct member, present),
	    MP_FACT_END};
	static char key[300];
	struct mp_fact t[] = {MP_FACT_LIST(key, 0, struct facts, members,
	                                   n_members, struct member, deep_item),
	                      MP_FACT_END};
	struct facts f;
	char err[400];
	json_t *j = json_object();

	memset(key, 'k', sizeof(key) - 1);
	json_object_set_new(j, key, load("[{\"present\": 1}]"));
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(mp_facts_decode(j, t, &f, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "[0].present: not a boolean"));
	ck_assert_ptr_null(f.members);
	json_decref(j);
}
END_TEST

static Suite *
facts_suite(void)
{
	Suite *s = suite_create("facts");
	TCase *t = tcase_create("facts");

	tcase_add_test(t, decodes_every_type);
	tcase_add_test(t, optional_and_nullable);
	tcase_add_test(t, refuses_missing_keys);
	tcase_add_test(t, refuses_mistyped_keys);
	tcase_add_test(t, refuses_undeclared_keys);
	tcase_add_test(t, refuses_non_objects_and_bad_arguments);
	tcase_add_test(t, long_paths_are_cut_not_overflowed);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(facts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
