/*
 * The gender service fed by the REAL cases service: an officer trains and
 * certifies a municipal agent and two mediators of Jerada (Oriental) and
 * revokes one, the directory gets a health service there, and the agent
 * registers people, opens their cases and refers them, all through cases'
 * HTTP API. Cases' relay publishes its events, gender's consumer projects
 * them, and the indicators change exactly as the path implies: people
 * accompanied, completed referrals, the time to the first referral and
 * certified agents (a revoked certification no longer counts), by sex.
 *
 * Jerada is the commune of this suite alone (no other suite or demo
 * writes cases there), so its figures start empty in a fresh `make test`
 * database; counts are still compared as differences with the figures
 * read before the path, so a rerun on the same database holds too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "mp/util.h"

#include "support.h"

static struct t_proc cases, gender;

static void
setup(void)
{
	static const char *const env[] = {
	    "MP_OUTBOX_SWEEP_MS=100", "MP_WORKERS=2",
	    "MP_CONSUMER_CLAIM_IDLE_MS=1000", NULL};

	if (t_service_start(&cases, "cases", env) != 0 ||
	    t_service_start(&gender, "gender", env) != 0) {
		fprintf(stderr, "cases or gender did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&gender);
	t_proc_stop(&cases);
}

/* POST to cases; the new object's id into out[40]. */
static void
create(const char *token, json_t *body, char out[40], const char *fmt, ...)
{
	char path[512];
	json_t *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	o = t_expect(&cases, "POST", token, body, 201, "%s", path);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(o, "id")));
	snprintf(out, 40, "%s", json_string_value(json_object_get(o, "id")));
	json_decref(o);
}

/* The figures of `code` for Jerada (unsuppressed, as Oriental's analyst). */
static json_t *
jerada(const char *code)
{
	char *ana = t_token("analyst-jerada", "gender_analyst", "oriental");
	json_t *f;

	f = t_expect(&gender, "GET", ana, NULL, 200,
	             "/v1/gender/indicators/%s?filter=region:oriental&"
	             "filter=commune:jerada&unsuppressed=true",
	             code);
	free(ana);
	return f;
}

/* A cell of the figures' single row: its value, or -1 for no value (a
 * median of nothing). *count gets the median's number of facts. */
static double
cell(const json_t *f, const char *sex, long long *count)
{
	const json_t *c = json_object_get(
	    json_object_get(json_array_get(json_object_get(f, "rows"), 0),
	                    "cells"),
	    sex);

	ck_assert_ptr_nonnull(c);
	ck_assert(!json_is_true(json_object_get(c, "suppressed")));
	if (count != NULL)
		*count = json_integer_value(json_object_get(c, "count"));
	if (json_is_null(json_object_get(c, "value")))
		return -1;
	return json_number_value(json_object_get(c, "value"));
}

/* Trained in Jerada and certified by Oriental's officer: the agent
 * (a woman) and two mediators (a man, a woman), "<sub>-m1", "<sub>-m2";
 * their certification ids into certs. */
static void
trainees_certified(const char *off, const char *sub, char certs[3][40])
{
	char session[40], m1[80], m2[80];
	const char *subs[3] = {sub, m1, m2};

	snprintf(m1, sizeof(m1), "%s-m1", sub);
	snprintf(m2, sizeof(m2), "%s-m2", sub);
	create(off,
	       json_pack("{s:s, s:s, s:s, s:s, s:s}", "region", "oriental",
	                 "commune", "jerada", "module", "reception_orientation",
	                 "held_on", "2026-11-20", "trainer", "Formatrice"),
	       session, "/v1/cases/training/sessions");
	json_decref(t_expect(
	    &cases, "PUT", off,
	    json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]}",
	              "attendees", "person_sub", sub, "role", "municipal_agent",
	              "sex", "female", "person_sub", m1, "role", "mediator",
	              "sex", "male", "person_sub", m2, "role", "mediator",
	              "sex", "female"),
	    200, "/v1/cases/training/sessions/%s/attendance", session));
	for (int i = 0; i < 3; i++)
		create(off,
		       json_pack("{s:s, s:s}", "person_sub", subs[i],
		                 "session_id", session),
		       certs[i], "/v1/cases/training/certifications");
}

/* The health service of the directory in Jerada (its service-at-location
 * and service ids into sal and service). */
static void
directory(const char *off, char sal[40], char service[40])
{
	char org[40], loc[40];

	create(off,
	       json_pack("{s:s, s:{s:s}, s:{s:s}}", "region", "oriental",
	                 "name", "fr", "Association Jerada Santé",
	                 "description", "fr", "Accueil et soins"),
	       org, "/v1/cases/directory/organizations");
	create(off,
	       json_pack("{s:s, s:s, s:{s:s}, s:f, s:f}", "organization_id",
	                 org, "commune", "jerada", "name", "fr",
	                 "Local de Jerada", "latitude", 34.31, "longitude",
	                 -2.16),
	       loc, "/v1/cases/directory/locations");
	create(off,
	       json_pack("{s:s, s:{s:s}, s:{s:s}, s:[s]}", "organization_id",
	                 org, "name", "fr", "Permanence santé", "description",
	                 "fr", "Accès aux soins", "taxonomy_terms", "health"),
	       service, "/v1/cases/directory/services");
	create(
	    off,
	    json_pack("{s:s, s:s}", "service_id", service, "location_id", loc),
	    sal, "/v1/cases/directory/service_at_locations");
}

/* A person registered by the agent; her or his id into out. */
static void
person(const char *agent, const char *sex, int birth_year, char out[40])
{
	create(agent,
	       json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:[s]}", "given_name",
	                 "Personne", "family_name", "Fictive", "sex", sex,
	                 "birth_year", birth_year, "nationality", "MA",
	                 "beneficiary_type", "regularised_migrant", "languages",
	                 "ar"),
	       out, "/v1/cases/persons");
}

/* The person's case opened and referred to the health service: consents
 * for accompaniment and referral, the case, the referral (its id into
 * referral; the case's into kase). */
static void
case_referred(const char *agent, const char *p, const char *sal,
              const char *service, char kase[40], char referral[40])
{
	char consent[40];

	create(agent,
	       json_pack("{s:s, s:s, s:s}", "purpose", "accompaniment",
	                 "given_to", "Commune de Jerada", "recorded_how",
	                 "written"),
	       consent, "/v1/cases/persons/%s/consents", p);
	create(agent,
	       json_pack("{s:s, s:[s]}", "person_id", p, "needs", "health"),
	       kase, "/v1/cases/cases");
	create(agent,
	       json_pack("{s:s, s:s, s:s, s:s}", "purpose", "referral",
	                 "service_id", service, "given_to",
	                 "Association Jerada Santé", "recorded_how", "oral"),
	       consent, "/v1/cases/persons/%s/consents", p);
	create(agent,
	       json_pack("{s:s, s:s, s:s}", "service_at_location_id", sal,
	                 "need", "health", "follow_up_on", "2027-01-15"),
	       referral, "/v1/cases/cases/%s/referrals", kase);
}

/* The referral sent, accepted and completed with success. */
static void
referral_completed(const char *agent, const char *referral)
{
	static const char *const steps[] = {"send", "accept"};

	for (size_t i = 0; i < 2; i++)
		json_decref(t_expect(
		    &cases, "POST", agent, json_pack("{s:s}", "to", steps[i]),
		    200, "/v1/cases/referrals/%s/transitions", referral));
	json_decref(
	    t_expect(&cases, "POST", agent,
	             json_pack("{s:s, s:s, s:s}", "to", "complete", "outcome",
	                       "successful", "outcome_reason", "need_met"),
	             200, "/v1/cases/referrals/%s/transitions", referral));
}

START_TEST(test_indicators_from_real_cases)
{
	char agent_sub[64], u[37], sal[40], service[40];
	char women[3][40], men[2][40], kase[3][40], ref[4][40], certs[3][40];
	char *off, *agent;
	json_t *acc0, *done0, *cert0, *acc, *done, *days, *cert;
	long long nf, nm;

	ck_assert_int_eq(mp_uuid_v7(u), 0);
	snprintf(agent_sub, sizeof(agent_sub), "agent-jerada-%s", u);
	off = t_token("officer-or-gc", "council_officer", "oriental");
	agent =
	    t_token_commune(agent_sub, "municipal_agent", "oriental", "jerada");
	ck_assert_int_eq(t_stream_settle("events:cases", "gender", 300, 30000),
	                 0);
	acc0 = jerada("women_accompanied");
	done0 = jerada("women_referrals_completed");
	cert0 = jerada("women_agents_certified");
	days = jerada("days_to_first_referral");
	/* a fresh database: nobody referred in Jerada yet */
	ck_assert(cell(days, "female", &nf) < 0 && nf == 0);
	json_decref(days);

	trainees_certified(off, agent_sub, certs);
	directory(off, sal, service);
	/* three women and two men registered */
	person(agent, "female", 1988, women[0]);
	person(agent, "female", 1995, women[1]);
	person(agent, "female", 1979, women[2]);
	person(agent, "male", 1990, men[0]);
	person(agent, "male", 1984, men[1]);
	/* two women and a man referred; a second referral of the first
	 * woman's case is not a first referral */
	case_referred(agent, women[0], sal, service, kase[0], ref[0]);
	case_referred(agent, women[1], sal, service, kase[1], ref[1]);
	case_referred(agent, men[0], sal, service, kase[2], ref[2]);
	create(agent,
	       json_pack("{s:s, s:s, s:s}", "service_at_location_id", sal,
	                 "need", "health", "follow_up_on", "2027-02-15"),
	       ref[3], "/v1/cases/cases/%s/referrals", kase[0]);
	/* completed: the first woman's first referral and the man's */
	referral_completed(agent, ref[0]);
	referral_completed(agent, ref[2]);

	/* the male mediator's certification is revoked: he no longer counts */
	json_decref(t_expect(&cases, "POST", off, NULL, 200,
	                     "/v1/cases/training/certifications/%s/revocation",
	                     certs[1]));

	/* cases' relay publishes, gender's consumer applies */
	ck_assert_int_eq(t_stream_settle("events:cases", "gender", 300, 30000),
	                 0);
	acc = jerada("women_accompanied");
	ck_assert_int_eq(cell(acc, "female", NULL) - cell(acc0, "female", NULL),
	                 3);
	ck_assert_int_eq(cell(acc, "male", NULL) - cell(acc0, "male", NULL), 2);
	done = jerada("women_referrals_completed");
	ck_assert_int_eq(
	    cell(done, "female", NULL) - cell(done0, "female", NULL), 1);
	ck_assert_int_eq(cell(done, "male", NULL) - cell(done0, "male", NULL),
	                 1);
	/* first referrals: two women, one man, each the same day as the
	 * opening of the case (0 days) */
	days = jerada("days_to_first_referral");
	ck_assert(cell(days, "female", &nf) == 0.0);
	ck_assert(cell(days, "male", &nm) == 0.0);
	ck_assert_int_eq(nf, 2);
	ck_assert_int_eq(nm, 1);
	json_decref(days);
	/* certified agents by sex: the agent and a mediator, both women; the
	 * man's certification was revoked */
	cert = jerada("women_agents_certified");
	ck_assert_int_eq(
	    cell(cert, "female", NULL) - cell(cert0, "female", NULL), 2);
	ck_assert_int_eq(cell(cert, "male", NULL) - cell(cert0, "male", NULL),
	                 0);
	json_decref(cert);
	json_decref(cert0);
	json_decref(acc);
	json_decref(done);
	json_decref(acc0);
	json_decref(done0);
	free(agent);
	free(off);
}
END_TEST

static Suite *
gender_cases_suite(void)
{
	Suite *s = suite_create("gender_cases");
	TCase *tc = tcase_create("real_cases");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_indicators_from_real_cases);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return t_run(gender_cases_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
