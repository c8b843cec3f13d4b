/*
 * Platform administration of accounts and API clients (role admin; the
 * route table refuses everyone else with 403):
 *
 *   GET    /admin/users            keyset pages (?limit, ?after, ?role,
 * ?region) POST   /admin/users            create (password hashed off the loop)
 *   GET    /admin/users/{id}
 *   PATCH  /admin/users/{id}       roles, region, commune, organisation,
 *                                  disabled, unlock
 *   GET    /admin/clients
 *   POST   /admin/clients          the secret is in this answer only
 *   DELETE /admin/clients/{id}     disable (kept for the audit trail)
 *
 * Bodies are strict (mp_body_or_reply: unknown members are refused), and
 * the rules that tie roles to places are checked here for a clear 400 and
 * again by the table's constraints (a PATCH that breaks them is a 422).
 * A change of roles or places, or disabling, revokes the account's
 * refresh tokens and the access tokens issued with them
 * (gw_user_patch_revoking): the change holds at once, everywhere.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mp/principal.h"
#include "mp/problem.h"
#include "mp/service.h"
#include "mp/util.h"

#include "identity/admin.h"
#include "identity/auth.h"
#include "identity/pwhash.h"
#include "identity/tokens.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200

struct adminreq {
	json_t *body;
	struct gw_pwjob *job;
	char username[GW_USERNAME_MAX + 1];
	char client_id[GW_USERNAME_MAX + 1];
	char secret[GW_SECRET_STRLEN + 1];
	char hash[GW_PWHASH_STRBYTES];
};

static struct adminreq *adminreq_new(struct mp_ctx *ctx);
static void adminreq_free(void *arg);
static int validation_reply(struct mp_ctx *ctx, const char *field,
                            const char *reason);
static int reply_row(struct mp_ctx *ctx);
static int reply_created(struct mp_ctx *ctx);
static int user_patched(struct mp_ctx *ctx);
static int user_hashed(struct mp_ctx *ctx);
static int client_hashed(struct mp_ctx *ctx);
static int client_created(struct mp_ctx *ctx);
static int client_disabled(struct mp_ctx *ctx);
static char *roles_text(const json_t *roles, unsigned *mask);

static const char *const user_roles[] = {
    "applicant",      "council_officer", "appraiser",
    "erc_member",     "municipal_agent", "mediator",
    "gender_analyst", "admin",           NULL};
static const char *const regions[] = {MP_REGION_SOUSS_MASSA, MP_REGION_ORIENTAL,
                                      NULL};

static const struct mp_field role_item =
    MP_FIELD("role", MP_F_ENUM, 0, .enum_values = user_roles);
static const struct mp_field scope_item = MP_FIELD(
    "scope", MP_F_STRING, 0, .min_len = 1, .max_len = GW_SCOPE_TOKEN_MAX);

static const struct mp_field user_create_schema[] = {
    MP_FIELD("username", MP_F_STRING, MP_F_REQUIRED, .min_len = 3,
             .max_len = GW_USERNAME_MAX),
    MP_FIELD("password", MP_F_STRING, MP_F_REQUIRED, .min_len = GW_PASSWORD_MIN,
             .max_len = GW_PASSWORD_MAX),
    MP_FIELD("roles", MP_F_ARRAY, MP_F_REQUIRED, .min_len = 1, .max_len = 8,
             .items = &role_item),
    MP_FIELD("region", MP_F_ENUM, MP_F_NULLABLE, .enum_values = regions),
    MP_FIELD("commune", MP_F_STRING, MP_F_NULLABLE, .min_len = 1,
             .max_len = 63),
    MP_FIELD("organisation", MP_F_STRING, MP_F_NULLABLE, .min_len = 1,
             .max_len = 63),
    MP_FIELD_END};

static const struct mp_field user_patch_schema[] = {
    MP_FIELD("roles", MP_F_ARRAY, 0, .min_len = 1, .max_len = 8,
             .items = &role_item),
    MP_FIELD("region", MP_F_ENUM, MP_F_NULLABLE, .enum_values = regions),
    MP_FIELD("commune", MP_F_STRING, MP_F_NULLABLE, .min_len = 1,
             .max_len = 63),
    MP_FIELD("organisation", MP_F_STRING, MP_F_NULLABLE, .min_len = 1,
             .max_len = 63),
    MP_FIELD("disabled", MP_F_BOOL, 0),
    MP_FIELD("unlock", MP_F_BOOL, 0),
    MP_FIELD_END};

static const struct mp_field client_create_schema[] = {
    MP_FIELD("client_id", MP_F_STRING, 0, .min_len = 3,
             .max_len = GW_USERNAME_MAX),
    MP_FIELD("name", MP_F_STRING, MP_F_REQUIRED, .min_len = 1, .max_len = 200),
    MP_FIELD("scopes", MP_F_ARRAY, MP_F_REQUIRED, .max_len = GW_SCOPES_MAX,
             .items = &scope_item),
    MP_FIELD_END};

static struct adminreq *
adminreq_new(struct mp_ctx *ctx)
{
	struct adminreq *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	ctx->user = st;
	ctx->user_free = adminreq_free;
	return st;
}

static void
adminreq_free(void *arg)
{
	struct adminreq *st = arg;
	json_t *pw = json_object_get(st->body, "password");

	if (json_is_string(pw)) /* jansson would free it unwiped */
		sodium_memzero((void *)(uintptr_t)json_string_value(pw),
		               json_string_length(pw));
	json_decref(st->body);
	gw_pwhash_release(st->job);
	sodium_memzero(st, sizeof(*st));
	free(st);
}

static int
validation_reply(struct mp_ctx *ctx, const char *field, const char *reason)
{
	json_t *problem =
	    mp_problem_new(400, "validation", NULL, "the request is not valid");

	if (problem != NULL)
		mp_problem_add_error(problem, field, reason);
	return mp_reply_problem_json(ctx, problem);
}

static int
reply_row(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 200);
}

static int
reply_created(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 201);
}

/* {"user", "revoked"}: the access tokens the change revoked are marked
 * for the gateway, the account is the answer. */
static int
user_patched(struct mp_ctx *ctx)
{
	json_t *res, *user;

	if (mp_db_rows(ctx) < 1 || mp_db_isnull(ctx, 0, 0))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	if ((res = json_loads(mp_db_value(ctx, 0, 0), 0, NULL)) == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the account could not be read");
	gw_auth_revoked_note(json_object_get(res, "revoked"));
	user = json_incref(json_object_get(res, "user"));
	json_decref(res);
	return mp_reply_json(ctx, 200, user);
}

/* roles as a JSON array text for SQL, and their bitmask. malloc'd. */
static char *
roles_text(const json_t *roles, unsigned *mask)
{
	json_t *r;
	size_t i;
	unsigned bit;

	*mask = 0;
	json_array_foreach(roles, i, r)
	{
		if (mp_role_from_name(json_string_value(r), &bit) == 0)
			*mask |= bit;
	}
	return json_dumps(roles, JSON_COMPACT);
}

/* ---- users --------------------------------------------------------------- */

int
gw_admin_users_list(struct mp_ctx *ctx)
{
	const char *limit = mp_query(ctx, "limit"),
	           *after = mp_query(ctx, "after"),
	           *role = mp_query(ctx, "role"),
	           *region = mp_query(ctx, "region");
	const char *v[4];
	char lim[8], *end;
	unsigned bit;
	long n = LIST_LIMIT_DEFAULT;
	int i;

	if (limit != NULL) {
		n = strtol(limit, &end, 10);
		if (*limit == '\0' || *end != '\0' || n < 1 ||
		    n > LIST_LIMIT_MAX)
			return validation_reply(ctx, "limit",
			                        "an integer from 1 to 200");
	}
	if (after != NULL && !mp_uuid_valid(after))
		return validation_reply(ctx, "after",
		                        "a cursor returned as "
		                        "next_cursor");
	if (role != NULL &&
	    (mp_role_from_name(role, &bit) != 0 || bit == MP_ROLE_CLIENT))
		return validation_reply(ctx, "role", "a user role name");
	if (region != NULL) {
		for (i = 0; regions[i] != NULL; i++)
			if (strcmp(region, regions[i]) == 0)
				break;
		if (regions[i] == NULL)
			return validation_reply(ctx, "region",
			                        "souss-massa or oriental");
	}
	snprintf(lim, sizeof(lim), "%ld", n);
	v[0] = lim;
	v[1] = after;
	v[2] = role;
	v[3] = region;
	return mp_db_query(
	    ctx, reply_row,
	    "SELECT json_build_object('items', coalesce(json_agg("
	    "gw_user_json(s.u) ORDER BY (s.u).id), '[]'::json), "
	    "'next_cursor', CASE WHEN count(*) = $1::int THEN "
	    "(array_agg((s.u).id ORDER BY (s.u).id DESC))[1] END) "
	    "FROM (SELECT u FROM users u WHERE ($2::uuid IS NULL OR "
	    "u.id > $2::uuid) AND ($3::text IS NULL OR $3 = ANY (u.roles)) "
	    "AND ($4::text IS NULL OR u.region = $4) ORDER BY u.id "
	    "LIMIT $1::int) s",
	    4, v);
}

int
gw_admin_users_create(struct mp_ctx *ctx)
{
	struct adminreq *st;
	const char *field, *why;
	unsigned mask;
	char *roles;

	if ((st = adminreq_new(ctx)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	if (mp_body_or_reply(ctx, user_create_schema, &st->body) != 0)
		return MP_DONE;
	if (!gw_tok_username_normalise(
	        json_string_value(json_object_get(st->body, "username")),
	        st->username, sizeof(st->username)))
		return validation_reply(
		    ctx, "username",
		    "3 to 64 of a-z, 0-9, "
		    "'.', '_', '-', starting with a letter or digit");
	if ((roles = roles_text(json_object_get(st->body, "roles"), &mask)) ==
	    NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	free(roles);
	why = gw_tok_roles_check(
	    mask, json_string_value(json_object_get(st->body, "region")),
	    json_string_value(json_object_get(st->body, "commune")), &field);
	if (why != NULL)
		return validation_reply(ctx, field, why);
	return gw_pwhash_start(
	    ctx, GW_PWHASH_HASH,
	    json_string_value(json_object_get(st->body, "password")), NULL,
	    user_hashed, &st->job);
}

static int
user_hashed(struct mp_ctx *ctx)
{
	struct adminreq *st = ctx->user;
	const char *v[6];
	unsigned mask;
	char *roles;
	int rc;

	if (gw_pwhash_result(st->job, st->hash) != 0 ||
	    (roles = roles_text(json_object_get(st->body, "roles"), &mask)) ==
	        NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the account could not be created");
	v[0] = st->username;
	v[1] = st->hash;
	v[2] = roles;
	v[3] = json_string_value(json_object_get(st->body, "region"));
	v[4] = json_string_value(json_object_get(st->body, "commune"));
	v[5] = json_string_value(json_object_get(st->body, "organisation"));
	rc = mp_db_query(
	    ctx, reply_created,
	    "INSERT INTO users (username, password_hash, roles, region, "
	    "commune, organisation) VALUES ($1, $2, ARRAY(SELECT DISTINCT "
	    "json_array_elements_text($3::json)), $4, $5, $6) "
	    "RETURNING gw_user_json(users)",
	    6, v);
	free(roles);
	sodium_memzero(st->hash, sizeof(st->hash));
	return rc;
}

int
gw_admin_users_get(struct mp_ctx *ctx)
{
	const char *v[1] = {mp_param(ctx, "id")};

	if (!mp_uuid_valid(v[0]))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	return mp_db_query(
	    ctx, reply_row,
	    "SELECT gw_user_json(u) FROM users u WHERE id = $1::uuid", 1, v);
}

int
gw_admin_users_patch(struct mp_ctx *ctx)
{
	struct adminreq *st;
	const char *v[3] = {mp_param(ctx, "id"), NULL, ctx->request_id};
	const char *field, *why;
	unsigned mask;
	char *patch, *roles;
	json_t *r;
	int rc;

	if ((st = adminreq_new(ctx)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	if (!mp_uuid_valid(v[0]))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	if (mp_body_or_reply(ctx, user_patch_schema, &st->body) != 0)
		return MP_DONE;
	if (json_object_size(st->body) == 0)
		return validation_reply(ctx, "",
		                        "name at least one field to "
		                        "change");
	if ((r = json_object_get(st->body, "roles")) != NULL) {
		if ((roles = roles_text(r, &mask)) == NULL)
			return mp_reply_problem(ctx, 500, "internal",
			                        "out of memory");
		free(roles);
		/* region and commune are checked against the stored row by
		 * the table's constraints; here only what roles alone say */
		why = gw_tok_roles_check(mask, "-", "-", &field);
		if (why != NULL)
			return validation_reply(ctx, field, why);
	}
	if ((patch = json_dumps(st->body, JSON_COMPACT)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	v[1] = patch;
	rc = mp_db_query(ctx, user_patched,
	                 "SELECT gw_user_patch_revoking("
	                 "$1::uuid, $2::jsonb, $3)",
	                 3, v);
	free(patch);
	return rc;
}

/* ---- API clients ------------------------------------------------------------
 */

int
gw_admin_clients_list(struct mp_ctx *ctx)
{
	return mp_db_query(
	    ctx, reply_row,
	    "SELECT json_build_object('items', coalesce(json_agg("
	    "gw_client_json(c) ORDER BY c.client_id), '[]'::json)) "
	    "FROM api_clients c",
	    0, NULL);
}

int
gw_admin_clients_create(struct mp_ctx *ctx)
{
	struct adminreq *st;
	const char *id;
	unsigned char rnd[8];
	char hex[17];
	json_t *s;
	size_t i;

	if ((st = adminreq_new(ctx)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	if (mp_body_or_reply(ctx, client_create_schema, &st->body) != 0)
		return MP_DONE;
	json_array_foreach(json_object_get(st->body, "scopes"), i, s)
	{
		if (!gw_tok_scope_token_valid(json_string_value(s),
		                              json_string_length(s)))
			return validation_reply(
			    ctx, "scopes",
			    "each scope is 1 to 64 of a-z, 0-9, ':', '.', "
			    "'_', '-'");
	}
	if ((id = json_string_value(json_object_get(st->body, "client_id"))) !=
	    NULL) {
		if (!gw_tok_client_id_valid(id))
			return validation_reply(
			    ctx, "client_id",
			    "3 to 64 of "
			    "a-z, 0-9, '.', '_', '-', starting with a letter "
			    "or digit");
		snprintf(st->client_id, sizeof(st->client_id), "%s", id);
	} else {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		snprintf(st->client_id, sizeof(st->client_id), "cl-%s", hex);
	}
	if (gw_tok_secret_new(st->secret) != 0)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the client could not be created");
	return gw_pwhash_start(ctx, GW_PWHASH_HASH, st->secret, NULL,
	                       client_hashed, &st->job);
}

static int
client_hashed(struct mp_ctx *ctx)
{
	struct adminreq *st = ctx->user;
	const char *v[4];
	char *scopes;
	int rc;

	if (gw_pwhash_result(st->job, st->hash) != 0 ||
	    (scopes = json_dumps(json_object_get(st->body, "scopes"),
	                         JSON_COMPACT)) == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the client could not be created");
	v[0] = st->client_id;
	v[1] = st->hash;
	v[2] = json_string_value(json_object_get(st->body, "name"));
	v[3] = scopes;
	rc = mp_db_query(
	    ctx, client_created,
	    "INSERT INTO api_clients (client_id, secret_hash, name, scopes) "
	    "VALUES ($1, $2, $3, ARRAY(SELECT DISTINCT "
	    "json_array_elements_text($4::json))) "
	    "RETURNING gw_client_json(api_clients)",
	    4, v);
	free(scopes);
	sodium_memzero(st->hash, sizeof(st->hash));
	return rc;
}

static int
client_created(struct mp_ctx *ctx)
{
	struct adminreq *st = ctx->user;
	json_t *c;

	if (mp_db_rows(ctx) < 1 ||
	    (c = json_loads(mp_db_value(ctx, 0, 0), 0, NULL)) == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the client could not be created");
	/* shown once: only its argon2id hash is stored */
	json_object_set_new(c, "client_secret", json_string(st->secret));
	sodium_memzero(st->secret, sizeof(st->secret));
	return mp_reply_json(ctx, 201, c);
}

int
gw_admin_clients_delete(struct mp_ctx *ctx)
{
	const char *v[1] = {mp_param(ctx, "id")};

	if (!gw_tok_client_id_valid(v[0]))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	return mp_db_query(
	    ctx, client_disabled,
	    "UPDATE api_clients SET disabled = true WHERE client_id = $1 "
	    "RETURNING 1",
	    1, v);
}

static int
client_disabled(struct mp_ctx *ctx)
{
	if (mp_db_rows(ctx) < 1)
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no such resource");
	return mp_reply_raw(ctx, 204, NULL, "", 0);
}
