//! Snapshot keys: Ed25519 signing and verifying keys (as JWKs) and AES-256-GCM
//! encryption keys. Secret material is zeroized on drop and never shown by `Debug`.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use ed25519_dalek::{Signature, Signer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::KeyError;

/// Longest key id accepted, in bytes.
const MAX_KID_LEN: usize = 128;

/// The JSON shape of an Ed25519 JWK (RFC 8037).
#[derive(Serialize, Deserialize)]
struct Jwk {
    kty: String,
    crv: String,
    x: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alg: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    use_: Option<String>,
}

impl Drop for Jwk {
    fn drop(&mut self) {
        self.d.zeroize();
    }
}

fn invalid(reason: &str) -> KeyError {
    KeyError::InvalidJwk { reason: reason.to_string() }
}

impl Jwk {
    fn parse(json: &str) -> Result<Self, KeyError> {
        let jwk: Jwk = serde_json::from_str(json).map_err(|e| invalid(&format!("{e}")))?;
        if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
            return Err(invalid("`kty` must be `OKP` and `crv` `Ed25519`"));
        }
        if jwk.alg.as_deref().is_some_and(|alg| alg != "EdDSA") {
            return Err(invalid("`alg` must be `EdDSA`"));
        }
        if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(invalid("`use` must be `sig`"));
        }
        if let Some(kid) = &jwk.kid {
            check_kid(kid)?;
        }
        Ok(jwk)
    }

    fn public(&self) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
        let bytes = decode_32(&self.x).ok_or_else(|| invalid("`x` must be 32 bytes of base64url"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| invalid("`x` is not a valid Ed25519 point"))
    }
}

fn check_kid(kid: &str) -> Result<(), KeyError> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN || !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("`kid` must be 1 to 128 printable ASCII characters"));
    }
    Ok(())
}

fn decode_32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let decoded = Base64UrlUnpadded::decode(text, &mut out).ok()?;
    (decoded.len() == 32).then_some(out)
}

/// RFC 7638 thumbprint of an Ed25519 public key, base64url: the default key id.
fn thumbprint(key: &ed25519_dalek::VerifyingKey) -> String {
    let x = Base64UrlUnpadded::encode_string(key.as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    Base64UrlUnpadded::encode_string(&Sha256::digest(canonical.as_bytes()))
}

/// An Ed25519 key that signs snapshots. Zeroized on drop; `Debug` shows only the kid.
pub struct SigningKey {
    kid: String,
    key: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// A fresh key from the platform's random source; its kid is its thumbprint.
    #[cfg(feature = "getrandom")]
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|_| KeyError::Randomness)?;
        Ok(Self::from_seed(&seed, None))
    }

    fn from_seed(seed: &[u8; 32], kid: Option<String>) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let kid = kid.unwrap_or_else(|| thumbprint(&key.verifying_key()));
        Self { kid, key }
    }

    /// Reads a private Ed25519 JWK (with `d`). Without a `kid`, the thumbprint is used.
    pub fn from_jwk(json: &str) -> Result<Self, KeyError> {
        let jwk = Jwk::parse(json)?;
        let d = jwk.d.as_deref().ok_or_else(|| invalid("a private key needs `d`"))?;
        let seed = Zeroizing::new(decode_32(d).ok_or_else(|| invalid("`d` must be 32 bytes of base64url"))?);
        let key = Self::from_seed(&seed, jwk.kid.clone());
        if key.key.verifying_key() != jwk.public()? {
            return Err(invalid("`x` is not the public key of `d`"));
        }
        Ok(key)
    }

    /// The private JWK (with `d`), for writing to a key file. Zeroized when dropped.
    pub fn to_private_jwk(&self) -> Zeroizing<String> {
        let seed = Zeroizing::new(self.key.to_bytes());
        let jwk = Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: Base64UrlUnpadded::encode_string(self.key.verifying_key().as_bytes()),
            d: Some(Base64UrlUnpadded::encode_string(seed.as_ref())),
            kid: Some(self.kid.clone()),
            alg: Some("EdDSA".into()),
            use_: Some("sig".into()),
        };
        Zeroizing::new(serde_json::to_string(&jwk).unwrap_or_default())
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The matching public key, with the same kid.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey { kid: self.kid.clone(), key: self.key.verifying_key() }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// An Ed25519 public key trusted to sign snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    kid: String,
    key: ed25519_dalek::VerifyingKey,
}

impl VerifyingKey {
    /// Reads a public Ed25519 JWK. A JWK holding `d` is refused: pass public keys only,
    /// so private material is not copied where it is not needed.
    pub fn from_jwk(json: &str) -> Result<Self, KeyError> {
        let jwk = Jwk::parse(json)?;
        if jwk.d.is_some() {
            return Err(invalid("a public key must not hold `d`"));
        }
        let key = jwk.public()?;
        let kid = jwk.kid.clone().unwrap_or_else(|| thumbprint(&key));
        Ok(Self { kid, key })
    }

    /// The public JWK, as JSON.
    pub fn to_jwk(&self) -> String {
        let jwk = Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: Base64UrlUnpadded::encode_string(self.key.as_bytes()),
            d: None,
            kid: Some(self.kid.clone()),
            alg: Some("EdDSA".into()),
            use_: Some("sig".into()),
        };
        serde_json::to_string(&jwk).unwrap_or_default()
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Strict verification (rejects small-order keys and non-canonical signatures).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.key.verify_strict(message, &Signature::from_bytes(&signature)).is_ok()
    }
}

/// An AES-256-GCM key that encrypts snapshot payloads. Zeroized on drop.
pub struct EncryptionKey {
    kid: String,
    key: Zeroizing<[u8; 32]>,
}

impl EncryptionKey {
    /// A key from its 32 bytes and the id it is known by.
    pub fn new(kid: &str, key: [u8; 32]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        Ok(Self { kid: kid.into(), key: Zeroizing::new(key) })
    }

    /// A key from standard base64 of 32 bytes (the form of `AUTH_ENCRYPTION_KEY`), with
    /// a key id derived from it (a hash, so the id reveals nothing of the key).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes =
            Zeroizing::new(Base64::decode_vec(text.trim()).map_err(|_| KeyError::InvalidEncryptionKey)?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| KeyError::InvalidEncryptionKey)?;
        let digest = Sha256::new_with_prefix(b"tessera encryption key id\0").chain_update(key).finalize();
        let kid = format!("aes-{}", Base64UrlUnpadded::encode_string(&digest[..12]));
        Self::new(&kid, key)
    }

    /// A fresh random key.
    #[cfg(feature = "getrandom")]
    pub fn generate(kid: &str) -> Result<Self, KeyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|_| KeyError::Randomness)?;
        Self::new(kid, *key)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// A copy of the key bytes, zeroized on drop: for handing the key to another
    /// engine that decrypts (the wasm guest). Never log or print it.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(*self.key)
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn private_jwk_round_trips_and_thumbprint_is_the_kid() {
        let key = SigningKey::from_seed(&[7u8; 32], None);
        let jwk = key.to_private_jwk();
        let back = SigningKey::from_jwk(&jwk).unwrap();
        assert_eq!(back.kid(), key.kid());
        assert_eq!(back.verifying_key(), key.verifying_key());
        let public = VerifyingKey::from_jwk(&key.verifying_key().to_jwk()).unwrap();
        assert_eq!(public, key.verifying_key());
        assert_eq!(public.kid(), thumbprint(&public.key));
    }

    #[test]
    fn public_loader_refuses_private_material_and_wrong_curves() {
        let key = SigningKey::from_seed(&[7u8; 32], None);
        assert!(matches!(VerifyingKey::from_jwk(&key.to_private_jwk()), Err(KeyError::InvalidJwk { .. })));
        let x25519 = key.verifying_key().to_jwk().replace("Ed25519", "X25519");
        assert!(matches!(VerifyingKey::from_jwk(&x25519), Err(KeyError::InvalidJwk { .. })));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let key = SigningKey::from_seed(&[7u8; 32], None);
        let d = Base64UrlUnpadded::encode_string(&[7u8; 32]);
        assert!(!format!("{key:?}").contains(&d));
        let enc = EncryptionKey::new("k1", [9u8; 32]).unwrap();
        assert!(!format!("{enc:?}").contains("9"));
    }

    #[test]
    fn encryption_keys_must_be_32_bytes() {
        assert_eq!(EncryptionKey::from_base64("c2hvcnQ=").unwrap_err(), KeyError::InvalidEncryptionKey);
        let key = EncryptionKey::from_base64(&Base64::encode_string(&[1u8; 32])).unwrap();
        assert!(key.kid().starts_with("aes-"));
    }
}
