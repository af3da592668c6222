-- Tessera schema v2 (SQLite): API keys per user. The secret is never stored, only its
-- SHA-256 (the secret is 256 random bits, so a plain hash cannot be brute-forced);
-- the user and the label are sealed like the other sensitive columns.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  public_id TEXT NOT NULL UNIQUE,
  secret_hash BLOB NOT NULL,
  user_name BLOB NOT NULL,
  user_index BLOB NOT NULL,
  label BLOB,
  key_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_keys_by_user ON api_keys (tenant, user_index);
