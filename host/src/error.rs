//! Errors of the command line, each with the exit code it ends the process with.

use std::fmt;
use std::path::PathBuf;

/// What can stop a command.
#[derive(Debug)]
pub enum CliError {
    /// A core error (policy, snapshot, key), with its stable code.
    Core(tessera_core::Error),
    /// An identifier given on the command line breaks its rule.
    Identifier(tessera_core::IdentifierError),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A private key file others can read.
    KeyFileTooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The arguments make no sense together (exit code 2, like clap's own).
    Usage(String),
    /// The guest engine refused the input or failed (its code says which).
    Guest(crate::runtime::GuestError),
    /// The store refused or failed.
    Store(crate::store::StoreError),
    /// A setting cannot be used (a weak secret, a malformed value).
    Settings(crate::settings::SettingsError),
    /// A token was refused.
    Token(tessera_core::TokenError),
    /// The server could not start or stopped on an error (a port in use, ...).
    Server(String),
}

impl CliError {
    /// `ERR_...`, as in the core and the HTTP API.
    pub fn code(&self) -> &str {
        match self {
            Self::Guest(e) => e.code(),
            Self::Core(e) => e.code(),
            Self::Identifier(e) => e.code(),
            Self::Io { .. } => "ERR_IO",
            Self::KeyFileTooOpen { .. } => "ERR_KEY_FILE_TOO_OPEN",
            Self::Usage(_) => "ERR_USAGE",
            Self::Store(e) => e.code(),
            Self::Settings(e) => e.code,
            Self::Token(e) => e.code(),
            Self::Server(_) => "ERR_SERVE",
        }
    }

    /// 2 for usage errors, 3 for everything else (0 and 1 mean allowed and denied).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Identifier(_) => 2,
            Self::Guest(e) if e.code() == "ERR_INVALID_IDENTIFIER" => 2,
            Self::Store(
                crate::store::StoreError::Policy(_) | crate::store::StoreError::InvalidClientKey(_),
            ) => 2,
            Self::Token(_) => 1,
            _ => 3,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Core(e) => e.fmt(f),
            Self::Identifier(e) => e.fmt(f),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::KeyFileTooOpen { path, mode } => write!(
                f,
                "{}: permissions {mode:04o} are too open for a private key; run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
            Self::Usage(message) => f.write_str(message),
            Self::Guest(e) => e.fmt(f),
            Self::Store(e) => e.fmt(f),
            Self::Settings(e) => e.fmt(f),
            Self::Token(e) => write!(f, "the token is not valid: {e}"),
            Self::Server(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for CliError {}

impl From<crate::runtime::GuestError> for CliError {
    fn from(e: crate::runtime::GuestError) -> Self {
        Self::Guest(e)
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<crate::settings::SettingsError> for CliError {
    fn from(e: crate::settings::SettingsError) -> Self {
        Self::Settings(e)
    }
}

impl From<tessera_core::TokenError> for CliError {
    fn from(e: tessera_core::TokenError) -> Self {
        Self::Token(e)
    }
}

macro_rules! from_core {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                Self::Core(e.into())
            }
        }
    )*};
}

from_core!(
    tessera_core::Error,
    tessera_core::PolicyError,
    tessera_core::SnapshotError,
    tessera_core::KeyError
);
