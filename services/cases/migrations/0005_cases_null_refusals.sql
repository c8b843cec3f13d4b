-- Two refusals that a NULL let through (pgTAP's 02_casework.sql found the
-- first): an officer not assigned to a case could add a note to a case
-- nobody is assigned to (assignee NULL made the officer test NULL, so the
-- worker check was skipped); an agent whose principal carried no commune
-- was not held to their commune when registering a person (tokens of
-- agents always carry one: defence in depth).

CREATE OR REPLACE FUNCTION cases_case_note_add(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  k cases;
  n case_notes;
BEGIN
  k := c_case_for(p, a->>'id', true);
  IF NOT coalesce(c_officer_of(p, k.region) AND k.assignee_sub = p->>'sub', false) THEN
    PERFORM c_require_worker(p, k);
  END IF;
  IF k.status = 'closed' THEN PERFORM mp_raise('MP409', 'a closed case takes no note; reopen it first'); END IF;
  PERFORM c_require_consent(k.person_id, 'accompaniment');
  INSERT INTO case_notes (id, case_id, body_enc, author_sub)
  VALUES ((d->>'id')::uuid, k.id, d->>'body_enc', p->>'sub') RETURNING * INTO n;
  UPDATE cases SET updated_at = now() WHERE id = k.id;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'note', 'accompaniment', rid);
  PERFORM mp_emit('cases.case.note_added.v1', k.id::text,
    jsonb_build_object('case_id', k.id, 'region', k.region, 'commune', k.commune), rid);
  RETURN c_note_json(n);
END $$;

CREATE OR REPLACE FUNCTION cases_person_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x persons;
  commune text := coalesce(b->>'commune', nullif(p->>'commune', ''));
BEGIN
  IF NOT (mp_has_role(p, 'municipal_agent') OR mp_has_role(p, 'mediator')) THEN
    PERFORM mp_raise('MP403', 'agents and mediators register persons');
  END IF;
  PERFORM c_require_certified(p);
  IF commune IS NULL THEN PERFORM mp_field_error('commune', 'required for a mediator'); END IF;
  IF NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = commune AND c.region = p->>'region') THEN
    PERFORM mp_field_error('commune', 'not a commune of your region');
  END IF;
  IF mp_has_role(p, 'municipal_agent') AND NOT mp_has_role(p, 'mediator') AND commune IS DISTINCT FROM p->>'commune' THEN
    PERFORM mp_field_error('commune', 'an agent registers persons of their own commune');
  END IF;
  INSERT INTO persons (id, region, commune, sex, birth_year, age_band, beneficiary_type, languages,
    identity_enc, registered_by)
  VALUES ((d->>'id')::uuid, p->>'region', commune, b->>'sex', (b->>'birth_year')::int,
    c_age_band((b->>'birth_year')::int), b->>'beneficiary_type',
    coalesce(array(SELECT jsonb_array_elements_text(b->'languages')), '{}'), d->>'identity_enc', p->>'sub')
  RETURNING * INTO x;
  INSERT INTO person_name_tokens (person_id, token)
  SELECT DISTINCT x.id, t FROM jsonb_array_elements_text(d->'name_tokens') t;
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'register', 'accompaniment', rid);
  PERFORM mp_emit('cases.person.registered.v1', NULL, c_person_stats(x), rid);
  RETURN c_person_json(x);
END $$;
