#!/usr/bin/env bash
# Every check main must pass: formatting, lints, the no_std build of the core, all
# Rust tests (unit, conformance vectors, property tests, CLI), and the docs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

step() {
  printf '\n==> %s\n' "$1"
  shift
  "$@"
}

step "format (cargo fmt --check)" cargo fmt --all -- --check
step "lints (clippy, warnings are errors)" cargo clippy --locked --workspace --all-targets -- -D warnings
step "no_std: tessera-core for wasm32v1-none" \
  cargo build --locked -p tessera-core --no-default-features --target wasm32v1-none
step "docs (rustdoc, warnings are errors)" env RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps
step "tests (unit, RFC token examples, 460 conformance vectors, property tests with 10,000 cases each, sanitizer corpora through html5ever, CLI)" \
  cargo test --locked --workspace

printf '\nPostgreSQL: no part of Tessera uses it yet (storage arrives with issue 6), so no PostgreSQL test runs.\n'
printf 'all checks passed\n'
