#!/usr/bin/env bash
# Shared by the benchmark scripts (bench-funding.sh, bench-gateway.sh,
# bench-latency.sh): test tokens (lib.sh test_token), the funding service and the gateway on
# private ports, the seed data, small figure helpers. Source after lib.sh.
# The processes started are appended to the caller's PIDS array.

BENCH_KEYS="$ROOT/tests/keys"
BENCH_REGION=souss-massa
BENCH_COMMUNE=agadir
BENCH_PW=bench-pw

# bench_traps DIR: on exit, stop what the benchmark started (the PIDS
# array, then DIR's Redis and PostgreSQL), after the function named by
# BENCH_ON_EXIT if set; then empty DIR for a fresh cluster.
bench_traps() {
	BENCH_DIR=$1
	PIDS=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	fresh_cluster_dir "$BENCH_DIR"
}
bench_cleanup() {
	local rc=$?
	[ -n "${BENCH_ON_EXIT:-}" ] && "$BENCH_ON_EXIT"
	stop_pids "${PIDS[@]}"
	redis_stop "$BENCH_DIR"; pg_stop "$BENCH_DIR"
	bench_cg_cleanup
	exit "$rc"
}

# Scheduling groups like a deployment's (BENCH_CGROUPS=1). Started from a
# shell, every PostgreSQL backend is a session of its own (setsid), and
# with the kernel's autogroups (kernel.sched_autogroup_enabled, Debian's
# default) each session is a scheduling group: 32 backends weigh 32 times
# the Kore workers, which share one group with wrk and this script. In a
# deployment each server is a container or a systemd unit, a cgroup of its
# own, where autogroups do not apply. With BENCH_CGROUPS=1 the benchmark
# puts PostgreSQL, Redis, each service instance and the clients (this
# script, wrk, pgbench) in a cpu cgroup of their own (cgroup v1 or v2,
# as root), the same for the service's rounds and pgbench's; the groups
# are removed on exit. BENCH_CG says where they are ("" when off).
BENCH_CG=""
bench_cg_init() {
	local root
	[ "${BENCH_CGROUPS:-0}" = 1 ] || return 0
	# cgroup v1's cpu controller, or a v2 hierarchy that delegates cpu
	for root in /sys/fs/cgroup/cpu /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ -w "$root/cgroup.procs" ] && { [ -e "$root/cpu.shares" ] ||
		    grep -qw cpu "$root/cgroup.subtree_control" 2>/dev/null; } && break
		root=""
	done
	[ -n "$root" ] || die "BENCH_CGROUPS=1: no writable cpu cgroup hierarchy (run as root)"
	BENCH_CG=$root/mp-bench-$$
	bench_cg_move client $$
}
# bench_cg_move NAME PID...: each PID and its descendants into group NAME
bench_cg_move() {
	local name=$1 p c
	shift
	[ -n "$BENCH_CG" ] || return 0
	mkdir -p "$BENCH_CG-$name"
	for p in "$@"; do
		echo "$p" >"$BENCH_CG-$name/cgroup.procs" 2>/dev/null || true
		for c in $(ps -o pid= --ppid "$p"); do bench_cg_move "$name" "$c"; done
	done
}
bench_cg_cleanup() {
	local g
	[ -n "$BENCH_CG" ] || return 0
	echo $$ >"$(dirname "$BENCH_CG")/cgroup.procs" 2>/dev/null || true
	for g in "$BENCH_CG"-*; do [ -d "$g" ] && rmdir "$g" 2>/dev/null; done
	return 0
}
# bench_cg_servers DIR: DIR's PostgreSQL and Redis into groups db and redis
bench_cg_servers() {
	[ -n "$BENCH_CG" ] || return 0
	bench_cg_move db "$(head -1 "$(readlink -f "$1/pg")/postmaster.pid")"
	bench_cg_move redis "$(cat "$1/redis/redis.pid")"
}

# bench_token SUB ROLE: lib.sh's test token, region $BENCH_REGION
bench_token() { test_token "$1" "$2" "$BENCH_REGION"; }

# env shared by funding and the gateway: both accept the test keys; the
# pools open whole before serving (steady state: a pool growing under load
# stalls its worker for each blocking connect, see lib/src/kore/db.c)
bench_common_env() { # redis-port workers
	echo MP_HTTP_HOST=127.0.0.1 MP_WORKERS="$2" MP_LOG_LEVEL=warn MP_DB_POOL_WARM=1000 \
	    MP_REDIS_URL="redis://127.0.0.1:$1" \
	    MP_JWT_KEYS="test-rs-1:RS256:$BENCH_KEYS/test-rs-1.pub.pem,test-es-1:ES256:$BENCH_KEYS/test-es-1.pub.pem" \
	    MP_JWT_ISSUER=https://auth.test MP_JWT_AUDIENCE=mp-api
}

# bench_start_funding DIR BUILD PG-PORT REDIS-PORT PORT WORKERS [VAR=value...]
# (BENCH_FUNDING_PREFIX, e.g. setsid: a command kore is started under)
bench_start_funding() {
	local dir=$1 build=$2 pgp=$3 rp=$4 port=$5 workers=$6
	shift 6
	pg_create_db "$dir" funding "$BENCH_PW"
	sed "s#^load .*#load $ROOT/$build/funding.so#" services/funding/conf/funding.conf >"$dir/funding.conf"
	# shellcheck disable=SC2046
	${BENCH_FUNDING_PREFIX:-} env $(bench_common_env "$rp" "$workers") MP_HTTP_PORT="$port" \
	    MP_DB_URL="postgresql://funding:$BENCH_PW@127.0.0.1:$pgp/funding" \
	    MP_MIGRATIONS_DIR=services/funding/migrations "$@" \
	    kore -c "$dir/funding.conf" -f -n -r >"$dir/log/funding.log" 2>&1 &
	PIDS+=($!)
	wait_ready "http://127.0.0.1:$port/readyz" 60 || { tail -20 "$dir/log/funding.log" >&2; die "funding not ready"; }
	bench_cg_move "funding-$port" "${PIDS[-1]}"
}

# bench_start_gateway DIR BUILD PG-PORT REDIS-PORT PORT WORKERS FUNDING-PORT [VAR=value...]
# (rate limits far above what a benchmark sends: the limiter still runs)
bench_start_gateway() {
	local dir=$1 build=$2 pgp=$3 rp=$4 port=$5 workers=$6 fp=$7
	shift 7
	pg_create_db "$dir" gateway "$BENCH_PW"
	sed "s#^load .*#load $ROOT/$build/gateway.so#" gateway/conf/gateway.conf >"$dir/gateway.conf"
	# shellcheck disable=SC2046
	env $(bench_common_env "$rp" "$workers") MP_HTTP_PORT="$port" \
	    MP_DB_URL="postgresql://gateway:$BENCH_PW@127.0.0.1:$pgp/gateway" \
	    MP_MIGRATIONS_DIR=gateway/migrations \
	    MP_JWT_SIGNING_KEY="test-es-1:ES256:$BENCH_KEYS/test-es-1.key.pem" \
	    MP_UPSTREAMS="funding=http://127.0.0.1:$fp" \
	    MP_RATE_LIMITS="default=1000000000/60,auth=1000000000/60,write=1000000000/60" "$@" \
	    kore -c "$dir/gateway.conf" -f -n -r >"$dir/log/gateway.log" 2>&1 &
	PIDS+=($!)
	wait_ready "http://127.0.0.1:$port/readyz" 60 || { tail -20 "$dir/log/gateway.log" >&2; die "gateway not ready"; }
}

# bench_nginx: the nginx binary (installed when missing: it is a benchmark
# reference only, so scripts/deps.sh does not carry it)
bench_nginx() {
	if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
		log "installing nginx (the benchmark's reference)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null ||
			die "cannot install nginx (run as root)"
	fi
	command -v nginx || echo /usr/sbin/nginx
}

# bench_start_nginx DIR PORT WORKERS LOCATIONS READY-PATH: nginx with the
# server's location blocks LOCATIONS (text), keep-alive without limit on
# both sides (upstream "funding" for proxy_pass when FUNDING_PORT is set).
bench_start_nginx() {
	local dir=$1 port=$2 workers=$3 locations=$4 ready=$5 nginx upstream=""
	nginx=$(bench_nginx)
	mkdir -p "$dir/nginx"
	[ -n "${FUNDING_PORT:-}" ] && upstream="upstream funding { server 127.0.0.1:$FUNDING_PORT; keepalive 64; }"
	cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/log/nginx.err warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $dir/nginx/body;
	proxy_temp_path $dir/nginx/proxy;
	fastcgi_temp_path $dir/nginx/fastcgi;
	uwsgi_temp_path $dir/nginx/uwsgi;
	scgi_temp_path $dir/nginx/scgi;
	$upstream
	server {
		listen 127.0.0.1:$port;
		$locations
	}
}
CONF
	"$nginx" -c "$dir/nginx/nginx.conf" -p "$dir/nginx" >"$dir/log/nginx.log" 2>&1 &
	PIDS+=($!)
	wait_ready "http://127.0.0.1:$port$ready" 10 || { cat "$dir/log/nginx.err" >&2; die "nginx not ready"; }
}
# nginx location answering FILE's bytes as application/json at PATH
bench_nginx_file() { printf 'location = %s { default_type application/json; alias %s; }' "$1" "$2"; }
# nginx location passing PREFIX to the upstream funding, keep-alive
bench_nginx_proxy() {
	printf 'location %s { proxy_pass http://funding; proxy_http_version 1.1; proxy_set_header Connection ""; }' "$1"
}

# bench_http BASE METHOD TOKEN PATH [BODY-FILE]: body on stdout, fails unless 2xx
bench_http() {
	local args=(-s -S -X "$2" -H "Authorization: Bearer $3" -w '\n%{http_code}')
	[ $# -ge 5 ] && args+=(-H 'Content-Type: application/json' --data-binary "@$5")
	local out; out=$(curl "${args[@]}" "$1$4")
	case "${out##*$'\n'}" in 2??) printf '%s\n' "${out%$'\n'*}" ;; *) die "$2 $4: $out" ;; esac
}
bench_json_id() { grep -o '"id": *"[0-9a-f-]\{36\}"' | head -1 | grep -o '[0-9a-f-]\{36\}'; }

# bench_seed_call DIR BASE OFFICER-TOKEN: an envelope and a published call
# open to applications; prints the call's id; writes DIR/application.json,
# an application body for it.
bench_seed_call() {
	local dir=$1 base=$2 off=$3 opens closes call
	opens=$(date -u -d '-1 day' +%FT%TZ); closes=$(date -u -d '+30 days' +%FT%TZ)
	printf '{"allocated_minor":100000000000,"currency":"EUR"}' >"$dir/envelope.json"
	bench_http "$base" PUT "$off" "/v1/funding/envelopes/$BENCH_REGION/2027" "$dir/envelope.json" >/dev/null
	cat >"$dir/call.json" <<JSON
{"region":"$BENCH_REGION","year":2027,"title":{"fr":"Appel MRE 2027","ar":"طلب مشاريع"},
 "description":{"fr":"Projets de migration et développement"},
 "themes":["economic","integration"],"applicant_types":["mre","association","regularised_migrant"],
 "budget_minor":100000000000,"max_grant_minor":5000000,"min_cofinancing_bp":1000,
 "opens_at":"$opens","closes_at":"$closes","eligibility_rules":{"min_beneficiaries":10},
 "scoring_grid":[{"key":"relevance","weight":40,"max":20},{"key":"feasibility","weight":60,"max":10}]}
JSON
	call=$(bench_http "$base" POST "$off" /v1/funding/calls "$dir/call.json" | bench_json_id)
	[ -n "$call" ] || die "no call id"
	printf '{"to":"publish"}' >"$dir/publish.json"
	bench_http "$base" POST "$off" "/v1/funding/calls/$call/transitions" "$dir/publish.json" >/dev/null
	cat >"$dir/application.json" <<JSON
{"applicant":{"kind":"person","type":"mre","name":"Fatima Zahra Benchname","sex":"female","age_band":"35-49","country_of_residence":"FR"},
 "title":{"fr":"Atelier de couture solidaire"},"summary":{"fr":"Formation et emploi de femmes migrantes"},
 "commune":"$BENCH_COMMUNE","theme":"economic",
 "budget_lines":[{"label":"Machines","amount_minor":1000000},{"label":"Local","amount_minor":500000}],
 "requested_minor":1000000,"cofinancing_minor":500000,
 "beneficiaries":[{"sex":"female","age_band":"25-34","count":20},{"sex":"male","age_band":"25-34","count":5}],
 "gender_marker":2}
JSON
	echo "$call"
}

# figures
rps() { awk '/^Requests\/sec/ {print $2}'; }
p99() { awk '$1 == "99%" {print $2}'; }
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
	else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
# med FILE AWK-EXPRESSION: the median over FILE's lines of the expression
med() { # file awk-expression -> median over the lines
	awk "{ printf \"%.4f\\n\", $2 }" "$1" | sort -g |
	    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
yesno() { # a op b, op one of >= <
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { c = (op == ">=") ? (a + 0 >= b + 0) : (a + 0 < b + 0); print (c ? "MET" : "NOT MET") }'
}
