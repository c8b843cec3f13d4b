/*
 * Gateway route table: specificity, 404 / 405 with Allow, path hygiene,
 * params, table self-check, and who may call what (401 / 403).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/principal.h"
#include "mp/service.h"

#include "edge/routing.h"

_Static_assert(GW_M_GET == MP_GET && GW_M_POST == MP_POST &&
                   GW_M_PUT == MP_PUT && GW_M_DELETE == MP_DELETE &&
                   GW_M_PATCH == MP_PATCH,
               "gateway method bits must equal the library's");

#define PUB GW_R_PUBLIC
#define CACHE GW_R_CACHEABLE
#define PDATA GW_R_PUBLIC_DATA
#define STAFF                                                                  \
	(MP_ROLE_COUNCIL_OFFICER | MP_ROLE_APPRAISER | MP_ROLE_ERC_MEMBER |    \
	 MP_ROLE_ADMIN)

/* A sample of what the gateway's table will look like. */
static const struct gw_route table[] = {
    /* 0 */ {GW_M_POST, "/auth/token", PUB, 0, NULL, 0, GW_RC_AUTH, NULL},
    /* 1 */ {GW_M_GET, "/healthz", PUB, 0, NULL, 0, GW_RC_DEFAULT, NULL},
    /* 2 */
    {GW_M_ALL, "/v1/funding/**", 0, 0, NULL, 0, GW_RC_DEFAULT, "funding"},
    /* 3 */
    {GW_M_GET, "/v1/funding/calls", PUB | CACHE | PDATA, 0, NULL, 60,
     GW_RC_DEFAULT, "funding"},
    /* 4 */
    {GW_M_GET, "/v1/funding/calls/{id}", PUB | CACHE | PDATA, 0, NULL, 60,
     GW_RC_DEFAULT, "funding"},
    /* 5: before the literal route below, which must still win */
    {GW_M_GET | GW_M_PATCH, "/v1/funding/applications/{id}", CACHE,
     MP_ROLE_APPLICANT | STAFF, "funding:read funding:write", 30, GW_RC_WRITE,
     "funding"},
    /* 6 */
    {GW_M_GET, "/v1/funding/applications/mine", CACHE, MP_ROLE_APPLICANT, NULL,
     30, GW_RC_DEFAULT, "funding"},
    /* 7 */
    {GW_M_POST, "/v1/funding/applications", 0, MP_ROLE_APPLICANT, NULL, 0,
     GW_RC_WRITE, "funding"},
    /* 8 */
    {GW_M_GET, "/v1/funding/{kind}/{id}/documents", 0, STAFF, NULL, 0,
     GW_RC_DEFAULT, "funding"},
    /* 9 */
    {GW_M_GET, "/v1/cases/{id}", 0, MP_ROLE_MEDIATOR | MP_ROLE_ADMIN,
     "cases:read", 0, GW_RC_DEFAULT, "cases"},
    /* 10 */
    {GW_M_GET | GW_M_DELETE, "/v1/cases/{id}/notes/{note}", 0, MP_ROLE_MEDIATOR,
     NULL, 0, GW_RC_WRITE, "cases"},
    /* 11 */
    {GW_M_GET, "/v1/gender/indicators", CACHE, MP_ROLE_GENDER_ANALYST,
     "gender:read gender:export", 300, GW_RC_DEFAULT, "gender"},
    /* 12: any authenticated principal */
    {GW_M_GET, "/v1/me", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
    /* 13 */ {GW_M_GET, "/", PUB, 0, NULL, 0, GW_RC_DEFAULT, NULL},
};
#define NT (sizeof(table) / sizeof(table[0]))

static struct mp_principal
who(unsigned roles, const char *scopes)
{
	struct mp_principal p;

	memset(&p, 0, sizeof(p));
	p.authenticated = 1;
	p.roles = roles;
	strcpy(p.subject, "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a4b");
	strcpy(p.region, "oriental");
	if (scopes != NULL)
		strcpy(p.scopes, scopes);
	return p;
}

/* Match and expect route index want (or rc != 0). */
static struct gw_route_match
ok(unsigned method, const char *path, size_t want)
{
	struct gw_route_match m;
	int rc = gw_route_match(table, NT, method, path, &m);

	ck_assert_msg(rc == 0, "%s: rc %d", path, rc);
	ck_assert_ptr_eq(m.route, &table[want]);
	ck_assert_uint_eq(m.index, want);
	return m;
}

static void
fails(unsigned method, const char *path, int want)
{
	struct gw_route_match m;
	int rc = gw_route_match(table, NT, method, path, &m);

	ck_assert_msg(rc == want, "%s: rc %d, want %d", path, rc, want);
	ck_assert_ptr_null(m.route);
	ck_assert_uint_eq(m.nparams, 0);
	ck_assert_str_eq(m.rest, "");
}

/* A table whose routes carry their shape (as built from /_routes) picks
 * exactly what the same table without shapes picks, for every method and
 * path: the shape only skips routes that could not match. */
START_TEST(test_shape_changes_nothing)
{
	static const char *const paths[] = {"/",
	                                    "/healthz",
	                                    "/auth/token",
	                                    "/v1",
	                                    "/v1/funding",
	                                    "/v1/funding/",
	                                    "/v1/funding/calls",
	                                    "/v1/funding/calls/",
	                                    "/v1/funding/calls/7",
	                                    "/v1/funding/calls/7/x",
	                                    "/v1/funding/applications",
	                                    "/v1/funding/applications/mine",
	                                    "/v1/funding/applications/42",
	                                    "/v1/funding/a/b/documents",
	                                    "/v1/funding/a/b/c/d/e/f",
	                                    "/v1/cases/1",
	                                    "/v1/cases/1/notes/2",
	                                    "/v1/cases/1/notes",
	                                    "/v1/gender/indicators",
	                                    "/v1/me",
	                                    "/v1/me/x",
	                                    "/nothing",
	                                    "/v1/funding/calls/7?x=1",
	                                    NULL};
	static const unsigned methods[] = {GW_M_GET, GW_M_POST, GW_M_PATCH,
	                                   GW_M_DELETE};
	struct gw_route shaped[NT];
	struct gw_route_match a, b;
	size_t i, k;
	int ra, rb;

	ck_assert_uint_eq(gw_route_shape("/"), 1);
	ck_assert_uint_eq(gw_route_shape("/v1/me"), (2u << 1) + 1);
	ck_assert_uint_eq(gw_route_shape("/v1/funding/**"), (2u << 1 | 1) + 1);
	ck_assert_uint_eq(gw_route_shape("/**"), (0u << 1 | 1) + 1);
	memcpy(shaped, table, sizeof(table));
	for (i = 0; i < NT; i++)
		shaped[i].shape = gw_route_shape(shaped[i].pattern);
	for (i = 0; paths[i] != NULL; i++)
		for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			ra =
			    gw_route_match(table, NT, methods[k], paths[i], &a);
			rb = gw_route_match(shaped, NT, methods[k], paths[i],
			                    &b);
			ck_assert_msg(ra == rb, "%s: rc %d vs %d", paths[i], ra,
			              rb);
			ck_assert_uint_eq(a.index, b.index);
			ck_assert_uint_eq(a.allow, b.allow);
			ck_assert_uint_eq(a.nparams, b.nparams);
			ck_assert_str_eq(a.rest, b.rest);
			ck_assert_int_eq(a.route == NULL, b.route == NULL);
		}
}
END_TEST

START_TEST(test_table_valid)
{
	char err[128];
	size_t bad = 99;

	ck_assert_int_eq(
	    gw_route_table_validate(table, NT, &bad, err, sizeof(err)), 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(gw_route_table_validate(NULL, 0, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_specificity)
{
	struct gw_route_match m;

	/* literal beats {param} whatever the order */
	m = ok(GW_M_GET, "/v1/funding/applications/mine", 6);
	ck_assert_uint_eq(m.nparams, 0);
	m = ok(GW_M_GET, "/v1/funding/applications/0190f5c2", 5);
	ck_assert_uint_eq(m.nparams, 1);
	ck_assert_str_eq(gw_route_param(&m, "id"), "0190f5c2");
	/* {param} beats the "**" prefix */
	m = ok(GW_M_GET, "/v1/funding/calls/42", 4);
	ck_assert_str_eq(m.rest, "");
	m = ok(GW_M_GET, "/v1/funding/calls", 3);
	/* two params and a literal beat the prefix */
	m = ok(GW_M_GET, "/v1/funding/applications/7/documents", 8);
	ck_assert_str_eq(gw_route_param(&m, "kind"), "applications");
	ck_assert_str_eq(gw_route_param(&m, "id"), "7");
	/* the prefix catches everything else below it, and itself */
	m = ok(GW_M_GET, "/v1/funding/agreements/9/tranches", 2);
	ck_assert_str_eq(m.rest, "/agreements/9/tranches");
	m = ok(GW_M_GET, "/v1/funding", 2);
	ck_assert_str_eq(m.rest, "");
	m = ok(GW_M_GET, "/v1/funding/", 2);
	ck_assert_str_eq(m.rest, "/");
	/* ... but not a sibling that merely shares the prefix bytes */
	fails(GW_M_GET, "/v1/fundingx", -ENOENT);
	fails(GW_M_GET, "/v1", -ENOENT);
	/* the root */
	m = ok(GW_M_GET, "/", 13);
	ck_assert_uint_eq(m.nparams, 0);
	fails(GW_M_GET, "/v2", -ENOENT);
}
END_TEST

/* Left to right: the first differing segment decides. */
START_TEST(test_specificity_left_to_right)
{
	const struct gw_route t[] = {
	    {GW_M_GET, "/x/{a}/lit", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	    {GW_M_GET, "/x/lit/{b}", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	    {GW_M_GET, "/x/**", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	    {GW_M_GET, "/x/lit/**", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	    {GW_M_GET, "/y", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	    {GW_M_GET, "/y/**", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	};
	const struct gw_route rev[] = {t[5], t[4], t[3], t[2], t[1], t[0]};
	struct gw_route_match m;

	ck_assert_int_eq(gw_route_table_validate(t, 6, NULL, NULL, 0), 0);
	ck_assert_int_eq(gw_route_match(t, 6, GW_M_GET, "/x/lit/lit", &m), 0);
	ck_assert_uint_eq(m.index, 1);
	ck_assert_str_eq(gw_route_param(&m, "b"), "lit");
	ck_assert_ptr_null(gw_route_param(&m, "a"));
	ck_assert_int_eq(gw_route_match(rev, 6, GW_M_GET, "/x/lit/lit", &m), 0);
	ck_assert_uint_eq(m.index, 4); /* same route, reversed table */
	/* the longer literal prefix beats the shorter */
	ck_assert_int_eq(gw_route_match(t, 6, GW_M_GET, "/x/lit/a/b", &m), 0);
	ck_assert_uint_eq(m.index, 3);
	ck_assert_str_eq(m.rest, "/a/b");
	ck_assert_int_eq(gw_route_match(t, 6, GW_M_GET, "/x/other/a", &m), 0);
	ck_assert_uint_eq(m.index, 2);
	ck_assert_str_eq(m.rest, "/other/a");
	/* exact beats prefix at equal segments, either order */
	ck_assert_int_eq(gw_route_match(t, 6, GW_M_GET, "/y", &m), 0);
	ck_assert_uint_eq(m.index, 4);
	ck_assert_int_eq(gw_route_match(rev, 6, GW_M_GET, "/y", &m), 0);
	ck_assert_uint_eq(m.index, 1);
	ck_assert_int_eq(gw_route_match(t, 6, GW_M_GET, "/y/", &m), 0);
	ck_assert_uint_eq(m.index, 4);
	ck_assert_int_eq(gw_route_match(t, 6, GW_M_GET, "/y/z", &m), 0);
	ck_assert_uint_eq(m.index, 5);
}
END_TEST

/* Among exact equals (an invalid table) the first wins. */
START_TEST(test_first_among_equals)
{
	const struct gw_route t[] = {
	    {GW_M_GET, "/t/{a}", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	    {GW_M_GET, "/t/{b}", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	};
	struct gw_route_match m;
	size_t bad = 0;

	ck_assert_int_eq(gw_route_match(t, 2, GW_M_GET, "/t/1", &m), 0);
	ck_assert_uint_eq(m.index, 0);
	ck_assert_str_eq(gw_route_param(&m, "a"), "1");
	ck_assert_int_eq(gw_route_match(t + 1, 1, GW_M_GET, "/t/1", &m), 0);
	ck_assert_str_eq(gw_route_param(&m, "b"), "1");
	/* and the self-check says the second is dead */
	ck_assert_int_eq(gw_route_table_validate(t, 2, &bad, NULL, 0), -EINVAL);
	ck_assert_uint_eq(bad, 1);
}
END_TEST

START_TEST(test_404_405)
{
	struct gw_route_match m;

	fails(GW_M_GET, "/nope", -ENOENT);
	ck_assert_int_eq(gw_route_match(table, NT, GW_M_GET, "/nope", &m),
	                 -ENOENT);
	ck_assert_uint_eq(m.allow, 0);
	fails(GW_M_GET, "/v1/cases/1/notes", -ENOENT);
	fails(GW_M_GET, "/v1/cases", -ENOENT);
	/* path known, method not */
	ck_assert_int_eq(gw_route_match(table, NT, GW_M_POST, "/healthz", &m),
	                 -EOPNOTSUPP);
	ck_assert_uint_eq(m.allow, GW_M_GET);
	ck_assert_ptr_null(m.route);
	ck_assert_int_eq(gw_route_match(table, NT, GW_M_GET, "/auth/token", &m),
	                 -EOPNOTSUPP);
	ck_assert_uint_eq(m.allow, GW_M_POST);
	ck_assert_int_eq(
	    gw_route_match(table, NT, GW_M_PUT, "/v1/cases/1/notes/2", &m),
	    -EOPNOTSUPP);
	ck_assert_uint_eq(m.allow, GW_M_GET | GW_M_DELETE);
	ck_assert_int_eq(
	    gw_route_match(table, NT, GW_M_DELETE, "/v1/cases/1", &m),
	    -EOPNOTSUPP);
	ck_assert_uint_eq(m.allow, GW_M_GET);
	/* methods outside the five (Kore's HEAD 0x8, OPTIONS 0x20) */
	ck_assert_int_eq(gw_route_match(table, NT, 0x20, "/v1/me", &m),
	                 -EOPNOTSUPP);
	ck_assert_uint_eq(m.allow, GW_M_GET);
	/* a method the specific route lacks falls through to the prefix */
	m = ok(GW_M_DELETE, "/v1/funding/calls/1", 2);
	ck_assert_uint_eq(m.allow, GW_M_ALL);
	ck_assert_str_eq(m.rest, "/calls/1");
	m = ok(GW_M_PATCH, "/v1/funding/applications/mine", 5);
	ck_assert_uint_eq(m.allow, GW_M_ALL);
	m = ok(GW_M_POST, "/v1/funding/applications", 7);
	m = ok(GW_M_GET, "/v1/funding/applications", 2);
	/* an allowed route reports the union too */
	m = ok(GW_M_GET, "/healthz", 1);
	ck_assert_uint_eq(m.allow, GW_M_GET);
	ck_assert_int_eq(gw_route_status(-ENOENT), 404);
	ck_assert_int_eq(gw_route_status(-EOPNOTSUPP), 405);
}
END_TEST

START_TEST(test_path_hygiene)
{
	static const struct {
		const char *path;
		int rc;
	} bad[] = {
	    {"", -EINVAL},
	    {"v1/funding", -EINVAL},
	    {"//v1/funding", -EINVAL},
	    {"/v1//funding", -EINVAL},
	    {"/v1/funding//", -EINVAL},
	    {"/v1/./funding", -EINVAL},
	    {"/v1/../v1/funding", -EINVAL},
	    {"/./v1", -EINVAL},
	    {"/../v1", -EINVAL},
	    {"/v1/funding/.", -EINVAL},
	    {"/v1/funding/..", -EINVAL},
	    {"/.", -EINVAL},
	    {"/..", -EINVAL},
	    {"/v1/funding%2fcalls", -EINVAL},
	    {"/v1/funding%2Fcalls", -EINVAL},
	    {"/v1/funding/%2e%2e/cases", -EINVAL},
	    {"/v1/funding/%2E", -EINVAL},
	    {"/v1/funding/.%2e", -EINVAL},
	    {"/v1/funding/a%5cb", -EINVAL},
	    {"/v1/funding/a%00", -EINVAL},
	    {"/v1/funding/a%0a", -EINVAL},
	    {"/v1/funding/a%7F", -EINVAL},
	    {"/v1/funding/a%", -EINVAL},
	    {"/v1/funding/a%2", -EINVAL},
	    {"/v1/funding/a%zz", -EINVAL},
	    {"/v1/funding/a b", -EINVAL},
	    {"/v1/funding/a\tb", -EINVAL},
	    {"/v1/funding/a\r\nb", -EINVAL},
	    {"/v1/funding/a\x01", -EINVAL},
	    {"/v1/funding/a\x7f", -EINVAL},
	    {"/v1/funding/\xc3\xa9", -EINVAL},
	    {"/v1/funding\\calls", -EINVAL},
	    {"/v1/funding/calls?x=1", -EINVAL},
	    {"/v1/funding/calls#x", -EINVAL},
	};
	static const char *const good[] = {
	    "/",
	    "/v1/funding/calls",
	    "/v1/funding/calls/",
	    "/v1/funding/a.b",
	    "/v1/funding/...",
	    "/v1/funding/.hidden",
	    "/v1/funding/a%20b",
	    "/v1/funding/%C3%A9",
	    "/v1/funding/a-b_c~d!$&'()*+,;=:@",
	};
	char path[GW_PATH_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(gw_path_check(bad[i].path) == bad[i].rc,
		              "accepted %s", bad[i].path);
		fails(GW_M_GET, bad[i].path, bad[i].rc);
		ck_assert_int_eq(gw_route_status(bad[i].rc), 400);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(gw_path_check(good[i]) == 0, "refused %s",
		              good[i]);
	/* a NUL cuts the string: the bytes after it are never seen, so the
	 * caller must refuse a path whose length disagrees (Kore does) */
	ck_assert_int_eq(gw_path_check("/v1\0/../x"), 0);
	ck_assert_int_eq(gw_path_check(NULL), -EINVAL);
	/* length: 2048 accepted, 2049 refused */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[GW_PATH_MAX] = '\0';
	ck_assert_int_eq(gw_path_check(path), 0);
	path[GW_PATH_MAX] = 'a';
	path[GW_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(gw_path_check(path), -ENAMETOOLONG);
	fails(GW_M_GET, path, -ENAMETOOLONG);
	ck_assert_int_eq(gw_route_status(-ENAMETOOLONG), 414);
	/* under the prefix, long paths are routed */
	memcpy(path, "/v1/funding/", 12);
	path[GW_PATH_MAX] = '\0';
	ok(GW_M_GET, path, 2);
}
END_TEST

START_TEST(test_params)
{
	const struct gw_route t[] = {
	    {GW_M_GET, "/p/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h_8}", 0, 0, NULL, 0,
	     GW_RC_DEFAULT, NULL},
	    {GW_M_GET, "/q/{id}", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL},
	};
	const struct gw_route nine[] = {
	    {GW_M_GET, "/p/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", 0, 0, NULL, 0,
	     GW_RC_DEFAULT, NULL},
	};
	struct gw_route_match m;
	char path[200], val[GW_PARAM_MAX + 2];
	size_t i;

	ck_assert_int_eq(gw_route_table_validate(t, 2, NULL, NULL, 0), 0);
	ck_assert_int_eq(
	    gw_route_match(t, 2, GW_M_GET, "/p/1/2/3/4/5/6/7/8", &m), 0);
	ck_assert_uint_eq(m.nparams, 8);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(m.params[i].value[0], (char)('1' + i));
		ck_assert_int_eq(m.params[i].value[1], '\0');
	}
	ck_assert_str_eq(m.params[0].name, "a");
	ck_assert_str_eq(gw_route_param(&m, "h_8"), "8");
	ck_assert_ptr_null(gw_route_param(&m, "h"));
	ck_assert_ptr_null(gw_route_param(&m, NULL));
	ck_assert_ptr_null(gw_route_param(NULL, "a"));
	/* wrong number of segments */
	ck_assert_int_eq(gw_route_match(t, 2, GW_M_GET, "/p/1/2/3/4/5/6/7", &m),
	                 -ENOENT);
	ck_assert_int_eq(
	    gw_route_match(t, 2, GW_M_GET, "/p/1/2/3/4/5/6/7/8/9", &m),
	    -ENOENT);
	/* values are raw: the upstream percent-decodes */
	ck_assert_int_eq(gw_route_match(t, 2, GW_M_GET, "/q/a%41+b", &m), 0);
	ck_assert_str_eq(gw_route_param(&m, "id"), "a%41+b");
	/* 128 bytes captured, 129 refused */
	memset(val, 'v', sizeof(val));
	val[GW_PARAM_MAX] = '\0';
	snprintf(path, sizeof(path), "/q/%s", val);
	ck_assert_int_eq(gw_route_match(t, 2, GW_M_GET, path, &m), 0);
	ck_assert_uint_eq(strlen(gw_route_param(&m, "id")), GW_PARAM_MAX);
	val[GW_PARAM_MAX] = 'v';
	val[GW_PARAM_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/q/%s", val);
	ck_assert_int_eq(gw_route_match(t, 2, GW_M_GET, path, &m), -E2BIG);
	ck_assert_ptr_null(m.route);
	ck_assert_uint_eq(m.nparams, 0);
	ck_assert_int_eq(gw_route_status(-E2BIG), 400);
	/* nine params: refused by the self-check, and by the matcher */
	ck_assert_int_eq(gw_route_table_validate(nine, 1, NULL, NULL, 0),
	                 -EINVAL);
	ck_assert_int_eq(
	    gw_route_match(nine, 1, GW_M_GET, "/p/1/2/3/4/5/6/7/8/9", &m),
	    -E2BIG);
}
END_TEST

START_TEST(test_match_bad_args)
{
	struct gw_route_match m;

	ck_assert_int_eq(gw_route_match(NULL, 1, GW_M_GET, "/", &m), -EFAULT);
	ck_assert_int_eq(gw_route_match(table, NT, GW_M_GET, NULL, &m),
	                 -EFAULT);
	ck_assert_int_eq(gw_route_match(table, NT, GW_M_GET, "/", NULL),
	                 -EFAULT);
	ck_assert_int_eq(gw_route_match(table, NT, 0, "/", &m), -EFAULT);
	ck_assert_int_eq(gw_route_match(NULL, 0, GW_M_GET, "/", &m), -ENOENT);
}
END_TEST

START_TEST(test_validate_refuses)
{
#define R(meth, pat, fl, roles, sc, ttl, rc, up)                               \
	{                                                                      \
		(meth), (pat), (fl), (roles), (sc), (ttl), (rc), (up)          \
	}
	const struct gw_route bad[] = {
	    R(GW_M_GET, "v1", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, NULL, 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a//b", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/../b", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/**/b", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/*", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/{}", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/{Id}", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/{id", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a/x{id}", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a b", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(0, "/a", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(0x8, "/a", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0x80, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_POST, "/a", CACHE, 0, NULL, 60, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", CACHE, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 0, NULL, -1, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, MP_ROLE_CLIENT, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 1u << 12, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 0, "", 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 0, "a  b", 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 0, " a", 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 0, "a ", 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 0, "a\"b", 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_GET, "/a", 0, 0, NULL, 0, GW_RC_COUNT, NULL),
	    R(GW_M_GET, "/a", 0, 0, NULL, 0, GW_RC_DEFAULT, ""),
	    R(GW_M_GET, "/a", 0, 0, NULL, 0, GW_RC_DEFAULT, "Funding"),
	};
	const struct gw_route good =
	    R(GW_M_GET | GW_M_POST, "/ok/{x}/**", 0, MP_ROLE_ADMIN, "a:b c", 0,
	      GW_RC_WRITE, "cases");
	const struct gw_route dup[] = {
	    good,
	    R(GW_M_PUT, "/ok/{y}/**", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	    R(GW_M_POST, "/ok/{y}/**", 0, 0, NULL, 0, GW_RC_DEFAULT, NULL),
	};
	/* a cacheable route may take repeats (the key keeps their order) */
	const struct gw_route cached_repeats =
	    R(GW_M_GET, "/a", CACHE | GW_R_REPEATS, 0, NULL, 60, GW_RC_DEFAULT,
	      NULL);
	struct gw_route pair[2];
	char err[96];
	size_t i, b;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pair[0] = good;
		pair[1] = bad[i];
		err[0] = '\0';
		b = 99;
		ck_assert_msg(gw_route_table_validate(pair, 2, &b, err,
		                                      sizeof(err)) == -EINVAL,
		              "accepted bad route %zu", i);
		ck_assert_uint_eq(b, 1);
		ck_assert_msg(strlen(err) > 0, "no message for %zu", i);
	}
	ck_assert_int_eq(gw_route_table_validate(dup, 2, &b, err, sizeof(err)),
	                 0);
	pair[0] = good;
	pair[1] = cached_repeats;
	ck_assert_int_eq(gw_route_table_validate(pair, 2, &b, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(gw_route_table_validate(dup, 3, &b, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_uint_eq(b, 2);
	ck_assert_ptr_nonnull(strstr(err, "shadowed"));
	/* messages are truncated, never overflow */
	ck_assert_int_eq(gw_route_table_validate(dup, 3, &b, err, 4), -EINVAL);
	ck_assert_uint_eq(strlen(err), 3);
#undef R
}
END_TEST

/* Every role against every route of the sample table. */
START_TEST(test_authorize_roles)
{
	static const unsigned roles[] = {
	    MP_ROLE_APPLICANT,      MP_ROLE_COUNCIL_OFFICER, MP_ROLE_APPRAISER,
	    MP_ROLE_ERC_MEMBER,     MP_ROLE_MUNICIPAL_AGENT, MP_ROLE_MEDIATOR,
	    MP_ROLE_GENDER_ANALYST, MP_ROLE_ADMIN,
	};
	struct mp_principal p;
	size_t i, r;
	int want;

	for (r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		p = who(roles[r], "funding:read cases:read gender:read");
		for (i = 0; i < NT; i++) {
			if (table[i].flags & PUB)
				want = 0;
			else if (table[i].roles == 0)
				want = 0;
			else
				want = (table[i].roles & roles[r]) ? 0 : -EPERM;
			ck_assert_msg(gw_route_authorize(&table[i], &p) == want,
			              "role %x route %zu", roles[r], i);
		}
	}
	/* spot checks, spelt out */
	p = who(MP_ROLE_APPLICANT, "");
	ck_assert_int_eq(gw_route_authorize(&table[7], &p), 0);
	ck_assert_int_eq(gw_route_authorize(&table[8], &p), -EPERM);
	ck_assert_int_eq(gw_route_authorize(&table[9], &p), -EPERM);
	ck_assert_int_eq(gw_route_authorize(&table[12], &p), 0);
	p = who(MP_ROLE_MEDIATOR, "");
	ck_assert_int_eq(gw_route_authorize(&table[9], &p), 0);
	ck_assert_int_eq(gw_route_authorize(&table[7], &p), -EPERM);
	/* several roles: one is enough */
	p = who(MP_ROLE_APPLICANT | MP_ROLE_MEDIATOR, "");
	ck_assert_int_eq(gw_route_authorize(&table[9], &p), 0);
	/* no role at all: only "any authenticated" routes */
	p = who(0, "");
	ck_assert_int_eq(gw_route_authorize(&table[12], &p), 0);
	ck_assert_int_eq(gw_route_authorize(&table[9], &p), -EPERM);
	ck_assert_int_eq(gw_route_status(-EPERM), 403);
}
END_TEST

START_TEST(test_authorize_anonymous)
{
	struct mp_principal p;
	size_t i;

	memset(&p, 0, sizeof(p)); /* public: no token */
	for (i = 0; i < NT; i++) {
		int want = (table[i].flags & PUB) ? 0 : -EACCES;

		ck_assert_int_eq(gw_route_authorize(&table[i], NULL), want);
		ck_assert_int_eq(gw_route_authorize(&table[i], &p), want);
	}
	/* roles without authentication count for nothing */
	p.roles = MP_ROLE_ADMIN;
	ck_assert_int_eq(gw_route_authorize(&table[12], &p), -EACCES);
	ck_assert_int_eq(gw_route_authorize(NULL, &p), -EFAULT);
	ck_assert_int_eq(gw_route_status(-EACCES), 401);
	ck_assert_int_eq(gw_route_status(0), 200);
	ck_assert_int_eq(gw_route_status(-ENOMEM), 500);
}
END_TEST

START_TEST(test_authorize_clients)
{
	struct mp_principal c;

	/* one matching scope is enough, in any position */
	c = who(MP_ROLE_CLIENT, "gender:export");
	ck_assert_int_eq(gw_route_authorize(&table[11], &c), 0);
	c = who(MP_ROLE_CLIENT, "x:y gender:read");
	ck_assert_int_eq(gw_route_authorize(&table[11], &c), 0);
	c = who(MP_ROLE_CLIENT, "funding:write");
	ck_assert_int_eq(gw_route_authorize(&table[5], &c), 0);
	/* near misses */
	c = who(MP_ROLE_CLIENT, "gender:rea gender:read-all gender");
	ck_assert_int_eq(gw_route_authorize(&table[11], &c), -EPERM);
	c = who(MP_ROLE_CLIENT, "");
	ck_assert_int_eq(gw_route_authorize(&table[11], &c), -EPERM);
	/* route without scopes: clients refused even with a role match */
	c = who(MP_ROLE_CLIENT, "funding:read funding:write");
	ck_assert_int_eq(gw_route_authorize(&table[7], &c), -EPERM);
	ck_assert_int_eq(gw_route_authorize(&table[12], &c), -EPERM);
	c = who(MP_ROLE_CLIENT | MP_ROLE_APPLICANT, "funding:read");
	ck_assert_int_eq(gw_route_authorize(&table[7], &c), -EPERM);
	/* ... but a client with a user role is still judged by scopes */
	c = who(MP_ROLE_CLIENT | MP_ROLE_ADMIN, "");
	ck_assert_int_eq(gw_route_authorize(&table[9], &c), -EPERM);
	/* public routes admit clients */
	c = who(MP_ROLE_CLIENT, "");
	ck_assert_int_eq(gw_route_authorize(&table[3], &c), 0);
	/* a hand-built principal whose scopes fill the array, no NUL */
	c = who(MP_ROLE_CLIENT, "");
	memset(c.scopes, 'a', sizeof(c.scopes));
	ck_assert_int_eq(gw_route_authorize(&table[11], &c), -EPERM);
	memcpy(c.scopes + sizeof(c.scopes) - 12, " gender:read", 12);
	ck_assert_int_eq(gw_route_authorize(&table[11], &c), 0);
}
END_TEST

static Suite *
routes_suite(void)
{
	Suite *s = suite_create("gateway_routes");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_table_valid);
	tcase_add_test(tc, test_shape_changes_nothing);
	tcase_add_test(tc, test_specificity);
	tcase_add_test(tc, test_specificity_left_to_right);
	tcase_add_test(tc, test_first_among_equals);
	tcase_add_test(tc, test_404_405);
	tcase_add_test(tc, test_path_hygiene);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_match_bad_args);
	tcase_add_test(tc, test_validate_refuses);
	tcase_add_test(tc, test_authorize_roles);
	tcase_add_test(tc, test_authorize_anonymous);
	tcase_add_test(tc, test_authorize_clients);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(routes_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
