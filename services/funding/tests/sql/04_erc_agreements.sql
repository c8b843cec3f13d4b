-- The ERC (members, sessions, attendance, conflicts, votes, decisions that
-- commit money), then agreements, tranches (money out), reports, visits,
-- evaluations and the dashboards.
BEGIN;
\ir fixture.psql
SELECT plan(60);

CREATE TEMP TABLE t AS SELECT t_call() AS call;
ALTER TABLE t ADD COLUMN a1 uuid, ADD COLUMN a2 uuid, ADD COLUMN s uuid, ADD COLUMN m uuid[],
  ADD COLUMN g uuid, ADD COLUMN tr uuid[], ADD COLUMN r uuid;
UPDATE t SET a1 = t_appraised(call, 'applicant-1', 'shortlisted', 600000);
UPDATE t SET a2 = t_appraised(call, 'applicant-2', 'shortlisted', 500000);

-- members
SELECT throws_ok($$SELECT funding_erc_member_add(t_off('oriental'), '{}', '{"region": "souss-massa", "user_sub": "x",
  "name": "n", "college": "civil_society"}', NULL, 'r')$$, 'MP403', NULL, 'erc_member_add: own region only');
UPDATE t SET m = t_members();
SELECT is(jsonb_array_length(funding_erc_member_list(t_off(), '{"region": "souss-massa"}', NULL, NULL, NULL)::jsonb->'items'), 3,
  'erc_member_list: the region''s members');
SELECT is(jsonb_array_length(funding_erc_member_list(t_off('oriental'), '{"region": "souss-massa"}', NULL, NULL, NULL)::jsonb
  ->'items'), 0, 'erc_member_list: nothing of another region');
SELECT is(f_member_json((SELECT m FROM erc_members m LIMIT 1))->>'active', 'true', 'f_member_json');
SELECT is((f_member_of(t_p('erc1-souss-massa', 'erc_member'), 'souss-massa')).college, 'local_authority',
  'f_member_of: the principal''s membership');
SELECT throws_ok($$SELECT f_member_of(t_p('erc1-souss-massa', 'applicant'), 'souss-massa')$$, 'MP403', NULL,
  'f_member_of: the role is needed too');

-- sessions
SELECT throws_ok($$SELECT funding_erc_session_create(t_off(), '{}', jsonb_build_object('region', 'souss-massa',
  'scheduled_at', now(), 'agenda', jsonb_build_array(t_eligible((SELECT call FROM t), 'applicant-8'))), NULL, 'r')$$,
  'MP400', NULL, 'session_create: only shortlisted or waitlisted applications on the agenda');
SELECT throws_ok($$SELECT funding_erc_session_create(t_off('oriental'), '{}', jsonb_build_object('region', 'souss-massa',
  'scheduled_at', now(), 'agenda', jsonb_build_array((SELECT a1 FROM t))), NULL, 'r')$$, 'MP403', NULL,
  'session_create: own region only');
UPDATE t SET s = (funding_erc_session_create(t_off(), '{}', jsonb_build_object('region', 'souss-massa',
  'call_id', call, 'scheduled_at', now() + interval '1 hour', 'agenda', jsonb_build_array(a1, a2)), NULL, 'r')->>'id')::uuid;
SELECT is(funding_erc_session_get(t_off(), t_id((SELECT s FROM t)), NULL, NULL, NULL)::jsonb->>'status', 'convened',
  'session_get: convened');
SELECT is(f_session_json((SELECT x FROM erc_sessions x WHERE id = (SELECT s FROM t)))::jsonb->>'region', 'souss-massa',
  'f_session_json');
SELECT throws_ok($$SELECT f_session_for(t_off('oriental'), (SELECT s FROM t)::text)$$, 'MP404', NULL,
  'f_session_for: other region');
SELECT is(funding_erc_quorum_facts(t_off(), t_id((SELECT s FROM t)), NULL)::jsonb->'members'->0->>'present', 'false',
  'quorum_facts: nobody present yet');
SELECT ok((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(funding_erc_quorum_facts(t_off(), t_id((SELECT s FROM t)),
  NULL)::jsonb) k) = ARRAY['members', 'quorum_bp'], 'quorum_facts: exactly the keys decide reads');
SELECT throws_ok($$SELECT funding_erc_attendance(t_off(), t_id((SELECT s FROM t)),
  '{"present": ["01930000-0000-7000-8000-000000000099"]}', NULL, 'r')$$, 'MP400', NULL,
  'attendance: only active members of the region');
SELECT lives_ok($$SELECT funding_erc_attendance(t_off(), t_id((SELECT s FROM t)), jsonb_build_object('present',
  to_jsonb((SELECT m FROM t))), NULL, 'r')$$, 'attendance recorded');
SELECT is(funding_erc_quorum_facts(t_off(), t_id((SELECT s FROM t)), NULL)::jsonb->'members'->2->>'present', 'true',
  'quorum_facts: attendance seen');
SELECT throws_ok($$SELECT funding_erc_vote(t_p('erc1-souss-massa', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t), 'choice', 'for'), NULL, 'r')$$, 'MP409', NULL,
  'vote: not before the session opens');
SELECT is(funding_erc_session_open(t_off(), t_id((SELECT s FROM t)), '{}', '{"quorum": {"members": 3}}', 'r')::jsonb->>'status',
  'open', 'session_open applies the decided quorum');
SELECT throws_ok($$SELECT funding_erc_session_open(t_off(), t_id((SELECT s FROM t)), '{}', '{"quorum": {}}', 'r')$$,
  'MP409', NULL, 'session_open: once');
SELECT throws_ok($$SELECT funding_erc_quorum_facts(t_off(), t_id((SELECT s FROM t)), NULL)$$, 'MP409', NULL,
  'quorum_facts: the session is no longer waiting');
SELECT throws_ok($$SELECT funding_erc_attendance(t_off(), t_id((SELECT s FROM t)), '{"present": []}', NULL, 'r')$$,
  'MP409', NULL, 'attendance: not once open');

-- conflicts and votes
SELECT lives_ok($$SELECT funding_erc_conflict(t_p('erc3-souss-massa', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t), 'statement', 'family'), NULL, 'r')$$, 'conflict declared');
SELECT is(t_events('funding.erc.conflict_declared.v1'), 1::bigint, 'conflict emits once');
SELECT lives_ok($$SELECT funding_erc_conflict(t_p('erc3-souss-massa', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t)), NULL, 'r')$$, 'a repeated declaration is accepted');
SELECT is(t_events('funding.erc.conflict_declared.v1'), 1::bigint, 'a repeated declaration says nothing');
SELECT throws_ok($$SELECT funding_erc_conflict(t_p('erc3-souss-massa', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', t_eligible((SELECT call FROM t), 'applicant-7')), NULL, 'r')$$, 'MP400', NULL,
  'conflict: only on the agenda');
SELECT throws_ok($$SELECT funding_erc_vote(t_p('erc3-souss-massa', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t), 'choice', 'for'), NULL, 'r')$$, 'MP403', NULL,
  'vote: a conflicted member does not vote');
SELECT lives_ok($$SELECT funding_erc_vote(t_p('erc1-souss-massa', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t), 'choice', 'for'), NULL, 'r')$$, 'vote cast');
SELECT throws_ok($$SELECT funding_erc_vote(t_p('erc1-souss-massa', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t), 'choice', 'against'), NULL, 'r')$$, 'MP409', NULL,
  'vote: one per member and application');
SELECT throws_ok($$SELECT funding_erc_vote(t_p('nobody', 'erc_member'), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t), 'choice', 'for'), NULL, 'r')$$, 'MP403', NULL,
  'vote: members only');
SELECT is(jsonb_array_length(funding_erc_tally_facts(t_off(), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t)))::jsonb->'votes'), 1, 'tally_facts: the votes cast');
SELECT is((SELECT count(*) FROM jsonb_array_elements(funding_erc_tally_facts(t_off(), t_id((SELECT s FROM t)),
  jsonb_build_object('application_id', (SELECT a1 FROM t)))::jsonb->'members') e WHERE (e->>'conflicted')::boolean), 1::bigint,
  'tally_facts: the conflicted member');

-- decisions commit money
SELECT throws_ok($$SELECT funding_erc_decide(t_off(), t_id((SELECT s FROM t)), jsonb_build_object('application_id',
  (SELECT a1 FROM t)), '{"decision": "selected", "for": 0, "against": 0, "abstain": 0}', 'r')$$, 'MP409',
  'a vote was cast meanwhile; record the decision again', 'erc_decide: re-checks the tally it was shown');
SELECT is(funding_erc_decide(t_off(), t_id((SELECT s FROM t)), jsonb_build_object('application_id', (SELECT a1 FROM t)),
  '{"decision": "selected", "for": 1, "against": 0, "abstain": 0}', 'r')::jsonb->>'status', 'open', 'erc_decide: selected');
SELECT is((SELECT committed_minor FROM envelopes WHERE region = 'souss-massa'), 600000::bigint,
  'a selection commits the requested amount');
SELECT is((SELECT committed_minor FROM applications WHERE id = (SELECT a1 FROM t)), 600000::bigint,
  'the application carries its commitment');
SELECT throws_ok($$SELECT funding_erc_decide(t_off(), t_id((SELECT s FROM t)), jsonb_build_object('application_id',
  (SELECT a2 FROM t)), '{"decision": "selected", "for": 0, "against": 0, "abstain": 0}', 'r')$$, 'MP409',
  'the regional envelope cannot cover this commitment', 'erc_decide: a selection beyond the envelope fails whole');
SELECT is((SELECT status FROM applications WHERE id = (SELECT a2 FROM t)), 'shortlisted', 'and changes nothing');
SELECT lives_ok($$SELECT funding_erc_decide(t_off(), t_id((SELECT s FROM t)), jsonb_build_object('application_id',
  (SELECT a2 FROM t)), '{"decision": "waitlisted", "for": 0, "against": 0, "abstain": 0}', 'r')$$, 'erc_decide: waitlisted');
SELECT throws_ok($$SELECT funding_erc_decide(t_off(), t_id((SELECT s FROM t)), jsonb_build_object('application_id',
  (SELECT a2 FROM t)), '{"decision": "rejected", "for": 0, "against": 0, "abstain": 0}', 'r')$$, 'MP409', NULL,
  'erc_decide: once per agenda item');
SELECT is(funding_erc_session_close(t_off(), t_id((SELECT s FROM t)), '{"minutes": "PV"}', NULL, 'r')::jsonb->>'status',
  'closed', 'session_close');
SELECT throws_ok($$SELECT funding_erc_session_close(t_off(), t_id((SELECT s FROM t)), '{}', NULL, 'r')$$, 'MP409', NULL,
  'session_close: once');

-- agreements
SELECT is(funding_agreement_facts(t_off(), t_id((SELECT a1 FROM t)), NULL)::jsonb, '{"approved_minor": 600000}'::jsonb,
  'agreement_facts: the committed amount');
SELECT throws_ok($$SELECT funding_agreement_facts(t_off(), t_id((SELECT a2 FROM t)), NULL)$$, 'MP409', NULL,
  'agreement_facts: only a selected application');
UPDATE t SET g = (funding_agreement_create(t_off(), t_id(a1), '{"tranches": [{"amount_minor": 200000, "condition": "signature"},
  {"amount_minor": 400000, "condition": "report_approved:m1"}]}', NULL, 'r')::jsonb->>'id')::uuid;
SELECT is(funding_agreement_state(t_off(), t_id((SELECT g FROM t)), NULL)::jsonb, '{"state": "draft"}'::jsonb,
  'agreement_state: a draft');
UPDATE t SET tr = ARRAY(SELECT id FROM tranches WHERE agreement_id = (SELECT g FROM t) ORDER BY seq);
SELECT throws_ok($$SELECT funding_tranche_facts(t_off(), t_id((SELECT tr[1] FROM t)), NULL)$$, 'MP409', NULL,
  'tranche_facts: not before the signature');
SELECT is(t_move('funding_agreement_transition', t_off(), (SELECT g FROM t), 'draft', 'signed')::jsonb->>'status', 'signed',
  'agreement_transition: signed');
SELECT is((SELECT status FROM applications WHERE id = (SELECT a1 FROM t)), 'agreement_signed',
  'the signature moves the application');
SELECT is(funding_tranche_facts(t_off(), t_id((SELECT tr[1] FROM t)), NULL)::jsonb,
  '{"condition": "signature", "signed": true, "milestones": []}'::jsonb, 'tranche_facts: what the condition needs');
SELECT is(funding_tranche_release(t_off(), t_id((SELECT tr[1] FROM t)), '{}', NULL, 'r')::jsonb->>'disbursed_minor', '200000',
  'tranche_release disburses');
SELECT is((SELECT disbursed_minor FROM envelopes WHERE region = 'souss-massa'), 200000::bigint, 'the envelope records it');
SELECT is((SELECT status FROM applications WHERE id = (SELECT a1 FROM t)), 'in_progress', 'the first tranche starts the project');
SELECT throws_ok($$SELECT funding_tranche_release(t_off(), t_id((SELECT tr[1] FROM t)), '{}', NULL, 'r')$$, 'MP409',
  'the tranche was already released', 'tranche_release: once');

-- reports
UPDATE t SET r = (funding_report_create(t_applicant(), t_id(g), '{"milestone": "m1", "period_end": "2027-06-30",
  "indicators": [], "narrative": "n"}', NULL, 'r')::jsonb->>'id')::uuid;
SELECT throws_ok($$SELECT funding_report_create(t_off(), t_id((SELECT g FROM t)), '{"milestone": "m2"}', NULL, 'r')$$,
  'MP403', NULL, 'report_create: the project holder writes reports');
SELECT throws_ok($$SELECT funding_report_create(t_applicant(), t_id((SELECT g FROM t)), '{"milestone": "M 1"}', NULL, 'r')$$,
  'MP400', NULL, 'report_create: a milestone names a tranche condition');
SELECT is(funding_report_state(t_applicant(), t_id((SELECT r FROM t)), NULL)::jsonb, '{"state": "draft"}'::jsonb,
  'report_state');
SELECT lives_ok($$SELECT t_move('funding_report_transition', t_applicant(), (SELECT r FROM t), 'draft', 'submitted')$$,
  'report submitted');
SELECT throws_ok($$SELECT t_move('funding_report_transition', t_applicant(), (SELECT r FROM t), 'submitted', 'approved')$$,
  'MP403', NULL, 'report_transition: officers approve');
SELECT lives_ok($$SELECT t_move('funding_report_transition', t_off(), (SELECT r FROM t), 'submitted', 'approved')$$,
  'report approved');
SELECT is(funding_tranche_facts(t_off(), t_id((SELECT tr[2] FROM t)), NULL)::jsonb->'milestones', '["m1"]'::jsonb,
  'tranche_facts: the approved milestone');

SELECT * FROM finish();
ROLLBACK;
