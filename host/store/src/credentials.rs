//! What tokens need from the store: users' password hashes with the lockout's
//! bookkeeping, refresh tokens in families, and revoked access tokens. None of it is
//! policy, so none of it bumps the tenant's revision; all of it is audited.
//!
//! Token ids are kept as their SHA-256: a database reader learns no usable `jti`.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::fields::Field;
use super::sql::{Tx, any_of, params};
use super::{Entry, Scope, Store, StoreError, now, tenant_row};

/// What a login attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login {
    /// The password was right; the failure count is reset.
    Accepted,
    /// Wrong; this many attempts remain before the lockout.
    Refused {
        /// Attempts left.
        remaining: i64,
    },
    /// Locked (now or already) until this time.
    Locked {
        /// Seconds since the epoch.
        until: i64,
    },
}

/// What presenting a refresh token did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// It was live: it is used up now, and its successor is stored.
    Rotated,
    /// It had been used before: someone replayed it, so its whole family is revoked.
    Reused,
    /// Unknown, revoked or expired.
    Invalid,
}

/// A credentials row: its id, the password hash, failures in a row, the lock.
struct CredentialRow {
    id: i64,
    hash: String,
    failed: i64,
    locked_until: Option<i64>,
}

fn digest(token_id: &str) -> Vec<u8> {
    Sha256::digest(token_id.as_bytes()).to_vec()
}

impl Store {
    /// The row id, password hash, failures so far and lock of `user`'s credentials.
    fn credential_row(
        &self,
        tx: &mut dyn Tx,
        tenant: i64,
        user: &str,
    ) -> Result<Option<CredentialRow>, StoreError> {
        let (matches, candidates) =
            any_of("user_index", 2, self.keys.index_candidates(Field::User, tenant, user));
        let mut values = vec![tenant.into()];
        values.extend(candidates);
        let sql = format!(
            "SELECT id, password_hash, failed_attempts, locked_until FROM credentials WHERE tenant = $1 AND {matches}"
        );
        tx.query_opt(&sql, &values)?
            .map(|row| {
                Ok(CredentialRow {
                    id: row.int(0)?,
                    hash: row.text(1)?,
                    failed: row.int(2)?,
                    locked_until: row.opt_int(3)?,
                })
            })
            .transpose()
    }

    /// Sets `user`'s password hash (an argon2id PHC string), clearing any lockout.
    pub fn set_password(&self, scope: &Scope, user: &str, hash: &str) -> Result<(), StoreError> {
        self.audited(scope, false, |tx, tenant| {
            match self.credential_row(tx, tenant.id, user)? {
                Some(CredentialRow { id, .. }) => tx.execute(
                    "UPDATE credentials SET password_hash = $1, failed_attempts = 0, locked_until = NULL WHERE id = $2",
                    &params![hash, id],
                )?,
                None => {
                    let sealed = self.keys.seal(Field::User, tenant.id, user)?;
                    tx.execute(
                        "INSERT INTO credentials (tenant, user_name, user_index, password_hash, key_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &params![tenant.id, sealed.value, sealed.index, hash, self.keys.current_kid(), now()],
                    )?
                }
            };
            Ok(Some(Entry::new("user.password", "user", user, json!({}))))
        })?;
        Ok(())
    }

    /// Removes `user`'s password; `false` when there was none.
    pub fn delete_password(&self, scope: &Scope, user: &str) -> Result<bool, StoreError> {
        let mut deleted = false;
        self.audited(scope, false, |tx, tenant| {
            let Some(CredentialRow { id, .. }) = self.credential_row(tx, tenant.id, user)? else {
                return Ok(None);
            };
            tx.execute("DELETE FROM credentials WHERE id = $1", &params![id])?;
            deleted = true;
            Ok(Some(Entry::new("user.password_delete", "user", user, json!({}))))
        })?;
        Ok(deleted)
    }

    /// `user`'s password hash and lock, if the user has a password.
    pub fn password_hash(
        &self,
        tenant: &str,
        user: &str,
    ) -> Result<Option<(String, Option<i64>)>, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row(tx, tenant)?;
            Ok(self.credential_row(tx, id, user)?.map(|row| (row.hash, row.locked_until)))
        })
    }

    /// Records a login attempt that was checked against the hash: a success resets
    /// the count, the `max_attempts`-th failure in a row locks the user for
    /// `lockout` seconds. Audited either way.
    pub fn record_login(
        &self,
        scope: &Scope,
        user: &str,
        accepted: bool,
        max_attempts: i64,
        lockout: i64,
    ) -> Result<Login, StoreError> {
        let mut outcome = Login::Refused { remaining: 0 };
        self.audited(scope, false, |tx, tenant| {
            let Some(CredentialRow { id, failed, locked_until: locked, .. }) =
                self.credential_row(tx, tenant.id, user)?
            else {
                return Err(StoreError::NotFound { kind: "user", name: user.into() });
            };
            let now = now();
            if let Some(until) = locked.filter(|until| *until > now) {
                outcome = Login::Locked { until };
            } else if accepted {
                tx.execute(
                    "UPDATE credentials SET failed_attempts = 0, locked_until = NULL WHERE id = $1",
                    &params![id],
                )?;
                outcome = Login::Accepted;
            } else if failed + 1 >= max_attempts {
                let until = now + lockout;
                tx.execute(
                    "UPDATE credentials SET failed_attempts = 0, locked_until = $1 WHERE id = $2",
                    &params![until, id],
                )?;
                outcome = Login::Locked { until };
            } else {
                tx.execute(
                    "UPDATE credentials SET failed_attempts = failed_attempts + 1 WHERE id = $1",
                    &params![id],
                )?;
                outcome = Login::Refused { remaining: max_attempts - failed - 1 };
            }
            let (action, details) = match outcome {
                Login::Accepted => ("login", json!({})),
                Login::Refused { remaining } => ("login.refused", json!({"remaining": remaining})),
                Login::Locked { until } => ("login.locked", json!({"until": until})),
            };
            Ok(Some(Entry {
                success: outcome == Login::Accepted,
                ..Entry::new(action, "user", user, details)
            }))
        })?;
        Ok(outcome)
    }

    /// Stores a freshly issued refresh token of `family`.
    pub fn store_refresh(
        &self,
        scope: &Scope,
        token_id: &str,
        family: &str,
        subject: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.audited(scope, false, |tx, tenant| {
            tx.execute(
                "INSERT INTO refresh_tokens (tenant, token_hash, family, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
                &params![tenant.id, digest(token_id), family, expires_at, now()],
            )?;
            Ok(Some(Entry::new("token.issue", "token", family, json!({"subject": subject, "expires_at": expires_at}))))
        })?;
        Ok(())
    }

    /// Uses up the refresh token `token_id` and stores `next_id` in its family; a
    /// token used before revokes the whole family (someone holds a copy).
    pub fn rotate_refresh(
        &self,
        scope: &Scope,
        token_id: &str,
        next_id: &str,
        next_expires_at: i64,
    ) -> Result<RefreshOutcome, StoreError> {
        let mut outcome = RefreshOutcome::Invalid;
        self.audited(scope, false, |tx, tenant| {
            let Some(row) = tx.query_opt(
                "SELECT id, family, used_at, revoked_at, expires_at FROM refresh_tokens WHERE tenant = $1 AND token_hash = $2",
                &params![tenant.id, digest(token_id)],
            )?
            else {
                outcome = RefreshOutcome::Invalid;
                return Ok(None);
            };
            let (id, family) = (row.int(0)?, row.text(1)?);
            let now = now();
            if row.opt_int(3)?.is_some() || row.int(4)? <= now {
                outcome = RefreshOutcome::Invalid;
                return Ok(None);
            }
            if row.opt_int(2)?.is_some() {
                tx.execute(
                    "UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
                    &params![now, family.as_str()],
                )?;
                outcome = RefreshOutcome::Reused;
                let entry = Entry::new("token.reuse", "token", family.as_str(), json!({"family_revoked": true}));
                return Ok(Some(Entry { success: false, ..entry }));
            }
            tx.execute("UPDATE refresh_tokens SET used_at = $1 WHERE id = $2", &params![now, id])?;
            tx.execute(
                "INSERT INTO refresh_tokens (tenant, token_hash, family, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
                &params![tenant.id, digest(next_id), family.as_str(), next_expires_at, now],
            )?;
            outcome = RefreshOutcome::Rotated;
            Ok(Some(Entry::new("token.refresh", "token", family.as_str(), json!({}))))
        })?;
        Ok(outcome)
    }

    /// Revokes the family of refresh token `token_id`; `false` when it is unknown.
    pub fn revoke_refresh(&self, scope: &Scope, token_id: &str) -> Result<bool, StoreError> {
        let mut revoked = false;
        self.audited(scope, false, |tx, tenant| {
            let Some(row) = tx.query_opt(
                "SELECT family FROM refresh_tokens WHERE tenant = $1 AND token_hash = $2",
                &params![tenant.id, digest(token_id)],
            )?
            else {
                return Ok(None);
            };
            let family = row.text(0)?;
            tx.execute(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
                &params![now(), family.as_str()],
            )?;
            revoked = true;
            Ok(Some(Entry::new("token.revoke", "token", family.as_str(), json!({"kind": "refresh"}))))
        })?;
        Ok(revoked)
    }

    /// Revokes the access token `token_id` until it would have expired anyway.
    pub fn revoke_access(&self, scope: &Scope, token_id: &str, expires_at: i64) -> Result<(), StoreError> {
        self.audited(scope, false, |tx, tenant| {
            tx.execute("DELETE FROM revoked_tokens WHERE expires_at <= $1", &params![now()])?;
            let hash = digest(token_id);
            if tx
                .query_opt(
                    "SELECT token_hash FROM revoked_tokens WHERE token_hash = $1",
                    &params![hash.clone()],
                )?
                .is_some()
            {
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO revoked_tokens (token_hash, tenant, expires_at) VALUES ($1, $2, $3)",
                &params![hash, tenant.id, expires_at],
            )?;
            Ok(Some(Entry::new("token.revoke", "token", token_id, json!({"kind": "access"}))))
        })?;
        Ok(())
    }

    /// Whether the access token `token_id` was revoked.
    pub fn access_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        self.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT token_hash FROM revoked_tokens WHERE token_hash = $1",
                    &params![digest(token_id)],
                )?
                .is_some())
        })
    }
}
