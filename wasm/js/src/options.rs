//! What a `WasmAuthorizer` is built with: the JSON the wrapper makes of `Authorizer.load`'s
//! options (snake_case; unknown fields refused so a typo cannot weaken a check).

use serde::Deserialize;
use serde_json::Value;
use tessera_core::{
    DEFAULT_MAX_SNAPSHOT_BYTES, EncryptionKey, KeySet, SnapshotLoader, ValidationOptions, VerifyingKey,
};
use zeroize::Zeroizing;

use crate::failure::{self, Failure};
use crate::public_keys::JsPublicKeys;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// Public Ed25519 JWKs allowed to sign snapshots.
    #[serde(default)]
    snapshot_keys: Vec<Value>,
    /// A JWKS of token verification keys.
    #[serde(default)]
    token_keys: Option<Value>,
    /// Token validation rules (the core's snake_case form).
    #[serde(default)]
    token: ValidationOptions,
    /// `AUTH_ENCRYPTION_KEY`'s form: standard base64 of 32 bytes.
    #[serde(default)]
    decryption_key: Option<String>,
    #[serde(default)]
    max_snapshot_bytes: Option<usize>,
}

/// An authorizer's fixed setup, parsed and checked once.
pub(crate) struct Options {
    pub(crate) loader: SnapshotLoader,
    pub(crate) token_keys: KeySet,
    pub(crate) token: ValidationOptions,
}

impl Options {
    pub(crate) fn from_json(json: &str) -> Result<Self, Failure> {
        let raw: Raw = serde_json::from_str(json).map_err(failure::options)?;
        let mut loader =
            SnapshotLoader::new().max_bytes(raw.max_snapshot_bytes.unwrap_or(DEFAULT_MAX_SNAPSHOT_BYTES));
        for jwk in &raw.snapshot_keys {
            loader = loader.trust(VerifyingKey::from_jwk(&jwk.to_string())?);
        }
        if let Some(key) = raw.decryption_key {
            // Wiped when done; the key itself lives zeroized in the loader. (The JS
            // string it came from is out of reach: JS strings cannot be wiped.)
            let key = Zeroizing::new(key);
            loader = loader.decrypt_with(EncryptionKey::from_base64(&key)?);
        }
        let token_keys = match raw.token_keys {
            Some(jwks) => KeySet::from_jwks_with(&jwks.to_string(), &JsPublicKeys)?,
            None => KeySet::new(),
        };
        Ok(Self { loader, token_keys, token: raw.token })
    }
}
