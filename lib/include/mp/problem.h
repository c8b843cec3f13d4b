/*
 * problem.h: RFC 9457 problem details (application/problem+json), built
 * with jansson. Every error the platform returns to a client is one of
 * these: {type, title, status, detail} plus, for validation failures,
 * errors[] of {field, reason}. Never a stack trace, SQL text or a
 * library's own message: callers pass their own words.
 */
#ifndef MP_PROBLEM_H
#define MP_PROBLEM_H

#include <stddef.h>

#include <jansson.h>

/* Problem type URIs are MP_PROBLEM_BASE followed by a slug
 * ("urn:mp:problem:validation"). */
#define MP_PROBLEM_BASE "urn:mp:problem:"

/* Longest slug accepted by mp_problem_new ([a-z0-9-], 1..64 chars). */
#define MP_PROBLEM_SLUG_MAX 64

/*
 * mp_problem_new: new problem object {"type", "title", "status"[, "detail"]}.
 * type is MP_PROBLEM_BASE + slug, or "about:blank" when slug is NULL;
 * title defaults to mp_http_status_title(status) when NULL; detail is
 * omitted when NULL. Strings must be valid UTF-8. Returns a new reference
 * the caller releases with json_decref, or NULL on allocation failure, on
 * a status outside 100..599 or a slug that is not 1..64 of [a-z0-9-].
 */
json_t *mp_problem_new(int status, const char *slug, const char *title,
                       const char *detail);

/*
 * mp_problem_add_error: append {"field": field, "reason": reason} to the
 * problem's "errors" array, creating it on first use. field may be ""
 * (the whole body). Both strings are copied and must be valid UTF-8.
 * Returns 0, -EINVAL (problem not an object, NULL string, invalid UTF-8,
 * "errors" present but not an array) or -ENOMEM.
 */
int mp_problem_add_error(json_t *problem, const char *field,
                         const char *reason);

/* mp_problem_error_count: number of entries in "errors" (0 when absent or
 * when problem is not an object). */
size_t mp_problem_error_count(const json_t *problem);

/*
 * mp_http_status_title: the standard reason phrase of an HTTP status
 * (RFC 9110 and friends): 400 "Bad Request", 413 "Content Too Large",
 * 422 "Unprocessable Content", 429 "Too Many Requests", ... For codes
 * without a registered phrase, a phrase for the class ("Client Error",
 * "Server Error", ...), and "Unknown Status" outside 100..599. Static
 * string, never NULL.
 */
const char *mp_http_status_title(int status);

#endif /* MP_PROBLEM_H */
