-- Case work in the SQL functions: transitions and their events, notes,
-- assignment, referrals to completion, the overdue list, mediations,
-- export, certification revocation, the audit list and the dashboard.
BEGIN;
\ir fixture.psql
SELECT plan(37);

SELECT t_certify(t_agent()) IS NOT NULL AS certified \gset
SELECT t_certify(t_mediator()) IS NOT NULL AS certified_med \gset
CREATE TEMP TABLE t AS SELECT t_person() AS person, t_sal() AS sal;
SELECT t_consent((SELECT person FROM t)) IS NOT NULL AS c \gset
SELECT t_consent((SELECT person FROM t), 'referral',
  (SELECT service_id FROM service_at_location WHERE id = (SELECT sal FROM t))) IS NOT NULL AS r \gset
ALTER TABLE t ADD COLUMN kase uuid, ADD COLUMN ref uuid, ADD COLUMN med uuid;
UPDATE t SET kase = t_case(person);

-- cases
SELECT is((SELECT status FROM cases), 'open', 'a case opens open');
SELECT is((SELECT array_agg(n ORDER BY n) FROM outbox, jsonb_array_elements_text(data->'needs') n
  WHERE type = 'cases.case.opened.v1'), ARRAY['civil_status', 'health'],
  'case.opened carries the needs');
SELECT ok(NOT EXISTS (SELECT 1 FROM outbox WHERE type LIKE 'cases.case.%' AND data ? 'person_id'),
  'no case event names the person');
SELECT is(cases_case_transition(t_agent(), t_id((SELECT kase FROM t)), '{}', '{"from": "open", "to": "in_progress"}', 'r')::jsonb
  ->>'status', 'in_progress', 'case_transition applies the decided change');
SELECT throws_ok($$SELECT cases_case_transition(t_agent(), t_id((SELECT kase FROM t)), '{}',
  '{"from": "in_progress", "to": "closed"}', 'r')$$, 'MP400', NULL, 'closing needs a reason');
SELECT throws_ok($$SELECT cases_case_transition(t_agent(), t_id((SELECT kase FROM t)) || '{"if_match": "\"v1\""}', '{}',
  '{"from": "in_progress", "to": "resolved"}', 'r')$$, 'MP412', NULL, 'a stale If-Match');
SELECT throws_ok($$SELECT cases_case_transition(t_agent('agent-other'), t_id((SELECT kase FROM t)), '{}',
  '{"from": "in_progress", "to": "resolved"}', 'r')$$, 'MP403', NULL, 'an uncertified agent of the commune may not work it');
SELECT throws_ok($$SELECT cases_case_transition(t_mediator(), t_id((SELECT kase FROM t)), '{}',
  '{"from": "in_progress", "to": "resolved"}', 'r')$$, 'MP404', NULL, 'a mediator not assigned sees nothing');

-- notes and assignment
SELECT is(cases_case_note_add(t_agent(), t_id((SELECT kase FROM t)), '{}',
  '{"id": "01930000-0000-7000-8000-000000000011", "body_enc": "enc1:k1:AAAA"}', 'r')::jsonb->>'text_enc', 'enc1:k1:AAAA',
  'a note stores what was sealed');
SELECT throws_ok($$SELECT cases_case_note_add(t_off(), t_id((SELECT kase FROM t)), '{}',
  '{"id": "01930000-0000-7000-8000-000000000012", "body_enc": "enc1:k1:AAAA"}', 'r')$$, 'MP403', NULL,
  'an officer not assigned writes no note');
SELECT throws_ok($$SELECT cases_case_assign(t_off(), t_id((SELECT kase FROM t)),
  '{"assignee_sub": "mediator-unknown", "assignee_role": "mediator"}', NULL, 'r')$$, 'MP400', NULL,
  'an uncertified mediator cannot be assigned');
SELECT is(cases_case_assign(t_off(), t_id((SELECT kase FROM t)),
  '{"assignee_sub": "mediator-1", "assignee_role": "mediator"}', NULL, 'r')::jsonb->>'assignee_sub', 'mediator-1',
  'the officer assigns a certified mediator');
SELECT ok(c_case_visible(t_mediator(), (SELECT k FROM cases k)), 'the mediator now sees the case');
SELECT ok(c_person_visible(t_mediator(), (SELECT x FROM persons x)), 'and its person');

-- referrals
UPDATE t SET ref = (cases_referral_create(t_mediator(), t_id(kase), jsonb_build_object('service_at_location_id', sal,
  'need', 'civil_status', 'follow_up_on', current_date - 1), NULL, 'r')::jsonb->>'id')::uuid;
SELECT is((SELECT status FROM referrals), 'proposed', 'the assigned mediator refers');
SELECT is((SELECT data->'service_categories' FROM outbox WHERE type = 'cases.referral.proposed.v1'), '["civil_status"]'::jsonb,
  'referral.proposed names the service''s categories');
SELECT is(jsonb_array_length(cases_referral_overdue(t_agent(), '{}', NULL, NULL, NULL)::jsonb->'items'), 1,
  'a pending referral past its follow-up date is overdue');
SELECT is(jsonb_array_length(cases_referral_overdue(t_agent('x', 'inezgane'), '{}', NULL, NULL, NULL)::jsonb->'items'), 0,
  'not for another commune');
SELECT is(cases_referral_transition(t_agent(), t_id((SELECT ref FROM t)), '{}', '{"from": "proposed", "to": "sent"}', 'r')::jsonb
  ->>'status', 'sent', 'referral sent');
SELECT is(cases_referral_transition(t_agent(), t_id((SELECT ref FROM t)), '{}', '{"from": "sent", "to": "declined"}', 'r')::jsonb
  ->>'status', 'declined', 'referral declined');
SELECT throws_ok($$SELECT cases_referral_transition(t_agent(), t_id((SELECT ref FROM t)), '{}',
  '{"from": "declined", "to": "completed"}', 'r')$$, '23514', NULL, 'a completion without outcome breaks the table''s rule');
SELECT is(cases_referral_transition(t_agent(), t_id((SELECT ref FROM t)),
  '{"outcome": "unsuccessful", "outcome_reason": "service_lacked_capacity"}', '{"from": "declined", "to": "completed"}', 'r')::jsonb
  ->>'outcome_reason', 'service_lacked_capacity', 'completed with its outcome');
SELECT is((SELECT data->>'outcome' FROM outbox WHERE type = 'cases.referral.completed.v1'), 'unsuccessful',
  'referral.completed carries the outcome');
SELECT is(jsonb_array_length(cases_referral_overdue(t_agent(), '{}', NULL, NULL, NULL)::jsonb->'items'), 0,
  'a completed referral is no longer overdue');

-- mediations
UPDATE t SET med = (cases_mediation_create(t_mediator(), t_id(kase), '{"administration": "consulate",
  "purpose": "Passeport", "accompanied_on": "2026-12-01"}', NULL, 'r')::jsonb->>'id')::uuid;
SELECT is((SELECT mediator_sub FROM mediations), 'mediator-1', 'the mediator records the accompaniment');
SELECT is(cases_mediation_update(t_mediator(), t_id((SELECT med FROM t)), '{"outcome": "resolved"}', NULL, 'r')::jsonb
  ->>'outcome', 'resolved', 'and its outcome');

-- export, audit, dashboard, revocation
SELECT is(jsonb_array_length(cases_person_export(t_agent(), t_id((SELECT person FROM t)), NULL, NULL, 'r')::jsonb
  ->'cases'->0->'mediations'), 1, 'the export holds the mediations');
SELECT throws_ok($$SELECT cases_person_export(t_mediator(), t_id((SELECT person FROM t)), NULL, NULL, 'r')$$, 'MP403', NULL,
  'a mediator does not export');
SELECT ok(jsonb_array_length(cases_audit_list(t_off(), jsonb_build_object('subject_id', (SELECT kase FROM t)), NULL, NULL,
  NULL)::jsonb->'items') >= 8, 'the case''s audit: every read and write');
SELECT is(jsonb_array_length(cases_audit_list(t_off('oriental'), '{}', NULL, NULL, NULL)::jsonb->'items'), 0,
  'nothing of another region');
SELECT is(cases_dashboard(t_off(), '{}', NULL, NULL, NULL)::jsonb->'cases_by_state'->0,
  '{"sex": "female", "n": 1, "state": "in_progress"}'::jsonb,
  'exact counts for the service (it suppresses in C before publishing)');
SELECT throws_ok($$SELECT cases_dashboard(t_off(), '{"region": "oriental"}', NULL, NULL, NULL)$$, 'MP404', NULL,
  'the dashboard of another region is 404');
SELECT is(cases_dashboard(t_off(), '{}', NULL, NULL, NULL)::jsonb->'certified',
  '[{"role": "mediator", "sex": "female", "n": 1}, {"role": "municipal_agent", "sex": "female", "n": 1}]'::jsonb,
  'certified agents by role and sex (exact; suppressed in C)');
INSERT INTO certifications (person_sub, role, region, session_id, expires_at, certified_by)
  SELECT 'agent-before', 'municipal_agent', 'souss-massa', id, now() + interval '1 day', 'o' FROM training_sessions LIMIT 1;
SELECT is(cases_dashboard(t_off(), '{}', NULL, NULL, NULL)::jsonb->'certified_sex_unrecorded', '1'::jsonb,
  'a certification without a trainee record is counted apart');
SELECT lives_ok($$SELECT cases_certification_revoke(t_off(), t_id((SELECT id FROM certifications WHERE person_sub = 'agent-agadir')),
  NULL, NULL, 'r')$$, 'revocation');
SELECT throws_ok($$SELECT cases_case_transition(t_agent(), t_id((SELECT kase FROM t)), '{}',
  '{"from": "in_progress", "to": "resolved"}', 'r')$$, 'MP403', NULL, 'a revoked agent works no more, at once');
SELECT is((SELECT data - 'certification_id' FROM outbox WHERE type = 'cases.training.certification_revoked.v1'),
  '{"region": "souss-massa", "commune": "agadir", "role": "municipal_agent", "sex": "female"}'::jsonb,
  'the revocation carries the certification''s region, commune, role and sex');

SELECT * FROM finish();
ROLLBACK;
