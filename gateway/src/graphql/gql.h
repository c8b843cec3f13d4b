/*
 * gql.h: the gateway's GraphQL engine, pure C (no Kore, no network).
 *
 * One arena per document or schema owns every node; freeing the arena frees
 * the whole tree without recursion. The parser reads executable documents
 * and the schema's SDL with one recursive-descent grammar (GraphQL, October
 * 2021 edition), bounded by a token and a nesting limit so hostile input
 * cannot exhaust the stack. The validator implements the rules of the
 * specification's section 5 (graphql-js' specifiedRules) and reports the
 * same error locations as graphql-js (tests/contract/graphql_diff.sh checks
 * it). Execution (gql_exec.h) resolves fields against JSON that the caller
 * fetches, level by level.
 *
 * Return convention: 0 success, negative on error; errors go to a
 * struct gql_errors (messages and locations, arena-owned).
 */
#ifndef GW_GQL_H
#define GW_GQL_H

#include <stddef.h>
#include <stdint.h>

/* ---- arena --------------------------------------------------------------- */

struct gql_arena;

/* A new empty arena, or NULL when out of memory. */
struct gql_arena *gql_arena_new(void);
/* Frees every block of the arena (NULL is fine). */
void gql_arena_free(struct gql_arena *a);
/* size zeroed bytes owned by the arena, or NULL when out of memory. */
void *gql_alloc(struct gql_arena *a, size_t size);
/* A NUL-terminated copy of s[0..len) owned by the arena, or NULL. */
char *gql_strndup(struct gql_arena *a, const char *s, size_t len);
/* printf into the arena; NULL when out of memory. */
char *gql_sprintf(struct gql_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Bytes held by the arena (the limits compare it). */
size_t gql_arena_used(const struct gql_arena *a);

/* ---- errors -------------------------------------------------------------- */

/* 1-based line and column; the column counts UTF-16 code units, as
 * graphql-js does, so both report the same place. */
struct gql_loc {
	uint32_t line, col;
};

#define GQL_ERR_MAX_LOCS 16

struct gql_error {
	const char *message;
	const char *code; /* extensions.code, or NULL */
	struct gql_loc locs[GQL_ERR_MAX_LOCS];
	int nlocs;
	struct gql_error *next;
};

struct gql_errors {
	struct gql_arena *arena;
	struct gql_error *head, *tail;
	int count, max; /* max 0: unbounded */
};

/* Appends an error (message printf-style); returns the error or NULL when
 * the list is full or out of memory. */
struct gql_error *gql_error_add(struct gql_errors *e, const char *code,
                                const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a location to an error (NULL error is fine). */
void gql_error_loc(struct gql_error *err, struct gql_loc loc);

/* ---- AST ----------------------------------------------------------------- */

enum gql_vkind {
	GQL_V_VAR,
	GQL_V_INT,
	GQL_V_FLOAT,
	GQL_V_STRING,
	GQL_V_BOOL,
	GQL_V_NULL,
	GQL_V_ENUM,
	GQL_V_LIST,
	GQL_V_OBJECT,
};

struct gql_arg;

/* A value literal. s/len: the variable or enum name, the number's text or
 * the string's decoded bytes (may hold NUL). */
struct gql_value {
	enum gql_vkind kind;
	struct gql_loc loc;
	const char *s;
	size_t len;
	int b;
	struct gql_value *items; /* list items */
	struct gql_arg *fields;  /* object fields */
	struct gql_value *next;
};

/* An argument, or an object field of a value. */
struct gql_arg {
	const char *name;
	struct gql_loc loc;
	struct gql_value *value;
	struct gql_arg *next;
};

struct gql_directive {
	const char *name;
	struct gql_loc loc, name_loc;
	struct gql_arg *args;
	struct gql_directive *next;
};

enum gql_tkind { GQL_T_NAMED, GQL_T_LIST, GQL_T_NONNULL };

struct gql_typeref {
	enum gql_tkind kind;
	const char *name;
	struct gql_typeref *of;
	struct gql_loc loc;
};

enum gql_sel_kind { GQL_SEL_FIELD, GQL_SEL_SPREAD, GQL_SEL_INLINE };

struct gql_selection {
	enum gql_sel_kind kind;
	struct gql_loc loc;
	const char *alias; /* NULL without an alias */
	const char *name;  /* field or fragment name */
	struct gql_loc name_loc;
	struct gql_arg *args;
	struct gql_directive *directives;
	struct gql_selection *sel; /* first child */
	int has_sel;
	struct gql_loc sel_loc;
	const char *type_cond; /* inline fragment; NULL when absent */
	struct gql_loc type_cond_loc;
	struct gql_selection *next;
};

struct gql_vardef {
	const char *name;
	struct gql_loc loc, name_loc;
	struct gql_typeref *type;
	struct gql_value *defval;
	struct gql_directive *directives;
	struct gql_vardef *next;
};

enum gql_def_kind {
	GQL_D_OPERATION,
	GQL_D_FRAGMENT,
	GQL_D_SCHEMA,
	GQL_D_SCALAR,
	GQL_D_OBJECT,
	GQL_D_INTERFACE,
	GQL_D_UNION,
	GQL_D_ENUM,
	GQL_D_INPUT,
	GQL_D_DIRECTIVE,
};

enum gql_op { GQL_OP_QUERY, GQL_OP_MUTATION, GQL_OP_SUBSCRIPTION };

struct gql_name {
	const char *name;
	struct gql_loc loc;
	struct gql_name *next;
};

/* A field, argument, input field or enum value definition of the SDL. */
struct gql_fielddef {
	const char *description;
	const char *name;
	struct gql_loc loc;
	struct gql_fielddef *args;
	struct gql_typeref *type;
	struct gql_value *defval;
	struct gql_directive *directives;
	struct gql_fielddef *next;
};

struct gql_def {
	enum gql_def_kind kind;
	int extension; /* extend ... */
	struct gql_loc loc;
	const char *name; /* NULL for an anonymous operation */
	struct gql_loc name_loc;
	enum gql_op op;
	struct gql_vardef *vars;
	struct gql_directive *directives;
	struct gql_selection *sel;
	struct gql_loc sel_loc;
	const char *type_cond; /* fragment */
	struct gql_loc type_cond_loc;
	/* type system */
	const char *description;
	struct gql_name *interfaces; /* implements; union members */
	struct gql_fielddef *fields; /* fields, enum values, input fields,
	                                directive arguments */
	struct gql_name *locations;  /* directive locations */
	int repeatable;
	struct gql_fielddef *roots; /* schema { query: T }: name=op, type */
	struct gql_def *next;
};

struct gql_document {
	struct gql_def *defs;
	size_t ntokens;
};

struct gql_parse_limits {
	size_t max_tokens; /* 0: unbounded */
	int max_depth;     /* nesting of selections, values, types; 0: 256 */
};

/*
 * Parses src[0..len) (UTF-8) into *out, allocated in arena a. Returns 0, or
 * -1 with one syntax error (message and location) in errs.
 */
int gql_parse(struct gql_arena *a, const char *src, size_t len,
              const struct gql_parse_limits *lim, struct gql_document **out,
              struct gql_errors *errs);

/* Decodes a block string's raw content (between the quotes, \""" already
 * unescaped) per the spec's BlockStringValue(); returns the arena copy. */
char *gql_block_string_value(struct gql_arena *a, const char *raw, size_t len,
                             size_t *out_len);

#endif
