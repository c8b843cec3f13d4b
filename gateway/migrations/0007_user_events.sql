-- Accounts are published on the gateway's stream (events:gateway) so that
-- a service can check that a subject exists in a region with a role --
-- funding's ERC members must be erc_member accounts of their region --
-- without asking the gateway: the services share nothing but events.
-- The data is the subject (the account's id, a random UUIDv7), its roles
-- and its region: no name, no contact, no commune. A trigger, so that every
-- path that writes an account (sign-up, the admin API, the bootstrap
-- admin) publishes in the transaction that writes it; a change that does
-- not touch roles or region (password, lock-out, organisation) publishes
-- nothing. Accounts that exist when this migration runs are published
-- once as registered.
CREATE FUNCTION gw_user_published() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM mp_emit('gateway.user.registered.v1', NEW.id::text,
      jsonb_build_object('sub', NEW.id, 'roles', to_jsonb(NEW.roles), 'region', NEW.region), NULL);
  ELSIF NEW.roles IS DISTINCT FROM OLD.roles OR NEW.region IS DISTINCT FROM OLD.region THEN
    PERFORM mp_emit('gateway.user.updated.v1', NEW.id::text,
      jsonb_build_object('sub', NEW.id, 'roles', to_jsonb(NEW.roles), 'region', NEW.region), NULL);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER users_published AFTER INSERT OR UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION gw_user_published();

SELECT mp_emit('gateway.user.registered.v1', u.id::text,
  jsonb_build_object('sub', u.id, 'roles', to_jsonb(u.roles), 'region', u.region), NULL)
FROM users u ORDER BY u.id;
