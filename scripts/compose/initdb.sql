-- docker-compose: one database and one login role per component, run once by
-- the postgis/postgis:15 entrypoint on an empty data volume (psql, as the superuser).
-- Mirrors pg_create_db in scripts/lib.sh: each role owns its own database and
-- nobody else (PUBLIC) may connect to it.
--
-- Passwords come from the container environment (set in docker-compose.yml,
-- with development defaults). They are read with psql's \getenv and quoted
-- with format(%L), so they never appear in this file or in a shell command.
-- Changing a password later needs ALTER ROLE (this script does not rerun).

\set ON_ERROR_STOP on

\getenv funding_pw MP_FUNDING_DB_PASSWORD
\getenv cases_pw   MP_CASES_DB_PASSWORD
\getenv gender_pw  MP_GENDER_DB_PASSWORD
\getenv gateway_pw MP_GATEWAY_DB_PASSWORD
\if :{?funding_pw}
\else
\set funding_pw ''
\endif
\if :{?cases_pw}
\else
\set cases_pw ''
\endif
\if :{?gender_pw}
\else
\set gender_pw ''
\endif
\if :{?gateway_pw}
\else
\set gateway_pw ''
\endif

CREATE TEMPORARY TABLE mp_components (name text PRIMARY KEY, pw text NOT NULL);
INSERT INTO mp_components VALUES
	('funding', :'funding_pw'),
	('cases',   :'cases_pw'),
	('gender',  :'gender_pw'),
	('gateway', :'gateway_pw');

-- Refuse to create a role without a password (it could never log in over TCP).
SELECT string_agg('MP_' || upper(name) || '_DB_PASSWORD', ', ') AS mp_missing
  FROM mp_components WHERE pw = '' \gset
\if :{?mp_missing}
\warn 'initdb.sql: not set or empty:' :mp_missing
DO $$ BEGIN RAISE EXCEPTION 'initdb.sql: a service database password is missing'; END $$;
\endif

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', name, pw)
  FROM mp_components c
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = c.name) \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', name, pw)
  FROM mp_components \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L', name, name, 'UTF8')
  FROM mp_components c
 WHERE NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = c.name) \gexec
-- The cases service's first migrations create the owner of its audit log
-- (0010_audit_owner.sql) with this CREATEROLE, and drop it (mirrors
-- DB_MIGRATION_CREATEROLE in scripts/lib.sh; this script runs on an empty
-- volume only, before any migration).
ALTER ROLE cases CREATEROLE;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', name) FROM mp_components \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', name, name)
  FROM mp_components \gexec

DROP TABLE mp_components;

-- Extensions a service's migrations use that only a superuser may create
-- (mirrors DB_EXTENSIONS in scripts/lib.sh): PostGIS for the cases
-- service's directory (distance search). The postgis/postgis image ships it.
\connect cases
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
