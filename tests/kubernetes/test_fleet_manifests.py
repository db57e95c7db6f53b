#!/usr/bin/python3
"""pgdrill-fleet's manifests (patroni-examples/kubernetes-fleet/), checked offline.

- RBAC is least privilege and exactly that: list pods and ConfigMaps in Patroni's namespace;
  create, list and delete Jobs and deletecollection ConfigMaps and Endpoints in the drills'
  namespace; bound to pgdrill-fleet's ServiceAccount only; no ClusterRole, no wildcard, no
  Secret, no get/watch/update/patch. (That these suffice is shown by the integration scenario
  fleet_kubernetes_recorded, which checks every request of real passes against them.)
- The token: none by default, a short-lived projected one where client libraries look.
- The pods run as 999 without privileges on a read-only root file system, no secret in any
  environment; the Deployment runs watch, the CronJob run, with the same pod otherwise.
- fleet.yml of the ConfigMap loads with pgdrill-fleet --check-config (the template too), and
  its stale_after exceeds the drill Job's deadline.
- The Job template is the drill Job of patroni-examples/kubernetes/once/job.yaml, but for
  its name and the instance label.

Usage: test_fleet_manifests.py PGDRILL_FLEET
"""
import copy
import glob
import os
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.environ.get("PGDRILL_FLEET_K8S_DIR", os.path.join(REPO, "patroni-examples", "kubernetes-fleet"))
DRILL_JOB = os.path.join(REPO, "patroni-examples", "kubernetes", "once", "job.yaml")
ACCOUNT = {"kind": "ServiceAccount", "name": "pgdrill-fleet", "namespace": "pgdrill"}
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
# (namespace, apiGroup, resource) -> verbs
WANTED_RULES = {
    ("db", "", "pods"): {"list"},
    ("db", "", "configmaps"): {"list"},
    ("pgdrill", "batch", "jobs"): {"create", "list", "delete"},
    ("pgdrill", "", "configmaps"): {"deletecollection"},
    ("pgdrill", "", "endpoints"): {"deletecollection"},
}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def documents():
    docs = []
    for path in sorted(glob.glob(os.path.join(DIR, "*.yaml"))):
        with open(path) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    return docs


def of_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def check_rbac(docs):
    check(not of_kind(docs, "ClusterRole") and not of_kind(docs, "ClusterRoleBinding"),
          "a cluster-wide role")
    granted = {}
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in of_kind(docs, "Role")}
    for role in roles.values():
        ns = role["metadata"]["namespace"]
        for rule in role.get("rules", []):
            check(not rule.get("resourceNames") and not rule.get("nonResourceURLs"),
                  "Role %s: an unexpected rule %s" % (role["metadata"]["name"], rule))
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    verbs = set(rule.get("verbs", []))
                    check("*" not in verbs and "*" not in (group, resource),
                          "Role %s: a wildcard" % role["metadata"]["name"])
                    granted.setdefault((ns, group, resource), set()).update(verbs)
    check(granted == WANTED_RULES, "the Roles grant %s, not exactly %s" % (granted, WANTED_RULES))
    bound = set()
    for binding in of_kind(docs, "RoleBinding"):
        ns = binding["metadata"]["namespace"]
        ref = binding["roleRef"]
        check(ref.get("kind") == "Role" and (ns, ref.get("name")) in roles,
              "RoleBinding %s binds %s, no Role of its namespace" % (binding["metadata"]["name"], ref))
        check(binding.get("subjects") == [ACCOUNT],
              "RoleBinding %s binds %s, not pgdrill-fleet's ServiceAccount alone"
              % (binding["metadata"]["name"], binding.get("subjects")))
        bound.add((ns, ref.get("name")))
    check(bound == set(roles), "Roles without a binding: %s" % sorted(set(roles) - bound))
    accounts = of_kind(docs, "ServiceAccount")
    check(len(accounts) == 1 and accounts[0]["metadata"]["name"] == "pgdrill-fleet"
          and accounts[0].get("automountServiceAccountToken") is False,
          "the ServiceAccount pgdrill-fleet mounts no token by default")


def pods(docs):
    found = []
    for d in of_kind(docs, "Deployment"):
        found.append(("Deployment", d["spec"]["template"]["spec"]))
    for d in of_kind(docs, "CronJob"):
        found.append(("CronJob", d["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return found


def check_pod(what, pod):
    sc = pod.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 999
          and sc.get("runAsGroup") == 999 and sc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
          "%s: the pod's security context" % what)
    check(pod.get("serviceAccountName") == "pgdrill-fleet", "%s: its ServiceAccount" % what)
    check(pod.get("automountServiceAccountToken") is False, "%s: mounts the default token" % what)
    projected = [v for v in pod.get("volumes", []) if "projected" in v]
    sources = [s for v in projected for s in v["projected"]["sources"]]
    token = [s["serviceAccountToken"] for s in sources if "serviceAccountToken" in s]
    check(len(token) == 1 and token[0].get("path") == "token"
          and 600 <= token[0].get("expirationSeconds", 0) <= 3600,
          "%s: a short-lived projected token" % what)
    check(any(s.get("configMap", {}).get("name") == "kube-root-ca.crt" for s in sources),
          "%s: the API server's CA beside the token" % what)
    for c in pod.get("initContainers", []) + pod["containers"]:
        csc = c.get("securityContext", {})
        check(csc.get("allowPrivilegeEscalation") is False
              and csc.get("capabilities", {}).get("drop") == ["ALL"]
              and csc.get("readOnlyRootFilesystem") is True,
              "%s: container %s's security context" % (what, c["name"]))
        check(not any("valueFrom" in e and "secretKeyRef" in e["valueFrom"] for e in c.get("env", [])),
              "%s: a secret in container %s's environment" % (what, c["name"]))
    main = pod["containers"][0]
    check(any(m["mountPath"] == TOKEN_PATH and m.get("readOnly") for m in main.get("volumeMounts", [])),
          "%s: the token is not where the deployer looks (%s)" % (what, TOKEN_PATH))
    return main


def check_workloads(docs):
    found = dict(pods(docs))
    check(set(found) == {"Deployment", "CronJob"}, "a Deployment and a CronJob: %s" % sorted(found))
    args = {}
    for what, pod in found.items():
        args[what] = check_pod(what, pod).get("args")
    check(args.get("Deployment") == ["fleet", "--config=/etc/pgdrill/fleet.yml", "watch"],
          "the Deployment runs %s" % args.get("Deployment"))
    check(args.get("CronJob") == ["fleet", "--config=/etc/pgdrill/fleet.yml", "run"],
          "the CronJob runs %s" % args.get("CronJob"))
    if len(found) == 2:
        a, b = copy.deepcopy(found["Deployment"]), copy.deepcopy(found["CronJob"])
        a["containers"][0]["args"] = b["containers"][0]["args"] = None
        b.pop("restartPolicy", None)
        check(a == b, "the Deployment's pod and the CronJob's differ beyond their command")
    for d in of_kind(docs, "CronJob"):
        check(d["spec"].get("concurrencyPolicy") == "Forbid", "the CronJob may run twice at once")
    for d in of_kind(docs, "Deployment"):
        check(d["spec"].get("replicas") == 1 and d["spec"].get("strategy", {}).get("type") == "Recreate",
              "the Deployment: one replica, Recreate")


def check_configuration(docs, fleet):
    maps = [d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"] == "pgdrill-fleet"]
    if not check(len(maps) == 1, "the ConfigMap pgdrill-fleet"):
        return
    data = maps[0]["data"]
    template = yaml.safe_load(data["job-template.yaml"])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "job-template.yaml")
        with open(path, "w") as f:
            f.write(data["job-template.yaml"])
        config = os.path.join(tmp, "fleet.yml")
        with open(config, "w") as f:
            f.write(data["fleet.yml"].replace("/etc/pgdrill/job-template.yaml", path))
        p = subprocess.run([fleet, "--config=" + config, "--check-config"], capture_output=True,
                           text=True, timeout=30)
        check(p.returncode == 0, "fleet.yml: %s" % (p.stdout + p.stderr).strip())
    cfg = yaml.safe_load(data["fleet.yml"])
    check(cfg["launch"]["kubernetes"]["template"] == "/etc/pgdrill/job-template.yaml",
          "fleet.yml names the template where the ConfigMap mounts it")
    stale = cfg.get("stale_after", "12h")
    hours = int(stale[:-1]) * {"h": 3600, "m": 60}[stale[-1]]
    check(hours > template["spec"]["activeDeadlineSeconds"],
          "stale_after %s is shorter than a drill's deadline: a running drill would count as dead"
          % stale)
    with open(DRILL_JOB) as f:
        drill = yaml.safe_load(f)
    for job in (template, drill):
        job["metadata"] = None
        job["spec"]["template"]["metadata"]["labels"].pop("app.kubernetes.io/instance")
    check(template == drill, "the Job template is not the drill Job of once/job.yaml")


def main():
    fleet = sys.argv[1]
    docs = documents()
    check_rbac(docs)
    check_workloads(docs)
    check_configuration(docs, fleet)
    for message in failures:
        print("FAIL: " + message)
    print("pgdrill-fleet's manifests: %s" % ("%d problems" % len(failures) if failures else "ok"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
