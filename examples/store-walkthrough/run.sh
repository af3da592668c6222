#!/usr/bin/env bash
# Run with: examples/store-walkthrough/run.sh [path/to/tessera]
# A new user's first steps with the store: init, roles with a parent, grants and a
# deny, members, checks and queries, a signed snapshot built from the store, the audit
# log and its hash-chain verification. Uses a throwaway data directory (SQLite file and
# keyring), so nothing of yours is touched.
set -euo pipefail
tessera="${1:-tessera}"
export AUTH_DATA_DIR="$(mktemp -d)"
trap 'rm -rf "$AUTH_DATA_DIR"' EXIT
unset AUTH_DATABASE_URL AUTH_POSTGRESQL_URL AUTH_CLIENT_KEY AUTH_ENCRYPTION_KEY AUTH_JWT_SECRET_KEY
export AUTH_ACTOR="cli:walkthrough"

run() {
  printf '\n$ tessera %s\n' "$*"
  "$tessera" "$@"
}
expect() {
  local code="$1"
  shift
  printf '\n$ tessera %s\n' "$*"
  set +e
  "$tessera" "$@"
  local got=$?
  set -e
  if [ "$got" != "$code" ]; then
    echo "unexpected exit code $got (expected $code)" >&2
    exit 1
  fi
}

run init
# A new tenant is strict (Auth 3.x): only users holding an API key get a yes. Nobody
# here has one, so this walkthrough turns it off.
run settings --strict-users false
run role add viewer --description "Reads posts"
run role add editor --parent viewer
run perm grant viewer posts:read
run perm grant editor 'posts:*'
run perm deny editor posts:delete
run member add alice editor
run member add bob viewer
run role list
expect 0 check alice posts:edit
expect 1 check alice posts:delete
expect 1 check bob posts:edit
run query which-users-can posts:read
run query role-permissions editor
run export
run snapshot build --out "$AUTH_DATA_DIR/tenant.snapshot"
run snapshot inspect "$AUTH_DATA_DIR/tenant.snapshot"
run audit query --limit 5
run audit query --action member.add
expect 0 audit verify --all
printf '\nstore walkthrough complete\n'
