/* http_server.c - the HTTP/1.1 server behind `cbench serve` (see http_server.h).
 *
 * Shape: the calling thread runs a small "control" loop that only waits for
 * SIGINT/SIGTERM or the stop pipe; N worker threads each run their own libev
 * loop with their own listening socket on the shared port (SO_REUSEPORT lets
 * the kernel spread new connections over them, so no lock is ever taken).
 *
 * A connection is a small state machine that answers one request at a time:
 *
 *   READING --request--> [DELAYING --timer-->] WRITING --sent--> READING
 *                                                      \--close--> DRAINING
 *
 * The parser is paused at the end of each request, so bytes of a following
 * pipelined request stay unparsed (copied aside) until the current response
 * is out: responses leave in order and at most one is in flight.
 *
 * Memory per connection is one struct conn (560 bytes on x86-64). Reads go into a
 * per-loop scratch buffer and bodies are sent straight from one shared,
 * read-only pattern buffer, so 10,000 idle connections cost a few MiB and a
 * request in the common case costs one recv, one sendmsg and no malloc.
 */
#include "http_server.h"
#include "http_listener.h"
#include "http_request.h"
#include "../lib/machine.h"
#include "../lib/options.h"

#include <errno.h>
#include <fcntl.h>
#include <ev.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define HTTP_SERVER_DEFAULT_PORT   8080
#define HTTP_SERVER_MAX_LOOPS      1024
struct http_server;
struct conn;

/* One worker: a thread, its event loop, its listening socket, its connections. */
struct http_server_loop {
    struct http_server *server;
    struct ev_loop *loop;
    pthread_t thread;
    bool thread_started;
    int listen_fd;
    int reserve_fd;               /* /dev/null, given up to refuse a client on EMFILE */
    ev_io accept_watcher;
    ev_timer accept_pause;        /* re-enables accepting after EMFILE / ENFILE */
    ev_timer idle_sweep;          /* fires when the oldest connection goes idle */
    ev_async stop_async;          /* the control thread's "stop now" */
    bool accept_warned;           /* EMFILE reported once, not once a client */
    /* Every open connection, least recently active first. All connections share
     * one idle timeout, so touching one is "move to the tail" and the idle check
     * only ever looks at the head: O(1), and one timer per loop instead of one
     * per connection. It is also the list closed at shutdown. */
    struct conn *oldest, *newest;
    time_t date_sec;              /* the second `date` was formatted for */
    char date[48];                /* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" */
    char *scratch;                /* HTTP_SERVER_READ_CHUNK bytes, shared by the loop's reads */
};

struct http_server {
    const struct server_config *cfg;
    double idle_timeout_s;        /* cfg's, clamped; 0 = never */
    double header_timeout_s;      /* cfg's, clamped; 0 = never */
    int port;                     /* the port actually bound */
    int nloops;
    struct http_server_loop *loops;
    struct ev_loop *control;
    ev_signal sigint_watcher, sigterm_watcher;
    ev_io stop_watcher;
};

enum conn_state {
    CONN_READING,    /* waiting for (the rest of) a request */
    CONN_DELAYING,   /* a request asked for delay_ms: the timer runs; input waits (see conn_io_cb) */
    CONN_WRITING,    /* sending the response */
    CONN_DRAINING,   /* response sent, our side shut down: discard input until EOF */
};

struct conn {
    struct conn *older, *newer;   /* the loop's activity list */
    struct http_server_loop *owner;
    ev_io io;
    ev_timer timer;               /* the request deadline while reading, the
                                     response delay, the linger when draining */
    struct http_reader req;       /* the request being read */
    ev_tstamp last_active;
    ev_tstamp request_start;      /* when the request being read began */
    int fd;
    uint8_t state;                /* enum conn_state */
    bool close_after;             /* close once the response is sent */
    uint16_t status;              /* of the response being prepared */
    /* Input received after the request being answered (pipelining). */
    char *pending;
    uint32_t pending_off, pending_len;
    uint32_t drained;             /* bytes discarded while DRAINING */
    /* The response: head[] then body_len bytes of the pattern. */
    uint16_t head_len, head_sent;
    uint32_t body_len, body_sent;
    char head[HTTP_HEAD_MAX];
};

/* ---------------------------------------------------------------- helpers */

static void conn_header_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents);

static const char *http_server_loop_date(struct http_server_loop *l)
{
    return http_date_line(&l->date_sec, l->date);
}

/* ------------------------------------------------------------ connections */

static void conn_list_unlink(struct conn *c)
{
    struct http_server_loop *l = c->owner;
    if (c->older) c->older->newer = c->newer; else l->oldest = c->newer;
    if (c->newer) c->newer->older = c->older; else l->newest = c->older;
    c->older = c->newer = NULL;
}

static void conn_list_append(struct conn *c)
{
    struct http_server_loop *l = c->owner;
    c->older = l->newest;
    c->newer = NULL;
    if (l->newest) l->newest->newer = c; else l->oldest = c;
    l->newest = c;
}

/* Note activity: the connection becomes the newest, so the idle sweep that
 * looks at the oldest never needs to search. */
static void conn_touch(struct conn *c)
{
    c->last_active = ev_now(c->owner->loop);
    if (c->owner->newest != c) {
        conn_list_unlink(c);
        conn_list_append(c);
    }
}

static void conn_pending_free(struct conn *c)
{
    free(c->pending);
    c->pending = NULL;
    c->pending_off = c->pending_len = 0;
}

static void conn_close(struct conn *c)
{
    struct ev_loop *loop = c->owner->loop;
    ev_io_stop(loop, &c->io);
    ev_timer_stop(loop, &c->timer);
    conn_list_unlink(c);
    close(c->fd);
    http_reader_url_reset(&c->req);
    conn_pending_free(c);
    free(c);
}

/* Watch the socket for `events` (EV_READ, EV_WRITE or 0), touching libev only
 * when that changes: in the keep-alive fast path it never does. */
static void conn_watch(struct conn *c, int events)
{
    struct ev_loop *loop = c->owner->loop;
    if (ev_is_active(&c->io) && (c->io.events & (EV_READ | EV_WRITE)) == events)
        return;
    ev_io_stop(loop, &c->io);
    if (events) {
        ev_io_modify(&c->io, events);
        ev_io_start(loop, &c->io);
    }
}

/* ---------------------------------------------------------------- parsing */

/* Feed input to the request reader; the request deadline runs from the
 * first byte of a request. */
static enum feed_result conn_feed(struct conn *c, const char *data, size_t len, size_t *used)
{
    bool begun;
    enum feed_result r = http_reader_feed(&c->req, data, len, used, &begun);
    if (begun)
        c->request_start = ev_now(c->owner->loop);
    return r;
}

/* Keep the input that follows a complete request for later. */
static bool conn_save_pending(struct conn *c, const char *data, size_t len)
{
    return http_pending_save(&c->pending, &c->pending_off, &c->pending_len, data, len);
}

/* --------------------------------------------------------------- answering */

/* Format the response head (and, for errors, a one-line body) into c->head. */
static void conn_build_head(struct conn *c, unsigned long content_length, const char *error_body)
{
    const http_parser *p = &c->req.parser;
    struct http_head h = {
        .status = c->status, .content_length = content_length, .close = c->close_after,
        .http10_keep_alive = p->http_major == 1 && p->http_minor == 0, .error_body = error_body,
    };
    c->head_len = (uint16_t)http_head_format(c->head, &h, http_server_loop_date(c->owner));
    c->head_sent = 0;
    c->body_sent = 0;
}

/* A response without a pattern body: the reason phrase as text. */
static void conn_prepare_text(struct conn *c, int status)
{
    char body[48];
    http_error_body(status, body, sizeof body);
    c->status = (uint16_t)status;
    c->body_len = 0;
    conn_build_head(c, strlen(body), c->req.method == HTTP_HEAD ? NULL : body);
    c->state = CONN_WRITING;
}

/* A request could not be parsed: answer and close, since we no longer know
 * where the next request would start. */
static void conn_fail(struct conn *c)
{
    ev_timer_stop(c->owner->loop, &c->timer);   /* the request deadline */
    c->close_after = true;
    c->req.method = HTTP_GET;   /* the parsed method (if any) is meaningless now */
    conn_pending_free(c);
    conn_prepare_text(c, c->req.too_large ? 431 : 400);
}

static void conn_start_writing(struct conn *c, unsigned long bytes)
{
    c->status = 200;
    c->body_len = c->req.method == HTTP_HEAD ? 0 : (uint32_t)bytes;
    conn_build_head(c, bytes, NULL);
    c->state = CONN_WRITING;
}

static void conn_delay_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void conn_run(struct conn *c);

/* Decide the response to the request just parsed. */
static void conn_answer(struct conn *c)
{
    struct http_query q;
    ev_timer_stop(c->owner->loop, &c->timer);   /* the request deadline: met */
    c->close_after = !c->req.keep_alive;
    int status = http_route(&c->req, &q);
    long delay_ms = q.delay_ms, bytes = q.bytes;
    http_reader_url_reset(&c->req);   /* give back a long URL's memory now */
    if (status == 200 && q.cpu_us > 0)
        http_cpu_work(q.cpu_us);   /* inline: a loop's CPU work blocks it */
    if (status != 200) {
        conn_prepare_text(c, status);
        return;
    }
    if (delay_ms == 0) {
        conn_start_writing(c, (unsigned long)bytes);
        return;
    }
    /* The body length waits in body_len; the head is built when the timer
     * fires so that its Date is the send time. */
    c->body_len = (uint32_t)bytes;
    c->state = CONN_DELAYING;
    ev_timer_stop(c->owner->loop, &c->timer);
    ev_set_cb(&c->timer, conn_delay_cb);
    /* From now, not from when the loop last woke: this request may have
     * been read after other work in the same wakeup, and a response must
     * never come sooner than the delay asked for (net counts it an error). */
    ev_now_update(c->owner->loop);
    ev_timer_set(&c->timer, (double)delay_ms / 1000.0, 0.);
    ev_timer_start(c->owner->loop, &c->timer);
}

static void conn_delay_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = w->data;
    (void)loop;
    (void)revents;
    conn_start_writing(c, c->body_len);
    conn_run(c);
}

/* ----------------------------------------------------------------- writing */

enum flush_result { FLUSH_DONE, FLUSH_BLOCKED, FLUSH_FAILED };

/* Send what is left of the response: head and body together in one
 * sendmsg (MSG_NOSIGNAL: a vanished client is an EPIPE here, not a signal). */
static enum flush_result conn_flush(struct conn *c)
{
    char *pattern = (char *)http_body_pattern();   /* iov_base is not const */
    for (;;) {
        struct iovec iov[2];
        size_t want = 0;
        int n = 0;
        if (c->head_sent < c->head_len) {
            iov[n].iov_base = c->head + c->head_sent;
            iov[n].iov_len = (size_t)(c->head_len - c->head_sent);
            want += iov[n++].iov_len;
        }
        if (c->body_sent < c->body_len) {
            size_t left = c->body_len - c->body_sent;
            /* The pattern repeats every 26 bytes, so starting at offset
             * body_sent % 26 continues the body exactly where it stopped. */
            iov[n].iov_base = pattern + c->body_sent % 26;
            iov[n].iov_len = left < HTTP_SERVER_BODY_SPAN ? left : HTTP_SERVER_BODY_SPAN;
            want += iov[n++].iov_len;
        }
        if (n == 0)
            return FLUSH_DONE;
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        ssize_t sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return FLUSH_BLOCKED;
            return FLUSH_FAILED;   /* EPIPE, ECONNRESET...: the client is gone */
        }
        conn_touch(c);
        size_t head_part = (size_t)(c->head_len - c->head_sent);
        if ((size_t)sent < head_part) {
            c->head_sent = (uint16_t)(c->head_sent + sent);
        } else {
            c->head_sent = c->head_len;
            c->body_sent += (uint32_t)((size_t)sent - head_part);
        }
        if ((size_t)sent < want)
            return FLUSH_BLOCKED;  /* the socket buffer is full: a retry would be EAGAIN */
    }
}

/* Closing after a response: shut down our side and read until the client
 * closes, because closing with unread input makes the kernel send a reset
 * that can destroy the response (a 431 to a client still sending headers). */
static void conn_linger_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_close(w->data);
}

static void conn_start_drain(struct conn *c)
{
    struct ev_loop *loop = c->owner->loop;
    conn_pending_free(c);
    shutdown(c->fd, SHUT_WR);
    c->state = CONN_DRAINING;
    c->drained = 0;
    ev_timer_stop(loop, &c->timer);
    ev_set_cb(&c->timer, conn_linger_cb);
    ev_timer_set(&c->timer, HTTP_SERVER_LINGER_S, 0.);
    ev_timer_start(loop, &c->timer);
    conn_watch(c, EV_READ);
}

static void conn_drain(struct conn *c)
{
    ssize_t n = recv(c->fd, c->owner->scratch, HTTP_SERVER_READ_CHUNK, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n > 0 && (c->drained += (uint32_t)n) <= HTTP_SERVER_DRAIN_MAX)
        return;
    conn_close(c);   /* EOF, error, or a client that will not stop talking */
}

/* A request has begun but is not complete: it must be, line, headers and
 * any body, within header_timeout_s of its first byte, however slowly the
 * bytes come (nginx's client_header_timeout; the idle timeout alone would
 * let a client hold a connection forever with a byte every few seconds).
 * The timer is armed only while we wait for the rest of a request, so the
 * usual request, which arrives in one read, never touches it.
 * Returns false if the deadline has already passed (c is closed). */
static bool conn_arm_deadline(struct conn *c)
{
    struct ev_loop *loop = c->owner->loop;
    double timeout = c->owner->server->header_timeout_s;
    if (!c->req.request_begun || timeout <= 0 || ev_is_active(&c->timer))
        return true;
    double left = c->request_start + timeout - ev_now(loop);
    if (left <= 0) {
        conn_close(c);
        return false;
    }
    ev_set_cb(&c->timer, conn_header_timeout_cb);
    ev_timer_set(&c->timer, left, 0.);
    ev_timer_start(loop, &c->timer);
    return true;
}

static void conn_header_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_close(w->data);   /* as nginx does: no answer, the client is not listening */
}

/* Drive the connection as far as it goes without waiting: send the response,
 * then answer pipelined requests already received, then wait for input. */
static void conn_run(struct conn *c)
{
    for (;;) {
        if (c->state == CONN_DELAYING)
            return;
        if (c->state == CONN_WRITING) {
            enum flush_result r = conn_flush(c);
            if (r == FLUSH_BLOCKED) {
                conn_watch(c, EV_WRITE);
                return;
            }
            if (r == FLUSH_FAILED) {
                conn_close(c);
                return;
            }
            if (c->close_after) {
                conn_start_drain(c);
                return;
            }
            c->state = CONN_READING;
        }
        if (c->pending_len == 0) {
            if (conn_arm_deadline(c))
                conn_watch(c, EV_READ);
            return;
        }
        size_t used;
        enum feed_result r = conn_feed(c, c->pending + c->pending_off, c->pending_len, &used);
        c->pending_off += (uint32_t)used;
        c->pending_len -= (uint32_t)used;
        if (c->pending_len == 0 || r == FEED_ERROR)
            conn_pending_free(c);
        if (r == FEED_REQUEST)
            conn_answer(c);
        else if (r == FEED_ERROR)
            conn_fail(c);
    }
}

/* ----------------------------------------------------------------- reading */

static void conn_on_readable(struct conn *c)
{
    char *buf = c->owner->scratch;
    ssize_t n = recv(c->fd, buf, HTTP_SERVER_READ_CHUNK, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c);   /* EOF or reset: whatever was half-received is moot */
        return;
    }
    conn_touch(c);
    size_t used;
    enum feed_result r = conn_feed(c, buf, (size_t)n, &used);
    if (r == FEED_MORE) {
        conn_arm_deadline(c);
        return;
    }
    if (r == FEED_ERROR) {
        conn_fail(c);
    } else {
        if (!conn_save_pending(c, buf + used, (size_t)n - used)) {
            conn_close(c);   /* out of memory: drop this client, keep serving */
            return;
        }
        conn_answer(c);
    }
    conn_run(c);
}

/* While a response is delayed the read watcher stays on: a client normally
 * sends nothing until it has the answer, and stopping and restarting the
 * watcher would cost an epoll_ctl per request. Input that does arrive (a
 * pipelined request, or EOF) stops it until the response is out, so it
 * neither spins the loop nor reads ahead. */
static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = w->data;
    (void)loop;
    (void)revents;
    switch (c->state) {
    case CONN_READING:  conn_on_readable(c); break;
    case CONN_WRITING:  conn_run(c); break;
    case CONN_DRAINING: conn_drain(c); break;
    case CONN_DELAYING: conn_watch(c, 0); break;
    }
}

static void conn_open(struct http_server_loop *l, int fd)
{
    struct conn *c = malloc(sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    memset(c, 0, offsetof(struct conn, head));   /* the buffer needs no zeroing */
    /* Responses are one sendmsg each; Nagle would hold back the next one. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Back-pressure: the kernel takes no more of our output while more than
     * HTTP_SERVER_MAX_UNSENT bytes of it wait unsent (a client that does not
     * read), and reports the socket writable only once they fall below.
     * Until then the response stays unfinished and, one response at a time,
     * we read nothing more from this client (see conn_run). Without it the
     * send buffer grows to tcp_wmem's maximum (4 MiB) per connection. */
    int unsent = HTTP_SERVER_MAX_UNSENT;
    setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &unsent, sizeof unsent);
    c->fd = fd;
    c->owner = l;
    c->state = CONN_READING;
    http_reader_init(&c->req);
    ev_io_init(&c->io, conn_io_cb, fd, EV_READ);
    c->io.data = c;
    ev_timer_init(&c->timer, conn_delay_cb, 0., 0.);
    c->timer.data = c;
    ev_io_start(l->loop, &c->io);
    c->last_active = ev_now(l->loop);
    conn_list_append(c);
    if (l->server->idle_timeout_s > 0 && !ev_is_active(&l->idle_sweep)) {
        l->idle_sweep.repeat = l->server->idle_timeout_s;
        ev_timer_again(l->loop, &l->idle_sweep);
    }
}

/* ------------------------------------------------------------- event loops */

/* Close connections silent for idle_timeout_s, oldest first, then sleep until
 * the next oldest would expire. */
static void http_server_idle_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct http_server_loop *l = w->data;
    double timeout = l->server->idle_timeout_s;
    ev_tstamp now = ev_now(loop);
    struct conn *c;
    (void)revents;
    while ((c = l->oldest) && now - c->last_active >= timeout) {
        if (c->state == CONN_DELAYING)
            conn_touch(c);   /* waiting on us, not on the client */
        else
            conn_close(c);
    }
    if (!c) {
        ev_timer_stop(loop, w);
        return;
    }
    w->repeat = c->last_active + timeout - now;
    ev_timer_again(loop, w);
}

static void http_server_accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct http_server_loop *l = w->data;
    (void)revents;
    ev_io_start(loop, &l->accept_watcher);
}

/* Out of descriptors (EMFILE): the reserve descriptor turns the client
 * away at once (http_listener.c). False when that cannot be done. */
static bool http_server_refuse_one(struct http_server_loop *l)
{
    if (l->reserve_fd < 0)
        return false;
    if (!l->accept_warned) {
        fprintf(stderr, "cbench serve: accept: %s (refusing new clients with 503 until "
                "connections close)\n", strerror(EMFILE));
        l->accept_warned = true;
    }
    return http_listener_refuse_one(l->listen_fd, &l->reserve_fd);
}

/* Out of fds: the pending connection stays in the backlog and the listening
 * socket stays readable, so retrying now would spin. Stop accepting for a
 * moment; connections closing meanwhile free fds. */
static void http_server_accept_pause(struct http_server_loop *l, int err)
{
    if (!l->accept_warned) {
        fprintf(stderr, "cbench serve: accept: %s (pausing accepts for %g s)\n",
                strerror(err), HTTP_SERVER_ACCEPT_PAUSE_S);
        l->accept_warned = true;
    }
    ev_io_stop(l->loop, &l->accept_watcher);
    ev_timer_set(&l->accept_pause, HTTP_SERVER_ACCEPT_PAUSE_S, 0.);
    ev_timer_start(l->loop, &l->accept_pause);
}

static void http_server_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct http_server_loop *l = w->data;
    (void)loop;
    (void)revents;
    for (;;) {
        int fd = accept4(l->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            conn_open(l, fd);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;   /* that one connection failed, not the socket */
        int err = errno;
        if (err == EMFILE && http_server_refuse_one(l))
            continue;
        http_server_accept_pause(l, err);   /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
        return;
    }
}

static void http_server_stop_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static void *http_server_loop_thread(void *arg)
{
    struct http_server_loop *l = arg;
    ev_run(l->loop, 0);
    return NULL;
}

static bool http_server_loop_init(struct http_server *s, struct http_server_loop *l)
{
    l->server = s;
    l->loop = ev_loop_new(EVFLAG_AUTO);
    l->scratch = malloc(HTTP_SERVER_READ_CHUNK);
    if (!l->loop || !l->scratch) {
        fprintf(stderr, "cbench serve: cannot create an event loop\n");
        return false;
    }
    l->reserve_fd = s->cfg->refuse_when_full ? http_listener_reserve()
                                             : -1;   /* none: pause on EMFILE */
    ev_io_init(&l->accept_watcher, http_server_accept_cb, l->listen_fd, EV_READ);
    ev_timer_init(&l->accept_pause, http_server_accept_resume_cb, 0., 0.);
    ev_timer_init(&l->idle_sweep, http_server_idle_sweep_cb, 0., 0.);
    ev_async_init(&l->stop_async, http_server_stop_async_cb);
    l->accept_watcher.data = l->accept_pause.data = l->idle_sweep.data = l;
    ev_io_start(l->loop, &l->accept_watcher);
    /* Started before the thread exists, so a stop sent at any time is seen. */
    ev_async_start(l->loop, &l->stop_async);
    return true;
}

/* After the loop's thread has ended (or never started): free everything. */
static void http_server_loop_destroy(struct http_server_loop *l)
{
    if (l->loop) {
        while (l->oldest)
            conn_close(l->oldest);
        ev_io_stop(l->loop, &l->accept_watcher);
        ev_timer_stop(l->loop, &l->accept_pause);
        ev_timer_stop(l->loop, &l->idle_sweep);
        ev_async_stop(l->loop, &l->stop_async);
        ev_loop_destroy(l->loop);
        l->loop = NULL;
    }
    if (l->listen_fd >= 0)
        close(l->listen_fd);
    l->listen_fd = -1;
    if (l->reserve_fd >= 0)
        close(l->reserve_fd);
    l->reserve_fd = -1;
    free(l->scratch);
    l->scratch = NULL;
}

/* ----------------------------------------------------------------- sockets */

/* One listening socket per loop (http_listener.c). */
static bool http_server_listen_all(struct http_server *s)
{
    int fds[HTTP_SERVER_MAX_LOOPS];
    s->port = http_listener_open(s->cfg->host, s->cfg->port, s->nloops, true, fds);
    for (int i = 0; s->port >= 0 && i < s->nloops; i++)
        s->loops[i].listen_fd = fds[i];
    return s->port >= 0;
}

/* ------------------------------------------------------------- the server */

/* 10,000 connections need 10,000 fds: use all the hard limit allows. */
static void http_server_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);   /* best effort: a lower limit still works */
    }
}

static void http_server_on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static void http_server_on_stop_fd(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* The control loop: waits for SIGINT / SIGTERM / the stop pipe. Set up first,
 * so that a signal arriving once we are announced stops us cleanly. */
static bool http_server_control_init(struct http_server *s)
{
    s->control = ev_loop_new(EVFLAG_AUTO);
    if (!s->control) {
        fprintf(stderr, "cbench serve: cannot create an event loop\n");
        return false;
    }
    ev_signal_init(&s->sigint_watcher, http_server_on_stop_signal, SIGINT);
    ev_signal_init(&s->sigterm_watcher, http_server_on_stop_signal, SIGTERM);
    ev_signal_start(s->control, &s->sigint_watcher);
    ev_signal_start(s->control, &s->sigterm_watcher);
    if (s->cfg->stop_fd >= 0) {
        ev_io_init(&s->stop_watcher, http_server_on_stop_fd, s->cfg->stop_fd, EV_READ);
        ev_io_start(s->control, &s->stop_watcher);
    }
    return true;
}

static void http_server_control_destroy(struct http_server *s)
{
    if (!s->control)
        return;
    ev_signal_stop(s->control, &s->sigint_watcher);
    ev_signal_stop(s->control, &s->sigterm_watcher);
    ev_io_stop(s->control, &s->stop_watcher);
    ev_loop_destroy(s->control);
    s->control = NULL;
}

/* Start the worker threads with SIGINT/SIGTERM blocked, so those signals are
 * delivered to the calling thread, the one that waits for them. */
static bool http_server_start_threads(struct http_server *s)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    bool ok = true;
    for (int i = 0; i < s->nloops && ok; i++) {
        int err = pthread_create(&s->loops[i].thread, NULL, http_server_loop_thread, &s->loops[i]);
        if (err)
            fprintf(stderr, "cbench serve: pthread_create: %s\n", strerror(err));
        s->loops[i].thread_started = ok = err == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

static void http_server_stop_threads(struct http_server *s)
{
    for (int i = 0; i < s->nloops; i++) {
        struct http_server_loop *l = &s->loops[i];
        if (!l->thread_started)
            continue;
        ev_async_send(l->loop, &l->stop_async);
        pthread_join(l->thread, NULL);
        l->thread_started = false;
    }
}

static void http_server_announce(struct http_server *s)
{
    const struct server_config *cfg = s->cfg;
    if (cfg->ready_fd >= 0) {
        dprintf(cfg->ready_fd, "%d\n", s->port);
        close(cfg->ready_fd);
    }
    if (cfg->on_ready)
        cfg->on_ready(cfg, s->port, cfg->on_ready_arg);
}

static bool http_server_config_valid(const struct server_config *cfg)
{
    if (cfg->port < 0 || cfg->port > 65535 || cfg->loops < 1 || cfg->loops > HTTP_SERVER_MAX_LOOPS ||
        !(cfg->idle_timeout_s >= 0) || !(cfg->header_timeout_s >= 0)) {
        fprintf(stderr, "cbench serve: invalid configuration (port %d, loops %d, idle timeout %g, "
                "header timeout %g)\n", cfg->port, cfg->loops, cfg->idle_timeout_s, cfg->header_timeout_s);
        return false;
    }
    return true;
}

static void http_server_free(struct http_server *s)
{
    http_server_stop_threads(s);
    for (int i = 0; s->loops && i < s->nloops; i++)
        http_server_loop_destroy(&s->loops[i]);
    free(s->loops);
    http_server_control_destroy(s);
}

void http_server_config_default(struct server_config *cfg)
{
    long cpus = online_cores();
    *cfg = (struct server_config){
        .host = "127.0.0.1",
        .port = HTTP_SERVER_DEFAULT_PORT,
        .loops = cpus > HTTP_SERVER_MAX_LOOPS ? HTTP_SERVER_MAX_LOOPS : (int)cpus,
        .idle_timeout_s = HTTP_SERVER_IDLE_TIMEOUT_S,
        .header_timeout_s = HTTP_SERVER_HEADER_TIMEOUT_S,
        .ready_fd = -1,
        .stop_fd = -1,
        .refuse_when_full = true,
    };
}

int http_server_run(const struct server_config *cfg)
{
    struct http_server s = { .cfg = cfg };
    if (!http_server_config_valid(cfg))
        return 1;
    signal(SIGPIPE, SIG_IGN);   /* MSG_NOSIGNAL covers sends; this covers the rest */
    http_server_raise_nofile();
    s.idle_timeout_s = cfg->idle_timeout_s > 0 && cfg->idle_timeout_s < HTTP_SERVER_MIN_IDLE_S
                           ? HTTP_SERVER_MIN_IDLE_S : cfg->idle_timeout_s;
    s.header_timeout_s = cfg->header_timeout_s > 0 && cfg->header_timeout_s < HTTP_SERVER_MIN_IDLE_S
                           ? HTTP_SERVER_MIN_IDLE_S : cfg->header_timeout_s;
    s.nloops = cfg->loops;
    s.loops = calloc((size_t)s.nloops, sizeof *s.loops);
    if (!s.loops) {
        fprintf(stderr, "cbench serve: out of memory\n");
        http_server_free(&s);
        return 1;
    }
    for (int i = 0; i < s.nloops; i++)
        s.loops[i].listen_fd = s.loops[i].reserve_fd = -1;
    bool ok = http_server_control_init(&s) && http_server_listen_all(&s);
    for (int i = 0; ok && i < s.nloops; i++)
        ok = http_server_loop_init(&s, &s.loops[i]);
    ok = ok && http_server_start_threads(&s);
    if (ok) {
        http_server_announce(&s);
        ev_run(s.control, 0);
    }
    http_server_free(&s);
    return ok ? 0 : 1;
}

/* ------------------------------------------------------------------- CLI */

struct http_server_params {
    long port;
    const char *host;
    long loops;
    double idle_timeout;
    double header_timeout;
};

static const struct opt_spec http_server_options[] = {
    { .name = "port", .type = OPT_INT, .offset = offsetof(struct http_server_params, port),
      .min = 0, .max = 65535, .help = "TCP port; 0 = ephemeral (default 8080)" },
    { .name = "host", .type = OPT_STRING, .offset = offsetof(struct http_server_params, host),
      .help = "address to listen on (default 127.0.0.1; ::1 for IPv6)" },
    { .name = "loops", .type = OPT_INT, .offset = offsetof(struct http_server_params, loops),
      .min = 1, .max = HTTP_SERVER_MAX_LOOPS, .help = "event loops, one thread each (default: online CPUs)" },
    { .name = "idle-timeout", .type = OPT_DOUBLE, .offset = offsetof(struct http_server_params, idle_timeout),
      .min = 0, .max = 86400, .help = "close a connection silent this many seconds; 0 = never (default 10)" },
    { .name = "header-timeout", .type = OPT_DOUBLE, .offset = offsetof(struct http_server_params, header_timeout),
      .min = 0, .max = 86400,
      .help = "a request must be complete this many seconds after its first byte; 0 = never (default 10)" },
    OPT_END
};

static void http_server_usage(void)
{
    printf("usage: cbench serve [--port P] [--host H] [--loops L] [--idle-timeout S] [--header-timeout S]\n"
           "\n"
           "HTTP/1.1 server for the net workload. GET /?delay_ms=D&bytes=B&cpu_us=C\n"
           "answers 200 after C us of CPU work (0..%ld, fixed iterations of the CPU\n"
           "kernel) and D ms (0..%ld) with B bytes (0..%ld), byte i = 'a' + i %% 26.\n"
           "Runs until SIGINT or SIGTERM.\n"
           "\n"
           "options:\n", HTTP_SERVER_MAX_CPU_US, HTTP_SERVER_MAX_DELAY_MS, HTTP_SERVER_MAX_BYTES);
    opt_print_help(http_server_options, "  ");
    printf("  -h, --help               this help\n\n");
    http_limits_help();
}

/* Parse argv into params. Returns -1 to go on, else an exit status. */
static int http_server_parse_args(int argc, char **argv, struct http_server_params *p)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            http_server_usage();
            return 0;
        }
        const struct opt_spec *spec = opt_find(http_server_options, arg);
        if (!spec) {
            fprintf(stderr, "cbench serve: unknown option \"%s\" (see cbench serve --help)\n", arg);
            return 2;
        }
        const char *value = strchr(arg, '=');
        if (value)
            value++;
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            fprintf(stderr, "cbench serve: --%s needs a value\n", spec->name);
            return 2;
        }
        if (!opt_store(spec, p, value))
            return 2;
    }
    return -1;
}

static bool http_server_host_valid(const char *host)
{
    struct addrinfo *ai;
    int err = http_listener_resolve(host, &ai);
    if (err) {
        fprintf(stderr, "cbench: --host: \"%s\": %s\n", host, gai_strerror(err));
        return false;
    }
    freeaddrinfo(ai);
    return true;
}

static void http_server_print_ready(const struct server_config *cfg, int port, void *arg)
{
    (void)arg;
    bool v6 = strchr(cfg->host, ':') != NULL;
    printf("cbench serve: listening on %s%s%s:%d\n", v6 ? "[" : "", cfg->host, v6 ? "]" : "", port);
    fflush(stdout);
}

int http_server_main(int argc, char **argv)
{
    struct server_config cfg;
    http_server_config_default(&cfg);
    struct http_server_params p = {
        .port = cfg.port, .host = cfg.host, .loops = cfg.loops, .idle_timeout = cfg.idle_timeout_s,
        .header_timeout = cfg.header_timeout_s,
    };
    int status = http_server_parse_args(argc, argv, &p);
    if (status >= 0)
        return status;
    if (!http_server_host_valid(p.host))
        return 2;
    cfg.port = (int)p.port;
    cfg.host = p.host;
    cfg.loops = (int)p.loops;
    cfg.idle_timeout_s = p.idle_timeout;
    cfg.header_timeout_s = p.header_timeout;
    cfg.on_ready = http_server_print_ready;
    return http_server_run(&cfg);
}
