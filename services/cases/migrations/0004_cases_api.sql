-- The cases service's business functions: one per route, called by the
-- route runner (lib/include/mp/run.h: p = principal, a = args, b = body,
-- d = the C side's decision, rid = request id). Each runs as one
-- transaction, re-checks what the C side decided on (certification,
-- consent, state, version) under its row locks, records its reads and
-- writes of persons and cases in audit_log, and writes its event to the
-- outbox (no personal data: region, commune, sex, age band, beneficiary
-- type, needs, outcomes). Whatever the principal may not see is 404.

-- ---- helpers ------------------------------------------------------------------

CREATE FUNCTION c_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT (extract(epoch FROM t) * 1000)::bigint
$$;

CREATE FUNCTION c_roles(p jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(array(SELECT jsonb_array_elements_text(p->'roles')), '{}')
$$;

CREATE FUNCTION c_admin(p jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT mp_has_role(p, 'admin')
$$;

-- A municipal agent of `commune` in `region`.
CREATE FUNCTION c_agent_of(p jsonb, region text, commune text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(mp_has_role(p, 'municipal_agent') AND p->>'region' = region AND p->>'commune' = commune, false)
$$;

-- A council officer of `region`, or an admin; never NULL (a claim missing
-- from the principal is a denial, not an unknown).
CREATE FUNCTION c_officer_of(p jsonb, region text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(mp_officer_of(p, region), false)
$$;

-- The five-year band of statistics ('unknown' without a birth year).
CREATE FUNCTION c_age_band(birth_year int) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN birth_year IS NULL THEN 'unknown'
    ELSE CASE WHEN age < 18 THEN '0-17' WHEN age < 25 THEN '18-24' WHEN age < 35 THEN '25-34'
      WHEN age < 50 THEN '35-49' WHEN age < 65 THEN '50-64' ELSE '65+' END END
  FROM (SELECT extract(year FROM now())::int - birth_year AS age) s
$$;

-- Until when the principal may do case work: its latest certification for
-- a role it holds, in its region, not revoked (NULL: never certified).
CREATE FUNCTION c_certified_until(p jsonb) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT max(c.expires_at) FROM certifications c
  WHERE c.person_sub = p->>'sub' AND c.region = p->>'region' AND c.revoked_at IS NULL
    AND mp_has_role(p, c.role)
$$;

CREATE FUNCTION c_require_certified(p jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(c_certified_until(p) <= now(), true) THEN
    PERFORM mp_raise('MP403', 'only a currently certified agent or mediator may do case work',
      jsonb_build_object('type', 'urn:mp:problem:not-certified'));
  END IF;
END $$;

-- A current consent of `person` for `purpose` (and, for a referral, for
-- the named directory service).
CREATE FUNCTION c_consent_current(person uuid, purpose text, service uuid DEFAULT NULL) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM consents c WHERE c.person_id = person AND c.purpose = c_consent_current.purpose
    AND c.withdrawn_at IS NULL AND c.given_at <= now()
    AND (c_consent_current.purpose <> 'referral' OR c.service_id = service))
$$;

-- The consents as the C side's consent rules read them.
CREATE FUNCTION c_consent_facts(person uuid) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT coalesce(json_agg(json_build_object('purpose', c.purpose, 'service_id', c.service_id,
    'withdrawn', c.withdrawn_at IS NOT NULL) ORDER BY c.id), '[]')
  FROM consents c WHERE c.person_id = person
$$;

-- Who sees a case: admins; the region's officers; the agents of its
-- commune; the mediator it is assigned to.
CREATE FUNCTION c_case_visible(p jsonb, k cases) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(c_admin(p) OR c_officer_of(p, k.region) OR c_agent_of(p, k.region, k.commune)
    OR (mp_has_role(p, 'mediator') AND p->>'region' = k.region AND k.assignee_sub = p->>'sub'), false)
$$;

-- Who works a case (writes it): a certified agent of its commune or the
-- certified mediator it is assigned to (certification checked apart).
CREATE FUNCTION c_case_worker(p jsonb, k cases) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(c_agent_of(p, k.region, k.commune)
    OR (mp_has_role(p, 'mediator') AND p->>'region' = k.region AND k.assignee_sub = p->>'sub'), false)
$$;

-- Who sees a person: as for their cases, and the agents of the commune
-- where they were registered.
CREATE FUNCTION c_person_visible(p jsonb, x persons) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(c_admin(p) OR c_officer_of(p, x.region) OR c_agent_of(p, x.region, x.commune)
    OR (mp_has_role(p, 'mediator') AND EXISTS (SELECT 1 FROM cases k WHERE k.person_id = x.id
      AND k.region = p->>'region' AND k.assignee_sub = p->>'sub')), false)
$$;

CREATE FUNCTION c_person_for(p jsonb, id text, lock boolean DEFAULT false) RETURNS persons
LANGUAGE plpgsql AS $$
DECLARE x persons;
BEGIN
  IF id IS NULL OR id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM mp_not_found();
  END IF;
  IF lock THEN
    SELECT * INTO x FROM persons WHERE persons.id = c_person_for.id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO x FROM persons WHERE persons.id = c_person_for.id::uuid;
  END IF;
  IF NOT FOUND OR NOT c_person_visible(p, x) THEN PERFORM mp_not_found(); END IF;
  RETURN x;
END $$;

CREATE FUNCTION c_case_for(p jsonb, id text, lock boolean DEFAULT false) RETURNS cases
LANGUAGE plpgsql AS $$
DECLARE k cases;
BEGIN
  IF id IS NULL OR id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM mp_not_found();
  END IF;
  IF lock THEN
    SELECT * INTO k FROM cases WHERE cases.id = c_case_for.id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO k FROM cases WHERE cases.id = c_case_for.id::uuid;
  END IF;
  IF NOT FOUND OR NOT c_case_visible(p, k) THEN PERFORM mp_not_found(); END IF;
  RETURN k;
END $$;

-- The case's worker, currently certified (403 otherwise).
CREATE FUNCTION c_require_worker(p jsonb, k cases) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT c_case_worker(p, k) THEN
    PERFORM mp_raise('MP403', 'only an agent of the case''s commune or its assigned mediator works a case');
  END IF;
  PERFORM c_require_certified(p);
END $$;

CREATE FUNCTION c_require_consent(person uuid, purpose text, service uuid DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT c_consent_current(person, purpose, service) THEN
    PERFORM mp_raise('MP409', CASE WHEN purpose = 'referral'
      THEN 'the person has not consented to sharing with this service'
      ELSE 'the person has no current consent for ' || purpose END,
      jsonb_build_object('type', 'urn:mp:problem:consent-required', 'purpose', purpose));
  END IF;
END $$;

-- One audit row: who (p), what (subject, action), why (purpose), where.
CREATE FUNCTION c_audit(p jsonb, subject_type text, subject uuid, region text, commune text,
  action text, purpose text, rid text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO audit_log (actor_sub, actor_roles, region, commune, subject_type, subject_id, action,
    purpose, request_id)
  VALUES (coalesce(p->>'sub', ''), c_roles(p), region, commune, subject_type, subject, action, purpose, rid)
$$;

-- What statistics may know of a person: no name, no contact, no id.
CREATE FUNCTION c_person_stats(x persons) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('region', x.region, 'commune', x.commune, 'sex', x.sex,
    'age_band', x.age_band, 'beneficiary_type', x.beneficiary_type)
$$;

CREATE FUNCTION c_limit(a jsonb) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? 'limit' THEN RETURN 50; END IF;
  IF a->>'limit' !~ '^[0-9]{1,3}$' OR (a->>'limit')::int NOT BETWEEN 1 AND 200 THEN
    PERFORM mp_field_error('limit', 'an integer from 1 to 200');
  END IF;
  RETURN (a->>'limit')::int;
END $$;

CREATE FUNCTION c_cursor(a jsonb) RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? 'cursor' THEN RETURN NULL; END IF;
  IF a->>'cursor' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM mp_field_error('cursor', 'the next_cursor of a previous page');
  END IF;
  RETURN (a->>'cursor')::uuid;
END $$;

CREATE FUNCTION c_page(items jsonb, lim int) RETURNS json LANGUAGE sql IMMUTABLE AS $$
  SELECT json_build_object('items', coalesce(items, '[]'::jsonb),
    'next_cursor', CASE WHEN jsonb_array_length(coalesce(items, '[]'::jsonb)) = lim
      THEN items->(lim - 1)->>'id' END)
$$;

-- Need categories are the directory's taxonomy terms.
CREATE FUNCTION c_needs_ok(needs jsonb, field text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  SELECT n INTO bad FROM jsonb_array_elements_text(needs) n
  WHERE n NOT IN (SELECT code FROM taxonomy_terms) LIMIT 1;
  IF bad IS NOT NULL THEN PERFORM mp_field_error(field, 'not a need category: ' || bad); END IF;
END $$;

-- ---- persons ----------------------------------------------------------------------

CREATE FUNCTION c_consent_json(c consents) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', c.id, 'person_id', c.person_id, 'purpose', c.purpose,
    'service_id', c.service_id, 'given_to', c.given_to, 'recorded_how', c.recorded_how,
    'given_at', c.given_at, 'withdrawn_at', c.withdrawn_at, 'current', c.withdrawn_at IS NULL)
$$;

-- A person as the API shows it; identity_enc is opened by the C side into
-- "identity" ({given_name, family_name, nationality, phone, email,
-- address}), null once erased.
CREATE FUNCTION c_person_json(x persons) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', x.id, 'region', x.region, 'commune', x.commune, 'sex', x.sex,
    'birth_year', x.birth_year, 'age_band', x.age_band, 'beneficiary_type', x.beneficiary_type,
    'languages', to_jsonb(x.languages), 'identity_enc', x.identity_enc,
    'erased', x.erased_at IS NOT NULL, 'version', x.version, 'created_at', x.created_at,
    'updated_at', x.updated_at,
    'consents', coalesce((SELECT jsonb_agg(c_consent_json(c) ORDER BY c.id) FROM consents c
      WHERE c.person_id = x.id), '[]'))
$$;

-- Facts of any case work starting from a person: the principal's
-- certification and the person's consents.
CREATE FUNCTION cases_person_work_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x persons;
BEGIN
  x := c_person_for(p, coalesce(a->>'id', b->>'person_id'));
  IF x.erased_at IS NOT NULL THEN PERFORM mp_raise('MP409', 'the person''s data was erased'); END IF;
  RETURN json_build_object('certified_until_ms', c_ms(c_certified_until(p)), 'now_ms', c_ms(now()),
    'consents', c_consent_facts(x.id), 'service_id', NULL, 'service_active', false);
END $$;

-- Facts of a registration: the principal's certification.
CREATE FUNCTION cases_register_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('certified_until_ms', c_ms(c_certified_until(p)), 'now_ms', c_ms(now()),
    'consents', '[]'::json, 'service_id', NULL, 'service_active', false)
$$;

-- Registers a person. d = {"id", "identity_enc", "name_tokens": [hex]},
-- computed by the C side from the body's identity (never stored here).
CREATE FUNCTION cases_person_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
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
  IF mp_has_role(p, 'municipal_agent') AND NOT mp_has_role(p, 'mediator') AND commune <> p->>'commune' THEN
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

CREATE FUNCTION cases_person_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x persons;
BEGIN
  x := c_person_for(p, a->>'id');
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'read', coalesce(a->>'purpose', 'accompaniment'), rid);
  RETURN c_person_json(x);
END $$;

-- Persons the principal may see, optionally those whose name holds every
-- word searched (d = {"name_tokens": [hex]} from the C side, or null).
-- Every person listed is a read, audited as such.
CREATE FUNCTION cases_person_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  lim int := c_limit(a);
  cur uuid := c_cursor(a);
  toks text[] := coalesce(array(SELECT jsonb_array_elements_text(d->'name_tokens')), '{}');
  items jsonb;
BEGIN
  IF a ? 'name' AND cardinality(toks) = 0 THEN PERFORM mp_field_error('name', 'no word to search for'); END IF;
  SELECT jsonb_agg(c_person_json(x) ORDER BY x.id) INTO items FROM (
    SELECT * FROM persons x
    WHERE c_person_visible(p, x) AND x.erased_at IS NULL AND (cur IS NULL OR x.id > cur)
      AND (NOT a ? 'commune' OR x.commune = a->>'commune')
      AND (SELECT count(*) FROM person_name_tokens t WHERE t.person_id = x.id AND t.token = ANY (toks))
          = cardinality(toks)
    ORDER BY x.id LIMIT lim) x;
  INSERT INTO audit_log (actor_sub, actor_roles, region, commune, subject_type, subject_id, action, purpose, request_id)
  SELECT p->>'sub', c_roles(p), i->>'region', i->>'commune', 'person', (i->>'id')::uuid,
    CASE WHEN cardinality(toks) > 0 THEN 'search' ELSE 'list' END, 'accompaniment', rid
  FROM jsonb_array_elements(coalesce(items, '[]')) i;
  RETURN c_page(items, lim);
END $$;

-- ---- consent ------------------------------------------------------------------------

-- Records a consent the person gave (to the principal's service or a
-- named directory service for a referral).
CREATE FUNCTION cases_consent_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x persons;
  c consents;
BEGIN
  x := c_person_for(p, a->>'id', true);
  IF x.erased_at IS NOT NULL THEN PERFORM mp_raise('MP409', 'the person''s data was erased'); END IF;
  IF NOT (c_agent_of(p, x.region, x.commune) OR mp_has_role(p, 'mediator')) THEN
    PERFORM mp_raise('MP403', 'agents and mediators record consents');
  END IF;
  PERFORM c_require_certified(p);
  IF b->>'purpose' = 'referral' AND NOT b ? 'service_id' THEN
    PERFORM mp_field_error('service_id', 'a referral consent names the service it allows sharing with');
  END IF;
  IF b->>'purpose' <> 'referral' AND b ? 'service_id' THEN
    PERFORM mp_field_error('service_id', 'only a referral consent names a service');
  END IF;
  IF b ? 'service_id' AND NOT EXISTS (SELECT 1 FROM services s WHERE s.id = (b->>'service_id')::uuid) THEN
    PERFORM mp_field_error('service_id', 'not a service of the directory');
  END IF;
  IF coalesce((b->>'given_at')::timestamptz, now()) > now() + interval '5 minutes' THEN
    PERFORM mp_field_error('given_at', 'a consent is recorded once given, not in advance');
  END IF;
  INSERT INTO consents (person_id, purpose, service_id, given_to, recorded_how, given_at, recorded_by)
  VALUES (x.id, b->>'purpose', (b->>'service_id')::uuid, b->>'given_to', b->>'recorded_how',
    least(coalesce((b->>'given_at')::timestamptz, now()), now()), p->>'sub')
  RETURNING * INTO c;
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'consent_given', c.purpose, rid);
  PERFORM mp_emit('cases.consent.given.v1', c.id::text,
    jsonb_build_object('consent_id', c.id, 'purpose', c.purpose, 'region', x.region, 'commune', x.commune,
      'recorded_how', c.recorded_how), rid);
  RETURN c_consent_json(c);
END $$;

-- Withdraws a consent, at once: work needing it is refused from now on.
CREATE FUNCTION cases_consent_withdraw(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  c consents;
  x persons;
BEGIN
  IF a->>'id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN PERFORM mp_not_found(); END IF;
  SELECT * INTO c FROM consents WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND THEN PERFORM mp_not_found(); END IF;
  x := c_person_for(p, c.person_id::text);
  IF c.withdrawn_at IS NOT NULL THEN
    PERFORM mp_raise('MP409', 'the consent was already withdrawn', jsonb_build_object('withdrawn_at', c.withdrawn_at));
  END IF;
  UPDATE consents SET withdrawn_at = now(), withdrawn_by = p->>'sub' WHERE id = c.id RETURNING * INTO c;
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'consent_withdrawn', c.purpose, rid);
  PERFORM mp_emit('cases.consent.withdrawn.v1', c.id::text,
    jsonb_build_object('consent_id', c.id, 'purpose', c.purpose, 'region', x.region, 'commune', x.commune), rid);
  RETURN c_consent_json(c);
END $$;

-- ---- rights of the person --------------------------------------------------------------

-- Everything held on a person (right of access): the person, consents,
-- cases with their notes, referrals, mediations, and who read or wrote
-- them. For the region's officers and the agents of the person's commune.
CREATE FUNCTION cases_person_export(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x persons;
BEGIN
  x := c_person_for(p, a->>'id');
  IF NOT (c_officer_of(p, x.region) OR c_agent_of(p, x.region, x.commune)) THEN
    PERFORM mp_raise('MP403', 'the region''s officers and the commune''s agents export a person''s data');
  END IF;
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'export', 'right_of_access', rid);
  RETURN jsonb_build_object('exported_at', now(), 'person', c_person_json(x),
    'cases', coalesce((SELECT jsonb_agg(c_case_json(k, true) ORDER BY k.id) FROM cases k WHERE k.person_id = x.id), '[]'),
    'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('at', l.at, 'actor_sub', l.actor_sub,
        'actor_roles', to_jsonb(l.actor_roles), 'subject_type', l.subject_type, 'subject_id', l.subject_id,
        'action', l.action, 'purpose', l.purpose) ORDER BY l.id)
      FROM audit_log l WHERE l.subject_id = x.id OR l.subject_id IN (SELECT id FROM cases WHERE person_id = x.id)), '[]'));
END $$;

-- Erasure by anonymisation (right to be forgotten): names, contact,
-- nationality, birth year, languages, name tokens and case notes go; what
-- statistics count stays (region, commune, sex, age band, beneficiary
-- type, cases, needs, referrals and their outcomes).
CREATE FUNCTION cases_person_erase(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x persons;
BEGIN
  x := c_person_for(p, a->>'id', true);
  IF NOT c_officer_of(p, x.region) THEN
    PERFORM mp_raise('MP403', 'the region''s officers carry out an erasure');
  END IF;
  IF x.erased_at IS NOT NULL THEN PERFORM mp_raise('MP409', 'the person''s data was already erased'); END IF;
  DELETE FROM person_name_tokens WHERE person_id = x.id;
  UPDATE case_notes SET body_enc = NULL WHERE case_id IN (SELECT id FROM cases WHERE person_id = x.id);
  UPDATE persons SET identity_enc = NULL, birth_year = NULL, languages = '{}', erased_at = now(),
    version = version + 1, updated_at = now()
  WHERE id = x.id RETURNING * INTO x;
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'erase', 'right_to_erasure', rid);
  PERFORM mp_emit('cases.person.erased.v1', NULL, c_person_stats(x), rid);
  RETURN c_person_json(x);
END $$;

-- ---- cases ------------------------------------------------------------------------------

CREATE FUNCTION c_note_json(n case_notes) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', n.id, 'case_id', n.case_id, 'text_enc', n.body_enc,
    'author_sub', n.author_sub, 'created_at', n.created_at)
$$;

CREATE FUNCTION c_referral_json(r referrals) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', r.id, 'case_id', r.case_id, 'region', r.region, 'commune', r.commune,
    'service_at_location_id', r.service_at_location_id, 'service_id', r.service_id, 'need', r.need,
    'status', r.status, 'outcome', r.outcome, 'outcome_reason', r.outcome_reason,
    'follow_up_on', r.follow_up_on, 'version', r.version, 'created_at', r.created_at,
    'updated_at', r.updated_at, 'sent_at', r.sent_at, 'completed_at', r.completed_at)
$$;

CREATE FUNCTION c_mediation_json(m mediations) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', m.id, 'case_id', m.case_id, 'region', m.region, 'commune', m.commune,
    'administration', m.administration, 'purpose', m.purpose, 'accompanied_on', m.accompanied_on,
    'outcome', m.outcome, 'follow_up_on', m.follow_up_on, 'mediator_sub', m.mediator_sub,
    'version', m.version, 'created_at', m.created_at, 'updated_at', m.updated_at)
$$;

-- A case; `full` adds its notes (encrypted: opened by the C side),
-- referrals and mediations.
CREATE FUNCTION c_case_json(k cases, full_view boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', k.id, 'person_id', k.person_id, 'region', k.region, 'commune', k.commune,
    'needs', to_jsonb(k.needs), 'vulnerabilities', to_jsonb(k.vulnerabilities), 'status', k.status,
    'close_reason', k.close_reason, 'assignee_sub', k.assignee_sub, 'assignee_role', k.assignee_role,
    'opened_by', k.opened_by, 'version', k.version, 'opened_at', k.opened_at, 'updated_at', k.updated_at,
    'resolved_at', k.resolved_at, 'closed_at', k.closed_at)
  || CASE WHEN full_view THEN jsonb_build_object(
    'notes', coalesce((SELECT jsonb_agg(c_note_json(n) ORDER BY n.id) FROM case_notes n WHERE n.case_id = k.id), '[]'),
    'referrals', coalesce((SELECT jsonb_agg(c_referral_json(r) ORDER BY r.id) FROM referrals r WHERE r.case_id = k.id), '[]'),
    'mediations', coalesce((SELECT jsonb_agg(c_mediation_json(m) ORDER BY m.id) FROM mediations m WHERE m.case_id = k.id), '[]'))
  ELSE '{}' END
$$;

CREATE FUNCTION c_case_stats(k cases) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('case_id', k.id, 'region', k.region, 'commune', k.commune,
    'sex', x.sex, 'age_band', x.age_band, 'beneficiary_type', x.beneficiary_type, 'needs', to_jsonb(k.needs))
  FROM persons x WHERE x.id = k.person_id
$$;

-- Opens a case for a person (body person_id): a certified agent of the
-- person's commune, or a certified mediator (the case is then theirs),
-- with a current consent to accompaniment.
CREATE FUNCTION cases_case_open(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x persons;
  k cases;
  is_agent boolean;
BEGIN
  x := c_person_for(p, b->>'person_id', true);
  is_agent := c_agent_of(p, x.region, x.commune);
  IF NOT (is_agent OR (mp_has_role(p, 'mediator') AND p->>'region' = x.region)) THEN
    PERFORM mp_raise('MP403', 'an agent of the person''s commune or a mediator of the region opens a case');
  END IF;
  PERFORM c_require_certified(p);
  IF x.erased_at IS NOT NULL THEN PERFORM mp_raise('MP409', 'the person''s data was erased'); END IF;
  PERFORM c_require_consent(x.id, 'accompaniment');
  PERFORM c_needs_ok(b->'needs', 'needs');
  INSERT INTO cases (person_id, region, commune, needs, vulnerabilities, assignee_sub, assignee_role, opened_by)
  VALUES (x.id, x.region, x.commune, array(SELECT DISTINCT jsonb_array_elements_text(b->'needs')),
    coalesce(array(SELECT DISTINCT jsonb_array_elements_text(b->'vulnerabilities')), '{}'),
    CASE WHEN is_agent THEN NULL ELSE p->>'sub' END, CASE WHEN is_agent THEN NULL ELSE 'mediator' END, p->>'sub')
  RETURNING * INTO k;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'open', 'accompaniment', rid);
  PERFORM c_audit(p, 'person', x.id, x.region, x.commune, 'case_opened', 'accompaniment', rid);
  PERFORM mp_emit('cases.case.opened.v1', k.id::text, c_case_stats(k), rid);
  RETURN c_case_json(k, true);
END $$;

CREATE FUNCTION cases_case_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE k cases;
BEGIN
  k := c_case_for(p, a->>'id');
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'read', 'accompaniment', rid);
  RETURN c_case_json(k, true);
END $$;

CREATE FUNCTION cases_case_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  lim int := c_limit(a);
  cur uuid := c_cursor(a);
  items jsonb;
BEGIN
  IF a ? 'status' AND NOT (a->>'status' = ANY (ARRAY['open', 'in_progress', 'resolved', 'closed'])) THEN
    PERFORM mp_field_error('status', 'one of open, in_progress, resolved, closed');
  END IF;
  SELECT jsonb_agg(c_case_json(k, false) ORDER BY k.id) INTO items FROM (
    SELECT * FROM cases k
    WHERE c_case_visible(p, k) AND (NOT a ? 'status' OR k.status = a->>'status')
      AND (NOT a ? 'person_id' OR k.person_id::text = a->>'person_id')
      AND (cur IS NULL OR k.id > cur)
    ORDER BY k.id LIMIT lim) k;
  INSERT INTO audit_log (actor_sub, actor_roles, region, commune, subject_type, subject_id, action, purpose, request_id)
  SELECT p->>'sub', c_roles(p), i->>'region', i->>'commune', 'case', (i->>'id')::uuid, 'list', 'accompaniment', rid
  FROM jsonb_array_elements(coalesce(items, '[]')) i;
  RETURN c_page(items, lim);
END $$;

-- Facts of work on a case: its state, whether the principal is its
-- worker, the principal's certification, the person's consents and, for
-- a referral (body service_at_location_id), the target service.
CREATE FUNCTION cases_case_work_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  k cases;
  sal service_at_location;
BEGIN
  k := c_case_for(p, a->>'id');
  IF b ? 'service_at_location_id' THEN
    SELECT * INTO sal FROM service_at_location WHERE id = (b->>'service_at_location_id')::uuid;
    IF NOT FOUND THEN PERFORM mp_field_error('service_at_location_id', 'not a service at a location of the directory'); END IF;
  END IF;
  RETURN json_build_object('state', k.status, 'worker', c_case_worker(p, k),
    'certified_until_ms', c_ms(c_certified_until(p)), 'now_ms', c_ms(now()),
    'consents', c_consent_facts(k.person_id), 'service_id', sal.service_id,
    'service_active', CASE WHEN sal.id IS NULL THEN false ELSE directory_sal_active(sal.id) END);
END $$;

-- A change of state decided by the C side's transition table: d = {"from",
-- "to"}; closing carries a reason (body). Closing is allowed after the
-- consent was withdrawn, any other change needs it.
CREATE FUNCTION cases_case_transition(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  k cases;
  dest text := d->>'to';
BEGIN
  k := c_case_for(p, a->>'id', true);
  PERFORM c_require_worker(p, k);
  PERFORM mp_if_match(a, k.version);
  IF k.status <> d->>'from' THEN
    PERFORM mp_raise('MP409', 'the case changed state meanwhile', jsonb_build_object('state', k.status));
  END IF;
  IF dest <> 'closed' THEN PERFORM c_require_consent(k.person_id, 'accompaniment'); END IF;
  IF dest = 'closed' AND NOT b ? 'reason' THEN PERFORM mp_field_error('reason', 'required to close a case'); END IF;
  UPDATE cases SET status = dest, version = version + 1, updated_at = now(),
    close_reason = CASE WHEN dest = 'closed' THEN b->>'reason' END,
    resolved_at = CASE WHEN dest = 'resolved' THEN now() WHEN dest = 'in_progress' THEN NULL ELSE resolved_at END,
    closed_at = CASE WHEN dest = 'closed' THEN now() WHEN dest = 'in_progress' THEN NULL ELSE closed_at END
  WHERE id = k.id RETURNING * INTO k;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'transition', 'accompaniment', rid);
  PERFORM mp_emit('cases.case.status_changed.v1', k.id::text,
    c_case_stats(k) || jsonb_build_object('from', d->>'from', 'to', dest, 'close_reason', k.close_reason), rid);
  RETURN c_case_json(k, true);
END $$;

-- Assigns a case to an agent, a mediator (certified) or an officer of the
-- region: the region's officers or a certified agent of its commune.
CREATE FUNCTION cases_case_assign(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE k cases;
BEGIN
  k := c_case_for(p, a->>'id', true);
  IF NOT (c_officer_of(p, k.region) OR c_agent_of(p, k.region, k.commune)) THEN
    PERFORM mp_raise('MP403', 'the region''s officers and the commune''s agents assign a case');
  END IF;
  IF NOT c_officer_of(p, k.region) THEN PERFORM c_require_certified(p); END IF;
  PERFORM mp_if_match(a, k.version);
  IF k.status IN ('resolved', 'closed') THEN
    PERFORM mp_raise('MP409', 'a finished case is not assigned', jsonb_build_object('state', k.status));
  END IF;
  IF b->>'assignee_role' <> 'council_officer' AND coalesce(c_certified_until(jsonb_build_object('sub',
      b->>'assignee_sub', 'region', k.region, 'roles', jsonb_build_array(b->>'assignee_role'))) <= now(), true) THEN
    PERFORM mp_field_error('assignee_sub', 'not a currently certified ' || (b->>'assignee_role') || ' of the region');
  END IF;
  UPDATE cases SET assignee_sub = b->>'assignee_sub', assignee_role = b->>'assignee_role',
    version = version + 1, updated_at = now()
  WHERE id = k.id RETURNING * INTO k;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'assign', 'accompaniment', rid);
  PERFORM mp_emit('cases.case.assigned.v1', k.id::text,
    jsonb_build_object('case_id', k.id, 'region', k.region, 'commune', k.commune,
      'assignee_role', k.assignee_role), rid);
  RETURN c_case_json(k, true);
END $$;

-- A confidential note (d = {"id", "body_enc"} from the C side): by the
-- case's worker, or by an officer it is assigned to. Officers otherwise
-- read notes only.
CREATE FUNCTION cases_case_note_add(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  k cases;
  n case_notes;
BEGIN
  k := c_case_for(p, a->>'id', true);
  IF NOT (c_officer_of(p, k.region) AND k.assignee_sub = p->>'sub') THEN
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

-- ---- referrals ----------------------------------------------------------------------------

CREATE FUNCTION c_referral_for(p jsonb, id text, lock boolean DEFAULT false) RETURNS referrals
LANGUAGE plpgsql AS $$
DECLARE
  r referrals;
  k cases;
BEGIN
  IF id IS NULL OR id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM mp_not_found();
  END IF;
  IF lock THEN
    SELECT * INTO r FROM referrals WHERE referrals.id = c_referral_for.id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO r FROM referrals WHERE referrals.id = c_referral_for.id::uuid;
  END IF;
  IF NOT FOUND THEN PERFORM mp_not_found(); END IF;
  SELECT * INTO k FROM cases WHERE cases.id = r.case_id;
  IF NOT c_case_visible(p, k) THEN PERFORM mp_not_found(); END IF;
  RETURN r;
END $$;

-- The taxonomy codes of a directory service (its categories).
CREATE FUNCTION c_service_categories(service uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(t.code ORDER BY t.code), '[]')
  FROM service_attributes sa JOIN taxonomy_terms t ON t.id = sa.taxonomy_term_id WHERE sa.service_id = service
$$;

CREATE FUNCTION c_referral_stats(r referrals, k cases) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('referral_id', r.id, 'case_id', r.case_id, 'region', r.region,
    'commune', r.commune, 'need', r.need, 'service_categories', c_service_categories(r.service_id),
    'sex', x.sex, 'age_band', x.age_band, 'beneficiary_type', x.beneficiary_type)
  FROM persons x WHERE x.id = k.person_id
$$;

-- Proposes a referral of a case to a directory service-at-location: the
-- case's certified worker, an open or in-progress case, an active service
-- and the person's consent to share with that service.
CREATE FUNCTION cases_referral_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  k cases;
  r referrals;
  sal service_at_location;
BEGIN
  k := c_case_for(p, a->>'id', true);
  PERFORM c_require_worker(p, k);
  IF k.status NOT IN ('open', 'in_progress') THEN
    PERFORM mp_raise('MP409', 'referrals are made from an open case', jsonb_build_object('state', k.status));
  END IF;
  SELECT * INTO sal FROM service_at_location WHERE id = (b->>'service_at_location_id')::uuid FOR SHARE;
  IF NOT FOUND THEN PERFORM mp_field_error('service_at_location_id', 'not a service at a location of the directory'); END IF;
  IF sal.region <> k.region THEN
    PERFORM mp_field_error('service_at_location_id', 'not a service of the case''s region');
  END IF;
  IF NOT directory_sal_active(sal.id) THEN
    PERFORM mp_raise('MP409', 'the service is not active', jsonb_build_object('type', 'urn:mp:problem:service-inactive'));
  END IF;
  PERFORM c_require_consent(k.person_id, 'accompaniment');
  PERFORM c_require_consent(k.person_id, 'referral', sal.service_id);
  PERFORM c_needs_ok(jsonb_build_array(b->>'need'), 'need');
  INSERT INTO referrals (case_id, region, commune, service_at_location_id, service_id, need, follow_up_on, created_by)
  VALUES (k.id, k.region, k.commune, sal.id, sal.service_id, b->>'need', (b->>'follow_up_on')::date, p->>'sub')
  RETURNING * INTO r;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'refer', 'referral', rid);
  PERFORM mp_emit('cases.referral.proposed.v1', r.id::text, c_referral_stats(r, k), rid);
  RETURN c_referral_json(r);
END $$;

CREATE FUNCTION cases_referral_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE r referrals;
BEGIN
  r := c_referral_for(p, a->>'id');
  PERFORM c_audit(p, 'case', r.case_id, r.region, r.commune, 'read_referral', 'referral', rid);
  RETURN c_referral_json(r);
END $$;

-- Facts of a referral's change: its state and the worker's right.
CREATE FUNCTION cases_referral_work_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  r referrals;
  k cases;
BEGIN
  r := c_referral_for(p, a->>'id');
  SELECT * INTO k FROM cases WHERE id = r.case_id;
  RETURN json_build_object('state', r.status, 'worker', c_case_worker(p, k),
    'certified_until_ms', c_ms(c_certified_until(p)), 'now_ms', c_ms(now()),
    'consents', c_consent_facts(k.person_id), 'service_id', r.service_id,
    'service_active', directory_sal_active(r.service_at_location_id));
END $$;

-- A referral's change decided by the C side (d = {"from", "to"}); a
-- completion carries its outcome and reason (checked by the C side).
CREATE FUNCTION cases_referral_transition(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  r referrals;
  k cases;
  dest text := d->>'to';
BEGIN
  r := c_referral_for(p, a->>'id', true);
  SELECT * INTO k FROM cases WHERE id = r.case_id;
  PERFORM c_require_worker(p, k);
  PERFORM mp_if_match(a, r.version);
  IF r.status <> d->>'from' THEN
    PERFORM mp_raise('MP409', 'the referral changed state meanwhile', jsonb_build_object('state', r.status));
  END IF;
  IF dest = 'sent' THEN PERFORM c_require_consent(k.person_id, 'referral', r.service_id); END IF;
  UPDATE referrals SET status = dest, version = version + 1, updated_at = now(),
    outcome = CASE WHEN dest = 'completed' THEN b->>'outcome' END,
    outcome_reason = CASE WHEN dest = 'completed' THEN b->>'outcome_reason' END,
    follow_up_on = coalesce((b->>'follow_up_on')::date, follow_up_on),
    sent_at = CASE WHEN dest = 'sent' THEN now() ELSE sent_at END,
    completed_at = CASE WHEN dest = 'completed' THEN now() ELSE completed_at END
  WHERE id = r.id RETURNING * INTO r;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'referral_' || dest, 'referral', rid);
  PERFORM mp_emit('cases.referral.status_changed.v1', r.id::text,
    c_referral_stats(r, k) || jsonb_build_object('from', d->>'from', 'to', dest), rid);
  IF dest = 'completed' THEN
    PERFORM mp_emit('cases.referral.completed.v1', r.id::text,
      c_referral_stats(r, k) || jsonb_build_object('outcome', r.outcome, 'outcome_reason', r.outcome_reason), rid);
  END IF;
  RETURN c_referral_json(r);
END $$;

-- Referrals whose follow-up date has passed while still pending, of the
-- cases the principal sees.
CREATE FUNCTION cases_referral_overdue(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  lim int := c_limit(a);
  cur uuid := c_cursor(a);
BEGIN
  RETURN c_page((SELECT jsonb_agg(c_referral_json(r) ORDER BY r.id) FROM (
    SELECT r.* FROM referrals r JOIN cases k ON k.id = r.case_id
    WHERE c_case_visible(p, k) AND r.status IN ('proposed', 'sent', 'accepted')
      AND r.follow_up_on < current_date AND (cur IS NULL OR r.id > cur)
    ORDER BY r.id LIMIT lim) r), lim);
END $$;

-- ---- mediations ----------------------------------------------------------------------------

-- An accompaniment to an administration, linked to a case.
CREATE FUNCTION cases_mediation_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  k cases;
  m mediations;
BEGIN
  k := c_case_for(p, a->>'id', true);
  PERFORM c_require_worker(p, k);
  IF k.status IN ('resolved', 'closed') THEN
    PERFORM mp_raise('MP409', 'mediations belong to an open case', jsonb_build_object('state', k.status));
  END IF;
  PERFORM c_require_consent(k.person_id, 'accompaniment');
  INSERT INTO mediations (case_id, region, commune, administration, purpose, accompanied_on, outcome,
    follow_up_on, mediator_sub)
  VALUES (k.id, k.region, k.commune, b->>'administration', b->>'purpose', (b->>'accompanied_on')::date,
    b->>'outcome', (b->>'follow_up_on')::date, p->>'sub')
  RETURNING * INTO m;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'mediation', 'accompaniment', rid);
  PERFORM mp_emit('cases.mediation.recorded.v1', m.id::text,
    jsonb_build_object('mediation_id', m.id, 'case_id', k.id, 'region', k.region, 'commune', k.commune,
      'administration', m.administration, 'outcome', m.outcome), rid);
  RETURN c_mediation_json(m);
END $$;

-- The outcome and follow-up of a mediation.
CREATE FUNCTION cases_mediation_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  m mediations;
  k cases;
BEGIN
  IF a->>'id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN PERFORM mp_not_found(); END IF;
  SELECT * INTO m FROM mediations WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND THEN PERFORM mp_not_found(); END IF;
  k := c_case_for(p, m.case_id::text);
  PERFORM c_require_worker(p, k);
  PERFORM mp_if_match(a, m.version);
  UPDATE mediations SET outcome = coalesce(b->>'outcome', outcome),
    follow_up_on = coalesce((b->>'follow_up_on')::date, follow_up_on),
    version = version + 1, updated_at = now()
  WHERE id = m.id RETURNING * INTO m;
  PERFORM c_audit(p, 'case', k.id, k.region, k.commune, 'mediation_update', 'accompaniment', rid);
  PERFORM mp_emit('cases.mediation.updated.v1', m.id::text,
    jsonb_build_object('mediation_id', m.id, 'case_id', k.id, 'region', k.region, 'commune', k.commune,
      'administration', m.administration, 'outcome', m.outcome), rid);
  RETURN c_mediation_json(m);
END $$;

-- ---- training and certification ----------------------------------------------------------

CREATE FUNCTION c_session_json(s training_sessions) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', s.id, 'region', s.region, 'commune', s.commune, 'module', s.module,
    'held_on', s.held_on, 'trainer', s.trainer, 'created_at', s.created_at,
    'attendance', coalesce((SELECT jsonb_agg(jsonb_build_object('person_sub', t.person_sub, 'role', t.role)
      ORDER BY t.person_sub) FROM training_attendance t WHERE t.session_id = s.id), '[]'))
$$;

CREATE FUNCTION c_certification_json(c certifications) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', c.id, 'person_sub', c.person_sub, 'role', c.role, 'region', c.region,
    'session_id', c.session_id, 'certified_at', c.certified_at, 'expires_at', c.expires_at,
    'revoked_at', c.revoked_at, 'current', c.revoked_at IS NULL AND c.expires_at > now())
$$;

CREATE FUNCTION cases_training_session_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s training_sessions;
BEGIN
  IF NOT c_officer_of(p, b->>'region') THEN
    PERFORM mp_raise('MP403', 'the region''s officers organise training');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = b->>'commune' AND c.region = b->>'region') THEN
    PERFORM mp_field_error('commune', 'not a commune of the region');
  END IF;
  INSERT INTO training_sessions (region, commune, module, held_on, trainer, created_by)
  VALUES (b->>'region', b->>'commune', b->>'module', (b->>'held_on')::date, b->>'trainer', p->>'sub')
  RETURNING * INTO s;
  PERFORM mp_emit('cases.training.session_created.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region, 'commune', s.commune, 'module', s.module,
      'held_on', s.held_on), rid);
  RETURN c_session_json(s);
END $$;

CREATE FUNCTION cases_training_session_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lim int := c_limit(a);
  cur uuid := c_cursor(a);
BEGIN
  RETURN c_page((SELECT jsonb_agg(c_session_json(s) ORDER BY s.id) FROM (
    SELECT * FROM training_sessions s WHERE c_officer_of(p, s.region) AND (cur IS NULL OR s.id > cur)
    ORDER BY s.id LIMIT lim) s), lim);
END $$;

-- Who attended a session (replaces the list).
CREATE FUNCTION cases_training_attendance(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s training_sessions;
BEGIN
  IF a->>'id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN PERFORM mp_not_found(); END IF;
  SELECT * INTO s FROM training_sessions WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT c_officer_of(p, s.region) THEN PERFORM mp_not_found(); END IF;
  DELETE FROM training_attendance WHERE session_id = s.id
    AND person_sub NOT IN (SELECT c.person_sub FROM certifications c WHERE c.session_id = s.id);
  INSERT INTO training_attendance (session_id, person_sub, role)
  SELECT DISTINCT ON (e->>'person_sub') s.id, e->>'person_sub', e->>'role'
  FROM jsonb_array_elements(b->'attendees') e
  ON CONFLICT (session_id, person_sub) DO UPDATE SET role = excluded.role;
  PERFORM mp_emit('cases.training.attendance_recorded.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region, 'commune', s.commune,
      'present', (SELECT count(*) FROM training_attendance WHERE session_id = s.id)), rid);
  RETURN c_session_json(s);
END $$;

-- Certifies an agent or mediator who attended a session, for valid_days.
CREATE FUNCTION cases_certification_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s training_sessions;
  c certifications;
  t training_attendance;
BEGIN
  SELECT * INTO s FROM training_sessions WHERE id = (b->>'session_id')::uuid;
  IF NOT FOUND OR NOT c_officer_of(p, s.region) THEN
    PERFORM mp_field_error('session_id', 'not a training session of your region');
  END IF;
  SELECT * INTO t FROM training_attendance WHERE session_id = s.id AND person_sub = b->>'person_sub';
  IF NOT FOUND THEN PERFORM mp_field_error('person_sub', 'did not attend the session'); END IF;
  INSERT INTO certifications (person_sub, role, region, session_id, expires_at, certified_by)
  VALUES (t.person_sub, t.role, s.region, s.id,
    now() + make_interval(days => coalesce((b->>'valid_days')::int, 365)), p->>'sub')
  RETURNING * INTO c;
  PERFORM mp_emit('cases.training.certified.v1', c.id::text,
    jsonb_build_object('certification_id', c.id, 'region', c.region, 'commune', s.commune, 'role', c.role,
      'module', s.module, 'expires_at', c.expires_at), rid);
  RETURN c_certification_json(c);
END $$;

-- The region's certifications for its officers; their own for agents
-- and mediators.
CREATE FUNCTION cases_certification_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lim int := c_limit(a);
  cur uuid := c_cursor(a);
BEGIN
  RETURN c_page((SELECT jsonb_agg(c_certification_json(c) ORDER BY c.id) FROM (
    SELECT * FROM certifications c
    WHERE (c_officer_of(p, c.region) OR c.person_sub = p->>'sub')
      AND (NOT a ? 'person_sub' OR c.person_sub = a->>'person_sub')
      AND (cur IS NULL OR c.id > cur)
    ORDER BY c.id LIMIT lim) c), lim);
END $$;

-- Withdraws a certification at once.
CREATE FUNCTION cases_certification_revoke(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE c certifications;
BEGIN
  IF a->>'id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN PERFORM mp_not_found(); END IF;
  SELECT * INTO c FROM certifications WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT c_officer_of(p, c.region) THEN PERFORM mp_not_found(); END IF;
  IF c.revoked_at IS NOT NULL THEN PERFORM mp_raise('MP409', 'the certification was already revoked'); END IF;
  UPDATE certifications SET revoked_at = now() WHERE id = c.id RETURNING * INTO c;
  PERFORM mp_emit('cases.training.certification_revoked.v1', c.id::text,
    jsonb_build_object('certification_id', c.id, 'region', c.region, 'role', c.role), rid);
  RETURN c_certification_json(c);
END $$;

-- ---- audit and dashboards ----------------------------------------------------------------

-- The audit of a region, for its officers (filters subject_id, actor_sub).
CREATE FUNCTION cases_audit_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lim int := c_limit(a);
  after bigint;
BEGIN
  IF a ? 'cursor' AND a->>'cursor' !~ '^[0-9]{1,18}$' THEN
    PERFORM mp_field_error('cursor', 'the next_cursor of a previous page');
  END IF;
  IF a ? 'subject_id' AND a->>'subject_id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM mp_field_error('subject_id', 'a person or case id');
  END IF;
  after := (a->>'cursor')::bigint;
  RETURN (SELECT json_build_object('items', coalesce(jsonb_agg(e ORDER BY (e->>'seq')::bigint), '[]'),
      'next_cursor', CASE WHEN count(*) = lim THEN max((e->>'seq')::bigint)::text END)
    FROM (SELECT jsonb_build_object('seq', l.id, 'at', l.at, 'actor_sub', l.actor_sub,
        'actor_roles', to_jsonb(l.actor_roles), 'region', l.region, 'commune', l.commune,
        'subject_type', l.subject_type, 'subject_id', l.subject_id, 'action', l.action,
        'purpose', l.purpose, 'request_id', l.request_id) AS e
      FROM audit_log l
      WHERE c_officer_of(p, l.region) AND (after IS NULL OR l.id > after)
        AND (NOT a ? 'subject_id' OR l.subject_id = (a->>'subject_id')::uuid)
        AND (NOT a ? 'actor_sub' OR l.actor_sub = a->>'actor_sub')
      ORDER BY l.id LIMIT lim) s);
END $$;

-- A count as a dashboard cell: cells of 1 to 4 people are suppressed
-- (null, "suppressed": true) so that nobody is singled out.
CREATE FUNCTION c_cell(n bigint) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN n BETWEEN 1 AND 4 THEN '{"count": null, "suppressed": true}'::jsonb
    ELSE jsonb_build_object('count', n, 'suppressed', false) END
$$;

-- The dashboard of a region (officers: theirs; admins: ?region=), or of
-- one commune (?commune=): cases by state and need, referrals by outcome
-- and service category, median days to a first referral, certified
-- agents and mediators; every figure about people split by sex.
CREATE FUNCTION cases_dashboard(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  reg text := coalesce(a->>'region', nullif(p->>'region', ''));
  com text := a->>'commune';
BEGIN
  IF reg IS NULL OR NOT c_officer_of(p, reg) THEN PERFORM mp_not_found(); END IF;
  IF com IS NOT NULL AND NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = com AND c.region = reg) THEN
    PERFORM mp_field_error('commune', 'not a commune of the region');
  END IF;
  RETURN json_build_object('region', reg, 'commune', com, 'suppression_threshold', 5,
    'cases_by_state', (SELECT coalesce(jsonb_agg(jsonb_build_object('state', s.status, 'sex', s.sex) || c_cell(s.n)
        ORDER BY s.status, s.sex), '[]')
      FROM (SELECT k.status, x.sex, count(*) AS n FROM cases k JOIN persons x ON x.id = k.person_id
            WHERE k.region = reg AND (com IS NULL OR k.commune = com) GROUP BY 1, 2) s),
    'cases_by_need', (SELECT coalesce(jsonb_agg(jsonb_build_object('need', s.need, 'sex', s.sex) || c_cell(s.n)
        ORDER BY s.need, s.sex), '[]')
      FROM (SELECT n.need, x.sex, count(*) AS n FROM cases k JOIN persons x ON x.id = k.person_id,
              unnest(k.needs) AS n(need)
            WHERE k.region = reg AND (com IS NULL OR k.commune = com) GROUP BY 1, 2) s),
    'referrals_by_outcome', (SELECT coalesce(jsonb_agg(jsonb_build_object('status', s.status, 'outcome', s.outcome,
        'sex', s.sex) || c_cell(s.n) ORDER BY s.status, s.outcome, s.sex), '[]')
      FROM (SELECT r.status, r.outcome, x.sex, count(*) AS n FROM referrals r JOIN cases k ON k.id = r.case_id
              JOIN persons x ON x.id = k.person_id
            WHERE r.region = reg AND (com IS NULL OR r.commune = com) GROUP BY 1, 2, 3) s),
    'referrals_by_category', (SELECT coalesce(jsonb_agg(jsonb_build_object('category', s.code, 'sex', s.sex)
        || c_cell(s.n) ORDER BY s.code, s.sex), '[]')
      FROM (SELECT t.code, x.sex, count(*) AS n FROM referrals r JOIN cases k ON k.id = r.case_id
              JOIN persons x ON x.id = k.person_id
              JOIN service_attributes sa ON sa.service_id = r.service_id
              JOIN taxonomy_terms t ON t.id = sa.taxonomy_term_id
            WHERE r.region = reg AND (com IS NULL OR r.commune = com) GROUP BY 1, 2) s),
    'median_days_to_first_referral', (SELECT coalesce(jsonb_agg(jsonb_build_object('sex', s.sex,
        'median_days', CASE WHEN s.n >= 5 THEN s.median END) || c_cell(s.n) ORDER BY s.sex), '[]')
      FROM (SELECT x.sex, count(*) AS n,
              round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.first_at - k.opened_at) / 86400))::numeric, 1)
                AS median
            FROM cases k JOIN persons x ON x.id = k.person_id
              JOIN LATERAL (SELECT min(r.created_at) AS first_at FROM referrals r WHERE r.case_id = k.id) f ON f.first_at IS NOT NULL
            WHERE k.region = reg AND (com IS NULL OR k.commune = com) GROUP BY 1) s),
    'certified', (SELECT coalesce(jsonb_agg(jsonb_build_object('role', s.role, 'count', s.n) ORDER BY s.role), '[]')
      FROM (SELECT c.role, count(DISTINCT c.person_sub) AS n FROM certifications c
              JOIN training_sessions ts ON ts.id = c.session_id
            WHERE c.region = reg AND c.revoked_at IS NULL AND c.expires_at > now()
              AND (com IS NULL OR ts.commune = com) GROUP BY 1) s));
END $$;
