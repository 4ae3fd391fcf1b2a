/* http_request.c - reading requests, routing, formatting answers (see
 * http_request.h). No I/O here: the drivers read and write. */
#include "http_request.h"
#include "../lib/cpu_kernel.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- reading */

static bool reader_url_append(struct http_reader *r, const char *at, size_t len)
{
    size_t need = (size_t)r->url_len + len;
    if (need > HTTP_SERVER_MAX_HEADER_BYTES) {
        r->too_large = true;
        return false;
    }
    if (need > r->url_cap) {
        size_t cap = need > 2u * r->url_cap ? need : 2u * r->url_cap;
        if (cap > HTTP_SERVER_MAX_HEADER_BYTES)
            cap = HTTP_SERVER_MAX_HEADER_BYTES;
        char *grown = r->url == r->url_inline ? malloc(cap) : realloc(r->url, cap);
        if (!grown)
            return false;
        if (r->url == r->url_inline)
            memcpy(grown, r->url_inline, r->url_len);
        r->url = grown;
        r->url_cap = (uint16_t)cap;
    }
    memcpy(r->url + r->url_len, at, len);
    r->url_len = (uint16_t)need;
    return true;
}

static int reader_on_message_begin(http_parser *p)
{
    struct http_reader *r = p->data;
    r->url_len = 0;
    return 0;
}

static int reader_on_url(http_parser *p, const char *at, size_t len)
{
    return reader_url_append(p->data, at, len) ? 0 : -1;
}

static int reader_on_headers_complete(http_parser *p)
{
    struct http_reader *r = p->data;
    r->method = (uint8_t)p->method;
    /* HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive.
     * An Upgrade request is answered normally, then the connection closed. */
    r->keep_alive = http_should_keep_alive(p) && !p->upgrade;
    /* Pause so that http_parser_execute() returns exactly at the end of the
     * head: that is how http_reader_feed() measures the head's size. (The
     * parser's own nread is not usable: it is updated after the callbacks
     * and reset before this one.) */
    http_parser_pause(p, 1);
    return 0;
}

static int reader_on_message_complete(http_parser *p)
{
    /* Stop at the end of each request: a pipelined request behind it is
     * parsed only once this one has been answered, which keeps responses in
     * order and at most one in flight. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings reader_settings = {
    .on_message_begin = reader_on_message_begin,
    .on_url = reader_on_url,
    .on_headers_complete = reader_on_headers_complete,
    .on_message_complete = reader_on_message_complete,
};

void http_reader_init(struct http_reader *r)
{
    memset(r, 0, offsetof(struct http_reader, url_inline));
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
    r->in_head = true;
    r->url = r->url_inline;
    r->url_cap = HTTP_URL_INLINE;
}

void http_reader_url_reset(struct http_reader *r)
{
    if (r->url != r->url_inline)
        free(r->url);
    r->url = r->url_inline;
    r->url_cap = HTTP_URL_INLINE;
    r->url_len = 0;
}

/* The parser pauses twice per request: at the end of the head (to measure
 * it) and at the end of the message (to answer it). */
enum feed_result http_reader_feed(struct http_reader *r, const char *data, size_t len,
                                  size_t *used, bool *begun)
{
    size_t off = 0;
    /* The request deadline runs from the first byte of a request, whatever
     * it is (even the blank lines a parser skips before a request line). */
    *begun = !r->request_begun && len > 0;
    r->request_begun |= *begun;
    for (;;) {
        size_t n = http_parser_execute(&r->parser, &reader_settings, data + off, len - off);
        enum http_errno err = HTTP_PARSER_ERRNO(&r->parser);
        off += n;
        *used = off;
        if (r->in_head) {
            r->head_bytes += (uint32_t)n;
            if (r->head_bytes > HTTP_SERVER_MAX_HEADER_BYTES || err == HPE_HEADER_OVERFLOW) {
                r->too_large = true;
                return FEED_ERROR;
            }
        }
        if (err != HPE_PAUSED)
            return err == HPE_OK && off == len ? FEED_MORE : FEED_ERROR;
        http_parser_pause(&r->parser, 0);
        if (!r->in_head) {
            r->in_head = true;   /* what follows is the next request's head */
            r->head_bytes = 0;
            r->request_begun = false;
            return FEED_REQUEST;
        }
        r->in_head = false;      /* end of the head: go on with the body */
    }
}

/* ---------------------------------------------------------------- routing */

/* Parse [p, end) as a decimal in [0, max]: digits only, no sign, no spaces. */
static bool parse_decimal(const char *p, const char *end, long max, long *out)
{
    long v = 0;
    if (p == end)
        return false;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
        if (v > max)
            return false;   /* also stops overflow: max is far below LONG_MAX / 10 */
    }
    *out = v;
    return true;
}

static bool key_is(const char *p, const char *end, const char *key)
{
    size_t n = strlen(key);
    return (size_t)(end - p) == n && memcmp(p, key, n) == 0;
}

/* The query keys the server knows, their limits and where they go. */
static long *query_field(struct http_query *q, const char *p, const char *end, long *max)
{
    static const struct { const char *key; size_t offset; long max; } keys[] = {
        { "delay_ms", offsetof(struct http_query, delay_ms), HTTP_SERVER_MAX_DELAY_MS },
        { "bytes", offsetof(struct http_query, bytes), HTTP_SERVER_MAX_BYTES },
        { "cpu_us", offsetof(struct http_query, cpu_us), HTTP_SERVER_MAX_CPU_US },
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (key_is(p, end, keys[i].key)) {
            *max = keys[i].max;
            return (long *)((char *)q + keys[i].offset);
        }
    return NULL;
}

/* "/" with an optional query. Unknown keys are ignored. */
static int route_target(const char *url, size_t len, struct http_query *q)
{
    const char *end = url + len;
    const char *query = memchr(url, '?', len);
    const char *path_end = query ? query : end;
    if (path_end - url != 1 || url[0] != '/')
        return 404;
    for (const char *p = query ? query + 1 : end; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        if (!amp)
            amp = end;
        const char *eq = memchr(p, '=', (size_t)(amp - p));
        long max = 0, *dst = query_field(q, p, eq ? eq : amp, &max);
        /* A known key must carry a valid value. */
        if (dst && (!eq || !parse_decimal(eq + 1, amp, max, dst)))
            return 400;
        p = amp + 1;
    }
    return 200;
}

int http_route(const struct http_reader *r, struct http_query *q)
{
    *q = (struct http_query){ 0, 0, 0 };
    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return 405;
    return route_target(r->url, r->url_len, q);
}

/* --------------------------------------------------------------- answering */

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default:  return "Internal Server Error";
    }
}

static char *put(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_uint(char *p, unsigned long v)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

size_t http_head_format(char *buf, const struct http_head *h, const char *date)
{
    char *p = buf;
    p = put(p, "HTTP/1.1 ");
    p = put_uint(p, (unsigned long)h->status);
    *p++ = ' ';
    p = put(p, http_reason(h->status));
    p = put(p, "\r\n");
    p = put(p, date);
    p = put(p, "Content-Type: text/plain\r\nContent-Length: ");
    p = put_uint(p, h->content_length);
    p = put(p, "\r\n");
    if (h->close)
        p = put(p, "Connection: close\r\n");
    else if (h->http10_keep_alive)
        p = put(p, "Connection: keep-alive\r\n");
    if (h->status == 405)
        p = put(p, "Allow: GET, HEAD\r\n");
    p = put(p, "\r\n");
    if (h->error_body)
        p = put(p, h->error_body);
    return (size_t)(p - buf);
}

void http_error_body(int status, char *buf, size_t size)
{
    snprintf(buf, size, "%s\n", http_reason(status));
}

const char *http_date_line(time_t *sec, char line[48])
{
    time_t now = time(NULL);
    if (now != *sec || !line[0]) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(line, 48, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        *sec = now;
    }
    return line;
}

/* ---------------------------------------------------------------- work */

void http_cpu_work(long us)
{
    struct cpu_kernel k;
    cpu_kernel_seed(&k, (uint64_t)us);
    cpu_kernel_run(&k, cpu_kernel_iters((double)us / 1000.0));
    __asm__ volatile("" : : "r"(k.h));   /* the result is used: not optimised away */
}

/* ---------------------------------------------------------------- bodies */

static char body_pattern[HTTP_SERVER_BODY_SPAN + 26];
static pthread_once_t body_pattern_once = PTHREAD_ONCE_INIT;

static void body_pattern_fill(void)
{
    for (size_t i = 0; i < sizeof body_pattern; i++)
        body_pattern[i] = http_server_body_byte(i);
}

const char *http_body_pattern(void)
{
    pthread_once(&body_pattern_once, body_pattern_fill);
    return body_pattern;
}

/* ---------------------------------------------------------------- limits */

void http_limits_help(void)
{
    printf("limits, per connection:\n"
           "  request line + headers     %d bytes at most (else 431, then close)\n"
           "  a request's bytes          all within --header-timeout of its first byte\n"
           "                             (slow bytes do not extend it; else closed)\n"
           "  between requests           --idle-timeout of silence (else closed); a\n"
           "                             delayed answer is not silence\n"
           "  unsent output              %d KiB: beyond it the server stops reading the\n"
           "                             connection until the client has read some\n"
           "  pipelined input held       %d KiB: the rest waits in the kernel\n"
           "  one answer at a time       pipelined requests are answered in order\n"
           "  out of descriptors         a reserve descriptor accepts the client and\n"
           "                             refuses it at once (503, closed)\n",
           HTTP_SERVER_MAX_HEADER_BYTES, HTTP_SERVER_MAX_UNSENT / 1024, HTTP_SERVER_MAX_PENDING / 1024);
}

bool http_pending_save(char **pending, uint32_t *off, uint32_t *pending_len, const char *data, size_t len)
{
    if (len == 0)
        return true;
    *pending = malloc(len);
    if (!*pending)
        return false;
    memcpy(*pending, data, len);
    *off = 0;
    *pending_len = (uint32_t)len;
    return true;
}
