/*
 * cpus.h - how many CPUs this process may really use.
 */
#ifndef PGDRILL_CPUS_H
#define PGDRILL_CPUS_H

/*
 * The CPUs this process may run on (its affinity mask), lowered to the
 * cgroup v2 CPU quota when one is set (a Kubernetes CPU limit: the node's
 * CPU count would overcommit the pod), at least 1.
 */
long pgd_usable_cpus(void);

/* The same from a cgroup v2 cpu.max text ("max 100000", "200000 100000"): the quota rounded up,
 * or 0 when there is none or the text is not understood. */
long pgd_cpus_from_cpu_max(const char *text);

#endif
