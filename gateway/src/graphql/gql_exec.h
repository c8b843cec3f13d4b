/*
 * gql_exec.h: execution of a validated operation over REST resources.
 *
 * The schema says where each field comes from (@rest on a field or an
 * object type, see openapi/schema.graphql); the engine never does I/O. It
 * runs the operation in passes: a pass resolves everything whose upstream
 * answers are known and lists the fetches still missing (all the fields
 * of the next level at once, identical GETs once, per-item reads merged
 * into batch reads where the schema names one). The caller performs them
 * (in parallel), supplies the answers and runs the next pass; when a pass
 * needs nothing more, its result is the response. Mutation root fields run
 * one after the other: a pass stops at the first one not yet complete.
 *
 * JSON is jansson's; the caller owns what it passes in and what it gets
 * back, except where noted.
 */
#ifndef GW_GQL_EXEC_H
#define GW_GQL_EXEC_H

#include <jansson.h>

#include "gql_schema.h"

/* One upstream request the engine needs. */
struct gql_fetch {
	const char *service;  /* "funding", ... */
	const char *method;   /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;     /* absolute path with its query string */
	json_t *body;         /* request body or NULL (engine-owned) */
	const char *if_match; /* If-Match to send, or NULL (@rest ifMatch) */
	int status;           /* set by gql_exec_supply; 0 while pending */
	json_t *result;       /* the answer, shaped (engine-owned) */
	/* engine-private */
	const char *key;
	int shape;
	const char *select, *typename_;
	struct gql_fetch **members; /* a batch read: the reads it answers */
	int nmembers;
	const char *batch_key, *batch_id, *batch_path;
	struct gql_fetch *batched; /* the batch read answering this one */
	int mutation;
	struct gql_fetch *next, *hnext;
};

struct gql_exec_opts {
	int introspection;      /* __schema and __type answered */
	int max_fetches;        /* upstream requests per operation; 0: 256 */
	int max_passes;         /* 0: 16 */
	int batch_max;          /* ids per batch read; 0: 100 */
	const char *request_id; /* quoted in masked internal errors */
};

struct gql_exec;

/*
 * Prepares the operation named opname (NULL: the only one) of a validated
 * document, coercing the variables (a JSON object or NULL). Returns NULL
 * with request errors in errs (no data: unknown operation, bad variables),
 * else the execution (free with gql_exec_free). The schema, document and
 * errs' arena must outlive it.
 */
struct gql_exec *gql_exec_new(const struct gql_schema *s,
                              const struct gql_document *doc,
                              const char *opname, json_t *variables,
                              const struct gql_exec_opts *opts,
                              struct gql_errors *errs);
void gql_exec_free(struct gql_exec *x);

/* The operation's kind (enum gql_op) and definition. */
enum gql_op gql_exec_kind(const struct gql_exec *x);
const struct gql_def *gql_exec_operation(const struct gql_exec *x);

/*
 * Runs one pass. Returns the number of fetches to perform now (0: the
 * response is ready), their list in *out (engine-owned, valid until the
 * next pass), or -1 when out of memory.
 */
int gql_exec_step(struct gql_exec *x, struct gql_fetch ***out);

/* The answer to a fetch: HTTP status (0: no answer) and body (the engine
 * takes the reference; NULL for none). */
void gql_exec_supply(struct gql_exec *x, struct gql_fetch *f, int status,
                     json_t *body);

/* Upstream requests made so far (each batch read counts once). */
int gql_exec_fetch_count(const struct gql_exec *x);

/* The response {"errors": [...], "data": ...}, a new reference; call after
 * gql_exec_step returned 0. */
json_t *gql_exec_response(struct gql_exec *x);

/* Request errors (parse, validation, variables) as the "errors" array of a
 * response, a new reference. */
json_t *gql_errors_json(const struct gql_errors *errs);

/* Global ids: base64("Type:raw"). Encode returns an arena string; decode
 * splits into the arena, 0 or -1 when not a global id. */
char *gql_global_id(struct gql_arena *a, const char *type, const char *raw);
int gql_global_id_decode(struct gql_arena *a, const char *id, const char **type,
                         const char **raw);

#endif
