//! Signing tokens, for the host's token endpoint: access and refresh tokens with a
//! random `jti`, `iat`, `exp`, `iss`, `aud` and `typ`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::alg::{Hs256, Hs256Key, Hs384, Hs384Key, Hs512, Hs512Key};
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde_json::{Map, Value, json};
#[cfg(feature = "getrandom")]
use zeroize::Zeroizing;

use super::keys::{JwtAlgorithm, TokenKey, Verifier};
#[cfg(feature = "public-key-crypto")]
use super::public_key::PublicKey;
use crate::error::KeyError;

enum Signer {
    Hs256(Hs256Key),
    Hs384(Hs384Key),
    Hs512(Hs512Key),
    #[cfg(feature = "public-key-crypto")]
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

/// A key that signs tokens. Secret material is zeroized on drop (by the key types)
/// and never shown by `Debug`.
pub struct TokenSigner {
    kid: String,
    alg: JwtAlgorithm,
    signer: Signer,
}

/// What to put in a token besides the registered claims the signer sets.
#[derive(Clone, Debug)]
pub struct TokenRequest<'a> {
    /// `sub`.
    pub subject: &'a str,
    /// `iss`.
    pub issuer: &'a str,
    /// `aud`.
    pub audience: &'a [String],
    /// `iat`, seconds since the Unix epoch (the host's clock).
    pub now: i64,
    /// Lifetime in seconds; `exp = now + ttl`.
    pub ttl_seconds: i64,
    /// `typ`: `at+jwt` for access tokens; refresh tokens use another type
    /// (`refresh+jwt`), which validators refuse as an access token by default.
    pub token_type: &'a str,
    /// Further claims (`scope`, `roles`, ...); registered names here are overwritten.
    pub extra: Map<String, Value>,
}

/// A signed token and what the issuer must remember about it.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Its `jti`.
    pub token_id: String,
    /// Its `exp`.
    pub expires_at: i64,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token_id", &self.token_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// An HMAC signer; the secret must be at least as long as the hash output.
    pub fn hmac(kid: &str, alg: JwtAlgorithm, secret: &[u8]) -> Result<Self, KeyError> {
        // Validates kid, algorithm and length in one place.
        TokenKey::secret(kid, alg, secret)?;
        let signer = match alg {
            JwtAlgorithm::Hs256 => Signer::Hs256(Hs256Key::new(secret)),
            JwtAlgorithm::Hs384 => Signer::Hs384(Hs384Key::new(secret)),
            JwtAlgorithm::Hs512 => Signer::Hs512(Hs512Key::new(secret)),
            _ => return Err(KeyError::UnsupportedAlgorithm { alg: alg.name() }),
        };
        Ok(Self { kid: kid.into(), alg, signer })
    }

    /// An Ed25519 signer from its 32-byte seed.
    pub fn ed25519(kid: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        let signer = Signer::EdDsa(ed25519_dalek::SigningKey::from_bytes(seed));
        Self::checked(kid, JwtAlgorithm::EdDsa, signer)
    }

    /// An ES256 signer from its 32-byte private scalar.
    #[cfg(feature = "public-key-crypto")]
    pub fn es256(kid: &str, scalar: &[u8; 32]) -> Result<Self, KeyError> {
        let key = p256::ecdsa::SigningKey::from_slice(scalar)
            .map_err(|_| KeyError::InvalidJwk { reason: "not a valid P-256 private key".into() })?;
        Self::checked(kid, JwtAlgorithm::Es256, Signer::Es256(key))
    }

    /// A fresh random key for `alg` (HMAC secrets get 64 bytes). RS256 and PS256 only
    /// verify here: Tessera issues tokens with HMAC, ES256 or EdDSA.
    #[cfg(feature = "getrandom")]
    pub fn generate(kid: &str, alg: JwtAlgorithm) -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; 64]);
        loop {
            getrandom::fill(bytes.as_mut()).map_err(|_| KeyError::Randomness)?;
            let seed: &[u8; 32] = bytes.first_chunk().ok_or(KeyError::Randomness)?;
            let signer = match alg {
                JwtAlgorithm::EdDsa => Self::ed25519(kid, seed),
                // A random 32-byte string is a valid P-256 scalar except with
                // probability ~2^-32; draw again in that case.
                #[cfg(feature = "public-key-crypto")]
                JwtAlgorithm::Es256 => match Self::es256(kid, seed) {
                    Err(KeyError::InvalidJwk { .. }) => continue,
                    other => other,
                },
                #[cfg(not(feature = "public-key-crypto"))]
                JwtAlgorithm::Es256 => Err(KeyError::AlgorithmUnavailable {
                    alg: alg.name(),
                    reason: super::public_key::WITHOUT_FEATURE.into(),
                }),
                JwtAlgorithm::Hs256 | JwtAlgorithm::Hs384 | JwtAlgorithm::Hs512 => {
                    Self::hmac(kid, alg, bytes.as_ref())
                }
                JwtAlgorithm::Rs256 | JwtAlgorithm::Ps256 => {
                    Err(KeyError::UnsupportedAlgorithm { alg: alg.name() })
                }
            };
            return signer;
        }
    }

    fn checked(kid: &str, alg: JwtAlgorithm, signer: Signer) -> Result<Self, KeyError> {
        let this = Self { kid: kid.into(), alg, signer };
        TokenKey::new(kid, alg, this.verifier())?;
        Ok(this)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.alg
    }

    fn verifier(&self) -> Verifier {
        match &self.signer {
            Signer::Hs256(key) => Verifier::Hs256(key.clone()),
            Signer::Hs384(key) => Verifier::Hs384(key.clone()),
            Signer::Hs512(key) => Verifier::Hs512(key.clone()),
            #[cfg(feature = "public-key-crypto")]
            Signer::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                let mut sec1 = [0u8; 65];
                sec1.copy_from_slice(point.as_bytes());
                Verifier::PublicKey(PublicKey::P256(sec1), &super::public_key::DEFAULT)
            }
            Signer::EdDsa(key) => Verifier::EdDsa(key.verifying_key()),
        }
    }

    /// The key that verifies this signer's tokens (for HMAC, the same secret).
    pub fn verification_key(&self) -> TokenKey {
        TokenKey::from_parts(self.kid.clone(), self.alg, self.verifier())
    }

    /// The public JWK for a JWKS endpoint; `None` for HMAC, whose key is secret.
    pub fn public_jwk(&self) -> Option<Value> {
        let b64 = |bytes: &[u8]| Base64UrlUnpadded::encode_string(bytes);
        let (kid, alg) = (self.kid.as_str(), self.alg.name());
        match &self.signer {
            Signer::EdDsa(key) => Some(json!({
                "kty": "OKP", "crv": "Ed25519", "x": b64(key.verifying_key().as_bytes()),
                "kid": kid, "alg": alg, "use": "sig",
            })),
            #[cfg(feature = "public-key-crypto")]
            Signer::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                let (x, y) = (point.x()?, point.y()?);
                Some(
                    json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y), "kid": kid, "alg": alg, "use": "sig"}),
                )
            }
            _ => None,
        }
    }

    /// Signs `claims` with header `{alg, kid, typ}`.
    pub fn sign(&self, claims: &Map<String, Value>, token_type: &str) -> String {
        let header = json!({"alg": self.alg.name(), "kid": self.kid, "typ": token_type});
        let encode =
            |value: &Value| Base64UrlUnpadded::encode_string(&serde_json::to_vec(value).unwrap_or_default());
        let mut token = encode(&header);
        token.push('.');
        token.push_str(&encode(&Value::Object(claims.clone())));
        let signature: Vec<u8> = match &self.signer {
            Signer::Hs256(key) => Hs256.sign(key, token.as_bytes()).as_bytes().into_owned(),
            Signer::Hs384(key) => Hs384.sign(key, token.as_bytes()).as_bytes().into_owned(),
            Signer::Hs512(key) => Hs512.sign(key, token.as_bytes()).as_bytes().into_owned(),
            #[cfg(feature = "public-key-crypto")]
            Signer::Es256(key) => jwt_compact::alg::Es256.sign(key, token.as_bytes()).as_bytes().into_owned(),
            Signer::EdDsa(key) => {
                jwt_compact::alg::Ed25519.sign(key, token.as_bytes()).as_bytes().into_owned()
            }
        };
        token.push('.');
        token.push_str(&Base64UrlUnpadded::encode_string(&signature));
        token
    }

    /// Issues a token for `request` with a fresh random `jti` (128 bits).
    #[cfg(feature = "getrandom")]
    pub fn issue(&self, request: &TokenRequest<'_>) -> Result<IssuedToken, KeyError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|_| KeyError::Randomness)?;
        let token_id = Base64UrlUnpadded::encode_string(&id);
        let expires_at = request.now.saturating_add(request.ttl_seconds);
        let mut claims = request.extra.clone();
        claims.insert("sub".into(), request.subject.into());
        claims.insert("iss".into(), request.issuer.into());
        claims.insert("aud".into(), request.audience.into());
        claims.insert("iat".into(), request.now.into());
        claims.insert("exp".into(), expires_at.into());
        claims.insert("jti".into(), token_id.clone().into());
        Ok(IssuedToken { token: self.sign(&claims, request.token_type), token_id, expires_at })
    }
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSigner").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}
