/* evloop.h - the libev driver that async and hybrid share: one libev loop
 * serving the waits of the tasks it owns.
 *
 * A task's waits become watchers: WAIT_READ/WAIT_WRITE an ev_io, WAIT_TIMER
 * an ev_timer. A completion wait (WAIT_RECV/SEND/CONNECT) is performed at
 * once; on EAGAIN (or when it asks for readiness first) an ev_io waits for
 * the fd and the call is made when it is ready, then the task steps with
 * the result. Deadlines of fd waits (task->deadline_ns) are kept by a sweep,
 * --fail-task's cancellation by a watcher on the run's cancel eventfd.
 *
 * Timers wake on time: libev's epoll backend sleeps in whole milliseconds
 * (at least 1 ms), so a loop that only its timers wake would step them up
 * to 1 ms late (an open-loop net run's sends, mixed's I/O waits). So a
 * timerfd, armed before the loop sleeps at the earliest task timer still
 * due (a heap of due times, 8 bytes a waiting timer), wakes it on time;
 * libev then fires its timers as ever. Started with the first timer, so a
 * loop without timers pays nothing.
 *
 * What is the model's own comes through hooks: what to do with a WAIT_CPU
 * (async yields to the loop, hybrid hands the task to its pool) and what to
 * do once a task has finished (hybrid counts the tasks left).
 *
 * A task waits on one thing at a time, so one watcher union per task
 * suffices, which keeps an async task at well under 0.5 KiB. */
#ifndef CBENCH_EVLOOP_H
#define CBENCH_EVLOOP_H

#include <ev.h>
#include <stddef.h>
#include "model.h"

/* What one libev loop holds: the backend's fd (epoll) and, once an
 * ev_async or signal watcher exists, its wakeup eventfd. */
#define EVLOOP_FDS 3   /* ... and the timerfd that wakes timers on time */

/* One task as the loop sees it. A model with more to keep per task (hybrid:
 * its queue link) puts this first in its own struct and tells the loop the
 * struct's size (evloop_open's `stride`). */
struct evloop_task {
    struct task *task;
    struct wait op;       /* what the ev_io serves: WAIT_READ/WRITE, or a
                             completion wait to perform once the fd is ready */
    union {               /* the one wait in progress on the loop */
        ev_io io;
        ev_timer timer;
    } w;
};

struct evloop;

/* A task created at run time (WAIT_SPAWN), on its loop's list: the loop
 * sweeps and cancels it as it does the run's tasks, and frees it when it
 * has finished. */
struct evloop_spawned {
    struct evloop_spawned *prev, *next;
    struct spawned *sp;           /* the task and its state */
    _Alignas(max_align_t) char et[];   /* the loop's stride bytes, starting
                                          with a struct evloop_task */
};

struct evloop_hooks {
    /* The task's step returned WAIT_CPU: run its next step when the model
     * chooses (evloop_serve or evloop_start_timer bring it back). */
    void (*cpu)(struct evloop *l, struct evloop_task *et);
    /* The task has finished and released what it held. May be NULL. */
    void (*finished)(struct evloop *l, struct evloop_task *et);
};

struct evloop {
    struct ev_loop *loop;
    struct run *run;
    const struct evloop_hooks *hooks;
    ev_io cancel;               /* --fail-task: the run's cancel eventfd */
    ev_timer sweep;             /* deadlines: started with the first one */
    char *tasks;                /* `count` tasks, `stride` bytes apart, each
                                   starting with a struct evloop_task */
    size_t stride;
    long count;
    struct evloop_spawned *spawned;   /* tasks created at run time */
    long spawned_count;
    unsigned long long iterations;  /* ev_iteration: epoll_wait calls */
    /* Timers on time (see above): */
    int timer_fd;               /* -1 until the first timer (-2: none to be had) */
    ev_io timer_io;             /* its readiness wakes the loop */
    ev_prepare timer_prepare;   /* arms it before the loop sleeps */
    int64_t *due;               /* min-heap of task timers' due times (ns) */
    size_t due_count, due_cap;
    int64_t armed_ns;           /* the due time timer_fd is armed for, 0: none */
    unsigned long long timer_syscalls;  /* timerfd_create and _settime calls */
    char lend[WAIT_LEND_MAX];   /* WAIT_RECV's lent buffer: one per loop, as
                                   the bytes are read just before the step */
};

/* A new libev loop (libev backend `flags`) for the tasks at `tasks`, whose
 * .task the model sets before evloop_run. false if libev could not create
 * the loop: the model says why. */
bool evloop_open(struct evloop *l, struct run *r, unsigned flags, const struct evloop_hooks *hooks,
                 void *tasks, size_t stride, long count);
void evloop_close(struct evloop *l);

/* Step every task and serve its waits until none is left (ev_run returns
 * when no watcher of the loop's keeps it alive); then l->iterations is set. */
void evloop_run(struct evloop *l);
/* Serve wait `w` the task's step returned: perform it if it is a
 * completion wait, arm a watcher, call a hook, or finish the task. */
void evloop_serve(struct evloop *l, struct evloop_task *et, struct wait w);
/* Step the task again in `seconds` (0: in the next loop iteration). */
void evloop_start_timer(struct evloop *l, struct evloop_task *et, double seconds);

/* The loop's backend for notes: "epoll", "poll", "select"... */
const char *evloop_backend_name(const struct evloop *l);

#endif
