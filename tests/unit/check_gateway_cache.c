/*
 * Gateway response cache: what goes into a key (and what must never be
 * shared), Cache-Control, ETags, the stored byte format and the
 * event -> service mapping used for invalidation.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/principal.h"

#include "edge/cache.h"
#include "edge/wire.h"
#include "edge/routing.h"

static struct mp_principal
who(unsigned roles, const char *sub, const char *region, const char *commune)
{
	struct mp_principal p;

	memset(&p, 0, sizeof(p));
	p.authenticated = 1;
	p.roles = roles;
	strcpy(p.subject, sub);
	strcpy(p.region, region);
	strcpy(p.commune, commune);
	return p;
}

static struct gw_cache_req
req(const char *query, const struct mp_principal *p)
{
	struct gw_cache_req r;

	memset(&r, 0, sizeof(r));
	r.service = "funding";
	r.generation = 7;
	r.path = "/v1/funding/applications";
	r.query = query;
	r.accept_language = NULL;
	r.principal = p;
	r.public_data = 0;
	return r;
}

/* The key of r, asserted well-formed. Returns a static buffer (one of
 * four, so up to four keys can be compared in one expression). */
static const char *
key(const struct gw_cache_req *r)
{
	static char bufs[4][GW_CACHE_KEY_MAX];
	static int next;
	char *k = bufs[next++ % 4];
	const char *h;
	size_t i;

	ck_assert_int_eq(gw_cache_key(r, k, GW_CACHE_KEY_MAX), 0);
	ck_assert(strncmp(k, "gw:c:{", 6) == 0);
	h = strrchr(k, ':') + 1;
	ck_assert_uint_eq(strlen(h), 64);
	for (i = 0; i < 64; i++)
		ck_assert(strchr("0123456789abcdef", h[i]) != NULL);
	return k;
}

static void
same(struct gw_cache_req a, struct gw_cache_req b)
{
	char ka[GW_CACHE_KEY_MAX];

	strcpy(ka, key(&a));
	ck_assert_str_eq(ka, key(&b));
}

static void
differ(struct gw_cache_req a, struct gw_cache_req b)
{
	char ka[GW_CACHE_KEY_MAX];

	strcpy(ka, key(&a));
	ck_assert_str_ne(ka, key(&b));
}

START_TEST(test_key_format)
{
	struct gw_cache_req r = req(NULL, NULL);
	char k[GW_CACHE_KEY_MAX], small[40];
	size_t len;
	const char *svc32 = "abcdefghijklmnopqrstuvwxyz012345";

	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), 0);
	ck_assert(strncmp(k, "gw:c:{funding}:7:", 17) == 0);
	ck_assert_uint_eq(strlen(k), 17 + 64);
	/* deterministic */
	ck_assert_str_eq(k, key(&r));
	/* the longest key fits GW_CACHE_KEY_MAX */
	r.service = svc32;
	r.generation = UINT64_MAX;
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), 0);
	ck_assert(strstr(k, ":18446744073709551615:") != NULL);
	ck_assert_uint_lt(strlen(k), GW_CACHE_KEY_MAX);
	/* too small */
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(gw_cache_key(&r, small, sizeof(small)), -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(gw_cache_key(&r, small, 0), -ENOSPC);
	len = strlen(key(&r));
	ck_assert_int_eq(gw_cache_key(&r, k, len), -ENOSPC);
	ck_assert_int_eq(gw_cache_key(&r, k, len + 1), 0);
	ck_assert_uint_eq(strlen(k), len);
}
END_TEST

/* The digests the process remembers are the ones it would compute: keys
 * are those of the release before the memo (a key in Redis outlives a
 * deploy), for an input that fits the memo's buffer and one that does
 * not; and 2,000 requests over the memo's 256 slots, twice, each get the
 * key they got the first time. */
START_TEST(test_key_memo)
{
	static char longq[GW_CACHE_QUERY_MAX + 1];
	static char first[2000][GW_CACHE_KEY_MAX];
	struct mp_principal p = who(MP_ROLE_APPLICANT, "u-1", "oriental", "");
	struct gw_cache_req r = req("status=open&page=2", &p);
	char q[64];
	int i, round;

	ck_assert_str_eq(
	    key(&r),
	    "gw:c:{funding}:7:"
	    "faa661d214fec9a1b7c97d30a08d1d4ac810294de98f282e66644d17a44db36a");
	memset(longq, 'a', sizeof(longq) - 1);
	longq[0] = 'q';
	longq[1] = '=';
	r.query = longq;
	ck_assert_str_eq(
	    key(&r),
	    "gw:c:{funding}:7:"
	    "562755e1b33c15efcaf96111d169fad566d78de6cbd106eb98f2fdee141c0aa8");
	ck_assert_str_eq(
	    key(&r),
	    "gw:c:{funding}:7:"
	    "562755e1b33c15efcaf96111d169fad566d78de6cbd106eb98f2fdee141c0aa8");
	for (round = 0; round < 2; round++)
		for (i = 0; i < 2000; i++) {
			snprintf(q, sizeof(q), "page=%d&size=%d", i, i % 7);
			r.query = q;
			r.principal = i % 2 ? &p : NULL;
			if (round == 0)
				strcpy(first[i], key(&r));
			else
				ck_assert_str_eq(key(&r), first[i]);
		}
}
END_TEST

/* The string builder behind the keys: numbers at their limits, an exact
 * fit, one byte too many. */
START_TEST(test_sb)
{
	struct gw_sb sb;
	char b[64], small[6];

	gw_sb_init(&sb, b, sizeof(b));
	gw_sb_u64(&sb, UINT64_MAX);
	gw_sb_mem(&sb, " ", 1);
	gw_sb_i64(&sb, INT64_MIN);
	gw_sb_mem(&sb, " ", 1);
	gw_sb_u64(&sb, 0);
	gw_sb_str(&sb, "/x");
	ck_assert_int_eq(gw_sb_done(&sb), 0);
	ck_assert_str_eq(b, "18446744073709551615 -9223372036854775808 0/x");
	gw_sb_init(&sb, small, sizeof(small));
	gw_sb_str(&sb, "abcde");
	ck_assert_int_eq(gw_sb_done(&sb), 0);
	ck_assert_str_eq(small, "abcde");
	gw_sb_init(&sb, small, sizeof(small));
	gw_sb_str(&sb, "abc");
	gw_sb_u64(&sb, 123);
	gw_sb_str(&sb, "x");
	ck_assert_int_eq(gw_sb_done(&sb), -ENOSPC);
	ck_assert_str_eq(small, "");
	gw_sb_init(&sb, small, 0);
	ck_assert_int_eq(gw_sb_done(&sb), -ENOSPC);
}
END_TEST

START_TEST(test_key_bad_input)
{
	struct gw_cache_req r = req(NULL, NULL);
	char k[GW_CACHE_KEY_MAX];

	ck_assert_int_eq(gw_cache_key(NULL, k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(gw_cache_key(&r, NULL, 10), -EINVAL);
	r.service = NULL;
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.service = "";
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.service = "Funding";
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.service = "fund:ing";
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.service = "abcdefghijklmnopqrstuvwxyz0123456"; /* 33 */
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r = req(NULL, NULL);
	r.path = NULL;
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.path = "v1/x";
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
}
END_TEST

/* The property that matters most: region A never reads region B's
 * answer, applicants never read each other's. */
START_TEST(test_key_principal)
{
	struct mp_principal a = who(MP_ROLE_COUNCIL_OFFICER, "u1",
	                            "souss-massa", ""),
	                    b = who(MP_ROLE_COUNCIL_OFFICER, "u2", "oriental",
	                            ""),
	                    c;

	differ(req(NULL, &a), req(NULL, &b));
	differ(req("status=submitted", &a), req("status=submitted", &b));
	/* two officers of one region share (subject not in the key) */
	c = who(MP_ROLE_COUNCIL_OFFICER, "u3", "souss-massa", "");
	same(req(NULL, &a), req(NULL, &c));
	/* ... unless bound to different communes or organisations */
	c = who(MP_ROLE_COUNCIL_OFFICER, "u3", "souss-massa", "agadir");
	differ(req(NULL, &a), req(NULL, &c));
	c = who(MP_ROLE_COUNCIL_OFFICER, "u3", "souss-massa", "");
	strcpy(c.organisation, "ngo-1");
	differ(req(NULL, &a), req(NULL, &c));
	/* another role, same region */
	c = who(MP_ROLE_APPRAISER, "u1", "souss-massa", "");
	differ(req(NULL, &a), req(NULL, &c));
	c = who(MP_ROLE_APPRAISER | MP_ROLE_COUNCIL_OFFICER, "u1",
	        "souss-massa", "");
	differ(req(NULL, &a), req(NULL, &c));
	/* role bits outside the known ones still count */
	c = a;
	c.roles |= 1u << 20;
	differ(req(NULL, &a), req(NULL, &c));
	/* anonymous differs from any principal, and a principal marked
	 * unauthenticated is anonymous */
	differ(req(NULL, NULL), req(NULL, &a));
	c = a;
	c.authenticated = 0;
	same(req(NULL, NULL), req(NULL, &c));
	/* an admin without region differs from an admin with one */
	a = who(MP_ROLE_ADMIN, "x", "", "");
	b = who(MP_ROLE_ADMIN, "x", "oriental", "");
	differ(req(NULL, &a), req(NULL, &b));
}
END_TEST

START_TEST(test_key_own_objects)
{
	struct mp_principal a = who(MP_ROLE_APPLICANT, "applicant-1",
	                            "oriental", ""),
	                    b = who(MP_ROLE_APPLICANT, "applicant-2",
	                            "oriental", ""),
	                    c;

	differ(req(NULL, &a), req(NULL, &b));
	same(req(NULL, &a), req(NULL, &a));
	/* applicant among other roles: still per subject */
	a.roles |= MP_ROLE_MEDIATOR;
	b.roles |= MP_ROLE_MEDIATOR;
	differ(req(NULL, &a), req(NULL, &b));
	/* API clients: per subject, client_id and scopes */
	a = who(MP_ROLE_CLIENT, "client-a", "", "");
	b = who(MP_ROLE_CLIENT, "client-b", "", "");
	differ(req(NULL, &a), req(NULL, &b));
	c = a;
	strcpy(c.client_id, "other");
	differ(req(NULL, &a), req(NULL, &c));
	c = a;
	strcpy(c.scopes, "funding:read");
	differ(req(NULL, &a), req(NULL, &c));
	/* a hand-built principal without NULs is read within its arrays */
	c = a;
	memset(c.subject, 's', sizeof(c.subject));
	memset(c.region, 'r', sizeof(c.region));
	key(&(struct gw_cache_req){
	    .service = "funding", .path = "/", .principal = &c});
}
END_TEST

START_TEST(test_key_public_data)
{
	struct mp_principal a = who(MP_ROLE_APPLICANT, "applicant-1",
	                            "oriental", ""),
	                    b = who(MP_ROLE_ADMIN, "admin", "souss-massa",
	                            "agadir");
	struct gw_cache_req ra = req("x=1", &a), rb = req("x=1", &b),
	                    rn = req("x=1", NULL);

	ra.public_data = rb.public_data = rn.public_data = 1;
	same(ra, rb);
	same(ra, rn);
	/* but public data is never shared with the per-principal space */
	rn.public_data = 0;
	differ(ra, rn);
	/* and the rest of the key still applies */
	rb.query = "x=2";
	differ(ra, rb);
}
END_TEST

START_TEST(test_key_generation_service_path)
{
	struct gw_cache_req a = req(NULL, NULL), b = req(NULL, NULL);

	b.generation = 8;
	differ(a, b);
	ck_assert(strncmp(key(&b), "gw:c:{funding}:8:", 17) == 0);
	b = req(NULL, NULL);
	b.service = "cases";
	differ(a, b);
	b = req(NULL, NULL);
	b.path = "/v1/funding/applications/";
	differ(a, b);
	b.path = "/v1/funding/Applications";
	differ(a, b);
}
END_TEST

START_TEST(test_key_query)
{
	static const char *const eq[][2] = {
	    {"b=2&a=1", "a=1&b=2"},
	    {"%41=1", "A=1"},
	    {"a=%4a", "a=J"},
	    {"a=%4A", "a=J"},
	    {"q=a+b", "q=a%20b"},
	    {"a=1&&b=2&", "a=1&b=2"},
	    {"&&&", ""},
	    {"&a=1", "a=1"},
	    {"a=1&a=2", "a=2&a=1"},
	    {"ab=1&a=2", "a=2&ab=1"},
	    {"a=12&a=1", "a=1&a=12"},
	    {"a=1&a", "a&a=1"},
	    {"b=&a", "a&b="},
	    {"k=%E2%82%AC", "k=\xe2\x82\xac"},
	};
	static const char *const ne[][2] = {
	    {"a=1", "a=2"},
	    {"a=1", "b=1"},
	    {"a", "a="},
	    {"a=1", "a=1&a=1"},
	    {"a%3Db=c", "a=b%3Dc"},
	    {"a=b%26c=d", "a=b&c=d"},
	    {"a=%2B", "a=+"},
	    {"a=1", ""},
	    {"ab=", "a=b"},
	    {"a=A", "a=a"},
	};
	struct gw_cache_req a, b;
	size_t i;

	for (i = 0; i < sizeof(eq) / sizeof(eq[0]); i++) {
		a = req(eq[i][0], NULL);
		b = req(eq[i][1], NULL);
		same(a, b);
	}
	for (i = 0; i < sizeof(ne) / sizeof(ne[0]); i++) {
		a = req(ne[i][0], NULL);
		b = req(ne[i][1], NULL);
		differ(a, b);
	}
	same(req(NULL, NULL), req("", NULL));
}
END_TEST

START_TEST(test_key_query_limits)
{
	static char q[GW_CACHE_QUERY_MAX + 2];
	struct gw_cache_req r;
	char k[GW_CACHE_KEY_MAX];
	size_t i, o;

	r = req("a=%zz", NULL);
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.query = "a=%4";
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.query = "a=%";
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	r.query = "%g1=1";
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -EINVAL);
	/* 64 pairs accepted, 65 refused */
	for (i = 0, o = 0; i < GW_CACHE_QUERY_PAIRS; i++)
		o += (size_t)sprintf(q + o, "%sp%zu=1", i ? "&" : "", i);
	r.query = q;
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), 0);
	strcpy(q + o, "&z=1");
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -E2BIG);
	/* 4096 bytes accepted, 4097 refused */
	memset(q, 'a', sizeof(q));
	q[0] = 'x';
	q[1] = '=';
	q[GW_CACHE_QUERY_MAX] = '\0';
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), 0);
	q[GW_CACHE_QUERY_MAX] = 'a';
	q[GW_CACHE_QUERY_MAX + 1] = '\0';
	ck_assert_int_eq(gw_cache_key(&r, k, sizeof(k)), -E2BIG);
}
END_TEST

START_TEST(test_key_language)
{
	struct gw_cache_req a = req(NULL, NULL), b = req(NULL, NULL);

	a.accept_language = "fr-FR,fr;q=0.9";
	b.accept_language = "fr";
	same(a, b);
	b.accept_language = NULL; /* default: fr */
	same(a, b);
	b.accept_language = "de"; /* unsupported: default */
	same(a, b);
	b.accept_language = "ar";
	differ(a, b);
	a.accept_language = "ary, fr;q=0.5"; /* Darija -> ar */
	same(a, b);
	a.accept_language = "en-GB";
	differ(a, b);
}
END_TEST

START_TEST(test_gen_key)
{
	char k[32];

	ck_assert_int_eq(gw_cache_gen_key("funding", k, sizeof(k)), 0);
	ck_assert_str_eq(k, "gw:gen:{funding}");
	ck_assert_int_eq(gw_cache_gen_key("funding", k, 16), -ENOSPC);
	ck_assert_str_eq(k, "");
	ck_assert_int_eq(gw_cache_gen_key("funding", k, 17), 0);
	ck_assert_int_eq(gw_cache_gen_key("Funding", k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(gw_cache_gen_key("", k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(gw_cache_gen_key(NULL, k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(gw_cache_gen_key("a", NULL, 4), -EINVAL);
}
END_TEST

START_TEST(test_event_service)
{
	static const char *const bad[] = {
	    "",
	    "funding",
	    "funding.application",
	    "funding.application.submitted",
	    "funding.application.submitted.v0",
	    "funding.application.submitted.v01",
	    "funding.application.submitted.1",
	    "funding.application.submitted.vx",
	    "funding.application.submitted.v1.",
	    ".funding.application.submitted.v1",
	    "funding..submitted.v1",
	    "Funding.application.submitted.v1",
	    "funding.Application.submitted.v1",
	    "funding-x.application.submitted.v1",
	    "1funding.application.submitted.v1",
	    "funding.application.submitted.v1 ",
	    "funding.application.submitted.v1234567890",
	    "abcdefghijklmnopqrstuvwxyz0123456.a.b.v1",
	};
	char out[GW_SERVICE_MAX + 1], big[300];
	size_t i;

	ck_assert_int_eq(
	    gw_cache_event_service("funding.application.submitted.v1", out,
	                           sizeof(out)),
	    0);
	ck_assert_str_eq(out, "funding");
	ck_assert_int_eq(
	    gw_cache_event_service("cases.case.closed.v2", out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "cases");
	ck_assert_int_eq(gw_cache_event_service(
	                     "gender.indicator_set.document.rebuilt.v123456789",
	                     out, sizeof(out)),
	                 0);
	ck_assert_str_eq(out, "gender");
	ck_assert_int_eq(
	    gw_cache_event_service("abcdefghijklmnopqrstuvwxyz012345.a.b.v1",
	                           out, sizeof(out)),
	    0);
	ck_assert_uint_eq(strlen(out), 32);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(out, "junk");
		ck_assert_msg(
		    gw_cache_event_service(bad[i], out, sizeof(out)) == -EINVAL,
		    "accepted '%s'", bad[i]);
		ck_assert_str_eq(out, "");
	}
	memset(big, 'a', sizeof(big));
	memcpy(big, "funding.x.y.", 12);
	memcpy(big + 290, ".v1", 4);
	ck_assert_int_eq(gw_cache_event_service(big, out, sizeof(out)),
	                 -EINVAL);
	ck_assert_int_eq(gw_cache_event_service("funding.a.b.v1", out, 7),
	                 -ENOSPC);
	ck_assert_int_eq(gw_cache_event_service("funding.a.b.v1", out, 8), 0);
	ck_assert_int_eq(gw_cache_event_service(NULL, out, 8), -EINVAL);
	ck_assert_int_eq(gw_cache_event_service("funding.a.b.v1", NULL, 8),
	                 -EINVAL);
}
END_TEST

static struct gw_cache_control
cc(const char *h)
{
	struct gw_cache_control c;

	ck_assert_int_eq(gw_cache_control_parse(h, &c), 0);
	return c;
}

START_TEST(test_cache_control)
{
	struct gw_cache_control c;

	c = cc(NULL);
	ck_assert(!c.no_store && !c.no_cache && !c.private);
	ck_assert_int_eq(c.max_age, -1);
	ck_assert_int_eq(c.s_maxage, -1);
	c = cc("");
	ck_assert_int_eq(c.max_age, -1);
	c = cc("max-age=60");
	ck_assert_int_eq(c.max_age, 60);
	ck_assert(!c.no_store);
	c = cc("  Max-Age = \"120\" ,NO-STORE");
	ck_assert_int_eq(c.max_age, 120);
	ck_assert(c.no_store);
	c = cc("public, max-age=30, s-maxage=10, immutable");
	ck_assert_int_eq(c.max_age, 30);
	ck_assert_int_eq(c.s_maxage, 10);
	c = cc("private=\"Set-Cookie, X-Foo\", max-age=5");
	ck_assert(c.private);
	ck_assert_int_eq(c.max_age, 5); /* the comma was quoted */
	c = cc("no-cache=\"Set-Cookie\"");
	ck_assert(c.no_cache);
	c = cc(",, ,no-cache,,");
	ck_assert(c.no_cache);
	c = cc("x-ext=\"a,\\\"b\", no-store");
	ck_assert(c.no_store);
	c = cc("max-age=abc");
	ck_assert_int_eq(c.max_age, 0);
	c = cc("max-age");
	ck_assert_int_eq(c.max_age, 0);
	c = cc("max-age=-1");
	ck_assert_int_eq(c.max_age, 0);
	c = cc("max-age=1.5");
	ck_assert_int_eq(c.max_age, 0);
	c = cc("max-age=99999999999999999999");
	ck_assert_int_eq(c.max_age, INT32_MAX);
	c = cc("max-age=60, max-age=10, max-age=20");
	ck_assert_int_eq(c.max_age, 10);
	c = cc("max-age=\"60");
	ck_assert_int_eq(c.max_age, 0);
	/* junk after a known directive still counts, conservatively */
	c = cc("no-store junk, max-age=5");
	ck_assert(c.no_store);
	ck_assert_int_eq(c.max_age, 5);
	c = cc("max-age=5 junk");
	ck_assert_int_eq(c.max_age, 0);
	/* unknown and broken elements are skipped */
	c = cc("foo, =bar, \"x\", max-age=7");
	ck_assert_int_eq(c.max_age, 7);
	c = cc("no-storex, xno-store, private-ish");
	ck_assert(!c.no_store && !c.private);
	ck_assert_int_eq(gw_cache_control_parse("x", NULL), -EINVAL);
}
END_TEST

START_TEST(test_request_mode)
{
	struct gw_cache_control c;
	int use, store;

	ck_assert_int_eq(gw_cache_request_mode(NULL, &use, &store), 0);
	ck_assert(use && store);
	c = cc("max-age=60");
	gw_cache_request_mode(&c, &use, &store);
	ck_assert(use && store);
	c = cc("no-cache");
	gw_cache_request_mode(&c, &use, &store);
	ck_assert(!use && store);
	c = cc("max-age=0");
	gw_cache_request_mode(&c, &use, &store);
	ck_assert(!use && store);
	c = cc("no-store");
	gw_cache_request_mode(&c, &use, &store);
	ck_assert(!use && !store);
	ck_assert_int_eq(gw_cache_request_mode(&c, NULL, &store), -EINVAL);
}
END_TEST

static int
ttl(int status, int route, const char *h)
{
	struct gw_cache_control c;
	int t = -5;

	if (h == NULL) {
		ck_assert_int_eq(gw_cache_response_ttl(status, route, NULL, &t),
		                 0);
	} else {
		c = cc(h);
		ck_assert_int_eq(gw_cache_response_ttl(status, route, &c, &t),
		                 0);
	}
	return t;
}

START_TEST(test_response_ttl)
{
	int t;

	ck_assert_int_eq(ttl(200, 60, NULL), 60);
	ck_assert_int_eq(ttl(200, 60, ""), 60);
	ck_assert_int_eq(ttl(200, 60, "max-age=10"), 10);
	ck_assert_int_eq(ttl(200, 60, "max-age=600"), 60);
	ck_assert_int_eq(ttl(200, 60, "max-age=0"), 0);
	ck_assert_int_eq(ttl(200, 60, "max-age=600, s-maxage=5"), 5);
	ck_assert_int_eq(ttl(200, 60, "max-age=5, s-maxage=50"), 50);
	ck_assert_int_eq(ttl(200, 60, "no-store"), 0);
	ck_assert_int_eq(ttl(200, 60, "private, max-age=30"), 0);
	ck_assert_int_eq(ttl(200, 60, "no-cache"), 0);
	ck_assert_int_eq(ttl(200, 60, "public"), 60);
	ck_assert_int_eq(ttl(404, 60, NULL), 60);
	ck_assert_int_eq(ttl(410, 60, NULL), 60);
	ck_assert_int_eq(ttl(204, 60, NULL), 60);
	ck_assert_int_eq(ttl(201, 60, NULL), 0);
	ck_assert_int_eq(ttl(206, 60, NULL), 0);
	ck_assert_int_eq(ttl(302, 60, NULL), 0);
	ck_assert_int_eq(ttl(304, 60, NULL), 0);
	ck_assert_int_eq(ttl(400, 60, NULL), 0);
	ck_assert_int_eq(ttl(500, 60, NULL), 0);
	ck_assert_int_eq(ttl(503, 60, "max-age=10"), 0);
	ck_assert_int_eq(ttl(200, 0, NULL), 0);
	ck_assert_int_eq(gw_cache_response_ttl(200, -1, NULL, &t), -EINVAL);
	ck_assert_int_eq(gw_cache_response_ttl(200, 1, NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_etag)
{
	char e[GW_ETAG_LEN], small[GW_ETAG_LEN - 1];

	ck_assert_int_eq(gw_etag("", 0, e, sizeof(e)), 0);
	ck_assert_str_eq(e, "\"e3b0c44298fc1c149afbf4c8996fb924\"");
	ck_assert_int_eq(gw_etag(NULL, 0, e, sizeof(e)), 0);
	ck_assert_str_eq(e, "\"e3b0c44298fc1c149afbf4c8996fb924\"");
	ck_assert_int_eq(gw_etag("abc", 3, e, sizeof(e)), 0);
	ck_assert_str_eq(e, "\"ba7816bf8f01cfea414140de5dae2223\"");
	ck_assert_uint_eq(strlen(e), 34);
	/* binary-safe */
	ck_assert_int_eq(gw_etag("a\0b", 3, e, sizeof(e)), 0);
	ck_assert_str_ne(e, "\"ca978112ca1bbdcafac231b39a23dc4d\""); /* "a" */
	ck_assert_int_eq(gw_etag("abc", 3, small, sizeof(small)), -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(gw_etag(NULL, 1, e, sizeof(e)), -EINVAL);
	ck_assert_int_eq(gw_etag("a", 1, NULL, 40), -EINVAL);
}
END_TEST

START_TEST(test_etag_match)
{
	const char *e = "\"ba7816bf8f01cfea414140de5dae2223\"";

	ck_assert_int_eq(gw_etag_match(e, e), 1);
	ck_assert_int_eq(gw_etag_match("*", e), 1);
	ck_assert_int_eq(gw_etag_match("  * ", e), 1);
	ck_assert_int_eq(
	    gw_etag_match("W/\"ba7816bf8f01cfea414140de5dae2223\"", e), 1);
	ck_assert_int_eq(
	    gw_etag_match(e, "W/\"ba7816bf8f01cfea414140de5dae2223\""), 1);
	ck_assert_int_eq(
	    gw_etag_match(
	        "\"x\", W/\"y\" ,\"ba7816bf8f01cfea414140de5dae2223\"", e),
	    1);
	ck_assert_int_eq(
	    gw_etag_match("\"x\",,\"ba7816bf8f01cfea414140de5dae2223\", ", e),
	    1);
	/* no match */
	ck_assert_int_eq(gw_etag_match("\"x\", W/\"y\"", e), 0);
	ck_assert_int_eq(gw_etag_match("", e), 0);
	ck_assert_int_eq(gw_etag_match(NULL, e), 0);
	ck_assert_int_eq(
	    gw_etag_match("\"ba7816bf8f01cfea414140de5dae222\"", e), 0);
	ck_assert_int_eq(
	    gw_etag_match("\"BA7816BF8F01CFEA414140DE5DAE2223\"", e), 0);
	/* malformed headers match nothing, even with a matching member */
	ck_assert_int_eq(gw_etag_match("ba7816bf8f01cfea414140de5dae2223", e),
	                 0);
	ck_assert_int_eq(gw_etag_match("\"ba7816bf8f01cfea414140de5dae2223", e),
	                 0);
	ck_assert_int_eq(
	    gw_etag_match("\"ba7816bf8f01cfea414140de5dae2223\" junk", e), 0);
	ck_assert_int_eq(
	    gw_etag_match("\"x\" \"ba7816bf8f01cfea414140de5dae2223\"", e), 0);
	ck_assert_int_eq(
	    gw_etag_match("w/\"ba7816bf8f01cfea414140de5dae2223\"", e), 0);
	ck_assert_int_eq(gw_etag_match("*, \"x\"", e), 0);
	ck_assert_int_eq(gw_etag_match("\"a b\"", "\"a b\""), 0);
	/* our own etag must be an entity-tag */
	ck_assert_int_eq(gw_etag_match("*", "abc"), 0);
	ck_assert_int_eq(gw_etag_match("*", NULL), 0);
	ck_assert_int_eq(gw_etag_match("\"\"", "\"\""), 1);
	ck_assert_int_eq(gw_etag_match("\"\xc3\xa9\"", "W/\"\xc3\xa9\""), 1);
}
END_TEST

static size_t
encode(const struct gw_cache_entry *e, unsigned char *buf, size_t cap)
{
	size_t len = 0;

	ck_assert_int_eq(gw_cache_entry_encode(e, buf, cap, &len), 0);
	return len;
}

/* A stored value: the generation it was read under, then the entry. */
START_TEST(test_value_round_trip_and_garbage)
{
	struct gw_cache_entry e = {200, "application/json", "\"v1\"", "{}", 2},
	                      d;
	static const char *const bad[] = {"",
	                                  " ",
	                                  "x GWC",
	                                  "01 GWC",
	                                  "123456789012345678901 GWC",
	                                  "18446744073709551616 GWC",
	                                  "7",
	                                  "7GWC",
	                                  NULL};
	unsigned char buf[256];
	uint64_t g = 0;
	size_t len = 0, need = 0;

	ck_assert_int_eq(gw_cache_value_encode(42, &e, NULL, 0, &need),
	                 -ENOSPC);
	ck_assert_int_eq(gw_cache_value_encode(42, &e, buf, sizeof(buf), &len),
	                 0);
	ck_assert_uint_eq(len, need);
	ck_assert(memcmp(buf, "42 GWC", 6) == 0);
	ck_assert_int_eq(gw_cache_value_decode(buf, len, &g, &d), 0);
	ck_assert_uint_eq(g, 42);
	ck_assert_int_eq(d.status, 200);
	ck_assert_str_eq(d.etag, "\"v1\"");
	ck_assert_uint_eq(d.body_len, 2);
	/* the largest generation still fits */
	ck_assert_int_eq(
	    gw_cache_value_encode(UINT64_MAX, &e, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(gw_cache_value_decode(buf, len, &g, &d), 0);
	ck_assert_uint_eq(g, UINT64_MAX);
	/* a truncated entry after a good prefix */
	ck_assert_int_eq(gw_cache_value_decode(buf, len - 1, &g, &d), -EINVAL);
	for (int i = 0; bad[i] != NULL; i++)
		ck_assert_int_eq(
		    gw_cache_value_decode(bad[i], strlen(bad[i]), &g, &d),
		    -EINVAL);
}
END_TEST

START_TEST(test_entry_round_trip)
{
	static const char body[] = "{\"a\":1}\0binary\xff";
	struct gw_cache_entry e = {200, "application/json; charset=utf-8",
	                           "\"ba7816bf8f01cfea414140de5dae2223\"", body,
	                           sizeof(body)},
	                      d;
	unsigned char buf[512];
	size_t len, need = 0;

	len = encode(&e, buf, sizeof(buf));
	ck_assert_uint_eq(len, 16 + strlen(e.content_type) + strlen(e.etag) +
	                           sizeof(body));
	ck_assert(memcmp(buf, "GWC\x01\x00\xc8", 6) == 0);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(gw_cache_entry_decode(buf, len, &d), 0);
	ck_assert_int_eq(d.status, 200);
	ck_assert_str_eq(d.content_type, e.content_type);
	ck_assert_str_eq(d.etag, e.etag);
	ck_assert_uint_eq(d.body_len, sizeof(body));
	ck_assert(memcmp(d.body, body, sizeof(body)) == 0);
	/* pointers borrow from the buffer */
	ck_assert(d.content_type > (const char *)buf &&
	          d.content_type < (const char *)buf + len);
	/* size query and exact fit */
	ck_assert_int_eq(gw_cache_entry_encode(&e, NULL, 0, &need), -ENOSPC);
	ck_assert_uint_eq(need, len);
	ck_assert_int_eq(gw_cache_entry_encode(&e, buf, len - 1, &need),
	                 -ENOSPC);
	ck_assert_int_eq(gw_cache_entry_encode(&e, buf, len, &need), 0);
	/* empty everything: 204 */
	e.status = 204;
	e.content_type = NULL;
	e.etag = "";
	e.body = NULL;
	e.body_len = 0;
	len = encode(&e, buf, sizeof(buf));
	ck_assert_uint_eq(len, 16);
	ck_assert_int_eq(gw_cache_entry_decode(buf, len, &d), 0);
	ck_assert_int_eq(d.status, 204);
	ck_assert_str_eq(d.content_type, "");
	ck_assert_str_eq(d.etag, "");
	ck_assert_ptr_null(d.body);
	ck_assert_uint_eq(d.body_len, 0);
}
END_TEST

START_TEST(test_entry_encode_refuses)
{
	char big[GW_CACHE_HDR_MAX + 2];
	struct gw_cache_entry e = {200, "text/plain", "", "x", 1}, t;
	unsigned char buf[1024];
	size_t len;

	t = e;
	t.status = 99;
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t.status = 600;
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = e;
	t.content_type = "text/plain\r\nSet-Cookie: x=1";
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = e;
	t.etag = "\"a\"\n";
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	memset(big, 'a', sizeof(big));
	big[GW_CACHE_HDR_MAX] = '\0';
	t = e;
	t.content_type = big;
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len), 0);
	big[GW_CACHE_HDR_MAX] = 'a';
	big[GW_CACHE_HDR_MAX + 1] = '\0';
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = e;
	t.body = NULL;
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = e;
	t.body_len = GW_CACHE_BODY_MAX + 1;
	ck_assert_int_eq(gw_cache_entry_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	ck_assert_int_eq(gw_cache_entry_encode(NULL, buf, sizeof(buf), &len),
	                 -EINVAL);
	ck_assert_int_eq(gw_cache_entry_encode(&e, buf, sizeof(buf), NULL),
	                 -EINVAL);
	ck_assert_int_eq(gw_cache_entry_encode(&e, NULL, 10, &len), -EINVAL);
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* A decoded entry must re-encode to exactly the bytes it came from. */
static void
check_canonical(const unsigned char *buf, size_t len)
{
	struct gw_cache_entry d;
	unsigned char again[2048];
	size_t n;

	memset(&d, 0xa5, sizeof(d));
	if (gw_cache_entry_decode(buf, len, &d) != 0) {
		ck_assert_int_eq(d.status, (int)0xa5a5a5a5); /* untouched */
		return;
	}
	ck_assert_int_eq(gw_cache_entry_encode(&d, again, sizeof(again), &n),
	                 0);
	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(again, buf, len) == 0);
}

START_TEST(test_entry_decode_garbage)
{
	static const char body[] = "hello, world";
	struct gw_cache_entry e = {404, "application/problem+json", "\"e\"",
	                           body, sizeof(body) - 1},
	                      d;
	unsigned char good[256], buf[512], *heap;
	size_t len, i, n, k;
	int accepted = 0;

	len = encode(&e, good, sizeof(good));
	/* every truncation, and one extra byte, is refused; each in its
	 * own heap block so ASan sees any over-read */
	for (i = 0; i < len; i++) {
		heap = malloc(i + 1);
		memcpy(heap, good, i);
		ck_assert_int_eq(gw_cache_entry_decode(heap, i, &d), -EINVAL);
		free(heap);
	}
	memcpy(buf, good, len);
	buf[len] = 0;
	ck_assert_int_eq(gw_cache_entry_decode(buf, len + 1, &d), -EINVAL);
	ck_assert_int_eq(gw_cache_entry_decode(NULL, len, &d), -EINVAL);
	ck_assert_int_eq(gw_cache_entry_decode(good, len, NULL), -EINVAL);
	/* targeted corruptions */
	memcpy(buf, good, len);
	buf[3] = 2; /* version */
	ck_assert_int_eq(gw_cache_entry_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[4] = 0x03, buf[5] = 0x00; /* status 768 */
	ck_assert_int_eq(gw_cache_entry_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[8] = '\n'; /* CR/LF in the content type */
	ck_assert_int_eq(gw_cache_entry_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[8 + strlen(e.content_type)] = 'x'; /* terminator */
	ck_assert_int_eq(gw_cache_entry_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[len - sizeof(body) + 1 - 4] = 0xff; /* body length */
	ck_assert_int_eq(gw_cache_entry_decode(buf, len, &d), -EINVAL);
	/* 1000 random buffers, with and without a valid magic */
	for (i = 0; i < 1000; i++) {
		n = rnd() % 64;
		heap = malloc(n + 1);
		for (k = 0; k < n; k++)
			heap[k] = (unsigned char)rnd();
		if (i % 2 == 0 && n >= 4)
			memcpy(heap, "GWC\x01", 4);
		check_canonical(heap, n);
		free(heap);
	}
	/* 1000 mutations of a valid entry: refused or canonical */
	for (i = 0; i < 1000; i++) {
		memcpy(buf, good, len);
		k = 1 + rnd() % 3;
		while (k-- > 0)
			buf[rnd() % len] = (unsigned char)rnd();
		n = len - (rnd() % 4 == 0 ? rnd() % len : 0);
		heap = malloc(n + 1);
		memcpy(heap, buf, n);
		if (gw_cache_entry_decode(heap, n, &d) == 0)
			accepted++;
		check_canonical(heap, n);
		free(heap);
	}
	/* some mutations land in the body and stay valid */
	ck_assert_int_gt(accepted, 0);
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite *s = suite_create("gateway_cache");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_key_format);
	tcase_add_test(tc, test_key_memo);
	tcase_add_test(tc, test_sb);
	tcase_add_test(tc, test_key_bad_input);
	tcase_add_test(tc, test_key_principal);
	tcase_add_test(tc, test_key_own_objects);
	tcase_add_test(tc, test_key_public_data);
	tcase_add_test(tc, test_key_generation_service_path);
	tcase_add_test(tc, test_key_query);
	tcase_add_test(tc, test_key_query_limits);
	tcase_add_test(tc, test_key_language);
	tcase_add_test(tc, test_gen_key);
	tcase_add_test(tc, test_event_service);
	tcase_add_test(tc, test_cache_control);
	tcase_add_test(tc, test_request_mode);
	tcase_add_test(tc, test_response_ttl);
	tcase_add_test(tc, test_etag);
	tcase_add_test(tc, test_etag_match);
	tcase_add_test(tc, test_entry_round_trip);
	tcase_add_test(tc, test_entry_encode_refuses);
	tcase_add_test(tc, test_entry_decode_garbage);
	tcase_add_test(tc, test_value_round_trip_and_garbage);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
