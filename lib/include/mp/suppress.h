/*
 * Disclosure control of published tables of counts (pure C, no Kore).
 *
 * A table of people counted by category publishes small cells only as
 * "suppressed", and what would give them away through the published totals
 * is suppressed too (complementary suppression), then audited as a linear
 * system. Used by gender's indicators and questionnaire results and by
 * cases' dashboards (lib/src/core/suppress.c).
 *
 * Return convention: 0 success, negative errno on error.
 */
#ifndef MP_SUPPRESS_H
#define MP_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a cell is not published. */
#define MP_CELL_PRIMARY 0x1   /* 0 < count < threshold */
#define MP_CELL_SECONDARY 0x2 /* hides a primary cell from the totals */
#define MP_CELL_SUPPRESSED (MP_CELL_PRIMARY | MP_CELL_SECONDARY)

/* Margins a table publishes. */
#define MP_MARGIN_ROW 0x1 /* column `cols` holds each row's total */
#define MP_MARGIN_COL 0x2 /* row `rows` holds each column's total */

/* Largest table the service builds (rows x columns of inner cells): the
 * audit is a dense elimination, bounded at this size to a few ms. */
#define MP_TABLE_MAX_ROWS 256
#define MP_TABLE_MAX_COLS 16

/*
 * One cell: `count` is the number of people (or projects) behind it and
 * decides disclosure; `value` is what is shown (the same count, or an
 * amount in minor units, or a sum of days). A suppressed cell keeps its
 * numbers here; writers print it as suppressed, never as zero.
 */
struct mp_cell {
	int64_t count;
	int64_t value;
	unsigned flags;
};

/*
 * An R x C table of inner cells plus its margins, stored row-major as
 * (rows + 1) x (cols + 1) cells whatever `margins` says (unused margin
 * cells are ignored). A 1-D table is rows = 1 with MP_MARGIN_ROW.
 */
struct mp_table {
	size_t rows, cols;
	unsigned margins;
	struct mp_cell *cells;
};

/*
 * mp_table_init: allocate a zeroed table. Returns 0, -EINVAL for an
 * empty table or one above MP_TABLE_MAX_ROWS x _COLS, -ENOMEM. Release with
 * mp_table_free (NULL-safe on a zeroed struct).
 */
int mp_table_init(struct mp_table *t, size_t rows, size_t cols,
                  unsigned margins);
void mp_table_free(struct mp_table *t);

/* mp_table_at: the cell at (r, c); r == rows or c == cols address the
 * margins. Borrowed; NULL when out of range. */
struct mp_cell *mp_table_at(const struct mp_table *t, size_t r, size_t c);

/* mp_table_totals: set the margin cells (count and value) to the sums
 * of the inner cells, and clear every flag. */
void mp_table_totals(struct mp_table *t);

/*
 * mp_suppress: disclosure control of a table whose margins are set.
 * Primary: every cell (margins included) with 0 < count < threshold.
 * Complementary: while a published sum (a row with its total, a column
 * with its total) has exactly one suppressed member, the smallest other
 * member (inner cells first, non-empty ones first) is suppressed too;
 * then mp_table_disclosed audits the result and, while some cell is
 * still derivable, one more cell next to it is suppressed. Counts through
 * *nprimary and *nsecondary (either may be NULL). Returns 0, -EINVAL for
 * threshold < 1 or a NULL table.
 */
int mp_suppress(struct mp_table *t, int64_t threshold, size_t *nprimary,
                size_t *nsecondary);

/*
 * mp_table_disclosed: 1 if some suppressed cell's count is determined
 * exactly by the published cells and the sums the margins state (linear
 * algebra over all of them, not only one sum at a time), with its
 * position in *r, *c (either may be NULL); 0 if none is; -EINVAL, -ENOMEM.
 */
int mp_table_disclosed(const struct mp_table *t, size_t *r, size_t *c);

#endif
