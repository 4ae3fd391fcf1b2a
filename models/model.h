/* model.h - a concurrency model is a driver for a workload's tasks.
 *
 * A model's run() executes every task of `r` to completion (or to failure),
 * serving each task's waits its own way. Timing, resource accounting and
 * output are done by the harness around run(), identically for all models.
 */
#ifndef CBENCH_MODEL_H
#define CBENCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include "../bench/options.h"
#include "../workloads/workload.h"

struct model;

struct run {
    const struct model *model;
    const struct workload *workload;
    const void *workload_params;
    const void *model_params;
    long tasks;                /* how many tasks */
    long workers;              /* pool size for fork/threads; 0 = one per task */
    struct task *task;         /* tasks[0..tasks-1], MAP_SHARED */
    char *states;              /* tasks * workload->state_size bytes, zeroed */
    bool nonblocking;          /* tasks get O_NONBLOCK fds; check() may change it */

    /* Filled by the model. */
    long workers_started;      /* processes/threads actually created */
    long child_memory_kib;     /* fork: private memory of all workers, added
                                  to the parent's peak RSS */
    char note[160];            /* backend used, failure reason... for output */
};

struct model {
    const char *name;
    const char *summary;
    const struct opt_spec *options;
    size_t params_size;
    const void *params_default;
    bool nonblocking;          /* tasks get O_NONBLOCK fds (event loops) */
    bool uses_workers;         /* -w/--workers is meaningful */
    /* Validate params against the run (e.g. select's FD_SETSIZE) before any
     * task is set up. Returns 0, or 2 after printing why. May be NULL. */
    int (*check)(struct run *r);
    /* Run all tasks. Returns 0, or 1 when the model itself failed (could
     * not create a worker...) after printing why. Task errors are counted
     * in the tasks, not returned. */
    int (*run)(struct run *r);
};

extern const struct model *const models[];
const struct model *model_find(const char *name);

/* Shared by models: set up and run one task with blocking waits. */
void task_attach(struct run *r, long i);             /* wire task i's state */
void task_run_blocking(struct run *r, struct task *t); /* until WAIT_DONE */
void task_finish(struct run *r, struct task *t);     /* workload cleanup */

#endif
