-- The gateway's own identity store (filled by the gateway issue): users
-- with role, region and commune. Passwords are argon2id hashes (libsodium).
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT mp_uuid_v7(),
  username text NOT NULL UNIQUE CHECK (length(username) BETWEEN 3 AND 64),
  password_hash text NOT NULL,
  roles text[] NOT NULL CHECK (cardinality(roles) >= 1),
  region text CHECK (region IN ('souss-massa', 'oriental')),
  commune text,
  organisation text,
  failed_logins int NOT NULL DEFAULT 0,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
