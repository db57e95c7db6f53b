/*
 * fleet_config.h - pgdrill-fleet's configuration (fleet.yml).
 *
 * Like pgdrill.yml (common/drill/config.h), every key is described once, in a table in
 * fleet_config.c, with its type, default and limits and the README's "default" and
 * "meaning" cells; loading succeeds completely or fails with one "FILE:LINE: KEY: reason".
 * Keys of list items are rows of the same table ("scopes[].match"), so they are documented
 * and checked like any other.
 */
#ifndef PGDRILL_FLEET_CONFIG_H
#define PGDRILL_FLEET_CONFIG_H

#include "plan.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define FLEET_DEFAULT_CONFIG_PATH "/etc/pgdrill/fleet.yml"

typedef struct fleet_strlist {
    char **items;
    size_t count;
} fleet_strlist;

/* Kubernetes labels: name=value pairs. */
typedef struct fleet_label {
    char *name;
    char *value;
} fleet_label;

typedef struct fleet_labels {
    fleet_label *items;
    size_t count;
} fleet_labels;

/* How to reach a Kubernetes API: in-cluster by default. */
typedef struct fleet_kube_access {
    char *api_url; /* "": https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT */
    char *token_file;
    char *ca_file;
    long timeout;
} fleet_kube_access;

/* A list of mappings (scopes, inventory.static); items are of the key's item type. */
typedef struct fleet_list {
    void *data;
    size_t count;
} fleet_list;

/* Every list item starts with these: which of its keys were set, and its line. */
typedef struct fleet_item_head {
    unsigned set; /* bit i: the i-th key of the item's table rows was set */
    int line;
} fleet_item_head;

/* scopes[]: per-scope settings, by name pattern. */
typedef struct fleet_scope_policy {
    fleet_item_head head;
    char *match;
    char *stanza; /* a template; NULL: the top level's */
    long every;
    long retry_after;
    char *window;
    bool enabled;
    char *past_target; /* NULL: the top level's; "": no past drills */
    long past_every;   /* 0: the top level's */
} fleet_scope_policy;

/* inventory.static[]: a cluster named in the configuration. */
typedef struct fleet_static_cluster {
    fleet_item_head head;
    char *scope;
    char *host;
    long port;
    char *stanza; /* NULL: the policy's */
} fleet_static_cluster;

typedef struct fleet_config {
    char *path;
    int *key_lines; /* line of each top-level key in the file, 0 when not set */
    char *history_dsn;
    long every;
    long retry_after;
    char *window;
    char *past_target; /* "oldest", "random"; "": no drills to a past target */
    long past_every;
    char *stanza; /* a template, default "{scope}" */
    long max_concurrent;
    long stale_after;
    long launch_timeout;
    long tick;
    char *metrics_file; /* "": off */
    fleet_list scopes;  /* fleet_scope_policy */
    struct {
        struct {
            fleet_strlist endpoints;
            char *namespace_prefix; /* "/service/": the namespace with one trailing slash */
            char *cacert;
            char *cert;
            char *key;
            char *username;
            char *password_file;
            long timeout;
        } etcd;
        fleet_list static_clusters; /* fleet_static_cluster */
        struct {
            bool enabled; /* the section is in the file */
            char *namespace_name;
            fleet_labels labels; /* Patroni's kubernetes.labels */
            char *scope_label;
            bool use_endpoints;
            fleet_kube_access access;
        } kubernetes;
    } inventory;
    struct {
        fleet_strlist command;
        fleet_strlist cleanup;
        long timeout;
        struct {
            bool enabled; /* the section is in the file: the Kubernetes runner */
            char *template_file;
            json_t *job; /* the template, loaded and checked */
            char *namespace_name;
            long retention;
            char *scope_label;
            fleet_kube_access access;
        } kubernetes;
    } launch;
} fleet_config;

/* Load path into *cfg; false with *errmsg ("FILE:LINE: KEY: reason", caller frees). */
bool fleet_config_load(const char *path, fleet_config *cfg, char **errmsg);

void fleet_config_free(fleet_config *cfg);

/* The configuration path from --config, else $PGDRILL_FLEET_CONFIG, else the default. */
const char *fleet_config_path(const char *from_option);

static inline fleet_scope_policy *fleet_config_policy(const fleet_config *cfg, size_t i)
{
    return (fleet_scope_policy *)cfg->scopes.data + i;
}

static inline fleet_static_cluster *fleet_config_static(const fleet_config *cfg, size_t i)
{
    return (fleet_static_cluster *)cfg->inventory.static_clusters.data + i;
}

/*
 * The policy of scope: the first scopes[] entry whose match fits (fnmatch), its unset keys
 * taken from the top level; *stanza_template (borrowed) is the stanza template that
 * applies (a static cluster's own stanza comes before it: the caller's). Returns the index
 * of the entry, or -1 when none matched.
 */
long fleet_config_policy_for(const fleet_config *cfg, const char *scope,
                             fleet_policy_values *values, const char **stanza_template);

/* One row of the README's table of pgdrill-fleet's keys. */
typedef struct fleet_config_key_doc {
    const char *key;
    const char *shown_default;
    const char *meaning;
} fleet_config_key_doc;

size_t fleet_config_doc_count(void);
fleet_config_key_doc fleet_config_doc(size_t index);

#endif
