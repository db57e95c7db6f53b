"""verify.assertions can only read: hostile assertions escape nothing, no value of the restored
data is copied anywhere, a foreign server is never reached, and a stop is never a finding
(README, "Assertions can only read"). One restored drill instance serves every case of a
scenario: bootstrap once, then pgdrill-verify with one configuration per case."""
import json
import os
import re
import signal
import subprocess
import time

from drillstack import (PG_BIN, Stack, as_user, expect, expect_equal, expect_outcome, run,
                        scenario)
from test_delivery import Hooks, add_report_settings, history_dsn, https_server

EMAIL = "zed.quarantine-7f3a@example.invalid"  # the customer's value that must never be copied
FILE_CONTENT = "SERVER-FILE-CONTENT-5d1e"  # a file the server's OS user can read
REMOTE_PASSWORD = "remote-Pa55-in-public-mapping"


def check(report, name):
    found = [c for c in report["checks"] if c["name"] == name]
    expect(found, "no %s check in the report" % name, [c["name"] for c in report["checks"]])
    return found[0]


def with_assertions(assertions, timeouts="  timeout: 30m\n", jobs=2):
    """An edit of the example configuration: these {name: sql} assertions (sql in database
    postgres, or (database, sql)), timeouts in place of the example's verify.timeout, jobs as
    verify.jobs (the example's 2)."""
    lines = ["  assertions:"]
    for name, sql in assertions.items():
        database, sql = sql if isinstance(sql, tuple) else ("postgres", sql)
        lines.append("    - {name: %s, database: %s, sql: %s}" % (name, database, json.dumps(sql)))
    return lambda t: t.replace("  assertions: []", "\n".join(lines)).replace(
        "  timeout: 30m\n", timeouts).replace("  jobs: 2\n", "  jobs: %d\n" % jobs)


def restored_drill(s, source_sql):
    """source_sql on the source, then a drill by hand up to a running restored instance."""
    s.install_pgdrill()
    s.psql(source_sql)
    p = s.bootstrap(s.pgdrill_config(), s.path("drill"))
    expect_equal(p.returncode, 0, "bootstrap exit code")
    return s.start_restored(s.path("drill"))


def verify(s, port, name, edit):
    config = s.pgdrill_config(name + ".yml", edit=edit)
    started = time.monotonic()
    p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, port))
    return p, s.report(), time.monotonic() - started


def everything_printed(s, p):
    return p.stdout + p.stderr + open(s.path("state", "report.json")).read()


def assertion_roles_left(s, port):
    return s.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pgdrill\\_assert\\_%'",
                  port=port) + "/" + s.psql(
        "SELECT count(*) FROM pg_user_mappings WHERE usename LIKE 'pgdrill\\_assert\\_%'",
        port=port)


def start_remote(s):
    """A second PostgreSQL that logs every connection: a foreign server's target."""
    datadir = s.path("remote")
    run([PG_BIN + "/initdb", "-D", datadir, "-U", "postgres", "--auth-local=trust",
         "--auth-host=scram-sha-256"], timeout=120, env=s.env)
    port = s.start_restored(datadir, "-c log_connections=on")
    s.psql("CREATE TABLE remote_t (x int); INSERT INTO remote_t VALUES (1)", port=port)
    return port


def connections_seen(s):
    return open(s.path("remote.log"), errors="replace").read().count("connection received")


def hba_first(s, lines):
    """Put lines at the top of the restored instance's pg_hba.conf and reload it."""
    path = os.path.join(s.path("drill"), "pg_hba.conf")
    text = open(path).read()
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines) + text)
    run([PG_BIN + "/pg_ctl", "-D", s.path("drill"), "reload"], env=s.env)
    time.sleep(0.5)
    return lambda: (open(path, "w").write(text),
                    run([PG_BIN + "/pg_ctl", "-D", s.path("drill"), "reload"], env=s.env),
                    time.sleep(0.5))


@scenario
def assertions_can_only_read():
    with Stack("readonly") as s:
        remote = start_remote(s)
        secret = s.write("server-file.txt", FILE_CONTENT + "\n")
        touched = [s.path("touched-by-copy"), s.path("touched-after-set-role")]
        s.psql("CREATE DATABASE drillhist")
        # a database only its owner may connect to: the role gets CONNECT, as a superuser has it
        s.psql("CREATE DATABASE inventory")
        s.psql("CREATE TABLE items (id int); INSERT INTO items VALUES (1);"
               " REVOKE CONNECT ON DATABASE inventory FROM PUBLIC", db="inventory")
        port = restored_drill(s, "".join([
            "CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);"
            " INSERT INTO customers VALUES (1, '%s');" % EMAIL,
            # no policy: a role without BYPASSRLS sees no row
            " ALTER TABLE customers ENABLE ROW LEVEL SECURITY;",
            " CREATE EXTENSION postgres_fdw; CREATE EXTENSION dblink;",
            " CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw"
            " OPTIONS (host '%s', port '%d', dbname 'postgres');" % (s.socket_dir, remote),
            " CREATE USER MAPPING FOR PUBLIC SERVER remote"
            " OPTIONS (user 'postgres', password '%s');" % REMOTE_PASSWORD,
            " CREATE FOREIGN TABLE remote_t (x int) SERVER remote;",
            # dblink then reaches the user mapping: without USAGE it refuses earlier
            " GRANT USAGE ON FOREIGN SERVER remote TO PUBLIC;"]))
        # bootstrap's quarantine took the wrapper's handler away (README "Quarantine"); given
        # back, as for an inspection, the assertions' own guard must still hold.
        s.psql("ALTER FOREIGN DATA WRAPPER postgres_fdw HANDLER public.postgres_fdw_handler",
               port=port)
        # The role logs in with its password: postgres alone keeps trust.
        hba_first(s, ["local all postgres trust", "local all all scram-sha-256"])
        seen = connections_seen(s)

        # (1) Hostile assertions: each fails, nothing is written, no program runs.
        hostile = {
            "do_commit": "DO $$BEGIN COMMIT; SET TRANSACTION READ WRITE;"
                         " CREATE TABLE escaped_do (); END$$",
            "guc_reset": "DO $$BEGIN PERFORM set_config('default_transaction_read_only', 'off',"
                         " false); COMMIT; CREATE TABLE escaped_guc (); END$$",
            "guc_cte": "WITH off AS (SELECT set_config('default_transaction_read_only', 'off',"
                       " false)), w AS (INSERT INTO customers SELECT -1, 'x' FROM off"
                       " RETURNING true AS ok) SELECT bool_and(ok) FROM w",
            "copy_program": "COPY (SELECT 1) TO PROGRAM 'touch %s'" % touched[0],
            "read_file": "SELECT pg_read_file('%s')" % secret,
            "set_role": "DO $$BEGIN RESET SESSION AUTHORIZATION; SET ROLE postgres;"
                        " COPY (SELECT 1) TO PROGRAM 'touch %s'; END$$" % touched[1],
            "multi": "SELECT true; CREATE TABLE escaped_multi ()",
            "fdw": "SELECT count(*) >= 0 FROM remote_t",
            "dblink": "SELECT count(*) >= 0 FROM dblink('remote', 'SELECT 1') AS t(x int)",
        }
        p, r, _ = verify(s, port, "hostile", with_assertions(dict(
            hostile, all_rows="SELECT count(*) = 1 FROM customers",
            other_db=("inventory", "SELECT count(*) = 1 FROM items"))))
        expect_outcome(p, r, 1, "assertion_failed")
        expect_equal(check(r, "assertion:all_rows")["status"], "passed",
                     "BYPASSRLS and pg_read_all_data: the role reads every row")
        expect_equal(check(r, "assertion:other_db")["status"], "passed",
                     "a database without CONNECT for PUBLIC")
        for name in hostile:
            c = check(r, "assertion:" + name)
            expect_equal((c["status"], c.get("class")), ("failed", "assertion_failed"), name)
        for name, condition in (("do_commit", "invalid_transaction_termination (SQLSTATE 2D000)"),
                                ("guc_cte", "read_only_sql_transaction (SQLSTATE 25006)"),
                                ("copy_program", "insufficient_privilege (SQLSTATE 42501)"),
                                ("read_file", "insufficient_privilege (SQLSTATE 42501)"),
                                ("set_role", "insufficient_privilege (SQLSTATE 42501)"),
                                ("multi", "syntax_error (SQLSTATE 42601"),
                                ("fdw", "(SQLSTATE 2F003): password is required"),
                                ("dblink", "(SQLSTATE 2F003): password is required")):
            expect(condition in check(r, "assertion:" + name)["detail"], name,
                   check(r, "assertion:" + name))
        expect_equal(s.psql("SELECT count(*) FROM pg_class WHERE relname LIKE 'escaped%'",
                            port=port), "0", "tables the hostile assertions created")
        expect_equal(s.psql("SELECT count(*) FROM customers WHERE id < 0", port=port), "0",
                     "rows the hostile assertions inserted")
        expect([t for t in touched if os.path.exists(t)] == [], "a program ran", touched)
        expect(FILE_CONTENT not in everything_printed(s, p), "the server's file was printed")
        expect_equal(connections_seen(s), seen, "connections the foreign server saw")
        expect_equal(assertion_roles_left(s, port), "0/0", "the role and its user mappings")

        # (2) Values: described by type and shape, never copied anywhere.
        Hooks.received.clear()
        server = https_server(s)
        try:
            p, r, _ = verify(s, port, "values", lambda t: add_report_settings(with_assertions({
                "email": "SELECT email FROM customers LIMIT 1",
                "email_int": "SELECT email::int FROM customers LIMIT 1",
                "email_regclass": "SELECT email::regclass IS NULL FROM customers LIMIT 1",
                "raise": "DO $$BEGIN RAISE EXCEPTION '%', (SELECT email FROM customers); END$$",
                "notice": "DO $$BEGIN RAISE NOTICE '%', (SELECT email FROM customers); END$$",
                "copy_out": "COPY (SELECT email FROM customers) TO STDOUT",
            })(t), ["history_dsn: \"%s\"" % history_dsn(s),
                    "webhook: {url: 'https://localhost:%d/hook', ca_file: %s, retries: 0}"
                    % (server.server_address[1], s.path("cert.pem"))]))
        finally:
            server.shutdown()
        expect_outcome(p, r, 1, "assertion_failed")
        for name, detail in (
                ("email", "returned 1 row of 1 column of type text, not one boolean"),
                ("email_int", "invalid_text_representation (SQLSTATE 22P02; message not shown"),
                # 0A000: "cross-database references are not implemented: <the value>"
                ("email_regclass", "feature_not_supported (SQLSTATE 0A000; message not shown"),
                ("raise", "raise_exception (SQLSTATE P0001; message not shown"),
                ("notice", "returned no rows (command DO), not one boolean"),
                ("copy_out", "returned a COPY (not read), not one boolean")):
            c = check(r, "assertion:" + name)
            expect((c["status"], c.get("class")) == ("failed", "assertion_failed")
                   and detail in c["detail"], name, c)
        expect("1 notice of the server not shown" in p.stderr, "the notice is counted",
               p.stderr[-3000:])
        expect_equal(len(Hooks.received), 1, "webhook deliveries")
        history = s.psql("SELECT string_agg(coalesce(error_class, '') || detail::text, ' ')"
                         " FROM pgdrill.drill_status", db="drillhist")
        expect("assertion_failed" in history, "the history holds the verdict", history)
        for where, text in (("stdout, stderr or report", everything_printed(s, p)),
                            ("webhook", Hooks.received[0][2].decode()),
                            ("history", history)):
            expect(EMAIL not in text and EMAIL.split("@")[0] not in text,
                   "the customer's e-mail is in the " + where)

        # (3) pg_hba.conf does not let the role in (as Patroni's during post_bootstrap): verify
        # lets it alone in for the assertions' time and writes the file back as it was.
        restore = hba_first(s, ["local all postgres trust", "local all all peer"])
        hba = os.path.join(s.path("drill"), "pg_hba.conf")
        before = open(hba, "rb").read()
        p, r, _ = verify(s, port, "peer", with_assertions({"one": "SELECT true"}))
        expect_outcome(p, r, 0, None)
        expect(open(hba, "rb").read() == before, "pg_hba.conf written back as it was")
        expect_equal(assertion_roles_left(s, port), "0/0", "the role after pg_hba.conf")
        # ... and when it cannot: not run, saying what pg_hba.conf needs.
        os.chmod(hba, 0o400)
        p, r, _ = verify(s, port, "refused", with_assertions({"one": "SELECT true"}))
        os.chmod(hba, 0o600)
        expect(open(hba, "rb").read() == before, "pg_hba.conf unchanged")
        restore()
        expect_outcome(p, r, 3, "internal")
        c = check(r, "assertion:one")
        expect(c["status"] == "not_run" and "could not let it in through pg_hba.conf" in c["detail"]
               and "peer and ident refuse it" in c["hint"], "says what pg_hba.conf needs", c)
        expect_equal(assertion_roles_left(s, port), "0/0", "the role after a refused login")


def sleeping_assertions(s, port):
    return s.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%'"
                  " AND pid <> pg_backend_pid()", port=port)


def verify_in_background(s, port, name, edit):
    config = s.pgdrill_config(name + ".yml", edit=edit)
    return subprocess.Popen(as_user([os.path.join(s.bindir, "pgdrill-verify"),
                                     "--config=" + config, "host=%s port=%d dbname=postgres"
                                     " user=postgres" % (s.socket_dir, port)]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=s.drill_env())


def verify_stopped_by_sigterm(s, port, name, edit, what, sleeping, wait):
    """verify with these assertions, SIGTERM once `sleeping` of them run: it ends interrupted
    (exit 3) within 15 s. Returns the report."""
    proc = verify_in_background(s, port, name, edit)
    try:
        s.wait_for(what, lambda: sleeping_assertions(s, port) == sleeping, wait)
        proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    r = s.report()
    expect_outcome(p, r, 3, "interrupted")
    expect(time.monotonic() - stopped < 15, "verify ended soon after SIGTERM")
    return r


@scenario
def assertions_stop_is_not_a_finding():
    with Stack("assertstop") as s:
        port = restored_drill(s, "SELECT 1")

        # (4) SIGTERM while an assertion runs: interrupted, the query cancelled, the role gone.
        r = verify_stopped_by_sigterm(s, port, "sleep", with_assertions(
            {"sleeper": "SELECT pg_sleep(60) IS NULL"}), "the assertion to run", "1", 60)
        c = check(r, "assertion:sleeper")
        expect((c["status"], c.get("class")) == ("not_run", "interrupted")
               and "termination signal" in c["detail"], "the assertion was not judged", c)
        s.wait_for("the cancelled query to end", lambda: sleeping_assertions(s, port) == "0", 10)
        expect_equal(assertion_roles_left(s, port), "0/0", "the role after SIGTERM")

        # (5) Statement timeouts: not judged. Three assertions one at a time (verify.jobs 1)
        # whose timeouts add up to 27 s, beyond verify.timeout (14 s): the first has its own
        # timeout, the second what the deadline leaves, the third is not started; verify ends
        # at its deadline.
        p, r, seconds = verify(s, port, "deadline", with_assertions(
            {"slow1": "SELECT pg_sleep(60) IS NULL", "slow2": "SELECT pg_sleep(60) IS NULL",
             "slow3": "SELECT pg_sleep(60) IS NULL"},
            "  timeout: 14s\n  assertion_timeout: 9s\n", jobs=1))
        expect_outcome(p, r, 3, "timeout")
        expect(seconds < 14 + 3, "verify.timeout is kept", seconds)
        for name, detail in (("slow1", "statement timeout of 9.0 s (verify.assertion_timeout)"),
                             ("slow2", "(what verify.timeout left)"),
                             ("slow3", "not started: verify.timeout (14s) left no time for it")):
            c = check(r, "assertion:" + name)
            expect((c["status"], c.get("class")) == ("not_run", "timeout") and detail in c["detail"],
                   name, c)
        expect_equal(assertion_roles_left(s, port), "0/0", "the role after the deadline")

        # (6) verify.jobs 2: two assertions run at the same time, each on its own session (two
        # sleep in pg_stat_activity, never three), the third waits for a place; the deadline
        # (10 s) stops the two running ones (what verify.timeout left, not their own 60 s) and
        # leaves the third no time; the report lists them in the table's order.
        proc = verify_in_background(s, port, "parallel", with_assertions(
            {"slow1": "SELECT pg_sleep(60) IS NULL", "slow2": "SELECT pg_sleep(60) IS NULL",
             "slow3": "SELECT pg_sleep(60) IS NULL"},
            "  timeout: 10s\n  assertion_timeout: 60s\n", jobs=2))
        started = time.monotonic()
        seen = []
        try:
            while proc.poll() is None and time.monotonic() - started < 20:
                seen.append(int(sleeping_assertions(s, port)))
                time.sleep(0.2)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        seconds = time.monotonic() - started
        p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        r = s.report()
        expect_outcome(p, r, 3, "timeout")
        expect(max(seen) == 2, "two assertions ran at once, never three", seen)
        # the checks after the assertions (pg_dump, pg_amcheck: not_run, timeout) and the role's
        # clean-up still take a moment after the deadline, more on a loaded machine
        expect(seconds < 10 + 5, "verify.timeout is kept", seconds)
        expect(all(check(r, "assertion:" + name)["seconds"] < 10 for name in ("slow1", "slow2")),
               "the two running assertions were stopped within verify.timeout",
               [check(r, "assertion:" + name) for name in ("slow1", "slow2")])
        for name, detail in (("slow1", "(what verify.timeout left)"),
                             ("slow2", "(what verify.timeout left)"),
                             ("slow3", "not started: verify.timeout (10s) left no time for it")):
            c = check(r, "assertion:" + name)
            expect((c["status"], c.get("class")) == ("not_run", "timeout") and detail in c["detail"],
                   name, c)
        # recorded in the table's order (the report keeps each name where an earlier run put it)
        logged = re.findall(r"check (assertion:\w+) could not run", p.stdout + p.stderr)
        expect_equal(logged, ["assertion:slow1", "assertion:slow2", "assertion:slow3"],
                     "the order the assertions were recorded in")
        s.wait_for("the cancelled queries to end", lambda: sleeping_assertions(s, port) == "0", 10)
        expect_equal(assertion_roles_left(s, port), "0/0", "the role after the deadline")

        # (7) SIGTERM while two run at once (verify.jobs 2): both queries cancelled and
        # interrupted, the third not started (interrupted), the role gone.
        r = verify_stopped_by_sigterm(s, port, "parallel-sigterm", with_assertions(
            {"slow1": "SELECT pg_sleep(60) IS NULL", "slow2": "SELECT pg_sleep(60) IS NULL",
             "slow3": "SELECT pg_sleep(60) IS NULL"}, jobs=2), "two assertions to run", "2", 30)
        for name, detail in (("slow1", "termination signal arrived while the query ran"),
                             ("slow2", "termination signal arrived while the query ran"),
                             ("slow3", "not started: pgdrill-verify received a termination")):
            c = check(r, "assertion:" + name)
            expect((c["status"], c.get("class")) == ("not_run", "interrupted")
                   and detail in c["detail"], name, c)
        s.wait_for("the cancelled queries to end", lambda: sleeping_assertions(s, port) == "0", 10)
        expect_equal(assertion_roles_left(s, port), "0/0", "the role after SIGTERM")
