#!/usr/bin/env bash
# Run with: examples/cli-walkthrough/run.sh [path/to/tessera]
# Generates a signing key, builds a signed snapshot from policy.yaml, inspects it and
# runs checks that are allowed and denied, each printing its reason.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tessera="${1:-tessera}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step() { printf '\n$ %s\n' "$*"; }

step tessera keys generate --out "$work/signing.jwk"
"$tessera" keys generate --out "$work/signing.jwk"
step tessera keys public "$work/signing.jwk"
"$tessera" keys public "$work/signing.jwk" > "$work/public.jwk"
cat "$work/public.jwk"

step tessera snapshot build policy.yaml --key signing.jwk --out policy.snapshot --ttl 24h
"$tessera" snapshot build "$here/policy.yaml" --key "$work/signing.jwk" --out "$work/policy.snapshot" --ttl 24h
step tessera snapshot inspect policy.snapshot --key public.jwk
"$tessera" snapshot inspect "$work/policy.snapshot" --key "$work/public.jwk"

# Each line: user permission expected-exit-code (0 allowed, 1 denied).
checks=(
  "alice posts:publish 0"
  "alice posts:delete 1"
  "bob posts:edit:own 0"
  "bob posts:publish 1"
  "carol comments:read 0"
  "carol comments:write 1"
  "dave billing:read 0"
  "dave posts:publish 1"
  "mallory posts:read 1"
)
for line in "${checks[@]}"; do
  read -r user permission expected <<<"$line"
  step tessera check --snapshot policy.snapshot --key public.jwk "$user" "$permission"
  set +e
  "$tessera" check --snapshot "$work/policy.snapshot" --key "$work/public.jwk" "$user" "$permission"
  code=$?
  set -e
  if [ "$code" != "$expected" ]; then
    echo "unexpected exit code $code for $user $permission (expected $expected)" >&2
    exit 1
  fi
done

step tessera check --json ... alice posts:edit
"$tessera" check --json --snapshot "$work/policy.snapshot" --key "$work/public.jwk" alice posts:edit
printf '\nwalkthrough complete: every decision matched its expectation\n'
