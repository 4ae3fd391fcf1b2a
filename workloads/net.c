/* net.c - I/O-bound work: each task opens one HTTP/1.1 keep-alive
 * connection and makes --requests sequential requests for a body of
 * --bytes after a server-side delay of --delay-ms.
 *
 * By default cbench starts its own server (`cbench serve`, as a child
 * process on 127.0.0.1 with an ephemeral port) and stops it afterwards;
 * --connect HOST:PORT targets one already running. Responses are parsed with
 * libhttp-parser (as wrk does); status and Content-Length are checked, the
 * body is folded into the checksum and every request's latency (first byte
 * sent to last byte received) is recorded. A refused, reset or short
 * connection counts as an error and ends that task.
 *
 * Every wait is bounded: a request (connecting included) that has not got
 * its whole response --timeout-ms after it began is an error, and so is a
 * response larger than asked for (a Content-Length or more bytes than
 * --bytes plus NET_HEADER_ROOM). Event loops step a task again once its
 * deadline (task->deadline_ns) passes; blocking fds get SO_RCVTIMEO and
 * SO_SNDTIMEO, so that recv() and connect() themselves return.
 *
 * A response to a delayed request (--delay-ms > 0) that arrives sooner
 * than the delay is an error too ("early"): a server that did not wait,
 * so the run did not do the work it claims.
 *
 * A response must be the answer to the request just sent, not a copy of an
 * earlier answer or one sent before it was asked: the body size asked for
 * alternates, --bytes for a connection's even requests and one byte more
 * for its odd ones (net_bytes_asked), so an answer shifted by one request
 * has the wrong length ("mismatch"). Any extra response shifts every later
 * one, so it is caught at the next request; only one that takes the place
 * of a connection's last answer goes unseen (waiting for strays after it
 * would cost every run that time).
 *
 * Open loop (--rate R --duration S): requests are sent on a schedule, not
 * when the previous answer came (closed loop, the default). Request j of
 * the run (j = 0, 1, 2...) is due j / R seconds into it, and goes to
 * connection j mod N, so each connection sends every N / R seconds, the
 * connections staggered by 1 / R. The schedule starts once every
 * connection is open (a start barrier: the last to open writes an eventfd
 * every other waits on with WAIT_READ), so that every connection sends
 * over the same S seconds, however long a model took to create its workers
 * (that is in connect_ms). A connection early for its next request waits with WAIT_TIMER
 * (blocking models sleep, event loops arm a timer); one that is behind
 * sends at once, and never skips a request: that is what makes the
 * correction honest. Each request is timed from its intended send time
 * (corrected: the latency samples, so lat_* are corrected) and from its
 * actual send (uncorrected), and its lag (actual - intended send) is
 * recorded; the last two go to histograms (lib/histogram.h) shared by
 * every task, whatever the model (MAP_SHARED, atomic), so memory does not
 * grow with the connections. The schedule holds ceil(R x S) requests; a
 * connection still behind it NET_GRACE of S after its end sends no more, so
 * a run far beyond capacity ends on time, and what it left unsent shows as
 * achieved_req_per_s (completed requests / S) below offered_req_per_s.
 * Equal work in an open-loop run: how many requests complete depends on
 * the model's speed, so the checksum folds what is fixed - each
 * connection's scheduled requests and the body every response must carry
 * (cbench serve's pattern; a response with any other body is an error) -
 * and the work done is the measured result (ops, achieved_req_per_s). All
 * connections must run at once for the schedule to mean anything, so a
 * model that runs fewer at once (serial with -n > 1, a -w pool smaller
 * than -n) is refused (exit 2).
 *
 * Metrics: delay_ms, requests, connect_ms, steady_s and steady_req_per_s
 * (the requests answered in the steady phase over its length: when every
 * connection runs at once, from the moment the last one is open to the
 * end, counting only what was answered in it; otherwise the wall time less
 * connect_ms, and every request). connect_ms is
 * the setup phase inside the run: when every task runs at once, from the
 * start of the model's run until the last connection was open (creating
 * workers and connecting); when the model runs fewer at once (serial, a
 * pool), connections open one after another between requests, so it is the
 * time tasks spent connecting, summed, over the tasks run at once. An
 * open-loop run adds offered_req_per_s, achieved_req_per_s, saturated (1
 * when achieved < 95 % of offered), uncorrected_p50/p90/p99/p999/max_us
 * and lag_p50/p99/max_us; its requests is the mean scheduled per
 * connection. */
#include "workload.h"
#include "../lib/fnv.h"
#include "../lib/histogram.h"
#include "../lib/steady_phase.h"
#include "../server/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define NET_RECV_BUFFER WAIT_LEND_MAX   /* lent by the model (WAIT_RECV) */
#define NET_HEADER_ROOM 16384   /* response bytes allowed beyond --bytes */
#define NET_GRACE 0.1           /* open loop: a connection this share of --duration
                                   behind the schedule's end sends no more */
#define NET_SATURATED 0.95      /* achieved below this share of offered */
/* A task's stack on a thread of its own: the model lends its receive
 * buffer (NET_RECV_BUFFER, 16 KiB) on the stack, and the parser and the
 * calls below it need about 5 KiB more (21 KiB was the least that ran,
 * -O2, x86-64). The rest is room for -O0, sanitizers and other compilers. */
#define NET_MIN_STACK_KIB 32

/* Why a request failed: counted per cause, named in the note. */
enum net_cause { NET_TIMEOUT, NET_TOO_LARGE, NET_RESET, NET_CLOSED, NET_MALFORMED, NET_EARLY,
                 NET_MISMATCH, NET_OTHER, NET_CAUSES };
static const char *const net_cause_names[NET_CAUSES] = {
    "timeout", "too large", "reset", "closed", "malformed", "early", "mismatch", "other",
};

/* MAP_SHARED, so that fork's workers count too. */
struct net_shared {
    atomic_int reported;              /* the first error has been printed */
    atomic_uint count[NET_CAUSES];
    struct steady_phase steady;       /* closed loop, every connection at once */
};

/* Open loop: every task records here (MAP_SHARED, atomic), in ns. */
struct net_open_loop {
    struct histogram uncorrected;     /* actual send -> response */
    struct histogram lag;             /* intended send -> actual send */
    atomic_long arrived;              /* tasks at the start barrier */
    atomic_llong epoch_ns;            /* when the last arrived: the schedule's
                                         start (0 until then) */
};

/* The open loop's figures, read from the histograms at teardown, µs. */
struct net_open_figures {
    double uncorrected_p50, uncorrected_p90, uncorrected_p99, uncorrected_p999, uncorrected_max;
    double lag_p50, lag_p99, lag_max;
};

struct net_params {
    long delay_ms, requests, bytes, server_loops;
    long timeout_ms;            /* per request; 0: 10 s + the delay */
    const char *connect;        /* HOST:PORT, or NULL to start our own server */
    double rate;                /* --rate: requests/s in all; 0: closed loop */
    double duration;            /* --duration: seconds of the schedule; 0: none */
    /* Filled by setup: */
    long tasks, concurrency;    /* for connect_ms */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char target[80];            /* "127.0.0.1:34567", for messages */
    char request[2][160];       /* even and odd requests (net_bytes_asked) */
    size_t request_len[2];
    pid_t server_pid;           /* our own server, or 0 */
    int64_t timeout_ns;         /* --timeout-ms resolved */
    struct net_shared *shared;  /* MAP_SHARED: errors by cause */
    unsigned errors[NET_CAUSES];/* copied from `shared` at teardown, for the note */
    struct steady_result steady;   /* copied from `shared` at teardown */
    /* Open loop (rate > 0), filled by setup: */
    double slot_ns;             /* between request j and j + 1 of the run: 1e9 / rate */
    int64_t duration_ns, grace_ns;
    uint64_t scheduled;         /* requests in the schedule: ceil(rate x duration) */
    uint64_t body_hash[2];      /* FNV-1a of the body the even and odd
                                   responses must carry */
    struct net_open_loop *open_loop;   /* MAP_SHARED histograms, the barrier */
    int start_fd;               /* eventfd: readable once the schedule starts */
    struct net_open_figures figures;   /* read from them at teardown */
};

enum net_phase { NET_CONNECT, NET_CONNECTING, NET_START, NET_SCHEDULE, NET_SENDING, NET_RECV };

struct net_state {
    int fd;
    enum net_phase phase;
    long done;                  /* requests completed */
    size_t sent;                /* bytes of the current request sent */
    bool complete;              /* the current response is complete */
    uint64_t body_sum;          /* FNV-1a of the current body */
    uint64_t body_len;
    uint64_t received;          /* bytes of the current response so far */
    long asked;                 /* the body size the current request asks */
    bool wrong_length;          /* its Content-Length is not what was asked */
    int64_t sent_ns;            /* when the current request began to go out */
    /* Open loop: */
    uint64_t scheduled;         /* requests this connection's schedule holds */
    bool arrived;               /* it has reached the start barrier */
    int64_t epoch_ns;           /* the schedule's start: every connection open */
    int64_t intended_ns;        /* when the current request was due */
    const struct net_params *params;
    http_parser parser;
};

static const struct net_params net_defaults = {
    .delay_ms = 0, .requests = 10, .bytes = 1024, .server_loops = 0, .start_fd = -1,
};

static const struct opt_spec net_options[] = {
    { "delay-ms", 0, OPT_INT, offsetof(struct net_params, delay_ms), 0, HTTP_SERVER_MAX_DELAY_MS,
      "server-side delay per request in ms (default 0: fast I/O)" },
    { "requests", 0, OPT_INT, offsetof(struct net_params, requests), 1, 1000000,
      "sequential requests per connection, closed loop (default 10)" },
    { "bytes", 0, OPT_INT, offsetof(struct net_params, bytes), 0, HTTP_SERVER_MAX_BYTES,
      "response body size in bytes (default 1024)" },
    { "connect", 0, OPT_STRING, offsetof(struct net_params, connect), 0, 0,
      "HOST:PORT of a running HTTP/1.1 server (default: start cbench serve)" },
    { "server-loops", 0, OPT_INT, offsetof(struct net_params, server_loops), 0, 64,
      "event loops of the server cbench starts (default 0: one per core)" },
    { "timeout-ms", 0, OPT_INT, offsetof(struct net_params, timeout_ms), 0, 3600000,
      "a request (connect included) failing after N ms (default 0: 10000 + --delay-ms)" },
    { "rate", 0, OPT_DOUBLE, offsetof(struct net_params, rate), 0.001, 1000000,
      "open loop: N requests/s over all connections, timed from when each was due; "
      "needs --duration (default: closed loop)" },
    { "duration", 0, OPT_DOUBLE, offsetof(struct net_params, duration), 0.001, 3600,
      "with --rate: the schedule lasts N s (instead of --requests)" },
    OPT_END,
};

static long net_default_tasks(void)
{
    return 10;
}

/* Open loop: the requests of the whole schedule, ceil(rate x duration)
 * (a hair less than the product first, so that 0.1 x 30 is 3, not 4). */
static uint64_t net_schedule_total(const struct net_params *p)
{
    double total = p->rate * p->duration;
    return (uint64_t)ceil(total - total * 1e-12);
}

/* ... and of connection `id` of `tasks`: requests id, id + tasks, ... */
static uint64_t net_schedule_of(uint64_t total, long tasks, long id)
{
    return total > (uint64_t)id ? (total - (uint64_t)id - 1) / (uint64_t)tasks + 1 : 0;
}

/* The body size request `k` of a connection asks for: --bytes when k is
 * even, one byte more when odd (one less at the largest size the server
 * sends), so that an answer to the request before or after has the wrong
 * length. Deterministic: the checksum is the same under every model. */
static long net_bytes_asked(const struct net_params *p, long k)
{
    if (k % 2 == 0)
        return p->bytes;
    return p->bytes < HTTP_SERVER_MAX_BYTES ? p->bytes + 1 : p->bytes - 1;
}

static uint32_t net_latency_per_task(const void *params, long tasks)
{
    const struct net_params *p = params;
    if (p->rate <= 0)
        return (uint32_t)p->requests;
    uint64_t most = net_schedule_of(net_schedule_total(p), tasks, 0);   /* connection 0's */
    return most > UINT32_MAX ? UINT32_MAX : (uint32_t)most;
}

/* ---- open loop: the start barrier ----------------------------------------- */

/* The task is open (or has failed, or has nothing to send): once every
 * task is, the last one starts the schedule for all. Idempotent, so that
 * every path a task can leave by arrives exactly once. */
static void net_arrive(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    if (p->rate <= 0 || s->arrived)
        return;
    s->arrived = true;
    if (atomic_fetch_add(&p->open_loop->arrived, 1) + 1 < p->tasks)
        return;
    atomic_store(&p->open_loop->epoch_ns, clock_now_ns());
    uint64_t one = 1;   /* never read: readable for every waiter from now on */
    if (write(p->start_fd, &one, sizeof one) < 0)
        perror("cbench: net: start barrier");   /* the waiters' deadline ends them */
}

/* The schedule's start, or 0 while some connection is not open yet. */
static int64_t net_started(const struct net_params *p)
{
    return atomic_load(&p->open_loop->epoch_ns);
}

/* ---- errors ---------------------------------------------------------- */

/* Thousands of tasks failing the same way would print thousands of lines:
 * report the first failure of the run (across fork's processes too, hence
 * the shared flag) and count the rest in `errors`, by cause. */
static void net_fail(struct task *t, struct net_state *s, enum net_cause cause, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void net_fail(struct task *t, struct net_state *s, enum net_cause cause, const char *fmt, ...)
{
    const struct net_params *p = t->run;
    atomic_fetch_add(&p->shared->count[cause], 1);
    if (atomic_exchange(&p->shared->reported, 1) == 0) {
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        fprintf(stderr, "cbench: net: task %d, %s: %s: %s (further errors are only counted)\n",
                t->id, p->target, net_cause_names[cause], what);
    }
    t->errors++;
    t->deadline_ns = 0;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    net_arrive(t, s);   /* a connection that failed holds no one at the start */
}

/* The request's deadline has passed: the caller fails it. */
static bool net_expired(const struct task *t)
{
    return t->deadline_ns && clock_now_ns() >= t->deadline_ns;
}

static struct wait net_timeout(struct task *t, struct net_state *s, const char *waiting)
{
    const struct net_params *p = t->run;
    net_fail(t, s, NET_TIMEOUT, "%s within %lld ms", waiting, (long long)(p->timeout_ns / 1000000));
    return wait_done();
}

/* ---- response parsing (libhttp-parser callbacks) ----------------------- */

static int net_on_body(http_parser *parser, const char *at, size_t length)
{
    struct net_state *s = parser->data;
    s->body_sum = fnv1a(s->body_sum, at, length);
    s->body_len += length;
    return 0;
}

/* A Content-Length other than what was asked is refused before its body
 * (a terabyte, or the answer to another request). */
static int net_on_headers_complete(http_parser *parser)
{
    struct net_state *s = parser->data;
    if (parser->content_length != ULLONG_MAX && parser->content_length != (uint64_t)s->asked) {
        s->wrong_length = true;
        return -1;   /* an error (HPE_CB_headers_complete); 1 would mean "no body" */
    }
    return 0;
}

static int net_on_message_complete(http_parser *parser)
{
    struct net_state *s = parser->data;
    s->complete = true;
    http_parser_pause(parser, 1);   /* anything after the response is an error */
    return 0;
}

static const http_parser_settings net_parser_settings = {
    .on_headers_complete = net_on_headers_complete,
    .on_body = net_on_body,
    .on_message_complete = net_on_message_complete,
};

/* ---- the task's state machine --------------------------------------- */

/* Blocking fds (serial, fork, threads): recv(), send() and connect() return
 * EAGAIN / EINPROGRESS after the timeout instead of blocking for ever. */
static void net_bound_blocking(const struct net_params *p, int fd)
{
    struct timeval tv = { .tv_sec = (time_t)(p->timeout_ns / 1000000000),
                          .tv_usec = (suseconds_t)(p->timeout_ns % 1000000000 / 1000) };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* The task's I/O goes through completion waits (WAIT_CONNECT, WAIT_SEND,
 * WAIT_RECV): the model performs each call and the next step reads
 * t->io_result. A result that says "not done" (-EAGAIN, -ECANCELED: the
 * deadline ended the wait; -EINPROGRESS: a connect not complete) is a
 * timeout once the deadline has passed, else the wait is made again. */
static bool net_not_done(int64_t res)
{
    return res == -EAGAIN || res == -ECANCELED || res == -ETIMEDOUT || res == -EINTR;
}

static struct wait net_connect(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    s->params = p;
    s->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        net_fail(t, s, NET_OTHER, "socket(): %s", strerror(errno));
        return wait_done();
    }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    task_prepare_fd(t, s->fd);
    if (!t->nonblocking)
        net_bound_blocking(p, s->fd);
    t->deadline_ns = clock_now_ns() + p->timeout_ns;   /* to connect */
    s->phase = NET_CONNECTING;
    return wait_connect(s->fd, &p->addr, p->addr_len);
}

/* The last connection to open starts the steady phase: snapshot how many
 * requests were answered before it. Only when every connection runs at
 * once (a model that runs fewer opens connections all along). */
static void net_count_connected(const struct net_params *p, int64_t now_ns)
{
    if (p->concurrency < p->tasks)
        return;
    steady_connected(&p->shared->steady, p->tasks, now_ns);
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

/* The request, whole or its rest. Its latency is timed from its first
 * send (closed loop) or from when it was due (open loop: corrected). */
static struct wait net_send(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    if (s->sent == 0) {
        task_op_begin(t);
        s->sent_ns = t->op_start_ns;
        if (p->rate > 0)
            t->op_start_ns = s->intended_ns;
        t->deadline_ns = s->sent_ns + p->timeout_ns;
    }
    s->phase = NET_SENDING;
    int odd = (int)(s->done % 2);
    return wait_send(s->fd, p->request[odd] + s->sent, p->request_len[odd] - s->sent);
}

static void net_close(struct net_state *s)
{
    close(s->fd);
    s->fd = -1;
}

/* Open loop: the next request at its intended time. Early: wait for it (a
 * timer may also end early under some model: then simply wait again).
 * Late: send at once, never skip. Past the schedule's end and its grace:
 * the model fell too far behind; the rest stays unsent. */
static struct wait net_schedule(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    uint64_t j = (uint64_t)t->id + (uint64_t)s->done * (uint64_t)p->tasks;   /* of the run */
    int64_t now = clock_now_ns();
    s->intended_ns = s->epoch_ns + (int64_t)((double)j * p->slot_ns);
    t->deadline_ns = 0;   /* no request is out while the connection waits */
    if (now < s->intended_ns) {
        s->phase = NET_SCHEDULE;
        return wait_timer((double)(s->intended_ns - now) / 1e9);
    }
    if (now >= s->epoch_ns + p->duration_ns + p->grace_ns) {
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
    const struct net_params *p = t->run;
    if (s->phase != NET_START) {
        s->phase = NET_START;
        t->deadline_ns = clock_now_ns() + p->timeout_ns;
    }
    int64_t left = t->deadline_ns - clock_now_ns();
    if (!net_started(p) && !t->nonblocking && left > 0) {
        struct pollfd pfd = { .fd = p->start_fd, .events = POLLIN };
        poll(&pfd, 1, (int)((left + 999999) / 1000000));
    }
    s->epoch_ns = net_started(p);
    if (s->epoch_ns) {
        t->deadline_ns = 0;
        return net_schedule(t, s);
    }
    if (net_expired(t))
        return net_timeout(t, s, "the other connections did not open");
    return wait_read(p->start_fd);
}

/* The next request: at once (closed loop) or on the schedule. */
static struct wait net_next(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    s->sent = 0;
    return p->rate > 0 ? net_schedule(t, s) : net_send(t, s);
}

/* Open loop: before connecting, what the schedule holds for this
 * connection, and its checksum, which must not depend on timing: the
 * requests scheduled and the body each response must carry. */
static bool net_open_loop_start(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    s->scheduled = net_schedule_of(p->scheduled, p->tasks, t->id);
    t->checksum = checksum_mix(s->scheduled, p->body_hash[0]);
    return s->scheduled > 0;
}

/* Open loop: the response's uncorrected latency and the request's lag. */
static void net_open_loop_record(const struct net_params *p, const struct net_state *s)
{
    int64_t now = clock_now_ns();
    histogram_record(&p->open_loop->uncorrected, (uint64_t)(now - s->sent_ns));
    histogram_record(&p->open_loop->lag, (uint64_t)(s->sent_ns - s->intended_ns));
}

static struct wait net_sent(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    int64_t res = t->io_result;
    if (net_not_done(res))
        return net_expired(t) ? net_timeout(t, s, "request not sent") : net_send(t, s);
    if (res < 0) {
        net_fail(t, s, res == -ECONNRESET || res == -EPIPE ? NET_RESET : NET_OTHER,
                 "send: %s", strerror((int)-res));
        return wait_done();
    }
    s->sent += (size_t)res;
    if (s->sent < p->request_len[s->done % 2])
        return net_send(t, s);
    http_parser_init(&s->parser, HTTP_RESPONSE);
    s->parser.data = s;
    s->complete = false;
    s->asked = net_bytes_asked(p, s->done);
    s->wrong_length = false;
    s->body_sum = FNV1A_OFFSET;
    s->body_len = 0;
    s->received = 0;
    s->phase = NET_RECV;
    /* the response cannot be there yet: an event loop waits first */
    return wait_poll_first(wait_recv(s->fd, NULL, NET_RECV_BUFFER));
}

/* Anything but 200 is an error, named by its status. */
static bool net_status_ok(struct task *t, struct net_state *s)
{
    if (s->parser.status_code == 200)
        return true;
    net_fail(t, s, NET_MALFORMED, "status %u (expected 200)", s->parser.status_code);
    return false;
}

/* A response whose length is not what the request asked: one larger than
 * either size the run asks for is "too large" (a terabyte Content-Length);
 * one of the other size is the answer to another request ("mismatch"). */
static struct wait net_mismatch(struct task *t, struct net_state *s, uint64_t length)
{
    const struct net_params *p = t->run;
    if (s->parser.status_code != 0 && !net_status_ok(t, s))
        return wait_done();   /* a 503 with no body says more than its length */
    long odd = net_bytes_asked(p, 1);
    uint64_t largest = (uint64_t)(p->bytes > odd ? p->bytes : odd);
    if (length > largest)
        net_fail(t, s, NET_TOO_LARGE, "response larger than the %ld bytes asked for "
                 "(%llu bytes, %llu received)", s->asked, (unsigned long long)length,
                 (unsigned long long)s->received);
    else
        net_fail(t, s, NET_MISMATCH, "request %ld of the connection asked for %ld bytes and the "
                 "response has %llu: an answer to another request (a copy, or one sent before "
                 "it was asked)", s->done + 1, s->asked, (unsigned long long)length);
    return wait_done();
}

/* A complete response: check it, record it, go on to the next request. */
static struct wait net_response_done(struct task *t, struct net_state *s)
{
    const struct net_params *p = t->run;
    if (!net_status_ok(t, s))
        return wait_done();
    if (s->body_len != (uint64_t)s->asked)
        return net_mismatch(t, s, s->body_len);
    if (p->delay_ms > 0 && wait_ended_early(s->sent_ns, (double)p->delay_ms / 1e3)) {
        net_fail(t, s, NET_EARLY, "the response came sooner than --delay-ms %ld", p->delay_ms);
        return wait_done();
    }
    if (p->rate > 0 && s->body_sum != p->body_hash[s->done % 2]) {
        net_fail(t, s, NET_MALFORMED, "the body is not the one cbench serve sends for %ld bytes",
                 s->asked);
        return wait_done();
    }
    task_op_end(t);
    steady_answered(&p->shared->steady);
    t->deadline_ns = 0;
    if (p->rate > 0)
        net_open_loop_record(p, s);
    else
        t->checksum = checksum_mix(t->checksum, s->body_sum);
    if ((uint64_t)++s->done == (p->rate > 0 ? s->scheduled : (uint64_t)p->requests)) {
        net_close(s);
        return wait_done();
    }
    return net_next(t, s);
}

/* What one WAIT_RECV brought (t->io_result bytes at t->io_buf). */
static struct wait net_recv(struct task *t, struct net_state *s)
{
    int64_t n = t->io_result;
    if (net_not_done(n))
        return net_expired(t) ? net_timeout(t, s, "no complete response")
                              : wait_recv(s->fd, NULL, NET_RECV_BUFFER);
    if (n == 0) {
        net_fail(t, s, NET_CLOSED, "connection closed by the server after %llu bytes "
                 "of the response", (unsigned long long)s->received);
        return wait_done();
    }
    if (n < 0) {
        net_fail(t, s, n == -ECONNRESET ? NET_RESET : NET_OTHER, "recv: %s", strerror((int)-n));
        return wait_done();
    }
    s->received += (uint64_t)n;
    size_t used = http_parser_execute(&s->parser, &net_parser_settings, t->io_buf, (size_t)n);
    if (s->wrong_length)
        return net_mismatch(t, s, s->parser.content_length);
    if (s->received > (uint64_t)s->asked + NET_HEADER_ROOM)
        return net_mismatch(t, s, s->received);
    if (s->complete && used == (size_t)n)
        return net_response_done(t, s);
    if (s->complete || HTTP_PARSER_ERRNO(&s->parser) != HPE_OK) {
        net_fail(t, s, NET_MALFORMED, "%s", s->complete ? "data after the response"
                 : http_errno_description(HTTP_PARSER_ERRNO(&s->parser)));
        return wait_done();
    }
    if (net_expired(t))   /* a server trickling bytes gets no more time */
        return net_timeout(t, s, "no complete response");
    return wait_recv(s->fd, NULL, NET_RECV_BUFFER);
}

static struct wait net_step(struct task *t)
{
    struct net_state *s = t->state;
    const struct net_params *p = t->run;
    switch (s->phase) {
    case NET_CONNECT:
        if (p->rate > 0 && !net_open_loop_start(t, s)) {
            s->fd = -1;   /* nothing scheduled: no connection */
            net_arrive(t, s);
            return wait_done();
        }
        return net_connect(t, s);
    case NET_CONNECTING:
        if (!net_connected(t, s))
            return wait_done();
        if (p->rate > 0) {
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
        return net_recv(t, s);
    }
    return wait_done();
}

static void net_task_cleanup(struct task *t)
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

/* ---- setup: the server and its address ---------------------------------- */

/* "HOST:PORT" or "[V6HOST]:PORT" -> p->addr. Returns false after a message. */
static bool net_resolve(struct net_params *p, const char *target)
{
    char host[64];
    const char *colon = strrchr(target, ':');
    size_t host_len = colon ? (size_t)(colon - target) : 0;
    if (!colon || host_len == 0 || host_len >= sizeof host || colon[1] == '\0') {
        fprintf(stderr, "cbench: --connect: \"%s\" is not HOST:PORT\n", target);
        return false;
    }
    memcpy(host, target, host_len);
    host[host_len] = '\0';
    if (host[0] == '[' && host[host_len - 1] == ']') {   /* [::1] */
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    long port;
    if (!opt_parse_long("connect", colon + 1, 1, 65535, &port))
        return false;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    int err = getaddrinfo(host, colon + 1, &hints, &ai);
    if (err) {
        fprintf(stderr, "cbench: --connect: cannot resolve \"%s\": %s\n", host, gai_strerror(err));
        return false;
    }
    memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
    p->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    snprintf(p->target, sizeof p->target, "%s", target);
    return true;
}

/* Read the port the server child writes once it listens (5 s at most). */
static long net_read_server_port(int fd)
{
    char buf[16] = { 0 };
    size_t len = 0;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    while (len < sizeof buf - 1 && poll(&pfd, 1, 5000) > 0) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (memchr(buf, '\n', len))
            return strtol(buf, NULL, 10);
    }
    return -1;
}

static void net_stop_server(struct net_params *p)
{
    if (p->server_pid <= 0)
        return;
    kill(p->server_pid, SIGTERM);
    for (int i = 0; i < 200; i++) {          /* up to 2 s for a clean stop */
        if (waitpid(p->server_pid, NULL, WNOHANG) == p->server_pid) {
            p->server_pid = 0;
            return;
        }
        usleep(10000);
    }
    kill(p->server_pid, SIGKILL);
    waitpid(p->server_pid, NULL, 0);
    p->server_pid = 0;
}

/* Our own server runs in a child process, so its CPU time is not the
 * client's; it dies with us (PDEATHSIG) even if we are killed. */
static int net_start_server(struct net_params *p)
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) {
        fprintf(stderr, "cbench: net: pipe: %s\n", strerror(errno));
        return 1;
    }
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        close(ready[0]);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        struct server_config cfg;
        http_server_config_default(&cfg);
        cfg.port = 0;
        /* Every client is a task of this run: one that is slow to send (a
         * process among 10,000 on 2 cores waits seconds for its turn) is
         * what the run measures, not a client to cut off. */
        cfg.idle_timeout_s = 0;
        /* ... and one that finds the server out of descriptors (connections
         * just closed by other tasks not yet released) waits for a slot,
         * which the up-front fd check has made sure there will be. */
        cfg.refuse_when_full = false;
        if (p->server_loops > 0)
            cfg.loops = (int)p->server_loops;
        cfg.ready_fd = ready[1];
        _exit(http_server_run(&cfg));
    }
    close(ready[1]);
    long port = pid > 0 ? net_read_server_port(ready[0]) : -1;
    close(ready[0]);
    if (pid < 0 || port <= 0) {
        fprintf(stderr, "cbench: net: could not start the HTTP server: %s\n",
                pid < 0 ? strerror(errno) : "it did not report a port");
        p->server_pid = pid;
        net_stop_server(p);
        return 1;
    }
    p->server_pid = pid;
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%ld", port);
    return net_resolve(p, target) ? 0 : 1;
}

/* Fail early, with one clear line, when nothing listens at the target. */
static int net_probe(const struct net_params *p)
{
    int fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        net_bound_blocking(p, fd);   /* a full backlog: EINPROGRESS, not minutes */
    int ok = fd >= 0 && connect(fd, (const struct sockaddr *)&p->addr, p->addr_len) == 0;
    int err = errno;
    if (!ok && fd >= 0 && err == EINTR) {
        /* Interrupted (io_uring's task work, when the uring model has just
         * probed for a ring, interrupts a connect bounded by SO_SNDTIMEO):
         * the connect goes on; wait for it within the same bound. */
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        int64_t end = clock_now_ns() + p->timeout_ns;
        int n;
        do
            n = poll(&pfd, 1, (int)((end - clock_now_ns()) / 1000000 > 0 ? (end - clock_now_ns()) / 1000000 : 0));
        while (n < 0 && errno == EINTR);
        socklen_t len = sizeof err;
        if (n == 0)
            err = EINPROGRESS;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        ok = err == 0;
    }
    if (fd >= 0)
        close(fd);
    if (ok)
        return 0;
    if (err == EINPROGRESS)   /* SO_SNDTIMEO expired */
        fprintf(stderr, "cbench: net: cannot connect to %s: timeout: no answer within %lld ms\n",
                p->target, (long long)(p->timeout_ns / 1000000));
    else
        fprintf(stderr, "cbench: net: cannot connect to %s: %s (is the server running?)\n",
                p->target, strerror(err));
    return 1;
}

static void net_teardown(const void *params, void *run);

/* The server cbench starts is a process of its own with the same
 * RLIMIT_NOFILE: it holds a connection for every task running at once, plus
 * its listening socket and each loop's descriptors (about 4, as async.c). */
static int net_check_server_fds(const struct net_params *p, const struct workload_env *env)
{
    long loops = p->server_loops > 0 ? p->server_loops : online_cores();
    long own = loops * 4 + 16, need = env->concurrency + own, fits = env->fd_limit - own;
    if (p->connect || env->fd_limit <= 0 || need <= env->fd_limit)
        return 0;
    fprintf(stderr, "cbench: net: the server cbench starts needs about %ld file descriptors for "
            "%ld connections at once but the limit is %ld (ulimit -n): ", need, env->concurrency,
            env->fd_limit);
    if (fits < 1)
        fprintf(stderr, "raise ulimit -n, or --connect a server started with more\n");
    else
        fprintf(stderr, "use %s %ld or fewer, or --connect a server started with more\n",
                env->concurrency < env->tasks ? "-w" : "-n", fits);
    return 2;
}

/* --rate and --duration make sense together, instead of --requests, and
 * only when every connection runs at once. 0, or 2 after saying why. */
static int net_check_open_loop(const struct net_params *p, const struct workload_env *env)
{
    const char *why = NULL;
    if (p->rate > 0 && p->duration <= 0)
        why = "--rate needs --duration S: how long the schedule runs";
    else if (p->duration > 0 && p->rate <= 0)
        why = "--duration times an open-loop run: give --rate too (a closed-loop run is "
              "sized by --requests)";
    else if (p->rate > 0 && p->requests != net_defaults.requests)
        why = "--requests sizes a closed-loop run; a --rate run lasts --duration";
    if (why) {
        fprintf(stderr, "cbench: net: %s\n", why);
        return 2;
    }
    if (p->rate > 0 && env->concurrency < env->tasks) {
        fprintf(stderr, "cbench: net: --rate spreads its requests over connections that are all "
                "open at once, but %s runs %ld of the %ld connections at a time (use -n %ld, or a "
                "model or -w that runs them all)\n", env->model, env->concurrency, env->tasks,
                env->concurrency);
        return 2;
    }
    return 0;
}

/* Open loop: the schedule and the body every response must carry; the
 * histograms every task records into. 0, or 1 after a message. */
static int net_setup_open_loop(struct net_params *p)
{
    if (p->rate <= 0)
        return 0;
    p->slot_ns = 1e9 / p->rate;
    p->duration_ns = (int64_t)(p->duration * 1e9);
    p->grace_ns = (int64_t)(p->duration * NET_GRACE * 1e9);
    p->scheduled = net_schedule_total(p);
    for (int odd = 0; odd < 2; odd++) {
        uint64_t h = FNV1A_OFFSET;   /* as net_on_body folds it */
        for (long i = 0; i < net_bytes_asked(p, odd); i++)
            h = fnv1a_fold(h, (unsigned char)http_server_body_byte((size_t)i));
        p->body_hash[odd] = h;
    }
    p->open_loop = shared_memory(sizeof *p->open_loop, "net --rate");
    if (!p->open_loop)
        return 1;   /* zeroed: two empty histograms, no one arrived */
    /* non-blocking, as a descriptor every task shares must be (workload.h) */
    p->start_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->start_fd < 0) {
        fprintf(stderr, "cbench: net: --rate: eventfd: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

/* net keeps its options and its per-run state in one struct for now: setup
 * copies the options into the run state, and everything after reads that. */
static int net_setup(const void *params, void *run, const struct workload_env *env)
{
    struct net_params *p = run;
    *p = *(const struct net_params *)params;
    p->tasks = env->tasks;
    p->concurrency = env->concurrency;
    int usage = net_check_open_loop(p, env);
    if (usage != 0)
        return usage;
    if (net_check_server_fds(p, env) != 0)
        return 2;
    p->shared = shared_memory(sizeof *p->shared, "net");
    if (!p->shared)
        return 1;
    if (net_setup_open_loop(p) != 0) {
        net_teardown(params, p);
        return 1;
    }
    memset(p->errors, 0, sizeof p->errors);
    p->timeout_ns = (p->timeout_ms ? p->timeout_ms : 10000 + p->delay_ms) * 1000000LL;
    int status = 0;
    if (p->connect ? !net_resolve(p, p->connect) : net_start_server(p) != 0)
        status = p->connect ? 2 : 1;
    else
        status = net_probe(p);
    if (status != 0) {   /* the run stops here: nothing else would stop our server */
        net_teardown(params, p);
        return status;
    }
    for (int odd = 0; odd < 2; odd++)
        p->request_len[odd] = (size_t)snprintf(p->request[odd], sizeof p->request[odd],
                                               "GET /?delay_ms=%ld&bytes=%ld HTTP/1.1\r\nHost: %s\r\n\r\n",
                                               p->delay_ms, net_bytes_asked(p, odd), p->target);
    return 0;
}

/* The open loop's histograms, ns, as the figures of its metrics, µs. */
static void net_read_open_loop(struct net_params *p)
{
    const struct histogram *u = &p->open_loop->uncorrected, *l = &p->open_loop->lag;
    p->figures = (struct net_open_figures){
        .uncorrected_p50 = (double)histogram_percentile(u, 0.50) / 1e3,
        .uncorrected_p90 = (double)histogram_percentile(u, 0.90) / 1e3,
        .uncorrected_p99 = (double)histogram_percentile(u, 0.99) / 1e3,
        .uncorrected_p999 = (double)histogram_percentile(u, 0.999) / 1e3,
        .uncorrected_max = (double)histogram_max(u) / 1e3,
        .lag_p50 = (double)histogram_percentile(l, 0.50) / 1e3,
        .lag_p99 = (double)histogram_percentile(l, 0.99) / 1e3,
        .lag_max = (double)histogram_max(l) / 1e3,
    };
}

static void net_teardown(const void *params, void *run)
{
    (void)params;
    struct net_params *p = run;
    net_stop_server(p);
    if (p->open_loop) {
        net_read_open_loop(p);
        munmap(p->open_loop, sizeof *p->open_loop);
        p->open_loop = NULL;
    }
    if (p->start_fd >= 0)
        close(p->start_fd);
    p->start_fd = -1;
    if (p->shared) {
        for (int c = 0; c < NET_CAUSES; c++)
            p->errors[c] = atomic_load(&p->shared->count[c]);
        p->steady = steady_result(&p->shared->steady);
        munmap(p->shared, sizeof *p->shared);
    }
    p->shared = NULL;
}

/* "errors: 3 timeout, 1 closed" when requests failed. */
static void net_note(const void *params, const void *run, char *buf, size_t size)
{
    (void)params;
    const struct net_params *p = run;
    size_t len = 0;
    for (int c = 0; c < NET_CAUSES && len < size; c++)
        if (p->errors[c])
            len += (size_t)snprintf(buf + len, size - len, "%s%u %s", len ? ", " : "errors: ",
                                    p->errors[c], net_cause_names[c]);
}

/* Achieved: the requests completed over the schedule's length; short of
 * offered when the model left requests unsent (or failed them). */
static void net_metrics_open_loop(const struct net_params *p, uint64_t ops, char *buf, size_t size)
{
    const struct net_open_figures *f = &p->figures;
    double achieved = (double)ops / p->duration;
    metrics_add(buf, size, "offered_req_per_s", p->rate);
    metrics_add(buf, size, "achieved_req_per_s", achieved);
    metrics_add(buf, size, "saturated", achieved < NET_SATURATED * p->rate);
    metrics_add(buf, size, "uncorrected_p50_us", f->uncorrected_p50);
    metrics_add(buf, size, "uncorrected_p90_us", f->uncorrected_p90);
    metrics_add(buf, size, "uncorrected_p99_us", f->uncorrected_p99);
    metrics_add(buf, size, "uncorrected_p999_us", f->uncorrected_p999);
    metrics_add(buf, size, "uncorrected_max_us", f->uncorrected_max);
    metrics_add(buf, size, "lag_p50_us", f->lag_p50);
    metrics_add(buf, size, "lag_p99_us", f->lag_p99);
    metrics_add(buf, size, "lag_max_us", f->lag_max);
}

static void net_metrics(const void *params, const void *state, const struct workload_run *run,
                        char *buf, size_t size)
{
    (void)params;
    const struct net_params *p = state;
    int64_t connected = run->start_ns, connecting = 0;
    uint64_t ops = 0, syscalls = run->syscalls;
    for (long i = 0; i < run->tasks; i++) {
        const struct task *t = &run->task[i];
        if (t->mark_ns > connected)
            connected = t->mark_ns;
        if (t->mark_ns > 0 && t->started)
            connecting += t->mark_ns - t->first_step_ns;
        ops += t->ops;
        syscalls += t->syscalls;
    }
    double connect_s = (double)(connected - run->start_ns) / 1e9;
    if (p->concurrency < p->tasks)   /* connections opened one after another */
        connect_s = (double)connecting / 1e9 / (double)(p->concurrency > 0 ? p->concurrency : 1);
    double steady_s = (double)(run->end_ns - run->start_ns) / 1e9 - connect_s;
    double steady_ops = (double)ops;
    if (p->concurrency >= p->tasks && p->steady.start_ns > 0) {
        /* every connection at once: only what was answered once the last
         * one was open, over that time (requests answered while others were
         * still connecting would flatter a model that connects slowly) */
        steady_s = (double)(run->end_ns - p->steady.start_ns) / 1e9;
        steady_ops = (double)p->steady.answered;
    }
    metrics_add(buf, size, "delay_ms", (double)p->delay_ms);
    /* requests per connection: asked (closed loop), scheduled on average (open) */
    metrics_add(buf, size, "requests", p->rate > 0 ? (double)p->scheduled / (double)p->tasks
                                                   : (double)p->requests);
    metrics_add(buf, size, "connect_ms", connect_s * 1e3);
    metrics_add(buf, size, "steady_s", steady_s);
    metrics_add(buf, size, "steady_req_per_s", steady_s > 0 ? steady_ops / steady_s : 0);
    /* what serving the waits cost: the model's calls for the tasks' I/O
     * (recv, send, connect) and its own waiting calls (epoll_wait per
     * loop iteration, io_uring_enter), per request */
    metrics_add(buf, size, "syscalls_per_req", ops > 0 ? (double)syscalls / (double)ops : 0);
    if (p->rate > 0)
        net_metrics_open_loop(p, ops, buf, size);
}

const struct workload workload_net = {
    .name = "net",
    .summary = "each task is an HTTP/1.1 keep-alive connection making --requests requests "
               "(or, with --rate, requests on a schedule)",
    .options = net_options,
    .params_size = sizeof(struct net_params),
    .params_default = &net_defaults,
    .run_size = sizeof(struct net_params),
    .default_tasks = net_default_tasks,
    .state_size = sizeof(struct net_state),
    .independent_tasks = true,
    .fds_per_task = 1,
    .min_stack_kib = NET_MIN_STACK_KIB,
    .latency_per_task = net_latency_per_task,
    .setup = net_setup,
    .step = net_step,
    .task_cleanup = net_task_cleanup,
    .teardown = net_teardown,
    .metrics = net_metrics,
    .note = net_note,
};
