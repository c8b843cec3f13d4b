-- bench-cases: :n cases (5 per person) in the 17 communes of both
-- regions, written straight into the cases database (psql -v n=100000).
-- A person's identity is a placeholder of the sealed format (the case
-- read does not open it); the cases have no notes (notes are sealed by the
-- service itself and cannot be written from SQL).
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE bench_commune (code text, region text, k int);
INSERT INTO bench_commune SELECT code, region, (row_number() OVER (ORDER BY code) - 1)::int
FROM communes;

INSERT INTO persons (id, region, commune, sex, birth_year, age_band, beneficiary_type, languages,
  identity_enc, registered_by)
SELECT ('c0000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, c.region, c.code,
  CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, 1960 + i % 45,
  (ARRAY['18-24', '25-34', '35-49', '50-64'])[1 + i % 4],
  (ARRAY['mre', 'regularised_migrant', 'other_migrant'])[1 + i % 3], ARRAY['ar', 'fr'],
  'enc1:bench:' || encode(sha256(i::text::bytea), 'base64'), 'bench'
FROM generate_series(0, :n / 5 - 1) i
JOIN bench_commune c ON c.k = i % (SELECT count(*) FROM bench_commune);

INSERT INTO cases (id, person_id, region, commune, needs, vulnerabilities, status, opened_by, opened_at)
SELECT ('c1000000-0000-7000-8000-' || lpad(to_hex(j), 12, '0'))::uuid, x.id, x.region, x.commune,
  ARRAY[(ARRAY['health', 'civil_status', 'legal_aid', 'employment', 'housing', 'education'])[1 + j % 6]],
  CASE WHEN j % 7 = 0 THEN ARRAY['single_parent'] ELSE '{}' END,
  (ARRAY['open', 'in_progress', 'resolved'])[1 + j % 3], 'bench', now() - (j % 700) * interval '1 day'
FROM generate_series(0, :n - 1) j
JOIN persons x ON x.id = ('c0000000-0000-7000-8000-' || lpad(to_hex(j / 5), 12, '0'))::uuid;
COMMIT;
ANALYZE persons, cases;
