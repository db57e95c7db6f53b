#!/usr/bin/python3
"""The drill's Job, in the CronJob and in once/job.yaml: one attempt, never two at once, and
a deadline no shorter than pgdrill's own bounds, recomputed from the ConfigMap's pgdrill.yml
(a timeout inside pgdrill is a verdict; Kubernetes killing the pod is only "interrupted").

The sum (README "Run on Kubernetes", cronjob.yaml):
    marker.archive_timeout + recovery.timeout + verify.timeout
  + the webhook's worst case: (retries + 1) x timeout + backoff 1, 2, 4, ... s (at most 30 s)
  + MARGIN: pod start and image pull, Patroni starting PostgreSQL, statements on the source
    around archive_timeout and the status-history rows, none of them bounded by those keys.
"""
import re

import yaml

from manifests import check, configmap_file, finish, find, job_specs, pod_specs

MARGIN = 600 + 300 + 300 + 300
# pgdrill's defaults (README "Configuration") for keys the file leaves out.
DEFAULTS = {"marker.archive_timeout": "5m", "recovery.timeout": "6h", "verify.timeout": "1h",
            "report.webhook.timeout": "10s", "report.webhook.retries": 3,
            "report.stale_after": "12h"}


def seconds(value):
    """A pgdrill duration: 30s, 5m, 2h, 1d or plain seconds."""
    m = re.fullmatch(r"(\d+)([smhd]?)", str(value).strip())
    if not m:
        raise SystemExit("not a pgdrill duration: %r" % value)
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def get(config, key):
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return DEFAULTS[key]
        node = node[part]
    return node


def needed(config):
    total = sum(seconds(get(config, key)) for key in
                ("marker.archive_timeout", "recovery.timeout", "verify.timeout"))
    if (config.get("report") or {}).get("webhook", {}).get("url"):  # "" is off
        attempts = int(get(config, "report.webhook.retries")) + 1
        backoff = sum(min(2 ** n, 30) for n in range(attempts - 1))
        total += attempts * seconds(get(config, "report.webhook.timeout")) + backoff
    return total + MARGIN


def main():
    config = yaml.safe_load(configmap_file("pgdrill.yml"))
    minimum = needed(config)
    for what, spec in job_specs():
        deadline = spec.get("activeDeadlineSeconds")
        check(isinstance(deadline, int) and deadline >= minimum,
              "%s: activeDeadlineSeconds %r is below pgdrill's bounds plus margin, %d s"
              % (what, deadline, minimum))
        # a drill still running must not count as dead for the fleet cap
        if isinstance(deadline, int):
            check(seconds(get(config, "report.stale_after")) > deadline,
                  "%s: report.stale_after is not longer than activeDeadlineSeconds" % what)
        check(spec.get("backoffLimit") == 0, "%s: backoffLimit must be 0 (one attempt)" % what)
    for what, pod in pod_specs():
        check(pod.get("restartPolicy") == "Never", "%s: restartPolicy must be Never" % what)
    for cronjob in find("CronJob"):
        check(cronjob["spec"].get("concurrencyPolicy") == "Forbid",
              "CronJob %s: concurrencyPolicy must be Forbid" % cronjob["metadata"]["name"])
        # once/job.yaml is the CronJob's Job to run by hand: nothing else may differ
        template = dict(cronjob["spec"]["jobTemplate"]["spec"])
        for job in find("Job"):
            spec = dict(job["spec"])
            spec.pop("ttlSecondsAfterFinished", None)
            check(spec == template, "Job %s differs from the CronJob's jobTemplate.spec"
                  % job["metadata"].get("generateName"))
            check(job["metadata"].get("labels") == cronjob["spec"]["jobTemplate"]["metadata"].get(
                "labels"), "the Job's labels differ from the CronJob's Job template")
    print("activeDeadlineSeconds must be at least %d s" % minimum)
    finish("the drill's Job")


if __name__ == "__main__":
    main()
