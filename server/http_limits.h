/* http_limits.h - what one connection of `cbench serve` may cost the server,
 * whichever model drives it: defined once, printed by `cbench serve --help`
 * (http_limits_help) and enforced by the connection (http_request.c and the
 * drivers). A client that goes past one is answered (431, 400) or closed;
 * it never holds the server. */
#ifndef CBENCH_HTTP_LIMITS_H
#define CBENCH_HTTP_LIMITS_H

#define HTTP_SERVER_MAX_DELAY_MS    60000L
#define HTTP_SERVER_MAX_BYTES       (16L * 1024 * 1024)
#define HTTP_SERVER_MAX_CPU_US      1000000L      /* cpu_us= : at most 1 s of CPU a request */
#define HTTP_SERVER_MAX_HEADER_BYTES 8192
#define HTTP_SERVER_MAX_UNSENT      (64 * 1024)   /* output queued unsent, per connection */
#define HTTP_SERVER_MAX_PENDING     (16 * 1024)   /* input held unparsed, per connection */
#define HTTP_SERVER_HEADER_TIMEOUT_S 10.0         /* default request deadline */
#define HTTP_SERVER_IDLE_TIMEOUT_S  10.0          /* default silence between requests */
/* cbench serve --model: a client that waited longer than this in the
 * backlog to be accepted is turned away (503) instead of served: a model
 * that starts a process or a thread per connection starts them at a rate
 * (about 1,000 processes a second on a small VM, fewer while the earlier
 * connections' processes compete for the core), and a crowd larger than
 * that rate allows would otherwise wait past any client's deadline. 3 s:
 * fork serves a crowd of 1,000 at 1.2 ms a fork, pinned to one core or not
 * (1 s turned 435 of them away, 2 s 220 when pinned), and turns the rest of
 * 10,000 away (a 503 each) before cbench's 10 s deadline (5 s left 1,656 of
 * them to time out). */
#define HTTP_SERVER_MAX_BACKLOG_MS  3000
#define HTTP_SERVER_MIN_IDLE_S      0.001         /* shorter timeouts are raised to this */
/* One read. Input that follows a request whose answer cannot leave at once
 * (a pipelining client that does not read) is kept, so this also bounds the
 * input a connection can make us hold: the rest waits in the kernel, which
 * stops the client once its buffers are full. */
#define HTTP_SERVER_READ_CHUNK      HTTP_SERVER_MAX_PENDING
#define HTTP_SERVER_BODY_SPAN       (256 * 1024)  /* body bytes offered to one send */
#define HTTP_SERVER_LINGER_S        2.0           /* how long a closing connection may drain */
#define HTTP_SERVER_DRAIN_MAX       (256 * 1024)  /* and how many bytes it may send us */
#define HTTP_SERVER_ACCEPT_PAUSE_S  0.1           /* back-off after ENFILE (no reserve left) */

/* The per-connection limits as `cbench serve --help` states them. */
void http_limits_help(void);

#endif
