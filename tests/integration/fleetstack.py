"""What the fleet scenarios (test_fleet.py) add to the drill stack: Patroni-managed source
clusters in etcd, each archiving into its own stanza of the stack's S3 repository, the
status history in the stack's own PostgreSQL, pgdrill-fleet and its launcher."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from drillstack import (IS_ROOT, PG_BIN, REPO, SOURCE_PASSWORD, Stack, StackError,
                        _raise_on_signal, as_user, expect, free_port, processes_mentioning, run)

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fleet_launcher.py")


def source_patroni_yml(s, scope, pg_port, rest_port):
    """A one-node production cluster as Patroni 3.0.2 runs it: etcd3, archiving into the
    stanza named like the scope."""
    d = s.mkdir("src-" + scope)
    return "\n".join([
        "scope: %s" % scope,
        "namespace: /service/",
        "name: %s-0" % scope,
        "restapi:",
        "  listen: 127.0.0.1:%d" % rest_port,
        "  connect_address: 127.0.0.1:%d" % rest_port,
        "etcd3:",
        "  hosts: 127.0.0.1:%d" % s.etcd_port,
        "bootstrap:",
        "  dcs: {ttl: 30, loop_wait: 2}",
        "  initdb: [data-checksums, {auth-local: trust}, {auth-host: scram-sha-256}]",
        "postgresql:",
        "  listen: 127.0.0.1:%d" % pg_port,
        "  connect_address: 127.0.0.1:%d" % pg_port,
        "  data_dir: %s" % os.path.join(d, "data"),
        "  bin_dir: %s" % PG_BIN,
        "  pgpass: %s" % os.path.join(d, "pgpass"),
        "  authentication:",
        "    superuser: {username: postgres, password: src-superuser}",
        "    replication: {username: replicator, password: src-replicator}",
        "  parameters:",
        "    unix_socket_directories: %s" % s.socket_dir,
        "    wal_level: replica",
        "    archive_mode: 'on'",
        "    archive_command: 'pgbackrest --config=%s --stanza=%s archive-push %%p'"
        % (s.pgbackrest_conf, scope),
        "    fsync: 'off'",
        "  pg_hba:",
        "    - local all all trust",
        "    - host all all 127.0.0.1/32 scram-sha-256",
        "    - host replication replicator 127.0.0.1/32 scram-sha-256",
        "",
    ])


def start_source_clusters(s, scopes, backup=True):
    """Patroni-managed source clusters, started side by side: leader in etcd, the pgdrill
    role, each its stanza and a full backup (taken at the same time: the S3 server, not the
    CPU, is what a backup waits for). Returns {scope: PostgreSQL port}."""
    ports = {}
    for scope in scopes:
        pg_port, rest_port = free_port(), free_port()
        path = s.write("src-%s.yml" % scope, source_patroni_yml(s, scope, pg_port, rest_port))
        s.postgres_dirs.append(s.path("src-" + scope, "data"))
        s.start_daemon("patroni", ["patroni", path], "src-%s.log" % scope)
        ports[scope] = pg_port
    for scope, pg_port in ports.items():
        s.wait_for("%s's leader to accept connections" % scope,
                   lambda: s.psql("SELECT NOT pg_is_in_recovery()", port=pg_port,
                                  check=False) == "t",
                   90, "src-%s.log" % scope)
        s.psql("CREATE ROLE pgdrill LOGIN PASSWORD '%s'; GRANT CREATE ON DATABASE postgres TO"
               " pgdrill; GRANT EXECUTE ON FUNCTION pg_catalog.pg_switch_wal() TO pgdrill;"
               " CREATE TABLE %s_orders (id int PRIMARY KEY);"
               " INSERT INTO %s_orders SELECT generate_series(1, 1000)"
               % (SOURCE_PASSWORD, scope, scope), port=pg_port)
    if not backup:
        return ports
    with open(s.pgbackrest_conf, "a") as f:
        for scope, pg_port in ports.items():
            f.write("\n[%s]\npg1-path=%s\npg1-port=%d\npg1-socket-path=%s\n"
                    % (scope, s.path("src-" + scope, "data"), pg_port, s.socket_dir))
    for scope in ports:
        run(["pgbackrest", "--config=" + s.pgbackrest_conf, "--stanza=" + scope, "stanza-create"],
            timeout=180, env=s.env)
    backups = [(scope, subprocess.Popen(as_user(["pgbackrest", "--config=" + s.pgbackrest_conf,
                                                  "--stanza=" + scope, "--type=full", "backup"]),
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         text=True, env=s.env))
               for scope in ports]
    for scope, proc in backups:
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise StackError("backup of %s failed:\n%s" % (scope, out[-3000:]))
    time.sleep(1.1)  # a backup's stop time is whole seconds, before the drill's target
    return ports


class HistoryStack(Stack):
    """Only a PostgreSQL for the status history (no repository, no backup): the fault
    scenarios launch no real drill."""

    def __enter__(self):
        self.previous_handlers = {sig: signal.signal(sig, _raise_on_signal)
                                  for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            self.mkdir("sock")
            datadir = self.path("history")
            run([PG_BIN + "/initdb", "-D", datadir, "-U", "postgres", "--auth-local=trust"],
                timeout=120, env=self.env)
            with open(os.path.join(datadir, "postgresql.conf"), "a") as f:
                f.write("port = %d\nlisten_addresses = ''\nunix_socket_directories = '%s'\n"
                        "fsync = off\n" % (self.pg_port, self.socket_dir))
            self.start_postgres(datadir, "history.log")
        except BaseException:
            self.failed = True
            self.stop()
            raise
        return self


def install_fleet(s):
    """pgdrill-fleet beside the drill's binaries (s.install_pgdrill first)."""
    build = os.environ.get("PGDRILL_BUILD_DIR", os.path.join(REPO, "build"))
    src = os.path.join(build, "fleet", "pgdrill-fleet")
    if not os.path.exists(src):
        raise StackError("%s is not built" % src)
    shutil.copy2(src, os.path.join(s.bindir, "pgdrill-fleet"))
    # the drills' processes are found by their directory if the test process is killed
    os.makedirs(s.path("drills"), exist_ok=True)
    s.own(s.path("drills"))
    s.record(0, "mentioning", s.path("drills") + "/")


def history_dsn(s):
    return "host=%s port=%d dbname=postgres user=postgres" % (s.socket_dir, s.pg_port)


def drill_config(s, max_concurrent=0):
    """One pgdrill.yml for every drill of the fleet: the example with its history (and the
    drills' own cap, bootstrap's admission), without a scope or report file of its own (the
    launcher's options give them per drill)."""
    def edit(text):
        lines = [line for line in text.splitlines()
                 if not line.startswith("scope:") and not line.strip().startswith("file:")]
        text = "\n".join(lines) + "\n"
        return text.replace("  rto_target: 0", "  rto_target: 0\n  history_dsn: \"%s\"\n"
                            "  max_concurrent: %d" % (history_dsn(s), max_concurrent))
    return s.pgdrill_config("fleet-pgdrill.yml", edit=edit)


def fleet_env(s, config):
    env = s.drill_env(FLEET_TEST_DIR=s.dir, FLEET_TEST_BINDIR=s.bindir,
                      FLEET_TEST_ETCD=str(s.etcd_port or ""), FLEET_TEST_CONFIG=config,
                      FLEET_TEST_SOCKET=s.socket_dir)
    return env


def write_fleet_yml(s, name, body):
    return s.write(name, body, mode=0o644)


def fleet(s, config, *args, env=None, timeout=120, check_rc=None):
    """pgdrill-fleet --config=CONFIG ARGS as the database user; returns the CompletedProcess."""
    p = subprocess.run(as_user([os.path.join(s.bindir, "pgdrill-fleet"), "--config=" + config]
                               + list(args)),
                       capture_output=True, text=True, timeout=timeout, env=env)
    sys.stderr.write(p.stderr[-6000:])
    if check_rc is not None:
        expect(p.returncode == check_rc, "pgdrill-fleet %s exited %d, expected %d"
               % (" ".join(args), p.returncode, check_rc), p.stdout[-3000:], p.stderr[-3000:])
    return p


def plan(s, config, env=None):
    """plan --json as {scope: row}."""
    p = fleet(s, config, "plan", "--json", env=env, check_rc=0)
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return {r["scope"]: r for r in rows}


def history(s, sql):
    return s.psql(sql)


def launches(s):
    """The launcher's calls: [(mode, arg, test_id)]."""
    try:
        with open(s.path("launches")) as f:
            return [tuple(line.split()) for line in f if line.strip()]
    except OSError:
        return []


def stop_drills(s):
    """Whatever the drills left running (a test that failed before its cleanup ran)."""
    for pid in processes_mentioning(s.path("drills") + "/"):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 20
    while processes_mentioning(s.path("drills") + "/") and time.monotonic() < deadline:
        time.sleep(0.2)
    drills = s.path("drills")
    for name in os.listdir(drills) if os.path.isdir(drills) else []:
        data = os.path.join(drills, name, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(as_user([PG_BIN + "/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                           capture_output=True, timeout=60)
    for pid in processes_mentioning(s.path("drills") + "/"):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


__all__ = ["HistoryStack", "IS_ROOT", "LAUNCHER", "drill_config", "fleet", "fleet_env", "history",
           "history_dsn", "install_fleet", "launches", "plan", "start_source_clusters",
           "stop_drills", "write_fleet_yml"]
