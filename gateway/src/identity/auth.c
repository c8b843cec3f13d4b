/*
 * The gateway's token endpoints (contract in auth.h).
 *
 * Each grant is a short chain on the worker's loop: a statement, then
 * (for secrets) an argon2id job on a Kore task thread (pwhash.c), then a
 * statement that records the outcome, then the answer. Nothing here
 * blocks the loop.
 *
 * What a client may learn: a bad password, an unknown name, a disabled
 * account and a locked one all answer the same 400 invalid_grant; unknown
 * names cost one dummy verification like real ones, and are locked out by
 * the same back-off (login_throttle), so neither the answer, its timing nor
 * a Retry-After tells whether an account exists. A locked name answers at
 * once without verifying: locking exists to stop guessing, and the lock
 * does not depend on existence.
 *
 * Refresh tokens rotate: each use spends the token and issues its child;
 * a spent token presented again revokes its whole family (gw_refresh_rotate
 * in 0002_tokens.sql decides that in one statement).
 *
 * The library verifies a Bearer token before our handlers run and leaves
 * any other scheme on a public route to the handler, so an API client
 * authenticates on /auth/token either with HTTP Basic (RFC 6749 2.3.1,
 * gw_tok_basic_parse) or with the form parameters client_id and
 * client_secret, never both (400).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "mp/config.h"
#include "mp/jwt.h"
#include "mp/log.h"
#include "mp/revocation.h"
#include "mp/principal.h"
#include "mp/problem.h"
#include "mp/runtime.h"
#include "mp/service.h"
#include "mp/util.h"

#include "identity/auth.h"
#include "identity/pwhash.h"
#include "identity/tokens.h"

#define CLIENT_SECRET_MAX 256
#define PASSWORD_BYTES_MAX 1024

enum grant { GRANT_PASSWORD = 1, GRANT_REFRESH, GRANT_CLIENT };

/* State of one token, revoke or register request (ctx->user). */
struct tokreq {
	struct gw_tok_form form;
	struct gw_pwjob *job;
	json_t *body;
	enum grant grant;
	int known, disabled, has_scope, name_ok;
	char username[GW_USERNAME_MAX + 1];
	char user_id[MP_UUID_STRLEN + 1];
	char client_id[GW_USERNAME_MAX + 1];
	char client_secret[CLIENT_SECRET_MAX];
	char scope_req[GW_SCOPE_MAX];
	char granted[GW_SCOPE_MAX];
	char stored_hash[GW_PWHASH_STRBYTES];
	char refresh[GW_REFRESH_STRLEN + 1];
	char refresh_hash[GW_SHA256_HEXLEN + 1];
	char new_hash[GW_SHA256_HEXLEN + 1];
	char jti[64];
	int64_t exp;
	int lock_s;
	json_t *answer; /* the token answer while its access jti is recorded */
};

static const char *env_get(const char *name);
static int signing_key_load(const char *spec);
static int signing_self_check(void);
static int bootstrap_admin(const char *spec);
static struct tokreq *tokreq_new(struct mp_ctx *ctx);
static void tokreq_free(void *arg);
static int oauth_error(struct mp_ctx *ctx, int status, const char *error,
                       const char *detail);
static int bad_credentials(struct mp_ctx *ctx, int retry_after_s);
static int form_or_reply(struct mp_ctx *ctx, struct gw_tok_form *f);
static int issue(struct mp_ctx *ctx, const json_t *profile, const char *scope,
                 const char *refresh);
static int password_start(struct mp_ctx *ctx, struct tokreq *st);
static int password_state(struct mp_ctx *ctx);
static int password_verified(struct mp_ctx *ctx);
static int password_failed(struct mp_ctx *ctx);
static int password_locked(struct mp_ctx *ctx);
static int password_issued(struct mp_ctx *ctx);
static int refresh_start(struct mp_ctx *ctx, struct tokreq *st);
static int refresh_rotated(struct mp_ctx *ctx);
static int client_start(struct mp_ctx *ctx, struct tokreq *st);
static int client_state(struct mp_ctx *ctx);
static int client_verified(struct mp_ctx *ctx);
static int issue_recorded(struct mp_ctx *ctx);
static void revoked_note(struct mp_ctx *ctx);
static int refresh_reuse_revoked(struct mp_ctx *ctx);
static int revoke_family_done(struct mp_ctx *ctx);
static int revoke_done(struct mp_ctx *ctx);
static int revoke_jti_stored(struct mp_ctx *ctx);
static int register_commune_checked(struct mp_ctx *ctx);
static int register_hash(struct mp_ctx *ctx);
static int register_hashed(struct mp_ctx *ctx);
static int register_created(struct mp_ctx *ctx);
static int me_reply(struct mp_ctx *ctx);
static void json_string_wipe(json_t *obj, const char *key);

/* Configuration, set in the parent and inherited by the workers. */
static char sign_spec[600];
static char sign_kid[MP_JWT_MAX_KID_LEN + 1];
static char sign_alg[8];
static char *sign_pem;
static size_t sign_pem_len;
static int64_t access_ttl_s;
static int64_t refresh_ttl_s;
static char bootstrap[256];

static const char *
env_get(const char *name)
{
	return getenv(name);
}

/* ---- start-up -------------------------------------------------------------
 */

/* "kid:ALG:/path.pem" -> the private key in memory. */
static int
signing_key_load(const char *spec)
{
	const char *c1, *c2;
	FILE *f = NULL;
	long n;
	int rc = -EINVAL;

	if ((c1 = strchr(spec, ':')) == NULL ||
	    (c2 = strchr(c1 + 1, ':')) == NULL || c1 == spec ||
	    (size_t)(c1 - spec) > MP_JWT_MAX_KID_LEN ||
	    (size_t)(c2 - c1 - 1) >= sizeof(sign_alg) || c2[1] == '\0')
		return -EINVAL;
	memcpy(sign_kid, spec, (size_t)(c1 - spec));
	sign_kid[c1 - spec] = '\0';
	memcpy(sign_alg, c1 + 1, (size_t)(c2 - c1 - 1));
	sign_alg[c2 - c1 - 1] = '\0';
	if (strcmp(sign_alg, "RS256") != 0 && strcmp(sign_alg, "ES256") != 0)
		return -EINVAL;
	if ((f = fopen(c2 + 1, "rb")) == NULL)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    n > MP_JWT_MAX_PEM_BYTES || fseek(f, 0, SEEK_SET) != 0)
		goto cleanup;
	if ((sign_pem = sodium_malloc((size_t)n + 1)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (fread(sign_pem, 1, (size_t)n, f) != (size_t)n)
		goto cleanup;
	sign_pem[n] = '\0';
	sign_pem_len = (size_t)n;
	rc = 0;
cleanup:
	if (rc != 0 && sign_pem != NULL) {
		sodium_free(sign_pem);
		sign_pem = NULL;
	}
	fclose(f);
	return rc;
}

/* A token signed with the private key must verify with MP_JWT_KEYS: the
 * kid is published and the pair matches. */
static int
signing_self_check(void)
{
	struct gw_tok_claims_in in;
	struct mp_principal p;
	char jti[MP_UUID_STRLEN + 1], *tok = NULL;
	json_t *claims = NULL;
	int rc;

	if (mp_keyset == NULL)
		return -ENOENT;
	if (mp_uuid_v7(jti) != 0)
		return -EIO;
	memset(&in, 0, sizeof(in));
	in.issuer = mp_settings.jwt_issuer;
	in.audience = mp_settings.jwt_audience;
	in.subject = "gateway-self-check";
	in.roles = MP_ROLE_CLIENT;
	in.jti = jti;
	in.iat = (int64_t)time(NULL);
	in.ttl_s = 60;
	if ((rc = gw_tok_claims_build(&in, &claims)) != 0)
		return rc;
	rc = gw_auth_sign(claims, &tok);
	json_decref(claims);
	if (rc != 0)
		return rc;
	rc = mp_jwt_verify(mp_keyset, &mp_jwt_policy, tok, strlen(tok), in.iat,
	                   &p);
	free(tok);
	return rc == MP_JWT_OK ? 0 : -EKEYREJECTED;
}

/* Synchronous (parent, start-up): create the admin if none is enabled. */
static int
bootstrap_admin(const char *spec)
{
	char raw[GW_USERNAME_MAX + 1], user[GW_USERNAME_MAX + 1];
	char hash[GW_PWHASH_STRBYTES];
	const char *colon = strchr(spec, ':'), *pw, *vals[2];
	PGconn *db = NULL;
	PGresult *res = NULL;
	size_t ulen;
	int rc = -EINVAL;

	if (colon == NULL || (ulen = (size_t)(colon - spec)) == 0 ||
	    ulen > GW_USERNAME_MAX)
		return -EINVAL;
	memcpy(raw, spec, ulen);
	raw[ulen] = '\0';
	pw = colon + 1;
	if (!gw_tok_username_normalise(raw, user, sizeof(user)) ||
	    strlen(pw) < GW_PASSWORD_MIN || strlen(pw) > GW_PASSWORD_MAX * 4)
		return -EINVAL;
	db = PQconnectdb(mp_settings.db_url);
	rc = -EIO;
	if (PQstatus(db) != CONNECTION_OK)
		goto cleanup;
	res = PQexec(db, "SELECT 1 FROM users WHERE 'admin' = ANY (roles) "
	                 "AND NOT disabled LIMIT 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto cleanup;
	if (PQntuples(res) > 0) {
		rc = 0;
		goto cleanup;
	}
	PQclear(res);
	res = NULL;
	if ((rc = gw_pwhash_str(pw, hash)) != 0)
		goto cleanup;
	vals[0] = user;
	vals[1] = hash;
	res = PQexecParams(
	    db,
	    "INSERT INTO users (username, password_hash, "
	    "roles) VALUES ($1, $2, ARRAY['admin']) ON CONFLICT (username) "
	    "DO NOTHING RETURNING id",
	    2, NULL, vals, NULL, NULL, 0);
	rc = -EIO;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto cleanup;
	if (PQntuples(res) == 1)
		mp_log(MP_LOG_INFO, "bootstrap",
		       "bootstrap admin account "
		       "created");
	else
		mp_log(MP_LOG_WARN, "bootstrap",
		       "no admin exists and the "
		       "bootstrap admin's name is taken by another account: "
		       "nothing created");
	rc = 0;
cleanup:
	sodium_memzero(hash, sizeof(hash));
	PQclear(res);
	PQfinish(db);
	return rc;
}

int
gw_auth_parent_init(void)
{
	char err[512];
	int rc;
	const struct mp_cfg_var vars[] = {
	    {"MP_JWT_SIGNING_KEY", MP_CFG_STRING, 0, "", 0, 0, NULL, sign_spec,
	     sizeof(sign_spec), "token signing key kid:ALG:/path/private.pem"},
	    {"MP_ACCESS_TTL_S", MP_CFG_INT, 0, "900", 60, 86400, NULL,
	     &access_ttl_s, 0, "access token lifetime in seconds"},
	    {"MP_REFRESH_TTL_S", MP_CFG_INT, 0, "2592000", 300, 31536000, NULL,
	     &refresh_ttl_s, 0, "refresh token lifetime in seconds"},
	    {"MP_BOOTSTRAP_ADMIN", MP_CFG_STRING, 0, "", 0, 0, NULL, bootstrap,
	     sizeof(bootstrap), "first admin account username:password"},
	};

	if (mp_config_load(vars, sizeof(vars) / sizeof(vars[0]), env_get, err,
	                   sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	/* every process refuses a token that lives longer than its
	 * MP_JWT_MAX_LIFETIME_S (the library's policy): never issue one */
	if (mp_jwt_policy.max_lifetime_s > 0 &&
	    access_ttl_s > mp_jwt_policy.max_lifetime_s) {
		fprintf(stderr,
		        "config: MP_ACCESS_TTL_S (%lld) exceeds "
		        "MP_JWT_MAX_LIFETIME_S (%lld): the tokens would be "
		        "refused\n",
		        (long long)access_ttl_s,
		        (long long)mp_jwt_policy.max_lifetime_s);
		return -1;
	}
	if (gw_pwhash_parent_init() != 0)
		return -1;
	if (sign_spec[0] == '\0') {
		mp_log(MP_LOG_WARN, "auth",
		       "MP_JWT_SIGNING_KEY is not set: "
		       "the gateway issues no tokens");
	} else {
		if ((rc = signing_key_load(sign_spec)) != 0) {
			fprintf(
			    stderr,
			    "config: MP_JWT_SIGNING_KEY: expected "
			    "kid:RS256|ES256:/path/private.pem of a readable "
			    "file (%s)\n",
			    strerror(-rc));
			return -1;
		}
		if ((rc = signing_self_check()) != 0) {
			fprintf(
			    stderr,
			    "config: MP_JWT_SIGNING_KEY: a token "
			    "it signs does not verify with MP_JWT_KEYS (kid "
			    "%s missing or not the matching public key)\n",
			    sign_kid);
			return -1;
		}
	}
	if (bootstrap[0] != '\0') {
		rc = bootstrap_admin(bootstrap);
		sodium_memzero(bootstrap, sizeof(bootstrap));
		if (rc == -EINVAL) {
			fprintf(
			    stderr,
			    "config: MP_BOOTSTRAP_ADMIN: expected "
			    "username:password (username [a-z0-9._-]{3,64}, "
			    "password of at least %d characters)\n",
			    GW_PASSWORD_MIN);
			return -1;
		}
		if (rc != 0) {
			fprintf(stderr, "bootstrap: cannot create the admin "
			                "account (database)\n");
			return -1;
		}
	}
	return 0;
}

int
gw_auth_sign(json_t *claims, char **out)
{
	*out = NULL;
	if (sign_pem == NULL)
		return -ENOENT;
	return mp_jwt_sign(sign_alg, sign_kid, sign_pem, sign_pem_len, claims,
	                   out);
}

/* ---- request state and answers ------------------------------------------- */

static struct tokreq *
tokreq_new(struct mp_ctx *ctx)
{
	struct tokreq *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	ctx->user = st;
	ctx->user_free = tokreq_free;
	return st;
}

static void
tokreq_free(void *arg)
{
	struct tokreq *st = arg;

	gw_tok_form_free(&st->form);
	gw_pwhash_release(st->job);
	json_string_wipe(st->body, "password");
	json_decref(st->body);
	json_string_wipe(st->answer, "access_token");
	json_string_wipe(st->answer, "refresh_token");
	json_decref(st->answer);
	sodium_memzero(st, sizeof(*st));
	free(st);
}

/* A problem+json that also carries RFC 6749's "error" member. */
static int
oauth_error(struct mp_ctx *ctx, int status, const char *error,
            const char *detail)
{
	char slug[MP_PROBLEM_SLUG_MAX + 1];
	json_t *problem;
	size_t i;

	snprintf(slug, sizeof(slug), "%s", error);
	for (i = 0; slug[i] != '\0'; i++)
		if (slug[i] == '_')
			slug[i] = '-';
	problem = mp_problem_new(status, slug, NULL, detail);
	if (problem != NULL) {
		json_object_set_new(problem, "error", json_string(error));
		json_object_set_new(problem, "error_description",
		                    json_string(detail));
	}
	if (status == 401)
		mp_reply_header(ctx, "WWW-Authenticate",
		                "Basic realm=\"mp-gateway\"");
	mp_reply_header(ctx, "Pragma", "no-cache");
	return mp_reply_problem_json(ctx, problem);
}

/* The one answer for every failed password login. */
static int
bad_credentials(struct mp_ctx *ctx, int retry_after_s)
{
	char v[16];

	if (retry_after_s > 0) {
		snprintf(v, sizeof(v), "%d", retry_after_s);
		mp_reply_header(ctx, "Retry-After", v);
	}
	return oauth_error(
	    ctx, 400, "invalid_grant",
	    "the username or password is not valid, or the account is "
	    "temporarily locked");
}

/* Read and parse a form body; answers 400 invalid_request itself. */
static int
form_or_reply(struct mp_ctx *ctx, struct gw_tok_form *f)
{
	static const char want[] = "application/x-www-form-urlencoded";
	const char *ctype = mp_header(ctx, "content-type");
	char buf[GW_FORM_MAX_BYTES + 1];
	size_t len = 0;
	ssize_t n;
	int rc;

	if (ctype == NULL || strncasecmp(ctype, want, sizeof(want) - 1) != 0 ||
	    (ctype[sizeof(want) - 1] != '\0' &&
	     ctype[sizeof(want) - 1] != ';' &&
	     ctype[sizeof(want) - 1] != ' ')) {
		oauth_error(
		    ctx, 400, "invalid_request",
		    "send the body as application/x-www-form-urlencoded");
		return -EINVAL;
	}
	for (;;) {
		n = http_body_read(ctx->req, buf + len, sizeof(buf) - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= sizeof(buf))
			break;
	}
	if (n < 0) {
		sodium_memzero(buf, sizeof(buf));
		oauth_error(ctx, 400, "invalid_request",
		            "the request body could not be read");
		return -EIO;
	}
	rc = gw_tok_form_parse(buf, len, f);
	sodium_memzero(buf, sizeof(buf));
	if (rc == -E2BIG || len >= sizeof(buf)) {
		gw_tok_form_free(f);
		oauth_error(ctx, 400, "invalid_request",
		            "the request body is too large");
		return -E2BIG;
	}
	if (rc != 0) {
		oauth_error(
		    ctx, 400, "invalid_request",
		    "the body is not a valid form: each parameter once, "
		    "name=value pairs joined by '&', percent-encoded");
		return rc;
	}
	return 0;
}

/* Sign an access token for `profile` (a user as gw_user_json shows it, or
 * {"client_id": ...} for an API client) and answer with it. */
static int
issue(struct mp_ctx *ctx, const json_t *profile, const char *scope,
      const char *refresh)
{
	struct gw_tok_claims_in in;
	const char *client_id =
	    json_string_value(json_object_get(profile, "client_id"));
	char jti[MP_UUID_STRLEN + 1], *tok = NULL;
	json_t *claims = NULL, *role, *ans;
	unsigned bit;
	size_t i;
	int rc;

	memset(&in, 0, sizeof(in));
	in.issuer = mp_settings.jwt_issuer;
	in.audience = mp_settings.jwt_audience;
	if (client_id != NULL) {
		in.subject = client_id;
		in.client_id = client_id;
		in.roles = MP_ROLE_CLIENT;
	} else {
		in.subject = json_string_value(json_object_get(profile, "id"));
		in.region =
		    json_string_value(json_object_get(profile, "region"));
		in.commune =
		    json_string_value(json_object_get(profile, "commune"));
		in.organisation =
		    json_string_value(json_object_get(profile, "organisation"));
		json_array_foreach(json_object_get(profile, "roles"), i, role)
		{
			if (mp_role_from_name(json_string_value(role), &bit) ==
			    0)
				in.roles |= bit;
		}
	}
	in.scope = scope;
	in.jti = jti;
	in.iat = (int64_t)time(NULL);
	in.ttl_s = access_ttl_s;
	if (mp_uuid_v7(jti) != 0 ||
	    (rc = gw_tok_claims_build(&in, &claims)) != 0 ||
	    (rc = gw_auth_sign(claims, &tok)) != 0) {
		json_decref(claims);
		mp_log(MP_LOG_ERROR, "auth", "cannot sign an access token");
		return mp_reply_problem(ctx, 500, "internal",
		                        "the token could not be issued");
	}
	json_decref(claims);
	ans =
	    json_pack("{s:s, s:s, s:I, s:s}", "access_token", tok, "token_type",
	              "Bearer", "expires_in", (json_int_t)access_ttl_s, "scope",
	              scope != NULL ? scope : "");
	sodium_memzero(tok, strlen(tok));
	free(tok);
	mp_reply_header(ctx, "Pragma", "no-cache");
	if (ans == NULL || refresh == NULL)
		return mp_reply_json(ctx, 200, ans);
	json_object_set_new(ans, "refresh_token", json_string(refresh));
	/* the access token is recorded with its refresh token, so that
	 * revoking the family revokes it (0005_family_access.sql) */
	{
		struct tokreq *st = ctx->user;
		char hash[GW_SHA256_HEXLEN + 1], exp[24];
		const char *v[3];

		if (st == NULL ||
		    gw_tok_sha256_hex(refresh, strlen(refresh), hash) != 0) {
			json_decref(ans);
			return mp_reply_problem(
			    ctx, 500, "internal",
			    "the token could not be issued");
		}
		st->answer = ans;
		snprintf(exp, sizeof(exp), "%lld",
		         (long long)(in.iat + access_ttl_s));
		v[0] = hash;
		v[1] = jti;
		v[2] = exp;
		return mp_db_query(ctx, issue_recorded,
		                   "SELECT gw_refresh_access_set($1, $2, $3)",
		                   3, v);
	}
}

static int
issue_recorded(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	json_t *ans = st->answer;

	st->answer = NULL; /* mp_reply_json takes it */
	return mp_reply_json(ctx, 200, ans);
}

/* After a family's revocation: its live access tokens are the JSON
 * array in the statement's result (gw_auth_revoked_note). */
static void
revoked_note(struct mp_ctx *ctx)
{
	json_t *list;

	if (mp_db_rows(ctx) < 1 || mp_db_isnull(ctx, 0, 0) ||
	    (list = json_loads(mp_db_value(ctx, 0, 0), 0, NULL)) == NULL)
		return;
	gw_auth_revoked_note(list);
	json_decref(list);
}

void
gw_auth_revoked_note(const json_t *list)
{
	json_t *it;
	size_t i;

	json_array_foreach(list, i, it)
	{
		const char *jti = json_string_value(json_object_get(it, "jti"));
		int64_t exp =
		    (int64_t)json_integer_value(json_object_get(it, "exp"));

		if (jti != NULL && exp > (int64_t)time(NULL))
			(void)mp_revocation_note(jti, exp);
	}
}

/* ---- POST /auth/token ------------------------------------------------------
 */

int
gw_auth_token(struct mp_ctx *ctx)
{
	struct tokreq *st;
	const char *gt, *scope;

	if (sign_pem == NULL) {
		mp_reply_header(ctx, "Retry-After", "60");
		return mp_reply_problem(ctx, 503, "tokens-not-configured",
		                        "this gateway issues no tokens");
	}
	if ((st = tokreq_new(ctx)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	if (form_or_reply(ctx, &st->form) != 0)
		return MP_DONE;
	if ((gt = gw_tok_form_get(&st->form, "grant_type")) == NULL)
		return oauth_error(ctx, 400, "invalid_request",
		                   "grant_type is required");
	if ((scope = gw_tok_form_get(&st->form, "scope")) != NULL) {
		if (!gw_tok_scope_list_valid(scope))
			return oauth_error(
			    ctx, 400, "invalid_scope",
			    "scope must be space-separated tokens of "
			    "[a-z0-9:._-]");
		snprintf(st->scope_req, sizeof(st->scope_req), "%s", scope);
		st->has_scope = 1;
	}
	if (strcmp(gt, "password") == 0)
		return password_start(ctx, st);
	if (strcmp(gt, "refresh_token") == 0)
		return refresh_start(ctx, st);
	if (strcmp(gt, "client_credentials") == 0)
		return client_start(ctx, st);
	return oauth_error(ctx, 400, "unsupported_grant_type",
	                   "grant_type must be password, refresh_token or "
	                   "client_credentials");
}

/* -- password grant -- */

static int
password_start(struct mp_ctx *ctx, struct tokreq *st)
{
	const char *user = gw_tok_form_get(&st->form, "username");
	const char *pw = gw_tok_form_get(&st->form, "password");
	const char *v[1];
	int rc;

	st->grant = GRANT_PASSWORD;
	if (user == NULL || pw == NULL)
		return oauth_error(ctx, 400, "invalid_request",
		                   "username and password are required");
	if (strlen(pw) > PASSWORD_BYTES_MAX)
		return oauth_error(ctx, 400, "invalid_request",
		                   "the password is too long");
	rc = gw_tok_scope_intersect(GW_USER_SCOPES,
	                            st->has_scope ? st->scope_req : NULL,
	                            st->granted, sizeof(st->granted));
	if (rc != 0)
		return oauth_error(ctx, 400, "invalid_scope",
		                   "users may ask for: " GW_USER_SCOPES);
	st->name_ok =
	    gw_tok_username_normalise(user, st->username, sizeof(st->username));
	if (!st->name_ok) {
		/* no such account can exist: same cost, same answer */
		snprintf(st->stored_hash, sizeof(st->stored_hash), "%s",
		         gw_pwhash_dummy());
		return gw_pwhash_start(ctx, GW_PWHASH_VERIFY, pw,
		                       st->stored_hash, password_verified,
		                       &st->job);
	}
	v[0] = st->username;
	return mp_db_query(ctx, password_state,
	                   "SELECT user_id, password_hash, disabled, locked_s "
	                   "FROM gw_login_state($1)",
	                   1, v);
}

static int
password_state(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	const char *pw = gw_tok_form_get(&st->form, "password");

	if (mp_db_rows(ctx) > 0) {
		st->lock_s = atoi(mp_db_value(ctx, 0, 3));
		if (!mp_db_isnull(ctx, 0, 0)) {
			st->known = 1;
			snprintf(st->user_id, sizeof(st->user_id), "%s",
			         mp_db_value(ctx, 0, 0));
			snprintf(st->stored_hash, sizeof(st->stored_hash), "%s",
			         mp_db_value(ctx, 0, 1));
			st->disabled = strcmp(mp_db_value(ctx, 0, 2), "t") == 0;
		}
	}
	if (st->lock_s > 0)
		return bad_credentials(ctx, st->lock_s);
	if (!st->known)
		snprintf(st->stored_hash, sizeof(st->stored_hash), "%s",
		         gw_pwhash_dummy());
	return gw_pwhash_start(ctx, GW_PWHASH_VERIFY, pw, st->stored_hash,
	                       password_verified, &st->job);
}

static int
password_verified(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	const char *v[4];
	char ttl[24];
	int ok = gw_pwhash_result(st->job, NULL) == 0;

	sodium_memzero(st->stored_hash, sizeof(st->stored_hash));
	if (!st->name_ok)
		return bad_credentials(ctx, 0);
	if (!st->known || !ok) {
		v[0] = st->username;
		return mp_db_query(ctx, password_failed,
		                   "SELECT gw_login_failed($1)", 1, v);
	}
	if (st->disabled)
		return bad_credentials(ctx, 0);
	if (gw_tok_refresh_new(st->refresh) != 0 ||
	    gw_tok_sha256_hex(st->refresh, strlen(st->refresh),
	                      st->refresh_hash) != 0)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the token could not be issued");
	snprintf(ttl, sizeof(ttl), "%lld", (long long)refresh_ttl_s);
	v[0] = st->user_id;
	v[1] = st->refresh_hash;
	v[2] = st->granted;
	v[3] = ttl;
	return mp_db_query(ctx, password_issued,
	                   "SELECT gw_login_succeeded($1, $2, $3, $4)", 4, v);
}

static int
password_failed(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	const char *v[2];
	char secs[16];
	int n = mp_db_rows(ctx) > 0 ? atoi(mp_db_value(ctx, 0, 0)) : 0;

	st->lock_s = gw_tok_lockout_seconds(n);
	if (st->lock_s == 0)
		return bad_credentials(ctx, 0);
	snprintf(secs, sizeof(secs), "%d", st->lock_s);
	v[0] = st->username;
	v[1] = secs;
	return mp_db_query(ctx, password_locked, "SELECT gw_login_lock($1, $2)",
	                   2, v);
}

static int
password_locked(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;

	return bad_credentials(ctx, st->lock_s);
}

static int
password_issued(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	json_t *profile;
	int rc;

	if (mp_db_rows(ctx) < 1 || mp_db_isnull(ctx, 0, 0))
		return bad_credentials(ctx, 0); /* disabled meanwhile */
	if ((profile = json_loads(mp_db_value(ctx, 0, 0), 0, NULL)) == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the token could not be issued");
	rc = issue(ctx, profile, st->granted, st->refresh);
	json_decref(profile);
	return rc;
}

/* -- refresh grant -- */

static int
refresh_start(struct mp_ctx *ctx, struct tokreq *st)
{
	const char *rt = gw_tok_form_get(&st->form, "refresh_token");
	const char *v[4];
	char ttl[24];

	st->grant = GRANT_REFRESH;
	if (rt == NULL)
		return oauth_error(ctx, 400, "invalid_request",
		                   "refresh_token is required");
	if (!gw_tok_refresh_valid(rt))
		return oauth_error(ctx, 400, "invalid_grant",
		                   "the refresh token is not valid");
	if (gw_tok_sha256_hex(rt, strlen(rt), st->refresh_hash) != 0 ||
	    gw_tok_refresh_new(st->refresh) != 0 ||
	    gw_tok_sha256_hex(st->refresh, strlen(st->refresh), st->new_hash) !=
	        0)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the token could not be issued");
	snprintf(ttl, sizeof(ttl), "%lld", (long long)refresh_ttl_s);
	v[0] = st->refresh_hash;
	v[1] = st->new_hash;
	v[2] = ttl;
	v[3] = st->has_scope ? st->scope_req : NULL;
	return mp_db_query(ctx, refresh_rotated,
	                   "SELECT gw_refresh_rotate($1, $2, $3, $4)", 4, v);
}

static int
refresh_rotated(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	const char *outcome, *scope;
	const char *kv[] = {"request_id", ctx->request_id, NULL};
	json_t *res;
	int rc;

	if (mp_db_rows(ctx) < 1 || mp_db_isnull(ctx, 0, 0) ||
	    (res = json_loads(mp_db_value(ctx, 0, 0), 0, NULL)) == NULL)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the token could not be issued");
	outcome = json_string_value(json_object_get(res, "outcome"));
	if (outcome != NULL && strcmp(outcome, "ok") == 0) {
		scope = st->has_scope
		            ? st->scope_req
		            : json_string_value(json_object_get(res, "scope"));
		rc = issue(ctx, json_object_get(res, "user"), scope,
		           st->refresh);
	} else if (outcome != NULL && strcmp(outcome, "reuse") == 0) {
		const char *v[2] = {st->refresh_hash, ctx->request_id};

		mp_logkv(MP_LOG_WARN, "refresh_reuse", kv,
		         "a spent refresh "
		         "token was presented again: its family is revoked");
		/* and the access tokens issued with it */
		rc = mp_db_query(ctx, refresh_reuse_revoked,
		                 "SELECT gw_refresh_revoke_access($1, $2)", 2,
		                 v);
	} else if (outcome != NULL && strcmp(outcome, "invalid_scope") == 0) {
		rc = oauth_error(ctx, 400, "invalid_scope",
		                 "the scope asked for exceeds the one granted");
	} else {
		rc = oauth_error(ctx, 400, "invalid_grant",
		                 "the refresh token is not valid");
	}
	json_decref(res);
	return rc;
}

static int
refresh_reuse_revoked(struct mp_ctx *ctx)
{
	revoked_note(ctx);
	return oauth_error(
	    ctx, 400, "invalid_grant",
	    "the refresh token was already used; the session is revoked");
}

/* -- client credentials grant -- */

static int
client_start(struct mp_ctx *ctx, struct tokreq *st)
{
	const char *fid = gw_tok_form_get(&st->form, "client_id");
	const char *fsecret = gw_tok_form_get(&st->form, "client_secret");
	const char *auth = mp_header(ctx, "authorization");
	char id[GW_USERNAME_MAX + 2];
	const char *v[1];
	int rc;

	st->grant = GRANT_CLIENT;
	rc = gw_tok_basic_parse(auth, id, sizeof(id), st->client_secret,
	                        sizeof(st->client_secret));
	if (rc == 0 && (fid != NULL || fsecret != NULL))
		return oauth_error(
		    ctx, 400, "invalid_request",
		    "use one way of client authentication, not two");
	if (rc == -EINVAL || rc == -ENAMETOOLONG || rc == -EIO)
		return oauth_error(ctx, 401, "invalid_client",
		                   "client authentication failed");
	if (rc == -ENOENT) {
		if (fid == NULL || fsecret == NULL)
			return oauth_error(
			    ctx, 401, "invalid_client",
			    "client_id and client_secret are required");
		if (strlen(fid) >= sizeof(id) ||
		    strlen(fsecret) >= sizeof(st->client_secret))
			return oauth_error(ctx, 401, "invalid_client",
			                   "client authentication failed");
		snprintf(id, sizeof(id), "%s", fid);
		snprintf(st->client_secret, sizeof(st->client_secret), "%s",
		         fsecret);
	}
	st->name_ok = gw_tok_client_id_valid(id); /* so at most 64 bytes */
	if (st->name_ok)
		memcpy(st->client_id, id, strlen(id) + 1);
	if (!st->name_ok) {
		snprintf(st->stored_hash, sizeof(st->stored_hash), "%s",
		         gw_pwhash_dummy());
		return gw_pwhash_start(ctx, GW_PWHASH_VERIFY, st->client_secret,
		                       st->stored_hash, client_verified,
		                       &st->job);
	}
	v[0] = st->client_id;
	return mp_db_query(
	    ctx, client_state,
	    "SELECT secret_hash, disabled, array_to_string(scopes, ' ') "
	    "FROM api_clients WHERE client_id = $1",
	    1, v);
}

static int
client_state(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;

	if (mp_db_rows(ctx) > 0) {
		st->known = 1;
		snprintf(st->stored_hash, sizeof(st->stored_hash), "%s",
		         mp_db_value(ctx, 0, 0));
		st->disabled = strcmp(mp_db_value(ctx, 0, 1), "t") == 0;
		snprintf(st->granted, sizeof(st->granted), "%s",
		         mp_db_value(ctx, 0, 2));
	} else {
		snprintf(st->stored_hash, sizeof(st->stored_hash), "%s",
		         gw_pwhash_dummy());
	}
	return gw_pwhash_start(ctx, GW_PWHASH_VERIFY, st->client_secret,
	                       st->stored_hash, client_verified, &st->job);
}

static int
client_verified(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	char scope[GW_SCOPE_MAX];
	json_t *profile;
	int ok = gw_pwhash_result(st->job, NULL) == 0, rc;

	sodium_memzero(st->client_secret, sizeof(st->client_secret));
	if (!st->name_ok || !st->known || !ok || st->disabled)
		return oauth_error(ctx, 401, "invalid_client",
		                   "client authentication failed");
	rc = gw_tok_scope_intersect(st->granted,
	                            st->has_scope ? st->scope_req : NULL, scope,
	                            sizeof(scope));
	if (rc != 0)
		return oauth_error(
		    ctx, 400, "invalid_scope",
		    "none of the scopes asked for is granted to this client");
	if ((profile = json_pack("{s:s}", "client_id", st->client_id)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	rc = issue(ctx, profile, scope, NULL);
	json_decref(profile);
	return rc;
}

/* ---- POST /auth/revoke (RFC 7009) -----------------------------------------
 */

int
gw_auth_revoke(struct mp_ctx *ctx)
{
	struct mp_principal p;
	struct tokreq *st;
	const char *tok, *v[3];
	char exp[24];
	int rc;

	if ((st = tokreq_new(ctx)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	if (form_or_reply(ctx, &st->form) != 0)
		return MP_DONE;
	if ((tok = gw_tok_form_get(&st->form, "token")) == NULL || *tok == '\0')
		return oauth_error(ctx, 400, "invalid_request",
		                   "token is required");
	if (gw_tok_refresh_valid(tok)) {
		if (gw_tok_sha256_hex(tok, strlen(tok), st->refresh_hash) != 0)
			return mp_reply_problem(
			    ctx, 500, "internal",
			    "the token could not be revoked");
		v[0] = st->refresh_hash;
		v[1] = ctx->request_id;
		/* the family, and the access tokens issued with it */
		return mp_db_query(ctx, revoke_family_done,
		                   "SELECT gw_refresh_revoke_access($1, $2)", 2,
		                   v);
	}
	/* An access token: only one of ours that still verifies has a jti
	 * worth remembering; anything else is already useless (RFC 7009
	 * 2.2: invalid tokens are not an error). */
	if (mp_keyset == NULL)
		return revoke_done(ctx);
	rc = mp_jwt_verify(mp_keyset, &mp_jwt_policy, tok, strlen(tok),
	                   (int64_t)time(NULL), &p);
	if (rc != MP_JWT_OK || p.jti[0] == '\0')
		return revoke_done(ctx);
	snprintf(st->jti, sizeof(st->jti), "%s", p.jti);
	st->exp = p.exp;
	snprintf(exp, sizeof(exp), "%lld", (long long)p.exp);
	v[0] = st->jti;
	v[1] = exp;
	v[2] = ctx->request_id;
	/* recorded, and published on events:gateway for the services
	 * (0003_revocation_events.sql), in one statement */
	return mp_db_query(ctx, revoke_jti_stored,
	                   "SELECT gw_jti_revoke($1, $2, $3)", 3, v);
}

static int
revoke_family_done(struct mp_ctx *ctx)
{
	revoked_note(ctx);
	return revoke_done(ctx);
}

static int
revoke_done(struct mp_ctx *ctx)
{
	mp_reply_header(ctx, "Pragma", "no-cache");
	return mp_reply_raw(ctx, 200, NULL, "", 0);
}

/* Recorded (revoked_jtis, its mirror revoked_token and the event, in one
 * transaction): this worker refuses the token from now on, the others
 * after their next refresh of the revocation view (stage_revocation.c). */
static int
revoke_jti_stored(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;

	if (st->exp > (int64_t)time(NULL))
		(void)mp_revocation_note(st->jti, st->exp);
	return revoke_done(ctx);
}

/* ---- POST /auth/register ---------------------------------------------------
 */

static const char *const regions[] = {MP_REGION_SOUSS_MASSA, MP_REGION_ORIENTAL,
                                      NULL};

static const struct mp_field register_schema[] = {
    MP_FIELD("username", MP_F_STRING, MP_F_REQUIRED, .min_len = 3,
             .max_len = GW_USERNAME_MAX),
    MP_FIELD("password", MP_F_STRING, MP_F_REQUIRED, .min_len = GW_PASSWORD_MIN,
             .max_len = GW_PASSWORD_MAX),
    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED, .enum_values = regions),
    MP_FIELD("commune", MP_F_STRING, 0, .min_len = 1, .max_len = 63),
    MP_FIELD_END};

int
gw_auth_register(struct mp_ctx *ctx)
{
	struct tokreq *st;
	json_t *problem;
	const char *v[2];

	if ((st = tokreq_new(ctx)) == NULL)
		return mp_reply_problem(ctx, 500, "internal", "out of memory");
	if (mp_body_or_reply(ctx, register_schema, &st->body) != 0)
		return MP_DONE;
	if (!gw_tok_username_normalise(
	        json_string_value(json_object_get(st->body, "username")),
	        st->username, sizeof(st->username))) {
		problem = mp_problem_new(400, "validation", NULL,
		                         "the request body is not valid");
		mp_problem_add_error(
		    problem, "username",
		    "3 to 64 of a-z, "
		    "0-9, '.', '_', '-', starting with a letter or digit");
		return mp_reply_problem_json(ctx, problem);
	}
	v[1] = json_string_value(json_object_get(st->body, "region"));
	if ((v[0] = json_string_value(json_object_get(st->body, "commune"))) ==
	    NULL)
		return register_hash(ctx);
	/* the commune must be one of the region's (0004_communes.sql), and
	 * is checked before the costly hash */
	return mp_db_query(
	    ctx, register_commune_checked,
	    "SELECT 1 FROM communes WHERE code = $1 AND region = $2", 2, v);
}

static int
register_commune_checked(struct mp_ctx *ctx)
{
	json_t *problem;

	if (mp_db_rows(ctx) > 0)
		return register_hash(ctx);
	problem = mp_problem_new(400, "validation", NULL,
	                         "the request body is not valid");
	mp_problem_add_error(
	    problem, "commune",
	    "not a commune of the "
	    "region (see /v1/funding/regions/{region}/communes)");
	return mp_reply_problem_json(ctx, problem);
}

/* Hash the password off the loop, then create the account. */
static int
register_hash(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	int rc;

	rc = gw_pwhash_start(
	    ctx, GW_PWHASH_HASH,
	    json_string_value(json_object_get(st->body, "password")), NULL,
	    register_hashed, &st->job);
	json_string_wipe(st->body, "password"); /* the job has its copy */
	return rc;
}

/* Overwrite a string member in place: jansson owns the bytes and would
 * free them unwiped. */
static void
json_string_wipe(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		sodium_memzero((void *)(uintptr_t)json_string_value(v),
		               json_string_length(v));
}

static int
register_hashed(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;
	const char *v[4];

	if (gw_pwhash_result(st->job, st->stored_hash) != 0)
		return mp_reply_problem(ctx, 500, "internal",
		                        "the account could not be created");
	v[0] = st->username;
	v[1] = st->stored_hash;
	v[2] = json_string_value(json_object_get(st->body, "region"));
	v[3] = json_string_value(json_object_get(st->body, "commune"));
	return mp_db_query(
	    ctx, register_created,
	    "INSERT INTO users (username, password_hash, roles, region, "
	    "commune) VALUES ($1, $2, ARRAY['applicant'], $3, $4) "
	    "RETURNING gw_user_json(users)",
	    4, v);
}

static int
register_created(struct mp_ctx *ctx)
{
	struct tokreq *st = ctx->user;

	sodium_memzero(st->stored_hash, sizeof(st->stored_hash));
	return mp_db_reply_row_json(ctx, 201);
}

/* ---- GET /auth/me
 * ------------------------------------------------------------ */

static int
me_reply(struct mp_ctx *ctx)
{
	return mp_db_reply_row_json(ctx, 200);
}

int
gw_auth_me(struct mp_ctx *ctx)
{
	const char *v[1] = {ctx->principal.subject};

	if (ctx->principal.roles & MP_ROLE_CLIENT)
		return mp_db_query(
		    ctx, me_reply,
		    "SELECT gw_client_json(c) FROM api_clients c "
		    "WHERE client_id = $1 AND NOT disabled",
		    1, v);
	if (!mp_uuid_valid(ctx->principal.subject))
		return mp_reply_problem(ctx, 404, "not-found",
		                        "no account behind this token");
	return mp_db_query(ctx, me_reply,
	                   "SELECT gw_user_json(u) FROM users u "
	                   "WHERE id = $1::uuid AND NOT disabled",
	                   1, v);
}
