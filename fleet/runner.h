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
#include "template.h"

#include <stdbool.h>

/* "command": the runner's name in the "scheduled" row's detail. */
#define FLEET_RUNNER_COMMAND "command"

/* Start one drill; false with *errmsg (the command's failure and last lines of output). */
bool fleet_command_launch(const fleet_config *cfg, const fleet_vars *vars, char **errmsg);

/* Clean up after one drill that ended; false with *errmsg. True when there is no cleanup. */
bool fleet_command_cleanup(const fleet_config *cfg, const fleet_vars *vars, char **errmsg);

#endif
