#!/usr/bin/env bash
# Demo service directory of Agadir (Souss-Massa) and Oujda (Oriental),
# created through the gateway by the demo officers of scripts/demo-users.sh
# (scripts/load-directory.sh, data in scripts/demo/directory.json: real
# kinds of services, invented names, addresses and numbers). Idempotent.
#
#   scripts/demo-directory.sh [GATEWAY_URL]
set -euo pipefail

GW=${1:-http://127.0.0.1:8080}
PW=demo-password-2026

. "$(dirname "$0")/demo-lib.sh"

"$(dirname "$0")/load-directory.sh" "$GW" "$(token officer.souss)" "$(token officer.oriental)"
