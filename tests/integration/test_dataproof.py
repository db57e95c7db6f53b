"""Prove the data: real corruption found by the checksums and amcheck checks and by pgBackRest
while it took the backup, user assertions, the oldest backup set (the whole point-in-time
window) and the RTO target."""
import json
import os
import struct

import promtext
from drillstack import Stack, expect, expect_equal, expect_outcome, scenario
from test_delivery import add_report_settings

PAGE = 8192


def check(report, name):
    found = [c for c in report["checks"] if c["name"] == name]
    expect(found, "no %s check in the report" % name, [c["name"] for c in report["checks"]])
    return found[0]


def relation_file(s, table):
    return os.path.join(s.path("source"), s.psql("SELECT pg_relation_filepath('%s')" % table))


def stopped_source(s):
    """Stop the source, hand back a function that starts it again."""
    s.stop_postgres(s.path("source"))
    return lambda: s.start_postgres(s.path("source"), "source.log")


def drill_and_verify(s, config, datadir="drill"):
    p = s.bootstrap(config, s.path(datadir))
    expect_equal(p.returncode, 0, "bootstrap exit code")
    port = s.start_restored(s.path(datadir))
    return s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                    % (s.socket_dir, port)), s.report(), port


@scenario
def proof_checksum_failure():
    """A page corrupted on the source's disk before the backup: checksum_failure, named."""
    with Stack("checksum") as s:
        s.install_pgdrill()
        s.psql("CREATE TABLE victim AS SELECT g, repeat('v', 100) AS pad"
               " FROM generate_series(1, 2000) g; CHECKPOINT")
        path = relation_file(s, "victim")
        start = stopped_source(s)
        with open(path, "r+b") as f:  # the middle of block 0: its checksum no longer matches
            f.seek(4000)
            f.write(b"CORRUPTED-BY-PGDRILL-TEST")
        start()
        s.backup()  # pgBackRest warns about the page and completes the backup
        p, r, _ = drill_and_verify(s, s.pgdrill_config())
        # pgBackRest flagged the set too; the restored copy's own bad page names the verdict.
        expect_outcome(p, r, 1, "checksum_failure")
        expect_equal(check(r, "backup_page_checks")["files"][0]["pages"], [0],
                     "the page pgBackRest found bad")
        c = check(r, "checksums")
        expect_equal((c["status"], c["by"], c["class"]), ("failed", "bootstrap",
                                                          "checksum_failure"), "checksums check")
        expect_equal(c["failures"][0]["block"], 0, "the bad block")
        expect("database postgres, relation public.victim" in c["detail"],
               "the file's database and relation are named", c["detail"])
        expect(os.path.basename(path) in c["detail"], "the file is named", c["detail"])


@scenario
def proof_backup_page_errors():
    """The sequence that hides a bad page from the copy: a TOAST page corrupted on disk while the server holds the good copy
    in memory, backed up (pgBackRest flags the set), then healed in the WAL by a full-page image
    of the good copy. The restored copy is clean, yet the set and the source's disk hold the bad
    page: backup_page_errors, file, page and relation named."""
    with Stack("pageerr") as s:
        s.install_pgdrill()
        # 40 values of 6400 bytes stored out of line: 40 pages of TOAST. After the checkpoint
        # they are clean in shared_buffers, so nothing writes them to disk again.
        s.psql("CREATE TABLE docs (id int PRIMARY KEY, body text);"
               " ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;"
               " INSERT INTO docs SELECT g, repeat(md5(g::text), 200)"
               " FROM generate_series(1, 40) g; CHECKPOINT")
        toast = s.psql("SELECT pg_relation_filepath(reltoastrelid) FROM pg_class"
                       " WHERE relname = 'docs'")
        with open(os.path.join(s.path("source"), toast), "r+b") as f:  # on disk, not in memory
            f.seek(2 * PAGE + 4000)
            f.write(b"CORRUPTED-BY-PGDRILL-TEST")
        s.backup()  # pgBackRest: "invalid page checksum found in file ... at page 2"
        info = json.loads(s.pgbackrest("--output=json", "info").stdout)[0]["backup"][-1]
        expect_equal(info["error"], True, "pgBackRest flagged the set")
        # The first change of each page since the backup's checkpoint logs the whole page: the
        # good copy in memory goes into the WAL, and replay writes it over the bad one.
        s.psql("VACUUM (FREEZE) docs")
        p, r, _ = drill_and_verify(s, s.pgdrill_config())
        expect_outcome(p, r, 1, "backup_page_errors")
        expect_equal(r["backup"]["label"], info["label"], "the flagged set was restored")
        for name in ("checksums", "amcheck"):
            expect_equal(check(r, name)["status"], "passed", "the restored copy is clean: " + name)
        c = check(r, "backup_page_checks")
        expect_equal((c["status"], c["by"], c["class"]),
                     ("failed", "bootstrap", "backup_page_errors"), "backup_page_checks")
        toast_name = s.psql("SELECT reltoastrelid::regclass FROM pg_class WHERE relname = 'docs'")
        expect_equal(c["files"], [{"file": toast, "pages": [2], "relation":
                                   "database postgres, relation %s (TOAST of public.docs)" % toast_name}],
                     "the file, its page and its relation")
        expect(toast + " page 2" in r["error"]["message"] and "TOAST of public.docs" in
               r["error"]["message"], "the error names file, page and relation", r["error"])
        expect("source's copy" in r["error"]["hint"], "the hint sends the SRE to the source",
               r["error"])


def corrupt_line_pointer(path, block, item, offset):
    """Point heap line pointer `item` (1-based) of `block` at `offset`, as a bit flip would."""
    with open(path, "r+b") as f:
        at = block * PAGE + 24 + (item - 1) * 4  # after the page header, 4 bytes per pointer
        f.seek(at)
        (word,) = struct.unpack("<I", f.read(4))
        f.seek(at)
        f.write(struct.pack("<I", (word & ~0x7FFF) | offset))


@scenario
def proof_amcheck_finds_corruption():
    """A cluster without data checksums: amcheck finds a broken heap page, pg_dump -s does not."""
    with Stack("amcheck", checksums=False) as s:
        s.install_pgdrill()
        s.psql("CREATE TABLE items (id int PRIMARY KEY, name text);"
               " INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g;"
               " CHECKPOINT")
        path = relation_file(s, "items")
        start = stopped_source(s)
        corrupt_line_pointer(path, 0, 3, 9000)
        start()
        s.backup()
        p, r, _ = drill_and_verify(s, s.pgdrill_config())
        expect_outcome(p, r, 1, "data_corruption")
        expect_equal(check(r, "checksums")["status"], "skipped", "checksums without checksums")
        detail = check(r, "amcheck")["detail"]
        expect("database postgres" in detail and "public.items" in detail and "block 0" in detail,
               "database, relation and block named", detail)
        expect_equal(check(r, "schema_dump")["status"], "passed", "the catalog is fine")


def example_assertions(text):
    """The example's commented assertion (patroni-examples/pgdrill.yml) uncommented as shipped."""
    head, marker, rest = text.partition("  assertions: []\n")
    expect(marker, "the example has verify.assertions")
    lines = rest.split("\n")
    uncommented = []
    while lines and lines[0].startswith("  # "):
        uncommented.append("  " + lines.pop(0)[4:])
    return head + "\n".join(uncommented + lines)


@scenario
def proof_assertions_and_rto():
    with Stack("assert", fresh=True) as s:  # recent_orders: rows of minutes ago
        s.install_pgdrill()
        metrics = s.path("state", "pgdrill.prom")
        config = s.pgdrill_config(edit=lambda t: add_report_settings(example_assertions(t), [
            "metrics_file: %s" % metrics]).replace("rto_target: 0", "rto_target: 1h"))
        p, r, port = drill_and_verify(s, config)
        expect_outcome(p, r, 0, None)
        expect_equal(check(r, "assertion:recent_orders")["status"], "passed", "the example's")
        expect_equal(check(r, "rto")["status"], "passed", "rto")
        expect(0 < r["rto"]["seconds"] < 3600 and r["rto"]["target"] == 3600, "rto", r["rto"])
        fam = promtext.parse(open(metrics).read())
        expect_equal(promtext.value(fam, "pgdrill_rto_target_seconds"), 3600, "rto metric")

        # Assertions that do not hold, and one that cannot run: each its own check.
        failing = s.pgdrill_config("failing.yml", edit=lambda t: t.replace("  assertions: []", "\n".join([
            "  assertions:",
            "    - {name: all_orders, database: postgres, sql: 'SELECT count(*) = 5000 FROM orders'}",
            "    - {name: wrong_count, database: postgres, sql: 'SELECT count(*) = 1 FROM orders'}",
            "    - {name: not_boolean, database: postgres, sql: 'SELECT count(*) FROM orders'}",
            "    - {name: broken, database: postgres, sql: 'SELECT * FROM no_such_table'}",
            "    - {name: read_only, database: postgres, sql: 'INSERT INTO orders (id, customer)"
            " VALUES (-5, ''x'') RETURNING true'}",
            "    - {name: target, database: postgres, sql: \"SELECT current_setting("
            "'pgdrill.target_time')::timestamptz > max(created) FROM orders\"}"])))
        p = s.verify(failing, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port))
        r = s.report()
        expect_outcome(p, r, 1, "assertion_failed")
        statuses = {c["name"]: c["status"] for c in r["checks"]}
        expect_equal([statuses["assertion:" + n] for n in ("all_orders", "wrong_count",
                                                            "not_boolean", "broken", "read_only",
                                                            "target")],
                     ["passed", "failed", "failed", "failed", "failed", "passed"], "assertions")
        expect("returned false" in check(r, "assertion:wrong_count")["detail"], "says what",
               check(r, "assertion:wrong_count"))
        expect("read-only" in check(r, "assertion:read_only")["detail"], "read-only session",
               check(r, "assertion:read_only"))

        # An RTO that cannot be met: a replay that waits 4 s for each commit, a target of 2 s.
        s.stop_postgres(s.path("drill"))
        os.remove(s.path("state", "report.json"))
        tight = s.pgdrill_config("tight.yml", edit=lambda t: t.replace(
            "rto_target: 0", "rto_target: 2").replace(
            "    shared_buffers: 128MB", "    shared_buffers: 128MB\n"
            "    recovery_min_apply_delay: 4s"))
        p, r, _ = drill_and_verify(s, tight, "slow")
        expect_outcome(p, r, 1, "rto_exceeded")
        expect(r["rto"]["seconds"] > 2, "restore plus recovery", r["rto"])
        expect("report.rto_target 2 s" in check(r, "rto")["detail"], "says so", check(r, "rto"))


def segments_between(s, first_backup, second_backup):
    """WAL segments in the repository archived after the first backup's and before the second's:
    the file of each that holds its content (s3rver keeps two more beside it, its metadata and
    checksum: which of the three sat in the middle of the list depended on how many segments
    there were)."""
    info = json.loads(s.pgbackrest("--output=json", "info").stdout)[0]["backup"]
    start = [b for b in info if b["label"] == first_backup][0]["archive"]["stop"]
    stop = [b for b in info if b["label"] == second_backup][0]["archive"]["start"]
    found = []
    for f in s.repo_files(r"archive/orders/[^/]+/0000000100000000/.*\._S3rver_object$"):
        name = os.path.basename(f)[:24]
        if start < name < stop:
            found.append(f)
    return found


@scenario
def proof_oldest_backup():
    """pgbackrest.set: oldest replays the whole window; a hole in it fails only that drill."""
    with Stack("oldest") as s:
        s.install_pgdrill()
        info = json.loads(s.pgbackrest("--output=json", "info").stdout)[0]["backup"]
        first = info[0]["label"]
        for i in range(3):
            s.psql("INSERT INTO orders (id, customer) SELECT g, 'window' FROM"
                   " generate_series(%d, %d) g" % (20000 + i * 1000, 20999 + i * 1000))
            s.switch_wal_and_wait()
        s.backup()
        second = json.loads(s.pgbackrest("--output=json", "info").stdout)[0]["backup"][-1]["label"]
        expect(first != second, "two backup sets")

        oldest = s.pgdrill_config("oldest.yml", edit=lambda t: t.replace("set: latest",
                                                                         "set: oldest"))
        p = s.bootstrap(oldest, s.path("d1"))
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal((r["backup"]["label"], r["backup"]["requested"], r["backup"]["repo"]),
                     (first, "oldest", 1), "the oldest set, from repository 1")
        expect(r["recovery"]["wal_first_segment"] <= info[0]["archive"]["start"],
               "replay starts at the oldest set", r["recovery"])
        expect(r["recovery"]["wal_bytes"] > 3 * 16 * 1024 * 1024 - 1, "the whole window replayed",
               r["recovery"])
        os.remove(s.path("state", "report.json"))

        # A segment between the two backups goes missing: only the oldest set needs it.
        hole = segments_between(s, first, second)
        expect(hole, "a segment between the two backups")
        os.remove(hole[len(hole) // 2])
        p = s.bootstrap(oldest, s.path("d2"))
        expect_outcome(p, s.report(), 1, "wal_missing")
        os.remove(s.path("state", "report.json"))
        p = s.bootstrap(s.pgdrill_config(), s.path("d3"))
        r = s.report()
        expect_outcome(p, r, 0, None)
        expect_equal((r["backup"]["label"], r["backup"]["requested"]), (second, "latest"),
                     "the newest set")
