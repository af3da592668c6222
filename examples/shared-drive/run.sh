#!/usr/bin/env bash
# Run with: examples/shared-drive/run.sh [path/to/tessera]
# Builds a signed snapshot from policy.yaml, then asks it questions: checks on
# documents and folders (each printing its reason) and the three searches; then
# imports the policy into a throw-away store and asks the checks again from there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tessera="${1:-tessera}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step() { printf '\n$ %s\n' "$*"; }

"$tessera" keys generate --out "$work/signing.jwk" >/dev/null
"$tessera" keys public "$work/signing.jwk" > "$work/public.jwk"
step tessera snapshot build policy.yaml --key signing.jwk --out drive.snapshot
"$tessera" snapshot build "$here/policy.yaml" --key "$work/signing.jwk" --out "$work/drive.snapshot"
from=(--snapshot "$work/drive.snapshot" --key "$work/public.jwk")

# Each line: user action resource expected-exit-code (0 allowed, 1 denied).
checks=(
  "alice edit document:roadmap 0"          # editor, held by her group on the folder above
  "alice delete document:roadmap 1"        # editors do not delete
  "carol delete document:roadmap 0"        # only a viewer, but she owns it
  "bob edit document:retro-2023 1"         # archived: forbidden, whatever the role
  "bob read document:retro-2023 0"
  "dave read folder:legal 0"               # staff view the whole drive
  "dave write folder:legal 1"
  "alice edit document:contract 0"         # reached through its second parent
  "erin read document:contract 0"          # auditor on the legal folder
  "erin share document:contract 1"         # the auditor role denies sharing
  "root delete document:contract 0"        # a tenant-wide manager
  "mallory read document:roadmap 1"
)
run_checks() {
  for line in "${checks[@]}"; do
    read -r user action resource expected <<<"$line"
    step tessera check "$user" "$action" "$resource"
    set +e
    "$tessera" check "$@" "$user" "$action" "$resource"
    code=$?
    set -e
    if [ "$code" != "$expected" ]; then
      echo "unexpected exit code $code for $user $action $resource (expected $expected)" >&2
      exit 1
    fi
  done
}
run_checks "${from[@]}"

# Request attributes fill what the snapshot does not hold: a new document, owned by zed.
step tessera check zed edit document:draft --attributes '{"resource": {"owner": "zed"}}'
"$tessera" check "${from[@]}" zed edit document:draft --attributes '{"resource": {"owner": "zed"}}'

expect() {
  local got="$1" want="$2"
  if [ "$got" != "$want" ]; then
    echo "unexpected answer: $got (expected $want)" >&2
    exit 1
  fi
}
step tessera query actions alice document:roadmap
got="$("$tessera" query "${from[@]}" actions alice document:roadmap | paste -sd' ')"
echo "$got"; expect "$got" "edit read"
step tessera query resources alice edit document
got="$("$tessera" query "${from[@]}" resources alice edit document | paste -sd' ')"
echo "$got"; expect "$got" "contract roadmap"
step tessera query subjects edit document:roadmap
got="$("$tessera" query "${from[@]}" subjects edit document:roadmap | paste -sd' ')"
echo "$got"; expect "$got" "alice bob carol root"
step tessera query subjects read document:contract --limit 2
"$tessera" query "${from[@]}" subjects read document:contract --limit 2
step tessera query --json subjects read document:contract --limit 2 --after bob
"$tessera" query --json "${from[@]}" subjects read document:contract --limit 2 --after bob

# The same policy in the store (a throw-away SQLite database): imported, edited, and
# decided from there. A new tenant is strict (only users with API keys get a yes)
# unless AUTH_STRICT_USERS_DEFAULT says otherwise; this drive has no API keys.
export AUTH_DATA_DIR="$work/data" AUTH_STRICT_USERS_DEFAULT=false
tenant=(--tenant 0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b)
step tessera import policy.yaml
"$tessera" import "${tenant[@]}" "$here/policy.yaml"
run_checks "${tenant[@]}"
step tessera export
"$tessera" export "${tenant[@]}" > "$work/exported.yaml"
grep -c '' "$work/exported.yaml" | sed 's/$/ lines/'
printf '\nshared drive complete: every decision matched its expectation\n'
