/*
 * The cases service's directory over HTTP, against its real database
 * (PostGIS) and Redis: routes equal openapi/cases.yaml; officers write
 * their region's directory (another region's records are 404, other roles
 * 403, stale If-Match 412, strict bodies); the public HSDS reads filter by
 * text, taxonomy term, organisation, date, commune and distance, page as
 * HSDS says and answer in the client's language; every malformed query
 * argument is a 400 naming it; each write emits its event without
 * personal data; through the gateway, public reads answer without a token
 * from its cache, dropped by the writes' events. (Answers are validated
 * against the HSDS schemas by tests/contract/hsds_contract.sh.)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "support.h"

static struct t_proc svc, gw;

/* The cases service, and a gateway in front of it that learns its routes
 * from it. */
static void
setup(void)
{
	static char upstreams[160];
	const char *env[6];

	if (t_service_start(&svc, "cases", NULL) != 0) {
		fprintf(stderr, "cases did not become ready\n");
		exit(1);
	}
	snprintf(upstreams, sizeof(upstreams),
	         "MP_UPSTREAMS=cases=http://127.0.0.1:%d", svc.port);
	env[0] = upstreams;
	env[1] = "MP_RATE_LIMITS=default=100000/60,write=100000/60";
	/* graphql_directory selects every field of the directory's types */
	env[2] = "MP_GRAPHQL_MAX_COST=100000000";
	env[3] = "MP_GRAPHQL_MAX_DEPTH=20";
	env[4] = NULL;
	if (t_gateway_start(&gw, "cases-gateway", env) != 0) {
		fprintf(stderr, "gateway did not become ready\n");
		t_proc_stop(&svc);
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&gw);
	t_proc_stop(&svc);
}

/* ---- helpers ----------------------------------------------------------- */

static char *
officer(const char *region)
{
	return t_token(region[0] == 'o' ? "officer-or" : "officer-sm",
	               "council_officer", region);
}

/* The body of printf-formatted JSON `fmt`. */
static json_t *
body(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	j = json_loads(buf, 0, NULL);
	ck_assert_msg(j != NULL, "bad test JSON: %s", buf);
	return j;
}

/* POST `b` (stolen) to `path` with `tok`; asserts 201; the new id into
 * out (37 bytes). */
static void
create(const char *tok, const char *path, json_t *b, char *out)
{
	struct t_resp r;

	ck_assert_int_eq(t_json(&svc, "POST", path, tok, b, &r), 0);
	ck_assert_msg(r.status == 201, "POST %s: %ld %s", path, r.status,
	              r.body);
	snprintf(out, 37, "%s",
	         json_string_value(json_object_get(r.json, "id")));
	json_decref(b);
	t_resp_free(&r);
}

/* GET `path` (public); asserts `status`; the answer in r. */
static void
get(const char *path, long status, struct t_resp *r)
{
	ck_assert_int_eq(t_http(&svc, "GET", path, NULL, NULL, 0, r), 0);
	ck_assert_msg(r->status == status, "GET %s: %ld, want %ld: %s", path,
	              r->status, status, r->body);
}

/* The first errors[].field of a problem, or "". */
static const char *
error_field(const struct t_resp *r)
{
	const char *f = json_string_value(json_object_get(
	    json_array_get(json_object_get(r->json, "errors"), 0), "field"));

	return f != NULL ? f : "";
}

/* A directory of one organisation in Oujda: a service (legal aid, health)
 * at one location near the centre. Ids into org, loc, service, sal. */
static void
oujda_directory(const char *tag, char *org, char *loc, char *service, char *sal)
{
	char *tok = officer("oriental");

	create(tok, "/v1/cases/directory/organizations",
	       body("{\"region\": \"oriental\", \"name\": {\"fr\": "
	            "\"Association %s\","
	            " \"ar\": \"جمعية %s\"}, \"description\": {\"fr\": "
	            "\"Accueil et "
	            "orientation\"}, \"phones\": [{\"number\": \"+212 536 00 "
	            "00 01\","
	            " \"type\": \"voice\"}]}",
	            tag, tag),
	       org);
	create(
	    tok, "/v1/cases/directory/locations",
	    body(
	        "{\"organization_id\": \"%s\", \"commune\": \"oujda\", "
	        "\"name\": "
	        "{\"fr\": \"Local %s\"}, \"latitude\": 34.6814, \"longitude\": "
	        "-1.9086, \"address\": {\"address_1\": \"12 boulevard %s\", "
	        "\"city\": \"Oujda\", \"postal_code\": \"60000\"}}",
	        org, tag, tag),
	    loc);
	create(
	    tok, "/v1/cases/directory/services",
	    body(
	        "{\"organization_id\": \"%s\", \"name\": {\"fr\": \"Permanence "
	        "santé %s\", \"en\": \"Health desk %s\"}, \"description\": "
	        "{\"fr\": \"Conseil juridique et accès aux soins\"}, "
	        "\"taxonomy_terms\": [\"legal_aid\", \"health\"], "
	        "\"languages\": "
	        "[{\"code\": \"ar\", \"name\": \"Arabe\"}, {\"code\": \"fr\", "
	        "\"name\": \"Français\"}], \"required_documents\": "
	        "[{\"document\":"
	        " {\"fr\": \"Pièce d'identité\"}}], \"schedules\": "
	        "[{\"byday\": "
	        "\"MO,WE\", \"opens_at\": \"09:00\", \"closes_at\": "
	        "\"12:30\"}]}",
	        org, tag, tag),
	    service);
	create(tok, "/v1/cases/directory/service_at_locations",
	       body("{\"service_id\": \"%s\", \"location_id\": \"%s\"}",
	            service, loc),
	       sal);
	free(tok);
}

/* ---- tests -----------------------------------------------------------------
 */

START_TEST(routes_equal_openapi)
{
	t_assert_routes_match_openapi(&svc, "openapi/cases.yaml");
}
END_TEST

START_TEST(root_and_taxonomy_by_language)
{
	const char *ar[] = {"Accept-Language: ar", NULL};
	struct t_resp r;
	json_t *c;

	get("/v1/cases/hsds", 200, &r);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "version")),
	                 "3.0");
	t_resp_free(&r);
	ck_assert_int_eq(t_http(&svc, "GET", "/v1/cases/hsds/taxonomy_terms",
	                        ar, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 9);
	c = json_array_get(json_object_get(r.json, "contents"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(c, "code")),
	                 "civil_status");
	ck_assert_str_eq(json_string_value(json_object_get(c, "name")),
	                 "الحالة المدنية");
	ck_assert_str_eq(json_string_value(json_object_get(c, "language")),
	                 "ar");
	t_resp_free(&r);
	/* pages: 9 terms, 4 a page */
	get("/v1/cases/hsds/taxonomy_terms?per_page=4&page=3", 200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_pages")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "size")),
	                 1);
	ck_assert(json_is_true(json_object_get(r.json, "last_page")));
	ck_assert(json_is_false(json_object_get(r.json, "first_page")));
	ck_assert(json_is_false(json_object_get(r.json, "empty")));
	t_resp_free(&r);
	get("/v1/cases/hsds/taxonomy_terms?per_page=4&page=9", 200, &r);
	ck_assert(json_is_true(json_object_get(r.json, "empty")));
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "contents")),
	                 0);
	t_resp_free(&r);
	get("/v1/cases/hsds/taxonomy_terms/"
	    "01930000-0000-7000-8000-00000000a005",
	    200, &r);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "code")),
	                 "employment");
	t_resp_free(&r);
	get("/v1/cases/hsds/taxonomies/01930000-0000-7000-8000-00000000a000",
	    200, &r);
	t_resp_free(&r);
	get("/v1/cases/hsds/taxonomy_terms/not-a-uuid", 404, &r);
	t_resp_free(&r);
}
END_TEST

START_TEST(officer_builds_a_directory_the_public_reads)
{
	char org[37], loc[37], service[37], sal[37], path[512];
	const char *en[] = {"Accept-Language: en", NULL};
	struct t_resp r;
	json_t *s, *x;

	oujda_directory("Nour", org, loc, service, sal);

	/* the service, fully nested, in English where it has English */
	snprintf(path, sizeof(path), "/v1/cases/hsds/services/%s", service);
	ck_assert_int_eq(t_http(&svc, "GET", path, en, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "name")),
	                 "Health desk Nour");
	ck_assert_str_eq(
	    json_string_value(json_object_get(r.json, "description")),
	    "Conseil juridique et accès aux soins");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(r.json, "translations"),
	                        "name"),
	        "fr")),
	    "Permanence santé Nour");
	ck_assert_ptr_nonnull(strstr(r.headers, "ETag: \"v1\""));
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "attributes")),
	                 2);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "languages")),
	                 2);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "schedules")),
	                 1);
	ck_assert_int_eq(
	    json_array_size(json_object_get(r.json, "required_documents")), 1);
	x = json_array_get(json_object_get(r.json, "service_at_locations"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(x, "id")), sal);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(x, "location"), "commune")),
	                 "oujda");
	ck_assert_int_eq(json_array_size(json_object_get(
	                     json_object_get(x, "location"), "addresses")),
	                 1);
	ck_assert_ptr_null(strstr(r.body, "null"));
	t_resp_free(&r);

	/* text (accents ignored, prefixes) + taxonomy term + commune */
	get("/v1/cases/hsds/services?search=sante%20nou&taxonomy_term_id="
	    "legal_aid&commune=oujda",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	s = json_array_get(json_object_get(r.json, "contents"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(s, "id")), service);
	ck_assert_ptr_null(json_object_get(s, "service_at_locations"));
	t_resp_free(&r);
	/* the same with the term's id, and with full=true */
	get("/v1/cases/hsds/services?search=Nour&taxonomy_term_id="
	    "01930000-0000-7000-8000-00000000a004&full=true",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	s = json_array_get(json_object_get(r.json, "contents"), 0);
	ck_assert_int_eq(
	    json_array_size(json_object_get(s, "service_at_locations")), 1);
	t_resp_free(&r);
	/* filters that exclude it */
	get("/v1/cases/hsds/services?search=Nour&commune=agadir", 200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 0);
	ck_assert(json_is_true(json_object_get(r.json, "empty")));
	t_resp_free(&r);
	get("/v1/cases/hsds/services?search=Nour&taxonomy_term_id=housing", 200,
	    &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 0);
	t_resp_free(&r);
	get("/v1/cases/hsds/services?search=Nour&modified_after=2100-01-01",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 0);
	t_resp_free(&r);
	snprintf(path, sizeof(path),
	         "/v1/cases/hsds/services?organization_id"
	         "=%s&modified_after=2020-01-01T00:00:00Z",
	         org);
	get(path, 200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	t_resp_free(&r);

	/* the organisation with its location and service */
	snprintf(path, sizeof(path), "/v1/cases/hsds/organizations/%s", org);
	get(path, 200, &r);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "locations")),
	                 1);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "services")),
	                 1);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "phones")), 1);
	t_resp_free(&r);
	get("/v1/cases/hsds/organizations?search=nour", 200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	t_resp_free(&r);

	/* the service at its location, with both */
	snprintf(path, sizeof(path), "/v1/cases/hsds/service_at_locations/%s",
	         sal);
	get(path, 200, &r);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
	                 "active");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r.json, "service"), "id")),
	                 service);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r.json, "location"), "id")),
	                 loc);
	t_resp_free(&r);
}
END_TEST

START_TEST(distance_search_nearest_first)
{
	char org[37], loc[37], service[37], sal[37], far[37], far_sal[37];
	char *tok = officer("oriental");
	struct t_resp r;
	json_t *c;
	double d0, d1;

	oujda_directory("Qods", org, loc, service, sal);
	/* a second location 3.4 km east, offering the same service */
	create(tok, "/v1/cases/directory/locations",
	       body("{\"organization_id\": \"%s\", \"commune\": \"oujda\", "
	            "\"name\": "
	            "{\"fr\": \"Antenne Est\"}, \"latitude\": 34.6814, "
	            "\"longitude\": -1.8716}",
	            org),
	       far);
	create(tok, "/v1/cases/directory/service_at_locations",
	       body("{\"service_id\": \"%s\", \"location_id\": \"%s\"}",
	            service, far),
	       far_sal);
	/* from a point 1 km west of the first: both within 10 km, nearest
	 * first, with their distances */
	get("/v1/cases/hsds/service_at_locations?search=Qods&lat=34.6814&"
	    "lon=-1.9195",
	    200, &r);
	c = json_object_get(r.json, "contents");
	ck_assert_int_eq(json_array_size(c), 2);
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_array_get(c, 0), "id")),
	    sal);
	d0 = json_number_value(
	    json_object_get(json_array_get(c, 0), "distance_km"));
	d1 = json_number_value(
	    json_object_get(json_array_get(c, 1), "distance_km"));
	ck_assert_msg(d0 > 0.9 && d0 < 1.1, "d0 %f", d0);
	ck_assert_msg(d1 > 4.3 && d1 < 4.5, "d1 %f", d1);
	t_resp_free(&r);
	/* 2 km around it: the first only */
	get("/v1/cases/hsds/service_at_locations?search=Qods&lat=34.6814&"
	    "lon=-1.9195&radius_km=2",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	t_resp_free(&r);
	/* services: the service once, at its nearest location's distance */
	get("/v1/cases/hsds/services?search=Qods&lat=34.6814&lon=-1.9195", 200,
	    &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	d0 = json_number_value(json_object_get(
	    json_array_get(json_object_get(r.json, "contents"), 0),
	    "distance_km"));
	ck_assert_msg(d0 > 0.9 && d0 < 1.1, "d0 %f", d0);
	t_resp_free(&r);
	/* Agadir is 600 km away */
	get("/v1/cases/hsds/services?search=Qods&lat=30.4278&lon=-9.5981&"
	    "radius_km=500",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 0);
	t_resp_free(&r);
	free(tok);
}
END_TEST

START_TEST(malformed_query_names_the_argument)
{
	static const struct {
		const char *query, *field;
	} cases[] = {
	    {"serach=x", "serach"},
	    {"page=1&page=2", "page"},
	    {"page=0", "page"},
	    {"page=x", "page"},
	    {"per_page=201", "per_page"},
	    {"per_page=-1", "per_page"},
	    {"full=maybe", "full"},
	    {"organization_id=42", "organization_id"},
	    {"taxonomy_id=x", "taxonomy_id"},
	    {"taxonomy_term_id=atlantis", "taxonomy_term_id"},
	    {"modified_after=yesterday", "modified_after"},
	    {"modified_after=2026-02-30", "modified_after"},
	    {"commune=atlantis", "commune"},
	    {"lat=34.68", "lon"},
	    {"lon=-1.9", "lat"},
	    {"lat=91&lon=0", "lat"},
	    {"lat=34&lon=-1.9e1", "lon"},
	    {"lat=34&lon=-1.9&radius_km=9999", "radius_km"},
	    {"search=%21%21%21", "search"},
	    {"search=%0A", "search"},
	};
	char path[256];
	struct t_resp r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "/v1/cases/hsds/services?%s",
		         cases[i].query);
		get(path, 400, &r);
		ck_assert_ptr_nonnull(
		    strstr(r.headers, "application/problem+json"));
		ck_assert_msg(strcmp(error_field(&r), cases[i].field) == 0,
		              "%s: field \"%s\", want \"%s\"", cases[i].query,
		              error_field(&r), cases[i].field);
		t_resp_free(&r);
	}
	get("/v1/cases/hsds/service_at_locations?status=closed", 400, &r);
	ck_assert_str_eq(error_field(&r), "status");
	t_resp_free(&r);
	get("/v1/cases/hsds/taxonomy_terms?top_only=yes", 400, &r);
	ck_assert_str_eq(error_field(&r), "top_only");
	t_resp_free(&r);
	get("/v1/cases/hsds/organizations?commune=oujda", 400, &r);
	ck_assert_str_eq(error_field(&r), "commune");
	t_resp_free(&r);
	get("/v1/cases/hsds/services/01930000-0000-7000-8000-00000000a001?"
	    "full=true",
	    400, &r);
	ck_assert_str_eq(error_field(&r), "full");
	t_resp_free(&r);
}
END_TEST

START_TEST(writes_of_another_region_or_role_refused)
{
	char org[37], loc[37], service[37], sal[37], path[256];
	char *souss = officer("souss-massa");
	char *agent =
	    t_token_commune("agent-or", "municipal_agent", "oriental", "oujda");
	char *admin = t_token("admin-1", "admin", "");
	struct t_resp r;
	json_t *b;

	oujda_directory("Wifaq", org, loc, service, sal);
	/* another region's officer: every write of an Oriental record is a
	 * 404, as for a missing id */
	static const char *const kinds[] = {
	    "organizations", "services", "locations", "service_at_locations"};
	const char *ids[] = {org, service, loc, sal};
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/v1/cases/directory/%s/%s",
		         kinds[i], ids[i]);
		b = body("{\"name\": {\"fr\": \"Piraté\"}}");
		if (i == 3)
			b = (json_decref(b),
			     body("{\"status\": \"inactive\"}"));
		ck_assert_int_eq(t_json(&svc, "PATCH", path, souss, b, &r), 0);
		ck_assert_msg(r.status == 404, "%s: %ld", path, r.status);
		t_resp_free(&r);
		/* a municipal agent of the region: 403 */
		ck_assert_int_eq(t_json(&svc, "PATCH", path, agent, b, &r), 0);
		ck_assert_msg(r.status == 403, "%s: %ld", path, r.status);
		t_resp_free(&r);
		/* no token: 401 */
		ck_assert_int_eq(t_json(&svc, "PATCH", path, NULL, b, &r), 0);
		ck_assert_int_eq(r.status, 401);
		t_resp_free(&r);
		json_decref(b);
	}
	/* creations under another region's records or for another region */
	b = body("{\"organization_id\": \"%s\", \"name\": {\"fr\": \"X\"}, "
	         "\"description\": {\"fr\": \"X\"}}",
	         org);
	ck_assert_int_eq(
	    t_json(&svc, "POST", "/v1/cases/directory/services", souss, b, &r),
	    0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_field(&r), "organization_id");
	t_resp_free(&r);
	ck_assert_int_eq(
	    t_json(&svc, "POST", "/v1/cases/directory/services", agent, b, &r),
	    0);
	ck_assert_int_eq(r.status, 403);
	t_resp_free(&r);
	json_decref(b);
	b = body("{\"service_id\": \"%s\", \"location_id\": \"%s\"}", service,
	         loc);
	ck_assert_int_eq(t_json(&svc, "POST",
	                        "/v1/cases/directory/service_at_locations",
	                        souss, b, &r),
	                 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_field(&r), "service_id");
	t_resp_free(&r);
	/* the same pair twice: 409 */
	ck_assert_int_eq(t_json(&svc, "POST",
	                        "/v1/cases/directory/service_at_locations",
	                        admin, b, &r),
	                 0);
	ck_assert_int_eq(r.status, 409);
	t_resp_free(&r);
	json_decref(b);
	b = body("{\"region\": \"oriental\", \"name\": {\"fr\": \"X\"}, "
	         "\"description\": {\"fr\": \"X\"}}");
	ck_assert_int_eq(t_json(&svc, "POST",
	                        "/v1/cases/directory/organizations", souss, b,
	                        &r),
	                 0);
	ck_assert_int_eq(r.status, 403);
	t_resp_free(&r);
	json_decref(b);
	/* an admin writes any region's */
	snprintf(path, sizeof(path), "/v1/cases/directory/services/%s",
	         service);
	b = body("{\"alternate_name\": \"Permanence du mercredi\"}");
	ck_assert_int_eq(t_json(&svc, "PATCH", path, admin, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	free(souss);
	free(agent);
	free(admin);
}
END_TEST

START_TEST(if_match_and_status)
{
	char org[37], loc[37], service[37], sal[37], path[256], auth[4096];
	char *tok = officer("oriental");
	const char *hdr[4];
	struct t_resp r;
	const char *patch = "{\"status\": \"inactive\"}";

	oujda_directory("Salam", org, loc, service, sal);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	hdr[0] = auth;
	hdr[1] = "Content-Type: application/json";
	hdr[2] = "If-Match: \"v7\"";
	hdr[3] = NULL;
	snprintf(path, sizeof(path),
	         "/v1/cases/directory/service_at_locations/%s", sal);
	ck_assert_int_eq(
	    t_http(&svc, "PATCH", path, hdr, patch, strlen(patch), &r), 0);
	ck_assert_int_eq(r.status, 412);
	ck_assert_str_eq(
	    json_string_value(json_object_get(r.json, "current_etag")),
	    "\"v1\"");
	t_resp_free(&r);
	hdr[2] = "If-Match: \"v1\"";
	ck_assert_int_eq(
	    t_http(&svc, "PATCH", path, hdr, patch, strlen(patch), &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.headers, "ETag: \"v2\""));
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
	                 "inactive");
	t_resp_free(&r);
	/* the agents' list of active places no longer shows it */
	get("/v1/cases/hsds/service_at_locations?search=Salam&status=active",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 0);
	t_resp_free(&r);
	get("/v1/cases/hsds/service_at_locations?search=Salam&status=inactive",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	t_resp_free(&r);
	free(tok);
}
END_TEST

START_TEST(strict_bodies)
{
	static const struct {
		const char *path, *body, *field;
	} cases[] = {
	    {"organizations",
	     "{\"region\": \"oriental\", \"name\": {\"fr\":"
	     " \"A\"}, \"description\": {\"fr\": \"B\"}, \"is_admin\": true}",
	     "is_admin"},
	    {"organizations",
	     "{\"region\": \"oriental\", \"name\": {\"ar\":"
	     " \"ا\"}, \"description\": {\"fr\": \"B\"}}",
	     "name.fr"},
	    {"organizations",
	     "{\"region\": \"oriental\", \"name\": {\"fr\":"
	     " \"A\"}, \"description\": {\"fr\": \"B\"}, \"website\": "
	     "\"ftp://x.ma\"}",
	     "website"},
	    {"organizations",
	     "{\"region\": \"oriental\", \"name\": {\"fr\":"
	     " \"A\"}, \"description\": {\"fr\": \"B\"}, \"phones\": "
	     "[{\"number\": \"call me\"}]}",
	     "phones[0].number"},
	    {"organizations",
	     "{\"name\": {\"fr\": \"A\"}, \"description\": "
	     "{\"fr\": \"B\"}}",
	     "region"},
	    {"services",
	     "{\"organization_id\": \"nope\", \"name\": {\"fr\":"
	     " \"A\"}, \"description\": {\"fr\": \"B\"}}",
	     "organization_id"},
	    {"locations",
	     "{\"organization_id\": "
	     "\"01930000-0000-7000-8000-00000000a001\", \"commune\": "
	     "\"oujda\", \"name\": {\"fr\": \"A\"}, \"latitude\": \"34\"}",
	     "latitude"},
	};
	char *tok = officer("oriental");
	char path[256];
	struct t_resp r;
	json_t *b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "/v1/cases/directory/%s",
		         cases[i].path);
		b = json_loads(cases[i].body, 0, NULL);
		ck_assert_ptr_nonnull(b);
		ck_assert_int_eq(t_json(&svc, "POST", path, tok, b, &r), 0);
		ck_assert_msg(r.status == 400 &&
		                  strcmp(error_field(&r), cases[i].field) == 0,
		              "%s: %ld %s", cases[i].body, r.status, r.body);
		t_resp_free(&r);
		json_decref(b);
	}
	free(tok);
}
END_TEST

START_TEST(location_rules)
{
	char org[37], loc[37], service[37], sal[37], path[256];
	char *tok = officer("oriental");
	struct t_resp r;
	json_t *b;

	oujda_directory("Atlas", org, loc, service, sal);
	/* a commune of the other region, coordinates half given, a
	 * schedule closing before it opens */
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {"{\"organization_id\": \"%s\", \"commune\": \"agadir\", "
	     "\"name\": {\"fr\": \"A\"}, \"latitude\": 30.4, "
	     "\"longitude\": -9.6}",
	     "commune"},
	    {"{\"organization_id\": \"%s\", \"commune\": \"oujda\", "
	     "\"name\": {\"fr\": \"A\"}, \"latitude\": 34.6}",
	     "longitude"},
	    {"{\"organization_id\": \"%s\", \"commune\": \"oujda\", "
	     "\"name\": {\"fr\": \"A\"}}",
	     "latitude"},
	    {"{\"organization_id\": \"%s\", \"commune\": \"oujda\", "
	     "\"name\": {\"fr\": \"A\"}, \"latitude\": 34.6, \"longitude\":"
	     " -1.9, \"schedules\": [{\"byday\": \"MO\", \"opens_at\": "
	     "\"14:00\", \"closes_at\": \"09:00\"}]}",
	     "schedules[0].closes_at"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = body(cases[i].body, org);
		ck_assert_int_eq(t_json(&svc, "POST",
		                        "/v1/cases/directory/locations", tok, b,
		                        &r),
		                 0);
		ck_assert_msg(r.status == 400 &&
		                  strcmp(error_field(&r), cases[i].field) == 0,
		              "%s: %ld %s", cases[i].body, r.status, r.body);
		t_resp_free(&r);
		json_decref(b);
	}
	/* a virtual location needs no point */
	create(tok, "/v1/cases/directory/locations",
	       body("{\"organization_id\": \"%s\", \"commune\": \"oujda\", "
	            "\"location_type\": \"virtual\", \"url\": "
	            "\"https://atlas.example"
	            "\", \"name\": {\"fr\": \"Permanence en ligne\"}}",
	            org),
	       path);
	/* moving the location to Berkane moves its service-at-location */
	snprintf(path, sizeof(path), "/v1/cases/directory/locations/%s", loc);
	b = body("{\"commune\": \"berkane\", \"latitude\": 34.92, "
	         "\"longitude\": -2.32}");
	ck_assert_int_eq(t_json(&svc, "PATCH", path, tok, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	get("/v1/cases/hsds/services?search=Atlas&commune=berkane", 200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	t_resp_free(&r);
	get("/v1/cases/hsds/services?search=Atlas&commune=oujda", 200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 0);
	t_resp_free(&r);
	free(tok);
}
END_TEST

/* Lists read stored items (service_list_items): a write of the service,
 * of its terms or of its organisation shows in the next list. */
START_TEST(list_items_follow_writes)
{
	char org[37], loc[37], service[37], sal[37], path[256];
	char *tok = officer("oriental");
	struct t_resp r;
	json_t *b, *s;

	oujda_directory("Fresh", org, loc, service, sal);
	snprintf(path, sizeof(path), "/v1/cases/directory/organizations/%s",
	         org);
	b = body("{\"name\": {\"fr\": \"Association Fraîche\"}}");
	ck_assert_int_eq(t_json(&svc, "PATCH", path, tok, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	snprintf(path, sizeof(path), "/v1/cases/directory/services/%s",
	         service);
	b = body("{\"taxonomy_terms\": [\"housing\"], \"status\": "
	         "\"inactive\"}");
	ck_assert_int_eq(t_json(&svc, "PATCH", path, tok, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	get("/v1/cases/hsds/services?search=Fresh&taxonomy_term_id=housing",
	    200, &r);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	s = json_array_get(json_object_get(r.json, "contents"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(s, "status")),
	                 "inactive");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "version")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(s, "organization"), "name")),
	                 "Association Fraîche");
	ck_assert_int_eq(json_array_size(json_object_get(s, "attributes")), 1);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(s, "attributes"), 0), "value")),
	    "housing");
	t_resp_free(&r);
	/* the service embedded in its service-at-location too */
	get("/v1/cases/hsds/service_at_locations?search=Fresh", 200, &r);
	s = json_object_get(
	    json_array_get(json_object_get(r.json, "contents"), 0), "service");
	ck_assert_str_eq(json_string_value(json_object_get(s, "status")),
	                 "inactive");
	t_resp_free(&r);
	free(tok);
}
END_TEST

/* Through the gateway: the HSDS reads answer without a token and are
 * cached as public data (one entry for everyone, 304 on If-None-Match);
 * a write through the gateway is enforced as on the service, and the
 * cached list shows it once the gateway consumed the write's event. */
START_TEST(through_the_gateway)
{
	char org[37], loc[37], service[37], sal[37], path[256], etag[128];
	char *tok = officer("oriental"), *souss = officer("souss-massa");
	char *agent =
	    t_token_commune("agent-gw", "municipal_agent", "oriental", "oujda");
	char inm[200], xc[32];
	const char *hdr[2] = {inm, NULL};
	struct t_resp r;
	json_t *b;

	oujda_directory("Passerelle", org, loc, service, sal);
	ck_assert_int_eq(t_stream_settle("events:cases", "gateway", 100, 10000),
	                 0);
	snprintf(path, sizeof(path),
	         "/v1/cases/hsds/services?search="
	         "Passerelle&commune=oujda");
	ck_assert_int_eq(t_http(&gw, "GET", path, NULL, NULL, 0, &r), 0);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(r.json, "total_items")), 1);
	t_resp_free(&r);
	/* the second read is a hit, an anonymous one as a token's */
	ck_assert_int_eq(t_http(&gw, "GET", path, NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(t_resp_header(&r, "x-cache", xc, sizeof(xc)), 0);
	ck_assert_str_eq(xc, "hit");
	ck_assert_int_eq(t_resp_header(&r, "etag", etag, sizeof(etag)), 0);
	t_resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	ck_assert_int_eq(t_http(&gw, "GET", path, hdr, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 304);
	t_resp_free(&r);
	/* a malformed argument is the service's 400 */
	ck_assert_int_eq(t_http(&gw, "GET", "/v1/cases/hsds/services?page=0",
	                        NULL, NULL, 0, &r),
	                 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_field(&r), "page");
	t_resp_free(&r);

	/* writes: no token 401, an agent 403, another region 404, the
	 * region's officer 200 */
	snprintf(path, sizeof(path), "/v1/cases/directory/services/%s",
	         service);
	b = body("{\"status\": \"inactive\"}");
	ck_assert_int_eq(t_json(&gw, "PATCH", path, NULL, b, &r), 0);
	ck_assert_int_eq(r.status, 401);
	t_resp_free(&r);
	ck_assert_int_eq(t_json(&gw, "PATCH", path, agent, b, &r), 0);
	ck_assert_int_eq(r.status, 403);
	t_resp_free(&r);
	ck_assert_int_eq(t_json(&gw, "PATCH", path, souss, b, &r), 0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	ck_assert_int_eq(t_json(&gw, "PATCH", path, tok, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	/* the cached list is dropped by the write's event */
	ck_assert_int_eq(t_stream_settle("events:cases", "gateway", 100, 10000),
	                 0);
	snprintf(path, sizeof(path),
	         "/v1/cases/hsds/services?search="
	         "Passerelle&commune=oujda");
	ck_assert_int_eq(t_http(&gw, "GET", path, NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(r.json, "contents"), 0),
	        "status")),
	    "inactive");
	t_resp_free(&r);
	free(tok);
	free(souss);
	free(agent);
}
END_TEST

/* The public directory through GraphQL (openapi/schema.graphql): the demo
 * directory of Agadir and Oujda loaded through the officers' API, then
 * every field of the directory's types compared with the REST answer it
 * is read from (tests/graphql/shapes.mjs), and a search by commune and
 * taxonomy term giving the REST list's services, nested, anonymously. */
START_TEST(graphql_directory)
{
	char *sm = officer("souss-massa"), *ori = officer("oriental"), q[512];
	struct t_resp r, rest;
	json_t *b, *page, *rpage, *item;
	char *text;
	size_t i;

	ck_assert_int_eq(t_tool("scripts/load-directory.sh "
	                        "http://127.0.0.1:%d %s %s >/dev/null",
	                        svc.port, sm, ori),
	                 0);
	ck_assert_int_eq(t_stream_settle("events:cases", "gateway", 100, 10000),
	                 0);
	ck_assert_int_eq(
	    t_tool("node tests/graphql/shapes.mjs http://127.0.0.1:%d "
	           "directory",
	           gw.port),
	    0);

	snprintf(q, sizeof(q),
	         "{ services(commune: \"oujda\", taxonomyTermId: "
	         "\"legal_aid\", perPage: 10) { totalItems contents { "
	         "uuid name status attributes { taxonomyTerm { code } } "
	         "serviceAtLocations { commune location { name } } } } }");
	b = json_pack("{s:s}", "query", q);
	ck_assert_int_eq(t_json(&gw, "POST", "/graphql", NULL, b, &r), 0);
	json_decref(b);
	ck_assert_msg(r.status == 200 &&
	                  json_object_get(r.json, "errors") == NULL,
	              "%ld %s", r.status, r.body);
	ck_assert_int_eq(t_http(&gw, "GET",
	                        "/v1/cases/hsds/services?commune=oujda&"
	                        "taxonomy_term_id=legal_aid&per_page=10",
	                        NULL, NULL, 0, &rest),
	                 0);
	ck_assert_int_eq(rest.status, 200);
	page = json_object_get(json_object_get(r.json, "data"), "services");
	rpage = json_object_get(rest.json, "contents");
	ck_assert_int_gt(json_array_size(rpage), 0);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(page, "totalItems")),
	    json_integer_value(json_object_get(rest.json, "total_items")));
	json_array_foreach(json_object_get(page, "contents"), i, item)
	{
		ck_assert_str_eq(
		    json_string_value(json_object_get(item, "uuid")),
		    json_string_value(
		        json_object_get(json_array_get(rpage, i), "id")));
		text = json_dumps(item, 0);
		ck_assert_ptr_nonnull(strstr(text, "\"legal_aid\""));
		ck_assert_ptr_nonnull(strstr(text, "\"oujda\""));
		free(text);
	}
	t_resp_free(&rest);
	t_resp_free(&r);
	free(sm);
	free(ori);
}
END_TEST

/* Count the events of `type` whose subject is `id`; every directory event
 * carries only ids, region, commune, status, version and term codes. */
static int
directory_events(const json_t *evs, const char *type, const char *id)
{
	static const char *const allowed[] = {
	    "organization_id", "service_id",
	    "location_id",     "service_at_location_id",
	    "region",          "commune",
	    "status",          "version",
	    "taxonomy_terms",  NULL};
	const char *key;
	json_t *e, *v;
	size_t i;
	int n = 0;

	json_array_foreach(evs, i, e)
	{
		const char *t = json_string_value(json_object_get(e, "type"));

		if (t == NULL || strncmp(t, "cases.directory.", 16) != 0)
			continue;
		json_object_foreach(json_object_get(e, "data"), key, v)
		{
			int ok = 0;

			for (int k = 0; allowed[k] != NULL; k++)
				ok |= strcmp(key, allowed[k]) == 0;
			ck_assert_msg(ok, "%s carries %s", t, key);
		}
		if (strcmp(t, type) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "subject")),
		           id) == 0)
			n++;
	}
	return n;
}

START_TEST(writes_emit_events)
{
	char org[37], loc[37], service[37], sal[37], path[256];
	char *tok = officer("oriental");
	struct t_resp r;
	json_t *evs = NULL, *b;
	int i;

	oujda_directory("Events", org, loc, service, sal);
	snprintf(path, sizeof(path), "/v1/cases/directory/services/%s",
	         service);
	b = body("{\"status\": \"temporarily closed\"}");
	ck_assert_int_eq(t_json(&svc, "PATCH", path, tok, b, &r), 0);
	ck_assert_int_eq(r.status, 200);
	t_resp_free(&r);
	json_decref(b);
	for (i = 0; i < 50; i++) {
		json_decref(evs);
		evs = t_stream_events("events:cases");
		ck_assert_ptr_nonnull(evs);
		if (directory_events(evs, "cases.directory.service.updated.v1",
		                     service) == 1)
			break;
		t_sleep_ms(100);
	}
	ck_assert_int_eq(
	    directory_events(evs, "cases.directory.organization.created.v1",
	                     org),
	    1);
	ck_assert_int_eq(
	    directory_events(evs, "cases.directory.location.created.v1", loc),
	    1);
	ck_assert_int_eq(directory_events(evs,
	                                  "cases.directory.service.created.v1",
	                                  service),
	                 1);
	ck_assert_int_eq(
	    directory_events(
	        evs, "cases.directory.service_at_location.created.v1", sal),
	    1);
	ck_assert_int_eq(directory_events(evs,
	                                  "cases.directory.service.updated.v1",
	                                  service),
	                 1);
	json_decref(evs);
	free(tok);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cases-directory");
	TCase *tc = tcase_create("directory");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, routes_equal_openapi);
	tcase_add_test(tc, root_and_taxonomy_by_language);
	tcase_add_test(tc, officer_builds_a_directory_the_public_reads);
	tcase_add_test(tc, distance_search_nearest_first);
	tcase_add_test(tc, malformed_query_names_the_argument);
	tcase_add_test(tc, writes_of_another_region_or_role_refused);
	tcase_add_test(tc, if_match_and_status);
	tcase_add_test(tc, strict_bodies);
	tcase_add_test(tc, location_rules);
	tcase_add_test(tc, list_items_follow_writes);
	tcase_add_test(tc, writes_emit_events);
	tcase_add_test(tc, through_the_gateway);
	tcase_add_test(tc, graphql_directory);
	suite_add_tcase(s, tc);
	return t_run(s);
}
