//! The module's exports, each a hand-off to the crate's safe functions.
//!
//! The one `unsafe` here is `#[unsafe(no_mangle)]`, so the wrapper finds the
//! exports by name: no two share a name, and none collides with a symbol of std or
//! the core, which export none on this target. Compiled for wasm only.
#![allow(unsafe_code, reason = "the exports' names; see the module docs")]

/// [`crate::buffer`]: its address (wasm32 addresses are 32 bits), 0 when the memory
/// cannot be had.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn buffer(len: u32) -> u32 {
    crate::buffer(len).and_then(|address| u32::try_from(address).ok()).unwrap_or(0)
}

/// [`crate::check`]: 1 usable, 0 not.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn check(alg_len: u32, key_len: u32) -> u32 {
    u32::from(crate::check(alg_len, key_len))
}

/// [`crate::verify`]: 1 verifies, 0 not.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn verify(alg_len: u32, key_len: u32, message_len: u32, signature_len: u32) -> u32 {
    u32::from(crate::verify(alg_len, key_len, message_len, signature_len))
}
