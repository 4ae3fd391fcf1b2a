/* serial.c - one task after another in the calling thread: the baseline
 * every speedup is measured against. */
#include "model.h"

static int serial_run(struct run *r)
{
    r->workers_started = 1;
    for (long i = 0; i < r->tasks && run_may_start_task(r); i++) {
        task_attach(r, i);
        task_run_blocking(r, &r->task[i]);
    }
    return 0;
}

const struct model model_serial = {
    .name = "serial",
    .summary = "tasks one after another in one thread: the baseline",
    .traits = { .runs = RUNS_ONE },
    .run = serial_run,
};
