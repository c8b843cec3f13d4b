/*
 * exec.c: execution (the specification's section 6) over REST answers.
 *
 * A pass walks the operation from the root over the answers known so far
 * (x->cache, keyed by method, path and shape). A field whose answer is
 * missing adds a fetch and is "pending": its subtree waits for the next
 * pass, and the walk goes on, so one pass collects every fetch of the
 * next level. A pass whose walk needed nothing new is the final one; its
 * data and errors are the response. Re-walking the finished levels costs a
 * little CPU and keeps the engine free of continuations.
 *
 * Field resolution, in order: __typename; introspection; @rest on the
 * field (a GET, or a mutation's POST/PUT/PATCH/DELETE, path from the
 * arguments {arg} and the parent's members {.member}); Query.node(id:)
 * through the type's own @rest; @globalId; @from(path:); else the parent's
 * member of the same name or its snake_case form.
 * Enum values travel upper-case in GraphQL and lower-case to the services;
 * input field names camelCase in GraphQL and snake_case to the services.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gql_exec.h"

#define ST_OK 0
#define ST_NULL 1    /* an error made it null: a non-null parent nulls too */
#define ST_PENDING 2 /* waiting for an upstream answer */

#define CACHE_SIZE 256
#define PATH_MAX_DEPTH 512

struct pathel {
	const char *key;
	int idx;
};

struct field_group {
	const char *rkey;
	const struct gql_selection **nodes;
	int n, cap;
};

struct collected {
	struct field_group *g;
	int n, cap;
};

struct plan {
	const struct gql_directive *rest;
	const char *service, *method, *path, *body, *select, *batch, *key;
	const char *if_match; /* the argument sent as If-Match: "v<n>" */
	const struct gql_value *query;
	int connection;
};

struct gql_exec {
	const struct gql_schema *s;
	const struct gql_document *doc;
	const struct gql_def *op;
	struct gql_exec_opts o;
	struct gql_arena *a;  /* lives as long as the execution */
	struct gql_arena *pa; /* one pass */
	json_t *vars;         /* coerced */
	struct gql_fetch *cache[CACHE_SIZE];
	struct gql_fetch *all;
	struct gql_fetch **pending;
	int npending, cappending;
	struct gql_fetch **out;
	int nfetches, passes, done;
	json_t *errors, *data;
	struct pathel path[PATH_MAX_DEPTH];
	int depth;
	int mutation_index;
};

static int exec_selset(struct gql_exec *, const struct gql_type *, json_t *,
                       const struct gql_selection *const *, int, json_t **);
static int complete(struct gql_exec *, const struct gql_typeref *,
                    const struct gql_selection *const *, int, json_t *,
                    json_t **);
static json_t *coerce_literal(struct gql_exec *, const struct gql_value *,
                              const struct gql_typeref *, int *);

/* ---- small helpers ----------------------------------------------------- */

static unsigned
strhash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static const struct gql_def *
fragment(const struct gql_exec *x, const char *name)
{
	const struct gql_def *d, *found = NULL;

	for (d = x->doc->defs; d != NULL; d = d->next)
		if (d->kind == GQL_D_FRAGMENT && strcmp(d->name, name) == 0)
			found = d;
	return found;
}

static json_t *
path_json(const struct gql_exec *x)
{
	json_t *p = json_array();
	int i;

	for (i = 0; i < x->depth; i++)
		json_array_append_new(p, x->path[i].key != NULL
		                             ? json_string(x->path[i].key)
		                             : json_integer(x->path[i].idx));
	return p;
}

/* Adds a field error at the current path. */
static void field_error(struct gql_exec *x, const struct gql_selection *node,
                        const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
field_error(struct gql_exec *x, const struct gql_selection *node,
            const char *code, const char *fmt, ...)
{
	json_t *e, *locs;
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e = json_object();
	json_object_set_new(e, "message", json_string(buf));
	if (node != NULL) {
		locs = json_array();
		json_array_append_new(
		    locs, json_pack("{s:i,s:i}", "line", (int)node->loc.line,
		                    "column", (int)node->loc.col));
		json_object_set_new(e, "locations", locs);
	}
	json_object_set_new(e, "path", path_json(x));
	if (code != NULL)
		json_object_set_new(e, "extensions",
		                    json_pack("{s:s}", "code", code));
	json_array_append_new(x->errors, e);
}

static void
push_key(struct gql_exec *x, const char *key)
{
	if (x->depth < PATH_MAX_DEPTH) {
		x->path[x->depth].key = key;
		x->path[x->depth].idx = 0;
	}
	x->depth++;
}

static void
push_idx(struct gql_exec *x, int idx)
{
	if (x->depth < PATH_MAX_DEPTH) {
		x->path[x->depth].key = NULL;
		x->path[x->depth].idx = idx;
	}
	x->depth++;
}

/* "budgetMinor" -> "budget_minor" */
static char *
snake(struct gql_arena *a, const char *name)
{
	size_t n = strlen(name), i, o = 0;
	char *s = gql_alloc(a, n * 2 + 1);

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (isupper((unsigned char)name[i])) {
			if (i > 0)
				s[o++] = '_';
			s[o++] = (char)tolower((unsigned char)name[i]);
		} else
			s[o++] = name[i];
	}
	s[o] = '\0';
	return s;
}

static const char *
str_arg(const struct gql_directive *d, const char *name)
{
	const struct gql_value *v = gql_directive_arg(d, name);

	return v != NULL && v->kind == GQL_V_STRING ? v->s : NULL;
}

static int
read_plan(const struct gql_directive *dirs, struct plan *p)
{
	static const char *const methods[] = {"get",   "post",   "put",
	                                      "patch", "delete", NULL};
	static const char *const upper[] = {"GET", "POST", "PUT", "PATCH",
	                                    "DELETE"};
	const struct gql_value *v;
	int i;

	memset(p, 0, sizeof(*p));
	if ((p->rest = gql_directive_find(
	         (struct gql_directive *)(uintptr_t)dirs, "rest")) == NULL)
		return -1;
	p->service = str_arg(p->rest, "service");
	for (i = 0; methods[i] != NULL; i++)
		if ((p->path = str_arg(p->rest, methods[i])) != NULL) {
			p->method = upper[i];
			break;
		}
	p->body = str_arg(p->rest, "body");
	p->if_match = str_arg(p->rest, "ifMatch");
	p->select = str_arg(p->rest, "select");
	p->batch = str_arg(p->rest, "batch");
	p->key = str_arg(p->rest, "key");
	if (p->key == NULL)
		p->key = "id";
	p->query = gql_directive_arg(p->rest, "query");
	v = gql_directive_arg(p->rest, "connection");
	p->connection = v != NULL && v->kind == GQL_V_BOOL && v->b;
	return p->service != NULL && p->path != NULL ? 0 : -1;
}

/* ---- global ids -------------------------------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
gql_global_id(struct gql_arena *a, const char *type, const char *raw)
{
	size_t n = strlen(type) + 1 + strlen(raw), i, o = 0;
	unsigned char *in = gql_alloc(a, n + 1);
	char *out = gql_alloc(a, (n + 2) / 3 * 4 + 1);
	unsigned v;

	if (in == NULL || out == NULL)
		return NULL;
	snprintf((char *)in, n + 1, "%s:%s", type, raw);
	for (i = 0; i < n; i += 3) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

int
gql_global_id_decode(struct gql_arena *a, const char *id, const char **type,
                     const char **raw)
{
	size_t n = strlen(id), i, o = 0;
	unsigned char *out;
	const char *p;
	unsigned v = 0;
	int bits = 0, k;
	char *colon;

	if (n == 0 || n % 4 != 0 || n > 1024 ||
	    (out = gql_alloc(a, n / 4 * 3 + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (id[i] == '=') {
			if (i < n - 2)
				return -1;
			continue;
		}
		if ((p = strchr(b64, id[i])) == NULL || id[i] == '\0')
			return -1;
		k = (int)(p - b64);
		v = (v << 6) | (unsigned)k;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((v >> bits) & 0xFF);
		}
	}
	out[o] = '\0';
	for (i = 0; i < o; i++)
		if (out[i] < 0x20)
			return -1;
	if ((colon = strchr((char *)out, ':')) == NULL ||
	    colon == (char *)out || colon[1] == '\0')
		return -1;
	*colon = '\0';
	*type = (const char *)out;
	*raw = colon + 1;
	return 0;
}

/* ---- variables and arguments ----------------------------------------- */

static const struct gql_type *
tnamed(const struct gql_exec *x, const struct gql_typeref *t)
{
	return gql_typeref_named(x->s, t);
}

/* coerceInputValue for a variable's JSON value; 0 or -1 with *why set. */
static json_t *
coerce_json(struct gql_exec *x, json_t *v, const struct gql_typeref *t,
            const char **why)
{
	const struct gql_type *nt;
	json_t *out, *item, *fv;
	size_t i;
	int k;

	if (t->kind == GQL_T_NONNULL) {
		if (v == NULL || json_is_null(v)) {
			*why = gql_sprintf(
			    x->a,
			    "Expected non-nullable type \"%s\" not to be null.",
			    gql_print_type(x->a, t));
			return NULL;
		}
		return coerce_json(x, v, t->of, why);
	}
	if (v == NULL || json_is_null(v))
		return json_null();
	if (t->kind == GQL_T_LIST) {
		out = json_array();
		if (!json_is_array(v)) {
			if ((item = coerce_json(x, v, t->of, why)) == NULL)
				goto fail;
			json_array_append_new(out, item);
			return out;
		}
		json_array_foreach(v, i, fv)
		{
			if ((item = coerce_json(x, fv, t->of, why)) == NULL)
				goto fail;
			json_array_append_new(out, item);
		}
		return out;
	fail:
		json_decref(out);
		return NULL;
	}
	nt = tnamed(x, t);
	switch (nt->kind) {
	case GQL_K_INPUT: {
		const char *key;
		if (!json_is_object(v)) {
			*why = gql_sprintf(x->a,
			                   "Expected type \"%s\" to be "
			                   "an object.",
			                   nt->name);
			return NULL;
		}
		json_object_foreach(v, key,
		                    fv) if (gql_type_field(nt, key) == NULL)
		{
			*why = gql_sprintf(
			    x->a, "Field \"%s\" is not defined by type \"%s\".",
			    key, nt->name);
			return NULL;
		}
		out = json_object();
		for (k = 0; k < nt->nfields; k++) {
			const struct gql_field *f = &nt->fields[k];
			fv = json_object_get(v, f->name);
			if (fv == NULL) {
				if (f->defval != NULL) {
					int bad = 0;
					item = coerce_literal(x, f->defval,
					                      f->type, &bad);
					if (item != NULL)
						json_object_set_new(
						    out, f->name, item);
					continue;
				}
				if (f->type->kind == GQL_T_NONNULL) {
					*why = gql_sprintf(
					    x->a,
					    "Field \"%s.%s\" of required type "
					    "\"%s\" was not provided.",
					    nt->name, f->name,
					    gql_print_type(x->a, f->type));
					json_decref(out);
					return NULL;
				}
				continue;
			}
			if ((item = coerce_json(x, fv, f->type, why)) == NULL) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, f->name, item);
		}
		if (nt->oneof && (json_object_size(out) != 1 ||
		                  json_is_null(json_object_iter_value(
		                      json_object_iter(out))))) {
			*why = gql_sprintf(x->a,
			                   "Exactly one key must be "
			                   "specified for OneOf type "
			                   "\"%s\".",
			                   nt->name);
			json_decref(out);
			return NULL;
		}
		return out;
	}
	case GQL_K_ENUM:
		if (json_is_string(v) &&
		    gql_type_field(nt, json_string_value(v)) != NULL)
			return json_incref(v);
		*why = gql_sprintf(x->a, "Value is not a valid %s.", nt->name);
		return NULL;
	default:
		break;
	}
	if (!nt->builtin)
		return json_incref(v);
	if (strcmp(nt->name, "Int") == 0) {
		double d = json_is_integer(v) ? (double)json_integer_value(v)
		           : json_is_real(v)  ? json_real_value(v)
		                              : 0.5;
		if ((json_is_integer(v) || json_is_real(v)) &&
		    d == (double)(long long)d && d <= 2147483647.0 &&
		    d >= -2147483648.0)
			return json_integer((json_int_t)d);
		*why = "Int cannot represent a non 32-bit signed integer "
		       "value.";
		return NULL;
	}
	if (strcmp(nt->name, "Float") == 0) {
		if (json_is_number(v))
			return json_real(json_number_value(v));
		*why = "Float cannot represent a non numeric value.";
		return NULL;
	}
	if (strcmp(nt->name, "String") == 0) {
		if (json_is_string(v))
			return json_incref(v);
		*why = "String cannot represent a non string value.";
		return NULL;
	}
	if (strcmp(nt->name, "Boolean") == 0) {
		if (json_is_boolean(v))
			return json_incref(v);
		*why = "Boolean cannot represent a non boolean value.";
		return NULL;
	}
	if (strcmp(nt->name, "ID") == 0) {
		if (json_is_string(v))
			return json_incref(v);
		if (json_is_integer(v))
			return json_sprintf("%lld",
			                    (long long)json_integer_value(v));
		*why = "ID cannot represent a non-string and non-integer "
		       "value.";
		return NULL;
	}
	return json_incref(v);
}

/* A literal (validated) to JSON; variables from x->vars. *absent is set
 * when the literal is a variable that was not provided. */
static json_t *
coerce_literal(struct gql_exec *x, const struct gql_value *v,
               const struct gql_typeref *t, int *absent)
{
	const struct gql_typeref *it;
	const struct gql_type *nt;
	const struct gql_value *item;
	const struct gql_arg *f;
	json_t *out, *j;
	int k, ab;

	*absent = 0;
	it = t != NULL && t->kind == GQL_T_NONNULL ? t->of : t;
	if (it != NULL && it->kind == GQL_T_LIST && v->kind != GQL_V_LIST &&
	    v->kind != GQL_V_VAR && v->kind != GQL_V_NULL) {
		/* input coercion: a single value where a list is expected */
		out = json_array();
		j = coerce_literal(x, v, it->of, &ab);
		json_array_append_new(out, j != NULL ? j : json_null());
		return out;
	}
	switch (v->kind) {
	case GQL_V_VAR:
		j = json_object_get(x->vars, v->s);
		if (j == NULL) {
			*absent = 1;
			return NULL;
		}
		return json_incref(j);
	case GQL_V_NULL:
		return json_null();
	case GQL_V_INT:
		nt = t != NULL ? tnamed(x, t) : NULL;
		if (nt != NULL && strcmp(nt->name, "Float") == 0)
			return json_real(strtod(v->s, NULL));
		if (nt != NULL && strcmp(nt->name, "ID") == 0)
			return json_string(v->s);
		return json_integer(strtoll(v->s, NULL, 10));
	case GQL_V_FLOAT:
		return json_real(strtod(v->s, NULL));
	case GQL_V_STRING:
		return json_stringn_nocheck(v->s, v->len);
	case GQL_V_BOOL:
		return json_boolean(v->b);
	case GQL_V_ENUM:
		return json_string(v->s);
	case GQL_V_LIST:
		it = t != NULL && t->kind == GQL_T_NONNULL ? t->of : t;
		it = it != NULL && it->kind == GQL_T_LIST ? it->of : it;
		out = json_array();
		for (item = v->items; item != NULL; item = item->next) {
			j = coerce_literal(x, item, it, &ab);
			json_array_append_new(out, j != NULL ? j : json_null());
		}
		return out;
	case GQL_V_OBJECT:
		nt = t != NULL ? tnamed(x, t) : NULL;
		out = json_object();
		for (f = v->fields; f != NULL; f = f->next) {
			const struct gql_field *fd =
			    gql_type_field(nt, f->name);
			j = coerce_literal(x, f->value,
			                   fd != NULL ? fd->type : NULL, &ab);
			if (j != NULL)
				json_object_set_new(out, f->name, j);
		}
		for (k = 0; nt != NULL && k < nt->nfields; k++)
			if (json_object_get(out, nt->fields[k].name) == NULL &&
			    nt->fields[k].defval != NULL) {
				j = coerce_literal(x, nt->fields[k].defval,
				                   nt->fields[k].type, &ab);
				if (j != NULL)
					json_object_set_new(
					    out, nt->fields[k].name, j);
			}
		return out;
	}
	return json_null();
}

/* CoerceArgumentValues: a JSON object of the field's arguments. */
static json_t *
coerce_args(struct gql_exec *x, const struct gql_field *defs, int ndefs,
            const struct gql_arg *args, const struct gql_selection *node,
            int *bad)
{
	json_t *out = json_object(), *j;
	const struct gql_arg *a;
	int i, absent;

	*bad = 0;
	for (i = 0; i < ndefs; i++) {
		const struct gql_field *d = &defs[i];
		for (a = args; a != NULL; a = a->next)
			if (strcmp(a->name, d->name) == 0)
				break;
		j = NULL;
		absent = 1;
		if (a != NULL)
			j = coerce_literal(x, a->value, d->type, &absent);
		if (absent && d->defval != NULL)
			j = coerce_literal(x, d->defval, d->type, &absent);
		if (j == NULL) {
			if (d->type->kind == GQL_T_NONNULL) {
				field_error(
				    x, node, "BAD_USER_INPUT",
				    "Argument \"%s\" of required type \"%s\" "
				    "was not provided.",
				    d->name, gql_print_type(x->pa, d->type));
				*bad = 1;
			}
			continue;
		}
		if (json_is_null(j) && d->type->kind == GQL_T_NONNULL) {
			field_error(
			    x, node, "BAD_USER_INPUT",
			    "Argument \"%s\" of non-null type \"%s\" must not "
			    "be null.",
			    d->name, gql_print_type(x->pa, d->type));
			*bad = 1;
			json_decref(j);
			continue;
		}
		json_object_set_new(out, d->name, j);
	}
	return out;
}

static int
coerce_variables(struct gql_exec *x, json_t *given, struct gql_errors *errs)
{
	const struct gql_vardef *vd;
	const struct gql_type *t;
	struct gql_error *e;
	const char *why;
	json_t *v, *c;
	int absent;

	x->vars = json_object();
	for (vd = x->op->vars; vd != NULL; vd = vd->next) {
		t = tnamed(x, vd->type);
		if (t == NULL || !gql_is_input_type(t)) {
			e = gql_error_add(
			    errs, "BAD_USER_INPUT",
			    "Variable \"$%s\" expected value of type \"%s\" "
			    "which cannot be used as an input type.",
			    vd->name, gql_print_type(x->a, vd->type));
			gql_error_loc(e, vd->loc);
			continue;
		}
		v = given != NULL ? json_object_get(given, vd->name) : NULL;
		if (v == NULL) {
			if (vd->defval != NULL) {
				c = coerce_literal(x, vd->defval, vd->type,
				                   &absent);
				if (c != NULL)
					json_object_set_new(x->vars, vd->name,
					                    c);
			} else if (vd->type->kind == GQL_T_NONNULL) {
				e = gql_error_add(
				    errs, "BAD_USER_INPUT",
				    "Variable \"$%s\" of required type \"%s\" "
				    "was not provided.",
				    vd->name, gql_print_type(x->a, vd->type));
				gql_error_loc(e, vd->loc);
			}
			continue;
		}
		why = "invalid value";
		if ((c = coerce_json(x, v, vd->type, &why)) == NULL) {
			e = gql_error_add(
			    errs, "BAD_USER_INPUT",
			    "Variable \"$%s\" got invalid value; %s", vd->name,
			    why);
			gql_error_loc(e, vd->loc);
			continue;
		}
		json_object_set_new(x->vars, vd->name, c);
	}
	return errs->count > 0 ? -1 : 0;
}

/* ---- field collection --------------------------------------------------- */

static int
included(struct gql_exec *x, const struct gql_directive *d)
{
	const struct gql_value *v;
	json_t *j;
	int absent, val;

	for (; d != NULL; d = d->next) {
		if (strcmp(d->name, "skip") != 0 &&
		    strcmp(d->name, "include") != 0)
			continue;
		if ((v = gql_directive_arg(d, "if")) == NULL)
			continue;
		j = coerce_literal(x, v, NULL, &absent);
		val = j != NULL && json_is_true(j);
		json_decref(j);
		if (d->name[0] == 's' && val)
			return 0;
		if (d->name[0] == 'i' && !val)
			return 0;
	}
	return 1;
}

static int
applies(struct gql_exec *x, const char *cond, const struct gql_type *rt)
{
	const struct gql_type *t;

	if (cond == NULL)
		return 1;
	if ((t = gql_schema_type(x->s, cond)) == NULL)
		return 0;
	return t == rt || gql_type_possible(t, rt);
}

static void
group_add(struct gql_exec *x, struct collected *c, const char *rkey,
          const struct gql_selection *node)
{
	struct field_group *g = NULL;
	int i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->g[i].rkey, rkey) == 0) {
			g = &c->g[i];
			break;
		}
	if (g == NULL) {
		if (c->n == c->cap) {
			int nc = c->cap ? c->cap * 2 : 8;
			struct field_group *ng =
			    gql_alloc(x->pa, (size_t)nc * sizeof(*ng));
			if (ng == NULL)
				return;
			if (c->n)
				memcpy(ng, c->g, (size_t)c->n * sizeof(*ng));
			c->g = ng;
			c->cap = nc;
		}
		g = &c->g[c->n++];
		g->rkey = rkey;
	}
	if (g->n == g->cap) {
		int nc = g->cap ? g->cap * 2 : 2;
		const struct gql_selection **nn =
		    gql_alloc(x->pa, (size_t)nc * sizeof(*nn));
		if (nn == NULL)
			return;
		if (g->n)
			memcpy(nn, g->nodes, (size_t)g->n * sizeof(*nn));
		g->nodes = nn;
		g->cap = nc;
	}
	g->nodes[g->n++] = node;
}

static void
collect(struct gql_exec *x, const struct gql_type *rt,
        const struct gql_selection *sel, struct collected *c, const char **seen,
        int *nseen, int depth)
{
	const struct gql_selection *s;
	const struct gql_def *fr;
	int i;

	if (depth > 256)
		return;
	for (s = sel; s != NULL; s = s->next) {
		if (!included(x, s->directives))
			continue;
		switch (s->kind) {
		case GQL_SEL_FIELD:
			group_add(x, c, s->alias ? s->alias : s->name, s);
			break;
		case GQL_SEL_INLINE:
			if (applies(x, s->type_cond, rt))
				collect(x, rt, s->sel, c, seen, nseen,
				        depth + 1);
			break;
		case GQL_SEL_SPREAD:
			for (i = 0; i < *nseen; i++)
				if (strcmp(seen[i], s->name) == 0)
					break;
			if (i < *nseen || *nseen >= 1024)
				break;
			seen[(*nseen)++] = s->name;
			fr = fragment(x, s->name);
			if (fr != NULL && applies(x, fr->type_cond, rt))
				collect(x, rt, fr->sel, c, seen, nseen,
				        depth + 1);
			break;
		}
	}
}

/* ---- fetches --------------------------------------------------------- */

static struct gql_fetch *
cache_get(struct gql_exec *x, const char *key)
{
	struct gql_fetch *f;

	for (f = x->cache[strhash(key) % CACHE_SIZE]; f != NULL; f = f->hnext)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static int
pending_add(struct gql_exec *x, struct gql_fetch *f)
{
	if (x->npending == x->cappending) {
		int nc = x->cappending ? x->cappending * 2 : 16;
		struct gql_fetch **np =
		    realloc(x->pending, (size_t)nc * sizeof(*np));
		if (np == NULL)
			return -1;
		x->pending = np;
		x->cappending = nc;
	}
	x->pending[x->npending++] = f;
	return 0;
}

static struct gql_fetch *
fetch_new(struct gql_exec *x, const char *key)
{
	struct gql_fetch *f = gql_alloc(x->a, sizeof(*f));
	unsigned h;

	if (f == NULL)
		return NULL;
	f->key = gql_strndup(x->a, key, strlen(key));
	h = strhash(key) % CACHE_SIZE;
	f->hnext = x->cache[h];
	x->cache[h] = f;
	f->next = x->all;
	x->all = f;
	return f;
}

static void
urlenc(struct gql_exec *x, char **buf, size_t *len, size_t *cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i;
	char *nb;

	if (*len + n * 3 + 1 > *cap) {
		size_t nc = (*len + n * 3 + 1) * 2;
		if ((nb = gql_alloc(x->pa, nc)) == NULL)
			return;
		if (*len)
			memcpy(nb, *buf, *len);
		*buf = nb;
		*cap = nc;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			(*buf)[(*len)++] = (char)c;
		else {
			(*buf)[(*len)++] = '%';
			(*buf)[(*len)++] = hex[c >> 4];
			(*buf)[(*len)++] = hex[c & 15];
		}
	}
	(*buf)[*len] = '\0';
}

static void
append(struct gql_exec *x, char **buf, size_t *len, size_t *cap, const char *s,
       size_t n)
{
	char *nb;

	if (*len + n + 1 > *cap) {
		size_t nc = (*len + n + 1) * 2;
		if ((nb = gql_alloc(x->pa, nc)) == NULL)
			return;
		if (*len)
			memcpy(nb, *buf, *len);
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* The shortest decimal text that reads back as d (34.6814, not
 * 34.681400000000004): a service may bound a coordinate's digits. */
static const char *
shortest_real(struct gql_exec *x, double d)
{
	char buf[32];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return gql_sprintf(x->pa, "%.*g", prec, d);
}

/* A scalar JSON value as the services read it in a path or a query:
 * enums lower-case, a global id reduced to its raw id. NULL for null. */
static const char *
rest_scalar(struct gql_exec *x, json_t *v, const struct gql_typeref *t)
{
	const struct gql_type *nt = t != NULL ? tnamed(x, t) : NULL;
	const char *type, *raw;
	char *s;
	size_t i;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v)) {
		if (nt != NULL && nt->kind == GQL_K_ENUM && !nt->builtin) {
			s = gql_strndup(x->pa, json_string_value(v),
			                json_string_length(v));
			for (i = 0; s != NULL && s[i]; i++)
				s[i] = (char)tolower((unsigned char)s[i]);
			return s;
		}
		if (nt != NULL && strcmp(nt->name, "ID") == 0 &&
		    gql_global_id_decode(x->pa, json_string_value(v), &type,
		                         &raw) == 0 &&
		    gql_schema_type(x->s, type) != NULL)
			return raw;
		return json_string_value(v);
	}
	if (json_is_integer(v))
		return gql_sprintf(x->pa, "%lld",
		                   (long long)json_integer_value(v));
	if (json_is_real(v))
		return shortest_real(x, json_real_value(v));
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

/* A GraphQL input value as the services read it in a body. */
static json_t *
rest_value(struct gql_exec *x, json_t *v, const struct gql_typeref *t)
{
	const struct gql_type *nt = t != NULL ? tnamed(x, t) : NULL;
	const struct gql_typeref *it;
	const struct gql_field *fd;
	const struct gql_directive *from;
	json_t *out, *item;
	const char *key, *s;
	size_t i;

	if (v == NULL)
		return json_null();
	if (json_is_array(v)) {
		it = t != NULL && t->kind == GQL_T_NONNULL ? t->of : t;
		it = it != NULL && it->kind == GQL_T_LIST ? it->of : NULL;
		out = json_array();
		json_array_foreach(v, i, item)
		    json_array_append_new(out, rest_value(x, item, it));
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, key, item)
		{
			fd = nt != NULL && nt->kind == GQL_K_INPUT
			         ? gql_type_field(nt, key)
			         : NULL;
			from = fd != NULL
			           ? gql_directive_find(
			                 (struct gql_directive *)(uintptr_t)
			                     fd->directives,
			                 "from")
			           : NULL;
			s = str_arg(from, "path");
			json_object_set_new(
			    out,
			    s != NULL    ? s
			    : fd != NULL ? snake(x->pa, key)
			                 : key,
			    rest_value(x, item, fd != NULL ? fd->type : NULL));
		}
		return out;
	}
	if (json_is_string(v) && nt != NULL && nt->kind == GQL_K_ENUM) {
		s = rest_scalar(x, v, t);
		return json_string(s != NULL ? s : "");
	}
	if (json_is_string(v) && nt != NULL && strcmp(nt->name, "ID") == 0) {
		s = rest_scalar(x, v, t);
		return json_string(s != NULL ? s : "");
	}
	return json_incref(v);
}

/* Expands {arg} and {.member}; 1 when a value is null (no request).
 * keep_ids: "{ids}" stays as it is (a batch path, filled by
 * plan_requests). */
static int
expand(struct gql_exec *x, const char *tmpl, const struct gql_field *fd,
       json_t *args, json_t *parent, char **out, json_t *used, int keep_ids)
{
	char *buf = NULL, name[128];
	size_t len = 0, cap = 0, n;
	const char *p = tmpl, *e, *s;
	const struct gql_field *ad;
	json_t *v;

	append(x, &buf, &len, &cap, "", 0);
	while (*p) {
		if (*p != '{' || (e = strchr(p, '}')) == NULL) {
			append(x, &buf, &len, &cap, p, 1);
			p++;
			continue;
		}
		n = (size_t)(e - p - 1);
		if (n == 0 || n >= sizeof(name))
			return -1;
		memcpy(name, p + 1, n);
		name[n] = '\0';
		if (keep_ids && strcmp(name, "ids") == 0) {
			append(x, &buf, &len, &cap, "{ids}", 5);
			p = e + 1;
			continue;
		}
		if (name[0] == '.') {
			v = json_is_object(parent)
			        ? json_object_get(parent, name + 1)
			        : NULL;
			s = rest_scalar(x, v, NULL);
		} else {
			v = json_object_get(args, name);
			ad = fd != NULL
			         ? gql_field_arg(fd->args, fd->nargs, name)
			         : NULL;
			s = rest_scalar(x, v, ad != NULL ? ad->type : NULL);
			if (used != NULL)
				json_object_set_new(used, name, json_true());
		}
		if (s == NULL)
			return 1;
		urlenc(x, &buf, &len, &cap, s);
		p = e + 1;
	}
	*out = buf;
	return buf != NULL ? 0 : -1;
}

/* Appends the plan's query parameters ("name" or "param=argument"). */
static void
add_query(struct gql_exec *x, const struct plan *pl, const struct gql_field *fd,
          json_t *args, char **path)
{
	const struct gql_value *item;
	const struct gql_field *ad;
	char *buf = *path;
	size_t len = strlen(buf), cap = len + 1;
	const char *eq, *pname, *aname, *s;
	int first = strchr(buf, '?') == NULL;
	json_t *v, *e;
	size_t i;

	if (pl->query == NULL)
		return;
	for (item = pl->query->kind == GQL_V_LIST ? pl->query->items
	                                          : pl->query;
	     item != NULL; item = item->next) {
		if (item->kind != GQL_V_STRING)
			continue;
		eq = strchr(item->s, '=');
		pname = eq != NULL ? gql_strndup(x->pa, item->s,
		                                 (size_t)(eq - item->s))
		                   : item->s;
		aname = eq != NULL ? eq + 1 : item->s;
		v = json_object_get(args, aname);
		ad = gql_field_arg(fd->args, fd->nargs, aname);
		if (v == NULL || json_is_null(v))
			continue;
		if (json_is_array(v)) {
			json_array_foreach(v, i, e)
			{
				if ((s = rest_scalar(
				         x, e,
				         ad != NULL
				             ? ad->type->kind == GQL_T_NONNULL
				                   ? ad->type->of->of
				                   : ad->type->of
				             : NULL)) == NULL)
					continue;
				append(x, &buf, &len, &cap, first ? "?" : "&",
				       1);
				first = 0;
				urlenc(x, &buf, &len, &cap, pname);
				append(x, &buf, &len, &cap, "=", 1);
				urlenc(x, &buf, &len, &cap, s);
			}
			continue;
		}
		if ((s = rest_scalar(x, v, ad != NULL ? ad->type : NULL)) ==
		    NULL)
			continue;
		append(x, &buf, &len, &cap, first ? "?" : "&", 1);
		first = 0;
		urlenc(x, &buf, &len, &cap, pname);
		append(x, &buf, &len, &cap, "=", 1);
		urlenc(x, &buf, &len, &cap, s);
	}
	*path = buf;
}

/* The batch path of an item read (its {ids} left for plan_requests), in
 * the execution's arena; NULL when the read must be made alone: an
 * argument it sends (a cursor, say) that the batch read does not carry is
 * the item's own. Item reads with equal batch paths are merged. */
static const char *
batch_path(struct gql_exec *x, const struct plan *pl,
           const struct gql_field *fd, json_t *args, json_t *parent)
{
	const struct gql_value *item;
	const char *eq, *aname, *ph;
	char *path;
	json_t *v;

	for (item = pl->query == NULL               ? NULL
	            : pl->query->kind == GQL_V_LIST ? pl->query->items
	                                            : pl->query;
	     item != NULL; item = item->next) {
		if (item->kind != GQL_V_STRING)
			continue;
		eq = strchr(item->s, '=');
		aname = eq != NULL ? eq + 1 : item->s;
		v = json_object_get(args, aname);
		if (v == NULL || json_is_null(v))
			continue;
		if ((ph = gql_sprintf(x->pa, "{%s}", aname)) == NULL ||
		    strstr(pl->batch, ph) == NULL)
			return NULL;
	}
	if (expand(x, pl->batch, fd, args, parent, &path, NULL, 1) != 0)
		return NULL;
	return gql_strndup(x->a, path, strlen(path));
}

/* Looks up or registers the fetch of a resource; returns it, or NULL when
 * no request is needed (a null in the path): the field is null. */
static struct gql_fetch *
need(struct gql_exec *x, const struct plan *pl, const struct gql_field *fd,
     json_t *args, json_t *parent, const char *typename_, int *err)
{
	struct gql_fetch *f;
	json_t *used = NULL, *body = NULL, *v;
	const char *key, *k;
	char *path;
	int rc, mut = strcmp(pl->method, "GET") != 0;

	*err = 0;
	if (mut)
		used = json_object();
	rc = expand(x, pl->path, fd, args, parent, &path, used, 0);
	if (rc != 0) {
		json_decref(used);
		*err = rc < 0;
		return NULL;
	}
	if (fd != NULL)
		add_query(x, pl, fd, args, &path);
	if (mut) {
		if (pl->body != NULL && strcmp(pl->body, "*") == 0) {
			const struct gql_field *ad;
			body = json_object();
			json_object_foreach(args, k, v)
			{
				if (json_object_get(used, k) != NULL)
					continue;
				ad = gql_field_arg(fd->args, fd->nargs, k);
				json_object_set_new(
				    body, snake(x->pa, k),
				    rest_value(x, v,
				               ad != NULL ? ad->type : NULL));
			}
		} else if (pl->body != NULL) {
			const struct gql_field *ad =
			    gql_field_arg(fd->args, fd->nargs, pl->body);
			body = rest_value(x, json_object_get(args, pl->body),
			                  ad != NULL ? ad->type : NULL);
		}
		json_decref(used);
		/* each mutation field is its own request, never shared */
		key = gql_sprintf(x->pa, "M%d %s %s", x->mutation_index,
		                  pl->method, path);
	} else
		/* a batch read answers item reads; an item read made
		 * plainly elsewhere in the operation answers it too */
		key = gql_sprintf(x->pa, "%s %s %d|%s|%s", pl->service, path,
		                  pl->connection, pl->select ? pl->select : "",
		                  typename_ ? typename_ : "");
	if (key == NULL) {
		json_decref(body);
		*err = 1;
		return NULL;
	}
	if ((f = cache_get(x, key)) != NULL) {
		json_decref(body);
		/* known: answered, or already pending in this pass */
		if (f->status == 0 && f->batched == NULL) {
			int i;
			for (i = 0; i < x->npending; i++)
				if (x->pending[i] == f)
					return f;
			if (pending_add(x, f) != 0)
				*err = 1;
		}
		return f;
	}
	if ((f = fetch_new(x, key)) == NULL) {
		json_decref(body);
		*err = 1;
		return NULL;
	}
	f->service = pl->service;
	f->method = pl->method;
	f->path = gql_strndup(x->a, path, strlen(path));
	f->body = body;
	f->mutation = mut;
	if (mut && pl->if_match != NULL &&
	    json_is_integer(v = json_object_get(args, pl->if_match)))
		/* the services' ETag of a version (mp_if_match) */
		f->if_match = gql_sprintf(x->a, "\"v%lld\"",
		                          (long long)json_integer_value(v));
	f->shape = pl->connection;
	f->select = pl->select;
	f->typename_ = typename_;
	if (pl->batch != NULL && !mut &&
	    (f->batch_path = batch_path(x, pl, fd, args, parent)) != NULL) {
		/* the id this item read would put in a batch read */
		const char *ph = strchr(pl->path, '{');
		f->batch_key = pl->key;
		{
			/* the value that replaced the placeholder */
			const char *close = ph ? strchr(ph, '}') : NULL;
			if (ph != NULL && close != NULL) {
				char name[128];
				size_t n = (size_t)(close - ph - 1);
				json_t *val;
				if (n > 0 && n < sizeof(name)) {
					memcpy(name, ph + 1, n);
					name[n] = '\0';
					val = name[0] == '.'
					          ? (json_is_object(parent)
					                 ? json_object_get(
					                       parent, name + 1)
					                 : NULL)
					          : json_object_get(args, name);
					k = rest_scalar(x, val, NULL);
					if (k != NULL)
						f->batch_id = gql_strndup(
						    x->a, k, strlen(k));
				}
			}
		}
	}
	if (pending_add(x, f) != 0)
		*err = 1;
	return f;
}

/* Shapes an answer once it arrives: select a member, a Relay connection,
 * a __typename for node(id:). */
static json_t *
shape(struct gql_fetch *f, json_t *body)
{
	json_t *items, *edges, *out, *item, *cursor, *v;
	size_t i;

	if (body == NULL)
		return NULL;
	if (f->shape && json_is_object(body)) {
		items = json_object_get(body, "items");
		cursor = json_object_get(body, "next_cursor");
		edges = json_array();
		json_array_foreach(items, i, item)
		{
			v = json_object_get(item, "id");
			json_array_append_new(
			    edges,
			    json_pack("{s:O,s:O}", "node", item, "cursor",
			              v != NULL ? v : json_null()));
		}
		out = json_pack(
		    "{s:o,s:O,s:{s:b,s:b,s:O,s:O}}", "edges", edges, "nodes",
		    items != NULL ? items : json_null(), "pageInfo",
		    "hasNextPage", cursor != NULL && json_is_string(cursor),
		    "hasPreviousPage", 0, "startCursor",
		    json_array_size(items) > 0
		        ? json_object_get(json_array_get(items, 0), "id")
		        : json_null(),
		    "endCursor", cursor != NULL ? cursor : json_null());
		json_decref(body);
		return out;
	}
	if (f->select != NULL && json_is_object(body)) {
		v = json_incref(json_object_get(body, f->select));
		json_decref(body);
		body = v != NULL ? v : json_null();
	}
	if (f->typename_ != NULL && json_is_object(body))
		json_object_set_new(body, "__typename",
		                    json_string(f->typename_));
	return body;
}

void
gql_exec_supply(struct gql_exec *x, struct gql_fetch *f, int status,
                json_t *body)
{
	json_t *items, *item, *k;
	const char *kv;
	size_t i;
	int m;

	f->status = status != 0 ? status : -2;
	if (f->members == NULL) {
		f->result =
		    status >= 200 && status < 300 ? shape(f, body) : body;
		return;
	}
	/* a batch read: answer each item read it stands for */
	items = json_is_object(body) ? json_object_get(body, "items") : body;
	for (m = 0; m < f->nmembers; m++) {
		struct gql_fetch *mf = f->members[m];
		mf->status = 404;
		if (status < 200 || status >= 300) {
			mf->status = f->status;
			mf->result = json_incref(body);
			continue;
		}
		json_array_foreach(items, i, item)
		{
			k = json_object_get(item, mf->batch_key);
			kv = json_is_string(k) ? json_string_value(k) : NULL;
			if (kv != NULL && mf->batch_id != NULL &&
			    strcmp(kv, mf->batch_id) == 0) {
				mf->status = 200;
				mf->result = shape(mf, json_incref(item));
				break;
			}
		}
	}
	json_decref(body);
	(void)x;
}

/* Upstream failure of a fetch as a field error; 0 when it succeeded. */
static int
fetch_failed(struct gql_exec *x, const struct gql_fetch *f,
             const struct gql_selection *node)
{
	const char *detail = NULL, *code;
	json_t *d;

	if (f->status >= 200 && f->status < 300)
		return 0;
	if (json_is_object(f->result)) {
		d = json_object_get(f->result, "detail");
		if (!json_is_string(d))
			d = json_object_get(f->result, "title");
		if (json_is_string(d))
			detail = json_string_value(d);
	}
	switch (f->status) {
	case -1:
		field_error(
		    x, node, "UPSTREAM_LIMIT",
		    "The operation needs more than %d upstream requests.",
		    x->o.max_fetches);
		return 1;
	case 400:
	case 422:
		code = "BAD_USER_INPUT";
		break;
	case 401:
		code = "UNAUTHENTICATED";
		break;
	case 403:
		code = "FORBIDDEN";
		break;
	case 404:
		field_error(x, node, "NOT_FOUND", "Not found.");
		return 1;
	case 409:
		code = "CONFLICT";
		break;
	case 412:
		code = "PRECONDITION_FAILED";
		break;
	case 413:
		code = "PAYLOAD_TOO_LARGE";
		break;
	case 429:
		code = "RATE_LIMITED";
		break;
	default:
		field_error(x, node, "UPSTREAM_ERROR",
		            "The %s service could not answer (request id %s).",
		            f->service,
		            x->o.request_id ? x->o.request_id : "-");
		return 1;
	}
	field_error(x, node, code, "%s", detail != NULL ? detail : code);
	if (json_is_object(f->result) &&
	    json_object_get(f->result, "errors") != NULL) {
		json_t *last =
		    json_array_get(x->errors, json_array_size(x->errors) - 1);
		json_object_set(json_object_get(last, "extensions"), "errors",
		                json_object_get(f->result, "errors"));
	}
	return 1;
}

/* ---- introspection ----------------------------------------------------- */

static json_t *
type_ref_json(const struct gql_typeref *t)
{
	if (t->kind == GQL_T_NAMED)
		return json_pack("{s:s}", "$t", t->name);
	return json_pack("{s:s,s:o}", "$k",
	                 t->kind == GQL_T_LIST ? "LIST" : "NON_NULL", "$of",
	                 type_ref_json(t->of));
}

static json_t *
named_json(const struct gql_type *t)
{
	return t != NULL ? json_pack("{s:s}", "$t", t->name) : json_null();
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static const char *const kind_names[] = {"SCALAR", "OBJECT", "INTERFACE",
                                         "UNION",  "ENUM",   "INPUT_OBJECT"};

/* The list of introspection markers for defs: base (stolen) plus the
 * member tag naming each. */
static json_t *
input_values(const struct gql_field *defs, int n, json_t *base, const char *tag,
             int include_deprecated)
{
	json_t *out = json_array(), *o;
	int i;

	for (i = 0; i < n; i++) {
		if (defs[i].deprecation != NULL && !include_deprecated)
			continue;
		o = json_deep_copy(base);
		json_object_set_new(o, tag, json_string(defs[i].name));
		json_array_append_new(out, o);
	}
	json_decref(base);
	return out;
}

/* The value of field name of an introspection object (marker JSON). */
static json_t *
intro_field(struct gql_exec *x, const struct gql_type *pt, json_t *obj,
            const char *name, json_t *args)
{
	const struct gql_schema *s = x->s;
	const struct gql_type *t = NULL;
	const struct gql_field *f = NULL, *a = NULL;
	const struct gql_dirdef *dd = NULL;
	const char *tn, *kind;
	int incl = json_is_true(json_object_get(args, "includeDeprecated"));
	json_t *out;
	int i;

	if (strcmp(pt->name, "__Schema") == 0) {
		if (strcmp(name, "description") == 0)
			return str_or_null(s->description);
		if (strcmp(name, "types") == 0) {
			out = json_array();
			for (i = 0; i < s->ntypes; i++)
				json_array_append_new(out,
				                      named_json(s->types[i]));
			return out;
		}
		if (strcmp(name, "queryType") == 0)
			return named_json(s->query);
		if (strcmp(name, "mutationType") == 0)
			return named_json(s->mutation);
		if (strcmp(name, "subscriptionType") == 0)
			return named_json(s->subscription);
		if (strcmp(name, "directives") == 0) {
			out = json_array();
			for (i = 0; i < s->ndirs; i++)
				json_array_append_new(
				    out,
				    json_pack("{s:s}", "$d", s->dirs[i].name));
			return out;
		}
		return json_null();
	}
	if (strcmp(pt->name, "__Type") == 0) {
		kind = json_string_value(json_object_get(obj, "$k"));
		if (kind != NULL) {
			if (strcmp(name, "kind") == 0)
				return json_string(kind);
			if (strcmp(name, "ofType") == 0)
				return json_incref(json_object_get(obj, "$of"));
			return json_null();
		}
		tn = json_string_value(json_object_get(obj, "$t"));
		if ((t = gql_schema_type(s, tn)) == NULL)
			return json_null();
		if (strcmp(name, "kind") == 0)
			return json_string(kind_names[t->kind]);
		if (strcmp(name, "name") == 0)
			return json_string(t->name);
		if (strcmp(name, "description") == 0)
			return str_or_null(t->description);
		if (strcmp(name, "specifiedByURL") == 0)
			return str_or_null(t->specified_by);
		if (strcmp(name, "isOneOf") == 0)
			return t->kind == GQL_K_INPUT ? json_boolean(t->oneof)
			                              : json_null();
		if (strcmp(name, "fields") == 0) {
			if (t->kind != GQL_K_OBJECT &&
			    t->kind != GQL_K_INTERFACE)
				return json_null();
			return input_values(t->fields, t->nfields,
			                    json_pack("{s:s}", "$t", t->name),
			                    "$f", incl);
		}
		if (strcmp(name, "inputFields") == 0) {
			if (t->kind != GQL_K_INPUT)
				return json_null();
			return input_values(t->fields, t->nfields,
			                    json_pack("{s:s}", "$t", t->name),
			                    "$i", incl);
		}
		if (strcmp(name, "enumValues") == 0) {
			if (t->kind != GQL_K_ENUM)
				return json_null();
			return input_values(t->fields, t->nfields,
			                    json_pack("{s:s}", "$t", t->name),
			                    "$v", incl);
		}
		if (strcmp(name, "interfaces") == 0) {
			if (t->kind != GQL_K_OBJECT &&
			    t->kind != GQL_K_INTERFACE)
				return json_null();
			out = json_array();
			for (i = 0; i < t->ninterfaces; i++)
				json_array_append_new(
				    out, named_json(t->interfaces[i]));
			return out;
		}
		if (strcmp(name, "possibleTypes") == 0) {
			if (t->kind != GQL_K_UNION &&
			    t->kind != GQL_K_INTERFACE)
				return json_null();
			out = json_array();
			for (i = 0; i < t->npossible; i++)
				if (t->possible[i]->kind == GQL_K_OBJECT)
					json_array_append_new(
					    out, named_json(t->possible[i]));
			return out;
		}
		return json_null();
	}
	if (strcmp(pt->name, "__Directive") == 0) {
		dd = gql_schema_directive(
		    s, json_string_value(json_object_get(obj, "$d")));
		if (dd == NULL)
			return json_null();
		if (strcmp(name, "name") == 0)
			return json_string(dd->name);
		if (strcmp(name, "description") == 0)
			return str_or_null(dd->description);
		if (strcmp(name, "isRepeatable") == 0)
			return json_boolean(dd->repeatable);
		if (strcmp(name, "locations") == 0) {
			const struct gql_name *n;
			out = json_array();
			for (n = dd->locnames; n != NULL; n = n->next)
				json_array_append_new(out,
				                      json_string(n->name));
			return out;
		}
		if (strcmp(name, "args") == 0)
			return input_values(dd->args, dd->nargs,
			                    json_pack("{s:s}", "$d", dd->name),
			                    "$a", incl);
		return json_null();
	}
	/* __Field, __InputValue, __EnumValue */
	tn = json_string_value(json_object_get(obj, "$t"));
	t = tn != NULL ? gql_schema_type(s, tn) : NULL;
	if (json_object_get(obj, "$d") != NULL)
		dd = gql_schema_directive(
		    s, json_string_value(json_object_get(obj, "$d")));
	if (json_object_get(obj, "$f") != NULL)
		f = gql_type_field(
		    t, json_string_value(json_object_get(obj, "$f")));
	else if (json_object_get(obj, "$i") != NULL)
		f = gql_type_field(
		    t, json_string_value(json_object_get(obj, "$i")));
	else if (json_object_get(obj, "$v") != NULL)
		f = gql_type_field(
		    t, json_string_value(json_object_get(obj, "$v")));
	if (json_object_get(obj, "$a") != NULL) {
		const char *an = json_string_value(json_object_get(obj, "$a"));
		a = dd != NULL  ? gql_field_arg(dd->args, dd->nargs, an)
		    : f != NULL ? gql_field_arg(f->args, f->nargs, an)
		                : NULL;
		f = a;
	}
	if (f == NULL)
		return json_null();
	if (strcmp(name, "name") == 0)
		return json_string(f->name);
	if (strcmp(name, "description") == 0)
		return str_or_null(f->description);
	if (strcmp(name, "isDeprecated") == 0)
		return json_boolean(f->deprecation != NULL);
	if (strcmp(name, "deprecationReason") == 0)
		return str_or_null(f->deprecation);
	if (strcmp(name, "type") == 0)
		return f->type != NULL ? type_ref_json(f->type) : json_null();
	if (strcmp(name, "defaultValue") == 0)
		return f->defval != NULL
		           ? str_or_null(gql_print_value(x->pa, f->defval))
		           : json_null();
	if (strcmp(name, "args") == 0) {
		json_t *base = json_deep_copy(obj);
		return input_values(f->args, f->nargs, base, "$a", incl);
	}
	return json_null();
}

/* ---- completion -------------------------------------------------------- */

static json_t *
serialize_leaf(struct gql_exec *x, const struct gql_type *t, json_t *v,
               const struct gql_selection *node)
{
	char buf[64];
	size_t i, j;
	const char *s;

	if (t->kind == GQL_K_ENUM) {
		if (!json_is_string(v))
			goto bad;
		s = json_string_value(v);
		if (gql_type_field(t, s) != NULL)
			return json_incref(v);
		/* the services' lower-case values */
		for (i = 0, j = 0; s[i] && j < sizeof(buf) - 1; i++)
			buf[j++] = isalnum((unsigned char)s[i])
			               ? (char)toupper((unsigned char)s[i])
			               : '_';
		buf[j] = '\0';
		if (s[i] == '\0' && gql_type_field(t, buf) != NULL)
			return json_string(buf);
		goto bad;
	}
	if (!t->builtin)
		return json_incref(v);
	if (strcmp(t->name, "String") == 0) {
		if (json_is_string(v))
			return json_incref(v);
		if (json_is_boolean(v))
			return json_string(json_is_true(v) ? "true" : "false");
		if (json_is_integer(v))
			return json_sprintf("%lld",
			                    (long long)json_integer_value(v));
		if (json_is_real(v))
			return json_sprintf("%g", json_real_value(v));
		goto bad;
	}
	if (strcmp(t->name, "ID") == 0) {
		if (json_is_string(v))
			return json_incref(v);
		if (json_is_integer(v))
			return json_sprintf("%lld",
			                    (long long)json_integer_value(v));
		goto bad;
	}
	if (strcmp(t->name, "Int") == 0) {
		if (json_is_integer(v) &&
		    json_integer_value(v) <= 2147483647LL &&
		    json_integer_value(v) >= -2147483648LL)
			return json_incref(v);
		if (json_is_boolean(v))
			return json_integer(json_is_true(v));
		goto bad;
	}
	if (strcmp(t->name, "Float") == 0) {
		if (json_is_number(v))
			return json_incref(v);
		goto bad;
	}
	if (strcmp(t->name, "Boolean") == 0) {
		if (json_is_boolean(v))
			return json_incref(v);
		goto bad;
	}
	return json_incref(v);
bad:
	field_error(x, node, "INTERNAL_SERVER_ERROR",
	            "%s cannot represent the value the service returned.",
	            t->name);
	return NULL;
}

static const struct gql_type *
runtime_type(struct gql_exec *x, const struct gql_type *t, json_t *v)
{
	json_t *tn;
	const struct gql_type *rt;

	if (t->kind == GQL_K_OBJECT)
		return t;
	tn = json_is_object(v) ? json_object_get(v, "__typename") : NULL;
	if (json_is_string(tn)) {
		rt = gql_schema_type(x->s, json_string_value(tn));
		if (rt != NULL && rt->kind == GQL_K_OBJECT &&
		    gql_type_possible(t, rt))
			return rt;
		return NULL;
	}
	if (t->npossible == 1)
		return t->possible[0];
	return NULL;
}

static int
complete(struct gql_exec *x, const struct gql_typeref *t,
         const struct gql_selection *const *nodes, int nnodes, json_t *v,
         json_t **out)
{
	const struct gql_type *nt, *rt;
	const struct gql_selection **sub;
	json_t *arr, *item, *r;
	size_t i;
	int st, worst = ST_OK, n, k;

	*out = NULL;
	if (t->kind == GQL_T_NONNULL) {
		int before = (int)json_array_size(x->errors);
		st = complete(x, t->of, nodes, nnodes, v, out);
		if (st == ST_PENDING)
			return st;
		if (*out == NULL || json_is_null(*out)) {
			if ((int)json_array_size(x->errors) == before)
				field_error(
				    x, nodes[0], "INTERNAL_SERVER_ERROR",
				    "Cannot return null for non-nullable "
				    "field.");
			json_decref(*out);
			*out = NULL;
			return ST_NULL;
		}
		return st;
	}
	if (v == NULL || json_is_null(v)) {
		*out = json_null();
		return ST_OK;
	}
	if (t->kind == GQL_T_LIST) {
		if (!json_is_array(v)) {
			field_error(x, nodes[0], "INTERNAL_SERVER_ERROR",
			            "Expected a list from the service.");
			*out = json_null();
			return ST_NULL;
		}
		arr = json_array();
		json_array_foreach(v, i, item)
		{
			push_idx(x, (int)i);
			st = complete(x, t->of, nodes, nnodes, item, &r);
			x->depth--;
			if (st == ST_PENDING)
				worst = ST_PENDING;
			else if (st == ST_NULL && worst != ST_PENDING)
				worst = ST_NULL;
			json_array_append_new(arr, r != NULL ? r : json_null());
		}
		if (worst == ST_NULL && t->of->kind == GQL_T_NONNULL) {
			json_decref(arr);
			*out = json_null();
			return ST_NULL; /* the list itself becomes null */
		}
		*out = arr;
		return worst == ST_PENDING ? ST_PENDING : ST_OK;
	}
	nt = tnamed(x, t);
	if (gql_is_leaf(nt)) {
		*out = serialize_leaf(x, nt, v, nodes[0]);
		if (*out == NULL) {
			*out = json_null();
			return ST_NULL;
		}
		return ST_OK;
	}
	rt = runtime_type(x, nt, v);
	if (rt == NULL) {
		field_error(x, nodes[0], "INTERNAL_SERVER_ERROR",
		            "Cannot tell the type of the value of %s.",
		            nt->name);
		*out = json_null();
		return ST_NULL;
	}
	for (k = 0, n = 0; k < nnodes; k++)
		n++;
	sub = gql_alloc(x->pa, (size_t)(n + 1) * sizeof(*sub));
	if (sub == NULL)
		return ST_NULL;
	for (k = 0, n = 0; k < nnodes; k++)
		if (nodes[k]->has_sel)
			sub[n++] = nodes[k]->sel;
	st = exec_selset(x, rt, v, (const struct gql_selection *const *)sub, n,
	                 out);
	if (st == ST_NULL) {
		json_decref(*out);
		*out = json_null();
		return ST_NULL;
	}
	return st;
}

/* Resolves and completes one response key; returns its status. */
static int
exec_field(struct gql_exec *x, const struct gql_type *pt, json_t *parent,
           const struct field_group *g, json_t **out)
{
	const struct gql_selection *node = g->nodes[0];
	const struct gql_field *fd = NULL;
	const struct gql_directive *dir;
	struct plan pl;
	struct gql_fetch *f;
	json_t *args = NULL, *v = NULL, *owned = NULL;
	const char *s;
	int st, bad = 0, err;

	*out = NULL;
	if (strcmp(node->name, "__typename") == 0) {
		*out = json_string(pt->name);
		return ST_OK;
	}
	if (pt == x->s->query && strcmp(node->name, "__schema") == 0 &&
	    x->o.introspection) {
		fd = x->s->meta_schema;
		owned = json_object();
		v = owned;
	} else if (pt == x->s->query && strcmp(node->name, "__type") == 0 &&
	           x->o.introspection) {
		fd = x->s->meta_type;
		args =
		    coerce_args(x, fd->args, fd->nargs, node->args, node, &bad);
		s = json_string_value(json_object_get(args, "name"));
		owned = s != NULL && gql_schema_type(x->s, s) != NULL
		            ? json_pack("{s:s}", "$t", s)
		            : json_null();
		v = owned;
	} else if ((fd = gql_type_field(pt, node->name)) == NULL) {
		field_error(x, node, "GRAPHQL_VALIDATION_FAILED",
		            "Cannot query field \"%s\" on type \"%s\".",
		            node->name, pt->name);
		*out = json_null();
		return ST_NULL;
	} else {
		args =
		    coerce_args(x, fd->args, fd->nargs, node->args, node, &bad);
		if (bad) {
			json_decref(args);
			*out = json_null();
			return fd->type->kind == GQL_T_NONNULL ? ST_NULL
			                                       : ST_OK;
		}
		if (strncmp(pt->name, "__", 2) == 0) {
			owned = intro_field(x, pt, parent, node->name, args);
			v = owned;
		} else if (read_plan(fd->directives, &pl) == 0) {
			if (pl.method[0] != 'G')
				x->mutation_index++;
			f = need(x, &pl, fd, args, parent, NULL, &err);
			if (err) {
				field_error(x, node, "INTERNAL_SERVER_ERROR",
				            "The field's resource could not be "
				            "addressed.");
				json_decref(args);
				*out = json_null();
				return ST_NULL;
			}
			if (f != NULL && f->status == 0) {
				json_decref(args);
				return ST_PENDING;
			}
			if (f != NULL && fetch_failed(x, f, node)) {
				json_decref(args);
				*out = json_null();
				return fd->type->kind == GQL_T_NONNULL ? ST_NULL
				                                       : ST_OK;
			}
			v = f != NULL ? f->result : NULL;
		} else if (gql_directive_find(
		               (struct gql_directive *)(uintptr_t)
		                   fd->directives,
		               "node") != NULL) {
			/* node(id:): the type's own @rest reads it */
			const char *type, *raw;
			const struct gql_type *nt;
			s = json_string_value(json_object_get(args, "id"));
			if (s == NULL ||
			    gql_global_id_decode(x->pa, s, &type, &raw) != 0 ||
			    (nt = gql_schema_type(x->s, type)) == NULL ||
			    read_plan(nt->directives, &pl) != 0 ||
			    !gql_type_possible(fd->named, nt)) {
				field_error(x, node, "NOT_FOUND", "Not found.");
				json_decref(args);
				*out = json_null();
				return ST_OK;
			}
			owned = json_pack("{s:s}", "id", raw);
			f = need(x, &pl, NULL, owned, NULL, nt->name, &err);
			json_decref(owned);
			owned = NULL;
			if (err || f == NULL) {
				json_decref(args);
				*out = json_null();
				return ST_OK;
			}
			if (f->status == 0) {
				json_decref(args);
				return ST_PENDING;
			}
			if (fetch_failed(x, f, node)) {
				json_decref(args);
				*out = json_null();
				return ST_OK;
			}
			v = f->result;
		} else if ((dir = gql_directive_find(
		                (struct gql_directive *)(uintptr_t)
		                    fd->directives,
		                "globalId")) != NULL) {
			json_t *raw = json_object_get(parent, "id");
			const char *rs = rest_scalar(x, raw, NULL);
			owned = rs != NULL ? json_string(gql_global_id(
			                         x->pa, pt->name, rs))
			                   : json_null();
			v = owned;
		} else if ((dir = gql_directive_find(
		                (struct gql_directive *)(uintptr_t)
		                    fd->directives,
		                "from")) != NULL &&
		           (s = str_arg(dir, "path")) != NULL) {
			/* a dotted path into the parent */
			char seg[128];
			const char *p = s, *dot;
			v = parent;
			while (v != NULL && *p) {
				size_t n;
				dot = strchr(p, '.');
				n = dot ? (size_t)(dot - p) : strlen(p);
				if (n >= sizeof(seg))
					break;
				memcpy(seg, p, n);
				seg[n] = '\0';
				v = json_is_object(v) ? json_object_get(v, seg)
				                      : NULL;
				p += n + (dot ? 1 : 0);
			}
		} else {
			v = json_is_object(parent)
			        ? json_object_get(parent, node->name)
			        : NULL;
			if (v == NULL && json_is_object(parent))
				v = json_object_get(parent,
				                    snake(x->pa, node->name));
		}
	}
	json_decref(args);
	st = complete(x, fd->type, g->nodes, g->n, v, out);
	json_decref(owned);
	return st;
}

static int
exec_selset(struct gql_exec *x, const struct gql_type *t, json_t *v,
            const struct gql_selection *const *sels, int nsels, json_t **out)
{
	struct collected c = {NULL, 0, 0};
	const char **seen;
	json_t *obj, *r;
	int nseen = 0, i, st, worst = ST_OK, serial;

	if ((seen = gql_alloc(x->pa, 1024 * sizeof(*seen))) == NULL)
		return ST_NULL;
	for (i = 0; i < nsels; i++)
		collect(x, t, sels[i], &c, seen, &nseen, 0);
	serial = x->depth == 0 && x->op->op == GQL_OP_MUTATION;
	obj = json_object();
	for (i = 0; i < c.n; i++) {
		const struct gql_field *fd =
		    gql_type_field(t, c.g[i].nodes[0]->name);
		push_key(x, c.g[i].rkey);
		st = exec_field(x, t, v, &c.g[i], &r);
		x->depth--;
		if (st == ST_PENDING) {
			/* a pending field's partial value is recomputed on
			 * the next pass: drop this one */
			json_decref(r);
			worst = ST_PENDING;
			if (serial)
				break; /* the next mutation waits */
			continue;
		}
		json_object_set_new(obj, c.g[i].rkey,
		                    r != NULL ? r : json_null());
		if (st == ST_NULL && fd != NULL &&
		    fd->type->kind == GQL_T_NONNULL && worst != ST_PENDING)
			worst = ST_NULL;
	}
	*out = obj;
	return worst;
}

/* ---- the pass loop ---------------------------------------------------- */

struct gql_exec *
gql_exec_new(const struct gql_schema *s, const struct gql_document *doc,
             const char *opname, json_t *variables,
             const struct gql_exec_opts *opts, struct gql_errors *errs)
{
	struct gql_exec *x;
	const struct gql_def *d, *op = NULL;
	int nops = 0;

	for (d = doc->defs; d != NULL; d = d->next) {
		if (d->kind != GQL_D_OPERATION)
			continue;
		nops++;
		if (opname == NULL ||
		    (d->name != NULL && strcmp(d->name, opname) == 0))
			op = op == NULL || opname != NULL ? d : op;
	}
	if (opname == NULL && nops > 1) {
		gql_error_add(
		    errs, "BAD_REQUEST",
		    "Must provide operation name if query contains multiple "
		    "operations.");
		return NULL;
	}
	if (op == NULL) {
		gql_error_add(errs, "BAD_REQUEST",
		              opname ? "Unknown operation named \"%s\"."
		                     : "Must provide an operation.%s",
		              opname ? opname : "");
		return NULL;
	}
	if ((op->op == GQL_OP_MUTATION && s->mutation == NULL) ||
	    op->op == GQL_OP_SUBSCRIPTION) {
		gql_error_loc(
		    gql_error_add(errs, "BAD_REQUEST",
		                  "Schema is not configured to execute %s "
		                  "operation.",
		                  op->op == GQL_OP_MUTATION ? "mutation"
		                                            : "subscription"),
		    op->loc);
		return NULL;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->s = s;
	x->doc = doc;
	x->op = op;
	if (opts != NULL)
		x->o = *opts;
	if (x->o.max_fetches <= 0)
		x->o.max_fetches = 256;
	if (x->o.max_passes <= 0)
		x->o.max_passes = 16;
	if (x->o.batch_max <= 0)
		x->o.batch_max = 100;
	if ((x->a = gql_arena_new()) == NULL ||
	    (x->pa = gql_arena_new()) == NULL) {
		gql_exec_free(x);
		return NULL;
	}
	if (variables != NULL && !json_is_object(variables) &&
	    !json_is_null(variables)) {
		gql_error_add(errs, "BAD_REQUEST",
		              "Variables must be an object.");
		gql_exec_free(x);
		return NULL;
	}
	if (coerce_variables(x, variables, errs) != 0) {
		gql_exec_free(x);
		return NULL;
	}
	return x;
}

void
gql_exec_free(struct gql_exec *x)
{
	struct gql_fetch *f;

	if (x == NULL)
		return;
	for (f = x->all; f != NULL; f = f->next) {
		json_decref(f->result);
		json_decref(f->body);
	}
	json_decref(x->vars);
	json_decref(x->errors);
	json_decref(x->data);
	gql_arena_free(x->a);
	gql_arena_free(x->pa);
	free(x->pending);
	free(x->out);
	free(x);
}

enum gql_op
gql_exec_kind(const struct gql_exec *x)
{
	return x->op->op;
}

const struct gql_def *
gql_exec_operation(const struct gql_exec *x)
{
	return x->op;
}

int
gql_exec_fetch_count(const struct gql_exec *x)
{
	return x->nfetches;
}

/* Merges the pass's item reads that share a batch path into batch reads
 * (a lone one stays a plain read) and refuses what exceeds the budget.
 * Returns the number of requests to make. */
static int
plan_requests(struct gql_exec *x)
{
	struct gql_fetch *f, *g, *b;
	int i, j, n = 0, k;
	char *path;
	size_t len, cap;

	free(x->out);
	if ((x->out = calloc((size_t)x->npending + 1, sizeof(*x->out))) == NULL)
		return -1;
	for (i = 0; i < x->npending; i++) {
		f = x->pending[i];
		if (f->status != 0 || f->batched != NULL)
			continue;
		if (f->batch_path == NULL || f->batch_id == NULL) {
			x->out[n++] = f;
			continue;
		}
		/* the others of this batch path */
		k = 0;
		for (j = i; j < x->npending; j++) {
			g = x->pending[j];
			if (g->status == 0 && g->batched == NULL &&
			    g->batch_id != NULL &&
			    strcmp(g->batch_path, f->batch_path) == 0 &&
			    strcmp(g->service, f->service) == 0)
				k++;
		}
		if (k == 1) {
			x->out[n++] = f;
			continue;
		}
		if ((b = gql_alloc(x->a, sizeof(*b))) == NULL ||
		    (b->members = gql_alloc(
		         x->a,
		         (size_t)(k < x->o.batch_max ? k : x->o.batch_max) *
		             sizeof(*b->members))) == NULL)
			return -1;
		b->service = f->service;
		b->method = "GET";
		b->key = "batch";
		b->next = x->all;
		x->all = b;
		path = NULL;
		len = cap = 0;
		for (j = i; j < x->npending && b->nmembers < x->o.batch_max;
		     j++) {
			g = x->pending[j];
			if (g->status != 0 || g->batched != NULL ||
			    g->batch_id == NULL ||
			    strcmp(g->batch_path, f->batch_path) != 0 ||
			    strcmp(g->service, f->service) != 0)
				continue;
			g->batched = b;
			if (b->nmembers > 0)
				append(x, &path, &len, &cap, ",", 1);
			urlenc(x, &path, &len, &cap, g->batch_id);
			b->members[b->nmembers++] = g;
		}
		{
			/* the batch path with {ids} replaced */
			const char *ph = strstr(f->batch_path, "{ids}");
			char *full = NULL;
			size_t fl = 0, fc = 0;
			if (ph == NULL)
				return -1;
			append(x, &full, &fl, &fc, f->batch_path,
			       (size_t)(ph - f->batch_path));
			append(x, &full, &fl, &fc, path, len);
			append(x, &full, &fl, &fc, ph + 5, strlen(ph + 5));
			b->path = gql_strndup(x->a, full, fl);
		}
		x->out[n++] = b;
		i--; /* f is batched now; the loop moves on */
	}
	for (i = 0; i < n; i++) {
		if (x->nfetches >= x->o.max_fetches) {
			/* refused: the fields it answers get an error */
			x->out[i]->status = -1;
			for (j = 0; j < x->out[i]->nmembers; j++)
				x->out[i]->members[j]->status = -1;
			x->out[i] = NULL;
			continue;
		}
		x->nfetches++;
	}
	for (i = 0, j = 0; i < n; i++)
		if (x->out[i] != NULL)
			x->out[j++] = x->out[i];
	return j;
}

int
gql_exec_step(struct gql_exec *x, struct gql_fetch ***out)
{
	const struct gql_type *root;
	const struct gql_selection *sels[1];
	json_t *data = NULL;
	int st, n;

	*out = NULL;
	if (x->done)
		return 0;
	for (;;) {
		gql_arena_free(x->pa);
		if ((x->pa = gql_arena_new()) == NULL)
			return -1;
		json_decref(x->errors);
		x->errors = json_array();
		x->npending = 0;
		x->depth = 0;
		x->mutation_index = 0;
		root =
		    x->op->op == GQL_OP_MUTATION ? x->s->mutation : x->s->query;
		sels[0] = x->op->sel;
		st = exec_selset(x, root, NULL, sels, 1, &data);
		if (st != ST_PENDING) {
			x->data = st == ST_NULL
			              ? (json_decref(data), json_null())
			              : data;
			x->done = 1;
			return 0;
		}
		json_decref(data);
		data = NULL;
		if (++x->passes > x->o.max_passes) {
			json_array_append_new(
			    x->errors,
			    json_pack(
			        "{s:s,s:{s:s}}", "message",
			        "The operation nests upstream requests too "
			        "deeply.",
			        "extensions", "code", "UPSTREAM_LIMIT"));
			x->data = json_null();
			x->done = 1;
			return 0;
		}
		n = plan_requests(x);
		if (n < 0)
			return -1;
		if (n > 0) {
			*out = x->out;
			return n;
		}
		/* everything pending was refused: run again to report it */
	}
}

json_t *
gql_exec_response(struct gql_exec *x)
{
	json_t *r = json_object();

	if (x->errors != NULL && json_array_size(x->errors) > 0)
		json_object_set(r, "errors", x->errors);
	json_object_set(r, "data", x->data != NULL ? x->data : json_null());
	return r;
}

json_t *
gql_errors_json(const struct gql_errors *errs)
{
	const struct gql_error *e;
	json_t *arr = json_array(), *o, *locs;
	int i;

	for (e = errs->head; e != NULL; e = e->next) {
		o = json_pack("{s:s}", "message", e->message);
		if (e->nlocs > 0) {
			locs = json_array();
			for (i = 0; i < e->nlocs; i++)
				json_array_append_new(
				    locs,
				    json_pack("{s:i,s:i}", "line",
				              (int)e->locs[i].line, "column",
				              (int)e->locs[i].col));
			json_object_set_new(o, "locations", locs);
		}
		if (e->code != NULL)
			json_object_set_new(
			    o, "extensions",
			    json_pack("{s:s}", "code", e->code));
		json_array_append_new(arr, o);
	}
	return arr;
}
