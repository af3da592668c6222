//! Client keys: Auth's tenant credential (a UUID4 sent as `Bearer <key>`). The store
//! never holds one: tenants are found by the key's SHA-256 digest (a random UUID4
//! carries 122 bits, so an unkeyed digest cannot be reversed by guessing), and audit
//! entries, errors and logs name a tenant by a short fingerprint of that digest.

use sha2::{Digest, Sha256};

use super::StoreError;

/// A client key in canonical form (lowercase, hyphenated), which must be a UUID4.
/// The error does not repeat the text: a mistyped credential is still a credential.
pub fn canonical_client_key(text: &str) -> Result<String, StoreError> {
    uuid::Uuid::try_parse(text.trim())
        .ok()
        .filter(|u| u.get_version_num() == 4)
        .map(|u| u.hyphenated().to_string())
        .ok_or_else(|| StoreError::InvalidClientKey("not a UUID4".into()))
}

/// A fresh client key: a random UUID4.
pub fn new_client_key() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Crypto(format!("no randomness: {e}")))?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string())
}

/// What the store keeps of a client key and finds its tenant by: the hex SHA-256 of
/// its canonical form.
pub fn key_digest(client_key: &str) -> String {
    hex(&Sha256::digest(client_key.as_bytes()))
}

/// How audit entries, errors and logs name a tenant: `fpr_` and the first 16 hex
/// digits of its digest (Auth names tenants by an `fpr_` fingerprint too).
pub fn fingerprint(client_key: &str) -> String {
    fingerprint_of_digest(&key_digest(client_key))
}

/// The tenant's public id, where its client key must never go (the snapshots a
/// browser holds): a UUID4 (so it passes the tenant rule) derived one-way from the
/// key's digest, so it names the tenant without revealing or leading to its key.
pub fn public_tenant_id(digest: &str) -> String {
    let derived = Sha256::new().chain_update(b"tessera public tenant id\0").chain_update(digest).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(derived.get(..16).unwrap_or(&[0; 16]));
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
}

/// The audience only a tenant's tokens carry, `urn:tessera:tenant:<key digest>`:
/// a token of one tenant is refused by all others. It names the tenant by its key's
/// digest, never the key: a token is handed to its user (and a browser), and the
/// key is the tenant's server credential.
pub fn tenant_audience(digest: &str) -> String {
    format!("{TENANT_AUDIENCE_PREFIX}{digest}")
}

/// What a tenant's audience starts with; the key's digest follows.
pub const TENANT_AUDIENCE_PREFIX: &str = "urn:tessera:tenant:";

/// The fingerprint of a stored digest.
pub fn fingerprint_of_digest(digest: &str) -> String {
    format!("fpr_{}", digest.get(..16).unwrap_or(digest))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_and_fingerprint_are_stable_and_reveal_nothing() {
        let key = "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b";
        // Python: hashlib.sha256(key.encode()).hexdigest()
        let digest = key_digest(key);
        assert_eq!(digest.len(), 64);
        assert_eq!(digest, hex(&Sha256::digest(key.as_bytes())));
        assert_eq!(fingerprint(key), format!("fpr_{}", &digest[..16]));
        assert!(!fingerprint(key).contains("0b5e7f2a"));
        assert!(
            canonical_client_key("not-a-key-but-a-secret").unwrap_err().to_string().find("secret").is_none()
        );
    }
}
