/*
 * test_fleet_inventory.c - the fleet as Patroni describes it (fleet/inventory.c): etcd's v3
 * JSON gateway answer (keys and values base64) with Patroni 3.0's keys, member values in
 * both of Patroni's forms, conn_url addresses, and several sources merged into one cluster.
 */
#include "inventory.h"
#include "xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

/* One kv of the gateway's answer. */
static void add_kv(pgd_buf *out, const char *key, const char *value)
{
    char *k = fleet_base64_encode(key, strlen(key));
    char *v = fleet_base64_encode(value, strlen(value));

    pgd_buf_appendf(out,
                    "%s{\"key\":\"%s\",\"create_revision\":\"5\",\"mod_revision\":\"7\","
                    "\"version\":\"1\",\"value\":\"%s\"}",
                    out->data[out->len - 1] == '[' ? "" : ",", k, v);
    free(k);
    free(v);
}

/* What Patroni 3.0.2 (etcd3) keeps of two clusters and a third one mid-bootstrap. */
static char *range_answer(bool more)
{
    pgd_buf out;

    pgd_buf_init(&out);
    pgd_buf_append(&out, "{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":"
                         "\"10276657743932975437\",\"revision\":\"42\",\"raft_term\":\"2\"},"
                         "\"kvs\":[");
    add_kv(&out, "/service/alpha/config", "{\"ttl\":30,\"loop_wait\":10}");
    add_kv(&out, "/service/alpha/history", "[]");
    add_kv(&out, "/service/alpha/initialize", "7312345678901234567");
    add_kv(&out, "/service/alpha/leader", "alpha-1");
    add_kv(&out, "/service/alpha/members/alpha-0",
           "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"api_url\":"
           "\"http://10.0.0.1:8008/patroni\",\"state\":\"running\",\"role\":\"replica\","
           "\"version\":\"3.0.2\"}");
    add_kv(&out, "/service/alpha/members/alpha-1",
           "{\"conn_url\":\"postgres://10.0.0.2:5433/postgres\",\"api_url\":"
           "\"http://10.0.0.2:8008/patroni\",\"state\":\"running\",\"role\":\"master\","
           "\"version\":\"3.0.2\",\"xlog_location\":50331808,\"timeline\":1}");
    add_kv(&out, "/service/alpha/status", "{\"optime\":50331808}");
    add_kv(&out, "/service/beta/config", "{}");
    add_kv(&out, "/service/beta/members/beta-0",
           "postgres://replicator:secret@[fd00::5]:6432/postgres?application_name=http://beta:8008"
           "/patroni");
    add_kv(&out, "/service/gamma/initialize", "1");
    add_kv(&out, "/service/gamma/members/broken", "not a member");
    add_kv(&out, "/service/citus/0/leader", "c0"); /* Citus groups: the scope is known */
    pgd_buf_appendf(&out, "],\"more\":%s,\"count\":\"13\"}", more ? "true" : "false");
    return pgd_buf_steal(&out);
}

static void test_etcd_range(void **state)
{
    char *json = range_answer(true);
    fleet_inventory inv;
    bool more = false;
    char *last = NULL;
    long long revision = 0;
    char *errmsg = NULL;
    const fleet_cluster *c;

    (void)state;
    fleet_inventory_init(&inv);
    assert_true(fleet_etcd_parse_range(json, strlen(json), "/service/", &inv, &more, &last,
                                       &revision, &errmsg));
    assert_true(more);
    assert_int_equal(revision, 42);
    assert_string_equal(last, "/service/citus/0/leader");
    fleet_inventory_finish(&inv);
    assert_int_equal(inv.count, 4);
    assert_string_equal(inv.items[0].scope, "alpha");
    assert_string_equal(inv.items[1].scope, "beta");
    assert_string_equal(inv.items[2].scope, "citus");
    assert_string_equal(inv.items[3].scope, "gamma");

    c = fleet_inventory_find(&inv, "alpha");
    assert_non_null(c);
    assert_int_equal(c->sources, FLEET_SOURCE_ETCD);
    assert_string_equal(c->leader, "alpha-1");
    assert_int_equal(c->member_count, 2);
    assert_string_equal(c->source_host, "10.0.0.2");
    assert_string_equal(c->source_port, "5433");
    assert_string_equal(c->source_api_url, "http://10.0.0.2:8008/patroni");

    /* no leader key: the member whose role is master or primary; a replica is no source */
    c = fleet_inventory_find(&inv, "beta");
    assert_null(c->leader);
    assert_string_equal(c->members[0].host, "fd00::5");
    assert_string_equal(c->members[0].port, "6432");
    assert_string_equal(c->members[0].api_url, "http://beta:8008/patroni");
    assert_null(c->members[0].role);
    assert_null(c->source_host);
    c = fleet_inventory_find(&inv, "gamma");
    assert_int_equal(c->member_count, 0); /* "not a member" is ignored */
    assert_null(fleet_inventory_find(&inv, "delta"));
    free(last);
    free(json);
    fleet_inventory_free(&inv);
}

static void test_etcd_other_namespace_and_errors(void **state)
{
    char *json = range_answer(false);
    fleet_inventory inv;
    bool more = true;
    char *last = NULL;
    long long revision = 0;
    char *errmsg = NULL;

    (void)state;
    fleet_inventory_init(&inv);
    assert_true(fleet_etcd_parse_range(json, strlen(json), "/other/", &inv, &more, &last, &revision,
                                       &errmsg));
    assert_false(more);
    assert_int_equal(inv.count, 0);
    free(last);
    free(json);
    /* an empty namespace */
    assert_true(fleet_etcd_parse_range("{\"header\":{\"revision\":\"9\"}}", 27, "/service/", &inv,
                                       &more, &last, &revision, &errmsg));
    assert_null(last);
    assert_int_equal(revision, 9);
    assert_false(
        fleet_etcd_parse_range("<html>", 6, "/service/", &inv, &more, &last, &revision, &errmsg));
    assert_non_null(strstr(errmsg, "not a JSON object"));
    free(errmsg);
    assert_false(fleet_etcd_parse_range("{\"kvs\":{}}", 10, "/service/", &inv, &more, &last,
                                        &revision, &errmsg));
    assert_string_equal(errmsg, "\"kvs\" is not a list");
    free(errmsg);
    assert_false(fleet_etcd_parse_range("{\"kvs\":[{\"key\":\"@@@\"}]}", 23, "/service/", &inv,
                                        &more, &last, &revision, &errmsg));
    assert_string_equal(errmsg, "key 0 is not base64");
    free(errmsg);
    fleet_inventory_free(&inv);
}

/* The next page's start, read from the raw answer. */
static void test_etcd_next_page(void **state)
{
    char *json = range_answer(true);
    long long revision = 0;
    char *next = fleet_etcd_next_page(json, strlen(json), &revision);
    size_t n = 0;
    char *decoded;

    (void)state;
    assert_int_equal(revision, 42);
    assert_non_null(next);
    decoded = fleet_base64_decode(next, strlen(next), &n);
    assert_int_equal(n, strlen("/service/citus/0/leader") + 1);
    assert_string_equal(decoded, "/service/citus/0/leader"); /* then the NUL byte */
    free(decoded);
    free(next);
    free(json);
    json = range_answer(false);
    assert_null(fleet_etcd_next_page(json, strlen(json), NULL));
    free(json);
    assert_null(fleet_etcd_next_page("{\"more\":true}", 14, &revision));
    assert_int_equal(revision, 0);
}

static void test_member_parse(void **state)
{
    fleet_member m;

    (void)state;
    assert_true(fleet_member_parse("pg-0",
                                   "{\"conn_url\":\"postgres://h:5432/postgres\",\"api_url\":\"u\","
                                   "\"role\":\"primary\",\"state\":\"running\"}",
                                   &m));
    assert_string_equal(m.name, "pg-0");
    assert_string_equal(m.role, "primary");
    assert_string_equal(m.state, "running");
    assert_string_equal(m.host, "h");
    assert_string_equal(m.port, "5432");
    fleet_member_free(&m);
    assert_true(fleet_member_parse("pg-1", "{\"role\":\"replica\"}", &m));
    assert_null(m.host);
    fleet_member_free(&m);
    assert_true(fleet_member_parse("pg-2", "postgres://h2/postgres", &m));
    assert_string_equal(m.conn_url, "postgres://h2/postgres");
    assert_null(m.api_url);
    assert_string_equal(m.port, "5432");
    fleet_member_free(&m);
    assert_false(fleet_member_parse("x", "[1]", &m));
    assert_false(fleet_member_parse("x", "", &m));
}

static void test_conn_url(void **state)
{
    static const struct {
        const char *url;
        const char *host;
        const char *port;
    } cases[] = {
        {"postgres://10.1.2.3:5432/postgres", "10.1.2.3", "5432"},
        {"postgresql://db.internal/postgres", "db.internal", "5432"},
        {"postgres://u:p@w@host:6000/db?sslmode=require", "host", "6000"},
        {"postgres://[::1]:5433/postgres", "::1", "5433"},
        {"postgres://[::1]/postgres", "::1", "5432"},
        {"postgres://h:/postgres", "h", "5432"},
        {"postgres://h:54x/db", NULL, NULL},
        {"postgres:///postgres", NULL, NULL},
        {"postgres://[::1/db", NULL, NULL},
        {"http://h:1/", NULL, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *host;
        char *port;
        bool ok = fleet_conn_url_host_port(cases[i].url, &host, &port);

        if (cases[i].host == NULL) {
            assert_false(ok);
            assert_null(host);
            continue;
        }
        assert_true(ok);
        assert_string_equal(host, cases[i].host);
        assert_string_equal(port, cases[i].port);
        free(host);
        free(port);
    }
    assert_false(fleet_conn_url_host_port(NULL, &(char *){NULL}, &(char *){NULL}));
}

/* One scope from etcd and the static list is one cluster; the DCS's leader wins. */
static void test_merge_sources(void **state)
{
    fleet_inventory inv;
    fleet_cluster *c;
    fleet_member m;
    char *text;

    (void)state;
    fleet_inventory_init(&inv);
    c = fleet_inventory_cluster(&inv, "orders", FLEET_SOURCE_STATIC);
    c->source_host = pgd_strdup("static-host");
    c->source_port = pgd_strdup("5432");
    c->stanza = pgd_strdup("orders-stanza");
    c = fleet_inventory_cluster(&inv, "billing", FLEET_SOURCE_STATIC);
    c->source_host = pgd_strdup("billing-host");
    c->source_port = pgd_strdup("5433");
    c = fleet_inventory_cluster(&inv, "orders", FLEET_SOURCE_KUBERNETES);
    assert_true(fleet_member_parse("orders-0",
                                   "{\"conn_url\":\"postgres://k8s:5432/p\","
                                   "\"role\":\"master\"}",
                                   &m));
    fleet_cluster_set_member(c, &m);
    fleet_cluster_set_member(c, &m); /* the same member twice: replaced */
    fleet_member_free(&m);
    c = fleet_inventory_cluster(&inv, "orders", FLEET_SOURCE_KUBERNETES);
    assert_int_equal(c->member_count, 1);
    assert_true(fleet_member_parse("orders-1", "{\"conn_url\":\"postgres://k8s-1:5432/p\"}", &m));
    /* a second entry of one scope and source (pods listed apart) merges too */
    c = fleet_inventory_cluster(&inv, "billing", FLEET_SOURCE_KUBERNETES);
    c = fleet_inventory_cluster(&inv, "orders", FLEET_SOURCE_KUBERNETES);
    fleet_cluster_set_member(c, &m);
    fleet_member_free(&m);
    fleet_inventory_finish(&inv);
    assert_int_equal(inv.count, 2);
    c = &inv.items[1];
    assert_string_equal(c->scope, "orders");
    assert_int_equal(c->sources, FLEET_SOURCE_KUBERNETES | FLEET_SOURCE_STATIC);
    assert_int_equal(c->member_count, 2);
    assert_string_equal(c->source_host, "k8s");
    assert_string_equal(c->stanza, "orders-stanza");
    text = fleet_sources_text(c->sources);
    assert_string_equal(text, "kubernetes,static");
    free(text);
    /* no member: the static address stays */
    c = &inv.items[0];
    assert_string_equal(c->source_host, "billing-host");
    assert_string_equal(c->source_port, "5433");
    fleet_inventory_free(&inv);
}

static void test_move(void **state)
{
    fleet_inventory a;
    fleet_inventory b;

    (void)state;
    fleet_inventory_init(&a);
    fleet_inventory_init(&b);
    fleet_inventory_cluster(&a, "x", FLEET_SOURCE_STATIC);
    fleet_inventory_cluster(&b, "x", FLEET_SOURCE_ETCD);
    fleet_inventory_cluster(&b, "y", FLEET_SOURCE_ETCD);
    fleet_inventory_move(&a, &b);
    assert_int_equal(b.count, 0);
    fleet_inventory_cluster(&a, "y", FLEET_SOURCE_ETCD);
    fleet_inventory_finish(&a);
    assert_int_equal(a.count, 2);
    assert_int_equal(a.items[0].sources, FLEET_SOURCE_ETCD | FLEET_SOURCE_STATIC);
    fleet_inventory_free(&a);
}

/* Patroni's Kubernetes DCS: pods with the scope label and the status annotation, the leader
 * in <scope>-leader (or with use_endpoints in the Endpoints <scope>). */
static void test_kubernetes_objects(void **state)
{
    const char *pods =
        "[{\"metadata\":{\"name\":\"orders-0\",\"labels\":{\"cluster-name\":\"orders\"},"
        "\"annotations\":{\"status\":\"{\\\"conn_url\\\":\\\"postgres://10.0.0.5:5432/postgres\\\","
        "\\\"role\\\":\\\"master\\\"}\"}}},"
        "{\"metadata\":{\"name\":\"orders-1\",\"labels\":{\"cluster-name\":\"orders\"}}},"
        "{\"metadata\":{\"name\":\"stray\",\"labels\":{\"app\":\"x\"}}}]";
    const char *configmaps =
        "[{\"metadata\":{\"name\":\"orders-leader\",\"labels\":{\"cluster-name\":\"orders\"},"
        "\"annotations\":{\"leader\":\"orders-0\"}}},"
        "{\"metadata\":{\"name\":\"orders-config\",\"labels\":{\"cluster-name\":\"orders\"},"
        "\"annotations\":{\"leader\":\"not-this\"}}},"
        "{\"metadata\":{\"name\":\"search-config\",\"labels\":{\"cluster-name\":\"search\"}}}]";
    const char *endpoints =
        "[{\"metadata\":{\"name\":\"billing\",\"labels\":{\"cluster-name\":\"billing\"},"
        "\"annotations\":{\"leader\":\"billing-0\"}}}]";
    json_t *p = json_loads(pods, 0, NULL);
    json_t *c = json_loads(configmaps, 0, NULL);
    json_t *e = json_loads(endpoints, 0, NULL);
    fleet_inventory inv;
    const fleet_cluster *cluster;

    (void)state;
    assert_non_null(p);
    assert_non_null(c);
    assert_non_null(e);
    fleet_inventory_init(&inv);
    fleet_kube_add_kinds(&inv, c, "cluster-name", false);
    fleet_kube_add_kinds(&inv, e, "cluster-name", true);
    fleet_kube_add_pods(&inv, p, "cluster-name");
    fleet_inventory_finish(&inv);
    assert_int_equal(inv.count, 3);
    cluster = fleet_inventory_find(&inv, "orders");
    assert_string_equal(cluster->leader, "orders-0");
    assert_int_equal(cluster->member_count, 1);
    assert_string_equal(cluster->source_host, "10.0.0.5");
    assert_int_equal(cluster->sources, FLEET_SOURCE_KUBERNETES);
    assert_string_equal(fleet_inventory_find(&inv, "billing")->leader, "billing-0");
    assert_null(fleet_inventory_find(&inv, "search")->leader);
    assert_null(fleet_inventory_find(&inv, "stray"));
    fleet_inventory_free(&inv);
    json_decref(p);
    json_decref(c);
    json_decref(e);
}

static void test_base64(void **state)
{
    static const char *const texts[] = {"", "f", "fo", "foo", "foob", "fooba", "/service/"};
    static const char *const encoded[] = {"",         "Zg==",     "Zm8=",        "Zm9v",
                                          "Zm9vYg==", "Zm9vYmE=", "L3NlcnZpY2Uv"};
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        char *e = fleet_base64_encode(texts[i], strlen(texts[i]));
        char *d = fleet_base64_decode(encoded[i], strlen(encoded[i]), &n);

        assert_string_equal(e, encoded[i]);
        assert_string_equal(d, texts[i]);
        assert_int_equal(n, strlen(texts[i]));
        free(e);
        free(d);
    }
    assert_null(fleet_base64_decode("Zg=", 3, &n));
    assert_null(fleet_base64_decode("Z!==", 4, &n));
    assert_null(fleet_base64_decode("Zg=a", 4, &n));
    assert_null(fleet_base64_decode("====", 4, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etcd_range),
        cmocka_unit_test(test_etcd_other_namespace_and_errors),
        cmocka_unit_test(test_etcd_next_page),
        cmocka_unit_test(test_member_parse),
        cmocka_unit_test(test_conn_url),
        cmocka_unit_test(test_merge_sources),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_kubernetes_objects),
        cmocka_unit_test(test_base64),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
