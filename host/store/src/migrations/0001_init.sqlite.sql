-- Tessera schema v1 (SQLite). Sealed columns hold `0x00 || text` or, with field
-- encryption, `0x01 || kid || nonce || AES-256-GCM ciphertext`; `*_index` columns hold
-- the equality key (the text, or its keyed HMAC) and `key_id` names the data key.
CREATE TABLE tenants (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_key TEXT NOT NULL UNIQUE,
  revision INTEGER NOT NULL DEFAULT 0,
  audit_seq INTEGER NOT NULL DEFAULT 0,
  audit_head BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE roles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description BLOB,
  key_id TEXT NOT NULL DEFAULT '',
  UNIQUE (tenant, name)
);
CREATE TABLE role_parents (
  role INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  parent INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (role, parent)
);
CREATE TABLE rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  effect INTEGER NOT NULL CHECK (effect IN (0, 1)),
  pattern BLOB NOT NULL,
  pattern_index BLOB NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  UNIQUE (role, effect, pattern_index)
);
CREATE TABLE members (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  user_name BLOB NOT NULL,
  user_index BLOB NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  UNIQUE (role, user_index)
);
CREATE INDEX members_by_user ON members (tenant, user_index);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id),
  seq INTEGER NOT NULL,
  time INTEGER NOT NULL,
  actor BLOB,
  actor_index BLOB,
  action TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity BLOB NOT NULL,
  success INTEGER NOT NULL,
  details BLOB NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  UNIQUE (tenant, seq)
);
CREATE INDEX audit_by_time ON audit (tenant, time);
-- The installation's own chain (key rotation, re-encryption): the nil UUID, which no
-- tenant can have (client keys are UUID4).
INSERT INTO tenants (client_key, audit_head, created_at)
  VALUES ('00000000-0000-0000-0000-000000000000', zeroblob(32), CAST(strftime('%s', 'now') AS INTEGER));
