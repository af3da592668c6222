-- Tessera schema v2 (PostgreSQL): API keys per user. The secret is never stored, only its
-- SHA-256 (the secret is 256 random bits, so a plain hash cannot be brute-forced);
-- the user and the label are sealed like the other sensitive columns.
CREATE TABLE api_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  public_id TEXT NOT NULL UNIQUE,
  secret_hash BYTEA NOT NULL,
  user_name BYTEA NOT NULL,
  user_index BYTEA NOT NULL,
  label BYTEA,
  key_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_by_user ON api_keys (tenant, user_index);
