/* hybrid.c - one libev event loop for the waits, a pool of worker threads
 * (-w, default one per core) for the CPU steps: the fix for "CPU work
 * blocks the loop" (asyncio's run_in_executor, libuv's work queue).
 *
 * The loop runs a task's first step and every step after an I/O or timer
 * wakeup, exactly as async does, with one watcher union per task. When a
 * step returns WAIT_CPU the loop hands the task to the pool instead of
 * running the next step itself. A worker runs that step; if it asks for
 * CPU again the task goes to the back of the pool's queue (so CPU tasks
 * share the workers fairly); any other wait is posted back to the loop,
 * which an ev_async wakes, and the loop arms the watcher for it. So a task
 * is owned by the loop or by one worker at a time, never both, and the
 * memory per task stays that of async: no stack, no thread per task.
 *
 * Deadlines of fd waits (task->deadline_ns) are served as in async: a
 * sweep timer, started with the first, steps again the tasks past theirs.
 *
 * The loop's own work is short (arm a watcher, hand over a task), so the
 * waits are served on time while the CPU work keeps every core busy. */
#include "model.h"

#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hybrid_task {
    struct task *task;
    struct hybrid_task *next;   /* in the pool's queue or the loop's inbox */
    struct wait result;         /* the wait a worker's step returned */
    struct wait op;             /* the wait the ev_io serves (as in async.c) */
    union {                     /* the one wait in progress on the loop */
        ev_io io;
        ev_timer timer;
    } w;
};

/* A FIFO threaded through the tasks themselves: no allocation per hand-off. */
struct hybrid_queue {
    struct hybrid_task *head, *tail;
};

struct hybrid {
    struct run *run;
    struct ev_loop *loop;
    ev_async wake;              /* workers post results: the loop drains inbox */
    ev_io cancel;               /* --fail-task: the run's cancel eventfd */
    ev_timer sweep;             /* deadlines, as in async.c */
    struct hybrid_task *tasks;
    long live;                  /* tasks not finished (loop thread only) */
    char lend[WAIT_LEND_MAX];   /* WAIT_RECV's lent buffer (loop thread) */

    pthread_mutex_t lock;       /* guards the two queues and `stopping` */
    pthread_cond_t work_ready;
    struct hybrid_queue work;   /* CPU steps waiting for a worker */
    struct hybrid_queue inbox;  /* results waiting for the loop */
    bool stopping;
    pthread_t *workers;
    long workers_started;
};

static void hybrid_queue_push(struct hybrid_queue *q, struct hybrid_task *ht)
{
    ht->next = NULL;
    if (q->tail)
        q->tail->next = ht;
    else
        q->head = ht;
    q->tail = ht;
}

static struct hybrid_task *hybrid_queue_pop(struct hybrid_queue *q)
{
    struct hybrid_task *ht = q->head;
    if (ht && !(q->head = ht->next))
        q->tail = NULL;
    return ht;
}

/* ---- the pool ------------------------------------------------------------- */

static void hybrid_submit(struct hybrid *h, struct hybrid_task *ht)
{
    pthread_mutex_lock(&h->lock);
    hybrid_queue_push(&h->work, ht);
    pthread_cond_signal(&h->work_ready);
    pthread_mutex_unlock(&h->lock);
}

/* Next CPU step to run, or NULL when the pool is stopping. */
static struct hybrid_task *hybrid_next_work(struct hybrid *h)
{
    pthread_mutex_lock(&h->lock);
    while (!h->work.head && !h->stopping)
        pthread_cond_wait(&h->work_ready, &h->lock);
    struct hybrid_task *ht = hybrid_queue_pop(&h->work);
    pthread_mutex_unlock(&h->lock);
    return ht;
}

static void *hybrid_worker(void *arg)
{
    struct hybrid *h = arg;
    struct hybrid_task *ht;
    while ((ht = hybrid_next_work(h))) {
        struct wait w = task_step(h->run, ht->task);
        pthread_mutex_lock(&h->lock);
        if (w.kind == WAIT_CPU) {
            hybrid_queue_push(&h->work, ht);   /* behind the other CPU tasks */
        } else {
            ht->result = w;
            hybrid_queue_push(&h->inbox, ht);
        }
        pthread_mutex_unlock(&h->lock);
        if (w.kind != WAIT_CPU)
            ev_async_send(h->loop, &h->wake);   /* coalesced if already sent */
    }
    return NULL;
}

static long hybrid_pool_size(const struct run *r)
{
    return r->workers > 0 ? r->workers : online_cores();
}

static int hybrid_start_pool(struct hybrid *h)
{
    long pool = hybrid_pool_size(h->run);
    h->workers = calloc((size_t)pool, sizeof *h->workers);
    for (long k = 0; h->workers && k < pool; k++) {
        int err = pthread_create(&h->workers[k], NULL, hybrid_worker, h);
        if (err) {
            fprintf(stderr, "cbench: hybrid: could not start worker %ld of %ld: %s\n",
                    k + 1, pool, strerror(err));
            break;
        }
        h->workers_started++;
    }
    return h->workers_started == pool ? 0 : 1;
}

static void hybrid_stop_pool(struct hybrid *h)
{
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_broadcast(&h->work_ready);
    pthread_mutex_unlock(&h->lock);
    for (long k = 0; k < h->workers_started; k++)
        pthread_join(h->workers[k], NULL);
    free(h->workers);
}

/* ---- the loop --------------------------------------------------------------- */

static void hybrid_advance(struct hybrid *h, struct hybrid_task *ht);

static void hybrid_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct hybrid *h = ev_userdata(loop);
    struct hybrid_task *ht = w->data;
    (void)revents;
    if (wait_is_io(ht->op)) {   /* ready: now the call itself */
        int64_t res = task_io_perform(ht->task, ht->op, h->lend, IO_READY);
        if (res == -EAGAIN)
            return;             /* not after all: keep waiting */
        ht->task->io_result = res;
    }
    ev_io_stop(loop, w);
    hybrid_advance(h, ht);
}

static void hybrid_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    ev_timer_stop(loop, w);
    hybrid_advance(ev_userdata(loop), w->data);
}

#define HYBRID_SWEEP_S 0.1

/* Step again every task whose fd wait is past its deadline. */
static void hybrid_on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct hybrid *h = ev_userdata(loop);
    int64_t now = clock_now_ns();
    (void)w;
    (void)revents;
    for (long i = 0; i < h->run->tasks; i++) {
        struct hybrid_task *ht = &h->tasks[i];
        /* Only a task waiting on the loop is the loop's: one in the pool may
         * be writing its deadline right now. */
        if (!ev_is_active(&ht->w.io) || ht->w.io.cb != hybrid_on_io)
            continue;
        int64_t deadline = ht->task->deadline_ns;
        if (deadline && now >= deadline) {
            ev_io_stop(loop, &ht->w.io);
            if (wait_is_io(ht->op))   /* one last try: the task sees EAGAIN */
                ht->task->io_result = task_io_perform(ht->task, ht->op, h->lend, IO_DEADLINE);
            hybrid_advance(h, ht);
        }
    }
}

/* No task is left: stop the loop's own watchers so that ev_run returns. */
static void hybrid_stop_loop(struct hybrid *h)
{
    if (ev_is_active(&h->sweep)) {
        ev_ref(h->loop);   /* undo the ev_unref of hybrid_serve */
        ev_timer_stop(h->loop, &h->sweep);
    }
    ev_async_stop(h->loop, &h->wake);
    if (ev_is_active(&h->cancel)) {
        ev_ref(h->loop);   /* undo the ev_unref of hybrid_run_loop */
        ev_io_stop(h->loop, &h->cancel);
    }
}

static void hybrid_finish(struct hybrid *h, struct hybrid_task *ht)
{
    task_finish(h->run, ht->task);
    if (--h->live == 0)
        hybrid_stop_loop(h);
}

/* Serve a wait: arm a watcher, hand CPU work to the pool, or finish. */
static void hybrid_serve(struct hybrid *h, struct hybrid_task *ht, struct wait w)
{
    /* A worker's step may have returned a wait just before the run was
     * cancelled, and reach the inbox after hybrid_on_cancel: finish it
     * rather than arm a watcher that nothing would stop. */
    if (run_cancelled(h->run))
        w = wait_done();
    /* Completion waits are performed at once, as in async.c, until one
     * would block (or asks for readiness first). */
    while (wait_is_io(w) && !w.poll_first) {
        int64_t res = task_io_perform(ht->task, w, h->lend, IO_FIRST);
        if (res == -EAGAIN)
            break;
        ht->task->io_result = res;
        w = task_step(h->run, ht->task);
    }
    switch (w.kind) {
    case WAIT_DONE:
        hybrid_finish(h, ht);
        break;
    case WAIT_READ:
    case WAIT_WRITE:
    case WAIT_RECV:
    case WAIT_SEND:
    case WAIT_CONNECT:
        ht->op = w;
        ev_io_init(&ht->w.io, hybrid_on_io, w.fd, wait_wants_read(w) ? EV_READ : EV_WRITE);
        ht->w.io.data = ht;
        ev_io_start(h->loop, &ht->w.io);
        if (ht->task->deadline_ns && !ev_is_active(&h->sweep)) {
            ev_timer_init(&h->sweep, hybrid_on_sweep, HYBRID_SWEEP_S, HYBRID_SWEEP_S);
            ev_timer_start(h->loop, &h->sweep);
            ev_unref(h->loop);   /* the sweep alone does not keep the loop alive */
        }
        break;
    case WAIT_TIMER:
        ev_now_update(h->loop);   /* as in async: never fire early */
        ev_timer_init(&ht->w.timer, hybrid_on_timer, w.seconds, 0);
        ht->w.timer.data = ht;
        ev_timer_start(h->loop, &ht->w.timer);
        break;
    case WAIT_CPU:
        hybrid_submit(h, ht);
        break;
    }
}

static void hybrid_advance(struct hybrid *h, struct hybrid_task *ht)
{
    hybrid_serve(h, ht, task_step(h->run, ht->task));
}

/* Workers posted results: take them all at once, then serve each. */
static void hybrid_on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    struct hybrid *h = ev_userdata(loop);
    (void)w;
    (void)revents;
    pthread_mutex_lock(&h->lock);
    struct hybrid_task *ht = h->inbox.head;
    h->inbox.head = h->inbox.tail = NULL;
    pthread_mutex_unlock(&h->lock);
    while (ht) {
        struct hybrid_task *next = ht->next;
        hybrid_serve(h, ht, ht->result);
        ht = next;
    }
}

/* The run was cancelled: stop the waits armed on the loop. Tasks in the
 * pool come back as WAIT_DONE (task_step returns it once cancelled) and
 * finish through the inbox. */
static void hybrid_on_cancel(struct ev_loop *loop, ev_io *w, int revents)
{
    struct hybrid *h = ev_userdata(loop);
    (void)revents;
    ev_ref(loop);
    ev_io_stop(loop, w);
    for (long i = 0; i < h->run->tasks && h->live > 0; i++) {
        struct hybrid_task *ht = &h->tasks[i];
        if (!ev_is_active(&ht->w.io))
            continue;
        if (ht->w.io.cb == hybrid_on_io)   /* which union member: see async.c */
            ev_io_stop(loop, &ht->w.io);
        else
            ev_timer_stop(loop, &ht->w.timer);
        hybrid_finish(h, ht);
    }
}

static void hybrid_run_loop(struct hybrid *h)
{
    ev_set_userdata(h->loop, h);
    ev_async_init(&h->wake, hybrid_on_wake);
    ev_async_start(h->loop, &h->wake);   /* keeps the loop alive while tasks are in the pool */
    if (h->run->cancel) {
        ev_io_init(&h->cancel, hybrid_on_cancel, h->run->cancel->fd, EV_READ);
        ev_io_start(h->loop, &h->cancel);
        ev_unref(h->loop);
    }
    h->live = h->run->tasks;
    for (long i = 0; i < h->run->tasks; i++) {
        task_attach(h->run, i);
        h->tasks[i].task = &h->run->task[i];
        hybrid_advance(h, &h->tasks[i]);
    }
    ev_run(h->loop, 0);   /* returns once hybrid_stop_loop has run */
    h->run->syscalls += ev_iteration(h->loop);
}

static int hybrid_run(struct run *r)
{
    struct hybrid h = { .run = r, .lock = PTHREAD_MUTEX_INITIALIZER,
                        .work_ready = PTHREAD_COND_INITIALIZER };
    h.tasks = calloc((size_t)r->tasks, sizeof *h.tasks);
    h.loop = ev_loop_new(EVFLAG_AUTO);
    int status = 0;
    if (!h.tasks || !h.loop) {
        fprintf(stderr, "cbench: hybrid: cannot create the event loop for %ld tasks\n", r->tasks);
        snprintf(r->note, sizeof r->note, "the event loop could not be created");
        status = 1;
    } else if (hybrid_start_pool(&h) != 0) {
        snprintf(r->note, sizeof r->note, "pool failed after %ld workers", h.workers_started);
        status = 1;
    } else {
        r->workers_started = h.workers_started;
        r->kernel_tasks = h.workers_started;
        run_sample_memory(r);
        hybrid_run_loop(&h);
        snprintf(r->note, sizeof r->note, "1 loop + %ld CPU workers; backend %s", h.workers_started,
                 ev_backend(h.loop) == EVBACKEND_EPOLL ? "epoll" : "other");
    }
    hybrid_stop_pool(&h);
    if (h.loop)
        ev_loop_destroy(h.loop);
    free(h.tasks);
    return status;
}

/* One loop's descriptors: epoll's and the eventfd of the ev_async. */
static int hybrid_check(struct run *r)
{
    r->model_fds = 2;
    return 0;
}

const struct model model_hybrid = {
    .name = "hybrid",
    .summary = "one libev loop for waits + a pool of -w threads (default: cores) for CPU steps",
    .nonblocking = true,
    .uses_workers = true,
    .bare_spawn = bare_spawn_libev,
    .check = hybrid_check,
    .run = hybrid_run,
};
