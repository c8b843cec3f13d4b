/*
 * The cases service over HTTP against real PostgreSQL and Redis: its
 * routes equal openapi/cases.yaml; a person's whole path (training and
 * certification, registration, consent, case, referral, mediation,
 * closure) with its events and no personal data in them; an agent of
 * another commune and an officer of another region on every route (404 as
 * for a missing id; the suite fails if a route is not probed); an
 * uncertified or expired agent refused; withdrawn consent blocking work;
 * export and erasure; the audit trail and its append-only table;
 * ciphertext in the table; no personal data in logs or /metrics;
 * malformed and oversized bodies; key rotation while the service runs;
 * GraphQL as the caller, persons and the @personal rule included.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "mp/util.h"

#include "support.h"

/* Invented people only. */
#define GIVEN "Zineb"
#define FAMILY "Ouhaddou"
#define PHONE "+212600000042"

static struct t_proc svc;
/* where req() sends its requests: the service, or a gateway before it */
static const struct t_proc *target = &svc;

/* One run's actors: unique subjects so that tests sharing the database do
 * not see each other's certifications. */
struct actors {
	char off[64], off_or[64], agent[64], agent2[64], agent_or[64];
	char med[64], uncert[64];
	char *t_off, *t_off_or, *t_agent, *t_agent2, *t_agent_or, *t_med;
	char *t_uncert;
	char session[40], cert_agent[40];
};

/* A person's path ids. */
struct path {
	char person[40], consent[40], kase[40], referral[40], mediation[40];
	char sal[40], service[40], note[40];
};

static void setup(void);
static void teardown(void);
static json_t *req(const char *token, const char *method, json_t *body,
                   int want, const char *fmt, ...);
static char *sql1(const char *q, const char *arg);
static int sql_exec(const char *q, const char *arg);
static void actors_make(struct actors *a);
static void actors_free(struct actors *a);
static void directory_entry(const char *status, char sal[40], char service[40]);
static void person_path(struct actors *a, struct path *p);
static const char *str(const json_t *o, const char *key);
static int stream_has_pii(void);

static void
setup(void)
{
	if (t_service_start(&svc, "cases", NULL) != 0) {
		fprintf(stderr, "cases did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&svc);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string \"%s\"", key);
	return s;
}

/* A request with a JSON body (stolen, may be NULL); fails the test unless
 * the status is `want`. Returns the parsed answer (caller releases). */
static json_t *
req(const char *token, const char *method, json_t *body, int want,
    const char *fmt, ...)
{
	char path[512];
	struct t_resp r;
	json_t *out;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	ck_assert_int_eq(t_json(target, method, path, token, body, &r), 0);
	ck_assert_msg(r.status == want, "%s %s: want %d, got %ld: %s", method,
	              path, want, r.status, r.body);
	out = r.json != NULL ? json_incref(r.json) : json_object();
	t_resp_free(&r);
	json_decref(body);
	return out;
}

/* The first value of `q` ($1 = arg) as the service's own database role,
 * malloc'd, or NULL for no row / SQL NULL. */
static char *
sql1(const char *q, const char *arg)
{
	return t_db_scalar("cases", q, arg);
}

/* Run a statement as the service's role: 0, or -1 when it failed. */
static int
sql_exec(const char *q, const char *arg)
{
	char url[256];
	const char *params[1] = {arg};
	PGconn *pg;
	PGresult *res;
	int rc;

	t_db_url("cases", url, sizeof(url));
	pg = PQconnectdb(url);
	ck_assert_int_eq(PQstatus(pg), CONNECTION_OK);
	res = PQexecParams(pg, q, arg != NULL ? 1 : 0, NULL, params, NULL, NULL,
	                   0);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ||
	             PQresultStatus(res) == PGRES_TUPLES_OK
	         ? 0
	         : -1;
	PQclear(res);
	PQfinish(pg);
	return rc;
}

/* Officers of both regions; an agent of Agadir, one of Inezgane, one of
 * Oujda and a mediator of Souss-Massa, trained and certified; an agent
 * of Agadir never certified. */
static void
actors_make(struct actors *a)
{
	char u[40];
	json_t *o;

	ck_assert_int_eq(mp_uuid_v7(u), 0);
	snprintf(a->off, sizeof(a->off), "off-%s", u);
	snprintf(a->off_or, sizeof(a->off_or), "offor-%s", u);
	snprintf(a->agent, sizeof(a->agent), "agent-%s", u);
	snprintf(a->agent2, sizeof(a->agent2), "agent2-%s", u);
	snprintf(a->agent_or, sizeof(a->agent_or), "agentor-%s", u);
	snprintf(a->med, sizeof(a->med), "med-%s", u);
	snprintf(a->uncert, sizeof(a->uncert), "uncert-%s", u);
	a->t_off = t_token(a->off, "council_officer", "souss-massa");
	a->t_off_or = t_token(a->off_or, "council_officer", "oriental");
	a->t_agent = t_token_commune(a->agent, "municipal_agent", "souss-massa",
	                             "agadir");
	a->t_agent2 = t_token_commune(a->agent2, "municipal_agent",
	                              "souss-massa", "inezgane");
	a->t_agent_or = t_token_commune(a->agent_or, "municipal_agent",
	                                "oriental", "oujda");
	a->t_med = t_token(a->med, "mediator", "souss-massa");
	a->t_uncert = t_token_commune(a->uncert, "municipal_agent",
	                              "souss-massa", "agadir");

	o = req(a->t_off, "POST",
	        json_pack("{s:s, s:s, s:s, s:s, s:s}", "region", "souss-massa",
	                  "commune", "agadir", "module",
	                  "reception_orientation", "held_on", "2026-11-20",
	                  "trainer", "Formatrice du programme"),
	        201, "/v1/cases/training/sessions");
	snprintf(a->session, sizeof(a->session), "%s", str(o, "id"));
	json_decref(o);
	json_decref(
	    req(a->t_off, "PUT",
	        json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, "
	                  "{s:s, s:s, s:s}]}",
	                  "attendees", "person_sub", a->agent, "role",
	                  "municipal_agent", "sex", "female", "person_sub",
	                  a->agent2, "role", "municipal_agent", "sex", "male",
	                  "person_sub", a->med, "role", "mediator", "sex",
	                  "female"),
	        200, "/v1/cases/training/sessions/%s/attendance", a->session));
	o = req(a->t_off, "POST",
	        json_pack("{s:s, s:s}", "person_sub", a->agent, "session_id",
	                  a->session),
	        201, "/v1/cases/training/certifications");
	snprintf(a->cert_agent, sizeof(a->cert_agent), "%s", str(o, "id"));
	ck_assert(json_is_true(json_object_get(o, "current")));
	json_decref(o);
	json_decref(req(a->t_off, "POST",
	                json_pack("{s:s, s:s}", "person_sub", a->agent2,
	                          "session_id", a->session),
	                201, "/v1/cases/training/certifications"));
	json_decref(req(a->t_off, "POST",
	                json_pack("{s:s, s:s}", "person_sub", a->med,
	                          "session_id", a->session),
	                201, "/v1/cases/training/certifications"));
	/* the uncertified agent never attended: no certification */
	json_decref(req(a->t_off, "POST",
	                json_pack("{s:s, s:s}", "person_sub", a->uncert,
	                          "session_id", a->session),
	                400, "/v1/cases/training/certifications"));
	/* Oujda's agent, trained in Oriental */
	o = req(a->t_off_or, "POST",
	        json_pack("{s:s, s:s, s:s, s:s, s:s}", "region", "oriental",
	                  "commune", "oujda", "module", "reception_orientation",
	                  "held_on", "2026-11-21", "trainer", "F"),
	        201, "/v1/cases/training/sessions");
	json_decref(req(
	    a->t_off_or, "PUT",
	    json_pack("{s:[{s:s, s:s, s:s}]}", "attendees", "person_sub",
	              a->agent_or, "role", "municipal_agent", "sex", "male"),
	    200, "/v1/cases/training/sessions/%s/attendance", str(o, "id")));
	json_decref(req(a->t_off_or, "POST",
	                json_pack("{s:s, s:s}", "person_sub", a->agent_or,
	                          "session_id", str(o, "id")),
	                201, "/v1/cases/training/certifications"));
	json_decref(o);
}

static void
actors_free(struct actors *a)
{
	free(a->t_off);
	free(a->t_off_or);
	free(a->t_agent);
	free(a->t_agent2);
	free(a->t_agent_or);
	free(a->t_med);
	free(a->t_uncert);
}

/* A directory organisation, service (civil status) and its
 * service-at-location in Agadir, written as the directory's officers
 * would. */
static void
directory_entry(const char *status, char sal[40], char service[40])
{
	char *v;

	v = sql1(
	    "WITH o AS (INSERT INTO organizations (region, name, "
	    "description) VALUES ('souss-massa', '{\"fr\": \"Association "
	    "Tamount\"}', '{\"fr\": \"Aide administrative\"}') RETURNING id), "
	    "s AS (INSERT INTO services (organization_id, region, name, "
	    "description, status) SELECT id, 'souss-massa', '{\"fr\": \"État "
	    "civil\"}', '{\"fr\": \"Actes\"}', $1 FROM o RETURNING id, "
	    "organization_id), a AS (INSERT INTO service_attributes "
	    "(service_id, taxonomy_term_id) SELECT s.id, t.id FROM s, "
	    "taxonomy_terms t WHERE t.code = 'civil_status'), l AS (INSERT "
	    "INTO locations (organization_id, region, commune, name, latitude, "
	    "longitude) SELECT "
	    "id, 'souss-massa', 'agadir', '{\"fr\": \"Bureau\"}', 30.42, -9.6 "
	    "FROM o "
	    "RETURNING id) INSERT INTO service_at_location (service_id, "
	    "location_id, region, commune) SELECT s.id, l.id, 'souss-massa', "
	    "'agadir' FROM s, l RETURNING id::text || ' ' || service_id::text",
	    status);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(sscanf(v, "%39s %39s", sal, service), 2);
	free(v);
}

/* Registration, consent, case, referral consent, referral: the start of
 * every path below. */
static void
person_path(struct actors *a, struct path *p)
{
	json_t *o;

	directory_entry("active", p->sal, p->service);
	o = req(a->t_agent, "POST",
	        json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, "
	                  "s:[s, s], s:s}",
	                  "given_name", GIVEN, "family_name", FAMILY, "sex",
	                  "female", "birth_year", 1988, "nationality", "MA",
	                  "beneficiary_type", "mre", "languages", "ar", "fr",
	                  "phone", PHONE),
	        201, "/v1/cases/persons");
	snprintf(p->person, sizeof(p->person), "%s", str(o, "id"));
	ck_assert_str_eq(str(json_object_get(o, "identity"), "given_name"),
	                 GIVEN);
	ck_assert_str_eq(str(o, "commune"), "agadir");
	json_decref(o);
	o = req(a->t_agent, "POST",
	        json_pack("{s:s, s:s, s:s}", "purpose", "accompaniment",
	                  "given_to", "Commune d'Agadir", "recorded_how",
	                  "written"),
	        201, "/v1/cases/persons/%s/consents", p->person);
	snprintf(p->consent, sizeof(p->consent), "%s", str(o, "id"));
	json_decref(o);
	o = req(a->t_agent, "POST",
	        json_pack("{s:s, s:[s, s], s:[s]}", "person_id", p->person,
	                  "needs", "civil_status", "health", "vulnerabilities",
	                  "single_parent"),
	        201, "/v1/cases/cases");
	snprintf(p->kase, sizeof(p->kase), "%s", str(o, "id"));
	ck_assert_str_eq(str(o, "status"), "open");
	json_decref(o);
	json_decref(
	    req(a->t_agent, "POST",
	        json_pack("{s:s, s:s, s:s, s:s}", "purpose", "referral",
	                  "service_id", p->service, "given_to",
	                  "Association Tamount", "recorded_how", "oral"),
	        201, "/v1/cases/persons/%s/consents", p->person));
	o = req(a->t_agent, "POST",
	        json_pack("{s:s, s:s, s:s}", "service_at_location_id", p->sal,
	                  "need", "civil_status", "follow_up_on", "2026-01-15"),
	        201, "/v1/cases/cases/%s/referrals", p->kase);
	snprintf(p->referral, sizeof(p->referral), "%s", str(o, "id"));
	ck_assert_str_eq(str(o, "status"), "proposed");
	json_decref(o);
	o = req(a->t_agent, "POST",
	        json_pack("{s:s}", "text",
	                  "Besoin d'un "
	                  "extrait d'acte de naissance pour " GIVEN),
	        201, "/v1/cases/cases/%s/notes", p->kase);
	snprintf(p->note, sizeof(p->note), "%s", str(o, "id"));
	json_decref(o);
}

/* The agent assigns the case to the mediator, who records an
 * accompaniment to court. */
static void
mediator_takes_over(struct actors *a, struct path *p)
{
	json_decref(req(a->t_agent, "PUT",
	                json_pack("{s:s, s:s}", "assignee_sub", a->med,
	                          "assignee_role", "mediator"),
	                200, "/v1/cases/cases/%s/assignment", p->kase));
	json_decref(req(a->t_med, "POST",
	                json_pack("{s:s, s:s, s:s}", "administration", "court",
	                          "purpose", "Audience", "accompanied_on",
	                          "2026-12-02"),
	                201, "/v1/cases/cases/%s/mediations", p->kase));
}

/* 1 if any event of events:cases carries a name, phone or person id. */
static int
stream_has_pii(void)
{
	json_t *events = t_stream_events("events:cases"), *e;
	size_t i;
	int found = 0;
	char *text;

	ck_assert_ptr_nonnull(events);
	json_array_foreach(events, i, e)
	{
		text = json_dumps(e, JSON_COMPACT);
		if (strstr(text, GIVEN) != NULL ||
		    strstr(text, FAMILY) != NULL ||
		    strstr(text, PHONE) != NULL ||
		    strstr(text, "\"person_id\"") != NULL ||
		    strstr(text, "identity") != NULL)
			found = 1;
		free(text);
	}
	json_decref(events);
	return found;
}

START_TEST(routes_equal_openapi)
{
	t_assert_routes_match_openapi(&svc, "openapi/cases.yaml");
}
END_TEST

START_TEST(whole_path_with_events)
{
	struct actors a;
	struct path p;
	json_t *o, *events, *e;
	char *v;
	size_t i, n0;

	events = t_stream_events("events:cases");
	n0 = json_array_size(events);
	json_decref(events);
	actors_make(&a);
	person_path(&a, &p);

	/* a raw SELECT shows ciphertext, bound to its key id */
	v = sql1("SELECT identity_enc FROM persons WHERE id = $1::uuid",
	         p.person);
	ck_assert_ptr_nonnull(v);
	ck_assert(strncmp(v, "enc1:test-2:", 12) == 0);
	ck_assert_ptr_null(strstr(v, GIVEN));
	free(v);
	v = sql1("SELECT body_enc FROM case_notes WHERE id = $1::uuid", p.note);
	ck_assert(strncmp(v, "enc1:test-2:", 12) == 0);
	free(v);
	v = sql1("SELECT count(*) FROM persons WHERE identity_enc LIKE $1",
	         "%" GIVEN "%");
	ck_assert_str_eq(v, "0");
	free(v);

	/* search by name: any word, any case, any accent */
	o = req(a.t_agent, "GET", NULL, 200,
	        "/v1/cases/persons?name=zin%%C3%%A9b"
	        "%%20OUHADDOU");
	ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 1);
	ck_assert_str_eq(
	    str(json_object_get(json_array_get(json_object_get(o, "items"), 0),
	                        "identity"),
	        "family_name"),
	    FAMILY);
	json_decref(o);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons?name=Zaynab");
	ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);
	/* an agent of another commune finds nobody */
	o = req(a.t_agent2, "GET", NULL, 200, "/v1/cases/persons?name=zineb");
	ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);

	/* the referral goes its way */
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "start"),
	                200, "/v1/cases/cases/%s/transitions", p.kase));
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "send"),
	                200, "/v1/cases/referrals/%s/transitions", p.referral));
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "accept"),
	                200, "/v1/cases/referrals/%s/transitions", p.referral));
	/* a successful outcome needs its reason */
	o = req(a.t_agent, "POST",
	        json_pack("{s:s, s:s, s:s}", "to", "complete", "outcome",
	                  "successful", "outcome_reason", "person_refused"),
	        400, "/v1/cases/referrals/%s/transitions", p.referral);
	ck_assert_str_eq(
	    str(json_array_get(json_object_get(o, "errors"), 0), "field"),
	    "outcome_reason");
	json_decref(o);
	o = req(a.t_agent, "POST",
	        json_pack("{s:s, s:s, s:s}", "to", "complete", "outcome",
	                  "successful", "outcome_reason", "need_met"),
	        200, "/v1/cases/referrals/%s/transitions", p.referral);
	ck_assert_str_eq(str(o, "status"), "completed");
	json_decref(o);
	/* an illegal change: 409 with the allowed states */
	o = req(a.t_agent, "POST", json_pack("{s:s}", "to", "sent"), 409,
	        "/v1/cases/referrals/%s/transitions", p.referral);
	ck_assert_int_eq(json_array_size(json_object_get(o, "allowed")), 0);
	json_decref(o);

	/* an officer writes no note on a case nobody is assigned to */
	json_decref(req(a.t_off, "POST", json_pack("{s:s}", "text", "x"), 403,
	                "/v1/cases/cases/%s/notes", p.kase));
	/* the mediator, once assigned, accompanies the person */
	json_decref(
	    req(a.t_med, "GET", NULL, 404, "/v1/cases/cases/%s", p.kase));
	json_decref(req(a.t_agent, "PUT",
	                json_pack("{s:s, s:s}", "assignee_sub", a.med,
	                          "assignee_role", "mediator"),
	                200, "/v1/cases/cases/%s/assignment", p.kase));
	o = req(a.t_med, "POST",
	        json_pack("{s:s, s:s, s:s}", "administration", "prefecture",
	                  "purpose",
	                  "Dépôt du dossier de "
	                  "régularisation",
	                  "accompanied_on", "2026-12-01"),
	        201, "/v1/cases/cases/%s/mediations", p.kase);
	snprintf(p.mediation, sizeof(p.mediation), "%s", str(o, "id"));
	json_decref(o);
	json_decref(req(a.t_med, "PATCH",
	                json_pack("{s:s}", "outcome", "resolved"), 200,
	                "/v1/cases/mediations/%s", p.mediation));
	/* the case resolved, then closed with a reason */
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "resolve"),
	                200, "/v1/cases/cases/%s/transitions", p.kase));
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "close"),
	                400, "/v1/cases/cases/%s/transitions", p.kase));
	o = req(a.t_agent, "POST",
	        json_pack("{s:s, s:s}", "to", "close", "reason", "other"), 200,
	        "/v1/cases/cases/%s/transitions", p.kase);
	ck_assert_str_eq(str(o, "status"), "closed");
	json_decref(o);
	o = req(a.t_agent, "POST", json_pack("{s:s}", "to", "resolve"), 409,
	        "/v1/cases/cases/%s/transitions", p.kase);
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_object_get(o, "allowed"), 0)),
	    "in_progress");
	json_decref(o);
	/* the case with its notes opened for its reader */
	o = req(a.t_off, "GET", NULL, 200, "/v1/cases/cases/%s", p.kase);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(
	               json_array_get(json_object_get(o, "notes"), 0), "text")),
	           GIVEN));
	ck_assert_ptr_null(json_object_get(
	    json_array_get(json_object_get(o, "notes"), 0), "body_enc"));
	json_decref(o);
	/* officers read notes, write them only when assigned */
	json_decref(req(a.t_off, "POST", json_pack("{s:s}", "text", "x"), 403,
	                "/v1/cases/cases/%s/notes", p.kase));

	/* the events, in order, with no personal data */
	t_sleep_ms(300);
	events = t_stream_events("events:cases");
	{
		static const char *const want[] = {
		    "cases.training.session_created.v1",
		    "cases.person.registered.v1",
		    "cases.consent.given.v1",
		    "cases.case.opened.v1",
		    "cases.referral.proposed.v1",
		    "cases.case.note_added.v1",
		    "cases.referral.completed.v1",
		    "cases.mediation.recorded.v1",
		    "cases.case.status_changed.v1",
		    NULL};
		size_t k = 0;

		for (i = n0; i < json_array_size(events) && want[k] != NULL;
		     i++) {
			e = json_array_get(events, i);
			if (strcmp(str(e, "type"), want[k]) == 0)
				k++;
		}
		ck_assert_msg(want[k] == NULL, "event %s missing", want[k]);
		json_array_foreach(
		    events, i,
		    e) if (strcmp(str(e, "type"),
		                  "cases.referral.completed.v1") == 0)
		{
			json_t *d = json_object_get(e, "data");

			ck_assert_str_eq(str(d, "outcome"), "successful");
			ck_assert_str_eq(str(d, "sex"), "female");
			ck_assert_str_eq(str(d, "age_band"), "35-49");
		}
		/* the certifications carry the agent's own sex (the
		 * gender service counts certified agents by it) */
		k = 0;
		json_array_foreach(
		    events, i,
		    e) if (strcmp(str(e, "type"),
		                  "cases.training.certified.v1") == 0 &&
		           strcmp(str(e, "subject"), a.cert_agent) == 0)
		{
			json_t *d = json_object_get(e, "data");

			ck_assert_str_eq(str(d, "sex"), "female");
			ck_assert_str_eq(str(d, "region"), "souss-massa");
			ck_assert_str_eq(str(d, "commune"), "agadir");
			ck_assert_str_eq(str(d, "role"), "municipal_agent");
			k++;
		}
		ck_assert_int_eq(k, 1);
	}
	json_decref(events);
	ck_assert_int_eq(stream_has_pii(), 0);
	actors_free(&a);
}
END_TEST

/* Every route of the service, with a body it would accept; ids are
 * filled from one person's path. */
struct probe {
	const char *method, *path, *body;
};

static const struct probe probes[] = {
    {"GET", "/v1/cases/persons/{person}", NULL},
    {"PATCH", "/v1/cases/persons/{person}", "{\"phone\": \"+212611111111\"}"},
    {"POST", "/v1/cases/persons/{person}/consents",
     "{\"purpose\": \"statistics\", \"given_to\": \"x\", "
     "\"recorded_how\": \"oral\"}"},
    {"POST", "/v1/cases/consents/{consent}/withdrawal", "{}"},
    {"GET", "/v1/cases/persons/{person}/export", NULL},
    {"POST", "/v1/cases/persons/{person}/erasure", "{}"},
    {"POST", "/v1/cases/cases",
     "{\"person_id\": \"{person}\", "
     "\"needs\": [\"health\"]}"},
    {"GET", "/v1/cases/cases/{case}", NULL},
    {"POST", "/v1/cases/cases/{case}/transitions", "{\"to\": \"start\"}"},
    {"PUT", "/v1/cases/cases/{case}/assignment",
     "{\"assignee_sub\": \"x\", \"assignee_role\": \"council_officer\"}"},
    {"POST", "/v1/cases/cases/{case}/notes", "{\"text\": \"x\"}"},
    {"POST", "/v1/cases/cases/{case}/referrals",
     "{\"service_at_location_id\": \"{sal}\", \"need\": \"health\"}"},
    {"GET", "/v1/cases/referrals/{referral}", NULL},
    {"POST", "/v1/cases/referrals/{referral}/transitions",
     "{\"to\": \"send\"}"},
    {"POST", "/v1/cases/cases/{case}/mediations",
     "{\"administration\": \"court\", \"purpose\": \"x\", "
     "\"accompanied_on\": \"2026-12-01\"}"},
    {"PATCH", "/v1/cases/mediations/{mediation}",
     "{\"outcome\": "
     "\"postponed\"}"},
    {"PUT", "/v1/cases/training/sessions/{session}/attendance",
     "{\"attendees\": []}"},
    {"POST", "/v1/cases/training/certifications/{cert}/revocation", "{}"},
    {NULL, NULL, NULL},
};

/* A digest of everything the probes could change. */
#define STATE_DIGEST                                                           \
	"SELECT md5(string_agg(t, ',' ORDER BY t)) FROM (SELECT x::text FROM " \
	"persons x UNION ALL SELECT x::text FROM consents x UNION ALL SELECT " \
	"x::text FROM cases x UNION ALL SELECT x::text FROM case_notes x "     \
	"UNION ALL SELECT x::text FROM referrals x UNION ALL SELECT x::text "  \
	"FROM mediations x UNION ALL SELECT x::text FROM certifications x "    \
	"UNION ALL SELECT x::text FROM training_attendance x UNION ALL "       \
	"SELECT x::text FROM trainees x) s(t)"

/* Routes that name no resource: what another commune or region gets
 * there is its own (or nothing), checked apart below. */
static const char *const unprobed_ok[] = {
    "POST /v1/cases/persons",
    "GET /v1/cases/persons",
    "GET /v1/cases/cases",
    "GET /v1/cases/referrals/overdue",
    "POST /v1/cases/training/sessions",
    "GET /v1/cases/training/sessions",
    "POST /v1/cases/training/certifications",
    "GET /v1/cases/training/certifications",
    "GET /v1/cases/audit",
    "GET /v1/cases/dashboard",
    NULL};

static void
fill(char *out, size_t cap, const char *tmpl, const struct path *p,
     const struct actors *a)
{
	size_t o = 0;

	for (const char *s = tmpl; *s != '\0' && o + 40 < cap;) {
		const char *v = NULL;
		size_t skip = 0;

		if (strncmp(s, "{person}", 8) == 0)
			v = p->person, skip = 8;
		else if (strncmp(s, "{consent}", 9) == 0)
			v = p->consent, skip = 9;
		else if (strncmp(s, "{case}", 6) == 0)
			v = p->kase, skip = 6;
		else if (strncmp(s, "{referral}", 10) == 0)
			v = p->referral, skip = 10;
		else if (strncmp(s, "{mediation}", 11) == 0)
			v = p->mediation, skip = 11;
		else if (strncmp(s, "{sal}", 5) == 0)
			v = p->sal, skip = 5;
		else if (strncmp(s, "{session}", 9) == 0)
			v = a->session, skip = 9;
		else if (strncmp(s, "{cert}", 6) == 0)
			v = a->cert_agent, skip = 6;
		if (v != NULL) {
			o += (size_t)snprintf(out + o, cap - o, "%s", v);
			s += skip;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
}

START_TEST(other_commune_and_region_on_every_route)
{
	struct actors a;
	struct path p;
	struct t_resp r;
	char path[512], body[1024], op[600], *before, *after;
	json_t *probed = json_array(), *e, *o;
	size_t i;

	actors_make(&a);
	person_path(&a, &p);
	o = req(a.t_agent, "PUT",
	        json_pack("{s:s, s:s}", "assignee_sub", a.med, "assignee_role",
	                  "mediator"),
	        200, "/v1/cases/cases/%s/assignment", p.kase);
	json_decref(o);
	o = req(a.t_med, "POST",
	        json_pack("{s:s, s:s, s:s}", "administration", "consulate",
	                  "purpose", "Passeport", "accompanied_on",
	                  "2026-12-02"),
	        201, "/v1/cases/cases/%s/mediations", p.kase);
	snprintf(p.mediation, sizeof(p.mediation), "%s", str(o, "id"));
	json_decref(o);
	before = sql1(STATE_DIGEST, NULL);
	for (const struct probe *pr = probes; pr->method != NULL; pr++) {
		const char *intruders[] = {a.t_agent2, a.t_agent_or, a.t_off_or,
		                           NULL};

		fill(path, sizeof(path), pr->path, &p, &a);
		if (pr->body != NULL)
			fill(body, sizeof(body), pr->body, &p, &a);
		for (int k = 0; intruders[k] != NULL; k++) {
			char auth[4096];
			const char *hdr[3] = {auth,
			                      "Content-Type: "
			                      "application/json",
			                      NULL};
			int st;

			snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
			         intruders[k]);
			ck_assert_int_eq(
			    t_http(&svc, pr->method, path, hdr,
			           pr->body != NULL ? body : NULL,
			           pr->body != NULL ? strlen(body) : 0, &r),
			    0);
			st = r.status;
			/* 404 as for a missing id; a role the route does not
			 * take at all is 403 before anything is looked up */
			ck_assert_msg(st == 404 || st == 403,
			              "%s %s by intruder %d: %d %s", pr->method,
			              path, k, st, r.body);
			if (st == 403)
				ck_assert_ptr_null(strstr(r.body, GIVEN));
			t_resp_free(&r);
		}
		snprintf(op, sizeof(op), "%s %s", pr->method, pr->path);
		json_array_append_new(probed, json_string(op));
	}
	after = sql1(STATE_DIGEST, NULL);
	ck_assert_str_eq(before, after); /* nothing changed */
	free(before);
	free(after);
	/* the suite fails if a route is not probed */
	ck_assert_int_eq(t_http(&svc, "GET", "/_routes", NULL, NULL, 0, &r), 0);
	json_array_foreach(r.json, i, e)
	{
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *pp = json_string_value(json_object_get(e, "path"));
		int seen = 0;
		char norm[600];

		snprintf(op, sizeof(op), "%s %s", m, pp);
		/* the directory holds no personal data: its public reads and
		 * its officers' region-scoped writes are probed by
		 * check_cases_directory */
		seen |= strncmp(pp, "/v1/cases/hsds", 14) == 0 ||
		        strncmp(pp, "/v1/cases/directory/", 20) == 0;
		for (size_t k = 0; unprobed_ok[k] != NULL; k++)
			seen |= strcmp(unprobed_ok[k], op) == 0;
		for (size_t k = 0; k < json_array_size(probed); k++) {
			/* "{id}" in the table is {person}, {case}, ... here */
			const char *q =
			    json_string_value(json_array_get(probed, k));
			size_t a1 = 0, b1 = 0;

			for (; q[a1] != '\0' && op[b1] != '\0';) {
				if (q[a1] == '{' && op[b1] == '{') {
					a1 += strcspn(q + a1, "}");
					b1 += strcspn(op + b1, "}");
				}
				if (q[a1] != op[b1])
					break;
				a1++;
				b1++;
			}
			seen |= q[a1] == '\0' && op[b1] == '\0';
		}
		snprintf(norm, sizeof(norm), "%s", op);
		ck_assert_msg(seen, "route not probed: %s", norm);
	}
	t_resp_free(&r);
	/* the lists of another commune or region show none of it */
	o = req(a.t_agent2, "GET", NULL, 200, "/v1/cases/cases");
	json_array_foreach(json_object_get(o, "items"), i, e)
	    ck_assert_str_ne(str(e, "id"), p.kase);
	json_decref(o);
	o = req(a.t_off_or, "GET", NULL, 200, "/v1/cases/audit?subject_id=%s",
	        p.person);
	ck_assert_int_eq(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);
	json_decref(req(a.t_off_or, "GET", NULL, 404,
	                "/v1/cases/dashboard?region=souss-massa"));
	json_decref(probed);
	actors_free(&a);
}
END_TEST

START_TEST(uncertified_and_expired_refused)
{
	struct actors a;
	struct path p;
	json_t *o;

	actors_make(&a);
	o = req(a.t_uncert, "POST",
	        json_pack("{s:s, s:s, s:s, s:s}", "given_name", "A",
	                  "family_name", "B", "sex", "male", "beneficiary_type",
	                  "other_migrant"),
	        403, "/v1/cases/persons");
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:not-certified");
	json_decref(o);
	person_path(&a, &p);
	/* the uncertified agent of the same commune sees but cannot work */
	json_decref(
	    req(a.t_uncert, "GET", NULL, 200, "/v1/cases/cases/%s", p.kase));
	o = req(a.t_uncert, "POST", json_pack("{s:s}", "to", "start"), 403,
	        "/v1/cases/cases/%s/transitions", p.kase);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:not-certified");
	json_decref(o);
	/* expiry withdraws the right at once */
	ck_assert_int_eq(
	    sql_exec(
	        "UPDATE certifications SET certified_at = "
	        "now() - interval '2 days', expires_at = now() - interval '1 "
	        "second' WHERE person_sub = $1",
	        a.agent),
	    0);
	o = req(a.t_agent, "POST", json_pack("{s:s}", "to", "start"), 403,
	        "/v1/cases/cases/%s/transitions", p.kase);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:not-certified");
	json_decref(o);
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "text", "x"), 403,
	                "/v1/cases/cases/%s/notes", p.kase));
	/* a revoked certification too */
	o = req(a.t_off, "GET", NULL, 200,
	        "/v1/cases/training/certifications?person_sub=%s", a.agent2);
	json_decref(
	    req(a.t_off, "POST", NULL, 200,
	        "/v1/cases/training/certifications/%s/revocation",
	        str(json_array_get(json_object_get(o, "items"), 0), "id")));
	json_decref(o);
	json_decref(req(a.t_agent2, "POST",
	                json_pack("{s:s, s:s, s:s, s:s}", "given_name", "A",
	                          "family_name", "B", "sex", "male",
	                          "beneficiary_type", "other_migrant"),
	                403, "/v1/cases/persons"));
	actors_free(&a);
}
END_TEST

/* An update with If-Match (NULL: none): the status and the answer. */
static json_t *
patch_person(const char *token, const char *id, const char *if_match,
             const char *body, int want)
{
	char auth[4096], im[64], path[128];
	const char *hdr[4] = {auth, "Content-Type: application/json", NULL,
	                      NULL};
	struct t_resp r;
	json_t *out;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if (if_match != NULL) {
		snprintf(im, sizeof(im), "If-Match: %s", if_match);
		hdr[2] = im;
	}
	snprintf(path, sizeof(path), "/v1/cases/persons/%s", id);
	ck_assert_int_eq(
	    t_http(target, "PATCH", path, hdr, body, strlen(body), &r), 0);
	ck_assert_msg(r.status == want, "PATCH %s: want %d, got %ld: %s", path,
	              want, r.status, r.body);
	out = json_loads(r.body, 0, NULL);
	t_resp_free(&r);
	ck_assert_ptr_nonnull(out);
	return out;
}

START_TEST(person_update)
{
	struct actors a;
	struct path p;
	json_t *o, *id;
	char *v, etag[32];
	size_t i;
	json_t *e;
	int found;

	actors_make(&a);
	person_path(&a, &p);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", p.person);
	snprintf(etag, sizeof(etag), "\"v%lld\"",
	         (long long)json_integer_value(json_object_get(o, "version")));
	json_decref(o);
	/* contact and languages: re-sealed, names unchanged */
	o = patch_person(a.t_agent, p.person, etag,
	                 "{\"phone\": \"+212677777777\", \"languages\": "
	                 "[\"ar\", \"zgh\"]}",
	                 200);
	id = json_object_get(o, "identity");
	ck_assert_str_eq(str(id, "phone"), "+212677777777");
	ck_assert_str_eq(str(id, "given_name"), GIVEN);
	ck_assert_str_eq(json_string_value(json_array_get(
	                     json_object_get(o, "languages"), 1)),
	                 "zgh");
	json_decref(o);
	v = sql1("SELECT identity_enc FROM persons WHERE id = $1::uuid",
	         p.person);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(strstr(v, "enc1:"));
	ck_assert_ptr_null(strstr(v, "677777777"));
	free(v);
	/* the old ETag is stale now: 412, nothing changed */
	o = patch_person(a.t_agent, p.person, etag,
	                 "{\"phone\": \"+212600000001\"}", 412);
	json_decref(o);
	/* a new family name: found by it, no longer by the old one */
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", p.person);
	snprintf(etag, sizeof(etag), "\"v%lld\"",
	         (long long)json_integer_value(json_object_get(o, "version")));
	json_decref(o);
	o = patch_person(a.t_agent, p.person, etag,
	                 "{\"family_name\": \"Amazigh-Renomme\"}", 200);
	ck_assert_str_eq(str(json_object_get(o, "identity"), "phone"),
	                 "+212677777777");
	json_decref(o);
	o = req(a.t_agent, "GET", NULL, 200,
	        "/v1/cases/persons?name=amazigh-renomme&limit=200");
	found = 0;
	json_array_foreach(json_object_get(o, "items"), i, e) found |=
	    strcmp(str(e, "id"), p.person) == 0;
	ck_assert(found);
	json_decref(o);
	o = req(a.t_agent, "GET", NULL, 200,
	        "/v1/cases/persons?name=" FAMILY "&limit=200");
	json_array_foreach(json_object_get(o, "items"), i, e)
	    ck_assert_str_ne(str(e, "id"), p.person);
	json_decref(o);
	/* bad input names the field; roles, commune, certification */
	o = patch_person(a.t_agent, p.person, NULL, "{\"birth_year\": 1800}",
	                 400);
	v = json_dumps(o, 0);
	ck_assert_ptr_nonnull(strstr(v, "birth_year"));
	free(v);
	json_decref(o);
	json_decref(patch_person(a.t_off, p.person, NULL,
	                         "{\"phone\": \"+2126\"}", 403));
	json_decref(patch_person(a.t_agent2, p.person, NULL,
	                         "{\"phone\": \"+2126\"}", 404));
	json_decref(patch_person(a.t_uncert, p.person, NULL,
	                         "{\"phone\": \"+2126\"}", 403));
	/* audited; the event carries no personal data */
	v = sql1("SELECT count(*) FROM audit_log WHERE subject_id = $1::uuid "
	         "AND action = 'update'",
	         p.person);
	ck_assert_str_eq(v, "2");
	free(v);
	ck_assert_int_eq(stream_has_pii(), 0);
	/* withdrawn consent blocks it */
	json_decref(req(a.t_agent, "POST", NULL, 200,
	                "/v1/cases/consents/%s/withdrawal", p.consent));
	o = patch_person(a.t_agent, p.person, NULL,
	                 "{\"phone\": \"+212600000002\"}", 409);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:consent-required");
	json_decref(o);
	actors_free(&a);
}
END_TEST

START_TEST(withdrawn_consent_blocks_work)
{
	struct actors a;
	struct path p;
	json_t *o;

	actors_make(&a);
	person_path(&a, &p);
	json_decref(req(a.t_agent, "POST", NULL, 200,
	                "/v1/cases/consents/%s/withdrawal", p.consent));
	json_decref(req(a.t_agent, "POST", NULL, 409,
	                "/v1/cases/consents/%s/withdrawal", p.consent));
	o = req(a.t_agent, "POST", json_pack("{s:s}", "to", "start"), 409,
	        "/v1/cases/cases/%s/transitions", p.kase);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:consent-required");
	ck_assert_str_eq(str(o, "purpose"), "accompaniment");
	json_decref(o);
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "text", "x"), 409,
	                "/v1/cases/cases/%s/notes", p.kase));
	json_decref(req(a.t_agent, "POST",
	                json_pack("{s:s, s:[s]}", "person_id", p.person,
	                          "needs", "housing"),
	                409, "/v1/cases/cases"));
	json_decref(req(a.t_agent, "POST",
	                json_pack("{s:s, s:s}", "service_at_location_id", p.sal,
	                          "need", "civil_status"),
	                409, "/v1/cases/cases/%s/referrals", p.kase));
	/* a case may still be closed */
	json_decref(req(
	    a.t_agent, "POST",
	    json_pack("{s:s, s:s}", "to", "close", "reason", "person_declined"),
	    200, "/v1/cases/cases/%s/transitions", p.kase));
	actors_free(&a);
}
END_TEST

START_TEST(referral_needs_consent_and_active_service)
{
	struct actors a;
	struct path p;
	char sal2[40], svc2[40];
	json_t *o;

	actors_make(&a);
	person_path(&a, &p);
	/* another service: no consent to share with it */
	directory_entry("active", sal2, svc2);
	o = req(a.t_agent, "POST",
	        json_pack("{s:s, s:s}", "service_at_location_id", sal2, "need",
	                  "civil_status"),
	        409, "/v1/cases/cases/%s/referrals", p.kase);
	ck_assert_str_eq(str(o, "purpose"), "referral");
	json_decref(o);
	/* an inactive service is refused */
	directory_entry("inactive", sal2, svc2);
	json_decref(req(a.t_agent, "POST",
	                json_pack("{s:s, s:s, s:s, s:s}", "purpose", "referral",
	                          "service_id", svc2, "given_to", "x",
	                          "recorded_how", "oral"),
	                201, "/v1/cases/persons/%s/consents", p.person));
	o = req(a.t_agent, "POST",
	        json_pack("{s:s, s:s}", "service_at_location_id", sal2, "need",
	                  "civil_status"),
	        409, "/v1/cases/cases/%s/referrals", p.kase);
	ck_assert_str_eq(str(o, "type"), "urn:mp:problem:service-inactive");
	json_decref(o);
	/* the overdue list: the follow-up date of the path is past */
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/referrals/overdue");
	ck_assert_int_ge(json_array_size(json_object_get(o, "items")), 1);
	json_decref(o);
	actors_free(&a);
}
END_TEST

START_TEST(export_and_erasure)
{
	struct actors a;
	struct path p;
	json_t *o;
	char *v, *dash_before, *dash_after;

	actors_make(&a);
	person_path(&a, &p);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s/export",
	        p.person);
	ck_assert_str_eq(
	    str(json_object_get(json_object_get(o, "person"), "identity"),
	        "phone"),
	    PHONE);
	ck_assert_int_eq(json_array_size(json_object_get(o, "cases")), 1);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(
	               json_array_get(
	                   json_object_get(
	                       json_array_get(json_object_get(o, "cases"), 0),
	                       "notes"),
	                   0),
	               "text")),
	           GIVEN));
	ck_assert_int_gt(json_array_size(json_object_get(o, "audit")), 3);
	json_decref(o);
	/* agents do not erase; officers of another region see nothing */
	json_decref(req(a.t_agent, "POST", NULL, 403,
	                "/v1/cases/persons/%s/erasure", p.person));
	json_decref(req(a.t_off_or, "POST", NULL, 404,
	                "/v1/cases/persons/%s/erasure", p.person));
	o = req(a.t_off, "GET", NULL, 200,
	        "/v1/cases/dashboard?commune=agadir");
	{
		/* published with totals; a suppressed cell is null, never 0 */
		size_t i, totals = 0;
		json_t *e;

		json_array_foreach(json_object_get(o, "cases_by_state"), i, e)
		{
			totals += strcmp(str(e, "state"), "total") == 0 &&
			          strcmp(str(e, "sex"), "total") == 0;
			ck_assert_ptr_null(json_object_get(e, "n"));
			if (json_is_true(json_object_get(e, "suppressed")))
				ck_assert(
				    json_is_null(json_object_get(e, "count")));
			else
				ck_assert(json_is_integer(
				    json_object_get(e, "count")));
		}
		ck_assert_int_eq(totals, 1);
	}
	dash_before =
	    json_dumps(json_object_get(o, "cases_by_need"), JSON_COMPACT);
	json_decref(o);
	o = req(a.t_off, "POST", NULL, 200, "/v1/cases/persons/%s/erasure",
	        p.person);
	ck_assert(json_is_null(json_object_get(o, "identity")));
	ck_assert(json_is_true(json_object_get(o, "erased")));
	ck_assert_str_eq(str(o, "sex"), "female");
	json_decref(o);
	v = sql1("SELECT coalesce(identity_enc, 'null') || ' ' || age_band "
	         "FROM persons WHERE id = $1::uuid",
	         p.person);
	ck_assert_str_eq(v, "null 35-49");
	free(v);
	v = sql1("SELECT count(*) FROM case_notes n JOIN cases k ON k.id = "
	         "n.case_id WHERE k.person_id = $1::uuid AND n.body_enc IS NOT "
	         "NULL",
	         p.person);
	ck_assert_str_eq(v, "0");
	free(v);
	v = sql1("SELECT count(*) FROM person_name_tokens WHERE person_id = "
	         "$1::uuid",
	         p.person);
	ck_assert_str_eq(v, "0");
	free(v);
	/* statistics stay whole */
	o = req(a.t_off, "GET", NULL, 200,
	        "/v1/cases/dashboard?commune=agadir");
	dash_after =
	    json_dumps(json_object_get(o, "cases_by_need"), JSON_COMPACT);
	ck_assert_str_eq(dash_before, dash_after);
	json_decref(o);
	free(dash_before);
	free(dash_after);
	/* no longer found by name (the other tests' Zinebs still are) */
	o = req(a.t_agent, "GET", NULL, 200,
	        "/v1/cases/persons?name=zineb&limit=200");
	{
		size_t i;
		json_t *e;

		json_array_foreach(json_object_get(o, "items"), i, e)
		    ck_assert_str_ne(str(e, "id"), p.person);
	}
	json_decref(o);
	json_decref(req(a.t_off, "POST", NULL, 409,
	                "/v1/cases/persons/%s/erasure", p.person));
	ck_assert_int_eq(stream_has_pii(), 0);
	actors_free(&a);
}
END_TEST

START_TEST(audit_trail_append_only)
{
	struct actors a;
	struct path p;
	json_t *o, *e;
	size_t i;
	int reads = 0, registers = 0;

	actors_make(&a);
	person_path(&a, &p);
	json_decref(
	    req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", p.person));
	o = req(a.t_off, "GET", NULL, 200, "/v1/cases/audit?subject_id=%s",
	        p.person);
	json_array_foreach(json_object_get(o, "items"), i, e)
	{
		ck_assert_str_eq(str(e, "region"), "souss-massa");
		if (strcmp(str(e, "action"), "read") == 0 &&
		    strcmp(str(e, "actor_sub"), a.agent) == 0)
			reads++;
		if (strcmp(str(e, "action"), "register") == 0)
			registers++;
	}
	ck_assert_int_eq(reads, 1);
	ck_assert_int_eq(registers, 1);
	json_decref(o);
	o = req(a.t_off, "GET", NULL, 200, "/v1/cases/audit?subject_id=%s",
	        p.kase);
	ck_assert_int_ge(json_array_size(json_object_get(o, "items")), 3);
	json_decref(o);
	json_decref(req(a.t_agent, "GET", NULL, 403, "/v1/cases/audit"));
	/* the service's own role cannot change or remove the audit */
	ck_assert_int_eq(sql_exec("UPDATE audit_log SET action = 'x' WHERE "
	                          "subject_id = $1::uuid",
	                          p.person),
	                 -1);
	ck_assert_int_eq(sql_exec("DELETE FROM audit_log WHERE subject_id = "
	                          "$1::uuid",
	                          p.person),
	                 -1);
	ck_assert_int_eq(sql_exec("TRUNCATE audit_log", NULL), -1);
	/* nor alter it, disable or replace its trigger, drop it, or become
	 * (or make itself a member of) the role that owns it */
	{
		static const char *const refused[] = {
		    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
		    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
		    "ALTER TABLE audit_log ADD COLUMN x int",
		    "DROP TRIGGER audit_log_no_update ON audit_log",
		    "CREATE OR REPLACE FUNCTION audit_log_immutable() RETURNS "
		    "trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
		    "DROP TABLE audit_log",
		    "SET ROLE cases_audit",
		    "GRANT cases_audit TO cases",
		    "ALTER ROLE cases CREATEROLE",
		    "ALTER SCHEMA public OWNER TO cases",
		    NULL};
		char *v;

		for (i = 0; refused[i] != NULL; i++)
			ck_assert_msg(sql_exec(refused[i], NULL) == -1,
			              "the service's role could: %s",
			              refused[i]);
		v = sql1("SELECT tableowner || ' ' || (SELECT nspowner::regrole"
		         "::text FROM pg_namespace WHERE nspname = 'public') "
		         "|| ' ' || (SELECT rolcanlogin::text FROM pg_roles "
		         "WHERE rolname = tableowner) FROM pg_tables WHERE "
		         "tablename = $1",
		         "audit_log");
		ck_assert_str_eq(v, "cases_audit cases_audit false");
		free(v);
		/* a grant by a non-owner grants nothing (a warning only) */
		sql_exec("GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO cases",
		         NULL);
		v = sql1("SELECT has_table_privilege($1, 'UPDATE, DELETE, "
		         "TRUNCATE')::text",
		         "audit_log");
		ck_assert_str_eq(v, "false");
		free(v);
	}
	/* and it can still append (the check above is not a broken table) */
	ck_assert_int_eq(sql_exec("INSERT INTO audit_log (actor_sub, "
	                          "actor_roles, region, commune, subject_type, "
	                          "subject_id, action, "
	                          "purpose) VALUES ('t', '{}', 'souss-massa', "
	                          "'agadir', 'person', "
	                          "$1::uuid, 'test', 'test')",
	                          p.person),
	                 0);
	actors_free(&a);
}
END_TEST

/* 1 when a line of the test log var/log/<name>.log holds one of needles
 * (NULL-terminated; case ignored; the first such line goes to stderr);
 * fails the test
 * when the log cannot be read. */
static int
log_holds(const char *name, const char *const *needles)
{
	char rel[128], file[512], line[8192];
	FILE *f;
	int i, found = 0;

	snprintf(rel, sizeof(rel), "log/%s.log", name);
	t_var_path(rel, file, sizeof(file));
	ck_assert_msg((f = fopen(file, "r")) != NULL, "no log %s", file);
	while (fgets(line, sizeof(line), f) != NULL)
		for (i = 0; needles[i] != NULL; i++)
			if (strcasestr(line, needles[i]) != NULL && !found) {
				fprintf(stderr, "%s holds \"%s\": %s", name,
				        needles[i], line);
				found = 1;
			}
	fclose(f);
	return found;
}

/* 1 when a key of the test Redis, or the value of a string key, holds
 * needle (case ignored). */
static int
redis_holds(const char *needle)
{
	const char *port = getenv("MP_TEST_REDIS_PORT");
	redisContext *rd =
	    redisConnect("127.0.0.1", atoi(port != NULL ? port : "6379"));
	redisReply *keys, *v;
	int found = 0;

	ck_assert(rd != NULL && rd->err == 0);
	keys = redisCommand(rd, "KEYS *");
	ck_assert_ptr_nonnull(keys);
	for (size_t i = 0; i < keys->elements; i++) {
		const char *k = keys->element[i]->str;

		if (strcasestr(k, needle) != NULL) {
			fprintf(stderr, "Redis key %s\n", k);
			found = 1;
		}
		v = redisCommand(rd, "TYPE %s", k);
		if (v != NULL && strcmp(v->str, "string") == 0) {
			freeReplyObject(v);
			v = redisCommand(rd, "GET %s", k);
			if (v != NULL && v->str != NULL &&
			    strcasestr(v->str, needle) != NULL) {
				fprintf(stderr, "in Redis key %s\n", k);
				found = 1;
			}
		}
		freeReplyObject(v);
	}
	freeReplyObject(keys);
	redisFree(rd);
	return found;
}

START_TEST(no_personal_data_in_logs_or_metrics)
{
	struct actors a;
	struct path p;
	struct t_resp r;
	const char *const pii[] = {GIVEN, FAMILY, PHONE, NULL};

	actors_make(&a);
	person_path(&a, &p);
	json_decref(
	    req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons?name=" GIVEN));
	ck_assert_int_eq(t_http(&svc, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body, GIVEN));
	ck_assert_ptr_null(strstr(r.body, p.person));
	t_resp_free(&r);
	ck_assert_msg(!log_holds("cases", pii), "personal data in the log");
	actors_free(&a);
}
END_TEST

START_TEST(malformed_and_oversized_bodies)
{
	struct actors a;
	struct t_resp r;
	char auth[4096], *big;
	const char *hdr[3] = {auth, "Content-Type: application/json", NULL};
	json_t *o;

	actors_make(&a);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.t_agent);
	t_http(&svc, "POST", "/v1/cases/persons", hdr, "{\"given_name\":", 14,
	       &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "malformed-json"));
	t_resp_free(&r);
	/* unknown field (no mass assignment), every bad field named */
	o = req(a.t_agent, "POST",
	        json_pack("{s:s, s:s, s:s, s:s, s:s}", "given_name", "A",
	                  "family_name", "B", "sex", "other",
	                  "beneficiary_type", "mre", "identity_enc",
	                  "enc1:x:y"),
	        400, "/v1/cases/persons");
	ck_assert_int_eq(json_array_size(json_object_get(o, "errors")), 2);
	json_decref(o);
	big = malloc(2u << 20);
	memset(big, ' ', 2u << 20);
	big[0] = '{';
	big[(2u << 20) - 1] = '}';
	t_http(&svc, "POST", "/v1/cases/persons", hdr, big, 2u << 20, &r);
	ck_assert_int_eq(r.status, 413);
	t_resp_free(&r);
	free(big);
	/* an id that is not a UUID is 404, not a database error */
	json_decref(req(a.t_agent, "GET", NULL, 404, "/v1/cases/cases/1%%27"));
	json_decref(
	    req(a.t_agent, "GET", NULL, 400, "/v1/cases/cases?limit=1000"));
	json_decref(req(a.t_agent, "GET", NULL, 400,
	                "/v1/cases/persons?name=%%20-%%20"));
	actors_free(&a);
}
END_TEST

/* Certified agents by sex: the attendance records each attendee's sex
 * (refused without it, naming the field), the certification answers and
 * its event carry it, and the dashboard of the session's commune counts
 * them by role and sex with disclosure control (2 women and 6 men
 * agents: the 2 are hidden, and so is what would give them away). */
START_TEST(certified_agents_by_sex)
{
	struct actors a;
	char subs[8][64], u[40];
	json_t *o, *att, *d, *e;
	const char *session;
	size_t i;
	int women = 0, men = 0, hidden = 0;

	actors_make(&a);
	ck_assert_int_eq(mp_uuid_v7(u), 0);
	o = req(a.t_off, "POST",
	        json_pack("{s:s, s:s, s:s, s:s, s:s}", "region", "souss-massa",
	                  "commune", "tiznit", "module", "personal_data",
	                  "held_on", "2026-11-25", "trainer", "F"),
	        201, "/v1/cases/training/sessions");
	session = str(o, "id");
	d = req(a.t_off, "PUT",
	        json_pack("{s:[{s:s, s:s}]}", "attendees", "person_sub", "x",
	                  "role", "mediator"),
	        400, "/v1/cases/training/sessions/%s/attendance", session);
	{
		char *errs =
		    json_dumps(json_object_get(d, "errors"), JSON_COMPACT);

		ck_assert_ptr_nonnull(strstr(errs, "sex"));
		free(errs);
	}
	json_decref(d);
	att = json_array();
	for (i = 0; i < 8; i++) {
		snprintf(subs[i], sizeof(subs[i]), "tz%zu-%s", i, u);
		json_array_append_new(
		    att, json_pack("{s:s, s:s, s:s}", "person_sub", subs[i],
		                   "role", "municipal_agent", "sex",
		                   i < 2 ? "female" : "male"));
	}
	d = req(a.t_off, "PUT", json_pack("{s:o}", "attendees", att), 200,
	        "/v1/cases/training/sessions/%s/attendance", session);
	json_array_foreach(json_object_get(d, "attendance"), i, e)
	{
		women += strcmp(str(e, "sex"), "female") == 0;
		men += strcmp(str(e, "sex"), "male") == 0;
	}
	ck_assert_int_eq(women, 2);
	ck_assert_int_eq(men, 6);
	json_decref(d);
	for (i = 0; i < 8; i++) {
		d = req(a.t_off, "POST",
		        json_pack("{s:s, s:s}", "person_sub", subs[i],
		                  "session_id", session),
		        201, "/v1/cases/training/certifications");
		ck_assert_str_eq(str(d, "sex"), i < 2 ? "female" : "male");
		json_decref(d);
	}
	d = req(a.t_off, "GET", NULL, 200,
	        "/v1/cases/dashboard?commune=tiznit");
	ck_assert_int_eq(json_array_size(json_object_get(d, "certified")), 3);
	json_array_foreach(json_object_get(d, "certified"), i, e)
	{
		ck_assert_str_eq(str(e, "role"), "municipal_agent");
		ck_assert_ptr_null(json_object_get(e, "n"));
		if (json_is_true(json_object_get(e, "suppressed"))) {
			ck_assert(json_is_null(json_object_get(e, "count")));
			hidden++;
		}
		if (strcmp(str(e, "sex"), "female") == 0)
			ck_assert(
			    json_is_true(json_object_get(e, "suppressed")));
	}
	/* the women's 2, and one more so the row total does not give it */
	ck_assert_int_eq(hidden, 2);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(
	        json_object_get(d, "certified_sex_unrecorded"), "count")),
	    0);
	json_decref(d);
	json_decref(o);
	actors_free(&a);
}
END_TEST

/* Rotation while the service runs: values sealed under test-1 open under
 * the ring (test-2, test-1); mp-cases-rekey re-seals them under test-2;
 * the service then runs without test-1. */
START_TEST(key_rotation_without_downtime)
{
	static const char *const only_old[] = {
	    "MP_FIELD_KEYS=test-1:"
	    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
	    NULL};
	static const char *const only_new[] = {
	    "MP_FIELD_KEYS=test-2:"
	    "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
	    NULL};
	struct actors a;
	struct path p;
	char cmd[1024], url[256], *v;
	json_t *o;

	teardown();
	ck_assert_int_eq(t_service_start(&svc, "cases", only_old), 0);
	actors_make(&a);
	person_path(&a, &p);
	v = sql1("SELECT identity_enc FROM persons WHERE id = $1::uuid",
	         p.person);
	ck_assert(strncmp(v, "enc1:test-1:", 12) == 0);
	free(v);
	teardown();
	setup(); /* the ring (test-2, test-1) */
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", p.person);
	ck_assert_str_eq(str(json_object_get(o, "identity"), "given_name"),
	                 GIVEN);
	json_decref(o);
	t_db_url("cases", url, sizeof(url));
	snprintf(cmd, sizeof(cmd),
	         "MP_DB_URL='%s' MP_FIELD_KEYS='%s' "
	         "%s/bin/mp-cases-rekey >/dev/null",
	         url, T_CASES_FIELD_KEYS + strlen("MP_FIELD_KEYS="),
	         getenv("MP_TEST_BUILD") != NULL ? getenv("MP_TEST_BUILD")
	                                         : "build");
	ck_assert_int_eq(system(cmd), 0);
	v = sql1("SELECT count(*) FROM persons WHERE identity_enc LIKE "
	         "'enc1:test-1:%' OR identity_enc NOT LIKE 'enc1:%'",
	         NULL);
	ck_assert_str_eq(v, "0");
	free(v);
	v = sql1("SELECT count(*) FROM case_notes WHERE body_enc LIKE "
	         "'enc1:test-1:%'",
	         NULL);
	ck_assert_str_eq(v, "0");
	free(v);
	teardown();
	ck_assert_int_eq(t_service_start(&svc, "cases", only_new), 0);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/cases/%s", p.kase);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(
	               json_array_get(json_object_get(o, "notes"), 0), "text")),
	           GIVEN));
	json_decref(o);
	actors_free(&a);
}
END_TEST

/* 1 if a search by the agent for `name` lists the person `id`. */
static int
search_finds(const char *token, const char *name, const char *id)
{
	json_t *o = req(token, "GET", NULL, 200,
	                "/v1/cases/persons?name=%s&limit=200", name);
	json_t *e;
	size_t i;
	int found = 0;

	json_array_foreach(json_object_get(o, "items"), i, e) found |=
	    strcmp(str(e, "id"), id) == 0;
	json_decref(o);
	return found;
}

/* The person's index values are all under the key `kid`. */
static void
assert_indexed_under(const char *person, const char *kid)
{
	char *v = sql1("SELECT string_agg(DISTINCT key_id, ',') FROM "
	               "person_name_tokens WHERE person_id = $1::uuid",
	               person);

	ck_assert_str_eq(v, kid);
	free(v);
}

/* Rotation of the blind-index key while the service serves: a person
 * indexed under the bare key of before (id "0") is found before the
 * rotation, while the workers run the ring (b2, 0) and mp-cases-rekey
 * re-indexes (searched for at every step of the run), and after it with
 * the old key dropped from the ring; a person registered during the
 * rotation is indexed under b2 at once. */
START_TEST(index_key_rotation_while_serving)
{
	static const char *const ring[] = {
	    "MP_BLIND_INDEX_KEY=b2:BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="
	    ","
	    "0:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=",
	    NULL};
	static const char *const only_new[] = {
	    "MP_BLIND_INDEX_KEY=b2:"
	    "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=",
	    NULL};
	struct actors a;
	struct path p, q;
	char cmd[1200], url[256], line[256], *v;
	int searches = 0, reindexed = 0;
	FILE *run;

	actors_make(&a);
	person_path(&a, &p); /* under the bare key: "0" */
	assert_indexed_under(p.person, "0");
	ck_assert(search_finds(a.t_agent, "ouhaddou%20zineb", p.person));

	/* the workers get the ring (b2 indexes, both are searched) */
	teardown();
	ck_assert_int_eq(t_service_start(&svc, "cases", ring), 0);
	ck_assert(search_finds(a.t_agent, "zineb%20ouhaddou", p.person));
	person_path(&a, &q);
	assert_indexed_under(q.person, "b2");
	ck_assert(search_finds(a.t_agent, "ZINEB", p.person));
	ck_assert(search_finds(a.t_agent, "ZINEB", q.person));

	/* re-index while the agent keeps searching */
	t_db_url("cases", url, sizeof(url));
	snprintf(cmd, sizeof(cmd),
	         "MP_DB_URL='%s' MP_FIELD_KEYS='%s' MP_BLIND_INDEX_KEY='%s' "
	         "%s/bin/mp-cases-rekey",
	         url, T_CASES_FIELD_KEYS + strlen("MP_FIELD_KEYS="),
	         ring[0] + strlen("MP_BLIND_INDEX_KEY="),
	         getenv("MP_TEST_BUILD") != NULL ? getenv("MP_TEST_BUILD")
	                                         : "build");
	ck_assert_ptr_nonnull(run = popen(cmd, "r"));
	while (fgets(line, sizeof(line), run) != NULL) {
		ck_assert(search_finds(a.t_agent, "ouhaddou", p.person));
		searches++;
		if (strncmp(line, "rekey: person_name_tokens: ", 27) == 0) {
			reindexed = atoi(line + 27);
			ck_assert_ptr_nonnull(strstr(line, ", 0 left"));
		}
	}
	ck_assert_int_eq(pclose(run), 0);
	ck_assert_int_ge(searches, 1);
	ck_assert_int_ge(reindexed, 1);
	v = sql1("SELECT count(*) FROM person_name_tokens WHERE key_id <> "
	         "'b2'",
	         NULL);
	ck_assert_str_eq(v, "0");
	free(v);
	ck_assert(search_finds(a.t_agent, "zineb%20ouhaddou", p.person));

	/* the old key dropped: both are still found, under b2 alone */
	teardown();
	ck_assert_int_eq(t_service_start(&svc, "cases", only_new), 0);
	ck_assert(search_finds(a.t_agent, "zineb%20ouhaddou", p.person));
	ck_assert(search_finds(a.t_agent, "zineb%20ouhaddou", q.person));
	actors_free(&a);
}
END_TEST

/* Through the gateway: the agent's day works the same, and nothing of
 * the person lands in the gateway's Redis (cache, idempotency records,
 * rate limits) or its log. */
/* A gateway named name in front of the suite's service (its route table
 * learned from it), with the extra environment entries (NULL-terminated,
 * may be NULL). */
static void
gateway_before(struct t_proc *gw, const char *name, const char *const *extra)
{
	char up[128];
	const char *env[8];
	int k = 0;

	snprintf(up, sizeof(up), "MP_UPSTREAMS=cases=http://127.0.0.1:%d",
	         svc.port);
	env[k++] = up;
	env[k++] = "MP_UPSTREAM_PROBE_MS=200";
	while (extra != NULL && *extra != NULL && k < 7)
		env[k++] = *extra++;
	env[k] = NULL;
	ck_assert_int_eq(t_gateway_start(gw, name, env), 0);
}

START_TEST(through_gateway_nothing_cached)
{
	struct t_proc gw;
	struct actors a;
	struct path p;
	struct t_resp r;
	char auth[4096];
	const char *hdr[2] = {auth, NULL};
	const char *const given[] = {GIVEN, NULL};

	actors_make(&a);
	person_path(&a, &p);
	gateway_before(&gw, "cases-gateway", NULL);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.t_agent);
	for (int i = 0; i < 2; i++) { /* twice: a cache would now hold it */
		char path[128];

		snprintf(path, sizeof(path), "/v1/cases/persons/%s", p.person);
		ck_assert_int_eq(t_http(&gw, "GET", path, hdr, NULL, 0, &r), 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_nonnull(strstr(r.body, GIVEN));
		t_resp_free(&r);
		ck_assert_int_eq(t_http(&gw, "GET",
		                        "/v1/cases/persons?name=" GIVEN, hdr,
		                        NULL, 0, &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		t_resp_free(&r);
	}
	/* another commune's agent through the gateway: 404 too */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.t_agent2);
	{
		char path[128];

		snprintf(path, sizeof(path), "/v1/cases/cases/%s", p.kase);
		ck_assert_int_eq(t_http(&gw, "GET", path, hdr, NULL, 0, &r), 0);
		ck_assert_int_eq(r.status, 404);
		t_resp_free(&r);
	}
	ck_assert_msg(!redis_holds(GIVEN) && !redis_holds(PHONE),
	              "personal data in Redis");
	t_proc_stop(&gw);
	ck_assert_msg(!log_holds("cases-gateway", given),
	              "personal data in the gateway's log");
	actors_free(&a);
}
END_TEST

/* The whole path through the gateway, which learned the service's routes:
 * training, registration, consent, case, referral to completion, a
 * mediation, closure; another commune's agent gets 404 there too. */
START_TEST(whole_path_through_gateway)
{
	struct t_proc gw;
	struct actors a;
	struct path p;
	json_t *o;

	gateway_before(&gw, "cases-path-gateway", NULL);
	target = &gw;
	actors_make(&a);
	person_path(&a, &p);
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "start"),
	                200, "/v1/cases/cases/%s/transitions", p.kase));
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "send"),
	                200, "/v1/cases/referrals/%s/transitions", p.referral));
	json_decref(req(a.t_agent, "POST", json_pack("{s:s}", "to", "decline"),
	                200, "/v1/cases/referrals/%s/transitions", p.referral));
	o = req(a.t_agent, "POST",
	        json_pack("{s:s, s:s, s:s}", "to", "complete", "outcome",
	                  "unsuccessful", "outcome_reason",
	                  "service_lacked_capacity"),
	        200, "/v1/cases/referrals/%s/transitions", p.referral);
	ck_assert_str_eq(str(o, "outcome_reason"), "service_lacked_capacity");
	json_decref(o);
	mediator_takes_over(&a, &p);
	json_decref(
	    req(a.t_agent2, "GET", NULL, 404, "/v1/cases/cases/%s", p.kase));
	json_decref(req(a.t_off_or, "GET", NULL, 404, "/v1/cases/persons/%s",
	                p.person));
	json_decref(
	    req(NULL, "GET", NULL, 401, "/v1/cases/persons/%s", p.person));
	o = req(
	    a.t_agent, "POST",
	    json_pack("{s:s, s:s}", "to", "close", "reason", "out_of_scope"),
	    200, "/v1/cases/cases/%s/transitions", p.kase);
	ck_assert_str_eq(str(o, "status"), "closed");
	json_decref(o);
	target = &svc;
	t_proc_stop(&gw);
	ck_assert_int_eq(stream_has_pii(), 0);
	actors_free(&a);
}
END_TEST

/* GraphQL (openapi/schema.graphql) as the caller: a case with its notes,
 * referrals and mediations, the caller's cases, a referral and the overdue
 * ones, a person and the caller's persons, every field equal to the REST answer
 * it is read from (tests/graphql/shapes.mjs, as the agent); another commune's
 * agent and the other region's officer get null with NOT_FOUND (REST's 404), no
 * token UNAUTHENTICATED (401); and a persisted GET by the region's officer
 * is never kept (X-Cache: miss, twice). */
START_TEST(graphql_as_the_caller)
{
	struct t_proc gw;
	struct actors a;
	struct path p;
	struct t_resp r;
	char q[512], path[1024], auth[4096], xc[32], hash[65];
	const char *hdr[2] = {auth, NULL};
	const char *const limits[] = {"MP_GRAPHQL_MAX_COST=100000000",
	                              "MP_GRAPHQL_MAX_DEPTH=20", NULL};
	const char *who[] = {NULL, NULL, NULL};
	const char *codes[] = {"NOT_FOUND", "NOT_FOUND", "UNAUTHENTICATED"};
	json_t *b, *err;
	const char *v;
	char *e;
	int i;

	gateway_before(&gw, "cases-graphql-gateway", limits);
	actors_make(&a);
	person_path(&a, &p);
	mediator_takes_over(&a, &p);
	ck_assert_int_eq(t_tool("node tests/graphql/shapes.mjs "
	                        "http://127.0.0.1:%d cases '%s' %s %s %s",
	                        gw.port, a.t_agent, p.kase, p.referral,
	                        p.person),
	                 0);

	/* a referral made and sent through GraphQL, as REST then reads it */
	{
		char sal2[40], svc2[40], mq[600];
		json_t *ref;

		directory_entry("active", sal2, svc2);
		json_decref(req(
		    a.t_agent, "POST",
		    json_pack("{s:s, s:s, s:s, s:s}", "purpose", "referral",
		              "service_id", svc2, "given_to",
		              "Association Tamount", "recorded_how", "oral"),
		    201, "/v1/cases/persons/%s/consents", p.person));
		snprintf(mq, sizeof(mq),
		         "mutation { createReferral(caseId: \"%s\", "
		         "serviceAtLocationId: \"%s\", need: \"civil_status\", "
		         "followUpOn: \"2027-01-15\") { uuid status "
		         "serviceAtLocation { commune } } }",
		         p.kase, sal2);
		b = json_pack("{s:s}", "query", mq);
		ck_assert_int_eq(
		    t_json(&gw, "POST", "/graphql", a.t_agent2, b, &r), 0);
		ck_assert_msg(
		    json_object_get(r.json, "errors") != NULL &&
		        json_is_null(json_object_get(
		            json_object_get(r.json, "data"), "createReferral")),
		    "another commune's agent: %s", r.body);
		t_resp_free(&r);
		ck_assert_int_eq(
		    t_json(&gw, "POST", "/graphql", a.t_agent, b, &r), 0);
		json_decref(b);
		ref = json_object_get(json_object_get(r.json, "data"),
		                      "createReferral");
		ck_assert_msg(
		    strcmp(t_jstr(ref, "status"), "PROPOSED") == 0 &&
		        strcmp(t_jstr(json_object_get(ref, "serviceAtLocation"),
		                      "commune"),
		               "agadir") == 0,
		    "%s", r.body);
		snprintf(mq, sizeof(mq),
		         "mutation { transitionReferral(id: \"%s\", to: "
		         "\"send\") { status } }",
		         t_jstr(ref, "uuid"));
		snprintf(path, sizeof(path), "/v1/cases/referrals/%s",
		         t_jstr(ref, "uuid"));
		t_resp_free(&r);
		b = json_pack("{s:s}", "query", mq);
		ck_assert_int_eq(
		    t_json(&gw, "POST", "/graphql", a.t_agent, b, &r), 0);
		json_decref(b);
		ck_assert_msg(strstr(r.body, "\"SENT\"") != NULL, "%s", r.body);
		t_resp_free(&r);
		ref = req(a.t_agent, "GET", NULL, 200, "%s", path);
		ck_assert_str_eq(str(ref, "status"), "sent");
		ck_assert_str_eq(str(ref, "follow_up_on"), "2027-01-15");
		json_decref(ref);
	}

	/* what REST refuses, GraphQL refuses alike */
	who[0] = a.t_agent2;
	who[1] = a.t_off_or;
	snprintf(q, sizeof(q), "{ case(id: \"%s\") { status notes { text } } }",
	         p.kase);
	for (i = 0; i < 3; i++) {
		b = json_pack("{s:s}", "query", q);
		ck_assert_int_eq(t_json(&gw, "POST", "/graphql", who[i], b, &r),
		                 0);
		json_decref(b);
		err = json_array_get(json_object_get(r.json, "errors"), 0);
		ck_assert_msg(
		    json_is_null(json_object_get(
		        json_object_get(r.json, "data"), "case")) &&
		        strcmp(
		            t_jstr(json_object_get(err, "extensions"), "code"),
		            codes[i]) == 0,
		    "caller %d: %s", i, r.body);
		ck_assert_ptr_null(strstr(r.body, GIVEN));
		t_resp_free(&r);
	}

	/* a persisted GET of the region's officer: answered, never kept */
	t_sha256_hex(q, hash);
	b = json_pack("{s:s, s:{s:{s:i, s:s}}}", "query", q, "extensions",
	              "persistedQuery", "version", 1, "sha256Hash", hash);
	ck_assert_int_eq(t_json(&gw, "POST", "/graphql", a.t_off, b, &r), 0);
	json_decref(b);
	ck_assert_msg(json_object_get(r.json, "errors") == NULL, "%s", r.body);
	t_resp_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.t_off);
	snprintf(q, sizeof(q),
	         "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"%s\"}}",
	         hash);
	e = curl_easy_escape(NULL, q, 0);
	snprintf(path, sizeof(path), "/graphql?extensions=%s", e);
	curl_free(e);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(t_http(&gw, "GET", path, hdr, NULL, 0, &r), 0);
		ck_assert_msg(r.status == 200 &&
		                  json_object_get(r.json, "errors") == NULL,
		              "%ld %s", r.status, r.body);
		v = t_resp_header(&r, "x-cache", xc, sizeof(xc)) == 0 ? xc
		                                                      : "none";
		ck_assert_msg(strcmp(v, "hit") != 0, "kept: %s", v);
		t_resp_free(&r);
	}
	t_proc_stop(&gw);
	actors_free(&a);
}
END_TEST

/* ---- persons through GraphQL (the @personal rule) ------------------------ */

/* Invented, and only in this test: a person registered through GraphQL. */
#define GQL_GIVEN "Tafsut"
#define GQL_FAMILY "Amellal"
#define GQL_PHONE "+212600000777"
#define GQL_MEDIA "application/graphql-response+json"

/* data.<field> of an answer without errors (the caller releases it). */
static json_t *
gql_data(const struct t_proc *gw, const char *token, const char *query,
         json_t *vars, const char *field)
{
	struct t_resp r;
	json_t *out;

	t_graphql(gw, token, NULL, query, vars, &r);
	ck_assert_msg(r.status == 200 &&
	                  json_object_get(r.json, "errors") == NULL,
	              "%ld %s", r.status, r.body);
	out = json_incref(
	    json_object_get(json_object_get(r.json, "data"), field));
	ck_assert_msg(out != NULL, "no data.%s: %s", field, r.body);
	t_resp_free(&r);
	return out;
}

/* extensions.code of the first error, or "". */
static const char *
gql_code(const struct t_resp *r)
{
	json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);

	return t_jstr(json_object_get(e, "extensions"), "code");
}

/* A document refused before it runs (a request error: 400 with the
 * GraphQL media type, no data) with PERSONAL_DATA_LITERAL and a message
 * holding what. */
static void
gql_personal_refused(const struct t_proc *gw, const char *token,
                     const char *query, json_t *vars, const char *what)
{
	struct t_resp r;
	json_t *e;

	t_graphql(gw, token, GQL_MEDIA, query, vars, &r);
	e = json_array_get(json_object_get(r.json, "errors"), 0);
	ck_assert_msg(r.status == 400 &&
	                  json_object_get(r.json, "data") == NULL &&
	                  strcmp(gql_code(&r), "PERSONAL_DATA_LITERAL") == 0 &&
	                  strstr(t_jstr(e, "message"), what) != NULL,
	              "%s: %ld %s", query, r.status, r.body);
	t_resp_free(&r);
}

/* How many persons the agent finds by that name over REST. */
static size_t
persons_named(const char *token, const char *name)
{
	char *q = curl_easy_escape(NULL, name, 0);
	json_t *o =
	    req(token, "GET", NULL, 200, "/v1/cases/persons?name=%s", q);
	size_t n = json_array_size(json_object_get(o, "items"));

	curl_free(q);
	json_decref(o);
	return n;
}

/* Persons through GraphQL with the @personal rule
 * (gateway/src/graphql/personal.c): a person registered with her data in
 * variables, then read over REST; the same data written in the document --
 * an inline input object, a variable's default, a name in persons(name:),
 * an automatic persisted query -- refused with PERSONAL_DATA_LITERAL, and
 * nothing registered (counted over REST) nor kept in Redis; an operation
 * giving a name by GET refused (405, Allow: POST) while one without is
 * answered; a search by name in a variable; a consent recorded and
 * withdrawn (as REST reads it); the person as a node; a case's person; another
 * commune's agent null with NOT_FOUND, an applicant FORBIDDEN, no token
 * UNAUTHENTICATED; the purpose of a read in the audit; the gateway's and
 * the service's logs and Redis without the name or the phone. */
START_TEST(graphql_persons)
{
	static const char reg[] =
	    "mutation Register($p: PersonInput!) { registerPerson(input: $p) "
	    "{ uuid commune sex beneficiaryType identity { givenName phone } "
	    "consents { purpose } } }";
	static const char search[] =
	    "query Search($n: String) { persons(name: $n) { nodes { uuid "
	    "identity { familyName } } } }";
	static const char literal[] =
	    "{ persons(name: \"" GQL_GIVEN "\") { nodes { uuid } } }";
	const char *const pii[] = {GQL_GIVEN, GQL_FAMILY, GQL_PHONE, NULL};
	const char *const graphql[] = {"/graphql", NULL};
	const char *codes[] = {"NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED"};
	const char *who[3];
	struct t_proc gw;
	struct actors a;
	struct path p;
	struct t_resp r;
	char id[40], cid[40], q[512], path[2048], hash[65], allow[64];
	char *appl, *e1, *e2, *v;
	json_t *o, *n;
	size_t before, i;

	gateway_before(&gw, "cases-persons-gateway", NULL);
	actors_make(&a);
	person_path(&a, &p);
	before = persons_named(a.t_agent, GQL_GIVEN " " GQL_FAMILY);

	/* registered from a variable; REST reads her back */
	o = gql_data(&gw, a.t_agent, reg,
	             json_pack("{s:{s:s, s:s, s:s, s:i, s:s, s:[s], s:s}}", "p",
	                       "givenName", GQL_GIVEN, "familyName", GQL_FAMILY,
	                       "sex", "FEMALE", "birthYear", 1991,
	                       "beneficiaryType", "OTHER_MIGRANT", "languages",
	                       "fr", "phone", GQL_PHONE),
	             "registerPerson");
	ck_assert_str_eq(t_jstr(o, "commune"), "agadir");
	ck_assert_str_eq(t_jstr(o, "sex"), "FEMALE");
	ck_assert_str_eq(t_jstr(o, "beneficiaryType"), "OTHER_MIGRANT");
	ck_assert_str_eq(t_jstr(json_object_get(o, "identity"), "phone"),
	                 GQL_PHONE);
	snprintf(id, sizeof(id), "%s", t_jstr(o, "uuid"));
	json_decref(o);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", id);
	ck_assert_str_eq(str(json_object_get(o, "identity"), "family_name"),
	                 GQL_FAMILY);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "birth_year")),
	                 1991);
	json_decref(o);
	ck_assert_uint_eq(persons_named(a.t_agent, GQL_GIVEN " " GQL_FAMILY),
	                  before + 1);

	/* written in the document: refused, nothing runs */
	gql_personal_refused(
	    &gw, a.t_agent,
	    "mutation { registerPerson(input: {givenName: \"" GQL_GIVEN
	    "\", familyName: \"" GQL_FAMILY "\", sex: FEMALE, "
	    "beneficiaryType: MRE}) { uuid } }",
	    NULL, "argument \"input\" of field \"Mutation.registerPerson\"");
	gql_personal_refused(
	    &gw, a.t_agent,
	    "mutation ($g: String!, $f: String!) { registerPerson(input: "
	    "{givenName: $g, familyName: $f, sex: FEMALE, beneficiaryType: "
	    "MRE, phone: \"" GQL_PHONE "\"}) { uuid } }",
	    json_pack("{s:s, s:s}", "g", GQL_GIVEN, "f", GQL_FAMILY),
	    "Mutation.registerPerson");
	gql_personal_refused(
	    &gw, a.t_agent,
	    "mutation ($p: PersonInput = {givenName: \"" GQL_GIVEN
	    "\", familyName: \"" GQL_FAMILY "\", sex: FEMALE, "
	    "beneficiaryType: MRE}) { registerPerson(input: $p) { uuid } }",
	    NULL, "\"$p\"");
	gql_personal_refused(&gw, a.t_agent, literal, NULL,
	                     "argument \"name\" of field \"Query.persons\"");
	ck_assert_uint_eq(persons_named(a.t_agent, GQL_GIVEN " " GQL_FAMILY),
	                  before + 1);

	/* as an automatic persisted query: refused and never kept; the
	 * same search with the name in a variable is kept (no name in it) */
	t_sha256_hex(literal, hash);
	o = json_pack("{s:s, s:{s:{s:i, s:s}}}", "query", literal, "extensions",
	              "persistedQuery", "version", 1, "sha256Hash", hash);
	ck_assert_int_eq(t_json(&gw, "POST", "/graphql", a.t_agent, o, &r), 0);
	json_decref(o);
	ck_assert_msg(strcmp(gql_code(&r), "PERSONAL_DATA_LITERAL") == 0, "%s",
	              r.body);
	t_resp_free(&r);
	ck_assert_int_eq(t_redis_int("EXISTS gql:apq:%s", hash), 0);
	t_sha256_hex(search, hash);
	o = json_pack("{s:s, s:{s:s}, s:{s:{s:i, s:s}}}", "query", search,
	              "variables", "n", GQL_FAMILY, "extensions",
	              "persistedQuery", "version", 1, "sha256Hash", hash);
	ck_assert_int_eq(t_json(&gw, "POST", "/graphql", a.t_agent, o, &r), 0);
	json_decref(o);
	ck_assert_msg(r.status == 200 && strstr(r.body, id) != NULL, "%s",
	              r.body);
	t_resp_free(&r);
	for (i = 0; i < 50 && t_redis_int("EXISTS gql:apq:%s", hash) != 1; i++)
		t_sleep_ms(20); /* the store is not awaited */
	ck_assert_int_eq(t_redis_int("EXISTS gql:apq:%s", hash), 1);

	/* by GET, a name would sit in the URL: 405 (by text and by hash);
	 * the same field without a name is answered */
	e1 = curl_easy_escape(NULL, search, 0);
	e2 = curl_easy_escape(NULL, "{\"n\":\"" GQL_FAMILY "\"}", 0);
	snprintf(path, sizeof(path), "/graphql?query=%s&variables=%s", e1, e2);
	curl_free(e1);
	ck_assert_int_eq(t_json(&gw, "GET", path, a.t_agent, NULL, &r), 0);
	ck_assert_msg(r.status == 405 &&
	                  t_resp_header(&r, "allow", allow, sizeof(allow)) ==
	                      0 &&
	                  strstr(allow, "POST") != NULL,
	              "%ld %s", r.status, r.body);
	t_resp_free(&r);
	snprintf(q, sizeof(q),
	         "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"%s\"}}",
	         hash);
	e1 = curl_easy_escape(NULL, q, 0);
	snprintf(path, sizeof(path), "/graphql?extensions=%s&variables=%s", e1,
	         e2);
	curl_free(e1);
	curl_free(e2);
	ck_assert_int_eq(t_json(&gw, "GET", path, a.t_agent, NULL, &r), 0);
	ck_assert_msg(r.status == 405, "%ld %s", r.status, r.body);
	t_resp_free(&r);
	e1 = curl_easy_escape(
	    NULL,
	    "{ persons(commune: \"agadir\", first: 1) { nodes { commune } } }",
	    0);
	snprintf(path, sizeof(path), "/graphql?query=%s", e1);
	curl_free(e1);
	ck_assert_int_eq(t_json(&gw, "GET", path, a.t_agent, NULL, &r), 0);
	ck_assert_msg(r.status == 200 && strstr(r.body, "\"agadir\"") != NULL,
	              "%ld %s", r.status, r.body);
	t_resp_free(&r);

	/* found by name from a variable (case and accents ignored) */
	o = gql_data(&gw, a.t_agent, search,
	             json_pack("{s:s}", "n", "tafsut AMELLAL"), "persons");
	n = json_object_get(o, "nodes");
	ck_assert_uint_eq(json_array_size(n), before + 1);
	for (i = 0; i < json_array_size(n); i++)
		ck_assert_str_eq(
		    t_jstr(json_object_get(json_array_get(n, i), "identity"),
		           "familyName"),
		    GQL_FAMILY);
	json_decref(o);

	/* her consent recorded, then withdrawn, as REST then reads it; she
	 * is a node */
	snprintf(q, sizeof(q),
	         "mutation ($id: ID!) { recordConsent(personId: $id, purpose: "
	         "ACCOMPANIMENT, givenTo: \"Commune d'Agadir\", recordedHow: "
	         "WRITTEN) { id personId purpose recordedHow current } }");
	o = gql_data(&gw, a.t_agent, q, json_pack("{s:s}", "id", id),
	             "recordConsent");
	ck_assert_str_eq(t_jstr(o, "personId"), id);
	ck_assert_str_eq(t_jstr(o, "recordedHow"), "WRITTEN");
	ck_assert(json_is_true(json_object_get(o, "current")));
	snprintf(cid, sizeof(cid), "%s", t_jstr(o, "id"));
	json_decref(o);
	o = gql_data(
	    &gw, a.t_agent,
	    "mutation ($c: ID!) { withdrawConsent(id: $c) { id current "
	    "withdrawnAt } }",
	    json_pack("{s:s}", "c", cid), "withdrawConsent");
	ck_assert(json_is_false(json_object_get(o, "current")));
	ck_assert_str_ne(t_jstr(o, "withdrawnAt"), "");
	json_decref(o);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", id);
	n = json_array_get(json_object_get(o, "consents"), 0);
	ck_assert_str_eq(str(n, "id"), cid);
	ck_assert(json_is_false(json_object_get(n, "current")));
	json_decref(o);
	o = gql_data(&gw, a.t_agent,
	             "query ($id: ID!) { person(id: $id) { id } }",
	             json_pack("{s:s}", "id", id), "person");
	snprintf(q, sizeof(q), "%s", t_jstr(o, "id"));
	json_decref(o);
	o = gql_data(&gw, a.t_agent,
	             "query ($g: ID!) { node(id: $g) { ... on Person { uuid "
	             "consents { current } } } }",
	             json_pack("{s:s}", "g", q), "node");
	ck_assert_str_eq(t_jstr(o, "uuid"), id);
	json_decref(o);

	/* a case's person; a read's purpose reaches the audit */
	snprintf(q, sizeof(q),
	         "query ($id: ID!) { case(id: $id) { person { uuid identity "
	         "{ givenName } consents { purpose current } } } }");
	o = gql_data(&gw, a.t_agent, q, json_pack("{s:s}", "id", p.kase),
	             "case");
	ck_assert_str_eq(t_jstr(json_object_get(o, "person"), "uuid"),
	                 p.person);
	ck_assert_str_eq(
	    t_jstr(json_object_get(json_object_get(o, "person"), "identity"),
	           "givenName"),
	    GIVEN);
	json_decref(o);
	snprintf(q, sizeof(q),
	         "query ($id: ID!) { person(id: $id, purpose: REFERRAL) { "
	         "uuid identity { givenName } } }");
	o = gql_data(&gw, a.t_agent, q, json_pack("{s:s}", "id", id), "person");
	ck_assert_str_eq(t_jstr(o, "uuid"), id);
	json_decref(o);
	v = sql1("SELECT count(*) FROM audit_log WHERE subject_id = $1::uuid "
	         "AND action = 'read' AND purpose = 'referral'",
	         id);
	ck_assert_str_eq(v, "1");
	free(v);

	/* what REST refuses, GraphQL refuses alike, without the name */
	appl = t_token("gql-applicant", "applicant", "souss-massa");
	who[0] = a.t_agent2;
	who[1] = appl;
	who[2] = NULL;
	for (i = 0; i < 3; i++) {
		t_graphql(&gw, who[i], NULL, q, json_pack("{s:s}", "id", id),
		          &r);
		ck_assert_msg(json_is_null(json_object_get(
		                  json_object_get(r.json, "data"), "person")) &&
		                  strcmp(gql_code(&r), codes[i]) == 0 &&
		                  strstr(r.body, GQL_GIVEN) == NULL,
		              "caller %zu: %s", i, r.body);
		t_resp_free(&r);
	}
	free(appl);

	/* nothing of hers in Redis nor in the gateway's log, which does log
	 * the requests to /graphql */
	for (i = 0; pii[i] != NULL; i++)
		ck_assert_msg(!redis_holds(pii[i]), "%s in Redis", pii[i]);
	t_proc_stop(&gw);
	ck_assert_msg(log_holds("cases-persons-gateway", graphql),
	              "the gateway's log has no /graphql line");
	ck_assert_msg(!log_holds("cases-persons-gateway", pii),
	              "personal data in the gateway's log");
	ck_assert_msg(!log_holds("cases", pii),
	              "personal data in the service's log");
	actors_free(&a);
}
END_TEST

/* A person updated through GraphQL (updatePerson): the version the
 * caller read goes as If-Match ("v<version>", @rest ifMatch); the new
 * phone is what REST then reads, at the next version; the same update
 * with the old version is PRECONDITION_FAILED and changes nothing; a
 * phone written in the document is refused (@personal). */
START_TEST(graphql_person_update)
{
	static const char upd[] =
	    "mutation Update($id: ID!, $v: Int!, $p: PersonPatch!) { "
	    "updatePerson(id: $id, version: $v, input: $p) { version "
	    "identity { phone } } }";
	struct t_proc gw;
	struct actors a;
	struct path p;
	struct t_resp r;
	json_t *o;
	long long v0;

	gateway_before(&gw, "cases-update-gateway", NULL);
	actors_make(&a);
	person_path(&a, &p); /* with her consent to accompaniment */
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", p.person);
	v0 = json_integer_value(json_object_get(o, "version"));
	json_decref(o);

	o = gql_data(&gw, a.t_agent, upd,
	             json_pack("{s:s, s:I, s:{s:s}}", "id", p.person, "v",
	                       (json_int_t)v0, "p", "phone", GQL_PHONE),
	             "updatePerson");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "version")),
	                 v0 + 1);
	ck_assert_str_eq(t_jstr(json_object_get(o, "identity"), "phone"),
	                 GQL_PHONE);
	json_decref(o);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", p.person);
	ck_assert_str_eq(str(json_object_get(o, "identity"), "phone"),
	                 GQL_PHONE);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "version")),
	                 v0 + 1);
	json_decref(o);

	/* the version read before that update: refused, nothing changes */
	t_graphql(&gw, a.t_agent, NULL, upd,
	          json_pack("{s:s, s:I, s:{s:s}}", "id", p.person, "v",
	                    (json_int_t)v0, "p", "phone", PHONE),
	          &r);
	ck_assert_msg(strcmp(gql_code(&r), "PRECONDITION_FAILED") == 0, "%s",
	              r.body);
	t_resp_free(&r);
	o = req(a.t_agent, "GET", NULL, 200, "/v1/cases/persons/%s", p.person);
	ck_assert_str_eq(str(json_object_get(o, "identity"), "phone"),
	                 GQL_PHONE);
	json_decref(o);

	gql_personal_refused(
	    &gw, a.t_agent,
	    "mutation ($id: ID!, $v: Int!) { updatePerson(id: $id, version: "
	    "$v, input: {phone: \"" GQL_PHONE "\"}) { version } }",
	    json_pack("{s:s, s:I}", "id", p.person, "v", (json_int_t)v0 + 1),
	    "argument \"input\" of field \"Mutation.updatePerson\"");
	t_proc_stop(&gw);
	actors_free(&a);
}
END_TEST

static Suite *
cases_suite(void)
{
	Suite *s = suite_create("cases");
	TCase *t = tcase_create("cases");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, routes_equal_openapi);
	tcase_add_test(t, whole_path_with_events);
	tcase_add_test(t, other_commune_and_region_on_every_route);
	tcase_add_test(t, uncertified_and_expired_refused);
	tcase_add_test(t, withdrawn_consent_blocks_work);
	tcase_add_test(t, person_update);
	tcase_add_test(t, referral_needs_consent_and_active_service);
	tcase_add_test(t, export_and_erasure);
	tcase_add_test(t, audit_trail_append_only);
	tcase_add_test(t, no_personal_data_in_logs_or_metrics);
	tcase_add_test(t, malformed_and_oversized_bodies);
	tcase_add_test(t, certified_agents_by_sex);
	tcase_add_test(t, key_rotation_without_downtime);
	tcase_add_test(t, through_gateway_nothing_cached);
	tcase_add_test(t, whole_path_through_gateway);
	tcase_add_test(t, graphql_as_the_caller);
	tcase_add_test(t, graphql_persons);
	tcase_add_test(t, graphql_person_update);
	tcase_add_test(t, index_key_rotation_while_serving);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return t_run(cases_suite());
}
