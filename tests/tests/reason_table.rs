//! The npm package's types name the core's reasons, in the core's table.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

use std::fs;
use std::path::Path;

use tessera_core::{Authorization, Reason};

fn declarations() -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    fs::read_to_string(repo.join("js/src/index.d.ts")).unwrap()
}

/// The quoted names of the type alias `name` in `index.d.ts`.
fn union(types: &str, name: &str) -> Vec<String> {
    let body = types
        .split(&format!("export type {name} ="))
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("index.d.ts declares `{name}`"));
    body.split('\'').skip(1).step_by(2).map(String::from).collect()
}

#[test]
fn the_reason_type_is_the_core_table() {
    let names: Vec<String> = Reason::ALL.iter().map(|reason| reason.name().to_owned()).collect();
    assert_eq!(union(&declarations(), "Reason"), names);
}

#[test]
fn an_authorization_names_the_scope_reason_as_the_core_does() {
    let types = declarations();
    let declared = types.split("export interface Authorization").nth(1).expect("Authorization is declared");
    let reason =
        declared.lines().find(|line| line.trim_start().starts_with("reason:")).expect("a reason field");
    assert!(reason.contains(&format!("'{}'", Authorization::OUTSIDE_TOKEN_SCOPE)), "{reason}");
}
