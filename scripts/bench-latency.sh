#!/usr/bin/env bash
# `make bench-latency`: latency at a fixed request rate (open loop), beside
# references at the same rate, on this machine (shared and noisy: compare
# the rows of one run, not runs).
#
# 1. the maximum: wrk -c64 (closed loop) on each case below for MAX_SECONDS
# 2. each case again at half that maximum with bench/openloop (build-bench/
#    bin/openloop): request i is due at start + i/rate and its latency runs
#    from then to its answer's last byte, so a stall counts for every request
#    it delays (no coordinated omission)
#      service GET  GET /v1/funding/applications/{id} on funding, 100 ids in turn
#      gateway GET  the same through the gateway with Cache-Control: no-store
#                   (proxied every time), then as a client gets it (cached)
#      submission   POST /v1/funding/calls/{id}/applications on funding (last:
#                   the events it leaves behind would load the GETs)
#    beside, at the same rate as the row they follow:
#      pgbench -R   the SELECT the service GET runs (latency from the
#                   scheduled start, as pgbench -R logs it)
#      nginx file   nginx answering the same bytes from a file
#      nginx proxy  nginx proxy_pass to funding, same GETs (the reference
#                   of the gateway's no-store row; the file is the cached row's)
# Goal: p99 < 10 ms for the GETs. Results overwrite bench/results/latency.txt
# and are printed. Reusable for another service's routes: the openloop
# binary takes any URL, headers, body and a file of paths (see its usage).
# Knobs: BENCH_MAX_SECONDS (8), BENCH_LAT_SECONDS (15), BENCH_BUILD
# (build-bench), BENCH_RATE_SVC / BENCH_RATE_GW / BENCH_RATE_GWC / BENCH_RATE_POST (fixed
# rates instead of half the measured maximum).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

B="$ROOT/var/bench-latency"; OUT=bench/results/latency.txt
MAXDUR=${BENCH_MAX_SECONDS:-8}
LDUR=${BENCH_LAT_SECONDS:-15}
BUILD_DIR=${BENCH_BUILD:-build-bench}
OPENLOOP=$ROOT/$BUILD_DIR/bin/openloop
CONNS=64; THREADS=2; WORKERS=2; NIDS=100
REGION=$BENCH_REGION

for c in wrk pgbench kore curl openssl psql; do
	command -v "$c" >/dev/null || die "$c not found (scripts/deps.sh installs it)"
done
for f in funding.so gateway.so bin/openloop; do
	[ -f "$BUILD_DIR/$f" ] || die "$BUILD_DIR/$f missing: make bench-latency builds it"
done
bench_nginx >/dev/null

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
bench_traps "$B"; mkdir -p "$B/pgb"
PGP=$(free_port); RP=$(free_port); FP=$(free_port); GP=$(free_port); NP=$(free_port)
pg_start "$B" "$PGP"; redis_start "$B" "$RP"
bench_start_funding "$B" "$BUILD_DIR" "$PGP" "$RP" "$FP" "$WORKERS"
bench_start_gateway "$B" "$BUILD_DIR" "$PGP" "$RP" "$GP" "$WORKERS" "$FP"
SVC="http://127.0.0.1:$FP"; GW="http://127.0.0.1:$GP"; NGX="http://127.0.0.1:$NP"

# ---- seed: a call and NIDS applications ------------------------------------------------
OFF=$(bench_token "officer-$REGION" council_officer)
APP=$(bench_token "applicant-0-$REGION" applicant)
CALL=$(bench_seed_call "$B" "$SVC" "$OFF") || die "seeding the call failed"
log "seeding $NIDS applications"
: >"$B/ids.txt"
for _ in $(seq 1 "$NIDS"); do
	bench_http "$SVC" POST "$APP" "/v1/funding/calls/$CALL/applications" "$B/application.json" | bench_json_id >>"$B/ids.txt"
done
sed 's#^#/v1/funding/applications/#' "$B/ids.txt" >"$B/paths.txt"
ID1=$(head -1 "$B/ids.txt")
bench_http "$SVC" GET "$OFF" "/v1/funding/applications/$ID1" >"$B/app.json"
BODY_BYTES=$(stat -c %s "$B/app.json")
FUNDING_PORT=$FP bench_start_nginx "$B" "$NP" "$WORKERS" \
    "$(bench_nginx_file /file.json "$B/app.json") $(bench_nginx_proxy /v1/)" /file.json

# the SELECT the service GET runs, as in bench-funding.sh (principal, args)
P_OFF="{\"sub\":\"officer-$REGION\",\"roles\":[\"council_officer\"],\"region\":\"$REGION\",\"commune\":\"\",\"org\":\"\"}"
PGB_FILES=(); n=0
while read -r id; do
	n=$((n + 1))
	printf "SELECT funding_application_get('%s', '{\"id\":\"%s\"}', NULL, NULL, 'bench');\n" "$P_OFF" "$id" >"$B/pgb/get-$n.sql"
	PGB_FILES+=(-f "$B/pgb/get-$n.sql")
done <"$B/ids.txt"
export PGHOST=127.0.0.1 PGPORT=$PGP PGUSER=funding PGPASSWORD=$BENCH_PW PGDATABASE=funding

# ---- helpers -----------------------------------------------------------------------------
WRK=(wrk -t"$THREADS" -c"$CONNS" -d"${MAXDUR}s" --timeout 10s)
half() { awk -v m="$1" 'BEGIN { r = int(m / 2); if (r < 1) r = 1; print r }'; }
AUTH="Authorization: Bearer $OFF"
NOSTORE="Cache-Control: no-store"
ROWS=()
ol() { # label rate openloop-args...: one row
	local label=$1 rate=$2 out
	shift 2
	log "open loop: $label at $rate/s (${LDUR}s)"
	out=$("$OPENLOOP" -r "$rate" -d "$LDUR" -c 256 "$@") || die "openloop failed: $label"
	ROWS+=("$(awk -v l="$label" '{ for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)
	    printf "%-36s %8s %9s %8s %8s %8s %8s %6s\n", l, v["rate"], v["achieved"], v["p50"], v["p99"], v["p99.9"], v["max"], v["errors"] + v["unanswered"] }' <<<"$out")")
}
pgb_row() { # label rate
	local label=$1 rate=$2 out
	log "open loop: $label at $rate/s (${LDUR}s)"
	rm -f "$B/pgb/log-r".*
	out=$(pgbench -n -c "$CONNS" -j "$THREADS" -T "$LDUR" -R "$rate" -M extended -l \
	    --log-prefix="$B/pgb/log-r" "${PGB_FILES[@]}" 2>&1) || die "pgbench failed: $out"
	ROWS+=("$(cat "$B/pgb/log-r".* | awk '{print $3}' | sort -n | awk -v l="$label" -v r="$rate" -v d="$LDUR" '
	    { v[NR] = $1 / 1000 }
	    function p(q,  k) { k = int(q / 100 * NR + 0.5); if (k < 1) k = 1; if (k > NR) k = NR; return v[k] }
	    END { printf "%-36s %8.1f %9.1f %8.3f %8.3f %8.3f %8.3f %6d\n", l, r, NR / d, p(50), p(99), p(99.9), p(100), 0 }')")
}
maxrate() { # label wrk-args...: closed-loop maximum
	log "maximum: $1 (wrk -c$CONNS, ${MAXDUR}s)"
	shift
	"${WRK[@]}" "$@" | rps
}

# ---- the GETs: maxima (closed loop), then open loop at half ----------------------------
# (the submissions come last: the events they leave would load the GETs)
MAX_SVC=$(BENCH_TOKEN=$OFF BENCH_IDS=$B/ids.txt maxrate "service GET" -s bench/funding/get.lua "$SVC/")
MAX_GWP=$(BENCH_TOKEN=$OFF BENCH_IDS=$B/ids.txt maxrate "gateway GET, no-store" -H "$NOSTORE" -s bench/funding/get.lua "$GW/")
MAX_GWC=$(BENCH_TOKEN=$OFF BENCH_IDS=$B/ids.txt maxrate "gateway GET, cached" -s bench/funding/get.lua "$GW/")
R_SVC=${BENCH_RATE_SVC:-$(half "$MAX_SVC")}
R_GWP=${BENCH_RATE_GW:-$(half "$MAX_GWP")}
R_GWC=${BENCH_RATE_GWC:-$(half "$MAX_GWC")}
XCACHE=$(curl -s -o /dev/null -D - -H "$AUTH" "$GW/v1/funding/applications/$ID1" | tr -d '\r' |
    awk -F': *' 'tolower($1) == "x-cache" {print $2}')

ol "service GET (funding)" "$R_SVC" -H "$AUTH" -p "$B/paths.txt" "$SVC/"
pgb_row "  pgbench -R, same SELECT" "$R_SVC"
ol "  nginx, same bytes from a file" "$R_SVC" "$NGX/file.json"
ol "gateway GET no-store (-> funding)" "$R_GWP" -H "$AUTH" -H "$NOSTORE" -p "$B/paths.txt" "$GW/"
ol "  nginx proxy_pass -> funding" "$R_GWP" -H "$AUTH" -H "$NOSTORE" -p "$B/paths.txt" "$NGX/"
ol "gateway GET, cached (X-Cache ${XCACHE:-none})" "$R_GWC" -H "$AUTH" -p "$B/paths.txt" "$GW/"
ol "  nginx, same bytes from a file" "$R_GWC" "$NGX/file.json"

# ---- submissions --------------------------------------------------------------------------
MAX_POST=$(BENCH_TOKEN=$APP BENCH_BODY=$B/application.json maxrate "submission" -s bench/funding/post.lua \
    "$SVC/v1/funding/calls/$CALL/applications")
R_POST=${BENCH_RATE_POST:-$(half "$MAX_POST")}
ol "submission POST (funding)" "$R_POST" -m POST -s 201 -H "Authorization: Bearer $APP" \
    -H 'Content-Type: application/json' -b "$B/application.json" "$SVC/v1/funding/calls/$CALL/applications"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

p99_of() { awk -v l="$1" 'index($0, l) == 1 { print $(NF - 3) }' <<<"$(printf '%s\n' "${ROWS[@]}")"; }
S99=$(p99_of "service GET"); GP99=$(p99_of "gateway GET no-store"); GC99=$(p99_of "gateway GET, cached")
{
	echo "# make bench-latency: $(date -u +%FT%TZ)"
	echo "machine : $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "sysload : load average (1, 5, 15 min) before the run $LOAD_BEFORE, after $LOAD_AFTER (shared machine: compare rows of one run)"
	echo "setup   : funding and gateway ($BUILD_DIR, $WORKERS workers each), nginx $WORKERS workers, PostgreSQL, Redis, all on this machine"
	echo "maxima  : wrk -c$CONNS ${MAXDUR}s: service GET $MAX_SVC req/s, gateway GET no-store $MAX_GWP req/s, gateway GET cached $MAX_GWC req/s, submission $MAX_POST req/s"
	echo "open loop: bench/openloop at the rate shown for ${LDUR}s (latency from each request's scheduled time; pgbench -R logs the same);"
	echo "           GET /v1/funding/applications/{id} over $NIDS ids ($BODY_BYTES bytes), as a council officer"
	echo
	printf '%-36s %8s %9s %8s %8s %8s %8s %6s\n' "case (ms)" rate achieved p50 p99 p99.9 max errors
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "goal p99 < 10 ms at half the maximum: service GET $S99 ms: $(yesno "$S99" "<" 10); gateway GET no-store $GP99 ms: $(yesno "$GP99" "<" 10); gateway GET cached $GC99 ms: $(yesno "$GC99" "<" 10)"
	echo
	echo "commands: $OPENLOOP -r RATE -d $LDUR -c 256 [-H ...] [-p paths.txt] URL; pgbench -n -c $CONNS -j $THREADS -T $LDUR -R RATE -M extended -l -f get-N.sql..."
} | tee "$OUT"
