-- The two regions of the programme; every record of this service belongs
-- to one of them (region checks in every handler rely on this code list).
CREATE TABLE regions (
  code text PRIMARY KEY CHECK (code IN ('souss-massa', 'oriental')),
  name jsonb NOT NULL
);

INSERT INTO regions (code, name) VALUES
  ('souss-massa', '{"fr": "Souss-Massa", "ar": "سوس ماسة", "en": "Souss-Massa"}'),
  ('oriental', '{"fr": "Oriental", "ar": "الشرق", "en": "Oriental"}');
