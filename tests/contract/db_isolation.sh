#!/usr/bin/env bash
# Each service's login role connects to its own database and to no other.
set -uo pipefail
fail=0
for a in funding cases gender gateway; do
	for b in funding cases gender gateway; do
		url="postgresql://$a:$a-test-pw@127.0.0.1:$MP_TEST_PG_PORT/$b"
		if psql -X -q -At "$url" -c 'SELECT 1' >/dev/null 2>&1; then ok=1; else ok=0; fi
		if [ "$a" = "$b" ] && [ $ok -ne 1 ]; then echo "FAIL: $a cannot reach its own database"; fail=1; fi
		if [ "$a" != "$b" ] && [ $ok -ne 0 ]; then echo "FAIL: $a can connect to $b"; fail=1; fi
	done
done
[ $fail -eq 0 ] && echo "db isolation: 16 role/database pairs as expected"
exit $fail
