//! Why a call failed: the core's [`ErrorReport`], thrown as its JSON text, which the
//! wrapper turns into a `TesseraError`; plus this face's own refusals.

pub(crate) use tessera_core::ErrorReport as Failure;
use wasm_bindgen::JsValue;

/// The options object broke its schema.
pub(crate) fn options(message: impl core::fmt::Display) -> Failure {
    Failure::new("ERR_OPTIONS", format!("options: {message}"))
}

/// A JS argument of the wrong kind (an unknown identifier kind, a length beyond the
/// scratch buffer).
pub(crate) fn argument(message: impl Into<String>) -> Failure {
    Failure::new("ERR_INVALID_ARGUMENT", message)
}

/// A query came before any snapshot was loaded (only reachable through misuse of the
/// raw module; the wrapper never builds an empty authorizer).
pub(crate) fn not_loaded() -> Failure {
    Failure::new("ERR_NOT_LOADED", "no snapshot is loaded")
}

/// Any core error or failure, as the value thrown to JS.
pub(crate) fn thrown(error: impl Into<Failure>) -> JsValue {
    JsValue::from_str(&error.into().to_json())
}
