/* http_request.h - the protocol half of a connection of `cbench serve`,
 * apart from how it waits: reading requests (libhttp-parser, with the head
 * size limit and pipelining kept in order), routing the one resource, and
 * formatting answers. Both drivers use it: the libev server
 * (http_server.c) and the connection task every model drives
 * (workloads/http_conn.c).
 *
 *   GET /?delay_ms=D&bytes=B&cpu_us=C
 *
 * answers 200 with a B-byte body after D ms, having done C µs of CPU work
 * (cpu_kernel_iters: fixed iterations of the CPU kernel, so every model
 * does the same work). */
#ifndef CBENCH_HTTP_REQUEST_H
#define CBENCH_HTTP_REQUEST_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "http_limits.h"

#define HTTP_URL_INLINE 64
/* Worst case: status line 46 + Date 37 + Content-Type and Content-Length 52 +
 * Connection 24 + Allow 18 + blank line 2 + error body 32 = 211 bytes. */
#define HTTP_HEAD_MAX 256

/* Byte i of every response body. */
static inline char http_server_body_byte(size_t i) { return (char)('a' + i % 26); }

/* Reading requests, one at a time. */
struct http_reader {
    http_parser parser;
    bool too_large;               /* request line + headers over the limit */
    bool in_head;                 /* the parser is in a request line or headers */
    bool request_begun;           /* a byte of the next request has been parsed */
    bool keep_alive;              /* the request allows another after it */
    uint8_t method;               /* enum http_method of the request */
    uint32_t head_bytes;          /* size of that head so far */
    /* The request target, accumulated across reads (the parser hands it over
     * in pieces that point into the read buffer). */
    char *url;                    /* url_inline, or malloc'd when longer */
    uint16_t url_len, url_cap;
    char url_inline[HTTP_URL_INLINE];
};

enum feed_result { FEED_MORE, FEED_REQUEST, FEED_ERROR };

void http_reader_init(struct http_reader *r);
/* Give back a long URL's memory (after each request, and at close). */
void http_reader_url_reset(struct http_reader *r);
/* Feed input to the parser. *used says how much it consumed: everything for
 * FEED_MORE, up to the end of the request for FEED_REQUEST. *begun is set
 * true when this input began a request (its first byte: the request
 * deadline runs from then). */
enum feed_result http_reader_feed(struct http_reader *r, const char *data, size_t len,
                                  size_t *used, bool *begun);

/* What a request asks for. */
struct http_query {
    long delay_ms, bytes, cpu_us;
};

/* The answer to the request just read: 200 (and the query), 400 for a bad
 * value, 404 for another path, 405 for another method. */
int http_route(const struct http_reader *r, struct http_query *q);

/* The answer's head. */
struct http_head {
    int status;
    unsigned long content_length;
    bool close;                   /* "Connection: close" */
    bool http10_keep_alive;       /* an HTTP/1.0 client that asked to keep alive */
    const char *error_body;       /* NULL, or appended after the head */
};
const char *http_reason(int status);
/* Formats into buf (HTTP_HEAD_MAX bytes); returns the length. `date` is a
 * "Date: ...\r\n" line (http_date_line). */
size_t http_head_format(char *buf, const struct http_head *h, const char *date);
/* The status's reason and a newline: the body of an answer other than 200. */
void http_error_body(int status, char *buf, size_t size);
/* The Date header, reformatted at most once a second: *sec and line[48]
 * are the caller's cache (one per loop or thread). */
const char *http_date_line(time_t *sec, char line[48]);

/* cpu_us= : the CPU kernel's fixed iterations for `us` µs of the reference
 * machine (CPU_KERNEL_ITERS_PER_MS), run here, in the caller's thread. */
void http_cpu_work(long us);

/* The shared, read-only body pattern: HTTP_SERVER_BODY_SPAN + 26 bytes, so
 * that a body of any length is sent from it at offset (sent % 26). */
const char *http_body_pattern(void);

/* Keep the input that follows a complete request for later: a copy of
 * data[0..len) in *pending (none when len is 0), *off = 0, *pending_len =
 * len. False when out of memory. */
bool http_pending_save(char **pending, uint32_t *off, uint32_t *pending_len, const char *data, size_t len);

#endif
