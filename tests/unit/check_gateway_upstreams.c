/*
 * The gateway's upstreams and the route tables they serve: MP_UPSTREAMS
 * (replicas, names, URLs), the /_routes document into gateway routes
 * (every fact, and a malformed table refused whole), the registry that
 * hands new tables to the event loop.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/principal.h"

#include "edge/route_table.h"
#include "proxy/upstream_conf.h"

static struct gw_upstream_conf ups[GW_UPSTREAMS_MAX];

static int
parse(const char *spec, int *n)
{
	char err[256];

	return gw_upstreams_parse(spec, ups, GW_UPSTREAMS_MAX, n, err,
	                          sizeof(err));
}

START_TEST(test_upstreams_list)
{
	int n = -1;

	ck_assert_int_eq(parse(NULL, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(parse("", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(parse("funding=http://a:1/,http://b:2 , cases=,"
	                       "gender=https://g.example",
	                       &n),
	                 0);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(ups[0].name, "funding");
	ck_assert_int_eq(ups[0].nreplicas, 2);
	ck_assert_str_eq(ups[0].base[0], "http://a:1");
	ck_assert_str_eq(ups[0].base[1], "http://b:2");
	ck_assert_str_eq(ups[1].name, "cases");
	ck_assert_int_eq(ups[1].nreplicas, 0);
	ck_assert_str_eq(ups[2].base[0], "https://g.example");
}
END_TEST

START_TEST(test_upstreams_refused)
{
	static const char *const bad[] = {
	    "http://a:1",                 /* a replica before any name */
	    "Funding=http://a",           /* not a name */
	    "1x=http://a",                /* not a name */
	    "funding=ftp://a",            /* not http(s) */
	    "funding=http://",            /* no host */
	    "funding=http://a?x=1",       /* a query */
	    "funding=http://a b",         /* a blank */
	    "funding=http://a,funding=",  /* named twice */
	    "funding=http://a,http://a/", /* a replica twice */
	    "funding=http://a,,cases=",   /* an empty item */
	};
	int n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &n) == -EINVAL, "%s", bad[i]);
}
END_TEST

static const char good[] =
    "[{\"method\":\"GET\",\"path\":\"/v1/svc/items\",\"public\":true,"
    "\"prefix\":false,\"roles\":[],\"scopes\":[\"svc:read\",\"x:y\"],"
    "\"cache_ttl_s\":60,\"public_data\":true,\"rate_class\":\"default\"},"
    "{\"method\":\"POST\",\"path\":\"/v1/svc/items/{id}\",\"public\":false,"
    "\"prefix\":false,\"roles\":[\"council_officer\",\"admin\"],"
    "\"scopes\":[],\"cache_ttl_s\":0,\"public_data\":false,"
    "\"rate_class\":\"auth\",\"repeats\":true},"
    "{\"method\":\"*\",\"path\":\"/v1/svc/raw\",\"public\":false,"
    "\"prefix\":true}]";

START_TEST(test_table_facts)
{
	struct gw_route_table *t = NULL;
	char err[256];

	ck_assert_int_eq(gw_route_table_parse("svc", "\"v1\"", good,
	                                      strlen(good), &t, err,
	                                      sizeof(err)),
	                 0);
	ck_assert_uint_eq(t->n, 3);
	ck_assert_str_eq(t->version, "\"v1\"");
	ck_assert_uint_eq(t->routes[0].methods, GW_M_GET);
	ck_assert_uint_eq(t->routes[0].flags,
	                  GW_R_PUBLIC | GW_R_CACHEABLE | GW_R_PUBLIC_DATA);
	ck_assert_int_eq(t->routes[0].ttl_s, 60);
	ck_assert_str_eq(t->routes[0].scopes, "svc:read x:y");
	ck_assert_str_eq(t->routes[0].upstream, "svc");
	ck_assert_uint_eq(t->routes[1].roles,
	                  MP_ROLE_COUNCIL_OFFICER | MP_ROLE_ADMIN);
	ck_assert_ptr_null(t->routes[1].scopes);
	ck_assert_int_eq(t->routes[1].rate_class, GW_RC_AUTH);
	ck_assert_uint_eq(t->routes[1].flags, GW_R_REPEATS);
	ck_assert_uint_eq(t->routes[2].methods, GW_M_ALL);
	ck_assert_str_eq(t->routes[2].pattern, "/v1/svc/raw/**");
	gw_route_table_release(t);
}
END_TEST

START_TEST(test_table_refused_whole)
{
	static const char *const bad[] = {
	    "not json",
	    "{}",
	    "[{\"path\":\"/v1/svc/a\"}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/other/a\"}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svcx/a\"}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svc/"
	    "a\",\"roles\":[\"boss\"]}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svc/"
	    "a\",\"roles\":[\"client\"]}]",
	    "[{\"method\":\"POST\",\"path\":\"/v1/svc/a\",\"cache_ttl_s\":5}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svc/a\",\"cache_ttl_s\":-1}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svc/"
	    "a\",\"rate_class\":\"x\"}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svc/a\",\"scopes\":[\"A "
	    "B\"]}]",
	    "[{\"method\":\"TRACE\",\"path\":\"/v1/svc/a\"}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svc/{}\"}]",
	    "[{\"method\":\"GET\",\"path\":\"/v1/svc/a\"},"
	    "{\"method\":\"GET\",\"path\":\"/v1/svc/a\"}]",
	};
	struct gw_route_table *t;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = (struct gw_route_table *)1;
		err[0] = '\0';
		ck_assert_msg(gw_route_table_parse("svc", NULL, bad[i],
		                                   strlen(bad[i]), &t, err,
		                                   sizeof(err)) == -EINVAL,
		              "%s", bad[i]);
		ck_assert_ptr_null(t);
		ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
	}
}
END_TEST

START_TEST(test_registry)
{
	static const char *const names[] = {"svc", "other"};
	struct gw_route_table *a, *b;
	char err[256];

	ck_assert_int_eq(gw_routes_setup(names, 2), 0);
	ck_assert_int_eq(gw_routes_index("/v1/svc"), 0);
	ck_assert_int_eq(gw_routes_index("/v1/svc/items/1"), 0);
	ck_assert_int_eq(gw_routes_index("/v1/other/x"), 1);
	ck_assert_int_eq(gw_routes_index("/v1/svcx/a"), -1);
	ck_assert_int_eq(gw_routes_index("/v2/svc/a"), -1);
	ck_assert_ptr_null(gw_routes_current(0));
	ck_assert_int_eq(gw_route_table_parse("svc", "a", good, strlen(good),
	                                      &a, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(gw_route_table_parse("svc", "b", good, strlen(good),
	                                      &b, err, sizeof(err)),
	                 0);
	gw_routes_offer(0, a);
	ck_assert_ptr_eq(gw_routes_current(0), a);
	gw_route_table_hold(a); /* a request in flight keeps a */
	gw_routes_offer(0, b);
	ck_assert_ptr_eq(gw_routes_current(0), b);
	ck_assert_str_eq(a->version, "a"); /* still alive */
	gw_route_table_release(a);         /* the request is done */
	ck_assert_ptr_eq(gw_routes_current(1), NULL);
}
END_TEST

static Suite *
upstreams_suite(void)
{
	Suite *s = suite_create("gateway_upstreams");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_upstreams_list);
	tcase_add_test(tc, test_upstreams_refused);
	tcase_add_test(tc, test_table_facts);
	tcase_add_test(tc, test_table_refused_whole);
	tcase_add_test(tc, test_registry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(upstreams_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
