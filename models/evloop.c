/* evloop.c - the libev driver of async and hybrid (see evloop.h).
 *
 * A task's fd wait may have a deadline (task->deadline_ns: net's request
 * timeout). Rather than a second timer per task, each loop sweeps its tasks
 * every EVLOOP_SWEEP_S once some task has a deadline, and steps again those
 * whose deadline has passed: the workload then fails them. */
#include "evloop.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define EVLOOP_SWEEP_S 0.1   /* how late a deadline may be noticed */

static void evloop_on_io(struct ev_loop *loop, ev_io *w, int revents);
static void evloop_sweep_if_deadline(struct evloop *l, const struct evloop_task *et);
static void evloop_arm(struct evloop *l, struct evloop_task *et, struct wait w);

bool evloop_open(struct evloop *l, struct run *r, unsigned flags, const struct evloop_hooks *hooks,
                 void *tasks, size_t stride, long count)
{
    l->run = r;
    l->hooks = hooks;
    l->tasks = tasks;
    l->stride = stride;
    l->count = count;
    l->timer_fd = -1;
    l->loop = ev_loop_new(flags);
    if (!l->loop)
        return false;
    ev_set_userdata(l->loop, l);
    return true;
}

void evloop_close(struct evloop *l)
{
    if (l->loop)
        ev_loop_destroy(l->loop);
    l->loop = NULL;
    if (l->timer_fd >= 0)
        close(l->timer_fd);
    l->timer_fd = -1;
    free(l->due);
    l->due = NULL;
}

const char *evloop_backend_name(const struct evloop *l)
{
    switch (ev_backend(l->loop)) {
    case EVBACKEND_EPOLL: return "epoll";
    case EVBACKEND_POLL: return "poll";
    case EVBACKEND_SELECT: return "select";
    case EVBACKEND_LINUXAIO: return "linuxaio";
    case EVBACKEND_IOURING: return "io_uring";
    default: return "other";
    }
}

static struct evloop_task *evloop_task_at(const struct evloop *l, long i)
{
    return (struct evloop_task *)(l->tasks + (size_t)i * l->stride);
}

static struct evloop_spawned *evloop_spawned_of(struct evloop_task *et)
{
    return (struct evloop_spawned *)((char *)et - offsetof(struct evloop_spawned, et));
}

/* A task created at run time leaves the loop's list before the model's
 * hook runs (which may count what is left) and is freed after it. */
static void evloop_finish(struct evloop *l, struct evloop_task *et)
{
    struct evloop_spawned *es = et->task->spawned ? evloop_spawned_of(et) : NULL;
    task_finish(l->run, et->task);
    if (es) {
        if (es->prev) es->prev->next = es->next; else l->spawned = es->next;
        if (es->next) es->next->prev = es->prev;
        l->spawned_count--;
    }
    if (l->hooks->finished)
        l->hooks->finished(l, et);
    if (es) {
        spawned_free(es->sp);
        free(es);
    }
}

static void evloop_step(struct evloop *l, struct evloop_task *et);

/* WAIT_SPAWN: a new task on this loop for connection `fd`, stepped at once
 * (its first wait armed); 0, or -EAGAIN at the run's limit or out of
 * memory (the parent then turns the client away). */
static int64_t evloop_spawn(struct evloop *l, int fd)
{
    if (!run_spawn_admit(l->run))
        return -EAGAIN;
    struct evloop_spawned *es = calloc(1, sizeof *es + l->stride);
    struct spawned *sp = es ? spawned_new(l->run, fd, l) : NULL;
    if (!sp) {
        free(es);
        run_spawn_release(l->run);
        return -EAGAIN;
    }
    es->sp = sp;
    es->next = l->spawned;
    if (l->spawned)
        l->spawned->prev = es;
    l->spawned = es;
    l->spawned_count++;
    struct evloop_task *et = (struct evloop_task *)es->et;
    et->task = &sp->task;
    evloop_step(l, et);
    return 0;
}

/* ---- completion waits --------------------------------------------------- */

/* Perform completion waits for as long as they complete at once (the
 * result goes to the task, which steps again): the wait returned is one
 * that must wait (EAGAIN, poll_first) or is not a completion wait. */
static struct wait evloop_perform(struct evloop *l, struct evloop_task *et, struct wait w)
{
    for (;;) {
        if (w.kind == WAIT_SPAWN) {
            et->task->io_result = evloop_spawn(l, w.fd);
        } else if (wait_is_io(w) && !w.poll_first) {
            int64_t res = task_io_perform(et->task, w, l->lend, IO_FIRST);
            if (res == -EAGAIN)
                break;
            et->task->io_result = res;
        } else {
            break;
        }
        w = task_step(l->run, et->task);
    }
    return w;
}

/* Does the watcher already serve this wait? On a keep-alive connection the
 * next wait is nearly always the same as the last (read the next response),
 * and leaving the watcher alone saves libev an epoll_ctl per wait. Not if
 * the task opened an fd meanwhile: it may have the number of the one it
 * closed, and a closed fd has left the kernel's epoll set. (hybrid: a kept
 * watcher leaves the task with the loop, as the next wait is an fd wait;
 * a WAIT_CPU is never served by it, so the watcher is stopped before the
 * task goes to the pool.) */
static bool evloop_io_serves(const ev_io *w, struct wait next, const struct task *t,
                             uint32_t fds_opened_before)
{
    int events = next.kind == WAIT_READ || next.kind == WAIT_RECV ? EV_READ
               : next.kind == WAIT_WRITE || next.kind == WAIT_SEND || next.kind == WAIT_CONNECT ? EV_WRITE
               : 0;
    return events && w->fd == next.fd && (w->events & (EV_READ | EV_WRITE)) == events
           && t->fds_opened == fds_opened_before;
}

/* ---- watchers ----------------------------------------------------------- */

static void evloop_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    struct evloop_task *et = w->data;
    struct evloop *l = ev_userdata(loop);
    uint32_t fds_opened = et->task->fds_opened;
    (void)revents;
    if (wait_is_io(et->op)) {   /* ready: now the call itself */
        int64_t res = task_io_perform(et->task, et->op, l->lend, IO_READY);
        if (res == -EAGAIN)
            return;             /* not after all: keep waiting */
        et->task->io_result = res;
    }
    struct wait next = evloop_perform(l, et, task_step(l->run, et->task));
    if (evloop_io_serves(w, next, et->task, fds_opened)) {
        et->op = next;
        et->op.poll_first = false;
        /* the same watcher goes on, but the step may have set the first
         * deadline (a request begun on a connection with no idle timeout):
         * without the sweep it would never be noticed */
        evloop_sweep_if_deadline(l, et);
        return;
    }
    ev_io_stop(loop, w);
    evloop_arm(l, et, next);
}

/* A timer without repeat is already stopped when its callback runs. */
static void evloop_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    evloop_step(ev_userdata(loop), w->data);
}

/* ---- timers on time (see evloop.h) -------------------------------------- */

static void evloop_due_push(struct evloop *l, int64_t due)
{
    if (l->due_count == l->due_cap) {
        size_t cap = l->due_cap ? 2 * l->due_cap : 64;
        int64_t *grown = realloc(l->due, cap * sizeof *grown);
        if (!grown)
            return;   /* this timer wakes as libev has it: late, never early */
        l->due = grown;
        l->due_cap = cap;
    }
    size_t i = l->due_count++;
    for (; i > 0 && l->due[(i - 1) / 2] > due; i = (i - 1) / 2)
        l->due[i] = l->due[(i - 1) / 2];
    l->due[i] = due;
}

static void evloop_due_pop(struct evloop *l)
{
    int64_t last = l->due[--l->due_count];
    size_t i = 0, n = l->due_count;
    for (size_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && l->due[c + 1] < l->due[c])
            c++;
        if (l->due[c] >= last)
            break;
        l->due[i] = l->due[c];
    }
    if (n)
        l->due[i] = last;
}

/* Before the loop sleeps: the due times passed are libev's to fire now
 * (its own timeout is 0 then); the timerfd is armed at the next one, or
 * disarmed. Arming also clears its readiness, so the io watcher itself has
 * nothing to do. A timer stopped early (cancellation) leaves its due time
 * behind, which at worst wakes the loop once for nothing. */
static void evloop_on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct evloop *l = w->data;
    (void)loop;
    (void)revents;
    int64_t now = clock_now_ns();
    while (l->due_count && l->due[0] <= now)
        evloop_due_pop(l);
    int64_t next = l->due_count ? l->due[0] : 0;
    if (next == l->armed_ns)
        return;
    struct itimerspec at = { .it_value = { .tv_sec = (time_t)(next / 1000000000),
                                           .tv_nsec = (long)(next % 1000000000) } };
    timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &at, NULL);   /* 0: disarm */
    l->armed_ns = next;
    l->timer_syscalls++;
}

static void evloop_on_timer_fd(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;   /* woken: libev fires the due timers, prepare re-arms */
}

/* The timerfd and its two watchers, with the loop's first timer; neither
 * keeps the loop alive. false if there is no timerfd to be had (then
 * timers wake as libev has them). */
static bool evloop_timer_fd(struct evloop *l)
{
    if (l->timer_fd != -1)
        return l->timer_fd >= 0;
    l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    l->timer_syscalls++;
    if (l->timer_fd < 0) {
        l->timer_fd = -2;
        return false;
    }
    ev_io_init(&l->timer_io, evloop_on_timer_fd, l->timer_fd, EV_READ);
    ev_io_start(l->loop, &l->timer_io);
    ev_unref(l->loop);
    ev_prepare_init(&l->timer_prepare, evloop_on_prepare);
    l->timer_prepare.data = l;
    ev_prepare_start(l->loop, &l->timer_prepare);
    ev_unref(l->loop);
    return true;
}

void evloop_start_timer(struct evloop *l, struct evloop_task *et, double seconds)
{
    /* The loop's cached time may be stale after a long callback; arm the
     * timer from the real time so it never fires early. */
    if (seconds > 0)
        ev_now_update(l->loop);
    ev_timer_init(&et->w.timer, evloop_on_timer, seconds, 0);
    et->w.timer.data = et;
    ev_timer_start(l->loop, &et->w.timer);
    /* due no sooner than libev's own (its clock was read just before), so
     * that once the timerfd wakes the loop, libev finds the timer due */
    if (seconds > 0 && evloop_timer_fd(l))
        evloop_due_push(l, clock_now_ns() + (int64_t)ceil(seconds * 1e9));
}

/* Is the task waiting on an fd of this loop? Only such a task is the
 * loop's to step: under hybrid one in the pool may be writing its
 * deadline right now. */
static bool evloop_waits_on_fd(const struct evloop_task *et)
{
    return ev_is_active(&et->w.io) && et->w.io.cb == evloop_on_io;
}

/* Step the task again if its fd wait is past its deadline. */
static void evloop_sweep_one(struct evloop *l, struct evloop_task *et, int64_t now)
{
    if (!evloop_waits_on_fd(et))
        return;
    int64_t deadline = et->task->deadline_ns;
    if (deadline && now >= deadline) {
        ev_io_stop(l->loop, &et->w.io);
        if (wait_is_io(et->op))   /* one last try: the task sees EAGAIN */
            et->task->io_result = task_io_perform(et->task, et->op, l->lend, IO_DEADLINE);
        evloop_step(l, et);
    }
}

/* Step again every task whose fd wait is past its deadline. */
static void evloop_on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct evloop *l = w->data;
    int64_t now = clock_now_ns();
    (void)loop;
    (void)revents;
    for (long i = 0; i < l->count; i++)
        evloop_sweep_one(l, evloop_task_at(l, i), now);
    /* A step may finish (free) its task or spawn one at the head: the
     * next is taken first, and a new one has no deadline passed yet. */
    for (struct evloop_spawned *es = l->spawned, *next; es; es = next) {
        next = es->next;
        evloop_sweep_one(l, (struct evloop_task *)es->et, now);
    }
}

/* The sweep does not keep the loop alive: ev_run returns when the tasks
 * are done. */
static void evloop_start_sweep(struct evloop *l)
{
    ev_timer_init(&l->sweep, evloop_on_sweep, EVLOOP_SWEEP_S, EVLOOP_SWEEP_S);
    l->sweep.data = l;
    ev_timer_start(l->loop, &l->sweep);
    ev_unref(l->loop);
}

/* A task waiting on an fd with a deadline needs the sweep running. */
static void evloop_sweep_if_deadline(struct evloop *l, const struct evloop_task *et)
{
    if (et->task->deadline_ns && !ev_is_active(&l->sweep))
        evloop_start_sweep(l);
}

static void evloop_start_io(struct evloop *l, struct evloop_task *et, struct wait w)
{
    et->op = w;
    et->op.poll_first = false;
    ev_io_init(&et->w.io, evloop_on_io, w.fd, wait_wants_read(w) ? EV_READ : EV_WRITE);
    et->w.io.data = et;
    ev_io_start(l->loop, &et->w.io);
    evloop_sweep_if_deadline(l, et);
}

/* Arm the watcher for the task's next wait (its previous one is stopped),
 * a wait evloop_perform has already tried if it is a completion wait. */
static void evloop_arm(struct evloop *l, struct evloop_task *et, struct wait w)
{
    switch (w.kind) {
    case WAIT_DONE:
        evloop_finish(l, et);
        break;
    case WAIT_READ:
    case WAIT_WRITE:
    case WAIT_RECV:     /* the call would block (or poll_first): */
    case WAIT_SEND:     /* performed once the fd is ready */
    case WAIT_CONNECT:
        evloop_start_io(l, et, w);
        break;
    case WAIT_TIMER:
        evloop_start_timer(l, et, w.seconds);
        break;
    case WAIT_CPU:
        l->hooks->cpu(l, et);
        break;
    case WAIT_SPAWN:   /* served by evloop_perform, never armed */
        break;
    }
}

void evloop_serve(struct evloop *l, struct evloop_task *et, struct wait w)
{
    evloop_arm(l, et, evloop_perform(l, et, w));
}

/* The task's next step, on the loop, and whatever it waits for next. */
static void evloop_step(struct evloop *l, struct evloop_task *et)
{
    evloop_serve(l, et, task_step(l->run, et->task));
}

/* ---- cancellation ------------------------------------------------------- */

/* Stop the task's wait in progress, if any. Which union member is in use
 * shows in the watcher's callback (both start with libev's common watcher
 * fields), so no tag costs memory per task. */
static bool evloop_stop_wait(struct evloop *l, struct evloop_task *et)
{
    if (!ev_is_active(&et->w.io))
        return false;
    if (et->w.io.cb == evloop_on_io)
        ev_io_stop(l->loop, &et->w.io);
    else
        ev_timer_stop(l->loop, &et->w.timer);
    return true;
}

/* The run was cancelled (a task failed, maybe in another loop): stop every
 * wait armed on this loop and release what its tasks hold; ev_run then
 * returns, as no watcher is left. (hybrid: the tasks in its pool come back
 * as WAIT_DONE, since task_step returns it once cancelled.) */
static void evloop_on_cancel(struct ev_loop *loop, ev_io *w, int revents)
{
    struct evloop *l = w->data;
    (void)revents;
    ev_ref(loop);   /* undo the ev_unref of evloop_watch_cancel */
    ev_io_stop(loop, w);
    for (long i = 0; i < l->count; i++) {
        struct evloop_task *et = evloop_task_at(l, i);
        if (evloop_stop_wait(l, et))
            evloop_finish(l, et);
    }
    for (struct evloop_spawned *es = l->spawned, *next; es; es = next) {
        next = es->next;
        struct evloop_task *et = (struct evloop_task *)es->et;
        if (evloop_stop_wait(l, et))
            evloop_finish(l, et);
    }
}

/* Watch the cancel eventfd without keeping the loop alive: ev_run still
 * returns when the tasks are done. */
static void evloop_watch_cancel(struct evloop *l)
{
    if (!l->run->cancel)
        return;
    ev_io_init(&l->cancel, evloop_on_cancel, l->run->cancel->fd, EV_READ);
    l->cancel.data = l;
    ev_io_start(l->loop, &l->cancel);
    ev_unref(l->loop);
}

/* ---- the run ------------------------------------------------------------ */

/* The loop's own watchers, which do not keep it alive (ev_unref), once
 * no task is left. */
static void evloop_stop_own_watchers(struct evloop *l)
{
    if (l->timer_fd >= 0) {
        ev_ref(l->loop);   /* undo the ev_unrefs of evloop_timer_fd */
        ev_ref(l->loop);
        ev_io_stop(l->loop, &l->timer_io);
        ev_prepare_stop(l->loop, &l->timer_prepare);
    }
    if (ev_is_active(&l->sweep)) {
        ev_ref(l->loop);   /* undo the ev_unref of evloop_start_sweep */
        ev_timer_stop(l->loop, &l->sweep);
    }
    if (ev_is_active(&l->cancel)) {
        ev_ref(l->loop);   /* undo the ev_unref of evloop_watch_cancel */
        ev_io_stop(l->loop, &l->cancel);
    }
}

void evloop_run(struct evloop *l)
{
    evloop_watch_cancel(l);
    for (long i = 0; i < l->count; i++)
        evloop_step(l, evloop_task_at(l, i));
    ev_run(l->loop, 0);   /* returns when no watcher keeps it alive: all done */
    l->iterations = ev_iteration(l->loop);
    evloop_stop_own_watchers(l);
}
