/*
 * Regional diagnostics over HTTP against the real gender service and
 * PostgreSQL: a questionnaire with skip logic, a campaign, a batch upload
 * answered per item, the same batch sent again after a cut connection
 * (stored once), results cross-tabulated with disclosure control, the
 * frozen-version rule, region isolation, the action plan.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "mp/util.h"

#include "support.h"

static struct t_proc gender;

static const char doc_text[] =
    "{\"questions\": ["
    "{\"key\": \"works\", \"type\": \"single\", \"required\": true,"
    " \"label\": {\"fr\": \"Travaillez-vous ?\", \"ar\": \"هل تعملين؟\"},"
    " \"options\": [{\"code\": \"yes\", \"label\": {\"fr\": \"Oui\"}},"
    "  {\"code\": \"no\", \"label\": {\"fr\": \"Non\"}}]},"
    "{\"key\": \"sector\", \"type\": \"multiple\", \"required\": true,"
    " \"label\": {\"fr\": \"Secteur\"}, \"skip_if\": {\"question\": "
    "\"works\", \"equals\": \"no\"},"
    " \"options\": [{\"code\": \"agri\", \"label\": {\"fr\": \"Agriculture\"}},"
    "  {\"code\": \"care\", \"label\": {\"fr\": \"Soins\"}}]},"
    "{\"key\": \"hours\", \"type\": \"number\", \"min\": 0, \"max\": 80,"
    " \"label\": {\"fr\": \"Heures\"}, \"skip_if\": {\"question\": "
    "\"works\", \"equals\": \"no\"}},"
    "{\"key\": \"access\", \"type\": \"likert\", \"scale\": 5,"
    " \"label\": {\"fr\": \"Accès aux services\", \"ar\": \"الولوج إلى "
    "الخدمات\"}}"
    "]}";

static void
setup(void)
{
	static const char *const env[] = {"MP_WORKERS=2", NULL};

	if (t_service_start(&gender, "gender", env) != 0) {
		fprintf(stderr, "gender did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&gender);
}

/* `body` is stolen; returns the parsed answer (caller releases). */
static json_t *
req(const char *method, const char *token, json_t *body, long want,
    const char *fmt, ...)
{
	va_list ap;
	json_t *out;

	va_start(ap, fmt);
	out = t_expectv(&gender, method, token, body, want, fmt, ap);
	va_end(ap);
	return out;
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	ck_assert_msg(s != NULL, "no string %s", k);
	return s;
}

static long long
db_count(const char *sql, const char *arg)
{
	char url[512];
	PGconn *pg;
	PGresult *res;
	long long n = -1;

	t_db_url("gender", url, sizeof(url));
	pg = PQconnectdb(url);
	res = PQexecParams(pg, sql, arg != NULL ? 1 : 0, NULL, &arg, NULL, NULL,
	                   0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(pg);
	return n;
}

/* A diagnostic of Oriental with the questionnaire and a campaign: ids
 * written into qid and cid. */
static void
survey(const char *ana, char did[40], char qid[40], char cid[40])
{
	json_t *d, *doc = json_loads(doc_text, 0, NULL);

	ck_assert_ptr_nonnull(doc);
	d = req("POST", ana,
	        json_pack("{s:s, s:s, s:{s:s, s:s}}", "region", "oriental",
	                  "period", "2027", "title", "fr",
	                  "Diagnostic régional Oriental", "ar",
	                  "التشخيص الجهوي"),
	        201, "/v1/gender/diagnostics");
	snprintf(did, 40, "%s", str(d, "id"));
	json_decref(d);
	d = req("POST", ana,
	        json_pack("{s:{s:s}, s:o}", "title", "fr",
	                  "Femmes migrantes et emploi", "doc", doc),
	        201, "/v1/gender/diagnostics/%s/questionnaires", did);
	snprintf(qid, 40, "%s", str(d, "id"));
	json_decref(d);
	d = req("POST", ana,
	        json_pack("{s:s, s:i, s:{s:s}, s:s, s:s}", "questionnaire_id",
	                  qid, "version", 1, "name", "fr", "Vague 1",
	                  "starts_on", "2027-02-01", "ends_on", "2027-03-31"),
	        201, "/v1/gender/diagnostics/%s/campaigns", did);
	snprintf(cid, 40, "%s", str(d, "id"));
	json_decref(d);
}

/* One response: works=yes (sector care, 30 h) or no. */
static json_t *
response(const char *id, const char *sex, const char *commune, int works,
         int access)
{
	json_t *answers =
	    works ? json_pack("{s:s, s:[s], s:i, s:i}", "works", "yes",
	                      "sector", "care", "hours", 30, "access", access)
	          : json_pack("{s:s, s:i}", "works", "no", "access", access);

	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:o, s:s}", "id", id,
	                 "respondent", "sex", sex, "age_band", "25-34",
	                 "beneficiary_type", "regularised_migrant", "commune",
	                 commune, "answers", answers, "collected_at",
	                 "2027-02-10T10:00:00Z");
}

static const char *
status_of(const json_t *res, size_t i)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(res, "items"), i), "status"));
}

START_TEST(test_survey_batch_results_versions)
{
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char did[40], qid[40], cid[40], id[37], ids[12][37];
	json_t *batch, *res, *bad, *row;
	size_t i;

	survey(ana, did, qid, cid);
	batch = json_array();
	/* 7 women working, 3 men not working */
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(mp_uuid_v7(ids[i]), 0);
		json_array_append_new(batch, response(ids[i],
		                                      i < 7 ? "female" : "male",
		                                      i % 2 ? "oujda" : "nador",
		                                      i < 7, 2 + (int)i % 3));
	}
	/* invalid: a commune of the other region; a skipped question
	 * answered; a name (not allowed); the same id again */
	ck_assert_int_eq(mp_uuid_v7(id), 0);
	json_array_append_new(batch, response(id, "female", "agadir", 1, 3));
	ck_assert_int_eq(mp_uuid_v7(id), 0);
	bad = response(id, "male", "oujda", 0, 3);
	json_object_set_new(json_object_get(bad, "answers"), "hours",
	                    json_integer(10));
	json_array_append_new(batch, bad);
	ck_assert_int_eq(mp_uuid_v7(id), 0);
	bad = response(id, "male", "oujda", 0, 3);
	json_object_set_new(json_object_get(bad, "respondent"), "name",
	                    json_string("Fatima"));
	json_array_append_new(batch, bad);
	json_array_append_new(batch, response(ids[0], "female", "oujda", 1, 3));
	res = req("POST", ana, json_pack("{s:o}", "responses", batch), 200,
	          "/v1/gender/campaigns/%s/responses", cid);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "accepted")),
	                 10);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "invalid")),
	                 3);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "duplicate")),
	                 1);
	ck_assert_str_eq(status_of(res, 0), "accepted");
	ck_assert_str_eq(status_of(res, 10), "invalid");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(res, "items"), 10), "field")),
	    "respondent.commune");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(res, "items"), 11), "field")),
	    "hours");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(res, "items"), 12), "field")),
	    "respondent");
	ck_assert_str_eq(status_of(res, 13), "duplicate");
	json_decref(res);
	ck_assert_int_eq(db_count("SELECT count(*) FROM responses WHERE "
	                          "campaign_id = $1",
	                          cid),
	                 10);

	/* results by sex: the analyst reads them exactly (audited) */
	res = req("GET", ana, NULL, 200,
	          "/v1/gender/questionnaires/%s/"
	          "results?question=works&by=sex&unsuppressed=true",
	          qid);
	json_array_foreach(json_object_get(res, "rows"), i, row)
	{
		const char *ans =
		    json_string_value(json_object_get(row, "answer"));
		json_t *cells = json_object_get(row, "cells");

		ck_assert_int_eq(
		    json_integer_value(json_object_get(
		        json_object_get(cells, "female"), "value")),
		    strcmp(ans, "yes") == 0 ? 7 : 0);
		ck_assert_int_eq(json_integer_value(json_object_get(
		                     json_object_get(cells, "male"), "value")),
		                 strcmp(ans, "no") == 0 ? 3 : 0);
	}
	ck_assert_int_eq(json_array_size(json_object_get(res, "rows")), 2);
	json_decref(res);
	ck_assert_int_ge(db_count("SELECT count(*) FROM unsuppressed_reads "
	                          "WHERE indicator = 'results:' || $1",
	                          qid),
	                 1);
	/* the public: 3 men below 5, hidden with a complement; never 0 */
	res = req("GET", NULL, NULL, 200,
	          "/v1/gender/questionnaires/%s/"
	          "results?question=works",
	          qid);
	ck_assert_int_ge(
	    json_integer_value(json_object_get(
	        json_object_get(res, "disclosure"), "suppressed_cells")),
	    2);
	json_decref(res);
	/* a number question: the median of the hours (all 30) */
	res = req("GET", ana, NULL, 200,
	          "/v1/gender/questionnaires/%s/"
	          "results?question=hours&unsuppressed=true",
	          qid);
	ck_assert(json_real_value(json_object_get(
	              json_object_get(
	                  json_object_get(
	                      json_array_get(json_object_get(res, "rows"), 0),
	                      "cells"),
	                  "female"),
	              "value")) == 30.0);
	json_decref(res);
	json_decref(req("GET", NULL, NULL, 400,
	                "/v1/gender/questionnaires/%s/"
	                "results?question=nothing",
	                qid));

	/* version 1 has responses: frozen; a new version is the way */
	res = req("PUT", ana,
	          json_pack("{s:O}", "doc", json_loads(doc_text, 0, NULL)), 409,
	          "/v1/gender/questionnaires/%s/versions/1", qid);
	ck_assert_str_eq(str(res, "type") + strlen(str(res, "type")) -
	                     strlen("version-frozen"),
	                 "version-frozen");
	json_decref(res);
	res = req("POST", ana,
	          json_pack("{s:o}", "doc", json_loads(doc_text, 0, NULL)), 201,
	          "/v1/gender/questionnaires/%s/versions", qid);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "version")),
	                 2);
	json_decref(res);
	/* v2 has no response yet: editable; a bad document names its field */
	json_decref(
	    req("PUT", ana,
	        json_pack("{s:o}", "doc", json_loads(doc_text, 0, NULL)), 200,
	        "/v1/gender/questionnaires/%s/versions/2", qid));
	res =
	    req("PUT", ana,
	        json_pack("{s:{s:[{s:s, s:s, s:{s:s}}]}}", "doc", "questions",
	                  "key", "Bad Key", "type", "text", "label", "fr", "x"),
	        400, "/v1/gender/questionnaires/%s/versions/2", qid);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(res, "errors"), 0), "field")),
	    "doc.questions[0].key");
	json_decref(res);
	free(ana);
}
END_TEST

/* Send a request on a raw connection and close it without reading the
 * answer: a device losing its network mid-upload. */
static void
send_and_cut(const char *token, const char *path, const char *body)
{
	struct sockaddr_in a;
	char head[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t n;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)gender.port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	n = (size_t)snprintf(
	    head, sizeof(head),
	    "POST %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    path, token, strlen(body));
	ck_assert_int_eq(write(fd, head, n), (ssize_t)n);
	ck_assert_int_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
}

START_TEST(test_batch_retried_after_cut_connection)
{
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char did[40], qid[40], cid[40], id[37], path[128];
	json_t *batch = json_array(), *body, *res;
	char *text;
	size_t i;
	int accepted = 0, duplicate = 0;

	survey(ana, did, qid, cid);
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(mp_uuid_v7(id), 0);
		json_array_append_new(
		    batch, response(id, i % 2 ? "female" : "male", "berkane",
		                    (int)i % 2, 1 + (int)i % 5));
	}
	body = json_pack("{s:o}", "responses", batch);
	text = json_dumps(body, JSON_COMPACT);
	snprintf(path, sizeof(path), "/v1/gender/campaigns/%s/responses", cid);
	send_and_cut(ana, path, text);
	/* the device did not see an answer: it sends the batch again */
	res = req("POST", ana, json_incref(body), 200, "%s", path);
	accepted = (int)json_integer_value(json_object_get(res, "accepted"));
	duplicate = (int)json_integer_value(json_object_get(res, "duplicate"));
	ck_assert_int_eq(accepted + duplicate, 40);
	json_decref(res);
	/* however the two raced, each response is stored once */
	for (i = 0; i < 50 && db_count("SELECT count(*) FROM responses WHERE "
	                               "campaign_id = $1",
	                               cid) < 40;
	     i++)
		t_sleep_ms(100);
	ck_assert_int_eq(db_count("SELECT count(*) FROM responses WHERE "
	                          "campaign_id = $1",
	                          cid),
	                 40);
	res = req("POST", ana, json_incref(body), 200, "%s", path);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "duplicate")),
	                 40);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "accepted")),
	                 0);
	json_decref(res);
	ck_assert_int_eq(db_count("SELECT count(*) FROM responses WHERE "
	                          "campaign_id = $1",
	                          cid),
	                 40);
	json_decref(body);
	free(text);
	free(ana);
}
END_TEST

START_TEST(test_regions_and_roles)
{
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char *other = t_token("analyst-s", "gender_analyst", "souss-massa");
	char *off = t_token("officer-o", "council_officer", "oriental");
	char did[40], qid[40], cid[40];

	survey(ana, did, qid, cid);
	/* the other region's analyst: as if it did not exist */
	json_decref(req("POST", other,
	                json_pack("{s:{s:s}, s:o}", "title", "fr", "x", "doc",
	                          json_loads(doc_text, 0, NULL)),
	                404, "/v1/gender/diagnostics/%s/questionnaires", did));
	json_decref(req("POST", other,
	                json_pack("{s:[{s:s}]}", "responses", "id",
	                          "0190c7a0-0000-7000-8000-000000000001"),
	                404, "/v1/gender/campaigns/%s/responses", cid));
	json_decref(req("POST", other,
	                json_pack("{s:s, s:s, s:{s:s}}", "region", "oriental",
	                          "period", "2027", "title", "fr", "x"),
	                403, "/v1/gender/diagnostics"));
	json_decref(req("GET", other, NULL, 403,
	                "/v1/gender/questionnaires/"
	                "%s/results?question=works&unsuppressed=true",
	                qid));
	/* other roles cannot write */
	json_decref(req("POST", off,
	                json_pack("{s:s, s:s, s:{s:s}}", "region", "oriental",
	                          "period", "2027", "title", "fr", "x"),
	                403, "/v1/gender/diagnostics"));
	/* a period that is not DHIS2's */
	json_decref(req("POST", ana,
	                json_pack("{s:s, s:s, s:{s:s}}", "region", "oriental",
	                          "period", "27-Q1", "title", "fr", "x"),
	                400, "/v1/gender/diagnostics"));
	free(ana);
	free(other);
	free(off);
}
END_TEST

START_TEST(test_action_plan)
{
	char *ana = t_token("analyst-o", "gender_analyst", "oriental");
	char did[40], qid[40], cid[40], rec[40], act[40], etag[32];
	char ifm[64];
	struct t_resp r;
	json_t *d, *b;

	survey(ana, did, qid, cid);
	d = req("POST", ana,
	        json_pack("{s:{s:s, s:s}, s:i}", "text", "fr",
	                  "Ouvrir une permanence juridique pour les femmes",
	                  "ar", "فتح مداومة قانونية للنساء", "priority", 1),
	        201, "/v1/gender/diagnostics/%s/recommendations", did);
	snprintf(rec, sizeof(rec), "%s", str(d, "id"));
	json_decref(d);
	d = req("POST", ana,
	        json_pack("{s:{s:s}, s:s, s:s}", "title", "fr",
	                  "Convention avec le barreau d'Oujda", "owner",
	                  "Conseil régional", "due_on", "2027-06-30"),
	        201, "/v1/gender/recommendations/%s/actions", rec);
	snprintf(act, sizeof(act), "%s", str(d, "id"));
	json_decref(d);
	d = req("PATCH", ana, json_pack("{s:i}", "progress_pct", 50), 200,
	        "/v1/gender/actions/%s", act);
	ck_assert_str_eq(str(d, "status"), "in_progress");
	snprintf(etag, sizeof(etag), "\"v%lld\"",
	         json_integer_value(json_object_get(d, "version")) - 1);
	json_decref(d);
	/* a stale If-Match */
	snprintf(ifm, sizeof(ifm), "If-Match: %s", etag);
	{
		char auth[2048];
		const char *h2[4] = {ifm, auth,
		                     "Content-Type: application/json", NULL};
		char path[128];

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", ana);
		snprintf(path, sizeof(path), "/v1/gender/actions/%s", act);
		ck_assert_int_eq(t_http(&gender, "PATCH", path, h2,
		                        "{\"progress_pct\": 100}",
		                        strlen("{\"progress_pct\": 100}"), &r),
		                 0);
		ck_assert_int_eq(r.status, 412);
		t_resp_free(&r);
	}
	d = req("PATCH", ana, json_pack("{s:i}", "progress_pct", 100), 200,
	        "/v1/gender/actions/%s", act);
	ck_assert_str_eq(str(d, "status"), "done");
	json_decref(d);
	d = req("GET", NULL, NULL, 200, "/v1/gender/diagnostics/%s", did);
	b = json_object_get(d, "action_plan");
	ck_assert_int_eq(json_integer_value(json_object_get(b, "progress_pct")),
	                 100);
	ck_assert_int_eq(json_array_size(json_object_get(b, "recommendations")),
	                 1);
	json_decref(d);
	free(ana);
}
END_TEST

static Suite *
diagnostics_suite(void)
{
	Suite *s = suite_create("gender_diagnostics");
	TCase *tc = tcase_create("diagnostics");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_survey_batch_results_versions);
	tcase_add_test(tc, test_batch_retried_after_cut_connection);
	tcase_add_test(tc, test_regions_and_roles);
	tcase_add_test(tc, test_action_plan);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return t_run(diagnostics_suite()) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
