#!/usr/bin/env bash
# The project's test command (README, .ci/run): install every dependency, build with clang,
# AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer and coverage instrumentation, run
# all tests (unit, lint, fuzz for 20 s per target, integration, man pages, the Debian package in
# a release build of its own, the restore-test image), then report the coverage of
# the unit and integration tests (scripts/coverage.sh). Fails when a test fails or a folder's
# coverage is below its floor (tests/coverage-floors.txt).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${PGDRILL_TEST_BUILD_DIR:-$here/build-test}
jobs=$(nproc)

"$here/scripts/install-deps.sh"
# A build directory configured with another compiler (gcc, before the fuzz targets) cannot
# switch in place: drop its cache (everything is rebuilt anyway).
if [ -f "$build/CMakeCache.txt" ] &&
   ! grep -q '^CMAKE_C_COMPILER:[A-Z]*=\(.*/\)\?clang\(-[0-9]*\)\?$' "$build/CMakeCache.txt"; then
  echo "test: $build was configured with another C compiler; reconfiguring it with clang"
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
CC=clang cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DPGDRILL_SANITIZE=ON -DPGDRILL_FUZZ=ON -DPGDRILL_COVERAGE=ON >/dev/null
cmake --build "$build" -j"$jobs"
"$here/scripts/coverage.sh" --reset "$build"
cd "$build"
tests=0 coverage=0
# Two ctest slots per core: the integration scenarios mostly wait for their servers and take
# one slot each, a test that keeps a core busy takes two (PROCESSORS, tests/CMakeLists.txt).
ctest --output-on-failure -j"$((2 * jobs))" --timeout 900 | tee ctest.log || tests=$?
"$here/scripts/coverage.sh" "$build" || coverage=$?
# ctest's summary again, last: the coverage table must not hide it.
sed -n '/^[0-9]*% tests passed/,$p' ctest.log
[ "$coverage" = 0 ] || echo "test: FAILED: coverage (exit $coverage), see above"
[ "$tests" = 0 ] || exit "$tests"
exit "$coverage"
