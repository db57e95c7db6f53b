#!/usr/bin/python3
"""Benchmark: a drill's recovery phase against the same replay with the WAL already local.

Run on demand (not part of the tests), after scripts/install-deps.sh:
    scripts/bench-replay.py [--rows 2000000] [--updates 3] [--pad 0] [--rounds 3] [--variants]
It builds a release build in build-bench/, brings up the local stack (S3 over TLS on
127.0.0.1), fills a table (id, v and --pad bytes of text per row), takes a full backup,
updates every row --updates times (the WAL window: about 100 segments for the defaults, the
workload README's Performance section reports; --pad 60 makes about twice as much WAL per second of replay,
mostly full-page images), writes the marker and stops the source. Then,
interleaved in each round:
  local   the restored backup (restored once, copied per round) started with
          restore_command = 'cp <local dir>/%f "%p"', the segments fetched beforehand, and
          fsync on like pgdrill's private instance: the time from starting postgres to its
          promotion plus a fast shutdown
  drill   pgdrill-bootstrap with the same marker (restore not counted; checksums off, so the
          phase holds replay, promotion and shutdown like the local run): timings.recovery
With --variants the drill also runs with each setting measured for the README (prefetch
off, a smaller queue, one process, recovery_prefetch off,
maintenance_io_concurrency 100, shared_buffers 1GB), and the local replay also with
shared_buffers 1GB. Prints the medians, the replay figures (PostgreSQL's redo "elapsed")
and the ratio drill / local. Goal: default drill / local <= 1.10.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import machine, median, release_build, run_timed, table  # noqa: E402
from drillstack import PG_BIN, Stack, as_user, free_port  # noqa: E402

VARIANTS = [
    ("default", None),
    ("wal_prefetch: off", lambda t: t.replace("wal_prefetch: 1GB", "wal_prefetch: off")),
    ("wal_prefetch: 256MB", lambda t: t.replace("wal_prefetch: 1GB", "wal_prefetch: 256MB")),
    ("process_max: 1", lambda t: t.replace("# process_max: 4", "process_max: 1")),
    ("recovery_prefetch: off", lambda t: t.replace(
        "shared_buffers: 128MB", "shared_buffers: 128MB\n    recovery_prefetch: 'off'")),
    ("maintenance_io_concurrency: 100", lambda t: t.replace(
        "shared_buffers: 128MB", "shared_buffers: 128MB\n    maintenance_io_concurrency: 100")),
    ("shared_buffers: 1GB", lambda t: t.replace("shared_buffers: 128MB", "shared_buffers: 1GB")),
]


def make_window(s, rows, updates, pad):
    s.psql("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, pad text)")
    s.psql("INSERT INTO t SELECT g, 0, %s FROM generate_series(1, %d) g"
           % ("repeat('x', %d)" % pad if pad else "NULL", rows))
    s.backup()
    for _ in range(updates):
        s.psql("UPDATE t SET v = v + 1")
    test_id = str(uuid.uuid4())
    target = s.scheduler_marker(test_id)
    s.stop_postgres(s.path("source"))
    return test_id, target


def fetch_wal_locally(s):
    """Every segment of the window into a local directory, with pgBackRest's archive-get."""
    info = json.loads(s.pgbackrest("--output=json", "info").stdout)[0]
    first = info["backup"][-1]["archive"]["start"]
    last = info["archive"][0]["max"]
    local = s.mkdir("wal-local", mode=0o755)
    tli = first[:8]
    number = int(first[8:16], 16) * 256 + int(first[16:], 16)
    end = int(last[8:16], 16) * 256 + int(last[16:], 16)
    while number <= end:
        seg = "%s%08X%08X" % (tli, number // 256, number % 256)
        s.pgbackrest("archive-get", seg, os.path.join(local, seg))
        number += 1
    return local, end - (int(first[8:16], 16) * 256 + int(first[16:], 16)) + 1


def local_round(s, pristine, n, settings=()):
    """Start a copy of the restored backup with local WAL until promoted, stop it fast."""
    tag = "%d%s" % (n, "-".join([""] + [re.sub(r"[^a-z0-9]+", "", x) for x in settings]))
    work = s.path("local-" + tag)
    subprocess.run(as_user(["cp", "-a", pristine, work]), check=True)
    sock = s.mkdir("local-sock-" + tag)
    argv = as_user([PG_BIN + "/postgres", "-D", work, "-c", "port=%d" % free_port(),
                    "-c", "listen_addresses=", "-c", "unix_socket_directories=" + sock,
                    "-c", "archive_mode=off", "-c", "hot_standby=on",
                    # the restored postgresql.conf is the test source's (fsync off, for test
                    # speed); pgdrill's private instance runs with PostgreSQL's default, on
                    "-c", "fsync=on"]
                   + [arg for setting in settings for arg in ("-c", setting)])
    start = time.monotonic()
    p = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=s.env)
    redo = None
    for line in p.stderr:
        m = re.search(r"redo done at \S+ system usage: .*elapsed: ([0-9.]+) s", line)
        if m:
            redo = float(m.group(1))
        if "database system is ready to accept connections" in line:
            break
    else:
        raise SystemExit("bench: the local replay did not promote (exit %s)" % p.wait())
    subprocess.run(as_user([PG_BIN + "/pg_ctl", "-D", work, "-m", "fast", "-w", "stop"]),
                   check=True, capture_output=True)
    p.wait(60)
    elapsed = time.monotonic() - start
    shutil.rmtree(work)
    return elapsed, redo


def drill_round(s, test_id, target, n, name, edit):
    state = "state-%d-%s" % (n, re.sub(r"[^a-z0-9]+", "-", name))

    def change(text):
        text = text.replace(s.path("state"), s.path(state)).replace("checksums: true",
                                                                    "checksums: false")
        return edit(text) if edit else text
    s.mkdir(state)
    config = s.pgdrill_config(name=state + ".yml", edit=change)
    datadir = s.path("drill-" + state)
    _, p = run_timed(as_user([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                              "--datadir=" + datadir, "--test-id=" + test_id,
                              "--target-time=" + target]), s.drill_env())
    # The last drill's log, to see where its time went.
    with open("/tmp/bench-replay-%s.log" % re.sub(r"[^a-z0-9]+", "-", name), "w") as f:
        f.write(p.stderr)
    with open(s.path(state, "report.json")) as f:
        report = json.load(f)
    shutil.rmtree(datadir)
    return report["timings"]["recovery"], report["recovery"].get("replay_seconds"), report


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2000000)
    ap.add_argument("--pad", type=int, default=0, help="bytes of text per row")
    ap.add_argument("--updates", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", action="store_true", help="also measure each setting")
    args = ap.parse_args()

    release_build()
    variants = VARIANTS if args.variants else VARIANTS[:1]
    with Stack("benchreplay") as s:
        s.install_pgdrill()
        print("bench: %d rows (%d bytes of pad), %d updates after the backup ..."
              % (args.rows, args.pad, args.updates),
              flush=True)
        test_id, target = make_window(s, args.rows, args.updates, args.pad)
        local, segments = fetch_wal_locally(s)
        print("bench: %d WAL segments in the window, fetched to %s" % (segments, local), flush=True)
        pristine = s.path("pristine")
        s.pgbackrest("--pg1-path=" + pristine, "--type=time", "--target=" + target,
                     "--target-action=promote", "--archive-mode=off",
                     "--recovery-option=restore_command=cp %s/%%f \"%%p\"" % local, "restore",
                     timeout=3600)
        results = {name: ([], []) for name, _ in variants}
        locals_, local_redo, local_sb = [], [], []
        wal = None
        for n in range(args.rounds):
            elapsed, redo = local_round(s, pristine, n)
            locals_.append(elapsed)
            local_redo.append(redo)
            line = "bench: round %d: local %.2fs (redo %.2fs)" % (n + 1, elapsed, redo)
            if args.variants:
                local_sb.append(local_round(s, pristine, n, ["shared_buffers=1GB"]))
                line += ", local with shared_buffers 1GB %.2fs (redo %.2fs)" % local_sb[-1]
            for name, edit in variants:
                recovery, replay, report = drill_round(s, test_id, target, n, name, edit)
                results[name][0].append(recovery)
                results[name][1].append(replay)
                wal = wal or report["recovery"]
                line += ", %s %.2fs (redo %.2fs)" % (name, recovery, replay)
            print(line, flush=True)
        base = median(locals_)
        rows = [["WAL already local (`cp`)", "%.2f s" % base, "%.2f s" % median(local_redo), "1.00"]]
        if local_sb:
            sb = median([e for e, _ in local_sb])
            rows.append(["WAL already local (`cp`), shared_buffers 1GB", "%.2f s" % sb,
                         "%.2f s" % median([r for _, r in local_sb]), "%.2f" % (sb / base)])
        for name, _ in variants:
            rec, rep = median(results[name][0]), median(results[name][1])
            rows.append(["pgdrill, %s" % name, "%.2f s" % rec, "%.2f s" % rep, "%.2f" % (rec / base)])
        print("\n%s; %d segments, %.0f MB of WAL replayed, %d rounds, medians:\n"
              % (machine(), wal["wal_segments"], wal["wal_bytes"] / 1e6, args.rounds))
        print(table(["how the WAL reaches recovery", "recovery phase", "redo (PostgreSQL)",
                     "ratio"], rows))
        ratio = median(results["default"][0]) / base
        return 0 if ratio <= 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
