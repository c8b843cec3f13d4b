/*
 * check_uuid: v7 ids are well-formed, time-ordered within a process and
 * unique across processes and threads; the validator accepts exactly the
 * canonical text form.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "mp/util.h"

#define N_IDS 10000
#define N_THREADS 4
#define N_PER_THREAD 3000

static Suite *uuid_suite(void);
static int cmp_id(const void *a, const void *b);
static void *thread_gen(void *arg);

static int
cmp_id(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

START_TEST(test_v7_shape)
{
	char id[37];
	size_t i;

	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(mp_uuid_v7(id), 0);
		ck_assert_uint_eq(strlen(id), 36);
		ck_assert(mp_uuid_valid(id));
		ck_assert_int_eq(id[14], '7');
		ck_assert_ptr_nonnull(strchr("89ab", id[19]));
		for (size_t j = 0; j < 36; j++)
			if (j != 8 && j != 13 && j != 18 && j != 23)
				ck_assert_msg(
				    strchr("0123456789abcdef", id[j]) != NULL,
				    "not lowercase hex: %s", id);
	}
}
END_TEST

START_TEST(test_v7_timestamp_is_now)
{
	char id[37], hex[13];
	int64_t before, after, ts;

	before = mp_now_ms();
	ck_assert_int_eq(mp_uuid_v7(id), 0);
	after = mp_now_ms();
	memcpy(hex, id, 8);
	memcpy(hex + 8, id + 9, 4);
	hex[12] = '\0';
	ts = (int64_t)strtoll(hex, NULL, 16);
	/* The counter may borrow a millisecond or two ahead. */
	ck_assert_int_ge(ts, before);
	ck_assert_int_le(ts, after + 2);
}
END_TEST

START_TEST(test_v7_strictly_increasing)
{
	static char ids[N_IDS][37];
	size_t i;

	for (i = 0; i < N_IDS; i++)
		ck_assert_int_eq(mp_uuid_v7(ids[i]), 0);
	for (i = 1; i < N_IDS; i++)
		ck_assert_msg(strcmp(ids[i - 1], ids[i]) < 0,
		              "not increasing at %zu: %s >= %s", i, ids[i - 1],
		              ids[i]);
}
END_TEST

/* A burst far larger than the counter space of one millisecond still
 * comes out ordered. */
START_TEST(test_v7_burst_past_counter_space)
{
	char prev[37], cur[37];
	size_t i;

	ck_assert_int_eq(mp_uuid_v7(prev), 0);
	for (i = 0; i < 200000; i++) {
		ck_assert_int_eq(mp_uuid_v7(cur), 0);
		if (strcmp(prev, cur) >= 0)
			ck_abort_msg("not increasing: %s >= %s", prev, cur);
		memcpy(prev, cur, sizeof(cur));
	}
}
END_TEST

START_TEST(test_v7_unique_across_processes)
{
	static char ids[2 * N_IDS][37];
	int fds[2], status;
	size_t i, got = 0;
	ssize_t r;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char id[37];

		close(fds[0]);
		for (i = 0; i < N_IDS; i++) {
			if (mp_uuid_v7(id) != 0 ||
			    write(fds[1], id, sizeof(id)) != sizeof(id))
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	for (i = 0; i < N_IDS; i++)
		ck_assert_int_eq(mp_uuid_v7(ids[i]), 0);
	while (got < N_IDS * sizeof(ids[0])) {
		r = read(fds[0], (char *)ids[N_IDS] + got,
		         N_IDS * sizeof(ids[0]) - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	qsort(ids, 2 * N_IDS, sizeof(ids[0]), cmp_id);
	for (i = 1; i < 2 * N_IDS; i++)
		ck_assert_msg(strcmp(ids[i - 1], ids[i]) != 0, "duplicate %s",
		              ids[i]);
}
END_TEST

static void *
thread_gen(void *arg)
{
	char(*ids)[37] = arg;
	size_t i;

	for (i = 0; i < N_PER_THREAD; i++)
		if (mp_uuid_v7(ids[i]) != 0)
			return (void *)1;
	return NULL;
}

START_TEST(test_v7_threads_unique_and_ordered)
{
	static char ids[N_THREADS * N_PER_THREAD][37];
	pthread_t th[N_THREADS];
	void *ret;
	size_t t, i;

	for (t = 0; t < N_THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, thread_gen,
		                                ids[t * N_PER_THREAD]),
		                 0);
	for (t = 0; t < N_THREADS; t++) {
		ck_assert_int_eq(pthread_join(th[t], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	for (t = 0; t < N_THREADS; t++)
		for (i = 1; i < N_PER_THREAD; i++)
			ck_assert(strcmp(ids[t * N_PER_THREAD + i - 1],
			                 ids[t * N_PER_THREAD + i]) < 0);
	qsort(ids, N_THREADS * N_PER_THREAD, sizeof(ids[0]), cmp_id);
	for (i = 1; i < N_THREADS * N_PER_THREAD; i++)
		ck_assert(strcmp(ids[i - 1], ids[i]) != 0);
}
END_TEST

START_TEST(test_valid_accepts_canonical)
{
	ck_assert_int_eq(mp_uuid_valid("0192f5c4-7a3e-7b21-8c4d-5e6f70819203"),
	                 1);
	ck_assert_int_eq(mp_uuid_valid("0192F5C4-7A3E-7B21-8C4D-5E6F70819203"),
	                 1);
	ck_assert_int_eq(mp_uuid_valid("f47ac10b-58cc-4372-a567-0e02b2c3d479"),
	                 1);
	ck_assert_int_eq(mp_uuid_valid("00000000-0000-0000-0000-000000000000"),
	                 1);
}
END_TEST

START_TEST(test_valid_rejects_others)
{
	static const char *const bad[] = {
	    "",
	    "0192f5c4-7a3e-7b21-8c4d-5e6f7081920",   /* 35 */
	    "0192f5c4-7a3e-7b21-8c4d-5e6f708192033", /* 37 */
	    "0192f5c47a3e7b218c4d5e6f70819203",      /* no hyphens */
	    "0192f5c4-7a3e-7b21-8c4d5-e6f70819203",  /* hyphen moved */
	    "0192f5c4_7a3e-7b21-8c4d-5e6f70819203",
	    "0192f5c4-7a3e-7b21-8c4d-5e6f7081920g",
	    "{0192f5c4-7a3e-7b21-8c4d-5e6f70819203}",
	    "urn:uuid:0192f5c4-7a3e-7b21-8c4d-5e6f70819203",
	    " 0192f5c4-7a3e-7b21-8c4d-5e6f70819203",
	    "0192f5c4-7a3e-7b21-8c4d-5e6f70819203 ",
	    "0192f5c4-7a3e-7b21-8c4d-5e6f70819203\n",
	    "0192f5c4-7a3e-7b21-8c4d-5e6f7081920\xc3\xa9",
	    "0192f5c4-7a3e-7b21-8c4d-+e6f70819203",
	    "0x92f5c4-7a3e-7b21-8c4d-5e6f70819203",
	    "--------------------------------- --",
	    NULL};
	size_t i;

	ck_assert_int_eq(mp_uuid_valid(NULL), 0);
	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(mp_uuid_valid(bad[i]) == 0, "accepted \"%s\"",
		              bad[i]);
}
END_TEST

/* A worker forked from a parent whose buffer is already filled must not
 * hand out the parent's next bytes (Kore forks workers after start). */
START_TEST(test_random_fork_does_not_share_bytes)
{
	unsigned char first[8], mine[64], theirs[64];
	int fds[2], status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	ck_assert_int_eq(mp_random_buf(first, sizeof(first)), 0); /* fills */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (mp_random_buf(theirs, sizeof(theirs)) != 0 ||
		    write(fds[1], theirs, sizeof(theirs)) != sizeof(theirs))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(mp_random_buf(mine, sizeof(mine)), 0);
	while (got < sizeof(theirs)) {
		r = read(fds[0], theirs + got, sizeof(theirs) - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(memcmp(mine, theirs, sizeof(mine)) != 0,
	              "parent and forked child drew the same bytes");
}
END_TEST

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Bytes are handed out once: 4,096 draws of 8 bytes (128 refills of the
 * buffer) are all distinct, and draws larger than the buffer's quarter
 * come straight from libsodium. */
START_TEST(test_random_bytes_handed_out_once)
{
	static uint64_t v[4096];
	unsigned char big[200], zero[200] = {0};
	size_t i;

	for (i = 0; i < 4096; i++)
		ck_assert_int_eq(mp_random_buf(&v[i], sizeof(v[i])), 0);
	qsort(v, 4096, sizeof(v[0]), cmp_u64);
	for (i = 1; i < 4096; i++)
		ck_assert_msg(v[i - 1] != v[i], "a draw repeated");
	ck_assert_int_eq(mp_random_buf(big, sizeof(big)), 0);
	ck_assert(memcmp(big, zero, sizeof(big)) != 0);
}
END_TEST

static Suite *
uuid_suite(void)
{
	Suite *s = suite_create("uuid");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_v7_shape);
	tcase_add_test(tc, test_v7_timestamp_is_now);
	tcase_add_test(tc, test_v7_strictly_increasing);
	tcase_add_test(tc, test_v7_burst_past_counter_space);
	tcase_add_test(tc, test_v7_unique_across_processes);
	tcase_add_test(tc, test_v7_threads_unique_and_ordered);
	tcase_add_test(tc, test_valid_accepts_canonical);
	tcase_add_test(tc, test_valid_rejects_others);
	tcase_add_test(tc, test_random_fork_does_not_share_bytes);
	tcase_add_test(tc, test_random_bytes_handed_out_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(uuid_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
