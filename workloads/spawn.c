/* spawn.c - what a worker costs: tasks that do nothing but start and finish.
 *
 * With one worker per task the run is nothing but the model's own cost:
 * under fork a process per task (fork, _exit, waitpid), under threads a
 * pthread (create, join), under async a task whose one watcher is started
 * and stopped (the first step yields once: a no-op for blocking models).
 * Cost per worker is the time from setup to teardown over the tasks, which
 * is the harness's wall time to within a few microseconds.
 *
 * --hold-ms H: every task waits H ms so that all are alive at once; the
 * last one to arrive counts how many are still alive. Memory per worker is
 * the run's memory by the one method of bench/run.c (mem_kib: cbench's peak
 * RSS, what each fork worker added, page tables, a kernel stack per worker)
 * less cbench's own before the run, over the tasks: kib_per_worker in the
 * metrics. Nothing reads /proc during the hold. A hold that ends early is
 * an error.
 *
 * Metrics: us_per_worker (the run's wall time per task: with --hold-ms it
 * includes the hold), bare_us_per_worker and bare_seq_us_per_worker with
 * --bare, and with --hold-ms kib_per_worker and alive (tasks alive at once).
 *
 * --bare runs bare C loops (spawn_bare.c) in setup, outside the timed run
 * and in a child process, for the model's creation pattern, so the note
 * shows what the model adds.
 */
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>


/* MAP_SHARED, so that fork's children count too. */
struct spawn_shared {
    atomic_long arrived, finished;
    long alive;                   /* tasks alive when the last arrived */
};

struct spawn_params {
    double hold_ms;
    bool bare;
};

/* Filled by setup and teardown, in the process that runs the model. */
struct spawn_run {
    long tasks;
    struct spawn_shared *shared;  /* only with --hold-ms */
    size_t shared_size;
    int64_t start_ns, elapsed_ns;
    double bare_us, bare_seq_us;  /* 0 = not measured */
    long alive;                   /* copied from shared at teardown */
};

struct spawn_state {
    bool arrived;
};

static const struct spawn_params spawn_defaults = { .hold_ms = 0 };

static const struct opt_spec spawn_options[] = {
    { "hold-ms", 0, OPT_DOUBLE, offsetof(struct spawn_params, hold_ms), 0, 3600e3,
      "each task waits this long so all are alive at once; memory is sampled then (default 0)" },
    { "bare", 0, OPT_FLAG, offsetof(struct spawn_params, bare), 0, 0,
      "also time a bare C loop creating as many workers, for comparison" },
    OPT_END,
};

static long spawn_default_tasks(void)
{
    return 1000;
}

static uint32_t spawn_latency_per_task(const void *params, long tasks)
{
    (void)tasks;
    (void)params;
    return 1;
}

/* ---- the task ----------------------------------------------------------- */

/* The last task to arrive counts who is still there: a hold too short (or
 * a model running tasks one at a time) shows as fewer than all. */
static void spawn_arrive(const struct spawn_run *r)
{
    struct spawn_shared *s = r->shared;
    if (atomic_fetch_add(&s->arrived, 1) + 1 == r->tasks)
        s->alive = r->tasks - atomic_load(&s->finished);
}

static struct wait spawn_step(struct task *t)
{
    const struct spawn_params *p = t->params;
    const struct spawn_run *r = t->run;
    struct spawn_state *s = t->state;

    if (!s->arrived) {
        s->arrived = true;
        if (p->hold_ms <= 0)
            return wait_cpu();   /* async: one watcher started and stopped */
        task_op_begin(t);
        spawn_arrive(r);
        return wait_timer(p->hold_ms / 1000.0);
    }
    /* With a hold, latency = the hold as the task experienced it. Without,
     * there is nothing to time: the cost is the model's, around the task. */
    bool kept = true;
    if (r->shared) {
        kept = !wait_ended_early(t->op_start_ns, p->hold_ms / 1000.0);
        t->errors += !kept;
        atomic_fetch_add(&r->shared->finished, 1);
        task_op_end(t);
    } else {
        t->ops++;
    }
    /* the hold asked for, and whether it was kept */
    t->checksum = checksum_mix(checksum_mix((uint64_t)t->id, (uint64_t)(p->hold_ms * 1000.0)), kept);
    return wait_done();
}

/* ---- setup, teardown, note ------------------------------------------------ */

/* The bare loops run in a child process, so that nothing they leave behind
 * helps or hinders the model's run that follows: above all glibc's cache of
 * thread stacks, which would hand the model stacks already paged in (here a
 * page fault costs tens of µs), and the heap the async loop's timers grew.
 * The child sends its figures back through a pipe. */
static int spawn_run_bare(struct spawn_run *r, const struct workload_env *env)
{
    double us[2] = { -1, -1 };
    int fd[2], status;
    if (!env->bare_spawn) {
        fprintf(stderr, "cbench: spawn --bare: model %s has no bare loop to compare with\n", env->model);
        return 2;
    }
    if (pipe2(fd, O_CLOEXEC) < 0) {
        fprintf(stderr, "cbench: spawn --bare: pipe: %s\n", strerror(errno));
        return 1;
    }
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        close(fd[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)   /* the parent died before prctl took effect */
            _exit(1);
        if (env->bare_spawn(r->tasks, us) != 0)
            us[0] = us[1] = -1;
        _exit(write(fd[1], us, sizeof us) == (ssize_t)sizeof us ? 0 : 1);
    }
    close(fd[1]);
    if (pid > 0 && read(fd[0], us, sizeof us) != (ssize_t)sizeof us)
        us[0] = us[1] = -1;
    close(fd[0]);
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (pid < 0)
        fprintf(stderr, "cbench: spawn --bare: fork: %s\n", strerror(errno));
    r->bare_us = us[0];
    r->bare_seq_us = us[1];
    return us[0] < 0 || us[1] < 0 ? 1 : 0;
}

static int spawn_map_shared(struct spawn_run *r)
{
    r->shared_size = sizeof *r->shared;
    r->shared = shared_memory(r->shared_size, "spawn");
    if (!r->shared)
        return 1;
    return 0;
}

static int spawn_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct spawn_params *p = params;
    struct spawn_run *r = run;
    r->tasks = env->tasks;
    if (p->bare && p->hold_ms > 0) {
        fprintf(stderr, "cbench: spawn: --bare times creation alone; use it without --hold-ms\n");
        return 2;
    }
    int status = p->bare ? spawn_run_bare(r, env) : 0;
    if (status == 0 && p->hold_ms > 0)
        status = spawn_map_shared(r);
    r->start_ns = clock_now_ns();   /* last: the model's run starts now */
    return status;
}

static void spawn_teardown(const void *params, void *run)
{
    (void)params;
    struct spawn_run *r = run;
    r->elapsed_ns = clock_now_ns() - r->start_ns;   /* first: the run just ended */
    if (r->shared) {
        r->alive = r->shared->alive;
        munmap(r->shared, r->shared_size);
        r->shared = NULL;
    }
}

/* "worker_us=… bare_us=…" or "alive=N/N": key=value words for people;
 * scripts read the metrics. */
static void spawn_note(const void *params, const void *run, char *buf, size_t size)
{
    const struct spawn_params *p = params;
    const struct spawn_run *r = run;
    double n = (double)r->tasks;
    int len = 0;
    if (p->hold_ms <= 0)
        len = snprintf(buf, size, "worker_us=%.2f", (double)r->elapsed_ns / 1e3 / n);
    if (r->bare_us > 0 && len >= 0 && (size_t)len < size)
        len += snprintf(buf + len, size - (size_t)len, " bare_us=%.2f", r->bare_us);
    if (r->bare_seq_us > 0 && len >= 0 && (size_t)len < size)
        len += snprintf(buf + len, size - (size_t)len, " bare_seq_us=%.2f", r->bare_seq_us);
    if (p->hold_ms > 0)
        snprintf(buf, size, "memory per worker in metrics (kib_per_worker); alive=%ld/%ld%s",
                 r->alive, r->tasks, r->alive < r->tasks ? " (not all alive: memory is not per worker)" : "");
}

static void spawn_metrics(const void *params, const void *run, const struct workload_run *info,
                          char *buf, size_t size)
{
    const struct spawn_params *p = params;
    const struct spawn_run *r = run;
    double n = (double)r->tasks;
    metrics_add(buf, size, "us_per_worker", (double)r->elapsed_ns / 1e3 / n);
    if (r->bare_us > 0)
        metrics_add(buf, size, "bare_us_per_worker", r->bare_us);
    if (r->bare_seq_us > 0)
        metrics_add(buf, size, "bare_seq_us_per_worker", r->bare_seq_us);
    if (p->hold_ms > 0) {
        metrics_add(buf, size, "kib_per_worker", (double)(info->mem_kib - info->mem_base_kib) / n);
        metrics_add(buf, size, "alive", (double)r->alive);
    }
}

const struct workload workload_spawn = {
    .name = "spawn",
    .summary = "tasks that only start and finish: cost (and, with --hold-ms, memory) per worker",
    .options = spawn_options,
    .params_size = sizeof(struct spawn_params),
    .params_default = &spawn_defaults,
    .run_size = sizeof(struct spawn_run),
    .default_tasks = spawn_default_tasks,
    .state_size = sizeof(struct spawn_state),
    .independent_tasks = true,
    .latency_per_task = spawn_latency_per_task,
    .setup = spawn_setup,
    .step = spawn_step,
    .teardown = spawn_teardown,
    .note = spawn_note,
    .metrics = spawn_metrics,
};
