-- Targets published with disclosure control: a share resting on fewer
-- women or men than the region's threshold was published by 0002 as is
-- (2 women of 3 applicants gave 6667 bp to anyone). 0002 is applied on
-- shared databases, so the change is a migration of its own.

-- The women's share of an indicator in a region over [from, to), and the
-- numbers of women and men behind it (for disclosure control).
DROP FUNCTION g_share(indicators, text, date, date);
CREATE FUNCTION g_share(ind indicators, reg text, f date, t date,
  OUT bp int, OUT women bigint, OUT men bigint) LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN sum(CASE ind.measure WHEN 'amount' THEN amount ELSE 1 END) > 0 THEN
    round(10000.0 * sum(CASE WHEN sex = 'female' THEN CASE ind.measure WHEN 'amount' THEN amount ELSE 1 END ELSE 0 END)
      / sum(CASE ind.measure WHEN 'amount' THEN amount ELSE 1 END))::int END,
    count(*) FILTER (WHERE sex = 'female'), count(*) FILTER (WHERE sex = 'male')
  FROM facts WHERE kind = ind.kind AND region = reg AND sex IN ('female', 'male')
    AND day >= f AND day < t
$$;

-- A share is published when neither the women nor the men behind it are
-- fewer than the region's threshold (0 is not sensitive).
CREATE FUNCTION g_share_published(women bigint, men bigint, thr int) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT NOT ((women > 0 AND women < thr) OR (men > 0 AND men < thr))
$$;

-- Targets (public: targets and shares are published figures), with the
-- year's share, the previous year's, the gap and the trend. A share
-- resting on fewer people than the threshold is suppressed (value, gap,
-- off_target and trend null, "suppressed": true), unless a gender
-- analyst asks unsuppressed=true for her region (recorded like every
-- unsuppressed read). a: region, year, unsuppressed.
CREATE OR REPLACE FUNCTION gender_targets_list(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE y int; priv boolean := false;
BEGIN
  y := coalesce((a->>'year')::int, extract(year FROM now())::int);
  IF a->>'unsuppressed' = 'true' THEN
    priv := g_unsuppressed_ok(p, CASE WHEN a->>'region' IS NULL THEN ARRAY['souss-massa', 'oriental']
                                 ELSE ARRAY[a->>'region'] END);
    INSERT INTO unsuppressed_reads (sub, region, indicator, query, request_id)
    VALUES (p->>'sub', p->>'region', 'targets', a - 'lang', rid);
  END IF;
  RETURN (SELECT json_build_object('year', y, 'items', coalesce(json_agg(
      CASE WHEN x.shown THEN to_jsonb(x) - 'shown' - 'position'
      ELSE jsonb_build_object('indicator', x.indicator, 'region', x.region, 'kind', x.kind,
        'target_bp', x.target_bp, 'version', x.version, 'value_bp', NULL, 'previous_bp', NULL,
        'gap_bp', NULL, 'off_target', NULL, 'trend', NULL, 'suppressed', true) END
      ORDER BY x.position, x.region), '[]'))
  FROM (
    SELECT i.position, t.indicator, t.region, t.kind, t.target_bp, t.version,
      priv OR (g_share_published(c.women, c.men, ds.threshold)
        AND g_share_published(pv.women, pv.men, ds.threshold)) AS shown,
      c.bp AS value_bp, pv.bp AS previous_bp,
      CASE WHEN c.bp IS NOT NULL THEN c.bp - t.target_bp END AS gap_bp,
      CASE WHEN c.bp IS NULL THEN NULL
        WHEN t.kind = 'at_least' THEN c.bp < t.target_bp ELSE c.bp > t.target_bp END AS off_target,
      CASE WHEN c.bp IS NULL OR pv.bp IS NULL THEN NULL
        WHEN abs(c.bp - pv.bp) <= 100 THEN 'stable'
        WHEN (c.bp > pv.bp) = (t.kind = 'at_least') THEN 'improving' ELSE 'worsening' END AS trend
    FROM targets t JOIN indicators i ON i.code = t.indicator
      JOIN disclosure_settings ds ON ds.region = t.region,
    LATERAL g_share(i, t.region, make_date(y, 1, 1), make_date(y + 1, 1, 1)) c,
    LATERAL g_share(i, t.region, make_date(y - 1, 1, 1), make_date(y, 1, 1)) pv
    WHERE a->>'region' IS NULL OR t.region = a->>'region') x);
END $$;


CREATE OR REPLACE FUNCTION gender_alerts(p jsonb, a jsonb, b jsonb, d jsonb, rid text) RETURNS json
LANGUAGE sql AS $$
  SELECT json_build_object('year', l->'year', 'items', coalesce((SELECT json_agg(e)
    FROM json_array_elements(l->'items') e WHERE (e->>'off_target')::boolean), '[]'))
  FROM gender_targets_list(p, a, b, d, rid) l
$$;
