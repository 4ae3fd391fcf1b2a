/* hybrid.c - one libev event loop for the waits, a pool of worker threads
 * (-w, default one per core) for the CPU steps: the fix for "CPU work
 * blocks the loop" (asyncio's run_in_executor, libuv's work queue).
 *
 * The loop is evloop.c's, the one async runs: it runs a task's first step
 * and every step after an I/O or timer wakeup, with one watcher union per
 * task, and serves deadlines and cancellation as async does. When a step
 * returns WAIT_CPU the loop hands the task to the pool instead of running
 * the next step itself. A worker runs that step; if it asks for CPU again
 * the task goes to the back of the pool's queue (so CPU tasks share the
 * workers fairly); any other wait is posted back to the loop, which an
 * ev_async wakes, and the loop serves it. So a task is owned by the loop or
 * by one worker at a time, never both, and the memory per task stays near
 * that of async: no stack, no thread per task.
 *
 * The loop's own work is short (arm a watcher, hand over a task), so the
 * waits are served on time while the CPU work keeps every core busy. */
#include "evloop.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hybrid_task {
    struct evloop_task ev;      /* first: the loop's view of the task */
    struct hybrid_task *next;   /* in the pool's queue or the loop's inbox */
    struct wait result;         /* the wait a worker's step returned */
};

/* A FIFO threaded through the tasks themselves: no allocation per hand-off. */
struct hybrid_queue {
    struct hybrid_task *head, *tail;
};

struct hybrid {
    struct evloop ev;           /* the loop and its tasks (loop thread only) */
    struct run *run;
    ev_async wake;              /* workers post results: the loop drains inbox */
    struct hybrid_task *tasks;
    long live;                  /* tasks not finished (loop thread only) */

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

/* ---- the pool ----------------------------------------------------------- */

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
        struct wait w = task_step(h->run, ht->ev.task);
        pthread_mutex_lock(&h->lock);
        if (w.kind == WAIT_CPU) {
            hybrid_queue_push(&h->work, ht);   /* behind the other CPU tasks */
        } else {
            ht->result = w;
            hybrid_queue_push(&h->inbox, ht);
        }
        pthread_mutex_unlock(&h->lock);
        if (w.kind != WAIT_CPU)
            ev_async_send(h->ev.loop, &h->wake);   /* coalesced if already sent */
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

/* ---- the loop ----------------------------------------------------------- */

static struct hybrid *hybrid_of(struct evloop *l)
{
    return (struct hybrid *)((char *)l - offsetof(struct hybrid, ev));
}

/* WAIT_CPU: the task has no watcher armed on the loop now, so it is the
 * pool's until a worker posts its next wait back. */
static void hybrid_hand_to_pool(struct evloop *l, struct evloop_task *et)
{
    hybrid_submit(hybrid_of(l), (struct hybrid_task *)et);
}

/* No task is left: the ev_async was all that kept the loop alive (the
 * loop's own watchers do not), so ev_run returns. */
static void hybrid_task_finished(struct evloop *l, struct evloop_task *et)
{
    struct hybrid *h = hybrid_of(l);
    if (!et->task->spawned)
        h->live--;
    if (h->live == 0 && l->spawned_count == 0)   /* (a spawned one may be in the pool) */
        ev_async_stop(l->loop, &h->wake);
}

static const struct evloop_hooks hybrid_hooks = {
    .cpu = hybrid_hand_to_pool,
    .finished = hybrid_task_finished,
};

/* Workers posted results: take them all at once, then serve each. */
static void hybrid_on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    struct hybrid *h = w->data;
    (void)loop;
    (void)revents;
    pthread_mutex_lock(&h->lock);
    struct hybrid_task *ht = h->inbox.head;
    h->inbox.head = h->inbox.tail = NULL;
    pthread_mutex_unlock(&h->lock);
    while (ht) {
        struct hybrid_task *next = ht->next;
        /* A worker's step may have returned a wait just before the run was
         * cancelled, and reach the inbox after the loop stopped its waits:
         * finish it rather than arm a watcher that nothing would stop. */
        evloop_serve(&h->ev, &ht->ev, run_cancelled(h->run) ? wait_done() : ht->result);
        ht = next;
    }
}

static void hybrid_run_loop(struct hybrid *h)
{
    for (long i = 0; i < h->run->tasks; i++) {
        task_attach(h->run, i);
        h->tasks[i].ev.task = &h->run->task[i];
    }
    h->live = h->run->tasks;
    ev_async_init(&h->wake, hybrid_on_wake);
    h->wake.data = h;
    ev_async_start(h->ev.loop, &h->wake);   /* keeps the loop alive while tasks are in the pool */
    evloop_run(&h->ev);   /* returns once the last task has finished */
    h->run->syscalls += h->ev.iterations + h->ev.timer_syscalls;
}

static int hybrid_run(struct run *r)
{
    struct hybrid h = { .run = r, .lock = PTHREAD_MUTEX_INITIALIZER,
                        .work_ready = PTHREAD_COND_INITIALIZER };
    h.tasks = calloc((size_t)r->tasks, sizeof *h.tasks);
    int status = 0;
    if (!h.tasks || !evloop_open(&h.ev, r, EVFLAG_AUTO, &hybrid_hooks, h.tasks, sizeof *h.tasks,
                                 r->tasks)) {
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
                 evloop_backend_name(&h.ev));
    }
    hybrid_stop_pool(&h);
    evloop_close(&h.ev);
    free(h.tasks);
    return status;
}

/* One loop's descriptors (epoll's and the eventfd of the ev_async) and
 * the pool's threads. */
static int hybrid_check(struct run *r)
{
    r->model_fds = EVLOOP_FDS;
    r->model_workers = hybrid_pool_size(r);
    return 0;
}

const struct model model_hybrid = {
    .name = "hybrid",
    .summary = "one libev loop for waits + a pool of -w threads (default: cores) for CPU steps",
    .traits = { .runs = RUNS_ALL, .nonblocking = true, .uses_workers = true,
                .parallel_cpu = true, .spawns = true },
    .check = hybrid_check,
    .run = hybrid_run,
};
