/*
 * query.h: the query string of a request, split strictly and checked
 * against the same field lists as bodies (body.h).
 *
 * Why strict: a parameter the service cannot read must be refused, not
 * dropped. Before this module a "%00" made the service ignore the whole
 * parameter (a filter silently vanished), and "?region=a&region=b" was
 * read as "a" by the service while the gateway's cache keyed both orders
 * alike. So: every escape must be "%" and two hex digits, no decoded byte
 * may be a control character (NUL included), names and values must be
 * UTF-8, and a name may appear once.
 *
 * Why body.h's fields: one declaration per parameter says what the route
 * accepts (MP_F_ENUM, MP_F_UUID, MP_F_INT with [min, max], MP_F_DATE...),
 * and the reasons a client reads are those of bodies. A query value is
 * text: MP_F_INT and MP_F_MONEY values are read as an optional '-' and
 * ASCII digits, MP_F_BOOL as "true"/"false", then checked as their JSON
 * counterparts. Undeclared parameters are ignored (a cache buster, a
 * parameter of a newer client).
 */
#ifndef MP_QUERY_H
#define MP_QUERY_H

#include <jansson.h>

#include "mp/body.h"

#define MP_QUERY_MAX_PARAMS 24

struct mp_query {
	int n;
	const char *names[MP_QUERY_MAX_PARAMS];  /* decoded, into buf */
	const char *values[MP_QUERY_MAX_PARAMS]; /* decoded ("" if no '=') */
	char *buf;                               /* owned */
};

/* The paging parameters of every list route: a page size of 1..200 and
 * the next_cursor (an id) of the previous page. */
#define MP_Q_LIMIT MP_FIELD("limit", MP_F_INT, 0, .min = 1, .max = 200)
#define MP_Q_CURSOR MP_FIELD("cursor", MP_F_UUID, 0)

/*
 * mp_query_split: split and decode the query string qs (NULL or "" for
 * none; without the '?') into *q, which the caller releases with
 * mp_query_clear() on every path. Empty pieces ("a=1&&b=2") are skipped;
 * '+' is a space.
 * Returns 0; -EINVAL when the query is refused, with *problem a new 400
 * problem+json (slug "bad-query") whose errors[] names the parameter and
 * the reason ("repeated parameter", "control character (e.g. %00)",
 * "malformed percent-encoding", "not valid UTF-8", "too many parameters"
 * on field "query"); -ENOMEM (*problem NULL).
 */
int mp_query_split(const char *qs, struct mp_query *q, json_t **problem);

/* mp_query_split_repeats: as mp_query_split, except that a name may
 * appear more than once (mp_query_get returns its first value): for the
 * routes flagged MP_ROUTE_REPEATS, whose handler reads the repeated
 * parameters from the raw query string itself. Every other rule holds. */
int mp_query_split_repeats(const char *qs, struct mp_query *q,
                           json_t **problem);

/* mp_query_get: the decoded value of `name`, or NULL. Borrowed from q. */
const char *mp_query_get(const struct mp_query *q, const char *name);

/*
 * mp_query_validate: check the parameters of q that schema declares (see
 * the file comment for how text becomes a typed value); a missing
 * MP_F_REQUIRED one is "required". Appends one error per bad parameter to
 * problem (see mp_problem_add_error). Returns 0 when valid, -EINVAL when
 * errors were appended, -ENOMEM.
 */
int mp_query_validate(const struct mp_query *q, const struct mp_field *schema,
                      json_t *problem);

/* mp_query_clear: release what mp_query_split allocated; q is then empty.
 * Safe on a zeroed or already cleared q. */
void mp_query_clear(struct mp_query *q);

#endif /* MP_QUERY_H */
