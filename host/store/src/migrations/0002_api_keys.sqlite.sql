-- Tessera schema v2 (SQLite): API keys per user, in Auth's format (`rak_` + 43 base62
-- characters, a UUID4 key id, the first 12 characters kept as a display prefix). The
-- secret is never stored, only its SHA-256 (256 random bits cannot be brute-forced;
-- the same digest as Auth's, so Auth's keys can be carried over); the user and the
-- label are sealed like the other sensitive columns.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  public_id TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  secret_hash BLOB NOT NULL UNIQUE,
  user_name BLOB NOT NULL,
  user_index BLOB NOT NULL,
  label BLOB,
  key_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_keys_by_user ON api_keys (tenant, user_index);
