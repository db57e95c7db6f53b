/*
 * etcd.c - the fleet in etcd (etcd.h).
 */
#include "etcd.h"

#include "fsutil.h"
#include "http.h"
#include "log.h"
#include "secret.h"
#include "xalloc.h"

#include <jansson.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Keys per page: Patroni writes about six per scope (config, initialize, leader, members/, status,
 * history). */
#define PAGE_KEYS         10000
#define MAX_PAGE_BYTES    (256L * 1024 * 1024)
#define MAX_PASSWORD_SIZE 4096

/* The first key after every key that starts with prefix: its last byte plus one (etcd's prefix
 * range). */
static char *prefix_end(const char *prefix)
{
    char *end = pgd_strdup(prefix);
    size_t n = strlen(end);

    end[n - 1] = (char)(end[n - 1] + 1);
    return end;
}

static char *b64(const char *text, size_t length)
{
    return fleet_base64_encode(text, length);
}

/* What an error answer says: gRPC's {"error": ..., "message": ...}, else its first line. */
static char *answer_error(const fleet_http_response *response)
{
    json_t *root = json_loads(response->body.data, 0, NULL);
    const char *message = json_string_value(json_object_get(root, "message"));
    char *text;

    if (message == NULL)
        message = json_string_value(json_object_get(root, "error"));
    if (message != NULL)
        text = pgd_asprintf("HTTP %ld: %.*s", response->status, (int)strcspn(message, "\r\n"),
                            message);
    else
        text = pgd_asprintf("HTTP %ld: %.200s", response->status, response->body.data);
    json_decref(root);
    return text;
}

/* POST path with body to endpoint; the answer's body when it is 200, else NULL with *errmsg. */
static bool call(const fleet_config *cfg, const char *endpoint, const char *path, const char *body,
                 const char *token, fleet_http_response *response, char **errmsg)
{
    char *url = pgd_asprintf("%s%s", endpoint, path);
    fleet_http_request request = {
        .method = "POST",
        .url = url,
        .body = body,
        .authorization = token,
        .tls = {cfg->inventory.etcd.cacert, cfg->inventory.etcd.cert, cfg->inventory.etcd.key},
        .timeout_s = cfg->inventory.etcd.timeout,
        .max_body = MAX_PAGE_BYTES,
    };
    bool ok = fleet_http_send(&request, response);

    free(url);
    if (!ok) {
        *errmsg = pgd_strdup(response->error);
        return false;
    }
    if (response->status != 200) {
        *errmsg = answer_error(response);
        return false;
    }
    return true;
}

/* etcd's authentication: a token for the user, or NULL with *errmsg. */
static char *authenticate(const fleet_config *cfg, const char *endpoint, char **errmsg)
{
    char *why = NULL;
    char *password = pgd_read_file(cfg->inventory.etcd.password_file, MAX_PASSWORD_SIZE, &why);
    fleet_http_response response;
    json_t *body;
    char *text;
    char *token = NULL;

    if (password == NULL) {
        *errmsg = pgd_asprintf("could not read inventory.etcd.password_file: %s", why);
        free(why);
        return NULL;
    }
    password[strcspn(password, "\r\n")] = '\0';
    pgd_secret_register(password);
    body = json_pack("{s:s,s:s}", "name", cfg->inventory.etcd.username, "password", password);
    text = json_dumps(body, JSON_COMPACT);
    if (call(cfg, endpoint, "/v3/auth/authenticate", text, NULL, &response, errmsg)) {
        json_t *root = json_loads(response.body.data, 0, NULL);
        const char *value = json_string_value(json_object_get(root, "token"));

        if (value != NULL) {
            token = pgd_strdup(value);
            pgd_secret_register(token);
        } else
            *errmsg = pgd_strdup("authentication answered without a token");
        json_decref(root);
    } else {
        char *inner = *errmsg;

        *errmsg =
            pgd_asprintf("could not authenticate as %s: %s", cfg->inventory.etcd.username, inner);
        free(inner);
    }
    fleet_http_response_free(&response);
    free(text);
    json_decref(body);
    free(password);
    return token;
}

/* One page of the range from start (base64) at revision (0: the newest), unparsed. */
typedef struct page_request {
    const fleet_config *cfg;
    const char *endpoint;
    const char *token;
    char *start_b64;
    const char *end_b64;
    long long revision;
    fleet_http_response response;
    char *errmsg;
    bool ok;
} page_request;

static void *fetch_page(void *arg)
{
    page_request *r = arg;
    json_t *body = json_pack("{s:s,s:s,s:I}", "key", r->start_b64, "range_end", r->end_b64, "limit",
                             (json_int_t)PAGE_KEYS);
    char *text;

    if (r->revision > 0)
        json_object_set_new(body, "revision", json_integer((json_int_t)r->revision));
    text = json_dumps(body, JSON_COMPACT);
    r->ok = call(r->cfg, r->endpoint, "/v3/kv/range", text, r->token, &r->response, &r->errmsg);
    free(text);
    json_decref(body);
    return NULL;
}

/* Parse one fetched page into inventory; false with *errmsg. */
static bool parse_page(const fleet_config *cfg, page_request *page, fleet_inventory *inventory,
                       bool expect_more, char **errmsg)
{
    long long revision = 0;
    char *last_key = NULL;
    char *why = NULL;
    bool more = false;
    bool ok;

    if (!page->ok) {
        *errmsg = page->errmsg;
        page->errmsg = NULL;
        return false;
    }
    ok = fleet_etcd_parse_range(page->response.body.data, page->response.body.len,
                                cfg->inventory.etcd.namespace_prefix, inventory, &more, &last_key,
                                &revision, &why);
    if (!ok)
        *errmsg = pgd_asprintf("unexpected answer to /v3/kv/range: %s", why);
    else if (more != expect_more) {
        *errmsg = pgd_strdup("unexpected answer to /v3/kv/range: \"more\" not as its text says");
        ok = false;
    }
    free(last_key);
    free(why);
    return ok;
}

/*
 * The whole namespace from one endpoint, page by page at the first page's revision. While a
 * page is parsed, the next one is already being fetched by a thread of its own: etcd's JSON
 * encoding is most of the time (README Performance), so both CPUs work.
 */
static bool read_endpoint(const fleet_config *cfg, const char *endpoint, fleet_inventory *inventory,
                          size_t *pages, char **errmsg)
{
    const char *prefix = cfg->inventory.etcd.namespace_prefix;
    char *end = prefix_end(prefix);
    page_request page;
    char *token = NULL;
    bool ok = true;

    memset(&page, 0, sizeof(page));
    page.cfg = cfg;
    page.endpoint = endpoint;
    page.start_b64 = b64(prefix, strlen(prefix));
    page.end_b64 = b64(end, strlen(end));
    if (cfg->inventory.etcd.username[0] != '\0') {
        token = authenticate(cfg, endpoint, errmsg);
        ok = token != NULL;
    }
    page.token = token;
    if (ok)
        fetch_page(&page);
    while (ok) {
        page_request next = page;
        pthread_t thread;
        bool prefetch = false;

        (*pages)++;
        next.start_b64 = NULL;
        if (page.ok)
            next.start_b64 = fleet_etcd_next_page(page.response.body.data, page.response.body.len,
                                                  next.revision == 0 ? &next.revision : NULL);
        next.errmsg = NULL;
        memset(&next.response, 0, sizeof(next.response));
        if (next.start_b64 != NULL) {
            prefetch = pthread_create(&thread, NULL, fetch_page, &next) == 0;
            if (!prefetch)
                fetch_page(&next);
        }
        ok = parse_page(cfg, &page, inventory, next.start_b64 != NULL, errmsg);
        if (prefetch)
            pthread_join(thread, NULL);
        free(page.start_b64);
        free(page.errmsg);
        fleet_http_response_free(&page.response);
        page = next;
        if (page.start_b64 == NULL)
            break;
    }
    /* a page fetched but not parsed (the one before failed) */
    free(page.start_b64);
    free(page.errmsg);
    if (page.response.body.data != NULL)
        fleet_http_response_free(&page.response);
    free((char *)page.end_b64);
    free(token);
    free(end);
    return ok;
}

bool fleet_etcd_read(const fleet_config *cfg, fleet_inventory *inventory, char **errmsg)
{
    pgd_buf failures;

    pgd_buf_init(&failures);
    for (size_t i = 0; i < cfg->inventory.etcd.endpoints.count; i++) {
        const char *endpoint = cfg->inventory.etcd.endpoints.items[i];
        fleet_inventory found;
        char *why = NULL;
        size_t pages = 0;

        fleet_inventory_init(&found);
        if (read_endpoint(cfg, endpoint, &found, &pages, &why)) {
            pgd_debug("etcd %s: %zu key page%s read", endpoint, pages, pages == 1 ? "" : "s");
            fleet_inventory_move(inventory, &found);
            pgd_buf_free(&failures);
            return true;
        }
        pgd_warn("could not read the fleet from etcd at %s: %s", endpoint, why);
        pgd_buf_appendf(&failures, "%s%s: %s", failures.len > 0 ? "; " : "", endpoint, why);
        free(why);
        fleet_inventory_free(&found);
    }
    *errmsg = pgd_buf_steal(&failures);
    return false;
}
