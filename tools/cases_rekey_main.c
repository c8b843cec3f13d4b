/*
 * mp-cases-rekey: re-seal the cases service's encrypted fields under the
 * current key and re-index names under the current blind-index key, while
 * the service runs (key rotation without downtime).
 *
 *   MP_DB_URL=postgresql://cases:...@host/cases \
 *   MP_FIELD_KEYS=new:base64,old:base64 \
 *   [MP_BLIND_INDEX_KEY=new:base64,old:base64] mp-cases-rekey
 *
 * Rotation: (1) give every worker the ring "new,old" (new seals, both
 * open) and restart them; (2) run this tool until it reports 0 left;
 * (3) drop the old key from the ring. Rows are re-sealed in batches, each
 * UPDATE conditioned on the ciphertext it read, so a value a worker
 * changed meanwhile is left to the next pass rather than overwritten.
 * Prints "rekey: <table>.<column>: N re-sealed, M left" per field; exits
 * 0 when nothing is left, 1 on an error, 3 when values did not open (a
 * key missing from the ring).
 *
 * The blind index rotates the same way (MP_BLIND_INDEX_KEY "new,old":
 * the first indexes, both are searched). With MP_BLIND_INDEX_KEY given,
 * every person whose name is indexed under another key than the first
 * is re-indexed in a transaction of its own that holds the person's row
 * lock (as the service's update does), opening the identity it reads
 * under that lock, so a name changed meanwhile is indexed as it now is.
 * Prints "rekey: person_name_tokens: N re-indexed, M left"; the old key
 * can be dropped from every worker's ring once M is 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "../services/cases/src/domain.h"

#define BATCH "200"

struct field {
	const char *table, *column, *aad_field;
};

static const struct field fields[] = {
    {"persons", "identity_enc", "identity"},
    {"case_notes", "body_enc", "text"},
};

static int rekey_field(PGconn *pg, const struct cases_keyring *kr,
                       const struct field *f, long *done, long *bad);
static int reindex_person(PGconn *pg, const struct cases_keyring *kr,
                          const struct cases_keyring *ix, const char *id,
                          long *done, long *bad);
static int reindex(PGconn *pg, const struct cases_keyring *kr,
                   const struct cases_keyring *ix, long *done, long *bad);
static PGresult *exec(PGconn *pg, const char *sql, int n,
                      const char *const *params);

/* One field: batches of rows not sealed under the current key. */
static int
rekey_field(PGconn *pg, const struct cases_keyring *kr, const struct field *f,
            long *done, long *bad)
{
	char sel[256], upd[256], prefix[64], aad[128], cursor[40] = "";
	const char *params[3], *lp[2];
	PGresult *res, *u;
	char *pt, *enc;
	size_t len;
	int n, i, rc = 0;

	snprintf(prefix, sizeof(prefix), "enc1:%s:%%", kr->keys[0].id);
	snprintf(sel, sizeof(sel),
	         "SELECT id::text, %s FROM %s WHERE %s IS "
	         "NOT NULL AND %s NOT LIKE $1 AND id::text > $2 ORDER BY id "
	         "LIMIT " BATCH,
	         f->column, f->table, f->column, f->column);
	snprintf(upd, sizeof(upd),
	         "UPDATE %s SET %s = $1 WHERE id = $2::uuid "
	         "AND %s = $3",
	         f->table, f->column, f->column);
	lp[0] = prefix;
	lp[1] = cursor;
	for (;;) {
		char last[40] = "";

		res = PQexecParams(pg, sel, 2, NULL, lp, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "rekey: %s: %s", f->table,
			        PQerrorMessage(pg));
			PQclear(res);
			return -EIO;
		}
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			snprintf(last, sizeof(last), "%s",
			         PQgetvalue(res, i, 0));
			snprintf(aad, sizeof(aad), "%s:%s", last, f->aad_field);
			if (cases_open(kr, aad, PQgetvalue(res, i, 1), &pt,
			               &len) != 0) {
				(*bad)++;
				continue;
			}
			rc = cases_seal(kr, aad, pt, len, &enc);
			sodium_memzero(pt, len);
			free(pt);
			if (rc != 0) {
				PQclear(res);
				return rc;
			}
			params[0] = enc;
			params[1] = last;
			params[2] = PQgetvalue(res, i, 1);
			u = PQexecParams(pg, upd, 3, NULL, params, NULL, NULL,
			                 0);
			if (PQresultStatus(u) == PGRES_COMMAND_OK &&
			    strcmp(PQcmdTuples(u), "1") == 0)
				(*done)++;
			PQclear(u);
			free(enc);
		}
		PQclear(res);
		if (n == 0)
			return 0;
		memcpy(cursor, last, sizeof(cursor));
	}
}

/* PQexecParams with text parameters. */
static PGresult *
exec(PGconn *pg, const char *sql, int n, const char *const *params)
{
	return PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
}

/* One person: lock its row, open its identity, replace its index values
 * by those of the current key, commit. A person erased meanwhile has no
 * index left to rewrite. Returns 0 or -EIO. */
static int
reindex_person(PGconn *pg, const struct cases_keyring *kr,
               const struct cases_keyring *ix, const char *id, long *done,
               long *bad)
{
	char tokens[CASES_TOKENS_MAX][CASES_INDEX_TOKEN_MAX + 1];
	char aad[128], name[CASES_NAME_MAX], *pt = NULL;
	const char *p[2] = {id, NULL};
	json_t *identity = NULL;
	PGresult *res = NULL;
	size_t len, n = 0;
	int rc = -EIO;

	PQclear(exec(pg, "BEGIN", 0, NULL));
	res = exec(pg,
	           "SELECT identity_enc FROM persons WHERE id = $1::uuid "
	           "AND erased_at IS NULL FOR UPDATE",
	           1, p);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto cleanup;
	if (PQntuples(res) == 1) {
		snprintf(aad, sizeof(aad), "%s:identity", id);
		if (cases_open(kr, aad, PQgetvalue(res, 0, 0), &pt, &len) !=
		        0 ||
		    (identity = json_loadb(pt, len, 0, NULL)) == NULL ||
		    cases_identity_name(identity, name, sizeof(name)) != 0 ||
		    cases_index_tokens(&ix->keys[0], name, tokens,
		                       CASES_TOKENS_MAX, &n) != 0) {
			(*bad)++;
			rc = 0;
			goto cleanup;
		}
	}
	PQclear(res);
	res = exec(pg,
	           "DELETE FROM person_name_tokens WHERE person_id = "
	           "$1::uuid",
	           1, p);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		PQclear(res);
		p[1] = tokens[i];
		res = exec(pg,
		           "INSERT INTO person_name_tokens (person_id, token) "
		           "VALUES ($1::uuid, $2)",
		           2, p);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto cleanup;
	}
	PQclear(res);
	res = exec(pg, "COMMIT", 0, NULL);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		(*done)++;
		rc = 0;
	}
cleanup:
	if (rc != 0 || PQtransactionStatus(pg) != PQTRANS_IDLE) {
		if (rc != 0)
			fprintf(stderr, "rekey: person_name_tokens: %s",
			        PQerrorMessage(pg));
		PQclear(exec(pg, "ROLLBACK", 0, NULL));
	}
	PQclear(res);
	json_decref(identity);
	sodium_memzero(name, sizeof(name));
	if (pt != NULL) {
		sodium_memzero(pt, len);
		free(pt);
	}
	return rc;
}

/* Every person indexed under another key than the first, in batches by
 * id (resumable: a run picks up whatever is left). */
static int
reindex(PGconn *pg, const struct cases_keyring *kr,
        const struct cases_keyring *ix, long *done, long *bad)
{
	char cursor[40] = "00000000-0000-0000-0000-000000000000";
	const char *p[2] = {ix->keys[0].id, cursor};
	PGresult *res;
	int n, rc = 0;

	do {
		res =
		    exec(pg,
		         "SELECT x.id::text FROM persons x WHERE x.id > "
		         "$2::uuid AND x.erased_at IS NULL AND EXISTS (SELECT "
		         "1 FROM person_name_tokens t WHERE t.person_id = x.id "
		         "AND t.key_id <> $1) ORDER BY x.id LIMIT " BATCH,
		         2, p);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "rekey: person_name_tokens: %s",
			        PQerrorMessage(pg));
			PQclear(res);
			return -EIO;
		}
		n = PQntuples(res);
		for (int i = 0; i < n && rc == 0; i++)
			rc = reindex_person(pg, kr, ix, PQgetvalue(res, i, 0),
			                    done, bad);
		if (n > 0)
			snprintf(cursor, sizeof(cursor), "%s",
			         PQgetvalue(res, n - 1, 0));
		PQclear(res);
	} while (n > 0 && rc == 0);
	return rc;
}

int
main(void)
{
	const char *url = getenv("MP_DB_URL"), *keys = getenv("MP_FIELD_KEYS");
	const char *ixkeys = getenv("MP_BLIND_INDEX_KEY");
	struct cases_keyring kr, ix = {0};
	char err[256];
	long done, bad, left_total = 0, bad_total = 0;
	PGconn *pg;
	int status = 0;

	if (url == NULL || *url == '\0' || keys == NULL || *keys == '\0') {
		fprintf(stderr, "usage: MP_DB_URL=... MP_FIELD_KEYS=new:b64,"
		                "old:b64 [MP_BLIND_INDEX_KEY=new:b64,old:b64] "
		                "mp-cases-rekey\n");
		return 2;
	}
	if (cases_keyring_parse(keys, &kr, err, sizeof(err)) != 0) {
		fprintf(stderr, "rekey: MP_FIELD_KEYS: %s\n", err);
		return 2;
	}
	if (ixkeys != NULL && *ixkeys != '\0' &&
	    cases_index_ring_parse(ixkeys, &ix, err, sizeof(err)) != 0) {
		fprintf(stderr, "rekey: MP_BLIND_INDEX_KEY: %s\n", err);
		cases_keyring_wipe(&kr);
		return 2;
	}
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "rekey: %s", PQerrorMessage(pg));
		status = 1;
		goto done;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char q[256], prefix[64];
		const char *p[1] = {prefix};
		PGresult *res;

		done = bad = 0;
		if (rekey_field(pg, &kr, &fields[i], &done, &bad) != 0) {
			status = 1;
			goto done;
		}
		snprintf(prefix, sizeof(prefix), "enc1:%s:%%", kr.keys[0].id);
		snprintf(q, sizeof(q),
		         "SELECT count(*) FROM %s WHERE %s IS "
		         "NOT NULL AND %s NOT LIKE $1",
		         fields[i].table, fields[i].column, fields[i].column);
		res = PQexecParams(pg, q, 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			left_total += atol(PQgetvalue(res, 0, 0));
			printf("rekey: %s.%s: %ld re-sealed, %s left\n",
			       fields[i].table, fields[i].column, done,
			       PQgetvalue(res, 0, 0));
		}
		PQclear(res);
		bad_total += bad;
	}
	if (ix.n > 0) {
		const char *p[1] = {ix.keys[0].id};
		PGresult *res;

		done = bad = 0;
		if (reindex(pg, &kr, &ix, &done, &bad) != 0) {
			status = 1;
			goto done;
		}
		res = exec(pg,
		           "SELECT count(DISTINCT person_id) FROM "
		           "person_name_tokens WHERE key_id <> $1",
		           1, p);
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			left_total += atol(PQgetvalue(res, 0, 0));
			printf("rekey: person_name_tokens: %ld re-indexed, %s "
			       "left\n",
			       done, PQgetvalue(res, 0, 0));
		}
		PQclear(res);
		bad_total += bad;
	}
	if (bad_total > 0) {
		fprintf(stderr,
		        "rekey: %ld values did not open: is a key "
		        "missing from MP_FIELD_KEYS?\n",
		        bad_total);
		status = 3;
	} else if (left_total > 0) {
		status = 1;
	}
done:
	PQfinish(pg);
	cases_keyring_wipe(&kr);
	cases_keyring_wipe(&ix);
	return status;
}
