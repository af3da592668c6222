-- Tessera schema v8 (SQLite): the resource model, one row per entry of the policy
-- document's sections (a type, a resource, a group, a user's attributes, a grant, a
-- rule). `name` is the sealed `kind:key` (a resource's key is `type:id`, a grant's its
-- JSON), `name_index` its equality key, `body` the sealed JSON of the entry: user
-- names and attributes are personal data, so both are sealed like the other columns.
CREATE TABLE model_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name BLOB NOT NULL,
  name_index BLOB NOT NULL,
  body BLOB NOT NULL,
  key_id TEXT NOT NULL DEFAULT '',
  UNIQUE (tenant, name_index)
);
CREATE INDEX model_entries_by_kind ON model_entries (tenant, kind);
