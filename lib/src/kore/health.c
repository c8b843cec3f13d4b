/*
 * Operations endpoints every process serves: /healthz (the process is
 * alive and its loop turns), /readyz (it can do its work: database and
 * Redis reachable, not draining), /metrics (Prometheus text) and /_routes.
 * They bypass the route table, authentication and the access log.
 *
 * With an ops listener (MP_OPS_PORT), /metrics and /_routes are served
 * there only, /healthz and /readyz on both; a process with ops_private
 * (the gateway) never serves them on its public listener.
 *
 * A service's extensions (mp/service.h) may add checks to /readyz; they
 * report state they already hold, so a readiness probe never waits on
 * anything but the one "SELECT 1". An extension can only make the answer
 * worse: "degraded" (still 200: the process serves, a dependency it does
 * not strictly need is down) or not ready (503).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <sodium.h>

#include "mp/revocation.h"
#include "mp/runtime.h"
#include "mp/service.h"

static int ready_db_done(struct mp_ctx *ctx);
static int ready_answer(struct mp_ctx *ctx, int db_ok);
static int ready_extensions(json_t *checks);
static int routes_answer(struct mp_ctx *ctx);
static int routes_build(void);
static json_t *route_json(const struct mp_route *r);

/* The served route table (routes_build), per worker. */
static char *routes_text;
static size_t routes_len;
static char routes_etag[2 + 2 * 12 + 4];

static const struct mp_route internal_route = {MP_GET, "/(ops)", NULL,
                                               MP_ROUTE_INTERNAL, 0};

/* Run every extension's ready hook: the worst outcome (negative beats
 * MP_READY_DEGRADED beats 0). */
static int
ready_extensions(json_t *checks)
{
	const struct mp_extension *const *ext;
	int rc, worst = 0;

	for (ext = mp_service_def.extensions; ext != NULL && *ext != NULL;
	     ext++) {
		if ((*ext)->ready == NULL)
			continue;
		rc = (*ext)->ready(checks);
		if (rc < 0)
			worst = -1;
		else if (rc == MP_READY_DEGRADED && worst == 0)
			worst = MP_READY_DEGRADED;
	}
	return worst;
}

static int
ready_answer(struct mp_ctx *ctx, int db_ok)
{
	int redis_ok = !mp_service_def.uses_redis || mp_redis_connected();
	int ok = db_ok && redis_ok && !mp_draining();
	json_t *body, *checks;
	int ext;

	checks = json_pack("{s:s, s:s, s:s, s:s}", "routes",
	                   routes_build() == 0 ? routes_etag : "", "database",
	                   !mp_service_def.uses_db ? "unused"
	                   : db_ok                 ? "up"
	                                           : "down",
	                   "redis",
	                   !mp_service_def.uses_redis ? "unused"
	                   : redis_ok                 ? "up"
	                                              : "down",
	                   "lifecycle", mp_draining() ? "draining" : "serving");
	ext = ready_extensions(checks);
	if (ext < 0)
		ok = 0;
	/* a stale revocation view still refuses what it knows: degraded */
	if (mp_service_def.revocation) {
		int64_t age = mp_revocation_age_ms();
		int stale = age > MP_REVOCATION_STALE_MS;

		json_object_set_new(checks, "revocations",
		                    json_string(age == INT64_MAX ? "loading"
		                                : stale          ? "stale"
		                                                 : "fresh"));
		if (stale && ext == 0)
			ext = MP_READY_DEGRADED;
	}
	body = json_pack("{s:s, s:o}", "status",
	                 !ok                        ? "not-ready"
	                 : ext == MP_READY_DEGRADED ? "degraded"
	                                            : "ready",
	                 "checks", checks);
	return mp_reply_json(ctx, ok ? 200 : 503, body);
}

static int
ready_db_done(struct mp_ctx *ctx)
{
	return ready_answer(ctx,
	                    ctx->sqlstate[0] == '\0' && mp_db_rows(ctx) == 1);
}

/* The route table as served: the gateway loads it from here (and so
 * enforces the service's own roles, scopes, cache policy and rate class),
 * and a contract test compares it with openapi/<service>.yaml. Services
 * are reachable only from the gateway, which never forwards this path.
 * Built once per worker; its ETag (a hash of the text) is the table's
 * version, also given in /readyz as checks.routes so that a prober sees a
 * new table without fetching it. */

static json_t *
route_json(const struct mp_route *r)
{
	json_t *roles = json_array(), *scopes = json_array();
	const char *p, *e;
	unsigned bit;

	for (bit = 1; bit <= MP_ROLE_ALL; bit <<= 1)
		if ((r->roles & bit) != 0 && mp_role_name(bit) != NULL)
			json_array_append_new(roles,
			                      json_string(mp_role_name(bit)));
	for (p = r->scopes; p != NULL && *p != '\0'; p = e) {
		while (*p == ' ')
			p++;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		if (e > p)
			json_array_append_new(scopes,
			                      json_stringn(p, (size_t)(e - p)));
	}
	return json_pack(
	    "{s:s, s:s, s:b, s:b, s:o, s:o, s:i, s:b, s:s, s:b}", "method",
	    (r->flags & MP_ROUTE_ANY_METHOD) ? "*"
	                                     : http_method_text(r->method),
	    "path", r->pattern, "public", (r->flags & MP_ROUTE_PUBLIC) != 0,
	    "prefix", (r->flags & MP_ROUTE_PREFIX) != 0, "roles", roles,
	    "scopes", scopes, "cache_ttl_s", r->cache_ttl_s, "public_data",
	    (r->flags & MP_ROUTE_PUBLIC_DATA) != 0, "rate_class",
	    r->rate_class != NULL ? r->rate_class : "default", "repeats",
	    (r->flags & MP_ROUTE_REPEATS) != 0);
}

/* Build the text and the ETag once. 0, or -ENOMEM. */
static int
routes_build(void)
{
	unsigned char h[12];
	json_t *list;
	size_t i;

	if (routes_text != NULL)
		return 0;
	if ((list = json_array()) == NULL)
		return -ENOMEM;
	for (i = 0; i < mp_service_def.nroutes; i++)
		json_array_append_new(list,
		                      route_json(&mp_service_def.routes[i]));
	routes_text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (routes_text == NULL)
		return -ENOMEM;
	routes_len = strlen(routes_text);
	crypto_generichash(h, sizeof(h), (const unsigned char *)routes_text,
	                   routes_len, NULL, 0);
	routes_etag[0] = '"';
	sodium_bin2hex(routes_etag + 1, sizeof(routes_etag) - 2, h, sizeof(h));
	strcat(routes_etag, "\"");
	return 0;
}

static int
routes_answer(struct mp_ctx *ctx)
{
	const char *inm = mp_header(ctx, "if-none-match");

	if (routes_build() != 0)
		return mp_reply_problem(ctx, 500, "internal",
		                        "route table unavailable");
	mp_reply_header(ctx, "ETag", routes_etag);
	if (inm != NULL && strcmp(inm, routes_etag) == 0) {
		return mp_reply_send(ctx, 304, NULL, 0);
	}
	return mp_reply_raw(ctx, 200, "application/json", routes_text,
	                    routes_len);
}

int
mp_health_route(struct mp_ctx *ctx, const char *path)
{
	char *text;
	size_t len;

	if (strcmp(path, "/healthz") != 0 && strcmp(path, "/readyz") != 0 &&
	    strcmp(path, "/metrics") != 0 && strcmp(path, "/_routes") != 0)
		return -ENOENT; /* not ours */
	/* what a process says about itself beyond its health stays on the
	 * ops listener when there is one (and always for the gateway) */
	if ((strcmp(path, "/metrics") == 0 || strcmp(path, "/_routes") == 0) &&
	    !mp_request_on_ops(ctx) &&
	    (mp_settings.ops_port_num > 0 || mp_service_def.ops_private))
		return -ENOENT;
	ctx->route = &internal_route;
	if (ctx->req->method != HTTP_METHOD_GET &&
	    ctx->req->method != HTTP_METHOD_HEAD) {
		mp_reply_header(ctx, "Allow", "GET, HEAD");
		return mp_reply_problem(ctx, 405, "method-not-allowed",
		                        "only GET is allowed here");
	}
	if (strcmp(path, "/healthz") == 0)
		return mp_reply_json(ctx, 200,
		                     json_pack("{s:s, s:s}", "status", "alive",
		                               "service", mp_service_name()));
	if (strcmp(path, "/_routes") == 0)
		return routes_answer(ctx);
	if (strcmp(path, "/metrics") == 0) {
		if (mp_metrics_render(&text, &len) != 0)
			return mp_reply_problem(ctx, 500, "internal",
			                        "metrics unavailable");
		mp_reply_raw(ctx, 200, "text/plain; version=0.0.4", text, len);
		free(text);
		return MP_DONE;
	}
	if (!mp_service_def.uses_db)
		return ready_answer(ctx, 1);
	return mp_db_query_checked(ctx, ready_db_done, "SELECT 1", 0, NULL);
}
