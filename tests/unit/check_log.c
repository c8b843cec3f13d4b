/*
 * check_log: every line is one valid JSON object with the standard fields,
 * whatever bytes the message holds, and lines from concurrent processes
 * never interleave.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "mp/log.h"
#include "mp/util.h"

static Suite *log_suite(void);
static void concurrent_writers(FILE *f);
static void check_lines(char *buf);
static char *read_all(FILE *f, size_t *len);
static size_t split_lines(char *buf, char **lines, size_t max);
static json_t *only_line(FILE *f);

static char *
read_all(FILE *f, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;

	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	r = pread(fileno(f), buf, (size_t)st.st_size, 0);
	ck_assert_int_eq(r, st.st_size);
	buf[r] = '\0';
	*len = (size_t)r;
	return buf;
}

/* Split at '\n' (each line must end with one). */
static size_t
split_lines(char *buf, char **lines, size_t max)
{
	size_t n = 0;
	char *p = buf, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "line without newline");
		*nl = '\0';
		ck_assert_uint_lt(n, max);
		lines[n++] = p;
		p = nl + 1;
	}
	return n;
}

/* The file holds exactly one line: parse it. */
static json_t *
only_line(FILE *f)
{
	char *buf, *lines[4];
	size_t len;
	json_error_t e;
	json_t *j;

	buf = read_all(f, &len);
	ck_assert_uint_le(len, MP_LOG_LINE_MAX);
	ck_assert_uint_eq(split_lines(buf, lines, 4), 1);
	j = json_loads(lines[0], JSON_REJECT_DUPLICATES, &e);
	ck_assert_msg(j != NULL, "not JSON (%s): %s", e.text, lines[0]);
	free(buf);
	return j;
}

#define STR(j, k) json_string_value(json_object_get((j), (k)))

START_TEST(test_standard_fields)
{
	FILE *f = tmpfile();
	int64_t t, now = mp_now_ms();
	json_t *j;

	mp_log_init("funding", MP_LOG_DEBUG, f);
	mp_log(MP_LOG_INFO, "relay", "published %d events", 3);
	j = only_line(f);
	ck_assert_uint_eq(json_object_size(j), 5);
	ck_assert_str_eq(STR(j, "level"), "info");
	ck_assert_str_eq(STR(j, "service"), "funding");
	ck_assert_str_eq(STR(j, "event"), "relay");
	ck_assert_str_eq(STR(j, "msg"), "published 3 events");
	ck_assert_uint_eq(strlen(STR(j, "time")), 24);
	ck_assert_int_eq(STR(j, "time")[23], 'Z');
	ck_assert_int_eq(mp_time_parse(STR(j, "time"), &t), 0);
	ck_assert_int_le(llabs(t - now), 2000);
	json_decref(j);
	fclose(f);
}
END_TEST

START_TEST(test_levels)
{
	FILE *f = tmpfile();
	char *buf, *lines[8];
	size_t len;
	json_t *j;
	enum mp_log_level l = MP_LOG_DEBUG;

	mp_log_init("gender", MP_LOG_WARN, f);
	mp_log(MP_LOG_DEBUG, "e", "d");
	mp_log(MP_LOG_INFO, "e", "i");
	mp_log(MP_LOG_WARN, "e", "w");
	mp_log(MP_LOG_ERROR, "e", "x");
	mp_log_access("r", "GET", "/v1/x", 200, 1.0); /* info: dropped */
	buf = read_all(f, &len);
	ck_assert_uint_eq(split_lines(buf, lines, 8), 2);
	j = json_loads(lines[0], 0, NULL);
	ck_assert_str_eq(STR(j, "level"), "warn");
	json_decref(j);
	j = json_loads(lines[1], 0, NULL);
	ck_assert_str_eq(STR(j, "level"), "error");
	json_decref(j);
	free(buf);
	fclose(f);

	ck_assert_int_eq(mp_log_level_parse("debug", &l), 0);
	ck_assert_int_eq(l, MP_LOG_DEBUG);
	ck_assert_int_eq(mp_log_level_parse("INFO", &l), 0);
	ck_assert_int_eq(l, MP_LOG_INFO);
	ck_assert_int_eq(mp_log_level_parse("Warning", &l), 0);
	ck_assert_int_eq(l, MP_LOG_WARN);
	ck_assert_int_eq(mp_log_level_parse("error", &l), 0);
	ck_assert_int_eq(l, MP_LOG_ERROR);
	ck_assert_int_eq(mp_log_level_parse("fatal", &l), -EINVAL);
	ck_assert_int_eq(mp_log_level_parse("", &l), -EINVAL);
	ck_assert_int_eq(mp_log_level_parse("info ", &l), -EINVAL);
	ck_assert_int_eq(mp_log_level_parse(NULL, &l), -EINVAL);
	ck_assert_int_eq(l, MP_LOG_ERROR);
}
END_TEST

START_TEST(test_escaping_round_trips)
{
	const char *msg = "quote\" backslash\\ nl\n cr\r tab\t bell\x07 "
	                  "esc\x1b del\x7f slash/ \xd9\x85\xd8\xb1\xd8\xad\xd8"
	                  "\xa8\xd8\xa7 \xe2\xb4\xb0 \xf0\x9f\x98\x80";
	FILE *f = tmpfile();
	json_t *j;

	mp_log_init("cases", MP_LOG_DEBUG, f);
	mp_log(MP_LOG_INFO, "ev\"ent\n", "%s", msg);
	j = only_line(f);
	ck_assert_str_eq(STR(j, "msg"), msg);
	ck_assert_str_eq(STR(j, "event"), "ev\"ent\n");
	json_decref(j);
	fclose(f);
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	FILE *f = tmpfile();
	json_t *j;

	mp_log_init("svc\xff", MP_LOG_DEBUG, f);
	mp_log(MP_LOG_INFO, "e",
	       "a\xff"
	       "b\xc3 c\xed\xa0\x80"
	       "d\xc0\xaf"
	       "e\xf4\x90\x80\x80"
	       "f\xe2\x82");
	j = only_line(f);
	ck_assert_str_eq(STR(j, "msg"),
	                 "a\xef\xbf\xbd"
	                 "b\xef\xbf\xbd c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                 "d\xef\xbf\xbd\xef\xbf\xbd"
	                 "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                 "f\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(STR(j, "service"), "svc\xef\xbf\xbd");
	json_decref(j);
	fclose(f);
}
END_TEST

START_TEST(test_long_messages_truncated)
{
	size_t n = 10000, i;
	char *big = malloc(n + 1);
	FILE *f;
	json_t *j;
	const char *m;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';

	f = tmpfile();
	mp_log_init("funding", MP_LOG_DEBUG, f);
	mp_log(MP_LOG_ERROR, "e", "%s", big);
	j = only_line(f);
	m = STR(j, "msg");
	ck_assert_uint_eq(strlen(m), MP_LOG_MSG_MAX);
	ck_assert_int_eq(strncmp(m, big, MP_LOG_MSG_MAX), 0);
	json_decref(j);
	fclose(f);

	/* control characters expand six-fold when escaped: still one valid
	 * line within the limit, cut with an ellipsis */
	memset(big, '\x01', n);
	f = tmpfile();
	mp_log_init("funding", MP_LOG_DEBUG, f);
	mp_log(MP_LOG_ERROR, "e", "%s", big);
	j = only_line(f);
	m = STR(j, "msg");
	ck_assert_uint_gt(strlen(m), 100);
	ck_assert_str_eq(m + strlen(m) - 3, "\xe2\x80\xa6");
	json_decref(j);
	fclose(f);

	/* multibyte characters are never split */
	for (i = 0; i + 2 <= n; i += 2)
		memcpy(big + i, "\xd8\xb9", 2);
	big[i] = '\0';
	f = tmpfile();
	mp_log_init("funding", MP_LOG_DEBUG, f);
	mp_log(MP_LOG_ERROR, "e", "x%s", big); /* odd offset at 2048 */
	j = only_line(f);
	m = STR(j, "msg");
	ck_assert_ptr_null(strstr(m, "\xef\xbf\xbd"));
	json_decref(j);
	fclose(f);
	free(big);
}
END_TEST

START_TEST(test_access_line)
{
	FILE *f = tmpfile();
	json_t *j;

	mp_log_init("gateway", MP_LOG_INFO, f);
	mp_log_access("req-\"1\"", "POST", "/v1/funding/calls/{id}", 201,
	              12.34567);
	j = only_line(f);
	ck_assert_str_eq(STR(j, "level"), "info");
	ck_assert_str_eq(STR(j, "service"), "gateway");
	ck_assert_str_eq(STR(j, "event"), "access");
	ck_assert_str_eq(STR(j, "request_id"), "req-\"1\"");
	ck_assert_str_eq(STR(j, "method"), "POST");
	ck_assert_str_eq(STR(j, "route"), "/v1/funding/calls/{id}");
	ck_assert_ptr_nonnull(STR(j, "msg"));
	ck_assert_ptr_nonnull(STR(j, "time"));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 201);
	ck_assert(fabs(json_real_value(json_object_get(j, "duration_ms")) -
	               12.346) < 1e-9);
	json_decref(j);
	fclose(f);
}
END_TEST

START_TEST(test_access_line_odd_values)
{
	FILE *f = tmpfile();
	char *buf, *lines[4];
	size_t len, i;
	json_t *j;
	char big[6000];

	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mp_log_init("gateway", MP_LOG_INFO, f);
	mp_log_access(NULL, NULL, NULL, 0, NAN);
	mp_log_access(big, big, big, 599, INFINITY);
	mp_log_access("r", "GET", "/", 200, 1e300);
	buf = read_all(f, &len);
	ck_assert_uint_eq(split_lines(buf, lines, 4), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_lt(strlen(lines[i]), MP_LOG_LINE_MAX);
		j = json_loads(lines[i], JSON_REJECT_DUPLICATES, NULL);
		ck_assert_msg(j != NULL, "line %zu not JSON", i);
		ck_assert(json_is_null(json_object_get(j, "duration_ms")));
		ck_assert(json_is_integer(json_object_get(j, "status")));
		if (i == 0)
			ck_assert_str_eq(STR(j, "request_id"), "");
		json_decref(j);
	}
	free(buf);
	fclose(f);
}
END_TEST

START_TEST(test_key_values)
{
	FILE *f = tmpfile();
	char big[9000];
	const char *kv[] = {"request_id", "abc",   "msg",        "spoof",
	                    "level",      "spoof", "request_id", "dup",
	                    "outbox_id",  NULL,    NULL};
	const char *kv2[] = {"a", big, "b", big, "c", big, "d", "small", NULL};
	char *buf, *lines[4];
	size_t len;
	json_t *j;

	mp_log_init("funding", MP_LOG_DEBUG, f);
	mp_logkv(MP_LOG_WARN, "outbox", kv, "retry %s", "later");
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mp_logkv(MP_LOG_WARN, "outbox", kv2, "m");
	mp_logkv(MP_LOG_WARN, "outbox", NULL, "no kv");

	buf = read_all(f, &len);
	ck_assert_uint_eq(split_lines(buf, lines, 4), 3);
	j = json_loads(lines[0], JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(STR(j, "msg"), "retry later");
	ck_assert_str_eq(STR(j, "level"), "warn");
	ck_assert_str_eq(STR(j, "request_id"), "abc");
	ck_assert(json_is_null(json_object_get(j, "outbox_id")));
	ck_assert_uint_eq(json_object_size(j), 7);
	json_decref(j);

	ck_assert_uint_lt(strlen(lines[1]), MP_LOG_LINE_MAX);
	j = json_loads(lines[1], JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_nonnull(STR(j, "a"));
	ck_assert_uint_lt(strlen(STR(j, "a")), 300);
	ck_assert_str_eq(STR(j, "d"), "small");
	json_decref(j);
	free(buf);
	fclose(f);
}
END_TEST

START_TEST(test_defaults_and_errno)
{
	FILE *f = tmpfile();
	char name[200];
	json_t *j;

	memset(name, 's', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	mp_log_init(name, MP_LOG_DEBUG, f);
	errno = EAGAIN;
	mp_log(MP_LOG_DEBUG, NULL, NULL);
	ck_assert_int_eq(errno, EAGAIN);
	j = only_line(f);
	ck_assert_uint_eq(strlen(STR(j, "service")), 63);
	ck_assert_str_eq(STR(j, "event"), "");
	ck_assert_str_eq(STR(j, "msg"), "");
	ck_assert_str_eq(STR(j, "level"), "debug");
	json_decref(j);
	fclose(f);

	f = tmpfile();
	mp_log_init(NULL, MP_LOG_DEBUG, f);
	mp_log((enum mp_log_level)42, "e", "x");
	j = only_line(f);
	ck_assert_str_eq(STR(j, "service"), "unknown");
	ck_assert_str_eq(STR(j, "level"), "error");
	json_decref(j);
	fclose(f);
}
END_TEST

#define N_PROCS 8
#define N_LINES 400

/* Children share the descriptor: every line comes out whole. */
static void
concurrent_writers(FILE *f)
{
	char msg[2000];
	pid_t pids[N_PROCS];
	int i, k, status;

	for (i = 0; i < N_PROCS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			memset(msg, 'a' + i, sizeof(msg) - 1);
			msg[sizeof(msg) - 1] = '\0';
			mp_log_init("funding", MP_LOG_DEBUG, f);
			for (k = 0; k < N_LINES; k++)
				mp_log(MP_LOG_INFO, "w", "%d %s", k, msg);
			_exit(0);
		}
	}
	for (i = 0; i < N_PROCS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/* Every line is whole: JSON, and its message is "<k> " followed by 1999
 * copies of the writer's letter. */
static void
check_lines(char *buf)
{
	static char *lines[N_PROCS * N_LINES + 1];
	size_t n, i, k;
	json_t *j;
	const char *m, *body;

	n = split_lines(buf, lines, N_PROCS * N_LINES + 1);
	ck_assert_uint_eq(n, N_PROCS * N_LINES);
	for (i = 0; i < n; i++) {
		j = json_loads(lines[i], JSON_REJECT_DUPLICATES, NULL);
		ck_assert_msg(j != NULL, "line %zu is not JSON", i);
		m = STR(j, "msg");
		body = strchr(m, ' ');
		ck_assert_ptr_nonnull(body);
		body++;
		for (k = 0; body[k] == body[0]; k++)
			;
		ck_assert_uint_eq(k, 1999);
		ck_assert_int_eq(body[k], '\0');
		json_decref(j);
	}
}

START_TEST(test_no_interleaving_file)
{
	FILE *f = tmpfile();
	size_t len;
	char *buf;

	concurrent_writers(f);
	buf = read_all(f, &len);
	check_lines(buf);
	free(buf);
	fclose(f);
}
END_TEST

START_TEST(test_no_interleaving_pipe)
{
	int fds[2];
	FILE *w;
	size_t cap = N_PROCS * N_LINES * 2400, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t r;
	pid_t reader;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pipe(fds), 0);
	w = fdopen(fds[1], "w");
	ck_assert_ptr_nonnull(w);
	reader = fork();
	ck_assert_int_ge(reader, 0);
	if (reader == 0) {
		/* the writers: this child forks them and waits */
		close(fds[0]);
		concurrent_writers(w);
		_exit(0);
	}
	fclose(w);
	while ((r = read(fds[0], buf + len, cap - len)) > 0)
		len += (size_t)r;
	close(fds[0]);
	buf[len] = '\0';
	waitpid(reader, NULL, 0);
	check_lines(buf);
	free(buf);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_standard_fields);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_escaping_round_trips);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_long_messages_truncated);
	tcase_add_test(tc, test_access_line);
	tcase_add_test(tc, test_access_line_odd_values);
	tcase_add_test(tc, test_key_values);
	tcase_add_test(tc, test_defaults_and_errno);
	tcase_add_test(tc, test_no_interleaving_file);
	tcase_add_test(tc, test_no_interleaving_pipe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
