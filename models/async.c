/* async.c - one libev event loop runs every task (or --loops L loops in L
 * threads, tasks dealt round-robin: the nginx design).
 *
 * The loop is evloop.c's, which async shares with hybrid: a task's waits
 * become watchers, completion waits are performed at once and, on EAGAIN,
 * once the fd is ready; deadlines are swept, cancellation stops every
 * watcher. What is async's own: its options, dealing the tasks over the
 * loops, and WAIT_CPU as a zero-length ev_timer, so that CPU work in chunks
 * lets the other tasks run in between. CPU work itself runs inline in the
 * loop and blocks every other task while it runs: that is the point. */
#include "evloop.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

struct async_params {
    long loops;
    const char *backend;
};

static const struct async_params async_defaults = { .loops = 1, .backend = "auto" };

static const struct opt_spec async_options[] = {
    { "loops", 0, OPT_INT, offsetof(struct async_params, loops), 1, 1024,
      "event loops, each in its own thread (default 1)" },
    { "backend", 0, OPT_STRING, offsetof(struct async_params, backend), 0, 0,
      "libev backend: auto, epoll, poll or select (default auto)" },
    OPT_END,
};

/* libev flags for a --backend name; ASYNC_BAD_BACKEND if unknown.
 * ("auto" is EVFLAG_AUTO, which is 0.) */
#define ASYNC_BAD_BACKEND 0xffffffffu
static unsigned async_backend_flag(const char *name)
{
    static const struct { const char *name; unsigned flag; } backends[] = {
        { "auto", EVFLAG_AUTO }, { "epoll", EVBACKEND_EPOLL },
        { "poll", EVBACKEND_POLL }, { "select", EVBACKEND_SELECT },
    };
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(name, backends[i].name) == 0)
            return backends[i].flag;
    return ASYNC_BAD_BACKEND;
}

static int async_check(struct run *r)
{
    const struct async_params *p = r->model_params;
    unsigned flag = async_backend_flag(p->backend);
    if (flag == ASYNC_BAD_BACKEND) {
        fprintf(stderr, "cbench: --backend: \"%s\" is not one of auto, epoll, poll, select\n",
                p->backend);
        return 2;
    }
    if (flag != EVFLAG_AUTO && !(ev_supported_backends() & flag)) {
        fprintf(stderr, "cbench: --backend: %s is not supported by this libev\n", p->backend);
        return 2;
    }
    long fds = r->tasks * r->workload->fds_per_task;
    if (flag == EVBACKEND_SELECT && fds > FD_SETSIZE - 32) {
        fprintf(stderr, "cbench: --backend select: %ld tasks need %ld descriptors, but select "
                "handles fewer than FD_SETSIZE (%d); use epoll or poll\n",
                r->tasks, fds, FD_SETSIZE);
        return 2;
    }
    if (p->loops > r->tasks) {
        fprintf(stderr, "cbench: --loops: %ld is more than the %ld tasks\n", p->loops, r->tasks);
        return 2;
    }
    r->model_fds = p->loops * EVLOOP_FDS;
    r->model_workers = p->loops > 1 ? p->loops : 0;   /* a thread per loop */
    return 0;
}

/* WAIT_CPU: a zero-length timer, so that CPU work in chunks lets the other
 * tasks run in between; the next step itself runs inline in the loop. */
static void async_yield_cpu(struct evloop *l, struct evloop_task *et)
{
    evloop_start_timer(l, et, 0);
}

static const struct evloop_hooks async_hooks = { .cpu = async_yield_cpu };

static void *async_loop_run(void *arg)
{
    evloop_run(arg);
    return NULL;
}

/* Deal tasks round-robin: loop k owns tasks k, k+L, k+2L... */
static int async_setup_loop(struct evloop *l, struct run *r, long k, long loops, unsigned flags)
{
    long count = loop_task_count(r, k, loops);
    struct evloop_task *tasks = calloc((size_t)count, sizeof *tasks);
    if (!tasks) {
        fprintf(stderr, "cbench: out of memory for the %ld tasks of event loop %ld\n", count, k + 1);
        snprintf(r->note, sizeof r->note, "out of memory");
        return 1;
    }
    if (!evloop_open(l, r, flags, &async_hooks, tasks, sizeof *tasks, count)) {
        fprintf(stderr, "cbench: async: cannot create event loop %ld (backend flags %#x)\n",
                k + 1, flags);
        snprintf(r->note, sizeof r->note, "event loop %ld could not be created", k + 1);
        return 1;
    }
    for (long j = 0; j < count; j++)
        tasks[j].task = loop_task(r, k, j, loops);
    return 0;
}

static void async_free_loops(struct evloop *loops, long n)
{
    for (long k = 0; k < n; k++) {
        evloop_close(&loops[k]);
        free(loops[k].tasks);
    }
    free(loops);
}

static int async_run(struct run *r)
{
    const struct async_params *p = r->model_params;
    unsigned flags = async_backend_flag(p->backend);
    long n = p->loops;
    struct evloop *loops = calloc((size_t)n, sizeof *loops);
    if (!loops) {
        fprintf(stderr, "cbench: async: out of memory for %ld loops\n", n);
        snprintf(r->note, sizeof r->note, "out of memory");
        return 1;
    }
    int status = 0;
    for (long k = 0; k < n && status == 0; k++)
        status = async_setup_loop(&loops[k], r, k, n, flags);
    if (status == 0) {
        snprintf(r->note, sizeof r->note, "%ld loop%s; backend %s", n, n > 1 ? "s" : "",
                 evloop_backend_name(&loops[0]));
        r->workers_started = n;
        r->kernel_tasks = n > 1 ? n : 0;   /* one loop runs in this thread */
        status = run_loop_threads(loops, sizeof *loops, n, async_loop_run, r, "event loop");
        for (long k = 0; k < n; k++)
            r->syscalls += loops[k].iterations + loops[k].timer_syscalls;
    }
    async_free_loops(loops, n);
    return status;
}

const struct model model_async = {
    .name = "async",
    .summary = "one libev event loop (or --loops L in L threads); waits become watchers",
    .options = async_options,
    .params_size = sizeof(struct async_params),
    .params_default = &async_defaults,
    .traits = { .runs = RUNS_ALL, .nonblocking = true, .spawns = true },
    .check = async_check,
    .run = async_run,
};
