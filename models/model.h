/* model.h - a concurrency model is a driver for a workload's tasks.
 *
 * A model's run() executes every task of `r` to completion (or to failure),
 * serving each task's waits its own way. Timing, resource accounting and
 * output are done by the harness around run(), identically for all models.
 */
#ifndef CBENCH_MODEL_H
#define CBENCH_MODEL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "../lib/options.h"
#include "../workloads/workload.h"

struct model;

/* Cancellation: when one task fails (--fail-task), or SIGTERM / SIGINT
 * stops `cbench run` or `cbench serve`, the run stops every task. Lives in
 * MAP_SHARED memory so fork's children see it; `fd` is an eventfd that
 * becomes (and stays) readable once cancellation is requested, so an event
 * loop, or a blocked wait that polls it (struct run's cancellable), wakes
 * at once. */
struct run_cancel {
    atomic_bool requested;
    atomic_llong at_ns;        /* clock_now_ns() when the task failed */
    int fd;
};

/* Once one task has failed the run is invalid (exit 1, no checksum), so
 * the models start no task after that when the workload's tasks are
 * independent: against a server that never answers, serial or a pool
 * waits about one deadline, not one per task. The tasks already running
 * finish (each within its own deadline). MAP_SHARED, so that fork's
 * workers see it. */
struct run_shared {
    atomic_bool task_failed;
    /* Tasks created at run time (WAIT_SPAWN): how many live now, at most
     * spawn_limit (the model's connection limit, set before run()). */
    atomic_long spawned_live;
    atomic_long spawned_total;
    atomic_long turned_away;   /* WAIT_SPAWNs answered -EAGAIN */
    long spawn_limit;
};

struct run {
    const struct model *model;
    const struct workload *workload;
    const void *workload_params;
    void *workload_run;        /* the workload's per-run state (run_size
                                  bytes, zeroed), or NULL: see workload.h */
    const void *model_params;
    long tasks;                /* how many tasks */
    long workers;              /* pool size for fork/threads; 0 = one per task */
    struct task *task;         /* tasks[0..tasks-1], MAP_SHARED */
    char *states;              /* tasks * workload->state_size bytes, zeroed */
    bool nonblocking;          /* tasks get O_NONBLOCK fds; check() may change it */
    long fail_task;            /* --fail-task: this task fails at once (or -1) */
    struct run_cancel *cancel; /* always there for cbench run and serve */
    bool cancellable;          /* a task may cancel the run at any time
                                  (--fail-task; serve): blocking waits poll
                                  cancel->fd, one syscall more per wait.
                                  Otherwise only a stop signal cancels, and
                                  interrupts them (run_stop_signal) */
    struct run_shared *shared; /* MAP_SHARED, zeroed: see struct run_shared */
    long model_fds;            /* descriptors the model itself holds (event
                                  loops), set by check() for the fd check */
    long model_workers;        /* threads (processes when the model's
                                  worker_processes) run() will create, set
                                  by check() for the worker check (limits.c) */

    /* Filled by the model. */
    long workers_started;      /* processes/threads actually created */
    long child_memory_kib;     /* fork: private memory of all workers, added
                                  to the parent's peak RSS */
    long child_pte_kib;        /* fork: page tables of all workers */
    long kernel_tasks;         /* threads and processes the model created,
                                  each pinning a kernel stack */
    long main_pte_kib;         /* the largest page tables of this process
                                  seen (run_sample_memory) */
    unsigned long long syscalls; /* the model's own waiting syscalls
                                  (epoll_wait, io_uring_enter), summed over
                                  its loops; the tasks' I/O is counted in
                                  task->syscalls */
    char note[160];            /* backend used, failure reason... for output */

    /* How a blocking model (common.c's task_run_blocking) serves WAIT_SPAWN:
     * set by a model whose traits.spawns, and its context. The result is
     * the parent's io_result (0, -EAGAIN at the limit, -errno). */
    int64_t (*spawn)(struct run *r, struct task *parent, int fd);
    void *spawn_ctx;
};

/* A task created at run time (WAIT_SPAWN), with its state after it. The
 * model that runs it frees it with spawned_free once it has finished. */
struct spawned {
    struct run *run;
    void *ctx;                 /* the model's */
    struct task task;
};
/* Admit one more task created at run time, or false at the limit (counted
 * in turned_away); a task admitted is released by spawned_free, or by
 * run_spawn_release when it could not be created. */
bool run_spawn_admit(struct run *r);
void run_spawn_release(struct run *r);
/* A new task of the run's workload owning `fd`, its state zeroed, ready
 * for task_step; NULL when out of memory. */
struct spawned *spawned_new(struct run *r, int fd, void *ctx);
void spawned_free(struct spawned *sp);   /* also run_spawn_release */

/* How many of a run's tasks a model runs at once. */
enum model_runs {
    RUNS_ONE,     /* one after another (serial) */
    RUNS_POOL,    /* one per worker: -w W, or one worker per task */
    RUNS_ALL,     /* every task at once, in event loops */
};

/* What a model is, declared with it (its registry entry), so that the
 * harness, the limits check, `cbench list` and the scripts ask the trait,
 * never the model's name, and a new model is one file and one line. */
struct model_traits {
    enum model_runs runs;
    bool nonblocking;          /* tasks get O_NONBLOCK fds (event loops) */
    bool uses_workers;         /* -w/--workers is meaningful */
    bool worker_processes;     /* workers are processes, each with its own
                                  descriptor table (fork) */
    bool parallel_cpu;         /* CPU steps of different tasks run on
                                  different cores at once (fork, threads,
                                  hybrid's pool; not one loop) */
    bool spawns;               /* runs tasks created while it runs
                                  (WAIT_SPAWN: cbench serve's connections) */
};

struct model {
    const char *name;
    const char *summary;
    const struct opt_spec *options;
    size_t params_size;
    const void *params_default;
    struct model_traits traits;
    /* Can this machine run the model at all (io_uring may be disabled)?
     * 0, or -errno after writing why into `why`. May be NULL: always. */
    int (*available)(char *why, size_t size);
    /* Validate params against the run (e.g. select's FD_SETSIZE) before any
     * task is set up. Returns 0, or 2 after printing why. May be NULL. */
    int (*check)(struct run *r);
    /* Run all tasks. Returns 0, or 1 when the model itself failed (could
     * not create a worker...) after printing why. Task errors are counted
     * in the tasks, not returned. */
    int (*run)(struct run *r);
};

extern const struct model *const models[];
const struct model *model_find(const char *name);

/* spawn --bare: the same workers as model `m` creates, in a bare C loop
 * (bare_spawn.c: a table beside the registry, not a part of the model), or
 * NULL when the model has none. Each fills us[0] (all alive) and us[1] (one
 * at a time), µs per worker, and returns 0 or -1. */
typedef int (*bare_spawn_fn)(long n, double us[2]);
bare_spawn_fn bare_spawn_for(const struct model *m);
int uring_bare_spawn(long n, double us[2]);   /* uring.c: it needs the ring's set-up */

/* How many tasks of the run the model runs at once (its traits.runs), and
 * how many of them the busiest process holds (fork: one per process). */
long model_tasks_at_once(const struct run *r);
long model_tasks_per_process(const struct run *r);

/* Shared by models: set up and run one task with blocking waits. */
void task_attach(struct run *r, long i);             /* wire task i's state */
void task_run_blocking(struct run *r, struct task *t); /* until WAIT_DONE */
void task_finish(struct run *r, struct task *t);     /* workload cleanup */
/* poll a wait, cancellably, up to the task's deadline */
void task_wait_poll(struct run *r, const struct task *t, struct wait w);
long run_pool_size(const struct run *r);
/* --loops L: run each loop (an array of L `size`-byte items) in its own
 * thread, or loop 0 in this one when L is 1; 0, or 1 after saying why. */
int run_loop_threads(void *loops, size_t size, long n, void *(*fn)(void *), struct run *r,
                     const char *what);
/* --loops L deals the tasks round-robin: loop k owns tasks k, k+L, k+2L...
 * loop_task_count: how many; loop_task: its j-th, attached to the run. */
long loop_task_count(const struct run *r, long k, long loops);
struct task *loop_task(struct run *r, long k, long j, long loops);
/* Perform a completion wait (WAIT_RECV/SEND/CONNECT) with one syscall and
 * return its result (bytes, 0 or -errno; EINTR retried, but for a stop
 * signal's), counting it in t->syscalls and setting t->io_buf for a
 * WAIT_RECV (`lend` when w.buf is NULL: WAIT_LEND_MAX bytes). `phase` matters to WAIT_CONNECT only: the
 * first try calls connect() (-EAGAIN: in progress on a non-blocking fd;
 * -EINPROGRESS: a blocking fd's SO_SNDTIMEO expired), after readiness it
 * reads SO_ERROR, at the deadline it returns -EINPROGRESS unless writable. */
enum io_phase { IO_FIRST, IO_READY, IO_DEADLINE };
int64_t task_io_perform(struct task *t, struct wait w, char *lend, enum io_phase phase);
/* A completion wait as a blocking model serves it (see common.c); release
 * and reacquire (may be NULL) surround any wait it makes (threads --gil). */
int64_t task_io_blocking(struct run *r, struct task *t, struct wait w, char *lend,
                         void (*release)(void *), void (*reacquire)(void *), void *arg);             /* fork/threads workers */
/* Every model calls the workload's step() through this: it injects
 * --fail-task and turns cancellation into WAIT_DONE (t->finished unset). */
struct wait task_step(struct run *r, struct task *t);
void run_cancel_request(struct run *r);   /* async-signal-safe */

/* The signal (SIGTERM, SIGINT) that stopped the run, or 0. Set by the
 * harness's handler (bench/run.c) once the run is cancelled; the handler
 * also interrupts every thread of the process, and a blocking call
 * interrupted then returns (EINTR) instead of resuming, so that a task
 * blocked in recv() or a sleep steps again and finds the run cancelled. */
extern volatile sig_atomic_t run_stop_signal;

/* Memory figures of this process from /proc/self/status, KiB. */
struct mem_self {
    long anon_kib;   /* RssAnon */
    long pte_kib;    /* VmPTE: page tables */
};
struct mem_self mem_read_self(void);
void run_sample_memory(struct run *r);   /* see bench/run.c: one memory method */

static inline bool run_cancelled(const struct run *r)
{
    return r->cancel && atomic_load_explicit(&r->cancel->requested, memory_order_acquire);
}

/* May a model start another task? Not once the run was cancelled or a
 * task has failed (struct run_shared). */
static inline bool run_may_start_task(const struct run *r)
{
    return !run_cancelled(r) &&
           !(r->shared && atomic_load_explicit(&r->shared->task_failed, memory_order_relaxed));
}

#endif
