#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into an EMPTY database (a new
# one, or the old one dropped and created again by the cluster's operator,
# with the extensions the service needs -- cases: postgis -- created by a
# superuser first, as scripts/lib.sh and the CloudNativePG cluster do):
#   scripts/restore.sh postgresql://funding:...@host:5432/funding funding.dump
# One transaction: it restores everything or nothing. Objects belong to the
# role that restores (the service's own). Start the service afterwards: its
# migrations check finds every applied file recorded, and the relay
# publishes whatever the outbox still holds.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DATABASE_URL DUMPFILE" >&2; exit 2; }
url=$1 in=$2
list=$(mktemp); trap 'rm -f "$list"' EXIT
# Extensions the database already has (created by a superuser, e.g.
# PostGIS) are skipped, with their comment and, for PostGIS, the rows of
# its own spatial_ref_sys; the others (trusted ones such as unaccent) are
# created by the restoring owner as the migrations did.
skip=$(psql -X -At "$url" -c "SELECT string_agg(extname, '|') FROM pg_extension WHERE extname <> 'plpgsql'")
pg_restore --list "$in" |
	if [ -n "$skip" ]; then
		grep -vE " (EXTENSION|COMMENT - EXTENSION) [^ ]* ?($skip) |TABLE DATA public spatial_ref_sys "
	else cat; fi >"$list"
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --use-list="$list" --dbname="$url" "$in"
echo "restore: $in into $(sed -E 's#.*@##' <<<"$url")"
