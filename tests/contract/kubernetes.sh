#!/usr/bin/env bash
# The Kubernetes manifests, checked without a cluster:
#   1. `kubectl kustomize` renders the dev overlay (and the base);
#   2. tests/kubernetes/check.mjs validates every object against the
#      Kubernetes API schemas (npm kubernetes-models) and the platform's
#      rules (probes, ports, grace period, security context, HPA and PDB,
#      references to ConfigMaps, Secrets and clusters, default deny);
#   3. each Deployment's process is started with exactly the environment its
#      pod would get: its own configuration table must accept it (every
#      required variable set, every value well-formed) and it must start
#      serving. Only the listen addresses are moved to free loopback ports.
set -uo pipefail
ROOT=${MP_TEST_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
. scripts/lib.sh
K=deploy/kubernetes
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

command -v kubectl >/dev/null || { echo "FAIL: kubectl (with kustomize) is needed to render $K"; exit 1; }
scripts/node-tools.sh >/dev/null || exit 1
kubectl kustomize "$K/base" >"$T/base.yaml" || { echo "FAIL: $K/base does not render"; exit 1; }
kubectl kustomize "$K/overlays/dev" >"$T/dev.yaml" || { echo "FAIL: $K/overlays/dev does not render"; exit 1; }
node tests/kubernetes/check.mjs "$T/env" <"$T/dev.yaml" || exit 1

conf_of() { # deployment name -> Kore config loading the module under test
	local c
	case $1 in gateway) c=gateway/conf/gateway.conf ;; *) c="services/$1/conf/$1.conf" ;; esac
	sed "s#^load[[:space:]]*\./build/#load ${MP_TEST_BUILD:-$ROOT/build}/#" "$c" >"$T/$1.conf"
	echo "$T/$1.conf"
}
fail=0; n=0
for envf in "$T"/env/*.env; do
	name=$(basename "$envf" .env)
	mapfile -t vars <"$envf"
	port=$(free_port); : >"$T/$name.out"
	ops=() # the gateway's ops listener moves too
	grep -q '^MP_OPS_PORT=' "$envf" && ops=(MP_OPS_PORT="$(free_port)")
	env -i PATH="$PATH" "${vars[@]}" MP_HTTP_HOST=127.0.0.1 MP_HTTP_PORT="$port" "${ops[@]}" \
	    MP_OPENAPI_DIR="$ROOT/openapi" ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
	    setsid kore -c "$(conf_of "$name")" -f -n -r >"$T/$name.out" 2>&1 &
	pid=$!
	# until it serves, exits, or 15 s have passed: a process that is still
	# up without a configuration error has accepted its environment (one
	# whose start-up waits for a database it cannot reach here, like the
	# gateway's, never gets to serving)
	for _ in $(seq 1 75); do
		grep -q 'serving http on' "$T/$name.out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	alive=0; kill -0 "$pid" 2>/dev/null && alive=1
	kill -KILL -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	out=$(cat "$T/$name.out")
	if grep -q '^config:' <<<"$out" || { [ $alive -eq 0 ] && ! grep -q 'serving http on' <<<"$out"; }; then
		echo "FAIL: $name does not start with its pod's environment:"
		grep -v privsep <<<"$out" | grep -E 'config:|error|fatal' | head -5 | sed 's/^/  /'
		fail=1
	fi
	n=$((n + 1))
done
[ $fail -eq 0 ] && echo "kubernetes: dev overlay renders and validates; $n processes accept their pod's environment"
exit $fail
