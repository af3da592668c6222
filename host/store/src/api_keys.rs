//! API keys: long-lived credentials a user's programs present instead of a token.
//! Auth's format, so its clients and its stored keys carry over: `rak_` + 43 base62
//! characters of 256 random bits, a UUID4 key id, the first 12 characters as a
//! display prefix, and only the SHA-256 of the secret stored. The secret is shown
//! once, at creation. A key's user and label are sealed like every other sensitive
//! column.

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tessera_core::{IdentifierKind, PolicyError, validate_identifier};
use zeroize::Zeroizing;

use super::audit::Entry;
use super::fields::Field;
use super::sql::{Value, any_of, params};
use super::{Scope, Store, StoreError, now, tenant_row};

/// What every API key secret starts with, so scanners and people recognise one.
pub const API_KEY_PREFIX: &str = "rak_";
/// Characters of the secret kept for display (`rak_` and 8 more).
const DISPLAY_PREFIX_LEN: usize = 12;
/// Base62 characters that carry 256 bits.
const PAYLOAD_LEN: usize = 43;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An API key as listings show it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    /// The public id (a UUID4), used to revoke the key.
    pub id: String,
    /// The secret's first characters (`rak_` + 8), to recognise it in a listing.
    pub prefix: String,
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
    /// The tenant, as the digest of its client key ([`key_digest`](super::key_digest)):
    /// the store keeps no client key to return.
    pub tenant_digest: String,
    /// The user.
    pub user: String,
    /// The key's public id.
    pub id: String,
}

/// What a presented secret turned out to be, in one tenant (Auth's `validate` answers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// A live key of this tenant.
    Valid(ApiKeyInfo),
    /// A key of this tenant that was revoked (its id).
    Revoked(String),
    /// A key of this tenant past its expiry (its id).
    Expired(String),
    /// Not a key of this tenant: unknown, malformed, or another tenant's.
    Unknown,
}

/// What revoking a key did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// It was live and is revoked now.
    Now,
    /// It had been revoked before (nothing changed).
    Already,
}

/// SHA-256 of the whole secret: Auth's digest (it stores the hex of these bytes).
fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// 32 bytes as 43 base62 digits, most significant first, left-padded with `0`.
fn base62(bytes: &[u8; 32]) -> Zeroizing<String> {
    let mut number = Zeroizing::new(*bytes);
    let mut digits = Zeroizing::new(vec![0u8; PAYLOAD_LEN]);
    for digit in digits.iter_mut().rev() {
        // Long division of the big-endian number by 62; the remainder is the digit.
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        *digit = BASE62[remainder as usize];
    }
    Zeroizing::new(digits.iter().map(|&d| char::from(d)).collect())
}

fn random16() -> Result<[u8; 16], StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Crypto(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// Whether `secret` has the shape of an API key (checked before any database work).
fn well_formed(secret: &str) -> bool {
    secret
        .strip_prefix(API_KEY_PREFIX)
        .is_some_and(|p| p.len() == PAYLOAD_LEN && p.bytes().all(|b| b.is_ascii_alphanumeric()))
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
        let id = uuid::Builder::from_random_bytes(random16()?).into_uuid().hyphenated().to_string();
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).map_err(|e| StoreError::Crypto(format!("no randomness: {e}")))?;
        let secret = Zeroizing::new(format!("{API_KEY_PREFIX}{}", base62(&bytes).as_str()));
        let prefix: String = secret.chars().take(DISPLAY_PREFIX_LEN).collect();
        let created_at = now();
        self.change(scope, |tx, tenant| {
            let sealed_user = self.keys.seal(Field::User, tenant.id, user)?;
            let sealed_label = self.keys.seal_opt(Field::Label, tenant.id, label)?;
            tx.execute(
                "INSERT INTO api_keys (tenant, public_id, key_prefix, secret_hash, user_name, user_index, label, key_id, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &params![
                    tenant.id,
                    id.as_str(),
                    prefix.as_str(),
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
            prefix,
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
                "SELECT public_id, user_name, label, created_at, expires_at, revoked_at, key_prefix FROM api_keys \
                 WHERE tenant = $1",
            );
            let mut values = vec![Value::Int(id)];
            if let Some(user) = user {
                let (matches, candidates) = any_of("user_index", 2, self.keys.index_candidates(Field::User, id, user));
                sql.push_str(&format!(" AND {matches}"));
                values.extend(candidates);
            }
            sql.push_str(" ORDER BY id");
            let mut keys = Vec::new();
            tx.query_each(&sql, &values, &mut |row| {
                keys.push(self.key_info(id, &row)?);
                Ok(())
            })?;
            Ok(keys)
        })
    }

    /// Revokes `user`'s key `id` (Auth's route: an id of another user or tenant is
    /// not found); revoking it again changes nothing.
    pub fn revoke_user_api_key(&self, scope: &Scope, user: &str, id: &str) -> Result<Revoked, StoreError> {
        let mut outcome = Revoked::Already;
        self.change(scope, |tx, tenant| {
            let revoked_at = self.user_key(tx, tenant.id, user, id)?.revoked_at;
            if revoked_at.is_some() {
                outcome = Revoked::Already;
                return Ok(None);
            }
            tx.execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE tenant = $2 AND public_id = $3",
                &params![now(), tenant.id, id],
            )?;
            outcome = Revoked::Now;
            Ok(Some(Entry::new("apikey.revoke", "api_key", id, json!({"user": user}))))
        })?;
        Ok(outcome)
    }

    /// Moves the expiry of `user`'s live key `id` earlier (never later, as in Auth).
    pub fn set_api_key_expiry(
        &self,
        scope: &Scope,
        user: &str,
        id: &str,
        expires_at: i64,
    ) -> Result<ApiKeyInfo, StoreError> {
        let mut info = None;
        self.change(scope, |tx, tenant| {
            let mut key = self.user_key(tx, tenant.id, user, id)?;
            if key.revoked_at.is_some() {
                return Err(StoreError::Invalid("the key is revoked".into()));
            }
            if expires_at <= now() {
                return Err(StoreError::Invalid("expires_at must be in the future".into()));
            }
            if key.expires_at.is_some_and(|current| expires_at >= current) {
                return Err(StoreError::Invalid(
                    "expires_at may only be moved earlier than the key's current expiry".into(),
                ));
            }
            tx.execute(
                "UPDATE api_keys SET expires_at = $1 WHERE tenant = $2 AND public_id = $3",
                &params![expires_at, tenant.id, id],
            )?;
            key.expires_at = Some(expires_at);
            info = Some(key);
            Ok(Some(Entry::new(
                "apikey.expiry",
                "api_key",
                id,
                json!({"user": user, "expires_at": expires_at}),
            )))
        })?;
        info.ok_or_else(|| StoreError::Database("the expiry update did not run".into()))
    }

    /// `user`'s key `id` in tenant `tenant` (internal id).
    fn user_key(
        &self,
        tx: &mut dyn super::sql::Tx,
        tenant: i64,
        user: &str,
        id: &str,
    ) -> Result<ApiKeyInfo, StoreError> {
        let not_found = || StoreError::NotFound { kind: "API key", name: id.into() };
        let row = tx
            .query_opt(
                "SELECT public_id, user_name, label, created_at, expires_at, revoked_at, key_prefix FROM api_keys \
                 WHERE tenant = $1 AND public_id = $2",
                &params![tenant, id],
            )?
            .ok_or_else(not_found)?;
        let info = self.key_info(tenant, &row)?;
        if info.user != user {
            return Err(not_found());
        }
        Ok(info)
    }

    fn key_info(&self, tenant: i64, row: &super::sql::Row) -> Result<ApiKeyInfo, StoreError> {
        Ok(ApiKeyInfo {
            id: row.text(0)?,
            prefix: row.text(6)?,
            user: self.keys.open(Field::User, tenant, &row.bytes(1)?)?,
            label: self.keys.open_opt(Field::Label, tenant, row.opt_bytes(2)?.as_deref())?,
            created_at: row.int(3)?,
            expires_at: row.opt_int(4)?,
            revoked_at: row.opt_int(5)?,
        })
    }

    /// What `secret` is in `tenant`: Auth's validate, which tells a revoked or expired
    /// key of the caller's own tenant apart from one it does not know (another
    /// tenant's key is unknown, so no tenant can probe another's keys).
    pub fn api_key_status(&self, tenant: &str, secret: &str) -> Result<KeyStatus, StoreError> {
        if !well_formed(secret) {
            return Ok(KeyStatus::Unknown);
        }
        let digest = hash(secret);
        self.read(|tx| {
            let Some(row) = tx.query_opt(
                "SELECT k.public_id, k.user_name, k.label, k.created_at, k.expires_at, k.revoked_at, k.key_prefix, \
                 k.tenant, k.secret_hash FROM api_keys k JOIN tenants t ON t.id = k.tenant \
                 WHERE k.secret_hash = $1 AND t.key_digest = $2",
                &params![digest.clone(), super::key_digest(tenant)],
            )?
            else {
                return Ok(KeyStatus::Unknown);
            };
            let matches: bool = row.bytes(8)?.ct_eq(&digest).into();
            if !matches {
                return Ok(KeyStatus::Unknown);
            }
            let info = self.key_info(row.int(7)?, &row)?;
            Ok(if info.revoked_at.is_some() {
                KeyStatus::Revoked(info.id)
            } else if info.expires_at.is_some_and(|at| at <= now()) {
                KeyStatus::Expired(info.id)
            } else {
                KeyStatus::Valid(info)
            })
        })
    }

    /// Revokes the key with id `id`: it no longer validates.
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
        if !well_formed(secret) {
            return Ok(None);
        }
        let digest = hash(secret);
        self.read(|tx| {
            let Some(row) = tx.query_opt(
                "SELECT t.key_digest, k.tenant, k.secret_hash, k.user_name, k.expires_at, k.revoked_at, k.public_id \
                 FROM api_keys k JOIN tenants t ON t.id = k.tenant WHERE k.secret_hash = $1",
                &params![digest.clone()],
            )?
            else {
                return Ok(None);
            };
            // The index found it; compare again in constant time, so no code path
            // depends on how much of a guessed digest matched.
            let matches: bool = row.bytes(2)?.ct_eq(&digest).into();
            let expired = row.opt_int(4)?.is_some_and(|at| at <= now());
            let revoked = row.opt_int(5)?.is_some();
            if !matches || expired || revoked {
                return Ok(None);
            }
            let tenant = row.int(1)?;
            Ok(Some(ApiKeyOwner {
                tenant_digest: row.text(0)?,
                user: self.keys.open(Field::User, tenant, &row.bytes(3)?)?,
                id: row.text(6)?,
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_carries_all_256_bits() {
        assert_eq!(base62(&[0; 32]).as_str(), "0".repeat(PAYLOAD_LEN));
        let mut one = [0u8; 32];
        one[31] = 61;
        assert!(base62(&one).ends_with("0z"));
        one[31] = 62;
        assert!(base62(&one).ends_with("10"));
        // 62^43 > 2^256 > 62^42: the largest value needs all 43 digits.
        assert!(!base62(&[0xff; 32]).starts_with('0'));
        assert!(well_formed(&format!("{API_KEY_PREFIX}{}", base62(&[7; 32]).as_str())));
        assert!(!well_formed("rak_short") && !well_formed(&format!("tsk_{}", "a".repeat(43))));
    }

    #[test]
    fn the_digest_is_auths() {
        // Python: hashlib.sha256(b"rak_" + b"0" * 43).hexdigest()
        let hex: String =
            hash(&format!("rak_{}", "0".repeat(43))).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "0ff22ece5e18f557c04bdaab08d6576f4740d254868ac09fdfdced727063becc");
        // Auth's _base62 of bytes 0..32, padded as generate_api_key pads it.
        let bytes: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(base62(&bytes).as_str(), "003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf");
    }
}
