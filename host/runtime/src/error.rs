//! What can go wrong in a guest call, each with a stable code like the core's.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// A guest call that did not produce an answer. Only [`GuestError::Refused`] comes
/// from the engine's rules; the others are the sandbox or the host speaking, and
/// after them the instance is discarded (the next call gets a fresh one).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuestError {
    /// The engine refused the input: a bad identifier, snapshot, token, policy, ...
    Refused {
        /// The core's stable code (`ERR_SNAPSHOT_ROLLBACK`, `ERR_INVALID_IDENTIFIER`, ...).
        code: String,
        /// What was wrong.
        message: String,
        /// For identifiers: the violated part of the rule (`too_long`, ...).
        violation: Option<String>,
    },
    /// The call ran past its deadline and was stopped.
    Timeout {
        /// The deadline it had.
        limit: Duration,
    },
    /// The instance needed more memory than its limit. When only the input buffer
    /// for the arguments could not be had, the instance declined it and goes on;
    /// otherwise it failed mid-call and is retired ([`super::Guest::is_poisoned`]).
    MemoryLimit {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The guest trapped (a bug or a hostile input the core did not expect).
    Trap {
        /// Wasmtime's description.
        message: String,
    },
    /// The module broke the ABI (an output out of bounds, an unknown reason byte, ...).
    Abi {
        /// What was broken.
        message: String,
    },
    /// The engine could not be set up: compiling, caching or instantiating the module.
    Setup {
        /// What failed.
        message: String,
    },
}

impl GuestError {
    /// The stable code: the core's for refusals, `ERR_GUEST_*` for the sandbox.
    pub fn code(&self) -> &str {
        match self {
            Self::Refused { code, .. } => code,
            Self::Timeout { .. } => "ERR_GUEST_TIMEOUT",
            Self::MemoryLimit { .. } => "ERR_GUEST_MEMORY_LIMIT",
            Self::Trap { .. } => "ERR_GUEST_TRAP",
            Self::Abi { .. } => "ERR_GUEST_ABI",
            Self::Setup { .. } => "ERR_GUEST_SETUP",
        }
    }

    pub(crate) fn abi(message: impl Into<String>) -> Self {
        Self::Abi { message: message.into() }
    }

    pub(crate) fn setup(message: impl fmt::Display) -> Self {
        Self::Setup { message: message.to_string() }
    }

    /// Reads the JSON a failed call leaves in the output.
    pub(crate) fn from_output(output: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Wire {
            code: String,
            message: String,
            #[serde(default)]
            violation: Option<String>,
        }
        match serde_json::from_slice::<Wire>(output) {
            Ok(wire) => Self::Refused { code: wire.code, message: wire.message, violation: wire.violation },
            Err(e) => Self::abi(format!("unreadable error from the guest: {e}")),
        }
    }
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { message, .. } => f.write_str(message),
            Self::Timeout { limit } => write!(f, "the guest call ran past its deadline of {limit:?}"),
            Self::MemoryLimit { limit } => {
                write!(f, "the guest needed more memory than its limit of {limit} bytes")
            }
            Self::Trap { message } => write!(f, "the guest trapped: {message}"),
            Self::Abi { message } => write!(f, "the guest broke the ABI: {message}"),
            Self::Setup { message } => write!(f, "the guest engine could not be set up: {message}"),
        }
    }
}

impl std::error::Error for GuestError {}
