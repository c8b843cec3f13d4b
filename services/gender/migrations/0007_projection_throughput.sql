-- Throughput of the projection (bench/results/gender.txt): every event
-- updated the one row of projection_state, which serialised the consumer
-- threads of all workers (each held the row lock through its commit), and
-- wrote its own gender.indicator.updated.v1. Now the count of events is
-- read from the inbox when asked, and an event of a region and month for
-- which an invalidation is still waiting in the outbox adds none (the
-- cache drops the region's figures once either way). The projection rules
-- are unchanged; their functions are restated here because a migration
-- cannot edit 0002's and 0005's.

-- Say that figures of `region` for the month of `t` changed, unless that
-- is already waiting to be published.
CREATE FUNCTION g_indicator_changed(region text, t timestamptz, kinds text[], rid text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE period text := to_char(t, 'YYYYMM');
BEGIN
  IF EXISTS (SELECT 1 FROM outbox o WHERE o.sent_at IS NULL
             AND o.type = 'gender.indicator.updated.v1' AND o.subject = region
             AND o.data->>'period' = period) THEN
    RETURN;
  END IF;
  PERFORM mp_emit('gender.indicator.updated.v1', region,
    jsonb_build_object('region', region, 'period', period,
      'indicators', (SELECT coalesce(jsonb_agg(i.code ORDER BY i.position), '[]')
                     FROM indicators i WHERE i.kind = ANY (kinds))), rid);
END $$;

CREATE OR REPLACE FUNCTION g_project_funding(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t text := ev->>'type';
  d jsonb := ev->'data';
  app text;
  kinds text[] := '{}';
BEGIN
  IF t IS NULL OR jsonb_typeof(d) <> 'object' OR ev->>'time' IS NULL
     OR (ev->>'time') !~ '^\d{4}-\d{2}-\d{2}T' THEN
    RETURN 'rejected';
  END IF;
  IF t IN ('funding.application.submitted.v1', 'funding.application.decided.v1',
           'funding.tranche.released.v1')
     AND (NOT g_has(d, 'application_id', 'region', 'commune', 'holder_sex', 'applicant_type')
          OR d->>'region' NOT IN ('souss-massa', 'oriental')) THEN
    RETURN 'rejected';
  END IF;
  app := d->>'application_id';
  CASE t
  WHEN 'funding.application.submitted.v1' THEN
    PERFORM g_fact('application_submitted', app, d, ev, d->>'holder_sex', d->>'holder_age_band',
      d->>'applicant_type', (d->>'gender_marker')::int, (d->>'requested_minor')::bigint, NULL);
    kinds := ARRAY['application_submitted'];
  WHEN 'funding.application.decided.v1' THEN
    IF NOT g_has(d, 'decision', 'committed_minor') THEN RETURN 'rejected'; END IF;
    IF d->>'decision' = 'selected' THEN
      PERFORM g_fact('application_selected', app, d, ev, d->>'holder_sex', d->>'holder_age_band',
        d->>'applicant_type', (d->>'gender_marker')::int, (d->>'committed_minor')::bigint, NULL);
    ELSE
      DELETE FROM facts WHERE kind = 'application_selected' AND subject = app;
    END IF;
    kinds := ARRAY['application_selected'];
  WHEN 'funding.tranche.released.v1' THEN
    IF NOT g_has(d, 'tranche_id', 'amount_minor') THEN RETURN 'rejected'; END IF;
    PERFORM g_fact('tranche_released', d->>'tranche_id', d, ev, d->>'holder_sex', NULL,
      d->>'applicant_type', NULL, (d->>'amount_minor')::bigint, NULL);
    kinds := ARRAY['tranche_released'];
  ELSE
    -- funding's other types are known and change no indicator
    IF t !~ '^funding\.(envelope|call|application|appraisal|erc|agreement|report|visit|evaluation)\.[a-z_]+\.v1$'
       AND t !~ '^cases\.[a-z_]+\.[a-z_]+\.v[0-9]+$' THEN
      RETURN 'rejected';
    END IF;
    RETURN 'ignored';
  END CASE;
  PERFORM g_indicator_changed(d->>'region', (ev->>'time')::timestamptz, kinds, ev->>'requestid');
  RETURN 'applied';
END $$;

CREATE OR REPLACE FUNCTION g_project_cases(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
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
  PERFORM g_indicator_changed(d->>'region', (ev->>'time')::timestamptz, ARRAY[k], ev->>'requestid');
  RETURN 'applied';
END $$;

CREATE OR REPLACE FUNCTION gender_projection_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text)
RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('generation', s.generation, 'rebuilt_at', s.rebuilt_at,
    'events_applied', (SELECT count(*) FROM inbox WHERE source IN ('urn:mp:funding', 'urn:mp:cases')),
    'facts', (SELECT coalesce(json_object_agg(kind, n), '{}') FROM
      (SELECT kind, count(*) n FROM facts GROUP BY kind) c))
  FROM projection_state s
$$;
