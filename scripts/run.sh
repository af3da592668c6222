#!/usr/bin/env bash
# The main job: builds `tessera` (release) and runs `tessera serve` on the embedded
# SQLite default (the database and keyring in AUTH_DATA_DIR, else
# ~/.local/share/tessera), listening on 127.0.0.1:4000 until Ctrl-C. Arguments go to
# `tessera serve` (`--bind 0.0.0.0:4000`, `--log-format text`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p tessera
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$target_dir/release/tessera" serve "$@"
