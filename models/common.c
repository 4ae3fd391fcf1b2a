/* common.c - what the blocking models (serial, fork, threads) share:
 * running one task by serving each of its waits by blocking; and what every
 * model shares: stepping a task through --fail-task and cancellation. */
#include "model.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

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

/* Block until wait `w` (WAIT_READ, WAIT_WRITE or WAIT_TIMER) is over, the
 * task's deadline (t->deadline_ns) for an fd wait has passed, or the run is
 * cancelled (the cancel eventfd, when there is one, is polled too).
 * task_run_blocking uses it only under --fail-task, so ordinary runs pay no
 * extra syscall; threads --gil uses it for every wait, released. */
void task_wait_poll(struct run *r, const struct task *t, struct wait w)
{
    struct pollfd pfd[2] = {
        { .fd = w.kind == WAIT_TIMER ? -1 : w.fd, .events = w.kind == WAIT_READ ? POLLIN : POLLOUT },
        { .fd = r->cancel ? r->cancel->fd : -1, .events = POLLIN },
    };
    int64_t deadline = w.kind == WAIT_TIMER ? clock_now_ns() + (int64_t)(w.seconds * 1e9)
                                            : t->deadline_ns;
    for (;;) {
        struct timespec ts, *timeout = NULL;
        if (deadline) {
            int64_t left = deadline - clock_now_ns();
            if (left < 0)
                left = 0;
            ts = (struct timespec){ .tv_sec = left / 1000000000, .tv_nsec = left % 1000000000 };
            timeout = &ts;
        }
        int n = ppoll(pfd, 2, timeout, NULL);
        if (n >= 0 || errno != EINTR)
            return;   /* ready, expired, cancelled or failed: step again */
    }
}

/* fork and threads: -w W workers if that is fewer than the tasks, else one
 * worker per task. */
long run_pool_size(const struct run *r)
{
    return r->workers > 0 && r->workers < r->tasks ? r->workers : r->tasks;
}

/* Serve waits by blocking. The task's fds are blocking, so a WAIT_READ or
 * WAIT_WRITE needs no syscall here: the task's next read()/write() blocks
 * in the kernel until it can proceed. WAIT_CPU simply continues. */
void task_run_blocking(struct run *r, struct task *t)
{
    for (;;) {
        struct wait w = task_step(r, t);
        switch (w.kind) {
        case WAIT_DONE:
            task_finish(r, t);
            return;
        case WAIT_TIMER:
            if (r->cancel)
                task_wait_poll(r, t, w);
            else
                sleep_seconds(w.seconds);
            break;
        case WAIT_READ:
        case WAIT_WRITE:
            if (r->cancel)
                task_wait_poll(r, t, w);
            break;
        case WAIT_CPU:
            break;
        }
    }
}

/* A task that never stepped holds nothing (its state is zeroed), so only
 * started tasks are cleaned up. */
void task_finish(struct run *r, struct task *t)
{
    if (t->started && r->workload->task_cleanup)
        r->workload->task_cleanup(t);
}

/* The first of possibly many callers (tasks in threads, processes, loops)
 * records the time and wakes every waiter through the eventfd. */
void run_cancel_request(struct run *r)
{
    if (atomic_exchange(&r->cancel->requested, true))
        return;
    atomic_store(&r->cancel->at_ns, clock_now_ns());
    uint64_t one = 1;
    if (write(r->cancel->fd, &one, sizeof one) < 0)
        perror("cbench: cancel: eventfd write");
}

struct wait task_step(struct run *r, struct task *t)
{
    if (run_cancelled(r))
        return wait_done();          /* cancelled: finished stays false */
    if (r->cancel && !t->started && t->id == r->fail_task) {
        fprintf(stderr, "cbench: task %d failed (--fail-task); cancelling the other tasks\n", t->id);
        t->errors++;
        t->finished = true;
        run_cancel_request(r);
        return wait_done();
    }
    t->started = true;
    struct wait w = r->workload->step(t);
    if (w.kind == WAIT_DONE)
        t->finished = true;
    return w;
}
