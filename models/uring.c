/* uring.c - one io_uring per loop runs every task (or --loops L rings in
 * L threads, tasks dealt round-robin, as async deals them to libev loops).
 *
 * A task's wait becomes one submission: a completion wait the operation
 * itself (WAIT_RECV an IORING_OP_RECV, or READ on a pipe; WAIT_SEND SEND or
 * WRITE; WAIT_CONNECT CONNECT) with the task's buffer, the completion's res
 * its result (a non-blocking fd's -EAGAIN handed back by the kernel: a
 * POLL_ADD, then the operation again); WAIT_READ/WAIT_WRITE a one-shot
 * IORING_OP_POLL_ADD, WAIT_TIMER an IORING_OP_TIMEOUT, WAIT_CPU a NOP (so a
 * task computing in chunks lets the others run in between, as async's zero
 * timer does). The loop submits everything its tasks asked for and waits
 * for at least one completion in a single io_uring_submit_and_wait: one
 * syscall per loop turn, however many tasks moved. CPU work runs inline in
 * the loop and blocks every other task, as in async.
 *
 * A task's fd wait may have a deadline (task->deadline_ns: net's request
 * timeout). While one does, the ring also carries a 100 ms tick; at each
 * tick the polls and operations past their deadline are cancelled, and their tasks step
 * again and fail themselves (as async's sweep does).
 *
 * Cancellation (--fail-task) polls the run's cancel eventfd through the
 * ring; when it fires, every pending operation is cancelled with
 * IORING_OP_ASYNC_CANCEL and each task is released once its cancelled
 * operation has completed. */
#include "model.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct uring_params {
    long loops;
    long entries;
    bool sqpoll;
};

static const struct uring_params uring_defaults = { .loops = 1, .entries = 256, .sqpoll = false };

static const struct opt_spec uring_options[] = {
    { "loops", 0, OPT_INT, offsetof(struct uring_params, loops), 1, 1024,
      "rings, each in its own thread (default 1)" },
    { "entries", 0, OPT_INT, offsetof(struct uring_params, entries), 1, 32768,
      "submission queue entries per ring (default 256; completions: 2x, at least the tasks)" },
    { "sqpoll", 0, OPT_FLAG, offsetof(struct uring_params, sqpoll), 0, 0,
      "a kernel thread polls the submission queue (IORING_SETUP_SQPOLL): no syscall to submit" },
    OPT_END,
};

struct uring_task {
    struct task *task;
    struct __kernel_timespec timeout;   /* read by the kernel at submission */
    struct wait op;                     /* the completion wait in flight */
    char *lend;                         /* WAIT_RECV's lent buffer when the
                                           ring has no buffer ring: each
                                           task's own, as reads are in
                                           flight at once (allocated when
                                           first asked for) */
    bool pending;                       /* an operation is in flight */
    bool polling;                       /* ... and it waits on an fd (a
                                           POLL_ADD or an I/O operation):
                                           the deadline tick cancels it */
    bool io;                            /* ... it is `op` itself */
    bool retry;                         /* ... it is a POLL_ADD after `op`
                                           came back EAGAIN: then again */
    bool cancel_sent;                   /* its deadline passed: cancelled */
    struct uring_task *parked_next;     /* waiting for a provided buffer */
};

/* A task created at run time (WAIT_SPAWN), on its ring's list. */
struct uring_spawned {
    struct uring_spawned *prev, *next;
    struct spawned *sp;
    struct uring_task ut;
};

struct uring_loop {
    struct io_uring ring;
    bool ring_ready;
    struct run *run;
    struct uring_task *tasks;   /* the tasks this ring owns */
    long count;
    struct uring_spawned *spawned;   /* and those created at run time */
    long active;                /* tasks not yet finished */
    bool cancelling;
    bool ticking;               /* the deadline tick is in flight */
    struct __kernel_timespec tick;
    uint64_t enters;            /* io_uring_enter calls: submit (and wait) */
    /* Lent receive buffers: a ring of URING_BUFS provided buffers
     * (IOSQE_BUFFER_SELECT): the kernel takes one only when data arrives and
     * the loop gives it back once the task has stepped, so the memory does
     * not grow with the tasks (kernel 5.19+; else one buffer per task). */
    struct io_uring_buf_ring *br;
    char *bufs;
    unsigned nbufs;             /* 2^k: the tasks, at most URING_BUFS */
    struct uring_task *parked, *parked_tail;   /* got -ENOBUFS: resubmitted
                                   at the end of the loop turn, when the
                                   buffers of its completions are back */
    char *scratch;              /* for a receive the loop makes itself */
};

/* user_data of the cancel eventfd's poll: no task has this address. */
#define URING_CANCEL_TAG ((uint64_t)1)
#define URING_TICK_TAG ((uint64_t)2)    /* the deadline tick */
#define URING_TICK_NS 100000000         /* how late a deadline may be noticed */
/* The ring's own descriptor, per loop, for the fd check. */
#define URING_FDS_PER_LOOP 1
#define URING_BUFS 512                  /* provided buffers per ring, at most */
#define URING_BGID 0                    /* their group */

/* A test hook: CBENCH_TEST_URING_ERRNO=38 makes setup fail with ENOSYS, so
 * the message for a machine without io_uring can be tested on one with it. */
static int uring_setup_ring(struct io_uring *ring, const struct uring_params *p, long tasks)
{
    const char *fake = getenv("CBENCH_TEST_URING_ERRNO");
    if (fake && *fake)
        return -atoi(fake);
    struct io_uring_params up;
    memset(&up, 0, sizeof up);
    /* room for a completion per task, up to the kernel's most (65,536);
     * beyond that the kernel keeps overflowing completions (FEAT_NODROP) */
    long cq = 2 * p->entries > tasks + 1 ? 2 * p->entries : tasks + 1;
    if (cq > 65536)
        cq = 65536;
    up.cq_entries = (unsigned)cq;
    /* One thread submits and reaps each ring, so the kernel may run the
     * completions' work when that thread enters the ring to wait, not
     * interrupt it as each one comes (DEFER_TASKRUN, kernel 6.1+; it needs
     * SINGLE_ISSUER, and the ring starts disabled so that the loop's thread,
     * enabling it, is its one issuer); else only not interrupt it
     * (COOP_TASKRUN, 5.19+); else neither. Not with SQPOLL, whose kernel
     * thread submits. */
    static const unsigned tiers[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int err = -EINVAL;
    for (size_t i = p->sqpoll ? 2 : 0; i < sizeof tiers / sizeof tiers[0] && err == -EINVAL; i++) {
        up.flags = IORING_SETUP_CQSIZE | (p->sqpoll ? IORING_SETUP_SQPOLL : 0) | tiers[i];
        err = io_uring_queue_init_params((unsigned)p->entries, ring, &up);
    }
    return err;
}

/* A ring created disabled (DEFER_TASKRUN) is enabled by the thread that
 * runs it, which becomes its one issuer; 0 or -errno. */
static int uring_enable(struct io_uring *ring)
{
    if (!(ring->flags & IORING_SETUP_R_DISABLED))
        return 0;
    /* (Debian 12's liburing 2.3 declares io_uring_enable_rings but lacks it) */
    return syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0
               ? -errno : 0;
}

/* Why io_uring is not there, and what to do about it. */
static const char *uring_advice(int err)
{
    switch (err) {
    case ENOSYS: return "this kernel has no io_uring";
    case EPERM: return "io_uring is disabled: set sysctl kernel.io_uring_disabled=0 (or run as a member of kernel.io_uring_group)";
    case ENOMEM: return "not enough locked memory for the ring: raise ulimit -l, or use fewer --entries";
    case EINVAL: return "this kernel does not support the ring's flags (--sqpoll needs 5.11+ for unprivileged users)";
    default: return "see io_uring_setup(2)";
    }
}

/* Is io_uring usable here? 0, or -errno after writing why into `why`. */
static int uring_probe(char *why, size_t size)
{
    struct io_uring ring;
    int err = uring_setup_ring(&ring, &uring_defaults, 1);
    if (err < 0) {
        snprintf(why, size, "%s (%s)", strerror(-err), uring_advice(-err));
        return err;
    }
    io_uring_queue_exit(&ring);
    return 0;
}

static int uring_check(struct run *r)
{
    const struct uring_params *p = r->model_params;
    if (p->loops > r->tasks) {
        fprintf(stderr, "cbench: --loops: %ld is more than the %ld tasks\n", p->loops, r->tasks);
        return 2;
    }
    r->model_fds = p->loops * URING_FDS_PER_LOOP;
    r->model_workers = p->loops > 1 ? p->loops : 0;   /* a thread per loop */
    return 0;
}

/* A free submission slot: when the queue is full, submit what is there. */
static struct io_uring_sqe *uring_sqe(struct uring_loop *l)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
    while (!sqe) {
        io_uring_submit(&l->ring);
        l->enters++;
        sqe = io_uring_get_sqe(&l->ring);
    }
    return sqe;
}

static void uring_finish(struct uring_loop *l, struct uring_task *ut)
{
    task_finish(l->run, ut->task);
    l->active--;
    if (!ut->task->spawned)
        return;
    struct uring_spawned *us = (struct uring_spawned *)((char *)ut - offsetof(struct uring_spawned, ut));
    if (us->prev) us->prev->next = us->next; else l->spawned = us->next;
    if (us->next) us->next->prev = us->prev;
    free(ut->lend);
    spawned_free(us->sp);
    free(us);
}

static void uring_arm(struct uring_loop *l, struct uring_task *ut, struct wait w);

/* WAIT_SPAWN: a new task on this ring for connection `fd`, its first wait
 * submitted at once; 0, or -EAGAIN at the run's limit or out of memory
 * (the parent then turns the client away). */
static int64_t uring_spawn(struct uring_loop *l, int fd)
{
    if (!run_spawn_admit(l->run))
        return -EAGAIN;
    struct uring_spawned *us = calloc(1, sizeof *us);
    struct spawned *sp = us ? spawned_new(l->run, fd, l) : NULL;
    if (!sp) {
        free(us);
        run_spawn_release(l->run);
        return -EAGAIN;
    }
    us->sp = sp;
    us->ut.task = &sp->task;
    us->next = l->spawned;
    if (l->spawned)
        l->spawned->prev = us;
    l->spawned = us;
    l->active++;
    uring_arm(l, &us->ut, task_step(l->run, &sp->task));
    return 0;
}

/* Start the deadline tick unless it runs. */
static void uring_tick(struct uring_loop *l)
{
    if (l->ticking)
        return;
    struct io_uring_sqe *sqe = uring_sqe(l);
    l->tick = (struct __kernel_timespec){ .tv_sec = 0, .tv_nsec = URING_TICK_NS };
    io_uring_prep_timeout(sqe, &l->tick, 0, 0);
    io_uring_sqe_set_data64(sqe, URING_TICK_TAG);
    l->ticking = true;
}

/* Cancel the task's poll if past its deadline; true if it has one still
 * to come. */
static bool uring_sweep_one(struct uring_loop *l, struct uring_task *ut, int64_t now)
{
    int64_t deadline = ut->task->deadline_ns;
    if (!ut->polling || !deadline || ut->cancel_sent)
        return false;
    if (now < deadline)
        return true;
    struct io_uring_sqe *sqe = uring_sqe(l);
    io_uring_prep_cancel(sqe, ut, 0);
    io_uring_sqe_set_data64(sqe, 0);
    ut->cancel_sent = true;
    return false;
}

/* At each tick: cancel the polls past their deadline (their tasks step
 * again when the cancellation completes); tick again while any poll has a
 * deadline. */
static void uring_sweep(struct uring_loop *l)
{
    int64_t now = clock_now_ns();
    bool again = false;
    l->ticking = false;
    for (long i = 0; i < l->count; i++)
        again |= uring_sweep_one(l, &l->tasks[i], now);
    for (struct uring_spawned *us = l->spawned; us; us = us->next)
        again |= uring_sweep_one(l, &us->ut, now);
    if (again)
        uring_tick(l);
}

/* The operation of a completion wait, into `sqe`. */
static bool uring_prep_io(struct uring_loop *l, struct uring_task *ut, struct io_uring_sqe *sqe,
                          struct wait w)
{
    switch (w.kind) {
    case WAIT_RECV: {
        void *buf = w.buf;
        if (!buf && l->br) {   /* the kernel picks a buffer when data comes */
            size_t len = w.len < WAIT_LEND_MAX ? w.len : WAIT_LEND_MAX;
            if (w.socket)
                io_uring_prep_recv(sqe, w.fd, NULL, len, 0);
            else
                io_uring_prep_read(sqe, w.fd, NULL, (unsigned)len, (uint64_t)-1);
            sqe->flags |= IOSQE_BUFFER_SELECT;
            sqe->buf_group = URING_BGID;
            break;
        }
        if (!buf) {
            if (!ut->lend && !(ut->lend = malloc(WAIT_LEND_MAX)))
                return false;
            buf = ut->lend;
        }
        ut->task->io_buf = buf;
        if (w.socket)
            io_uring_prep_recv(sqe, w.fd, buf, w.len, 0);
        else
            io_uring_prep_read(sqe, w.fd, buf, (unsigned)w.len, (uint64_t)-1);
        break;
    }
    case WAIT_SEND:
        if (w.socket)
            io_uring_prep_send(sqe, w.fd, w.data, w.len, MSG_NOSIGNAL);
        else
            io_uring_prep_write(sqe, w.fd, w.data, (unsigned)w.len, (uint64_t)-1);
        break;
    case WAIT_CONNECT:
        io_uring_prep_connect(sqe, w.fd, w.data, (socklen_t)w.len);
        break;
    default:
        return false;
    }
#ifdef IORING_RECVSEND_POLL_FIRST
    if (w.poll_first && w.socket && w.kind != WAIT_CONNECT)
        sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
#endif
    return true;
}

/* Queue the submission that serves the task's next wait. */
static void uring_arm(struct uring_loop *l, struct uring_task *ut, struct wait w)
{
    while (w.kind == WAIT_SPAWN) {   /* no submission: the new task's own */
        ut->task->io_result = uring_spawn(l, w.fd);
        w = task_step(l->run, ut->task);
    }
    if (w.kind == WAIT_DONE) {
        uring_finish(l, ut);
        return;
    }
    struct io_uring_sqe *sqe = uring_sqe(l);
    switch (w.kind) {
    case WAIT_READ:
    case WAIT_WRITE:
        io_uring_prep_poll_add(sqe, w.fd, w.kind == WAIT_READ ? POLLIN : POLLOUT);
        ut->polling = true;
        break;
    case WAIT_RECV:
    case WAIT_SEND:
    case WAIT_CONNECT:
        ut->op = w;
        ut->polling = ut->io = true;
        if (!uring_prep_io(l, ut, sqe, w)) {   /* no memory for the buffer */
            io_uring_prep_nop(sqe);
            ut->io = false;
            ut->task->io_result = -ENOMEM;
        }
        break;
    case WAIT_TIMER: {
        /* rounded up to the ns: a timer never ends before its time */
        double ns = w.seconds * 1e9;
        int64_t whole = (int64_t)ns + ((double)(int64_t)ns < ns);
        ut->timeout.tv_sec = whole / 1000000000;
        ut->timeout.tv_nsec = whole % 1000000000;
        io_uring_prep_timeout(sqe, &ut->timeout, 0, 0);
        break;
    }
    case WAIT_CPU:
    case WAIT_DONE:
    case WAIT_SPAWN:
        io_uring_prep_nop(sqe);
        break;
    }
    io_uring_sqe_set_data(sqe, ut);
    ut->pending = true;
    if (ut->polling && ut->task->deadline_ns)
        uring_tick(l);
}

static void uring_cancel_one(struct uring_loop *l, struct uring_task *ut)
{
    if (!ut->pending)
        return;
    struct io_uring_sqe *sqe = uring_sqe(l);
    io_uring_prep_cancel(sqe, ut, 0);
    io_uring_sqe_set_data64(sqe, 0);   /* the cancel's own completion: ignored */
}

/* The run was cancelled: cancel every operation in flight; each task is
 * released when its (cancelled or completed) operation comes back. */
static void uring_cancel_all(struct uring_loop *l)
{
    l->cancelling = true;
    while (l->parked) {   /* nothing in flight: released at once */
        struct uring_task *ut = l->parked;
        l->parked = ut->parked_next;
        uring_finish(l, ut);
    }
    l->parked_tail = NULL;
    for (long i = 0; i < l->count; i++)
        uring_cancel_one(l, &l->tasks[i]);
    for (struct uring_spawned *us = l->spawned; us; us = us->next)
        uring_cancel_one(l, &us->ut);
}

static void uring_complete(struct uring_loop *l, struct io_uring_cqe *cqe)
{
    uint64_t tag = io_uring_cqe_get_data64(cqe);
    if (tag == 0)            /* an ASYNC_CANCEL's own result */
        return;
    if (tag == URING_CANCEL_TAG) {
        uring_cancel_all(l);
        return;
    }
    if (tag == URING_TICK_TAG) {
        if (!l->cancelling)
            uring_sweep(l);
        return;
    }
    struct uring_task *ut = io_uring_cqe_get_data(cqe);
    bool io = ut->io, retry = ut->retry, cancelled = ut->cancel_sent;
    ut->pending = ut->polling = ut->io = ut->retry = ut->cancel_sent = false;
    if (l->cancelling) {   /* (a provided buffer it got is not needed again) */
        uring_finish(l, ut);
        return;
    }
    int res = cqe->res;
    int bid = cqe->flags & IORING_CQE_F_BUFFER ? (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) : -1;
    if (io && res == -ENOBUFS && !cancelled) {   /* every buffer in use */
        ut->parked_next = NULL;
        if (l->parked_tail)
            l->parked_tail->parked_next = ut;
        else
            l->parked = ut;
        l->parked_tail = ut;
        return;
    }
    if ((io && (res == -EAGAIN || (ut->op.kind == WAIT_CONNECT && res == -EINPROGRESS)))
        && !cancelled) {
        /* The kernel gave the non-blocking fd's EAGAIN back (a pipe, or a
         * connect still in progress): poll it, then try again. */
        struct io_uring_sqe *sqe = uring_sqe(l);
        io_uring_prep_poll_add(sqe, ut->op.fd, wait_wants_read(ut->op) ? POLLIN : POLLOUT);
        io_uring_sqe_set_data(sqe, ut);
        ut->pending = ut->polling = ut->retry = true;
        return;
    }
    if (retry) {
        if (res >= 0 && ut->op.kind != WAIT_CONNECT) {
            uring_arm(l, ut, ut->op);   /* ready now: the operation again */
            return;
        }
        /* connect: ready means done, SO_ERROR says how (one syscall);
         * a cancelled poll: the deadline passed */
        char *lend = ut->lend ? ut->lend : l->scratch;
        res = res >= 0 ? (int)task_io_perform(ut->task, ut->op, lend, IO_READY)
                       : (int)task_io_perform(ut->task, ut->op, lend, IO_DEADLINE);
        io = true;
    }
    if (io)
        ut->task->io_result = res;
    if (bid >= 0) {   /* the bytes are in a provided buffer: lent for one step */
        ut->task->io_buf = l->bufs + (size_t)bid * WAIT_LEND_MAX;
        struct wait next = task_step(l->run, ut->task);
        io_uring_buf_ring_add(l->br, ut->task->io_buf, WAIT_LEND_MAX, (unsigned short)bid,
                              io_uring_buf_ring_mask(l->nbufs), 0);
        io_uring_buf_ring_advance(l->br, 1);
        uring_arm(l, ut, next);
        return;
    }
    /* POLL_ADD gives the ready events (-ECANCELED past its deadline),
     * TIMEOUT -ETIME when it expired, NOP 0: in every case the task steps
     * again and sees for itself (a read that would still block returns
     * EAGAIN and asks to wait again). An I/O operation's res is the task's
     * io_result (-ECANCELED past its deadline). */
    uring_arm(l, ut, task_step(l->run, ut->task));
}

/* The end of a loop turn: the buffers of its completions are back, so the
 * receives that found none are submitted again (as many as there are
 * buffers; the rest next turn). */
static void uring_unpark(struct uring_loop *l)
{
    for (unsigned n = 0; l->parked && n < l->nbufs; n++) {
        struct uring_task *ut = l->parked;
        if (!(l->parked = ut->parked_next))
            l->parked_tail = NULL;
        uring_arm(l, ut, ut->op);
    }
}

static void *uring_loop_run(void *arg)
{
    struct uring_loop *l = arg;
    int enabled = uring_enable(&l->ring);
    if (enabled < 0) {
        fprintf(stderr, "cbench: uring: cannot enable the ring: %s\n", strerror(-enabled));
        if (l->run->cancel)
            run_cancel_request(l->run);
        return NULL;
    }
    if (l->run->cancel) {
        struct io_uring_sqe *sqe = uring_sqe(l);
        io_uring_prep_poll_add(sqe, l->run->cancel->fd, POLLIN);
        io_uring_sqe_set_data64(sqe, URING_CANCEL_TAG);
    }
    for (long i = 0; i < l->count; i++)
        uring_arm(l, &l->tasks[i], task_step(l->run, l->tasks[i].task));
    while (l->active > 0) {
        int err = io_uring_submit_and_wait(&l->ring, 1);
        l->enters++;
        if (err < 0 && err != -EINTR && err != -EBUSY) {
            fprintf(stderr, "cbench: uring: io_uring_submit_and_wait: %s\n", strerror(-err));
            run_cancel_request(l->run);
            break;
        }
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&l->ring, head, cqe) {
            uring_complete(l, cqe);
            seen++;
        }
        io_uring_cq_advance(&l->ring, seen);
        uring_unpark(l);
    }
    return NULL;
}

/* The provided buffers for lent receives; without them (an older kernel,
 * no memory) each task gets its own buffer when it first asks. */
static void uring_setup_buffers(struct uring_loop *l)
{
    struct io_uring_buf_reg reg;
    void *br = NULL;
    memset(&reg, 0, sizeof reg);
    long tasks = l->count + l->run->shared->spawn_limit;   /* tasks created at run time too */
    for (l->nbufs = 1; l->nbufs < URING_BUFS && l->nbufs < (unsigned long)tasks; l->nbufs *= 2)
        ;
    if (posix_memalign(&br, 4096, l->nbufs * sizeof(struct io_uring_buf)) != 0)
        return;
    l->bufs = malloc((size_t)l->nbufs * WAIT_LEND_MAX);
    reg.ring_addr = (unsigned long)br;
    reg.ring_entries = l->nbufs;
    reg.bgid = URING_BGID;
    if (!l->bufs || io_uring_register_buf_ring(&l->ring, &reg, 0) != 0) {
        free(br);
        free(l->bufs);
        l->bufs = NULL;
        return;
    }
    l->br = br;
    io_uring_buf_ring_init(l->br);
    for (unsigned i = 0; i < l->nbufs; i++)
        io_uring_buf_ring_add(l->br, l->bufs + (size_t)i * WAIT_LEND_MAX, WAIT_LEND_MAX,
                              (unsigned short)i, io_uring_buf_ring_mask(l->nbufs), (int)i);
    io_uring_buf_ring_advance(l->br, (int)l->nbufs);
}

/* Deal tasks round-robin: ring k owns tasks k, k+L, k+2L... */
static int uring_setup_loop(struct uring_loop *l, struct run *r, long k, long loops)
{
    const struct uring_params *p = r->model_params;
    l->run = r;
    l->count = loop_task_count(r, k, loops);
    l->active = l->count;
    l->tasks = calloc((size_t)l->count, sizeof *l->tasks);
    if (!l->tasks) {
        fprintf(stderr, "cbench: out of memory for the %ld tasks of ring %ld\n", l->count, k + 1);
        snprintf(r->note, sizeof r->note, "out of memory");
        return 1;
    }
    int err = uring_setup_ring(&l->ring, p, l->count + r->shared->spawn_limit);
    if (err < 0) {
        fprintf(stderr, "cbench: uring: cannot create ring %ld: %s (%s)\n", k + 1, strerror(-err),
                uring_advice(-err));
        snprintf(r->note, sizeof r->note, "io_uring unavailable: %s", strerror(-err));
        return 1;
    }
    l->ring_ready = true;
    uring_setup_buffers(l);
    l->scratch = malloc(WAIT_LEND_MAX);
    if (!l->scratch) {
        fprintf(stderr, "cbench: out of memory for ring %ld\n", k + 1);
        snprintf(r->note, sizeof r->note, "out of memory");
        return 1;
    }
    for (long j = 0; j < l->count; j++)
        l->tasks[j].task = loop_task(r, k, j, loops);
    return 0;
}

static int uring_run(struct run *r)
{
    const struct uring_params *p = r->model_params;
    long n = p->loops;
    struct uring_loop *loops = calloc((size_t)n, sizeof *loops);
    if (!loops) {
        fprintf(stderr, "cbench: out of memory\n");
        return 1;
    }
    int status = 0;
    for (long k = 0; k < n && status == 0; k++)
        status = uring_setup_loop(&loops[k], r, k, n);
    if (status == 0) {
        r->workers_started = n;
        r->kernel_tasks = n > 1 ? n : 0;   /* one ring runs in this thread */
        status = run_loop_threads(loops, sizeof *loops, n, uring_loop_run, r, "ring");
        uint64_t enters = 0;
        for (long k = 0; k < n; k++)
            enters += loops[k].enters;
        r->syscalls += enters;
        snprintf(r->note, sizeof r->note, "%ld ring%s of %ld entries%s; %llu io_uring_enter calls",
                 n, n > 1 ? "s" : "", p->entries, p->sqpoll ? ", sqpoll" : "",
                 (unsigned long long)enters);
    }
    for (long k = 0; k < n; k++) {
        if (loops[k].ring_ready)
            io_uring_queue_exit(&loops[k].ring);
        free(loops[k].br);
        free(loops[k].bufs);
        free(loops[k].scratch);
        for (long j = 0; loops[k].tasks && j < loops[k].count; j++)
            free(loops[k].tasks[j].lend);
        free(loops[k].tasks);
    }
    free(loops);
    return status;
}

/* spawn --bare: n NOP submissions through one ring, submitted in batches
 * and reaped: what an uring task costs to start and finish. */
int uring_bare_spawn(long n, double us[2])
{
    struct io_uring ring;
    struct uring_params p = uring_defaults;
    p.entries = n < 4096 ? n : 4096;
    int64_t t0 = clock_now_ns();
    int err = uring_setup_ring(&ring, &p, p.entries);
    if (err < 0) {
        fprintf(stderr, "cbench: spawn --bare: uring: %s (%s)\n", strerror(-err), uring_advice(-err));
        return -1;
    }
    if ((err = uring_enable(&ring)) < 0) {
        fprintf(stderr, "cbench: spawn --bare: uring: %s\n", strerror(-err));
        io_uring_queue_exit(&ring);
        return -1;
    }
    for (long done = 0; done < n;) {
        long batch = n - done < p.entries ? n - done : p.entries;
        for (long i = 0; i < batch; i++)
            io_uring_prep_nop(io_uring_get_sqe(&ring));
        io_uring_submit_and_wait(&ring, (unsigned)batch);
        io_uring_cq_advance(&ring, (unsigned)batch);
        done += batch;
    }
    io_uring_queue_exit(&ring);
    us[0] = (double)(clock_now_ns() - t0) / 1e3 / (double)n;
    us[1] = 0;
    return 0;
}

const struct model model_uring = {
    .name = "uring",
    .summary = "one io_uring per loop (or --loops L in L threads); waits become submissions",
    .options = uring_options,
    .params_size = sizeof(struct uring_params),
    .params_default = &uring_defaults,
    .traits = { .runs = RUNS_ALL, .nonblocking = true, .spawns = true },
    .available = uring_probe,
    .check = uring_check,
    .run = uring_run,
};
