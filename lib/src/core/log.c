/*
 * log.c: JSON lines.
 *
 * Why a fixed 4096-byte line built on the stack and one write(2): Kore runs
 * several worker processes on the same stdout; stdio buffers would split
 * and mix their lines, while a write of at most PIPE_BUF bytes to a pipe
 * (and any write to an O_APPEND file) lands whole. Every field therefore
 * has a byte budget, and the escaper never cuts inside an escape or a
 * UTF-8 sequence, so a truncated line is still valid JSON. Why our own
 * escaper instead of jansson: a log call must not allocate (it runs on
 * out-of-memory paths too) and must accept invalid UTF-8 from anywhere,
 * replacing it rather than dropping the whole line.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mp/log.h"
#include "mp/util.h"

#define FIELD_SMALL 128 /* escaped bytes for service, event, ids */
#define FIELD_ROUTE 512 /* escaped bytes for a route */
#define FIELD_MSG 3072  /* escaped bytes for msg */
#define FIELD_KV 256    /* escaped bytes for an extra value */
#define LINE_TAIL 2     /* "}\n" */

struct line {
	char b[MP_LOG_LINE_MAX];
	size_t n;
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static char log_service[64] = "unknown";
static enum mp_log_level log_min = MP_LOG_INFO;
static int log_fd = STDOUT_FILENO;

static size_t utf8_seq(const unsigned char *s, size_t rem);
static void utf8_trim_tail(char *s, size_t n);
static int put_raw(struct line *l, const char *s, size_t len);
static int put_str(struct line *l, const char *s, size_t budget);
static int put_field(struct line *l, const char *key, const char *value,
                     size_t budget);
static void line_begin(struct line *l, enum mp_log_level lvl,
                       const char *event);
static void line_end_write(struct line *l);
static int reserved_key(const char *key);
static void log_emit(enum mp_log_level lvl, const char *event,
                     const char *const *kv, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

void
mp_log_init(const char *service, enum mp_log_level min, FILE *out)
{
	int fd;

	snprintf(log_service, sizeof(log_service), "%s",
	         service != NULL && service[0] != '\0' ? service : "unknown");
	log_min = min;
	if (out == NULL)
		out = stdout;
	fflush(out);
	fd = fileno(out);
	log_fd = fd >= 0 ? fd : STDOUT_FILENO;
}

int
mp_log_level_parse(const char *s, enum mp_log_level *out)
{
	size_t i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum mp_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = MP_LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t rem)
{
	unsigned c = s[0], cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (rem < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Drop an incomplete UTF-8 sequence that truncation left at s[n-1]. */
static void
utf8_trim_tail(char *s, size_t n)
{
	size_t k = 0, need;
	unsigned char lead;

	while (k < n && k < 3 && ((unsigned char)s[n - 1 - k] & 0xc0) == 0x80)
		k++;
	if (k == n)
		return;
	lead = (unsigned char)s[n - 1 - k];
	if (lead < 0xc0)
		return;
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (k + 1 < need)
		s[n - 1 - k] = '\0';
}

/* Append bytes if they fit before the line tail; -1 (nothing written)
 * otherwise. */
static int
put_raw(struct line *l, const char *s, size_t len)
{
	if (l->n + len + LINE_TAIL > sizeof(l->b))
		return -1;
	memcpy(l->b + l->n, s, len);
	l->n += len;
	return 0;
}

/*
 * Append s as a JSON string whose escaped content takes at most budget
 * bytes (and what is left of the line). When s does not fit, it is cut at
 * a character boundary and "…" is appended. -1 if not even "" fits.
 */
static int
put_str(struct line *l, const char *s, size_t budget)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t rem = strlen(s), room, used = 0, k, c;
	char esc[8];
	const char *out;

	if (l->n + 2 + LINE_TAIL > sizeof(l->b))
		return -1;
	room = sizeof(l->b) - LINE_TAIL - l->n - 2;
	if (room > budget)
		room = budget;
	l->b[l->n++] = '"';
	while (rem > 0) {
		out = esc;
		c = 1;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			k = 2;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			k = 2;
		} else if (*p < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0x0f];
			k = 6;
		} else if ((c = utf8_seq(p, rem)) == 0) {
			memcpy(esc, "\xef\xbf\xbd", 3); /* U+FFFD */
			k = 3;
			c = 1;
		} else {
			out = (const char *)p;
			k = c;
		}
		/* Unless this is the last character, keep room for "…". */
		if (used + k + (rem > c ? 3 : 0) > room)
			goto truncated;
		memcpy(l->b + l->n, out, k);
		l->n += k;
		used += k;
		p += c;
		rem -= c;
	}
	l->b[l->n++] = '"';
	return 0;

truncated:
	if (used + 3 <= room) {
		memcpy(l->b + l->n, "\xe2\x80\xa6", 3); /* U+2026 */
		l->n += 3;
	}
	l->b[l->n++] = '"';
	return 0;
}

/* ,"key":"value" (or null), all or nothing. */
static int
put_field(struct line *l, const char *key, const char *value, size_t budget)
{
	size_t saved = l->n;

	if (put_raw(l, ",", 1) != 0 || put_str(l, key, FIELD_SMALL) != 0 ||
	    put_raw(l, ":", 1) != 0 ||
	    (value == NULL ? put_raw(l, "null", 4)
	                   : put_str(l, value, budget)) != 0) {
		l->n = saved;
		return -1;
	}
	return 0;
}

static void
line_begin(struct line *l, enum mp_log_level lvl, const char *event)
{
	char ts[32];

	if (mp_time_format(mp_now_ms(), ts) != 0)
		snprintf(ts, sizeof(ts), "1970-01-01T00:00:00.000Z");
	l->n = 0;
	/* These fit: 4096 bytes hold far more than their budgets. */
	put_raw(l, "{\"time\":", 8);
	put_str(l, ts, FIELD_SMALL);
	put_field(l, "level", level_names[lvl], FIELD_SMALL);
	put_field(l, "service", log_service, FIELD_SMALL);
	put_field(l, "event", event != NULL ? event : "", FIELD_SMALL);
}

static void
line_end_write(struct line *l)
{
	size_t off = 0;
	ssize_t w;

	/* put_* always leave LINE_TAIL bytes free. */
	l->b[l->n++] = '}';
	l->b[l->n++] = '\n';
	while (off < l->n) {
		w = write(log_fd, l->b + off, l->n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to report it */
		off += (size_t)w;
	}
}

static int
reserved_key(const char *key)
{
	static const char *const std[] = {"time",  "level", "service",
	                                  "event", "msg",   NULL};
	size_t i;

	for (i = 0; std[i] != NULL; i++)
		if (strcmp(key, std[i]) == 0)
			return 1;
	return 0;
}

static void
log_emit(enum mp_log_level lvl, const char *event, const char *const *kv,
         const char *fmt, va_list ap)
{
	char msg[MP_LOG_MSG_MAX + 1];
	struct line l;
	size_t i, j;
	int saved_errno = errno, dup;

	if ((unsigned)lvl > MP_LOG_ERROR)
		lvl = MP_LOG_ERROR;
	if (lvl < log_min)
		return;
	msg[0] = '\0';
	if (fmt != NULL &&
	    vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg))
		utf8_trim_tail(msg, sizeof(msg) - 1);

	line_begin(&l, lvl, event);
	put_field(&l, "msg", msg, FIELD_MSG);
	for (i = 0; kv != NULL && kv[i] != NULL; i += 2) {
		dup = reserved_key(kv[i]);
		for (j = 0; j < i && !dup; j += 2)
			dup = strcmp(kv[i], kv[j]) == 0;
		if (!dup)
			put_field(&l, kv[i], kv[i + 1], FIELD_KV);
		if (kv[i + 1] == NULL)
			break;
	}
	line_end_write(&l);
	errno = saved_errno;
}

void
mp_log(enum mp_log_level lvl, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(lvl, event, NULL, fmt, ap);
	va_end(ap);
}

void
mp_logkv(enum mp_log_level lvl, const char *event, const char *const *kv,
         const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(lvl, event, kv, fmt, ap);
	va_end(ap);
}

void
mp_log_access(const char *request_id, const char *method, const char *route,
              int status, double duration_ms)
{
	char num[64], msg[64];
	struct line l;
	int saved_errno = errno;

	if (MP_LOG_INFO < log_min)
		return;
	if (method == NULL)
		method = "";
	if (route == NULL)
		route = "";
	snprintf(msg, sizeof(msg), "%.16s %d", method, status);

	line_begin(&l, MP_LOG_INFO, "access");
	put_field(&l, "msg", msg, FIELD_SMALL);
	put_field(&l, "request_id", request_id != NULL ? request_id : "",
	          FIELD_SMALL);
	put_field(&l, "method", method, FIELD_SMALL);
	put_field(&l, "route", route, FIELD_ROUTE);
	snprintf(num, sizeof(num), ",\"status\":%d", status);
	put_raw(&l, num, strlen(num));
	if (isfinite(duration_ms) && fabs(duration_ms) < 1e15)
		snprintf(num, sizeof(num), ",\"duration_ms\":%.3f",
		         duration_ms);
	else
		snprintf(num, sizeof(num), ",\"duration_ms\":null");
	put_raw(&l, num, strlen(num));
	line_end_write(&l);
	errno = saved_errno;
}
