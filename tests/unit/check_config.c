/*
 * check_config: start-up configuration is read strictly, reported in one
 * actionable line, and never leaks a secret into that line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "mp/config.h"

static Suite *config_suite(void);
static const char *fake_get(const char *name);
static void fake_set(const char *const *pairs);

/* name, value, name, value, ..., NULL */
static const char *const *fake_env;

static const char *
fake_get(const char *name)
{
	size_t i;

	for (i = 0; fake_env != NULL && fake_env[i] != NULL; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

static void
fake_set(const char *const *pairs)
{
	fake_env = pairs;
}

static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const pg_schemes[] = {"postgres", "postgresql", NULL};

START_TEST(test_all_types_good)
{
	char db[128] = "", redis[64] = "", level[8] = "", name[16] = "";
	char path[64] = "";
	int64_t workers = 0, timeout = 0;
	int debug = -1;
	char err[256] = "untouched";
	const struct mp_cfg_var vars[] = {
	    {"FUNDING_DB_URL", MP_CFG_URL, 1, NULL, 0, 0, pg_schemes, db,
	     sizeof(db), "PostgreSQL connection URL"},
	    {"MP_REDIS_URL", MP_CFG_URL, 1, NULL, 0, 0, NULL, redis,
	     sizeof(redis), "Redis URL"},
	    {"MP_WORKERS", MP_CFG_INT, 0, "4", 1, 64, NULL, &workers,
	     sizeof(workers), "worker processes"},
	    {"MP_TIMEOUT", MP_CFG_DURATION_MS, 0, NULL, 0, 0, NULL, &timeout,
	     sizeof(timeout), "upstream timeout"},
	    {"MP_DEBUG", MP_CFG_BOOL, 0, "false", 0, 0, NULL, &debug,
	     sizeof(debug), NULL},
	    {"MP_LOG_LEVEL", MP_CFG_ENUM, 0, "info", 0, 0, levels, level,
	     sizeof(level), NULL},
	    {"MP_NAME", MP_CFG_STRING, 0, NULL, 0, 0, NULL, name, sizeof(name),
	     NULL},
	    {"MP_DIR", MP_CFG_PATH, 0, NULL, 0, 0, NULL, path, sizeof(path),
	     NULL},
	};
	const char *const env[] = {"FUNDING_DB_URL",
	                           "postgresql://app:pw@db:5432/funding",
	                           "MP_REDIS_URL",
	                           "redis://cache:6379/0",
	                           "MP_WORKERS",
	                           "64",
	                           "MP_TIMEOUT",
	                           "5s",
	                           "MP_DEBUG",
	                           "YES",
	                           "MP_LOG_LEVEL",
	                           "warn",
	                           "MP_NAME",
	                           "souss-massa",
	                           "MP_DIR",
	                           "/tmp",
	                           NULL};

	fake_set(env);
	ck_assert_int_eq(mp_config_load(vars, 8, fake_get, err, sizeof(err)),
	                 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(db, "postgresql://app:pw@db:5432/funding");
	ck_assert_str_eq(redis, "redis://cache:6379/0");
	ck_assert_int_eq(workers, 64);
	ck_assert_int_eq(timeout, 5000);
	ck_assert_int_eq(debug, 1);
	ck_assert_str_eq(level, "warn");
	ck_assert_str_eq(name, "souss-massa");
	ck_assert_str_eq(path, "/tmp");
}
END_TEST

START_TEST(test_defaults_and_unset_optionals)
{
	int64_t workers = 0, keep = 77;
	int debug = -1;
	char level[8] = "keep";
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_WORKERS", MP_CFG_INT, 0, "4", 1, 64, NULL, &workers,
	     sizeof(workers), NULL},
	    {"MP_DEBUG", MP_CFG_BOOL, 1, "off", 0, 0, NULL, &debug,
	     sizeof(debug), NULL},
	    {"MP_OPT", MP_CFG_INT, 0, NULL, 0, 0, NULL, &keep, sizeof(keep),
	     NULL},
	    {"MP_LEVEL", MP_CFG_ENUM, 0, NULL, 0, 0, levels, level,
	     sizeof(level), NULL},
	};
	/* empty counts as unset */
	const char *const env[] = {"MP_WORKERS", "", NULL};

	fake_set(env);
	ck_assert_int_eq(mp_config_load(vars, 4, fake_get, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(workers, 4);
	ck_assert_int_eq(debug, 0);
	ck_assert_int_eq(keep, 77);
	ck_assert_str_eq(level, "keep");
}
END_TEST

START_TEST(test_missing_required)
{
	char db[64], err[256];
	const struct mp_cfg_var vars[] = {
	    {"FUNDING_DB_URL", MP_CFG_URL, 1, NULL, 0, 0, NULL, db, sizeof(db),
	     "PostgreSQL connection URL"},
	};
	const struct mp_cfg_var nohelp[] = {
	    {"MP_X", MP_CFG_STRING, 1, NULL, 0, 0, NULL, NULL, 0, NULL},
	};
	const char *const empty[] = {"FUNDING_DB_URL", "", NULL};

	fake_set(NULL);
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(
	    err,
	    "config: FUNDING_DB_URL is required (PostgreSQL connection URL)");
	fake_set(empty);
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(
	    err,
	    "config: FUNDING_DB_URL is required (PostgreSQL connection URL)");
	ck_assert_int_eq(mp_config_load(nohelp, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, "config: MP_X is required");
}
END_TEST

struct int_case {
	const char *value, *msg;
};

static const struct int_case int_cases[] = {
    {"abc", "config: MP_WORKERS=abc is not an integer between 1 and 64"},
    {"0", "config: MP_WORKERS=0 is not an integer between 1 and 64"},
    {"65", "config: MP_WORKERS=65 is not an integer between 1 and 64"},
    {"-1", "config: MP_WORKERS=-1 is not an integer between 1 and 64"},
    {"4 ", "config: MP_WORKERS=4  is not an integer between 1 and 64"},
    {" 4", "config: MP_WORKERS= 4 is not an integer between 1 and 64"},
    {"+4", "config: MP_WORKERS=+4 is not an integer between 1 and 64"},
    {"4.0", "config: MP_WORKERS=4.0 is not an integer between 1 and 64"},
    {"0x10", "config: MP_WORKERS=0x10 is not an integer between 1 and 64"},
    {"1e1", "config: MP_WORKERS=1e1 is not an integer between 1 and 64"},
    {"-", "config: MP_WORKERS=- is not an integer between 1 and 64"},
    {"99999999999999999999",
     "config: MP_WORKERS=99999999999999999999 is not an integer between "
     "1 and 64"},
    {"4\n", "config: MP_WORKERS=4? is not an integer between 1 and 64"},
};

START_TEST(test_int_malformed_and_out_of_range)
{
	const struct int_case *c = &int_cases[_i];
	int64_t workers = 9;
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_WORKERS", MP_CFG_INT, 1, NULL, 1, 64, NULL, &workers,
	     sizeof(workers), NULL},
	};
	const char *env[] = {"MP_WORKERS", c->value, NULL};

	fake_set(env);
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, c->msg);
	ck_assert_int_eq(workers, 9);
}
END_TEST

START_TEST(test_int_unbounded_edges)
{
	int64_t v = 0;
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"N", MP_CFG_INT, 1, NULL, 0, 0, NULL, &v, sizeof(v), NULL},
	};
	const char *env[] = {"N", "9223372036854775807", NULL};

	fake_set(env);
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(v, INT64_MAX);
	env[1] = "-9223372036854775808";
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(v, INT64_MIN);
	env[1] = "9223372036854775808";
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err,
	                 "config: N=9223372036854775808 is not an integer");
	env[1] = "-9223372036854775809";
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
}
END_TEST

START_TEST(test_bool_values)
{
	static const char *const yes[] = {"1",   "true", "TRUE",
	                                  "Yes", "on",   NULL};
	static const char *const no[] = {"0", "false", "No", "OFF", NULL};
	static const char *const bad[] = {"2",     "y",     "t",  "enabled",
	                                  " true", "true ", "-1", NULL};
	int b = -1;
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_DEBUG", MP_CFG_BOOL, 1, NULL, 0, 0, NULL, &b, sizeof(b), NULL},
	};
	const char *env[] = {"MP_DEBUG", NULL, NULL};
	size_t i;

	fake_set(env);
	for (i = 0; yes[i] != NULL; i++) {
		env[1] = yes[i];
		b = -1;
		ck_assert_int_eq(
		    mp_config_load(vars, 1, fake_get, err, sizeof(err)), 0);
		ck_assert_int_eq(b, 1);
	}
	for (i = 0; no[i] != NULL; i++) {
		env[1] = no[i];
		b = -1;
		ck_assert_int_eq(
		    mp_config_load(vars, 1, fake_get, err, sizeof(err)), 0);
		ck_assert_int_eq(b, 0);
	}
	for (i = 0; bad[i] != NULL; i++) {
		env[1] = bad[i];
		ck_assert_int_eq(
		    mp_config_load(vars, 1, fake_get, err, sizeof(err)),
		    -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "is not a boolean"));
	}
	env[1] = "maybe";
	mp_config_load(vars, 1, fake_get, err, sizeof(err));
	ck_assert_str_eq(err, "config: MP_DEBUG=maybe is not a boolean "
	                      "(true/false, yes/no, on/off, 1/0)");
}
END_TEST

START_TEST(test_enum_values)
{
	char level[8];
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_LOG_LEVEL", MP_CFG_ENUM, 1, NULL, 0, 0, levels, level,
	     sizeof(level), NULL},
	};
	const char *env[] = {"MP_LOG_LEVEL", "verbose", NULL};

	fake_set(env);
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, "config: MP_LOG_LEVEL=verbose is not one of: "
	                      "debug, info, warn, error");
	env[1] = "INFO"; /* exact match only */
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	env[1] = "error";
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 0);
	ck_assert_str_eq(level, "error");
}
END_TEST

START_TEST(test_url_schemes)
{
	static const char *const good[] = {
	    "postgres://db/funding",
	    "postgresql://app@db:5432/funding?sslmode=require",
	    "redis://cache:6379",
	    "rediss://cache:6380",
	    "http://funding:8080",
	    "HTTPS://gw.example.ma",
	    NULL};
	static const char *const bad[] = {"mysql://db/x",
	                                  "postgres:/db",
	                                  "postgres://",
	                                  "db:5432",
	                                  "://db",
	                                  "postgres ://db",
	                                  "postgres://db funding",
	                                  "postgres://db\n",
	                                  "file:///etc/passwd",
	                                  "ftp://x",
	                                  NULL};
	char url[128], err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_URL", MP_CFG_URL, 1, NULL, 0, 0, NULL, url, sizeof(url), NULL},
	};
	const struct mp_cfg_var pg_only[] = {
	    {"MP_URL", MP_CFG_URL, 1, NULL, 0, 0, pg_schemes, url, sizeof(url),
	     NULL},
	};
	const char *env[] = {"MP_URL", NULL, NULL};
	size_t i;

	fake_set(env);
	for (i = 0; good[i] != NULL; i++) {
		env[1] = good[i];
		ck_assert_msg(
		    mp_config_load(vars, 1, fake_get, err, sizeof(err)) == 0,
		    "%s: %s", good[i], err);
		ck_assert_str_eq(url, good[i]);
	}
	for (i = 0; bad[i] != NULL; i++) {
		env[1] = bad[i];
		ck_assert_msg(mp_config_load(vars, 1, fake_get, err,
		                             sizeof(err)) == -EINVAL,
		              "accepted %s", bad[i]);
		ck_assert_ptr_null(strchr(err, '\n'));
	}
	env[1] = "mysql://db/x";
	mp_config_load(vars, 1, fake_get, err, sizeof(err));
	ck_assert_str_eq(err, "config: MP_URL=mysql://db/x is not a URL "
	                      "starting with one of: postgres://, "
	                      "postgresql://, redis://, rediss://, http://, "
	                      "https://");
	env[1] = "redis://cache:6379";
	ck_assert_int_eq(mp_config_load(pg_only, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, "config: MP_URL=redis://cache:6379 is not a URL "
	                      "starting with one of: postgres://, "
	                      "postgresql://");
}
END_TEST

START_TEST(test_secrets_masked)
{
	char buf[32], err[256];
	int64_t n;
	const struct mp_cfg_var url[] = {
	    {"FUNDING_DB_URL", MP_CFG_URL, 1, NULL, 0, 0, pg_schemes, buf,
	     sizeof(buf), NULL},
	};
	const struct mp_cfg_var named[] = {
	    {"MP_JWT_KEY_BITS", MP_CFG_INT, 1, NULL, 2048, 4096, NULL, &n,
	     sizeof(n), NULL},
	    {"MP_DB_PASSWORD", MP_CFG_ENUM, 1, NULL, 0, 0, levels, buf,
	     sizeof(buf), NULL},
	    {"MP_HMAC_Secret", MP_CFG_BOOL, 1, NULL, 0, 0, NULL, &n, sizeof(n),
	     NULL},
	    {"MP_API_TOKEN", MP_CFG_DURATION_MS, 1, NULL, 0, 0, NULL, &n,
	     sizeof(n), NULL},
	};
	const char *env[] = {"FUNDING_DB_URL",
	                     "mysql://app:hunter2@db:5432/funding",
	                     "MP_JWT_KEY_BITS",
	                     "hunter2",
	                     "MP_DB_PASSWORD",
	                     "hunter2",
	                     "MP_HMAC_Secret",
	                     "hunter2",
	                     "MP_API_TOKEN",
	                     "hunter2",
	                     NULL};
	size_t i;

	fake_set(env);
	ck_assert_int_eq(mp_config_load(url, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	ck_assert_ptr_null(strstr(err, "app"));
	ck_assert_ptr_nonnull(strstr(err, "FUNDING_DB_URL=*** is not a URL"));

	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(
		    mp_config_load(&named[i], 1, fake_get, err, sizeof(err)),
		    -EINVAL);
		ck_assert_msg(strstr(err, "hunter2") == NULL, "%s", err);
		ck_assert_msg(strstr(err, "=***") != NULL, "%s", err);
	}

	/* a valid URL with credentials that does not fit: no value shown */
	env[1] = "postgres://app:hunter2@db.internal.example:5432/funding";
	ck_assert_int_eq(mp_config_load(url, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	ck_assert_str_eq(err, "config: FUNDING_DB_URL is longer than 31 bytes");

	/* libpq keyword strings are masked by shape too */
	env[1] = "host=db password=hunter2";
	ck_assert_int_eq(mp_config_load(url, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_null(strstr(err, "hunter2"));

	/* a URL without credentials is shown (it helps) */
	env[1] = "mysql://db/funding";
	mp_config_load(url, 1, fake_get, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "mysql://db/funding"));
}
END_TEST

START_TEST(test_value_shown_on_one_short_line)
{
	char long_value[300], err[512];
	int64_t n;
	const struct mp_cfg_var vars[] = {
	    {"MP_N", MP_CFG_INT, 1, NULL, 0, 0, NULL, &n, sizeof(n), NULL},
	};
	const char *env[] = {"MP_N", "1\n2\r3\x1b[31m", NULL};

	fake_set(env);
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, "config: MP_N=1?2?3?[31m is not an integer");

	memset(long_value, '7', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	env[1] = long_value;
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "..."));
	ck_assert_uint_lt(strlen(err), 120);

	/* a tiny buffer is still terminated */
	err[5] = 'Z';
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, 5), -EINVAL);
	ck_assert_uint_eq(strlen(err), 4);
	ck_assert_int_eq(err[5], 'Z');
	/* and no buffer at all is fine */
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_durations)
{
	static const struct {
		const char *v;
		int64_t ms;
	} good[] = {{"250ms", 250},  {"5s", 5000},   {"2m", 120000},
	            {"1h", 3600000}, {"1500", 1500}, {"0", 0},
	            {"0s", 0}};
	static const char *const bad[] = {"5 s",
	                                  "5S",
	                                  "5sec",
	                                  "-5s",
	                                  "1.5s",
	                                  "ms",
	                                  "s5",
	                                  "5ms ",
	                                  "5d",
	                                  "1e3",
	                                  "+5s",
	                                  "9223372036854775807s",
	                                  "99999999999999999999",
	                                  NULL};
	int64_t v = 0;
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_T", MP_CFG_DURATION_MS, 1, NULL, 0, 0, NULL, &v, sizeof(v),
	     NULL},
	};
	const struct mp_cfg_var ranged[] = {
	    {"MP_T", MP_CFG_DURATION_MS, 1, NULL, 100, 60000, NULL, &v,
	     sizeof(v), NULL},
	};
	const char *env[] = {"MP_T", NULL, NULL};
	size_t i;

	fake_set(env);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		env[1] = good[i].v;
		ck_assert_int_eq(
		    mp_config_load(vars, 1, fake_get, err, sizeof(err)), 0);
		ck_assert_int_eq(v, good[i].ms);
	}
	for (i = 0; bad[i] != NULL; i++) {
		env[1] = bad[i];
		ck_assert_msg(mp_config_load(vars, 1, fake_get, err,
		                             sizeof(err)) == -EINVAL,
		              "accepted %s", bad[i]);
	}
	env[1] = "2m";
	ck_assert_int_eq(mp_config_load(ranged, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, "config: MP_T=2m is not a duration (e.g. 250ms, "
	                      "5s, 2m) between 100ms and 60000ms");
	env[1] = "1m";
	ck_assert_int_eq(mp_config_load(ranged, 1, fake_get, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(v, 60000);
}
END_TEST

START_TEST(test_paths)
{
	char path[256], err[512], file[] = "/tmp/check_config_XXXXXX";
	const struct mp_cfg_var vars[] = {
	    {"MP_KEYFILE_PATH", MP_CFG_PATH, 1, NULL, 0, 0, NULL, path,
	     sizeof(path), NULL},
	};
	const char *env[] = {"MP_KEYFILE_PATH", NULL, NULL};
	int fd = mkstemp(file);

	ck_assert_int_ge(fd, 0);
	close(fd);
	fake_set(env);
	env[1] = file;
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 0);
	ck_assert_str_eq(path, file);
	env[1] = "/nonexistent/dir/jwt.pem";
	ck_assert_int_eq(mp_config_load(vars, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	/* the name contains KEY: even the path is masked */
	ck_assert_str_eq(err, "config: MP_KEYFILE_PATH=*** is not a readable "
	                      "file or directory");
	if (geteuid() != 0) { /* root reads everything */
		chmod(file, 0);
		env[1] = file;
		ck_assert_int_eq(
		    mp_config_load(vars, 1, fake_get, err, sizeof(err)),
		    -EINVAL);
	}
	unlink(file);
}
END_TEST

START_TEST(test_string_too_long_and_first_problem_only)
{
	char a[8] = "", b[8] = "";
	int64_t n = 0;
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_A", MP_CFG_STRING, 1, NULL, 0, 0, NULL, a, sizeof(a), NULL},
	    {"MP_B", MP_CFG_STRING, 1, NULL, 0, 0, NULL, b, sizeof(b), NULL},
	    {"MP_N", MP_CFG_INT, 1, NULL, 0, 0, NULL, &n, sizeof(n), NULL},
	};
	const char *env[] = {"MP_A", "1234567", "MP_B", "12345678",
	                     "MP_N", "x",       NULL};

	fake_set(env);
	ck_assert_int_eq(mp_config_load(vars, 3, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(err, "config: MP_B is longer than 7 bytes");
	ck_assert_str_eq(a, "1234567");
	ck_assert_str_eq(b, "");
}
END_TEST

START_TEST(test_reads_environment_by_default)
{
	int64_t n = 0;
	char err[256];
	const struct mp_cfg_var vars[] = {
	    {"MP_CHECK_CONFIG_N", MP_CFG_INT, 1, NULL, 0, 0, NULL, &n,
	     sizeof(n), NULL},
	};

	ck_assert_int_eq(setenv("MP_CHECK_CONFIG_N", "42", 1), 0);
	ck_assert_int_eq(mp_config_load(vars, 1, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 42);
	unsetenv("MP_CHECK_CONFIG_N");
	ck_assert_int_eq(mp_config_load(vars, 1, NULL, err, sizeof(err)),
	                 -EINVAL);
}
END_TEST

START_TEST(test_bad_declarations)
{
	char err[256];
	const struct mp_cfg_var noname[] = {
	    {NULL, MP_CFG_INT, 1, NULL, 0, 0, NULL, NULL, 0, NULL},
	};

	ck_assert_int_eq(mp_config_load(NULL, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_int_eq(mp_config_load(noname, 1, fake_get, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_int_eq(mp_config_load(NULL, 0, fake_get, err, sizeof(err)),
	                 0);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_all_types_good);
	tcase_add_test(tc, test_defaults_and_unset_optionals);
	tcase_add_test(tc, test_missing_required);
	tcase_add_loop_test(tc, test_int_malformed_and_out_of_range, 0,
	                    (int)(sizeof(int_cases) / sizeof(int_cases[0])));
	tcase_add_test(tc, test_int_unbounded_edges);
	tcase_add_test(tc, test_bool_values);
	tcase_add_test(tc, test_enum_values);
	tcase_add_test(tc, test_url_schemes);
	tcase_add_test(tc, test_secrets_masked);
	tcase_add_test(tc, test_value_shown_on_one_short_line);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_string_too_long_and_first_problem_only);
	tcase_add_test(tc, test_reads_environment_by_default);
	tcase_add_test(tc, test_bad_declarations);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
