-- A revoked access token is published on the gateway's stream
-- (events:gateway, CloudEvent gateway.token.revoked.v1) so that each
-- service keeps its own revoked set: the services share nothing with the
-- gateway but events. The event carries the token id and its expiry only
-- (no subject, no personal data): a service needs to remember the jti
-- until exp, nothing more. It is written to the outbox in the same
-- statement as the revocation, so both commit together, and only when the
-- jti is newly revoked (a second revocation of one token publishes
-- nothing).
DROP FUNCTION gw_jti_revoke(text, bigint);

CREATE FUNCTION gw_jti_revoke(p_jti text, p_exp bigint, p_request_id text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM revoked_jtis WHERE expires_at < now() - interval '1 hour';
  INSERT INTO revoked_jtis (jti, expires_at)
  VALUES (p_jti, to_timestamp(p_exp))
  ON CONFLICT (jti) DO NOTHING;
  IF FOUND THEN
    PERFORM mp_emit('gateway.token.revoked.v1', NULL,
      jsonb_build_object('jti', p_jti, 'exp', p_exp), p_request_id);
  END IF;
END
$$;
