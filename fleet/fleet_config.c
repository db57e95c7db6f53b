/*
 * fleet_config.c - load and validate fleet.yml with libyaml (fleet_config.h).
 *
 * The same habits as common/drill/config.c: one table of keys drives parsing, defaults,
 * freeing, the unknown-key check and the README's table; libyaml's document API gives
 * every node its line.
 */
#include "fleet_config.h"

#include "conninfo.h"
#include "duration.h"
#include "fsutil.h"
#include "kube.h"
#include "secret.h"
#include "template.h"
#include "xalloc.h"
#include "yamljson.h"

#include <yaml.h>

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_MAX_BYTES (1024 * 1024)

typedef enum key_kind {
    K_SECTION,  /* a mapping of further keys */
    K_STRING,   /* any string */
    K_TEMPLATE, /* a string with placeholders (template.h) */
    K_CONNINFO, /* a libpq connection string */
    K_DURATION, /* seconds */
    K_INT,      /* an integer within [min, max] */
    K_BOOL,
    K_WINDOW,   /* "HH:MM-HH:MM", or "" */
    K_PAST,     /* a past recovery target for recurring drills: oldest, random, or "" */
    K_URLS,     /* a list of http(s) URLs */
    K_ARGV,     /* a list of strings with placeholders: a command without a shell */
    K_ITEMS,    /* a list of mappings whose keys are the rows "<path>[].<key>" */
    K_LABELS,   /* a mapping of Kubernetes label names to values */
    K_NAMESPACE /* Patroni's namespace: "/service" */
} key_kind;

typedef struct key_spec {
    const char *path;
    size_t offset; /* in fleet_config, or in the item for "<list>[].<key>" rows */
    long min;
    long max;
    size_t item_size; /* K_ITEMS */
    const char *shown_default;
    const char *meaning;
    key_kind kind;
    bool required;
} key_spec;

#define AT(member)       offsetof(fleet_config, member)
#define IN(type, member) offsetof(type, member)
#define DAY              (24L * 3600)
#define MAX_PORT         65535
#define MAX_CONCURRENT   1000

static const key_spec keys[] = {
    {.path = "history_dsn",
     .kind = K_CONNINFO,
     .offset = AT(history_dsn),
     .required = true,
     .shown_default = "— (required)",
     .meaning = "libpq conninfo of the status history, the drills' `report.history_dsn` (the "
                "same database, or no drill is seen); no password (use `passfile=`)"},
    {.path = "every",
     .kind = K_DURATION,
     .offset = AT(every),
     .min = 60,
     .max = 366 * DAY,
     .shown_default = "`24h`",
     .meaning = "how often each scope must be proven: due when its last passing drill ended "
                "longer ago"},
    {.path = "retry_after",
     .kind = K_DURATION,
     .offset = AT(retry_after),
     .min = 10,
     .max = 366 * DAY,
     .shown_default = "`1h`",
     .meaning = "after a failed or inconclusive drill, the time before the scope's next drill "
                "(whatever the age of its last proof: no drill loop)"},
    {.path = "window",
     .kind = K_WINDOW,
     .offset = AT(window),
     .shown_default = "`\"\"` (any time)",
     .meaning = "`HH:MM-HH:MM`, UTC: drills start only inside it (`22:00-02:00` spans "
                "midnight); a drill may run past its end"},
    {.path = "past", .kind = K_SECTION},
    {.path = "past.target",
     .kind = K_PAST,
     .offset = AT(past_target),
     .shown_default = "`\"\"` (none)",
     .meaning = "`oldest` or `random`: besides the drills to `latest`, each scope is also drilled "
                "to this past recovery target (bootstrap's `--recovery-target`) every "
                "`past.every`; judged apart from the latest drills ([Mixing recovery "
                "targets](#mixing-recovery-targets))"},
    {.path = "past.every",
     .kind = K_DURATION,
     .offset = AT(past_every),
     .min = 60,
     .max = 366 * DAY,
     .shown_default = "`7d`",
     .meaning = "how often each scope must be proven to `past.target`: due when its last passing "
                "drill to a past target ended longer ago"},
    {.path = "stanza",
     .kind = K_TEMPLATE,
     .offset = AT(stanza),
     .shown_default = "`{scope}`",
     .meaning = "the stanza of a scope's backups (placeholders as in `launch.command`)"},
    {.path = "max_concurrent",
     .kind = K_INT,
     .offset = AT(max_concurrent),
     .min = 1,
     .max = MAX_CONCURRENT,
     .shown_default = "`1`",
     .meaning = "fleet-wide cap on drills in progress: the deployer's launches and drills "
                "started by hand count alike (bootstrap's admission rule)"},
    {.path = "stale_after",
     .kind = K_DURATION,
     .offset = AT(stale_after),
     .min = 60,
     .max = 366 * DAY,
     .shown_default = "`12h`",
     .meaning = "a drill \"in progress\" for longer counts as dead, not running; the drills' "
                "`report.stale_after`"},
    {.path = "launch_timeout",
     .kind = K_DURATION,
     .offset = AT(launch_timeout),
     .min = 10,
     .max = 366 * DAY,
     .shown_default = "`30m`",
     .meaning = "a launch whose drill wrote no status row within this ends `never_started` "
                "(inconclusive) and stops counting against the cap"},
    {.path = "tick",
     .kind = K_DURATION,
     .offset = AT(tick),
     .min = 1,
     .max = DAY,
     .shown_default = "`5m`",
     .meaning = "`watch`: the time from the start of one pass to the start of the next"},
    {.path = "metrics_file",
     .kind = K_STRING,
     .offset = AT(metrics_file),
     .shown_default = "`\"\"` (off)",
     .meaning = "Prometheus textfile-collector file replaced after every pass of `run` and "
                "`watch`, e.g. `/var/lib/node_exporter/textfile/pgdrill-fleet.prom` ([The "
                "fleet's metrics and alerts](#the-fleets-metrics-and-alerts))"},
    {.path = "scopes",
     .kind = K_ITEMS,
     .offset = AT(scopes),
     .item_size = sizeof(fleet_scope_policy),
     .shown_default = "`[]`",
     .meaning = "settings by scope name: the first entry whose `match` fits a scope applies to "
                "it, the top level's keys fill in"},
    {.path = "scopes[].match",
     .kind = K_STRING,
     .offset = IN(fleet_scope_policy, match),
     .required = true,
     .shown_default = "— (required)",
     .meaning = "a shell pattern on the scope (`orders`, `orders-*`, `*`)"},
    {.path = "scopes[].stanza",
     .kind = K_TEMPLATE,
     .offset = IN(fleet_scope_policy, stanza),
     .shown_default = "`stanza`",
     .meaning = "the stanza of the matching scopes"},
    {.path = "scopes[].every",
     .kind = K_DURATION,
     .offset = IN(fleet_scope_policy, every),
     .min = 60,
     .max = 366 * DAY,
     .shown_default = "`every`",
     .meaning = "how often they must be proven"},
    {.path = "scopes[].retry_after",
     .kind = K_DURATION,
     .offset = IN(fleet_scope_policy, retry_after),
     .min = 10,
     .max = 366 * DAY,
     .shown_default = "`retry_after`",
     .meaning = "their time after a failed or inconclusive drill"},
    {.path = "scopes[].window",
     .kind = K_WINDOW,
     .offset = IN(fleet_scope_policy, window),
     .shown_default = "`window`",
     .meaning = "their window (`\"\"`: any time)"},
    {.path = "scopes[].past", .kind = K_SECTION},
    {.path = "scopes[].past.target",
     .kind = K_PAST,
     .offset = IN(fleet_scope_policy, past_target),
     .shown_default = "`past.target`",
     .meaning = "their past recovery target (`\"\"`: none)"},
    {.path = "scopes[].past.every",
     .kind = K_DURATION,
     .offset = IN(fleet_scope_policy, past_every),
     .min = 60,
     .max = 366 * DAY,
     .shown_default = "`past.every`",
     .meaning = "how often they must be proven to it"},
    {.path = "scopes[].enabled",
     .kind = K_BOOL,
     .offset = IN(fleet_scope_policy, enabled),
     .shown_default = "`true`",
     .meaning = "`false`: never drilled (plan says `disabled`); a way to leave out the drills' "
                "own Patroni scopes when they share the namespace"},
    {.path = "inventory", .kind = K_SECTION},
    {.path = "inventory.etcd", .kind = K_SECTION},
    {.path = "inventory.etcd.endpoints",
     .kind = K_URLS,
     .offset = AT(inventory.etcd.endpoints),
     .shown_default = "`[]` (off)",
     .meaning = "etcd's client URLs (`http://` or `https://`), asked in turn until one answers; "
                "etcd 3.4 or later, its v3 JSON gateway (`/v3/kv/range`), as Patroni's `etcd3`"},
    {.path = "inventory.etcd.namespace",
     .kind = K_NAMESPACE,
     .offset = AT(inventory.etcd.namespace_prefix),
     .shown_default = "`/service`",
     .meaning = "Patroni's `namespace`: every scope below it is a cluster of the fleet"},
    {.path = "inventory.etcd.cacert",
     .kind = K_STRING,
     .offset = AT(inventory.etcd.cacert),
     .shown_default = "`\"\"` (system CAs)",
     .meaning = "CA bundle for etcd's TLS (Patroni's `cacert`); verification is always on"},
    {.path = "inventory.etcd.cert",
     .kind = K_STRING,
     .offset = AT(inventory.etcd.cert),
     .shown_default = "`\"\"`",
     .meaning = "client certificate (Patroni's `cert`)"},
    {.path = "inventory.etcd.key",
     .kind = K_STRING,
     .offset = AT(inventory.etcd.key),
     .shown_default = "`\"\"`",
     .meaning = "its private key (Patroni's `key`)"},
    {.path = "inventory.etcd.username",
     .kind = K_STRING,
     .offset = AT(inventory.etcd.username),
     .shown_default = "`\"\"` (no authentication)",
     .meaning = "etcd user (Patroni's `username`); needs `password_file`"},
    {.path = "inventory.etcd.password_file",
     .kind = K_STRING,
     .offset = AT(inventory.etcd.password_file),
     .shown_default = "`\"\"`",
     .meaning = "file holding that user's password (read at each pass, never logged)"},
    {.path = "inventory.etcd.timeout",
     .kind = K_DURATION,
     .offset = AT(inventory.etcd.timeout),
     .min = 1,
     .max = 3600,
     .shown_default = "`10s`",
     .meaning = "connect and total timeout of each request to etcd"},
    {.path = "inventory.kubernetes", .kind = K_SECTION},
    {.path = "inventory.kubernetes.namespace",
     .kind = K_STRING,
     .offset = AT(inventory.kubernetes.namespace_name),
     .shown_default = "`default`",
     .meaning = "the namespace of Patroni's objects (Patroni's `kubernetes.namespace`); the "
                "section being there turns this source on"},
    {.path = "inventory.kubernetes.labels",
     .kind = K_LABELS,
     .offset = AT(inventory.kubernetes.labels),
     .shown_default = "`{application: patroni}`",
     .meaning = "Patroni's `kubernetes.labels`: the pods and ConfigMaps (or Endpoints) of every "
                "cluster of the fleet carry them"},
    {.path = "inventory.kubernetes.scope_label",
     .kind = K_STRING,
     .offset = AT(inventory.kubernetes.scope_label),
     .shown_default = "`cluster-name`",
     .meaning = "Patroni's `kubernetes.scope_label`: the label that names an object's scope"},
    {.path = "inventory.kubernetes.use_endpoints",
     .kind = K_BOOL,
     .offset = AT(inventory.kubernetes.use_endpoints),
     .shown_default = "`false`",
     .meaning = "Patroni's `kubernetes.use_endpoints`: the leader is in Endpoints `<scope>`, "
                "not in the ConfigMap `<scope>-leader`"},
    {.path = "inventory.kubernetes.api_url",
     .kind = K_STRING,
     .offset = AT(inventory.kubernetes.access.api_url),
     .shown_default = "`\"\"` (in-cluster)",
     .meaning = "the API server; in a pod: `https://$KUBERNETES_SERVICE_HOST:"
                "$KUBERNETES_SERVICE_PORT`"},
    {.path = "inventory.kubernetes.token_file",
     .kind = K_STRING,
     .offset = AT(inventory.kubernetes.access.token_file),
     .shown_default = "the pod's service account token",
     .meaning = "bearer token file (`/var/run/secrets/kubernetes.io/serviceaccount/token`); "
                "read at each pass, never logged; `\"\"`: none"},
    {.path = "inventory.kubernetes.ca_file",
     .kind = K_STRING,
     .offset = AT(inventory.kubernetes.access.ca_file),
     .shown_default = "the pod's service account CA",
     .meaning = "CA bundle of the API server "
                "(`/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`); verification is "
                "always on"},
    {.path = "inventory.kubernetes.timeout",
     .kind = K_DURATION,
     .offset = AT(inventory.kubernetes.access.timeout),
     .min = 1,
     .max = 3600,
     .shown_default = "`10s`",
     .meaning = "connect and total timeout of each request"},
    {.path = "inventory.static",
     .kind = K_ITEMS,
     .offset = AT(inventory.static_clusters),
     .item_size = sizeof(fleet_static_cluster),
     .shown_default = "`[]`",
     .meaning = "clusters named here, in a DCS or not"},
    {.path = "inventory.static[].scope",
     .kind = K_STRING,
     .offset = IN(fleet_static_cluster, scope),
     .required = true,
     .shown_default = "— (required)",
     .meaning = "the cluster's scope"},
    {.path = "inventory.static[].host",
     .kind = K_STRING,
     .offset = IN(fleet_static_cluster, host),
     .required = true,
     .shown_default = "— (required)",
     .meaning = "its primary's host (a DCS's leader comes first when it knows the scope)"},
    {.path = "inventory.static[].port",
     .kind = K_INT,
     .offset = IN(fleet_static_cluster, port),
     .min = 1,
     .max = MAX_PORT,
     .shown_default = "`5432`",
     .meaning = "... and port"},
    {.path = "inventory.static[].stanza",
     .kind = K_TEMPLATE,
     .offset = IN(fleet_static_cluster, stanza),
     .shown_default = "the policy's",
     .meaning = "its stanza"},
    {.path = "launch", .kind = K_SECTION},
    {.path = "launch.command",
     .kind = K_ARGV,
     .offset = AT(launch.command),
     .shown_default = "`[]`",
     .meaning = "the command runner: an argv template (no shell), `{scope}`, `{stanza}`, "
                "`{test_id}`, `{source_host}`, `{source_port}`, `{leader}`, `{api_url}`, "
                "`{found_in}`, `{drill_name}`, `{recovery_target}` replaced; it starts a drill "
                "and exits 0"},
    {.path = "launch.cleanup",
     .kind = K_ARGV,
     .offset = AT(launch.cleanup),
     .shown_default = "`[]` (none)",
     .meaning = "run once per drill after it ended (and after `never_started`), the same "
                "placeholders; must be idempotent"},
    {.path = "launch.timeout",
     .kind = K_DURATION,
     .offset = AT(launch.timeout),
     .min = 1,
     .max = DAY,
     .shown_default = "`5m`",
     .meaning = "bound of each command: then its process group is killed and the launch "
                "recorded `launch_failed`"},
    {.path = "launch.kubernetes", .kind = K_SECTION},
    {.path = "launch.kubernetes.template",
     .kind = K_STRING,
     .offset = AT(launch.kubernetes.template_file),
     .shown_default = "— (required)",
     .meaning = "the Kubernetes runner: a Job manifest (YAML); `{scope}`, `{test_id}`, "
                "`{drill_name}` ... in its strings are replaced, other braces stay; loaded and "
                "checked with the configuration"},
    {.path = "launch.kubernetes.namespace",
     .kind = K_STRING,
     .offset = AT(launch.kubernetes.namespace_name),
     .shown_default = "`pgdrill`",
     .meaning = "where the drills' Jobs are created"},
    {.path = "launch.kubernetes.retention",
     .kind = K_DURATION,
     .offset = AT(launch.kubernetes.retention),
     .min = 0,
     .max = 366 * DAY,
     .shown_default = "`24h`",
     .meaning = "a finished Job is deleted this long after it ended, with the Patroni DCS "
                "objects its drill's scope (`{drill_name}`) left in the namespace"},
    {.path = "launch.kubernetes.scope_label",
     .kind = K_STRING,
     .offset = AT(launch.kubernetes.scope_label),
     .shown_default = "`cluster-name`",
     .meaning = "the drills' Patroni `kubernetes.scope_label`: the label of those DCS objects"},
    {.path = "launch.kubernetes.api_url",
     .kind = K_STRING,
     .offset = AT(launch.kubernetes.access.api_url),
     .shown_default = "`\"\"` (in-cluster)",
     .meaning = "as `inventory.kubernetes.api_url`"},
    {.path = "launch.kubernetes.token_file",
     .kind = K_STRING,
     .offset = AT(launch.kubernetes.access.token_file),
     .shown_default = "the pod's service account token",
     .meaning = "as `inventory.kubernetes.token_file`"},
    {.path = "launch.kubernetes.ca_file",
     .kind = K_STRING,
     .offset = AT(launch.kubernetes.access.ca_file),
     .shown_default = "the pod's service account CA",
     .meaning = "as `inventory.kubernetes.ca_file`"},
    {.path = "launch.kubernetes.timeout",
     .kind = K_DURATION,
     .offset = AT(launch.kubernetes.access.timeout),
     .min = 1,
     .max = 3600,
     .shown_default = "`10s`",
     .meaning = "connect and total timeout of each request"},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

typedef struct loader {
    const char *path;
    fleet_config *cfg;
    yaml_document_t doc;
    char *errmsg;
    int seen_line[N_KEYS]; /* top-level keys: 0 = not in the file */
} loader;

static void kube_access_defaults(fleet_kube_access *access)
{
    access->api_url = pgd_strdup("");
    access->token_file = pgd_strdup(FLEET_KUBE_TOKEN_FILE);
    access->ca_file = pgd_strdup(FLEET_KUBE_CA_FILE);
    access->timeout = 10;
}

static void set_defaults(fleet_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->every = DAY;
    cfg->retry_after = 3600;
    cfg->window = pgd_strdup("");
    cfg->past_target = pgd_strdup("");
    cfg->past_every = 7 * DAY;
    cfg->stanza = pgd_strdup("{scope}");
    cfg->max_concurrent = 1;
    cfg->stale_after = 12 * 3600;
    cfg->launch_timeout = 30 * 60;
    cfg->tick = 5 * 60;
    cfg->metrics_file = pgd_strdup("");
    cfg->inventory.etcd.namespace_prefix = pgd_strdup("/service/");
    cfg->inventory.etcd.cacert = pgd_strdup("");
    cfg->inventory.etcd.cert = pgd_strdup("");
    cfg->inventory.etcd.key = pgd_strdup("");
    cfg->inventory.etcd.username = pgd_strdup("");
    cfg->inventory.etcd.password_file = pgd_strdup("");
    cfg->inventory.etcd.timeout = 10;
    cfg->launch.timeout = 5 * 60;
    cfg->inventory.kubernetes.namespace_name = pgd_strdup("default");
    cfg->inventory.kubernetes.labels.items = pgd_calloc(1, sizeof(fleet_label));
    cfg->inventory.kubernetes.labels.items[0].name = pgd_strdup("application");
    cfg->inventory.kubernetes.labels.items[0].value = pgd_strdup("patroni");
    cfg->inventory.kubernetes.labels.count = 1;
    cfg->inventory.kubernetes.scope_label = pgd_strdup("cluster-name");
    cfg->launch.kubernetes.namespace_name = pgd_strdup("pgdrill");
    cfg->launch.kubernetes.retention = DAY;
    cfg->launch.kubernetes.scope_label = pgd_strdup("cluster-name");
    kube_access_defaults(&cfg->inventory.kubernetes.access);
    kube_access_defaults(&cfg->launch.kubernetes.access);
}

/* Defaults of a new list item. */
static void set_item_defaults(const key_spec *list, void *item)
{
    if (list->offset == AT(scopes))
        ((fleet_scope_policy *)item)->enabled = true;
    else
        ((fleet_static_cluster *)item)->port = 5432;
}

static bool is_item_key(const key_spec *spec)
{
    return strstr(spec->path, "[].") != NULL;
}

/* The rows of list's items: "<list>[].<key>". */
static bool belongs_to(const key_spec *spec, const key_spec *list)
{
    size_t n = strlen(list->path);

    return strncmp(spec->path, list->path, n) == 0 && strncmp(spec->path + n, "[].", 3) == 0;
}

static void *field(void *base, const key_spec *spec)
{
    return (char *)base + spec->offset;
}

static void strlist_free(fleet_strlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof(*list));
}

static void free_value(void *base, const key_spec *spec);

static void labels_free(fleet_labels *labels)
{
    for (size_t i = 0; i < labels->count; i++) {
        free(labels->items[i].name);
        free(labels->items[i].value);
    }
    free(labels->items);
    memset(labels, 0, sizeof(*labels));
}

static void items_free(const key_spec *list, fleet_list *items)
{
    for (size_t i = 0; i < items->count; i++) {
        void *item = (char *)items->data + i * list->item_size;

        for (size_t k = 0; k < N_KEYS; k++) {
            if (belongs_to(&keys[k], list))
                free_value(item, &keys[k]);
        }
    }
    free(items->data);
    memset(items, 0, sizeof(*items));
}

static void free_value(void *base, const key_spec *spec)
{
    switch (spec->kind) {
    case K_STRING:
    case K_TEMPLATE:
    case K_CONNINFO:
    case K_WINDOW:
    case K_PAST:
    case K_NAMESPACE:
        free(*(char **)field(base, spec));
        *(char **)field(base, spec) = NULL;
        break;
    case K_URLS:
    case K_ARGV:
        strlist_free(field(base, spec));
        break;
    case K_ITEMS:
        items_free(spec, field(base, spec));
        break;
    case K_LABELS:
        labels_free(field(base, spec));
        break;
    case K_SECTION:
    case K_DURATION:
    case K_INT:
    case K_BOOL:
        break;
    }
}

void fleet_config_free(fleet_config *cfg)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (!is_item_key(&keys[i]))
            free_value(cfg, &keys[i]);
    }
    json_decref(cfg->launch.kubernetes.job);
    free(cfg->path);
    free(cfg->key_lines);
    memset(cfg, 0, sizeof(*cfg));
}

const char *fleet_config_path(const char *from_option)
{
    const char *env = getenv("PGDRILL_FLEET_CONFIG");

    if (from_option != NULL && from_option[0] != '\0')
        return from_option;
    if (env != NULL && env[0] != '\0')
        return env;
    return FLEET_DEFAULT_CONFIG_PATH;
}

static int node_line(const yaml_node_t *node)
{
    return (int)node->start_mark.line + 1;
}

static bool fail(loader *ld, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail(loader *ld, int line, const char *key, const char *fmt, ...)
{
    va_list ap;
    char *reason;

    va_start(ap, fmt);
    reason = pgd_vasprintf(fmt, ap);
    va_end(ap);
    free(ld->errmsg);
    ld->errmsg = pgd_asprintf("%s:%d: %s: %s", ld->path, line, key, reason);
    free(reason);
    return false;
}

static const char *scalar_text(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static bool is_null_scalar(const yaml_node_t *node)
{
    const char *text;

    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    text = scalar_text(node);
    return text[0] == '\0' || strcmp(text, "~") == 0 || strcasecmp(text, "null") == 0;
}

static const char *node_type_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_NO_NODE:
        break;
    }
    return "nothing";
}

static const key_spec *find_key(const char *path, size_t *index)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].path, path) == 0) {
            *index = i;
            return &keys[i];
        }
    }
    return NULL;
}

/* A scalar's text; false (with the error) for a mapping or list. */
static bool scalar(loader *ld, const char *key, const yaml_node_t *value, int line,
                   const char *what, const char **text)
{
    if (value->type != YAML_SCALAR_NODE)
        return fail(ld, line, key, "expected %s, found %s", what, node_type_name(value));
    *text = is_null_scalar(value) ? "" : scalar_text(value);
    return true;
}

static bool parse_long(const char *text, long *out)
{
    char *end;

    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return false;
    errno = 0;
    *out = strtol(text, &end, 10);
    return errno == 0 && *end == '\0';
}

/*
 * A past recovery target for recurring drills (bootstrap's recovery.target minus latest and
 * instants): oldest, random, or "" for none.
 */
static bool past_target_ok(const char *text, const char **why)
{
    if (text[0] == '\0' || strcmp(text, "oldest") == 0 || strcmp(text, "random") == 0)
        return true;
    if (strcmp(text, "latest") == 0)
        *why = "every drill of the fleet not to a past target is latest already; expected oldest "
               "or random (\"\": none)";
    else if (isdigit((unsigned char)text[0]))
        *why = "an instant makes no sense for a recurring drill (every one would restore to the "
               "same instant, which falls out of the repository's window); expected oldest or "
               "random, or run one drill with pgdrill-bootstrap --recovery-target";
    else
        *why = "expected oldest or random (\"\": none)";
    return false;
}

static bool apply_string(loader *ld, const key_spec *spec, const char *key, void *base,
                         const yaml_node_t *value, int line)
{
    const char *text;
    char *why = NULL;
    const char *reason = NULL;
    fleet_window window;
    char **slot = field(base, spec);

    if (!scalar(ld, key, value, line, "a string", &text))
        return false;
    if ((spec->required || spec->kind == K_TEMPLATE) && text[0] == '\0')
        return fail(ld, line, key, "must not be empty");
    if (spec->kind == K_CONNINFO) {
        if (!pgd_conninfo_valid(text))
            return fail(ld, line, key,
                        "not a valid libpq connection string (key=value pairs or a "
                        "postgresql:// URI)");
        /* What the file says is secret stays out of every line we print from now on. */
        pgd_conninfo_register_secrets(text);
    }
    if (spec->kind == K_TEMPLATE && !fleet_template_check(text, &why)) {
        fail(ld, line, key, "%s", why);
        free(why);
        return false;
    }
    if (spec->kind == K_WINDOW && !fleet_window_parse(text, &window, &reason))
        return fail(ld, line, key, "\"%s\": %s", text, reason);
    if (spec->kind == K_PAST && !past_target_ok(text, &reason))
        return fail(ld, line, key, "\"%s\": %s", text, reason);
    if (spec->kind == K_NAMESPACE) {
        size_t len = strlen(text);

        if (text[0] != '/' || strstr(text, "//") != NULL)
            return fail(ld, line, key, "\"%s\": expected an absolute key prefix such as /service",
                        text);
        free(*slot);
        *slot = pgd_asprintf("%.*s/", (int)(len > 1 && text[len - 1] == '/' ? len - 1 : len),
                             len == 1 ? "" : text);
        return true;
    }
    free(*slot);
    *slot = pgd_strdup(text);
    return true;
}

static bool apply_number(loader *ld, const key_spec *spec, const char *key, void *base,
                         const yaml_node_t *value, int line)
{
    const char *text;
    long number;

    if (spec->kind == K_DURATION) {
        const char *reason;

        if (!scalar(ld, key, value, line, "a duration such as 30s, 5m or 2h", &text))
            return false;
        if (!pgd_parse_duration(text, &number, &reason))
            return fail(ld, line, key, "invalid duration \"%s\": %s", text, reason);
        if (number < spec->min)
            return fail(ld, line, key, "must be at least %lds", spec->min);
        if (number > spec->max)
            return fail(ld, line, key, "must be at most %lds", spec->max);
    } else {
        if (!scalar(ld, key, value, line, "an integer", &text))
            return false;
        if (!parse_long(text, &number))
            return fail(ld, line, key, "expected an integer, found \"%s\"", text);
        if (number < spec->min || number > spec->max)
            return fail(ld, line, key, "must be in range %ld..%ld", spec->min, spec->max);
    }
    *(long *)field(base, spec) = number;
    return true;
}

static bool apply_bool(loader *ld, const key_spec *spec, const char *key, void *base,
                       const yaml_node_t *value, int line)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    const char *text;

    if (!scalar(ld, key, value, line, "true or false", &text))
        return false;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *(bool *)field(base, spec) = strcasecmp(text, yes[i]) == 0;
            return true;
        }
    }
    return fail(ld, line, key, "expected true or false, found \"%s\"", text);
}

/* A list of strings: URLs or an argv template. */
static bool apply_strlist(loader *ld, const key_spec *spec, const char *key, void *base,
                          const yaml_node_t *value, int line)
{
    fleet_strlist *list = field(base, spec);

    strlist_free(list);
    if (is_null_scalar(value))
        return true;
    if (value->type != YAML_SEQUENCE_NODE)
        return fail(ld, line, key, "expected a list of strings, found %s", node_type_name(value));
    for (yaml_node_item_t *it = value->data.sequence.items.start;
         it < value->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(&ld->doc, *it);
        int item_line = node_line(item);
        const char *text;
        char *why = NULL;

        if (item->type != YAML_SCALAR_NODE)
            return fail(ld, item_line, key, "list item: expected a string, found %s",
                        node_type_name(item));
        text = scalar_text(item);
        if (text[0] == '\0')
            return fail(ld, item_line, key, "list item must not be empty");
        if (spec->kind == K_URLS && strncmp(text, "https://", 8) != 0 &&
            strncmp(text, "http://", 7) != 0)
            return fail(ld, item_line, key, "\"%s\": expected an http:// or https:// URL", text);
        if (spec->kind == K_ARGV && !fleet_template_check(text, &why)) {
            fail(ld, item_line, key, "\"%s\": %s", text, why);
            free(why);
            return false;
        }
        list->items = pgd_realloc(list->items, (list->count + 2) * sizeof(*list->items));
        list->items[list->count++] = pgd_strdup(text);
        list->items[list->count] = NULL; /* an argv, NULL-terminated */
    }
    return true;
}

static bool walk_mapping(loader *ld, const yaml_node_t *map, const char *prefix,
                         const char *shown_prefix, void *base, fleet_item_head *item);

/* Kubernetes' label syntax, loosely: a selector built from these must not be ambiguous. */
static bool label_text_ok(const char *text, bool is_name)
{
    if (text[0] == '\0' || strlen(text) > 253)
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && strchr(is_name ? "-._/" : "-._", *p) == NULL)
            return false;
    }
    return true;
}

static bool apply_labels(loader *ld, const key_spec *spec, const char *key, void *base,
                         const yaml_node_t *value, int line)
{
    fleet_labels *labels = field(base, spec);

    labels_free(labels);
    if (value->type != YAML_MAPPING_NODE)
        return fail(ld, line, key, "expected a mapping of label names to values, found %s",
                    node_type_name(value));
    for (yaml_node_pair_t *pair = value->data.mapping.pairs.start;
         pair < value->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(&ld->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&ld->doc, pair->value);
        fleet_label *label;

        if (k->type != YAML_SCALAR_NODE || !label_text_ok(scalar_text(k), true))
            return fail(ld, node_line(k), key, "not a label name");
        if (v->type != YAML_SCALAR_NODE || !label_text_ok(scalar_text(v), false))
            return fail(ld, node_line(k), key,
                        "%s: expected a label value (letters, digits, "
                        "'-', '_', '.')",
                        scalar_text(k));
        for (size_t i = 0; i < labels->count; i++) {
            if (strcmp(labels->items[i].name, scalar_text(k)) == 0)
                return fail(ld, node_line(k), key, "%s: duplicate label", scalar_text(k));
        }
        labels->items = pgd_realloc(labels->items, (labels->count + 1) * sizeof(*label));
        label = &labels->items[labels->count++];
        label->name = pgd_strdup(scalar_text(k));
        label->value = pgd_strdup(scalar_text(v));
    }
    if (labels->count == 0)
        return fail(ld, line, key, "an empty selector would take every object of the namespace");
    return true;
}

static bool apply_items(loader *ld, const key_spec *spec, const char *key, void *base,
                        const yaml_node_t *value, int line)
{
    fleet_list *list = field(base, spec);
    size_t index = 0;

    items_free(spec, list);
    if (is_null_scalar(value))
        return true;
    if (value->type != YAML_SEQUENCE_NODE)
        return fail(ld, line, key, "expected a list of mappings, found %s", node_type_name(value));
    for (yaml_node_item_t *it = value->data.sequence.items.start;
         it < value->data.sequence.items.top; it++, index++) {
        yaml_node_t *node = yaml_document_get_node(&ld->doc, *it);
        char *prefix = pgd_asprintf("%s[]", spec->path);
        char *shown = pgd_asprintf("%s[%zu]", key, index);
        void *item;
        bool ok;

        list->data = pgd_realloc(list->data, (list->count + 1) * spec->item_size);
        item = (char *)list->data + list->count++ * spec->item_size;
        memset(item, 0, spec->item_size);
        set_item_defaults(spec, item);
        ((fleet_item_head *)item)->line = node_line(node);
        if (node->type != YAML_MAPPING_NODE)
            ok = fail(ld, node_line(node), shown, "expected a mapping, found %s",
                      node_type_name(node));
        else
            ok = walk_mapping(ld, node, prefix, shown, item, item);
        /* every required key of the item */
        for (size_t k = 0, bit = 0; ok && k < N_KEYS; k++) {
            if (!belongs_to(&keys[k], spec))
                continue;
            if (keys[k].required && !(((fleet_item_head *)item)->set & (1U << bit))) {
                char *name = pgd_asprintf("%s%s", shown, strrchr(keys[k].path, '.'));

                ok = fail(ld, node_line(node), name, "required key is missing");
                free(name);
            }
            bit++;
        }
        free(prefix);
        free(shown);
        if (!ok)
            return false;
    }
    return true;
}

/* A section inside a list item (scopes[].past) lands in the item: item is its head. */
static bool apply_value(loader *ld, const key_spec *spec, const char *key, void *base,
                        const yaml_node_t *value, int line, fleet_item_head *item)
{
    switch (spec->kind) {
    case K_SECTION:
        if (is_null_scalar(value))
            return true;
        if (value->type != YAML_MAPPING_NODE)
            return fail(ld, line, key, "expected a mapping, found %s", node_type_name(value));
        return walk_mapping(ld, value, spec->path, key, base, item);
    case K_STRING:
    case K_TEMPLATE:
    case K_CONNINFO:
    case K_WINDOW:
    case K_PAST:
    case K_NAMESPACE:
        return apply_string(ld, spec, key, base, value, line);
    case K_DURATION:
    case K_INT:
        return apply_number(ld, spec, key, base, value, line);
    case K_BOOL:
        return apply_bool(ld, spec, key, base, value, line);
    case K_URLS:
    case K_ARGV:
        return apply_strlist(ld, spec, key, base, value, line);
    case K_ITEMS:
        return apply_items(ld, spec, key, base, value, line);
    case K_LABELS:
        return apply_labels(ld, spec, key, base, value, line);
    }
    return fail(ld, line, key, "internal error: unhandled key kind");
}

/* The bit of key index among the rows of its list (item keys only). */
static unsigned item_bit(size_t index)
{
    const char *path = keys[index].path;
    size_t list_len = (size_t)(strstr(path, "[].") - path);
    unsigned bit = 0;

    for (size_t k = 0; k < index; k++) {
        if (strncmp(keys[k].path, path, list_len + 3) == 0)
            bit++;
    }
    return bit;
}

/*
 * The keys of map, under prefix (NULL: the top level; "scopes[]" in an item). shown_prefix
 * is how messages name them ("scopes[2]"). Item keys land in the item at base and mark its
 * head; section keys land in the configuration.
 */
static bool walk_mapping(loader *ld, const yaml_node_t *map, const char *prefix,
                         const char *shown_prefix, void *base, fleet_item_head *item)
{
    int first_line[N_KEYS] = {0};

    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(&ld->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&ld->doc, pair->value);
        int line = node_line(k);
        const key_spec *spec;
        size_t index = 0;
        char *path;
        char *shown;
        bool ok;

        if (k->type != YAML_SCALAR_NODE)
            return fail(ld, line, shown_prefix ? shown_prefix : "(top level)",
                        "keys must be plain strings");
        path = prefix ? pgd_asprintf("%s.%s", prefix, scalar_text(k)) : pgd_strdup(scalar_text(k));
        shown = shown_prefix ? pgd_asprintf("%s.%s", shown_prefix, scalar_text(k))
                             : pgd_strdup(scalar_text(k));
        spec = find_key(path, &index);
        free(path);
        if (spec == NULL)
            ok = fail(ld, line, shown, "unknown key");
        else if (first_line[index] != 0 || (item == NULL && ld->seen_line[index] != 0))
            ok = fail(ld, line, shown, "duplicate key (first set on line %d)",
                      first_line[index] ? first_line[index] : ld->seen_line[index]);
        else {
            first_line[index] = line;
            if (item != NULL)
                item->set |= 1U << item_bit(index);
            else
                ld->seen_line[index] = line;
            ok = apply_value(ld, spec, shown, item != NULL ? base : (void *)ld->cfg, v, line, item);
        }
        free(shown);
        if (!ok)
            return false;
    }
    return true;
}

static int seen_line_of(const loader *ld, const char *path)
{
    size_t index = 0;

    if (find_key(path, &index) == NULL || ld->seen_line[index] == 0)
        return 1;
    return ld->seen_line[index];
}

static int static_order(const void *a, const void *b)
{
    const fleet_static_cluster *x = *(const fleet_static_cluster *const *)a;
    const fleet_static_cluster *y = *(const fleet_static_cluster *const *)b;
    int c = strcmp(x->scope, y->scope);

    return c != 0 ? c : (x->head.line > y->head.line) - (x->head.line < y->head.line);
}

/* Each scope once in inventory.static (sorted, not pairwise: a list may be long). */
static bool check_static(loader *ld)
{
    const fleet_list *list = &ld->cfg->inventory.static_clusters;
    const fleet_static_cluster **sorted =
        pgd_calloc(list->count + 1, sizeof(const fleet_static_cluster *));
    bool ok = true;

    for (size_t i = 0; i < list->count; i++)
        sorted[i] = fleet_config_static(ld->cfg, i);
    if (list->count > 1)
        qsort(sorted, list->count, sizeof(const fleet_static_cluster *), static_order);
    for (size_t i = 1; i < list->count && ok; i++) {
        if (strcmp(sorted[i - 1]->scope, sorted[i]->scope) == 0)
            ok = fail(ld, sorted[i]->head.line, "inventory.static",
                      "scope \"%s\" is listed twice (first on line %d)", sorted[i]->scope,
                      sorted[i - 1]->head.line);
    }
    free(sorted);
    return ok;
}

static size_t key_index(const char *path)
{
    size_t index = 0;

    find_key(path, &index);
    return index;
}

/* The first string of the Job template that is no valid template, as *where and *why. */
static bool job_strings_ok(json_t *value, const char *path, char **where, char **why)
{
    const char *key;
    json_t *item;
    size_t index;

    if (json_is_string(value)) {
        if (fleet_manifest_check(json_string_value(value), why))
            return true;
        *where = pgd_strdup(path);
        return false;
    }
    json_object_foreach(value, key, item)
    {
        char *sub = pgd_asprintf("%s.%s", path, key);
        bool ok = job_strings_ok(item, sub, where, why);

        free(sub);
        if (!ok)
            return false;
    }
    json_array_foreach(value, index, item)
    {
        char *sub = pgd_asprintf("%s[%zu]", path, index);
        bool ok = job_strings_ok(item, sub, where, why);

        free(sub);
        if (!ok)
            return false;
    }
    return true;
}

static bool text_is(json_t *value, const char *text)
{
    return json_is_string(value) && strcmp(json_string_value(value), text) == 0;
}

/* launch.kubernetes.template: a Job (batch/v1) with containers, every string a template. */
static bool load_job(loader *ld)
{
    const char *path = ld->cfg->launch.kubernetes.template_file;
    int line = seen_line_of(ld, "launch.kubernetes.template");
    char *why = NULL;
    char *where = NULL;
    char *text;
    json_t *job;
    json_t *containers;

    if (path == NULL || path[0] == '\0')
        return fail(ld, seen_line_of(ld, "launch.kubernetes"), "launch.kubernetes.template",
                    "required key is missing");
    text = pgd_read_file(path, CONFIG_MAX_BYTES, &why);
    if (text == NULL) {
        fail(ld, line, "launch.kubernetes.template", "%s", why);
        free(why);
        return false;
    }
    job = fleet_yaml_to_json(text, &why);
    free(text);
    if (job == NULL) {
        fail(ld, line, "launch.kubernetes.template", "%s:%s", path, why);
        free(why);
        return false;
    }
    ld->cfg->launch.kubernetes.job = job;
    containers = json_object_get(
        json_object_get(json_object_get(json_object_get(job, "spec"), "template"), "spec"),
        "containers");
    if (!json_is_object(job) || !text_is(json_object_get(job, "apiVersion"), "batch/v1") ||
        !text_is(json_object_get(job, "kind"), "Job"))
        return fail(ld, line, "launch.kubernetes.template",
                    "%s: expected a Job (apiVersion batch/v1, kind Job)", path);
    if (!json_is_array(containers) || json_array_size(containers) == 0)
        return fail(ld, line, "launch.kubernetes.template",
                    "%s: spec.template.spec.containers: expected a list of containers", path);
    if (!job_strings_ok(job, "", &where, &why)) {
        fail(ld, line, "launch.kubernetes.template", "%s: %s: %s", path, where + 1, why);
        free(where);
        free(why);
        return false;
    }
    return true;
}

/* Exactly one runner: launch.command or launch.kubernetes. */
static bool check_runner(loader *ld)
{
    const fleet_config *cfg = ld->cfg;

    if (cfg->launch.kubernetes.enabled && cfg->launch.command.count > 0)
        return fail(ld, seen_line_of(ld, "launch.kubernetes"), "launch.kubernetes",
                    "launch.command is set too: one runner only");
    if (cfg->launch.kubernetes.enabled && cfg->launch.cleanup.count > 0)
        return fail(ld, seen_line_of(ld, "launch.cleanup"), "launch.cleanup",
                    "the command runner's; the Kubernetes runner deletes its Jobs itself");
    if (cfg->launch.kubernetes.enabled)
        return load_job(ld);
    if (cfg->launch.command.count == 0)
        return fail(ld, seen_line_of(ld, "launch"), "launch.command",
                    "no runner: set launch.command or launch.kubernetes");
    return true;
}

/* Two keys that go together: one set without the other is refused at its line. */
static bool check_pair(loader *ld, const char *a, const char *a_value, const char *b,
                       const char *b_value)
{
    if (a_value[0] != '\0' && b_value[0] == '\0')
        return fail(ld, seen_line_of(ld, a), a, "needs %s too", b);
    if (b_value[0] != '\0' && a_value[0] == '\0')
        return fail(ld, seen_line_of(ld, b), b, "needs %s too", a);
    return true;
}

static bool check_whole(loader *ld)
{
    const fleet_config *cfg = ld->cfg;

    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].required && !is_item_key(&keys[i]) && ld->seen_line[i] == 0)
            return fail(ld, 1, keys[i].path, "required key is missing");
    }
    ld->cfg->inventory.kubernetes.enabled = ld->seen_line[key_index("inventory.kubernetes")] != 0;
    ld->cfg->launch.kubernetes.enabled = ld->seen_line[key_index("launch.kubernetes")] != 0;
    if (cfg->inventory.etcd.endpoints.count == 0 && cfg->inventory.static_clusters.count == 0 &&
        !cfg->inventory.kubernetes.enabled)
        return fail(ld, seen_line_of(ld, "inventory"), "inventory",
                    "no source of clusters: set inventory.etcd.endpoints, inventory.kubernetes or "
                    "inventory.static");
    if (!check_runner(ld))
        return false;
    if (!check_pair(ld, "inventory.etcd.username", cfg->inventory.etcd.username,
                    "inventory.etcd.password_file", cfg->inventory.etcd.password_file) ||
        !check_pair(ld, "inventory.etcd.cert", cfg->inventory.etcd.cert, "inventory.etcd.key",
                    cfg->inventory.etcd.key))
        return false;
    if (cfg->launch_timeout >= cfg->stale_after)
        return fail(ld, seen_line_of(ld, "launch_timeout"), "launch_timeout",
                    "must be shorter than stale_after (%lds): a launch would count as dead "
                    "before it could count as never started",
                    cfg->stale_after);
    return check_static(ld);
}

static bool load_document(loader *ld, const char *text)
{
    yaml_parser_t parser;
    yaml_document_t extra;
    yaml_node_t *root;
    bool ok = false;

    if (!yaml_parser_initialize(&parser))
        return fail(ld, 1, "(yaml)", "could not initialize the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&parser, &ld->doc)) {
        fail(ld, (int)parser.problem_mark.line + 1, "(yaml)", "%s%s%s",
             parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
             parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return false;
    }
    root = yaml_document_get_root_node(&ld->doc);
    if (root != NULL && yaml_parser_load(&parser, &extra)) {
        bool more = yaml_document_get_root_node(&extra) != NULL;
        int line = (int)extra.start_mark.line + 1;

        yaml_document_delete(&extra);
        if (more) {
            fail(ld, line, "(yaml)", "only one YAML document is allowed");
            goto out;
        }
    }
    if (root == NULL || is_null_scalar(root))
        ok = true;
    else if (root->type != YAML_MAPPING_NODE)
        fail(ld, node_line(root), "(top level)", "expected a mapping of keys, found %s",
             node_type_name(root));
    else
        ok = walk_mapping(ld, root, NULL, NULL, ld->cfg, NULL);
out:
    yaml_parser_delete(&parser);
    return ok;
}

bool fleet_config_load(const char *path, fleet_config *cfg, char **errmsg)
{
    loader ld;
    char *text;
    char *why = NULL;
    bool ok;

    memset(&ld, 0, sizeof(ld));
    ld.path = path;
    ld.cfg = cfg;
    set_defaults(cfg);
    text = pgd_read_file(path, CONFIG_MAX_BYTES, &why);
    if (text == NULL) {
        *errmsg = pgd_asprintf("%s: %s", path, why);
        free(why);
        fleet_config_free(cfg);
        return false;
    }
    ok = load_document(&ld, text);
    yaml_document_delete(&ld.doc);
    free(text);
    if (ok)
        ok = check_whole(&ld);
    if (!ok) {
        *errmsg = ld.errmsg;
        fleet_config_free(cfg);
        return false;
    }
    cfg->path = pgd_strdup(path);
    cfg->key_lines = pgd_calloc(N_KEYS, sizeof(int));
    memcpy(cfg->key_lines, ld.seen_line, sizeof(ld.seen_line));
    return true;
}

long fleet_config_policy_for(const fleet_config *cfg, const char *scope,
                             fleet_policy_values *values, const char **stanza_template)
{
    const char *why = NULL;
    const char *window = cfg->window;

    values->enabled = true;
    values->every = cfg->every;
    values->retry_after = cfg->retry_after;
    values->past_target = cfg->past_target[0] != '\0' ? cfg->past_target : NULL;
    values->past_every = cfg->past_every;
    *stanza_template = cfg->stanza;
    for (size_t i = 0; i < cfg->scopes.count; i++) {
        const fleet_scope_policy *p = fleet_config_policy(cfg, i);

        if (fnmatch(p->match, scope, 0) != 0)
            continue;
        values->enabled = p->enabled;
        if (p->every > 0)
            values->every = p->every;
        if (p->retry_after > 0)
            values->retry_after = p->retry_after;
        if (p->window != NULL)
            window = p->window;
        if (p->past_target != NULL)
            values->past_target = p->past_target[0] != '\0' ? p->past_target : NULL;
        if (p->past_every > 0)
            values->past_every = p->past_every;
        if (p->stanza != NULL)
            *stanza_template = p->stanza;
        fleet_window_parse(window, &values->window, &why);
        return (long)i;
    }
    fleet_window_parse(window, &values->window, &why);
    return -1;
}

size_t fleet_config_doc_count(void)
{
    size_t n = 0;

    for (size_t i = 0; i < N_KEYS; i++)
        n += keys[i].kind != K_SECTION;
    return n;
}

fleet_config_key_doc fleet_config_doc(size_t index)
{
    fleet_config_key_doc doc = {NULL, NULL, NULL};

    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].kind == K_SECTION)
            continue;
        if (index-- == 0) {
            doc.key = keys[i].path;
            doc.shown_default = keys[i].shown_default;
            doc.meaning = keys[i].meaning;
            break;
        }
    }
    return doc;
}