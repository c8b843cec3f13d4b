/*
 * check_lang: Accept-Language negotiation always lands on a supported
 * language and respects the client's stated preferences; i18n objects
 * yield the best available text.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "mp/util.h"

static Suite *lang_suite(void);

struct lcase {
	const char *header, *want;
};

static const struct lcase lcases[] = {
    /* plain and regional */
    {"ar", "ar"},
    {"en", "en"},
    {"fr", "fr"},
    {"zgh", "zgh"},
    {"fr-MA", "fr"},
    {"AR-ma", "ar"},
    {"en-US,en;q=0.9", "en"},
    {"zgh-Tfng-MA", "zgh"},
    {"en-GB-oxendict", "en"},
    /* q ordering and ties */
    {"en;q=0.5, ar;q=0.8", "ar"},
    {"en, ar", "en"},
    {"ar, en", "ar"},
    {"ar;q=0.5, en;q=0.5", "ar"},
    {"en;q=0.001, ar;q=0", "en"},
    {"en;q=1.000, ar;q=1", "en"},
    {"ar;Q=0.9, en;q=0.8", "ar"},
    {"en;q=0.8,ar;q=0.9", "ar"},
    /* unsupported and wildcard */
    {"de", "fr"},
    {"de, en;q=0.1", "en"},
    {"es-ES, it;q=0.9, ar;q=0.1", "ar"},
    {"*", "fr"},
    {"de, *;q=0.5", "fr"},
    {"en;q=0.4, *;q=0.5", "fr"},
    {"*;q=0.5, en;q=0.6", "en"},
    {"fr;q=0, *", "ar"},
    {"fr;q=0, ar;q=0, *;q=0.3", "en"},
    {"*;q=0", "fr"},
    {"en;q=0, *;q=0", "fr"},
    /* q=0 excludes; nothing acceptable -> default */
    {"ar;q=0", "fr"},
    {"fr;q=0, ar;q=0, en;q=0, zgh;q=0", "fr"},
    {"fr;q=0, en", "en"},
    {"fr;q=0.0, ar", "ar"},
    /* exact range beats subtagged for the same language */
    {"fr-CA;q=0.9, fr;q=0.1, en;q=0.5", "en"},
    {"fr;q=0.1, fr-CA;q=0.9, en;q=0.5", "en"},
    {"fr-CA;q=0.9, en;q=0.5", "fr"},
    {"fr-CA;q=0, fr", "fr"},
    /* Moroccan vernaculars */
    {"ary", "ar"},
    {"ary-MA, fr;q=0.5", "ar"},
    {"shi", "zgh"},
    {"rif, fr;q=0.9", "zgh"},
    {"tzm;q=0.5, en;q=0.6", "en"},
    {"ary, ar;q=0", "fr"},
    /* malformed q: element ignored, others kept */
    {"ar;q=abc, en;q=0.1", "en"},
    {"ar;q=2, en;q=0.1", "en"},
    {"ar;q=1.001, en;q=0.1", "en"},
    {"ar;q=0.1234, en;q=0.1", "en"},
    {"ar;q=, en;q=0.1", "en"},
    {"ar;q=.5, en;q=0.1", "en"},
    {"ar;q=-0.5, en;q=0.1", "en"},
    {"ar;q=0.5;q=0.6, en;q=0.1", "en"},
    {"ar;level=1, en;q=0.1", "en"},
    {"ar;q = 0.5, en;q=0.1", "en"},
    {"ar;q=0.5x, en;q=0.1", "en"},
    {"ar;q=1e0, en;q=0.1", "en"},
    {"ar;", "fr"},
    {"ar;q=abc", "fr"},
    /* weird whitespace and list syntax */
    {" \t ar \t ; \t q=0.5 \t , en;q=0.4", "ar"},
    {",,, ar ,,", "ar"},
    {"ar\n", "fr"},
    {"ar\r\n, en;q=0.1", "en"},
    {"ar\x0b", "fr"},
    {"a r", "fr"},
    {" ", "fr"},
    {",", "fr"},
    {";q=1", "fr"},
    /* malformed ranges */
    {"abcdefghi, en;q=0.1", "en"},
    {"en-toolongsubtag, ar;q=0.1", "ar"},
    {"en-, ar;q=0.1", "ar"},
    {"-en, ar;q=0.1", "ar"},
    {"en--US, ar;q=0.1", "ar"},
    {"e\xc3\xa9, ar;q=0.1", "ar"},
    {"\xff\xfe, ar;q=0.1", "ar"},
    {"*-fr, ar;q=0.1", "ar"},
    {"fr_FR, ar;q=0.1", "ar"},
    {"", "fr"},
};

START_TEST(test_negotiate_table)
{
	const struct lcase *c = &lcases[_i];
	const char *got = mp_lang_negotiate(c->header);

	ck_assert_msg(strcmp(got, c->want) == 0, "\"%s\" -> %s, want %s",
	              c->header, got, c->want);
}
END_TEST

START_TEST(test_negotiate_null)
{
	ck_assert_str_eq(mp_lang_negotiate(NULL), "fr");
	ck_assert_str_eq(MP_LANG_DEFAULT, "fr");
}
END_TEST

START_TEST(test_negotiate_huge_headers)
{
	size_t n = 1 << 20, i;
	char *h = malloc(n + 16);

	ck_assert_ptr_nonnull(h);
	/* a megabyte of unsupported languages, then Arabic */
	for (i = 0; i + 3 < n; i += 3)
		memcpy(h + i, "de,", 3);
	memcpy(h + i, "ar", 3);
	ck_assert_str_eq(mp_lang_negotiate(h), "ar");
	/* a megabyte of garbage without commas */
	memset(h, '!', n);
	h[n] = '\0';
	ck_assert_str_eq(mp_lang_negotiate(h), "fr");
	/* a megabyte of whitespace */
	memset(h, ' ', n);
	ck_assert_str_eq(mp_lang_negotiate(h), "fr");
	/* one very long subtag chain */
	memcpy(h, "en", 2);
	for (i = 2; i + 4 < n; i += 4)
		memcpy(h + i, "-abc", 4);
	h[i] = '\0';
	ck_assert_str_eq(mp_lang_negotiate(h), "en");
	free(h);
}
END_TEST

START_TEST(test_negotiate_result_always_supported)
{
	unsigned seed = 99;
	char h[64];
	const char *r;
	int i, j;

	for (i = 0; i < 100000; i++) {
		for (j = 0; j < 63; j++)
			h[j] = (char)(rand_r(&seed) % 255 + 1);
		h[rand_r(&seed) % 64] = '\0';
		h[63] = '\0';
		r = mp_lang_negotiate(h);
		ck_assert(strcmp(r, "fr") == 0 || strcmp(r, "ar") == 0 ||
		          strcmp(r, "en") == 0 || strcmp(r, "zgh") == 0);
	}
}
END_TEST

START_TEST(test_i18n_pick_order)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "fr", "Appel", "ar",
	                      "\xd9\x86\xd8\xaf\xd8\xa7\xd8\xa1", "en", "Call",
	                      "zgh", "\xe2\xb4\xb0");

	ck_assert_str_eq(mp_i18n_pick(o, "en"), "Call");
	ck_assert_str_eq(mp_i18n_pick(o, "zgh"), "\xe2\xb4\xb0");
	ck_assert_str_eq(mp_i18n_pick(o, "ar"),
	                 "\xd9\x86\xd8\xaf\xd8\xa7\xd8\xa1");
	ck_assert_str_eq(mp_i18n_pick(o, NULL), "Appel");
	ck_assert_str_eq(mp_i18n_pick(o, "de"), "Appel");
	json_object_del(o, "fr");
	ck_assert_str_eq(mp_i18n_pick(o, "zgh"), "\xe2\xb4\xb0");
	ck_assert_str_eq(mp_i18n_pick(o, "de"), "Call");
	json_object_del(o, "en");
	ck_assert_str_eq(mp_i18n_pick(o, "fr"),
	                 "\xd9\x86\xd8\xaf\xd8\xa7\xd8\xa1");
	json_object_del(o, "ar");
	ck_assert_str_eq(mp_i18n_pick(o, "fr"), "\xe2\xb4\xb0");
	json_decref(o);
}
END_TEST

START_TEST(test_i18n_pick_skips_empty_and_non_strings)
{
	json_t *o = json_pack("{s:s, s:i, s:n, s:s}", "fr", "", "en", 3, "ar",
	                      "de", "Aufruf");

	ck_assert_str_eq(mp_i18n_pick(o, "fr"), "Aufruf");
	ck_assert_str_eq(mp_i18n_pick(o, "en"), "Aufruf");
	json_decref(o);

	o = json_pack("{s:s, s:[]}", "fr", "", "en");
	ck_assert_ptr_null(mp_i18n_pick(o, "fr"));
	json_decref(o);

	o = json_object();
	ck_assert_ptr_null(mp_i18n_pick(o, "fr"));
	json_decref(o);

	o = json_string("fr");
	ck_assert_ptr_null(mp_i18n_pick(o, "fr"));
	json_decref(o);
	ck_assert_ptr_null(mp_i18n_pick(NULL, "fr"));
}
END_TEST

static Suite *
lang_suite(void)
{
	Suite *s = suite_create("lang");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_negotiate_table, 0,
	                    (int)(sizeof(lcases) / sizeof(lcases[0])));
	tcase_add_test(tc, test_negotiate_null);
	tcase_add_test(tc, test_negotiate_huge_headers);
	tcase_add_test(tc, test_negotiate_result_always_supported);
	tcase_add_test(tc, test_i18n_pick_order);
	tcase_add_test(tc, test_i18n_pick_skips_empty_and_non_strings);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(lang_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
