#!/usr/bin/env bash
# Installs the project's npm test tooling (validators, conformance audits, a
# browser driver) into tools/node/node_modules, exactly as package-lock.json
# pins it. Test tooling only: nothing here runs in production. Idempotent and
# quiet when the install is current. Prints the folder of the binaries.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D="$ROOT/tools/node"
stamp="$D/node_modules/.mp-installed"
if ! command -v npm >/dev/null; then
	echo "node-tools: npm is missing (scripts/deps.sh installs Debian's nodejs and npm)" >&2
	exit 1
fi
if [ ! -f "$stamp" ] || [ "$D/package-lock.json" -nt "$stamp" ]; then
	(cd "$D" && npm ci --no-audit --no-fund --loglevel=error >&2)
	touch "$stamp"
fi
echo "$D/node_modules/.bin"
