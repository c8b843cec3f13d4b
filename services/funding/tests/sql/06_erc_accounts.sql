-- ERC members are erc_member accounts of their region (projected from the
-- gateway's gateway.user.*.v1 events), can be deactivated, come back, and
-- leave when their account stops backing them; quorum counts active ones.
BEGIN;
\ir fixture.psql
SELECT plan(16);

SELECT t_account('acc-1', ARRAY['erc_member'], 'souss-massa');
SELECT t_account('acc-2', ARRAY['erc_member'], 'oriental');
SELECT t_account('acc-3', ARRAY['applicant'], 'souss-massa');

CREATE FUNCTION t_add(sub text, region text DEFAULT 'souss-massa') RETURNS jsonb LANGUAGE sql AS $$
  SELECT funding_erc_member_add(t_off(region), '{}', jsonb_build_object('region', region,
    'user_sub', sub, 'name', 'Membre', 'college', 'civil_society'), NULL, 'rid')::jsonb
$$;

-- who may be added
SELECT throws_ok($$SELECT t_add('nonsense')$$, 'MP400', NULL, 'member_add: an unknown subject is refused');
SELECT throws_ok($$SELECT t_add('acc-2')$$, 'MP400', NULL, 'member_add: another region''s account is refused');
SELECT throws_ok($$SELECT t_add('acc-3')$$, 'MP400', NULL, 'member_add: an account without erc_member is refused');
SELECT is(t_add('acc-1')->>'active', 'true', 'member_add: an erc_member account of the region');
SELECT throws_ok($$SELECT t_add('acc-1')$$, 'MP409', NULL, 'member_add: an active member twice is 409');
SELECT is((SELECT count(*)::int FROM outbox WHERE type = 'funding.erc.member_added.v1'), 1, 'member_add: one event');

-- deactivation
CREATE TEMP TABLE m AS SELECT id FROM erc_members WHERE user_sub = 'acc-1';
SELECT throws_ok($$SELECT funding_erc_member_deactivate(t_off('oriental'), jsonb_build_object('id', (SELECT id FROM m)),
  NULL, NULL, 'r')$$, 'MP404', NULL, 'deactivate: another region''s officer sees no such member');
SELECT is(funding_erc_member_deactivate(t_off(), jsonb_build_object('id', (SELECT id FROM m)), NULL, NULL, 'r')::jsonb->>'active',
  'false', 'deactivate: the member is inactive');
SELECT throws_ok($$SELECT funding_erc_member_deactivate(t_off(), jsonb_build_object('id', (SELECT id FROM m)), NULL, NULL, 'r')$$,
  'MP409', NULL, 'deactivate: twice is 409');
SELECT is((SELECT data FROM outbox WHERE type = 'funding.erc.member_deactivated.v1'),
  jsonb_build_object('member_id', (SELECT id FROM m), 'region', 'souss-massa', 'college', 'civil_society'),
  'deactivate: the event, without user id or name');
SELECT throws_ok($$SELECT f_member_of(t_p('acc-1', 'erc_member'), 'souss-massa')$$, 'MP403', NULL,
  'deactivate: an inactive member may not vote');

-- back again: the same member
SELECT is((t_add('acc-1')->>'id')::uuid, (SELECT id FROM m), 'member_add: a member who left comes back as the same member');

-- the account stops backing the membership
SELECT funding_user_project(jsonb_build_object('type', 'gateway.user.updated.v1', 'requestid', 'rid-2',
  'data', jsonb_build_object('sub', 'acc-1', 'roles', jsonb_build_array('applicant'), 'region', 'souss-massa')));
SELECT is((SELECT active FROM erc_members WHERE id = (SELECT id FROM m)), false,
  'user_project: losing erc_member deactivates the membership');
SELECT is((SELECT count(*)::int FROM outbox WHERE type = 'funding.erc.member_deactivated.v1'), 2,
  'user_project: with its event');
SELECT lives_ok($$SELECT funding_user_project('{"type": "gateway.user.updated.v1", "data": {"sub": 7}}')$$,
  'user_project: a malformed account is skipped');
SELECT lives_ok($$SELECT funding_user_project('{"type": "gateway.token.revoked.v1", "data": {"jti": "j", "exp": 1}}')$$,
  'user_project: other types are ignored');

SELECT * FROM finish();
ROLLBACK;
