#!/usr/bin/env bash
# Demo accounts and API client for a development platform, created through
# the gateway's admin API (so they obey the same rules as real ones).
# Idempotent: an account that exists (409) is left as it is.
#
#   scripts/demo-users.sh [GATEWAY_URL] [ADMIN_USER] [ADMIN_PASSWORD]
#   defaults: http://127.0.0.1:8080, and MP_BOOTSTRAP_ADMIN (admin:admin-password-2026)
#
# DEV ONLY: every demo account has the documented password
# "demo-password-2026". Never run this against a real deployment.
set -euo pipefail

BOOT=${MP_BOOTSTRAP_ADMIN:-admin:admin-password-2026}
GW=${1:-http://127.0.0.1:8080}
ADMIN_USER=${2:-${BOOT%%:*}}
ADMIN_PW=${3:-${BOOT#*:}}
DEMO_PW=demo-password-2026

say() { printf '%s\n' "$*" >&2; }

token=$(curl -sS --fail-with-body -X POST "$GW/auth/token" \
	--data-urlencode grant_type=password \
	--data-urlencode "username=$ADMIN_USER" \
	--data-urlencode "password=$ADMIN_PW" | jq -r .access_token) ||
	{ say "demo-users: cannot log in as $ADMIN_USER at $GW"; exit 1; }

# user NAME ROLE REGION [COMMUNE] [ORGANISATION]
user() {
	local body code
	body=$(jq -nc --arg u "$1" --arg p "$DEMO_PW" --arg role "$2" \
		--arg region "$3" --arg commune "${4:-}" --arg org "${5:-}" \
		'{username: $u, password: $p, roles: [$role]}
		 + (if $region == "" then {} else {region: $region} end)
		 + (if $commune == "" then {} else {commune: $commune} end)
		 + (if $org == "" then {} else {organisation: $org} end)')
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$GW/admin/users" \
		-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-d "$body")
	case $code in
	201) say "  created  $1 ($2${3:+, $3}${4:+, $4})" ;;
	409) say "  exists   $1" ;;
	*) say "  FAILED   $1: HTTP $code"; return 1 ;;
	esac
}

say "demo accounts (password: $DEMO_PW):"
user officer.souss council_officer souss-massa
user officer.oriental council_officer oriental
user appraiser.souss appraiser souss-massa
user appraiser.oriental appraiser oriental
# one ERC member per college; the college is the account's organisation
for r in souss:souss-massa oriental:oriental; do
	user "erc1.${r%%:*}" erc_member "${r#*:}" "" local_authority
	user "erc2.${r%%:*}" erc_member "${r#*:}" "" state_service
	user "erc3.${r%%:*}" erc_member "${r#*:}" "" civil_society
done
user agent.souss municipal_agent souss-massa agadir
user agent.oriental municipal_agent oriental oujda
user mediator.souss mediator souss-massa "" demo-association
user mediator.oriental mediator oriental "" demo-association-oujda
user agent2.souss municipal_agent souss-massa inezgane
user analyst.souss gender_analyst souss-massa
user analyst.oriental gender_analyst oriental
user applicant.souss applicant souss-massa
user applicant.oriental applicant oriental
user admin admin ""

# the demo mobile app: its secret is shown once, at creation
resp=$(curl -sS -w '\n%{http_code}' -X POST "$GW/admin/clients" \
	-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d '{"client_id":"demo-mobile","name":"Demo mobile app","scopes":["funding:read","cases:read","gender:read"]}')
case ${resp##*$'\n'} in
201) say "  created  API client demo-mobile, secret (shown once): $(jq -r .client_secret <<<"${resp%$'\n'*}")" ;;
409) say "  exists   API client demo-mobile (its secret was shown when it was created)" ;;
*) say "  FAILED   API client demo-mobile: HTTP ${resp##*$'\n'}"; exit 1 ;;
esac
