//! The module's exports and its one import, each a hand-off to the crate's safe
//! functions.
//!
//! The `unsafe` here: `#[unsafe(no_mangle)]`, so the wrapper finds the exports by
//! name (no two share a name, and none collides with a symbol of std or the core,
//! which export none on this target); and the `unsafe extern` block declaring the
//! import, whose one function takes and returns integers only, so calling it is
//! safe whatever the caller does (`safe fn`). Compiled for wasm only.
#![allow(unsafe_code, reason = "the exports' names and the import; see the module docs")]

use crate::{Question, Said};

#[link(wasm_import_module = "tessera")]
unsafe extern "C" {
    /// Puts a question (its request JSON at `address`, `len` bytes) to the caller's
    /// engine; the reply is in the reply buffer, and the value says what it is.
    safe fn ask(question: u32, address: u32, len: u32) -> u32;
}

/// An address or a length in this module's memory, which wasm32 keeps under 2^32.
fn wasm32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// [`crate::buffer`]: its address (wasm32 addresses are 32 bits), 0 when the memory
/// cannot be had.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn buffer(len: u32) -> u32 {
    crate::buffer(len).map_or(0, wasm32)
}

/// [`crate::reply`]: its address, 0 when the memory cannot be had.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn reply(len: u32) -> u32 {
    crate::reply(len).map_or(0, wasm32)
}

/// The address of the last answer ([`crate::output`]).
#[unsafe(no_mangle)]
pub(crate) extern "C" fn output_address() -> u32 {
    wasm32(crate::output().0)
}

/// The length of the last answer ([`crate::output`]).
#[unsafe(no_mangle)]
pub(crate) extern "C" fn output_len() -> u32 {
    wasm32(crate::output().1)
}

/// [`crate::answer`], asking the caller through the import.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn answer(path_len: u32, body_len: u32) -> u32 {
    crate::answer(path_len, body_len, |question, request| {
        let said = ask(question as u32, wasm32(request.as_ptr() as usize), wasm32(request.len()));
        if said == Said::Answer as u32 { Said::Answer } else { Said::Failed }
    })
}

/// [`crate::route`].
#[unsafe(no_mangle)]
pub(crate) extern "C" fn route(path_len: u32) -> u32 {
    crate::route(path_len)
}

/// [`crate::configuration`].
#[unsafe(no_mangle)]
pub(crate) extern "C" fn configuration(base_len: u32) -> u32 {
    crate::configuration(base_len)
}

const _: () = assert!(Question::Evaluate as u32 == 0 && Question::Search as u32 == 1);
