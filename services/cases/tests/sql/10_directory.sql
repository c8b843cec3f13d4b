-- The service directory's SQL on its own: the query arguments of the HSDS
-- API (each refusal names its argument), the page envelope, multilingual
-- texts, the officers' writes (region, If-Match, French required, events
-- without personal data), the stored list items and directory_sal_active,
-- which referrals rely on. Runs in one transaction, rolled back.
BEGIN;
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\set ON_ERROR_STOP true
SET client_min_messages = warning;

-- principals as the runner passes them, and the field a refusal names
CREATE FUNCTION td_off(region text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('sub', 'officer-' || region, 'roles', '["council_officer"]'::jsonb,
    'region', region, 'commune', '', 'org', '')
$$;
CREATE FUNCTION td_field(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; s text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, s = RETURNED_SQLSTATE;
  RETURN s || ' ' || coalesce(d::jsonb->'errors'->0->>'field', '');
END $$;
CREATE FUNCTION td_state(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
\unset QUIET

SELECT plan(50);

-- ---- query arguments ----------------------------------------------------------
SELECT is(hsds_int_arg('{}', 'page', 1, 1, 9), 1, 'int: default when absent');
SELECT is(hsds_int_arg('{"page": "9"}', 'page', 1, 1, 9), 9, 'int: upper bound');
SELECT is(td_field($$SELECT hsds_int_arg('{"page": "10"}', 'page', 1, 1, 9)$$), 'MP400 page', 'int: above');
SELECT is(td_field($$SELECT hsds_int_arg('{"page": "-1"}', 'page', 1, 1, 9)$$), 'MP400 page', 'int: negative');
SELECT is(td_field($$SELECT hsds_int_arg('{"page": "1.5"}', 'page', 1, 1, 9)$$), 'MP400 page', 'int: not an integer');
SELECT is(td_field($$SELECT hsds_int_arg('{"page": "99999999999"}', 'page', 1, 1, 9)$$), 'MP400 page', 'int: overflow refused, not raised');
SELECT ok(hsds_bool_arg('{"full": "1"}', 'full') AND NOT hsds_bool_arg('{}', 'full'), 'bool: 1 and absent');
SELECT is(td_field($$SELECT hsds_bool_arg('{"full": "yes"}', 'full')$$), 'MP400 full', 'bool: yes refused');
SELECT is(hsds_uuid_arg('{"x": "01930000-0000-7000-8000-00000000A001"}', 'x'),
  '01930000-0000-7000-8000-00000000a001'::uuid, 'uuid: upper case accepted');
SELECT is(td_field($$SELECT hsds_uuid_arg('{"x": "01930000"}', 'x')$$), 'MP400 x', 'uuid: short refused');
SELECT is(hsds_search_arg('{"search": "Santé, Agadir!"}')::text, '''sante'':* & ''agadir'':*',
  'search: words as prefixes, accents and punctuation dropped');
SELECT is(td_field($$SELECT hsds_search_arg('{"search": "!!!"}')$$), 'MP400 search', 'search: no word');
SELECT is(td_field(format('SELECT hsds_search_arg(%L)', jsonb_build_object('search', repeat('a', 201)))),
  'MP400 search', 'search: too long');
SELECT is(hsds_term_arg('{"taxonomy_term_id": "legal_aid"}'), '01930000-0000-7000-8000-00000000a004'::uuid,
  'term: a code');
SELECT is(td_field($$SELECT hsds_term_arg('{"taxonomy_term_id": "atlantis"}')$$), 'MP400 taxonomy_term_id',
  'term: unknown code');
SELECT is(hsds_since_arg('{"modified_after": "2026-01-31"}'), '2026-01-31T00:00:00Z'::timestamptz,
  'modified_after: a date is UTC midnight');
SELECT is(hsds_since_arg('{"modified_after": "2026-01-31T10:00:00+01:00"}'), '2026-01-31T09:00:00Z'::timestamptz,
  'modified_after: an offset');
SELECT is(td_field($$SELECT hsds_since_arg('{"modified_after": "2026-02-30"}')$$), 'MP400 modified_after',
  'modified_after: no such day');
SELECT is(td_field($$SELECT hsds_since_arg('{"modified_after": "now"}')$$), 'MP400 modified_after',
  'modified_after: words PostgreSQL would take');
SELECT is(td_field($$SELECT hsds_commune_arg('{"commune": "atlantis"}')$$), 'MP400 commune', 'commune: unknown');
SELECT is((SELECT radius_m FROM hsds_point_arg('{"lat": "30.42", "lon": "-9.6"}')), 10000::float8,
  'point: 10 km by default');
SELECT is(td_field($$SELECT hsds_point_arg('{"lat": "30.42"}')$$), 'MP400 lon', 'point: lat without lon');
SELECT is(td_field($$SELECT hsds_point_arg('{"lat": "30", "lon": "-9", "radius_km": "0"}')$$), 'MP400 radius_km',
  'point: zero radius');
SELECT is(td_field($$SELECT hsds_status_arg('{"status": "closed"}')$$), 'MP400 status', 'status: unknown');

-- ---- the page envelope --------------------------------------------------------
SELECT is(hsds_page('[1, 2]', 5, 2, 2)::jsonb, '{"total_items": 5, "total_pages": 3, "page_number": 2,
  "size": 2, "first_page": false, "last_page": false, "empty": false, "contents": [1, 2]}'::jsonb, 'page: a middle page');
SELECT is(hsds_page(NULL, 0, 1, 50)::jsonb, '{"total_items": 0, "total_pages": 0, "page_number": 1,
  "size": 0, "first_page": true, "last_page": true, "empty": true, "contents": []}'::jsonb, 'page: nothing found');

-- ---- multilingual texts -------------------------------------------------------
SELECT ok(directory_i18n_ok('{"fr": "a", "ar": "ب"}', 10), 'i18n: fr and ar');
SELECT ok(NOT directory_i18n_ok('{"ar": "ب"}', 10), 'i18n: French required');
SELECT ok(NOT directory_i18n_ok('{"fr": "a", "de": "b"}', 10), 'i18n: unknown language');
SELECT ok(NOT directory_i18n_ok('{"fr": "abcdef"}', 5), 'i18n: too long');
SELECT is(directory_i18n('{"fr": "Santé", "ar": "الصحة"}', 'en'), 'Santé', 'i18n: French when no translation');

-- ---- writes -------------------------------------------------------------------
CREATE TEMP TABLE td (k text PRIMARY KEY, id uuid);
INSERT INTO td SELECT 'org', (directory_organization_create(td_off('oriental'), '{"lang": "fr"}',
  '{"region": "oriental", "name": {"fr": "Association pgTAP"}, "description": {"fr": "Test"}}', NULL, 'r1')->>'id')::uuid;
INSERT INTO td SELECT 'loc', (directory_location_create(td_off('oriental'), '{"lang": "fr"}',
  jsonb_build_object('organization_id', (SELECT id FROM td WHERE k = 'org'), 'commune', 'oujda',
    'name', '{"fr": "Local"}'::jsonb, 'latitude', 34.68, 'longitude', -1.91), NULL, 'r2')->>'id')::uuid;
INSERT INTO td SELECT 'svc', (directory_service_create(td_off('oriental'), '{"lang": "fr"}',
  jsonb_build_object('organization_id', (SELECT id FROM td WHERE k = 'org'), 'name', '{"fr": "Permanence pgTAP"}'::jsonb,
    'description', '{"fr": "Aide"}'::jsonb, 'taxonomy_terms', '["legal_aid"]'::jsonb), NULL, 'r3')->>'id')::uuid;
INSERT INTO td SELECT 'sal', (directory_sal_create(td_off('oriental'), '{"lang": "fr"}',
  jsonb_build_object('service_id', (SELECT id FROM td WHERE k = 'svc'),
    'location_id', (SELECT id FROM td WHERE k = 'loc')), NULL, 'r4')->>'id')::uuid;

SELECT ok(directory_sal_active((SELECT id FROM td WHERE k = 'sal')), 'sal_active: a new service-at-location');
SELECT ok(NOT directory_sal_active(NULL) AND NOT directory_sal_active('01930000-0000-7000-8000-000000000000'),
  'sal_active: unknown or NULL');
SELECT is((SELECT commune FROM service_at_location WHERE id = (SELECT id FROM td WHERE k = 'sal')), 'oujda',
  'sal: commune of its location');
SELECT is((SELECT fr->'attributes'->0->>'value' FROM service_list_items
  WHERE service_id = (SELECT id FROM td WHERE k = 'svc')), 'legal_aid', 'list item: built with its terms');

SELECT is(td_state(format($$SELECT directory_service_update(%L, %L, '{"status": "inactive"}', NULL, 'r5')$$,
  td_off('souss-massa'), jsonb_build_object('id', (SELECT id FROM td WHERE k = 'svc')))), 'MP404',
  'update: another region''s service is not found');
SELECT is(td_state(format($$SELECT directory_service_update(%L, %L, '{"status": "inactive"}', NULL, 'r5')$$,
  td_off('oriental'), jsonb_build_object('id', (SELECT id FROM td WHERE k = 'svc'), 'if_match', '"v9"'))), 'MP412',
  'update: stale If-Match');
SELECT is(td_field(format($$SELECT directory_service_update(%L, %L, '{"name": {"ar": "خدمة"}}', NULL, 'r5')$$,
  td_off('oriental'), jsonb_build_object('id', (SELECT id FROM td WHERE k = 'svc')))), 'MP400 name.fr',
  'update: French required');
SELECT is(directory_service_update(td_off('oriental'), jsonb_build_object('id', (SELECT id FROM td WHERE k = 'svc'),
  'if_match', '"v1"'), '{"status": "inactive", "taxonomy_terms": ["housing"]}', NULL, 'r6')->>'status', 'inactive',
  'update: status inactive');
SELECT ok(NOT directory_sal_active((SELECT id FROM td WHERE k = 'sal')), 'sal_active: its service inactive');
SELECT is((SELECT fr->>'status' || ' ' || (fr->'attributes'->0->>'value') FROM service_list_items
  WHERE service_id = (SELECT id FROM td WHERE k = 'svc')), 'inactive housing', 'list item: rebuilt by the update');
SELECT is(td_field(format($$SELECT directory_location_create(%L, '{}', %L, NULL, 'r7')$$, td_off('oriental'),
  jsonb_build_object('organization_id', (SELECT id FROM td WHERE k = 'org'), 'commune', 'agadir',
    'name', '{"fr": "X"}'::jsonb, 'latitude', 30.4, 'longitude', -9.6))), 'MP400 commune',
  'location: a commune of another region');
SELECT is(td_field(format($$SELECT directory_service_create(%L, '{}', %L, NULL, 'r8')$$, td_off('souss-massa'),
  jsonb_build_object('organization_id', (SELECT id FROM td WHERE k = 'org'), 'name', '{"fr": "X"}'::jsonb,
    'description', '{"fr": "X"}'::jsonb))), 'MP400 organization_id', 'service: under another region''s organisation');
SELECT is(td_state(format($$SELECT directory_organization_create(%L, '{}', %L, NULL, 'r9')$$, td_off('souss-massa'),
  '{"region": "oriental", "name": {"fr": "X"}, "description": {"fr": "X"}}')), 'MP403',
  'organisation: of another region');
SELECT is(td_state(format($$SELECT directory_sal_create(%L, '{}', %L, NULL, 'r10')$$, td_off('oriental'),
  jsonb_build_object('service_id', (SELECT id FROM td WHERE k = 'svc'), 'location_id', (SELECT id FROM td WHERE k = 'loc')))),
  'MP409', 'sal: the same pair twice');
SELECT is(td_field(format($$SELECT directory_service_create(%L, '{}', %L, NULL, 'r11')$$, td_off('oriental'),
  jsonb_build_object('organization_id', (SELECT id FROM td WHERE k = 'org'), 'name', '{"fr": "X"}'::jsonb,
    'description', '{"fr": "X"}'::jsonb, 'taxonomy_terms', '["health", "astrology"]'::jsonb))), 'MP400 taxonomy_terms[1]',
  'service: unknown taxonomy code named by its index');

-- ---- events ---------------------------------------------------------------------
SELECT is((SELECT count(*) FROM outbox WHERE type LIKE 'cases.directory.%'), 5::bigint,
  'events: four creations and one update');
SELECT is((SELECT data->'taxonomy_terms' FROM outbox WHERE type = 'cases.directory.service.updated.v1'),
  '["housing"]'::jsonb, 'events: the service''s terms after the update');
SELECT is((SELECT count(*) FROM outbox WHERE type LIKE 'cases.directory.%'
  AND EXISTS (SELECT 1 FROM jsonb_object_keys(data) k WHERE k NOT IN ('organization_id', 'service_id',
    'location_id', 'service_at_location_id', 'region', 'commune', 'status', 'version', 'taxonomy_terms'))), 0::bigint,
  'events: ids, region, commune, status, version and terms only');
SELECT is((SELECT request_id FROM outbox WHERE type = 'cases.directory.organization.created.v1'), 'r1',
  'events: the request id');

SELECT * FROM finish();
ROLLBACK;
