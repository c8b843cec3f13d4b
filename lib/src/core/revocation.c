/*
 * revocation.c: revoked access tokens in a service (see revocation.h).
 *
 * The set is an open-addressing hash table of fixed-size jti strings,
 * linear probing, kept at most half full; pruning rebuilds it, which is
 * also how entries leave (no tombstones). It holds the tokens revoked
 * within the last token lifetime, so it stays small.
 *
 * Why a thread that polls the table rather than the consumer thread
 * feeding the set: a consumer group hands each event to ONE worker's
 * consumer, but every worker must refuse the token. The table is the one
 * place all workers read. The poll asks only for rows received in the
 * last few seconds before the previous poll (received_at is stamped at
 * insert, and the inserting transaction commits milliseconds later), so
 * a steady-state refresh reads nothing or a handful of rows; the first
 * refresh reads every unexpired row.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mp/log.h"
#include "mp/revocation.h"
#include "mp/util.h"

#define JTI_MAX 64     /* bytes with the NUL, as mp_principal.jti */
#define OVERLAP_S "10" /* re-read window before the previous poll */
#define RECONNECT_MS 1000

struct slot {
	char jti[JTI_MAX]; /* "" = empty */
	int64_t exp;
};

struct mp_revoked_set {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t n;
};

static uint64_t hash(const char *s);
static int jti_ok(const char *jti);
static struct slot *find(const struct mp_revoked_set *s, const char *jti);
static int grow(struct mp_revoked_set *s, size_t cap);
static void *refresh_main(void *arg);
static int refresh_once(PGconn *pg);
static const char *conninfo_with_timeout(const char *db_url, char *buf,
                                         size_t len);

/* ---- the set ------------------------------------------------------------ */

/* FNV-1a: jtis are server-made UUIDs, not attacker-chosen keys. */
static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static int
jti_ok(const char *jti)
{
	size_t len;

	if (jti == NULL || (len = strlen(jti)) == 0 || len >= JTI_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)jti[i] < 0x20 || jti[i] == 0x7f)
			return 0;
	return 1;
}

/* The slot holding jti, or the empty slot where it would go. */
static struct slot *
find(const struct mp_revoked_set *s, const char *jti)
{
	size_t i = (size_t)hash(jti) & (s->cap - 1);

	while (s->slots[i].jti[0] != '\0' && strcmp(s->slots[i].jti, jti) != 0)
		i = (i + 1) & (s->cap - 1);
	return &s->slots[i];
}

/* Rehash into `cap` slots (power of two, > 2n). */
static int
grow(struct mp_revoked_set *s, size_t cap)
{
	struct mp_revoked_set t = {NULL, cap, 0};
	struct slot *dst;

	if ((t.slots = calloc(cap, sizeof(*t.slots))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i].jti[0] == '\0')
			continue;
		dst = find(&t, s->slots[i].jti);
		*dst = s->slots[i];
		t.n++;
	}
	free(s->slots);
	*s = t;
	return 0;
}

int
mp_revoked_new(struct mp_revoked_set **out)
{
	struct mp_revoked_set *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	s->cap = 64;
	if ((s->slots = calloc(s->cap, sizeof(*s->slots))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

int
mp_revoked_add(struct mp_revoked_set *s, const char *jti, int64_t exp)
{
	struct slot *sl;

	if (!jti_ok(jti))
		return -EINVAL;
	if ((s->n + 1) * 2 > s->cap && grow(s, s->cap * 2) != 0)
		return -ENOMEM;
	sl = find(s, jti);
	if (sl->jti[0] == '\0') {
		snprintf(sl->jti, sizeof(sl->jti), "%s", jti);
		sl->exp = exp;
		s->n++;
	} else if (exp > sl->exp) {
		sl->exp = exp;
	}
	return 0;
}

int
mp_revoked_has(const struct mp_revoked_set *s, const char *jti)
{
	if (s == NULL || !jti_ok(jti))
		return 0;
	return find(s, jti)->jti[0] != '\0';
}

size_t
mp_revoked_prune(struct mp_revoked_set *s, int64_t now)
{
	size_t before = s->n, i;

	for (i = 0; i < s->cap; i++)
		if (s->slots[i].jti[0] != '\0' &&
		    s->slots[i].exp < now - MP_REVOCATION_KEEP_S) {
			s->slots[i].jti[0] = '\0';
			s->n--;
		}
	/* removal broke probe chains: rebuild at the same size */
	if (s->n != before && grow(s, s->cap) != 0) {
		/* out of memory: keep every entry rather than lose some */
		mp_log(MP_LOG_ERROR, "revocation", "prune: out of memory");
	}
	return before - s->n;
}

size_t
mp_revoked_count(const struct mp_revoked_set *s)
{
	return s == NULL ? 0 : s->n;
}

void
mp_revoked_free(struct mp_revoked_set *s)
{
	if (s == NULL)
		return;
	free(s->slots);
	free(s);
}

/* ---- the consumer's effect ------------------------------------------- */

int
mp_revocation_apply(PGconn *conn, const json_t *event, void *arg)
{
	const json_t *data = json_object_get(event, "data");
	const json_t *jti = json_object_get(data, "jti");
	const json_t *exp = json_object_get(data, "exp");
	const char *params[2];
	char expbuf[24], keep[24];
	PGresult *res;
	int ok;

	(void)arg;
	if (strcmp(json_string_value(json_object_get(event, "type")),
	           MP_REVOCATION_EVENT) != 0)
		return 0;
	if (!json_is_string(jti) || !jti_ok(json_string_value(jti)) ||
	    !json_is_integer(exp) || json_integer_value(exp) < 0) {
		mp_log(MP_LOG_WARN, "revocation", "malformed %s event skipped",
		       MP_REVOCATION_EVENT);
		return 0;
	}
	snprintf(expbuf, sizeof(expbuf), "%lld",
	         (long long)json_integer_value(exp));
	params[0] = json_string_value(jti);
	params[1] = expbuf;
	res = PQexecParams(conn,
	                   "INSERT INTO revoked_token (jti, exp) VALUES ($1, "
	                   "$2::bigint) ON CONFLICT (jti) DO UPDATE SET exp = "
	                   "greatest(revoked_token.exp, excluded.exp), "
	                   "received_at = clock_timestamp()",
	                   2, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		return -EIO;
	snprintf(keep, sizeof(keep), "%d", MP_REVOCATION_KEEP_S);
	params[0] = keep;
	res =
	    PQexecParams(conn,
	                 "DELETE FROM revoked_token WHERE exp < extract(epoch "
	                 "FROM now())::bigint - $1::bigint",
	                 1, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0 : -EIO;
}

/* ---- the per-worker view --------------------------------------------- */

static struct {
	pthread_rwlock_t lock;
	struct mp_revoked_set *set; /* under lock */
	pthread_t thread;
	int wake[2];
	const char *db_url;
	int started;
	int64_t last_ok_ms; /* under lock; 0 = never */
	char since[32];     /* server epoch of the previous poll, as text */
	int64_t next_prune_ms;
} view = {.lock = PTHREAD_RWLOCK_INITIALIZER, .wake = {-1, -1}};

/* One refresh: rows received since shortly before the previous poll.
 * 0, or -EIO (the connection is reset by the caller). */
static int
refresh_once(PGconn *pg)
{
	const char *params[2];
	char keep[24];
	PGresult *res;
	int rows, i, rc = 0;
	int64_t now_s;

	snprintf(keep, sizeof(keep), "%d", MP_REVOCATION_KEEP_S);
	params[0] = view.since;
	params[1] = keep;
	res = PQexecParams(
	    pg,
	    "SELECT extract(epoch FROM clock_timestamp())::text, "
	    "extract(epoch FROM now())::bigint, r.jti, r.exp FROM "
	    "(SELECT 1) AS one LEFT JOIN revoked_token r ON r.received_at > "
	    "to_timestamp($1::double precision) - interval '" OVERLAP_S
	    " seconds' AND r.exp >= extract(epoch FROM now())::bigint - "
	    "$2::bigint",
	    2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1) {
		PQclear(res);
		return -EIO;
	}
	rows = PQntuples(res);
	now_s = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	pthread_rwlock_wrlock(&view.lock);
	for (i = 0; i < rows; i++) {
		if (PQgetisnull(res, i, 2))
			continue;
		if (mp_revoked_add(view.set, PQgetvalue(res, i, 2),
		                   strtoll(PQgetvalue(res, i, 3), NULL, 10)) ==
		    -ENOMEM)
			rc = -ENOMEM;
	}
	if (mp_mono_ms() >= view.next_prune_ms) {
		(void)mp_revoked_prune(view.set, now_s);
		view.next_prune_ms = mp_mono_ms() + MP_REVOCATION_STALE_MS;
	}
	if (rc == 0)
		view.last_ok_ms = mp_mono_ms();
	pthread_rwlock_unlock(&view.lock);
	/* on a failed insert, read the same window again next time */
	if (rc == 0)
		snprintf(view.since, sizeof(view.since), "%s",
		         PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static void *
refresh_main(void *arg)
{
	PGconn *pg = arg; /* the connection of the first load, or NULL */
	struct pollfd pfd;
	int wait_ms = MP_REVOCATION_POLL_MS, warned = 0;

	pfd.fd = view.wake[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, wait_ms) > 0)
			break; /* stop */
		wait_ms = MP_REVOCATION_POLL_MS;
		if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
			PQfinish(pg);
			pg = PQconnectdb(view.db_url);
			if (PQstatus(pg) != CONNECTION_OK) {
				wait_ms = RECONNECT_MS;
				continue;
			}
		}
		if (refresh_once(pg) != 0) {
			if (!warned)
				mp_log(MP_LOG_WARN, "revocation",
				       "cannot read revoked_token; retrying");
			warned = 1;
			PQfinish(pg);
			pg = NULL;
		} else {
			warned = 0;
		}
	}
	PQfinish(pg);
	return NULL;
}

/* db_url with connect_timeout=3 unless it sets one (a URL or a
 * key=value string). */
static const char *
conninfo_with_timeout(const char *db_url, char *buf, size_t len)
{
	if (strstr(db_url, "connect_timeout") != NULL)
		return db_url;
	if (strncmp(db_url, "postgres", 8) == 0)
		snprintf(buf, len, "%s%sconnect_timeout=3", db_url,
		         strchr(db_url, '?') != NULL ? "&" : "?");
	else
		snprintf(buf, len, "%s connect_timeout=3", db_url);
	return buf;
}

int
mp_revocation_start(const char *db_url)
{
	PGconn *pg;
	char ci[700];

	if (view.started)
		return -EALREADY;
	if (mp_revoked_new(&view.set) != 0)
		return -ENOMEM;
	if (pipe(view.wake) != 0) {
		mp_revoked_free(view.set);
		view.set = NULL;
		return -EAGAIN;
	}
	view.db_url = db_url;
	snprintf(view.since, sizeof(view.since), "0");
	view.last_ok_ms = 0;
	view.next_prune_ms = 0;
	/* The first load before the worker serves: a new worker must not
	 * accept, even for a few milliseconds, a token revoked before it
	 * started. A database that does not answer within the connect
	 * timeout leaves the view "loading" for the thread to fill. */
	pg = PQconnectdb(conninfo_with_timeout(db_url, ci, sizeof(ci)));
	if (PQstatus(pg) != CONNECTION_OK || refresh_once(pg) != 0) {
		mp_log(MP_LOG_WARN, "revocation",
		       "first load failed; the refresh thread retries");
		PQfinish(pg);
		pg = NULL;
	}
	if (pthread_create(&view.thread, NULL, refresh_main, pg) != 0) {
		PQfinish(pg);
		close(view.wake[0]);
		close(view.wake[1]);
		mp_revoked_free(view.set);
		view.set = NULL;
		return -EAGAIN;
	}
	view.started = 1;
	return 0;
}

void
mp_revocation_stop(void)
{
	if (!view.started)
		return;
	(void)!write(view.wake[1], "x", 1);
	pthread_join(view.thread, NULL);
	close(view.wake[0]);
	close(view.wake[1]);
	pthread_rwlock_wrlock(&view.lock);
	mp_revoked_free(view.set);
	view.set = NULL;
	pthread_rwlock_unlock(&view.lock);
	view.started = 0;
}

int
mp_revocation_revoked(const char *jti)
{
	int r;

	if (!view.started)
		return 0;
	pthread_rwlock_rdlock(&view.lock);
	r = mp_revoked_has(view.set, jti);
	pthread_rwlock_unlock(&view.lock);
	return r;
}

int
mp_revocation_note(const char *jti, int64_t exp)
{
	int rc;

	if (!view.started)
		return 0;
	pthread_rwlock_wrlock(&view.lock);
	rc = mp_revoked_add(view.set, jti, exp);
	pthread_rwlock_unlock(&view.lock);
	return rc;
}

int64_t
mp_revocation_age_ms(void)
{
	int64_t last;

	pthread_rwlock_rdlock(&view.lock);
	last = view.last_ok_ms;
	pthread_rwlock_unlock(&view.lock);
	return last == 0 ? INT64_MAX : mp_mono_ms() - last;
}
