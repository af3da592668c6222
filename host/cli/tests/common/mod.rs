//! What the binary's suites share: a `tessera serve` child process to talk to.

#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part of this module")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

pub mod server;
