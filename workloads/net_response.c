/* net_response.c - reading one response of the net workload and checking
 * it. Responses are parsed with libhttp-parser (as wrk does). A response
 * must be a 200 whose body has the size the request asked for (see
 * net_bytes_asked: an answer to another request has the other size), that
 * came no sooner than --delay-ms, and, in an open-loop run, whose body is
 * the one cbench serve sends. A Content-Length or more bytes than asked
 * for, data after the response, a closed or reset connection, or no whole
 * response within --timeout-ms fail the request (net_fail).
 */
#include "net_internal.h"
#include "../lib/fnv.h"

#include <limits.h>
#include <string.h>

/* ---- libhttp-parser callbacks ------------------------------------------ */

static int net_on_body(http_parser *parser, const char *at, size_t length)
{
    struct net_state *s = parser->data;
    s->body_sum = fnv1a(s->body_sum, at, length);
    s->body_len += length;
    return 0;
}

/* A Content-Length other than what was asked is refused before its body
 * (a terabyte, or the answer to another request). */
static int net_on_headers_complete(http_parser *parser)
{
    struct net_state *s = parser->data;
    if (parser->content_length != ULLONG_MAX && parser->content_length != (uint64_t)s->asked) {
        s->wrong_length = true;
        return -1;   /* an error (HPE_CB_headers_complete); 1 would mean "no body" */
    }
    return 0;
}

static int net_on_message_complete(http_parser *parser)
{
    struct net_state *s = parser->data;
    s->complete = true;
    http_parser_pause(parser, 1);   /* anything after the response is an error */
    return 0;
}

static const http_parser_settings net_parser_settings = {
    .on_headers_complete = net_on_headers_complete,
    .on_body = net_on_body,
    .on_message_complete = net_on_message_complete,
};

void net_response_expect(struct net_state *s, long asked)
{
    http_parser_init(&s->parser, HTTP_RESPONSE);
    s->parser.data = s;
    s->complete = false;
    s->asked = asked;
    s->wrong_length = false;
    s->body_sum = FNV1A_OFFSET;   /* as net_on_body folds it */
    s->body_len = 0;
    s->received = 0;
}

/* ---- checks ------------------------------------------------------------ */

/* Anything but 200 is an error, named by its status. */
static bool net_status_ok(struct task *t, struct net_state *s)
{
    if (s->parser.status_code == 200)
        return true;
    net_fail(t, s, NET_MALFORMED, "status %u (expected 200)", s->parser.status_code);
    return false;
}

/* A response whose length is not what the request asked: one larger than
 * either size the run asks for is "too large" (a terabyte Content-Length);
 * one of the other size is the answer to another request ("mismatch"). */
static enum net_read net_mismatch(struct task *t, struct net_state *s, uint64_t length)
{
    const struct net_options *o = t->params;
    if (s->parser.status_code != 0 && !net_status_ok(t, s))
        return NET_READ_FAILED;   /* a 503 with no body says more than its length */
    long odd = net_bytes_asked(o, 1);
    uint64_t largest = (uint64_t)(o->bytes > odd ? o->bytes : odd);
    if (length > largest)
        net_fail(t, s, NET_TOO_LARGE, "response larger than the %ld bytes asked for "
                 "(%llu bytes, %llu received)", s->asked, (unsigned long long)length,
                 (unsigned long long)s->received);
    else
        net_fail(t, s, NET_MISMATCH, "request %ld of the connection asked for %ld bytes and the "
                 "response has %llu: an answer to another request (a copy, or one sent before "
                 "it was asked)", s->done + 1, s->asked, (unsigned long long)length);
    return NET_READ_FAILED;
}

/* A complete response: is it the answer to the request? */
static enum net_read net_check_complete(struct task *t, struct net_state *s)
{
    const struct net_options *o = t->params;
    const struct net_run *r = t->run;
    if (!net_status_ok(t, s))
        return NET_READ_FAILED;
    if (s->body_len != (uint64_t)s->asked)
        return net_mismatch(t, s, s->body_len);
    if (o->delay_ms > 0 && wait_ended_early(s->sent_ns, (double)o->delay_ms / 1e3)) {
        net_fail(t, s, NET_EARLY, "the response came sooner than --delay-ms %ld", o->delay_ms);
        return NET_READ_FAILED;
    }
    /* the open loop's checksum holds the body it must be, not the one it was */
    if (net_open_loop(o) && s->body_sum != r->body_hash[s->done % 2]) {
        net_fail(t, s, NET_MALFORMED, "the body is not the one cbench serve sends for %ld bytes",
                 s->asked);
        return NET_READ_FAILED;
    }
    return NET_READ_ANSWERED;
}

/* What the WAIT_RECV brought (t->io_result bytes at t->io_buf). */
static enum net_read net_parse_received(struct task *t, struct net_state *s, size_t n)
{
    s->received += n;
    size_t used = http_parser_execute(&s->parser, &net_parser_settings, t->io_buf, n);
    if (s->wrong_length)
        return net_mismatch(t, s, s->parser.content_length);
    if (s->received > (uint64_t)s->asked + NET_HEADER_ROOM)
        return net_mismatch(t, s, s->received);
    if (s->complete && used == n)
        return net_check_complete(t, s);
    if (s->complete || HTTP_PARSER_ERRNO(&s->parser) != HPE_OK) {
        net_fail(t, s, NET_MALFORMED, "%s", s->complete ? "data after the response"
                 : http_errno_description(HTTP_PARSER_ERRNO(&s->parser)));
        return NET_READ_FAILED;
    }
    if (net_expired(t)) {   /* a server trickling bytes gets no more time */
        net_timeout(t, s, "no complete response");
        return NET_READ_FAILED;
    }
    return NET_READ_MORE;
}

enum net_read net_response_read(struct task *t, struct net_state *s)
{
    int64_t n = t->io_result;
    if (net_not_done(n)) {
        if (!net_expired(t))
            return NET_READ_MORE;
        net_timeout(t, s, "no complete response");
        return NET_READ_FAILED;
    }
    if (n == 0) {
        net_fail(t, s, NET_CLOSED, "connection closed by the server after %llu bytes "
                 "of the response", (unsigned long long)s->received);
        return NET_READ_FAILED;
    }
    if (n < 0) {
        net_fail(t, s, n == -ECONNRESET ? NET_RESET : NET_OTHER, "recv: %s", strerror((int)-n));
        return NET_READ_FAILED;
    }
    return net_parse_received(t, s, (size_t)n);
}
