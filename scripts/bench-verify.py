#!/usr/bin/python3
"""Benchmark: pgdrill-verify against `pg_dump -s` alone, on a catalog of many tables.

Run on demand (not part of the tests), after scripts/install-deps.sh:
    scripts/bench-verify.py [--tables 10000] [--rounds 5]
It builds a release build in build-bench/, brings up the local stack, creates the tables on
the source, takes a backup, runs a drill by hand, then times, interleaved in the same run,
`pg_dump -s` of the database and a whole `pgdrill-verify` (every check but amcheck, one
database), and prints the median of each and their ratio. Goal: ratio <= 1.10.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import machine, median, release_build, run_timed, table  # noqa: E402
from drillstack import PG_BIN, Stack, as_user  # noqa: E402


def timed(argv, env):
    return run_timed(as_user(argv), env, timeout=3600)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    release_build()

    with Stack("bench") as s:
        print("bench: creating %d tables on the source ..." % args.tables, flush=True)
        # in batches: one transaction holds a lock per relation, and the lock table is finite
        for first in range(1, args.tables + 1, 500):
            s.psql("DO $$ BEGIN FOR i IN %d..%d LOOP EXECUTE format("
                   "'CREATE TABLE bench_%%s (id int PRIMARY KEY, v text NOT NULL DEFAULT ''x'')',"
                   " i); END LOOP; END $$" % (first, min(first + 499, args.tables)))
        s.backup()
        s.install_pgdrill()
        # verify's own cost next to pg_dump -s: amcheck (a data proof, scripts/bench-drill.py)
        # would measure something else.
        config = s.pgdrill_config(edit=lambda t: t.replace("jobs: 2", "jobs: 1")
                                  .replace("amcheck: on", "amcheck: off"))
        p = s.bootstrap(config, s.path("drill"))
        if p.returncode != 0:
            raise SystemExit("bootstrap failed")
        # pg_dump locks every table it dumps: the lock table must hold them all
        port = s.start_restored(s.path("drill"), "-c max_locks_per_transaction=%d"
                                % max(64, args.tables // 40))
        conninfo = "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, port)
        env = s.drill_env()
        dump = [PG_BIN + "/pg_dump", "--schema-only", "--file=/dev/null", "--dbname=" + conninfo]
        verify = [s.path("bin", "pgdrill-verify"), "--config=" + config, conninfo]
        timed(dump, env)  # warm the caches once
        dumps, verifies = [], []
        for i in range(args.rounds):
            dumps.append(timed(dump, env))
            verifies.append(timed(verify, env))
            print("bench: round %d: pg_dump -s %.2fs, pgdrill-verify %.2fs"
                  % (i + 1, dumps[-1], verifies[-1]), flush=True)
        d, v = median(dumps), median(verifies)
        print("\n%s\n" % machine())
        print(table(["tables", "rounds", "pg_dump -s (median)", "pgdrill-verify (median)",
                     "ratio"], [[args.tables, args.rounds, "%.2f s" % d, "%.2f s" % v,
                                 "%.3f" % (v / d)]]))
        return 0 if v / d <= 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
