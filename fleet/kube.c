/*
 * kube.c - the Kubernetes API (kube.h).
 */
#include "kube.h"

#include "fsutil.h"
#include "http.h"
#include "secret.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER_BYTES (256L * 1024 * 1024)
#define MAX_TOKEN_BYTES  (64 * 1024)
#define PAGE_ITEMS       500

char *fleet_kube_escape(const char *value)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        if (isalnum(*p) || strchr("-._~", *p) != NULL)
            pgd_buf_append_n(&out, (const char *)p, 1);
        else
            pgd_buf_appendf(&out, "%%%02X", *p);
    }
    return pgd_buf_steal(&out);
}

/* The in-cluster address from the environment the kubelet gives every container. */
static char *in_cluster_url(char **errmsg)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");

    if (host == NULL || host[0] == '\0') {
        *errmsg = pgd_strdup("api_url is empty and KUBERNETES_SERVICE_HOST is not set: not in "
                             "a pod, name the API server");
        return NULL;
    }
    return pgd_asprintf(strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
                        port && port[0] ? port : "443");
}

bool fleet_kube_open(fleet_kube *kube, const char *api_url, const char *token_file,
                     const char *ca_file, long timeout, char **errmsg)
{
    memset(kube, 0, sizeof(*kube));
    kube->timeout = timeout;
    kube->ca_file = pgd_strdup(ca_file);
    kube->api_url = api_url[0] != '\0' ? pgd_strdup(api_url) : in_cluster_url(errmsg);
    if (kube->api_url == NULL) {
        fleet_kube_close(kube);
        return false;
    }
    if (kube->api_url[strlen(kube->api_url) - 1] == '/')
        kube->api_url[strlen(kube->api_url) - 1] = '\0';
    if (token_file[0] != '\0') {
        char *why = NULL;
        char *token = pgd_read_file(token_file, MAX_TOKEN_BYTES, &why);

        if (token == NULL) {
            *errmsg = pgd_asprintf("could not read the service account token: %s", why);
            free(why);
            fleet_kube_close(kube);
            return false;
        }
        token[strcspn(token, "\r\n")] = '\0';
        pgd_secret_register(token);
        kube->authorization = pgd_asprintf("Bearer %s", token);
        free(token);
    }
    return true;
}

void fleet_kube_close(fleet_kube *kube)
{
    free(kube->api_url);
    free(kube->authorization);
    free(kube->ca_file);
    memset(kube, 0, sizeof(*kube));
}

bool fleet_kube_request(const fleet_kube *kube, const char *method, const char *path, json_t *body,
                        long *status, json_t **answer, char **errmsg)
{
    char *url = pgd_asprintf("%s%s", kube->api_url, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    fleet_http_request request = {
        .method = method,
        .url = url,
        .body = text,
        .authorization = kube->authorization,
        .tls = {kube->ca_file, NULL, NULL},
        .timeout_s = kube->timeout,
        .max_body = MAX_ANSWER_BYTES,
    };
    fleet_http_response response;
    bool ok = fleet_http_send(&request, &response);

    *answer = NULL;
    *status = response.status;
    if (!ok)
        *errmsg = pgd_asprintf("%s %s: %s", method, path, response.error);
    else if (response.body.len > 0)
        *answer = json_loadb(response.body.data, response.body.len, 0, NULL);
    fleet_http_response_free(&response);
    free(text);
    free(url);
    return ok;
}

char *fleet_kube_error(long status, json_t *answer)
{
    const char *message = json_string_value(json_object_get(answer, "message"));

    return pgd_asprintf("HTTP %ld: %s", status, message ? message : "(no message)");
}

bool fleet_kube_list(const fleet_kube *kube, const char *path, const char *label_selector,
                     json_t **items, char **errmsg)
{
    char *selector = label_selector ? fleet_kube_escape(label_selector) : NULL;
    char *next = NULL;
    bool ok = true;

    *items = json_array();
    do {
        char *cont = next ? fleet_kube_escape(next) : NULL;
        char *query =
            pgd_asprintf("%s?limit=%d%s%s%s%s", path, PAGE_ITEMS, selector ? "&labelSelector=" : "",
                         selector ? selector : "", cont ? "&continue=" : "", cont ? cont : "");
        json_t *answer = NULL;
        long status = 0;

        free(cont);
        free(next);
        next = NULL;
        ok = fleet_kube_request(kube, "GET", query, NULL, &status, &answer, errmsg);
        if (ok && (status != 200 || !json_is_array(json_object_get(answer, "items")))) {
            char *why = fleet_kube_error(status, answer);

            *errmsg = pgd_asprintf("GET %s: %s", query, why);
            free(why);
            ok = false;
        }
        if (ok) {
            const char *token =
                json_string_value(json_object_get(json_object_get(answer, "metadata"), "continue"));

            json_array_extend(*items, json_object_get(answer, "items"));
            if (token != NULL && token[0] != '\0')
                next = pgd_strdup(token);
        }
        json_decref(answer);
        free(query);
    } while (ok && next != NULL);
    free(next);
    free(selector);
    if (!ok) {
        json_decref(*items);
        *items = NULL;
    }
    return ok;
}
