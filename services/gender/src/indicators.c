/*
 * Indicator routes: the catalogue, the figures of one indicator as JSON,
 * CSV, DHIS2 dataValueSets and an SVG chart, targets and alerts, the
 * disclosure settings and the projection's admin routes.
 *
 * A figures route is load -> decide -> apply (mp/run.h): the args hook
 * parses the DHIS2-style query (domain_query.c) into args.q; the load
 * (gender_figures_load) aggregates the facts, decides whether the caller
 * may read unsuppressed figures and returns the region's threshold;
 * decide lays out and suppresses the table and writes the answer in the
 * route's format (domain_figures.c, domain_svg.c); apply records an
 * unsuppressed read in the audit table and sends the answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "mp/problem.h"

#include "domain.h"
#include "routes.h"

enum fig_format { FIG_JSON, FIG_CSV, FIG_DVS, FIG_SVG };

struct fig_cell_facts {
	const json_t *keys;
	const char *col;
	int64_t count, value;
	const json_t *days;
};

struct fig_facts {
	const char *code, *label, *measure, *columns, *unit;
	int64_t threshold;
	int privileged;
	struct fig_cell_facts *cells;
	size_t ncells;
	const json_t *names;
};

#define C struct fig_cell_facts
static const struct mp_fact cell_facts[] = {
    MP_FACT("keys", MP_FACT_RAW_ARRAY, 0, C, keys),
    MP_FACT("col", MP_FACT_STRING, 0, C, col),
    MP_FACT("count", MP_FACT_INT, 0, C, count),
    MP_FACT("value", MP_FACT_INT, 0, C, value),
    MP_FACT("days", MP_FACT_RAW_ARRAY, 0, C, days),
    MP_FACT_END};
#undef C
#define F struct fig_facts
static const struct mp_fact fig_facts[] = {
    MP_FACT("code", MP_FACT_STRING, 0, F, code),
    MP_FACT("label", MP_FACT_STRING, 0, F, label),
    MP_FACT("measure", MP_FACT_STRING, 0, F, measure),
    MP_FACT("columns", MP_FACT_STRING, 0, F, columns),
    MP_FACT("unit", MP_FACT_STRING, 0, F, unit),
    MP_FACT("threshold", MP_FACT_INT, 0, F, threshold),
    MP_FACT("privileged", MP_FACT_BOOL, 0, F, privileged),
    MP_FACT_LIST("cells", 0, F, cells, ncells, struct fig_cell_facts,
                 cell_facts),
    MP_FACT("names", MP_FACT_RAW_OBJECT, 0, F, names),
    MP_FACT_END};
#undef F

static const char *const chart_types[] = {"bar", "line", NULL};
static const char *const langs[] = {"fr", "ar", "en", NULL};
static const char *const regions[] = {"souss-massa", "oriental", NULL};
/* dimension= and filter= repeat: read by the args hook from the raw
 * query string (the routes are MP_ROUTE_REPEATS) */
static const struct mp_field fig_query[] = {
    MP_FIELD("unsuppressed", MP_F_BOOL, 0),
    MP_FIELD("type", MP_F_ENUM, 0, .enum_values = chart_types),
    MP_FIELD("lang", MP_F_ENUM, 0, .enum_values = langs), MP_FIELD_END};
static const struct mp_field targets_query[] = {
    MP_FIELD("region", MP_F_ENUM, 0, .enum_values = regions),
    MP_FIELD("year", MP_F_INT, 0, .min = 2000, .max = 2100),
    MP_FIELD("unsuppressed", MP_F_BOOL, 0), MP_FIELD_END};

static int query_or_reply(struct mp_ctx *ctx, struct gender_query *q);
static const char *chart_lang(struct mp_ctx *ctx);
static int fig_args(struct mp_ctx *ctx, json_t *args);
static int fig_input(struct mp_ctx *ctx, const struct fig_facts *ff,
                     const struct gender_query *q, struct gender_fig_input *in,
                     struct gender_fig_cell **cells);
static int fig_decide(struct mp_ctx *ctx, struct mp_run *run);
static int fig_output(struct mp_ctx *ctx, struct mp_run *run,
                      const struct gender_figures *f,
                      const struct fig_facts *ff);
static int fig_svg(struct mp_ctx *ctx, struct mp_run *run,
                   const struct gender_figures *f, const struct fig_facts *ff,
                   json_t **text);

int
gender_refuse_field(struct mp_ctx *ctx, const char *field, const char *reason)
{
	json_t *pb =
	    mp_problem_new(400, "validation", NULL, "the request is not valid");

	if (pb != NULL)
		mp_problem_add_error(pb, field, reason);
	return mp_refuse(ctx, pb);
}

/* Parse dimension=/filter= of the raw query string, answering 400 with
 * the argument and the reason. 0 or -EINVAL (answered). */
static int
query_or_reply(struct mp_ctx *ctx, struct gender_query *q)
{
	const char *field;
	char err[GENDER_ERR_MAX];

	if (gender_query_parse(ctx->req->query_string, q, &field, err,
	                       sizeof(err)) == 0)
		return 0;
	(void)gender_refuse_field(ctx, field != NULL ? field : "query", err);
	return -EINVAL;
}

static int
fig_args(struct mp_ctx *ctx, json_t *args)
{
	struct gender_query q;
	json_t *j;

	if (query_or_reply(ctx, &q) != 0)
		return MP_ANSWERED;
	if ((j = gender_query_json(&q)) == NULL) {
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
		return MP_ANSWERED;
	}
	json_object_set_new(args, "q", j);
	/* labels in ?lang= when given (an <img> sends no Accept-Language) */
	json_object_set_new(args, "lang", json_string(chart_lang(ctx)));
	return 0;
}

/* The layout of the figures from the load's facts and the query. */
static int
fig_input(struct mp_ctx *ctx, const struct fig_facts *ff,
          const struct gender_query *q, struct gender_fig_input *in,
          struct gender_fig_cell **cells)
{
	static const char *const sexes[] = {"female", "male"};
	static const char *const markers[] = {"0", "1", "2"};
	const struct gender_dimsel *sel;
	enum gender_dim coldim;
	const char *const *all;
	size_t nall, i, k;
	bool filter;

	memset(in, 0, sizeof(*in));
	in->indicator = ff->code;
	in->label = ff->label;
	in->measure = ff->measure;
	in->unit = ff->unit;
	in->by_sex = strcmp(ff->columns, "sex") == 0;
	in->threshold = ff->threshold;
	in->suppress = !ff->privileged;
	coldim = in->by_sex ? GENDER_DIM_SEX : GENDER_DIM_GENDER_MARKER;
	for (i = 0; i < q->ndims; i++)
		if (q->dims[i].dim != coldim)
			in->dims[in->ndims++] = gender_dim_name(q->dims[i].dim);
	all = in->by_sex ? sexes : markers;
	nall = in->by_sex ? 2 : 3;
	sel = gender_query_find(q, coldim, &filter);
	for (i = 0; i < nall; i++) {
		bool keep = sel == NULL || sel->nitems == 0;

		for (k = 0; sel != NULL && k < sel->nitems; k++)
			keep |= strcmp(sel->items[k], all[i]) == 0;
		if (keep)
			in->cols[in->ncols++] = all[i];
	}
	if ((*cells = calloc(ff->ncells + 1, sizeof(**cells))) == NULL) {
		mp_reply_problem(ctx, 503, "overloaded",
		                 "out of memory; retry shortly");
		return -ENOMEM;
	}
	for (i = 0; i < ff->ncells; i++) {
		(*cells)[i].keys = ff->cells[i].keys;
		(*cells)[i].col = ff->cells[i].col;
		(*cells)[i].count = ff->cells[i].count;
		(*cells)[i].value = ff->cells[i].value;
		(*cells)[i].days = ff->cells[i].days;
	}
	in->cells = *cells;
	in->ncells = ff->ncells;
	return 0;
}

static int
fig_decide(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct fig_facts *ff = run->facts;
	struct gender_query q;
	struct gender_fig_input in;
	struct gender_fig_cell *cells = NULL;
	struct gender_figures f;
	int rc;

	/* parsed again: the args hook already refused a bad query */
	if (query_or_reply(ctx, &q) != 0)
		return MP_ANSWERED;
	if (fig_input(ctx, ff, &q, &in, &cells) != 0)
		return MP_ANSWERED;
	rc = gender_figures_build(&in, &f);
	if (rc == -E2BIG) {
		free(cells);
		return mp_refuse_status(
		    ctx, 400, "too-many-rows",
		    "the query gives more than 256 rows: add filters or "
		    "fewer dimensions");
	}
	if (rc != 0) {
		free(cells);
		return mp_refuse(ctx, NULL);
	}
	rc = fig_output(ctx, run, &f, ff);
	gender_figures_free(&f);
	free(cells);
	return rc;
}

static const char *
chart_lang(struct mp_ctx *ctx)
{
	const char *l = mp_query(ctx, "lang");

	/* an <img> cannot send Accept-Language: ?lang= wins */
	if (l != NULL && (strcmp(l, "fr") == 0 || strcmp(l, "ar") == 0 ||
	                  strcmp(l, "en") == 0))
		return l;
	return ctx->lang;
}

static int
fig_svg(struct mp_ctx *ctx, struct mp_run *run, const struct gender_figures *f,
        const struct fig_facts *ff, json_t **text)
{
	static const char *const sex_fr[] = {"Femmes", "Hommes"};
	static const char *const sex_ar[] = {"نساء", "رجال"};
	static const char *const sex_en[] = {"Women", "Men"};
	static const char *const mk_fr[] = {"Marqueur 0", "Marqueur 1",
	                                    "Marqueur 2"};
	static const char *const mk_ar[] = {"المؤشر 0", "المؤشر 1", "المؤشر 2"};
	static const char *const sex_colors[] = {"#7b3294", "#008837"};
	static const char *const mk_colors[] = {"#bdbdbd", "#fdae61",
	                                        "#7b3294"};
	const char *labels[GENDER_FIG_MAX_COLS], *colors[GENDER_FIG_MAX_COLS];
	const char *lang = chart_lang(ctx), *type = mp_query(ctx, "type");
	const char *const *lab;
	struct gender_chart c;
	char(*cats)[96];
	char *svg;
	size_t i;
	int rc;

	(void)run;
	if (type != NULL && strcmp(type, "bar") != 0 &&
	    strcmp(type, "line") != 0)
		return gender_refuse_field(ctx, "type", "bar or line");
	if (f->in.by_sex)
		lab = strcmp(lang, "ar") == 0   ? sex_ar
		      : strcmp(lang, "en") == 0 ? sex_en
		                                : sex_fr;
	else
		lab = strcmp(lang, "ar") == 0 ? mk_ar : mk_fr;
	for (i = 0; i < f->in.ncols; i++) {
		/* the column's own label, whichever columns were kept */
		size_t k = f->in.by_sex
		               ? (strcmp(f->in.cols[i], "female") == 0 ? 0 : 1)
		               : (size_t)(f->in.cols[i][0] - '0');

		labels[i] = lab[k];
		colors[i] = f->in.by_sex ? sex_colors[k] : mk_colors[k];
	}
	if ((cats = calloc(GENDER_CHART_MAX_POINTS, sizeof(*cats))) == NULL)
		return mp_refuse(ctx, NULL);
	rc = gender_figures_chart(f, ff->names, labels, colors, &c, cats);
	if (rc != 0) {
		free(cats);
		return mp_refuse_status(
		    ctx, 400, "too-many-rows",
		    "a chart shows at most 48 categories: add filters");
	}
	c.title = ff->label;
	c.lang = lang;
	c.unit = strcmp(ff->unit, "days") == 0
	             ? (strcmp(lang, "ar") == 0 ? "يوم" : "j")
	             : "";
	c.kind = (type != NULL && strcmp(type, "line") == 0) ||
	                 (type == NULL && f->in.ndims == 1 &&
	                  strcmp(f->in.dims[0], "period") == 0)
	             ? GENDER_CHART_LINE
	             : GENDER_CHART_BAR;
	svg = gender_chart_svg(&c, NULL);
	free(cats);
	if (svg == NULL)
		return mp_refuse(ctx, NULL);
	*text = json_string(svg);
	free(svg);
	return 0;
}

/* Write the answer of the route's format into run->decision. */
static int
fig_output(struct mp_ctx *ctx, struct mp_run *run,
           const struct gender_figures *f, const struct fig_facts *ff)
{
	enum fig_format fmt = (enum fig_format)(uintptr_t)run->op->arg;
	json_t *body = NULL, *text = NULL;
	char *s;
	int err = 0;

	switch (fmt) {
	case FIG_JSON:
		body = gender_figures_json(f);
		break;
	case FIG_CSV:
		if ((s = gender_figures_csv(f)) != NULL) {
			text = json_string(s);
			free(s);
		}
		break;
	case FIG_DVS:
		body = gender_figures_dvs(f, "MA", &err);
		if (body == NULL && err == -EINVAL)
			return gender_refuse_field(
			    ctx, "dimension",
			    "dataValueSets needs a period dimension "
			    "(dimension=period:2027Q1;2027Q2)");
		break;
	case FIG_SVG:
		if (fig_svg(ctx, run, f, ff, &text) != 0)
			return MP_ANSWERED;
		break;
	}
	if (body == NULL && text == NULL)
		return mp_refuse(ctx, NULL);
	/* an unsuppressed read is never served from a cache: each one
	 * reaches the service and is audited */
	if (ff->privileged)
		mp_reply_header(ctx, "CDN-Cache-Control", "no-store");
	run->decision = json_pack("{s:b, s:o?, s:o?}", "unsuppressed",
	                          ff->privileged, "body", body, "text", text);
	return run->decision != NULL ? 0 : mp_refuse(ctx, NULL);
}

#define FIG_OP(name, fmt, out, ctype_)                                         \
	static const struct mp_op name##_op = {                                \
	    .query = fig_query,                                                \
	    .args = fig_args,                                                  \
	    .load_sql = "SELECT gender_figures_load($1, $2, $3)",              \
	    MP_OP_FACTS(fig_facts, struct fig_facts),                          \
	    .decide = fig_decide,                                              \
	    .apply_sql = "SELECT " out "($1, $2, $3, $4, $5)",                 \
	    .status = 200,                                                     \
	    .ctype = ctype_,                                                   \
	    .arg = (const void *)(uintptr_t)(fmt)};                            \
	MP_OP_ROUTE(name)

FIG_OP(gender_figures, FIG_JSON, "gender_figures_out", NULL)
FIG_OP(gender_figures_csv_route, FIG_CSV, "gender_figures_text",
       "text/csv; charset=utf-8")
FIG_OP(gender_figures_dvs_route, FIG_DVS, "gender_figures_out", NULL)
FIG_OP(gender_figures_svg_route, FIG_SVG, "gender_figures_text",
       "image/svg+xml; charset=utf-8")

static const struct mp_op gender_indicators_list_op = {
    .apply_sql = "SELECT gender_indicator_list($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op gender_targets_list_op = {
    .query = targets_query,
    .apply_sql = "SELECT gender_targets_list($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op gender_alerts_op = {
    .query = targets_query,
    .apply_sql = "SELECT gender_alerts($1, $2, $3, $4, $5)",
    .status = 200};

static const char *const target_kinds[] = {"at_least", "at_most", NULL};
static const struct mp_field target_body[] = {
    MP_FIELD("target_bp", MP_F_INT, MP_F_REQUIRED, .min = 0, .max = 10000),
    MP_FIELD("kind", MP_F_ENUM, 0, .enum_values = target_kinds), MP_FIELD_END};
static const struct mp_op gender_target_put_op = {
    .schema = target_body,
    .apply_sql = "SELECT gender_target_put($1, $2, $3, $4, $5)",
    .status = 200};

static const struct mp_field disclosure_body[] = {
    MP_FIELD("threshold", MP_F_INT, MP_F_REQUIRED, .min = 1, .max = 100),
    MP_FIELD_END};
static const struct mp_op gender_disclosure_get_op = {
    .apply_sql = "SELECT gender_disclosure_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op gender_disclosure_put_op = {
    .schema = disclosure_body,
    .apply_sql = "SELECT gender_disclosure_put($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op gender_projection_get_op = {
    .apply_sql = "SELECT gender_projection_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op gender_replay_op = {
    .apply_sql = "SELECT gender_replay($1, $2, $3, $4, $5)", .status = 202};

MP_OP_ROUTE(gender_indicators_list)
MP_OP_ROUTE(gender_targets_list)
MP_OP_ROUTE(gender_alerts)
MP_OP_ROUTE(gender_target_put)
MP_OP_ROUTE(gender_disclosure_get)
MP_OP_ROUTE(gender_disclosure_put)
MP_OP_ROUTE(gender_projection_get)
MP_OP_ROUTE(gender_replay)
