-- Revoking a refresh-token family revokes the access tokens issued with
-- it: each refresh token records the access token issued beside it (login,
-- rotation), and a family's revocation -- sign-out with the refresh token,
-- or a spent token presented again -- revokes every one of them that has
-- not expired, through gw_jti_revoke (revoked_jtis, and one
-- gateway.token.revoked.v1 per token for the services).
ALTER TABLE refresh_tokens
  ADD COLUMN access_jti text CHECK (length(access_jti) BETWEEN 1 AND 64),
  ADD COLUMN access_exp bigint;

-- The access token issued with the refresh token p_hash.
CREATE FUNCTION gw_refresh_access_set(p_hash text, p_jti text, p_exp bigint)
RETURNS void
LANGUAGE sql AS $$
  UPDATE refresh_tokens SET access_jti = p_jti, access_exp = p_exp
  WHERE token_hash = p_hash
$$;

-- Revoke the family of the refresh token p_hash (already revoked or not)
-- and its live access tokens. Returns those as a JSON array of
-- {"jti", "exp"} (the gateway marks them in Redis); [] for an unknown
-- token.
CREATE FUNCTION gw_refresh_revoke_access(p_hash text, p_request_id text)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  f uuid;
  r record;
  live json;
BEGIN
  SELECT family_id INTO f FROM refresh_tokens WHERE token_hash = p_hash;
  IF NOT FOUND THEN
    RETURN '[]'::json;
  END IF;
  UPDATE refresh_tokens SET revoked_at = now()
  WHERE family_id = f AND revoked_at IS NULL;
  FOR r IN SELECT access_jti, access_exp FROM refresh_tokens
    WHERE family_id = f AND access_jti IS NOT NULL
      AND access_exp > extract(epoch FROM now())
  LOOP
    PERFORM gw_jti_revoke(r.access_jti, r.access_exp, p_request_id);
  END LOOP;
  SELECT coalesce(json_agg(json_build_object('jti', access_jti,
      'exp', access_exp)), '[]'::json) INTO live
  FROM refresh_tokens
  WHERE family_id = f AND access_jti IS NOT NULL
    AND access_exp > extract(epoch FROM now());
  RETURN live;
END
$$;

-- Replaced by gw_refresh_revoke_access.
DROP FUNCTION gw_refresh_revoke(text);
