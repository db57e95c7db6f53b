#!/usr/bin/env bash
# Line and branch coverage of the product code by the unit and integration tests, from a build
# configured with -DPGDRILL_COVERAGE=ON (scripts/test.sh does that and runs this after ctest).
#
#   scripts/coverage.sh [BUILD_DIR]           report, and fail when a folder is below its floor
#   scripts/coverage.sh --reset [BUILD_DIR]   forget the profiles of earlier runs (before ctest)
#
# BUILD_DIR defaults to build-test/. Counted: every source file of the repository outside
# tests/, grouped by its first path component (common/, bootstrap/, verify/; a sub-folder such
# as common/pg/ counts for common/). Not counted: the tests' own code, and the fuzz targets'
# runs (tests/fuzz/run-target.sh sends their profiles elsewhere). Writes into BUILD_DIR/coverage/:
#   pgdrill.info   lcov tracefile of the product code      report.txt   per file
#   html/          genhtml report (index.html)             pgdrill.profdata  merged profiles
# and exits 1, naming the folder, the figure and the floor, when a folder's line or branch
# coverage is below its floor in tests/coverage-floors.txt.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
reset=0
if [ "${1:-}" = --reset ]; then
  reset=1
  shift
fi
build=${1:-$here/build-test}
floors=$here/tests/coverage-floors.txt
cache=$build/CMakeCache.txt
fail() {
  echo "coverage: $*" >&2
  exit 2
}

[ -f "$cache" ] || fail "$build is not a configured build directory"
grep -q '^PGDRILL_COVERAGE:BOOL=ON$' "$cache" ||
  fail "$build is not a coverage build: configure it with -DPGDRILL_COVERAGE=ON (clang)"
cached() { sed -n "s/^$1:[A-Z]*=//p" "$cache"; }
build=$(cd "$build" && pwd)
out=$build/coverage
# Unit tests and anything else run as this user write here (CMakeLists.txt); the integration
# tests' binaries, run as the postgres user, write to PGDRILL_COVERAGE_IT_DIR (tests/).
unit_profiles=$(cached PGDRILL_PROFILE_DIR)
it_profiles=$(cached PGDRILL_COVERAGE_IT_DIR)

if [ "$reset" = 1 ]; then
  rm -rf "$out" ${unit_profiles:+"$unit_profiles"} ${it_profiles:+"$it_profiles"}
  exit 0
fi

# The LLVM tools of the compiler that built it: profiles are read by the same version.
cc=$(cached CMAKE_C_COMPILER)
llvm_bin=$(dirname "$(readlink -f "$(command -v "$cc")")")
profdata=$llvm_bin/llvm-profdata
llvm_cov=$llvm_bin/llvm-cov
[ -x "$profdata" ] && [ -x "$llvm_cov" ] ||
  fail "no llvm-profdata and llvm-cov in $llvm_bin, beside $cc (scripts/install-deps.sh installs llvm)"

mapfile -t profiles < <(find "$unit_profiles" ${it_profiles:+"$it_profiles"} -name '*.profraw' \
                          -size +0 2>/dev/null | sort)
[ ${#profiles[@]} -gt 0 ] ||
  fail "no coverage profiles in $unit_profiles${it_profiles:+ or $it_profiles}: run the tests first (ctest in $build)"
# The instrumented executables that ran the product code: everything built except the fuzz
# targets (whose runs do not count) and CMake's own probes.
mapfile -t binaries < <(find "$build" \( -path "$build/tests/fuzz" -o -name CMakeFiles -o \
                          -path "$out" \) -prune -o -type f -perm -u+x -print | sort |
                        while read -r f; do [ "$(head -c 4 "$f" | tail -c 3)" = ELF ] && echo "$f"; done)
[ ${#binaries[@]} -gt 0 ] || fail "no executables in $build: build it first"

mkdir -p "$out"
# A profile cut short (a process killed while writing) is skipped with a warning, not fatal.
"$profdata" merge -sparse -failure-mode=all -o "$out/pgdrill.profdata" "${profiles[@]}"
objects=("${binaries[0]}")
for b in "${binaries[@]:1}"; do objects+=(-object "$b"); done
"$llvm_cov" export -format=lcov -instr-profile "$out/pgdrill.profdata" "${objects[@]}" \
  >"$out/all.info"
# The product code only: files of this repository outside tests/.
awk -v root="$here/" '
  /^SF:/ { keep = index($0, "SF:" root) == 1 && index($0, "SF:" root "tests/") != 1 }
  keep' "$out/all.info" >"$out/pgdrill.info"
rm -f "$out/all.info"

if command -v genhtml >/dev/null 2>&1; then
  rm -rf "$out/html"
  genhtml --quiet --branch-coverage --prefix "$here" --title "pgdrill" -o "$out/html" \
    "$out/pgdrill.info" >"$out/genhtml.log" 2>&1 ||
    echo "coverage: genhtml failed (the figures below do not depend on it); see $out/genhtml.log" >&2
else
  echo "coverage: no genhtml (Debian package lcov), no HTML report" >&2
fi

# The table, per file (report.txt) and per folder, and the floors.
exec python3 - "$here" "$out" "$floors" <<'PY'
import math
import os
import sys

root, out, floors_path = sys.argv[1:4]
files = {}  # relative path -> [lines found, lines hit, branches found, branches hit]
with open(os.path.join(out, "pgdrill.info")) as f:
    name = None
    for line in f:
        key, _, value = line.strip().partition(":")
        if key == "SF":
            name = os.path.relpath(value, root)
            files.setdefault(name, [0, 0, 0, 0])
        elif key in ("LF", "LH", "BRF", "BRH") and name is not None:
            files[name][("LF", "LH", "BRF", "BRH").index(key)] += int(value)

floors = {}  # folder -> (lines, branches), in the file's order
with open(floors_path) as f:
    for number, line in enumerate(f, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        try:
            folder, lines_floor, branches_floor = words[0].strip("/"), float(words[1]), float(words[2])
        except (IndexError, ValueError):
            sys.exit("coverage: %s:%d: expected FOLDER LINES BRANCHES, got %r"
                     % (floors_path, number, line.strip()))
        floors[folder] = (lines_floor, branches_floor)

folders = {}
for name, counts in files.items():
    total = folders.setdefault(name.split(os.sep)[0], [0, 0, 0, 0])
    for i in range(4):
        total[i] += counts[i]


def pct(hit, found):
    # rounded down to 0.1, so that a figure shown as 85.0 is never below a floor of 85
    return math.floor(1000.0 * hit / found) / 10 if found else 100.0


def cell(hit, found):
    if not found:
        return "%5s   %11s" % ("-", "")
    return "%5.1f %% %11s" % (pct(hit, found), "(%d/%d)" % (hit, found))


with open(os.path.join(out, "report.txt"), "w") as f:
    f.write("%-40s %-22s %s\n" % ("file", "lines", "branches"))
    for name in sorted(files):
        lf, lh, bf, bh = files[name]
        if not lf:
            continue  # a header without code
        f.write("%-40s %-22s %s\n" % (name, cell(lh, lf), cell(bh, bf)))

rel_out = os.path.relpath(out, root) if out.startswith(root + os.sep) else out
print("coverage of the product code by the unit and integration tests (llvm source-based):")
print("%-12s %-22s %-22s %s" % ("folder", "lines", "branches", "floor (lines, branches)"))
grand = [0, 0, 0, 0]
order = list(floors)
for folder in sorted(folders, key=lambda d: (order.index(d) if d in floors else len(order), d)):
    lf, lh, bf, bh = folders[folder]
    grand = [g + c for g, c in zip(grand, folders[folder])]
    floor = "%g %%, %g %%" % floors[folder] if folder in floors else "none"
    print("%-12s %-22s %-22s %s" % (folder + "/", cell(lh, lf), cell(bh, bf), floor))
print("%-12s %-22s %s" % ("all", cell(grand[1], grand[0]), cell(grand[3], grand[2])))
print("per file: %s/report.txt; HTML: %s/html/index.html" % (rel_out, rel_out))

failures = []
rel_floors = os.path.relpath(floors_path, root)
for folder, (lines_floor, branches_floor) in sorted(floors.items()):
    if folder not in folders:
        failures.append("%s/ has a floor in %s but no coverage data (moved? not built? no test ran?)"
                        % (folder, rel_floors))
        continue
    lf, lh, bf, bh = folders[folder]
    for what, hit, found, floor in (("line", lh, lf, lines_floor), ("branch", bh, bf, branches_floor)):
        if pct(hit, found) < floor:
            failures.append("%s/ %s coverage %.1f %% is below its floor of %g %% (%s)"
                            % (folder, what, pct(hit, found), floor, rel_floors))
for message in failures:
    print("coverage: FAILED: " + message)
if failures:
    sys.exit(1)
print("coverage: every folder is at or above its floor (%s)" % rel_floors)
PY
