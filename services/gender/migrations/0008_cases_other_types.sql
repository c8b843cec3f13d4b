-- The cases events gender does not project are ignored whatever the depth
-- of their name: 0005 recognised <service>.<entity>.<verb>.v<n> only and
-- sent cases.directory.organization.created.v1 and its kin to the
-- dead-letter stream.
CREATE OR REPLACE FUNCTION gender_project(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t text := ev->>'type';
BEGIN
  IF t LIKE 'cases.%' THEN
    IF ev->>'time' IS NULL OR (ev->>'time') !~ '^\d{4}-\d{2}-\d{2}T'
       OR jsonb_typeof(ev->'data') IS DISTINCT FROM 'object' THEN
      RETURN 'rejected';
    END IF;
    IF t NOT IN ('cases.person.registered.v1', 'cases.case.opened.v1', 'cases.referral.proposed.v1',
                 'cases.referral.completed.v1', 'cases.training.certified.v1') THEN
      RETURN CASE WHEN t ~ '^cases(\.[a-z_]+)+\.v[0-9]+$' THEN 'ignored' ELSE 'rejected' END;
    END IF;
    RETURN g_project_cases(ev);
  END IF;
  RETURN g_project_funding(ev);
END $$;
