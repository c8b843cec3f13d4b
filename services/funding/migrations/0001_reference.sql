-- Reference data of the programme: the two regions and their provinces
-- (communes are loaded with the funding chain, issue 3).
CREATE TABLE regions (
  code text PRIMARY KEY CHECK (code IN ('souss-massa', 'oriental')),
  name jsonb NOT NULL,
  seat text NOT NULL
);

CREATE TABLE provinces (
  code text PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,64}$'),
  region text NOT NULL REFERENCES regions (code),
  name jsonb NOT NULL
);

INSERT INTO regions (code, name, seat) VALUES
  ('souss-massa', '{"fr": "Souss-Massa", "ar": "سوس ماسة", "en": "Souss-Massa"}', 'Agadir'),
  ('oriental', '{"fr": "Oriental", "ar": "الشرق", "en": "Oriental"}', 'Oujda');

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
