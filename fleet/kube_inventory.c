/*
 * kube_inventory.c - the fleet in Patroni's Kubernetes DCS (kube_inventory.h).
 */
#include "kube_inventory.h"

#include "kube.h"
#include "xalloc.h"

#include <stdlib.h>

/* Patroni's own selector (patroni/dcs/kubernetes.py): its labels, without the scope label. */
static char *label_selector(const fleet_labels *labels)
{
    pgd_buf out;

    pgd_buf_init(&out);
    for (size_t i = 0; i < labels->count; i++)
        pgd_buf_appendf(&out, "%s%s=%s", i > 0 ? "," : "", labels->items[i].name,
                        labels->items[i].value);
    return pgd_buf_steal(&out);
}

bool fleet_kube_read_inventory(const fleet_config *cfg, fleet_inventory *inventory, char **errmsg)
{
    const fleet_kube_access *a = &cfg->inventory.kubernetes.access;
    const char *ns = cfg->inventory.kubernetes.namespace_name;
    bool endpoints = cfg->inventory.kubernetes.use_endpoints;
    char *selector = label_selector(&cfg->inventory.kubernetes.labels);
    char *pods_path = pgd_asprintf("/api/v1/namespaces/%s/pods", ns);
    char *kinds_path =
        pgd_asprintf("/api/v1/namespaces/%s/%s", ns, endpoints ? "endpoints" : "configmaps");
    json_t *pods = NULL;
    json_t *kinds = NULL;
    fleet_inventory found;
    fleet_kube kube;
    bool ok = fleet_kube_open(&kube, a->api_url, a->token_file, a->ca_file, a->timeout, errmsg);

    fleet_inventory_init(&found);
    if (ok)
        ok = fleet_kube_list(&kube, pods_path, selector, &pods, errmsg) &&
             fleet_kube_list(&kube, kinds_path, selector, &kinds, errmsg);
    if (ok) {
        fleet_kube_add_kinds(&found, kinds, cfg->inventory.kubernetes.scope_label, endpoints);
        fleet_kube_add_pods(&found, pods, cfg->inventory.kubernetes.scope_label);
        fleet_inventory_move(inventory, &found);
    }
    fleet_inventory_free(&found);
    json_decref(pods);
    json_decref(kinds);
    if (kube.api_url != NULL)
        fleet_kube_close(&kube);
    free(kinds_path);
    free(pods_path);
    free(selector);
    return ok;
}
