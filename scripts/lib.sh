#!/usr/bin/env bash
# Shared shell functions: private PostgreSQL 15 and Redis 7 instances under a
# directory of the project (./var for `make up`, ./var/test for `make test`),
# free-port selection, readiness waits. Sourced by up.sh, test.sh, down.sh.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVICES=(funding cases gender gateway)

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# free_port: print a TCP port nobody listens on (from a random start).
free_port() {
	local p
	for _ in $(seq 1 200); do
		# below the ephemeral range (32768-60999): no client socket holds it
		p=$(( 20000 + RANDOM % 12000 ))
		if ! ss -Htan "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"; return 0
		fi
	done
	return 1
}

# as_pg CMD...: run a PostgreSQL binary as the cluster owner. PostgreSQL
# refuses to run as root, so root runs it as the `postgres` system user.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# pg_datadir DIR: print the data directory for the cluster kept in DIR/pg.
# When root and the `postgres` user cannot reach DIR (a clone under /root),
# the cluster lives in /var/tmp and DIR/pg is a symlink to it.
pg_prepare_dir() {
	local dir=$1
	mkdir -p "$dir"
	if [ "$(id -u)" -ne 0 ]; then
		mkdir -p "$dir/pg"; echo "$dir/pg"; return
	fi
	if [ -L "$dir/pg" ]; then
		readlink -f "$dir/pg"; return
	fi
	if runuser -u postgres -- test -x "$dir" 2>/dev/null && \
	   runuser -u postgres -- test -r "$dir" 2>/dev/null; then
		mkdir -p "$dir/pg"; chown postgres: "$dir/pg"; chmod 700 "$dir/pg"
		echo "$dir/pg"; return
	fi
	local alt
	alt=/var/tmp/mp-$(printf '%s' "$dir" | md5sum | cut -c1-12)
	mkdir -p "$alt"; chown postgres: "$alt"; chmod 700 "$alt"
	ln -sfn "$alt" "$dir/pg"
	echo "$alt"
}

# glibc's malloc in every PostgreSQL backend (forked from the postmaster, so
# set in its environment). By default glibc adjusts its thresholds from what
# a process has freed so far, and a backend with a history (one of a
# service's pool that ran inserts before) ends up giving its heap back to
# the kernel at the end of each statement that builds a large answer, then
# faulting it in again on the next one: a list of 50 applications (55 KB)
# cost such a backend 413 page faults and 673 us of system time, against 168
# and 283 us in a new backend (pgbench's), 11-15 % more CPU a statement in
# all. Fixed thresholds end that: up to 8 MB of freed heap stays with a
# backend, allocations from 4 MB up are mapped and unmapped alone. The same
# value is in docker-compose.yml and deploy/kubernetes/base/databases.yaml
# (tests/contract/pg_malloc.sh compares them); PG_MALLOC_TUNABLES= (empty)
# starts PostgreSQL with glibc's defaults, e.g. to measure the difference.
PG_MALLOC_TUNABLES_DEFAULT=glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=8388608
PG_MALLOC_TUNABLES=${PG_MALLOC_TUNABLES-$PG_MALLOC_TUNABLES_DEFAULT}

# pg_start DIR PORT: init (once) and start a cluster; one database and one
# login role per service, none able to connect to another's database.
pg_start() {
	local dir=$1 port=$2 data
	data=$(pg_prepare_dir "$dir")
	if [ ! -f "$data/PG_VERSION" ]; then
		as_pg "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
		    --auth-local=trust --auth-host=scram-sha-256 >/dev/null \
		    || die "initdb failed in $data"
		cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
max_connections = ${PG_MAX_CONNECTIONS:-200}
shared_buffers = 256MB
fsync = on
synchronous_commit = on
log_destination = 'stderr'
logging_collector = off
log_min_messages = warning
CONF
	fi
	GLIBC_TUNABLES=$PG_MALLOC_TUNABLES as_pg "$PG_BIN/pg_ctl" -D "$data" \
	    -o "-p $port -k $data" -l "$data/server.log" -w -t 60 start >/dev/null || { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
	echo "$port" >"$dir/pg.port"
}

pg_stop() {
	local dir=$1 data
	[ -e "$dir/pg" ] || return 0
	data=$(readlink -f "$dir/pg")
	[ -f "$data/postmaster.pid" ] || return 0
	as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# psql_super DIR SQL...: run SQL as the superuser over the private socket,
# in database PSQL_DB (default postgres).
psql_super() {
	local dir=$1; shift
	local data port
	data=$(readlink -f "$dir/pg"); port=$(cat "$dir/pg.port")
	as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$data" -p "$port" -U postgres -d "${PSQL_DB:-postgres}" "$@"
}

# pg_create_db DIR NAME PASSWORD: idempotent role + database owned by it.
# A new database of a service in DB_MIGRATION_CREATEROLE gets its role
# CREATEROLE for its first migrations, which use it once and drop it.
pg_create_db() {
	local dir=$1 name=$2 pass=$3
	psql_super "$dir" -v name="$name" -v pass="$pass" \
	    -v createrole="${DB_MIGRATION_CREATEROLE[$name]:-}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'pass')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'name', :'pass') \gexec
SELECT format('ALTER ROLE %I CREATEROLE', :'name')
 WHERE :'createrole' = 'yes' AND NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'name', :'name') \gexec
SQL
	pg_create_extensions "$dir" "$name"
}

# Services whose migrations create a role of their own (cases: the owner
# of its audit log, 0010_audit_owner.sql), with CREATEROLE given to the
# service's role for that one migration, which drops it.
declare -A DB_MIGRATION_CREATEROLE=([cases]=yes)

# Extensions a service's migrations use that only a superuser may create
# (its migration's CREATE EXTENSION IF NOT EXISTS is then a no-op).
declare -A DB_EXTENSIONS=([cases]=postgis)

# pg_create_extensions DIR NAME: create NAME's extensions in its database.
pg_create_extensions() {
	local dir=$1 name=$2 ext
	for ext in ${DB_EXTENSIONS[$name]:-}; do
		PSQL_DB=$name psql_super "$dir" -c "SET client_min_messages = warning" \
		    -c "CREATE EXTENSION IF NOT EXISTS $ext" || die "cannot create extension $ext in $name"
	done
}

# redis_start DIR PORT: a private Redis with AOF (events survive a restart).
redis_start() {
	local dir=$1 port=$2
	mkdir -p "$dir/redis"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$dir/redis" \
	    --daemonize yes --pidfile "$dir/redis/redis.pid" \
	    --logfile "$dir/redis/redis.log" --appendonly yes --appendfsync everysec \
	    --save "" --protected-mode yes >/dev/null || die "Redis did not start"
	for _ in $(seq 1 100); do
		redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && { echo "$port" >"$dir/redis.port"; return 0; }
		sleep 0.1
	done
	die "Redis on port $port not answering"
}

redis_stop() {
	local dir=$1 pid
	[ -f "$dir/redis/redis.pid" ] || return 0
	pid=$(cat "$dir/redis/redis.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$dir/redis/redis.pid"
}

# wait_ready URL SECONDS: poll until URL answers 200.
wait_ready() {
	local url=$1 secs=${2:-30} i
	for i in $(seq 1 $(( secs * 10 ))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# stop_pids PID...: SIGTERM each, give it 5 s, then SIGKILL (benchmarks'
# own processes; never fails).
stop_pids() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	for p in "$@"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
}

# fresh_cluster_dir DIR: stop the PostgreSQL and Redis that DIR holds and
# empty it (its PostgreSQL data may live in /var/tmp behind a symlink).
fresh_cluster_dir() {
	redis_stop "$1"; pg_stop "$1"
	if [ -e "$1/pg" ]; then rm -rf "$(readlink -f "$1/pg")"; fi
	rm -rf "$1"; mkdir -p "$1/log"
}

# b64url: base64url of stdin, unpadded.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# test_token SUB ROLE REGION [COMMUNE]: an RS256 access token signed with
# tests/keys/test-rs-1 (iss https://auth.test, aud mp-api, valid 1 h), as
# tests/integration/support.c t_token makes them: for benchmarks and
# contract tests against a service that verifies test-rs-1.
test_token() {
	local now h p
	now=$(date +%s)
	h=$(printf '{"alg":"RS256","typ":"JWT","kid":"test-rs-1"}' | b64url)
	p=$(printf '{"iss":"https://auth.test","aud":"mp-api","sub":"%s","iat":%d,"exp":%d,"roles":["%s"],"region":"%s"%s,"jti":"t-%s-%s-%d"}' \
	    "$1" $((now - 5)) $((now + 3600)) "$2" "$3" "${4:+,\"commune\":\"$4\"}" "$1" "$now" "$RANDOM" | b64url)
	printf '%s.%s.%s' "$h" "$p" "$(printf '%s.%s' "$h" "$p" |
	    openssl dgst -sha256 -sign "$ROOT/tests/keys/test-rs-1.key.pem" -binary | b64url)"
}
