/*
 * The API specifications under /openapi/ (public, no token):
 *
 *   GET /openapi/               index (JSON): every file served, the merged one
 *   GET /openapi/<file>         a file of MP_OPENAPI_DIR as it is on disk
 *                               (gateway.yaml, funding.yaml, common.yaml,
 *                               events.asyncapi.yaml, ...)
 *   GET /openapi/openapi.yaml   every path of the gateway's and the services'
 *                               OpenAPI files in one OpenAPI 3.1 document
 *
 * The directory (MP_OPENAPI_DIR, default ./openapi) is read once, in the
 * parent at start; the workers serve from memory. A request names a file
 * only by looking it up among the names read at start: no request byte
 * ever reaches the file system. Answers carry Cache-Control: public,
 * max-age=300 and a strong ETag (If-None-Match -> 304); YAML is
 * application/yaml, JSON application/json.
 *
 * The merged document is built at start by gw_openapi_merge (below), from
 * the text of every file whose first line is "openapi: 3.x". Building it
 * in the gateway rather than at build time keeps it true to the files the
 * process actually serves, with no generated file to keep in step.
 */
#ifndef GATEWAY_OPENAPI_H
#define GATEWAY_OPENAPI_H

#include <stddef.h>

#include "mp/service.h"

#define GW_OPENAPI_MERGED "openapi.yaml"
#define GW_OPENAPI_FILES_MAX 32
#define GW_OPENAPI_FILE_MAX (4u << 20) /* bytes of one file */

/* The extension (mp_service.extensions): loads the directory and builds
 * the merged document in the parent. A directory named by MP_OPENAPI_DIR
 * that cannot be read stops start-up; the default one missing only leaves
 * /openapi/ with an empty index. */
extern const struct mp_extension gw_openapi_extension;

/* Handlers of GET /openapi and GET /openapi/{name}. */
int gw_openapi_index(struct mp_ctx *ctx);
int gw_openapi_file(struct mp_ctx *ctx);

/* ---- the merge (merge.c: plain C, no Kore) ---------------------------------
 */

/* One OpenAPI document: `stem` is its file name without ".yaml"
 * ("funding"), the namespace of its components in the merged document. */
struct gw_openapi_doc {
	const char *stem;
	const char *text;
	size_t len;
};

/*
 * gw_openapi_merge: one OpenAPI 3.1 document from docs[0..n-1], as YAML
 * text. The inputs are written the way this repository writes specs: block
 * style, two-space indentation, top-level keys in column 0, paths at two
 * spaces, component sections ("  schemas:") at two and component names at
 * four. The result has:
 *   - its own openapi, info (title, version "merged", a description naming
 *     the sources) and servers ("/");
 *   - paths: every path item of every document, in document order; a path
 *     already taken by an earlier document is left out (listed in the
 *     description);
 *   - components: every component of every document, renamed
 *     "<stem>.<Name>" ("funding.Call") so that documents that use the same
 *     names ("NotFound") do not collide; securitySchemes keep their names
 *     (security requirements name them without $ref) and the first
 *     definition of a name wins;
 *   - every "$ref" to a component rewritten to match: '#/components/x/N'
 *     in document D becomes '#/components/x/D.N', and
 *     'other.yaml#/components/x/N' becomes '#/components/x/other.N'.
 * Other top-level keys (tags, webhooks, x-...) are not carried over.
 * On 0, *out is a NUL-terminated malloc'd string of *outlen bytes that the
 * caller frees. Returns 0, -EINVAL (NULL argument, n == 0, a doc without
 * "paths:", a stem not [a-z0-9_-]+), -ENOMEM.
 */
int gw_openapi_merge(const struct gw_openapi_doc *docs, size_t n, char **out,
                     size_t *outlen);

#endif /* GATEWAY_OPENAPI_H */
