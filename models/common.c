/* common.c - what the blocking models (serial, fork, threads) share:
 * running one task by serving each of its waits by blocking. */
#include "model.h"

#include <errno.h>
#include <time.h>

void task_attach(struct run *r, long i)
{
    struct task *t = &r->task[i];
    t->state = r->states + (size_t)i * r->workload->state_size;
}

/* Sleep the whole interval, resuming after signals. */
static void sleep_seconds(double seconds)
{
    struct timespec ts = {
        .tv_sec = (time_t)seconds,
        .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
    };
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
}

/* Serve waits by blocking. The task's fds are blocking, so a WAIT_READ or
 * WAIT_WRITE needs no syscall here: the task's next read()/write() blocks
 * in the kernel until it can proceed. WAIT_CPU simply continues. */
void task_run_blocking(struct run *r, struct task *t)
{
    for (;;) {
        struct wait w = r->workload->step(t);
        switch (w.kind) {
        case WAIT_DONE:
            task_finish(r, t);
            return;
        case WAIT_TIMER:
            sleep_seconds(w.seconds);
            break;
        case WAIT_READ:
        case WAIT_WRITE:
        case WAIT_CPU:
            break;
        }
    }
}

void task_finish(struct run *r, struct task *t)
{
    if (r->workload->task_cleanup)
        r->workload->task_cleanup(t);
}
