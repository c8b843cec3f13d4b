-- Applications per call for many calls at once:
-- GET /v1/funding/call-applications?call_ids=<id>,<id>,...&per_parent=<n>
-- answers {"items": [{"call_id", "items", "next_cursor"}, ...]}: for each
-- call the caller may see, the first page of its applications exactly as
-- GET /v1/funding/calls/{id}/applications?limit=<n> gives it (ordered by
-- id, next_cursor when the page is full), in one statement (a LATERAL
-- page per call over applications_call). Visibility is the single read's:
-- the officers of the call's region (and admins); a call the caller may
-- not see, or that does not exist, is absent, as its 404 would be. The
-- gateway's GraphQL façade reads a level's per-call connections with it.

-- 1 to 100 comma-separated UUIDs from the query parameter `name`, NULL
-- when absent (400 naming it when malformed).
CREATE FUNCTION f_id_list(a jsonb, name text) RETURNS uuid[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE parts text[];
BEGIN
  IF NOT a ? name THEN RETURN NULL; END IF;
  parts := string_to_array(a->>name, ',');
  IF coalesce(cardinality(parts), 0) NOT BETWEEN 1 AND 100 OR EXISTS (
      SELECT 1 FROM unnest(parts) x
      WHERE x !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') THEN
    PERFORM f_field_error(name, 'from 1 to 100 ids, comma-separated');
  END IF;
  RETURN parts::uuid[];
END $$;

-- ?ids= of the batch reads of 0004, now one case of f_id_list.
CREATE OR REPLACE FUNCTION f_ids(a jsonb) RETURNS uuid[] LANGUAGE sql IMMUTABLE AS $$
  SELECT f_id_list(a, 'ids')
$$;

CREATE FUNCTION funding_call_applications_batch(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  ids uuid[] := f_id_list(a, 'call_ids');
  lim int := 50;
BEGIN
  IF ids IS NULL THEN PERFORM f_field_error('call_ids', 'required'); END IF;
  IF a ? 'per_parent' THEN
    IF a->>'per_parent' !~ '^[0-9]{1,3}$' OR (a->>'per_parent')::int NOT BETWEEN 1 AND 200 THEN
      PERFORM f_field_error('per_parent', 'an integer from 1 to 200');
    END IF;
    lim := (a->>'per_parent')::int;
  END IF;
  RETURN json_build_object('items', coalesce((
    SELECT jsonb_agg(jsonb_build_object('call_id', c.id) || f_page(page.items, lim)::jsonb ORDER BY c.id)
    FROM calls c
    CROSS JOIN LATERAL (
      SELECT jsonb_agg(f_app_json(x) ORDER BY x.id) AS items FROM (
        SELECT * FROM applications x WHERE x.call_id = c.id ORDER BY x.id LIMIT lim) x) page
    WHERE c.id = ANY (ids) AND f_officer_of(p, c.region)), '[]'::jsonb));
END $$;
