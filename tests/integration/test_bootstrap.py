"""pgdrill-bootstrap against the real stack: the happy path by hand and every failure class
injected into a real backup. Each scenario asserts the exit code and error.class."""
import glob
import os
import re
import signal
import subprocess
import time

from drillstack import (PG_BIN, SOURCE_PASSWORD, Stack, as_user, expect, expect_equal,
                        expect_outcome, processes_mentioning, run, scenario, tail)

MARKER_SQL = "SELECT count(*) FROM _pgdrill.marker WHERE test_id = '%s' AND kind = '%s'"


def assert_no_timeline2_in_repo(s):
    """A drill never writes into the repository: no history file, no WAL of timeline 2."""
    leaked = s.repo_files(r"archive/.*/0000000[2-9]")
    expect(not leaked, "the drill wrote into the repository", leaked)


def assert_promoted_and_clean(s, datadir):
    ctl = run([PG_BIN + "/pg_controldata", datadir], env=dict(s.env, LC_ALL="C")).stdout
    expect("Database cluster state:               shut down" in ctl, "not shut down", ctl)
    expect("Latest checkpoint's TimeLineID:       2" in ctl, "not on timeline 2", ctl)
    for f in ("recovery.signal", "standby.signal", "postmaster.pid"):
        expect(not os.path.exists(os.path.join(datadir, f)), "%s left behind" % f)
    auto = open(os.path.join(datadir, "postgresql.auto.conf")).read()
    expect("restore_command" not in auto and "recovery_target" not in auto,
           "recovery settings left in postgresql.auto.conf", auto)
    expect("archive_mode = 'off'" in auto, "archive_mode = 'off' missing", auto)
    expect(not processes_mentioning(datadir), "a process of the drill survived",
           processes_mentioning(datadir))


@scenario
def bootstrap_happy_by_hand():
    with Stack("happy") as s:
        s.install_pgdrill()
        config = s.pgdrill_config()
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir)
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal(r["schema"], "pgdrill.report/v1", "schema")
        expect_equal(r["verdict"], "running", "verdict after bootstrap (verify decides)")
        expect_equal(r["phase"], "restored", "phase")
        expect_equal(r["backup"]["type"], "full", "backup.type")
        expect(r["backup"]["label"].endswith("F"), "backup.label", r["backup"])
        for t in ("inject", "archive_wait", "restore", "recovery"):
            expect(isinstance(r["timings"].get(t), (int, float)), "timing %s missing" % t, r)
        assert_promoted_and_clean(s, datadir)
        assert_no_timeline2_in_repo(s)
        # The restored instance holds the marker and not the fence; the source holds both.
        port = s.start_restored(datadir)
        expect_equal(s.psql(MARKER_SQL % (r["test_id"], "marker"), port=port), "1", "marker")
        expect_equal(s.psql(MARKER_SQL % (r["test_id"], "fence"), port=port), "0", "fence")
        expect_equal(s.psql(MARKER_SQL % (r["test_id"], "fence")), "1", "fence on the source")
        # PUBLIC has no privileges on the bookkeeping table
        expect_equal(s.psql("SELECT has_table_privilege('public', '_pgdrill.marker', 'SELECT')"
                            " OR has_schema_privilege('public', '_pgdrill', 'USAGE')"), "f",
                     "PUBLIC privileges")
        # a progress line while restoring (not a line pgBackRest prints anyway)
        expect(re.search(r"INFO: restore progress: [0-9.]+% of the backup set copied", p.stderr),
               "restore progress not logged")


@scenario
def bootstrap_scheduler_marker():
    """A scheduler already wrote the marker: bootstrap must not touch the source."""
    with Stack("sched") as s:
        s.install_pgdrill()
        target = s.scheduler_marker("sched-1")
        rows_before = s.psql("SELECT count(*) FROM _pgdrill.marker")
        # the environment variables, as a pod spec would set them
        config = s.pgdrill_config(edit=lambda t: t.replace(
            "host=127.0.0.1", "host=127.0.0.1 connect_timeout=1 port=1 dbname=unreachable"))
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir, env=s.drill_env(PGDRILL_TEST_ID="sched-1",
                                                         PGDRILL_TARGET_TIME=target))
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal(r["test_id"], "sched-1", "test_id")
        expect_equal(r["target_time"], target, "target_time")
        expect("inject" not in r["timings"], "bootstrap injected although a marker was given")
        expect_equal(s.psql("SELECT count(*) FROM _pgdrill.marker"), rows_before, "source rows")
        port = s.start_restored(datadir)
        expect_equal(s.psql(MARKER_SQL % ("sched-1", "marker"), port=port), "1", "marker")
        expect_equal(s.psql(MARKER_SQL % ("sched-1", "fence"), port=port), "0", "fence")


@scenario
def bootstrap_wal_missing_then_attempt_guard():
    with Stack("walmiss") as s:
        s.install_pgdrill()
        s.psql("INSERT INTO orders (id, customer) SELECT g, 'late' FROM generate_series(10001, 12000) g")
        seg = s.switch_wal_and_wait()
        gone = s.repo_files(r"archive/orders/.*/%s-" % seg)
        expect(gone, "segment %s not in the repository" % seg)
        for f in gone:
            os.remove(f)
        config = s.pgdrill_config()
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir)
        r = s.report()
        expect_outcome(p, r, 1, "wal_missing")
        expect_equal(r["verdict"], "failed", "verdict")
        expect(seg in r["error"]["message"], "the missing segment is named", r["error"])
        expect(not processes_mentioning(datadir), "a process of the drill survived")

        # Kubernetes restarts the container; Patroni renamed the data directory aside.
        os.rename(datadir, datadir + ".failed")
        markers_before = s.psql("SELECT count(*) FROM _pgdrill.marker")
        p = s.bootstrap(config, datadir)
        r2 = s.report()
        expect_outcome(p, r2, 1, "given_up")
        expect_equal(r2["test_id"], r["test_id"], "same drill")
        expect_equal(r2["previous_error"]["class"], "wal_missing", "previous_error kept")
        expect_equal(r2["attempts"], 2, "attempts")
        expect_equal(s.psql("SELECT count(*) FROM _pgdrill.marker"), markers_before,
                     "no new marker written")
        expect(not os.path.exists(datadir) or not os.listdir(datadir), "restored again")
        expect("pgbackrest restore" not in p.stderr, "restore ran again")


@scenario
def bootstrap_corrupt_backup_file():
    with Stack("corrupt") as s:
        s.install_pgdrill()
        # the largest file of the backup set is the orders table's data: flip bytes in it
        files = s.repo_files(r"backup/orders/\d{8}-\d{6}F/pg_data/base/.*_S3rver_object$")
        expect(files, "no backup files found")
        victim = max(files, key=os.path.getsize)
        with open(victim, "r+b") as f:
            f.seek(os.path.getsize(victim) // 2)
            f.write(b"\xde\xad\xbe\xef" * 64)
        p = s.bootstrap(s.pgdrill_config(), s.path("drill"))
        r = s.report()
        expect_outcome(p, r, 1, "restore_failed")
        expect("ERROR: [" in r["error"]["message"], "pgBackRest's error line is quoted", r["error"])
        assert_no_timeline2_in_repo(s)


@scenario
def bootstrap_refusals():
    """Target before every backup, unreachable source, non-empty data directory."""
    with Stack("refuse") as s:
        s.install_pgdrill()
        config = s.pgdrill_config()

        p = s.bootstrap(config, s.path("d1"), "--test-id=early",
                        "--target-time=2001-01-01 00:00:00+00")
        expect_outcome(p, s.report(), 1, "no_backup")
        os.remove(s.path("state", "report.json"))

        unreachable = s.pgdrill_config("unreachable.yml", edit=lambda t: t.replace(
            "port=%d" % s.pg_port, "port=1"))
        p = s.bootstrap(unreachable, s.path("d2"))
        expect_outcome(p, s.report(), 3, "source_unreachable")
        expect_equal(s.report()["verdict"], "inconclusive", "verdict")
        os.remove(s.path("state", "report.json"))

        full = s.mkdir("d3")
        s.write("d3/keep-me", "precious")
        p = s.bootstrap(config, full)
        expect_equal(p.returncode, 2, "exit code for a non-empty data directory")
        expect("not empty" in p.stderr, "message names the problem", p.stderr)
        expect_equal(os.listdir(full), ["keep-me"], "data directory untouched")
        expect_equal(open(os.path.join(full, "keep-me")).read(), "precious", "content untouched")
        expect(not os.path.exists(s.path("state", "report.json")), "a refused run wrote a report")

        # RFC 3339's spelling: PostgreSQL would take it, pgBackRest would not (a false failure)
        p = s.bootstrap(config, s.path("d4"), "--test-id=iso",
                        "--target-time=2026-11-24T18:20:37Z")
        expect_equal(p.returncode, 2, "exit code for a target time pgBackRest cannot read")
        expect("numeric UTC offset" in p.stderr, "message says how to write it", p.stderr)
        expect(not os.path.exists(s.path("state", "report.json")), "a refused run wrote a report")


@scenario
def bootstrap_archive_command_failing():
    with Stack("archfail") as s:
        s.install_pgdrill()
        s.psql("ALTER SYSTEM SET archive_command = '/bin/false'")
        s.psql("SELECT pg_reload_conf()")
        time.sleep(0.5)
        config = s.pgdrill_config(edit=lambda t: t.replace("archive_timeout: 2m", "archive_timeout: 60s"))
        started = time.monotonic()
        p = s.bootstrap(config, s.path("drill"))
        r = s.report()
        expect_outcome(p, r, 1, "archive_stalled")
        expect(r["archive"]["last_failed_wal"] not in ("", "(none)"), "last_failed_wal", r)
        expect(time.monotonic() - started < 50, "the stuck archiver was detected before the timeout")
        expect(not os.path.exists(s.path("drill")) or not os.listdir(s.path("drill")),
               "restored although the marker was never archived")
        s.psql("ALTER SYSTEM RESET archive_command")
        s.psql("SELECT pg_reload_conf()")


@scenario
def bootstrap_hostile_names():
    schema = 'drill "ops"; DROP TABLE orders; --'
    table = "mark'er; tab\\le"
    with Stack("hostile") as s:
        s.install_pgdrill()
        config = s.pgdrill_config(edit=lambda t: t.replace(
            "schema: _pgdrill", "schema: '%s'" % schema.replace("'", "''")).replace(
            "table: marker", "table: '%s'" % table.replace("'", "''")))
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir)
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal(s.psql("SELECT count(*) FROM orders"), "5000", "orders untouched")
        qualified = '"%s"."%s"' % (schema.replace('"', '""'), table.replace('"', '""'))
        port = s.start_restored(datadir)
        expect_equal(s.psql("SELECT kind FROM %s WHERE test_id = '%s'" % (qualified, r["test_id"]),
                            port=port), "marker", "marker under the hostile names")


@scenario
def bootstrap_password_never_printed():
    """A password in source.dsn must not reach any output, report or file."""
    with Stack("secret") as s:
        s.install_pgdrill()
        for uri in (False, True):
            dsn_line = re.search(r'dsn: ".*"', open(s.pgdrill_config()).read()).group(0)
            config = s.pgdrill_config(edit=lambda t: t.replace(
                dsn_line, 'dsn: "%s"' % s.source_dsn(with_password=True, uri=uri)))
            expect(SOURCE_PASSWORD in open(config).read(), "the test must use a password DSN")
            datadir = s.path("drill-%s" % uri)
            env = s.drill_env()
            p = s.bootstrap(config, datadir, "--verbose", env=env)
            expect_equal(p.returncode, 0, "exit code")
            # also a failing connection (its error message quotes the target)
            bad = s.pgdrill_config("bad.yml", edit=lambda t: t.replace(
                dsn_line, 'dsn: "%s"' % s.source_dsn(with_password=True, uri=uri).replace(
                    str(s.pg_port), "1")))
            os.rename(s.path("state", "report.json"), s.path("state", "report-%s.json" % uri))
            p2 = s.bootstrap(bad, s.path("drill-bad-%s" % uri), env=env)
            expect_equal(p2.returncode, 3, "exit code, unreachable")
            os.rename(s.path("state", "report.json"), s.path("state", "report-bad-%s.json" % uri))
            for text in (p.stdout, p.stderr, p2.stdout, p2.stderr):
                expect(SOURCE_PASSWORD not in text, "the password was printed")
        for path in glob.glob(s.path("state", "*")):
            expect(SOURCE_PASSWORD not in open(path, errors="replace").read(),
                   "the password is in %s" % path)
        for uri in (False, True):
            message = open(s.path("state", "report-bad-%s.json" % uri)).read()
            expect("password=********" in message, "the redacted DSN is shown", message)


@scenario
def bootstrap_sigterm_is_inconclusive():
    """SIGTERM in the middle of a drill kills the children, says inconclusive, exits 3."""
    with Stack("sigterm") as s:
        s.install_pgdrill()
        # a long recovery: a scheduler target an hour ahead makes replay wait for more WAL
        config = s.pgdrill_config()
        datadir = s.path("drill")
        log = open(s.path("bootstrap.log"), "w")
        proc = subprocess.Popen(as_user([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                                         "--datadir=" + datadir]),
                                stdout=log, stderr=subprocess.STDOUT, env=s.drill_env())
        s.wait_for_log("bootstrap.log", r"phase: restore", 60)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(60)
        expect_equal(rc, 3, "exit code after SIGTERM\n" + tail(s.path("bootstrap.log")))
        r = s.report()
        expect_equal(r["verdict"], "inconclusive", "verdict")
        expect_equal(r["error"]["class"], "interrupted", "error.class")
        time.sleep(0.5)
        expect(not processes_mentioning(datadir), "a child survived SIGTERM",
               processes_mentioning(datadir))


@scenario
def bootstrap_progress_and_recovery_settings():
    """recovery.settings reach the private instance; a slow replay logs progress every <= 5 s."""
    with Stack("progress") as s:
        s.install_pgdrill()
        # Each commit is replayed no earlier than 12 s after it happened: a replay that waits.
        config = s.pgdrill_config(edit=lambda t: t.replace(
            "    shared_buffers: 128MB", "    shared_buffers: 128MB\n    recovery_min_apply_delay: 12s"))
        started = time.monotonic()
        p = s.bootstrap(config, s.path("drill"))
        elapsed = time.monotonic() - started
        expect_equal(p.returncode, 0, "exit code")
        expect(elapsed >= 10, "recovery_min_apply_delay was not applied (%.1fs)" % elapsed)
        lines = [line for line in p.stderr.splitlines() if "replay progress:" in line]
        expect(len(lines) >= 1, "no replay progress line during a %.0fs replay" % elapsed)
        expect(len(lines) <= elapsed / 5 + 1, "progress more often than every 5 s", lines)
        expect("target %s" % s.report()["target_time"] in lines[-1], "progress names the target",
               lines[-1])


@scenario
def bootstrap_target_not_reached_and_timeout():
    with Stack("notreached") as s:
        s.install_pgdrill()
        config = s.pgdrill_config()
        # a scheduler's target an hour ahead: the archive ends long before it
        future = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(time.time() + 3600))
        p = s.bootstrap(config, s.path("d1"), "--test-id=future", "--target-time=" + future)
        r = s.report()
        expect_outcome(p, r, 1, "target_not_reached")
        expect(not processes_mentioning(s.path("d1")), "a process of the drill survived")
        os.remove(s.path("state", "report.json"))

        # replay that cannot finish within recovery.timeout: each commit waits 60 s
        slow = s.pgdrill_config("slow.yml", edit=lambda t: t.replace("timeout: 2h", "timeout: 10s")
                                .replace("    shared_buffers: 128MB",
                                         "    shared_buffers: 128MB\n"
                                         "    recovery_min_apply_delay: 60s"))
        started = time.monotonic()
        p = s.bootstrap(slow, s.path("d2"))
        r = s.report()
        expect_outcome(p, r, 3, "timeout")
        expect_equal(r["verdict"], "inconclusive", "verdict")
        expect(time.monotonic() - started < 45, "recovery.timeout was not enforced")
        expect(not processes_mentioning(s.path("d2")), "postgres survived the timeout")


@scenario
def bootstrap_recovery_failed():
    """Any other start-up failure is classified from the server log, quoting the FATAL line."""
    with Stack("recfail") as s:
        s.install_pgdrill()
        config = s.pgdrill_config(edit=lambda t: t.replace(
            "    shared_buffers: 128MB",
            "    shared_buffers: 128MB\n    shared_preload_libraries: pgdrill_no_such_library"))
        p = s.bootstrap(config, s.path("drill"))
        r = s.report()
        expect_outcome(p, r, 1, "recovery_failed")
        expect("FATAL" in r["error"]["message"] and "pgdrill_no_such_library" in r["error"]["message"],
               "the FATAL line is quoted", r["error"])


@scenario
def bootstrap_source_refusals():
    """A standby as source, and a source that does not archive, are refused before any restore."""
    with Stack("srcrefuse") as s:
        s.install_pgdrill()
        standby = s.path("standby")
        run([PG_BIN + "/pg_basebackup", "-D", standby, "-R", "-h", s.socket_dir,
             "-p", str(s.pg_port), "-U", "postgres", "-X", "stream"], env=s.env)
        standby_port = s.start_restored(standby, "-c listen_addresses=127.0.0.1")
        config = s.pgdrill_config(edit=lambda t: t.replace("port=%d" % s.pg_port,
                                                           "port=%d" % standby_port))
        p = s.bootstrap(config, s.path("d1"))
        expect_outcome(p, s.report(), 3, "source_not_primary")
        expect(not os.path.exists(s.path("d1")) or not os.listdir(s.path("d1")), "restored anyway")
        s.stop_postgres(standby)
        os.remove(s.path("state", "report.json"))

        # -l: without a log file the postmaster would keep our output pipe open
        run([PG_BIN + "/pg_ctl", "-D", s.path("source"), "-l", s.path("source.log"), "-w",
             "-m", "fast", "-o", "-c archive_mode=off", "restart"], env=s.env)
        p = s.bootstrap(s.pgdrill_config(), s.path("d2"))
        expect_outcome(p, s.report(), 1, "archiving_off_on_source")
        expect_equal(s.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgdrill'"), "0",
                     "nothing written on a source that cannot be restored to a point in time")
