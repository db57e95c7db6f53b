"""The real drill stack for integration tests.

A Stack lives in a fresh temporary directory and uses free loopback ports:
s3rver over TLS as the pgBackRest S3 repository, a source PostgreSQL 15 that
archives into it, a stanza with a full backup of a small schema; etcd and
Patroni on demand. Everything it starts is recorded (PID, kind, data
directory) in <dir>/pids and stopped by PID when the stack is left, also when
the test failed or was interrupted; cleanup.py kills leftovers of stacks
whose test process itself was killed.

Standard library only; run with /usr/bin/python3.
"""

import fcntl
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PG_BIN = "/usr/lib/postgresql/15/bin"
S3RVER = os.path.join(REPO, ".deps", "npm", "node_modules", "s3rver", "bin", "s3rver.js")
STANZA = "orders"  # the stanza of patroni-examples/pgdrill.yml: examples need no renaming
SOURCE_PASSWORD = "src-Pa55word-do-not-print"  # tests assert it never appears in any output
IS_ROOT = os.geteuid() == 0
RUN_USER = "postgres" if IS_ROOT else pwd.getpwuid(os.geteuid()).pw_name


class StackError(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no %s)" % path


def as_user(argv):
    """argv run as the database OS user (CI runs as root; PostgreSQL refuses root)."""
    if IS_ROOT:
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + list(argv)
    return list(argv)


def run(argv, timeout=120, check=True, env=None, input=None, cwd=None):
    """Run a command as the database user, capture output, raise with stderr on failure."""
    p = subprocess.run(as_user(argv), capture_output=True, text=True, timeout=timeout, env=env,
                       input=input, cwd=cwd)
    if check and p.returncode != 0:
        raise StackError("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(argv), p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
    return p


def _raise_on_signal(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def default_test_root():
    """Where stacks go unless PGDRILL_TEST_ROOT says: /dev/shm/pgdrill-tests when that tmpfs has
    4 GiB free, else /tmp/pgdrill-tests. In memory, a scenario's files (a source, its copy of
    the repository, restored data directories: ~5000 files) are written and removed without
    the disk: stack_plain_restore took 0.47 of its wall time and 0.66 of its CPU."""
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize >= 4 << 30 and os.access("/dev/shm", os.W_OK):
            return "/dev/shm/pgdrill-tests"
    except OSError:
        pass
    return "/tmp/pgdrill-tests"


def test_root():
    root = os.environ.get("PGDRILL_TEST_ROOT") or default_test_root()
    os.makedirs(root, mode=0o755, exist_ok=True)
    os.chmod(root, 0o755)
    return root


# The prepared stack (see Stack.from_template): rebuilt when this file changes or when it is
# older than half a day (its certificate is valid for two).
TEMPLATE_MAX_AGE = 12 * 3600
TEMPLATE_WAIT = 600  # seconds a scenario waits for another one building the template


def template_dir():
    """The prepared default stack under the test root, built once (under a lock) and then
    shared: a stopped source data directory with a stanza, the schema and a full backup, the
    repository on s3rver's disk holding them, the TLS key and certificate. Returns its path."""
    root = test_root()
    with open(__file__, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:12]
    final = os.path.join(root, "template-" + key)
    with open(os.path.join(root, "template.lock"), "a") as lock:
        deadline = time.monotonic() + TEMPLATE_WAIT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StackError("timed out after %ds waiting for another test to build %s"
                                     % (TEMPLATE_WAIT, final))
                time.sleep(0.2)
        meta = os.path.join(final, "template.json")
        if os.path.exists(meta) and time.time() - os.path.getmtime(meta) < TEMPLATE_MAX_AGE:
            return final
        shutil.rmtree(final, ignore_errors=True)
        t = Stack("template-build")
        try:
            t.start_s3()
            t.start_source()
            t.create_stanza()
            t.load_schema()
            t.backup(settle=False)
            backed_up = time.time()
            t.stop_postgres_all()
            for _, proc in t.daemons:
                t._stop_proc(proc, 10)
            t.daemons = []
        except BaseException:
            t.failed = True
            t.stop()
            raise
        os.remove(t.pidfile)  # everything is stopped: nothing for cleanup.py to kill
        with open(os.path.join(t.dir, "template.json"), "w") as f:
            json.dump({"dir": t.dir, "pg_port": t.pg_port, "backed_up": backed_up}, f)
        os.rename(t.dir, final)
        return final


class Stack:
    def __init__(self, name="stack", checksums=True, source_auto_conf="", fresh=False):
        """fresh: build the source and its backup now rather than copy the shared template
        (from_template), for a scenario that needs the schema's rows written minutes ago at
        most (the example's assertion recent_orders); a stack with checksums off or lines for
        postgresql.auto.conf is always built anew."""
        self.checksums = checksums
        self.fresh = fresh
        self.source_auto_conf = source_auto_conf  # lines for the source's postgresql.auto.conf
        root = test_root()
        self.dir = tempfile.mkdtemp(prefix=name + ".", dir=root)
        os.chmod(self.dir, 0o755)
        self.own(self.dir)
        self.pidfile = os.path.join(self.dir, "pids")
        self.daemons = []  # (kind, Popen or pid, datadir)
        self.postgres_dirs = []  # data directories of every postmaster we may have started
        self.failed = False
        self.s3_port = free_port()
        self.pg_port = free_port()
        self.socket_dir = self.path("sock")
        self.etcd_port = None
        self.patroni = None
        self.bindir = self.path("bin")  # where bootstrap() and verify() find pgdrill
        self.env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8", "HOME": self.dir}
        # A coverage build (PGDRILL_COVERAGE): ctest names where pgdrill's profiles go. Every
        # environment of the stack carries it (Patroni passes it on to the pgdrill commands),
        # and the directory belongs to the user that runs pgdrill.
        profile = os.environ.get("LLVM_PROFILE_FILE")
        if profile:
            os.makedirs(os.path.dirname(profile), mode=0o755, exist_ok=True)
            self.own(os.path.dirname(profile))
            self.env["LLVM_PROFILE_FILE"] = profile

    # ---------------------------------------------------------------- helpers
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def own(self, path):
        if IS_ROOT:
            shutil.chown(path, "postgres", "postgres")

    def mkdir(self, *parts, mode=0o700):
        p = self.path(*parts)
        os.makedirs(p, mode=mode, exist_ok=True)
        self.own(p)
        return p

    def write(self, rel, text, mode=0o600):
        p = self.path(rel)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        self.own(p)
        return p

    def record(self, pid, kind, datadir="-"):
        with open(self.pidfile, "a") as f:
            f.write("%d %s %s\n" % (pid, kind, datadir))

    def start_daemon(self, kind, argv, log, env=None, as_db_user=True):
        """Start a daemon in its own session (as the database user unless told otherwise);
        the recorded PID is the daemon's own."""
        out = open(self.path(log), "ab")
        if IS_ROOT and as_db_user:
            argv = ["setsid"] + as_user(argv)
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env or self.env, cwd=self.dir)
        else:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env or self.env, cwd=self.dir,
                                    start_new_session=True)
        out.close()
        self.record(proc.pid, kind)
        self.daemons.append((kind, proc))
        return proc

    def wait_for(self, what, predicate, timeout, log=None, alive=None):
        """Wait for predicate; give up at the timeout or as soon as the process alive exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if alive is not None and alive.poll() is not None:
                raise StackError("%s exited with %s while waiting for %s%s" % (
                    " ".join(alive.args[-2:]), alive.returncode, what,
                    ("\n--- %s:\n%s" % (log, tail(self.path(log), 60))) if log else ""))
            time.sleep(0.1)
        raise StackError("timed out after %ss waiting for %s%s" % (
            timeout, what, ("\n--- %s:\n%s" % (log, tail(self.path(log)))) if log else ""))

    def wait_for_log(self, log, pattern, timeout, alive=None):
        rx = re.compile(pattern)
        self.wait_for("/%s/ in %s" % (pattern, log),
                      lambda: bool(rx.search(open(self.path(log), errors="replace").read()))
                      if os.path.exists(self.path(log)) else False, timeout, log, alive)

    # ------------------------------------------------------------- lifecycle
    def __enter__(self):
        self.previous_handlers = {s: signal.signal(s, _raise_on_signal)
                                  for s in (signal.SIGTERM, signal.SIGHUP)}
        try:
            if self.checksums and not self.source_auto_conf and not self.fresh and \
                    os.environ.get("PGDRILL_TEST_TEMPLATE", "1") != "0":
                self.from_template()
            else:
                self.start_s3()
                self.start_source()
                self.create_stanza()
                self.load_schema()
                self.backup()
        except BaseException:
            self.failed = True
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.failed = exc_type is not None
        self.stop()
        for s, h in self.previous_handlers.items():
            signal.signal(s, h)
        return False

    def from_template(self):
        """The same stack as start_s3 .. backup build, copied from the shared template
        (template_dir()): the same stanza, schema and full backup, with this stack's own
        copies of the source, the repository and the certificate, its own ports and paths.
        initdb, stanza-create and a full backup through s3rver cost a scenario 10 to 12 s of
        CPU; the copy costs well under one. PGDRILL_TEST_TEMPLATE=0 builds every stack anew."""
        tdir = template_dir()
        with open(os.path.join(tdir, "template.json")) as f:
            meta = json.load(f)
        # cp -a: owners and modes as they were (the source belongs to the database user)
        subprocess.run(["cp", "-a"] + [os.path.join(tdir, n) for n in
                                       ("cert.pem", "key.pem", "s3data", "source")] + [self.dir],
                       check=True, capture_output=True, timeout=120)
        conf = os.path.join(self.dir, "source", "postgresql.conf")
        with open(conf) as f:
            text = f.read()
        text = text.replace(meta["dir"], self.dir).replace(
            "\nport = %d\n" % meta["pg_port"], "\nport = %d\n" % self.pg_port)
        with open(conf, "w") as f:
            f.write(text)
        self.start_s3(certificate=False)
        self.mkdir("sock")
        self.start_postgres(self.path("source"), "source.log")
        self.write_pgpass()
        # as backup(): the backup's stop time must be strictly before a drill's target
        time.sleep(max(0.0, meta["backed_up"] + 1.1 - time.time()))

    def stop(self):
        # Patroni first (it stops its postmaster), then any postmaster, then etcd, then s3rver:
        # an archiver whose S3 is gone blocks a shutdown for over a minute. Daemons of other
        # kinds a test started (a proxy in front of s3rver) go before s3rver.
        kinds = ["patroni", "postgres", "etcd"]
        kinds += [k for k, _ in self.daemons if k not in kinds + ["s3rver"]] + ["s3rver"]
        for kind in dict.fromkeys(kinds):
            if kind == "postgres":
                self.stop_postgres_all()
            for k, proc in self.daemons:
                if k == kind:
                    self._stop_proc(proc, 30 if kind == "patroni" else 10)
        self.daemons = []
        keep = self.failed or os.environ.get("PGDRILL_KEEP_TMP") == "1"
        if keep:
            open(self.path("KEPT"), "w").close()  # cleanup.py leaves it alone
            print("stack kept for inspection: %s" % self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _stop_proc(self, proc, grace):
        if proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop_postgres(self, datadir, mode="fast"):
        if os.path.exists(os.path.join(datadir, "postmaster.pid")):
            subprocess.run(as_user([PG_BIN + "/pg_ctl", "-D", datadir, "-m", mode, "-w", "-t", "60",
                                    "stop"]), capture_output=True, timeout=90)
        if os.path.exists(os.path.join(datadir, "postmaster.pid")):
            subprocess.run(as_user([PG_BIN + "/pg_ctl", "-D", datadir, "-m", "immediate", "stop"]),
                           capture_output=True, timeout=90)

    def stop_postgres_all(self):
        for d in reversed(self.postgres_dirs):
            self.stop_postgres(d)

    # ------------------------------------------------------------------ S3
    def start_s3(self, certificate=True):
        """s3rver over TLS and pgbackrest.conf; certificate False: key.pem, cert.pem and
        s3data are there already (from_template)."""
        if not os.path.exists(S3RVER):
            raise StackError("s3rver is not installed at %s: run scripts/install-deps.sh" % S3RVER)
        if certificate:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "2", "-keyout", self.path("key.pem"), "-out", self.path("cert.pem"),
                            "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                           check=True, capture_output=True, timeout=60)
            for f in ("key.pem", "cert.pem"):
                self.own(self.path(f))
        self.s3_data = self.mkdir("s3data")
        self.start_daemon("s3rver", ["node", S3RVER, "-d", self.s3_data, "-a", "127.0.0.1",
                                     "-p", str(self.s3_port), "--key", self.path("key.pem"),
                                     "--cert", self.path("cert.pem"),
                                     "--configure-bucket", "pgbackrest"], "s3rver.log",
                          as_db_user=False)  # it reads the project tree, which may be private

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.s3_port), 0.2).close()
                return True
            except OSError:
                return False
        self.wait_for("s3rver on port %d" % self.s3_port, listening, 30, "s3rver.log")
        for d in ("lock", "log", "spool"):
            self.mkdir("pgbackrest", d)
        self.pgbackrest_conf = self.write("pgbackrest.conf", "\n".join([
            "[global]",
            "repo1-type=s3",
            "repo1-s3-endpoint=localhost",
            "repo1-storage-port=%d" % self.s3_port,
            "repo1-s3-uri-style=path",
            "repo1-s3-region=us-east-1",
            "repo1-s3-bucket=pgbackrest",
            "repo1-s3-key=S3RVER",
            "repo1-s3-key-secret=S3RVER",
            "repo1-storage-ca-file=%s" % self.path("cert.pem"),
            "repo1-path=/repo",
            "repo1-retention-full=4",
            "lock-path=%s" % self.path("pgbackrest", "lock"),
            "log-path=%s" % self.path("pgbackrest", "log"),
            "spool-path=%s" % self.path("pgbackrest", "spool"),
            "log-level-console=info",
            "log-level-file=off",
            "start-fast=y",
            "io-timeout=20",
            "",
            "[%s]" % STANZA,
            "pg1-path=%s" % self.path("source"),
            "pg1-port=%d" % self.pg_port,
            "pg1-socket-path=%s" % self.socket_dir,
            "",
        ]), mode=0o640)

    def repo_dir(self):
        """The repository on s3rver's disk, for tests that delete or corrupt repository files."""
        return os.path.join(self.s3_data, "pgbackrest", "repo")

    def repo_files(self, pattern):
        rx = re.compile(pattern)
        found = []
        for base, _, files in os.walk(self.repo_dir()):
            for f in files:
                p = os.path.join(base, f)
                if rx.search(os.path.relpath(p, self.repo_dir())):
                    found.append(p)
        return sorted(found)

    def pgbackrest(self, *args, timeout=180, check=True):
        return run(["pgbackrest", "--config=" + self.pgbackrest_conf, "--stanza=" + STANZA]
                   + list(args), timeout=timeout, check=check, env=self.env)

    # ---------------------------------------------------------- source PG
    def start_source(self):
        self.mkdir("sock")
        datadir = self.path("source")
        run([PG_BIN + "/initdb", "-D", datadir] + (["--data-checksums"] if self.checksums else [])
            + ["-U", "postgres",
             "--auth-local=trust", "--auth-host=scram-sha-256"], timeout=120, env=self.env)
        with open(os.path.join(datadir, "postgresql.conf"), "a") as f:
            f.write("\n".join([
                "port = %d" % self.pg_port,
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '%s'" % self.socket_dir,
                "wal_level = replica",
                "archive_mode = on",
                "archive_command = 'pgbackrest --config=%s --stanza=%s archive-push %%p'"
                % (self.pgbackrest_conf, STANZA),
                "fsync = off",  # test speed; the drill's logic does not depend on it
                "max_connections = 50",
                "",
            ]))
        # What ALTER SYSTEM would have set on production: it is restored with the backup.
        with open(os.path.join(datadir, "postgresql.auto.conf"), "a") as f:
            f.write(self.source_auto_conf)
        self.start_postgres(datadir, "source.log")

    def start_postgres(self, datadir, log, extra_opts=""):
        self.postgres_dirs.append(datadir)
        p = run([PG_BIN + "/pg_ctl", "-D", datadir, "-l", self.path(log), "-w", "-t", "60",
                 "-o", extra_opts, "start"], timeout=90, check=False, env=self.env)
        if p.returncode != 0:
            raise StackError("pg_ctl start of %s failed:\n%s\n--- %s:\n%s"
                             % (datadir, p.stderr, log, tail(self.path(log))))
        with open(os.path.join(datadir, "postmaster.pid")) as f:
            self.record(int(f.readline()), "postgres", datadir)

    def psql(self, sql, db="postgres", port=None, user="postgres", check=True):
        p = run([PG_BIN + "/psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-h", self.socket_dir,
                 "-p", str(port or self.pg_port), "-U", user, "-d", db, "-c", sql],
                timeout=120, check=check, env=self.env)
        return p.stdout.strip()

    def source_dsn(self, with_password=False, uri=False):
        pw = SOURCE_PASSWORD if with_password else None
        if uri:
            return "postgresql://pgdrill%s@127.0.0.1:%d/postgres" % (":" + pw if pw else "",
                                                                     self.pg_port)
        return "host=127.0.0.1 port=%d dbname=postgres user=pgdrill%s" % (
            self.pg_port, " password=" + pw if pw else "")

    def create_stanza(self):
        self.pgbackrest("stanza-create")
        self.pgbackrest("check")

    def load_schema(self):
        # The role pgdrill-bootstrap uses in production: not a superuser.
        self.psql("CREATE ROLE pgdrill LOGIN PASSWORD '%s';"
                  " GRANT CREATE ON DATABASE postgres TO pgdrill;"
                  " GRANT EXECUTE ON FUNCTION pg_catalog.pg_switch_wal() TO pgdrill;"
                  % SOURCE_PASSWORD)
        self.write_pgpass()
        self.psql("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL,"
                  " amount numeric(12,2), created timestamptz DEFAULT now());"
                  " CREATE INDEX ON orders (customer);"
                  " INSERT INTO orders (id, customer, amount)"
                  " SELECT g, 'c' || (g % 97), g * 1.5 FROM generate_series(1, 5000) g;"
                  " CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 1000;")

    def write_pgpass(self):
        self.write("pgpass", "127.0.0.1:*:*:pgdrill:%s\n" % SOURCE_PASSWORD)

    def backup(self, kind="full", settle=True):
        self.pgbackrest("--type=" + kind, "backup", timeout=300)
        # pgBackRest stop times are whole seconds and must be strictly before a drill's target.
        if settle:
            time.sleep(1.1)

    def scheduler_marker(self, test_id, target_before_marker=False, target_after_fence=False):
        """Do what a scheduler does before it calls bootstrap with --test-id/--target-time:
        marker, target time, fence, WAL switched and archived. Returns the target time.
        A wrong scheduler reads the target before the marker's commit, or after the fence's."""
        self.psql("CREATE SCHEMA IF NOT EXISTS _pgdrill; CREATE TABLE IF NOT EXISTS"
                  " _pgdrill.marker (test_id text, kind text, scope text,"
                  " created_at timestamptz DEFAULT clock_timestamp(), PRIMARY KEY (test_id, kind))")
        now = ("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
               " || '+00'")
        insert = "INSERT INTO _pgdrill.marker (test_id, kind, scope) VALUES ('%s', '%s', 'orders')"
        target = self.psql(now) if target_before_marker else None
        time.sleep(0.01)
        self.psql(insert % (test_id, "marker"))
        target = target or self.psql(now)
        time.sleep(0.01)
        self.psql(insert % (test_id, "fence"))
        if target_after_fence:
            time.sleep(0.01)
            target = self.psql(now)
            time.sleep(0.01)
            self.psql("INSERT INTO orders (id, customer) VALUES (-1, 'commit after the target')")
        self.switch_wal_and_wait()
        return target

    def switch_wal_and_wait(self):
        seg = self.psql("SELECT pg_walfile_name(pg_switch_wal())")
        self.wait_for("archiving of %s" % seg,
                      lambda: self.psql("SELECT last_archived_wal FROM pg_stat_archiver") >= seg,
                      60, "source.log")
        return seg

    # -------------------------------------------------------------- pgdrill
    def install_pgdrill(self):
        """Copy the built binaries where the postgres user can run them (self.bindir)."""
        build = os.environ.get("PGDRILL_BUILD_DIR", os.path.join(REPO, "build"))
        bindir = self.mkdir("bin", mode=0o755)
        for name, sub in (("pgdrill-bootstrap", "bootstrap"), ("pgdrill-verify", "verify")):
            src = os.path.join(build, sub, name)
            if not os.path.exists(src):
                raise StackError("%s is not built (PGDRILL_BUILD_DIR=%s)" % (src, build))
            shutil.copy2(src, os.path.join(bindir, name))
        return bindir

    def use_installed_pgdrill(self, bindir="/usr/bin"):
        """Run the pgdrill binaries a package installed in bindir instead of the build's."""
        for name in ("pgdrill-bootstrap", "pgdrill-verify"):
            if not os.access(os.path.join(bindir, name), os.X_OK):
                raise StackError("%s is not installed in %s" % (name, bindir))
        self.bindir = bindir
        return bindir

    def pgdrill_config(self, name="pgdrill.yml", edit=None):
        """patroni-examples/pgdrill.yml with only ports and paths replaced (edit may change more)."""
        text = open(os.path.join(REPO, "patroni-examples", "pgdrill.yml")).read()
        self.mkdir("state")
        text = (text.replace("/var/lib/pgdrill", self.path("state"))
                .replace("host=orders-primary port=5432", "host=127.0.0.1 port=%d" % self.pg_port)
                .replace("/etc/pgbackrest/pgbackrest.conf", self.pgbackrest_conf)
                .replace("/etc/pgdrill/source.pgpass", self.path("pgpass")))
        if edit:
            text = edit(text)
        return self.write(name, text, mode=0o644)

    def drill_env(self, **extra):
        env = dict(self.env)
        env.update(extra)
        return env

    def bootstrap(self, config, datadir, *args, env=None, timeout=300):
        p = subprocess.run(as_user([os.path.join(self.bindir, "pgdrill-bootstrap"),
                                    "--config=" + config, "--scope=orders-drill",
                                    "--datadir=" + datadir] + list(args)),
                           capture_output=True, text=True, timeout=timeout,
                           env=env or self.drill_env())
        sys.stderr.write(p.stderr[-20000:])
        return p

    def verify(self, config, conninfo, env=None, timeout=300):
        p = subprocess.run(as_user([os.path.join(self.bindir, "pgdrill-verify"),
                                    "--config=" + config, conninfo]),
                           capture_output=True, text=True, timeout=timeout,
                           env=env or self.drill_env())
        sys.stderr.write(p.stderr[-20000:])
        return p

    def report(self):
        with open(self.path("state", "report.json")) as f:
            return json.load(f)

    def start_restored(self, datadir, extra=""):
        """Start a restored data directory on a free port and unix socket, as Patroni would."""
        port = free_port()
        self.start_postgres(datadir, os.path.basename(datadir) + ".log",
                            "-c port=%d -c listen_addresses='' -c unix_socket_directories=%s %s"
                            % (port, self.socket_dir, extra))
        return port

    # ------------------------------------------------------- etcd, Patroni
    def start_etcd(self):
        self.etcd_port = free_port()
        peer = free_port()
        self.start_daemon("etcd", [
            "etcd", "--name", "pgdrill-test", "--data-dir", self.mkdir("etcd"),
            "--listen-client-urls", "http://127.0.0.1:%d" % self.etcd_port,
            "--advertise-client-urls", "http://127.0.0.1:%d" % self.etcd_port,
            "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-cluster", "pgdrill-test=http://127.0.0.1:%d" % peer,
            "--enable-v2=true"], "etcd.log")
        self.wait_for_log("etcd.log", r"ready to serve client requests", 30)

    def start_patroni(self, yml_text, env=None):
        path = self.write("patroni.yml", yml_text, mode=0o600)
        self.patroni = self.start_daemon("patroni", ["patroni", path], "patroni.log", env=env)
        return self.patroni


# ------------------------------------------------------------------ scenarios
SCENARIOS = {}


def scenario(fn):
    """Register a test scenario; ctest runs each one as its own test (run.py NAME)."""
    SCENARIOS[fn.__name__] = fn
    return fn


def expect(condition, message, *context):
    if not condition:
        raise AssertionError(message + "".join("\n--- " + str(c) for c in context))


def expect_equal(actual, expected, what):
    expect(actual == expected, "%s: expected %r, got %r" % (what, expected, actual))


def expect_outcome(p, report, code, error_class):
    """A binary's exit code and the report's error.class (None: no error)."""
    expect_equal(p.returncode, code, "exit code")
    if error_class is None:
        expect(report["error"] is None, "no error expected", report["error"])
    else:
        expect(report["error"] is not None, "an error was expected", p.stderr[-3000:])
        expect_equal(report["error"]["class"], error_class, "error.class")


def processes_mentioning(text):
    """PIDs of live processes whose command line contains text (orphan detection)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/stat" % entry) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z" and int(entry) != os.getpid():
            pids.append(int(entry))
    return pids
