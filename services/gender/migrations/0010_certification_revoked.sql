-- Certified agents by sex: cases.training.certified.v1 carries the
-- agent's sex since cases' 0008_trainee_sex (g_project_cases already
-- reads d->>'sex'; certifications published before it stay 'unknown',
-- outside the women/men shares). A revoked certification
-- (cases.training.certification_revoked.v1) no longer counts: its fact
-- is removed, and the region's figures are said to have changed. The
-- other cases and funding events go on as in 0008.
CREATE OR REPLACE FUNCTION gender_project(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t text := ev->>'type';
  d jsonb := ev->'data';
BEGIN
  IF t LIKE 'cases.%' THEN
    IF ev->>'time' IS NULL OR (ev->>'time') !~ '^\d{4}-\d{2}-\d{2}T'
       OR jsonb_typeof(d) IS DISTINCT FROM 'object' THEN
      RETURN 'rejected';
    END IF;
    IF t = 'cases.training.certification_revoked.v1' THEN
      IF NOT g_has(d, 'certification_id', 'region')
         OR d->>'region' NOT IN ('souss-massa', 'oriental') THEN
        RETURN 'rejected';
      END IF;
      DELETE FROM facts WHERE kind = 'agent_certified' AND subject = d->>'certification_id';
      IF NOT FOUND THEN
        RETURN 'ignored'; -- certified before the streams kept it
      END IF;
      PERFORM g_indicator_changed(d->>'region', (ev->>'time')::timestamptz,
        ARRAY['agent_certified'], ev->>'requestid');
      RETURN 'applied';
    END IF;
    IF t NOT IN ('cases.person.registered.v1', 'cases.case.opened.v1', 'cases.referral.proposed.v1',
                 'cases.referral.completed.v1', 'cases.training.certified.v1') THEN
      RETURN CASE WHEN t ~ '^cases(\.[a-z_]+)+\.v[0-9]+$' THEN 'ignored' ELSE 'rejected' END;
    END IF;
    RETURN g_project_cases(ev);
  END IF;
  RETURN g_project_funding(ev);
END $$;
