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
#      serving. Only the listen address is moved to a free loopback port.
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

conf_of() { # deployment name -> Kore config
	case $1 in gateway) echo gateway/conf/gateway.conf ;; *) echo "services/$1/conf/$1.conf" ;; esac
}
fail=0; n=0
for envf in "$T"/env/*.env; do
	name=$(basename "$envf" .env)
	mapfile -t vars <"$envf"
	port=$(free_port)
	out=$(env -i PATH="$PATH" "${vars[@]}" MP_HTTP_HOST=127.0.0.1 MP_HTTP_PORT="$port" \
	    MP_OPENAPI_DIR="$ROOT/openapi" timeout 4 kore -c "$(conf_of "$name")" -f -n -r 2>&1)
	if grep -q '^config:' <<<"$out" || ! grep -q 'serving http on' <<<"$out"; then
		echo "FAIL: $name does not start with its pod's environment:"
		grep -v privsep <<<"$out" | grep -E 'config:|error|fatal' | head -5 | sed 's/^/  /'
		fail=1
	fi
	n=$((n + 1))
done
[ $fail -eq 0 ] && echo "kubernetes: dev overlay renders and validates; $n processes accept their pod's environment"
exit $fail
