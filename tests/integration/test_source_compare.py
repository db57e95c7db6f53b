"""Proof against the source (README "Proof against the source"): bootstrap fingerprints the
source's catalog and runs verify.compare with the marker, verify compares the copy with both.
One restored instance serves every case: a healthy drill passes source_catalog and a
comparison; an unlogged table compared by count(*) is source_mismatch naming the comparison,
with the table named in the report; a table created after the backup and dropped from the
copy before verify (the test's hook) is source_mismatch naming it; a comparison that would
write on production is refused there by its read-only transaction."""
import hashlib
import json
import os

from drillstack import Stack, expect, expect_equal, expect_outcome, scenario

VALUE = "424242.4242"  # a value of the source's rows: never copied anywhere

SOURCE_SQL = """
CREATE TABLE public.shop_orders (id int PRIMARY KEY, total numeric NOT NULL,
  created timestamptz NOT NULL DEFAULT now());
INSERT INTO public.shop_orders (id, total) SELECT g, %s FROM generate_series(1, 200) g;
CREATE UNLOGGED TABLE public.sessions (id int);
INSERT INTO public.sessions SELECT generate_series(1, 7);
CREATE TABLE public.late (id int);
CREATE SEQUENCE public.ids;
-- the comparisons run on the source as source.dsn's role (README): it may read these
GRANT SELECT ON public.shop_orders, public.sessions TO pgdrill;
GRANT USAGE, SELECT ON SEQUENCE public.ids TO pgdrill;
""" % VALUE

COMPARE = [
    ("orders", "postgres", "SELECT id, total FROM public.shop_orders"
                           " WHERE created <= current_setting('pgdrill.marker_time')::timestamptz;"),
    ("sessions", "postgres", "SELECT count(*) FROM public.sessions"),
    ("writes", "postgres", "SELECT nextval('public.ids')"),
    ("elsewhere", "app2", "SELECT count(*) FROM public.elsewhere"),
    ("nowhere", "nosuch", "SELECT 1"),
    ("slow", "postgres", "SELECT pg_sleep(5)"),
]
OTHER_DATABASES = 17  # one more than the sessions bootstrap holds open


def with_compare(names):
    """The example configuration with these comparisons, 1 s as verify.compare_timeout."""
    lines = ["  compare_timeout: 1s", "  compare:"] + [
        "    - {name: %s, database: %s, sql: %s}" % (n, db, json.dumps(sql))
        for n, db, sql in COMPARE if n in names]
    return lambda t: t.replace("  compare: []", "\n".join(lines) if names else "  compare: []")


def check(report, name):
    found = [c for c in report["checks"] if c["name"] == name]
    expect(found, "no %s check in the report" % name, [c["name"] for c in report["checks"]])
    return found[0]


def verify(s, port, name, names):
    # pg_dump and pg_amcheck in two databases only; source_catalog still compares every
    # database bootstrap captured (the report's list)
    config = s.pgdrill_config(name + ".yml", edit=lambda t: with_compare(names)(t).replace(
        "  databases: all", "  databases: [postgres, app2]"))
    p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, port))
    return p, s.report()


@scenario
def source_compare_catalog_and_queries():
    with Stack("compare") as s:
        s.install_pgdrill()
        s.psql(SOURCE_SQL)
        s.psql("CREATE DATABASE app2")
        s.psql("CREATE TABLE public.elsewhere (id int); INSERT INTO public.elsewhere VALUES (1);"
               " GRANT SELECT ON public.elsewhere TO pgdrill", db="app2")
        for n in range(OTHER_DATABASES):
            s.psql("CREATE DATABASE other%02d" % n)
        # bootstrap captures every comparison that any of the verify runs below judges
        p = s.bootstrap(s.pgdrill_config(edit=with_compare([n for n, _, _ in COMPARE])),
                        s.path("drill"))
        expect_equal(p.returncode, 0, "bootstrap exit code")
        r = s.report()
        source = r["source"]
        dbs = {d["name"]: d for d in source["catalog"]["databases"]}
        expect_equal(dbs["postgres"]["snapshot"], "the marker's", "the marker database's snapshot")
        # app2 holds a comparison: it is among the sessions held, the last other one is not
        expect_equal(dbs["app2"]["snapshot"], "just before the marker", "another database's")
        expect_equal(dbs["other%02d" % (OTHER_DATABASES - 1)]["snapshot"], "before the marker",
                     "a database beyond the held sessions")
        expect_equal(dbs["postgres"]["unlogged"], ["table public.sessions"], "unlogged named at capture")
        expect(dbs["app2"]["objects"] >= 2, "app2's catalog holds its table", dbs["app2"])
        side = source["file"]
        expect_equal(side, s.path("state", "report.json.catalog.json"), "the file beside the report")
        expect_equal(hashlib.sha256(open(side, "rb").read()).hexdigest(), source["sha256"],
                     "the report holds the file's SHA-256")
        compared = {c["name"]: c for c in source["compare"]}
        expect_equal(compared["orders"]["rows"], 200, "orders' rows counted on the source")
        expect_equal(compared["sessions"]["rows"], 1, "count(*) is one row")
        expect("25006" in compared["writes"].get("error", ""),
               "nextval is refused on the source (read-only transaction)", compared["writes"])
        expect_equal(s.psql("SELECT last_value || '/' || is_called FROM public.ids"), "1/false",
                     "the source's sequence never advanced")
        expect_equal(compared["elsewhere"]["rows"], 1, "a comparison in another database")
        expect("no such database" in compared["nowhere"]["error"], "a database the source lacks",
               compared["nowhere"])
        expect("ran into verify.compare_timeout (1 s)" in compared["slow"]["error"],
               "a comparison stopped by its timeout on production", compared["slow"])
        expect("timings" in r and "source_capture" in r["timings"], "capture timed", r["timings"])
        port = s.start_restored(s.path("drill"))

        # healthy: the catalog of both databases and the orders comparison agree
        p, r = verify(s, port, "healthy", ["orders"])
        expect_outcome(p, r, 0, None)
        # a copy like its source costs one digest per database, not its objects
        expect("catalog of database postgres: its digest is the source's" in p.stderr,
               "the copy's catalog judged by its digest", p.stderr[-3000:])
        c = check(r, "source_catalog")
        expect_equal(c["status"], "passed", "source_catalog")
        expect(("%d databases" % (OTHER_DATABASES + 2)) in c["detail"]
               and "public.sessions" in c["detail"],
               "the pass counts the databases and names the unlogged table", c["detail"])
        expect_equal(check(r, "compare:orders")["status"], "passed", "compare:orders")

        # what the source did not answer is not judged; another database's comparison is
        p, r = verify(s, port, "unanswered", ["elsewhere", "nowhere", "slow"])
        expect_outcome(p, r, 3, "internal")
        expect_equal([check(r, "compare:" + n)["status"] for n in ("elsewhere", "nowhere", "slow")],
                     ["passed", "not_run", "not_run"], "elsewhere, nowhere, slow")
        expect_equal(check(r, "source_catalog")["detail"].split(",")[0], "%d databases"
                     % (OTHER_DATABASES + 2), "every database of the source compared")

        # the unlogged table comes back empty: the comparison names it, the hint the table
        p, r = verify(s, port, "unlogged", ["orders", "sessions"])
        expect_outcome(p, r, 1, "source_mismatch")
        c = check(r, "compare:sessions")
        expect_equal((c["status"], c["class"]), ("failed", "source_mismatch"), "compare:sessions")
        expect("public.sessions" in c["hint"], "the hint names the unlogged table", c)
        expect("compare:sessions" in r["error"]["message"], "the error names the comparison",
               r["error"])

        # a comparison production refused is not judged (never a pass, never a finding)
        p, r = verify(s, port, "writes", ["writes"])
        expect_outcome(p, r, 3, "internal")
        expect_equal(check(r, "compare:writes")["status"], "not_run", "compare:writes")

        # the test's hook: a table of the source dropped from the copy's catalog
        s.psql("DROP TABLE public.late", port=port)
        # the file beside the report is what the signed report vouches for: another is refused
        side_text = open(side).read()
        with open(side, "w") as f:
            f.write(side_text.replace("table public.late", "table public.lat3"))
        p, r = verify(s, port, "edited", [])
        expect_outcome(p, r, 3, "internal")
        expect("is not the file bootstrap wrote" in check(r, "source_catalog")["detail"],
               "an edited file is refused", check(r, "source_catalog"))
        with open(side, "w") as f:
            f.write(side_text)
        p, r = verify(s, port, "dropped", [])
        expect_outcome(p, r, 1, "source_mismatch")
        c = check(r, "source_catalog")
        expect("1 missing (table public.late)" in c["detail"], "the missing table named", c)
        expect_equal(r["source"]["catalog"]["differences"],
                     [{"database": "postgres", "object": "table public.late", "change": "missing",
                       "unlogged": False}], "the report's differences")

        # a snapshot production will not export: the marker is inserted alone (never lost),
        # and the marker's database is not compared: not proven, never a pass
        s.psql("REVOKE EXECUTE ON FUNCTION pg_catalog.pg_export_snapshot() FROM PUBLIC")
        s.mkdir("state2")
        # (this time without the catalog: a comparison alone)
        config = s.pgdrill_config("second.yml", edit=lambda t: with_compare(["orders"])(
            t.replace(s.path("state"), s.path("state2")).replace(
                "  source_catalog: true", "  source_catalog: false")))
        p = s.bootstrap(config, s.path("drill2"))
        expect_equal(p.returncode, 0, "bootstrap exit code without pg_export_snapshot")
        port2 = s.start_restored(s.path("drill2"))
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port2))
        r2 = json.load(open(s.path("state2", "report.json")))
        expect_outcome(p, r2, 3, "internal")
        expect_equal((check(r2, "marker")["status"], check(r2, "fence")["status"]),
                     ("passed", "passed"), "the marker inserted alone, the fence after it")
        expect("could not share the marker's snapshot" in check(r2, "compare:orders")["detail"],
               "the marker database's comparison not judged", check(r2, "compare:orders"))
        expect(all(c["name"] != "source_catalog" for c in r2["checks"]),
               "no source_catalog check with verify.source_catalog off", r2["checks"])

        # no value of the source's rows anywhere: hashes and counts only
        for path in (s.path("state", "report.json"), s.path("state", "report.json.catalog.json")):
            expect(VALUE not in open(path).read(), "no row value in %s" % os.path.basename(path))
