"""A complete drill under Patroni 3.0.2, from patroni-examples/ as they are: with etcd, and
with the Kubernetes pod's raft DCS inside Patroni."""
import os
import re
import shutil

import yaml

from drillstack import IS_ROOT, REPO, Stack, expect, expect_equal, free_port, run, scenario
from test_dataproof import example_assertions

MARKER_SQL = "SELECT count(*) FROM _pgdrill.marker WHERE test_id = '%s' AND kind = '%s'"


def readme_checks(assertions, exclude=()):
    """The names of the checks in the README's table of checks (section "The checks"), in its
    order: one "assertion:NAME" per assertion, those in exclude left out."""
    text = open(os.path.join(REPO, "README.md")).read()
    table = text[text.index("| check | by | runs | what it proves | finding |"):]
    names = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        name = line.split("|")[1].strip().strip("`")
        if name == "assertion:<name>":
            names += ["assertion:" + a for a in assertions]
        elif name not in exclude:
            names.append(name)
    return names


def patroni_yml(s, pg_port, rest_port, config, text=None):
    if text is None:
        text = open(os.path.join(REPO, "patroni-examples", "patroni.yml")).read()
    s.mkdir("patroni")
    return (text.replace("127.0.0.1:8008", "127.0.0.1:%d" % rest_port)
            .replace("127.0.0.1:2379", "127.0.0.1:%s" % s.etcd_port)
            .replace("127.0.0.1:5432", "127.0.0.1:%d" % pg_port)
            .replace("/var/lib/postgresql/drill/data", s.path("patroni", "data"))
            .replace("/var/lib/postgresql/drill/pgpass", s.path("patroni", "pgpass"))
            .replace("/var/run/postgresql", s.socket_dir)
            .replace("/usr/bin/pgdrill-", os.path.join(s.bindir, "pgdrill-"))
            .replace("/etc/pgdrill/pgdrill.yml", config))


@scenario
def patroni_complete_drill():
    with Stack("patroni", fresh=True) as s:  # recent_orders: rows of minutes ago
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
        # every check of the README's table (held to verify's table by test_checks) but rto,
        # which only report.rto_target turns on, target, which only a past target runs, and
        # compare, which only verify.compare's queries make
        expect_equal(sorted((c["name"], c["status"]) for c in r["checks"]),
                     sorted((name, "passed") for name in
                            readme_checks(["recent_orders"],
                                          exclude=("rto", "target", "compare:<name>"))),
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


K8S = os.path.join(REPO, "patroni-examples", "kubernetes")


def kubernetes_manifest(name, kind):
    with open(os.path.join(K8S, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d and d["kind"] == kind][0]


def kubernetes_patroni_yml(s):
    """The patroni.yml of the Kubernetes ConfigMap as the pod runs it, its raft DCS
    included: only the raft port and directory replaced here, ports and paths by
    patroni_yml."""
    text = kubernetes_manifest("configmap.yaml", "ConfigMap")["data"]["patroni.yml"]
    expect("  bind_addr: 127.0.0.1:2222 " in text, "raft listens on 127.0.0.1:2222", text)
    return (text.replace("127.0.0.1:2222", "127.0.0.1:%d" % free_port())
            .replace("/var/lib/postgresql/drill/raft", s.path("patroni", "raft")))


def kubernetes_pod(s):
    """The drill pod of the CronJob on this machine: Patroni's environment (the PATRONI_*
    variables, 127.0.0.1 for the pod's IP) and the init container's argv."""
    spec = kubernetes_manifest("cronjob.yaml", "CronJob")["spec"]["jobTemplate"]["spec"]
    pod = spec["template"]["spec"]
    env, values = dict(s.env), {}
    for var in pod["containers"][0]["env"]:
        if "valueFrom" in var:
            expect(var["valueFrom"].get("fieldRef", {}).get("fieldPath") == "status.podIP",
                   "the test knows only the pod's IP from the downward API", var)
            values[var["name"]] = "127.0.0.1"
        else:
            values[var["name"]] = re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)],
                                         var["value"])
        if var["name"].startswith("PATRONI_"):
            env[var["name"]] = values[var["name"]]
    init = pod["initContainers"][0]
    return env, init["command"] + init.get("args", [])


def secret_volume(s, name, files):
    """A directory laid out as the kubelet lays out a Secret volume with fsGroup: files
    0440 of root and the drill's group behind ..data."""
    root = s.mkdir(name, mode=0o755)
    data = os.path.join(root, "..2026_11_25_03_17_00.1")
    os.mkdir(data)
    os.symlink(os.path.basename(data), os.path.join(root, "..data"))
    for key, text in files.items():
        path = os.path.join(data, key)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o440)
        if IS_ROOT:
            shutil.chown(path, "root", "postgres")
        os.symlink(os.path.join("..data", key), os.path.join(root, key))
    return root


@scenario
def patroni_kubernetes_config():
    """The Kubernetes pod's configuration drives a passing drill: the ConfigMap's
    patroni.yml with its raft DCS inside the pod (no etcd, no Kubernetes API), Patroni's
    environment from the CronJob, both servers on 127.0.0.1, no passwords (Patroni and
    verify on the unix socket), and pgBackRest's keys only in the pgbackrest.conf the init
    container assembles, never in an environment."""
    with Stack("patronik8s") as s:
        s.install_pgdrill()
        env, init = kubernetes_pod(s)
        # the stack's pgbackrest.conf without its keys stands for the ConfigMap's, the keys
        # are the Secret's files (with the newline a file usually ends in)
        keys = {}
        conf = []
        for line in open(s.pgbackrest_conf).read().splitlines():
            key, _, value = line.partition("=")
            if key in ("repo1-s3-key", "repo1-s3-key-secret"):
                keys[key[len("repo1-"):]] = value + "\n"
            else:
                conf.append(line)
        expect(len(keys) == 2, "the stack's pgbackrest.conf has its keys", keys)
        configmap = s.write("pgbackrest-configmap.conf", "\n".join(conf) + "\n", mode=0o644)
        secrets = s.mkdir("secrets")
        run(init[:-4] + [secret_volume(s, "secret-files", {"source.pgpass": open(s.path("pgpass")).read()}),
                         secret_volume(s, "repository", keys), configmap, secrets],
            timeout=30, env=s.env)
        assembled = os.path.join(secrets, "pgbackrest.conf")
        config = s.pgdrill_config(edit=lambda t: t.replace(s.pgbackrest_conf, assembled).replace(
            s.path("pgpass"), os.path.join(secrets, "source.pgpass")))
        expect(not any(k.startswith("PGBACKREST_") for k in env), "pgBackRest in Patroni's environment")
        pg_port = free_port()
        patroni = s.start_patroni(patroni_yml(s, pg_port, free_port(), config,
                                              kubernetes_patroni_yml(s)), env=env)
        s.postgres_dirs.append(s.path("patroni", "data"))
        s.wait_for_log("patroni.log", r"initialized a new cluster", 240, alive=patroni)
        r = s.report()
        expect_equal(r["verdict"], "passed", "verdict")
        s.wait_for("the restored primary to accept connections",
                   lambda: s.psql("SELECT pg_is_in_recovery()", port=pg_port, check=False) == "f",
                   60, "patroni.log")
        expect_equal(s.psql("SHOW archive_mode", port=pg_port), "off", "archive_mode")
        expect_equal(s.psql("SHOW listen_addresses", port=pg_port), "127.0.0.1", "listen_addresses")
        # raft's journal is in the drill's data volume; no etcd was started
        expect(s.etcd_port is None, "etcd was started")
        expect(os.listdir(s.path("patroni", "raft")), "raft's journal in its data_dir")
