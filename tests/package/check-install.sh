#!/usr/bin/env bash
# `cmake --install` honours --prefix and DESTDIR: exactly the package's files, in the GNU
# layout under the prefix, and nothing outside it. Usage: check-install.sh BUILD_DIR
set -uo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

expected="bin/pgdrill-bootstrap
bin/pgdrill-fleet
bin/pgdrill-verify
share/doc/pgdrill/README.md
share/doc/pgdrill/changelog.gz
share/doc/pgdrill/copyright
share/doc/pgdrill/examples/fleet.yml
share/doc/pgdrill/examples/patroni.yml
share/doc/pgdrill/examples/pgdrill-fleet-run.service
share/doc/pgdrill/examples/pgdrill-fleet-run.timer
share/doc/pgdrill/examples/pgdrill-fleet.service
share/doc/pgdrill/examples/pgdrill.yml
share/man/man1/pgdrill-bootstrap.1.gz
share/man/man1/pgdrill-fleet.1.gz
share/man/man1/pgdrill-verify.1.gz"

check() { # check WHAT ROOT PREFIX_DIR: every file under ROOT is PREFIX_DIR/<expected>
  local what=$1 root=$2 prefix=$3 found rel
  rel=${prefix#/}
  [ -z "$rel" ] || rel="$rel/"
  found=$(cd "$root" && find . -type f -o -type l | sed 's|^\./||' | sort)
  if [ "$found" != "$(sed "s|^|$rel|" <<<"$expected" | sort)" ]; then
    echo "FAIL: $what installed:"
    sed 's/^/  /' <<<"$found"
    echo "  expected under ${prefix:-the prefix}:"
    sed 's/^/  /' <<<"$expected"
    failed=1
  fi
  for bin in pgdrill-bootstrap pgdrill-verify pgdrill-fleet; do
    [ -x "$root/${rel}bin/$bin" ] || { echo "FAIL: $what: $bin not executable"; failed=1; }
  done
}

if ! out=$(DESTDIR="$tmp/destdir" cmake --install "$build" --prefix /opt/pgdrill 2>&1); then
  echo "FAIL: DESTDIR install: $out"
  exit 1
fi
check "DESTDIR=$tmp/destdir --prefix /opt/pgdrill" "$tmp/destdir" /opt/pgdrill
if ! out=$(cmake --install "$build" --prefix "$tmp/prefix" 2>&1); then
  echo "FAIL: --prefix install: $out"
  exit 1
fi
check "--prefix $tmp/prefix" "$tmp/prefix" ""
[ "$failed" = 0 ] && echo "install layout ok"
exit "$failed"
