/*
 * Gateway rate limits: windows and their edges, decisions at the limit,
 * the RateLimit header text, the policy spec, whom a request counts
 * against, and that keys never carry the identity in clear.
 */
#include <check.h>
#include <sodium.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/principal.h"

#include "edge/ratelimit.h"

static const struct gw_rate_policy def = {"default", 300, 60};

static struct gw_rate_decision
decide(int64_t count, const struct gw_rate_policy *p, int64_t now_ms)
{
	struct gw_rate_decision d;

	ck_assert_int_eq(gw_rate_decide(count, p, now_ms, &d), 0);
	ck_assert_int_ge(d.remaining, 0);
	ck_assert_int_ge(d.reset_s, 1);
	ck_assert_int_le(d.reset_s, p->window_s);
	ck_assert_int_eq(d.limit, p->limit);
	return d;
}

START_TEST(test_window)
{
	int64_t w, r;

	/* start of a window: the whole window remains */
	ck_assert_int_eq(gw_rate_window(60000, &def, &w, &r), 0);
	ck_assert_int_eq(w, 1);
	ck_assert_int_eq(r, 60);
	/* 1 ms later: rounded up, still 60 */
	ck_assert_int_eq(gw_rate_window(60001, &def, &w, &r), 0);
	ck_assert_int_eq(w, 1);
	ck_assert_int_eq(r, 60);
	/* 1 ms before the end: at least 1 */
	ck_assert_int_eq(gw_rate_window(119999, &def, &w, &r), 0);
	ck_assert_int_eq(w, 1);
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(gw_rate_window(119000, &def, &w, &r), 0);
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(gw_rate_window(118999, &def, &w, &r), 0);
	ck_assert_int_eq(r, 2);
	/* the edge belongs to the next window */
	ck_assert_int_eq(gw_rate_window(120000, &def, &w, &r), 0);
	ck_assert_int_eq(w, 2);
	ck_assert_int_eq(r, 60);
	ck_assert_int_eq(gw_rate_window(0, &def, &w, &r), 0);
	ck_assert_int_eq(w, 0);
	ck_assert_int_eq(r, 60);
	/* a realistic time, and the far end of int64 without overflow */
	ck_assert_int_eq(gw_rate_window(1764400000123LL, &def, &w, &r), 0);
	ck_assert_int_eq(w, 1764400000123LL / 60000);
	ck_assert_int_eq(r, 60 - (1764400000123LL % 60000) / 1000);
	ck_assert_int_eq(gw_rate_window(INT64_MAX, &def, &w, &r), 0);
	ck_assert_int_eq(w, INT64_MAX / 60000);
	ck_assert_int_ge(r, 1);
	/* one-second windows */
	{
		struct gw_rate_policy s = {"s", 5, 1};

		ck_assert_int_eq(gw_rate_window(1999, &s, &w, &r), 0);
		ck_assert_int_eq(w, 1);
		ck_assert_int_eq(r, 1);
	}
	ck_assert_int_eq(gw_rate_window(-1, &def, &w, &r), -EINVAL);
	ck_assert_int_eq(gw_rate_window(0, NULL, &w, &r), -EINVAL);
	ck_assert_int_eq(gw_rate_window(0, &def, NULL, &r), -EINVAL);
	ck_assert_int_eq(gw_rate_window(0, &def, &w, NULL), -EINVAL);
}
END_TEST

START_TEST(test_decide_boundaries)
{
	struct gw_rate_policy p = {"auth", 10, 60};
	struct gw_rate_decision d;

	d = decide(1, &p, 30000);
	ck_assert(d.allowed);
	ck_assert_int_eq(d.remaining, 9);
	ck_assert_int_eq(d.reset_s, 30);
	ck_assert_int_eq(d.retry_after_s, 0);
	d = decide(9, &p, 30000);
	ck_assert(d.allowed);
	ck_assert_int_eq(d.remaining, 1);
	/* exactly the limit passes */
	d = decide(10, &p, 30000);
	ck_assert(d.allowed);
	ck_assert_int_eq(d.remaining, 0);
	ck_assert_int_eq(d.retry_after_s, 0);
	/* one more is refused, until the window ends */
	d = decide(11, &p, 30000);
	ck_assert(!d.allowed);
	ck_assert_int_eq(d.remaining, 0);
	ck_assert_int_eq(d.reset_s, 30);
	ck_assert_int_eq(d.retry_after_s, 30);
	d = decide(1000000, &p, 59999);
	ck_assert(!d.allowed);
	ck_assert_int_eq(d.remaining, 0);
	ck_assert_int_eq(d.retry_after_s, 1);
	d = decide(INT64_MAX, &p, 0);
	ck_assert(!d.allowed);
	ck_assert_int_eq(d.retry_after_s, 60);
	/* limit 1 */
	p.limit = 1;
	ck_assert(decide(1, &p, 0).allowed);
	ck_assert(!decide(2, &p, 0).allowed);
	/* the largest limit */
	p.limit = GW_RATE_LIMIT_MAX;
	d = decide(1, &p, 0);
	ck_assert_int_eq(d.remaining, GW_RATE_LIMIT_MAX - 1);
	/* refused inputs; d untouched */
	memset(&d, 0x11, sizeof(d));
	ck_assert_int_eq(gw_rate_decide(0, &p, 0, &d), -EINVAL);
	ck_assert_int_eq(gw_rate_decide(-1, &p, 0, &d), -EINVAL);
	ck_assert_int_eq(gw_rate_decide(1, &p, -5, &d), -EINVAL);
	ck_assert_int_eq(gw_rate_decide(1, NULL, 0, &d), -EINVAL);
	ck_assert_int_eq(gw_rate_decide(1, &p, 0, NULL), -EINVAL);
	p.limit = 0;
	ck_assert_int_eq(gw_rate_decide(1, &p, 0, &d), -EINVAL);
	p.limit = GW_RATE_LIMIT_MAX + 1;
	ck_assert_int_eq(gw_rate_decide(1, &p, 0, &d), -EINVAL);
	p.limit = 5;
	p.window_s = 0;
	ck_assert_int_eq(gw_rate_decide(1, &p, 0, &d), -EINVAL);
	p.window_s = GW_RATE_WINDOW_MAX + 1;
	ck_assert_int_eq(gw_rate_decide(1, &p, 0, &d), -EINVAL);
	p.window_s = 60;
	p.name = "Bad Name";
	ck_assert_int_eq(gw_rate_decide(1, &p, 0, &d), -EINVAL);
	ck_assert_int_eq(d.remaining, 0x1111111111111111LL);
}
END_TEST

START_TEST(test_headers)
{
	char pol[GW_RATE_HEADER_MAX], lim[GW_RATE_HEADER_MAX], tiny[8];
	struct gw_rate_decision d;
	struct gw_rate_policy big = {"abcdefghijklmnopqrstuvwxyz012345",
	                             GW_RATE_LIMIT_MAX, GW_RATE_WINDOW_MAX};

	d = decide(1, &def, 30000);
	ck_assert_int_eq(
	    gw_rate_headers(&def, &d, pol, sizeof(pol), lim, sizeof(lim)), 0);
	ck_assert_str_eq(pol, "\"default\";q=300;w=60");
	ck_assert_str_eq(lim, "\"default\";r=299;t=30");
	d = decide(301, &def, 59500);
	ck_assert_int_eq(
	    gw_rate_headers(&def, &d, pol, sizeof(pol), lim, sizeof(lim)), 0);
	ck_assert_str_eq(lim, "\"default\";r=0;t=1");
	/* one output only */
	ck_assert_int_eq(gw_rate_headers(&def, &d, NULL, 0, lim, sizeof(lim)),
	                 0);
	ck_assert_int_eq(gw_rate_headers(&def, &d, pol, sizeof(pol), NULL, 0),
	                 0);
	/* the widest values fit GW_RATE_HEADER_MAX */
	d = decide(1, &big, 0);
	ck_assert_int_eq(
	    gw_rate_headers(&big, &d, pol, sizeof(pol), lim, sizeof(lim)), 0);
	ck_assert_str_eq(pol, "\"abcdefghijklmnopqrstuvwxyz012345\";"
	                      "q=1000000000;w=86400");
	ck_assert_str_eq(lim, "\"abcdefghijklmnopqrstuvwxyz012345\";"
	                      "r=999999999;t=86400");
	ck_assert_int_eq(gw_rate_headers(&def, &d, tiny, sizeof(tiny), NULL, 0),
	                 -ENOSPC);
	ck_assert_str_eq(tiny, "");
	ck_assert_int_eq(gw_rate_headers(&def, &d, NULL, 0, tiny, sizeof(tiny)),
	                 -ENOSPC);
	ck_assert_str_eq(tiny, "");
	ck_assert_int_eq(gw_rate_headers(NULL, &d, pol, sizeof(pol), NULL, 0),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_headers(&def, NULL, pol, sizeof(pol), NULL, 0),
	                 -EINVAL);
	d.remaining = -1;
	ck_assert_int_eq(gw_rate_headers(&def, &d, pol, sizeof(pol), NULL, 0),
	                 -EINVAL);
}
END_TEST

START_TEST(test_policies_parse)
{
	struct gw_rate_policy p[GW_RC_COUNT];
	char err[128];
	int i;

	gw_rate_policies_default(p);
	ck_assert_str_eq(p[GW_RC_DEFAULT].name, "default");
	ck_assert_int_eq(p[GW_RC_DEFAULT].limit, 300);
	ck_assert_int_eq(p[GW_RC_AUTH].limit, 10);
	ck_assert_int_eq(p[GW_RC_WRITE].limit, 60);
	for (i = 0; i < GW_RC_COUNT; i++) {
		ck_assert_str_eq(p[i].name,
		                 gw_rate_class_name((enum gw_rate_class)i));
		ck_assert_int_eq(p[i].window_s, 60);
	}
	ck_assert_ptr_null(gw_rate_class_name(GW_RC_COUNT));
	ck_assert_ptr_null(gw_rate_class_name((enum gw_rate_class) - 1));

	ck_assert_int_eq(gw_rate_policies_parse("default=1000/3600, auth=5/1 ,"
	                                        "write=7/86400",
	                                        p, err, sizeof(err)),
	                 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(p[GW_RC_DEFAULT].limit, 1000);
	ck_assert_int_eq(p[GW_RC_DEFAULT].window_s, 3600);
	ck_assert_int_eq(p[GW_RC_AUTH].limit, 5);
	ck_assert_int_eq(p[GW_RC_AUTH].window_s, 1);
	ck_assert_int_eq(p[GW_RC_WRITE].window_s, 86400);
	ck_assert_str_eq(p[GW_RC_WRITE].name, "write");
	/* a partial spec keeps the built-ins for the rest */
	ck_assert_int_eq(
	    gw_rate_policies_parse("auth=3/10", p, err, sizeof(err)), 0);
	ck_assert_int_eq(p[GW_RC_AUTH].limit, 3);
	ck_assert_int_eq(p[GW_RC_DEFAULT].limit, 300);
	ck_assert_int_eq(p[GW_RC_WRITE].limit, 60);
	/* blank specs are the built-ins */
	ck_assert_int_eq(gw_rate_policies_parse(NULL, p, err, sizeof(err)), 0);
	ck_assert_int_eq(p[GW_RC_AUTH].limit, 10);
	ck_assert_int_eq(gw_rate_policies_parse("  \t", p, NULL, 0), 0);
	ck_assert_int_eq(gw_rate_policies_parse("", p, NULL, 0), 0);
	ck_assert_int_eq(
	    gw_rate_policies_parse("default=1000000000/86400", p, NULL, 0), 0);
	ck_assert_int_eq(gw_rate_policies_parse("x", NULL, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_policies_parse_errors)
{
	static const struct {
		const char *spec, *entry;
	} bad[] = {
	    {"default=300", "'default=300'"},
	    {"default=300/60,", "''"},
	    {",auth=1/1", "''"},
	    {"default=300/60,,auth=1/1", "''"},
	    {"burst=5/1", "'burst=5/1'"},
	    {"Default=5/1", "'Default=5/1'"},
	    {"auth=0/60", "'auth=0/60'"},
	    {"auth=-1/60", "'auth=-1/60'"},
	    {"auth=+1/60", "'auth=+1/60'"},
	    {"auth=01/60", "'auth=01/60'"},
	    {"auth=1/0", "'auth=1/0'"},
	    {"auth=1/86401", "'auth=1/86401'"},
	    {"auth=1000000001/60", "'auth=1000000001/60'"},
	    {"auth=99999999999999999999/60", "'auth=99999999999999999999/60'"},
	    {"auth=1 /60", "'auth=1 /60'"},
	    {"auth=1/60s", "'auth=1/60s'"},
	    {"auth=1/60/60", "'auth=1/60/60'"},
	    {"auth=/60", "'auth=/60'"},
	    {"auth=1/", "'auth=1/'"},
	    {"auth 5/60", "'auth 5/60'"},
	    {"=5/60", "'=5/60'"},
	    {"auth=5/60,default=1/1,auth=6/60", "'auth=6/60'"},
	};
	struct gw_rate_policy p[GW_RC_COUNT];
	char err[160];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gw_rate_policies_default(p);
		p[GW_RC_AUTH].limit = 4242; /* must stay untouched */
		err[0] = '\0';
		ck_assert_msg(gw_rate_policies_parse(bad[i].spec, p, err,
		                                     sizeof(err)) == -EINVAL,
		              "accepted '%s'", bad[i].spec);
		ck_assert_msg(strstr(err, bad[i].entry) != NULL,
		              "'%s': message '%s' does not name %s",
		              bad[i].spec, err, bad[i].entry);
		ck_assert(strncmp(err, "bad rate-limit entry ", 21) == 0);
		ck_assert_int_eq(p[GW_RC_AUTH].limit, 4242);
	}
	/* messages are truncated, never overflow */
	ck_assert_int_eq(gw_rate_policies_parse("nope=1/1", p, err, 5),
	                 -EINVAL);
	ck_assert_str_eq(err, "bad ");
}
END_TEST

START_TEST(test_key)
{
	char k[GW_RATE_KEY_MAX], k2[GW_RATE_KEY_MAX], small[20];
	const char *ip = "203.0.113.7";
	const char *user = "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a4b";

	ck_assert_int_eq(gw_rate_key("auth", "ip", ip, 29406667, k, sizeof(k)),
	                 0);
	ck_assert(strncmp(k, "gw:rl:{ip:", 10) == 0);
	ck_assert(strcmp(k + strlen(k) - 9, ":29406667") == 0);
	ck_assert_uint_eq(strlen(k), strlen("gw:rl:{ip:}:auth") + 32 + 9);
	/* no identity in clear */
	ck_assert_ptr_null(strstr(k, ip));
	ck_assert_ptr_null(strstr(k, "203"));
	ck_assert_int_eq(
	    gw_rate_key("default", "user", user, 1, k2, sizeof(k2)), 0);
	ck_assert_ptr_null(strstr(k2, "0190f5c2"));
	/* sha256("203.0.113.7"), first 32 hex */
	ck_assert_int_eq(gw_rate_key("auth", "ip", ip, 0, k2, sizeof(k2)), 0);
	ck_assert(strncmp(k, k2, 14 + 32) == 0); /* same identity, hash */
	/* identities, windows, kinds and classes separate counters */
	ck_assert_int_eq(
	    gw_rate_key("auth", "ip", "203.0.113.8", 29406667, k2, sizeof(k2)),
	    0);
	ck_assert_str_ne(k, k2);
	ck_assert_int_eq(
	    gw_rate_key("auth", "ip", ip, 29406668, k2, sizeof(k2)), 0);
	ck_assert_str_ne(k, k2);
	ck_assert_int_eq(
	    gw_rate_key("auth", "user", ip, 29406667, k2, sizeof(k2)), 0);
	ck_assert_str_ne(k, k2);
	ck_assert_int_eq(
	    gw_rate_key("write", "ip", ip, 29406667, k2, sizeof(k2)), 0);
	ck_assert_str_ne(k, k2);
	/* the longest key fits */
	ck_assert_int_eq(gw_rate_key("abcdefghijklmnopqrstuvwxyz012345",
	                             "client", user, INT64_MAX, k, sizeof(k)),
	                 0);
	ck_assert_uint_lt(strlen(k), GW_RATE_KEY_MAX);
	ck_assert_int_eq(gw_rate_key("auth", "ip", ip, 1, small, sizeof(small)),
	                 -ENOSPC);
	ck_assert_str_eq(small, "");
	/* refused */
	ck_assert_int_eq(gw_rate_key("auth", "host", ip, 1, k, sizeof(k)),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_key("auth", NULL, ip, 1, k, sizeof(k)),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_key("auth", "ip", "", 1, k, sizeof(k)),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_key("auth", "ip", NULL, 1, k, sizeof(k)),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_key("a:b", "ip", ip, 1, k, sizeof(k)),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_key(NULL, "ip", ip, 1, k, sizeof(k)), -EINVAL);
	ck_assert_int_eq(gw_rate_key("auth", "ip", ip, -1, k, sizeof(k)),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_key("auth", "ip", ip, 1, NULL, 5), -EINVAL);
}
END_TEST

/* The process remembers recent identities' digits: with 2,000 of them
 * over its 256 slots, each twice, every key still carries SHA-256 of its
 * own identity (a slot's other identity is never taken for it). */
START_TEST(test_key_memo)
{
	char k[GW_RATE_KEY_MAX], id[128], hex[65];
	unsigned char h[crypto_hash_sha256_BYTES];
	int i, round;

	ck_assert_int_ge(sodium_init(), 0);
	for (round = 0; round < 2; round++)
		for (i = 0; i < 2000; i++) {
			snprintf(id, sizeof(id), "%s%d",
			         i % 3 ? "198.51.100." : "user-", i);
			if (i % 500 == 7) /* longer than a slot keeps */
				snprintf(id, sizeof(id), "%0100d", i);
			ck_assert_int_eq(
			    gw_rate_key("default", "ip", id, 5, k, sizeof(k)),
			    0);
			crypto_hash_sha256(h, (const unsigned char *)id,
			                   strlen(id));
			sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
			hex[32] = '\0';
			ck_assert_msg(strncmp(k + 10, hex, 32) == 0,
			              "%s: %s, want %s", id, k, hex);
		}
}
END_TEST

START_TEST(test_identity)
{
	struct mp_principal p;
	const char *kind = NULL;
	char id[128], small[4];

	memset(&p, 0, sizeof(p));
	p.authenticated = 1;
	p.roles = MP_ROLE_CLIENT;
	strcpy(p.subject, "svc-subject");
	strcpy(p.client_id, "stats-portal");
	ck_assert_int_eq(
	    gw_rate_identity(&p, "10.0.0.1", &kind, id, sizeof(id)), 0);
	ck_assert_str_eq(kind, "client");
	ck_assert_str_eq(id, "stats-portal");
	/* a client without client_id: its subject */
	p.client_id[0] = '\0';
	ck_assert_int_eq(
	    gw_rate_identity(&p, "10.0.0.1", &kind, id, sizeof(id)), 0);
	ck_assert_str_eq(kind, "client");
	ck_assert_str_eq(id, "svc-subject");
	/* a user */
	p.roles = MP_ROLE_APPLICANT | MP_ROLE_MEDIATOR;
	strcpy(p.client_id, "ignored");
	ck_assert_int_eq(
	    gw_rate_identity(&p, "10.0.0.1", &kind, id, sizeof(id)), 0);
	ck_assert_str_eq(kind, "user");
	ck_assert_str_eq(id, "svc-subject");
	/* anonymous: the IP, also for an unauthenticated principal */
	ck_assert_int_eq(
	    gw_rate_identity(NULL, "2001:db8::1", &kind, id, sizeof(id)), 0);
	ck_assert_str_eq(kind, "ip");
	ck_assert_str_eq(id, "2001:db8::1");
	p.authenticated = 0;
	ck_assert_int_eq(
	    gw_rate_identity(&p, "10.0.0.1", &kind, id, sizeof(id)), 0);
	ck_assert_str_eq(kind, "ip");
	ck_assert_str_eq(id, "10.0.0.1");
	/* no identity to use, or no room */
	ck_assert_int_eq(gw_rate_identity(NULL, NULL, &kind, id, sizeof(id)),
	                 -EINVAL);
	ck_assert_int_eq(gw_rate_identity(NULL, "", &kind, id, sizeof(id)),
	                 -EINVAL);
	p.authenticated = 1;
	p.subject[0] = '\0';
	ck_assert_int_eq(
	    gw_rate_identity(&p, "10.0.0.1", &kind, id, sizeof(id)), -EINVAL);
	ck_assert_int_eq(
	    gw_rate_identity(NULL, "10.0.0.1", &kind, small, sizeof(small)),
	    -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(
	    gw_rate_identity(NULL, "10.0.0.1", NULL, id, sizeof(id)), -EINVAL);
	/* a hand-built subject without NUL is read within its array */
	memset(p.subject, 'u', sizeof(p.subject));
	ck_assert_int_eq(gw_rate_identity(&p, NULL, &kind, id, sizeof(id)), 0);
	ck_assert_uint_eq(strlen(id), sizeof(p.subject));
}
END_TEST

/* Leases: k = limit / (4 x workers) within 1..max. */
START_TEST(test_lease_size)
{
	struct gw_rate_policy p = {"default", 300, 60};

	ck_assert_int_eq(gw_rate_lease_size(&p, 2, 64), 37);
	ck_assert_int_eq(gw_rate_lease_size(&p, 1, 64), 64);
	ck_assert_int_eq(gw_rate_lease_size(&p, 2, 1), 1);
	p.limit = 10;
	ck_assert_int_eq(gw_rate_lease_size(&p, 2, 64), 1);
	ck_assert_int_eq(gw_rate_lease_size(NULL, 2, 64), 1);
}
END_TEST

/* With k = 1 a lease is today's exact INCR: the n-th request of the
 * window is decided as gw_rate_decide(n), and once the count reached the
 * limit the worker refuses without asking Redis. */
START_TEST(test_lease_k1_is_exact)
{
	struct gw_rate_policy p = {"auth", 10, 60};
	struct gw_rate_lease l = {0, 0};
	int64_t redis = 0, count, n;

	for (n = 1; n <= 10; n++) {
		ck_assert_int_eq(gw_rate_lease_take(&l, &p, &count), -1);
		gw_rate_lease_add(&l, &p, 1, ++redis);
		ck_assert_int_eq(gw_rate_lease_take(&l, &p, &count), 1);
		ck_assert_int_eq(count, n);
	}
	/* the 11th: the window's count is at the limit, so it is refused
	 * from memory, as INCR's 11 would be, and Redis is not asked */
	ck_assert_int_eq(gw_rate_lease_take(&l, &p, &count), 0);
	ck_assert_int_gt(count, p.limit);
	ck_assert_int_eq(gw_rate_lease_take(&l, &p, &count), 0);
	ck_assert_int_eq(redis, 10);
	/* another worker's lease that lands over the limit adds nothing */
	l.top = 0;
	gw_rate_lease_add(&l, &p, 1, 11);
	ck_assert_int_eq(gw_rate_lease_take(&l, &p, &count), 0);
}
END_TEST

/* An answer that stands for n requests takes n positions or none: from
 * the lease when it holds n, else after leasing the rest; refused, with
 * nothing used, when the lease and the unreserved positions cannot make
 * n (the positions stay for smaller requests). */
START_TEST(test_lease_take_n)
{
	struct gw_rate_policy p = {"default", 10, 60};
	struct gw_rate_lease l = {0, 0};
	int64_t count;

	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 3, &count), -1);
	gw_rate_lease_add(&l, &p, 4, 4); /* positions 1..4 */
	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 3, &count), 1);
	ck_assert_int_eq(count, 3);
	ck_assert_int_eq(l.left, 1);
	/* 1 leased: 3 more needed, Redis asked for them */
	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 4, &count), -1);
	gw_rate_lease_add(&l, &p, 3, 7);
	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 4, &count), 1);
	ck_assert_int_eq(count, 7);
	/* 8..10 leased here: 4 cannot be had any more in this window */
	gw_rate_lease_add(&l, &p, 3, 10);
	ck_assert_int_eq(l.left, 3);
	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 4, &count), 0);
	ck_assert_int_gt(count, p.limit);
	ck_assert_int_eq(l.left, 3); /* nothing used */
	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 3, &count), 1);
	ck_assert_int_eq(count, 10);
	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 1, &count), 0);
	ck_assert_int_eq(gw_rate_lease_take_n(&l, &p, 0, &count), -1);
}
END_TEST

/* The bound, simulated: W workers share one Redis counter, each leasing
 * k positions; requests arrive at random workers. Never more than the
 * limit pass; at most (W - 1) * (k - 1) fewer than the limit pass when
 * the demand exceeds it. */
START_TEST(test_lease_bound)
{
	enum { W = 4 };
	struct gw_rate_policy p = {"default", 300, 60};
	struct gw_rate_lease l[W];
	int64_t k, redis, count, passed, refused;
	unsigned seed = 12345;
	int trial, i, w, rc;

	for (trial = 0; trial < 200; trial++) {
		memset(l, 0, sizeof(l));
		k = gw_rate_lease_size(&p, W, 64);
		redis = passed = refused = 0;
		for (i = 0; i < 3 * 300; i++) {
			w = (int)(rand_r(&seed) % W);
			rc = gw_rate_lease_take(&l[w], &p, &count);
			if (rc < 0) {
				redis += k;
				gw_rate_lease_add(&l[w], &p, k, redis);
				rc = gw_rate_lease_take(&l[w], &p, &count);
			}
			ck_assert_int_ge(rc, 0);
			if (rc == 1) {
				passed++;
				ck_assert_int_le(count, p.limit);
			} else {
				refused++;
			}
		}
		ck_assert_int_le(passed, p.limit);
		ck_assert_int_ge(passed, p.limit - (W - 1) * (k - 1));
		ck_assert_int_eq(passed + refused, 900);
	}
}
END_TEST

static Suite *
ratelimit_suite(void)
{
	Suite *s = suite_create("gateway_ratelimit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_decide_boundaries);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_policies_parse);
	tcase_add_test(tc, test_policies_parse_errors);
	tcase_add_test(tc, test_key);
	tcase_add_test(tc, test_key_memo);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_lease_size);
	tcase_add_test(tc, test_lease_k1_is_exact);
	tcase_add_test(tc, test_lease_take_n);
	tcase_add_test(tc, test_lease_bound);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ratelimit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
