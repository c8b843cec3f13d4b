-- Pages built as json text (migration 0007): byte for byte what the jsonb
-- pages of 0003/0004 printed (the old rendering is computed here, from the
-- same rows), next_cursor the page's last id when the page is full and
-- null when it is the last one.
BEGIN;
\ir fixture.psql
SELECT plan(12);

CREATE TEMP TABLE t AS SELECT t_call() AS c1, t_call() AS c2, t_call() AS empty;
SELECT t_draft(c1, 'applicant-' || i) FROM t, generate_series(1, 3) i;
SELECT t_appraised(c2, 'applicant-a', 'under_appraisal') FROM t;
SELECT t_appraised(c2, 'applicant-b', 'under_appraisal') FROM t;

-- the jsonb rendering of before 0007 (0003's f_page, verbatim), from the same rows
CREATE FUNCTION old_page(items jsonb, lim int) RETURNS json LANGUAGE sql IMMUTABLE AS $$
  SELECT json_build_object('items', coalesce(items, '[]'::jsonb),
    'next_cursor', CASE WHEN jsonb_array_length(coalesce(items, '[]'::jsonb)) = lim
      THEN items->(lim - 1)->>'id' END)
$$;
CREATE FUNCTION old_apps(c uuid, lim int, cur uuid DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
  SELECT old_page((SELECT jsonb_agg(f_app_json(x) ORDER BY x.id) FROM (
    SELECT * FROM applications x WHERE x.call_id = c AND (cur IS NULL OR x.id > cur)
    ORDER BY x.id LIMIT lim) x), lim)::text
$$;
CREATE FUNCTION ca(c uuid, lim int, cur uuid DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
  SELECT funding_call_applications(t_off(), jsonb_strip_nulls(jsonb_build_object('id', c,
    'limit', lim::text, 'cursor', cur)), NULL, NULL, NULL)::text
$$;

SELECT is(ca(c1, 2), old_apps(c1, 2), 'a call''s applications, a full page: the same bytes as before')
  FROM t;
SELECT is(ca(c1, 2)::json->>'next_cursor',
  (SELECT (array_agg(id ORDER BY id))[2]::text FROM applications WHERE call_id = c1),
  'a full page''s next_cursor is its last id') FROM t;
SELECT is(ca(c1, 2, (ca(c1, 2)::json->>'next_cursor')::uuid),
  old_apps(c1, 2, (ca(c1, 2)::json->>'next_cursor')::uuid), 'the last page: the same bytes as before')
  FROM t;
SELECT ok(ca(c1, 2, (ca(c1, 2)::json->>'next_cursor')::uuid)::json->>'next_cursor' IS NULL
  AND json_array_length(ca(c1, 2, (ca(c1, 2)::json->>'next_cursor')::uuid)::json->'items') = 1,
  'the last page: one item, next_cursor null') FROM t;
SELECT is(ca(c1, 3), old_apps(c1, 3), 'a page exactly full: the same bytes (next_cursor set, as before)') FROM t;
SELECT is(ca(empty, 2), '{"items" : [], "next_cursor" : null}', 'a call without applications: an empty page')
  FROM t;

SELECT is(funding_application_list(t_off(), '{"limit": "2"}', NULL, NULL, NULL)::text,
  old_page((SELECT jsonb_agg(f_app_json(x) ORDER BY x.id) FROM (SELECT * FROM applications x
    ORDER BY x.id LIMIT 2) x), 2)::text, 'the applications list: the same bytes as before');
SELECT is(funding_call_list(t_off(), '{"limit": "2"}', NULL, NULL, NULL)::text,
  old_page((SELECT jsonb_agg(f_call_json(c) ORDER BY c.id) FROM (SELECT * FROM calls c
    ORDER BY c.id LIMIT 2) c), 2)::text, 'the calls list: the same bytes as before');
SELECT is(funding_appraisal_list(t_off(), '{"limit": "5"}', NULL, NULL, NULL)::text,
  old_page((SELECT jsonb_agg(f_appraisal_json(ap, false) ORDER BY ap.id) FROM (SELECT * FROM appraisals ap
    ORDER BY ap.id LIMIT 5) ap), 5)::text, 'the appraisals list: the same bytes as before');
SELECT is(json_array_length(funding_appraisal_list(t_off(), '{"limit": "5"}', NULL, NULL, NULL)::json->'items'),
  2, 'the appraisals list holds the two appraisals');
SELECT is(f_json_page(NULL, NULL)::text, '{"items" : [], "next_cursor" : null}', 'f_json_page: no items');
SELECT is(f_page((SELECT jsonb_agg(f_app_json(x) ORDER BY x.id) FROM (SELECT * FROM applications x
    ORDER BY x.id LIMIT 2) x), 2)::text,
  old_page((SELECT jsonb_agg(f_app_json(x) ORDER BY x.id) FROM (SELECT * FROM applications x
    ORDER BY x.id LIMIT 2) x), 2)::text,
  'f_page (the batches'' pages) through f_json_page: the same bytes as before');

SELECT * FROM finish();
ROLLBACK;
