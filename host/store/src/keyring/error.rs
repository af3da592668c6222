//! What reading, writing or using the keyring can fail at, each with a stable code.

use std::fmt;
use std::path::PathBuf;

/// A keyring operation that did not happen; the keyring file is as it was.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyringError {
    /// The keyring file (or its directory) could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The keyring file is readable by group or others.
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a keyring this version reads (not JSON of the keyring's shape,
    /// or an unknown version).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why, without any of its contents.
        reason: String,
    },
    /// A stored key does not decode to a key of its kind.
    Damaged {
        /// The key's id.
        kid: String,
    },
    /// No key with this id.
    UnknownKey {
        /// The id asked for.
        kid: String,
    },
    /// The key is retired already.
    AlreadyRetired {
        /// The key's id.
        kid: String,
    },
    /// The operating system gave no randomness for a new key.
    Randomness(String),
    /// The core refused a key (a weak HMAC secret, ...), with its stable code.
    Key(tessera_core::Error),
}

impl KeyringError {
    /// `ERR_...`, as in docs/ERRORS.md.
    pub fn code(&self) -> &str {
        match self {
            Self::Io { .. } => "ERR_IO",
            Self::TooOpen { .. } => "ERR_KEY_FILE_TOO_OPEN",
            Self::Unreadable { .. } => "ERR_KEYRING_UNREADABLE",
            Self::Damaged { .. } => "ERR_KEYRING_DAMAGED",
            Self::UnknownKey { .. } => "ERR_KEY_UNKNOWN",
            Self::AlreadyRetired { .. } => "ERR_KEY_RETIRED",
            Self::Randomness(_) => "ERR_CRYPTO",
            Self::Key(e) => e.code(),
        }
    }
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::TooOpen { path, mode } => write!(
                f,
                "{}: permissions {mode:04o} are too open for a file of private keys; run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
            Self::Unreadable { path, reason } => {
                write!(f, "{}: not a tessera keyring: {reason}", path.display())
            }
            Self::Damaged { kid } => {
                write!(f, "key {kid} in the keyring is damaged: it does not decode to a key")
            }
            Self::UnknownKey { kid } => write!(f, "no key `{kid}` in the keyring"),
            Self::AlreadyRetired { kid } => write!(f, "key `{kid}` is retired already"),
            Self::Randomness(reason) => write!(f, "no randomness for a new key: {reason}"),
            Self::Key(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for KeyringError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Key(e) => Some(e),
            _ => None,
        }
    }
}

impl From<tessera_core::KeyError> for KeyringError {
    fn from(e: tessera_core::KeyError) -> Self {
        Self::Key(e.into())
    }
}

impl From<tessera_core::Error> for KeyringError {
    fn from(e: tessera_core::Error) -> Self {
        Self::Key(e)
    }
}
