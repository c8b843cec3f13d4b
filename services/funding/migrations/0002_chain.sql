-- The funding chain's tables: reference lists, envelopes and their ledger,
-- calls, applications, appraisals, the ERC, agreements, tranches,
-- monitoring and evaluation. Business functions live in 0003_api.sql.
--
-- Every state column holds a state of the transition tables of
-- services/funding/src/domain_transitions.c (the C side decides which
-- change is legal; the functions apply it conditionally on the state they
-- were shown, so two concurrent changes cannot both win).

CREATE TABLE themes (
  code text PRIMARY KEY,
  name jsonb NOT NULL
);
INSERT INTO themes (code, name) VALUES
  ('local_development', '{"fr": "Développement local", "ar": "التنمية المحلية", "en": "Local development"}'),
  ('economic', '{"fr": "Développement économique", "ar": "التنمية الاقتصادية", "en": "Economic development"}'),
  ('social_solidarity_economy', '{"fr": "Économie sociale et solidaire", "ar": "الاقتصاد الاجتماعي والتضامني", "en": "Social and solidarity economy"}'),
  ('integration', '{"fr": "Intégration et vivre-ensemble", "ar": "الإدماج والعيش المشترك", "en": "Integration and living together"}');

CREATE TABLE applicant_types (
  code text PRIMARY KEY,
  name jsonb NOT NULL
);
INSERT INTO applicant_types (code, name) VALUES
  ('mre', '{"fr": "Marocain résidant à l''étranger", "ar": "مغربي مقيم بالخارج", "en": "Moroccan residing abroad"}'),
  ('regularised_migrant', '{"fr": "Migrant régularisé", "ar": "مهاجر في وضعية قانونية", "en": "Regularised migrant"}'),
  ('association', '{"fr": "Association", "ar": "جمعية", "en": "Association"}'),
  ('cooperative', '{"fr": "Coopérative", "ar": "تعاونية", "en": "Cooperative"}'),
  ('commune', '{"fr": "Commune", "ar": "جماعة", "en": "Commune"}');

CREATE TABLE communes (
  code text PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,64}$'),
  province text NOT NULL REFERENCES provinces (code),
  name jsonb NOT NULL
);
INSERT INTO communes (code, province, name) VALUES
  ('agadir', 'agadir-ida-ou-tanane', '{"fr": "Agadir", "ar": "أكادير"}'),
  ('aourir', 'agadir-ida-ou-tanane', '{"fr": "Aourir", "ar": "أورير"}'),
  ('inezgane', 'inezgane-ait-melloul', '{"fr": "Inezgane", "ar": "إنزكان"}'),
  ('ait-melloul', 'inezgane-ait-melloul', '{"fr": "Aït Melloul", "ar": "أيت ملول"}'),
  ('biougra', 'chtouka-ait-baha', '{"fr": "Biougra", "ar": "بيوكرى"}'),
  ('taroudant', 'taroudant', '{"fr": "Taroudant", "ar": "تارودانت"}'),
  ('tiznit', 'tiznit', '{"fr": "Tiznit", "ar": "تيزنيت"}'),
  ('tata', 'tata', '{"fr": "Tata", "ar": "طاطا"}'),
  ('oujda', 'oujda-angad', '{"fr": "Oujda", "ar": "وجدة"}'),
  ('bni-drar', 'oujda-angad', '{"fr": "Bni Drar", "ar": "بني درار"}'),
  ('berkane', 'berkane', '{"fr": "Berkane", "ar": "بركان"}'),
  ('nador', 'nador', '{"fr": "Nador", "ar": "الناظور"}'),
  ('driouch', 'driouch', '{"fr": "Driouch", "ar": "الدريوش"}'),
  ('taourirt', 'taourirt', '{"fr": "Taourirt", "ar": "تاوريرت"}'),
  ('jerada', 'jerada', '{"fr": "Jerada", "ar": "جرادة"}'),
  ('guercif', 'guercif', '{"fr": "Guercif", "ar": "جرسيف"}'),
  ('figuig', 'figuig', '{"fr": "Figuig", "ar": "فجيج"}');

-- One envelope per region and year. The CHECK is the invariant of
-- services/funding/src/domain_ledger.c; the functions refuse with 409
-- before it would fire, the CHECK is the last line.
CREATE TABLE envelopes (
  region text NOT NULL REFERENCES regions (code),
  year int NOT NULL CHECK (year BETWEEN 2020 AND 2100),
  currency text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
  allocated_minor bigint NOT NULL CHECK (allocated_minor >= 0),
  committed_minor bigint NOT NULL DEFAULT 0,
  disbursed_minor bigint NOT NULL DEFAULT 0,
  version int NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (region, year),
  CONSTRAINT envelope_ledger CHECK (0 <= disbursed_minor
    AND disbursed_minor <= committed_minor
    AND committed_minor <= allocated_minor)
);

CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  region text NOT NULL,
  year int NOT NULL,
  kind text NOT NULL CHECK (kind IN ('allocation', 'commitment', 'disbursement', 'release')),
  amount_minor bigint NOT NULL,
  application_id uuid,
  tranche_id uuid,
  actor text NOT NULL,
  request_id text,
  at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (region, year) REFERENCES envelopes (region, year)
);
CREATE INDEX ledger_entries_envelope ON ledger_entries (region, year, id);

CREATE TABLE calls (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  region text NOT NULL REFERENCES regions (code),
  year int NOT NULL CHECK (year BETWEEN 2020 AND 2100),
  title jsonb NOT NULL,
  description jsonb NOT NULL,
  themes text[] NOT NULL CHECK (cardinality(themes) >= 1),
  applicant_types text[] NOT NULL CHECK (cardinality(applicant_types) >= 1),
  budget_minor bigint NOT NULL CHECK (budget_minor > 0),
  currency text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
  max_grant_minor bigint NOT NULL CHECK (max_grant_minor > 0),
  min_cofinancing_bp int NOT NULL CHECK (min_cofinancing_bp BETWEEN 0 AND 10000),
  opens_at timestamptz NOT NULL,
  closes_at timestamptz NOT NULL,
  eligibility_rules jsonb NOT NULL DEFAULT '{}',
  scoring_grid jsonb NOT NULL,
  status text NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'published', 'closed', 'decided', 'archived')),
  version int NOT NULL DEFAULT 1,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  CHECK (closes_at > opens_at)
);
CREATE INDEX calls_region_status ON calls (region, status, id);

CREATE TABLE applications (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  call_id uuid NOT NULL REFERENCES calls (id),
  region text NOT NULL REFERENCES regions (code),
  owner_sub text NOT NULL,
  -- personal data of the holder: never in events, logs or caches
  applicant jsonb NOT NULL,
  applicant_type text NOT NULL REFERENCES applicant_types (code),
  holder_sex text NOT NULL CHECK (holder_sex IN ('female', 'male', 'not_applicable')),
  holder_age_band text CHECK (holder_age_band IN ('18-24', '25-34', '35-49', '50-64', '65+')),
  country_of_residence text CHECK (country_of_residence ~ '^[A-Z]{2}$'),
  title jsonb NOT NULL,
  summary jsonb NOT NULL,
  commune text NOT NULL REFERENCES communes (code),
  theme text NOT NULL REFERENCES themes (code),
  budget_lines jsonb NOT NULL,
  total_budget_minor bigint NOT NULL CHECK (total_budget_minor > 0),
  requested_minor bigint NOT NULL CHECK (requested_minor > 0),
  cofinancing_minor bigint NOT NULL CHECK (cofinancing_minor >= 0),
  beneficiaries jsonb NOT NULL,
  beneficiaries_female int NOT NULL CHECK (beneficiaries_female >= 0),
  beneficiaries_male int NOT NULL CHECK (beneficiaries_male >= 0),
  gender_marker int NOT NULL CHECK (gender_marker BETWEEN 0 AND 2),
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted',
    'eligible', 'ineligible', 'under_appraisal', 'appraised', 'shortlisted',
    'selected', 'rejected', 'waitlisted', 'agreement_signed', 'in_progress',
    'completed', 'terminated', 'withdrawn')),
  failed_rules jsonb,
  score_bp int CHECK (score_bp BETWEEN 0 AND 10000),
  committed_minor bigint NOT NULL DEFAULT 0,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  decided_at timestamptz
);
CREATE INDEX applications_call ON applications (call_id, id);
CREATE INDEX applications_owner ON applications (owner_sub, id);
CREATE INDEX applications_region_status ON applications (region, status);

CREATE TABLE appraisals (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  application_id uuid NOT NULL REFERENCES applications (id),
  region text NOT NULL,
  appraiser_sub text NOT NULL,
  assigned_by text NOT NULL,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  conflict boolean,               -- NULL until declared
  declaration text,
  declared_at timestamptz,
  scores jsonb,
  result_bp int CHECK (result_bp BETWEEN 0 AND 10000),
  comments text,
  recommendation text CHECK (recommendation IN ('fund', 'fund_with_changes', 'do_not_fund')),
  submitted_at timestamptz,
  UNIQUE (application_id, appraiser_sub)
);
CREATE INDEX appraisals_appraiser ON appraisals (appraiser_sub, id);

CREATE TABLE erc_members (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  region text NOT NULL REFERENCES regions (code),
  user_sub text NOT NULL,
  name text NOT NULL,
  college text NOT NULL CHECK (college IN ('local_authority', 'state_service', 'civil_society')),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (region, user_sub)
);

CREATE TABLE erc_sessions (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  region text NOT NULL REFERENCES regions (code),
  call_id uuid REFERENCES calls (id),
  scheduled_at timestamptz NOT NULL,
  quorum_bp int NOT NULL DEFAULT 5000 CHECK (quorum_bp BETWEEN 1 AND 10000),
  status text NOT NULL DEFAULT 'convened' CHECK (status IN ('convened', 'open', 'closed')),
  quorum jsonb,
  minutes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  opened_at timestamptz,
  closed_at timestamptz
);

CREATE TABLE erc_agenda (
  session_id uuid NOT NULL REFERENCES erc_sessions (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  position int NOT NULL,
  decision text CHECK (decision IN ('selected', 'rejected', 'waitlisted')),
  tally jsonb,
  minutes text,
  decided_at timestamptz,
  PRIMARY KEY (session_id, application_id)
);

CREATE TABLE erc_attendance (
  session_id uuid NOT NULL REFERENCES erc_sessions (id),
  member_id uuid NOT NULL REFERENCES erc_members (id),
  PRIMARY KEY (session_id, member_id)
);

CREATE TABLE erc_conflicts (
  session_id uuid NOT NULL REFERENCES erc_sessions (id),
  member_id uuid NOT NULL REFERENCES erc_members (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  statement text,
  declared_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, member_id, application_id)
);

CREATE TABLE erc_votes (
  session_id uuid NOT NULL REFERENCES erc_sessions (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  member_id uuid NOT NULL REFERENCES erc_members (id),
  choice text NOT NULL CHECK (choice IN ('for', 'against', 'abstain')),
  cast_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, application_id, member_id)
);

CREATE TABLE agreements (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  application_id uuid NOT NULL UNIQUE REFERENCES applications (id),
  region text NOT NULL,
  year int NOT NULL,
  approved_minor bigint NOT NULL CHECK (approved_minor > 0),
  currency text NOT NULL,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed', 'active', 'closed', 'terminated')),
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  signed_at timestamptz
);

CREATE TABLE tranches (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  agreement_id uuid NOT NULL REFERENCES agreements (id),
  seq int NOT NULL CHECK (seq >= 1),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  condition text NOT NULL,
  status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'releasable', 'released')),
  released_at timestamptz,
  UNIQUE (agreement_id, seq)
);

CREATE TABLE reports (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  agreement_id uuid NOT NULL REFERENCES agreements (id),
  milestone text NOT NULL CHECK (milestone ~ '^[a-z0-9_-]{1,64}$'),
  period_end date NOT NULL,
  indicators jsonb NOT NULL,
  narrative text NOT NULL,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'approved', 'changes_requested')),
  review_comment text,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  reviewed_at timestamptz,
  UNIQUE (agreement_id, milestone)
);

CREATE TABLE site_visits (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  agreement_id uuid NOT NULL REFERENCES agreements (id),
  visited_on date NOT NULL,
  findings text NOT NULL,
  visited_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE evaluations (
  agreement_id uuid PRIMARY KEY REFERENCES agreements (id),
  ratings jsonb NOT NULL,
  texts jsonb NOT NULL,
  summary text NOT NULL,
  evaluated_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
