-- directory_i18n_ok of 0002_directory.sql answered NULL, not false, for a
-- text without French ("fr" absent: jsonb_typeof(NULL) is NULL), and a
-- CHECK lets NULL through: only the write functions' own test
-- (directory_fr_required) refused such a text. Now the columns' CHECKs do
-- too (tests/sql/10_directory.sql).
CREATE OR REPLACE FUNCTION directory_i18n_ok(t jsonb, max_len int) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT t IS NULL OR coalesce(jsonb_typeof(t) = 'object'
    AND jsonb_typeof(t->'fr') = 'string'
    AND NOT EXISTS (SELECT 1 FROM jsonb_each(t) e
      WHERE e.key NOT IN ('fr', 'ar', 'en', 'zgh')
         OR jsonb_typeof(e.value) <> 'string'
         OR length(e.value #>> '{}') NOT BETWEEN 1 AND max_len), false)
$$;
