#!/usr/bin/env bash
# The main job. Until `tessera serve` lands (issue 7), this builds the `tessera` CLI
# and runs its two walkthroughs end to end: the store (init, roles, grants, members,
# checks, a signed snapshot from the store, the audit log and its verification, in a
# throwaway SQLite data directory), then policy as code (a signing key, a signed
# snapshot from examples/cli-walkthrough/policy.yaml, allowed and denied checks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p tessera-host
target_dir="${CARGO_TARGET_DIR:-target}"
examples/store-walkthrough/run.sh "$target_dir/release/tessera"
examples/cli-walkthrough/run.sh "$target_dir/release/tessera"
