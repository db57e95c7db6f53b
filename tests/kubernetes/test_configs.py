#!/usr/bin/python3
"""The configuration files the drill's ConfigMap carries, loaded by the programs that will
read them in the pod:
- pgdrill.yml: `pgdrill-bootstrap --check-config` and `pgdrill-verify --check-config`;
- patroni.yml: `patroni --validate-config` with the pod's environment, the bootstrap method,
  post_bootstrap and archive_mode off, a one-node raft DCS inside the pod and no other,
  and no other difference from patroni-examples/patroni.yml (which the integration tests
  run) than the DCS, the addresses and the passwords;
- pgbackrest.conf: every option known to pgBackRest, no secret in it;
and the paths in them are where the pod mounts things (pgBackRest's configuration where
the init container assembles it).

Usage: test_configs.py PGDRILL_BOOTSTRAP PGDRILL_VERIFY
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

from manifests import (CONFIGMAP, REPO, check, configmap_file, env, finish, main_container, mount_of,
                       mounted_file, pod_templates, volume)

TIMEOUT = 60  # each child process
# Patroni 3.0.2's validator demands these even for a custom bootstrap method and without
# pg_rewind (Patroni 3.0.4 made them optional); Patroni itself runs without them. A port
# in use says something about this machine, not about the pod.
PATRONI_VALIDATOR_NOISE = [
    r"bootstrap\.pg_hba +is not defined\.",
    r"bootstrap\.initdb +is not defined\.",
    r"postgresql\.authentication\.rewind +is not defined\.",
    r".* didn't pass validation: 'Port \d+ is already in use\.'",
]
# What the pod's environment would hold for the downward API.
FIELDS = {
    "metadata.name": "pgdrill-orders-29430000-x7k2p",
    "metadata.namespace": "pgdrill",
    "status.podIP": "10.244.1.17",
    "metadata.labels['batch.kubernetes.io/controller-uid']": "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0",
}


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, **kwargs)


def pod_environment(container):
    """The container's environment as Kubernetes would build it (fieldRefs faked)."""
    values = {}
    for name, var in env(container).items():
        if "value" in var:
            values[name] = re.sub(r"\$\((\w+)\)", lambda m: values.get(m.group(1), m.group(0)),
                                  var["value"])
        elif "fieldRef" in var["valueFrom"]:
            path = var["valueFrom"]["fieldRef"]["fieldPath"]
            if check(path in FIELDS, "env %s: fieldRef %s is not one the test knows" % (name, path)):
                values[name] = FIELDS[path]
        else:
            values[name] = "from-a-secret"
    return values


def check_pgdrill(binaries, path):
    for binary in binaries:
        p = run([binary, "--check-config", "--config=" + path])
        check(p.returncode == 0, "%s --check-config refused the ConfigMap's pgdrill.yml (exit %d): %s"
              % (os.path.basename(binary), p.returncode, (p.stdout + p.stderr).strip()))


def flatten(tree, prefix=""):
    """{"a.b.c": leaf} of a nested mapping."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, "%s%s." % (prefix, key)))
        else:
            flat[prefix + str(key)] = value
    return flat


# Patroni 3.0.2's other DCS (patroni/dcs/): the drill uses raft.
OTHER_DCS = ("consul", "etcd", "etcd3", "exhibitor", "kubernetes", "zookeeper")
# Where the ConfigMap's patroni.yml may differ from the example the integration tests run.
PATRONI_DIFFERENCES = ("scope", "name", "etcd3.", "raft.", "restapi.", "postgresql.listen",
                       "postgresql.connect_address", "postgresql.authentication.superuser.password",
                       "postgresql.authentication.replication.password")


def check_patroni(patroni, text, template, container):
    config = yaml.safe_load(text)
    bootstrap = config.get("bootstrap", {})
    mounted_config = env(container)["PGDRILL_CONFIG"]["value"]
    check(bootstrap.get("method") == "pgdrill", "patroni.yml: bootstrap.method is not pgdrill")
    command = bootstrap.get("pgdrill", {}).get("command", "")
    check(command == "/usr/bin/pgdrill-bootstrap --config=" + mounted_config,
          "patroni.yml: bootstrap.pgdrill.command %r does not run pgdrill-bootstrap with %s"
          % (command, mounted_config))
    check(bootstrap.get("post_bootstrap") == "/usr/bin/pgdrill-verify --config=" + mounted_config,
          "patroni.yml: post_bootstrap does not run pgdrill-verify with " + mounted_config)
    for where, params in (("bootstrap.dcs.postgresql.parameters",
                           bootstrap.get("dcs", {}).get("postgresql", {}).get("parameters", {})),
                          ("postgresql.parameters", config.get("postgresql", {}).get("parameters", {}))):
        # the string 'off': an unquoted off is YAML's false
        check(params.get("archive_mode") == "off", "patroni.yml: %s.archive_mode is %r, not 'off'"
              % (where, params.get("archive_mode")))
    # The DCS: raft, one node, inside the pod (docs/design.md F34); no other DCS, in the file
    # or the environment, that Patroni could pick instead, and none that needs the API.
    others = [key for key in config if key in OTHER_DCS] + [
        name for name in env(container) if name.startswith(tuple("PATRONI_%s_" % d.upper()
                                                                  for d in OTHER_DCS))]
    check(not others, "patroni.yml: another DCS than raft: %s" % ", ".join(others))
    raft = config.get("raft", {})
    check(raft.get("partner_addrs") == [], "patroni.yml: raft.partner_addrs must be [] (one node "
          "in the pod), is %r" % raft.get("partner_addrs"))
    check(str(raft.get("bind_addr", "")).startswith("127.0.0.1:"), "patroni.yml: raft.bind_addr "
          "must be on 127.0.0.1 (without it pysyncobj listens on every interface), is %r"
          % raft.get("bind_addr"))
    postgresql = config.get("postgresql", {})
    raft_dir = mount_of(container, raft.get("data_dir", "/"))
    check(raft_dir is not None and not raft_dir.get("readOnly") and raft_dir["mountPath"] != "/"
          and "emptyDir" in volume(template["spec"], raft_dir["name"]),
          "patroni.yml: raft.data_dir is not on a writable emptyDir (the DCS must go with the pod)")
    for key in ("data_dir", "pgpass"):
        mount = mount_of(container, postgresql.get(key, ""))
        check(mount is not None and not mount.get("readOnly"),
              "patroni.yml: postgresql.%s is not on a writable volume" % key)
    sockets = postgresql.get("parameters", {}).get("unix_socket_directories", "")
    check(mount_of(container, sockets) is not None, "unix_socket_directories %s is not a volume" % sockets)
    for user in ("superuser", "replication"):
        check("password" not in postgresql.get("authentication", {}).get(user, {}),
              "patroni.yml: a %s password in a ConfigMap" % user)
    # the same as the example the integration tests run, but for the DCS and the addresses
    with open(os.path.join(REPO, "patroni-examples", "patroni.yml")) as f:
        example = flatten(yaml.safe_load(f))
    ours = flatten(config)
    for key in sorted(set(example) | set(ours)):
        if not key.startswith(PATRONI_DIFFERENCES):
            check(example.get(key) == ours.get(key), "patroni.yml: %s is %r, in "
                  "patroni-examples/patroni.yml %r" % (key, ours.get(key), example.get(key)))
    # Patroni's own validator, with the pod's environment
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "patroni.yml")
        with open(path, "w") as f:
            f.write(text)
        environment = {k: v for k, v in pod_environment(container).items() if k.startswith("PATRONI_")}
        environment["PATH"] = "/usr/bin:/bin"
        p = run([patroni, "--validate-config", path], env=environment, cwd=tmp)
        problems = [line for line in (p.stdout + p.stderr).splitlines() if line.strip() and not any(
            re.fullmatch(noise, line.strip()) for noise in PATRONI_VALIDATOR_NOISE)]
        check(not problems, "patroni --validate-config: %s" % "; ".join(problems))


SECRET_OPTIONS = re.compile(r"repo\d+-(s3-key|s3-key-secret|s3-token|cipher-pass|azure-key|"
                            r"gcs-key|sftp-private-key-passphrase)$")


def check_pgbackrest(text):
    options = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            options.append(line.split("=", 1)[0].strip())
    check(options, "pgbackrest.conf sets nothing")
    for option in options:
        check(not SECRET_OPTIONS.match(option), "pgbackrest.conf: %s is a secret, it belongs in a "
              "Secret" % option)
        p = run(["pgbackrest", "help", "restore", option])
        check(p.returncode == 0, "pgbackrest.conf: %s is not an option of pgbackrest restore: %s"
              % (option, (p.stdout + p.stderr).strip()))


def check_paths(config, pod, container):
    """Every file pgdrill.yml names is where the pod puts it."""
    state = mount_of(container, config["state_dir"])
    check(state is not None and not state.get("readOnly"), "state_dir is not a writable volume")
    # The kubelet makes an emptyDir 0777 (2777 with fsGroup) and root's, and pgdrill refuses a
    # state_dir others can write to: state_dir is a directory in the volume, which pgdrill
    # creates 0700.
    check(state is None or config["state_dir"].rstrip("/") != state["mountPath"].rstrip("/"),
          "state_dir is the volume's mount point, which pgdrill would refuse (mode 0777)")
    check(config["report"]["file"].startswith(config["state_dir"] + "/"), "report.file is not in state_dir")
    wanted = [env(container)["PGDRILL_CONFIG"]["value"], env(container)["PGDRILL_PATRONI_CONFIG"]["value"]]
    for path in wanted:
        check(mounted_file(pod, container, path) is not None, "%s is not mounted from the ConfigMap" % path)
    # pgBackRest's configuration: the init container writes the ConfigMap's with the keys
    # into the directory it shares with the drill (its last two arguments)
    init = pod["initContainers"][0]
    source, target = (init["command"] + init.get("args", []))[-2:]
    found = mounted_file(pod, init, source)
    check(found is not None and found[0].get("configMap", {}).get("name") == CONFIGMAP
          and found[1] == "pgbackrest.conf",
          "the init container does not read the ConfigMap's pgbackrest.conf at %s" % source)
    shared = mount_of(container, target)
    check(config["pgbackrest"]["config"] == target + "/pgbackrest.conf" and shared is not None
          and shared["mountPath"] == target, "pgbackrest.config %s is not the pgbackrest.conf the init "
          "container writes into %s" % (config["pgbackrest"]["config"], target))
    secrets = [re.search(r"passfile=(\S+)", config["source"]["dsn"]).group(1)]
    if config["report"].get("history_dsn"):
        secrets.append(re.search(r"passfile=(\S+)", config["report"]["history_dsn"]).group(1))
    if config["report"].get("webhook", {}).get("token_file"):
        secrets.append(config["report"]["webhook"]["token_file"])
    copied = {}
    for init in pod.get("initContainers", []):
        volumes = {v["name"]: v for v in pod["volumes"]}
        for mount in init.get("volumeMounts", []):
            secret = volumes[mount["name"]].get("secret")
            if secret:
                copied.update({item["path"]: item["key"] for item in secret.get("items", [])})
    for path in secrets:
        mount = mount_of(container, path)
        check(mount is not None and os.path.basename(path) in copied,
              "%s is not one of the Secret's files copied into the pod" % path)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    patroni = "/usr/bin/patroni"
    check(os.path.exists(patroni), "Patroni is not installed (scripts/install-deps.sh)")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pgdrill.yml")
        with open(path, "w") as f:
            f.write(configmap_file("pgdrill.yml"))
        check_pgdrill(sys.argv[1:3], path)
    config = yaml.safe_load(configmap_file("pgdrill.yml"))
    for what, template in pod_templates():
        container = main_container(template["spec"])
        check_paths(config, template["spec"], container)
        check_patroni(patroni, configmap_file("patroni.yml"), template, container)
    check_pgbackrest(configmap_file("pgbackrest.conf"))
    finish("the ConfigMap's configuration files")


if __name__ == "__main__":
    main()
