/* async.c - one libev event loop runs every task (or --loops L loops in L
 * threads, tasks dealt round-robin: the nginx design).
 *
 * A completion wait (WAIT_RECV/SEND/CONNECT) is performed at once; on EAGAIN
 * (or when it asks for readiness first) an ev_io waits for the fd and the
 * call is made when it is ready, then the task steps with the result.
 *
 * A task's waits become watchers: WAIT_READ/WAIT_WRITE an ev_io, WAIT_TIMER
 * an ev_timer, WAIT_CPU a zero-length ev_timer, so that CPU work in chunks
 * lets the other tasks run in between. CPU work itself runs inline in the
 * loop and blocks every other task while it runs: that is the point. A task
 * waits on one thing at a time, so one watcher union per task suffices,
 * which keeps a task at well under 0.5 KiB.
 *
 * A task's fd wait may have a deadline (task->deadline_ns: net's request
 * timeout). Rather than a second timer per task, each loop sweeps its tasks
 * every ASYNC_SWEEP_S once some task has a deadline, and steps again those
 * whose deadline has passed: the workload then fails them. */
#include "model.h"

#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#define ASYNC_SWEEP_S 0.1   /* how late a deadline may be noticed */
/* What one libev loop holds: the backend's fd (epoll) and, once an
 * ev_async or signal watcher exists, its wakeup eventfd. */
#define ASYNC_FDS_PER_LOOP 2

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

struct async_task {
    struct task *task;
    struct run *run;
    struct wait op;       /* what the ev_io serves: WAIT_READ/WRITE, or a
                             completion wait to perform once the fd is ready */
    union {               /* the one wait in progress */
        ev_io io;
        ev_timer timer;
    } w;
};

struct async_loop {
    struct ev_loop *loop;
    ev_io cancel;               /* --fail-task: the run's cancel eventfd */
    ev_timer sweep;             /* deadlines: started with the first one */
    struct run *run;
    struct async_task *tasks;   /* the tasks this loop owns */
    long count;
    char *lend;                 /* WAIT_RECV's lent buffer: one per loop, as
                                   the bytes are read just before the step */
    unsigned long long iterations;  /* ev_iteration: epoll_wait calls */
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

static const char *async_backend_name(unsigned backend)
{
    switch (backend) {
    case EVBACKEND_EPOLL: return "epoll";
    case EVBACKEND_POLL: return "poll";
    case EVBACKEND_SELECT: return "select";
    case EVBACKEND_LINUXAIO: return "linuxaio";
    case EVBACKEND_IOURING: return "io_uring";
    default: return "other";
    }
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
    r->model_fds = p->loops * ASYNC_FDS_PER_LOOP;
    return 0;
}

static void async_arm(struct ev_loop *loop, struct async_task *at, struct wait w);

/* Does the watcher already serve this wait? On a keep-alive connection the
 * next wait is nearly always the same as the last (read the next response),
 * and leaving the watcher alone saves libev an epoll_ctl per wait. Not if
 * the task opened an fd meanwhile: it may have the number of the one it
 * closed, and a closed fd has left the kernel's epoll set. */
static bool async_io_serves(const ev_io *w, struct wait next, const struct task *t,
                            uint32_t fds_opened_before)
{
    int events = next.kind == WAIT_READ || next.kind == WAIT_RECV ? EV_READ
               : next.kind == WAIT_WRITE || next.kind == WAIT_SEND || next.kind == WAIT_CONNECT ? EV_WRITE
               : 0;
    return events && w->fd == next.fd && (w->events & (EV_READ | EV_WRITE)) == events
           && t->fds_opened == fds_opened_before;
}

/* Perform completion waits for as long as they complete at once (the
 * result goes to the task, which steps again): the wait returned is one
 * that must wait (EAGAIN, poll_first) or is not a completion wait. */
static struct wait async_perform(struct async_loop *l, struct async_task *at, struct wait w)
{
    while (wait_is_io(w) && !w.poll_first) {
        int64_t res = task_io_perform(at->task, w, l->lend, IO_FIRST);
        if (res == -EAGAIN)
            break;
        at->task->io_result = res;
        w = task_step(at->run, at->task);
    }
    return w;
}

static void async_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct async_task *at = w->data;
    struct async_loop *l = ev_userdata(loop);
    uint32_t fds_opened = at->task->fds_opened;
    (void)revents;
    if (wait_is_io(at->op)) {   /* ready: now the call itself */
        int64_t res = task_io_perform(at->task, at->op, l->lend, IO_READY);
        if (res == -EAGAIN)
            return;             /* not after all: keep waiting */
        at->task->io_result = res;
    }
    struct wait next = async_perform(l, at, task_step(at->run, at->task));
    if (async_io_serves(w, next, at->task, fds_opened)) {
        at->op = next;
        at->op.poll_first = false;
        return;
    }
    ev_io_stop(loop, w);
    async_arm(loop, at, next);
}

/* A timer without repeat is already stopped when its callback runs. */
static void async_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct async_task *at = w->data;
    (void)revents;
    async_arm(loop, at, task_step(at->run, at->task));
}

static void async_start_timer(struct ev_loop *loop, struct async_task *at, double seconds)
{
    /* The loop's cached time may be stale after a long callback; arm the
     * timer from the real time so it never fires early. */
    if (seconds > 0)
        ev_now_update(loop);
    ev_timer_init(&at->w.timer, async_on_timer, seconds, 0);
    at->w.timer.data = at;
    ev_timer_start(loop, &at->w.timer);
}

/* Step again every task whose fd wait is past its deadline. */
static void async_on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct async_loop *l = w->data;
    int64_t now = clock_now_ns();
    (void)revents;
    for (long i = 0; i < l->count; i++) {
        struct async_task *at = &l->tasks[i];
        int64_t deadline = at->task->deadline_ns;
        if (deadline && now >= deadline && ev_is_active(&at->w.io) && at->w.io.cb == async_on_io) {
            ev_io_stop(loop, &at->w.io);
            if (wait_is_io(at->op))   /* one last try: the task sees EAGAIN */
                at->task->io_result = task_io_perform(at->task, at->op, l->lend, IO_DEADLINE);
            async_arm(loop, at, task_step(at->run, at->task));
        }
    }
}

/* The sweep does not keep the loop alive: ev_run returns when the tasks
 * are done. */
static void async_start_sweep(struct ev_loop *loop, struct async_loop *l)
{
    ev_timer_init(&l->sweep, async_on_sweep, ASYNC_SWEEP_S, ASYNC_SWEEP_S);
    l->sweep.data = l;
    ev_timer_start(loop, &l->sweep);
    ev_unref(loop);
}

static void async_start_io(struct ev_loop *loop, struct async_task *at, struct wait w)
{
    at->op = w;
    at->op.poll_first = false;
    ev_io_init(&at->w.io, async_on_io, w.fd, wait_wants_read(w) ? EV_READ : EV_WRITE);
    at->w.io.data = at;
    ev_io_start(loop, &at->w.io);
    if (at->task->deadline_ns) {
        struct async_loop *l = ev_userdata(loop);
        if (!ev_is_active(&l->sweep))
            async_start_sweep(loop, l);
    }
}

/* Arm the watcher for the task's next wait (its previous one is stopped). */
static void async_arm(struct ev_loop *loop, struct async_task *at, struct wait w)
{
    w = async_perform(ev_userdata(loop), at, w);
    switch (w.kind) {
    case WAIT_DONE:
        task_finish(at->run, at->task);
        break;
    case WAIT_READ:
    case WAIT_WRITE:
    case WAIT_RECV:     /* the call would block (or poll_first): */
    case WAIT_SEND:     /* performed once the fd is ready */
    case WAIT_CONNECT:
        async_start_io(loop, at, w);
        break;
    case WAIT_TIMER:
        async_start_timer(loop, at, w.seconds);
        break;
    case WAIT_CPU:
        async_start_timer(loop, at, 0);
        break;
    }
}

/* Stop the task's wait in progress, if any. Which union member is in use
 * shows in the watcher's callback (both start with libev's common watcher
 * fields), so no tag costs memory per task. */
static bool async_stop_wait(struct ev_loop *loop, struct async_task *at)
{
    if (!ev_is_active(&at->w.io))
        return false;
    if (at->w.io.cb == async_on_io)
        ev_io_stop(loop, &at->w.io);
    else
        ev_timer_stop(loop, &at->w.timer);
    return true;
}

/* The run was cancelled (a task failed, maybe in another loop): stop every
 * wait of this loop's tasks and release what they hold; ev_run then
 * returns, as no watcher is left. */
static void async_on_cancel(struct ev_loop *loop, ev_io *w, int revents)
{
    struct async_loop *l = w->data;
    (void)revents;
    ev_ref(loop);   /* undo the ev_unref of async_watch_cancel */
    ev_io_stop(loop, w);
    for (long i = 0; i < l->count; i++)
        if (async_stop_wait(loop, &l->tasks[i]))
            task_finish(l->run, l->tasks[i].task);
}

/* Watch the cancel eventfd without keeping the loop alive: ev_run still
 * returns when the tasks are done. */
static void async_watch_cancel(struct async_loop *l)
{
    if (!l->run->cancel)
        return;
    ev_io_init(&l->cancel, async_on_cancel, l->run->cancel->fd, EV_READ);
    l->cancel.data = l;
    ev_io_start(l->loop, &l->cancel);
    ev_unref(l->loop);
}

static void *async_loop_run(void *arg)
{
    struct async_loop *l = arg;
    async_watch_cancel(l);
    for (long i = 0; i < l->count; i++)
        async_arm(l->loop, &l->tasks[i], task_step(l->run, l->tasks[i].task));
    ev_run(l->loop, 0);   /* returns when no watcher is active: all done */
    l->iterations = ev_iteration(l->loop);
    if (ev_is_active(&l->sweep)) {
        ev_ref(l->loop);   /* undo the ev_unref of async_start_sweep */
        ev_timer_stop(l->loop, &l->sweep);
    }
    return NULL;
}

/* Deal tasks round-robin: loop k owns tasks k, k+L, k+2L... */
static int async_setup_loop(struct async_loop *l, struct run *r, long k, long loops, unsigned flags)
{
    l->run = r;
    l->count = (r->tasks - k + loops - 1) / loops;
    l->tasks = calloc((size_t)l->count, sizeof *l->tasks);
    l->lend = malloc(WAIT_LEND_MAX);
    if (!l->tasks || !l->lend) {
        fprintf(stderr, "cbench: out of memory for the %ld tasks of event loop %ld\n", l->count, k + 1);
        snprintf(r->note, sizeof r->note, "out of memory");
        return 1;
    }
    l->loop = ev_loop_new(flags);
    if (!l->loop) {
        fprintf(stderr, "cbench: async: cannot create event loop %ld (backend flags %#x)\n",
                k + 1, flags);
        snprintf(r->note, sizeof r->note, "event loop %ld could not be created", k + 1);
        return 1;
    }
    ev_set_userdata(l->loop, l);
    for (long j = 0; j < l->count; j++) {
        long i = k + j * loops;
        task_attach(r, i);
        l->tasks[j].task = &r->task[i];
        l->tasks[j].run = r;
    }
    return 0;
}

static void async_free_loops(struct async_loop *loops, long n)
{
    for (long k = 0; k < n; k++) {
        if (loops[k].loop)
            ev_loop_destroy(loops[k].loop);
        free(loops[k].tasks);
        free(loops[k].lend);
    }
    free(loops);
}

static int async_run(struct run *r)
{
    const struct async_params *p = r->model_params;
    unsigned flags = async_backend_flag(p->backend);
    long n = p->loops;
    struct async_loop *loops = calloc((size_t)n, sizeof *loops);
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
                 async_backend_name(ev_backend(loops[0].loop)));
        r->workers_started = n;
        r->kernel_tasks = n > 1 ? n : 0;   /* one loop runs in this thread */
        status = run_loop_threads(loops, sizeof *loops, n, async_loop_run, r, "event loop");
        for (long k = 0; k < n; k++)
            r->syscalls += loops[k].iterations;
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
    .nonblocking = true,
    .bare_spawn = bare_spawn_libev,
    .check = async_check,
    .run = async_run,
};
