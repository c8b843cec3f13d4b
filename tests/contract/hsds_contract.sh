#!/usr/bin/env bash
# HSDS 3.0 contract of the cases service: starts services/cases against the
# test PostgreSQL and Redis of scripts/test.sh, loads the demo directory of
# Agadir and Oujda through the officers' API (scripts/load-directory.sh,
# with test-rs-1 tokens), then validates every /v1/cases/hsds/ answer
# against the published HSDS schemas with ajv + ajv-formats
# (tests/contract/hsds_validate.cjs, schemas vendored in
# tests/contract/hsds-3.0).
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"

[ -n "${MP_TEST_VAR:-}" ] || { echo "FAIL: run by scripts/test.sh (needs its PostgreSQL and Redis)"; exit 1; }
BIN=$(scripts/node-tools.sh) || { echo "FAIL: npm test tools missing"; exit 1; }
BUILD_DIR=${MP_TEST_BUILD:-$ROOT/build}

PORT=$(free_port)
sed "s#^load .*#load $BUILD_DIR/cases.so#" services/cases/conf/cases.conf >"$MP_TEST_VAR/cases-hsds.conf"
(
	export MP_HTTP_HOST=127.0.0.1 MP_HTTP_PORT=$PORT MP_WORKERS=2 MP_LOG_LEVEL=warn
	# shellcheck disable=SC2059 # the template's %s are the role, password, database
	MP_DB_URL=$(printf "$MP_TEST_DB_URL_TEMPLATE" cases cases cases)
	export MP_DB_URL MP_REDIS_URL=$MP_TEST_REDIS_URL
	export MP_JWT_KEYS="test-rs-1:RS256:$ROOT/tests/keys/test-rs-1.pub.pem"
	export MP_JWT_ISSUER=https://auth.test MP_JWT_AUDIENCE=mp-api
	export MP_MIGRATIONS_DIR=services/cases/migrations
	# keys of personal data (test values, as tests/integration/support.h)
	export MP_FIELD_KEYS="test-2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
	export MP_BLIND_INDEX_KEY="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
	exec setsid kore -c "$MP_TEST_VAR/cases-hsds.conf" -f -n -r >>"$MP_TEST_VAR/log/cases-hsds.log" 2>&1
) &
KPID=$!
mkdir -p "$MP_TEST_VAR/run"; echo "$KPID" >"$MP_TEST_VAR/run/cases-hsds.pid"
trap 'stop_pids "$KPID"; rm -f "$MP_TEST_VAR/run/cases-hsds.pid"' EXIT
wait_ready "http://127.0.0.1:$PORT/readyz" 60 || { tail -20 "$MP_TEST_VAR/log/cases-hsds.log"; echo "FAIL: cases not ready"; exit 1; }

BASE="http://127.0.0.1:$PORT"
scripts/load-directory.sh "$BASE" "$(test_token hsds-souss council_officer souss-massa)" \
	"$(test_token hsds-oriental council_officer oriental)" || { echo "FAIL: the demo directory did not load"; exit 1; }
NODE_PATH="$(dirname "$BIN")" node tests/contract/hsds_validate.cjs "$BASE"
