#!/usr/bin/env bash
# Soak and load test of `tessera serve` (issue 16, item 12); not part of the test
# command. For each backend, SQLite and then PostgreSQL (when 127.0.0.1:5432 answers;
# a throw-away database, dropped afterwards), it starts a fresh server (its own data
# directory, a free port, rate limits off) and runs host/server/examples/load.rs against it:
# SOAK_CONNECTIONS connections for SOAK_SECONDS, 10% writes, a client-key rotation at
# half time. The server's VmRSS is sampled every 10 s; the sample at 120 s (at 20% of
# the run when that is sooner) is the baseline. A backend fails on any error, any lost
# acknowledged write, or an RSS at the end more than 10% above the baseline. One
# summary line per backend; exit status 1 when any backend failed.
#
# Writes add and remove members of a bounded set of users (4 per connection), so the
# data stays the same size through the run and RSS growth after the baseline means a
# leak, not more data.
#
#   scripts/soak.sh                                    # 600 s, 256 connections
#   SOAK_SECONDS=60 scripts/soak.sh                    # a quick run
#   SOAK_SCENARIO=decisions SOAK_ENV="AUTH_AUDIT_DURABLE=true" scripts/soak.sh
#
# Settings: SOAK_SECONDS (600), SOAK_CONNECTIONS (256), SOAK_SCENARIO (soak or
# decisions: only denied checks, the audit path), SOAK_WRITES_PERCENT (10), SOAK_ENV
# (extra server environment, NAME=VALUE separated by spaces), SOAK_BACKENDS ("sqlite
# postgres"), SOAK_KEEP=1 (keep the data directories; they are kept anyway when a
# backend fails). Builds with cargo in release mode (CARGO_TARGET_DIR is honoured).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${SOAK_SECONDS:-600}"
connections="${SOAK_CONNECTIONS:-256}"
scenario="${SOAK_SCENARIO:-soak}"
writes="${SOAK_WRITES_PERCENT:-10}"
backends="${SOAK_BACKENDS:-sqlite postgres}"
read -r -a extra_env <<< "${SOAK_ENV:-}"
for setting in "${extra_env[@]}"; do
  [[ "$setting" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "soak: SOAK_ENV: '$setting' is not NAME=VALUE" >&2; exit 2; }
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 10 ]] || { echo "soak: SOAK_SECONDS must be at least 10" >&2; exit 2; }
mark=$((seconds / 5)); [ "$mark" -le 120 ] || mark=120
last=$((seconds - 1))

cargo build --release --locked -p tessera
cargo build --release --locked -p tessera-server --example load
target="${CARGO_TARGET_DIR:-target}"
# Absolute: the server runs with its data directory as working directory.
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
bin="$target/release/tessera"
load="$target/release/examples/load"
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
mib() { awk -v kb="$1" 'BEGIN {printf "%.1f", kb / 1024}'; }

# What the EXIT trap cleans up: processes started here (by id), a database.
server_pid="" load_pid="" pg_db=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "$pg_db" ]; then
    psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

summaries=() failed=0

# run NAME DATABASE_URL: one backend; appends its summary line, sets failed=1 on failure.
run() {
  local name="$1" url="$2" dir key base started verdict="PASS" why=()
  dir="$(mktemp -d "${TMPDIR:-/tmp}/soak-$name.XXXXXX")"
  key="$(cat /proc/sys/kernel/random/uuid)"
  [ -n "$url" ] || url="sqlite://$dir/tessera.db"
  printf '\n== %s: %s s, %s connections, scenario %s, rotation at %s s, RSS baseline at %s s\n' \
    "$name" "$seconds" "$connections" "$scenario" "$((seconds / 2))" "$mark"
  # The working directory is the data directory, so no stray .env is read.
  # New tenants not strict: the load's users hold no API keys (strict users is a
  # decision the vectors and server tests cover, not a load).
  (cd "$dir" && exec env AUTH_DATA_DIR="$dir" AUTH_DATABASE_URL="$url" AUTH_RATE_LIMIT_ENABLED=false \
    AUTH_STRICT_USERS_DEFAULT=false \
    RUST_LOG=warn "${extra_env[@]}" "$bin" serve --bind 127.0.0.1:0 --log-format text) 2> "$dir/server.log" &
  server_pid=$!
  for _ in $(seq 600); do
    grep -q "listening on" "$dir/server.log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  base="$(sed -n 's/^tessera serve: listening on \(http[^ ]*\).*/\1/p' "$dir/server.log" | head -1)"
  if [ -z "$base" ]; then
    echo "soak: $name: the server did not start; its log:" >&2
    cat "$dir/server.log" >&2
    summaries+=("$name: FAIL (server did not start; $dir)"); failed=1; server_pid=""; return
  fi

  "$load" --url "$base" --key "$key" --connections "$connections" --seconds "$seconds" \
    --writes-percent "$writes" --rotate-at $((seconds / 2)) --scenario "$scenario" \
    --report "$dir/report.json" > "$dir/load.out" 2> "$dir/load.err" &
  load_pid=$!
  while ! grep -q "timed run started" "$dir/load.out" 2>/dev/null; do
    kill -0 "$load_pid" 2>/dev/null || break
    sleep 0.1
  done
  started="$(now_ms)"

  # VmRSS every 10 s, at the baseline mark and one second before the end.
  local t rss mark_rss="" end_rss="" times
  times="$( (seq 10 10 "$last"; echo "$mark"; echo "$last") | sort -n -u)"
  : > "$dir/rss.txt"
  for t in $times; do
    local wait_ms=$((started + t * 1000 - $(now_ms)))
    [ "$wait_ms" -gt 0 ] && sleep "$(awk -v ms="$wait_ms" 'BEGIN {printf "%.3f", ms / 1000}')"
    kill -0 "$load_pid" 2>/dev/null || break
    rss="$(rss_kb "$server_pid")"
    [ -n "$rss" ] || { why+=("server gone at ${t} s"); break; }
    echo "$t $rss" >> "$dir/rss.txt"
    [ "$t" = "$mark" ] && mark_rss="$rss"
    [ "$t" = "$last" ] && end_rss="$rss"
    printf '  [%s] t=%4s s  rss=%s MiB\n' "$name" "$t" "$(mib "$rss")"
  done
  local load_rc=0
  wait "$load_pid" || load_rc=$?
  load_pid=""
  cat "$dir/load.err" >&2
  grep -E '^load: (window|error)' "$dir/load.out" | sed "s/^load: /  [$name] /" || true
  local line after_rss
  line="$(grep '^load: requests=' "$dir/load.out" | tail -1 | sed 's/^load: //')"
  after_rss="$(rss_kb "$server_pid")"

  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  else
    why+=("server exited during the run")
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  # Anything the server logged at warn or error level (RUST_LOG=warn) is shown.
  local logged
  logged="$(grep -cv 'listening on' "$dir/server.log" || true)"
  if [ "${logged:-0}" -gt 0 ]; then
    echo "  [$name] the server logged $logged line(s) at warn/error level, the first ones:"
    grep -v 'listening on' "$dir/server.log" | cut -c1-300 | sort | uniq -c | sort -rn | head -8 | sed "s/^/    /"
  fi

  case "$load_rc" in
    0) ;;
    1) why+=("errors or lost writes") ;;
    *) why+=("the load generator failed (exit $load_rc)") ;;
  esac
  [ -n "$line" ] || line="(no result)"
  local rss_text="rss@${mark}s=? rss@end=?"
  if [ -n "$mark_rss" ] && [ -n "$end_rss" ]; then
    local growth
    growth="$(awk -v a="$mark_rss" -v b="$end_rss" 'BEGIN {printf "%+.1f", (b - a) * 100 / a}')"
    rss_text="rss@${mark}s=$(mib "$mark_rss")MiB rss@end=$(mib "$end_rss")MiB (${growth}%)"
    [ $((end_rss * 100)) -le $((mark_rss * 110)) ] || why+=("RSS grew more than 10% after ${mark} s")
  else
    why+=("RSS not sampled at ${mark} s and at the end")
  fi
  [ -n "$after_rss" ] && rss_text+=" rss@after-verify=$(mib "$after_rss")MiB"
  if [ "${#why[@]}" -gt 0 ]; then
    verdict="FAIL ($(IFS=';'; echo "${why[*]}"); kept $dir)"; failed=1
  elif [ "${SOAK_KEEP:-0}" = 1 ]; then
    verdict="PASS (kept $dir)"
  else
    rm -rf "$dir"
  fi
  summaries+=("$name: $line $rss_text -> $verdict")
}

for backend in $backends; do
  case "$backend" in
    sqlite)
      run sqlite "" ;;
    postgres)
      if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
        pg_db="soak_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
        psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $pg_db" >/dev/null
        run postgres "postgres://postgres@127.0.0.1:5432/$pg_db"
        psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
        pg_db=""
      else
        printf '\n%s\n' "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        printf '%s\n' "!!! PostgreSQL does not answer on 127.0.0.1:5432: its soak is SKIPPED  !!!"
        printf '%s\n' "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        summaries+=("postgres: SKIPPED (PostgreSQL does not answer on 127.0.0.1:5432)")
      fi ;;
    *) echo "soak: unknown backend '$backend' in SOAK_BACKENDS" >&2; exit 2 ;;
  esac
done

printf '\n== soak summary (%s s, %s connections, scenario %s%s)\n' "$seconds" "$connections" "$scenario" \
  "${SOAK_ENV:+, $SOAK_ENV}"
printf '%s\n' "${summaries[@]}"
exit "$failed"
