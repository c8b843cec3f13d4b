/*
 * The MP_UPSTREAMS list (contract in upstream_conf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy/upstream_conf.h"

int
gw_upstream_base_check(const char *v, size_t blen, size_t *len)
{
	size_t i, scheme;

	if (blen >= 7 && strncasecmp(v, "http://", 7) == 0)
		scheme = 7;
	else if (blen >= 8 && strncasecmp(v, "https://", 8) == 0)
		scheme = 8;
	else
		return -EINVAL;
	for (i = 0; i < blen; i++) {
		if ((unsigned char)v[i] <= 0x20 ||
		    (unsigned char)v[i] >= 0x7f || v[i] == '?' || v[i] == '#')
			return -EINVAL;
	}
	while (blen > 0 && v[blen - 1] == '/')
		blen--;
	if (blen <= scheme || blen >= GW_BASE_MAX)
		return -EINVAL; /* no host, or longer than we keep */
	*len = blen;
	return 0;
}

/* 1 if s[0..len) is an upstream name. */
static int
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > GW_SERVICE_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int
add_replica(struct gw_upstream_conf *u, const char *v, size_t vlen, char *err,
            size_t errlen)
{
	size_t len;
	int i;

	if (gw_upstream_base_check(v, vlen, &len) != 0) {
		snprintf(err, errlen,
		         "MP_UPSTREAMS: %s: '%.*s' is not an http:// or "
		         "https:// base URL without query",
		         u->name, (int)(vlen > 64 ? 64 : vlen), v);
		return -EINVAL;
	}
	if (u->nreplicas >= GW_REPLICAS_MAX) {
		snprintf(err, errlen, "MP_UPSTREAMS: %s: more than %d replicas",
		         u->name, GW_REPLICAS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < u->nreplicas; i++) {
		if (strlen(u->base[i]) == len &&
		    strncmp(u->base[i], v, len) == 0) {
			snprintf(err, errlen,
			         "MP_UPSTREAMS: %s: replica %.*s listed twice",
			         u->name, (int)len, v);
			return -EINVAL;
		}
	}
	memcpy(u->base[u->nreplicas], v, len);
	u->base[u->nreplicas][len] = '\0';
	u->nreplicas++;
	return 0;
}

int
gw_upstreams_parse(const char *spec, struct gw_upstream_conf *out, int max,
                   int *n, char *err, size_t errlen)
{
	const char *p = spec, *end, *eq;
	size_t len, nlen;
	int i;

	*n = 0;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		for (end = p; *end != '\0' && *end != ','; end++)
			;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		eq = memchr(p, '=', len);
		if (len == 0) {
			snprintf(err, errlen, "MP_UPSTREAMS: empty item");
			return -EINVAL;
		}
		if (eq == NULL || (len >= 4 && strncasecmp(p, "http", 4) == 0 &&
		                   memchr(p, ':', (size_t)(eq - p)) != NULL)) {
			/* a bare URL: one more replica of the last upstream */
			if (*n == 0) {
				snprintf(err, errlen,
				         "MP_UPSTREAMS: '%.*s' before any "
				         "<name>=",
				         (int)(len > 64 ? 64 : len), p);
				return -EINVAL;
			}
			if (add_replica(&out[*n - 1], p, len, err, errlen) != 0)
				return -EINVAL;
		} else {
			nlen = (size_t)(eq - p);
			if (!name_ok(p, nlen)) {
				snprintf(err, errlen,
				         "MP_UPSTREAMS: '%.*s' is not a name "
				         "([a-z][a-z0-9_-]*, at most %d bytes)",
				         (int)(nlen > 64 ? 64 : nlen), p,
				         GW_SERVICE_MAX);
				return -EINVAL;
			}
			for (i = 0; i < *n; i++) {
				if (strlen(out[i].name) == nlen &&
				    strncmp(out[i].name, p, nlen) == 0) {
					snprintf(
					    err, errlen,
					    "MP_UPSTREAMS: %.*s named twice",
					    (int)nlen, p);
					return -EINVAL;
				}
			}
			if (*n >= max) {
				snprintf(err, errlen,
				         "MP_UPSTREAMS: more than %d upstreams",
				         max);
				return -EINVAL;
			}
			memset(&out[*n], 0, sizeof(out[*n]));
			memcpy(out[*n].name, p, nlen);
			(*n)++;
			if (len > nlen + 1 &&
			    add_replica(&out[*n - 1], eq + 1, len - nlen - 1,
			                err, errlen) != 0)
				return -EINVAL;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}
