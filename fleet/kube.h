/*
 * kube.h - the Kubernetes API, as much as the deployer needs: lists (paged), create,
 * delete, with the pod's service-account token and CA (in-cluster) or given ones.
 *
 * Requests go through http.c (TLS verified, bounded); answers are JSON. The token is read
 * from its file when the client is opened (the kubelet rotates projected tokens; a pass
 * opens its own client), registered as a secret and sent only as "Authorization: Bearer".
 */
#ifndef PGDRILL_FLEET_KUBE_H
#define PGDRILL_FLEET_KUBE_H

#include <jansson.h>
#include <stdbool.h>

#define FLEET_KUBE_TOKEN_FILE "/var/run/secrets/kubernetes.io/serviceaccount/token"
#define FLEET_KUBE_CA_FILE    "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

typedef struct fleet_kube {
    char *api_url; /* https://host:port, no trailing slash */
    char *authorization;
    char *ca_file;
    long timeout;
} fleet_kube;

/*
 * api_url "" means in-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.
 * token_file "" means no token. False with *errmsg.
 */
bool fleet_kube_open(fleet_kube *kube, const char *api_url, const char *token_file,
                     const char *ca_file, long timeout, char **errmsg);

void fleet_kube_close(fleet_kube *kube);

/*
 * One request (path begins with /api or /apis, query included; body NULL or JSON). True
 * with *answer (new reference, may be NULL for an empty body) and *status for any answer;
 * false with *errmsg when none came. The caller judges the status.
 */
bool fleet_kube_request(const fleet_kube *kube, const char *method, const char *path, json_t *body,
                        long *status, json_t **answer, char **errmsg);

/*
 * Every item of a list (path without query; label_selector may be NULL), following
 * metadata.continue; false with *errmsg (the API's message for a status other than 200).
 * *items is a new array.
 */
bool fleet_kube_list(const fleet_kube *kube, const char *path, const char *label_selector,
                     json_t **items, char **errmsg);

/* "HTTP 403: jobs.batch is forbidden: ..." from an answer that is not a success (caller frees). */
char *fleet_kube_error(long status, json_t *answer);

/* A query parameter's value, percent-encoded (caller frees). */
char *fleet_kube_escape(const char *value);

#endif
