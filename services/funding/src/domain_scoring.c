/*
 * Scoring grids, appraisal results and the ranking of a call.
 *
 * Design note: a result must be reproducible to the point by anyone holding
 * the grid and the scores, and two applications must never swap places
 * because of a rounding artefact.  So the weighted result is computed exactly
 * as a fraction over the least common multiple of the criteria maxima and
 * rounded once, half-up.  To keep that exact in int64 the grid is bounded
 * (<= 32 criteria, weights <= 10000, lcm of maxima <= 10^9):
 *   N = sum_i w_i * s_i * (L / m_i)  <= 32 * 10^4 * 10^9 = 3.2e14
 *   20000 * N + W * L                <= 6.4e18 + 3.2e14 < INT64_MAX.
 * The ranking is a total order (score, submission time, id) so a list is the
 * same whatever order the database returned it in.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/util.h"

#include "domain.h"

static json_t *json_unconst(const json_t *);
static int valid_key(const char *, size_t);
static int64_t gcd64(int64_t, int64_t);
static int offend(json_t *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static int grid_index(const struct funding_grid *, const char *);
static int rank_cmp(const void *, const void *);

/* See domain_eligibility.c: jansson's iterator wants a non-const object. */
static json_t *
json_unconst(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

/* 1..FUNDING_CRITERION_KEY_MAX bytes of [a-z0-9_], no NUL. */
static int
valid_key(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > FUNDING_CRITERION_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return 1;
}

static int64_t
gcd64(int64_t a, int64_t b)
{
	while (b != 0) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int
funding_grid_parse(const json_t *grid, struct funding_grid *out, char *err,
                   size_t errlen)
{
	struct funding_grid g;
	size_t i, j, n, klen;
	const json_t *c, *k, *w, *mx;
	const char *key;
	json_t *v;
	json_int_t wi, mi;

	mp_err_set(err, errlen, "%s", "");
	if (out == NULL)
		return -EINVAL;
	memset(&g, 0, sizeof(g));
	if (!json_is_array(grid)) {
		mp_err_set(err, errlen, "grid: must be an array of criteria");
		return -EINVAL;
	}
	n = json_array_size(grid);
	if (n == 0 || n > FUNDING_GRID_MAX) {
		mp_err_set(err, errlen, "grid: must hold 1 to %d criteria",
		           FUNDING_GRID_MAX);
		return -EINVAL;
	}
	g.lcm = 1;
	for (i = 0; i < n; i++) {
		c = json_array_get(grid, i);
		if (!json_is_object(c)) {
			mp_err_set(err, errlen, "grid[%zu]: must be an object",
			           i);
			return -EINVAL;
		}
		json_object_keylen_foreach(json_unconst(c), key, klen, v)
		{
			if (klen != strlen(key) ||
			    (strcmp(key, "key") != 0 &&
			     strcmp(key, "weight") != 0 &&
			     strcmp(key, "max") != 0 &&
			     strcmp(key, "label") != 0)) {
				mp_err_set(err, errlen,
				           "grid[%zu].%.64s: unknown field", i,
				           key);
				return -EINVAL;
			}
		}
		k = json_object_get(c, "key");
		w = json_object_get(c, "weight");
		mx = json_object_get(c, "max");
		v = json_object_get(c, "label");
		if (!json_is_string(k) ||
		    !valid_key(json_string_value(k), json_string_length(k))) {
			mp_err_set(
			    err, errlen,
			    "grid[%zu].key: must be 1 to %d characters of "
			    "[a-z0-9_]",
			    i, FUNDING_CRITERION_KEY_MAX);
			return -EINVAL;
		}
		if (!json_is_integer(w) || (wi = json_integer_value(w)) < 1 ||
		    wi > FUNDING_WEIGHT_MAX) {
			mp_err_set(err, errlen,
			           "grid[%zu].weight: must be an integer 1..%d",
			           i, FUNDING_WEIGHT_MAX);
			return -EINVAL;
		}
		if (!json_is_integer(mx) || (mi = json_integer_value(mx)) < 1 ||
		    mi > FUNDING_POINTS_MAX) {
			mp_err_set(err, errlen,
			           "grid[%zu].max: must be an integer 1..%d", i,
			           FUNDING_POINTS_MAX);
			return -EINVAL;
		}
		if (v != NULL && !json_is_string(v) && !json_is_object(v)) {
			mp_err_set(
			    err, errlen,
			    "grid[%zu].label: must be a string or an object",
			    i);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(g.c[j].key, json_string_value(k)) == 0) {
				mp_err_set(err, errlen,
				           "grid[%zu].key: duplicate \"%s\"", i,
				           json_string_value(k));
				return -EINVAL;
			}
		}
		memcpy(g.c[i].key, json_string_value(k),
		       json_string_length(k) + 1);
		g.c[i].weight = (int32_t)wi;
		g.c[i].max = (int32_t)mi;
		g.weight_sum += wi;
		/* lcm <= 10^9 and mi <= 10^6: the product fits in int64. */
		g.lcm = g.lcm / gcd64(g.lcm, mi) * mi;
		if (g.lcm > FUNDING_GRID_LCM_MAX) {
			mp_err_set(
			    err, errlen,
			    "grid: the maxima have a common multiple above "
			    "%d; use maxima such as 5, 10, 20, 25, 100",
			    FUNDING_GRID_LCM_MAX);
			return -EINVAL;
		}
		g.n++;
	}
	*out = g;
	return 0;
}

int
funding_grid_validate(const json_t *grid, char *err, size_t errlen)
{
	struct funding_grid g;

	return funding_grid_parse(grid, &g, err, errlen);
}

static int
offend(json_t *list, const char *criterion, const char *fmt, ...)
{
	char reason[160];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s, s:s}", "criterion", criterion, "reason", reason);
	if (o == NULL || json_array_append_new(list, o) != 0)
		return -ENOMEM;
	return 0;
}

static int
grid_index(const struct funding_grid *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (strcmp(g->c[i].key, key) == 0)
			return (int)i;
	}
	return -1;
}

int
funding_score_parse(const struct funding_grid *g, const json_t *scores,
                    int32_t *points, json_t **offending)
{
	json_t *list = NULL, *v;
	const json_t *s;
	const char *key;
	size_t i, klen;
	json_int_t x;
	int rc = 0;

	if (offending != NULL)
		*offending = NULL;
	if (g == NULL || points == NULL || g->n == 0 || g->n > FUNDING_GRID_MAX)
		return -EINVAL;
	if ((list = json_array()) == NULL)
		return -ENOMEM;
	if (!json_is_object(scores)) {
		rc = offend(list, "*", "scores must be a JSON object");
		goto done;
	}
	for (i = 0; i < g->n; i++) {
		s = json_object_get(scores, g->c[i].key);
		if (s == NULL)
			rc = offend(list, g->c[i].key, "missing score");
		else if (!json_is_integer(s))
			rc = offend(list, g->c[i].key,
			            "score must be an integer");
		else if ((x = json_integer_value(s)) < 0 || x > g->c[i].max)
			rc = offend(list, g->c[i].key,
			            "score must be between 0 and %" PRId32,
			            g->c[i].max);
		else
			points[i] = (int32_t)x;
		if (rc != 0)
			goto cleanup;
	}
	json_object_keylen_foreach(json_unconst(scores), key, klen, v)
	{
		/* A key with an embedded NUL would read as its prefix. */
		if (klen != strlen(key))
			rc = offend(list, key, "criterion key contains NUL");
		else if (grid_index(g, key) < 0)
			rc = offend(list, key, "unknown criterion");
		if (rc != 0)
			goto cleanup;
	}
done:
	if (rc != 0)
		goto cleanup;
	if (json_array_size(list) == 0)
		goto cleanup;
	rc = -EINVAL;
	if (offending != NULL) {
		*offending = list;
		list = NULL;
	}
cleanup:
	json_decref(list);
	return rc;
}

int
funding_score_validate(const struct funding_grid *g, const json_t *scores,
                       json_t **offending)
{
	int32_t points[FUNDING_GRID_MAX];

	return funding_score_parse(g, scores, points, offending);
}

int
funding_appraisal_result_bp(const struct funding_grid *g, const int32_t *points,
                            int32_t *bp_out)
{
	int64_t num = 0, den, w = 0;
	size_t i;

	if (g == NULL || points == NULL || bp_out == NULL || g->n == 0 ||
	    g->n > FUNDING_GRID_MAX || g->lcm < 1 ||
	    g->lcm > FUNDING_GRID_LCM_MAX)
		return -EINVAL;
	for (i = 0; i < g->n; i++) {
		const struct funding_criterion *c = &g->c[i];

		if (c->weight < 1 || c->weight > FUNDING_WEIGHT_MAX ||
		    c->max < 1 || g->lcm % c->max != 0)
			return -EINVAL;
		if (points[i] < 0 || points[i] > c->max)
			return -EINVAL;
		num += (int64_t)c->weight * points[i] * (g->lcm / c->max);
		w += c->weight;
	}
	if (w != g->weight_sum)
		return -EINVAL;
	/* floor(10000 * num / (w * lcm) + 1/2) */
	den = w * g->lcm;
	*bp_out = (int32_t)((20000 * num + den) / (2 * den));
	return 0;
}

int
funding_application_score_bp(const int32_t *results, size_t n, int32_t *bp_out)
{
	int64_t sum = 0;
	size_t i;

	if (results == NULL || bp_out == NULL)
		return -EINVAL;
	if (n == 0)
		return -ENODATA;
	/* Keeps 2 * sum + n far inside int64. */
	if (n > (size_t)INT32_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (results[i] < 0 || results[i] > 10000)
			return -EINVAL;
		sum += results[i];
	}
	*bp_out = (int32_t)((2 * sum + (int64_t)n) / (2 * (int64_t)n));
	return 0;
}

static int
rank_cmp(const void *pa, const void *pb)
{
	const struct funding_rank_entry *a = pa, *b = pb;
	int sa = a->score_bp >= 0, sb = b->score_bp >= 0;

	if (sa != sb)
		return sa ? -1 : 1;
	if (sa && a->score_bp != b->score_bp)
		return a->score_bp > b->score_bp ? -1 : 1;
	if (a->submitted_at_ms != b->submitted_at_ms)
		return a->submitted_at_ms < b->submitted_at_ms ? -1 : 1;
	if (a->id == NULL || b->id == NULL)
		return (a->id != NULL) - (b->id != NULL);
	return strcmp(a->id, b->id);
}

void
funding_rank_sort(struct funding_rank_entry *e, size_t n)
{
	if (e == NULL || n < 2)
		return;
	qsort(e, n, sizeof(*e), rank_cmp);
}
