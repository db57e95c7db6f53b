/*
 * etcd.h - the fleet in etcd: every Patroni scope under the namespace.
 *
 * etcd 3.4 serves its v3 API as JSON over HTTP next to gRPC (the gateway: /v3/kv/range,
 * keys and values base64), which is what Patroni's etcd3 DCS uses too (docs/design.md,
 * F50); so libcurl and jansson suffice. The namespace is read in pages of one revision:
 * the fleet as it was at one moment, however large. Through the gateway, TLS client
 * certificates and a user and password do not go together (F53).
 */
#ifndef PGDRILL_FLEET_ETCD_H
#define PGDRILL_FLEET_ETCD_H

#include "fleet_config.h"
#include "inventory.h"

/*
 * Add every scope under inventory.etcd.namespace to inventory, asking the endpoints in turn
 * until one answers completely. False with *errmsg (naming each endpoint's failure) when
 * none did; inventory is then unchanged.
 */
bool fleet_etcd_read(const fleet_config *cfg, fleet_inventory *inventory, char **errmsg);

#endif
