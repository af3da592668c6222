//! Arbitrary bytes as a script of raw calls into a fresh guest instance; see
//! `tessera_runtime::abi_fuzz` for the script format and what must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|script: &[u8]| tessera_runtime::abi_fuzz::run(script));
