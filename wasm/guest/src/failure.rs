//! Why a guest call failed: a stable code, a message, and for identifiers the
//! violated part of the rule. Serialized as the output of a failed call.

use serde::Serialize;
use tessera_core::{IdentifierError, KeyError, PolicyError, SnapshotError, TokenError};

/// A refusal the host receives as JSON.
#[derive(Debug, Serialize)]
pub(crate) struct Failure {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    violation: Option<&'static str>,
}

impl Failure {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), violation: None }
    }

    /// The host passed arguments the ABI does not allow.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self::new("ERR_GUEST_INPUT", message)
    }

    /// A query came before any policy was loaded.
    pub(crate) fn not_loaded() -> Self {
        Self::new("ERR_GUEST_NOT_LOADED", "no snapshot or policy is loaded")
    }

    /// The audit sink refused an event the call must record.
    pub(crate) fn audit_unavailable() -> Self {
        Self::new("ERR_AUDIT_UNAVAILABLE", "the audit event could not be recorded, so the call did nothing")
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| br#"{"code":"ERR_GUEST_INTERNAL","message":""}"#.to_vec())
    }
}

macro_rules! from_core_error {
    ($($error:ty),*) => {$(
        impl From<$error> for Failure {
            fn from(error: $error) -> Self {
                Self::new(error.code(), error.to_string())
            }
        }
    )*};
}

from_core_error!(KeyError, PolicyError, SnapshotError, TokenError);

impl From<IdentifierError> for Failure {
    fn from(error: IdentifierError) -> Self {
        Self { code: error.code(), message: error.to_string(), violation: Some(error.violation().code()) }
    }
}
