/*
 * The GraphQL engine's execution over REST answers: the requests each
 * pass asks for (level by level, identical reads once, item reads merged
 * into batch reads: no N+1), mutations one after the other, arguments and
 * enums as the services read them, Relay connections, node(id:) with
 * global ids, non-null propagation and errors with their path, variables,
 * @include/@skip, the upstream budget. The answers are canned JSON; the
 * real services are exercised through the gateway by the integration
 * suite.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/gql_exec.h"

static const char sdl[] =
    "directive @rest(service: String!, get: String, post: String, "
    "patch: String, query: [String!], body: String, select: String, "
    "batch: String, key: String, connection: Boolean) on FIELD_DEFINITION "
    "| OBJECT\n"
    "directive @node on FIELD_DEFINITION\n"
    "directive @globalId on FIELD_DEFINITION\n"
    "directive @from(path: String!) on FIELD_DEFINITION | "
    "INPUT_FIELD_DEFINITION\n"
    "interface Node { id: ID! }\n"
    "enum Status { DRAFT PUBLISHED UNDER_REVIEW }\n"
    "type Query {\n"
    "  node(id: ID!): Node @node\n"
    "  call(id: ID!): Call @rest(service: \"funding\", get: "
    "\"/v1/calls/{id}\")\n"
    "  strictCall(id: ID!): Call! @rest(service: \"funding\", get: "
    "\"/v1/calls/{id}\")\n"
    "  calls(status: Status, first: Int = 2, after: String): "
    "CallConnection! @rest(service: \"funding\", get: \"/v1/calls\", "
    "query: [\"status\", \"limit=first\", \"cursor=after\"], connection: "
    "true)\n"
    "  themes: [Theme!]! @rest(service: \"funding\", get: \"/v1/themes\", "
    "select: \"items\")\n"
    "}\n"
    "type Mutation {\n"
    "  transition(id: ID!, to: Status!): Call @rest(service: \"funding\", "
    "post: \"/v1/calls/{id}/transitions\", body: \"*\")\n"
    "  rename(id: ID!, input: RenameInput!): Call @rest(service: "
    "\"funding\", patch: \"/v1/calls/{id}\", body: \"input\")\n"
    "}\n"
    "input RenameInput { newTitle: String!, status: Status }\n"
    "type Call implements Node @rest(service: \"funding\", get: "
    "\"/v1/calls/{id}\") {\n"
    "  id: ID! @globalId\n"
    "  uuid: ID! @from(path: \"id\")\n"
    "  title: String!\n"
    "  status: Status!\n"
    "  budgetMinor: Int\n"
    "  titleFr: String @from(path: \"i18n.fr\")\n"
    "  applications: [Application!]! @rest(service: \"funding\", get: "
    "\"/v1/applications?call={.id}\", select: \"items\")\n"
    "  apps(first: Int = 2, after: String): AppConnection "
    "@rest(service: \"funding\", get: \"/v1/calls/{.id}/apps\", query: "
    "[\"limit=first\", \"cursor=after\"], connection: true, batch: "
    "\"/v1/call-apps?call_ids={ids}&per_parent={first}\", key: "
    "\"call_id\")\n"
    "}\n"
    "type AppConnection { nodes: [Application!]!, pageInfo: PageInfo! }\n"
    "type Application implements Node @rest(service: \"funding\", get: "
    "\"/v1/applications/{id}\") {\n"
    "  id: ID! @globalId\n"
    "  call: Call! @rest(service: \"funding\", get: "
    "\"/v1/calls/{.call_id}\", batch: \"/v1/calls?ids={ids}\")\n"
    "  score: Int\n"
    "}\n"
    "type CallConnection { edges: [CallEdge!]!, nodes: [Call!]!, "
    "pageInfo: PageInfo! }\n"
    "type CallEdge { node: Call!, cursor: String! }\n"
    "type PageInfo { hasNextPage: Boolean!, endCursor: String, "
    "hasPreviousPage: Boolean!, startCursor: String }\n"
    "type Theme { code: String! }\n";

/* canned answers: "METHOD path" -> {"status": n, "body": ...} */
static const char answers_text[] =
    "{"
    "\"GET /v1/calls/c1\": {\"status\": 200, \"body\": {\"id\": \"c1\", "
    "\"title\": \"Appel 1\", \"status\": \"published\", \"budget_minor\": "
    "500, \"i18n\": {\"fr\": \"Un\"}}},"
    "\"GET /v1/calls/c2\": {\"status\": 200, \"body\": {\"id\": \"c2\", "
    "\"title\": null, \"status\": \"draft\"}},"
    "\"GET /v1/applications?call=c1\": {\"status\": 200, \"body\": "
    "{\"items\": [{\"id\": \"a1\", \"call_id\": \"c1\", \"score\": 1}, "
    "{\"id\": \"a2\", \"call_id\": \"c3\", \"score\": 2}, {\"id\": \"a3\", "
    "\"call_id\": \"c4\", \"score\": 3}, {\"id\": \"a4\", \"call_id\": "
    "\"c3\", \"score\": 4}]}},"
    "\"GET /v1/calls?ids=c3,c4\": {\"status\": 200, \"body\": {\"items\": "
    "[{\"id\": \"c4\", \"title\": \"Quatre\", \"status\": "
    "\"under_review\"}, {\"id\": \"c3\", \"title\": \"Trois\", \"status\": "
    "\"draft\"}]}},"
    "\"GET /v1/calls?status=published&limit=2\": {\"status\": 200, "
    "\"body\": {\"items\": [{\"id\": \"c1\", \"title\": \"Appel 1\", "
    "\"status\": \"published\"}, {\"id\": \"c5\", \"title\": \"Cinq\", "
    "\"status\": \"published\"}], \"next_cursor\": \"c5\"}},"
    "\"GET /v1/call-apps?call_ids=c1,c5&per_parent=2\": {\"status\": "
    "200, \"body\": {\"items\": [{\"call_id\": \"c5\", \"items\": [], "
    "\"next_cursor\": null}, {\"call_id\": \"c1\", \"items\": "
    "[{\"id\": \"a1\", \"score\": 1}, {\"id\": \"a2\", \"score\": "
    "2}], \"next_cursor\": \"a2\"}]}},"
    "\"GET /v1/call-apps?call_ids=c1,c5&per_parent=3\": {\"status\": "
    "200, \"body\": {\"items\": [{\"call_id\": \"c1\", \"items\": "
    "[{\"id\": \"a1\", \"score\": 1}], \"next_cursor\": null}]}},"
    "\"GET /v1/calls/c1/apps?limit=2&cursor=a2\": {\"status\": 200, "
    "\"body\": {\"items\": [{\"id\": \"a3\", \"score\": 3}], "
    "\"next_cursor\": null}},"
    "\"GET /v1/calls/c5/apps?limit=2&cursor=a2\": {\"status\": 200, "
    "\"body\": {\"items\": [], \"next_cursor\": null}},"
    "\"GET /v1/themes\": {\"status\": 200, \"body\": {\"items\": "
    "[{\"code\": \"economic\"}, {\"code\": \"social\"}]}},"
    "\"POST /v1/calls/c1/transitions\": {\"status\": 200, \"body\": "
    "{\"id\": \"c1\", \"title\": \"Appel 1\", \"status\": \"published\"}},"
    "\"PATCH /v1/calls/c1\": {\"status\": 200, \"body\": {\"id\": \"c1\", "
    "\"title\": \"Nouveau\", \"status\": \"draft\"}},"
    "\"GET /v1/calls/forbidden\": {\"status\": 403, \"body\": {\"title\": "
    "\"Forbidden\", \"detail\": \"not yours\"}},"
    "\"GET /v1/calls/broken\": {\"status\": 502, \"body\": {\"title\": "
    "\"Bad Gateway\", \"detail\": \"connect ECONNREFUSED 10.0.0.7\"}}"
    "}";

struct run {
	json_t *response;
	json_t *requests; /* ["METHOD path" per request, pass by pass] */
	json_t *bodies;   /* the request bodies, in order */
	int passes;       /* passes that asked for requests */
	int fetches;
	int request_errors; /* -1: gql_exec_new refused */
};

static struct gql_schema *schema;

static void
setup(void)
{
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs = {a, NULL, NULL, 0, 0};

	ck_assert_int_eq(gql_schema_build(sdl, strlen(sdl), &schema, &errs), 0);
	gql_arena_free(a);
}

static void
teardown(void)
{
	gql_schema_free(schema);
}

static struct run
run_opts(const char *doc, const char *vars, struct gql_exec_opts *o)
{
	struct gql_exec_opts def = {1, 0, 0, 0, "req-1"};
	struct gql_arena *a = gql_arena_new();
	struct gql_errors errs = {a, NULL, NULL, 0, 0};
	struct gql_document *d;
	struct gql_fetch **fs;
	struct gql_exec *x;
	json_t *answers = json_loads(answers_text, 0, NULL), *v = NULL, *ans;
	struct run r;
	char key[512];
	int n, i;

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_nonnull(answers);
	r.requests = json_array();
	r.bodies = json_array();
	ck_assert_int_eq(gql_parse(a, doc, strlen(doc), NULL, &d, &errs), 0);
	ck_assert_msg(gql_validate(schema, d, NULL, &errs) == 0, "invalid: %s",
	              errs.head ? errs.head->message : "");
	if (vars != NULL)
		v = json_loads(vars, 0, NULL);
	x = gql_exec_new(schema, d, NULL, v, o != NULL ? o : &def, &errs);
	if (x == NULL) {
		r.request_errors = -1;
		r.response =
		    json_pack("{s:o}", "errors", gql_errors_json(&errs));
		goto done;
	}
	while ((n = gql_exec_step(x, &fs)) > 0) {
		r.passes++;
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "%s %s", fs[i]->method,
			         fs[i]->path);
			json_array_append_new(r.requests, json_string(key));
			if (fs[i]->body != NULL)
				json_array_append(r.bodies, fs[i]->body);
			ans = json_object_get(answers, key);
			gql_exec_supply(
			    x, fs[i],
			    ans ? (int)json_integer_value(
			              json_object_get(ans, "status"))
			        : 404,
			    ans ? json_incref(json_object_get(ans, "body"))
			        : NULL);
		}
	}
	ck_assert_int_eq(n, 0);
	r.fetches = gql_exec_fetch_count(x);
	r.response = gql_exec_response(x);
	gql_exec_free(x);
done:
	json_decref(v);
	json_decref(answers);
	gql_arena_free(a);
	return r;
}

static struct run
run(const char *doc, const char *vars)
{
	return run_opts(doc, vars, NULL);
}

static void
run_free(struct run *r)
{
	json_decref(r->response);
	json_decref(r->requests);
	json_decref(r->bodies);
}

/* the response as compact JSON, keys in order */
static char *
dump(json_t *j)
{
	return json_dumps(j, JSON_COMPACT);
}

static void
assert_json(json_t *got, const char *expected)
{
	json_t *e = json_loads(expected, JSON_DECODE_ANY, NULL);
	char *g = dump(got), *x;

	ck_assert_msg(e != NULL, "bad expected JSON %s", expected);
	x = dump(e);
	ck_assert_msg(json_equal(got, e), "got %s\nexpected %s", g, x);
	free(g);
	free(x);
	json_decref(e);
}

START_TEST(test_levels_batch_no_n_plus_one)
{
	struct run r = run("{ call(id: \"c1\") { title budgetMinor titleFr "
	                   "status applications { score call { title status "
	                   "} } } }",
	                   NULL);

	assert_json(r.requests,
	            "[\"GET /v1/calls/c1\", \"GET /v1/applications?call=c1\", "
	            "\"GET /v1/calls?ids=c3,c4\"]");
	ck_assert_int_eq(r.passes, 3);
	ck_assert_int_eq(r.fetches, 3);
	assert_json(
	    r.response,
	    "{\"data\": {\"call\": {\"title\": \"Appel 1\", \"budgetMinor\": "
	    "500, \"titleFr\": \"Un\", \"status\": \"PUBLISHED\", "
	    "\"applications\": [{\"score\": 1, \"call\": {\"title\": \"Appel "
	    "1\", \"status\": \"PUBLISHED\"}}, {\"score\": 2, \"call\": "
	    "{\"title\": \"Trois\", \"status\": \"DRAFT\"}}, {\"score\": 3, "
	    "\"call\": {\"title\": \"Quatre\", \"status\": \"UNDER_REVIEW\"}}, "
	    "{\"score\": 4, \"call\": {\"title\": \"Trois\", \"status\": "
	    "\"DRAFT\"}}]}}}");
	run_free(&r);
}
END_TEST

START_TEST(test_identical_reads_once_same_level_together)
{
	struct run r =
	    run("{ a: call(id: \"c1\") { title } b: call(id: \"c1\") "
	        "{ status } themes { code } c: call(id: \"c2\") { "
	        "status } }",
	        NULL);

	/* one pass, three distinct reads, the duplicate made once */
	ck_assert_int_eq(r.passes, 1);
	assert_json(r.requests, "[\"GET /v1/calls/c1\", \"GET /v1/themes\", "
	                        "\"GET /v1/calls/c2\"]");
	ck_assert_ptr_null(json_object_get(r.response, "errors"));
	run_free(&r);
}
END_TEST

START_TEST(test_connection_and_query_args)
{
	struct run r = run("{ calls(status: PUBLISHED) { edges { cursor node "
	                   "{ title } } pageInfo { hasNextPage endCursor } } }",
	                   NULL);

	assert_json(r.requests, "[\"GET /v1/calls?status=published&limit=2\"]");
	assert_json(r.response,
	            "{\"data\": {\"calls\": {\"edges\": [{\"cursor\": \"c1\", "
	            "\"node\": {\"title\": \"Appel 1\"}}, {\"cursor\": \"c5\", "
	            "\"node\": {\"title\": \"Cinq\"}}], \"pageInfo\": "
	            "{\"hasNextPage\": true, \"endCursor\": \"c5\"}}}}");
	run_free(&r);
}
END_TEST

START_TEST(test_non_null_propagation_and_paths)
{
	/* title is String! and c2's is null: call (nullable) becomes null */
	struct run r = run("{ call(id: \"c2\") { status title } themes { code "
	                   "} }",
	                   NULL);
	json_t *e;

	e = json_array_get(json_object_get(r.response, "errors"), 0);
	ck_assert_ptr_nonnull(e);
	assert_json(json_object_get(e, "path"), "[\"call\", \"title\"]");
	assert_json(json_object_get(r.response, "data"),
	            "{\"call\": null, \"themes\": [{\"code\": \"economic\"}, "
	            "{\"code\": \"social\"}]}");
	run_free(&r);

	/* through a non-null root field: data itself is null */
	r = run("{ strictCall(id: \"c2\") { title } themes { code } }", NULL);
	assert_json(json_object_get(r.response, "data"), "null");
	run_free(&r);
}
END_TEST

START_TEST(test_upstream_errors_as_field_errors)
{
	struct run r = run("{ a: call(id: \"missing\") { title } b: call(id: "
	                   "\"forbidden\") { title } c: call(id: \"broken\") { "
	                   "title } }",
	                   NULL);
	json_t *errs = json_object_get(r.response, "errors");
	char *text = dump(errs);

	assert_json(json_object_get(r.response, "data"),
	            "{\"a\": null, \"b\": null, \"c\": null}");
	ck_assert_int_eq(json_array_size(errs), 3);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(json_array_get(errs, 0), "extensions"),
	        "code")),
	    "NOT_FOUND");
	assert_json(json_object_get(json_array_get(errs, 0), "path"),
	            "[\"a\"]");
	assert_json(json_object_get(json_array_get(errs, 0), "locations"),
	            "[{\"line\": 1, \"column\": 3}]");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(json_array_get(errs, 1), "extensions"),
	        "code")),
	    "FORBIDDEN");
	/* a failing service is named, its internals never shown */
	ck_assert_ptr_null(strstr(text, "ECONNREFUSED"));
	ck_assert_ptr_nonnull(strstr(text, "req-1"));
	free(text);
	run_free(&r);
}
END_TEST

START_TEST(test_mutations_serial_bodies_rest_form)
{
	struct run r = run("mutation { a: transition(id: \"c1\", to: "
	                   "PUBLISHED) { status } b: rename(id: \"c1\", input: "
	                   "{newTitle: \"Nouveau\", status: UNDER_REVIEW}) { "
	                   "title } }",
	                   NULL);

	/* one request per pass: the second waits for the first */
	ck_assert_int_eq(r.passes, 2);
	assert_json(r.requests, "[\"POST /v1/calls/c1/transitions\", "
	                        "\"PATCH /v1/calls/c1\"]");
	assert_json(r.bodies, "[{\"to\": \"published\"}, {\"new_title\": "
	                      "\"Nouveau\", \"status\": \"under_review\"}]");
	assert_json(r.response, "{\"data\": {\"a\": {\"status\": "
	                        "\"PUBLISHED\"}, \"b\": {\"title\": "
	                        "\"Nouveau\"}}}");
	run_free(&r);

	/* the same mutation twice is two requests */
	r = run("mutation { a: transition(id: \"c1\", to: PUBLISHED) { status "
	        "} b: transition(id: \"c1\", to: PUBLISHED) { status } }",
	        NULL);
	ck_assert_int_eq(json_array_size(r.requests), 2);
	run_free(&r);
}
END_TEST

START_TEST(test_node_global_ids)
{
	struct gql_arena *a = gql_arena_new();
	const char *gid = gql_global_id(a, "Call", "c1"), *t, *raw;
	char doc[512];
	struct run r;

	ck_assert_int_eq(gql_global_id_decode(a, gid, &t, &raw), 0);
	ck_assert_str_eq(t, "Call");
	ck_assert_str_eq(raw, "c1");
	ck_assert_int_eq(gql_global_id_decode(a, "c1", &t, &raw), -1);
	ck_assert_int_eq(gql_global_id_decode(a, "####", &t, &raw), -1);

	snprintf(
	    doc, sizeof(doc),
	    "{ node(id: \"%s\") { id __typename ... on Call { uuid title } } "
	    "bad: node(id: \"nope\") { id } }",
	    gid);
	r = run(doc, NULL);
	assert_json(r.requests, "[\"GET /v1/calls/c1\"]");
	snprintf(
	    doc, sizeof(doc),
	    "{\"node\": {\"id\": \"%s\", \"__typename\": \"Call\", \"uuid\": "
	    "\"c1\", \"title\": \"Appel 1\"}, \"bad\": null}",
	    gid);
	assert_json(json_object_get(r.response, "data"), doc);
	ck_assert_int_eq(json_array_size(json_object_get(r.response, "errors")),
	                 1);
	run_free(&r);

	/* a global id is accepted where an ID argument names a resource */
	snprintf(doc, sizeof(doc), "{ call(id: \"%s\") { title } }", gid);
	r = run(doc, NULL);
	assert_json(r.requests, "[\"GET /v1/calls/c1\"]");
	run_free(&r);
	gql_arena_free(a);
}
END_TEST

START_TEST(test_variables_and_directives)
{
	struct run r = run("query ($id: ID!, $withStatus: Boolean!, $skip: "
	                   "Boolean = true) { call(id: $id) { title status "
	                   "@include(if: $withStatus) budgetMinor @skip(if: "
	                   "$skip) } }",
	                   "{\"id\": \"c1\", \"withStatus\": false}");

	assert_json(json_object_get(r.response, "data"),
	            "{\"call\": {\"title\": \"Appel 1\"}}");
	run_free(&r);

	/* request errors: nothing is executed */
	r = run("query ($id: ID!) { call(id: $id) { title } }", "{}");
	ck_assert_int_eq(r.request_errors, -1);
	ck_assert_int_eq(json_array_size(r.requests), 0);
	run_free(&r);
	r = run("query ($s: Status) { calls(status: $s) { nodes { title } } }",
	        "{\"s\": \"published\"}");
	ck_assert_int_eq(r.request_errors, -1);
	run_free(&r);
	r = run("query ($f: Int) { calls(first: $f) { nodes { title } } }",
	        "{\"f\": 2.5}");
	ck_assert_int_eq(r.request_errors, -1);
	run_free(&r);
	/* a single value where a list is expected is a list of one */
	r = run("query ($s: Status) { calls(status: $s) { nodes { title } } }",
	        "{\"s\": \"PUBLISHED\"}");
	assert_json(r.requests, "[\"GET /v1/calls?status=published&limit=2\"]");
	run_free(&r);
}
END_TEST

START_TEST(test_introspection_and_typename)
{
	struct run r = run("{ __typename __type(name: \"Call\") { name kind "
	                   "interfaces { name } fields { name type { kind "
	                   "ofType { name } } } } }",
	                   NULL);
	json_t *t =
	    json_object_get(json_object_get(r.response, "data"), "__type");

	ck_assert_int_eq(json_array_size(r.requests), 0);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(r.response, "data"), "__typename")),
	    "Query");
	ck_assert_str_eq(json_string_value(json_object_get(t, "kind")),
	                 "OBJECT");
	assert_json(json_object_get(t, "interfaces"), "[{\"name\": \"Node\"}]");
	ck_assert_int_eq(json_array_size(json_object_get(t, "fields")), 8);
	run_free(&r);
}
END_TEST

START_TEST(test_upstream_budget)
{
	struct gql_exec_opts o = {1, 2, 0, 0, "req-2"};
	struct run r = run_opts("{ a: call(id: \"c1\") { title } b: call(id: "
	                        "\"c2\") { status } themes { code } }",
	                        NULL, &o);
	char *text = dump(r.response);

	ck_assert_int_eq(r.fetches, 2);
	ck_assert_int_eq(json_array_size(r.requests), 2);
	ck_assert_ptr_nonnull(strstr(text, "UPSTREAM_LIMIT"));
	free(text);
	run_free(&r);
}
END_TEST

/* A connection under each item of a list: one batch read per level
 * (per_parent from the field's first), each parent's page matched on its
 * key; a parent absent from the answer is NOT_FOUND; a cursor, which is
 * the item's own, makes the reads one per item. */
START_TEST(test_connection_per_parent_batched)
{
	struct run r = run("{ calls(status: PUBLISHED) { nodes { title apps { "
	                   "nodes { score } pageInfo { hasNextPage endCursor "
	                   "} } } } }",
	                   NULL);

	assert_json(r.requests,
	            "[\"GET /v1/calls?status=published&limit=2\", \"GET "
	            "/v1/call-apps?call_ids=c1,c5&per_parent=2\"]");
	assert_json(
	    r.response,
	    "{\"data\": {\"calls\": {\"nodes\": [{\"title\": \"Appel "
	    "1\", \"apps\": {\"nodes\": [{\"score\": 1}, {\"score\": 2}], "
	    "\"pageInfo\": {\"hasNextPage\": true, \"endCursor\": "
	    "\"a2\"}}}, {\"title\": \"Cinq\", \"apps\": {\"nodes\": [], "
	    "\"pageInfo\": {\"hasNextPage\": false, \"endCursor\": "
	    "null}}}]}}}");
	run_free(&r);

	r = run("{ calls(status: PUBLISHED) { nodes { apps(first: 3) { "
	        "nodes { score } } } } }",
	        NULL);
	assert_json(r.requests,
	            "[\"GET /v1/calls?status=published&limit=2\", \"GET "
	            "/v1/call-apps?call_ids=c1,c5&per_parent=3\"]");
	assert_json(r.response,
	            "{\"errors\": [{\"message\": \"Not found.\", "
	            "\"locations\": [{\"line\": 1, \"column\": 38}], "
	            "\"path\": [\"calls\", \"nodes\", 1, \"apps\"], "
	            "\"extensions\": {\"code\": \"NOT_FOUND\"}}], \"data\": "
	            "{\"calls\": {\"nodes\": [{\"apps\": {\"nodes\": "
	            "[{\"score\": 1}]}}, {\"apps\": null}]}}}");
	run_free(&r);

	r = run("{ calls(status: PUBLISHED) { nodes { apps(after: \"a2\") { "
	        "nodes { score } } } } }",
	        NULL);
	assert_json(r.requests,
	            "[\"GET /v1/calls?status=published&limit=2\", \"GET "
	            "/v1/calls/c1/apps?limit=2&cursor=a2\", \"GET "
	            "/v1/calls/c5/apps?limit=2&cursor=a2\"]");
	ck_assert_ptr_null(json_object_get(r.response, "errors"));
	run_free(&r);
}
END_TEST

static Suite *
exec_suite(void)
{
	Suite *s = suite_create("gateway_graphql_exec");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_levels_batch_no_n_plus_one);
	tcase_add_test(tc, test_identical_reads_once_same_level_together);
	tcase_add_test(tc, test_connection_and_query_args);
	tcase_add_test(tc, test_non_null_propagation_and_paths);
	tcase_add_test(tc, test_upstream_errors_as_field_errors);
	tcase_add_test(tc, test_mutations_serial_bodies_rest_form);
	tcase_add_test(tc, test_node_global_ids);
	tcase_add_test(tc, test_variables_and_directives);
	tcase_add_test(tc, test_introspection_and_typename);
	tcase_add_test(tc, test_upstream_budget);
	tcase_add_test(tc, test_connection_per_parent_batched);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(exec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
