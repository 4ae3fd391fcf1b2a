/* http_conn.c - the server's listener and connection tasks (see
 * http_conn.h).
 *
 * A connection answers one request at a time:
 *
 *   READ --request--> [CPU] [DELAY] WRITE --sent--> READ
 *                                         \--close--> DRAIN --EOF--> done
 *
 * Every wait on the client has a deadline (task->deadline_ns): while a
 * request is being read, its first byte plus --header-timeout; between
 * requests, and while an answer is being sent, the last progress plus
 * --idle-timeout (a delayed answer is not silence). Sockets are
 * non-blocking under every model: a blocking model polls them (cancellably,
 * up to the deadline: common.c's task_io_blocking), so that neither a
 * silent client nor the server's stop can hold a thread or a process. */
#include "http_conn.h"
#include "../server/http_listener.h"
#include "../server/http_request.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* The head and the first body bytes leave in one send: a common answer
 * (net's 1,024 and 1,025 bytes) costs one syscall, as the libev server's
 * sendmsg of head and body does. */
#define CONN_INLINE_BODY 1536

enum conn_phase {
    CONN_OPEN, CONN_READ, CONN_READ_DONE, CONN_CPU_DONE, CONN_DELAY_DONE,
    CONN_WRITE, CONN_WRITE_DONE, CONN_DRAIN, CONN_DRAIN_DONE, CONN_CLOSE,
};

struct http_conn {
    struct http_reader req;
    int fd;
    uint8_t phase;                /* enum conn_phase */
    bool close_after;             /* close once the answer is sent */
    bool answered;                /* an answer just left: the next request
                                     cannot be here yet (poll_first) */
    int64_t last_active_ns;       /* the client's last progress */
    int64_t request_start_ns;     /* the first byte of the request being read */
    int64_t linger_end_ns;        /* DRAIN: until then at most */
    struct http_query q;
    char *pending;                /* input after the request being answered */
    uint32_t pending_off, pending_len;
    uint32_t drained;             /* bytes discarded while draining */
    uint32_t out_len;             /* out[]: the head and the body's first bytes */
    uint32_t head_len;
    uint64_t total, sent;         /* the answer's bytes: head + body */
    char out[HTTP_HEAD_MAX + CONN_INLINE_BODY];
};

struct http_listen_task {
    int fd;
    int reserve_fd;               /* given up to refuse a client on EMFILE */
    int waiting_fd;               /* accepted, handed to WAIT_SPAWN */
    bool opened, warned;
};

union http_conn_state {
    struct http_conn conn;
    struct http_listen_task listen;
};

/* ---------------------------------------------------------------- helpers */

static const struct http_conn_run *conn_run_of(const struct task *t)
{
    return t->run;
}

static int64_t after_s(int64_t from_ns, double s)
{
    return s > 0 ? from_ns + (int64_t)(s * 1e9) : 0;
}

static int64_t earliest(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

static bool deadline_passed(const struct task *t)
{
    return t->deadline_ns && clock_now_ns() >= t->deadline_ns;
}

/* The date line per thread (or process): time() at most once a request. */
static const char *conn_date(void)
{
    static _Thread_local time_t sec;
    static _Thread_local char line[48];
    return http_date_line(&sec, line);
}

static void conn_pending_free(struct http_conn *c)
{
    free(c->pending);
    c->pending = NULL;
    c->pending_off = c->pending_len = 0;
}

static bool conn_save_pending(struct http_conn *c, const char *data, size_t len)
{
    return http_pending_save(&c->pending, &c->pending_off, &c->pending_len, data, len);
}

/* ---------------------------------------------------------------- answers */

/* The answer's head (with `text`, an error's body, when given) and its
 * first body bytes into out[]. HEAD: the same head, no body. */
static void conn_prepare(struct http_conn *c, int status, unsigned long body, const char *text)
{
    const http_parser *p = &c->req.parser;
    bool head_only = c->req.method == HTTP_HEAD;
    struct http_head h = {
        .status = status, .content_length = text ? strlen(text) : body, .close = c->close_after,
        .http10_keep_alive = p->http_major == 1 && p->http_minor == 0,
        .error_body = head_only ? NULL : text,
    };
    if (head_only || text)
        body = 0;   /* an error's text is in the head's buffer */
    c->head_len = (uint32_t)http_head_format(c->out, &h, conn_date());
    size_t inline_body = body < CONN_INLINE_BODY ? body : CONN_INLINE_BODY;
    memcpy(c->out + c->head_len, http_body_pattern(), inline_body);
    c->out_len = c->head_len + (uint32_t)inline_body;
    c->total = c->head_len + (uint64_t)body;
    c->sent = 0;
    c->phase = CONN_WRITE;
}

static void conn_prepare_text(struct http_conn *c, int status)
{
    char text[48];
    http_error_body(status, text, sizeof text);
    conn_prepare(c, status, 0, text);
}

/* A request could not be parsed: answer and close, since where the next
 * one would start is unknown. */
static void conn_fail(struct http_conn *c)
{
    c->close_after = true;
    c->req.method = HTTP_GET;   /* the parsed method (if any) is meaningless now */
    conn_pending_free(c);
    conn_prepare_text(c, c->req.too_large ? 431 : 400);
}

/* The request just read: route it; CPU work and the delay come first. */
static struct wait conn_answer(struct http_conn *c)
{
    c->close_after = !c->req.keep_alive;
    int status = http_route(&c->req, &c->q);
    http_reader_url_reset(&c->req);   /* give back a long URL's memory now */
    if (status != 200) {
        conn_prepare_text(c, status);
        return wait_cpu();   /* not a wait: the step goes on (see conn_step) */
    }
    if (c->q.cpu_us > 0) {
        c->phase = CONN_CPU_DONE;
        return wait_cpu();   /* hybrid hands it to its pool, a loop yields first */
    }
    c->phase = CONN_DELAY_DONE;
    return c->q.delay_ms > 0 ? wait_timer((double)c->q.delay_ms / 1000.0) : wait_cpu();
}

/* ---------------------------------------------------------------- reading */

/* What the input gave: the request's answer begun, or more to read. */
static struct wait conn_feed(struct task *t, struct http_conn *c, const char *data, size_t len,
                             bool from_pending)
{
    size_t used;
    bool begun;
    enum feed_result r = http_reader_feed(&c->req, data, len, &used, &begun);
    if (begun)
        c->request_start_ns = clock_now_ns();
    if (from_pending) {
        c->pending_off += (uint32_t)used;
        c->pending_len -= (uint32_t)used;
        if (c->pending_len == 0 || r == FEED_ERROR)
            conn_pending_free(c);
    } else if (r == FEED_REQUEST && !conn_save_pending(c, data + used, len - used)) {
        c->phase = CONN_CLOSE;   /* out of memory: drop this client, keep serving */
        return wait_cpu();
    }
    (void)t;
    if (r == FEED_ERROR) {
        conn_fail(c);
        return wait_cpu();
    }
    if (r == FEED_REQUEST)
        return conn_answer(c);
    c->phase = CONN_READ;
    return wait_cpu();
}

/* Wait for input: the request's deadline, or the idle one. */
static struct wait conn_read(struct task *t, struct http_conn *c)
{
    const struct http_conn_run *run = conn_run_of(t);
    if (c->pending_len)
        return conn_feed(t, c, c->pending + c->pending_off, c->pending_len, true);
    int64_t deadline = after_s(c->last_active_ns, run->cfg.idle_timeout_s);
    if (c->req.request_begun)
        deadline = earliest(deadline, after_s(c->request_start_ns, run->cfg.header_timeout_s));
    t->deadline_ns = deadline;
    c->phase = CONN_READ_DONE;
    struct wait w = wait_recv(c->fd, NULL, HTTP_SERVER_READ_CHUNK);
    /* Right after an answer a closed-loop client is still reading it:
     * wait for readiness first rather than try a recv that fails. */
    if (c->answered)
        w = wait_poll_first(w);
    c->answered = false;
    return w;
}

static struct wait conn_read_done(struct task *t, struct http_conn *c)
{
    int64_t n = t->io_result;
    if (n > 0) {
        c->last_active_ns = clock_now_ns();
        return conn_feed(t, c, t->io_buf, (size_t)n, false);
    }
    bool retry = n == -EAGAIN || n == -EINTR || n == -ECANCELED;
    c->phase = retry && !deadline_passed(t) ? CONN_READ : CONN_CLOSE;   /* EOF, reset, timeout */
    return wait_cpu();
}

/* ---------------------------------------------------------------- writing */

static struct wait conn_write(struct task *t, struct http_conn *c)
{
    const struct http_conn_run *run = conn_run_of(t);
    if (c->sent == c->total) {
        if (c->close_after) {
            conn_pending_free(c);
            shutdown(c->fd, SHUT_WR);
            c->linger_end_ns = after_s(clock_now_ns(), HTTP_SERVER_LINGER_S);
            c->phase = CONN_DRAIN;
        } else {
            c->phase = CONN_READ;
            c->answered = c->pending_len == 0;
        }
        return wait_cpu();
    }
    const char *data;
    size_t len;
    if (c->sent < c->out_len) {
        data = c->out + c->sent;
        len = c->out_len - c->sent;
    } else {
        /* The pattern repeats every 26 bytes: starting at offset
         * body_sent % 26 continues the body exactly where it stopped. */
        uint64_t body_sent = c->sent - c->head_len, left = c->total - c->sent;
        data = http_body_pattern() + body_sent % 26;
        len = left < HTTP_SERVER_BODY_SPAN ? (size_t)left : HTTP_SERVER_BODY_SPAN;
    }
    t->deadline_ns = after_s(c->last_active_ns, run->cfg.idle_timeout_s);
    c->phase = CONN_WRITE_DONE;
    return wait_send(c->fd, data, len);
}

static struct wait conn_write_done(struct task *t, struct http_conn *c)
{
    int64_t n = t->io_result;
    if (n > 0) {
        c->sent += (uint64_t)n;
        c->last_active_ns = clock_now_ns();
        c->phase = CONN_WRITE;
    } else {
        bool retry = n == -EAGAIN || n == -EINTR;
        c->phase = retry && !deadline_passed(t) ? CONN_WRITE : CONN_CLOSE;
    }
    return wait_cpu();
}

/* Closing after an answer: our side is shut down; read until the client
 * closes, because closing with unread input makes the kernel send a reset
 * that can destroy the answer (a 431 to a client still sending headers). */
static struct wait conn_drain(struct task *t, struct http_conn *c)
{
    t->deadline_ns = c->linger_end_ns;
    c->phase = CONN_DRAIN_DONE;
    return wait_recv(c->fd, NULL, HTTP_SERVER_READ_CHUNK);
}

static struct wait conn_drain_done(struct task *t, struct http_conn *c)
{
    int64_t n = t->io_result;
    bool more = n > 0 && (c->drained += (uint32_t)n) <= HTTP_SERVER_DRAIN_MAX;
    bool retry = n == -EAGAIN || n == -EINTR;
    c->phase = (more || retry) && !deadline_passed(t) ? CONN_DRAIN : CONN_CLOSE;
    return wait_cpu();
}

/* ---------------------------------------------------------------- the task */

static void conn_open(struct task *t, struct http_conn *c)
{
    /* accept4 made it non-blocking and close-on-exec; the model learns
     * that a new fd may reuse a watched number (task_prepare_fd's count,
     * without its fcntl calls). */
    t->fds_opened++;
    c->fd = t->spawn_fd;
    http_reader_init(&c->req);
    /* Answers are one send each; Nagle would hold back the next one. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Back-pressure: while more than HTTP_SERVER_MAX_UNSENT bytes of our
     * output wait unsent (a client that does not read), the socket is not
     * writable, the answer stays unfinished and, one answer at a time,
     * nothing more is read from this client. */
    int unsent = HTTP_SERVER_MAX_UNSENT;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &unsent, sizeof unsent);
    c->last_active_ns = clock_now_ns();
    c->phase = CONN_READ;
}

/* One phase after another until one must wait. wait_cpu() from a phase
 * function means "go on" unless the phase is CONN_CPU_DONE (the model
 * decides where the CPU work runs). */
static struct wait conn_step(struct task *t)
{
    struct http_conn *c = t->state;
    for (;;) {
        struct wait w = wait_cpu();
        switch ((enum conn_phase)c->phase) {
        case CONN_OPEN:       conn_open(t, c); continue;
        case CONN_READ:       w = conn_read(t, c); break;
        case CONN_READ_DONE:  w = conn_read_done(t, c); break;
        case CONN_CPU_DONE:
            http_cpu_work(c->q.cpu_us);
            c->phase = CONN_DELAY_DONE;
            if (c->q.delay_ms > 0)
                return wait_timer((double)c->q.delay_ms / 1000.0);
            continue;
        case CONN_DELAY_DONE:
            conn_prepare(c, 200, (unsigned long)c->q.bytes, NULL);
            continue;
        case CONN_WRITE:      w = conn_write(t, c); break;
        case CONN_WRITE_DONE: w = conn_write_done(t, c); break;
        case CONN_DRAIN:      w = conn_drain(t, c); break;
        case CONN_DRAIN_DONE: w = conn_drain_done(t, c); break;
        case CONN_CLOSE:      return wait_done();
        }
        if (w.kind != WAIT_CPU || c->phase == CONN_CPU_DONE)
            return w;
    }
}

/* ---------------------------------------------------------------- listening */

/* A client accepted but not taken (the model's limit, or it could not
 * start a task) is turned away at once: 503, closed. */
static void listen_spawned(struct task *t, struct http_listen_task *l)
{
    if (l->waiting_fd < 0)
        return;
    if (t->io_result != 0)
        http_listener_turn_away(l->waiting_fd);
    l->waiting_fd = -1;
}

/* Out of descriptors: refuse one client with the reserve, else pause. */
static struct wait listen_out_of_fds(struct http_listen_task *l, int err)
{
    if (!l->warned) {
        fprintf(stderr, "cbench serve: accept: %s (%s)\n", strerror(err),
                err == EMFILE && l->reserve_fd >= 0 ? "refusing new clients with 503 until "
                "connections close" : "pausing accepts");
        l->warned = true;
    }
    if (err == EMFILE && http_listener_refuse_one(l->fd, &l->reserve_fd))
        return wait_cpu();   /* go on accepting */
    return wait_timer(HTTP_SERVER_ACCEPT_PAUSE_S);
}

/* How long the client of a just-accepted socket has waited: the time since
 * the last ACK it sent (the handshake's, or its request's), which is its
 * time in the backlog. */
static bool listen_waited_too_long(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
        return false;   /* not TCP (a test's socketpair): no backlog age */
    return info.tcpi_last_ack_recv > HTTP_SERVER_MAX_BACKLOG_MS;
}

static struct wait listen_step(struct task *t)
{
    struct http_listen_task *l = t->state;
    if (!l->opened) {
        l->opened = true;
        l->fd = conn_run_of(t)->listen_fd[t->id];
        l->reserve_fd = http_listener_reserve();
        l->waiting_fd = -1;
    }
    listen_spawned(t, l);
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0 && listen_waited_too_long(fd)) {
            http_listener_turn_away(fd);   /* at once: the crowd is larger than the model's pace */
            atomic_fetch_add_explicit(conn_run_of(t)->late, 1, memory_order_relaxed);
            continue;
        }
        if (fd >= 0) {
            l->waiting_fd = fd;
            return wait_spawn(fd);
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return wait_read(l->fd);
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;   /* that one connection failed, not the socket */
        struct wait w = listen_out_of_fds(l, errno);
        if (w.kind != WAIT_CPU)
            return w;
    }
}

static struct wait http_conn_step(struct task *t)
{
    return t->spawned ? conn_step(t) : listen_step(t);
}

static void http_conn_cleanup(struct task *t)
{
    if (!t->spawned) {
        struct http_listen_task *l = t->state;
        if (l->reserve_fd >= 0)
            close(l->reserve_fd);
        if (l->opened && l->waiting_fd >= 0)
            close(l->waiting_fd);
        return;
    }
    struct http_conn *c = t->state;
    if (c->phase == CONN_OPEN)
        close(t->spawn_fd);   /* cancelled before its first step */
    else
        close(c->fd);
    http_reader_url_reset(&c->req);
    conn_pending_free(c);
}

/* ---------------------------------------------------------------- set-up */

static double clamp_timeout(double s)
{
    return s > 0 && s < HTTP_SERVER_MIN_IDLE_S ? HTTP_SERVER_MIN_IDLE_S : s;
}

static int http_conn_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct http_conn_params *p = params;
    struct http_conn_run *r = run;
    if (env->tasks < 1 || env->tasks > HTTP_CONN_MAX_LISTENERS) {
        fprintf(stderr, "cbench serve: %ld listeners: 1 to %d\n", env->tasks, HTTP_CONN_MAX_LISTENERS);
        return 2;
    }
    r->cfg = *p;
    r->cfg.idle_timeout_s = clamp_timeout(p->idle_timeout_s);
    r->cfg.header_timeout_s = clamp_timeout(p->header_timeout_s);
    r->listeners = env->tasks;
    /* The body pattern is filled now, once: a connection process forked
     * later shares its pages instead of filling 256 KiB of its own. */
    http_body_pattern();
    r->late = mmap(NULL, sizeof *r->late, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r->late == MAP_FAILED) {
        r->late = NULL;
        fprintf(stderr, "cbench serve: out of memory\n");
        return 1;
    }
    atomic_init(r->late, 0);
    r->port = http_listener_open(p->host, (int)p->port, (int)r->listeners, true, r->listen_fd);
    return r->port < 0 ? 1 : 0;
}

long http_conn_late(const struct http_conn_run *r)
{
    return r->late ? atomic_load(r->late) : 0;
}

static void http_conn_teardown(const void *params, void *run)
{
    struct http_conn_run *r = run;
    (void)params;
    for (long i = 0; i < r->listeners; i++)
        close(r->listen_fd[i]);
    r->listeners = 0;
    if (r->late)
        munmap(r->late, sizeof *r->late);
    r->late = NULL;
}

const struct workload http_conn_workload = {
    .name = "http-conn",
    .summary = "cbench serve's listeners and connections",
    .params_size = sizeof(struct http_conn_params),
    .run_size = sizeof(struct http_conn_run),
    .state_size = sizeof(union http_conn_state),
    .fds_per_task = 1,
    .setup = http_conn_setup,
    .step = http_conn_step,
    .task_cleanup = http_conn_cleanup,
    .teardown = http_conn_teardown,
};
