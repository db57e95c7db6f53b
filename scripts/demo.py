#!/usr/bin/python3
"""A demo drill under Patroni on the local stack, then a fleet pass of pgdrill-fleet over two
Patroni clusters; prints what an SRE would see."""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.dont_write_bytecode = True

from drillstack import Stack, free_port, tail  # noqa: E402
from fleetstack import (LAUNCHER, drill_config, fleet, fleet_env, history, history_dsn,  # noqa: E402
                        install_fleet, start_source_clusters, stop_drills, write_fleet_yml)
from test_patroni import patroni_yml  # noqa: E402


def fleet_pass(s):
    """pgdrill-fleet over two Patroni clusters found in etcd: plan, run (their drills start
    under Patroni), the drills' verdicts, plan again, run again (it cleans up)."""
    print("\ndemo: a fleet: two Patroni clusters, alpha and beta, archiving to their own stanzas")
    start_source_clusters(s, ["alpha", "beta"])
    install_fleet(s)
    config = drill_config(s)
    env = fleet_env(s, config)
    yml = write_fleet_yml(s, "fleet.yml", "\n".join([
        "history_dsn: \"%s\"" % history_dsn(s), "every: 24h", "max_concurrent: 2",
        "scopes:", "  - match: \"*-drill\"            # the demo drill above: not a cluster to drill",
        "    enabled: false",
        "inventory:", "  etcd:", "    endpoints: [\"http://127.0.0.1:%d\"]" % s.etcd_port,
        "    namespace: /service",
        "launch:", "  command: [\"/usr/bin/python3\", \"%s\", \"patroni\", \"{drill_name}\"]" % LAUNCHER,
        "  cleanup: [\"/usr/bin/python3\", \"%s\", \"stop\", \"{drill_name}\"]" % LAUNCHER, ""]))
    print("demo: %s:\n%s" % (yml, open(yml).read()))
    for _ in range(60):  # until Patroni has published both leaders in etcd
        out = fleet(s, yml, "plan", env=env).stdout
        if "no leader" not in out and "alpha" in out and "beta" in out:
            break
        time.sleep(0.5)
    print("demo: pgdrill-fleet plan\n" + out)
    print("demo: pgdrill-fleet run")
    fleet(s, yml, "run", env=env)
    ids = history(s, "SELECT string_agg(quote_literal(test_id), ',') FROM pgdrill.drill_status"
                     " WHERE status = 'scheduled'")
    s.wait_for("both drills' verdicts", lambda: history(
        s, "SELECT count(*) FROM pgdrill.drill_status WHERE test_id IN (%s)"
           " AND status IN ('passed', 'failed', 'inconclusive')" % ids) == "2", 600)
    print("demo: the status history of the two drills:\n" + history(
        s, "SELECT scope || ' ' || string_agg(status, ' ' ORDER BY time) FROM pgdrill.drill_status"
           " WHERE test_id IN (%s) GROUP BY scope ORDER BY scope" % ids))
    print("\ndemo: pgdrill-fleet plan\n" + fleet(s, yml, "plan", env=env).stdout)
    print("demo: pgdrill-fleet run (it launches nothing and cleans up after both drills)")
    fleet(s, yml, "run", env=env)


def main():
    print("demo: starting s3rver (TLS), a source PostgreSQL 15 and taking a pgBackRest backup ...")
    with Stack("demo") as s:
        s.install_pgdrill()
        s.psql("INSERT INTO orders (id, customer) VALUES (424242, 'written after the backup')")
        config = s.pgdrill_config()
        s.start_etcd()
        pg_port = free_port()
        print("demo: starting etcd and Patroni; Patroni runs pgdrill-bootstrap, then pgdrill-verify")
        patroni = s.start_patroni(patroni_yml(s, pg_port, free_port(), config))
        s.postgres_dirs.append(s.path("patroni", "data"))
        try:
            s.wait_for_log("patroni.log", r"initialized a new cluster|Failed to bootstrap", 600,
                           alive=patroni)
        finally:
            log = open(s.path("patroni.log"), errors="replace").read()
            start = log.find("\npgdrill:")
            print(log[start:start + 3000] if start >= 0 else tail(s.path("patroni.log"), 40))
        report = json.load(open(s.path("state", "report.json")))
        print("demo: the drill's report (%s):" % s.path("state", "report.json"))
        print(json.dumps(report, indent=2))
        print("demo: verdict %s; the restored primary runs on 127.0.0.1:%d until the demo ends"
              % (report["verdict"], pg_port))
        print("demo: row written after the backup, read from the restored primary: %s"
              % s.psql("SELECT customer FROM orders WHERE id = 424242", port=pg_port))
        if report["verdict"] != "passed":
            return 1
        try:
            fleet_pass(s)
        finally:
            stop_drills(s)
        return 0


if __name__ == "__main__":
    sys.exit(main())
