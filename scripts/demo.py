#!/usr/bin/python3
"""A demo drill under Patroni on the local stack; prints what an SRE would see."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.dont_write_bytecode = True

from drillstack import Stack, free_port, tail  # noqa: E402
from test_patroni import patroni_yml  # noqa: E402


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
        return 0 if report["verdict"] == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
