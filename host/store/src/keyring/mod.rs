//! The keyring: every key the host generated, in one JSON file of mode 0600 beside
//! the database (never in it: whoever reads the database must not hold the keys that
//! sign its snapshots or decrypt its columns).
//!
//! Keys have ids and a life: the newest active key of a kind signs or encrypts; older
//! active keys still verify or decrypt; a retired key does neither, except an audit
//! key, which keeps verifying the rows it linked.

use std::fmt;
use std::path::{Path, PathBuf};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use tessera_core::{EncryptionKey, JwtAlgorithm, KeySet, SigningKey, TokenSigner, VerifyingKey};
use zeroize::{Zeroize, Zeroizing};

mod error;
pub mod key_file;

pub use error::KeyringError;

use crate::{AuditKey, AuditKeys};

/// What a key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// Ed25519 key that signs snapshots.
    Snapshot,
    /// EdDSA (Ed25519) key that signs tokens.
    JwtEddsa,
    /// ES256 (P-256) key that signs tokens.
    JwtEs256,
    /// AES-256 data key for field encryption at rest.
    Data,
    /// HMAC-SHA256 key that links the audit chain (retired ones still verify).
    Audit,
}

impl KeyKind {
    /// Every kind, in the order `keys list` groups them.
    pub const ALL: [Self; 5] = [Self::Snapshot, Self::JwtEddsa, Self::JwtEs256, Self::Data, Self::Audit];

    /// The kind a name (as [`KeyKind::name`] spells it) stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind's name, as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::JwtEddsa => "jwt-eddsa",
            Self::JwtEs256 => "jwt-es256",
            Self::Data => "data",
            Self::Audit => "audit",
        }
    }

    fn is_jwt(self) -> bool {
        matches!(self, Self::JwtEddsa | Self::JwtEs256)
    }
}

/// Secret text, zeroized on drop and never shown by `Debug`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredKey {
    kid: String,
    kind: KeyKind,
    created: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retired: Option<i64>,
    /// Snapshot keys: the private JWK. Token keys: base64url of the seed or scalar.
    /// Data keys: standard base64 of the 32 bytes.
    secret: Secret,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    version: u32,
    keys: Vec<StoredKey>,
    /// Client keys of the tenants `tessera init` made, so the CLI can act in its only
    /// tenant without `--tenant`: the database keeps only their digests, and a client
    /// key is a credential, which belongs with the other secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    client_keys: Vec<Secret>,
}

/// A key as `keys list` shows it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key id.
    pub kid: String,
    /// What it is for.
    pub kind: &'static str,
    /// When it was made (seconds since the epoch).
    pub created: i64,
    /// When it was retired.
    pub retired: Option<i64>,
    /// Whether it is the one that signs or encrypts now.
    pub current: bool,
}

/// The keyring file and its keys.
#[derive(Debug)]
pub struct Keyring {
    path: PathBuf,
    file: KeyringFile,
}

impl Keyring {
    /// Reads the keyring at `path`; a missing file is an empty keyring. A file others
    /// can read is refused, as for key files.
    pub fn load(path: &Path) -> Result<Self, KeyringError> {
        if !path.exists() {
            let file = KeyringFile { version: 1, keys: Vec::new(), client_keys: Vec::new() };
            return Ok(Self { path: path.to_owned(), file });
        }
        let bytes = key_file::read_private(path)?;
        let unreadable = |reason: String| KeyringError::Unreadable { path: path.to_owned(), reason };
        // Where, not what: serde_json's own message may quote the text it read.
        let file: KeyringFile = serde_json::from_slice(&bytes).map_err(|e| {
            unreadable(format!("{:?} error at line {}, column {}", e.classify(), e.line(), e.column()))
        })?;
        if file.version != 1 {
            return Err(unreadable(format!("keyring version {} is unknown", file.version)));
        }
        Ok(Self { path: path.to_owned(), file })
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the keyring (atomically, mode 0600, its directory 0700).
    pub fn save(&self) -> Result<(), KeyringError> {
        let text = Zeroizing::new(serde_json::to_string_pretty(&self.file).unwrap_or_default());
        key_file::replace_private(&self.path, &text)
    }

    /// Generates a key of `kind`, which becomes the current one; returns its id.
    pub fn generate(&mut self, kind: KeyKind, now: i64) -> Result<String, KeyringError> {
        let (kid, secret) = new_key(kind)?;
        self.file.keys.push(StoredKey {
            kid: kid.clone(),
            kind,
            created: now,
            retired: None,
            secret: Secret(secret.to_string()),
        });
        Ok(kid)
    }

    /// Retires `kid`: it no longer signs, verifies, encrypts or decrypts.
    pub fn retire(&mut self, kid: &str, now: i64) -> Result<KeyKind, KeyringError> {
        let key = self
            .file
            .keys
            .iter_mut()
            .find(|k| k.kid == kid)
            .ok_or_else(|| KeyringError::UnknownKey { kid: kid.to_owned() })?;
        if key.retired.is_some() {
            return Err(KeyringError::AlreadyRetired { kid: kid.to_owned() });
        }
        key.retired = Some(now);
        Ok(key.kind)
    }

    /// Remembers the client key of a tenant this installation made.
    pub fn remember_client_key(&mut self, client_key: &str) {
        if !self.client_keys().any(|known| known == client_key) {
            self.file.client_keys.push(Secret(client_key.to_owned()));
        }
    }

    /// The client keys remembered, oldest first.
    pub fn client_keys(&self) -> impl Iterator<Item = &str> {
        self.file.client_keys.iter().map(|key| key.0.as_str())
    }

    /// The kind of `kid`, if the keyring has it.
    pub fn kind_of(&self, kid: &str) -> Option<KeyKind> {
        self.file.keys.iter().find(|k| k.kid == kid).map(|k| k.kind)
    }

    /// Every key, oldest first.
    pub fn list(&self) -> Vec<KeyInfo> {
        let current: Vec<Option<&str>> = [
            self.current(|k| k == KeyKind::Snapshot),
            self.current(KeyKind::is_jwt),
            self.current(|k| k == KeyKind::Data),
            self.current(|k| k == KeyKind::Audit),
        ]
        .into_iter()
        .map(|k| k.map(|k| k.kid.as_str()))
        .collect();
        self.file
            .keys
            .iter()
            .map(|k| KeyInfo {
                kid: k.kid.clone(),
                kind: k.kind.name(),
                created: k.created,
                retired: k.retired,
                current: current.contains(&Some(k.kid.as_str())),
            })
            .collect()
    }

    fn active(&self, kind: impl Fn(KeyKind) -> bool) -> impl Iterator<Item = &StoredKey> {
        self.file.keys.iter().rev().filter(move |k| k.retired.is_none() && kind(k.kind))
    }

    fn current(&self, kind: impl Fn(KeyKind) -> bool) -> Option<&StoredKey> {
        self.active(kind).next()
    }

    /// The key that signs snapshots now.
    pub fn snapshot_signer(&self) -> Result<Option<SigningKey>, KeyringError> {
        self.current(|k| k == KeyKind::Snapshot).map(|k| Ok(SigningKey::from_jwk(&k.secret.0)?)).transpose()
    }

    /// Every active snapshot key's public half.
    pub fn snapshot_keys(&self) -> Result<Vec<VerifyingKey>, KeyringError> {
        self.active(|k| k == KeyKind::Snapshot)
            .map(|k| Ok(SigningKey::from_jwk(&k.secret.0)?.verifying_key()))
            .collect()
    }

    /// The key that signs tokens now.
    pub fn token_signer(&self) -> Result<Option<TokenSigner>, KeyringError> {
        self.current(KeyKind::is_jwt).map(token_signer).transpose()
    }

    /// Every active token key, for verification.
    pub fn token_keys(&self) -> Result<KeySet, KeyringError> {
        let mut set = KeySet::new();
        for key in self.active(KeyKind::is_jwt) {
            set.add(token_signer(key)?.verification_key())?;
        }
        Ok(set)
    }

    /// The public JWKs of every active token key, for `/.well-known/jwks.json`.
    pub fn token_public_jwks(&self) -> Result<Vec<serde_json::Value>, KeyringError> {
        let mut jwks = Vec::new();
        for key in self.active(KeyKind::is_jwt) {
            jwks.extend(token_signer(key)?.public_jwk());
        }
        Ok(jwks)
    }

    /// Active data keys, newest first.
    pub fn data_keys(&self) -> Result<Vec<EncryptionKey>, KeyringError> {
        self.active(|k| k == KeyKind::Data).map(|k| Ok(EncryptionKey::from_base64(&k.secret.0)?)).collect()
    }

    /// The audit keys: the current one links new rows; every one, retired ones too,
    /// verifies the rows it linked. `None` when the keyring has no active audit key.
    pub fn audit_keys(&self) -> Result<Option<AuditKeys>, KeyringError> {
        let Some(current) = self.current(|k| k == KeyKind::Audit) else {
            return Ok(None);
        };
        let older = self
            .file
            .keys
            .iter()
            .rev()
            .filter(|k| k.kind == KeyKind::Audit && k.kid != current.kid)
            .map(audit_key)
            .collect::<Result<_, _>>()?;
        Ok(Some(AuditKeys::new(audit_key(current)?, older)))
    }
}

fn damaged(key: &StoredKey) -> KeyringError {
    KeyringError::Damaged { kid: key.kid.clone() }
}

fn audit_key(key: &StoredKey) -> Result<AuditKey, KeyringError> {
    let bytes = Zeroizing::new(Base64::decode_vec(&key.secret.0).map_err(|_| damaged(key))?);
    let secret: [u8; 32] = bytes.as_slice().try_into().map_err(|_| damaged(key))?;
    Ok(AuditKey::new(&key.kid, secret))
}

fn token_signer(key: &StoredKey) -> Result<TokenSigner, KeyringError> {
    let bytes = Zeroizing::new(Base64UrlUnpadded::decode_vec(&key.secret.0).map_err(|_| damaged(key))?);
    let scalar: &[u8; 32] = bytes.as_slice().try_into().map_err(|_| damaged(key))?;
    Ok(match key.kind {
        KeyKind::JwtEs256 => TokenSigner::es256(&key.kid, scalar)?,
        _ => TokenSigner::ed25519(&key.kid, scalar)?,
    })
}

/// A fresh key of `kind`: its id and its secret text.
pub fn new_key(kind: KeyKind) -> Result<(String, Zeroizing<String>), KeyringError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    let random =
        |bytes: &mut [u8]| getrandom::fill(bytes).map_err(|e| KeyringError::Randomness(e.to_string()));
    match kind {
        KeyKind::Snapshot => {
            let key = SigningKey::generate()?;
            Ok((key.kid().to_owned(), key.to_private_jwk()))
        }
        KeyKind::Data => {
            random(bytes.as_mut())?;
            let text = Zeroizing::new(Base64::encode_string(bytes.as_ref()));
            Ok((EncryptionKey::from_base64(&text)?.kid().to_owned(), text))
        }
        KeyKind::Audit => {
            random(bytes.as_mut())?;
            let mut id = [0u8; 9];
            random(&mut id)?;
            Ok((
                format!("audit-{}", Base64UrlUnpadded::encode_string(&id)),
                Zeroizing::new(Base64::encode_string(bytes.as_ref())),
            ))
        }
        KeyKind::JwtEddsa | KeyKind::JwtEs256 => {
            let mut id = [0u8; 9];
            random(&mut id)?;
            let kid = format!("{}-{}", kind.name(), Base64UrlUnpadded::encode_string(&id));
            loop {
                random(bytes.as_mut())?;
                let valid = match kind {
                    KeyKind::JwtEs256 => TokenSigner::es256(&kid, &bytes).is_ok(),
                    _ => TokenSigner::ed25519(&kid, &bytes).is_ok(),
                };
                if valid {
                    return Ok((kid, Zeroizing::new(Base64UrlUnpadded::encode_string(bytes.as_ref()))));
                }
            }
        }
    }
}

/// The HMAC key from `AUTH_JWT_SECRET_KEY` as a JWK (`oct`), for the guest's key set.
/// Secret: never served.
pub fn hmac_jwk(secret: &str) -> Result<Zeroizing<String>, KeyringError> {
    let signer = hmac_signer(secret)?;
    let k = Zeroizing::new(Base64UrlUnpadded::encode_string(secret.as_bytes()));
    Ok(Zeroizing::new(format!(
        r#"{{"kty":"oct","kid":"{}","alg":"HS256","k":"{}"}}"#,
        signer.kid(),
        k.as_str()
    )))
}

/// The HMAC token key from `AUTH_JWT_SECRET_KEY`, with an id derived from it.
pub fn hmac_signer(secret: &str) -> Result<TokenSigner, KeyringError> {
    use sha2::Digest;
    let digest =
        sha2::Sha256::new_with_prefix(b"tessera jwt secret id\0").chain_update(secret.as_bytes()).finalize();
    let kid = format!("hs-{}", Base64UrlUnpadded::encode_string(&digest[..9]));
    Ok(TokenSigner::hmac(&kid, JwtAlgorithm::Hs256, secret.as_bytes())?)
}
