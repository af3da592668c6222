//! Errors of the command line: what each library crate returns, wrapped, plus the
//! CLI's own (usage, files), each with the exit code it ends the process with. This
//! is the one place where an error becomes an exit code.

use std::fmt;
use std::path::PathBuf;

use tessera_store::keyring::KeyringError;

/// What can stop a command.
#[derive(Debug)]
pub(crate) enum CliError {
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
    /// The arguments make no sense together (exit code 2, like clap's own).
    Usage(String),
    /// The guest engine refused the input or failed (its code says which).
    Guest(tessera_runtime::GuestError),
    /// The store refused or failed.
    Store(tessera_store::StoreError),
    /// The keyring or a key file could not be read, written or used.
    Keyring(KeyringError),
    /// A setting cannot be used (a weak secret, a malformed value).
    Settings(tessera_server::settings::SettingsError),
    /// A token was refused.
    Token(tessera_core::TokenError),
    /// The server could not start or stopped on an error (a port in use, ...).
    Server(tessera_server::ServerError),
}

impl CliError {
    /// `ERR_...`, as in the core and the HTTP API.
    pub(crate) fn code(&self) -> &str {
        match self {
            Self::Guest(e) => e.code(),
            Self::Core(e) => e.code(),
            Self::Identifier(e) => e.code(),
            Self::Io { .. } => "ERR_IO",
            Self::Keyring(e) => e.code(),
            Self::Usage(_) => "ERR_USAGE",
            Self::Store(e) => e.code(),
            Self::Settings(e) => e.code,
            Self::Token(e) => e.code(),
            Self::Server(e) => e.code(),
        }
    }

    /// 2 for usage errors, 3 for everything else (0 and 1 mean allowed and denied).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Identifier(_) => 2,
            Self::Guest(e) if e.code() == "ERR_INVALID_IDENTIFIER" => 2,
            Self::Store(
                tessera_store::StoreError::Policy(_) | tessera_store::StoreError::InvalidClientKey(_),
            ) => 2,
            Self::Keyring(KeyringError::UnknownKey { .. } | KeyringError::AlreadyRetired { .. }) => 2,
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
            Self::Keyring(e) => e.fmt(f),
            Self::Usage(message) => f.write_str(message),
            Self::Guest(e) => e.fmt(f),
            Self::Store(e) => e.fmt(f),
            Self::Settings(e) => e.fmt(f),
            Self::Token(e) => write!(f, "the token is not valid: {e}"),
            Self::Server(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Core(e) => Some(e),
            Self::Identifier(e) => Some(e),
            Self::Io { source, .. } => Some(source),
            Self::Guest(e) => Some(e),
            Self::Store(e) => Some(e),
            Self::Keyring(e) => Some(e),
            Self::Settings(e) => Some(e),
            Self::Token(e) => Some(e),
            Self::Server(e) => Some(e),
            Self::Usage(_) => None,
        }
    }
}

impl From<tessera_store::keyring::KeyringError> for CliError {
    fn from(e: tessera_store::keyring::KeyringError) -> Self {
        Self::Keyring(e)
    }
}

impl From<tessera_server::ServerError> for CliError {
    fn from(e: tessera_server::ServerError) -> Self {
        Self::Server(e)
    }
}

impl From<tessera_runtime::GuestError> for CliError {
    fn from(e: tessera_runtime::GuestError) -> Self {
        Self::Guest(e)
    }
}

impl From<tessera_store::StoreError> for CliError {
    fn from(e: tessera_store::StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<tessera_server::settings::SettingsError> for CliError {
    fn from(e: tessera_server::settings::SettingsError) -> Self {
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
