//! # tessera-testkit
//!
//! Test support shared by the host crates' suites (a dev-dependency only): scratch
//! databases on SQLite and on the PostgreSQL server of `TEST_POSTGRES_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support: a failed unwrap is a failed test")]

pub mod db;
