/*
 * The gender service's consumers: its projections are built from the
 * funding and cases streams (consumer group "gender"), and a rebuild is
 * asked for by an event on its own stream.
 *
 * Each event runs in the library's consumer transaction (the inbox row and
 * the effect commit together, so a redelivered event changes nothing):
 * the SQL function gender_project() decides what the event means, so the
 * projection rules live in one place (migrations/0002_indicators.sql). An
 * unknown type or malformed data is rejected to the dead-letter stream
 * and the consumer goes on.
 *
 * Rebuild: gender.projection.rebuild_requested.v1 (written by the admin
 * route or `make gender-replay`) makes this consumer empty the projection
 * and the inbox entries of the consumed streams in its transaction, then
 * rewind the groups to the start of each stream. The order matters: an
 * event applied after the reset keeps its inbox row (its redelivery is a
 * duplicate); an event applied before was erased with its inbox row and is
 * applied again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "mp/events.h"
#include "mp/log.h"

#include "consume.h"

static int project(PGconn *conn, const json_t *event, void *arg);
static int own_event(PGconn *conn, const json_t *event, void *arg);
static int rewind_group(redisContext *rd, const char *stream);

const struct mp_consumer_def gender_consumers[] = {
    {"events:funding", "gender", project, (void *)"funding", 1},
    {"events:cases", "gender", project, (void *)"cases", 1},
    {"events:gender", "gender", own_event, (void *)"gender", 1},
    {NULL, NULL, NULL, NULL, 0},
};

/* Streams whose projection a rebuild replays. */
static const char *const replayed[] = {"events:funding", "events:cases", NULL};

/*
 * mp_consume_fn of the funding and cases streams. Returns 0 (applied or
 * ignored), MP_CONSUME_REJECT (dead-letter), or -EIO to roll back and
 * have the event delivered again.
 */
static int
project(PGconn *conn, const json_t *event, void *arg)
{
	PGresult *res;
	char *text;
	const char *v[1];
	int rc = -EIO;

	(void)arg;
	if ((text = json_dumps(event, JSON_COMPACT)) == NULL)
		return -ENOMEM;
	v[0] = text;
	res = PQexecParams(conn, "SELECT gender_project($1::jsonb)", 1, NULL, v,
	                   NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		rc = strcmp(PQgetvalue(res, 0, 0), "rejected") == 0
		         ? MP_CONSUME_REJECT
		         : 0;
	} else {
		/* a cast that fails on bad data (an amount that is not a
		 * number) is malformed input, not a transient failure */
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (st != NULL && strncmp(st, "22", 2) == 0)
			rc = MP_CONSUME_REJECT;
		else
			mp_log(MP_LOG_ERROR, "consume",
			       "projection failed (sqlstate %s)",
			       st != NULL ? st : "none");
	}
	PQclear(res);
	free(text);
	return rc;
}

/* XGROUP SETID <stream> gender 0, creating the group (and stream) when
 * missing. 0 or -EIO. */
static int
rewind_group(redisContext *rd, const char *stream)
{
	redisReply *rep;
	int rc = 0;

	rep = redisCommand(rd, "XGROUP SETID %s gender 0", stream);
	if (rep == NULL)
		return -EIO;
	if (rep->type == REDIS_REPLY_ERROR) {
		freeReplyObject(rep);
		rep = redisCommand(rd, "XGROUP CREATE %s gender 0 MKSTREAM",
		                   stream);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
			rc = -EIO;
	}
	freeReplyObject(rep);
	return rc;
}

/* mp_consume_fn of the service's own stream: only a rebuild request
 * does something here. */
static int
own_event(PGconn *conn, const json_t *event, void *arg)
{
	const char *type = json_string_value(json_object_get(event, "type"));
	redisContext *rd = mp_consumer_redis();
	PGresult *res;
	int ok;

	(void)arg;
	if (type == NULL ||
	    strcmp(type, "gender.projection.rebuild_requested.v1") != 0)
		return 0;
	if (rd == NULL)
		return -ENOTCONN;
	res = PQexec(conn, "SELECT gender_projection_reset()");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	if (!ok)
		return -EIO;
	for (size_t i = 0; replayed[i] != NULL; i++)
		if (rewind_group(rd, replayed[i]) != 0)
			return -EIO;
	mp_log(MP_LOG_INFO, "consume", "projection reset; streams rewound");
	return 0;
}
