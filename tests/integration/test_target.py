"""Past targets (recovery.target oldest, random, an instant) on the real stack: three
markers M1 < M2 < M3 with rows written between them, drills restored to instants in the
past and proven by the markers on both sides, a copy on the wrong side of its target, and
targets the repository cannot reach; random under Patroni."""
import datetime
import json
import os
import re
import time

from drillstack import Stack, expect, expect_equal, expect_outcome, free_port, scenario
from test_patroni import patroni_yml

# Every row of pit committed after the target is absent: the assertions see the past target.
ASSERTION = ("  assertions:\n"
             "    - name: nothing_after_target\n"
             "      database: postgres\n"
             "      sql: SELECT NOT EXISTS (SELECT 1 FROM pit WHERE at >"
             " current_setting('pgdrill.target_time')::timestamptz)\n")


def config_with(s, name, target=None, edit_dsn=False):
    def edit(text):
        text = text.replace("  assertions: []\n", ASSERTION)
        if edit_dsn:
            text = re.sub(r"\n  dsn: .*\n", "\n  dsn: \"\"\n", text)
        if target:
            text = text.replace("  timeout: 2h\n", "  timeout: 2h\n  target: %s\n" % target)
        return text
    return s.pgdrill_config(name, edit=edit)


def source_now(s):
    return s.psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                  " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")


def rows_in(s, port, sql):
    return s.psql(sql, port=port)


def marker_rows(s, port=None):
    out = s.psql("SELECT string_agg(test_id || ':' || kind, ',' ORDER BY created_at)"
                 " FROM _pgdrill.marker WHERE test_id IN ('m1', 'm2', 'm3')", port=port)
    return out.split(",") if out else []


def drill(s, config, name, *args):
    datadir = s.path(name)
    p = s.bootstrap(config, datadir, *args)
    return p, s.report(), datadir


def verify(s, config, datadir):
    port = s.start_restored(datadir)
    p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, port))
    return p, s.report(), port


def check(report, name):
    for c in report["checks"]:
        if c["name"] == name:
            return c
    return None


def write_window(s):
    """M1, row 1, M2, row 2, the instant between, row 3, M3: returns the instant."""
    s.psql("CREATE TABLE pit (id int, at timestamptz DEFAULT clock_timestamp())")
    s.scheduler_marker("m1")
    # the table as pgdrill creates it (its role's, tagged): the drills write their own markers
    s.psql("ALTER SCHEMA _pgdrill OWNER TO pgdrill; ALTER TABLE _pgdrill.marker OWNER TO pgdrill;"
           " COMMENT ON SCHEMA _pgdrill IS 'pgdrill marker schema (created by pgdrill-bootstrap)';"
           " COMMENT ON TABLE _pgdrill.marker IS 'pgdrill marker table (created by"
           " pgdrill-bootstrap)'")
    s.psql("INSERT INTO pit (id) VALUES (1)")
    time.sleep(0.3)
    s.scheduler_marker("m2")
    s.psql("INSERT INTO pit (id) VALUES (2)")
    time.sleep(0.3)
    between = source_now(s)
    time.sleep(0.3)
    s.psql("INSERT INTO pit (id) VALUES (3)")
    s.scheduler_marker("m3")
    return between


@scenario
def target_past_instants():
    with Stack("target") as s:
        s.install_pgdrill()
        between = write_window(s)
        first_set = json.loads(s.pgbackrest("--output=json", "info").stdout)[0]["backup"][-1]
        s.backup("incr")  # a second set, ended after M3: no instant before M3 restores from it
        sets = json.loads(s.pgbackrest("--output=json", "info").stdout)[0]["backup"]
        t0 = time.monotonic()

        # oldest: just after M1, its fence and everything later absent
        config = config_with(s, "oldest.yml", "oldest")
        p, r, datadir = drill(s, config, "oldest")
        expect_outcome(p, r, 0, None)
        expect_equal(r["target"]["kind"], "oldest", "target.kind")
        expect_equal(r["target"]["set"], r["backup"]["label"], "target.set is the set restored")
        p, r, port = verify(s, config, datadir)
        expect_outcome(p, r, 0, None)
        expect_equal(r["verdict"], "passed", "verdict")
        expect_equal(marker_rows(s, port), ["m1:marker"], "rows in the copy restored to oldest")
        expect_equal(rows_in(s, port, "SELECT count(*) FROM pit"), "0", "pit rows after M1")
        expect_equal(r["target"]["lower"]["test_id"], "m1", "target.lower")
        expect_equal(r["target"]["upper"], {"test_id": "m1", "kind": "fence",
                                            "created_at": r["target"]["upper"]["created_at"]},
                     "target.upper is M1's fence")
        expect(check(r, "marker") is None and check(r, "fence") is None,
               "marker and fence checks for a past target", r["checks"])
        expect_equal(check(r, "assertion:nothing_after_target")["status"], "passed", "assertion")
        s.stop_postgres(datadir)

        # an instant between M2 and M3, given as an option
        p, r, datadir = drill(s, config_with(s, "plain.yml"), "between",
                              "--recovery-target=" + between)
        expect_outcome(p, r, 0, None)
        expect_equal(r["target"]["kind"], "time", "target.kind")
        expect_equal(r["target"]["time"], between, "target.time")
        expect_equal(r["backup"]["label"], first_set["label"],
                     "the newest set that ended before the instant, not the newest")
        p, r, port = verify(s, config, datadir)
        expect_outcome(p, r, 0, None)
        expect_equal(marker_rows(s, port), ["m1:marker", "m1:fence", "m2:marker", "m2:fence"],
                     "rows in the copy restored between M2 and M3")
        expect_equal(rows_in(s, port, "SELECT string_agg(id::text, ',' ORDER BY id) FROM pit"),
                     "1,2", "pit rows before the instant")
        expect_equal(r["target"]["lower"]["test_id"], "m2", "target.lower")
        expect_equal(r["target"]["upper"]["test_id"], "m3", "target.upper")
        s.stop_postgres(datadir)

        # the same copy judged against an earlier target (between M1 and M2), as a scheduler
        # that handed the wrong instant would: M2's rows are in the copy, committed after it
        with open(s.path("state", "report.json")) as f:
            edited = json.load(f)
        m1_fence = [x for x in edited["target"]["source_rows"]
                    if x["test_id"] == "m1" and x["kind"] == "fence"][0]["created_at"]
        earlier = (datetime.datetime.strptime(m1_fence, "%Y-%m-%dT%H:%M:%S.%fZ")
                   + datetime.timedelta(milliseconds=100))
        edited["target_time"] = earlier.strftime("%Y-%m-%d %H:%M:%S.%f+00")
        edited["verdict"] = "running"
        edited["error"] = None
        edited["checks"] = [c for c in edited["checks"] if c.get("by") == "bootstrap"]
        with open(s.path("state", "report.json"), "w") as f:
            json.dump(edited, f)
        p, r, port = verify(s, config, datadir)
        expect_outcome(p, r, 1, "target_mismatch")
        expect("the marker of test m2" in r["error"]["message"], "names M2", r["error"])
        s.stop_postgres(datadir)
        os.rename(s.path("state", "report.json"), s.path("state", "mismatch.json"))

        # a scheduler's marker (--test-id, --target-time) and a past instant: the source's rows
        # are read through source.dsn; without one, a configuration error before anything
        target = s.scheduler_marker("m4")
        env = s.drill_env(PGDRILL_TEST_ID="m4", PGDRILL_TARGET_TIME=target,
                          PGDRILL_RECOVERY_TARGET=between)
        p = s.bootstrap(config_with(s, "nodsn.yml", edit_dsn=True), s.path("nodsn"), env=env)
        expect_equal(p.returncode, 2, "exit code without source.dsn")
        expect("recovery.target: \"%s\" with a scheduler's marker (--target-time) needs "
               "source.dsn" % between in p.stderr, "names the key", p.stderr[-2000:])
        p = s.bootstrap(config, s.path("scheduled"), env=env)
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal(r["marker_source"], "scheduler", "marker_source")
        expect_equal(r["target"]["time"], between, "target.time")
        p, r, port = verify(s, config, s.path("scheduled"))
        expect_outcome(p, r, 0, None)
        expect_equal(r["target"]["upper"]["test_id"], "m3", "target.upper")
        s.stop_postgres(s.path("scheduled"))

        # unreachable: pgbackrest.set names the set that ended after the instant; an instant
        # after the backup's end but before M1 (no marker proves its lower side)
        m1 = [x for x in r["target"]["source_rows"] if x["test_id"] == "m1"][0]["created_at"]
        lower = r["target"]["window"]["lower"]
        before_m1 = (datetime.datetime.strptime(lower, "%Y-%m-%dT%H:%M:%S.%fZ") +
                     (datetime.datetime.strptime(m1, "%Y-%m-%dT%H:%M:%S.%fZ") -
                      datetime.datetime.strptime(lower, "%Y-%m-%dT%H:%M:%S.%fZ")) / 2)
        named = config_with(s, "named.yml").replace("named.yml", "named.yml")
        with open(named) as f:
            text = f.read().replace("  set: latest", "  set: " + sets[-1]["label"])
        with open(named, "w") as f:
            f.write(text)
        for cfg, target, words in (
                (named, between, "is not after the end of the backup set pgbackrest.set names"),
                (config, before_m1.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                 "no marker committed before the target")):
            p, r, datadir = drill(s, cfg, "refused-" + words[:6].replace(" ", ""),
                                  "--recovery-target=" + target)
            expect_outcome(p, r, 3, "target_unreachable")
            expect(words in r["error"]["message"], "the refusal says why", r["error"])
            expect("the repository reaches from" in r["error"]["message"],
                   "the refusal names the window", r["error"])
            expect(os.listdir(datadir) == [], "nothing restored", os.listdir(datadir))
            os.rename(s.path("state", "report.json"), s.path("state", "refused.json"))

        # unreachable: before the oldest backup's end, and in the future; nothing restored
        for target, words in (("2020-01-01T00:00:00Z", "before the end of the oldest backup set"),
                              ((datetime.datetime.utcnow() + datetime.timedelta(days=1))
                               .strftime("%Y-%m-%dT%H:%M:%SZ"), "lies in the future")):
            p, r, datadir = drill(s, config, "refused", "--recovery-target=" + target)
            expect_outcome(p, r, 3, "target_unreachable")
            expect(words in r["error"]["message"], "the refusal says why", r["error"])
            expect("the repository reaches from" in r["error"]["message"],
                   "the refusal names the window", r["error"])
            expect(os.listdir(datadir) == [], "nothing restored", os.listdir(datadir))
            expect(r["target_time"] is None, "no target time for a refused target", r)
            os.rename(s.path("state", "report.json"), s.path("state", "refused.json"))
        print("target_past_instants: drills took %.1f s" % (time.monotonic() - t0))


@scenario
def target_random_under_patroni():
    """A random past target under Patroni (PGDRILL_RECOVERY_TARGET in its environment, passed
    on to both commands): restored, proven by the markers on both sides, promoted."""
    with Stack("targetpatroni") as s:
        s.install_pgdrill()
        write_window(s)
        config = config_with(s, "pgdrill.yml")
        s.start_etcd()
        pg_port = free_port()
        patroni = s.start_patroni(patroni_yml(s, pg_port, free_port(), config),
                                  env=s.drill_env(PGDRILL_RECOVERY_TARGET="random"))
        s.postgres_dirs.append(s.path("patroni", "data"))
        s.wait_for_log("patroni.log", r"initialized a new cluster", 240, alive=patroni)
        r = s.report()
        expect_equal(r["verdict"], "passed", "verdict")
        expect_equal(r["target"]["kind"], "random", "target.kind")
        expect_equal([c["status"] for c in r["checks"] if c["name"] == "target"], ["passed"],
                     "the target check")
        expect(r["target"]["lower"]["created_at"] <= r["target"]["time"]
               < r["target"]["upper"]["created_at"], "bracketed", r["target"])
        expect(r["target"]["window"]["lower"] <= r["target"]["time"]
               < r["target"]["window"]["upper"], "random target inside the window", r["target"])
