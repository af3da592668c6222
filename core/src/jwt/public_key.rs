//! Public-key token signatures (ES256, RS256, PS256) behind one trait, so a face
//! may bring the arithmetic from elsewhere. The npm module does: P-256 and RSA are
//! about 40 KB of its code, used only to verify those tokens synchronously, so it
//! loads them as a second module on first use. Native builds take the
//! `public-key-crypto` feature, whose [`NativePublicKeys`] is the default.
//!
//! The core reads the JWK and checks its shape (sizes, encodings, the RSA modulus
//! length); the [`PublicKeyCrypto`] checks the key is usable when the key set is
//! built, and verifies signatures. EdDSA stays in the core: snapshot signatures need
//! Ed25519 anyway.

use alloc::vec::Vec;
use core::fmt;

use super::keys::JwtAlgorithm;
use crate::error::KeyError;

/// A public key as its JWK gives it, checked for shape only.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// A P-256 point as uncompressed SEC1 (`04 || x || y`), for ES256.
    P256([u8; 65]),
    /// An RSA public key, for RS256 and PS256: modulus and exponent, big-endian
    /// without leading zeros.
    Rsa {
        /// The modulus `n`, 2048 to 4096 bits.
        n: Vec<u8>,
        /// The public exponent `e`.
        e: Vec<u8>,
    },
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::P256(_) => "PublicKey::P256",
            Self::Rsa { .. } => "PublicKey::Rsa",
        })
    }
}

impl PublicKey {
    /// The key as bytes for a face that hands it to other code: the SEC1 point, or
    /// for RSA `len(n)` as 4 big-endian bytes, `n`, then `e`.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::P256(point) => point.to_vec(),
            Self::Rsa { n, e } => {
                let len = u32::try_from(n.len()).unwrap_or(u32::MAX);
                [&len.to_be_bytes()[..], n, e].concat()
            }
        }
    }

    /// The refusal of a key the arithmetic finds unusable, worded once for every
    /// [`PublicKeyCrypto`].
    pub fn unusable(&self) -> KeyError {
        let reason = match self {
            Self::P256(_) => "not a point on P-256",
            Self::Rsa { .. } => "not a usable RSA public key",
        };
        KeyError::InvalidJwk { reason: reason.into() }
    }

    /// The inverse of [`to_bytes`](Self::to_bytes) for `alg`'s key type.
    pub fn from_bytes(alg: JwtAlgorithm, bytes: &[u8]) -> Option<Self> {
        match alg {
            JwtAlgorithm::Es256 => bytes.try_into().ok().map(Self::P256),
            JwtAlgorithm::Rs256 | JwtAlgorithm::Ps256 => {
                let (len, rest) = bytes.split_first_chunk::<4>()?;
                let (n, e) = rest.split_at_checked(usize::try_from(u32::from_be_bytes(*len)).ok()?)?;
                Some(Self::Rsa { n: n.to_vec(), e: e.to_vec() })
            }
            _ => None,
        }
    }
}

/// The arithmetic behind ES256, RS256 and PS256.
pub trait PublicKeyCrypto: Send + Sync {
    /// Whether `key` is usable for `alg` (a point on the curve, a valid RSA key);
    /// called once, when the key set is built.
    fn check(&self, alg: JwtAlgorithm, key: &PublicKey) -> Result<(), KeyError>;

    /// Whether `signature` over `message` verifies with `key` under `alg`. ES256
    /// signatures are the 64-byte `r || s`; anything else is a bad signature.
    fn verify(&self, alg: JwtAlgorithm, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool;
}

/// Refuses every public-key algorithm: the default of a build without the
/// `public-key-crypto` feature whose face brings none.
#[cfg(not(feature = "public-key-crypto"))]
pub(crate) struct Unavailable;

#[cfg(not(feature = "public-key-crypto"))]
impl PublicKeyCrypto for Unavailable {
    fn check(&self, alg: JwtAlgorithm, _: &PublicKey) -> Result<(), KeyError> {
        Err(KeyError::AlgorithmUnavailable { alg: alg.name(), reason: WITHOUT_FEATURE.into() })
    }

    fn verify(&self, _: JwtAlgorithm, _: &PublicKey, _: &[u8], _: &[u8]) -> bool {
        false
    }
}

/// Why a build without the feature refuses those keys.
#[cfg(not(feature = "public-key-crypto"))]
pub(crate) const WITHOUT_FEATURE: &str =
    "this build of tessera-core has no `public-key-crypto` feature; pass a `PublicKeyCrypto`";

/// What [`KeySet::from_jwks`](super::KeySet::from_jwks) uses.
#[cfg(feature = "public-key-crypto")]
pub(crate) static DEFAULT: NativePublicKeys = NativePublicKeys;
/// What [`KeySet::from_jwks`](super::KeySet::from_jwks) uses.
#[cfg(not(feature = "public-key-crypto"))]
pub(crate) static DEFAULT: Unavailable = Unavailable;

#[cfg(feature = "public-key-crypto")]
pub use native::NativePublicKeys;

#[cfg(feature = "public-key-crypto")]
mod native {
    use jwt_compact::alg::Es256;
    use jwt_compact::{Algorithm, AlgorithmSignature};
    use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
    use sha2::{Digest, Sha256};

    use super::{JwtAlgorithm, KeyError, PublicKey, PublicKeyCrypto};

    /// ES256 through jwt-compact and p256, RS256 and PS256 through the `rsa` crate
    /// (PSS with the hash-length salt RFC 7518 fixes). Verification only.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct NativePublicKeys;

    fn p256(point: &[u8; 65]) -> Option<p256::ecdsa::VerifyingKey> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()
    }

    fn rsa(n: &[u8], e: &[u8]) -> Option<RsaPublicKey> {
        RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e)).ok()
    }

    impl PublicKeyCrypto for NativePublicKeys {
        fn check(&self, alg: JwtAlgorithm, key: &PublicKey) -> Result<(), KeyError> {
            let usable = match (alg, key) {
                (JwtAlgorithm::Es256, PublicKey::P256(point)) => p256(point).is_some(),
                (JwtAlgorithm::Rs256 | JwtAlgorithm::Ps256, PublicKey::Rsa { n, e }) => rsa(n, e).is_some(),
                _ => false,
            };
            if usable { Ok(()) } else { Err(key.unusable()) }
        }

        fn verify(&self, alg: JwtAlgorithm, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
            match (alg, key) {
                (JwtAlgorithm::Es256, PublicKey::P256(point)) => {
                    let right_length = signature.len() == 64;
                    right_length
                        && p256(point).is_some_and(|key| {
                            <Es256 as Algorithm>::Signature::try_from_slice(signature)
                                .is_ok_and(|sig| Es256.verify_signature(&sig, &key, message))
                        })
                }
                (JwtAlgorithm::Rs256, PublicKey::Rsa { n, e }) => rsa(n, e).is_some_and(|key| {
                    key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message), signature).is_ok()
                }),
                (JwtAlgorithm::Ps256, PublicKey::Rsa { n, e }) => rsa(n, e).is_some_and(|key| {
                    key.verify(Pss::new::<Sha256>(), &Sha256::digest(message), signature).is_ok()
                }),
                _ => false,
            }
        }
    }
}
