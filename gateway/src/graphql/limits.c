/*
 * limits.c: what an operation would cost, measured on the validated
 * document before anything is fetched. Fragments are expanded (validation
 * has refused cycles; the walk is bounded anyway), so a spread counts
 * wherever it is used. Cost: every field is 1, times the size of each
 * list above it, taken from its first/limit argument (a literal or a
 * variable) or the default list size; a Relay connection counts its first
 * once (not again for its edges or nodes).
 *
 * A field of the schema may say how large its lists are with
 * @listSize(assumedSize, slicingArguments, sizedFields) (the directive of
 * the GraphQL cost specification of IBM): the size is the first slicing
 * argument given (literal or variable), else that argument's default,
 * else assumedSize, else the default list size; with sizedFields the size
 * is that of those child fields (a page's contents), not of the field.
 */
#include <stdlib.h>
#include <string.h>

#include "gql_limits.h"

struct walk {
	const struct gql_schema *s;
	const struct gql_document *doc;
	json_t *vars;
	const struct gql_limits *lim;
	struct gql_limits_seen *seen;
	long steps;
};

static const struct gql_def *
fragment(const struct gql_document *doc, const char *name)
{
	const struct gql_def *d, *found = NULL;

	for (d = doc->defs; d != NULL; d = d->next)
		if (d->kind == GQL_D_FRAGMENT && strcmp(d->name, name) == 0)
			found = d;
	return found;
}

/* An integer argument's value in the operation: a literal or a
 * variable; -1 when absent or not an integer. */
static double
int_arg(struct walk *w, const struct gql_selection *s, const char *name)
{
	const struct gql_arg *a;
	json_t *v;

	for (a = s->args; a != NULL; a = a->next) {
		if (strcmp(a->name, name) != 0)
			continue;
		if (a->value->kind == GQL_V_INT)
			return strtod(a->value->s, NULL);
		if (a->value->kind == GQL_V_VAR &&
		    (v = json_object_get(w->vars, a->value->s)) != NULL &&
		    json_is_integer(v))
			return (double)json_integer_value(v);
	}
	return -1;
}

/* The size @listSize gives field f as selected by s; -1 without one. */
static double
declared_size(struct walk *w, const struct gql_field *f,
              const struct gql_selection *s)
{
	struct gql_directive *d = gql_directive_find(f->directives, "listSize");
	const struct gql_value *v, *it;
	const struct gql_field *ad;
	double n;

	if (d == NULL)
		return -1;
	v = gql_directive_arg(d, "slicingArguments");
	for (it = v == NULL               ? NULL
	          : v->kind == GQL_V_LIST ? v->items
	                                  : v;
	     it != NULL; it = it->next) {
		if (it->kind != GQL_V_STRING)
			continue;
		if ((n = int_arg(w, s, it->s)) >= 0)
			return n;
		ad = gql_field_arg(f->args, f->nargs, it->s);
		if (ad != NULL && ad->defval != NULL &&
		    ad->defval->kind == GQL_V_INT)
			return strtod(ad->defval->s, NULL);
	}
	v = gql_directive_arg(d, "assumedSize");
	if (v != NULL && v->kind == GQL_V_INT)
		return strtod(v->s, NULL);
	return w->lim->default_list_size;
}

/* The sizedFields of f's @listSize, or NULL. */
static const struct gql_value *
sized_fields(const struct gql_field *f)
{
	struct gql_directive *d =
	    f != NULL ? gql_directive_find(f->directives, "listSize") : NULL;

	return d != NULL ? gql_directive_arg(d, "sizedFields") : NULL;
}

/* 1 if name is one of the sizedFields of f's @listSize. */
static int
sized_child(const struct gql_field *f, const char *name)
{
	const struct gql_value *v = sized_fields(f), *it;

	for (it = v == NULL               ? NULL
	          : v->kind == GQL_V_LIST ? v->items
	                                  : v;
	     it != NULL; it = it->next)
		if (it->kind == GQL_V_STRING && strcmp(it->s, name) == 0)
			return 1;
	return 0;
}

/* the list size a field asks for: first/limit, else the default */
static double
list_size(struct walk *w, const struct gql_selection *s)
{
	static const char *const names[] = {"first", "limit", "last"};
	double n;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((n = int_arg(w, s, names[i])) >= 0)
			return n;
	return w->lim->default_list_size;
}

static int
is_list(const struct gql_typeref *t)
{
	while (t != NULL && t->kind == GQL_T_NONNULL)
		t = t->of;
	return t != NULL && t->kind == GQL_T_LIST;
}

/* Connections count as lists: their edges/nodes hold first items. */
static int
is_connection(const struct gql_field *f)
{
	return f != NULL && f->named != NULL && strlen(f->named->name) > 10 &&
	       strcmp(f->named->name + strlen(f->named->name) - 10,
	              "Connection") == 0;
}

static int
is_connection_type(const struct gql_type *t)
{
	size_t n = t != NULL ? strlen(t->name) : 0;

	return n > 10 && strcmp(t->name + n - 10, "Connection") == 0;
}

/* sizer: the field (with @listSize sizedFields) the selection is under,
 * and size its size; NULL otherwise. */
static void
walk_sel(struct walk *w, const struct gql_type *parent,
         const struct gql_selection *sel, int depth, double mult, int root,
         const struct gql_field *sizer, double size)
{
	const struct gql_selection *s;
	const struct gql_field *f;
	const struct gql_def *fr;
	const struct gql_type *t;
	double m, n, ns;

	for (s = sel; s != NULL; s = s->next) {
		if (++w->steps > 100000 || depth > 1000)
			return;
		switch (s->kind) {
		case GQL_SEL_FIELD:
			if (root)
				w->seen->root_fields++;
			if (s->alias != NULL)
				w->seen->aliases++;
			if (depth + 1 > w->seen->depth)
				w->seen->depth = depth + 1;
			w->seen->cost += mult;
			f = parent != NULL ? gql_type_field(parent, s->name)
			                   : NULL;
			m = mult;
			ns = -1;
			n = f != NULL ? declared_size(w, f, s) : -1;
			/* a connection's size is its first; its own edges and
			 * nodes lists are those items, not more */
			if (sizer != NULL && sized_child(sizer, s->name))
				m = mult * size;
			else if (n >= 0 && sized_fields(f) != NULL)
				ns = n; /* its sized fields are the list */
			else if (n >= 0 && is_list(f->type))
				m = mult * n;
			else if (f != NULL && is_connection(f))
				m = mult * list_size(w, s);
			else if (f != NULL && is_list(f->type) &&
			         !is_connection_type(parent))
				m = mult * list_size(w, s);
			if (s->has_sel)
				walk_sel(w, f != NULL ? f->named : NULL, s->sel,
				         depth + 1, m, 0, ns >= 0 ? f : NULL,
				         ns);
			break;
		case GQL_SEL_INLINE:
			t = s->type_cond != NULL
			        ? gql_schema_type(w->s, s->type_cond)
			        : parent;
			walk_sel(w, t, s->sel, depth, mult, root, sizer, size);
			break;
		case GQL_SEL_SPREAD:
			if ((fr = fragment(w->doc, s->name)) != NULL)
				walk_sel(
				    w, gql_schema_type(w->s, fr->type_cond),
				    fr->sel, depth, mult, root, sizer, size);
			break;
		}
	}
}

static int
count_directives(const struct gql_selection *sel, int n)
{
	const struct gql_selection *s;
	const struct gql_directive *d;

	for (s = sel; s != NULL; s = s->next) {
		for (d = s->directives; d != NULL; d = d->next)
			n++;
		if (s->has_sel)
			n = count_directives(s->sel, n);
	}
	return n;
}

int
gql_limits_check(const struct gql_schema *s, const struct gql_document *doc,
                 const struct gql_def *op, json_t *vars,
                 const struct gql_limits *lim, struct gql_limits_seen *seen,
                 struct gql_errors *errs)
{
	struct walk w = {s, doc, vars, lim, seen, 0};
	const struct gql_def *d;
	const struct gql_type *root;
	struct gql_error *e;
	int before = errs->count;

	memset(seen, 0, sizeof(*seen));
	for (d = doc->defs; d != NULL; d = d->next) {
		const struct gql_directive *dir;
		for (dir = d->directives; dir != NULL; dir = dir->next)
			seen->directives++;
		if (d->sel != NULL)
			seen->directives =
			    count_directives(d->sel, seen->directives);
	}
	root = op->op == GQL_OP_MUTATION ? s->mutation : s->query;
	walk_sel(&w, root, op->sel, 0, 1.0, 1, NULL, 0);
	if (lim->max_depth > 0 && seen->depth > lim->max_depth) {
		e = gql_error_add(
		    errs, "QUERY_TOO_DEEP",
		    "The operation nests %d fields deep; at most %d are "
		    "allowed.",
		    seen->depth, lim->max_depth);
		gql_error_loc(e, op->loc);
	}
	if (lim->max_aliases > 0 && seen->aliases > lim->max_aliases)
		gql_error_loc(
		    gql_error_add(errs, "TOO_MANY_ALIASES",
		                  "The operation uses %d aliases; at most %d "
		                  "are allowed.",
		                  seen->aliases, lim->max_aliases),
		    op->loc);
	if (lim->max_root_fields > 0 &&
	    seen->root_fields > lim->max_root_fields)
		gql_error_loc(
		    gql_error_add(errs, "TOO_MANY_ROOT_FIELDS",
		                  "The operation selects %d root fields; at "
		                  "most %d are allowed.",
		                  seen->root_fields, lim->max_root_fields),
		    op->loc);
	if (lim->max_directives > 0 && seen->directives > lim->max_directives)
		gql_error_loc(
		    gql_error_add(errs, "TOO_MANY_DIRECTIVES",
		                  "The document uses %d directives; at most %d "
		                  "are allowed.",
		                  seen->directives, lim->max_directives),
		    op->loc);
	if (lim->max_cost > 0 && seen->cost > lim->max_cost)
		gql_error_loc(
		    gql_error_add(errs, "QUERY_TOO_COSTLY",
		                  "The operation's cost is %.0f; at most %.0f "
		                  "is allowed (a field costs 1, times the "
		                  "first/limit of each list above it, %d when "
		                  "not given).",
		                  seen->cost, lim->max_cost,
		                  lim->default_list_size),
		    op->loc);
	return errs->count > before ? -1 : 0;
}
