-- Tessera schema v4 (PostgreSQL): what `POST /api/token` needs. Users with passwords
-- (argon2id PHC strings; the user sealed like every user column, found by its blind
-- index) and the bookkeeping of the lockout; refresh tokens by the SHA-256 of their
-- `jti`, in families (a reused one revokes its family); revoked access tokens until
-- they expire.
CREATE TABLE credentials (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_name BYTEA NOT NULL,
  user_index BYTEA NOT NULL,
  password_hash TEXT NOT NULL,
  failed_attempts BIGINT NOT NULL DEFAULT 0,
  locked_until BIGINT,
  key_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  UNIQUE (tenant, user_index)
);
CREATE TABLE refresh_tokens (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  token_hash BYTEA NOT NULL UNIQUE,
  family TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE TABLE revoked_tokens (
  token_hash BYTEA PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  expires_at BIGINT NOT NULL
);
