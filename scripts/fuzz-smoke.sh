#!/usr/bin/env bash
# Fuzz smoke check: builds every target of the core's fuzz workspace (fuzz/, its own
# workspace and target dir) once, then for each target replays its committed seeds
# (fuzz/seeds/<target>) and whatever corpus earlier runs grew (fuzz/corpus/<target>,
# not committed) and fuzzes for FUZZ_SECONDS (default 10). Fails on any crash, panic,
# timeout or out-of-memory; the input is left in fuzz/artifacts/<target>/. Prints the
# executions per target.
#
# The guest-ABI target (fuzz/guest) links wasmtime and the whole host, which would
# cost CI minutes to build again with coverage instrumentation; so here its seeds and
# corpus are mutated for FUZZ_SECONDS by the host's test binary that `cargo test
# --workspace` built (test `fuzz_smoke` of tessera_runtime::abi_fuzz, ignored
# by default), and a failing script lands in fuzz/guest/artifacts/guest_abi/.
#
# cargo-fuzz is installed, pinned, into the target dir on first use (as the JS build
# does with wasm-bindgen-cli). It runs on stable Rust with `-s none`: no sanitizer
# (the core has no unsafe code), optimized, with debug assertions and overflow checks.
#
# A long run of one target (from fuzz/, after this script built it):
#   target/x86_64-unknown-linux-gnu/release/TARGET -artifact_prefix=artifacts/TARGET/ corpus/TARGET seeds/TARGET
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds="${FUZZ_SECONDS:-10}"
tools="${CARGO_TARGET_DIR:-target}/tools"
case "$tools" in /*) ;; *) tools="$PWD/$tools" ;; esac
cargo_fuzz="$tools/bin/cargo-fuzz"
if [ "$("$cargo_fuzz" --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into $tools"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$tools"
fi

cd fuzz
# cargo fuzz has no --locked: check here that fuzz/Cargo.lock needs no change.
cargo metadata --locked --format-version 1 >/dev/null
"$cargo_fuzz" build -s none --target-dir target
bin="target/$(rustc -vV | sed -n 's/^host: //p')/release"

# The binaries built above, run directly (`cargo fuzz run` would rebuild first).
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
printf '%-18s %12s %8s\n' target executions seconds
for target in $("$cargo_fuzz" list); do
  mkdir -p "corpus/$target" "artifacts/$target"
  log="$logs/$target.log"
  if ! "$bin/$target" -artifact_prefix="artifacts/$target/" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=2048 "corpus/$target" "seeds/$target" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $target FAILED; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)"
  read -r _ runs _ _ secs _ <<<"$done_line"
  printf '%-18s %12s %8s\n' "$target" "${runs:-?}" "${secs:-?}"
done

# The guest ABI through wasmtime: the same workspace and features as the test step,
# so nothing is rebuilt.
cd ..
log="$logs/guest_abi.log"
if ! FUZZ_SECONDS="$seconds" cargo test --locked --workspace --lib -- --ignored fuzz_smoke --nocapture \
  >"$log" 2>&1; then
  tail -n 60 "$log"
  echo "fuzz target guest_abi FAILED; the script is in fuzz/guest/artifacts/guest_abi/" >&2
  exit 1
fi
read -r _ runs _ _ secs _ <<<"$(grep -E '^guest_abi: [0-9]+ scripts' "$log" | tail -1)"
printf '%-18s %12s %8s  (mutations through the host test binary, not coverage-guided)\n' guest_abi "${runs:-?}" "${secs:-?}"
