/*
 * facts.c: the strict decoder of a load statement's facts (facts.h).
 *
 * One walk over the declared table fills the members; a second over the
 * object's keys refuses any key the table does not declare, so the SQL
 * and the C can only change together. Paths in error messages are built
 * as the walk descends ("members[2].college") and never carry a value:
 * they go to the log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp/facts.h"

#define PATH_MAX_LEN 160

static int decode_object(const json_t *in, const struct mp_fact *table,
                         void *out, const char *path, char *err, size_t errlen);
static int decode_one(const json_t *v, const struct mp_fact *f, void *out,
                      const char *path, char *err, size_t errlen);
static int decode_array(const json_t *v, const struct mp_fact *f, void *out,
                        const char *path, char *err, size_t errlen);
static int fail(char *err, size_t errlen, const char *path, const char *reason);
static void join(char *dst, size_t cap, const char *path, const char *key);
static const struct mp_fact *declared(const struct mp_fact *table,
                                      const char *key);

static int
fail(char *err, size_t errlen, const char *path, const char *reason)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, reason);
	return -EINVAL;
}

static void
join(char *dst, size_t cap, const char *path, const char *key)
{
	if (path[0] == '\0')
		snprintf(dst, cap, "%s", key);
	else
		snprintf(dst, cap, "%s.%s", path, key);
}

static const struct mp_fact *
declared(const struct mp_fact *table, const char *key)
{
	for (; table->key != NULL; table++)
		if (strcmp(table->key, key) == 0)
			return table;
	return NULL;
}

int
mp_facts_decode(const json_t *in, const struct mp_fact *table, void *out,
                char *err, size_t errlen)
{
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (table == NULL || out == NULL)
		return -EINVAL;
	if (!json_is_object(in))
		return fail(err, errlen, "(facts)", "not an object");
	rc = decode_object(in, table, out, "", err, errlen);
	if (rc != 0)
		mp_facts_release(table, out);
	return rc;
}

static int
decode_object(const json_t *in, const struct mp_fact *table, void *out,
              const char *path, char *err, size_t errlen)
{
	char sub[PATH_MAX_LEN];
	const struct mp_fact *f;
	const char *key;
	json_t *v;
	int rc;

	for (f = table; f->key != NULL; f++) {
		join(sub, sizeof(sub), path, f->key);
		v = json_object_get(in, f->key);
		if (v == NULL) {
			if (f->flags & MP_FACT_OPTIONAL)
				continue;
			return fail(err, errlen, sub, "missing");
		}
		if (json_is_null(v)) {
			if (f->flags & MP_FACT_NULLABLE)
				continue;
			return fail(err, errlen, sub, "null");
		}
		if ((rc = decode_one(v, f, out, sub, err, errlen)) != 0)
			return rc;
	}
	json_object_foreach((json_t *)(uintptr_t)in, key, v)
	{
		if (declared(table, key) == NULL) {
			join(sub, sizeof(sub), path, key);
			return fail(err, errlen, sub, "not a declared fact");
		}
	}
	return 0;
}

static int
decode_one(const json_t *v, const struct mp_fact *f, void *out,
           const char *path, char *err, size_t errlen)
{
	char *dst = (char *)out + f->offset;

	switch (f->type) {
	case MP_FACT_STRING:
		if (!json_is_string(v))
			return fail(err, errlen, path, "not a string");
		*(const char **)(void *)dst = json_string_value(v);
		return 0;
	case MP_FACT_INT:
		if (!json_is_integer(v))
			return fail(err, errlen, path, "not an integer");
		*(int64_t *)(void *)dst = (int64_t)json_integer_value(v);
		return 0;
	case MP_FACT_BOOL:
		if (!json_is_boolean(v))
			return fail(err, errlen, path, "not a boolean");
		*(int *)(void *)dst = json_is_true(v);
		return 0;
	case MP_FACT_OBJECT:
		if (!json_is_object(v))
			return fail(err, errlen, path, "not an object");
		return decode_object(v, f->fields, dst, path, err, errlen);
	case MP_FACT_RAW_OBJECT:
		if (!json_is_object(v))
			return fail(err, errlen, path, "not an object");
		*(const json_t **)(void *)dst = v;
		return 0;
	case MP_FACT_RAW_ARRAY:
		if (!json_is_array(v))
			return fail(err, errlen, path, "not an array");
		*(const json_t **)(void *)dst = v;
		return 0;
	case MP_FACT_LIST:
	case MP_FACT_STRINGS:
	case MP_FACT_INTS:
		return decode_array(v, f, out, path, err, errlen);
	}
	return fail(err, errlen, path, "undeclarable type");
}

/* Arrays own their storage from the moment it is allocated (stored in the
 * member at once), so mp_facts_release frees a half-decoded one. */
static int
decode_array(const json_t *v, const struct mp_fact *f, void *out,
             const char *path, char *err, size_t errlen)
{
	char *dst = (char *)out + f->offset;
	size_t *count = (size_t *)(void *)((char *)out + f->count_offset);
	size_t n, i, size;
	char sub[PATH_MAX_LEN];
	void *items;
	json_t *e;
	int rc;

	if (!json_is_array(v))
		return fail(err, errlen, path, "not an array");
	n = json_array_size(v);
	size = f->type == MP_FACT_LIST   ? f->item_size
	       : f->type == MP_FACT_INTS ? sizeof(int64_t)
	                                 : sizeof(char *);
	/* one more slot: STRINGS ends with NULL, none is empty */
	if ((items = calloc(n + 1, size)) == NULL)
		return -ENOMEM;
	*(void **)(void *)dst = items;
	*count = 0;
	json_array_foreach(v, i, e)
	{
		/* the path is cut, never the index */
		snprintf(sub, sizeof(sub), "%.*s[%zu]", (int)(sizeof(sub) - 24),
		         path, i);
		if (f->type == MP_FACT_STRINGS) {
			if (!json_is_string(e))
				return fail(err, errlen, sub, "not a string");
			((const char **)items)[i] = json_string_value(e);
		} else if (f->type == MP_FACT_INTS) {
			if (!json_is_integer(e))
				return fail(err, errlen, sub, "not an integer");
			((int64_t *)items)[i] = json_integer_value(e);
		} else {
			if (!json_is_object(e))
				return fail(err, errlen, sub, "not an object");
			*count = i + 1; /* released with its lists on failure */
			rc = decode_object(e, f->fields,
			                   (char *)items + i * size, sub, err,
			                   errlen);
			if (rc != 0)
				return rc;
		}
		*count = i + 1;
	}
	return 0;
}

void
mp_facts_release(const struct mp_fact *table, void *out)
{
	const struct mp_fact *f;
	size_t *count, i;
	char *dst, *items;

	if (table == NULL || out == NULL)
		return;
	for (f = table; f->key != NULL; f++) {
		dst = (char *)out + f->offset;
		if (f->type == MP_FACT_OBJECT) {
			mp_facts_release(f->fields, dst);
			continue;
		}
		if (f->type != MP_FACT_LIST && f->type != MP_FACT_STRINGS &&
		    f->type != MP_FACT_INTS)
			continue;
		items = *(char **)(void *)dst;
		count = (size_t *)(void *)((char *)out + f->count_offset);
		if (f->type == MP_FACT_LIST && items != NULL)
			for (i = 0; i < *count; i++)
				mp_facts_release(f->fields,
				                 items + i * f->item_size);
		free(items);
		*(char **)(void *)dst = NULL;
		*count = 0;
	}
}
