-- Tessera schema v7 (PostgreSQL): a tenant's `strict_users` may be unset (NULL), and
-- an unset tenant follows AUTH_STRICT_USERS_DEFAULT (true unless set), as in Auth 3.x.
-- Every tenant that exists already keeps its stored value, now explicit, so the new
-- default reaches only tenants created from here on (Auth grandfathers the same way).
ALTER TABLE tenants ALTER COLUMN strict_users DROP NOT NULL, ALTER COLUMN strict_users DROP DEFAULT;
