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
        a good drill                           exit 0, report passed
        PGDRILL_KEEP_RUNNING=on, then SIGTERM  the restored primary stays up; exit 0
        SIGTERM while bootstrap waits          exit 3, report interrupted
        a WAL segment missing from the archive exit 1, report wal_missing
      Nothing of a run may survive it: this process is a child subreaper, so every orphan
      of the container becomes its child and is found (then killed, and the test fails).

Signals go to tini, the container's PID 1, as Kubernetes sends them: a signal to `buildah
run` itself kills the chroot runtime and leaves the container's processes behind.
Standard library only; run with /usr/bin/python3 as root.
"""
import ctypes
import fcntl
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.dont_write_bytecode = True

from drillstack import (SOURCE_PASSWORD, Stack, expect, expect_equal, free_port,  # noqa: E402
                        run)

CACHE = os.environ.get("PGDRILL_IMAGE_CACHE", "/var/tmp/pgdrill-image-cache")
# vfs: plain directories, works wherever buildah does (also inside a CI container, where
# overlay mounts may be refused); set PGDRILL_BUILDAH_DRIVER=overlay to trade that for speed.
DRIVER = os.environ.get("PGDRILL_BUILDAH_DRIVER", "vfs")
BASE_IMAGE = "localhost/pgdrill-base:bookworm"
IMAGE = "localhost/pgdrill-drill:test"
IMAGE_DIR = os.path.join(REPO, "patroni-examples", "image")
EXAMPLES = os.path.join(REPO, "patroni-examples")
UID = 999  # the image's postgres user and group (Dockerfile)
# In every command line of this test's containers (Patroni's configuration, the data
# directory, the scope): how leftovers are recognised, here and by cleanup.py.
UNIQUE = "pgdrill-img-" + uuid.uuid4().hex[:10]


STARTED = time.monotonic()


def log(msg):
    print("test_image: [%5.1fs] %s" % (time.monotonic() - STARTED, msg), file=sys.stderr,
          flush=True)


def sh(argv, timeout=120, check=True, **kw):
    """A command as root, bounded, output captured; raises with its output on failure."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(argv), p.returncode,
                                                      p.stdout[-3000:], p.stderr[-3000:]))
    return p


class FileLock:
    """An exclusive flock, waited for at most timeout seconds."""

    def __init__(self, path, timeout):
        self.path, self.timeout = path, timeout

    def __enter__(self):
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    raise AssertionError("%s held for over %ds" % (self.path, self.timeout))
                time.sleep(1)

    def __exit__(self, *exc):
        os.close(self.fd)
        return False


# ------------------------------------------------------------------------ base
def mirrors():
    """The Debian and Debian security mirrors of this machine's apt sources."""
    debian = os.environ.get("PGDRILL_DEBIAN_MIRROR")
    security = None
    texts = []
    for path in glob.glob("/etc/apt/sources.list.d/*.sources") + glob.glob(
            "/etc/apt/sources.list.d/*.list") + ["/etc/apt/sources.list"]:
        try:
            with open(path) as f:
                texts.append(f.read())
        except OSError:
            pass
    for uri in re.findall(r"(?m)^(?:URIs:|deb(?:\s+\[[^]]*\])?)\s+(\S+)", "\n".join(texts)):
        uri = uri.rstrip("/")
        if uri.endswith("/debian-security"):
            security = security or uri
        elif uri.endswith("/debian"):
            debian = debian or uri
    return debian or "http://deb.debian.org/debian", security or "http://deb.debian.org/debian-security"


def base_tarball():
    return os.path.join(CACHE, "debian-bookworm-minbase-%s.tar" % time.strftime("%Y%m%d",
                                                                              time.gmtime()))


def base():
    os.makedirs(CACHE, mode=0o755, exist_ok=True)
    tarball = base_tarball()
    with FileLock(os.path.join(CACHE, "lock"), 900):
        if os.path.exists(tarball):
            log("base: reusing today's %s" % tarball)
            return
        debian, security = mirrors()
        start = time.monotonic()
        work = tempfile.mkdtemp(prefix="rootfs.", dir=CACHE)
        try:
            rootfs = os.path.join(work, "rootfs")
            sh(["debootstrap", "--variant=minbase", "bookworm", rootfs, debian], timeout=900)
            # what a debian:bookworm image has: the release, its updates and security updates
            with open(os.path.join(rootfs, "etc", "apt", "sources.list"), "w") as f:
                f.write("deb %s bookworm main\ndeb %s bookworm-updates main\n"
                        "deb %s bookworm-security main\n" % (debian, debian, security))
            for junk in glob.glob(os.path.join(rootfs, "var/cache/apt/archives/*.deb")) + \
                    glob.glob(os.path.join(rootfs, "var/lib/apt/lists/*_*")):
                os.remove(junk)
            sh(["tar", "-C", rootfs, "-cf", tarball + ".part", "."], timeout=300)
            os.rename(tarball + ".part", tarball)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for old in glob.glob(os.path.join(CACHE, "debian-bookworm-minbase-*.tar*")):
            if old != tarball:
                os.remove(old)
        log("base: debootstrap from %s in %.1fs: %s" % (debian, time.monotonic() - start,
                                                         tarball))


# --------------------------------------------------------------------- buildah
class Buildah:
    """buildah with a private storage under root (vfs), chroot isolation, no registry."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
        self.argv = ["buildah", "--root", os.path.join(root, "storage"), "--runroot",
                     os.path.join(root, "run"), "--storage-driver", DRIVER]
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": root,
                    "TMPDIR": os.path.join(root, "tmp"), "BUILDAH_ISOLATION": "chroot",
                    "LANG": "C.UTF-8"}

    def cmd(self, *args):
        return self.argv + list(args)

    def __call__(self, *args, timeout=300):
        return sh(self.cmd(*args), timeout=timeout, env=self.env).stdout.strip()

    def cleanup(self):
        for args in (("rm", "--all"), ("rmi", "--all", "--force")):
            sh(self.cmd(*args), timeout=300, check=False, env=self.env)
        shutil.rmtree(self.root, ignore_errors=True)


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
            "id; pgdrill-bootstrap --version; dpkg-query -W -f='${Status}\\n' pgdrill;"
            " python3 -c 'import patroni.dcs.kubernetes, patroni.dcs.etcd3; print(\"dcs ok\")';"
            " ls /usr/lib/postgresql/15/bin/pg_ctl /usr/bin/pgbackrest", timeout=120)
    expect("uid=%d(postgres) gid=%d(postgres)" % (UID, UID) in out, "runs as postgres 999:999",
           out)
    expect("pgdrill-bootstrap (pgdrill) %s" % version in out, "pgdrill %s installed" % version,
           out)
    expect("install ok installed" in out, "pgdrill installed as a package", out)
    expect("dcs ok" in out, "Patroni's kubernetes and etcd3 DCS import", out)


# --------------------------------------------------------------- process care
def set_subreaper():
    """Orphans of the containers become this process's children (prctl PR_SET_CHILD_SUBREAPER)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def processes():
    """{pid: (ppid, uid, cmdline)} of the live processes."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[0] == "Z":
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            uid = os.stat("/proc/%s" % entry).st_uid
        except (OSError, IndexError):
            continue
        found[int(entry)] = (int(fields[1]), uid, cmdline)
    return found


def descendants(procs, root):
    children = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def leftovers():
    """Processes of the containers still alive: the container user's among this subreaper's
    descendants, or anything naming this test's containers."""
    procs = processes()
    mine = set(descendants(procs, os.getpid()))
    return {pid: procs[pid][2] for pid in procs
            if pid != os.getpid() and ((pid in mine and procs[pid][1] == UID)
                                       or UNIQUE in procs[pid][2])}


def assert_nothing_left(what):
    left = leftovers()
    if left:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    expect(not left, "%s left processes behind (killed now)" % what,
           "\n".join("%d %s" % kv for kv in sorted(left.items())))


def tini_of(run_pid):
    """The container's PID 1 (tini), a descendant of `buildah run`."""
    procs = processes()
    for pid in descendants(procs, run_pid):
        if procs[pid][2].startswith("/usr/bin/tini "):
            return pid
    return None


# ---------------------------------------------------------------- containers
class Container:
    """One start of the image's entrypoint in the working container, with the README's
    mounts; its files on the host under <stack>/<name>/."""

    def __init__(self, s, b, ctr, entrypoint, name, pgdrill_yml, patroni_yml, env=None,
                 secrets=None):
        self.s, self.name = s, name
        self.id = "%s-%s" % (UNIQUE, name)
        self.host = s.mkdir(name, mode=0o755)
        self.etc = self._dir("etc", 0o755, owner=0)
        self.secrets = self._dir("etc/secrets", 0o700)
        self.pgbackrest = self._dir("pgbackrest", 0o755, owner=0)
        self.state = self._dir("state", 0o700)
        self.drill = self._dir("drill", 0o700)
        self._file("etc/pgdrill.yml", pgdrill_yml, 0o644)
        self._file("etc/patroni-%s.yml" % self.id, patroni_yml, 0o600)
        self._file("etc/secrets/source.pgpass", open(s.path("pgpass")).read(), 0o600)
        for secret, (text, mode) in (secrets or {}).items():
            self._file("etc/secrets/" + secret, text, mode)
        self._file("pgbackrest/pgbackrest.conf", pgbackrest_conf(s), 0o640)
        self._file("pgbackrest/s3-ca.pem", open(s.path("cert.pem")).read(), 0o644)
        argv = b.cmd("run", "--isolation=chroot", "--network=host",
                     "-v", self.etc + ":/etc/pgdrill", "-v", self.secrets + ":/etc/pgdrill/secrets",
                     "-v", self.pgbackrest + ":/etc/pgbackrest",
                     "-v", self.state + ":/var/lib/pgdrill",
                     "-v", self.drill + ":/var/lib/postgresql/drill",
                     "--env", "PGDRILL_PATRONI_CONFIG=/etc/pgdrill/patroni-%s.yml" % self.id,
                     "--env", "TINI_SUBREAPER=1")
        for k, v in (env or {}).items():
            argv += ["--env", "%s=%s" % (k, v)]
        self.log_path = os.path.join(self.host, "container.log")
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(argv + [ctr, "--"] + entrypoint, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=b.env, start_new_session=True)
        s.record(self.proc.pid, "session")  # cleanup.py: the whole session, if we are killed
        self.started = time.monotonic()
        log("%s: started (buildah run PID %d)" % (name, self.proc.pid))

    def _dir(self, rel, mode, owner=UID):
        path = os.path.join(self.host, rel)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        os.chown(path, owner, owner)
        return path

    def _file(self, rel, text, mode):
        path = os.path.join(self.host, rel)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        os.chown(path, UID, UID)

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def report(self):
        try:
            with open(os.path.join(self.state, "report.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait(self, timeout):
        """The exit code; on timeout the container is stopped and the test fails."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop_hard()
            raise AssertionError("%s did not end within %ds:\n%s" % (self.name, timeout,
                                                                    self.output()[-6000:]))
        log("%s: exit %d after %.1fs" % (self.name, code, time.monotonic() - self.started))
        expect(SOURCE_PASSWORD not in self.output(), "%s printed the source's password" % self.name)
        return code

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            expect(self.proc.poll() is None, "%s ended (exit %s) while waiting for %s"
                   % (self.name, self.proc.returncode, what), self.output()[-6000:])
            time.sleep(0.2)
        self.stop_hard()
        raise AssertionError("%s: timed out after %ds waiting for %s:\n%s"
                             % (self.name, timeout, what, self.output()[-6000:]))

    def sigterm(self):
        """What Kubernetes does to stop a pod: SIGTERM to the container's PID 1."""
        pid = tini_of(self.proc.pid)
        expect(pid is not None, "%s: no tini under buildah run" % self.name)
        log("%s: SIGTERM to tini (PID %d)" % (self.name, pid))
        os.kill(pid, signal.SIGTERM)

    def stop_hard(self):
        """After a failure: SIGTERM, then kill everything of this container."""
        pid = tini_of(self.proc.pid)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                pass
        for p in list(leftovers()) + [self.proc.pid]:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait(30)


def pgbackrest_conf(s):
    """The stack's pgbackrest.conf with the container's paths: the CA in /etc/pgbackrest,
    pgBackRest's default lock, log and spool paths."""
    lines = []
    for line in open(s.pgbackrest_conf).read().splitlines():
        key = line.split("=", 1)[0]
        if key in ("lock-path", "log-path", "spool-path", "pg1-port", "pg1-socket-path"):
            continue
        if key == "repo1-storage-ca-file":
            line = "repo1-storage-ca-file=/etc/pgbackrest/s3-ca.pem"
        elif key == "pg1-path":
            line = "pg1-path=/var/lib/postgresql/drill/data"
        lines.append(line)
    return "\n".join(lines) + "\n"


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
    c = start("good", pgdrill_yml(s), patroni_yml(s, "good", pg_port))
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
    s.psql("INSERT INTO orders (id, customer) SELECT g, 'late' FROM generate_series(10001, 12000) g")
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
