#!/usr/bin/env bash
# `make fuzz`: build every tests/fuzz harness with libFuzzer and run each
# for FUZZ_SECONDS (default 30). Needs clang (installed if missing).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
command -v clang >/dev/null || { apt-get install -y -qq clang >/dev/null; }
SECS=${FUZZ_SECONDS:-30}
mkdir -p build/fuzz
CORE=$(ls lib/src/core/*.c)
for h in tests/fuzz/fuzz_*.c; do
	n=$(basename "$h" .c)
	GW=; case $n in fuzz_gw_*) GW=$(make -s --no-print-directory print-pure-gateway) ;; esac
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Ilib/include -Igateway/src \
	    -I/usr/include/postgresql -o "build/fuzz/$n" "$h" $CORE $GW \
	    -ljansson -ljwt -lsodium -lhiredis -lpq -lcrypto -lm -lpthread
	mkdir -p "var/fuzz/$n"
	# seeds: the GraphQL corpus of the differential test
	SEEDS=; [ "$n" = fuzz_gw_graphql ] && SEEDS=tests/graphql/spec/corpus
	log "fuzzing $n for ${SECS}s"
	MP_FUZZ_KEYS="$ROOT/tests/keys" "build/fuzz/$n" -max_total_time="$SECS" "var/fuzz/$n" $SEEDS >"var/fuzz/$n.log" 2>&1 \
	    || { tail -30 "var/fuzz/$n.log"; die "$n found a problem"; }
done
log "fuzzing done"
