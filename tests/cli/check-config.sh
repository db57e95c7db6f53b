#!/usr/bin/env bash
# --check-config of both binaries: the shipped example is valid (exit 0, nothing else
# touched), a typo is refused with FILE:LINE: KEY (exit 2), a missing file is exit 2.
# Usage: check-config.sh BOOTSTRAP VERIFY EXAMPLE_CONFIG
set -uo pipefail
bootstrap=$1 verify=$2 example=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

expect() { # expect CODE PATTERN -- COMMAND...
  local code=$1 pattern=$2 out rc
  shift 3
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" != "$code" ] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: $* exited $rc (expected $code) with:"
    echo "$out" | sed 's/^/  /'
    echo "  (expected output matching: $pattern)"
    failed=1
  fi
}

printf 'scope: x\nverify:\n  jobz: 2\n' >"$tmp/typo.yml"
for bin in "$bootstrap" "$verify"; do
  expect 0 "configuration $example is valid" -- "$bin" --check-config --config="$example"
  expect 2 "typo.yml:3: verify.jobz: unknown key" -- "$bin" --check-config --config="$tmp/typo.yml"
  expect 2 "missing.yml" -- "$bin" --check-config --config="$tmp/missing.yml"
done
exit "$failed"
