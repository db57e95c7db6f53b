#!/usr/bin/python3
"""Run one integration scenario by name (ctest calls this), or --list them, or print the
--root where stacks go unless PGDRILL_TEST_ROOT says (ctest's configuration asks)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import glob  # noqa: E402
import importlib  # noqa: E402

import drillstack  # noqa: E402

# Every test_*.py registers its scenarios: adding a scenario file needs no list edited.
for _path in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "test_*.py"))):
    importlib.import_module(os.path.splitext(os.path.basename(_path))[0])


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print(";".join(sorted(drillstack.SCENARIOS)))
        return 0
    if len(sys.argv) == 2 and sys.argv[1] == "--root":
        print(drillstack.default_test_root())
        return 0
    if len(sys.argv) != 2 or sys.argv[1] not in drillstack.SCENARIOS:
        print("usage: run.py --list | --root | NAME (one of: %s)"
              % ", ".join(sorted(drillstack.SCENARIOS)), file=sys.stderr)
        return 2
    start = time.monotonic()
    drillstack.SCENARIOS[sys.argv[1]]()
    print("%s passed in %.1fs" % (sys.argv[1], time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
