//! Why a call failed, as the JSON text the wrapper turns into a `TesseraError`.

use serde::Serialize;
use tessera_core::{Error, IdentifierError, KeyError, PolicyError, SnapshotError, TokenError};
use wasm_bindgen::JsValue;

/// A refusal: a stable code (the core's), a message, and for identifiers the violated
/// part of the rule.
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

    /// The options object broke its schema.
    pub(crate) fn options(message: impl core::fmt::Display) -> Self {
        Self::new("ERR_OPTIONS", format!("options: {message}"))
    }

    /// A query came before any policy was loaded (only reachable through misuse of
    /// the raw module; the wrapper never builds an empty authorizer).
    pub(crate) fn not_loaded() -> Self {
        Self::new("ERR_NOT_LOADED", "no snapshot or policy is loaded")
    }
}

impl From<Failure> for JsValue {
    fn from(failure: Failure) -> Self {
        let text = serde_json::to_string(&failure).unwrap_or_else(|_| {
            String::from(r#"{"code":"ERR_INTERNAL","message":"an error could not be reported"}"#)
        });
        JsValue::from_str(&text)
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

from_core_error!(Error, KeyError, PolicyError, SnapshotError, TokenError);

impl From<IdentifierError> for Failure {
    fn from(error: IdentifierError) -> Self {
        Self { code: error.code(), message: error.to_string(), violation: Some(error.violation().code()) }
    }
}

/// Turns any core error into the thrown value in one step.
pub(crate) fn thrown(error: impl Into<Failure>) -> JsValue {
    error.into().into()
}
