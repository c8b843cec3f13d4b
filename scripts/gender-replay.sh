#!/usr/bin/env bash
# `make gender-replay`: rebuild the gender service's projections from the
# streams, on the platform `make up` started. The same request as the
# admin route POST /v1/gender/projection/rebuild: one SQL call writes
# gender.projection.rebuild_requested.v1 to the service's outbox; the
# service's own consumer then empties the projections and rewinds its
# groups on events:funding and events:cases. Waits for the new generation.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

V=${MP_VAR:-$ROOT/var}
[ -f "$V/pg.port" ] || die "no platform under $V: run make up first"
gen=$(PSQL_DB=gender psql_super "$V" -At -c \
	"SELECT gender_replay_request('make', NULL)->>'generation'")
log "rebuild of the gender projections requested (generation $gen)"
for _ in $(seq 1 100); do
	now=$(PSQL_DB=gender psql_super "$V" -At -c "SELECT generation FROM projection_state")
	if [ "$now" -ge "$gen" ]; then
		sleep 1 # the replay itself: the streams are applied again
		log "rebuilt: $(PSQL_DB=gender psql_super "$V" -At -c \
			"SELECT count(*) || ' facts from ' || (SELECT count(*) FROM inbox WHERE source IN ('urn:mp:funding', 'urn:mp:cases')) || ' events so far' FROM facts")"
		exit 0
	fi
	sleep 0.2
done
die "the gender service did not rebuild within 20 s (is it running? make logs)"
