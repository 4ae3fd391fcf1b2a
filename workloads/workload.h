/* workload.h - a workload is written once, as resumable tasks.
 *
 * A task's step() does work until it must wait, then returns what it waits
 * for. The model decides how the wait is served: serial/fork/threads block
 * (fds stay blocking, so the next read() simply blocks), async arms a libev
 * watcher (fds are non-blocking; EAGAIN becomes WAIT_READ / WAIT_WRITE),
 * uring submits to an io_uring. A completion wait (WAIT_RECV, WAIT_SEND,
 * WAIT_CONNECT) hands the model the call itself: it is performed the
 * model's way and the next step reads t->io_result.
 * Every model therefore does the identical work, and the checksum proves it.
 */
#ifndef CBENCH_WORKLOAD_H
#define CBENCH_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../lib/machine.h"
#include "../lib/options.h"

enum wait_kind {
    WAIT_DONE,   /* the task has finished (successfully or with t->errors) */
    WAIT_READ,   /* wake me when fd is readable */
    WAIT_WRITE,  /* wake me when fd is writable */
    WAIT_TIMER,  /* wake me after `seconds` */
    WAIT_CPU,    /* my next step is CPU work: run it when you choose to
                    (async yields to the loop first, hybrid uses a pool) */
    /* Completion waits: the task hands the model the operation itself and
     * its next step finds the result in t->io_result (bytes, 0, or -errno).
     * Blocking models make the call (it blocks); async and hybrid make it
     * at once and, on EAGAIN, again once the fd is ready; uring submits it
     * (IORING_OP_RECV/SEND/READ/WRITE/CONNECT) and the completion's res is
     * the result. When the task's deadline passes first, the result is
     * -EAGAIN, -ECANCELED or -EINPROGRESS (connect): the task checks its
     * deadline and fails itself, as with WAIT_READ. */
    WAIT_RECV,   /* read up to len bytes from fd into buf; buf NULL: into a
                    buffer the model lends (at most WAIT_LEND_MAX bytes),
                    valid during the next step only: t->io_buf */
    WAIT_SEND,   /* write up to len bytes of buf to fd */
    WAIT_CONNECT,/* connect fd to addr (addr, addrlen); 0 or -errno */
    /* A task created at run time (cbench serve: one per accepted
     * connection). The model starts a new task of the same workload that
     * owns `fd` (its t->spawn_fd; its state zeroed, t->spawned set) and runs
     * it beside the others, its own way (a thread, a process, a task of the
     * same loop), then steps this task again with t->io_result 0; or, when
     * it holds its limit of such tasks (run_spawn_admit), with -EAGAIN: the
     * fd is then still this task's, which turns the client away at once. */
    WAIT_SPAWN
};

#define WAIT_LEND_MAX 16384   /* the most a model lends for one WAIT_RECV */

struct wait {
    enum wait_kind kind;
    int fd;
    double seconds;
    void *buf;                 /* RECV: where the bytes go (NULL: lent) */
    const void *data;          /* SEND: the bytes; CONNECT: the address (apart
                                  from buf, so that const data stays const) */
    size_t len;                /* ... the length of either */
    bool socket;               /* RECV/SEND on a socket: recv(), send() with
                                  MSG_NOSIGNAL; otherwise read(), write() */
    bool poll_first;           /* RECV/SEND: the data cannot be there yet, so
                                  an event loop waits for readiness before
                                  the first try (IORING_RECVSEND_POLL_FIRST) */
};

static inline struct wait wait_done(void) { return (struct wait){ .kind = WAIT_DONE, .fd = -1 }; }
static inline struct wait wait_read(int fd) { return (struct wait){ .kind = WAIT_READ, .fd = fd }; }
static inline struct wait wait_write(int fd) { return (struct wait){ .kind = WAIT_WRITE, .fd = fd }; }
static inline struct wait wait_timer(double s) { return (struct wait){ .kind = WAIT_TIMER, .fd = -1, .seconds = s }; }
static inline struct wait wait_cpu(void) { return (struct wait){ .kind = WAIT_CPU, .fd = -1 }; }
static inline struct wait wait_spawn(int fd) { return (struct wait){ .kind = WAIT_SPAWN, .fd = fd }; }
/* Sockets: recv() / send(MSG_NOSIGNAL); buf NULL in wait_recv: a lent buffer. */
static inline struct wait wait_recv(int fd, void *buf, size_t len)
{ return (struct wait){ .kind = WAIT_RECV, .fd = fd, .buf = buf, .len = len, .socket = true }; }
static inline struct wait wait_send(int fd, const void *buf, size_t len)
{ return (struct wait){ .kind = WAIT_SEND, .fd = fd, .data = buf, .len = len, .socket = true }; }
static inline struct wait wait_connect(int fd, const void *addr, size_t addrlen)
{ return (struct wait){ .kind = WAIT_CONNECT, .fd = fd, .data = addr, .len = addrlen, .socket = true }; }
/* Any other fd (pipes): read() / write(). */
static inline struct wait wait_read_into(int fd, void *buf, size_t len)
{ return (struct wait){ .kind = WAIT_RECV, .fd = fd, .buf = buf, .len = len }; }
static inline struct wait wait_write_from(int fd, const void *buf, size_t len)
{ return (struct wait){ .kind = WAIT_SEND, .fd = fd, .data = buf, .len = len }; }
/* The same wait, readiness first (see poll_first). */
static inline struct wait wait_poll_first(struct wait w) { w.poll_first = true; return w; }
static inline bool wait_is_io(struct wait w)
{ return w.kind == WAIT_RECV || w.kind == WAIT_SEND || w.kind == WAIT_CONNECT; }
/* A wait's readiness direction: true for reading (WAIT_READ, WAIT_RECV). */
static inline bool wait_wants_read(struct wait w) { return w.kind == WAIT_READ || w.kind == WAIT_RECV; }

/* One task. The array of tasks lives in MAP_SHARED memory so that fork's
 * children can report through it; `state` is private to whoever runs it. */
struct task {
    int id;                  /* 0 .. tasks-1: the task's deterministic input */
    bool nonblocking;        /* set by the model: make new fds O_NONBLOCK */
    const void *params;      /* the workload's parsed options */
    const void *run;         /* the workload's per-run state (run_size bytes,
                                filled by setup), or NULL. Read-only here:
                                under fork a task's own writes would stay in
                                its child; what tasks change together lives
                                in MAP_SHARED memory this state points to */
    void *state;             /* workload-private, state_size bytes, zeroed */
    uint64_t checksum;       /* the task's result, folded by id at the end */
    uint64_t ops;            /* operations completed (requests, sleeps...) */
    uint32_t errors;         /* operations that failed */
    uint32_t latency_count;  /* samples written to latency_us */
    uint32_t latency_cap;    /* room in latency_us */
    uint32_t *latency_us;    /* per-operation latency, µs (shared memory) */
    int64_t op_start_ns;     /* scratch for task_op_begin / task_op_end */
    int64_t deadline_ns;     /* 0, or CLOCK_MONOTONIC ns after which the task's
                                WAIT_READ/WAIT_WRITE ends anyway: the model
                                steps it again (set by the workload, which
                                then finds its fd not ready and fails it) */
    uint32_t fds_opened;     /* bumped by task_prepare_fd: a new fd may
                                reuse the number of one just closed */
    int64_t first_step_ns;   /* set by the model: when step() first ran */
    int64_t mark_ns;         /* the workload's own timestamp for its metrics
                                (net: when the connection was open) */
    double figure[2];        /* the workload's own per-task figures for its
                                metrics (chess: CPU ms of its moves...);
                                shared memory, so fork's children report too */
    int64_t io_result;       /* set by the model: the result of the last
                                WAIT_RECV/SEND/CONNECT (bytes, 0, -errno) */
    void *io_buf;            /* set by the model: where WAIT_RECV put the
                                bytes (its buf, or the lent buffer) */
    uint64_t syscalls;       /* set by the model: syscalls it made for this
                                task's completion waits (recv, send...) */
    bool started;            /* set by the model: step() has been called */
    bool finished;           /* set by the model: step() returned WAIT_DONE;
                                a task never finished was cancelled */
    bool spawned;            /* created at run time by WAIT_SPAWN */
    int spawn_fd;            /* ... and the fd it was given */
};

/* Parsed command-line configuration a workload sees at setup. */
struct workload_env {
    long tasks;              /* number of tasks */
    bool nonblocking;        /* the model serves waits with an event loop */
    long concurrency;        /* tasks the model runs at once: 1 for serial,
                                the pool size for fork/threads -w, else tasks */
    long fd_limit;           /* RLIMIT_NOFILE (0: none), for a server child */
    const char *model;       /* the model's name, for messages */
    /* spawn --bare: the model's bare loop (us[0] all alive, us[1] one at a
     * time, µs per worker; 0 or -1), or NULL when it has none */
    int (*bare_spawn)(long n, double us[2]);
    bool cancellable;        /* --fail-task: the run may be cancelled, and a
                                task blocked inside step() cannot be reached;
                                fds shared by tasks must then be O_NONBLOCK
                                (the model waits for them, cancellably) */
};

/* What a workload's metrics() may read about the run just measured. */
struct workload_run {
    const struct task *task;  /* tasks[0..tasks-1], results filled in */
    long tasks;
    int64_t start_ns, end_ns; /* CLOCK_MONOTONIC around the model's run() */
    double p50_us, p99_us;    /* latency percentiles of every sample */
    size_t samples;
    long mem_kib;             /* memory by the one method (bench/run.c) */
    long mem_base_kib;        /* ... of cbench alone (peak RSS and page
                                 tables) just before run() began */
    uint64_t syscalls;        /* the model's own waiting syscalls (epoll_wait
                                 per loop iteration, io_uring_enter), beside
                                 the tasks' own (task->syscalls) */
};

/* A workload keeps two things apart: its options, parsed from `options`
 * into a params struct (params_size bytes, defaults from params_default)
 * that is const from then on, and its per-run state (run_size bytes): what
 * setup computes or opens (a server, pipes, shared memory, figures for the
 * note). The harness allocates the run state zeroed before setup and frees
 * it after the run, failed or not. So the options stay exactly as parsed
 * (the params column prints them) and no hook needs to cast const away. */
struct workload {
    const char *name;
    const char *summary;
    const struct opt_spec *options;   /* its own options (OPT_END-terminated) */
    size_t params_size;               /* size of its params struct */
    const void *params_default;       /* defaults, copied before parsing */
    size_t run_size;                  /* bytes of per-run state (0: none,
                                         and the hooks get NULL) */
    long (*default_tasks)(void);      /* tasks when -n is not given */
    size_t state_size;                /* bytes of private state per task */
    int fds_per_task;                 /* descriptors a task holds at once */
    bool independent_tasks;           /* no task waits for another: once one
                                         has failed, the models start no
                                         more (a run with an error is invalid
                                         anyway). Not for tasks that wait
                                         for others (queue, pingpong, mixed):
                                         a started one would wait for ever
                                         for one never started */
    long min_stack_kib;               /* the stack a task needs on a thread
                                         of its own (threads --stack-kib);
                                         0: the option's smallest will do */
    bool fds_at_setup;                /* ... opened by setup for every task,
                                         so every process holds them all */

    /* Upper bound of latency samples one task of `tasks` records (0:
     * none). Called before setup: it may read the options only. */
    uint32_t (*latency_per_task)(const void *params, long tasks);
    /* Once, before any task starts (start a server...), filling `run`.
     * Returns 0 or an exit status (1 failed, 2 bad usage) after printing
     * why; a setup that fails releases what it took itself, since teardown
     * is not called then. May be NULL. */
    int (*setup)(const void *params, void *run, const struct workload_env *env);
    /* Run until the task must wait (t->params, t->run: both read-only). */
    struct wait (*step)(struct task *t);
    /* Release what the task holds (fds) after WAIT_DONE or cancellation.
     * May be NULL. Called by whoever ran the task. */
    void (*task_cleanup)(struct task *t);
    /* Once, after every task has finished: release what setup took, and
     * copy out of shared memory what the note and metrics need. May be
     * NULL. */
    void (*teardown)(const void *params, void *run);
    /* A line for the output's note (theory, longest chain...), written
     * after teardown. May be NULL. */
    void (*note)(const void *params, const void *run, char *buf, size_t size);
    /* The workload's own figures for the output's `metrics` field, after
     * teardown: call metrics_add() once per figure. Keys are lower_snake
     * with the unit in the name (_us, _ms, _s, _kib); scripts read them by
     * key, never from the note. May be NULL (no figures). */
    void (*metrics)(const void *params, const void *run, const struct workload_run *info,
                    char *buf, size_t size);
};

/* The registry (workloads/workloads.c). */
extern const struct workload *const workloads[];
const struct workload *workload_find(const char *name);

/* Helpers every workload uses. */
void task_op_begin(struct task *t);         /* start timing one operation */
void task_op_end(struct task *t);           /* record its latency, ops++ */
uint64_t checksum_mix(uint64_t h, uint64_t v);  /* order-sensitive fold */
/* Every fd a task opens and then waits on must pass through here: it is made
 * O_NONBLOCK under async, and the model learns that an fd number it watches
 * may now name a different file. */
int task_prepare_fd(struct task *t, int fd);     /* O_NONBLOCK if async; CLOEXEC */
/* A wait of `seconds` that began at `since_ns` ended early (before the
 * whole interval had passed, by CLOCK_MONOTONIC): the caller counts it in
 * t->errors. Every model serves a timer with the same clock and never
 * early (see models/common.c and models/evloop.c), so no tolerance. */
bool wait_ended_early(int64_t since_ns, double seconds);
/* Appends "key=value" to a metrics buffer ("k=v;k=v"): a plain decimal
 * number, no exponent, trailing zeros dropped. */
void metrics_add(char *buf, size_t size, const char *key, double value);

#endif
