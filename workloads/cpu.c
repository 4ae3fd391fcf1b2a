/* cpu.c - pure CPU work: a deterministic integer kernel per task.
 *
 * Each task iterates xorshift64 folded into an FNV-style hash, seeded by its
 * id, so every task computes something different and the compiler cannot
 * fold the loop away. The work is done in chunks of one million iterations
 * (about 1.7 ms here); between chunks the task returns WAIT_CPU, which lets
 * async interleave tasks and lets the threads model's --gil hand over. */
#include "workload.h"
#include "../lib/cpu_kernel.h"

#include <unistd.h>

#define CPU_CHUNK 1000000L   /* iterations per step */

struct cpu_params {
    long work;   /* millions of iterations per task */
};

struct cpu_state {
    struct cpu_kernel kernel;
    long done;      /* iterations done so far */
    bool started;
};

/* 58 M iterations take about 100 ms on the reference 2-core VM. */
static const struct cpu_params cpu_defaults = { .work = 58 };

static const struct opt_spec cpu_options[] = {
    { "work", 0, OPT_INT, offsetof(struct cpu_params, work), 1, 1000000,
      "millions of kernel iterations per task (default 58, about 100 ms)" },
    OPT_END,
};

static long cpu_default_tasks(void)
{
    return 4 * online_cores();
}

static uint32_t cpu_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    (void)params;
    return 1;
}

static struct wait cpu_step(struct task *t)
{
    const struct cpu_params *p = t->params;
    struct cpu_state *s = t->state;
    long total = p->work * 1000000L;

    /* The first step only says "CPU work follows": a task's first step
     * runs on hybrid's event loop, its CPU steps in hybrid's pool. */
    if (!s->started) {
        s->started = true;
        task_op_begin(t);
        /* seeded by checksum_mix rather than cpu_kernel_seed(): the same
         * checksums as before the kernel moved to cpu_kernel.h */
        s->kernel.x = checksum_mix(0, (uint64_t)t->id) | 1;   /* xorshift needs x != 0 */
        s->kernel.h = FNV1A_OFFSET;
        return wait_cpu();
    }
    long chunk = total - s->done < CPU_CHUNK ? total - s->done : CPU_CHUNK;
    cpu_kernel_run(&s->kernel, chunk);
    s->done += chunk;
    if (s->done < total)
        return wait_cpu();
    task_op_end(t);
    t->checksum = s->kernel.h;
    return wait_done();
}

const struct workload workload_cpu = {
    .name = "cpu",
    .summary = "each task runs an integer kernel (default 4 x cores tasks, ~100 ms each)",
    .options = cpu_options,
    .params_size = sizeof(struct cpu_params),
    .params_default = &cpu_defaults,
    .default_tasks = cpu_default_tasks,
    .state_size = sizeof(struct cpu_state),
    .independent_tasks = true,
    .latency_per_task = cpu_latency_per_task,
    .step = cpu_step,
};
