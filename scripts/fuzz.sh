#!/usr/bin/env bash
# Long fuzzing runs on demand (ctest's fuzz.* tests run each target for 20 s only).
#
#   scripts/fuzz.sh TARGET [SECONDS] [-- libFuzzer options...]   e.g. scripts/fuzz.sh fuzz_config 3600
#   scripts/fuzz.sh --all [SECONDS] [-- libFuzzer options...]    every target, SECONDS each
#   scripts/fuzz.sh --list
#
# Builds the fuzz targets in a clang build directory ($PGDRILL_FUZZ_BUILD_DIR, default
# build-fuzz/) with PGDRILL_FUZZ, PGDRILL_SANITIZE and optimization on. Each target's corpus
# lives in BUILD/fuzz-runs/TARGET/corpus and grows from run to run; it starts from the seeds
# in tests/fuzz/corpus/TARGET/, which are never written to. On a crash the script prints the
# input's path and how to minimize it and add it to the seed corpus (tests/fuzz/README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${PGDRILL_FUZZ_BUILD_DIR:-$here/build-fuzz}
seconds=600

mapfile -t all < <(cd "$here/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')

usage() {
  echo "usage: $0 TARGET [SECONDS] [-- libFuzzer options...] | --all [SECONDS] [-- ...] | --list" >&2
  echo "targets: ${all[*]}" >&2
  exit 2
}

[ $# -ge 1 ] || usage
case $1 in
  --list) printf '%s\n' "${all[@]}"; exit 0 ;;
  --all) targets=("${all[@]}") ;;
  -*) usage ;;
  *)
    t=$1
    [ -f "$here/tests/fuzz/$t.c" ] || t=fuzz_$1 # "config" for "fuzz_config"
    [ -f "$here/tests/fuzz/$t.c" ] || { echo "fuzz: no target \"$1\"" >&2; usage; }
    targets=("$t")
    ;;
esac
shift
if [ $# -ge 1 ] && [ "$1" != -- ]; then
  seconds=$1
  shift
fi
case $seconds in
  '' | *[!0-9]* | 0) echo "fuzz: SECONDS must be a positive whole number, not \"$seconds\"" >&2; exit 2 ;;
esac
if [ $# -ge 1 ]; then
  [ "$1" = -- ] || usage
  shift
fi

# -O1 -g: fast enough for long runs, and stack traces that still name every frame.
CC=clang cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS=-O1 -DPGDRILL_FUZZ=ON -DPGDRILL_SANITIZE=ON -DPGDRILL_INTEGRATION=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"

failed=()
for t in "${targets[@]}"; do
  if ! "$here/tests/fuzz/run-target.sh" "$build/tests/fuzz/$t" "$here/tests/fuzz/corpus/$t" \
    "$build/fuzz-runs/$t" "$seconds" "$@"; then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${targets[*]}: no crash in ${seconds}s each"
