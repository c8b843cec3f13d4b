/*
 * Routing: pure logic (routing.c: no Kore, no network, no Redis, no
 * database). Which route a path is, 404 / 405 / 400 for bad paths, who may
 * call it (401 / 403). The cache, rate-limit and idempotency decisions live
 * beside it in cache.h, ratelimit.h and idem.h, the same way: plain C over
 * plain values, so the Check suites link them directly and the Kore
 * handlers only read headers, call these functions, run the Redis commands
 * they name and answer.
 *
 * Nothing here allocates: results go to caller buffers and a too small
 * buffer is -ENOSPC.
 *
 * Return convention: 0 success, negative errno on error, results through
 * out-parameters. A few predicates return 1 / 0 and say so.
 */
#ifndef GW_EDGE_ROUTING_H
#define GW_EDGE_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "mp/principal.h"

/* ---- routes (routing.c) ---------------------------------------------------
 */

/* Method bits, equal to MP_GET... of mp/service.h and Kore's
 * HTTP_METHOD_* (this header stays free of Kore and libpq). */
#define GW_M_GET 0x0001u
#define GW_M_POST 0x0002u
#define GW_M_PUT 0x0004u
#define GW_M_DELETE 0x0010u
#define GW_M_PATCH 0x0080u
#define GW_M_ALL (GW_M_GET | GW_M_POST | GW_M_PUT | GW_M_DELETE | GW_M_PATCH)

/* Route flags. */
#define GW_R_PUBLIC 0x01u    /* no token needed (everyone, API clients too) */
#define GW_R_CACHEABLE 0x02u /* GET answers may be cached for ttl_s */
/* GW_R_PUBLIC_DATA: the answer does not depend on who asks, so the cache
 * key ignores the principal. */
#define GW_R_PUBLIC_DATA 0x04u
/* GW_R_REPEATS: a query parameter may appear more than once (the
 * service's MP_ROUTE_REPEATS, or a service without a table here that
 * decides itself). Elsewhere a repeated name is a 400 at the gateway: the
 * service would read the first while the cache key sorts them. With
 * GW_R_CACHEABLE, the key sorts a repeated name's values too: such a
 * route answers the same whatever their order (MP_ROUTE_REPEATS). */
#define GW_R_REPEATS 0x08u
#define GW_R_ALL                                                               \
	(GW_R_PUBLIC | GW_R_CACHEABLE | GW_R_PUBLIC_DATA | GW_R_REPEATS)

/* Rate-limit classes; each has a policy (see gw_rate_policies_parse). */
enum gw_rate_class {
	GW_RC_DEFAULT = 0,
	GW_RC_AUTH,  /* stricter: /auth/token and friends */
	GW_RC_WRITE, /* POST, PUT, PATCH, DELETE on business data */
	GW_RC_COUNT
};

#define GW_PATH_MAX 2048     /* bytes in a request path */
#define GW_MAX_PARAMS 8      /* {params} in one pattern */
#define GW_PARAM_MAX 128     /* bytes in one captured param value */
#define GW_PARAM_NAME_MAX 32 /* bytes in a {param} name */
#define GW_SERVICE_MAX 32    /* bytes of a service (upstream) name */

/*
 * One route of the gateway. Patterns are "/"-separated segments, each a
 * literal ("calls"), a parameter ("{id}": one non-empty segment, captured)
 * or, as the last segment only, "**": this prefix itself and everything
 * below it (pattern "/v1/funding" + "/" "**" matches "/v1/funding" and
 * "/v1/funding/a/b"). Below, "**" names such a tail.
 * All strings have static storage duration.
 */
struct gw_route {
	unsigned methods;    /* GW_M_* bits */
	const char *pattern; /* "/v1/funding/calls/{id}" */
	unsigned flags;      /* GW_R_* */
	unsigned roles;      /* MP_ROLE_* allowed; 0 = any authenticated
	                        principal. Never MP_ROLE_CLIENT: API clients
	                        are admitted by scopes only. */
	const char *scopes;  /* space-separated scopes of which an API client
	                        needs one; NULL = API clients refused */
	int ttl_s;           /* cache TTL in seconds (GW_R_CACHEABLE) */
	enum gw_rate_class rate_class;
	const char *upstream; /* "funding", "cases", "gender"; NULL = the
	                         gateway answers itself */
	/* gw_route_shape(pattern), set by whoever builds a table to let
	 * gw_route_match skip a route by its segment count alone; 0: not
	 * set (the route is then always compared in full) */
	unsigned shape;
};

/* The shape of a pattern for gw_route.shape: its segment count before
 * any "**" tail, and whether it has one; never 0. */
unsigned gw_route_shape(const char *pattern);

/* One captured {param}: name from the pattern, raw value from the path
 * (not percent-decoded; the upstream decodes). Both NUL-terminated. */
struct gw_param {
	char name[GW_PARAM_NAME_MAX + 1];
	char value[GW_PARAM_MAX + 1];
};

/* The outcome of gw_route_match. */
struct gw_route_match {
	const struct gw_route *route; /* the chosen route (NULL unless 0) */
	size_t index;                 /* its index in the table */
	unsigned allow; /* GW_M_* union of every route matching the path:
	                   the Allow header of a 405 (0 on 404/400) */
	size_t nparams;
	struct gw_param params[GW_MAX_PARAMS];
	const char *rest; /* borrowed from path: what "**" matched, "" or
	                     "/a/b" (always "" for other routes) */
};

/*
 * gw_route_table_validate: start-up self-check of a route table (call it
 * once and refuse to start on error). Checks every pattern against the
 * grammar above ("/" then segments of RFC 3986 pchar bytes, no empty
 * segment, no "." or ".." segment, "{name}" with name [a-z_][a-z0-9_]*
 * up to GW_PARAM_NAME_MAX, at most GW_MAX_PARAMS of them, "**" last only;
 * "/" alone is the root), methods a non-empty subset of GW_M_ALL, flags a
 * subset of GW_R_ALL, GW_R_CACHEABLE only with GET and ttl_s > 0, ttl_s >= 0,
 * roles a subset of MP_ROLE_ALL without MP_ROLE_CLIENT, scopes NULL or
 * tokens separated by single spaces, rate_class valid, upstream NULL or
 * [a-z]+, and that no two routes have the same pattern (ignoring {param}
 * names) with a method in common (the second could never be chosen).
 * Returns 0, or -EINVAL with the index of the first bad route in *bad
 * (may be NULL) and a one-line English message in err (may be NULL;
 * truncated to errlen).
 */
int gw_route_table_validate(const struct gw_route *table, size_t n, size_t *bad,
                            char *err, size_t errlen);

/*
 * gw_path_check: path hygiene, applied by gw_route_match before matching.
 * A path is accepted when it starts with "/", is at most GW_PATH_MAX bytes,
 * holds only RFC 3986 path bytes (ALPHA DIGIT - . _ ~ ! $ & ' ( ) * + , ;
 * = : @ / and "%" followed by two hex digits: no space, control byte,
 * non-ASCII byte, "?", "#", "\" or malformed escape), and has no "//",
 * "/./", "/../", trailing "/." or "/..", and no percent-encoded "/", ".",
 * "\" or control byte (%2f %2e %5c %00-%1f %7f, any case): such paths are
 * either attacks on the upstream's own normalisation or never legitimate.
 * The query string must be split off by the caller.
 * Returns 0; -ENAMETOOLONG when longer than GW_PATH_MAX; -EINVAL for any
 * other refusal or a NULL path.
 */
int gw_path_check(const char *path);

/*
 * gw_route_match: the route of (method, path) in table[0..n-1] (validated
 * with gw_route_table_validate).
 *
 * Specificity, segment by segment from the left: a literal beats a {param},
 * which beats a segment covered by "**"; at equal segments a route without
 * "**" beats one with it ("/a" beats "/a" + "/" "**" for the path "/a"); among
 * equals the first in the table wins. The most specific route among those
 * whose methods contain `method` is chosen, so a method that a specific
 * route lacks falls through to a less specific one that has it (a
 * "/v1/funding" + "**" proxy catches what "/v1/funding/calls/{id}" GET does
 * not). A single trailing "/" is ignored ("/a/" matches "/a"), like the
 * services' own router.
 *
 * Returns 0 and fills *m; -ENOENT: no route has this path (404);
 * -EOPNOTSUPP: some route has the path, none the method (405, send
 * m->allow as Allow); -EINVAL or -ENAMETOOLONG: refused by gw_path_check
 * (400 / 414); -E2BIG: the chosen route's {param} value is longer than
 * GW_PARAM_MAX bytes (400); -EFAULT: NULL table (with n > 0), path or m,
 * or method 0. On every return but -EFAULT, *m is reset first (route NULL,
 * allow 0 unless -EOPNOTSUPP, nparams 0, rest ""). m->rest points into
 * path: keep path alive as long as m is used.
 */
int gw_route_match(const struct gw_route *table, size_t n, unsigned method,
                   const char *path, struct gw_route_match *m);

/* gw_route_param: value of the param `name` in m, or NULL. Borrowed from
 * m. */
const char *gw_route_param(const struct gw_route_match *m, const char *name);

/*
 * gw_route_status: the HTTP status for a gw_route_match or
 * gw_route_authorize return code: 0 -> 200, -ENOENT -> 404, -EOPNOTSUPP ->
 * 405, -EINVAL and -E2BIG -> 400, -ENAMETOOLONG -> 414, -EACCES -> 401,
 * -EPERM -> 403, anything else -> 500.
 */
int gw_route_status(int rc);

/*
 * gw_route_authorize: may principal p call route r?
 *   - GW_R_PUBLIC routes: everyone (p may be NULL).
 *   - otherwise p must be authenticated: else -EACCES (401).
 *   - an API client (MP_ROLE_CLIENT among p->roles, whatever other bits it
 *     carries) is allowed only when one of its space-separated p->scopes is
 *     one of the route's scopes (exact token match); r->scopes NULL refuses
 *     every client;
 *   - anyone else: r->roles == 0 admits every authenticated principal,
 *     otherwise p must hold one of r->roles.
 * Returns 0 allowed, -EACCES authentication required (401), -EPERM
 * authenticated but not allowed (403), -EFAULT when r is NULL. Fails closed.
 */
int gw_route_authorize(const struct gw_route *r, const struct mp_principal *p);

#endif /* GW_EDGE_ROUTING_H */
