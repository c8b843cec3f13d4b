/*
 * schema.c: builds a schema from SDL. The built-in SDL (builtin.c) and the
 * caller's are parsed with the same parser into one arena; a first pass
 * registers every named type and directive, a second fills fields, members
 * and interfaces and applies `extend` definitions, a third resolves and
 * checks every type reference. As in graphql-js, Int, Float and ID exist
 * only when the SDL uses them (String and Boolean always do: introspection
 * uses them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gql_schema.h"

const char *const gql_dirloc_names[GQL_L_COUNT] = {"QUERY",
                                                   "MUTATION",
                                                   "SUBSCRIPTION",
                                                   "FIELD",
                                                   "FRAGMENT_DEFINITION",
                                                   "FRAGMENT_SPREAD",
                                                   "INLINE_FRAGMENT",
                                                   "VARIABLE_DEFINITION",
                                                   "SCHEMA",
                                                   "SCALAR",
                                                   "OBJECT",
                                                   "FIELD_DEFINITION",
                                                   "ARGUMENT_DEFINITION",
                                                   "INTERFACE",
                                                   "UNION",
                                                   "ENUM",
                                                   "ENUM_VALUE",
                                                   "INPUT_OBJECT",
                                                   "INPUT_FIELD_DEFINITION"};

struct build {
	struct gql_schema *s;
	struct gql_errors *errs;
	int builtin;
	int cap_types, cap_dirs;
};

static unsigned hash_name(const char *);
static int grow(struct gql_arena *, void **, int *, int, size_t);
static int add_fields(struct build *, struct gql_type *, struct gql_fielddef *,
                      int);
static int add_args(struct build *, struct gql_fielddef *, struct gql_field **,
                    int *);
static const char *deprecation_of(struct gql_arena *, struct gql_directive *);
static int resolve_ref(struct build *, struct gql_field *, int);
static void err_at(struct build *, struct gql_loc, const char *, const char *,
                   const char *);

static unsigned
hash_name(const char *n)
{
	unsigned h = 5381;

	while (*n)
		h = h * 33 + (unsigned char)*n++;
	return h % GQL_HASH_SIZE;
}

static void
err_at(struct build *b, struct gql_loc loc, const char *fmt, const char *x,
       const char *y)
{
	struct gql_error *e = gql_error_add(b->errs, "SCHEMA_INVALID", fmt, x,
	                                    y != NULL ? y : "");

	gql_error_loc(e, loc);
}

/* Makes room for one more element of size sz in an arena array. */
static int
grow(struct gql_arena *a, void **arr, int *cap, int n, size_t sz)
{
	void *na;
	int nc;

	if (n < *cap)
		return 0;
	nc = *cap == 0 ? 8 : *cap * 2;
	if ((na = gql_alloc(a, (size_t)nc * sz)) == NULL)
		return -1;
	if (n > 0)
		memcpy(na, *arr, (size_t)n * sz);
	*arr = na;
	*cap = nc;
	return 0;
}

struct gql_type *
gql_schema_type(const struct gql_schema *s, const char *name)
{
	struct gql_type *t;

	if (name == NULL)
		return NULL;
	for (t = s->buckets[hash_name(name)]; t != NULL; t = t->hnext)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

struct gql_dirdef *
gql_schema_directive(const struct gql_schema *s, const char *name)
{
	int i;

	for (i = 0; i < s->ndirs; i++)
		if (strcmp(s->dirs[i].name, name) == 0)
			return &s->dirs[i];
	return NULL;
}

struct gql_field *
gql_type_field(const struct gql_type *t, const char *name)
{
	int i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

struct gql_field *
gql_field_arg(const struct gql_field *args, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(args[i].name, name) == 0)
			return (struct gql_field *)(uintptr_t)&args[i];
	return NULL;
}

int
gql_type_possible(const struct gql_type *t, const struct gql_type *obj)
{
	int i;

	if (t == obj)
		return 1;
	for (i = 0; t != NULL && i < t->npossible; i++)
		if (t->possible[i] == obj)
			return 1;
	return 0;
}

struct gql_type *
gql_typeref_named(const struct gql_schema *s, const struct gql_typeref *t)
{
	while (t != NULL && t->kind != GQL_T_NAMED)
		t = t->of;
	return t != NULL ? gql_schema_type(s, t->name) : NULL;
}

int
gql_is_input_type(const struct gql_type *t)
{
	return t != NULL && (t->kind == GQL_K_SCALAR || t->kind == GQL_K_ENUM ||
	                     t->kind == GQL_K_INPUT);
}

int
gql_is_output_type(const struct gql_type *t)
{
	return t != NULL && t->kind != GQL_K_INPUT;
}

int
gql_is_composite(const struct gql_type *t)
{
	return t != NULL &&
	       (t->kind == GQL_K_OBJECT || t->kind == GQL_K_INTERFACE ||
	        t->kind == GQL_K_UNION);
}

int
gql_is_leaf(const struct gql_type *t)
{
	return t != NULL && (t->kind == GQL_K_SCALAR || t->kind == GQL_K_ENUM);
}

struct gql_directive *
gql_directive_find(struct gql_directive *d, const char *name)
{
	for (; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

struct gql_value *
gql_directive_arg(const struct gql_directive *d, const char *name)
{
	struct gql_arg *a;

	for (a = d != NULL ? d->args : NULL; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a->value;
	return NULL;
}

static const char *
deprecation_of(struct gql_arena *a, struct gql_directive *dirs)
{
	struct gql_directive *d = gql_directive_find(dirs, "deprecated");
	struct gql_value *r;

	if (d == NULL)
		return NULL;
	r = gql_directive_arg(d, "reason");
	if (r != NULL && r->kind == GQL_V_STRING)
		return gql_strndup(a, r->s, r->len);
	return "No longer supported";
}

static int
add_args(struct build *b, struct gql_fielddef *defs, struct gql_field **out,
         int *n)
{
	struct gql_fielddef *d;
	struct gql_field *f;
	int cnt = 0, i, j;

	for (d = defs; d != NULL; d = d->next)
		cnt++;
	*n = cnt;
	*out = NULL;
	if (cnt == 0)
		return 0;
	if ((*out = gql_alloc(b->s->arena, (size_t)cnt * sizeof(**out))) ==
	    NULL)
		return -1;
	for (i = 0, d = defs; d != NULL; d = d->next, i++) {
		f = &(*out)[i];
		f->name = d->name;
		f->description = d->description;
		f->type = d->type;
		f->defval = d->defval;
		f->directives = d->directives;
		f->loc = d->loc;
		f->deprecation = deprecation_of(b->s->arena, d->directives);
		for (j = 0; j < i; j++)
			if (strcmp((*out)[j].name, f->name) == 0)
				err_at(b, d->loc,
				       "Argument \"%s\" is defined "
				       "more than once.%s",
				       f->name, NULL);
	}
	return 0;
}

static int
add_fields(struct build *b, struct gql_type *t, struct gql_fielddef *defs,
           int enumvals)
{
	struct gql_fielddef *d;
	struct gql_field *f;

	for (d = defs; d != NULL; d = d->next) {
		if (gql_type_field(t, d->name) != NULL) {
			err_at(b, d->loc,
			       "Field \"%s.%s\" can only be defined "
			       "once.",
			       t->name, d->name);
			continue;
		}
		if (grow(b->s->arena, (void **)&t->fields, &t->capfields,
		         t->nfields, sizeof(*t->fields)) != 0)
			return -1;
		f = &t->fields[t->nfields++];
		memset(f, 0, sizeof(*f));
		f->name = d->name;
		f->description = d->description;
		f->type = enumvals ? NULL : d->type;
		f->defval = d->defval;
		f->directives = d->directives;
		f->loc = d->loc;
		f->deprecation = deprecation_of(b->s->arena, d->directives);
		if (!enumvals && add_args(b, d->args, &f->args, &f->nargs) != 0)
			return -1;
	}
	return 0;
}

static int
add_possible(struct gql_arena *a, struct gql_type *t, struct gql_type *obj)
{
	if (gql_type_possible(t, obj) && t != obj)
		return 0;
	if (grow(a, (void **)&t->possible, &t->cappossible, t->npossible,
	         sizeof(*t->possible)) != 0)
		return -1;
	t->possible[t->npossible++] = obj;
	return 0;
}

/* Resolves a field's (or argument's) type; input: 1 argument or input
 * field, 0 output field. */
static int
resolve_ref(struct build *b, struct gql_field *f, int input)
{
	struct gql_typeref *r = f->type;

	while (r->kind != GQL_T_NAMED)
		r = r->of;
	f->named = gql_schema_type(b->s, r->name);
	if (f->named == NULL) {
		err_at(b, r->loc, "Unknown type \"%s\".%s", r->name, NULL);
		return -1;
	}
	if (input && !gql_is_input_type(f->named))
		err_at(b, r->loc,
		       "The type of \"%s\" must be an input type, "
		       "not %s.",
		       f->name, f->named->name);
	if (!input && !gql_is_output_type(f->named))
		err_at(b, r->loc,
		       "The type of \"%s\" must be an output type, "
		       "not %s.",
		       f->name, f->named->name);
	return 0;
}

static enum gql_kind
kind_of(enum gql_def_kind k)
{
	switch (k) {
	case GQL_D_OBJECT:
		return GQL_K_OBJECT;
	case GQL_D_INTERFACE:
		return GQL_K_INTERFACE;
	case GQL_D_UNION:
		return GQL_K_UNION;
	case GQL_D_ENUM:
		return GQL_K_ENUM;
	case GQL_D_INPUT:
		return GQL_K_INPUT;
	default:
		return GQL_K_SCALAR;
	}
}

static int
register_defs(struct build *b, struct gql_document *doc)
{
	struct gql_schema *s = b->s;
	struct gql_def *d;
	struct gql_type *t;
	struct gql_dirdef *dd;
	struct gql_name *n;
	unsigned h;
	int i;

	for (d = doc->defs; d != NULL; d = d->next) {
		if (d->kind == GQL_D_OPERATION || d->kind == GQL_D_FRAGMENT) {
			err_at(b, d->loc,
			       "An executable definition is not "
			       "allowed in a schema.%s%s",
			       "", NULL);
			continue;
		}
		if (d->extension || d->kind == GQL_D_SCHEMA)
			continue;
		if (d->kind == GQL_D_DIRECTIVE) {
			if (gql_schema_directive(s, d->name) != NULL) {
				err_at(b, d->name_loc,
				       "There can be only one directive named "
				       "\"@%s\".%s",
				       d->name, NULL);
				continue;
			}
			if (grow(s->arena, (void **)&s->dirs, &b->cap_dirs,
			         s->ndirs, sizeof(*s->dirs)) != 0)
				return -1;
			dd = &s->dirs[s->ndirs++];
			memset(dd, 0, sizeof(*dd));
			dd->name = d->name;
			dd->description = d->description;
			dd->repeatable = d->repeatable;
			dd->builtin = b->builtin;
			dd->locnames = d->locations;
			for (n = d->locations; n != NULL; n = n->next)
				for (i = 0; i < GQL_L_COUNT; i++)
					if (strcmp(n->name,
					           gql_dirloc_names[i]) == 0)
						dd->locations |= 1u << i;
			if (add_args(b, d->fields, &dd->args, &dd->nargs) != 0)
				return -1;
			continue;
		}
		if (gql_schema_type(s, d->name) != NULL) {
			err_at(b, d->name_loc,
			       "There can be only one type named \"%s\".%s",
			       d->name, NULL);
			continue;
		}
		if (!b->builtin && strncmp(d->name, "__", 2) == 0) {
			err_at(
			    b, d->name_loc,
			    "Name \"%s\" must not begin with \"__\", which is "
			    "reserved by GraphQL introspection.%s",
			    d->name, NULL);
			continue;
		}
		if ((t = gql_alloc(s->arena, sizeof(*t))) == NULL)
			return -1;
		t->kind = kind_of(d->kind);
		t->name = d->name;
		t->description = d->description;
		t->directives = d->directives;
		t->builtin = b->builtin;
		t->loc = d->name_loc;
		t->def = d;
		h = hash_name(t->name);
		t->hnext = s->buckets[h];
		s->buckets[h] = t;
		if (grow(s->arena, (void **)&s->types, &b->cap_types, s->ntypes,
		         sizeof(*s->types)) != 0)
			return -1;
		s->types[s->ntypes++] = t;
	}
	return 0;
}

static int
fill_defs(struct build *b, struct gql_document *doc)
{
	struct gql_schema *s = b->s;
	struct gql_def *d;
	struct gql_type *t, *it;
	struct gql_name *n;
	struct gql_directive *dir;
	struct gql_value *v;

	for (d = doc->defs; d != NULL; d = d->next) {
		if (d->kind == GQL_D_OPERATION || d->kind == GQL_D_FRAGMENT ||
		    d->kind == GQL_D_DIRECTIVE)
			continue;
		if (d->kind == GQL_D_SCHEMA) {
			struct gql_fielddef *r;
			if (d->description != NULL)
				s->description = d->description;
			for (r = d->roots; r != NULL; r = r->next) {
				t = gql_schema_type(s, r->type->name);
				if (t == NULL || t->kind != GQL_K_OBJECT) {
					err_at(b, r->type->loc,
					       "Root type \"%s\" must be a "
					       "defined object type.%s",
					       r->type->name, NULL);
					continue;
				}
				if (r->name[0] == 'q')
					s->query = t;
				else if (r->name[0] == 'm')
					s->mutation = t;
				else
					s->subscription = t;
			}
			continue;
		}
		t = gql_schema_type(s, d->name);
		if (t == NULL ||
		    (d->extension && t->kind != kind_of(d->kind))) {
			err_at(b, d->name_loc,
			       "Cannot extend type \"%s\": it is not defined "
			       "with that kind.%s",
			       d->name, NULL);
			continue;
		}
		if (!d->extension && t->def != d)
			continue; /* a duplicate, reported */
		if (d->extension && d->directives != NULL) {
			struct gql_directive **tail = &t->directives;
			while (*tail != NULL)
				tail = &(*tail)->next;
			*tail = d->directives;
		}
		switch (t->kind) {
		case GQL_K_OBJECT:
		case GQL_K_INTERFACE:
			for (n = d->interfaces; n != NULL; n = n->next) {
				it = gql_schema_type(s, n->name);
				if (it == NULL || it->kind != GQL_K_INTERFACE) {
					err_at(
					    b, n->loc,
					    "Type \"%s\" must only implement "
					    "interface types, not \"%s\".",
					    t->name, n->name);
					continue;
				}
				if (grow(s->arena, (void **)&t->interfaces,
				         &t->capinterfaces, t->ninterfaces,
				         sizeof(*t->interfaces)) != 0)
					return -1;
				t->interfaces[t->ninterfaces++] = it;
			}
			if (add_fields(b, t, d->fields, 0) != 0)
				return -1;
			break;
		case GQL_K_UNION:
			for (n = d->interfaces; n != NULL; n = n->next) {
				it = gql_schema_type(s, n->name);
				if (it == NULL || it->kind != GQL_K_OBJECT) {
					err_at(b, n->loc,
					       "Union type \"%s\" can only "
					       "include "
					       "object types, not \"%s\".",
					       t->name, n->name);
					continue;
				}
				if (add_possible(s->arena, t, it) != 0)
					return -1;
			}
			break;
		case GQL_K_ENUM:
			if (add_fields(b, t, d->fields, 1) != 0)
				return -1;
			break;
		case GQL_K_INPUT:
			if (add_fields(b, t, d->fields, 0) != 0)
				return -1;
			t->oneof = t->oneof ||
			           gql_directive_find(d->directives, "oneOf");
			break;
		case GQL_K_SCALAR:
			dir = gql_directive_find(d->directives, "specifiedBy");
			v = gql_directive_arg(dir, "url");
			if (v != NULL && v->kind == GQL_V_STRING)
				t->specified_by =
				    gql_strndup(s->arena, v->s, v->len);
			break;
		}
	}
	return 0;
}

static int
resolve_all(struct build *b, int from, int to)
{
	struct gql_schema *s = b->s;
	struct gql_type *t;
	int i, j, k;

	for (i = from; i < to; i++) {
		t = s->types[i];
		b->builtin = t->builtin;
		for (j = 0; j < t->nfields; j++) {
			struct gql_field *f = &t->fields[j];
			if (t->kind == GQL_K_ENUM)
				continue;
			resolve_ref(b, f, t->kind == GQL_K_INPUT);
			for (k = 0; k < f->nargs; k++)
				resolve_ref(b, &f->args[k], 1);
		}
		if (t->kind == GQL_K_OBJECT || t->kind == GQL_K_INTERFACE) {
			if (t->nfields == 0 && !t->builtin)
				err_at(
				    b, t->loc,
				    "Type %s must define one or more fields.%s",
				    t->name, NULL);
			for (j = 0; j < t->ninterfaces; j++) {
				struct gql_type *it = t->interfaces[j];
				if (add_possible(s->arena, it, t) != 0)
					return -1;
				for (k = 0; k < it->nfields; k++)
					if (gql_type_field(
					        t, it->fields[k].name) == NULL)
						err_at(
						    b, t->loc,
						    "Interface field %s "
						    "expected "
						    "but %s does not provide "
						    "it.",
						    it->fields[k].name,
						    t->name);
			}
		}
	}
	return 0;
}

/*
 * Orders the types as graphql-js' GraphQLSchema does (introspection lists
 * them in that order): each SDL type in turn followed by the standard
 * scalars it names first, then the types of the directives' arguments,
 * then the introspection types depth-first from __Schema. A type never
 * reached (Int, Float or ID unused by the SDL) is removed from the schema.
 */
struct order {
	struct gql_type **out;
	int n;
	unsigned char *mark; /* by index in s->types */
	struct gql_schema *s;
};

static int
type_index(struct gql_schema *s, const struct gql_type *t)
{
	int i;

	for (i = 0; i < s->ntypes; i++)
		if (s->types[i] == t)
			return i;
	return -1;
}

static void
reach(struct order *o, const struct gql_type *t)
{
	int i, k, ix;

	if (t == NULL || (ix = type_index(o->s, t)) < 0 || o->mark[ix])
		return;
	o->mark[ix] = 1;
	o->out[o->n++] = (struct gql_type *)(uintptr_t)t;
	for (i = 0; t->kind == GQL_K_UNION && i < t->npossible; i++)
		reach(o, t->possible[i]);
	if (t->kind == GQL_K_ENUM)
		return;
	for (i = 0; i < t->ninterfaces; i++)
		reach(o, t->interfaces[i]);
	for (i = 0; i < t->nfields; i++) {
		reach(o, t->fields[i].named);
		for (k = 0; k < t->fields[i].nargs; k++)
			reach(o, t->fields[i].args[k].named);
	}
}

static int
order_types(struct gql_schema *s)
{
	struct order o;
	struct gql_type **pp, *t;
	struct gql_dirdef *dirs;
	int i, k, nd = 0;

	o.s = s;
	o.n = 0;
	o.out = gql_alloc(s->arena, (size_t)(s->ntypes + 1) * sizeof(*o.out));
	o.mark = gql_alloc(s->arena, (size_t)s->ntypes + 1);
	dirs = gql_alloc(s->arena, (size_t)(s->ndirs + 1) * sizeof(*dirs));
	if (o.out == NULL || o.mark == NULL || dirs == NULL)
		return -1;
	/* the SDL's directives first, then the specified ones */
	for (i = 0; i < s->ndirs; i++)
		if (!s->dirs[i].builtin)
			dirs[nd++] = s->dirs[i];
	for (i = 0; i < s->ndirs; i++)
		if (s->dirs[i].builtin)
			dirs[nd++] = s->dirs[i];
	s->dirs = dirs;
	for (i = 0; i < s->ntypes; i++)
		if (!s->types[i]->builtin)
			o.mark[i] = 1;
	for (i = 0; i < s->ntypes; i++)
		if (!s->types[i]->builtin) {
			o.mark[i] = 0;
			reach(&o, s->types[i]);
		}
	for (i = 0; i < s->ndirs; i++)
		for (k = 0; k < s->dirs[i].nargs; k++)
			reach(&o, s->dirs[i].args[k].named);
	reach(&o, gql_schema_type(s, "__Schema"));
	for (i = 0; i < s->ntypes; i++) {
		if (o.mark[i])
			continue;
		t = s->types[i];
		if (strcmp(t->name, "__Meta") == 0) {
			s->meta_schema = gql_type_field(t, "__schema");
			s->meta_type = gql_type_field(t, "__type");
			s->meta_typename = gql_type_field(t, "__typename");
		}
		for (pp = &s->buckets[hash_name(t->name)]; *pp != NULL;
		     pp = &(*pp)->hnext)
			if (*pp == t) {
				*pp = t->hnext;
				break;
			}
	}
	s->types = o.out;
	s->ntypes = o.n;
	return 0;
}

int
gql_schema_build(const char *sdl, size_t len, struct gql_schema **out,
                 struct gql_errors *errs)
{
	struct gql_schema *s;
	struct gql_document *bdoc, *udoc;
	struct build b;
	int nbuiltin, i;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	if ((s->arena = gql_arena_new()) == NULL) {
		free(s);
		return -1;
	}
	memset(&b, 0, sizeof(b));
	b.s = s;
	b.errs = errs;
	b.builtin = 1;
	if (gql_parse(s->arena, gql_builtin_sdl, strlen(gql_builtin_sdl), NULL,
	              &bdoc, errs) != 0)
		goto fail;
	if (register_defs(&b, bdoc) != 0 || fill_defs(&b, bdoc) != 0)
		goto fail;
	nbuiltin = s->ntypes;
	b.builtin = 0;
	if (gql_parse(s->arena, sdl, len, NULL, &udoc, errs) != 0)
		goto fail;
	if (register_defs(&b, udoc) != 0 || fill_defs(&b, udoc) != 0)
		goto fail;
	if (resolve_all(&b, 0, s->ntypes) != 0)
		goto fail;
	for (i = 0; i < s->ndirs; i++) {
		int k;
		b.builtin = s->dirs[i].builtin;
		for (k = 0; k < s->dirs[i].nargs; k++)
			resolve_ref(&b, &s->dirs[i].args[k], 1);
	}
	(void)nbuiltin;
	if (s->query == NULL)
		s->query = gql_schema_type(s, "Query");
	if (s->mutation == NULL)
		s->mutation = gql_schema_type(s, "Mutation");
	if (s->subscription == NULL)
		s->subscription = gql_schema_type(s, "Subscription");
	if (s->query == NULL || s->query->kind != GQL_K_OBJECT)
		gql_error_loc(
		    gql_error_add(errs, "SCHEMA_INVALID",
		                  "Query root type must be provided."),
		    (struct gql_loc){0, 0});
	if (errs->count == 0 && order_types(s) != 0)
		goto fail;
	if (errs->count > 0)
		goto fail;
	*out = s;
	return 0;
fail:
	gql_schema_free(s);
	return -1;
}

void
gql_schema_free(struct gql_schema *s)
{
	if (s == NULL)
		return;
	gql_arena_free(s->arena);
	free(s);
}

/* ---- printing --------------------------------------------------------- */

struct sbuf {
	struct gql_arena *a;
	char *p;
	size_t n, cap;
	int oom;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	char *np;
	size_t nc;

	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		nc = b->cap == 0 ? 64 : b->cap;
		while (nc < b->n + n + 1)
			nc *= 2;
		if ((np = gql_alloc(b->a, nc)) == NULL) {
			b->oom = 1;
			return;
		}
		if (b->n > 0)
			memcpy(np, b->p, b->n);
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void
print_string(struct sbuf *b, const char *s, size_t n)
{
	char esc[8];
	size_t i;
	unsigned char c;

	sb_put(b, "\"", 1);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"')
			sb_str(b, "\\\"");
		else if (c == '\\')
			sb_str(b, "\\\\");
		else if (c == '\n')
			sb_str(b, "\\n");
		else if (c == '\t')
			sb_str(b, "\\t");
		else if (c == '\r')
			sb_str(b, "\\r");
		else if (c == '\b')
			sb_str(b, "\\b");
		else if (c == '\f')
			sb_str(b, "\\f");
		else if (c < 0x20 || c == 0x7F) {
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			sb_str(b, esc);
		} else
			sb_put(b, (const char *)&c, 1);
	}
	sb_put(b, "\"", 1);
}

static int
arg_cmp(const void *x, const void *y)
{
	const struct gql_arg *const *a = x, *const *b = y;

	return strcmp((*a)->name, (*b)->name);
}

/* sorted: object fields by name, and block strings marked (graphql-js
 * prints them as block strings, so they differ from plain ones) */
static void
print_value(struct sbuf *b, const struct gql_value *v, int sorted)
{
	const struct gql_value *it;
	const struct gql_arg *f;
	const struct gql_arg **fs;
	size_t n = 0, i;

	switch (v->kind) {
	case GQL_V_VAR:
		sb_put(b, "$", 1);
		sb_str(b, v->s);
		break;
	case GQL_V_INT:
	case GQL_V_FLOAT:
	case GQL_V_ENUM:
		sb_str(b, v->s);
		break;
	case GQL_V_STRING:
		if (v->b && sorted)
			sb_str(b, "\"\"\"");
		print_string(b, v->s, v->len);
		break;
	case GQL_V_BOOL:
		sb_str(b, v->b ? "true" : "false");
		break;
	case GQL_V_NULL:
		sb_str(b, "null");
		break;
	case GQL_V_LIST:
		sb_put(b, "[", 1);
		for (it = v->items; it != NULL; it = it->next) {
			print_value(b, it, sorted);
			if (it->next != NULL)
				sb_str(b, ", ");
		}
		sb_put(b, "]", 1);
		break;
	case GQL_V_OBJECT:
		for (f = v->fields; f != NULL; f = f->next)
			n++;
		if ((fs = gql_alloc(b->a, (n + 1) * sizeof(*fs))) == NULL) {
			b->oom = 1;
			return;
		}
		for (i = 0, f = v->fields; f != NULL; f = f->next)
			fs[i++] = f;
		if (sorted)
			qsort(fs, n, sizeof(*fs), arg_cmp);
		sb_put(b, "{", 1);
		for (i = 0; i < n; i++) {
			sb_str(b, fs[i]->name);
			sb_str(b, ": ");
			print_value(b, fs[i]->value, sorted);
			if (i + 1 < n)
				sb_str(b, ", ");
		}
		sb_put(b, "}", 1);
		break;
	}
}

char *
gql_print_value(struct gql_arena *a, const struct gql_value *v)
{
	struct sbuf b = {a, NULL, 0, 0, 0};

	print_value(&b, v, 0);
	return b.oom ? NULL : (b.p != NULL ? b.p : gql_strndup(a, "", 0));
}

char *
gql_print_value_sorted(struct gql_arena *a, const struct gql_value *v)
{
	struct sbuf b = {a, NULL, 0, 0, 0};

	print_value(&b, v, 1);
	return b.oom ? NULL : (b.p != NULL ? b.p : gql_strndup(a, "", 0));
}

static void
print_type(struct sbuf *b, const struct gql_typeref *t)
{
	switch (t->kind) {
	case GQL_T_NAMED:
		sb_str(b, t->name);
		break;
	case GQL_T_LIST:
		sb_put(b, "[", 1);
		print_type(b, t->of);
		sb_put(b, "]", 1);
		break;
	case GQL_T_NONNULL:
		print_type(b, t->of);
		sb_put(b, "!", 1);
		break;
	}
}

char *
gql_print_type(struct gql_arena *a, const struct gql_typeref *t)
{
	struct sbuf b = {a, NULL, 0, 0, 0};

	print_type(&b, t);
	return b.oom ? NULL : b.p;
}
