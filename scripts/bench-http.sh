#!/usr/bin/env bash
# HTTP benchmark of `tessera serve`: GET /api/has_permission at 64 connections with
# wrk (Debian's package, installed here when missing), on SQLite and, when
# TEST_POSTGRES_URL is set (or the local server answers), on PostgreSQL. Rate limits
# are switched off for the run (the point is the engine's ceiling, not the limiter's).
# Results go to stdout; BENCHMARKS.md records them with the machine.
#   scripts/bench-http.sh [duration, default 20s]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-20s}"
if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk >/dev/null
fi
cargo build --release --locked -p tessera
bin="${CARGO_TARGET_DIR:-target}/release/tessera"
key=0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b

run() {
  local name="$1" url="$2" dir port pid
  dir="$(mktemp -d)"
  AUTH_DATA_DIR="$dir" AUTH_DATABASE_URL="${url:-sqlite://$dir/tessera.db}" AUTH_RATE_LIMIT_ENABLED=false \
    RUST_LOG=warn "$bin" serve --bind 127.0.0.1:0 --log-format text 2> "$dir/log" &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$dir/log" && break; sleep 0.1; done
  port="$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/log")"
  local base="http://127.0.0.1:$port" h="Authorization: Bearer $key"
  # 100 roles with 10 grants each, 1,000 users with 3 roles each.
  for r in $(seq 100); do
    curl -sf -XPOST -H "$h" "$base/api/role/role$r" >/dev/null
    for p in $(seq 10); do curl -sf -XPOST -H "$h" "$base/api/permission/role$r/app:perm$p:r$r" >/dev/null; done
  done
  for u in $(seq 1000); do
    for r in $((u % 100 + 1)) $(((u * 7) % 100 + 1)) $(((u * 13) % 100 + 1)); do
      curl -sf -XPOST -H "$h" "$base/api/membership/user$u/role$r" >/dev/null
    done
  done
  curl -sf -H "$h" "$base/api/has_permission/user42/app:perm3:r43" | grep -q '"has_permission":true'
  printf '\n== %s: GET /api/has_permission, 64 connections, 2 threads, %s\n' "$name" "$duration"
  wrk -t2 -c64 -d"$duration" --latency -H "$h" "$base/api/has_permission/user42/app:perm3:r43"
  # A denied check: each one is also an audit event (queued, written in batches).
  printf '\n== %s: a denied check (audited), 64 connections, 2 threads, %s\n' "$name" "$duration"
  wrk -t2 -c64 -d"$duration" --latency -H "$h" "$base/api/has_permission/user42/app:perm9:r1"
  curl -s "$base/metrics" | grep -E '^tessera_(audit_dropped_total|decisions_total)'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

run SQLite ""
pg="${TEST_POSTGRES_URL:-}"
if [ -z "$pg" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then pg="postgres://postgres@127.0.0.1:5432/test"; fi
if [ -n "$pg" ]; then
  schema="bench_$$"
  psql "$pg" -qc "CREATE SCHEMA $schema" 2>/dev/null || true
  run PostgreSQL "$pg?options=-csearch_path%3D$schema"
  psql "$pg" -qc "DROP SCHEMA $schema CASCADE" 2>/dev/null || true
else
  echo "!!! PostgreSQL not reachable: its half of the benchmark is skipped !!!"
fi
