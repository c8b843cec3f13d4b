/*
 * The gender service against real PostgreSQL, Redis and the real funding
 * service: indicators built from events, exactly; duplicates and
 * redeliveries change nothing; unknown and malformed events go to the
 * dead-letter stream while the consumer goes on; a rebuild from the
 * streams gives the same figures; disclosure control for the public and
 * audited unsuppressed reads for an analyst of the region only; open data
 * (CSV, DHIS2 dataValueSets); a chart rasterised with rsvg-convert and
 * compared with the expected picture pixel by pixel.
 *
 * The scripted programme year is 2031, written to events:funding as the
 * funding service writes its CloudEvents (openapi/events.asyncapi.yaml),
 * so the figures of that year are exactly known; the real funding
 * service's own events (this year's) are checked separately.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <png.h>

#include "mp/util.h"

#include "support.h"

static struct t_proc gender, funding;

static void
setup(void)
{
	static const char *const env[] = {"MP_OUTBOX_SWEEP_MS=100",
	                                  "MP_WORKERS=2",
	                                  "MP_CONSUMER_CLAIM_IDLE_MS=1000",
	                                  "MP_CONSUMER_MAX_DELIVERIES=2", NULL};

	if (t_service_start(&funding, "funding", env) != 0 ||
	    t_service_start(&gender, "gender", env) != 0) {
		fprintf(stderr, "funding or gender did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&gender);
	t_proc_stop(&funding);
}

/* ---- helpers
 * ------------------------------------------------------------------ */

static redisContext *
redis(void)
{
	redisContext *rd =
	    redisConnect("127.0.0.1", atoi(getenv("MP_TEST_REDIS_PORT")));

	ck_assert_msg(rd != NULL && rd->err == 0, "redis");
	return rd;
}

/* XADD a raw entry to a stream as the relay does; its stream id into
 * id_out (64 bytes; may be NULL). */
static void
xadd_to_id(const char *stream, const char *type, const char *payload,
           char *id_out)
{
	redisContext *rd = redis();
	redisReply *rep = redisCommand(rd, "XADD %s * type %s event %s", stream,
	                               type, payload);

	ck_assert_msg(rep != NULL && rep->type == REDIS_REPLY_STRING, "XADD");
	if (id_out != NULL)
		snprintf(id_out, 64, "%s", rep->str);
	freeReplyObject(rep);
	redisFree(rd);
}

static void
xadd_to(const char *stream, const char *type, const char *payload)
{
	xadd_to_id(stream, type, payload, NULL);
}

static void
xadd_raw(const char *type, const char *payload)
{
	xadd_to("events:funding", type, payload);
}

/* How many entries of events:funding:dead came from one of the n stream
 * ids (their origin_id). */
static int
dead_letters_of(char ids[][64], int n)
{
	redisContext *rd = redis();
	redisReply *rep = redisCommand(rd, "XRANGE events:funding:dead - +");
	size_t i, j;
	int k, found = 0;

	ck_assert_msg(rep != NULL && rep->type == REDIS_REPLY_ARRAY, "XRANGE");
	for (i = 0; i < rep->elements; i++) {
		redisReply *f = rep->element[i]->element[1];

		for (j = 0; j + 1 < f->elements; j += 2)
			if (strcmp(f->element[j]->str, "origin_id") == 0)
				for (k = 0; k < n; k++)
					if (strcmp(f->element[j + 1]->str,
					           ids[k]) == 0)
						found++;
	}
	freeReplyObject(rep);
	redisFree(rd);
	return found;
}

/* A CloudEvent of `source`; `data` is stolen. Writes its id into id_out
 * (may be NULL) and returns the compact text (malloc'd). */
static char *
cloudevent_from(const char *source, const char *type, const char *time,
                json_t *data, char *id_out)
{
	char id[37];
	json_t *ev;
	char *s;

	ck_assert_int_eq(mp_uuid_v7(id), 0);
	if (id_out != NULL)
		strcpy(id_out, id);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
	               "specversion", "1.0", "id", id, "source", source, "type",
	               type, "time", time, "datacontenttype",
	               "application/json", "subject", "x", "data", data);
	s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
	return s;
}

static char *
cloudevent(const char *type, const char *time, json_t *data, char *id_out)
{
	return cloudevent_from("urn:mp:funding", type, time, data, id_out);
}

/* An event of the cases service (schemas of its AsyncAPI messages). */
static void
cases_event(const char *type, const char *time, const char *sex, json_t *extra)
{
	json_t *d =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "region", "oriental",
	              "commune", "oujda", "sex", sex, "age_band", "25-34",
	              "beneficiary_type", "regularised_migrant");
	char *ev;

	json_object_update(d, extra);
	json_decref(extra);
	ev = cloudevent_from("urn:mp:cases", type, time, d, NULL);
	xadd_to("events:cases", type, ev);
	free(ev);
}

static json_t *
app_stats(const char *app, const char *region, const char *commune,
          const char *sex, const char *age, const char *type, int marker,
          long long requested)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, "
	                 "s:i, s:i, s:i}",
	                 "application_id", app, "call_id",
	                 "0190c7a0-0000-7000-8000-000000000001", "region",
	                 region, "commune", commune, "theme", "economic",
	                 "applicant_type", type, "holder_sex", sex,
	                 "holder_age_band", age, "requested_minor", requested,
	                 "gender_marker", marker, "beneficiaries_female", 10,
	                 "beneficiaries_male", 5);
}

/* One holder of the scripted year: submitted in `month`, selected or not,
 * with `tranches` tranches of 100 000 minor units released. */
static void
holder(int n, const char *region, const char *commune, const char *sex,
       int month, int selected, int tranches, int marker)
{
	char app[37], time[32], *ev;
	json_t *d;

	snprintf(app, sizeof(app), "0190c7a0-%04x-7000-8000-%012d", n & 0xffff,
	         n);
	snprintf(time, sizeof(time), "2031-%02d-10T09:00:00.000Z", month);
	d = app_stats(app, region, commune, sex, "25-34", "mre", marker,
	              300000);
	json_object_set_new(d, "from", json_string("draft"));
	json_object_set_new(d, "to", json_string("submitted"));
	ev = cloudevent("funding.application.submitted.v1", time, d, NULL);
	xadd_raw("funding.application.submitted.v1", ev);
	free(ev);
	if (!selected)
		return;
	snprintf(time, sizeof(time), "2031-%02d-20T09:00:00.000Z", month + 1);
	d = app_stats(app, region, commune, sex, "25-34", "mre", marker,
	              300000);
	json_object_set_new(d, "decision", json_string("selected"));
	json_object_set_new(
	    d, "session_id",
	    json_string("0190c7a0-0000-7000-8000-0000000000aa"));
	json_object_set_new(d, "committed_minor", json_integer(300000));
	json_object_set_new(
	    d, "tally",
	    json_pack("{s:i, s:i, s:i}", "for", 3, "against", 0, "abstain", 0));
	ev = cloudevent("funding.application.decided.v1", time, d, NULL);
	xadd_raw("funding.application.decided.v1", ev);
	free(ev);
	for (int t = 0; t < tranches; t++) {
		char tr[37];

		snprintf(tr, sizeof(tr), "0190c7a1-%04x-7000-8000-%012d",
		         n & 0xffff, n * 10 + t);
		snprintf(time, sizeof(time), "2031-%02d-05T09:00:00.000Z",
		         month + 2 + t);
		d = json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, "
		    "s:i, s:s, s:i}",
		    "tranche_id", tr, "agreement_id", tr, "application_id", app,
		    "region", region, "commune", commune, "theme", "economic",
		    "applicant_type", "mre", "holder_sex", sex, "seq", t + 1,
		    "amount_minor", 100000, "currency", "EUR", "year", 2031);
		ev = cloudevent("funding.tranche.released.v1", time, d, NULL);
		xadd_raw("funding.tranche.released.v1", ev);
		free(ev);
	}
}

static json_t *
get(const char *token, long want, const char *fmt, ...)
{
	va_list ap;
	json_t *out;

	va_start(ap, fmt);
	out = t_expectv(&gender, "GET", token, NULL, want, fmt, ap);
	va_end(ap);
	return out;
}

/* The value of a figures cell: -1 when suppressed. */
static long long
cell(const json_t *fig, const char *row_dim, const char *row_key,
     const char *col)
{
	size_t i;
	json_t *row, *c;

	json_array_foreach(json_object_get(fig, "rows"), i, row)
	{
		if (row_dim != NULL &&
		    strcmp(json_string_value(json_object_get(row, row_dim)),
		           row_key) != 0)
			continue;
		c = col != NULL
		        ? json_object_get(json_object_get(row, "cells"), col)
		        : json_object_get(row, "total");
		ck_assert_ptr_nonnull(c);
		if (json_is_true(json_object_get(c, "suppressed"))) {
			ck_assert(json_is_null(json_object_get(c, "value")));
			return -1;
		}
		return json_integer_value(json_object_get(c, "value"));
	}
	ck_abort_msg("no row %s", row_key);
	return -2;
}

static long long
db_count(const char *sql)
{
	char url[512];
	PGconn *pg;
	PGresult *res;
	long long n = -1;

	t_db_url("gender", url, sizeof(url));
	pg = PQconnectdb(url);
	res = PQexec(pg, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(pg);
	return n;
}

static void
settle(void)
{
	ck_assert_int_eq(
	    t_stream_settle("events:funding", "gender", 300, 20000), 0);
}

/* The scripted year, written once per process (each test runs in its
 * own process; the database and streams are shared). */
static void
scripted_year(void)
{
	int n = 1;

	if (db_count("SELECT count(*) FROM facts WHERE day >= '2031-01-01' "
	             "AND day < '2032-01-01'") > 0)
		return;
	/* Oriental: 12 women (6 in Q1, 6 in Q2) and 8 men applied;
	 * 6 women and 4 men selected; tranches: women 2 each for 3 of
	 * them, men 1 each for 2 of them */
	for (int i = 0; i < 12; i++, n++)
		holder(n, "oriental", i % 2 ? "oujda" : "berkane", "female",
		       i < 6 ? 2 : 5, i < 6, i < 3 ? 2 : 0, i < 4 ? 2 : 1);
	for (int i = 0; i < 8; i++, n++)
		holder(n, "oriental", "nador", "male", i < 5 ? 2 : 5, i < 4,
		       i < 2 ? 1 : 0, 0);
	/* Souss-Massa: 3 women, 10 men applied; 1 woman, 5 men selected */
	for (int i = 0; i < 3; i++, n++)
		holder(n, "souss-massa", "agadir", "female", 3, i < 1, 0, 1);
	for (int i = 0; i < 10; i++, n++)
		holder(n, "souss-massa", "tiznit", "male", 3, i < 5, 0, 0);
	settle();
}

/* ---- tests
 * ---------------------------------------------------------------------- */

START_TEST(test_programme_year_exact)
{
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	json_t *f;

	scripted_year();
	/* public, by region: 3 women in Souss-Massa is below 5; its row and
	 * the female column would give it away, so all four cells hide */
	f = get(NULL, 200,
	        "/v1/gender/indicators/women_applicants?"
	        "dimension=region&filter=period:2031");
	ck_assert_int_eq(cell(f, "region", "oriental", "female"), -1);
	ck_assert_int_eq(cell(f, "region", "souss-massa", "female"), -1);
	ck_assert_int_eq(cell(f, "region", "souss-massa", "male"), -1);
	ck_assert_int_eq(cell(f, "region", "oriental", "male"), -1);
	ck_assert_int_eq(cell(f, "region", "oriental", NULL), 20);
	ck_assert_int_eq(cell(f, "region", "souss-massa", NULL), 13);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(f, "totals"), "share_women_bp")),
	                 4545); /* 15 of 33 */
	json_decref(f);
	/* Oriental alone, by quarter: published as is */
	/* Oriental alone, by quarter: 3 men in Q2 hide, and with them
	 * the rest of the 2 x 2 table; the margins stay published */
	f = get(NULL, 200,
	        "/v1/gender/indicators/women_applicants?"
	        "dimension=sex&dimension=period:2031Q1;2031Q2&"
	        "filter=region:oriental");
	ck_assert_int_eq(cell(f, "period", "2031Q2", "male"), -1); /* 3 */
	ck_assert_int_eq(cell(f, "period", "2031Q2", "female"), -1);
	ck_assert_int_eq(cell(f, "period", "2031Q1", "male"), -1);
	ck_assert_int_eq(cell(f, "period", "2031Q1", "female"), -1);
	ck_assert_int_eq(cell(f, "period", "2031Q1", NULL), 11);
	ck_assert_int_eq(cell(f, "period", "2031Q2", NULL), 9);
	json_decref(f);
	/* by sex and beneficiary type: every cell above 5, all published */
	f = get(NULL, 200,
	        "/v1/gender/indicators/women_applicants?"
	        "dimension=beneficiary_type&filter=region:oriental&"
	        "filter=period:2031");
	ck_assert_int_eq(cell(f, "beneficiary_type", "mre", "female"), 12);
	ck_assert_int_eq(cell(f, "beneficiary_type", "mre", "male"), 8);
	json_decref(f);
	/* the analyst of Oriental reads the selections unsuppressed */
	f = get(ana, 200,
	        "/v1/gender/indicators/women_selected?"
	        "filter=region:oriental&filter=period:2031&unsuppressed=true");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), 6);
	ck_assert_int_eq(cell(f, NULL, NULL, "male"), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(f, "rows"), 0),
	                     "share_women_bp")),
	                 6000);
	json_decref(f);
	f = get(ana, 200,
	        "/v1/gender/indicators/women_funded_amount?"
	        "filter=region:oriental&filter=period:2031&unsuppressed=true");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), 1800000);
	ck_assert_int_eq(cell(f, NULL, NULL, "male"), 1200000);
	json_decref(f);
	f = get(ana, 200,
	        "/v1/gender/indicators/women_disbursed_amount?"
	        "filter=region:oriental&filter=period:2031&unsuppressed=true");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), 600000);
	ck_assert_int_eq(cell(f, NULL, NULL, "male"), 200000);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(f, "rows"), 0),
	                     "share_women_bp")),
	                 7500);
	json_decref(f);
	/* gender marker of funded projects in Oriental: 4 women's projects
	 * marked 2, 2 marked 1, the 4 men's marked 0 */
	f = get(ana, 200,
	        "/v1/gender/indicators/gender_marker_funded?"
	        "filter=region:oriental&filter=period:2031&unsuppressed=true");
	ck_assert_int_eq(cell(f, NULL, NULL, "0"), 4);
	ck_assert_int_eq(cell(f, NULL, NULL, "1"), 2);
	ck_assert_int_eq(cell(f, NULL, NULL, "2"), 4);
	json_decref(f);
	/* by commune and month, disclosure-controlled, never zeroed */
	f = get(NULL, 200,
	        "/v1/gender/indicators/women_applicants?"
	        "dimension=commune&dimension=period:203102;203105&"
	        "filter=region:oriental");
	ck_assert_int_eq(json_array_size(json_object_get(f, "rows")), 6);
	json_decref(f);
	free(ana);
}
END_TEST

START_TEST(test_unsuppressed_only_own_region_and_audited)
{
	char *ana_o = t_token("analyst-o", "gender_analyst", "oriental");
	char *ana_s = t_token("analyst-s", "gender_analyst", "souss-massa");
	char *off = t_token("officer-o", "council_officer", "oriental");
	long long before, after;
	json_t *f;

	scripted_year();
	before = db_count("SELECT count(*) FROM unsuppressed_reads");
	/* the analyst of Souss-Massa reads her own region unsuppressed */
	f = get(
	    ana_s, 200,
	    "/v1/gender/indicators/women_applicants?"
	    "filter=region:souss-massa&filter=period:2031&unsuppressed=true");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), 3);
	ck_assert(json_is_false(
	    json_object_get(json_object_get(f, "disclosure"), "suppressed")));
	json_decref(f);
	after = db_count(
	    "SELECT count(*) FROM unsuppressed_reads WHERE "
	    "sub = 'analyst-s' AND region = 'souss-massa' AND indicator = "
	    "'women_applicants'");
	ck_assert_int_ge(after, 1);
	ck_assert_int_eq(db_count("SELECT count(*) FROM unsuppressed_reads"),
	                 before + 1);
	/* ... but not Oriental's, nor both regions at once */
	json_decref(get(ana_s, 403,
	                "/v1/gender/indicators/women_applicants?"
	                "filter=region:oriental&unsuppressed=true"));
	json_decref(get(ana_o, 403,
	                "/v1/gender/indicators/women_applicants?"
	                "dimension=region&unsuppressed=true"));
	/* other roles and the public never */
	json_decref(get(off, 403,
	                "/v1/gender/indicators/women_applicants?"
	                "filter=region:oriental&unsuppressed=true"));
	json_decref(get(NULL, 403,
	                "/v1/gender/indicators/women_applicants?"
	                "filter=region:oriental&unsuppressed=true"));
	/* without asking, the analyst sees what the public sees */
	f = get(ana_s, 200,
	        "/v1/gender/indicators/women_applicants?"
	        "filter=region:souss-massa&filter=period:2031");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), -1);
	json_decref(f);
	ck_assert_int_eq(db_count("SELECT count(*) FROM unsuppressed_reads"),
	                 before + 1);
	free(ana_o);
	free(ana_s);
	free(off);
}
END_TEST

START_TEST(test_duplicate_and_redelivered_events)
{
	char time[] = "2031-11-10T09:00:00.000Z", *ev, id[37];
	json_t *f, *d;
	long long n0;

	scripted_year();
	n0 = db_count("SELECT count(*) FROM inbox WHERE source = "
	              "'urn:mp:funding'");
	d = app_stats("0190c7a0-dddd-7000-8000-000000000999", "oriental",
	              "oujda", "female", "35-49", "regularised_migrant", 2,
	              1000);
	json_object_set_new(d, "from", json_string("draft"));
	json_object_set_new(d, "to", json_string("submitted"));
	ev = cloudevent("funding.application.submitted.v1", time, d, id);
	/* the relay published it twice (a crash between XADD and marking
	 * the row sent), and a third copy comes later */
	xadd_raw("funding.application.submitted.v1", ev);
	xadd_raw("funding.application.submitted.v1", ev);
	settle();
	xadd_raw("funding.application.submitted.v1", ev);
	settle();
	free(ev);
	ck_assert_int_eq(db_count("SELECT count(*) FROM inbox WHERE source = "
	                          "'urn:mp:funding'"),
	                 n0 + 1);
	f = get(NULL, 200,
	        "/v1/gender/indicators/women_applicants?"
	        "filter=region:oriental&filter=period:203111&"
	        "filter=beneficiary_type:regularised_migrant");
	/* one woman: suppressed for the public, but counted once */
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), -1);
	json_decref(f);
	ck_assert_int_eq(db_count("SELECT count(*) FROM facts WHERE subject = "
	                          "'0190c7a0-dddd-7000-8000-000000000999'"),
	                 1);
}
END_TEST

START_TEST(test_dead_letters_and_consumer_goes_on)
{
	char bad[4][64], *ev;
	json_t *d;

	scripted_year();
	/* not JSON; an unknown type; a known type without its keys; an
	 * amount that is not a number */
	xadd_to_id("events:funding", "funding.application.submitted.v1",
	           "{not json", bad[0]);
	ev = cloudevent("funding.spaceship.launched.v1",
	                "2031-12-01T00:00:00.000Z",
	                json_pack("{s:s}", "region", "oriental"), NULL);
	xadd_to_id("events:funding", "funding.spaceship.launched.v1", ev,
	           bad[1]);
	free(ev);
	ev = cloudevent("funding.application.submitted.v1",
	                "2031-12-01T00:00:00.000Z",
	                json_pack("{s:s}", "region", "oriental"), NULL);
	xadd_to_id("events:funding", "funding.application.submitted.v1", ev,
	           bad[2]);
	free(ev);
	d = app_stats("0190c7a0-eeee-7000-8000-000000000998", "oriental",
	              "oujda", "female", "35-49", "mre", 2, 1000);
	json_object_set_new(d, "requested_minor", json_string("lots"));
	ev = cloudevent("funding.application.submitted.v1",
	                "2031-12-01T00:00:00.000Z", d, NULL);
	xadd_to_id("events:funding", "funding.application.submitted.v1", ev,
	           bad[3]);
	free(ev);
	/* then a good one: the consumer did not stop */
	d = app_stats("0190c7a0-eeee-7000-8000-000000000999", "oriental",
	              "oujda", "male", "35-49", "mre", 0, 1000);
	ev = cloudevent("funding.application.submitted.v1",
	                "2031-12-02T00:00:00.000Z", d, NULL);
	xadd_raw("funding.application.submitted.v1", ev);
	free(ev);
	settle();
	/* each of the four in the dead-letter stream, once (other tests'
	 * entries may land there meanwhile) */
	ck_assert_int_eq(dead_letters_of(bad, 4), 4);
	ck_assert_int_eq(db_count("SELECT count(*) FROM facts WHERE subject = "
	                          "'0190c7a0-eeee-7000-8000-000000000999'"),
	                 1);
	ck_assert_int_eq(db_count("SELECT count(*) FROM facts WHERE subject = "
	                          "'0190c7a0-eeee-7000-8000-000000000998'"),
	                 0);
}
END_TEST

START_TEST(test_rebuild_gives_same_figures)
{
	char *adm = t_token("admin-1", "admin", "");
	json_t *before[3], *after, *st;
	static const char *const q[3] = {
	    "/v1/gender/indicators/women_applicants?dimension=region&"
	    "dimension=period:2031Q1;2031Q2;2031Q3;2031Q4",
	    "/v1/gender/indicators/women_disbursed_amount?dimension=commune",
	    "/v1/gender/indicators/gender_marker_funded?dimension=region"};
	long long gen, facts0;
	struct t_resp r;
	char *a, *b;

	scripted_year();
	settle();
	for (int i = 0; i < 3; i++)
		before[i] = get(NULL, 200, "%s", q[i]);
	facts0 = db_count("SELECT count(*) FROM facts");
	st = get(adm, 200, "/v1/gender/projection");
	gen = json_integer_value(json_object_get(st, "generation"));
	json_decref(st);
	ck_assert_int_eq(t_json(&gender, "POST",
	                        "/v1/gender/projection/"
	                        "rebuild",
	                        adm, NULL, &r),
	                 0);
	ck_assert_int_eq(r.status, 202);
	t_resp_free(&r);
	/* the reset happens, then the streams are applied again */
	for (int i = 0; i < 200; i++) {
		st = get(adm, 200, "/v1/gender/projection");
		if (json_integer_value(json_object_get(st, "generation")) >
		    gen) {
			json_decref(st);
			break;
		}
		json_decref(st);
		t_sleep_ms(100);
	}
	ck_assert_int_eq(db_count("SELECT generation FROM projection_state"),
	                 gen + 1);
	settle();
	ck_assert_int_eq(db_count("SELECT count(*) FROM facts"), facts0);
	for (int i = 0; i < 3; i++) {
		after = get(NULL, 200, "%s", q[i]);
		a = json_dumps(before[i], JSON_SORT_KEYS);
		b = json_dumps(after, JSON_SORT_KEYS);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
		json_decref(after);
		json_decref(before[i]);
	}
	/* only an admin asks for it */
	json_decref(get(NULL, 401, "/v1/gender/projection"));
	free(adm);
}
END_TEST

START_TEST(test_real_funding_events)
{
	char *off = t_token("officer-o", "council_officer", "oriental");
	char *app = t_token("applicant-1", "applicant", "oriental");
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char opens[32], closes[32], path[160], year[16];
	time_t now = time(NULL);
	struct tm tm;
	struct t_resp r;
	json_t *b, *f;
	long long before = 0, got = 0;

	gmtime_r(&now, &tm);
	snprintf(year, sizeof(year), "%d", tm.tm_year + 1900);
	snprintf(path, sizeof(path),
	         "/v1/gender/indicators/women_applicants?"
	         "filter=region:oriental&filter=period:%s&unsuppressed=true",
	         year);
	f = get(ana, 200, "%s", path);
	before = cell(f, NULL, NULL, "female");
	json_decref(f);
	/* an envelope, a published call, a woman's application submitted */
	snprintf(opens, sizeof(opens), "%d-01-01T00:00:00Z", tm.tm_year + 1900);
	snprintf(closes, sizeof(closes), "%d-12-31T00:00:00Z",
	         tm.tm_year + 1900);
	snprintf(path, sizeof(path), "/v1/funding/envelopes/oriental/%s", year);
	b = json_pack("{s:I, s:s}", "allocated_minor", (json_int_t)300000000,
	              "currency", "EUR");
	ck_assert_int_eq(t_json(&funding, "PUT", path, off, b, &r), 0);
	ck_assert_msg(r.status == 200, "envelope: %ld %s", r.status, r.body);
	t_resp_free(&r);
	json_decref(b);
	b = json_pack(
	    "{s:s, s:i, s:{s:s}, s:{s:s}, s:[s], s:[s], s:I, s:I, "
	    "s:i, s:s, s:s, s:{s:i}, s:[{s:s, s:i, s:i}]}",
	    "region", "oriental", "year", tm.tm_year + 1900, "title", "fr",
	    "Appel", "description", "fr", "Projets", "themes", "economic",
	    "applicant_types", "mre", "budget_minor", (json_int_t)20000000,
	    "max_grant_minor", (json_int_t)5000000, "min_cofinancing_bp", 1000,
	    "opens_at", opens, "closes_at", closes, "eligibility_rules",
	    "min_beneficiaries", 10, "scoring_grid", "key", "relevance",
	    "weight", 100, "max", 20);
	ck_assert_int_eq(
	    t_json(&funding, "POST", "/v1/funding/calls", off, b, &r), 0);
	ck_assert_msg(r.status == 201, "call: %ld %s", r.status, r.body);
	snprintf(path, sizeof(path), "/v1/funding/calls/%s/transitions",
	         json_string_value(json_object_get(r.json, "id")));
	t_resp_free(&r);
	json_decref(b);
	b = json_pack("{s:s}", "to", "publish");
	ck_assert_int_eq(t_json(&funding, "POST", path, off, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	*strrchr(path, '/') = '\0';
	strcat(path, "/applications");
	b = json_pack(
	    "{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s}, s:s, "
	    "s:s, s:[{s:s, s:I}], s:I, s:I, s:[{s:s, s:s, s:i}], s:i}",
	    "applicant", "kind", "person", "type", "mre", "name", "Samira B.",
	    "sex", "female", "age_band", "35-49", "title", "fr", "Atelier",
	    "summary", "fr", "Couture", "commune", "oujda", "theme", "economic",
	    "budget_lines", "label", "Machines", "amount_minor",
	    (json_int_t)3000000, "requested_minor", (json_int_t)2000000,
	    "cofinancing_minor", (json_int_t)1000000, "beneficiaries", "sex",
	    "female", "age_band", "25-34", "count", 20, "gender_marker", 2);
	ck_assert_int_eq(t_json(&funding, "POST", path, app, b, &r), 0);
	ck_assert_msg(r.status == 201, "application: %ld %s", r.status, r.body);
	snprintf(path, sizeof(path), "/v1/funding/applications/%s/submit",
	         json_string_value(json_object_get(r.json, "id")));
	t_resp_free(&r);
	json_decref(b);
	ck_assert_int_eq(t_json(&funding, "POST", path, app, NULL, &r), 0);
	ck_assert_msg(r.status == 200, "submit: %ld %s", r.status, r.body);
	t_resp_free(&r);
	/* the funding relay publishes, gender's consumer applies */
	snprintf(path, sizeof(path),
	         "/v1/gender/indicators/women_applicants?"
	         "filter=region:oriental&filter=period:%s&unsuppressed=true",
	         year);
	for (int i = 0; i < 100 && got != before + 1; i++) {
		t_sleep_ms(100);
		f = get(ana, 200, "%s", path);
		got = cell(f, NULL, NULL, "female");
		json_decref(f);
	}
	ck_assert_int_eq(got, before + 1);
	free(off);
	free(app);
	free(ana);
}
END_TEST

START_TEST(test_open_data)
{
	struct t_resp r;
	json_t *f, *v;
	size_t i;
	int saw_oujda = 0;

	scripted_year();
	ck_assert_int_eq(
	    t_http(
	        &gender, "GET",
	        "/v1/gender/indicators/"
	        "women_applicants/data.csv?dimension=region&filter=period:2031",
	        NULL, NULL, 0, &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.headers, "text/csv"));
	ck_assert_ptr_nonnull(
	    strstr(r.body, "indicator,region,column,value,suppressed\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(r.body, "women_applicants,souss-massa,female,,true\r\n"));
	ck_assert_ptr_null(strstr(r.body, ",3,false"));
	t_resp_free(&r);
	f = get(
	    NULL, 200,
	    "/v1/gender/indicators/women_applicants/"
	    "dataValueSets?dimension=period:2031Q1;2031Q2&dimension=commune&"
	    "filter=region:oriental");
	json_array_foreach(json_object_get(f, "dataValues"), i, v)
	{
		ck_assert_str_eq(
		    json_string_value(json_object_get(v, "dataElement")),
		    "women_applicants");
		ck_assert_ptr_nonnull(json_string_value(
		    json_object_get(v, "categoryOptionCombo")));
		if (strcmp(json_string_value(json_object_get(v, "orgUnit")),
		           "oujda") == 0 &&
		    strcmp(json_string_value(json_object_get(v, "period")),
		           "2031Q1") == 0 &&
		    strcmp(json_string_value(
		               json_object_get(v, "categoryOptionCombo")),
		           "female") == 0) {
			saw_oujda = 1;
		}
		/* never a suppressed cell, never a zero standing for one */
		ck_assert_int_ge(
		    atoi(json_string_value(json_object_get(v, "value"))), 0);
	}
	/* 3 women of Oujda in Q1: below 5, left out */
	ck_assert_int_eq(saw_oujda, 0);
	json_decref(f);
	/* a bad query names its argument */
	f = get(NULL, 400,
	        "/v1/gender/indicators/women_applicants?"
	        "dimension=colour");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(f, "errors"), 0), "field")),
	    "dimension");
	json_decref(f);
	json_decref(get(NULL, 400,
	                "/v1/gender/indicators/women_applicants/"
	                "dataValueSets?dimension=region"));
	json_decref(get(NULL, 404, "/v1/gender/indicators/nothing"));
}
END_TEST

/* Decode a PNG file into RGBA rows. */
static unsigned char *
png_rgba(const char *path, unsigned *w, unsigned *h)
{
	png_image img;
	unsigned char *buf;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path))
		return NULL;
	img.format = PNG_FORMAT_RGBA;
	buf = malloc(PNG_IMAGE_SIZE(img));
	if (buf == NULL || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		free(buf);
		return NULL;
	}
	*w = img.width;
	*h = img.height;
	return buf;
}

START_TEST(test_chart_rasterised)
{
	char svg[512], png[512], expected[512], cmd[2048];
	struct t_resp r;
	FILE *fp;
	unsigned w, h, ew, eh;
	unsigned char *got, *want;
	size_t i, differ = 0;

	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char auth[2048];
	const char *hdr[2] = {auth, NULL};

	scripted_year();
	/* Oriental's applicants by commune, for its analyst: Berkane 6
	 * women, Nador 8 men, Oujda 6 women (and the one woman of the
	 * redelivery test, in November: not in this period) */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ana);
	ck_assert_int_eq(
	    t_http(&gender, "GET",
	           "/v1/gender/indicators/"
	           "women_applicants/chart.svg?dimension=commune&"
	           "filter=region:oriental&filter=period:2031Q1;2031Q2;2031Q3&"
	           "unsuppressed=true&type=bar&lang=fr",
	           hdr, NULL, 0, &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.headers, "image/svg+xml"));
	t_var_path("gender-chart.svg", svg, sizeof(svg));
	t_var_path("gender-chart.png", png, sizeof(png));
	fp = fopen(svg, "w");
	ck_assert_ptr_nonnull(fp);
	fwrite(r.body, 1, r.len, fp);
	fclose(fp);
	t_resp_free(&r);
	snprintf(cmd, sizeof(cmd), "rsvg-convert -o '%s' '%s'", png, svg);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(expected, sizeof(expected), "%s/tests/data/gender_chart.png",
	         getenv("MP_TEST_ROOT"));
	got = png_rgba(png, &w, &h);
	want = png_rgba(expected, &ew, &eh);
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(want);
	ck_assert_uint_eq(w, ew);
	ck_assert_uint_eq(h, eh);
	for (i = 0; i < (size_t)w * h; i++) {
		int d = 0;

		for (int c = 0; c < 3; c++)
			d = abs(got[i * 4 + c] - want[i * 4 + c]) > d
			        ? abs(got[i * 4 + c] - want[i * 4 + c])
			        : d;
		differ += d > 64;
	}
	/* text may be rendered by another font version: 2 % tolerance;
	 * a bar of another height alone moves more than that */
	ck_assert_msg(differ * 100 < (size_t)w * h * 2,
	              "%zu of %u pixels differ", differ, w * h);
	/* and, independently of the expected picture, the data: Berkane's
	 * women's bar (x ~ 133) is 6/10 of the 256 px plot, Nador's men's
	 * (x ~ 384) 8/10, in their colours */
	{
		static const struct {
			unsigned x;
			unsigned char rgb[3];
			int px;
		} bar[2] = {{133, {0x7b, 0x32, 0x94}, 154},
		            {384, {0x00, 0x88, 0x37}, 205}};

		for (int b = 0; b < 2; b++) {
			int n = 0;

			for (unsigned y = 0; y < h; y++) {
				unsigned char *p =
				    got + ((size_t)y * w + bar[b].x) * 4;

				n += abs(p[0] - bar[b].rgb[0]) < 24 &&
				     abs(p[1] - bar[b].rgb[1]) < 24 &&
				     abs(p[2] - bar[b].rgb[2]) < 24;
			}
			ck_assert_msg(abs(n - bar[b].px) <= 2,
			              "bar %d: %d px, want %d", b, n,
			              bar[b].px);
		}
	}
	free(got);
	free(want);
	/* the Arabic chart lays its text right to left */
	ck_assert_int_eq(
	    t_http(
	        &gender, "GET",
	        "/v1/gender/indicators/"
	        "women_applicants/chart.svg?dimension=region&filter=period:2031"
	        "&lang=ar",
	        NULL, NULL, 0, &r),
	    0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "direction=\"rtl\""));
	ck_assert_ptr_nonnull(strstr(r.body, "الشرق"));
	t_resp_free(&r);
	free(ana);
}
END_TEST

START_TEST(test_targets_and_alerts)
{
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char *ana_s = t_token("analyst-s", "gender_analyst", "souss-massa");
	struct t_resp r;
	json_t *b, *t, *e;
	size_t i;
	int found = 0;

	scripted_year();
	b = json_pack("{s:i, s:s}", "target_bp", 5000, "kind", "at_least");
	ck_assert_int_eq(t_json(&gender, "PUT",
	                        "/v1/gender/targets/"
	                        "women_selected/oriental",
	                        ana, b, &r),
	                 0);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	t_resp_free(&r);
	/* not the other region's */
	ck_assert_int_eq(t_json(&gender, "PUT",
	                        "/v1/gender/targets/"
	                        "women_selected/souss-massa",
	                        ana, b, &r),
	                 0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	json_decref(b);
	/* the public: 4 men selected is below 5, the share is suppressed */
	t = get(NULL, 200, "/v1/gender/targets?region=oriental&year=2031");
	json_array_foreach(
	    json_object_get(t, "items"), i,
	    e) if (strcmp(json_string_value(json_object_get(e, "indicator")),
	                  "women_selected") == 0)
	{
		ck_assert(json_is_true(json_object_get(e, "suppressed")));
		ck_assert(json_is_null(json_object_get(e, "value_bp")));
	}
	json_decref(t);
	/* the region's analyst reads it (audited) */
	t = get(ana, 200,
	        "/v1/gender/targets?region=oriental&year=2031&"
	        "unsuppressed=true");
	json_array_foreach(json_object_get(t, "items"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "indicator")),
		           "women_selected") != 0)
			continue;
		found = 1;
		/* 6 of 10 selected are women: 6000 vs 5000, on target */
		ck_assert_int_eq(
		    json_integer_value(json_object_get(e, "value_bp")), 6000);
		ck_assert_int_eq(
		    json_integer_value(json_object_get(e, "gap_bp")), 1000);
		ck_assert(json_is_false(json_object_get(e, "off_target")));
	}
	ck_assert(found);
	json_decref(t);
	/* Souss-Massa: 1 of 6 selected are women: 1667 < 4000, an alert
	 * for its analyst; the public does not see a suppressed alert */
	t = get(ana_s, 200,
	        "/v1/gender/alerts?region=souss-massa&year=2031&"
	        "unsuppressed=true");
	found = 0;
	json_array_foreach(json_object_get(t, "items"), i, e) found |=
	    strcmp(json_string_value(json_object_get(e, "indicator")),
	           "women_selected") == 0 &&
	    json_integer_value(json_object_get(e, "value_bp")) == 1667;
	ck_assert(found);
	json_decref(t);
	t = get(NULL, 200, "/v1/gender/alerts?region=souss-massa&year=2031");
	json_array_foreach(json_object_get(t, "items"), i, e)
	    ck_assert(strcmp(json_string_value(json_object_get(e, "indicator")),
	                     "women_selected") != 0);
	json_decref(t);
	json_decref(get(ana, 403,
	                "/v1/gender/alerts?region=souss-massa&"
	                "unsuppressed=true"));
	free(ana_s);
	free(ana);
}
END_TEST

START_TEST(test_cases_events)
{
	long long dead0 = t_redis_int("XLEN events:cases:dead");
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	static const char *const cs[3] = {
	    "0190c7a2-0000-7000-8000-000000000001",
	    "0190c7a2-0000-7000-8000-000000000002",
	    "0190c7a2-0000-7000-8000-000000000003"};
	json_t *f;

	/* 6 women and 5 men registered in 2032 */
	for (int i = 0; i < 11; i++)
		cases_event("cases.person.registered.v1",
		            "2032-01-05T10:00:00.000Z",
		            i < 6 ? "female" : "male", json_object());
	/* three cases opened on 10 January; first referrals after 4 and
	 * 10 days (women) and 6 days (the man); a second referral of the
	 * first case does not count */
	for (int i = 0; i < 3; i++)
		cases_event("cases.case.opened.v1", "2032-01-10T09:00:00.000Z",
		            i < 2 ? "female" : "male",
		            json_pack("{s:s, s:[s]}", "case_id", cs[i], "needs",
		                      "health"));
	cases_event("cases.referral.proposed.v1", "2032-01-14T09:00:00.000Z",
	            "female",
	            json_pack("{s:s, s:s}", "case_id", cs[0], "referral_id",
	                      "0190c7a2-0000-7000-8000-0000000000a1"));
	cases_event("cases.referral.proposed.v1", "2032-01-20T09:00:00.000Z",
	            "female",
	            json_pack("{s:s, s:s}", "case_id", cs[1], "referral_id",
	                      "0190c7a2-0000-7000-8000-0000000000a2"));
	cases_event("cases.referral.proposed.v1", "2032-01-16T09:00:00.000Z",
	            "male",
	            json_pack("{s:s, s:s}", "case_id", cs[2], "referral_id",
	                      "0190c7a2-0000-7000-8000-0000000000a3"));
	cases_event("cases.referral.proposed.v1", "2032-02-20T09:00:00.000Z",
	            "female",
	            json_pack("{s:s, s:s}", "case_id", cs[0], "referral_id",
	                      "0190c7a2-0000-7000-8000-0000000000a4"));
	for (int i = 0; i < 3; i++)
		cases_event(
		    "cases.referral.completed.v1", "2032-02-01T09:00:00.000Z",
		    i < 2 ? "female" : "male",
		    json_pack("{s:s, s:s, s:s}", "case_id", cs[i],
		              "referral_id",
		              i == 0   ? "0190c7a2-0000-7000-8000-0000000000a1"
		              : i == 1 ? "0190c7a2-0000-7000-8000-0000000000a2"
		                       : "0190c7a2-0000-7000-8000-0000000000a3",
		              "outcome", "successful"));
	/* a cases event gender does not project, however deep its name */
	cases_event("cases.directory.organization.created.v1",
	            "2032-01-05T10:00:00.000Z", "female",
	            json_pack("{s:s}", "organization_id",
	                      "0190c7a2-0000-7000-8000-0000000000b1"));
	ck_assert_int_eq(t_stream_settle("events:cases", "gender", 300, 20000),
	                 0);
	ck_assert_int_eq(t_redis_int("XLEN events:cases:dead"), dead0);
	f = get(ana, 200,
	        "/v1/gender/indicators/women_accompanied?"
	        "filter=region:oriental&filter=period:2032&unsuppressed=true");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), 6);
	ck_assert_int_eq(cell(f, NULL, NULL, "male"), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_array_get(json_object_get(f, "rows"), 0),
	                     "share_women_bp")),
	                 5455);
	json_decref(f);
	f = get(ana, 200,
	        "/v1/gender/indicators/women_referrals_completed?"
	        "filter=region:oriental&filter=period:2032&unsuppressed=true");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), 2);
	ck_assert_int_eq(cell(f, NULL, NULL, "male"), 1);
	json_decref(f);
	/* time to first referral by sex: the median of 4 and 10 days is 7 */
	f = get(ana, 200,
	        "/v1/gender/indicators/days_to_first_referral?"
	        "filter=region:oriental&filter=period:2032&unsuppressed=true");
	ck_assert(
	    json_real_value(json_object_get(
	        json_object_get(
	            json_object_get(
	                json_array_get(json_object_get(f, "rows"), 0), "cells"),
	            "female"),
	        "value")) == 7.0);
	ck_assert(
	    json_real_value(json_object_get(
	        json_object_get(
	            json_object_get(
	                json_array_get(json_object_get(f, "rows"), 0), "cells"),
	            "male"),
	        "value")) == 6.0);
	json_decref(f);
	/* the public: 2 women, 1 man: suppressed */
	f = get(NULL, 200,
	        "/v1/gender/indicators/days_to_first_referral?"
	        "filter=region:oriental&filter=period:2032");
	ck_assert_int_eq(cell(f, NULL, NULL, "female"), -1);
	json_decref(f);
	free(ana);
}
END_TEST

/* Through the gateway, which learns gender's routes from its table:
 * published figures without a token, cached; an analyst's unsuppressed
 * read is never served from the cache, so each one is audited. */
/* Start a gateway in front of this suite's gender service. */
static void
gateway_start(struct t_proc *gw)
{
	static char up[128];
	static const char *env[6];

	snprintf(up, sizeof(up), "MP_UPSTREAMS=gender=http://127.0.0.1:%d",
	         gender.port);
	env[0] = up;
	env[1] = "MP_UPSTREAM_PROBE_MS=200";
	/* test_graphql_indicators selects every field of the types */
	env[2] = "MP_GRAPHQL_MAX_COST=100000000";
	env[3] = "MP_GRAPHQL_MAX_DEPTH=20";
	/* the suite's anonymous reads share one address's counter, in the
	 * shared Redis, within a minute */
	env[4] = "MP_RATE_LIMITS=default=100000/60";
	env[5] = NULL;
	ck_assert_int_eq(t_gateway_start(gw, "gender-gateway", env), 0);
}

/* GET path through the gateway until it answers 200 (it learns gender's
 * route table at start-up): r holds that answer. */
static void
gateway_get_ok(const struct t_proc *gw, const char *path, struct t_resp *r)
{
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(t_http(gw, "GET", path, NULL, NULL, 0, r), 0);
		if (r->status == 200)
			return;
		t_resp_free(r);
		t_sleep_ms(200);
	}
	ck_abort_msg("GET %s never answered 200", path);
}

START_TEST(test_through_gateway)
{
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char auth[4096];
	const char *hdr[2] = {auth, NULL};
	struct t_proc gw;
	struct t_resp r;
	long long before;

	scripted_year();
	gateway_start(&gw);
	gateway_get_ok(
	    &gw,
	    "/v1/gender/indicators/women_applicants?dimension=region&"
	    "filter=period:2031Q1;2031Q2",
	    &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(
	        json_object_get(r.json, "totals"), "share_women_bp")),
	    4545);
	t_resp_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ana);
	before = db_count("SELECT count(*) FROM unsuppressed_reads");
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(t_http(&gw, "GET",
		                        "/v1/gender/indicators/"
		                        "women_selected?filter=region:oriental&"
		                        "filter=period:2031&unsuppressed=true",
		                        hdr, NULL, 0, &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_nonnull(strstr(r.body, "\"suppressed\":false"));
		t_resp_free(&r);
	}
	ck_assert_int_eq(db_count("SELECT count(*) FROM unsuppressed_reads"),
	                 before + 3);
	/* writes still need a token */
	ck_assert_int_eq(
	    t_http(&gw, "POST", "/v1/gender/diagnostics", NULL, "{}", 2, &r),
	    0);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);
	t_proc_stop(&gw);
	free(ana);
}
END_TEST

/* The indicators through GraphQL (openapi/schema.graphql): the scripted
 * year's figures, exactly (20 holders applied in Oriental and 13 in
 * Souss-Massa in the first half, whose 3 women are suppressed, and so
 * Oriental's cells too, the women's share 4545 bp), and every
 * field of the indicators' types compared with the REST answer it is read
 * from (tests/graphql/shapes.mjs). */
START_TEST(test_graphql_indicators)
{
	struct t_proc gw;
	struct t_resp r;
	json_t *b, *fig, *row;
	const char *region;
	size_t i;
	int seen = 0;

	scripted_year();
	gateway_start(&gw);
	gateway_get_ok(&gw, "/v1/gender/indicators", &r);
	t_resp_free(&r);
	b = json_pack(
	    "{s:s}", "query",
	    "{ indicatorFigures(code: \"women_applicants\", dimension: "
	    "[\"region\"], filter: [\"period:2031Q1;2031Q2\"]) { "
	    "indicator dimensions rows { region female { value suppressed } "
	    "male { value } total { value } } totals { shareWomenBp } "
	    "disclosure { threshold } } }");
	ck_assert_int_eq(t_json(&gw, "POST", "/graphql", NULL, b, &r), 0);
	json_decref(b);
	ck_assert_msg(r.status == 200 &&
	                  json_object_get(r.json, "errors") == NULL,
	              "%ld %s", r.status, r.body);
	fig = json_object_get(json_object_get(r.json, "data"),
	                      "indicatorFigures");
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(fig, "totals"), "shareWomenBp")),
	                 4545);
	json_array_foreach(json_object_get(fig, "rows"), i, row)
	{
		region = json_string_value(json_object_get(row, "region"));
		ck_assert(json_is_null(
		    json_object_get(json_object_get(row, "female"), "value")));
		ck_assert(json_is_true(json_object_get(
		    json_object_get(row, "female"), "suppressed")));
		if (strcmp(region, "oriental") == 0) {
			ck_assert_double_eq(
			    json_number_value(json_object_get(
			        json_object_get(row, "total"), "value")),
			    20);
			seen |= 1;
		} else if (strcmp(region, "souss-massa") == 0) {
			ck_assert_double_eq(
			    json_number_value(json_object_get(
			        json_object_get(row, "total"), "value")),
			    13);
			seen |= 2;
		}
	}
	ck_assert_msg(seen == 3, "%s", r.body);
	t_resp_free(&r);
	ck_assert_int_eq(t_tool("node tests/graphql/shapes.mjs "
	                        "http://127.0.0.1:%d gender '' 2031",
	                        gw.port),
	                 0);
	t_proc_stop(&gw);
}
END_TEST

/* One application of 2033 in Oriental (Oujda, 25-34, MRE), submitted. */
static void
applicant_2033(int n, const char *sex)
{
	char app[37], *ev;
	json_t *d;

	snprintf(app, sizeof(app), "0190c7a5-%04x-7000-8000-%012d", n & 0xffff,
	         n);
	d = app_stats(app, "oriental", "oujda", sex, "25-34", "mre", 1, 100000);
	json_object_set_new(d, "from", json_string("draft"));
	json_object_set_new(d, "to", json_string("submitted"));
	ev = cloudevent("funding.application.submitted.v1",
	                "2033-03-10T09:00:00.000Z", d, NULL);
	xadd_raw("funding.application.submitted.v1", ev);
	free(ev);
}

/* The X-Cache header of r is `want` ("hit" or "miss"). */
static int
x_cache_is(const struct t_resp *r, const char *want)
{
	char v[32];

	return t_resp_header(r, "X-Cache", v, sizeof(v)) == 0 &&
	       strcmp(v, want) == 0;
}

/* Published figures with repeated dimension= and filter= are cached by
 * the gateway under a canonical key: the order of the parameters, and of
 * a repeated one's values, does not create another entry (the service
 * answers the same for every order), another set of dimensions is never
 * confused with it, and gender.indicator.updated.v1 drops them. */
START_TEST(test_figures_cached_through_gateway)
{
	static const char a_path[] =
	    "/v1/gender/indicators/women_applicants?dimension=region&"
	    "dimension=age_band&filter=period:2033&filter=commune:oujda";
	static const char a_shuffled[] =
	    "/v1/gender/indicators/women_applicants?filter=commune:oujda&"
	    "dimension=age_band&filter=period:2033&dimension=region";
	/* the same dimensions in one name's values: another entry */
	static const char c_path[] =
	    "/v1/gender/indicators/women_applicants?dimension=region&"
	    "dimension=age_band&dimension=beneficiary_type&"
	    "filter=period:2033&filter=commune:oujda";
	const char *fresh[] = {"Cache-Control: no-cache", NULL};
	struct t_proc gw;
	struct t_resp a1, a2, a3, a4, c1, r;
	int i;

	for (i = 0; i < 12; i++)
		applicant_2033(i + 1, i < 6 ? "female" : "male");
	settle();
	gateway_start(&gw);
	gateway_get_ok(&gw, a_path, &a1);
	ck_assert_int_eq(cell(a1.json, "region", "oriental", "female"), 6);
	ck_assert(!x_cache_is(&a1, "hit"));
	/* the same query again, then with its parameters and the values of
	 * dimension= and filter= in another order: hits, the same bytes */
	ck_assert_int_eq(t_http(&gw, "GET", a_path, NULL, NULL, 0, &a2), 0);
	ck_assert(x_cache_is(&a2, "hit"));
	ck_assert_int_eq(t_http(&gw, "GET", a_shuffled, NULL, NULL, 0, &a3), 0);
	ck_assert_int_eq(a3.status, 200);
	ck_assert(x_cache_is(&a3, "hit"));
	ck_assert_uint_eq(a1.len, a3.len);
	ck_assert(memcmp(a1.body, a3.body, a1.len) == 0);
	/* which is right: the service itself answers that order the same */
	ck_assert_int_eq(t_http(&gw, "GET", a_shuffled, fresh, NULL, 0, &a4),
	                 0);
	ck_assert(x_cache_is(&a4, "miss"));
	ck_assert_uint_eq(a1.len, a4.len);
	ck_assert(memcmp(a1.body, a4.body, a1.len) == 0);
	/* a third dimension: its own entry and its own answer */
	ck_assert_int_eq(t_http(&gw, "GET", c_path, NULL, NULL, 0, &c1), 0);
	ck_assert_int_eq(c1.status, 200);
	ck_assert(x_cache_is(&c1, "miss"));
	ck_assert_int_eq(
	    json_array_size(json_object_get(c1.json, "dimensions")),
	    json_array_size(json_object_get(a1.json, "dimensions")) + 1);
	t_resp_free(&c1);
	ck_assert_int_eq(t_http(&gw, "GET", c_path, NULL, NULL, 0, &c1), 0);
	ck_assert(x_cache_is(&c1, "hit"));
	/* one more woman applies: the service's event drops the entry */
	applicant_2033(13, "female");
	settle();
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(t_http(&gw, "GET", a_path, NULL, NULL, 0, &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		if (cell(r.json, "region", "oriental", "female") == 7)
			break;
		ck_assert(x_cache_is(&r, "hit"));
		t_resp_free(&r);
		t_sleep_ms(100);
	}
	ck_assert_int_eq(cell(r.json, "region", "oriental", "female"), 7);
	ck_assert(x_cache_is(&r, "miss"));
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&gw, "GET", a_shuffled, NULL, NULL, 0, &r), 0);
	ck_assert(x_cache_is(&r, "hit"));
	ck_assert_int_eq(cell(r.json, "region", "oriental", "female"), 7);
	t_resp_free(&r);
	t_resp_free(&a1);
	t_resp_free(&a2);
	t_resp_free(&a3);
	t_resp_free(&a4);
	t_resp_free(&c1);
	t_proc_stop(&gw);
}
END_TEST

START_TEST(test_routes_equal_openapi)
{
	t_assert_routes_match_openapi(&gender, "openapi/gender.yaml");
}
END_TEST

static Suite *
gender_suite(void)
{
	Suite *s = suite_create("gender");
	TCase *tc = tcase_create("indicators");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_routes_equal_openapi);
	tcase_add_test(tc, test_programme_year_exact);
	tcase_add_test(tc, test_unsuppressed_only_own_region_and_audited);
	tcase_add_test(tc, test_duplicate_and_redelivered_events);
	tcase_add_test(tc, test_dead_letters_and_consumer_goes_on);
	tcase_add_test(tc, test_open_data);
	tcase_add_test(tc, test_chart_rasterised);
	tcase_add_test(tc, test_targets_and_alerts);
	tcase_add_test(tc, test_real_funding_events);
	tcase_add_test(tc, test_cases_events);
	tcase_add_test(tc, test_through_gateway);
	tcase_add_test(tc, test_graphql_indicators);
	tcase_add_test(tc, test_figures_cached_through_gateway);
	tcase_add_test(tc, test_rebuild_gives_same_figures);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return t_run(gender_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
