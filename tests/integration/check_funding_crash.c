/*
 * kill -9 of the funding service while 1,000 applications are being
 * submitted by 8 concurrent clients: after a restart, every application
 * acknowledged with 201 exists exactly once, and every application in the
 * database (acknowledged or whose answer was lost with the process) has
 * exactly one funding.application.created.v1 event in the stream. The
 * outbox row commits with the application, so the relay publishes it after
 * the restart if the crash came between COMMIT and XADD.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "support.h"

enum { CLIENTS = 8, TOTAL = 1000, KILL_AT = 300 };

static struct t_proc svc;
static volatile int port; /* current port of the service (0: down) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char acked[TOTAL][40];
static int nacked, attempts;
static char call_id[40];

static void
start(void)
{
	static const char *const env[] = {"MP_OUTBOX_SWEEP_MS=200",
	                                  "MP_WORKERS=2", NULL};

	ck_assert_int_eq(t_service_start(&svc, "funding", env), 0);
	port = svc.port;
}

static json_t *
application(void)
{
	return json_pack(
	    "{s:{s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s}, s:s, s:s,"
	    " s:[{s:s, s:I}], s:I, s:I, s:[{s:s, s:s, s:i}], s:i}",
	    "applicant", "kind", "organisation", "type", "association", "name",
	    "Association Tafaoul", "sex", "not_applicable", "title", "fr",
	    "Projet", "summary", "fr", "Résumé", "commune", "agadir", "theme",
	    "integration", "budget_lines", "label", "Tout", "amount_minor",
	    (json_int_t)200000, "requested_minor", (json_int_t)100000,
	    "cofinancing_minor", (json_int_t)50000, "beneficiaries", "sex",
	    "female", "age_band", "18-24", "count", 12, "gender_marker", 1);
}

static void *
client(void *arg)
{
	char *token = arg, path[128];
	struct t_proc p;
	struct t_resp r;
	json_t *body = application();

	snprintf(path, sizeof(path), "/v1/funding/calls/%s/applications",
	         call_id);
	for (;;) {
		pthread_mutex_lock(&lock);
		if (attempts >= TOTAL) {
			pthread_mutex_unlock(&lock);
			break;
		}
		attempts++;
		pthread_mutex_unlock(&lock);
		memset(&p, 0, sizeof(p));
		while ((p.port = port) == 0)
			t_sleep_ms(20);
		if (t_json(&p, "POST", path, token, body, &r) == 0 &&
		    r.status == 201) {
			pthread_mutex_lock(&lock);
			snprintf(
			    acked[nacked++], 40, "%s",
			    json_string_value(json_object_get(r.json, "id")));
			pthread_mutex_unlock(&lock);
		}
		t_resp_free(&r);
	}
	json_decref(body);
	return NULL;
}

/* Value of one SQL count. */
static long
sql_count(PGconn *pg, const char *sql, const char *arg)
{
	const char *v[1] = {arg};
	PGresult *res =
	    PQexecParams(pg, sql, arg != NULL ? 1 : 0, NULL, v, NULL, NULL, 0);
	long n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

START_TEST(kill9_during_submissions)
{
	char *off = t_token("officer-crash", "council_officer", "souss-massa");
	char *app = t_token("applicant-crash", "applicant", "souss-massa");
	char opens[32], closes[32], url[200];
	pthread_t th[CLIENTS];
	struct t_resp r;
	json_t *b, *evs, *e, *seen;
	time_t now = time(NULL), t;
	struct tm tm;
	PGconn *pg;
	size_t i;
	int killed = 0;

	start();
	t = now - 3600;
	gmtime_r(&t, &tm);
	strftime(opens, sizeof(opens), "%Y-%m-%dT%H:%M:%SZ", &tm);
	t = now + 86400;
	gmtime_r(&t, &tm);
	strftime(closes, sizeof(closes), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b = json_pack("{s:I}", "allocated_minor", (json_int_t)1000000000);
	t_json(&svc, "PUT", "/v1/funding/envelopes/souss-massa/2028", off, b,
	       &r);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	b = json_pack("{s:s, s:i, s:{s:s}, s:{s:s}, s:[s], s:[s], s:I, s:I, "
	              "s:s, s:s, s:[{s:s, s:i, s:i}]}",
	              "region", "souss-massa", "year", 2028, "title", "fr",
	              "Appel", "description", "fr", "Crash", "themes",
	              "integration", "applicant_types", "association",
	              "budget_minor", (json_int_t)100000000, "max_grant_minor",
	              (json_int_t)1000000, "opens_at", opens, "closes_at",
	              closes, "scoring_grid", "key", "a", "weight", 1, "max",
	              10);
	t_json(&svc, "POST", "/v1/funding/calls", off, b, &r);
	ck_assert_int_eq(r.status, 201);
	snprintf(call_id, sizeof(call_id), "%s",
	         json_string_value(json_object_get(r.json, "id")));
	t_resp_free(&r);
	json_decref(b);
	b = json_pack("{s:s}", "to", "publish");
	{
		char path[128];

		snprintf(path, sizeof(path), "/v1/funding/calls/%s/transitions",
		         call_id);
		t_json(&svc, "POST", path, off, b, &r);
		ck_assert_int_eq(r.status, 200);
		t_resp_free(&r);
	}
	json_decref(b);

	for (int k = 0; k < CLIENTS; k++)
		pthread_create(&th[k], NULL, client, app);
	while (!killed) {
		pthread_mutex_lock(&lock);
		if (nacked >= KILL_AT) {
			port = 0;
			killed = 1;
		}
		pthread_mutex_unlock(&lock);
		if (!killed)
			t_sleep_ms(5);
	}
	t_proc_kill(&svc);
	t_sleep_ms(300);
	start(); /* the clients go on against the new process */
	for (int k = 0; k < CLIENTS; k++)
		pthread_join(th[k], NULL);
	ck_assert_int_gt(nacked, KILL_AT);

	t_db_url("funding", url, sizeof(url));
	pg = PQconnectdb(url);
	ck_assert_int_eq(PQstatus(pg), CONNECTION_OK);
	/* every acknowledged application exists exactly once */
	for (int k = 0; k < nacked; k++)
		ck_assert_int_eq(sql_count(pg,
		                           "SELECT count(*) FROM "
		                           "applications WHERE id = $1::uuid",
		                           acked[k]),
		                 1);
	/* and every application of the call has exactly one event */
	seen = json_object();
	for (int tries = 0; tries < 100; tries++) {
		long rows = sql_count(pg,
		                      "SELECT count(*) FROM applications "
		                      "WHERE call_id = $1::uuid",
		                      call_id);
		long n = 0;

		json_object_clear(seen);
		evs = t_stream_events("events:funding");
		ck_assert_ptr_nonnull(evs);
		json_array_foreach(evs, i, e)
		{
			const char *sub =
			    json_string_value(json_object_get(e, "subject"));
			const char *cid = json_string_value(json_object_get(
			    json_object_get(e, "data"), "call_id"));

			if (sub == NULL || cid == NULL ||
			    strcmp(cid, call_id) != 0 ||
			    strcmp(
			        json_string_value(json_object_get(e, "type")),
			        "funding.application.created.v1") != 0)
				continue;
			json_object_set_new(
			    seen, sub,
			    json_integer(
			        json_integer_value(json_object_get(seen, sub)) +
			        1));
			n++;
		}
		json_decref(evs);
		if (n >= rows && rows >= nacked)
			break;
		t_sleep_ms(100);
	}
	ck_assert_int_eq(
	    (long)json_object_size(seen),
	    sql_count(
	        pg,
	        "SELECT count(*) FROM applications WHERE call_id = $1::uuid",
	        call_id));
	{
		const char *k;
		json_t *v;

		json_object_foreach(seen, k, v) ck_assert_msg(
		    json_integer_value(v) == 1, "%s has %lld events", k,
		    (long long)json_integer_value(v));
	}
	for (int k = 0; k < nacked; k++)
		ck_assert_ptr_nonnull(json_object_get(seen, acked[k]));
	fprintf(stderr,
	        "kill -9 after %d acks: %d acknowledged, %ld rows, "
	        "%zu events\n",
	        KILL_AT, nacked,
	        sql_count(pg,
	                  "SELECT count(*) "
	                  "FROM applications WHERE call_id = $1::uuid",
	                  call_id),
	        json_object_size(seen));
	json_decref(seen);
	PQfinish(pg);
	t_proc_stop(&svc);
	free(off);
	free(app);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("funding-crash");
	TCase *tc = tcase_create("kill9");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, kill9_during_submissions);
	suite_add_tcase(s, tc);
	return t_run(s);
}
