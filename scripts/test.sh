#!/usr/bin/env bash
# Runs every test suite: Check unit suites, then the integration suites
# against a private PostgreSQL and Redis started here on free ports (so it
# runs beside a `make up`), then the contract checks and the browser tests. Prints one closing
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

# MP_TEST_ONLY="check_funding* backup_restore.sh" runs only the suites whose
# file name matches one of the (space-separated) globs.
selected() { # path
	local g globs
	read -ra globs <<<"${MP_TEST_ONLY:-*}"
	for g in "${globs[@]}"; do
		# shellcheck disable=SC2254
		case $(basename "$1") in $g) return 0 ;; esac
	done
	return 1
}

run_suite() { # name command...
	local name=$1; shift
	log "suite $name"
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

# pgTAP: a service's SQL functions tested on their own (MP_TEST_ONLY
# selects them as "pgtap_<service>"), in a database of their own owned by
# the service's role and migrated by mp-migrate exactly as the service
# would; pgTAP itself is created by the superuser. Each test file runs in
# one transaction and rolls back.
run_pgtap() { # service dir
	local s=$1 dir=$2 db=${1}_pgtap ext
	psql_super "$T" -v db="$db" -v owner="$s" \
	    -v createrole="${DB_MIGRATION_CREATEROLE[$s]:-}" <<'SQL' || return 1
SET client_min_messages = warning;
SELECT format('DROP DATABASE IF EXISTS %I', :'db') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner') \gexec
SELECT format('ALTER ROLE %I CREATEROLE', :'owner') WHERE :'createrole' = 'yes' \gexec
SQL
	for ext in ${DB_EXTENSIONS[$s]:-} pgtap; do
		PSQL_DB=$db psql_super "$T" -c "SET client_min_messages = warning" \
		    -c "CREATE EXTENSION IF NOT EXISTS $ext" || return 1
	done
	MP_DB_URL="postgresql://$s:$s-test-pw@127.0.0.1:$PGPORT_T/$db" \
	    "$BUILD/bin/mp-migrate" "$(dirname "$(dirname "$dir")")/migrations" >/dev/null || return 1
	PGPASSWORD="$s-test-pw" pg_prove -q -h 127.0.0.1 -p "$PGPORT_T" -U "$s" -d "$db" "$dir"/*.sql
}

if [ "$MODE" = all ] || [ "$MODE" = unit ]; then
	for t in "$BUILD"/tests/unit/check_*; do
		[ -x "$t" ] || continue
		selected "$t" || continue
		run_suite "unit/$(basename "$t")" env CK_DEFAULT_TIMEOUT=60 "$t"
	done
fi

if [ -n "${SANITIZE:-}" ]; then
	# The sanitizer build has its own instrumented kore ($BUILD/bin/kore,
	# scripts/build-kore.sh): every process the suites start runs under
	# ASan/UBSan. A report is written under $T/san/ and fails the run, even
	# when the suite that provoked it passed (a worker that dies is
	# restarted by Kore and may go unnoticed by a client).
	export PATH="$ROOT/$BUILD/bin:$PATH"
	SAN_DIR="$T/san"; mkdir -p "$SAN_DIR"
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=0:log_path=$SAN_DIR/asan:print_summary=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$SAN_DIR/ubsan"
fi

if [ "$MODE" = all ] || [ "$MODE" = integration ]; then
	trap cleanup EXIT
	cleanup_prev() { redis_stop "$T"; pg_stop "$T"; }
	cleanup_prev
	rm -rf "$T"; mkdir -p "$T/log" "$T/san"
	PGPORT_T=$(free_port); REDISPORT_T=$(free_port)
	pg_start "$T" "$PGPORT_T"
	redis_start "$T" "$REDISPORT_T"
	for db in testapp "${SERVICES[@]}"; do pg_create_db "$T" "$db" "$db-test-pw"; done
	export MP_TEST_VAR="$T" MP_TEST_ROOT="$ROOT" MP_TEST_BUILD="$ROOT/$BUILD"
	export MP_TEST_PG_PORT=$PGPORT_T MP_TEST_REDIS_PORT=$REDISPORT_T
	export MP_TEST_DB_URL_TEMPLATE="postgresql://%s:%s-test-pw@127.0.0.1:$PGPORT_T/%s"
	export MP_TEST_REDIS_URL="redis://127.0.0.1:$REDISPORT_T"
	export MP_TEST_KEYS="$ROOT/tests/keys"
	# every exchange of the integration suites, for the OpenAPI traffic
	# check (tests/contract/openapi_contract.sh)
	export MP_TEST_RECORD="$T/exchanges.jsonl"

	for t in "$BUILD"/tests/integration/check_*; do
		[ -x "$t" ] || continue
		selected "$t" || continue
		run_suite "integration/$(basename "$t")" env CK_DEFAULT_TIMEOUT=300 CK_FORK=yes "$t"
	done
	for s in "${SERVICES[@]}"; do
		d=services/$s/tests/sql
		[ "$s" = gateway ] && d=gateway/tests/sql
		compgen -G "$d/*.sql" >/dev/null || continue
		selected "pgtap_$s" || continue
		run_suite "pgtap/$s" run_pgtap "$s" "$d"
	done
	for t in tests/contract/*.sh; do
		[ -f "$t" ] || continue
		selected "$t" || continue
		run_suite "contract/$(basename "$t")" bash "$t"
	done
	# a real browser (Debian's chromium through playwright-core) against
	# the real processes: what curl cannot see (CORS)
	for t in tests/browser/*.sh; do
		[ -f "$t" ] || continue
		selected "$t" || continue
		run_suite "browser/$(basename "$t")" bash "$t"
	done
fi

if [ -n "${SAN_DIR:-}" ] && [ -d "$SAN_DIR" ]; then
	reports=("$SAN_DIR"/*)
	if [ -e "${reports[0]}" ]; then
		log "sanitizer reports in $SAN_DIR:"
		for r in "${reports[@]}"; do sed -n 1,30p "$r" >&2; done
		failed=$((failed + 1)); failures+=("sanitizers(${#reports[@]} reports)")
	else
		log "sanitizers: no report from any process"
	fi
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed suites: ${failures[*]}"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
