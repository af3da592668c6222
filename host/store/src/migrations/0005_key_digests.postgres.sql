-- Tessera schema v5 (PostgreSQL): tenants are found by the SHA-256 digest of their
-- client key; the key itself (a bearer credential) is no longer stored. The
-- migration's Rust step replaces each key by its digest and takes the keys out of
-- the audit log.
ALTER TABLE tenants RENAME COLUMN client_key TO key_digest;
