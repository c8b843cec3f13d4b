/*
 * random.c: random bytes for identifiers on the request path, without a
 * system call per request.
 *
 * libsodium's randombytes_buf() asks the kernel (getrandom) on every call.
 * The gateway needed three such calls per request (a request id, a span
 * id, a trace id): at tens of thousands of requests a second that was a
 * tenth of its CPU time. Here each thread keeps a small buffer filled from
 * randombytes_buf() and hands out its bytes once each, wiping them as they
 * go: the bytes are exactly as unpredictable as libsodium's (they are
 * libsodium's), only fetched 256 at a time.
 *
 * Two processes must never hand out the same bytes: Kore forks its workers
 * from a parent that may already have filled a buffer. A fork handler bumps
 * a generation number in the child; a thread whose buffer belongs to an
 * older generation discards it (wiped) and refills before use.
 *
 * For secrets (keys, tokens, salts) call randombytes_buf() itself: they
 * should not sit in memory ahead of their use, even for a few requests.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "mp/util.h"

#define RANDOM_POOL 256

struct random_pool {
	unsigned char bytes[RANDOM_POOL];
	size_t left;         /* unread bytes at the end of bytes */
	unsigned generation; /* random_generation when filled */
};

static _Thread_local struct random_pool random_pool;
static unsigned random_generation = 1;
static pthread_once_t random_once = PTHREAD_ONCE_INIT;

static void random_after_fork(void);
static void random_setup(void);

static void
random_after_fork(void)
{
	/* The child has one thread, the one that forked; every buffer
	 * filled before the fork is now stale. */
	__atomic_add_fetch(&random_generation, 1, __ATOMIC_SEQ_CST);
}

static void
random_setup(void)
{
	(void)pthread_atfork(NULL, NULL, random_after_fork);
}

int
mp_random_buf(void *out, size_t n)
{
	struct random_pool *p = &random_pool;
	unsigned gen;

	if (pthread_once(&random_once, random_setup) != 0 || sodium_init() < 0)
		return -1;
	if (n > RANDOM_POOL / 4) {
		randombytes_buf(out, n);
		return 0;
	}
	gen = __atomic_load_n(&random_generation, __ATOMIC_SEQ_CST);
	if (p->generation != gen || p->left < n) {
		randombytes_buf(p->bytes, sizeof(p->bytes));
		p->left = sizeof(p->bytes);
		p->generation = gen;
	}
	memcpy(out, p->bytes + sizeof(p->bytes) - p->left, n);
	sodium_memzero(p->bytes + sizeof(p->bytes) - p->left, n);
	p->left -= n;
	return 0;
}
