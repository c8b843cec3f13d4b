/*
 * The gateway's Redis key layout, for Redis Cluster: every key the
 * gateway writes or reads carries exactly one non-empty hash tag ({...}),
 * the keys one cache lookup reads together (the service's generation and
 * the entry) hash to one slot, and no key holds a client's bytes in clear.
 * The gateway sends single-key commands only (GET, SET, INCR, EXPIRE,
 * EXISTS, DEL: edge/stage_*.c, identity/auth.c) and no script, so with
 * this layout nothing it sends crosses slots.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/principal.h"

#include "edge/cache.h"
#include "edge/idem.h"
#include "edge/ratelimit.h"
#include "identity/tokens.h"

/* Redis Cluster's CRC16 (XMODEM) and key slot, as in its cluster spec. */
static uint16_t
crc16(const char *buf, size_t len)
{
	uint16_t crc = 0;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint16_t)((unsigned char)buf[i] << 8);
		for (b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021)
			                     : (uint16_t)(crc << 1);
	}
	return crc;
}

static unsigned
slot(const char *key)
{
	const char *open = strchr(key, '{'), *close;

	if (open != NULL && (close = strchr(open + 1, '}')) != NULL &&
	    close > open + 1)
		return crc16(open + 1, (size_t)(close - open - 1)) & 16383;
	return crc16(key, strlen(key)) & 16383;
}

/* 1 if key has exactly one '{' and one '}' after it, with a non-empty tag
 * between. */
static int
one_tag(const char *key)
{
	const char *open = strchr(key, '{'), *close;

	return open != NULL && strchr(open + 1, '{') == NULL &&
	       (close = strchr(open + 1, '}')) != NULL && close > open + 1 &&
	       strchr(close + 1, '}') == NULL;
}

START_TEST(test_slot_function)
{
	/* the values CLUSTER KEYSLOT gives */
	ck_assert_uint_eq(crc16("123456789", 9), 0x31c3);
	ck_assert_uint_eq(slot("foo"), 12182);
	ck_assert_uint_eq(slot("{user1000}.following"),
	                  slot("{user1000}.followers"));
	ck_assert_uint_eq(slot("{}x"), crc16("{}x", 3) & 16383);
}
END_TEST

static void
request_keys(const char *service, const char *path, char *gen, char *entry,
             char *rate, char *idem)
{
	struct mp_principal p;
	struct gw_cache_req cr;
	const char *kind;
	char ident[128];

	memset(&p, 0, sizeof(p));
	p.authenticated = 1;
	p.roles = MP_ROLE_APPLICANT;
	snprintf(p.subject, sizeof(p.subject), "user-42");
	snprintf(p.region, sizeof(p.region), "oriental");
	memset(&cr, 0, sizeof(cr));
	cr.service = service;
	cr.path = path;
	cr.query = "region=oriental";
	cr.principal = &p;
	ck_assert_int_eq(gw_cache_gen_key(service, gen, GW_CACHE_KEY_MAX), 0);
	ck_assert_int_eq(gw_cache_key(&cr, entry, GW_CACHE_KEY_MAX), 0);
	ck_assert_int_eq(
	    gw_rate_identity(&p, "203.0.113.9", &kind, ident, sizeof(ident)),
	    0);
	ck_assert_int_eq(
	    gw_rate_key("write", kind, ident, 29000000, rate, GW_RATE_KEY_MAX),
	    0);
	ck_assert_int_eq(gw_idem_redis_key(p.subject, "client-key-1", idem,
	                                   GW_IDEM_REDIS_KEY_MAX),
	                 0);
}

START_TEST(test_every_key_one_tag)
{
	char gen[GW_CACHE_KEY_MAX], entry[GW_CACHE_KEY_MAX];
	char rate[GW_RATE_KEY_MAX], idem[GW_IDEM_REDIS_KEY_MAX];
	const char *all[4] = {gen, entry, rate, idem};

	request_keys("funding", "/v1/funding/applications", gen, entry, rate,
	             idem);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(one_tag(all[i]), "no single hash tag: %s",
		              all[i]);
	/* read together by one lookup: one slot */
	ck_assert_uint_eq(slot(gen), slot(entry));
	ck_assert_str_eq(gen, "gw:gen:{funding}");
	ck_assert(strncmp(entry, "gw:c:{funding}:", 15) == 0);
	ck_assert(strncmp(rate, "gw:rl:{user:", 12) == 0);
	ck_assert(strncmp(idem, "gw:idem:{", 9) == 0);
	/* nothing of the client in clear */
	for (int i = 0; i < 4; i++) {
		ck_assert_ptr_null(strstr(all[i], "user-42"));
		ck_assert_ptr_null(strstr(all[i], "client-key-1"));
		ck_assert_ptr_null(strstr(all[i], "203.0.113.9"));
		ck_assert_ptr_null(strstr(all[i], "oriental"));
	}
}
END_TEST

START_TEST(test_service_slots)
{
	char gen[GW_CACHE_KEY_MAX], entry[GW_CACHE_KEY_MAX];
	char gen2[GW_CACHE_KEY_MAX], entry2[GW_CACHE_KEY_MAX];
	char rate[GW_RATE_KEY_MAX], idem[GW_IDEM_REDIS_KEY_MAX];

	request_keys("funding", "/v1/funding/calls", gen, entry, rate, idem);
	request_keys("funding", "/v1/funding/themes", gen2, entry2, rate, idem);
	/* every entry of a service lives with its generation */
	ck_assert_uint_eq(slot(entry), slot(entry2));
	ck_assert_uint_eq(slot(gen), slot(entry2));
	request_keys("cases", "/v1/cases/x", gen2, entry2, rate, idem);
	ck_assert_uint_eq(slot(gen2), slot(entry2));
	ck_assert_str_ne(gen, gen2);
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite *s = suite_create("gateway_keys");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_slot_function);
	tcase_add_test(tc, test_every_key_one_tag);
	tcase_add_test(tc, test_service_slots);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(keys_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
