#!/usr/bin/env bash
# The main job. Until `tessera serve` lands (issue 7), this builds the `tessera` CLI
# and runs the policy-as-code walkthrough end to end: generate a signing key, build a
# signed snapshot from examples/cli-walkthrough/policy.yaml, inspect it, and run
# checks that are allowed and denied, each printing its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p tessera-host
target_dir="${CARGO_TARGET_DIR:-target}"
examples/cli-walkthrough/run.sh "$target_dir/release/tessera"
