"""Paths as people write them: a trailing or doubled slash in a configured path or in
--datadir is the same path (a whole drill passes), a relative path is a configuration
error naming its key."""
import os
import re
import subprocess
import sys

from drillstack import PG_BIN, Stack, as_user, expect, expect_equal, expect_outcome, scenario


def spelled_loosely(s):
    """The example's paths as people write them: doubled and trailing slashes, "." components.
    report.file is left to its default, <state_dir>/report.json, which must follow."""
    def edit(text):
        text = re.sub(r"(?m)^  file: .*report\.json\n", "", text)
        return (text.replace("state_dir: " + s.path("state"),
                             "state_dir: %s//state/" % s.dir)
                .replace("config: " + s.pgbackrest_conf,
                         "config: %s/./pgbackrest.conf" % s.dir.replace("/", "//"))
                .replace('bin_dir: ""', "bin_dir: %s/" % PG_BIN))
    return edit


def relative_paths_refused(s):
    """A relative path (Patroni runs pgdrill in a working directory of its own) is a
    configuration error naming the key: exit 2, nothing done, for both binaries."""
    markers = s.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgdrill'")
    for key, edit in (
            ("state_dir", lambda t: t.replace("state_dir: " + s.path("state"),
                                              "state_dir: state")),
            ("report.file", lambda t: t.replace("file: " + s.path("state", "report.json"),
                                                "file: ./report.json")),
            ("pgbackrest.config", lambda t: t.replace("config: " + s.pgbackrest_conf,
                                                      "config: pgbackrest.conf"))):
        config = s.pgdrill_config("rel.yml", edit=edit)
        line = [n + 1 for n, text in enumerate(open(config).read().splitlines())
                if re.match(r"\s*%s:" % key.split(".")[-1], text)][0]
        expected = "%s:%d: %s: " % (config, line, key)
        for argv in ([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                      "--datadir=" + s.path("d")],
                     [s.path("bin", "pgdrill-verify"), "--config=" + config,
                      "host=%s port=%d" % (s.socket_dir, s.pg_port)],
                     [s.path("bin", "pgdrill-bootstrap"), "--check-config",
                      "--config=" + config]):
            p = subprocess.run(as_user(argv), capture_output=True, text=True, timeout=60,
                               env=s.drill_env(), cwd=s.dir)
            expect_equal(p.returncode, 2, "exit code of %s with a relative %s"
                         % (os.path.basename(argv[0]), key))
            expect(expected in p.stderr and "is a relative path" in p.stderr,
                   "the FILE:LINE: KEY: message", p.stderr[-2000:])
        expect(not os.path.exists(s.path("d")), "the data directory was created")
        expect(not os.path.exists(s.path("state", "report.json")), "a report was written")
    expect_equal(s.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgdrill'"),
                 markers, "the source was touched")


@scenario
def config_paths_as_written():
    """Relative paths are refused (relative_paths_refused). state_dir with a doubled and a
    trailing slash (pgBackRest refuses "//" in the WAL spool path built from it),
    pgbackrest.config and postgres.bin_dir written loosely, a relative --datadir with a
    trailing slash: the drill passes and every path has one spelling."""
    with Stack("paths") as s:
        s.install_pgdrill()
        relative_paths_refused(s)
        config = s.pgdrill_config(edit=spelled_loosely(s))
        text = open(config).read()
        expect("state_dir: %s//state/ " % s.dir in text and "report.json" not in text,
               "the loose spelling is in the configuration", text)
        # --datadir typed by hand: relative to the working directory, with a trailing slash
        p = subprocess.run(as_user([s.path("bin", "pgdrill-bootstrap"), "--config=" + config,
                                    "--scope=orders-drill", "--datadir=./drill//"]),
                           capture_output=True, text=True, timeout=300, env=s.drill_env(),
                           cwd=s.dir)
        sys.stderr.write(p.stderr[-20000:])
        expect_equal(p.returncode, 0, "bootstrap exit code")
        running = [line for line in p.stderr.splitlines() if "running: " in line]
        expect(running, "bootstrap logged the commands it ran", p.stderr[-3000:])
        for line in running:
            expect("//" not in line.split("running: ", 1)[1], "a doubled slash reached a command",
                   line)
        r = s.report()  # <state>/report.json: the default report.file of the one spelling
        expect_equal(r["datadir"], s.path("drill"), "the report's datadir")
        expect(not os.path.exists(s.path("state", "wal-spool")), "the WAL queue was removed")
        port = s.start_restored(s.path("drill"))
        p = s.verify(config, "host=%s port=%d dbname=postgres user=postgres"
                     % (s.socket_dir, port))
        expect_outcome(p, s.report(), 0, None)
        expect_equal(s.report()["verdict"], "passed", "verdict")
