-- Accompaniment of people: training and certification of the agents and
-- mediators who do it, persons (identifying fields encrypted by the
-- service, never stored in clear), consents as records, cases with their
-- notes, referrals to the directory's services-at-location, mediations,
-- and the append-only audit of every read and write of a person or case.
--
-- Encrypted values are written by the C side (libsodium XChaCha20-Poly1305)
-- as text "enc1:<key id>:<base64 of nonce and ciphertext>", bound to the
-- row they belong to; the database holds no key. Name search goes through
-- person_name_tokens: keyed BLAKE2b digests (hex) of the normalised name
-- words, computed by the C side with a key of its own.

-- ---- training and certification -------------------------------------------

CREATE TABLE training_sessions (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  region text NOT NULL REFERENCES regions (code),
  commune text NOT NULL,
  module text NOT NULL CHECK (module IN ('reception_orientation', 'rights_and_procedures',
    'personal_data', 'mediation', 'directory_use')),
  held_on date NOT NULL,
  trainer text NOT NULL CHECK (length(trainer) BETWEEN 1 AND 200),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (commune, region) REFERENCES communes (code, region)
);
CREATE INDEX training_sessions_region ON training_sessions (region, id);

CREATE TABLE training_attendance (
  session_id uuid NOT NULL REFERENCES training_sessions (id),
  person_sub text NOT NULL CHECK (length(person_sub) BETWEEN 1 AND 64),
  role text NOT NULL CHECK (role IN ('municipal_agent', 'mediator')),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, person_sub)
);

-- A certification lets an agent or mediator of a region open and work
-- cases until it expires (or is revoked): checked at every write.
CREATE TABLE certifications (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  person_sub text NOT NULL CHECK (length(person_sub) BETWEEN 1 AND 64),
  role text NOT NULL CHECK (role IN ('municipal_agent', 'mediator')),
  region text NOT NULL REFERENCES regions (code),
  session_id uuid NOT NULL REFERENCES training_sessions (id),
  certified_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  certified_by text NOT NULL,
  CHECK (expires_at > certified_at)
);
CREATE INDEX certifications_sub ON certifications (person_sub, expires_at);

-- ---- persons --------------------------------------------------------------

CREATE TABLE persons (
  id uuid PRIMARY KEY,
  region text NOT NULL REFERENCES regions (code),
  commune text NOT NULL,
  -- what statistics need, kept in clear (also after erasure)
  sex text NOT NULL CHECK (sex IN ('female', 'male')),
  birth_year int CHECK (birth_year BETWEEN 1900 AND 2100),
  age_band text NOT NULL,
  beneficiary_type text NOT NULL CHECK (beneficiary_type IN ('mre', 'regularised_migrant', 'other_migrant')),
  languages text[] NOT NULL DEFAULT '{}',
  -- names, nationality and contact: one encrypted JSON object
  identity_enc text CHECK (identity_enc ~ '^enc1:[a-z0-9_-]{1,32}:[A-Za-z0-9+/=]+$'),
  registered_by text NOT NULL,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  erased_at timestamptz,
  CHECK ((erased_at IS NULL) = (identity_enc IS NOT NULL)),
  FOREIGN KEY (commune, region) REFERENCES communes (code, region)
);
CREATE INDEX persons_commune ON persons (region, commune, id);

CREATE TABLE person_name_tokens (
  person_id uuid NOT NULL REFERENCES persons (id),
  token text NOT NULL CHECK (token ~ '^[0-9a-f]{32}$'),
  PRIMARY KEY (person_id, token)
);
CREATE INDEX person_name_tokens_token ON person_name_tokens (token);

-- ---- consent ----------------------------------------------------------------

CREATE TABLE consents (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  person_id uuid NOT NULL REFERENCES persons (id),
  purpose text NOT NULL CHECK (purpose IN ('accompaniment', 'referral', 'statistics')),
  -- a referral consent names the directory service it allows sharing with
  service_id uuid REFERENCES services (id),
  given_to text NOT NULL CHECK (length(given_to) BETWEEN 1 AND 200),
  recorded_how text NOT NULL CHECK (recorded_how IN ('oral', 'written', 'electronic')),
  given_at timestamptz NOT NULL,
  recorded_by text NOT NULL,
  withdrawn_at timestamptz,
  withdrawn_by text,
  CHECK ((purpose = 'referral') = (service_id IS NOT NULL)),
  CHECK (withdrawn_at IS NULL OR withdrawn_at >= given_at)
);
CREATE INDEX consents_person ON consents (person_id, purpose);

-- ---- cases ------------------------------------------------------------------

CREATE TABLE cases (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  person_id uuid NOT NULL REFERENCES persons (id),
  region text NOT NULL REFERENCES regions (code),
  commune text NOT NULL,
  needs text[] NOT NULL CHECK (cardinality(needs) >= 1),
  vulnerabilities text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  close_reason text CHECK (close_reason IN ('person_left_region', 'person_declined', 'duplicate',
    'out_of_scope', 'unreachable', 'other')),
  assignee_sub text,
  assignee_role text CHECK (assignee_role IN ('municipal_agent', 'mediator', 'council_officer')),
  opened_by text NOT NULL,
  version int NOT NULL DEFAULT 1,
  opened_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  closed_at timestamptz,
  CHECK ((status = 'closed') = (close_reason IS NOT NULL)),
  CHECK ((assignee_sub IS NULL) = (assignee_role IS NULL)),
  FOREIGN KEY (commune, region) REFERENCES communes (code, region)
);
CREATE INDEX cases_commune ON cases (region, commune, id);
CREATE INDEX cases_assignee ON cases (assignee_sub, id);
CREATE INDEX cases_person ON cases (person_id);

CREATE TABLE case_notes (
  id uuid PRIMARY KEY,
  case_id uuid NOT NULL REFERENCES cases (id),
  body_enc text CHECK (body_enc ~ '^enc1:[a-z0-9_-]{1,32}:[A-Za-z0-9+/=]+$'),
  author_sub text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);

-- ---- referrals ----------------------------------------------------------------

CREATE TABLE referrals (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  case_id uuid NOT NULL REFERENCES cases (id),
  region text NOT NULL,
  commune text NOT NULL,
  service_at_location_id uuid NOT NULL REFERENCES service_at_location (id),
  service_id uuid NOT NULL REFERENCES services (id),
  need text NOT NULL,
  status text NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'sent', 'accepted', 'declined', 'completed', 'cancelled')),
  outcome text CHECK (outcome IN ('successful', 'unsuccessful')),
  outcome_reason text CHECK (outcome_reason IN ('person_refused', 'service_lacked_capacity',
    'person_unreachable', 'service_unreachable', 'need_disappeared', 'need_met')),
  follow_up_on date,
  created_by text NOT NULL,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  completed_at timestamptz,
  CHECK ((status = 'completed') = (outcome IS NOT NULL AND outcome_reason IS NOT NULL))
);
CREATE INDEX referrals_case ON referrals (case_id, id);
CREATE INDEX referrals_follow_up ON referrals (region, follow_up_on) WHERE status IN ('proposed', 'sent', 'accepted');

-- ---- mediations ------------------------------------------------------------------

CREATE TABLE mediations (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  case_id uuid NOT NULL REFERENCES cases (id),
  region text NOT NULL,
  commune text NOT NULL,
  administration text NOT NULL CHECK (administration IN ('commune', 'prefecture', 'consulate',
    'court', 'health_centre', 'school', 'social_security', 'employment_agency', 'police', 'other')),
  purpose text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
  accompanied_on date NOT NULL,
  outcome text CHECK (outcome IN ('resolved', 'partly_resolved', 'unresolved', 'postponed')),
  follow_up_on date,
  mediator_sub text NOT NULL,
  version int NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mediations_case ON mediations (case_id, id);

-- ---- audit ---------------------------------------------------------------------

-- Who read or wrote which person or case, when, how and why. Append-only:
-- the service's own role may insert and select, never change or remove
-- (privileges revoked, and triggers refuse it should they be granted
-- back).
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_sub text NOT NULL,
  actor_roles text[] NOT NULL,
  region text NOT NULL,
  commune text NOT NULL,
  subject_type text NOT NULL CHECK (subject_type IN ('person', 'case')),
  subject_id uuid NOT NULL,
  action text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
  purpose text NOT NULL CHECK (purpose ~ '^[a-z_]{1,40}$'),
  request_id text
);
CREATE INDEX audit_log_region ON audit_log (region, id);
CREATE INDEX audit_log_subject ON audit_log (subject_id, id);

CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'MP409';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
