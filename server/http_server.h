/* http_server.h - the HTTP/1.1 server that `cbench serve` runs.
 *
 * It is the far end of the `net` workload and of wrk: a libev event loop per
 * thread (all sharing one port through SO_REUSEPORT), requests parsed with
 * libhttp-parser, keep-alive and pipelining, and exactly one resource:
 *
 *   GET /?delay_ms=D&bytes=B&cpu_us=C
 *
 * answers `200 OK` with a B-byte body after D milliseconds and C µs of CPU
 * work (http_cpu_work: inline, so it blocks the loop). The delay is an
 * ev_timer, so a slow response never blocks the loop: D models slow I/O, B
 * models the payload. Both parameters are optional and default to 0 (an
 * immediate, empty 200). Limits: 0 <= D <= HTTP_SERVER_MAX_DELAY_MS and
 * 0 <= B <= HTTP_SERVER_MAX_BYTES, decimal digits only; anything else is a 400.
 * Unknown query keys are ignored. HEAD is answered like GET without the body.
 *
 * Body contents are deterministic so that clients can verify or checksum them:
 * byte i (counting from 0) of every body is 'a' + (i % 26), i.e.
 * "abcdefghijklmnopqrstuvwxyzabcd...". Use http_server_body_byte().
 *
 * Other answers: 404 for any path but "/", 405 for methods other than GET and
 * HEAD, 400 (then close) for a malformed request, 431 (then close) when the
 * request line plus headers exceed HTTP_SERVER_MAX_HEADER_BYTES. Every
 * response carries Content-Length. A connection that sends nothing for
 * idle_timeout_s is closed (a response being delayed does not count as idle,
 * nor does one being sent, as long as the client reads it).
 *
 * Slow or greedy clients cannot hold the server: a request (line, headers,
 * any body) must be complete within header_timeout_s of its first byte, or
 * the connection is closed, however often bytes trickle in (nginx's
 * client_header_timeout). Responses go out one at a time, and while more
 * than HTTP_SERVER_MAX_UNSENT bytes of output wait unsent (TCP_NOTSENT_LOWAT)
 * the connection is not read; at most HTTP_SERVER_MAX_PENDING bytes of input
 * are held beyond the request being answered. A client that pipelines
 * without reading is therefore stopped by TCP flow control.
 */
#ifndef CBENCH_HTTP_SERVER_H
#define CBENCH_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "http_limits.h"
#include "http_request.h"

struct server_config {
    const char *host;      /* address to bind; default "127.0.0.1"; "::1" works too */
    int port;              /* 0 = ephemeral; default 8080 */
    int loops;             /* event loops, each in its own thread, sharing the port via
                              SO_REUSEPORT; default = number of online CPUs */
    double idle_timeout_s; /* close a connection that sends nothing for this long;
                              default 10; 0 = never */
    double header_timeout_s; /* close a connection whose request is not complete
                              this long after its first byte; default 10; 0 = never */
    bool refuse_when_full; /* out of descriptors (EMFILE): accept a new client with
                              a reserve descriptor and refuse it at once (503,
                              closed); false: leave it in the backlog and pause
                              accepting until a connection closes. Default true */
    int ready_fd;          /* if >= 0: once listening, write the chosen port as decimal
                              + '\n' to this fd, then close it; default -1 */
    int stop_fd;           /* the stop pipe: if >= 0, the server stops (as on SIGTERM)
                              once this fd is readable, i.e. a byte was written to the
                              pipe or its write end was closed. Not closed by the
                              server. Default -1. Lets a test or an in-process user
                              stop the server without signals. */
    /* if non-NULL: called once, in the calling thread, when every socket is
       listening (after ready_fd is written), with the bound port. */
    void (*on_ready)(const struct server_config *cfg, int port, void *arg);
    void *on_ready_arg;
};

void http_server_config_default(struct server_config *cfg);

/* Runs until SIGINT/SIGTERM (or until the stop pipe, cfg->stop_fd, becomes
 * readable). Returns a process exit status: 0 clean stop, 1 failure (bind
 * failed etc., message on stderr "cbench serve: ...").
 * Process-wide side effects: SIGPIPE is ignored, the RLIMIT_NOFILE soft limit
 * is raised to the hard limit, and SIGINT/SIGTERM handlers are installed while
 * it runs (restored to the default action when it returns). */
int http_server_run(const struct server_config *cfg);

/* `cbench serve [--port P] [--host H] [--loops L] [--idle-timeout S]
 * [--header-timeout S]`: parses
 * argv (argv[0] is "serve"), prints "cbench serve: listening on HOST:PORT" on
 * stdout (flushed; an IPv6 HOST is bracketed: "[::1]:8080") once ready, runs.
 * Bad option values: one-line message on stderr naming the value, return 2.
 * --help prints usage, return 0. Otherwise returns http_server_run()'s status. */
int http_server_main(int argc, char **argv);

#endif
