/*
 * personal.c: the gateway's rule for personal data in documents (not one
 * of the specification's rules; gql_validate runs it after them).
 *
 * An argument or input field marked @personal in the schema takes its
 * value only from a variable. A document may be kept -- an automatic
 * persisted query lives 30 days in Redis, a client logs what it sends --
 * while variables are not, so a literal for such a position (a string, an
 * input object or list holding such a field at any depth, or the default
 * value of a variable used there) is refused with PERSONAL_DATA_LITERAL.
 * A null literal holds nothing and passes.
 *
 * The walk is typed like the validator's: each operation and fragment on
 * its own from its root or type condition, so every field is seen once
 * whatever spreads it. Unknown fields and types are skipped (the
 * specification's rules report them). Recursion is bounded by the
 * parser's nesting limit, input types by PERSONAL_MAX_DEPTH, and
 * gql_personal_operation enters each fragment once.
 */
#include <stdlib.h>
#include <string.h>

#include "gql_schema.h"

#define PERSONAL_CODE "PERSONAL_DATA_LITERAL"
#define PERSONAL_MAX_DEPTH 16

struct pwalk {
	const struct gql_schema *s;
	const struct gql_document *doc;
	struct gql_errors *errs;
	/* variable definitions already refused (one error each) */
	const struct gql_vardef **done;
	int ndone, capdone;
	/* gql_personal_operation: the fragments entered so far (each once:
	 * a fragment's walk does not depend on where it is spread, and a
	 * document spreading each fragment twice into the next would
	 * otherwise cost 2^n walks) */
	const struct gql_def **entered;
	int nentered, capentered;
	int found;
};

static int
is_personal(const struct gql_field *f)
{
	return f != NULL &&
	       gql_directive_find(f->directives, "personal") != NULL;
}

static const struct gql_typeref *
nullable(const struct gql_typeref *t)
{
	return t != NULL && t->kind == GQL_T_NONNULL ? t->of : t;
}

/* 1 when the input type t holds a @personal field (at any depth). */
static int
type_personal(const struct gql_type *t, int depth)
{
	int i;

	if (t == NULL || t->kind != GQL_K_INPUT || depth > PERSONAL_MAX_DEPTH)
		return 0;
	for (i = 0; i < t->nfields; i++)
		if (is_personal(&t->fields[i]) ||
		    type_personal(t->fields[i].named, depth + 1))
			return 1;
	return 0;
}

static int
vardef_done(struct pwalk *w, const struct gql_vardef *vd)
{
	const struct gql_vardef **grown;
	int i, cap;

	for (i = 0; i < w->ndone; i++)
		if (w->done[i] == vd)
			return 1;
	if (w->ndone == w->capdone) {
		cap = w->capdone ? 2 * w->capdone : 8;
		grown = gql_alloc(w->errs->arena, (size_t)cap * sizeof(*grown));
		if (grown == NULL)
			return 0;
		if (w->ndone > 0)
			memcpy(grown, w->done,
			       (size_t)w->ndone * sizeof(*grown));
		w->done = grown;
		w->capdone = cap;
	}
	w->done[w->ndone++] = vd;
	return 0;
}

/* A variable used where personal data goes: its default, in any
 * operation defining it, would be a literal of it. */
static void
refuse_defaults(struct pwalk *w, const char *name, const char *what)
{
	const struct gql_def *d;
	const struct gql_vardef *vd;

	for (d = w->doc->defs; d != NULL; d = d->next) {
		if (d->kind != GQL_D_OPERATION)
			continue;
		for (vd = d->vars; vd != NULL; vd = vd->next)
			if (strcmp(vd->name, name) == 0 && vd->defval != NULL &&
			    vd->defval->kind != GQL_V_NULL &&
			    !vardef_done(w, vd))
				gql_error_loc(
				    gql_error_add(
				        w->errs, PERSONAL_CODE,
				        "Variable \"$%s\" gives %s, "
				        "which is personal data: it "
				        "may not have a default value "
				        "in the document.",
				        name, what),
				    vd->defval->loc);
	}
}

/*
 * Checks a value at a position of type t. what names the position for the
 * message ("argument \"name\" of field \"Query.persons\""); personal: the
 * position itself is @personal.
 */
static void
check_value(struct pwalk *w, const struct gql_value *v,
            const struct gql_typeref *t, int personal, const char *what)
{
	const struct gql_typeref *nt = nullable(t);
	const struct gql_type *it;
	const struct gql_value *item;
	const struct gql_field *fd;
	const struct gql_arg *f;
	const char *inner;

	if (v == NULL || v->kind == GQL_V_NULL)
		return;
	if (v->kind == GQL_V_VAR) {
		/* a default holding a @personal input field is found by
		 * gql_personal_check's pass over the variables */
		if (personal)
			refuse_defaults(w, v->s, what);
		return;
	}
	if (personal) {
		gql_error_loc(
		    gql_error_add(w->errs, PERSONAL_CODE,
		                  "The %s is personal data: give it "
		                  "as a variable, not as a literal in "
		                  "the document.",
		                  what),
		    v->loc);
		return;
	}
	switch (v->kind) {
	case GQL_V_LIST:
		nt = nt != NULL && nt->kind == GQL_T_LIST ? nt->of : NULL;
		for (item = v->items; item != NULL; item = item->next)
			check_value(w, item, nt, 0, what);
		return;
	case GQL_V_OBJECT:
		it = gql_typeref_named(w->s, nt);
		if (it == NULL || it->kind != GQL_K_INPUT)
			return;
		for (f = v->fields; f != NULL; f = f->next) {
			if ((fd = gql_type_field(it, f->name)) == NULL)
				continue;
			inner = gql_sprintf(w->errs->arena,
			                    "input field \"%s.%s\" (in the %s)",
			                    it->name, fd->name, what);
			check_value(w, f->value, fd->type, is_personal(fd),
			            inner != NULL ? inner : what);
		}
		return;
	default:
		return;
	}
}

/* The arguments given to a field (owner "Type.field") or a directive
 * (owner "@name"). */
static void
check_args(struct pwalk *w, const struct gql_arg *args,
           const struct gql_field *defs, int ndefs, const char *kind,
           const char *owner)
{
	const struct gql_arg *a;
	const struct gql_field *d;
	const char *what;

	for (a = args; a != NULL; a = a->next) {
		if ((d = gql_field_arg(defs, ndefs, a->name)) == NULL)
			continue;
		if (w->errs == NULL) { /* gql_personal_operation */
			if (is_personal(d) || type_personal(d->named, 0))
				w->found = 1;
			continue;
		}
		what =
		    gql_sprintf(w->errs->arena, "argument \"%s\" of %s \"%s\"",
		                a->name, kind, owner);
		check_value(w, a->value, d->type, is_personal(d),
		            what != NULL ? what : a->name);
	}
}

static void
check_directives(struct pwalk *w, const struct gql_directive *dirs)
{
	const struct gql_directive *d;
	const struct gql_dirdef *dd;

	for (d = dirs; d != NULL; d = d->next)
		if ((dd = gql_schema_directive(w->s, d->name)) != NULL)
			check_args(w, d->args, dd->args, dd->nargs, "directive",
			           d->name);
}

static const struct gql_def *
fragment(const struct pwalk *w, const char *name)
{
	const struct gql_def *d;

	for (d = w->doc->defs; d != NULL; d = d->next)
		if (d->kind == GQL_D_FRAGMENT && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* 1 the first time fragment fr is entered (recorded), else 0; also 0 when
 * the set is full (every fragment of the document fits: see
 * gql_personal_operation). */
static int
enter(struct pwalk *w, const struct gql_def *fr)
{
	int i;

	for (i = 0; i < w->nentered; i++)
		if (w->entered[i] == fr)
			return 0;
	if (w->nentered == w->capentered)
		return 0;
	w->entered[w->nentered++] = fr;
	return 1;
}

/* spreads: enter fragments (gql_personal_operation), else skip them */
static void
walk(struct pwalk *w, const struct gql_type *parent,
     const struct gql_selection *sel, int spreads)
{
	const struct gql_selection *s;
	const struct gql_field *fd;
	const struct gql_def *fr;
	const char *owner;

	for (s = sel; s != NULL && !w->found; s = s->next) {
		check_directives(w, s->directives);
		switch (s->kind) {
		case GQL_SEL_FIELD:
			fd = parent != NULL && (parent->kind == GQL_K_OBJECT ||
			                        parent->kind == GQL_K_INTERFACE)
			         ? gql_type_field(parent, s->name)
			         : NULL;
			if (fd == NULL)
				break;
			owner = w->errs != NULL
			            ? gql_sprintf(w->errs->arena, "%s.%s",
			                          parent->name, fd->name)
			            : fd->name;
			check_args(w, s->args, fd->args, fd->nargs, "field",
			           owner != NULL ? owner : fd->name);
			if (s->has_sel)
				walk(w, fd->named, s->sel, spreads);
			break;
		case GQL_SEL_INLINE:
			walk(w,
			     s->type_cond != NULL
			         ? gql_schema_type(w->s, s->type_cond)
			         : parent,
			     s->sel, spreads);
			break;
		case GQL_SEL_SPREAD:
			if (!spreads || (fr = fragment(w, s->name)) == NULL ||
			    !enter(w, fr))
				break;
			walk(w, gql_schema_type(w->s, fr->type_cond), fr->sel,
			     spreads);
			break;
		}
	}
}

static const char *
default_of(struct pwalk *w, const struct gql_vardef *vd)
{
	const char *what =
	    gql_sprintf(w->errs->arena, "default value of \"$%s\"", vd->name);

	return what != NULL ? what : vd->name;
}

static const struct gql_type *
root_of(const struct gql_schema *s, const struct gql_def *op)
{
	return op->op == GQL_OP_QUERY      ? s->query
	       : op->op == GQL_OP_MUTATION ? s->mutation
	                                   : s->subscription;
}

/*
 * The rule over a whole executable document (gql_validate calls it after
 * the specification's rules). Returns 0, or -1 with one
 * PERSONAL_DATA_LITERAL error per literal in errs (whose arena holds the
 * messages).
 */
int
gql_personal_check(const struct gql_schema *s, const struct gql_document *doc,
                   struct gql_errors *errs)
{
	struct pwalk w;
	const struct gql_def *d;
	const struct gql_vardef *vd;
	int before = errs->count;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.doc = doc;
	w.errs = errs;
	for (d = doc->defs; d != NULL; d = d->next) {
		if (d->kind == GQL_D_OPERATION) {
			check_directives(&w, d->directives);
			walk(&w, root_of(s, d), d->sel, 0);
		} else if (d->kind == GQL_D_FRAGMENT) {
			check_directives(&w, d->directives);
			walk(&w, gql_schema_type(s, d->type_cond), d->sel, 0);
		}
	}
	/* a variable's default holding a @personal input field */
	for (d = doc->defs; d != NULL; d = d->next)
		if (d->kind == GQL_D_OPERATION)
			for (vd = d->vars; vd != NULL; vd = vd->next)
				if (vd->defval != NULL && !vardef_done(&w, vd))
					check_value(&w, vd->defval, vd->type, 0,
					            default_of(&w, vd));
	return errs->count > before ? -1 : 0;
}

int
gql_personal_operation(const struct gql_schema *s,
                       const struct gql_document *doc, const struct gql_def *op)
{
	struct pwalk w;
	const struct gql_def *d;
	int nfrags = 0;

	if (op == NULL || op->kind != GQL_D_OPERATION)
		return 0;
	memset(&w, 0, sizeof(w));
	w.s = s;
	w.doc = doc;
	for (d = doc->defs; d != NULL; d = d->next)
		nfrags += d->kind == GQL_D_FRAGMENT;
	if (nfrags > 0 &&
	    (w.entered = calloc((size_t)nfrags, sizeof(*w.entered))) == NULL)
		return 1; /* out of memory: refused, as if personal */
	w.capentered = nfrags;
	check_directives(&w, op->directives);
	walk(&w, root_of(s, op), op->sel, 1);
	free(w.entered);
	return w.found;
}
