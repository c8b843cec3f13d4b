#!/usr/bin/env bash
# `make up`: the whole platform on this machine, without containers.
# PostgreSQL 15 and Redis 7 under ./var, one database and login role per
# service, migrations applied by each process at start, dev signing keys
# generated once, the four processes started and waited for.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

# MP_VAR and MP_PORT_BASE let a second platform run beside this one (make
# chaos does): its folder, and the gateway's port (the services take the
# next three).
V=${MP_VAR:-$ROOT/var}
mkdir -p "$V/log" "$V/run" "$V/keys"
PG_PORT=${MP_PG_PORT:-55432}
REDIS_PORT=${MP_REDIS_PORT:-56379}
B=${MP_PORT_BASE:-8080}
declare -A PORT=([gateway]=${MP_GATEWAY_PORT:-$B} [funding]=$((B + 1)) [cases]=$((B + 2)) [gender]=$((B + 3)))
# the gateway's ops listener: /metrics and /_routes (never on its public port)
GATEWAY_OPS_PORT=${MP_GATEWAY_OPS_PORT:-$((B + 10))}

if [ -f "$V/run/funding.pid" ] && kill -0 "$(cat "$V/run/funding.pid")" 2>/dev/null; then
	log "already running; 'make down' first"
	exit 0
fi

log "PostgreSQL on 127.0.0.1:$PG_PORT"
pg_start "$V" "$PG_PORT"
log "Redis on 127.0.0.1:$REDIS_PORT"
redis_start "$V" "$REDIS_PORT"

# dev secrets: generated once, kept under var/ (never committed)
[ -f "$V/keys/db.secret" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$V/keys/db.secret"
SECRET=$(cat "$V/keys/db.secret")
for s in "${SERVICES[@]}"; do pg_create_db "$V" "$s" "$s-$SECRET"; done
if [ ! -f "$V/keys/dev-1.key.pem" ]; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$V/keys/dev-1.key.pem" 2>/dev/null
	openssl pkey -in "$V/keys/dev-1.key.pem" -pubout -out "$V/keys/dev-1.pub.pem"
	chmod 600 "$V/keys/dev-1.key.pem"
fi

# the cases service's keys of personal data (dev): a key ring of one key
# and the blind-index key, made once and kept with the data they protect
if [ ! -f "$V/keys/field-keys.txt" ]; then
	(umask 077
	 printf 'dev-1:%s' "$(openssl rand -base64 32)" >"$V/keys/field-keys.txt"
	 openssl rand -base64 32 | tr -d '\n' >"$V/keys/blind-index-key.txt")
fi

start() { # name conf
	local name=$1 conf=$2
	(
		export MP_HTTP_HOST=127.0.0.1 MP_HTTP_PORT=${PORT[$name]}
		export MP_DB_URL="postgresql://$name:$name-$SECRET@127.0.0.1:$PG_PORT/$name"
		export MP_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
		export MP_JWT_KEYS="dev-1:RS256:$V/keys/dev-1.pub.pem"
		export MP_JWT_ISSUER=${MP_JWT_ISSUER:-http://127.0.0.1:${PORT[gateway]}}
		export MP_JWT_AUDIENCE=${MP_JWT_AUDIENCE:-mp-api}
		export MP_UPSTREAMS="funding=http://127.0.0.1:${PORT[funding]},cases=http://127.0.0.1:${PORT[cases]},gender=http://127.0.0.1:${PORT[gender]}"
		if [ "$name" = cases ]; then
			MP_FIELD_KEYS=$(cat "$V/keys/field-keys.txt")
			MP_BLIND_INDEX_KEY=$(cat "$V/keys/blind-index-key.txt")
			export MP_FIELD_KEYS MP_BLIND_INDEX_KEY
		fi
		export MP_MIGRATIONS_DIR=$( [ "$name" = gateway ] && echo gateway/migrations || echo "services/$name/migrations")
		# what it was started with, so that it can be started again alike
		# (scripts/chaos.sh restarts what it kills)
		umask 077; { echo "conf=$conf"; env | grep -E "^MP_"; } >"$V/run/$name.env"
		exec setsid kore -c "$conf" -f -n -r >>"$V/log/$name.log" 2>&1
	) &
	echo $! >"$V/run/$name.pid"
}

for s in funding cases gender; do start "$s" "services/$s/conf/$s.conf"; done
# gateway token service (dev): signing key and first admin, for the gateway only
export MP_BOOTSTRAP_ADMIN=${MP_BOOTSTRAP_ADMIN:-admin:admin-password-2026}
export MP_JWT_SIGNING_KEY="dev-1:RS256:$V/keys/dev-1.key.pem"
# a council frontend in development (npm run dev) may call the API from the browser
export MP_CORS_ORIGINS=${MP_CORS_ORIGINS:-http://localhost:3000}

# the demo scripts sign in dozens of times and write hundreds of records
# from 127.0.0.1 as a few users: looser limits on /auth/token and writes
# than production's defaults (auth=10/60, write=60/60 per client, user or IP)
export MP_RATE_LIMITS=${MP_RATE_LIMITS:-auth=600/60,write=1200/60}
export MP_OPS_PORT=$GATEWAY_OPS_PORT
# GraphQL: introspection (GraphiQL, codegen) and name suggestions in development
export MP_GRAPHQL_INTROSPECTION=${MP_GRAPHQL_INTROSPECTION:-true} MP_GRAPHQL_SUGGESTIONS=${MP_GRAPHQL_SUGGESTIONS:-true}
start gateway gateway/conf/gateway.conf
unset MP_OPS_PORT

for s in funding cases gender gateway; do
	if ! wait_ready "http://127.0.0.1:${PORT[$s]}/readyz" 60; then
		tail -20 "$V/log/$s.log" >&2
		die "$s did not become ready (log: var/log/$s.log)"
	fi
done

scripts/demo-users.sh "http://127.0.0.1:${PORT[gateway]}" || log "demo users: not all created"
scripts/demo-funding.sh "http://127.0.0.1:${PORT[gateway]}" || log "funding demo data: not all created"
scripts/demo-directory.sh "http://127.0.0.1:${PORT[gateway]}" || log "directory demo data: not all created"
scripts/demo-gender.sh "http://127.0.0.1:${PORT[gateway]}" || log "gender demo data: not all created"
scripts/demo-cases.sh "http://127.0.0.1:${PORT[gateway]}" || log "cases demo data: not all created"
printf '\nA token (demo password demo-password-2026):\n  curl -s -X POST http://127.0.0.1:%s/auth/token -d grant_type=password -d username=officer.souss -d password=demo-password-2026\n' "${PORT[gateway]}"

cat <<MSG

The platform is up (logs: make logs, stop: make down):
  gateway   http://127.0.0.1:${PORT[gateway]}   (/healthz /readyz /graphql; /metrics and /_routes on http://127.0.0.1:$GATEWAY_OPS_PORT)
  funding   http://127.0.0.1:${PORT[funding]}
  cases     http://127.0.0.1:${PORT[cases]}
  gender    http://127.0.0.1:${PORT[gender]}
  PostgreSQL 127.0.0.1:$PG_PORT   Redis 127.0.0.1:$REDIS_PORT
MSG
for s in funding cases gender gateway; do
	printf '  %-8s %s\n' "$s" "$(curl -s "http://127.0.0.1:${PORT[$s]}/readyz")"
done
