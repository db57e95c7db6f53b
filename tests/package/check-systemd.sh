#!/usr/bin/env bash
# The systemd units of pgdrill-fleet (packaging/systemd/): systemd-analyze verify finds nothing
# wrong with them (the binary they run replaced by the build's), the service runs watch, the
# oneshot run, the timer starts that oneshot, and all three use /etc/pgdrill/fleet.yml.
# Usage: check-systemd.sh UNIT_DIR PGDRILL_FLEET
set -uo pipefail
units=$1 fleet=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for unit in pgdrill-fleet.service pgdrill-fleet-run.service pgdrill-fleet-run.timer; do
  [ -f "$units/$unit" ] || { fail "$unit is missing"; continue; }
  sed "s|/usr/bin/pgdrill-fleet|$fleet|g" "$units/$unit" >"$tmp/$unit"
done
grep -q '^ExecStart=/usr/bin/pgdrill-fleet --config=/etc/pgdrill/fleet.yml watch$' \
  "$units/pgdrill-fleet.service" || fail "pgdrill-fleet.service does not run watch"
grep -q '^ExecStart=/usr/bin/pgdrill-fleet --config=/etc/pgdrill/fleet.yml run$' \
  "$units/pgdrill-fleet-run.service" || fail "pgdrill-fleet-run.service does not run run"
grep -q '^Type=oneshot$' "$units/pgdrill-fleet-run.service" || fail "run is not a oneshot"
# exit 2 (configuration) is not restarted in a loop
grep -q '^RestartPreventExitStatus=2$' "$units/pgdrill-fleet.service" || fail "restarts on exit 2"
# systemd-analyze wants the units' own names; the timer's service must be beside it
if ! out=$(cd "$tmp" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
             ./pgdrill-fleet.service ./pgdrill-fleet-run.service ./pgdrill-fleet-run.timer 2>&1); then
  fail "systemd-analyze verify: $out"
elif [ -n "$out" ]; then
  fail "systemd-analyze verify warns: $out"
fi
[ "$failed" = 0 ] && echo "systemd units ok"
exit "$failed"
