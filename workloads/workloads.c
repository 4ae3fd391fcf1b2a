/* workloads.c - the registry: adding a workload is one file plus one line. */
#include <string.h>
#include "workload.h"

extern const struct workload workload_sleep, workload_cpu, workload_net;
extern const struct workload workload_spawn, workload_pingpong;
extern const struct workload workload_mixed, workload_chess, workload_queue, workload_chain;

const struct workload *const workloads[] = {
    &workload_sleep,
    &workload_cpu,
    &workload_net,
    &workload_spawn,
    &workload_pingpong,
    &workload_mixed,
    &workload_chess,
    &workload_queue,
    &workload_chain,
    NULL,
};

const struct workload *workload_find(const char *name)
{
    for (const struct workload *const *w = workloads; *w; w++)
        if (strcmp((*w)->name, name) == 0)
            return *w;
    return NULL;
}
