#!/usr/bin/env bash
# The project's test command (README, .ci/run): install every dependency, build with
# AddressSanitizer + UndefinedBehaviorSanitizer, run all tests (unit, lint, integration).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${PGDRILL_TEST_BUILD_DIR:-$here/build-test}
jobs=$(nproc)

"$here/scripts/install-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DPGDRILL_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$jobs"
cd "$build"
exec ctest --output-on-failure -j"$jobs" --timeout 900
