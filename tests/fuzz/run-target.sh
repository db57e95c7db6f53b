#!/usr/bin/env bash
# Run one libFuzzer target for a bounded time; used by the fuzz.* ctest tests (--fresh) and
# by scripts/fuzz.sh.
#
#   run-target.sh [--fresh] BINARY SEED_DIR WORK_DIR SECONDS [libFuzzer options...]
#
# The target fuzzes WORK_DIR/corpus, which starts as a copy of SEED_DIR (--fresh: a new copy
# every run; otherwise new inputs accumulate there between runs). Nothing is ever written to
# SEED_DIR. Crash, leak, timeout and out-of-memory inputs go to WORK_DIR/artifacts/; the
# script prints their paths and what to do with them, and fails.
set -euo pipefail

fresh=0
if [ "${1:-}" = --fresh ]; then
  fresh=1
  shift
fi
if [ $# -lt 4 ]; then
  echo "usage: $0 [--fresh] BINARY SEED_DIR WORK_DIR SECONDS [libFuzzer options...]" >&2
  exit 2
fi
binary=$1 seeds=$2 work=$3 seconds=$4
shift 4
name=$(basename "$binary")
src=$(cd "$(dirname "$0")/../.." && pwd)
case $seconds in
  '' | *[!0-9]*) echo "$name: SECONDS must be a whole number, not \"$seconds\"" >&2; exit 2 ;;
esac
[ -x "$binary" ] || { echo "$name: $binary is not built" >&2; exit 2; }
[ -d "$seeds" ] || { echo "$name: no seed corpus $seeds" >&2; exit 2; }

# Absolute paths: the target runs in WORK_DIR.
mkdir -p "$work"
binary=$(readlink -f "$binary") seeds=$(readlink -f "$seeds") work=$(readlink -f "$work")
corpus=$work/corpus
artifacts=$work/artifacts
log=$work/fuzz.log
[ "$fresh" = 1 ] && rm -rf "$corpus"
mkdir -p "$corpus" "$artifacts"
# Seeds the corpus lacks (a long-running corpus keeps what it found).
find "$seeds" -maxdepth 1 -type f -exec cp -n -t "$corpus" {} +
touch "$work/.started"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# In a coverage build (PGDRILL_COVERAGE) fuzzing must not count as tested code: the target's
# profile goes to a file of its own in WORK_DIR, which scripts/coverage.sh never reads.
export LLVM_PROFILE_FILE=$work/fuzz.profraw
cd "$work"
echo "$name: fuzzing for ${seconds}s on $corpus (log: $log)"
set +e
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$@" "$corpus" >"$log" 2>&1
rc=$?
set -e

if [ "$rc" -eq 0 ]; then
  # The start, the end and libFuzzer's final statistics.
  grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+INITED|Done [0-9]+ runs|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log" || true
  echo "$name: no crash; corpus now $(find "$corpus" -type f | wc -l) inputs"
  exit 0
fi

# The report: from the sanitizer's or libFuzzer's first complaint to the end.
start=$(grep -n -m 1 -E '^==[0-9]+==|runtime error:|^ERROR: libFuzzer|^fuzz_[a-z_]+: ' "$log" | cut -d: -f1)
echo "---- $log ----"
if [ -n "$start" ]; then
  tail -n +"$start" "$log" | head -n 120
else
  tail -n 60 "$log"
fi
echo "----"
mapfile -t found < <(find "$artifacts" -type f -newer "$work/.started" 2>/dev/null | sort)
if [ ${#found[@]} -eq 0 ]; then
  echo "$name: FAILED (exit $rc) without writing a crash input; see $log"
  exit 1
fi
echo "$name: FAILED (exit $rc); the input that triggers it:"
printf '  %s\n' "${found[@]}"
first=${found[0]}
cat <<HINT
reproduce: $binary $first
minimize:  $binary -minimize_crash=1 -max_total_time=60 -exact_artifact_path=$first.min $first
Then fix the bug (or the target) and add the minimized input to the seed corpus, as project
policy says: cp $first.min $src/tests/fuzz/corpus/$name/crash-<what-it-was>
HINT
exit 1
