"""A complete drill under Patroni 3.0.2 + etcd, from patroni-examples/ as they are."""
import os

import yaml

from drillstack import REPO, Stack, expect, expect_equal, free_port, scenario
from test_dataproof import example_assertions

MARKER_SQL = "SELECT count(*) FROM _pgdrill.marker WHERE test_id = '%s' AND kind = '%s'"


def patroni_yml(s, pg_port, rest_port, config, text=None):
    if text is None:
        text = open(os.path.join(REPO, "patroni-examples", "patroni.yml")).read()
    s.mkdir("patroni")
    return (text.replace("127.0.0.1:8008", "127.0.0.1:%d" % rest_port)
            .replace("127.0.0.1:2379", "127.0.0.1:%d" % s.etcd_port)
            .replace("127.0.0.1:5432", "127.0.0.1:%d" % pg_port)
            .replace("/var/lib/postgresql/drill/data", s.path("patroni", "data"))
            .replace("/var/lib/postgresql/drill/pgpass", s.path("patroni", "pgpass"))
            .replace("/var/run/postgresql", s.socket_dir)
            .replace("/usr/bin/pgdrill-", os.path.join(s.bindir, "pgdrill-"))
            .replace("/etc/pgdrill/pgdrill.yml", config))


@scenario
def patroni_complete_drill():
    with Stack("patroni") as s:
        s.install_pgdrill()
        s.psql("CREATE DATABASE inventory")
        s.psql("CREATE TABLE items (sku text PRIMARY KEY, qty int)", db="inventory")
        # the example's assertion: it logs in as verify's own role through Patroni's pg_hba.conf
        config = s.pgdrill_config(edit=example_assertions)
        s.start_etcd()
        pg_port = free_port()
        patroni = s.start_patroni(patroni_yml(s, pg_port, free_port(), config))
        s.postgres_dirs.append(s.path("patroni", "data"))
        s.wait_for_log("patroni.log", r"initialized a new cluster", 240, alive=patroni)
        r = s.report()
        expect_equal(r["verdict"], "passed", "verdict")
        expect(r["error"] is None, "no error", r["error"])
        expect_equal([(c["name"], c["status"]) for c in r["checks"]],
                     [(name, "passed") for name in ("checksums", "promoted", "archiving_off",
                                                    "marker", "fence", "assertion:recent_orders",
                                                    "schema_dump", "amcheck")],
                     "checks")
        expect("inventory" in [c for c in r["checks"] if c["name"] == "schema_dump"][0]["detail"],
               "the second database was dumped too")
        # a passing drill leaves a running restored primary with the marker and without the fence
        s.wait_for("the restored primary to accept connections",
                   lambda: s.psql("SELECT pg_is_in_recovery()", port=pg_port, check=False) == "f",
                   60, "patroni.log")
        expect_equal(s.psql(MARKER_SQL % (r["test_id"], "marker"), port=pg_port), "1", "marker")
        expect_equal(s.psql(MARKER_SQL % (r["test_id"], "fence"), port=pg_port), "0", "fence")
        expect_equal(s.psql("SHOW archive_mode", port=pg_port), "off", "archive_mode")
        expect(not s.repo_files(r"archive/.*/0000000[2-9]"), "the drill wrote into the repository")


@scenario
def patroni_failing_drill():
    """A failing drill: Patroni renames the data directory aside and exits; the report says why."""
    with Stack("patronifail") as s:
        s.install_pgdrill()
        s.psql("CREATE TABLE broken (id int); SET allow_system_table_mods = on;"
               " UPDATE pg_class SET relnamespace = 424242 WHERE oid = 'broken'::regclass")
        s.backup()
        config = s.pgdrill_config()
        s.start_etcd()
        patroni = s.start_patroni(patroni_yml(s, free_port(), free_port(), config))
        s.postgres_dirs.append(s.path("patroni", "data"))
        s.wait_for("Patroni to give up", lambda: patroni.poll() is not None, 240, "patroni.log")
        expect(patroni.returncode != 0, "Patroni exit status", patroni.returncode)
        expect(os.path.isdir(s.path("patroni", "data.failed")), "data directory renamed aside")
        r = s.report()
        expect_equal(r["verdict"], "failed", "verdict")
        expect_equal(r["error"]["class"], "schema_dump_failed", "error.class")
        expect("broken" in open(s.path("patroni.log")).read() or "424242" in r["error"]["message"],
               "the reason is in the report", r["error"])


def kubernetes_patroni_yml(s):
    """The patroni.yml of the Kubernetes ConfigMap, with etcd for the Kubernetes DCS and what
    the pod's environment adds (scope, name, connect addresses) written in."""
    with open(os.path.join(REPO, "patroni-examples", "kubernetes", "configmap.yaml")) as f:
        text = yaml.safe_load(f)["data"]["patroni.yml"]
    dcs = text.index("kubernetes:\n")
    end = text.index("\nrestapi:")
    expect(dcs < end, "the kubernetes: block comes before restapi:")
    return (text[:dcs] + "scope: orders-k8s-%d\nname: restore-test-pod\netcd3:\n  hosts: 127.0.0.1:2379\n"
            % os.getpid() + text[end:]
            .replace("  listen: 127.0.0.1:8008\n",
                     "  listen: 127.0.0.1:8008\n  connect_address: 127.0.0.1:8008\n")
            .replace("  listen: 127.0.0.1:5432\n",
                     "  listen: 127.0.0.1:5432\n  connect_address: 127.0.0.1:5432\n"))


@scenario
def patroni_kubernetes_config():
    """The Kubernetes ConfigMap's patroni.yml drives a passing drill: both servers on
    127.0.0.1, no passwords (Patroni and verify on the unix socket)."""
    with Stack("patronik8s") as s:
        s.install_pgdrill()
        config = s.pgdrill_config()
        s.start_etcd()
        pg_port = free_port()
        patroni = s.start_patroni(patroni_yml(s, pg_port, free_port(), config,
                                              kubernetes_patroni_yml(s)))
        s.postgres_dirs.append(s.path("patroni", "data"))
        s.wait_for_log("patroni.log", r"initialized a new cluster", 240, alive=patroni)
        r = s.report()
        expect_equal(r["verdict"], "passed", "verdict")
        s.wait_for("the restored primary to accept connections",
                   lambda: s.psql("SELECT pg_is_in_recovery()", port=pg_port, check=False) == "f",
                   60, "patroni.log")
        expect_equal(s.psql("SHOW archive_mode", port=pg_port), "off", "archive_mode")
        expect_equal(s.psql("SHOW listen_addresses", port=pg_port), "127.0.0.1", "listen_addresses")
