#!/usr/bin/env bash
# Browser test: a council frontend in a real browser. Debian's chromium
# (headless, driven by npm playwright-core from tools/node) loads a small
# page (tests/browser/page) from an origin the gateway allows and from one
# it does not, against the real gateway + funding + PostgreSQL + Redis
# that scripts/test.sh prepared. The scenario and its checks are in
# cors.js; this script starts the processes.
#
# Needs the environment of scripts/test.sh (MP_TEST_VAR, MP_TEST_BUILD,
# MP_TEST_PG_PORT, MP_TEST_REDIS_URL, MP_TEST_KEYS); run it through
# `MP_TEST_ONLY='cors*' make test`.
set -uo pipefail
. "$MP_TEST_ROOT/scripts/lib.sh"
cd "$MP_TEST_ROOT"

T=$MP_TEST_VAR/browser
mkdir -p "$T" "$MP_TEST_VAR/run" "$MP_TEST_VAR/log"
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$p" 2>/dev/null
		rm -f "$MP_TEST_VAR/run/browser-$p.pid"
	done
}
trap stop_all EXIT

BIN=$(scripts/node-tools.sh) || { echo "FAIL: npm test tools could not be installed"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium missing (scripts/deps.sh installs it)"; exit 1; }

# conf with this build's module (make SANITIZE=... builds into build-san)
conf() { # name path
	sed "s#^load ./build/#load $MP_TEST_BUILD/#" "$2" >"$T/$1.conf"
	echo "$T/$1.conf"
}
db_url() { echo "postgresql://$1:$1-test-pw@127.0.0.1:$MP_TEST_PG_PORT/$1"; }

start() { # name conf port env...
	local name=$1 c=$2 port=$3; shift 3
	env MP_HTTP_HOST=127.0.0.1 MP_HTTP_PORT="$port" MP_REDIS_URL="$MP_TEST_REDIS_URL" \
		MP_JWT_KEYS="test-rs-1:RS256:$MP_TEST_KEYS/test-rs-1.pub.pem,test-es-1:ES256:$MP_TEST_KEYS/test-es-1.pub.pem" \
		MP_JWT_ISSUER=https://auth.test MP_JWT_AUDIENCE=mp-api MP_WORKERS=2 "$@" \
		setsid kore -c "$c" -f -n -r >>"$MP_TEST_VAR/log/browser-$name.log" 2>&1 &
	pids+=($!)
	echo $! >"$MP_TEST_VAR/run/browser-$!.pid"
}

FUNDING_PORT=$(free_port); GW_PORT=$(free_port); PAGE_PORT=$(free_port); OTHER_PORT=$(free_port)
ALLOWED="http://127.0.0.1:$PAGE_PORT"
start funding "$(conf funding services/funding/conf/funding.conf)" "$FUNDING_PORT" \
	MP_DB_URL="$(db_url funding)" MP_MIGRATIONS_DIR=services/funding/migrations
start gateway "$(conf gateway gateway/conf/gateway.conf)" "$GW_PORT" \
	MP_DB_URL="$(db_url gateway)" MP_MIGRATIONS_DIR=gateway/migrations \
	MP_JWT_SIGNING_KEY="test-es-1:ES256:$MP_TEST_KEYS/test-es-1.key.pem" \
	MP_PWHASH_FAST=1 MP_BOOTSTRAP_ADMIN="root-admin:root-password-2026" \
	MP_UPSTREAMS="funding=http://127.0.0.1:$FUNDING_PORT,cases=,gender=" \
	MP_CORS_ORIGINS="$ALLOWED" MP_RATE_LIMITS=auth=1000/60
for p in "$FUNDING_PORT" "$GW_PORT"; do
	wait_ready "http://127.0.0.1:$p/readyz" 60 || {
		echo "FAIL: a process on port $p did not become ready"
		tail -5 "$MP_TEST_VAR"/log/browser-*.log
		exit 1
	}
done

# an officer of the Oriental council, created by the admin (the same first
# admin as the integration suites', whichever ran first created it)
GW="http://127.0.0.1:$GW_PORT"
OFFICER="browser.officer.$RANDOM$RANDOM"
ADM=$(curl -s "$GW/auth/token" -d grant_type=password -d username=root-admin \
	-d password=root-password-2026 | jq -r .access_token)
code=$(curl -s -o "$T/officer.json" -w '%{http_code}' "$GW/admin/users" -H "Authorization: Bearer $ADM" \
	-H 'Content-Type: application/json' -d "{\"username\": \"$OFFICER\", \"password\": \"officer-password-2026\",
	\"roles\": [\"council_officer\"], \"region\": \"oriental\"}")
[ "$code" = 201 ] || { echo "FAIL: officer not created ($code): $(cat "$T/officer.json")"; exit 1; }

HOME=$T NODE_PATH="$MP_TEST_ROOT/tools/node/node_modules" \
	API="$GW" PAGE_PORT="$PAGE_PORT" OTHER_PORT="$OTHER_PORT" \
	USERNAME_="$OFFICER" PASSWORD_=officer-password-2026 PROFILE_DIR="$T/profile-$$" \
	timeout 180 node tests/browser/cors.js
rc=$?
rm -rf "$T/profile-$$"
exit $rc
