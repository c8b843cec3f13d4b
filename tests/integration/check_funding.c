/*
 * Funding service over HTTP: its routes equal openapi/funding.yaml, and
 * the public reference data answers in the client's language.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "mp/phases.h"
#include "support.h"

static struct t_proc svc;

static void
setup(void)
{
	if (t_service_start(&svc, "funding", NULL) != 0) {
		fprintf(stderr, "funding did not become ready\n");
		exit(1);
	}
}

static void
teardown(void)
{
	t_proc_stop(&svc);
}

START_TEST(routes_equal_openapi)
{
	t_assert_routes_match_openapi(&svc, "openapi/funding.yaml");
}
END_TEST

START_TEST(regions_by_language)
{
	const char *ar[] = {"Accept-Language: ar", NULL};
	struct t_resp r;
	json_t *items;

	ck_assert_int_eq(
	    t_http(&svc, "GET", "/v1/funding/regions", ar, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	items = json_object_get(r.json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_str_eq(json_string_value(
	                     json_object_get(json_array_get(items, 0), "code")),
	                 "oriental");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(items, 0), "label")),
	                 "الشرق");
	t_resp_free(&r);
}
END_TEST

START_TEST(reference_lists_by_language)
{
	const char *en[] = {"Accept-Language: en-GB,en;q=0.9", NULL};
	struct t_resp r;
	json_t *items;

	t_http(&svc, "GET", "/v1/funding/themes", en, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	items = json_object_get(r.json, "items");
	ck_assert_int_eq(json_array_size(items), 4);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(items, 0), "label")),
	                 "Economic development");
	t_resp_free(&r);
	/* no English name: the French one */
	t_http(&svc, "GET", "/v1/funding/regions/oriental/communes", en, NULL,
	       0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(r.json, "items"), 0), "label")),
	    "Berkane");
	t_resp_free(&r);
}
END_TEST

START_TEST(provinces_and_unknown_region)
{
	struct t_resp r;

	t_http(&svc, "GET", "/v1/funding/regions/oriental/provinces", NULL,
	       NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 8);
	t_resp_free(&r);
	t_http(&svc, "GET", "/v1/funding/regions/atlantis/provinces", NULL,
	       NULL, 0, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_nonnull(strstr(r.headers, "application/problem+json"));
	t_resp_free(&r);
}
END_TEST

/* GET `path` as `token`: a 400 problem whose errors[0] names `field`. */
static void
refused_naming(const char *path, const char *token, const char *field)
{
	struct t_resp r;
	json_t *err;

	ck_assert_int_eq(t_json(&svc, "GET", path, token, NULL, &r), 0);
	if (r.status != 400)
		ck_abort_msg("%s: %ld, expected 400", path, r.status);
	ck_assert_ptr_nonnull(strstr(r.headers, "application/problem+json"));
	err = json_array_get(json_object_get(r.json, "errors"), 0);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(json_string_value(json_object_get(err, "field")),
	                 field);
	ck_assert_ptr_nonnull(
	    json_string_value(json_object_get(err, "reason")));
	t_resp_free(&r);
}

static void
accepted(const char *path, const char *token)
{
	struct t_resp r;

	ck_assert_int_eq(t_json(&svc, "GET", path, token, NULL, &r), 0);
	if (r.status != 200)
		ck_abort_msg("%s: %ld, expected 200", path, r.status);
	t_resp_free(&r);
}

/* The server refuses what the schema refuses: list filters are checked
 * against their declared types (an unknown region used to give 200 and
 * an empty list), and a parameter it cannot read (%00) or one given twice
 * is refused instead of ignored or read as its first occurrence. */
START_TEST(list_filters_refuse_what_the_schema_refuses)
{
	char *off = t_token("0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a01",
	                    "council_officer", "oriental");

	refused_naming("/v1/funding/calls?region=atlantis", NULL, "region");
	refused_naming("/v1/funding/calls?status=open", NULL, "status");
	refused_naming("/v1/funding/calls?limit=0", NULL, "limit");
	refused_naming("/v1/funding/calls?limit=ten", NULL, "limit");
	refused_naming("/v1/funding/calls?cursor=zz", NULL, "cursor");
	refused_naming("/v1/funding/envelopes?year=27", off, "year");
	refused_naming("/v1/funding/envelopes?year=20270", off, "year");
	refused_naming("/v1/funding/appraisals?application_id=abc", off,
	               "application_id");
	refused_naming("/v1/funding/applications?call_id=abc", off, "call_id");
	refused_naming("/v1/funding/calls?ids=abc", NULL, "ids");
	refused_naming("/v1/funding/applications?ids=0190f5c2-7b7e-7cc3-8a1e-"
	               "3f0c5d1e2a01,zz",
	               off, "ids");
	refused_naming("/v1/funding/application-appraisals", off,
	               "application_ids");
	refused_naming("/v1/funding/application-appraisals?application_ids="
	               "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a01&per_parent=500",
	               off, "per_parent");
	refused_naming("/v1/funding/call-applications", off, "call_ids");
	refused_naming("/v1/funding/call-applications?call_ids=abc", off,
	               "call_ids");
	refused_naming("/v1/funding/call-applications?call_ids=0190f5c2-7b7e-"
	               "7cc3-8a1e-3f0c5d1e2a01&per_parent=0",
	               off, "per_parent");
	refused_naming("/v1/funding/erc/members?region=atlantis", off,
	               "region");
	refused_naming("/v1/funding/dashboard?year=abc", off, "year");
	refused_naming("/v1/funding/dashboard.csv?year=abc", off, "year");
	/* bytes it cannot read, a name given twice */
	refused_naming("/v1/funding/calls?region=oriental%00", NULL, "region");
	refused_naming("/v1/funding/calls?region=%zz", NULL, "region");
	refused_naming("/v1/funding/calls?region=oriental&region=souss-massa",
	               NULL, "region");
	refused_naming("/v1/funding/calls?limit=5&limit=5", NULL, "limit");
	refused_naming("/v1/funding/regions?x=%00", NULL, "x");
	/* what the schema accepts still works, undeclared names are ignored */
	accepted("/v1/funding/calls?region=oriental&status=published&limit=5",
	         NULL);
	accepted("/v1/funding/calls?utm_source=x", NULL);
	accepted("/v1/funding/envelopes?region=oriental&year=2027", off);
	accepted("/v1/funding/dashboard.csv?year=2027", off);
	accepted("/v1/funding/call-applications?call_ids=0190f5c2-7b7e-7cc3-"
	         "8a1e-3f0c5d1e2a01&per_parent=5",
	         off);
	accepted("/v1/funding/appraisals?application_id="
	         "0190f5c2-7b7e-7cc3-8a1e-3f0c5d1e2a4b",
	         off);
	free(off);
}
END_TEST

/* The ring a worker maps under MP_BENCH_PHASES (one worker: one file in
 * dir), mapped read-only, or NULL. */
static const struct mp_phase_file *
phase_ring(const char *dir, size_t *bytes)
{
	char path[1024];
	struct dirent *e;
	struct stat st;
	void *map = NULL;
	DIR *d = opendir(dir);
	int fd;

	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "phases-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		if (fstat(fd, &st) == 0) {
			map = mmap(NULL, (size_t)st.st_size, PROT_READ,
			           MAP_SHARED, fd, 0);
			*bytes = (size_t)st.st_size;
		}
		close(fd);
		break;
	}
	closedir(d);
	return map == NULL || map == MAP_FAILED ? NULL : map;
}

/* MP_BENCH_PHASES: one record per request that ran a statement, its
 * phases in order, the worker's run_delay never going back. */
START_TEST(bench_phases_recorded_in_order)
{
	static char direnv[1024];
	const char *env[] = {direnv, "MP_WORKERS=1", NULL};
	const struct mp_phase_file *ring;
	const struct mp_phase_rec *rec;
	struct t_proc p;
	struct t_resp r;
	char dir[400], cmd[1024];
	uint64_t before;
	size_t bytes = 0;
	int i, k;

	snprintf(dir, sizeof(dir), "%s/phases-test",
	         getenv("MP_TEST_VAR") != NULL ? getenv("MP_TEST_VAR")
	                                       : "/tmp");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(direnv, sizeof(direnv), "MP_BENCH_PHASES=%s", dir);
	ck_assert_int_eq(t_service_start(&p, "funding", env), 0);
	ring = phase_ring(dir, &bytes);
	ck_assert_ptr_nonnull(ring);
	ck_assert(ring->magic == MP_PHASES_MAGIC);
	ck_assert(ring->rec_size == sizeof(struct mp_phase_rec));
	before = ring->count;
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(t_http(&p, "GET",
		                        "/v1/funding/calls?region=oriental",
		                        NULL, NULL, 0, &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		t_resp_free(&r);
	}
	ck_assert(ring->count == before + 3);
	rec = (const struct mp_phase_rec *)(ring + 1);
	for (i = 0; i < 3; i++) {
		const struct mp_phase_rec *x =
		    &rec[(before + (uint64_t)i) % ring->slots];

		ck_assert_int_eq(x->status, 200);
		ck_assert_int_ge(x->reads, 1);
		for (k = 0; k < MP_PH_COUNT; k++)
			ck_assert(x->t[k] != 0);
		for (k = 1; k < MP_PH_COUNT; k++)
			ck_assert(x->t[k] >= x->t[k - 1]);
		for (k = 1; k < MP_RD_COUNT; k++)
			ck_assert(x->rd[k] >= x->rd[k - 1]);
	}
	munmap((void *)(uintptr_t)ring, bytes);
	t_proc_stop(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("funding");
	TCase *tc = tcase_create("reference");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, routes_equal_openapi);
	tcase_add_test(tc, regions_by_language);
	tcase_add_test(tc, provinces_and_unknown_region);
	tcase_add_test(tc, reference_lists_by_language);
	tcase_add_test(tc, list_filters_refuse_what_the_schema_refuses);
	tcase_add_test(tc, bench_phases_recorded_in_order);
	suite_add_tcase(s, tc);
	return t_run(s);
}
