/*
 * runner_kube.c - the Kubernetes runner (runner.h): a Job per drill, deleted after a
 * retention with what the drill's Patroni left in its DCS.
 */
#include "runner.h"

#include "clock.h"
#include "log.h"
#include "xalloc.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A copy of value with every string expanded (a new reference). */
static json_t *expand(json_t *value, const fleet_vars *vars)
{
    json_t *item;
    json_t *copy;

    if (json_is_string(value)) {
        char *text = fleet_manifest_expand(json_string_value(value), vars);

        copy = json_string(text);
        free(text);
        return copy;
    }
    if (json_is_object(value)) {
        const char *key;

        copy = json_object();
        json_object_foreach(value, key, item)
        {
            json_object_set_new(copy, key, expand(item, vars));
        }
        return copy;
    }
    if (json_is_array(value)) {
        size_t index;

        copy = json_array();
        json_array_foreach(value, index, item)
        {
            json_array_append_new(copy, expand(item, vars));
        }
        return copy;
    }
    return json_deep_copy(value);
}

/* object.key as an object, created when missing (or not an object). */
static json_t *child(json_t *object, const char *key)
{
    json_t *found = json_object_get(object, key);

    if (!json_is_object(found)) {
        found = json_object();
        json_object_set_new(object, key, found);
    }
    return found;
}

/* A label value from text: at most 63 of [A-Za-z0-9-_.], beginning and ending alphanumeric. */
static char *label_value(const char *text)
{
    char value[64];
    size_t n = 0;

    for (const char *p = text; *p != '\0' && n < 63; p++) {
        unsigned char c = (unsigned char)*p;

        if ((isalnum(c) && c < 0x80) || c == '-' || c == '_' || c == '.')
            value[n++] = (char)c;
        else
            value[n++] = '_';
    }
    while (n > 0 && !isalnum((unsigned char)value[n - 1]))
        n--;
    value[n] = '\0';
    {
        size_t skip = 0;

        while (value[skip] != '\0' && !isalnum((unsigned char)value[skip]))
            skip++;
        return pgd_strdup(value[skip] != '\0' ? value + skip : "x");
    }
}

static void label(json_t *metadata, const char *name, const char *value)
{
    json_object_set_new(child(metadata, "labels"), name, json_string(value));
}

static void set_labels(json_t *metadata, const fleet_vars *vars)
{
    char *scope = label_value(vars->value[FLEET_PH_SCOPE]);

    label(metadata, FLEET_LABEL_MANAGED_BY, FLEET_MANAGER);
    label(metadata, FLEET_LABEL_TEST_ID, vars->value[FLEET_PH_TEST_ID]);
    label(metadata, FLEET_LABEL_DRILL, vars->value[FLEET_PH_DRILL_NAME]);
    label(metadata, FLEET_LABEL_SCOPE, scope);
    /* the scope as it is (a label value cannot hold every scope name) */
    json_object_set_new(child(metadata, "annotations"), FLEET_LABEL_SCOPE,
                        json_string(vars->value[FLEET_PH_SCOPE]));
    free(scope);
}

/* Every container gets bootstrap's variables, replacing the template's of the same name. */
static void set_environment(json_t *containers, const fleet_vars *vars)
{
    size_t index;
    json_t *container;

    json_array_foreach(containers, index, container)
    {
        json_t *env = json_object_get(container, "env");
        json_t *kept = json_array();
        size_t i;
        json_t *var;

        json_array_foreach(env, i, var)
        {
            const char *name = json_string_value(json_object_get(var, "name"));
            bool ours = false;

            for (size_t k = 0; name != NULL && k < fleet_drill_variable_count; k++)
                ours = ours || strcmp(name, fleet_drill_variables[k].name) == 0;
            if (!ours)
                json_array_append(kept, var);
        }
        for (size_t k = 0; k < fleet_drill_variable_count; k++) {
            const char *value = vars->value[fleet_drill_variables[k].placeholder];

            if (value != NULL && value[0] != '\0')
                json_array_append_new(
                    kept,
                    json_pack("{s:s,s:s}", "name", fleet_drill_variables[k].name, "value", value));
        }
        json_object_set_new(container, "env", kept);
    }
}

json_t *fleet_kube_job(const fleet_config *cfg, const fleet_vars *vars)
{
    json_t *job = expand(cfg->launch.kubernetes.job, vars);
    json_t *metadata = child(job, "metadata");
    json_t *pod = child(child(child(job, "spec"), "template"), "metadata");

    json_object_del(metadata, "generateName");
    json_object_set_new(metadata, "name", json_string(vars->value[FLEET_PH_DRILL_NAME]));
    json_object_set_new(metadata, "namespace", json_string(cfg->launch.kubernetes.namespace_name));
    set_labels(metadata, vars);
    set_labels(pod, vars);
    set_environment(
        json_object_get(
            json_object_get(json_object_get(json_object_get(job, "spec"), "template"), "spec"),
            "containers"),
        vars);
    return job;
}

bool fleet_kube_launch(const fleet_config *cfg, const fleet_kube *kube, const fleet_vars *vars,
                       char **errmsg)
{
    json_t *job = fleet_kube_job(cfg, vars);
    char *path =
        pgd_asprintf("/apis/batch/v1/namespaces/%s/jobs", cfg->launch.kubernetes.namespace_name);
    json_t *answer = NULL;
    long status = 0;
    bool ok = fleet_kube_request(kube, "POST", path, job, &status, &answer, errmsg);

    if (ok && status != 201 && status != 200) {
        char *why = fleet_kube_error(status, answer);

        *errmsg = pgd_asprintf("could not create Job %s in namespace %s: %s",
                               vars->value[FLEET_PH_DRILL_NAME],
                               cfg->launch.kubernetes.namespace_name, why);
        free(why);
        ok = false;
    }
    if (ok)
        pgd_info("launch %s: created Job %s in namespace %s", vars->value[FLEET_PH_SCOPE],
                 vars->value[FLEET_PH_DRILL_NAME], cfg->launch.kubernetes.namespace_name);
    json_decref(answer);
    json_decref(job);
    free(path);
    return ok;
}

/* DELETE path; a 404 is fine (gone already). False with the reason logged. */
static bool delete_path(const fleet_kube *kube, const char *path)
{
    json_t *answer = NULL;
    char *errmsg = NULL;
    long status = 0;
    bool ok = fleet_kube_request(kube, "DELETE", path, NULL, &status, &answer, &errmsg);

    if (ok && status != 200 && status != 202 && status != 404) {
        errmsg = fleet_kube_error(status, answer);
        ok = false;
    }
    if (!ok)
        pgd_warn("could not delete %s: %s; tried again at the next pass", path, errmsg);
    free(errmsg);
    json_decref(answer);
    return ok;
}

/* The Job named drill and what its Patroni scope left: ConfigMaps and Endpoints by label. */
static bool delete_drill(const fleet_config *cfg, const fleet_kube *kube, const char *drill)
{
    const char *ns = cfg->launch.kubernetes.namespace_name;
    char *name = fleet_kube_escape(drill);
    char *selector_text = pgd_asprintf("%s=%s", cfg->launch.kubernetes.scope_label, drill);
    char *selector = fleet_kube_escape(selector_text);
    char *job =
        pgd_asprintf("/apis/batch/v1/namespaces/%s/jobs/%s?propagationPolicy=Background", ns, name);
    char *configmaps =
        pgd_asprintf("/api/v1/namespaces/%s/configmaps?labelSelector=%s", ns, selector);
    char *endpoints =
        pgd_asprintf("/api/v1/namespaces/%s/endpoints?labelSelector=%s", ns, selector);
    bool ok =
        delete_path(kube, job) && delete_path(kube, configmaps) && delete_path(kube, endpoints);

    if (ok)
        pgd_info("deleted Job %s and its drill's DCS objects in namespace %s", drill, ns);
    free(endpoints);
    free(configmaps);
    free(job);
    free(selector);
    free(selector_text);
    free(name);
    return ok;
}

/* When the Job ended (Complete or Failed), or NAN while it runs. */
static double finished_at(json_t *job)
{
    json_t *conditions = json_object_get(json_object_get(job, "status"), "conditions");
    size_t index;
    json_t *condition;

    json_array_foreach(conditions, index, condition)
    {
        const char *type = json_string_value(json_object_get(condition, "type"));
        const char *status = json_string_value(json_object_get(condition, "status"));
        const char *when = json_string_value(json_object_get(condition, "lastTransitionTime"));

        if (type != NULL && status != NULL && strcmp(status, "True") == 0 &&
            (strcmp(type, "Complete") == 0 || strcmp(type, "Failed") == 0)) {
            double t = pgd_parse_utc(when);

            return t >= 0 ? t : NAN;
        }
    }
    return NAN;
}

size_t fleet_kube_cleanup(const fleet_config *cfg, const fleet_kube *kube, double now,
                          const fleet_launch_rows *ended)
{
    char *path =
        pgd_asprintf("/apis/batch/v1/namespaces/%s/jobs", cfg->launch.kubernetes.namespace_name);
    json_t *jobs = NULL;
    char *errmsg = NULL;
    size_t deleted = 0;
    size_t index;
    json_t *job;

    /* a launch that never reported must not start late: its Job goes at once */
    for (size_t i = 0; ended != NULL && i < ended->count; i++) {
        const char *runner = json_string_value(json_object_get(ended->items[i].detail, "runner"));
        const char *drill =
            json_string_value(json_object_get(ended->items[i].detail, "drill_name"));

        if (runner != NULL && strcmp(runner, FLEET_RUNNER_KUBERNETES) == 0 && drill != NULL)
            deleted += delete_drill(cfg, kube, drill);
    }
    if (!fleet_kube_list(kube, path, FLEET_LABEL_MANAGED_BY "=" FLEET_MANAGER, &jobs, &errmsg)) {
        pgd_warn("could not list the drills' Jobs: %s", errmsg);
        free(errmsg);
        free(path);
        return deleted;
    }
    json_array_foreach(jobs, index, job)
    {
        json_t *metadata = json_object_get(job, "metadata");
        const char *name = json_string_value(json_object_get(metadata, "name"));
        const char *drill = json_string_value(
            json_object_get(json_object_get(metadata, "labels"), FLEET_LABEL_DRILL));
        double ended_at = finished_at(job);

        if (name == NULL || isnan(ended_at) ||
            now - ended_at < (double)cfg->launch.kubernetes.retention)
            continue;
        deleted += delete_drill(cfg, kube, drill != NULL ? drill : name);
    }
    json_decref(jobs);
    free(path);
    return deleted;
}
