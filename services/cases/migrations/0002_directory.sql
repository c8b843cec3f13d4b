-- The service directory: Open Referral HSDS 3.0 tables (organization,
-- service, location, service_at_location, taxonomy, taxonomy_term,
-- attribute, language, schedule, required_document, contact, phone,
-- address), served read-only and public under /v1/cases/hsds/ and written
-- by the region's officers. What HSDS lacks for our users is added here:
-- every record belongs to one region (officers write their own only), a
-- location lies in a commune (the codes of funding's reference data), names
-- and descriptions are multilingual ({"fr", "ar", "en"}, fr required), and a
-- location's point is a PostGIS geography with a GiST index (distance
-- search).
--
-- Region consistency is held by composite foreign keys: a service's region
-- is its organisation's, a location's is its organisation's and its
-- commune's, a service-at-location's is both its service's and its
-- location's, and its commune is its location's (ON UPDATE CASCADE keeps
-- that copy, used by the commune filter, equal when a location moves).
--
-- Referrals (the cases side) point at service_at_location(id); one can be
-- made only while directory_sal_active(id) holds.
--
-- The postgis extension needs a superuser: scripts/lib.sh (make up, make
-- test) and scripts/compose/initdb.sql create it in the cases database
-- before the service starts; this statement is then a no-op.
CREATE EXTENSION IF NOT EXISTS postgis;

-- ---- reference: provinces and communes (same codes as funding's) ---------

CREATE TABLE provinces (
  code text PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,64}$'),
  region text NOT NULL REFERENCES regions (code),
  name jsonb NOT NULL,
  UNIQUE (code, region)
);

CREATE TABLE communes (
  code text PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,64}$'),
  province text NOT NULL,
  region text NOT NULL,
  name jsonb NOT NULL,
  UNIQUE (code, region),
  FOREIGN KEY (province, region) REFERENCES provinces (code, region)
);

INSERT INTO provinces (code, region, name) VALUES
  ('agadir-ida-ou-tanane', 'souss-massa', '{"fr": "Agadir-Ida-Ou-Tanane", "ar": "أكادير إداوتنان", "en": "Agadir-Ida-Ou-Tanane"}'),
  ('inezgane-ait-melloul', 'souss-massa', '{"fr": "Inezgane-Aït Melloul", "ar": "إنزكان أيت ملول", "en": "Inezgane-Ait Melloul"}'),
  ('chtouka-ait-baha', 'souss-massa', '{"fr": "Chtouka-Aït Baha", "ar": "شتوكة أيت باها", "en": "Chtouka-Ait Baha"}'),
  ('taroudant', 'souss-massa', '{"fr": "Taroudant", "ar": "تارودانت", "en": "Taroudant"}'),
  ('tiznit', 'souss-massa', '{"fr": "Tiznit", "ar": "تيزنيت", "en": "Tiznit"}'),
  ('tata', 'souss-massa', '{"fr": "Tata", "ar": "طاطا", "en": "Tata"}'),
  ('oujda-angad', 'oriental', '{"fr": "Oujda-Angad", "ar": "وجدة أنجاد", "en": "Oujda-Angad"}'),
  ('berkane', 'oriental', '{"fr": "Berkane", "ar": "بركان", "en": "Berkane"}'),
  ('nador', 'oriental', '{"fr": "Nador", "ar": "الناظور", "en": "Nador"}'),
  ('driouch', 'oriental', '{"fr": "Driouch", "ar": "الدريوش", "en": "Driouch"}'),
  ('taourirt', 'oriental', '{"fr": "Taourirt", "ar": "تاوريرت", "en": "Taourirt"}'),
  ('jerada', 'oriental', '{"fr": "Jerada", "ar": "جرادة", "en": "Jerada"}'),
  ('guercif', 'oriental', '{"fr": "Guercif", "ar": "جرسيف", "en": "Guercif"}'),
  ('figuig', 'oriental', '{"fr": "Figuig", "ar": "فجيج", "en": "Figuig"}');

INSERT INTO communes (code, province, region, name) VALUES
  ('agadir', 'agadir-ida-ou-tanane', 'souss-massa', '{"fr": "Agadir", "ar": "أكادير", "en": "Agadir"}'),
  ('aourir', 'agadir-ida-ou-tanane', 'souss-massa', '{"fr": "Aourir", "ar": "أورير", "en": "Aourir"}'),
  ('inezgane', 'inezgane-ait-melloul', 'souss-massa', '{"fr": "Inezgane", "ar": "إنزكان", "en": "Inezgane"}'),
  ('ait-melloul', 'inezgane-ait-melloul', 'souss-massa', '{"fr": "Aït Melloul", "ar": "أيت ملول", "en": "Ait Melloul"}'),
  ('biougra', 'chtouka-ait-baha', 'souss-massa', '{"fr": "Biougra", "ar": "بيوكرى", "en": "Biougra"}'),
  ('taroudant', 'taroudant', 'souss-massa', '{"fr": "Taroudant", "ar": "تارودانت", "en": "Taroudant"}'),
  ('tiznit', 'tiznit', 'souss-massa', '{"fr": "Tiznit", "ar": "تيزنيت", "en": "Tiznit"}'),
  ('tata', 'tata', 'souss-massa', '{"fr": "Tata", "ar": "طاطا", "en": "Tata"}'),
  ('oujda', 'oujda-angad', 'oriental', '{"fr": "Oujda", "ar": "وجدة", "en": "Oujda"}'),
  ('bni-drar', 'oujda-angad', 'oriental', '{"fr": "Bni Drar", "ar": "بني درار", "en": "Bni Drar"}'),
  ('berkane', 'berkane', 'oriental', '{"fr": "Berkane", "ar": "بركان", "en": "Berkane"}'),
  ('nador', 'nador', 'oriental', '{"fr": "Nador", "ar": "الناظور", "en": "Nador"}'),
  ('driouch', 'driouch', 'oriental', '{"fr": "Driouch", "ar": "الدريوش", "en": "Driouch"}'),
  ('taourirt', 'taourirt', 'oriental', '{"fr": "Taourirt", "ar": "تاوريرت", "en": "Taourirt"}'),
  ('jerada', 'jerada', 'oriental', '{"fr": "Jerada", "ar": "جرادة", "en": "Jerada"}'),
  ('guercif', 'guercif', 'oriental', '{"fr": "Guercif", "ar": "جرسيف", "en": "Guercif"}'),
  ('figuig', 'figuig', 'oriental', '{"fr": "Figuig", "ar": "فجيج", "en": "Figuig"}');

-- ---- multilingual text ------------------------------------------------------

-- A multilingual text: a JSON object of non-empty strings keyed by language
-- (fr, ar, en, zgh), French always present, each at most `max_len`
-- characters. NULL is accepted (optional columns add NOT NULL).
CREATE FUNCTION directory_i18n_ok(t jsonb, max_len int) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT t IS NULL OR (jsonb_typeof(t) = 'object'
    AND jsonb_typeof(t->'fr') = 'string'
    AND NOT EXISTS (SELECT 1 FROM jsonb_each(t) e
      WHERE e.key NOT IN ('fr', 'ar', 'en', 'zgh')
         OR jsonb_typeof(e.value) <> 'string'
         OR length(e.value #>> '{}') NOT BETWEEN 1 AND max_len))
$$;

-- The text of `t` in language `lang`, French when it has none.
CREATE FUNCTION directory_i18n(t jsonb, lang text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(t->>lang, t->>'fr')
$$;

-- ---- organisations ------------------------------------------------------------

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  region text NOT NULL REFERENCES regions (code),
  name jsonb NOT NULL CHECK (directory_i18n_ok(name, 200)),
  alternate_name text CHECK (length(alternate_name) BETWEEN 1 AND 200),
  description jsonb NOT NULL CHECK (directory_i18n_ok(description, 4000)),
  email text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
  website text CHECK (website ~ '^https?://[^\s]+$' AND length(website) <= 500),
  legal_status text CHECK (length(legal_status) BETWEEN 1 AND 200),
  year_incorporated int CHECK (year_incorporated BETWEEN 1800 AND 2100),
  parent_organization_id uuid REFERENCES organizations (id),
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, region)
);
CREATE INDEX organizations_region ON organizations (region, id);
CREATE INDEX organizations_updated ON organizations (updated_at);

-- ---- services ---------------------------------------------------------------

CREATE TABLE services (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  organization_id uuid NOT NULL,
  region text NOT NULL,
  name jsonb NOT NULL CHECK (directory_i18n_ok(name, 200)),
  alternate_name text CHECK (length(alternate_name) BETWEEN 1 AND 200),
  description jsonb NOT NULL CHECK (directory_i18n_ok(description, 4000)),
  url text CHECK (url ~ '^https?://[^\s]+$' AND length(url) <= 500),
  email text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
  -- HSDS's own status values
  status text NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'inactive', 'defunct', 'temporarily closed')),
  interpretation_services text CHECK (length(interpretation_services) BETWEEN 1 AND 500),
  application_process jsonb CHECK (directory_i18n_ok(application_process, 2000)),
  fees_description jsonb CHECK (directory_i18n_ok(fees_description, 1000)),
  eligibility_description jsonb CHECK (directory_i18n_ok(eligibility_description, 2000)),
  minimum_age int CHECK (minimum_age BETWEEN 0 AND 120),
  maximum_age int CHECK (maximum_age BETWEEN 0 AND 120),
  alert jsonb CHECK (directory_i18n_ok(alert, 1000)),
  -- full-text search over every language of the name (weight A) and the
  -- description (weight B); 'simple': no stemming, the same for all three
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, coalesce(name->>'fr', '') || ' ' ||
      coalesce(name->>'ar', '') || ' ' || coalesce(name->>'en', '') || ' ' ||
      coalesce(alternate_name, '')), 'A') ||
    setweight(to_tsvector('simple'::regconfig, coalesce(description->>'fr', '') || ' ' ||
      coalesce(description->>'ar', '') || ' ' || coalesce(description->>'en', '')), 'B')
  ) STORED,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, region),
  FOREIGN KEY (organization_id, region) REFERENCES organizations (id, region),
  CHECK (minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age)
);
CREATE INDEX services_organization ON services (organization_id, id);
CREATE INDEX services_search ON services USING gin (search);
CREATE INDEX services_updated ON services (updated_at);

-- ---- locations and their addresses ------------------------------------------

CREATE TABLE locations (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  organization_id uuid NOT NULL,
  region text NOT NULL,
  commune text NOT NULL,
  location_type text NOT NULL DEFAULT 'physical'
    CHECK (location_type IN ('physical', 'postal', 'virtual')),
  name jsonb NOT NULL CHECK (directory_i18n_ok(name, 200)),
  alternate_name text CHECK (length(alternate_name) BETWEEN 1 AND 200),
  description jsonb CHECK (directory_i18n_ok(description, 2000)),
  transportation jsonb CHECK (directory_i18n_ok(transportation, 1000)),
  url text CHECK (url ~ '^https?://[^\s]+$' AND length(url) <= 500),
  latitude double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision CHECK (longitude BETWEEN -180 AND 180),
  point geography(Point, 4326) GENERATED ALWAYS AS (
    CASE WHEN latitude IS NOT NULL AND longitude IS NOT NULL
      THEN ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography END
  ) STORED,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, region),
  UNIQUE (id, region, commune),
  FOREIGN KEY (organization_id, region) REFERENCES organizations (id, region),
  FOREIGN KEY (commune, region) REFERENCES communes (code, region),
  CHECK ((latitude IS NULL) = (longitude IS NULL)),
  CHECK (location_type = 'virtual' OR latitude IS NOT NULL)
);
CREATE INDEX locations_organization ON locations (organization_id, id);
CREATE INDEX locations_commune ON locations (commune);
CREATE INDEX locations_point ON locations USING gist (point);

CREATE TABLE addresses (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  location_id uuid NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  attention text CHECK (length(attention) BETWEEN 1 AND 200),
  address_1 text NOT NULL CHECK (length(address_1) BETWEEN 1 AND 200),
  address_2 text CHECK (length(address_2) BETWEEN 1 AND 200),
  city text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
  state_province text NOT NULL CHECK (length(state_province) BETWEEN 1 AND 100),
  postal_code text NOT NULL CHECK (postal_code ~ '^[0-9A-Za-z -]{2,12}$'),
  country text NOT NULL DEFAULT 'MA' CHECK (country ~ '^[A-Z]{2}$'),
  address_type text NOT NULL DEFAULT 'physical'
    CHECK (address_type IN ('physical', 'postal', 'virtual'))
);
CREATE INDEX addresses_location ON addresses (location_id);

-- ---- a service at a location: what a referral points at ---------------------

-- HSDS's service_at_location, plus our status: a referral (cases side)
-- may only be made to an active one whose service is active too
-- (directory_sal_active).
CREATE TABLE service_at_location (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  service_id uuid NOT NULL,
  location_id uuid NOT NULL,
  region text NOT NULL,
  commune text NOT NULL,
  description jsonb CHECK (directory_i18n_ok(description, 2000)),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (service_id, location_id),
  FOREIGN KEY (service_id, region) REFERENCES services (id, region),
  FOREIGN KEY (location_id, region, commune)
    REFERENCES locations (id, region, commune) ON UPDATE CASCADE
);
CREATE INDEX service_at_location_service ON service_at_location (service_id);
CREATE INDEX service_at_location_location ON service_at_location (location_id);
CREATE INDEX service_at_location_commune ON service_at_location (commune, service_id);
CREATE INDEX service_at_location_updated ON service_at_location (updated_at);

-- True when a referral may be made to service-at-location `sal`: it and
-- its service are active. NULL-safe (an unknown id is false).
CREATE FUNCTION directory_sal_active(sal uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT x.status = 'active' AND s.status = 'active'
    FROM service_at_location x JOIN services s ON s.id = x.service_id
    WHERE x.id = sal), false)
$$;

-- ---- taxonomy ---------------------------------------------------------------

CREATE TABLE taxonomies (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL,
  uri text CHECK (uri ~ '^https?://[^\s]+$'),
  version text
);

CREATE TABLE taxonomy_terms (
  id uuid PRIMARY KEY,
  taxonomy_id uuid NOT NULL REFERENCES taxonomies (id),
  code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z_]{1,63}$'),
  name jsonb NOT NULL CHECK (directory_i18n_ok(name, 200)),
  description jsonb NOT NULL CHECK (directory_i18n_ok(description, 1000)),
  parent_id uuid REFERENCES taxonomy_terms (id)
);

-- HSDS's attribute, for the one link we make: a service classified under a
-- taxonomy term.
CREATE TABLE service_attributes (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  service_id uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  taxonomy_term_id uuid NOT NULL REFERENCES taxonomy_terms (id),
  UNIQUE (service_id, taxonomy_term_id)
);
CREATE INDEX service_attributes_term ON service_attributes (taxonomy_term_id, service_id);

-- The programme's taxonomy of basic services (fixed ids: clients may keep
-- them; the codes are also accepted as taxonomy_term_id).
INSERT INTO taxonomies (id, name, description, uri, version) VALUES
  ('01930000-0000-7000-8000-00000000a000', 'mp-basic-services',
   'Basic services to which municipal agents and mediators of the Souss-Massa and Oriental programme orient MRE and migrants',
   NULL, '1');

INSERT INTO taxonomy_terms (id, taxonomy_id, code, name, description) VALUES
  ('01930000-0000-7000-8000-00000000a001', '01930000-0000-7000-8000-00000000a000', 'health',
   '{"fr": "Santé", "ar": "الصحة", "en": "Health"}',
   '{"fr": "Centres de santé, hôpitaux, santé maternelle et infantile, vaccination", "ar": "المراكز الصحية والمستشفيات وصحة الأم والطفل والتلقيح", "en": "Health centres, hospitals, maternal and child health, vaccination"}'),
  ('01930000-0000-7000-8000-00000000a002', '01930000-0000-7000-8000-00000000a000', 'education',
   '{"fr": "Éducation", "ar": "التعليم", "en": "Education"}',
   '{"fr": "Inscription scolaire, éducation non formelle, cours de langue", "ar": "التسجيل المدرسي والتربية غير النظامية ودروس اللغة", "en": "School enrolment, non-formal education, language classes"}'),
  ('01930000-0000-7000-8000-00000000a003', '01930000-0000-7000-8000-00000000a000', 'civil_status',
   '{"fr": "État civil", "ar": "الحالة المدنية", "en": "Civil status"}',
   '{"fr": "Déclarations de naissance, actes d''état civil, légalisation", "ar": "التصريح بالولادات ووثائق الحالة المدنية والمصادقة", "en": "Birth registration, civil-status records, certification"}'),
  ('01930000-0000-7000-8000-00000000a004', '01930000-0000-7000-8000-00000000a000', 'legal_aid',
   '{"fr": "Aide juridique", "ar": "المساعدة القانونية", "en": "Legal aid"}',
   '{"fr": "Conseil juridique, accompagnement administratif, droit au séjour", "ar": "الاستشارة القانونية والمواكبة الإدارية وحق الإقامة", "en": "Legal advice, administrative support, residence rights"}'),
  ('01930000-0000-7000-8000-00000000a005', '01930000-0000-7000-8000-00000000a000', 'employment',
   '{"fr": "Emploi", "ar": "التشغيل", "en": "Employment"}',
   '{"fr": "Intermédiation, orientation professionnelle, formation", "ar": "الوساطة في التشغيل والتوجيه المهني والتكوين", "en": "Job placement, career guidance, training"}'),
  ('01930000-0000-7000-8000-00000000a006', '01930000-0000-7000-8000-00000000a000', 'housing',
   '{"fr": "Logement", "ar": "السكن", "en": "Housing"}',
   '{"fr": "Hébergement d''urgence, accès au logement", "ar": "الإيواء الاستعجالي والولوج إلى السكن", "en": "Emergency shelter, access to housing"}'),
  ('01930000-0000-7000-8000-00000000a007', '01930000-0000-7000-8000-00000000a000', 'social_protection',
   '{"fr": "Protection sociale", "ar": "الحماية الاجتماعية", "en": "Social protection"}',
   '{"fr": "Assurance maladie, aides sociales, protection de l''enfance", "ar": "التأمين الصحي والمساعدات الاجتماعية وحماية الطفولة", "en": "Health insurance, social assistance, child protection"}'),
  ('01930000-0000-7000-8000-00000000a008', '01930000-0000-7000-8000-00000000a000', 'consular_mre',
   '{"fr": "Services consulaires et MRE", "ar": "الخدمات القنصلية ومغاربة العالم", "en": "Consular and MRE services"}',
   '{"fr": "Accueil des Marocains résidant à l''étranger, services consulaires, retour et réinsertion", "ar": "استقبال مغاربة العالم والخدمات القنصلية والعودة وإعادة الإدماج", "en": "Reception of Moroccans residing abroad, consular services, return and reintegration"}'),
  ('01930000-0000-7000-8000-00000000a009', '01930000-0000-7000-8000-00000000a000', 'investment_business',
   '{"fr": "Investissement et création d''entreprise", "ar": "الاستثمار وإحداث المقاولات", "en": "Investment and business creation"}',
   '{"fr": "Centres régionaux d''investissement, création d''entreprise, auto-entrepreneur", "ar": "المراكز الجهوية للاستثمار وإحداث المقاولات والمقاول الذاتي", "en": "Regional investment centres, business creation, self-employment"}');

-- ---- what a service offers: languages, schedules, documents, contacts ------

-- Exactly one owner per row (HSDS links these to several entities).
CREATE TABLE languages (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  service_id uuid REFERENCES services (id) ON DELETE CASCADE,
  location_id uuid REFERENCES locations (id) ON DELETE CASCADE,
  code text NOT NULL CHECK (code ~ '^[a-z]{2,3}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  note text CHECK (length(note) BETWEEN 1 AND 500),
  CHECK (num_nonnulls(service_id, location_id) = 1)
);
CREATE INDEX languages_service ON languages (service_id);
CREATE INDEX languages_location ON languages (location_id);

CREATE TABLE schedules (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  service_id uuid REFERENCES services (id) ON DELETE CASCADE,
  location_id uuid REFERENCES locations (id) ON DELETE CASCADE,
  service_at_location_id uuid REFERENCES service_at_location (id) ON DELETE CASCADE,
  freq text NOT NULL DEFAULT 'WEEKLY' CHECK (freq IN ('WEEKLY', 'MONTHLY')),
  byday text CHECK (byday ~ '^(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*$'),
  opens_at time,
  closes_at time,
  valid_from date,
  valid_to date,
  description jsonb CHECK (directory_i18n_ok(description, 500)),
  CHECK (num_nonnulls(service_id, location_id, service_at_location_id) = 1),
  CHECK (opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at),
  CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
);
CREATE INDEX schedules_service ON schedules (service_id);
CREATE INDEX schedules_location ON schedules (location_id);
CREATE INDEX schedules_sal ON schedules (service_at_location_id);

CREATE TABLE required_documents (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  service_id uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  document jsonb NOT NULL CHECK (directory_i18n_ok(document, 500)),
  uri text CHECK (uri ~ '^https?://[^\s]+$' AND length(uri) <= 500)
);
CREATE INDEX required_documents_service ON required_documents (service_id);

-- A contact is a desk or a function ("Accueil MRE"), not a named person:
-- the directory is public and holds no personal data.
CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
  service_id uuid REFERENCES services (id) ON DELETE CASCADE,
  service_at_location_id uuid REFERENCES service_at_location (id) ON DELETE CASCADE,
  location_id uuid REFERENCES locations (id) ON DELETE CASCADE,
  name text CHECK (length(name) BETWEEN 1 AND 200),
  title text CHECK (length(title) BETWEEN 1 AND 200),
  department text CHECK (length(department) BETWEEN 1 AND 200),
  email text CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
  CHECK (num_nonnulls(organization_id, service_id, service_at_location_id, location_id) = 1)
);
CREATE INDEX contacts_organization ON contacts (organization_id);
CREATE INDEX contacts_service ON contacts (service_id);
CREATE INDEX contacts_sal ON contacts (service_at_location_id);
CREATE INDEX contacts_location ON contacts (location_id);

CREATE TABLE phones (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
  service_id uuid REFERENCES services (id) ON DELETE CASCADE,
  service_at_location_id uuid REFERENCES service_at_location (id) ON DELETE CASCADE,
  location_id uuid REFERENCES locations (id) ON DELETE CASCADE,
  contact_id uuid REFERENCES contacts (id) ON DELETE CASCADE,
  number text NOT NULL CHECK (number ~ '^\+?[0-9][0-9 ().-]{3,30}$'),
  extension int CHECK (extension BETWEEN 0 AND 999999),
  type text CHECK (type IN ('text', 'voice', 'fax', 'cell', 'video', 'pager', 'textphone')),
  description jsonb CHECK (directory_i18n_ok(description, 500)),
  CHECK (num_nonnulls(organization_id, service_id, service_at_location_id, location_id, contact_id) = 1)
);
CREATE INDEX phones_organization ON phones (organization_id);
CREATE INDEX phones_service ON phones (service_id);
CREATE INDEX phones_sal ON phones (service_at_location_id);
CREATE INDEX phones_location ON phones (location_id);
CREATE INDEX phones_contact ON phones (contact_id);
