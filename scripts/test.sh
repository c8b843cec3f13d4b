#!/usr/bin/env bash
# Runs every test suite: Check unit suites, then the integration suites
# against a private PostgreSQL and Redis started here on free ports (so it
# runs beside a `make up`), then the contract checks. Prints one closing
# line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

MODE=${1:-all}
BUILD=${BUILD:-build}
T=${MP_TEST_DIR:-$ROOT/var/test}
passed=0; failed=0; failures=()

cleanup() {
	[ -n "${MP_TEST_VAR:-}" ] || return 0
	local f
	for f in "$T"/run/*.pid; do
		[ -f "$f" ] && { kill -KILL -- "-$(cat "$f")" 2>/dev/null; kill -KILL "$(cat "$f")" 2>/dev/null; }
		rm -f "$f"
	done
	redis_stop "$T"
	pg_stop "$T"
}

# MP_TEST_ONLY="check_funding*" runs only the suites whose file name matches.
selected() { # path
	# shellcheck disable=SC2254
	case $(basename "$1") in ${MP_TEST_ONLY:-*}) return 0 ;; *) return 1 ;; esac
}

run_suite() { # name command...
	local name=$1; shift
	log "suite $name"
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

if [ "$MODE" = all ] || [ "$MODE" = unit ]; then
	for t in "$BUILD"/tests/unit/check_*; do
		[ -x "$t" ] || continue
		selected "$t" || continue
		run_suite "unit/$(basename "$t")" env CK_DEFAULT_TIMEOUT=60 "$t"
	done
fi

if [ -n "${SANITIZE:-}" ] && [ "$MODE" = all ]; then
	# Debian's kore binary is not instrumented and an instrumented module
	# cannot be loaded into it (ASan must come first in the process), so
	# the sanitizer run covers every suite linked by us: the unit suites.
	log "SANITIZE=$SANITIZE: unit suites only (Kore processes are not instrumented)"
	MODE=unit
fi

if [ "$MODE" = all ] || [ "$MODE" = integration ]; then
	trap cleanup EXIT
	cleanup_prev() { redis_stop "$T"; pg_stop "$T"; }
	cleanup_prev
	rm -rf "$T"; mkdir -p "$T/log"
	PGPORT_T=$(free_port); REDISPORT_T=$(free_port)
	pg_start "$T" "$PGPORT_T"
	redis_start "$T" "$REDISPORT_T"
	for db in testapp "${SERVICES[@]}"; do pg_create_db "$T" "$db" "$db-test-pw"; done
	export MP_TEST_VAR="$T" MP_TEST_ROOT="$ROOT" MP_TEST_BUILD="$ROOT/$BUILD"
	export MP_TEST_PG_PORT=$PGPORT_T MP_TEST_REDIS_PORT=$REDISPORT_T
	export MP_TEST_DB_URL_TEMPLATE="postgresql://%s:%s-test-pw@127.0.0.1:$PGPORT_T/%s"
	export MP_TEST_REDIS_URL="redis://127.0.0.1:$REDISPORT_T"
	export MP_TEST_KEYS="$ROOT/tests/keys"

	for t in "$BUILD"/tests/integration/check_*; do
		[ -x "$t" ] || continue
		selected "$t" || continue
		run_suite "integration/$(basename "$t")" env CK_DEFAULT_TIMEOUT=300 CK_FORK=yes "$t"
	done
	for t in tests/contract/*.sh; do
		[ -f "$t" ] || continue
		selected "$t" || continue
		run_suite "contract/$(basename "$t")" bash "$t"
	done
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed suites: ${failures[*]}"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
