/*
 * pass.h - one pass of the deployer: the fleet, its facts, the judgement, the launches.
 *
 * A pass reads the inventory (etcd, the static list), asks the status history for the
 * facts of every scope it found, judges them (plan.c) and, with `run`, records and starts
 * the drills that are due, then cleans up after the drills that ended. `plan` does the
 * same reading and judging and changes nothing. If the inventory or the history cannot be
 * read, nothing is launched.
 */
#ifndef PGDRILL_FLEET_PASS_H
#define PGDRILL_FLEET_PASS_H

#include "fleet_config.h"
#include "inventory.h"
#include "ledger.h"
#include "plan.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum fleet_mode {
    FLEET_MODE_PLAN, /* read and judge */
    FLEET_MODE_RUN,  /* ... and launch, end silent launches, clean up */
} fleet_mode;

/* One scope of the pass. */
typedef struct fleet_row {
    const fleet_cluster *cluster; /* in the plan's inventory */
    char *stanza;
    fleet_policy_values policy;
    fleet_scope_facts facts;
    fleet_judgement judgement;
    char *test_id;      /* launched by this pass */
    char *launch_error; /* ... and its launch failed */
} fleet_row;

typedef struct fleet_plan {
    fleet_inventory inventory;
    fleet_row *rows; /* sorted by scope */
    size_t count;
    double now;          /* the history server's clock */
    long in_progress;    /* drills in progress in the fleet before this pass's launches */
    long max_concurrent; /* the cap */
    size_t launched;
    size_t launch_failed;
    size_t never_started;    /* launches this pass ended as never_started */
    fleet_launch_rows ended; /* ... their "scheduled" rows */
    size_t cleaned;
    double started_at; /* wall clock, Unix seconds */
    double duration;   /* seconds */
    bool inventory_ok; /* every source answered */
    bool history_ok;   /* the history answered */
    char *error;       /* why the pass failed, or NULL */
} fleet_plan;

/*
 * One pass in mode; the plan is filled as far as it got. Returns PGD_EXIT_OK, or
 * PGD_EXIT_INCONCLUSIVE when the inventory or the history could not be read (nothing was
 * launched; plan->error says why) or a termination signal stopped the pass.
 */
int fleet_pass(const fleet_config *cfg, fleet_mode mode, fleet_plan *plan);

void fleet_plan_free(fleet_plan *plan);

#endif
