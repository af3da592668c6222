//! # tessera-js
//!
//! The Tessera core as a wasm-bindgen module: what the npm package `tessera-authz`
//! (`js/`) wraps. One [`Engine`] per authorizer holds a verified snapshot, the token
//! keys and the validation rules; the free functions are the sanitizer.
//!
//! The JS side is a thin wrapper, so this surface is shaped for speed, not for
//! people: the hot calls (`can`, `check`, `check_many`) take their arguments from a
//! scratch buffer in wasm memory and leave short answers there, results that are
//! lists come back as one string joined by `\n` (no identifier may contain one), and
//! every failure is thrown as the JSON text `{"code", "message", "violation"?}` that
//! the wrapper turns into a `TesseraError`. Clocks are the
//! caller's: every time-dependent call takes `now` in seconds since the Unix epoch.

mod engine;
mod failure;
mod options;
mod sanitize;
mod scratch;

pub use engine::Engine;
pub use sanitize::{escape, inspect, strip, validate_identifier};
pub use scratch::scratch;
