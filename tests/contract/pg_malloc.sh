#!/usr/bin/env bash
# PostgreSQL's backends run with fixed malloc thresholds (scripts/lib.sh,
# PG_MALLOC_TUNABLES_DEFAULT; the cause is explained there):
#   1. docker-compose.yml and every CloudNativePG cluster of the rendered
#      Kubernetes manifests set GLIBC_TUNABLES to that same value;
#   2. on the test cluster (started by scripts/test.sh with pg_start), a
#      backend whose history lowered glibc's adaptive thresholds (it freed a
#      mapped 200 KB block) builds a 1.3 MB answer five times without a page
#      fault: its heap is not given back between statements. With glibc's
#      defaults (PG_MALLOC_TUNABLES= scripts/test.sh ...) the same five
#      statements take about 4,900 faults here and this check fails.
set -uo pipefail
ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
. scripts/lib.sh
want=$PG_MALLOC_TUNABLES_DEFAULT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- 1. the deployments carry the same value ---------------------------------
got=$(python3 - docker-compose.yml <<'PY'
import re, sys
# the postgres service's environment, read without a YAML library
text = open(sys.argv[1]).read()
m = re.search(r'^  postgres:\n((?:    .*\n|\n)*)', text, re.M)
v = re.search(r'^      GLIBC_TUNABLES: "([^"]*)"', m.group(1), re.M) if m else None
print(v.group(1) if v else '')
PY
)
[ "$got" = "$want" ] || bad "docker-compose.yml: the postgres service's GLIBC_TUNABLES is '$got', scripts/lib.sh says '$want'"
if command -v kubectl >/dev/null; then
	k=$(kubectl kustomize deploy/kubernetes/overlays/dev) || bad "deploy/kubernetes/overlays/dev does not render"
	n=$(grep -c '^kind: Cluster$' <<<"$k")
	m=$(grep -A1 -- '- name: GLIBC_TUNABLES$' <<<"$k" | grep -cxF "    value: $want")
	[ "$n" -gt 0 ] && [ "$m" -eq "$n" ] ||
		bad "Kubernetes: $m of $n CloudNativePG clusters set GLIBC_TUNABLES=$want"
else
	bad "kubectl (with kustomize) is needed to render deploy/kubernetes"
fi

# ---- 2. the running cluster's backends keep their heap -------------------------
if [ -z "${MP_TEST_PG_PORT:-}" ]; then
	bad "MP_TEST_PG_PORT is not set (run through scripts/test.sh)"
else
	big="SELECT length(string_agg(md5(i::text), ',')) AS n FROM generate_series(1, 40000) i \\gset"
	out=$(PGPASSWORD=testapp-test-pw psql -X -q -At -v ON_ERROR_STOP=1 \
	    -h 127.0.0.1 -p "$MP_TEST_PG_PORT" -U testapp -d testapp 2>&1 <<SQL
SELECT pg_backend_pid() AS pid \\gset
\\setenv PID :pid
SELECT length(repeat('x', 200000)) AS history \\gset
$big
$big
\\! awk '{print "before", \$10}' /proc/\$PID/stat
$big
$big
$big
$big
$big
\\! awk '{print "after", \$10}' /proc/\$PID/stat
SQL
	)
	before=$(awk '$1 == "before" {print $2}' <<<"$out")
	after=$(awk '$1 == "after" {print $2}' <<<"$out")
	if [ -z "$before" ] || [ -z "$after" ]; then
		bad "could not read the backend's page faults: $out"
	else
		faults=$((after - before))
		# a few faults may come from elsewhere (catalog, stats); the
		# heap given back and taken again costs about 1,000 a statement
		if [ "$faults" -gt 100 ]; then
			bad "a backend took $faults page faults for five 1.3 MB answers: its heap goes back to the kernel between statements (is GLIBC_TUNABLES set for the postmaster?)"
		else
			echo "pg malloc: $faults page faults for five 1.3 MB answers in one backend"
		fi
	fi
fi
[ $fail -eq 0 ] && echo "pg malloc: docker-compose.yml, Kubernetes and scripts/lib.sh agree ($want)"
exit $fail
