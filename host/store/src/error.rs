//! What the store refuses or fails at, each with a stable code.

use std::fmt;

use tessera_core::PolicyError;

/// A store operation that did not happen. Nothing was changed when one is returned.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The database cannot be reached or opened.
    Unavailable(String),
    /// The database refused a statement.
    Database(String),
    /// A uniqueness or reference rule of the schema refused a write (a concurrent
    /// writer got there first).
    Constraint(String),
    /// A stored row is not what this version wrote.
    Corrupt(String),
    /// The schema is newer than this program knows.
    SchemaTooNew {
        /// The database's version.
        found: i64,
        /// The newest this program knows.
        known: i64,
    },
    /// A client key that is not a UUID4; says why, never repeating the key.
    InvalidClientKey(String),
    /// The request contradicts the current state (a revoked key's expiry, an expiry
    /// in the past, ...).
    Invalid(String),
    /// No tenant with this client key; carries the key's fingerprint, not the key.
    UnknownTenant(String),
    /// No such role, grant, membership, ...
    NotFound {
        /// What kind of thing.
        kind: &'static str,
        /// Which.
        name: String,
    },
    /// It exists already.
    Exists {
        /// What kind of thing.
        kind: &'static str,
        /// Which.
        name: String,
    },
    /// The change would break a policy rule (identifier, description, cycle, ...).
    Policy(PolicyError),
    /// A deletion refused because the policy still refers to the thing.
    InUse {
        /// What kind of thing.
        kind: &'static str,
        /// Which.
        name: String,
        /// The reference the deletion would leave dangling.
        reference: PolicyError,
    },
    /// `AUTH_ENABLE_ENCRYPTION=true` without a data key.
    EncryptionKeyMissing,
    /// A row is encrypted with a key this process does not have.
    DataKeyUnknown {
        /// The row's key id.
        kid: String,
    },
    /// A ciphertext did not authenticate: modified, or moved from another column or tenant.
    Decrypt {
        /// The column.
        field: &'static str,
    },
    /// Encryption or randomness failed.
    Crypto(String),
    /// A data key still encrypts rows and cannot be retired yet.
    KeyInUse {
        /// The key id.
        kid: String,
        /// How many rows use it.
        rows: i64,
    },
}

impl StoreError {
    /// `ERR_...`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "ERR_STORE_UNAVAILABLE",
            Self::Database(_) => "ERR_STORE_DATABASE",
            Self::Constraint(_) => "ERR_STORE_CONFLICT",
            Self::Corrupt(_) => "ERR_STORE_CORRUPT",
            Self::SchemaTooNew { .. } => "ERR_STORE_SCHEMA_TOO_NEW",
            Self::InvalidClientKey(_) => "ERR_INVALID_CLIENT_KEY",
            Self::Invalid(_) => "ERR_INVALID_REQUEST",
            Self::UnknownTenant(_) => "ERR_UNKNOWN_TENANT",
            Self::NotFound { .. } => "ERR_NOT_FOUND",
            Self::Exists { .. } => "ERR_ALREADY_EXISTS",
            Self::Policy(e) => e.code(),
            Self::InUse { .. } => "ERR_IN_USE",
            Self::EncryptionKeyMissing => "ERR_ENCRYPTION_KEY_MISSING",
            Self::DataKeyUnknown { .. } => "ERR_DATA_KEY_UNKNOWN",
            Self::Decrypt { .. } => "ERR_FIELD_DECRYPT",
            Self::Crypto(_) => "ERR_CRYPTO",
            Self::KeyInUse { .. } => "ERR_KEY_IN_USE",
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(m) => write!(f, "the database is unavailable: {m}"),
            Self::Database(m) => write!(f, "the database refused the operation: {m}"),
            Self::Constraint(m) => write!(f, "a concurrent change conflicts: {m}"),
            Self::Corrupt(m) => write!(f, "stored data is corrupt: {m}"),
            Self::SchemaTooNew { found, known } => write!(
                f,
                "the database schema is at version {found}, newer than this tessera knows ({known}); upgrade tessera"
            ),
            Self::InvalidClientKey(why) => write!(f, "invalid client key ({why}): a client key is a UUID4 such as 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b"),
            Self::Invalid(m) => f.write_str(m),
            Self::UnknownTenant(fingerprint) => {
                write!(f, "no tenant with this client key ({fingerprint}); `tessera init` creates one")
            }
            Self::NotFound { kind, name } => write!(f, "no {kind} `{name}`"),
            Self::Exists { kind, name } => write!(f, "{kind} `{name}` exists already"),
            Self::Policy(e) => e.fmt(f),
            Self::InUse { kind, name, reference } => {
                write!(f, "{kind} `{name}` is still in use; without it, {reference}")
            }
            Self::EncryptionKeyMissing => f.write_str(
                "AUTH_ENABLE_ENCRYPTION=true needs a data key: set AUTH_ENCRYPTION_KEY to base64 of 32 random bytes \
                 (`tessera keys generate --kind data --out FILE`, or `openssl rand -base64 32`)",
            ),
            Self::DataKeyUnknown { kid } => write!(
                f,
                "a stored value is encrypted with data key {kid}, which this process does not have (was it retired?)"
            ),
            Self::Decrypt { field } => write!(f, "a stored {field} value failed to decrypt: it was modified or moved"),
            Self::Crypto(m) => f.write_str(m),
            Self::KeyInUse { kid, rows } => write!(
                f,
                "data key {kid} still encrypts {rows} rows; run `tessera reencrypt` first, then retire it"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Policy(e) | Self::InUse { reference: e, .. } => Some(e),
            _ => None,
        }
    }
}

impl From<PolicyError> for StoreError {
    fn from(e: PolicyError) -> Self {
        Self::Policy(e)
    }
}
