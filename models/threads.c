/* threads.c - a pthread per task, or a pool of --workers threads.
 *
 * Workers take task indexes from an atomic counter, so a pool of W runs W
 * tasks at a time. Stacks are small by default (--stack-kib) so that 10,000
 * threads fit in memory and in vm.max_map_count. A start gate makes every
 * thread begin together once all exist; if one cannot be created the gate
 * opens with `abort` set and every started thread leaves at once.
 *
 * --gil emulates CPython's global interpreter lock (gil.c): a thread runs a
 * step only while it holds the lock, drops it while it waits, and hands it
 * over when another thread has waited 5 ms (CPython's switch interval). Its
 * fds are then non-blocking, as in an event loop, so that the wait itself,
 * not a read() inside step(), is where a thread blocks; it blocks in poll()
 * or a timed sleep with the lock released, as CPython releases it around
 * blocking calls. */
#include "model.h"
#include "gil.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS_GIL_INTERVAL_S 0.005   /* sys.getswitchinterval() */

struct threads_params {
    long stack_kib;
    bool gil;
};

static const struct threads_params threads_defaults = { .stack_kib = 64 };

static const struct opt_spec threads_options[] = {
    { "stack-kib", 0, OPT_INT, offsetof(struct threads_params, stack_kib), 16, 1 << 20,
      "stack size per thread in KiB (default 64, so 10,000 threads fit; a workload "
      "may need more: see Workloads)" },
    { "gil", 0, OPT_FLAG, offsetof(struct threads_params, gil), 0, 0,
      "one global lock held while a task runs, handed over every 5 ms (CPython's GIL)" },
    OPT_END,
};

struct threads_shared {
    struct run *run;
    struct gil *gil;           /* NULL without --gil */
    atomic_long next_task;
    pthread_mutex_t gate_lock;
    pthread_cond_t gate_opened;
    bool gate_open;
    bool abort;
    /* Tasks created at run time (WAIT_SPAWN): a detached thread each, with
     * the pool's stack size; the run ends once none is left. */
    pthread_attr_t attr;
    pthread_mutex_t spawned_lock;
    pthread_cond_t spawned_gone;
    long spawned_threads;
};

static bool threads_wait_gate(struct threads_shared *s)
{
    pthread_mutex_lock(&s->gate_lock);
    while (!s->gate_open)
        pthread_cond_wait(&s->gate_opened, &s->gate_lock);
    bool go = !s->abort;
    pthread_mutex_unlock(&s->gate_lock);
    return go;
}

static void threads_open_gate(struct threads_shared *s, bool abort)
{
    pthread_mutex_lock(&s->gate_lock);
    s->gate_open = true;
    s->abort = abort;
    pthread_cond_broadcast(&s->gate_opened);
    pthread_mutex_unlock(&s->gate_lock);
}

static void threads_gil_drop(void *g) { gil_drop(g); }
static void threads_gil_take(void *g) { gil_take(g); }

static void threads_serve_gil(struct run *r, struct task *t, struct gil *g, struct wait w, char *lend);

/* A lent receive buffer on this frame only for workloads that ask. */
static void threads_serve_gil_lent(struct run *r, struct task *t, struct gil *g, struct wait w)
{
    char lend[WAIT_LEND_MAX];
    threads_serve_gil(r, t, g, w, lend);
}

/* One task under the GIL, which the caller holds on entry and on return. */
static void threads_serve_gil(struct run *r, struct task *t, struct gil *g, struct wait w, char *lend)
{
    for (;; w = task_step(r, t)) {
        switch (w.kind) {
        case WAIT_DONE:
            task_finish(r, t);
            return;
        case WAIT_CPU:   /* a step boundary: where CPython checks the request */
            if (gil_drop_requested(g))
                gil_yield(g);
            break;
        case WAIT_READ:
        case WAIT_WRITE:
        case WAIT_TIMER:
            gil_drop(g);   /* like CPython around blocking I/O */
            task_wait_poll(r, t, w);
            gil_take(g);
            break;
        case WAIT_SPAWN:
            t->io_result = r->spawn(r, t, w.fd);
            break;
        case WAIT_RECV:
        case WAIT_SEND:
        case WAIT_CONNECT:
            if (w.kind == WAIT_RECV && !w.buf && !lend) {
                threads_serve_gil_lent(r, t, g, w);
                return;
            }
            /* fds are non-blocking: tried at once, the GIL dropped while
             * a wait for readiness follows EAGAIN */
            if (w.poll_first && !r->cancellable) {   /* (a cancellable run polls anyway) */
                gil_drop(g);
                task_wait_poll(r, t, w);
                gil_take(g);
            }
            t->io_result = task_io_blocking(r, t, w, lend, threads_gil_drop, threads_gil_take, g);
            break;
        }
    }
}

static void threads_run_task_gil(struct run *r, struct task *t, struct gil *g)
{
    threads_serve_gil(r, t, g, task_step(r, t), NULL);
}

static void threads_run_task(struct threads_shared *s, long i)
{
    task_attach(s->run, i);
    if (!s->gil) {
        task_run_blocking(s->run, &s->run->task[i]);
        return;
    }
    if (gil_drop_requested(s->gil))
        gil_yield(s->gil);
    threads_run_task_gil(s->run, &s->run->task[i], s->gil);
}

static void *threads_worker(void *arg)
{
    struct threads_shared *s = arg;
    struct run *r = s->run;
    if (!threads_wait_gate(s))
        return NULL;
    if (s->gil)
        gil_take(s->gil);
    for (;;) {
        long i = atomic_fetch_add(&s->next_task, 1);
        if (i >= r->tasks || !run_may_start_task(r))
            break;
        threads_run_task(s, i);
    }
    if (s->gil)
        gil_drop(s->gil);
    return NULL;
}

/* A connection's thread: runs its task to the end, then tells the run. */
static void *threads_spawned_main(void *arg)
{
    struct spawned *sp = arg;
    struct threads_shared *s = sp->ctx;
    if (s->gil) {
        gil_take(s->gil);
        threads_run_task_gil(sp->run, &sp->task, s->gil);
        gil_drop(s->gil);
    } else {
        task_run_blocking(sp->run, &sp->task);
    }
    spawned_free(sp);
    pthread_mutex_lock(&s->spawned_lock);
    if (--s->spawned_threads == 0)
        pthread_cond_broadcast(&s->spawned_gone);
    pthread_mutex_unlock(&s->spawned_lock);
    return NULL;
}

/* WAIT_SPAWN: a thread per connection, at most the run's limit; -EAGAIN
 * beyond it or when no thread can be created (the client is turned away,
 * the server goes on). */
static int64_t threads_spawn(struct run *r, struct task *parent, int fd)
{
    struct threads_shared *s = r->spawn_ctx;
    (void)parent;
    if (!run_spawn_admit(r))
        return -EAGAIN;
    struct spawned *sp = spawned_new(r, fd, s);
    if (!sp) {
        run_spawn_release(r);
        return -EAGAIN;
    }
    pthread_mutex_lock(&s->spawned_lock);
    s->spawned_threads++;
    pthread_mutex_unlock(&s->spawned_lock);
    pthread_t id;
    int err = pthread_create(&id, &s->attr, threads_spawned_main, sp);
    if (err == 0)
        return 0;
    pthread_mutex_lock(&s->spawned_lock);
    s->spawned_threads--;
    pthread_mutex_unlock(&s->spawned_lock);
    spawned_free(sp);
    return -EAGAIN;
}

static void threads_wait_spawned(struct threads_shared *s)
{
    pthread_mutex_lock(&s->spawned_lock);
    while (s->spawned_threads > 0)
        pthread_cond_wait(&s->spawned_gone, &s->spawned_lock);
    pthread_mutex_unlock(&s->spawned_lock);
}

static int threads_run(struct run *r)
{
    const struct threads_params *p = r->model_params;
    long pool = run_pool_size(r);
    pthread_t *ids = calloc((size_t)pool, sizeof *ids);
    struct threads_shared s = {
        .run = r,
        .gate_lock = PTHREAD_MUTEX_INITIALIZER,
        .gate_opened = PTHREAD_COND_INITIALIZER,
        .spawned_lock = PTHREAD_MUTEX_INITIALIZER,
        .spawned_gone = PTHREAD_COND_INITIALIZER,
    };
    atomic_init(&s.next_task, 0);
    if (!ids) {
        fprintf(stderr, "cbench: threads: out of memory for %ld threads\n", pool);
        return 1;
    }
    if (p->gil && !(s.gil = gil_new(THREADS_GIL_INTERVAL_S))) {
        free(ids);
        return 1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    size_t stack = (size_t)p->stack_kib * 1024;
    size_t min_stack = (size_t)PTHREAD_STACK_MIN;
    pthread_attr_setstacksize(&attr, stack < min_stack ? min_stack : stack);
    pthread_attr_init(&s.attr);
    pthread_attr_setstacksize(&s.attr, stack < min_stack ? min_stack : stack);
    pthread_attr_setdetachstate(&s.attr, PTHREAD_CREATE_DETACHED);
    r->spawn = threads_spawn;
    r->spawn_ctx = &s;

    int status = 0;
    for (long w = 0; w < pool; w++) {
        int err = pthread_create(&ids[w], &attr, threads_worker, &s);
        if (err) {
            fprintf(stderr, "cbench: threads: could not start thread %ld of %ld: %s "
                    "(%ld started; see ulimit -u, vm.max_map_count, --stack-kib)\n",
                    w + 1, pool, strerror(err), w);
            snprintf(r->note, sizeof r->note, "pthread_create failed after %ld threads", w);
            status = 1;
            break;
        }
        r->workers_started++;
    }
    pthread_attr_destroy(&attr);
    run_sample_memory(r);   /* every stack is mapped now */
    r->kernel_tasks = r->workers_started;
    threads_open_gate(&s, status != 0);
    for (long w = 0; w < r->workers_started; w++)
        pthread_join(ids[w], NULL);
    threads_wait_spawned(&s);   /* the pool's tasks spawn no more now */
    r->kernel_tasks += atomic_load(&r->shared->spawned_total);   /* connection threads, all ended */
    pthread_attr_destroy(&s.attr);
    r->spawn = NULL;
    free(ids);
    if (s.gil && status == 0)
        snprintf(r->note, sizeof r->note, "GIL: %ld forced hand-overs (5 ms interval)",
                 gil_forced_switches(s.gil));
    gil_free(s.gil);
    return status;
}

/* A stack smaller than a task needs would end the run in SIGSEGV: refused
 * before any thread starts. 0, or 2 after saying why. */
static int threads_check_stack(const struct threads_params *p, const struct workload *w)
{
    if (p->stack_kib >= w->min_stack_kib)
        return 0;
    fprintf(stderr, "cbench: threads: --stack-kib %ld is below the %ld KiB a %s task needs on "
            "its thread (use --stack-kib %ld or more)\n", p->stack_kib, w->min_stack_kib, w->name,
            w->min_stack_kib);
    return 2;
}

/* Under --gil a thread must block only where it has released the lock: in
 * the model's poll(), never in a read() inside step(). */
static int threads_check(struct run *r)
{
    const struct threads_params *p = r->model_params;
    r->nonblocking = p->gil;
    r->model_workers = run_pool_size(r);
    return threads_check_stack(p, r->workload);
}

const struct model model_threads = {
    .name = "threads",
    .summary = "a pthread per task (or a pool of -w threads), small stacks",
    .options = threads_options,
    .params_size = sizeof(struct threads_params),
    .params_default = &threads_defaults,
    .traits = { .runs = RUNS_POOL, .uses_workers = true, .parallel_cpu = true, .spawns = true },
    .check = threads_check,
    .run = threads_run,
};
