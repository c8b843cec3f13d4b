/*
 * log.h: structured logs, one JSON object per line, on stdout by default.
 *
 * Every line has "time" (RFC 3339 UTC, milliseconds), "level", "service",
 * "event" and "msg"; strings are JSON-escaped (control characters escaped,
 * invalid UTF-8 replaced by U+FFFD). A line is at most MP_LOG_LINE_MAX
 * bytes, written with a single write(2), so lines from several worker
 * processes sharing the descriptor never interleave. There is no way to
 * log a request or response body: log identifiers, never personal data.
 */
#ifndef MP_LOG_H
#define MP_LOG_H

#include <stdio.h>

enum mp_log_level { MP_LOG_DEBUG, MP_LOG_INFO, MP_LOG_WARN, MP_LOG_ERROR };

#define MP_LOG_LINE_MAX 4096 /* = PIPE_BUF: atomic on pipes */
#define MP_LOG_MSG_MAX 2048  /* bytes of formatted message kept */

/*
 * mp_log_init: set the service name (copied, at most 63 bytes), the lowest
 * level written, and the stream whose descriptor receives the lines (NULL:
 * stdout). Lines bypass stdio buffering. Call once at start-up, before
 * forking workers; until then logs go to stdout as service "unknown" at
 * level info.
 */
void mp_log_init(const char *service, enum mp_log_level min, FILE *out);

/*
 * mp_log_level_parse: "debug", "info", "warn" (or "warning"), "error", any
 * case, into *out. Returns 0 or -EINVAL (*out untouched).
 */
int mp_log_level_parse(const char *s, enum mp_log_level *out);

/*
 * mp_log: one line with "event" (a short fixed name such as "relay" or
 * "startup") and "msg" formatted printf-style (truncated to MP_LOG_MSG_MAX
 * bytes). Lines below the configured level are dropped. errno is
 * preserved.
 */
void mp_log(enum mp_log_level lvl, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * mp_logkv: as mp_log, with extra string fields from kv, a NULL-terminated
 * list of key, value, key, value, ... (e.g. {"request_id", id, NULL}).
 * kv may be NULL. Keys that would repeat a standard field are skipped;
 * pairs that no longer fit in the line are dropped; a NULL value is
 * written as JSON null.
 */
void mp_logkv(enum mp_log_level lvl, const char *event, const char *const *kv,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * mp_log_access: the access line, at level info:
 * {"time","level":"info","service","event":"access","request_id","method",
 *  "route","status","duration_ms"} (duration with 3 decimals; null if not
 * finite). route should be the route pattern, not the raw path, so that no
 * identifier of a person reaches the logs. NULL strings are written as "".
 */
void mp_log_access(const char *request_id, const char *method,
                   const char *route, int status, double duration_ms);

#endif /* MP_LOG_H */
