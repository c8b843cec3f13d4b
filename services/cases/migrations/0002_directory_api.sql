-- The service directory's functions, one per route (the runner's calling
-- convention: p = principal, a = args with "lang", b = body, d = decision,
-- rid = request id):
--   hsds_*       the public, read-only HSDS 3.0 API under /v1/cases/hsds/:
--                answers shaped as Open Referral's compiled schemas (fields
--                without a value are left out, as the schemas want no
--                nulls), plus our extensions: region, commune, version,
--                translations (every language of a text) and distance_km;
--   directory_*  the officers' writes under /v1/cases/directory/: a council
--                officer writes their region's records (another region's
--                are 404, as for a missing id), an admin every region's;
--                each write bumps the version (ETag "v<n>", If-Match) and
--                emits cases.directory.<entity>.<created|updated>.v1 with
--                ids, region, commune and status only.
-- Query arguments are checked here and refused with 400 naming the
-- argument (mp_field_error), never ignored.

-- Representations nest each other (a service its service-at-locations, a
-- service-at-location its service): bodies are checked when first run.
SET LOCAL check_function_bodies = off;

-- ---- accent-insensitive search ------------------------------------------------

-- unaccent is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION directory_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION directory_search
  ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
  WITH unaccent, simple;

-- Rebuilt with the accent-folding configuration ("sante" finds "Santé").
ALTER TABLE services DROP COLUMN search;
ALTER TABLE services ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('directory_search'::regconfig, coalesce(name->>'fr', '') || ' ' ||
    coalesce(name->>'ar', '') || ' ' || coalesce(name->>'en', '') || ' ' ||
    coalesce(alternate_name, '')), 'A') ||
  setweight(to_tsvector('directory_search'::regconfig, coalesce(description->>'fr', '') || ' ' ||
    coalesce(description->>'ar', '') || ' ' || coalesce(description->>'en', '')), 'B')
) STORED;
CREATE INDEX services_search ON services USING gin (search);

-- ---- query arguments ------------------------------------------------------------

-- ?name= as an integer in [lo, hi], dflt when absent.
CREATE FUNCTION hsds_int_arg(a jsonb, name text, dflt int, lo int, hi int) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? name THEN RETURN dflt; END IF;
  IF a->>name !~ '^[0-9]{1,9}$' OR (a->>name)::int NOT BETWEEN lo AND hi THEN
    PERFORM mp_field_error(name, format('an integer from %s to %s', lo, hi));
  END IF;
  RETURN (a->>name)::int;
END $$;

-- ?name= as a boolean (true, false, 1, 0), false when absent.
CREATE FUNCTION hsds_bool_arg(a jsonb, name text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? name THEN RETURN false; END IF;
  IF a->>name NOT IN ('true', 'false', '1', '0') THEN
    PERFORM mp_field_error(name, 'true or false');
  END IF;
  RETURN a->>name IN ('true', '1');
END $$;

-- ?name= as a UUID, NULL when absent.
CREATE FUNCTION hsds_uuid_arg(a jsonb, name text) RETURNS uuid
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? name THEN RETURN NULL; END IF;
  IF a->>name !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM mp_field_error(name, 'a UUID');
  END IF;
  RETURN (a->>name)::uuid;
END $$;

-- ?search= as a prefix query over every word: "sant agad" finds
-- "Centre de santé ... Agadir". NULL when absent.
CREATE FUNCTION hsds_search_arg(a jsonb) RETURNS tsquery
LANGUAGE plpgsql AS $$
DECLARE q text;
BEGIN
  IF NOT a ? 'search' THEN RETURN NULL; END IF;
  IF length(a->>'search') > 200 THEN
    PERFORM mp_field_error('search', 'at most 200 characters');
  END IF;
  SELECT string_agg(quote_literal(w) || ':*', ' & ') INTO q
  FROM (SELECT unaccent(w) AS w FROM regexp_split_to_table(lower(a->>'search'), '[^[:alnum:]]+') w
        WHERE w <> '' LIMIT 10) t;
  IF q IS NULL THEN
    PERFORM mp_field_error('search', 'at least one letter or digit');
  END IF;
  RETURN to_tsquery('simple', q);
END $$;

-- ?taxonomy_term_id= : a term's id or its code ("health"). An unknown id
-- matches nothing; an unknown code is refused.
CREATE FUNCTION hsds_term_arg(a jsonb) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE v uuid;
BEGIN
  IF NOT a ? 'taxonomy_term_id' THEN RETURN NULL; END IF;
  IF a->>'taxonomy_term_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RETURN (a->>'taxonomy_term_id')::uuid;
  END IF;
  SELECT id INTO v FROM taxonomy_terms WHERE code = a->>'taxonomy_term_id';
  IF NOT FOUND THEN
    PERFORM mp_field_error('taxonomy_term_id', 'a taxonomy term id, or one of the codes of /taxonomy_terms');
  END IF;
  RETURN v;
END $$;

-- ?modified_after= : an RFC 3339 date-time or a date (midnight UTC).
CREATE FUNCTION hsds_since_arg(a jsonb) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE s text := a->>'modified_after';
BEGIN
  IF s IS NULL THEN RETURN NULL; END IF;
  IF s !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$' THEN
    PERFORM mp_field_error('modified_after', 'an RFC 3339 date-time (2026-01-31T00:00:00Z) or a date');
  END IF;
  BEGIN
    IF length(s) = 10 THEN
      RETURN (s || 'T00:00:00Z')::timestamptz;
    END IF;
    RETURN s::timestamptz;
  EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    PERFORM mp_field_error('modified_after', 'not a real date and time');
  END;
  RETURN NULL;
END $$;

-- ?commune= : one of the communes' codes.
CREATE FUNCTION hsds_commune_arg(a jsonb) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? 'commune' THEN RETURN NULL; END IF;
  IF NOT EXISTS (SELECT 1 FROM communes WHERE code = a->>'commune') THEN
    PERFORM mp_field_error('commune', 'one of the communes of the two regions (e.g. agadir, oujda)');
  END IF;
  RETURN a->>'commune';
END $$;

-- ?lat=&lon=[&radius_km=] : the point distances are measured from and the
-- radius in metres (default 10 km, at most 500 km). NULLs when absent.
CREATE FUNCTION hsds_point_arg(a jsonb, OUT point geography, OUT radius_m double precision)
LANGUAGE plpgsql AS $$
DECLARE num text := '^-?[0-9]{1,3}(\.[0-9]{1,10})?$';
BEGIN
  IF NOT (a ? 'lat' OR a ? 'lon' OR a ? 'radius_km') THEN RETURN; END IF;
  IF NOT a ? 'lat' THEN PERFORM mp_field_error('lat', 'required with lon and radius_km'); END IF;
  IF NOT a ? 'lon' THEN PERFORM mp_field_error('lon', 'required with lat and radius_km'); END IF;
  IF a->>'lat' !~ num OR (a->>'lat')::numeric NOT BETWEEN -90 AND 90 THEN
    PERFORM mp_field_error('lat', 'a latitude in decimal degrees, -90 to 90');
  END IF;
  IF a->>'lon' !~ num OR (a->>'lon')::numeric NOT BETWEEN -180 AND 180 THEN
    PERFORM mp_field_error('lon', 'a longitude in decimal degrees, -180 to 180');
  END IF;
  IF a ? 'radius_km' AND (a->>'radius_km' !~ '^[0-9]{1,3}(\.[0-9]{1,3})?$'
      OR (a->>'radius_km')::numeric NOT BETWEEN 0.1 AND 500) THEN
    PERFORM mp_field_error('radius_km', 'a distance in kilometres, 0.1 to 500');
  END IF;
  point := ST_SetSRID(ST_MakePoint((a->>'lon')::float8, (a->>'lat')::float8), 4326)::geography;
  radius_m := coalesce((a->>'radius_km')::float8, 10) * 1000;
END $$;

-- ?status= on service-at-location lists: active or inactive.
CREATE FUNCTION hsds_status_arg(a jsonb) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? 'status' THEN RETURN NULL; END IF;
  IF a->>'status' NOT IN ('active', 'inactive') THEN
    PERFORM mp_field_error('status', 'active or inactive');
  END IF;
  RETURN a->>'status';
END $$;

-- ---- HSDS representations ---------------------------------------------------------

CREATE FUNCTION hsds_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- HSDS's paginated envelope around one page of `contents`.
CREATE FUNCTION hsds_page(contents jsonb, total bigint, page int, per int) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
  SELECT json_build_object('total_items', total,
    'total_pages', (total + per - 1) / per,
    'page_number', page,
    'size', jsonb_array_length(coalesce(contents, '[]')),
    'first_page', page = 1,
    'last_page', page >= (total + per - 1) / per,
    'empty', jsonb_array_length(coalesce(contents, '[]')) = 0,
    'contents', coalesce(contents, '[]'))
$$;

CREATE FUNCTION hsds_taxonomy_json(x taxonomies) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', x.id, 'name', x.name,
    'description', x.description, 'uri', x.uri, 'version', x.version))
$$;

CREATE FUNCTION hsds_term_json(t taxonomy_terms, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', t.id, 'code', t.code,
    'name', directory_i18n(t.name, lang), 'description', directory_i18n(t.description, lang),
    'parent_id', t.parent_id, 'taxonomy', x.name, 'taxonomy_id', t.taxonomy_id,
    'taxonomy_detail', hsds_taxonomy_json(x),
    'language', CASE WHEN t.name ? lang THEN lang ELSE 'fr' END,
    'translations', jsonb_build_object('name', t.name, 'description', t.description)))
  FROM taxonomies x WHERE x.id = t.taxonomy_id
$$;

-- A service's taxonomy terms, as HSDS attributes.
CREATE FUNCTION hsds_attributes(service uuid, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', sa.id, 'link_id', sa.service_id,
      'link_type', 'service_category', 'link_entity', 'service',
      'taxonomy_term_id', sa.taxonomy_term_id, 'value', t.code,
      'taxonomy_term', hsds_term_json(t, lang)) ORDER BY t.code), '[]')
  FROM service_attributes sa JOIN taxonomy_terms t ON t.id = sa.taxonomy_term_id
  WHERE sa.service_id = service
$$;

-- Phones of one owner (kind: organization, service, location,
-- service_at_location, contact).
CREATE FUNCTION hsds_phones(kind text, owner uuid, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', ph.id,
      'organization_id', ph.organization_id, 'service_id', ph.service_id,
      'location_id', ph.location_id, 'service_at_location_id', ph.service_at_location_id,
      'contact_id', ph.contact_id, 'number', ph.number, 'extension', ph.extension,
      'type', ph.type, 'description', directory_i18n(ph.description, lang))) ORDER BY ph.id), '[]')
  FROM phones ph
  WHERE CASE kind WHEN 'organization' THEN ph.organization_id = owner
    WHEN 'service' THEN ph.service_id = owner WHEN 'location' THEN ph.location_id = owner
    WHEN 'service_at_location' THEN ph.service_at_location_id = owner
    WHEN 'contact' THEN ph.contact_id = owner END
$$;

CREATE FUNCTION hsds_contacts(kind text, owner uuid, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', c.id,
      'organization_id', c.organization_id, 'service_id', c.service_id,
      'location_id', c.location_id, 'service_at_location_id', c.service_at_location_id,
      'name', c.name, 'title', c.title, 'department', c.department, 'email', c.email,
      'phones', hsds_phones('contact', c.id, lang))) ORDER BY c.id), '[]')
  FROM contacts c
  WHERE CASE kind WHEN 'organization' THEN c.organization_id = owner
    WHEN 'service' THEN c.service_id = owner WHEN 'location' THEN c.location_id = owner
    WHEN 'service_at_location' THEN c.service_at_location_id = owner END
$$;

CREATE FUNCTION hsds_schedules(kind text, owner uuid, lang text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', s.id,
      'service_id', s.service_id, 'location_id', s.location_id,
      'service_at_location_id', s.service_at_location_id, 'freq', s.freq,
      'byday', s.byday, 'opens_at', to_char(s.opens_at, 'HH24:MI'),
      'closes_at', to_char(s.closes_at, 'HH24:MI'), 'valid_from', s.valid_from::text,
      'valid_to', s.valid_to::text,
      'description', directory_i18n(s.description, lang))) ORDER BY s.id), '[]')
  FROM schedules s
  WHERE CASE kind WHEN 'service' THEN s.service_id = owner WHEN 'location' THEN s.location_id = owner
    WHEN 'service_at_location' THEN s.service_at_location_id = owner END
$$;

CREATE FUNCTION hsds_languages(kind text, owner uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', l.id,
      'service_id', l.service_id, 'location_id', l.location_id, 'name', l.name,
      'code', l.code, 'note', l.note)) ORDER BY l.code), '[]')
  FROM languages l
  WHERE CASE kind WHEN 'service' THEN l.service_id = owner WHEN 'location' THEN l.location_id = owner END
$$;

CREATE FUNCTION hsds_organization_json(o organizations, lang text, nested boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', o.id,
    'name', directory_i18n(o.name, lang), 'alternate_name', o.alternate_name,
    'description', directory_i18n(o.description, lang), 'email', o.email,
    'website', o.website, 'legal_status', o.legal_status,
    'year_incorporated', o.year_incorporated, 'parent_organization_id', o.parent_organization_id,
    'region', o.region, 'version', o.version, 'last_modified', hsds_time(o.updated_at),
    'translations', jsonb_build_object('name', o.name, 'description', o.description))
    || CASE WHEN nested THEN jsonb_build_object(
      'contacts', hsds_contacts('organization', o.id, lang),
      'phones', hsds_phones('organization', o.id, lang),
      'locations', (SELECT coalesce(jsonb_agg(hsds_location_json(l, lang, true) ORDER BY l.id), '[]')
        FROM locations l WHERE l.organization_id = o.id),
      'services', (SELECT coalesce(jsonb_agg(hsds_service_json(s, lang, false) ORDER BY s.id), '[]')
        FROM services s WHERE s.organization_id = o.id))
    ELSE '{}'::jsonb END)
$$;

CREATE FUNCTION hsds_location_json(l locations, lang text, nested boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', l.id,
    'location_type', l.location_type, 'url', l.url, 'organization_id', l.organization_id,
    'name', directory_i18n(l.name, lang), 'alternate_name', l.alternate_name,
    'description', directory_i18n(l.description, lang),
    'transportation', directory_i18n(l.transportation, lang),
    'latitude', l.latitude, 'longitude', l.longitude,
    'region', l.region, 'commune', l.commune, 'version', l.version,
    'last_modified', hsds_time(l.updated_at),
    'translations', jsonb_build_object('name', l.name, 'description', l.description,
      'transportation', l.transportation))
    || CASE WHEN nested THEN jsonb_build_object(
      'languages', hsds_languages('location', l.id),
      'addresses', (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', ad.id,
          'location_id', ad.location_id, 'attention', ad.attention, 'address_1', ad.address_1,
          'address_2', ad.address_2, 'city', ad.city, 'state_province', ad.state_province,
          'postal_code', ad.postal_code, 'country', ad.country, 'address_type', ad.address_type))
          ORDER BY ad.id), '[]') FROM addresses ad WHERE ad.location_id = l.id),
      'contacts', hsds_contacts('location', l.id, lang),
      'phones', hsds_phones('location', l.id, lang),
      'schedules', hsds_schedules('location', l.id, lang))
    ELSE '{}'::jsonb END)
$$;

-- A service; `nested` adds what compiled/service.json nests (phones,
-- schedules, service_at_locations with their locations, languages,
-- required_documents, contacts).
CREATE FUNCTION hsds_service_json(s services, lang text, nested boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', s.id,
    'organization_id', s.organization_id, 'name', directory_i18n(s.name, lang),
    'alternate_name', s.alternate_name, 'description', directory_i18n(s.description, lang),
    'url', s.url, 'email', s.email, 'status', s.status,
    'interpretation_services', s.interpretation_services,
    'application_process', directory_i18n(s.application_process, lang),
    'fees_description', directory_i18n(s.fees_description, lang),
    'eligibility_description', directory_i18n(s.eligibility_description, lang),
    'minimum_age', s.minimum_age, 'maximum_age', s.maximum_age,
    'alert', directory_i18n(s.alert, lang),
    'last_modified', hsds_time(s.updated_at), 'region', s.region, 'version', s.version,
    'translations', jsonb_build_object('name', s.name, 'description', s.description,
      'application_process', s.application_process, 'fees_description', s.fees_description,
      'eligibility_description', s.eligibility_description, 'alert', s.alert),
    'organization', (SELECT hsds_organization_json(o, lang, false) FROM organizations o
      WHERE o.id = s.organization_id),
    'attributes', hsds_attributes(s.id, lang))
    || CASE WHEN nested THEN jsonb_build_object(
      'phones', hsds_phones('service', s.id, lang),
      'schedules', hsds_schedules('service', s.id, lang),
      'service_at_locations', (SELECT coalesce(jsonb_agg(hsds_sal_json(x, lang, true, false)
        ORDER BY x.id), '[]') FROM service_at_location x WHERE x.service_id = s.id),
      'languages', hsds_languages('service', s.id),
      'required_documents', (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
          'id', r.id, 'service_id', r.service_id, 'document', directory_i18n(r.document, lang),
          'uri', r.uri)) ORDER BY r.id), '[]') FROM required_documents r WHERE r.service_id = s.id),
      'contacts', hsds_contacts('service', s.id, lang))
    ELSE '{}'::jsonb END)
$$;

-- A service at a location; `nested` adds its contacts, phones, schedules
-- and the location's own; `with_service` embeds the service (not when the
-- service itself nests it).
CREATE FUNCTION hsds_sal_json(x service_at_location, lang text, nested boolean, with_service boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', x.id, 'service_id', x.service_id,
    'location_id', x.location_id, 'description', directory_i18n(x.description, lang),
    'status', x.status, 'region', x.region, 'commune', x.commune, 'version', x.version,
    'last_modified', hsds_time(x.updated_at),
    'location', (SELECT hsds_location_json(l, lang, nested) FROM locations l WHERE l.id = x.location_id),
    'service', CASE WHEN with_service THEN (SELECT hsds_service_json(s, lang, false)
      FROM services s WHERE s.id = x.service_id) END)
    || CASE WHEN nested THEN jsonb_build_object(
      'contacts', hsds_contacts('service_at_location', x.id, lang),
      'phones', hsds_phones('service_at_location', x.id, lang),
      'schedules', hsds_schedules('service_at_location', x.id, lang))
    ELSE '{}'::jsonb END)
$$;

-- ---- the HSDS API ---------------------------------------------------------------------

-- GET /v1/cases/hsds: what this API is.
CREATE FUNCTION hsds_root(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
  SELECT json_build_object('version', '3.0',
    'profile', 'https://raw.githubusercontent.com/openreferral/specification/3.0/schema',
    'extensions', json_build_array('region', 'commune', 'translations', 'version',
      'distance_km', 'status of service_at_location'))
$$;

-- The arguments shared by /services and /service_at_locations, checked.
CREATE TYPE hsds_list_args AS (lang text, page int, per int, nested boolean, q tsquery,
  term uuid, tax uuid, org uuid, since timestamptz, commune text, pt geography,
  radius double precision);

CREATE FUNCTION hsds_list_args(a jsonb) RETURNS hsds_list_args
LANGUAGE plpgsql AS $$
DECLARE r hsds_list_args;
BEGIN
  r.lang := coalesce(a->>'lang', 'fr');
  r.page := hsds_int_arg(a, 'page', 1, 1, 1000000);
  r.per := hsds_int_arg(a, 'per_page', 50, 1, 200);
  r.nested := hsds_bool_arg(a, 'full');
  r.q := hsds_search_arg(a);
  r.term := hsds_term_arg(a);
  r.tax := hsds_uuid_arg(a, 'taxonomy_id');
  r.org := hsds_uuid_arg(a, 'organization_id');
  r.since := hsds_since_arg(a);
  r.commune := hsds_commune_arg(a);
  SELECT g.point, g.radius_m INTO r.pt, r.radius FROM hsds_point_arg(a) g;
  RETURN r;
END $$;

-- The filters shared by /services and /service_at_locations, as SQL
-- conditions on `s` (services) over the EXECUTE parameters $1 search,
-- $2 term, $3 taxonomy, $4 organisation: only those given.
CREATE FUNCTION hsds_service_filters(q tsquery, term uuid, tax uuid, org uuid)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat(
    CASE WHEN q IS NOT NULL THEN ' AND s.search @@ $1' END,
    CASE WHEN term IS NOT NULL THEN ' AND EXISTS (SELECT 1 FROM service_attributes sa
      WHERE sa.service_id = s.id AND sa.taxonomy_term_id = $2)' END,
    CASE WHEN tax IS NOT NULL THEN ' AND EXISTS (SELECT 1 FROM service_attributes sa
      JOIN taxonomy_terms t ON t.id = sa.taxonomy_term_id
      WHERE sa.service_id = s.id AND t.taxonomy_id = $3)' END,
    CASE WHEN org IS NOT NULL THEN ' AND s.organization_id = $4' END)
$$;

-- GET /v1/cases/hsds/services
CREATE FUNCTION hsds_services(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  arg hsds_list_args := hsds_list_args(a);
  total bigint; contents jsonb; dist text; ord text;
BEGIN
  dist := CASE WHEN arg.pt IS NULL THEN 'NULL::float8' ELSE '(SELECT min(ST_Distance(l.point, $7))
    FROM service_at_location x JOIN locations l ON l.id = x.location_id
    WHERE x.service_id = s.id AND ST_DWithin(l.point, $7, $8))' END;
  ord := CASE WHEN arg.pt IS NOT NULL THEN 'm.dist, m.id'
    WHEN arg.q IS NOT NULL THEN 'ts_rank(m.search, $1) DESC, m.id'
    ELSE 'directory_i18n(m.name, $11), m.id' END;
  EXECUTE format('WITH m AS MATERIALIZED (SELECT s AS r, s.id, s.name, s.search, %s AS dist
      FROM services s WHERE true%s%s%s%s)
    SELECT (SELECT count(*) FROM m), (SELECT jsonb_agg(hsds_service_json(p.r, $11, $12)
      || CASE WHEN p.dist IS NULL THEN ''{}''::jsonb
         ELSE jsonb_build_object(''distance_km'', round((p.dist / 1000)::numeric, 3)) END
      ORDER BY p.ord) FROM (SELECT m.r, m.dist, row_number() OVER (ORDER BY %s) AS ord FROM m
      ORDER BY %s LIMIT $9 OFFSET $10) p)',
    dist, hsds_service_filters(arg.q, arg.term, arg.tax, arg.org),
    CASE WHEN arg.since IS NOT NULL THEN ' AND s.updated_at >= $5' END,
    CASE WHEN arg.commune IS NOT NULL THEN ' AND EXISTS (SELECT 1 FROM service_at_location x
      WHERE x.service_id = s.id AND x.commune = $6)' END,
    CASE WHEN arg.pt IS NOT NULL THEN ' AND s.id IN (SELECT x.service_id FROM locations l
      JOIN service_at_location x ON x.location_id = l.id WHERE ST_DWithin(l.point, $7, $8))' END,
    ord, ord)
  INTO total, contents
  USING arg.q, arg.term, arg.tax, arg.org, arg.since, arg.commune, arg.pt, arg.radius, arg.per, (arg.page - 1)::bigint * arg.per, arg.lang, arg.nested;
  RETURN hsds_page(contents, total, arg.page, arg.per);
END $$;

-- GET /v1/cases/hsds/services/{id}: the fully nested service.
CREATE FUNCTION hsds_service_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT hsds_service_json(s, coalesce(a->>'lang', 'fr'), true)::json
  FROM services s WHERE s.id = (a->>'id')::uuid
$$;

-- GET /v1/cases/hsds/service_at_locations
CREATE FUNCTION hsds_service_at_locations(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  arg hsds_list_args := hsds_list_args(a);
  st text := hsds_status_arg(a);
  total bigint; contents jsonb; ord text;
BEGIN
  ord := CASE WHEN arg.pt IS NOT NULL THEN 'm.dist, m.id'
    WHEN arg.q IS NOT NULL THEN 'ts_rank(m.search, $1) DESC, m.id'
    ELSE 'directory_i18n(m.name, $11), m.id' END;
  EXECUTE format('WITH m AS MATERIALIZED (SELECT x AS r, x.id, s.name, s.search, %s AS dist
      FROM service_at_location x JOIN services s ON s.id = x.service_id
      JOIN locations l ON l.id = x.location_id WHERE true%s%s%s%s%s)
    SELECT (SELECT count(*) FROM m), (SELECT jsonb_agg(hsds_sal_json(p.r, $11, $12, true)
      || CASE WHEN p.dist IS NULL THEN ''{}''::jsonb
         ELSE jsonb_build_object(''distance_km'', round((p.dist / 1000)::numeric, 3)) END
      ORDER BY p.ord) FROM (SELECT m.r, m.dist, row_number() OVER (ORDER BY %s) AS ord FROM m
      ORDER BY %s LIMIT $9 OFFSET $10) p)',
    CASE WHEN arg.pt IS NULL THEN 'NULL::float8' ELSE 'ST_Distance(l.point, $7)' END,
    hsds_service_filters(arg.q, arg.term, arg.tax, arg.org),
    CASE WHEN arg.since IS NOT NULL THEN ' AND greatest(x.updated_at, s.updated_at, l.updated_at) >= $5' END,
    CASE WHEN arg.commune IS NOT NULL THEN ' AND x.commune = $6' END,
    CASE WHEN arg.pt IS NOT NULL THEN ' AND ST_DWithin(l.point, $7, $8)' END,
    CASE WHEN st IS NOT NULL THEN ' AND x.status = $13' END,
    ord, ord)
  INTO total, contents
  USING arg.q, arg.term, arg.tax, arg.org, arg.since, arg.commune, arg.pt, arg.radius, arg.per, (arg.page - 1)::bigint * arg.per, arg.lang, arg.nested, st;
  RETURN hsds_page(contents, total, arg.page, arg.per);
END $$;

-- GET /v1/cases/hsds/service_at_locations/{id}
CREATE FUNCTION hsds_service_at_location_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT hsds_sal_json(x, coalesce(a->>'lang', 'fr'), true, true)::json
  FROM service_at_location x WHERE x.id = (a->>'id')::uuid
$$;

-- GET /v1/cases/hsds/organizations
CREATE FUNCTION hsds_organizations(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lang text := coalesce(a->>'lang', 'fr');
  page int := hsds_int_arg(a, 'page', 1, 1, 1000000);
  per int := hsds_int_arg(a, 'per_page', 50, 1, 200);
  nested boolean := hsds_bool_arg(a, 'full');
  q tsquery := hsds_search_arg(a);
  since timestamptz := hsds_since_arg(a);
  total bigint; contents jsonb;
BEGIN
  WITH m AS MATERIALIZED (SELECT o FROM organizations o
    WHERE (q IS NULL OR to_tsvector('directory_search'::regconfig, coalesce(o.name->>'fr', '') || ' ' ||
        coalesce(o.name->>'ar', '') || ' ' || coalesce(o.name->>'en', '') || ' ' ||
        coalesce(o.alternate_name, '')) @@ q)
      AND (since IS NULL OR o.updated_at >= since))
  SELECT (SELECT count(*) FROM m),
    (SELECT jsonb_agg(hsds_organization_json(p.o, lang, nested) ORDER BY p.ord)
     FROM (SELECT m.o, row_number() OVER (ORDER BY directory_i18n((m.o).name, lang), (m.o).id) AS ord
       FROM m ORDER BY ord LIMIT per OFFSET (page - 1)::bigint * per) p)
  INTO total, contents;
  RETURN hsds_page(contents, total, page, per);
END $$;

-- GET /v1/cases/hsds/organizations/{id}: the organisation with its
-- locations and services.
CREATE FUNCTION hsds_organization_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT hsds_organization_json(o, coalesce(a->>'lang', 'fr'), true)::json
  FROM organizations o WHERE o.id = (a->>'id')::uuid
$$;

-- GET /v1/cases/hsds/taxonomies
CREATE FUNCTION hsds_taxonomies(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  page int := hsds_int_arg(a, 'page', 1, 1, 1000000);
  per int := hsds_int_arg(a, 'per_page', 50, 1, 200);
  q tsquery := hsds_search_arg(a);
  total bigint; contents jsonb;
BEGIN
  WITH m AS MATERIALIZED (SELECT x FROM taxonomies x
    WHERE q IS NULL OR to_tsvector('directory_search'::regconfig, x.name || ' ' || x.description) @@ q)
  SELECT (SELECT count(*) FROM m),
    (SELECT jsonb_agg(hsds_taxonomy_json(p.x) ORDER BY (p.x).name, (p.x).id)
     FROM (SELECT m.x FROM m ORDER BY (m.x).name, (m.x).id LIMIT per OFFSET (page - 1)::bigint * per) p)
  INTO total, contents;
  RETURN hsds_page(contents, total, page, per);
END $$;

CREATE FUNCTION hsds_taxonomy_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT hsds_taxonomy_json(x)::json FROM taxonomies x WHERE x.id = (a->>'id')::uuid
$$;

-- GET /v1/cases/hsds/taxonomy_terms (?taxonomy_id, ?parent_id, ?top_only)
CREATE FUNCTION hsds_taxonomy_terms(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lang text := coalesce(a->>'lang', 'fr');
  page int := hsds_int_arg(a, 'page', 1, 1, 1000000);
  per int := hsds_int_arg(a, 'per_page', 50, 1, 200);
  q tsquery := hsds_search_arg(a);
  tax uuid := hsds_uuid_arg(a, 'taxonomy_id');
  parent uuid := hsds_uuid_arg(a, 'parent_id');
  top boolean := hsds_bool_arg(a, 'top_only');
  total bigint; contents jsonb;
BEGIN
  WITH m AS MATERIALIZED (SELECT t FROM taxonomy_terms t
    WHERE (q IS NULL OR to_tsvector('directory_search'::regconfig, t.code || ' ' ||
        coalesce(t.name->>'fr', '') || ' ' || coalesce(t.name->>'ar', '') || ' ' ||
        coalesce(t.name->>'en', '')) @@ q)
      AND (tax IS NULL OR t.taxonomy_id = tax)
      AND (parent IS NULL OR t.parent_id = parent)
      AND (NOT top OR t.parent_id IS NULL))
  SELECT (SELECT count(*) FROM m),
    (SELECT jsonb_agg(hsds_term_json(p.t, lang) ORDER BY (p.t).code)
     FROM (SELECT m.t FROM m ORDER BY (m.t).code LIMIT per OFFSET (page - 1)::bigint * per) p)
  INTO total, contents;
  RETURN hsds_page(contents, total, page, per);
END $$;

CREATE FUNCTION hsds_taxonomy_term_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT hsds_term_json(t, coalesce(a->>'lang', 'fr'))::json
  FROM taxonomy_terms t WHERE t.id = (a->>'id')::uuid
$$;

-- ---- officers' writes -------------------------------------------------------------------

-- French is the reference language of every multilingual text written:
-- 400 on `field`.fr when a given text lacks it.
CREATE FUNCTION directory_fr_required(b jsonb, fields text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY fields LOOP
    IF jsonb_typeof(b->f) = 'object' AND coalesce(b->f->>'fr', '') = '' THEN
      PERFORM mp_field_error(f || '.fr', 'required: French is the reference language');
    END IF;
  END LOOP;
END $$;

-- Web addresses of a body (url, website): http(s) only, no spaces.
CREATE FUNCTION directory_urls_ok(b jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['url', 'website'] LOOP
    IF b ? f AND b->>f !~ '^https?://[^\s]+$' THEN
      PERFORM mp_field_error(f, 'an http:// or https:// address');
    END IF;
  END LOOP;
END $$;

-- The organisation `id` as the principal may write it: 404 when it does
-- not exist or belongs to a region that is not the officer's.
CREATE FUNCTION directory_organization_writable(p jsonb, id uuid, field text DEFAULT NULL)
RETURNS organizations LANGUAGE plpgsql AS $$
DECLARE o organizations;
BEGIN
  SELECT * INTO o FROM organizations WHERE organizations.id = directory_organization_writable.id FOR UPDATE;
  IF NOT FOUND OR NOT mp_officer_of(p, o.region) THEN
    IF field IS NULL THEN PERFORM mp_not_found(); END IF;
    PERFORM mp_field_error(field, 'no such organization in your region');
  END IF;
  RETURN o;
END $$;

-- Replace the phones of one owner (kind as in hsds_phones) by `j`.
CREATE FUNCTION directory_set_phones(kind text, owner uuid, j jsonb, field text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF j IS NULL THEN RETURN; END IF;
  DELETE FROM phones WHERE CASE kind WHEN 'organization' THEN organization_id = owner
    WHEN 'service' THEN service_id = owner WHEN 'location' THEN location_id = owner
    WHEN 'service_at_location' THEN service_at_location_id = owner END;
  PERFORM mp_field_error(format('%s[%s].number', field, e.i - 1), 'digits, spaces, dots, dashes and brackets, an optional leading +')
  FROM jsonb_array_elements(j) WITH ORDINALITY e(v, i)
  WHERE e.v->>'number' !~ '^\+?[0-9][0-9 ().-]{3,30}$';
  INSERT INTO phones (organization_id, service_id, location_id, service_at_location_id,
    number, extension, type, description)
  SELECT CASE WHEN kind = 'organization' THEN owner END, CASE WHEN kind = 'service' THEN owner END,
    CASE WHEN kind = 'location' THEN owner END, CASE WHEN kind = 'service_at_location' THEN owner END,
    e.v->>'number', (e.v->>'extension')::int, e.v->>'type', e.v->'description'
  FROM jsonb_array_elements(j) e(v);
END $$;

CREATE FUNCTION directory_set_contacts(kind text, owner uuid, j jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF j IS NULL THEN RETURN; END IF;
  DELETE FROM contacts WHERE CASE kind WHEN 'organization' THEN organization_id = owner
    WHEN 'service' THEN service_id = owner WHEN 'location' THEN location_id = owner
    WHEN 'service_at_location' THEN service_at_location_id = owner END;
  INSERT INTO contacts (organization_id, service_id, location_id, service_at_location_id,
    name, title, department, email)
  SELECT CASE WHEN kind = 'organization' THEN owner END, CASE WHEN kind = 'service' THEN owner END,
    CASE WHEN kind = 'location' THEN owner END, CASE WHEN kind = 'service_at_location' THEN owner END,
    e.v->>'name', e.v->>'title', e.v->>'department', e.v->>'email'
  FROM jsonb_array_elements(j) e(v);
END $$;

-- Schedules: [{"byday": "MO,TU", "opens_at": "08:30", "closes_at": "16:30", ...}].
CREATE FUNCTION directory_set_schedules(kind text, owner uuid, j jsonb, field text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE e record; hm text := '^([01][0-9]|2[0-3]):[0-5][0-9]$';
BEGIN
  IF j IS NULL THEN RETURN; END IF;
  DELETE FROM schedules WHERE CASE kind WHEN 'service' THEN service_id = owner
    WHEN 'location' THEN location_id = owner WHEN 'service_at_location' THEN service_at_location_id = owner END;
  FOR e IN SELECT v, i - 1 AS i FROM jsonb_array_elements(j) WITH ORDINALITY x(v, i) LOOP
    IF e.v->>'byday' !~ '^(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*$' THEN
      PERFORM mp_field_error(format('%s[%s].byday', field, e.i), 'days as MO,TU,WE,TH,FR,SA,SU');
    END IF;
    IF e.v->>'opens_at' !~ hm THEN
      PERFORM mp_field_error(format('%s[%s].opens_at', field, e.i), 'a time HH:MM');
    END IF;
    IF e.v->>'closes_at' !~ hm OR e.v->>'closes_at' <= e.v->>'opens_at' THEN
      PERFORM mp_field_error(format('%s[%s].closes_at', field, e.i), 'a time HH:MM after opens_at');
    END IF;
    IF (e.v->>'valid_to')::date < (e.v->>'valid_from')::date THEN
      PERFORM mp_field_error(format('%s[%s].valid_to', field, e.i), 'on or after valid_from');
    END IF;
    PERFORM directory_fr_required(e.v, ARRAY['description']);
    INSERT INTO schedules (service_id, location_id, service_at_location_id, freq, byday,
      opens_at, closes_at, valid_from, valid_to, description)
    VALUES (CASE WHEN kind = 'service' THEN owner END, CASE WHEN kind = 'location' THEN owner END,
      CASE WHEN kind = 'service_at_location' THEN owner END, 'WEEKLY', e.v->>'byday',
      (e.v->>'opens_at')::time, (e.v->>'closes_at')::time, (e.v->>'valid_from')::date,
      (e.v->>'valid_to')::date, e.v->'description');
  END LOOP;
END $$;

CREATE FUNCTION directory_set_languages(kind text, owner uuid, j jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF j IS NULL THEN RETURN; END IF;
  DELETE FROM languages WHERE CASE kind WHEN 'service' THEN service_id = owner
    WHEN 'location' THEN location_id = owner END;
  INSERT INTO languages (service_id, location_id, code, name, note)
  SELECT CASE WHEN kind = 'service' THEN owner END, CASE WHEN kind = 'location' THEN owner END,
    e.v->>'code', e.v->>'name', e.v->>'note'
  FROM jsonb_array_elements(j) e(v);
END $$;

-- A service's taxonomy terms, by code.
CREATE FUNCTION directory_set_terms(service uuid, j jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF j IS NULL THEN RETURN; END IF;
  PERFORM mp_field_error(format('taxonomy_terms[%s]', e.i - 1), 'not a code of /v1/cases/hsds/taxonomy_terms')
  FROM jsonb_array_elements_text(j) WITH ORDINALITY e(code, i)
  WHERE NOT EXISTS (SELECT 1 FROM taxonomy_terms t WHERE t.code = e.code);
  DELETE FROM service_attributes WHERE service_id = service;
  INSERT INTO service_attributes (service_id, taxonomy_term_id)
  SELECT DISTINCT service, t.id FROM jsonb_array_elements_text(j) e(code)
  JOIN taxonomy_terms t ON t.code = e.code;
END $$;

CREATE FUNCTION directory_set_documents(service uuid, j jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF j IS NULL THEN RETURN; END IF;
  PERFORM mp_field_error(format('required_documents[%s].document.fr', e.i - 1), 'required: French is the reference language')
  FROM jsonb_array_elements(j) WITH ORDINALITY e(v, i) WHERE coalesce(e.v->'document'->>'fr', '') = '';
  PERFORM mp_field_error(format('required_documents[%s].uri', e.i - 1), 'an http:// or https:// address')
  FROM jsonb_array_elements(j) WITH ORDINALITY e(v, i) WHERE e.v->>'uri' !~ '^https?://[^\s]+$';
  DELETE FROM required_documents WHERE service_id = service;
  INSERT INTO required_documents (service_id, document, uri)
  SELECT service, e.v->'document', e.v->>'uri' FROM jsonb_array_elements(j) e(v);
END $$;

-- The data of the directory's events: ids, region, commune, status,
-- version (and a service's taxonomy codes); nothing about people.
CREATE FUNCTION directory_organization_data(o organizations) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('organization_id', o.id, 'region', o.region, 'version', o.version)
$$;

CREATE FUNCTION directory_service_data(s services) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('service_id', s.id, 'organization_id', s.organization_id,
    'region', s.region, 'status', s.status, 'version', s.version,
    'taxonomy_terms', (SELECT coalesce(jsonb_agg(t.code ORDER BY t.code), '[]')
      FROM service_attributes sa JOIN taxonomy_terms t ON t.id = sa.taxonomy_term_id
      WHERE sa.service_id = s.id))
$$;

CREATE FUNCTION directory_location_data(l locations) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('location_id', l.id, 'organization_id', l.organization_id,
    'region', l.region, 'commune', l.commune, 'version', l.version)
$$;

CREATE FUNCTION directory_sal_data(x service_at_location) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('service_at_location_id', x.id, 'service_id', x.service_id,
    'location_id', x.location_id, 'region', x.region, 'commune', x.commune,
    'status', x.status, 'version', x.version)
$$;

-- POST /v1/cases/directory/organizations
CREATE FUNCTION directory_organization_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE o organizations;
BEGIN
  IF NOT mp_officer_of(p, b->>'region') THEN
    PERFORM mp_raise('MP403', 'you may write the directory of your own region only');
  END IF;
  PERFORM directory_fr_required(b, ARRAY['name', 'description']);
  PERFORM directory_urls_ok(b);
  INSERT INTO organizations (region, name, alternate_name, description, email, website,
    legal_status, year_incorporated)
  VALUES (b->>'region', b->'name', b->>'alternate_name', b->'description', b->>'email',
    b->>'website', b->>'legal_status', (b->>'year_incorporated')::int)
  RETURNING * INTO o;
  PERFORM directory_set_phones('organization', o.id, b->'phones', 'phones');
  PERFORM directory_set_contacts('organization', o.id, b->'contacts');
  PERFORM mp_emit('cases.directory.organization.created.v1', o.id::text,
    directory_organization_data(o), rid);
  RETURN hsds_organization_json(o, coalesce(a->>'lang', 'fr'), true);
END $$;

-- PATCH /v1/cases/directory/organizations/{id}
CREATE FUNCTION directory_organization_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE o organizations := directory_organization_writable(p, (a->>'id')::uuid);
BEGIN
  PERFORM mp_if_match(a, o.version);
  PERFORM directory_fr_required(b, ARRAY['name', 'description']);
  PERFORM directory_urls_ok(b);
  UPDATE organizations SET
    name = coalesce(b->'name', name), description = coalesce(b->'description', description),
    alternate_name = CASE WHEN b ? 'alternate_name' THEN b->>'alternate_name' ELSE alternate_name END,
    email = CASE WHEN b ? 'email' THEN b->>'email' ELSE email END,
    website = CASE WHEN b ? 'website' THEN b->>'website' ELSE website END,
    legal_status = CASE WHEN b ? 'legal_status' THEN b->>'legal_status' ELSE legal_status END,
    year_incorporated = CASE WHEN b ? 'year_incorporated' THEN (b->>'year_incorporated')::int
      ELSE year_incorporated END,
    version = version + 1, updated_at = now()
  WHERE id = o.id RETURNING * INTO o;
  PERFORM directory_set_phones('organization', o.id, b->'phones', 'phones');
  PERFORM directory_set_contacts('organization', o.id, b->'contacts');
  PERFORM mp_emit('cases.directory.organization.updated.v1', o.id::text,
    directory_organization_data(o), rid);
  RETURN hsds_organization_json(o, coalesce(a->>'lang', 'fr'), true);
END $$;

-- The children of a service a body may carry.
CREATE FUNCTION directory_service_children(s services, b jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM directory_set_terms(s.id, b->'taxonomy_terms');
  PERFORM directory_set_languages('service', s.id, b->'languages');
  PERFORM directory_set_documents(s.id, b->'required_documents');
  PERFORM directory_set_phones('service', s.id, b->'phones', 'phones');
  PERFORM directory_set_contacts('service', s.id, b->'contacts');
  PERFORM directory_set_schedules('service', s.id, b->'schedules', 'schedules');
END $$;

CREATE FUNCTION directory_service_fields_ok(b jsonb, min_age int, max_age int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM directory_fr_required(b, ARRAY['name', 'description', 'application_process',
    'fees_description', 'eligibility_description', 'alert']);
  IF min_age > max_age THEN
    PERFORM mp_field_error('maximum_age', 'must not be below minimum_age');
  END IF;
  PERFORM directory_urls_ok(b);
END $$;

-- POST /v1/cases/directory/services
CREATE FUNCTION directory_service_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  o organizations := directory_organization_writable(p, (b->>'organization_id')::uuid, 'organization_id');
  s services;
BEGIN
  PERFORM directory_service_fields_ok(b, (b->>'minimum_age')::int, (b->>'maximum_age')::int);
  INSERT INTO services (organization_id, region, name, alternate_name, description, url, email,
    status, interpretation_services, application_process, fees_description,
    eligibility_description, minimum_age, maximum_age, alert)
  VALUES (o.id, o.region, b->'name', b->>'alternate_name', b->'description', b->>'url',
    b->>'email', coalesce(b->>'status', 'active'), b->>'interpretation_services',
    b->'application_process', b->'fees_description', b->'eligibility_description',
    (b->>'minimum_age')::int, (b->>'maximum_age')::int, b->'alert')
  RETURNING * INTO s;
  PERFORM directory_service_children(s, b);
  PERFORM mp_emit('cases.directory.service.created.v1', s.id::text,
    directory_service_data(s), rid);
  RETURN hsds_service_json(s, coalesce(a->>'lang', 'fr'), true);
END $$;

-- PATCH /v1/cases/directory/services/{id} (status among them: an
-- inactive service takes no referral)
CREATE FUNCTION directory_service_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s services;
BEGIN
  SELECT * INTO s FROM services WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT mp_officer_of(p, s.region) THEN PERFORM mp_not_found(); END IF;
  PERFORM mp_if_match(a, s.version);
  PERFORM directory_service_fields_ok(b,
    CASE WHEN b ? 'minimum_age' THEN (b->>'minimum_age')::int ELSE s.minimum_age END,
    CASE WHEN b ? 'maximum_age' THEN (b->>'maximum_age')::int ELSE s.maximum_age END);
  UPDATE services SET
    name = coalesce(b->'name', name), description = coalesce(b->'description', description),
    alternate_name = CASE WHEN b ? 'alternate_name' THEN b->>'alternate_name' ELSE alternate_name END,
    url = CASE WHEN b ? 'url' THEN b->>'url' ELSE url END,
    email = CASE WHEN b ? 'email' THEN b->>'email' ELSE email END,
    status = coalesce(b->>'status', status),
    interpretation_services = CASE WHEN b ? 'interpretation_services'
      THEN b->>'interpretation_services' ELSE interpretation_services END,
    application_process = CASE WHEN b ? 'application_process' THEN b->'application_process'
      ELSE application_process END,
    fees_description = CASE WHEN b ? 'fees_description' THEN b->'fees_description'
      ELSE fees_description END,
    eligibility_description = CASE WHEN b ? 'eligibility_description'
      THEN b->'eligibility_description' ELSE eligibility_description END,
    minimum_age = CASE WHEN b ? 'minimum_age' THEN (b->>'minimum_age')::int ELSE minimum_age END,
    maximum_age = CASE WHEN b ? 'maximum_age' THEN (b->>'maximum_age')::int ELSE maximum_age END,
    alert = CASE WHEN b ? 'alert' THEN b->'alert' ELSE alert END,
    version = version + 1, updated_at = now()
  WHERE id = s.id RETURNING * INTO s;
  PERFORM directory_service_children(s, b);
  PERFORM mp_emit('cases.directory.service.updated.v1', s.id::text,
    directory_service_data(s), rid);
  RETURN hsds_service_json(s, coalesce(a->>'lang', 'fr'), true);
END $$;

-- A location's one address (replaced when given).
CREATE FUNCTION directory_set_address(l locations, j jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF j IS NULL THEN RETURN; END IF;
  DELETE FROM addresses WHERE location_id = l.id;
  INSERT INTO addresses (location_id, attention, address_1, address_2, city, state_province,
    postal_code, country, address_type)
  SELECT l.id, j->>'attention', j->>'address_1', j->>'address_2', j->>'city',
    coalesce(j->>'state_province', r.name->>'fr'), j->>'postal_code', 'MA',
    CASE WHEN l.location_type = 'postal' THEN 'postal' ELSE 'physical' END
  FROM regions r WHERE r.code = l.region;
END $$;

CREATE FUNCTION directory_location_children(l locations, b jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM directory_set_address(l, b->'address');
  PERFORM directory_set_languages('location', l.id, b->'languages');
  PERFORM directory_set_phones('location', l.id, b->'phones', 'phones');
  PERFORM directory_set_contacts('location', l.id, b->'contacts');
  PERFORM directory_set_schedules('location', l.id, b->'schedules', 'schedules');
END $$;

-- Commune and coordinates of a location: the commune in the
-- organisation's region, a physical place with both coordinates.
CREATE FUNCTION directory_location_ok(region text, commune text, kind text, lat float8, lon float8,
    b jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = commune AND c.region = directory_location_ok.region) THEN
    PERFORM mp_field_error('commune', format('not a commune of %s', region));
  END IF;
  IF (lat IS NULL) <> (lon IS NULL) THEN
    PERFORM mp_field_error(CASE WHEN lat IS NULL THEN 'latitude' ELSE 'longitude' END,
      'latitude and longitude go together');
  END IF;
  IF kind <> 'virtual' AND lat IS NULL THEN
    PERFORM mp_field_error('latitude', 'required for a physical or postal location');
  END IF;
  PERFORM directory_fr_required(b, ARRAY['name', 'description', 'transportation']);
  PERFORM directory_urls_ok(b);
END $$;

-- POST /v1/cases/directory/locations
CREATE FUNCTION directory_location_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  o organizations := directory_organization_writable(p, (b->>'organization_id')::uuid, 'organization_id');
  l locations;
BEGIN
  PERFORM directory_location_ok(o.region, b->>'commune', coalesce(b->>'location_type', 'physical'),
    (b->>'latitude')::float8, (b->>'longitude')::float8, b);
  INSERT INTO locations (organization_id, region, commune, location_type, name, alternate_name,
    description, transportation, url, latitude, longitude)
  VALUES (o.id, o.region, b->>'commune', coalesce(b->>'location_type', 'physical'), b->'name',
    b->>'alternate_name', b->'description', b->'transportation', b->>'url',
    (b->>'latitude')::float8, (b->>'longitude')::float8)
  RETURNING * INTO l;
  PERFORM directory_location_children(l, b);
  PERFORM mp_emit('cases.directory.location.created.v1', l.id::text,
    directory_location_data(l), rid);
  RETURN hsds_location_json(l, coalesce(a->>'lang', 'fr'), true);
END $$;

-- PATCH /v1/cases/directory/locations/{id}: a move to another commune
-- moves its service-at-locations with it (ON UPDATE CASCADE).
CREATE FUNCTION directory_location_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE l locations;
BEGIN
  SELECT * INTO l FROM locations WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT mp_officer_of(p, l.region) THEN PERFORM mp_not_found(); END IF;
  PERFORM mp_if_match(a, l.version);
  PERFORM directory_location_ok(l.region, coalesce(b->>'commune', l.commune),
    coalesce(b->>'location_type', l.location_type),
    CASE WHEN b ? 'latitude' THEN (b->>'latitude')::float8 ELSE l.latitude END,
    CASE WHEN b ? 'longitude' THEN (b->>'longitude')::float8 ELSE l.longitude END, b);
  UPDATE locations SET
    commune = coalesce(b->>'commune', commune),
    location_type = coalesce(b->>'location_type', location_type),
    name = coalesce(b->'name', name),
    alternate_name = CASE WHEN b ? 'alternate_name' THEN b->>'alternate_name' ELSE alternate_name END,
    description = CASE WHEN b ? 'description' THEN b->'description' ELSE description END,
    transportation = CASE WHEN b ? 'transportation' THEN b->'transportation' ELSE transportation END,
    url = CASE WHEN b ? 'url' THEN b->>'url' ELSE url END,
    latitude = CASE WHEN b ? 'latitude' THEN (b->>'latitude')::float8 ELSE latitude END,
    longitude = CASE WHEN b ? 'longitude' THEN (b->>'longitude')::float8 ELSE longitude END,
    version = version + 1, updated_at = now()
  WHERE id = l.id RETURNING * INTO l;
  PERFORM directory_location_children(l, b);
  PERFORM mp_emit('cases.directory.location.updated.v1', l.id::text,
    directory_location_data(l), rid);
  RETURN hsds_location_json(l, coalesce(a->>'lang', 'fr'), true);
END $$;

CREATE FUNCTION directory_sal_children(x service_at_location, b jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM directory_set_phones('service_at_location', x.id, b->'phones', 'phones');
  PERFORM directory_set_contacts('service_at_location', x.id, b->'contacts');
  PERFORM directory_set_schedules('service_at_location', x.id, b->'schedules', 'schedules');
END $$;

-- POST /v1/cases/directory/service-at-locations: a service offered at a
-- location of the same region.
CREATE FUNCTION directory_sal_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s services; l locations; x service_at_location;
BEGIN
  SELECT * INTO s FROM services WHERE id = (b->>'service_id')::uuid FOR SHARE;
  IF NOT FOUND OR NOT mp_officer_of(p, s.region) THEN
    PERFORM mp_field_error('service_id', 'no such service in your region');
  END IF;
  SELECT * INTO l FROM locations WHERE id = (b->>'location_id')::uuid FOR SHARE;
  IF NOT FOUND OR NOT mp_officer_of(p, l.region) THEN
    PERFORM mp_field_error('location_id', 'no such location in your region');
  END IF;
  IF l.region <> s.region THEN
    PERFORM mp_field_error('location_id', 'the location is not in the service''s region');
  END IF;
  IF EXISTS (SELECT 1 FROM service_at_location WHERE service_id = s.id AND location_id = l.id) THEN
    PERFORM mp_raise('MP409', 'the service is already offered at this location');
  END IF;
  PERFORM directory_fr_required(b, ARRAY['description']);
  INSERT INTO service_at_location (service_id, location_id, region, commune, description, status)
  VALUES (s.id, l.id, s.region, l.commune, b->'description', coalesce(b->>'status', 'active'))
  RETURNING * INTO x;
  PERFORM directory_sal_children(x, b);
  PERFORM mp_emit('cases.directory.service_at_location.created.v1', x.id::text,
    directory_sal_data(x), rid);
  RETURN hsds_sal_json(x, coalesce(a->>'lang', 'fr'), true, true);
END $$;

-- PATCH /v1/cases/directory/service-at-locations/{id}: description,
-- status (active, inactive), phones, contacts, schedules.
CREATE FUNCTION directory_sal_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x service_at_location;
BEGIN
  SELECT * INTO x FROM service_at_location WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT mp_officer_of(p, x.region) THEN PERFORM mp_not_found(); END IF;
  PERFORM mp_if_match(a, x.version);
  PERFORM directory_fr_required(b, ARRAY['description']);
  UPDATE service_at_location SET
    description = CASE WHEN b ? 'description' THEN b->'description' ELSE description END,
    status = coalesce(b->>'status', status),
    version = version + 1, updated_at = now()
  WHERE id = x.id RETURNING * INTO x;
  PERFORM directory_sal_children(x, b);
  PERFORM mp_emit('cases.directory.service_at_location.updated.v1', x.id::text,
    directory_sal_data(x), rid);
  RETURN hsds_sal_json(x, coalesce(a->>'lang', 'fr'), true, true);
END $$;
