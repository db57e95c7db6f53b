/*
 * template.h - the runners' templates: "{scope}" and its kind replaced by a drill's values.
 *
 * A launch command is an argv (no shell ever sees it) and a Job manifest a tree of strings;
 * either holds placeholders in braces, replaced per drill. "{{" and "}}" stand for a brace.
 * Which placeholders exist is one list here, so a misspelled one is a configuration error
 * at load time, not a drill started with "{scpoe}" in its arguments.
 */
#ifndef PGDRILL_FLEET_TEMPLATE_H
#define PGDRILL_FLEET_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum fleet_placeholder {
    FLEET_PH_SCOPE,       /* the cluster's Patroni scope */
    FLEET_PH_STANZA,      /* its stanza (policy; default: the scope) */
    FLEET_PH_TEST_ID,     /* the drill's test id, recorded in the "scheduled" row */
    FLEET_PH_SOURCE_HOST, /* the leader's host, from its conn_url */
    FLEET_PH_SOURCE_PORT, /* ... and port */
    FLEET_PH_LEADER,      /* the leader's member name */
    FLEET_PH_API_URL,     /* the leader's Patroni REST API */
    FLEET_PH_FOUND_IN,    /* etcd, kubernetes, static (comma-separated) */
    FLEET_PH_DRILL_NAME,  /* <scope>-<first 8 of the test id>, DNS-1123: names, Patroni scopes */
    FLEET_PH_RECOVERY_TARGET, /* latest, or the policy's past.target (oldest, random) */
    FLEET_PH_COUNT,
} fleet_placeholder;

/* A drill's values, by placeholder; NULL is replaced by "". */
typedef struct fleet_vars {
    const char *value[FLEET_PH_COUNT];
} fleet_vars;

/*
 * bootstrap's variables (bootstrap/bootstrap_usage.c's environment) and the placeholder
 * whose value each carries: both runners set them, so that one pgdrill.yml serves a fleet.
 */
typedef struct fleet_drill_variable {
    const char *name;
    fleet_placeholder placeholder;
} fleet_drill_variable;

extern const fleet_drill_variable fleet_drill_variables[];
extern const size_t fleet_drill_variable_count;

/* "scope", "stanza", ...: the placeholder's name, braces excluded. */
const char *fleet_placeholder_name(fleet_placeholder placeholder);

/* "{scope}, {stanza}, ..." for messages and the README (caller frees). */
char *fleet_placeholder_list(void);

/*
 * Is text a valid template? False with *why (caller frees) naming the first unknown
 * placeholder or stray brace.
 */
bool fleet_template_check(const char *text, char **why);

/* text with every placeholder replaced (caller frees); text must have passed the check. */
char *fleet_template_expand(const char *text, const fleet_vars *vars);

/*
 * The same for the strings of a manifest (the Kubernetes runner's Job), leniently: only
 * "{word}" of lowercase letters and '_' is a placeholder (and must be a known one); every
 * other brace stays as it is, so a container's shell script (${f%.conf}, { ...; }) needs no
 * escaping, and there are no "{{" escapes.
 */
bool fleet_manifest_check(const char *text, char **why);
char *fleet_manifest_expand(const char *text, const fleet_vars *vars);

/*
 * A DNS-1123 label from scope and test id: lowercase letters, digits and '-', at most 63
 * characters, "<scope>-<first 8 characters of the test id>" (caller frees).
 */
char *fleet_drill_name(const char *scope, const char *test_id);

#endif
