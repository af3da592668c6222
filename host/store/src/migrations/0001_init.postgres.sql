-- Tessera schema v1 (PostgreSQL). Sealed columns hold `0x00 || text` or, with field
-- encryption, `0x01 || kid || nonce || AES-256-GCM ciphertext`; `*_index` columns hold
-- the equality key (the text, or its keyed HMAC) and `key_id` names the data key.
CREATE TABLE tenants (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_key TEXT NOT NULL UNIQUE,
  revision BIGINT NOT NULL DEFAULT 0,
  audit_seq BIGINT NOT NULL DEFAULT 0,
  audit_head BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE roles (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description BYTEA,
  key_id TEXT NOT NULL DEFAULT '',
  UNIQUE (tenant, name)
);
CREATE TABLE role_parents (
  role BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  parent BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (role, parent)
);
CREATE TABLE rules (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  effect BIGINT NOT NULL CHECK (effect IN (0, 1)),
  pattern BYTEA NOT NULL,
  pattern_index BYTEA NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  UNIQUE (role, effect, pattern_index)
);
CREATE TABLE members (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  user_name BYTEA NOT NULL,
  user_index BYTEA NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  UNIQUE (role, user_index)
);
CREATE INDEX members_by_user ON members (tenant, user_index);
CREATE TABLE audit (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant BIGINT NOT NULL REFERENCES tenants(id),
  seq BIGINT NOT NULL,
  time BIGINT NOT NULL,
  actor BYTEA,
  actor_index BYTEA,
  action TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity BYTEA NOT NULL,
  success BIGINT NOT NULL,
  details BYTEA NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL,
  UNIQUE (tenant, seq)
);
CREATE INDEX audit_by_time ON audit (tenant, time);
-- The installation's own chain (key rotation, re-encryption): the nil UUID, which no
-- tenant can have (client keys are UUID4).
INSERT INTO tenants (client_key, audit_head, created_at)
  VALUES ('00000000-0000-0000-0000-000000000000', decode(repeat('00', 32), 'hex'), CAST(extract(epoch FROM now()) AS BIGINT));
