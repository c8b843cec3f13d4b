#!/usr/bin/env bash
# The monitoring files in deploy/prometheus: promtool (Debian's prometheus
# package) accepts the scrape configuration and the alert rules, and every
# metric an alert names is one the processes really export (its name is
# written in the C sources), so a renamed metric cannot leave an alert
# that never fires.
set -uo pipefail
ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
P=deploy/prometheus
command -v promtool >/dev/null || { echo "FAIL: promtool missing (Debian package prometheus, scripts/deps.sh)"; exit 1; }
promtool check config "$P/prometheus.yml" >/dev/null || { promtool check config "$P/prometheus.yml"; exit 1; }
promtool check rules "$P/rules.yml" >/dev/null || { promtool check rules "$P/rules.yml"; exit 1; }
fail=0; n=0
# metric names in the expressions: mp_* and gw_* identifiers, without the
# histogram suffixes Prometheus adds
for m in $(grep -E '^\s+expr:|^\s{10}' "$P/rules.yml" | grep -oE '\b(mp|gw)_[a-z_]+' | sort -u); do
	base=${m%_bucket}; base=${base%_count}; base=${base%_sum}
	n=$((n + 1))
	if ! grep -rqF "\"$base" lib/src gateway/src services/*/src 2>/dev/null; then
		echo "FAIL: alert rule uses $m, which no process exports"; fail=1
	fi
done
[ $fail -eq 0 ] && echo "prometheus: config and rules accepted by promtool; $n metric names used by alerts all exported"
exit $fail
