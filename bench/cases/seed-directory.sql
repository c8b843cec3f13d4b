-- bench-cases: a service directory of :n services (each offered at one
-- location: :n directory entries) spread over the 17 communes of both
-- regions, with 1 or 2 taxonomy terms each, written straight into the
-- cases database (psql -v n=10000). Names and descriptions are built from
-- the words people search for, so a text + term + commune query finds a
-- few dozen entries, as it would in a real directory.
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE bench_commune (code text, region text, lat float8, lon float8, k int);
INSERT INTO bench_commune VALUES
  ('agadir', 'souss-massa', 30.4202, -9.5982, 0), ('aourir', 'souss-massa', 30.4926, -9.6355, 1),
  ('inezgane', 'souss-massa', 30.3553, -9.5361, 2), ('ait-melloul', 'souss-massa', 30.3342, -9.4972, 3),
  ('biougra', 'souss-massa', 30.2146, -9.3713, 4), ('taroudant', 'souss-massa', 30.4703, -8.8770, 5),
  ('tiznit', 'souss-massa', 29.6974, -9.7316, 6), ('tata', 'souss-massa', 29.7428, -7.9725, 7),
  ('oujda', 'oriental', 34.6814, -1.9086, 8), ('bni-drar', 'oriental', 34.8585, -1.9937, 9),
  ('berkane', 'oriental', 34.9200, -2.3200, 10), ('nador', 'oriental', 35.1681, -2.9335, 11),
  ('driouch', 'oriental', 34.9766, -3.3878, 12), ('taourirt', 'oriental', 34.4073, -2.8973, 13),
  ('jerada', 'oriental', 34.3117, -2.1636, 14), ('guercif', 'oriental', 34.2256, -3.3536, 15),
  ('figuig', 'oriental', 32.1094, -1.2275, 16);

-- kinds of service: words of the name, its term, a second term
CREATE TEMP TABLE bench_kind (k int, fr text, ar text, en text, term text, term2 text);
INSERT INTO bench_kind VALUES
  (0, 'Centre de santé', 'المركز الصحي', 'Health centre', 'health', NULL),
  (1, 'Consultation médicale', 'فحص طبي', 'Medical consultation', 'health', 'social_protection'),
  (2, 'Bureau d''état civil', 'مكتب الحالة المدنية', 'Civil-status office', 'civil_status', NULL),
  (3, 'Permanence juridique', 'ديمومة قانونية', 'Legal advice desk', 'legal_aid', NULL),
  (4, 'Aide aux démarches de séjour', 'المساعدة في مساطر الإقامة', 'Residence procedures help', 'legal_aid', 'social_protection'),
  (5, 'Agence pour l''emploi', 'وكالة التشغيل', 'Employment agency', 'employment', NULL),
  (6, 'Atelier de recherche d''emploi', 'ورشة البحث عن الشغل', 'Job search workshop', 'employment', 'education'),
  (7, 'Hébergement d''urgence', 'الإيواء الاستعجالي', 'Emergency shelter', 'housing', 'social_protection'),
  (8, 'Cours de langue', 'دروس اللغة', 'Language classes', 'education', NULL),
  (9, 'Soutien scolaire', 'الدعم المدرسي', 'School support', 'education', NULL),
  (10, 'Accueil des Marocains du monde', 'استقبال مغاربة العالم', 'Moroccans abroad desk', 'consular_mre', NULL),
  (11, 'Guichet création d''entreprise', 'شباك إحداث المقاولات', 'Business creation desk', 'investment_business', 'employment');

-- the list items are built once at the end, not by a trigger per row
ALTER TABLE services DISABLE TRIGGER services_list_item;
ALTER TABLE service_attributes DISABLE TRIGGER service_attributes_list_item;

-- :n / 20 organisations, 20 services each; 4 locations per organisation
INSERT INTO organizations (id, region, name, description, legal_status)
SELECT ('b0000000-0000-7000-8000-' || lpad(to_hex(o), 12, '0'))::uuid, c.region,
  jsonb_build_object('fr', 'Organisation ' || o || ' de ' || c.code, 'ar', 'منظمة ' || o),
  jsonb_build_object('fr', 'Organisation de démonstration n° ' || o), 'Association'
FROM generate_series(0, :n / 20 - 1) o JOIN bench_commune c ON c.k = o % 17;

INSERT INTO locations (id, organization_id, region, commune, name, latitude, longitude)
SELECT ('b1000000-0000-7000-8000-' || lpad(to_hex(o * 4 + j), 12, '0'))::uuid,
  ('b0000000-0000-7000-8000-' || lpad(to_hex(o), 12, '0'))::uuid, c.region, c2.code,
  jsonb_build_object('fr', 'Site ' || j || ' de l''organisation ' || o),
  c2.lat + ((o * 7 + j * 13) % 100 - 50) * 0.0004, c2.lon + ((o * 11 + j * 5) % 100 - 50) * 0.0004
FROM generate_series(0, :n / 20 - 1) o JOIN bench_commune c ON c.k = o % 17
CROSS JOIN generate_series(0, 3) j
-- the organisation's commune, or another commune of its region
JOIN bench_commune c2 ON c2.region = c.region
  AND c2.k = CASE WHEN j < 2 THEN c.k ELSE (CASE WHEN c.region = 'souss-massa'
    THEN (c.k + j * 3) % 8 ELSE 8 + (c.k - 8 + j * 3) % 9 END) END;

INSERT INTO services (id, organization_id, region, name, description, status)
SELECT ('b2000000-0000-7000-8000-' || lpad(to_hex(s), 12, '0'))::uuid,
  ('b0000000-0000-7000-8000-' || lpad(to_hex(s / 20), 12, '0'))::uuid, c.region,
  jsonb_build_object('fr', k.fr || ' ' || s, 'ar', k.ar || ' ' || s, 'en', k.en || ' ' || s),
  jsonb_build_object('fr', k.fr || ' ouvert à tous, y compris les migrants et les MRE. Accueil sans rendez-vous.',
    'en', k.en || ' open to all, migrants and Moroccans abroad included.'),
  CASE WHEN s % 50 = 0 THEN 'inactive' ELSE 'active' END
FROM generate_series(0, :n - 1) s JOIN bench_commune c ON c.k = (s / 20) % 17
JOIN bench_kind k ON k.k = (s * 7) % 12;

INSERT INTO service_attributes (service_id, taxonomy_term_id)
SELECT ('b2000000-0000-7000-8000-' || lpad(to_hex(s), 12, '0'))::uuid, t.id
FROM generate_series(0, :n - 1) s JOIN bench_kind k ON k.k = (s * 7) % 12
JOIN taxonomy_terms t ON t.code = k.term OR t.code = k.term2;

-- each service at one of its organisation's four locations
INSERT INTO service_at_location (service_id, location_id, region, commune)
SELECT s.id, l.id, l.region, l.commune
FROM services s
JOIN locations l ON l.id = ('b1000000-0000-7000-8000-' ||
  lpad(to_hex((('x' || right(s.id::text, 8))::bit(32)::int / 20) * 4
    + ('x' || right(s.id::text, 8))::bit(32)::int % 4), 12, '0'))::uuid
WHERE s.id::text LIKE 'b2000000-%';

SELECT directory_list_item_refresh(ARRAY(SELECT id FROM services)) \g /dev/null
ALTER TABLE services ENABLE TRIGGER services_list_item;
ALTER TABLE service_attributes ENABLE TRIGGER service_attributes_list_item;
COMMIT;
ANALYZE organizations, locations, services, service_attributes, service_at_location;
