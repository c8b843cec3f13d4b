#!/usr/bin/env bash
# `make bench`: wrk at 64 connections on /healthz of the funding service
# against Kore's hello-world measured in the same run; results appended to
# bench/results/foundation.txt (ratios, since this machine is shared).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
B="$ROOT/var/bench"; OUT=bench/results/foundation.txt
DUR=${BENCH_SECONDS:-10}
mkdir -p "$B/log" build/bench
cc -O2 -fPIC -shared $(cat /usr/share/kore/features) -o build/bench/hello.so bench/hello/hello.c
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; sleep 1; redis_stop "$B"; pg_stop "$B"; }
PIDS=(); trap cleanup EXIT
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
PGP=$(free_port); RP=$(free_port); HP=$(free_port); FP=$(free_port)
pg_start "$B" "$PGP"; redis_start "$B" "$RP"; pg_create_db "$B" funding funding-bench
sed "s/HELLO_PORT/$HP/" bench/hello/hello.conf >"$B/hello.conf"
kore -c "$B/hello.conf" -f -n -r >"$B/log/hello.log" 2>&1 & PIDS+=($!)
MP_HTTP_PORT=$FP MP_WORKERS=2 MP_LOG_LEVEL=warn MP_DB_URL="postgresql://funding:funding-bench@127.0.0.1:$PGP/funding" \
MP_REDIS_URL="redis://127.0.0.1:$RP" MP_JWT_KEYS="test-rs-1:RS256:$ROOT/tests/keys/test-rs-1.pub.pem" \
MP_JWT_ISSUER=bench MP_JWT_AUDIENCE=bench \
kore -c services/funding/conf/funding.conf -f -n -r >"$B/log/funding.log" 2>&1 & PIDS+=($!)
wait_ready "http://127.0.0.1:$FP/readyz" 60 || die "funding not ready"
wait_ready "http://127.0.0.1:$HP/" 30 || die "hello not ready"
run() { wrk -t2 -c64 -d"${DUR}s" --latency "$1" 2>&1; }
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '$1=="99%" {print $2}'; }
H=$(run "http://127.0.0.1:$HP/healthz"); S=$(run "http://127.0.0.1:$FP/healthz")
hr=$(rps <<<"$H"); sr=$(rps <<<"$S")
{
	echo "== $(date -u +%FT%TZ) wrk -t2 -c64 -d${DUR}s, $(nproc) cores, load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "kore hello-world   : $hr req/s, p99 $(p99 <<<"$H")"
	echo "funding /healthz   : $sr req/s, p99 $(p99 <<<"$S")"
	echo "ratio service/hello: $(awk -v a="$sr" -v b="$hr" 'BEGIN{printf "%.2f", a/b}')"
} | tee -a "$OUT"
