/* net_internal.h - what the files of the net workload share; private to
 * them (workload.h is the interface the harness sees).
 *
 *   net.c           the `struct workload` entry: setup, teardown, note and
 *                   the metrics of a run
 *   net_options.c   the option table, defaults, checks, and what the
 *                   options alone decide (request sizes, the schedule)
 *   net_target.c    where the requests go: the server child cbench starts,
 *                   or the --connect address; the probe before the run
 *   net_response.c  reading one response and checking it
 *   net_client.c    a connection's step() state machine, closed and open
 *                   loop, and how a connection fails
 *
 * The options (struct net_options) are parsed once and read-only from
 * then on (t->params); what a run computes or opens lives in struct
 * net_run (t->run), filled by setup. */
#ifndef CBENCH_NET_INTERNAL_H
#define CBENCH_NET_INTERNAL_H

#include "workload.h"
#include "../lib/histogram.h"
#include "../lib/steady_phase.h"

#include <errno.h>
#include <http_parser.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/types.h>

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

/* ---- options (net_options.c) ------------------------------------------ */

/* As parsed from the command line; const from then on. */
struct net_options {
    long delay_ms, requests, bytes, server_loops;
    long timeout_ms;            /* per request; 0: 10 s + the delay */
    const char *connect;        /* HOST:PORT, or NULL to start our own server */
    double rate;                /* --rate: requests/s in all; 0: closed loop */
    double duration;            /* --duration: seconds of the schedule; 0: none */
};

extern const struct net_options net_defaults;
extern const struct opt_spec net_option_table[];

long net_default_tasks(void);
uint32_t net_latency_per_task(const void *params, long tasks);
/* --rate / --duration / --requests together, and --rate only when every
 * connection runs at once: 0, or 2 after saying why. */
int net_check_open_loop(const struct net_options *o, const struct workload_env *env);
/* A request's bound, --timeout-ms resolved, in ns. */
int64_t net_timeout_ns(const struct net_options *o);
/* The body size request `k` of a connection asks for (even: --bytes). */
long net_bytes_asked(const struct net_options *o, long k);
/* Open loop: the requests of the whole schedule, and of connection `id`. */
uint64_t net_schedule_total(const struct net_options *o);
uint64_t net_schedule_of(uint64_t total, long tasks, long id);

static inline bool net_open_loop(const struct net_options *o) { return o->rate > 0; }

/* ---- the run's state (filled by setup in net.c) ------------------------ */

/* Why a request failed: counted per cause, named in the note. */
enum net_cause { NET_TIMEOUT, NET_TOO_LARGE, NET_RESET, NET_CLOSED, NET_MALFORMED, NET_EARLY,
                 NET_MISMATCH, NET_OTHER, NET_CAUSES };
extern const char *const net_cause_names[NET_CAUSES];

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

/* Where the requests go: resolved from --connect, or our own server. */
struct net_target {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char name[80];              /* "127.0.0.1:34567", for messages */
    pid_t server_pid;           /* our own server, or 0 */
};

struct net_run {
    long tasks, concurrency;    /* for connect_ms and the steady phase */
    struct net_target target;
    int64_t timeout_ns;         /* --timeout-ms resolved */
    char request[2][160];       /* even and odd requests (net_bytes_asked) */
    size_t request_len[2];
    struct net_shared *shared;  /* MAP_SHARED: errors by cause */
    /* Open loop (--rate), filled by setup: */
    double slot_ns;             /* between request j and j + 1 of the run: 1e9 / rate */
    int64_t duration_ns, grace_ns;
    uint64_t scheduled;         /* requests in the schedule: ceil(rate x duration) */
    uint64_t body_hash[2];      /* FNV-1a of the body the even and odd
                                   responses must carry */
    struct net_open_loop *open_loop;   /* MAP_SHARED histograms, the barrier */
    int start_fd;               /* eventfd: readable once the schedule starts;
                                   -1 when none */
    /* Copied out of shared memory at teardown, for the note and metrics: */
    unsigned errors[NET_CAUSES];
    struct steady_result steady;
    struct net_open_figures figures;
};

/* ---- the target (net_target.c) ----------------------------------------- */

/* The server child's descriptors fit under RLIMIT_NOFILE: 0, or 2 after a
 * message. */
int net_check_server_fds(const struct net_options *o, const struct workload_env *env);
/* Resolve --connect, or start our own server; then probe it. 0, or an exit
 * status after a message (the server is stopped again on failure). */
int net_open_target(const struct net_options *o, struct net_target *target, int64_t timeout_ns);
void net_stop_server(struct net_target *target);
/* recv(), send() and connect() on a blocking fd give up after the timeout. */
void net_bound_blocking(int fd, int64_t timeout_ns);

/* ---- one connection (net_client.c, net_response.c) ---------------------- */

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
    http_parser parser;
};

struct wait net_step(struct task *t);
void net_task_cleanup(struct task *t);

/* A failed request: counted by cause (the run's first one printed), the
 * connection closed. Ends the task: the caller returns wait_done(). */
void net_fail(struct task *t, struct net_state *s, enum net_cause cause, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* ... for want of an answer within --timeout-ms. */
struct wait net_timeout(struct task *t, struct net_state *s, const char *waiting);

/* The request's deadline has passed: the caller fails it. */
bool net_expired(const struct task *t);

/* The task's I/O goes through completion waits (WAIT_CONNECT, WAIT_SEND,
 * WAIT_RECV): the model performs each call and the next step reads
 * t->io_result. A result that says "not done" (-EAGAIN, -ECANCELED: the
 * deadline ended the wait; -EINPROGRESS: a connect not complete) is a
 * timeout once the deadline has passed, else the wait is made again. */
static inline bool net_not_done(int64_t res)
{
    return res == -EAGAIN || res == -ECANCELED || res == -ETIMEDOUT || res == -EINTR;
}

/* How the bytes one WAIT_RECV brought leave the response. */
enum net_read {
    NET_READ_MORE,      /* incomplete: receive again */
    NET_READ_ANSWERED,  /* complete and checked: the request is answered */
    NET_READ_FAILED,    /* failed (net_fail has run): the task ends */
};

/* Before receiving the response to request `s->done` of the connection. */
void net_response_expect(struct net_state *s, long asked);
/* Feed it what the last WAIT_RECV brought, and check it once complete. */
enum net_read net_response_read(struct task *t, struct net_state *s);

#endif
