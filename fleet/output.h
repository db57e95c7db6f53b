/*
 * output.h - what plan prints: a table an SRE reads at a glance, or JSON lines.
 */
#ifndef PGDRILL_FLEET_OUTPUT_H
#define PGDRILL_FLEET_OUTPUT_H

#include "pass.h"

#include <stdbool.h>
#include <stdio.h>

/* One JSON object per scope and line (keys as in the README's table of plan's fields). */
void fleet_print_json(const fleet_plan *plan, FILE *out);

/* A table, aligned, one scope a line, then one line of totals. */
void fleet_print_table(const fleet_plan *plan, FILE *out);

/* The totals line: "3 scopes: 1 due (...), ..." (caller frees); also logged after a pass. */
char *fleet_plan_summary(const fleet_plan *plan);

#endif
