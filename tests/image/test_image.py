#!/usr/bin/python3
"""The restore-test image (patroni-examples/image), end to end, with no registry.

  test_image.py base
      The Debian 12 base image's root file system: debootstrap --variant=minbase from the
      machine's Debian mirror, kept as a tarball per day in $PGDRILL_IMAGE_CACHE
      (/var/tmp/pgdrill-image-cache): the first run of a day builds it, later runs reuse it.
  test_image.py drill DEBDIR
      Builds the image from the Dockerfile and the .deb in DEBDIR (buildah bud, chroot
      isolation, a private storage), checks its configuration, then runs its entrypoint
      INSIDE it (buildah run --isolation=chroot --network=host, the README's mounts) against
      the test stack on the host (s3rver over TLS, source PostgreSQL 15, etcd, all on
      127.0.0.1; tests/integration/drillstack.py):
        a configuration error                  exit 2, Patroni never started
        Patroni exits before any verdict       exit 3
        a good drill, with the Kubernetes pod's patroni.yml (raft inside the container)
                                               exit 0, report passed
        PGDRILL_KEEP_RUNNING=on, then SIGTERM  the restored primary stays up; exit 0
        SIGTERM while bootstrap waits          exit 3, report interrupted
        a WAL segment missing from the archive exit 1, report wal_missing
      Nothing of a run may survive it: this process is a child subreaper, so every orphan
      of the container becomes its child and is found (then killed, and the test fails).

Signals go to tini, the container's PID 1, as Kubernetes sends them: a signal to `buildah
run` itself kills the chroot runtime and leaves the container's processes behind.
Standard library only; run with /usr/bin/python3 as root.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

from baseimage import base, base_tarball  # noqa: E402
from container import (Buildah, Container, assert_nothing_left, leftovers,  # noqa: E402
                       set_subreaper)
from drillstack import Stack, expect, expect_equal, free_port, run  # noqa: E402
from imageutil import REPO, UID, UNIQUE, log  # noqa: E402

BASE_IMAGE = "localhost/pgdrill-base:bookworm"
IMAGE = "localhost/pgdrill-drill:test"
IMAGE_DIR = os.path.join(REPO, "patroni-examples", "image")
EXAMPLES = os.path.join(REPO, "patroni-examples")


def build_image(b, tarball, deb, workdir):
    start = time.monotonic()
    ctr = b("from", "scratch")
    b("add", ctr, tarball, "/", timeout=600)
    b("commit", "-q", ctr, BASE_IMAGE, timeout=600)
    b("rm", ctr)
    context = os.path.join(workdir, "context")
    os.makedirs(context)
    for name in ("Dockerfile", "pgdrill-entrypoint"):
        shutil.copy2(os.path.join(IMAGE_DIR, name), context)
    shutil.copy2(deb, context)
    with open(os.path.join(workdir, "build.log"), "w") as out:
        p = subprocess.run(b.cmd("bud", "--isolation=chroot", "--network=host", "--build-arg",
                                 "BASE=" + BASE_IMAGE, "-t", IMAGE, context),
                           stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           env=b.env, timeout=1500)
    with open(os.path.join(workdir, "build.log")) as f:
        build_log = f.read()
    expect_equal(p.returncode, 0, "buildah bud exit code:\n" + build_log[-4000:])
    log("image built in %.1fs (base import included)" % (time.monotonic() - start))


def check_image(b, version):
    config = json.loads(b("inspect", "--type", "image", IMAGE))["OCIv1"]["config"]
    expect_equal(config.get("User"), "%d:%d" % (UID, UID), "the image's USER")
    expect_equal(config.get("Entrypoint"),
                 ["/usr/bin/tini", "--", "/usr/local/bin/pgdrill-entrypoint"], "Entrypoint")
    env = dict(e.split("=", 1) for e in config.get("Env", []))
    expect_equal((env.get("PGDRILL_PATRONI_CONFIG"), env.get("PGDRILL_CONFIG"),
                  env.get("PGDRILL_KEEP_RUNNING")),
                 ("/etc/pgdrill/patroni.yml", "/etc/pgdrill/pgdrill.yml", "off"),
                 "the entrypoint's environment defaults")
    return config["Entrypoint"]


def check_contents(b, ctr, version):
    """What the image holds: pgdrill from the package, its user, the DCS modules."""
    out = b("run", "--isolation=chroot", "--network=host", ctr, "--", "sh", "-c",
            "id; pgdrill-bootstrap --version; /usr/local/bin/pgdrill-entrypoint fleet --version;"
            " dpkg-query -W -f='${Status}\\n' pgdrill;"
            " python3 -c 'import patroni.dcs.kubernetes, patroni.dcs.etcd3, patroni.dcs.raft;"
            " print(\"dcs ok\")';"
            " ls /usr/lib/postgresql/15/bin/pg_ctl /usr/bin/pgbackrest", timeout=120)
    expect("uid=%d(postgres) gid=%d(postgres)" % (UID, UID) in out, "runs as postgres 999:999",
           out)
    expect("pgdrill-bootstrap (pgdrill) %s" % version in out, "pgdrill %s installed" % version,
           out)
    expect("pgdrill-fleet (pgdrill) %s" % version in out, "the entrypoint runs the deployer",
           out)
    expect("install ok installed" in out, "pgdrill installed as a package", out)
    expect("dcs ok" in out, "Patroni's kubernetes, etcd3 and raft DCS import", out)


def pgdrill_yml(s, edit=None):
    """patroni-examples/pgdrill.yml with the source's address and the secrets mount; report.file
    left to its default (<state_dir>/report.json), which the entrypoint must work out."""
    text = open(os.path.join(EXAMPLES, "pgdrill.yml")).read()
    text = (text.replace("host=orders-primary port=5432", "host=127.0.0.1 port=%d" % s.pg_port)
            .replace("/etc/pgdrill/source.pgpass", "/etc/pgdrill/secrets/source.pgpass"))
    text = re.sub(r"(?m)^  file: /var/lib/pgdrill/report.json\n", "", text)
    expect("report.json" not in text, "report.file removed from the example")
    return edit(text) if edit else text


def patroni_yml(s, name, pg_port, edit=None):
    """patroni-examples/patroni.yml as it is but for ports and a scope and data directory of
    this run's own (the pgdrill commands and their --config are the example's)."""
    scope = "%s-%s" % (UNIQUE, name)
    text = open(os.path.join(EXAMPLES, "patroni.yml")).read()
    text = (text.replace("scope: orders-drill", "scope: " + scope)
            .replace("name: orders-drill-0", "name: %s-0" % scope)
            .replace("127.0.0.1:8008", "127.0.0.1:%d" % free_port())
            .replace("127.0.0.1:2379", "127.0.0.1:%d" % s.etcd_port)
            .replace("127.0.0.1:5432", "127.0.0.1:%d" % pg_port)
            .replace("/var/lib/postgresql/drill/data", "/var/lib/postgresql/drill/" + scope))
    return edit(text) if edit else text


def kubernetes_patroni_yml(pg_port):
    """The Kubernetes ConfigMap's patroni.yml (patroni-examples/kubernetes/configmap.yaml),
    its raft DCS inside the container, with this run's ports; and the environment the pod
    gives Patroni (its IP, here 127.0.0.1: the container shares the host's network)."""
    lines = open(os.path.join(EXAMPLES, "kubernetes", "configmap.yaml")).read().splitlines()
    start = lines.index("  patroni.yml: |") + 1
    block = []
    for line in lines[start:]:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line[4:])
    text = "\n".join(block) + "\n"
    rest, raft = free_port(), free_port()
    for old in ("127.0.0.1:8008", "127.0.0.1:5432", "127.0.0.1:2222"):
        expect(old in text, "%s in the ConfigMap's patroni.yml" % old)
    text = (text.replace("127.0.0.1:8008", "127.0.0.1:%d" % rest)
            .replace("127.0.0.1:5432", "127.0.0.1:%d" % pg_port)
            .replace("127.0.0.1:2222", "127.0.0.1:%d" % raft))
    env = {"PATRONI_RESTAPI_CONNECT_ADDRESS": "127.0.0.1:%d" % rest,
           "PATRONI_POSTGRESQL_CONNECT_ADDRESS": "127.0.0.1:%d" % pg_port,
           "PATRONI_RAFT_SELF_ADDR": "127.0.0.1:%d" % raft}
    return text, env


# ------------------------------------------------------------------ scenarios
def scenario_config_error(s, start):
    c = start("config-error", pgdrill_yml(s, lambda t: t.replace("  jobs: 2", "  jobz: 2")),
              patroni_yml(s, "config-error", free_port()))
    code = c.wait(90)
    out = c.output()
    expect_equal(code, 2, "exit code of a configuration error")
    expect("verify.jobz: unknown key" in out, "the FILE:LINE: KEY message is shown", out[-3000:])
    expect("starting Patroni" not in out, "Patroni was started", out[-3000:])
    expect(not os.path.exists(os.path.join(c.state, "report.json")), "a report was written")


def scenario_patroni_dies(s, start):
    c = start("patroni-dies", pgdrill_yml(s),
              patroni_yml(s, "patroni-dies", free_port(),
                          lambda t: re.sub(r"(?m)^etcd3:\n  hosts: .*\n", "", t)),
              secrets={"webhook.token": ("not-a-real-token\n", 0o640)})
    code = c.wait(90)
    out = c.output()
    expect_equal(code, 3, "exit code when Patroni exits before any verdict")
    expect("before the drill's verdict" in out, "says why", out[-3000:])
    # Patroni's complaint lists the DCS implementations the image can load
    expect(re.search(r"Available implementations: .*kubernetes", out), "the kubernetes DCS",
           out[-3000:])
    expect(re.search(r"webhook.token: owner uid 999, mode 0640: a password file must", out),
           "a warning about a group-readable secret", out[-3000:])
    expect("source.pgpass: owner" not in out, "a warning about a good secret", out[-3000:])
    expect("not-a-real-token" not in out, "a secret's content was printed")


def scenario_good(s, start, version):
    pg_port = free_port()
    patroni, env = kubernetes_patroni_yml(pg_port)
    c = start("good", pgdrill_yml(s), patroni, env)
    code = c.wait(400)
    r = c.report()
    expect_equal(code, 0, "exit code of a passing drill\n" + c.output()[-6000:])
    expect_equal(r["verdict"], "passed", "verdict")
    expect(r["error"] is None, "no error", r["error"])
    expect_equal(r["pgdrill_version"], version, "pgdrill_version: the package's")
    expect_equal([ch["status"] for ch in r["checks"]], ["passed"] * len(r["checks"]),
                 "every check passed")
    expect("verdict passed" in c.output(), "the entrypoint logs the verdict")
    expect(not glob.glob(os.path.join(c.drill, "*", "postmaster.pid")),
           "PostgreSQL was stopped", glob.glob(os.path.join(c.drill, "*")))
    expect(glob.glob(os.path.join(c.drill, "raft", "*.journal")), "raft's journal in the drill's "
           "volume", glob.glob(os.path.join(c.drill, "*")))


def scenario_keep_running(s, start):
    pg_port = free_port()
    c = start("keep", pgdrill_yml(s), patroni_yml(s, "keep", pg_port),
              {"PGDRILL_KEEP_RUNNING": "on"})
    c.wait_for("a passing verdict", lambda: (c.report() or {}).get("verdict") == "passed", 400)
    test_id = c.report()["test_id"]

    def psql(sql):
        p = run(["/usr/lib/postgresql/15/bin/psql", "-X", "-At", "-h", "127.0.0.1", "-p",
                 str(pg_port), "-U", "postgres", "-d", "postgres", "-c", sql], timeout=30,
                check=False, env=dict(s.env, PGPASSWORD="drill-superuser",
                                      PGCONNECT_TIMEOUT="3"))
        return p.stdout.strip()
    c.wait_for("the restored primary", lambda: psql("SELECT pg_is_in_recovery()") == "f", 90)
    expect_equal(psql("SELECT count(*) FROM _pgdrill.marker WHERE test_id = '%s'"
                      " AND kind = 'marker'" % test_id), "1", "the marker in the kept primary")
    time.sleep(3)
    expect(c.proc.poll() is None, "the container ended although PGDRILL_KEEP_RUNNING=on",
           c.output()[-3000:])
    c.sigterm()
    code = c.wait(90)
    expect_equal(code, 0, "exit code after SIGTERM of a kept, passing drill\n"
                 + c.output()[-4000:])
    expect(psql("SELECT 1") != "1", "the restored primary still answers after the exit")


def scenario_sigterm_mid_drill(s, start):
    # an archiver that fails keeps bootstrap waiting for the marker's segment
    s.psql("ALTER SYSTEM SET archive_command = '/bin/false'")
    s.psql("SELECT pg_reload_conf()")
    try:
        c = start("sigterm", pgdrill_yml(s), patroni_yml(s, "sigterm", free_port()))
        c.wait_for("bootstrap waiting for the archiver",
                   lambda: (c.report() or {}).get("phase") == "inject"
                   and "to be archived" in c.output(), 120)
        time.sleep(1)
        c.sigterm()
        code = c.wait(90)
        r = c.report()
        expect_equal(code, 3, "exit code of a drill stopped by SIGTERM\n" + c.output()[-4000:])
        expect_equal(r["verdict"], "inconclusive", "verdict")
        expect_equal(r["error"]["class"], "interrupted", "error.class")
    finally:
        s.psql("ALTER SYSTEM RESET archive_command")
        s.psql("SELECT pg_reload_conf()")
        s.switch_wal_and_wait()


def scenario_wal_missing(s, start):
    s.psql("INSERT INTO orders (id, customer)"
           " SELECT g, 'late' FROM generate_series(10001, 12000) g")
    seg = s.switch_wal_and_wait()
    gone = s.repo_files(r"archive/orders/.*/%s-" % seg)
    expect(gone, "segment %s not in the repository" % seg)
    for f in gone:
        os.remove(f)
    c = start("walmiss", pgdrill_yml(s), patroni_yml(s, "walmiss", free_port()))
    code = c.wait(400)
    r = c.report()
    expect_equal(code, 1, "exit code of a failing drill\n" + c.output()[-4000:])
    expect_equal(r["verdict"], "failed", "verdict")
    expect_equal(r["error"]["class"], "wal_missing", "error.class")
    expect(seg in r["error"]["message"], "the missing segment is named", r["error"])
    # the entrypoint let Patroni put the data directory aside as evidence before stopping it
    expect(glob.glob(os.path.join(c.drill, "*.failed")), "the data directory renamed aside",
           os.listdir(c.drill))


def drill(debdir):
    debs = glob.glob(os.path.join(debdir, "pgdrill_*.deb"))
    expect(len(debs) == 1, "exactly one pgdrill_*.deb in %s (package.build makes it)" % debdir,
           debs)
    version = os.path.basename(debs[0]).split("_")[1]
    tarball = base_tarball()
    expect(os.path.exists(tarball), "no base %s: run `test_image.py base` first" % tarball)
    set_subreaper()
    timings = {}
    with Stack("image") as s:
        log("stack ready: %s" % s.dir)
        s.record(0, "mentioning", UNIQUE)
        b = Buildah(s.mkdir("buildah", mode=0o700))
        failed = True
        try:
            t = time.monotonic()
            build_image(b, tarball, debs[0], s.mkdir("imagebuild", mode=0o700))
            timings["build"] = time.monotonic() - t
            entrypoint = check_image(b, version)
            ctr = b("from", "--name", UNIQUE, IMAGE, timeout=600)
            check_contents(b, ctr, version)
            log("working container %s ready" % ctr)
            s.start_etcd()

            def start(name, pgdrill, patroni, env=None, secrets=None):
                return Container(s, b, ctr, entrypoint, name, pgdrill, patroni, env, secrets)
            for name, fn in (("config_error", lambda: scenario_config_error(s, start)),
                             ("patroni_dies", lambda: scenario_patroni_dies(s, start)),
                             ("good", lambda: scenario_good(s, start, version)),
                             ("keep_running", lambda: scenario_keep_running(s, start)),
                             ("sigterm", lambda: scenario_sigterm_mid_drill(s, start)),
                             ("wal_missing", lambda: scenario_wal_missing(s, start))):
                t = time.monotonic()
                fn()
                assert_nothing_left(name)
                timings[name] = time.monotonic() - t
                log("%s passed in %.1fs" % (name, timings[name]))
            failed = False
        finally:
            b.cleanup()
            log("containers and images removed")
            if failed:  # the first failure is the one to see; only make sure of the rest
                for pid in leftovers():
                    os.kill(pid, signal.SIGKILL)
        assert_nothing_left("the image test")
    log("stack stopped; timings: " + ", ".join("%s %.0fs" % kv for kv in timings.items()))


def main():
    if os.geteuid() != 0:
        print("test_image: buildah and debootstrap need root: skipped", file=sys.stderr)
        return 77  # ctest's SKIP_RETURN_CODE
    if len(sys.argv) == 2 and sys.argv[1] == "base":
        base()
    elif len(sys.argv) == 3 and sys.argv[1] == "drill":
        drill(os.path.abspath(sys.argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
