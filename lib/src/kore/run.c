/*
 * run.c: the route runner of every service (mp/run.h). It owns the
 * per-request state in ctx->user, so every path (a refusal, a database
 * error, the client going away) releases it with the request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mp/jsontext.h"
#include "mp/log.h"
#include "mp/problem.h"
#include "mp/run.h"
#include "mp/util.h"

static void run_free(void *p);
static char *principal_json(const struct mp_ctx *ctx);
static char *args_json(struct mp_ctx *ctx, const struct mp_op *op,
                       int *answered);
static int params_or_reply(struct mp_ctx *ctx);
static int after_load(struct mp_ctx *ctx);
static int facts_or_reply(struct mp_ctx *ctx, struct mp_run *run);
static int decide_and_apply(struct mp_ctx *ctx, struct mp_run *run);
static int after_apply(struct mp_ctx *ctx);
static int reply_text(struct mp_ctx *ctx, const struct mp_op *op, const char *v,
                      size_t len);
static int apply_idempotent(struct mp_ctx *ctx, struct mp_run *run,
                            const char *const v[5]);

static void
run_free(void *p)
{
	struct mp_run *run = p;

	if (run->facts != NULL)
		mp_facts_release(run->op->facts, run->facts);
	free(run->facts);
	json_decref(run->body);
	json_decref(run->facts_json);
	json_decref(run->decision);
	free(run->principal);
	free(run->args);
	free(run->body_text);
	free(run);
}

static char *
principal_json(const struct mp_ctx *ctx)
{
	const struct mp_principal *p = &ctx->principal;
	json_t *o, *roles;
	char *s;

	if (!p->authenticated)
		return strdup("{}");
	roles = json_array();
	for (unsigned bit = 1; bit <= MP_ROLE_CLIENT; bit <<= 1)
		if ((p->roles & bit) && mp_role_name(bit) != NULL)
			json_array_append_new(roles,
			                      json_string(mp_role_name(bit)));
	o = json_pack("{s:s, s:o, s:s, s:s, s:s}", "sub", p->subject, "roles",
	              roles, "region", p->region, "commune", p->commune, "org",
	              p->organisation);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *
args_json(struct mp_ctx *ctx, const struct mp_op *op, int *answered)
{
	json_t *o = json_object();
	const char *v;
	char *s;

	/* a parameter's name points into the route pattern: "id}/..." */
	for (int i = 0; i < ctx->nparams; i++)
		json_object_setn_new(o, ctx->params[i].name,
		                     strcspn(ctx->params[i].name, "}"),
		                     json_string(ctx->params[i].value));
	/* values were checked as UTF-8 when the query was split */
	for (const struct mp_field *f = op->query; f != NULL && f->name != NULL;
	     f++)
		if ((v = mp_query(ctx, f->name)) != NULL)
			json_object_set_new(o, f->name, json_string(v));
	if ((v = mp_header(ctx, "if-match")) != NULL)
		json_object_set_new(o, "if_match", json_string(v));
	/* the negotiated language, for labels chosen by Accept-Language */
	json_object_set_new(o, "lang", json_string(ctx->lang));
	if (op->args != NULL && op->args(ctx, o) != 0) {
		json_decref(o);
		*answered = 1;
		return NULL;
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Path parameters named "id" or "*_id" are UUIDs: anything else is an id
 * that cannot exist, answered 404 like a missing one. */
static int
params_or_reply(struct mp_ctx *ctx)
{
	for (int i = 0; i < ctx->nparams; i++) {
		const char *n = ctx->params[i].name;
		size_t len = strcspn(n, "}");

		if (((len == 2 && strncmp(n, "id", 2) == 0) ||
		     (len > 3 && strncmp(n + len - 3, "_id", 3) == 0)) &&
		    !mp_uuid_valid(ctx->params[i].value)) {
			mp_reply_problem(ctx, 404, "not-found",
			                 "no such resource");
			return -ENOENT;
		}
	}
	return 0;
}

int
mp_refuse(struct mp_ctx *ctx, json_t *problem)
{
	if (problem == NULL)
		mp_reply_problem(ctx, 500, "internal",
		                 "the request could not be completed");
	else
		mp_reply_problem_json(ctx, problem);
	return MP_ANSWERED;
}

int
mp_refuse_status(struct mp_ctx *ctx, int status, const char *slug,
                 const char *detail)
{
	mp_reply_problem(ctx, status, slug, detail);
	return MP_ANSWERED;
}

json_t *
mp_conflict_problem(const char *detail, const char *const *allowed, size_t n)
{
	json_t *p = mp_problem_new(409, "illegal-transition", NULL, detail);
	json_t *arr = json_array();

	if (p == NULL || arr == NULL) {
		json_decref(p);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(allowed[i]));
	json_object_set_new(p, "allowed", arr);
	return p;
}

int
mp_run_op(struct mp_ctx *ctx, const struct mp_op *op)
{
	struct mp_run *run;
	int answered = 0;

	if (params_or_reply(ctx) != 0)
		return MP_DONE;
	if ((run = calloc(1, sizeof(*run))) == NULL)
		return mp_reply_problem(ctx, 503, "overloaded",
		                        "out of memory; retry shortly");
	run->op = op;
	ctx->user = run;
	ctx->user_free = run_free;
	if (op->query != NULL && mp_query_or_reply(ctx, op->query) != 0)
		return MP_DONE;
	if (op->schema != NULL &&
	    mp_body_or_reply(ctx, op->schema, &run->body) != 0)
		return MP_DONE;
	run->principal = principal_json(ctx);
	run->args = args_json(ctx, op, &answered);
	if (answered)
		return MP_DONE;
	run->body_text =
	    run->body != NULL ? json_dumps(run->body, JSON_COMPACT) : NULL;
	if (run->principal == NULL || run->args == NULL ||
	    (run->body != NULL && run->body_text == NULL))
		return mp_reply_problem(ctx, 503, "overloaded",
		                        "out of memory; retry shortly");
	if (op->load_sql != NULL) {
		const char *v[3] = {run->principal, run->args, run->body_text};

		return mp_db_query(ctx, after_load, op->load_sql, 3, v);
	}
	return decide_and_apply(ctx, run);
}

static int
after_load(struct mp_ctx *ctx)
{
	struct mp_run *run = ctx->user;
	const char *v;

	if (mp_db_rows(ctx) == 0 || mp_db_isnull(ctx, 0, 0))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	v = mp_db_value(ctx, 0, 0);
	if ((run->facts_json = json_loads(v, JSON_DECODE_ANY, NULL)) == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the request could not be completed");
	if (facts_or_reply(ctx, run) != 0)
		return MP_DONE;
	return decide_and_apply(ctx, run);
}

/* Decode the load's answer by the op's table; a refusal is the service's
 * own bug (the SQL and the C disagree): logged with the path, 500. */
static int
facts_or_reply(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct mp_op *op = run->op;
	const char *kv[] = {"request_id", ctx->request_id, "route",
	                    ctx->route != NULL ? ctx->route->pattern : "",
	                    NULL};
	char err[200];
	int rc;

	if (op->decide == NULL)
		return 0; /* the load only checked access: nothing is read */
	if (op->facts == NULL || op->facts_size == 0) {
		mp_logkv(MP_LOG_ERROR, "facts", kv,
		         "the op declares no facts "
		         "table for its decide step");
		mp_reply_problem(ctx, 500, "internal",
		                 "the request could not be completed");
		return -EINVAL;
	}
	if ((run->facts = calloc(1, op->facts_size)) == NULL) {
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
		return -ENOMEM;
	}
	rc = mp_facts_decode(run->facts_json, op->facts, run->facts, err,
	                     sizeof(err));
	if (rc != 0) {
		free(run->facts);
		run->facts = NULL;
		if (rc == -ENOMEM) {
			mp_reply_problem(ctx, 503, "overloaded",
			                 "out of memory; retry shortly");
			return rc;
		}
		mp_logkv(MP_LOG_ERROR, "facts", kv,
		         "the load statement's "
		         "facts were refused: %s",
		         err);
		mp_reply_problem(ctx, 500, "internal",
		                 "the request could not be completed");
		return rc;
	}
	return 0;
}

static int
decide_and_apply(struct mp_ctx *ctx, struct mp_run *run)
{
	char *decision = NULL;
	int rc;

	if (run->op->decide != NULL && run->op->decide(ctx, run) != 0)
		return MP_DONE;
	if (run->decision != NULL &&
	    (decision = json_dumps(run->decision,
	                           JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return mp_reply_problem(ctx, 503, "overloaded",
		                        "out of memory; retry shortly");
	{
		const char *v[5] = {run->principal, run->args, run->body_text,
		                    decision, ctx->request_id};

		if (ctx->route->method != MP_GET &&
		    ctx->principal.authenticated &&
		    mp_header(ctx, "idempotency-key") != NULL &&
		    run->op->ctype == NULL)
			rc = apply_idempotent(ctx, run, v);
		else
			rc = mp_db_query(ctx, after_apply, run->op->apply_sql,
			                 5, v);
	}
	free(decision);
	return rc;
}

/* Longest Idempotency-Key kept (the gateway refuses longer ones too). */
#define IDEM_KEY_MAX 255

/*
 * A write that carries an Idempotency-Key runs as one statement with the
 * key (lib-0004 in migrate.c): the kept answer of (subject, key) if there
 * is one, else the apply and its answer kept in the same transaction. The
 * fingerprint (BLAKE2b of the route, its arguments and the body) tells a
 * retry from another request reusing the key (422).
 */
static int
apply_idempotent(struct mp_ctx *ctx, struct mp_run *run, const char *const v[5])
{
	unsigned char h[16];
	char fp[33], *sql;
	const char *key = mp_header(ctx, "idempotency-key");
	crypto_generichash_state st;
	int rc;

	if (strlen(key) > IDEM_KEY_MAX)
		return mp_reply_problem(
		    ctx, 400, "validation",
		    "Idempotency-Key is longer than 255 characters");
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st,
	                          (const unsigned char *)run->op->apply_sql,
	                          strlen(run->op->apply_sql) + 1);
	crypto_generichash_update(&st, (const unsigned char *)run->args,
	                          strlen(run->args) + 1);
	if (run->body_text != NULL)
		crypto_generichash_update(&st,
		                          (const unsigned char *)run->body_text,
		                          strlen(run->body_text));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(fp, sizeof(fp), h, sizeof(h));
	/* apply_sql is the op's own constant "SELECT f($1, ..., $5)": it
	 * becomes a scalar subquery, evaluated only when nothing is kept */
	if (asprintf(&sql,
	             "SELECT COALESCE(mp_idem_replay($6, $7, $8), "
	             "mp_idem_keep($6, $7, $8, (%s)::text))",
	             run->op->apply_sql) < 0)
		return mp_reply_problem(ctx, 503, "overloaded",
		                        "out of memory; retry shortly");
	{
		const char *w[8] = {v[0], v[1], v[2],
		                    v[3], v[4], ctx->principal.subject,
		                    key,  fp};

		rc = mp_db_query(ctx, after_apply, sql, 8, w);
	}
	free(sql);
	return rc;
}

static int
after_apply(struct mp_ctx *ctx)
{
	struct mp_run *run = ctx->user;
	const struct mp_op *op = run->op;
	json_t *body, *id, *version;
	const char *v;
	char buf[160];

	if (mp_db_rows(ctx) == 0 || mp_db_isnull(ctx, 0, 0))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	v = mp_db_value(ctx, 0, 0);
	if (op->ctype != NULL)
		return mp_reply_raw(ctx, op->status, op->ctype, v, strlen(v));
	if (op->answer == NULL && mp_db_is_json(ctx, 0))
		return reply_text(ctx, op, v, mp_db_length(ctx, 0, 0));
	if ((body = json_loads(v, JSON_DECODE_ANY, NULL)) == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the request could not be completed");
	if (op->answer != NULL && op->answer(ctx, run, body) != 0) {
		json_decref(body);
		return MP_DONE;
	}
	if (json_is_object(body)) {
		version = json_object_get(body, "version");
		if (json_is_integer(version)) {
			snprintf(buf, sizeof(buf), "\"v%lld\"",
			         (long long)json_integer_value(version));
			mp_reply_header(ctx, "ETag", buf);
		}
		id = json_object_get(body, "id");
		if (op->status == 201 && op->location != NULL &&
		    json_is_string(id)) {
			snprintf(buf, sizeof(buf), op->location,
			         json_string_value(id));
			mp_reply_header(ctx, "Location", buf);
		}
	}
	return mp_reply_json(ctx, op->status, body);
}

/*
 * The apply's answer as PostgreSQL wrote it, compacted: the bytes a parse
 * and compact dump gave (members in the same order), with the same ETag
 * (an integer "version") and Location (a string "id" on a 201), found in
 * the text itself. Parsing the answer into a tree only to print it again
 * took a read route as much CPU as the rest of its work together.
 */
static int
reply_text(struct mp_ctx *ctx, const struct mp_op *op, const char *v,
           size_t len)
{
	const char *m;
	char *buf, hdr[160], id[128];
	size_t n, mlen;
	int64_t version;

	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return mp_reply_problem(ctx, 503, "overloaded",
		                        "out of memory; retry shortly");
	n = mp_json_compact(buf, v, len);
	if (mp_json_member(buf, n, "version", &m, &mlen) == 0 &&
	    mp_json_int_value(m, mlen, &version) == 0) {
		snprintf(hdr, sizeof(hdr), "\"v%lld\"", (long long)version);
		mp_reply_header(ctx, "ETag", hdr);
	}
	/* an id is a UUID: one written with escapes is not ours, no header */
	if (op->status == 201 && op->location != NULL &&
	    mp_json_member(buf, n, "id", &m, &mlen) == 0 && mlen >= 2 &&
	    m[0] == '"' && mlen - 2 < sizeof(id) &&
	    memchr(m, '\\', mlen) == NULL) {
		memcpy(id, m + 1, mlen - 2);
		id[mlen - 2] = '\0';
		snprintf(hdr, sizeof(hdr), op->location, id);
		mp_reply_header(ctx, "Location", hdr);
	}
	mp_reply_raw(ctx, op->status, "application/json", buf, n);
	free(buf);
	return MP_DONE;
}
