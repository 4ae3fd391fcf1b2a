/* queue.c - producers and consumers over a bounded queue: the hand-off
 * cost per model.
 *
 * The first --producers tasks put --items items (ids 0..M-1, dealt round-
 * robin) into one queue; the other tasks (--consumers) take them out. The
 * queue is a pipe: the one transport that every model can wait on its own
 * way and that works between processes. Every read and write of it is a
 * completion wait, so the model makes the call: a blocking read/write for
 * serial, fork and threads; at once and, on EAGAIN, when an ev_io says the
 * pipe is ready for async and hybrid; an io_uring READ/WRITE for uring. An
 * item is stamped when the producer puts it, so its latency includes any
 * wait for room in a full pipe, under every model alike. A pipe holds 64 KiB,
 * so at most 4,096 items of 16 bytes are in flight: the queue is bounded,
 * and a producer that finds it full waits. Writes of 16 bytes are atomic
 * and each read takes exactly one item, so items never tear or interleave.
 * When the last producer is done it puts one end marker per consumer.
 *
 * Every item carries its id and the time it was put; the consumer records
 * the hand-off latency. Delivery is checked exactly: a shared bitmap marks
 * each id taken, a duplicate or a missing item counts as an error. Which
 * consumer took which item depends on timing, so only the producers'
 * side (which ids each put) goes into the checksum.
 *
 * A model that runs fewer tasks at once than there are producers (serial,
 * or -w P or less) cannot run a consumer while a producer waits for room:
 * if the items do not fit in the queue the run is refused (exit 2).
 *
 * The latency of the items above is mostly time spent waiting in a full
 * pipe: producers outrun consumers. The hand-off itself is measured below
 * saturation, in a probe phase: once every item has been taken (the
 * consumer that takes the last one says so on a second pipe, `ack`), the
 * last producer puts QUEUE_PROBES probe items one at a time, each only
 * after a consumer has acknowledged the previous one. So every probe meets
 * an empty queue and consumers already waiting on it, and its latency
 * (put to take, in ns) is the hand-off: waking a waiting consumer and
 * passing it one item, the way the model serves waits. Probes are neither
 * ops nor latency samples; the phase is part of the wall time (probe_ms in
 * the metrics says how much). A model that cannot run a consumer beside
 * the producers (serial) has no probe phase and no handoff figures.
 *
 * Metrics: producers, consumers, items, and with probes handoff_p50_us,
 * handoff_p99_us, handoff_probes, probe_ms and items_per_s (the items over
 * the wall time less the probe phase: the throughput, as ops_per_s would
 * be without probes). */
#include "workload.h"
#include "../lib/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define QUEUE_END UINT64_MAX          /* the end marker's id */
#define QUEUE_PROBE (1ULL << 62)      /* a probe's id: this bit + its number */
#define QUEUE_PROBES 200

struct queue_item {
    uint64_t id;
    int64_t put_ns;
};

struct queue_shared {
    atomic_long producers_done, consumers_done, taken, duplicates;
    uint32_t probe_ns[QUEUE_PROBES];  /* each probe's hand-off */
    long probes;                      /* probes taken */
    int64_t probe_start_ns, probe_end_ns;
    _Atomic uint64_t taken_bits[];   /* one bit per item id */
};

struct queue_params {
    long producers, consumers, items;   /* consumers 0: the rest of -n */
};

/* Filled by setup and teardown. */
struct queue_run {
    long consumers;                 /* --consumers, or the rest of -n */
    int fd[2];                      /* the pipe: read end, write end */
    int ack[2];                     /* consumers -> last producer: "taken" */
    bool probing;                   /* a probe phase follows the items */
    long capacity;                  /* items the pipe holds */
    struct queue_shared *shared;    /* MAP_SHARED, shared_size bytes */
    size_t shared_size;
    /* Taken from the shared block at teardown, for the metrics: */
    long probes;                    /* probes taken */
    double probe_ms;                /* how long the probe phase lasted */
    struct latency_summary handoff; /* the probes' hand-offs, in ns */
};

enum queue_phase { QUEUE_START, QUEUE_ITEMS, QUEUE_DRAIN, QUEUE_PROBING, QUEUE_ENDS, QUEUE_FINISHED };

/* The completion wait a task has in flight (the model performs it). */
enum queue_pending { QUEUE_NONE, QUEUE_PUT, QUEUE_ACK, QUEUE_TAKE };

struct queue_state {
    enum queue_phase phase;
    enum queue_pending pending;
    uint64_t next;                  /* producer: next id to put */
    long ends_left;                 /* producer: end markers still to put */
    long probe;                     /* last producer: probes put */
    bool probe_out;                 /* ... the last one is not acknowledged */
    char ack;                       /* an acknowledgement read */
    struct queue_item item;         /* the item being put or taken */
};

static const struct queue_params queue_defaults = { .producers = 2, .consumers = 0, .items = 10000 };

static const struct opt_spec queue_options[] = {
    { "producers", 0, OPT_INT, offsetof(struct queue_params, producers), 1, 1000000,
      "tasks that put items (default 2)" },
    { "consumers", 0, OPT_INT, offsetof(struct queue_params, consumers), 0, 1000000,
      "tasks that take items (default: -n minus --producers; -n defaults to 7)" },
    { "items", 0, OPT_INT, offsetof(struct queue_params, items), 1, 100000000,
      "items put in all (default 10,000)" },
    OPT_END,
};

static long queue_default_tasks(void)
{
    return 7;
}

/* Any consumer may take any item, so each has room for all of them. */
static uint32_t queue_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    const struct queue_params *p = params;
    return (uint32_t)p->items;
}

static void queue_fail(struct task *t, const char *what, int err)
{
    fprintf(stderr, "cbench: queue: task %d: %s: %s\n", t->id, what, err ? strerror(err) : "unexpected");
    t->errors++;
}

/* ---- producers ------------------------------------------------------------ */

/* Every read and write of the queue is a completion wait: the model makes
 * the call (a blocking one, or at once and again when the pipe is ready,
 * or an io_uring submission) and the task's next step takes the result.
 * One item per wait, so a blocking model checks for cancellation between
 * items. A result of -EAGAIN (a wait cut short) simply waits again. */

/* The wait that puts an item, stamped now. */
static struct wait queue_put(const struct queue_run *r, struct queue_state *s, uint64_t id)
{
    s->item = (struct queue_item){ .id = id, .put_ns = clock_now_ns() };
    s->pending = QUEUE_PUT;
    return wait_write_from(r->fd[1], &s->item, sizeof s->item);
}

/* The wait that takes an acknowledgement. */
static struct wait queue_await_ack(const struct queue_run *r, struct queue_state *s)
{
    s->pending = QUEUE_ACK;
    return wait_read_into(r->ack[0], &s->ack, 1);
}

/* The producer's next phase once its own items are in: the last one to
 * finish puts the end markers. */
static void queue_producer_done(const struct queue_params *p, const struct queue_run *r,
                                struct queue_state *s)
{
    if (atomic_fetch_add(&r->shared->producers_done, 1) + 1 == p->producers) {
        s->phase = r->probing ? QUEUE_DRAIN : QUEUE_ENDS;
        s->ends_left = r->consumers;
    } else {
        s->phase = QUEUE_FINISHED;
    }
}

static void queue_give_ack(struct task *t, const struct queue_run *r)
{
    char byte = 1;   /* a few bytes in a pipe of 64 KiB: never waits */
    while (write(r->ack[1], &byte, 1) < 0)
        if (errno != EINTR) {
            queue_fail(t, "write of acknowledgement", errno);
            return;
        }
}

/* The result of the put or acknowledgement in flight: false (and *w set)
 * when the wait is to be made again or the task fails. */
static bool queue_produced(struct task *t, const struct queue_params *p, const struct queue_run *r,
                           struct queue_state *s, struct wait *w)
{
    enum queue_pending was = s->pending;
    int64_t res = t->io_result;
    s->pending = QUEUE_NONE;
    if (res == -EAGAIN || res == -EINTR) {
        s->pending = was;
        *w = was == QUEUE_PUT ? wait_write_from(r->fd[1], &s->item, sizeof s->item)
                              : wait_read_into(r->ack[0], &s->ack, 1);
        return false;
    }
    if (was == QUEUE_ACK) {
        if (res != 1) {
            queue_fail(t, "read of acknowledgement", res < 0 ? (int)-res : 0);
            *w = wait_done();
            return false;
        }
        if (s->phase == QUEUE_DRAIN) {   /* every item taken: probes begin */
            s->phase = QUEUE_PROBING;
            r->shared->probe_start_ns = clock_now_ns();
        } else {
            s->probe_out = false;
        }
        return true;
    }
    if (res != (int64_t)sizeof s->item) {
        queue_fail(t, "write", res < 0 ? (int)-res : 0);
        *w = wait_done();
        return false;
    }
    if (s->phase == QUEUE_PROBING) {
        s->probe++;
        s->probe_out = true;
    } else if (s->phase == QUEUE_ITEMS) {
        t->checksum = checksum_mix(t->checksum, s->item.id);
        s->next += (uint64_t)p->producers;
    } else {
        s->ends_left--;
    }
    return true;
}

/* Puts its items, then (the last producer) the probes (see the top) and
 * the end markers: each step takes the last result and returns the next
 * wait. */
static struct wait queue_produce(struct task *t, const struct queue_params *p, const struct queue_run *r,
                                 struct queue_state *s)
{
    struct wait w;
    if (s->pending != QUEUE_NONE && !queue_produced(t, p, r, s, &w))
        return w;
    if (s->phase == QUEUE_ITEMS && s->next >= (uint64_t)p->items)
        queue_producer_done(p, r, s);
    if (s->phase == QUEUE_DRAIN)   /* every item taken? */
        return queue_await_ack(r, s);
    if (s->phase == QUEUE_PROBING) {
        if (s->probe_out)   /* the acknowledgement cannot be there yet */
            return wait_poll_first(queue_await_ack(r, s));
        if (s->probe < QUEUE_PROBES)   /* the queue is empty: never full */
            return queue_put(r, s, QUEUE_PROBE | (uint64_t)s->probe);
        r->shared->probe_end_ns = clock_now_ns();
        s->phase = QUEUE_ENDS;
    }
    if (s->phase == QUEUE_ENDS && s->ends_left == 0)
        s->phase = QUEUE_FINISHED;
    if (s->phase == QUEUE_FINISHED)
        return wait_done();
    return queue_put(r, s, s->phase == QUEUE_ITEMS ? s->next : QUEUE_END);
}

/* ---- consumers ------------------------------------------------------------ */

/* The last consumer to see its end marker checks that every id was taken
 * exactly once. */
static void queue_consumer_done(struct task *t, const struct queue_params *p, const struct queue_run *r)
{
    struct queue_shared *sh = r->shared;
    if (atomic_fetch_add(&sh->consumers_done, 1) + 1 < r->consumers)
        return;
    long taken = atomic_load(&sh->taken), dups = atomic_load(&sh->duplicates);
    if (taken != p->items || dups != 0) {
        fprintf(stderr, "cbench: queue: %ld of %ld items delivered, %ld twice\n", taken - dups,
                p->items, dups);
        t->errors++;
    }
}

/* One item taken: mark its id, record how long the hand-off took. The
 * consumer that takes the last item tells the probing producer. */
static void queue_take(struct task *t, const struct queue_params *p, const struct queue_run *r,
                       const struct queue_item *item)
{
    struct queue_shared *sh = r->shared;
    if (item->id & QUEUE_PROBE && item->id != QUEUE_END) {
        uint64_t k = item->id & ~QUEUE_PROBE;
        int64_t ns = clock_now_ns() - item->put_ns;
        if (k < QUEUE_PROBES) {
            sh->probe_ns[k] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
            sh->probes = (long)k + 1;
        }
        queue_give_ack(t, r);
        return;
    }
    uint64_t bit = 1ULL << (item->id % 64);
    if (item->id >= (uint64_t)p->items ||
        (atomic_fetch_or(&sh->taken_bits[item->id / 64], bit) & bit))
        atomic_fetch_add(&sh->duplicates, 1);
    t->op_start_ns = item->put_ns;
    task_op_end(t);
    if (atomic_fetch_add(&sh->taken, 1) + 1 == p->items && r->probing)
        queue_give_ack(t, r);
}

/* Takes the item read (if any) and returns the wait that reads the next. */
static struct wait queue_consume(struct task *t, const struct queue_params *p, const struct queue_run *r,
                                 struct queue_state *s)
{
    if (s->pending == QUEUE_TAKE) {
        int64_t n = t->io_result;
        if (n != -EAGAIN && n != -EINTR) {
            if (n != (int64_t)sizeof s->item) {
                queue_fail(t, n == 0 ? "read: end of queue before the end marker" : "read",
                           n < 0 ? (int)-n : 0);
                return wait_done();
            }
            if (s->item.id == QUEUE_END) {
                t->checksum = checksum_mix((uint64_t)t->id, QUEUE_END);
                queue_consumer_done(t, p, r);
                return wait_done();
            }
            queue_take(t, p, r, &s->item);
        }
    }
    s->pending = QUEUE_TAKE;
    return wait_read_into(r->fd[0], &s->item, sizeof s->item);
}

static struct wait queue_step(struct task *t)
{
    const struct queue_params *p = t->params;
    const struct queue_run *r = t->run;
    struct queue_state *s = t->state;
    bool producer = t->id < p->producers;
    if (s->phase == QUEUE_START) {
        s->phase = QUEUE_ITEMS;
        s->next = (uint64_t)t->id;
        /* Wait before the first read/write too, so that it is cancellable. */
        return producer ? wait_write(r->fd[1]) : wait_read(r->fd[0]);
    }
    return producer ? queue_produce(t, p, r, s) : queue_consume(t, p, r, s);
}

/* ---- setup ------------------------------------------------------------------ */

static int queue_check(const struct queue_params *p, struct queue_run *r, const struct workload_env *env)
{
    r->consumers = p->consumers ? p->consumers : env->tasks - p->producers;
    if (r->consumers < 1 || p->producers + r->consumers != env->tasks) {
        fprintf(stderr, "cbench: queue: -n %ld must be --producers %ld plus --consumers %ld "
                "(and leave at least one consumer)\n", env->tasks, p->producers,
                r->consumers > 0 ? r->consumers : 0);
        return 2;
    }
    /* Less than a page of slack: poll() reports a pipe writable only when a
     * whole page is free. */
    long room = r->capacity - 4096 / (long)sizeof(struct queue_item);
    if (env->concurrency <= p->producers && p->items + r->consumers > room) {
        fprintf(stderr, "cbench: queue needs a concurrent model: %s runs %ld task%s at once, so "
                "%ld producer%s would wait forever for room in the queue (%ld items) before any "
                "consumer runs; use fork, threads, async or hybrid, -w above --producers, or "
                "--items %ld or fewer\n", env->model ? env->model : "this model", env->concurrency,
                env->concurrency == 1 ? "" : "s", p->producers, p->producers == 1 ? "" : "s",
                r->capacity, room - r->consumers);
        return 2;
    }
    return 0;
}

static int queue_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct queue_params *p = params;
    struct queue_run *r = run;
    /* Blocking models block inside read()/write(); but when the run may be
     * cancelled, two tasks woken for one item would leave one blocked in
     * read() where no cancellation reaches it: then EAGAIN returns to the
     * model, whose wait also watches for cancellation. */
    bool nonblocking = env->nonblocking || env->cancellable;
    if (pipe2(r->fd, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) < 0) {
        fprintf(stderr, "cbench: queue: pipe: %s\n", strerror(errno));
        return 1;
    }
    if (pipe2(r->ack, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) < 0) {
        fprintf(stderr, "cbench: queue: pipe: %s\n", strerror(errno));
        close(r->fd[0]);
        close(r->fd[1]);
        return 1;
    }
    /* The probing producer waits for consumers: they must run beside it. */
    r->probing = env->concurrency > p->producers;
    int bytes = fcntl(r->fd[1], F_GETPIPE_SZ);
    r->capacity = (bytes > 0 ? bytes : 65536) / (long)sizeof(struct queue_item);
    r->shared_size = sizeof *r->shared + ((size_t)p->items + 63) / 64 * sizeof(uint64_t);
    int status = queue_check(p, r, env);
    if (status == 0) {
        r->shared = shared_memory(r->shared_size, "queue");
        if (!r->shared)
            status = 1;
    }
    if (status != 0) {
        r->shared = NULL;
        close(r->fd[0]);
        close(r->fd[1]);
        close(r->ack[0]);
        close(r->ack[1]);
    }
    return status;   /* the mapping is zeroed: counters and bits start at 0 */
}

/* The probe figures are summarised here, before the shared block goes:
 * summarising sorts the samples, and the metrics see the run read-only. */
static void queue_teardown(const void *params, void *run)
{
    (void)params;
    struct queue_run *r = run;
    struct queue_shared *sh = r->shared;
    r->probes = sh->probes;
    r->probe_ms = (double)(sh->probe_end_ns - sh->probe_start_ns) / 1e6;
    if (r->probes >= QUEUE_PROBES)   /* else no probe phase, or cut short */
        r->handoff = stats_summarise(sh->probe_ns, QUEUE_PROBES);
    munmap(r->shared, r->shared_size);
    close(r->fd[0]);
    close(r->fd[1]);
    close(r->ack[0]);
    close(r->ack[1]);
}

static void queue_metrics(const void *params, const void *run, const struct workload_run *info,
                          char *buf, size_t size)
{
    const struct queue_params *p = params;
    const struct queue_run *r = run;
    metrics_add(buf, size, "producers", (double)p->producers);
    metrics_add(buf, size, "consumers", (double)r->consumers);
    metrics_add(buf, size, "items", (double)p->items);
    if (r->probes < QUEUE_PROBES)   /* no probe phase, or cut short */
        return;
    metrics_add(buf, size, "handoff_p50_us", r->handoff.p50_us / 1e3);
    metrics_add(buf, size, "handoff_p99_us", r->handoff.p99_us / 1e3);
    metrics_add(buf, size, "handoff_probes", QUEUE_PROBES);
    metrics_add(buf, size, "probe_ms", r->probe_ms);
    double items_s = (double)(info->end_ns - info->start_ns) / 1e9 - r->probe_ms / 1e3;
    metrics_add(buf, size, "items_per_s", items_s > 0 ? (double)p->items / items_s : 0);
}

static void queue_note(const void *params, const void *run, char *buf, size_t size)
{
    const struct queue_params *p = params;
    const struct queue_run *r = run;
    snprintf(buf, size, "%ld producers, %ld consumers, %ld items through a pipe of %ld; "
             "ops = items taken, latency = hand-off", p->producers, r->consumers, p->items,
             r->capacity);
}

const struct workload workload_queue = {
    .name = "queue",
    .summary = "producers put --items into a bounded queue (a pipe), consumers take them",
    .options = queue_options,
    .params_size = sizeof(struct queue_params),
    .params_default = &queue_defaults,
    .run_size = sizeof(struct queue_run),
    .default_tasks = queue_default_tasks,
    .state_size = sizeof(struct queue_state),
    .latency_per_task = queue_latency_per_task,
    .setup = queue_setup,
    .step = queue_step,
    .teardown = queue_teardown,
    .note = queue_note,
    .metrics = queue_metrics,
};
