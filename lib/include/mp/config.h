/*
 * config.h: twelve-factor configuration from environment variables.
 *
 * A binary declares its variables in one table; mp_config_load reads and
 * checks them all at start-up and stops at the first problem with one
 * line an operator can act on. The caller then exits (fatal at start-up is
 * the one place the platform aborts).
 *
 *   static char db_url[512];
 *   static int64_t workers;
 *   static const struct mp_cfg_var vars[] = {
 *       {"FUNDING_DB_URL", MP_CFG_URL, 1, NULL, 0, 0, NULL, db_url,
 *           sizeof(db_url), "PostgreSQL connection URL"},
 *       {"MP_WORKERS", MP_CFG_INT, 0, "4", 1, 64, NULL, &workers,
 *           sizeof(workers), "worker processes"},
 *   };
 *   if (mp_config_load(vars, 2, NULL, err, sizeof(err)) != 0) ...
 */
#ifndef MP_CONFIG_H
#define MP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum mp_cfg_type {
	MP_CFG_STRING,     /* any text that fits out (char[out_size]) */
	MP_CFG_INT,        /* decimal, optional "-"; [min, max] unless both 0 */
	MP_CFG_BOOL,       /* true/false, yes/no, on/off, 1/0 (any case) */
	MP_CFG_ENUM,       /* one of enums (exact) */
	MP_CFG_URL,        /* scheme://rest, scheme among postgres,
	                      postgresql, redis, rediss, http, https (or
	                      among enums, given without "://", if set) */
	MP_CFG_PATH,       /* a file or directory that exists and is readable */
	MP_CFG_DURATION_MS /* "250ms", "5s", "2m", "1h" or bare milliseconds;
	                      [min, max] in ms unless both 0 */
};

struct mp_cfg_var {
	const char *name; /* environment variable */
	enum mp_cfg_type type;
	int required;     /* unset and no default -> error */
	const char *def;  /* default text (checked like a value), or NULL */
	int64_t min, max; /* INT, DURATION_MS */
	const char *const
	    *enums;       /* NULL-terminated: ENUM values, URL schemes */
	void *out;        /* STRING/URL/PATH/ENUM: char[out_size];
	                     INT/DURATION_MS: int64_t *; BOOL: int *;
	                     NULL: check only */
	size_t out_size;  /* for the char[] types; ignored otherwise */
	const char *help; /* what it is, quoted when it is missing */
};

/*
 * mp_config_load: for each of the n variables, read it with get (getenv
 * when NULL), fall back to def when unset or empty, check it, and store it
 * in out. An unset optional variable without default leaves out untouched.
 * Returns 0, or -EINVAL at the first problem, with err holding ONE line
 * (no newline), e.g.
 *   "config: FUNDING_DB_URL is required (PostgreSQL connection URL)"
 *   "config: MP_WORKERS=abc is not an integer between 1 and 64"
 * Values are echoed only when harmless: a variable whose name contains
 * PASSWORD, SECRET, KEY or TOKEN, and any value that carries URL
 * credentials (user:pass@), appear as "***"; other values are cut at 64
 * bytes with control characters replaced. Variables before the failing one
 * have been stored. err may be NULL when errlen is 0.
 */
int mp_config_load(const struct mp_cfg_var *vars, size_t n,
                   const char *(*get)(const char *), char *err, size_t errlen);

#endif /* MP_CONFIG_H */
