#!/usr/bin/python3
"""The launcher pgdrill-fleet's command runner calls in the fleet scenarios (test_fleet.py).

What an operator's start-drill script does on a VM: it starts a drill of one cluster in the
background and exits at once; the cleanup stops the drill and removes what its Patroni left
in etcd. pgdrill-fleet hands the drill's particulars in the argv (placeholders) and in the
environment (PGDRILL_TEST_ID, PGDRILL_SOURCE_SCOPE, PGDRILL_STANZA, PGDRILL_SOURCE_HOST,
PGDRILL_SOURCE_PORT, PGDRILL_RECOVERY_TARGET), which Patroni passes on to pgdrill-bootstrap
and pgdrill-verify.

  fleet_launcher.py patroni DRILL_NAME   a drill under Patroni (patroni-examples/patroni.yml,
                                         its scope DRILL_NAME in etcd's namespace /drills)
  fleet_launcher.py bootstrap DRILL_NAME pgdrill-bootstrap alone (a drill that fails early)
  fleet_launcher.py record SCOPE         starts nothing: a launch that never reports
  fleet_launcher.py hang SCOPE           never returns (launch.timeout, SIGKILL tests)
  fleet_launcher.py stop DRILL_NAME      the cleanup
  fleet_launcher.py by-scope SCOPE DRILL_NAME
                                         the mode $FLEET_TEST_MODES gives SCOPE
                                         ("s1=bootstrap,s2=record"), with DRILL_NAME or SCOPE

With $FLEET_TEST_HOLD set, bootstrap mode waits for that file to exist before it starts
pgdrill-bootstrap. Every call is appended to $FLEET_TEST_DIR/launches ("MODE ARG TEST_ID"). The stack's
directory, binaries, etcd port and pgdrill.yml come from FLEET_TEST_* variables.
"""
import json
import os
import signal
import socket
import sys
import time
import urllib.request
import base64

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PG_BIN = "/usr/lib/postgresql/15/bin"


def env(name):
    return os.environ[name]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record(*words):
    with open(os.path.join(env("FLEET_TEST_DIR"), "launches"), "a") as f:
        f.write(" ".join(words + (os.environ.get("PGDRILL_TEST_ID", "-"),)) + "\n")


def drill_dir(name):
    return os.path.join(env("FLEET_TEST_DIR"), "drills", name)


def patroni_yml(name, d):
    text = open(os.path.join(REPO, "patroni-examples", "patroni.yml")).read()
    return (text.replace("scope: orders-drill", "scope: %s\nnamespace: /drills/" % name)
            .replace("name: orders-drill-0", "name: %s-0" % name)
            .replace("127.0.0.1:8008", "127.0.0.1:%d" % free_port())
            .replace("127.0.0.1:2379", "127.0.0.1:%s" % env("FLEET_TEST_ETCD"))
            .replace("127.0.0.1:5432", "127.0.0.1:%d" % free_port())
            .replace("/var/lib/postgresql/drill/data", os.path.join(d, "data"))
            .replace("/var/lib/postgresql/drill/pgpass", os.path.join(d, "pgpass"))
            .replace("/var/run/postgresql", env("FLEET_TEST_SOCKET"))
            .replace("/usr/bin/pgdrill-", os.path.join(env("FLEET_TEST_BINDIR"), "pgdrill-"))
            .replace("/etc/pgdrill/pgdrill.yml", env("FLEET_TEST_CONFIG")))


def detach(argv, d, extra_env):
    """Start argv in a session of its own, its output in d/drill.log, its PID in d/pid."""
    drill_env = dict(os.environ)
    drill_env.update(extra_env)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        out = os.open(os.path.join(d, "drill.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        try:
            os.execvpe(argv[0], argv, drill_env)
        finally:
            os._exit(127)
    with open(os.path.join(d, "pid"), "w") as f:
        f.write("%d\n" % pid)


def start(mode, name):
    d = drill_dir(name)
    os.makedirs(os.path.join(d, "state"), mode=0o700)
    state = {"PGDRILL_STATE_DIR": os.path.join(d, "state")}
    if mode == "patroni":
        yml = os.path.join(d, "patroni.yml")
        with open(yml, "w") as f:
            f.write(patroni_yml(name, d))
        os.chmod(yml, 0o600)
        detach(["patroni", yml], d, state)
    else:
        argv = [os.path.join(env("FLEET_TEST_BINDIR"), "pgdrill-bootstrap"),
                "--config=" + env("FLEET_TEST_CONFIG"), "--scope=" + name,
                "--datadir=" + os.path.join(d, "data")]
        hold = os.environ.get("FLEET_TEST_HOLD")
        if hold:
            # the drill starts once the test creates the file (at most 60 s later): a test
            # can look at the drill in progress before a drill that fails early has ended
            argv = ["/bin/sh", "-c", 'i=0; while [ ! -e "$0" ] && [ $i -lt 600 ]; do'
                    ' sleep 0.1; i=$((i+1)); done; exec "$@"', hold] + argv
        detach(argv, d, state)


def etcd_delete_prefix(prefix):
    """What the drill's Patroni left in etcd: every key of its scope."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    body = json.dumps({"key": base64.b64encode(prefix.encode()).decode(),
                       "range_end": base64.b64encode(end.encode()).decode()}).encode()
    req = urllib.request.Request("http://127.0.0.1:%s/v3/kv/deleterange" % env("FLEET_TEST_ETCD"),
                                 data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def stop(name):
    d = drill_dir(name)
    try:
        pid = int(open(os.path.join(d, "pid")).read())
    except (OSError, ValueError):
        pid = None
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                os.killpg(pid, 0)
                time.sleep(0.2)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    data = os.path.join(d, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        os.spawnv(os.P_WAIT, PG_BIN + "/pg_ctl", ["pg_ctl", "-D", data, "-m", "fast", "-w", "stop"])
    if os.environ.get("FLEET_TEST_ETCD"):
        etcd_delete_prefix("/drills/%s/" % name)


def main():
    mode, arg = sys.argv[1], sys.argv[2]
    if mode == "by-scope":
        modes = dict(item.split("=") for item in os.environ["FLEET_TEST_MODES"].split(","))
        mode = modes[arg]
        arg = sys.argv[3] if mode in ("patroni", "bootstrap", "stop") else arg
    record(mode, arg)
    if mode in ("patroni", "bootstrap"):
        start(mode, arg)
    elif mode == "hang":
        time.sleep(600)
    elif mode == "stop":
        stop(arg)
    elif mode != "record":
        print("unknown mode %s" % mode, file=sys.stderr)
        return 2
    print("%s %s: done" % (mode, arg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
