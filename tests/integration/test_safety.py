"""Safe to point at production: the source is never harmed, no secret leaves its file,
no file can be hijacked, and bad input never gives a wrong verdict. Each scenario injects
the hostile or mistaken input into a real drill and asserts what happened to the source,
the files and the verdict."""
import calendar
import difflib
import json
import os
import pwd
import re
import stat
import subprocess
import time

import promtext
from drillstack import (PG_BIN, RUN_USER, SOURCE_PASSWORD, Stack, as_user, expect,
                        expect_equal, expect_outcome, run, scenario)
from test_delivery import EARLY, Hooks, add_report_settings, https_server

SCHEMA_TAG = "pgdrill marker schema (created by pgdrill-bootstrap)"  # common/pg/marker.h
TABLE_TAG = "pgdrill marker table (created by pgdrill-bootstrap)"


def source_snapshot(s):
    """What an application on the source could notice: schema, ACLs, data, roles."""
    dump = run([PG_BIN + "/pg_dump", "-h", s.socket_dir, "-p", str(s.pg_port), "-U", "postgres",
                "-d", "postgres"], env=s.env).stdout
    # pg_dump 15.14+ brackets its output with a random \restrict key
    dump = "".join(line for line in dump.splitlines(True)
                   if not line.startswith(("\\restrict ", "\\unrestrict ")))
    roles = s.psql("SELECT rolname, rolsuper, rolcanlogin, rolcreaterole FROM pg_roles"
                   " ORDER BY rolname")
    acls = s.psql("SELECT nspname, nspacl, obj_description(oid, 'pg_namespace')"
                  " FROM pg_namespace ORDER BY nspname")
    return dump + roles + acls


def set_marker(schema, table):
    return lambda t: t.replace("schema: _pgdrill", "schema: %s" % schema).replace(
        "table: marker", "table: %s" % table)


def drop_report(s):
    """A refused drill leaves its report; the next one of this scenario is a new drill."""
    os.remove(s.path("state", "report.json"))


@scenario
def safety_marker_location():
    """marker.schema/table naming something pgdrill did not create: refused, source untouched."""
    with Stack("markersafe") as s:
        s.install_pgdrill()
        # An application that relies on PUBLIC, its own schema with rows older than 30 days,
        # and an empty schema an administrator made.
        s.psql("CREATE ROLE app LOGIN; GRANT SELECT ON orders TO PUBLIC;"
               " CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO PUBLIC;"
               " CREATE TABLE app.events (id int PRIMARY KEY, kind text, created_at timestamptz);"
               " GRANT SELECT ON app.events TO PUBLIC;"
               " INSERT INTO app.events SELECT g, 'old', now() - interval '90 days'"
               "  FROM generate_series(1, 100) g;"
               " CREATE TABLE app.marker (test_id text, kind text, scope text,"
               "  created_at timestamptz, note text);"
               " INSERT INTO app.marker VALUES ('x', 'marker', 'app', now() - interval '90 days');"
               " CREATE SCHEMA handover AUTHORIZATION pgdrill")
        before = source_snapshot(s)

        for schema in ("public", "pg_catalog", "information_schema", "pg_temp"):
            p = s.bootstrap(s.pgdrill_config("cfg.yml", edit=set_marker(schema, "marker")),
                            s.path("d-reserved"))
            expect_equal(p.returncode, 2, "exit code for marker.schema %s" % schema)
            expect("marker.schema: \"%s\" is not a schema pgdrill may own" % schema in p.stderr,
                   "the config error names the key", p.stderr[-2000:])
            expect(not os.path.exists(s.path("state", "report.json")), "a refused config ran")

        for schema, table in (("app", "events"), ("app", "marker"), ("app", "newtable"),
                              ("handover", "marker")):
            p = s.bootstrap(s.pgdrill_config("cfg.yml", edit=set_marker(schema, table)),
                            s.path("d-%s-%s" % (schema, table)))
            r = s.report()
            expect_outcome(p, r, 3, "marker_location_refused")
            expect("nothing was changed on the source" in r["error"]["message"], "says so",
                   r["error"])
            drop_report(s)
        after = source_snapshot(s)
        expect(after == before, "ACLs, rows or schema of the source changed after refused drills",
               "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                            "before", "after"))[:4000])
        expect_equal(s.psql("SELECT count(*) FROM orders", user="app"), "5000",
                     "the application still reads through PUBLIC")

        # Handing the empty schema over is one COMMENT; then the drill writes there (a missing
        # stanza stops it right after the marker, which keeps this quick) ...
        s.psql("COMMENT ON SCHEMA handover IS '%s'" % SCHEMA_TAG)
        handover = s.pgdrill_config("cfg.yml", edit=lambda t: set_marker("handover", "marker")(
            t).replace("stanza: orders", "stanza: nosuch"))
        p = s.bootstrap(handover, s.path("d-handover"))
        r = s.report()
        expect_outcome(p, r, 1, "stanza_missing")
        expect("stanzas in the repository: orders" in r["error"]["message"],
               "the stanzas that exist are named", r["error"])
        expect_equal(s.psql("SELECT count(*) FROM handover.marker WHERE test_id = '%s'"
                            % r["test_id"]), "2", "marker and fence in the handed-over schema")
        expect_equal(s.psql("SELECT obj_description('handover.marker'::regclass, 'pg_class')"),
                     TABLE_TAG, "the table pgdrill created is tagged")
        drop_report(s)

        # ... and a pgdrill 0.1 schema (untagged, only its marker table) is adopted and pruned.
        s.psql("SET ROLE pgdrill; CREATE SCHEMA _legacy; CREATE TABLE _legacy.marker (test_id text NOT NULL,"
               " kind text NOT NULL, scope text NOT NULL,"
               " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
               " PRIMARY KEY (test_id, kind));"
               " INSERT INTO _legacy.marker VALUES ('ancient', 'marker', 'orders',"
               "  now() - interval '40 days'), ('recent', 'marker', 'orders', now())")
        legacy = s.pgdrill_config("cfg.yml", edit=lambda t: set_marker("_legacy", "marker")(
            t).replace("stanza: orders", "stanza: nosuch"))
        p = s.bootstrap(legacy, s.path("d-legacy"))
        expect_outcome(p, s.report(), 1, "stanza_missing")
        expect_equal(s.psql("SELECT string_agg(test_id, ',' ORDER BY test_id) FROM _legacy.marker"
                            " WHERE test_id IN ('ancient', 'recent')"), "recent",
                     "rows older than 30 days pruned in pgdrill's own table")
        expect_equal(s.psql("SELECT obj_description('_legacy'::regnamespace, 'pg_namespace')"),
                     SCHEMA_TAG, "the adopted schema is tagged")
        expect_equal(s.psql("SELECT count(*) FROM app.events"), "100", "application rows kept")
        expect_equal(s.psql("SELECT count(*) FROM app.marker"), "1", "foreign marker rows kept")


STANDIN = """#!/bin/sh
# Stand-in for %(name)s: records its command line and environment, then runs the real one.
{
  printf 'ARGV'; for a in "$0" "$@"; do printf ' [%%s]' "$a"; done; printf '\\n'
  env | sed 's/^/ENV /'
  if [ -n "$PGSERVICEFILE" ]; then
    printf 'SERVICEFILE %%s\\n' "$(stat -c %%a "$PGSERVICEFILE")"
    sed 's/^/SERVICE /' "$PGSERVICEFILE"
  fi
} >> %(log)s
exec %(real)s "$@"
"""


def stand_in(s, directory, name, real):
    log = s.path("recorded", name + ".log")
    s.write(os.path.join(directory, name), STANDIN % {"name": name, "log": log, "real": real},
            mode=0o755)
    return log


@scenario
def safety_secrets_stay_out_of_argv_and_output():
    """Children's command lines carry no secret; archive_command's value never leaves."""
    password = "Dump-pass-4-argv"
    sslpassword = "Ssl-key-pass-4-argv"
    archive_key = "AKIA-arch-Secret-Key-123"
    with Stack("argv") as s:
        s.install_pgdrill()
        s.psql("CREATE DATABASE drillhist")
        s.mkdir("recorded")
        standin = s.mkdir("standin", mode=0o755)
        pgbackrest_log = stand_in(s, "standin", "pgbackrest", "/usr/bin/pgbackrest")
        pg_dump_log = stand_in(s, "standin", "pg_dump", PG_BIN + "/pg_dump")
        server = https_server(s)
        try:
            url = "https://localhost:%d/argv" % server.server_address[1]
            dsn_line = re.search(r'dsn: ".*"', open(s.pgdrill_config()).read()).group(0)
            def settings(text):
                return add_report_settings(text.replace(
                    dsn_line, 'dsn: "%s"' % s.source_dsn(with_password=True)), [
                    'history_dsn: "host=%s port=%d dbname=drillhist user=postgres"'
                    % (s.socket_dir, s.pg_port),
                    "webhook: {url: '%s', ca_file: %s, retries: 0}" % (url, s.path("cert.pem"))])
            config = s.pgdrill_config(edit=settings)
            # verify finds pg_dump in postgres.bin_dir: there it meets the stand-in
            verify_config = s.pgdrill_config("verify.yml", edit=lambda t: settings(t).replace(
                'bin_dir: ""', "bin_dir: %s" % standin))
            env = s.drill_env(PATH=standin + ":" + s.env["PATH"])
            p = s.bootstrap(config, s.path("drill"), env=env)
            expect_equal(p.returncode, 0, "bootstrap exit code")
            recorded = open(pgbackrest_log).read()
            expect("ARGV" in recorded and "restore" in recorded, "the stand-in pgbackrest ran")
            expect(SOURCE_PASSWORD not in recorded, "the source's password reached pgbackrest")

            port = s.start_restored(s.path("drill"), "-c archive_mode=on -c archive_command="
                                    "'/usr/bin/env AWS_SECRET_ACCESS_KEY=%s /bin/false'"
                                    % archive_key)
            conninfo = ("host=%s port=%d dbname=postgres user=postgres password=%s sslpassword=%s"
                        % (s.socket_dir, port, password, sslpassword))
            p = s.verify(verify_config, conninfo, env=env)
            r = s.report()
            expect_outcome(p, r, 1, "archiving_enabled")
            expect_equal([c["status"] for c in r["checks"] if c["name"] == "schema_dump"],
                         ["passed"], "pg_dump ran and passed through the stand-in")

            lines = open(pg_dump_log).read().splitlines()
            argv = [line for line in lines if line.startswith("ARGV") and "--schema-only" in line]
            expect(argv, "the stand-in pg_dump recorded its command line")
            for line in argv:
                expect(password not in line and sslpassword not in line,
                       "a secret is on pg_dump's command line (visible in ps)")
                expect("service=pgdrill" in line, "the service file is selected on the line")
            expect("ENV PGPASSWORD=%s" % password in lines, "the password went to the environment")
            expect("SERVICEFILE 600" in lines, "the service file is mode 0600")
            expect("SERVICE sslpassword=%s" % sslpassword in lines, "sslpassword in the file")
            leftovers = [d for d in os.listdir("/tmp") if d.startswith("pgdrill-conn-")]
            service_dirs = [line.split("/")[2] for line in lines if line.startswith("ENV PGSERVICE")]
            expect(not set(service_dirs) & set(leftovers), "the private service directory is left")

            detail = [c["detail"] for c in r["checks"] if c["name"] == "archiving_off"][0]
            expect("archive_command set" in detail, "says that archive_command is set", detail)
            history = s.psql("SELECT string_agg(detail::text, ' ') FROM pgdrill.drill_status",
                             db="drillhist")
            bodies = b" ".join(body for path, _, body in Hooks.received if path == "/argv")
            expect(bodies, "the webhook received the report")
            for where, text in (("verify's output", p.stdout + p.stderr),
                                ("the report", open(s.path("state", "report.json")).read()),
                                ("the history table", history),
                                ("the webhook body", bodies.decode(errors="replace"))):
                expect(archive_key not in text, "archive_command's value is in %s" % where)
                for secret in (password, sslpassword):
                    expect(secret not in text, "a connection secret is in %s" % where)
        finally:
            server.shutdown()


def utc_epoch(target):
    """'2026-11-24 18:20:37.432350+00' as Unix time."""
    whole, _, fraction = target[:-3].partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%d %H:%M:%S")) + float("0." + (fraction or "0"))


def as_plus_two(target):
    """The same instant written with a +02:00 offset."""
    epoch = utc_epoch(target)
    whole = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(epoch) + 7200))
    return "%s.%s+02:00" % (whole, target[:-3].partition(".")[2] or "0")


@scenario
def safety_no_wrong_verdict_from_names_or_offsets():
    """A password equal to a database name or the scope passes; a target written with another
    UTC offset is the same instant everywhere (metrics too); impossible targets are refused."""
    with Stack("verdict") as s:
        s.install_pgdrill()
        s.psql("ALTER ROLE pgdrill PASSWORD 'postgres'")
        metrics = s.path("state", "pgdrill.prom")
        dsn_line = re.search(r'dsn: ".*"', open(s.pgdrill_config()).read()).group(0)
        config = s.pgdrill_config(edit=lambda t: add_report_settings(t.replace(
            dsn_line, 'dsn: "host=127.0.0.1 port=%d dbname=postgres user=pgdrill password=postgres"'
            % s.pg_port).replace("scope: orders", "scope: postgres"),
            ["metrics_file: %s" % metrics]))
        p = s.bootstrap(config, s.path("d1"))
        expect_equal(p.returncode, 0, "bootstrap exit code")
        port = s.start_restored(s.path("d1"))
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port))
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal(r["marker"]["database"], "postgres", "marker.database")
        expect_equal(r["scope"], "postgres", "scope")
        dump = [c["detail"] for c in r["checks"] if c["name"] == "schema_dump"][0]
        expect(dump.endswith(": postgres"), "database names are not masked", dump)
        s.stop_postgres(s.path("d1"))
        drop_report(s)

        for bad in ("2026-02-30 10:00:00+00", "2026-11-24 25:61:00+00", "2026-11-24 10:00:00"):
            p = s.bootstrap(config, s.path("d-bad"), "--test-id=bad", "--target-time=" + bad)
            expect_equal(p.returncode, 2, "exit code for --target-time %s" % bad)
            expect(not os.path.exists(s.path("d-bad")), "a refused drill created its datadir")

        # A scheduler writes its target with a +02:00 offset: the same instant.
        target = s.scheduler_marker("offset")
        p = s.bootstrap(config, s.path("d2"), "--test-id=offset",
                        "--target-time=" + as_plus_two(target))
        expect_equal(p.returncode, 0, "bootstrap exit code, +02:00 target")
        port = s.start_restored(s.path("d2"))
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port))
        expect_outcome(p, s.report(), 0, None)
        fam = promtext.parse(open(metrics).read())
        point = promtext.value(fam, "pgdrill_last_success_recovery_point_timestamp_seconds")
        expect(abs(point - utc_epoch(target)) < 0.01,
               "recovery point %.3f is not the target %s (%.3f)" % (point, target,
                                                                    utc_epoch(target)))
        age = promtext.value(fam, "pgdrill_recovery_point_age_seconds")
        expect(0 < age < 300, "recovery point age %.1f" % age)


def last_pid():
    with open("/proc/sys/kernel/ns_last_pid") as f:
        return int(f.read())


@scenario
def safety_state_files():
    """Planted links, state inside the data directory, FIFOs and unreadable reports."""
    with Stack("files") as s:
        s.install_pgdrill()
        victim = s.write("victim", "precious\n", mode=0o666)
        metrics = s.path("state", "pgdrill.prom")
        config = s.pgdrill_config(edit=lambda t: add_report_settings(t, [
            "metrics_file: %s" % metrics]))
        # A link at every name the old "<path>.tmp.<pid>" scheme could use next.
        first = last_pid()
        for pid in range(first, first + 3000):
            for target in (s.path("state", "report.json"), metrics):
                os.symlink(victim, "%s.tmp.%d" % (target, pid))
        p = s.bootstrap(config, s.path("d1"), "--test-id=links", EARLY)
        expect_outcome(p, s.report(), 1, "no_backup")
        expect_equal(open(victim).read(), "precious\n", "a planted link was written through")
        expect(promtext.parse(open(metrics).read()), "metrics written")
        for f in os.listdir(s.path("state")):
            expect(not f.startswith(".report.json.") and not f.startswith(".pgdrill.prom."),
                   "a temporary file was left: %s" % f)
        drop_report(s)
        markers = s.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgdrill'")

        # State inside the data directory, a dangling link as data directory: exit 2, nothing done.
        datadir = s.path("d2")
        inside = s.pgdrill_config("inside.yml", edit=lambda t: t.replace(
            "state_dir: " + s.path("state"), "state_dir: " + datadir + "/state"))
        p = s.bootstrap(inside, datadir)
        expect_equal(p.returncode, 2, "exit code, state_dir inside --datadir")
        expect("state_dir" in p.stderr and "inside --datadir" in p.stderr, "clear error",
               p.stderr[-2000:])
        expect(not os.path.exists(datadir), "the data directory was created")
        report_inside = s.pgdrill_config("inside2.yml", edit=lambda t: t.replace(
            "file: " + s.path("state", "report.json"), "file: " + datadir + "/../d2/report.json"))
        p = s.bootstrap(report_inside, datadir)
        expect_equal(p.returncode, 2, "exit code, report.file inside --datadir")
        os.symlink(s.path("nowhere"), s.path("dangling"))
        p = s.bootstrap(config, s.path("dangling"))
        expect_equal(p.returncode, 2, "exit code, dangling --datadir")
        expect(not os.path.exists(s.path("nowhere")), "the link's target was created")

        # A configuration that is a FIFO must not block; a directory or a huge file is refused.
        os.mkfifo(s.path("fifo.yml"))
        os.chmod(s.path("fifo.yml"), 0o666)
        os.mkdir(s.path("dir.yml"))
        s.write("huge.yml", "# padding\n" * 200000, mode=0o644)
        for cfg in ("fifo.yml", "dir.yml", "huge.yml"):
            for binary in ("pgdrill-bootstrap", "pgdrill-verify"):
                argv = [s.path("bin", binary), "--config=" + s.path(cfg)]
                argv += ["--datadir=" + s.path("d3")] if binary == "pgdrill-bootstrap" else []
                started = time.monotonic()
                p = subprocess.run(as_user(argv), capture_output=True, text=True, timeout=30,
                                   env=s.drill_env())
                expect_equal(p.returncode, 2, "%s --config=%s" % (binary, cfg))
                expect(time.monotonic() - started < 10, "%s blocked on %s" % (binary, cfg))
                expect(s.path(cfg) + ":" in p.stderr, "the error names the file", p.stderr)

        # A report that cannot be read is not "no earlier drill": nothing is done.
        s.write("state/report.json", '{"schema": "pgdrill.report/v1", "verdict": "failed"}',
                mode=0o000)
        p = s.bootstrap(config, s.path("d4"))
        expect_equal(p.returncode, 3, "exit code, unreadable report")
        expect("Permission denied" in p.stderr, "says why", p.stderr[-2000:])
        expect(not os.path.exists(s.path("d4")), "restored although the report is unreadable")
        os.chmod(s.path("state", "report.json"), 0o600)
        expect_equal(open(s.path("state", "report.json")).read(),
                     '{"schema": "pgdrill.report/v1", "verdict": "failed"}', "report untouched")
        drop_report(s)

        # A report that cannot be written: nothing is done, the source is not touched.
        readonly = s.mkdir("readonly", mode=0o555)
        unwritable = s.pgdrill_config("ro.yml", edit=lambda t: t.replace(
            "file: " + s.path("state", "report.json"), "file: %s/report.json" % readonly))
        p = s.bootstrap(unwritable, s.path("d5"))
        expect_equal(p.returncode, 3, "exit code, report cannot be written")
        expect("could not write the drill report" in p.stderr, "says why", p.stderr[-2000:])
        expect_equal(s.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgdrill'"),
                     markers, "the source was touched")
        expect(not os.path.exists(s.path("d5")), "restored without a report")


# A schema an attacker put before pg_catalog in the role's search_path: a function and an
# operator with the names and argument types of built-in ones that pgdrill's SQL on the source
# uses unqualified (clock_timestamp() in the marker table's default and its pruning, "=" on
# text in the check of what exists), each recording that it was called, and by whom.
SEARCH_PATH_TRAP = """
CREATE SCHEMA trap;
CREATE TABLE trap.calls (what text, who text, search_path text);
GRANT USAGE ON SCHEMA trap TO pgdrill;
GRANT INSERT ON trap.calls TO pgdrill;
CREATE FUNCTION trap.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
  INSERT INTO trap.calls VALUES ('clock_timestamp()', current_user, current_setting('search_path'));
  SELECT pg_catalog.clock_timestamp() $$;
CREATE FUNCTION trap.texteq(text, text) RETURNS boolean LANGUAGE sql VOLATILE AS $$
  INSERT INTO trap.calls VALUES ('text = text', current_user, current_setting('search_path'));
  SELECT pg_catalog.texteq($1, $2) $$;
CREATE OPERATOR trap.= (LEFTARG = text, RIGHTARG = text, FUNCTION = trap.texteq);
ALTER ROLE pgdrill SET search_path = trap, pg_catalog, public;
"""


@scenario
def safety_search_path_pinned():
    """A search_path given to the drill's role (ALTER ROLE ... SET) that puts another schema
    before pg_catalog does not capture pgdrill's statements on the source: its sessions pin
    search_path to pg_catalog first, so the trap's function and operator are never called and
    the marker table's default is pg_catalog's clock_timestamp()."""
    with Stack("searchpath") as s:
        s.install_pgdrill()
        s.psql(SEARCH_PATH_TRAP)
        # The trap works: any other session of the role calls it.
        s.psql("SELECT clock_timestamp()", user="pgdrill")
        expect_equal(s.psql("SELECT string_agg(what || ' by ' || who, ', ') FROM trap.calls"),
                     "clock_timestamp() by pgdrill", "the trap catches a session of the role")
        s.psql("TRUNCATE trap.calls")

        # The drill creates the marker schema and table, prunes, writes marker and fence and
        # waits for the archive; a stanza the repository lacks ends it right after that.
        config = s.pgdrill_config(edit=lambda t: t.replace("stanza: orders", "stanza: nosuch"))
        p = s.bootstrap(config, s.path("d1"))
        expect_outcome(p, s.report(), 1, "stanza_missing")
        expect_equal(s.psql("SELECT count(*) FROM _pgdrill.marker"), "2", "marker and fence")
        calls = s.psql("SELECT string_agg(what || ' by ' || who || ' with search_path '"
                       " || search_path, '; ') FROM trap.calls")
        expect_equal(calls, "", "calls of the trap by pgdrill's statements")
        expect_equal(s.psql("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef"
                            " WHERE adrelid = '_pgdrill.marker'::regclass"),
                     "clock_timestamp()", "the default of created_at (trap.clock_timestamp()"
                     " would be shown qualified)")


COPY_SEARCH_PATH_TRAP = """
CREATE SCHEMA trap;
CREATE TABLE trap.calls (what text, who text, search_path text);
CREATE FUNCTION trap.texteq(text, text) RETURNS boolean LANGUAGE sql VOLATILE AS $$
  INSERT INTO trap.calls VALUES ('text = text', current_user, current_setting('search_path'));
  SELECT pg_catalog.texteq($1, $2) $$;
CREATE OPERATOR trap.= (LEFTARG = text, RIGHTARG = text, FUNCTION = trap.texteq);
ALTER ROLE postgres SET search_path = trap, pg_catalog, public;
"""


@scenario
def safety_verify_search_path_pinned():
    """The restored copy is production's twin: a search_path its catalog gives the role verify
    connects as (ALTER ROLE ... SET) does not capture verify's own statements (the marker
    check compares text with text): verify's sessions pin search_path to pg_catalog first."""
    with Stack("verifypath") as s:
        s.install_pgdrill()
        config = s.pgdrill_config()
        p = s.bootstrap(config, s.path("d1"))
        expect_equal(p.returncode, 0, "bootstrap")
        port = s.start_restored(s.path("d1"))
        s.psql(COPY_SEARCH_PATH_TRAP, port=port)
        # The trap works: a new session of the role in the copy calls it.
        s.psql("SELECT 'a'::text = 'b'::text", port=port)
        expect_equal(s.psql("SELECT count(*) FROM trap.calls", port=port), "1",
                     "the trap catches a session of the role")
        s.psql("TRUNCATE trap.calls", port=port)
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port))
        # the trap is not production's: source_catalog names what the test added to the copy
        r = s.report()
        expect_outcome(p, r, 1, "source_mismatch")
        expect("3 added (function trap.texteq(text, text), schema trap, table trap.calls)"
               in r["error"]["message"], "the trap's objects named", r["error"])
        expect_equal([c["name"] for c in r["checks"] if c["status"] != "passed"],
                     ["source_catalog"], "every other check passed")
        calls = s.psql("SELECT string_agg(what || ' by ' || who || ' with search_path '"
                       " || search_path, '; ') FROM trap.calls", port=port)
        expect_equal(calls, "", "calls of the trap by verify's statements")


def secure_option_refused(s):
    """A pgBackRest secure option in pgbackrest.options: exit 2 of both binaries and of
    --check-config, naming the option and never its value; pgBackRest never runs."""
    secret = "AKIA-secure-Option-Value-42"
    config = s.pgdrill_config("secure.yml", edit=lambda t: t.replace(
        "options: []", "options: [--io-timeout=20, '--repo1-s3-key-secret=%s']" % secret))
    for argv in ([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                  "--scope=orders-drill", "--datadir=" + s.path("d0")],
                 [s.path("bin", "pgdrill-verify"), "--config=" + config,
                  "host=%s port=%d" % (s.socket_dir, s.pg_port)],
                 [s.path("bin", "pgdrill-verify"), "--check-config", "--config=" + config]):
        p = subprocess.run(as_user(argv), capture_output=True, text=True, timeout=60,
                           env=s.drill_env())
        expect_equal(p.returncode, 2, "exit code of %s" % " ".join(argv[:2]))
        expect('pgbackrest.options: "--repo1-s3-key-secret" is pgBackRest\'s secure option '
               '--repo-s3-key-secret' in p.stderr and "PGBACKREST_REPO1_S3_KEY_SECRET" in p.stderr,
               "the option and where its value belongs are named", p.stderr[-2000:])
        expect(secret not in p.stdout + p.stderr, "the secure option's value was printed")
    expect(not os.path.exists(s.path("d0")), "the data directory was created")
    expect(not os.path.exists(s.path("state", "report.json")), "a report was written")


@scenario
def safety_unsafe_configuration_refused():
    """Configurations that would expose or endanger the drill are refused (exit 2) before
    anything is done: a pgBackRest secure option in pgbackrest.options (secure_option_refused),
    and an existing state_dir that others can write to (0777; 1777 like /tmp; 0770) or that
    another user owns (both binaries; --check-config refuses the first kind too): its WAL
    queue and report must be pgdrill's alone. A missing state_dir is created 0700 and the
    drill goes on."""
    with Stack("unsafecfg") as s:
        s.install_pgdrill()
        secure_option_refused(s)
        state = s.path("state")
        config = s.pgdrill_config()
        line = [n + 1 for n, text in enumerate(open(config).read().splitlines())
                if text.startswith("state_dir:")][0]
        uid = pwd.getpwnam(RUN_USER).pw_uid  # who runs pgdrill
        cases = [(0o777, uid, "can be written by every user (mode 0777)"),
                 (0o1777, uid, "can be written by every user (mode 1777; the sticky bit still "
                               "lets others create names in it)"),
                 (0o770, uid, "can be written by its group (mode 0770)")]
        if os.geteuid() == 0:
            cases.append((0o755, 0, "belongs to uid 0, not to uid %d that runs pgdrill (mode "
                                    "0755)" % uid))
        for mode, owner, found in cases:
            os.chown(state, owner, -1)
            os.chmod(state, mode)
            expected = '%s:%d: state_dir: "%s" %s' % (config, line, state, found)
            for argv in ([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                          "--scope=orders-drill", "--datadir=" + s.path("d1")],
                         [s.path("bin", "pgdrill-verify"), "--config=" + config,
                          "host=%s port=%d" % (s.socket_dir, s.pg_port)]):
                p = subprocess.run(as_user(argv), capture_output=True, text=True, timeout=60,
                                   env=s.drill_env())
                expect_equal(p.returncode, 2, "%s, state_dir mode %04o owned by %d"
                             % (os.path.basename(argv[0]), mode, owner))
                expect(expected in p.stderr and 'chmod 0700 "%s"' % state in p.stderr,
                       "the FILE:LINE: KEY: message with the fix", expected, p.stderr[-2000:])
            expect_equal(os.listdir(state), [], "files pgdrill created in the refused state_dir")
            expect(not os.path.exists(s.path("d1")), "the data directory was created")
            p = subprocess.run(as_user([s.path("bin", "pgdrill-bootstrap"), "--check-config",
                                        "--config=" + config]),
                               capture_output=True, text=True, timeout=60, env=s.drill_env())
            # --check-config judges the mode, not the owner (whoever checks need not be the
            # drill's user)
            expect_equal(p.returncode, 2 if owner == uid else 0,
                         "--check-config, state_dir mode %04o owned by %d" % (mode, owner))
        expect_equal(s.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgdrill'"), "0",
                     "the source was touched")

        # Missing (its parent too): created 0700, and the drill goes on.
        fresh = s.path("new", "state")
        config = s.pgdrill_config("fresh.yml", edit=lambda t: t.replace(
            "state_dir: " + state, "state_dir: " + fresh).replace(
            "file: " + s.path("state", "report.json"), "file: " + fresh + "/report.json"))
        p = s.bootstrap(config, s.path("d2"), "--test-id=fresh", EARLY)
        expect_equal(p.returncode, 1, "exit code (no_backup) with a new state_dir")
        for d in (s.path("new"), fresh):
            st = os.stat(d)
            expect_equal((stat.S_IMODE(st.st_mode), st.st_uid), (0o700, uid), "mode and owner of "
                         + d)
        expect(os.path.exists(os.path.join(fresh, "report.json")), "the report in the new one")
