"""Fleet bookkeeping and delivery: status history in a real PostgreSQL, the fleet-wide cap
under a real race, the webhook against a real local HTTPS server, the metrics file checked
by a strict exposition-format parser."""
import datetime
import http.server
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time

import promtext
from drillstack import (PG_BIN, REPO, Stack, as_user, expect, expect_equal, expect_outcome,
                        free_port, scenario)

EARLY = "--target-time=2001-01-01 00:00:00+00"  # a quick terminal verdict: no_backup
FLEET_LOCK = "7378664961493516"  # the advisory lock id of common/fleet/history.c (README)


def history_dsn(s, port=None):
    return "host=%s port=%d dbname=drillhist user=postgres" % (s.socket_dir, port or s.pg_port)


def add_report_settings(text, settings):
    return text.replace("report:\n", "report:\n" + "".join("  %s\n" % x for x in settings))


def fleet_settings(text, values):
    """Uncomment the example's fleet block, replacing the values of the keys in values."""
    head, marker, block = text.partition("  # Fleet bookkeeping")
    expect(marker != "", "patroni-examples/pgdrill.yml has the fleet block")
    lines = []
    for line in block.split("\n")[1:]:
        # "  #   url: ..." is a key nested one level deeper than "  # webhook:"
        m = re.match(r"^(\s*)#( +)(\w+):(.*)$", line)
        if m:
            value = values.get(m.group(3), m.group(4).strip())
            line = "%s%s%s: %s" % (m.group(1), " " * (len(m.group(2)) - 1), m.group(3), value)
        lines.append(line)
    return head + "\n".join(lines)


def readme_metrics():
    """The metric names of the README's metrics table: what pgdrill promises to write."""
    with open(os.path.join(REPO, "README.md")) as f:
        table = f.read().split("**Metrics**", 1)[1].split("\n\n| metric |", 1)[1].split("\n\n", 1)[0]
    return {name for row in table.splitlines()[2:] for name in re.findall(r"`(pgdrill_[a-z_]+)",
                                                                          row.split("|")[1])}


def check_metrics_file(path):
    """A real metrics file: Prometheus' own linter accepts it, every family is in the README."""
    with open(path) as f:
        p = subprocess.run(["promtool", "check", "metrics"], stdin=f, capture_output=True,
                           text=True, timeout=30)
    expect(p.returncode == 0 and not p.stdout.strip(), "promtool check metrics",
           p.stdout + p.stderr, open(path).read())
    families = set(promtext.parse(open(path).read()))
    expect(families <= readme_metrics(), "metrics not in the README's table",
           sorted(families - readme_metrics()))
    return families


# Written only once a drill to a past target passed (README metrics table), and the window
# only by a drill whose report has target.window (drills that choose their target).
PAST_TARGET_METRICS = {"pgdrill_last_past_target_success_timestamp_seconds",
                       "pgdrill_window_day_proven"}
WINDOW_METRICS = {"pgdrill_window_lower_timestamp_seconds",
                  "pgdrill_window_upper_timestamp_seconds"}


def coverage(s):
    """pgdrill.drill_window_coverage as {scope: (days, proven days, drills)}."""
    rows = s.psql("SELECT scope, count(*), string_agg(day::text, ',' ORDER BY day)"
                  " FILTER (WHERE proven), sum(drills) FROM pgdrill.drill_window_coverage"
                  " GROUP BY scope ORDER BY scope", db="drillhist")
    return {r.split("|")[0]: tuple(r.split("|")[1:]) for r in rows.split("\n") if r}


def history_rows(s, test_id):
    return s.psql("SELECT status || ':' || coalesce(error_class, '') FROM pgdrill.drill_status"
                  " WHERE test_id = '%s' ORDER BY time" % test_id, db="drillhist").split("\n")


@scenario
def delivery_history_and_metrics():
    with Stack("history") as s:
        s.psql("CREATE DATABASE drillhist")
        s.install_pgdrill()
        metrics = s.path("state", "pgdrill.prom")
        # the example's fleet block as it is, with only the servers and paths replaced
        # ... and an RTO target, so that the file holds every metric pgdrill writes
        config = s.pgdrill_config(edit=lambda t: fleet_settings(t, {
            "history_dsn": '"%s"' % history_dsn(s), "metrics_file": metrics, "url": '""',
            "token_file": '""', "ca_file": '""'}).replace("rto_target: 0 ", "rto_target: 1h "))

        # a passing drill by hand: bootstrap, then verify
        p = s.bootstrap(config, s.path("d1"))
        expect_equal(p.returncode, 0, "bootstrap")
        port = s.start_restored(s.path("d1"))
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, port))
        r = s.report()
        expect_outcome(p, r, 0, None)
        passed_id = r["test_id"]
        expect_equal(history_rows(s, passed_id),
                     ["started:", "inject:", "restore:", "recovery:", "restored:", "verifying:",
                      "passed:"], "status history of a passing drill")
        expect_equal(r["delivery"]["history"], "appended 2 rows", "delivery.history of verify")
        latest = s.psql("SELECT status, last_passed_time IS NOT NULL FROM pgdrill.drill_latest"
                        " WHERE scope = 'orders'", db="drillhist")
        expect_equal(latest, "passed|t", "latest view")
        fam = promtext.parse(open(metrics).read())
        expect_equal(promtext.value(fam, "pgdrill_drill_verdict", verdict="passed",
                                    scope="orders", stanza="orders"), 1, "verdict passed")
        expect_equal(promtext.value(fam, "pgdrill_drill_verdict", verdict="failed"), 0, "failed")
        last_success = promtext.value(fam, "pgdrill_last_success_timestamp_seconds")
        expect(abs(last_success - time.time()) < 120, "last success is now", last_success)
        age = promtext.value(fam, "pgdrill_recovery_point_age_seconds")
        expect(0 < age < 120, "recovery point age", age)
        recovery_point = promtext.value(
            fam, "pgdrill_last_success_recovery_point_timestamp_seconds")
        expect(abs(last_success - age - recovery_point) < 0.01, "recovery point is the target",
               recovery_point)
        expect(promtext.value(fam, "pgdrill_phase_duration_seconds", phase="restore") > 0,
               "restore duration")
        expect(oct(os.stat(metrics).st_mode & 0o777) == "0o644", "metrics file readable")
        families = check_metrics_file(metrics)
        expect(readme_metrics() - PAST_TARGET_METRICS - WINDOW_METRICS <= families,
               "a passing drill with an RTO target writes every metric of the README",
               sorted(readme_metrics() - PAST_TARGET_METRICS - WINDOW_METRICS - families))
        expect(not families & PAST_TARGET_METRICS, "a latest drill wrote past-target metrics",
               sorted(families & PAST_TARGET_METRICS))
        expect(WINDOW_METRICS <= families, "a latest drill's window (target.window) is written",
               sorted(WINDOW_METRICS - families))
        expect_equal(promtext.value(fam, "pgdrill_window_upper_timestamp_seconds"),
                     round(datetime.datetime.strptime(r["target"]["window"]["upper"],
                                                      "%Y-%m-%dT%H:%M:%S.%fZ")
                           .replace(tzinfo=datetime.timezone.utc).timestamp(), 3),
                     "the window's upper edge is the drill's marker")
        expect_equal(promtext.value(fam, "pgdrill_window_proven_dates"), 0, "no day proven")

        # window coverage: this drill restored to the latest point and proves no day; rows
        # as a passing (and a failing) drill to a past target leaves them prove their day
        today = s.psql("SELECT (now() AT TIME ZONE 'UTC')::date", db="drillhist")
        expect_equal(coverage(s), {"orders": ("30", "", "0")}, "coverage of a latest drill")
        s.psql("INSERT INTO pgdrill.drill_status (test_id, scope, stanza, status, error_class,"
               " detail) SELECT v.id, 'orders', 'orders', v.status, v.class, jsonb_build_object("
               "'target_kind', v.kind, 'target_time', to_char((now() - v.ago) AT TIME ZONE 'UTC',"
               " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
               " FROM (VALUES ('past-1', 'passed', NULL, 'random', interval '3 days'),"
               "  ('past-2', 'passed', NULL, 'time', interval '3 days'),"
               "  ('past-3', 'failed', 'target_mismatch', 'oldest', interval '5 days'),"
               "  ('past-4', 'passed', NULL, 'latest', interval '6 days'),"
               "  ('past-5', 'passed', NULL, 'oldest', interval '40 days'))"
               " AS v(id, status, class, kind, ago)", db="drillhist")
        proven = s.psql("SELECT ((now() - interval '3 days') AT TIME ZONE 'UTC')::date",
                        db="drillhist")
        expect_equal(coverage(s), {"orders": ("30", proven, "2")},
                     "coverage: passed past-target drills prove their target's day (today %s)"
                     % today)

        # a drill to a past target (oldest: just after the first drill's marker) proves its
        # target's day in the history and the metrics, and never moves the recovery point back
        p = s.bootstrap(config, s.path("d-oldest"), "--recovery-target=oldest")
        expect_equal(p.returncode, 0, "bootstrap of the past target")
        port = s.start_restored(s.path("d-oldest"))
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, port))
        r = s.report()
        expect_outcome(p, r, 0, None)
        s.stop_postgres(s.path("d-oldest"))
        detail = json.loads(s.psql("SELECT detail FROM pgdrill.drill_status WHERE test_id = '%s'"
                                   " AND status = 'passed'" % r["test_id"], db="drillhist"))
        expect_equal({k: detail.get(k) for k in ("target_kind", "target_time", "window_lower",
                                                 "window_upper")},
                     {"target_kind": "oldest", "target_time": r["target"]["time"],
                      "window_lower": r["target"]["window"]["lower"],
                      "window_upper": r["target"]["window"]["upper"]}, "history detail")
        target_day = r["target"]["time"][:10]
        expect_equal(coverage(s), {"orders": ("30", ",".join(sorted({proven, target_day})),
                                              "3")}, "coverage after a past-target drill")
        fam = promtext.parse(open(metrics).read())
        expect_equal(promtext.value(fam, "pgdrill_window_day_proven", day=target_day), 1,
                     "the target's day proven in the metrics")
        expect_equal(promtext.value(fam, "pgdrill_window_proven_dates"), 1, "one day proven")
        # oldest lands just before the first drill's fence, a few ms after its target: the
        # recovery point is the newer of the two, never the older
        expect(recovery_point <= promtext.value(
            fam, "pgdrill_last_success_recovery_point_timestamp_seconds") < recovery_point + 1,
            "a past target does not move the recovery point back")
        recovery_point = promtext.value(fam, "pgdrill_last_success_recovery_point_timestamp_seconds")
        expect("pgdrill_recovery_point_age_seconds" not in fam, "no lag for a past target")
        families = check_metrics_file(metrics)
        expect(families == readme_metrics() - {"pgdrill_recovery_point_age_seconds"},
               "after a latest and a past-target drill every metric of the README is written "
               "(but the lag, for a past target)",
               sorted(readme_metrics() ^ families))
        last_success = promtext.value(fam, "pgdrill_last_success_timestamp_seconds")

        # a failing drill: the verdict changes, the last success stays
        p = s.bootstrap(config, s.path("d2"), "--test-id=early", EARLY)
        expect_outcome(p, s.report(), 1, "no_backup")
        expect_equal(history_rows(s, "early"), ["started:", "restore:", "failed:no_backup"],
                     "status history of a failing drill")
        check_metrics_file(metrics)
        fam = promtext.parse(open(metrics).read())
        expect_equal(promtext.value(fam, "pgdrill_drill_verdict", verdict="failed"), 1, "failed")
        expect_equal(promtext.value(fam, "pgdrill_last_success_timestamp_seconds"), last_success,
                     "last success kept across a failure")
        expect("pgdrill_recovery_point_age_seconds" not in fam, "no proven recovery point")
        expect_equal(promtext.value(fam, "pgdrill_last_success_recovery_point_timestamp_seconds"),
                     recovery_point, "last proven recovery point kept across a failure")
        latest = s.psql("SELECT status, last_passed_time IS NOT NULL FROM pgdrill.drill_latest"
                        " WHERE scope = 'orders'", db="drillhist")
        expect_equal(latest, "failed|t", "latest view after a failure")

        # a role that may only INSERT and SELECT (no CREATE on the database) appends too
        s.psql("CREATE ROLE drillwriter LOGIN; REVOKE CREATE ON DATABASE drillhist FROM PUBLIC;"
               " GRANT USAGE ON SCHEMA pgdrill TO drillwriter;"
               " GRANT SELECT, INSERT ON pgdrill.drill_status TO drillwriter", db="drillhist")
        writer = s.pgdrill_config("writer.yml", edit=lambda t: add_report_settings(t, [
            'history_dsn: "%s"' % history_dsn(s).replace("user=postgres", "user=drillwriter"),
            "max_concurrent: 5"]))
        # ... also into a history an older version created (no coverage view): the role
        # cannot add the view, says so, and appends all the same; a role that can adds it
        s.psql("DROP VIEW pgdrill.drill_window_coverage", db="drillhist")
        p = s.bootstrap(writer, s.path("d4"), "--test-id=early-writer", EARLY)
        expect_outcome(p, s.report(), 1, "no_backup")
        expect_equal(history_rows(s, "early-writer"), ["started:", "restore:", "failed:no_backup"],
                     "status history written by an INSERT-only role")
        expect("could not create pgdrill.drill_window_coverage" in p.stderr,
               "the INSERT-only role says it could not add the view", p.stderr[-2000:])
        p = s.bootstrap(config, s.path("d5"), "--test-id=early-owner", EARLY)
        expect_outcome(p, s.report(), 1, "no_backup")
        expect_equal(s.psql("SELECT to_regclass('pgdrill.drill_window_coverage') IS NOT NULL",
                            db="drillhist"), "t", "the view added to an older history")

        # the history database down: logged and noted, verdict and exit code unchanged
        down = s.pgdrill_config("down.yml", edit=lambda t: add_report_settings(t, [
            'history_dsn: "%s"' % history_dsn(s, free_port())]))
        p = s.bootstrap(down, s.path("d3"), "--test-id=early-2", EARLY)
        r = s.report()
        expect_outcome(p, r, 1, "no_backup")
        expect(r["delivery"]["history"].startswith("failed: could not connect"), "noted",
               r["delivery"])
        expect_equal(p.stderr.count("status history: could not connect"), 1,
                     "a dead history database is asked once per run")


@scenario
def delivery_fleet_cap():
    """Two drills starting together with max_concurrent 1: exactly one is deferred."""
    with Stack("cap") as s:
        s.psql("CREATE DATABASE drillhist")
        s.install_pgdrill()
        # a drill that died long ago counts as stale, not as running
        s.psql("CREATE SCHEMA pgdrill; CREATE TABLE pgdrill.drill_status (time timestamptz NOT NULL"
               " DEFAULT clock_timestamp(), test_id text NOT NULL, scope text NOT NULL, stanza text"
               " NOT NULL, status text NOT NULL, error_class text, detail jsonb NOT NULL DEFAULT"
               " '{}'); INSERT INTO pgdrill.drill_status (time, test_id, scope, stanza, status)"
               " VALUES (now() - interval '2 days', 'dead', 'orders', 'orders', 'started')",
               db="drillhist")
        # Force the race: hold the fleet lock while both drills start, so that both reach the
        # admission at the same moment. Without the lock in pgdrill both would count 0 and run.
        holder = subprocess.Popen(as_user([
            PG_BIN + "/psql", "-X", "-q", "-h", s.socket_dir, "-p", str(s.pg_port), "-U",
            "postgres", "-d", "drillhist"]), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            text=True, env=s.env)
        holder.stdin.write("SELECT pg_advisory_lock(%s);\n" % FLEET_LOCK)
        holder.stdin.flush()
        s.wait_for("the test to hold the fleet lock", lambda: s.psql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
            db="drillhist") == "1", 20)
        procs = []
        for n in (1, 2):
            state = s.mkdir("state%d" % n)
            config = s.pgdrill_config("cap%d.yml" % n, edit=lambda t: add_report_settings(
                t.replace(s.path("state"), state), [
                    'history_dsn: "%s"' % history_dsn(s), "max_concurrent: 1",
                    "stale_after: 12h"]))
            procs.append(subprocess.Popen(
                as_user([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                         "--datadir=" + s.path("d%d" % n)]),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=s.drill_env()))
        # both must queue on the fleet lock: that is what keeps them from counting at once
        s.wait_for("both drills to wait for the fleet lock", lambda: s.psql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            db="drillhist") == "2", 20)
        holder.communicate("SELECT pg_advisory_unlock_all();\n", timeout=30)
        outputs = [p.communicate(timeout=300)[0] for p in procs]
        codes = sorted(p.returncode for p in procs)
        expect_equal(codes, [0, 3], "one drill ran, one was deferred\n" + "\n".join(
            o[-3000:] for o in outputs))
        deferred = [n for n, p in zip((1, 2), procs) if p.returncode == 3][0]
        r = json.load(open(s.path("state%d" % deferred, "report.json")))
        expect_equal(r["error"]["class"], "deferred", "error.class")
        expect_equal(r["verdict"], "inconclusive", "verdict")
        expect(not os.path.exists(s.path("d%d" % deferred)), "the deferred drill restored")
        expect_equal(s.psql("SELECT count(*) FROM _pgdrill.marker WHERE test_id = '%s'"
                            % r["test_id"]), "0", "the deferred drill wrote a marker")
        expect_equal(history_rows(s, r["test_id"]), ["deferred:deferred"], "deferred row")
        # a deferred drill does not block its own retry under the same test id (the attempt
        # guard lets it through), and once the other drill has passed it is admitted
        s.psql("INSERT INTO pgdrill.drill_status (test_id, scope, stanza, status)"
               " SELECT DISTINCT test_id, scope, stanza, 'passed' FROM pgdrill.drill_status"
               " WHERE status = 'restored'", db="drillhist")
        retry = s.path("cap%d.yml" % deferred)
        p = s.bootstrap(retry, s.path("d%d-retry" % deferred), "--test-id=" + r["test_id"], EARLY)
        expect_outcome(p, json.load(open(s.path("state%d" % deferred, "report.json"))), 1,
                       "no_backup")
        expect_equal(history_rows(s, r["test_id"]),
                     ["deferred:deferred", "started:", "restore:", "failed:no_backup"],
                     "rows of a deferred drill retried")
        # ... and while such a retried drill runs, it counts against the cap
        s.psql("INSERT INTO pgdrill.drill_status (time, test_id, scope, stanza, status,"
               " error_class) VALUES (now() - interval '1 minute', 'revived', 'billing',"
               " 'billing', 'deferred', 'deferred'), (now(), 'revived', 'billing', 'billing',"
               " 'started', NULL)", db="drillhist")
        p = s.bootstrap(retry, s.path("d-third"), "--test-id=third", EARLY)
        expect_outcome(p, json.load(open(s.path("state%d" % deferred, "report.json"))), 3,
                       "deferred")


class Hooks(http.server.BaseHTTPRequestHandler):
    """Scripted answers per path; every request is recorded."""
    script = {}
    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        Hooks.received.append((self.path, self.headers.get("Authorization"), body))
        answers = Hooks.script.get(self.path, [200])
        code = answers.pop(0) if len(answers) > 1 else answers[0]
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def https_server(s):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Hooks)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(s.path("cert.pem"), s.path("key.pem"))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def silent_server():
    """Accepts TCP connections and never answers: a hung receiver."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


@scenario
def delivery_webhook():
    token = "tok-" + os.urandom(8).hex()
    with Stack("webhook") as s:
        s.install_pgdrill()
        s.write("token", token + "\n")
        s.write("token-ctl", "tok-abc\r\nX-Injected: yes\n")
        server = https_server(s)
        plain = http_server()
        hung = silent_server()
        try:
            def run(name, url, timeout="5s", retries=2, token_file=s.path("token"), extra=""):
                config = s.pgdrill_config(name + ".yml", edit=lambda t: add_report_settings(t, [
                    "webhook: {url: '%s', token_file: %s, ca_file: %s, timeout: %s, retries: %d%s}"
                    % (url, token_file, s.path("cert.pem"), timeout, retries, extra)]))
                started = time.monotonic()
                p = s.bootstrap(config, s.path("d-" + name), "--test-id=" + name, EARLY)
                r = s.report()
                expect_outcome(p, r, 1, "no_backup")  # delivery never changes the verdict
                expect(token not in p.stdout + p.stderr + open(s.path("state", "report.json")).read(),
                       "the token was printed")
                return r["delivery"]["webhook"], time.monotonic() - started

            base = "https://localhost:%d" % server.server_address[1]
            # the example's webhook block as shipped, only the receiver and the files replaced
            config = s.pgdrill_config("example.yml", edit=lambda t: fleet_settings(t, {
                "history_dsn": '""', "max_concurrent": "0", "metrics_file": '""',
                "url": base + "/example", "token_file": s.path("token"),
                "ca_file": s.path("cert.pem")}))
            p = s.bootstrap(config, s.path("d-example"), "--test-id=example", EARLY)
            hook = s.report()["delivery"]["webhook"]
            expect_equal((hook["delivered"], hook["attempts"]), (True, 1), "the example's block")
            posts = [r for r in Hooks.received if r[0] == "/example"]
            expect_equal(posts[-1][1], "Bearer " + token, "Authorization header (example)")

            # a token with a line break would inject a header: refused, nothing sent
            hook, _ = run("ctl", base + "/ctl", token_file=s.path("token-ctl"))
            expect(not hook["delivered"] and "control characters" in hook["error"],
                   "a token with control characters was used", hook)
            expect_equal([r for r in Hooks.received if r[0] == "/ctl"], [], "requests to /ctl")

            # plain http only when the configuration says so
            plain_url = "http://127.0.0.1:%d/plain" % plain.server_address[1]
            config = s.pgdrill_config("plain.yml", edit=lambda t: add_report_settings(t, [
                "webhook: {url: '%s', retries: 0}" % plain_url]))
            p = s.bootstrap(config, s.path("d-plain"), "--test-id=plain", EARLY)
            expect_equal(p.returncode, 2, "exit code, http:// without allow_http")
            expect("report.webhook.allow_http" in p.stderr, "says how", p.stderr[-1000:])
            hook, _ = run("plain", plain_url, extra=", allow_http: true")
            expect_equal((hook["delivered"], hook["attempts"]), (True, 1), "allowed plain http")

            Hooks.script = {"/retry": [500, 200], "/bad": [400]}
            hook, _ = run("retry", base + "/retry")
            expect_equal((hook["delivered"], hook["attempts"], hook["http_status"]),
                         (True, 2, 200), "500 then 200: delivered after a retry")
            posts = [r for r in Hooks.received if r[0] == "/retry"]
            expect_equal(len(posts), 2, "requests to /retry")
            expect_equal(posts[-1][1], "Bearer " + token, "Authorization header")
            expect_equal(json.loads(posts[-1][2])["test_id"], "retry", "the body is the report")

            hook, _ = run("bad", base + "/bad")
            expect_equal((hook["delivered"], hook["attempts"], hook["http_status"]),
                         (False, 1, 400), "400: no retry")
            expect_equal(len([r for r in Hooks.received if r[0] == "/bad"]), 1, "requests to /bad")

            hook, elapsed = run("hung", "https://localhost:%d/hook" % hung.getsockname()[1],
                                timeout="2s", retries=1)
            expect_equal((hook["delivered"], hook["attempts"]), (False, 2), "hung receiver")
            expect(re.search(r"[Tt]imeout|timed out", hook["error"]), "a timeout", hook)
            # two attempts of 2 s and one backoff of 1 s, plus the drill itself
            expect(5 <= elapsed < 20, "timeout honoured (%.1fs)" % elapsed)

            # TLS is verified: without our CA the certificate is refused
            config = s.pgdrill_config("noca.yml", edit=lambda t: add_report_settings(t, [
                "webhook: {url: '%s/ok', timeout: 5s, retries: 0}" % base]))
            s.bootstrap(config, s.path("d-noca"), "--test-id=noca", EARLY)
            hook = s.report()["delivery"]["webhook"]
            expect(not hook["delivered"] and "certificate" in hook["error"].lower(),
                   "unverified TLS accepted", hook)
        finally:
            server.shutdown()
            plain.shutdown()
            hung.close()
