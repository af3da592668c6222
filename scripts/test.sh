#!/usr/bin/env bash
# Every check main must pass: formatting, lints (native and for the wasm guest), the
# no_std build of the core, the docs, and all Rust tests: unit, conformance vectors
# (native and through the guest in wasmtime), property tests, sandbox, CLI, examples.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# One full build per run: incremental state would only cost disk (GBs) and time.
export CARGO_INCREMENTAL=0

step() {
  printf '\n==> %s\n' "$1"
  shift
  "$@"
}

# PostgreSQL: the storage, crash and CLI suites run on it too when it answers. This
# machine kind runs a server on 127.0.0.1:5432 (trust auth, database `test`); start it
# if it is installed but stopped.
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  if ! pg_answers && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
    for _ in $(seq 1 60); do pg_answers && break; sleep 0.5; done
  fi
  if pg_answers; then
    export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
  elif [ -S /var/run/postgresql/.s.PGSQL.5432 ]; then
    export TEST_POSTGRES_URL="postgresql://postgres@%2Fvar%2Frun%2Fpostgresql/test"
  fi
fi
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  printf '\nPostgreSQL: storage, crash and CLI suites run on SQLite AND on %s\n' "${TEST_POSTGRES_URL%%\?*}"
else
  printf '\n%s\n' "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  printf '%s\n' "!!! PostgreSQL does not answer on 127.0.0.1:5432 or the local socket, and     !!!"
  printf '%s\n' "!!! TEST_POSTGRES_URL is not set: the PostgreSQL half of the storage, crash  !!!"
  printf '%s\n' "!!! and CLI suites is SKIPPED. Only SQLite is tested in this run.             !!!"
  printf '%s\n' "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
fi

step "format (cargo fmt --check)" cargo fmt --all -- --check
step "lints (clippy, warnings are errors)" cargo clippy --locked --workspace --all-targets -- -D warnings
step "lints of the guest as it ships (wasm32)" \
  cargo clippy --locked -p tessera-guest --target wasm32-unknown-unknown -- -D warnings
step "lints of the JS face as it ships (wasm32)" \
  cargo clippy --locked -p tessera-js --target wasm32-unknown-unknown -- -D warnings
step "lints of the npm package's public-key module as it ships (wasm32)" \
  cargo clippy --locked -p tessera-public-keys --target wasm32-unknown-unknown -- -D warnings
step "lints of the npm package's AuthZEN module as it ships (wasm32)" \
  cargo clippy --locked -p tessera-authzen --target wasm32-unknown-unknown -- -D warnings
step "no_std: tessera-core for wasm32v1-none" \
  cargo build --locked -p tessera-core --no-default-features --target wasm32v1-none
step "docs (rustdoc, warnings are errors)" env RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps
step "tests (unit, RFC token examples, every conformance vector (tests/vectors) natively and twice through the wasmtime guest, property tests with 10,000 cases each, sanitizer corpora through html5ever, guest sandbox and cache, storage suite + SIGKILL crash + audit tamper tests on SQLite and PostgreSQL, CLI, tessera serve over HTTP on both backends and two servers on one PostgreSQL, examples)" \
  cargo test --locked --workspace

# Fuzzing (fuzz/, its own workspace and target dir): every cargo-fuzz target of
# tessera-core replays its seeds and grown corpus, then fuzzes FUZZ_SECONDS (10) each;
# the guest-ABI target's scripts are mutated for as long through the host's test
# binary built above (fuzz/README.md says why).
step "fuzz smoke (7 cargo-fuzz targets of tessera-core: snapshots, tokens, policy JSON and YAML, sanitizer; seeds replayed, then 10 s each; the guest ABI through wasmtime, 10 s)" \
  scripts/fuzz-smoke.sh

# Auth's own Python client, installed from PyPI into a virtualenv (pinned), drives a
# running `tessera serve` (the debug build the tests above made) on SQLite, then on
# PostgreSQL.
auth_client() {
  local venv="${CARGO_TARGET_DIR:-target}/auth-client-venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check auth==3.7.1
  local bin="${CARGO_TARGET_DIR:-target}/debug/tessera"
  TESSERA_BIN="$bin" "$venv/bin/python" tests/auth-client/test_auth_client.py
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then
    TESSERA_BIN="$bin" TEST_DATABASE_URL="$TEST_POSTGRES_URL" "$venv/bin/python" tests/auth-client/test_auth_client.py
  fi
}
step "Auth's Python client (PyPI auth 3.7.1, unchanged) against tessera serve" auth_client

# schemathesis (PyPI, pinned) generates requests from /openapi.json for a bounded time
# and fails on any server error, undocumented status, refused valid request or
# accepted invalid one (exclusions, each with its reason: tests/schemathesis/).
step "schemathesis against tessera serve (/openapi.json, every check, ${ST_SECONDS:-60} s)" scripts/schemathesis.sh

# The npm package tessera-authz: its devDependencies pinned by js/package-lock.json
# (esbuild, binaryen's wasm-opt, playwright-core, deno, workerd, benchmark peers; no
# install scripts run), Debian's Chromium for the browser suites, then the build
# (the wasm-bindgen CLI at the crate's exact version is installed into the target
# dir on first use), the fixtures (snapshots signed by the CLI built above) and the
# suites: Node ESM + CJS, Chromium, Deno, workerd, the packed tarball, the examples.
need_chromium() {
  command -v chromium >/dev/null && return
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian's chromium for the browser suites"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
    || { $sudo apt-get update && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }
}
js_package() {
  need_chromium
  (cd js && npm ci --no-audit --no-fund)
  node js/scripts/build.mjs
  local target="${CARGO_TARGET_DIR:-target}"
  case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
  export TESSERA_BIN="$target/debug/tessera"
  (cd js && npm test)
}
step "JS package (tessera-authz): build, then the vectors and API through Node ESM and CJS, headless Chromium, Deno and workerd, the npm-packed tarball, the TypeScript types, against a running tessera serve, and the three examples" js_package

if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  printf '\n!!! reminder: the PostgreSQL suites were SKIPPED (no server answered) !!!\n'
fi
printf 'all checks passed\n'
