/*
 * mp-cases-rekey: re-seal the cases service's encrypted fields under the
 * current key, while the service runs (key rotation without downtime).
 *
 *   MP_DB_URL=postgresql://cases:...@host/cases \
 *   MP_FIELD_KEYS=new:base64,old:base64 mp-cases-rekey
 *
 * Rotation: (1) give every worker the ring "new,old" (new seals, both
 * open) and restart them; (2) run this tool until it reports 0 left;
 * (3) drop the old key from the ring. Rows are re-sealed in batches, each
 * UPDATE conditioned on the ciphertext it read, so a value a worker
 * changed meanwhile is left to the next pass rather than overwritten.
 * Prints "rekey: <table>.<column>: N re-sealed, M left" per field; exits
 * 0 when nothing is left, 1 on an error, 3 when values did not open (a
 * key missing from the ring).
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

int
main(void)
{
	const char *url = getenv("MP_DB_URL"), *keys = getenv("MP_FIELD_KEYS");
	struct cases_keyring kr;
	char err[256];
	long done, bad, left_total = 0, bad_total = 0;
	PGconn *pg;
	int status = 0;

	if (url == NULL || *url == '\0' || keys == NULL || *keys == '\0') {
		fprintf(stderr, "usage: MP_DB_URL=... MP_FIELD_KEYS=new:b64,"
		                "old:b64 mp-cases-rekey\n");
		return 2;
	}
	if (cases_keyring_parse(keys, &kr, err, sizeof(err)) != 0) {
		fprintf(stderr, "rekey: MP_FIELD_KEYS: %s\n", err);
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
	return status;
}
