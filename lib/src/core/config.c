/*
 * config.c: environment configuration, checked once at start-up.
 *
 * Why strict parsing: a typo in a deployment ("MP_WORKERS=4 " or
 * "TIMEOUT=5 s") must stop the process with a clear line, not silently
 * become 0 through atoi. Why masking by name and by shape: error lines end
 * up in container logs that many people read, and a database URL or a key
 * passphrase must never travel there. Why an injectable getter: tests run
 * in parallel and must not depend on the process environment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mp/config.h"
#include "mp/util.h"

#define SHOW_MAX 64

static const char *const default_schemes[] = {
    "postgres", "postgresql", "redis", "rediss", "http", "https", NULL};

static const char *env_get(const char *name);
static int must_mask(const char *name, const char *value);
static void show_value(const char *name, const char *value, char *buf,
                       size_t buflen);
static void join(const char *const *list, const char *suffix, char *buf,
                 size_t buflen);
static int parse_int(const char *s, int64_t *out);
static int parse_bool(const char *s, int *out);
static int parse_duration(const char *s, int64_t *out);
static int url_ok(const char *s, const char *const *schemes);
static int has_ctl(const char *s);
static int load_one(const struct mp_cfg_var *v, const char *value, char *err,
                    size_t errlen);

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static int
must_mask(const char *name, const char *value)
{
	static const char *const words[] = {"PASSWORD", "SECRET", "KEY",
	                                    "TOKEN", NULL};
	const char *auth, *end, *at;
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strcasestr(name, words[i]) != NULL)
			return 1;
	/* libpq keyword strings: "host=db password=..." */
	if (strcasestr(value, "password") != NULL)
		return 1;
	/* userinfo in a URL: scheme://user:pass@host/... */
	if ((auth = strstr(value, "://")) != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
		at = memchr(auth, '@', (size_t)(end - auth));
		if (at != NULL)
			return 1;
	}
	return 0;
}

/* The value as it may appear in an error line. */
static void
show_value(const char *name, const char *value, char *buf, size_t buflen)
{
	size_t i;

	if (must_mask(name, value)) {
		snprintf(buf, buflen, "***");
		return;
	}
	for (i = 0; value[i] != '\0' && i < SHOW_MAX && i + 4 < buflen; i++)
		buf[i] = ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
		             ? '?'
		             : value[i];
	if (value[i] != '\0' && i + 4 <= buflen) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

static void
join(const char *const *list, const char *suffix, char *buf, size_t buflen)
{
	size_t i, n = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; list != NULL && list[i] != NULL; i++) {
		w = snprintf(buf + n, buflen - n, "%s%s%s", i > 0 ? ", " : "",
		             list[i], suffix);
		if (w < 0 || (size_t)w >= buflen - n)
			break;
		n += (size_t)w;
	}
}

static int
parse_int(const char *s, int64_t *out)
{
	uint64_t v = 0, limit = INT64_MAX;
	int neg = 0;

	if (*s == '-') {
		neg = 1;
		limit = (uint64_t)INT64_MAX + 1;
		s++;
	}
	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (limit - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on", NULL};
	static const char *const no[] = {"0", "false", "no", "off", NULL};
	size_t i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static int
parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
	    {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	uint64_t v = 0;
	size_t i;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].unit) != 0)
			continue;
		if (v > (uint64_t)(INT64_MAX / units[i].ms))
			return -ERANGE;
		*out = (int64_t)v * units[i].ms;
		return 0;
	}
	return -EINVAL;
}

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
url_ok(const char *s, const char *const *schemes)
{
	const char *sep = strstr(s, "://");
	size_t i, slen;

	if (sep == NULL || sep[3] == '\0' || has_ctl(s))
		return 0;
	slen = (size_t)(sep - s);
	for (i = 0; schemes[i] != NULL; i++)
		if (strlen(schemes[i]) == slen &&
		    strncasecmp(s, schemes[i], slen) == 0)
			return 1;
	return 0;
}

static int
load_one(const struct mp_cfg_var *v, const char *value, char *err,
         size_t errlen)
{
	char shown[SHOW_MAX + 8], list[256], range[64] = "";
	const char *const *schemes;
	int64_t iv;
	int bv, rc;
	size_t i;

	show_value(v->name, value, shown, sizeof(shown));
	if (v->min != 0 || v->max != 0)
		snprintf(range, sizeof(range), " between %lld and %lld",
		         (long long)v->min, (long long)v->max);

	switch (v->type) {
	case MP_CFG_INT:
		rc = parse_int(value, &iv);
		if (rc != 0 || ((v->min != 0 || v->max != 0) &&
		                (iv < v->min || iv > v->max))) {
			mp_err_set(err, errlen,
			           "config: %s=%s is not an integer%s", v->name,
			           shown, range);
			return -EINVAL;
		}
		if (v->out != NULL)
			*(int64_t *)v->out = iv;
		return 0;
	case MP_CFG_DURATION_MS:
		rc = parse_duration(value, &iv);
		if (rc != 0 || ((v->min != 0 || v->max != 0) &&
		                (iv < v->min || iv > v->max))) {
			if (v->min != 0 || v->max != 0)
				snprintf(range, sizeof(range),
				         " between %lldms and %lldms",
				         (long long)v->min, (long long)v->max);
			mp_err_set(
			    err, errlen,
			    "config: %s=%s is not a duration (e.g. 250ms, 5s, "
			    "2m)%s",
			    v->name, shown, range);
			return -EINVAL;
		}
		if (v->out != NULL)
			*(int64_t *)v->out = iv;
		return 0;
	case MP_CFG_BOOL:
		if (parse_bool(value, &bv) != 0) {
			mp_err_set(
			    err, errlen,
			    "config: %s=%s is not a boolean (true/false, "
			    "yes/no, on/off, 1/0)",
			    v->name, shown);
			return -EINVAL;
		}
		if (v->out != NULL)
			*(int *)v->out = bv;
		return 0;
	case MP_CFG_ENUM:
		for (i = 0; v->enums != NULL && v->enums[i] != NULL; i++)
			if (strcmp(value, v->enums[i]) == 0)
				break;
		if (v->enums == NULL || v->enums[i] == NULL) {
			join(v->enums, "", list, sizeof(list));
			mp_err_set(err, errlen,
			           "config: %s=%s is not one of: %s", v->name,
			           shown, list);
			return -EINVAL;
		}
		break;
	case MP_CFG_URL:
		schemes = v->enums != NULL ? v->enums : default_schemes;
		if (!url_ok(value, schemes)) {
			join(schemes, "://", list, sizeof(list));
			mp_err_set(
			    err, errlen,
			    "config: %s=%s is not a URL starting with one of: "
			    "%s",
			    v->name, shown, list);
			return -EINVAL;
		}
		break;
	case MP_CFG_PATH:
		if (has_ctl(value) || access(value, R_OK) != 0) {
			mp_err_set(err, errlen,
			           "config: %s=%s is not a readable file or "
			           "directory",
			           v->name, shown);
			return -EINVAL;
		}
		break;
	case MP_CFG_STRING:
		break;
	default:
		mp_err_set(err, errlen, "config: %s has an unknown type",
		           v->name);
		return -EINVAL;
	}

	/* Text types are copied into char[out_size]. */
	if (v->out != NULL) {
		if (strlen(value) >= v->out_size) {
			mp_err_set(
			    err, errlen, "config: %s is longer than %zu bytes",
			    v->name, v->out_size > 0 ? v->out_size - 1 : 0);
			return -EINVAL;
		}
		memcpy(v->out, value, strlen(value) + 1);
	}
	return 0;
}

int
mp_config_load(const struct mp_cfg_var *vars, size_t n,
               const char *(*get)(const char *), char *err, size_t errlen)
{
	const char *value;
	size_t i;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (get == NULL)
		get = env_get;
	if (vars == NULL && n > 0) {
		mp_err_set(err, errlen, "config: no variables declared");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (vars[i].name == NULL) {
			mp_err_set(err, errlen,
			           "config: variable %zu has no name", i);
			return -EINVAL;
		}
		value = get(vars[i].name);
		if (value == NULL || value[0] == '\0')
			value = vars[i].def;
		if (value == NULL || value[0] == '\0') {
			if (!vars[i].required)
				continue;
			if (vars[i].help != NULL)
				mp_err_set(err, errlen,
				           "config: %s is required (%s)",
				           vars[i].name, vars[i].help);
			else
				mp_err_set(err, errlen,
				           "config: %s is required",
				           vars[i].name);
			return -EINVAL;
		}
		if ((rc = load_one(&vars[i], value, err, errlen)) != 0)
			return rc;
	}
	return 0;
}
