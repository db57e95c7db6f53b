"""Replay at local speed: the private recovery fetches WAL ahead of replay (pgBackRest's
asynchronous archive-get, with a spool directory of the drill's own) and the report says how
much WAL was replayed and how fast. Each drill here is given its marker (--test-id,
--target-time) and the source is stopped before it, so nothing but the drill could touch
the repository."""
import json
import os
import re
import signal
import time
import uuid

from drillstack import Stack, expect, expect_equal, processes_mentioning, scenario, tail
from test_faults import assert_repo_untouched, repo_listing, start_bootstrap, wait_gone

SEGMENT = 16 * 1024 * 1024


def make_window(s, rows):
    """WAL after the backup from real changes (about 1 segment per 15000 rows), the marker
    after it; the source is stopped. Returns (test_id, target_time)."""
    s.psql("CREATE TABLE churn (id int PRIMARY KEY, pad text)")
    s.psql("INSERT INTO churn SELECT g, repeat(md5(g::text), 28) FROM generate_series(1, %d) g"
           % rows)
    test_id = str(uuid.uuid4())
    target = s.scheduler_marker(test_id)
    s.stop_postgres(s.path("source"))
    return test_id, target


def backup_wal_start(s):
    info = json.loads(s.pgbackrest("--output=json", "info").stdout)
    return info[0]["backup"][-1]["archive"]["start"]


def segment_range(first, last):
    """Segment names from first to last on one timeline (16 MB segments: 256 per log id)."""
    tli = first[:8]
    number = lambda name: int(name[8:16], 16) * 256 + int(name[16:], 16)
    return ["%s%08X%08X" % (tli, n // 256, n % 256)
            for n in range(number(first), number(last) + 1)]


def expect_replay_figures(report, log, wal_start, what):
    """The report's replay figures agree with the WAL the server log says it restored."""
    rec = report["recovery"]
    first, last = rec["wal_first_segment"], rec["wal_last_segment"]
    expect_equal(first, wal_start, "%s: wal_first_segment (the backup's WAL start)" % what)
    span = segment_range(first, last)
    expect_equal(rec["wal_segments"], len(span), "%s: wal_segments from %s to %s" % (what, first, last))
    restored = set(re.findall(r'restored log file "([0-9A-F]{24})" from archive', log))
    missing = [seg for seg in span if seg not in restored]
    expect(not missing, "%s: segments in the span the server never restored" % what, missing)
    expect((len(span) - 2) * SEGMENT < rec["wal_bytes"] <= len(span) * SEGMENT,
           "%s: wal_bytes %d does not fit %d segments" % (what, rec["wal_bytes"], len(span)))
    expect(rec["replay_seconds"] > 0, "%s: replay_seconds %r" % (what, rec["replay_seconds"]))
    rate = rec["wal_bytes"] / 1e6 / rec["replay_seconds"]
    expect(abs(rec["replay_mb_per_s"] - rate) <= max(0.01 * rate, 0.01),
           "%s: replay_mb_per_s %r, but wal_bytes / replay_seconds is %.3f MB/s"
           % (what, rec["replay_mb_per_s"], rate))


def config_with_state(s, name, state, edit=None):
    s.mkdir(state)

    def change(text):
        text = text.replace(s.path("state"), s.path(state))
        return edit(text) if edit else text
    return s.pgdrill_config(name=name, edit=change)


def read_report(s, state):
    with open(s.path(state, "report.json")) as f:
        return json.load(f)


@scenario
def replay_prefetch_on_and_off():
    """A window of 10+ segments replays with prefetch on (the default) and off; the figures
    match the WAL restored; the spool directory is gone; the repository is unchanged."""
    with Stack("replay") as s:
        s.install_pgdrill()
        test_id, target = make_window(s, 180000)
        wal_start = backup_wal_start(s)
        before = repo_listing(s)

        config = config_with_state(s, "on.yml", "state-on")
        p = s.bootstrap(config, s.path("d-on"), "--test-id=" + test_id, "--target-time=" + target)
        r = read_report(s, "state-on")
        expect_equal(p.returncode, 0, "exit code with prefetch\n" + p.stderr[-3000:])
        expect("in the archive asynchronously" in p.stderr,
               "WAL was not fetched asynchronously", p.stderr[-3000:])
        expect_replay_figures(r, p.stderr, wal_start, "prefetch on")
        expect(r["recovery"]["wal_segments"] >= 10,
               "the window is too short to prove anything: %d segments" % r["recovery"]["wal_segments"])
        # Queued segments are moved into place by the shell; pgBackRest runs for the first,
        # every 16th (to refill its queue) and the last one read again at the end.
        asked = re.findall(r"archive-get command begin [0-9.]+: \[([0-9A-F]{24}),", p.stderr)
        expect(0 < len(asked) <= r["recovery"]["wal_segments"] // 2,
               "pgBackRest ran for %d of %d segments: queued segments were not moved by the "
               "shell" % (len(asked), r["recovery"]["wal_segments"]), asked)
        # PostgreSQL reads the last segment again at the end: given from the spool's link.
        expect(asked.count(r["recovery"]["wal_last_segment"]) <= 1,
               "pgBackRest was asked twice for the last segment", asked)
        expect(not os.path.exists(s.path("state-on", "wal-spool")), "the spool directory is left")
        expect(not processes_mentioning(s.path("state-on", "wal-spool")),
               "a pgBackRest process of the spool directory is left")

        config = config_with_state(s, "off.yml", "state-off", edit=lambda t: t.replace(
            "wal_prefetch: 1GB", "wal_prefetch: off"))
        p = s.bootstrap(config, s.path("d-off"), "--test-id=" + test_id, "--target-time=" + target)
        off = read_report(s, "state-off")
        expect_equal(p.returncode, 0, "exit code without prefetch\n" + p.stderr[-3000:])
        expect("asynchronously" not in p.stderr, "prefetch off still fetched asynchronously",
               p.stderr[-3000:])
        expect_replay_figures(off, p.stderr, wal_start, "prefetch off")
        for field in ("wal_first_segment", "wal_last_segment", "wal_bytes"):
            expect_equal(off["recovery"][field], r["recovery"][field], "same span: " + field)

        expect_equal(repo_listing(s), before, "the repository after two drills")
        assert_repo_untouched(s, before)


def stop_during_stalled_fetch(s, stop, fetchers=None):
    """Start a drill, stall the repository (SIGSTOP to the S3 server) once WAL is fetched
    asynchronously, check that pgBackRest processes wait on it in the spool directory (those
    fetchers() returns: by default every process mentioning it), then call stop(bootstrap) and
    return what it returns; the repository answers again after."""
    test_id, target = make_window(s, 60000)
    spool = s.path("state", "wal-spool")
    fetchers = fetchers or (lambda: processes_mentioning(spool))
    p = start_bootstrap(s, s.pgdrill_config(), s.path("drill"), "bootstrap.log",
                        "--test-id=" + test_id, "--target-time=" + target)
    s3 = [proc for kind, proc in s.daemons if kind == "s3rver"][0]
    try:
        s.wait_for_log("bootstrap.log", r"in the archive asynchronously", 120, alive=p)
        # The repository stops answering: the fetcher and archive-get wait on it.
        s3.send_signal(signal.SIGSTOP)
        time.sleep(2)
        expect(fetchers(), "no pgBackRest process fetches into the spool "
               "directory while the repository is stalled: the test proves nothing",
               tail(s.path("bootstrap.log")))
        return stop(p)
    finally:
        s3.send_signal(signal.SIGCONT)


@scenario
def replay_sigterm_during_async_fetch():
    """SIGTERM while the asynchronous archive-get hangs on a stalled repository: the drill
    ends interrupted within seconds and no pgBackRest process of it is left."""
    with Stack("replaykill") as s:
        s.install_pgdrill()
        spool = s.path("state", "wal-spool")

        def sigterm(p):
            stopped = time.monotonic()
            p.send_signal(signal.SIGTERM)
            return p.wait(90), time.monotonic() - stopped
        rc, took = stop_during_stalled_fetch(s, sigterm)
        r = s.report()
        expect_equal(rc, 3, "exit code after SIGTERM\n" + tail(s.path("bootstrap.log")))
        expect_equal(r["error"]["class"], "interrupted", "error.class")
        expect(took < 30, "SIGTERM took %.0f s" % took)
        expect(not processes_mentioning(spool), "pgBackRest processes of the drill are left",
               processes_mentioning(spool), tail(s.path("bootstrap.log")))
        expect(not os.path.exists(spool), "the spool directory is left")
        wait_gone(s, s.path("drill"), 5, "the private postmaster to stop")


@scenario
def replay_sigkill_during_async_fetch():
    """kill -9 of bootstrap while the detached asynchronous archive-get hangs on a stalled
    repository: no pgBackRest process of the drill survives it (the detached fetcher is no
    child of bootstrap's; the archive-get stopper, waiting for bootstrap's death, stops it)."""
    with Stack("replaykill9") as s:
        s.install_pgdrill()
        spool = s.path("state", "wal-spool")

        def sigkill(p):
            p.send_signal(signal.SIGKILL)
            p.wait(30)
            deadline = time.monotonic() + 20
            while processes_mentioning(spool) and time.monotonic() < deadline:
                time.sleep(0.2)
            return processes_mentioning(spool)
        left = stop_during_stalled_fetch(s, sigkill)
        expect(not left, "pgBackRest processes of the drill outlived bootstrap's kill -9", left,
               tail(s.path("bootstrap.log")))
