/*
 * body.c: strict request bodies.
 *
 * Why declared field lists and not ad-hoc json_unpack calls in handlers:
 * the list is the single place that says what a write accepts, so unknown
 * fields (mass assignment) are refused uniformly and a client learns about
 * every mistake in one round trip. Why a depth scan before jansson: its
 * recursion limit (2048) is far above what any of our bodies need, and a
 * linear scan that only counts brackets outside strings is cheaper than
 * building and freeing a deep tree. Why JSON_ALLOW_NUL: "\u0000" is then
 * reported on the field that carries it instead of as an anonymous syntax
 * error; every string of an accepted body is checked, including inside
 * free-form objects, so no NUL ever reaches PostgreSQL (which refuses it in
 * text and jsonb). Error texts are ours: jansson's messages quote the input
 * and are never passed on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mp/body.h"
#include "mp/problem.h"
#include "mp/util.h"

#define KEY_ECHO_MAX 64 /* bytes of a client's unknown key echoed back */

struct vctx {
	json_t *problem;
	size_t added; /* errors appended by this validation */
	int oom;
};

static void verr(struct vctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void utf8_trim_tail(char *s);
static void path_key(char *out, const char *prefix, const char *key,
                     size_t keylen);
static void path_index(char *out, const char *prefix, size_t i);
static int json_depth_exceeds(const char *buf, size_t len, int max_depth);
static size_t utf8_count(const char *s, size_t len);
static int has_nul(const json_t *v);
static int tree_has_nul(const json_t *v);
static int email_valid(const char *s, size_t len);
static void check_string_len(struct vctx *c, const char *path, const json_t *v,
                             const struct mp_field *f);
static void check_range(struct vctx *c, const char *path, int64_t v,
                        const struct mp_field *f);
static void check_enum(struct vctx *c, const char *path, const char *s,
                       const char *const *values);
static void check_i18n(struct vctx *c, const char *path, const json_t *v,
                       const struct mp_field *f);
static void check_array(struct vctx *c, const char *path, const json_t *v,
                        const struct mp_field *f);
static void check_value(struct vctx *c, const char *path, const json_t *v,
                        const struct mp_field *f);
static void check_object(struct vctx *c, const char *prefix, const json_t *obj,
                         const struct mp_field *fields);
static const char *json_error_reason(const json_error_t *e);
static json_t *malformed_problem(const json_error_t *e);

/* Append one error unless the cap is reached; remember allocation failure. */
static void
verr(struct vctx *c, const char *path, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	int rc;

	c->added++;
	if (c->oom || mp_problem_error_count(c->problem) >= MP_BODY_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	utf8_trim_tail(reason);
	rc = mp_problem_add_error(c->problem, path, reason);
	if (rc == -ENOMEM)
		c->oom = 1;
}

/* Drop an incomplete UTF-8 sequence left at the end by truncation. */
static void
utf8_trim_tail(char *s)
{
	size_t n = strlen(s), k = 0, need;
	unsigned char lead;

	while (k < n && k < 4 && ((unsigned char)s[n - 1 - k] & 0xc0) == 0x80)
		k++;
	if (k == n)
		return;
	lead = (unsigned char)s[n - 1 - k];
	if (lead < 0x80)
		return;
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (k + 1 < need)
		s[n - 1 - k] = '\0';
}

static void
path_key(char *out, const char *prefix, const char *key, size_t keylen)
{
	int n;

	n = snprintf(out, MP_BODY_PATH_MAX, "%s%s", prefix,
	             prefix[0] != '\0' ? "." : "");
	if (n < 0 || n >= MP_BODY_PATH_MAX) {
		utf8_trim_tail(out);
		return;
	}
	snprintf(out + n, MP_BODY_PATH_MAX - (size_t)n, "%.*s", (int)keylen,
	         key);
	utf8_trim_tail(out);
}

static void
path_index(char *out, const char *prefix, size_t i)
{
	snprintf(out, MP_BODY_PATH_MAX, "%s[%zu]", prefix, i);
	utf8_trim_tail(out);
}

/* 1 if brackets outside strings nest deeper than max_depth. The scan
 * needs to be right only for valid JSON; jansson judges the rest. */
static int
json_depth_exceeds(const char *buf, size_t len, int max_depth)
{
	int depth = 0, in_str = 0, esc = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char ch = buf[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (ch == '\\')
				esc = 1;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
		} else if (ch == '{' || ch == '[') {
			if (++depth > max_depth)
				return 1;
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

static size_t
utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int
has_nul(const json_t *v)
{
	return memchr(json_string_value(v), '\0', json_string_length(v)) !=
	       NULL;
}

/* Any string anywhere in v carries a NUL (keys cannot: jansson refuses). */
static int
tree_has_nul(const json_t *v)
{
	void *it;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return has_nul(v);
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++)
			if (tree_has_nul(json_array_get(v, i)))
				return 1;
		return 0;
	case JSON_OBJECT:
		/* The iterator API takes a non-const object; it only reads. */
		for (it = json_object_iter((json_t *)(uintptr_t)v); it != NULL;
		     it = json_object_iter_next((json_t *)(uintptr_t)v, it))
			if (tree_has_nul(json_object_iter_value(it)))
				return 1;
		return 0;
	default:
		return 0;
	}
}

/*
 * A deliberately plain addr-spec: dot-atom local part (1..64) "@" a DNS
 * name of at least two labels (LDH, 1..63 each, last one not all digits),
 * 254 bytes at most, ASCII only. Quoted local parts, IP literals and
 * internationalised addresses are refused: no mail system we send to
 * needs them and each one is a parser bug waiting.
 */
static int
email_valid(const char *s, size_t len)
{
	static const char atext[] = "!#$%&'*+/=?^_`{|}~-";
	const char *at = memchr(s, '@', len), *d, *end = s + len;
	size_t llen, lab = 0, labels = 0;
	int prev_dot = 1, alpha_in_label = 0;
	char ch;

	if (at == NULL || len > 254 ||
	    memchr(at + 1, '@', (size_t)(end - at - 1)))
		return 0;
	llen = (size_t)(at - s);
	if (llen == 0 || llen > 64)
		return 0;
	for (d = s; d < at; d++) {
		ch = *d;
		if (ch == '.') {
			if (prev_dot)
				return 0;
			prev_dot = 1;
			continue;
		}
		prev_dot = 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') ||
		      (ch != '\0' && strchr(atext, ch) != NULL)))
			return 0;
	}
	if (prev_dot)
		return 0;

	for (d = at + 1; d <= end; d++) {
		ch = d < end ? *d : '.';
		if (ch == '.') {
			if (lab == 0 || lab > 63 || d[-1] == '-')
				return 0;
			labels++;
			if (d == end && !alpha_in_label)
				return 0; /* numeric top-level label */
			lab = 0;
			alpha_in_label = 0;
			continue;
		}
		if (ch == '-' && lab == 0)
			return 0;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			alpha_in_label = 1;
		else if (!(ch >= '0' && ch <= '9') && ch != '-')
			return 0;
		lab++;
	}
	return labels >= 2;
}

static void
check_string_len(struct vctx *c, const char *path, const json_t *v,
                 const struct mp_field *f)
{
	size_t n = utf8_count(json_string_value(v), json_string_length(v));

	if (n < f->min_len)
		verr(c, path, "at least %zu character%s", f->min_len,
		     f->min_len == 1 ? "" : "s");
	else if (f->max_len != 0 && n > f->max_len)
		verr(c, path, "at most %zu character%s", f->max_len,
		     f->max_len == 1 ? "" : "s");
}

static void
check_range(struct vctx *c, const char *path, int64_t v,
            const struct mp_field *f)
{
	if (f->min == 0 && f->max == 0)
		return;
	if (v < f->min || v > f->max)
		verr(c, path, "must be between %lld and %lld",
		     (long long)f->min, (long long)f->max);
}

static void
check_enum(struct vctx *c, const char *path, const char *s,
           const char *const *values)
{
	char list[400];
	size_t i, n = 0;
	int w;

	for (i = 0; values != NULL && values[i] != NULL; i++)
		if (strcmp(s, values[i]) == 0)
			return;
	list[0] = '\0';
	for (i = 0; values != NULL && values[i] != NULL; i++) {
		w = snprintf(list + n, sizeof(list) - n, "%s%s",
		             i > 0 ? ", " : "", values[i]);
		if (w < 0 || (size_t)w >= sizeof(list) - n - 5) {
			snprintf(list + n, sizeof(list) - n, ", ...");
			break;
		}
		n += (size_t)w;
	}
	verr(c, path, "must be one of: %s", list);
}

static void
check_i18n(struct vctx *c, const char *path, const json_t *v,
           const struct mp_field *f)
{
	static const char *const langs[] = {"fr", "ar", "en", "zgh", NULL};
	char sub[MP_BODY_PATH_MAX];
	const char *key;
	json_t *t;
	void *it;
	size_t i;
	int main_text = 0, known;

	if (!json_is_object(v)) {
		verr(c, path,
		     "expected object of translations (fr, ar, en, "
		     "zgh)");
		return;
	}
	for (it = json_object_iter((json_t *)(uintptr_t)v); it != NULL;
	     it = json_object_iter_next((json_t *)(uintptr_t)v, it)) {
		key = json_object_iter_key(it);
		t = json_object_iter_value(it);
		path_key(sub, path, key, strnlen(key, KEY_ECHO_MAX));
		for (i = 0, known = 0; langs[i] != NULL; i++)
			if (strcmp(key, langs[i]) == 0)
				known = 1;
		if (!known) {
			verr(c, sub, "unsupported language (fr, ar, en, zgh)");
			continue;
		}
		if (!json_is_string(t)) {
			verr(c, sub, "expected string");
			continue;
		}
		if (has_nul(t)) {
			verr(c, sub, "must not contain NUL characters");
			continue;
		}
		check_string_len(c, sub, t, f);
		if (strcmp(key, "zgh") != 0 && json_string_length(t) > 0)
			main_text = 1;
	}
	if (!main_text)
		verr(c, path, "at least one of fr, ar, en is required");
}

static void
check_array(struct vctx *c, const char *path, const json_t *v,
            const struct mp_field *f)
{
	char sub[MP_BODY_PATH_MAX];
	size_t i, n;
	json_t *item;

	if (!json_is_array(v)) {
		verr(c, path, "expected array");
		return;
	}
	n = json_array_size(v);
	if (n < f->min_len) {
		verr(c, path, "at least %zu item%s", f->min_len,
		     f->min_len == 1 ? "" : "s");
		return;
	}
	if (f->max_len != 0 && n > f->max_len) {
		verr(c, path, "at most %zu item%s", f->max_len,
		     f->max_len == 1 ? "" : "s");
		return;
	}
	if (f->items == NULL) {
		if (tree_has_nul(v))
			verr(c, path, "must not contain NUL characters");
		return;
	}
	for (i = 0; i < n; i++) {
		item = json_array_get(v, i);
		path_index(sub, path, i);
		if (json_is_null(item)) {
			if (!(f->items->flags & MP_F_NULLABLE))
				verr(c, sub, "must not be null");
			continue;
		}
		check_value(c, sub, item, f->items);
	}
}

/* v is present and not null. */
static void
check_value(struct vctx *c, const char *path, const json_t *v,
            const struct mp_field *f)
{
	const char *s = NULL;

	switch (f->type) {
	case MP_F_STRING:
	case MP_F_UUID:
	case MP_F_DATE:
	case MP_F_DATETIME:
	case MP_F_ENUM:
	case MP_F_EMAIL:
		if (!json_is_string(v)) {
			verr(c, path, "expected string");
			return;
		}
		if (has_nul(v)) {
			verr(c, path, "must not contain NUL characters");
			return;
		}
		s = json_string_value(v);
		break;
	default:
		break;
	}

	switch (f->type) {
	case MP_F_STRING:
		check_string_len(c, path, v, f);
		break;
	case MP_F_INT:
		if (!json_is_integer(v))
			verr(c, path, "expected integer");
		else
			check_range(c, path, json_integer_value(v), f);
		break;
	case MP_F_BOOL:
		if (!json_is_boolean(v))
			verr(c, path, "expected boolean");
		break;
	case MP_F_UUID:
		if (!mp_uuid_valid(s))
			verr(c, path, "not a valid UUID");
		break;
	case MP_F_DATE:
		if (mp_date_parse(s, NULL, NULL, NULL) != 0)
			verr(c, path, "not a valid date (YYYY-MM-DD)");
		break;
	case MP_F_DATETIME: {
		int64_t ms;

		if (mp_time_parse(s, &ms) != 0)
			verr(c, path, "not a valid RFC 3339 date-time");
		break;
	}
	case MP_F_ENUM:
		check_enum(c, path, s, f->enum_values);
		break;
	case MP_F_I18N:
		check_i18n(c, path, v, f);
		break;
	case MP_F_OBJECT:
		if (!json_is_object(v))
			verr(c, path, "expected object");
		else if (f->fields != NULL)
			check_object(c, path, v, f->fields);
		else if (tree_has_nul(v))
			verr(c, path, "must not contain NUL characters");
		break;
	case MP_F_ARRAY:
		check_array(c, path, v, f);
		break;
	case MP_F_MONEY:
		if (!json_is_integer(v))
			verr(c, path, "expected integer amount in minor units");
		else if (json_integer_value(v) < 0)
			verr(c, path, "must not be negative");
		else
			check_range(c, path, json_integer_value(v), f);
		break;
	case MP_F_NUMBER:
		if (!json_is_number(v))
			verr(c, path, "expected number");
		else if ((f->min != 0 || f->max != 0) &&
		         (json_number_value(v) < (double)f->min ||
		          json_number_value(v) > (double)f->max))
			verr(c, path, "must be between %lld and %lld",
			     (long long)f->min, (long long)f->max);
		break;
	case MP_F_EMAIL:
		if (!email_valid(s, json_string_length(v)))
			verr(c, path, "not a valid email address");
		else if (f->max_len != 0 && json_string_length(v) > f->max_len)
			verr(c, path, "at most %zu characters", f->max_len);
		break;
	default:
		verr(c, path, "unsupported field type");
		break;
	}
}

static void
check_object(struct vctx *c, const char *prefix, const json_t *obj,
             const struct mp_field *fields)
{
	char path[MP_BODY_PATH_MAX];
	const struct mp_field *f;
	const char *key;
	json_t *v;
	void *it;

	for (f = fields; f->name != NULL; f++) {
		path_key(path, prefix, f->name, strlen(f->name));
		v = json_object_get(obj, f->name);
		if (v == NULL) {
			if (f->flags & MP_F_REQUIRED)
				verr(c, path, "required");
			continue;
		}
		if (json_is_null(v)) {
			if (!(f->flags & MP_F_NULLABLE))
				verr(c, path, "must not be null");
			continue;
		}
		check_value(c, path, v, f);
	}

	for (it = json_object_iter((json_t *)(uintptr_t)obj); it != NULL;
	     it = json_object_iter_next((json_t *)(uintptr_t)obj, it)) {
		key = json_object_iter_key(it);
		for (f = fields; f->name != NULL; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (f->name == NULL) {
			path_key(path, prefix, key, strnlen(key, KEY_ECHO_MAX));
			verr(c, path, "unknown field");
		}
	}
}

int
mp_body_validate(const json_t *obj, const struct mp_field *schema,
                 const char *prefix, json_t *problem)
{
	struct vctx c = {problem, 0, 0};

	if (!json_is_object(problem) || schema == NULL)
		return -EINVAL;
	if (prefix == NULL)
		prefix = "";
	if (!json_is_object(obj))
		verr(&c, prefix, "expected object");
	else
		check_object(&c, prefix, obj, schema);
	if (c.oom)
		return -ENOMEM;
	return c.added > 0 ? -EINVAL : 0;
}

static const char *
json_error_reason(const json_error_t *e)
{
	switch (json_error_code(e)) {
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_premature_end_of_input:
		return "unexpected end of input";
	case json_error_end_of_input_expected:
		return "unexpected data after the JSON value";
	case json_error_null_character:
		return "NUL character";
	case json_error_null_byte_in_key:
		return "NUL character in an object key";
	case json_error_duplicate_key:
		return "duplicate object key";
	case json_error_numeric_overflow:
		return "number out of range";
	case json_error_stack_overflow:
		return "nesting too deep";
	default:
		return "invalid syntax";
	}
}

static json_t *
malformed_problem(const json_error_t *e)
{
	char detail[160];

	snprintf(detail, sizeof(detail),
	         "invalid JSON at line %d, column %d: %s", e->line, e->column,
	         json_error_reason(e));
	return mp_problem_new(400, "malformed-json", "Malformed JSON", detail);
}

int
mp_body_parse(const char *buf, size_t len, const struct mp_field *schema,
              const struct mp_body_limits *lim, json_t **out, json_t **problem)
{
	size_t max_bytes = MP_BODY_DEFAULT_MAX_BYTES, nerr;
	int max_depth = MP_BODY_DEFAULT_MAX_DEPTH, rc;
	char detail[128];
	json_error_t jerr;
	json_t *root = NULL, *p = NULL;

	*out = NULL;
	*problem = NULL;
	if (lim != NULL && lim->max_bytes > 0)
		max_bytes = lim->max_bytes;
	if (lim != NULL && lim->max_depth > 0)
		max_depth = lim->max_depth;
	if (schema == NULL || (buf == NULL && len > 0))
		return -EINVAL;

	if (len > max_bytes) {
		snprintf(detail, sizeof(detail),
		         "request body exceeds %zu bytes", max_bytes);
		*problem = mp_problem_new(413, "body-too-large", NULL, detail);
		return *problem != NULL ? -E2BIG : -ENOMEM;
	}
	if (len == 0) {
		*problem =
		    mp_problem_new(400, "malformed-json", "Malformed JSON",
		                   "request body is empty");
		return *problem != NULL ? -EINVAL : -ENOMEM;
	}
	if (json_depth_exceeds(buf, len, max_depth)) {
		snprintf(detail, sizeof(detail),
		         "JSON nesting exceeds %d levels", max_depth);
		*problem = mp_problem_new(400, "body-too-deep",
		                          "Body nested too deeply", detail);
		return *problem != NULL ? -EINVAL : -ENOMEM;
	}

	root = json_loadb(
	    buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return -ENOMEM;
		*problem = malformed_problem(&jerr);
		return *problem != NULL ? -EINVAL : -ENOMEM;
	}

	/* detail is set now to keep its place before errors[], and
	 * rewritten below. */
	if ((p = mp_problem_new(400, "validation", "Validation failed", "")) ==
	    NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = mp_body_validate(root, schema, "", p);
	if (rc == 0) {
		*out = root;
		root = NULL;
		goto cleanup;
	}
	if (rc == -ENOMEM)
		goto cleanup;

	nerr = mp_problem_error_count(p);
	if (!json_is_object(root))
		snprintf(detail, sizeof(detail),
		         "request body must be a JSON object");
	else if (nerr >= MP_BODY_MAX_ERRORS)
		snprintf(detail, sizeof(detail),
		         "the request body has errors; the first %d are listed",
		         MP_BODY_MAX_ERRORS);
	else
		snprintf(detail, sizeof(detail), "%zu validation error%s", nerr,
		         nerr == 1 ? "" : "s");
	if (json_object_set_new(p, "detail", json_string(detail)) != 0) {
		rc = -ENOMEM;
		goto cleanup;
	}
	*problem = p;
	p = NULL;
	rc = -EINVAL;

cleanup:
	json_decref(root);
	json_decref(p);
	return rc;
}
