"""Quarantine: the restored copy never reaches out to production (README, "Quarantine").

The source is production's twin in miniature: it subscribes to a second PostgreSQL acting as
production's publisher (log_connections on, so every connection to it is seen), loads pg_cron
through postgresql.auto.conf (as ALTER SYSTEM would) with a job, and holds a postgres_fdw
foreign server pointing at the publisher with a PUBLIC user mapping, a foreign table and a
view over it. A scheduler writes the marker; then the source's own subscriptions are disabled,
so the publisher's slots wait for any subscriber, as they do while the real one is briefly
disconnected. The drill, and the copy started by hand afterwards, must never connect to the
publisher.
"""
import os
import time

from drillstack import (PG_BIN, Stack, expect, expect_equal, expect_outcome, free_port,
                        processes_mentioning, run, scenario)

PUBLISHER_PASSWORD = "pub-Pa55word-do-not-print"


def start_publisher(s):
    """A second PostgreSQL on 127.0.0.1 that plays production's publisher."""
    datadir = s.path("publisher")
    pw = s.write("publisher.pw", PUBLISHER_PASSWORD + "\n")
    run([PG_BIN + "/initdb", "-D", datadir, "-U", "postgres", "--auth-local=trust",
         "--auth-host=scram-sha-256", "--pwfile=" + pw], timeout=120, env=s.env)
    port = free_port()
    with open(os.path.join(datadir, "postgresql.conf"), "a") as f:
        f.write("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"
                "wal_level = logical\nlog_connections = on\nfsync = off\n"
                % (port, s.socket_dir))
    s.start_postgres(datadir, "publisher.log")
    s.psql("CREATE ROLE repl LOGIN REPLICATION PASSWORD '%s';"
           " CREATE TABLE pubt (id int PRIMARY KEY, v text);"
           " INSERT INTO pubt SELECT g, 'row ' || g FROM generate_series(1, 10) g;"
           " GRANT SELECT ON pubt TO repl;"
           " CREATE PUBLICATION pub FOR TABLE pubt;" % PUBLISHER_PASSWORD, port=port)
    return port


def publisher_dsn(port):
    return "host=127.0.0.1 port=%d dbname=postgres user=repl password=%s" % (
        port, PUBLISHER_PASSWORD)


def production_twin(s, pub_port):
    """Subscriptions in three databases (one read-only by default, one that accepts no
    connections), a pg_cron job, a
    foreign server with a PUBLIC user mapping, a foreign table and a view over it."""
    dsn = publisher_dsn(pub_port)
    for db in ("app", "closed"):
        s.psql("CREATE DATABASE " + db)
    for db, sub in (("postgres", "prodsub"), ("app", "appsub")):
        s.psql("CREATE TABLE pubt (id int PRIMARY KEY, v text)", db=db)
        s.psql("CREATE SUBSCRIPTION %s CONNECTION '%s' PUBLICATION pub" % (sub, dsn), db=db)
    # Disabled, but still naming a slot: detached all the same. Its database takes no
    # connections, like template0 or a database being decommissioned.
    s.psql("CREATE SUBSCRIPTION closedsub CONNECTION '%s' PUBLICATION pub"
           " WITH (connect = false)" % dsn, db="closed")
    s.psql("ALTER SUBSCRIPTION closedsub SET (slot_name = 'closedslot')", db="closed")
    s.psql("ALTER DATABASE closed ALLOW_CONNECTIONS false")
    # A read-only archive database: the quarantine's writes go through all the same.
    s.psql("ALTER DATABASE app SET default_transaction_read_only = on")
    s.wait_for("the subscriptions' initial copy",
               lambda: all(s.psql("SELECT count(*) FROM pubt", db=db) == "10"
                           for db in ("postgres", "app")), 60, "source.log")
    s.psql("CREATE EXTENSION pg_cron; CREATE TABLE cron_hits (at timestamptz);"
           " SELECT cron.schedule('callout', '* * * * *',"
           " $$INSERT INTO cron_hits VALUES (now())$$)")
    s.psql("CREATE EXTENSION postgres_fdw;"
           " CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw"
           " OPTIONS (host '127.0.0.1', port '%d', dbname 'postgres');"
           " CREATE USER MAPPING FOR PUBLIC SERVER prod OPTIONS (user 'repl', password '%s');"
           " CREATE FOREIGN TABLE prod_pubt (id int, v text) SERVER prod"
           " OPTIONS (table_name 'pubt');"
           " CREATE VIEW prod_view AS SELECT * FROM prod_pubt" % (pub_port, PUBLISHER_PASSWORD))
    expect_equal(s.psql("SELECT count(*) FROM prod_view"), "10", "the view reads the publisher")


def publisher_connections(s, since):
    """Connections the publisher logged after byte offset since of its log."""
    with open(s.path("publisher.log"), errors="replace") as f:
        f.seek(since)
        return [line for line in f if "connection authorized" in line]


@scenario
def quarantine_copy_never_reaches_out():
    with Stack("quarantine", source_auto_conf="shared_preload_libraries = 'pg_cron'\n") as s:
        s.install_pgdrill()
        pub_port = start_publisher(s)
        production_twin(s, pub_port)
        target = s.scheduler_marker("quarantine-1")
        # After the target: the real subscriber goes away, its slots wait for whoever comes.
        for db, sub in (("postgres", "prodsub"), ("app", "appsub")):
            s.psql("SET TRANSACTION READ WRITE; ALTER SUBSCRIPTION %s DISABLE" % sub, db=db)
        s.wait_for("the publisher's slots to be free",
                   lambda: s.psql("SELECT count(*) FROM pg_replication_slots WHERE active",
                                  port=pub_port) == "0", 30, "publisher.log")
        mark = os.path.getsize(s.path("publisher.log"))

        config = s.pgdrill_config()
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir, env=s.drill_env(PGDRILL_TEST_ID="quarantine-1",
                                                         PGDRILL_TARGET_TIME=target))
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect("the private recovery instance runs without pg_cron" in p.stderr,
               "pg_cron was not kept out of the private instance", p.stderr[-3000:])
        expect("pg_cron scheduler started" not in p.stderr, "pg_cron ran in the private instance")
        q = r.get("quarantine")
        expect(q is not None, "no quarantine in the report", r)
        expect_equal(sorted((x["database"], x["name"], x["was_enabled"], x["slot"])
                            for x in q["subscriptions"]),
                     [("app", "appsub", True, "appsub"), ("closed", "closedsub", False, "closedslot"),
                      ("postgres", "prodsub", True, "prodsub")], "quarantined subscriptions")
        expect_equal([(x["database"], x["jobname"], x["action"]) for x in q["cron_jobs"]],
                     [("postgres", "callout", "deactivated")], "quarantined pg_cron jobs")
        expect_equal([(x["database"], x["name"], x["wrapper"]) for x in q["foreign_servers"]],
                     [("postgres", "prod", "postgres_fdw")], "foreign servers")
        expect_equal([(x["database"], x["name"], x["handler"]) for x in q["wrappers_without_handler"]],
                     [("postgres", "postgres_fdw", "public.postgres_fdw_handler")], "wrappers")
        expect(PUBLISHER_PASSWORD not in p.stderr and PUBLISHER_PASSWORD not in open(
            s.path("state", "report.json")).read(), "the subscription's password was printed")

        # However the copy is started next (here by hand, with pg_cron loaded and logical
        # replication workers allowed), it does not replicate from production.
        port = s.start_restored(datadir)
        verify = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                          % (s.socket_dir, port))
        r = s.report()
        expect_outcome(verify, r, 0, None)
        check = [c for c in r["checks"] if c["name"] == "quarantine"]
        expect(check and check[0]["status"] == "passed", "verify's quarantine check", r["checks"])
        expect_equal(s.psql("SELECT count(*) FROM pg_subscription"
                            " WHERE subenabled OR subslotname IS NOT NULL", port=port), "0",
                     "subscriptions enabled or with a slot in the copy")
        expect_equal(s.psql("SELECT count(*) FROM cron.job WHERE active", port=port), "0",
                     "active pg_cron jobs in the copy")
        view = run([PG_BIN + "/psql", "-X", "-At", "-h", s.socket_dir, "-p", str(port), "-U",
                    "postgres", "-d", "postgres", "-c", "SELECT count(*) FROM prod_view"],
                   check=False, env=s.env)
        expect(view.returncode != 0 and "has no handler" in view.stderr,
               "the foreign table is still usable in the copy", view.stdout, view.stderr)
        time.sleep(6)  # the launcher retries every wal_retrieve_retry_interval (5 s)
        expect_equal(publisher_connections(s, mark), [], "connections to the publisher")
        expect_equal(s.psql("SELECT count(*) FROM pg_replication_slots WHERE active",
                            port=pub_port), "0", "active slots on the publisher")

        # A subscription enabled again in the running copy (here pointing nowhere): verify's
        # quarantine check finds it, inconclusive, the copy is not called a good one.
        for sql in ("ALTER SUBSCRIPTION appsub CONNECTION 'host=127.0.0.1 port=1 dbname=x'",
                    "ALTER SUBSCRIPTION appsub SET (slot_name = 'appsub')",
                    "ALTER SUBSCRIPTION appsub ENABLE"):
            s.psql("SET TRANSACTION READ WRITE; " + sql, db="app", port=port)
        verify = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                          % (s.socket_dir, port))
        r = s.report()
        expect_outcome(verify, r, 3, "quarantine_failed")


@scenario
def quarantine_failure_hands_nothing_on():
    """A copy that cannot be quarantined is not handed on: quarantine_failed, inconclusive."""
    with Stack("qfail", source_auto_conf="shared_preload_libraries = 'pg_cron'\n") as s:
        s.install_pgdrill()
        # A hostile catalog: a trigger that fires even for replication-role sessions refuses
        # every change to pg_cron's jobs.
        s.psql("CREATE EXTENSION pg_cron;"
               " SELECT cron.schedule('callout', '* * * * *', 'SELECT 1');"
               " CREATE FUNCTION public.no_change() RETURNS trigger LANGUAGE plpgsql"
               " AS $$BEGIN RAISE EXCEPTION 'jobs are frozen'; END$$;"
               " CREATE TRIGGER frozen BEFORE UPDATE OR DELETE ON cron.job"
               " FOR EACH ROW EXECUTE FUNCTION public.no_change();"
               " ALTER TABLE cron.job ENABLE ALWAYS TRIGGER frozen")
        config = s.pgdrill_config()
        datadir = s.path("drill")
        p = s.bootstrap(config, datadir)
        r = s.report()
        expect_outcome(p, r, 3, "quarantine_failed")
        expect_equal(r["verdict"], "inconclusive", "verdict")
        expect("database postgres" in r["error"]["message"]
               and "jobs are frozen" in r["error"]["message"], "the failure is named", r["error"])
        expect("quarantine" not in r, "a quarantine was recorded although it failed", r)
        expect(not processes_mentioning(datadir), "a process of the drill survived")
