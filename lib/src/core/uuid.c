/*
 * uuid.c: RFC 9562 version 7 identifiers.
 *
 * Why v7: the leading 48-bit millisecond timestamp keeps B-tree inserts
 * append-mostly and lets keyset pagination order by id. Why a counter in
 * rand_a (RFC 9562 6.2 method 1): ids minted in the same millisecond by one
 * worker must still sort in creation order, which the outbox relay and the
 * cursors rely on. The counter starts at a random value with its top bit
 * clear (at least 2048 ids per millisecond before it spills into the next
 * millisecond) so consecutive ids stay hard to guess; the remaining 62 bits
 * come from libsodium (through mp_random_buf). Uniqueness across processes
 * rests on those 62 bits.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "mp/util.h"

#define UUID_COUNTER_MAX 0x0fffu
#define UUID_COUNTER_SEED_MASK 0x07ffu

static int uuid_sodium_ready(void);
static unsigned uuid_counter_seed(void);

static pthread_mutex_t uuid_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t uuid_last_ms;
static unsigned uuid_counter;
static int uuid_sodium_ok;

/* Called with uuid_lock held. */
static int
uuid_sodium_ready(void)
{
	if (!uuid_sodium_ok) {
		if (sodium_init() < 0)
			return -EIO;
		uuid_sodium_ok = 1;
	}
	return 0;
}

static unsigned
uuid_counter_seed(void)
{
	uint16_t r = 0;

	(void)mp_random_buf(&r, sizeof(r));
	return r & UUID_COUNTER_SEED_MASK;
}

int
mp_uuid_v7(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	int64_t now;
	uint64_t ms;
	unsigned ctr;
	size_t i, o;

	out[0] = '\0';
	now = mp_now_ms();
	if (now < 0)
		now = 0;

	pthread_mutex_lock(&uuid_lock);
	if (uuid_sodium_ready() != 0) {
		pthread_mutex_unlock(&uuid_lock);
		return -EIO;
	}
	if ((uint64_t)now > uuid_last_ms) {
		uuid_last_ms = (uint64_t)now;
		uuid_counter = uuid_counter_seed();
	} else if (++uuid_counter > UUID_COUNTER_MAX) {
		/* Same millisecond (or the clock stepped back): borrow the
		 * next millisecond rather than break the ordering. */
		uuid_last_ms++;
		uuid_counter = uuid_counter_seed();
	}
	ms = uuid_last_ms & 0xffffffffffffULL;
	ctr = uuid_counter;
	pthread_mutex_unlock(&uuid_lock);

	if (mp_random_buf(b + 8, 8) != 0) {
		out[0] = '\0';
		return -EIO;
	}
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	b[6] = (unsigned char)(0x70 | ((ctr >> 8) & 0x0f));
	b[7] = (unsigned char)(ctr & 0xff);
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));

	for (i = 0, o = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
	return 0;
}

int
mp_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mp_uuid_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < MP_UUID_STRLEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (mp_hex_value((unsigned char)s[i]) < 0) {
			return 0; /* also stops at an early NUL */
		}
	}
	return s[MP_UUID_STRLEN] == '\0';
}
