/*
 * http.c - the deployer's HTTP requests (http.h).
 */
#include "http.h"

#include "signals.h"

#include <curl/curl.h>

#include <stdlib.h>
#include <string.h>

typedef struct sink {
    pgd_buf *body;
    size_t max;
    bool overflow;
} sink;

static size_t collect(char *data, size_t size, size_t count, void *arg)
{
    sink *s = arg;
    size_t n = size * count;

    if (s->body->len + n > s->max) {
        s->overflow = true;
        return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
    }
    pgd_buf_append_n(s->body, data, n);
    return n;
}

/* Curl asks every so often; a termination signal ends the request. */
static int progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                    curl_off_t ulnow)
{
    (void)arg;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return pgd_interrupted() != 0;
}

static struct curl_slist *request_headers(const fleet_http_request *request)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");

    if (request->body != NULL) {
        char *type = pgd_asprintf("Content-Type: %s", request->content_type ? request->content_type
                                                                            : "application/json");

        headers = curl_slist_append(headers, type);
        free(type);
    }
    if (request->authorization != NULL) {
        char *auth = pgd_asprintf("Authorization: %s", request->authorization);

        headers = curl_slist_append(headers, auth);
        free(auth);
    }
    return headers;
}

static void set_tls(CURL *curl, const fleet_http_tls *tls)
{
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (tls->ca_file != NULL && tls->ca_file[0] != '\0')
        curl_easy_setopt(curl, CURLOPT_CAINFO, tls->ca_file);
    if (tls->cert != NULL && tls->cert[0] != '\0') {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, tls->cert);
        curl_easy_setopt(curl, CURLOPT_SSLKEY, tls->key);
    }
}

bool fleet_http_send(const fleet_http_request *request, fleet_http_response *response)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers;
    char curl_error[CURL_ERROR_SIZE] = "";
    sink s;
    CURLcode rc;

    memset(response, 0, sizeof(*response));
    pgd_buf_init(&response->body);
    if (curl == NULL) {
        response->error = pgd_strdup("could not initialize libcurl");
        return false;
    }
    s.body = &response->body;
    s.max = request->max_body;
    s.overflow = false;
    headers = request_headers(request);
    curl_easy_setopt(curl, CURLOPT_URL, request->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request->method);
    if (request->body != NULL)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request->body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, request->timeout_s);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, request->timeout_s);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "pgdrill-fleet/" PGDRILL_VERSION);
    /* a gzip'ed answer of etcd's whole namespace is a tenth of its size */
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    set_tls(curl, &request->tls);
    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
    else if (s.overflow)
        response->error = pgd_asprintf("the answer is larger than %zu bytes", request->max_body);
    else if (rc == CURLE_ABORTED_BY_CALLBACK)
        response->error = pgd_strdup("interrupted by a termination signal");
    else
        response->error = pgd_strdup(curl_error[0] ? curl_error : curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK;
}

void fleet_http_response_free(fleet_http_response *response)
{
    pgd_buf_free(&response->body);
    free(response->error);
    response->error = NULL;
}
