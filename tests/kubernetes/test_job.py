#!/usr/bin/python3
"""The drill's Job, in the CronJob and in once/job.yaml: one attempt, never two at once, and
a deadline no shorter than pgdrill's own bounds, recomputed from the ConfigMap's pgdrill.yml
(a timeout inside pgdrill is a verdict; Kubernetes killing the pod is only "interrupted").

The sum (README "Run on Kubernetes", cronjob.yaml):
    marker.archive_timeout + recovery.timeout + verify.timeout
  + the webhook's worst case: (retries + 1) x timeout + backoff 1, 2, 4, ... s (at most 30 s)
  + MARGIN: pod start and image pull, Patroni starting PostgreSQL, statements on the source
    around archive_timeout and the status-history rows, none of them bounded by those keys.

Room (README "Room for the restore"): the state emptyDir holds state_dir and with it the WAL
prefetch queue (recovery.wal_prefetch; pgdrill sizes it from the file system's free space,
which is the node's, not the emptyDir's sizeLimit), and the container requests as much
ephemeral-storage as its disk-backed emptyDirs may hold.
"""
import re

import yaml

from manifests import check, configmap_file, finish, find, job_specs, pod_specs

MARGIN = 600 + 300 + 300 + 300
# pgdrill's defaults (README "Configuration") for keys the file leaves out.
DEFAULTS = {"marker.archive_timeout": "5m", "recovery.timeout": "6h", "verify.timeout": "1h",
            "report.webhook.timeout": "10s", "report.webhook.retries": 3,
            "report.stale_after": "12h", "recovery.wal_prefetch": "1GB"}
STATE_BESIDE_QUEUE = 64 * 2**20  # the report, the lock, the spool's status files


def size_bytes(value):
    """A pgdrill size (1GB, 512MB, off) or a Kubernetes quantity (2Gi, 512Mi)."""
    m = re.fullmatch(r"(\d+)\s*(|kB|MB|GB|TB|Ki|Mi|Gi|Ti)", str(value).strip())
    if str(value).strip() == "off":
        return 0
    if not m:
        raise SystemExit("not a size: %r" % value)
    unit = {"": 1, "kB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}[m.group(2)]
    return int(m.group(1)) * unit


def check_room(config):
    queue = size_bytes(get(config, "recovery.wal_prefetch"))
    for what, pod in pod_specs():
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        disk = sum(size_bytes(v["emptyDir"].get("sizeLimit", "0"))
                   for v in volumes.values()
                   if "emptyDir" in v and v["emptyDir"].get("medium") != "Memory")
        state = volumes.get("state", {}).get("emptyDir", {}).get("sizeLimit")
        check(state is not None and size_bytes(state) >= queue + STATE_BESIDE_QUEUE,
              "%s: the state emptyDir (%s) cannot hold recovery.wal_prefetch's queue (%s) and the"
              " report: the kubelet would evict the pod mid-replay" % (what, state,
                                                                        get(config, "recovery.wal_prefetch")))
        for c in pod.get("containers", []):
            request = c.get("resources", {}).get("requests", {}).get("ephemeral-storage")
            check(request is not None and size_bytes(request) >= disk,
                  "%s: container %s requests ephemeral-storage %s, less than its emptyDirs hold"
                  " (%d GiB)" % (what, c["name"], request, disk // 2**30))


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

PAST_VARIABLE = "PGDRILL_RECOVERY_TARGET"


def daily_and_past():
    """The daily CronJob and past/cronjob.yaml's weekly one to a past target (or None)."""
    cronjobs = {doc["metadata"]["name"]: doc for doc in find("CronJob")}
    past = [doc for name, doc in cronjobs.items() if name.endswith("-past")]
    daily = [doc for name, doc in cronjobs.items() if not name.endswith("-past")]
    check(len(daily) == 1 and len(past) <= 1, "one daily CronJob and at most one -past: %s"
          % sorted(cronjobs))
    return daily[0], past[0] if past else None


def check_past(daily, past):
    """The past CronJob is the daily one's Job plus PGDRILL_RECOVERY_TARGET (oldest or
    random), on a schedule of its own that does not start within the daily drill's
    deadline (README "Mixing recovery targets")."""
    if past is None:
        return
    spec = yaml.safe_load(yaml.safe_dump(past["spec"]["jobTemplate"]))
    target = None
    for c in spec["spec"]["template"]["spec"]["containers"]:
        kept = [e for e in c.get("env", []) if e["name"] != PAST_VARIABLE]
        if len(kept) != len(c.get("env", [])):
            target = [e for e in c["env"] if e["name"] == PAST_VARIABLE][0].get("value")
        c["env"] = kept
    check(target in ("oldest", "random"), "CronJob %s: %s must be oldest or random, not %r"
          % (past["metadata"]["name"], PAST_VARIABLE, target))
    check(spec == daily["spec"]["jobTemplate"],
          "CronJob %s's Job differs from %s's by more than %s" % (
              past["metadata"]["name"], daily["metadata"]["name"], PAST_VARIABLE))
    rest = {k: v for k, v in past["spec"].items() if k not in ("jobTemplate", "schedule")}
    check(rest == {k: v for k, v in daily["spec"].items()
                   if k not in ("jobTemplate", "schedule")},
          "the past CronJob's settings differ from the daily one's (but for its schedule)")
    # both "M H * * ..." with fixed minutes and hours: the past one starts after the daily
    # one's deadline
    d, p = daily["spec"]["schedule"].split(), past["spec"]["schedule"].split()
    deadline_h = daily["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] / 3600
    if check(all(x.isdigit() for x in d[:2] + p[:2]),
             "schedules with fixed minutes and hours: %s, %s" % (d, p)):
        start_d, start_p = int(d[1]) + int(d[0]) / 60, int(p[1]) + int(p[0]) / 60
        check((start_p - start_d) % 24 >= deadline_h and (start_d - start_p) % 24 >= deadline_h,
              "the past CronJob (%s) starts within the daily drill's deadline (%s, %g h)"
              % (past["spec"]["schedule"], daily["spec"]["schedule"], deadline_h))


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
    daily, past = daily_and_past()
    check_past(daily, past)
    for cronjob in [daily]:
        # once/job.yaml is the CronJob's Job to run by hand: nothing else may differ
        template = dict(cronjob["spec"]["jobTemplate"]["spec"])
        for job in find("Job"):
            spec = dict(job["spec"])
            spec.pop("ttlSecondsAfterFinished", None)
            check(spec == template, "Job %s differs from the CronJob's jobTemplate.spec"
                  % job["metadata"].get("generateName"))
            check(job["metadata"].get("labels") == cronjob["spec"]["jobTemplate"]["metadata"].get(
                "labels"), "the Job's labels differ from the CronJob's Job template")
    check_room(config)
    print("activeDeadlineSeconds must be at least %d s" % minimum)
    finish("the drill's Job")


if __name__ == "__main__":
    main()
