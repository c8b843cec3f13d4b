#!/usr/bin/env bash
# `make bench-cases`: the cases service against PostgreSQL itself, in one
# run on this machine (shared and noisy: the ratios are what counts).
#   search: GET /v1/cases/hsds/services?search=&taxonomy_term_id=&commune=
#           &per_page=20 (public, no token), rotating over 12 searches;
#   case:   GET /v1/cases/cases/{id} by the region's council officer
#           (each read also writes its audit row), rotating over 100 cases.
# For each: ROUNDS interleaved rounds of wrk at 64 connections and pgbench
# at 64 clients running the same SQL call the service sends (the median of
# the per-round ratios), then the latency at a fixed rate of half the
# median maximum, open loop (bench/openloop: from when each request was
# due), beside pgbench -R at the same rate running the same calls.
# Data, written straight into the database: BENCH_ENTRIES (10000)
# directory entries (bench/cases/seed-directory.sql) and BENCH_CASES
# (100000) cases of 20000 persons (bench/cases/seed-cases.sql).
# Results overwrite bench/results/cases.txt and are printed.
# Knobs: BENCH_SECONDS (10 a run), BENCH_ROUNDS (3), BENCH_ENTRIES,
# BENCH_CASES, BENCH_BUILD (build-bench).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

B="$ROOT/var/bench-cases"; OUT=bench/results/cases.txt
DUR=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
N=${BENCH_ENTRIES:-10000}
NCASES=${BENCH_CASES:-100000}
BUILD_DIR=${BENCH_BUILD:-build-bench}
CONNS=64; THREADS=2; WORKERS=2
PW=cases-bench
OPENLOOP=$BUILD_DIR/bin/openloop

for c in wrk pgbench kore curl jq psql; do
	command -v "$c" >/dev/null || die "$c not found (scripts/deps.sh installs it)"
done
[ -f "$BUILD_DIR/cases.so" ] || die "$BUILD_DIR/cases.so missing: make BUILD=$BUILD_DIR $BUILD_DIR/cases.so"
[ -x "$OPENLOOP" ] || die "$OPENLOOP missing: make BUILD=$BUILD_DIR $OPENLOOP"

bench_traps "$B"; mkdir -p "$B/pgb"
PGP=$(free_port); RP=$(free_port); CP=$(free_port)
pg_start "$B" "$PGP"; redis_start "$B" "$RP"; pg_create_db "$B" cases "$PW"
export PGHOST=127.0.0.1 PGPORT=$PGP PGUSER=cases PGPASSWORD=$PW PGDATABASE=cases
q() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

sed "s#^load .*#load $ROOT/$BUILD_DIR/cases.so#" services/cases/conf/cases.conf >"$B/cases.conf"
# shellcheck disable=SC2046 # bench_common_env prints VAR=value words
env $(bench_common_env "$RP" "$WORKERS") MP_HTTP_PORT="$CP" \
    MP_DB_URL="postgresql://cases:$PW@127.0.0.1:$PGP/cases" \
    MP_MIGRATIONS_DIR=services/cases/migrations \
    MP_FIELD_KEYS="bench-1:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=" \
    MP_BLIND_INDEX_KEY="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=" \
    kore -c "$B/cases.conf" -f -n -r >"$B/log/cases.log" 2>&1 & KPID=$!; PIDS+=("$KPID")
wait_ready "http://127.0.0.1:$CP/readyz" 60 || { tail -20 "$B/log/cases.log" >&2; die "cases not ready"; }
BASE="http://127.0.0.1:$CP"

log "seeding $N directory entries and $NCASES cases"
t0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -v n="$N" -f bench/cases/seed-directory.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -v n="$NCASES" -f bench/cases/seed-cases.sql >/dev/null
seed_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
n_services=$(q "SELECT count(*) FROM services"); n_sal=$(q "SELECT count(*) FROM service_at_location")
n_cases=$(q "SELECT count(*) FROM cases"); n_persons=$(q "SELECT count(*) FROM persons")

# ---- the searches: word, taxonomy term, commune -------------------------------
SEARCHES="sante:health:agadir medicale:health:oujda civil:civil_status:inezgane
juridique:legal_aid:oujda sejour:legal_aid:nador emploi:employment:tiznit
hebergement:housing:berkane langue:education:agadir scolaire:education:taroudant
marocains:consular_mre:nador entreprise:investment_business:oujda emploi:education:ait-melloul"
mkdir -p "$B/search" "$B/case"
: >"$B/search/paths.txt"; PGB_SEARCH=(); i=0; hits=()
for s in $SEARCHES; do
	IFS=: read -r word term commune <<<"$s"
	path="/v1/cases/hsds/services?search=$word&taxonomy_term_id=$term&commune=$commune&per_page=20"
	echo "$path" >>"$B/search/paths.txt"
	total=$(curl -sS --fail "$BASE$path" | jq .total_items) || die "GET $path failed"
	[ "$total" -gt 0 ] || die "GET $path found nothing: the seed and the searches disagree"
	hits+=("$total")
	# the call the service makes: $1 principal ({} for the public),
	# $2 the query arguments and the negotiated language (mp/run.h)
	args=$(jq -nc --arg s "$word" --arg t "$term" --arg c "$commune" \
	    '{search: $s, taxonomy_term_id: $t, commune: $c, per_page: "20", lang: "fr"}')
	i=$((i + 1))
	printf "SELECT hsds_services('{}', '%s', NULL, NULL, 'bench');\n" "$args" >"$B/pgb/search-$i.sql"
	PGB_SEARCH+=(-f "$B/pgb/search-$i.sql")
done
SEARCH_BYTES=$(curl -s "$BASE$(head -1 "$B/search/paths.txt")" | wc -c)

# ---- the case reads: 100 cases of the officer's region ---------------------------
OFF=$(bench_token bench-officer council_officer)
P_OFF="{\"sub\":\"bench-officer\",\"roles\":[\"council_officer\"],\"region\":\"$BENCH_REGION\",\"commune\":\"\",\"org\":\"\"}"
q "SELECT id FROM cases WHERE region = '$BENCH_REGION' ORDER BY random() LIMIT 100" >"$B/case/ids.txt"
: >"$B/case/paths.txt"; PGB_CASE=(); i=0
while read -r id; do
	echo "/v1/cases/cases/$id" >>"$B/case/paths.txt"
	i=$((i + 1))
	printf "SELECT cases_case_get('%s', '{\"id\":\"%s\",\"lang\":\"fr\"}', NULL, NULL, 'bench');\n" \
	    "$P_OFF" "$id" >"$B/pgb/case-$i.sql"
	PGB_CASE+=(-f "$B/pgb/case-$i.sql")
done <"$B/case/ids.txt"
curl -sS --fail -H "Authorization: Bearer $OFF" "$BASE$(head -1 "$B/case/paths.txt")" >"$B/case/first.json" ||
	die "the officer cannot read a case of the region"
CASE_BYTES=$(wc -c <"$B/case/first.json")
audit0=$(q "SELECT count(*) FROM audit_log")

tps() { awk '/^tps = / {print $3}'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
WRK=(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --timeout 10s --latency -s bench/cases/paths.lua)
PGB=(pgbench -n -c "$CONNS" -j "$THREADS" -T "$DUR" -M extended)

# duel NAME TOKEN PGBENCH-FILES...: interleaved rounds, closed loop; writes
# $B/NAME/rounds (round, service req/s, pgbench tps, ratio, service p99)
duel() {
	local name=$1 tok=$2 r s p
	shift 2
	: >"$B/$name/rounds"
	for r in $(seq 1 "$ROUNDS"); do
		log "$name: round $r/$ROUNDS: wrk ${DUR}s, then pgbench ${DUR}s"
		BENCH_PATHS="$B/$name/paths.txt" BENCH_TOKEN="$tok" "${WRK[@]}" "$BASE/" >"$B/$name/wrk-$r.txt" 2>&1
		"${PGB[@]}" "$@" >"$B/$name/pgb-$r.txt" 2>&1
		s=$(rps <"$B/$name/wrk-$r.txt"); p=$(tps <"$B/$name/pgb-$r.txt")
		echo "$r $s $p $(ratio "$s" "$p") $(p99 <"$B/$name/wrk-$r.txt")" >>"$B/$name/rounds"
	done
}

# fixed_rate NAME RATE [openloop -H args] -- PGBENCH-FILES...: open loop at
# RATE (two runs, the second kept), then pgbench -R RATE; writes
# $B/NAME/openloop.txt and $B/NAME/pgbench-r.txt (one line of figures each)
fixed_rate() {
	local name=$1 rate=$2 hdr=()
	shift 2
	while [ "$1" != -- ]; do hdr+=("$1"); shift; done
	shift
	log "$name: open loop at $rate req/s (${DUR}s x 2), then pgbench -R $rate"
	"$OPENLOOP" -r "$rate" -d "$DUR" -c "$CONNS" "${hdr[@]}" -p "$B/$name/paths.txt" "$BASE/" >/dev/null 2>&1 || true
	"$OPENLOOP" -r "$rate" -d "$DUR" -c "$CONNS" "${hdr[@]}" -p "$B/$name/paths.txt" "$BASE/" 2>&1 |
	    tail -1 >"$B/$name/openloop.txt" || true
	pgbench_rate "$name" pgbench-r "$rate" "$@"
}

# pgbench_rate NAME OUT RATE PGBENCH-FILES...: pgbench -R RATE; the
# latencies of its log, per transaction from its scheduled start, as one
# line in $B/NAME/OUT.txt
pgbench_rate() {
	local name=$1 out=$2 rate=$3
	shift 3
	rm -f "$B/pgb/log-$name-$out".*
	"${PGB[@]}" -R "$rate" -l --log-prefix="$B/pgb/log-$name-$out" "$@" >"$B/$name/$out.log" 2>&1 || true
	cat "$B/pgb/log-$name-$out".* 2>/dev/null | awk '{print $3}' | sort -n | awk -v d="$DUR" '
	    { v[NR] = $1 / 1000 }
	    function p(q,  k) { k = int(q / 100 * NR + 0.5); if (k < 1) k = 1; if (k > NR) k = NR; return v[k] }
	    END { if (NR) printf "achieved %.1f p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f\n", NR / d, p(50), p(90), p(99), p(99.9), p(100) }' \
	    >"$B/$name/$out.txt"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
duel search "" "${PGB_SEARCH[@]}"
duel case "$OFF" "${PGB_CASE[@]}"
HALF_SEARCH=$(awk '{print $2}' "$B/search/rounds" | median | awk '{ printf "%d", $1 / 2 }')
HALF_CASE=$(awk '{print $2}' "$B/case/rounds" | median | awk '{ printf "%d", $1 / 2 }')
fixed_rate search "$HALF_SEARCH" -- "${PGB_SEARCH[@]}"
fixed_rate case "$HALF_CASE" -H "Authorization: Bearer $OFF" -- "${PGB_CASE[@]}"
# Where a request waits, at the same rates: the machine's floor (a
# round trip to PostgreSQL doing nothing), and the case read without its
# audit row (no write, no commit to flush)
echo "SELECT 1;" >"$B/pgb/nothing.sql"
pgbench_rate search floor "$HALF_SEARCH" -f "$B/pgb/nothing.sql"
pgbench_rate case floor "$HALF_CASE" -f "$B/pgb/nothing.sql"
PGB_CASE_RO=()
for f in "$B"/pgb/case-*.sql; do
	sed -E "s/^SELECT cases_case_get\('([^']*)', '\{\"id\":\"([^\"]*)\".*/SELECT c_case_json(c_case_for('\1', '\2'), true);/" \
	    "$f" >"${f%.sql}-ro.sql"
	PGB_CASE_RO+=(-f "${f%.sql}-ro.sql")
done
pgbench_rate case noaudit "$HALF_CASE" "${PGB_CASE_RO[@]}"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
audit1=$(q "SELECT count(*) FROM audit_log")

# report NAME TITLE RATE: the figures of one workload
report() {
	local name=$1 title=$2 rate=$3 med ol pg olp pgp
	med=$(awk '{print $4}' "$B/$name/rounds" | median)
	ol=$(cat "$B/$name/openloop.txt"); pg=$(cat "$B/$name/pgbench-r.txt")
	olp=$(field p99 <<<"$ol"); pgp=$(field p99 <<<"$pg")
	echo "$title"
	echo "   round  service req/s  pgbench tps  ratio  service p99 (closed loop, $CONNS connections)"
	while read -r r s p x l; do printf '   %5s  %13s  %11s  %5s  %s\n' "$r" "$s" "$p" "$x" "$l"; done <"$B/$name/rounds"
	for r in $(seq 1 "$ROUNDS"); do grep -E 'Socket errors|Non-2xx' "$B/$name/wrk-$r.txt" | sed 's/^ */   /' || true; done
	echo "   median ratio service/pgbench: $med   goal >= 0.7: $(yesno "$med" ">=" 0.7)"
	echo "   at $rate req/s (half the median maximum), open loop:"
	echo "     service : $ol"
	echo "     pgbench : -R $rate, the same calls: $pg"
	[ ! -s "$B/$name/noaudit.txt" ] ||
	    echo "     pgbench : -R $rate, the same reads without their audit row (no commit to flush): $(cat "$B/$name/noaudit.txt")"
	echo "     floor   : -R $rate, SELECT 1 (a round trip doing nothing, on this machine now): $(cat "$B/$name/floor.txt")"
	echo "     service p99 ${olp:-?} ms   goal < 10 ms: $(yesno "${olp:-1e9}" "<" 10)   (pgbench's p99 at the same rate: ${pgp:-?} ms; the floor's: $(field p99 <"$B/$name/floor.txt") ms)"
}

{
	echo "# make bench-cases: $(date -u +%FT%TZ)"
	echo "machine : $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo)"
	echo "sysload : load average (1, 5, 15 min) before the run $LOAD_BEFORE, after $LOAD_AFTER (shared machine: compare ratios, not absolute figures)"
	echo "versions: kore $(dpkg-query -W -f='${Version}' kore 2>/dev/null), $("$PG_BIN/postgres" --version), PostGIS $(q "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
	echo "service : $BUILD_DIR/cases.so, MP_WORKERS=$WORKERS, pools opened before serving (MP_DB_POOL_WARM), MP_LOG_LEVEL=warn"
	echo "data    : $n_services services and $n_sal service-at-locations (directory entries) in 17 communes;"
	echo "          $n_cases cases of $n_persons persons; seeded by SQL in ${seed_s}s (no case notes: they are sealed by the service)"
	echo "load    : $ROUNDS interleaved rounds of wrk -t$THREADS -c$CONNS -d${DUR}s then pgbench -c $CONNS -j $THREADS -T $DUR -M extended"
	echo "          running the same SQL call the service sends over the same rotation; then bench/openloop and pgbench -R"
	echo "          at half the median maximum, ${DUR}s each (latency from each request's scheduled time)"
	echo
	report search "search) GET /v1/cases/hsds/services?search=&taxonomy_term_id=&commune=&per_page=20 (public; 12 searches, $SEARCH_BYTES bytes for the first; matches: ${hits[*]})" "$HALF_SEARCH"
	echo
	report case "case) GET /v1/cases/cases/{id} (council officer of $BENCH_REGION; 100 cases, $CASE_BYTES bytes for the first; each read writes its audit row: $((audit1 - audit0)) rows during the run)" "$HALF_CASE"
	echo
	echo "commands (in $B; pgbench as role cases on 127.0.0.1:$PGP/cases):"
	echo "  BENCH_PATHS=search/paths.txt ${WRK[*]} $BASE/"
	echo "  ${PGB[*]} -f pgb/search-1.sql ... -f pgb/search-12.sql   # search-1.sql: $(cat "$B/pgb/search-1.sql")"
	echo "  BENCH_PATHS=case/paths.txt BENCH_TOKEN=<officer> ${WRK[*]} $BASE/"
	echo "  ${PGB[*]} -f pgb/case-1.sql ... -f pgb/case-100.sql   # case-1.sql: $(cat "$B/pgb/case-1.sql")"
	echo "  $OPENLOOP -r RATE -d $DUR -c $CONNS [-H 'Authorization: Bearer <officer>'] -p NAME/paths.txt $BASE/   (the second of two runs)"
	echo "  ${PGB[*]} -R RATE -l -f ...   (p99 of the per-transaction log)"
	echo "  ${PGB[*]} -R RATE -l -f pgb/nothing.sql   # the floor; and -f pgb/case-N-ro.sql: $(cat "$B/pgb/case-1-ro.sql")"
} | tee "$OUT"
