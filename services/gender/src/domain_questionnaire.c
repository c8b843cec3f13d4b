/*
 * Questionnaires of a diagnostic (see domain.h for the document shape).
 *
 * The document of a version is checked once when it is written, so a
 * response only has to be checked against a valid document. Skip logic
 * is a condition on an EARLIER question's answer: it cannot loop, and an
 * enumerator's form can evaluate it as the interview goes. A version
 * with responses is frozen, so results always refer to the exact
 * questions that were asked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"

#define MAX_QUESTIONS 200
#define MAX_OPTIONS 50
#define MAX_TEXT 2000

static const char *const types[] = {"single", "multiple", "number",
                                    "text",   "likert",   NULL};

static bool key_ok(const json_t *k);
static bool i18n_ok(const json_t *o);
static int fail(char *field, size_t flen, char *err, size_t elen, const char *f,
                const char *why);
static int question_check(const json_t *qs, size_t i, char *field, size_t flen,
                          char *err, size_t elen);
static int skip_check(const json_t *qs, size_t i, const json_t *cond,
                      char *field, size_t flen, char *err, size_t elen);
static bool option_known(const json_t *q, const json_t *code);
static bool cond_holds(const json_t *cond, const json_t *answer);
static int answer_check(const json_t *q, const json_t *a, char *err,
                        size_t elen);

static bool
key_ok(const json_t *k)
{
	const char *s = json_string_value(k);
	size_t n;

	if (s == NULL || (n = strlen(s)) < 1 || n > 32)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

/* {"fr": "...", "ar": "..."}: at least one language, short codes,
 * non-empty strings of at most 500 bytes. */
static bool
i18n_ok(const json_t *o)
{
	const char *lang;
	json_t *v;

	if (!json_is_object(o) || json_object_size(o) == 0)
		return false;
	json_object_foreach((json_t *)(uintptr_t)o, lang, v)
	{
		if (strlen(lang) < 2 || strlen(lang) > 3 ||
		    !json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 500)
			return false;
	}
	return true;
}

static int
fail(char *field, size_t flen, char *err, size_t elen, const char *f,
     const char *why)
{
	snprintf(field, flen, "%s", f);
	snprintf(err, elen, "%s", why);
	return -EINVAL;
}

static int
skip_check(const json_t *qs, size_t i, const json_t *cond, char *field,
           size_t flen, char *err, size_t elen)
{
	char f[64];
	const json_t *ref = json_object_get(cond, "question");
	int nops = 0;
	size_t k;

	snprintf(f, sizeof(f), "questions[%zu].skip_if", i);
	if (!json_is_object(cond) || !key_ok(ref))
		return fail(
		    field, flen, err, elen, f,
		    "needs \"question\": the key of an earlier question");
	for (k = 0; k < i; k++)
		if (json_equal(json_object_get(json_array_get(qs, k), "key"),
		               ref))
			break;
	if (k == i)
		return fail(field, flen, err, elen, f,
		            "may only refer to an earlier question");
	nops += json_object_get(cond, "equals") != NULL;
	nops += json_is_array(json_object_get(cond, "in"));
	nops += json_is_number(json_object_get(cond, "lt"));
	nops += json_is_number(json_object_get(cond, "gt"));
	if (nops != 1 || json_object_size(cond) != 2)
		return fail(field, flen, err, elen, f,
		            "needs exactly one of "
		            "equals, in (array), lt or gt (numbers)");
	return 0;
}

static int
question_check(const json_t *qs, size_t i, char *field, size_t flen, char *err,
               size_t elen)
{
	const json_t *q = json_array_get(qs, i), *opts, *o, *v, *mn, *mx;
	const char *type;
	char f[64];
	size_t k, j;

	snprintf(f, sizeof(f), "questions[%zu]", i);
	if (!json_is_object(q))
		return fail(field, flen, err, elen, f, "must be an object");
	snprintf(f, sizeof(f), "questions[%zu].key", i);
	if (!key_ok(json_object_get(q, "key")))
		return fail(field, flen, err, elen, f,
		            "1 to 32 characters of a-z, 0-9, _");
	for (k = 0; k < i; k++)
		if (json_equal(json_object_get(json_array_get(qs, k), "key"),
		               json_object_get(q, "key")))
			return fail(field, flen, err, elen, f,
			            "used by an earlier question");
	snprintf(f, sizeof(f), "questions[%zu].type", i);
	type = json_string_value(json_object_get(q, "type"));
	for (k = 0;
	     type != NULL && types[k] != NULL && strcmp(types[k], type) != 0;
	     k++)
		;
	if (type == NULL || types[k] == NULL)
		return fail(field, flen, err, elen, f,
		            "one of single, multiple, number, text, likert");
	snprintf(f, sizeof(f), "questions[%zu].label", i);
	if (!i18n_ok(json_object_get(q, "label")))
		return fail(field, flen, err, elen, f,
		            "an object of language -> non-empty text");
	v = json_object_get(q, "required");
	snprintf(f, sizeof(f), "questions[%zu].required", i);
	if (v != NULL && !json_is_boolean(v))
		return fail(field, flen, err, elen, f, "must be a boolean");
	opts = json_object_get(q, "options");
	snprintf(f, sizeof(f), "questions[%zu].options", i);
	if (strcmp(type, "single") == 0 || strcmp(type, "multiple") == 0) {
		if (!json_is_array(opts) || json_array_size(opts) < 2 ||
		    json_array_size(opts) > MAX_OPTIONS)
			return fail(field, flen, err, elen, f,
			            "2 to 50 options");
		json_array_foreach(opts, k, o)
		{
			if (!key_ok(json_object_get(o, "code")) ||
			    !i18n_ok(json_object_get(o, "label")))
				return fail(
				    field, flen, err, elen, f,
				    "each option needs a code and a label");
			for (j = 0; j < k; j++)
				if (json_equal(
				        json_object_get(o, "code"),
				        json_object_get(json_array_get(opts, j),
				                        "code")))
					return fail(
					    field, flen, err, elen, f,
					    "option codes must be unique");
		}
	} else if (opts != NULL) {
		return fail(field, flen, err, elen, f,
		            "only single and multiple questions have options");
	}
	mn = json_object_get(q, "min");
	mx = json_object_get(q, "max");
	snprintf(f, sizeof(f), "questions[%zu].min", i);
	if ((mn != NULL || mx != NULL) && strcmp(type, "number") != 0)
		return fail(field, flen, err, elen, f,
		            "only number questions have min and max");
	if ((mn != NULL && !json_is_integer(mn)) ||
	    (mx != NULL && !json_is_integer(mx)) ||
	    (mn != NULL && mx != NULL &&
	     json_integer_value(mn) > json_integer_value(mx)))
		return fail(field, flen, err, elen, f,
		            "min and max are integers, min <= max");
	v = json_object_get(q, "scale");
	snprintf(f, sizeof(f), "questions[%zu].scale", i);
	if (v != NULL &&
	    (strcmp(type, "likert") != 0 || !json_is_integer(v) ||
	     json_integer_value(v) < 3 || json_integer_value(v) > 10))
		return fail(field, flen, err, elen, f,
		            "a likert question's scale is 3 to 10");
	v = json_object_get(q, "skip_if");
	if (v != NULL)
		return skip_check(qs, i, v, field, flen, err, elen);
	return 0;
}

int
gender_questionnaire_validate(const json_t *doc, char *field, size_t flen,
                              char *err, size_t elen)
{
	const json_t *qs = json_object_get(doc, "questions");
	size_t i;
	int rc;

	if (!json_is_array(qs) || json_array_size(qs) == 0 ||
	    json_array_size(qs) > MAX_QUESTIONS)
		return fail(field, flen, err, elen, "questions",
		            "1 to 200 questions");
	for (i = 0; i < json_array_size(qs); i++)
		if ((rc = question_check(qs, i, field, flen, err, elen)) != 0)
			return rc;
	return 0;
}

static bool
cond_holds(const json_t *cond, const json_t *answer)
{
	const json_t *v, *e;
	size_t i, k;

	if (answer == NULL || json_is_null(answer))
		return false;
	if ((v = json_object_get(cond, "equals")) != NULL) {
		if (json_is_array(answer)) {
			json_array_foreach(answer, i,
			                   e) if (json_equal(e, v)) return true;
			return false;
		}
		return json_equal(answer, v);
	}
	if ((v = json_object_get(cond, "in")) != NULL) {
		json_array_foreach(v, i, e)
		{
			if (json_equal(answer, e))
				return true;
			if (json_is_array(answer))
				for (k = 0; k < json_array_size(answer); k++)
					if (json_equal(
					        json_array_get(answer, k), e))
						return true;
		}
		return false;
	}
	if (!json_is_number(answer))
		return false;
	if ((v = json_object_get(cond, "lt")) != NULL)
		return json_number_value(answer) < json_number_value(v);
	if ((v = json_object_get(cond, "gt")) != NULL)
		return json_number_value(answer) > json_number_value(v);
	return false;
}

int
gender_question_skipped(const json_t *question, const json_t *answers)
{
	const json_t *cond = json_object_get(question, "skip_if");
	const char *ref;

	if (cond == NULL)
		return 0;
	ref = json_string_value(json_object_get(cond, "question"));
	if (ref == NULL)
		return 0;
	return cond_holds(cond, json_object_get(answers, ref)) ? 1 : 0;
}

static bool
option_known(const json_t *q, const json_t *code)
{
	const json_t *o;
	size_t i;

	json_array_foreach(
	    json_object_get(q, "options"), i,
	    o) if (json_equal(json_object_get(o, "code"), code)) return true;
	return false;
}

static int
answer_check(const json_t *q, const json_t *a, char *err, size_t elen)
{
	const char *type = json_string_value(json_object_get(q, "type"));
	const json_t *mn, *mx, *e;
	json_int_t v, scale;
	size_t i, k;

	if (strcmp(type, "single") == 0) {
		if (!json_is_string(a) || !option_known(q, a))
			goto bad_option;
	} else if (strcmp(type, "multiple") == 0) {
		if (!json_is_array(a) || json_array_size(a) == 0)
			goto bad_option;
		json_array_foreach(a, i, e)
		{
			if (!json_is_string(e) || !option_known(q, e))
				goto bad_option;
			for (k = 0; k < i; k++)
				if (json_equal(json_array_get(a, k), e)) {
					snprintf(err, elen,
					         "an option is "
					         "chosen twice");
					return -EINVAL;
				}
		}
	} else if (strcmp(type, "number") == 0) {
		if (!json_is_integer(a)) {
			snprintf(err, elen, "must be an integer");
			return -EINVAL;
		}
		v = json_integer_value(a);
		mn = json_object_get(q, "min");
		mx = json_object_get(q, "max");
		if ((mn != NULL && v < json_integer_value(mn)) ||
		    (mx != NULL && v > json_integer_value(mx))) {
			snprintf(err, elen, "out of the question's range");
			return -EINVAL;
		}
	} else if (strcmp(type, "text") == 0) {
		if (!json_is_string(a) || json_string_length(a) == 0 ||
		    json_string_length(a) > MAX_TEXT) {
			snprintf(err, elen, "text of 1 to %d bytes", MAX_TEXT);
			return -EINVAL;
		}
	} else { /* likert */
		scale = json_is_integer(json_object_get(q, "scale"))
		            ? json_integer_value(json_object_get(q, "scale"))
		            : 5;
		if (!json_is_integer(a) || json_integer_value(a) < 1 ||
		    json_integer_value(a) > scale) {
			snprintf(err, elen, "an integer from 1 to %lld",
			         (long long)scale);
			return -EINVAL;
		}
	}
	return 0;
bad_option:
	snprintf(err, elen, "must be %s of the question's option codes",
	         strcmp(type, "single") == 0 ? "one" : "a non-empty array");
	return -EINVAL;
}

int
gender_response_validate(const json_t *doc, const json_t *answers, char *field,
                         size_t flen, char *err, size_t elen)
{
	const json_t *qs = json_object_get(doc, "questions"), *q, *a;
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(answers))
		return fail(field, flen, err, elen, "answers",
		            "must be an object of question key -> answer");
	json_object_foreach((json_t *)(uintptr_t)answers, key, v)
	{
		json_array_foreach(
		    qs, i,
		    q) if (strcmp(json_string_value(json_object_get(q, "key")),
		                  key) == 0) break;
		if (i == json_array_size(qs))
			return fail(field, flen, err, elen, key,
			            "no such question in this version");
	}
	json_array_foreach(qs, i, q)
	{
		key = json_string_value(json_object_get(q, "key"));
		a = json_object_get(answers, key);
		if (a != NULL && json_is_null(a))
			a = NULL;
		if (gender_question_skipped(q, answers)) {
			if (a != NULL)
				return fail(
				    field, flen, err, elen, key,
				    "answered although its skip condition "
				    "holds");
			continue;
		}
		if (a == NULL) {
			if (json_is_true(json_object_get(q, "required")))
				return fail(field, flen, err, elen, key,
				            "required");
			continue;
		}
		snprintf(field, flen, "%s", key);
		if (answer_check(q, a, err, elen) != 0)
			return -EINVAL;
	}
	field[0] = '\0';
	return 0;
}

int
gender_version_editable(int64_t responses)
{
	return responses == 0 ? 0 : -EROFS;
}
