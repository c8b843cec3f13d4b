/*
 * check_authz.c: role names and the handlers' authorisation checks.
 *
 * Each check is exercised both ways (granted and denied), with the
 * fail-closed cases a handler relies on: public principal, NULL or empty
 * arguments, near-miss strings, a hand-built principal whose arrays are
 * not NUL-terminated.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mp/authz.h"
#include "mp/principal.h"

static struct mp_principal mk(unsigned, const char *, const char *,
                              const char *);
static Suite *authz_suite(void);

static struct mp_principal
mk(unsigned roles, const char *region, const char *commune, const char *scopes)
{
	struct mp_principal p;

	memset(&p, 0, sizeof(p));
	p.authenticated = 1;
	p.roles = roles;
	strcpy(p.subject, "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a4b");
	strcpy(p.region, region);
	strcpy(p.commune, commune);
	strcpy(p.scopes, scopes);
	return p;
}

START_TEST(role_names_round_trip)
{
	static const char *names[] = {
	    "applicant",      "council_officer", "appraiser",
	    "erc_member",     "municipal_agent", "mediator",
	    "gender_analyst", "admin",           "client"};
	unsigned seen = 0, bit;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_int_eq(mp_role_from_name(names[i], &bit), 0);
		ck_assert_uint_eq(bit & (bit - 1), 0); /* exactly one bit */
		ck_assert_uint_eq(seen & bit, 0);
		seen |= bit;
		ck_assert_str_eq(mp_role_name(bit), names[i]);
	}
	ck_assert_uint_eq(seen, MP_ROLE_ALL);
	ck_assert_int_eq(mp_role_from_name("admin", &bit), 0);
	ck_assert_uint_eq(bit, MP_ROLE_ADMIN);
	ck_assert_int_eq(mp_role_from_name("municipal_agent", &bit), 0);
	ck_assert_uint_eq(bit, MP_ROLE_MUNICIPAL_AGENT);
}
END_TEST

START_TEST(role_names_rejects)
{
	unsigned bit = 12345;

	ck_assert_int_eq(mp_role_from_name("Admin", &bit), -EINVAL);
	ck_assert_int_eq(mp_role_from_name("admin ", &bit), -EINVAL);
	ck_assert_int_eq(mp_role_from_name("", &bit), -EINVAL);
	ck_assert_int_eq(mp_role_from_name("public", &bit), -EINVAL);
	ck_assert_int_eq(mp_role_from_name("superuser", &bit), -EINVAL);
	ck_assert_int_eq(mp_role_from_name(NULL, &bit), -EINVAL);
	ck_assert_int_eq(mp_role_from_name("admin", NULL), -EINVAL);
	ck_assert_uint_eq(bit, 12345);
	ck_assert_ptr_null(mp_role_name(0));
	ck_assert_ptr_null(mp_role_name(MP_ROLE_ADMIN | MP_ROLE_APPLICANT));
	ck_assert_ptr_null(mp_role_name(1u << 9));
	ck_assert_ptr_null(mp_role_name(~0u));
}
END_TEST

START_TEST(has_role)
{
	struct mp_principal p = mk(MP_ROLE_COUNCIL_OFFICER | MP_ROLE_APPRAISER,
	                           "souss-massa", "", "");

	ck_assert_int_eq(mp_authz_has_role(&p, MP_ROLE_COUNCIL_OFFICER), 1);
	ck_assert_int_eq(
	    mp_authz_has_role(&p, MP_ROLE_ADMIN | MP_ROLE_APPRAISER), 1);
	ck_assert_int_eq(mp_authz_has_role(&p, MP_ROLE_ADMIN), 0);
	ck_assert_int_eq(
	    mp_authz_has_role(&p, MP_ROLE_ERC_MEMBER | MP_ROLE_MEDIATOR), 0);
	ck_assert_int_eq(mp_authz_has_role(&p, 0), 0);
	ck_assert_int_eq(mp_authz_has_role(NULL, MP_ROLE_ALL), 0);
	/* Role bits on a public (unauthenticated) principal count for
	 * nothing. */
	p.authenticated = 0;
	ck_assert_int_eq(mp_authz_has_role(&p, MP_ROLE_COUNCIL_OFFICER), 0);
}
END_TEST

START_TEST(has_scope)
{
	struct mp_principal p =
	    mk(MP_ROLE_CLIENT, "", "", "funding:read cases:write stats");

	ck_assert_int_eq(mp_authz_has_scope(&p, "funding:read"), 1);
	ck_assert_int_eq(mp_authz_has_scope(&p, "cases:write"), 1);
	ck_assert_int_eq(mp_authz_has_scope(&p, "stats"), 1);
	ck_assert_int_eq(mp_authz_has_scope(&p, "cases"), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, "cases:writ"), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, "cases:write-all"), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, "funding:read cases:write"), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, "Stats"), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, "tats"), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, ""), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, " "), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, NULL), 0);
	ck_assert_int_eq(mp_authz_has_scope(NULL, "stats"), 0);

	p = mk(MP_ROLE_CLIENT, "", "", "  a   b  ");
	ck_assert_int_eq(mp_authz_has_scope(&p, "a"), 1);
	ck_assert_int_eq(mp_authz_has_scope(&p, "b"), 1);
	p = mk(MP_ROLE_CLIENT, "", "", "");
	ck_assert_int_eq(mp_authz_has_scope(&p, "a"), 0);

	p = mk(MP_ROLE_CLIENT, "", "", "stats");
	p.authenticated = 0;
	ck_assert_int_eq(mp_authz_has_scope(&p, "stats"), 0);
}
END_TEST

START_TEST(has_scope_unterminated_principal)
{
	struct mp_principal p = mk(MP_ROLE_CLIENT, "", "", "");

	/* Hand-built principal with no NUL in scopes: bounded, no match on
	 * whatever follows the array. */
	memset(p.scopes, 'a', sizeof(p.scopes));
	memset(p.jti, 0, sizeof(p.jti));
	ck_assert_int_eq(mp_authz_has_scope(&p, "a"), 0);
	memset(p.scopes, ' ', sizeof(p.scopes));
	p.scopes[sizeof(p.scopes) - 1] = 'x';
	ck_assert_int_eq(mp_authz_has_scope(&p, "x"), 1);
}
END_TEST

START_TEST(region)
{
	struct mp_principal p =
	    mk(MP_ROLE_COUNCIL_OFFICER, "souss-massa", "", "");
	struct mp_principal admin = mk(MP_ROLE_ADMIN, "", "", "");
	struct mp_principal none = mk(MP_ROLE_GENDER_ANALYST, "", "", "");

	ck_assert_int_eq(mp_authz_region(&p, "souss-massa"), 0);
	ck_assert_int_eq(mp_authz_region(&p, "oriental"), -EACCES);
	ck_assert_int_eq(mp_authz_region(&p, "souss-massa-x"), -EACCES);
	ck_assert_int_eq(mp_authz_region(&p, "souss"), -EACCES);
	ck_assert_int_eq(mp_authz_region(&p, "SOUSS-MASSA"), -EACCES);
	ck_assert_int_eq(mp_authz_region(&p, ""), -EACCES);
	ck_assert_int_eq(mp_authz_region(&p, NULL), -EACCES);

	ck_assert_int_eq(mp_authz_region(&admin, "souss-massa"), 0);
	ck_assert_int_eq(mp_authz_region(&admin, "oriental"), 0);
	ck_assert_int_eq(mp_authz_region(&admin, NULL), 0);

	/* No region in the token: no region's data. */
	ck_assert_int_eq(mp_authz_region(&none, "oriental"), -EACCES);
	ck_assert_int_eq(mp_authz_region(&none, ""), -EACCES);

	ck_assert_int_eq(mp_authz_region(NULL, "oriental"), -EACCES);
	admin.authenticated = 0;
	ck_assert_int_eq(mp_authz_region(&admin, "oriental"), -EACCES);
	p.authenticated = 0;
	ck_assert_int_eq(mp_authz_region(&p, "souss-massa"), -EACCES);
}
END_TEST

START_TEST(region_long_argument)
{
	struct mp_principal p = mk(MP_ROLE_COUNCIL_OFFICER, "", "", "");
	char longr[100];

	/* Principal region filling its whole array (31 chars) against a
	 * longer argument with the same prefix. */
	memset(p.region, 'r', sizeof(p.region) - 1);
	memset(longr, 'r', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	ck_assert_int_eq(mp_authz_region(&p, longr), -EACCES);
	longr[sizeof(p.region) - 1] = '\0';
	ck_assert_int_eq(mp_authz_region(&p, longr), 0);
}
END_TEST

START_TEST(commune)
{
	struct mp_principal agent =
	    mk(MP_ROLE_MUNICIPAL_AGENT, "souss-massa", "agadir", "");
	struct mp_principal officer =
	    mk(MP_ROLE_COUNCIL_OFFICER, "oriental", "", "");
	struct mp_principal admin = mk(MP_ROLE_ADMIN, "", "", "");

	ck_assert_int_eq(mp_authz_commune(&agent, "souss-massa", "agadir"), 0);
	ck_assert_int_eq(mp_authz_commune(&agent, "souss-massa", "inezgane"),
	                 -EACCES);
	ck_assert_int_eq(mp_authz_commune(&agent, "souss-massa", "agadir-ida"),
	                 -EACCES);
	ck_assert_int_eq(mp_authz_commune(&agent, "souss-massa", ""), -EACCES);
	ck_assert_int_eq(mp_authz_commune(&agent, "souss-massa", NULL),
	                 -EACCES);
	/* Same commune name in another region: the region rule wins. */
	ck_assert_int_eq(mp_authz_commune(&agent, "oriental", "agadir"),
	                 -EACCES);

	/* Region-wide principal: every commune of its region only. */
	ck_assert_int_eq(mp_authz_commune(&officer, "oriental", "oujda"), 0);
	ck_assert_int_eq(mp_authz_commune(&officer, "oriental", "nador"), 0);
	ck_assert_int_eq(mp_authz_commune(&officer, "souss-massa", "agadir"),
	                 -EACCES);

	ck_assert_int_eq(mp_authz_commune(&admin, "oriental", "oujda"), 0);
	ck_assert_int_eq(mp_authz_commune(&admin, "souss-massa", "tiznit"), 0);

	ck_assert_int_eq(mp_authz_commune(NULL, "oriental", "oujda"), -EACCES);
	agent.authenticated = 0;
	ck_assert_int_eq(mp_authz_commune(&agent, "souss-massa", "agadir"),
	                 -EACCES);
}
END_TEST

START_TEST(public_principal_denied_everything)
{
	struct mp_principal p;

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(mp_authz_has_role(&p, MP_ROLE_ALL), 0);
	ck_assert_int_eq(mp_authz_has_scope(&p, "stats"), 0);
	ck_assert_int_eq(mp_authz_region(&p, "oriental"), -EACCES);
	ck_assert_int_eq(mp_authz_region(&p, ""), -EACCES);
	ck_assert_int_eq(mp_authz_commune(&p, "oriental", "oujda"), -EACCES);
	ck_assert_int_eq(mp_authz_commune(&p, "", ""), -EACCES);
}
END_TEST

static Suite *
authz_suite(void)
{
	Suite *s = suite_create("authz");
	TCase *t = tcase_create("authz");

	tcase_add_test(t, role_names_round_trip);
	tcase_add_test(t, role_names_rejects);
	tcase_add_test(t, has_role);
	tcase_add_test(t, has_scope);
	tcase_add_test(t, has_scope_unterminated_principal);
	tcase_add_test(t, region);
	tcase_add_test(t, region_long_argument);
	tcase_add_test(t, commune);
	tcase_add_test(t, public_principal_denied_everything);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(authz_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}
