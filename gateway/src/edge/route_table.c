/*
 * The routes the services declare, parsed and kept for the pipeline
 * (contract in route_table.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mp/principal.h"

#include "edge/ratelimit.h"
#include "edge/route_table.h"
#include "proxy/upstream_conf.h"

#define MAX_TTL_S 86400

static const struct {
	const char *name;
	unsigned bit;
} methods[] = {
    {"GET", GW_M_GET},       {"POST", GW_M_POST},   {"PUT", GW_M_PUT},
    {"DELETE", GW_M_DELETE}, {"PATCH", GW_M_PATCH}, {"*", GW_M_ALL},
};

static void
table_free(struct gw_route_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; t->routes != NULL && i < t->n; i++) {
		free((char *)(uintptr_t)t->routes[i].pattern);
		free((char *)(uintptr_t)t->routes[i].scopes);
	}
	free(t->routes);
	free(t);
}

void
gw_route_table_hold(struct gw_route_table *t)
{
	if (t != NULL)
		t->refs++;
}

void
gw_route_table_release(struct gw_route_table *t)
{
	if (t != NULL && --t->refs <= 0)
		table_free(t);
}

/* 1 if s is a scope: 1..64 bytes of [a-z0-9:._-]. */
static int
scope_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == ':' ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* One route of the document into r (pattern and scopes allocated). */
static int
route_parse(const char *upstream, const json_t *o, struct gw_route *r,
            char *err, size_t errlen)
{
	const char *m = json_string_value(json_object_get(o, "method"));
	const char *path = json_string_value(json_object_get(o, "path"));
	const char *rc = json_string_value(json_object_get(o, "rate_class"));
	const json_t *roles = json_object_get(o, "roles");
	const json_t *scopes = json_object_get(o, "scopes");
	const json_t *ttl = json_object_get(o, "cache_ttl_s"), *v;
	char prefix[GW_SERVICE_MAX + 8], *scope_list = NULL;
	size_t i, plen, slen = 0;
	unsigned bit;
	int k;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o) || m == NULL || path == NULL) {
		snprintf(err, errlen, "a route without method or path");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i].name) == 0)
			r->methods = methods[i].bit;
	if (r->methods == 0) {
		snprintf(err, errlen, "%s: unknown method '%.16s'", path, m);
		return -EINVAL;
	}
	plen = (size_t)snprintf(prefix, sizeof(prefix), "/v1/%s", upstream);
	if (strncmp(path, prefix, plen) != 0 ||
	    (path[plen] != '\0' && path[plen] != '/')) {
		snprintf(err, errlen, "'%.128s' is outside %s", path, prefix);
		return -EINVAL;
	}
	if (json_is_true(json_object_get(o, "public")))
		r->flags |= GW_R_PUBLIC;
	if (json_is_true(json_object_get(o, "repeats")))
		r->flags |= GW_R_REPEATS;
	if (ttl != NULL && !json_is_integer(ttl)) {
		snprintf(err, errlen, "%s: cache_ttl_s is not a number", path);
		return -EINVAL;
	}
	if (ttl != NULL && json_integer_value(ttl) != 0) {
		if (json_integer_value(ttl) < 0 ||
		    json_integer_value(ttl) > MAX_TTL_S ||
		    r->methods != GW_M_GET) {
			snprintf(err, errlen,
			         "%s: cache_ttl_s must be 0..%d, on GET only",
			         path, MAX_TTL_S);
			return -EINVAL;
		}
		r->flags |= GW_R_CACHEABLE;
		r->ttl_s = (int)json_integer_value(ttl);
		if (json_is_true(json_object_get(o, "public_data")))
			r->flags |= GW_R_PUBLIC_DATA;
	}
	json_array_foreach(roles, i, v)
	{
		if (!json_is_string(v) ||
		    mp_role_from_name(json_string_value(v), &bit) != 0 ||
		    bit == MP_ROLE_CLIENT) {
			snprintf(err, errlen, "%s: unknown role", path);
			return -EINVAL;
		}
		r->roles |= bit;
	}
	if (roles != NULL && !json_is_array(roles)) {
		snprintf(err, errlen, "%s: roles is not a list", path);
		return -EINVAL;
	}
	if (rc == NULL)
		r->rate_class = GW_RC_DEFAULT;
	else if ((k = gw_rate_class_from_name(rc)) < 0) {
		snprintf(err, errlen, "%s: unknown rate class '%.32s'", path,
		         rc);
		return -EINVAL;
	} else
		r->rate_class = (enum gw_rate_class)k;
	if (scopes != NULL && !json_is_array(scopes)) {
		snprintf(err, errlen, "%s: scopes is not a list", path);
		return -EINVAL;
	}
	json_array_foreach(scopes, i, v)
	{
		if (!json_is_string(v) || !scope_ok(json_string_value(v))) {
			snprintf(err, errlen, "%s: bad scope", path);
			return -EINVAL;
		}
		slen += strlen(json_string_value(v)) + 1;
	}
	if (slen > 0) {
		if ((scope_list = malloc(slen)) == NULL)
			return -ENOMEM;
		scope_list[0] = '\0';
		json_array_foreach(scopes, i, v)
		{
			if (i > 0)
				strcat(scope_list, " ");
			strcat(scope_list, json_string_value(v));
		}
	}
	r->scopes = scope_list;
	if (json_is_true(json_object_get(o, "prefix"))) {
		char *p = malloc(strlen(path) + 4);

		if (p != NULL)
			sprintf(p, "%s/**", strcmp(path, "/") == 0 ? "" : path);
		r->pattern = p;
	} else {
		r->pattern = strdup(path);
	}
	if (r->pattern == NULL)
		return -ENOMEM;
	r->shape = gw_route_shape(r->pattern);
	return 0;
}

int
gw_route_table_parse(const char *upstream, const char *version,
                     const char *json, size_t len, struct gw_route_table **out,
                     char *err, size_t errlen)
{
	struct gw_route_table *t;
	json_error_t jerr;
	json_t *doc;
	size_t i, bad = 0;
	int rc = 0;

	*out = NULL;
	if ((doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		return -EINVAL;
	}
	if (!json_is_array(doc) || json_array_size(doc) > GW_ROUTES_MAX) {
		snprintf(err, errlen, "not a list of at most %d routes",
		         GW_ROUTES_MAX);
		json_decref(doc);
		return -EINVAL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->routes = calloc(json_array_size(doc) + 1,
	                        sizeof(*t->routes))) == NULL) {
		free(t);
		json_decref(doc);
		return -ENOMEM;
	}
	t->refs = 1;
	snprintf(t->upstream, sizeof(t->upstream), "%s", upstream);
	snprintf(t->version, sizeof(t->version), "%s",
	         version != NULL ? version : "");
	for (i = 0; i < json_array_size(doc) && rc == 0; i++) {
		rc = route_parse(upstream, json_array_get(doc, i),
		                 &t->routes[i], err, errlen);
		t->routes[i].upstream = t->upstream;
		t->n = i + 1;
	}
	json_decref(doc);
	if (rc == 0 &&
	    gw_route_table_validate(t->routes, t->n, &bad, err, errlen) != 0)
		rc = -EINVAL;
	if (rc != 0) {
		table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- the registry ------------------------------------------------------ */

static char names[GW_UPSTREAMS_MAX][GW_SERVICE_MAX + 1];
static int nnames;
static struct gw_route_table *current[GW_UPSTREAMS_MAX];
static struct gw_route_table *offered[GW_UPSTREAMS_MAX]; /* atomic */

int
gw_routes_setup(const char *const *list, int n)
{
	int i;

	if (n < 0 || n > GW_UPSTREAMS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (strlen(list[i]) > GW_SERVICE_MAX)
			return -EINVAL;
		snprintf(names[i], sizeof(names[i]), "%s", list[i]);
	}
	nnames = n;
	return 0;
}

int
gw_routes_index(const char *path)
{
	const char *seg, *end;
	size_t len;
	int i;

	if (path == NULL || strncmp(path, "/v1/", 4) != 0)
		return -1;
	seg = path + 4;
	for (end = seg; *end != '\0' && *end != '/'; end++)
		;
	len = (size_t)(end - seg);
	for (i = 0; i < nnames; i++)
		if (strlen(names[i]) == len && strncmp(names[i], seg, len) == 0)
			return i;
	return -1;
}

void
gw_routes_offer(int i, struct gw_route_table *t)
{
	struct gw_route_table *old;

	if (i < 0 || i >= nnames) {
		table_free(t);
		return;
	}
	old = __atomic_exchange_n(&offered[i], t, __ATOMIC_ACQ_REL);
	table_free(old); /* never taken in: nobody else holds it */
}

struct gw_route_table *
gw_routes_current(int i)
{
	struct gw_route_table *t;

	if (i < 0 || i >= nnames)
		return NULL;
	if (__atomic_load_n(&offered[i], __ATOMIC_ACQUIRE) != NULL &&
	    (t = __atomic_exchange_n(&offered[i], NULL, __ATOMIC_ACQ_REL)) !=
	        NULL) {
		gw_route_table_release(current[i]);
		current[i] = t; /* its one hold is the registry's */
	}
	return current[i];
}
