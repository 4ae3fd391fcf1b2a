/* common.c - what the blocking models (serial, fork, threads) share:
 * running one task by serving each of its waits by blocking; and what every
 * model shares: stepping a task through --fail-task and cancellation. */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

/* A wait's length in whole ns, rounded up: a timer never ends early, so a
 * task that checks (wait_ended_early) never sees a correct run as early. */
static int64_t wait_ns(double seconds)
{
    return (int64_t)ceil(seconds * 1e9);
}

/* Sleep the whole interval, resuming after signals. */
static void sleep_seconds(double seconds)
{
    int64_t ns = wait_ns(seconds);
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
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
    int64_t deadline = w.kind == WAIT_TIMER ? clock_now_ns() + wait_ns(w.seconds)
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
    if (!t->started)
        t->first_step_ns = clock_now_ns();
    t->started = true;
    struct wait w = r->workload->step(t);
    if (w.kind == WAIT_DONE)
        t->finished = true;
    return w;
}

/* The two figures of /proc/self/status the memory method needs, in KiB
 * (0 if unreadable). Plain open/read and our own scan, no stdio: a fork
 * worker calls it just before it exits, and in a fresh child every libc
 * page touched for the first time is a page fault (tens of µs on a VM). */
struct mem_self mem_read_self(void)
{
    struct mem_self m = { 0, 0 };
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return m;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return m;
    buf[n] = '\0';
    static const char *const keys[] = { "RssAnon:", "VmPTE:" };
    long *out[] = { &m.anon_kib, &m.pte_kib };
    for (char *line = buf; *line; ) {
        for (int k = 0; k < 2; k++) {
            const char *key = keys[k];
            char *c = line;
            while (*key && *c == *key)
                key++, c++;
            if (*key)
                continue;
            long v = 0;
            while (*c == ' ' || *c == '\t')
                c++;
            while (*c >= '0' && *c <= '9')
                v = v * 10 + (*c++ - '0');
            *out[k] = v;
        }
        while (*line && *line != '\n')
            line++;
        if (*line)
            line++;
    }
    return m;
}

/* A model calls this where it holds the most workers at once (all
 * threads created...): the process's page tables are largest then. */
void run_sample_memory(struct run *r)
{
    long pte = mem_read_self().pte_kib;
    if (pte > r->main_pte_kib)
        r->main_pte_kib = pte;
}
