/*
 * inventory.h - the fleet's clusters as Patroni describes them.
 *
 * Every source (etcd, Kubernetes, the static list) adds clusters by scope; the same scope
 * found by several sources is one cluster that names them all. What Patroni writes is
 * parsed here without any I/O (etcd.c and kube.c fetch it), so the unit tests feed the
 * documented shapes directly.
 */
#ifndef PGDRILL_FLEET_INVENTORY_H
#define PGDRILL_FLEET_INVENTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Where a cluster was found; a cluster's sources are a set of these. */
typedef enum fleet_source {
    FLEET_SOURCE_ETCD = 1,
    FLEET_SOURCE_KUBERNETES = 2,
    FLEET_SOURCE_STATIC = 4,
} fleet_source;

/* A Patroni member as its DCS entry describes it (members/<name>, a pod's status). */
typedef struct fleet_member {
    char *name;
    char *role;  /* master / primary / replica / standby_leader ... as Patroni writes it */
    char *state; /* running, starting, stopped, ... */
    char *conn_url;
    char *api_url;
    char *host; /* from conn_url */
    char *port;
} fleet_member;

typedef struct fleet_cluster {
    char *scope;
    unsigned sources; /* fleet_source bits */
    char *leader;     /* the leader key's member name, or NULL */
    fleet_member *members;
    size_t member_count;
    char *stanza; /* the static list's, or NULL: the policy decides */
    /* resolved by fleet_inventory_finish: the primary to write the marker on */
    char *source_host;
    char *source_port;
    char *source_api_url;
} fleet_cluster;

typedef struct fleet_inventory {
    fleet_cluster *items;
    size_t count;
    size_t capacity;
    bool finished; /* sorted by scope, one cluster per scope */
    size_t last;   /* the cluster added to last (keys come sorted by scope) */
} fleet_inventory;

void fleet_inventory_init(fleet_inventory *inventory);
void fleet_inventory_free(fleet_inventory *inventory);

/* The cluster of scope found by source, created when new. */
fleet_cluster *fleet_inventory_cluster(fleet_inventory *inventory, const char *scope,
                                       fleet_source source);

/* Move every cluster of from (which is left empty) into to. */
void fleet_inventory_move(fleet_inventory *to, fleet_inventory *from);

/* Add (or replace) a member of cluster. */
void fleet_cluster_set_member(fleet_cluster *cluster, const fleet_member *member);

/*
 * Sort by scope, merge what several sources said of one scope (the first source's members
 * and leader win; the static list's stanza and address fill in), and resolve each
 * cluster's primary: the leader's conn_url, else a member whose role is master or primary,
 * else the static list's host and port.
 */
void fleet_inventory_finish(fleet_inventory *inventory);

/* The cluster of scope in a finished inventory, or NULL. */
const fleet_cluster *fleet_inventory_find(const fleet_inventory *inventory, const char *scope);

/* "etcd", "etcd,static", ... (caller frees). */
char *fleet_sources_text(unsigned sources);

/*
 * A member from its DCS value: Patroni's JSON ({"conn_url": ..., "api_url": ..., "role":
 * ..., "state": ...}) or the legacy connection string with application_name=<api_url>.
 * False (nothing set) when value is neither.
 */
bool fleet_member_parse(const char *name, const char *value, fleet_member *member);

void fleet_member_free(fleet_member *member);

/*
 * Host and port of a postgres:// URL (port 5432 when absent; an IPv6 address without its
 * brackets). False when url is no such URL.
 */
bool fleet_conn_url_host_port(const char *url, char **host, char **port);

/*
 * One page of etcd's v3 JSON gateway answer to /v3/kv/range over the namespace (keys and
 * values base64): Patroni's keys <namespace><scope>/leader and .../members/<name> fill the
 * clusters, every other key of a scope (config, initialize, status, history, ...) makes it
 * known. *more and *last_key (caller frees, NULL when the page was empty) say where the next
 * page starts, *revision which revision the page was read at. False with *errmsg when the
 * answer is no such document.
 */
bool fleet_etcd_parse_range(const char *json, size_t length, const char *namespace_prefix,
                            fleet_inventory *inventory, bool *more, char **last_key,
                            long long *revision, char **errmsg);

/*
 * Where the page after this one starts, read from the raw answer without parsing it (so
 * that the next page can be fetched while this one is parsed): the last "key" of its kvs
 * (base64 holds no quote, so the text "key":" is always that field, searched from the end)
 * with a NUL byte appended, as base64; NULL when the answer does not say "more":true.
 * revision (may be NULL) gets the header's revision (its first "revision": the kvs only
 * hold create_revision and mod_revision), 0 when absent.
 */
char *fleet_etcd_next_page(const char *json, size_t length, long long *revision);

/*
 * Patroni's objects in its Kubernetes DCS (docs/design.md F52), from the API's lists (the
 * "items" arrays): pods carry the scope in the label scope_label and their member data in
 * the annotation "status"; the leader is the annotation "leader" of the ConfigMap
 * <scope>-leader, or with use_endpoints of the Endpoints <scope>. Objects without the scope
 * label are skipped.
 */
void fleet_kube_add_pods(fleet_inventory *inventory, json_t *items, const char *scope_label);
void fleet_kube_add_kinds(fleet_inventory *inventory, json_t *items, const char *scope_label,
                          bool use_endpoints);

/* Standard base64 (with padding) into a new NUL-terminated buffer; NULL when invalid. */
char *fleet_base64_decode(const char *text, size_t length, size_t *decoded_length);

/* Standard base64 of the length bytes at data (caller frees). */
char *fleet_base64_encode(const char *data, size_t length);

#endif
