-- Tessera schema v3 (PostgreSQL): per-tenant settings (Auth's `strict_users`: users
-- without a live API key are answered negatively).
ALTER TABLE tenants ADD COLUMN strict_users BIGINT NOT NULL DEFAULT 0;
