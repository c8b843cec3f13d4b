/*
 * check_jsontext.c: JSON handled as text (mp/jsontext.h) gives what
 * jansson's parse and compact dump give. Fixed documents in PostgreSQL's
 * own spacing (json and jsonb output), strings that hold the characters
 * the scanner steers by, and random documents printed by jansson with
 * spacing and indentation, each compared with jansson's compact dump, and
 * every top-level member looked up and compared with its dump.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mp/jsontext.h"

static char *compact_copy(const char *text, size_t *n);
static void check_like_jansson(const char *text);
static json_t *random_value(unsigned *seed, int depth);
static Suite *jsontext_suite(void);

static char *
compact_copy(const char *text, size_t *n)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);

	ck_assert_ptr_nonnull(buf);
	*n = mp_json_compact(buf, text, len);
	buf[*n] = '\0';
	return buf;
}

/* compact(text) == dump(parse(text)), and each top-level member's raw
 * text == dump(member), found in both the spaced and the compact text */
static void
check_like_jansson(const char *text)
{
	json_t *doc = json_loads(text, JSON_DECODE_ANY, NULL), *v;
	char *want, *got, *vwant;
	const char *key, *m;
	size_t n, mlen;

	ck_assert_msg(doc != NULL, "not JSON: %s", text);
	want = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	got = compact_copy(text, &n);
	ck_assert_str_eq(got, want);
	if (json_is_object(doc)) {
		json_object_foreach(doc, key, v)
		{
			if (strpbrk(key, "\"\\\t\n") != NULL) {
				/* written with escapes: not found as such */
				ck_assert_int_eq(
				    mp_json_member(got, n, key, &m, &mlen),
				    -ENOENT);
				continue;
			}
			vwant = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			ck_assert_int_eq(mp_json_member(got, n, key, &m, &mlen),
			                 0);
			ck_assert_int_eq(mlen, strlen(vwant));
			ck_assert_int_eq(memcmp(m, vwant, mlen), 0);
			ck_assert_int_eq(
			    mp_json_member(text, strlen(text), key, &m, &mlen),
			    0);
			json_t *again =
			    json_loadb(m, mlen, JSON_DECODE_ANY, NULL);
			ck_assert_msg(again != NULL && json_equal(again, v),
			              "member %s of %s", key, text);
			json_decref(again);
			free(vwant);
		}
		ck_assert_int_eq(
		    mp_json_member(got, n, "no-such-member", &m, &mlen),
		    -ENOENT);
	}
	free(got);
	free(want);
	json_decref(doc);
}

START_TEST(postgres_spacing)
{
	/* json_build_object and jsonb output, as the services' SQL writes */
	check_like_jansson(
	    "{\"id\" : \"01a23b21-8e5c-7283-ba11-685a5299c08a\", "
	    "\"version\" : 3, \"title\" : {\"fr\" : \"Appel\"}}");
	check_like_jansson("{\"id\": \"x\", \"items\": [{\"a\": 1}, {\"a\": "
	                   "[true, false, null]}], \"next\": null, "
	                   "\"version\": 12}");
	check_like_jansson("[1, 2, {\"k\": \"v\"}]");
	check_like_jansson("\"a string\"");
	check_like_jansson("  42  ");
	check_like_jansson("{}");
	check_like_jansson("{ }");
	check_like_jansson("[]");
	check_like_jansson("\n{\n\t\"a\" :\r\n 1 ,\n \"b\" : [ ]\n}\n");
}
END_TEST

START_TEST(strings_holding_structure)
{
	check_like_jansson("{\"q\": \"a \\\" quote, a } brace, a ] and a "
	                   "comma\", \"version\": 7}");
	check_like_jansson("{\"b\": \"back\\\\\", \"c\": \"\\\\\\\"\", "
	                   "\"spaces\": \"  keep   these  \"}");
	check_like_jansson("{\"key with \\\" quote\": 1, \"k\": \"{[,:]}\"}");
	check_like_jansson("{\"ar\": \"\xd8\xb7\xd9\x84\xd8\xa8 "
	                   "\xd9\x85\xd8\xb4\xd8\xa7\xd8\xb1\xd9\x8a\xd8\xb9\","
	                   " \"nl\": \"line\\nbreak\\ttab\"}");
}
END_TEST

START_TEST(member_lookup)
{
	const char *doc = "{\"a\": {\"version\": 1}, \"version\": 5, "
	                  "\"id\": \"u-1\", \"list\": [1, {\"id\": 2}]}";
	const char *m;
	size_t mlen;
	int64_t v;

	/* top level only: the nested "version" and "id" are not it */
	ck_assert_int_eq(mp_json_member(doc, strlen(doc), "version", &m, &mlen),
	                 0);
	ck_assert_int_eq(mlen, 1);
	ck_assert_int_eq(m[0], '5');
	ck_assert_int_eq(mp_json_member(doc, strlen(doc), "id", &m, &mlen), 0);
	ck_assert_int_eq(mlen, 5);
	ck_assert_int_eq(memcmp(m, "\"u-1\"", 5), 0);
	/* a member whose name only begins like the key */
	ck_assert_int_eq(mp_json_member("{\"ids\": 1}", 10, "id", &m, &mlen),
	                 -ENOENT);
	ck_assert_int_eq(mp_json_member("[{\"id\": 1}]", 11, "id", &m, &mlen),
	                 -ENOENT);
	ck_assert_int_eq(mp_json_member("\"id\"", 4, "id", &m, &mlen), -ENOENT);
	ck_assert_int_eq(mp_json_member("", 0, "id", &m, &mlen), -ENOENT);
	/* truncated text: no answer, no read past the end */
	ck_assert_int_eq(mp_json_member("{\"id\"", 5, "id", &m, &mlen),
	                 -ENOENT);
	ck_assert_int_eq(mp_json_member("{\"a\": \"x", 8, "b", &m, &mlen),
	                 -ENOENT);

	ck_assert_int_eq(mp_json_int_value("42", 2, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(mp_json_int_value("-7", 2, &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(mp_json_int_value("0", 1, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(mp_json_int_value("9223372036854775807", 19, &v), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(mp_json_int_value("-9223372036854775808", 20, &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
	/* what jansson reads as a real, a string or nothing: not an integer */
	ck_assert_int_eq(mp_json_int_value("9223372036854775808", 19, &v),
	                 -EINVAL);
	ck_assert_int_eq(mp_json_int_value("1.0", 3, &v), -EINVAL);
	ck_assert_int_eq(mp_json_int_value("1e3", 3, &v), -EINVAL);
	ck_assert_int_eq(mp_json_int_value("\"1\"", 3, &v), -EINVAL);
	ck_assert_int_eq(mp_json_int_value("01", 2, &v), -EINVAL);
	ck_assert_int_eq(mp_json_int_value("-", 1, &v), -EINVAL);
	ck_assert_int_eq(mp_json_int_value("", 0, &v), -EINVAL);
}
END_TEST

/* A random value of strings (with quotes, backslashes, braces, commas,
 * blanks and non-ASCII), integers, booleans, null, arrays and objects. */
static json_t *
random_value(unsigned *seed, int depth)
{
	static const char *const words[] = {"plain",
	                                    "a \"q\"",
	                                    "back\\slash",
	                                    "{brace}",
	                                    "[br,ack]",
	                                    "co:lon",
	                                    " spaced  out ",
	                                    "tab\there",
	                                    "\xc3\xa9t\xc3\xa9",
	                                    ""};
	int kind = rand_r(seed) % (depth > 3 ? 4 : 7);
	json_t *v;
	char key[32];

	switch (kind) {
	case 0:
		return json_string(words[rand_r(seed) % 10]);
	case 1:
		return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
	case 2:
		return json_boolean(rand_r(seed) % 2);
	case 3:
		return json_null();
	case 4:
		v = json_array();
		for (int i = rand_r(seed) % 5; i > 0; i--)
			json_array_append_new(v, random_value(seed, depth + 1));
		return v;
	default:
		v = json_object();
		for (int i = rand_r(seed) % 6; i > 0; i--) {
			snprintf(key, sizeof(key), "%s%d",
			         words[rand_r(seed) % 10], i);
			json_object_set_new(v, key,
			                    random_value(seed, depth + 1));
		}
		return v;
	}
}

START_TEST(random_documents)
{
	unsigned seed = 20261203;

	for (int i = 0; i < 3000; i++) {
		json_t *doc = random_value(&seed, 0);
		char *spaced = json_dumps(doc, (i % 2 ? JSON_INDENT(2) : 0) |
		                                   JSON_ENCODE_ANY);

		ck_assert_ptr_nonnull(spaced);
		check_like_jansson(spaced);
		free(spaced);
		json_decref(doc);
	}
}
END_TEST

static Suite *
jsontext_suite(void)
{
	Suite *s = suite_create("jsontext");
	TCase *t = tcase_create("text");

	tcase_add_test(t, postgres_spacing);
	tcase_add_test(t, strings_holding_structure);
	tcase_add_test(t, member_lookup);
	tcase_add_test(t, random_documents);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jsontext_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
