#!/usr/bin/env bash
# Regenerate the TEST-ONLY JWT signing keys in tests/keys/.
#
# These keys are committed so that unit suites, fuzz harnesses and local
# integration runs are reproducible without a key ceremony. They protect
# nothing: never configure a deployed gateway or service with them.
#
#   test-rs-1   RSA 2048, RS256 (the "current" key in the tests)
#   test-rs-2   RSA 2048, RS256 (a second key: rotation tests, wrong-key tests)
#   test-es-1   EC P-256, ES256
#
# For each kid: <kid>.key.pem (PKCS#8 private key) and <kid>.pub.pem
# (SubjectPublicKeyInfo public key, what the verifiers load).
#
# Usage: scripts/gen-test-keys.sh [output-dir]   (default: tests/keys)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$here/tests/keys}"
mkdir -p "$out"

command -v openssl >/dev/null || {
	echo "gen-test-keys: openssl CLI not found" >&2
	exit 1
}

gen_rsa() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$out/$1.key.pem" 2>/dev/null
	openssl pkey -in "$out/$1.key.pem" -pubout -out "$out/$1.pub.pem"
}

gen_ec() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-pkeyopt ec_param_enc:named_curve -out "$out/$1.key.pem" 2>/dev/null
	openssl pkey -in "$out/$1.key.pem" -pubout -out "$out/$1.pub.pem"
}

umask 077
gen_rsa test-rs-1
gen_rsa test-rs-2
gen_ec test-es-1
cat >"$out/README" <<'EOF'
TEST-ONLY keys, committed on purpose; regenerate with scripts/gen-test-keys.sh.
Never use them outside tests and local development.
  test-rs-1  RS256 (RSA 2048)    test-rs-1.key.pem / test-rs-1.pub.pem
  test-rs-2  RS256 (RSA 2048)    test-rs-2.key.pem / test-rs-2.pub.pem
  test-es-1  ES256 (EC P-256)    test-es-1.key.pem / test-es-1.pub.pem
EOF
chmod 0644 "$out"/*.pem "$out/README"
echo "gen-test-keys: wrote test-rs-1, test-rs-2, test-es-1 to $out"
