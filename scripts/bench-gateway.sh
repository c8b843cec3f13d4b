#!/usr/bin/env bash
# `make bench-gateway`: the gateway against references measured in the same
# run on this machine (shared and noisy: the ratios are what counts).
#   a) GET /v1/funding/regions through the gateway, cache warm (X-Cache hit
#      when the response cache is built in)  vs  nginx answering the same
#      bytes as a fixed body                            goal >= 60% of nginx
#   b) the same GET through the gateway with Cache-Control: no-store (never
#      served from nor written to the cache: the pure proxy path)  vs  the
#      same GET sent straight to funding       goal >= 70%, p99 added < 2 ms
#   a') ceiling: the gateway answering from its own memory (/openapi/...)
#   c) token verification: mp_jwt_verify per call, RS256 and ES256
#      (bench/gateway/jwt_verify.c), beside OpenSSL's raw verify speed
# wrk -t2 -c64 -d15s each. Results overwrite bench/results/gateway.txt and
# are printed. Knobs: BENCH_SECONDS (15), BENCH_BUILD (build-bench).
# Needs nginx (Debian package nginx, installed here when missing: it is
# the benchmark's reference only, so scripts/deps.sh does not carry it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

B="$ROOT/var/bench-gateway"; OUT=bench/results/gateway.txt
DUR=${BENCH_SECONDS:-15}
BUILD_DIR=${BENCH_BUILD:-build-bench}
CONNS=64; THREADS=2; WORKERS=2
KEYS=$BENCH_KEYS
PATH_A=/v1/funding/regions

NGINX=$(bench_nginx)
for c in wrk kore curl openssl cc "$NGINX"; do
	command -v "$c" >/dev/null || die "$c not found (nginx: apt-get install nginx; the rest: scripts/deps.sh)"
done
for so in gateway funding; do
	[ -f "$BUILD_DIR/$so.so" ] || die "$BUILD_DIR/$so.so missing: make BUILD=$BUILD_DIR $BUILD_DIR/$so.so"
done
[ -f "$BUILD_DIR/lib/libmpcore.a" ] || die "$BUILD_DIR/lib/libmpcore.a missing"

bench_traps "$B"; mkdir -p "$B/nginx"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

PGP=$(free_port); RP=$(free_port); FP=$(free_port); GP=$(free_port); NP=$(free_port)
pg_start "$B" "$PGP"; redis_start "$B" "$RP"
bench_start_funding "$B" "$BUILD_DIR" "$PGP" "$RP" "$FP" "$WORKERS"
bench_start_gateway "$B" "$BUILD_DIR" "$PGP" "$RP" "$GP" "$WORKERS" "$FP"

# nginx answers the bytes funding answers, with the same content type
curl -fsS "http://127.0.0.1:$FP$PATH_A" -o "$B/body.json" || die "GET $PATH_A on funding failed"
BODY_BYTES=$(stat -c %s "$B/body.json")
bench_start_nginx "$B" "$NP" "$WORKERS" "$(bench_nginx_file "$PATH_A" "$B/body.json")" "$PATH_A"

# ---- helpers ------------------------------------------------------------------------
errs() { awk '/Socket errors|Non-2xx/ {printf "%s; ", $0}'; }
sub_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
WRK=(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency)
CMDS=()
# X-Cache of n sequential GETs: "hit=<n> miss=<n> none=<n>"
xcache() { # url n [header]
	local h=0 m=0 x=0 v i
	for i in $(seq 1 "$2"); do
		v=$(curl -s -o /dev/null -D - ${3:+-H "$3"} "$1" | tr -d '\r' |
		    awk -F': *' 'tolower($1) == "x-cache" {print tolower($2)}')
		case $v in hit) h=$((h + 1)) ;; miss) m=$((m + 1)) ;; *) x=$((x + 1)) ;; esac
	done
	echo "hit=$h miss=$m none=$x"
}

# ---- a) cached GET through the gateway vs nginx ---------------------------------------
log "a) warming the gateway's cache on $PATH_A"
for _ in $(seq 1 5); do curl -s -o /dev/null "http://127.0.0.1:$GP$PATH_A"; done
XC_BEFORE=$(xcache "http://127.0.0.1:$GP$PATH_A" 20)
log "a) nginx fixed body (${DUR}s)"
A_NGX=$("${WRK[@]}" "http://127.0.0.1:$NP$PATH_A" 2>&1)
CMDS+=("${WRK[*]} http://127.0.0.1:<nginx>$PATH_A")
log "a) gateway cached GET (${DUR}s)"
A_GW=$("${WRK[@]}" "http://127.0.0.1:$GP$PATH_A" 2>&1)
CMDS+=("${WRK[*]} http://127.0.0.1:<gateway>$PATH_A")
XC_AFTER=$(xcache "http://127.0.0.1:$GP$PATH_A" 20)
log "a) ceiling: the gateway answering from its own memory, /openapi/common.yaml (${DUR}s)"
A_MEM=$("${WRK[@]}" "http://127.0.0.1:$GP/openapi/common.yaml" 2>&1)
CMDS+=("${WRK[*]} http://127.0.0.1:<gateway>/openapi/common.yaml")

# ---- b) uncached proxied GET vs the service itself --------------------------------------
log "b) funding direct (${DUR}s)"
B_DIR=$("${WRK[@]}" -H 'Cache-Control: no-store' "http://127.0.0.1:$FP$PATH_A" 2>&1)
CMDS+=("${WRK[*]} -H 'Cache-Control: no-store' http://127.0.0.1:<funding>$PATH_A")
log "b) gateway, Cache-Control: no-store (${DUR}s)"
B_GW=$("${WRK[@]}" -H 'Cache-Control: no-store' "http://127.0.0.1:$GP$PATH_A" 2>&1)
CMDS+=("${WRK[*]} -H 'Cache-Control: no-store' http://127.0.0.1:<gateway>$PATH_A")
XC_B=$(xcache "http://127.0.0.1:$GP$PATH_A" 10 'Cache-Control: no-store')
# Latency added by the hop, measured below saturation: at 64 connections the
# p99 is queueing (Little's law), so one connection at a time, same GET.
LAT=(wrk -t1 -c1 -d"${LAT_DUR:-10}s" --latency -H 'Cache-Control: no-store')
log "b) added latency at one connection (${LAT_DUR:-10}s each)"
B_DIR1=$("${LAT[@]}" "http://127.0.0.1:$FP$PATH_A" 2>&1)
B_GW1=$("${LAT[@]}" "http://127.0.0.1:$GP$PATH_A" 2>&1)
CMDS+=("${LAT[*]} http://127.0.0.1:<funding>$PATH_A   # and the same through <gateway>")

# ---- c) token verification -------------------------------------------------------------
log "c) mp_jwt_verify micro-benchmark"
cc -O2 -std=c11 -D_GNU_SOURCE -Ilib/include -I/usr/include/postgresql \
    -o "$B/bench-jwt-verify" bench/gateway/jwt_verify.c "$BUILD_DIR/lib/libmpcore.a" \
    -ljansson -ljwt -lsodium -lhiredis -lcurl -lpq -lcrypto -lm -lpthread
C_JWT=$("$B/bench-jwt-verify" "$KEYS" 20000)
CMDS+=("bench-jwt-verify tests/keys 20000   # bench/gateway/jwt_verify.c")
C_SSL=$(openssl speed -seconds 2 rsa2048 ecdsap256 2>/dev/null | awk '
	/^rsa 2048/ { printf "OpenSSL alone, RSA-2048 verify: %.1f us/op (%s/s)\n", 1e6 / $7, $7 }
	/nistp256/ { printf "OpenSSL alone, ECDSA P-256 verify: %.1f us/op (%s/s)\n", 1e6 / $NF, $NF }')

# ---- report -----------------------------------------------------------------------------
a_n=$(rps <<<"$A_NGX"); a_g=$(rps <<<"$A_GW")
a_ratio=$(ratio "$a_g" "$a_n")
b_d=$(rps <<<"$B_DIR"); b_g=$(rps <<<"$B_GW")
b_ratio=$(ratio "$b_g" "$b_d")
b_d99=$(to_ms "$(p99 <<<"$B_DIR")"); b_g99=$(to_ms "$(p99 <<<"$B_GW")")
b_d1=$(to_ms "$(p99 <<<"$B_DIR1")"); b_g1=$(to_ms "$(p99 <<<"$B_GW1")")
b_add=$(sub_ms "$b_g1" "$b_d1")
cache_note="cache hits seen: $XC_AFTER of 20 sequential GETs after the run"
case $XC_AFTER in hit=0*) cache_note="$cache_note -- NO cache hit: the figure is the UNCACHED proxy path (no response cache in this build)" ;; esac
{
	echo "# make bench-gateway: $(date -u +%FT%TZ)"
	echo "machine : $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2 / 1048576}' /proc/meminfo), load before run: $load_before"
	echo "versions: kore $(dpkg-query -W -f='${Version}' kore 2>/dev/null), nginx $("$NGINX" -v 2>&1 | sed 's#.*/##'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $(redis-server --version | awk '{print $1, $3}'), $(openssl version | awk '{print $1, $2}')"
	echo "setup   : gateway $BUILD_DIR/gateway.so, funding $BUILD_DIR/funding.so, nginx, each $WORKERS workers, MP_LOG_LEVEL=warn; all on this machine with wrk"
	echo "load    : wrk -t$THREADS -c$CONNS -d${DUR}s --latency, one after the other"
	echo
	echo "a) GET $PATH_A ($BODY_BYTES bytes): gateway with the cache warm vs nginx (same bytes as a file)"
	echo "   nginx   : $a_n req/s, p99 $(to_ms "$(p99 <<<"$A_NGX")") ms $(errs <<<"$A_NGX")"
	echo "   gateway : $a_g req/s, p99 $(to_ms "$(p99 <<<"$A_GW")") ms $(errs <<<"$A_GW")"
	echo "   $cache_note (before the run: $XC_BEFORE)"
	echo "   ratio gateway/nginx: $a_ratio   goal >= 0.60: $(yesno "$a_ratio" ">=" 0.60)"
	echo "   ceiling, no Redis nor upstream: gateway GET /openapi/common.yaml from memory: $(rps <<<"$A_MEM") req/s, p99 $(to_ms "$(p99 <<<"$A_MEM")") ms = $(ratio "$(rps <<<"$A_MEM")" "$a_n") of nginx"
	echo
	echo "b) GET $PATH_A with Cache-Control: no-store (never from the cache): gateway -> funding vs funding direct"
	echo "   funding : $b_d req/s, p99 $b_d99 ms $(errs <<<"$B_DIR")"
	echo "   gateway : $b_g req/s, p99 $b_g99 ms $(errs <<<"$B_GW")   X-Cache: $XC_B"
	echo "   ratio gateway/direct: $b_ratio   goal >= 0.70: $(yesno "$b_ratio" ">=" 0.70)"
	echo "   (the p99s above are queueing at 64 connections; the hop's cost is measured at one:)"
	echo "   one connection: funding p99 $b_d1 ms, through the gateway p99 $b_g1 ms"
	echo "   p99 added: $b_add ms   goal < 2 ms: $(yesno "$b_add" "<" 2)$(awk -v a="$b_add" 'BEGIN { if (a + 0 < 0) print "   (negative: the machine was too noisy to measure it)" }')"
	echo
	echo "c) token verification per request (mp_jwt_verify, one thread; each request carrying a"
	echo "   token pays it once in the gateway and once again in the service)"
	sed 's/^/   /' <<<"$C_JWT"
	sed 's/^/   reference: /' <<<"$C_SSL"
	echo
	echo "commands:"
	for c in "${CMDS[@]}"; do echo "   $c"; done
} | tee "$OUT"
