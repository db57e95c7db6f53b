"""pgdrill-fleet, the deployer, on the real stack: Patroni-managed source clusters in etcd,
each archiving into its own stanza of the S3 repository; real drills under Patroni started
by the command runner; the status history in a real PostgreSQL."""
import calendar
import json
import os
import re
import signal
import subprocess
import sys
import time

import promtext
import yaml
from drillstack import (PG_BIN, REPO, Stack, as_user, expect, expect_equal, free_port,
                        processes_mentioning, scenario)
from fleetstack import (LAUNCHER, HistoryStack, drill_config, fleet, fleet_env, history,
                        history_dsn, install_fleet, launches, plan, start_source_clusters,
                        stop_drills, write_fleet_yml)
from kube_api import RecordedApi

TERMINAL = "('passed', 'failed', 'inconclusive', 'deferred')"


def fleet_yml(s, launch, cleanup=None, etcd=True, static=(), extra="", dsn=None):
    lines = ["history_dsn: \"%s\"" % (dsn or history_dsn(s)), "every: 24h", extra, "inventory:"]
    if etcd:
        lines += ["  etcd:", "    endpoints: [\"http://127.0.0.1:%s\"]" % s.etcd_port,
                  "    namespace: /service"]
    if static:
        lines += ["  static:"] + ["    - {scope: %s, host: 127.0.0.1, port: %d, stanza: %s}"
                                  % item for item in static]
    lines += ["launch:", "  command: [\"/usr/bin/python3\", \"%s\", %s]" % (LAUNCHER, launch),
              "  timeout: 30s"]
    if cleanup:
        lines += ["  cleanup: [\"/usr/bin/python3\", \"%s\", %s]" % (LAUNCHER, cleanup)]
    return "\n".join(lines) + "\n"


def wait_terminal(s, test_ids, timeout):
    """Wait until every test id has a terminal row; returns {test_id: (status, class)}."""
    ids = ",".join("'%s'" % t for t in test_ids)
    sql = ("SELECT test_id, status, coalesce(error_class, '') FROM pgdrill.drill_status"
           " WHERE test_id IN (%s) AND status IN %s" % (ids, TERMINAL))
    s.wait_for("terminal rows of %s" % ids,
               lambda: len(history(s, sql).splitlines()) >= len(test_ids), timeout)
    return {line.split("|")[0]: tuple(line.split("|")[1:]) for line in history(s, sql).splitlines()}


def wait_published(s, yml, env, scopes):
    """Until Patroni wrote each scope's leader key and the leader's member key (its first HA
    loop after bootstrap does)."""
    s.wait_for("Patroni to publish the leaders of %s in etcd" % ", ".join(scopes),
               lambda: all(plan(s, yml, env).get(c, {}).get("source_host") for c in scopes), 30)


@scenario
def fleet_drills_two_clusters():
    """Two Patroni clusters found in etcd, both drilled under Patroni by one run, proven at
    the next plan, cleaned up after; a third cluster is due as soon as it appears; etcd down
    launches nothing."""
    with Stack("fleet") as s:
        try:
            s.install_pgdrill()
            install_fleet(s)
            s.start_etcd()
            start_source_clusters(s, ["alpha", "beta"])
            config = drill_config(s)
            env = fleet_env(s, config)
            metrics = s.path("fleet.prom")
            yml = write_fleet_yml(s, "fleet.yml", fleet_yml(
                s, "\"patroni\", \"{drill_name}\"", "\"stop\", \"{drill_name}\"",
                extra="max_concurrent: 2\nmetrics_file: %s" % metrics))

            wait_published(s, yml, env, ["alpha", "beta"])
            rows = plan(s, yml, env)
            expect_equal(sorted(rows), ["alpha", "beta"], "the scopes in etcd")
            for scope in ("alpha", "beta"):
                r = rows[scope]
                expect_equal((r["due"], r["reason"], r["found_in"], r["stanza"]),
                             (True, "never proven", "etcd", scope), scope)
                expect(r["source_host"] == "127.0.0.1" and r["leader"] == scope + "-0",
                       "the leader's address", r)
            expect_equal(launches(s), [], "plan launches nothing")

            started = time.monotonic()
            p = fleet(s, yml, "run", env=env, check_rc=0)
            scheduled = history(s, "SELECT scope, test_id, stanza FROM pgdrill.drill_status"
                                   " WHERE status = 'scheduled' ORDER BY scope").splitlines()
            expect_equal([line.split("|")[0] for line in scheduled], ["alpha", "beta"],
                         "one scheduled row per scope")
            test_ids = {line.split("|")[0]: line.split("|")[1] for line in scheduled}
            expect_equal(sorted((m, tid) for m, _, tid in launches(s)),
                         sorted(("patroni", tid) for tid in test_ids.values()),
                         "the launcher got each drill's test id in its environment")
            ended = wait_terminal(s, list(test_ids.values()), 300)
            print("two drills under Patroni: %.0f s" % (time.monotonic() - started))
            for scope, tid in test_ids.items():
                expect_equal(ended[tid], ("passed", ""), "verdict of %s's drill" % scope)
                # bootstrap and verify wrote under the deployer's test id, scope and stanza
                rows = history(s, "SELECT DISTINCT scope || '/' || stanza FROM"
                                  " pgdrill.drill_status WHERE test_id = '%s'" % tid)
                expect_equal(rows, "%s/%s" % (scope, scope), "%s's rows" % scope)
                statuses = history(s, "SELECT string_agg(status, ',' ORDER BY time) FROM"
                                      " pgdrill.drill_status WHERE test_id = '%s'" % tid)
                expect(statuses.startswith("scheduled,started,") and
                       statuses.endswith("verifying,passed"), "the drill's rows", statuses)

            rows = plan(s, yml, env)
            for scope in ("alpha", "beta"):
                r = rows[scope]
                expect_equal((r["due"], r["reason"], r["last_verdict"]),
                             (False, "proven", "passed"), scope)
                expect(r["last_passed_at"] is not None and r["next_due_at"] > r["last_passed_at"],
                       "next due a day after the proof", r)

            # the next run launches nothing and cleans up after both drills, once
            fleet(s, yml, "run", env=env, check_rc=0)
            m = promtext.parse(open(metrics).read())
            subprocess.run(["promtool", "check", "metrics"], input=open(metrics).read(),
                           text=True, check=True, capture_output=True, timeout=30)
            v = promtext.value
            for scope in ("alpha", "beta"):
                expect_equal((v(m, "pgdrill_fleet_scope_overdue", scope=scope, stanza=scope),
                              v(m, "pgdrill_fleet_scope_never_proven", scope=scope)), (0, 0), scope)
                expect(0 < v(m, "pgdrill_fleet_scope_last_success_age_seconds", scope=scope) < 600,
                       "%s proven minutes ago" % scope, m)
            expect_equal((v(m, "pgdrill_fleet_scopes"), v(m, "pgdrill_fleet_scopes_proven"),
                          v(m, "pgdrill_fleet_last_pass_success"),
                          v(m, "pgdrill_fleet_inventory_up")), (2, 2, 1, 1), "fleet totals")
            expect_equal(sorted(m for m, _, _ in launches(s) if m == "patroni"),
                         ["patroni", "patroni"], "no second launch")
            expect_equal(sorted(a for m, a, _ in launches(s) if m == "stop"),
                         sorted(history(s, "SELECT detail->>'drill_name' FROM"
                                           " pgdrill.drill_status WHERE status = 'scheduled'")
                                .splitlines()), "one cleanup per drill")
            expect_equal(history(s, "SELECT count(*) FROM pgdrill.fleet_cleanup"), "2",
                         "cleanups recorded")
            expect(not processes_mentioning(s.path("drills") + "/"),
                   "the drills' processes were stopped by the cleanup",
                   processes_mentioning(s.path("drills") + "/"))
            fleet(s, yml, "run", env=env, check_rc=0)
            expect_equal(len([m for m, _, _ in launches(s) if m == "stop"]), 2, "cleanup once")

            # a third cluster appears in etcd: due at the next pass, no configuration change
            start_source_clusters(s, ["gamma"], backup=False)
            wait_published(s, yml, env, ["gamma"])
            rows = plan(s, yml, env)
            expect_equal((rows["gamma"]["due"], rows["gamma"]["reason"]),
                         (True, "never proven"), "the new cluster")
            expect_equal((rows["alpha"]["due"], rows["beta"]["due"]), (False, False),
                         "the proven ones")

            # etcd down: nothing launched, exit 3
            for kind, proc in s.daemons:
                if kind == "etcd":
                    proc.terminate()
                    proc.wait(20)
            before = history(s, "SELECT count(*) FROM pgdrill.drill_status")
            p = fleet(s, yml, "run", env=env, check_rc=3)
            expect("could not read the fleet from etcd" in p.stderr, "the reason", p.stderr)
            expect_equal(history(s, "SELECT count(*) FROM pgdrill.drill_status"), before,
                         "no row written")
            m = promtext.parse(open(metrics).read())
            expect_equal((promtext.value(m, "pgdrill_fleet_last_pass_success"),
                          promtext.value(m, "pgdrill_fleet_inventory_up"),
                          promtext.value(m, "pgdrill_fleet_scopes")), (0, 0, 2),
                         "the metrics say the inventory is stale and keep the scopes")
            fleet(s, yml, "plan", env=env, check_rc=3)
        finally:
            stop_drills(s)


def scheduled_ids(s, scope):
    return history(s, "SELECT test_id FROM pgdrill.drill_status WHERE status = 'scheduled'"
                      " AND scope = '%s' ORDER BY time" % scope).splitlines()


def row_of(s, test_id, status):
    return history(s, "SELECT coalesce(error_class, '') || '|' || extract(epoch FROM time)"
                      " FROM pgdrill.drill_status WHERE test_id = '%s' AND status = '%s'"
                      % (test_id, status))


@scenario
def fleet_cap_and_retry():
    """max_concurrent: 1 starts one drill at a time; the drills' own cap (bootstrap's
    admission, report.max_concurrent: 1) admits a drill the deployer launched (its own
    scheduled row does not count) and defers one started by hand while a launch is in
    progress: one cap; a drill that failed (a real bootstrap: stanza_missing) is retried
    after retry_after and not before; a launch that never reports ends never_started after
    launch_timeout and is cleaned up after."""
    with Stack("fleetcap") as s:
        try:
            s.install_pgdrill()
            install_fleet(s)
            config = drill_config(s, max_concurrent=1)
            env = fleet_env(s, config)
            env["FLEET_TEST_MODES"] = "s1=bootstrap,s2=record"
            # s1's drill fails within a second: held until plan has seen it in progress
            env["FLEET_TEST_HOLD"] = s.path("hold-s1")
            yml = write_fleet_yml(s, "fleet.yml", fleet_yml(
                s, "\"by-scope\", \"{scope}\", \"{drill_name}\"", "\"stop\", \"{drill_name}\"",
                etcd=False, static=[("s1", s.pg_port, "no-such-stanza"),
                                    ("s2", s.pg_port, "orders")],
                extra="max_concurrent: 1\nretry_after: 15s\nlaunch_timeout: 10s"))

            fleet(s, yml, "run", env=env, check_rc=0)
            s1 = scheduled_ids(s, "s1")
            expect_equal((len(s1), scheduled_ids(s, "s2")), (1, []),
                         "one launch at a time, the first by name")
            rows = plan(s, yml, env)
            expect_equal((rows["s1"]["reason"], rows["s2"]["reason"], rows["s2"]["due"]),
                         ("in progress", "cap full", True), "the cap in plan")
            # s1's drill is a real bootstrap that fails: its stanza does not exist
            open(s.path("hold-s1"), "w").close()
            ended = wait_terminal(s, s1, 120)
            expect_equal(ended[s1[0]], ("failed", "stanza_missing"), "s1's drill")
            failed_at = float(row_of(s, s1[0], "failed").split("|")[1])

            # not before retry_after: s1 waits, s2 gets the free slot (and never reports)
            fleet(s, yml, "run", env=env, check_rc=0)
            expect_equal(len(scheduled_ids(s, "s1")), 1, "s1 not retried before retry_after")
            s2 = scheduled_ids(s, "s2")
            expect_equal(len(s2), 1, "s2 launched once s1 ended")
            rows = plan(s, yml, env)
            expect_equal((rows["s1"]["due"], rows["s1"]["reason"], rows["s1"]["last_verdict"],
                          rows["s1"]["last_error_class"]),
                         (False, "retry after failure", "failed", "stanza_missing"), "s1 waits")
            next_due = calendar.timegm(time.strptime(rows["s1"]["next_due_at"],
                                                     "%Y-%m-%dT%H:%M:%SZ"))
            expect(abs(next_due - (failed_at + 15)) <= 1, "next due at failure + 15 s",
                   rows["s1"], failed_at)
            expect_equal(rows["s2"]["reason"], "in progress", "s2's launch")
            # one cap: a drill started by hand now waits for s2's launch (bootstrap's admission)
            hand = s.bootstrap(config, s.path("hand-data"), "--state-dir=" + s.mkdir("hand-state"))
            expect_equal(hand.returncode, 3, "the hand-started drill's exit code")
            with open(s.path("hand-state", "report.json")) as f:
                expect_equal(json.load(f)["error"]["class"], "deferred", "the hand-started drill")
            expect(("stop", "s1-" + s1[0][:8], s1[0]) in launches(s), "s1's drill cleaned up",
                   launches(s))

            # after launch_timeout and retry_after: s2 ends never_started, s1 is retried
            scheduled_at = float(row_of(s, s2[0], "scheduled").split("|")[1])
            now = float(history(s, "SELECT extract(epoch FROM clock_timestamp())"))
            time.sleep(max(0.0, max(scheduled_at + 10, failed_at + 15) - now) + 0.5)
            env["FLEET_TEST_MODES"] = "s1=record,s2=record"
            fleet(s, yml, "run", env=env, check_rc=0)
            expect_equal(row_of(s, s2[0], "inconclusive").split("|")[0], "never_started",
                         "s2's silent launch")
            expect_equal(len(scheduled_ids(s, "s1")), 2, "s1 retried after retry_after")
            expect_equal(len(scheduled_ids(s, "s2")), 1, "s2 not relaunched at once")
            expect(("stop", "s2-" + s2[0][:8], s2[0]) in launches(s),
                   "the never started launch cleaned up", launches(s))
            rows = plan(s, yml, env)
            expect_equal((rows["s2"]["reason"], rows["s2"]["last_error_class"]),
                         ("retry after failure", "never_started"), "s2 after never_started")
        finally:
            stop_drills(s)


def insert_rows(s, rows):
    """Status rows as the drills and an older version wrote them: (seconds ago, test id, scope,
    status, class or None, target kind or None: a row without one)."""
    values = ",".join(
        "(statement_timestamp() - make_interval(secs => %d), '%s', '%s', '%s', '%s', %s, %s)"
        % (ago, test_id, scope, scope, status, "'%s'" % cls if cls else "NULL",
           "'{\"target_kind\": \"%s\"}'" % kind if kind else "'{}'")
        for ago, test_id, scope, status, cls, kind in rows)
    history(s, "INSERT INTO pgdrill.drill_status (time, test_id, scope, stanza, status,"
               " error_class, detail) VALUES " + values)


@scenario
def fleet_mixed_targets():
    """past: {target: random, every: 7d} beside the daily latest drills, judged against the
    real history: each kind from its own rows (rows without a target kind count as latest),
    latest first, retry_after per kind; the launch passes {recovery_target} and its scheduled
    row the kind, so a past drill in progress is not launched again."""
    with HistoryStack("fleetmix") as s:
        s.install_pgdrill()
        install_fleet(s)
        env = fleet_env(s, "/nonexistent.yml")
        scopes = ["m1", "m2", "m3", "m4"]
        yml = write_fleet_yml(s, "fleet.yml", fleet_yml(
            s, "\"record\", \"{scope}:{recovery_target}\"", etcd=False,
            static=[(c, 5432, c) for c in scopes],
            extra="max_concurrent: 10\npast: {target: random, every: 7d}\n"
                  "scopes: [{match: m3, past: {target: \"\"}}, {match: \"z*\", enabled: false}]"))
        # the history's table and the deployer's indexes, from a pass that launches nothing
        init = write_fleet_yml(s, "init.yml", fleet_yml(
            s, "\"record\", \"{scope}\"", etcd=False, static=[("zz", 5432, "zz")],
            extra="scopes: [{match: zz, enabled: false}]"))
        fleet(s, init, "run", env=env, check_rc=0)
        hour, day = 3600, 86400
        insert_rows(s, [
            (hour, "l1", "m1", "passed", None, "latest"),          # m1: a past drill never ran
            (2 * day, "l2", "m2", "passed", None, None),           # m2: an older version's row
            (day, "p2", "m2", "passed", None, "oldest"),           # ... and a recent past proof
            (hour, "l3", "m3", "passed", None, "latest"),          # m3: no past drills
            (600, "p3", "m3", "failed", "target_mismatch", "random"),
            (hour, "l4", "m4", "passed", None, "latest"),          # m4: its past drill failed
            (600, "p4", "m4", "inconclusive", "target_unreachable", "random"),
        ])
        rows = plan(s, yml, env)
        got = {c: (rows[c]["due"], rows[c]["target"], rows[c]["reason"]) for c in scopes}
        expect_equal(got, {"m1": (True, "random", "never proven"),
                           "m2": (True, "latest", "overdue"),
                           "m3": (False, "latest", "proven"),
                           "m4": (False, "random", "retry after failure")},
                     "each kind judged from its own rows")
        expect_equal((rows["m2"]["last_verdict"], rows["m2"]["last_past_verdict"],
                      rows["m2"]["last_past_passed_at"] is not None,
                      rows["m4"]["last_verdict"], rows["m4"]["last_past_error_class"],
                      rows["m3"]["past_target"], rows["m1"]["past_every"]),
                     ("passed", "passed", True, "passed", "target_unreachable", None, 7 * day),
                     "the facts of both kinds")
        table = fleet(s, yml, "plan", env=env, check_rc=0).stdout
        expect(re.search(r"^m1 .* yes +random +never proven ", table, re.M), "plan's table",
               table)

        fleet(s, yml, "run", env=env, check_rc=0)
        expect_equal(sorted(a for m, a, _ in launches(s)), ["m1:random", "m2:latest"],
                     "the launches' recovery targets")
        kinds = history(s, "SELECT scope || '=' || (detail->>'target_kind') FROM"
                           " pgdrill.drill_status WHERE status = 'scheduled' ORDER BY scope")
        expect_equal(kinds.split(), ["m1=random", "m2=latest"], "the scheduled rows' kinds")
        rows = plan(s, yml, env)
        expect_equal((rows["m1"]["reason"], rows["m1"]["target"]), ("in progress", "random"),
                     "m1's past drill in progress")
        fleet(s, yml, "run", env=env, check_rc=0)
        expect_equal(len(launches(s)), 2, "nothing launched twice")
        # the drills end (deliver writes target_kind from the report): m1 proven both ways
        m1, m2 = scheduled_ids(s, "m1")[0], scheduled_ids(s, "m2")[0]
        insert_rows(s, [(0, m1, "m1", "passed", None, "random"),
                        (0, m2, "m2", "passed", None, "latest")])
        rows = plan(s, yml, env)
        expect_equal([(rows[c]["due"], rows[c]["target"]) for c in ("m1", "m2")],
                     [(False, "latest"), (False, "latest")], "both proven")
        expect(rows["m1"]["last_past_passed_at"] > rows["m1"]["last_passed_at"],
               "m1's past proof is the newest", rows["m1"])


@scenario
def fleet_faults():
    """The history database down and a hanging launch command; pgdrill-fleet killed with
    SIGKILL in the middle of a pass and started again; two runs at once: no scope is ever
    launched twice."""
    with HistoryStack("fleetfault") as s:
        s.install_pgdrill()
        install_fleet(s)
        env = fleet_env(s, "/nonexistent.yml")

        # the history database down: nothing launched, exit 3
        env["FLEET_TEST_MODES"] = "d1=record"
        down = write_fleet_yml(s, "down.yml", fleet_yml(
            s, "\"by-scope\", \"{scope}\", \"{drill_name}\"", etcd=False,
            static=[("d1", 5432, "d1")],
            dsn="host=127.0.0.1 port=%d dbname=postgres user=postgres connect_timeout=3"
            % free_port()))
        p = fleet(s, down, "run", env=env, check_rc=3)
        expect("could not connect to the status history" in p.stderr, "the reason", p.stderr)
        fleet(s, down, "plan", env=env, check_rc=3)
        expect_equal(launches(s), [], "nothing launched")

        # a launch command that hangs: killed with its process group at launch.timeout
        env["FLEET_TEST_MODES"] = "h1=hang"
        hang = write_fleet_yml(s, "hang.yml", fleet_yml(
            s, "\"by-scope\", \"{scope}\", \"{drill_name}\"", etcd=False,
            static=[("h1", 5432, "h1")], extra="max_concurrent: 10").replace(
                "timeout: 30s", "timeout: 3s"))
        started = time.monotonic()
        p = fleet(s, hang, "run", env=env, check_rc=0)
        expect(time.monotonic() - started < 20, "bounded by launch.timeout")
        h1 = scheduled_ids(s, "h1")
        expect_equal(row_of(s, h1[0], "inconclusive").split("|")[0], "launch_failed",
                     "the hung launch's row")
        expect("ran past launch.timeout (3s)" in p.stderr, "the reason", p.stderr[-2000:])
        expect(not processes_mentioning("fleet_launcher.py by-scope h1"),
               "the hung command was killed")

        # SIGKILL in the middle of a pass, while the launch command runs; then again
        env["FLEET_TEST_MODES"] = "k1=hang,k2=hang"
        kill = write_fleet_yml(s, "kill.yml", fleet_yml(
            s, "\"by-scope\", \"{scope}\", \"{drill_name}\"", etcd=False,
            static=[("k1", 5432, "k1"), ("k2", 5432, "k2")], extra="max_concurrent: 10"))
        proc = subprocess.Popen(as_user([os.path.join(s.bindir, "pgdrill-fleet"),
                                         "--config=" + kill, "run"]),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        s.wait_for("the first launch", lambda: any(a == "k1" for _, a, _ in launches(s)), 30)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        s.wait_for("the launch command to die with pgdrill-fleet",
                   lambda: not processes_mentioning("fleet_launcher.py by-scope k1"), 10)
        env["FLEET_TEST_MODES"] = "k1=record,k2=record"
        fleet(s, kill, "run", env=env, check_rc=0)
        expect_equal((len(scheduled_ids(s, "k1")), len(scheduled_ids(s, "k2"))), (1, 1),
                     "each scope scheduled once across the killed and the new pass")
        expect_equal(sorted(a for m, a, _ in launches(s) if a in ("k1", "k2")), ["k1"],
                     "k2 was scheduled by the killed pass: not launched again, it ends "
                     "never_started after launch_timeout")

        # two runs at once: every scope launched exactly once. Thirty scopes, so that a pass
        # takes a while between reading the history and its COMMIT, and a launch command that
        # only notes the scope (sh, the test's choice; pgdrill-fleet runs no shell itself)
        scopes = ["c%02d" % i for i in range(1, 31)]
        noted = s.path("concurrent-launches")
        both = write_fleet_yml(s, "both.yml", fleet_yml(
            s, "", etcd=False, static=[(c, 5432, c) for c in scopes],
            extra="max_concurrent: 100").replace(
                "[\"/usr/bin/python3\", \"%s\", ]" % LAUNCHER,
                "[\"/bin/sh\", \"-c\", \"echo $0 >> %s\", \"{scope}\"]" % noted))
        # both wait on the table (held by this session) before either reads it: they meet
        holder = subprocess.Popen(as_user([PG_BIN + "/psql", "-X", "-q", "-h", s.socket_dir, "-p",
                                           str(s.pg_port), "-U", "postgres", "-d", "postgres",
                                           "-c", "BEGIN", "-c", "LOCK TABLE pgdrill.drill_status"
                                           " IN ACCESS EXCLUSIVE MODE", "-c",
                                           "SELECT pg_sleep(4)", "-c", "COMMIT"]),
                                  stdout=subprocess.DEVNULL, env=s.env)
        s.wait_for("the table lock", lambda: history(
            s, "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted"
               " AND relation = 'pgdrill.drill_status'::regclass") == "1", 20)
        procs = [subprocess.Popen(as_user([os.path.join(s.bindir, "pgdrill-fleet"),
                                           "--config=" + both, "run"]),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  env=env) for _ in range(2)]
        s.wait_for("both passes to wait", lambda: int(history(
            s, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
               " AND application_name = 'pgdrill'")) == 2, 20)
        holder.wait(30)
        for p in procs:
            _, err = p.communicate(timeout=60)
            expect_equal(p.returncode, 0, "a concurrent run")
        expect_equal(sorted(open(noted).read().split()), scopes, "each scope launched once")
        expect_equal([len(scheduled_ids(s, c)) for c in scopes], [1] * 30,
                     "each scope scheduled once")

        # watch: a pass every tick until SIGTERM, then exit 0
        env["FLEET_TEST_MODES"] = "w1=record"
        watch = write_fleet_yml(s, "watch.yml", fleet_yml(
            s, "\"by-scope\", \"{scope}\", \"{drill_name}\"", etcd=False,
            static=[("w1", 5432, "w1")], extra="tick: 1s\nmax_concurrent: 100"))
        watch_log = s.path("watch.log")
        with open(watch_log, "w") as log:
            proc = subprocess.Popen(as_user([os.path.join(s.bindir, "pgdrill-fleet"),
                                             "--config=" + watch, "watch"]),
                                    stdout=subprocess.DEVNULL, stderr=log, env=env)
        # Three passes, however loaded the machine: a pass every tick, not one and a stop.
        started = time.monotonic()
        s.wait_for("three passes", lambda: open(watch_log).read().count("pass done") >= 3, 30)
        passes_took = time.monotonic() - started
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        err = open(watch_log).read()
        expect_equal(proc.returncode, 0, "watch after SIGTERM")
        expect(passes_took < 15, "a pass every second (three took %.1f s)" % passes_took,
               err[-3000:])
        expect_equal(len(scheduled_ids(s, "w1")), 1, "launched once across passes")


def rbac_allows(request):
    """Whether the Roles of patroni-examples/kubernetes-fleet/rbac.yaml allow this request
    (the scenario's namespaces are the manifests': db and pgdrill)."""
    method, path = request[0], request[1]
    route, _, query = path.partition("?")
    m = re.fullmatch(r"/(?:api/v1|apis/(\w+)/v1)/namespaces/([^/]+)/(\w+)(?:/([^/]+))?", route)
    if not m:
        return False
    group, namespace, resource, name = m.group(1) or "", m.group(2), m.group(3), m.group(4)
    verb = {"GET": "get" if name else "list", "POST": "create",
            "DELETE": "delete" if name else "deletecollection"}[method]
    with open(os.path.join(REPO, "patroni-examples", "kubernetes-fleet", "rbac.yaml")) as f:
        roles = [d for d in yaml.safe_load_all(f) if d and d["kind"] == "Role"]
    return any(r["metadata"]["namespace"] == namespace and group in rule["apiGroups"]
               and resource in rule["resources"] and verb in rule["verbs"]
               for r in roles for rule in r["rules"])


@scenario
def fleet_kubernetes_recorded():
    """The Kubernetes inventory and runner against recorded API answers (there is no API
    server here): Patroni's pods and ConfigMaps paged, the shipped Job template expanded,
    labelled and created (valid to kubernetes-models), a refused Job recorded launch_failed,
    finished Jobs deleted after the retention with their drill's DCS objects, a Job that
    never reported deleted at once; every request authorised by the manifests' RBAC."""
    with HistoryStack("fleetk8s") as s:
        s.install_pgdrill()
        install_fleet(s)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", s.path("api-key.pem"), "-out", s.path("api-cert.pem"),
                        "-subj", "/CN=kubernetes", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        s.own(s.path("api-cert.pem"))
        token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.fleet-token-do-not-print"
        token_file = s.write("token", token + "\n", mode=0o600)
        with open(os.path.join(REPO, "patroni-examples", "kubernetes-fleet", "configmap.yaml")) as f:
            configmap = yaml.safe_load(f)
        template = s.write("job-template.yaml", configmap["data"]["job-template.yaml"], mode=0o644)
        api = RecordedApi(s.path("api-cert.pem"), s.path("api-key.pem"), token)
        try:
            access = ("    api_url: %s\n    token_file: %s\n    ca_file: %s\n    timeout: 5s\n"
                      % (api.url, token_file, s.path("api-cert.pem")))
            yml = write_fleet_yml(s, "fleet.yml", "\n".join([
                "history_dsn: \"%s\"" % history_dsn(s), "max_concurrent: 5", "launch_timeout: 10s",
                "inventory:", "  kubernetes:", "    namespace: db", access.rstrip("\n"),
                "launch:", "  kubernetes:", "    template: %s" % template,
                "    namespace: pgdrill", "    retention: 1h", access.rstrip("\n"), ""]))
            env = fleet_env(s, "/nonexistent.yml")

            rows = plan(s, yml, env)
            expect_equal(sorted(rows), ["analytics", "billing", "orders"], "the scopes in Kubernetes")
            expect_equal((rows["orders"]["leader"], rows["orders"]["source_host"],
                          rows["orders"]["source_port"], rows["orders"]["found_in"]),
                         ("orders-0", "10.2.0.11", "5432", "kubernetes"), "orders' leader")
            expect_equal(rows["billing"]["source_host"], "10.2.1.21", "billing, on the second page")
            expect_equal(rows["analytics"]["reason"], "no leader", "a scope without pods")
            expect(not [r for r in api.requests if r[0] != "GET"], "plan changes nothing")

            p = fleet(s, yml, "run", env=env, check_rc=0)
            posts = [r for r in api.requests if r[0] == "POST"]
            expect_equal(len(posts), 2, "two Jobs asked for")
            created, refused = posts[0][3], posts[1][3]
            scheduled = dict(line.split("|") for line in history(
                s, "SELECT scope, test_id FROM pgdrill.drill_status WHERE status = 'scheduled'"
                   " AND detail->>'runner' = 'kubernetes'").splitlines())
            expect_equal(sorted(scheduled), ["billing", "orders"], "scheduled rows")
            job_scope = created["metadata"]["annotations"]["pgdrill.io/scope"]
            test_id = scheduled[job_scope]
            meta = created["metadata"]
            expect_equal((meta["name"], meta["namespace"], meta["labels"]["pgdrill.io/test-id"],
                          meta["labels"]["app.kubernetes.io/managed-by"],
                          meta["labels"]["app.kubernetes.io/instance"]),
                         ("%s-%s" % (job_scope, test_id[:8]), "pgdrill", test_id, "pgdrill-fleet",
                          "%s-%s" % (job_scope, test_id[:8])), "the Job's name and labels")
            pod = created["spec"]["template"]
            expect_equal(pod["metadata"]["labels"]["pgdrill.io/test-id"], test_id, "the pod's label")
            drill_env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
            expect_equal((drill_env.get("PGDRILL_TEST_ID"), drill_env.get("PGDRILL_SOURCE_SCOPE"),
                          drill_env.get("PGDRILL_STANZA"), drill_env.get("PGDRILL_SOURCE_HOST"),
                          drill_env.get("PGDRILL_SOURCE_PORT"), drill_env.get("PGDRILL_CONFIG"),
                          drill_env.get("PGDRILL_RECOVERY_TARGET")),
                         (test_id, job_scope, job_scope, rows[job_scope]["source_host"], "5432",
                          "/etc/pgdrill/pgdrill.yml", "latest"),
                         "bootstrap's variables in the drill's pod")
            # the init container's shell script kept its braces
            expect("${f##*/}" in " ".join(pod["spec"]["initContainers"][0]["command"]),
                   "a manifest's own braces stay")
            # the Jobs as the API got them: valid to the Kubernetes API schema
            jobs = s.mkdir("posted-jobs")
            for i, (_, _, _, body) in enumerate(posts):
                with open(os.path.join(jobs, "job-%d.yaml" % i), "w") as f:
                    json.dump(body, f)
            v = subprocess.run(["node", os.path.join(REPO, "tests", "kubernetes", "validate-schema.mjs"),
                                os.path.join(REPO, ".deps", "npm", "node_modules"), jobs],
                               capture_output=True, text=True, timeout=120)
            expect(v.returncode == 0, "the posted Jobs are valid Kubernetes objects", v.stdout, v.stderr)
            refused_scope = refused["metadata"]["annotations"]["pgdrill.io/scope"]
            expect_equal(row_of(s, scheduled[refused_scope], "inconclusive").split("|")[0],
                         "launch_failed", "the refused Job's row")
            expect("exceeded quota" in p.stderr, "the API's reason logged", p.stderr[-2000:])
            # finished Jobs: the one beyond the retention goes, with its drill's DCS objects
            deletes = sorted(r[1] for r in api.requests if r[0] == "DELETE")
            expect_equal(deletes, sorted([
                "/apis/batch/v1/namespaces/pgdrill/jobs/orders-0a1b2c3d?propagationPolicy=Background",
                "/api/v1/namespaces/pgdrill/configmaps?labelSelector=cluster-name%3Dorders-0a1b2c3d",
                "/api/v1/namespaces/pgdrill/endpoints?labelSelector=cluster-name%3Dorders-0a1b2c3d"]),
                "deleted after the retention, nothing else")

            # the created Job never reports: after launch_timeout it ends never_started and its
            # Job is deleted at once
            time.sleep(10.5)
            before = len(api.requests)
            fleet(s, yml, "run", env=env, check_rc=0)
            expect_equal(row_of(s, test_id, "inconclusive").split("|")[0], "never_started",
                         "the silent Job's launch")
            deletes = [r[1] for r in api.requests[before:] if r[0] == "DELETE"]
            expect("/apis/batch/v1/namespaces/pgdrill/jobs/%s?propagationPolicy=Background"
                   % meta["name"] in deletes, "the never started Job deleted", deletes)
            expect(not [r for r in api.requests[before:] if r[0] == "POST"],
                   "nothing launched again before retry_after")

            expect_equal(api.unexpected, [], "requests nothing was recorded for")
            expect(all(r[2] == "Bearer " + token for r in api.requests), "every request authorised")
            denied = [r[:2] for r in api.requests if not rbac_allows(r)]
            expect_equal(denied, [], "requests the manifests' RBAC does not allow")
            expect(token not in open(s.path("pids")).read() + p.stderr, "the token never printed")
        finally:
            api.stop()
        # the API server gone: nothing launched, exit 3
        p = fleet(s, yml, "run", env=env, check_rc=3)
        expect("could not read the fleet from Kubernetes" in p.stderr, "the reason", p.stderr)


def tls_files(s):
    """A CA, a server certificate for 127.0.0.1 and a client certificate signed by it."""
    d = s.mkdir("tls", mode=0o755)

    def ssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60,
                       cwd=d)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "ca.key",
        "-out", "ca.pem", "-subj", "/CN=pgdrill-test-ca")
    # etcd 3.4 presents its server certificate as client to its own gateway: clientAuth too
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".csr", "-subj", "/CN=" + ("etcd" if name == "server" else "pgdrill-fleet"))
        ssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")
    for f in os.listdir(d):
        s.own(os.path.join(d, f))
    return d


def start_tls_etcd(s, d, name, client_certs):
    """etcd on https://127.0.0.1 with the test CA's server certificate; client_certs: it
    demands a client certificate signed by that CA. Returns its port."""
    port, peer = free_port(), free_port()
    argv = ["etcd", "--name", name, "--data-dir", s.mkdir("etcd-" + name),
            "--listen-client-urls", "https://127.0.0.1:%d" % port,
            "--advertise-client-urls", "https://127.0.0.1:%d" % port,
            "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-cluster", "%s=http://127.0.0.1:%d" % (name, peer),
            "--cert-file", os.path.join(d, "server.pem"),
            "--key-file", os.path.join(d, "server.key")]
    if client_certs:
        argv += ["--client-cert-auth", "--trusted-ca-file", os.path.join(d, "ca.pem")]
    s.start_daemon("etcd", argv, "etcd-%s.log" % name)
    s.wait_for_log("etcd-%s.log" % name, r"ready to serve client requests", 30)
    return port


@scenario
def fleet_etcd_tls_and_auth():
    """etcd as production fleets run it, with Patroni's etcd3 options: TLS verified against
    a private CA (cacert) and a client certificate (cert, key): the fleet is read, and
    without the certificate nothing (exit 3); a user whose role may only read Patroni's
    namespace (username, password_file): the fleet is read, a wrong password reads nothing
    (exit 3), the password is never printed. (etcd 3.4's JSON gateway refuses client
    certificates once authentication is on, docs/design.md F53: two etcds.)"""
    with HistoryStack("fleetetcd") as s:
        s.install_pgdrill()
        install_fleet(s)
        d = tls_files(s)
        certs = start_tls_etcd(s, d, "certs", True)
        users = start_tls_etcd(s, d, "users", False)
        env = dict(s.env, ETCDCTL_API="3")
        member = json.dumps({"conn_url": "postgres://10.9.0.1:5432/postgres", "role": "master",
                             "api_url": "http://10.9.0.1:8008/patroni", "state": "running"})
        password = "etcd-Fleet-pw-do-not-print"
        for port, extra in ((certs, []), (users, [
                ["put", "/other/secret/leader", "x"],
                ["user", "add", "root", "--new-user-password=root-pw"],
                ["role", "add", "patroni-reader"],
                ["role", "grant-permission", "patroni-reader", "read", "/service/", "--prefix=true"],
                ["user", "add", "fleet", "--new-user-password=" + password],
                ["user", "grant-role", "fleet", "patroni-reader"],
                ["auth", "enable"]])):
            ctl = ["etcdctl", "--endpoints=https://127.0.0.1:%d" % port, "--cacert",
                   os.path.join(d, "ca.pem"), "--cert", os.path.join(d, "client.pem"), "--key",
                   os.path.join(d, "client.key")]
            for args in [["put", "/service/orders/leader", "orders-0"],
                         ["put", "/service/orders/members/orders-0", member]] + extra:
                subprocess.run(ctl + args, check=True, capture_output=True, timeout=30, env=env)
        s.write("etcd.password", password + "\n", mode=0o600)
        s.write("wrong.password", "not-it\n", mode=0o600)

        def config(name, port, cert=False, password_file=None):
            lines = ["history_dsn: \"%s\"" % history_dsn(s), "inventory:", "  etcd:",
                     "    endpoints: [\"https://127.0.0.1:%d\"]" % port,
                     "    cacert: %s" % os.path.join(d, "ca.pem")]
            if cert:
                lines += ["    cert: %s" % os.path.join(d, "client.pem"),
                          "    key: %s" % os.path.join(d, "client.key")]
            if password_file:
                lines += ["    username: fleet", "    password_file: %s" % password_file]
            return write_fleet_yml(s, name, "\n".join(lines + ["launch:", "  command: [/bin/true]", ""]))

        rows = plan(s, config("certs.yml", certs, cert=True))
        expect_equal((sorted(rows), rows["orders"]["source_host"]), (["orders"], "10.9.0.1"),
                     "the fleet over TLS with a client certificate")
        p = fleet(s, config("nocert.yml", certs), "plan", check_rc=3)
        expect("could not read the fleet from etcd" in p.stderr, "no client certificate", p.stderr)

        rows = plan(s, config("users.yml", users, password_file=s.path("etcd.password")))
        expect_equal(sorted(rows), ["orders"], "what a reader of /service/ sees")
        p = fleet(s, config("wrong.yml", users, password_file=s.path("wrong.password")), "plan",
                  check_rc=3)
        expect("could not authenticate as fleet" in p.stderr, "a wrong password", p.stderr)
        p = fleet(s, config("anonymous.yml", users), "plan", check_rc=3)
        for out in (p.stderr, open(s.path("etcd-users.log"), errors="replace").read()):
            expect(password not in out, "the password printed")
