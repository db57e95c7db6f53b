#!/usr/bin/env bash
# Build the Debian package pgdrill_<version>_<arch>.deb into OUTDIR (default: the current
# directory) and print its path. A release build of its own in a temporary directory:
# RelWithDebInfo with gcc, never sanitizers or coverage, tests off, installed under /usr;
# CPack packs it with the Depends that dpkg-shlibdeps (dpkg-dev) computes from the binaries.
# Usage: scripts/build-deb.sh [OUTDIR]     (PGDRILL_JOBS: parallel compile jobs, default 2;
#        PGDRILL_PACKAGE_MAINTAINER: the package's Maintainer, "Name <address>")
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-.}
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=$(mktemp -d "${TMPDIR:-/tmp}/pgdrill-deb.XXXXXX")
trap 'rm -rf "$build"' EXIT

log="$build/build.log"
run() { # quiet unless it fails
  if ! "$@" >>"$log" 2>&1; then
    echo "build-deb: $* failed:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}
# Debian's hardening flags, as dpkg-buildpackage would give them (stack protector, fortified
# libc calls, read-only relocations bound at start: lintian's hardening checks).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
export CFLAGS LDFLAGS
run env CC=gcc cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=gcc \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DPGDRILL_TESTS=OFF \
  -DPGDRILL_SANITIZE=OFF -DPGDRILL_FUZZ=OFF -DPGDRILL_COVERAGE=OFF \
  ${PGDRILL_PACKAGE_MAINTAINER:+"-DPGDRILL_PACKAGE_MAINTAINER=$PGDRILL_PACKAGE_MAINTAINER"}
run cmake --build "$build" -j"${PGDRILL_JOBS:-2}"
run cpack -G DEB --config "$build/CPackConfig.cmake" -B "$build/cpack"
deb=$(ls "$build"/cpack/pgdrill_*.deb)
cp "$deb" "$out/"
echo "$out/$(basename "$deb")"
