-- Tessera schema v2 (PostgreSQL): API keys per user, in Auth's format (`rak_` + 43 base62
-- characters, a UUID4 key id, the first 12 characters kept as a display prefix). The
-- secret is never stored, only its SHA-256 (256 random bits cannot be brute-forced;
-- the same digest as Auth's, so Auth's keys can be carried over); the user and the
-- label are sealed like the other sensitive columns.
CREATE TABLE api_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  public_id TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  secret_hash BYTEA NOT NULL UNIQUE,
  user_name BYTEA NOT NULL,
  user_index BYTEA NOT NULL,
  label BYTEA,
  key_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_by_user ON api_keys (tenant, user_index);
