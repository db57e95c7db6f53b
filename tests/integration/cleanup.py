#!/usr/bin/python3
"""ctest's cleanup fixture: stop whatever a killed test process left behind.

Every Stack records "PID KIND DATADIR" lines in <stack>/pids. A test that
ctest killed at its timeout never ran its own cleanup; this kills those
processes (after checking that the PID still belongs to a process of that
kind, since PIDs are reused) and removes stack directories, unless
PGDRILL_KEEP_TMP=1 or the stack was kept on purpose after a failure.
Two kinds name groups rather than one process (tests/image, where a drill runs
inside a container): "PID session -" is every process of the session PID
leads, "0 mentioning TEXT" every process whose command line holds TEXT (at least
12 characters: a unique name, never a word).
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drillstack import PG_BIN, as_user, default_test_root  # noqa: E402

KIND_WORDS = {"postgres": "postgres", "s3rver": "s3rver", "etcd": "etcd", "patroni": "patroni"}
# What a container's session may hold (tests/image): a reused session id of anything else is
# left alone.
CONTAINER_WORDS = ("buildah", "tini", "pgdrill", "patroni", "postgres", "pgbackrest")


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def session_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def group_members(kind, what):
    """PIDs of the processes a "session" or "mentioning" entry stands for."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        pid = int(entry)
        if kind == "session" and session_of(pid) == int(what) and \
                any(w in (cmdline(pid) or "") for w in CONTAINER_WORDS):
            pids.append(pid)
        elif kind == "mentioning" and len(what) >= 12 and what in (cmdline(pid) or ""):
            pids.append(pid)
    return pids


def main():
    root = os.environ.get("PGDRILL_TEST_ROOT") or default_test_root()
    if not os.path.isdir(root):
        return 0
    killed = 0
    for stack in sorted(os.listdir(root)):
        pidfile = os.path.join(root, stack, "pids")
        if not os.path.exists(pidfile):
            continue
        entries = [line.split(None, 2) for line in open(pidfile) if line.strip()]
        for pid, kind, datadir in entries:
            datadir = datadir.strip()
            if kind == "postgres" and os.path.exists(os.path.join(datadir, "postmaster.pid")):
                subprocess.run(as_user([PG_BIN + "/pg_ctl", "-D", datadir, "-m", "immediate",
                                        "stop"]), capture_output=True, timeout=60)
        for pid, kind, what in entries:
            if kind in ("session", "mentioning"):
                for member in group_members(kind, pid if kind == "session" else what.strip()):
                    try:
                        os.kill(member, signal.SIGKILL)
                        killed += 1
                    except OSError:
                        pass
                continue
            line = cmdline(int(pid))
            if line is not None and KIND_WORDS.get(kind, kind) in line:
                try:
                    os.killpg(int(pid), signal.SIGKILL)
                except OSError:
                    os.kill(int(pid), signal.SIGKILL)
                killed += 1
    time.sleep(0.2)
    if os.environ.get("PGDRILL_KEEP_TMP") != "1":
        for stack in os.listdir(root):
            if not os.path.exists(os.path.join(root, stack, "KEPT")):
                shutil.rmtree(os.path.join(root, stack), ignore_errors=True)
    print("cleanup: %d leftover process%s killed under %s" % (killed, "" if killed == 1 else "es",
                                                               root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
