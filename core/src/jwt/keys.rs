//! Token keys: each bound to exactly one algorithm and known by a key id.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::alg::{Hs256Key, Hs384Key, Hs512Key};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::error::{TokenError, shown};
use super::public_key::{self, PublicKey, PublicKeyCrypto};
use crate::error::KeyError;

/// The signature algorithms Tessera accepts for tokens. `alg` names are matched
/// case-sensitively; `none` and every other name are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JwtAlgorithm {
    /// HMAC with SHA-256.
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519 (RFC 8037).
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (verification only; modulus 2048 to 4096 bits).
    Rs256,
    /// RSASSA-PSS with SHA-256 and a 32-byte salt (verification only).
    Ps256,
}

impl JwtAlgorithm {
    /// Every accepted algorithm.
    pub const ALL: [Self; 7] =
        [Self::Hs256, Self::Hs384, Self::Hs512, Self::Es256, Self::EdDsa, Self::Rs256, Self::Ps256];

    /// The algorithms a [`TokenSigner`](super::TokenSigner) can sign with.
    pub const SIGNING: [Self; 5] = [Self::Hs256, Self::Hs384, Self::Hs512, Self::Es256, Self::EdDsa];

    /// The JOSE name (`HS256`, ..., `EdDSA`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
        }
    }

    /// The algorithm with this exact JOSE name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Shortest HMAC secret accepted: the hash's output size (RFC 7518 §3.2), so at
    /// least 32 bytes. `None` for asymmetric algorithms.
    pub const fn min_secret_len(self) -> Option<usize> {
        match self {
            Self::Hs256 => Some(32),
            Self::Hs384 => Some(48),
            Self::Hs512 => Some(64),
            Self::Es256 | Self::EdDsa | Self::Rs256 | Self::Ps256 => None,
        }
    }
}

/// What verifies a signature.
#[derive(Clone)]
pub(crate) enum Verifier {
    Hs256(Hs256Key),
    Hs384(Hs384Key),
    Hs512(Hs512Key),
    EdDsa(ed25519_dalek::VerifyingKey),
    /// ES256, RS256 or PS256 (the key's algorithm says which), checked by `crypto`.
    PublicKey(PublicKey, &'static dyn PublicKeyCrypto),
}

/// A key that verifies tokens: one kid, one algorithm.
#[derive(Clone)]
pub struct TokenKey {
    kid: String,
    alg: JwtAlgorithm,
    pub(crate) verifier: Verifier,
}

impl TokenKey {
    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.alg
    }

    pub(crate) fn new(kid: &str, alg: JwtAlgorithm, verifier: Verifier) -> Result<Self, KeyError> {
        check_kid(kid)?;
        Ok(Self::from_parts(kid.into(), alg, verifier))
    }

    /// For parts already checked (a signer's own kid).
    pub(crate) fn from_parts(kid: String, alg: JwtAlgorithm, verifier: Verifier) -> Self {
        Self { kid, alg, verifier }
    }

    /// An HMAC secret for `alg`; refused if shorter than the algorithm's hash.
    pub fn secret(kid: &str, alg: JwtAlgorithm, secret: &[u8]) -> Result<Self, KeyError> {
        let min = alg.min_secret_len().ok_or_else(|| invalid("a shared secret needs an HS algorithm"))?;
        if secret.len() < min {
            return Err(KeyError::WeakSecret { alg: alg.name(), len: secret.len(), min });
        }
        let verifier = match alg {
            JwtAlgorithm::Hs256 => Verifier::Hs256(Hs256Key::new(secret)),
            JwtAlgorithm::Hs384 => Verifier::Hs384(Hs384Key::new(secret)),
            _ => Verifier::Hs512(Hs512Key::new(secret)),
        };
        // `min_secret_len` is `Some` only for the three HS algorithms, matched above.
        Self::new(kid, alg, verifier)
    }

    /// A key from one JWK of a JWKS (RFC 7517): `oct` (needs `alg`), `EC` P-256,
    /// `OKP` Ed25519 or `RSA` (needs `alg`; at least 2048 bits), public keys only. `kid` is required; `alg`, `use` and
    /// `key_ops`, when present, must allow verifying with this key's algorithm.
    /// Without the `public-key-crypto` feature, ES256, RS256 and PS256 keys are
    /// refused ([`from_jwk_with`](Self::from_jwk_with) brings the arithmetic).
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        Self::from_jwk_with(jwk, &public_key::DEFAULT)
    }

    /// [`from_jwk`](Self::from_jwk) with ES256, RS256 and PS256 keys checked and
    /// later verified by `crypto`.
    pub fn from_jwk_with(
        jwk: &Map<String, Value>,
        crypto: &'static dyn PublicKeyCrypto,
    ) -> Result<Self, KeyError> {
        let text = |name: &str| -> Result<Option<&str>, KeyError> {
            match jwk.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(invalid(&alloc::format!("`{name}` must be a string"))),
            }
        };
        let kid = text("kid")?.ok_or_else(|| invalid("every key needs a `kid`"))?;
        if text("use")?.is_some_and(|u| u != "sig") {
            return Err(invalid("`use` must be `sig`"));
        }
        if let Some(ops) = jwk.get("key_ops") {
            let verifies = ops.as_array().is_some_and(|ops| ops.iter().any(|op| op == "verify"));
            if !verifies {
                return Err(invalid("`key_ops` must include `verify`"));
            }
        }
        let alg = match text("alg")? {
            None => None,
            Some(name) => {
                Some(JwtAlgorithm::from_name(name).ok_or_else(|| invalid("`alg` is not supported"))?)
            }
        };
        let bytes = |name: &str| -> Result<Zeroizing<Vec<u8>>, KeyError> {
            let value = text(name)?.ok_or_else(|| invalid(&alloc::format!("`{name}` is missing")))?;
            Base64UrlUnpadded::decode_vec(value)
                .map(Zeroizing::new)
                .map_err(|_| invalid(&alloc::format!("`{name}` is not base64url")))
        };
        let refuse_private = || {
            if jwk.contains_key("d") { Err(invalid("a verification key must not hold `d`")) } else { Ok(()) }
        };
        match (text("kty")?, text("crv")?) {
            (Some("oct"), _) => {
                let alg = alg.ok_or_else(|| invalid("an `oct` key needs `alg` (HS256, HS384 or HS512)"))?;
                Self::secret(kid, alg, &bytes("k")?)
            }
            (Some("EC"), Some("P-256")) => {
                refuse_private()?;
                expect_alg(alg, JwtAlgorithm::Es256)?;
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(invalid("`x` and `y` must be 32 bytes"));
                }
                let mut sec1 = [0u8; 65];
                sec1[0] = 4;
                sec1[1..33].copy_from_slice(&x);
                sec1[33..].copy_from_slice(&y);
                let key = PublicKey::P256(sec1);
                crypto.check(JwtAlgorithm::Es256, &key)?;
                Self::new(kid, JwtAlgorithm::Es256, Verifier::PublicKey(key, crypto))
            }
            (Some("OKP"), Some("Ed25519")) => {
                refuse_private()?;
                expect_alg(alg, JwtAlgorithm::EdDsa)?;
                let x: [u8; 32] =
                    bytes("x")?.as_slice().try_into().map_err(|_| invalid("`x` must be 32 bytes"))?;
                let key =
                    ed25519_dalek::VerifyingKey::from_bytes(&x).map_err(|_| invalid("not an Ed25519 key"))?;
                Self::new(kid, JwtAlgorithm::EdDsa, Verifier::EdDsa(key))
            }
            (Some("RSA"), _) => {
                refuse_private()?;
                let alg = alg.ok_or_else(|| invalid("an `RSA` key needs `alg` (RS256 or PS256)"))?;
                let (n, e) = (unsigned(&bytes("n")?), unsigned(&bytes("e")?));
                let bits = n.first().map_or(0, |top| (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize));
                if bits < 2048 {
                    return Err(invalid("an RSA modulus needs at least 2048 bits"));
                }
                if !matches!(alg, JwtAlgorithm::Rs256 | JwtAlgorithm::Ps256) {
                    return Err(invalid("`alg` does not fit the key type"));
                }
                let key = PublicKey::Rsa { n, e };
                crypto.check(alg, &key)?;
                Self::new(kid, alg, Verifier::PublicKey(key, crypto))
            }
            _ => Err(invalid("key type must be `oct`, `EC` with `P-256`, `OKP` with `Ed25519`, or `RSA`")),
        }
    }
}

/// A big-endian unsigned integer without its leading zero bytes.
fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

fn expect_alg(given: Option<JwtAlgorithm>, wanted: JwtAlgorithm) -> Result<(), KeyError> {
    match given {
        Some(alg) if alg != wanted => Err(invalid("`alg` does not fit the key type")),
        _ => Ok(()),
    }
}

fn invalid(reason: &str) -> KeyError {
    KeyError::InvalidJwk { reason: reason.to_string() }
}

fn check_kid(kid: &str) -> Result<(), KeyError> {
    if kid.is_empty() || kid.len() > 256 || kid.chars().any(char::is_control) {
        return Err(invalid("`kid` must be 1 to 256 characters without control characters"));
    }
    Ok(())
}

/// The keys tokens may be signed with.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<TokenKey>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a JWKS document (`{"keys": [...]}`). Without the `public-key-crypto`
    /// feature, ES256, RS256 and PS256 keys are refused
    /// ([`from_jwks_with`](Self::from_jwks_with) brings the arithmetic).
    pub fn from_jwks(json: &str) -> Result<Self, KeyError> {
        Self::from_jwks_with(json, &public_key::DEFAULT)
    }

    /// [`from_jwks`](Self::from_jwks) with ES256, RS256 and PS256 keys checked and
    /// verified by `crypto`.
    pub fn from_jwks_with(json: &str, crypto: &'static dyn PublicKeyCrypto) -> Result<Self, KeyError> {
        let document = super::json::parse_object(json.as_bytes()).map_err(invalid)?;
        let keys =
            document.get("keys").and_then(Value::as_array).ok_or_else(|| invalid("a JWKS needs `keys`"))?;
        let mut set = Self::new();
        for key in keys {
            let jwk = key.as_object().ok_or_else(|| invalid("each key must be an object"))?;
            set.add(TokenKey::from_jwk_with(jwk, crypto)?)?;
        }
        Ok(set)
    }

    /// Adds a key; its kid must be new to the set.
    pub fn add(&mut self, key: TokenKey) -> Result<(), KeyError> {
        if self.keys.iter().any(|k| k.kid == key.kid) {
            return Err(KeyError::DuplicateKeyId { kid: key.kid });
        }
        self.keys.push(key);
        Ok(())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key for a token: by `kid` when it has one (and then bound to `alg`), or
    /// else the single key bound to `alg`.
    pub(crate) fn select(&self, kid: Option<&str>, alg: JwtAlgorithm) -> Result<&TokenKey, TokenError> {
        let mismatch = || TokenError::AlgorithmMismatch { alg: alg.name().into() };
        match kid {
            Some(kid) => {
                let key = self
                    .keys
                    .iter()
                    .find(|k| k.kid == kid)
                    .ok_or(TokenError::UnknownKid { kid: shown(kid) })?;
                if key.alg == alg { Ok(key) } else { Err(mismatch()) }
            }
            None => {
                let mut bound = self.keys.iter().filter(|k| k.alg == alg);
                match (bound.next(), bound.next()) {
                    (Some(key), None) => Ok(key),
                    (Some(_), Some(_)) => Err(TokenError::AmbiguousKey),
                    (None, _) => Err(mismatch()),
                }
            }
        }
    }
}
