//! Why a call failed: the core's [`ErrorReport`], thrown as its JSON text, which the
//! wrapper turns into a `TesseraError`; plus this face's own refusals.

use core::cell::RefCell;

pub(crate) use tessera_core::ErrorReport as Failure;
use wasm_bindgen::prelude::*;

/// What a hot call returns in place of its answer when it failed; the failure is then
/// held for [`take_failure`]. No answer uses it (they are small numbers or lengths).
pub(crate) const FAILED: u32 = u32::MAX;

thread_local! {
    static LAST_FAILURE: RefCell<String> = const { RefCell::new(String::new()) };
}

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

/// A hot call's answer as one number, or [`FAILED`] with the failure kept for
/// [`take_failure`]. A `Result` would cross to JS as a multi-value return, which V8
/// turns into an array per call: a tenth of a `can`.
pub(crate) fn answer(result: Result<u32, Failure>) -> u32 {
    result.unwrap_or_else(|failure| {
        LAST_FAILURE.with_borrow_mut(|last| *last = failure.to_json());
        FAILED
    })
}

/// The JSON text of the failure behind the last `FAILED` (`u32::MAX`) answer (empty after it
/// was taken once).
#[wasm_bindgen]
pub fn take_failure() -> String {
    LAST_FAILURE.with_borrow_mut(core::mem::take)
}
