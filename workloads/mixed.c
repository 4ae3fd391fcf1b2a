/* mixed.c - I/O tasks beside CPU tasks: does CPU work delay the I/O?
 *
 * Of the -n tasks, the last --cpu-tasks compute and the others do I/O. An
 * I/O task makes --requests waits of --io-ms each (a timer stands for a
 * reply from a backend) and records each wait's lateness: how much later
 * than requested it was resumed. A CPU task runs the cpu kernel in chunks
 * of --chunk-ms, returning WAIT_CPU between chunks, for as long as any I/O
 * task is still running: it is background load for the whole I/O phase.
 *
 * Under one event loop a chunk runs inline and every timer that expires
 * meanwhile waits for it, so the I/O tail grows with the chunk size; a
 * model that runs CPU steps elsewhere (threads, hybrid's pool) keeps it
 * near the pure-I/O figure (--cpu-tasks 0).
 *
 * Only I/O tasks record latency and count ops. How many chunks the CPU
 * tasks got through depends on timing, so it is in the note, not in the
 * checksum; each I/O wait kept is (a wait that ends before --io-ms is an
 * error, and left out). I/O tasks come first in id order so that a model running tasks
 * one at a time (serial) finishes the I/O before any CPU task starts, and
 * each CPU task then stops after one chunk. */
#include "workload.h"
#include "../lib/cpu_kernel.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct mixed_shared {
    atomic_long io_live;      /* I/O tasks not finished yet */
    atomic_long chunks;       /* CPU chunks done, for the note */
};

struct mixed_params {
    long cpu_tasks, requests;      /* cpu_tasks -1: the default, see setup */
    double io_ms, chunk_ms;
};

/* Filled by setup and teardown. */
struct mixed_run {
    long cpu_tasks, io_tasks;      /* how the -n tasks divide */
    struct mixed_shared *shared;   /* MAP_SHARED: fork's children count too */
    long chunks_done;              /* copied from shared at teardown */
};

struct mixed_state {
    long done;                     /* I/O waits done */
    bool started;
    struct cpu_kernel kernel;
};

static const struct mixed_params mixed_defaults = {
    .cpu_tasks = -1, .requests = 100, .io_ms = 1, .chunk_ms = 10,
};

static const struct opt_spec mixed_options[] = {
    { "cpu-tasks", 0, OPT_INT, offsetof(struct mixed_params, cpu_tasks), 0, 1000000,
      "tasks that compute; the others do I/O (default: cores, at most -n minus 1)" },
    { "requests", 0, OPT_INT, offsetof(struct mixed_params, requests), 1, 1000000,
      "waits per I/O task (default 100)" },
    { "io-ms", 0, OPT_DOUBLE, offsetof(struct mixed_params, io_ms), 0, 60e3,
      "length of one I/O wait in ms (default 1)" },
    { "chunk-ms", 0, OPT_DOUBLE, offsetof(struct mixed_params, chunk_ms), 0.001, 10e3,
      "CPU work between two waits of a CPU task, ms (default 10; fixed iterations)" },
    OPT_END,
};

static long mixed_cores(void)
{
    return online_cores();
}

static long mixed_default_tasks(void)
{
    return mixed_cores() + 10;
}

static uint32_t mixed_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    const struct mixed_params *p = params;
    return (uint32_t)p->requests;
}

/* One wait is over: record how late it ended, in µs (0 if on time); one
 * that ended early is an error. */
static void mixed_record_lateness(struct task *t, double io_ms)
{
    if (wait_ended_early(t->op_start_ns, io_ms / 1000))
        t->errors++;
    else
        t->checksum = checksum_mix(t->checksum, (uint64_t)(io_ms * 1000));
    int64_t late_us = (clock_now_ns() - t->op_start_ns) / 1000 - (int64_t)(io_ms * 1000);
    if (late_us < 0)
        late_us = 0;
    if (t->latency_count < t->latency_cap)
        t->latency_us[t->latency_count++] = late_us > UINT32_MAX ? UINT32_MAX : (uint32_t)late_us;
    t->ops++;
}

static struct wait mixed_io_step(struct task *t, const struct mixed_params *p, const struct mixed_run *r,
                                 struct mixed_state *s)
{
    if (s->started) {
        mixed_record_lateness(t, p->io_ms);
        s->done++;
    }
    s->started = true;
    if (s->done == p->requests) {
        t->checksum = checksum_mix(checksum_mix(t->checksum, (uint64_t)t->id), (uint64_t)s->done);
        atomic_fetch_sub(&r->shared->io_live, 1);
        return wait_done();
    }
    task_op_begin(t);
    return wait_timer(p->io_ms / 1000);
}

/* The first step only announces CPU work, so that a hybrid model runs
 * every chunk in its pool and none on its event loop. */
static struct wait mixed_cpu_step(struct task *t, const struct mixed_params *p, const struct mixed_run *r,
                                  struct mixed_state *s)
{
    if (!s->started) {
        s->started = true;
        cpu_kernel_seed(&s->kernel, (uint64_t)t->id);
        return wait_cpu();
    }
    cpu_kernel_run(&s->kernel, cpu_kernel_iters(p->chunk_ms));
    atomic_fetch_add(&r->shared->chunks, 1);
    if (atomic_load(&r->shared->io_live) > 0)
        return wait_cpu();
    t->checksum = checksum_mix((uint64_t)t->id, 0xc0);
    return wait_done();
}

static struct wait mixed_step(struct task *t)
{
    const struct mixed_params *p = t->params;
    const struct mixed_run *r = t->run;
    if (t->id < r->io_tasks)
        return mixed_io_step(t, p, r, t->state);
    return mixed_cpu_step(t, p, r, t->state);
}

static int mixed_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct mixed_params *p = params;
    struct mixed_run *r = run;
    r->cpu_tasks = p->cpu_tasks;
    if (r->cpu_tasks < 0)
        r->cpu_tasks = mixed_cores() < env->tasks - 1 ? mixed_cores() : env->tasks - 1;
    if (r->cpu_tasks >= env->tasks) {
        fprintf(stderr, "cbench: mixed: --cpu-tasks %ld leaves no I/O task among the %ld tasks "
                "(-n counts both)\n", r->cpu_tasks, env->tasks);
        return 2;
    }
    r->io_tasks = env->tasks - r->cpu_tasks;
    r->shared = shared_memory(sizeof *r->shared, "mixed");
    if (!r->shared)
        return 1;
    atomic_init(&r->shared->io_live, r->io_tasks);
    atomic_init(&r->shared->chunks, 0);
    return 0;
}

static void mixed_teardown(const void *params, void *run)
{
    (void)params;
    struct mixed_run *r = run;
    r->chunks_done = atomic_load(&r->shared->chunks);
    munmap(r->shared, sizeof *r->shared);
    r->shared = NULL;
}

static void mixed_note(const void *params, const void *run, char *buf, size_t size)
{
    const struct mixed_params *p = params;
    const struct mixed_run *r = run;
    snprintf(buf, size, "latency = lateness of %ld I/O tasks' %g ms waits; %ld CPU tasks did "
             "%ld chunks of %g ms", r->io_tasks, p->io_ms, r->cpu_tasks, r->chunks_done, p->chunk_ms);
}

/* io_p99_late_us: p99 of the I/O waits' lateness (the latency samples are
 * only theirs); cpu_tasks: how many tasks loaded the CPU meanwhile. */
static void mixed_metrics(const void *params, const void *run, const struct workload_run *info,
                          char *buf, size_t size)
{
    (void)params;
    const struct mixed_run *r = run;
    metrics_add(buf, size, "io_p99_late_us", info->p99_us);
    metrics_add(buf, size, "cpu_tasks", (double)r->cpu_tasks);
}

const struct workload workload_mixed = {
    .name = "mixed",
    .summary = "I/O tasks (timed waits) beside CPU tasks (chunks): the I/O tail under CPU load",
    .options = mixed_options,
    .params_size = sizeof(struct mixed_params),
    .params_default = &mixed_defaults,
    .run_size = sizeof(struct mixed_run),
    .default_tasks = mixed_default_tasks,
    .state_size = sizeof(struct mixed_state),
    .latency_per_task = mixed_latency_per_task,
    .setup = mixed_setup,
    .step = mixed_step,
    .teardown = mixed_teardown,
    .note = mixed_note,
    .metrics = mixed_metrics,
};
