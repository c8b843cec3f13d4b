#!/usr/bin/env bash
# Demo accompaniment data of both regions, created through the gateway by
# the demo accounts of scripts/demo-users.sh, so every rule of the cases
# service applies: each region's officer trains and certifies its agent
# and mediator, the agent registers invented people (no real person),
# records their consents, opens their cases and refers them to services of
# the demo directory (scripts/demo-directory.sh); the mediator accompanies
# one of them. Idempotent: a region whose agent already sees persons is
# left alone.
#
#   scripts/demo-cases.sh [GATEWAY_URL]
set -euo pipefail

GW=${1:-http://127.0.0.1:8080}
PW=demo-password-2026

. "$(dirname "$0")/demo-lib.sh"

sub_of() { # token -> its "sub" claim
	local p
	p=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p+="="; done
	base64 -d <<<"$p" | jq -r .sub
}

# region KEY REGION COMMUNE: invented people of COMMUNE
region() {
	local key=$1 reg=$2 commune=$3 off agent med session sal service
	local person kase referral i
	off=$(token "officer.$key")
	agent=$(token "agent.$key")
	med=$(token "mediator.$key")
	if [ "$(api "$agent" GET /v1/cases/persons | jq '.items | length')" -gt 0 ]; then
		say "  exists   demo cases of $reg"
		return 0
	fi
	session=$(api "$off" POST /v1/cases/training/sessions "$(jq -nc \
		--arg r "$reg" --arg c "$commune" '{region: $r, commune: $c,
		module: "reception_orientation", held_on: "2026-11-16",
		trainer: "Équipe du programme"}')" | jq -r .id)
	api "$off" PUT "/v1/cases/training/sessions/$session/attendance" "$(jq -nc \
		--arg a "$(sub_of "$agent")" --arg m "$(sub_of "$med")" \
		'{attendees: [{person_sub: $a, role: "municipal_agent", sex: "female"},
		{person_sub: $m, role: "mediator", sex: "male"}]}')" >/dev/null
	for t in "$agent" "$med"; do
		api "$off" POST /v1/cases/training/certifications "$(jq -nc \
			--arg s "$(sub_of "$t")" --arg id "$session" \
			'{person_sub: $s, session_id: $id}')" >/dev/null
	done
	read -r sal service < <(api "$agent" GET \
		"/v1/cases/hsds/service_at_locations?commune=$commune&per_page=1" |
		jq -r '.contents[0] | "\(.id) \(.service_id)"')
	i=0
	while IFS='|' read -r given family sex year type needs; do
		i=$((i + 1))
		person=$(api "$agent" POST /v1/cases/persons "$(jq -nc \
			--arg g "$given" --arg f "$family" --arg s "$sex" \
			--argjson y "$year" --arg t "$type" \
			'{given_name: $g, family_name: $f, sex: $s, birth_year: $y,
			beneficiary_type: $t, languages: ["ar", "fr"]}')" | jq -r .id)
		api "$agent" POST "/v1/cases/persons/$person/consents" \
			'{"purpose": "accompaniment", "given_to": "Bureau d'\''accueil communal", "recorded_how": "written"}' >/dev/null
		kase=$(api "$agent" POST /v1/cases/cases "$(jq -nc --arg p "$person" \
			--arg n "$needs" '{person_id: $p, needs: ($n | split(","))}')" | jq -r .id)
		[ "$sal" != null ] || continue
		api "$agent" POST "/v1/cases/persons/$person/consents" "$(jq -nc \
			--arg s "$service" '{purpose: "referral", service_id: $s,
			given_to: "Service partenaire", recorded_how: "oral"}')" >/dev/null
		referral=$(api "$agent" POST "/v1/cases/cases/$kase/referrals" "$(jq -nc \
			--arg s "$sal" --arg n "${needs%%,*}" '{service_at_location_id: $s,
			need: $n, follow_up_on: "2026-12-20"}')" | jq -r .id)
		api "$agent" POST "/v1/cases/cases/$kase/transitions" '{"to": "start"}' >/dev/null
		if [ $((i % 2)) -eq 0 ]; then
			api "$agent" POST "/v1/cases/referrals/$referral/transitions" '{"to": "send"}' >/dev/null
			api "$agent" POST "/v1/cases/referrals/$referral/transitions" '{"to": "accept"}' >/dev/null
			api "$agent" POST "/v1/cases/referrals/$referral/transitions" \
				'{"to": "complete", "outcome": "successful", "outcome_reason": "need_met"}' >/dev/null
		fi
		if [ "$i" -eq 1 ]; then
			api "$agent" PUT "/v1/cases/cases/$kase/assignment" "$(jq -nc \
				--arg m "$(sub_of "$med")" '{assignee_sub: $m, assignee_role: "mediator"}')" >/dev/null
			api "$med" POST "/v1/cases/cases/$kase/mediations" \
				'{"administration": "prefecture", "purpose": "Dépôt du dossier de titre de séjour", "accompanied_on": "2026-11-30", "outcome": "postponed", "follow_up_on": "2026-12-14"}' >/dev/null
		fi
	done
	say "  created  demo cases of $reg ($i invented people of $commune)"
}

say "demo accompaniment (invented people only):"
region souss souss-massa agadir <<'PEOPLE'
Amina|Oufkir-Demo|female|1985|regularised_migrant|civil_status,health
Moussa|Traoré-Demo|male|1992|regularised_migrant|employment,legal_aid
Khadija|Benali-Demo|female|1970|mre|investment_business
Awa|Diallo-Demo|female|1998|other_migrant|health,housing
Youssef|Idrissi-Demo|male|1964|mre|consular_mre,social_protection
Fatou|Ndiaye-Demo|female|2001|regularised_migrant|education,employment
PEOPLE
region oriental oriental oujda <<'PEOPLE'
Samira|Haddou-Demo|female|1979|mre|investment_business,civil_status
Ibrahim|Koné-Demo|male|1995|regularised_migrant|legal_aid,housing
Mariam|Sow-Demo|female|1990|other_migrant|health
Omar|Berrada-Demo|male|1958|mre|social_protection,consular_mre
Grace|Mensah-Demo|female|2003|regularised_migrant|education
PEOPLE
