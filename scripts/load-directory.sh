#!/usr/bin/env bash
# Loads a service directory (scripts/demo/directory.json by default) through
# the cases service's officers' API, so every rule of the service applies:
# each organisation with its locations, its services (taxonomy terms,
# languages, documents, schedules) and the services offered at their
# locations ("at": location keys). An organisation whose French name is
# already in the directory is left alone (idempotent).
#
#   scripts/load-directory.sh BASE_URL SOUSS_TOKEN ORIENTAL_TOKEN [FILE]
#
# BASE_URL is the gateway or the cases service itself; the tokens are
# council officers' of Souss-Massa and Oriental (scripts/demo-directory.sh
# signs them in; the HSDS contract test mints them).
set -euo pipefail

BASE=$1
declare -A TOKEN=([souss-massa]=$2 [oriental]=$3)
FILE=${4:-$(dirname "$0")/demo/directory.json}

say() { printf '%s\n' "$*" >&2; }

# api TOKEN METHOD PATH [JSON] -> body; fails loudly on an unexpected status
api() {
	local tok=$1 method=$2 path=$3 body=${4:-} out code data=()
	[ "$method" = GET ] || data=(--data-binary "$body")
	out=$(mktemp)
	code=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$BASE$path" \
		-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		"${data[@]}")
	if [ "${code:0:1}" != 2 ]; then
		say "load-directory: $method $path -> $code: $(cat "$out")"
		rm -f "$out"
		return 1
	fi
	cat "$out"
	rm -f "$out"
}

# exists TOKEN NAME_FR -> 0 when an organisation of that exact French name
# exists (fails the script when the directory cannot be read)
exists() {
	local page
	page=$(curl -sS --fail-with-body -G "$BASE/v1/cases/hsds/organizations" \
		-H "Authorization: Bearer $1" --data-urlencode "search=$2" \
		--data-urlencode per_page=200) || { say "load-directory: cannot read the directory: $page"; exit 1; }
	jq -e --arg n "$2" '[.contents[].translations.name.fr] | index($n) != null' <<<"$page" >/dev/null
}

n_org=$(jq '.organizations | length' "$FILE")
created=0; kept=0
for ((i = 0; i < n_org; i++)); do
	org=$(jq -c ".organizations[$i]" "$FILE")
	region=$(jq -r .region <<<"$org")
	tok=${TOKEN[$region]}
	name=$(jq -r .name.fr <<<"$org")
	if exists "$tok" "$name"; then
		kept=$((kept + 1))
		continue
	fi
	org_id=$(api "$tok" POST /v1/cases/directory/organizations \
		"$(jq -c 'del(.locations, .services)' <<<"$org")" | jq -r .id)
	declare -A LOC=()
	while read -r loc; do
		key=$(jq -r .key <<<"$loc")
		LOC[$key]=$(api "$tok" POST /v1/cases/directory/locations \
			"$(jq -c --arg o "$org_id" 'del(.key) + {organization_id: $o}' <<<"$loc")" | jq -r .id)
	done < <(jq -c '.locations[]?' <<<"$org")
	while read -r svc; do
		svc_id=$(api "$tok" POST /v1/cases/directory/services \
			"$(jq -c --arg o "$org_id" 'del(.at) + {organization_id: $o}' <<<"$svc")" | jq -r .id)
		for key in $(jq -r '.at[]?' <<<"$svc"); do
			[ -n "${LOC[$key]:-}" ] || { say "load-directory: $name: no location '$key'"; exit 1; }
			api "$tok" POST /v1/cases/directory/service_at_locations \
				"$(jq -nc --arg s "$svc_id" --arg l "${LOC[$key]}" '{service_id: $s, location_id: $l}')" >/dev/null
		done
	done < <(jq -c '.services[]?' <<<"$org")
	unset LOC
	created=$((created + 1))
done
say "directory: $created organisations created, $kept already there ($(basename "$FILE"))"
