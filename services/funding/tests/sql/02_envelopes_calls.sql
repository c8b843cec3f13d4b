-- Envelopes and the ledger (the money), then calls: who may create,
-- see, change and move them, and what each change writes.
BEGIN;
\ir fixture.psql
SELECT plan(55);

-- envelope_put: creation, raise, the floor of what is committed, scope
SELECT is((t_envelope('souss-massa', 500000)::jsonb->>'allocated_minor')::bigint, 500000::bigint,
  'envelope_put creates the envelope');
SELECT is((SELECT sum(amount_minor) FROM ledger_entries WHERE region = 'souss-massa' AND kind = 'allocation'),
  500000::numeric, 'envelope_put writes the allocation to the ledger');
SELECT is(t_events('funding.envelope.allocated.v1'), 1::bigint, 'envelope_put emits allocated');
SELECT is((t_envelope('souss-massa', 800000)::jsonb->>'available_minor')::bigint, 800000::bigint,
  'envelope_put raises the allocation');
SELECT is((SELECT sum(amount_minor) FROM ledger_entries WHERE region = 'souss-massa' AND kind = 'allocation'),
  800000::numeric, 'the ledger records the delta, not the total');
SELECT lives_ok($$SELECT t_envelope('souss-massa', 800000)$$, 'an unchanged allocation is accepted');
SELECT is(t_events('funding.envelope.allocated.v1'), 2::bigint, 'an unchanged allocation is no news');
SELECT throws_ok($$SELECT funding_envelope_put(t_off('oriental'), '{"region": "souss-massa", "year": "2027"}',
  '{"allocated_minor": 1}', NULL, 'r')$$, 'MP404', NULL, 'envelope_put: another region''s officer sees nothing');
SELECT throws_ok($$SELECT funding_envelope_put(t_applicant(), '{"region": "souss-massa", "year": "2027"}',
  '{"allocated_minor": 1}', NULL, 'r')$$, 'MP404', NULL, 'envelope_put: an applicant sees nothing');
SELECT throws_ok($$SELECT funding_envelope_put(t_off(), '{"region": "souss-massa", "year": "1999"}',
  '{"allocated_minor": 1}', NULL, 'r')$$, 'MP400', NULL, 'envelope_put: year out of range');
SELECT throws_ok($$SELECT funding_envelope_put(t_off(), '{"region": "souss-massa", "year": "2027"}',
  '{"allocated_minor": 1, "currency": "MAD"}', NULL, 'r')$$, 'MP400', NULL, 'envelope_put: currency cannot change');
SELECT throws_ok($$SELECT funding_envelope_put(t_off(), '{"region": "souss-massa", "year": "2027", "if_match": "\"v0\""}',
  '{"allocated_minor": 1}', NULL, 'r')$$, 'MP412', NULL, 'envelope_put: stale If-Match');

-- f_commit: the envelope's only way to commit money
SELECT lives_ok($$SELECT f_commit('souss-massa', 2027, 300000, NULL, 'officer', 'r')$$, 'f_commit within the envelope');
SELECT is((SELECT committed_minor FROM envelopes WHERE region = 'souss-massa' AND year = 2027), 300000::bigint,
  'f_commit adds to committed');
SELECT is((SELECT count(*) FROM ledger_entries WHERE kind = 'commitment'), 1::bigint, 'f_commit writes the ledger');
SELECT throws_ok($$SELECT f_commit('souss-massa', 2027, 500001, NULL, 'officer', 'r')$$, 'MP409',
  'the regional envelope cannot cover this commitment', 'f_commit refuses more than is available');
SELECT is((SELECT committed_minor FROM envelopes WHERE region = 'souss-massa' AND year = 2027), 300000::bigint,
  'a refused commitment changes nothing');
SELECT lives_ok($$SELECT f_commit('souss-massa', 2027, 500000, NULL, 'officer', 'r')$$, 'f_commit to the last unit');
SELECT throws_ok($$SELECT f_commit('oriental', 2031, 1, NULL, 'officer', 'r')$$, 'MP409', NULL,
  'f_commit without an envelope');
SELECT throws_ok($$SELECT funding_envelope_put(t_off(), '{"region": "souss-massa", "year": "2027"}',
  '{"allocated_minor": 799999}', NULL, 'r')$$, 'MP409', NULL, 'envelope_put cannot go below what is committed');

-- envelope_get / list
SELECT is((funding_envelope_get(t_off(), '{"region": "souss-massa", "year": "2027"}', NULL, NULL, NULL)::jsonb
  ->>'available_minor')::bigint, 0::bigint, 'envelope_get: available = allocated - committed');
SELECT is(jsonb_array_length(funding_envelope_get(t_off(), '{"region": "souss-massa", "year": "2027"}', NULL, NULL,
  NULL)::jsonb->'ledger'), 4, 'envelope_get: its ledger');
SELECT lives_ok($$SELECT funding_envelope_get(t_p('g', 'gender_analyst'), '{"region": "souss-massa", "year": "2027"}',
  NULL, NULL, NULL)$$, 'envelope_get: the region''s gender analyst reads it');
SELECT throws_ok($$SELECT funding_envelope_get(t_off('oriental'), '{"region": "souss-massa", "year": "2027"}',
  NULL, NULL, NULL)$$, 'MP404', NULL, 'envelope_get: other region');
SELECT throws_ok($$SELECT funding_envelope_get(t_off(), '{"region": "souss-massa", "year": "20x7"}',
  NULL, NULL, NULL)$$, 'MP404', NULL, 'envelope_get: not a year');
SELECT is(jsonb_array_length(funding_envelope_list(t_off('oriental'), '{}', NULL, NULL, NULL)::jsonb->'items'), 0,
  'envelope_list: nothing of another region');
SELECT is(jsonb_array_length(funding_envelope_list(t_admin(), '{"year": "2027"}', NULL, NULL, NULL)::jsonb->'items'), 1,
  'envelope_list: admin, filtered by year');
SELECT is(f_envelope_json((SELECT e FROM envelopes e LIMIT 1))->>'region', 'souss-massa', 'f_envelope_json');

-- calls
SELECT isnt(t_call('oriental', false), NULL, 'call_create by the region''s officer');
SELECT is((SELECT status FROM calls WHERE region = 'oriental'), 'draft', 'a new call is a draft');
SELECT is(t_events('funding.call.created.v1'), 1::bigint, 'call_create emits created');
SELECT throws_ok($$SELECT funding_call_create(t_off('oriental'), '{}', t_call_body('souss-massa'), NULL, 'r')$$,
  'MP403', NULL, 'call_create: not for another region');
SELECT throws_ok($$SELECT funding_call_create(t_off(), '{}', t_call_body() || '{"themes": ["astrology"]}', NULL, 'r')$$,
  'MP400', NULL, 'call_create: unknown theme');
SELECT throws_ok($$SELECT f_call_lists_ok('[]', '["pirates"]')$$, 'MP400', NULL, 'f_call_lists_ok: unknown applicant type');
SELECT lives_ok($$SELECT f_call_lists_ok('["economic"]', '["mre"]')$$, 'f_call_lists_ok: known codes');
SELECT throws_ok($$SELECT funding_call_create(t_off(), '{}', t_call_body() || jsonb_build_object('closes_at',
  now() - interval '2 days'), NULL, 'r')$$, 'MP400', NULL, 'call_create: closes before it opens');
SELECT throws_ok($$SELECT funding_call_create(t_off(), '{}', t_call_body() || '{"max_grant_minor": 2000000}',
  NULL, 'r')$$, 'MP400', NULL, 'call_create: a grant above the budget');

SELECT ok(NOT f_call_visible('{}', (SELECT c FROM calls c WHERE region = 'oriental')), 'f_call_visible: a draft is not public');
SELECT ok(f_call_visible(t_off('oriental'), (SELECT c FROM calls c WHERE region = 'oriental')),
  'f_call_visible: a draft is its officers''');
SELECT throws_ok(format($$SELECT funding_call_get('{}', t_id(%L), NULL, NULL, NULL)$$,
  (SELECT id FROM calls WHERE region = 'oriental')), 'MP404', NULL, 'call_get: a draft is 404 to the public');
SELECT is(f_call_json((SELECT c FROM calls c WHERE region = 'oriental'))->>'status', 'draft', 'f_call_json');
SELECT is(funding_call_state(t_off('oriental'), t_id((SELECT id FROM calls WHERE region = 'oriental')), NULL)::jsonb,
  '{"state": "draft"}'::jsonb, 'call_state: the facts of a transition');

SELECT is((funding_call_update(t_off('oriental'), t_id((SELECT id FROM calls WHERE region = 'oriental')),
  '{"budget_minor": 900000}', NULL, 'r')::jsonb->>'version')::int, 2, 'call_update: a draft changes, version bumped');
SELECT throws_ok(format($$SELECT funding_call_update(t_off(), t_id(%L), '{"budget_minor": 1}', NULL, 'r')$$,
  (SELECT id FROM calls WHERE region = 'oriental')), 'MP404', NULL, 'call_update: other region 404');
SELECT throws_ok(format($$SELECT funding_call_update(t_off('oriental'), t_id(%L), '{"max_grant_minor": 950000}', NULL, 'r')$$,
  (SELECT id FROM calls WHERE region = 'oriental')), 'MP400', NULL, 'call_update: grant above the budget');

SELECT is(t_move('funding_call_transition', t_off('oriental'), (SELECT id FROM calls WHERE region = 'oriental'),
  'draft', 'published')::jsonb->>'status', 'published', 'call_transition publishes');
SELECT isnt((SELECT published_at FROM calls WHERE region = 'oriental'), NULL, 'publication is dated');
SELECT throws_ok(format($$SELECT t_move('funding_call_transition', t_off('oriental'), %L, 'draft', 'published')$$,
  (SELECT id FROM calls WHERE region = 'oriental')), 'MP409', NULL, 'call_transition re-checks the state it was shown');
SELECT throws_ok(format($$SELECT funding_call_update(t_off('oriental'), t_id(%L), '{"budget_minor": 1}', NULL, 'r')$$,
  (SELECT id FROM calls WHERE region = 'oriental')), 'MP409', NULL, 'call_update: only a draft');
SELECT throws_ok(format($$SELECT t_move('funding_call_transition', t_off('souss-massa'), %L, 'draft', 'published')$$,
  (SELECT id FROM calls WHERE region = 'oriental')), 'MP404', NULL, 'call_transition: other region 404');

-- publication needs the year's envelope
SELECT throws_ok($$SELECT t_move('funding_call_transition', t_off('oriental'),
  (funding_call_create(t_off('oriental'), '{}', t_call_body('oriental') || '{"year": 2031}', NULL, 'r')->>'id')::uuid,
  'draft', 'published')$$, 'MP409', NULL, 'call_transition: no envelope, no publication');

SELECT is(jsonb_array_length(funding_call_list('{}', '{}', NULL, NULL, NULL)::jsonb->'items'), 1,
  'call_list: the public sees the published call only');
SELECT is(jsonb_array_length(funding_call_list(t_off(), '{"status": "draft"}', NULL, NULL, NULL)::jsonb->'items')
  + (t_call('souss-massa', false) IS NOT NULL)::int, 1, 'call_list: no draft yet');
SELECT is(jsonb_array_length(funding_call_list(t_off(), '{"status": "draft", "region": "souss-massa"}', NULL, NULL,
  NULL)::jsonb->'items'), 1, 'call_list: officers see their drafts, filtered');
SELECT is(jsonb_array_length(funding_call_list(t_off('oriental'), '{"status": "draft"}', NULL, NULL, NULL)::jsonb->'items'),
  0, 'call_list: not another region''s drafts');

SELECT * FROM finish();
ROLLBACK;
