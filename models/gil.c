/* gil.c - CPython's global interpreter lock (Python/ceval_gil.c, 3.2+),
 * reduced to what the threads model needs. One mutex guards the state; a
 * waiter sleeps on `released` with a timeout of one switch interval, and a
 * holder that was asked to drop it sleeps on `switched` until a new holder
 * has taken it. */
#include "gil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct gil {
    pthread_mutex_t mutex;
    pthread_cond_t released;      /* the lock became free */
    pthread_cond_t switched;      /* another thread took it */
    bool locked;
    unsigned long switches;       /* times it has been taken */
    pthread_t holder;             /* the thread that took it last */
    atomic_bool drop_request;     /* read by the holder without the mutex */
    atomic_long forced;           /* hand-overs forced by a drop request */
    int64_t interval_ns;
};

struct gil *gil_new(double interval_s)
{
    struct gil *g = calloc(1, sizeof *g);
    pthread_condattr_t attr;
    if (!g) {
        fprintf(stderr, "cbench: gil: out of memory\n");
        return NULL;
    }
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);   /* timeouts ignore clock changes */
    pthread_mutex_init(&g->mutex, NULL);
    pthread_cond_init(&g->released, &attr);
    pthread_cond_init(&g->switched, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&g->drop_request, false);
    atomic_init(&g->forced, 0);
    g->interval_ns = (int64_t)(interval_s * 1e9);
    return g;
}

void gil_free(struct gil *g)
{
    if (!g)
        return;
    pthread_cond_destroy(&g->released);
    pthread_cond_destroy(&g->switched);
    pthread_mutex_destroy(&g->mutex);
    free(g);
}

static struct timespec gil_deadline(int64_t interval_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + interval_ns;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

void gil_take(struct gil *g)
{
    pthread_mutex_lock(&g->mutex);
    while (g->locked) {
        unsigned long seen = g->switches;
        struct timespec deadline = gil_deadline(g->interval_ns);
        int err = pthread_cond_timedwait(&g->released, &g->mutex, &deadline);
        /* A whole interval went by without a switch: ask the holder to let go. */
        if (err == ETIMEDOUT && g->locked && g->switches == seen)
            atomic_store(&g->drop_request, true);
    }
    g->locked = true;
    g->holder = pthread_self();
    g->switches++;
    atomic_store(&g->drop_request, false);
    pthread_cond_broadcast(&g->switched);
    pthread_mutex_unlock(&g->mutex);
}

/* A drop request is set only by a thread waiting in gil_take, and such a
 * thread leaves only by taking the lock, so a forced hand-over always ends. */
static void gil_release(struct gil *g, bool forced)
{
    pthread_mutex_lock(&g->mutex);
    g->locked = false;
    pthread_cond_signal(&g->released);
    while (forced && pthread_equal(g->holder, pthread_self()))
        pthread_cond_wait(&g->switched, &g->mutex);
    pthread_mutex_unlock(&g->mutex);
}

void gil_drop(struct gil *g)
{
    gil_release(g, false);
}

bool gil_drop_requested(const struct gil *g)
{
    return atomic_load_explicit(&g->drop_request, memory_order_relaxed);
}

void gil_yield(struct gil *g)
{
    atomic_fetch_add(&g->forced, 1);
    gil_release(g, true);
    gil_take(g);
}

long gil_forced_switches(const struct gil *g)
{
    return atomic_load(&g->forced);
}
