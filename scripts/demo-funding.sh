#!/usr/bin/env bash
# Demo data of the funding chain, created through the gateway with the demo
# accounts of scripts/demo-users.sh, so every rule of the service applies.
# For each region: a 2027 envelope, a published call, and applications at
# every stage: a completed project with its evaluation, a selected one
# under agreement, a waitlisted one, an ineligible one, a draft.
# Idempotent: a region that already has the demo call is left alone.
#
#   scripts/demo-funding.sh [GATEWAY_URL]
#
# It is also the worked example behind the README's curl walk-through.
set -euo pipefail

GW=${1:-http://127.0.0.1:8080}
PW=demo-password-2026
DEMO_TITLE="Appel à projets migration et développement 2027 (démo)"

. "$(dirname "$0")/demo-lib.sh"

sub_of() { # token -> subject (the user id)
	curl -sS --fail-with-body "$GW/auth/me" -H "Authorization: Bearer $1" | jq -r .id
}

application() { # commune name sex requested
	jq -nc --arg c "$1" --arg n "$2" --arg s "$3" --argjson r "$4" '{
	  applicant: {kind: "person", type: "mre", name: $n, sex: $s,
	    age_band: "35-49", country_of_residence: "FR"},
	  title: {fr: "Unité de transformation d'\''argan", ar: "وحدة لتثمين الأركان"},
	  summary: {fr: "Coopérative de femmes, formation et emploi"},
	  commune: $c, theme: "economic",
	  budget_lines: [{label: "Équipement", amount_minor: ($r * 2)},
	                 {label: "Formation", amount_minor: $r}],
	  requested_minor: $r, cofinancing_minor: ($r / 2 | floor),
	  beneficiaries: [{sex: "female", age_band: "25-34", count: 18},
	                  {sex: "male", age_band: "25-34", count: 6}],
	  gender_marker: 2}'
}

region_demo() { # short region commune
	local short=$1 region=$2 commune=$3
	local off app apr e1 e2 e3 call now opens closes
	off=$(token "officer.$short"); app=$(token "applicant.$short")
	apr=$(token "appraiser.$short")
	if api "$off" GET "/v1/funding/calls?region=$region&limit=200" |
		jq -e --arg t "$DEMO_TITLE" '.items[] | select(.title.fr == $t)' >/dev/null; then
		say "  $region: demo call already there"
		return 0
	fi
	api "$off" PUT "/v1/funding/envelopes/$region/2027" \
		'{"allocated_minor": 150000000, "currency": "EUR"}' >/dev/null
	opens=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
	closes=$(date -u -d '+60 days' +%Y-%m-%dT%H:%M:%SZ)
	call=$(api "$off" POST /v1/funding/calls "$(jq -nc --arg r "$region" \
		--arg t "$DEMO_TITLE" --arg o "$opens" --arg c "$closes" '{
	  region: $r, year: 2027, currency: "EUR",
	  title: {fr: $t, ar: "طلب مشاريع الهجرة والتنمية 2027", en: "Migration and development call 2027"},
	  description: {fr: "Projets portés par des MRE, des migrants régularisés et des associations"},
	  themes: ["local_development", "economic", "social_solidarity_economy", "integration"],
	  applicant_types: ["mre", "regularised_migrant", "association", "cooperative"],
	  budget_minor: 50000000, max_grant_minor: 10000000, min_cofinancing_bp: 1000,
	  opens_at: $o, closes_at: $c,
	  eligibility_rules: {min_beneficiaries: 10},
	  scoring_grid: [{key: "relevance", weight: 30, max: 20},
	                 {key: "feasibility", weight: 40, max: 20},
	                 {key: "gender_equality", weight: 30, max: 10}]}')" | jq -r .id)
	api "$off" POST "/v1/funding/calls/$call/transitions" '{"to": "publish"}' >/dev/null

	# applications: two to the ERC, one ineligible, one draft
	local a1 a2 bad draft ap
	a1=$(api "$app" POST "/v1/funding/calls/$call/applications" "$(application "$commune" "Demo Holder A" female 6000000)" | jq -r .id)
	a2=$(api "$app" POST "/v1/funding/calls/$call/applications" "$(application "$commune" "Demo Holder B" male 4000000)" | jq -r .id)
	bad=$(api "$app" POST "/v1/funding/calls/$call/applications" "$(application "$commune" "Demo Holder C" female 30000000)" | jq -r .id)
	draft=$(api "$app" POST "/v1/funding/calls/$call/applications" "$(application "$commune" "Demo Holder D" female 2000000)" | jq -r .id)
	for a in "$a1" "$a2" "$bad"; do api "$app" POST "/v1/funding/applications/$a/submit" >/dev/null; done
	for a in "$a1" "$a2"; do
		ap=$(api "$off" POST "/v1/funding/applications/$a/appraisals" \
			"$(jq -nc --arg s "$(sub_of "$apr")" '{appraiser_sub: $s}')" | jq -r .id)
		api "$off" POST "/v1/funding/applications/$a/transitions" '{"to": "start_appraisal"}' >/dev/null
		api "$apr" POST "/v1/funding/appraisals/$ap/declaration" '{"conflict": false}' >/dev/null
		api "$apr" PUT "/v1/funding/appraisals/$ap/scores" \
			'{"scores": {"relevance": 16, "feasibility": 15, "gender_equality": 9}, "recommendation": "fund"}' >/dev/null
		api "$off" POST "/v1/funding/applications/$a/transitions" '{"to": "complete_appraisal"}' >/dev/null
		api "$off" POST "/v1/funding/applications/$a/transitions" '{"to": "shortlist"}' >/dev/null
	done

	# the ERC: one member per college, a session, votes, decisions
	local members=() college m sess t
	for k in 1 2 3; do
		case $k in 1) college=local_authority ;; 2) college=state_service ;; 3) college=civil_society ;; esac
		t=$(token "erc$k.$short")
		m=$(api "$off" GET "/v1/funding/erc/members?region=$region" |
			jq -r --arg s "$(sub_of "$t")" '.items[] | select(.user_sub == $s) | .id')
		# the account reaches funding as an event of the gateway
		# (gateway.user.registered.v1): retry while it is on its way
		for try in 1 2 3 4 5 6 7 8 9 10; do
			[ -z "$m" ] || break
			m=$(api "$off" POST /v1/funding/erc/members "$(jq -nc --arg r "$region" \
				--arg s "$(sub_of "$t")" --arg c "$college" --arg n "erc$k.$short" \
				'{region: $r, user_sub: $s, name: $n, college: $c}')" 2>/dev/null | jq -r .id) || m=
			[ -n "$m" ] || sleep 0.5
		done
		[ -n "$m" ] || { say "demo-funding: erc$k.$short never reached funding"; return 1; }
		members+=("$m")
	done
	sess=$(api "$off" POST /v1/funding/erc/sessions "$(jq -nc --arg r "$region" --arg c "$call" \
		--arg a1 "$a1" --arg a2 "$a2" --arg at "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
		'{region: $r, call_id: $c, scheduled_at: $at, quorum_bp: 6000, agenda: [$a1, $a2]}')" | jq -r .id)
	api "$off" PUT "/v1/funding/erc/sessions/$sess/attendance" \
		"$(printf '%s\n' "${members[@]}" | jq -R . | jq -sc '{present: .}')" >/dev/null
	api "$off" POST "/v1/funding/erc/sessions/$sess/open" >/dev/null
	for k in 1 2 3; do
		t=$(token "erc$k.$short")
		api "$t" POST "/v1/funding/erc/sessions/$sess/votes" "{\"application_id\": \"$a1\", \"choice\": \"for\"}" >/dev/null
		# a tie (for, against, abstain) waitlists the second one
		api "$t" POST "/v1/funding/erc/sessions/$sess/votes" \
			"{\"application_id\": \"$a2\", \"choice\": \"$(case $k in 1) echo for ;; 2) echo against ;; *) echo abstain ;; esac)\"}" >/dev/null
	done
	api "$off" POST "/v1/funding/erc/sessions/$sess/decisions" "{\"application_id\": \"$a1\", \"minutes\": \"Adopté à l'unanimité\"}" >/dev/null
	api "$off" POST "/v1/funding/erc/sessions/$sess/decisions" "{\"application_id\": \"$a2\"}" >/dev/null
	api "$off" POST "/v1/funding/erc/sessions/$sess/close" '{"minutes": "Séance close"}' >/dev/null

	# the selected project: agreement, tranches, report, visit, evaluation
	local g t1 t2 rep
	g=$(api "$off" POST "/v1/funding/applications/$a1/agreement" \
		'{"tranches": [{"amount_minor": 3600000, "condition": "signature"}, {"amount_minor": 2400000, "condition": "report_approved:m1"}]}')
	t1=$(jq -r '.tranches[0].id' <<<"$g"); t2=$(jq -r '.tranches[1].id' <<<"$g"); g=$(jq -r .id <<<"$g")
	api "$off" POST "/v1/funding/agreements/$g/transitions" '{"to": "sign"}' >/dev/null
	api "$off" POST "/v1/funding/tranches/$t1/release" >/dev/null
	rep=$(api "$app" POST "/v1/funding/agreements/$g/reports" '{"milestone": "m1", "period_end": "2027-06-30",
	  "indicators": [{"key": "beneficiaries", "sex": "female", "planned": 18, "actual": 17},
	                 {"key": "beneficiaries", "sex": "male", "planned": 6, "actual": 6},
	                 {"key": "jobs_created", "sex": "female", "planned": 8, "actual": 9}],
	  "narrative": "Unité installée, 17 femmes formées"}' | jq -r .id)
	api "$app" POST "/v1/funding/reports/$rep/transitions" '{"to": "submit"}' >/dev/null
	api "$off" POST "/v1/funding/reports/$rep/transitions" '{"to": "approve", "comment": "Conforme"}' >/dev/null
	api "$off" POST "/v1/funding/tranches/$t2/release" >/dev/null
	api "$off" POST "/v1/funding/agreements/$g/visits" "{\"visited_on\": \"$(date -u +%Y-%m-%d)\", \"findings\": \"Atelier en activité\"}" >/dev/null
	api "$off" POST "/v1/funding/agreements/$g/evaluation" '{"ratings": {"relevance": 4, "coherence": 3, "effectiveness": 3, "efficiency": 3, "impact": 3, "sustainability": 3},
	  "texts": {"relevance": "Répond aux besoins des femmes migrantes", "coherence": "Cohérent avec le plan régional",
	    "effectiveness": "Objectifs atteints", "efficiency": "Coûts maîtrisés", "impact": "Emplois créés",
	    "sustainability": "Coopérative autonome"}, "summary": "Projet réussi"}' >/dev/null
	api "$off" POST "/v1/funding/applications/$a1/transitions" '{"to": "complete"}' >/dev/null
	say "  $region: call $call, completed project $a1, agreement $g"
}

say "funding demo data:"
region_demo souss souss-massa agadir
region_demo oriental oriental oujda
