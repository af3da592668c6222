//! Every error code the code base can produce is documented in `docs/ERRORS.md`, every
//! documented code is produced somewhere, and the npm package's `TesseraErrorCode`
//! union lists exactly the codes the core, the wasm module and the package produce.
//!
//! A code is produced where it is written as a whole string literal (`"ERR_..."` or
//! `'ERR_...'`) in a crate's or the package's sources: tests excluded (test files,
//! test directories, and a Rust file's `#[cfg(test)]` module, which sits at its end);
//! a prefix matched with `starts_with` is not a code.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{assert_same, declared_union, repo};

/// Source files under `dir` (recursively), skipping test directories and build output.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "tests" | "test" | "target" | "node_modules" | "build" | "dist") {
                sources(&path, out);
            }
        } else if [".rs", ".js", ".mjs"].iter().any(|ext| name.ends_with(ext)) && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// The codes written as whole string literals in `text`.
fn literal_codes(text: &str) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for (at, _) in text.match_indices("ERR_") {
        let Some(quote) = text[..at].chars().next_back().filter(|c| matches!(c, '"' | '\'')) else {
            continue;
        };
        let code: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        let closed = text[at + code.len()..].starts_with(quote);
        let prefix_match = ["starts_with(", "startsWith("].iter().any(|call| text[..at - 1].ends_with(call));
        if closed && !prefix_match && !code.ends_with('_') {
            codes.insert(code);
        }
    }
    codes
}

/// The codes produced by the sources under `dirs` (relative to the repository).
fn produced(dirs: &[&str], skip: &[&str]) -> BTreeSet<String> {
    let mut files = Vec::new();
    for dir in dirs {
        sources(&repo().join(dir), &mut files);
    }
    files
        .iter()
        .filter(|file| !skip.iter().any(|s| file.ends_with(s)))
        .flat_map(|file| {
            let text = fs::read_to_string(file).unwrap();
            let is_rust = file.extension().is_some_and(|ext| ext == "rs");
            let code = if is_rust { text.split("#[cfg(test)]").next().unwrap_or_default() } else { &text };
            literal_codes(code)
        })
        .collect()
}

/// The codes written in backticks in `docs/ERRORS.md`.
fn documented() -> BTreeSet<String> {
    let text = fs::read_to_string(repo().join("docs/ERRORS.md")).unwrap();
    text.split('`').skip(1).step_by(2).filter(|s| is_code(s)).map(String::from).collect()
}

fn is_code(s: &str) -> bool {
    s.starts_with("ERR_")
        && s.len() > 4
        && !s.ends_with('_')
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn all_crates() -> Vec<String> {
    let mut dirs = vec!["core/src".to_owned(), "js/src".to_owned()];
    for parent in ["wasm", "host"] {
        for entry in fs::read_dir(repo().join(parent)).unwrap() {
            let src = entry.unwrap().path().join("src");
            if src.is_dir() {
                dirs.push(src.strip_prefix(repo()).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    dirs
}

#[test]
fn every_code_produced_is_documented_and_every_documented_code_is_produced() {
    let dirs = all_crates();
    let produced = produced(&dirs.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    let documented = documented();
    assert!(produced.len() > 80, "only {} codes found: the scan is broken", produced.len());
    assert_same(&produced, "the sources", &documented, "docs/ERRORS.md");
}

#[test]
fn the_npm_error_code_union_lists_what_the_package_can_throw() {
    // The middleware's and the AuthZEN handler's codes go into HTTP answers, not
    // into a TesseraError.
    let produced = produced(&["core/src", "wasm/js/src", "js/src"], &["middleware.js", "authzen.js"]);
    let typed: BTreeSet<String> = declared_union("TesseraErrorCode").into_iter().collect();
    assert!(typed.iter().all(|code| is_code(code)), "{typed:?}");
    assert_same(&produced, "what the package can throw", &typed, "TesseraErrorCode");
}

#[test]
fn the_scan_reads_literals_and_skips_prefixes() {
    let text = r#"Err("ERR_A_B") 'ERR_C' starts_with("ERR_D") x.startsWith('ERR_E') "ERR_F_" ERR_G "ERR_H"#;
    let codes: Vec<_> = literal_codes(text).into_iter().collect();
    assert_eq!(codes, ["ERR_A_B", "ERR_C"]);
}
