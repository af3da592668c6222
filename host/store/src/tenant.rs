//! Tenant-level state besides the policy: settings, client-key rotation, and what a
//! server needs to keep its per-tenant caches current.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;
use tessera_core::Policy;

use super::fields::Field;
use super::sql::params;
use super::{
    Entry, SYSTEM_TENANT, Scope, Store, StoreError, canonical_client_key, fingerprint, key_digest, now,
    tenant_row_of_digest,
};

/// A tenant's settings (Auth's `GET /api/settings`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TenantSettings {
    /// Users without a live API key are answered negatively (`user_not_key_backed`).
    pub strict_users: bool,
}

/// A tenant's policy as its snapshots carry it ([`Store::published`]).
#[derive(Debug)]
pub struct Published {
    /// The policy, under strict users when the tenant is strict.
    pub policy: Policy,
    /// The store's revision it was read at.
    pub revision: u64,
    /// When the first key-backed user's last live key expires: from then on the
    /// policy is another (that user is no longer key-backed), at the same revision.
    pub changes_at: Option<i64>,
}

/// What a client-key rotation moved to the new key (Auth's `migrated` counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Rotated {
    /// Roles.
    pub roles: i64,
    /// User → role pairs.
    pub memberships: i64,
    /// Grants and denies.
    pub permissions: i64,
    /// API keys.
    pub api_keys: i64,
    /// Settings rows (always 1: settings live in the tenant row).
    pub settings: i64,
}

impl Store {
    /// The tenant's settings: what it stored, else the defaults (for a tenant that
    /// stored none, or does not exist yet).
    pub fn settings(&self, tenant: &str) -> Result<TenantSettings, StoreError> {
        self.settings_of_digest(&key_digest(tenant))
    }

    fn settings_of_digest(&self, digest: &str) -> Result<TenantSettings, StoreError> {
        self.read(|tx| {
            let row =
                tx.query_opt("SELECT strict_users FROM tenants WHERE key_digest = $1", &params![digest])?;
            let stored = row.map(|r| r.opt_int(0)).transpose()?.flatten();
            Ok(TenantSettings { strict_users: stored.map_or(self.strict_users_default, |on| on != 0) })
        })
    }

    /// Turns strict users on or off (stored, so the default no longer applies).
    pub fn set_strict_users(&self, scope: &Scope, enabled: bool) -> Result<TenantSettings, StoreError> {
        self.change(scope, |tx, tenant| {
            let changed = tx.execute(
                "UPDATE tenants SET strict_users = $1 WHERE id = $2 AND strict_users IS DISTINCT FROM $1",
                &params![i64::from(enabled), tenant.id],
            )?;
            Ok((changed > 0).then(|| {
                Entry::new("settings.update", "tenant", "strict_users", json!({"strict_users": enabled}))
            }))
        })?;
        Ok(TenantSettings { strict_users: enabled })
    }

    /// Moves the tenant to the client key `new_key`: every row follows (they refer to
    /// the tenant's internal id, which does not change, and sealed columns are bound
    /// to that id, so nothing is re-encrypted). The old key owns nothing afterwards.
    pub fn rotate_client_key(&self, scope: &Scope, new_key: &str) -> Result<Rotated, StoreError> {
        let new_key = canonical_client_key(new_key)?;
        if new_key == scope.tenant || new_key == SYSTEM_TENANT {
            return Err(StoreError::InvalidClientKey("the new key must differ from the current one".into()));
        }
        let mut counts = Rotated::default();
        self.change(scope, |tx, tenant| {
            if tx
                .query_opt("SELECT id FROM tenants WHERE key_digest = $1", &params![key_digest(&new_key)])?
                .is_some()
            {
                return Err(StoreError::Exists { kind: "tenant", name: fingerprint(&new_key) });
            }
            let id = tenant.id;
            counts = Rotated {
                roles: tx.count("SELECT COUNT(*) FROM roles WHERE tenant = $1", &params![id])?,
                memberships: tx.count("SELECT COUNT(*) FROM members WHERE tenant = $1", &params![id])?,
                permissions: tx.count("SELECT COUNT(*) FROM rules WHERE tenant = $1", &params![id])?,
                api_keys: tx.count("SELECT COUNT(*) FROM api_keys WHERE tenant = $1", &params![id])?,
                settings: 1,
            };
            tx.execute(
                "UPDATE tenants SET key_digest = $1 WHERE id = $2",
                &params![key_digest(&new_key), id],
            )?;
            // The entry names neither key: the chain is the tenant's, whatever its key.
            Ok(Some(Entry::new("tenant.rotate_key", "tenant", "client_key", json!({"migrated": counts}))))
        })?;
        Ok(counts)
    }

    /// Every tenant's key digest ([`key_digest`]) and revision, to notice changes
    /// made elsewhere.
    pub fn revisions(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read(|tx| {
            let rows = tx.query(
                "SELECT key_digest, revision FROM tenants WHERE key_digest <> $1",
                &params![key_digest(SYSTEM_TENANT)],
            )?;
            rows.iter().map(|r| Ok((r.text(0)?, u64::try_from(r.int(1)?).unwrap_or(0)))).collect()
        })
    }

    /// The tenant's policy as its snapshots carry it: the authored policy at its
    /// revision, under strict users when the tenant is strict, with the users who
    /// hold a live API key now.
    pub fn published(&self, tenant: &str) -> Result<Published, StoreError> {
        self.published_of_digest(&key_digest(tenant), tenant)
    }

    /// [`published`](Self::published) for a caller that holds no client key (a user
    /// who signed in): the tenant is found by its key digest and its policy names it
    /// by its [`public_tenant_id`](crate::public_tenant_id).
    pub fn published_by_digest(&self, digest: &str) -> Result<Published, StoreError> {
        self.published_of_digest(digest, &crate::public_tenant_id(digest))
    }

    fn published_of_digest(&self, digest: &str, name: &str) -> Result<Published, StoreError> {
        let (document, revision) = self.policy_of_digest(digest, name)?;
        let policy = document.into_policy().map_err(StoreError::Policy)?;
        if !self.settings_of_digest(digest)?.strict_users {
            return Ok(Published { policy, revision, changes_at: None });
        }
        let users = self.key_backed_users_of_digest(digest)?;
        let changes_at = users.values().flatten().min().copied();
        let policy = policy.with_strict_users(users.into_keys()).map_err(StoreError::Policy)?;
        Ok(Published { policy, revision, changes_at })
    }

    /// Users holding an unrevoked API key, each with when their last key expires
    /// (`None`: one never does) — what strict users asks about.
    pub fn key_backed_users(&self, tenant: &str) -> Result<HashMap<String, Option<i64>>, StoreError> {
        self.key_backed_users_of_digest(&key_digest(tenant))
    }

    fn key_backed_users_of_digest(&self, digest: &str) -> Result<HashMap<String, Option<i64>>, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row_of_digest(tx, digest)?;
            let mut users: HashMap<String, Option<i64>> = HashMap::new();
            let now = now();
            tx.query_each(
                "SELECT user_name, expires_at FROM api_keys WHERE tenant = $1 AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > $2)",
                &params![id, now],
                &mut |row| {
                    let user = self.keys.open(Field::User, id, &row.bytes(0)?)?;
                    let expires = row.opt_int(1)?;
                    let until = users.entry(user).or_insert(expires);
                    *until = match (*until, expires) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                    Ok(())
                },
            )?;
            Ok(users)
        })
    }
}
