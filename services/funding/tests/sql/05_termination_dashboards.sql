-- Money going back: termination releases what was committed and not paid.
-- Then the read side: lists, agreement and report views, visits,
-- evaluations and the dashboards.
BEGIN;
\ir fixture.psql
SELECT plan(37);

CREATE TEMP TABLE t AS SELECT t_call() AS call;
ALTER TABLE t ADD COLUMN a uuid, ADD COLUMN g uuid, ADD COLUMN r uuid;
UPDATE t SET a = t_selected(call, 'applicant-1', 300000);
UPDATE t SET g = (funding_agreement_create(t_off(), t_id(a), '{"tranches": [{"amount_minor": 100000, "condition": "signature"},
  {"amount_minor": 200000, "condition": "report_approved:m1"}]}', NULL, 'r')::jsonb->>'id')::uuid;
SELECT lives_ok($$SELECT t_move('funding_agreement_transition', t_off(), (SELECT g FROM t), 'draft', 'signed')$$, 'signed');
SELECT lives_ok($$SELECT funding_tranche_release(t_off(), t_id((SELECT id FROM tranches WHERE agreement_id = (SELECT g FROM t)
  AND seq = 1)), '{}', NULL, 'r')$$, 'first tranche released');

-- views
SELECT is(funding_agreement_get(t_applicant(), t_id((SELECT g FROM t)), NULL, NULL, NULL)::jsonb->>'status', 'active',
  'agreement_get: the applicant reads it; the first tranche activated it');
SELECT throws_ok($$SELECT funding_agreement_get(t_applicant('applicant-2'), t_id((SELECT g FROM t)), NULL, NULL, NULL)$$,
  'MP404', NULL, 'agreement_get: not another applicant');
SELECT throws_ok($$SELECT f_agreement_for(t_off('oriental'), (SELECT g FROM t)::text)$$, 'MP404', NULL,
  'f_agreement_for: other region');
SELECT is(jsonb_array_length(f_agreement_json((SELECT x FROM agreements x))::jsonb->'tranches'), 2, 'f_agreement_json: tranches');
SELECT is(jsonb_array_length(funding_application_list(t_applicant(), '{}', NULL, NULL, NULL)::jsonb->'items'), 1,
  'application_list: the applicant''s own');
SELECT is(jsonb_array_length(funding_application_list(t_off('oriental'), '{}', NULL, NULL, NULL)::jsonb->'items'), 0,
  'application_list: nothing of another region');
SELECT throws_ok($$SELECT funding_application_list(t_off(), '{"call_id": "x"}', NULL, NULL, NULL)$$, 'MP400', NULL,
  'application_list: call_id is an id');
SELECT throws_ok($$SELECT funding_application_list(t_off(), '{"status": "sold"}', NULL, NULL, NULL)$$, 'MP400', NULL,
  'application_list: status filter');
SELECT is(jsonb_array_length(funding_call_applications(t_off(), t_id((SELECT call FROM t)), NULL, NULL, NULL)::jsonb->'items'), 1,
  'call_applications: the call''s');
SELECT throws_ok($$SELECT funding_call_applications(t_off('oriental'), t_id((SELECT call FROM t)), NULL, NULL, NULL)$$,
  'MP404', NULL, 'call_applications: other region');

-- report, visit, evaluation
UPDATE t SET r = (funding_report_create(t_applicant(), t_id(g), '{"milestone": "m1", "period_end": "2027-06-30",
  "indicators": [], "narrative": "n"}', NULL, 'r')::jsonb->>'id')::uuid;
SELECT is(funding_report_get(t_off(), t_id((SELECT r FROM t)), NULL, NULL, NULL)::jsonb->>'milestone', 'm1', 'report_get');
SELECT throws_ok($$SELECT f_report_for(t_off('oriental'), (SELECT r FROM t)::text)$$, 'MP404', NULL, 'f_report_for: other region');
SELECT is(f_report_json((SELECT x FROM reports x))::jsonb->>'status', 'draft', 'f_report_json');
SELECT is(funding_visit_create(t_off(), t_id((SELECT g FROM t)), '{"visited_on": "2027-03-01", "findings": "ok"}', NULL,
  'r')::jsonb->>'visited_on', '2027-03-01', 'visit_create');
SELECT throws_ok($$SELECT funding_visit_create(t_applicant(), t_id((SELECT g FROM t)), '{"visited_on": "2027-03-01"}', NULL,
  'r')$$, 'MP403', NULL, 'visit_create: officers only');
SELECT ok(funding_evaluation_create(t_off(), t_id((SELECT g FROM t)), '{"ratings": {"relevance": 4}, "texts": {},
  "summary": "s"}', NULL, 'r')::jsonb->'evaluation' IS NOT NULL, 'evaluation_create on an active agreement');

-- termination returns the unpaid commitment
SELECT is(t_move('funding_agreement_transition', t_off(), (SELECT g FROM t), 'active', 'terminated')::jsonb->>'status',
  'terminated', 'agreement_transition: terminated');
SELECT is((SELECT committed_minor FROM envelopes WHERE region = 'souss-massa'), 100000::bigint,
  'f_release_commitment: the unpaid 200000 returns to the envelope');
SELECT is((SELECT amount_minor FROM ledger_entries WHERE kind = 'release'), 200000::bigint, 'the ledger records the release');
SELECT is((SELECT status FROM applications WHERE id = (SELECT a FROM t)), 'terminated', 'the project is terminated');
SELECT is((SELECT committed_minor FROM applications WHERE id = (SELECT a FROM t)), 100000::bigint,
  'the application keeps what was paid');

SELECT is((SELECT array_agg(data->>'to' ORDER BY id) FROM outbox WHERE type = 'funding.agreement.status_changed.v1'),
  ARRAY['signed', 'active', 'terminated'], 'f_agreement_status_event: every change of the agreement, implied or asked');
SELECT is((SELECT count(*) FROM outbox WHERE type = 'funding.application.status_changed.v1'
  AND data->>'to' = 'terminated'), 1::bigint, 'f_app_status_event: the termination of the project');
SELECT lives_ok($$SELECT f_release_commitment((SELECT x FROM applications x WHERE id = (SELECT a FROM t)), 'o', 'r')$$,
  'f_release_commitment again');
SELECT is((SELECT committed_minor FROM envelopes WHERE region = 'souss-massa'), 100000::bigint,
  'f_release_commitment: nothing is released twice');
SELECT lives_ok($$SELECT f_app_status_event((SELECT x FROM applications x WHERE id = (SELECT a FROM t)), 'x', 'y', 'r')$$,
  'f_app_status_event');
SELECT is((SELECT data->>'from' FROM outbox WHERE type = 'funding.application.status_changed.v1' ORDER BY id DESC LIMIT 1),
  'x', 'f_app_status_event: from and to in the event');
SELECT ok(NOT EXISTS (SELECT 1 FROM outbox WHERE data ?| ARRAY['applicant', 'name', 'email', 'phone']),
  'no event of the whole chain carries a name or contact');

-- dashboards
SELECT is(f_year('{}'), NULL, 'f_year: none');
SELECT throws_ok($$SELECT f_year('{"year": "27"}')$$, 'MP400', NULL, 'f_year: four digits');
SELECT is(f_dashboard_regions(t_admin(), '{}'), ARRAY['oriental', 'souss-massa'], 'f_dashboard_regions: admin sees both');
SELECT throws_ok($$SELECT f_dashboard_regions(t_off(), '{"region": "oriental"}')$$, 'MP404', NULL,
  'f_dashboard_regions: not another region');
SELECT is(f_count_by(ARRAY['souss-massa'], 2027, 'theme'), '{"economic": 1}'::jsonb, 'f_count_by: by theme');
SELECT is(funding_dashboard(t_off(), '{"year": "2027"}', NULL, NULL, NULL)::jsonb->'regions', '["souss-massa"]'::jsonb,
  'dashboard: the officer''s region');
SELECT ok(funding_dashboard_csv(t_off(), '{}', NULL, NULL, NULL) LIKE 'section,region,key,value%', 'dashboard_csv: a header');

SELECT * FROM finish();
ROLLBACK;
