/* sleep.c - each task waits --ms milliseconds: the classic "three tasks that
 * each wait 1 s" example. Serially that is the sum of the waits; under any
 * concurrent model it should be the longest single wait. A wait that ends
 * before --ms have passed is an error. The checksum folds the requested
 * wait (in µs) and whether it was kept: a run that waited less differs. */
#include "workload.h"

struct sleep_params {
    double ms;
};

struct sleep_state {
    int phase;
};

static const struct sleep_params sleep_defaults = { .ms = 1000 };

static const struct opt_spec sleep_options[] = {
    { "ms", 0, OPT_DOUBLE, offsetof(struct sleep_params, ms), 0, 3600e3,
      "milliseconds each task waits (default 1000)" },
    OPT_END,
};

static long sleep_default_tasks(void)
{
    return 3;
}

static uint32_t sleep_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    (void)params;
    return 1;
}

static struct wait sleep_step(struct task *t)
{
    const struct sleep_params *p = t->params;
    struct sleep_state *s = t->state;

    if (s->phase++ == 0) {
        task_op_begin(t);
        return wait_timer(p->ms / 1000.0);
    }
    bool early = wait_ended_early(t->op_start_ns, p->ms / 1000.0);
    task_op_end(t);   /* latency = the wait as the task experienced it */
    t->errors += early;
    t->checksum = checksum_mix(checksum_mix((uint64_t)t->id, (uint64_t)(p->ms * 1000.0)), !early);
    return wait_done();
}

const struct workload workload_sleep = {
    .name = "sleep",
    .summary = "each task waits --ms (default 3 tasks x 1000 ms): pure waiting",
    .options = sleep_options,
    .params_size = sizeof(struct sleep_params),
    .params_default = &sleep_defaults,
    .default_tasks = sleep_default_tasks,
    .state_size = sizeof(struct sleep_state),
    .independent_tasks = true,
    .latency_per_task = sleep_latency_per_task,
    .step = sleep_step,
};
