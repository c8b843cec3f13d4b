-- The gateway's token service: account state and rules on users, API
-- clients, rotating refresh tokens (stored as SHA-256 digests only),
-- revoked access-token ids, and the lock-out of names that are not
-- accounts (so a locked name never tells whether it exists).
--
-- Multi-row rules run as SQL functions: one statement each, so the
-- database, not the worker, holds the invariant (refresh rotation and
-- reuse detection in particular must be atomic).

ALTER TABLE users
  ADD COLUMN disabled boolean NOT NULL DEFAULT false,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT users_username_syntax
    CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  ADD CONSTRAINT users_roles_known
    CHECK (roles <@ ARRAY['applicant', 'council_officer', 'appraiser',
      'erc_member', 'municipal_agent', 'mediator', 'gender_analyst',
      'admin']::text[]),
  ADD CONSTRAINT users_region_needed
    CHECK (region IS NOT NULL OR roles <@ ARRAY['admin', 'gender_analyst']::text[]),
  ADD CONSTRAINT users_agent_commune
    CHECK (NOT ('municipal_agent' = ANY (roles)) OR commune IS NOT NULL),
  ADD CONSTRAINT users_commune_len CHECK (length(commune) BETWEEN 1 AND 63),
  ADD CONSTRAINT users_organisation_len
    CHECK (length(organisation) BETWEEN 1 AND 63);

CREATE TABLE api_clients (
  client_id text PRIMARY KEY CHECK (client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  secret_hash text NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  scopes text[] NOT NULL DEFAULT '{}',
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  family_id uuid NOT NULL,
  parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  scope text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_live ON refresh_tokens (user_id)
  WHERE revoked_at IS NULL;

CREATE TABLE revoked_jtis (
  jti text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 64),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_jtis_expires ON revoked_jtis (expires_at);

CREATE TABLE login_throttle (
  username text PRIMARY KEY,
  failed_logins int NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);

-- What the API shows of a user: never the password hash.
CREATE FUNCTION gw_user_json(u users) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('id', u.id, 'username', u.username,
    'roles', to_json(u.roles), 'region', u.region, 'commune', u.commune,
    'organisation', u.organisation, 'disabled', u.disabled,
    'locked_until', CASE WHEN u.locked_until > now() THEN u.locked_until END,
    'failed_logins', u.failed_logins, 'created_at', u.created_at,
    'updated_at', u.updated_at)
$$;

CREATE FUNCTION gw_client_json(c api_clients) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('client_id', c.client_id, 'name', c.name,
    'scopes', to_json(c.scopes), 'disabled', c.disabled,
    'created_at', c.created_at)
$$;

-- State of a login attempt: one row for an account, one row for a
-- throttled unknown name, no row otherwise.
CREATE FUNCTION gw_login_state(p_username text)
RETURNS TABLE (user_id uuid, password_hash text, disabled boolean,
  locked_s int)
LANGUAGE sql STABLE AS $$
  SELECT u.id, u.password_hash, u.disabled,
    greatest(0, ceil(extract(epoch FROM u.locked_until - now())))::int
  FROM users u WHERE u.username = p_username
  UNION ALL
  SELECT NULL, NULL, false,
    greatest(0, ceil(extract(epoch FROM t.locked_until - now())))::int
  FROM login_throttle t
  WHERE t.username = p_username
    AND NOT EXISTS (SELECT 1 FROM users WHERE username = p_username)
$$;

-- One more failed login for a name (account or not): the new count.
CREATE FUNCTION gw_login_failed(p_username text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  n int;
BEGIN
  UPDATE users SET failed_logins = failed_logins + 1
  WHERE username = p_username RETURNING failed_logins INTO n;
  IF FOUND THEN
    RETURN n;
  END IF;
  DELETE FROM login_throttle WHERE updated_at < now() - interval '1 day';
  INSERT INTO login_throttle AS t (username, failed_logins)
  VALUES (p_username, 1)
  ON CONFLICT (username) DO UPDATE
    SET failed_logins = t.failed_logins + 1, updated_at = now()
  RETURNING t.failed_logins INTO n;
  RETURN n;
END
$$;

CREATE FUNCTION gw_login_lock(p_username text, p_seconds int) RETURNS void
LANGUAGE sql AS $$
  UPDATE users SET locked_until = now() + make_interval(secs => p_seconds)
  WHERE username = p_username;
  UPDATE login_throttle SET locked_until = now() + make_interval(secs => p_seconds),
    updated_at = now()
  WHERE username = p_username;
$$;

-- A successful login: failures forgotten, a new refresh token family.
CREATE FUNCTION gw_login_succeeded(p_user uuid, p_hash text, p_scope text,
  p_ttl_s int) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  u users;
BEGIN
  UPDATE users SET failed_logins = 0, locked_until = NULL
  WHERE id = p_user AND NOT disabled RETURNING * INTO u;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO refresh_tokens (token_hash, family_id, user_id, scope, expires_at)
  VALUES (p_hash, mp_uuid_v7(), p_user, p_scope,
    now() + make_interval(secs => p_ttl_s));
  RETURN gw_user_json(u);
END
$$;

-- Rotation: the presented token is spent and a child issued. A token
-- presented a second time means it leaked (or a client replays): the whole
-- family is revoked, the newest token included (RFC 9700 4.14.2).
-- A narrower scope (p_scope, NULL for none) must be part of the granted
-- one, checked before the token is spent.
-- Outcome "ok", "reuse", "invalid_scope" or "invalid"; never raises, so a revocation it
-- decides is committed with the statement.
CREATE FUNCTION gw_refresh_rotate(p_hash text, p_new_hash text, p_ttl_s int,
  p_scope text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  r refresh_tokens;
  u users;
BEGIN
  SELECT * INTO r FROM refresh_tokens WHERE token_hash = p_hash FOR UPDATE;
  IF NOT FOUND OR r.revoked_at IS NOT NULL OR r.expires_at <= now() THEN
    RETURN json_build_object('outcome', 'invalid');
  END IF;
  IF r.used_at IS NOT NULL THEN
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE family_id = r.family_id AND revoked_at IS NULL;
    RETURN json_build_object('outcome', 'reuse');
  END IF;
  IF p_scope IS NOT NULL AND NOT (string_to_array(p_scope, ' ')
      <@ string_to_array(r.scope, ' ')) THEN
    RETURN json_build_object('outcome', 'invalid_scope');
  END IF;
  SELECT * INTO u FROM users WHERE id = r.user_id;
  IF NOT FOUND OR u.disabled THEN
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE family_id = r.family_id AND revoked_at IS NULL;
    RETURN json_build_object('outcome', 'invalid');
  END IF;
  UPDATE refresh_tokens SET used_at = now() WHERE id = r.id;
  INSERT INTO refresh_tokens (token_hash, family_id, parent_id, user_id,
    scope, expires_at)
  VALUES (p_new_hash, r.family_id, r.id, r.user_id, r.scope,
    now() + make_interval(secs => p_ttl_s));
  RETURN json_build_object('outcome', 'ok', 'scope', r.scope,
    'user', gw_user_json(u));
END
$$;

-- RFC 7009: revoke the family of a refresh token (unknown: nothing).
CREATE FUNCTION gw_refresh_revoke(p_hash text) RETURNS int
LANGUAGE sql AS $$
  WITH f AS (SELECT family_id FROM refresh_tokens WHERE token_hash = p_hash),
  r AS (UPDATE refresh_tokens SET revoked_at = now()
    WHERE family_id IN (SELECT family_id FROM f) AND revoked_at IS NULL
    RETURNING 1)
  SELECT count(*)::int FROM r
$$;

CREATE FUNCTION gw_jti_revoke(p_jti text, p_exp bigint) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM revoked_jtis WHERE expires_at < now() - interval '1 hour';
  INSERT INTO revoked_jtis (jti, expires_at)
  VALUES (p_jti, to_timestamp(p_exp))
  ON CONFLICT (jti) DO NOTHING;
$$;

-- Admin changes to an account. Keys absent from p stay as they are; a
-- change of roles or places, or disabling, revokes the user's refresh
-- tokens so the next token carries the change. NULL for an unknown id.
CREATE FUNCTION gw_user_patch(p_id uuid, p jsonb) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  u users;
BEGIN
  UPDATE users SET
    roles = CASE WHEN p ? 'roles'
      THEN ARRAY(SELECT jsonb_array_elements_text(p -> 'roles')) ELSE roles END,
    region = CASE WHEN p ? 'region' THEN p ->> 'region' ELSE region END,
    commune = CASE WHEN p ? 'commune' THEN p ->> 'commune' ELSE commune END,
    organisation = CASE WHEN p ? 'organisation'
      THEN p ->> 'organisation' ELSE organisation END,
    disabled = CASE WHEN p ? 'disabled'
      THEN (p ->> 'disabled')::boolean ELSE disabled END,
    failed_logins = CASE WHEN (p ->> 'unlock')::boolean IS TRUE
      THEN 0 ELSE failed_logins END,
    locked_until = CASE WHEN (p ->> 'unlock')::boolean IS TRUE
      THEN NULL ELSE locked_until END,
    updated_at = now()
  WHERE id = p_id RETURNING * INTO u;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF p ?| ARRAY['roles', 'region', 'commune', 'organisation']
     OR u.disabled THEN
    UPDATE refresh_tokens SET revoked_at = now()
    WHERE user_id = p_id AND revoked_at IS NULL;
  END IF;
  RETURN gw_user_json(u);
END
$$;
