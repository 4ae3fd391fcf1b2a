/* threads.c - a pthread per task, or a pool of --workers threads.
 *
 * Workers take task indexes from an atomic counter, so a pool of W runs W
 * tasks at a time. Stacks are small by default (--stack-kib) so that 10,000
 * threads fit in memory and in vm.max_map_count. A start gate makes every
 * thread begin together once all exist; if one cannot be created the gate
 * opens with `abort` set and every started thread leaves at once. */
#include "model.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct threads_params {
    long stack_kib;
};

static const struct threads_params threads_defaults = { .stack_kib = 64 };

static const struct opt_spec threads_options[] = {
    { "stack-kib", 0, OPT_INT, offsetof(struct threads_params, stack_kib), 16, 1 << 20,
      "stack size per thread in KiB (default 64, so 10,000 threads fit)" },
    OPT_END,
};

struct threads_shared {
    struct run *run;
    atomic_long next_task;
    pthread_mutex_t gate_lock;
    pthread_cond_t gate_opened;
    bool gate_open;
    bool abort;
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

static void *threads_worker(void *arg)
{
    struct threads_shared *s = arg;
    struct run *r = s->run;
    if (!threads_wait_gate(s))
        return NULL;
    for (;;) {
        long i = atomic_fetch_add(&s->next_task, 1);
        if (i >= r->tasks)
            break;
        task_attach(r, i);
        task_run_blocking(r, &r->task[i]);
    }
    return NULL;
}

static long threads_pool_size(const struct run *r)
{
    return r->workers > 0 && r->workers < r->tasks ? r->workers : r->tasks;
}

static int threads_run(struct run *r)
{
    const struct threads_params *p = r->model_params;
    long pool = threads_pool_size(r);
    pthread_t *ids = calloc((size_t)pool, sizeof *ids);
    struct threads_shared s = {
        .run = r,
        .gate_lock = PTHREAD_MUTEX_INITIALIZER,
        .gate_opened = PTHREAD_COND_INITIALIZER,
    };
    atomic_init(&s.next_task, 0);
    if (!ids) {
        fprintf(stderr, "cbench: threads: out of memory for %ld threads\n", pool);
        return 1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    size_t stack = (size_t)p->stack_kib * 1024;
    size_t min_stack = (size_t)PTHREAD_STACK_MIN;
    pthread_attr_setstacksize(&attr, stack < min_stack ? min_stack : stack);

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
    threads_open_gate(&s, status != 0);
    for (long w = 0; w < r->workers_started; w++)
        pthread_join(ids[w], NULL);
    free(ids);
    return status;
}

const struct model model_threads = {
    .name = "threads",
    .summary = "a pthread per task (or a pool of -w threads), small stacks",
    .options = threads_options,
    .params_size = sizeof(struct threads_params),
    .params_default = &threads_defaults,
    .uses_workers = true,
    .run = threads_run,
};
