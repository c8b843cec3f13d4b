/*
 * Migrations runner (contract in mp/migrate.h). Synchronous libpq: it runs
 * in the parent before workers exist, or in the mp-migrate tool, never in
 * a worker's event loop.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "mp/migrate.h"

#define LOCK_KEY "7283910000"

static int sql_file_filter(const struct dirent *d);
static int read_file(const char *path, char **out);
static void checksum(const char *sql, char out[65]);
static int apply_one(PGconn *pg, const char *version, const char *sql,
                     char *err, size_t errlen);
static PGconn *connect_wait(const char *url);

/* The library's own schema, shared by every service database. */
static const char builtin_events[] =
    "CREATE OR REPLACE FUNCTION mp_uuid_v7() RETURNS uuid LANGUAGE sql "
    "VOLATILE AS $$ SELECT encode(set_bit(set_bit(overlay(uuid_send("
    "gen_random_uuid()) PLACING substring(int8send(floor(extract(epoch FROM "
    "clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), "
    "53, 1), 'hex')::uuid $$;\n"
    "CREATE TABLE outbox (\n"
    "  id bigserial PRIMARY KEY,\n"
    "  event_id uuid NOT NULL UNIQUE DEFAULT mp_uuid_v7(),\n"
    "  type text NOT NULL CHECK (type ~ '^[a-z]+(\\.[a-z_]+)+\\.v[0-9]+$'),\n"
    "  subject text,\n"
    "  time timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
    "  data jsonb NOT NULL,\n"
    "  request_id text,\n"
    "  sent_at timestamptz\n"
    ");\n"
    "CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;\n"
    "CREATE TABLE inbox (\n"
    "  event_id text PRIMARY KEY,\n"
    "  source text NOT NULL,\n"
    "  type text NOT NULL,\n"
    "  received_at timestamptz NOT NULL DEFAULT now()\n"
    ");\n"
    /* Call last in the writing statement: the row commits with the change. */
    "CREATE FUNCTION mp_emit(p_type text, p_subject text, p_data jsonb, "
    "p_request_id text) RETURNS uuid LANGUAGE plpgsql AS $$\n"
    "DECLARE v uuid;\n"
    "BEGIN\n"
    "  INSERT INTO outbox (type, subject, data, request_id)\n"
    "  VALUES (p_type, p_subject, p_data, p_request_id) RETURNING event_id "
    "INTO v;\n"
    "  PERFORM pg_notify('mp_outbox', '');\n"
    "  RETURN v;\n"
    "END $$;\n";

/*
 * mp_emit without pg_notify: NOTIFY takes a database-wide lock from just
 * before COMMIT until the commit is flushed, so every writing transaction
 * waited for the previous one's disk flush (measured: 440 submissions/s
 * with it, 1,934/s without, 64 clients). The relay is woken by the writing
 * worker itself (mp_events_poke) and sweeps the outbox every
 * MP_OUTBOX_SWEEP_MS otherwise.
 */
static const char builtin_emit_v2[] =
    "CREATE OR REPLACE FUNCTION mp_emit(p_type text, p_subject text, "
    "p_data jsonb, p_request_id text) RETURNS uuid LANGUAGE plpgsql AS $$\n"
    "DECLARE v uuid;\n"
    "BEGIN\n"
    "  INSERT INTO outbox (type, subject, data, request_id)\n"
    "  VALUES (p_type, p_subject, p_data, p_request_id) RETURNING event_id "
    "INTO v;\n"
    "  RETURN v;\n"
    "END $$;\n";

/*
 * Helpers for the business functions of every service database (the
 * calling convention of the route runner: p = principal, a = args).
 * Refusals are raised as SQLSTATE MPnnn, which the library answers as
 * HTTP nnn with the message as detail and a JSON DETAIL merged into the
 * problem (mp_db_query).
 */
/*
 * Idempotency-Key at the service, in the transaction of the write itself
 * (mp/run.h): the gateway's record cannot tell a write that committed
 * before its answer was lost (a process or the database killed at that
 * moment) from one that never ran, so a client's retry could apply a write
 * twice. The service keeps (owner, key) -> answer with the change: a retry
 * gets the first answer back, the same key with another request is a 422,
 * two concurrent first attempts are serialised by the primary key (one
 * commits, the other's statement fails as a whole). Kept 24 hours.
 */
static const char builtin_idempotency[] =
    "CREATE TABLE mp_idempotency (\n"
    "  owner text NOT NULL,\n"
    "  key text NOT NULL,\n"
    "  fingerprint text NOT NULL,\n"
    "  response text NOT NULL,\n"
    "  created_at timestamptz NOT NULL DEFAULT now(),\n"
    "  PRIMARY KEY (owner, key)\n"
    ");\n"
    "CREATE INDEX mp_idempotency_age ON mp_idempotency (created_at);\n"
    /* the kept answer, NULL when there is none (or it expired) */
    "CREATE FUNCTION mp_idem_replay(p_owner text, p_key text, p_fp text)\n"
    "RETURNS text LANGUAGE plpgsql AS $$\n"
    "DECLARE r record;\n"
    "BEGIN\n"
    "  SELECT fingerprint, response INTO r FROM mp_idempotency\n"
    "   WHERE owner = p_owner AND key = p_key\n"
    "     AND created_at > now() - interval '24 hours';\n"
    "  IF NOT FOUND THEN RETURN NULL; END IF;\n"
    "  IF r.fingerprint <> p_fp THEN\n"
    "    PERFORM mp_raise('MP422', 'this Idempotency-Key was used for "
    "another request');\n"
    "  END IF;\n"
    "  RETURN r.response;\n"
    "END $$;\n"
    /* keep the answer of a first attempt (NULL answers are not kept) */
    "CREATE FUNCTION mp_idem_keep(p_owner text, p_key text, p_fp text,\n"
    "    p_response text) RETURNS text LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF p_response IS NULL THEN RETURN NULL; END IF;\n"
    "  DELETE FROM mp_idempotency WHERE owner = p_owner AND key = p_key\n"
    "     AND created_at <= now() - interval '24 hours';\n"
    "  INSERT INTO mp_idempotency (owner, key, fingerprint, response)\n"
    "  VALUES (p_owner, p_key, p_fp, p_response);\n"
    "  RETURN p_response;\n"
    "END $$;\n";

static const char builtin_helpers[] =
    "CREATE FUNCTION mp_raise(code text, msg text, detail jsonb DEFAULT NULL)\n"
    "RETURNS void LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF detail IS NULL THEN\n"
    "    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg;\n"
    "  END IF;\n"
    "  RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg, DETAIL = "
    "detail::text;\n"
    "END $$;\n"
    /* 400 naming the field (body field or query argument) and the reason */
    "CREATE FUNCTION mp_field_error(field text, reason text) RETURNS void\n"
    "LANGUAGE sql AS $$\n"
    "  SELECT mp_raise('MP400', 'the request is not valid',\n"
    "    jsonb_build_object('type', 'urn:mp:problem:validation',\n"
    "      'errors', jsonb_build_array(jsonb_build_object('field', field, "
    "'reason', reason))))\n"
    "$$;\n"
    "CREATE FUNCTION mp_not_found() RETURNS void LANGUAGE sql AS $$\n"
    "  SELECT mp_raise('MP404', 'no such resource')\n"
    "$$;\n"
    "CREATE FUNCTION mp_has_role(p jsonb, role text) RETURNS boolean\n"
    "LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(p->'roles' ? role, false) "
    "$$;\n"
    /* a council officer of `region`, or an admin */
    "CREATE FUNCTION mp_officer_of(p jsonb, region text) RETURNS boolean\n"
    "LANGUAGE sql IMMUTABLE AS $$\n"
    "  SELECT mp_has_role(p, 'admin') OR (mp_has_role(p, 'council_officer')\n"
    "    AND p->>'region' = region)\n"
    "$$;\n"
    /* If-Match (optional): the ETag \"v<version>\" the client last read */
    "CREATE FUNCTION mp_if_match(a jsonb, version int) RETURNS void\n"
    "LANGUAGE plpgsql AS $$\n"
    "BEGIN\n"
    "  IF a ? 'if_match' AND a->>'if_match' <> '*'\n"
    "     AND trim(a->>'if_match') <> format('\"v%s\"', version) THEN\n"
    "    PERFORM mp_raise('MP412', 'the resource changed since you read it',\n"
    "      jsonb_build_object('current_etag', format('\"v%s\"', version)));\n"
    "  END IF;\n"
    "END $$;\n";

/*
 * Revoked access tokens, from the gateway's gateway.token.revoked.v1
 * events (revocation.h): the services' own copy of what the gateway
 * revoked. exp is the token's NumericDate; received_at lets each worker's
 * refresh read only what is new.
 */
static const char builtin_revoked[] =
    "CREATE TABLE revoked_token (\n"
    "  jti text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 63),\n"
    "  exp bigint NOT NULL CHECK (exp >= 0),\n"
    "  received_at timestamptz NOT NULL DEFAULT clock_timestamp()\n"
    ");\n"
    "CREATE INDEX revoked_token_received ON revoked_token (received_at);\n"
    "CREATE INDEX revoked_token_exp ON revoked_token (exp);\n";

static int
sql_file_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 9 && d->d_name[0] >= '0' && d->d_name[0] <= '9' &&
	       strcmp(d->d_name + len - 4, ".sql") == 0;
}

static int
read_file(const char *path, char **out)
{
	FILE *f;
	long len;
	char *buf;

	if ((f = fopen(path, "rb")) == NULL)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || len > (16 << 20)) {
		fclose(f);
		return -EIO;
	}
	if ((buf = malloc((size_t)len + 1)) == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	buf[len] = '\0';
	fclose(f);
	*out = buf;
	return 0;
}

static void
checksum(const char *sql, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)sql, strlen(sql));
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/* Apply `sql` as `version` unless recorded; verify the checksum if it is. */
static int
apply_one(PGconn *pg, const char *version, const char *sql, char *err,
          size_t errlen)
{
	const char *params[2];
	char sum[65];
	PGresult *res;
	int rc = 0;

	checksum(sql, sum);
	params[0] = version;
	params[1] = sum;
	res = PQexecParams(pg,
	                   "SELECT checksum FROM schema_migrations "
	                   "WHERE version = $1",
	                   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s: %s", version,
		         PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		PQclear(res);
		return -EIO;
	}
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), sum) != 0) {
			snprintf(
			    err, errlen,
			    "%s was changed after it was "
			    "applied (checksum mismatch); add a new migration "
			    "instead",
			    version);
			rc = -EINVAL;
		}
		PQclear(res);
		return rc;
	}
	PQclear(res);

	PQclear(PQexec(pg, "BEGIN"));
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s: %s", version,
		         PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) !=
		                 NULL
		             ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
		             : PQerrorMessage(pg));
		PQclear(res);
		PQclear(PQexec(pg, "ROLLBACK"));
		return -EIO;
	}
	PQclear(res);
	res = PQexecParams(pg,
	                   "INSERT INTO schema_migrations (version, "
	                   "checksum) VALUES ($1, $2)",
	                   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = -EIO;
	PQclear(res);
	res = PQexec(pg, rc == 0 ? "COMMIT" : "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = -EIO;
	PQclear(res);
	if (rc != 0)
		snprintf(err, errlen, "%s: could not record the migration",
		         version);
	return rc;
}

static PGconn *
connect_wait(const char *url)
{
	PGconn *pg = NULL;
	int i;

	for (i = 0; i < 60; i++) {
		pg = PQconnectdb(url);
		if (PQstatus(pg) == CONNECTION_OK)
			return pg;
		PQfinish(pg);
		pg = NULL;
		usleep(500000);
	}
	return NULL;
}

int
mp_migrate_run(const char *db_url, const char *dir, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char path[1024], *sql = NULL, version[256];
	PGconn *pg;
	PGresult *res;
	int n = 0, i, rc = 0;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -EIO;
	}
	if ((pg = connect_wait(db_url)) == NULL) {
		snprintf(err, errlen,
		         "cannot connect to the database "
		         "(MP_DB_URL)");
		return -ECONNREFUSED;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	res = PQexec(pg, "SELECT pg_advisory_lock(" LOCK_KEY ")");
	PQclear(res);
	res = PQexec(pg, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                 "version text PRIMARY KEY, checksum text NOT NULL, "
	                 "applied_at timestamptz NOT NULL DEFAULT now())");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "cannot create schema_migrations: %s",
		         PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		PQclear(res);
		rc = -EIO;
		goto done;
	}
	PQclear(res);

	if ((rc = apply_one(pg, "lib-0001-events", builtin_events, err,
	                    errlen)) != 0 ||
	    (rc = apply_one(pg, "lib-0002-emit-no-notify", builtin_emit_v2, err,
	                    errlen)) != 0 ||
	    (rc = apply_one(pg, "lib-0003-sql-helpers", builtin_helpers, err,
	                    errlen)) != 0 ||
	    (rc = apply_one(pg, "lib-0004-idempotency", builtin_idempotency,
	                    err, errlen)) != 0 ||
	    (rc = apply_one(pg, "lib-0005-revoked-token", builtin_revoked, err,
	                    errlen)) != 0)
		goto done;

	n = scandir(dir, &names, sql_file_filter, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "cannot read migrations directory %s",
		         dir);
		rc = -ENOENT;
		goto done;
	}
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		snprintf(version, sizeof(version), "%.*s",
		         (int)(strlen(names[i]->d_name) - 4), names[i]->d_name);
		if ((rc = read_file(path, &sql)) != 0) {
			snprintf(err, errlen, "cannot read %s", path);
			break;
		}
		rc = apply_one(pg, version, sql, err, errlen);
		free(sql);
		sql = NULL;
	}
done:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" LOCK_KEY ")"));
	PQfinish(pg);
	return rc;
}

int
mp_migrate_count(const char *db_url)
{
	PGconn *pg = PQconnectdb(db_url);
	PGresult *res;
	int n = -EIO;

	if (PQstatus(pg) == CONNECTION_OK) {
		res = PQexec(pg, "SELECT count(*) FROM schema_migrations");
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			n = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	PQfinish(pg);
	return n;
}
