/*
 * Gender service: pure domain logic (no Kore, no database, no HTTP).
 *
 * Design note: what decides a published figure lives here as plain C over
 * plain values, so the Check suites (tests/unit/check_gender_*.c) link it
 * directly and the handlers only parse, authorise, call these functions
 * and answer:
 *   - disclosure control: primary and complementary cell suppression of a
 *     table with its margins, and an audit that no suppressed cell can be
 *     recomputed from what is published (the library's mp/suppress.h);
 *   - indicator arithmetic in integers: shares in basis points, medians,
 *     gaps to a target, trends (domain_indicator.c);
 *   - DHIS2 period identifiers, 202701 / 2027Q1 / 2027 (domain_period.c);
 *   - the analytics query, dimension=sex&dimension=period:2027Q1;2027Q2&
 *     filter=region:oriental, parsed from the raw query string
 *     (domain_query.c);
 *   - questionnaires: question types, answers, skip conditions and the
 *     versioning rule (domain_questionnaire.c);
 *   - the SVG chart writer (domain_svg.c).
 *
 * Return convention: 0 success, negative errno on error, results through
 * out-parameters. A few predicates return a documented positive value.
 */
#ifndef GENDER_DOMAIN_H
#define GENDER_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mp/suppress.h"

/* ---- disclosure control: <mp/suppress.h> (lib/src/core/suppress.c) ---- */

/* ---- indicator arithmetic (domain_indicator.c) --------------------------- */

/*
 * gender_share_bp: part / whole in basis points, rounded half up
 * (1 of 3 = 3333, 2 of 3 = 6667). Returns 0, -EDOM when whole is 0
 * (no share), -EINVAL when part < 0, whole < 0 or part > whole.
 */
int gender_share_bp(int64_t part, int64_t whole, int32_t *out_bp);

/*
 * gender_median_x2: twice the median of v[0..n) (so a median between two
 * values stays an integer: 3 and 4 give 7). v is sorted in place.
 * Returns 0, -EDOM when n is 0, -EINVAL for NULL.
 */
int gender_median_x2(int64_t *v, size_t n, int64_t *out_x2);

/* How a target reads. */
enum gender_target_kind {
	GENDER_TARGET_AT_LEAST, /* the value should be >= the target */
	GENDER_TARGET_AT_MOST,  /* the value should be <= the target */
};

/*
 * gender_gap: value - target (in the indicator's unit), and whether the
 * value is off target (*off = true). Returns 0, -EINVAL for NULL.
 */
int gender_gap(int64_t value, int64_t target, enum gender_target_kind kind,
               int64_t *gap, bool *off);

/* Direction of the gap between two periods. */
enum gender_trend {
	GENDER_TREND_IMPROVING,
	GENDER_TREND_STABLE,
	GENDER_TREND_WORSENING,
};

/*
 * gender_trend: compare the previous and current values against the
 * target kind: closer to (or further past) the target is improving; a
 * change of at most `tolerance` either way is stable. Returns the trend.
 */
enum gender_trend gender_trend_of(int64_t previous, int64_t current,
                                  enum gender_target_kind kind,
                                  int64_t tolerance);

/* "improving", "stable", "worsening". */
const char *gender_trend_name(enum gender_trend t);

/* ---- DHIS2 periods (domain_period.c) ------------------------------------- */

enum gender_period_type {
	GENDER_PERIOD_MONTHLY,   /* 202701 */
	GENDER_PERIOD_QUARTERLY, /* 2027Q1 */
	GENDER_PERIOD_YEARLY,    /* 2027 */
};

struct gender_period {
	enum gender_period_type type;
	int year;  /* 1900..9999 */
	int index; /* month 1..12, quarter 1..4, 0 for a year */
};

#define GENDER_PERIOD_STRLEN 8 /* "2027Q1", "202701", "2027" + NUL fits */

/*
 * gender_period_parse: one DHIS2 period identifier: YYYYMM (monthly),
 * YYYYQn (quarterly), YYYY (yearly); years 1900..9999. Strict: no sign,
 * no spaces, "2027q1" and "2027-01" are refused. Returns 0 or -EINVAL.
 */
int gender_period_parse(const char *s, struct gender_period *out);

/* gender_period_format: the identifier into buf (>= GENDER_PERIOD_STRLEN).
 * Returns 0, -EINVAL for an invalid period, -ERANGE for a short buffer. */
int gender_period_format(const struct gender_period *p, char *buf, size_t len);

/*
 * gender_period_of_date: the period of `type` holding the calendar date
 * "YYYY-MM-DD" (a longer RFC 3339 time is accepted: its date is used).
 * Returns 0 or -EINVAL.
 */
int gender_period_of_date(const char *date, enum gender_period_type type,
                          struct gender_period *out);

/*
 * gender_period_bounds: first day of the period and first day after it,
 * "YYYY-MM-DD" each (11 bytes with NUL). Returns 0 or -EINVAL.
 */
int gender_period_bounds(const struct gender_period *p, char start[11],
                         char end[11]);

/* gender_period_next / _prev: the adjacent period of the same type.
 * Returns 0, -ERANGE past year 9999 or before 1900. */
int gender_period_next(const struct gender_period *p,
                       struct gender_period *out);
int gender_period_prev(const struct gender_period *p,
                       struct gender_period *out);

/* "MONTHLY", "QUARTERLY", "YEARLY" (DHIS2 period type names). */
const char *gender_period_type_name(enum gender_period_type t);

/* ---- analytics query (domain_query.c) ------------------------------------ */

enum gender_dim {
	GENDER_DIM_REGION,
	GENDER_DIM_PROVINCE,
	GENDER_DIM_COMMUNE,
	GENDER_DIM_PERIOD,
	GENDER_DIM_SEX,
	GENDER_DIM_AGE_BAND,
	GENDER_DIM_BENEFICIARY_TYPE,
	GENDER_DIM_GENDER_MARKER,
	GENDER_DIM_COUNT
};

#define GENDER_QUERY_MAX_ITEMS 24
#define GENDER_ITEM_MAX 64

/* One dimension (shown as rows/columns) or filter (restricts only). */
struct gender_dimsel {
	enum gender_dim dim;
	size_t nitems; /* 0: every value */
	char items[GENDER_QUERY_MAX_ITEMS][GENDER_ITEM_MAX];
	enum gender_period_type ptype; /* GENDER_DIM_PERIOD only */
};

struct gender_query {
	size_t ndims;
	struct gender_dimsel dims[GENDER_DIM_COUNT];
	size_t nfilters;
	struct gender_dimsel filters[GENDER_DIM_COUNT];
};

/* The API name of a dimension ("region", "age_band", ...), or NULL. */
const char *gender_dim_name(enum gender_dim d);

/* The dimension named `name`; -EINVAL when unknown. */
int gender_dim_from_name(const char *name, enum gender_dim *out);

/*
 * gender_query_parse: read every dimension= and filter= argument of a raw
 * (still URL-encoded) query string into q (other arguments are ignored).
 * A value is "<dim>" or "<dim>:<item>;<item>...". Items are checked: sex
 * female|male, age bands, beneficiary types, gender markers 0..2, DHIS2
 * periods all of one type, region/province/commune codes [a-z0-9-]; a
 * bare "period" dimension is yearly. A dimension may appear once, as a
 * dimension or a filter; a filter needs items. On error returns -EINVAL
 * and writes the offending argument and the reason into err (a field
 * name "dimension" or "filter" in *field). Dimensions come out in the
 * canonical order of enum gender_dim, whatever their order in qs.
 */
int gender_query_parse(const char *qs, struct gender_query *q,
                       const char **field, char *err, size_t errlen);

/* The selection of dimension d (as dimension or filter), or NULL. */
const struct gender_dimsel *gender_query_find(const struct gender_query *q,
                                              enum gender_dim d,
                                              bool *is_filter);

/*
 * gender_query_json: the query as the SQL side reads it:
 * {"dims": ["region", "period"], "ptype": "quarterly",
 *  "items": {"region": [...], "period": [{"from": "2027-01-01",
 *  "to": "2027-04-01", "id": "2027Q1"}], ...}}. New reference or NULL.
 */
json_t *gender_query_json(const struct gender_query *q);

/* ---- questionnaires (domain_questionnaire.c) ---------------------------- */

/*
 * A questionnaire version is a JSON document:
 *   {"questions": [{"key": "q1", "type": "single"|"multiple"|"number"|
 *     "text"|"likert", "label": {"fr": ..., "ar": ...},
 *     "options": [{"code": "a", "label": {...}}, ...]   (single, multiple)
 *     "min", "max"                                      (number)
 *     "scale": 5                                        (likert, 3..10)
 *     "required": true|false,
 *     "skip_if": {"question": "q0", "equals": "no"}     (or "in": [...],
 *        "lt"/"gt": n): the question is not asked when the condition
 *        holds for an earlier question's answer.
 *   }]}
 * Keys are unique and [a-z0-9_]{1,32}; a skip condition may only name an
 * earlier question.
 */

#define GENDER_ERR_MAX 200

/*
 * gender_questionnaire_validate: check a version's document. Returns 0, or
 * -EINVAL with the path of the faulty field ("questions[2].skip_if") in
 * field (>= 64 bytes) and the reason in err.
 */
int gender_questionnaire_validate(const json_t *doc, char *field, size_t flen,
                                  char *err, size_t elen);

/*
 * gender_question_skipped: 1 if `question` (an element of the document's
 * questions) is skipped given `answers` (object key -> answer), 0 if it
 * is asked. An unanswered earlier question never triggers a skip.
 */
int gender_question_skipped(const json_t *question, const json_t *answers);

/*
 * gender_response_validate: check a response's answers against a valid
 * document: every key known, each answer of its question's type and
 * range, required questions answered unless skipped, skipped questions
 * left unanswered. Returns 0, or -EINVAL with the question key in field
 * and the reason in err.
 */
int gender_response_validate(const json_t *doc, const json_t *answers,
                             char *field, size_t flen, char *err, size_t elen);

/*
 * gender_version_editable: the versioning rule. A version with responses
 * is frozen: editing it is refused and a new version must be created.
 * Returns 0 when `responses` is 0, -EROFS otherwise.
 */
int gender_version_editable(int64_t responses);

/* ---- SVG charts (domain_svg.c) ------------------------------------------- */

enum gender_chart_kind { GENDER_CHART_BAR, GENDER_CHART_LINE };

#define GENDER_CHART_MAX_SERIES 4
#define GENDER_CHART_MAX_POINTS 48

/*
 * A chart: categories on the x axis (regions or periods), one series per
 * sex. A point with `missing` set (a suppressed cell) is drawn as a gap
 * with a hatched marker, never as zero.
 */
struct gender_chart_series {
	const char *label; /* "Femmes" / "نساء" */
	const char *color; /* "#7b2d8e" */
	int64_t values[GENDER_CHART_MAX_POINTS];
	bool missing[GENDER_CHART_MAX_POINTS];
};

struct gender_chart {
	enum gender_chart_kind kind;
	const char *title;
	const char *lang; /* "fr", "ar", "en": "ar" lays text right to left */
	const char *unit; /* shown after the axis values, may be "" */
	size_t npoints;
	const char *categories[GENDER_CHART_MAX_POINTS];
	size_t nseries;
	struct gender_chart_series series[GENDER_CHART_MAX_SERIES];
	int width, height; /* 0: 640 x 400 */
};

/*
 * gender_chart_svg: write the chart as a standalone SVG 1.1 document
 * (embeddable with <img> or <object>; text escaped; Arabic text carries
 * direction="rtl" and unicode-bidi="embed"). Returns a malloc'd string the
 * caller frees, or NULL (-EINVAL / -ENOMEM through *err if not NULL).
 */
char *gender_chart_svg(const struct gender_chart *c, int *err);

/* 1 if s contains a character of an RTL script (Arabic, Hebrew). */
int gender_text_is_rtl(const char *s);

/* ---- published figures (domain_figures.c) ------------------------------- */

#define GENDER_FIG_MAX_COLS 16

/* One aggregate of the load statement: the row's key values (a JSON
 * array of strings in the order of the row dimensions), its column
 * ("female", "male", or a gender marker "0".."2"), the number of people
 * or projects behind it, its value, and for medians the list of days. */
struct gender_fig_cell {
	const json_t *keys;
	const char *col;
	int64_t count;
	int64_t value;
	const json_t *days; /* array of integers, or NULL */
};

struct gender_fig_input {
	const char *indicator, *label, *measure, *unit;
	bool by_sex; /* columns are female/male (else gender markers) */
	size_t ndims;
	const char *dims[GENDER_DIM_COUNT]; /* row dimensions, in order */
	size_t ncols;
	const char *cols[GENDER_FIG_MAX_COLS];
	size_t ncells;
	const struct gender_fig_cell *cells; /* sorted by keys */
	int64_t threshold;
	bool suppress;
};

/* A built table of figures; release with gender_figures_free. */
struct gender_figures {
	struct gender_fig_input in;
	size_t nrows;
	const json_t **rowkeys; /* borrowed from the cells */
	struct mp_table t;      /* value = median x 2 for medians */
	size_t nsuppressed;
};

/*
 * gender_figures_build: lay the cells out as rows x columns with margins
 * (row totals when there are several columns, column totals when there
 * are several rows), compute medians when the measure is a median
 * ("median_days", "median": the values come in the cells' `days`),
 * and apply disclosure control when in->suppress. The input is copied by
 * value; the cells and their JSON must outlive out. Returns 0, -E2BIG
 * (more rows than MP_TABLE_MAX_ROWS: the caller asks for filters),
 * -EINVAL, -ENOMEM. A query without any fact gives one empty row.
 */
int gender_figures_build(const struct gender_fig_input *in,
                         struct gender_figures *out);
void gender_figures_free(struct gender_figures *f);

/* 1 if `measure` is a median ("median_days", "median": the values come
 * in the cells' `days`, the median is computed per cell and margin). */
int gender_measure_is_median(const char *measure);

/*
 * gender_figures_json: the figures as the API answers them: rows with
 * their keys, a cell per column ({"value": n} or {"value": null,
 * "suppressed": true}), the row total, the share of women in basis
 * points where columns are by sex (null when a part is suppressed), the
 * column totals, and the disclosure facts. New reference or NULL.
 */
json_t *gender_figures_json(const struct gender_figures *f);

/*
 * gender_figures_csv: one line per published cell: the row dimensions,
 * "column", "value", "suppressed" (value empty when suppressed), RFC 4180
 * quoting. malloc'd string or NULL.
 */
char *gender_figures_csv(const struct gender_figures *f);

/*
 * gender_figures_dvs: DHIS2 dataValueSets: {"dataValues": [{dataElement,
 * period, orgUnit, categoryOptionCombo, value}]} of the published inner
 * cells (suppressed cells are left out: DHIS2 has no marker for them and
 * must not import a zero). The row dimensions must include period; the
 * org unit is the finest of commune, province, region among them, else
 * `org_fallback`. Returns a new reference, or NULL with *err -EINVAL (no
 * period dimension) or -ENOMEM.
 */
json_t *gender_figures_dvs(const struct gender_figures *f,
                           const char *org_fallback, int *err);

/*
 * gender_figures_chart: fill a chart (one series per column, one point
 * per row) from built figures; `names` maps codes to labels (borrowed
 * JSON object, may be NULL), `col_labels` the series names, `colors`
 * their colours; category labels are written into catbuf (one 96-byte
 * slot per point). Strings point into f, names, catbuf and the caller's
 * arrays. Returns 0, -E2BIG (more rows than a chart shows), -EINVAL.
 */
int gender_figures_chart(const struct gender_figures *f, const json_t *names,
                         const char *const *col_labels,
                         const char *const *colors, struct gender_chart *c,
                         char (*catbuf)[96]);

#endif /* GENDER_DOMAIN_H */
