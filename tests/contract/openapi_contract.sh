#!/usr/bin/env bash
# The specifications tell the truth, in three steps:
#  1. `redocly lint` (npm @redocly/cli, redocly.yaml at the root) finds no
#     error in any document of openapi/ (OpenAPI and AsyncAPI alike, every
#     file there, so new documents are covered).
#  2. The traffic checker (openapi_traffic.cjs, ajv + ajv-formats + yaml)
#     is shown to fail: each deliberately wrong exchange of
#     openapi-fixtures/wrong.jsonl (a required field missing, a wrong type,
#     a value outside its const, an undeclared status, an undeclared media
#     type, a header outside its schema, on a service's and on the
#     gateway's edge answers) must be reported, and the real exchanges of
#     good.jsonl must pass.
#  3. Every exchange the integration suites recorded in this run
#     ($MP_TEST_VAR/exchanges.jsonl, written by tests/integration/support.c
#     when scripts/test.sh sets MP_TEST_RECORD) is checked against its
#     operation: declared status, body schema, declared headers.
set -uo pipefail
ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
BIN=$(scripts/node-tools.sh) || { echo "FAIL: npm test tools missing"; exit 1; }
export NODE_PATH="$(dirname "$BIN")"
CHECK=tests/contract/openapi_traffic.cjs
FIX=tests/contract/openapi-fixtures
fail=0

# ---- 1. lint -------------------------------------------------------------------
shopt -s nullglob
docs=(openapi/*.yaml openapi/*.yml openapi/*.json)
shopt -u nullglob
[ ${#docs[@]} -gt 0 ] || { echo "FAIL: no document in openapi/"; exit 1; }
for d in "${docs[@]}"; do
	if out=$("$BIN/redocly" lint --config redocly.yaml --format=stylish "$d" 2>&1); then
		echo "lint: $d: $(grep -Eo 'You have [0-9]+ warnings?' <<<"$out" || echo 'no warning')"
	else
		echo "FAIL: redocly lint $d"
		grep -E '^\s+[0-9]+:[0-9]+\s+error|Failed to parse|bad indentation' <<<"$out" | sed 's/^/  /'
		fail=1
	fi
done

# ---- 2. the checker can fail ------------------------------------------------------
want=$(grep -c . "$FIX/wrong.jsonl")
if out=$(node "$CHECK" openapi "$FIX/wrong.jsonl" 2>&1); then
	echo "FAIL: the checker accepted $FIX/wrong.jsonl"; fail=1
else
	got=$(grep -c '^VIOLATION' <<<"$out")
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $got violations reported for $want wrong exchanges:"; echo "$out" | sed 's/^/  /'; fail=1
	else
		echo "checker: each of the $want wrong exchanges refused"
	fi
fi
node "$CHECK" openapi "$FIX/good.jsonl" >/dev/null || { echo "FAIL: the checker refused $FIX/good.jsonl"; fail=1; }

# ---- 3. the recorded traffic ----------------------------------------------------------
rec=${MP_TEST_VAR:-$ROOT/var/test}/exchanges.jsonl
if [ -s "$rec" ]; then
	node "$CHECK" openapi "$rec" || fail=1
elif [ -n "${MP_TEST_ONLY:-}" ]; then
	echo "traffic: no exchange recorded (MP_TEST_ONLY run without the integration suites): skipped"
else
	echo "FAIL: no recorded traffic at $rec (scripts/test.sh sets MP_TEST_RECORD)"; fail=1
fi
exit $fail
