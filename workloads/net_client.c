/* net_client.c - one connection of the net workload, as a task's step():
 * connect, then send a request, receive its response (net_response.c),
 * and again, --requests times (closed loop) or on the open loop's
 * schedule (--rate: every connection waits at a start barrier, then sends
 * request j of the run j / rate seconds after it). A failed request ends
 * the connection: net_fail counts it by cause and reports the run's first.
 *
 * Options come from t->params, the run's state from t->run: both
 * read-only here; what tasks change together (error counts, the barrier,
 * the histograms) lives in the shared memory the run state points to.
 */
#include "net_internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- open loop: the start barrier ----------------------------------------- */

/* The task is open (or has failed, or has nothing to send): once every
 * task is, the last one starts the schedule for all. Idempotent, so that
 * every path a task can leave by arrives exactly once. */
static void net_arrive(struct task *t, struct net_state *s)
{
    const struct net_run *r = t->run;
    if (!net_open_loop(t->params) || s->arrived)
        return;
    s->arrived = true;
    if (atomic_fetch_add(&r->open_loop->arrived, 1) + 1 < r->tasks)
        return;
    atomic_store(&r->open_loop->epoch_ns, clock_now_ns());
    uint64_t one = 1;   /* never read: readable for every waiter from now on */
    if (write(r->start_fd, &one, sizeof one) < 0)
        perror("cbench: net: start barrier");   /* the waiters' deadline ends them */
}

/* The schedule's start, or 0 while some connection is not open yet. */
static int64_t net_started(const struct net_run *r)
{
    return atomic_load(&r->open_loop->epoch_ns);
}

/* ---- errors ---------------------------------------------------------- */

static void net_close(struct net_state *s)
{
    close(s->fd);
    s->fd = -1;
}

/* Thousands of tasks failing the same way would print thousands of lines:
 * report the first failure of the run (across fork's processes too, hence
 * the shared flag) and count the rest in `errors`, by cause. */
void net_fail(struct task *t, struct net_state *s, enum net_cause cause, const char *fmt, ...)
{
    const struct net_run *r = t->run;
    atomic_fetch_add(&r->shared->count[cause], 1);
    if (atomic_exchange(&r->shared->reported, 1) == 0) {
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        fprintf(stderr, "cbench: net: task %d, %s: %s: %s (further errors are only counted)\n",
                t->id, r->target.name, net_cause_names[cause], what);
    }
    t->errors++;
    t->deadline_ns = 0;
    if (s->fd >= 0)
        net_close(s);
    net_arrive(t, s);   /* a connection that failed holds no one at the start */
}

bool net_expired(const struct task *t)
{
    return t->deadline_ns && clock_now_ns() >= t->deadline_ns;
}

struct wait net_timeout(struct task *t, struct net_state *s, const char *waiting)
{
    const struct net_run *r = t->run;
    net_fail(t, s, NET_TIMEOUT, "%s within %lld ms", waiting, (long long)(r->timeout_ns / 1000000));
    return wait_done();
}

/* ---- connecting ------------------------------------------------------ */

static struct wait net_connect(struct task *t, struct net_state *s)
{
    const struct net_run *r = t->run;
    s->fd = socket(r->target.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        net_fail(t, s, NET_OTHER, "socket(): %s", strerror(errno));
        return wait_done();
    }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    task_prepare_fd(t, s->fd);
    if (!t->nonblocking)
        net_bound_blocking(s->fd, r->timeout_ns);
    t->deadline_ns = clock_now_ns() + r->timeout_ns;   /* to connect */
    s->phase = NET_CONNECTING;
    return wait_connect(s->fd, &r->target.addr, r->target.addr_len);
}

/* The last connection to open starts the steady phase: snapshot how many
 * requests were answered before it. Only when every connection runs at
 * once (a model that runs fewer opens connections all along). */
static void net_count_connected(const struct net_run *r, int64_t now_ns)
{
    if (r->concurrency < r->tasks)
        return;
    steady_connected(&r->shared->steady, r->tasks, now_ns);
}

static bool net_connected(struct task *t, struct net_state *s)
{
    int64_t res = t->io_result;
    if (net_not_done(res) || res == -EINPROGRESS || res == -EALREADY) {
        net_timeout(t, s, "connect did not complete");
        return false;
    }
    if (res < 0) {
        net_fail(t, s, res == -ECONNRESET ? NET_RESET : NET_OTHER, "connect: %s", strerror((int)-res));
        return false;
    }
    t->mark_ns = clock_now_ns();
    net_count_connected(t->run, t->mark_ns);
    return true;
}

/* ---- sending --------------------------------------------------------- */

/* The request, whole or its rest. Its latency is timed from its first
 * send (closed loop) or from when it was due (open loop: corrected). */
static struct wait net_send(struct task *t, struct net_state *s)
{
    const struct net_run *r = t->run;
    if (s->sent == 0) {
        task_op_begin(t);
        s->sent_ns = t->op_start_ns;
        if (net_open_loop(t->params))
            t->op_start_ns = s->intended_ns;
        t->deadline_ns = s->sent_ns + r->timeout_ns;
    }
    s->phase = NET_SENDING;
    int odd = (int)(s->done % 2);
    return wait_send(s->fd, r->request[odd] + s->sent, r->request_len[odd] - s->sent);
}

/* The request has gone out (whole or in part). */
static struct wait net_sent(struct task *t, struct net_state *s)
{
    const struct net_run *r = t->run;
    int64_t res = t->io_result;
    if (net_not_done(res))
        return net_expired(t) ? net_timeout(t, s, "request not sent") : net_send(t, s);
    if (res < 0) {
        net_fail(t, s, res == -ECONNRESET || res == -EPIPE ? NET_RESET : NET_OTHER,
                 "send: %s", strerror((int)-res));
        return wait_done();
    }
    s->sent += (size_t)res;
    if (s->sent < r->request_len[s->done % 2])
        return net_send(t, s);
    net_response_expect(s, net_bytes_asked(t->params, s->done));
    s->phase = NET_RECV;
    /* the response cannot be there yet: an event loop waits first */
    return wait_poll_first(wait_recv(s->fd, NULL, NET_RECV_BUFFER));
}

/* ---- open loop: the schedule --------------------------------------------- */

/* Open loop: the next request at its intended time. Early: wait for it (a
 * timer may also end early under some model: then simply wait again).
 * Late: send at once, never skip. Past the schedule's end and its grace:
 * the model fell too far behind; the rest stays unsent. */
static struct wait net_schedule(struct task *t, struct net_state *s)
{
    const struct net_run *r = t->run;
    uint64_t j = (uint64_t)t->id + (uint64_t)s->done * (uint64_t)r->tasks;   /* of the run */
    int64_t now = clock_now_ns();
    s->intended_ns = s->epoch_ns + (int64_t)((double)j * r->slot_ns);
    t->deadline_ns = 0;   /* no request is out while the connection waits */
    if (now < s->intended_ns) {
        s->phase = NET_SCHEDULE;
        return wait_timer((double)(s->intended_ns - now) / 1e9);
    }
    if (now >= s->epoch_ns + r->duration_ns + r->grace_ns) {
        net_close(s);
        return wait_done();
    }
    return net_send(t, s);
}

/* Open loop: wait at the start barrier until every connection is open.
 * An event loop (or a blocking model under --fail-task) waits for the
 * eventfd and steps again; a blocking model serves WAIT_READ by stepping
 * at once (its next call blocks), so here the step itself blocks in poll(),
 * as its recv() would. Bounded by --timeout-ms like a request. */
static struct wait net_start(struct task *t, struct net_state *s)
{
    const struct net_run *r = t->run;
    if (s->phase != NET_START) {
        s->phase = NET_START;
        t->deadline_ns = clock_now_ns() + r->timeout_ns;
    }
    int64_t left = t->deadline_ns - clock_now_ns();
    if (!net_started(r) && !t->nonblocking && left > 0) {
        struct pollfd pfd = { .fd = r->start_fd, .events = POLLIN };
        poll(&pfd, 1, (int)((left + 999999) / 1000000));
    }
    s->epoch_ns = net_started(r);
    if (s->epoch_ns) {
        t->deadline_ns = 0;
        return net_schedule(t, s);
    }
    if (net_expired(t))
        return net_timeout(t, s, "the other connections did not open");
    return wait_read(r->start_fd);
}

/* Open loop: before connecting, what the schedule holds for this
 * connection, and its checksum, which must not depend on timing: the
 * requests scheduled and the body each response must carry. */
static bool net_open_loop_begin(struct task *t, struct net_state *s)
{
    const struct net_run *r = t->run;
    s->scheduled = net_schedule_of(r->scheduled, r->tasks, t->id);
    t->checksum = checksum_mix(s->scheduled, r->body_hash[0]);
    return s->scheduled > 0;
}

/* Open loop: the response's uncorrected latency and the request's lag. */
static void net_open_loop_record(const struct net_run *r, const struct net_state *s)
{
    int64_t now = clock_now_ns();
    histogram_record(&r->open_loop->uncorrected, (uint64_t)(now - s->sent_ns));
    histogram_record(&r->open_loop->lag, (uint64_t)(s->sent_ns - s->intended_ns));
}

/* ---- receiving -------------------------------------------------------- */

/* The next request: at once (closed loop) or on the schedule. */
static struct wait net_next(struct task *t, struct net_state *s)
{
    s->sent = 0;
    return net_open_loop(t->params) ? net_schedule(t, s) : net_send(t, s);
}

/* A response checked (net_response.c): record it, go on to the next
 * request, or close once the connection has made its last. */
static struct wait net_answered(struct task *t, struct net_state *s)
{
    const struct net_options *o = t->params;
    const struct net_run *r = t->run;
    task_op_end(t);
    steady_answered(&r->shared->steady);
    t->deadline_ns = 0;
    if (net_open_loop(o))
        net_open_loop_record(r, s);
    else
        t->checksum = checksum_mix(t->checksum, s->body_sum);
    if ((uint64_t)++s->done == (net_open_loop(o) ? s->scheduled : (uint64_t)o->requests)) {
        net_close(s);
        return wait_done();
    }
    return net_next(t, s);
}

static struct wait net_received(struct task *t, struct net_state *s)
{
    switch (net_response_read(t, s)) {
    case NET_READ_MORE:
        return wait_recv(s->fd, NULL, NET_RECV_BUFFER);
    case NET_READ_ANSWERED:
        return net_answered(t, s);
    case NET_READ_FAILED:
        break;
    }
    return wait_done();
}

/* ---- the state machine ----------------------------------------------- */

struct wait net_step(struct task *t)
{
    struct net_state *s = t->state;
    bool open_loop = net_open_loop(t->params);
    switch (s->phase) {
    case NET_CONNECT:
        if (open_loop && !net_open_loop_begin(t, s)) {
            s->fd = -1;   /* nothing scheduled: no connection */
            net_arrive(t, s);
            return wait_done();
        }
        return net_connect(t, s);
    case NET_CONNECTING:
        if (!net_connected(t, s))
            return wait_done();
        if (open_loop) {
            net_arrive(t, s);
            return net_start(t, s);
        }
        return net_send(t, s);
    case NET_START:
        return net_start(t, s);
    case NET_SCHEDULE:
        return net_schedule(t, s);
    case NET_SENDING:
        return net_sent(t, s);
    case NET_RECV:
        return net_received(t, s);
    }
    return wait_done();
}

void net_task_cleanup(struct task *t)
{
    struct net_state *s = t->state;
    net_arrive(t, s);   /* (cancelled before it opened) */
    /* Started tasks only (task_finish): step() has set fd, and 0 is a real
     * descriptor when stdin is closed. */
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    t->deadline_ns = 0;
}
