-- The figures' load reads its filters once instead of once per fact row
-- (the period filter was a jsonb subquery per row: the bench's query over
-- 1M facts spent most of its time there), and bounds the days so the
-- (kind, region, day) index can serve. Same answers.

CREATE OR REPLACE FUNCTION gender_figures_load(p jsonb, a jsonb, b jsonb) RETURNS json
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
  -- the filters, read once (not per fact row)
  f_region text[] := CASE WHEN it ? 'region' THEN g_items(it, 'region') END;
  f_province text[] := CASE WHEN it ? 'province' THEN g_items(it, 'province') END;
  f_commune text[] := CASE WHEN it ? 'commune' THEN g_items(it, 'commune') END;
  f_sex text[] := CASE WHEN it ? 'sex' THEN g_items(it, 'sex') END;
  f_age text[] := CASE WHEN it ? 'age_band' THEN g_items(it, 'age_band') END;
  f_btype text[] := CASE WHEN it ? 'beneficiary_type' THEN g_items(it, 'beneficiary_type') END;
  f_marker text[] := CASE WHEN it ? 'gender_marker' THEN g_items(it, 'gender_marker') END;
  f_days daterange[] := CASE WHEN it ? 'period' THEN ARRAY(SELECT daterange((pe->>'from')::date,
    (pe->>'to')::date) FROM jsonb_array_elements(it->'period') pe) END;
  f_first date := (SELECT min((pe->>'from')::date) FROM jsonb_array_elements(it->'period') pe);
  f_last date := (SELECT max((pe->>'to')::date) FROM jsonb_array_elements(it->'period') pe);
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
      AND (f_region IS NULL OR x.region = ANY (f_region))
      AND (f_province IS NULL OR x.province = ANY (f_province))
      AND (f_commune IS NULL OR x.commune = ANY (f_commune))
      AND (f_sex IS NULL OR x.sex = ANY (f_sex))
      AND (f_age IS NULL OR x.age_band = ANY (f_age))
      AND (f_btype IS NULL OR x.beneficiary_type = ANY (f_btype))
      AND (f_marker IS NULL OR x.gender_marker::text = ANY (f_marker))
      AND (f_days IS NULL OR (x.day >= f_first AND x.day < f_last AND x.day <@ ANY (f_days)))
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

