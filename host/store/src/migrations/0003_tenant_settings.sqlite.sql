-- Tessera schema v3 (SQLite): per-tenant settings (Auth's `strict_users`: users without
-- a live API key are answered negatively).
ALTER TABLE tenants ADD COLUMN strict_users INTEGER NOT NULL DEFAULT 0;
