"""A drill never harms a neighbour on the restore host. A stale postmaster.pid in the drill's
data directory, or in the <datadir>.failed Patroni leaves, may name the PID of another
cluster's postgres and its socket directory by the time bootstrap starts again (a host
restart, a crash); a process of someone else may mention the drill's WAL spool directory.
Here a second, unrelated PostgreSQL cluster of the same OS user runs beside the drill, with
its socket in a /tmp/pgdrill-XXXXXX directory as the drill's private ones are named, and a
python and an strace mention the spool: all of them run on untouched, and the drill behaves
as it always did."""
import os
import re
import shutil
import signal
import subprocess
import time

from drillstack import (PG_BIN, Stack, as_user, expect, expect_equal, expect_outcome, free_port,
                        processes_mentioning, run, scenario, tail)
from test_replay import stop_during_stalled_fetch

# What a postmaster logs when one of its processes was killed, or when it was told to stop.
RESTARTED = r"terminated by signal|reinitializing|shutdown request|database system was interrupted"


def alive(pid):
    """A live process (not a zombie) has this PID."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Neighbour:
    """Another cluster of the same OS user on the restore host: its unix socket in a
    /tmp/pgdrill-XXXXXX directory, and on 127.0.0.1 so that the test reaches it even if that
    directory were taken away. The stack stops it; remove() removes the directory."""

    def __init__(self, s):
        self.s = s
        self.datadir = s.path("neighbour")
        self.sockets = run(["mktemp", "-d", "/tmp/pgdrill-XXXXXX"]).stdout.strip()
        self.port = free_port()
        run([PG_BIN + "/initdb", "-D", self.datadir, "-U", "postgres", "--auth=trust"],
            env=s.env)
        s.start_postgres(self.datadir, "neighbour.log",
                         "-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s"
                         % (self.port, self.sockets))
        self.before = self.state()

    def query(self, sql):
        return run([PG_BIN + "/psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(self.port),
                    "-U", "postgres", "-d", "postgres", "-c", sql], timeout=30,
                   env=self.s.env).stdout.strip()

    def pid_file(self):
        with open(os.path.join(self.datadir, "postmaster.pid")) as f:
            return f.read().split("\n")

    def state(self):
        return {"postmaster": int(self.pid_file()[0]),
                "started": self.query("SELECT pg_postmaster_start_time()"),
                "checkpointer": int(self.query("SELECT pid FROM pg_stat_activity"
                                               " WHERE backend_type = 'checkpointer'"))}

    def stale_pid_file(self, directory, pid, datadir):
        """A postmaster.pid in directory as a killed drill leaves it, naming the drill's
        datadir, but pid and this cluster's socket directory (its start time too)."""
        lines = self.pid_file()
        lines[0], lines[1] = str(pid), datadir
        self.s.write(os.path.join(directory, "postmaster.pid"), "\n".join(lines))

    def expect_untouched(self, what):
        """Same postmaster, never restarted, checkpointer alive, socket directory present."""
        for name in ("postmaster", "checkpointer"):
            expect(alive(self.before[name]), "%s: the neighbour's %s (PID %d) was stopped"
                   % (what, name, self.before[name]), tail(self.s.path("neighbour.log")))
        expect(os.path.isdir(self.sockets) and
               os.path.exists(os.path.join(self.sockets, ".s.PGSQL.%d" % self.port)),
               "%s: the neighbour's socket directory %s was removed" % (what, self.sockets))
        expect_equal(self.state(), self.before, what + ": the neighbour's processes")
        restarted = re.findall(".*(?:%s).*" % RESTARTED, open(self.s.path("neighbour.log")).read())
        expect(not restarted, what + ": the neighbour was restarted", restarted)
        # its socket answers
        expect_equal(run([PG_BIN + "/psql", "-X", "-At", "-h", self.sockets, "-p", str(self.port),
                          "-U", "postgres", "-d", "postgres", "-c", "SELECT 1"], timeout=30,
                         env=self.s.env).stdout.strip(), "1", what + ": a query on its socket")

    def remove(self):
        shutil.rmtree(self.sockets, ignore_errors=True)


@scenario
def neighbours_stale_pid_files():
    """Stale postmaster.pid files name another cluster's postmaster (in the data directory and
    in <datadir>.failed) and its checkpointer (in <datadir>.failed), and its socket directory:
    the other cluster runs on, unrestarted, its socket directory stays; the drills end as
    before (a data directory that is not empty refused; a drill restored and promoted)."""
    neighbour = None
    try:
        with Stack("neighbours") as s:
            s.install_pgdrill()
            neighbour = Neighbour(s)

            # Its postmaster, named in the data directory and in <datadir>.failed: bootstrap
            # refuses the data directory (it is not empty), as ever.
            config = s.pgdrill_config("one.yml", edit=lambda t: t.replace(
                s.path("state"), s.mkdir("state1")))
            datadir = s.path("d1")
            for directory in (s.mkdir("d1"), s.mkdir("d1.failed")):
                neighbour.stale_pid_file(directory, neighbour.before["postmaster"], datadir)
            p = s.bootstrap(config, datadir)
            neighbour.expect_untouched("its postmaster named")
            expect_equal(p.returncode, 2, "exit code with a data directory that is not empty")
            expect("refusing --datadir" in p.stderr, "the data directory refused", p.stderr)
            expect(re.search(r"PID %d \(from %s/postmaster.pid\) works in %s, not in %s; left "
                             r"running" % (neighbour.before["postmaster"], re.escape(datadir),
                                           re.escape(neighbour.datadir), re.escape(datadir)),
                             p.stderr), "no warning about the postmaster left running", p.stderr)

            # Its checkpointer, named in <datadir>.failed only: a whole drill.
            datadir = s.path("drill")
            neighbour.stale_pid_file(s.mkdir("drill.failed"), neighbour.before["checkpointer"],
                                     datadir)
            p = s.bootstrap(s.pgdrill_config(), datadir)
            neighbour.expect_untouched("its checkpointer named")
            r = s.report()
            expect_outcome(p, r, 0, None)
            expect_equal(r["phase"], "restored", "phase")
            expect(re.search(r"PID %d \(from %s.failed/postmaster.pid\) works in %s" % (
                neighbour.before["checkpointer"], re.escape(datadir),
                re.escape(neighbour.datadir)), p.stderr),
                "no warning about the checkpointer left running", p.stderr)
            expect(re.search(r"%s holds no pgdrill-datadir file .*; left in place"
                             % re.escape(neighbour.sockets), p.stderr),
                   "no warning about the socket directory left in place", p.stderr)
            # The drill's own private directory is gone as ever.
            private = re.search(r"unix_socket_directories=(/tmp/pgdrill-\w+)", p.stderr).group(1)
            expect(not os.path.exists(private), "the drill's private directory %s is left"
                   % private)
            expect(not processes_mentioning(datadir), "a process of the drill is left")
    finally:
        if neighbour is not None:
            neighbour.remove()


def remove_private_directory(log):
    """The private directory of a bootstrap killed with kill -9 (its postmaster killed with it)
    stays until the next bootstrap on that data directory: this test's own, removed here."""
    found = re.search(r"unix_socket_directories=(/tmp/pgdrill-\w+)", tail(log, 100000))
    if found:
        shutil.rmtree(found.group(1), ignore_errors=True)


def start_stranger(s, argv):
    """A process of the drill's OS user, in a session of its own; stopped by the scenario."""
    return subprocess.Popen(as_user(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=s.env)


@scenario
def neighbours_archive_get_stopper_spares_strangers():
    """Processes that are not pgBackRest but whose arguments hold --spool-path=<the drill's
    spool> and an archive-get (a python, an strace of one) run on through bootstrap's own
    clean-ups and through the archive-get stopper after a kill -9 of bootstrap during the asynchronous
    fetch, while the drill's archive-gets are stopped as ever."""
    strangers, pids = [], []
    try:
        with Stack("strangers") as s:
            s.install_pgdrill()
            spool = s.path("state", "wal-spool")
            arg = "--spool-path=" + spool
            sleeper = ["python3", "-c", "import time; time.sleep(600)", arg]
            strangers.append(start_stranger(s, sleeper + ["archive-get"]))
            if shutil.which("strace"):
                strangers.append(start_stranger(s, ["strace", "-f", "-o", "/dev/null"] + sleeper
                                                + ["archive-get:async"]))
            # the python, the strace and the python it traces
            s.wait_for("the strangers to start",
                       lambda: len(processes_mentioning(arg)) == len(strangers) * 2 - 1, 20)
            pids.extend(processes_mentioning(arg))
            early = list(pids)

            def fetchers():
                return [pid for pid in processes_mentioning(spool) if pid not in pids]

            def sigkill(p):
                # One more, which only the archive-get stopper meets.
                late = start_stranger(s, sleeper + ["archive-get"])
                strangers.append(late)
                s.wait_for("the late stranger to start",
                           lambda: late.pid in processes_mentioning(arg), 10)
                pids.append(late.pid)
                p.send_signal(signal.SIGKILL)
                p.wait(30)
                deadline = time.monotonic() + 20
                while fetchers() and time.monotonic() < deadline:
                    time.sleep(0.2)
                return fetchers()
            try:
                left = stop_during_stalled_fetch(s, sigkill, fetchers)
            finally:
                remove_private_directory(s.path("bootstrap.log"))
            log = tail(s.path("bootstrap.log"), 400)
            expect(not left, "pgBackRest processes of the drill outlived bootstrap's kill -9",
                   left, log)
            for pid in pids:
                expect(alive(pid), "the stranger %d was stopped" % pid, log)
            for pid in early:
                expect(re.search(r"process %d has %s among its arguments, but its program is not "
                                 r"the pgbackrest PATH finds; left running" % (pid, re.escape(arg)),
                                 log), "no warning about the stranger %d" % pid, log)
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for proc in strangers:
            proc.kill()
            proc.wait(10)
