/* http_conn.h - `cbench serve` as tasks that every model drives: the
 * server written once, as a workload (not in the registry: it is served,
 * not measured by `cbench run`).
 *
 * Task i < tasks is a listener on its own socket (one per loop, sharing
 * the port through SO_REUSEPORT; one for a blocking model): it accepts and
 * asks the model for a new task per connection (WAIT_SPAWN), or turns the
 * client away at once (503, closed) when the model is at its connection
 * limit or out of descriptors. A connection task reads a request
 * (WAIT_RECV), may compute (WAIT_CPU, then cpu_us of the CPU kernel), may
 * wait (WAIT_TIMER, delay_ms), and writes the answer (WAIT_SEND); the
 * protocol and the limits are server/http_request.c's, the same as the
 * libev server's. */
#ifndef CBENCH_HTTP_CONN_H
#define CBENCH_HTTP_CONN_H

#include "workload.h"

#include <stdatomic.h>

#define HTTP_CONN_MAX_LISTENERS 1024

struct http_conn_params {
    const char *host;
    long port;
    double idle_timeout_s;      /* 0: never */
    double header_timeout_s;    /* 0: never */
};

/* The run state: what setup opened. */
struct http_conn_run {
    struct http_conn_params cfg;   /* clamped (HTTP_SERVER_MIN_IDLE_S) */
    int port;                      /* the port bound */
    long listeners;
    int listen_fd[HTTP_CONN_MAX_LISTENERS];
    /* clients turned away for waiting in the backlog past
     * HTTP_SERVER_MAX_BACKLOG_MS (MAP_SHARED: fork's listeners count too) */
    atomic_long *late;
};

/* How many clients were turned away for waiting too long (0 if unknown). */
long http_conn_late(const struct http_conn_run *r);

extern const struct workload http_conn_workload;

#endif
