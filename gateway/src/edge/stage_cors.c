/*
 * Stage "cors": security headers on every answer, and CORS for an
 * allow-list of origins (exact match), including the preflights of the
 * /v1 routes (stage_path.c hands them here) and of the gateway's own
 * /auth and /admin routes (gw_edge_preflight). The headers are added once,
 * when any request arrives (gw_edge_reply_headers, the gateway's
 * mp_service.headers), and every answer keeps them.
 *
 * Configuration (environment, read in the parent):
 *   MP_CORS_ORIGINS     comma-separated origins allowed to call from a
 *                       browser ("https://a.example"); empty: no CORS
 *                       headers at all
 *   MP_CORS_MAX_AGE_S   Access-Control-Max-Age of preflights (default 600)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/config.h"
#include "mp/service.h"

#include "edge/edge.h"
#include "edge/pipeline.h"
#include "edge/stages.h"

#define ORIGINS_MAX 16
#define ORIGIN_LEN 256

static int cors_parent_init(void);
static const char *origin_allowed(struct mp_ctx *ctx);

const struct gw_stage gw_stage_cors = {
    .name = "cors",
    .on = GW_ON_API | GW_ON_TOKEN | GW_ON_OWN,
    .parent_init = cors_parent_init,
};

/* Configuration, set in the parent and inherited by the workers. */
static char origins[ORIGINS_MAX][ORIGIN_LEN];
static int norigins;
static int64_t cors_max_age_s;

static const char expose_headers[] =
    "ETag, Location, RateLimit, "
    "RateLimit-Policy, Retry-After, X-Request-Id, X-Cache, "
    "Idempotent-Replayed";
static const char allow_headers[] =
    "Authorization, Content-Type, "
    "Idempotency-Key, If-Match, If-None-Match, Accept-Language, "
    "X-Request-Id, traceparent, tracestate";

static int
cors_parent_init(void)
{
	char cors[ORIGINS_MAX * ORIGIN_LEN];
	int i;
	const struct mp_cfg_var vars[] = {
	    {"MP_CORS_ORIGINS", MP_CFG_STRING, 0, "", 0, 0, NULL, cors,
	     sizeof(cors), "origins allowed by CORS, comma-separated"},
	    {"MP_CORS_MAX_AGE_S", MP_CFG_INT, 0, "600", 0, 86400, NULL,
	     &cors_max_age_s, 0, "Access-Control-Max-Age in seconds"},
	};

	cors[0] = '\0';
	if (gw_config_load(vars, sizeof(vars) / sizeof(vars[0])) != 0)
		return -1;
	if (gw_list_parse(cors, &origins[0][0], ORIGIN_LEN, ORIGINS_MAX,
	                  &norigins) != 0) {
		fprintf(stderr,
		        "config: MP_CORS_ORIGINS: at most %d origins "
		        "of fewer than %d bytes, comma-separated\n",
		        ORIGINS_MAX, ORIGIN_LEN);
		return -1;
	}
	for (i = 0; i < norigins; i++) {
		if (strncmp(origins[i], "https://", 8) != 0 &&
		    strncmp(origins[i], "http://", 7) != 0) {
			fprintf(stderr,
			        "config: MP_CORS_ORIGINS: '%s' is not "
			        "an http(s) origin\n",
			        origins[i]);
			return -1;
		}
	}
	return 0;
}

/* The request's Origin when it is on the allow-list, else NULL. */
static const char *
origin_allowed(struct mp_ctx *ctx)
{
	const char *o = mp_header(ctx, "origin");
	int i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < norigins; i++)
		if (strcmp(o, origins[i]) == 0)
			return o;
	return NULL;
}

/* X-Content-Type-Options comes with the answer: mp_reply_* or
 * gw_edge_headers_passthrough. */
void
gw_edge_reply_headers(struct mp_ctx *ctx)
{
	const char *origin = origin_allowed(ctx);

	mp_reply_header(ctx, "Referrer-Policy", "no-referrer");
	mp_reply_header(ctx, "X-Frame-Options", "DENY");
	mp_reply_header(ctx, "Content-Security-Policy",
	                "default-src 'none'; frame-ancestors 'none'");
	if (norigins == 0)
		return;
	mp_reply_header(ctx, "Vary", "Origin");
	if (origin == NULL)
		return;
	mp_reply_header(ctx, "Access-Control-Allow-Origin", origin);
	mp_reply_header(ctx, "Access-Control-Allow-Credentials", "true");
	mp_reply_header(ctx, "Access-Control-Expose-Headers", expose_headers);
}

int
gw_cors_preflight_reply(struct mp_ctx *ctx)
{
	const char *origin = origin_allowed(ctx);
	char age[24];

	if (origin != NULL &&
	    mp_header(ctx, "access-control-request-method") != NULL) {
		snprintf(age, sizeof(age), "%lld", (long long)cors_max_age_s);
		mp_reply_header(ctx, "Access-Control-Allow-Methods",
		                "GET, POST, PUT, PATCH, DELETE");
		mp_reply_header(ctx, "Access-Control-Allow-Headers",
		                allow_headers);
		mp_reply_header(ctx, "Access-Control-Max-Age", age);
	}
	return mp_reply_raw(ctx, 204, NULL, "", 0);
}
