#!/usr/bin/python3
"""The drill pod's security: a non-root user, no privilege, a read-only root file system
with a volume for every path that is written, secrets only as files of mode 0600 owned by
the drill's user and none in any container's environment, no Kubernetes API rights and no
service account token, no inbound traffic, outbound traffic only to the destinations the
ConfigMap names.

The init container's command is run here for real, on directories laid out as the kubelet
lays out Secret and ConfigMap volumes (files behind ..data symlinks), and pgBackRest reads
the configuration it assembles.
"""
import ipaddress
import json
import os
import re
import stat
import subprocess
import tempfile
import urllib.parse

import yaml

from manifests import (check, configmap_file, containers, documents, env, finish, find, main_container,
                       mount_of, pod_templates)

UID = GID = 999  # postgres in the image
# Every path the drill writes, and that must therefore be a writable volume (raft's journal
# is in the data volume, configmap.yaml).
WRITTEN = ["/var/lib/pgdrill", "/var/lib/postgresql/drill/data", "/var/lib/postgresql/drill/raft",
           "/var/run/postgresql", "/tmp"]
# Kinds that would give the drill's identity rights: Patroni's DCS is raft inside the pod.
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
# The repository's keys, as the Secret pgdrill-orders-repository holds them (README).
# The init containers whose command has been run (the CronJob's and the Job's are alike).
COPIES_RUN = set()
REPOSITORY_KEYS = {"s3-key": "AKIAEXAMPLEKEY\n", "s3-key-secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEX\n"}


def check_pod(what, pod):
    ctx = pod.get("securityContext", {})
    for key, value in (("runAsNonRoot", True), ("runAsUser", UID), ("runAsGroup", GID), ("fsGroup", GID)):
        check(ctx.get(key) == value, "%s: pod securityContext.%s is %r, not %r" % (what, key, ctx.get(key), value))
    check(ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          "%s: no RuntimeDefault seccomp profile (the restricted Pod Security Standard)" % what)
    for kind, c in containers(pod):
        sc = c.get("securityContext", {})
        name = "%s: %s %s" % (what, kind, c["name"])
        check(sc.get("allowPrivilegeEscalation") is False, name + ": allowPrivilegeEscalation is not false")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], name + ": does not drop ALL capabilities")
        check(not sc.get("capabilities", {}).get("add"), name + ": adds capabilities")
        check(sc.get("readOnlyRootFilesystem") is True, name + ": the root file system is writable")
        check(sc.get("runAsNonRoot", True) is True and sc.get("runAsUser", UID) == UID
              and not sc.get("privileged"), name + ": runs as another user or privileged")
        check("resources" in c and "limits" in c["resources"] and "requests" in c["resources"],
              name + ": no resource requests and limits")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    check(not any("hostPath" in v for v in volumes.values()), what + ": a hostPath volume")
    main = main_container(pod)
    for path in WRITTEN:
        mount = mount_of(main, path)
        check(mount is not None and not mount.get("readOnly") and "emptyDir" in volumes.get(mount["name"], {}),
              "%s: %s is written but not on a writable emptyDir" % (what, path))
    for name, volume in volumes.items():
        secret = volume.get("secret")
        if secret is None:
            continue
        modes = [secret.get("defaultMode", 0o644)] + [i.get("mode", secret.get("defaultMode", 0o644))
                                                     for i in secret.get("items", [])]
        check(all(m & 0o177 == 0 for m in modes), "%s: Secret volume %s has a mode above 0600: %s"
              % (what, name, ", ".join(oct(m) for m in modes)))
        for kind, c in containers(pod):
            for mount in c.get("volumeMounts", []):
                if mount["name"] == name:
                    # only the copy reads the Secret itself: the kubelet makes its files 0440
                    check(kind == "init container" and mount.get("readOnly") is True,
                          "%s: Secret volume %s is mounted in the %s %s%s" % (
                              what, name, kind, c["name"], "" if mount.get("readOnly") else " writable"))
    secrets = mount_of(main, "/etc/pgdrill/secrets")
    check(secrets is not None and secrets.get("readOnly") is True
          and volumes.get(secrets["name"], {}).get("emptyDir", {}).get("medium") == "Memory",
          what + ": /etc/pgdrill/secrets is not a read-only mount of an in-memory emptyDir")
    # No secret in any environment: Patroni hands its environment to PostgreSQL, so every
    # backend and every program a backend starts would inherit it (README).
    for kind, c in containers(pod):
        name = "%s: %s %s" % (what, kind, c["name"])
        check(not c.get("envFrom"), name + ": envFrom puts a whole ConfigMap or Secret in the environment")
        for var in env(c).values():
            check("secretKeyRef" not in var.get("valueFrom", {}),
                  "%s: %s comes from a Secret into the environment" % (name, var["name"]))
            check(not var["name"].startswith("PGBACKREST_")
                  and not any(word in var["name"] for word in ("KEY", "PASS", "TOKEN", "SECRET")),
                  "%s: %s in the environment" % (name, var["name"]))


def kubelet_volume(root, files, mode):
    """A directory laid out as the kubelet lays out a Secret or ConfigMap volume."""
    data = os.path.join(root, "..2026_11_25_03_17_00.123")
    os.makedirs(data)
    os.symlink(os.path.basename(data), os.path.join(root, "..data"))
    for name, text in files.items():
        with open(os.path.join(data, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(data, name), mode)
        os.symlink(os.path.join("..data", name), os.path.join(root, name))
    return root


def run_init(argv, tmp, secret_files, repository_keys):
    """The init container's command on volumes laid out as in the pod; (process, target)."""
    conf = os.path.join(kubelet_volume(os.path.join(tmp, "pgbackrest"),
                                       {"pgbackrest.conf": configmap_file("pgbackrest.conf")}, 0o644),
                        "pgbackrest.conf")
    target = os.path.join(tmp, "secrets")
    os.mkdir(target)
    os.chmod(target, 0o2777)  # an emptyDir with fsGroup
    p = subprocess.run(argv[:-4] + [kubelet_volume(os.path.join(tmp, "secret"), secret_files, 0o440),
                                    kubelet_volume(os.path.join(tmp, "repository"), repository_keys, 0o440),
                                    conf, target],
                       capture_output=True, text=True, timeout=30, preexec_fn=lambda: os.umask(0o022))
    return p, target


def check_copy(what, pod):
    """Run the init container's command: the Secret's files copied, pgbackrest.conf assembled
    with the repository's keys, all of mode 0600; a key of two lines refused unprinted."""
    init = pod["initContainers"][0]
    argv = init["command"] + init.get("args", [])
    key = json.dumps([init, pod.get("volumes")], sort_keys=True)
    if key in COPIES_RUN:
        return  # the CronJob's and the Job's are the same (test_job.py): run it once
    COPIES_RUN.add(key)
    mounts = [mount_of(init, path) for path in ("/run/pgdrill/secret-files", "/run/pgdrill/repository",
                                                "/run/pgdrill/pgbackrest", "/etc/pgdrill/secrets")]
    check(None not in mounts and argv[-4:] == [mounts[0]["mountPath"], mounts[1]["mountPath"],
                                               mounts[2]["mountPath"] + "/pgbackrest.conf", mounts[3]["mountPath"]],
          "%s: the init container's arguments are not its Secret, repository, pgbackrest.conf and "
          "target mounts: %s" % (what, argv[-4:]))
    files = {"source.pgpass": "orders-primary:5432:*:pgdrill:s3cret\n", "webhook.token": "tok\n"}
    with tempfile.TemporaryDirectory() as tmp:
        p, dst = run_init(argv, tmp, files, REPOSITORY_KEYS)
        check(p.returncode == 0, "%s: the init container's command failed: %s" % (what, p.stderr))
        wanted = dict(files)
        wanted["pgbackrest.conf"] = configmap_file("pgbackrest.conf") + "\n[global]\n" + "".join(
            "repo1-%s=%s" % kv for kv in sorted(REPOSITORY_KEYS.items()))
        check(sorted(os.listdir(dst)) == sorted(wanted), "%s: the init container wrote %s" % (what, os.listdir(dst)))
        for name, text in wanted.items():
            path = os.path.join(dst, name)
            if os.path.exists(path):
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                check(stat.S_ISREG(os.lstat(path).st_mode) and mode == 0o600,
                      "%s: %s written with mode %o, not 0600" % (what, name, mode))
                check(open(path).read() == text, "%s: %s written wrong:\n%s" % (what, name, open(path).read()))
        # pgBackRest takes the keys from that file (the [global] section given twice is one)
        conf = os.path.join(dst, "pgbackrest.conf")
        for option in ("repo1-s3-key", "repo1-s3-key-secret", "repo1-s3-bucket"):
            h = subprocess.run(["pgbackrest", "--config=" + conf, "--stanza=orders", "help", "restore", option],
                               capture_output=True, text=True, timeout=30)
            check(h.returncode == 0 and re.search(r"(?m)^current: ", h.stdout),
                  "%s: pgBackRest does not read %s from the assembled pgbackrest.conf: %s"
                  % (what, option, (h.stdout + h.stderr).strip()[-300:]))
    for keys, why in (({"s3-key": "AKIA\nrepo1-path=/elsewhere\n"}, "a key of two lines"),
                      ({"s3-key": "AKIA\r\n"}, "a key with a carriage return"),
                      ({"s3-key": "\n"}, "an empty key"),
                      ({"S3_KEY": "AKIA\n"}, "a key that names no option")):
        with tempfile.TemporaryDirectory() as tmp:
            p, _ = run_init(argv, tmp, files, keys)
            check(p.returncode != 0, "%s: the init container's command accepted %s" % (what, why))
            check("AKIA" not in p.stdout + p.stderr, "%s: the init container printed %s" % (what, why))


def check_identity(template):
    """No rights and no token: nothing in the pod talks to the Kubernetes API."""
    pod = template["spec"]
    rbac = [(doc["kind"], doc["metadata"].get("name")) for _, doc in documents() if doc.get("kind") in RBAC_KINDS]
    check(not rbac, "RBAC objects give the drill's identity rights it does not need: %s" % rbac)
    check(pod.get("automountServiceAccountToken") is False, "the pod mounts a service account token")
    accounts = {sa["metadata"]["name"]: sa for sa in find("ServiceAccount")}
    account = accounts.get(pod.get("serviceAccountName"))
    check(account is not None, "the pod's service account %s is not one of the manifests' (the "
          "namespace's default may have been given rights)" % pod.get("serviceAccountName"))
    check(account is None or account.get("automountServiceAccountToken") is False,
          "ServiceAccount %s: automountServiceAccountToken is not false" % pod.get("serviceAccountName"))
    projected = [v["name"] for v in pod.get("volumes", []) for source in v.get("projected", {}).get("sources", [])
                 if "serviceAccountToken" in source]
    check(not projected, "a projected service account token: %s" % projected)


def selects(policy, labels):
    """Whether a NetworkPolicy applies to a pod with these labels (a matchExpressions
    selector counts as applying: checked rather than trusted)."""
    selector = policy["spec"].get("podSelector", {})
    return bool(selector.get("matchExpressions")) or all(
        labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def policies(template, kind):
    labels = template["metadata"].get("labels", {})
    return [p for p in find("NetworkPolicy") if selects(p, labels) and kind in p["spec"].get("policyTypes", [])]


def check_ingress(template):
    closed = policies(template, "Ingress")
    check(closed, "no NetworkPolicy closes the drill pod to inbound traffic")
    for p in closed:
        check(not p["spec"].get("ingress"), "NetworkPolicy %s lets inbound traffic reach the drill pod"
              % p["metadata"]["name"])


def port_of_dsn(dsn):
    m = re.search(r"(?:^|\s)port=(\d+)", dsn)
    return int(m.group(1)) if m else 5432


def destinations():
    """{what: TCP port} of everything the ConfigMap makes the drill reach besides DNS."""
    config = yaml.safe_load(configmap_file("pgdrill.yml"))
    report = config.get("report") or {}
    found = {"source.dsn": port_of_dsn(config["source"]["dsn"])}
    if report.get("history_dsn"):
        found["report.history_dsn"] = port_of_dsn(report["history_dsn"])
    url = (report.get("webhook") or {}).get("url")
    if url:
        parsed = urllib.parse.urlsplit(url)
        found["report.webhook.url"] = parsed.port or {"https": 443, "http": 80}[parsed.scheme]
    options = dict(line.split("=", 1) for line in configmap_file("pgbackrest.conf").splitlines()
                   if "=" in line and not line.startswith("#"))
    if options.get("repo1-type") in ("s3", "gcs", "azure"):
        found["the repository"] = int(options.get("repo1-storage-port", 443))
    return found


def too_wide(peer):
    """Why a NetworkPolicy peer reaches more than one destination, or None."""
    if "ipBlock" in peer:
        net = ipaddress.ip_network(peer["ipBlock"]["cidr"], strict=False)
        return "ipBlock %s" % net if net.prefixlen < 8 else None
    for key in ("namespaceSelector", "podSelector"):
        if key in peer and not (peer[key].get("matchLabels") or peer[key].get("matchExpressions")):
            return "an empty %s (all namespaces or all pods)" % key
    return None if peer else "an empty peer"


def check_egress(template):
    """Outbound traffic: DNS to kube-dns, then one rule with one TCP port per destination of
    the ConfigMap; nothing open to everything, no rule without ports."""
    egress = policies(template, "Egress")
    check(egress, "no NetworkPolicy restricts the drill pod's outbound traffic (policyTypes Egress)")
    ports, dns = [], []
    for policy in egress:
        name = "NetworkPolicy %s" % policy["metadata"]["name"]
        for rule in policy["spec"].get("egress", []):
            peers, rule_ports = rule.get("to", []), rule.get("ports", [])
            check(peers, "%s: a rule to every destination" % name)
            check(rule_ports and all("port" in p and "endPort" not in p for p in rule_ports),
                  "%s: a rule to all ports or a port range" % name)
            for peer in peers:
                wide = too_wide(peer)
                check(wide is None, "%s: %s" % (name, wide))
            given = sorted((p.get("protocol", "TCP"), p.get("port")) for p in rule_ports)
            if any(port == 53 for _, port in given):
                dns.append(rule)
                check(given == [("TCP", 53), ("UDP", 53)], "%s: DNS is UDP and TCP 53, not %s" % (name, given))
                for peer in peers:
                    check(peer.get("namespaceSelector", {}).get("matchLabels")
                          == {"kubernetes.io/metadata.name": "kube-system"} and peer.get("podSelector"),
                          "%s: DNS to something other than the cluster's resolver in kube-system: %s"
                          % (name, peer))
            else:
                check(len(given) == 1 and given[0][0] == "TCP",
                      "%s: a rule for more than one TCP port: %s" % (name, given))
                ports.extend(port for _, port in given)
    check(len(dns) == 1, "%d DNS rules, not one" % len(dns))
    wanted = destinations()
    check(sorted(ports) == sorted(wanted.values()), "outbound rules for TCP ports %s; the ConfigMap's "
          "destinations need %s" % (sorted(ports), ", ".join("%s %d" % kv for kv in sorted(wanted.items()))))


def main():
    for what, template in pod_templates():
        check_pod(what, template["spec"])
        check_copy(what, template["spec"])
        check_identity(template)
        check_ingress(template)
        check_egress(template)
    for ns in find("Namespace"):
        check(ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") == "restricted",
              "namespace %s does not enforce the restricted Pod Security Standard" % ns["metadata"]["name"])
    finish("the drill pod's security")


if __name__ == "__main__":
    main()
