/* chain.c - each task is a chain of --steps dependent waits ("fetch A, then
 * B that needs A, then C..."), each of a seeded random length between
 * --min-ms and --max-ms. A chain cannot be parallelised inside, so under a
 * concurrent model the run should take as long as the longest chain, not
 * the sum of all chains; serially it takes the sum. Both figures are in the
 * note, computed from the seed before the run.
 *
 * The lengths depend only on (--seed, task id, step), so every model waits
 * the same intervals and the checksum is the same. They are whole
 * milliseconds, like most timeouts. Note that an event loop sleeps in whole
 * milliseconds, rounding up (libev's epoll backend, as libuv and asyncio
 * do), so under async a step ends up to 1 ms late whenever the loop wakes
 * for another task's timer in between: with many tasks, about 0.5 ms per
 * step, 2-5% of a chain here. One latency sample per task: the time its
 * whole chain took. A step that ends before its interval has passed is an
 * error (counted, and left out of the checksum).
 *
 * Metrics: chains; longest_chain_ms, the longest requested chain (from the
 * seed); slowest_chain_ms, the slowest chain as its own task timed it, from
 * its first step to its end; gate_ms, from the start of the model's run
 * until the last task took its first step (creating workers: it is part of
 * the wall time but not of any chain). */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>

struct chain_params {
    long steps, seed, min_ms, max_ms;
};

/* Computed by setup from the seed, for the note and the metrics. */
struct chain_run {
    double longest_ms, sum_ms;
    long longest_task;
};

struct chain_state {
    long step;          /* waits done so far */
    int64_t since_ns;   /* when the current wait began */
    uint64_t ms;        /* ... and how long it was asked to be */
};

static const struct chain_params chain_defaults = {
    .steps = 20, .seed = 1, .min_ms = 1, .max_ms = 20,
};

static const struct opt_spec chain_options[] = {
    { "steps", 0, OPT_INT, offsetof(struct chain_params, steps), 1, 1000000,
      "dependent waits per task (default 20)" },
    { "seed", 0, OPT_INT, offsetof(struct chain_params, seed), 0, 1e15,
      "seed of the wait lengths (default 1)" },
    { "min-ms", 0, OPT_INT, offsetof(struct chain_params, min_ms), 0, 3600e3,
      "shortest wait in whole ms (default 1)" },
    { "max-ms", 0, OPT_INT, offsetof(struct chain_params, max_ms), 0, 3600e3,
      "longest wait in whole ms (default 20)" },
    OPT_END,
};

static long chain_default_tasks(void)
{
    return 10;
}

static uint32_t chain_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    (void)params;
    return 1;
}

/* Wait `step` of task `id`, in ms. */
static uint64_t chain_wait_ms(const struct chain_params *p, long id, long step)
{
    uint64_t r = checksum_mix(checksum_mix((uint64_t)p->seed, (uint64_t)id), (uint64_t)step);
    return (uint64_t)p->min_ms + r % (uint64_t)(p->max_ms - p->min_ms + 1);
}

static struct wait chain_step(struct task *t)
{
    const struct chain_params *p = t->params;
    struct chain_state *s = t->state;
    if (s->step == 0) {
        task_op_begin(t);
    } else if (wait_ended_early(s->since_ns, (double)s->ms / 1e3)) {
        t->errors++;
    } else {
        t->checksum = checksum_mix(t->checksum, s->ms);   /* a wait kept */
    }
    if (s->step == p->steps) {
        task_op_end(t);             /* one sample: the whole chain */
        t->ops += (uint64_t)p->steps - 1;   /* ops counts waits; op_end added one */
        t->figure[0] = (double)(clock_now_ns() - t->op_start_ns) / 1e6;
        return wait_done();
    }
    s->ms = chain_wait_ms(p, t->id, s->step++);
    s->since_ns = clock_now_ns();
    return wait_timer((double)s->ms / 1e3);
}

/* The longest chain is what a concurrent run should take, the sum what a
 * serial run takes. */
static int chain_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct chain_params *p = params;
    struct chain_run *r = run;
    if (p->max_ms < p->min_ms) {
        fprintf(stderr, "cbench: chain: --max-ms %ld is less than --min-ms %ld\n", p->max_ms, p->min_ms);
        return 2;
    }
    for (long id = 0; id < env->tasks; id++) {
        double ms = 0;
        for (long k = 0; k < p->steps; k++)
            ms += (double)chain_wait_ms(p, id, k);
        r->sum_ms += ms;
        if (ms > r->longest_ms) {
            r->longest_ms = ms;
            r->longest_task = id;
        }
    }
    return 0;
}

static void chain_note(const void *params, const void *run, char *buf, size_t size)
{
    (void)params;
    const struct chain_run *r = run;
    snprintf(buf, size, "longest chain %.3f ms (task %ld); all chains in a row %.3f ms",
             r->longest_ms, r->longest_task, r->sum_ms);
}

static void chain_metrics(const void *params, const void *run, const struct workload_run *info,
                          char *buf, size_t size)
{
    (void)params;
    const struct chain_run *r = run;
    double slowest = 0;
    int64_t last_start = info->start_ns;
    for (long i = 0; i < info->tasks; i++) {
        const struct task *t = &info->task[i];
        if (t->figure[0] > slowest)
            slowest = t->figure[0];
        if (t->started && t->first_step_ns > last_start)
            last_start = t->first_step_ns;
    }
    metrics_add(buf, size, "chains", (double)info->tasks);
    metrics_add(buf, size, "longest_chain_ms", r->longest_ms);
    metrics_add(buf, size, "slowest_chain_ms", slowest);
    metrics_add(buf, size, "gate_ms", (double)(last_start - info->start_ns) / 1e6);
}

const struct workload workload_chain = {
    .name = "chain",
    .summary = "each task waits --steps seeded random intervals in a row: time = longest chain",
    .options = chain_options,
    .params_size = sizeof(struct chain_params),
    .params_default = &chain_defaults,
    .run_size = sizeof(struct chain_run),
    .default_tasks = chain_default_tasks,
    .state_size = sizeof(struct chain_state),
    .independent_tasks = true,
    .latency_per_task = chain_latency_per_task,
    .setup = chain_setup,
    .step = chain_step,
    .note = chain_note,
    .metrics = chain_metrics,
};
