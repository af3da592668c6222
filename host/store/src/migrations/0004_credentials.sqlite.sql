-- Tessera schema v4 (SQLite): what `POST /api/token` needs. Users with passwords
-- (argon2id PHC strings; the user sealed like every user column, found by its blind
-- index) and the bookkeeping of the lockout; refresh tokens by the SHA-256 of their
-- `jti`, in families (a reused one revokes its family); revoked access tokens until
-- they expire.
CREATE TABLE credentials (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_name BLOB NOT NULL,
  user_index BLOB NOT NULL,
  password_hash TEXT NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  key_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (tenant, user_index)
);
CREATE TABLE refresh_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  token_hash BLOB NOT NULL UNIQUE,
  family TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  revoked_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE TABLE revoked_tokens (
  token_hash BLOB PRIMARY KEY,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
);
