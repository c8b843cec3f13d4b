#!/usr/bin/env bash
# A missing or malformed variable stops start-up with one clear line naming it.
set -uo pipefail
cd "$MP_TEST_ROOT"
fail=0
expect() { # description expected-substring env...
	local what=$1 want=$2; shift 2
	out=$(env -i PATH="$PATH" "$@" timeout 20 kore -c services/funding/conf/funding.conf -f -n -r 2>&1)
	rc=$?
	if [ $rc -eq 0 ] || ! grep -q -- "$want" <<<"$out"; then
		echo "FAIL: $what: rc=$rc, output: $(grep -v privsep <<<"$out" | head -3)"; fail=1
	fi
}
expect "missing port" "MP_HTTP_PORT is required"
expect "bad port" "MP_HTTP_PORT" MP_HTTP_PORT=abc
expect "missing db url" "MP_DB_URL is required" MP_HTTP_PORT=1
expect "bad workers" "MP_WORKERS" MP_HTTP_PORT=1 MP_WORKERS=0 MP_DB_URL=postgresql://x@127.0.0.1:1/x MP_REDIS_URL=redis://127.0.0.1:1
[ $fail -eq 0 ] && echo "config errors: 4 cases stop start-up with a line naming the variable"
exit $fail
