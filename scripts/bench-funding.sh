#!/usr/bin/env bash
# `make bench-funding`: the funding service against PostgreSQL itself, in
# one run on this machine (shared and noisy: the ratios are what counts).
#   a) GET /v1/funding/applications/{id}        vs pgbench, same SELECT
#   b) GET /v1/funding/calls/{id}/applications  vs pgbench, same SELECT
#   c) POST /v1/funding/calls/{id}/applications: 201s per second, then one
#      funding.application.created.v1 outbox row per application
#   d) RSS of each Kore worker sampled during a), b) and c)
#   e) requests each worker served in a), b) and c) (/metrics, per worker)
#   f) in a) and b), the workers' CPU time and their time runnable but
#      waiting for a CPU, per request (/proc/PID/schedstat)
# BENCH_SETSID (1): Kore in a session of its own, as a daemon; 0: in this
# script's session with wrk and pgbench (the layout before 2026-12-03 16:36Z).
# BENCH_SVC_LAST=1: in each round, the BENCH_POOLS instances before the
# service. BENCH_FRESH=1: the service restarted after the seeding, so that
# its backends are not the ones that ran the seeding's inserts.
# BENCH_SYSCALLS=1: after a) and b), one more round with strace -c on the
# workers: system calls a request, by name.
# BENCH_CGROUPS=1: PostgreSQL, Redis, each service instance and the clients
# in cpu cgroups of their own, as in a deployment (bench-lib.sh bench_cg_init).
# wrk -t2 -c64 and pgbench -c64 -j2 -M extended (the service's libpq calls
# are PQsendQueryParams: parse, bind, execute each time, as -M extended).
# Results overwrite bench/results/funding.txt and are printed.
# a) and b) run BENCH_ROUNDS (3) interleaved rounds of BENCH_ROUND_SECONDS
# (8) a side and report the median of the per-round ratios (rate, p99),
# goals: rate >= 0.9 of pgbench, p99 <= 1.5 x pgbench's, requests spread
# over the workers within 20 % (from /metrics, mp_worker_http_requests_total).
# Knobs: BENCH_SECONDS (15, for c), BENCH_APPS (2000), BENCH_BUILD (build-bench),
# BENCH_WORKERS (2), BENCH_DB_POOL (16 a worker), BENCH_BASELINE (a build
# directory of another revision, e.g. main's: started beside the service on
# the same database and measured in every round of a) and b) too, so that
# before and after are compared in one run), BENCH_POOLS (e.g. "2 4 8 16":
# one more instance of the same build per pool size, each MP_WORKERS workers
# on the same database, loaded in every round of a) and b) beside the
# service and pgbench; a size written "16h" starts that instance in this
# script's session, "16s" in one of its own, whatever BENCH_SETSID says;
# reported per pool size: rate and p99 against the
# round's pgbench, worker spread, each worker's CPU and CPU wait a request),
# BENCH_PHASES=1 (the service, not the other instances, records where each
# request's time goes, MP_BENCH_PHASES; a) and b) then print, over all
# rounds, each phase's percentiles and its mean among the slowest 1 %, beside
# wrk's and pgbench's percentiles: the recording costs the workers about 8
# system calls a request, so leave it off for the goal figures).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

B="$ROOT/var/bench-funding"; OUT=bench/results/funding.txt
DUR=${BENCH_SECONDS:-15}      # c)
ROUNDS=${BENCH_ROUNDS:-3}     # a) and b): interleaved rounds of RDUR seconds a side
RDUR=${BENCH_ROUND_SECONDS:-8}
NAPPS=${BENCH_APPS:-2000}
BUILD_DIR=${BENCH_BUILD:-build-bench}
CONNS=64; THREADS=2
WORKERS=${BENCH_WORKERS:-2}; POOL=${BENCH_DB_POOL:-16} # the service's defaults
NIDS=100 # ids rotated over by a) on both sides (pgbench takes <= 128 scripts)
REGION=$BENCH_REGION; PW=$BENCH_PW

for c in wrk pgbench kore curl openssl psql ps; do
	command -v "$c" >/dev/null || die "$c not found (scripts/deps.sh installs it)"
done
[ -f "$BUILD_DIR/funding.so" ] || die "$BUILD_DIR/funding.so missing: make BUILD=$BUILD_DIR $BUILD_DIR/funding.so"

SAMPLER=""
stop_sampler() { [ -z "$SAMPLER" ] || kill "$SAMPLER" 2>/dev/null || true; }
BENCH_ON_EXIT=stop_sampler
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
bench_traps "$B"; mkdir -p "$B/pgb" "$B/mem"

PGP=$(free_port); RP=$(free_port); FP=$(free_port)
# every instance's pools held open at once, pgbench's clients and some room
need=$((WORKERS * POOL * 2 + CONNS + 40)); for p in ${BENCH_POOLS:-}; do need=$((need + WORKERS * ${p%[sh]})); done
export PG_MAX_CONNECTIONS=$((need > 200 ? need : 200))
bench_cg_init
pg_start "$B" "$PGP"; redis_start "$B" "$RP"; bench_cg_servers "$B"
BASELINE=${BENCH_BASELINE:-}
if [ -n "$BASELINE" ]; then
	[ -f "$BASELINE/funding.so" ] || die "$BASELINE/funding.so missing"
	FP0=$(free_port)
	bench_start_funding "$B" "$BASELINE" "$PGP" "$RP" "$FP0" "$WORKERS" MP_DB_POOL="$POOL"
	mv "$B/log/funding.log" "$B/log/funding-baseline.log"
fi
SVC_LAST=${BENCH_SVC_LAST:-0} # 1: the BENCH_POOLS instances before the service in each round
PHASES=${BENCH_PHASES:-0}; PH=$BUILD_DIR/bin/phases; PH_ENV=()
if [ "$PHASES" = 1 ]; then
	[ -x "$PH" ] || die "$PH missing: make BUILD=$BUILD_DIR $PH"
	rm -rf "$B/phases"; mkdir -p "$B/phases"; PH_ENV=(MP_BENCH_PHASES="$B/phases")
fi
# Kore runs in a session of its own, as a daemon would (PostgreSQL's
# postmaster and each backend call setsid too): in this script's session it
# would share one scheduling group with wrk under the kernel's autogroups
# (bench-lib.sh bench_cg_init). BENCH_SETSID=0: the same session, as before.
SESSION=setsid; [ "${BENCH_SETSID:-1}" = 1 ] || SESSION=
export BENCH_FUNDING_PREFIX=$SESSION
bench_start_funding "$B" "$BUILD_DIR" "$PGP" "$RP" "$FP" "$WORKERS" MP_DB_POOL="$POOL" "${PH_ENV[@]}"
KPID=${PIDS[-1]}
POOLS=${BENCH_POOLS:-}
declare -A SW_PORT SW_KPID
for p in $POOLS; do
	SW_PORT[$p]=$(free_port)
	# "16s" / "16h": that pool, in a session of its own / in this script's
	BENCH_FUNDING_PREFIX=$(case $p in *s) echo setsid ;; *h) ;; *) echo "$SESSION" ;; esac) \
	    bench_start_funding "$B" "$BUILD_DIR" "$PGP" "$RP" "${SW_PORT[$p]}" "$WORKERS" MP_DB_POOL="${p%[sh]}"
	SW_KPID[$p]=${PIDS[-1]}; mv "$B/log/funding.log" "$B/log/funding-pool$p.log"
done
export PGHOST=127.0.0.1 PGPORT=$PGP PGUSER=funding PGPASSWORD=$PW PGDATABASE=funding
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
BASE="http://127.0.0.1:$FP"
SVC=$BASE # the service a) and b) load: $BASE, or the baseline's

OFF=$(bench_token "officer-$REGION" council_officer)
APPS_TOK=(); for i in 0 1 2 3; do APPS_TOK+=("$(bench_token "applicant-$i-$REGION" applicant)"); done
# what the service passes as $1 for these tokens (lib/src/kore/run.c principal_json)
P_OFF="{\"sub\":\"officer-$REGION\",\"roles\":[\"council_officer\"],\"region\":\"$REGION\",\"commune\":\"\",\"org\":\"\"}"

# ---- seed: envelope, published call, NAPPS applications -----------------------
log "seeding: envelope, call, $NAPPS applications"
CALL=$(bench_seed_call "$B" "$BASE" "$OFF") || die "seeding the call failed"
APP_URL="$BASE/v1/funding/calls/$CALL/applications"
t0=$(date +%s.%N)
per=$(( (NAPPS + 3) / 4 )); SEEDERS=()
for i in 0 1 2 3; do
	n=$(( NAPPS - i * per )); [ "$n" -gt "$per" ] && n=$per; [ "$n" -gt 0 ] || continue
	# one curl per applicant: keep-alive, 8 requests in flight
	urls=(); for _ in $(seq 1 "$n"); do urls+=("$APP_URL"); done
	curl -s -Z --parallel-max 8 -H "Authorization: Bearer ${APPS_TOK[$i]}" \
	    -H 'Content-Type: application/json' --data-binary "@$B/application.json" \
	    -w '\n%{http_code}\n' "${urls[@]}" >"$B/seed-$i.out" &
	SEEDERS+=($!)
done
wait "${SEEDERS[@]}"
created=$(cat "$B"/seed-*.out | grep -cx 201 || true)
seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
[ "$created" -eq "$NAPPS" ] || die "seeding created $created of $NAPPS (see $B/seed-*.out)"
q "ANALYZE applications, calls, outbox"
log "seeded $created applications in ${seed_s}s"
if [ "${BENCH_FRESH:-0}" = 1 ]; then # the service again, with new backends
	stop_pids "$KPID"; keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$KPID" ] || keep+=("$p"); done; PIDS=("${keep[@]}")
	while ss -ltn | grep -q ":$FP "; do sleep 0.2; done
	bench_start_funding "$B" "$BUILD_DIR" "$PGP" "$RP" "$FP" "$WORKERS" MP_DB_POOL="$POOL" "${PH_ENV[@]}"
	KPID=${PIDS[-1]}
	log "restarted the service after seeding (BENCH_FRESH=1)"
fi

# ---- helpers ---------------------------------------------------------------------
workers() { ps --ppid "${1:-$KPID}" -o pid=,args= | awk '/\[wrk/ {print $1}'; }
sample_start() { # phase: RSS (kB) of each worker every 0.5 s
	local phase=$1
	( while :; do
		for w in $(workers); do
			echo "$w $(ps -o rss= -p "$w" | tr -d ' ')"
		done >>"$B/mem/$phase"
		sleep 0.5
	  done ) & SAMPLER=$!
}
sample_stop() { kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""; }
mem_report() { # phase -> "wrk <pid>: start X MB, peak Y MB, end Z MB"
	awk -v ph="$1" '$2 != "" { if (!($1 in first)) { first[$1] = $2; order[++n] = $1 }
		if ($2 > peak[$1]) peak[$1] = $2; last[$1] = $2 }
		END { for (i = 1; i <= n; i++) { p = order[i]
			printf "  %-8s worker pid %s: start %.1f MB, peak %.1f MB, end %.1f MB\n",
			    ph, p, first[p] / 1024, peak[p] / 1024, last[p] / 1024 } }' "$B/mem/$1"
}
tps() { awk '/^tps = / {print $3}'; }
pglat() { awk '/^latency average/ {print $4 " " $5}'; }
pg_p99() { # log prefix: p99 of the per-transaction latencies (3rd field, us)
	cat "$1".* | awk '{print $3}' | sort -n | awk '{ v[NR] = $1 }
	    END { i = int(NR * 0.99 + 0.5); if (i < 1) i = 1; if (NR) printf "%.2f", v[i] / 1000 }'
}
wreq() { # [base] per-worker request counts from /metrics: "worker count" lines
	curl -s "${1:-$BASE}/metrics" | awk '/^mp_worker_http_requests_total/ {
	    if (match($0, /worker="[0-9]+"/)) print substr($0, RSTART + 8, RLENGTH - 9), $NF }'
}
balance() { # before after (wreq outputs) -> "w1 N, w2 M; spread S %" (max/min - 1)
	awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; out = out sprintf("%sworker %s: %d", sep, $1, d); sep = ", "
	    if (n++ == 0 || d > mx) mx = d; if (n == 1 || d < mn) mn = d }
	    END { printf "%s; spread %.0f %%", out, (mn > 0 ? (mx / mn - 1) * 100 : 999) }' <(echo "$1") <(echo "$2")
}
wconns() { # client connections open on each worker, 3 s into a phase
	sleep 3; curl -s "$BASE/metrics" | awk '/^mp_worker_connections/ {
	    if (match($0, /worker="[0-9]+"/)) printf "%sworker %s: %s", sep, substr($0, RSTART + 8, RLENGTH - 9), $NF; sep = ", " }'
}
spread() { sed 's/.*spread \([0-9]*\) %.*/\1/' <<<"$1"; }
# CPU spent by the Kore workers and by PostgreSQL (live backends + those
# already reaped by the postmaster), in clock ticks, around each phase
PGPID=$(head -1 "$(readlink -f "$B/pg")/postmaster.pid")
TCK=$(getconf CLK_TCK)
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
cpu_mark() { echo "$(ticks $(workers "${1:-$KPID}")) $(($(ticks $(ps --ppid "$PGPID" -o pid=)) + $(awk '{print $16 + $17}' "/proc/$PGPID/stat")))"; }
cpu_per_req() { # "k0 p0" "k1 p1" requests -> "kore N us, PostgreSQL M us"
	awk -v a="$1" -v b="$2" -v n="$3" -v hz="$TCK" 'BEGIN { split(a, x, " "); split(b, y, " "); if (n <= 0) n = 1
	    printf "kore %.0f us + PostgreSQL %.0f us of CPU a request", (y[1] - x[1]) / hz * 1e6 / n, (y[2] - x[2]) / hz * 1e6 / n }'
}
# the Kore workers' time on a CPU and runnable but waiting for one
# (/proc/PID/schedstat, ns): "run wait"
sched_mark() { local w r=0 q=0 a b; for w in $(workers); do read -r a b _ <"/proc/$w/schedstat" && r=$((r + a)) && q=$((q + b)); done; echo "$r $q"; }
# per worker, in worker order: "run wait" pairs on one line
sched_each() { local w a b; for w in $(workers "$1"); do read -r a b _ <"/proc/$w/schedstat" && printf '%s %s ' "$a" "$b"; done; echo; }
# sched_workers FILE (lines "... | run wait run wait ...| run wait ...", one a
# round, before and after): each worker's time on a CPU and runnable but
# waiting for one, all rounds (a worker serving fewer requests than the
# other with as many connections shows here whether it waited longer)
sched_workers() {
	awk -F'|' '{ k = split($2, a, " "); split($3, b, " ")
	    for (i = 1; i <= k; i += 2) { r[i] += b[i] - a[i]; q[i] += b[i + 1] - a[i + 1] } }
	    END { for (i = 1; i <= k; i += 2) printf "%sworker %d on a CPU %.0f ms, waiting for one %.0f ms", (i > 1 ? "; " : ""), (i + 1) / 2, r[i] / 1e6, q[i] / 1e6 }' "$1"
}
sched_report() { # tag
	awk '{ r += $3 - $1; q += $4 - $2; n += $5 } END { if (n < 1) n = 1
	    printf "   workers : on a CPU %.0f us a request, runnable but waiting for a CPU %.0f us a request (both workers, all rounds)\n", r / 1000 / n, q / 1000 / n }' "$B/sched-$1"
}
nreq() { awk '/ requests in / {print $1} /^number of transactions actually processed/ {print $NF}'; }
WRK=(wrk -t"$THREADS" -c"$CONNS" -d"${RDUR}s" --timeout 10s --latency)
PGB=(pgbench -n -c "$CONNS" -j "$THREADS" -T "$RDUR" -M extended)
WRK_C=(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --timeout 10s --latency)
CMDS=()

# duel TAG SVC-FN PG-FN: ROUNDS interleaved rounds (service, then pgbench,
# then again), so that both sides see the same background load. One line a
# round in $B/duel-TAG: round svc_rps svc_p99 pg_tps pg_p99 svc_n pg_n
# then the CPU ticks (kore, PostgreSQL) spent by each side.
duel() {
	local tag=$1 svc=$2 pg=$3 r so po k0 k1 p0 p1 w0 w1 q0 q1 e0 e1
	: >"$B/duel-$tag"; : >"$B/duel-$tag-base"; : >"$B/sched-$tag"; : >"$B/schedw-$tag"
	for p in $POOLS; do : >"$B/duel-$tag-pool$p"; : >"$B/cpu-$tag-pool$p"; wreq "http://127.0.0.1:${SW_PORT[$p]}" >"$B/wreq0-$tag-pool$p"; done
	w0=$(wreq); wconns >"$B/conns-$tag" &
	[ "$PHASES" = 1 ] && "$PH" count "$B/phases" >"$B/ph0-$tag"
	for r in $(seq 1 "$ROUNDS"); do
		log "$tag) round $r/$ROUNDS: service (${RDUR}s), then pgbench (${RDUR}s)"
		# the baseline goes before the service in even rounds, after it
		# in odd ones: the load of a shared machine drifts within a round
		[ -n "$BASELINE" ] && [ $((r % 2)) = 0 ] && duel_baseline "$tag" "$svc" "$r"
		if [ "$SVC_LAST" = 1 ]; then for p in $POOLS; do duel_pool "$tag" "$svc" "$r" "$p"; done; fi
		e0=$(sched_each "$KPID"); q0=$(sched_mark); k0=$(cpu_mark)
		so=$("$svc" 2>&1)
		k1=$(cpu_mark); q1=$(sched_mark); e1=$(sched_each "$KPID")
		echo "$q0 $q1 $(nreq <<<"$so")" >>"$B/sched-$tag"
		echo "0 0 0 0 | $e0| $e1" >>"$B/schedw-$tag"
		[ "$r" = 1 ] && curl -s "$BASE/metrics" >"$B/metrics-$tag"
		[ -n "$BASELINE" ] && [ $((r % 2)) = 1 ] && duel_baseline "$tag" "$svc" "$r"
		if [ "$SVC_LAST" != 1 ]; then for p in $POOLS; do duel_pool "$tag" "$svc" "$r" "$p"; done; fi
		p0=$(cpu_mark); po=$("$pg" "$B/pgb/log-$tag-$r" 2>&1); sleep 0.5; p1=$(cpu_mark)
		printf '%s\n' "$so" >"$B/$tag-svc-$r.txt"; printf '%s\n' "$po" >"$B/$tag-pg-$r.txt"
		echo "$r $(rps <<<"$so") $(to_ms "$(p99 <<<"$so")") $(tps <<<"$po") $(pg_p99 "$B/pgb/log-$tag-$r") $(nreq <<<"$so") $(nreq <<<"$po") $k0 $k1 $p0 $p1" >>"$B/duel-$tag"
	done
	w1=$(wreq); balance "$w0" "$w1" >"$B/balance-$tag"
	[ "$PHASES" = 1 ] && "$PH" count "$B/phases" >"$B/ph1-$tag"
	for p in $POOLS; do
		balance "$(cat "$B/wreq0-$tag-pool$p")" "$(wreq "http://127.0.0.1:${SW_PORT[$p]}")" >"$B/balance-$tag-pool$p"
	done
}
# phases_report TAG: where the service's requests spent their time (all
# rounds), beside what wrk saw (median of the rounds) and pgbench's
# per-transaction latencies (all rounds)
phases_report() {
	local tag=$1 r
	[ "$PHASES" = 1 ] || return 0
	"$PH" report "$B/ph0-$tag" "$B/ph1-$tag"
	local q out=""
	for q in 50 90 99; do # wrk's percentile q, median of the rounds, in ms
		out+="${out:+, }p$q $(for r in $(seq 1 "$ROUNDS"); do to_ms "$(awk -v q="$q%" '$1 == q {print $2}' "$B/$tag-svc-$r.txt")"; echo; done |
		    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
	done
	echo "   wrk (client side, median of the rounds): $out ms"
	cat "$B"/pgb/log-"$tag"-*.* | awk '{ print $3 / 1000 }' | sort -g | awk '{ v[NR] = $1; s += $1 }
	    function p(q) { i = int(NR * q + 0.5); if (i < 1) i = 1; return v[i] }
	    END { if (NR) printf "   pgbench (-l, all rounds, %d transactions): p50 %.2f, p90 %.2f, p99 %.2f, p99.9 %.2f, mean %.2f ms\n", NR, p(0.5), p(0.9), p(0.99), p(0.999), s / NR }'
}
# syscalls TAG SVC-FN (BENCH_SYSCALLS=1): the workers' system calls a
# request under the same load, strace -c on both workers for a short extra
# round (strace slows them: counts, not times, are the figure)
syscalls() {
	local tag=$1 svc=$2 w0 w1 n args=() w
	[ "${BENCH_SYSCALLS:-0}" = 1 ] || return 0
	command -v strace >/dev/null || { echo "strace missing" >"$B/syscalls-$tag"; return 0; }
	for w in $(workers); do args+=(-p "$w"); done
	w0=$(wreq)
	strace -c -f -o "$B/strace-$tag.txt" "${args[@]}" 2>/dev/null & local st=$!
	sleep 0.5
	"$svc" >"$B/$tag-strace-round.txt" 2>&1
	kill -INT "$st" 2>/dev/null; wait "$st" 2>/dev/null || true
	w1=$(wreq)
	n=$(awk 'NR == FNR { b[$1] = $2; next } { s += $2 - b[$1] } END { print s }' <(echo "$w0") <(echo "$w1"))
	# lines: % time, seconds, usecs/call, calls, [errors,] syscall
	awk -v n="$n" '$1 ~ /^[0-9.]+$/ && $NF ~ /^[a-z_0-9]+$/ && $NF != "total" { calls[$NF] = $4 } END { for (k in calls) if (n > 0 && calls[k] / n >= 0.05) printf "%s %.2f\n", k, calls[k] / n }' "$B/strace-$tag.txt" |
	    sort -k2 -g -r | awk -v n="$n" '{ out = out sprintf("%s%s %s", sep, $1, $2); sep = ", "; t += $2 }
	    END { printf "   syscalls: %.1f a request (strace -c on both workers, %d requests): %s\n", t, n, out }' >"$B/syscalls-$tag"
}
# duel_pool TAG SVC-FN ROUND POOL: the same load on the instance of that pool
# size; one line a round: round rps p99 requests, then per worker run, wait (ns)
duel_pool() {
	local out s0 s1 c0 c1
	s0=$(sched_each "${SW_KPID[$4]}"); c0=$(cpu_mark "${SW_KPID[$4]}")
	out=$(SVC="http://127.0.0.1:${SW_PORT[$4]}" "$2" 2>&1)
	c1=$(cpu_mark "${SW_KPID[$4]}"); s1=$(sched_each "${SW_KPID[$4]}")
	printf '%s\n' "$out" >"$B/$1-pool$4-$3.txt"
	echo "$c0 $c1 $(nreq <<<"$out")" >>"$B/cpu-$1-pool$4"
	echo "$3 $(rps <<<"$out") $(to_ms "$(p99 <<<"$out")") $(nreq <<<"$out") | $s0| $s1" >>"$B/duel-$1-pool$4"
}
# pool_report TAG: per pool size, the rounds against the same round's pgbench
pool_report() {
	local tag=$1 p
	[ -n "$POOLS" ] || return 0
	echo "   pool sweep (same build, one instance per MP_DB_POOL, each loaded right after the service in every round):"
	for p in $POOLS; do
		join <(cut -d'|' -f1 "$B/duel-$tag-pool$p") "$B/duel-$tag" >"$B/duel-$tag-pool$p-both"
		printf '   pool %2s: rate %s of pgbench, p99 %s x pgbench'"'"'s (medians); rounds: %s; CPU a request: %s; workers: %s; %s\n' "$p" \
		    "$(median_ratio "$B/duel-$tag-pool$p-both" 2 7)" "$(median_ratio "$B/duel-$tag-pool$p-both" 3 8)" \
		    "$(awk '{ printf "%s%.0f req/s p99 %.1f ms", sep, $2, $3; sep = ", " }' "$B/duel-$tag-pool$p-both")" \
		    "$(awk -v hz="$TCK" '{ k += $3 - $1; g += $4 - $2; n += $5 } END { if (n < 1) n = 1
		        printf "kore %.0f us + PostgreSQL %.0f us", k / hz * 1e6 / n, g / hz * 1e6 / n }' "$B/cpu-$tag-pool$p")" \
		    "$(cat "$B/balance-$tag-pool$p")" \
		    "$(sched_workers "$B/duel-$tag-pool$p")"
	done
}
# duel_baseline TAG SVC-FN ROUND: the same load on the baseline service
duel_baseline() {
	local out
	out=$(SVC="http://127.0.0.1:$FP0" "$2" 2>&1)
	printf '%s\n' "$out" >"$B/$1-base-$3.txt"
	echo "$3 $(rps <<<"$out") $(to_ms "$(p99 <<<"$out")")" >>"$B/duel-$1-base"
}
# duel_report TAG: the rounds, the medians of the per-round ratios, the goals
duel_report() {
	local tag=$1
	awk -v hz="$TCK" '{
	    printf "   round %d: service %8.1f req/s, p99 %7.2f ms | pgbench %8.1f tps, p99 %7.2f ms | rate %.2f, p99 %.2f x\n",
	        $1, $2, $3, $4, $5, ($4 > 0 ? $2 / $4 : 0), ($5 > 0 ? $3 / $5 : 0)
	    sk += $10 - $8; sp += $11 - $9; pk += $14 - $12; pp += $15 - $13; sn += $6; pn += $7 }
	    END { if (sn < 1) sn = 1; if (pn < 1) pn = 1
	        printf "   CPU a request, all rounds: service: kore %.0f us + PostgreSQL %.0f us; pgbench: PostgreSQL %.0f us\n",
	            sk / hz * 1e6 / sn, sp / hz * 1e6 / sn, pp / hz * 1e6 / pn }' "$B/duel-$tag"
}
median_col() { # file column -> median
	awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
median_ratio() { # file col-a col-b -> median of a/b over the rounds
	awk -v a="$2" -v b="$3" '{ printf "%.4f\n", ($b > 0 ? $a / $b : 0) }' "$1" | sort -g |
	    awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'
}

# ---- a) one application by id --------------------------------------------------------
q "SELECT id FROM applications WHERE call_id = '$CALL' ORDER BY random() LIMIT $NIDS" >"$B/ids.txt"
pgb_a=()
n=0
while read -r id; do
	n=$((n + 1)); f="$B/pgb/get-$n.sql"
	printf "SELECT funding_application_get('%s', '{\"id\":\"%s\"}', NULL, NULL, 'bench');\n" "$P_OFF" "$id" >"$f"
	pgb_a+=(-f "$f")
done <"$B/ids.txt"
svc_a() { BENCH_TOKEN=$OFF BENCH_IDS=$B/ids.txt "${WRK[@]}" -s bench/funding/get.lua "$SVC/"; }
pg_a() { "${PGB[@]}" -l --log-prefix="$1" "${pgb_a[@]}"; }
sample_start get
duel a svc_a pg_a
sample_stop
syscalls a svc_a
CMDS+=("BENCH_TOKEN=<officer> BENCH_IDS=ids.txt ${WRK[*]} -s bench/funding/get.lua $BASE/")
CMDS+=("${PGB[*]} -l -f get-1.sql ... -f get-$NIDS.sql   # get-N.sql: $(cat "$B/pgb/get-1.sql")")

# ---- b) a call's applications, first page of 50 -----------------------------------------
printf "SELECT funding_call_applications('%s', '{\"id\":\"%s\",\"limit\":\"50\"}', NULL, NULL, 'bench');\n" \
    "$P_OFF" "$CALL" >"$B/pgb/list.sql"
svc_b() { BENCH_TOKEN=$OFF "${WRK[@]}" -s bench/funding/list.lua "$SVC/v1/funding/calls/$CALL/applications?limit=50"; }
pg_b() { "${PGB[@]}" -l --log-prefix="$1" -f "$B/pgb/list.sql"; }
sample_start list
duel b svc_b pg_b
sample_stop
syscalls b svc_b
CMDS+=("BENCH_TOKEN=<officer> ${WRK[*]} -s bench/funding/list.lua $BASE/v1/funding/calls/$CALL/applications?limit=50")
CMDS+=("${PGB[*]} -l -f list.sql   # $(cat "$B/pgb/list.sql")")
B_BYTES=$(curl -s -H "Authorization: Bearer $OFF" "$BASE/v1/funding/calls/$CALL/applications?limit=50" | wc -c)

# ---- c) submissions with their outbox event ------------------------------------------------
before=$(q "SELECT count(*) FROM applications")
log "c) POST /v1/funding/calls/{id}/applications (wrk, ${DUR}s)"
sample_start post
w0=$(wreq); wconns >"$B/conns-c" & o0=$(cpu_mark)
C_SVC=$(BENCH_TOKEN=${APPS_TOK[0]} BENCH_BODY=$B/application.json "${WRK_C[@]}" -s bench/funding/post.lua "$APP_URL" 2>&1)
o1=$(cpu_mark); w1=$(wreq); C_BAL=$(balance "$w0" "$w1")
sample_stop
CMDS+=("BENCH_TOKEN=<applicant> BENCH_BODY=application.json ${WRK_C[*]} -s bench/funding/post.lua $APP_URL")
after=$(q "SELECT count(*) FROM applications")
# the relay publishes asynchronously: let it drain before counting what it left
for _ in $(seq 1 60); do
	[ "$(q "SELECT count(*) FROM outbox WHERE sent_at IS NULL")" = 0 ] && break; sleep 0.5
done
n_apps=$(q "SELECT count(*) FROM applications")
n_evt=$(q "SELECT count(*) FROM outbox WHERE type = 'funding.application.created.v1'")
n_evt_distinct=$(q "SELECT count(DISTINCT subject) FROM outbox WHERE type = 'funding.application.created.v1'")
n_orphans=$(q "SELECT count(*) FROM applications a WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.type = 'funding.application.created.v1' AND o.subject = a.id::text)")
n_unsent=$(q "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
stream_len=$(redis-cli -p "$RP" --raw XLEN "$(redis-cli -p "$RP" --raw --scan --pattern '*funding*' | head -1)" 2>/dev/null || echo "?")
sleep 2 # the workers settle after the load
mem_end=$(for w in $(workers); do printf '%s:%.1fMB ' "$w" "$(ps -o rss= -p "$w" | awk '{print $1/1024}')"; done)

# ---- figures ------------------------------------------------------------------------------
c_total=$(rps <<<"$C_SVC")
c_201=$(awk '/^created_201/ {print $2}' <<<"$C_SVC")
c_other=$(awk '/^other_status/ {print $2}' <<<"$C_SVC")
c_secs=$(awk '/requests in/ { s = $4; sub(/,$/, "", s); v = s + 0
	if (s ~ /ms$/) v /= 1000; else if (s ~ /m$/) v *= 60; print v }' <<<"$C_SVC")
c_rate=$(awk -v n="$c_201" -v s="$c_secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
c_99=$(to_ms "$(p99 <<<"$C_SVC")")
# medians over the rounds of the per-round ratios (columns of duel)
a_ratio=$(median_ratio "$B/duel-a" 2 4); a_tail=$(median_ratio "$B/duel-a" 3 5)
b_ratio=$(median_ratio "$B/duel-b" 2 4); b_tail=$(median_ratio "$B/duel-b" 3 5)
A_BAL=$(cat "$B/balance-a"); B_BAL=$(cat "$B/balance-b")
baseline_report() { # tag: the baseline's rounds beside this run's
	[ -n "$BASELINE" ] || return 0
	join "$B/duel-$1-base" "$B/duel-$1" | awk '{
	    printf "   round %d: before  %8.1f req/s, p99 %7.2f ms | rate %.2f, p99 %.2f x pgbench'"'"'s | after/before: rate %.2f, p99 %.2f\n",
	        $1, $2, $3, ($6 > 0 ? $2 / $6 : 0), ($7 > 0 ? $3 / $7 : 0), ($2 > 0 ? $4 / $2 : 0), ($3 > 0 ? $5 / $3 : 0) }'
	join "$B/duel-$1-base" "$B/duel-$1" >"$B/duel-$1-both"
	echo "   before ($BASELINE), median of the rounds: rate $(median_ratio "$B/duel-$1-both" 2 6) of pgbench, p99 $(median_ratio "$B/duel-$1-both" 3 7) x pgbench's"
}
goals() { # rate tail balance
	echo "   median of the rounds: rate $1 of pgbench (goal >= 0.9: $(yesno "$1" ">=" 0.9)), p99 $2 x pgbench's (goal <= 1.5: $(yesno "$2" "<" 1.501)), worker spread (goal <= 20 %): $(yesno "$(spread "$3")" "<" 20.5)"
}
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
outbox_ok=$([ "$n_evt" = "$n_apps" ] && [ "$n_evt_distinct" = "$n_apps" ] && [ "$n_orphans" = 0 ] && echo yes || echo no)
errs() { grep -E 'Socket errors|Non-2xx' <<<"$1" | sed 's/^ */    /' || true; }

{
	echo "# make bench-funding: $(date -u +%FT%TZ)"
	echo "machine : $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo)"
	echo "sysload : load average (1, 5, 15 min) before the run $LOAD_BEFORE, after $LOAD_AFTER (shared machine: compare ratios, not absolute figures)"
	echo "versions: kore $(dpkg-query -W -f='${Version}' kore 2>/dev/null), $("$PG_BIN/postgres" --version), $(pgbench --version), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $(redis-server --version | awk '{print $1, $3}')"
	echo "service : $BUILD_DIR/funding.so, MP_WORKERS=$WORKERS, MP_DB_POOL=$POOL per worker (opened before serving: MP_DB_POOL_WARM), MP_LOG_LEVEL=warn, $([ -n "$SESSION" ] && echo "Kore in a session of its own (setsid)" || echo "Kore in the session of wrk and pgbench (BENCH_SETSID=0)")$([ "$PHASES" = 1 ] && echo ", MP_BENCH_PHASES (request phases recorded)")"
	[ -z "$BENCH_CG" ] || echo "cgroups : PostgreSQL, Redis, each service instance and the clients (wrk, pgbench, this script) in cpu cgroups of their own, as containers or systemd units would be ($BENCH_CG-*); autogroups do not apply"
	[ -z "$BASELINE" ] || echo "baseline: $BASELINE/funding.so (same settings, same database), loaded in each round of a) and b) right after the service (odd rounds) or right before it (even rounds)"
	echo "postgres: GLIBC_TUNABLES=${PG_MALLOC_TUNABLES:-"(unset: the adaptive malloc thresholds of glibc)"} (scripts/lib.sh pg_start; PG_MALLOC_TUNABLES= for the defaults)"
	echo "data    : 1 call, $NAPPS applications seeded over HTTP in ${seed_s}s; a) rotates over $NIDS of them on both sides"
	echo "load    : a), b): $ROUNDS interleaved rounds of wrk -t$THREADS -c$CONNS -d${RDUR}s then pgbench -c $CONNS -j $THREADS -T $RDUR -M extended (the same SELECT the service sends); c): wrk -d${DUR}s"
	echo "note    : closed loop, so mean latency = $CONNS / rate (Little's law): p99 < 10 ms at $CONNS connections needs more than $((CONNS * 100)) req/s"
	echo
	echo "a) GET /v1/funding/applications/{id} (officer of the region)"
	duel_report a
	for r in $(seq 1 "$ROUNDS"); do errs "$(cat "$B/a-svc-$r.txt")"; done
	echo "   workers : requests $A_BAL; connections 3 s in: $(cat "$B/conns-a")"
	sched_report a
	echo "   workers : $(sched_workers "$B/schedw-a") (all rounds)"
	goals "$a_ratio" "$a_tail" "$A_BAL"
	phases_report a
	[ -f "$B/syscalls-a" ] && cat "$B/syscalls-a"
	baseline_report a
	pool_report a
	echo
	echo "b) GET /v1/funding/calls/{id}/applications?limit=50 ($B_BYTES bytes a page)"
	duel_report b
	for r in $(seq 1 "$ROUNDS"); do errs "$(cat "$B/b-svc-$r.txt")"; done
	echo "   workers : requests $B_BAL; connections 3 s in: $(cat "$B/conns-b")"
	sched_report b
	echo "   workers : $(sched_workers "$B/schedw-b") (all rounds)"
	goals "$b_ratio" "$b_tail" "$B_BAL"
	phases_report b
	[ -f "$B/syscalls-b" ] && cat "$B/syscalls-b"
	baseline_report b
	pool_report b
	echo
	echo "c) POST /v1/funding/calls/{id}/applications (application + outbox event in one transaction)"
	echo "   service : $c_201 created (201) in ${c_secs}s = $c_rate/s; all answers $c_total req/s, non-201 $c_other; p99 $c_99 ms"
	echo "             $(cpu_per_req "$o0" "$o1" "$(nreq <<<"$C_SVC")")"
	errs "$C_SVC"
	echo "   workers : requests $C_BAL; connections 3 s in: $(cat "$B/conns-c")"
	echo "   goal >= 1000 submissions/s: $(yesno "$c_rate" ">=" 1000)"
	echo "   applications: $before before, $after after (+$((after - before)); wrk counted $c_201 201s)"
	echo "   outbox: $n_evt funding.application.created.v1 rows ($n_evt_distinct distinct subjects) for $n_apps applications, $n_orphans applications without one, $n_unsent rows unsent after the drain; stream length $stream_len"
	echo "   one event per application: $([ "$outbox_ok" = yes ] && echo YES || echo NO)"
	echo
	echo "d) Kore worker RSS (ps -o rss, sampled every 0.5 s)"
	mem_report get; mem_report list; mem_report post
	echo "  2 s after the load: $mem_end"
	echo
	echo "commands (in $B; tokens elided; pgbench as role funding on 127.0.0.1:$PGP/funding):"
	for c in "${CMDS[@]}"; do echo "  $c"; done
	echo
	echo "---- raw output -----------------------------------------------------------------"
	for t in a b; do for r in $(seq 1 "$ROUNDS"); do for side in svc pg; do
		echo "## $t) round $r, $side"; grep -v -e '^$' -e '^SQL script' -e '^ - ' "$B/$t-$side-$r.txt"
	done; done; done
	echo "## c)"; grep -v -e '^$' <<<"$C_SVC"
} | tee "$OUT"
[ "$outbox_ok" = yes ] || die "the outbox does not hold exactly one created event per application"
