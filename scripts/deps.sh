#!/usr/bin/env bash
# Install the Debian 12 packages the platform needs to build, test and run.
# Idempotent: does nothing (and needs no root) when everything is present.
set -euo pipefail

PKGS=(
	build-essential pkg-config kore
	libpq-dev postgresql-15 postgresql-contrib
	redis-server libhiredis-dev
	libjwt-dev libjansson-dev libcurl4-openssl-dev libsodium-dev libssl-dev
	check libsubunit-dev
	openssl curl wrk jq procps iproute2 ca-certificates
	# test tooling: pgTAP and its pg_prove for SQL functions, PostGIS for the directory's
	# distance search, a real browser for CORS and pages, SVG rasterising
	postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
	postgresql-15-postgis-3 chromium librsvg2-bin
	# promtool, for the alert rules in deploy/prometheus
	prometheus
	# the gender suite compares a rasterised chart pixel by pixel
	libpng-dev
)
# npm test tools (scripts/node-tools.sh) need Node.js; Debian's when absent
command -v npm >/dev/null || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d keeps Debian from starting its own PostgreSQL/Redis services;
# the platform runs private instances under ./var.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
