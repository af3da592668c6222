//! # tessera-abi
//!
//! What the guest module (`tessera-guest`) and the runtime that hosts it
//! (`tessera-runtime`) must agree on, in one `no_std` crate both depend on: the
//! packed result of a call and the framing of string lists ([`wire`]; the npm
//! package's wasm-bindgen face frames its list inputs the same way), the numeric
//! codes of queries and key purposes ([`wire`]; reasons use the core's codes), and
//! the configuration the
//! guest reads ([`config`]). The ABI itself is documented in `tessera-guest`.

#![no_std]

extern crate alloc;

pub mod config;
pub mod wire;
