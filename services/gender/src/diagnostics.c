/*
 * Regional diagnostics: questionnaires and their versions, campaigns,
 * the offline-friendly batch upload of responses, results per question
 * cross-tabulated by a respondent dimension, recommendations and the
 * action plan.
 *
 * The rules that decide live in C (domain_questionnaire.c): a document is
 * validated before it is stored, an edit of a version that has responses
 * is refused (and refused again by the SQL under its row lock, since a
 * response may arrive between load and apply), each uploaded response is
 * checked against its version's document and the region's communes. A
 * batch is never refused as a whole for one bad item: its items are
 * free-form objects in the body schema and are judged one by one, so the
 * device learns, per item, accepted, duplicate, or invalid with the field
 * and the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/problem.h"
#include "mp/util.h"

#include "domain.h"
#include "routes.h"

#define BATCH_MAX 500

static const char *const regions[] = {"souss-massa", "oriental", NULL};
static const char *const bys[] = {"sex", "age_band", "beneficiary_type",
                                  "commune", NULL};
static const char *const action_states[] = {"planned", "in_progress", "done",
                                            "dropped", NULL};
static const char *const sexes[] = {"female", "male", NULL};
static const char *const age_bands[] = {"18-24", "25-34", "35-49",
                                        "50-64", "65+",   NULL};
static const char *const btypes[] = {"mre",
                                     "regularised_migrant",
                                     "migrant_in_transit",
                                     "asylum_seeker",
                                     "refugee",
                                     "other",
                                     NULL};

static int doc_or_refuse(struct mp_ctx *ctx, const json_t *doc);
static int decide_doc(struct mp_ctx *ctx, struct mp_run *run);
static int decide_diagnostic(struct mp_ctx *ctx, struct mp_run *run);
static int decide_version_edit(struct mp_ctx *ctx, struct mp_run *run);
static int decide_batch(struct mp_ctx *ctx, struct mp_run *run);
static int decide_results(struct mp_ctx *ctx, struct mp_run *run);
static const char *item_check(const json_t *item, const json_t *doc,
                              const json_t *communes, const char **field,
                              char *why, size_t whylen);
static bool in_list(const char *const *list, const char *s);

static bool
in_list(const char *const *list, const char *s)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* ---- diagnostics ------------------------------------------------------- */

static const struct mp_field diagnostic_body[] = {
    MP_FIELD("region", MP_F_ENUM, MP_F_REQUIRED, .enum_values = regions),
    MP_FIELD("period", MP_F_STRING, MP_F_REQUIRED, .min_len = 4, .max_len = 6),
    MP_FIELD("title", MP_F_I18N, MP_F_REQUIRED, .max_len = 200),
    MP_FIELD("summary", MP_F_I18N, 0, .max_len = 4000), MP_FIELD_END};
static const struct mp_field region_query[] = {
    MP_FIELD("region", MP_F_ENUM, 0, .enum_values = regions), MP_FIELD_END};

/* The period of a diagnostic is a DHIS2 period (2027, 2027Q1, 202701). */
static int
decide_diagnostic(struct mp_ctx *ctx, struct mp_run *run)
{
	struct gender_period p;

	if (gender_period_parse(
	        json_string_value(json_object_get(run->body, "period")), &p) !=
	    0)
		return gender_refuse_field(
		    ctx, "period", "a DHIS2 period: 2027, 2027Q1 or 202701");
	return 0;
}

static const struct mp_op gender_diagnostic_create_op = {
    .schema = diagnostic_body,
    .decide = decide_diagnostic,
    .apply_sql = "SELECT gender_diagnostic_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/gender/diagnostics/%s"};
static const struct mp_op gender_diagnostics_list_op = {
    .query = region_query,
    .apply_sql = "SELECT gender_diagnostic_list($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op gender_diagnostic_get_op = {
    .apply_sql = "SELECT gender_diagnostic_get($1, $2, $3, $4, $5)",
    .status = 200};

/* ---- questionnaires and versions
 * --------------------------------------------- */

static const struct mp_field questionnaire_body[] = {
    MP_FIELD("title", MP_F_I18N, MP_F_REQUIRED, .max_len = 200),
    MP_FIELD("doc", MP_F_OBJECT, MP_F_REQUIRED), MP_FIELD_END};
static const struct mp_field version_body[] = {
    MP_FIELD("doc", MP_F_OBJECT, MP_F_REQUIRED), MP_FIELD_END};

/* Validate a questionnaire document, answering 400 naming the field
 * ("doc.questions[2].skip_if") and the reason. 0 or MP_ANSWERED. */
static int
doc_or_refuse(struct mp_ctx *ctx, const json_t *doc)
{
	char field[64], path[80], why[GENDER_ERR_MAX];

	if (gender_questionnaire_validate(doc, field, sizeof(field), why,
	                                  sizeof(why)) == 0)
		return 0;
	snprintf(path, sizeof(path), "doc.%s", field);
	return gender_refuse_field(ctx, path, why);
}

static int
decide_doc(struct mp_ctx *ctx, struct mp_run *run)
{
	return doc_or_refuse(ctx, json_object_get(run->body, "doc"));
}

struct version_facts {
	int64_t responses;
};
static const struct mp_fact version_facts[] = {
    MP_FACT("responses", MP_FACT_INT, 0, struct version_facts, responses),
    MP_FACT_END};

/* The versioning rule: a version with responses is frozen. */
static int
decide_version_edit(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct version_facts *vf = run->facts;
	json_t *pb;

	if (gender_version_editable(vf->responses) != 0) {
		pb = mp_problem_new(
		    409, "version-frozen", NULL,
		    "this version has responses: it is frozen; create a new "
		    "version (POST .../versions)");
		if (pb != NULL)
			json_object_set_new(pb, "responses",
			                    json_integer(vf->responses));
		return mp_refuse(ctx, pb);
	}
	return decide_doc(ctx, run);
}

static const struct mp_op gender_questionnaire_create_op = {
    .schema = questionnaire_body,
    .decide = decide_doc,
    .apply_sql = "SELECT gender_questionnaire_create($1, $2, $3, $4, $5)",
    .status = 201,
    .location = "/v1/gender/questionnaires/%s"};
static const struct mp_op gender_questionnaire_get_op = {
    .apply_sql = "SELECT gender_questionnaire_get($1, $2, $3, $4, $5)",
    .status = 200};
static const struct mp_op gender_version_create_op = {
    .schema = version_body,
    .decide = decide_doc,
    .apply_sql = "SELECT gender_version_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op gender_version_update_op = {
    .schema = version_body,
    .load_sql = "SELECT gender_version_facts($1, $2, $3)",
    MP_OP_FACTS(version_facts, struct version_facts),
    .decide = decide_version_edit,
    .apply_sql = "SELECT gender_version_update($1, $2, $3, $4, $5)",
    .status = 200};

/* ---- campaigns and the batch upload
 * -------------------------------------------- */

static const struct mp_field campaign_body[] = {
    MP_FIELD("questionnaire_id", MP_F_UUID, MP_F_REQUIRED),
    MP_FIELD("version", MP_F_INT, MP_F_REQUIRED, .min = 1, .max = 100000),
    MP_FIELD("name", MP_F_I18N, MP_F_REQUIRED, .max_len = 200),
    MP_FIELD("starts_on", MP_F_DATE, MP_F_REQUIRED),
    MP_FIELD("ends_on", MP_F_DATE, MP_F_REQUIRED),
    MP_FIELD_END};
static const struct mp_op gender_campaign_create_op = {
    .schema = campaign_body,
    .apply_sql = "SELECT gender_campaign_create($1, $2, $3, $4, $5)",
    .status = 201};

/* Items are free-form here: each is judged by decide_batch. */
static const struct mp_field batch_item = MP_FIELD("item", MP_F_OBJECT, 0);
static const struct mp_field batch_body[] = {
    MP_FIELD("responses", MP_F_ARRAY, MP_F_REQUIRED, .min_len = 1,
             .max_len = BATCH_MAX, .items = &batch_item),
    MP_FIELD_END};

struct batch_facts {
	const json_t *doc;
	const char **communes;
	size_t ncommunes;
};
static const struct mp_fact batch_facts[] = {
    MP_FACT("doc", MP_FACT_RAW_OBJECT, 0, struct batch_facts, doc),
    MP_FACT_ARRAY("communes", MP_FACT_STRINGS, 0, struct batch_facts, communes,
                  ncommunes),
    MP_FACT_END};

/* NULL when the item is a valid response; else the reason, the field in
 * *field (why holds the text when it is built). */
static const char *
item_check(const json_t *item, const json_t *doc, const json_t *communes,
           const char **field, char *why, size_t whylen)
{
	const json_t *r = json_object_get(item, "respondent"), *c, *t;
	static char qfield[64];
	const char *key;
	json_t *v;
	size_t i;
	bool known = false;

	json_object_foreach((json_t *)(uintptr_t)item, key, v)
	{
		if (strcmp(key, "id") != 0 && strcmp(key, "respondent") != 0 &&
		    strcmp(key, "answers") != 0 &&
		    strcmp(key, "collected_at") != 0) {
			*field = "item";
			snprintf(why, whylen, "unknown field '%.40s'", key);
			return why;
		}
	}
	*field = "id";
	if (!mp_uuid_valid(json_string_value(json_object_get(item, "id"))))
		return "required: a UUID generated by the device";
	*field = "respondent";
	if (!json_is_object(r) || json_object_size(r) != 4)
		return "required: exactly sex, age_band, beneficiary_type, "
		       "commune (no name or other identifier)";
	*field = "respondent.sex";
	if (!in_list(sexes, json_string_value(json_object_get(r, "sex"))))
		return "female or male";
	*field = "respondent.age_band";
	if (!in_list(age_bands,
	             json_string_value(json_object_get(r, "age_band"))))
		return "18-24, 25-34, 35-49, 50-64 or 65+";
	*field = "respondent.beneficiary_type";
	if (!in_list(btypes,
	             json_string_value(json_object_get(r, "beneficiary_type"))))
		return "mre, regularised_migrant, migrant_in_transit, "
		       "asylum_seeker, refugee or other";
	*field = "respondent.commune";
	c = json_object_get(r, "commune");
	json_array_foreach(communes, i, v) known |= json_equal(v, c);
	if (!known)
		return "not a commune of the campaign's region";
	t = json_object_get(item, "collected_at");
	*field = "collected_at";
	if (t != NULL) {
		int64_t ms;

		if (!json_is_string(t) ||
		    mp_time_parse(json_string_value(t), &ms) != 0)
			return "an RFC 3339 date-time";
	}
	if (gender_response_validate(doc, json_object_get(item, "answers"),
	                             qfield, sizeof(qfield), why,
	                             whylen) != 0) {
		*field = qfield[0] != '\0' ? qfield : "answers";
		return why;
	}
	return NULL;
}

static int
decide_batch(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct batch_facts *bf = run->facts;
	json_t *valid = json_array(), *invalid = json_array();
	json_t *dups = json_array(), *communes = json_array(), *items, *it;
	char why[GENDER_ERR_MAX];
	const char *reason, *field;
	size_t i, k;

	for (i = 0; i < bf->ncommunes; i++)
		json_array_append_new(communes, json_string(bf->communes[i]));
	items = json_object_get(run->body, "responses");
	json_array_foreach(items, i, it)
	{
		json_t *copy;

		reason =
		    item_check(it, bf->doc, communes, &field, why, sizeof(why));
		if (reason != NULL) {
			json_t *id = json_object_get(it, "id");

			json_array_append_new(
			    invalid,
			    json_pack("{s:I, s:O?, "
			              "s:s, s:s}",
			              "pos", (json_int_t)i, "id",
			              json_is_string(id) ? id : NULL, "field",
			              field, "reason", reason));
			continue;
		}
		/* the same id twice in one batch: the later is a duplicate */
		for (k = 0; k < i; k++)
			if (json_equal(
			        json_object_get(json_array_get(items, k), "id"),
			        json_object_get(it, "id")))
				break;
		if (k < i) {
			json_array_append_new(
			    dups, json_pack("{s:I, s:O}", "pos", (json_int_t)i,
			                    "id", json_object_get(it, "id")));
			continue;
		}
		copy = json_deep_copy(it);
		json_object_set_new(copy, "pos", json_integer((json_int_t)i));
		json_array_append_new(valid, copy);
	}
	json_decref(communes);
	run->decision = json_pack("{s:o, s:o, s:o}", "valid", valid, "invalid",
	                          invalid, "dups", dups);
	return run->decision != NULL ? 0 : mp_refuse(ctx, NULL);
}

static const struct mp_op gender_responses_batch_op = {
    .schema = batch_body,
    .load_sql = "SELECT gender_batch_facts($1, $2, $3)",
    MP_OP_FACTS(batch_facts, struct batch_facts),
    .decide = decide_batch,
    .apply_sql = "SELECT gender_batch_store($1, $2, $3, $4, $5)",
    .status = 200};

/* ---- results
 * ----------------------------------------------------------------- */

static const struct mp_field results_query[] = {
    MP_FIELD("question", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
             .max_len = 32),
    MP_FIELD("by", MP_F_ENUM, 0, .enum_values = bys),
    MP_FIELD("version", MP_F_INT, 0, .min = 1, .max = 100000),
    MP_FIELD("unsuppressed", MP_F_BOOL, 0), MP_FIELD_END};

struct result_cell {
	const json_t *keys;
	const char *col;
	int64_t count, value;
	const json_t *days;
};
struct results_facts {
	const char *region;
	int64_t version, respondents, threshold;
	int privileged;
	const json_t *question;
	const char **columns;
	size_t ncolumns;
	struct result_cell *cells;
	size_t ncells;
};
#define RC struct result_cell
static const struct mp_fact result_cell_facts[] = {
    MP_FACT("keys", MP_FACT_RAW_ARRAY, 0, RC, keys),
    MP_FACT("col", MP_FACT_STRING, 0, RC, col),
    MP_FACT("count", MP_FACT_INT, 0, RC, count),
    MP_FACT("value", MP_FACT_INT, 0, RC, value),
    MP_FACT("days", MP_FACT_RAW_ARRAY, 0, RC, days),
    MP_FACT_END};
#undef RC
#define RF struct results_facts
static const struct mp_fact results_facts[] = {
    MP_FACT("region", MP_FACT_STRING, 0, RF, region),
    MP_FACT("version", MP_FACT_INT, 0, RF, version),
    MP_FACT("question", MP_FACT_RAW_OBJECT, 0, RF, question),
    MP_FACT("respondents", MP_FACT_INT, 0, RF, respondents),
    MP_FACT("threshold", MP_FACT_INT, 0, RF, threshold),
    MP_FACT("privileged", MP_FACT_BOOL, 0, RF, privileged),
    MP_FACT_ARRAY("columns", MP_FACT_STRINGS, 0, RF, columns, ncolumns),
    MP_FACT_LIST("cells", 0, RF, cells, ncells, struct result_cell,
                 result_cell_facts),
    MP_FACT_END};
#undef RF

static int
decide_results(struct mp_ctx *ctx, struct mp_run *run)
{
	const struct results_facts *rf = run->facts;
	const char *type =
	    json_string_value(json_object_get(rf->question, "type"));
	const char *by = mp_query(ctx, "by");
	struct gender_fig_input in;
	struct gender_fig_cell *cells;
	struct gender_figures f;
	json_t *body;
	size_t i;
	int rc;

	if (rf->ncolumns == 0 || rf->ncolumns > GENDER_FIG_MAX_COLS)
		return gender_refuse_field(
		    ctx, "by",
		    rf->ncolumns == 0 ? "no response yet"
		                      : "too many values to cross-tabulate");
	memset(&in, 0, sizeof(in));
	in.indicator = json_string_value(json_object_get(rf->question, "key"));
	in.label = in.indicator;
	in.measure = strcmp(type, "number") == 0 ? "median" : "count";
	in.unit = "people";
	in.by_sex = by == NULL || strcmp(by, "sex") == 0;
	in.ndims = 1;
	in.dims[0] = "answer";
	in.ncols = rf->ncolumns;
	for (i = 0; i < rf->ncolumns; i++)
		in.cols[i] = rf->columns[i];
	in.threshold = rf->threshold;
	in.suppress = !rf->privileged;
	if ((cells = calloc(rf->ncells + 1, sizeof(*cells))) == NULL)
		return mp_refuse(ctx, NULL);
	for (i = 0; i < rf->ncells; i++) {
		cells[i].keys = rf->cells[i].keys;
		cells[i].col = rf->cells[i].col;
		cells[i].count = rf->cells[i].count;
		cells[i].value = rf->cells[i].value;
		cells[i].days = rf->cells[i].days;
	}
	in.cells = cells;
	in.ncells = rf->ncells;
	rc = gender_figures_build(&in, &f);
	if (rc != 0) {
		free(cells);
		return rc == -E2BIG
		           ? gender_refuse_field(ctx, "question",
		                                 "too many distinct answers")
		           : mp_refuse(ctx, NULL);
	}
	body = gender_figures_json(&f);
	gender_figures_free(&f);
	free(cells);
	if (body == NULL)
		return mp_refuse(ctx, NULL);
	json_object_del(body, "indicator");
	json_object_del(body, "label");
	json_object_set(body, "question", (json_t *)(uintptr_t)rf->question);
	json_object_set_new(body, "version", json_integer(rf->version));
	json_object_set_new(body, "respondents", json_integer(rf->respondents));
	json_object_set_new(body, "by", json_string(by != NULL ? by : "sex"));
	if (rf->privileged) /* never cached: each read is audited */
		mp_reply_header(ctx, "CDN-Cache-Control", "no-store");
	run->decision = json_pack("{s:b, s:o}", "unsuppressed", rf->privileged,
	                          "body", body);
	return run->decision != NULL ? 0 : mp_refuse(ctx, NULL);
}

static const struct mp_op gender_results_op = {
    .query = results_query,
    .load_sql = "SELECT gender_results_load($1, $2, $3)",
    MP_OP_FACTS(results_facts, struct results_facts),
    .decide = decide_results,
    .apply_sql = "SELECT gender_results_out($1, $2, $3, $4, $5)",
    .status = 200};

/* ---- recommendations and the action plan
 * ----------------------------------------- */

static const struct mp_field recommendation_body[] = {
    MP_FIELD("text", MP_F_I18N, MP_F_REQUIRED, .max_len = 4000),
    MP_FIELD("priority", MP_F_INT, 0, .min = 1, .max = 3), MP_FIELD_END};
static const struct mp_field action_body[] = {
    MP_FIELD("title", MP_F_I18N, MP_F_REQUIRED, .max_len = 400),
    MP_FIELD("owner", MP_F_STRING, MP_F_REQUIRED, .min_len = 2, .max_len = 200),
    MP_FIELD("due_on", MP_F_DATE, 0), MP_FIELD_END};
static const struct mp_field action_patch[] = {
    MP_FIELD("progress_pct", MP_F_INT, 0, .min = 0, .max = 100),
    MP_FIELD("status", MP_F_ENUM, 0, .enum_values = action_states),
    MP_FIELD_END};

static const struct mp_op gender_recommendation_create_op = {
    .schema = recommendation_body,
    .apply_sql = "SELECT gender_recommendation_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op gender_action_create_op = {
    .schema = action_body,
    .apply_sql = "SELECT gender_action_create($1, $2, $3, $4, $5)",
    .status = 201};
static const struct mp_op gender_action_update_op = {
    .schema = action_patch,
    .apply_sql = "SELECT gender_action_update($1, $2, $3, $4, $5)",
    .status = 200};

MP_OP_ROUTE(gender_diagnostic_create)
MP_OP_ROUTE(gender_diagnostics_list)
MP_OP_ROUTE(gender_diagnostic_get)
MP_OP_ROUTE(gender_questionnaire_create)
MP_OP_ROUTE(gender_questionnaire_get)
MP_OP_ROUTE(gender_version_create)
MP_OP_ROUTE(gender_version_update)
MP_OP_ROUTE(gender_campaign_create)
MP_OP_ROUTE(gender_responses_batch)
MP_OP_ROUTE(gender_results)
MP_OP_ROUTE(gender_recommendation_create)
MP_OP_ROUTE(gender_action_create)
MP_OP_ROUTE(gender_action_update)
