/*
 * body.h: strict JSON request bodies, validated against a declared list of
 * fields. Anything not declared is refused (no mass assignment), and every
 * bad field is reported at once with a path the client can map back to its
 * form ("budget_lines[2].amount", "title.fr").
 *
 * A schema is an array of struct mp_field terminated by MP_FIELD_END,
 * usually a static const table next to the handler. MP_FIELD() names the
 * rest by designator (a partial positional initializer trips
 * -Wmissing-field-initializers):
 *
 *   static const char *const kinds[] = {"mre", "association", NULL};
 *   static const struct mp_field line[] = {
 *       MP_FIELD("label", MP_F_STRING, MP_F_REQUIRED, .min_len = 1,
 *           .max_len = 200),
 *       MP_FIELD("amount", MP_F_MONEY, MP_F_REQUIRED),
 *       MP_FIELD_END};
 *   static const struct mp_field line_item =
 *       MP_FIELD("line", MP_F_OBJECT, 0, .fields = line);
 *   static const struct mp_field schema[] = {
 *       MP_FIELD("title", MP_F_I18N, MP_F_REQUIRED, .max_len = 200),
 *       MP_FIELD("kind", MP_F_ENUM, MP_F_REQUIRED, .enum_values = kinds),
 *       MP_FIELD("budget_lines", MP_F_ARRAY, 0, .min_len = 1,
 *           .max_len = 50, .items = &line_item),
 *       MP_FIELD_END};
 */
#ifndef MP_BODY_H
#define MP_BODY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Field flags. */
#define MP_F_REQUIRED 0x01u /* absent -> "required" */
#define MP_F_NULLABLE 0x02u /* JSON null accepted (else "must not be null") */

enum mp_ftype {
	MP_F_STRING,   /* string; min_len/max_len in code points */
	MP_F_INT,      /* JSON integer (not 1.0); [min, max] unless both 0 */
	MP_F_BOOL,     /* true / false */
	MP_F_UUID,     /* canonical 8-4-4-4-12 hex string, any version */
	MP_F_DATE,     /* "YYYY-MM-DD", a real calendar day */
	MP_F_DATETIME, /* RFC 3339 date-time (see mp_time_parse) */
	MP_F_ENUM,     /* string among enum_values */
	MP_F_I18N,     /* {"fr"|"ar"|"en"|"zgh": string}, at least one
	                  non-empty of fr/ar/en; min_len/max_len per value */
	MP_F_OBJECT,   /* object checked against fields; free-form if NULL */
	MP_F_ARRAY,    /* array; min_len/max_len = item count; each item
	                  checked against *items (free-form if NULL) */
	MP_F_MONEY,    /* JSON integer of minor units >= 0; [min, max]
	                  unless both 0 */
	MP_F_EMAIL,    /* ASCII addr-spec local@domain.tld; max_len if set */
	MP_F_NUMBER    /* JSON number, integer or real (coordinates);
	                  [min, max] unless both 0 */
};

struct mp_field {
	const char *name; /* NULL terminates a field list */
	enum mp_ftype type;
	unsigned flags;                 /* MP_F_REQUIRED | MP_F_NULLABLE */
	size_t min_len, max_len;        /* max_len 0 = unbounded */
	int64_t min, max;               /* both 0 = unbounded */
	const char *const *enum_values; /* NULL-terminated (MP_F_ENUM) */
	const struct mp_field *fields;  /* MP_F_OBJECT */
	const struct mp_field *items;   /* MP_F_ARRAY (its name is ignored) */
};

/* One field: name, type, flags, then any other member by designator. */
#define MP_FIELD(n, t, f, ...)                                                 \
	{                                                                      \
		.name = (n), .type = (t), .flags = (f), __VA_ARGS__            \
	}

/* Terminator of a field list. */
#define MP_FIELD_END                                                           \
	{                                                                      \
		.name = NULL                                                   \
	}

struct mp_body_limits {
	size_t max_bytes; /* 0 = MP_BODY_DEFAULT_MAX_BYTES */
	int max_depth;    /* levels of {} / [], the body itself is level 1;
	                     <= 0 = MP_BODY_DEFAULT_MAX_DEPTH */
};

#define MP_BODY_DEFAULT_MAX_BYTES (1024u * 1024u)
#define MP_BODY_DEFAULT_MAX_DEPTH 16
#define MP_BODY_MAX_ERRORS 100 /* errors[] is capped, detail says so */
#define MP_BODY_PATH_MAX 256   /* longer field paths are truncated */

/*
 * mp_body_parse: parse buf[0..len) as one JSON object and validate it
 * against schema. lim may be NULL (defaults).
 *
 * Returns 0 with *out = the parsed object (new reference, the caller
 * releases it) and *problem = NULL. Otherwise *out = NULL and:
 *   -E2BIG   len > max_bytes: *problem is a 413 (slug "body-too-large");
 *   -EINVAL  *problem is a 400, one of:
 *            "malformed-json": empty body, syntax error, invalid UTF-8,
 *              duplicate key, trailing data, number out of range; detail
 *              names the line and column, never echoes the input;
 *            "body-too-deep": nesting beyond max_depth (checked before
 *              parsing, so a "[[[[..." bomb costs one linear scan);
 *            "validation": the body is not an object, or fields fail the
 *              schema; errors[] lists every bad field (up to
 *              MP_BODY_MAX_ERRORS) as {"field": path, "reason": text}.
 *              A "\u0000" inside any string is reported on its field.
 *   -ENOMEM  *problem may be NULL.
 * *problem is a new reference the caller releases (typically by sending
 * it). No pointer into buf is kept.
 */
int mp_body_parse(const char *buf, size_t len, const struct mp_field *schema,
                  const struct mp_body_limits *lim, json_t **out,
                  json_t **problem);

/*
 * mp_body_validate: check an already-parsed value against schema (an
 * object is expected) and append one error per bad field to problem (see
 * mp_problem_add_error), with paths prefixed by prefix ("" or NULL for
 * none; "filter" gives "filter.status"). obj is not modified.
 * Returns 0 when valid, -EINVAL when errors were appended, -ENOMEM (some
 * errors may be missing).
 */
int mp_body_validate(const json_t *obj, const struct mp_field *schema,
                     const char *prefix, json_t *problem);

#endif /* MP_BODY_H */
