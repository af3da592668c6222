//! # tessera-js
//!
//! The Tessera core as a wasm-bindgen module: what the npm package `tessera-authz`
//! (`js/`) wraps. One [`WasmAuthorizer`] per authorizer holds a verified snapshot,
//! the token keys and the validation rules; the free functions are the sanitizer.
//!
//! The JS side is a thin wrapper, so this surface is shaped for speed, not for
//! people. Answers are the core's: a summary, claims and findings cross as the JSON
//! the core serializes, lists as JS arrays of strings, a failure as the JSON text of
//! the core's `ErrorReport` (`{"code", "message", "violation"?}`), which the wrapper
//! turns into a `TesseraError`. Clocks are the caller's: every time-dependent call
//! takes `now` in seconds since the Unix epoch. Every call that decides or reads the
//! policy is one: past the snapshot's `expires_at` it fails with
//! `ERR_SNAPSHOT_EXPIRED` (the wrapper may pass 0 for a snapshot that never expires).
//!
//! ## The hot calls
//!
//! They share one **scratch buffer** in wasm memory (`scratch(len) -> address`, at
//! least `len` bytes). The wrapper writes the **inputs** back to back from the
//! buffer's start (strings as UTF-8; a list framed, each item `u32 len` + bytes, as
//! the guest's ABI frames lists) and passes their byte lengths. The call leaves its
//! **output** right after the inputs, which stay untouched, as **fields** (each
//! `u32 len` + bytes, the same framing), and returns one `u32`, the **answer**:
//! `u32::MAX` when it failed (the failure then waits in `take_failure()`), else its
//! **value** in bits 0–7 and the output's length in bits 8–31. The wrapper's decoders
//! are in `js/src/scratch.js`; it reserves room for the inputs and the output.
//!
//! | export | inputs | value | output |
//! |---|---|---|---|
//! | `can(user_len, permission_len, now)` | user, permission | 1 allowed, 0 not | |
//! | `check(user_len, permission_len, now)` | user, permission | bit 0: 1 allowed, 0 not; bits 1–7: the reason's code (the core's `Reason`; `reason_names()[code]` is its name) | role, pattern, when the reason names them |
//! | `check_many(user_len, list_len, now)` | user, framed permissions | 0 | one byte per permission, 1 allowed, 0 not (not framed) |
//! | `evaluate(subject_len, action_len, type_len, id_len, now)` | subject, action, resource type, resource id | as `check`'s | role, pattern, on (empty when held tenant-wide) for a role's decision; rule for a rule's |
//! | `authorize(token_len, permission_len, now, decided_at)` | token, permission | 1 allowed, 0 not | reason, subject, role, pattern (empty when absent) |
//! | `verify_webcrypto(token_len, now)` | token | bit 0: the claims are valid if the signature is; bit 1: if it is not | none for a token of the synchronous path (HMAC); else `ALG`, `KID`, signature, then for a valid signature and for an invalid one the claims JSON (its bit set) or the failure JSON |
//! | `authorize_webcrypto(token_len, permission_len, now, decided_at)` | token, permission | bit 0: allowed if the signature is valid; bit 1: if it is not | none for HMAC; else `ALG`, `KID`, signature, then `authorize`'s four fields for a valid signature, then for an invalid one |
//!
//! A check with request attributes and the searches take and return the core's
//! JSON (`evaluate_json`, `search`): they are not on the hot path.
//!
//! The WebCrypto calls decide both ways in one call, so the wrapper crosses into
//! wasm once: it checks the signature over the token's bytes up to its last dot
//! (still at the buffer's start) and releases the answer its verdict selects. A
//! token refused before its signature is a failure of the call; the wrapper then
//! takes the synchronous path, which gives the same refusal.

mod authorizer;
mod failure;
mod options;
mod public_keys;
mod sanitize;
mod scratch;

pub use authorizer::{WasmAuthorizer, reason_names};
pub use failure::take_failure;
pub use public_keys::set_public_keys;
pub use sanitize::{escape, inspect, strip, validate_identifier};
pub use scratch::scratch;
