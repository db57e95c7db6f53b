"""The shipped Kubernetes manifests (patroni-examples/kubernetes/), loaded as kubectl reads
them: every document of every *.yaml file, YAML 1.1 (PyYAML, python3-yaml).

PGDRILL_K8S_DIR points the tests at another copy, e.g. a deliberately broken one.
"""
import glob
import os
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.environ.get("PGDRILL_K8S_DIR", os.path.join(REPO, "patroni-examples", "kubernetes"))
CONFIGMAP = "pgdrill-orders"

_failures = []


def check(condition, message):
    """Record a failed expectation and go on: one run names every problem."""
    if not condition and message not in _failures:  # the CronJob and the Job share most
        _failures.append(message)
    return condition


def finish(what):
    for message in _failures:
        print("FAIL: " + message)
    if _failures:
        print("%s: %d problems" % (what, len(_failures)))
        sys.exit(1)
    print("%s: ok" % what)


def documents():
    """[(relative path, document)] of every non-empty document."""
    docs = []
    for path in sorted(glob.glob(os.path.join(DIR, "**", "*.yaml"), recursive=True)):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((os.path.relpath(path, DIR), doc))
    if not docs:
        raise SystemExit("no manifests under " + DIR)
    return docs


def find(kind, name=None):
    found = [doc for _, doc in documents() if doc.get("kind") == kind
             and (name is None or doc.get("metadata", {}).get("name") == name)]
    if not found:
        raise SystemExit("no %s %s in %s" % (kind, name or "", DIR))
    return found


def job_specs():
    """[(what, Job spec)] of the CronJob's Job template and of every Job."""
    specs = []
    for doc in find("CronJob"):
        specs.append(("CronJob %s" % doc["metadata"]["name"], doc["spec"]["jobTemplate"]["spec"]))
    for doc in find("Job"):
        meta = doc["metadata"]
        specs.append(("Job %s" % meta.get("name", meta.get("generateName")), doc["spec"]))
    return specs


def pod_templates():
    """[(what, pod template)]: its metadata (labels) and spec."""
    return [(what, spec["template"]) for what, spec in job_specs()]


def pod_specs():
    return [(what, template["spec"]) for what, template in pod_templates()]


def containers(pod):
    """[(kind, container)] of the init containers and the containers."""
    return ([("init container", c) for c in pod.get("initContainers", [])]
            + [("container", c) for c in pod["containers"]])


def main_container(pod):
    return pod["containers"][0]


def configmap_file(key):
    """A file the drill's ConfigMap carries (pgdrill.yml, patroni.yml, pgbackrest.conf)."""
    return find("ConfigMap", CONFIGMAP)[0]["data"][key]


def mounted_file(pod, container, path):
    """(volume, key) of the ConfigMap or Secret item mounted at path in container, or None."""
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        prefix = mount["mountPath"].rstrip("/") + "/"
        if not path.startswith(prefix):
            continue
        volume = volumes.get(mount["name"], {})
        source = volume.get("configMap") or volume.get("secret")
        if source is None:
            continue
        for item in source.get("items", []):
            if item["path"] == path[len(prefix):]:
                return volume, item["key"]
    return None


def volume(pod, name):
    """The pod's volume of that name ({} if none)."""
    return {v["name"]: v for v in pod.get("volumes", [])}.get(name, {})


def mount_of(container, path):
    """The volume mount holding path in container (the deepest), or None."""
    best = None
    for mount in container.get("volumeMounts", []):
        root = mount["mountPath"].rstrip("/")
        if path == root or path.startswith(root + "/"):
            if best is None or len(root) > len(best["mountPath"].rstrip("/")):
                best = mount
    return best


def env(container):
    return {e["name"]: e for e in container.get("env", [])}
