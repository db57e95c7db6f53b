/*
 * runner.h - how the deployer starts a drill and cleans up after it.
 *
 * The command runner (runner_command.c) runs launch.command, an argv template, without a
 * shell, in a process group of its own, bounded by launch.timeout (then the whole group is
 * killed), its output relayed into the log; launch.cleanup likewise once the drill ended.
 * The drill's particulars go into the argv through the placeholders and into the
 * environment as bootstrap's variables (PGDRILL_TEST_ID, PGDRILL_SOURCE_SCOPE, ...), so a
 * launcher that starts Patroni passes them on without wiring.
 */
#ifndef PGDRILL_FLEET_RUNNER_H
#define PGDRILL_FLEET_RUNNER_H

#include "fleet_config.h"
#include "kube.h"
#include "ledger.h"
#include "template.h"

#include <stdbool.h>
#include <stddef.h>

/* The runners' names in the "scheduled" row's detail. */
#define FLEET_RUNNER_COMMAND    "command"
#define FLEET_RUNNER_KUBERNETES "kubernetes"

/* The labels the Kubernetes runner gives its Jobs and their pods. */
#define FLEET_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define FLEET_MANAGER          "pgdrill-fleet"
#define FLEET_LABEL_TEST_ID    "pgdrill.io/test-id"
#define FLEET_LABEL_DRILL      "pgdrill.io/drill-name"
#define FLEET_LABEL_SCOPE      "pgdrill.io/scope"

/* Start one drill; false with *errmsg (the command's failure and last lines of output). */
bool fleet_command_launch(const fleet_config *cfg, const fleet_vars *vars, char **errmsg);

/* Clean up after one drill that ended; false with *errmsg. True when there is no cleanup. */
bool fleet_command_cleanup(const fleet_config *cfg, const fleet_vars *vars, char **errmsg);

/*
 * The Kubernetes runner (runner_kube.c): the Job of one drill from launch.kubernetes.template,
 * its strings expanded, named {drill_name}, labelled (FLEET_LABEL_*), bootstrap's PGDRILL_*
 * variables set in every container, created in launch.kubernetes.namespace. A new Job
 * (caller frees) for the offline checks; fleet_kube_launch creates it.
 */
json_t *fleet_kube_job(const fleet_config *cfg, const fleet_vars *vars);
bool fleet_kube_launch(const fleet_config *cfg, const fleet_kube *kube, const fleet_vars *vars,
                       char **errmsg);

/*
 * The Kubernetes runner's cleanup at now: the Jobs of launches this pass ended as
 * never_started (ended), and every Job of pgdrill-fleet's that finished launch.kubernetes.
 * retention ago or longer, each with the ConfigMaps and Endpoints its drill's Patroni scope
 * left (labelled scope_label={drill_name}). Returns how many Jobs were deleted; failures are
 * logged and tried again at the next pass.
 */
size_t fleet_kube_cleanup(const fleet_config *cfg, const fleet_kube *kube, double now,
                          const fleet_launch_rows *ended);

#endif
