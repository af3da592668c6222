//! Why a call failed: the core's [`ErrorReport`], thrown as its JSON text, which the
//! wrapper turns into a `TesseraError`; plus this face's own refusals.

use core::cell::RefCell;

pub(crate) use tessera_core::ErrorReport as Failure;
use wasm_bindgen::prelude::*;

use crate::scratch::FAILED;

thread_local! {
    static LAST_FAILURE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The options object broke its schema.
pub(crate) fn options(message: impl core::fmt::Display) -> Failure {
    Failure::new("ERR_OPTIONS", format!("options: {message}"))
}

/// An argument the calling convention does not allow (an unknown identifier kind, a
/// length past the scratch buffer).
pub(crate) fn argument(message: impl Into<String>) -> Failure {
    Failure::invalid_argument(message)
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

/// The JSON text of the failure behind the last `FAILED` (`u32::MAX`) answer (empty
/// after it was taken once).
#[wasm_bindgen]
pub fn take_failure() -> String {
    LAST_FAILURE.with_borrow_mut(core::mem::take)
}
