/*
 * cpus.c - how many CPUs this process may really use.
 */
#include "cpus.h"

#include "fsutil.h"
#include "xalloc.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CGROUP_ROOT "/sys/fs/cgroup"

long pgd_cpus_from_cpu_max(const char *text)
{
    long quota, period;
    char first[32];

    if (text == NULL || sscanf(text, "%31s %ld", first, &period) != 2 || period <= 0)
        return 0;
    if (strcmp(first, "max") == 0)
        return 0;
    quota = strtol(first, NULL, 10);
    if (quota <= 0)
        return 0;
    return (quota + period - 1) / period;
}

/*
 * cpu.max of our own cgroup v2: /proc/self/cgroup says "0::/PATH" (just "/"
 * inside a container with its own cgroup namespace). NULL without cgroup v2.
 */
static char *read_own_cpu_max(void)
{
    char *errmsg = NULL;
    char *membership = pgd_read_file("/proc/self/cgroup", 4096, &errmsg);
    char *line = membership ? strstr(membership, "0::/") : NULL;
    char *cpu_max = NULL;

    if (line != NULL && (line == membership || line[-1] == '\n')) {
        char *path = line + 3;
        char *file;

        path[strcspn(path, "\n")] = '\0';
        file = pgd_asprintf("%s%s%scpu.max", CGROUP_ROOT, path, strcmp(path, "/") == 0 ? "" : "/");
        cpu_max = pgd_read_file(file, 256, &errmsg);
        free(file);
    }
    free(errmsg);
    free(membership);
    return cpu_max;
}

long pgd_usable_cpus(void)
{
    cpu_set_t set;
    long cpus = 0;
    long quota_cpus;
    char *cpu_max;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        cpus = CPU_COUNT(&set);
    if (cpus <= 0)
        cpus = 1;
    cpu_max = read_own_cpu_max();
    quota_cpus = pgd_cpus_from_cpu_max(cpu_max);
    free(cpu_max);
    return quota_cpus > 0 && quota_cpus < cpus ? quota_cpus : cpus;
}
