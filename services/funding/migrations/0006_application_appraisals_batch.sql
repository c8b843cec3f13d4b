-- Appraisals per application for many applications at once:
-- GET /v1/funding/application-appraisals?application_ids=<id>,...&per_parent=<n>
-- answers {"items": [{"application_id", "items", "next_cursor"}, ...]}:
-- for each listed application, the first page of its appraisals exactly as
-- GET /v1/funding/appraisals?application_id=<id>&limit=<n> gives it (the
-- appraisals the caller may see: an appraiser their own, the officers of
-- the region all; ordered by id, next_cursor when the page is full), one
-- entry per listed id (an empty page as the single read's), in one
-- statement. The gateway's GraphQL façade reads a level's per-application
-- connections with it.

CREATE INDEX appraisals_application ON appraisals (application_id, id);

CREATE FUNCTION funding_application_appraisals_batch(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  ids uuid[] := f_id_list(a, 'application_ids');
  -- ?per_parent= read as ?limit= is (1..200, default 50)
  lim int := CASE WHEN a ? 'per_parent' THEN f_limit(jsonb_build_object('limit', a->>'per_parent')) ELSE 50 END;
BEGIN
  IF ids IS NULL THEN PERFORM f_field_error('application_ids', 'required'); END IF;
  RETURN json_build_object('items', (
    SELECT jsonb_agg(jsonb_build_object('application_id', parent.id) || f_page(page.items, lim)::jsonb
      ORDER BY parent.id)
    FROM (SELECT DISTINCT unnest(ids) AS id) parent
    CROSS JOIN LATERAL (
      SELECT jsonb_agg(f_appraisal_json(ap, false) ORDER BY ap.id) AS items FROM (
        SELECT * FROM appraisals ap
        WHERE ap.application_id = parent.id
          AND (ap.appraiser_sub = p->>'sub' AND f_has(p, 'appraiser') OR f_officer_of(p, ap.region))
        ORDER BY ap.id LIMIT lim) ap) page));
END $$;
