/* run.c - the harness around a model: identical for every model, so the
 * only thing that differs between two runs is how the tasks were driven.
 *
 * Timing is CLOCK_MONOTONIC around model->run() alone: creating workers is
 * part of a model's cost, setting up the workload (starting a server) is
 * not. CPU time comes from getrusage, children included.
 *
 * Memory has one method, the same for every model and workload (mem_kib,
 * see run_memory below); maxrss_kib keeps its older meaning (cbench's peak
 * RSS plus what fork's workers added) for scripts that read it. */
#include "run.h"
#include "limits.h"
#include "stop.h"
#include "../lib/fnv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

/* Tasks and latency samples live in MAP_SHARED memory so fork's children
 * can write their results where the parent reads them. */
struct shared_block {
    void *base;
    size_t size;
};

static double timeval_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static bool shared_alloc(struct shared_block *b, size_t size)
{
    b->size = size ? size : 1;
    b->base = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return b->base != MAP_FAILED;
}

/* A model this machine cannot run (io_uring disabled...) fails before any
 * task is set up, saying why and how to enable it. */
static int run_check_available(const struct model *m)
{
    char why[200] = "";
    if (!m->available || m->available(why, sizeof why) == 0)
        return 0;
    fprintf(stderr, "cbench: model %s is not available on this machine: %s\n", m->name, why);
    return 1;
}

/* Descriptors open now (stdio, anything inherited). */
long run_open_fds(void)
{
    long n = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n > 1 ? n - 1 : 3;   /* less the directory's own */
}

/* Descriptors the harness adds while tasks run: the cancel eventfd and
 * fork's start gate, and one a setup keeps open for all its tasks (net
 * --rate's start barrier; others, such as net's probe, are closed by
 * then). */
#define RUN_FDS_RESERVE 4

/* How many descriptors the process holding the most needs at once: the
 * model decides how many tasks one process holds at a time - serial one,
 * fork one per worker process (each has its own table), threads its pool,
 * event loops every task - plus the model's own (loops). Descriptors a
 * workload opens at setup are held by every process, for every task. */
static long run_fd_tasks_held(const struct run *r)
{
    if (r->workload->fds_at_setup)
        return r->tasks;
    return model_tasks_per_process(r);
}

long run_fd_need(const struct run *r, long open_now)
{
    return open_now + RUN_FDS_RESERVE + run_fd_tasks_held(r) * r->workload->fds_per_task +
           r->model_fds;
}

/* What makes the run fit in `limit` descriptors: fewer tasks held at once. */
static void run_fd_suggest(const struct run *r, long need, long limit, char *buf, size_t size)
{
    long held = run_fd_tasks_held(r), per_task = r->workload->fds_per_task;
    long fits = per_task > 0 ? held - (need - limit + per_task - 1) / per_task : held;
    if (fits < 1 || held == 1)
        snprintf(buf, size, "raise ulimit -n");
    else if (held < r->tasks)   /* a pool */
        snprintf(buf, size, "use -w %ld or fewer, or raise ulimit -n", fits);
    else
        snprintf(buf, size, "use -n %ld or fewer, or raise ulimit -n", fits);
}

/* A run needing more descriptors than RLIMIT_NOFILE is refused up front
 * (exit 2), rather than failing half-way with EMFILE. main() has already
 * raised the soft limit to the hard limit. */
static int run_check_fd_limit(const struct run *r)
{
    struct rlimit rl;
    long need = run_fd_need(r, run_open_fds());
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        (rlim_t)need <= rl.rlim_cur)
        return 0;
    char how[100];
    run_fd_suggest(r, need, (long)rl.rlim_cur, how, sizeof how);
    fprintf(stderr, "cbench: %ld tasks under %s need about %ld file descriptors in one process "
            "but the limit is %llu (ulimit -n; the hard limit is %llu): %s\n", r->tasks,
            r->model->name, need, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
            how);
    return 2;
}

void run_init_tasks(struct run *r, uint32_t *latency, uint32_t per_task)
{
    for (long i = 0; i < r->tasks; i++) {
        struct task *t = &r->task[i];
        t->id = (int)i;
        t->nonblocking = r->nonblocking;
        t->params = r->workload_params;
        t->run = r->workload_run;
        t->latency_us = latency ? latency + (size_t)i * per_task : NULL;
        t->latency_cap = latency ? per_task : 0;
    }
}

/* Fold task results in id order, so the checksum does not depend on which
 * model ran the tasks or in which order they finished. It starts from the
 * workload's name, so two workloads never share a checksum. */
static void run_gather(const struct run *r, struct result *out, uint32_t *latency, uint32_t per_task)
{
    uint64_t checksum = fnv1a(FNV1A_OFFSET, r->workload->name, strlen(r->workload->name));
    size_t samples = 0;
    for (long i = 0; i < r->tasks; i++) {
        const struct task *t = &r->task[i];
        checksum = checksum_mix(checksum, t->checksum);
        out->cancelled += !t->finished;
        out->ops += t->ops;
        out->errors += t->errors;
        /* compact the samples to the front of the latency block */
        memmove(latency + samples, latency + (size_t)i * per_task, t->latency_count * sizeof *latency);
        samples += t->latency_count;
    }
    snprintf(out->checksum, sizeof out->checksum, "%016llx", (unsigned long long)checksum);
    out->latency = stats_summarise(latency, samples);
}

/* CPU seconds of cbench and its reaped children between begin and end. */
static double usage_user_s(const struct run_usage *u)
{
    return timeval_s(u->self1.ru_utime) - timeval_s(u->self0.ru_utime) +
           timeval_s(u->kids1.ru_utime) - timeval_s(u->kids0.ru_utime);
}

static double usage_sys_s(const struct run_usage *u)
{
    return timeval_s(u->self1.ru_stime) - timeval_s(u->self0.ru_stime) +
           timeval_s(u->kids1.ru_stime) - timeval_s(u->kids0.ru_stime);
}

static void run_account(struct result *out, const struct run_usage *u, long child_kib)
{
    out->user_s = usage_user_s(u);
    out->sys_s = usage_sys_s(u);
    out->maxrss_kib = u->self1.ru_maxrss + child_kib;
    out->mem_base_kib = u->mem_base_kib;
    out->mem_kib = u->mem_kib;
}

/* Memory, one method for every model and workload (the `mem_kib` column):
 *
 *   mem_kib = the peak RSS of cbench's own process (getrusage: its heap,
 *             the tasks and event-loop watchers, the pages of every thread's
 *             stack that were touched)
 *           + for fork, the memory each worker process added for itself: its
 *             RssAnon just before it exits minus the parent's at fork (pages
 *             still shared with the parent are counted once, in the parent)
 *           + page tables: cbench's largest VmPTE seen (before the run, when
 *             every worker exists, after the run) plus each fork worker's
 *             VmPTE just before it exits
 *           + one kernel stack (RUN_KERNEL_STACK_KIB) per thread or process
 *             the model created (fork and threads workers, hybrid's pool,
 *             async's extra loop threads).
 *
 * Every figure is read once per process from /proc/self/status (counters,
 * no walk over the mappings), by the process itself: no sampler reads
 * other processes' files during the timed run, and every worker of every
 * model pays the same few µs. Not counted, for any model: the HTTP server
 * of net (a separate process, not the model), kernel objects other than
 * stacks and page tables (task_struct, socket buffers: about the same for
 * every model), and file pages shared with other processes (libc).
 * mem_base_kib, cbench's peak RSS + VmPTE just before the run, lets a workload
 * report memory per worker: (mem_kib - mem_base_kib) / workers. */
#define RUN_KERNEL_STACK_KIB 16   /* THREAD_SIZE on x86-64 and arm64 */

static long run_memory(const struct run *r, long self_maxrss_kib)
{
    long pte = r->main_pte_kib > 0 ? r->main_pte_kib : 0;
    return self_maxrss_kib + r->child_memory_kib + r->child_pte_kib + pte +
           r->kernel_tasks * RUN_KERNEL_STACK_KIB;
}

void run_usage_reset_peak(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "5", 1) != 1) { /* an older kernel: the peak stays */ }
        close(fd);
    }
}

void run_usage_begin(struct run *r, struct run_usage *u)
{
    struct mem_self base = mem_read_self();
    r->main_pte_kib = base.pte_kib;
    getrusage(RUSAGE_SELF, &u->self0);
    getrusage(RUSAGE_CHILDREN, &u->kids0);
    u->mem_base_kib = u->self0.ru_maxrss + base.pte_kib;
}

void run_usage_end(struct run *r, struct run_usage *u)
{
    getrusage(RUSAGE_SELF, &u->self1);
    getrusage(RUSAGE_CHILDREN, &u->kids1);
    run_sample_memory(r);
    u->mem_kib = run_memory(r, u->self1.ru_maxrss);
}

double run_usage_cpu_s(const struct run_usage *u)
{
    return usage_user_s(u) + usage_sys_s(u);
}

/* Appends `text` to buf at *len, turning characters that would break the
 * "k=v;k=v" CSV field into '_' (and, in keys, '-' into '_': delay_ms). */
static void params_append(char *buf, size_t size, size_t *len, const char *text, bool key)
{
    for (; *text && *len + 1 < size; text++) {
        char c = *text;
        if (c == ',' || c == '"' || c == ';' || c == '\n' || (key && c == '-'))
            c = '_';
        buf[(*len)++] = c;
    }
    buf[*len] = '\0';
}

void run_format_params(char *buf, size_t size, const struct opt_spec *table, const void *params)
{
    size_t len = strlen(buf);
    for (const struct opt_spec *o = table; o && o->name; o++) {
        const char *field = (const char *)params + o->offset;
        const char *text;
        char value[64];
        switch (o->type) {
        case OPT_INT: snprintf(value, sizeof value, "%ld", *(const long *)field); break;
        case OPT_DOUBLE: snprintf(value, sizeof value, "%g", *(const double *)field); break;
        case OPT_FLAG: snprintf(value, sizeof value, "%d", *(const bool *)field); break;
        case OPT_STRING: value[0] = '\0'; break;
        }
        text = o->type == OPT_STRING ? *(const char *const *)field : value;
        if (len + 1 < size && len > 0)
            buf[len++] = ';';
        params_append(buf, size, &len, o->name, true);
        if (len + 1 < size)
            buf[len++] = '=';
        params_append(buf, size, &len, text ? text : "", false);
    }
}

/* How many tasks the model runs at once: tasks that depend on each other
 * (queue's producers and consumers) must know whether they all can run. */
static long run_concurrency(const struct run *r)
{
    return model_tasks_at_once(r);
}

/* What a process holds that a cancelled run must have given back. */
struct run_resources {
    long fds, threads;
};

static struct run_resources run_resources_now(void)
{
    struct run_resources res = { 0, 0 };
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d));)
        res.fds += e->d_name[0] != '.';
    if (d) {
        closedir(d);
        res.fds--;   /* the directory's own descriptor */
    }
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &res.threads) == 1)
            break;
    if (f)
        fclose(f);
    return res;
}

/* After a cancelled run every worker, descriptor and child must be gone:
 * returns 1 (after saying what remains) if not. */
static int run_check_released(const struct run_resources *before, struct result *out)
{
    /* A joined thread may still be counted for a moment: pthread_join
     * returns when the thread has released its stack, slightly before the
     * kernel removes it. So a count above the start is checked again. */
    struct run_resources after = run_resources_now();
    for (int i = 0; i < 100 && (after.threads > before->threads || after.fds > before->fds); i++) {
        usleep(1000);
        after = run_resources_now();
    }
    long children = 0;
    while (waitpid(-1, NULL, WNOHANG) > 0)   /* zombies nobody reaped */
        children++;
    if (waitpid(-1, NULL, WNOHANG) == 0)     /* still running */
        children++;
    long fds = after.fds - before->fds, threads = after.threads - before->threads;
#ifdef __SANITIZE_THREAD__
    threads -= threads > 0;   /* TSan's own thread, started with the first pthread_create */
#endif
    if (fds <= 0 && threads <= 0 && children == 0)
        return 0;
    fprintf(stderr, "cbench: after cancellation %ld descriptors, %ld threads and %s child "
            "processes remain\n", fds, threads, children ? "some" : "no");
    size_t len = strlen(out->note);
    snprintf(out->note + len, sizeof out->note - len, "%sleaked %ld fds, %ld threads, %ld children",
             len ? "; " : "", fds, threads, children);
    return 1;
}

/* Tasks a model did not start because one had failed (struct
 * run_shared); 0 when none failed or --fail-task cancelled them. */
static long run_not_started(const struct run *r)
{
    long n = 0;
    if (r->cancellable || !atomic_load(&r->shared->task_failed))
        return 0;
    for (long i = 0; i < r->tasks; i++)
        n += !r->task[i].started;
    return n;
}

/* The model's note, what a failure left unstarted, then the workload's. */
static void run_note(const struct run *r, struct result *out)
{
    snprintf(out->note, sizeof out->note, "%s", r->note);
    long not_started = run_not_started(r);
    size_t at = strlen(out->note);
    if (not_started)
        snprintf(out->note + at, sizeof out->note - at, "%s%ld tasks not started after a "
                 "task failed", at ? "; " : "", not_started);
    if (!r->workload->note)
        return;
    char extra[200] = "";
    r->workload->note(r->workload_params, r->workload_run, extra, sizeof extra);
    size_t len = strlen(out->note);
    if (extra[0])
        snprintf(out->note + len, sizeof out->note - len, "%s%s", len ? "; " : "", extra);
}

/* A run that failed after its tasks started (a worker not created or
 * killed, a loop not created) counts at least one error, one for each task
 * it did not finish; and a run with errors has no checksum: output prints
 * it as invalid ("-", null), never as a figure that looks right. */
static void run_invalidate(struct result *out, int status)
{
    if (status != 0 && out->errors == 0)
        out->errors = out->cancelled > 0 ? (uint64_t)out->cancelled : 1;
    else if (status != 0 && out->fail_task < 0)
        out->errors += (uint64_t)out->cancelled;
    if (out->errors > 0)
        out->checksum[0] = '\0';
}

static int run_execute(struct run *r, struct result *out, uint32_t *latency, uint32_t per_task)
{
    const struct workload *w = r->workload;
    struct workload_env env = { .tasks = r->tasks, .nonblocking = r->nonblocking,
                                .model = r->model->name, .concurrency = run_concurrency(r),
                                .bare_spawn = bare_spawn_for(r->model),
                                .cancellable = r->cancellable };
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        env.fd_limit = (long)rl.rlim_cur;
    struct run_resources before = run_resources_now();
    int status = w->setup ? w->setup(r->workload_params, r->workload_run, &env) : 0;
    if (status != 0)
        return status;
    out->ran = true;

    struct run_usage usage;
    run_usage_begin(r, &usage);
    int64_t t0 = clock_now_ns();
    status = r->model->run(r);
    int64_t t1 = clock_now_ns();
    run_usage_end(r, &usage);   /* before teardown reaps a server */

    if (w->teardown)
        w->teardown(r->workload_params, r->workload_run);
    out->wall_s = (double)(t1 - t0) / 1e9;
    run_account(out, &usage, r->child_memory_kib);
    run_gather(r, out, latency, per_task);
    out->ops_per_s = out->wall_s > 0 ? (double)out->ops / out->wall_s : 0;
    out->workers_started = r->workers_started;
    run_note(r, out);
    if (w->metrics) {
        struct workload_run info = {
            .task = r->task, .tasks = r->tasks, .start_ns = t0, .end_ns = t1,
            .p50_us = out->latency.p50_us, .p99_us = out->latency.p99_us,
            .samples = out->latency.count, .mem_kib = out->mem_kib,
            .mem_base_kib = out->mem_base_kib, .syscalls = r->syscalls,
        };
        w->metrics(r->workload_params, r->workload_run, &info, out->metrics, sizeof out->metrics);
    }
    if (run_cancelled(r))
        out->cancel_ms = (double)(t1 - atomic_load(&r->cancel->at_ns)) / 1e6;
    if ((r->cancellable || run_cancelled(r)) && run_check_released(&before, out) != 0
        && status == 0)
        status = 1;
    if (run_stop_signal && status == 0)
        status = 1;   /* stopped: whatever the tasks did, the run is not whole */
    run_invalidate(out, status);
    if (status == 0 && out->errors > 0)
        status = 1;
    return status;
}

/* The cancellation block of a run (see model.h), or NULL. */
struct run_cancel *run_cancel_new(void)
{
    struct run_cancel *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return NULL;
    atomic_init(&c->requested, false);
    atomic_init(&c->at_ns, 0);
    c->fd = eventfd(0, EFD_CLOEXEC);
    if (c->fd < 0) {
        munmap(c, sizeof *c);
        return NULL;
    }
    return c;
}

void run_cancel_free(struct run_cancel *c)
{
    if (!c)
        return;
    close(c->fd);
    munmap(c, sizeof *c);
}

static int run_measure_once(const struct run_request *req, struct result *out);

int run_measure(const struct run_request *req, struct result *out)
{
    int status = run_measure_once(req, out);
    if (status == 1 && !out->ran) {
        /* The reason is on stderr already. Every task failed to run, and the
         * row says so, so that a results file never shows "0 errors" for it. */
        out->errors = (uint64_t)out->tasks;
        size_t len = strlen(out->note);
        snprintf(out->note + len, sizeof out->note - len, "%snot run", len ? "; " : "");
    }
    return status;
}

static int run_measure_once(const struct run_request *req, struct result *out)
{
    struct run r = {
        .model = req->model,
        .workload = req->workload,
        .workload_params = req->workload_params,
        .model_params = req->model_params,
        .tasks = req->tasks,
        .workers = req->workers,
        .nonblocking = req->model->traits.nonblocking,
        .fail_task = req->fail ? req->fail_task : -1,
        .cancellable = req->fail,
    };
    memset(out, 0, sizeof *out);
    out->fail_task = req->fail ? req->fail_task : -1;
    out->model = req->model->name;
    out->workload = req->workload->name;
    out->tasks = req->tasks;
    out->workers = req->workers;
    run_format_params(out->params, sizeof out->params, req->workload->options, req->workload_params);
    run_format_params(out->params, sizeof out->params, req->model->options, req->model_params);

    int status = run_check_available(req->model);
    if (status == 0 && req->model->check)
        status = req->model->check(&r);
    if (status == 0)
        status = run_check_workers(&r);
    if (status == 0)
        status = run_check_fd_limit(&r);
    if (status != 0)
        return status;

    uint32_t per_task = req->workload->latency_per_task ?
                        req->workload->latency_per_task(req->workload_params, r.tasks) : 0;
    struct shared_block tasks, latency, run_shared;
    if (!shared_alloc(&run_shared, sizeof *r.shared)) {
        fprintf(stderr, "cbench: out of memory: cannot map the run's shared state: %s\n", strerror(errno));
        return 1;
    }
    if (!shared_alloc(&tasks, (size_t)r.tasks * sizeof *r.task)) {
        fprintf(stderr, "cbench: out of memory: cannot map %ld tasks: %s\n", r.tasks, strerror(errno));
        munmap(run_shared.base, run_shared.size);
        return 1;
    }
    if (!shared_alloc(&latency, (size_t)r.tasks * per_task * sizeof(uint32_t))) {
        fprintf(stderr, "cbench: out of memory: cannot map the latency buffer of %ld tasks: %s\n", r.tasks, strerror(errno));
        munmap(tasks.base, tasks.size);
        munmap(run_shared.base, run_shared.size);
        return 1;
    }
    r.task = tasks.base;
    r.shared = run_shared.base;
    r.states = calloc((size_t)r.tasks, req->workload->state_size ? req->workload->state_size : 1);
    /* The workload's per-run state (workload.h): zeroed for setup, freed
     * below on every path. */
    r.workload_run = req->workload->run_size ? calloc(1, req->workload->run_size) : NULL;
    if (!(r.cancel = run_cancel_new())) {
        fprintf(stderr, "cbench: cannot set up cancellation: %s\n", strerror(errno));
        status = 1;
    } else if (!r.states) {
        fprintf(stderr, "cbench: out of memory for %ld task states\n", r.tasks);
        status = 1;
    } else if (req->workload->run_size && !r.workload_run) {
        fprintf(stderr, "cbench: out of memory for the state of a %s run\n", req->workload->name);
        status = 1;
    } else {
        run_init_tasks(&r, latency.base, per_task);
        struct run_stop_saved saved;
        run_stop_catch(&r, &saved);
        status = run_execute(&r, out, latency.base, per_task);
        run_stop_release(&saved);
        if (run_stop_signal) {
            const char *name = run_stop_name(run_stop_signal);
            fprintf(stderr, "cbench: stopped by %s\n", name);
            size_t len = strlen(out->note);
            snprintf(out->note + len, sizeof out->note - len, "%sstopped by %s", len ? "; " : "", name);
            status = 1;
        }
    }
    run_cancel_free(r.cancel);
    free(r.workload_run);
    free(r.states);
    munmap(latency.base, latency.size);
    munmap(tasks.base, tasks.size);
    munmap(run_shared.base, run_shared.size);
    return status;
}
