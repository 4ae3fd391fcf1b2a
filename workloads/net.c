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
 * connection.
 *
 * The workload is five files (net_internal.h names what each holds):
 * this one is the `struct workload` entry - setup, teardown, the note and
 * the metrics; net_options.c the options, net_target.c the server or
 * --connect address, net_client.c a connection's step() and
 * net_response.c the checks of a response. The options stay read-only
 * during a run (struct net_options, t->params); what setup computes or
 * opens is the run's state (struct net_run, t->run). */
#include "net_internal.h"
#include "../lib/fnv.h"
#include "../server/http_server.h"

#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

const char *const net_cause_names[NET_CAUSES] = {
    "timeout", "too large", "reset", "closed", "malformed", "early", "mismatch", "other",
};

/* ---- setup and teardown ------------------------------------------------- */

/* The FNV-1a of the body cbench serve sends for `bytes`, folded as
 * net_response.c folds a body it receives. */
static uint64_t net_served_body_hash(long bytes)
{
    uint64_t h = FNV1A_OFFSET;
    for (long i = 0; i < bytes; i++)
        h = fnv1a_fold(h, (unsigned char)http_server_body_byte((size_t)i));
    return h;
}

/* Open loop: the schedule and the body every response must carry; the
 * histograms every task records into. 0, or 1 after a message. */
static int net_setup_open_loop(const struct net_options *o, struct net_run *r)
{
    if (!net_open_loop(o))
        return 0;
    r->slot_ns = 1e9 / o->rate;
    r->duration_ns = (int64_t)(o->duration * 1e9);
    r->grace_ns = (int64_t)(o->duration * NET_GRACE * 1e9);
    r->scheduled = net_schedule_total(o);
    for (int odd = 0; odd < 2; odd++)
        r->body_hash[odd] = net_served_body_hash(net_bytes_asked(o, odd));
    r->open_loop = shared_memory(sizeof *r->open_loop, "net --rate");
    if (!r->open_loop)
        return 1;   /* zeroed: two empty histograms, no one arrived */
    /* non-blocking, as a descriptor every task shares must be (workload.h) */
    r->start_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->start_fd < 0) {
        fprintf(stderr, "cbench: net: --rate: eventfd: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

/* The even and odd requests every connection sends, in turn. */
static void net_format_requests(const struct net_options *o, struct net_run *r)
{
    for (int odd = 0; odd < 2; odd++)
        r->request_len[odd] = (size_t)snprintf(r->request[odd], sizeof r->request[odd],
                                               "GET /?delay_ms=%ld&bytes=%ld HTTP/1.1\r\nHost: %s\r\n\r\n",
                                               o->delay_ms, net_bytes_asked(o, odd), r->target.name);
}

static void net_teardown(const void *params, void *run);

static int net_setup(const void *params, void *run, const struct workload_env *env)
{
    const struct net_options *o = params;
    struct net_run *r = run;   /* zeroed by the harness */
    r->start_fd = -1;
    r->tasks = env->tasks;
    r->concurrency = env->concurrency;
    int usage = net_check_open_loop(o, env);
    if (usage != 0)
        return usage;
    if (net_check_server_fds(o, env) != 0)
        return 2;
    r->shared = shared_memory(sizeof *r->shared, "net");
    if (!r->shared)
        return 1;
    if (net_setup_open_loop(o, r) != 0) {
        net_teardown(params, r);
        return 1;
    }
    r->timeout_ns = net_timeout_ns(o);
    int status = net_open_target(o, &r->target, r->timeout_ns);
    if (status != 0) {
        net_teardown(params, r);
        return status;
    }
    net_format_requests(o, r);
    return 0;
}

/* The open loop's histograms, ns, as the figures of its metrics, µs. */
static void net_read_open_loop(struct net_run *r)
{
    const struct histogram *u = &r->open_loop->uncorrected, *l = &r->open_loop->lag;
    r->figures = (struct net_open_figures){
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

/* Also after a setup that failed half-way: each part checks that it was
 * taken. */
static void net_teardown(const void *params, void *run)
{
    (void)params;
    struct net_run *r = run;
    net_stop_server(&r->target);
    if (r->open_loop) {
        net_read_open_loop(r);
        munmap(r->open_loop, sizeof *r->open_loop);
        r->open_loop = NULL;
    }
    if (r->start_fd >= 0)
        close(r->start_fd);
    r->start_fd = -1;
    if (r->shared) {
        for (int c = 0; c < NET_CAUSES; c++)
            r->errors[c] = atomic_load(&r->shared->count[c]);
        r->steady = steady_result(&r->shared->steady);
        munmap(r->shared, sizeof *r->shared);
    }
    r->shared = NULL;
}

/* ---- the report ---------------------------------------------------------- */

/* "errors: 3 timeout, 1 closed" when requests failed. */
static void net_note(const void *params, const void *run, char *buf, size_t size)
{
    (void)params;
    const struct net_run *r = run;
    size_t len = 0;
    for (int c = 0; c < NET_CAUSES && len < size; c++)
        if (r->errors[c])
            len += (size_t)snprintf(buf + len, size - len, "%s%u %s", len ? ", " : "errors: ",
                                    r->errors[c], net_cause_names[c]);
}

/* Achieved: the requests completed over the schedule's length; short of
 * offered when the model left requests unsent (or failed them). */
static void net_metrics_open_loop(const struct net_options *o, const struct net_run *r,
                                  uint64_t ops, char *buf, size_t size)
{
    const struct net_open_figures *f = &r->figures;
    double achieved = (double)ops / o->duration;
    metrics_add(buf, size, "offered_req_per_s", o->rate);
    metrics_add(buf, size, "achieved_req_per_s", achieved);
    metrics_add(buf, size, "saturated", achieved < NET_SATURATED * o->rate);
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
    const struct net_options *o = params;
    const struct net_run *r = state;
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
    if (r->concurrency < r->tasks)   /* connections opened one after another */
        connect_s = (double)connecting / 1e9 / (double)(r->concurrency > 0 ? r->concurrency : 1);
    double steady_s = (double)(run->end_ns - run->start_ns) / 1e9 - connect_s;
    double steady_ops = (double)ops;
    if (r->concurrency >= r->tasks && r->steady.start_ns > 0) {
        /* every connection at once: only what was answered once the last
         * one was open, over that time (requests answered while others were
         * still connecting would flatter a model that connects slowly) */
        steady_s = (double)(run->end_ns - r->steady.start_ns) / 1e9;
        steady_ops = (double)r->steady.answered;
    }
    metrics_add(buf, size, "delay_ms", (double)o->delay_ms);
    /* requests per connection: asked (closed loop), scheduled on average (open) */
    metrics_add(buf, size, "requests", net_open_loop(o) ? (double)r->scheduled / (double)r->tasks
                                                        : (double)o->requests);
    metrics_add(buf, size, "connect_ms", connect_s * 1e3);
    metrics_add(buf, size, "steady_s", steady_s);
    metrics_add(buf, size, "steady_req_per_s", steady_s > 0 ? steady_ops / steady_s : 0);
    /* what serving the waits cost: the model's calls for the tasks' I/O
     * (recv, send, connect) and its own waiting calls (epoll_wait per
     * loop iteration, io_uring_enter), per request */
    metrics_add(buf, size, "syscalls_per_req", ops > 0 ? (double)syscalls / (double)ops : 0);
    if (net_open_loop(o))
        net_metrics_open_loop(o, r, ops, buf, size);
}

const struct workload workload_net = {
    .name = "net",
    .summary = "each task is an HTTP/1.1 keep-alive connection making --requests requests "
               "(or, with --rate, requests on a schedule)",
    .options = net_option_table,
    .params_size = sizeof(struct net_options),
    .params_default = &net_defaults,
    .run_size = sizeof(struct net_run),
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
