-- Indicators built from the other services' events.
--
-- The consumer (src/consume.c) hands every event of events:funding and
-- events:cases to gender_project() inside the transaction that records
-- its id in the inbox, so each event's effect happens exactly once. An
-- event becomes at most one row of `facts` per (kind, subject): what the
-- statistics need (place, period, sex, age band, beneficiary type,
-- gender marker, an amount), never who. Indicators are aggregates of
-- facts of one kind (the `indicators` catalogue); the disclosure control
-- and the table layout are done in C (src/domain_suppress.c).

-- ---- reference data (the same codes as the funding service) ----------------
CREATE TABLE provinces (
  code text PRIMARY KEY,
  region text NOT NULL REFERENCES regions (code),
  name jsonb NOT NULL
);
CREATE TABLE communes (
  code text PRIMARY KEY,
  province text NOT NULL REFERENCES provinces (code),
  name jsonb NOT NULL
);
INSERT INTO provinces (code, region, name) VALUES
  ('agadir-ida-ou-tanane', 'souss-massa', '{"fr": "Agadir-Ida-Ou-Tanane"}'),
  ('inezgane-ait-melloul', 'souss-massa', '{"fr": "Inezgane-Aït Melloul"}'),
  ('chtouka-ait-baha', 'souss-massa', '{"fr": "Chtouka-Aït Baha"}'),
  ('taroudant', 'souss-massa', '{"fr": "Taroudant"}'),
  ('tiznit', 'souss-massa', '{"fr": "Tiznit"}'),
  ('tata', 'souss-massa', '{"fr": "Tata"}'),
  ('oujda-angad', 'oriental', '{"fr": "Oujda-Angad"}'),
  ('berkane', 'oriental', '{"fr": "Berkane"}'),
  ('nador', 'oriental', '{"fr": "Nador"}'),
  ('driouch', 'oriental', '{"fr": "Driouch"}'),
  ('taourirt', 'oriental', '{"fr": "Taourirt"}'),
  ('jerada', 'oriental', '{"fr": "Jerada"}'),
  ('guercif', 'oriental', '{"fr": "Guercif"}'),
  ('figuig', 'oriental', '{"fr": "Figuig"}');
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

-- ---- the projection ------------------------------------------------------------
CREATE TABLE facts (
  kind text NOT NULL CHECK (kind IN ('application_submitted', 'application_selected',
    'tranche_released', 'person_accompanied', 'referral_completed', 'agent_certified',
    'first_referral')),
  subject text NOT NULL,
  region text NOT NULL REFERENCES regions (code),
  province text,
  commune text,
  day date NOT NULL,
  sex text NOT NULL CHECK (sex IN ('female', 'male', 'not_applicable', 'unknown')),
  age_band text,
  beneficiary_type text,
  gender_marker smallint CHECK (gender_marker BETWEEN 0 AND 2),
  amount bigint NOT NULL DEFAULT 0,
  days int,
  event_id text NOT NULL,
  PRIMARY KEY (kind, subject)
);
CREATE INDEX facts_kind_region_day ON facts (kind, region, day);

-- One row: how many times the projection was rebuilt and when.
CREATE TABLE projection_state (
  id int PRIMARY KEY CHECK (id = 1),
  generation int NOT NULL DEFAULT 0,
  rebuilt_at timestamptz,
  events_applied bigint NOT NULL DEFAULT 0
);
INSERT INTO projection_state (id) VALUES (1);

-- The indicator catalogue: each is a measure over facts of one kind,
-- women vs men (column sex) or by gender marker (column gender_marker).
CREATE TABLE indicators (
  code text PRIMARY KEY,
  kind text NOT NULL,
  measure text NOT NULL CHECK (measure IN ('count', 'amount', 'median_days')),
  columns text NOT NULL CHECK (columns IN ('sex', 'gender_marker')),
  unit text NOT NULL,
  label jsonb NOT NULL,
  position int NOT NULL
);
INSERT INTO indicators (code, kind, measure, columns, unit, label, position) VALUES
  ('women_applicants', 'application_submitted', 'count', 'sex', 'people',
   '{"fr": "Porteurs de projets candidats", "ar": "حاملو المشاريع المترشحون", "en": "Project holders who applied"}', 1),
  ('women_selected', 'application_selected', 'count', 'sex', 'people',
   '{"fr": "Porteurs de projets retenus", "ar": "حاملو المشاريع المختارون", "en": "Project holders selected"}', 2),
  ('women_funded_amount', 'application_selected', 'amount', 'sex', 'minor_units',
   '{"fr": "Montant financé", "ar": "المبلغ الممول", "en": "Amount funded"}', 3),
  ('women_disbursed_amount', 'tranche_released', 'amount', 'sex', 'minor_units',
   '{"fr": "Montant décaissé", "ar": "المبلغ المصروف", "en": "Amount disbursed"}', 4),
  ('women_accompanied', 'person_accompanied', 'count', 'sex', 'people',
   '{"fr": "Personnes accompagnées", "ar": "الأشخاص المرافقون", "en": "People accompanied"}', 5),
  ('women_referrals_completed', 'referral_completed', 'count', 'sex', 'people',
   '{"fr": "Orientations abouties", "ar": "التوجيهات المنجزة", "en": "Referrals completed"}', 6),
  ('women_agents_certified', 'agent_certified', 'count', 'sex', 'people',
   '{"fr": "Agents certifiés", "ar": "الأعوان المعتمدون", "en": "Agents certified"}', 7),
  ('days_to_first_referral', 'first_referral', 'median_days', 'sex', 'days',
   '{"fr": "Délai jusqu''à la première orientation", "ar": "المدة حتى أول توجيه", "en": "Days to first referral"}', 8),
  ('gender_marker_funded', 'application_selected', 'count', 'gender_marker', 'projects',
   '{"fr": "Projets financés par marqueur genre", "ar": "المشاريع الممولة حسب مؤشر النوع", "en": "Funded projects by gender marker"}', 9);

-- ---- disclosure control, audit, targets ----------------------------------------
CREATE TABLE disclosure_settings (
  region text PRIMARY KEY REFERENCES regions (code),
  threshold int NOT NULL DEFAULT 5 CHECK (threshold BETWEEN 1 AND 100),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO disclosure_settings (region) VALUES ('souss-massa'), ('oriental');

-- Every read of unsuppressed figures: who, when, what.
CREATE TABLE unsuppressed_reads (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  sub text NOT NULL,
  region text NOT NULL,
  indicator text NOT NULL,
  query jsonb NOT NULL,
  request_id text
);

CREATE TABLE targets (
  indicator text NOT NULL REFERENCES indicators (code),
  region text NOT NULL REFERENCES regions (code),
  kind text NOT NULL DEFAULT 'at_least' CHECK (kind IN ('at_least', 'at_most')),
  target_bp int NOT NULL CHECK (target_bp BETWEEN 0 AND 10000),
  version int NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (indicator, region)
);
INSERT INTO targets (indicator, region, target_bp)
SELECT i, r, 4000 FROM unnest(ARRAY['women_applicants', 'women_selected',
  'women_funded_amount', 'women_disbursed_amount']) i, unnest(ARRAY['souss-massa', 'oriental']) r;

-- ---- consumption -------------------------------------------------------------------
CREATE FUNCTION g_place(d jsonb, OUT region text, OUT province text, OUT commune text)
LANGUAGE sql STABLE AS $$
  SELECT d->>'region', (SELECT c.province FROM communes c WHERE c.code = d->>'commune'), d->>'commune'
$$;

CREATE FUNCTION g_fact(k text, subj text, d jsonb, ev jsonb, sex text, age text, btype text,
  marker int, amt bigint, ndays int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE pl record;
BEGIN
  pl := g_place(d);
  INSERT INTO facts (kind, subject, region, province, commune, day, sex, age_band,
    beneficiary_type, gender_marker, amount, days, event_id)
  VALUES (k, subj, pl.region, pl.province, pl.commune, (ev->>'time')::timestamptz::date,
    coalesce(sex, 'unknown'), age, btype, marker, coalesce(amt, 0), ndays, ev->>'id')
  ON CONFLICT (kind, subject) DO UPDATE SET region = EXCLUDED.region,
    province = EXCLUDED.province, commune = EXCLUDED.commune, day = EXCLUDED.day,
    sex = EXCLUDED.sex, age_band = EXCLUDED.age_band,
    beneficiary_type = EXCLUDED.beneficiary_type, gender_marker = EXCLUDED.gender_marker,
    amount = EXCLUDED.amount, days = EXCLUDED.days, event_id = EXCLUDED.event_id;
END $$;

-- The keys an event's data must carry to be projected; a known type
-- without them is malformed.
CREATE FUNCTION g_has(d jsonb, VARIADIC keys text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT d ?& keys $$;

-- Apply one CloudEvent. Returns 'applied', 'ignored' (a known type that
-- changes no indicator) or 'rejected' (unknown type, malformed data: the
-- consumer sends it to the dead-letter stream). Idempotence comes from
-- the inbox; replays give the same rows because every value, the day
-- included, comes from the event itself.
CREATE FUNCTION gender_project(ev jsonb) RETURNS text LANGUAGE plpgsql AS $$
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
  UPDATE projection_state SET events_applied = events_applied + 1 WHERE id = 1;
  PERFORM mp_emit('gender.indicator.updated.v1', d->>'region',
    jsonb_build_object('region', d->>'region', 'period', to_char((ev->>'time')::timestamptz, 'YYYYMM'),
      'indicators', (SELECT coalesce(jsonb_agg(i.code ORDER BY i.position), '[]')
                     FROM indicators i WHERE i.kind = ANY (kinds))),
    ev->>'requestid');
  RETURN 'applied';
END $$;

-- Rebuild from scratch: forget the projection and the inbox entries of the
-- consumed streams, in the transaction of the consumer that then rewinds
-- its groups to the start of each stream (src/consume.c). Everything the
-- streams still hold is applied again, in order, exactly once.
CREATE FUNCTION gender_projection_reset() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE facts IN ACCESS EXCLUSIVE MODE;
  DELETE FROM facts;
  DELETE FROM inbox WHERE source IN ('urn:mp:funding', 'urn:mp:cases');
  UPDATE projection_state SET generation = generation + 1, rebuilt_at = now(),
    events_applied = 0 WHERE id = 1;
END $$;

-- Ask for a rebuild (the admin route and `make gender-replay`): an event
-- on the service's own stream, executed by its consumer.
CREATE FUNCTION gender_replay_request(requested_by text, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE g int;
BEGIN
  SELECT generation INTO g FROM projection_state WHERE id = 1;
  PERFORM mp_emit('gender.projection.rebuild_requested.v1', 'projection',
    jsonb_build_object('generation', g + 1, 'requested_by', requested_by), rid);
  RETURN json_build_object('status', 'requested', 'generation', g + 1);
END $$;

-- ---- queries ---------------------------------------------------------------------
-- DHIS2 period identifier of a day.
CREATE FUNCTION g_period(d date, ptype text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE ptype WHEN 'monthly' THEN to_char(d, 'YYYYMM')
    WHEN 'quarterly' THEN to_char(d, 'YYYY"Q"Q') ELSE to_char(d, 'YYYY') END
$$;

CREATE FUNCTION g_items(it jsonb, k text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY(SELECT jsonb_array_elements_text(it->k))
$$;

CREATE FUNCTION g_label(l jsonb, lang text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(l->>lang, l->>'fr', l->>'en')
$$;

-- Codes -> labels in the caller's language (charts, CSV readers).
CREATE FUNCTION g_names(lang text) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_object_agg(code, g_label(name, lang)) FROM (
    SELECT code, name FROM regions UNION ALL SELECT code, name FROM provinces
    UNION ALL SELECT code, name FROM communes) x
$$;

-- Who may read unsuppressed figures of the regions `scope`: a gender
-- analyst whose token names exactly that one region. Raises 403 otherwise.
CREATE FUNCTION g_unsuppressed_ok(p jsonb, scope text[]) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT mp_has_role(p, 'gender_analyst') THEN
    PERFORM mp_raise('MP403', 'unsuppressed figures are for gender analysts');
  END IF;
  IF coalesce(p->>'region', '') = '' OR scope IS DISTINCT FROM ARRAY[p->>'region'] THEN
    PERFORM mp_raise('MP403', format('unsuppressed figures are limited to your region: '
      'add filter=region:%s', coalesce(p->>'region', '')));
  END IF;
  RETURN true;
END $$;

-- The facts of an indicator query (src/indicators.c decides the layout and
-- the disclosure control). a: {"code", "unsuppressed", "q": the parsed
-- query (domain_query.c, gender_query_json), "lang"}.
CREATE FUNCTION gender_figures_load(p jsonb, a jsonb, b jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  ind indicators;
  q jsonb := a->'q';
  it jsonb := coalesce(a->'q'->'items', '{}');
  pt text := coalesce(a->'q'->>'ptype', 'yearly');
  dims text[];
  rdims text[];
  scope text[];
  priv boolean := false;
  thr int;
  cells json;
BEGIN
  SELECT * INTO ind FROM indicators WHERE code = a->>'code';
  IF NOT FOUND THEN PERFORM mp_not_found(); END IF;
  IF a->>'unsuppressed' IS NOT NULL AND a->>'unsuppressed' NOT IN ('true', 'false') THEN
    PERFORM mp_field_error('unsuppressed', 'true or false');
  END IF;
  scope := CASE WHEN it ? 'region' THEN g_items(it, 'region') ELSE ARRAY['souss-massa', 'oriental'] END;
  IF a->>'unsuppressed' = 'true' THEN
    priv := g_unsuppressed_ok(p, scope);
  END IF;
  SELECT coalesce(max(threshold), 5) INTO thr FROM disclosure_settings WHERE region = ANY (scope);
  dims := g_items(q, 'dims');
  rdims := ARRAY(SELECT d FROM unnest(dims) WITH ORDINALITY u(d, o)
                 WHERE d <> ind.columns ORDER BY o);
  WITH f AS (
    SELECT * FROM facts x WHERE x.kind = ind.kind
      AND (ind.columns <> 'sex' OR x.sex IN ('female', 'male'))
      AND (NOT it ? 'region' OR x.region = ANY (g_items(it, 'region')))
      AND (NOT it ? 'province' OR x.province = ANY (g_items(it, 'province')))
      AND (NOT it ? 'commune' OR x.commune = ANY (g_items(it, 'commune')))
      AND (NOT it ? 'sex' OR x.sex = ANY (g_items(it, 'sex')))
      AND (NOT it ? 'age_band' OR x.age_band = ANY (g_items(it, 'age_band')))
      AND (NOT it ? 'beneficiary_type' OR x.beneficiary_type = ANY (g_items(it, 'beneficiary_type')))
      AND (NOT it ? 'gender_marker' OR x.gender_marker::text = ANY (g_items(it, 'gender_marker')))
      AND (NOT it ? 'period' OR EXISTS (SELECT 1 FROM jsonb_array_elements(it->'period') pe
           WHERE x.day >= (pe->>'from')::date AND x.day < (pe->>'to')::date))
  ), g AS (
    SELECT CASE WHEN 'region' = ANY (rdims) THEN region END AS k_region,
      CASE WHEN 'province' = ANY (rdims) THEN coalesce(province, 'unknown') END AS k_province,
      CASE WHEN 'commune' = ANY (rdims) THEN coalesce(commune, 'unknown') END AS k_commune,
      CASE WHEN 'period' = ANY (rdims) THEN g_period(day, pt) END AS k_period,
      CASE WHEN 'sex' = ANY (rdims) THEN sex END AS k_sex,
      CASE WHEN 'age_band' = ANY (rdims) THEN coalesce(age_band, 'unknown') END AS k_age_band,
      CASE WHEN 'beneficiary_type' = ANY (rdims) THEN coalesce(beneficiary_type, 'unknown') END AS k_btype,
      CASE WHEN 'gender_marker' = ANY (rdims) THEN coalesce(gender_marker::text, 'unknown') END AS k_marker,
      CASE ind.columns WHEN 'sex' THEN sex ELSE coalesce(gender_marker::text, 'unknown') END AS col,
      count(*) AS n, sum(amount) AS amt,
      array_agg(days) FILTER (WHERE days IS NOT NULL) AS ds
    FROM f GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ), k AS (
    SELECT g.*, (SELECT coalesce(jsonb_agg(CASE d WHEN 'region' THEN k_region
        WHEN 'province' THEN k_province WHEN 'commune' THEN k_commune
        WHEN 'period' THEN k_period WHEN 'sex' THEN k_sex WHEN 'age_band' THEN k_age_band
        WHEN 'beneficiary_type' THEN k_btype ELSE k_marker END ORDER BY o), '[]')
      FROM unnest(rdims) WITH ORDINALITY u(d, o)) AS keys
    FROM g
  )
  SELECT coalesce(json_agg(json_build_object('keys', keys, 'col', col, 'count', n,
      'value', CASE ind.measure WHEN 'amount' THEN amt WHEN 'count' THEN n ELSE 0 END,
      'days', coalesce(to_json(ds), '[]'::json)) ORDER BY keys::text, col), '[]')
    INTO cells FROM k;
  RETURN json_build_object('code', ind.code, 'label', g_label(ind.label, a->>'lang'),
    'measure', ind.measure, 'columns', ind.columns, 'unit', ind.unit,
    'threshold', thr, 'privileged', priv, 'cells', cells, 'names', g_names(a->>'lang'));
END $$;

-- Record an unsuppressed read (decision "unsuppressed": true).
CREATE FUNCTION g_audit(p jsonb, a jsonb, d jsonb, rid text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO unsuppressed_reads (sub, region, indicator, query, request_id)
  SELECT p->>'sub', p->>'region', a->>'code', coalesce(a->'q', '{}'), rid
  WHERE coalesce((d->>'unsuppressed')::boolean, false)
$$;

-- Answer of a figures route: the decision's body (JSON) or text (CSV, SVG).
CREATE FUNCTION gender_figures_out(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM g_audit(p, a, d, rid);
  RETURN (d->'body')::json;
END $$;

CREATE FUNCTION gender_figures_text(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM g_audit(p, a, d, rid);
  RETURN d->>'text';
END $$;

-- The catalogue.
CREATE FUNCTION gender_indicator_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('items', coalesce(json_agg(json_build_object('code', code,
    'label', g_label(label, a->>'lang'), 'measure', measure, 'columns', columns, 'unit', unit)
    ORDER BY position), '[]')) FROM indicators
$$;

-- ---- targets, gaps, trends, alerts -------------------------------------------------------
-- The women's share of an indicator in a region over [from, to).
CREATE FUNCTION g_share(ind indicators, reg text, f date, t date) RETURNS int LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN sum(CASE ind.measure WHEN 'amount' THEN amount ELSE 1 END) > 0 THEN
    round(10000.0 * sum(CASE WHEN sex = 'female' THEN CASE ind.measure WHEN 'amount' THEN amount ELSE 1 END ELSE 0 END)
      / sum(CASE ind.measure WHEN 'amount' THEN amount ELSE 1 END))::int END
  FROM facts WHERE kind = ind.kind AND region = reg AND sex IN ('female', 'male')
    AND day >= f AND day < t
$$;

-- Targets of the regions the caller may read (all, for public callers:
-- targets and shares are published figures), with the current year's
-- share, the previous year's, the gap and the trend. a: region, year.
CREATE FUNCTION gender_targets_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE y int;
BEGIN
  IF a->>'year' IS NOT NULL AND a->>'year' !~ '^\d{4}$' THEN
    PERFORM mp_field_error('year', 'a year such as 2027');
  END IF;
  IF a->>'region' IS NOT NULL AND a->>'region' NOT IN ('souss-massa', 'oriental') THEN
    PERFORM mp_field_error('region', 'souss-massa or oriental');
  END IF;
  y := coalesce((a->>'year')::int, extract(year FROM now())::int);
  RETURN (SELECT json_build_object('year', y, 'items', coalesce(json_agg(x ORDER BY x.position, x.region), '[]'))
  FROM (
    SELECT i.position, t.indicator, t.region, t.kind, t.target_bp, t.version,
      s.cur AS value_bp, s.prev AS previous_bp,
      CASE WHEN s.cur IS NOT NULL THEN s.cur - t.target_bp END AS gap_bp,
      CASE WHEN s.cur IS NULL THEN NULL
        WHEN t.kind = 'at_least' THEN s.cur < t.target_bp ELSE s.cur > t.target_bp END AS off_target,
      CASE WHEN s.cur IS NULL OR s.prev IS NULL THEN NULL
        WHEN abs(s.cur - s.prev) <= 100 THEN 'stable'
        WHEN (s.cur > s.prev) = (t.kind = 'at_least') THEN 'improving' ELSE 'worsening' END AS trend
    FROM targets t JOIN indicators i ON i.code = t.indicator,
    LATERAL (SELECT g_share(i, t.region, make_date(y, 1, 1), make_date(y + 1, 1, 1)) AS cur,
                    g_share(i, t.region, make_date(y - 1, 1, 1), make_date(y, 1, 1)) AS prev) s
    WHERE a->>'region' IS NULL OR t.region = a->>'region') x);
END $$;

-- What is off target (same facts, only the alerts).
CREATE FUNCTION gender_alerts(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('year', l->'year', 'items', coalesce((SELECT json_agg(e)
    FROM json_array_elements(l->'items') e WHERE (e->>'off_target')::boolean), '[]'))
  FROM gender_targets_list(p, a, b, d, rid) l
$$;

-- Set a target: gender analysts of the region, admins.
CREATE FUNCTION gender_target_put(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE t targets;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM indicators WHERE code = a->>'code' AND columns = 'sex'
                 AND measure <> 'median_days')
     OR a->>'region' NOT IN ('souss-massa', 'oriental') THEN
    PERFORM mp_not_found();
  END IF;
  IF NOT (mp_has_role(p, 'admin') OR (mp_has_role(p, 'gender_analyst') AND p->>'region' = a->>'region')) THEN
    PERFORM mp_not_found();
  END IF;
  INSERT INTO targets (indicator, region, kind, target_bp)
  VALUES (a->>'code', a->>'region', coalesce(b->>'kind', 'at_least'), (b->>'target_bp')::int)
  ON CONFLICT (indicator, region) DO UPDATE SET kind = EXCLUDED.kind,
    target_bp = EXCLUDED.target_bp, version = targets.version + 1, updated_at = now()
  RETURNING * INTO t;
  PERFORM mp_emit('gender.target.set.v1', t.indicator || '/' || t.region,
    jsonb_build_object('indicator', t.indicator, 'region', t.region, 'kind', t.kind,
      'target_bp', t.target_bp), rid);
  RETURN json_build_object('indicator', t.indicator, 'region', t.region, 'kind', t.kind,
    'target_bp', t.target_bp, 'version', t.version);
END $$;

-- ---- disclosure settings and the projection, for operators ----------------------------
CREATE FUNCTION gender_disclosure_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('items', json_agg(json_build_object('region', region,
    'threshold', threshold, 'updated_at', updated_at) ORDER BY region)) FROM disclosure_settings
$$;

CREATE FUNCTION gender_disclosure_put(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s disclosure_settings;
BEGIN
  UPDATE disclosure_settings SET threshold = (b->>'threshold')::int, updated_at = now()
  WHERE region = a->>'region' RETURNING * INTO s;
  IF NOT FOUND THEN PERFORM mp_not_found(); END IF;
  PERFORM mp_emit('gender.disclosure.changed.v1', s.region,
    jsonb_build_object('region', s.region, 'threshold', s.threshold), rid);
  RETURN json_build_object('region', s.region, 'threshold', s.threshold, 'updated_at', s.updated_at);
END $$;

CREATE FUNCTION gender_projection_get(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('generation', s.generation, 'rebuilt_at', s.rebuilt_at,
    'events_applied', s.events_applied,
    'facts', (SELECT coalesce(json_object_agg(kind, n), '{}') FROM
      (SELECT kind, count(*) n FROM facts GROUP BY kind) c))
  FROM projection_state s
$$;

CREATE FUNCTION gender_replay(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql AS $$ SELECT gender_replay_request('api', rid) $$;
