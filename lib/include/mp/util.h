/*
 * util.h: small pure helpers every service needs on the request path:
 * time-ordered UUIDs, RFC 3339 times, money in integer minor units and
 * language negotiation. No Kore types, no allocation (except where noted),
 * no global state beyond the UUID generator's monotonic clock.
 *
 * Implemented in lib/src/core/{uuid,random,timefmt,money,lang}.c.
 */
#ifndef MP_UTIL_H
#define MP_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- UUIDs (uuid.c) ------------------------------------------------------ */

#define MP_UUID_STRLEN 36 /* without the terminating NUL */

/*
 * mp_uuid_v7: write a new RFC 9562 version 7 UUID, lowercase canonical form
 * "xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx" plus NUL, into out. Bits: 48-bit
 * Unix milliseconds, 12-bit rand_a used as a counter, 62 random bits from
 * libsodium. Within one process successive ids compare strictly greater
 * (as strings and as bytes), even for many ids in one millisecond or when
 * the wall clock steps back: the counter (seeded randomly with its top bit
 * clear) is incremented and, when it overflows, the timestamp is advanced
 * by one millisecond. Thread-safe. Returns 0, or -EIO if libsodium cannot
 * be initialised (out is then "").
 */
/* mp_err_set: printf into err (errlen bytes, truncated, NUL-terminated);
 * nothing when err is NULL or errlen 0. For the functions that report a
 * reason through an (err, errlen) pair. */
void mp_err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mp_hex_value: the value 0..15 of one hexadecimal digit (either case),
 * or -1. */
int mp_hex_value(int c);

int mp_uuid_v7(char out[37]);

/*
 * mp_random_buf: n random bytes for identifiers (request, trace and span
 * ids, UUID bits), from libsodium's CSPRNG through a per-thread buffer
 * that is refilled 256 bytes at a time and discarded in a forked child;
 * each byte is handed out once and wiped. Not for keys, tokens or salts
 * (use randombytes_buf). Returns 0, or -1 if libsodium cannot start.
 */
int mp_random_buf(void *out, size_t n);

/*
 * mp_uuid_valid: 1 if s is a canonical 8-4-4-4-12 hexadecimal UUID of any
 * version (36 characters, hyphens at 8, 13, 18, 23; hex digits in either
 * case, as RFC 9562 says input is case-insensitive), else 0. NULL -> 0.
 */
int mp_uuid_valid(const char *s);

/* ---- time (timefmt.c) ---------------------------------------------------- */

#define MP_TIME_STRLEN 24 /* "2026-11-29T06:30:00.123Z" */

/*
 * mp_time_format: format unix_ms (milliseconds since 1970-01-01T00:00:00Z,
 * may be negative) as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (NUL-terminated).
 * Returns 0, or -ERANGE when the year is outside 0000..9999 (out is "").
 */
int mp_time_format(int64_t unix_ms, char out[32]);

/*
 * mp_time_parse: strict RFC 3339 date-time:
 *   YYYY-MM-DD "T" hh:mm:ss [ "." 1*9DIGIT ] ( "Z" / ("+"/"-") hh:mm )
 * "t" and "z" are accepted in lower case (RFC 3339 5.6); a space instead of
 * "T", missing seconds or offset, hour 24, second 60 (leap seconds cannot be
 * represented in Unix time), offsets beyond 23:59, "+hhmm" and anything after
 * the offset are rejected. Fractions beyond milliseconds are truncated.
 * "-00:00" is read as UTC. On success returns 0 and *unix_ms; otherwise
 * -EINVAL and *unix_ms is untouched.
 */
int mp_time_parse(const char *s, int64_t *unix_ms);

/*
 * mp_date_parse: strict "YYYY-MM-DD" (exactly 10 characters) naming a real
 * day of the proleptic Gregorian calendar (29 February only in leap years).
 * On success returns 0 and stores year, month, day in the non-NULL out
 * pointers; otherwise -EINVAL.
 */
int mp_date_parse(const char *s, int *y, int *m, int *d);

/* mp_now_ms: current wall-clock time in Unix milliseconds. */
int64_t mp_now_ms(void);

/* mp_mono_ns, mp_mono_ms: the monotonic clock (CLOCK_MONOTONIC), for
 * durations, deadlines and periods. */
uint64_t mp_mono_ns(void);
int64_t mp_mono_ms(void);

/* ---- money (money.c) ----------------------------------------------------- */

/* Longest formatted amount: "-92233720368547758.08" plus NUL. */
#define MP_MONEY_STRLEN 24

/*
 * mp_money_parse: parse a decimal amount in major units into integer minor
 * units (2 decimals): "1234.56" -> 123456, "12" -> 1200, "0.5" -> 50.
 * Grammar: ( "0" / [1-9] *DIGIT ) [ "." 1*2DIGIT ]. Rejected with -EINVAL:
 * NULL, empty, sign, leading zeros ("012"), spaces, exponent, more than two
 * decimals, "1.", ".5", separators. Returns -ERANGE when the value does not
 * fit in int64_t. *minor is written only on success.
 */
int mp_money_parse(const char *s, int64_t *minor);

/* mp_money_parse_signed: as mp_money_parse but an optional leading "-" is
 * allowed (down to INT64_MIN minor units; "-0" is 0). */
int mp_money_parse_signed(const char *s, int64_t *minor);

/*
 * mp_money_format: format minor units as "1234.56" ("-0.05" for -5, always
 * two decimals, no separators) into out. Returns 0, or -ENOSPC when outlen
 * is too small (MP_MONEY_STRLEN always suffices; out is "" if outlen > 0).
 */
int mp_money_format(int64_t minor, char *out, size_t outlen);

/* mp_money_add: *out = a + b. Returns 0, or -ERANGE on overflow (*out
 * untouched). */
int mp_money_add(int64_t a, int64_t b, int64_t *out);

/*
 * mp_money_percent: *out = amount * bp / 10000 (bp in basis points: 2500 is
 * 25 %), computed exactly and rounded half away from zero (0.5 -> 1,
 * -0.5 -> -1). Returns 0, or -ERANGE when the result does not fit (*out
 * untouched).
 */
int mp_money_percent(int64_t amount, int bp, int64_t *out);

/* ---- languages (lang.c) -------------------------------------------------- */

#define MP_LANG_DEFAULT "fr"

/*
 * mp_lang_negotiate: choose among the supported languages "fr", "ar", "en",
 * "zgh" from an Accept-Language header (RFC 9110 12.5.4). A range matches a
 * language by its primary subtag, case-insensitively ("fr-MA" -> fr); an
 * exact range ("fr") takes precedence over subtagged ones ("fr-CA") for
 * its q-value; "*" gives its q-value to every language not named. The
 * Moroccan vernaculars map as weak ranges: "ary" (Darija) -> ar; "shi",
 * "tzm", "rif", "ber" -> zgh. Highest q wins, ties go to the range listed
 * first, then to the order fr, ar, en, zgh. q=0 means "not acceptable".
 * Elements that do not parse (bad range, q="abc", q>1, more than 3
 * decimals, control characters) are ignored. When nothing acceptable
 * remains, or the header is NULL/empty, returns MP_LANG_DEFAULT. Never
 * fails; returns a static string.
 */
const char *mp_lang_negotiate(const char *accept_language);

/*
 * mp_i18n_pick: text of an i18n object {"fr": "...", "ar": "..."}: the
 * requested lang (may be NULL), then fr, en, ar, then the first other
 * non-empty string value in object order. Empty strings and non-string
 * values are skipped. Returns a pointer borrowed from obj (valid while obj
 * lives and is unchanged), or NULL if obj is not an object or has no text.
 */
const char *mp_i18n_pick(const json_t *obj, const char *lang);

#endif /* MP_UTIL_H */
