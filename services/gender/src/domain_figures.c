/*
 * Published figures (see domain.h): the aggregates of one indicator query
 * laid out as a table with margins, disclosure-controlled, and written as
 * the API's JSON, CSV, DHIS2 dataValueSets and a chart. Every output is
 * made from the same built table, so the CSV, the DHIS2 document and the
 * chart can never publish a cell the JSON suppressed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

struct sbuf {
	char *s;
	size_t len, cap;
	int err;
};

static int col_index(const struct gender_fig_input *in, const char *col);
static int medians(struct gender_figures *f);
static int64_t *days_of(const struct gender_figures *f, size_t r, size_t c,
                        size_t *n);
static json_t *cell_json(const struct gender_figures *f, size_t r, size_t c);
static json_t *share_json(const struct gender_figures *f, size_t r);
static void sb_add(struct sbuf *b, const char *s, size_t n);
static void csv_field(struct sbuf *b, const char *s);
static const char *key_at(const struct gender_figures *f, size_t r, size_t k);

static int
col_index(const struct gender_fig_input *in, const char *col)
{
	for (size_t i = 0; i < in->ncols; i++)
		if (col != NULL && strcmp(in->cols[i], col) == 0)
			return (int)i;
	return -1;
}

static const char *
key_at(const struct gender_figures *f, size_t r, size_t k)
{
	const char *s;

	if (r >= f->nrows || f->rowkeys[r] == NULL)
		return "";
	s = json_string_value(json_array_get(f->rowkeys[r], k));
	return s != NULL ? s : "unknown";
}

int
gender_figures_build(const struct gender_fig_input *in,
                     struct gender_figures *out)
{
	size_t i, r;
	unsigned margins;
	int c, rc;

	if (in == NULL || out == NULL || in->ncols == 0 ||
	    in->ncols > GENDER_FIG_MAX_COLS || in->threshold < 1)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->in = *in;
	out->rowkeys = calloc(in->ncells + 1, sizeof(*out->rowkeys));
	if (out->rowkeys == NULL)
		return -ENOMEM;
	/* rows: distinct consecutive keys (the load sorts by keys) */
	for (i = 0; i < in->ncells; i++)
		if (out->nrows == 0 || !json_equal(out->rowkeys[out->nrows - 1],
		                                   in->cells[i].keys))
			out->rowkeys[out->nrows++] = in->cells[i].keys;
	if (out->nrows == 0)
		out->nrows = 1; /* no fact: one empty row (NULL keys) */
	if (out->nrows > MP_TABLE_MAX_ROWS) {
		gender_figures_free(out);
		return -E2BIG;
	}
	margins = (in->ncols > 1 ? MP_MARGIN_ROW : 0) |
	          (out->nrows > 1 ? MP_MARGIN_COL : 0);
	if ((rc = mp_table_init(&out->t, out->nrows, in->ncols, margins)) !=
	    0) {
		gender_figures_free(out);
		return rc;
	}
	for (i = 0, r = 0; i < in->ncells; i++) {
		while (r < out->nrows &&
		       !json_equal(out->rowkeys[r], in->cells[i].keys))
			r++;
		if (r == out->nrows ||
		    (c = col_index(in, in->cells[i].col)) < 0)
			continue; /* a column the query filtered out */
		mp_table_at(&out->t, r, (size_t)c)->count += in->cells[i].count;
		mp_table_at(&out->t, r, (size_t)c)->value += in->cells[i].value;
	}
	mp_table_totals(&out->t);
	if (gender_measure_is_median(in->measure) && (rc = medians(out)) != 0) {
		gender_figures_free(out);
		return rc;
	}
	if (in->suppress) {
		size_t np, ns;

		if ((rc = mp_suppress(&out->t, in->threshold, &np, &ns)) != 0) {
			gender_figures_free(out);
			return rc;
		}
		out->nsuppressed = np + ns;
	}
	return 0;
}

/* The days behind cell (r, c), margins included; malloc'd. */
static int64_t *
days_of(const struct gender_figures *f, size_t r, size_t c, size_t *n)
{
	const struct gender_fig_input *in = &f->in;
	size_t i, k, row = 0, cap = 16;
	int64_t *v = malloc(cap * sizeof(*v)), *nv;
	const json_t *d;
	int col;

	*n = 0;
	for (i = 0; v != NULL && i < in->ncells; i++) {
		while (row < f->nrows &&
		       !json_equal(f->rowkeys[row], in->cells[i].keys))
			row++;
		col = col_index(in, in->cells[i].col);
		if (col < 0 || (r != f->t.rows && row != r) ||
		    (c != f->t.cols && (size_t)col != c))
			continue;
		json_array_foreach(in->cells[i].days, k, d)
		{
			if (*n == cap) {
				cap *= 2;
				if ((nv = realloc(v, cap * sizeof(*v))) ==
				    NULL) {
					free(v);
					return NULL;
				}
				v = nv;
			}
			v[(*n)++] = json_integer_value(d);
		}
	}
	return v;
}

/* Replace each value by twice the median of its days. */
static int
medians(struct gender_figures *f)
{
	size_t r, c, n;
	int64_t *v, x2;

	for (r = 0; r <= f->t.rows; r++)
		for (c = 0; c <= f->t.cols; c++) {
			if ((v = days_of(f, r, c, &n)) == NULL)
				return -ENOMEM;
			x2 = 0;
			(void)gender_median_x2(v, n, &x2);
			mp_table_at(&f->t, r, c)->value = x2;
			free(v);
		}
	return 0;
}

int
gender_measure_is_median(const char *measure)
{
	return measure != NULL && strncmp(measure, "median", 6) == 0;
}

void
gender_figures_free(struct gender_figures *f)
{
	if (f == NULL)
		return;
	free(f->rowkeys);
	f->rowkeys = NULL;
	mp_table_free(&f->t);
}

static json_t *
cell_json(const struct gender_figures *f, size_t r, size_t c)
{
	const struct mp_cell *x = mp_table_at(&f->t, r, c);
	bool median = gender_measure_is_median(f->in.measure);

	if (x->flags & MP_CELL_SUPPRESSED)
		return json_pack("{s:n, s:b}", "value", "suppressed", 1);
	if (median)
		return x->count == 0 ? json_pack("{s:n}", "value")
		                     : json_pack("{s:f, s:I}", "value",
		                                 (double)x->value / 2.0,
		                                 "count", (json_int_t)x->count);
	return json_pack("{s:I}", "value", (json_int_t)x->value);
}

/* Share of women of row r (r == rows: the totals), in basis points. */
static json_t *
share_json(const struct gender_figures *f, size_t r)
{
	int fi = col_index(&f->in, "female"), mi = col_index(&f->in, "male");
	const struct mp_cell *w, *m;
	int32_t bp;

	if (!f->in.by_sex || fi < 0 || mi < 0 ||
	    gender_measure_is_median(f->in.measure))
		return json_null();
	w = mp_table_at(&f->t, r, (size_t)fi);
	m = mp_table_at(&f->t, r, (size_t)mi);
	if ((w->flags | m->flags) & MP_CELL_SUPPRESSED)
		return json_null();
	if (gender_share_bp(w->value, w->value + m->value, &bp) != 0)
		return json_null();
	return json_integer(bp);
}

json_t *
gender_figures_json(const struct gender_figures *f)
{
	json_t *o, *rows, *row, *cells, *dims, *cols, *totals;
	size_t r, c, k;

	dims = json_array();
	for (k = 0; k < f->in.ndims; k++)
		json_array_append_new(dims, json_string(f->in.dims[k]));
	cols = json_array();
	for (c = 0; c < f->in.ncols; c++)
		json_array_append_new(cols, json_string(f->in.cols[c]));
	rows = json_array();
	for (r = 0; r < f->t.rows; r++) {
		row = json_object();
		for (k = 0; k < f->in.ndims; k++)
			json_object_set_new(row, f->in.dims[k],
			                    json_string(key_at(f, r, k)));
		cells = json_object();
		for (c = 0; c < f->in.ncols; c++)
			json_object_set_new(cells, f->in.cols[c],
			                    cell_json(f, r, c));
		json_object_set_new(row, "cells", cells);
		json_object_set_new(row, "total",
		                    f->in.ncols > 1 ? cell_json(f, r, f->t.cols)
		                                    : cell_json(f, r, 0));
		json_object_set_new(row, "share_women_bp", share_json(f, r));
		json_array_append_new(rows, row);
	}
	totals = json_object();
	cells = json_object();
	for (c = 0; c < f->in.ncols; c++)
		json_object_set_new(cells, f->in.cols[c],
		                    f->t.rows > 1 ? cell_json(f, f->t.rows, c)
		                                  : cell_json(f, 0, c));
	json_object_set_new(totals, "cells", cells);
	json_object_set_new(totals, "total",
	                    cell_json(f, f->t.rows > 1 ? f->t.rows : 0,
	                              f->in.ncols > 1 ? f->t.cols : 0));
	json_object_set_new(totals, "share_women_bp",
	                    share_json(f, f->t.rows > 1 ? f->t.rows : 0));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:{s:b, s:I, "
	              "s:I}}",
	              "indicator", f->in.indicator, "label", f->in.label,
	              "measure", f->in.measure, "unit", f->in.unit,
	              "dimensions", dims, "columns", cols, "rows", rows,
	              "totals", totals, "disclosure", "suppressed",
	              f->in.suppress, "threshold", (json_int_t)f->in.threshold,
	              "suppressed_cells", (json_int_t)f->nsuppressed);
	return o;
}

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *ns;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap + n + 1) * 2;

		if ((ns = realloc(b->s, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* RFC 4180: quote when needed, double the quotes; a leading = + - @ is
 * prefixed with ' so a spreadsheet never runs it as a formula. */
static void
csv_field(struct sbuf *b, const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		sb_add(b, "\"", 1);
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0' &&
	    !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
		sb_add(b, "'", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			sb_add(b, "\"\"", 2);
		else
			sb_add(b, s, 1);
	}
	if (quote)
		sb_add(b, "\"", 1);
}

char *
gender_figures_csv(const struct gender_figures *f)
{
	struct sbuf b = {0};
	char num[48];
	size_t r, c, k;
	const struct mp_cell *x;

	sb_add(&b, "indicator", 9);
	for (k = 0; k < f->in.ndims; k++) {
		sb_add(&b, ",", 1);
		csv_field(&b, f->in.dims[k]);
	}
	sb_add(&b, ",column,value,suppressed\r\n", 26);
	for (r = 0; r < f->t.rows; r++)
		for (c = 0; c < f->in.ncols; c++) {
			x = mp_table_at(&f->t, r, c);
			csv_field(&b, f->in.indicator);
			for (k = 0; k < f->in.ndims; k++) {
				sb_add(&b, ",", 1);
				csv_field(&b, key_at(f, r, k));
			}
			sb_add(&b, ",", 1);
			csv_field(&b, f->in.cols[c]);
			if (x->flags & MP_CELL_SUPPRESSED)
				snprintf(num, sizeof(num), ",,true\r\n");
			else if (gender_measure_is_median(f->in.measure))
				snprintf(num, sizeof(num), ",%.1f,false\r\n",
				         (double)x->value / 2.0);
			else
				snprintf(num, sizeof(num), ",%lld,false\r\n",
				         (long long)x->value);
			sb_add(&b, num, strlen(num));
		}
	if (b.err) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

json_t *
gender_figures_dvs(const struct gender_figures *f, const char *org_fallback,
                   int *err)
{
	static const char *const geo[] = {"commune", "province", "region"};
	int period = -1, org = -1, g;
	size_t r, c, k;
	json_t *vals, *dv;
	char coc[256], num[48];
	const struct mp_cell *x;

	for (k = 0; k < f->in.ndims; k++)
		if (strcmp(f->in.dims[k], "period") == 0)
			period = (int)k;
	for (g = 0; g < 3 && org < 0; g++)
		for (k = 0; k < f->in.ndims; k++)
			if (strcmp(f->in.dims[k], geo[g]) == 0)
				org = (int)k;
	if (period < 0 || f->rowkeys[0] == NULL) {
		if (err != NULL)
			*err = period < 0 ? -EINVAL : 0;
		if (period < 0)
			return NULL;
	}
	vals = json_array();
	for (r = 0; r < f->t.rows && f->rowkeys[0] != NULL; r++)
		for (c = 0; c < f->in.ncols; c++) {
			x = mp_table_at(&f->t, r, c);
			if (x->flags & MP_CELL_SUPPRESSED)
				continue;
			/* the category option combo: the column and the
			 * other non-geographic dimensions, in query order */
			snprintf(coc, sizeof(coc), "%s", f->in.cols[c]);
			for (k = 0; k < f->in.ndims; k++) {
				if ((int)k == period || (int)k == org ||
				    strcmp(f->in.dims[k], "region") == 0 ||
				    strcmp(f->in.dims[k], "province") == 0 ||
				    strcmp(f->in.dims[k], "commune") == 0)
					continue;
				strncat(coc, "_",
				        sizeof(coc) - strlen(coc) - 1);
				strncat(coc, key_at(f, r, k),
				        sizeof(coc) - strlen(coc) - 1);
			}
			if (gender_measure_is_median(f->in.measure))
				snprintf(num, sizeof(num), "%.1f",
				         (double)x->value / 2.0);
			else
				snprintf(num, sizeof(num), "%lld",
				         (long long)x->value);
			dv = json_pack(
			    "{s:s, s:s, s:s, s:s, s:s}", "dataElement",
			    f->in.indicator, "period",
			    key_at(f, r, (size_t)period), "orgUnit",
			    org >= 0 ? key_at(f, r, (size_t)org) : org_fallback,
			    "categoryOptionCombo", coc, "value", num);
			json_array_append_new(vals, dv);
		}
	return json_pack("{s:o}", "dataValues", vals);
}

int
gender_figures_chart(const struct gender_figures *f, const json_t *names,
                     const char *const *col_labels, const char *const *colors,
                     struct gender_chart *c, char (*catbuf)[96])
{
	size_t r, s, k;
	const struct mp_cell *x;
	const char *key, *name;

	if (f == NULL || c == NULL || f->in.ncols > GENDER_CHART_MAX_SERIES)
		return -EINVAL;
	if (f->t.rows > GENDER_CHART_MAX_POINTS)
		return -E2BIG;
	memset(c, 0, sizeof(*c));
	c->npoints = f->t.rows;
	c->nseries = f->in.ncols;
	for (r = 0; r < f->t.rows; r++) {
		catbuf[r][0] = '\0';
		for (k = 0; k < f->in.ndims; k++) {
			key = key_at(f, r, k);
			name = json_string_value(json_object_get(names, key));
			if (k > 0)
				strncat(catbuf[r], " · ",
				        96 - strlen(catbuf[r]) - 1);
			strncat(catbuf[r], name != NULL ? name : key,
			        96 - strlen(catbuf[r]) - 1);
		}
		if (f->in.ndims == 0)
			snprintf(catbuf[r], 96, "%s", f->in.label);
		c->categories[r] = catbuf[r];
		for (s = 0; s < f->in.ncols; s++) {
			x = mp_table_at(&f->t, r, s);
			c->series[s].missing[r] =
			    (x->flags & MP_CELL_SUPPRESSED) != 0;
			c->series[s].values[r] =
			    gender_measure_is_median(f->in.measure)
			        ? x->value / 2
			        : x->value;
		}
	}
	for (s = 0; s < f->in.ncols; s++) {
		c->series[s].label = col_labels[s];
		c->series[s].color = colors[s];
	}
	return 0;
}
