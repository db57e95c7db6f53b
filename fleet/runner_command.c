/*
 * runner_command.c - the command runner (runner.h).
 */
#include "runner.h"

#include "argv.h"
#include "log.h"
#include "process.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static bool run_template(const fleet_config *cfg, const fleet_strlist *template, const char *what,
                         const fleet_vars *vars, char **errmsg)
{
    pgd_argv argv;
    pgd_argv env;
    char *label = pgd_asprintf("%s %s", what, vars->value[FLEET_PH_SCOPE]);
    pgd_proc_spec spec;
    pgd_proc_result result;
    bool ok;

    pgd_argv_init(&argv);
    pgd_argv_init(&env);
    for (size_t i = 0; i < template->count; i++) {
        char *arg = fleet_template_expand(template->items[i], vars);

        pgd_argv_add(&argv, arg);
        free(arg);
    }
    for (size_t i = 0; i < fleet_drill_variable_count; i++) {
        const char *value = vars->value[fleet_drill_variables[i].placeholder];

        if (value != NULL && value[0] != '\0')
            pgd_argv_addf(&env, "%s=%s", fleet_drill_variables[i].name, value);
    }
    memset(&spec, 0, sizeof(spec));
    spec.argv = pgd_argv_get(&argv);
    spec.env = pgd_argv_get(&env);
    spec.label = label;
    {
        char *shown = pgd_proc_format_argv(spec.argv);

        pgd_info("%s: running %s", label, shown);
        free(shown);
    }
    ok = pgd_proc_run(&spec, (int64_t)cfg->launch.timeout * 1000, &result);
    if (!ok) {
        char *how = pgd_proc_describe(&result);
        const char *lines = pgd_proc_error_lines(&result);

        if (result.outcome == PGD_PROC_TIMED_OUT)
            *errmsg =
                pgd_asprintf("%s: ran past launch.timeout (%lds), its process group "
                             "was killed%s%s",
                             template->items[0], cfg->launch.timeout, lines[0] ? ": " : "", lines);
        else
            *errmsg =
                pgd_asprintf("%s: %s%s%s", template->items[0], how, lines[0] ? ": " : "", lines);
        free(how);
    }
    pgd_proc_result_free(&result);
    pgd_argv_free(&env);
    pgd_argv_free(&argv);
    free(label);
    return ok;
}

bool fleet_command_launch(const fleet_config *cfg, const fleet_vars *vars, char **errmsg)
{
    return run_template(cfg, &cfg->launch.command, "launch", vars, errmsg);
}

bool fleet_command_cleanup(const fleet_config *cfg, const fleet_vars *vars, char **errmsg)
{
    if (cfg->launch.cleanup.count == 0)
        return true;
    return run_template(cfg, &cfg->launch.cleanup, "cleanup", vars, errmsg);
}
