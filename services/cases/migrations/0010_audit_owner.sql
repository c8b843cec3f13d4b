-- The audit log gets an owner the service cannot become. Until now the
-- service's role owned audit_log: privileges revoked from itself and a
-- trigger were all that kept it append-only, and an owner can grant
-- itself back, drop the trigger or disable it. Now a role of its own,
-- <service role>_audit (NOLOGIN), owns the table, its sequence, the
-- trigger's function and the schema public (so the service, which owns
-- the database, is no longer the schema's owner, who may drop any table
-- in it); the service's role keeps INSERT and SELECT on the table and
-- USAGE, CREATE on the schema for its own objects.
--
-- Who can do it: PostgreSQL 15 lets a role become another only as its
-- member, and a role with CREATEROLE can grant itself any membership. So
-- the provisioning gives the service's role CREATEROLE (scripts/lib.sh,
-- scripts/compose/initdb.sql, the CloudNativePG cluster's
-- postInitApplicationSQL), and this function, run by the migration, uses
-- it once: creates the owner, makes itself a member for the transfer,
-- transfers, leaves the membership and drops its own CREATEROLE. Where
-- the migrating role has neither CREATEROLE nor superuser, the migration
-- still applies, with a WARNING, and the table stays as before until an
-- operator runs `SELECT c_audit_secure('cases')` as a superuser in the
-- cases database (docs/operations.md). The function is idempotent.
CREATE FUNCTION c_audit_secure(svc text DEFAULT current_user) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  owner text := svc || '_audit';
  super boolean := (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
BEGIN
  IF NOT super AND NOT (SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
    IF (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit_log') <> owner THEN
      RAISE WARNING 'audit_log is still owned by %: a superuser runs SELECT c_audit_secure(%) in this database '
        '(docs/operations.md)', svc, quote_literal(svc);
    END IF;
    RETURN false;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = owner) THEN
    EXECUTE format('CREATE ROLE %I NOLOGIN', owner);
  END IF;
  IF NOT super THEN EXECUTE format('GRANT %I TO %I', owner, current_user); END IF;
  EXECUTE format('GRANT CREATE ON DATABASE %I TO %I', current_database(), owner);
  EXECUTE format('ALTER SCHEMA public OWNER TO %I', owner);
  EXECUTE format('GRANT USAGE, CREATE ON SCHEMA public TO %I', svc);
  EXECUTE format('ALTER TABLE public.audit_log OWNER TO %I', owner);
  EXECUTE format('ALTER FUNCTION public.audit_log_immutable() OWNER TO %I', owner);
  EXECUTE format('REVOKE ALL ON public.audit_log FROM %I', svc);
  EXECUTE format('GRANT SELECT, INSERT ON public.audit_log TO %I', svc);
  -- SELECT too: pg_dump, run as the service's role (scripts/backup.sh), reads the sequence
  EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE public.audit_log_id_seq TO %I', svc);
  IF NOT super THEN EXECUTE format('REVOKE %I FROM %I', owner, current_user); END IF;
  EXECUTE format('ALTER ROLE %I NOCREATEROLE', svc);
  RETURN true;
END $$;

SELECT c_audit_secure();
