-- Tessera schema v7 (SQLite): a tenant's `strict_users` may be unset (NULL), and an
-- unset tenant follows AUTH_STRICT_USERS_DEFAULT (true unless set), as in Auth 3.x.
-- Every tenant that exists already keeps its stored value, now explicit, so the new
-- default reaches only tenants created from here on (Auth grandfathers the same way).
ALTER TABLE tenants ADD COLUMN strict_users_setting INTEGER;
UPDATE tenants SET strict_users_setting = strict_users;
ALTER TABLE tenants DROP COLUMN strict_users;
ALTER TABLE tenants RENAME COLUMN strict_users_setting TO strict_users;
