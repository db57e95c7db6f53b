/*
 * http.h - the deployer's HTTP requests (etcd's JSON gateway, the Kubernetes API).
 *
 * libcurl with the habits of the webhook (common/fleet/webhook.c): TLS verification always
 * on (a CA bundle for a private CA), no redirects, http and https only, connect and total
 * timeouts, and a termination signal ends the request at once. Bodies are bounded: an
 * answer larger than max_body is an error, not a process grown without limit.
 */
#ifndef PGDRILL_FLEET_HTTP_H
#define PGDRILL_FLEET_HTTP_H

#include "xalloc.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct fleet_http_tls {
    const char *ca_file; /* "" or NULL: the system's CAs */
    const char *cert;    /* client certificate, or "" */
    const char *key;
} fleet_http_tls;

typedef struct fleet_http_request {
    const char *method; /* GET, POST, DELETE */
    const char *url;
    const char *body;          /* NULL: none */
    const char *content_type;  /* with a body; default application/json */
    const char *authorization; /* the Authorization header's value, or NULL; never logged */
    fleet_http_tls tls;
    long timeout_s;
    size_t max_body;
} fleet_http_request;

typedef struct fleet_http_response {
    long status; /* 0 when no answer came */
    pgd_buf body;
    char *error; /* no answer: why (caller frees) */
} fleet_http_response;

/*
 * Send the request. True when an answer came (any status: the caller judges it); false
 * with response->error otherwise. Free the response with fleet_http_response_free.
 */
bool fleet_http_send(const fleet_http_request *request, fleet_http_response *response);

void fleet_http_response_free(fleet_http_response *response);

#endif
