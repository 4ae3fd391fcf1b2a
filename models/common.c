/* common.c - what the blocking models (serial, fork, threads) share:
 * running one task by serving each of its waits by blocking; and what every
 * model shares: stepping a task through --fail-task and cancellation. */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t run_stop_signal;

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

/* Sleep the whole interval, resuming after signals but a stop signal. */
static void sleep_seconds(double seconds)
{
    int64_t ns = wait_ns(seconds);
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR && !run_stop_signal)
        ;
}

/* Block until wait `w` (WAIT_READ, WAIT_WRITE or WAIT_TIMER; a completion
 * wait's fd ready for its operation) is over, the
 * task's deadline (t->deadline_ns) for an fd wait has passed, or the run is
 * cancelled (the cancel eventfd, when there is one, is polled too; a stop
 * signal interrupts it). task_run_blocking uses it only when the run is
 * cancellable (--fail-task), so ordinary runs pay no extra syscall;
 * threads --gil uses it for every wait, released. */
void task_wait_poll(struct run *r, const struct task *t, struct wait w)
{
    struct pollfd pfd[2] = {
        { .fd = w.kind == WAIT_TIMER ? -1 : w.fd, .events = wait_wants_read(w) ? POLLIN : POLLOUT },
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
        if (n >= 0 || errno != EINTR || run_stop_signal)
            return;   /* ready, expired, cancelled or failed: step again */
    }
}

/* fork and threads: -w W workers if that is fewer than the tasks, else one
 * worker per task. */
long run_pool_size(const struct run *r)
{
    return r->workers > 0 && r->workers < r->tasks ? r->workers : r->tasks;
}

long model_tasks_at_once(const struct run *r)
{
    switch (r->model->traits.runs) {
    case RUNS_ONE: return 1;
    case RUNS_POOL: return run_pool_size(r);
    case RUNS_ALL: break;
    }
    return r->tasks;
}

/* A process per worker holds one task's descriptors; a pool of threads or
 * loops holds every task it runs at once. */
long model_tasks_per_process(const struct run *r)
{
    return r->model->traits.worker_processes ? 1 : model_tasks_at_once(r);
}

int64_t task_io_perform(struct task *t, struct wait w, char *lend, enum io_phase phase)
{
    ssize_t n;
    t->syscalls++;
    switch (w.kind) {
    case WAIT_RECV:
        t->io_buf = w.buf ? w.buf : lend;
        do
            n = w.socket ? recv(w.fd, t->io_buf, w.len, 0) : read(w.fd, t->io_buf, w.len);
        while (n < 0 && errno == EINTR && !run_stop_signal);
        return n < 0 ? -errno : n;
    case WAIT_SEND:
        do
            n = w.socket ? send(w.fd, w.data, w.len, MSG_NOSIGNAL) : write(w.fd, w.data, w.len);
        while (n < 0 && errno == EINTR && !run_stop_signal);
        return n < 0 ? -errno : n;
    case WAIT_CONNECT:
        if (phase == IO_FIRST) {
            if (connect(w.fd, w.data, (socklen_t)w.len) == 0)
                return 0;
            if (errno == EINPROGRESS)
                return t->nonblocking ? -EAGAIN : -EINPROGRESS;
            return -errno;
        }
        if (phase == IO_DEADLINE) {
            struct pollfd pfd = { .fd = w.fd, .events = POLLOUT };
            t->syscalls++;
            if (poll(&pfd, 1, 0) == 0)
                return -EINPROGRESS;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(w.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        return -err;
    default:
        return -EINVAL;
    }
}

/* A completion wait served by a blocking model (and threads --gil, which
 * passes `gil` to release around the wait). Blocking fds: the call blocks
 * (bounded by the workload's SO_RCVTIMEO/SO_SNDTIMEO; a stop signal
 * interrupts it). In a cancellable run a blocking fd is polled first,
 * cancellably, as a WAIT_READ would be; a non-blocking fd (threads --gil,
 * cbench serve's sockets) is tried at once unless the wait says the data
 * cannot be there yet (poll_first), and polled on EAGAIN until ready,
 * cancelled or past the task's deadline. */
int64_t task_io_blocking(struct run *r, struct task *t, struct wait w, char *lend,
                         void (*release)(void *), void (*reacquire)(void *), void *arg)
{
    bool polled = r->cancellable && w.kind != WAIT_CONNECT &&   /* as WAIT_READ was */
                  (!t->nonblocking || w.poll_first);
    bool first = true;
    for (;;) {
        if (polled) {
            if (release)
                release(arg);
            task_wait_poll(r, t, w);
            if (reacquire)
                reacquire(arg);
            t->syscalls++;
            if (run_cancelled(r))
                return -ECANCELED;   /* a blocking fd's call would wait out its timeout */
        }
        enum io_phase phase = IO_FIRST;
        if (w.kind == WAIT_CONNECT && !first)
            phase = IO_DEADLINE;   /* polled: ready, cancelled or expired */
        int64_t res = task_io_perform(t, w, lend, phase);
        first = false;
        if (res != -EAGAIN || run_cancelled(r) || (t->deadline_ns && clock_now_ns() >= t->deadline_ns)
            || (!polled && !t->nonblocking && w.kind != WAIT_CONNECT))
            return res;   /* a blocking fd's EAGAIN: its timeout expired */
        polled = true;
    }
}

static void task_serve_blocking(struct run *r, struct task *t, struct wait w, char *lend);

/* A workload that lets the model lend its receive buffer gets it on this
 * frame, so that workloads that never ask keep their small stacks. */
static void task_serve_lent(struct run *r, struct task *t, struct wait w)
{
    char lend[WAIT_LEND_MAX];
    task_serve_blocking(r, t, w, lend);
}

/* Serve waits by blocking. The task's fds are blocking, so a WAIT_READ or
 * WAIT_WRITE needs no syscall here: the task's next read()/write() blocks
 * in the kernel until it can proceed; a completion wait is the blocking
 * call itself. WAIT_CPU simply continues. */
static void task_serve_blocking(struct run *r, struct task *t, struct wait w, char *lend)
{
    for (;; w = task_step(r, t)) {
        switch (w.kind) {
        case WAIT_DONE:
            task_finish(r, t);
            return;
        case WAIT_TIMER:
            if (r->cancellable)
                task_wait_poll(r, t, w);
            else
                sleep_seconds(w.seconds);
            break;
        case WAIT_READ:
        case WAIT_WRITE:
            if (r->cancellable)
                task_wait_poll(r, t, w);
            break;
        case WAIT_RECV:
        case WAIT_SEND:
        case WAIT_CONNECT:
            if (w.kind == WAIT_RECV && !w.buf && !lend) {
                task_serve_lent(r, t, w);
                return;
            }
            t->io_result = task_io_blocking(r, t, w, lend, NULL, NULL, NULL);
            break;
        case WAIT_CPU:
            break;
        case WAIT_SPAWN:
            t->io_result = r->spawn ? r->spawn(r, t, w.fd) : -ENOSYS;
            break;
        }
    }
}

void task_run_blocking(struct run *r, struct task *t)
{
    task_serve_blocking(r, t, task_step(r, t), NULL);
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
    if (!r->cancel || atomic_exchange(&r->cancel->requested, true))
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
    if (r->cancellable && !t->started && t->id == r->fail_task) {
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
    if (w.kind == WAIT_DONE && t->errors && r->shared && r->workload->independent_tasks)
        atomic_store_explicit(&r->shared->task_failed, true, memory_order_relaxed);
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

long loop_task_count(const struct run *r, long k, long loops)
{
    return (r->tasks - k + loops - 1) / loops;
}

struct task *loop_task(struct run *r, long k, long j, long loops)
{
    long i = k + j * loops;
    task_attach(r, i);
    return &r->task[i];
}

/* Event-loop models with --loops L: loop 0 runs in this thread when it is
 * the only one, else each of the L loops in a thread of its own. A thread
 * that cannot be started is reported (`what` names the loop kind) and the
 * loops already running finish their tasks; the rest never run. */
int run_loop_threads(void *loops, size_t size, long n, void *(*fn)(void *), struct run *r,
                     const char *what)
{
    if (n == 1) {
        fn(loops);
        return 0;
    }
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    if (!threads) {
        fprintf(stderr, "cbench: out of memory for %ld %s threads\n", n, what);
        snprintf(r->note, sizeof r->note, "out of memory");
        return 1;
    }
    int status = 0;
    long started = 0;
    for (; started < n; started++) {
        int err = pthread_create(&threads[started], NULL, fn, (char *)loops + (size_t)started * size);
        if (err) {
            fprintf(stderr, "cbench: could not start %s thread %ld of %ld: %s\n",
                    what, started + 1, n, strerror(err));
            snprintf(r->note, sizeof r->note, "%s thread %ld failed", what, started + 1);
            status = 1;
            break;
        }
    }
    for (long k = 0; k < started; k++)
        pthread_join(threads[k], NULL);
    free(threads);
    return status;
}

/* ---- tasks created at run time (WAIT_SPAWN) ----------------------------- */

bool run_spawn_admit(struct run *r)
{
    long live = atomic_fetch_add(&r->shared->spawned_live, 1);
    if (live < r->shared->spawn_limit) {
        atomic_fetch_add_explicit(&r->shared->spawned_total, 1, memory_order_relaxed);
        return true;
    }
    atomic_fetch_sub(&r->shared->spawned_live, 1);
    atomic_fetch_add_explicit(&r->shared->turned_away, 1, memory_order_relaxed);
    return false;
}

void run_spawn_release(struct run *r)
{
    atomic_fetch_sub(&r->shared->spawned_live, 1);
}

struct spawned *spawned_new(struct run *r, int fd, void *ctx)
{
    size_t state = r->workload->state_size;
    struct spawned *sp = calloc(1, sizeof *sp + state);
    if (!sp)
        return NULL;
    struct task *t = &sp->task;
    sp->run = r;
    sp->ctx = ctx;
    t->id = -1;                 /* never --fail-task's */
    t->nonblocking = r->nonblocking;
    t->params = r->workload_params;
    t->run = r->workload_run;
    t->state = state ? (char *)(sp + 1) : NULL;
    t->spawned = true;
    t->spawn_fd = fd;
    return sp;
}

void spawned_free(struct spawned *sp)
{
    run_spawn_release(sp->run);
    free(sp);
}
