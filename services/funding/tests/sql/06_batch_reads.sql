-- Batch reads (?ids=): the lists of calls and applications filtered to the
-- given ids, with the list's own visibility, refused when malformed.
BEGIN;
\ir fixture.psql
SELECT plan(9);

CREATE TEMP TABLE t AS SELECT t_call() AS c1, t_call() AS c2, t_call() AS c3,
  t_call('oriental', false) AS other;

SELECT is(jsonb_array_length(funding_call_list('{}', jsonb_build_object('ids',
  (SELECT c1 || ',' || c3 FROM t)), NULL, NULL, NULL)::jsonb->'items'), 2,
  'call_list ids: the calls named, and only they');
SELECT is((SELECT array_agg(x->>'id' ORDER BY x->>'id') FROM jsonb_array_elements(funding_call_list('{}',
  jsonb_build_object('ids', (SELECT c3 || ',' || c1 FROM t)), NULL, NULL, NULL)::jsonb->'items') x),
  (SELECT ARRAY[least(c1, c3)::text, greatest(c1, c3)::text] FROM t), 'call_list ids: in id order');
SELECT is(jsonb_array_length(funding_call_list('{}', jsonb_build_object('ids',
  (SELECT c1 || ',' || other FROM t)), NULL, NULL, NULL)::jsonb->'items'), 1,
  'call_list ids: another region''s draft is absent, as a 404 would be');
SELECT is(jsonb_array_length(funding_call_list('{}', jsonb_build_object('ids',
  (SELECT c1 || ',' || c2 || ',' || c3 FROM t), 'limit', '1'), NULL, NULL, NULL)::jsonb->'items'), 3,
  'call_list ids: the page holds every id named, whatever the limit');
SELECT throws_ok($$SELECT funding_call_list('{}', '{"ids": "abc"}', NULL, NULL, NULL)$$, 'MP400', NULL,
  'call_list ids: not ids');
SELECT throws_ok($$SELECT funding_call_list('{}', '{"ids": ""}', NULL, NULL, NULL)$$, 'MP400', NULL,
  'call_list ids: empty');
SELECT throws_ok(format($$SELECT funding_call_list('{}', '{"ids": "%s"}', NULL, NULL, NULL)$$,
  (SELECT string_agg(gen_random_uuid()::text, ',') FROM generate_series(1, 101))), 'MP400', NULL,
  'call_list ids: at most 100');

CREATE TEMP TABLE a AS SELECT t_draft((SELECT c1 FROM t)) AS a1, t_draft((SELECT c2 FROM t), 'applicant-2') AS a2;
SELECT is(jsonb_array_length(funding_application_list(t_off(), jsonb_build_object('ids',
  (SELECT a1 || ',' || a2 FROM a)), NULL, NULL, NULL)::jsonb->'items'), 2,
  'application_list ids: the officer reads both at once');
SELECT is(jsonb_array_length(funding_application_list(t_applicant(), jsonb_build_object('ids',
  (SELECT a1 || ',' || a2 FROM a)), NULL, NULL, NULL)::jsonb->'items'), 1,
  'application_list ids: an applicant gets only their own');

SELECT * FROM finish();
ROLLBACK;
