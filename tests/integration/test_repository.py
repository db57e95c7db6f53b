"""Dead or only slow: a repository that dies during the restore or the replay ends the drill
as repository_unreachable within pgbackrest.dead_after plus two probe timeouts, with the
probe's error quoted and nothing left running; a repository that pauses for less than
dead_after, or that sends at a trickle, never ends a drill early. dead_after is lowered here
so that the scenarios stay short; scripts/bench-dead-repository.py measures the defaults."""
import os
import re
import signal
import sys
import time

from drillstack import (HERE, Stack, expect, expect_equal, free_port, processes_mentioning,
                        scenario, tail)
from test_faults import assert_repo_untouched, repo_listing, start_bootstrap, wait_gone
from test_replay import make_window

# bootstrap/repo_watch.h: a probe is killed after 15 s; a dead repository ends the drill
# within dead_after plus two of them.
PROBE_TIMEOUT = 15
DEFAULT_DEAD_AFTER = 60
# pgBackRest's words for a refused connection, as the probe quotes them
REFUSED = r"ERROR: \[049\]: unable to connect to '[^']+': \[111\] Connection refused"


def with_dead_after(seconds, edit=None):
    """An edit of pgdrill.yml that sets pgbackrest.dead_after (None: the default) and does
    whatever edit does."""
    def change(text):
        if seconds is not None:
            text = text.replace("  options: []", "  options: []\n  dead_after: %ds" % seconds)
        return edit(text) if edit else text
    return change


def s3rver(s):
    return [proc for kind, proc in s.daemons if kind == "s3rver"][0]


def big_table(s, rows):
    """About 250 bytes a row of text (md5 hex, partly repeated): a restore of a few seconds."""
    s.psql("CREATE TABLE big AS SELECT g, md5(g::text) || md5((g * 7)::text)"
           " || md5((g * 13)::text) || repeat(md5(g::text), 4) AS pad"
           " FROM generate_series(1, %d) g" % rows)


def incompressible_table(s, rows):
    """128 bytes a row that no compression shrinks (md5 digests as bytes): rows * 128 bytes
    to transfer from the repository."""
    s.psql("CREATE TABLE big AS SELECT g, decode(" + " || ".join(
        "md5((g * %d)::text)" % k for k in (1, 3, 5, 7, 11, 13, 17, 19)) + ", 'hex') AS pad"
        " FROM generate_series(1, %d) g" % rows)


def probes(s):
    """The drill's probes running now: pgbackrest repo-ls with this stack's configuration."""
    found = []
    for pid in processes_mentioning(s.pgbackrest_conf):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if b"\0repo-ls\0" in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


def drill_processes(s, datadir):
    """What of a drill could be left running: pgBackRest's restore or archive-get (their
    command lines hold the data directory or the spool), the private postmaster, a probe."""
    return (processes_mentioning(datadir) + processes_mentioning(s.path("state", "wal-spool"))
            + probes(s))


def pgbackrest_defaults(s):
    """The stack's pgbackrest.conf without its io-timeout of 20 s: pgBackRest's default, 60 s
    (for measuring the defaults)."""
    text = open(s.pgbackrest_conf).read().replace("io-timeout=20\n", "")
    s.write("pgbackrest.conf", text, mode=0o640)


def expect_dead_verdict(s, p, log, datadir, took, dead_after, before, phase):
    """repository_unreachable within the bound, the probe's error quoted, nothing left."""
    rc = p.wait(60)
    r = s.report()
    bound = (dead_after or DEFAULT_DEAD_AFTER) + 2 * PROBE_TIMEOUT
    expect_equal(rc, 3, "exit code\n" + tail(s.path(log)))
    expect_equal(r["error"]["class"], "repository_unreachable", "error.class")
    expect(re.search(REFUSED, r["error"]["message"]), "the probe's error is quoted", r["error"])
    expect(took <= bound, "%s: the verdict came %.0f s after the repository died, more than "
           "dead_after + 2 probe timeouts (%d s)" % (phase, took, bound), tail(s.path(log), 60))
    wait_gone(s, datadir, 10, "the drill's processes to stop")
    expect(not drill_processes(s, datadir), "processes of the drill are left",
           drill_processes(s, datadir))
    expect(not os.path.exists(s.path("state", "wal-spool")), "the spool directory is left")
    assert_repo_untouched(s, before)
    print("%s: repository_unreachable %.1f s after the repository died (bound %d s)"
          % (phase, took, bound))
    return r


def dead_during_restore(dead_after, defaults=False):
    """S3 killed mid-restore; the seconds from the kill to the verdict (checked). dead_after
    None and defaults: pgdrill's and pgBackRest's defaults (scripts/bench-dead-repository.py)."""
    with Stack("deadrestore") as s:
        s.install_pgdrill()
        big_table(s, 100000)
        s.backup()
        if defaults:
            pgbackrest_defaults(s)
        before = repo_listing(s)
        config = s.pgdrill_config(edit=with_dead_after(dead_after))
        datadir = s.path("drill")
        p = start_bootstrap(s, config, datadir, "bootstrap.log")
        s.wait_for_log("bootstrap.log", r"restore progress: ", 120, alive=p)
        s3rver(s).kill()
        died = time.monotonic()
        while p.poll() is None and time.monotonic() - died < 300:
            time.sleep(0.2)
        took = time.monotonic() - died
        r = expect_dead_verdict(s, p, "bootstrap.log", datadir, took, dead_after, before,
                                "restore")
        expect("pgbackrest restore wrote nothing for" in r["error"]["message"], "says what stood "
               "still", r["error"])
        expect(r["backup"]["label"], "the backup set being restored is named", r["backup"])
        log = open(s.path("bootstrap.log")).read()
        expect(re.search(r"repository probe failed: " + REFUSED + r"; giving up in \d+ s", log),
               "the first failed probe is logged with the time left", tail(s.path("bootstrap.log")))
        # the source's archiver retries the dead repository: a fast shutdown would wait for it
        s.stop_postgres(s.path("source"), mode="immediate")
        return took


@scenario
def repository_dead_during_restore():
    """S3 killed while pgBackRest copies files (pgBackRest itself would retry for minutes:
    the stack's io-timeout is 20 s), dead_after 10 s: repository_unreachable within
    dead_after + 2 probe timeouts, the probe's error quoted, the restore stopped, the
    repository untouched."""
    dead_during_restore(10)


def dead_during_replay(dead_after, defaults=False):
    """S3 stalled then killed during the asynchronous fetch; the seconds from the stall to
    the verdict (checked). dead_after and defaults as in dead_during_restore."""
    with Stack("deadreplay") as s:
        s.install_pgdrill()
        test_id, target = make_window(s, 180000)
        if defaults:
            pgbackrest_defaults(s)
        before = repo_listing(s)
        config = s.pgdrill_config(edit=with_dead_after(dead_after, lambda t: t.replace(
            "wal_prefetch: 1GB", "wal_prefetch: 64MB")))
        datadir = s.path("drill")
        spool = s.path("state", "wal-spool")
        p = start_bootstrap(s, config, datadir, "bootstrap.log", "--test-id=" + test_id,
                            "--target-time=" + target)
        s.wait_for_log("bootstrap.log", r"in the archive asynchronously", 120, alive=p)
        s3rver(s).send_signal(signal.SIGSTOP)
        died = time.monotonic()
        time.sleep(2)
        expect(processes_mentioning(spool), "no pgBackRest process fetches into the spool "
               "directory while the repository is stalled: the test proves nothing",
               tail(s.path("bootstrap.log")))
        s3rver(s).kill()
        while p.poll() is None and time.monotonic() - died < 600:
            time.sleep(0.2)
        took = time.monotonic() - died
        r = expect_dead_verdict(s, p, "bootstrap.log", datadir, took, dead_after, before,
                                "replay")
        expect("replay" in r["error"]["message"], "says that replay stood still", r["error"])
        expect_equal(r["phase"], "recovery", "phase")
        return took


@scenario
def repository_dead_during_replay():
    """S3 stops answering (SIGSTOP), then dies (SIGKILL), while the asynchronous archive-get
    fetches WAL that replay still needs (a queue of 4 segments, a window of about 12),
    dead_after 10 s: repository_unreachable within the bound (not target_not_reached:
    PostgreSQL takes the failing archive-get for the end of the archive), the private
    postmaster and the archive-get stopped, the repository untouched."""
    dead_during_replay(10)


@scenario
def repository_paused_shorter_than_dead_after():
    """S3 paused (SIGSTOP) for 16 s mid-restore, dead_after 20 s: probes fail during the
    pause, the progress line counts down, the first answer after SIGCONT resets the clock, and
    the drill passes."""
    with Stack("paused") as s:
        s.install_pgdrill()
        big_table(s, 100000)
        s.backup()
        config = s.pgdrill_config(edit=with_dead_after(20))
        p = start_bootstrap(s, config, s.path("drill"), "bootstrap.log")
        s.wait_for_log("bootstrap.log", r"restore progress: ", 120, alive=p)
        s3rver(s).send_signal(signal.SIGSTOP)
        try:
            time.sleep(16)
        finally:
            s3rver(s).send_signal(signal.SIGCONT)
        rc = p.wait(300)
        log = open(s.path("bootstrap.log")).read()
        expect_equal(rc, 0, "exit code\n" + tail(s.path("bootstrap.log"), 60))
        expect_equal(s.report()["phase"], "restored", "phase")
        expect(re.search(r"repository probe failed: ERROR: \[\d+\]: .*; giving up in \d+ s unless "
                         r"a probe succeeds", log), "a probe failed during the pause", log[-5000:])
        expect(re.search(r"restore progress: nothing written for \d+ s \(at [0-9.]+% of the backup "
                         r"set\); probing the repository since \d\d:\d\d:\d\d UTC: [1-9]\d* of "
                         r"\d+ probes failed \(last: ERROR: .*\); giving up in \d+ s unless a "
                         r"probe succeeds", log), "the progress line counts down", log[-5000:])
        # whichever comes first after SIGCONT: a probe's answer or bytes written
        expect(re.search(r"the repository answers again \(after \d+ failed probes?\)|progress "
                         r"again after \d+ s: the repository is alive \([1-9]\d* of \d+ probes "
                         r"had failed\)", log), "the repository answered after SIGCONT",
               log[-5000:])


def start_throttle(s, rate):
    """A rate-limiting proxy in front of s3rver (tests/integration/throttle.py) and a
    pgBackRest configuration for the drill that goes through it. Returns that file."""
    port = free_port()
    s.start_daemon("throttle", [sys.executable, os.path.join(HERE, "throttle.py"), str(port),
                                str(s.s3_port), str(rate)], "throttle.log", as_db_user=False)
    s.wait_for_log("throttle.log", r"listening on", 30)
    text = open(s.pgbackrest_conf).read().replace("repo1-storage-port=%d" % s.s3_port,
                                                  "repo1-storage-port=%d" % port)
    return s.write("pgbackrest-throttled.conf", text, mode=0o640)


@scenario
def repository_throttled():
    """A repository sending at 2 MB/s (a local rate-limiting proxy; TLS passes through) and
    dead_after 10 s: the restore takes several times dead_after and the drill passes. One
    restore process, so the biggest file (51 MB) comes alone and first: pgBackRest says
    nothing for over 20 s, while bytes keep arriving, so pgdrill never even has to probe."""
    with Stack("throttled") as s:
        s.install_pgdrill()
        incompressible_table(s, 400000)  # 51 MB: about 26 s at 2 MB/s
        s.backup()
        conf = start_throttle(s, 2 * 1000 * 1000)
        config = s.pgdrill_config(edit=with_dead_after(10, lambda t: t.replace(
            s.pgbackrest_conf, conf).replace("  options: []", "  process_max: 1\n  options: []")))
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir, "--verbose", timeout=600)
        r = s.report()
        expect_equal(p.returncode, 0, "exit code\n" + p.stderr[-5000:])
        restore = r["timings"]["restore"]
        expect(restore > 2 * 10, "the throttled restore took %.1f s, not several times "
               "dead_after: the test proves nothing" % restore)
        expect("nothing written for" not in p.stderr and "repository probe" not in p.stderr,
               "pgdrill took the slow restore for a stalled one",
               "\n".join(line for line in p.stderr.splitlines()
                         if "nothing written" in line or "repository probe" in line))
        port = s.start_restored(datadir)
        v = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port))
        expect_equal(v.returncode, 0, "verify's exit code\n" + v.stderr[-3000:])
        expect_equal(s.report()["verdict"], "passed", "verdict")
        print("throttled restore: %.1f s at 2 MB/s (dead_after 10 s)" % restore)
