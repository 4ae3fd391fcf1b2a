/* spawn.c - what a worker costs: tasks that do nothing but start and finish.
 *
 * With one worker per task the run is nothing but the model's own cost:
 * under fork a process per task (fork, _exit, waitpid), under threads a
 * pthread (create, join), under async a task whose one watcher is started
 * and stopped (the first step yields once: a no-op for blocking models).
 * Cost per worker is the time from setup to teardown over the tasks, which
 * is the harness's wall time to within a few microseconds.
 *
 * --hold-ms H: every task waits H ms so that all are alive at once, and the
 * last one to arrive samples memory. It sums Pss (/proc/PID/smaps_rollup)
 * over the family - this process and every distinct process running a task
 * - and subtracts this process's Pss at setup. Pss divides a shared page
 * among the processes mapping it, so fork's children are not charged N times
 * for the pages they still share with the parent, and a thread's stack is
 * charged once. What the kernel keeps per worker (kernel stack, page tables,
 * unreclaimable slab: task_struct, mm) is not in Pss; it is read from
 * /proc/meminfo, which is system-wide, so that figure is approximate.
 *
 * --bare runs bare C loops (spawn_bare.c) in setup, outside the timed run
 * and in a child process, for the model's creation pattern, so the note
 * shows what the model adds.
 */
#include "workload.h"
#include "spawn_bare.h"

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

#define SPAWN_BARE_STACK (64 * 1024)   /* the threads model's default --stack-kib */

/* Memory figures in KiB. */
struct spawn_memory {
    long base_pss, base_kernel;   /* at setup */
    long pss, kernel;             /* when the last task arrived */
    long alive;                   /* tasks alive then; 0 = no sample */
};

/* MAP_SHARED, so that a fork child can sample and the parent read it. */
struct spawn_shared {
    atomic_long arrived, finished;
    struct spawn_memory memory;
    pid_t setup_pid;
    pid_t pid[];                  /* the process that ran task i */
};

struct spawn_params {
    double hold_ms;
    bool bare;
    /* Filled by setup and teardown, in the process that runs the model: */
    long tasks;
    struct spawn_shared *shared;  /* only with --hold-ms */
    size_t shared_size;
    int64_t start_ns, elapsed_ns;
    double bare_us, bare_seq_us;  /* 0 = not measured */
    struct spawn_memory memory;   /* copied from shared at teardown */
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

static uint32_t spawn_latency_per_task(const void *params)
{
    (void)params;
    return 1;
}

/* ---- memory ------------------------------------------------------------- */

/* The Pss line of /proc/PID/smaps_rollup in KiB, or -1. */
static long spawn_pss_kib(pid_t pid)
{
    char path[64], line[128];
    long kib = -1;
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (kib < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "Pss: %ld kB", &kib) != 1)
            kib = -1;
    fclose(f);
    return kib;
}

/* Kernel memory that grows with workers, system-wide, in KiB. */
static long spawn_kernel_kib(void)
{
    static const char *const fields[] = { "KernelStack:", "PageTables:", "SUnreclaim:" };
    char line[128];
    long total = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            size_t len = strlen(fields[i]);
            long kib;
            if (strncmp(line, fields[i], len) == 0 && sscanf(line + len, "%ld", &kib) == 1)
                total += kib;
        }
    }
    fclose(f);
    return total;
}

static int spawn_compare_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* Pss summed over this process and every distinct process running a task
 * (threads and async: just this one; fork with -w: fewer than tasks). A
 * process already gone counts 0: `alive` will say the hold was too short. */
static long spawn_family_pss_kib(const struct spawn_shared *s, long tasks)
{
    pid_t *pids = malloc((size_t)(tasks + 1) * sizeof *pids);
    if (!pids)
        return -1;
    memcpy(pids, s->pid, (size_t)tasks * sizeof *pids);
    pids[tasks] = s->setup_pid;
    qsort(pids, (size_t)tasks + 1, sizeof *pids, spawn_compare_pid);
    long total = 0;
    for (long i = 0; i <= tasks; i++) {
        if (i > 0 && pids[i] == pids[i - 1])
            continue;
        long kib = spawn_pss_kib(pids[i]);
        total += kib > 0 ? kib : 0;
    }
    free(pids);
    return total;
}

/* Called by the last task to arrive; `alive` is read after sampling, so a
 * task that finished meanwhile (a hold too short) shows as not alive. */
static void spawn_sample(struct spawn_shared *s, long tasks)
{
    s->memory.pss = spawn_family_pss_kib(s, tasks);
    s->memory.kernel = spawn_kernel_kib();
    s->memory.alive = tasks - atomic_load(&s->finished);
}

/* ---- the task ----------------------------------------------------------- */

static void spawn_arrive(const struct spawn_params *p, const struct task *t)
{
    struct spawn_shared *s = p->shared;
    s->pid[t->id] = getpid();
    if (atomic_fetch_add(&s->arrived, 1) + 1 == p->tasks)
        spawn_sample(s, p->tasks);
}

static struct wait spawn_step(struct task *t)
{
    const struct spawn_params *p = t->params;
    struct spawn_state *s = t->state;

    if (!s->arrived) {
        s->arrived = true;
        if (p->hold_ms <= 0)
            return wait_cpu();   /* async: one watcher started and stopped */
        task_op_begin(t);
        spawn_arrive(p, t);
        return wait_timer(p->hold_ms / 1000.0);
    }
    /* With a hold, latency = the hold as the task experienced it. Without,
     * there is nothing to time: the cost is the model's, around the task. */
    if (p->shared) {
        atomic_fetch_add(&p->shared->finished, 1);
        task_op_end(t);
    } else {
        t->ops++;
    }
    t->checksum = checksum_mix((uint64_t)t->id, (uint64_t)(p->hold_ms * 1000.0));
    return wait_done();
}

/* ---- setup, teardown, note ------------------------------------------------ */

/* Which bare loops mirror `model`; false if it has none. */
static bool spawn_bare_loops(const char *model, long n, double us[2])
{
    us[0] = us[1] = 0;
    if (strcmp(model, "fork") == 0) {
        us[0] = spawn_bare_fork_alive(n);
        us[1] = spawn_bare_fork_seq(n);
    } else if (strcmp(model, "threads") == 0) {
        us[0] = spawn_bare_threads_alive(n, SPAWN_BARE_STACK);
        us[1] = spawn_bare_threads_seq(n, SPAWN_BARE_STACK);
    } else if (strcmp(model, "async") == 0) {
        us[0] = spawn_bare_async(n);
    } else {
        return false;
    }
    return true;
}

/* The bare loops run in a child process, so that nothing they leave behind
 * helps or hinders the model's run that follows: above all glibc's cache of
 * thread stacks, which would hand the model stacks already paged in (here a
 * page fault costs tens of µs), and the heap the async loop's timers grew.
 * The child sends its figures back through a pipe. */
static int spawn_run_bare(struct spawn_params *p, const char *model)
{
    double us[2] = { -1, -1 };
    int fd[2], status;
    if (!model || (strcmp(model, "fork") && strcmp(model, "threads") && strcmp(model, "async"))) {
        fprintf(stderr, "cbench: spawn --bare: no bare loop for model %s (fork, threads and async have one)\n",
                model ? model : "?");
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
        spawn_bare_loops(model, p->tasks, us);
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
    p->bare_us = us[0];
    p->bare_seq_us = us[1];
    return us[0] < 0 || us[1] < 0 ? 1 : 0;
}

static int spawn_map_shared(struct spawn_params *p)
{
    p->shared_size = sizeof *p->shared + (size_t)p->tasks * sizeof p->shared->pid[0];
    p->shared = mmap(NULL, p->shared_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p->shared == MAP_FAILED) {
        p->shared = NULL;
        fprintf(stderr, "cbench: spawn: cannot map %zu bytes for %ld tasks\n", p->shared_size, p->tasks);
        return 1;
    }
    p->shared->setup_pid = getpid();
    p->shared->memory.base_pss = spawn_pss_kib(getpid());
    p->shared->memory.base_kernel = spawn_kernel_kib();
    return 0;
}

static int spawn_setup(void *params, const struct workload_env *env)
{
    struct spawn_params *p = params;
    p->tasks = env->tasks;
    if (p->bare && p->hold_ms > 0) {
        fprintf(stderr, "cbench: spawn: --bare times creation alone; use it without --hold-ms\n");
        return 2;
    }
    int status = p->bare ? spawn_run_bare(p, env->model) : 0;
    if (status == 0 && p->hold_ms > 0)
        status = spawn_map_shared(p);
    p->start_ns = clock_now_ns();   /* last: the model's run starts now */
    return status;
}

static void spawn_teardown(void *params)
{
    struct spawn_params *p = params;
    p->elapsed_ns = clock_now_ns() - p->start_ns;   /* first: the run just ended */
    if (p->shared) {
        p->memory = p->shared->memory;
        munmap(p->shared, p->shared_size);
        p->shared = NULL;
    }
}

/* "worker_us=… bare_us=…" or "worker_kib=… kernel_kib=… alive=N/N": the
 * per-worker figures, as key=value words that scripts can pick out. */
static void spawn_note(const void *params, char *buf, size_t size)
{
    const struct spawn_params *p = params;
    double n = (double)p->tasks;
    int len = 0;
    if (p->hold_ms <= 0)
        len = snprintf(buf, size, "worker_us=%.2f", (double)p->elapsed_ns / 1e3 / n);
    if (p->bare_us > 0 && len >= 0 && (size_t)len < size)
        len += snprintf(buf + len, size - (size_t)len, " bare_us=%.2f", p->bare_us);
    if (p->bare_seq_us > 0 && len >= 0 && (size_t)len < size)
        len += snprintf(buf + len, size - (size_t)len, " bare_seq_us=%.2f", p->bare_seq_us);
    if (p->hold_ms > 0 && p->memory.base_pss < 0) {   /* Linux before 4.14 */
        snprintf(buf, size, "worker_kib=unknown (cannot read /proc/PID/smaps_rollup)");
    } else if (p->hold_ms > 0 && p->memory.alive == 0) {
        snprintf(buf, size, "worker_kib=unknown alive=0/%ld (not every task started)", p->tasks);
    } else if (p->hold_ms > 0) {
        const struct spawn_memory *m = &p->memory;
        snprintf(buf, size, "worker_kib=%.2f kernel_kib=%.2f alive=%ld/%ld%s",
                 (double)(m->pss - m->base_pss) / n, (double)(m->kernel - m->base_kernel) / n,
                 m->alive, p->tasks, m->alive < p->tasks ? " (not all alive: memory is not per worker)" : "");
    }
}

const struct workload workload_spawn = {
    .name = "spawn",
    .summary = "tasks that only start and finish: cost (and, with --hold-ms, memory) per worker",
    .options = spawn_options,
    .params_size = sizeof(struct spawn_params),
    .params_default = &spawn_defaults,
    .default_tasks = spawn_default_tasks,
    .state_size = sizeof(struct spawn_state),
    .latency_per_task = spawn_latency_per_task,
    .setup = spawn_setup,
    .step = spawn_step,
    .teardown = spawn_teardown,
    .note = spawn_note,
};
