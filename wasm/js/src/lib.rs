//! # tessera-js
//!
//! The Tessera core as a wasm-bindgen module: what the npm package `tessera-authz`
//! (`js/`) wraps. One [`Engine`] per authorizer holds a verified snapshot, the token
//! keys and the validation rules; the free functions are the sanitizer.
//!
//! The JS side is a thin wrapper, so this surface is shaped for speed, not for
//! people: the hot calls (`can`, `check`, `check_many`, `authorize` and the WebCrypto
//! steps) take their arguments from a scratch buffer in wasm memory, leave short
//! answers there and return one number, `u32::MAX` when they failed (the wrapper
//! then fetches the failure by `take_failure`); results that are lists come back as
//! one string joined by `\n` (no identifier may contain one); every other failure is
//! thrown. A failure is the JSON text `{"code", "message", "violation"?}`, which the
//! wrapper turns into a `TesseraError`. Clocks are the caller's: every
//! time-dependent call takes `now` in seconds since the Unix epoch.

mod engine;
mod failure;
mod options;
mod sanitize;
mod scratch;

pub use engine::Engine;
pub use failure::take_failure;
pub use sanitize::{escape, inspect, strip, validate_identifier};
pub use scratch::scratch;
