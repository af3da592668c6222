#!/usr/bin/env bash
# Installs what building and testing Tessera needs on a fresh machine (Rust via
# rustup): the rustfmt/clippy components and the wasm targets. Safe to run again.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: Rust is needed; install it with rustup (https://rustup.rs) and run this again" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null
  # wasm32v1-none proves the core builds without std (no_std + alloc only);
  # wasm32-unknown-unknown is the guest module host/runtime/build.rs embeds in `tessera`.
  rustup target add wasm32v1-none wasm32-unknown-unknown >/dev/null
else
  echo "warning: rustup not found; assuming rustfmt, clippy and the wasm32v1-none and wasm32-unknown-unknown targets are installed" >&2
fi
