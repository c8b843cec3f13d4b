-- Applications from draft to appraisal: who sees them, the eligibility
-- facts, the state machine's re-checks, appraiser assignment,
-- declarations and scores, the ranking.
BEGIN;
\ir fixture.psql
SELECT plan(57);

CREATE TEMP TABLE t AS SELECT t_call() AS call;

-- create
SELECT throws_ok($$SELECT funding_application_create(t_applicant(), t_id((SELECT call FROM t)),
  t_app_body('oujda'), NULL, 'r')$$, 'MP400', NULL, 'application_create: a commune of another region');
SELECT throws_ok($$SELECT funding_application_create(t_applicant(), t_id((SELECT call FROM t)),
  t_app_body('atlantis'), NULL, 'r')$$, 'MP400', NULL, 'application_create: an unknown commune');
SELECT throws_ok($$SELECT f_app_checks('{"applicant": {"kind": "person"}}', 'souss-massa')$$, 'MP400', NULL,
  'f_app_checks: a person has a sex');
SELECT throws_ok($$SELECT f_app_checks('{"applicant": {"country_of_residence": "fr"}}', 'souss-massa')$$, 'MP400',
  NULL, 'f_app_checks: country code');
SELECT throws_ok($$SELECT f_app_checks('{"theme": "astrology"}', 'souss-massa')$$, 'MP400', NULL,
  'f_app_checks: theme');
SELECT lives_ok($$SELECT f_app_checks(t_app_body(), 'souss-massa')$$, 'f_app_checks: a good body');
SELECT throws_ok($$SELECT funding_application_create(t_applicant(), t_id(t_call('souss-massa', false)),
  t_app_body(), NULL, 'r')$$, 'MP404', NULL, 'application_create: a draft call is not visible');
ALTER TABLE t ADD COLUMN app uuid;
UPDATE t SET app = t_draft(call);
SELECT is((SELECT total_budget_minor FROM applications WHERE id = (SELECT app FROM t)), 150000::bigint,
  'application_create: the total of the budget lines');
SELECT is((SELECT (beneficiaries_female, beneficiaries_male)::text FROM applications
  WHERE id = (SELECT app FROM t)), '(20,5)', 'application_create: beneficiaries by sex');
SELECT is(t_events('funding.application.created.v1'), 1::bigint, 'application_create emits created');
SELECT ok(NOT (SELECT data FROM outbox WHERE type = 'funding.application.created.v1') ?| ARRAY['applicant', 'title', 'name'],
  'f_app_stats: no name, no title in the event');
SELECT ok(f_app_stats((SELECT x FROM applications x LIMIT 1)) ? 'holder_sex', 'f_app_stats: sex-disaggregated');

-- visibility
SELECT ok(f_app_visible(t_applicant(), (SELECT x FROM applications x WHERE id = (SELECT app FROM t))), 'f_app_visible: its applicant');
SELECT ok(NOT f_app_visible(t_applicant('applicant-2'), (SELECT x FROM applications x WHERE id = (SELECT app FROM t))),
  'f_app_visible: not another applicant');
SELECT ok(f_app_visible(t_off(), (SELECT x FROM applications x WHERE id = (SELECT app FROM t))), 'f_app_visible: the region''s officer');
SELECT ok(NOT f_app_visible(t_off('oriental'), (SELECT x FROM applications x WHERE id = (SELECT app FROM t))),
  'f_app_visible: not another region''s officer');
SELECT throws_ok($$SELECT f_app_for(t_applicant('applicant-2'), (SELECT app FROM t)::text)$$, 'MP404', NULL,
  'f_app_for: 404 for whoever may not see it');
SELECT is(funding_application_get(t_applicant(), t_id((SELECT app FROM t)), NULL, NULL, NULL)::jsonb->>'status', 'draft',
  'application_get');
SELECT is(f_app_json((SELECT x FROM applications x WHERE id = (SELECT app FROM t)))->>'id', (SELECT app FROM t)::text,
  'f_app_json');

-- update
SELECT is(funding_application_update(t_applicant(), t_id((SELECT app FROM t)), '{"gender_marker": 1}', NULL, 'r')::jsonb
  ->>'gender_marker', '1', 'application_update: the applicant changes a draft');
SELECT throws_ok($$SELECT funding_application_update(t_off(), t_id((SELECT app FROM t)), '{"gender_marker": 0}', NULL, 'r')$$,
  'MP403', NULL, 'application_update: not the officer');
SELECT throws_ok($$SELECT funding_application_update(t_applicant(), t_id((SELECT app FROM t)) || '{"if_match": "\"v1\""}',
  '{"gender_marker": 0}', NULL, 'r')$$, 'MP412', NULL, 'application_update: stale If-Match');

-- submission
SELECT is(funding_application_submit_facts(t_applicant(), t_id((SELECT app FROM t)), NULL)::jsonb->'facts'->>'region',
  'souss-massa', 'submit_facts: the application''s facts');
SELECT is(funding_application_submit_facts(t_applicant(), t_id((SELECT app FROM t)), NULL)::jsonb->'rules'->>'max_grant_minor',
  '200000', 'submit_facts: the call''s structured rules merged in');
SELECT ok((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(funding_application_submit_facts(t_applicant(),
  t_id((SELECT app FROM t)), NULL)::jsonb) k) = ARRAY['facts', 'rules', 'state'], 'submit_facts: exactly the keys decide reads');
SELECT throws_ok($$SELECT funding_application_submit_facts(t_off(), t_id((SELECT app FROM t)), NULL)$$, 'MP403', NULL,
  'submit_facts: only the applicant');
SELECT is(funding_application_submit(t_applicant(), t_id((SELECT app FROM t)), NULL,
  '{"eligible": false, "failed": [{"rule": "min_beneficiaries", "reason": "x"}]}', 'r')::jsonb->>'status', 'ineligible',
  'application_submit: the decision is applied');
SELECT is((SELECT data->'failed_rules' FROM outbox WHERE type = 'funding.application.eligibility_checked.v1'),
  '["min_beneficiaries"]'::jsonb, 'application_submit: the failed rules in the event');
SELECT throws_ok($$SELECT funding_application_submit(t_applicant(), t_id((SELECT app FROM t)), NULL,
  '{"eligible": true, "failed": []}', 'r')$$, 'MP409', NULL, 'application_submit: only once');

-- the state machine's re-checks
UPDATE t SET app = t_eligible(call, 'applicant-3');
SELECT is(funding_application_state(t_off(), t_id((SELECT app FROM t)), NULL)::jsonb,
  '{"state": "eligible", "results": [], "pending": 0}'::jsonb, 'application_state: the facts of a transition');
SELECT throws_ok($$SELECT funding_application_state(t_applicant('applicant-9'), t_id((SELECT app FROM t)), NULL)$$,
  'MP404', NULL, 'application_state: 404 for a stranger');
SELECT throws_ok($$SELECT t_move('funding_application_transition', t_off(), (SELECT app FROM t), 'draft', 'withdrawn')$$,
  'MP409', NULL, 'application_transition: the state changed meanwhile');
SELECT throws_ok($$SELECT t_move('funding_application_transition', t_off(), (SELECT app FROM t), 'eligible', 'withdrawn')$$,
  'MP403', NULL, 'application_transition: only the applicant withdraws');
SELECT throws_ok($$SELECT t_move('funding_application_transition', t_applicant('applicant-3'), (SELECT app FROM t),
  'eligible', 'under_appraisal')$$, 'MP403', NULL, 'application_transition: the applicant cannot start the appraisal');

-- appraisal
SELECT throws_ok($$SELECT funding_appraiser_assign(t_off(), t_id((SELECT app FROM t)), '{"appraiser_sub": "applicant-3"}',
  NULL, 'r')$$, 'MP400', NULL, 'appraiser_assign: not the applicant');
SELECT throws_ok($$SELECT funding_appraiser_assign(t_applicant('applicant-3'), t_id((SELECT app FROM t)),
  '{"appraiser_sub": "x"}', NULL, 'r')$$, 'MP403', NULL, 'appraiser_assign: officers only');
ALTER TABLE t ADD COLUMN ap uuid;
UPDATE t SET ap = (funding_appraiser_assign(t_off(), t_id(app), '{"appraiser_sub": "appraiser-1"}', NULL, 'r')->>'id')::uuid;
SELECT is(t_events('funding.appraisal.assigned.v1'), 1::bigint, 'appraiser_assign emits assigned');
SELECT ok(NOT f_app_visible(t_p('appraiser-1', 'appraiser'), (SELECT x FROM applications x WHERE id = (SELECT app FROM t))),
  'the file is hidden from the appraiser until the declaration');
SELECT throws_ok($$SELECT funding_appraisal_score_facts(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)), NULL)$$,
  'MP409', 'declare the absence of a conflict of interest first', 'score_facts: the declaration first');
SELECT throws_ok($$SELECT funding_appraisal_declare(t_p('appraiser-2', 'appraiser'), t_id((SELECT ap FROM t)),
  '{"conflict": false}', NULL, 'r')$$, 'MP404', NULL, 'appraisal_declare: another appraiser sees nothing');
SELECT is(funding_appraisal_declare(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)), '{"conflict": false}',
  NULL, 'r')::jsonb->>'conflict', 'false', 'appraisal_declare: no conflict');
SELECT throws_ok($$SELECT funding_appraisal_declare(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)),
  '{"conflict": true}', NULL, 'r')$$, 'MP409', NULL, 'appraisal_declare: once');
SELECT throws_ok($$SELECT funding_appraisal_score_facts(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)), NULL)$$,
  'MP409', 'the application is not under appraisal', 'score_facts: the application must be under appraisal');
SELECT is(t_move('funding_application_transition', t_off(), (SELECT app FROM t), 'eligible', 'under_appraisal')::jsonb
  ->>'status', 'under_appraisal', 'application_transition: start the appraisal');
SELECT is(funding_application_state(t_off(), t_id((SELECT app FROM t)), NULL)::jsonb->'pending', '1'::jsonb,
  'application_state: one appraiser pending');
SELECT throws_ok($$SELECT funding_application_transition(t_off(), t_id((SELECT app FROM t)), '{}',
  '{"from": "under_appraisal", "to": "appraised", "score_bp": 1}', 'r')$$, 'MP409', 'an assigned appraiser has not scored yet',
  'application_transition: appraised only once every appraiser scored');
SELECT is(funding_appraisal_score_facts(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)), NULL)::jsonb->'grid'->0->>'key',
  'relevance', 'score_facts: the call''s grid');
SELECT is(funding_appraisal_submit(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)),
  '{"scores": {"relevance": 15, "feasibility": 8}, "recommendation": "fund"}', '{"result_bp": 7800}', 'r')::jsonb
  ->>'result_bp', '7800', 'appraisal_submit records the decided result');
SELECT throws_ok($$SELECT funding_appraisal_submit(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)),
  '{"scores": {}}', '{"result_bp": 1}', 'r')$$, 'MP409', NULL, 'appraisal_submit: once');
SELECT is(funding_application_state(t_off(), t_id((SELECT app FROM t)), NULL)::jsonb->'results', '[7800]'::jsonb,
  'application_state: the submitted results');
SELECT is(funding_appraisal_get(t_p('appraiser-1', 'appraiser'), t_id((SELECT ap FROM t)), NULL, NULL, NULL)::jsonb
  ->'scores'->>'relevance', '15', 'appraisal_get: the appraiser''s full view');
SELECT ok(NOT (funding_appraisal_list(t_off(), '{}', NULL, NULL, NULL)::jsonb->'items'->0 ? 'scores'),
  'appraisal_list: the summary view');
SELECT ok(f_appraisal_json((SELECT ap FROM appraisals ap LIMIT 1), true) ? 'declaration', 'f_appraisal_json: full view');
SELECT throws_ok($$SELECT f_appraisal_for(t_off('oriental'), (SELECT ap FROM t)::text)$$, 'MP404', NULL,
  'f_appraisal_for: other region');
SELECT is(funding_application_transition(t_off(), t_id((SELECT app FROM t)), '{}',
  '{"from": "under_appraisal", "to": "appraised", "score_bp": 7800}', 'r')::jsonb->>'score_bp', '7800',
  'application_transition: the decided score is recorded');
SELECT is(funding_call_ranking(t_off(), t_id((SELECT call FROM t)), NULL, NULL, NULL)::jsonb->'items'->0->>'rank', '1',
  'call_ranking: the scored application first');
SELECT throws_ok($$SELECT funding_call_ranking(t_applicant(), t_id((SELECT call FROM t)), NULL, NULL, NULL)$$,
  'MP404', NULL, 'call_ranking: not for applicants');

SELECT * FROM finish();
ROLLBACK;
