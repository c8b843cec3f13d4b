/*
 * check_cases_crypto.c: protection of personal data. A sealed value opens
 * with its key and its row, and with nothing else (another row, an
 * altered byte, an unknown key); a key ring keeps opening values of its
 * older keys while the first key seals (rotation); the blind index finds a
 * name whatever its case and accents, and depends on its key; its ring
 * records the key id in each value, and a search during a rotation looks
 * under every key, finding persons indexed under either.
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

/* How many of the person's stored values are among the search's, if
 * they all share one key id (the SQL's rule: all words under one key). */
static size_t
found_under_one_key(char stored[][CASES_INDEX_TOKEN_MAX + 1], size_t ns,
                    char search[][CASES_INDEX_TOKEN_MAX + 1], size_t nq)
{
	size_t hits = 0, idlen = strcspn(stored[0], ":");

	for (size_t i = 0; i < ns; i++) {
		if (strncmp(stored[i], stored[0], idlen + 1) != 0)
			return 0;
		for (size_t j = 0; j < nq; j++)
			hits += strcmp(stored[i], search[j]) == 0;
	}
	return hits;
}

START_TEST(index_key_ring_and_rotation)
{
	struct cases_keyring old_ring, rotating, bare;
	char err[128];
	char a[CASES_TOKENS_MAX][CASES_INDEX_TOKEN_MAX + 1];
	char b[CASES_TOKENS_MAX][CASES_INDEX_TOKEN_MAX + 1];
	char q[CASES_KEYS_MAX * CASES_TOKENS_MAX][CASES_INDEX_TOKEN_MAX + 1];
	char name[CASES_NAME_MAX];
	size_t na, nb, nq, words;
	json_t *identity;

	ck_assert_int_eq(
	    cases_index_ring_parse("old:" K1, &old_ring, err, sizeof(err)), 0);
	ck_assert_int_eq(cases_index_ring_parse("new:" K2 ",old:" K1, &rotating,
	                                        err, sizeof(err)),
	                 0);
	/* a bare key (before key ids) is the ring of the one key "0" */
	ck_assert_int_eq(cases_index_ring_parse(K1, &bare, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(bare.n, 1);
	ck_assert_str_eq(bare.keys[0].id, "0");
	ck_assert_int_eq(
	    cases_index_ring_parse("AAAA", &bare, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(
	    cases_index_ring_parse("x:" K1 ",x:" K2, &bare, err, sizeof(err)),
	    -EINVAL);

	/* Naima, indexed before the rotation (old key); Samira after it */
	ck_assert_int_eq(cases_index_tokens(&old_ring.keys[0], "Naïma Exemple",
	                                    a, CASES_TOKENS_MAX, &na),
	                 0);
	ck_assert_int_eq(cases_index_tokens(&rotating.keys[0], "Samira Exemple",
	                                    b, CASES_TOKENS_MAX, &nb),
	                 0);
	ck_assert_uint_eq(na, 2);
	ck_assert_uint_eq(nb, 2);
	/* each value records its key id; one word, two keys, two values */
	ck_assert(strncmp(a[0], "old:", 4) == 0);
	ck_assert(strncmp(b[0], "new:", 4) == 0);
	ck_assert_uint_eq(strlen(a[1]), 4 + CASES_TOKEN_HEX);
	ck_assert_str_ne(a[1] + 4, b[1] + 4);

	/* during the rotation a search looks under both keys and finds
	 * both; "exemple" alone finds both, "naima exemple" Naima only */
	ck_assert_int_eq(cases_index_search(&rotating, "EXEMPLE", q,
	                                    CASES_KEYS_MAX * CASES_TOKENS_MAX,
	                                    &nq, &words),
	                 0);
	ck_assert_uint_eq(words, 1);
	ck_assert_uint_eq(nq, 2);
	ck_assert_uint_eq(found_under_one_key(a + 1, 1, q, nq), words);
	ck_assert_uint_eq(found_under_one_key(b + 1, 1, q, nq), words);
	ck_assert_int_eq(cases_index_search(&rotating, "naima exemple", q,
	                                    CASES_KEYS_MAX * CASES_TOKENS_MAX,
	                                    &nq, &words),
	                 0);
	ck_assert_uint_eq(words, 2);
	ck_assert_uint_eq(found_under_one_key(a, na, q, nq), words);
	ck_assert_uint_lt(found_under_one_key(b, nb, q, nq), words);
	/* after it (old key dropped) the old values are found no more */
	ck_assert_int_eq(
	    cases_index_ring_parse("new:" K2, &rotating, err, sizeof(err)), 0);
	ck_assert_int_eq(cases_index_search(&rotating, "naima exemple", q,
	                                    CASES_KEYS_MAX * CASES_TOKENS_MAX,
	                                    &nq, &words),
	                 0);
	ck_assert_uint_eq(found_under_one_key(a, na, q, nq), 0);
	/* a cap too small for every key is refused, not half a search */
	ck_assert_int_eq(cases_index_ring_parse("new:" K2 ",old:" K1, &rotating,
	                                        err, sizeof(err)),
	                 0);
	ck_assert_int_eq(
	    cases_index_search(&rotating, "naima exemple", q, 3, &nq, &words),
	    -EINVAL);

	/* the indexed name of an identity: given then family name */
	identity = json_pack("{s:s, s:s, s:s}", "given_name", "Naïma",
	                     "family_name", "Exemple", "phone", "+2126");
	ck_assert_int_eq(cases_identity_name(identity, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "Naïma Exemple");
	ck_assert_int_eq(cases_identity_name(identity, name, 5), -ENOSPC);
	json_decref(identity);
	ck_assert_int_eq(cases_identity_name(NULL, name, sizeof(name)),
	                 -EINVAL);
	cases_keyring_wipe(&old_ring);
	cases_keyring_wipe(&rotating);
	cases_keyring_wipe(&bare);
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
	tcase_add_test(t, index_key_ring_and_rotation);
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
