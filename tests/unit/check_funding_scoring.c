/*
 * Scoring grids, appraisal results, application scores and ranking.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/funding/src/domain.h"

static const char *grid_text =
    "[{\"key\": \"relevance\", \"weight\": 30, \"max\": 20,"
    "  \"label\": {\"fr\": \"Pertinence\", \"ar\": \"\\u0627\"}},"
    " {\"key\": \"feasibility\", \"weight\": 50, \"max\": 10},"
    " {\"key\": \"gender\", \"weight\": 20, \"max\": 5, \"label\": \"G\"}]";

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

static struct funding_grid
grid_of(const char *text)
{
	struct funding_grid g;
	json_t *j = J(text);
	char err[160] = "";

	ck_assert_msg(funding_grid_parse(j, &g, err, sizeof(err)) == 0, "%s",
	              err);
	json_decref(j);
	return g;
}

static void
expect_bad_grid(const char *text, const char *err_part)
{
	json_t *j = J(text);
	struct funding_grid g;
	char err[200] = "unset";

	ck_assert_msg(funding_grid_validate(j, err, sizeof(err)) == -EINVAL,
	              "accepted: %s", text);
	ck_assert_msg(strstr(err, err_part) != NULL, "%s: message \"%s\"", text,
	              err);
	ck_assert_int_eq(funding_grid_parse(j, &g, NULL, 0), -EINVAL);
	json_decref(j);
}

/* Returns the offending criteria joined by ',' (rc -EINVAL), or "". */
static int
score(const struct funding_grid *g, const char *text, int32_t *points,
      char *names, size_t cap)
{
	json_t *j = J(text), *off = (json_t *)0x1, *e;
	size_t i;
	int rc;

	names[0] = '\0';
	rc = funding_score_parse(g, j, points, &off);
	if (rc == 0) {
		ck_assert_ptr_null(off);
	} else {
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert(json_array_size(off) > 0);
		json_array_foreach(off, i, e)
		{
			ck_assert_ptr_nonnull(
			    json_string_value(json_object_get(e, "reason")));
			if (i > 0)
				strncat(names, ",", cap - strlen(names) - 1);
			strncat(
			    names,
			    json_string_value(json_object_get(e, "criterion")),
			    cap - strlen(names) - 1);
		}
		json_decref(off);
	}
	json_decref(j);
	return rc;
}

START_TEST(test_grid_parse)
{
	struct funding_grid g = grid_of(grid_text);
	char err[64] = "unset";
	json_t *j;

	ck_assert_uint_eq(g.n, 3);
	ck_assert_str_eq(g.c[0].key, "relevance");
	ck_assert_int_eq(g.c[0].weight, 30);
	ck_assert_int_eq(g.c[0].max, 20);
	ck_assert_str_eq(g.c[2].key, "gender");
	ck_assert_int_eq(g.weight_sum, 100);
	ck_assert_int_eq(g.lcm, 20);
	j = J(grid_text);
	ck_assert_int_eq(funding_grid_validate(j, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	json_decref(j);
	/* Limits themselves are accepted. */
	g = grid_of("[{\"key\": \"k123456789_123456789_123456789_123456789_"
	            "123456789_123456789_123\", \"weight\": 10000,"
	            " \"max\": 1000000}]");
	ck_assert_uint_eq(strlen(g.c[0].key), 64);
	ck_assert_int_eq(g.lcm, 1000000);
}
END_TEST

START_TEST(test_grid_malformed)
{
	expect_bad_grid("{}", "must be an array");
	expect_bad_grid("null", "must be an array");
	expect_bad_grid("[]", "1 to 32");
	expect_bad_grid("[1]", "grid[0]: must be an object");
	expect_bad_grid("[{\"weight\": 1, \"max\": 5}]", "grid[0].key");
	expect_bad_grid("[{\"key\": 5, \"weight\": 1, \"max\": 5}]",
	                "grid[0].key");
	expect_bad_grid("[{\"key\": \"\", \"weight\": 1, \"max\": 5}]",
	                "grid[0].key");
	expect_bad_grid("[{\"key\": \"Relevance\", \"weight\": 1, \"max\": 5}]",
	                "[a-z0-9_]");
	expect_bad_grid("[{\"key\": \"a b\", \"weight\": 1, \"max\": 5}]",
	                "[a-z0-9_]");
	expect_bad_grid("[{\"key\": \"pertinence\\u00e9\", \"weight\": 1,"
	                " \"max\": 5}]",
	                "[a-z0-9_]");
	/* 65 characters. */
	expect_bad_grid("[{\"key\": \"k123456789_123456789_123456789_123456789_"
	                "123456789_123456789_1234\", \"weight\": 1, \"max\": "
	                "5}]",
	                "grid[0].key");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1, \"max\": 5},"
	                " {\"key\": \"a\", \"weight\": 2, \"max\": 5}]",
	                "grid[1].key: duplicate");
	expect_bad_grid("[{\"key\": \"a\", \"max\": 5}]", "grid[0].weight");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 0, \"max\": 5}]",
	                "grid[0].weight: must be an integer 1..10000");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": -3, \"max\": 5}]",
	                "grid[0].weight");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 10001, \"max\": 5}]",
	                "grid[0].weight");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 0.5, \"max\": 5}]",
	                "grid[0].weight");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": \"30\", \"max\": 5}]",
	                "grid[0].weight");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1}]", "grid[0].max");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1, \"max\": 0}]",
	                "grid[0].max: must be an integer 1..1000000");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1, \"max\": 1000001}]",
	                "grid[0].max");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1,"
	                " \"max\": -9223372036854775808}]",
	                "grid[0].max");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1, \"max\": 5,"
	                " \"score\": 3}]",
	                "grid[0].score: unknown field");
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1, \"max\": 5,"
	                " \"label\": 3}]",
	                "grid[0].label");
	/* Maxima 997, 991, 983: lcm ~ 9.7e8 fits; adding 977 does not. */
	expect_bad_grid("[{\"key\": \"a\", \"weight\": 1, \"max\": 997},"
	                " {\"key\": \"b\", \"weight\": 1, \"max\": 991},"
	                " {\"key\": \"c\", \"weight\": 1, \"max\": 983},"
	                " {\"key\": \"d\", \"weight\": 1, \"max\": 977}]",
	                "common multiple");
}
END_TEST

START_TEST(test_grid_limits)
{
	json_t *grid = json_array();
	struct funding_grid g;
	char key[16];
	int i;

	for (i = 0; i < FUNDING_GRID_MAX; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		json_array_append_new(
		    grid, json_pack("{s:s, s:i, s:i}", "key", key, "weight",
		                    FUNDING_WEIGHT_MAX, "max", 10));
	}
	ck_assert_int_eq(funding_grid_parse(grid, &g, NULL, 0), 0);
	ck_assert_int_eq(g.weight_sum,
	                 (int64_t)FUNDING_GRID_MAX * FUNDING_WEIGHT_MAX);
	json_array_append_new(grid, json_pack("{s:s, s:i, s:i}", "key", "more",
	                                      "weight", 1, "max", 10));
	ck_assert_int_eq(funding_grid_parse(grid, &g, NULL, 0), -EINVAL);
	json_decref(grid);
	/* Large maxima with a small lcm; three primes just under 10^9. */
	g = grid_of("[{\"key\": \"a\", \"weight\": 1, \"max\": 1000000},"
	            " {\"key\": \"b\", \"weight\": 1, \"max\": 1000}]");
	ck_assert_int_eq(g.lcm, 1000000);
	g = grid_of("[{\"key\": \"a\", \"weight\": 1, \"max\": 997},"
	            " {\"key\": \"b\", \"weight\": 1, \"max\": 991},"
	            " {\"key\": \"c\", \"weight\": 1, \"max\": 983}]");
	ck_assert_int_eq(g.lcm, 997LL * 991 * 983);
}
END_TEST

START_TEST(test_grid_nul_in_names)
{
	json_t *grid = json_array(), *c = json_object();
	struct funding_grid g;
	char err[96];

	json_object_set_new(c, "key", json_stringn("ab\0c", 4));
	json_object_set_new(c, "weight", json_integer(1));
	json_object_set_new(c, "max", json_integer(5));
	json_array_append_new(grid, c);
	ck_assert_int_eq(funding_grid_parse(grid, &g, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "grid[0].key"));
	json_object_set_new(c, "key", json_string("ab"));
	ck_assert_int_eq(funding_grid_parse(grid, &g, NULL, 0), 0);
	json_object_setn_new(c, "max\0x", 5, json_integer(7));
	ck_assert_int_eq(funding_grid_parse(grid, &g, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown field"));
	json_decref(grid);
}
END_TEST

START_TEST(test_scores_valid)
{
	struct funding_grid g = grid_of(grid_text);
	int32_t p[FUNDING_GRID_MAX];
	char names[256];
	json_t *j;

	ck_assert_int_eq(score(&g,
	                       "{\"gender\": 5, \"relevance\": 0,"
	                       " \"feasibility\": 7}",
	                       p, names, sizeof(names)),
	                 0);
	/* Points come back in grid order, whatever the JSON order. */
	ck_assert_int_eq(p[0], 0);
	ck_assert_int_eq(p[1], 7);
	ck_assert_int_eq(p[2], 5);
	j = J("{\"gender\": 5, \"relevance\": 20, \"feasibility\": 10}");
	ck_assert_int_eq(funding_score_validate(&g, j, NULL), 0);
	json_decref(j);
}
END_TEST

START_TEST(test_scores_offending)
{
	struct funding_grid g = grid_of(grid_text);
	int32_t p[FUNDING_GRID_MAX];
	char names[256];

	ck_assert_int_eq(score(&g, "{\"relevance\": 1, \"feasibility\": 1}", p,
	                       names, sizeof(names)),
	                 -EINVAL);
	ck_assert_str_eq(names, "gender");
	ck_assert_int_eq(score(&g,
	                       "{\"relevance\": 21, \"feasibility\": 1,"
	                       " \"gender\": 1}",
	                       p, names, sizeof(names)),
	                 -EINVAL);
	ck_assert_str_eq(names, "relevance");
	ck_assert_int_eq(score(&g,
	                       "{\"relevance\": -1, \"feasibility\": 1,"
	                       " \"gender\": 1}",
	                       p, names, sizeof(names)),
	                 -EINVAL);
	ck_assert_str_eq(names, "relevance");
	/* Every offending criterion at once, then the unknown keys. */
	ck_assert_int_eq(score(&g,
	                       "{\"relevance\": 2.5, \"feasibility\": \"7\","
	                       " \"gender\": null, \"impact\": 3,"
	                       " \"Gender\": 1}",
	                       p, names, sizeof(names)),
	                 -EINVAL);
	ck_assert(strncmp(names, "relevance,feasibility,gender,", 29) == 0);
	ck_assert(strstr(names, "impact") != NULL);
	ck_assert(strstr(names, "Gender") != NULL);
	ck_assert_uint_eq(strlen(names), strlen("relevance,feasibility,gender,"
	                                        "impact,Gender"));
	ck_assert_int_eq(score(&g,
	                       "{\"relevance\": 9223372036854775807,"
	                       " \"feasibility\": -9223372036854775808,"
	                       " \"gender\": 4294967296}",
	                       p, names, sizeof(names)),
	                 -EINVAL);
	ck_assert_str_eq(names, "relevance,feasibility,gender");
	ck_assert_int_eq(score(&g, "[1, 2, 3]", p, names, sizeof(names)),
	                 -EINVAL);
	ck_assert_str_eq(names, "*");
	ck_assert_int_eq(score(&g, "{}", p, names, sizeof(names)), -EINVAL);
	ck_assert_str_eq(names, "relevance,feasibility,gender");
}
END_TEST

START_TEST(test_scores_reason_and_nul)
{
	struct funding_grid g = grid_of(grid_text);
	int32_t p[FUNDING_GRID_MAX];
	json_t *s = J("{\"relevance\": 30, \"feasibility\": 1, \"gender\": 1}");
	json_t *off = NULL;

	ck_assert_int_eq(funding_score_parse(&g, s, p, &off), -EINVAL);
	ck_assert_str_eq(json_string_value(
	                     json_object_get(json_array_get(off, 0), "reason")),
	                 "score must be between 0 and 20");
	json_decref(off);
	/* Valid scores plus "gender\0x": refused, not read as "gender". */
	json_object_set_new(s, "relevance", json_integer(3));
	json_object_setn_new(s, "gender\0x", 8, json_integer(2));
	ck_assert_int_eq(funding_score_parse(&g, s, p, &off), -EINVAL);
	ck_assert_uint_eq(json_array_size(off), 1);
	ck_assert_str_eq(json_string_value(
	                     json_object_get(json_array_get(off, 0), "reason")),
	                 "criterion key contains NUL");
	json_decref(off);
	json_decref(s);
}
END_TEST

START_TEST(test_scores_bad_arguments)
{
	struct funding_grid g = grid_of(grid_text), empty;
	int32_t p[FUNDING_GRID_MAX];
	json_t *s = J("{\"relevance\": 1, \"feasibility\": 1, \"gender\": 1}");
	json_t *off = (json_t *)0x1;

	memset(&empty, 0, sizeof(empty));
	ck_assert_int_eq(funding_score_parse(&empty, s, p, &off), -EINVAL);
	ck_assert_ptr_null(off);
	ck_assert_int_eq(funding_score_parse(NULL, s, p, &off), -EINVAL);
	ck_assert_int_eq(funding_score_parse(&g, s, NULL, &off), -EINVAL);
	ck_assert_int_eq(funding_score_validate(&g, NULL, &off), -EINVAL);
	ck_assert_uint_eq(json_array_size(off), 1);
	json_decref(off);
	json_decref(s);
}
END_TEST

static int32_t
result_of(const struct funding_grid *g, int32_t a, int32_t b, int32_t c)
{
	int32_t p[3] = {a, b, c}, bp = -1;

	ck_assert_int_eq(funding_appraisal_result_bp(g, p, &bp), 0);
	return bp;
}

START_TEST(test_appraisal_result)
{
	struct funding_grid g = grid_of(grid_text);

	ck_assert_int_eq(result_of(&g, 20, 10, 5), 10000);
	ck_assert_int_eq(result_of(&g, 0, 0, 0), 0);
	/* 30*10/20 + 50*5/10 + 20*0/5 = 15 + 25 + 0 = 40 of 100 */
	ck_assert_int_eq(result_of(&g, 10, 5, 0), 4000);
	/* 30*1/20 + 0 + 0 = 1.5 of 100 -> 150 bp */
	ck_assert_int_eq(result_of(&g, 1, 0, 0), 150);
	/* 20*1/5 = 4 of 100 */
	ck_assert_int_eq(result_of(&g, 0, 0, 1), 400);
}
END_TEST

/* The rounding is one half-up of the exact value, nothing else. */
START_TEST(test_appraisal_rounding_exact)
{
	struct funding_grid g;
	int32_t p[2], bp;

	/* 10000 * 1/20000 = 0.5 -> 1 */
	g = grid_of("[{\"key\": \"a\", \"weight\": 1, \"max\": 20000}]");
	p[0] = 1;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), 0);
	ck_assert_int_eq(bp, 1);
	/* 10000 * 1/30000 = 0.333 -> 0 ; 2/30000 = 0.667 -> 1 */
	g = grid_of("[{\"key\": \"a\", \"weight\": 7, \"max\": 30000}]");
	p[0] = 1;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), 0);
	ck_assert_int_eq(bp, 0);
	p[0] = 2;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), 0);
	ck_assert_int_eq(bp, 1);
	/*
	 * 5000 * (1/3 + 5/30000) = 1667.5 exactly -> 1668: a per-criterion
	 * truncation of 1/3 would give 1667.
	 */
	g = grid_of("[{\"key\": \"a\", \"weight\": 1, \"max\": 3},"
	            " {\"key\": \"b\", \"weight\": 1, \"max\": 30000}]");
	p[0] = 1;
	p[1] = 5;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), 0);
	ck_assert_int_eq(bp, 1668);
	p[1] = 4; /* 1667.33 */
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), 0);
	ck_assert_int_eq(bp, 1667);
	/* 2/3 with weights 1 and 2: 10000*(1*2/3 + 2*0)/3 = 2222.2 */
	g = grid_of("[{\"key\": \"a\", \"weight\": 1, \"max\": 3},"
	            " {\"key\": \"b\", \"weight\": 2, \"max\": 3}]");
	p[0] = 2;
	p[1] = 0;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), 0);
	ck_assert_int_eq(bp, 2222);
}
END_TEST

/* Against an independent 128-bit computation over the product of maxima. */
START_TEST(test_appraisal_matches_reference)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct funding_grid g;
	int32_t p[4], bp;
	int iter, i, n;

	for (iter = 0; iter < 20000; iter++) {
		__extension__ __int128 num = 0, den, prod = 1;
		int64_t wsum = 0;

		memset(&g, 0, sizeof(g));
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		n = 1 + (int)(seed % 4);
		g.n = (size_t)n;
		g.lcm = 1;
		for (i = 0; i < n; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			snprintf(g.c[i].key, sizeof(g.c[i].key), "k%d", i);
			g.c[i].weight = 1 + (int32_t)(seed % 10000);
			g.c[i].max = 1 + (int32_t)((seed >> 20) % 30);
			p[i] = (int32_t)((seed >> 40) % (g.c[i].max + 1));
			wsum += g.c[i].weight;
			prod *= g.c[i].max;
		}
		/* lcm the slow way, for the struct only. */
		for (g.lcm = 1;; g.lcm++) {
			for (i = 0; i < n && g.lcm % g.c[i].max == 0; i++)
				;
			if (i == n)
				break;
		}
		g.weight_sum = wsum;
		for (i = 0; i < n; i++)
			num += (__int128)g.c[i].weight * p[i] *
			       (prod / g.c[i].max);
		den = (__int128)wsum * prod;
		ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), 0);
		ck_assert_int_eq(bp,
		                 (int32_t)((20000 * num + den) / (2 * den)));
	}
}
END_TEST

START_TEST(test_appraisal_bad_input)
{
	struct funding_grid g = grid_of(grid_text), bad;
	int32_t p[3] = {20, 11, 5}, bp = 77;

	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), -EINVAL);
	p[1] = -1;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), -EINVAL);
	p[1] = INT32_MIN;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), -EINVAL);
	p[1] = INT32_MAX;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, &bp), -EINVAL);
	ck_assert_int_eq(bp, 77);
	p[1] = 3;
	ck_assert_int_eq(funding_appraisal_result_bp(&g, p, NULL), -EINVAL);
	ck_assert_int_eq(funding_appraisal_result_bp(&g, NULL, &bp), -EINVAL);
	ck_assert_int_eq(funding_appraisal_result_bp(NULL, p, &bp), -EINVAL);
	/* A grid not produced by funding_grid_parse is refused. */
	memset(&bad, 0, sizeof(bad));
	ck_assert_int_eq(funding_appraisal_result_bp(&bad, p, &bp), -EINVAL);
	bad = g;
	bad.lcm = 7; /* not a multiple of the maxima */
	ck_assert_int_eq(funding_appraisal_result_bp(&bad, p, &bp), -EINVAL);
	bad = g;
	bad.weight_sum = 1;
	ck_assert_int_eq(funding_appraisal_result_bp(&bad, p, &bp), -EINVAL);
	bad = g;
	bad.c[1].weight = FUNDING_WEIGHT_MAX + 1;
	ck_assert_int_eq(funding_appraisal_result_bp(&bad, p, &bp), -EINVAL);
	bad = g;
	bad.n = FUNDING_GRID_MAX + 1;
	ck_assert_int_eq(funding_appraisal_result_bp(&bad, p, &bp), -EINVAL);
	ck_assert_int_eq(bp, 77);
}
END_TEST

START_TEST(test_application_score)
{
	int32_t r[4], bp = -1;

	r[0] = 5000;
	r[1] = 5001;
	ck_assert_int_eq(funding_application_score_bp(r, 2, &bp), 0);
	ck_assert_int_eq(bp, 5001); /* 5000.5 -> up */
	r[0] = 1;
	r[1] = 2;
	ck_assert_int_eq(funding_application_score_bp(r, 2, &bp), 0);
	ck_assert_int_eq(bp, 2);
	r[0] = 0;
	ck_assert_int_eq(funding_application_score_bp(r, 1, &bp), 0);
	ck_assert_int_eq(bp, 0);
	r[0] = 10000;
	r[1] = 10000;
	r[2] = 9999;
	ck_assert_int_eq(funding_application_score_bp(r, 3, &bp), 0);
	ck_assert_int_eq(bp, 10000); /* 9999.67 */
	r[0] = 1;
	r[1] = 0;
	r[2] = 0;
	ck_assert_int_eq(funding_application_score_bp(r, 3, &bp), 0);
	ck_assert_int_eq(bp, 0); /* 0.33 */
	bp = 55;
	ck_assert_int_eq(funding_application_score_bp(r, 0, &bp), -ENODATA);
	r[1] = 10001;
	ck_assert_int_eq(funding_application_score_bp(r, 3, &bp), -EINVAL);
	r[1] = -1;
	ck_assert_int_eq(funding_application_score_bp(r, 3, &bp), -EINVAL);
	ck_assert_int_eq(funding_application_score_bp(NULL, 3, &bp), -EINVAL);
	ck_assert_int_eq(funding_application_score_bp(r, 1, NULL), -EINVAL);
	ck_assert_int_eq(bp, 55);
}
END_TEST

START_TEST(test_ranking)
{
	struct funding_rank_entry e[] = {
	    {"app-c", 7000, 300}, {"app-a", -1, 100},   {"app-b", 7000, 200},
	    {"app-e", 9000, 900}, {"app-d", 7000, 200}, {"app-f", -1, 50},
	    {"app-g", 0, 10},
	};
	static const char *const want[] = {
	    "app-e", "app-b", "app-d", "app-c", "app-g", "app-f", "app-a",
	};
	size_t i;

	funding_rank_sort(e, 7);
	for (i = 0; i < 7; i++)
		ck_assert_str_eq(e[i].id, want[i]);
	funding_rank_sort(NULL, 3);
	funding_rank_sort(e, 0);
}
END_TEST

/* The order does not depend on the input order: all 5! permutations. */
START_TEST(test_ranking_total_order)
{
	static const struct funding_rank_entry base[5] = {
	    {"b", 5000, 10}, {"a", 5000, 10}, {"c", 5000, 9},
	    {"d", 5001, 99}, {"e", -5, 0},
	};
	static const char *const want[5] = {"d", "c", "a", "b", "e"};
	struct funding_rank_entry e[5];
	int idx[5] = {0, 1, 2, 3, 4}, i, j, k, count = 0;

	/* Heap's algorithm, iterative. */
	int c[5] = {0};

	for (;;) {
		for (j = 0; j < 5; j++)
			e[j] = base[idx[j]];
		funding_rank_sort(e, 5);
		for (j = 0; j < 5; j++)
			ck_assert_str_eq(e[j].id, want[j]);
		count++;
		for (i = 1; i < 5 && c[i] >= i; i++)
			c[i] = 0;
		if (i == 5)
			break;
		k = (i % 2 == 0) ? 0 : c[i];
		j = idx[k];
		idx[k] = idx[i];
		idx[i] = j;
		c[i]++;
	}
	ck_assert_int_eq(count, 120);
}
END_TEST

static Suite *
scoring_suite(void)
{
	Suite *s = suite_create("funding_scoring");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_grid_parse);
	tcase_add_test(tc, test_grid_malformed);
	tcase_add_test(tc, test_grid_limits);
	tcase_add_test(tc, test_grid_nul_in_names);
	tcase_add_test(tc, test_scores_valid);
	tcase_add_test(tc, test_scores_offending);
	tcase_add_test(tc, test_scores_reason_and_nul);
	tcase_add_test(tc, test_scores_bad_arguments);
	tcase_add_test(tc, test_appraisal_result);
	tcase_add_test(tc, test_appraisal_rounding_exact);
	tcase_add_test(tc, test_appraisal_matches_reference);
	tcase_add_test(tc, test_appraisal_bad_input);
	tcase_add_test(tc, test_application_score);
	tcase_add_test(tc, test_ranking);
	tcase_add_test(tc, test_ranking_total_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(scoring_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
