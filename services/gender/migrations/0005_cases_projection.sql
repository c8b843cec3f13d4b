-- The cases service's events in the projection: people accompanied
-- (cases.person.registered.v1, anonymous by design: the fact's subject is
-- the event id), completed referrals, certified agents, and the days from
-- a case's opening to its first referral. The funding rules of 0002 stay
-- as they are, renamed; gender_project dispatches on the producer.

ALTER FUNCTION gender_project(jsonb) RENAME TO g_project_funding;

-- When each case opened, for the time to its first referral (only what
-- the statistics need: no person).
CREATE TABLE case_starts (
  case_id text PRIMARY KEY,
  opened_at timestamptz NOT NULL
);

-- Replays start from nothing: the reset forgets the case starts too.
CREATE OR REPLACE FUNCTION gender_projection_reset() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE facts IN ACCESS EXCLUSIVE MODE;
  DELETE FROM facts;
  DELETE FROM case_starts;
  DELETE FROM inbox WHERE source IN ('urn:mp:funding', 'urn:mp:cases');
  UPDATE projection_state SET generation = generation + 1, rebuilt_at = now(),
    events_applied = 0 WHERE id = 1;
END $$;

CREATE FUNCTION g_project_cases(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t text := ev->>'type';
  d jsonb := ev->'data';
  k text;
  opened timestamptz;
BEGIN
  IF t IN ('cases.person.registered.v1', 'cases.case.opened.v1', 'cases.referral.proposed.v1',
           'cases.referral.completed.v1')
     AND (NOT g_has(d, 'region', 'commune', 'sex', 'age_band', 'beneficiary_type')
          OR d->>'region' NOT IN ('souss-massa', 'oriental')
          OR d->>'sex' NOT IN ('female', 'male')) THEN
    RETURN 'rejected';
  END IF;
  CASE t
  WHEN 'cases.person.registered.v1' THEN
    k := 'person_accompanied';
    PERFORM g_fact(k, ev->>'id', d, ev, d->>'sex', d->>'age_band', d->>'beneficiary_type',
      NULL, 0, NULL);
  WHEN 'cases.case.opened.v1' THEN
    IF NOT g_has(d, 'case_id') THEN RETURN 'rejected'; END IF;
    INSERT INTO case_starts (case_id, opened_at) VALUES (d->>'case_id', (ev->>'time')::timestamptz)
    ON CONFLICT (case_id) DO NOTHING;
    RETURN 'ignored';
  WHEN 'cases.referral.proposed.v1' THEN
    IF NOT g_has(d, 'case_id', 'referral_id') THEN RETURN 'rejected'; END IF;
    SELECT opened_at INTO opened FROM case_starts WHERE case_id = d->>'case_id';
    IF NOT FOUND OR EXISTS (SELECT 1 FROM facts WHERE kind = 'first_referral'
                            AND subject = d->>'case_id') THEN
      RETURN 'ignored'; -- not the first, or a case opened before the streams kept
    END IF;
    k := 'first_referral';
    PERFORM g_fact(k, d->>'case_id', d, ev, d->>'sex', d->>'age_band', d->>'beneficiary_type',
      NULL, 0, greatest(0, ((ev->>'time')::timestamptz::date - opened::date)));
  WHEN 'cases.referral.completed.v1' THEN
    IF NOT g_has(d, 'referral_id') THEN RETURN 'rejected'; END IF;
    k := 'referral_completed';
    PERFORM g_fact(k, d->>'referral_id', d, ev, d->>'sex', d->>'age_band', d->>'beneficiary_type',
      NULL, 0, NULL);
  WHEN 'cases.training.certified.v1' THEN
    -- the event carries no sex (cases' TrainingCertifiedData): counted,
    -- but outside women/men shares until it does
    IF NOT g_has(d, 'certification_id', 'region', 'commune')
       OR d->>'region' NOT IN ('souss-massa', 'oriental') THEN
      RETURN 'rejected';
    END IF;
    k := 'agent_certified';
    PERFORM g_fact(k, d->>'certification_id', d, ev, d->>'sex', NULL, d->>'role', NULL, 0, NULL);
  ELSE
    IF t !~ '^cases\.[a-z_]+\.[a-z_]+\.v[0-9]+$' THEN RETURN 'rejected'; END IF;
    RETURN 'ignored';
  END CASE;
  UPDATE projection_state SET events_applied = events_applied + 1 WHERE id = 1;
  PERFORM mp_emit('gender.indicator.updated.v1', d->>'region',
    jsonb_build_object('region', d->>'region', 'period', to_char((ev->>'time')::timestamptz, 'YYYYMM'),
      'indicators', (SELECT coalesce(jsonb_agg(i.code ORDER BY i.position), '[]')
                     FROM indicators i WHERE i.kind = k)),
    ev->>'requestid');
  RETURN 'applied';
END $$;

CREATE FUNCTION gender_project(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF ev->>'type' LIKE 'cases.%' THEN
    IF ev->>'time' IS NULL OR (ev->>'time') !~ '^\d{4}-\d{2}-\d{2}T'
       OR jsonb_typeof(ev->'data') IS DISTINCT FROM 'object' THEN
      RETURN 'rejected';
    END IF;
    RETURN g_project_cases(ev);
  END IF;
  RETURN g_project_funding(ev);
END $$;
