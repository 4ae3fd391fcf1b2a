/* net_options.c - the net workload's options: the table the command line
 * is parsed with, the defaults, the checks that need the model's shape
 * (--rate), and what the options alone decide: the body size each request
 * asks for and the open loop's schedule. Nothing here changes during a run.
 */
#include "net_internal.h"
#include "../server/http_server.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

const struct net_options net_defaults = {
    .delay_ms = 0, .requests = 10, .bytes = 1024, .server_loops = 0,
};

const struct opt_spec net_option_table[] = {
    { "delay-ms", 0, OPT_INT, offsetof(struct net_options, delay_ms), 0, HTTP_SERVER_MAX_DELAY_MS,
      "server-side delay per request in ms (default 0: fast I/O)" },
    { "requests", 0, OPT_INT, offsetof(struct net_options, requests), 1, 1000000,
      "sequential requests per connection, closed loop (default 10)" },
    { "bytes", 0, OPT_INT, offsetof(struct net_options, bytes), 0, HTTP_SERVER_MAX_BYTES,
      "response body size in bytes (default 1024)" },
    { "connect", 0, OPT_STRING, offsetof(struct net_options, connect), 0, 0,
      "HOST:PORT of a running HTTP/1.1 server (default: start cbench serve)" },
    { "server-loops", 0, OPT_INT, offsetof(struct net_options, server_loops), 0, 64,
      "event loops of the server cbench starts (default 0: one per core)" },
    { "timeout-ms", 0, OPT_INT, offsetof(struct net_options, timeout_ms), 0, 3600000,
      "a request (connect included) failing after N ms (default 0: 10000 + --delay-ms)" },
    { "rate", 0, OPT_DOUBLE, offsetof(struct net_options, rate), 0.001, 1000000,
      "open loop: N requests/s over all connections, timed from when each was due; "
      "needs --duration (default: closed loop)" },
    { "duration", 0, OPT_DOUBLE, offsetof(struct net_options, duration), 0.001, 3600,
      "with --rate: the schedule lasts N s (instead of --requests)" },
    OPT_END,
};

long net_default_tasks(void)
{
    return 10;
}

int64_t net_timeout_ns(const struct net_options *o)
{
    return (o->timeout_ms ? o->timeout_ms : 10000 + o->delay_ms) * 1000000LL;
}

/* Open loop: the requests of the whole schedule, ceil(rate x duration)
 * (a hair less than the product first, so that 0.1 x 30 is 3, not 4). */
uint64_t net_schedule_total(const struct net_options *o)
{
    double total = o->rate * o->duration;
    return (uint64_t)ceil(total - total * 1e-12);
}

/* ... and of connection `id` of `tasks`: requests id, id + tasks, ... */
uint64_t net_schedule_of(uint64_t total, long tasks, long id)
{
    return total > (uint64_t)id ? (total - (uint64_t)id - 1) / (uint64_t)tasks + 1 : 0;
}

/* The body size request `k` of a connection asks for: --bytes when k is
 * even, one byte more when odd (one less at the largest size the server
 * sends), so that an answer to the request before or after has the wrong
 * length. Deterministic: the checksum is the same under every model. */
long net_bytes_asked(const struct net_options *o, long k)
{
    if (k % 2 == 0)
        return o->bytes;
    return o->bytes < HTTP_SERVER_MAX_BYTES ? o->bytes + 1 : o->bytes - 1;
}

uint32_t net_latency_per_task(const void *params, long tasks)
{
    const struct net_options *o = params;
    if (!net_open_loop(o))
        return (uint32_t)o->requests;
    uint64_t most = net_schedule_of(net_schedule_total(o), tasks, 0);   /* connection 0's */
    return most > UINT32_MAX ? UINT32_MAX : (uint32_t)most;
}

/* --rate and --duration make sense together, instead of --requests, and
 * only when every connection runs at once. 0, or 2 after saying why. */
int net_check_open_loop(const struct net_options *o, const struct workload_env *env)
{
    const char *why = NULL;
    if (o->rate > 0 && o->duration <= 0)
        why = "--rate needs --duration S: how long the schedule runs";
    else if (o->duration > 0 && o->rate <= 0)
        why = "--duration times an open-loop run: give --rate too (a closed-loop run is "
              "sized by --requests)";
    else if (o->rate > 0 && o->requests != net_defaults.requests)
        why = "--requests sizes a closed-loop run; a --rate run lasts --duration";
    if (why) {
        fprintf(stderr, "cbench: net: %s\n", why);
        return 2;
    }
    if (net_open_loop(o) && env->concurrency < env->tasks) {
        fprintf(stderr, "cbench: net: --rate spreads its requests over connections that are all "
                "open at once, but %s runs %ld of the %ld connections at a time (use -n %ld, or a "
                "model or -w that runs them all)\n", env->model, env->concurrency, env->tasks,
                env->concurrency);
        return 2;
    }
    return 0;
}
