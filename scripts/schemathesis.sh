#!/usr/bin/env bash
# schemathesis (PyPI, pinned) against a running `tessera serve` on SQLite: every
# check, for ST_SECONDS (default 60), with the exclusions in
# tests/schemathesis/schemathesis.toml (each says why). Fails on any failure: a
# server error, an undocumented status, a schema-valid request refused, a
# schema-violating one accepted. Usage: scripts/schemathesis.sh [path/to/tessera]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
bin="${1:-$target/debug/tessera}"
venv="$target/schemathesis-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"

data="$(mktemp -d)"
log="$data/serve.log"
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT
# The fuzzer sends tens of thousands of requests from one address with one key.
AUTH_DATA_DIR="$data" AUTH_RATE_LIMIT_PER_CLIENT=100000000 AUTH_RATE_LIMIT_PER_IP=100000000 \
  "$bin" serve --bind 127.0.0.1:0 --log-format text 2>"$log" &
server=$!
address=""
for _ in $(seq 1 600); do
  # Only a whole line (with its port) counts; no such line yet is not an error.
  address="$(grep -oE '^tessera serve: listening on https?://[0-9.]+:[0-9]+$' "$log" | head -1 | sed 's/^tessera serve: listening on //' || true)"
  [ -n "$address" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; echo "tessera serve did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$address" ] || { cat "$log"; echo "tessera serve did not start within 60 s" >&2; exit 1; }
"$venv/bin/schemathesis" --config-file tests/schemathesis/schemathesis.toml run "$address/openapi.json" \
  -H "Authorization: Bearer 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b" \
  --max-time "${ST_SECONDS:-60}" --no-color
