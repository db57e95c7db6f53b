"""Faults end right: a broken repository, a killed or stopped bootstrap, a full disk, a
restarting source and two bootstraps at once, each injected into a real drill. Every
scenario asserts the exit code and class, that nothing of the drill is left running, that
the repository holds nothing the drill wrote, and what the report says."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

from drillstack import (IS_ROOT, PG_BIN, Stack, as_user, expect, expect_equal, expect_outcome,
                        processes_mentioning, run, scenario, tail)
from test_delivery import add_report_settings, history_rows


def repo_listing(s):
    """Every file of the repository with its checksum."""
    listing = {}
    for base, _, files in os.walk(s.repo_dir()):
        for f in files:
            path = os.path.join(base, f)
            with open(path, "rb") as fp:
                listing[os.path.relpath(path, s.repo_dir())] = hashlib.sha256(fp.read()).hexdigest()
    return listing


def assert_repo_untouched(s, before):
    """Nothing changed or removed; new files are only the source's own WAL (timeline 1)."""
    after = repo_listing(s)
    changed = [p for p, digest in before.items() if after.get(p) != digest]
    added = [p for p in after if p not in before
             and not re.search(r"^archive/orders/[^/]+/0000000100000000/00000001", p)]
    expect(not changed and not added, "the drill wrote into the repository", changed, added)


def start_bootstrap(s, config, datadir, log, *args):
    out = open(s.path(log), "w")
    return subprocess.Popen(as_user([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                                     "--datadir=" + datadir] + list(args)),
                            stdout=out, stderr=subprocess.STDOUT, env=s.drill_env())


def wait_gone(s, text, within, what):
    s.wait_for(what, lambda: not processes_mentioning(text), within)


def slow_replay(delay):
    """Each commit replayed no earlier than delay after it happened: a recovery that waits."""
    return lambda t: t.replace("    shared_buffers: 128MB",
                               "    shared_buffers: 128MB\n    recovery_min_apply_delay: %s" % delay)


@scenario
def fault_repository_killed_mid_restore():
    """S3 dies while pgBackRest copies files and pgBackRest gives up before pgdrill's probes
    would (--io-timeout=1, dead_after 60 s): repository_unreachable, pgBackRest's words, soon.
    (pgdrill's own probes deciding: test_repository.py.)"""
    with Stack("s3dead") as s:
        s.install_pgdrill()
        s.psql("CREATE TABLE big AS SELECT g, md5(g::text) || repeat('x', 200) AS pad"
               " FROM generate_series(1, 100000) g")
        s.backup()
        before = repo_listing(s)
        # pgBackRest retries a dead endpoint for a while before it gives up; --io-timeout
        # bounds that (README: repository_unreachable).
        config = s.pgdrill_config(edit=lambda t: t.replace("options: []",
                                                           "options: [--io-timeout=1]"))
        datadir = s.path("drill")
        started = time.monotonic()
        p = start_bootstrap(s, config, datadir, "bootstrap.log")
        s.wait_for_log("bootstrap.log", r"restore progress: ", 120, alive=p)
        for kind, proc in s.daemons:
            if kind == "s3rver":
                proc.kill()
        rc = p.wait(300)
        elapsed = time.monotonic() - started
        r = s.report()
        expect_equal(rc, 3, "exit code\n" + tail(s.path("bootstrap.log")))
        expect_equal(r["error"]["class"], "repository_unreachable", "error.class")
        expect(re.search(r"ERROR: \[\d+\]", r["error"]["message"]), "pgBackRest's error quoted",
               r["error"])
        expect(r["backup"]["label"], "the backup set being restored is named", r["backup"])
        expect(elapsed < 120, "ended %.0f s after the repository died" % elapsed)
        wait_gone(s, datadir, 5, "pgBackRest to be gone")
        assert_repo_untouched(s, before)
        # the source's archiver retries the dead repository: a fast shutdown would wait for it
        s.stop_postgres(s.path("source"), mode="immediate")


@scenario
def fault_bootstrap_killed():
    """kill -9 of bootstrap during restore and during recovery: nothing survives it, and the
    restarted pod's bootstrap records given_up instead of restoring again."""
    with Stack("kill9") as s:
        s.install_pgdrill()
        before = repo_listing(s)
        # During the restore.
        config = s.pgdrill_config()
        datadir = s.path("d1")
        p = start_bootstrap(s, config, datadir, "b1.log")
        s.wait_for_log("b1.log", r"restoring backup set ", 120, alive=p)
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        wait_gone(s, datadir, 5, "pgBackRest's processes to die with bootstrap")
        expect_equal(s.report()["verdict"], "running", "the killed drill's report")
        # The pod restarts: same state, the data directory as it was left.
        p = s.bootstrap(config, datadir)
        r = s.report()
        expect_outcome(p, r, 1, "given_up")
        expect_equal(r["attempts"], 2, "attempts")
        expect("pgbackrest restore" not in p.stderr, "restored again")

        # During the recovery, with Patroni's rename of the data directory before the restart.
        s.mkdir("state2")
        config2 = s.pgdrill_config("two.yml", edit=lambda t: slow_replay("60s")(
            t.replace(s.path("state"), s.path("state2"))))
        datadir = s.path("d2")
        p = start_bootstrap(s, config2, datadir, "b2.log")
        s.wait_for_log("b2.log", r"consistent recovery state reached", 120, alive=p)
        sockets = open(os.path.join(datadir, "postmaster.pid")).read().split("\n")[4]
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        wait_gone(s, datadir, 5, "the private postmaster to die with bootstrap")
        os.rename(datadir, datadir + ".failed")
        p = s.bootstrap(config2, datadir)
        r = json.load(open(s.path("state2", "report.json")))
        expect_outcome(p, r, 1, "given_up")
        expect(not os.path.exists(sockets), "the private socket directory %s is left" % sockets)
        expect(not processes_mentioning(datadir), "a process of the drill survived")
        assert_repo_untouched(s, before)


@scenario
def fault_second_bootstrap_and_sigterm():
    """A second bootstrap on a running drill's state_dir is refused without touching it; then
    SIGTERM stops the running one during recovery, and its terminal history row is written."""
    with Stack("twice") as s:
        s.psql("CREATE DATABASE drillhist")
        s.install_pgdrill()
        config = s.pgdrill_config(edit=lambda t: slow_replay("60s")(add_report_settings(t, [
            'history_dsn: "host=%s port=%d dbname=drillhist user=postgres"'
            % (s.socket_dir, s.pg_port)])))
        first = start_bootstrap(s, config, s.path("d1"), "first.log")
        s.wait_for_log("first.log", r"consistent recovery state reached", 120, alive=first)
        running = s.report()
        second = s.bootstrap(config, s.path("d2"))
        expect_equal(second.returncode, 3, "exit code of the second bootstrap")
        expect("another pgdrill" in second.stderr, "says why", second.stderr[-2000:])
        expect_equal(s.report()["test_id"], running["test_id"], "the running drill's report")
        expect(not os.path.exists(s.path("d2")), "the second bootstrap restored")
        expect_equal(s.psql("SELECT count(*) FROM _pgdrill.marker WHERE test_id <> '%s'"
                            % running["test_id"]), "0", "the second bootstrap wrote a marker")

        stopped = time.monotonic()
        first.send_signal(signal.SIGTERM)
        rc = first.wait(60)
        r = s.report()
        expect_equal(rc, 3, "exit code after SIGTERM\n" + tail(s.path("first.log")))
        expect_equal(r["error"]["class"], "interrupted", "error.class")
        expect(time.monotonic() - stopped < 20, "SIGTERM took %.0f s" % (time.monotonic() - stopped))
        expect_equal(history_rows(s, r["test_id"])[-1], "inconclusive:interrupted",
                     "terminal history row after SIGTERM")
        wait_gone(s, s.path("d1"), 5, "the private postmaster to stop")


@scenario
def fault_datadir_full():
    """The restore host's disk is full: restore_host_error, inconclusive, not a page."""
    if not IS_ROOT:
        print("skipped: mounting a small file system needs root (CI runs as root)")
        return
    with Stack("full") as s:
        s.install_pgdrill()
        before = repo_listing(s)
        mount = s.mkdir("small", mode=0o755)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", mount],
                       check=True, timeout=30)
        try:
            shutil.chown(mount, "postgres", "postgres")
            p = s.bootstrap(s.pgdrill_config(), os.path.join(mount, "data"))
            r = s.report()
            expect_outcome(p, r, 3, "restore_host_error")
            # pgBackRest names the errno only sometimes; then pgdrill asks the file system
            expect("is full" in r["error"]["message"] or
                   "No space left on device" in r["error"]["message"], "says so", r["error"])
            wait_gone(s, mount, 5, "pgBackRest to be gone")
        finally:
            subprocess.run(["umount", "-l", mount], timeout=30)
        assert_repo_untouched(s, before)


@scenario
def fault_source_restarts_during_archive_wait():
    """The source restarts while bootstrap waits for the archiver: it connects again."""
    with Stack("restart") as s:
        s.install_pgdrill()
        command = s.psql("SHOW archive_command")
        s.psql("ALTER SYSTEM SET archive_command = '%s'"
               % ("sleep 3 && " + command).replace("'", "''"))
        s.psql("SELECT pg_reload_conf()")
        p = start_bootstrap(s, s.pgdrill_config(), s.path("drill"), "bootstrap.log")
        s.wait_for_log("bootstrap.log", r"waiting for WAL segment", 60, alive=p)
        run([PG_BIN + "/pg_ctl", "-D", s.path("source"), "-l", s.path("source.log"), "-w",
             "-m", "fast", "restart"], env=s.env, timeout=120)
        rc = p.wait(300)
        log = open(s.path("bootstrap.log")).read()
        expect_equal(rc, 0, "exit code\n" + tail(s.path("bootstrap.log")))
        expect("connected to the source again" in log, "reconnected", log[-3000:])
        expect_equal(s.report()["phase"], "restored", "phase")
