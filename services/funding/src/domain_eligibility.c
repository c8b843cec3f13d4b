/*
 * Eligibility of an application against its call's rules.
 *
 * Design note: rules are JSON because officers author them with the call and
 * they travel as JSON through the API and the database; they are validated
 * strictly when the call is created (unknown keys refused: a typo must not
 * silently drop a rule) and re-validated before every check, so a corrupt row
 * is an error, never "eligible".  The check lists EVERY failed rule, not the
 * first, because an applicant needs the whole list to fix a file once.
 * Money comparisons are exact integer arithmetic; the co-financing ratio is
 * compared cross-multiplied in 128 bits so no amount can overflow it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mp/util.h"

#include "domain.h"

#if !defined(__SIZEOF_INT128__)
#error "a compiler with __int128 is required"
#endif
__extension__ typedef __int128 i128;

static json_t *json_unconst(const json_t *);
static int in_list(const char *const *, const char *);
static int check_str_list(const json_t *, const char *, const char *const *,
                          char *, size_t);
static int check_int(const json_t *, const char *, int64_t, int64_t, char *,
                     size_t);
static int list_contains(const json_t *, const char *);
static int fail(json_t *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static int facts_valid(const struct funding_app_facts *);
static int check_list_rule(const json_t *, const char *, const char *,
                           const char *, json_t *);

const char *const funding_applicant_types[] = {
    "mre", "regularised_migrant", "association", "cooperative", "commune", NULL,
};

const char *const funding_regions[] = {
    MP_REGION_SOUSS_MASSA,
    MP_REGION_ORIENTAL,
    NULL,
};

/*
 * jansson's object iterator takes a non-const json_t * although iterating
 * does not modify the object; this is the one place the const is dropped.
 */
static json_t *
json_unconst(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

static int
in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], s) == 0)
			return 1;
	}
	return 0;
}

/*
 * `v` must be a non-empty array of unique non-empty strings without NUL, at
 * most FUNDING_RULE_LIST_MAX of them; if `allowed` is not NULL, each must be
 * in it.
 */
static int
check_str_list(const json_t *v, const char *key, const char *const *allowed,
               char *err, size_t errlen)
{
	size_t i, j, n, len;
	const char *s;

	if (!json_is_array(v)) {
		mp_err_set(err, errlen, "%s: must be an array of strings", key);
		return -EINVAL;
	}
	n = json_array_size(v);
	if (n == 0 || n > FUNDING_RULE_LIST_MAX) {
		mp_err_set(err, errlen, "%s: must hold 1 to %d entries", key,
		           FUNDING_RULE_LIST_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);

		if (!json_is_string(e)) {
			mp_err_set(err, errlen, "%s[%zu]: must be a string",
			           key, i);
			return -EINVAL;
		}
		s = json_string_value(e);
		len = json_string_length(e);
		if (len == 0 || len > FUNDING_RULE_STR_MAX ||
		    strlen(s) != len) {
			mp_err_set(err, errlen,
			           "%s[%zu]: must be 1 to %d bytes without NUL",
			           key, i, FUNDING_RULE_STR_MAX);
			return -EINVAL;
		}
		if (allowed != NULL && !in_list(allowed, s)) {
			mp_err_set(err, errlen, "%s[%zu]: unknown value \"%s\"",
			           key, i, s);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(json_string_value(json_array_get(v, j)),
			           s) == 0) {
				mp_err_set(err, errlen,
				           "%s[%zu]: duplicate value \"%s\"",
				           key, i, s);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int
check_int(const json_t *v, const char *key, int64_t lo, int64_t hi, char *err,
          size_t errlen)
{
	json_int_t x;

	if (!json_is_integer(v)) {
		mp_err_set(err, errlen, "%s: must be an integer", key);
		return -EINVAL;
	}
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		mp_err_set(err, errlen,
		           "%s: must be between %" PRId64 " and %" PRId64, key,
		           lo, hi);
		return -EINVAL;
	}
	return 0;
}

int
funding_eligibility_rules_validate(const json_t *rules, char *err,
                                   size_t errlen)
{
	const char *key;
	size_t klen;
	json_t *v;
	int rc;

	mp_err_set(err, errlen, "%s", "");
	if (!json_is_object(rules)) {
		mp_err_set(err, errlen, "rules: must be a JSON object");
		return -EINVAL;
	}
	json_object_keylen_foreach(json_unconst(rules), key, klen, v)
	{
		if (klen != strlen(key)) {
			mp_err_set(err, errlen, "%.80s: rule key contains NUL",
			           key);
			rc = -EINVAL;
		} else if (strcmp(key, "applicant_types") == 0)
			rc = check_str_list(v, key, funding_applicant_types,
			                    err, errlen);
		else if (strcmp(key, "regions") == 0)
			rc = check_str_list(v, key, funding_regions, err,
			                    errlen);
		else if (strcmp(key, "themes") == 0 ||
		         strcmp(key, "communes") == 0)
			rc = check_str_list(v, key, NULL, err, errlen);
		else if (strcmp(key, "max_grant_minor") == 0)
			rc = check_int(v, key, 1, INT64_MAX, err, errlen);
		else if (strcmp(key, "min_cofinancing_bp") == 0)
			rc = check_int(v, key, 0, 10000, err, errlen);
		else if (strcmp(key, "min_beneficiaries") == 0)
			rc = check_int(v, key, 0, INT64_MAX, err, errlen);
		else if (strcmp(key, "require_gender_marker_min") == 0)
			rc = check_int(v, key, 0, 2, err, errlen);
		else {
			mp_err_set(err, errlen, "%.80s: unknown rule", key);
			rc = -EINVAL;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
list_contains(const json_t *list, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < json_array_size(list); i++) {
		if (strcmp(json_string_value(json_array_get(list, i)), s) == 0)
			return 1;
	}
	return 0;
}

/* Appends {"rule": rule, "reason": ...} to `failed`; 0 or -ENOMEM. */
static int
fail(json_t *failed, const char *rule, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s, s:s}", "rule", rule, "reason", reason);
	if (o == NULL)
		return -ENOMEM;
	if (json_array_append_new(failed, o) != 0)
		return -ENOMEM;
	return 0;
}

static int
facts_valid(const struct funding_app_facts *f)
{
	if (f->requested_minor < 0 || f->total_budget_minor < 0 ||
	    f->cofinancing_minor < 0 || f->beneficiaries_female < 0 ||
	    f->beneficiaries_male < 0)
		return 0;
	if (f->gender_marker < 0 || f->gender_marker > 2)
		return 0;
	if (f->call_closes_at_ms < f->call_opens_at_ms)
		return 0;
	return 1;
}

/* A list rule (applicant_types...) over one string fact. */
static int
check_list_rule(const json_t *rules, const char *key, const char *what,
                const char *value, json_t *failed)
{
	const json_t *list = json_object_get(rules, key);

	if (list == NULL || list_contains(list, value))
		return 0;
	if (value == NULL)
		return fail(failed, key, "%s is missing", what);
	return fail(failed, key, "%s \"%.64s\" is not eligible for this call",
	            what, value);
}

int
funding_eligibility_check(const json_t *rules,
                          const struct funding_app_facts *f,
                          json_t **failed_out)
{
	json_t *failed = NULL;
	const json_t *v;
	int rc;

	if (failed_out != NULL)
		*failed_out = NULL;
	if (f == NULL || funding_eligibility_rules_validate(rules, NULL, 0))
		return -EINVAL;
	if (!facts_valid(f))
		return -EINVAL;
	if ((failed = json_array()) == NULL)
		return -ENOMEM;

	rc = 0;
	/* Built-in rules, always checked. */
	if (f->submitted_at_ms < f->call_opens_at_ms)
		rc = fail(failed, "submission_window",
		          "submitted before the call opened");
	else if (f->submitted_at_ms > f->call_closes_at_ms)
		rc = fail(failed, "submission_window",
		          "submitted after the call closed");
	if (rc != 0)
		goto cleanup;
	if (f->requested_minor == 0)
		rc =
		    fail(failed, "budget", "requested amount must be positive");
	else if (f->total_budget_minor == 0)
		rc = fail(failed, "budget", "total budget must be positive");
	else if (f->requested_minor >
	         f->total_budget_minor - f->cofinancing_minor)
		/* No overflow: both are >= 0. */
		rc = fail(failed, "budget",
		          "requested amount plus co-financing exceed the total "
		          "budget");
	if (rc != 0)
		goto cleanup;

	/* The call's rules, in rule_keys order. */
	if ((rc = check_list_rule(rules, "applicant_types", "applicant type",
	                          f->applicant_type, failed)) != 0 ||
	    (rc = check_list_rule(rules, "regions", "region", f->region,
	                          failed)) != 0 ||
	    (rc = check_list_rule(rules, "communes", "commune", f->commune,
	                          failed)) != 0 ||
	    (rc = check_list_rule(rules, "themes", "theme", f->theme,
	                          failed)) != 0)
		goto cleanup;

	v = json_object_get(rules, "max_grant_minor");
	if (v != NULL && f->requested_minor > json_integer_value(v) &&
	    (rc = fail(
	         failed, "max_grant_minor",
	         "requested %" PRId64 " exceeds the maximum grant %" PRId64,
	         f->requested_minor, (int64_t)json_integer_value(v))) != 0)
		goto cleanup;

	v = json_object_get(rules, "min_cofinancing_bp");
	if (v != NULL) {
		int64_t min_bp = json_integer_value(v);

		if (f->total_budget_minor == 0) {
			if (min_bp > 0)
				rc = fail(failed, "min_cofinancing_bp",
				          "no total budget to compute the "
				          "co-financing rate on");
		} else if ((i128)f->cofinancing_minor * 10000 <
		           (i128)min_bp * f->total_budget_minor) {
			int32_t bp = 0;

			if (f->cofinancing_minor <= f->total_budget_minor)
				funding_cofinancing_bp(f->cofinancing_minor,
				                       f->total_budget_minor,
				                       &bp);
			rc = fail(failed, "min_cofinancing_bp",
			          "co-financing rate %" PRId32
			          " bp is below the minimum %" PRId64 " bp",
			          bp, min_bp);
		}
		if (rc != 0)
			goto cleanup;
	}

	v = json_object_get(rules, "min_beneficiaries");
	if (v != NULL) {
		/* Compared without adding, so no overflow. */
		int64_t min = json_integer_value(v);

		if (f->beneficiaries_female < min &&
		    f->beneficiaries_male < min - f->beneficiaries_female &&
		    (rc = fail(failed, "min_beneficiaries",
		               "expected beneficiaries are fewer than %" PRId64,
		               min)) != 0)
			goto cleanup;
	}

	v = json_object_get(rules, "require_gender_marker_min");
	if (v != NULL && f->gender_marker < json_integer_value(v) &&
	    (rc = fail(failed, "require_gender_marker_min",
	               "gender marker %d is below the required %d",
	               f->gender_marker, (int)json_integer_value(v))) != 0)
		goto cleanup;

	rc = json_array_size(failed) == 0 ? 0 : 1;
	if (failed_out != NULL) {
		*failed_out = failed;
		failed = NULL;
	}
cleanup:
	json_decref(failed);
	return rc;
}

int
funding_cofinancing_bp(int64_t cofinancing_minor, int64_t total_minor,
                       int32_t *bp_out)
{
	if (bp_out == NULL || cofinancing_minor < 0 || total_minor <= 0 ||
	    cofinancing_minor > total_minor)
		return -EINVAL;
	*bp_out = (int32_t)((i128)cofinancing_minor * 10000 / total_minor);
	return 0;
}
