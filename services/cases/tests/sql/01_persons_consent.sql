-- The rules case work rests on, in the SQL functions themselves:
-- certification, consent, who sees what, the re-checks of the C side's
-- decisions, erasure and the append-only audit.
BEGIN;
\ir fixture.psql
SELECT plan(44);

-- the audit's owner (0010_audit_owner.sql)
SELECT is((SELECT tableowner::text FROM pg_tables WHERE tablename = 'audit_log'), current_user || '_audit',
  'audit_log is owned by a role of its own');
SELECT ok(NOT (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user)
  AND NOT pg_has_role(current_user, current_user || '_audit', 'MEMBER'),
  'the service''s role can neither become that role nor create roles any more');

-- helpers
SELECT is(c_age_band(NULL), 'unknown', 'c_age_band: no birth year');
SELECT is(c_age_band(extract(year FROM now())::int - 30), '25-34', 'c_age_band: 30 years');
SELECT is(c_age_band(extract(year FROM now())::int - 10), '0-17', 'c_age_band: a minor');
SELECT ok(NOT c_officer_of('{"roles": ["council_officer"]}', 'oriental'), 'c_officer_of: no region claim is a denial, not NULL');
SELECT ok(NOT c_agent_of(t_p('a', 'municipal_agent', 'souss-massa'), 'souss-massa', 'agadir'),
  'c_agent_of: an agent without a commune claim is nobody''s');

-- certification
SELECT is(c_certified_until(t_agent()), NULL, 'never certified');
SELECT throws_ok($$SELECT cases_person_create(t_agent(), '{}', '{"sex": "male", "beneficiary_type": "mre"}',
  '{"id": "01930000-0000-7000-8000-000000000001", "identity_enc": "enc1:k:AA", "name_tokens": []}', 'r')$$,
  'MP403', NULL, 'person_create: not without a certification');
SELECT isnt(t_certify(t_agent()), NULL, 'certified');
SELECT ok(c_certified_until(t_agent()) > now() + interval '364 days', 'for a year by default');
SELECT is(c_certified_until(t_p('agent-agadir', 'mediator')), NULL, 'a certification is for its role');
SELECT is(c_certified_until(t_agent('agent-agadir', 'oujda', 'oriental')), NULL, 'and its region');
SELECT throws_ok($$SELECT cases_certification_create(t_off(), '{}', jsonb_build_object('person_sub', 'nobody',
  'session_id', (SELECT id FROM training_sessions LIMIT 1)), NULL, 'r')$$, 'MP400', NULL,
  'certification: only who attended');
SELECT throws_ok($$SELECT cases_certification_create(t_off('oriental'), '{}', jsonb_build_object('person_sub', 'agent-agadir',
  'session_id', (SELECT id FROM training_sessions LIMIT 1)), NULL, 'r')$$, 'MP400', NULL,
  'certification: by the session''s region');
SELECT is(t_events('cases.training.certified.v1'), 1::bigint, 'certified emits');
SELECT is((SELECT data->>'sex' FROM outbox WHERE type = 'cases.training.certified.v1'), 'female',
  'the certification event carries the trainee''s sex');
SELECT throws_ok($$SELECT cases_training_attendance(t_off(), t_id((SELECT id FROM training_sessions LIMIT 1)),
  '{"attendees": [{"person_sub": "x", "role": "mediator"}]}', NULL, 'r')$$, 'MP400', NULL,
  'attendance: an attendee without a sex is refused');
SELECT lives_ok($$SELECT cases_training_attendance(t_off(), t_id((SELECT id FROM training_sessions LIMIT 1)),
  '{"attendees": [{"person_sub": "agent-agadir", "role": "municipal_agent", "sex": "male"}]}', NULL, 'r')$$,
  'attendance again corrects the trainee record');

-- persons
CREATE TEMP TABLE t AS SELECT t_person() AS person;
SELECT is((SELECT identity_enc FROM persons), 'enc1:k1:AAAA', 'the database stores what the C side sealed, nothing else');
SELECT ok(NOT EXISTS (SELECT 1 FROM outbox WHERE data ? 'person_id' OR data::text LIKE '%Invented%'),
  'registered: no person id or name in the event');
SELECT throws_ok($$SELECT cases_person_create(t_agent(), '{}', '{"sex": "male", "beneficiary_type": "mre", "commune": "inezgane"}',
  '{"id": "01930000-0000-7000-8000-000000000002", "identity_enc": "enc1:k:AA", "name_tokens": []}', 'r')$$,
  'MP400', NULL, 'an agent registers persons of their own commune');
SELECT ok(c_person_visible(t_agent(), (SELECT x FROM persons x)), 'the agent of the commune sees the person');
SELECT ok(NOT c_person_visible(t_agent('agent-inezgane', 'inezgane'), (SELECT x FROM persons x)), 'not an agent of another commune');
SELECT ok(NOT c_person_visible(t_mediator(), (SELECT x FROM persons x)), 'not a mediator without a case');
SELECT ok(c_person_visible(t_off(), (SELECT x FROM persons x)), 'the region''s officer');
SELECT ok(NOT c_person_visible(t_off('oriental'), (SELECT x FROM persons x)), 'not another region''s officer');
SELECT throws_ok($$SELECT cases_person_get(t_agent('x', 'inezgane'), t_id((SELECT person FROM t)), NULL, NULL, 'r')$$,
  'MP404', NULL, 'person_get: 404 for another commune');

-- consent
SELECT throws_ok($$SELECT t_case((SELECT person FROM t))$$, 'MP409', NULL, 'no case without consent to accompaniment');
SELECT isnt(t_consent((SELECT person FROM t)), NULL, 'consent recorded');
SELECT ok(c_consent_current((SELECT person FROM t), 'accompaniment'), 'current for accompaniment');
SELECT ok(NOT c_consent_current((SELECT person FROM t), 'statistics'), 'one purpose is not another');
SELECT throws_ok($$SELECT t_consent((SELECT person FROM t), 'referral')$$, 'MP400', NULL,
  'a referral consent names its service');
ALTER TABLE t ADD COLUMN kase uuid, ADD COLUMN sal uuid;
UPDATE t SET kase = t_case(person), sal = t_sal();
SELECT ok(c_case_visible(t_agent(), (SELECT k FROM cases k)), 'the agent sees the case');
SELECT ok(NOT c_case_visible(t_mediator(), (SELECT k FROM cases k)), 'a mediator not assigned does not (no NULL slips through)');
SELECT throws_ok($$SELECT cases_referral_create(t_agent(), t_id((SELECT kase FROM t)),
  jsonb_build_object('service_at_location_id', (SELECT sal FROM t), 'need', 'civil_status'), NULL, 'r')$$,
  'MP409', 'the person has not consented to sharing with this service', 'no referral without consent for the service');
SELECT lives_ok($$SELECT t_consent((SELECT person FROM t), 'referral',
  (SELECT service_id FROM service_at_location WHERE id = (SELECT sal FROM t)))$$, 'referral consent for the service');
SELECT lives_ok($$SELECT cases_referral_create(t_agent(), t_id((SELECT kase FROM t)),
  jsonb_build_object('service_at_location_id', (SELECT sal FROM t), 'need', 'civil_status'), NULL, 'r')$$, 'referral made');
UPDATE service_at_location SET status = 'inactive';
SELECT throws_ok($$SELECT cases_referral_create(t_agent(), t_id((SELECT kase FROM t)),
  jsonb_build_object('service_at_location_id', (SELECT sal FROM t), 'need', 'civil_status'), NULL, 'r')$$,
  'MP409', 'the service is not active', 'no referral to an inactive service');
SELECT throws_ok($$SELECT cases_case_transition(t_agent(), t_id((SELECT kase FROM t)), '{}',
  '{"from": "in_progress", "to": "resolved"}', 'r')$$, 'MP409', 'the case changed state meanwhile',
  'case_transition re-checks the state it was shown');
UPDATE consents SET withdrawn_at = now() WHERE purpose = 'accompaniment';
SELECT throws_ok($$SELECT cases_case_transition(t_agent(), t_id((SELECT kase FROM t)), '{}',
  '{"from": "open", "to": "in_progress"}', 'r')$$, 'MP409', NULL, 'withdrawn consent: no more work');

-- erasure keeps statistics, the audit cannot be changed
SELECT is(cases_person_erase(t_off(), t_id((SELECT person FROM t)), NULL, NULL, 'r')::jsonb->>'age_band',
  c_age_band(1990), 'erasure keeps the age band');
SELECT throws_ok($$UPDATE audit_log SET action = 'x'$$, '42501', NULL, 'the service role cannot update the audit');
SELECT throws_ok($$DELETE FROM audit_log$$, '42501', NULL, 'nor delete from it');

SELECT * FROM finish();
ROLLBACK;
