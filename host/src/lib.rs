//! # tessera-host
//!
//! The native side of Tessera: what the `no_std` core must not do itself. Today it
//! holds the `tessera` command line (policy files, key files, snapshot building,
//! checks); the wasmtime runtime, storage, audit and the HTTP API join it as their
//! issues land.

#![forbid(unsafe_code)]

pub mod cli;
mod error;
pub mod files;

pub use error::CliError;
