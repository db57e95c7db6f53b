"""buildah with a private storage, and one start of the image's entrypoint in a working
container with the README's mounts, as Kubernetes would start the pod's container; what
is left of it afterwards.

Signals go to tini, the container's PID 1, as Kubernetes sends them: a signal to `buildah
run` itself kills the chroot runtime and leaves the container's processes behind. This
process becomes a child subreaper, so every orphan of a container becomes its child and is
found by leftovers().

Standard library only; run with /usr/bin/python3 as root.
"""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import time

from drillstack import SOURCE_PASSWORD, expect
from imageutil import UID, UNIQUE, log, sh

# vfs: plain directories, works wherever buildah does (also inside a CI container, where
# overlay mounts may be refused); set PGDRILL_BUILDAH_DRIVER=overlay to trade that for speed.
DRIVER = os.environ.get("PGDRILL_BUILDAH_DRIVER", "vfs")


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
