//! # tessera-host
//!
//! The native side of Tessera: what the `no_std` core must not do itself.
//!
//! - [`runtime`]: the core compiled to WebAssembly, run in wasmtime with storage,
//!   keys, audit and a clock supplied by the embedder. Every decision the host makes
//!   goes through it, so it matches the browser's and the edge's bit for bit.
//! - [`store`]: the authoring store (SQLite or PostgreSQL) with field encryption and
//!   the hash-chained audit log; [`keyring`] and [`settings`] around it.
//! - [`server`]: `tessera serve`, the HTTP API (Auth's REST routes, tokens, snapshots).
//! - [`cli`]: the `tessera` command line.

// Denied, not forbidden: the module cache has one reviewed `unsafe` block
// (runtime/cache.rs), the only one in the crate.
#![deny(unsafe_code)]

pub mod cli;
mod error;
pub mod files;
pub mod keyring;
pub mod password;
pub mod runtime;
pub mod server;
pub mod settings;
pub mod store;
mod time;

pub use error::CliError;
