/* bare_spawn.c - bare loops that create and destroy workers, for spawn
 * --bare: a table beside the registry (bare_spawn_for) names each model's,
 * so the workload never needs to know which model it runs under and the
 * model itself carries no reference.
 *
 * Each fills us[0] with µs per worker when all workers are alive at once
 * (created first, each blocked on a gate, then released and reaped: the
 * pattern of the fork and threads models) and us[1] when they are created
 * and destroyed one at a time (the textbook figure; 0 where it means
 * nothing, as for a loop's timers). It returns 0, or -1 after saying why.
 *
 * spawn.c runs them in a child of cbench's process, before the measured
 * run, so they fork the same address space the model forks: the difference
 * between the two is what the model's bookkeeping costs (gates, process
 * groups, shared counters, task dispatch), not what fork has to copy.
 *
 * The gate is a pipe: a worker blocks reading it and gets end-of-file once
 * every write end is closed. That wakes all of them at once and, for fork,
 * also releases the children if this process dies, so none is left behind. */
#include "model.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static double bare_us_per(int64_t start_ns, long n)
{
    return (double)(clock_now_ns() - start_ns) / 1e3 / (double)n;
}

static void bare_read_gate(int fd)
{
    char byte;
    while (read(fd, &byte, 1) < 0 && errno == EINTR)
        ;
}

static void bare_reap(const pid_t *pids, long n)
{
    for (long i = 0; i < n; i++)
        while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
}

static double bare_fork_alive(long n)
{
    int gate[2];
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    if (!pids || pipe2(gate, O_CLOEXEC) < 0) {
        fprintf(stderr, "cbench: spawn --bare: cannot set up: %s\n", strerror(errno));
        free(pids);
        return -1;
    }
    fflush(NULL);   /* children must not inherit buffered output */
    int64_t t0 = clock_now_ns();
    long started = 0;
    for (; started < n; started++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(gate[1]);
            bare_read_gate(gate[0]);
            _exit(0);
        }
        if (pid < 0) {
            fprintf(stderr, "cbench: spawn --bare: fork %ld of %ld: %s\n", started + 1, n, strerror(errno));
            break;
        }
        pids[started] = pid;
    }
    close(gate[1]);   /* open the gate */
    bare_reap(pids, started);
    double us = bare_us_per(t0, n);
    close(gate[0]);
    free(pids);
    return started == n ? us : -1;
}

static double bare_fork_seq(long n)
{
    fflush(NULL);
    int64_t t0 = clock_now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0) {
            fprintf(stderr, "cbench: spawn --bare: fork: %s\n", strerror(errno));
            return -1;
        }
        bare_reap(&pid, 1);
    }
    return bare_us_per(t0, n);
}

static void *bare_thread_gate(void *arg)
{
    bare_read_gate(*(const int *)arg);
    return NULL;
}

static void *bare_thread_nothing(void *arg)
{
    return arg;
}

static bool bare_thread_attr(pthread_attr_t *attr, size_t stack_bytes)
{
    if (pthread_attr_init(attr) != 0)
        return false;
    if (stack_bytes < (size_t)PTHREAD_STACK_MIN)
        stack_bytes = (size_t)PTHREAD_STACK_MIN;
    pthread_attr_setstacksize(attr, stack_bytes);
    return true;
}

static double bare_threads_alive(long n, size_t stack_bytes)
{
    int gate[2];
    pthread_attr_t attr;
    pthread_t *ids = calloc((size_t)n, sizeof *ids);
    if (!ids || pipe2(gate, O_CLOEXEC) < 0 || !bare_thread_attr(&attr, stack_bytes)) {
        fprintf(stderr, "cbench: spawn --bare: cannot set up: %s\n", strerror(errno));
        free(ids);
        return -1;
    }
    int64_t t0 = clock_now_ns();
    long started = 0;
    for (; started < n; started++) {
        int err = pthread_create(&ids[started], &attr, bare_thread_gate, &gate[0]);
        if (err) {
            fprintf(stderr, "cbench: spawn --bare: thread %ld of %ld: %s\n", started + 1, n, strerror(err));
            break;
        }
    }
    close(gate[1]);
    for (long i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    double us = bare_us_per(t0, n);
    pthread_attr_destroy(&attr);
    close(gate[0]);
    free(ids);
    return started == n ? us : -1;
}

static double bare_threads_seq(long n, size_t stack_bytes)
{
    pthread_attr_t attr;
    if (!bare_thread_attr(&attr, stack_bytes))
        return -1;
    int64_t t0 = clock_now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t id;
        int err = pthread_create(&id, &attr, bare_thread_nothing, NULL);
        if (err) {
            fprintf(stderr, "cbench: spawn --bare: thread: %s\n", strerror(err));
            pthread_attr_destroy(&attr);
            return -1;
        }
        pthread_join(id, NULL);
    }
    pthread_attr_destroy(&attr);
    return bare_us_per(t0, n);
}

static void bare_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    ev_timer_stop(loop, w);
}

static double bare_libev(long n)
{
    int64_t t0 = clock_now_ns();
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    ev_timer *timers = calloc((size_t)n, sizeof *timers);
    if (!loop || !timers) {
        fprintf(stderr, "cbench: spawn --bare: cannot create an event loop for %ld timers\n", n);
        if (loop)
            ev_loop_destroy(loop);
        free(timers);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        ev_timer_init(&timers[i], bare_on_timer, 0, 0);
        ev_timer_start(loop, &timers[i]);
    }
    ev_run(loop, 0);
    free(timers);
    ev_loop_destroy(loop);
    return bare_us_per(t0, n);
}

#define BARE_STACK (64 * 1024)   /* the threads model's default --stack-kib */

static int bare_result(double us[2])
{
    return us[0] < 0 || us[1] < 0 ? -1 : 0;
}

static int bare_spawn_fork(long n, double us[2])
{
    us[0] = bare_fork_alive(n);
    us[1] = bare_fork_seq(n);
    return bare_result(us);
}

static int bare_spawn_threads(long n, double us[2])
{
    us[0] = bare_threads_alive(n, BARE_STACK);
    us[1] = bare_threads_seq(n, BARE_STACK);
    return bare_result(us);
}

/* n zero-second libev timers started together, fired and stopped in one
 * loop: what an async (or hybrid) task costs to start and finish. */
static int bare_spawn_libev(long n, double us[2])
{
    us[0] = bare_libev(n);
    us[1] = 0;
    return bare_result(us);
}

extern const struct model model_fork, model_threads, model_async, model_hybrid, model_uring;

/* Which bare loop stands beside which model; a model not listed has none. */
static const struct {
    const struct model *model;
    bare_spawn_fn fn;
} bare_spawns[] = {
    { &model_fork, bare_spawn_fork },
    { &model_threads, bare_spawn_threads },
    { &model_async, bare_spawn_libev },
    { &model_hybrid, bare_spawn_libev },
    { &model_uring, uring_bare_spawn },
};

bare_spawn_fn bare_spawn_for(const struct model *m)
{
    for (size_t i = 0; i < sizeof bare_spawns / sizeof bare_spawns[0]; i++)
        if (bare_spawns[i].model == m)
            return bare_spawns[i].fn;
    return NULL;
}
