#!/usr/bin/python3
"""Every metric the monitoring uses is one pgdrill writes, named as it writes it.

Two sets are checked alike: the drills' (pgdrill-alerts.yml, pgdrill-dashboard.json, the
README's metrics table, common/fleet/metrics.c) and the deployer's (pgdrill-fleet-alerts.yml,
pgdrill-fleet-dashboard.json, the README's fleet metrics table, fleet/fleet_metrics.c, whose
per-scope series are the pgdrill_fleet_scope_* ones).

The names pgdrill writes are the README's metrics table (the users' contract), which must
list exactly the names in common/fleet/metrics.c. Checked against it: every metric name in
every PromQL expression of the alert rules and of the Grafana dashboard (which must also
parse: promtool checks them as recording rules), the series and labels the rules' unit
tests feed in, the dashboard's variables, and that every runbook link in the rules points
at a heading of the README. (A real drill's metrics file is checked against the same
table by the integration scenario delivery_history_and_metrics.)

Usage: test_names.py
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MONITORING = os.path.join(REPO, "patroni-examples", "monitoring")
SCRAPE_LABELS = {"instance", "job"}                # what a scrape adds
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan"}

DRILL = {
    "rules": os.path.join(MONITORING, "pgdrill-alerts.yml"),
    "dashboard": os.path.join(MONITORING, "pgdrill-dashboard.json"),
    "tests": os.path.join(REPO, "tests", "monitoring", "pgdrill-alerts.test.yml"),
    "readme": ("**Metrics**", "| metric | meaning |"),
    "code": os.path.join(REPO, "common", "fleet", "metrics.c"),
    "labels": {"scope", "stanza", "verdict", "phase", "day"},  # what pgdrill writes
    "scope_variable": "pgdrill_last_drill_timestamp_seconds",
    "per_scope": lambda name: True,                     # every series is a scope's
}
FLEET = {
    "rules": os.path.join(MONITORING, "pgdrill-fleet-alerts.yml"),
    "dashboard": os.path.join(MONITORING, "pgdrill-fleet-dashboard.json"),
    "tests": os.path.join(REPO, "tests", "monitoring", "pgdrill-fleet-alerts.test.yml"),
    "readme": ("### The fleet's metrics and alerts", "| fleet metric | meaning |"),
    "code": os.path.join(REPO, "fleet", "fleet_metrics.c"),
    "labels": {"scope", "stanza", "outcome"},
    "scope_variable": "pgdrill_fleet_scope_enabled",
    "per_scope": lambda name: name.startswith("pgdrill_fleet_scope_"),
}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def readme_metrics(where):
    """The metric names of a README table: the first table with this header after a mark."""
    mark, header = where
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    table = text.split(mark, 1)[1].split("\n\n" + header, 1)[1].split("\n\n", 1)[0]
    names = set()
    for row in table.splitlines():
        cell = row.split("|")[1] if row.startswith("|") else ""
        names.update(re.findall(r"`(pgdrill_[a-z_]+)", cell))
    return names


def code_metrics(path):
    with open(path) as f:
        return set(re.findall(r'"(pgdrill_[a-z_]+)"', f.read()))


def readme_anchors():
    """GitHub's anchors of the README's headings."""
    with open(os.path.join(REPO, "README.md")) as f:
        headings = re.findall(r"^#+ (.+)$", f.read(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def metric_names(expr):
    """The metric names an expression selects (a small PromQL tokenizer)."""
    text = re.sub(r"\$\{?\w+\}?", "X", expr)               # Grafana variables
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)            # strings
    text = re.sub(r"\{[^}]*\}", "", text)                  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)                 # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w:.])[A-Za-z_:][\w:]*", text):
        function = text[m.end():].lstrip().startswith("(")
        if not function and m.group(0).lower() not in KEYWORDS:
            names.add(m.group(0))
    return names


def promql_parses(exprs):
    """promtool's parser on each expression, as a recording rule (variables filled in)."""
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "pgdrill:dashboard:%d" % i,
         "expr": expr.replace("$scope", ".+").replace("${scope}", ".+")}
        for i, expr in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        yaml.safe_dump(rules, f)
        f.flush()
        p = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True,
                           timeout=60)
    check(p.returncode == 0, "the dashboard's PromQL does not parse: " + (p.stdout + p.stderr).strip())


def check_set(spec):
    """The rules, their tests and the dashboard of one set against its metrics."""
    written = readme_metrics(spec["readme"])
    code = code_metrics(spec["code"])
    per_scope = spec["per_scope"]
    check(written, "no metrics table found in README.md for %s" % spec["code"])
    check(written == code, "README's metrics table %s differs from %s %s"
          % (sorted(written - code), os.path.relpath(spec["code"], REPO), sorted(code - written)))

    with open(spec["rules"]) as f:
        rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    anchors = readme_anchors()
    for rule in rules:
        names = metric_names(rule["expr"])
        check(names, "alert %s selects no metric" % rule.get("alert"))
        check(names <= written, "alert %s uses %s, which pgdrill does not write"
              % (rule.get("alert"), sorted(names - written)))
        link = rule.get("annotations", {}).get("runbook_url", "")
        check(link.split("#", 1)[-1] in anchors and "#" in link,
              "alert %s: runbook %r is not a heading of README.md" % (rule.get("alert"), link))
        check(rule.get("labels", {}).get("severity") in ("critical", "warning"),
              "alert %s has no severity" % rule.get("alert"))
        if any(per_scope(n) for n in names):
            check("scope" in rule.get("annotations", {}).get("description", ""),
                  "alert %s: the description does not name the scope" % rule.get("alert"))

    with open(spec["tests"]) as f:
        tests = yaml.safe_load(f)["tests"]
    fed = set()
    for test in tests:
        for series in test["input_series"]:
            m = re.fullmatch(r"(\w+)\{(.*)\}", series["series"])
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
            fed.add(m.group(1))
            check(m.group(1) in written, "the rules' tests feed %s, which pgdrill does not write" % m.group(1))
            check(({"scope", "stanza"} <= set(labels)) == per_scope(m.group(1))
                  and set(labels) <= spec["labels"] | SCRAPE_LABELS,
                  "the rules' tests feed %s with labels %s" % (m.group(1), sorted(labels)))
            check(labels.get("verdict", "passed") in ("passed", "failed", "inconclusive"),
                  "the rules' tests feed verdict %r" % labels.get("verdict"))
    used = set().union(*(metric_names(r["expr"]) for r in rules))
    check(used <= fed, "the rules' tests never feed %s" % sorted(used - fed))

    with open(spec["dashboard"]) as f:
        dashboard = json.load(f)
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    check(variables.get("datasource", {}).get("type") == "datasource"
          and variables["datasource"].get("query") == "prometheus", "no Prometheus data source variable")
    scope = variables.get("scope", {})
    definition = "label_values(%s, scope)" % spec["scope_variable"]
    check(scope.get("definition") == definition
          and scope.get("query", {}).get("query") == scope.get("definition"),
          "the scope variable is not " + definition)
    exprs = []
    for panel in dashboard["panels"]:
        check(panel.get("datasource", {}).get("uid") == "${datasource}",
              "panel %r does not use the data source variable" % panel.get("title"))
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            exprs.append(expr)
            names = metric_names(expr)
            check(names, "panel %r: %r selects no metric" % (panel.get("title"), expr))
            check(names <= written, "panel %r uses %s, which pgdrill does not write"
                  % (panel.get("title"), sorted(names - written)))
            if any(per_scope(n) for n in names):
                check('scope=~"$scope"' in expr,
                      "panel %r ignores the scope variable" % panel.get("title"))
            check(target.get("datasource", {}).get("uid") == "${datasource}",
                  "panel %r: a query without the data source variable" % panel.get("title"))
    check(exprs, "the dashboard has no queries")
    promql_parses(exprs)
    print("%s: %d metrics written, %d used by %d alerts and %d dashboard queries" % (
        os.path.relpath(spec["code"], REPO), len(written),
        len(used | set().union(*(metric_names(e) for e in exprs))), len(rules), len(exprs)))


def main():
    check_set(DRILL)
    check_set(FLEET)
    for message in failures:
        print("FAIL: " + message)
    print("%s" % ("%d problems" % len(failures) if failures else "ok"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
