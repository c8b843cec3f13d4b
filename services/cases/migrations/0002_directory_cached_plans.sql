-- The HSDS representations of 0002_directory_api.sql, unchanged but in
-- PL/pgSQL: a LANGUAGE sql function that cannot be inlined (it reads a
-- table) is planned again at every call when another SQL function calls
-- it, so a page of 20 services (each nesting its organisation, attributes
-- and terms) spent about 200 ms planning; PL/pgSQL keeps each statement's
-- plan for the session. A term's JSON becomes an expression inlined into
-- the attributes' query.

-- A term with its taxonomy: one expression, inlined where it is used (no
-- call, no plan of its own).
CREATE FUNCTION hsds_term_json(t taxonomy_terms, x taxonomies, lang text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', t.id, 'code', t.code,
    'name', directory_i18n(t.name, lang), 'description', directory_i18n(t.description, lang),
    'parent_id', t.parent_id, 'taxonomy', x.name, 'taxonomy_id', t.taxonomy_id,
    'taxonomy_detail', hsds_taxonomy_json(x),
    'language', CASE WHEN t.name ? lang THEN lang ELSE 'fr' END,
    'translations', jsonb_build_object('name', t.name, 'description', t.description)))
$$;

CREATE OR REPLACE FUNCTION hsds_term_json(t taxonomy_terms, lang text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT hsds_term_json(t, x, lang) FROM taxonomies x WHERE x.id = t.taxonomy_id);
END $$;

CREATE OR REPLACE FUNCTION hsds_attributes(service uuid, lang text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', sa.id, 'link_id', sa.service_id,
      'link_type', 'service_category', 'link_entity', 'service',
      'taxonomy_term_id', sa.taxonomy_term_id, 'value', t.code,
      'taxonomy_term', hsds_term_json(t, x, lang)) ORDER BY t.code), '[]')
  FROM service_attributes sa JOIN taxonomy_terms t ON t.id = sa.taxonomy_term_id
  JOIN taxonomies x ON x.id = t.taxonomy_id
  WHERE sa.service_id = service);
END $$;

CREATE OR REPLACE FUNCTION hsds_phones(kind text, owner uuid, lang text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', ph.id,
      'organization_id', ph.organization_id, 'service_id', ph.service_id,
      'location_id', ph.location_id, 'service_at_location_id', ph.service_at_location_id,
      'contact_id', ph.contact_id, 'number', ph.number, 'extension', ph.extension,
      'type', ph.type, 'description', directory_i18n(ph.description, lang))) ORDER BY ph.id), '[]')
  FROM phones ph
  WHERE CASE kind WHEN 'organization' THEN ph.organization_id = owner
    WHEN 'service' THEN ph.service_id = owner WHEN 'location' THEN ph.location_id = owner
    WHEN 'service_at_location' THEN ph.service_at_location_id = owner
    WHEN 'contact' THEN ph.contact_id = owner END);
END $$;

CREATE OR REPLACE FUNCTION hsds_contacts(kind text, owner uuid, lang text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', c.id,
      'organization_id', c.organization_id, 'service_id', c.service_id,
      'location_id', c.location_id, 'service_at_location_id', c.service_at_location_id,
      'name', c.name, 'title', c.title, 'department', c.department, 'email', c.email,
      'phones', hsds_phones('contact', c.id, lang))) ORDER BY c.id), '[]')
  FROM contacts c
  WHERE CASE kind WHEN 'organization' THEN c.organization_id = owner
    WHEN 'service' THEN c.service_id = owner WHEN 'location' THEN c.location_id = owner
    WHEN 'service_at_location' THEN c.service_at_location_id = owner END);
END $$;

CREATE OR REPLACE FUNCTION hsds_schedules(kind text, owner uuid, lang text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', s.id,
      'service_id', s.service_id, 'location_id', s.location_id,
      'service_at_location_id', s.service_at_location_id, 'freq', s.freq,
      'byday', s.byday, 'opens_at', to_char(s.opens_at, 'HH24:MI'),
      'closes_at', to_char(s.closes_at, 'HH24:MI'), 'valid_from', s.valid_from::text,
      'valid_to', s.valid_to::text,
      'description', directory_i18n(s.description, lang))) ORDER BY s.id), '[]')
  FROM schedules s
  WHERE CASE kind WHEN 'service' THEN s.service_id = owner WHEN 'location' THEN s.location_id = owner
    WHEN 'service_at_location' THEN s.service_at_location_id = owner END);
END $$;

CREATE OR REPLACE FUNCTION hsds_languages(kind text, owner uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', l.id,
      'service_id', l.service_id, 'location_id', l.location_id, 'name', l.name,
      'code', l.code, 'note', l.note)) ORDER BY l.code), '[]')
  FROM languages l
  WHERE CASE kind WHEN 'service' THEN l.service_id = owner WHEN 'location' THEN l.location_id = owner END);
END $$;

CREATE OR REPLACE FUNCTION hsds_organization_json(o organizations, lang text, nested boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT jsonb_strip_nulls(jsonb_build_object('id', o.id,
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
    ELSE '{}'::jsonb END));
END $$;

CREATE OR REPLACE FUNCTION hsds_location_json(l locations, lang text, nested boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT jsonb_strip_nulls(jsonb_build_object('id', l.id,
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
    ELSE '{}'::jsonb END));
END $$;

CREATE OR REPLACE FUNCTION hsds_service_json(s services, lang text, nested boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT jsonb_strip_nulls(jsonb_build_object('id', s.id,
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
    ELSE '{}'::jsonb END));
END $$;

CREATE OR REPLACE FUNCTION hsds_sal_json(x service_at_location, lang text, nested boolean, with_service boolean)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT jsonb_strip_nulls(jsonb_build_object('id', x.id, 'service_id', x.service_id,
    'location_id', x.location_id, 'description', directory_i18n(x.description, lang),
    'status', x.status, 'region', x.region, 'commune', x.commune, 'version', x.version,
    'last_modified', hsds_time(x.updated_at),
    'location', (SELECT hsds_location_json(l, lang, nested) FROM locations l WHERE l.id = x.location_id),
    'service', CASE WHEN with_service THEN (SELECT hsds_service_list_item(s, lang)
      FROM services s WHERE s.id = x.service_id) END)
    || CASE WHEN nested THEN jsonb_build_object(
      'contacts', hsds_contacts('service_at_location', x.id, lang),
      'phones', hsds_phones('service_at_location', x.id, lang),
      'schedules', hsds_schedules('service_at_location', x.id, lang))
    ELSE '{}'::jsonb END));
END $$;

-- Lists: the matching rows are collected as ids and sort keys only (the
-- whole rows of 10,000 services were copied into the CTE before), the
-- page's rows are read back by id; a service's list item comes from
-- service_list_items (below).
CREATE OR REPLACE FUNCTION hsds_services(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  arg hsds_list_args := hsds_list_args(a);
  total bigint; contents jsonb;
BEGIN
  -- near a point: the services of the locations in the radius (GiST), at
  -- the distance of their nearest one
  EXECUTE format('WITH m AS MATERIALIZED (SELECT s.id, %s AS dist, %s AS k
      FROM services s%s WHERE true%s%s%s)
    SELECT (SELECT count(*) FROM m), (SELECT jsonb_agg(CASE WHEN $12
        THEN hsds_service_json(s, $11, true) ELSE hsds_service_list_item(s, $11) END
      || CASE WHEN p.dist IS NULL THEN ''{}''::jsonb
         ELSE jsonb_build_object(''distance_km'', round((p.dist / 1000)::numeric, 3)) END
      ORDER BY p.k, p.id) FROM (SELECT m.id, m.dist, m.k FROM m
      ORDER BY m.k, m.id LIMIT $9 OFFSET $10) p JOIN services s ON s.id = p.id)',
    CASE WHEN arg.pt IS NULL THEN 'NULL::float8' ELSE 'g.dist' END,
    CASE WHEN arg.pt IS NOT NULL THEN 'g.dist' WHEN arg.q IS NOT NULL THEN '-ts_rank(s.search, $1)'
      ELSE 'directory_i18n(s.name, $11)' END,
    CASE WHEN arg.pt IS NOT NULL THEN ' JOIN (SELECT x.service_id, min(ST_Distance(l.point, $7)) AS dist
      FROM locations l JOIN service_at_location x ON x.location_id = l.id
      WHERE ST_DWithin(l.point, $7, $8) GROUP BY x.service_id) g ON g.service_id = s.id' END,
    hsds_service_filters(arg.q, arg.term, arg.tax, arg.org),
    CASE WHEN arg.since IS NOT NULL THEN ' AND s.updated_at >= $5' END,
    CASE WHEN arg.commune IS NOT NULL THEN ' AND EXISTS (SELECT 1 FROM service_at_location x
      WHERE x.service_id = s.id AND x.commune = $6)' END)
  INTO total, contents
  USING arg.q, arg.term, arg.tax, arg.org, arg.since, arg.commune, arg.pt, arg.radius, arg.per,
    (arg.page - 1)::bigint * arg.per, arg.lang, arg.nested;
  RETURN hsds_page(contents, total, arg.page, arg.per);
END $$;

CREATE OR REPLACE FUNCTION hsds_service_at_locations(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  arg hsds_list_args := hsds_list_args(a);
  st text := hsds_status_arg(a);
  total bigint; contents jsonb; ord text;
BEGIN
  ord := CASE WHEN arg.pt IS NOT NULL THEN 'ST_Distance(l.point, $7)'
    WHEN arg.q IS NOT NULL THEN '-ts_rank(s.search, $1)'
    ELSE 'directory_i18n(s.name, $11)' END;
  EXECUTE format('WITH m AS MATERIALIZED (SELECT x.id, %s AS dist, %s AS k
      FROM service_at_location x JOIN services s ON s.id = x.service_id
      JOIN locations l ON l.id = x.location_id WHERE true%s%s%s%s%s)
    SELECT (SELECT count(*) FROM m), (SELECT jsonb_agg(hsds_sal_json(x, $11, $12, true)
      || CASE WHEN p.dist IS NULL THEN ''{}''::jsonb
         ELSE jsonb_build_object(''distance_km'', round((p.dist / 1000)::numeric, 3)) END
      ORDER BY p.k, p.id) FROM (SELECT m.id, m.dist, m.k FROM m
      ORDER BY m.k, m.id LIMIT $9 OFFSET $10) p JOIN service_at_location x ON x.id = p.id)',
    CASE WHEN arg.pt IS NULL THEN 'NULL::float8' ELSE 'ST_Distance(l.point, $7)' END, ord,
    hsds_service_filters(arg.q, arg.term, arg.tax, arg.org),
    CASE WHEN arg.since IS NOT NULL THEN ' AND greatest(x.updated_at, s.updated_at, l.updated_at) >= $5' END,
    CASE WHEN arg.commune IS NOT NULL THEN ' AND x.commune = $6' END,
    CASE WHEN arg.pt IS NOT NULL THEN ' AND ST_DWithin(l.point, $7, $8)' END,
    CASE WHEN st IS NOT NULL THEN ' AND x.status = $13' END)
  INTO total, contents
  USING arg.q, arg.term, arg.tax, arg.org, arg.since, arg.commune, arg.pt, arg.radius, arg.per,
    (arg.page - 1)::bigint * arg.per, arg.lang, arg.nested, st;
  RETURN hsds_page(contents, total, arg.page, arg.per);
END $$;

-- ---- list items, built once per write --------------------------------------

-- A service as a list shows it (hsds_service_json without nesting) in each
-- of the languages our texts are written in, rebuilt by triggers whenever
-- the service, its organisation or its taxonomy terms change: a page of a
-- search reads 20 rows instead of building 20 objects (0.3 ms each).
CREATE TABLE service_list_items (
  service_id uuid PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
  fr jsonb NOT NULL,
  ar jsonb NOT NULL,
  en jsonb NOT NULL
);

CREATE FUNCTION directory_list_item_refresh(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO service_list_items (service_id, fr, ar, en)
  SELECT s.id, hsds_service_json(s, 'fr', false), hsds_service_json(s, 'ar', false),
    hsds_service_json(s, 'en', false)
  FROM services s WHERE s.id = ANY (ids)
  ON CONFLICT (service_id) DO UPDATE SET fr = excluded.fr, ar = excluded.ar, en = excluded.en;
END $$;

-- The list item of `s` in `lang` (built when not stored: zgh).
CREATE FUNCTION hsds_service_list_item(s services, lang text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN coalesce((SELECT CASE lang WHEN 'fr' THEN i.fr WHEN 'ar' THEN i.ar WHEN 'en' THEN i.en END
    FROM service_list_items i WHERE i.service_id = s.id), hsds_service_json(s, lang, false));
END $$;

CREATE FUNCTION directory_list_items_of_service() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM directory_list_item_refresh(ARRAY[NEW.id]);
  RETURN NULL;
END $$;

CREATE FUNCTION directory_list_items_of_attribute() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM directory_list_item_refresh(ARRAY[CASE WHEN TG_OP = 'DELETE' THEN OLD.service_id
    ELSE NEW.service_id END]);
  RETURN NULL;
END $$;

CREATE FUNCTION directory_list_items_of_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM directory_list_item_refresh(ARRAY(SELECT id FROM services WHERE organization_id = NEW.id));
  RETURN NULL;
END $$;

CREATE TRIGGER services_list_item AFTER INSERT OR UPDATE ON services
  FOR EACH ROW EXECUTE FUNCTION directory_list_items_of_service();
CREATE TRIGGER service_attributes_list_item AFTER INSERT OR DELETE ON service_attributes
  FOR EACH ROW EXECUTE FUNCTION directory_list_items_of_attribute();
CREATE TRIGGER organizations_list_item AFTER UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION directory_list_items_of_organization();

SELECT directory_list_item_refresh(ARRAY(SELECT id FROM services));
