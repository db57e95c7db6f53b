#!/usr/bin/python3
"""How long a drill takes to say "the repository is down", with the defaults.

Runs the integration scenarios of tests/integration/test_repository.py that kill the S3
server during the restore and during the replay, with pgdrill's default
pgbackrest.dead_after (60 s) and pgBackRest's default io-timeout (60 s), on a release
build, and prints the seconds from the repository's death to the verdict for the README's
Performance section, with the machine and its load average before and after (the figures
are wall-clock waits, not CPU: a loaded machine moves them little). Fails when a verdict
comes later than dead_after plus two probe timeouts (90 s).

    scripts/bench-dead-repository.py [--rounds N]
"""
import argparse
import sys

import benchlib


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    benchlib.release_build()
    import test_repository  # after release_build: the stack copies the binaries it built

    before = load()
    rows = []
    for phase, run in (("restore", test_repository.dead_during_restore),
                       ("replay", test_repository.dead_during_replay)):
        times = [run(None, defaults=True) for _ in range(args.rounds)]
        rows.append((phase, args.rounds, "%.0f s" % min(times), "%.0f s" % benchlib.median(times),
                     "%.0f s" % max(times)))
    after = load()
    print()
    print("%s; load average %s before, %s after" % (benchlib.machine(), before, after))
    print(benchlib.table(("S3 killed during", "rounds", "min", "median", "max"), rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
