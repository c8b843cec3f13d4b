#!/usr/bin/env bash
# Backup and restore of every service database, as docs/operations.md tells
# an operator to do it: scripts/backup.sh with the service's own role while
# the data of the integration suites is there, then scripts/restore.sh into
# a new empty database; every table must come back with the same rows
# (count and a checksum of its content).
set -uo pipefail
cd "$MP_TEST_ROOT"
. scripts/lib.sh
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
url() { echo "postgresql://$1:$1-test-pw@127.0.0.1:$MP_TEST_PG_PORT/$2"; }
# per table: name, row count, md5 of the rows in a stable order
digest() {
	psql -X -q -At "$1" <<'SQL' | sort
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) FROM %I.%I t',
       table_name, table_schema, table_name)
  FROM information_schema.tables
 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
   AND table_name NOT IN ('spatial_ref_sys')
 ORDER BY table_name \gexec
SQL
}
fail=0; tables=0
for s in funding cases gender gateway; do
	scripts/backup.sh "$(url "$s" "$s")" "$T/$s.dump" >/dev/null || { echo "FAIL: backup of $s"; fail=1; continue; }
	PSQL_DB=postgres psql_super "$MP_TEST_VAR" -c "SET client_min_messages = warning" \
	    -c "DROP DATABASE IF EXISTS ${s}_restore" -c "CREATE DATABASE ${s}_restore OWNER $s" >/dev/null
	for ext in ${DB_EXTENSIONS[$s]:-}; do
		PSQL_DB=${s}_restore psql_super "$MP_TEST_VAR" -c "CREATE EXTENSION IF NOT EXISTS $ext" >/dev/null
	done
	if ! scripts/restore.sh "$(url "$s" "${s}_restore")" "$T/$s.dump" >"$T/$s.log" 2>&1; then
		echo "FAIL: restore of $s:"; tail -5 "$T/$s.log"; fail=1; continue
	fi
	digest "$(url "$s" "$s")" >"$T/$s.before"
	digest "$(url "$s" "${s}_restore")" >"$T/$s.after"
	if ! diff -q "$T/$s.before" "$T/$s.after" >/dev/null; then
		echo "FAIL: $s differs after restore:"; diff "$T/$s.before" "$T/$s.after" | head -5; fail=1
	fi
	if ! grep -q . "$T/$s.before"; then
		echo "FAIL: $s has no table to check (run the integration suites first)"; fail=1
	fi
	tables=$((tables + $(grep -c . "$T/$s.before")))
	rows=$(awk -F'|' '{n += $2} END {print n}' "$T/$s.before")
	echo "  $s: $(grep -c . "$T/$s.before") tables, $rows rows restored identical"
	PSQL_DB=postgres psql_super "$MP_TEST_VAR" -c "DROP DATABASE ${s}_restore" >/dev/null
done
[ $fail -eq 0 ] && echo "backup/restore: 4 databases, $tables tables, identical after pg_dump and pg_restore"
exit $fail
