/*
 * gql_schema.h: a GraphQL schema built from SDL (the committed
 * openapi/schema.graphql), the validator and the helpers they share.
 *
 * The schema owns one arena; types, fields and directives point into it
 * and into the parsed SDL, so the AST's directives (@rest, @deprecated)
 * stay readable by the gateway's planner through field->directives.
 */
#ifndef GW_GQL_SCHEMA_H
#define GW_GQL_SCHEMA_H

#include "gql.h"

enum gql_kind {
	GQL_K_SCALAR,
	GQL_K_OBJECT,
	GQL_K_INTERFACE,
	GQL_K_UNION,
	GQL_K_ENUM,
	GQL_K_INPUT,
};

struct gql_type;

/* A field, an argument, an input field or an enum value. */
struct gql_field {
	const char *name, *description;
	struct gql_typeref *type; /* NULL for an enum value */
	struct gql_type *named;   /* the named type at the bottom of type */
	struct gql_value *defval;
	const char *deprecation; /* the reason, or NULL when not deprecated */
	struct gql_field *args;
	int nargs;
	struct gql_directive *directives;
	struct gql_loc loc;
	void *data; /* the gateway's resolution plan (@rest) */
};

struct gql_type {
	enum gql_kind kind;
	const char *name, *description, *specified_by;
	int builtin; /* standard scalar or introspection type */
	int oneof;
	struct gql_field *fields; /* fields, input fields or enum values */
	int nfields, capfields;
	struct gql_type **interfaces;
	int ninterfaces, capinterfaces;
	struct gql_type **possible; /* union members, implementations */
	int npossible, cappossible;
	struct gql_directive *directives;
	struct gql_loc loc;
	struct gql_def *def;
	struct gql_type *hnext;
	void *data;
};

/* Directive locations, in the order of __DirectiveLocation. */
enum gql_dirloc {
	GQL_L_QUERY,
	GQL_L_MUTATION,
	GQL_L_SUBSCRIPTION,
	GQL_L_FIELD,
	GQL_L_FRAGMENT_DEFINITION,
	GQL_L_FRAGMENT_SPREAD,
	GQL_L_INLINE_FRAGMENT,
	GQL_L_VARIABLE_DEFINITION,
	GQL_L_SCHEMA,
	GQL_L_SCALAR,
	GQL_L_OBJECT,
	GQL_L_FIELD_DEFINITION,
	GQL_L_ARGUMENT_DEFINITION,
	GQL_L_INTERFACE,
	GQL_L_UNION,
	GQL_L_ENUM,
	GQL_L_ENUM_VALUE,
	GQL_L_INPUT_OBJECT,
	GQL_L_INPUT_FIELD_DEFINITION,
	GQL_L_COUNT
};

extern const char *const gql_dirloc_names[GQL_L_COUNT];

struct gql_dirdef {
	const char *name, *description;
	struct gql_field *args;
	int nargs;
	uint32_t locations;        /* 1 << enum gql_dirloc */
	struct gql_name *locnames; /* as declared (introspection order) */
	int repeatable, builtin;
};

#define GQL_HASH_SIZE 512

struct gql_schema {
	struct gql_arena *arena;
	struct gql_type **types; /* the SDL's in order, then the built-ins */
	int ntypes;
	struct gql_type *buckets[GQL_HASH_SIZE];
	struct gql_type *query, *mutation, *subscription;
	struct gql_dirdef *dirs;
	int ndirs;
	const char *description;
	/* __schema, __type(name:) and __typename (not in any type) */
	struct gql_field *meta_schema, *meta_type, *meta_typename;
};

extern const char gql_builtin_sdl[];

/*
 * Builds a schema from SDL text (plus the built-in types). Returns 0 and
 * the schema in *out (free with gql_schema_free), or -1 with the errors
 * (syntax, unknown or misused types, duplicates) in errs, whose arena the
 * caller owns.
 */
int gql_schema_build(const char *sdl, size_t len, struct gql_schema **out,
                     struct gql_errors *errs);
void gql_schema_free(struct gql_schema *s);

/* The named type, or NULL (a standard scalar the SDL never uses is absent,
 * as in graphql-js). */
struct gql_type *gql_schema_type(const struct gql_schema *s, const char *name);
struct gql_dirdef *gql_schema_directive(const struct gql_schema *s,
                                        const char *name);
/* The field, input field or enum value named name, or NULL. */
struct gql_field *gql_type_field(const struct gql_type *t, const char *name);
/* The argument named name of a field or directive, or NULL. */
struct gql_field *gql_field_arg(const struct gql_field *args, int n,
                                const char *name);
/* 1 when obj is t, a member of union t, or implements interface t. */
int gql_type_possible(const struct gql_type *t, const struct gql_type *obj);
/* The named type at the bottom of a type reference (NULL if unknown). */
struct gql_type *gql_typeref_named(const struct gql_schema *s,
                                   const struct gql_typeref *t);
int gql_is_input_type(const struct gql_type *t);
int gql_is_output_type(const struct gql_type *t);
int gql_is_composite(const struct gql_type *t);
int gql_is_leaf(const struct gql_type *t);
/* The argument's value of a directive named name in a list, or NULL. */
struct gql_directive *gql_directive_find(struct gql_directive *d,
                                         const char *name);
struct gql_value *gql_directive_arg(const struct gql_directive *d,
                                    const char *name);

/* Prints a value literal as graphql-js' print() does, into the arena. */
char *gql_print_value(struct gql_arena *a, const struct gql_value *v);
/* The same with object fields sorted by name (graphql-js'
 * print(sortValueNode(v))): equal values print equally. */
char *gql_print_value_sorted(struct gql_arena *a, const struct gql_value *v);
/* Prints a type reference ("[Int!]!"). */
char *gql_print_type(struct gql_arena *a, const struct gql_typeref *t);

struct gql_validate_opts {
	int max_errors;    /* 0: 100, as graphql-js */
	int suggestions;   /* "Did you mean ...?" in messages */
	int introspection; /* 0: __schema and __type are refused */
};

/*
 * Validates an executable document against the schema with every rule of
 * the specification's section 5 (graphql-js' specifiedRules, including
 * MaxIntrospectionDepthRule), then the gateway's @personal rule
 * (gql_personal_check). Returns 0 when valid, else -1 with the errors
 * (message, locations, code GRAPHQL_VALIDATION_FAILED, or
 * PERSONAL_DATA_LITERAL) in errs.
 */
int gql_validate(const struct gql_schema *s, const struct gql_document *doc,
                 const struct gql_validate_opts *opts, struct gql_errors *errs);

/*
 * The gateway's rule for @personal arguments and input fields
 * (personal.c; gql_validate runs it after the specification's rules): a
 * literal for one anywhere in the document (a string, an input object or
 * list holding one at any depth, a default value of a variable used for
 * one) is an error with code PERSONAL_DATA_LITERAL naming the argument.
 * Returns 0, or -1 with the errors in errs.
 */
int gql_personal_check(const struct gql_schema *s,
                       const struct gql_document *doc, struct gql_errors *errs);

/* 1 when the operation op of a valid document (through its fragments)
 * gives a value to a @personal argument, or to an argument whose input
 * type holds a @personal field: its variables are personal data (the
 * gateway refuses it by GET). */
int gql_personal_operation(const struct gql_schema *s,
                           const struct gql_document *doc,
                           const struct gql_def *op);

#endif
