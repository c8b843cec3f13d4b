-- The gateway checks revocation in memory, as the services do: each worker
-- keeps the unexpired revoked jtis of revoked_token (library migration
-- lib-0005) in a set refreshed every 250 ms (lib/src/core/revocation.c),
-- instead of one Redis EXISTS per authenticated request. The services
-- fill their revoked_token from gateway.token.revoked.v1 events; the
-- gateway, which revokes, fills its own in the same transaction as
-- revoked_jtis, so nothing waits for the relay.
CREATE FUNCTION gw_revoked_token_mirror() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF length(NEW.jti) > 63 THEN -- no verifier accepts such a jti
    RETURN NULL;
  END IF;
  INSERT INTO revoked_token (jti, exp)
  VALUES (NEW.jti, extract(epoch FROM NEW.expires_at)::bigint)
  ON CONFLICT (jti) DO UPDATE
    SET exp = greatest(revoked_token.exp, excluded.exp),
        received_at = clock_timestamp();
  DELETE FROM revoked_token
  WHERE exp < extract(epoch FROM now())::bigint - 3600;
  RETURN NULL;
END
$$;

CREATE TRIGGER revoked_jtis_mirror
AFTER INSERT OR UPDATE ON revoked_jtis
FOR EACH ROW EXECUTE FUNCTION gw_revoked_token_mirror();

INSERT INTO revoked_token (jti, exp)
SELECT jti, extract(epoch FROM expires_at)::bigint
FROM revoked_jtis
WHERE expires_at > now() AND length(jti) <= 63
ON CONFLICT (jti) DO NOTHING;
