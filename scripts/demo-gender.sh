#!/usr/bin/env bash
# Demo data of the gender service, created through the gateway by the demo
# analysts of scripts/demo-users.sh: for each region a 2027 diagnostic with
# a bilingual questionnaire (skip logic included), a campaign, 60 survey
# responses uploaded as one offline batch (device-generated ids: running
# the script again stores nothing twice), recommendations and an action
# plan with progress. The indicators themselves come from the funding
# demo's events (scripts/demo-funding.sh), projected by the service.
# Idempotent: a region that already has the demo diagnostic is left alone.
#
#   scripts/demo-gender.sh [GATEWAY_URL]
set -euo pipefail

GW=${1:-http://127.0.0.1:8080}
PW=demo-password-2026
DEMO_TITLE="Diagnostic régional : femmes migrantes et accès aux services (démo)"

. "$(dirname "$0")/demo-lib.sh"

QUESTIONNAIRE='{
  "title": {"fr": "Situation et besoins des femmes migrantes", "ar": "وضعية وحاجيات النساء المهاجرات"},
  "doc": {"questions": [
    {"key": "works", "type": "single", "required": true,
     "label": {"fr": "Exercez-vous une activité rémunérée ?", "ar": "هل تزاولين نشاطا مدرا للدخل؟"},
     "options": [{"code": "yes", "label": {"fr": "Oui", "ar": "نعم"}},
                 {"code": "no", "label": {"fr": "Non", "ar": "لا"}}]},
    {"key": "sector", "type": "multiple", "required": true,
     "label": {"fr": "Dans quel secteur ?", "ar": "في أي قطاع؟"},
     "skip_if": {"question": "works", "equals": "no"},
     "options": [{"code": "agriculture", "label": {"fr": "Agriculture", "ar": "الفلاحة"}},
                 {"code": "care", "label": {"fr": "Soins et services", "ar": "العلاجات والخدمات"}},
                 {"code": "trade", "label": {"fr": "Commerce", "ar": "التجارة"}}]},
    {"key": "hours", "type": "number", "min": 0, "max": 80,
     "label": {"fr": "Heures par semaine", "ar": "ساعات في الأسبوع"},
     "skip_if": {"question": "works", "equals": "no"}},
    {"key": "access", "type": "likert", "scale": 5, "required": true,
     "label": {"fr": "Facilité d'\''accès aux services publics", "ar": "سهولة الولوج إلى الخدمات العمومية"}},
    {"key": "needs", "type": "text",
     "label": {"fr": "Besoins prioritaires", "ar": "الحاجيات ذات الأولوية"}}
  ]}}'

# 60 respondents; ids fixed per region and rank so a rerun is a duplicate
responses() { # region-digit commune1 commune2
	jq -nc --arg r "$1" --arg c1 "$2" --arg c2 "$3" '{responses: [range(60) as $i | {
	  id: ("0190c7a0-9" + $r + "00-7000-8000-" + ("000000000000" + ($i | tostring))[-12:]),
	  respondent: {sex: (if (($i / 5) | floor) % 2 == 0 then "male" else "female" end),
	    age_band: (["18-24", "25-34", "35-49", "50-64"][$i % 4]),
	    beneficiary_type: (["regularised_migrant", "mre", "migrant_in_transit"][$i % 3]),
	    commune: (if $i % 2 == 0 then $c1 else $c2 end)},
	  answers: ({works: (if $i % 5 < 2 then "yes" else "no" end),
	    access: (1 + $i % 5)}
	    + (if $i % 5 < 2 then {sector: [(["agriculture", "care", "trade"][$i % 3])],
	         hours: (20 + $i % 20)} else {} end)
	    + (if $i % 7 == 0 then {needs: "Garde d'\''enfants et cours d'\''arabe"} else {} end)),
	  collected_at: "2027-02-15T10:00:00Z"}]}'
}

region_demo() { # short region digit commune1 commune2
	local short=$1 region=$2 digit=$3 c1=$4 c2=$5
	local ana did qid cid rec act
	ana=$(token "analyst.$short")
	if api "$ana" GET "/v1/gender/diagnostics?region=$region" |
		jq -e --arg t "$DEMO_TITLE" '.items[] | select(.title.fr == $t)' >/dev/null; then
		say "  $region: demo diagnostic already there"
		return 0
	fi
	did=$(api "$ana" POST /v1/gender/diagnostics "$(jq -nc --arg r "$region" --arg t "$DEMO_TITLE" \
		'{region: $r, period: "2027", title: {fr: $t, ar: "التشخيص الجهوي: النساء المهاجرات والولوج إلى الخدمات"},
		  summary: {fr: "Enquête auprès des femmes et des hommes migrants de la région"}}')" | jq -r .id)
	qid=$(api "$ana" POST "/v1/gender/diagnostics/$did/questionnaires" "$QUESTIONNAIRE" | jq -r .id)
	cid=$(api "$ana" POST "/v1/gender/diagnostics/$did/campaigns" "$(jq -nc --arg q "$qid" \
		'{questionnaire_id: $q, version: 1, name: {fr: "Vague 1 (février 2027)"},
		  starts_on: "2027-02-01", ends_on: "2027-03-31"}')" | jq -r .id)
	api "$ana" POST "/v1/gender/campaigns/$cid/responses" "$(responses "$digit" "$c1" "$c2")" |
		jq -c '{accepted, duplicate, invalid}' >&2
	rec=$(api "$ana" POST "/v1/gender/diagnostics/$did/recommendations" \
		'{"text": {"fr": "Ouvrir des permanences d'\''information juridique pour les femmes migrantes", "ar": "فتح مداومات للإرشاد القانوني لفائدة النساء المهاجرات"}, "priority": 1}' | jq -r .id)
	act=$(api "$ana" POST "/v1/gender/recommendations/$rec/actions" \
		'{"title": {"fr": "Convention avec le barreau et deux associations"}, "owner": "Conseil régional", "due_on": "2027-06-30"}' | jq -r .id)
	api "$ana" PATCH "/v1/gender/actions/$act" '{"progress_pct": 60}' >/dev/null
	rec=$(api "$ana" POST "/v1/gender/diagnostics/$did/recommendations" \
		'{"text": {"fr": "Réserver un quota de places aux femmes dans les formations des agents communaux"}, "priority": 2}' | jq -r .id)
	api "$ana" POST "/v1/gender/recommendations/$rec/actions" \
		'{"title": {"fr": "Révision du plan de formation 2027"}, "owner": "Direction régionale", "due_on": "2027-09-30"}' >/dev/null
	say "  $region: diagnostic $did, questionnaire $qid, campaign $cid"
}

say "gender demo data through $GW"
region_demo souss souss-massa 1 agadir inezgane
region_demo oriental oriental 2 oujda berkane
