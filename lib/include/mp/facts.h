/*
 * facts.h: the facts a route's load statement returns, decoded into a C
 * struct by a declared table, strictly.
 *
 * A load statement (see run.h) answers one JSON object. Reading it with
 * json_integer_value(json_object_get(o, "key")) turns a key renamed in the
 * SQL into a silent 0 or NULL; here every key the decide step reads is
 * declared once with its type and the member it fills, and the decoder
 * refuses the whole object when a declared key is missing, has another
 * type, or when the object carries a key nobody declared (the SQL and the
 * C drifted apart). The refusal names the path ("members[2].college") and
 * the reason, for the log; the client only sees a 500.
 *
 *   struct tally_facts {
 *           int64_t quorum_bp;
 *           struct member *members;
 *           size_t n_members;
 *   };
 *   static const struct mp_fact member_facts[] = {
 *           MP_FACT("id", MP_FACT_STRING, 0, struct member, id),
 *           MP_FACT("present", MP_FACT_BOOL, 0, struct member, present),
 *           MP_FACT_END};
 *   static const struct mp_fact tally[] = {
 *           MP_FACT("quorum_bp", MP_FACT_INT, 0, struct tally_facts,
 *               quorum_bp),
 *           MP_FACT_LIST("members", 0, struct tally_facts, members,
 *               n_members, struct member, member_facts),
 *           MP_FACT_END};
 *
 * Strings and raw JSON values are borrowed from the decoded object (they
 * live as long as it does); lists are allocated by the decoder and freed
 * by mp_facts_release().
 */
#ifndef MP_FACTS_H
#define MP_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Flags of a declared key. */
#define MP_FACT_NULLABLE 0x01u /* JSON null accepted: the member stays zero */
#define MP_FACT_OPTIONAL 0x02u /* may be absent: the member stays zero */

enum mp_fact_type {
	MP_FACT_STRING,     /* const char * (borrowed) */
	MP_FACT_INT,        /* int64_t; a JSON integer, never a real */
	MP_FACT_BOOL,       /* int, 0 or 1; JSON true/false only */
	MP_FACT_OBJECT,     /* a struct member decoded by .fields */
	MP_FACT_LIST,       /* array of objects: item_size-byte structs decoded
	                       by .fields, allocated; count at count_offset */
	MP_FACT_STRINGS,    /* array of strings: const char ** allocated with
	                       a NULL after the last; count at count_offset */
	MP_FACT_INTS,       /* array of integers: int64_t * allocated; count at
	                       count_offset */
	MP_FACT_RAW_OBJECT, /* const json_t * (borrowed), any JSON object */
	MP_FACT_RAW_ARRAY   /* const json_t * (borrowed), any JSON array */
};

struct mp_fact {
	const char *key; /* NULL ends a table */
	enum mp_fact_type type;
	unsigned flags;
	size_t offset;                /* of the member filled */
	size_t count_offset;          /* LIST, STRINGS, INTS: a size_t */
	size_t item_size;             /* LIST */
	const struct mp_fact *fields; /* OBJECT, LIST */
};

/* A scalar, raw JSON or array-of-scalars key filling `member` of `st`. */
#define MP_FACT(k, t, f, st, member)                                           \
	{                                                                      \
		.key = (k), .type = (t), .flags = (f),                         \
		.offset = offsetof(st, member)                                 \
	}

/* An array of strings or integers (t = MP_FACT_STRINGS or MP_FACT_INTS)
 * into `member` with its length in `count`. */
#define MP_FACT_ARRAY(k, t, f, st, member, count)                              \
	{                                                                      \
		.key = (k), .type = (t), .flags = (f),                         \
		.offset = offsetof(st, member),                                \
		.count_offset = offsetof(st, count)                            \
	}

/* A nested object decoded into the struct member `member` by `tbl`. */
#define MP_FACT_OBJECT(k, f, st, member, tbl)                                  \
	{                                                                      \
		.key = (k), .type = MP_FACT_OBJECT, .flags = (f),              \
		.offset = offsetof(st, member), .fields = (tbl)                \
	}

/* An array of objects, each decoded into an `item_st` by `tbl`. */
#define MP_FACT_LIST(k, f, st, member, count, item_st, tbl)                    \
	{                                                                      \
		.key = (k), .type = MP_FACT_LIST, .flags = (f),                \
		.offset = offsetof(st, member),                                \
		.count_offset = offsetof(st, count),                           \
		.item_size = sizeof(item_st), .fields = (tbl)                  \
	}

#define MP_FACT_END                                                            \
	{                                                                      \
		.key = NULL                                                    \
	}

/*
 * mp_facts_decode: decode the JSON object `in` into `out` (a zeroed struct
 * the table describes) by `table`. Returns 0, or -EINVAL with err (NUL-
 * terminated, truncated to errlen) naming the first offending path and
 * why: "state: missing", "results[3]: not an integer", "extra: not a
 * declared fact", "(facts): not an object"; or -ENOMEM. On failure
 * whatever was allocated is already released (the caller has nothing to
 * free; other members are unspecified). Strings and raw values point into
 * `in`, which must outlive `out`.
 */
int mp_facts_decode(const json_t *in, const struct mp_fact *table, void *out,
                    char *err, size_t errlen);

/*
 * mp_facts_release: free what mp_facts_decode allocated in `out` (lists
 * and arrays, recursively) and zero their members. NULL-safe; may be
 * called twice.
 */
void mp_facts_release(const struct mp_fact *table, void *out);

#endif /* MP_FACTS_H */
