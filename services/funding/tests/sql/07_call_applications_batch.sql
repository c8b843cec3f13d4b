-- The applications of many calls at once (call-applications): each
-- visible call's first page exactly as its own read gives it, in id order,
-- with the single read's visibility; refused when malformed.
BEGIN;
\ir fixture.psql
SELECT plan(9);

CREATE TEMP TABLE t AS SELECT t_call() AS c1, t_call() AS c2, t_call() AS c3,
  t_call('oriental') AS other;
SELECT t_draft(c1, 'applicant-' || i) FROM t, generate_series(1, 3) i;
SELECT t_draft(c2, 'applicant-9') FROM t;
SELECT t_draft(other, 'applicant-o') FROM t;

CREATE TEMP TABLE r AS SELECT funding_call_applications_batch(t_off(), jsonb_build_object('call_ids',
  (SELECT c1 || ',' || c2 || ',' || c3 || ',' || other FROM t), 'per_parent', '2'), NULL, NULL, NULL)::jsonb AS j;

SELECT is((SELECT array_agg(x->>'call_id') FROM r, jsonb_array_elements(j->'items') x),
  (SELECT array_agg(id::text ORDER BY id) FROM calls WHERE id IN (SELECT c1 FROM t UNION SELECT c2 FROM t
    UNION SELECT c3 FROM t)),
  'the region''s three calls, in id order; another region''s call is absent, as its 404 would be');
SELECT is((SELECT x - 'call_id' FROM r, jsonb_array_elements(j->'items') x WHERE x->>'call_id' = (SELECT c1::text FROM t)),
  funding_call_applications(t_off(), jsonb_build_object('id', (SELECT c1 FROM t), 'limit', '2'), NULL, NULL, NULL)::jsonb,
  'a full page: the single read''s page, next_cursor included');
SELECT is((SELECT x - 'call_id' FROM r, jsonb_array_elements(j->'items') x WHERE x->>'call_id' = (SELECT c2::text FROM t)),
  funding_call_applications(t_off(), jsonb_build_object('id', (SELECT c2 FROM t), 'limit', '2'), NULL, NULL, NULL)::jsonb,
  'a short page: the single read''s, no next_cursor');
SELECT is((SELECT jsonb_array_length(x->'items') FROM r, jsonb_array_elements(j->'items') x
  WHERE x->>'call_id' = (SELECT c3::text FROM t)), 0, 'a call without applications: an empty page');
SELECT is(jsonb_array_length(funding_call_applications_batch(t_applicant(), jsonb_build_object('call_ids',
  (SELECT c1::text FROM t)), NULL, NULL, NULL)::jsonb->'items'), 0,
  'an applicant sees no call''s list (the route refuses them first)');
SELECT is(jsonb_array_length(funding_call_applications_batch(t_admin(), jsonb_build_object('call_ids',
  (SELECT c1 || ',' || other FROM t)), NULL, NULL, NULL)::jsonb->'items'), 2, 'an admin sees every region''s');
SELECT throws_ok($$SELECT funding_call_applications_batch(t_off(), '{"call_ids": "abc"}', NULL, NULL, NULL)$$,
  'MP400', NULL, 'call_ids: not ids');
SELECT throws_ok($$SELECT funding_call_applications_batch(t_off(), '{}', NULL, NULL, NULL)$$,
  'MP400', NULL, 'call_ids: required');
SELECT throws_ok(format($$SELECT funding_call_applications_batch(t_off(), '{"call_ids": "%s", "per_parent": "0"}',
  NULL, NULL, NULL)$$, (SELECT c1 FROM t)), 'MP400', NULL, 'per_parent: 1 to 200');

SELECT * FROM finish();
ROLLBACK;
