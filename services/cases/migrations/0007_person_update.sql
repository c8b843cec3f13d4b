-- Updating a person: contact, languages, birth year, nationality and
-- names. Identifying fields arrive sealed from the C side (which opened
-- the current identity of the version it loaded, merged the change and
-- sealed again) with the name's new blind-index tokens; sex and
-- beneficiary type, which the published statistics count, are not
-- changed here.

-- Facts of an update: those of any work on the person, its sealed
-- identity and the version it was loaded at.
CREATE FUNCTION cases_person_update_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x persons;
BEGIN
  x := c_person_for(p, a->>'id');
  RETURN (cases_person_work_facts(p, a, b)::jsonb
    || jsonb_build_object('identity_enc', x.identity_enc, 'version', x.version))::json;
END $$;

-- d = {"version", "identity_enc"?, "name_tokens"?}: the identity (when the
-- body changed one of its fields) sealed from the loaded version.
CREATE FUNCTION cases_person_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x persons;
BEGIN
  x := c_person_for(p, a->>'id', true);
  IF NOT (mp_has_role(p, 'municipal_agent') OR mp_has_role(p, 'mediator')) THEN
    PERFORM mp_raise('MP403', 'agents and mediators update persons');
  END IF;
  PERFORM c_require_certified(p);
  IF x.erased_at IS NOT NULL THEN PERFORM mp_raise('MP409', 'the person''s data was erased'); END IF;
  PERFORM mp_if_match(a, x.version);
  IF x.version <> (d->>'version')::int THEN
    PERFORM mp_raise('MP412', 'the resource changed since you read it',
      jsonb_build_object('current_etag', format('"v%s"', x.version)));
  END IF;
  PERFORM c_require_consent(x.id, 'accompaniment');
  UPDATE persons SET
    identity_enc = coalesce(d->>'identity_enc', identity_enc),
    languages = CASE WHEN b ? 'languages' THEN array(SELECT jsonb_array_elements_text(b->'languages')) ELSE languages END,
    birth_year = CASE WHEN b ? 'birth_year' THEN (b->>'birth_year')::int ELSE birth_year END,
    age_band = CASE WHEN b ? 'birth_year' THEN c_age_band((b->>'birth_year')::int) ELSE age_band END,
    version = version + 1, updated_at = now()
  WHERE id = x.id RETURNING * INTO x;
  IF d ? 'name_tokens' THEN
    DELETE FROM person_name_tokens WHERE person_id = x.id;
    INSERT INTO person_name_tokens (person_id, token)
    SELECT DISTINCT x.id, t FROM jsonb_array_elements_text(d->'name_tokens') t;
  END IF;
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'update', 'accompaniment', rid);
  PERFORM mp_emit('cases.person.updated.v1', NULL, c_person_stats(x), rid);
  RETURN c_person_json(x);
END $$;
