/*
 * check_gateway_tokens: the pure rules of the gateway's token service:
 * strict form bodies, Basic client credentials, refresh token shape and
 * digest, lock-out back-off, scope lists, account rules, access token
 * claims (checked by signing and verifying them with the test keys).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <jansson.h>

#include "mp/jwt.h"
#include "mp/principal.h"

#include "identity/tokens.h"

static Suite *tokens_suite(void);
static int form(const char *s, struct gw_tok_form *f);
static char *read_file(const char *path, size_t *len);

static int
form(const char *s, struct gw_tok_form *f)
{
	return gw_tok_form_parse(s, strlen(s), f);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

START_TEST(test_form_basic)
{
	struct gw_tok_form f;

	ck_assert_int_eq(form("grant_type=password&username=Ali%20B&"
	                      "password=a+b%2Bc%26d&scope=",
	                      &f),
	                 0);
	ck_assert_uint_eq(f.n, 4);
	ck_assert_str_eq(gw_tok_form_get(&f, "grant_type"), "password");
	ck_assert_str_eq(gw_tok_form_get(&f, "username"), "Ali B");
	ck_assert_str_eq(gw_tok_form_get(&f, "password"), "a b+c&d");
	ck_assert_str_eq(gw_tok_form_get(&f, "scope"), "");
	ck_assert_ptr_null(gw_tok_form_get(&f, "client_id"));
	gw_tok_form_free(&f);
	ck_assert_ptr_null(f.buf);
	gw_tok_form_free(&f); /* twice is harmless */
}
END_TEST

START_TEST(test_form_rejects)
{
	static const char *const bad[] = {
	    "",      "a",      "=x",         "a=1&&b=2",
	    "a=1&",  "&a=1",   "a=%",        "a=%4",
	    "a=%zz", "a=%00",  "a=%0a",      "a=1&a=2",
	    "a b=1", "a=\x01", "a=\xc3\xa9", "a=1;b=2&b=3&b=4",
	    NULL};
	struct gw_tok_form f;
	char big[GW_FORM_MAX_BYTES + 2], many[512];
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(form(bad[i], &f) == -EINVAL, "accepted: %s",
		              bad[i]);
		ck_assert_ptr_null(f.buf);
	}
	ck_assert_int_eq(gw_tok_form_parse(NULL, 0, &f), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = 'x';
	big[1] = '=';
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(form(big, &f), -E2BIG);
	many[0] = '\0';
	for (i = 0; i <= GW_FORM_MAX_PARAMS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		         "%sp%d=1", i ? "&" : "", i);
	ck_assert_int_eq(form(many, &f), -EINVAL);
}
END_TEST

START_TEST(test_basic_credentials)
{
	char id[64], secret[128];

	/* "demo-mobile:cs_x%3Ay" */
	ck_assert_int_eq(
	    gw_tok_basic_parse("Basic ZGVtby1tb2JpbGU6Y3NfeCUzQXk=", id,
	                       sizeof(id), secret, sizeof(secret)),
	    0);
	ck_assert_str_eq(id, "demo-mobile");
	ck_assert_str_eq(secret, "cs_x:y");
	ck_assert_int_eq(
	    gw_tok_basic_parse(NULL, id, sizeof(id), secret, sizeof(secret)),
	    -ENOENT);
	ck_assert_int_eq(gw_tok_basic_parse("Bearer abc", id, sizeof(id),
	                                    secret, sizeof(secret)),
	                 -ENOENT);
	ck_assert_int_eq(gw_tok_basic_parse("Basic !!!", id, sizeof(id), secret,
	                                    sizeof(secret)),
	                 -EINVAL);
	/* "nocolon" */
	ck_assert_int_eq(gw_tok_basic_parse("Basic bm9jb2xvbg==", id,
	                                    sizeof(id), secret, sizeof(secret)),
	                 -EINVAL);
	/* ":secret" (empty id) */
	ck_assert_int_eq(gw_tok_basic_parse("Basic OnNlY3JldA==", id,
	                                    sizeof(id), secret, sizeof(secret)),
	                 -EINVAL);
	ck_assert_str_eq(secret, "");
	ck_assert_int_eq(
	    gw_tok_basic_parse("Basic ZGVtby1tb2JpbGU6Y3NfeCUzQXk=", id, 4,
	                       secret, sizeof(secret)),
	    -ENAMETOOLONG);
}
END_TEST

START_TEST(test_refresh_tokens)
{
	char a[GW_REFRESH_STRLEN + 1], b[GW_REFRESH_STRLEN + 1];
	char ha[GW_SHA256_HEXLEN + 1], s[GW_SECRET_STRLEN + 1];

	ck_assert_int_eq(gw_tok_refresh_new(a), 0);
	ck_assert_int_eq(gw_tok_refresh_new(b), 0);
	ck_assert_uint_eq(strlen(a), GW_REFRESH_STRLEN);
	ck_assert_str_ne(a, b);
	ck_assert(gw_tok_refresh_valid(a));
	ck_assert(!gw_tok_refresh_valid(NULL));
	ck_assert(!gw_tok_refresh_valid("rt_short"));
	a[10] = '+';
	ck_assert(!gw_tok_refresh_valid(a));
	a[0] = 'x';
	a[10] = 'a';
	ck_assert(!gw_tok_refresh_valid(a));
	ck_assert_int_eq(gw_tok_secret_new(s), 0);
	ck_assert_uint_eq(strlen(s), GW_SECRET_STRLEN);
	ck_assert_int_eq(strncmp(s, "cs_", 3), 0);
	ck_assert_int_eq(gw_tok_sha256_hex("abc", 3, ha), 0);
	ck_assert_str_eq(ha, "ba7816bf8f01cfea414140de5dae2223"
	                     "b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_lockout_backoff)
{
	ck_assert_int_eq(gw_tok_lockout_seconds(-1), 0);
	ck_assert_int_eq(gw_tok_lockout_seconds(0), 0);
	ck_assert_int_eq(gw_tok_lockout_seconds(4), 0);
	ck_assert_int_eq(gw_tok_lockout_seconds(5), 30);
	ck_assert_int_eq(gw_tok_lockout_seconds(6), 60);
	ck_assert_int_eq(gw_tok_lockout_seconds(7), 120);
	ck_assert_int_eq(gw_tok_lockout_seconds(9), 480);
	ck_assert_int_eq(gw_tok_lockout_seconds(10), 900);
	ck_assert_int_eq(gw_tok_lockout_seconds(1000000), 900);
	ck_assert_int_eq(gw_tok_lockout_seconds(2147483647), 900);
}
END_TEST

START_TEST(test_scopes)
{
	char out[GW_SCOPE_MAX];

	ck_assert(gw_tok_scope_list_valid(""));
	ck_assert(gw_tok_scope_list_valid("funding:read cases:read"));
	ck_assert(!gw_tok_scope_list_valid(" funding:read"));
	ck_assert(!gw_tok_scope_list_valid("funding:read "));
	ck_assert(!gw_tok_scope_list_valid("a  b"));
	ck_assert(!gw_tok_scope_list_valid("a b a"));
	ck_assert(!gw_tok_scope_list_valid("Funding"));
	ck_assert(!gw_tok_scope_list_valid("a\"b"));
	ck_assert(!gw_tok_scope_list_valid(NULL));

	ck_assert_int_eq(gw_tok_scope_intersect("funding:read cases:read",
	                                        "cases:read gender:read", out,
	                                        sizeof(out)),
	                 0);
	ck_assert_str_eq(out, "cases:read");
	ck_assert_int_eq(gw_tok_scope_intersect("funding:read cases:read", NULL,
	                                        out, sizeof(out)),
	                 0);
	ck_assert_str_eq(out, "funding:read cases:read");
	ck_assert_int_eq(
	    gw_tok_scope_intersect("funding:read", "", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(gw_tok_scope_intersect("funding:read", "gender:write",
	                                        out, sizeof(out)),
	                 -ENOENT);
	ck_assert_int_eq(
	    gw_tok_scope_intersect("funding:read", "fund", out, sizeof(out)),
	    -ENOENT); /* whole tokens only */
	ck_assert_int_eq(
	    gw_tok_scope_intersect("funding:read", "a  b", out, sizeof(out)),
	    -EINVAL);
	ck_assert_int_eq(gw_tok_scope_intersect("funding:read cases:read",
	                                        "cases:read funding:read", out,
	                                        8),
	                 -ENOSPC);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_accounts)
{
	char u[GW_USERNAME_MAX + 1];
	const char *field;

	ck_assert(gw_tok_username_normalise("Officer.Souss", u, sizeof(u)));
	ck_assert_str_eq(u, "officer.souss");
	ck_assert(!gw_tok_username_normalise("ab", u, sizeof(u)));
	ck_assert(!gw_tok_username_normalise(".abc", u, sizeof(u)));
	ck_assert(!gw_tok_username_normalise("a b c", u, sizeof(u)));
	ck_assert(!gw_tok_username_normalise("ali@x", u, sizeof(u)));
	ck_assert_str_eq(u, "");
	ck_assert(gw_tok_client_id_valid("demo-mobile"));
	ck_assert(!gw_tok_client_id_valid("Demo"));

	ck_assert_ptr_null(
	    gw_tok_roles_check(MP_ROLE_ADMIN, NULL, NULL, &field));
	ck_assert_ptr_null(
	    gw_tok_roles_check(MP_ROLE_GENDER_ANALYST, "", NULL, &field));
	ck_assert_ptr_null(gw_tok_roles_check(MP_ROLE_COUNCIL_OFFICER,
	                                      "oriental", NULL, &field));
	ck_assert_ptr_nonnull(gw_tok_roles_check(0, "oriental", NULL, &field));
	ck_assert_str_eq(field, "roles");
	ck_assert_ptr_nonnull(
	    gw_tok_roles_check(MP_ROLE_CLIENT, "oriental", NULL, &field));
	ck_assert_ptr_nonnull(
	    gw_tok_roles_check(MP_ROLE_APPLICANT, NULL, NULL, &field));
	ck_assert_str_eq(field, "region");
	ck_assert_ptr_nonnull(gw_tok_roles_check(MP_ROLE_MUNICIPAL_AGENT,
	                                         "souss-massa", "", &field));
	ck_assert_str_eq(field, "commune");
	ck_assert_ptr_null(gw_tok_roles_check(MP_ROLE_MUNICIPAL_AGENT,
	                                      "souss-massa", "agadir", &field));
}
END_TEST

/* Claims built here pass the platform's own verifier. */
START_TEST(test_claims_verify)
{
	struct gw_tok_claims_in in = {
	    .issuer = "https://auth.test",
	    .audience = "mp-api",
	    .subject = "0190a000-0000-7000-8000-000000000001",
	    .roles = MP_ROLE_MUNICIPAL_AGENT | MP_ROLE_MEDIATOR,
	    .region = "souss-massa",
	    .commune = "agadir",
	    .organisation = "",
	    .scope = "profile",
	    .jti = "0190a000-0000-7000-8000-0000000000ff",
	    .ttl_s = 900};
	struct mp_jwt_policy pol = {"https://auth.test", "mp-api", 0, 0, 0};
	struct mp_jwt_keyset *ks = NULL;
	struct mp_principal p;
	const char *keys = getenv("MP_TEST_KEYS");
	char path[512], *pem, *tok = NULL;
	json_t *c = NULL;
	size_t len;

	in.iat = (int64_t)time(NULL);
	ck_assert_int_eq(gw_tok_claims_build(&in, &c), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")),
	                 in.iat + 900);
	ck_assert_ptr_null(json_object_get(c, "organisation"));
	ck_assert_ptr_null(json_object_get(c, "client_id"));
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_object_get(c, "roles"), 0)),
	    "municipal_agent");

	snprintf(path, sizeof(path), "%s/test-rs-1.key.pem",
	         keys != NULL ? keys : "tests/keys");
	ck_assert_ptr_nonnull(pem = read_file(path, &len));
	ck_assert_int_eq(mp_jwt_sign("RS256", "test-rs-1", pem, len, c, &tok),
	                 0);
	free(pem);
	snprintf(path, sizeof(path), "%s/test-rs-1.pub.pem",
	         keys != NULL ? keys : "tests/keys");
	ck_assert_int_eq(mp_jwt_keyset_new(&ks), 0);
	ck_assert_int_eq(
	    mp_jwt_keyset_add_pem_file(ks, "test-rs-1", "RS256", path), 0);
	ck_assert_int_eq(mp_jwt_verify(ks, &pol, tok, strlen(tok), in.iat, &p),
	                 MP_JWT_OK);
	ck_assert_str_eq(p.subject, in.subject);
	ck_assert_uint_eq(p.roles, in.roles);
	ck_assert_str_eq(p.commune, "agadir");
	ck_assert_str_eq(p.jti, in.jti);
	ck_assert_str_eq(p.scopes, "profile");
	free(tok);
	json_decref(c);
	mp_jwt_keyset_free(ks);

	in.ttl_s = 0;
	ck_assert_int_eq(gw_tok_claims_build(&in, &c), -EINVAL);
	in.ttl_s = 60;
	in.jti = "";
	ck_assert_int_eq(gw_tok_claims_build(&in, &c), -EINVAL);
	ck_assert_ptr_null(c);
}
END_TEST

static Suite *
tokens_suite(void)
{
	Suite *s = suite_create("gateway_tokens");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_form_basic);
	tcase_add_test(tc, test_form_rejects);
	tcase_add_test(tc, test_basic_credentials);
	tcase_add_test(tc, test_refresh_tokens);
	tcase_add_test(tc, test_lockout_backoff);
	tcase_add_test(tc, test_scopes);
	tcase_add_test(tc, test_accounts);
	tcase_add_test(tc, test_claims_verify);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tokens_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
