/*
 * Gateway idempotency keys: header syntax, Redis key namespacing,
 * request fingerprints, the stored record format (round trip and garbage)
 * and the replay / conflict / mismatch decisions.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/idem.h"

#define FP_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *
key_ok(const char *header)
{
	static char out[GW_IDEM_KEY_MAX + 1];

	ck_assert_msg(gw_idem_key_parse(header, out, sizeof(out)) == 0,
	              "refused '%s'", header);
	return out;
}

START_TEST(test_key_parse)
{
	static const char *const bad[] = {
	    "",         "   ",         "\"\"",
	    "\"",       "\"abc",       "abc\"",
	    "\"a\"b\"", "\"a b\"",     "a b",
	    "a\tb",     "\"a\\x\"",    "\"a\\\"",
	    "\"\\\"",   "caf\xc3\xa9", "\"caf\xc3\xa9\"",
	    "a\x01",    "a\x7f",       "\"a\"\"b\"",
	};
	char out[GW_IDEM_KEY_MAX + 1], k255[300], small[4];
	size_t i;

	ck_assert_str_eq(key_ok("\"8e03978e-40d5-43e8-bc93-6894a57f9324\""),
	                 "8e03978e-40d5-43e8-bc93-6894a57f9324");
	ck_assert_str_eq(key_ok("8e03978e-40d5-43e8-bc93-6894a57f9324"),
	                 "8e03978e-40d5-43e8-bc93-6894a57f9324");
	ck_assert_str_eq(key_ok("  \"abc\"\t"), "abc");
	ck_assert_str_eq(key_ok(" abc "), "abc");
	ck_assert_str_eq(key_ok("\"a\\\"b\\\\c\""), "a\"b\\c");
	ck_assert_str_eq(key_ok("x"), "x");
	ck_assert_str_eq(key_ok("a,b;c=d"), "a,b;c=d");
	ck_assert_str_eq(key_ok("\"a,b\""), "a,b");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(out, "junk");
		ck_assert_msg(gw_idem_key_parse(bad[i], out, sizeof(out)) ==
		                  -EINVAL,
		              "accepted '%s'", bad[i]);
		ck_assert_str_eq(out, "");
	}
	/* 255 accepted, 256 refused, bare and quoted */
	memset(k255, 'k', 255);
	k255[255] = '\0';
	ck_assert_uint_eq(strlen(key_ok(k255)), 255);
	k255[255] = 'k';
	k255[256] = '\0';
	ck_assert_int_eq(gw_idem_key_parse(k255, out, sizeof(out)), -EINVAL);
	k255[0] = '"';
	k255[256] = '"';
	k255[257] = '\0';
	ck_assert_uint_eq(strlen(key_ok(k255)), 255);
	k255[257] = '"';
	k255[256] = 'k';
	k255[258] = '\0';
	ck_assert_int_eq(gw_idem_key_parse(k255, out, sizeof(out)), -EINVAL);
	/* room */
	ck_assert_int_eq(gw_idem_key_parse("abcd", small, sizeof(small)),
	                 -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(gw_idem_key_parse("\"abcd\"", small, sizeof(small)),
	                 -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(gw_idem_key_parse("abc", small, sizeof(small)), 0);
	ck_assert_int_eq(gw_idem_key_parse(NULL, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(gw_idem_key_parse("a", NULL, 5), -EINVAL);
}
END_TEST

START_TEST(test_redis_key)
{
	char a[GW_IDEM_REDIS_KEY_MAX], b[GW_IDEM_REDIS_KEY_MAX], small[20];

	ck_assert_int_eq(gw_idem_redis_key("user-1", "k1", a, sizeof(a)), 0);
	ck_assert(strncmp(a, "gw:idem:{", 9) == 0);
	ck_assert_uint_eq(strlen(a), 9 + 64 + 1);
	ck_assert_ptr_null(strstr(a, "user-1"));
	ck_assert_int_eq(gw_idem_redis_key("user-1", "k1", b, sizeof(b)), 0);
	ck_assert_str_eq(a, b);
	/* two principals never share a key */
	ck_assert_int_eq(gw_idem_redis_key("user-2", "k1", b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(gw_idem_redis_key("user-1", "k2", b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	/* no ambiguity from moving bytes between subject and key */
	ck_assert_int_eq(gw_idem_redis_key("ab", "c", a, sizeof(a)), 0);
	ck_assert_int_eq(gw_idem_redis_key("a", "bc", b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	/* anonymous */
	ck_assert_int_eq(gw_idem_redis_key(NULL, "k", a, sizeof(a)), 0);
	ck_assert_int_eq(gw_idem_redis_key("", "k", b, sizeof(b)), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(gw_idem_redis_key("u", "k", small, sizeof(small)),
	                 -ENOSPC);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(gw_idem_redis_key("u", "", a, sizeof(a)), -EINVAL);
	ck_assert_int_eq(gw_idem_redis_key("u", NULL, a, sizeof(a)), -EINVAL);
	ck_assert_int_eq(gw_idem_redis_key("u", "k", NULL, 5), -EINVAL);
}
END_TEST

START_TEST(test_fingerprint)
{
	char a[GW_IDEM_FP_LEN + 1], b[GW_IDEM_FP_LEN + 1];
	const char *body = "{\"call_id\":\"x\"}";
	size_t i;

	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/v1/funding/apps",
	                                     "u1", body, strlen(body), a),
	                 0);
	ck_assert_uint_eq(strlen(a), 64);
	for (i = 0; i < 64; i++)
		ck_assert(strchr("0123456789abcdef", a[i]) != NULL);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/v1/funding/apps",
	                                     "u1", body, strlen(body), b),
	                 0);
	ck_assert_str_eq(a, b);
	/* each input matters */
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_PATCH, "/v1/funding/apps",
	                                     "u1", body, strlen(body), b),
	                 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/v1/funding/apps?x=1",
	                                     "u1", body, strlen(body), b),
	                 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/v1/funding/apps",
	                                     "u2", body, strlen(body), b),
	                 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/v1/funding/apps",
	                                     "u1", body, strlen(body) - 1, b),
	                 0);
	ck_assert_str_ne(a, b);
	/* boundaries between fields are not ambiguous */
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/a", "bc", "", 0, a),
	                 0);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/ab", "c", "", 0, b),
	                 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/a", "", "x", 1, a),
	                 0);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/a", "x", "", 0, b),
	                 0);
	ck_assert_str_ne(a, b);
	/* NULL subject is "", NULL body with length 0 is empty */
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/a", NULL, NULL, 0, a),
	                 0);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/a", "", "", 0, b), 0);
	ck_assert_str_eq(a, b);
	/* refused */
	ck_assert_int_eq(gw_idem_fingerprint(0, "/a", "", "", 0, a), -EINVAL);
	ck_assert_str_eq(a, "");
	ck_assert_int_eq(
	    gw_idem_fingerprint(GW_M_POST | GW_M_PATCH, "/a", "", "", 0, a),
	    -EINVAL);
	ck_assert_int_eq(gw_idem_fingerprint(0x8, "/a", "", "", 0, a), -EINVAL);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, NULL, "", "", 0, a),
	                 -EINVAL);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/a", "", NULL, 1, a),
	                 -EINVAL);
	ck_assert_int_eq(gw_idem_fingerprint(GW_M_POST, "/a", "", "", 0, NULL),
	                 -EINVAL);
}
END_TEST

static struct gw_idem_record
rec(enum gw_idem_state st, const char *fp)
{
	struct gw_idem_record r;

	memset(&r, 0, sizeof(r));
	r.state = st;
	strcpy(r.fingerprint, fp);
	r.started_ms = 1764400000123LL;
	return r;
}

START_TEST(test_decide)
{
	struct gw_idem_record r;
	enum gw_idem_action a = (enum gw_idem_action)99;

	ck_assert_int_eq(gw_idem_decide(NULL, FP_A, &a), 0);
	ck_assert_int_eq(a, GW_IDEM_PROCEED);
	r = rec(GW_IDEM_DONE, FP_A);
	ck_assert_int_eq(gw_idem_decide(&r, FP_A, &a), 0);
	ck_assert_int_eq(a, GW_IDEM_REPLAY);
	ck_assert_int_eq(gw_idem_decide(&r, FP_B, &a), 0);
	ck_assert_int_eq(a, GW_IDEM_MISMATCH);
	r = rec(GW_IDEM_IN_PROGRESS, FP_A);
	ck_assert_int_eq(gw_idem_decide(&r, FP_A, &a), 0);
	ck_assert_int_eq(a, GW_IDEM_CONFLICT);
	ck_assert_int_eq(gw_idem_decide(&r, FP_B, &a), 0);
	ck_assert_int_eq(a, GW_IDEM_MISMATCH);
	/* refused */
	a = (enum gw_idem_action)99;
	ck_assert_int_eq(gw_idem_decide(&r, "abc", &a), -EINVAL);
	ck_assert_int_eq(gw_idem_decide(&r, NULL, &a), -EINVAL);
	ck_assert_int_eq(
	    gw_idem_decide(&r,
	                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                   "AAAAAAAAAAAAAAAA",
	                   &a),
	    -EINVAL);
	ck_assert_int_eq(gw_idem_decide(&r, FP_A "0", &a), -EINVAL);
	ck_assert_int_eq(gw_idem_decide(&r, FP_A, NULL), -EINVAL);
	r.state = (enum gw_idem_state)3;
	ck_assert_int_eq(gw_idem_decide(&r, FP_A, &a), -EINVAL);
	ck_assert_int_eq(a, 99);
}
END_TEST

START_TEST(test_storable)
{
	static const int yes[] = {200, 201, 202, 204, 301, 303, 400, 401,
	                          403, 404, 409, 412, 413, 415, 422, 499};
	static const int no[] = {0,   100, 101, 199, 408, 425, 429,
	                         500, 502, 503, 504, 599, 600, -1};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(gw_idem_storable(yes[i]) == 1, "%d", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(gw_idem_storable(no[i]) == 0, "%d", no[i]);
	ck_assert_int_eq(gw_idem_applies(GW_M_POST), 1);
	ck_assert_int_eq(gw_idem_applies(GW_M_PATCH), 1);
	ck_assert_int_eq(gw_idem_applies(GW_M_GET), 0);
	ck_assert_int_eq(gw_idem_applies(GW_M_PUT), 0);
	ck_assert_int_eq(gw_idem_applies(GW_M_DELETE), 0);
	ck_assert_int_eq(gw_idem_applies(GW_M_POST | GW_M_PATCH), 0);
}
END_TEST

static size_t
encode(const struct gw_idem_record *r, unsigned char *buf, size_t cap)
{
	size_t len = 0;

	ck_assert_int_eq(gw_idem_record_encode(r, buf, cap, &len), 0);
	return len;
}

START_TEST(test_record_round_trip)
{
	static const char body[] = "{\"id\":\"x\"}\0\xff";
	struct gw_idem_record r, d;
	unsigned char buf[512];
	size_t len, need;

	/* IN_PROGRESS: fingerprint and time only, other fields ignored */
	r = rec(GW_IDEM_IN_PROGRESS, FP_B);
	r.status = 201;
	r.content_type = "ignored";
	len = encode(&r, buf, sizeof(buf));
	ck_assert_uint_eq(len, 77);
	memset(&d, 0x5a, sizeof(d));
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), 0);
	ck_assert_int_eq(d.state, GW_IDEM_IN_PROGRESS);
	ck_assert_str_eq(d.fingerprint, FP_B);
	ck_assert_int_eq(d.started_ms, 1764400000123LL);
	ck_assert_int_eq(d.status, 0);
	ck_assert_str_eq(d.content_type, "");
	ck_assert_str_eq(d.location, "");
	ck_assert_ptr_null(d.body);
	ck_assert_uint_eq(d.body_len, 0);
	/* DONE */
	r = rec(GW_IDEM_DONE, FP_A);
	r.status = 201;
	r.content_type = "application/json";
	r.location = "/v1/funding/applications/0190f5c2";
	r.body = body;
	r.body_len = sizeof(body);
	len = encode(&r, buf, sizeof(buf));
	ck_assert_uint_eq(len, 77 + 12 + strlen(r.content_type) +
	                           strlen(r.location) + sizeof(body));
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), 0);
	ck_assert_int_eq(d.state, GW_IDEM_DONE);
	ck_assert_str_eq(d.fingerprint, FP_A);
	ck_assert_int_eq(d.started_ms, r.started_ms);
	ck_assert_int_eq(d.status, 201);
	ck_assert_str_eq(d.content_type, "application/json");
	ck_assert_str_eq(d.location, r.location);
	ck_assert_uint_eq(d.body_len, sizeof(body));
	ck_assert(memcmp(d.body, body, sizeof(body)) == 0);
	/* the decoded record decides like the original */
	{
		enum gw_idem_action a;

		ck_assert_int_eq(gw_idem_decide(&d, FP_A, &a), 0);
		ck_assert_int_eq(a, GW_IDEM_REPLAY);
	}
	/* DONE without headers or body */
	r.content_type = NULL;
	r.location = NULL;
	r.body = NULL;
	r.body_len = 0;
	r.status = 204;
	r.started_ms = 0;
	len = encode(&r, buf, sizeof(buf));
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), 0);
	ck_assert_str_eq(d.content_type, "");
	ck_assert_str_eq(d.location, "");
	ck_assert_ptr_null(d.body);
	ck_assert_int_eq(d.started_ms, 0);
	/* the largest time */
	r.started_ms = INT64_MAX;
	len = encode(&r, buf, sizeof(buf));
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), 0);
	ck_assert_int_eq(d.started_ms, INT64_MAX);
	/* size query */
	ck_assert_int_eq(gw_idem_record_encode(&r, NULL, 0, &need), -ENOSPC);
	ck_assert_uint_eq(need, len);
	ck_assert_int_eq(gw_idem_record_encode(&r, buf, len - 1, &need),
	                 -ENOSPC);
}
END_TEST

START_TEST(test_record_encode_refuses)
{
	struct gw_idem_record r = rec(GW_IDEM_DONE, FP_A), t;
	unsigned char buf[4096];
	char loc[GW_IDEM_LOCATION_MAX + 2];
	size_t len;

	r.status = 200;
	t = r;
	t.state = (enum gw_idem_state)0;
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = r;
	t.fingerprint[3] = 'A';
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = r;
	t.fingerprint[10] = '\0';
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = r;
	t.started_ms = -1;
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = r;
	t.status = 0;
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = r;
	t.location = "/x\r\nSet-Cookie: a=b";
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = r;
	t.content_type = "a\nb";
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	memset(loc, 'l', sizeof(loc));
	loc[GW_IDEM_LOCATION_MAX] = '\0';
	t = r;
	t.location = loc;
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len), 0);
	loc[GW_IDEM_LOCATION_MAX] = 'l';
	loc[GW_IDEM_LOCATION_MAX + 1] = '\0';
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t = r;
	t.body_len = 3;
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	t.body = "abc";
	t.body_len = GW_IDEM_BODY_MAX + 1;
	ck_assert_int_eq(gw_idem_record_encode(&t, buf, sizeof(buf), &len),
	                 -EINVAL);
	ck_assert_int_eq(gw_idem_record_encode(NULL, buf, sizeof(buf), &len),
	                 -EINVAL);
	ck_assert_int_eq(gw_idem_record_encode(&r, buf, sizeof(buf), NULL),
	                 -EINVAL);
	ck_assert_int_eq(gw_idem_record_encode(&r, NULL, 5, &len), -EINVAL);
}
END_TEST

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void
check_canonical(const unsigned char *buf, size_t len)
{
	struct gw_idem_record d;
	unsigned char again[4096];
	size_t n;

	memset(&d, 0xa5, sizeof(d));
	if (gw_idem_record_decode(buf, len, &d) != 0) {
		ck_assert_int_eq(d.status, (int)0xa5a5a5a5); /* untouched */
		return;
	}
	ck_assert_int_eq(gw_idem_record_encode(&d, again, sizeof(again), &n),
	                 0);
	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(again, buf, len) == 0);
}

START_TEST(test_record_decode_garbage)
{
	struct gw_idem_record r = rec(GW_IDEM_DONE, FP_B), d;
	unsigned char good[512], buf[512], *heap;
	size_t len, i, n, k;
	int accepted = 0;

	r.status = 201;
	r.content_type = "application/json";
	r.location = "/v1/x/1";
	r.body = "{\"a\":true}";
	r.body_len = 10;
	len = encode(&r, good, sizeof(good));
	for (i = 0; i < len; i++) {
		heap = malloc(i + 1);
		memcpy(heap, good, i);
		ck_assert_int_eq(gw_idem_record_decode(heap, i, &d), -EINVAL);
		free(heap);
	}
	memcpy(buf, good, len);
	buf[len] = 0;
	ck_assert_int_eq(gw_idem_record_decode(buf, len + 1, &d), -EINVAL);
	ck_assert_int_eq(gw_idem_record_decode(NULL, len, &d), -EINVAL);
	ck_assert_int_eq(gw_idem_record_decode(good, len, NULL), -EINVAL);
	/* targeted corruptions */
	memcpy(buf, good, len);
	buf[4] = 3; /* state */
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[5] = 'G'; /* fingerprint */
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[5] = 0;
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[69] = 0x80; /* negative started_ms */
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[4] = GW_IDEM_IN_PROGRESS; /* IN_PROGRESS with a tail */
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), -EINVAL);
	ck_assert_int_eq(gw_idem_record_decode(buf, 77, &d), 0);
	ck_assert_int_eq(d.state, GW_IDEM_IN_PROGRESS);
	memcpy(buf, good, len);
	buf[77] = 0x02, buf[78] = 0x58; /* status 600 */
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), -EINVAL);
	memcpy(buf, good, len);
	buf[81] = '\r'; /* in the content type */
	ck_assert_int_eq(gw_idem_record_decode(buf, len, &d), -EINVAL);
	/* random buffers */
	for (i = 0; i < 1000; i++) {
		n = rnd() % 160;
		heap = malloc(n + 1);
		for (k = 0; k < n; k++)
			heap[k] = (unsigned char)rnd();
		if (i % 2 == 0 && n >= 5) {
			memcpy(heap, "GWI\x01", 4);
			heap[4] = (unsigned char)(1 + rnd() % 2);
		}
		check_canonical(heap, n);
		free(heap);
	}
	/* mutations of a valid record */
	for (i = 0; i < 1000; i++) {
		memcpy(buf, good, len);
		k = 1 + rnd() % 3;
		while (k-- > 0)
			buf[rnd() % len] = (unsigned char)rnd();
		n = len - (rnd() % 4 == 0 ? rnd() % len : 0);
		heap = malloc(n + 1);
		memcpy(heap, buf, n);
		if (gw_idem_record_decode(heap, n, &d) == 0)
			accepted++;
		check_canonical(heap, n);
		free(heap);
	}
	ck_assert_int_gt(accepted, 0);
}
END_TEST

static Suite *
idem_suite(void)
{
	Suite *s = suite_create("gateway_idem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_key_parse);
	tcase_add_test(tc, test_redis_key);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_decide);
	tcase_add_test(tc, test_storable);
	tcase_add_test(tc, test_record_round_trip);
	tcase_add_test(tc, test_record_encode_refuses);
	tcase_add_test(tc, test_record_decode_garbage);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(idem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
