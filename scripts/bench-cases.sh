#!/usr/bin/env bash
# `make bench-cases`: the cases service's directory search against
# PostgreSQL itself, in one run on this machine (shared and noisy: the
# ratios are what counts).
#   a) GET /v1/cases/hsds/services?search=&taxonomy_term_id=&commune=&per_page=20
#      (public, no token) rotating over 12 searches, under wrk at 64
#      connections, against pgbench running the same SQL call
#      (hsds_services, the statement the service sends) at 64 clients:
#      ROUNDS interleaved rounds, the median of the per-round ratios;
#   b) latency at a fixed rate of half of a)'s measured maximum, open loop
#      (bench/openloop: latency from when each request was due), p99.
# BENCH_ENTRIES (10000) directory entries (services, each offered at a
# location) are written straight into the database by
# bench/cases/seed-directory.sql. Cases themselves are not loaded: see the
# note in the results.
# Results overwrite bench/results/cases.txt and are printed.
# Knobs: BENCH_SECONDS (10 a round), BENCH_ROUNDS (3), BENCH_ENTRIES,
# BENCH_BUILD (build-bench).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

B="$ROOT/var/bench-cases"; OUT=bench/results/cases.txt
DUR=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
N=${BENCH_ENTRIES:-10000}
BUILD_DIR=${BENCH_BUILD:-build-bench}
CONNS=64; THREADS=2; WORKERS=2
PW=cases-bench
OPENLOOP=$BUILD_DIR/bin/openloop

for c in wrk pgbench kore curl jq psql; do
	command -v "$c" >/dev/null || die "$c not found (scripts/deps.sh installs it)"
done
[ -f "$BUILD_DIR/cases.so" ] || die "$BUILD_DIR/cases.so missing: make BUILD=$BUILD_DIR $BUILD_DIR/cases.so"

PIDS=()
cleanup() {
	local rc=$?
	stop_pids "${PIDS[@]}"
	redis_stop "$B"; pg_stop "$B"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fresh_cluster_dir "$B"; mkdir -p "$B/pgb"
PGP=$(free_port); RP=$(free_port); CP=$(free_port)
pg_start "$B" "$PGP"; redis_start "$B" "$RP"; pg_create_db "$B" cases "$PW"
export PGHOST=127.0.0.1 PGPORT=$PGP PGUSER=cases PGPASSWORD=$PW PGDATABASE=cases
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

sed "s#^load .*#load $ROOT/$BUILD_DIR/cases.so#" services/cases/conf/cases.conf >"$B/cases.conf"
MP_HTTP_HOST=127.0.0.1 MP_HTTP_PORT=$CP MP_WORKERS=$WORKERS MP_LOG_LEVEL=warn \
MP_DB_URL="postgresql://cases:$PW@127.0.0.1:$PGP/cases" \
MP_REDIS_URL="redis://127.0.0.1:$RP" \
MP_JWT_KEYS="test-rs-1:RS256:$ROOT/tests/keys/test-rs-1.pub.pem" \
MP_JWT_ISSUER=https://auth.test MP_JWT_AUDIENCE=mp-api \
MP_MIGRATIONS_DIR=services/cases/migrations \
kore -c "$B/cases.conf" -f -n -r >"$B/log/cases.log" 2>&1 & KPID=$!; PIDS+=("$KPID")
wait_ready "http://127.0.0.1:$CP/readyz" 60 || { tail -20 "$B/log/cases.log" >&2; die "cases not ready"; }
BASE="http://127.0.0.1:$CP"

log "seeding $N directory entries"
t0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -v n="$N" -f bench/cases/seed-directory.sql >/dev/null
seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
n_services=$(q "SELECT count(*) FROM services"); n_sal=$(q "SELECT count(*) FROM service_at_location")

# ---- the searches: word, taxonomy term, commune -------------------------------
SEARCHES="sante:health:agadir medicale:health:oujda civil:civil_status:inezgane
juridique:legal_aid:oujda sejour:legal_aid:nador emploi:employment:tiznit
hebergement:housing:berkane langue:education:agadir scolaire:education:taroudant
marocains:consular_mre:nador entreprise:investment_business:oujda emploi:education:ait-melloul"
: >"$B/paths.txt"; pgb=(); i=0; hits=()
for s in $SEARCHES; do
	IFS=: read -r word term commune <<<"$s"
	path="/v1/cases/hsds/services?search=$word&taxonomy_term_id=$term&commune=$commune&per_page=20"
	echo "$path" >>"$B/paths.txt"
	total=$(curl -sS --fail "$BASE$path" | jq .total_items) || die "GET $path failed"
	[ "$total" -gt 0 ] || die "GET $path found nothing: the seed and the searches disagree"
	hits+=("$total")
	# the call the service makes: $1 principal ({} for the public),
	# $2 the query arguments and the negotiated language (mp/run.h)
	args=$(jq -nc --arg s "$word" --arg t "$term" --arg c "$commune" \
	    '{search: $s, taxonomy_term_id: $t, commune: $c, per_page: "20", lang: "fr"}')
	i=$((i + 1))
	printf "SELECT hsds_services('{}', '%s', NULL, NULL, 'bench');\n" "$args" >"$B/pgb/search-$i.sql"
	pgb+=(-f "$B/pgb/search-$i.sql")
done
PAGE_BYTES=$(curl -s "$BASE$(head -1 "$B/paths.txt")" | wc -c)

rps() { awk '/^Requests\/sec/ {print $2}'; }
tps() { awk '/^tps = / {print $3}'; }
p99() { awk '$1 == "99%" {print $2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
yesno() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { c = (op == ">=") ? (a + 0 >= b + 0) : (a + 0 < b + 0); print (c ? "MET" : "NOT MET") }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
WRK=(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --timeout 10s --latency -s bench/cases/paths.lua)
PGB=(pgbench -n -c "$CONNS" -j "$THREADS" -T "$DUR" -M extended)

# ---- a) closed loop, interleaved rounds ------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$B/rounds"
for r in $(seq 1 "$ROUNDS"); do
	log "a) round $r/$ROUNDS: wrk ${DUR}s, then pgbench ${DUR}s"
	BENCH_PATHS="$B/paths.txt" "${WRK[@]}" "$BASE/" >"$B/wrk-$r.txt" 2>&1
	"${PGB[@]}" "${pgb[@]}" >"$B/pgb-$r.txt" 2>&1
	s=$(rps <"$B/wrk-$r.txt"); p=$(tps <"$B/pgb-$r.txt")
	echo "$r $s $p $(ratio "$s" "$p") $(p99 <"$B/wrk-$r.txt")" >>"$B/rounds"
done
A_RATIO=$(awk '{print $4}' "$B/rounds" | median)
A_MAX=$(awk '{print $2}' "$B/rounds" | median)

# ---- b) open loop at half the maximum ----------------------------------------------------
HALF=$(awk -v m="$A_MAX" 'BEGIN { printf "%d", m / 2 }')
if [ -f bench/openloop/openloop.c ] && make -s BUILD="$BUILD_DIR" "$OPENLOOP" >/dev/null 2>&1 && [ -x "$OPENLOOP" ]; then
	log "b) open loop at $HALF req/s (${DUR}s x 2)"
	"$OPENLOOP" -r "$HALF" -d "$DUR" -c "$CONNS" -p "$B/paths.txt" "$BASE/" >"$B/openloop-1.txt" 2>&1 || true
	"$OPENLOOP" -r "$HALF" -d "$DUR" -c "$CONNS" -p "$B/paths.txt" "$BASE/" >"$B/openloop-2.txt" 2>&1 || true
	B_LINE=$(tail -1 "$B/openloop-2.txt")
	B_P99=$(awk '{ for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1) }' <<<"$B_LINE")
else
	B_LINE="not measured: no open-loop generator (bench/openloop) in this tree"
	B_P99=""
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

{
	echo "# make bench-cases: $(date -u +%FT%TZ)"
	echo "machine : $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo)"
	echo "sysload : load average (1, 5, 15 min) before the run $LOAD_BEFORE, after $LOAD_AFTER (shared machine: compare ratios, not absolute figures)"
	echo "versions: kore $(dpkg-query -W -f='${Version}' kore 2>/dev/null), $("$PG_BIN/postgres" --version), PostGIS $(q "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
	echo "service : $BUILD_DIR/cases.so, MP_WORKERS=$WORKERS, MP_LOG_LEVEL=warn, no token (public directory)"
	echo "data    : $n_services services and $n_sal service-at-locations (directory entries) in 17 communes, seeded by SQL in ${seed_s}s"
	echo "          cases: NOT loaded (the cases engineer's tables were not on main when this ran): the case read is not benchmarked"
	echo "query   : 12 searches, text + taxonomy term + commune, 20 a page ($PAGE_BYTES bytes for the first); matches per search: ${hits[*]}"
	echo "load    : a) $ROUNDS interleaved rounds of wrk -t$THREADS -c$CONNS -d${DUR}s then pgbench -c $CONNS -j $THREADS -T $DUR -M extended"
	echo "          running the same SELECT hsds_services(...) the service sends, rotating over the same 12 searches"
	echo
	echo "a) GET /v1/cases/hsds/services?search=&taxonomy_term_id=&commune=&per_page=20"
	echo "   round  service req/s  pgbench tps  ratio  service p99 (closed loop)"
	while read -r r s p x l; do printf '   %5s  %13s  %11s  %5s  %s\n' "$r" "$s" "$p" "$x" "$l"; done <"$B/rounds"
	for r in $(seq 1 "$ROUNDS"); do grep -E 'Socket errors|Non-2xx' "$B/wrk-$r.txt" | sed 's/^ */   /' || true; done
	echo "   median ratio service/pgbench: $A_RATIO   goal >= 0.7: $(yesno "$A_RATIO" ">=" 0.7)"
	echo
	echo "b) the same searches at a fixed rate of half the median maximum ($HALF req/s), open loop, 64 connections at most"
	echo "   $B_LINE"
	if [ -n "$B_P99" ]; then
		echo "   p99 $B_P99 ms   goal < 10 ms: $(yesno "$B_P99" "<" 10)"
	fi
	echo
	echo "commands (in $B; pgbench as role cases on 127.0.0.1:$PGP/cases):"
	echo "  BENCH_PATHS=paths.txt ${WRK[*]} $BASE/"
	echo "  ${PGB[*]} -f pgb/search-1.sql ... -f pgb/search-12.sql   # search-1.sql: $(cat "$B/pgb/search-1.sql")"
	[ -z "$B_P99" ] || echo "  $OPENLOOP -r $HALF -d $DUR -c $CONNS -p paths.txt $BASE/   (the second of two runs)"
} | tee "$OUT"
