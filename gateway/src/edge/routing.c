/*
 * Gateway route table: path hygiene, matching, authorisation.
 *
 * Design note: the gateway is the only door to the services, so the path
 * it matches must be the path the upstream will act on. Anything whose
 * meaning depends on who normalises it ("//", dot segments, encoded
 * slashes or dots, backslashes, control bytes) is refused with 400 before
 * matching rather than normalised here and re-normalised differently
 * upstream. Matching scores each candidate per segment (literal 2, {param}
 * 1, covered by a "**" tail 0) and compares the scores left to right, so the
 * most specific route wins whatever the table order; the order only breaks
 * exact ties. Authorisation fails closed and reuses mp_authz_* so the
 * gateway and the services apply the same rules to roles and scopes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mp/authz.h"
#include "mp/util.h"

#include "edge/routing.h"
#include "edge/wire.h"

#define MAX_SEGS (GW_PATH_MAX / 2 + 1)
#define SCOPE_TOKEN_MAX 128

enum { RANK_REST = 0, RANK_PARAM = 1, RANK_LITERAL = 2 };

/* Offsets into a checked path (at most GW_PATH_MAX bytes). */
struct seg {
	uint16_t off, len;
};

_Static_assert(GW_PATH_MAX < UINT16_MAX, "segment offsets are 16-bit");

static int is_pchar(unsigned char c);
static size_t split_path(const char *path, struct seg *segs);
static int match_one(const struct gw_route *r, const char *path,
                     const struct seg *segs, size_t nsegs, unsigned char *ranks,
                     int *prefix, size_t *consumed);
static int better(const unsigned char *a, int a_prefix, const unsigned char *b,
                  int b_prefix, size_t n);
static int capture(const struct gw_route *r, const char *path,
                   const struct seg *segs, size_t nsegs,
                   struct gw_route_match *m);
static void match_reset(struct gw_route_match *m);
static int pattern_check(const char *pattern, char *err, size_t errlen);
static int pattern_same(const char *a, const char *b);
static int scopes_check(const char *scopes);
static int name_check(const char *s, size_t len);
static int client_scope_ok(const struct gw_route *r,
                           const struct mp_principal *p);

/* RFC 3986 pchar without pct-encoded, plus "/". */
static int
is_pchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

int
gw_path_check(const char *path)
{
	size_t len, i, seg_start;
	int hi, lo, v;

	if (path == NULL)
		return -EINVAL;
	len = strnlen(path, GW_PATH_MAX + 1);
	if (len > GW_PATH_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || path[0] != '/')
		return -EINVAL;
	seg_start = 1;
	for (i = 1; i <= len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '/' || c == '\0') {
			size_t sl = i - seg_start;

			/* "//" (an empty segment that is not the last) */
			if (sl == 0 && c == '/')
				return -EINVAL;
			if ((sl == 1 && path[seg_start] == '.') ||
			    (sl == 2 && path[seg_start] == '.' &&
			     path[seg_start + 1] == '.'))
				return -EINVAL;
			seg_start = i + 1;
			continue;
		}
		if (c == '%') {
			if (i + 2 >= len ||
			    (hi = mp_hex_value((unsigned char)path[i + 1])) <
			        0 ||
			    (lo = mp_hex_value((unsigned char)path[i + 2])) < 0)
				return -EINVAL;
			v = hi * 16 + lo;
			if (v == '/' || v == '.' || v == '\\' || v < 0x20 ||
			    v == 0x7f)
				return -EINVAL;
			i += 2;
			continue;
		}
		if (!is_pchar(c))
			return -EINVAL;
	}
	return 0;
}

/* Segments of a checked path; a trailing "/" adds none. */
static size_t
split_path(const char *path, struct seg *segs)
{
	size_t n = 0, i = 1, start = 1;

	for (;; i++) {
		if (path[i] == '/' || path[i] == '\0') {
			if (i > start) {
				segs[n].off = (uint16_t)start;
				segs[n].len = (uint16_t)(i - start);
				n++;
			}
			if (path[i] == '\0')
				break;
			start = i + 1;
		}
	}
	return n;
}

unsigned
gw_route_shape(const char *pattern)
{
	unsigned n = 0, tail = 0;
	const char *p;

	for (p = pattern; p != NULL && *p == '/'; p = strchr(p + 1, '/')) {
		if (p[1] == '*' && p[2] == '*' && p[3] == '\0') {
			tail = 1;
			break;
		}
		if (p[1] != '\0' && p[1] != '/')
			n++;
		else if (p[1] == '\0')
			break;
	}
	return ((n << 1) | tail) + 1;
}

/*
 * Does r's pattern match the path? Fills ranks[0..nsegs-1], *prefix (1 if
 * the match used a "**" tail) and *consumed (segments matched before it).
 */
static int
match_one(const struct gw_route *r, const char *path, const struct seg *segs,
          size_t nsegs, unsigned char *ranks, int *prefix, size_t *consumed)
{
	const char *p = r->pattern, *seg, *end;
	size_t i = 0, k, plen;

	*prefix = 0;
	*consumed = 0;
	if (r->shape != 0 &&
	    ((r->shape - 1) & 1 ? nsegs < (r->shape - 1) >> 1
	                        : nsegs != (r->shape - 1) >> 1))
		return 0;
	if (p == NULL || p[0] != '/')
		return 0;
	if (strcmp(p, "/") == 0)
		return nsegs == 0;
	while (*p == '/') {
		seg = p + 1;
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		plen = (size_t)(end - seg);
		if (plen == 2 && seg[0] == '*' && seg[1] == '*') {
			if (*end != '\0')
				return 0; /* "**" not last: invalid table */
			for (k = i; k < nsegs; k++)
				ranks[k] = RANK_REST;
			*prefix = 1;
			*consumed = i;
			return 1;
		}
		if (i >= nsegs || plen == 0)
			return 0;
		if (seg[0] == '{') {
			ranks[i] = RANK_PARAM;
		} else if (plen == segs[i].len &&
		           memcmp(seg, path + segs[i].off, plen) == 0) {
			ranks[i] = RANK_LITERAL;
		} else {
			return 0;
		}
		i++;
		p = end;
	}
	*consumed = i;
	return *p == '\0' && i == nsegs;
}

/* 1 if candidate a is strictly more specific than b. */
static int
better(const unsigned char *a, int a_prefix, const unsigned char *b,
       int b_prefix, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i] != b[i])
			return a[i] > b[i];
	}
	return !a_prefix && b_prefix;
}

static int
capture(const struct gw_route *r, const char *path, const struct seg *segs,
        size_t nsegs, struct gw_route_match *m)
{
	const char *p = r->pattern, *seg, *end;
	size_t i = 0, plen, nlen;

	if (strcmp(p, "/") == 0)
		return 0;
	while (*p == '/' && i < nsegs) {
		seg = p + 1;
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		plen = (size_t)(end - seg);
		if (plen == 2 && seg[0] == '*' && seg[1] == '*')
			break;
		if (seg[0] == '{') {
			nlen = plen >= 2 ? plen - 2 : 0;
			if (m->nparams >= GW_MAX_PARAMS ||
			    nlen > GW_PARAM_NAME_MAX ||
			    segs[i].len > GW_PARAM_MAX)
				return -E2BIG;
			memcpy(m->params[m->nparams].name, seg + 1, nlen);
			m->params[m->nparams].name[nlen] = '\0';
			memcpy(m->params[m->nparams].value, path + segs[i].off,
			       segs[i].len);
			m->params[m->nparams].value[segs[i].len] = '\0';
			m->nparams++;
		}
		i++;
		p = end;
	}
	return 0;
}

static void
match_reset(struct gw_route_match *m)
{
	m->route = NULL;
	m->index = 0;
	m->allow = 0;
	m->nparams = 0;
	m->rest = "";
}

int
gw_route_match(const struct gw_route *table, size_t n, unsigned method,
               const char *path, struct gw_route_match *m)
{
	struct seg segs[MAX_SEGS];
	unsigned char cur[MAX_SEGS], best[MAX_SEGS];
	size_t nsegs, i, best_i = 0, consumed, best_consumed = 0;
	int rc, prefix, best_prefix = 0, found = 0;
	unsigned allow = 0;

	if ((table == NULL && n > 0) || path == NULL || m == NULL ||
	    method == 0)
		return -EFAULT;
	match_reset(m);
	if ((rc = gw_path_check(path)) != 0)
		return rc;
	nsegs = split_path(path, segs);
	for (i = 0; i < n; i++) {
		if (!match_one(&table[i], path, segs, nsegs, cur, &prefix,
		               &consumed))
			continue;
		allow |= table[i].methods & GW_M_ALL;
		if ((table[i].methods & method) == 0)
			continue;
		if (!found || better(cur, prefix, best, best_prefix, nsegs)) {
			found = 1;
			best_i = i;
			best_prefix = prefix;
			best_consumed = consumed;
			memcpy(best, cur, nsegs);
		}
	}
	if (!found) {
		if (allow == 0)
			return -ENOENT;
		m->allow = allow;
		return -EOPNOTSUPP;
	}
	if ((rc = capture(&table[best_i], path, segs, nsegs, m)) != 0) {
		match_reset(m);
		return rc;
	}
	m->route = &table[best_i];
	m->index = best_i;
	m->allow = allow;
	if (best_prefix)
		m->rest = best_consumed == 0
		              ? path
		              : path + segs[best_consumed - 1].off +
		                    segs[best_consumed - 1].len;
	return 0;
}

const char *
gw_route_param(const struct gw_route_match *m, const char *name)
{
	size_t i;

	if (m == NULL || name == NULL)
		return NULL;
	for (i = 0; i < m->nparams && i < GW_MAX_PARAMS; i++) {
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	}
	return NULL;
}

int
gw_route_status(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case -ENOENT:
		return 404;
	case -EOPNOTSUPP:
		return 405;
	case -EINVAL:
	case -E2BIG:
		return 400;
	case -ENAMETOOLONG:
		return 414;
	case -EACCES:
		return 401;
	case -EPERM:
		return 403;
	default:
		return 500;
	}
}

/* Is one of the client's scopes among the route's? */
static int
client_scope_ok(const struct gw_route *r, const struct mp_principal *p)
{
	char tok[SCOPE_TOKEN_MAX + 1];
	const char *s, *e;
	size_t len;

	if (r->scopes == NULL)
		return 0;
	for (s = r->scopes; *s != '\0'; s = e) {
		while (*s == ' ')
			s++;
		for (e = s; *e != '\0' && *e != ' '; e++)
			;
		len = (size_t)(e - s);
		if (len == 0 || len > SCOPE_TOKEN_MAX)
			continue;
		memcpy(tok, s, len);
		tok[len] = '\0';
		if (mp_authz_has_scope(p, tok))
			return 1;
	}
	return 0;
}

int
gw_route_authorize(const struct gw_route *r, const struct mp_principal *p)
{
	if (r == NULL)
		return -EFAULT;
	if ((r->flags & GW_R_PUBLIC) != 0)
		return 0;
	if (p == NULL || !p->authenticated)
		return -EACCES;
	if ((p->roles & MP_ROLE_CLIENT) != 0)
		return client_scope_ok(r, p) ? 0 : -EPERM;
	if (r->roles == 0)
		return 0;
	return mp_authz_has_role(p, r->roles) ? 0 : -EPERM;
}

/* [a-z_][a-z0-9_]* of len bytes, 1..GW_PARAM_NAME_MAX. */
static int
name_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > GW_PARAM_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || c == '_' ||
		      (i > 0 && c >= '0' && c <= '9')))
			return -EINVAL;
	}
	return 0;
}

static int
pattern_check(const char *pattern, char *err, size_t errlen)
{
	const char *p = pattern, *seg, *end, *q;
	size_t plen, nparams = 0;

	if (p == NULL || p[0] != '/') {
		snprintf(err, errlen, "pattern must start with '/'");
		return -EINVAL;
	}
	if (strcmp(p, "/") == 0)
		return 0;
	if (strlen(p) > GW_PATH_MAX) {
		snprintf(err, errlen, "pattern too long");
		return -EINVAL;
	}
	while (*p == '/') {
		seg = p + 1;
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		plen = (size_t)(end - seg);
		if (plen == 0) {
			snprintf(err, errlen, "empty segment in '%s'", pattern);
			return -EINVAL;
		}
		if (plen == 2 && seg[0] == '*' && seg[1] == '*') {
			if (*end != '\0') {
				snprintf(err, errlen, "'**' not last in '%s'",
				         pattern);
				return -EINVAL;
			}
			return 0;
		}
		if (seg[0] == '{') {
			if (plen < 3 || seg[plen - 1] != '}' ||
			    name_check(seg + 1, plen - 2) != 0) {
				snprintf(err, errlen, "bad param in '%s'",
				         pattern);
				return -EINVAL;
			}
			if (++nparams > GW_MAX_PARAMS) {
				snprintf(err, errlen, "too many params in '%s'",
				         pattern);
				return -EINVAL;
			}
		} else {
			if ((plen == 1 && seg[0] == '.') ||
			    (plen == 2 && seg[0] == '.' && seg[1] == '.')) {
				snprintf(err, errlen, "dot segment in '%s'",
				         pattern);
				return -EINVAL;
			}
			for (q = seg; q < end; q++) {
				if (!is_pchar((unsigned char)*q) || *q == '*') {
					snprintf(err, errlen,
					         "bad byte in '%s'", pattern);
					return -EINVAL;
				}
			}
		}
		p = end;
	}
	return 0;
}

/* Same segments, {params} equal whatever their names. */
static int
pattern_same(const char *a, const char *b)
{
	const char *ea, *eb;
	size_t la, lb;

	if (strcmp(a, "/") == 0 || strcmp(b, "/") == 0)
		return strcmp(a, b) == 0;
	while (*a == '/' && *b == '/') {
		a++;
		b++;
		ea = strchr(a, '/');
		if (ea == NULL)
			ea = a + strlen(a);
		eb = strchr(b, '/');
		if (eb == NULL)
			eb = b + strlen(b);
		la = (size_t)(ea - a);
		lb = (size_t)(eb - b);
		if (!(a[0] == '{' && b[0] == '{') &&
		    (la != lb || memcmp(a, b, la) != 0))
			return 0;
		a = ea;
		b = eb;
	}
	return *a == '\0' && *b == '\0';
}

/* NULL, or scope-tokens (%x21 / %x23-5B / %x5D-7E, RFC 6749 3.3) separated
 * by single spaces. */
static int
scopes_check(const char *scopes)
{
	const char *s;
	size_t tok = 0;

	if (scopes == NULL)
		return 0;
	if (scopes[0] == '\0')
		return -EINVAL;
	for (s = scopes; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ') {
			if (tok == 0 || s[1] == '\0')
				return -EINVAL;
			tok = 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' ||
		    ++tok > SCOPE_TOKEN_MAX)
			return -EINVAL;
	}
	return 0;
}

int
gw_route_table_validate(const struct gw_route *table, size_t n, size_t *bad,
                        char *err, size_t errlen)
{
	char dummy[1];
	const struct gw_route *r;
	size_t i, j;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (bad != NULL)
		*bad = 0;
	if (table == NULL && n > 0) {
		snprintf(err, errlen, "NULL table");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		r = &table[i];
		if (bad != NULL)
			*bad = i;
		if (pattern_check(r->pattern, err, errlen) != 0)
			return -EINVAL;
		if (r->methods == 0 || (r->methods & ~GW_M_ALL) != 0) {
			snprintf(err, errlen, "bad methods on '%s'",
			         r->pattern);
			return -EINVAL;
		}
		if ((r->flags & ~GW_R_ALL) != 0 || r->ttl_s < 0 ||
		    ((r->flags & GW_R_CACHEABLE) != 0 &&
		     ((r->methods & GW_M_GET) == 0 || r->ttl_s == 0))) {
			snprintf(err, errlen, "bad flags or ttl on '%s'",
			         r->pattern);
			return -EINVAL;
		}
		if ((r->roles & ~MP_ROLE_ALL) != 0 ||
		    (r->roles & MP_ROLE_CLIENT) != 0) {
			snprintf(err, errlen,
			         "bad roles on '%s' (clients go by scopes)",
			         r->pattern);
			return -EINVAL;
		}
		if (scopes_check(r->scopes) != 0) {
			snprintf(err, errlen, "bad scopes on '%s'", r->pattern);
			return -EINVAL;
		}
		if ((int)r->rate_class < 0 || r->rate_class >= GW_RC_COUNT) {
			snprintf(err, errlen, "bad rate class on '%s'",
			         r->pattern);
			return -EINVAL;
		}
		if (r->upstream != NULL &&
		    !gw_name_valid(r->upstream, GW_SERVICE_MAX)) {
			snprintf(err, errlen, "bad upstream on '%s'",
			         r->pattern);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if ((table[j].methods & r->methods) != 0 &&
			    pattern_same(table[j].pattern, r->pattern)) {
				snprintf(err, errlen,
				         "'%s' shadowed by route %zu",
				         r->pattern, j);
				return -EINVAL;
			}
		}
	}
	if (bad != NULL)
		*bad = 0;
	return 0;
}
