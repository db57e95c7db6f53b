#!/usr/bin/python3
"""The drill pod's security: a non-root user, no privilege, a read-only root file system
with a volume for every path that is written, secrets only as files of mode 0600 owned by
the drill's user, the least RBAC Patroni's DCS needs, no inbound traffic.

The init container's copy of the Secret's files is run here for real, on a directory laid
out as the kubelet lays out a Secret volume (files 0440 behind ..data symlinks).
"""
import os
import stat
import subprocess
import tempfile

from manifests import check, containers, env, finish, find, main_container, mount_of, pod_templates

UID = GID = 999  # postgres in the image
# Every path the drill writes, and that must therefore be a writable volume.
WRITTEN = ["/var/lib/pgdrill", "/var/lib/postgresql/drill/data", "/var/run/postgresql", "/tmp"]
# What Patroni 3.0.2's Kubernetes DCS does with use_endpoints: false (rbac.yaml).
RBAC = {"configmaps": {"get", "list", "watch", "create", "patch"}, "pods": {"list", "watch", "patch"}}


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
    for var in env(main).values():
        check("value" not in var or not any(word in var["name"] for word in ("KEY", "PASS", "TOKEN")),
              "%s: %s is given in the manifest, not from a Secret" % (what, var["name"]))


def check_copy(what, pod):
    """Run the init container's command on a Secret volume laid out as the kubelet does."""
    init = pod["initContainers"][0]
    argv = init["command"] + init.get("args", [])
    source = mount_of(init, "/run/pgdrill/secret-files")["mountPath"]
    target = mount_of(init, "/etc/pgdrill/secrets")["mountPath"]
    check(argv[-2:] == [source, target], "%s: the copy does not read %s and write %s" % (what, source, target))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "secret"), os.path.join(tmp, "secrets")
        os.makedirs(os.path.join(src, "..2026_11_25_03_17_00.123"))
        os.symlink("..2026_11_25_03_17_00.123", os.path.join(src, "..data"))
        os.mkdir(dst)
        os.chmod(dst, 0o2777)  # an emptyDir with fsGroup
        files = {"source.pgpass": "orders-primary:5432:*:pgdrill:s3cret\n", "webhook.token": "tok\n"}
        for name, text in files.items():
            path = os.path.join(src, "..2026_11_25_03_17_00.123", name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o440)
            os.symlink(os.path.join("..data", name), os.path.join(src, name))
        p = subprocess.run(argv[:-2] + [src, dst], capture_output=True, text=True, timeout=30,
                           preexec_fn=lambda: os.umask(0o022))
        check(p.returncode == 0, "%s: the copy failed: %s" % (what, p.stderr))
        check(sorted(os.listdir(dst)) == sorted(files), "%s: the copy wrote %s" % (what, os.listdir(dst)))
        for name, text in files.items():
            path = os.path.join(dst, name)
            if os.path.exists(path):
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                check(stat.S_ISREG(os.lstat(path).st_mode) and mode == 0o600,
                      "%s: %s copied with mode %o, libpq wants 0600" % (what, name, mode))
                check(open(path).read() == text, "%s: %s copied wrong" % (what, name))


def check_rbac(pod):
    for role in find("Role"):
        for rule in role["rules"]:
            check(rule.get("apiGroups") == [""], "Role %s: a rule outside the core API group" % role["metadata"]["name"])
            for resource in rule.get("resources", []):
                extra = set(rule.get("verbs", [])) - RBAC.get(resource, set())
                check(not extra, "Role %s: %s on %s, which Patroni's DCS does not need"
                      % (role["metadata"]["name"], ", ".join(sorted(extra)), resource))
    accounts = {sa["metadata"]["name"] for sa in find("ServiceAccount")}
    bound = {s["name"] for rb in find("RoleBinding") for s in rb["subjects"] if s["kind"] == "ServiceAccount"}
    check(pod.get("serviceAccountName") in accounts & bound,
          "the pod's service account %s is not bound to the Role" % pod.get("serviceAccountName"))


def check_ingress(template):
    labels = template["metadata"].get("labels", {})
    closed = [p for p in find("NetworkPolicy")
              if "Ingress" in p["spec"].get("policyTypes", []) and not p["spec"].get("ingress")
              and all(labels.get(k) == v for k, v in p["spec"]["podSelector"].get("matchLabels", {}).items())]
    check(closed, "no NetworkPolicy closes the drill pod to inbound traffic")


def main():
    for what, template in pod_templates():
        check_pod(what, template["spec"])
        check_copy(what, template["spec"])
        check_rbac(template["spec"])
        check_ingress(template)
    for ns in find("Namespace"):
        check(ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") == "restricted",
              "namespace %s does not enforce the restricted Pod Security Standard" % ns["metadata"]["name"])
    finish("the drill pod's security")


if __name__ == "__main__":
    main()
