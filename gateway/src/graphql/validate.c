/*
 * validate.c: the rules of the specification's section 5, as graphql-js 16
 * lists them in specifiedRules (plus its MaxIntrospectionDepthRule), with
 * the same error locations: tests/graphql/ holds a corpus that both run.
 *
 * One typed walk per definition (operation or fragment, as graphql-js
 * visits each definition on its own) checks the rules that need the type
 * in scope and records the variable usages with their expected types; the
 * rules over the whole document (names, fragments, cycles, variables of an
 * operation through its fragments) run after. Field merging follows
 * graphql-js' algorithm (collect by response name, compare pairs, memoise
 * compared fragment pairs). Every recursion is bounded by the parser's
 * nesting limit; fragment recursion by the document's fragment count.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gql_schema.h"

#define VCODE "GRAPHQL_VALIDATION_FAILED"

struct usage {
	const char *name;
	struct gql_loc loc;
	const struct gql_typeref *type; /* expected; NULL when unknown */
	const struct gql_type *parent;  /* input object holding it */
	int loc_default;                /* the position has a default */
	struct usage *next;
};

struct defusage {
	const struct gql_def *def;
	struct usage *head, **tail;
};

/* a set of strings (pairs are keyed "a\x01b\x01flag") */
struct sset {
	char **slot;
	size_t cap, n;
};

struct nad {
	const struct gql_type *parent;
	const struct gql_selection *node;
	const struct gql_field *def;
};

struct rentry {
	const char *name;
	struct nad *items;
	int n, cap;
};

struct fmap {
	const struct gql_selection *key;
	struct rentry *e;
	int n, cap;
	const char **frags;
	int nfrags, capfrags;
	struct fmap *hnext;
};

struct conflict {
	struct gql_loc *l1, *l2;
	int n1, n2;
	struct conflict *next;
};

struct vctx {
	const struct gql_schema *s;
	const struct gql_document *doc;
	const struct gql_validate_opts *o;
	struct gql_errors *errs;
	struct gql_arena *a;
	const struct gql_def **frags;
	int nfrags;
	struct defusage *du;
	int ndu;
	struct defusage *cur;
	struct fmap *fcache[256];
	struct sset cmp_ff, cmp_frag;
	long budget; /* steps left for the exponential-prone rules */
	/* TypeInfo's field definition in scope: graphql-js types the
	 * arguments of an unknown directive with it */
	const struct gql_field *cur_field;
	/* the operation whose variables ValuesOfCorrectType sees (graphql-js
	 * keeps the last operation's map, also inside later fragments) */
	const struct gql_def *var_op;
};

static struct gql_error *report(struct vctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void walk_selset(struct vctx *, const struct gql_type *,
                        const struct gql_selection *, struct gql_loc);
static void check_directives(struct vctx *, const struct gql_directive *,
                             enum gql_dirloc);
static void check_value(struct vctx *, const struct gql_value *,
                        const struct gql_typeref *);
static void collect_usages(struct vctx *, const struct gql_value *,
                           const struct gql_typeref *, int,
                           const struct gql_type *);
static void unique_input_fields(struct vctx *, const struct gql_value *);
static void find_conflicts_within(struct vctx *, const struct gql_type *,
                                  const struct gql_selection *,
                                  struct conflict **);

static struct gql_error *
report(struct vctx *c, const char *fmt, ...)
{
	va_list ap;
	char buf[768];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return gql_error_add(c->errs, VCODE, "%s", buf);
}

static void
report1(struct vctx *c, struct gql_loc l, const char *msg)
{
	gql_error_loc(report(c, "%s", msg), l);
}

static void *
v_alloc(struct vctx *c, size_t n)
{
	/* the arena is the caller's; on exhaustion rules degrade to
	 * reporting nothing more (the count limit stops the work) */
	return gql_alloc(c->a, n);
}

/* ---- string sets -------------------------------------------------------- */

static unsigned long
strhash(const char *s)
{
	unsigned long h = 1469598103UL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619UL;
	return h;
}

static int
sset_has(struct sset *ss, const char *k)
{
	size_t i;

	if (ss->cap == 0)
		return 0;
	for (i = strhash(k) & (ss->cap - 1); ss->slot[i] != NULL;
	     i = (i + 1) & (ss->cap - 1))
		if (strcmp(ss->slot[i], k) == 0)
			return 1;
	return 0;
}

static void
sset_add(struct vctx *c, struct sset *ss, const char *k)
{
	char **old = ss->slot;
	size_t oc = ss->cap, i, j;

	if (sset_has(ss, k))
		return;
	if ((ss->n + 1) * 2 > ss->cap) {
		size_t nc = ss->cap == 0 ? 64 : ss->cap * 2;
		char **ns = v_alloc(c, nc * sizeof(*ns));
		if (ns == NULL)
			return;
		ss->slot = ns;
		ss->cap = nc;
		for (j = 0; j < oc; j++)
			if (old[j] != NULL) {
				for (i = strhash(old[j]) & (nc - 1);
				     ns[i] != NULL; i = (i + 1) & (nc - 1))
					;
				ns[i] = old[j];
			}
	}
	for (i = strhash(k) & (ss->cap - 1); ss->slot[i] != NULL;
	     i = (i + 1) & (ss->cap - 1))
		;
	ss->slot[i] = gql_strndup(c->a, k, strlen(k));
	ss->n++;
}

/* ---- types ---------------------------------------------------------- */

static const struct gql_type *
named(struct vctx *c, const struct gql_typeref *t)
{
	return gql_typeref_named(c->s, t);
}

/* typeFromAST: NULL when the named type is unknown */
static int
type_known(struct vctx *c, const struct gql_typeref *t)
{
	return t != NULL && named(c, t) != NULL;
}

/* graphql-js isInputType of a typeref (wrappers around an input type) */
static int
ref_is_input(struct vctx *c, const struct gql_typeref *t)
{
	return gql_is_input_type(named(c, t));
}

static const struct gql_typeref *
nullable(const struct gql_typeref *t)
{
	return t != NULL && t->kind == GQL_T_NONNULL ? t->of : t;
}

static int
ref_equal(const struct gql_typeref *a, const struct gql_typeref *b)
{
	while (a != NULL && b != NULL) {
		if (a->kind != b->kind)
			return 0;
		if (a->kind == GQL_T_NAMED)
			return strcmp(a->name, b->name) == 0;
		a = a->of;
		b = b->of;
	}
	return 0;
}

static int
is_subtype(struct vctx *c, const struct gql_typeref *sub,
           const struct gql_typeref *sup)
{
	const struct gql_type *ts, *tp;

	if (ref_equal(sub, sup))
		return 1;
	if (sup->kind == GQL_T_NONNULL)
		return sub->kind == GQL_T_NONNULL &&
		       is_subtype(c, sub->of, sup->of);
	if (sub->kind == GQL_T_NONNULL)
		return is_subtype(c, sub->of, sup);
	if (sup->kind == GQL_T_LIST)
		return sub->kind == GQL_T_LIST &&
		       is_subtype(c, sub->of, sup->of);
	if (sub->kind == GQL_T_LIST)
		return 0;
	ts = named(c, sub);
	tp = named(c, sup);
	return tp != NULL && ts != NULL && ts->kind == GQL_K_OBJECT &&
	       (tp->kind == GQL_K_INTERFACE || tp->kind == GQL_K_UNION) &&
	       gql_type_possible(tp, ts);
}

static int
types_overlap(const struct gql_type *a, const struct gql_type *b)
{
	int i;

	if (a == b)
		return 1;
	if (a->kind == GQL_K_INTERFACE || a->kind == GQL_K_UNION) {
		if (b->kind == GQL_K_INTERFACE || b->kind == GQL_K_UNION) {
			for (i = 0; i < a->npossible; i++)
				if (gql_type_possible(b, a->possible[i]))
					return 1;
			return 0;
		}
		return gql_type_possible(a, b);
	}
	if (b->kind == GQL_K_INTERFACE || b->kind == GQL_K_UNION)
		return gql_type_possible(b, a);
	return 0;
}

static const char *
tstr(struct vctx *c, const struct gql_typeref *t)
{
	const char *s = gql_print_type(c->a, t);

	return s != NULL ? s : "?";
}

/* TypeInfo's getFieldDef, with the meta fields. */
static const struct gql_field *
field_def(struct vctx *c, const struct gql_type *parent, const char *name)
{
	if (parent == NULL)
		return NULL;
	if (strcmp(name, "__schema") == 0 && parent == c->s->query)
		return c->s->meta_schema;
	if (strcmp(name, "__type") == 0 && parent == c->s->query)
		return c->s->meta_type;
	if (strcmp(name, "__typename") == 0 && gql_is_composite(parent))
		return c->s->meta_typename;
	if (parent->kind == GQL_K_OBJECT || parent->kind == GQL_K_INTERFACE)
		return gql_type_field(parent, name);
	return NULL;
}

static const struct gql_def *
fragment(struct vctx *c, const char *name)
{
	int i;

	/* the last definition of a name wins, as in graphql-js */
	for (i = c->nfrags - 1; i >= 0; i--)
		if (strcmp(c->frags[i]->name, name) == 0)
			return c->frags[i];
	return NULL;
}

/* ---- suggestions ---------------------------------------------------- */

static size_t
lexical_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, best;

	if (la > 64 || lb > 64)
		return 99;
	row = calloc(lb + 1, sizeof(*row));
	if (row == NULL)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev +
			       ((a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/* " Did you mean \"x\"?" for the closest of names, or "". */
static const char *
did_you_mean(struct vctx *c, const char *input, const char *const *names, int n)
{
	size_t best = 99, d, thr = strlen(input) / 2 + 1;
	const char *pick = NULL;
	int i;

	if (!c->o->suggestions)
		return "";
	for (i = 0; i < n; i++) {
		d = lexical_distance(input, names[i]);
		if (d <= thr && d < best) {
			best = d;
			pick = names[i];
		}
	}
	return pick != NULL ? gql_sprintf(c->a, " Did you mean \"%s\"?", pick)
	                    : "";
}

static const char *
suggest_field(struct vctx *c, const struct gql_field *f, int n,
              const char *name)
{
	const char **names;
	int i;

	if (!c->o->suggestions || n == 0 ||
	    (names = v_alloc(c, (size_t)n * sizeof(*names))) == NULL)
		return "";
	for (i = 0; i < n; i++)
		names[i] = f[i].name;
	return did_you_mean(c, name, names, n);
}

/* ---- values ----------------------------------------------------------- */

static int
int32_literal(const struct gql_value *v)
{
	double d = strtod(v->s, NULL);

	return d <= 2147483647.0 && d >= -2147483648.0;
}

/* parseLiteral of a leaf type: 0 when the literal is acceptable. */
static int
leaf_literal_ok(const struct gql_type *t, const struct gql_value *v)
{
	if (t->kind == GQL_K_ENUM)
		return v->kind == GQL_V_ENUM && gql_type_field(t, v->s) != NULL;
	if (!t->builtin)
		return 1; /* custom scalars take any literal */
	if (strcmp(t->name, "Int") == 0)
		return v->kind == GQL_V_INT && int32_literal(v);
	if (strcmp(t->name, "Float") == 0)
		return v->kind == GQL_V_INT || v->kind == GQL_V_FLOAT;
	if (strcmp(t->name, "String") == 0)
		return v->kind == GQL_V_STRING;
	if (strcmp(t->name, "Boolean") == 0)
		return v->kind == GQL_V_BOOL;
	if (strcmp(t->name, "ID") == 0)
		return v->kind == GQL_V_STRING || v->kind == GQL_V_INT;
	return 1;
}

/* isValidValueNode: the literal against the location's type */
static void
valid_value_node(struct vctx *c, const struct gql_value *v,
                 const struct gql_typeref *t)
{
	const struct gql_type *nt;
	const char *p;

	if (t == NULL)
		return;
	nt = named(c, t);
	if (nt == NULL)
		return;
	if (gql_is_leaf(nt) && leaf_literal_ok(nt, v))
		return;
	p = gql_print_value(c->a, v);
	gql_error_loc(report(c, "Expected value of type \"%s\", found %s.",
	                     tstr(c, t), p != NULL ? p : "?"),
	              v->loc);
}

/* ValuesOfCorrectTypeRule for one value at a position of type t (NULL:
 * unknown position). */
static void
check_value(struct vctx *c, const struct gql_value *v,
            const struct gql_typeref *t)
{
	const struct gql_typeref *nt;
	const struct gql_type *it;
	const struct gql_value *item;
	const struct gql_arg *f, *g;
	const struct gql_field *fd;
	int i, nkeys;

	switch (v->kind) {
	case GQL_V_VAR:
		return;
	case GQL_V_NULL:
		if (t != NULL && t->kind == GQL_T_NONNULL)
			gql_error_loc(report(c,
			                     "Expected value of type \"%s\", "
			                     "found null.",
			                     tstr(c, t)),
			              v->loc);
		return;
	case GQL_V_LIST:
		nt = nullable(t);
		if (nt == NULL || nt->kind != GQL_T_LIST) {
			valid_value_node(c, v, nt);
			return;
		}
		for (item = v->items; item != NULL; item = item->next)
			check_value(c, item, nt->of);
		return;
	case GQL_V_OBJECT:
		it = t != NULL ? named(c, t) : NULL;
		if (it == NULL || it->kind != GQL_K_INPUT) {
			valid_value_node(c, v, t);
			return;
		}
		for (i = 0; i < it->nfields; i++) {
			fd = &it->fields[i];
			for (f = v->fields; f != NULL; f = f->next)
				if (strcmp(f->name, fd->name) == 0)
					break;
			if (f == NULL && fd->type->kind == GQL_T_NONNULL &&
			    fd->defval == NULL)
				gql_error_loc(
				    report(c,
				           "Field \"%s.%s\" of required "
				           "type \"%s\" was not "
				           "provided.",
				           it->name, fd->name,
				           tstr(c, fd->type)),
				    v->loc);
		}
		if (it->oneof) {
			nkeys = 0;
			for (f = v->fields; f != NULL; f = f->next) {
				for (g = v->fields; g != f; g = g->next)
					if (strcmp(g->name, f->name) == 0)
						break;
				nkeys += g == f;
			}
			if (nkeys != 1)
				gql_error_loc(
				    report(c,
				           "OneOf Input Object \"%s\" must "
				           "specify exactly one key.",
				           it->name),
				    v->loc);
			else if (v->fields->value->kind == GQL_V_NULL)
				gql_error_loc(report(c,
				                     "Field \"%s.%s\" must be "
				                     "non-null.",
				                     it->name, v->fields->name),
				              v->loc);
			else if (v->fields->value->kind == GQL_V_VAR &&
			         c->var_op != NULL) {
				const struct gql_vardef *vd, *last = NULL;
				for (vd = c->var_op->vars; vd != NULL;
				     vd = vd->next)
					if (strcmp(vd->name,
					           v->fields->value->s) == 0)
						last = vd;
				if (last != NULL &&
				    last->type->kind != GQL_T_NONNULL)
					gql_error_loc(
					    report(c,
					           "Variable \"%s\" must "
					           "be non-nullable to be "
					           "used for OneOf Input "
					           "Object \"%s\".",
					           last->name, it->name),
					    v->loc);
			}
		}
		for (f = v->fields; f != NULL; f = f->next) {
			fd = gql_type_field(it, f->name);
			if (fd == NULL) {
				gql_error_loc(
				    report(c,
				           "Field \"%s\" is not defined "
				           "by type \"%s\".%s",
				           f->name, it->name,
				           suggest_field(c, it->fields,
				                         it->nfields, f->name)),
				    f->loc);
				check_value(c, f->value, NULL);
				continue;
			}
			check_value(c, f->value, fd->type);
		}
		return;
	default:
		valid_value_node(c, v, t);
		return;
	}
}

/* UniqueInputFieldNamesRule over every object in a value */
static void
unique_input_fields(struct vctx *c, const struct gql_value *v)
{
	const struct gql_value *item;
	const struct gql_arg *f, *g;

	if (v->kind == GQL_V_LIST)
		for (item = v->items; item != NULL; item = item->next)
			unique_input_fields(c, item);
	if (v->kind != GQL_V_OBJECT)
		return;
	for (f = v->fields; f != NULL; f = f->next) {
		for (g = v->fields; g != f; g = g->next)
			if (strcmp(g->name, f->name) == 0)
				break;
		if (g != f) {
			struct gql_error *e = report(
			    c,
			    "There can be only one input field named \"%s\".",
			    f->name);
			gql_error_loc(e, g->loc);
			gql_error_loc(e, f->loc);
		}
		unique_input_fields(c, f->value);
	}
}

/* Records the variables of a value with the type their position expects. */
static void
collect_usages(struct vctx *c, const struct gql_value *v,
               const struct gql_typeref *t, int has_default,
               const struct gql_type *parent)
{
	const struct gql_value *item;
	const struct gql_typeref *lt;
	const struct gql_arg *f;
	const struct gql_type *it;
	const struct gql_field *fd;
	struct usage *u;

	switch (v->kind) {
	case GQL_V_VAR:
		if (c->cur == NULL || (u = v_alloc(c, sizeof(*u))) == NULL)
			return;
		u->name = v->s;
		u->loc = v->loc;
		u->type = t != NULL && ref_is_input(c, t) ? t : NULL;
		u->loc_default = has_default;
		u->parent = parent;
		*c->cur->tail = u;
		c->cur->tail = &u->next;
		return;
	case GQL_V_LIST:
		lt = nullable(t);
		lt = lt != NULL && lt->kind == GQL_T_LIST ? lt->of : lt;
		for (item = v->items; item != NULL; item = item->next)
			collect_usages(c, item, lt, 0, NULL);
		return;
	case GQL_V_OBJECT:
		it = t != NULL ? named(c, t) : NULL;
		for (f = v->fields; f != NULL; f = f->next) {
			fd = it != NULL && it->kind == GQL_K_INPUT
			         ? gql_type_field(it, f->name)
			         : NULL;
			collect_usages(
			    c, f->value, fd != NULL ? fd->type : NULL,
			    fd != NULL && fd->defval != NULL,
			    it != NULL && it->kind == GQL_K_INPUT ? it : NULL);
		}
		return;
	default:
		return;
	}
}

/* ---- arguments and directives ------------------------------------------ */

static void
unique_args(struct vctx *c, const struct gql_arg *args)
{
	const struct gql_arg *a, *b;
	struct gql_error *e;

	for (a = args; a != NULL; a = a->next) {
		for (b = args; b != a; b = b->next)
			if (strcmp(a->name, b->name) == 0)
				break;
		if (b != a)
			continue; /* reported with its first */
		e = NULL;
		for (b = a->next; b != NULL; b = b->next)
			if (strcmp(a->name, b->name) == 0) {
				if (e == NULL) {
					e = report(c,
					           "There can be only one "
					           "argument named \"%s\".",
					           a->name);
					gql_error_loc(e, a->loc);
				}
				gql_error_loc(e, b->loc);
			}
	}
}

/* Arguments of a field or a directive whose definition is known (defs)
 * or not (NULL): names, uniqueness, values, required ones, usages. */
static void
check_args(struct vctx *c, const struct gql_arg *args,
           const struct gql_field *defs, int ndefs, int known, const char *what,
           const char *owner, struct gql_loc owner_loc)
{
	const struct gql_arg *a;
	const struct gql_field *d;
	int i;

	unique_args(c, args);
	for (a = args; a != NULL; a = a->next) {
		d = gql_field_arg(defs, ndefs, a->name);
		if (known && d == NULL)
			gql_error_loc(
			    report(c,
			           "Unknown argument \"%s\" on %s "
			           "\"%s\".%s",
			           a->name, what, owner,
			           suggest_field(c, defs, ndefs, a->name)),
			    a->loc);
		check_value(c, a->value, d != NULL ? d->type : NULL);
		unique_input_fields(c, a->value);
		collect_usages(c, a->value, d != NULL ? d->type : NULL,
		               d != NULL && d->defval != NULL, NULL);
	}
	if (!known)
		return;
	for (i = 0; i < ndefs; i++) {
		d = &defs[i];
		if (d->type->kind != GQL_T_NONNULL || d->defval != NULL)
			continue;
		for (a = args; a != NULL; a = a->next)
			if (strcmp(a->name, d->name) == 0)
				break;
		if (a == NULL)
			gql_error_loc(
			    report(c,
			           "%s \"%s\" argument \"%s\" of type "
			           "\"%s\" is required, but it was not "
			           "provided.",
			           what[0] == 'f' ? "Field" : "Directive",
			           owner, d->name, tstr(c, d->type)),
			    owner_loc);
	}
}

/* a directive defined in the document itself */
static const struct gql_def *
doc_directive(struct vctx *c, const char *name)
{
	const struct gql_def *d;

	for (d = c->doc->defs; d != NULL; d = d->next)
		if (d->kind == GQL_D_DIRECTIVE && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static void
check_directives(struct vctx *c, const struct gql_directive *dirs,
                 enum gql_dirloc where)
{
	const struct gql_directive *d, *e;
	const struct gql_dirdef *dd;
	const struct gql_def *ddoc;
	const struct gql_name *n;
	int ok, repeatable;
	struct gql_error *err;

	for (d = dirs; d != NULL; d = d->next) {
		dd = gql_schema_directive(c->s, d->name);
		ddoc = doc_directive(c, d->name);
		if (dd == NULL && ddoc == NULL) {
			gql_error_loc(
			    report(c, "Unknown directive \"@%s\".", d->name),
			    d->loc);
			check_args(c, d->args,
			           c->cur_field ? c->cur_field->args : NULL,
			           c->cur_field ? c->cur_field->nargs : 0, 0,
			           "directive", d->name, d->loc);
			continue;
		}
		if (ddoc != NULL) {
			ok = 0;
			for (n = ddoc->locations; n != NULL; n = n->next)
				ok |= strcmp(n->name,
				             gql_dirloc_names[where]) == 0;
			repeatable = ddoc->repeatable;
		} else {
			ok = (dd->locations >> where) & 1;
			repeatable = dd->repeatable;
		}
		if (!ok)
			gql_error_loc(
			    report(c,
			           "Directive \"@%s\" may not be used "
			           "on %s.",
			           d->name, gql_dirloc_names[where]),
			    d->loc);
		if (!repeatable) {
			for (e = dirs; e != d; e = e->next)
				if (strcmp(e->name, d->name) == 0)
					break;
			if (e != d) {
				err = report(c,
				             "The directive \"@%s\" can "
				             "only be used once at this "
				             "location.",
				             d->name);
				gql_error_loc(err, e->loc);
				gql_error_loc(err, d->loc);
			}
		}
		if (dd != NULL)
			check_args(c, d->args, dd->args, dd->nargs, 1,
			           "directive", d->name, d->loc);
		else
			check_args(c, d->args,
			           c->cur_field ? c->cur_field->args : NULL,
			           c->cur_field ? c->cur_field->nargs : 0, 0,
			           "directive", d->name, d->loc);
	}
}

/* ---- the typed walk ------------------------------------------------- */

static void
known_type(struct vctx *c, const char *name, struct gql_loc loc, int sdl)
{
	static const char *const standard[] = {"String",
	                                       "Int",
	                                       "Float",
	                                       "Boolean",
	                                       "ID",
	                                       "__Schema",
	                                       "__Type",
	                                       "__TypeKind",
	                                       "__Field",
	                                       "__InputValue",
	                                       "__EnumValue",
	                                       "__Directive",
	                                       "__DirectiveLocation",
	                                       NULL};
	const struct gql_def *d;
	const char **names;
	int i, n;

	if (gql_schema_type(c->s, name) != NULL)
		return;
	for (d = c->doc->defs; d != NULL; d = d->next)
		if (d->kind >= GQL_D_SCALAR && d->kind <= GQL_D_INPUT &&
		    !d->extension && strcmp(d->name, name) == 0)
			return;
	if (sdl)
		for (i = 0; standard[i] != NULL; i++)
			if (strcmp(standard[i], name) == 0)
				return;
	names = NULL;
	n = 0;
	if (c->o->suggestions &&
	    (names = v_alloc(c, (size_t)c->s->ntypes * sizeof(*names))) != NULL)
		for (i = 0; i < c->s->ntypes; i++)
			names[n++] = c->s->types[i]->name;
	gql_error_loc(
	    report(c, "Unknown type \"%s\".%s", name,
	           names != NULL ? did_you_mean(c, name, names, n) : ""),
	    loc);
}

static void
walk_field(struct vctx *c, const struct gql_type *parent,
           const struct gql_selection *s)
{
	const struct gql_field *fd = field_def(c, parent, s->name);
	const struct gql_field *outer = c->cur_field;
	const struct gql_type *ft = NULL;

	c->cur_field = fd;

	if (parent != NULL && fd == NULL) {
		const char *sug = "";
		if (parent->kind == GQL_K_OBJECT ||
		    parent->kind == GQL_K_INTERFACE)
			sug = suggest_field(c, parent->fields, parent->nfields,
			                    s->name);
		gql_error_loc(
		    report(c, "Cannot query field \"%s\" on type \"%s\".%s",
		           s->name, parent->name, sug),
		    s->loc);
	}
	if (fd != NULL && !c->o->introspection &&
	    (fd == c->s->meta_schema || fd == c->s->meta_type))
		gql_error_loc(
		    report(c,
		           "GraphQL introspection is not allowed, but "
		           "the query contained %s.",
		           s->name),
		    s->loc);
	check_directives(c, s->directives, GQL_L_FIELD);
	check_args(
	    c, s->args, fd != NULL ? fd->args : NULL,
	    fd != NULL ? fd->nargs : 0, fd != NULL && parent != NULL, "field",
	    fd != NULL ? gql_sprintf(c->a, "%s.%s", parent->name, s->name)
	               : s->name,
	    s->loc);
	if (fd != NULL) {
		ft = fd->named;
		if (gql_is_leaf(ft)) {
			if (s->has_sel)
				gql_error_loc(
				    report(c,
				           "Field \"%s\" must not have a "
				           "selection since type \"%s\" "
				           "has no subfields.",
				           s->name, tstr(c, fd->type)),
				    s->sel_loc);
		} else if (!s->has_sel)
			gql_error_loc(
			    report(c,
			           "Field \"%s\" of type \"%s\" must "
			           "have a selection of subfields. Did "
			           "you mean \"%s { ... }\"?",
			           s->name, tstr(c, fd->type), s->name),
			    s->loc);
	}
	if (s->has_sel)
		walk_selset(c, gql_is_composite(ft) ? ft : NULL, s->sel,
		            s->sel_loc);
	c->cur_field = outer;
}

static void
walk_selset(struct vctx *c, const struct gql_type *parent,
            const struct gql_selection *sel, struct gql_loc sel_loc)
{
	const struct gql_selection *s;
	const struct gql_type *t;
	const struct gql_def *fr;
	struct conflict *cf = NULL, *k;
	struct gql_error *e;
	int i;

	(void)sel_loc;
	find_conflicts_within(c, parent, sel, &cf);
	for (k = cf; k != NULL; k = k->next) {
		e = report(c, "Fields conflict. Use different aliases on the "
		              "fields to fetch both if this was intentional.");
		for (i = 0; i < k->n1; i++)
			gql_error_loc(e, k->l1[i]);
		for (i = 0; i < k->n2; i++)
			gql_error_loc(e, k->l2[i]);
	}
	for (s = sel; s != NULL; s = s->next) {
		switch (s->kind) {
		case GQL_SEL_FIELD:
			walk_field(c, parent, s);
			break;
		case GQL_SEL_SPREAD:
			if ((fr = fragment(c, s->name)) == NULL)
				gql_error_loc(report(c,
				                     "Unknown fragment \"%s\".",
				                     s->name),
				              s->name_loc);
			check_directives(c, s->directives,
			                 GQL_L_FRAGMENT_SPREAD);
			t = fr != NULL ? gql_schema_type(c->s, fr->type_cond)
			               : NULL;
			if (gql_is_composite(t) && gql_is_composite(parent) &&
			    !types_overlap(t, parent))
				gql_error_loc(
				    report(c,
				           "Fragment \"%s\" cannot be "
				           "spread here as objects of "
				           "type \"%s\" can never be of "
				           "type \"%s\".",
				           s->name, parent->name, t->name),
				    s->loc);
			break;
		case GQL_SEL_INLINE:
			t = parent;
			if (s->type_cond != NULL) {
				t = gql_schema_type(c->s, s->type_cond);
				if (t == NULL)
					known_type(c, s->type_cond,
					           s->type_cond_loc, 0);
				else if (!gql_is_composite(t))
					gql_error_loc(
					    report(c,
					           "Fragment cannot "
					           "condition on "
					           "non composite type "
					           "\"%s\".",
					           t->name),
					    s->type_cond_loc);
			}
			if (gql_is_composite(t) && gql_is_composite(parent) &&
			    !types_overlap(t, parent))
				gql_error_loc(
				    report(c,
				           "Fragment cannot be spread "
				           "here as objects of type "
				           "\"%s\" can never be of type "
				           "\"%s\".",
				           parent->name, t->name),
				    s->loc);
			check_directives(c, s->directives,
			                 GQL_L_INLINE_FRAGMENT);
			walk_selset(c, gql_is_composite(t) ? t : NULL, s->sel,
			            s->sel_loc);
			break;
		}
	}
}

static void
walk_vardefs(struct vctx *c, const struct gql_def *op)
{
	const struct gql_vardef *v, *w;
	const struct gql_typeref *nt;
	const struct gql_type *t;
	struct gql_error *e;

	for (v = op->vars; v != NULL; v = v->next) {
		/* UniqueVariableNames: one error per name, all its places */
		for (w = op->vars; w != v; w = w->next)
			if (strcmp(w->name, v->name) == 0)
				break;
		if (w == v) {
			e = NULL;
			for (w = v->next; w != NULL; w = w->next)
				if (strcmp(w->name, v->name) == 0) {
					if (e == NULL) {
						e = report(
						    c,
						    "There can be only one "
						    "variable named \"$%s\".",
						    v->name);
						gql_error_loc(e, v->name_loc);
					}
					gql_error_loc(e, w->name_loc);
				}
		}
		for (nt = v->type; nt->kind != GQL_T_NAMED; nt = nt->of)
			;
		t = gql_schema_type(c->s, nt->name);
		if (t == NULL)
			known_type(c, nt->name, nt->loc, 0);
		else if (!gql_is_input_type(t))
			gql_error_loc(
			    report(c,
			           "Variable \"$%s\" cannot be non-input "
			           "type \"%s\".",
			           v->name, tstr(c, v->type)),
			    v->type->loc);
		check_directives(c, v->directives, GQL_L_VARIABLE_DEFINITION);
		if (v->defval != NULL) {
			check_value(c, v->defval,
			            t != NULL && gql_is_input_type(t) ? v->type
			                                              : NULL);
			unique_input_fields(c, v->defval);
		}
	}
}

/* Type names and directives of a type-system definition found in an
 * executable document (it is refused, but graphql-js still checks them). */
static void
walk_sdl_fields(struct vctx *c, const struct gql_fielddef *f,
                enum gql_dirloc where, int args)
{
	const struct gql_typeref *t;

	for (; f != NULL; f = f->next) {
		if (f->type != NULL) {
			for (t = f->type; t->kind != GQL_T_NAMED; t = t->of)
				;
			known_type(c, t->name, t->loc, 1);
		}
		check_directives(c, f->directives, where);
		if (args)
			walk_sdl_fields(c, f->args, GQL_L_ARGUMENT_DEFINITION,
			                0);
		if (f->defval != NULL)
			unique_input_fields(c, f->defval);
	}
}

static void
walk_sdl(struct vctx *c, const struct gql_def *d)
{
	const struct gql_name *n;
	const struct gql_fielddef *r;

	switch (d->kind) {
	case GQL_D_SCHEMA:
		check_directives(c, d->directives, GQL_L_SCHEMA);
		for (r = d->roots; r != NULL; r = r->next)
			known_type(c, r->type->name, r->type->loc, 1);
		break;
	case GQL_D_SCALAR:
		check_directives(c, d->directives, GQL_L_SCALAR);
		break;
	case GQL_D_OBJECT:
	case GQL_D_INTERFACE:
		for (n = d->interfaces; n != NULL; n = n->next)
			known_type(c, n->name, n->loc, 1);
		check_directives(c, d->directives,
		                 d->kind == GQL_D_OBJECT ? GQL_L_OBJECT
		                                         : GQL_L_INTERFACE);
		walk_sdl_fields(c, d->fields, GQL_L_FIELD_DEFINITION, 1);
		break;
	case GQL_D_UNION:
		check_directives(c, d->directives, GQL_L_UNION);
		for (n = d->interfaces; n != NULL; n = n->next)
			known_type(c, n->name, n->loc, 1);
		break;
	case GQL_D_ENUM:
		check_directives(c, d->directives, GQL_L_ENUM);
		walk_sdl_fields(c, d->fields, GQL_L_ENUM_VALUE, 0);
		break;
	case GQL_D_INPUT:
		check_directives(c, d->directives, GQL_L_INPUT_OBJECT);
		walk_sdl_fields(c, d->fields, GQL_L_INPUT_FIELD_DEFINITION, 0);
		break;
	case GQL_D_DIRECTIVE:
		walk_sdl_fields(c, d->fields, GQL_L_ARGUMENT_DEFINITION, 0);
		break;
	default:
		break;
	}
}

/* ---- overlapping fields ---------------------------------------------- */

static struct fmap *fields_and_fragments(struct vctx *, const struct gql_type *,
                                         const struct gql_selection *);
static void collect_between(struct vctx *, struct conflict **, int,
                            struct fmap *, struct fmap *);
static void collect_field_frag(struct vctx *, struct conflict **, int,
                               struct fmap *, const char *);
static void collect_frag_frag(struct vctx *, struct conflict **, int,
                              const char *, const char *);
static struct conflict *find_conflict(struct vctx *, int, struct nad *,
                                      struct nad *);

static void
fmap_add(struct vctx *c, struct fmap *m, const char *rname, struct nad nd)
{
	struct rentry *e = NULL;
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, rname) == 0) {
			e = &m->e[i];
			break;
		}
	if (e == NULL) {
		if (m->n == m->cap) {
			int nc = m->cap ? m->cap * 2 : 8;
			struct rentry *ne =
			    v_alloc(c, (size_t)nc * sizeof(*ne));
			if (ne == NULL)
				return;
			if (m->n)
				memcpy(ne, m->e, (size_t)m->n * sizeof(*ne));
			m->e = ne;
			m->cap = nc;
		}
		e = &m->e[m->n++];
		e->name = rname;
	}
	if (e->n == e->cap) {
		int nc = e->cap ? e->cap * 2 : 4;
		struct nad *ni = v_alloc(c, (size_t)nc * sizeof(*ni));
		if (ni == NULL)
			return;
		if (e->n)
			memcpy(ni, e->items, (size_t)e->n * sizeof(*ni));
		e->items = ni;
		e->cap = nc;
	}
	e->items[e->n++] = nd;
}

static void
collect_fields(struct vctx *c, const struct gql_type *parent,
               const struct gql_selection *sel, struct fmap *m)
{
	const struct gql_selection *s;
	struct nad nd;
	int i;

	for (s = sel; s != NULL; s = s->next) {
		switch (s->kind) {
		case GQL_SEL_FIELD:
			nd.parent = parent;
			nd.node = s;
			nd.def =
			    parent != NULL && (parent->kind == GQL_K_OBJECT ||
			                       parent->kind == GQL_K_INTERFACE)
			        ? gql_type_field(parent, s->name)
			        : NULL;
			fmap_add(c, m, s->alias ? s->alias : s->name, nd);
			break;
		case GQL_SEL_SPREAD:
			for (i = 0; i < m->nfrags; i++)
				if (strcmp(m->frags[i], s->name) == 0)
					break;
			if (i < m->nfrags)
				break;
			if (m->nfrags == m->capfrags) {
				int nc = m->capfrags ? m->capfrags * 2 : 4;
				const char **nf =
				    v_alloc(c, (size_t)nc * sizeof(*nf));
				if (nf == NULL)
					break;
				if (m->nfrags)
					memcpy(nf, m->frags,
					       (size_t)m->nfrags * sizeof(*nf));
				m->frags = nf;
				m->capfrags = nc;
			}
			m->frags[m->nfrags++] = s->name;
			break;
		case GQL_SEL_INLINE:
			collect_fields(c,
			               s->type_cond != NULL
			                   ? gql_schema_type(c->s, s->type_cond)
			                   : parent,
			               s->sel, m);
			break;
		}
	}
}

static struct fmap *
fields_and_fragments(struct vctx *c, const struct gql_type *parent,
                     const struct gql_selection *sel)
{
	unsigned h = (unsigned)(((uintptr_t)sel >> 4) & 255);
	struct fmap *m;

	for (m = c->fcache[h]; m != NULL; m = m->hnext)
		if (m->key == sel)
			return m;
	if ((m = v_alloc(c, sizeof(*m))) == NULL)
		return NULL;
	m->key = sel;
	collect_fields(c, parent, sel, m);
	m->hnext = c->fcache[h];
	c->fcache[h] = m;
	return m;
}

static struct fmap *
fragment_fields(struct vctx *c, const struct gql_def *fr)
{
	return fields_and_fragments(c, gql_schema_type(c->s, fr->type_cond),
	                            fr->sel);
}

static int
same_arguments(struct vctx *c, const struct gql_selection *a,
               const struct gql_selection *b)
{
	const struct gql_arg *x, *y;
	int na = 0, nb = 0;
	const char *p1, *p2;

	for (x = a->args; x != NULL; x = x->next)
		na++;
	for (y = b->args; y != NULL; y = y->next)
		nb++;
	if (na != nb)
		return 0;
	for (x = a->args; x != NULL; x = x->next) {
		/* the last of a duplicated name, as a Map keeps it */
		const struct gql_arg *found = NULL;
		for (y = b->args; y != NULL; y = y->next)
			if (strcmp(x->name, y->name) == 0)
				found = y;
		if (found == NULL)
			return 0;
		p1 = gql_print_value_sorted(c->a, x->value);
		p2 = gql_print_value_sorted(c->a, found->value);
		if (p1 == NULL || p2 == NULL || strcmp(p1, p2) != 0)
			return 0;
	}
	return 1;
}

static int
types_conflict(struct vctx *c, const struct gql_typeref *a,
               const struct gql_typeref *b)
{
	const struct gql_type *ta, *tb;

	if (a->kind == GQL_T_LIST)
		return b->kind == GQL_T_LIST ? types_conflict(c, a->of, b->of)
		                             : 1;
	if (b->kind == GQL_T_LIST)
		return 1;
	if (a->kind == GQL_T_NONNULL)
		return b->kind == GQL_T_NONNULL
		           ? types_conflict(c, a->of, b->of)
		           : 1;
	if (b->kind == GQL_T_NONNULL)
		return 1;
	ta = named(c, a);
	tb = named(c, b);
	if (gql_is_leaf(ta) || gql_is_leaf(tb))
		return ta != tb;
	return 0;
}

static struct conflict *
mkconflict(struct vctx *c, const struct gql_selection *n1,
           const struct gql_selection *n2, struct conflict *subs)
{
	struct conflict *k = v_alloc(c, sizeof(*k)), *s;
	int t1 = 1, t2 = 1;

	if (k == NULL)
		return NULL;
	for (s = subs; s != NULL; s = s->next) {
		t1 += s->n1;
		t2 += s->n2;
	}
	k->l1 = v_alloc(c, (size_t)t1 * sizeof(*k->l1));
	k->l2 = v_alloc(c, (size_t)t2 * sizeof(*k->l2));
	if (k->l1 == NULL || k->l2 == NULL)
		return NULL;
	k->l1[k->n1++] = n1->loc;
	k->l2[k->n2++] = n2->loc;
	for (s = subs; s != NULL; s = s->next) {
		memcpy(k->l1 + k->n1, s->l1, (size_t)s->n1 * sizeof(*k->l1));
		k->n1 += s->n1;
		memcpy(k->l2 + k->n2, s->l2, (size_t)s->n2 * sizeof(*k->l2));
		k->n2 += s->n2;
	}
	return k;
}

static void
push_conflict(struct conflict **list, struct conflict *k)
{
	struct conflict **tail = list;

	if (k == NULL)
		return;
	while (*tail != NULL)
		tail = &(*tail)->next;
	k->next = NULL;
	*tail = k;
}

static void
conflicts_between_subsets(struct vctx *c, struct conflict **out, int excl,
                          const struct gql_type *p1,
                          const struct gql_selection *s1,
                          const struct gql_type *p2,
                          const struct gql_selection *s2)
{
	struct fmap *m1 = fields_and_fragments(c, p1, s1);
	struct fmap *m2 = fields_and_fragments(c, p2, s2);
	int i, j;

	if (m1 == NULL || m2 == NULL)
		return;
	collect_between(c, out, excl, m1, m2);
	for (j = 0; j < m2->nfrags; j++)
		collect_field_frag(c, out, excl, m1, m2->frags[j]);
	for (i = 0; i < m1->nfrags; i++)
		collect_field_frag(c, out, excl, m2, m1->frags[i]);
	for (i = 0; i < m1->nfrags; i++)
		for (j = 0; j < m2->nfrags; j++)
			collect_frag_frag(c, out, excl, m1->frags[i],
			                  m2->frags[j]);
}

static struct conflict *
find_conflict(struct vctx *c, int parent_excl, struct nad *f1, struct nad *f2)
{
	const struct gql_selection *n1 = f1->node, *n2 = f2->node;
	const struct gql_typeref *t1, *t2;
	struct conflict *subs = NULL;
	int excl;

	if (--c->budget < 0)
		return NULL;
	excl = parent_excl ||
	       (f1->parent != f2->parent && f1->parent != NULL &&
	        f2->parent != NULL && f1->parent->kind == GQL_K_OBJECT &&
	        f2->parent->kind == GQL_K_OBJECT);
	if (!excl) {
		if (strcmp(n1->name, n2->name) != 0)
			return mkconflict(c, n1, n2, NULL);
		if (!same_arguments(c, n1, n2))
			return mkconflict(c, n1, n2, NULL);
	}
	t1 = f1->def != NULL ? f1->def->type : NULL;
	t2 = f2->def != NULL ? f2->def->type : NULL;
	if (t1 != NULL && t2 != NULL && types_conflict(c, t1, t2))
		return mkconflict(c, n1, n2, NULL);
	if (n1->has_sel && n2->has_sel) {
		conflicts_between_subsets(
		    c, &subs, excl, f1->def != NULL ? f1->def->named : NULL,
		    n1->sel, f2->def != NULL ? f2->def->named : NULL, n2->sel);
		if (subs != NULL)
			return mkconflict(c, n1, n2, subs);
	}
	return NULL;
}

static void
collect_within(struct vctx *c, struct conflict **out, struct fmap *m)
{
	int k, i, j;

	for (k = 0; k < m->n; k++)
		for (i = 0; i < m->e[k].n; i++)
			for (j = i + 1; j < m->e[k].n; j++)
				push_conflict(
				    out, find_conflict(c, 0, &m->e[k].items[i],
				                       &m->e[k].items[j]));
}

static void
collect_between(struct vctx *c, struct conflict **out, int excl,
                struct fmap *m1, struct fmap *m2)
{
	int k, l, i, j;

	for (k = 0; k < m1->n; k++)
		for (l = 0; l < m2->n; l++) {
			if (strcmp(m1->e[k].name, m2->e[l].name) != 0)
				continue;
			for (i = 0; i < m1->e[k].n; i++)
				for (j = 0; j < m2->e[l].n; j++)
					push_conflict(
					    out,
					    find_conflict(c, excl,
					                  &m1->e[k].items[i],
					                  &m2->e[l].items[j]));
		}
}

/* OrderedPairSet.has: a weak (excl) lookup matches either flag. */
static int
pair_seen(struct vctx *c, struct sset *ss, const char *a, const char *b,
          int excl)
{
	if (excl)
		return sset_has(ss,
		                gql_sprintf(c->a, "%s\x01%s\x01%d", a, b, 1)) ||
		       sset_has(ss,
		                gql_sprintf(c->a, "%s\x01%s\x01%d", a, b, 0));
	return sset_has(ss, gql_sprintf(c->a, "%s\x01%s\x01%d", a, b, 0));
}

static void
pair_add(struct vctx *c, struct sset *ss, const char *a, const char *b,
         int excl)
{
	/* add() overwrites the flag: keep only the latest */
	char *k1 = gql_sprintf(c->a, "%s\x01%s\x01%d", a, b, excl);
	char *k0 = gql_sprintf(c->a, "%s\x01%s\x01%d", a, b, !excl);
	size_t i;

	if (k1 == NULL || k0 == NULL)
		return;
	for (i = 0; i < ss->cap; i++)
		if (ss->slot[i] != NULL && strcmp(ss->slot[i], k0) == 0)
			ss->slot[i][strlen(k0) - 1] = excl ? '1' : '0';
	sset_add(c, ss, k1);
}

static void
collect_field_frag(struct vctx *c, struct conflict **out, int excl,
                   struct fmap *m, const char *fname)
{
	const struct gql_def *fr;
	struct fmap *m2;
	char key[32];
	int i;

	snprintf(key, sizeof(key), "%p", (const void *)m);
	if (pair_seen(c, &c->cmp_ff, key, fname, excl))
		return;
	pair_add(c, &c->cmp_ff, key, fname, excl);
	if ((fr = fragment(c, fname)) == NULL)
		return;
	if ((m2 = fragment_fields(c, fr)) == NULL || m2 == m)
		return;
	collect_between(c, out, excl, m, m2);
	for (i = 0; i < m2->nfrags; i++)
		collect_field_frag(c, out, excl, m, m2->frags[i]);
}

static void
collect_frag_frag(struct vctx *c, struct conflict **out, int excl,
                  const char *a, const char *b)
{
	const struct gql_def *f1, *f2;
	struct fmap *m1, *m2;
	int i;

	if (strcmp(a, b) == 0)
		return;
	if (strcmp(a, b) < 0 ? pair_seen(c, &c->cmp_frag, a, b, excl)
	                     : pair_seen(c, &c->cmp_frag, b, a, excl))
		return;
	if (strcmp(a, b) < 0)
		pair_add(c, &c->cmp_frag, a, b, excl);
	else
		pair_add(c, &c->cmp_frag, b, a, excl);
	f1 = fragment(c, a);
	f2 = fragment(c, b);
	if (f1 == NULL || f2 == NULL)
		return;
	if ((m1 = fragment_fields(c, f1)) == NULL ||
	    (m2 = fragment_fields(c, f2)) == NULL)
		return;
	collect_between(c, out, excl, m1, m2);
	for (i = 0; i < m2->nfrags; i++)
		collect_frag_frag(c, out, excl, a, m2->frags[i]);
	for (i = 0; i < m1->nfrags; i++)
		collect_frag_frag(c, out, excl, m1->frags[i], b);
}

static void
find_conflicts_within(struct vctx *c, const struct gql_type *parent,
                      const struct gql_selection *sel, struct conflict **out)
{
	struct fmap *m = fields_and_fragments(c, parent, sel);
	int i, j;

	if (m == NULL)
		return;
	collect_within(c, out, m);
	for (i = 0; i < m->nfrags; i++) {
		collect_field_frag(c, out, 0, m, m->frags[i]);
		for (j = i + 1; j < m->nfrags; j++)
			collect_frag_frag(c, out, 0, m->frags[i], m->frags[j]);
	}
}

/* ---- document-level rules -------------------------------------------- */

struct spreads {
	const struct gql_selection **v;
	int n, cap;
};

static void
spreads_push(struct vctx *c, struct spreads *sp, const struct gql_selection *s)
{
	if (sp->n == sp->cap) {
		int nc = sp->cap ? sp->cap * 2 : 8;
		const struct gql_selection **nv =
		    v_alloc(c, (size_t)nc * sizeof(*nv));
		if (nv == NULL)
			return;
		if (sp->n)
			memcpy(nv, sp->v, (size_t)sp->n * sizeof(*nv));
		sp->v = nv;
		sp->cap = nc;
	}
	sp->v[sp->n++] = s;
}

/* getFragmentSpreads: the spreads of a selection set, in graphql-js'
 * order (a stack of sets). */
static void
fragment_spreads(struct vctx *c, const struct gql_selection *sel,
                 struct spreads *out)
{
	struct spreads stack = {NULL, 0, 0};
	const struct gql_selection *set, *s;

	out->n = 0;
	spreads_push(c, &stack, sel);
	while (stack.n > 0) {
		set = stack.v[--stack.n];
		for (s = set; s != NULL; s = s->next) {
			if (s->kind == GQL_SEL_SPREAD)
				spreads_push(c, out, s);
			else if (s->has_sel)
				spreads_push(c, &stack, s->sel);
		}
	}
}

/* getRecursivelyReferencedFragments */
static int
referenced_fragments(struct vctx *c, const struct gql_def *op,
                     const struct gql_def **out)
{
	struct spreads stack = {NULL, 0, 0}, sp = {NULL, 0, 0};
	struct spreads names = {NULL, 0, 0}; /* one spread per name seen */
	const struct gql_selection *set;
	const struct gql_def *fr;
	int n = 0, i, j;

	spreads_push(c, &stack, op->sel);
	while (stack.n > 0) {
		set = stack.v[--stack.n];
		fragment_spreads(c, set, &sp);
		for (i = 0; i < sp.n; i++) {
			for (j = 0; j < names.n; j++)
				if (strcmp(names.v[j]->name, sp.v[i]->name) ==
				    0)
					break;
			if (j < names.n)
				continue;
			spreads_push(c, &names, sp.v[i]);
			if ((fr = fragment(c, sp.v[i]->name)) != NULL) {
				out[n++] = fr;
				spreads_push(c, &stack, fr->sel);
			}
		}
	}
	return n;
}

struct cycle {
	const char **visited;
	int nvisited;
	struct spreads path;
	const char **idx_name;
	int *idx_pos;
	int nidx;
};

static void
detect_cycle(struct vctx *c, struct cycle *cy, const struct gql_def *fr)
{
	struct spreads sp = {NULL, 0, 0};
	const struct gql_def *next;
	struct gql_error *e;
	int i, j, at;

	if (--c->budget < 0)
		return;
	for (i = 0; i < cy->nvisited; i++)
		if (strcmp(cy->visited[i], fr->name) == 0)
			return;
	cy->visited[cy->nvisited++] = fr->name;
	fragment_spreads(c, fr->sel, &sp);
	if (sp.n == 0)
		return;
	cy->idx_name[cy->nidx] = fr->name;
	cy->idx_pos[cy->nidx] = cy->path.n;
	cy->nidx++;
	for (i = 0; i < sp.n; i++) {
		at = -1;
		for (j = cy->nidx - 1; j >= 0; j--)
			if (strcmp(cy->idx_name[j], sp.v[i]->name) == 0) {
				at = cy->idx_pos[j];
				break;
			}
		spreads_push(c, &cy->path, sp.v[i]);
		if (at < 0) {
			if ((next = fragment(c, sp.v[i]->name)) != NULL)
				detect_cycle(c, cy, next);
		} else {
			e = report(c,
			           "Cannot spread fragment \"%s\" within "
			           "itself.",
			           sp.v[i]->name);
			for (j = at; j < cy->path.n; j++)
				gql_error_loc(e, cy->path.v[j]->loc);
		}
		cy->path.n--;
	}
	cy->nidx--;
}

/* MaxIntrospectionDepthRule's checkDepth */
static int
intro_depth(struct vctx *c, const struct gql_selection *s, const char **seen,
            int nseen, int depth)
{
	const struct gql_selection *k;
	const struct gql_def *fr;
	int i;

	if (--c->budget < 0)
		return 0;
	if (s->kind == GQL_SEL_SPREAD) {
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], s->name) == 0)
				return 0;
		if ((fr = fragment(c, s->name)) == NULL ||
		    nseen >= c->nfrags + 1)
			return 0;
		seen[nseen] = s->name;
		for (k = fr->sel; k != NULL; k = k->next)
			if (intro_depth(c, k, seen, nseen + 1, depth))
				return 1;
		return 0;
	}
	if (s->kind == GQL_SEL_FIELD &&
	    (strcmp(s->name, "fields") == 0 ||
	     strcmp(s->name, "interfaces") == 0 ||
	     strcmp(s->name, "possibleTypes") == 0 ||
	     strcmp(s->name, "inputFields") == 0)) {
		if (++depth >= 3)
			return 1;
	}
	if (s->has_sel)
		for (k = s->sel; k != NULL; k = k->next)
			if (intro_depth(c, k, seen, nseen, depth))
				return 1;
	return 0;
}

static void
intro_walk(struct vctx *c, const struct gql_selection *sel, const char **seen)
{
	const struct gql_selection *s;

	for (s = sel; s != NULL; s = s->next) {
		if (s->kind == GQL_SEL_FIELD &&
		    (strcmp(s->name, "__schema") == 0 ||
		     strcmp(s->name, "__type") == 0) &&
		    intro_depth(c, s, seen, 0, 0)) {
			report1(c, s->loc,
			        "Maximum introspection depth "
			        "exceeded");
			continue;
		}
		if (s->has_sel)
			intro_walk(c, s->sel, seen);
	}
}

static int
frag_applies(struct vctx *c, const char *cond, const struct gql_type *rt)
{
	const struct gql_type *t;

	if (cond == NULL)
		return 1;
	t = gql_schema_type(c->s, cond);
	if (t == NULL)
		return 0;
	if (t == rt)
		return 1;
	return (t->kind == GQL_K_INTERFACE || t->kind == GQL_K_UNION) &&
	       gql_type_possible(t, rt);
}

static int
skipped(const struct gql_directive *d)
{
	const struct gql_value *v;

	for (; d != NULL; d = d->next) {
		if (strcmp(d->name, "skip") == 0 &&
		    (v = gql_directive_arg(d, "if")) != NULL &&
		    v->kind == GQL_V_BOOL && v->b)
			return 1;
		if (strcmp(d->name, "include") == 0 &&
		    (v = gql_directive_arg(d, "if")) != NULL &&
		    v->kind == GQL_V_BOOL && !v->b)
			return 1;
	}
	return 0;
}

/* collectFields for SingleFieldSubscriptionsRule */
static void
sub_fields(struct vctx *c, const struct gql_type *rt,
           const struct gql_selection *sel, struct fmap *m, const char **seen,
           int *nseen)
{
	const struct gql_selection *s;
	const struct gql_def *fr;
	struct nad nd = {NULL, NULL, NULL};
	int i;

	for (s = sel; s != NULL; s = s->next) {
		if (skipped(s->directives))
			continue;
		if (s->kind == GQL_SEL_FIELD) {
			nd.node = s;
			fmap_add(c, m, s->alias ? s->alias : s->name, nd);
		} else if (s->kind == GQL_SEL_INLINE) {
			if (frag_applies(c, s->type_cond, rt))
				sub_fields(c, rt, s->sel, m, seen, nseen);
		} else {
			for (i = 0; i < *nseen; i++)
				if (strcmp(seen[i], s->name) == 0)
					break;
			if (i < *nseen || *nseen > c->nfrags)
				continue;
			seen[(*nseen)++] = s->name;
			fr = fragment(c, s->name);
			if (fr != NULL && frag_applies(c, fr->type_cond, rt))
				sub_fields(c, rt, fr->sel, m, seen, nseen);
		}
	}
}

static void
single_field_subscription(struct vctx *c, const struct gql_def *op)
{
	struct fmap m;
	struct gql_error *e;
	const char **seen;
	int nseen = 0, i, j;

	if (op->op != GQL_OP_SUBSCRIPTION || c->s->subscription == NULL)
		return;
	memset(&m, 0, sizeof(m));
	if ((seen = v_alloc(c, (size_t)(c->nfrags + 1) * sizeof(*seen))) ==
	    NULL)
		return;
	sub_fields(c, c->s->subscription, op->sel, &m, seen, &nseen);
	if (m.n > 1) {
		e = report(c, "%s must select only one top level field.",
		           op->name ? gql_sprintf(c->a, "Subscription \"%s\"",
		                                  op->name)
		                    : "Anonymous Subscription");
		for (i = 1; i < m.n; i++)
			for (j = 0; j < m.e[i].n; j++)
				gql_error_loc(e, m.e[i].items[j].node->loc);
	}
	for (i = 0; i < m.n; i++)
		if (strncmp(m.e[i].items[0].node->name, "__", 2) == 0) {
			e = report(c,
			           "%s must not select an introspection top "
			           "level field.",
			           op->name ? gql_sprintf(c->a,
			                                  "Subscription \"%s\"",
			                                  op->name)
			                    : "Anonymous Subscription");
			for (j = 0; j < m.e[i].n; j++)
				gql_error_loc(e, m.e[i].items[j].node->loc);
		}
}

static int
allowed_usage(struct vctx *c, const struct gql_vardef *vd,
              const struct usage *u)
{
	if (u->type->kind == GQL_T_NONNULL && vd->type->kind != GQL_T_NONNULL) {
		int var_default =
		    vd->defval != NULL && vd->defval->kind != GQL_V_NULL;
		if (!var_default && !u->loc_default)
			return 0;
		return is_subtype(c, vd->type, u->type->of);
	}
	return is_subtype(c, vd->type, u->type);
}

static struct defusage *
usages_of(struct vctx *c, const struct gql_def *d)
{
	int i;

	for (i = 0; i < c->ndu; i++)
		if (c->du[i].def == d)
			return &c->du[i];
	return NULL;
}

static void
operation_variables(struct vctx *c, const struct gql_def *op)
{
	const struct gql_def **frs;
	struct defusage *lists[1];
	const struct gql_vardef *vd, *w;
	const struct usage *u;
	struct gql_error *e;
	int nf, i, k, used;

	if ((frs = v_alloc(c, (size_t)(c->nfrags + 1) * sizeof(*frs))) == NULL)
		return;
	nf = referenced_fragments(c, op, frs);
	for (k = -1; k < nf; k++) {
		lists[0] = usages_of(c, k < 0 ? op : frs[k]);
		if (lists[0] == NULL)
			continue;
		for (u = lists[0]->head; u != NULL; u = u->next) {
			vd = NULL;
			for (w = op->vars; w != NULL; w = w->next)
				if (strcmp(w->name, u->name) == 0)
					vd = w; /* the last wins */
			if (vd == NULL) {
				e = report(
				    c,
				    op->name
				        ? "Variable \"$%s\" is not defined "
				          "by operation \"%s\"."
				        : "Variable \"$%s\" is not "
				          "defined.%s",
				    u->name, op->name ? op->name : "");
				gql_error_loc(e, u->loc);
				gql_error_loc(e, op->loc);
				continue;
			}
			if (u->type == NULL || !type_known(c, vd->type))
				continue;
			if (!allowed_usage(c, vd, u)) {
				e = report(c,
				           "Variable \"$%s\" of type \"%s\" "
				           "used in position expecting "
				           "type \"%s\".",
				           u->name, tstr(c, vd->type),
				           tstr(c, u->type));
				gql_error_loc(e, vd->loc);
				gql_error_loc(e, u->loc);
			}
		}
	}
	for (vd = op->vars; vd != NULL; vd = vd->next) {
		used = 0;
		for (k = -1; k < nf && !used; k++) {
			lists[0] = usages_of(c, k < 0 ? op : frs[k]);
			for (u = lists[0] ? lists[0]->head : NULL; u != NULL;
			     u = u->next)
				if (strcmp(u->name, vd->name) == 0) {
					used = 1;
					break;
				}
		}
		if (!used)
			gql_error_loc(
			    report(c,
			           op->name ? "Variable \"$%s\" is never "
			                      "used in operation "
			                      "\"%s\"."
			                    : "Variable \"$%s\" is never "
			                      "used.%s",
			           vd->name, op->name ? op->name : ""),
			    vd->loc);
	}
	(void)i;
}

int
gql_validate(const struct gql_schema *s, const struct gql_document *doc,
             const struct gql_validate_opts *opts, struct gql_errors *errs)
{
	static const struct gql_validate_opts defaults = {100, 0, 1};
	const struct gql_def *d, *e;
	const struct gql_def **used;
	struct vctx c;
	struct cycle cy;
	struct gql_error *err;
	const char **seen;
	int nops = 0, ndefs = 0, i, nu, k, before;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.doc = doc;
	c.o = opts != NULL ? opts : &defaults;
	c.errs = errs;
	c.a = errs->arena;
	c.budget = 2000000;
	before = errs->count;
	if (errs->max == 0)
		errs->max =
		    errs->count + (c.o->max_errors > 0 ? c.o->max_errors : 100);
	for (d = doc->defs; d != NULL; d = d->next) {
		ndefs++;
		if (d->kind == GQL_D_FRAGMENT)
			c.nfrags++;
		if (d->kind == GQL_D_OPERATION)
			nops++;
	}
	c.frags = v_alloc(&c, (size_t)(c.nfrags + 1) * sizeof(*c.frags));
	c.du = v_alloc(&c, (size_t)(ndefs + 1) * sizeof(*c.du));
	seen = v_alloc(&c, (size_t)(c.nfrags + 1) * sizeof(*seen));
	if (c.frags == NULL || c.du == NULL || seen == NULL)
		return -1;
	c.nfrags = 0;
	for (d = doc->defs; d != NULL; d = d->next)
		if (d->kind == GQL_D_FRAGMENT)
			c.frags[c.nfrags++] = d;

	for (d = doc->defs; d != NULL; d = d->next) {
		if (d->kind != GQL_D_OPERATION && d->kind != GQL_D_FRAGMENT) {
			report1(
			    &c, d->loc,
			    d->kind == GQL_D_SCHEMA
			        ? "The \"schema\" definition is not executable."
			        : gql_sprintf(c.a,
			                      "The \"%s\" definition is not "
			                      "executable.",
			                      d->name));
			walk_sdl(&c, d);
			continue;
		}
		c.cur = &c.du[c.ndu++];
		c.cur->def = d;
		c.cur->tail = &c.cur->head;
		if (d->kind == GQL_D_OPERATION) {
			const struct gql_type *root =
			    d->op == GQL_OP_QUERY      ? s->query
			    : d->op == GQL_OP_MUTATION ? s->mutation
			                               : s->subscription;
			if (d->name != NULL)
				for (e = doc->defs; e != d; e = e->next)
					if (e->kind == GQL_D_OPERATION &&
					    e->name != NULL &&
					    strcmp(e->name, d->name) == 0) {
						err = report(
						    &c,
						    "There can be only one "
						    "operation named \"%s\".",
						    d->name);
						gql_error_loc(err, e->name_loc);
						gql_error_loc(err, d->name_loc);
						break;
					}
			if (d->name == NULL && nops > 1)
				report1(
				    &c, d->loc,
				    "This anonymous operation must be the only "
				    "defined operation.");
			c.var_op = d;
			single_field_subscription(&c, d);
			walk_vardefs(&c, d);
			check_directives(&c, d->directives,
			                 d->op == GQL_OP_QUERY ? GQL_L_QUERY
			                 : d->op == GQL_OP_MUTATION
			                     ? GQL_L_MUTATION
			                     : GQL_L_SUBSCRIPTION);
			walk_selset(&c, root, d->sel, d->sel_loc);
		} else {
			const struct gql_type *t =
			    gql_schema_type(s, d->type_cond);
			for (e = doc->defs; e != d; e = e->next)
				if (e->kind == GQL_D_FRAGMENT &&
				    strcmp(e->name, d->name) == 0) {
					err = report(
					    &c,
					    "There can be only one fragment "
					    "named \"%s\".",
					    d->name);
					gql_error_loc(err, e->name_loc);
					gql_error_loc(err, d->name_loc);
					break;
				}
			if (t == NULL)
				known_type(&c, d->type_cond, d->type_cond_loc,
				           0);
			else if (!gql_is_composite(t))
				gql_error_loc(
				    report(&c,
				           "Fragment \"%s\" cannot "
				           "condition on non composite "
				           "type \"%s\".",
				           d->name, t->name),
				    d->type_cond_loc);
			check_directives(&c, d->directives,
			                 GQL_L_FRAGMENT_DEFINITION);
			walk_selset(&c, gql_is_composite(t) ? t : NULL, d->sel,
			            d->sel_loc);
		}
		intro_walk(&c, d->sel, seen);
		c.cur = NULL;
	}

	/* NoUnusedFragments */
	used = v_alloc(&c, (size_t)(c.nfrags + 1) * sizeof(*used));
	if (used != NULL) {
		const char **names =
		    v_alloc(&c, (size_t)(c.nfrags + 1) * sizeof(*names));
		int nn = 0;
		for (d = doc->defs; d != NULL && names != NULL; d = d->next) {
			if (d->kind != GQL_D_OPERATION)
				continue;
			nu = referenced_fragments(&c, d, used);
			for (i = 0; i < nu; i++) {
				for (k = 0; k < nn; k++)
					if (strcmp(names[k], used[i]->name) ==
					    0)
						break;
				if (k == nn && nn <= c.nfrags)
					names[nn++] = used[i]->name;
			}
		}
		for (i = 0; i < c.nfrags && names != NULL; i++) {
			for (k = 0; k < nn; k++)
				if (strcmp(names[k], c.frags[i]->name) == 0)
					break;
			if (k == nn)
				gql_error_loc(report(&c,
				                     "Fragment \"%s\" is never "
				                     "used.",
				                     c.frags[i]->name),
				              c.frags[i]->loc);
		}
	}

	/* NoFragmentCycles */
	memset(&cy, 0, sizeof(cy));
	cy.visited = v_alloc(&c, (size_t)(c.nfrags + 1) * sizeof(char *));
	cy.idx_name = v_alloc(&c, (size_t)(c.nfrags + 1) * sizeof(char *));
	cy.idx_pos = v_alloc(&c, (size_t)(c.nfrags + 1) * sizeof(int));
	if (cy.visited != NULL && cy.idx_name != NULL && cy.idx_pos != NULL)
		for (i = 0; i < c.nfrags; i++)
			detect_cycle(&c, &cy, c.frags[i]);

	/* NoUndefinedVariables, NoUnusedVariables,
	 * VariablesInAllowedPosition */
	for (d = doc->defs; d != NULL; d = d->next)
		if (d->kind == GQL_D_OPERATION)
			operation_variables(&c, d);

	if (c.budget < 0)
		gql_error_add(errs, VCODE,
		              "The document is too complex to validate.");
	(void)gql_personal_check(s, doc, errs);
	return errs->count > before ? -1 : 0;
}
