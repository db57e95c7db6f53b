/*
 * yamljson.h - a YAML document as JSON, the way Kubernetes reads a manifest.
 *
 * The Kubernetes runner's Job template is YAML (what people write and kubectl applies);
 * the API takes JSON. Plain scalars are typed as Kubernetes' YAML decoder types them (YAML
 * 1.1: null, ~ and an empty value are null; true/false/yes/no/on/off booleans; decimal,
 * 0x and 0o/0-prefixed octal integers; floats), quoted ones are strings; anchors and
 * aliases are resolved by libyaml; mapping keys must be strings and unique.
 */
#ifndef PGDRILL_FLEET_YAMLJSON_H
#define PGDRILL_FLEET_YAMLJSON_H

#include <jansson.h>

/*
 * The single document of text as JSON (new reference), or NULL with *errmsg ("LINE: reason",
 * caller frees).
 */
json_t *fleet_yaml_to_json(const char *text, char **errmsg);

#endif
