//! What the tests that hold the npm package's types against the core share.

#![allow(dead_code, reason = "each test binary that includes this uses a part of it")]

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

/// The repository's root.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the repository").to_path_buf()
}

/// The quoted names of the type alias `name` in `js/src/index.d.ts`, in order.
pub(crate) fn declared_union(name: &str) -> Vec<String> {
    let types = fs::read_to_string(repo().join("js/src/index.d.ts")).expect("js/src/index.d.ts");
    let body = types
        .split(&format!("export type {name} ="))
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("index.d.ts declares `{name}`"));
    body.split('\'').skip(1).step_by(2).map(String::from).collect()
}

/// Asserts that `left` and `right` hold the same items, naming what each lacks.
pub(crate) fn assert_same<T: Ord + Debug>(
    left: &BTreeSet<T>,
    left_name: &str,
    right: &BTreeSet<T>,
    right_name: &str,
) {
    let only_left: Vec<_> = left.difference(right).collect();
    let only_right: Vec<_> = right.difference(left).collect();
    assert!(only_left.is_empty(), "in {left_name}, missing from {right_name}: {only_left:?}");
    assert!(only_right.is_empty(), "in {right_name}, missing from {left_name}: {only_right:?}");
}
