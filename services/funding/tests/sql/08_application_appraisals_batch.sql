-- The appraisals of many applications at once (application-appraisals):
-- each listed application's first page exactly as the single list gives
-- it, with its visibility (an appraiser their own, officers their region's);
-- refused when malformed (required and per_parent: check_funding, over
-- HTTP).
BEGIN;
\ir fixture.psql
SELECT plan(5);

CREATE TEMP TABLE t AS SELECT t_call() AS c, t_call('oriental') AS other;
CREATE TEMP TABLE x AS SELECT t_appraised((SELECT c FROM t), 'applicant-1', 'under_appraisal') AS a1,
  t_appraised((SELECT c FROM t), 'applicant-2', 'under_appraisal') AS a2,
  t_appraised((SELECT other FROM t), 'applicant-3', 'under_appraisal') AS a3;
CREATE TEMP TABLE r AS SELECT funding_application_appraisals_batch(t_off(), jsonb_build_object('application_ids',
  (SELECT a1 || ',' || a2 || ',' || a3 FROM x), 'per_parent', '1'), NULL, NULL, NULL)::jsonb AS j;

SELECT is((SELECT jsonb_array_length(j->'items') FROM r), 3, 'one page per listed application');
SELECT is((SELECT e - 'application_id' FROM r, jsonb_array_elements(j->'items') e
    WHERE e->>'application_id' = (SELECT a1::text FROM x)),
  funding_appraisal_list(t_off(), jsonb_build_object('application_id', (SELECT a1 FROM x), 'limit', '1'),
    NULL, NULL, NULL)::jsonb, 'a page: the single list''s, next_cursor included');
SELECT is((SELECT jsonb_array_length(e->'items') FROM r, jsonb_array_elements(j->'items') e
    WHERE e->>'application_id' = (SELECT a3::text FROM x)), 0,
  'another region''s application: an empty page, as the single list gives');
SELECT is(jsonb_array_length(funding_application_appraisals_batch(t_p('appraiser-1', 'appraiser', 'oriental'),
  jsonb_build_object('application_ids', (SELECT a1 || ',' || a3 FROM x)), NULL, NULL, NULL)::jsonb
  #> '{items,1,items}') + jsonb_array_length(funding_application_appraisals_batch(t_p('appraiser-1', 'appraiser', 'oriental'),
  jsonb_build_object('application_ids', (SELECT a1 || ',' || a3 FROM x)), NULL, NULL, NULL)::jsonb #> '{items,0,items}'), 2,
  'the appraiser sees their own appraisals, whatever the region');
SELECT throws_ok($$SELECT funding_application_appraisals_batch(t_off(), '{"application_ids": "abc"}', NULL, NULL, NULL)$$,
  'MP400', NULL, 'application_ids: not ids');
SELECT * FROM finish();
ROLLBACK;
