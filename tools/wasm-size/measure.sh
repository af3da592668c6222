#!/usr/bin/env bash
# Builds the size probe three times (baseline, + jwt, + sanitizer) for
# wasm32-unknown-unknown with size optimizations and prints raw and gzipped sizes.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
target=target/wasm32-unknown-unknown/release/tessera_wasm_size.wasm
printf '%-22s %10s %10s\n' build bytes gzipped
for features in "" "jwt" "sanitizer" "jwt,sanitizer"; do
  cargo build -q --release --target wasm32-unknown-unknown --features "$features"
  printf '%-22s %10d %10d\n' "baseline${features:++$features}" "$(wc -c <"$target")" "$(gzip -9 -c "$target" | wc -c)"
done
