#!/usr/bin/env bash
# Logical backup of one service's database (docs/operations.md):
#   scripts/backup.sh postgresql://funding:...@host:5432/funding funding.dump
# pg_dump's custom format (compressed, restorable table by table), taken in
# one consistent snapshot while the service runs; the service's own login
# role is enough (it owns every object of its database). The outbox and the
# inbox are in it: a restored service re-publishes what it had not yet
# published and never applies an event twice.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DATABASE_URL OUTFILE" >&2; exit 2; }
url=$1 out=$2
pg_dump --format=custom --compress=6 --no-privileges --file="$out.tmp" "$url"
mv "$out.tmp" "$out"
echo "backup: $(pg_restore --list "$out" | grep -c ' TABLE DATA ') tables to $out ($(du -h "$out" | cut -f1))"
