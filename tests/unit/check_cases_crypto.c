/*
 * check_cases_crypto.c: protection of personal data. A sealed value opens
 * with its key and its row, and with nothing else (another row, an
 * altered byte, an unknown key); a key ring keeps opening values of its
 * older keys while the first key seals (rotation); the blind index finds a
 * name whatever its case and accents, and depends on its key.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/cases/src/domain.h"

/* base64 of 32 bytes 0x01.. and 0x02.. */
#define K1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define K2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="

static Suite *crypto_suite(void);

START_TEST(round_trip_and_binding)
{
	struct cases_keyring kr;
	const char *pt = "{\"given_name\":\"Fatima\",\"family_name\":\"Z\"}";
	char err[128], *enc = NULL, *out = NULL;
	size_t len;

	ck_assert_int_eq(cases_keyring_parse("k1:" K1, &kr, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(
	    cases_seal(&kr, "row-1:identity", pt, strlen(pt), &enc), 0);
	ck_assert(strncmp(enc, "enc1:k1:", 8) == 0);
	ck_assert_ptr_null(strstr(enc, "Fatima")); /* ciphertext only */
	ck_assert_int_eq(cases_open(&kr, "row-1:identity", enc, &out, &len), 0);
	ck_assert_str_eq(out, pt);
	ck_assert_uint_eq(len, strlen(pt));
	free(out);
	/* bound to its row and field */
	ck_assert_int_eq(cases_open(&kr, "row-2:identity", enc, &out, &len),
	                 -EBADMSG);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(cases_open(&kr, "row-1:body", enc, &out, &len),
	                 -EBADMSG);
	/* one altered byte */
	enc[strlen(enc) - 3] = enc[strlen(enc) - 3] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(cases_open(&kr, "row-1:identity", enc, &out, &len),
	                 -EBADMSG);
	ck_assert_int_eq(
	    cases_open(&kr, "row-1:identity", "enc1:k1:", &out, &len),
	    -EBADMSG);
	ck_assert_int_eq(cases_open(&kr, "row-1:identity", "plain", &out, &len),
	                 -EBADMSG);
	free(enc);
	/* two seals of one value differ (random nonce) */
	{
		char *a, *b;

		ck_assert_int_eq(cases_seal(&kr, "r", "x", 1, &a), 0);
		ck_assert_int_eq(cases_seal(&kr, "r", "x", 1, &b), 0);
		ck_assert_str_ne(a, b);
		free(a);
		free(b);
	}
	cases_keyring_wipe(&kr);
}
END_TEST

START_TEST(rotation)
{
	struct cases_keyring old, rotated, only_new;
	char err[128], *enc = NULL, *enc2 = NULL, *out = NULL;
	size_t len;

	ck_assert_int_eq(cases_keyring_parse("k1:" K1, &old, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(
	    cases_keyring_parse("k2:" K2 ",k1:" K1, &rotated, err, sizeof(err)),
	    0);
	ck_assert_int_eq(
	    cases_keyring_parse("k2:" K2, &only_new, err, sizeof(err)), 0);
	ck_assert_int_eq(cases_seal(&old, "a", "secret", 6, &enc), 0);
	/* during the rotation both keys open */
	ck_assert_int_eq(cases_sealed_current(&rotated, enc), 0);
	ck_assert_int_eq(cases_open(&rotated, "a", enc, &out, &len), 0);
	ck_assert_int_eq(cases_seal(&rotated, "a", out, len, &enc2), 0);
	free(out);
	ck_assert(strncmp(enc2, "enc1:k2:", 8) == 0);
	ck_assert_int_eq(cases_sealed_current(&rotated, enc2), 1);
	/* once every value is re-sealed, the old key can go */
	ck_assert_int_eq(cases_open(&only_new, "a", enc2, &out, &len), 0);
	ck_assert_str_eq(out, "secret");
	free(out);
	ck_assert_int_eq(cases_open(&only_new, "a", enc, &out, &len), -ENOKEY);
	free(enc);
	free(enc2);
	cases_keyring_wipe(&old);
	cases_keyring_wipe(&rotated);
	cases_keyring_wipe(&only_new);
}
END_TEST

START_TEST(keyring_refusals)
{
	struct cases_keyring kr;
	char err[128];

	ck_assert_int_eq(cases_keyring_parse("", &kr, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_int_eq(cases_keyring_parse("k1", &kr, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_int_eq(cases_keyring_parse("K1:" K1, &kr, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_int_eq(cases_keyring_parse("k1:AQEB", &kr, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_null(strstr(err, "AQEB")); /* never echoes key bytes */
	ck_assert_int_eq(
	    cases_keyring_parse("k1:" K1 ",k1:" K2, &kr, err, sizeof(err)),
	    -EINVAL);
	ck_assert_uint_eq(kr.n, 0);
}
END_TEST

START_TEST(blind_index)
{
	unsigned char key[CASES_KEY_BYTES], key2[CASES_KEY_BYTES];
	char a[CASES_TOKENS_MAX][CASES_TOKEN_HEX + 1];
	char b[CASES_TOKENS_MAX][CASES_TOKEN_HEX + 1];
	size_t na, nb;

	memset(key, 1, sizeof(key));
	memset(key2, 2, sizeof(key2));
	ck_assert_int_eq(cases_name_tokens(key, "Fatima-Zahra  EL AMRANI", a,
	                                   CASES_TOKENS_MAX, &na),
	                 0);
	ck_assert_uint_eq(na, 4);
	ck_assert_uint_eq(strlen(a[0]), CASES_TOKEN_HEX);
	ck_assert_ptr_null(strstr(a[0], "fatima"));
	/* case and accents do not matter */
	ck_assert_int_eq(
	    cases_name_tokens(key, "FÂTIMA", b, CASES_TOKENS_MAX, &nb), 0);
	ck_assert_uint_eq(nb, 1);
	ck_assert_str_eq(a[0], b[0]);
	ck_assert_int_eq(
	    cases_name_tokens(key, "amrani", b, CASES_TOKENS_MAX, &nb), 0);
	ck_assert_str_eq(a[3], b[0]);
	/* Arabic words are words too */
	ck_assert_int_eq(
	    cases_name_tokens(key, "فاطمة الزهراء", b, CASES_TOKENS_MAX, &nb),
	    0);
	ck_assert_uint_eq(nb, 2);
	/* another key, other tokens: the index is useless without it */
	ck_assert_int_eq(
	    cases_name_tokens(key2, "fatima", b, CASES_TOKENS_MAX, &nb), 0);
	ck_assert_str_ne(a[0], b[0]);
	/* repeated words once; punctuation only: no token */
	ck_assert_int_eq(
	    cases_name_tokens(key, "Ali ali ALI", b, CASES_TOKENS_MAX, &nb), 0);
	ck_assert_uint_eq(nb, 1);
	ck_assert_int_eq(
	    cases_name_tokens(key, " - ' ", b, CASES_TOKENS_MAX, &nb), 0);
	ck_assert_uint_eq(nb, 0);
	ck_assert_int_eq(cases_name_tokens(key, NULL, b, CASES_TOKENS_MAX, &nb),
	                 -EINVAL);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s = suite_create("cases_crypto");
	TCase *t = tcase_create("crypto");

	tcase_add_test(t, round_trip_and_binding);
	tcase_add_test(t, rotation);
	tcase_add_test(t, keyring_refusals);
	tcase_add_test(t, blind_index);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
