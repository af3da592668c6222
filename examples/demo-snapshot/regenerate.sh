#!/usr/bin/env bash
# Rebuilds demo.snapshot from policy.json with a fresh signing key, and writes the
# public half to demo-key.pub.json (the private half is thrown away: this is a demo).
# Needs the tessera CLI: cargo build --release -p tessera
set -euo pipefail
cd "$(dirname "$0")"
tessera="${TESSERA_BIN:-../../target/release/tessera}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
AUTH_DATA_DIR="$work" "$tessera" keys generate --kind snapshot --out "$work/key.jwk"
AUTH_DATA_DIR="$work" "$tessera" keys public "$work/key.jwk" > demo-key.pub.json
AUTH_DATA_DIR="$work" "$tessera" snapshot build policy.json --key "$work/key.jwk" --out demo.snapshot --revision 1
