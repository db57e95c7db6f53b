"""pgdrill-verify against restored instances: each check's failure class."""
import os

from drillstack import Stack, expect, expect_equal, expect_outcome, scenario


def restored(s, *bootstrap_args):
    """A drill by hand up to a successful bootstrap; returns the configuration used."""
    s.install_pgdrill()
    config = s.pgdrill_config()
    p = s.bootstrap(config, s.path("drill"), *bootstrap_args)
    expect_equal(p.returncode, 0, "bootstrap exit code")
    return config


def verify_restored(s, config, start_options=""):
    """Start the restored instance as Patroni would and run verify; (process, report)."""
    port = s.start_restored(s.path("drill"), start_options)
    p = s.verify(config, conninfo(s, port))
    return p, s.report()


def conninfo(s, port):
    return "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, port)


def check(report, name):
    return [c for c in report["checks"] if c["name"] == name][0]


@scenario
def verify_schema_dump_failed():
    with Stack("dumpfail") as s:
        s.psql("CREATE DATABASE inventory")
        s.psql("CREATE TABLE broken (id int); SET allow_system_table_mods = on;"
               " UPDATE pg_class SET relnamespace = 424242 WHERE oid = 'broken'::regclass",
               db="inventory")
        s.backup()
        p, r = verify_restored(s, restored(s))
        expect_outcome(p, r, 1, "schema_dump_failed")
        expect_equal(r["verdict"], "failed", "verdict")
        detail = check(r, "schema_dump")["detail"]
        expect("database inventory" in detail and "error" in detail, "names the database", detail)
        expect("database postgres" not in detail, "only the broken database failed", detail)
        expect_equal(check(r, "marker")["status"], "passed", "marker check")


@scenario
def verify_archiving_enabled():
    with Stack("archon") as s:
        p, r = verify_restored(s, restored(s),
                               "-c archive_mode=on -c archive_command=/usr/bin/false")
        expect_outcome(p, r, 1, "archiving_enabled")
        expect_equal(check(r, "archiving_off")["status"], "failed", "archiving_off check")


@scenario
def verify_marker_missing():
    """A scheduler-given target before the marker: recovery stops before it."""
    with Stack("nomarker") as s:
        target = s.scheduler_marker("late", target_before_marker=True)
        p, r = verify_restored(s, restored(s, "--test-id=late", "--target-time=" + target))
        expect_outcome(p, r, 1, "marker_missing")
        expect_equal(check(r, "fence")["status"], "passed", "fence check")


@scenario
def verify_report_missing_or_unreadable():
    with Stack("noreport") as s:
        config = restored(s)
        port = s.start_restored(s.path("drill"))
        report = s.path("state", "report.json")
        with open(report, "w") as f:
            f.write("{ not json")
        p = s.verify(config, conninfo(s, port))
        expect_equal(p.returncode, 3, "exit code, unreadable report")
        expect("not valid JSON" in p.stderr, "clear error", p.stderr[-2000:])
        expect_equal(open(report).read(), "{ not json", "an unreadable report is left as evidence")
        os.remove(report)
        p = s.verify(config, conninfo(s, port))
        expect_equal(p.returncode, 3, "exit code, missing report")
        expect("no drill report" in p.stderr, "clear error", p.stderr[-2000:])
        expect_equal(s.report()["verdict"], "inconclusive", "a fresh inconclusive report")


@scenario
def verify_fence_present():
    """A scheduler-given target after the fence: recovery overshoots the marker's fence."""
    with Stack("fence") as s:
        target = s.scheduler_marker("over", target_after_fence=True)
        p, r = verify_restored(s, restored(s, "--test-id=over", "--target-time=" + target))
        expect_outcome(p, r, 1, "fence_present")
        expect_equal(check(r, "marker")["status"], "passed", "marker check")


@scenario
def verify_no_database_to_dump():
    """Zero databases dumped proves nothing: schema_dump is not a pass then."""
    with Stack("nodb") as s:
        config = restored(s)
        port = s.start_restored(s.path("drill"))
        s.psql("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS false", db="template1", port=port)
        p = s.verify(config, "host=%s port=%d dbname=template1 user=postgres"
                     % (s.socket_dir, port))
        r = s.report()
        expect_equal(check(r, "schema_dump")["status"], "not_run", "schema_dump status")
        expect("no database to dump" in check(r, "schema_dump")["detail"], "says why",
               check(r, "schema_dump")["detail"])
        expect(r["verdict"] != "passed", "a drill that dumped nothing passed")
        expect_equal(p.returncode, 3, "exit code")
