-- Tessera schema v6 (SQLite): audit rows are linked by HMAC-SHA256 under a keyring
-- audit key, named per row ('' for a plain SHA-256 link). The migration's Rust step
-- links every chain again under the current audit key, as far as it verifies.
ALTER TABLE audit ADD COLUMN chain_kid TEXT NOT NULL DEFAULT '';
