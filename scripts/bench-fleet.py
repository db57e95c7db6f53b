#!/usr/bin/python3
"""Benchmark: pgdrill-fleet's plan over a large fleet with a year of history.

Run on demand (not part of the tests), after scripts/install-deps.sh:
    scripts/bench-fleet.py [--scopes 10000] [--drills 73] [--rounds 5]
It builds a release build in build-bench/, starts etcd and a PostgreSQL for the status
history, writes into etcd what Patroni 3.0.2 keeps of --scopes clusters (config, initialize,
leader, two members, status, history: docs/design.md F51), lets pgdrill-fleet create the
history's schema, inserts a year of history (--drills drills per scope, five rows each:
scheduled, started, restored, verifying, then passed, or failed for one drill in ten; with
the defaults 3.65 million rows), and times --rounds runs of `pgdrill-fleet plan --json` with
the inventory read from etcd: the whole command (wall), and from its --verbose log the etcd
read and the history's facts; and --rounds runs of the same plan with the scopes named in
fleet.yml (inventory.static) instead: the plan without discovery. Goals: plan < 1 s, etcd
discovery < 2 s.
"""
import argparse
import base64
import json
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import machine, median, release_build, run_timed, table  # noqa: E402
from drillstack import as_user  # noqa: E402
from fleetstack import HistoryStack, history_dsn, install_fleet  # noqa: E402

TXN_OPS = 128  # etcd's default --max-txn-ops


def b64(text):
    return base64.b64encode(text.encode()).decode()


def patroni_keys(scope, i):
    """What Patroni 3.0.2 keeps of one cluster under /service/<scope>/ (F51)."""
    members = {}
    for n in range(2):
        ip = "10.%d.%d.%d" % (i // 65536 % 256, i // 256 % 256, i % 256)
        members["members/%s-%d" % (scope, n)] = json.dumps({
            "conn_url": "postgres://%s:%d/postgres" % (ip, 5432 + n),
            "api_url": "http://%s:%d/patroni" % (ip, 8008 + n), "state": "running",
            "role": "master" if n == 0 else "replica", "version": "3.0.2",
            "xlog_location": 83886432, "timeline": 1})
    keys = {"config": json.dumps({"ttl": 30, "loop_wait": 10, "retry_timeout": 10,
                                  "maximum_lag_on_failover": 1048576,
                                  "postgresql": {"use_pg_rewind": True,
                                                 "parameters": {"archive_mode": "on"}}}),
            "initialize": "73049221073866%05d" % i, "leader": "%s-0" % scope,
            "status": json.dumps({"optime": 83886432, "slots": {}}),
            "history": json.dumps([[1, 25165984, "no recovery target specified",
                                    "2026-06-01T10:00:00+00:00", "%s-1" % scope]])}
    keys.update(members)
    return keys


def fill_etcd(port, scopes):
    ops = []
    for i, scope in enumerate(scopes):
        for sub, value in patroni_keys(scope, i).items():
            ops.append({"requestPut": {"key": b64("/service/%s/%s" % (scope, sub)),
                                       "value": b64(value)}})
    for first in range(0, len(ops), TXN_OPS):
        body = json.dumps({"success": ops[first:first + TXN_OPS]}).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/v3/kv/txn" % port, data=body,
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=60).read()
    return len(ops)


def fill_history(s, scopes, drills):
    """drills drills per scope over the past year, five rows each (one in ten failed); a
    thousand scopes per statement."""
    for first in range(0, scopes, 1000):
        s.psql("INSERT INTO pgdrill.drill_status (time, test_id, scope, stanza, status,"
               " error_class, detail)"
               " SELECT now() - interval '365 days' + d * interval '%f seconds'"
               "   + (s %% 1440) * interval '1 minute' + v.k * interval '10 minutes',"
               "  md5(s || '-' || d), 'scope-' || lpad(s::text, 5, '0'),"
               "  'scope-' || lpad(s::text, 5, '0'),"
               "  CASE WHEN v.k < 4 THEN v.status WHEN d %% 10 = 9 THEN 'failed' ELSE 'passed'"
               "  END,"
               "  CASE WHEN v.k = 4 AND d %% 10 = 9 THEN 'wal_missing' END,"
               "  CASE WHEN v.k = 0 THEN '{\"runner\": \"command\"}'::jsonb ELSE '{}'::jsonb END"
               " FROM generate_series(%d, %d) s, generate_series(0, %d) d,"
               "  (VALUES (0, 'scheduled'), (1, 'started'), (2, 'restored'), (3, 'verifying'),"
               "   (4, 'end')) v(k, status)"
               % (365.0 * 86400 / drills, first, min(first + 999, scopes - 1), drills - 1))
    s.psql("VACUUM ANALYZE pgdrill.drill_status")
    return int(s.psql("SELECT count(*) FROM pgdrill.drill_status"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scopes", type=int, default=10000)
    ap.add_argument("--drills", type=int, default=73)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    release_build()
    scopes = ["scope-%05d" % i for i in range(args.scopes)]
    with HistoryStack("benchfleet") as s:
        s.install_pgdrill()
        install_fleet(s)
        s.start_etcd()
        started = time.monotonic()
        keys = fill_etcd(s.etcd_port, scopes)
        print("bench: %d keys of %d scopes in etcd (%.0f s)" % (keys, len(scopes),
                                                               time.monotonic() - started),
              flush=True)
        config = s.write("fleet.yml", "\n".join([
            "history_dsn: \"%s\"" % history_dsn(s), "max_concurrent: 10",
            "inventory:", "  etcd:", "    endpoints: [\"http://127.0.0.1:%d\"]" % s.etcd_port,
            "launch:", "  command: [/bin/true]", ""]), mode=0o644)
        # the schema, as the first pass creates it (every scope disabled: nothing launched)
        off = s.write("fleet-off.yml", open(config).read() + "scopes: [{match: \"*\", enabled:"
                      " false}]\n", mode=0o644)
        fleet = os.path.join(s.bindir, "pgdrill-fleet")
        run_timed(as_user([fleet, "--config=" + off, "run"]), s.env)
        started = time.monotonic()
        rows = fill_history(s, len(scopes), args.drills)
        print("bench: %d history rows (%.0f s)" % (rows, time.monotonic() - started), flush=True)

        # the same fleet named in the configuration: plan without discovery
        static = s.write("fleet-static.yml", "\n".join(
            ["history_dsn: \"%s\"" % history_dsn(s), "max_concurrent: 10", "inventory:",
             "  static:"] + ["    - {scope: %s, host: 10.0.%d.%d, port: 5432}"
                             % (c, i // 256, i % 256) for i, c in enumerate(scopes)]
            + ["launch:", "  command: [/bin/true]", ""]), mode=0o644)

        def timed_plan(path):
            wall, p = run_timed(as_user([fleet, "--verbose", "--config=" + path, "plan",
                                         "--json"]), s.env)
            lines = p.stdout.count("\n")
            if lines != len(scopes):
                raise SystemExit("bench: plan printed %d scopes, not %d" % (lines, len(scopes)))
            found = float(re.search(r"inventory: \d+ scopes in ([\d.]+) s", p.stderr).group(1))
            history = float(re.search(r"history: facts of \d+ scopes in ([\d.]+) s",
                                      p.stderr).group(1))
            return wall, found, history

        walls, inventory, facts, plans = [], [], [], []
        for r in range(args.rounds):
            wall, found, history = timed_plan(config)
            walls.append(wall)
            inventory.append(found)
            plan_wall, _, plan_facts = timed_plan(static)
            plans.append(plan_wall)
            facts.append(plan_facts)
            print("bench: round %d: plan %.3f s (history %.3f s); with etcd %.3f s (etcd %.3f s)"
                  % (r + 1, plan_wall, plan_facts, wall, found), flush=True)
        plan = s.psql("EXPLAIN (COSTS OFF) SELECT d.time FROM pgdrill.drill_status d"
                      " WHERE d.scope = 'scope-00001' AND d.status = 'passed'"
                      " ORDER BY d.time DESC LIMIT 1")

    print()
    print("%s (load average %.1f: a machine shared with other work); %d scopes, %d history"
          " rows, %d rounds, medians:" % (machine(), os.getloadavg()[1], len(scopes), rows,
                                          args.rounds))
    print()
    print(table(["what", "time", "goal"], [
        ["`plan --json` of the scopes named in fleet.yml (whole command)", "%.2f s"
         % median(plans), "< 1 s"],
        ["... of which the history's facts of every scope", "%.2f s" % median(facts), ""],
        ["discovery: etcd's namespace (%d keys) read and parsed" % keys,
         "%.2f s" % median(inventory), "< 2 s"],
        ["`plan --json` with the scopes from etcd (whole command)", "%.2f s" % median(walls),
         ""],
    ]))
    print()
    print("the last proof of one scope: " + " / ".join(line.strip() for line in plan.splitlines()))
    ok = median(plans) < 1.0 and median(inventory) < 2.0
    print("goals %s" % ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
