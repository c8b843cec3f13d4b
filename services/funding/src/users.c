/*
 * The accounts funding knows: a projection of the gateway's
 * gateway.user.registered.v1 / gateway.user.updated.v1 events ({sub,
 * roles, region}) into gateway_users, read when an officer adds an ERC
 * member (migrations/0004_erc_accounts.sql). The services share nothing
 * with the gateway but events, so this is funding's own copy; the
 * library's consumer gives the effect exactly once (inbox) and runs the
 * revocation effect of the same stream first (mp/revocation.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "users.h"

static int users_apply(PGconn *conn, const json_t *event, void *arg);

const struct mp_consumer_def funding_consumers[] = {
    {"events:gateway", "funding", users_apply, NULL, 1},
    {NULL, NULL, NULL, NULL, 0},
};

/* One event in the consumer's transaction: the SQL function ignores other
 * types and skips malformed accounts. Negative (redelivered) on a database
 * error. */
static int
users_apply(PGconn *conn, const json_t *event, void *arg)
{
	const char *v[1];
	PGresult *res;
	char *text;
	int ok;

	(void)arg;
	if ((text = json_dumps(event, JSON_COMPACT)) == NULL)
		return -ENOMEM;
	v[0] = text;
	res = PQexecParams(conn, "SELECT funding_user_project($1::jsonb)", 1,
	                   NULL, v, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	free(text);
	return ok ? 0 : -EIO;
}
