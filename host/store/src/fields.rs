//! Field-level encryption at rest. A sealed column holds either `0x00 || text`
//! (encryption off) or `0x01 || len(kid) || kid || nonce || AES-256-GCM(text)`, bound
//! by its associated data to the column and the tenant, so a ciphertext copied into
//! another column or tenant does not decrypt. Equality lookups use an index column:
//! the text itself when it is stored in the clear, else HMAC-SHA256 under a key
//! derived from the data key. A lookup tries every form a row may be in (plain, each
//! known key), so rows move to a new key (`tessera reencrypt`) while queries go on.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tessera_core::EncryptionKey;
use zeroize::Zeroizing;

use super::StoreError;
use super::audit::AuditKeys;

const PLAIN: u8 = 0;
const SEALED: u8 = 1;
const NONCE_LEN: usize = 12;

/// Which column a value lives in: part of the associated data and of the index input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// `members.user_name`.
    User,
    /// `rules.pattern`.
    Pattern,
    /// `roles.description`.
    Description,
    /// `audit.actor`.
    Actor,
    /// `audit.entity`.
    Entity,
    /// `audit.details`.
    Details,
    /// `api_keys.label`.
    Label,
    /// `model_entries.name`.
    EntryName,
    /// `model_entries.body`.
    EntryBody,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Self::User => b"user",
            Self::Pattern => b"pattern",
            Self::Description => b"description",
            Self::Actor => b"actor",
            Self::Entity => b"entity",
            Self::Details => b"details",
            Self::Label => b"label",
            Self::EntryName => b"entry name",
            Self::EntryBody => b"entry body",
        }
    }
}

/// One data key: the AES-256-GCM cipher and the HMAC key for blind indexes.
struct DataKey {
    kid: String,
    cipher: Aes256Gcm,
    index_key: Zeroizing<[u8; 32]>,
}

impl DataKey {
    fn new(key: &EncryptionKey) -> Self {
        let bytes = key.to_secret_bytes();
        // A separate key for the index, so the HMAC and the cipher never share one.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(bytes.as_ref()).unwrap_or_else(|_| unreachable!());
        mac.update(b"tessera blind index v1");
        let index_key = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        Self { kid: key.kid().to_owned(), cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(*bytes)), index_key }
    }

    fn index(&self, field: Field, tenant: i64, text: &str) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.index_key.as_ref()).unwrap_or_else(|_| unreachable!());
        mac.update(&aad(field, tenant));
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

fn aad(field: Field, tenant: i64) -> Vec<u8> {
    let mut aad = b"tessera field v1\0".to_vec();
    aad.extend_from_slice(field.label());
    aad.push(0);
    aad.extend_from_slice(&tenant.to_be_bytes());
    aad
}

/// A value ready to store: the sealed bytes and its index.
pub(crate) struct Sealed {
    /// For the value column.
    pub(crate) value: Vec<u8>,
    /// For the index column.
    pub(crate) index: Vec<u8>,
}

/// The keys of data at rest: the data keys and whether new values are encrypted,
/// and the audit keys that link the audit chain.
pub struct FieldKeys {
    /// Newest first; the first encrypts when `encrypt` is on.
    keys: Vec<DataKey>,
    encrypt: bool,
    audit: AuditKeys,
}

impl std::fmt::Debug for FieldKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("FieldKeys")
            .field("kids", &kids)
            .field("encrypt", &self.encrypt)
            .field("audit", &self.audit)
            .finish()
    }
}

impl FieldKeys {
    /// Values stored in the clear (`AUTH_ENABLE_ENCRYPTION` off, no keys).
    pub fn plain() -> Self {
        Self { keys: Vec::new(), encrypt: false, audit: AuditKeys::default() }
    }

    /// `keys` newest first. With `encrypt`, the first one seals new values; the others
    /// still open old ones. Without it, existing ciphertext still opens with `keys`.
    pub fn new(keys: &[EncryptionKey], encrypt: bool) -> Result<Self, StoreError> {
        if encrypt && keys.is_empty() {
            return Err(StoreError::EncryptionKeyMissing);
        }
        Ok(Self { keys: keys.iter().map(DataKey::new).collect(), encrypt, audit: AuditKeys::default() })
    }

    /// Links the audit chain with `audit` from now on: new rows are MACed with its
    /// current key, and a chain must carry MACs under its keys to verify. A store
    /// opened without audit keys links with plain SHA-256.
    pub fn with_audit_keys(mut self, audit: AuditKeys) -> Self {
        self.audit = audit;
        self
    }

    /// The audit keys.
    pub(crate) fn audit_keys(&self) -> &AuditKeys {
        &self.audit
    }

    /// The key id new values get (`""` in the clear).
    pub fn current_kid(&self) -> &str {
        match self.keys.first() {
            Some(key) if self.encrypt => &key.kid,
            _ => "",
        }
    }

    /// Seals `text` for `field` of `tenant`.
    pub(crate) fn seal(&self, field: Field, tenant: i64, text: &str) -> Result<Sealed, StoreError> {
        let Some(key) = self.keys.first().filter(|_| self.encrypt) else {
            let mut value = Vec::with_capacity(text.len() + 1);
            value.push(PLAIN);
            value.extend_from_slice(text.as_bytes());
            return Ok(Sealed { value, index: text.as_bytes().to_vec() });
        };
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| StoreError::Crypto(format!("no randomness: {e}")))?;
        let aad = aad(field, tenant);
        let ciphertext = key
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: text.as_bytes(), aad: &aad })
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        let kid = key.kid.as_bytes();
        let mut value = Vec::with_capacity(2 + kid.len() + NONCE_LEN + ciphertext.len());
        value.push(SEALED);
        value.push(u8::try_from(kid.len()).map_err(|_| StoreError::Crypto("key id too long".into()))?);
        value.extend_from_slice(kid);
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&ciphertext);
        Ok(Sealed { value, index: key.index(field, tenant, text) })
    }

    /// Seals an optional value (descriptions, actors).
    pub(crate) fn seal_opt(
        &self,
        field: Field,
        tenant: i64,
        text: Option<&str>,
    ) -> Result<Option<Sealed>, StoreError> {
        text.map(|t| self.seal(field, tenant, t)).transpose()
    }

    /// Opens a sealed value of `field` of `tenant`.
    pub(crate) fn open(&self, field: Field, tenant: i64, stored: &[u8]) -> Result<String, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("a sealed {} value is malformed", field_name(field)));
        let (&form, rest) = stored.split_first().ok_or_else(corrupt)?;
        let bytes = match form {
            PLAIN => rest.to_vec(),
            SEALED => {
                let (&kid_len, rest) = rest.split_first().ok_or_else(corrupt)?;
                let (kid, rest) = rest.split_at_checked(usize::from(kid_len)).ok_or_else(corrupt)?;
                let (nonce, ciphertext) = rest.split_at_checked(NONCE_LEN).ok_or_else(corrupt)?;
                let kid = std::str::from_utf8(kid).map_err(|_| corrupt())?;
                let key = self
                    .keys
                    .iter()
                    .find(|k| k.kid == kid)
                    .ok_or_else(|| StoreError::DataKeyUnknown { kid: kid.to_owned() })?;
                let nonce = Nonce::try_from(nonce).map_err(|_| corrupt())?;
                key.cipher
                    .decrypt(&nonce, Payload { msg: ciphertext, aad: &aad(field, tenant) })
                    .map_err(|_| StoreError::Decrypt { field: field_name(field) })?
            }
            _ => return Err(corrupt()),
        };
        String::from_utf8(bytes).map_err(|_| corrupt())
    }

    /// Opens an optional sealed value.
    pub(crate) fn open_opt(
        &self,
        field: Field,
        tenant: i64,
        stored: Option<&[u8]>,
    ) -> Result<Option<String>, StoreError> {
        stored.map(|s| self.open(field, tenant, s)).transpose()
    }

    /// Every index value `text` may be stored under: in the clear and under each key.
    pub(crate) fn index_candidates(&self, field: Field, tenant: i64, text: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.keys.len() + 1);
        out.push(text.as_bytes().to_vec());
        out.extend(self.keys.iter().map(|k| k.index(field, tenant, text)));
        out
    }
}

fn field_name(field: Field) -> &'static str {
    std::str::from_utf8(field.label()).unwrap_or("field")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(encrypt: bool) -> FieldKeys {
        let old = EncryptionKey::new("old", [1; 32]).unwrap_or_else(|_| unreachable!());
        let new = EncryptionKey::new("new", [2; 32]).unwrap_or_else(|_| unreachable!());
        FieldKeys::new(&[new, old], encrypt).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn sealed_values_open_only_in_their_column_and_tenant() -> Result<(), StoreError> {
        let keys = keys(true);
        let sealed = keys.seal(Field::User, 7, "alice")?;
        assert!(!sealed.value.windows(5).any(|w| w == b"alice"));
        assert_eq!(keys.open(Field::User, 7, &sealed.value)?, "alice");
        assert!(matches!(keys.open(Field::User, 8, &sealed.value), Err(StoreError::Decrypt { .. })));
        assert!(matches!(keys.open(Field::Pattern, 7, &sealed.value), Err(StoreError::Decrypt { .. })));
        let mut tampered = sealed.value.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(matches!(keys.open(Field::User, 7, &tampered), Err(StoreError::Decrypt { .. })));
        // The index is stable (equality lookups), the ciphertext is not (random nonce).
        let again = keys.seal(Field::User, 7, "alice")?;
        assert_eq!(again.index, sealed.index);
        assert_ne!(again.value, sealed.value);
        assert!(keys.index_candidates(Field::User, 7, "alice").contains(&sealed.index));
        assert_ne!(keys.seal(Field::User, 8, "alice")?.index, sealed.index);
        Ok(())
    }

    #[test]
    fn plain_values_and_unknown_keys() -> Result<(), StoreError> {
        let plain = FieldKeys::plain().seal(Field::User, 1, "bob")?;
        assert_eq!(plain.value, b"\0bob");
        assert_eq!(keys(true).open(Field::User, 1, &plain.value)?, "bob");
        let sealed = keys(true).seal(Field::User, 1, "bob")?;
        assert!(matches!(
            FieldKeys::plain().open(Field::User, 1, &sealed.value),
            Err(StoreError::DataKeyUnknown { .. })
        ));
        assert!(matches!(FieldKeys::new(&[], true), Err(StoreError::EncryptionKeyMissing)));
        assert!(matches!(keys(true).open(Field::User, 1, b"\x07x"), Err(StoreError::Corrupt(_))));
        Ok(())
    }
}
