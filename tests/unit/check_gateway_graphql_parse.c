/*
 * The GraphQL engine's front half: the lexer (escapes, surrogates, block
 * strings, numbers, BOM, columns in UTF-16 units), the parser's limits
 * (tokens, nesting: a hostile document is refused, never a crash), the
 * schema built from SDL (refusals with their place), the validator on a
 * few rules and the gateway's @personal rule (personal.c). The corpus against
 * graphql-js is tests/contract/graphql_engine.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/gql_limits.h"

static const char sdl[] =
    "type Query { dog(name: String): Dog, dogs(first: Int = 10): [Dog!]! }\n"
    "type Dog { name: String!, age: Int, owner: Human }\n"
    "type Human { name: String! }\n";

struct parsed {
	struct gql_arena *a;
	struct gql_errors errs;
	struct gql_document *doc;
	int rc;
};

static struct parsed
parse_lim(const char *src, size_t max_tokens, int max_depth)
{
	struct parsed p;
	struct gql_parse_limits lim = {max_tokens, max_depth};

	memset(&p, 0, sizeof(p));
	p.a = gql_arena_new();
	p.errs.arena = p.a;
	p.rc = gql_parse(p.a, src, strlen(src), &lim, &p.doc, &p.errs);
	return p;
}

static struct parsed
parse(const char *src)
{
	return parse_lim(src, 0, 0);
}

/* the first argument's value of the first field of the only operation */
static const struct gql_value *
first_arg(const struct parsed *p)
{
	ck_assert_int_eq(p->rc, 0);
	return p->doc->defs->sel->args->value;
}

START_TEST(test_string_escapes)
{
	struct parsed p = parse("{ f(a: \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t "
	                        "\\u00e9 \\u{1F600} \\uD83D\\uDE00\") }");
	const struct gql_value *v = first_arg(&p);

	ck_assert_int_eq(v->kind, GQL_V_STRING);
	ck_assert_uint_eq(v->len, strlen("q\" b\\ s/ \b\f\n\r\t \xC3\xA9 "
	                                 "\xF0\x9F\x98\x80 \xF0\x9F\x98\x80"));
	ck_assert_mem_eq(
	    v->s,
	    "q\" b\\ s/ \b\f\n\r\t \xC3\xA9 \xF0\x9F\x98\x80 \xF0\x9F\x98\x80",
	    v->len);
	gql_arena_free(p.a);

	/* \u0000 is a character like any other: the length says so */
	p = parse("{ f(a: \"x\\u0000y\") }");
	v = first_arg(&p);
	ck_assert_uint_eq(v->len, 3);
	ck_assert_int_eq(v->s[1], 0);
	gql_arena_free(p.a);
}
END_TEST

START_TEST(test_string_errors_located)
{
	static const struct {
		const char *src;
		unsigned col;
	} bad[] = {
	    {"{ f(a: \"\\uD83D\") }", 9},   /* lone leading surrogate */
	    {"{ f(a: \"\\uDE00\") }", 9},   /* lone trailing surrogate */
	    {"{ f(a: \"\\u{D800}\") }", 9}, /* surrogate in braces */
	    {"{ f(a: \"\\u{110000}\") }", 9},
	    {"{ f(a: \"\\u{}\") }", 9},
	    {"{ f(a: \"\\q\") }", 9},
	    {"{ f(a: \"abc\n\") }", 12}, /* unterminated at the newline */
	    {"{ f(a: \"\"\"abc", 14},    /* unterminated block string */
	    {"{ f(a: 012) }", 9},        /* digit after 0 */
	    {"{ f(a: 1.) }", 10},
	    {"{ f(a: 1e) }", 10},
	    {"{ f(a: 12abc) }", 10},
	    {"{ f(a: 'x') }", 8},
	    {"{ f(a: \"\xC3\") }", 9}, /* invalid UTF-8 */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed p = parse(bad[i].src);
		ck_assert_msg(p.rc == -1, "accepted %s", bad[i].src);
		ck_assert_int_eq(p.errs.count, 1);
		ck_assert_uint_eq(p.errs.head->locs[0].line, 1);
		ck_assert_msg(p.errs.head->locs[0].col == bad[i].col,
		              "%s: column %u, not %u", bad[i].src,
		              p.errs.head->locs[0].col, bad[i].col);
		ck_assert_str_eq(p.errs.head->code, "GRAPHQL_PARSE_FAILED");
		gql_arena_free(p.a);
	}
}
END_TEST

START_TEST(test_block_string_dedent)
{
	struct parsed p = parse("{ f(a: \"\"\"\n    Hello,\n      World!\n\n"
	                        "    Yours,\n      GraphQL.\n  \"\"\") }");
	const struct gql_value *v = first_arg(&p);

	ck_assert_str_eq(v->s, "Hello,\n  World!\n\nYours,\n  GraphQL.");
	ck_assert_int_eq(v->b, 1);
	gql_arena_free(p.a);

	p = parse("{ f(a: \"\"\"a \\\"\"\" b\r\n   c\"\"\") }");
	v = first_arg(&p);
	ck_assert_str_eq(v->s, "a \"\"\" b\nc");
	gql_arena_free(p.a);

	p = parse("{ f(a: \"\"\"   \n\t\n\"\"\") }");
	v = first_arg(&p);
	ck_assert_uint_eq(v->len, 0);
	gql_arena_free(p.a);
}
END_TEST

START_TEST(test_locations_utf16_bom_crlf)
{
	/* the emoji counts two columns (UTF-16), the BOM one, \r\n one line */
	struct parsed p = parse("\xEF\xBB\xBF{ f(a: \"\xF0\x9F\x98\x80\") "
	                        "g }\r\n{ h }");

	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.doc->defs->sel->next->loc.col, 15);
	ck_assert_uint_eq(p.doc->defs->next->loc.line, 2);
	ck_assert_uint_eq(p.doc->defs->next->loc.col, 1);
	gql_arena_free(p.a);
}
END_TEST

START_TEST(test_document_shapes)
{
	struct parsed p =
	    parse("query Q($a: [Int!]! = [1], $b: In = {x: ENUM, y: null}) "
	          "@d(x: 1) { al: f(a: $a) @include(if: true) { ...F ... on T "
	          "{ g } ... { h } } }\n"
	          "fragment F on T { i }\n"
	          "# comment, commas,,,\n"
	          "mutation { m }\nsubscription S { s }");
	const struct gql_def *op;
	const struct gql_selection *s;

	ck_assert_int_eq(p.rc, 0);
	op = p.doc->defs;
	ck_assert_str_eq(op->name, "Q");
	ck_assert_int_eq(op->vars->type->kind, GQL_T_NONNULL);
	ck_assert_int_eq(op->vars->type->of->kind, GQL_T_LIST);
	ck_assert_int_eq(op->vars->next->defval->kind, GQL_V_OBJECT);
	s = op->sel;
	ck_assert_str_eq(s->alias, "al");
	ck_assert_str_eq(s->name, "f");
	ck_assert_int_eq(s->args->value->kind, GQL_V_VAR);
	ck_assert_int_eq(s->sel->kind, GQL_SEL_SPREAD);
	ck_assert_str_eq(s->sel->next->type_cond, "T");
	ck_assert_ptr_null(s->sel->next->next->type_cond);
	ck_assert_int_eq(op->next->kind, GQL_D_FRAGMENT);
	ck_assert_int_eq(op->next->next->op, GQL_OP_MUTATION);
	ck_assert_int_eq(op->next->next->next->op, GQL_OP_SUBSCRIPTION);
	gql_arena_free(p.a);
}
END_TEST

START_TEST(test_syntax_errors)
{
	static const char *const bad[] = {"",
	                                  "{ }",
	                                  "{ f( ) }",
	                                  "query Q() { f }",
	                                  "{ f",
	                                  "fragment on on T { f }",
	                                  "query Q($a: Int = $b) { f }",
	                                  "\"d\" query { f }",
	                                  "{ ... }",
	                                  "{ f(a: [1, 2) }",
	                                  "extend directive @d on FIELD",
	                                  "{ f } }"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed p = parse(bad[i]);
		ck_assert_msg(p.rc == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(p.errs.count, 1);
		ck_assert_uint_gt(p.errs.head->locs[0].line, 0);
		gql_arena_free(p.a);
	}
}
END_TEST

START_TEST(test_depth_limit_no_crash)
{
	size_t n = 200000, i;
	char *src = malloc(n * 2 + 16);
	struct parsed p;

	/* nested lists far beyond any stack */
	memcpy(src, "{ f(a: ", 7);
	for (i = 0; i < n; i++)
		src[7 + i] = '[';
	src[7 + n] = '\0';
	p = parse_lim(src, 0, 64);
	ck_assert_int_eq(p.rc, -1);
	ck_assert_ptr_nonnull(strstr(p.errs.head->message, "deeper than 64"));
	gql_arena_free(p.a);

	/* nested selections */
	for (i = 0; i < n; i++)
		src[i] = '{';
	src[n] = '\0';
	p = parse_lim(src, 0, 0); /* default limit */
	ck_assert_int_eq(p.rc, -1);
	gql_arena_free(p.a);

	/* within the limit, deep documents parse */
	p = parse_lim("{ a { b { c { d } } } }", 0, 4);
	ck_assert_int_eq(p.rc, 0);
	gql_arena_free(p.a);
	p = parse_lim("{ a { b { c { d { e } } } } }", 0, 4);
	ck_assert_int_eq(p.rc, -1);
	gql_arena_free(p.a);
	free(src);
}
END_TEST

START_TEST(test_token_limit)
{
	struct parsed p = parse_lim("{ a b c d e f }", 8, 0);

	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.doc->ntokens, 8);
	gql_arena_free(p.a);
	p = parse_lim("{ a b c d e f g }", 8, 0);
	ck_assert_int_eq(p.rc, -1);
	ck_assert_ptr_nonnull(strstr(p.errs.head->message, "more than 8"));
	ck_assert_uint_eq(p.errs.head->locs[0].col, 17);
	gql_arena_free(p.a);
}
END_TEST

static struct gql_schema *
build(const char *text, struct gql_arena *a, struct gql_errors *errs)
{
	struct gql_schema *s = NULL;

	memset(errs, 0, sizeof(*errs));
	errs->arena = a;
	gql_schema_build(text, strlen(text), &s, errs);
	return s;
}

START_TEST(test_schema_build_and_refuse)
{
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs;
	struct gql_schema *s = build(sdl, a, &errs);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(gql_schema_type(s, "Int"));
	ck_assert_ptr_null(gql_schema_type(s, "Float")); /* unused */
	ck_assert_ptr_null(gql_schema_type(s, "__Meta"));
	ck_assert_ptr_nonnull(gql_schema_type(s, "__Type"));
	ck_assert_ptr_eq(s->query, gql_schema_type(s, "Query"));
	gql_schema_free(s);

	ck_assert_ptr_null(build("type Query { a: Nope }", a, &errs));
	ck_assert_ptr_nonnull(strstr(errs.head->message, "Unknown type"));
	ck_assert_uint_eq(errs.head->locs[0].col, 17);
	ck_assert_ptr_null(
	    build("type Query { a: Int } type Query { b: Int }", a, &errs));
	ck_assert_ptr_null(build("type Query { a(x: Query): Int }", a, &errs));
	ck_assert_ptr_null(
	    build("input I { a: Int } type Query { a: I }", a, &errs));
	ck_assert_ptr_null(build("type Q { a: Int }", a, &errs)); /* no Query */
	ck_assert_ptr_null(build("type Query { a: Int", a, &errs));
	ck_assert_ptr_null(
	    build("type __X { a: Int } type Query { a: Int }", a, &errs));
	s = build("type Query { a: Int } extend type Query { b: Float }", a,
	          &errs);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->query->nfields, 2);
	ck_assert_ptr_nonnull(gql_schema_type(s, "Float"));
	gql_schema_free(s);
	gql_arena_free(a);
}
END_TEST

static int
validate(const char *doc, int introspection, struct gql_loc *first)
{
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs, verrs;
	struct gql_schema *s = build(sdl, a, &errs);
	struct gql_validate_opts vo = {100, 1, introspection};
	struct parsed p = parse(doc);
	int n;

	ck_assert_int_eq(p.rc, 0);
	memset(&verrs, 0, sizeof(verrs));
	verrs.arena = p.a;
	gql_validate(s, p.doc, &vo, &verrs);
	n = verrs.count;
	if (first != NULL && verrs.head != NULL)
		*first = verrs.head->locs[0];
	gql_schema_free(s);
	gql_arena_free(p.a);
	gql_arena_free(a);
	return n;
}

START_TEST(test_validate_basics)
{
	struct gql_loc l;

	ck_assert_int_eq(validate("{ dog { name owner { name } } }", 1, NULL),
	                 0);
	ck_assert_int_eq(validate("{ dog { nam } }", 1, &l), 1);
	ck_assert_uint_eq(l.col, 9);
	ck_assert_int_eq(validate("{ dog }", 1, NULL), 1);
	ck_assert_int_eq(validate("query ($n: String) { dog(name: $x) { name "
	                          "} }",
	                          1, NULL),
	                 2); /* $x undefined, $n unused */
	ck_assert_int_eq(validate("{ dogs(first: \"ten\") { name } }", 1, &l),
	                 1);
	ck_assert_uint_eq(l.col, 15);
	ck_assert_int_eq(
	    validate("{ __schema { queryType { name } } }", 1, NULL), 0);
	/* introspection off: refused, __typename still fine */
	ck_assert_int_eq(
	    validate("{ __schema { queryType { name } } }", 0, NULL), 1);
	ck_assert_int_eq(validate("{ __typename dog { __typename } }", 0, NULL),
	                 0);
}
END_TEST

/* @personal (personal.c): a schema of its own */
static const char personal_sdl[] =
    "directive @personal on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION\n"
    "type Query { persons(name: String @personal, commune: String): "
    "[P!]!, p(id: ID!): P }\n"
    "type Mutation { register(input: PIn!): P, "
    "registerAll(inputs: [PIn!]!): [P!], "
    "registerWhole(input: PIn! @personal): P }\n"
    "type P { id: ID!, near(name: String @personal): [P!] }\n"
    "enum Sex { F M }\n"
    "input PIn { given: String @personal, sex: Sex, contact: CIn }\n"
    "input CIn { phone: String @personal, lang: String }\n";

/* The document's errors under the @personal rule: their count, the
 * first's message and column (msg: a buffer of 512 bytes, or NULL), and
 * every error's code must be PERSONAL_DATA_LITERAL. personal_op: set to
 * gql_personal_operation of the first operation when the document is
 * valid. */
static int
personal(const char *doc, char *msg, uint32_t *col, int *personal_op)
{
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs, verrs;
	struct gql_schema *s = build(personal_sdl, a, &errs);
	struct gql_validate_opts vo = {100, 1, 1};
	struct parsed p = parse(doc);
	struct gql_error *e;
	const struct gql_def *op;
	int n;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(p.rc, 0);
	memset(&verrs, 0, sizeof(verrs));
	verrs.arena = p.a;
	gql_validate(s, p.doc, &vo, &verrs);
	n = verrs.count;
	for (e = verrs.head; e != NULL; e = e->next)
		ck_assert_msg(e->code != NULL &&
		                  strcmp(e->code, "PERSONAL_DATA_LITERAL") == 0,
		              "%s: %s", e->code, e->message);
	if (msg != NULL)
		snprintf(msg, 512, "%s",
		         verrs.head != NULL ? verrs.head->message : "");
	if (col != NULL)
		*col = verrs.head != NULL ? verrs.head->locs[0].col : 0;
	if (personal_op != NULL && n == 0) {
		for (op = p.doc->defs; op->kind != GQL_D_OPERATION;
		     op = op->next)
			;
		*personal_op = gql_personal_operation(s, p.doc, op);
	}
	gql_schema_free(s);
	gql_arena_free(p.a);
	gql_arena_free(a);
	return n;
}

START_TEST(test_personal_rule)
{
	char m[512];
	uint32_t col;
	int op = -1;

	/* from variables, or null: fine; GET would be refused */
	ck_assert_int_eq(personal("query ($n: String) { persons(name: $n) "
	                          "{ id } }",
	                          NULL, NULL, &op),
	                 0);
	ck_assert_int_eq(op, 1);
	ck_assert_int_eq(
	    personal("{ persons(name: null) { id } }", NULL, NULL, NULL), 0);
	ck_assert_int_eq(personal("{ persons(commune: \"agadir\") { id } }",
	                          NULL, NULL, &op),
	                 0);
	ck_assert_int_eq(op, 0); /* nothing personal given: GET is fine */
	ck_assert_int_eq(personal("mutation ($i: PIn!) { register(input: $i) "
	                          "{ id } }",
	                          NULL, NULL, &op),
	                 0);
	ck_assert_int_eq(op, 1); /* an input type holding personal fields */
	ck_assert_int_eq(
	    personal("mutation ($g: String) { register(input: {given: $g, "
	             "sex: F, contact: {lang: \"fr\"}}) { id } }",
	             NULL, NULL, NULL),
	    0);
	ck_assert_int_eq(
	    personal("query Q($n: String) { ...F } fragment F on Query { p(id: "
	             "\"1\") { near(name: $n) { id } } }",
	             NULL, NULL, &op),
	    0);
	ck_assert_int_eq(op, 1); /* through the fragment */
	{
		/* each fragment spread twice into the previous one, nothing
		 * personal at the bottom: entered once each (2^40 walks
		 * otherwise) */
		char doc[4096];
		size_t len;
		int i;

		len = (size_t)snprintf(doc, sizeof(doc),
		                       "query ($c: String) { ...F0 }");
		for (i = 0; i < 40; i++)
			len += (size_t)snprintf(
			    doc + len, sizeof(doc) - len,
			    " fragment F%d on Query { ...F%d ...F%d }", i,
			    i + 1, i + 1);
		snprintf(doc + len, sizeof(doc) - len,
		         " fragment F40 on Query { persons(commune: $c) { id } "
		         "}");
		op = -1;
		ck_assert_int_eq(personal(doc, NULL, NULL, &op), 0);
		ck_assert_int_eq(op, 0);
	}

	/* literals, named, at the literal */
	ck_assert_int_eq(
	    personal("{ persons(name: \"Naima\") { id } }", m, &col, NULL), 1);
	ck_assert_ptr_nonnull(
	    strstr(m, "argument \"name\" of field \"Query.persons\""));
	ck_assert_uint_eq(col, 17);
	ck_assert_int_eq(
	    personal("mutation { register(input: {given: \"Naima\", sex: F}) "
	             "{ id } }",
	             m, &col, NULL),
	    1);
	ck_assert_ptr_nonnull(strstr(m, "input field \"PIn.given\""));
	ck_assert_ptr_nonnull(strstr(m, "\"Mutation.register\""));
	ck_assert_uint_eq(col, 36);
	/* deeper, in a list, in a fragment, a whole @personal object */
	ck_assert_int_eq(personal("mutation { register(input: {contact: "
	                          "{phone: \"+2126\"}}) { id } }",
	                          m, NULL, NULL),
	                 1);
	ck_assert_ptr_nonnull(strstr(m, "\"CIn.phone\""));
	ck_assert_int_eq(personal("mutation { registerAll(inputs: [{sex: M}, "
	                          "{given: \"A\"}]) { id } }",
	                          NULL, NULL, NULL),
	                 1);
	ck_assert_int_eq(personal("{ ...F } fragment F on Query { p(id: "
	                          "\"1\") { near(name: \"B\") { id } } }",
	                          m, NULL, NULL),
	                 1);
	ck_assert_ptr_nonnull(strstr(m, "\"P.near\""));
	ck_assert_int_eq(personal("mutation { registerWhole(input: {sex: F}) "
	                          "{ id } }",
	                          m, NULL, NULL),
	                 1);
	ck_assert_int_eq(personal("{ a: persons(name: \"A\") { id } b: "
	                          "persons(name: \"B\") { id } }",
	                          NULL, NULL, NULL),
	                 2);
	/* a variable's default is a literal too */
	ck_assert_int_eq(personal("query ($n: String = \"A\") { persons(name: "
	                          "$n) { id } }",
	                          m, &col, NULL),
	                 1);
	ck_assert_ptr_nonnull(strstr(m, "\"$n\""));
	ck_assert_uint_eq(col, 21);
	ck_assert_int_eq(personal("mutation ($i: PIn = {given: \"A\"}) "
	                          "{ register(input: $i) { id } }",
	                          m, NULL, NULL),
	                 1);
	ck_assert_int_eq(personal("mutation ($i: PIn = {sex: F}) "
	                          "{ register(input: $i) { id } }",
	                          NULL, NULL, NULL),
	                 0); /* nothing personal in that default */
	ck_assert_int_eq(personal("query ($n: String = null) { persons(name: "
	                          "$n) { id } }",
	                          NULL, NULL, NULL),
	                 0);
}
END_TEST

START_TEST(test_print_value_sorted)
{
	struct parsed p = parse("{ f(a: {b: 1, a: [\"x\\n\", ENUM, null]}) }");
	const struct gql_value *v = first_arg(&p);

	ck_assert_str_eq(gql_print_value(p.a, v),
	                 "{b: 1, a: [\"x\\n\", ENUM, null]}");
	ck_assert_str_eq(gql_print_value_sorted(p.a, v),
	                 "{a: [\"x\\n\", ENUM, null], b: 1}");
	gql_arena_free(p.a);
}
END_TEST

START_TEST(test_limits_measure)
{
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs;
	struct gql_schema *s = build(sdl, a, &errs);
	struct gql_limits lim = {3, 1, 2, 1, 16, 20};
	struct gql_limits_seen seen;
	struct parsed p = parse("query Q($n: Int) { dogs(first: 5) { name "
	                        "owner { name } } x: dog { name @include(if: "
	                        "true) } }");
	json_t *vars = json_pack("{s:i}", "n", 7);

	ck_assert_int_eq(p.rc, 0);
	memset(&errs, 0, sizeof(errs));
	errs.arena = p.a;
	/* cost: dogs 1 + 5 x (name, owner, owner.name) + dog 1 + name 1 */
	ck_assert_int_eq(
	    gql_limits_check(s, p.doc, p.doc->defs, vars, &lim, &seen, &errs),
	    -1);
	ck_assert_int_eq(seen.depth, 3);
	ck_assert_int_eq(seen.aliases, 1);
	ck_assert_int_eq(seen.root_fields, 2);
	ck_assert_int_eq(seen.directives, 1);
	ck_assert_int_eq((int)seen.cost, 18);
	ck_assert_int_eq(errs.count, 1); /* the cost only */
	ck_assert_str_eq(errs.head->code, "QUERY_TOO_COSTLY");
	gql_arena_free(p.a);
	/* first by variable; the default when not given */
	p = parse("query Q($n: Int) { a: dogs(first: $n) { name } b: dogs { "
	          "name } }");
	memset(&errs, 0, sizeof(errs));
	errs.arena = p.a;
	lim.max_cost = 0;
	lim.max_aliases = 0;
	gql_limits_check(s, p.doc, p.doc->defs, vars, &lim, &seen, &errs);
	ck_assert_int_eq((int)seen.cost, 1 + 7 + 1 + 20);
	gql_arena_free(p.a);
	json_decref(vars);
	gql_schema_free(s);
	gql_arena_free(a);
}
END_TEST

/* @listSize: a page's size is its slicing argument (given, else its
 * default), counted once for its sizedFields; a list's assumedSize
 * replaces the default list size. */
START_TEST(test_limits_list_size)
{
	static const char psdl[] =
	    "directive @listSize(assumedSize: Int, slicingArguments: "
	    "[String!], sizedFields: [String!]) on FIELD_DEFINITION\n"
	    "type Query { page(perPage: Int = 20): Page! @listSize("
	    "slicingArguments: [\"perPage\"], sizedFields: [\"contents\"]) "
	    "}\n"
	    "type Page { total: Int!, contents: [Item!]! }\n"
	    "type Item { name: String, tags: [Tag!] @listSize(assumedSize: "
	    "3), other: [Tag!] }\n"
	    "type Tag { code: String }\n";
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs;
	struct gql_schema *s = build(psdl, a, &errs);
	struct gql_limits lim = {0, 0, 0, 0, 0, 20};
	struct gql_limits_seen seen;
	json_t *vars = json_pack("{s:i}", "n", 7);
	struct parsed p;

	ck_assert_ptr_nonnull(s);
	/* page, total, contents 1 each + 5 x (name + tags + 3 x code) */
	p = parse("{ page(perPage: 5) { total contents { name tags { code } "
	          "} } }");
	memset(&errs, 0, sizeof(errs));
	errs.arena = p.a;
	ck_assert_int_eq(
	    gql_limits_check(s, p.doc, p.doc->defs, vars, &lim, &seen, &errs),
	    0);
	ck_assert_int_eq((int)seen.cost, 3 + 5 * (1 + 1 + 3));
	gql_arena_free(p.a);
	/* by variable; the argument's default; no @listSize: 20 */
	p = parse("query Q($n: Int) { a: page(perPage: $n) { contents { name "
	          "} } b: page { contents { other { code } } } }");
	memset(&errs, 0, sizeof(errs));
	errs.arena = p.a;
	gql_limits_check(s, p.doc, p.doc->defs, vars, &lim, &seen, &errs);
	ck_assert_int_eq((int)seen.cost, (2 + 7) + (2 + 20 + 20 * 20));
	gql_arena_free(p.a);
	json_decref(vars);
	gql_schema_free(s);
	gql_arena_free(a);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("gateway_graphql_parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_string_escapes);
	tcase_add_test(tc, test_string_errors_located);
	tcase_add_test(tc, test_block_string_dedent);
	tcase_add_test(tc, test_locations_utf16_bom_crlf);
	tcase_add_test(tc, test_document_shapes);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_depth_limit_no_crash);
	tcase_add_test(tc, test_token_limit);
	tcase_add_test(tc, test_schema_build_and_refuse);
	tcase_add_test(tc, test_validate_basics);
	tcase_add_test(tc, test_personal_rule);
	tcase_add_test(tc, test_print_value_sorted);
	tcase_add_test(tc, test_limits_measure);
	tcase_add_test(tc, test_limits_list_size);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
