-- The helpers every funding function relies on: refusals as MPnnn,
-- role and region tests, If-Match, paging arguments, and the reference
-- lists.
BEGIN;
\ir fixture.psql
SELECT plan(47);

-- refusals
SELECT throws_ok($$SELECT f_raise('MP409', 'busy')$$, 'MP409', 'busy', 'f_raise raises its code and message');
SELECT is(t_err($$SELECT f_raise('MP422', 'x', '{"a": 1}')$$), 'MP422: x', 'f_raise with a detail');
SELECT throws_ok($$SELECT f_field_error('limit', 'too big')$$, 'MP400', 'the request is not valid',
  'f_field_error is a 400');
SELECT throws_ok($$SELECT f_not_found()$$, 'MP404', 'no such resource', 'f_not_found is a 404');

-- roles and regions
SELECT ok(f_has(t_off(), 'council_officer'), 'f_has: held role');
SELECT ok(NOT f_has(t_off(), 'admin'), 'f_has: role not held');
SELECT ok(NOT f_has('{}', 'admin'), 'f_has: public principal');
SELECT ok(f_admin(t_admin()), 'f_admin: admin');
SELECT ok(NOT f_admin(t_off()), 'f_admin: officer is not admin');
SELECT ok(f_officer_of(t_off('oriental'), 'oriental'), 'f_officer_of: own region');
SELECT ok(NOT f_officer_of(t_off('oriental'), 'souss-massa'), 'f_officer_of: other region');
SELECT ok(f_officer_of(t_admin(), 'souss-massa'), 'f_officer_of: admin everywhere');
SELECT ok(NOT f_officer_of(t_applicant(), 'souss-massa'), 'f_officer_of: applicant is not');
SELECT ok(f_role_in(t_p('e', 'erc_member', 'oriental'), 'erc_member', 'oriental'), 'f_role_in: own region');
SELECT ok(NOT f_role_in(t_p('e', 'erc_member', 'oriental'), 'erc_member', 'souss-massa'), 'f_role_in: other region');
SELECT ok(f_role_in(t_admin(), 'erc_member', 'oriental'), 'f_role_in: admin');

-- If-Match
SELECT lives_ok($$SELECT f_if_match('{}', 3)$$, 'f_if_match: no header');
SELECT lives_ok($$SELECT f_if_match('{"if_match": "\"v3\""}', 3)$$, 'f_if_match: current version');
SELECT lives_ok($$SELECT f_if_match('{"if_match": "*"}', 3)$$, 'f_if_match: any version');
SELECT throws_ok($$SELECT f_if_match('{"if_match": "\"v2\""}', 3)$$, 'MP412', NULL, 'f_if_match: stale version');

-- paging and filters
SELECT is(f_limit('{}'), 50, 'f_limit: default');
SELECT is(f_limit('{"limit": "200"}'), 200, 'f_limit: maximum');
SELECT throws_ok($$SELECT f_limit('{"limit": "201"}')$$, 'MP400', NULL, 'f_limit: above 200');
SELECT throws_ok($$SELECT f_limit('{"limit": "0"}')$$, 'MP400', NULL, 'f_limit: zero');
SELECT throws_ok($$SELECT f_limit('{"limit": "1e3"}')$$, 'MP400', NULL, 'f_limit: not an integer');
SELECT is(f_cursor('{}'), NULL, 'f_cursor: none');
SELECT is(f_cursor('{"cursor": "01930000-0000-7000-8000-000000000001"}'),
  '01930000-0000-7000-8000-000000000001'::uuid, 'f_cursor: an id');
SELECT throws_ok($$SELECT f_cursor('{"cursor": "x'' OR 1=1"}')$$, 'MP400', NULL, 'f_cursor: not an id');
SELECT is(f_filter('{}', 'status', ARRAY['a']), NULL, 'f_filter: absent');
SELECT is(f_filter('{"status": "a"}', 'status', ARRAY['a', 'b']), 'a', 'f_filter: allowed value');
SELECT throws_ok($$SELECT f_filter('{"status": "c"}', 'status', ARRAY['a', 'b'])$$, 'MP400', NULL,
  'f_filter: value not allowed');
SELECT is(f_ms('1970-01-01T00:00:01.5Z'), 1500::bigint, 'f_ms: milliseconds since the epoch');
SELECT is(f_text_array('["a", "b"]'), ARRAY['a', 'b'], 'f_text_array');
SELECT is(f_text_array(NULL), '{}'::text[], 'f_text_array: null is empty');
SELECT is(f_page('[{"id": "x"}, {"id": "y"}]', 2)::jsonb->>'next_cursor', 'y', 'f_page: full page has a cursor');
SELECT is(f_page('[{"id": "x"}]', 2)::jsonb->'next_cursor', 'null'::jsonb, 'f_page: last page');
SELECT is(f_page(NULL, 2)::jsonb->'items', '[]'::jsonb, 'f_page: no items');

-- reference lists
SELECT is((funding_themes('{}', '{"lang": "en"}', NULL, NULL, NULL)::jsonb->'items'->0->>'code'),
  (SELECT min(code) FROM themes), 'funding_themes: sorted by code');
SELECT ok((SELECT bool_and(i ? 'label') FROM jsonb_array_elements(funding_themes('{}', '{"lang": "ar"}',
  NULL, NULL, NULL)::jsonb->'items') i), 'funding_themes: every item labelled');
SELECT is(jsonb_array_length(funding_applicant_types('{}', '{"lang": "fr"}', NULL, NULL, NULL)::jsonb->'items'),
  (SELECT count(*)::int FROM applicant_types), 'funding_applicant_types: all of them');
SELECT is(funding_communes('{}', '{"region": "oriental", "lang": "fr"}', NULL, NULL, NULL)::jsonb->>'region',
  'oriental', 'funding_communes: the region asked for');
SELECT ok(NOT EXISTS (SELECT 1 FROM jsonb_array_elements(funding_communes('{}', '{"region": "oriental", "lang": "fr"}',
  NULL, NULL, NULL)::jsonb->'items') i WHERE f_commune_region(i->>'code') <> 'oriental'),
  'funding_communes: only communes of the region');
SELECT is(funding_communes('{}', '{"region": "atlantis"}', NULL, NULL, NULL)::jsonb, NULL,
  'funding_communes: unknown region is no row (404)');
SELECT is(f_commune_region('oujda'), 'oriental', 'f_commune_region: Oujda');
SELECT is(f_commune_region('agadir'), 'souss-massa', 'f_commune_region: Agadir');
SELECT is(f_commune_region('nowhere'), NULL, 'f_commune_region: unknown');
SELECT is(funding_themes('{}', '{"lang": "xx"}', NULL, NULL, NULL)::jsonb->'items'->0->>'label',
  (SELECT name->>'fr' FROM themes ORDER BY code LIMIT 1), 'funding_themes: French when the language is missing');

SELECT * FROM finish();
ROLLBACK;
