/*
 * inventory.c - the fleet's clusters (inventory.h).
 */
#include "inventory.h"

#include "xalloc.h"

#include <jansson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PG_PORT "5432"

void fleet_inventory_init(fleet_inventory *inventory)
{
    memset(inventory, 0, sizeof(*inventory));
}

void fleet_member_free(fleet_member *member)
{
    free(member->name);
    free(member->role);
    free(member->state);
    free(member->conn_url);
    free(member->api_url);
    free(member->host);
    free(member->port);
    memset(member, 0, sizeof(*member));
}

static void cluster_free(fleet_cluster *cluster)
{
    for (size_t i = 0; i < cluster->member_count; i++)
        fleet_member_free(&cluster->members[i]);
    free(cluster->members);
    free(cluster->scope);
    free(cluster->leader);
    free(cluster->stanza);
    free(cluster->source_host);
    free(cluster->source_port);
    free(cluster->source_api_url);
    memset(cluster, 0, sizeof(*cluster));
}

void fleet_inventory_free(fleet_inventory *inventory)
{
    for (size_t i = 0; i < inventory->count; i++)
        cluster_free(&inventory->items[i]);
    free(inventory->items);
    memset(inventory, 0, sizeof(*inventory));
}

/*
 * Sources add clusters in any order and may name one scope twice (a pod per member); a
 * scope is appended when it is not the one added to last, and fleet_inventory_finish
 * merges the duplicates after sorting: no search per key, so 10,000 scopes cost no more
 * than sorting them.
 */
static fleet_cluster *append_cluster(fleet_inventory *inventory)
{
    if (inventory->count == inventory->capacity) {
        inventory->capacity = inventory->capacity ? inventory->capacity * 2 : 64;
        inventory->items =
            pgd_realloc(inventory->items, inventory->capacity * sizeof(*inventory->items));
    }
    inventory->last = inventory->count++;
    inventory->finished = false;
    memset(&inventory->items[inventory->last], 0, sizeof(fleet_cluster));
    return &inventory->items[inventory->last];
}

fleet_cluster *fleet_inventory_cluster(fleet_inventory *inventory, const char *scope,
                                       fleet_source source)
{
    fleet_cluster *cluster;

    if (inventory->count > 0) {
        cluster = &inventory->items[inventory->last];
        if (cluster->sources == (unsigned)source && strcmp(cluster->scope, scope) == 0)
            return cluster;
    }
    cluster = append_cluster(inventory);
    cluster->scope = pgd_strdup(scope);
    cluster->sources = (unsigned)source;
    return cluster;
}

void fleet_inventory_move(fleet_inventory *to, fleet_inventory *from)
{
    for (size_t i = 0; i < from->count; i++)
        *append_cluster(to) = from->items[i];
    free(from->items);
    memset(from, 0, sizeof(*from));
}

static char *dup_or_null(const char *text)
{
    return text != NULL ? pgd_strdup(text) : NULL;
}

static void member_copy(fleet_member *to, const fleet_member *from)
{
    to->name = dup_or_null(from->name);
    to->role = dup_or_null(from->role);
    to->state = dup_or_null(from->state);
    to->conn_url = dup_or_null(from->conn_url);
    to->api_url = dup_or_null(from->api_url);
    to->host = dup_or_null(from->host);
    to->port = dup_or_null(from->port);
}

void fleet_cluster_set_member(fleet_cluster *cluster, const fleet_member *member)
{
    fleet_member *slot = NULL;

    for (size_t i = 0; i < cluster->member_count && slot == NULL; i++) {
        if (strcmp(cluster->members[i].name, member->name) == 0) {
            slot = &cluster->members[i];
            fleet_member_free(slot);
        }
    }
    if (slot == NULL) {
        cluster->members =
            pgd_realloc(cluster->members, (cluster->member_count + 1) * sizeof(*cluster->members));
        slot = &cluster->members[cluster->member_count++];
    }
    member_copy(slot, member);
}

static int cluster_order(const void *a, const void *b)
{
    const fleet_cluster *x = a;
    const fleet_cluster *y = b;
    int c = strcmp(x->scope, y->scope);

    if (c != 0)
        return c;
    return x->sources < y->sources ? -1 : x->sources > y->sources;
}

/* What a later entry of the same scope adds to the first. */
static void merge_into(fleet_cluster *first, fleet_cluster *other)
{
    first->sources |= other->sources;
    if (first->leader == NULL) {
        first->leader = other->leader;
        other->leader = NULL;
    }
    if (first->stanza == NULL) {
        first->stanza = other->stanza;
        other->stanza = NULL;
    }
    if (first->source_host == NULL) {
        first->source_host = other->source_host;
        first->source_port = other->source_port;
        other->source_host = NULL;
        other->source_port = NULL;
    }
    for (size_t i = 0; i < other->member_count; i++) {
        bool known = false;

        for (size_t k = 0; k < first->member_count && !known; k++)
            known = strcmp(first->members[k].name, other->members[i].name) == 0;
        if (!known)
            fleet_cluster_set_member(first, &other->members[i]);
    }
    cluster_free(other);
}

static bool is_primary_role(const char *role)
{
    return role != NULL && (strcmp(role, "master") == 0 || strcmp(role, "primary") == 0);
}

/*
 * The leader's address, else a primary member's (role master up to Patroni 3.x, primary
 * from 4.0: docs/design.md F51); a static address stays when neither.
 */
static void resolve_source(fleet_cluster *cluster)
{
    const fleet_member *chosen = NULL;

    for (size_t i = 0; i < cluster->member_count && chosen == NULL; i++) {
        if (cluster->leader != NULL && strcmp(cluster->members[i].name, cluster->leader) == 0)
            chosen = &cluster->members[i];
    }
    for (size_t i = 0; i < cluster->member_count && chosen == NULL; i++) {
        if (is_primary_role(cluster->members[i].role))
            chosen = &cluster->members[i];
    }
    if (chosen == NULL || chosen->host == NULL)
        return;
    free(cluster->source_host);
    free(cluster->source_port);
    cluster->source_host = pgd_strdup(chosen->host);
    cluster->source_port = pgd_strdup(chosen->port ? chosen->port : DEFAULT_PG_PORT);
    cluster->source_api_url = dup_or_null(chosen->api_url);
}

void fleet_inventory_finish(fleet_inventory *inventory)
{
    size_t kept = 0;

    if (inventory->count > 1)
        qsort(inventory->items, inventory->count, sizeof(*inventory->items), cluster_order);
    for (size_t i = 0; i < inventory->count; i++) {
        if (kept > 0 && strcmp(inventory->items[kept - 1].scope, inventory->items[i].scope) == 0) {
            merge_into(&inventory->items[kept - 1], &inventory->items[i]);
            continue;
        }
        if (kept != i)
            inventory->items[kept] = inventory->items[i];
        kept++;
    }
    inventory->count = kept;
    for (size_t i = 0; i < inventory->count; i++)
        resolve_source(&inventory->items[i]);
    inventory->finished = true;
    inventory->last = 0;
}

static int scope_key_order(const void *key, const void *item)
{
    return strcmp((const char *)key, ((const fleet_cluster *)item)->scope);
}

const fleet_cluster *fleet_inventory_find(const fleet_inventory *inventory, const char *scope)
{
    if (!inventory->finished || inventory->count == 0)
        return NULL;
    return bsearch(scope, inventory->items, inventory->count, sizeof(*inventory->items),
                   scope_key_order);
}

char *fleet_sources_text(unsigned sources)
{
    static const struct {
        fleet_source source;
        const char *name;
    } names[] = {
        {FLEET_SOURCE_ETCD, "etcd"},
        {FLEET_SOURCE_KUBERNETES, "kubernetes"},
        {FLEET_SOURCE_STATIC, "static"},
    };
    pgd_buf out;

    pgd_buf_init(&out);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (sources & (unsigned)names[i].source)
            pgd_buf_appendf(&out, "%s%s", out.len > 0 ? "," : "", names[i].name);
    }
    return pgd_buf_steal(&out);
}

bool fleet_conn_url_host_port(const char *url, char **host, char **port)
{
    const char *p;
    const char *end;
    const char *at;
    const char *colon;

    *host = NULL;
    *port = NULL;
    if (url == NULL)
        return false;
    if (strncmp(url, "postgres://", 11) == 0)
        p = url + 11;
    else if (strncmp(url, "postgresql://", 13) == 0)
        p = url + 13;
    else
        return false;
    end = p + strcspn(p, "/?#");
    /* user:password@ goes; the password is Patroni's, never ours to print */
    for (at = end; at > p && at[-1] != '@'; at--)
        ;
    p = at;
    if (p == end)
        return false;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));

        if (close == NULL)
            return false;
        *host = pgd_strndup(p + 1, (size_t)(close - p - 1));
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        *host = pgd_strndup(p, (size_t)((colon ? colon : end) - p));
    }
    if (colon != NULL && colon + 1 < end)
        *port = pgd_strndup(colon + 1, (size_t)(end - colon - 1));
    else
        *port = pgd_strdup(DEFAULT_PG_PORT);
    if ((*host)[0] == '\0' || strspn(*port, "0123456789") != strlen(*port)) {
        free(*host);
        free(*port);
        *host = NULL;
        *port = NULL;
        return false;
    }
    return true;
}

static char *json_text(json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));

    return value != NULL ? pgd_strdup(value) : NULL;
}

/* The legacy value "postgres://...?application_name=<api_url>" (Patroni's parse_connection_string).
 */
static bool parse_legacy_member(const char *value, fleet_member *member)
{
    const char *query = strchr(value, '?');
    const char *app;

    if (strncmp(value, "postgres", 8) != 0)
        return false;
    member->conn_url = query ? pgd_strndup(value, (size_t)(query - value)) : pgd_strdup(value);
    app = query ? strstr(query, "application_name=") : NULL;
    if (app != NULL) {
        app += strlen("application_name=");
        member->api_url = pgd_strndup(app, strcspn(app, "&"));
    }
    return true;
}

bool fleet_member_parse(const char *name, const char *value, fleet_member *member)
{
    json_t *root;

    memset(member, 0, sizeof(*member));
    root = json_loads(value, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(root)) {
        member->conn_url = json_text(root, "conn_url");
        member->api_url = json_text(root, "api_url");
        member->role = json_text(root, "role");
        member->state = json_text(root, "state");
    } else if (!parse_legacy_member(value, member)) {
        json_decref(root);
        return false;
    }
    json_decref(root);
    member->name = pgd_strdup(name);
    fleet_conn_url_host_port(member->conn_url, &member->host, &member->port);
    return true;
}

/* ------------------------------------------------------------------ base64 */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

char *fleet_base64_decode(const char *text, size_t length, size_t *decoded_length)
{
    size_t padding = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    char *out;

    if (length % 4 != 0)
        return NULL;
    while (padding < 2 && padding < length && text[length - 1 - padding] == '=')
        padding++;
    out = pgd_malloc(length / 4 * 3 + 1);
    for (const char *p = text; p < text + length - padding; p++) {
        int v = b64_value((unsigned char)*p);

        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[n] = '\0';
    if (decoded_length != NULL)
        *decoded_length = n;
    return out;
}

char *fleet_base64_encode(const char *data, size_t length)
{
    const unsigned char *in = (const unsigned char *)data;
    char *out = pgd_malloc((length + 2) / 3 * 4 + 1);
    size_t n = 0;

    for (size_t i = 0; i < length; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;

        if (i + 1 < length)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < length)
            v |= in[i + 2];
        out[n++] = b64_alphabet[(v >> 18) & 63];
        out[n++] = b64_alphabet[(v >> 12) & 63];
        out[n++] = i + 1 < length ? b64_alphabet[(v >> 6) & 63] : '=';
        out[n++] = i + 2 < length ? b64_alphabet[v & 63] : '=';
    }
    out[n] = '\0';
    return out;
}

/* ------------------------------------------------------------------ etcd */

/* JSON's int64 fields come as strings from the gateway ("revision": "42"). */
static long long json_int64(json_t *value)
{
    if (json_is_integer(value))
        return (long long)json_integer_value(value);
    if (json_is_string(value))
        return strtoll(json_string_value(value), NULL, 10);
    return 0;
}

/*
 * One key of the namespace: <scope>/leader, <scope>/members/<name>, or another key of the
 * scope (config, initialize, status, ...: docs/design.md F51).
 */
static void add_key(fleet_inventory *inventory, const char *rest, json_t *kv)
{
    const char *slash = strchr(rest, '/');
    char *scope;
    fleet_cluster *cluster;
    const char *sub;

    if (slash == NULL || slash == rest)
        return;
    scope = pgd_strndup(rest, (size_t)(slash - rest));
    cluster = fleet_inventory_cluster(inventory, scope, FLEET_SOURCE_ETCD);
    free(scope);
    sub = slash + 1;
    if (strcmp(sub, "leader") == 0 || strncmp(sub, "members/", 8) == 0) {
        const char *encoded = json_string_value(json_object_get(kv, "value"));
        char *value = encoded ? fleet_base64_decode(encoded, strlen(encoded), NULL) : NULL;
        fleet_member member;

        if (value == NULL)
            return;
        if (sub[0] == 'l') {
            free(cluster->leader);
            cluster->leader = value;
            return;
        }
        if (sub[8] != '\0' && strchr(sub + 8, '/') == NULL &&
            fleet_member_parse(sub + 8, value, &member)) {
            fleet_cluster_set_member(cluster, &member);
            fleet_member_free(&member);
        }
        free(value);
    }
}

bool fleet_etcd_parse_range(const char *json, size_t length, const char *namespace_prefix,
                            fleet_inventory *inventory, bool *more, char **last_key,
                            long long *revision, char **errmsg)
{
    json_error_t error;
    json_t *root = json_loadb(json, length, 0, &error);
    json_t *kvs;
    size_t prefix_len = strlen(namespace_prefix);
    size_t index;
    json_t *kv;

    *more = false;
    *last_key = NULL;
    if (!json_is_object(root)) {
        *errmsg = pgd_asprintf("not a JSON object: %s", root ? "" : error.text);
        json_decref(root);
        return false;
    }
    kvs = json_object_get(root, "kvs");
    if (kvs != NULL && !json_is_array(kvs)) {
        *errmsg = pgd_strdup("\"kvs\" is not a list");
        json_decref(root);
        return false;
    }
    *revision = json_int64(json_object_get(json_object_get(root, "header"), "revision"));
    *more = json_is_true(json_object_get(root, "more"));
    json_array_foreach(kvs, index, kv)
    {
        const char *encoded = json_string_value(json_object_get(kv, "key"));
        size_t key_len = 0;
        char *key = encoded ? fleet_base64_decode(encoded, strlen(encoded), &key_len) : NULL;

        if (key == NULL) {
            *errmsg = pgd_asprintf("key %zu is not base64", index);
            json_decref(root);
            return false;
        }
        if (key_len == strlen(key) && strncmp(key, namespace_prefix, prefix_len) == 0)
            add_key(inventory, key + prefix_len, kv);
        free(*last_key);
        *last_key = key;
    }
    json_decref(root);
    return true;
}

char *fleet_etcd_next_page(const char *json, size_t length, long long *revision)
{
    static const char field[] = "\"key\":\"";
    static const char header[] = "\"revision\":\"";
    const size_t field_len = sizeof(field) - 1;
    const char *last = NULL;
    const char *at;
    size_t n;
    char *key;
    char *next;

    if (revision != NULL) {
        at = strstr(json, header);
        *revision = at != NULL ? strtoll(at + sizeof(header) - 1, NULL, 10) : 0;
    }
    /* "more" and the last key are at the end: search backwards, not through 20 MB */
    for (const char *p = json + length; p >= json + field_len && last == NULL; p--) {
        if (memcmp(p - field_len, field, field_len) == 0)
            last = p;
    }
    if (last == NULL || strstr(last, "\"more\":true") == NULL)
        return NULL;
    key = fleet_base64_decode(last, strcspn(last, "\""), &n);
    if (key == NULL)
        return NULL;
    next = fleet_base64_encode(key, n + 1); /* the decoded key's NUL terminator included */
    free(key);
    return next;
}

/* ------------------------------------------------------------------ Kubernetes */

static const char *object_label(json_t *object, const char *group, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(object, "metadata"), group), name));
}

static const char *object_name(json_t *object)
{
    return json_string_value(json_object_get(json_object_get(object, "metadata"), "name"));
}

void fleet_kube_add_pods(fleet_inventory *inventory, json_t *items, const char *scope_label)
{
    size_t index;
    json_t *pod;

    json_array_foreach(items, index, pod)
    {
        const char *scope = object_label(pod, "labels", scope_label);
        const char *name = object_name(pod);
        const char *status = object_label(pod, "annotations", "status");
        fleet_cluster *cluster;
        fleet_member member;

        if (scope == NULL || scope[0] == '\0' || name == NULL)
            continue;
        cluster = fleet_inventory_cluster(inventory, scope, FLEET_SOURCE_KUBERNETES);
        if (status != NULL && fleet_member_parse(name, status, &member)) {
            fleet_cluster_set_member(cluster, &member);
            fleet_member_free(&member);
        }
    }
}

void fleet_kube_add_kinds(fleet_inventory *inventory, json_t *items, const char *scope_label,
                          bool use_endpoints)
{
    size_t index;
    json_t *object;

    json_array_foreach(items, index, object)
    {
        const char *scope = object_label(object, "labels", scope_label);
        const char *name = object_name(object);
        const char *leader = object_label(object, "annotations", "leader");
        fleet_cluster *cluster;
        char *leader_name;

        if (scope == NULL || scope[0] == '\0' || name == NULL)
            continue;
        cluster = fleet_inventory_cluster(inventory, scope, FLEET_SOURCE_KUBERNETES);
        leader_name = use_endpoints ? pgd_strdup(scope) : pgd_asprintf("%s-leader", scope);
        if (strcmp(name, leader_name) == 0 && leader != NULL && leader[0] != '\0') {
            free(cluster->leader);
            cluster->leader = pgd_strdup(leader);
        }
        free(leader_name);
    }
}
