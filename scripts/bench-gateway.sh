#!/usr/bin/env bash
# `make bench-gateway`: the gateway against references measured in the same
# run on this machine (shared and noisy: the ratios are what counts).
#   a) GET /v1/funding/regions through the gateway, cache warm (X-Cache hit)
#      vs nginx answering the same bytes from a file       goal >= 0.9
#   b) the same GET through the gateway with Cache-Control: no-store (never
#      served from nor written to the cache: the pure proxy path) vs nginx
#      proxy_pass to the same funding (keep-alive upstream)  goal >= 0.9;
#      the latency each hop adds at one connection (p99)      goal < 1 ms
#   a') ceiling: the gateway answering from its own memory (/openapi/...)
#   c) token verification: mp_jwt_verify per call, RS256 and ES256
#      (bench/gateway/jwt_verify.c), beside OpenSSL's raw verify speed, and
#      a token answered by the worker's token cache
#   d) CPU time per request of the serving processes (user + system from
#      /proc, over a wrk run): what each request costs the machine, a figure
#      a loaded machine inflates far less than rates and tails
# a) and b) run in BENCH_ROUNDS (3) interleaved rounds of wrk -t2 -c64
# -dBENCH_SECONDS (5) per case; the ratios are medians of the per-round
# ratios. Results overwrite bench/results/gateway.txt and are printed.
# Knobs: BENCH_SECONDS, BENCH_ROUNDS, LAT_DUR (5), BENCH_BUILD (build-bench).
# Needs nginx (Debian package nginx, installed here when missing: it is
# the benchmark's reference only, so scripts/deps.sh does not carry it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

B="$ROOT/var/bench-gateway"; OUT=bench/results/gateway.txt
DUR=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
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
FUNDING_PORT=$FP bench_start_nginx "$B" "$NP" "$WORKERS" \
    "$(bench_nginx_file "/file$PATH_A" "$B/body.json") $(bench_nginx_proxy /v1/)" "/file$PATH_A"

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

# ---- a) and b): interleaved rounds ----------------------------------------------------
# Each round runs, back to back: nginx file, gateway cached, funding direct,
# nginx proxy_pass, gateway no-store (so both sides of a ratio see the same
# background load); one line a round in $B/rounds: the five rates and p99s.
log "warming the gateway's cache on $PATH_A"
for _ in $(seq 1 5); do curl -s -o /dev/null "http://127.0.0.1:$GP$PATH_A"; done
XC_BEFORE=$(xcache "http://127.0.0.1:$GP$PATH_A" 20)
NS='Cache-Control: no-store'
: >"$B/rounds"
for r in $(seq 1 "$ROUNDS"); do
	log "round $r/$ROUNDS: nginx file, gateway cached, funding direct, nginx proxy_pass, gateway no-store (${DUR}s each)"
	line=$r
	for run in "$NP/file$PATH_A" "$GP$PATH_A" "-H|$NS|$FP$PATH_A" "-H|$NS|$NP$PATH_A" "-H|$NS|$GP$PATH_A"; do
		IFS='|' read -r -a args <<<"$run"
		args[-1]="http://127.0.0.1:${args[-1]}"
		out=$("${WRK[@]}" "${args[@]}" 2>&1)
		printf '%s\n' "$out" >>"$B/raw-$r.txt"
		line="$line $(rps <<<"$out") $(to_ms "$(p99 <<<"$out")")"
	done
	echo "$line" >>"$B/rounds"
done
CMDS+=("${WRK[*]} http://127.0.0.1:<nginx>/file$PATH_A   # the same bytes from a file")
CMDS+=("${WRK[*]} [-H '$NS'] http://127.0.0.1:<gateway|funding|nginx proxy_pass>$PATH_A")
XC_AFTER=$(xcache "http://127.0.0.1:$GP$PATH_A" 20)
XC_B=$(xcache "http://127.0.0.1:$GP$PATH_A" 10 "$NS")
log "ceiling: the gateway answering from its own memory, /openapi/common.yaml (${DUR}s)"
A_MEM=$("${WRK[@]}" "http://127.0.0.1:$GP/openapi/common.yaml" 2>&1)
CMDS+=("${WRK[*]} http://127.0.0.1:<gateway>/openapi/common.yaml")
# Latency added by the hop, measured below saturation: at 64 connections the
# p99 is queueing (Little's law), so one connection at a time, same GET:
# direct, through nginx, through the gateway, ROUNDS times interleaved.
LAT=(wrk -t1 -c1 -d"${LAT_DUR:-5}s" --latency -H "$NS")
: >"$B/lat"
for r in $(seq 1 "$ROUNDS"); do
	log "added latency at one connection, round $r/$ROUNDS (${LAT_DUR:-5}s each)"
	echo "$(to_ms "$("${LAT[@]}" "http://127.0.0.1:$FP$PATH_A" | p99)") $(to_ms "$("${LAT[@]}" "http://127.0.0.1:$NP$PATH_A" | p99)") $(to_ms "$("${LAT[@]}" "http://127.0.0.1:$GP$PATH_A" | p99)")" >>"$B/lat"
done
CMDS+=("${LAT[*]} http://127.0.0.1:<funding|nginx|gateway>$PATH_A")

# ---- d) CPU per request ---------------------------------------------------------------
# cpu_us PORT URL [wrk args...]: "<us> <req/s>", CPU microseconds per request
# of the processes listening on PORT over one wrk run
cpu_us() {
	local port=$1 url=$2 pids t0 t1 out n
	shift 2
	pids=$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
	ticks() { local t=0 p; for p in $pids; do set -- $(cut -d' ' -f14,15 "/proc/$p/stat"); t=$((t + $1 + $2)); done; echo "$t"; }
	t0=$(ticks); out=$("${WRK[@]}" "$@" "$url" 2>&1); t1=$(ticks)
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$(getconf CLK_TCK)" -v r="$(rps <<<"$out")" \
	    'BEGIN { printf "%.1f %.0f", (b - a) / hz * 1e6 / n, r }'
}
TOKEN=$(bench_token bench-officer council_officer)
AUTH="Authorization: Bearer $TOKEN"
PATH_T=/v1/funding/envelopes
for _ in 1 2 3; do curl -s -o /dev/null -H "$AUTH" "http://127.0.0.1:$GP$PATH_T"; done
log "d) CPU per request (${DUR}s each)"
D_NGX_FILE=$(cpu_us "$NP" "http://127.0.0.1:$NP/file$PATH_A")
D_GW_HIT=$(cpu_us "$GP" "http://127.0.0.1:$GP$PATH_A")
D_GW_HIT_T=$(cpu_us "$GP" "http://127.0.0.1:$GP$PATH_T" -H "$AUTH")
D_NGX_PROXY=$(cpu_us "$NP" "http://127.0.0.1:$NP$PATH_A" -H "$NS")
D_GW_PROXY=$(cpu_us "$GP" "http://127.0.0.1:$GP$PATH_A" -H "$NS")
XC_T=$(xcache "http://127.0.0.1:$GP$PATH_T" 5 "$AUTH")
CMDS+=("${WRK[*]} [-H '$AUTH'] [-H '$NS'] <url>, with the serving processes' utime+stime from /proc/<pid>/stat before and after")

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
# medians over the rounds (columns of $B/rounds: r, then rate p99 of nginx
# file, gateway cached, funding direct, nginx proxy, gateway no-store)
a_ratio=$(med "$B/rounds" '$4 / $2')
b_ratio=$(med "$B/rounds" '$10 / $8'); b_direct=$(med "$B/rounds" '$10 / $6'); b_ngx_direct=$(med "$B/rounds" '$8 / $6')
b_add=$(med "$B/lat" '$3 - $1'); b_ngx_add=$(med "$B/lat" '$2 - $1')
cache_note="cache hits seen: $XC_AFTER of 20 sequential GETs after the run"
case $XC_AFTER in hit=0*) cache_note="$cache_note -- NO cache hit: the figure is the UNCACHED proxy path (no response cache in this build)" ;; esac
rounds_table() {
	awk '{ printf "   round %d: nginx file %9.1f (p99 %6.2f) | gateway cached %9.1f (p99 %6.2f) | direct %8.1f (p99 %6.2f) | nginx proxy %8.1f (p99 %6.2f) | gateway no-store %8.1f (p99 %6.2f)\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$B/rounds"
}
{
	echo "# make bench-gateway: $(date -u +%FT%TZ)"
	echo "machine : $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2 / 1048576}' /proc/meminfo), load before run: $load_before"
	echo "versions: kore $(dpkg-query -W -f='${Version}' kore 2>/dev/null), nginx $("$NGINX" -v 2>&1 | sed 's#.*/##'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $(redis-server --version | awk '{print $1, $3}'), $(openssl version | awk '{print $1, $2}')"
	echo "setup   : gateway $BUILD_DIR/gateway.so, funding $BUILD_DIR/funding.so, nginx, each $WORKERS workers, MP_LOG_LEVEL=warn; all on this machine with wrk"
	echo "load    : wrk -t$THREADS -c$CONNS -d${DUR}s --latency, one after the other, $ROUNDS interleaved rounds; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "a), b) GET $PATH_A ($BODY_BYTES bytes), req/s (p99 ms), $ROUNDS interleaved rounds:"
	rounds_table
	echo
	echo "a) cached: the gateway with its cache warm vs nginx serving the same bytes from a file"
	echo "   $cache_note (before the run: $XC_BEFORE)"
	echo "   median ratio gateway/nginx: $a_ratio   goal >= 0.9: $(yesno "$a_ratio" ">=" 0.9)"
	echo "   ceiling, no Redis nor upstream: gateway GET /openapi/common.yaml from memory: $(rps <<<"$A_MEM") req/s, p99 $(to_ms "$(p99 <<<"$A_MEM")") ms"
	echo
	echo "b) uncached ($NS, never from the cache; X-Cache: $XC_B): gateway -> funding vs nginx proxy_pass -> funding"
	echo "   median ratio gateway/nginx proxy_pass: $b_ratio   goal >= 0.9: $(yesno "$b_ratio" ">=" 0.9)"
	echo "   (beside: gateway/direct $b_direct, nginx proxy_pass/direct $b_ngx_direct)"
	echo "   one connection, p99 ms (direct, nginx, gateway) a round: $(tr '\n' ';' <"$B/lat" | sed 's/;$//; s/;/; /g')"
	echo "   median p99 added: gateway $b_add ms (goal < 1 ms: $(yesno "$b_add" "<" 1)), nginx $b_ngx_add ms"
	echo
	echo "c) token verification per request (mp_jwt_verify, one thread; each request carrying a"
	echo "   token pays it once in the gateway and once again in the service)"
	sed 's/^/   /' <<<"$C_JWT"
	sed 's/^/   reference: /' <<<"$C_SSL"
	echo
	echo "d) CPU time per request, serving processes only (user + system, /proc; wrk -c$CONNS ${DUR}s each):"
	printf '   nginx, the bytes from a file            %6s us  (%s req/s)\n' $D_NGX_FILE
	printf '   gateway, cached                         %6s us  (%s req/s)\n' $D_GW_HIT
	printf '   gateway, cached, with a token (RS256)   %6s us  (%s req/s; GET %s, X-Cache: %s)\n' $D_GW_HIT_T "$PATH_T" "$XC_T"
	printf '   nginx proxy_pass -> funding             %6s us  (%s req/s; nginx only)\n' $D_NGX_PROXY
	printf '   gateway no-store -> funding             %6s us  (%s req/s; gateway only)\n' $D_GW_PROXY
	echo
	echo "commands:"
	for c in "${CMDS[@]}"; do echo "   $c"; done
} | tee "$OUT"
