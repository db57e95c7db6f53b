"""The stack itself: a plain pgbackrest restore + recovery, outside pgdrill, reaches a row
written after the backup."""
import os

from drillstack import Stack, expect_equal, scenario


@scenario
def stack_plain_restore():
    with Stack("stack") as s:
        s.psql("INSERT INTO orders (id, customer) VALUES (900001, 'after-backup')")
        s.switch_wal_and_wait()
        target = s.mkdir("plain")
        s.pgbackrest("--pg1-path=" + target, "--archive-mode=off", "--type=default", "restore")
        port = s.start_restored(target)
        s.wait_for("end of recovery", lambda: s.psql("SELECT pg_is_in_recovery()", port=port) == "f",
                   60, "plain.log")
        expect_equal(s.psql("SELECT customer FROM orders WHERE id = 900001", port=port),
                     "after-backup", "row written after the backup")
        s.stop_postgres(target)
        expect_equal(os.path.exists(os.path.join(target, "postmaster.pid")), False, "stopped")
