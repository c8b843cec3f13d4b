/*
 * graphql.h: the GraphQL façade's HTTP side (http.c): GET and POST
 * /graphql, and how the gateway recognises the façade's own reads.
 */
#ifndef GW_GRAPHQL_H
#define GW_GRAPHQL_H

#include "mp/service.h"

/* Loads the schema and the limits in the parent (MP_GRAPHQL_*). */
extern const struct mp_extension gw_graphql_extension;

/* GET /graphql/assets/{name}: GraphiQL's static files (introspection
 * on and MP_GRAPHIQL_DIR filled by the build), else 404. */
int gw_graphql_asset(struct mp_ctx *ctx);

/* GET /docs: the REST reference (Swagger UI over /openapi/openapi.yaml). */
int gw_graphql_docs(struct mp_ctx *ctx);

/* Handler of /graphql (every method: 405 with Allow for the others). */
int gw_graphql_handler(struct mp_ctx *ctx);

/* 1 when ctx is one of the façade's reads of the gateway's own /v1
 * routes (a loopback peer with this process' secret header): the rate
 * limiter then takes the client from its X-Forwarded-For, which the
 * façade sets to the caller's. */
int gw_graphql_internal(struct mp_ctx *ctx);

#endif
