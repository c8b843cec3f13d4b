-- The communes a user's `commune` may name, by region: the codes of
-- funding's reference data (services/funding/migrations/0002_chain.sql),
-- kept equal to funding's public list /v1/funding/regions/{region}/communes
-- by tests/integration/check_gateway.c.
--
-- The gateway keeps its own table rather than asking funding at sign-up:
-- identity must keep working when funding is down or not deployed (a
-- gateway in front of cases only), a registration must not wait on another
-- service, and communes are reference data that only change by migration.
CREATE TABLE communes (
  code text PRIMARY KEY CHECK (code ~ '^[a-z0-9-]{2,64}$'),
  region text NOT NULL CHECK (region IN ('souss-massa', 'oriental')),
  UNIQUE (code, region)
);
INSERT INTO communes (code, region) VALUES
  ('agadir', 'souss-massa'),
  ('aourir', 'souss-massa'),
  ('inezgane', 'souss-massa'),
  ('ait-melloul', 'souss-massa'),
  ('biougra', 'souss-massa'),
  ('taroudant', 'souss-massa'),
  ('tiznit', 'souss-massa'),
  ('tata', 'souss-massa'),
  ('oujda', 'oriental'),
  ('bni-drar', 'oriental'),
  ('berkane', 'oriental'),
  ('nador', 'oriental'),
  ('driouch', 'oriental'),
  ('taourirt', 'oriental'),
  ('jerada', 'oriental'),
  ('guercif', 'oriental'),
  ('figuig', 'oriental');

-- A commune, when given with a region, is one of that region's: for every
-- new or changed account (sign-up checks first, for a 400 naming the
-- field; admin changes meet this as a 422). NOT VALID: accounts made
-- before this migration are not re-checked.
ALTER TABLE users ADD CONSTRAINT users_commune_of_region
  FOREIGN KEY (commune, region) REFERENCES communes (code, region) NOT VALID;
