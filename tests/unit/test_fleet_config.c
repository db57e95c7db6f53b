/*
 * test_fleet_config.c - pgdrill-fleet's configuration (fleet/fleet_config.c): the README's
 * smallest configuration exactly as written, defaults, per-scope policies, every error with
 * its "FILE:LINE: KEY: reason", and the README's table of keys held to the key table.
 */
#include "fleet_config.h"
#include "readme_table.h"
#include "secret.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char config_path[] = "/tmp/pgdrill-test-fleet-config-XXXXXX";

/* The smallest configuration, as README's "Scheduling a fleet" shows it. */
#define SMALLEST_EXAMPLE                                                                           \
    "history_dsn: \"host=db.internal dbname=fleet user=pgdrill\"\n"                                \
    "every: 24h\n"                                                                                 \
    "max_concurrent: 2\n"                                                                          \
    "inventory:\n"                                                                                 \
    "  etcd:\n"                                                                                    \
    "    endpoints: [\"http://127.0.0.1:2379\"]\n"                                                 \
    "    namespace: /service\n"                                                                    \
    "launch:\n"                                                                                    \
    "  command: [\"/usr/local/bin/start-drill\", \"{scope}\", \"{test_id}\"]\n"

#define BASE                                                                                       \
    "history_dsn: dbname=fleet\n"                                                                  \
    "inventory: {etcd: {endpoints: [http://e:2379]}}\n"                                            \
    "launch: {command: [start]}\n"

static int setup(void **state)
{
    int fd = mkstemp(config_path);

    (void)state;
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(config_path);
    return 0;
}

static int clear_secrets(void **state)
{
    (void)state;
    pgd_secret_clear();
    return 0;
}

static char *load(const char *text, fleet_config *cfg)
{
    FILE *fp = fopen(config_path, "w");
    char *errmsg = NULL;

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    if (fleet_config_load(config_path, cfg, &errmsg))
        return NULL;
    assert_non_null(errmsg);
    return errmsg;
}

static void assert_accepted(const char *text, fleet_config *cfg)
{
    char *errmsg = load(text, cfg);

    if (errmsg != NULL)
        fail_msg("configuration rejected: %s", errmsg);
}

static void assert_rejected(const char *text, const char *expected)
{
    fleet_config cfg;
    char *errmsg = load(text, &cfg);
    char *full = pgd_asprintf("%s:%s", config_path, expected);

    if (errmsg == NULL) {
        fleet_config_free(&cfg);
        fail_msg("configuration was accepted, expected: %s", expected);
    }
    assert_string_equal(errmsg, full);
    free(full);
    free(errmsg);
}

static void test_issue_example(void **state)
{
    fleet_config cfg;

    (void)state;
    assert_accepted(SMALLEST_EXAMPLE, &cfg);
    assert_string_equal(cfg.history_dsn, "host=db.internal dbname=fleet user=pgdrill");
    assert_int_equal(cfg.every, 86400);
    assert_int_equal(cfg.max_concurrent, 2);
    assert_int_equal(cfg.inventory.etcd.endpoints.count, 1);
    assert_string_equal(cfg.inventory.etcd.endpoints.items[0], "http://127.0.0.1:2379");
    assert_string_equal(cfg.inventory.etcd.namespace_prefix, "/service/");
    assert_int_equal(cfg.launch.command.count, 3);
    assert_string_equal(cfg.launch.command.items[1], "{scope}");
    assert_null(cfg.launch.command.items[3]); /* an argv */
    /* the defaults */
    assert_int_equal(cfg.retry_after, 3600);
    assert_int_equal(cfg.stale_after, 12 * 3600);
    assert_int_equal(cfg.launch_timeout, 1800);
    assert_int_equal(cfg.tick, 300);
    assert_int_equal(cfg.launch.timeout, 300);
    assert_string_equal(cfg.stanza, "{scope}");
    assert_string_equal(cfg.window, "");
    assert_string_equal(cfg.past_target, "");
    assert_int_equal(cfg.past_every, 7 * 86400);
    assert_int_equal(cfg.inventory.etcd.timeout, 10);
    assert_int_equal(cfg.launch.cleanup.count, 0);
    fleet_config_free(&cfg);
}

static void test_namespace_and_lists(void **state)
{
    fleet_config cfg;

    (void)state;
    assert_accepted("history_dsn: dbname=x\nlaunch: {command: [a]}\n"
                    "inventory:\n  etcd:\n    endpoints: [https://a:2379, http://b:2379]\n"
                    "    namespace: /pg/\n",
                    &cfg);
    assert_string_equal(cfg.inventory.etcd.namespace_prefix, "/pg/");
    assert_int_equal(cfg.inventory.etcd.endpoints.count, 2);
    fleet_config_free(&cfg);
    assert_accepted("history_dsn: dbname=x\ninventory: {etcd: {endpoints: [http://e], namespace: "
                    "/}}\nlaunch: {command: [a]}\n",
                    &cfg);
    assert_string_equal(cfg.inventory.etcd.namespace_prefix, "/");
    fleet_config_free(&cfg);
}

static void test_static_clusters(void **state)
{
    fleet_config cfg;

    (void)state;
    assert_accepted("history_dsn: dbname=x\nlaunch: {command: [a]}\ninventory:\n  static:\n"
                    "    - {scope: orders, host: db1}\n"
                    "    - scope: billing\n      host: db2\n      port: 5433\n"
                    "      stanza: billing-{scope}\n",
                    &cfg);
    assert_int_equal(cfg.inventory.static_clusters.count, 2);
    assert_string_equal(fleet_config_static(&cfg, 0)->scope, "orders");
    assert_int_equal(fleet_config_static(&cfg, 0)->port, 5432);
    assert_null(fleet_config_static(&cfg, 0)->stanza);
    assert_int_equal(fleet_config_static(&cfg, 1)->port, 5433);
    assert_string_equal(fleet_config_static(&cfg, 1)->stanza, "billing-{scope}");
    assert_int_equal(fleet_config_static(&cfg, 1)->head.line, 6);
    fleet_config_free(&cfg);
}

static void test_policies(void **state)
{
    fleet_config cfg;
    fleet_policy_values v;
    const char *stanza = NULL;

    (void)state;
    assert_accepted(BASE "every: 12h\nretry_after: 30m\nwindow: 01:00-05:00\n"
                         "stanza: \"{scope}-main\"\n"
                         "scopes:\n"
                         "  - match: \"*-drill-*\"\n    enabled: false\n"
                         "  - match: \"orders*\"\n    every: 6h\n    window: \"\"\n"
                         "    stanza: ord\n"
                         "  - match: \"*\"\n    retry_after: 2h\n",
                    &cfg);
    assert_int_equal(fleet_config_policy_for(&cfg, "orders-drill-1", &v, &stanza), 0);
    assert_false(v.enabled);
    assert_int_equal(fleet_config_policy_for(&cfg, "orders-eu", &v, &stanza), 1);
    assert_true(v.enabled);
    assert_int_equal(v.every, 6 * 3600);
    assert_int_equal(v.retry_after, 1800);
    assert_false(v.window.set);
    assert_string_equal(stanza, "ord");
    assert_int_equal(fleet_config_policy_for(&cfg, "billing", &v, &stanza), 2);
    assert_int_equal(v.every, 12 * 3600);
    assert_int_equal(v.retry_after, 2 * 3600);
    assert_true(v.window.set);
    assert_int_equal(v.window.start, 60);
    assert_string_equal(stanza, "{scope}-main");
    fleet_config_free(&cfg);
    /* no entry matches: the top level */
    assert_accepted(BASE "scopes: [{match: x}]\n", &cfg);
    assert_int_equal(fleet_config_policy_for(&cfg, "y", &v, &stanza), -1);
    assert_true(v.enabled);
    assert_int_equal(v.every, 86400);
    assert_string_equal(stanza, "{scope}");
    fleet_config_free(&cfg);
}

/*
 * past: a second kind of drill per policy, to a past recovery target; a scopes[] entry sets
 * or clears it (target ""), its every alone keeps the top level's target.
 */
static void test_past_targets(void **state)
{
    fleet_config cfg;
    fleet_policy_values v;
    const char *stanza = NULL;

    (void)state;
    assert_accepted(BASE "past:\n  target: random\n  every: 7d\n"
                         "scopes:\n"
                         "  - match: \"orders*\"\n    past: {target: oldest, every: 3d}\n"
                         "  - match: \"tmp-*\"\n    past:\n      target: \"\"\n"
                         "  - match: \"big-*\"\n    past: {every: 30d}\n"
                         "  - match: \"*\"\n    every: 12h\n",
                    &cfg);
    assert_string_equal(cfg.past_target, "random");
    assert_int_equal(cfg.past_every, 7 * 86400);
    assert_int_equal(fleet_config_policy_for(&cfg, "orders-eu", &v, &stanza), 0);
    assert_string_equal(v.past_target, "oldest");
    assert_int_equal(v.past_every, 3 * 86400);
    assert_int_equal(v.every, 86400);
    assert_int_equal(fleet_config_policy_for(&cfg, "tmp-1", &v, &stanza), 1);
    assert_null(v.past_target);
    assert_int_equal(fleet_config_policy_for(&cfg, "big-1", &v, &stanza), 2);
    assert_string_equal(v.past_target, "random");
    assert_int_equal(v.past_every, 30 * 86400);
    assert_int_equal(fleet_config_policy_for(&cfg, "billing", &v, &stanza), 3);
    assert_string_equal(v.past_target, "random");
    assert_int_equal(v.past_every, 7 * 86400);
    assert_int_equal(v.every, 12 * 3600);
    fleet_config_free(&cfg);
    /* README "Mixing recovery targets", its example as written */
    assert_accepted(BASE "every: 24h                 # a latest drill of every scope each day\n"
                         "past:\n"
                         "  target: random           # and, besides it, one to a random "
                         "instant of the window\n"
                         "  every: 7d                # ... each week\n"
                         "scopes:\n"
                         "  - match: \"ledger-*\"\n"
                         "    past: {target: oldest, every: 3d}   # the whole window, twice a "
                         "week\n"
                         "  - match: \"scratch-*\"\n"
                         "    past: {target: \"\"}                  # no past drills\n",
                    &cfg);
    assert_int_equal(fleet_config_policy_for(&cfg, "ledger-1", &v, &stanza), 0);
    assert_string_equal(v.past_target, "oldest");
    assert_int_equal(fleet_config_policy_for(&cfg, "scratch-1", &v, &stanza), 1);
    assert_null(v.past_target);
    assert_int_equal(fleet_config_policy_for(&cfg, "orders", &v, &stanza), -1);
    assert_string_equal(v.past_target, "random");
    fleet_config_free(&cfg);
    /* without past.target: no past drills, whatever past.every says */
    assert_accepted(BASE "past: {every: 1d}\n", &cfg);
    assert_int_equal(fleet_config_policy_for(&cfg, "x", &v, &stanza), -1);
    assert_null(v.past_target);
    fleet_config_free(&cfg);
    /* ... unless a scope's entry names one */
    assert_accepted(BASE "scopes: [{match: x, past: {target: random}}]\n", &cfg);
    assert_int_equal(fleet_config_policy_for(&cfg, "x", &v, &stanza), 0);
    assert_string_equal(v.past_target, "random");
    assert_int_equal(v.past_every, 7 * 86400);
    assert_int_equal(fleet_config_policy_for(&cfg, "y", &v, &stanza), -1);
    assert_null(v.past_target);
    fleet_config_free(&cfg);

    assert_rejected(BASE "past: {target: latest}\n",
                    "4: past.target: \"latest\": every drill of the fleet not to a past target is "
                    "latest already; expected oldest or random (\"\": none)");
    assert_rejected(BASE "past:\n  every: 7d\n  target: 2026-11-30T14:02:00Z\n",
                    "6: past.target: \"2026-11-30T14:02:00Z\": an instant makes no sense for a "
                    "recurring drill (every one would restore to the same instant, which falls "
                    "out of the repository's window); expected oldest or random, or run one drill "
                    "with pgdrill-bootstrap --recovery-target");
    assert_rejected(BASE "past: {target: newest}\n",
                    "4: past.target: \"newest\": expected oldest or random (\"\": none)");
    assert_rejected(BASE "past: {target: [random]}\n",
                    "4: past.target: expected a string, found a list");
    assert_rejected(BASE "past: {every: 10s}\n", "4: past.every: must be at least 60s");
    assert_rejected(BASE "past: random\n", "4: past: expected a mapping, found a scalar");
    assert_rejected(BASE "past: {evry: 1d}\n", "4: past.evry: unknown key");
    assert_rejected(BASE "scopes:\n  - match: a\n    past:\n      target: 2026-11-30\n",
                    "7: scopes[0].past.target: \"2026-11-30\": an instant makes no sense for a "
                    "recurring drill (every one would restore to the same instant, which falls "
                    "out of the repository's window); expected oldest or random, or run one drill "
                    "with pgdrill-bootstrap --recovery-target");
    assert_rejected(BASE "scopes:\n  - match: a\n  - match: b\n    past: {target: random, "
                         "evry: 1d}\n",
                    "7: scopes[1].past.evry: unknown key");
    assert_rejected(BASE "scopes:\n  - match: a\n    past:\n      every: 1d\n"
                         "      every: 2d\n",
                    "8: scopes[0].past.every: duplicate key (first set on line 7)");
}

static void test_errors(void **state)
{
    (void)state;
    assert_rejected("", "1: history_dsn: required key is missing");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\n",
                    "1: inventory: no source of clusters: set inventory.etcd.endpoints, "
                    "inventory.kubernetes or inventory.static");
    assert_rejected("history_dsn: dbname=x\ninventory:\n  static: []\nlaunch: {command: [a]}\n",
                    "2: inventory: no source of clusters: set inventory.etcd.endpoints, "
                    "inventory.kubernetes or inventory.static");
    assert_rejected("history_dsn: dbname=x\ninventory: {etcd: {endpoints: [http://e]}}\n",
                    "1: launch.command: no runner: set launch.command or launch.kubernetes");
    assert_rejected(BASE "evry: 1h\n", "4: evry: unknown key");
    assert_rejected(BASE "every: 1h\nevery: 2h\n", "5: every: duplicate key (first set on line 4)");
    assert_rejected(BASE "every: soon\n",
                    "4: every: invalid duration \"soon\": a duration must start with a digit "
                    "(e.g. 30s, 5m, 2h, or plain seconds)");
    assert_rejected(BASE "every: 10s\n", "4: every: must be at least 60s");
    assert_rejected(BASE "max_concurrent: 0\n", "4: max_concurrent: must be in range 1..1000");
    assert_rejected(BASE "max_concurrent: [1]\n",
                    "4: max_concurrent: expected an integer, found a list");
    assert_rejected("history_dsn: \"host='x\"\n",
                    "1: history_dsn: not a valid libpq connection string (key=value pairs or a "
                    "postgresql:// URI)");
    assert_rejected(BASE "window: 1-5\n",
                    "4: window: \"1-5\": expected HH:MM-HH:MM (UTC), such as 01:00-05:00 or "
                    "22:00-02:00");
    assert_rejected(BASE "stanza: \"{scpoe}\"\n",
                    "4: stanza: unknown placeholder \"{scpoe}\" (known: {scope}, {stanza}, "
                    "{test_id}, {source_host}, {source_port}, {leader}, {api_url}, {found_in}, "
                    "{drill_name}, {recovery_target}; \"{{\" for a brace)");
    assert_rejected(BASE "stanza: \"\"\n", "4: stanza: must not be empty");
    assert_rejected("history_dsn: dbname=x\ninventory: {etcd: {endpoints: [http://e]}}\n"
                    "launch:\n  command:\n    - start\n    - \"{test_id\"\n",
                    "6: launch.command: \"{test_id\": \"{\" without \"}\" (write \"{{\" for a "
                    "brace)");
    assert_rejected("history_dsn: dbname=x\ninventory: {etcd: {endpoints: [http://e]}}\n"
                    "launch:\n  command: [start, \"\"]\n",
                    "4: launch.command: list item must not be empty");
    assert_rejected("history_dsn: dbname=x\ninventory: {etcd: {endpoints: [e:2379]}}\n"
                    "launch: {command: [a]}\n",
                    "2: inventory.etcd.endpoints: \"e:2379\": expected an http:// or https:// URL");
    assert_rejected(BASE "inventory: {etcd: {endpoints: [http://e], namespace: service}}\n",
                    "4: inventory: duplicate key (first set on line 2)");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\n"
                    "inventory: {etcd: {endpoints: [http://e], namespace: service}}\n",
                    "3: inventory.etcd.namespace: \"service\": expected an absolute key prefix "
                    "such as /service");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\n"
                    "inventory: {etcd: {endpoints: [http://e], username: u}}\n",
                    "3: inventory.etcd.username: needs inventory.etcd.password_file too");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\n"
                    "inventory: {etcd: {endpoints: [http://e], key: /k}}\n",
                    "3: inventory.etcd.key: needs inventory.etcd.cert too");
    assert_rejected(BASE "launch_timeout: 12h\n",
                    "4: launch_timeout: must be shorter than stale_after (43200s): a launch would "
                    "count as dead before it could count as never started");
    assert_rejected(BASE "- a\n", "4: (yaml): did not find expected key while parsing a block "
                                  "mapping");
    assert_rejected("[1]\n", "1: (top level): expected a mapping of keys, found a list");
    assert_rejected("a: 1\n---\nb: 2\n", "2: (yaml): only one YAML document is allowed");
}

static void test_item_errors(void **state)
{
    (void)state;
    assert_rejected(BASE "scopes:\n  - every: 1h\n", "5: scopes[0].match: required key is missing");
    assert_rejected(BASE "scopes:\n  - match: a\n  - match: b\n    evry: 1h\n",
                    "7: scopes[1].evry: unknown key");
    assert_rejected(BASE "scopes:\n  - match: a\n    every: 1s\n",
                    "6: scopes[0].every: must be at least 60s");
    assert_rejected(BASE "scopes:\n  - match: a\n    match: b\n",
                    "6: scopes[0].match: duplicate key (first set on line 5)");
    assert_rejected(BASE "scopes:\n  - match: a\n    enabled: maybe\n",
                    "6: scopes[0].enabled: expected true or false, found \"maybe\"");
    assert_rejected(BASE "scopes:\n  - a\n", "5: scopes[0]: expected a mapping, found a scalar");
    assert_rejected(BASE "scopes: {match: a}\n", "4: scopes: expected a list of mappings, found a "
                                                 "mapping");
    assert_rejected(BASE "inventory:\n  static:\n    - {scope: a, host: h, port: 0}\n",
                    "4: inventory: duplicate key (first set on line 2)");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\ninventory:\n  static:\n"
                    "    - {scope: a, host: h, port: 0}\n",
                    "5: inventory.static[0].port: must be in range 1..65535");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\ninventory:\n  static:\n"
                    "    - {scope: a}\n",
                    "5: inventory.static[0].host: required key is missing");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\ninventory:\n  static:\n"
                    "    - {scope: a, host: h}\n    - {scope: a, host: i}\n",
                    "6: inventory.static: scope \"a\" is listed twice (first on line 5)");
    assert_rejected("history_dsn: dbname=x\nlaunch: {command: [a]}\ninventory:\n  static:\n"
                    "    - {scope: \"\", host: h}\n",
                    "5: inventory.static[0].scope: must not be empty");
}

/* A Job template next to the configuration file. */
static char template_path[] = "/tmp/pgdrill-test-fleet-job-XXXXXX";

static void write_template(const char *text)
{
    FILE *fp = fopen(template_path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

#define KUBE_CONFIG                                                                                \
    "history_dsn: dbname=x\n"                                                                      \
    "inventory:\n"                                                                                 \
    "  kubernetes:\n"                                                                              \
    "    namespace: db\n"                                                                          \
    "launch:\n"                                                                                    \
    "  kubernetes:\n"                                                                              \
    "    template: %s\n"

#define JOB                                                                                        \
    "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  backoffLimit: 0\n"             \
    "  template:\n    spec:\n      containers:\n        - name: c\n"                               \
    "          args: [\"{scope}\", \"sh -c 'echo ${HOME%%/}'\"]\n"

static void test_kubernetes(void **state)
{
    fleet_config cfg;
    char *text;

    (void)state;
    close(mkstemp(template_path));
    write_template(JOB);
    text = pgd_asprintf(KUBE_CONFIG, template_path);
    assert_accepted(text, &cfg);
    free(text);
    assert_true(cfg.inventory.kubernetes.enabled);
    assert_true(cfg.launch.kubernetes.enabled);
    assert_string_equal(cfg.inventory.kubernetes.namespace_name, "db");
    assert_int_equal(cfg.inventory.kubernetes.labels.count, 1);
    assert_string_equal(cfg.inventory.kubernetes.labels.items[0].name, "application");
    assert_string_equal(cfg.inventory.kubernetes.labels.items[0].value, "patroni");
    assert_string_equal(cfg.inventory.kubernetes.scope_label, "cluster-name");
    assert_false(cfg.inventory.kubernetes.use_endpoints);
    assert_string_equal(cfg.inventory.kubernetes.access.token_file,
                        "/var/run/secrets/kubernetes.io/serviceaccount/token");
    assert_string_equal(cfg.launch.kubernetes.namespace_name, "pgdrill");
    assert_int_equal(cfg.launch.kubernetes.retention, 86400);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(cfg.launch.kubernetes.job, "spec"), "backoffLimit")),
                     0);
    fleet_config_free(&cfg);

    /* no Kubernetes section: neither source nor runner */
    assert_accepted(BASE, &cfg);
    assert_false(cfg.inventory.kubernetes.enabled);
    assert_false(cfg.launch.kubernetes.enabled);
    fleet_config_free(&cfg);

    text = pgd_asprintf(KUBE_CONFIG "  command: [a]\n", template_path);
    assert_rejected(text, "6: launch.kubernetes: launch.command is set too: one runner only");
    free(text);
    assert_rejected("history_dsn: dbname=x\ninventory: {kubernetes: {labels: {}}}\n"
                    "launch: {command: [a]}\n",
                    "2: inventory.kubernetes.labels: an empty selector would take every object "
                    "of the namespace");
    assert_rejected("history_dsn: dbname=x\ninventory: {kubernetes: {labels: {a: \"b,c\"}}}\n"
                    "launch: {command: [a]}\n",
                    "2: inventory.kubernetes.labels: a: expected a label value (letters, digits, "
                    "'-', '_', '.')");
    assert_rejected(
        "history_dsn: dbname=x\ninventory: {kubernetes: {}}\nlaunch: {kubernetes: {}}\n",
        "3: launch.kubernetes.template: required key is missing");
    unlink(template_path);
}

static void test_kubernetes_template_errors(void **state)
{
    static const struct {
        const char *job;
        const char *reason;
    } cases[] = {
        {"kind: Job\n", "expected a Job (apiVersion batch/v1, kind Job)"},
        {"apiVersion: batch/v1\nkind: CronJob\n", "expected a Job (apiVersion batch/v1, kind Job)"},
        {"apiVersion: batch/v1\nkind: Job\nspec: {template: {spec: {containers: []}}}\n",
         "spec.template.spec.containers: expected a list of containers"},
        {"apiVersion: batch/v1\nkind: Job\nspec: {template: {spec: {containers: [{name: "
         "\"{scpoe}\"}]}}}\n",
         "spec.template.spec.containers[0].name: unknown placeholder \"{scpoe}\" (known: "
         "{scope}, {stanza}, {test_id}, {source_host}, {source_port}, {leader}, {api_url}, "
         "{found_in}, {drill_name}, {recovery_target})"},
        {"a: [1\n", NULL},
    };

    (void)state;
    close(mkstemp(template_path));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fleet_config cfg;
        char *text = pgd_asprintf(KUBE_CONFIG, template_path);
        char *errmsg;

        write_template(cases[i].job);
        errmsg = load(text, &cfg);
        assert_non_null(errmsg);
        assert_non_null(strstr(errmsg, ":7: launch.kubernetes.template: "));
        assert_non_null(strstr(errmsg, template_path));
        if (cases[i].reason != NULL && strstr(errmsg, cases[i].reason) == NULL)
            fail_msg("%s lacks %s", errmsg, cases[i].reason);
        free(errmsg);
        free(text);
    }
    unlink(template_path);
    {
        fleet_config cfg;
        char *text = pgd_asprintf(KUBE_CONFIG, template_path);
        char *errmsg = load(text, &cfg);

        assert_non_null(strstr(errmsg, ":7: launch.kubernetes.template: could not open"));
        free(errmsg);
        free(text);
    }
}

/* The password of history_dsn is masked from then on. */
static void test_secrets_registered(void **state)
{
    fleet_config cfg;
    char *masked;

    (void)state;
    assert_accepted("history_dsn: \"dbname=x password=fleet-Secret-1\"\n"
                    "inventory: {etcd: {endpoints: [http://e]}}\nlaunch: {command: [a]}\n",
                    &cfg);
    masked = pgd_secret_mask("failed with fleet-Secret-1");
    assert_string_equal(masked, "failed with ********");
    free(masked);
    fleet_config_free(&cfg);
}

static void test_path(void **state)
{
    (void)state;
    unsetenv("PGDRILL_FLEET_CONFIG");
    assert_string_equal(fleet_config_path(NULL), "/etc/pgdrill/fleet.yml");
    setenv("PGDRILL_FLEET_CONFIG", "/x.yml", 1);
    assert_string_equal(fleet_config_path(NULL), "/x.yml");
    assert_string_equal(fleet_config_path("/y.yml"), "/y.yml");
    unsetenv("PGDRILL_FLEET_CONFIG");
}

/* The README's table "| `pgdrill-fleet` key | default | meaning |" is the key table, row by row. */
static void test_readme_table(void **state)
{
    readme_table t;
    size_t n = fleet_config_doc_count();

    (void)state;
    readme_table_load(&t, "| `pgdrill-fleet` key | default | meaning |", 3);
    assert_int_equal((size_t)t.rows, n);
    for (size_t i = 0; i < n; i++) {
        fleet_config_key_doc doc = fleet_config_doc(i);
        char *key = pgd_asprintf("`%s`", doc.key);

        assert_string_equal(t.cell[i][0], key);
        assert_string_equal(t.cell[i][1], doc.shown_default);
        assert_string_equal(t.cell[i][2], doc.meaning);
        free(key);
    }
    assert_null(fleet_config_doc(n).key);
    readme_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_issue_example, clear_secrets),
        cmocka_unit_test_teardown(test_namespace_and_lists, clear_secrets),
        cmocka_unit_test_teardown(test_static_clusters, clear_secrets),
        cmocka_unit_test_teardown(test_policies, clear_secrets),
        cmocka_unit_test_teardown(test_past_targets, clear_secrets),
        cmocka_unit_test_teardown(test_errors, clear_secrets),
        cmocka_unit_test_teardown(test_item_errors, clear_secrets),
        cmocka_unit_test_teardown(test_secrets_registered, clear_secrets),
        cmocka_unit_test_teardown(test_kubernetes, clear_secrets),
        cmocka_unit_test_teardown(test_kubernetes_template_errors, clear_secrets),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_readme_table),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
