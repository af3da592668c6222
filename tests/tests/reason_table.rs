//! The npm package's types name the core's reasons, in the core's table.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use std::fs;

use common::{declared_union, repo};
use tessera_core::{Authorization, Reason};

#[test]
fn the_reason_type_is_the_core_table() {
    let names: Vec<String> = Reason::ALL.iter().map(|reason| reason.name().to_owned()).collect();
    assert_eq!(declared_union("Reason"), names);
}

#[test]
fn an_authorization_names_the_scope_reason_as_the_core_does() {
    let types = fs::read_to_string(repo().join("js/src/index.d.ts")).unwrap();
    let declared = types.split("export interface Authorization").nth(1).expect("Authorization is declared");
    let reason =
        declared.lines().find(|line| line.trim_start().starts_with("reason:")).expect("a reason field");
    assert!(reason.contains(&format!("'{}'", Authorization::OUTSIDE_TOKEN_SCOPE)), "{reason}");
}
