#!/usr/bin/env bash
# `make down`: stop exactly what `make up` started (PID files in var/run).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
V=${MP_VAR:-$ROOT/var}
for f in "$V"/run/*.pid; do
	[ -f "$f" ] || continue
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		log "stopped $(basename "$f" .pid)"
	fi
	rm -f "$f"
done
redis_stop "$V"
pg_stop "$V"
log "PostgreSQL and Redis stopped"
