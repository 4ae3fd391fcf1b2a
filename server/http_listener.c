/* http_listener.c - listening sockets and turning clients away (see
 * http_listener.h). */
#include "http_listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_SERVER_BACKLOG 65535   /* the kernel caps it at somaxconn */

int http_listener_resolve(const char *host, struct addrinfo **out)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    return getaddrinfo(host, "0", &hints, out);
}

static void set_port(struct sockaddr *sa, int port)
{
    if (sa->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
}

static int get_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A listening socket on host:port. Returns the fd or -1. */
static int listen_one(const struct addrinfo *ai, const char *host, int port, bool reuseport,
                      bool nonblocking)
{
    struct sockaddr_storage ss;
    int one = 1;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    set_port((struct sockaddr *)&ss, port);
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0),
                    ai->ai_protocol);
    if (fd < 0) {
        fprintf(stderr, "cbench serve: socket: %s\n", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        fprintf(stderr, "cbench serve: SO_REUSEPORT: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) < 0 || listen(fd, HTTP_SERVER_BACKLOG) < 0) {
        fprintf(stderr, "cbench serve: cannot listen on %s port %d: %s\n", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* SO_REUSEPORT would also let us join another server already on the port
 * (same user), silently splitting its traffic with it. So first claim the
 * port with a plain socket: that fails if the port is taken, and picks the
 * ephemeral port for port 0. Returns the port, or -1 after saying why. */
static int probe_port(const struct addrinfo *ai, const char *host, int port)
{
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    set_port((struct sockaddr *)&ss, port);
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) < 0) {
        fprintf(stderr, "cbench serve: cannot listen on %s port %d: %s\n", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    port = get_port(fd);
    close(fd);   /* never listened: the port is free again at once */
    return port;
}

int http_listener_open(const char *host, int port, int n, bool nonblocking, int *fds)
{
    struct addrinfo *ai;
    int err = http_listener_resolve(host, &ai);
    if (err) {
        fprintf(stderr, "cbench serve: host \"%s\": %s\n", host, gai_strerror(err));
        return -1;
    }
    if (n > 1)
        port = probe_port(ai, host, port);
    int opened = 0;
    for (; port >= 0 && opened < n; opened++) {
        fds[opened] = listen_one(ai, host, port, n > 1, nonblocking);
        if (fds[opened] < 0)
            break;
        if (opened == 0 && (port = get_port(fds[0])) < 0)
            fprintf(stderr, "cbench serve: getsockname: %s\n", strerror(errno));
    }
    freeaddrinfo(ai);
    if (port >= 0 && opened == n)
        return port;
    for (int i = 0; i < opened; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return -1;
}

static const char refusal[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

void http_listener_turn_away(int fd)
{
    ssize_t ignored = send(fd, refusal, sizeof refusal - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;   /* refused either way: the close says it too */
    close(fd);
}

int http_listener_reserve(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Out of descriptors (EMFILE), a client left in the backlog would wait
 * until some connection closes - seconds, or for ever with no idle
 * timeout. As nginx does, keep one descriptor in reserve: give it up,
 * accept the client, answer 503 and close, take the reserve again. */
bool http_listener_refuse_one(int listen_fd, int *reserve_fd)
{
    if (*reserve_fd < 0)
        return false;
    close(*reserve_fd);
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        http_listener_turn_away(fd);
    *reserve_fd = http_listener_reserve();
    return fd >= 0 && *reserve_fd >= 0;
}
