-- An admin change that revokes an account's refresh tokens (roles,
-- region, commune, organisation, disabling: gw_user_patch) revokes the
-- access tokens issued with them too, so a demoted or disabled account
-- loses its rights at once rather than when its token expires.
--
-- gw_access_revoke: the one place that revokes the live access tokens
-- recorded on refresh tokens (0005_family_access.sql), each through
-- gw_jti_revoke (revoked_jtis and one gateway.token.revoked.v1 each).
CREATE FUNCTION gw_access_revoke(p_refresh_ids uuid[], p_request_id text)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  live json;
BEGIN
  FOR r IN SELECT access_jti, access_exp FROM refresh_tokens
    WHERE id = ANY (p_refresh_ids) AND access_jti IS NOT NULL
      AND access_exp > extract(epoch FROM now())
  LOOP
    PERFORM gw_jti_revoke(r.access_jti, r.access_exp, p_request_id);
  END LOOP;
  SELECT coalesce(json_agg(json_build_object('jti', access_jti,
      'exp', access_exp)), '[]'::json) INTO live
  FROM refresh_tokens
  WHERE id = ANY (p_refresh_ids) AND access_jti IS NOT NULL
    AND access_exp > extract(epoch FROM now());
  RETURN live;
END
$$;

-- The family of p_hash and its access tokens (same contract as in 0005).
CREATE OR REPLACE FUNCTION gw_refresh_revoke_access(p_hash text,
  p_request_id text)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  f uuid;
BEGIN
  SELECT family_id INTO f FROM refresh_tokens WHERE token_hash = p_hash;
  IF NOT FOUND THEN
    RETURN '[]'::json;
  END IF;
  UPDATE refresh_tokens SET revoked_at = now()
  WHERE family_id = f AND revoked_at IS NULL;
  RETURN gw_access_revoke(ARRAY(SELECT id FROM refresh_tokens
    WHERE family_id = f), p_request_id);
END
$$;

-- gw_user_patch, and when it revoked the account's refresh tokens, their
-- access tokens: {"user": <the account>, "revoked": [{jti, exp}...]}, or
-- NULL for an unknown id.
CREATE FUNCTION gw_user_patch_revoking(p_id uuid, p jsonb, p_request_id text)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  u json;
  live json := '[]'::json;
BEGIN
  u := gw_user_patch(p_id, p);
  IF u IS NULL THEN
    RETURN NULL;
  END IF;
  -- gw_user_patch's own condition for revoking the refresh tokens
  IF p ?| ARRAY['roles', 'region', 'commune', 'organisation']
     OR (u ->> 'disabled')::boolean THEN
    live := gw_access_revoke(ARRAY(SELECT id FROM refresh_tokens
      WHERE user_id = p_id), p_request_id);
  END IF;
  RETURN json_build_object('user', u, 'revoked', live);
END
$$;
