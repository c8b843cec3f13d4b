#!/usr/bin/env bash
# `make bench-gender`: the gender service's projection and its queries, in
# one run on this machine (shared and noisy: the ratios are what counts).
#   a) ingestion: BENCH_EVENTS (20000) application events committed at once
#      to funding's outbox (mp_emit, as funding's SQL writes them); funding's
#      relay publishes them to events:funding and gender's consumer applies
#      them: events applied per second, from the commit to the last one;
#   b) end-to-end lag at 1,000 events/s: pgbench -R 1000 commits one event
#      per transaction into funding's outbox for BENCH_SECONDS; for each
#      event, the time from its commit (the outbox id is a UUIDv7 taken at
#      insert) to gender's transaction applying it (inbox.received_at):
#      p50, p99, max. funding's relay sweeps every 20 ms here (no worker
#      pokes it: the writes do not come through its HTTP handlers);
#   c) an indicator query over BENCH_FACTS (1,000,000) projected facts with
#      four dimensions (region, quarter, age band, beneficiary type; women
#      and men as columns), GET through the service (disclosure control
#      and audit included) against the same aggregate run in psql: the
#      median of 7 runs each, and the ratio.
# Results overwrite bench/results/gender.txt and are printed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

B="$ROOT/var/bench-gender"; OUT=bench/results/gender.txt
BUILD_DIR=${BENCH_BUILD:-build-bench}
NEV=${BENCH_EVENTS:-20000}
DUR=${BENCH_SECONDS:-10}
NFACTS=${BENCH_FACTS:-1000000}

for c in pgbench kore curl jq psql; do
	command -v "$c" >/dev/null || die "$c not found (scripts/deps.sh installs it)"
done
for m in funding gender; do
	[ -f "$BUILD_DIR/$m.so" ] || die "$BUILD_DIR/$m.so missing"
done

bench_traps "$B"
mkdir -p "$B/log"
PGP=$(free_port); RP=$(free_port); FP=$(free_port); GP=$(free_port)
pg_start "$B" "$PGP"; redis_start "$B" "$RP"
bench_start_funding "$B" "$BUILD_DIR" "$PGP" "$RP" "$FP" 2 MP_OUTBOX_SWEEP_MS=20
pg_create_db "$B" gender "$BENCH_PW"
sed "s#^load .*#load $ROOT/$BUILD_DIR/gender.so#" services/gender/conf/gender.conf >"$B/gender.conf"
# shellcheck disable=SC2046
env $(bench_common_env "$RP" 2) MP_HTTP_PORT="$GP" \
    MP_DB_URL="postgresql://gender:$BENCH_PW@127.0.0.1:$PGP/gender" \
    MP_MIGRATIONS_DIR=services/gender/migrations \
    kore -c "$B/gender.conf" -f -n -r >"$B/log/gender.log" 2>&1 &
PIDS+=($!)
wait_ready "http://127.0.0.1:$GP/readyz" 60 || { tail -20 "$B/log/gender.log" >&2; die "gender not ready"; }

fq() { PGPASSWORD=$BENCH_PW psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGP" -U funding -d funding "$@"; }
gq() { PGPASSWORD=$BENCH_PW psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGP" -U gender -d gender "$@"; }
now_ms() { date +%s%3N; }
applied() { gq -c "SELECT count(*) FROM inbox WHERE source = 'urn:mp:funding'"; }

# one application event as funding writes it (ApplicationStats + status)
EVENT_SQL="SELECT mp_emit('funding.application.submitted.v1', NULL, jsonb_build_object(
  'application_id', gen_random_uuid(), 'call_id', gen_random_uuid(),
  'region', (ARRAY['souss-massa','oriental'])[1 + (random() * 1)::int],
  'commune', (ARRAY['agadir','oujda','nador','tiznit'])[1 + (random() * 3)::int],
  'theme', 'economic', 'applicant_type', 'mre',
  'holder_sex', (ARRAY['female','male'])[1 + (random() * 1)::int], 'holder_age_band', '25-34',
  'requested_minor', 100000, 'gender_marker', 1, 'beneficiaries_female', 10,
  'beneficiaries_male', 5, 'from', 'draft', 'to', 'submitted'), NULL)"

# ---- a) ingestion ---------------------------------------------------------------
log "a) $NEV events committed at once to funding's outbox"
base=$(applied)
t0=$(now_ms)
fq -c "$EVENT_SQL FROM generate_series(1, $NEV)" >/dev/null
while [ "$(applied)" -lt $((base + NEV)) ]; do
	sleep 0.05
	[ $(($(now_ms) - t0)) -lt 300000 ] || die "ingestion did not finish in 300 s"
done
t1=$(now_ms)
INGEST_MS=$((t1 - t0))
INGEST_RATE=$((NEV * 1000 / INGEST_MS))

# ---- b) lag at 1,000 events/s -------------------------------------------------------
log "b) 1,000 events/s for ${DUR}s (pgbench -R 1000)"
echo "$EVENT_SQL;" >"$B/event.sql"
mark=$(gq -c "SELECT now()")
base=$(applied)
PGPASSWORD=$BENCH_PW pgbench -n -h 127.0.0.1 -p "$PGP" -U funding -c 4 -j 2 -R 1000 \
	-T "$DUR" -f "$B/event.sql" funding >"$B/pgbench.txt" 2>&1
sent=$(awk '/number of transactions actually processed/ {print $NF}' "$B/pgbench.txt" | cut -d/ -f1)
while [ "$(applied)" -lt $((base + sent)) ]; do sleep 0.1; done
LAG=$(gq -c "WITH l AS (SELECT extract(epoch FROM received_at) * 1000
    - ('x' || replace(left(event_id, 13), '-', ''))::bit(48)::bigint AS ms
  FROM inbox WHERE received_at >= '$mark' AND source = 'urn:mp:funding')
  SELECT count(*) || ' ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) || ' '
    || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)) || ' ' || round(max(ms)) FROM l")
read -r LAG_N LAG_P50 LAG_P99 LAG_MAX <<<"$LAG"

# ---- c) a query over 1M facts ---------------------------------------------------------
log "c) $NFACTS projected facts, then the query through the service and in psql"
gq -c "INSERT INTO facts (kind, subject, region, province, commune, day, sex, age_band,
    beneficiary_type, gender_marker, amount, event_id)
  SELECT 'application_submitted', 'bench-' || i,
    (ARRAY['souss-massa','oriental'])[1 + i % 2],
    (ARRAY['agadir-ida-ou-tanane','oujda-angad'])[1 + i % 2],
    (ARRAY['agadir','oujda'])[1 + i % 2],
    date '2027-01-01' + (i % 365), (ARRAY['female','male'])[1 + (i / 7) % 2],
    (ARRAY['18-24','25-34','35-49','50-64','65+'])[1 + (i / 3) % 5],
    (ARRAY['mre','regularised_migrant','association','cooperative','commune'])[1 + (i / 11) % 5],
    i % 3, 1000, 'bench'
  FROM generate_series(1, $NFACTS) i" >/dev/null
gq -c "ANALYZE facts" >/dev/null
URL="http://127.0.0.1:$GP/v1/gender/indicators/women_applicants?dimension=region&dimension=period:2027Q1;2027Q2;2027Q3;2027Q4&dimension=age_band&dimension=beneficiary_type"
SQL="SELECT region, g_period(day, 'quarterly'), age_band, beneficiary_type, sex, count(*)
  FROM facts WHERE kind = 'application_submitted' AND sex IN ('female', 'male')
    AND day >= '2027-01-01' AND day < '2028-01-01'
  GROUP BY 1, 2, 3, 4, 5"
rows=$(curl -sS "$URL" | jq '.rows | length')
http=(); sql=()
for _ in 1 2 3 4 5 6 7; do
	http+=("$(curl -sS -o /dev/null -w '%{time_total}' "$URL" | awk '{printf "%.1f", $1 * 1000}')")
	sql+=("$(gq -c '\timing on' -c "$SQL" | awk '/^Time:/ {print $2}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
HTTP_MS=$(median "${http[@]}"); SQL_MS=$(median "${sql[@]}")
RATIO=$(awk -v a="$HTTP_MS" -v b="$SQL_MS" 'BEGIN {printf "%.2f", a / b}')

{
	echo "bench-gender $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores (shared machine), $(git rev-parse --short HEAD)"
	echo "a) ingestion: $NEV events committed at once to funding's outbox, relayed and applied by gender"
	echo "   (one transaction per read of up to 256: inbox rows + facts; an invalidation event per region and month pending): ${INGEST_MS} ms,"
	echo "   $INGEST_RATE events/s applied"
	echo "b) 1,000 events/s for ${DUR}s (pgbench -R 1000 -c 4, one event per commit), $LAG_N events:"
	echo "   funding commit -> gender applied: p50 ${LAG_P50} ms, p99 ${LAG_P99} ms, max ${LAG_MAX} ms"
	echo "   (funding relay sweep 20 ms; in production the writing worker pokes it)"
	echo "c) women_applicants by region x quarter x age band x beneficiary type (women/men columns),"
	echo "   $NFACTS facts, $rows rows, public (suppression + audit), median of 7:"
	echo "   GET through the service ${HTTP_MS} ms vs the same aggregate in psql ${SQL_MS} ms: ratio $RATIO"
	echo "   all HTTP runs (ms): ${http[*]}"
	echo "   all psql runs (ms): ${sql[*]}"
} | tee "$OUT"
