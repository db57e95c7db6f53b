"""pgdrill-fleet, the deployer, on the real stack: Patroni-managed source clusters in etcd,
each archiving into its own stanza of the S3 repository; real drills under Patroni started
by the command runner; the status history in a real PostgreSQL."""
import calendar
import os
import signal
import subprocess
import sys
import time

import promtext
from drillstack import (PG_BIN, Stack, as_user, expect, expect_equal, free_port, processes_mentioning,
                        scenario)
from fleetstack import (LAUNCHER, HistoryStack, drill_config, fleet, fleet_env, history,
                        history_dsn, install_fleet, launches, plan, start_source_clusters,
                        stop_drills, write_fleet_yml)

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
    """max_concurrent: 1 starts one drill at a time; a drill that failed (a real bootstrap:
    stanza_missing) is retried after retry_after and not before; a launch that never reports
    ends never_started after launch_timeout and is cleaned up after."""
    with Stack("fleetcap") as s:
        try:
            s.install_pgdrill()
            install_fleet(s)
            config = drill_config(s)
            env = fleet_env(s, config)
            env["FLEET_TEST_MODES"] = "s1=bootstrap,s2=record"
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
        proc = subprocess.Popen(as_user([os.path.join(s.bindir, "pgdrill-fleet"),
                                         "--config=" + watch, "watch"]),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=env)
        time.sleep(3.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        expect_equal(proc.returncode, 0, "watch after SIGTERM")
        expect(err.count("pass done") >= 3, "a pass every second", err[-3000:])
        expect_equal(len(scheduled_ids(s, "w1")), 1, "launched once across passes")
