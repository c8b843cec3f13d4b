#!/usr/bin/env bash
# `make chaos` (not part of `make test`): the whole platform under a write
# load through the gateway while, in turn, the gateway, each service, Redis
# and PostgreSQL are killed with SIGKILL and started again. Then:
#   - every acknowledged write exists exactly once (none lost, none doubled:
#     the writer retries with the same Idempotency-Key, as clients should);
#   - every event reached every consumer group (outbox drained, nothing
#     pending or lagging in any group, each application's creation event
#     in the stream exactly once);
#   - the gateway's cache serves nothing stale beyond its TTL after a change;
#   - the recovery time of each fault (kill -> the first write acknowledged
#     after the restart).
# Figures go to bench/results/chaos.txt. A platform of its own under
# var/chaos on free ports, beside `make up` and `make test`.
#   CHAOS_GAP=8 (seconds between faults)  CHAOS_CONC=4 (writers)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

V="$ROOT/var/chaos"
GAP=${CHAOS_GAP:-8}
CONC=${CHAOS_CONC:-4}
FAULTS=(gateway funding cases gender redis postgres)
OUT=bench/results/chaos.txt

export MP_VAR=$V
MP_VAR=$V scripts/down.sh >/dev/null 2>&1
rm -rf "$V"
base=$(free_port)
while ss -Htan "sport >= :$base and sport <= :$((base + 3))" | grep -q .; do base=$(free_port); done
export MP_PORT_BASE=$base MP_PG_PORT=$(free_port) MP_REDIS_PORT=$(free_port)
# the load is one applicant writing as fast as it can: production's write
# limit (60 a minute per user) would turn the run into a test of 429s
export MP_RATE_LIMITS="auth=600/60,write=1000000/60,default=1000000/60"
GW="http://127.0.0.1:$base"
trap 'MP_VAR=$V scripts/down.sh >/dev/null 2>&1' EXIT

log "chaos: platform under $V (gateway $GW)"
scripts/up.sh >"$V.up.log" 2>&1 || { tail -30 "$V.up.log"; die "make up failed"; }
BIN=$(scripts/node-tools.sh) || die "npm test tools"

tok() { curl -s -X POST "$GW/auth/token" -d grant_type=password -d "username=$1" \
	-d password=demo-password-2026 | jq -r .access_token; }
APP=$(tok applicant.souss)
CALL=$(curl -s "$GW/v1/funding/calls?region=souss-massa&status=published" \
	-H "Authorization: Bearer $APP" | jq -r '.items[0].id')
[ -n "$APP" ] && [ "$APP" != null ] && [ -n "$CALL" ] && [ "$CALL" != null ] ||
	die "no applicant token or published call (demo data)"

# restart NAME: start a killed process again exactly as make up did
restart() {
	local name=$1
	case $name in
	redis) redis_start "$V" "$MP_REDIS_PORT" ;;
	postgres) pg_start "$V" "$MP_PG_PORT" ;;
	*)
		(
			set -a; . "$V/run/$name.env"; set +a
			exec setsid kore -c "$conf" -f -n -r >>"$V/log/$name.log" 2>&1
		) &
		echo $! >"$V/run/$name.pid" ;;
	esac
}
# kill9 NAME: SIGKILL the process (and its workers) with no warning
kill9() {
	local name=$1 pid
	case $name in
	redis) pid=$(cat "$V/redis/redis.pid") ;;
	postgres) pid=$(head -1 "$(readlink -f "$V/pg")/postmaster.pid") ;;
	*) pid=$(cat "$V/run/$name.pid") ;;
	esac
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
	# PostgreSQL's children go with the postmaster's group; the kill is
	# complete once the port is free
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

now_ms() { date +%s%3N; }
DUR=$(( (${#FAULTS[@]} + 2) * GAP ))
log "chaos: $CONC writers for ${DUR}s, a fault every ${GAP}s: ${FAULTS[*]}"
node tests/chaos/writer.mjs "$GW" "$APP" "$CALL" agadir "$DUR" "$CONC" >"$V/writes.jsonl" &
WPID=$!
: >"$V/faults.txt"
sleep "$GAP"
for f in "${FAULTS[@]}"; do
	t_kill=$(now_ms)
	kill9 "$f"
	sleep 1
	restart "$f" >/dev/null 2>&1
	t_restart=$(now_ms)
	echo "$f $t_kill $t_restart" >>"$V/faults.txt"
	log "chaos: killed and restarted $f"
	sleep "$((GAP - 1))"
done
# the token outlives the run (15 min); the writer finishes its retries
wait "$WPID"
log "chaos: load done; checking"

# ---- checks --------------------------------------------------------------
PG_DIR=$(readlink -f "$V/pg")
q() { PSQL_DB=$1 psql_super "$V" -At -c "$2"; }
for _ in $(seq 1 60); do  # the outbox drains once Redis and the relay are back
	[ "$(q funding "SELECT count(*) FROM outbox WHERE sent_at IS NULL" 2>/dev/null)" = 0 ] && break
	sleep 1
done

acked=$(jq -r 'select(.t_ack != null) | .id' "$V/writes.jsonl" | sort -u)
n_acked=$(grep -c . <<<"$acked")
n_total=$(grep -c . "$V/writes.jsonl")
n_refused=$(jq -r 'select(.t_ack == null) | .status' "$V/writes.jsonl" | grep -c .)
retried=$(jq -r 'select(.attempts > 1) | .key' "$V/writes.jsonl" | grep -c .)
# the acknowledged ids go in through COPY (thousands: too long for -c)
found=$({ echo "CREATE TEMP TABLE acked (id uuid PRIMARY KEY);"; echo "COPY acked FROM STDIN;"
	cat <<<"$acked"; printf '%s\n' '\.'
	echo "SELECT count(*) FROM applications JOIN acked USING (id);"; } | PSQL_DB=funding psql_super "$V" -At)
lost=$((n_acked - found))
dups=$(q funding "SELECT count(*) FROM (SELECT title->>'fr' FROM applications
	WHERE title->>'fr' LIKE 'chaos %' GROUP BY 1 HAVING count(*) > 1) d")
in_db=$(q funding "SELECT count(*) FROM applications WHERE title->>'fr' LIKE 'chaos %'")
outbox=$(q funding "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
R() { redis-cli -p "$MP_REDIS_PORT" "$@"; }
# each chaos application's creation event, exactly once in the stream
ev_dups=$(R --raw XRANGE events:funding - + | grep -o '"type":"funding.application.created.v1"[^}]*"subject":"[^"]*"' |
	grep -o '"subject":"[^"]*"' | sort | uniq -d | grep -c .)
ev_count=$(R --raw XRANGE events:funding - + | grep -c '"type":"funding.application.created.v1"')
# every consumer group of every stream: nothing pending, nothing undelivered
groups=""; lagging=0
for _ in $(seq 1 60); do
	lagging=0; groups=""
	for s in $(R --raw KEYS 'events:*' | grep -v ':dead$'); do
		while read -r g pend lag; do
			groups="$groups $s/$g"
			[ "$pend" = 0 ] && { [ "$lag" = 0 ] || [ -z "$lag" ]; } || lagging=$((lagging + 1))
		done < <(R --raw XINFO GROUPS "$s" | awk 'prev=="name"{n=$0} prev=="pending"{p=$0} prev=="lag"{print n, p, $0} {prev=$0}')
	done
	[ "$lagging" = 0 ] && break
	sleep 1
done
dead=0
for s in $(R --raw KEYS 'events:*:dead'); do dead=$((dead + $(R XLEN "$s"))); done

# cache: a change is visible through the gateway within the cache TTL
id1=$(head -1 <<<"$acked")
curl -s "$GW/v1/funding/applications/$id1" -H "Authorization: Bearer $APP" >/dev/null
etag=$(curl -s -D - -o /dev/null "$GW/v1/funding/applications/$id1" -H "Authorization: Bearer $APP" |
	tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
t0=$(now_ms)
curl -s -o /dev/null -X PATCH "$GW/v1/funding/applications/$id1" -H "Authorization: Bearer $APP" \
	-H "If-Match: $etag" -H 'Content-Type: application/json' -d '{"summary":{"fr":"chaos changed"}}'
stale_ms=-1
for _ in $(seq 1 400); do
	if curl -s "$GW/v1/funding/applications/$id1" -H "Authorization: Bearer $APP" |
		jq -e '.summary.fr == "chaos changed"' >/dev/null; then stale_ms=$(( $(now_ms) - t0 )); break; fi
	sleep 0.1
done

# recovery per fault: kill -> first write acknowledged after the restart
recov=""
while read -r f tk tr; do
	first=$(jq -r --argjson t "$tr" 'select(.t_ack != null and .t_ack > $t) | .t_ack' "$V/writes.jsonl" | sort -n | head -1)
	recov="$recov$(printf '  %-9s %6s ms\n' "$f" "$([ -n "$first" ] && echo $((first - tk)) || echo never)")\n"
done <"$V/faults.txt"

verdict=PASS
[ "$lost" = 0 ] && [ "$dups" = 0 ] && [ "$ev_dups" = 0 ] && [ "$outbox" = 0 ] &&
	[ "$lagging" = 0 ] && [ "$stale_ms" -ge 0 ] && [ "$stale_ms" -le 30000 ] || verdict=FAIL
{
	echo "== make chaos, $(date -u +%FT%TZ), $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "faults (SIGKILL, restart 1 s later, every ${GAP} s): ${FAULTS[*]}; $CONC writers with Idempotency-Key retries"
	echo "writes: $n_total finished, $n_acked acknowledged, $n_refused refused or given up, $retried needed a retry"
	echo "acknowledged and lost: $lost; duplicated (same key twice in the database): $dups; chaos rows in the database: $in_db"
	echo "events: outbox undelivered $outbox; application.created in the stream $ev_count (duplicated subjects: $ev_dups)"
	echo "consumer groups:${groups:- none}; pending or lagging: $lagging; dead-lettered: $dead"
	echo "cache: a change seen through the gateway after $stale_ms ms (TTL 30000 ms)"
	echo "recovery (kill -> first acknowledged write after the restart):"
	printf '%b' "$recov"
	echo "verdict: $verdict"
} | tee -a "$OUT"
[ "$verdict" = PASS ]
