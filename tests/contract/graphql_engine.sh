#!/usr/bin/env bash
# The gateway's GraphQL engine against graphql-js 16 (npm graphql, test
# tooling only, installed by scripts/node-tools.sh):
#   - tests/graphql/diff.mjs: every document of the corpora (the
#     specification's section 5 examples and counter-examples on its
#     example schema, lexer and parser cases, and documents on the served
#     schema), plus every prefix, every one-token deletion and every name
#     swap of each, gets the same verdict and the same error locations
#     from both;
#   - tests/graphql/introspection.mjs: the engine's answer to the full
#     introspection query equals graphql-js' for the same SDL, and
#     printSchema(buildClientSchema(answer)) equals printSchema of the SDL;
#   - tests/graphql/rest_ops.mjs: every @rest of openapi/schema.graphql
#     names a path, method and query parameters of its service's OpenAPI
#     document (the types against the REST answers themselves:
#     tests/graphql/shapes.mjs, from check_cases_directory and check_gender).
# GQL_DRIVER overrides the engine binary (to test the test).
set -euo pipefail
ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MP_TEST_BUILD:-$ROOT/build}
DRIVER=${GQL_DRIVER:-$BUILD/tests/graphql/gql_verdicts}
cd "$ROOT"
"$ROOT/scripts/node-tools.sh" >/dev/null
[ -x "$DRIVER" ] || { echo "graphql_engine: $DRIVER is not built (make build)" >&2; exit 1; }
set -- tests/graphql/spec/schema.graphql tests/graphql/spec/corpus
if [ -d tests/graphql/api/corpus ]; then
	set -- "$@" openapi/schema.graphql tests/graphql/api/corpus
fi
node tests/graphql/diff.mjs "$DRIVER" "$@"
schemas=(tests/graphql/spec/schema.graphql)
[ -f openapi/schema.graphql ] && schemas+=(openapi/schema.graphql)
node tests/graphql/introspection.mjs "$DRIVER" "${schemas[@]}"
node tests/graphql/rest_ops.mjs openapi/schema.graphql
