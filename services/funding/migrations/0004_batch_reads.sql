-- Batch reads: ?ids=<id>,<id>,... on the lists of calls and of
-- applications, so a client that needs many of them by id (the gateway's
-- GraphQL façade, for the items of a list) reads them in one request
-- instead of one each. 1 to 100 ids; the page then holds them all (limit
-- at least their count); visibility is the list's, so an id the caller may
-- not see is simply absent, as a 404 would be.

CREATE FUNCTION f_ids(a jsonb) RETURNS uuid[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE parts text[];
BEGIN
  IF NOT a ? 'ids' THEN RETURN NULL; END IF;
  parts := string_to_array(a->>'ids', ',');
  IF coalesce(cardinality(parts), 0) NOT BETWEEN 1 AND 100 OR EXISTS (
      SELECT 1 FROM unnest(parts) x
      WHERE x !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') THEN
    PERFORM f_field_error('ids', 'from 1 to 100 ids, comma-separated');
  END IF;
  RETURN parts::uuid[];
END $$;

CREATE OR REPLACE FUNCTION funding_call_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  ids uuid[] := f_ids(a);
  lim int := greatest(f_limit(a), coalesce(cardinality(ids), 0));
  cur uuid := f_cursor(a);
  st text := f_filter(a, 'status', ARRAY['draft', 'published', 'closed', 'decided', 'archived']);
  reg text := f_filter(a, 'region', ARRAY['souss-massa', 'oriental']);
BEGIN
  RETURN f_page((SELECT jsonb_agg(f_call_json(c) ORDER BY c.id) FROM (
    SELECT * FROM calls c
    WHERE f_call_visible(p, c) AND (st IS NULL OR c.status = st)
      AND (reg IS NULL OR c.region = reg) AND (cur IS NULL OR c.id > cur)
      AND (ids IS NULL OR c.id = ANY (ids))
    ORDER BY c.id LIMIT lim) c), lim);
END $$;

CREATE OR REPLACE FUNCTION funding_application_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  ids uuid[] := f_ids(a);
  lim int := greatest(f_limit(a), coalesce(cardinality(ids), 0));
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
      AND (ids IS NULL OR x.id = ANY (ids))
      AND (cur IS NULL OR x.id > cur)
    ORDER BY x.id LIMIT lim) x), lim);
END $$;
