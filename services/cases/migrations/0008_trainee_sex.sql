-- Certified agents by sex. The dashboards count certified agents and
-- mediators by sex (sex-disaggregated, like every figure about people),
-- and the gender service counts them from cases.training.certified.v1, so
-- the agent's sex is recorded where the training data is: a trainee
-- record, the agent's own profile attribute (never a beneficiary's),
-- written by the officer who records a session's attendance (each
-- attendee now gives person_sub, role and sex). One fact, one place: a
-- certification refers to its trainee through person_sub; its event
-- carries the sex it was certified with (and region, commune: no name).
-- Certifications made before this migration have no trainee record: the
-- dashboard counts them apart as certified_sex_unrecorded until their
-- session's attendance is recorded again with the sex.

CREATE TABLE trainees (
  person_sub text PRIMARY KEY CHECK (length(person_sub) BETWEEN 1 AND 64),
  sex text NOT NULL CHECK (sex IN ('female', 'male')),
  recorded_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION c_session_json(s training_sessions) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', s.id, 'region', s.region, 'commune', s.commune, 'module', s.module,
    'held_on', s.held_on, 'trainer', s.trainer, 'created_at', s.created_at,
    'attendance', coalesce((SELECT jsonb_agg(jsonb_build_object('person_sub', t.person_sub, 'role', t.role,
        'sex', tr.sex) ORDER BY t.person_sub)
      FROM training_attendance t LEFT JOIN trainees tr ON tr.person_sub = t.person_sub
      WHERE t.session_id = s.id), '[]'))
$$;

CREATE OR REPLACE FUNCTION c_certification_json(c certifications) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', c.id, 'person_sub', c.person_sub, 'role', c.role, 'region', c.region,
    'sex', (SELECT tr.sex FROM trainees tr WHERE tr.person_sub = c.person_sub),
    'session_id', c.session_id, 'certified_at', c.certified_at, 'expires_at', c.expires_at,
    'revoked_at', c.revoked_at, 'current', c.revoked_at IS NULL AND c.expires_at > now())
$$;

-- Who attended a session (replaces the list), with each attendee's sex
-- (their trainee record, created or corrected here).
CREATE OR REPLACE FUNCTION cases_training_attendance(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE s training_sessions;
BEGIN
  IF a->>'id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN PERFORM mp_not_found(); END IF;
  SELECT * INTO s FROM training_sessions WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT c_officer_of(p, s.region) THEN PERFORM mp_not_found(); END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(b->'attendees') e
             WHERE coalesce(e->>'sex', '') NOT IN ('female', 'male')) THEN
    PERFORM mp_field_error('attendees', 'each attendee has a sex: female or male');
  END IF;
  DELETE FROM training_attendance WHERE session_id = s.id
    AND person_sub NOT IN (SELECT c.person_sub FROM certifications c WHERE c.session_id = s.id);
  INSERT INTO training_attendance (session_id, person_sub, role)
  SELECT DISTINCT ON (e->>'person_sub') s.id, e->>'person_sub', e->>'role'
  FROM jsonb_array_elements(b->'attendees') e
  ON CONFLICT (session_id, person_sub) DO UPDATE SET role = excluded.role;
  INSERT INTO trainees (person_sub, sex, recorded_by)
  SELECT DISTINCT ON (e->>'person_sub') e->>'person_sub', e->>'sex', p->>'sub'
  FROM jsonb_array_elements(b->'attendees') e
  ON CONFLICT (person_sub) DO UPDATE SET sex = excluded.sex, recorded_by = excluded.recorded_by,
    updated_at = now() WHERE trainees.sex <> excluded.sex;
  PERFORM mp_emit('cases.training.attendance_recorded.v1', s.id::text,
    jsonb_build_object('session_id', s.id, 'region', s.region, 'commune', s.commune,
      'present', (SELECT count(*) FROM training_attendance WHERE session_id = s.id)), rid);
  RETURN c_session_json(s);
END $$;

-- Certifies an agent or mediator who attended a session, for valid_days;
-- the event carries the trainee's sex (what the gender indicators count).
CREATE OR REPLACE FUNCTION cases_certification_create(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  s training_sessions;
  c certifications;
  t training_attendance;
  sx text;
BEGIN
  SELECT * INTO s FROM training_sessions WHERE id = (b->>'session_id')::uuid;
  IF NOT FOUND OR NOT c_officer_of(p, s.region) THEN
    PERFORM mp_field_error('session_id', 'not a training session of your region');
  END IF;
  SELECT * INTO t FROM training_attendance WHERE session_id = s.id AND person_sub = b->>'person_sub';
  IF NOT FOUND THEN PERFORM mp_field_error('person_sub', 'did not attend the session'); END IF;
  SELECT tr.sex INTO sx FROM trainees tr WHERE tr.person_sub = t.person_sub;
  IF sx IS NULL THEN
    PERFORM mp_field_error('person_sub', 'no sex recorded for the trainee: record the session''s attendance again');
  END IF;
  INSERT INTO certifications (person_sub, role, region, session_id, expires_at, certified_by)
  VALUES (t.person_sub, t.role, s.region, s.id,
    now() + make_interval(days => coalesce((b->>'valid_days')::int, 365)), p->>'sub')
  RETURNING * INTO c;
  PERFORM mp_emit('cases.training.certified.v1', c.id::text,
    jsonb_build_object('certification_id', c.id, 'region', c.region, 'commune', s.commune, 'role', c.role,
      'sex', sx, 'module', s.module, 'expires_at', c.expires_at), rid);
  RETURN c_certification_json(c);
END $$;

-- Withdraws a certification at once; the event carries what the
-- certification's own event carried, so a consumer can take it back out
-- of the same cell.
CREATE OR REPLACE FUNCTION cases_certification_revoke(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE c certifications;
BEGIN
  IF a->>'id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN PERFORM mp_not_found(); END IF;
  SELECT * INTO c FROM certifications WHERE id = (a->>'id')::uuid FOR UPDATE;
  IF NOT FOUND OR NOT c_officer_of(p, c.region) THEN PERFORM mp_not_found(); END IF;
  IF c.revoked_at IS NOT NULL THEN PERFORM mp_raise('MP409', 'the certification was already revoked'); END IF;
  UPDATE certifications SET revoked_at = now() WHERE id = c.id RETURNING * INTO c;
  PERFORM mp_emit('cases.training.certification_revoked.v1', c.id::text,
    jsonb_build_object('certification_id', c.id, 'region', c.region, 'role', c.role,
      'commune', (SELECT ts.commune FROM training_sessions ts WHERE ts.id = c.session_id),
      'sex', (SELECT tr.sex FROM trainees tr WHERE tr.person_sub = c.person_sub)), rid);
  RETURN c_certification_json(c);
END $$;

-- The dashboard: 0006's, with its "certified" table (by role only)
-- replaced by the certified agents and mediators by role and sex (exact
-- counts {role, sex, n}; the service suppresses in C), and those whose sex
-- was never recorded counted apart. 0006's function stays as the body of
-- the other tables (region checks included: it raises before anything is
-- counted here).
ALTER FUNCTION cases_dashboard(jsonb, jsonb, jsonb, jsonb, text) RENAME TO c_dashboard_tables;

CREATE FUNCTION cases_dashboard(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  base jsonb := c_dashboard_tables(p, a, b, d, rid)::jsonb;
  reg text := base->>'region';
  com text := base->>'commune';
BEGIN
  RETURN (base || jsonb_build_object(
    'certified', (SELECT coalesce(jsonb_agg(jsonb_build_object('role', s.role, 'sex', s.sex, 'n', s.n)
        ORDER BY s.role, s.sex), '[]')
      FROM (SELECT c.role, tr.sex, count(DISTINCT c.person_sub) AS n FROM certifications c
              JOIN training_sessions ts ON ts.id = c.session_id
              JOIN trainees tr ON tr.person_sub = c.person_sub
            WHERE c.region = reg AND c.revoked_at IS NULL AND c.expires_at > now()
              AND (com IS NULL OR ts.commune = com) GROUP BY 1, 2) s),
    'certified_sex_unrecorded', (SELECT count(DISTINCT c.person_sub) FROM certifications c
              JOIN training_sessions ts ON ts.id = c.session_id
            WHERE c.region = reg AND c.revoked_at IS NULL AND c.expires_at > now()
              AND (com IS NULL OR ts.commune = com)
              AND NOT EXISTS (SELECT 1 FROM trainees tr WHERE tr.person_sub = c.person_sub))))::json;
END $$;
