#!/usr/bin/env bash
# Every check main must pass: formatting, lints (native and for the wasm guest), the
# no_std build of the core, the docs, and all Rust tests: unit, conformance vectors
# (native and through the guest in wasmtime), property tests, sandbox, CLI, examples.
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
step "lints of the guest as it ships (wasm32)" \
  cargo clippy --locked -p tessera-guest --target wasm32-unknown-unknown -- -D warnings
step "no_std: tessera-core for wasm32v1-none" \
  cargo build --locked -p tessera-core --no-default-features --target wasm32v1-none
step "docs (rustdoc, warnings are errors)" env RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps
step "tests (unit, RFC token examples, 470 conformance vectors natively and twice through the wasmtime guest, property tests with 10,000 cases each, sanitizer corpora through html5ever, guest sandbox and cache, CLI, examples)" \
  cargo test --locked --workspace

printf '\nPostgreSQL: no part of Tessera uses it yet (storage arrives with issue 6), so no PostgreSQL test runs.\n'
printf 'all checks passed\n'
