-- The funding service's business functions: one per route, called by the
-- handlers of services/funding/src (see run.h for the calling convention:
-- p = principal, a = args, b = body, d = the C side's decision, rid =
-- request id). Each runs as one transaction, takes the row locks it needs,
-- re-checks what the C side decided on (the state it saw, the version,
-- the budget), and writes its event to the outbox with mp_emit. Refusals
-- are raised as SQLSTATE MPnnn (HTTP nnn, message = detail, DETAIL = JSON
-- merged into the problem). Whatever the principal may not see is 404.

-- ---- helpers --------------------------------------------------------------

CREATE FUNCTION f_raise(code text, msg text, detail jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF detail IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg;
  END IF;
  RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg, DETAIL = detail::text;
END $$;

CREATE FUNCTION f_field_error(field text, reason text) RETURNS void
LANGUAGE sql AS $$
  SELECT f_raise('MP400', 'the request is not valid',
    jsonb_build_object('type', 'urn:mp:problem:validation',
      'errors', jsonb_build_array(jsonb_build_object('field', field, 'reason', reason))))
$$;

CREATE FUNCTION f_has(p jsonb, role text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(p->'roles' ? role, false)
$$;

CREATE FUNCTION f_admin(p jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT f_has(p, 'admin')
$$;

-- Council officer of `region` (or admin).
CREATE FUNCTION f_officer_of(p jsonb, region text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT f_admin(p) OR (f_has(p, 'council_officer') AND p->>'region' = region)
$$;

-- Holds `role` in `region` (admin holds every role everywhere).
CREATE FUNCTION f_role_in(p jsonb, role text, region text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT f_admin(p) OR (f_has(p, role) AND p->>'region' = region)
$$;

CREATE FUNCTION f_not_found() RETURNS void LANGUAGE sql AS $$
  SELECT f_raise('MP404', 'no such resource')
$$;

-- If-Match (optional): the version the client last saw, as ETag "v<n>".
CREATE FUNCTION f_if_match(a jsonb, version int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF a ? 'if_match' AND a->>'if_match' <> '*'
     AND trim(a->>'if_match') <> format('"v%s"', version) THEN
    PERFORM f_raise('MP412', 'the resource changed since you read it',
      jsonb_build_object('current_etag', format('"v%s"', version)));
  END IF;
END $$;

-- Page size from ?limit= (default 50, 1..200).
CREATE FUNCTION f_limit(a jsonb) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? 'limit' THEN RETURN 50; END IF;
  IF a->>'limit' !~ '^[0-9]{1,3}$' OR (a->>'limit')::int NOT BETWEEN 1 AND 200 THEN
    PERFORM f_field_error('limit', 'an integer from 1 to 200');
  END IF;
  RETURN (a->>'limit')::int;
END $$;

-- Keyset cursor from ?cursor= (the last id of the previous page).
CREATE FUNCTION f_cursor(a jsonb) RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? 'cursor' THEN RETURN NULL; END IF;
  IF a->>'cursor' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM f_field_error('cursor', 'the next_cursor of a previous page');
  END IF;
  RETURN (a->>'cursor')::uuid;
END $$;

-- Optional enum-like filter from the query string.
CREATE FUNCTION f_filter(a jsonb, name text, allowed text[]) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? name THEN RETURN NULL; END IF;
  IF NOT (a->>name = ANY (allowed)) THEN
    PERFORM f_field_error(name, 'one of ' || array_to_string(allowed, ', '));
  END IF;
  RETURN a->>name;
END $$;

CREATE FUNCTION f_ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT (extract(epoch FROM t) * 1000)::bigint
$$;

CREATE FUNCTION f_text_array(j jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(array(SELECT jsonb_array_elements_text(j)), '{}')
$$;

-- A page {"items": [...], "next_cursor": id|null} from ordered items.
CREATE FUNCTION f_page(items jsonb, lim int) RETURNS json LANGUAGE sql IMMUTABLE AS $$
  SELECT json_build_object('items', coalesce(items, '[]'::jsonb),
    'next_cursor', CASE WHEN jsonb_array_length(coalesce(items, '[]'::jsonb)) = lim
      THEN items->(lim - 1)->>'id' END)
$$;

-- ---- reference --------------------------------------------------------------

CREATE FUNCTION funding_themes(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('items', coalesce(json_agg(json_build_object('code', code,
    'label', coalesce(name->>(a->>'lang'), name->>'fr'), 'name', name) ORDER BY code), '[]'))
  FROM themes
$$;

CREATE FUNCTION funding_applicant_types(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('items', coalesce(json_agg(json_build_object('code', code,
    'label', coalesce(name->>(a->>'lang'), name->>'fr'), 'name', name) ORDER BY code), '[]'))
  FROM applicant_types
$$;

CREATE FUNCTION funding_communes(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('region', r.code, 'items', coalesce((
    SELECT json_agg(json_build_object('code', c.code, 'province', c.province,
      'label', coalesce(c.name->>(a->>'lang'), c.name->>'fr'), 'name', c.name) ORDER BY c.code)
    FROM communes c JOIN provinces pr ON pr.code = c.province WHERE pr.region = r.code), '[]'))
  FROM regions r WHERE r.code = a->>'region'
$$;

CREATE FUNCTION f_commune_region(commune text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT pr.region FROM communes c JOIN provinces pr ON pr.code = c.province WHERE c.code = commune
$$;

-- ---- envelopes and the ledger ------------------------------------------------

CREATE FUNCTION f_envelope_json(e envelopes) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('region', e.region, 'year', e.year, 'currency', e.currency,
    'allocated_minor', e.allocated_minor, 'committed_minor', e.committed_minor,
    'disbursed_minor', e.disbursed_minor,
    'available_minor', e.allocated_minor - e.committed_minor,
    'version', e.version, 'updated_at', e.updated_at)
$$;

CREATE FUNCTION funding_envelope_put(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  e envelopes;
  reg text := a->>'region';
  yr int;
  amount bigint := (b->>'allocated_minor')::bigint;
  delta bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM regions WHERE code = reg) OR NOT f_officer_of(p, reg) THEN
    PERFORM f_not_found();
  END IF;
  IF a->>'year' !~ '^[0-9]{4}$' OR (a->>'year')::int NOT BETWEEN 2020 AND 2100 THEN
    PERFORM f_field_error('year', 'a year from 2020 to 2100');
  END IF;
  yr := (a->>'year')::int;
  SELECT * INTO e FROM envelopes WHERE region = reg AND year = yr FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO envelopes (region, year, currency, allocated_minor)
    VALUES (reg, yr, coalesce(b->>'currency', 'EUR'), amount) RETURNING * INTO e;
    delta := amount;
  ELSE
    PERFORM f_if_match(a, e.version);
    IF b ? 'currency' AND b->>'currency' <> e.currency THEN
      PERFORM f_field_error('currency', 'the envelope is kept in ' || e.currency);
    END IF;
    IF amount < e.committed_minor THEN
      PERFORM f_raise('MP409', 'the allocation cannot go below what is already committed',
        jsonb_build_object('type', 'urn:mp:problem:budget-exceeded',
          'committed_minor', e.committed_minor, 'allocated_minor', amount));
    END IF;
    delta := amount - e.allocated_minor;
    UPDATE envelopes SET allocated_minor = amount, version = version + 1, updated_at = now()
    WHERE region = reg AND year = yr RETURNING * INTO e;
  END IF;
  IF delta <> 0 THEN
    INSERT INTO ledger_entries (region, year, kind, amount_minor, actor, request_id)
    VALUES (reg, yr, 'allocation', delta, p->>'sub', rid);
  END IF;
  IF delta <> 0 THEN -- an unchanged allocation is no news
    PERFORM mp_emit('funding.envelope.allocated.v1', reg || '/' || yr,
      jsonb_build_object('region', reg, 'year', yr, 'currency', e.currency,
        'allocated_minor', e.allocated_minor, 'delta_minor', delta), rid);
  END IF;
  RETURN f_envelope_json(e);
END $$;

CREATE FUNCTION funding_envelope_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE e envelopes;
BEGIN
  IF a->>'year' !~ '^[0-9]{4}$' THEN PERFORM f_not_found(); END IF;
  SELECT * INTO e FROM envelopes WHERE region = a->>'region' AND year = (a->>'year')::int;
  IF NOT FOUND OR NOT (f_officer_of(p, e.region) OR f_role_in(p, 'gender_analyst', e.region)) THEN
    PERFORM f_not_found();
  END IF;
  RETURN f_envelope_json(e) || jsonb_build_object('ledger', coalesce((
    SELECT jsonb_agg(jsonb_build_object('id', l.id, 'kind', l.kind, 'amount_minor', l.amount_minor,
      'application_id', l.application_id, 'tranche_id', l.tranche_id, 'at', l.at) ORDER BY l.id DESC)
    FROM (SELECT * FROM ledger_entries WHERE region = e.region AND year = e.year
          ORDER BY id DESC LIMIT 200) l), '[]'));
END $$;

CREATE FUNCTION funding_envelope_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('items', coalesce(jsonb_agg(f_envelope_json(e) ORDER BY e.region, e.year), '[]'))
  FROM envelopes e
  WHERE (f_officer_of(p, e.region) OR f_role_in(p, 'gender_analyst', e.region))
    AND (NOT a ? 'region' OR e.region = a->>'region')
    AND (NOT a ? 'year' OR e.year::text = a->>'year')
$$;

-- Commits `amount` of the envelope of (region, year) to an application, or
-- refuses with 409 and what is available. The UPDATE's row lock serialises
-- concurrent commitments; its WHERE is the check.
CREATE FUNCTION f_commit(reg text, yr int, amount bigint, app uuid, actor text, rid text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE avail bigint;
BEGIN
  UPDATE envelopes SET committed_minor = committed_minor + amount, version = version + 1, updated_at = now()
  WHERE region = reg AND year = yr AND allocated_minor - committed_minor >= amount;
  IF NOT FOUND THEN
    SELECT allocated_minor - committed_minor INTO avail FROM envelopes WHERE region = reg AND year = yr;
    PERFORM f_raise('MP409', 'the regional envelope cannot cover this commitment',
      jsonb_build_object('type', 'urn:mp:problem:budget-exceeded', 'region', reg, 'year', yr,
        'available_minor', coalesce(avail, 0), 'requested_minor', amount));
  END IF;
  INSERT INTO ledger_entries (region, year, kind, amount_minor, application_id, actor, request_id)
  VALUES (reg, yr, 'commitment', amount, app, actor, rid);
END $$;

-- ---- calls ---------------------------------------------------------------------

CREATE FUNCTION f_call_json(c calls) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', c.id, 'region', c.region, 'year', c.year, 'title', c.title,
    'description', c.description, 'themes', to_jsonb(c.themes),
    'applicant_types', to_jsonb(c.applicant_types), 'budget_minor', c.budget_minor,
    'currency', c.currency, 'max_grant_minor', c.max_grant_minor,
    'min_cofinancing_bp', c.min_cofinancing_bp, 'opens_at', c.opens_at, 'closes_at', c.closes_at,
    'eligibility_rules', c.eligibility_rules, 'scoring_grid', c.scoring_grid,
    'status', c.status, 'version', c.version, 'created_at', c.created_at,
    'updated_at', c.updated_at, 'published_at', c.published_at)
$$;

-- Published, closed and decided calls are public; drafts and archives are
-- their region's officers'.
CREATE FUNCTION f_call_visible(p jsonb, c calls) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT c.status IN ('published', 'closed', 'decided') OR f_officer_of(p, c.region)
$$;

CREATE FUNCTION f_call_lists_ok(themes_j jsonb, types_j jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  SELECT t INTO bad FROM jsonb_array_elements_text(themes_j) t WHERE t NOT IN (SELECT code FROM themes) LIMIT 1;
  IF bad IS NOT NULL THEN PERFORM f_field_error('themes', 'unknown theme ' || bad); END IF;
  SELECT t INTO bad FROM jsonb_array_elements_text(types_j) t WHERE t NOT IN (SELECT code FROM applicant_types) LIMIT 1;
  IF bad IS NOT NULL THEN PERFORM f_field_error('applicant_types', 'unknown applicant type ' || bad); END IF;
END $$;

CREATE FUNCTION funding_call_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE c calls;
BEGIN
  IF NOT f_officer_of(p, b->>'region') THEN
    PERFORM f_raise('MP403', 'you may create calls of your own region only');
  END IF;
  PERFORM f_call_lists_ok(b->'themes', b->'applicant_types');
  IF (b->>'closes_at')::timestamptz <= (b->>'opens_at')::timestamptz THEN
    PERFORM f_field_error('closes_at', 'must be after opens_at');
  END IF;
  IF (b->>'max_grant_minor')::bigint > (b->>'budget_minor')::bigint THEN
    PERFORM f_field_error('max_grant_minor', 'must not exceed budget_minor');
  END IF;
  INSERT INTO calls (region, year, title, description, themes, applicant_types, budget_minor,
    currency, max_grant_minor, min_cofinancing_bp, opens_at, closes_at, eligibility_rules,
    scoring_grid, created_by)
  VALUES (b->>'region', (b->>'year')::int, b->'title', b->'description',
    f_text_array(b->'themes'), f_text_array(b->'applicant_types'), (b->>'budget_minor')::bigint,
    coalesce(b->>'currency', 'EUR'), (b->>'max_grant_minor')::bigint,
    coalesce((b->>'min_cofinancing_bp')::int, 0), (b->>'opens_at')::timestamptz,
    (b->>'closes_at')::timestamptz, coalesce(b->'eligibility_rules', '{}'), b->'scoring_grid',
    p->>'sub')
  RETURNING * INTO c;
  PERFORM mp_emit('funding.call.created.v1', c.id::text,
    jsonb_build_object('call_id', c.id, 'region', c.region, 'year', c.year,
      'themes', to_jsonb(c.themes), 'budget_minor', c.budget_minor, 'currency', c.currency), rid);
  RETURN f_call_json(c);
END $$;

CREATE FUNCTION funding_call_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE c calls;
BEGIN
  SELECT * INTO c FROM calls WHERE id = (a->>'id')::uuid;
  IF NOT FOUND OR NOT f_call_visible(p, c) THEN PERFORM f_not_found(); END IF;
  RETURN f_call_json(c);
END $$;

CREATE FUNCTION funding_call_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lim int := f_limit(a);
  cur uuid := f_cursor(a);
  st text := f_filter(a, 'status', ARRAY['draft', 'published', 'closed', 'decided', 'archived']);
  reg text := f_filter(a, 'region', ARRAY['souss-massa', 'oriental']);
BEGIN
  RETURN f_page((SELECT jsonb_agg(f_call_json(c) ORDER BY c.id) FROM (
    SELECT * FROM calls c
    WHERE f_call_visible(p, c) AND (st IS NULL OR c.status = st)
      AND (reg IS NULL OR c.region = reg) AND (cur IS NULL OR c.id > cur)
    ORDER BY c.id LIMIT lim) c), lim);
END $$;

CREATE FUNCTION funding_call_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE c calls;
BEGIN
  SELECT * INTO c FROM calls WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT f_call_visible(p, c) THEN PERFORM f_not_found(); END IF;
  IF NOT f_officer_of(p, c.region) THEN PERFORM f_raise('MP403', 'only the region''s officers change a call'); END IF;
  PERFORM f_if_match(a, c.version);
  IF c.status <> 'draft' THEN
    PERFORM f_raise('MP409', 'only a draft call can be changed', jsonb_build_object('state', c.status));
  END IF;
  PERFORM f_call_lists_ok(coalesce(b->'themes', '[]'), coalesce(b->'applicant_types', '[]'));
  IF coalesce((b->>'closes_at')::timestamptz, c.closes_at) <= coalesce((b->>'opens_at')::timestamptz, c.opens_at) THEN
    PERFORM f_field_error('closes_at', 'must be after opens_at');
  END IF;
  IF coalesce((b->>'max_grant_minor')::bigint, c.max_grant_minor) > coalesce((b->>'budget_minor')::bigint, c.budget_minor) THEN
    PERFORM f_field_error('max_grant_minor', 'must not exceed budget_minor');
  END IF;
  UPDATE calls SET
    title = coalesce(b->'title', title), description = coalesce(b->'description', description),
    themes = CASE WHEN b ? 'themes' THEN f_text_array(b->'themes') ELSE themes END,
    applicant_types = CASE WHEN b ? 'applicant_types' THEN f_text_array(b->'applicant_types') ELSE applicant_types END,
    budget_minor = coalesce((b->>'budget_minor')::bigint, budget_minor),
    max_grant_minor = coalesce((b->>'max_grant_minor')::bigint, max_grant_minor),
    min_cofinancing_bp = coalesce((b->>'min_cofinancing_bp')::int, min_cofinancing_bp),
    opens_at = coalesce((b->>'opens_at')::timestamptz, opens_at),
    closes_at = coalesce((b->>'closes_at')::timestamptz, closes_at),
    eligibility_rules = coalesce(b->'eligibility_rules', eligibility_rules),
    scoring_grid = coalesce(b->'scoring_grid', scoring_grid),
    version = version + 1, updated_at = now()
  WHERE id = c.id RETURNING * INTO c;
  PERFORM mp_emit('funding.call.updated.v1', c.id::text,
    jsonb_build_object('call_id', c.id, 'region', c.region, 'version', c.version), rid);
  RETURN f_call_json(c);
END $$;

CREATE FUNCTION funding_call_state(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE c calls;
BEGIN
  SELECT * INTO c FROM calls WHERE id = (a->>'id')::uuid;
  IF NOT FOUND OR NOT f_call_visible(p, c) THEN PERFORM f_not_found(); END IF;
  RETURN json_build_object('state', c.status);
END $$;

CREATE FUNCTION funding_call_transition(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE c calls;
BEGIN
  SELECT * INTO c FROM calls WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT f_officer_of(p, c.region) THEN PERFORM f_not_found(); END IF;
  PERFORM f_if_match(a, c.version);
  IF c.status <> d->>'from' THEN
    PERFORM f_raise('MP409', 'the call changed state meanwhile', jsonb_build_object('state', c.status));
  END IF;
  IF d->>'to' = 'published' AND NOT EXISTS (SELECT 1 FROM envelopes WHERE region = c.region AND year = c.year) THEN
    PERFORM f_raise('MP409', format('no envelope is allocated for %s in %s', c.region, c.year));
  END IF;
  UPDATE calls SET status = d->>'to', version = version + 1, updated_at = now(),
    published_at = CASE WHEN d->>'to' = 'published' THEN now() ELSE published_at END
  WHERE id = c.id RETURNING * INTO c;
  PERFORM mp_emit('funding.call.status_changed.v1', c.id::text,
    jsonb_build_object('call_id', c.id, 'region', c.region, 'year', c.year,
      'from', d->>'from', 'to', d->>'to'), rid);
  RETURN f_call_json(c);
END $$;

-- ---- applications -------------------------------------------------------------

CREATE FUNCTION f_app_json(x applications) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', x.id, 'call_id', x.call_id, 'region', x.region,
    'applicant', x.applicant, 'applicant_type', x.applicant_type, 'holder_sex', x.holder_sex,
    'holder_age_band', x.holder_age_band, 'country_of_residence', x.country_of_residence,
    'title', x.title, 'summary', x.summary, 'commune', x.commune, 'theme', x.theme,
    'budget_lines', x.budget_lines, 'total_budget_minor', x.total_budget_minor,
    'requested_minor', x.requested_minor, 'cofinancing_minor', x.cofinancing_minor,
    'beneficiaries', x.beneficiaries, 'gender_marker', x.gender_marker,
    'status', x.status, 'failed_rules', x.failed_rules, 'score_bp', x.score_bp,
    'committed_minor', x.committed_minor, 'version', x.version,
    'created_at', x.created_at, 'updated_at', x.updated_at,
    'submitted_at', x.submitted_at, 'decided_at', x.decided_at)
$$;

-- What statistics may know of an application: no name, no contact.
CREATE FUNCTION f_app_stats(x applications) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('application_id', x.id, 'call_id', x.call_id, 'region', x.region,
    'commune', x.commune, 'theme', x.theme, 'applicant_type', x.applicant_type,
    'holder_sex', x.holder_sex, 'holder_age_band', x.holder_age_band,
    'requested_minor', x.requested_minor, 'gender_marker', x.gender_marker,
    'beneficiaries_female', x.beneficiaries_female, 'beneficiaries_male', x.beneficiaries_male)
$$;

-- The event of every state change of an application, whether asked for or
-- implied by another change (signature, first tranche, termination).
CREATE FUNCTION f_app_status_event(x applications, from_state text, to_state text, rid text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mp_emit('funding.application.status_changed.v1', x.id::text,
    f_app_stats(x) || jsonb_build_object('from', from_state, 'to', to_state, 'score_bp', x.score_bp), rid);
END $$;

-- Who sees an application: its applicant, the region's officers, an
-- appraiser assigned to it who declared no conflict, the region's ERC
-- members once it is on an agenda, admins.
CREATE FUNCTION f_app_visible(p jsonb, x applications) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT x.owner_sub = p->>'sub' AND f_has(p, 'applicant')
    OR f_officer_of(p, x.region)
    OR (f_has(p, 'appraiser') AND EXISTS (SELECT 1 FROM appraisals ap
        WHERE ap.application_id = x.id AND ap.appraiser_sub = p->>'sub' AND ap.conflict = false))
    OR (f_role_in(p, 'erc_member', x.region) AND EXISTS (SELECT 1 FROM erc_agenda g
        WHERE g.application_id = x.id))
$$;

CREATE FUNCTION f_app_for(p jsonb, app_id text, lock boolean DEFAULT false) RETURNS applications
LANGUAGE plpgsql AS $$
DECLARE x applications;
BEGIN
  IF lock THEN
    SELECT * INTO x FROM applications WHERE applications.id = app_id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO x FROM applications WHERE applications.id = app_id::uuid;
  END IF;
  IF NOT FOUND OR NOT f_app_visible(p, x) THEN PERFORM f_not_found(); END IF;
  RETURN x;
END $$;

-- Derived columns of an application body: totals of budget lines and
-- beneficiaries. Raises 400 naming the field when the body is inconsistent.
CREATE FUNCTION f_app_checks(b jsonb, call_region text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  IF b ? 'commune' THEN
    r := f_commune_region(b->>'commune');
    IF r IS NULL THEN PERFORM f_field_error('commune', 'unknown commune'); END IF;
    IF r <> call_region THEN PERFORM f_field_error('commune', 'the commune is not in the call''s region'); END IF;
  END IF;
  IF b->'applicant' ? 'country_of_residence' AND b->'applicant'->>'country_of_residence' !~ '^[A-Z]{2}$' THEN
    PERFORM f_field_error('applicant.country_of_residence', 'an ISO 3166-1 alpha-2 code such as FR');
  END IF;
  IF b ? 'theme' AND NOT EXISTS (SELECT 1 FROM themes WHERE code = b->>'theme') THEN
    PERFORM f_field_error('theme', 'unknown theme');
  END IF;
  IF b->'applicant' ? 'kind' AND b->'applicant'->>'kind' = 'person'
     AND coalesce(b->'applicant'->>'sex', 'not_applicable') = 'not_applicable' THEN
    PERFORM f_field_error('applicant.sex', 'required for a person');
  END IF;
END $$;

CREATE FUNCTION funding_application_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  c calls;
  x applications;
  ben jsonb := b->'beneficiaries';
BEGIN
  SELECT * INTO c FROM calls WHERE id = (a->>'id')::uuid;
  IF NOT FOUND OR NOT f_call_visible(p, c) THEN PERFORM f_not_found(); END IF;
  IF c.status <> 'published' THEN
    PERFORM f_raise('MP409', 'the call is not open for applications', jsonb_build_object('state', c.status));
  END IF;
  PERFORM f_app_checks(b, c.region);
  INSERT INTO applications (call_id, region, owner_sub, applicant, applicant_type, holder_sex,
    holder_age_band, country_of_residence, title, summary, commune, theme, budget_lines,
    total_budget_minor, requested_minor, cofinancing_minor, beneficiaries,
    beneficiaries_female, beneficiaries_male, gender_marker)
  VALUES (c.id, c.region, p->>'sub', b->'applicant', b->'applicant'->>'type',
    coalesce(b->'applicant'->>'sex', 'not_applicable'), b->'applicant'->>'age_band',
    b->'applicant'->>'country_of_residence', b->'title', b->'summary', b->>'commune',
    b->>'theme', b->'budget_lines',
    (SELECT sum((l->>'amount_minor')::bigint) FROM jsonb_array_elements(b->'budget_lines') l),
    (b->>'requested_minor')::bigint, (b->>'cofinancing_minor')::bigint, ben,
    coalesce((SELECT sum((e->>'count')::int) FROM jsonb_array_elements(ben) e WHERE e->>'sex' = 'female'), 0),
    coalesce((SELECT sum((e->>'count')::int) FROM jsonb_array_elements(ben) e WHERE e->>'sex' = 'male'), 0),
    (b->>'gender_marker')::int)
  RETURNING * INTO x;
  PERFORM mp_emit('funding.application.created.v1', x.id::text, f_app_stats(x), rid);
  RETURN f_app_json(x);
END $$;

CREATE FUNCTION funding_application_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
  RETURN f_app_json(f_app_for(p, a->>'id'));
END $$;

-- The principal's applications: an applicant's own, a region's for its
-- officers (filters: call_id, status), all for admins.
CREATE FUNCTION funding_application_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lim int := f_limit(a);
  cur uuid := f_cursor(a);
  st text := f_filter(a, 'status', ARRAY['draft', 'submitted', 'eligible', 'ineligible',
    'under_appraisal', 'appraised', 'shortlisted', 'selected', 'rejected', 'waitlisted',
    'agreement_signed', 'in_progress', 'completed', 'terminated', 'withdrawn']);
BEGIN
  IF a ? 'call_id' AND a->>'call_id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM f_field_error('call_id', 'a call id');
  END IF;
  RETURN f_page((SELECT jsonb_agg(f_app_json(x) ORDER BY x.id) FROM (
    SELECT * FROM applications x
    WHERE (x.owner_sub = p->>'sub' AND f_has(p, 'applicant') OR f_officer_of(p, x.region))
      AND (st IS NULL OR x.status = st)
      AND (NOT a ? 'call_id' OR x.call_id = (a->>'call_id')::uuid)
      AND (cur IS NULL OR x.id > cur)
    ORDER BY x.id LIMIT lim) x), lim);
END $$;

-- A call's applications, for its region's officers.
CREATE FUNCTION funding_call_applications(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  c calls;
  lim int := f_limit(a);
  cur uuid := f_cursor(a);
BEGIN
  SELECT * INTO c FROM calls WHERE id = (a->>'id')::uuid;
  IF NOT FOUND OR NOT f_officer_of(p, c.region) THEN PERFORM f_not_found(); END IF;
  RETURN f_page((SELECT jsonb_agg(f_app_json(x) ORDER BY x.id) FROM (
    SELECT * FROM applications x WHERE x.call_id = c.id AND (cur IS NULL OR x.id > cur)
    ORDER BY x.id LIMIT lim) x), lim);
END $$;

CREATE FUNCTION funding_application_update(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x applications;
BEGIN
  x := f_app_for(p, a->>'id', true);
  IF x.owner_sub <> p->>'sub' THEN PERFORM f_raise('MP403', 'only the applicant changes an application'); END IF;
  PERFORM f_if_match(a, x.version);
  IF x.status <> 'draft' THEN
    PERFORM f_raise('MP409', 'only a draft application can be changed', jsonb_build_object('state', x.status));
  END IF;
  PERFORM f_app_checks(b, x.region);
  UPDATE applications SET
    title = coalesce(b->'title', title), summary = coalesce(b->'summary', summary),
    commune = coalesce(b->>'commune', commune), theme = coalesce(b->>'theme', theme),
    budget_lines = coalesce(b->'budget_lines', budget_lines),
    total_budget_minor = coalesce((SELECT sum((l->>'amount_minor')::bigint)
      FROM jsonb_array_elements(b->'budget_lines') l), total_budget_minor),
    requested_minor = coalesce((b->>'requested_minor')::bigint, requested_minor),
    cofinancing_minor = coalesce((b->>'cofinancing_minor')::bigint, cofinancing_minor),
    beneficiaries = coalesce(b->'beneficiaries', beneficiaries),
    beneficiaries_female = CASE WHEN b ? 'beneficiaries' THEN coalesce((SELECT sum((e->>'count')::int)
      FROM jsonb_array_elements(b->'beneficiaries') e WHERE e->>'sex' = 'female'), 0) ELSE beneficiaries_female END,
    beneficiaries_male = CASE WHEN b ? 'beneficiaries' THEN coalesce((SELECT sum((e->>'count')::int)
      FROM jsonb_array_elements(b->'beneficiaries') e WHERE e->>'sex' = 'male'), 0) ELSE beneficiaries_male END,
    gender_marker = coalesce((b->>'gender_marker')::int, gender_marker),
    version = version + 1, updated_at = now()
  WHERE id = x.id RETURNING * INTO x;
  PERFORM mp_emit('funding.application.updated.v1', x.id::text, f_app_stats(x), rid);
  RETURN f_app_json(x);
END $$;

-- Facts of the eligibility check: the application, and the call's rules
-- merged with its structured conditions (region, themes, applicant types,
-- maximum grant, minimum co-financing).
CREATE FUNCTION funding_application_submit_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x applications;
  c calls;
BEGIN
  x := f_app_for(p, a->>'id');
  IF x.owner_sub <> p->>'sub' THEN PERFORM f_raise('MP403', 'only the applicant submits an application'); END IF;
  SELECT * INTO c FROM calls WHERE id = x.call_id;
  RETURN json_build_object('state', x.status,
    'rules', c.eligibility_rules || jsonb_build_object('regions', jsonb_build_array(c.region),
      'themes', to_jsonb(c.themes), 'applicant_types', to_jsonb(c.applicant_types),
      'max_grant_minor', c.max_grant_minor, 'min_cofinancing_bp', c.min_cofinancing_bp),
    'facts', json_build_object('applicant_type', x.applicant_type, 'region', x.region,
      'commune', x.commune, 'theme', x.theme, 'requested_minor', x.requested_minor,
      'total_budget_minor', x.total_budget_minor, 'cofinancing_minor', x.cofinancing_minor,
      'beneficiaries_female', x.beneficiaries_female, 'beneficiaries_male', x.beneficiaries_male,
      'gender_marker', x.gender_marker, 'now_ms', f_ms(now()),
      'opens_ms', f_ms(c.opens_at), 'closes_ms', f_ms(c.closes_at)));
END $$;

CREATE FUNCTION funding_application_submit(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x applications;
  outcome text := CASE WHEN (d->>'eligible')::boolean THEN 'eligible' ELSE 'ineligible' END;
BEGIN
  UPDATE applications SET status = outcome, failed_rules = d->'failed', submitted_at = now(),
    version = version + 1, updated_at = now()
  WHERE id = (a->>'id')::uuid AND owner_sub = p->>'sub' AND status = 'draft'
  RETURNING * INTO x;
  IF NOT FOUND THEN
    PERFORM f_raise('MP409', 'the application changed state meanwhile');
  END IF;
  PERFORM mp_emit('funding.application.submitted.v1', x.id::text, f_app_stats(x), rid);
  PERFORM mp_emit('funding.application.eligibility_checked.v1', x.id::text,
    f_app_stats(x) || jsonb_build_object('eligible', outcome = 'eligible',
      'failed_rules', (SELECT coalesce(jsonb_agg(f->'rule'), '[]') FROM jsonb_array_elements(d->'failed') f)), rid);
  RETURN f_app_json(x);
END $$;

-- Facts of a state change: the state, and for the end of the appraisal the
-- results of the appraisers who scored and how many have not yet.
CREATE FUNCTION funding_application_state(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x applications;
BEGIN
  x := f_app_for(p, a->>'id');
  IF NOT (x.owner_sub = p->>'sub' OR f_officer_of(p, x.region)) THEN
    PERFORM f_raise('MP403', 'your role may not change this application');
  END IF;
  RETURN json_build_object('state', x.status,
    'results', (SELECT coalesce(json_agg(result_bp ORDER BY id), '[]') FROM appraisals
                WHERE application_id = x.id AND submitted_at IS NOT NULL),
    'pending', (SELECT count(*) FROM appraisals WHERE application_id = x.id
                AND submitted_at IS NULL AND coalesce(conflict, false) = false));
END $$;

-- Releases what is committed to an application and not disbursed.
CREATE FUNCTION f_release_commitment(x applications, actor text, rid text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  paid bigint;
  g agreements;
  rest bigint;
  yr int;
BEGIN
  IF x.committed_minor = 0 THEN RETURN; END IF;
  SELECT * INTO g FROM agreements WHERE application_id = x.id;
  SELECT coalesce(sum(t.amount_minor), 0) INTO paid FROM tranches t
  WHERE t.agreement_id = g.id AND t.status = 'released';
  rest := x.committed_minor - paid;
  SELECT year INTO yr FROM calls WHERE id = x.call_id;
  IF rest > 0 THEN
    UPDATE envelopes SET committed_minor = committed_minor - rest, version = version + 1, updated_at = now()
    WHERE region = x.region AND year = yr;
    INSERT INTO ledger_entries (region, year, kind, amount_minor, application_id, actor, request_id)
    VALUES (x.region, yr, 'release', rest, x.id, actor, rid);
    UPDATE applications SET committed_minor = committed_minor - rest WHERE id = x.id;
  END IF;
  IF g.id IS NOT NULL AND g.status NOT IN ('closed', 'terminated') THEN
    UPDATE agreements SET status = 'terminated', version = version + 1 WHERE id = g.id;
    PERFORM f_agreement_status_event(g, x, g.status, 'terminated', rid);
  END IF;
END $$;

CREATE FUNCTION funding_application_transition(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x applications;
  g agreements;
  dest text := d->>'to';
BEGIN
  x := f_app_for(p, a->>'id', true);
  PERFORM f_if_match(a, x.version);
  IF x.status <> d->>'from' THEN
    PERFORM f_raise('MP409', 'the application changed state meanwhile', jsonb_build_object('state', x.status));
  END IF;
  IF dest = 'withdrawn' AND x.owner_sub <> p->>'sub' THEN
    PERFORM f_raise('MP403', 'only the applicant withdraws an application');
  END IF;
  IF dest <> 'withdrawn' AND NOT f_officer_of(p, x.region) THEN
    PERFORM f_raise('MP403', 'your role may not make this change');
  END IF;
  IF dest = 'completed' AND NOT EXISTS (SELECT 1 FROM evaluations ev JOIN agreements ag ON ag.id = ev.agreement_id
      WHERE ag.application_id = x.id) THEN
    PERFORM f_raise('MP409', 'a project is completed once its final evaluation is recorded');
  END IF;
  IF dest = 'appraised' AND (SELECT count(*) FROM appraisals WHERE application_id = x.id
      AND submitted_at IS NULL AND coalesce(conflict, false) = false) > 0 THEN
    PERFORM f_raise('MP409', 'an assigned appraiser has not scored yet');
  END IF;
  IF dest = 'terminated' THEN
    PERFORM f_release_commitment(x, p->>'sub', rid);
  END IF;
  UPDATE applications SET status = dest, version = version + 1, updated_at = now(),
    score_bp = CASE WHEN dest = 'appraised' THEN (d->>'score_bp')::int ELSE score_bp END
  WHERE id = x.id RETURNING * INTO x;
  PERFORM f_app_status_event(x, d->>'from', dest, rid);
  IF dest = 'completed' THEN
    UPDATE agreements SET status = 'closed', version = version + 1
    WHERE application_id = x.id AND status = 'active' RETURNING * INTO g;
    IF FOUND THEN PERFORM f_agreement_status_event(g, x, 'active', 'closed', rid); END IF;
  END IF;
  RETURN f_app_json(x);
END $$;

-- Ranking of a call: scored applications by score, then submission time,
-- then id (the total order of funding_rank_sort), for officers.
CREATE FUNCTION funding_call_ranking(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE c calls;
BEGIN
  SELECT * INTO c FROM calls WHERE id = (a->>'id')::uuid;
  IF NOT FOUND OR NOT (f_officer_of(p, c.region) OR f_role_in(p, 'erc_member', c.region)) THEN
    PERFORM f_not_found();
  END IF;
  RETURN json_build_object('call_id', c.id, 'items', coalesce((
    SELECT json_agg(json_build_object('rank', r.rank, 'application_id', r.id, 'title', r.title,
      'status', r.status, 'score_bp', r.score_bp, 'theme', r.theme,
      'applicant_type', r.applicant_type, 'requested_minor', r.requested_minor) ORDER BY r.rank)
    FROM (SELECT x.*, row_number() OVER (ORDER BY x.score_bp DESC, x.submitted_at, x.id) AS rank
          FROM applications x WHERE x.call_id = c.id AND x.score_bp IS NOT NULL) r), '[]'));
END $$;

-- ---- appraisal ---------------------------------------------------------------------

CREATE FUNCTION f_appraisal_json(ap appraisals, full_view boolean) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', ap.id, 'application_id', ap.application_id, 'region', ap.region,
    'appraiser_sub', ap.appraiser_sub, 'assigned_at', ap.assigned_at,
    'conflict', ap.conflict, 'declared_at', ap.declared_at,
    'submitted_at', ap.submitted_at, 'result_bp', ap.result_bp,
    'recommendation', ap.recommendation)
    || CASE WHEN full_view THEN jsonb_build_object('declaration', ap.declaration,
         'scores', ap.scores, 'comments', ap.comments) ELSE '{}' END
$$;

CREATE FUNCTION funding_appraiser_assign(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x applications;
  ap appraisals;
BEGIN
  x := f_app_for(p, a->>'id', true);
  IF NOT f_officer_of(p, x.region) THEN PERFORM f_raise('MP403', 'officers assign appraisers'); END IF;
  IF x.status NOT IN ('eligible', 'under_appraisal') THEN
    PERFORM f_raise('MP409', 'appraisers are assigned to eligible applications', jsonb_build_object('state', x.status));
  END IF;
  IF x.owner_sub = b->>'appraiser_sub' THEN
    PERFORM f_field_error('appraiser_sub', 'an applicant cannot appraise their own application');
  END IF;
  INSERT INTO appraisals (application_id, region, appraiser_sub, assigned_by)
  VALUES (x.id, x.region, b->>'appraiser_sub', p->>'sub') RETURNING * INTO ap;
  PERFORM mp_emit('funding.appraisal.assigned.v1', ap.id::text,
    jsonb_build_object('appraisal_id', ap.id, 'application_id', x.id, 'region', x.region), rid);
  RETURN f_appraisal_json(ap, true);
END $$;

CREATE FUNCTION f_appraisal_for(p jsonb, ap_id text, lock boolean DEFAULT false) RETURNS appraisals
LANGUAGE plpgsql AS $$
DECLARE ap appraisals;
BEGIN
  IF lock THEN
    SELECT * INTO ap FROM appraisals WHERE id = ap_id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO ap FROM appraisals WHERE id = ap_id::uuid;
  END IF;
  IF NOT FOUND OR NOT (ap.appraiser_sub = p->>'sub' AND f_has(p, 'appraiser') OR f_officer_of(p, ap.region)) THEN
    PERFORM f_not_found();
  END IF;
  RETURN ap;
END $$;

CREATE FUNCTION funding_appraisal_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
  RETURN f_appraisal_json(f_appraisal_for(p, a->>'id'), true);
END $$;

-- An appraiser's assignments (their own), or a region's for its officers.
CREATE FUNCTION funding_appraisal_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  lim int := f_limit(a);
  cur uuid := f_cursor(a);
BEGIN
  RETURN f_page((SELECT jsonb_agg(f_appraisal_json(ap, false) ORDER BY ap.id) FROM (
    SELECT * FROM appraisals ap
    WHERE (ap.appraiser_sub = p->>'sub' AND f_has(p, 'appraiser') OR f_officer_of(p, ap.region))
      AND (NOT a ? 'application_id' OR ap.application_id::text = a->>'application_id')
      AND (cur IS NULL OR ap.id > cur)
    ORDER BY ap.id LIMIT lim) ap), lim);
END $$;

-- The declaration comes before the file: a declared conflict excludes the
-- appraiser from it for good.
CREATE FUNCTION funding_appraisal_declare(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE ap appraisals;
BEGIN
  ap := f_appraisal_for(p, a->>'id', true);
  IF ap.appraiser_sub <> p->>'sub' THEN PERFORM f_raise('MP403', 'appraisers declare for themselves'); END IF;
  IF ap.conflict IS NOT NULL THEN
    PERFORM f_raise('MP409', 'the declaration was already made', jsonb_build_object('conflict', ap.conflict));
  END IF;
  UPDATE appraisals SET conflict = (b->>'conflict')::boolean, declaration = b->>'statement', declared_at = now()
  WHERE id = ap.id RETURNING * INTO ap;
  PERFORM mp_emit('funding.appraisal.declared.v1', ap.id::text,
    jsonb_build_object('appraisal_id', ap.id, 'application_id', ap.application_id,
      'region', ap.region, 'conflict', ap.conflict), rid);
  RETURN f_appraisal_json(ap, true);
END $$;

CREATE FUNCTION funding_appraisal_score_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  ap appraisals;
  st text;
  grid jsonb;
BEGIN
  ap := f_appraisal_for(p, a->>'id');
  IF ap.appraiser_sub <> p->>'sub' THEN PERFORM f_raise('MP403', 'only the assigned appraiser scores'); END IF;
  IF ap.conflict IS NULL THEN
    PERFORM f_raise('MP409', 'declare the absence of a conflict of interest first');
  END IF;
  IF ap.conflict THEN PERFORM f_raise('MP403', 'a declared conflict of interest excludes you from this file'); END IF;
  IF ap.submitted_at IS NOT NULL THEN PERFORM f_raise('MP409', 'the appraisal was already submitted'); END IF;
  SELECT x.status, c.scoring_grid INTO st, grid FROM applications x JOIN calls c ON c.id = x.call_id
  WHERE x.id = ap.application_id;
  IF st <> 'under_appraisal' THEN
    PERFORM f_raise('MP409', 'the application is not under appraisal', jsonb_build_object('state', st));
  END IF;
  RETURN json_build_object('grid', grid);
END $$;

CREATE FUNCTION funding_appraisal_submit(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE ap appraisals;
BEGIN
  UPDATE appraisals SET scores = b->'scores', result_bp = (d->>'result_bp')::int,
    comments = b->>'comments', recommendation = b->>'recommendation', submitted_at = now()
  WHERE id = (a->>'id')::uuid AND appraiser_sub = p->>'sub' AND conflict = false AND submitted_at IS NULL
    AND (SELECT status FROM applications WHERE id = application_id) = 'under_appraisal'
  RETURNING * INTO ap;
  IF NOT FOUND THEN PERFORM f_raise('MP409', 'the appraisal changed meanwhile'); END IF;
  PERFORM mp_emit('funding.appraisal.submitted.v1', ap.id::text,
    jsonb_build_object('appraisal_id', ap.id, 'application_id', ap.application_id,
      'region', ap.region, 'result_bp', ap.result_bp, 'recommendation', ap.recommendation), rid);
  RETURN f_appraisal_json(ap, true);
END $$;

-- ---- the ERC ---------------------------------------------------------------------------

CREATE FUNCTION f_member_json(m erc_members) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('id', m.id, 'region', m.region, 'user_sub', m.user_sub,
    'name', m.name, 'college', m.college, 'active', m.active)
$$;

CREATE FUNCTION funding_erc_member_add(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE m erc_members;
BEGIN
  IF NOT f_officer_of(p, b->>'region') THEN
    PERFORM f_raise('MP403', 'officers manage the ERC of their own region');
  END IF;
  INSERT INTO erc_members (region, user_sub, name, college)
  VALUES (b->>'region', b->>'user_sub', b->>'name', b->>'college') RETURNING * INTO m;
  PERFORM mp_emit('funding.erc.member_added.v1', m.id::text,
    jsonb_build_object('member_id', m.id, 'region', m.region, 'college', m.college), rid);
  RETURN f_member_json(m);
END $$;

CREATE FUNCTION funding_erc_member_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('items', coalesce(jsonb_agg(f_member_json(m) ORDER BY m.region, m.college, m.id), '[]'))
  FROM erc_members m
  WHERE (f_officer_of(p, m.region) OR f_role_in(p, 'erc_member', m.region))
    AND (NOT a ? 'region' OR m.region = a->>'region')
$$;

CREATE FUNCTION f_session_for(p jsonb, s_id text, lock boolean DEFAULT false) RETURNS erc_sessions
LANGUAGE plpgsql AS $$
DECLARE s erc_sessions;
BEGIN
  IF lock THEN
    SELECT * INTO s FROM erc_sessions WHERE id = s_id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO s FROM erc_sessions WHERE id = s_id::uuid;
  END IF;
  IF NOT FOUND OR NOT (f_officer_of(p, s.region) OR f_role_in(p, 'erc_member', s.region)) THEN
    PERFORM f_not_found();
  END IF;
  RETURN s;
END $$;

CREATE FUNCTION f_session_json(s erc_sessions) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('id', s.id, 'region', s.region, 'call_id', s.call_id,
    'scheduled_at', s.scheduled_at, 'quorum_bp', s.quorum_bp, 'status', s.status,
    'quorum', s.quorum, 'minutes', s.minutes, 'opened_at', s.opened_at, 'closed_at', s.closed_at,
    'present', (SELECT coalesce(json_agg(member_id ORDER BY member_id), '[]') FROM erc_attendance WHERE session_id = s.id),
    'agenda', (SELECT coalesce(json_agg(json_build_object('application_id', g.application_id,
        'position', g.position, 'title', x.title, 'status', x.status, 'score_bp', x.score_bp,
        'requested_minor', x.requested_minor, 'decision', g.decision, 'tally', g.tally,
        'minutes', g.minutes, 'decided_at', g.decided_at,
        'votes_cast', (SELECT count(*) FROM erc_votes v WHERE v.session_id = s.id AND v.application_id = g.application_id))
        ORDER BY g.position), '[]')
      FROM erc_agenda g JOIN applications x ON x.id = g.application_id WHERE g.session_id = s.id))
$$;

CREATE FUNCTION funding_erc_session_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s erc_sessions;
  bad text;
  i int := 0;
  app text;
BEGIN
  IF NOT f_officer_of(p, b->>'region') THEN
    PERFORM f_raise('MP403', 'officers convene the ERC of their own region');
  END IF;
  SELECT t INTO bad FROM jsonb_array_elements_text(b->'agenda') t
  WHERE NOT EXISTS (SELECT 1 FROM applications x WHERE x.id::text = t AND x.region = b->>'region'
    AND x.status IN ('shortlisted', 'waitlisted')) LIMIT 1;
  IF bad IS NOT NULL THEN
    PERFORM f_field_error('agenda', 'not a shortlisted or waitlisted application of the region: ' || bad);
  END IF;
  IF b ? 'call_id' AND NOT EXISTS (SELECT 1 FROM calls WHERE id = (b->>'call_id')::uuid
      AND region = b->>'region') THEN
    PERFORM f_field_error('call_id', 'not a call of the region');
  END IF;
  INSERT INTO erc_sessions (region, call_id, scheduled_at, quorum_bp)
  VALUES (b->>'region', (b->>'call_id')::uuid, (b->>'scheduled_at')::timestamptz,
    coalesce((b->>'quorum_bp')::int, 5000)) RETURNING * INTO s;
  -- in the order given, each application once
  FOR app IN SELECT t FROM jsonb_array_elements_text(b->'agenda') WITH ORDINALITY AS e(t, n)
      GROUP BY t ORDER BY min(n) LOOP
    i := i + 1;
    INSERT INTO erc_agenda (session_id, application_id, position) VALUES (s.id, app::uuid, i);
  END LOOP;
  PERFORM mp_emit('funding.erc.session_convened.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region, 'agenda_size', i,
      'scheduled_at', s.scheduled_at), rid);
  RETURN f_session_json(s);
END $$;

CREATE FUNCTION funding_erc_session_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
  RETURN f_session_json(f_session_for(p, a->>'id'));
END $$;

CREATE FUNCTION funding_erc_attendance(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s erc_sessions;
  bad text;
BEGIN
  s := f_session_for(p, a->>'id', true);
  IF NOT f_officer_of(p, s.region) THEN PERFORM f_raise('MP403', 'officers record attendance'); END IF;
  IF s.status <> 'convened' THEN
    PERFORM f_raise('MP409', 'attendance is recorded before the session opens', jsonb_build_object('state', s.status));
  END IF;
  SELECT t INTO bad FROM jsonb_array_elements_text(b->'present') t
  WHERE NOT EXISTS (SELECT 1 FROM erc_members m WHERE m.id::text = t AND m.region = s.region AND m.active) LIMIT 1;
  IF bad IS NOT NULL THEN PERFORM f_field_error('present', 'not an active member of the region''s ERC: ' || bad); END IF;
  DELETE FROM erc_attendance WHERE session_id = s.id;
  INSERT INTO erc_attendance (session_id, member_id)
  SELECT DISTINCT s.id, t::uuid FROM jsonb_array_elements_text(b->'present') t;
  PERFORM mp_emit('funding.erc.attendance_recorded.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region,
      'present', (SELECT count(*) FROM erc_attendance WHERE session_id = s.id)), rid);
  RETURN f_session_json(s);
END $$;

-- The member record of the principal in a region's ERC.
CREATE FUNCTION f_member_of(p jsonb, reg text) RETURNS erc_members LANGUAGE plpgsql AS $$
DECLARE m erc_members;
BEGIN
  SELECT * INTO m FROM erc_members WHERE region = reg AND user_sub = p->>'sub' AND active;
  IF NOT FOUND OR NOT f_has(p, 'erc_member') THEN
    PERFORM f_raise('MP403', 'you are not a member of this ERC');
  END IF;
  RETURN m;
END $$;

CREATE FUNCTION funding_erc_conflict(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s erc_sessions;
  m erc_members;
BEGIN
  s := f_session_for(p, a->>'id');
  m := f_member_of(p, s.region);
  IF s.status = 'closed' THEN
    PERFORM f_raise('MP409', 'the session is closed', jsonb_build_object('state', s.status));
  END IF;
  IF NOT EXISTS (SELECT 1 FROM erc_agenda WHERE session_id = s.id AND application_id = (b->>'application_id')::uuid) THEN
    PERFORM f_field_error('application_id', 'not on the session''s agenda');
  END IF;
  IF EXISTS (SELECT 1 FROM erc_votes WHERE session_id = s.id AND member_id = m.id
      AND application_id = (b->>'application_id')::uuid) THEN
    PERFORM f_raise('MP409', 'you already voted on this application');
  END IF;
  INSERT INTO erc_conflicts (session_id, member_id, application_id, statement)
  VALUES (s.id, m.id, (b->>'application_id')::uuid, b->>'statement')
  ON CONFLICT DO NOTHING;
  IF FOUND THEN -- a repeated declaration changes nothing and says nothing
    PERFORM mp_emit('funding.erc.conflict_declared.v1', s.id::text,
      jsonb_build_object('session_id', s.id, 'region', s.region,
        'application_id', b->>'application_id', 'college', m.college), rid);
  END IF;
  RETURN f_session_json(s);
END $$;

CREATE FUNCTION funding_erc_quorum_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s erc_sessions;
BEGIN
  s := f_session_for(p, a->>'id');
  IF NOT f_officer_of(p, s.region) THEN PERFORM f_raise('MP403', 'officers open a session'); END IF;
  IF s.status <> 'convened' THEN
    PERFORM f_raise('MP409', 'the session is not waiting to open', jsonb_build_object('state', s.status));
  END IF;
  RETURN json_build_object('quorum_bp', s.quorum_bp, 'members', (
    SELECT coalesce(json_agg(json_build_object('id', m.id, 'college', m.college,
      'present', EXISTS (SELECT 1 FROM erc_attendance t WHERE t.session_id = s.id AND t.member_id = m.id))
      ORDER BY m.id), '[]')
    FROM erc_members m WHERE m.region = s.region AND m.active));
END $$;

CREATE FUNCTION funding_erc_session_open(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s erc_sessions;
BEGIN
  UPDATE erc_sessions SET status = 'open', opened_at = now(), quorum = d->'quorum'
  WHERE id = (a->>'id')::uuid AND status = 'convened' RETURNING * INTO s;
  IF NOT FOUND THEN PERFORM f_raise('MP409', 'the session changed state meanwhile'); END IF;
  PERFORM mp_emit('funding.erc.session_opened.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region, 'quorum', s.quorum), rid);
  RETURN f_session_json(s);
END $$;

CREATE FUNCTION funding_erc_vote(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s erc_sessions;
  m erc_members;
  app uuid := (b->>'application_id')::uuid;
BEGIN
  s := f_session_for(p, a->>'id');
  m := f_member_of(p, s.region);
  IF s.status <> 'open' THEN
    PERFORM f_raise('MP409', 'votes are cast while the session is open', jsonb_build_object('state', s.status));
  END IF;
  PERFORM 1 FROM erc_agenda WHERE session_id = s.id AND application_id = app AND decision IS NULL FOR SHARE;
  IF NOT FOUND THEN
    PERFORM f_raise('MP409', 'the application is not awaiting a decision in this session');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM erc_attendance WHERE session_id = s.id AND member_id = m.id) THEN
    PERFORM f_raise('MP403', 'only members present at the session vote');
  END IF;
  IF EXISTS (SELECT 1 FROM erc_conflicts WHERE session_id = s.id AND member_id = m.id AND application_id = app) THEN
    PERFORM f_raise('MP403', 'a declared conflict of interest excludes you from this vote');
  END IF;
  INSERT INTO erc_votes (session_id, application_id, member_id, choice)
  VALUES (s.id, app, m.id, b->>'choice') ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN PERFORM f_raise('MP409', 'you already voted on this application'); END IF;
  PERFORM mp_emit('funding.erc.vote_cast.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region, 'application_id', app), rid);
  RETURN json_build_object('session_id', s.id, 'application_id', app, 'member_id', m.id,
    'choice', b->>'choice');
END $$;

CREATE FUNCTION funding_erc_tally_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s erc_sessions;
  app uuid := (b->>'application_id')::uuid;
BEGIN
  s := f_session_for(p, a->>'id');
  IF NOT f_officer_of(p, s.region) THEN PERFORM f_raise('MP403', 'officers record the ERC''s decisions'); END IF;
  IF s.status <> 'open' THEN
    PERFORM f_raise('MP409', 'decisions are recorded while the session is open', jsonb_build_object('state', s.status));
  END IF;
  IF NOT EXISTS (SELECT 1 FROM erc_agenda WHERE session_id = s.id AND application_id = app AND decision IS NULL) THEN
    PERFORM f_raise('MP409', 'the application is not awaiting a decision in this session');
  END IF;
  RETURN json_build_object(
    'members', (SELECT coalesce(json_agg(json_build_object('id', m.id, 'college', m.college,
        'present', EXISTS (SELECT 1 FROM erc_attendance t WHERE t.session_id = s.id AND t.member_id = m.id),
        'conflicted', EXISTS (SELECT 1 FROM erc_conflicts c WHERE c.session_id = s.id
          AND c.member_id = m.id AND c.application_id = app)) ORDER BY m.id), '[]')
      FROM erc_members m WHERE m.region = s.region AND m.active),
    'votes', (SELECT coalesce(json_agg(json_build_object('member_id', v.member_id, 'choice', v.choice)
        ORDER BY v.member_id), '[]')
      FROM erc_votes v WHERE v.session_id = s.id AND v.application_id = app));
END $$;

-- Records the ERC's decision on one agenda item; a selection commits the
-- requested amount of the region's envelope (or the whole statement fails
-- with 409 when it does not fit).
CREATE FUNCTION funding_erc_decide(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s erc_sessions;
  x applications;
  yr int;
  dec text := d->>'decision';
  votes_now bigint;
BEGIN
  s := f_session_for(p, a->>'id');
  PERFORM 1 FROM erc_agenda WHERE session_id = s.id AND application_id = (b->>'application_id')::uuid
    AND decision IS NULL FOR UPDATE;
  IF NOT FOUND OR s.status <> 'open' THEN
    PERFORM f_raise('MP409', 'the application is not awaiting a decision in this session');
  END IF;
  SELECT count(*) INTO votes_now FROM erc_votes WHERE session_id = s.id
    AND application_id = (b->>'application_id')::uuid;
  IF votes_now <> (d->>'for')::bigint + (d->>'against')::bigint + (d->>'abstain')::bigint THEN
    PERFORM f_raise('MP409', 'a vote was cast meanwhile; record the decision again');
  END IF;
  SELECT * INTO x FROM applications WHERE id = (b->>'application_id')::uuid FOR UPDATE;
  IF x.status NOT IN ('shortlisted', 'waitlisted') THEN
    PERFORM f_raise('MP409', 'the application is not awaiting an ERC decision', jsonb_build_object('state', x.status));
  END IF;
  IF dec = 'selected' THEN
    SELECT year INTO yr FROM calls WHERE id = x.call_id;
    PERFORM f_commit(x.region, yr, x.requested_minor, x.id, p->>'sub', rid);
    x.committed_minor := x.requested_minor;
  END IF;
  UPDATE erc_agenda SET decision = dec, decided_at = now(), minutes = b->>'minutes',
    tally = jsonb_build_object('for', d->'for', 'against', d->'against', 'abstain', d->'abstain')
  WHERE session_id = s.id AND application_id = x.id;
  UPDATE applications SET status = dec, decided_at = now(), committed_minor = x.committed_minor,
    version = version + 1, updated_at = now()
  WHERE id = x.id RETURNING * INTO x;
  PERFORM mp_emit('funding.application.decided.v1', x.id::text,
    f_app_stats(x) || jsonb_build_object('decision', dec, 'session_id', s.id,
      'committed_minor', x.committed_minor,
      'tally', jsonb_build_object('for', d->'for', 'against', d->'against', 'abstain', d->'abstain')), rid);
  RETURN f_session_json(s);
END $$;

CREATE FUNCTION funding_erc_session_close(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s erc_sessions;
BEGIN
  s := f_session_for(p, a->>'id', true);
  IF NOT f_officer_of(p, s.region) THEN PERFORM f_raise('MP403', 'officers close a session'); END IF;
  IF s.status <> 'open' THEN
    PERFORM f_raise('MP409', 'only an open session can be closed', jsonb_build_object('state', s.status));
  END IF;
  UPDATE erc_sessions SET status = 'closed', closed_at = now(), minutes = b->>'minutes'
  WHERE id = s.id RETURNING * INTO s;
  PERFORM mp_emit('funding.erc.session_closed.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region,
      'decided', (SELECT count(*) FROM erc_agenda WHERE session_id = s.id AND decision IS NOT NULL)), rid);
  RETURN f_session_json(s);
END $$;

-- ---- agreements and tranches -----------------------------------------------------

CREATE FUNCTION f_agreement_json(g agreements) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('id', g.id, 'application_id', g.application_id, 'region', g.region,
    'year', g.year, 'approved_minor', g.approved_minor, 'currency', g.currency,
    'status', g.status, 'version', g.version, 'created_at', g.created_at, 'signed_at', g.signed_at,
    'disbursed_minor', (SELECT coalesce(sum(amount_minor), 0) FROM tranches WHERE agreement_id = g.id AND status = 'released'),
    'tranches', (SELECT coalesce(json_agg(json_build_object('id', t.id, 'seq', t.seq,
        'amount_minor', t.amount_minor, 'condition', t.condition, 'status', t.status,
        'released_at', t.released_at) ORDER BY t.seq), '[]') FROM tranches t WHERE t.agreement_id = g.id),
    'reports', (SELECT coalesce(json_agg(json_build_object('id', r.id, 'milestone', r.milestone,
        'status', r.status, 'period_end', r.period_end) ORDER BY r.period_end, r.id), '[]')
      FROM reports r WHERE r.agreement_id = g.id),
    'visits', (SELECT coalesce(json_agg(json_build_object('id', v.id, 'visited_on', v.visited_on,
        'findings', v.findings) ORDER BY v.visited_on, v.id), '[]') FROM site_visits v WHERE v.agreement_id = g.id),
    'evaluation', (SELECT json_build_object('ratings', e.ratings, 'texts', e.texts, 'summary', e.summary,
        'created_at', e.created_at) FROM evaluations e WHERE e.agreement_id = g.id))
$$;

-- The event of every state change of an agreement.
CREATE FUNCTION f_agreement_status_event(g agreements, x applications, from_state text,
    to_state text, rid text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mp_emit('funding.agreement.status_changed.v1', g.id::text,
    jsonb_build_object('agreement_id', g.id, 'application_id', g.application_id, 'region', g.region,
      'commune', x.commune, 'theme', x.theme, 'from', from_state, 'to', to_state,
      'approved_minor', g.approved_minor), rid);
END $$;

-- An agreement, for its region's officers and its applicant.
CREATE FUNCTION f_agreement_for(p jsonb, g_id text, lock boolean DEFAULT false) RETURNS agreements
LANGUAGE plpgsql AS $$
DECLARE
  g agreements;
  owner text;
BEGIN
  IF lock THEN
    SELECT * INTO g FROM agreements WHERE id = g_id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO g FROM agreements WHERE id = g_id::uuid;
  END IF;
  IF FOUND THEN
    SELECT owner_sub INTO owner FROM applications WHERE id = g.application_id;
  END IF;
  IF NOT FOUND OR NOT (f_officer_of(p, g.region) OR owner = p->>'sub' AND f_has(p, 'applicant')) THEN
    PERFORM f_not_found();
  END IF;
  RETURN g;
END $$;

CREATE FUNCTION funding_agreement_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE x applications;
BEGIN
  x := f_app_for(p, a->>'id');
  IF NOT f_officer_of(p, x.region) THEN PERFORM f_raise('MP403', 'officers draw up agreements'); END IF;
  IF x.status <> 'selected' THEN
    PERFORM f_raise('MP409', 'an agreement is drawn up for a selected application', jsonb_build_object('state', x.status));
  END IF;
  RETURN json_build_object('approved_minor', x.committed_minor);
END $$;

CREATE FUNCTION funding_agreement_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  x applications;
  c calls;
  g agreements;
  t jsonb;
  i int := 0;
BEGIN
  x := f_app_for(p, a->>'id', true);
  IF x.status <> 'selected' OR NOT f_officer_of(p, x.region) THEN
    PERFORM f_raise('MP409', 'the application changed meanwhile', jsonb_build_object('state', x.status));
  END IF;
  SELECT * INTO c FROM calls WHERE id = x.call_id;
  INSERT INTO agreements (application_id, region, year, approved_minor, currency)
  VALUES (x.id, x.region, c.year, x.committed_minor, c.currency) RETURNING * INTO g;
  FOR t IN SELECT * FROM jsonb_array_elements(b->'tranches') LOOP
    i := i + 1;
    INSERT INTO tranches (agreement_id, seq, amount_minor, condition)
    VALUES (g.id, i, (t->>'amount_minor')::bigint, t->>'condition');
  END LOOP;
  PERFORM mp_emit('funding.agreement.created.v1', g.id::text,
    jsonb_build_object('agreement_id', g.id, 'application_id', x.id, 'region', g.region,
      'approved_minor', g.approved_minor, 'currency', g.currency, 'tranches', i), rid);
  RETURN f_agreement_json(g);
END $$;

CREATE FUNCTION funding_agreement_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
  RETURN f_agreement_json(f_agreement_for(p, a->>'id'));
END $$;

CREATE FUNCTION funding_agreement_state(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE g agreements;
BEGIN
  g := f_agreement_for(p, a->>'id');
  RETURN json_build_object('state', g.status);
END $$;

CREATE FUNCTION funding_agreement_transition(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  g agreements;
  x applications;
  dest text := d->>'to';
BEGIN
  g := f_agreement_for(p, a->>'id', true);
  IF NOT f_officer_of(p, g.region) THEN PERFORM f_raise('MP403', 'officers manage agreements'); END IF;
  PERFORM f_if_match(a, g.version);
  IF g.status <> d->>'from' THEN
    PERFORM f_raise('MP409', 'the agreement changed state meanwhile', jsonb_build_object('state', g.status));
  END IF;
  SELECT * INTO x FROM applications WHERE id = g.application_id FOR UPDATE;
  IF dest = 'closed' AND EXISTS (SELECT 1 FROM tranches WHERE agreement_id = g.id AND status <> 'released') THEN
    PERFORM f_raise('MP409', 'an agreement is closed once every tranche is released');
  END IF;
  UPDATE agreements SET status = dest, version = version + 1,
    signed_at = CASE WHEN dest = 'signed' THEN now() ELSE signed_at END
  WHERE id = g.id RETURNING * INTO g;
  PERFORM f_agreement_status_event(g, x, d->>'from', dest, rid);
  IF dest = 'terminated' THEN
    -- what was committed and not paid returns to the envelope (the
    -- agreement is already terminated: no second event)
    PERFORM f_release_commitment(x, p->>'sub', rid);
    UPDATE applications SET status = 'terminated', version = version + 1, updated_at = now()
    WHERE id = x.id AND status IN ('agreement_signed', 'in_progress') RETURNING * INTO x;
    IF FOUND THEN PERFORM f_app_status_event(x, CASE WHEN d->>'from' = 'signed'
      THEN 'agreement_signed' ELSE 'in_progress' END, 'terminated', rid); END IF;
  END IF;
  IF dest = 'signed' THEN
    UPDATE tranches SET status = 'releasable' WHERE agreement_id = g.id AND condition = 'signature' AND status = 'planned';
    UPDATE applications SET status = 'agreement_signed', version = version + 1, updated_at = now()
    WHERE id = x.id AND status = 'selected' RETURNING * INTO x;
    IF FOUND THEN PERFORM f_app_status_event(x, 'selected', 'agreement_signed', rid); END IF;
  END IF;
  RETURN f_agreement_json(g);
END $$;

CREATE FUNCTION funding_tranche_facts(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  t tranches;
  g agreements;
BEGIN
  SELECT * INTO t FROM tranches WHERE id = (a->>'id')::uuid;
  IF NOT FOUND THEN PERFORM f_not_found(); END IF;
  g := f_agreement_for(p, t.agreement_id::text);
  IF NOT f_officer_of(p, g.region) THEN PERFORM f_raise('MP403', 'officers release tranches'); END IF;
  IF t.status = 'released' THEN PERFORM f_raise('MP409', 'the tranche was already released'); END IF;
  IF g.status NOT IN ('signed', 'active') THEN
    PERFORM f_raise('MP409', 'tranches are released under a signed agreement', jsonb_build_object('state', g.status));
  END IF;
  RETURN json_build_object('condition', t.condition, 'signed', g.signed_at IS NOT NULL,
    'milestones', (SELECT coalesce(json_agg(milestone ORDER BY milestone), '[]') FROM reports
                   WHERE agreement_id = g.id AND status = 'approved'));
END $$;

-- Releases a tranche: a disbursement in the ledger, the agreement becomes
-- active and the project in progress at the first one.
CREATE FUNCTION funding_tranche_release(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  t tranches;
  g agreements;
  x applications;
BEGIN
  UPDATE tranches SET status = 'released', released_at = now()
  WHERE id = (a->>'id')::uuid AND status <> 'released' RETURNING * INTO t;
  IF NOT FOUND THEN PERFORM f_raise('MP409', 'the tranche was already released'); END IF;
  SELECT * INTO g FROM agreements WHERE id = t.agreement_id FOR UPDATE;
  IF g.status NOT IN ('signed', 'active') OR NOT f_officer_of(p, g.region) THEN
    PERFORM f_raise('MP409', 'the agreement changed meanwhile', jsonb_build_object('state', g.status));
  END IF;
  UPDATE envelopes SET disbursed_minor = disbursed_minor + t.amount_minor, version = version + 1, updated_at = now()
  WHERE region = g.region AND year = g.year AND committed_minor - disbursed_minor >= t.amount_minor;
  IF NOT FOUND THEN
    PERFORM f_raise('MP409', 'the envelope has not committed this amount',
      jsonb_build_object('type', 'urn:mp:problem:budget-exceeded'));
  END IF;
  INSERT INTO ledger_entries (region, year, kind, amount_minor, application_id, tranche_id, actor, request_id)
  VALUES (g.region, g.year, 'disbursement', t.amount_minor, g.application_id, t.id, p->>'sub', rid);
  SELECT * INTO x FROM applications WHERE id = g.application_id;
  IF g.status = 'signed' THEN
    UPDATE agreements SET status = 'active', version = version + 1 WHERE id = g.id RETURNING * INTO g;
    PERFORM f_agreement_status_event(g, x, 'signed', 'active', rid);
  END IF;
  UPDATE applications SET status = 'in_progress', version = version + 1, updated_at = now()
  WHERE id = g.application_id AND status = 'agreement_signed' RETURNING * INTO x;
  IF FOUND THEN PERFORM f_app_status_event(x, 'agreement_signed', 'in_progress', rid); END IF;
  SELECT * INTO x FROM applications WHERE id = g.application_id;
  PERFORM mp_emit('funding.tranche.released.v1', t.id::text,
    jsonb_build_object('tranche_id', t.id, 'agreement_id', g.id, 'application_id', g.application_id,
      'region', g.region, 'commune', x.commune, 'theme', x.theme, 'applicant_type', x.applicant_type,
      'holder_sex', x.holder_sex, 'seq', t.seq, 'amount_minor', t.amount_minor,
      'currency', g.currency, 'year', g.year), rid);
  SELECT * INTO g FROM agreements WHERE id = g.id;
  RETURN f_agreement_json(g);
END $$;

-- ---- monitoring and evaluation ------------------------------------------------------

CREATE FUNCTION f_report_json(r reports) RETURNS json LANGUAGE sql IMMUTABLE AS $$
  SELECT json_build_object('id', r.id, 'agreement_id', r.agreement_id, 'milestone', r.milestone,
    'period_end', r.period_end, 'indicators', r.indicators, 'narrative', r.narrative,
    'status', r.status, 'review_comment', r.review_comment, 'version', r.version,
    'created_at', r.created_at, 'submitted_at', r.submitted_at, 'reviewed_at', r.reviewed_at)
$$;

CREATE FUNCTION funding_report_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  g agreements;
  r reports;
BEGIN
  g := f_agreement_for(p, a->>'id');
  IF NOT EXISTS (SELECT 1 FROM applications WHERE id = g.application_id AND owner_sub = p->>'sub') THEN
    PERFORM f_raise('MP403', 'the project holder writes the progress reports');
  END IF;
  IF g.status NOT IN ('signed', 'active') THEN
    PERFORM f_raise('MP409', 'reports are written under a signed agreement', jsonb_build_object('state', g.status));
  END IF;
  IF b->>'milestone' !~ '^[a-z0-9_-]{1,64}$' THEN
    PERFORM f_field_error('milestone', 'lower-case letters, digits, _ and - (it names a tranche condition)');
  END IF;
  INSERT INTO reports (agreement_id, milestone, period_end, indicators, narrative)
  VALUES (g.id, b->>'milestone', (b->>'period_end')::date, b->'indicators', b->>'narrative')
  RETURNING * INTO r;
  PERFORM mp_emit('funding.report.created.v1', r.id::text,
    jsonb_build_object('report_id', r.id, 'agreement_id', g.id, 'region', g.region, 'milestone', r.milestone), rid);
  RETURN f_report_json(r);
END $$;

CREATE FUNCTION f_report_for(p jsonb, r_id text, lock boolean DEFAULT false) RETURNS reports
LANGUAGE plpgsql AS $$
DECLARE r reports;
BEGIN
  IF lock THEN
    SELECT * INTO r FROM reports WHERE id = r_id::uuid FOR UPDATE;
  ELSE
    SELECT * INTO r FROM reports WHERE id = r_id::uuid;
  END IF;
  IF NOT FOUND THEN PERFORM f_not_found(); END IF;
  PERFORM f_agreement_for(p, r.agreement_id::text);
  RETURN r;
END $$;

CREATE FUNCTION funding_report_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
  RETURN f_report_json(f_report_for(p, a->>'id'));
END $$;

CREATE FUNCTION funding_report_state(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
  RETURN json_build_object('state', (f_report_for(p, a->>'id')).status);
END $$;

CREATE FUNCTION funding_report_transition(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  r reports;
  g agreements;
  x applications;
  dest text := d->>'to';
BEGIN
  r := f_report_for(p, a->>'id', true);
  SELECT * INTO g FROM agreements WHERE id = r.agreement_id;
  SELECT * INTO x FROM applications WHERE id = g.application_id;
  PERFORM f_if_match(a, r.version);
  IF r.status <> d->>'from' THEN
    PERFORM f_raise('MP409', 'the report changed state meanwhile', jsonb_build_object('state', r.status));
  END IF;
  IF dest = 'submitted' AND x.owner_sub <> p->>'sub' THEN
    PERFORM f_raise('MP403', 'the project holder submits the report');
  END IF;
  IF dest IN ('approved', 'changes_requested') AND NOT f_officer_of(p, g.region) THEN
    PERFORM f_raise('MP403', 'officers review reports');
  END IF;
  UPDATE reports SET status = dest, version = version + 1,
    review_comment = CASE WHEN dest IN ('approved', 'changes_requested') THEN b->>'comment' ELSE review_comment END,
    submitted_at = CASE WHEN dest = 'submitted' THEN now() ELSE submitted_at END,
    reviewed_at = CASE WHEN dest IN ('approved', 'changes_requested') THEN now() ELSE reviewed_at END
  WHERE id = r.id RETURNING * INTO r;
  IF dest = 'approved' THEN
    UPDATE tranches SET status = 'releasable'
    WHERE agreement_id = g.id AND status = 'planned' AND condition = 'report_approved:' || r.milestone;
  END IF;
  PERFORM mp_emit('funding.report.status_changed.v1', r.id::text,
    jsonb_build_object('report_id', r.id, 'agreement_id', g.id, 'application_id', g.application_id,
      'region', g.region, 'commune', x.commune, 'theme', x.theme, 'milestone', r.milestone,
      'from', d->>'from', 'to', dest,
      'indicators', CASE WHEN dest = 'approved' THEN r.indicators END), rid);
  RETURN f_report_json(r);
END $$;

CREATE FUNCTION funding_visit_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  g agreements;
  v site_visits;
BEGIN
  g := f_agreement_for(p, a->>'id');
  IF NOT f_officer_of(p, g.region) THEN PERFORM f_raise('MP403', 'officers record site visits'); END IF;
  INSERT INTO site_visits (agreement_id, visited_on, findings, visited_by)
  VALUES (g.id, (b->>'visited_on')::date, b->>'findings', p->>'sub') RETURNING * INTO v;
  PERFORM mp_emit('funding.visit.recorded.v1', v.id::text,
    jsonb_build_object('visit_id', v.id, 'agreement_id', g.id, 'region', g.region, 'visited_on', v.visited_on), rid);
  RETURN json_build_object('id', v.id, 'agreement_id', g.id, 'visited_on', v.visited_on,
    'findings', v.findings, 'created_at', v.created_at);
END $$;

CREATE FUNCTION funding_evaluation_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  g agreements;
  x applications;
BEGIN
  g := f_agreement_for(p, a->>'id', true);
  IF NOT f_officer_of(p, g.region) THEN PERFORM f_raise('MP403', 'officers record evaluations'); END IF;
  IF g.status NOT IN ('active', 'closed') THEN
    PERFORM f_raise('MP409', 'a project is evaluated once it has started', jsonb_build_object('state', g.status));
  END IF;
  SELECT * INTO x FROM applications WHERE id = g.application_id;
  INSERT INTO evaluations (agreement_id, ratings, texts, summary, evaluated_by)
  VALUES (g.id, b->'ratings', b->'texts', b->>'summary', p->>'sub');
  PERFORM mp_emit('funding.evaluation.recorded.v1', g.id::text,
    jsonb_build_object('agreement_id', g.id, 'application_id', g.application_id, 'region', g.region,
      'commune', x.commune, 'theme', x.theme, 'ratings', b->'ratings'), rid);
  RETURN f_agreement_json(g);
END $$;

-- ---- dashboards ------------------------------------------------------------------------

-- Optional ?year= filter.
CREATE FUNCTION f_year(a jsonb) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF NOT a ? 'year' THEN RETURN NULL; END IF;
  IF a->>'year' !~ '^[0-9]{4}$' THEN PERFORM f_field_error('year', 'a year such as 2027'); END IF;
  RETURN (a->>'year')::int;
END $$;

-- The regions a dashboard covers: one region asked for (404 when not
-- allowed), or every region the principal may see.
CREATE FUNCTION f_dashboard_regions(p jsonb, a jsonb) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE regs text[];
BEGIN
  SELECT array_agg(code ORDER BY code) INTO regs FROM regions r
  WHERE (f_officer_of(p, r.code) OR f_role_in(p, 'gender_analyst', r.code))
    AND (NOT a ? 'region' OR r.code = a->>'region');
  IF regs IS NULL THEN PERFORM f_not_found(); END IF;
  RETURN regs;
END $$;

CREATE FUNCTION f_count_by(regs text[], yr int, col text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE j jsonb;
BEGIN
  EXECUTE format('SELECT coalesce(jsonb_object_agg(k, n), ''{}'') FROM (SELECT x.%I AS k, count(*) AS n
    FROM applications x JOIN calls c ON c.id = x.call_id
    WHERE x.region = ANY ($1) AND ($2 IS NULL OR c.year = $2) AND x.status <> ''draft''
    GROUP BY x.%I) s', col, col) INTO j USING regs, yr;
  RETURN j;
END $$;

CREATE FUNCTION funding_dashboard(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  regs text[] := f_dashboard_regions(p, a);
  yr int := f_year(a);
  decided bigint;
  selected bigint;
BEGIN
  SELECT count(*) FILTER (WHERE x.status IN ('selected', 'rejected', 'waitlisted', 'agreement_signed',
           'in_progress', 'completed', 'terminated')),
         count(*) FILTER (WHERE x.status IN ('selected', 'agreement_signed', 'in_progress', 'completed', 'terminated'))
    INTO decided, selected
  FROM applications x JOIN calls c ON c.id = x.call_id
  WHERE x.region = ANY (regs) AND (yr IS NULL OR c.year = yr);
  RETURN json_build_object('regions', to_json(regs), 'year', yr,
    'applications', json_build_object(
      'by_state', f_count_by(regs, yr, 'status'), 'by_theme', f_count_by(regs, yr, 'theme'),
      'by_applicant_type', f_count_by(regs, yr, 'applicant_type'),
      'by_holder_sex', f_count_by(regs, yr, 'holder_sex')),
    'decided', decided, 'selected', selected,
    'selection_rate_bp', CASE WHEN decided > 0 THEN (selected * 10000 + decided / 2) / decided END,
    'envelopes', (SELECT coalesce(jsonb_agg(f_envelope_json(e) ORDER BY e.region, e.year), '[]')
      FROM envelopes e WHERE e.region = ANY (regs) AND (yr IS NULL OR e.year = yr)));
END $$;

-- The same figures as CSV rows: section,region,key,value.
CREATE FUNCTION funding_dashboard_csv(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  regs text[] := f_dashboard_regions(p, a);
  yr int := f_year(a);
  out text := E'section,region,key,value\n';
  r record;
BEGIN
  FOR r IN
    SELECT s.section, s.region, s.k, s.n FROM (
      SELECT 'applications_by_' || k.dim AS section, x.region, k.val AS k, count(*)::bigint AS n
        FROM applications x JOIN calls c ON c.id = x.call_id,
        LATERAL (VALUES ('state', x.status), ('theme', x.theme),
                        ('applicant_type', x.applicant_type), ('holder_sex', x.holder_sex)) k(dim, val)
        WHERE x.region = ANY (regs) AND x.status <> 'draft' AND (yr IS NULL OR c.year = yr)
        GROUP BY 1, 2, 3
      UNION ALL
      SELECT 'envelope_' || k.key, e.region, e.year::text, k.value::bigint FROM envelopes e,
        LATERAL (VALUES ('allocated_minor', e.allocated_minor), ('committed_minor', e.committed_minor),
                        ('disbursed_minor', e.disbursed_minor)) k(key, value)
        WHERE e.region = ANY (regs) AND (yr IS NULL OR e.year = yr)
    ) s ORDER BY 1, 2, 3
  LOOP
    out := out || format(E'%s,%s,%s,%s\n', r.section, r.region, r.k, r.n);
  END LOOP;
  RETURN out;
END $$;
