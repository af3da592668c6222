//! API keys: long-lived credentials a user's programs present instead of a token.
//! The secret is shown once, at creation; the store keeps only its SHA-256. A key's
//! user and label are sealed like every other sensitive column.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tessera_core::{IdentifierKind, PolicyError, validate_identifier};
use zeroize::Zeroizing;

use super::audit::Entry;
use super::fields::Field;
use super::sql::{Value, params, placeholders};
use super::{Scope, Store, StoreError, now, tenant_row};

/// What every API key secret starts with, so scanners and people recognise one.
pub const API_KEY_PREFIX: &str = "tsk_";

/// An API key as listings show it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    /// The public id (`ak_...`), also the first part of the secret.
    pub id: String,
    /// The user it speaks for.
    pub user: String,
    /// What it is for.
    pub label: Option<String>,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// When it stops working.
    pub expires_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
}

/// A key that validated: whose it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyOwner {
    /// The tenant's client key.
    pub tenant: String,
    /// The user.
    pub user: String,
    /// The key's public id.
    pub id: String,
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::new_with_prefix(b"tessera api key v1\0").chain_update(secret.as_bytes()).finalize().to_vec()
}

fn random(len: usize) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Crypto(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// `tsk_<public id>_<secret>` → the public id.
fn public_id_of(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix(API_KEY_PREFIX)?;
    // The id has no `_` (see `create_api_key`); the secret part may.
    let (id, _) = rest.split_once('_')?;
    id.starts_with("ak").then_some(id)
}

impl Store {
    /// Creates an API key for `user`; returns it and its secret, which is not stored
    /// and cannot be shown again.
    pub fn create_api_key(
        &self,
        scope: &Scope,
        user: &str,
        label: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<(ApiKeyInfo, Zeroizing<String>), StoreError> {
        let invalid = |field: &str, kind, value: &str| {
            validate_identifier(kind, value).map_err(|error| {
                StoreError::Policy(PolicyError::InvalidIdentifier { field: field.into(), error })
            })
        };
        invalid("user", IdentifierKind::User, user)?;
        if let Some(label) = label {
            invalid("label", IdentifierKind::ApiKeyLabel, label)?;
        }
        let id = format!("ak{}", Base64UrlUnpadded::encode_string(&random(9)?).replace(['-', '_'], "x"));
        let secret = Zeroizing::new(format!(
            "{API_KEY_PREFIX}{id}_{}",
            Base64UrlUnpadded::encode_string(&random(32)?)
        ));
        let created_at = now();
        self.change(scope, |tx, tenant| {
            let sealed_user = self.keys.seal(Field::User, tenant.id, user)?;
            let sealed_label = self.keys.seal_opt(Field::Label, tenant.id, label)?;
            tx.execute(
                "INSERT INTO api_keys (tenant, public_id, secret_hash, user_name, user_index, label, key_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &params![
                    tenant.id,
                    id.as_str(),
                    hash(&secret),
                    sealed_user.value,
                    sealed_user.index,
                    sealed_label.map(|s| s.value),
                    self.keys.current_kid(),
                    created_at,
                    expires_at
                ],
            )?;
            let details = json!({"user": user, "label": label, "expires_at": expires_at});
            Ok(Some(Entry::new("apikey.create", "api_key", id.as_str(), details)))
        })?;
        let info = ApiKeyInfo {
            id,
            user: user.into(),
            label: label.map(Into::into),
            created_at,
            expires_at,
            revoked_at: None,
        };
        Ok((info, secret))
    }

    /// The tenant's API keys (of `user`, when given), oldest first.
    pub fn api_keys(&self, tenant: &str, user: Option<&str>) -> Result<Vec<ApiKeyInfo>, StoreError> {
        self.read(|tx| {
            let (id, _) = tenant_row(tx, tenant)?;
            let mut sql = String::from(
                "SELECT public_id, user_name, label, created_at, expires_at, revoked_at FROM api_keys WHERE tenant = $1",
            );
            let mut values = vec![Value::Int(id)];
            if let Some(user) = user {
                let candidates = self.keys.index_candidates(Field::User, id, user);
                sql.push_str(&format!(" AND user_index IN {}", placeholders(2, candidates.len())));
                values.extend(candidates.into_iter().map(Value::Bytes));
            }
            sql.push_str(" ORDER BY id");
            let mut keys = Vec::new();
            tx.query_each(&sql, &values, &mut |row| {
                let opt_int = |i| match row.0.get(i) {
                    Some(Value::Int(v)) => Some(*v),
                    _ => None,
                };
                keys.push(ApiKeyInfo {
                    id: row.text(0)?,
                    user: self.keys.open(Field::User, id, &row.bytes(1)?)?,
                    label: self.keys.open_opt(Field::Label, id, row.opt_bytes(2)?.as_deref())?,
                    created_at: row.int(3)?,
                    expires_at: opt_int(4),
                    revoked_at: opt_int(5),
                });
                Ok(())
            })?;
            Ok(keys)
        })
    }

    /// Revokes the key with public id `id`: it no longer validates.
    pub fn revoke_api_key(&self, scope: &Scope, id: &str) -> Result<(), StoreError> {
        self.change(scope, |tx, tenant| {
            let changed = tx.execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE tenant = $2 AND public_id = $3 AND revoked_at IS NULL",
                &params![now(), tenant.id, id],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound { kind: "active API key", name: id.into() });
            }
            Ok(Some(Entry::new("apikey.revoke", "api_key", id, json!({}))))
        })?;
        Ok(())
    }

    /// Whose key `secret` is, if it is a live one (not revoked, not expired). The
    /// hash comparison is constant-time; an unknown, malformed, revoked or expired
    /// key are all just `None`.
    pub fn validate_api_key(&self, secret: &str) -> Result<Option<ApiKeyOwner>, StoreError> {
        let Some(public_id) = public_id_of(secret) else { return Ok(None) };
        self.read(|tx| {
            let Some(row) = tx.query_opt(
                "SELECT t.client_key, k.tenant, k.secret_hash, k.user_name, k.expires_at, k.revoked_at \
                 FROM api_keys k JOIN tenants t ON t.id = k.tenant WHERE k.public_id = $1",
                &params![public_id],
            )?
            else {
                return Ok(None);
            };
            let matches: bool = row.bytes(2)?.ct_eq(&hash(secret)).into();
            let expired = matches!(row.0.get(4), Some(Value::Int(at)) if *at <= now());
            let revoked = !matches!(row.0.get(5), Some(Value::Null) | None);
            if !matches || expired || revoked {
                return Ok(None);
            }
            let tenant = row.int(1)?;
            Ok(Some(ApiKeyOwner {
                tenant: row.text(0)?,
                user: self.keys.open(Field::User, tenant, &row.bytes(3)?)?,
                id: public_id.to_owned(),
            }))
        })
    }
}
