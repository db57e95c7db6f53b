/*
 * kube_inventory.h - the fleet in Patroni's Kubernetes DCS (docs/design.md F52).
 */
#ifndef PGDRILL_FLEET_KUBE_INVENTORY_H
#define PGDRILL_FLEET_KUBE_INVENTORY_H

#include "fleet_config.h"
#include "inventory.h"

/*
 * Add every scope of inventory.kubernetes.namespace: the pods and the ConfigMaps (or
 * Endpoints) that carry Patroni's labels. False with *errmsg when the API could not be read;
 * inventory is then unchanged.
 */
bool fleet_kube_read_inventory(const fleet_config *cfg, fleet_inventory *inventory, char **errmsg);

#endif
