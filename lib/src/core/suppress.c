/*
 * Disclosure control of published tables (see mp/suppress.h).
 *
 * A table with margins publishes sums: each row with its total, each
 * column with its total, and the margins themselves with the grand total.
 * Suppressing the small cells alone is not enough: a row with one hidden
 * cell gives it away as total minus the others. The classic remedy is
 * complementary suppression until no published sum has exactly one hidden
 * member; that is done first, cheaply. It is not a proof, so the result
 * is then audited as a linear system: the hidden cells are the unknowns,
 * the sums are the equations, and a hidden cell is disclosed exactly when
 * its unit vector lies in the row space of the system. While the audit
 * finds one, a further neighbour is hidden.
 *
 * Cells hidden for complementary reasons are chosen small (less
 * information lost) and inner before margins (a hidden total spreads to
 * other sums).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mp/suppress.h"

/* One published sum: n members first + k * stride (coefficient +1) equal
 * the cell `total` (coefficient -1). */
struct sum {
	size_t first, stride, n;
	size_t total;
};

#define MEMBER(s, k) ((s)->first + (k) * (s)->stride)

static size_t cell_index(const struct mp_table *t, size_t r, size_t c);
static size_t sums_build(const struct mp_table *t, struct sum **out);
static int pick_complement(struct mp_table *t, const struct sum *s);
static int hide_near(struct mp_table *t, size_t r, size_t c);
static bool hidden(const struct mp_table *t, size_t idx);
static bool is_margin(const struct mp_table *t, size_t idx);
static bool published(const struct mp_table *t, size_t idx);

int
mp_table_init(struct mp_table *t, size_t rows, size_t cols, unsigned margins)
{
	if (t == NULL)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	if (rows == 0 || cols == 0 || rows > MP_TABLE_MAX_ROWS ||
	    cols > MP_TABLE_MAX_COLS)
		return -EINVAL;
	t->cells = calloc((rows + 1) * (cols + 1), sizeof(*t->cells));
	if (t->cells == NULL)
		return -ENOMEM;
	t->rows = rows;
	t->cols = cols;
	t->margins = margins & (MP_MARGIN_ROW | MP_MARGIN_COL);
	return 0;
}

void
mp_table_free(struct mp_table *t)
{
	if (t == NULL)
		return;
	free(t->cells);
	t->cells = NULL;
	t->rows = t->cols = 0;
}

static size_t
cell_index(const struct mp_table *t, size_t r, size_t c)
{
	return r * (t->cols + 1) + c;
}

struct mp_cell *
mp_table_at(const struct mp_table *t, size_t r, size_t c)
{
	if (t == NULL || t->cells == NULL || r > t->rows || c > t->cols)
		return NULL;
	return &t->cells[cell_index(t, r, c)];
}

void
mp_table_totals(struct mp_table *t)
{
	size_t r, c;
	struct mp_cell *x, *rt, *ct, *g;

	g = mp_table_at(t, t->rows, t->cols);
	memset(g, 0, sizeof(*g));
	for (r = 0; r < t->rows; r++)
		memset(mp_table_at(t, r, t->cols), 0, sizeof(*g));
	for (c = 0; c < t->cols; c++)
		memset(mp_table_at(t, t->rows, c), 0, sizeof(*g));
	for (r = 0; r < t->rows; r++) {
		rt = mp_table_at(t, r, t->cols);
		for (c = 0; c < t->cols; c++) {
			x = mp_table_at(t, r, c);
			x->flags = 0;
			ct = mp_table_at(t, t->rows, c);
			rt->count += x->count;
			rt->value += x->value;
			ct->count += x->count;
			ct->value += x->value;
			g->count += x->count;
			g->value += x->value;
		}
	}
}

static bool
hidden(const struct mp_table *t, size_t idx)
{
	return (t->cells[idx].flags & MP_CELL_SUPPRESSED) != 0;
}

static bool
is_margin(const struct mp_table *t, size_t idx)
{
	return idx / (t->cols + 1) == t->rows || idx % (t->cols + 1) == t->cols;
}

/* Whether cell idx is published at all (unused margins are not). */
static bool
published(const struct mp_table *t, size_t idx)
{
	size_t r = idx / (t->cols + 1), c = idx % (t->cols + 1);

	if (r == t->rows && !(t->margins & MP_MARGIN_COL))
		return false;
	if (c == t->cols && !(t->margins & MP_MARGIN_ROW))
		return false;
	return true;
}

/* The sums the table publishes; *out is malloc'd (caller frees). */
static size_t
sums_build(const struct mp_table *t, struct sum **out)
{
	size_t n = 0, r, c, max = t->rows + t->cols + 2;
	struct sum *s;
	bool rowm = t->margins & MP_MARGIN_ROW;
	bool colm = t->margins & MP_MARGIN_COL;

	*out = NULL;
	if ((s = calloc(max, sizeof(*s))) == NULL)
		return 0;
	if (rowm) {
		/* each row = its total; with column margins, the margin row
		 * = the grand total too */
		for (r = 0; r < t->rows + (colm ? 1 : 0); r++, n++) {
			s[n].first = cell_index(t, r, 0);
			s[n].stride = 1;
			s[n].n = t->cols;
			s[n].total = cell_index(t, r, t->cols);
		}
	}
	if (colm) {
		for (c = 0; c < t->cols + (rowm ? 1 : 0); c++, n++) {
			s[n].first = cell_index(t, 0, c);
			s[n].stride = t->cols + 1;
			s[n].n = t->rows;
			s[n].total = cell_index(t, t->rows, c);
		}
	}
	*out = s;
	return n;
}

/* Hide the best complement in sum s: the smallest visible inner member,
 * non-empty first; else the total. Returns 1 if a cell was hidden. */
static int
pick_complement(struct mp_table *t, const struct sum *s)
{
	size_t i, best = SIZE_MAX, idx;
	int pass;

	for (pass = 0; pass < 2 && best == SIZE_MAX; pass++) {
		for (i = 0; i < s->n; i++) {
			idx = MEMBER(s, i);
			if (hidden(t, idx) ||
			    (pass == 0 && t->cells[idx].count == 0))
				continue;
			if (best == SIZE_MAX ||
			    t->cells[idx].count < t->cells[best].count)
				best = idx;
		}
	}
	if (best == SIZE_MAX && !hidden(t, s->total))
		best = s->total;
	if (best == SIZE_MAX)
		return 0;
	t->cells[best].flags |= MP_CELL_SECONDARY;
	return 1;
}

/* Hide one more cell to protect the derivable cell (r, c): the smallest
 * visible cell of its row or column, inner first; else any visible cell.
 * Returns 1 if a cell was hidden. */
static int
hide_near(struct mp_table *t, size_t r, size_t c)
{
	size_t best = SIZE_MAX, i, idx, total = (t->rows + 1) * (t->cols + 1);
	int pass;

	for (pass = 0; pass < 3 && best == SIZE_MAX; pass++) {
		for (i = 0; i < total; i++) {
			size_t ir = i / (t->cols + 1), ic = i % (t->cols + 1);

			idx = i;
			if (hidden(t, idx) || !published(t, idx))
				continue;
			if (pass < 2 && ir != r && ic != c)
				continue;
			if (pass == 0 && is_margin(t, idx))
				continue;
			if (best == SIZE_MAX ||
			    t->cells[idx].count < t->cells[best].count)
				best = idx;
		}
	}
	if (best == SIZE_MAX)
		return 0;
	t->cells[best].flags |= MP_CELL_SECONDARY;
	return 1;
}

int
mp_suppress(struct mp_table *t, int64_t threshold, size_t *nprimary,
            size_t *nsecondary)
{
	struct sum *sums = NULL;
	size_t nsums, i, k, np = 0, ns = 0, total, r, c;
	int changed, rc, nhidden;

	if (t == NULL || t->cells == NULL || threshold < 1)
		return -EINVAL;
	total = (t->rows + 1) * (t->cols + 1);
	for (i = 0; i < total; i++) {
		t->cells[i].flags = 0;
		if (published(t, i) && t->cells[i].count > 0 &&
		    t->cells[i].count < threshold) {
			t->cells[i].flags = MP_CELL_PRIMARY;
			np++;
		}
	}
	nsums = sums_build(t, &sums);
	if (t->margins != 0 && sums == NULL)
		return -ENOMEM;
	do {
		changed = 0;
		for (i = 0; i < nsums; i++) {
			nhidden = hidden(t, sums[i].total) ? 1 : 0;
			for (k = 0; k < sums[i].n; k++)
				nhidden += hidden(t, MEMBER(&sums[i], k));
			if (nhidden == 1 && pick_complement(t, &sums[i]))
				changed = 1;
		}
		if (changed)
			continue;
		rc = mp_table_disclosed(t, &r, &c);
		if (rc < 0) {
			free(sums);
			return rc;
		}
		if (rc == 1)
			changed = hide_near(t, r, c);
	} while (changed);
	free(sums);
	for (i = 0; i < total; i++)
		if (t->cells[i].flags == MP_CELL_SECONDARY)
			ns++;
	if (nprimary != NULL)
		*nprimary = np;
	if (nsecondary != NULL)
		*nsecondary = ns;
	return 0;
}

int
mp_table_disclosed(const struct mp_table *t, size_t *out_r, size_t *out_c)
{
	struct sum *sums = NULL;
	size_t nsums, total, nunk = 0, i, k, row, col, piv = 0, p, q;
	size_t *unk_of = NULL, *cell_of = NULL, *pivcol = NULL;
	double *m = NULL, *v = NULL, f;
	int rc = 0;

	if (t == NULL || t->cells == NULL)
		return -EINVAL;
	total = (t->rows + 1) * (t->cols + 1);
	nsums = sums_build(t, &sums);
	if (nsums == 0) {
		free(sums);
		return 0; /* no sums published: nothing can be derived */
	}
	unk_of = malloc(total * sizeof(*unk_of));
	cell_of = malloc(total * sizeof(*cell_of));
	if (unk_of == NULL || cell_of == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < total; i++) {
		unk_of[i] = SIZE_MAX;
		if (hidden(t, i)) {
			unk_of[i] = nunk;
			cell_of[nunk++] = i;
		}
	}
	if (nunk == 0)
		goto cleanup;
	m = calloc(nsums * nunk, sizeof(*m));
	v = malloc(nunk * sizeof(*v));
	pivcol = malloc(nsums * sizeof(*pivcol));
	if (m == NULL || v == NULL || pivcol == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < nsums; i++) {
		for (k = 0; k < sums[i].n; k++)
			if (unk_of[MEMBER(&sums[i], k)] != SIZE_MAX)
				m[i * nunk + unk_of[MEMBER(&sums[i], k)]] = 1;
		if (unk_of[sums[i].total] != SIZE_MAX)
			m[i * nunk + unk_of[sums[i].total]] = -1;
	}
	/* reduced row echelon form, partial pivoting */
	for (col = 0; col < nunk && piv < nsums; col++) {
		p = piv;
		for (row = piv + 1; row < nsums; row++)
			if (fabs(m[row * nunk + col]) > fabs(m[p * nunk + col]))
				p = row;
		if (fabs(m[p * nunk + col]) < 1e-9)
			continue;
		for (q = 0; q < nunk && p != piv; q++) {
			f = m[p * nunk + q];
			m[p * nunk + q] = m[piv * nunk + q];
			m[piv * nunk + q] = f;
		}
		f = m[piv * nunk + col];
		for (q = 0; q < nunk; q++)
			m[piv * nunk + q] /= f;
		for (row = 0; row < nsums; row++) {
			if (row == piv || fabs(m[row * nunk + col]) < 1e-12)
				continue;
			f = m[row * nunk + col];
			for (q = 0; q < nunk; q++)
				m[row * nunk + q] -= f * m[piv * nunk + q];
		}
		pivcol[piv++] = col;
	}
	/* unknown k is determined iff e_k reduces to zero */
	for (k = 0; k < nunk && rc == 0; k++) {
		memset(v, 0, nunk * sizeof(*v));
		v[k] = 1;
		for (row = 0; row < piv; row++) {
			f = v[pivcol[row]];
			if (fabs(f) < 1e-12)
				continue;
			for (q = 0; q < nunk; q++)
				v[q] -= f * m[row * nunk + q];
		}
		for (q = 0; q < nunk && fabs(v[q]) < 1e-9; q++)
			;
		if (q == nunk) {
			rc = 1;
			if (out_r != NULL)
				*out_r = cell_of[k] / (t->cols + 1);
			if (out_c != NULL)
				*out_c = cell_of[k] % (t->cols + 1);
		}
	}
cleanup:
	free(sums);
	free(unk_of);
	free(cell_of);
	free(m);
	free(v);
	free(pivcol);
	return rc;
}
