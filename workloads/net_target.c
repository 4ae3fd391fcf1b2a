/* net_target.c - where the net workload's requests go. By default cbench
 * starts its own server (`cbench serve`, as a child process on 127.0.0.1
 * with an ephemeral port) and stops it afterwards; --connect HOST:PORT
 * targets one already running. Either way one connection is tried before
 * the run, so that a target nothing listens at fails with one clear line
 * instead of an error per task.
 */
#include "net_internal.h"
#include "../server/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* Blocking fds (serial, fork, threads): recv(), send() and connect() return
 * EAGAIN / EINPROGRESS after the timeout instead of blocking for ever. */
void net_bound_blocking(int fd, int64_t timeout_ns)
{
    struct timeval tv = { .tv_sec = (time_t)(timeout_ns / 1000000000),
                          .tv_usec = (suseconds_t)(timeout_ns % 1000000000 / 1000) };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* "HOST:PORT" or "[V6HOST]:PORT" -> target->addr. Returns false after a
 * message. */
static bool net_resolve(struct net_target *target, const char *host_port)
{
    char host[64];
    const char *colon = strrchr(host_port, ':');
    size_t host_len = colon ? (size_t)(colon - host_port) : 0;
    if (!colon || host_len == 0 || host_len >= sizeof host || colon[1] == '\0') {
        fprintf(stderr, "cbench: --connect: \"%s\" is not HOST:PORT\n", host_port);
        return false;
    }
    memcpy(host, host_port, host_len);
    host[host_len] = '\0';
    if (host[0] == '[' && host[host_len - 1] == ']') {   /* [::1] */
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    long port;
    if (!opt_parse_long("connect", colon + 1, 1, 65535, &port))
        return false;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    int err = getaddrinfo(host, colon + 1, &hints, &ai);
    if (err) {
        fprintf(stderr, "cbench: --connect: cannot resolve \"%s\": %s\n", host, gai_strerror(err));
        return false;
    }
    memcpy(&target->addr, ai->ai_addr, ai->ai_addrlen);
    target->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    snprintf(target->name, sizeof target->name, "%s", host_port);
    return true;
}

/* Read the port the server child writes once it listens (5 s at most). */
static long net_read_server_port(int fd)
{
    char buf[16] = { 0 };
    size_t len = 0;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    while (len < sizeof buf - 1 && poll(&pfd, 1, 5000) > 0) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (memchr(buf, '\n', len))
            return strtol(buf, NULL, 10);
    }
    return -1;
}

void net_stop_server(struct net_target *target)
{
    if (target->server_pid <= 0)
        return;
    kill(target->server_pid, SIGTERM);
    for (int i = 0; i < 200; i++) {          /* up to 2 s for a clean stop */
        if (waitpid(target->server_pid, NULL, WNOHANG) == target->server_pid) {
            target->server_pid = 0;
            return;
        }
        usleep(10000);
    }
    kill(target->server_pid, SIGKILL);
    waitpid(target->server_pid, NULL, 0);
    target->server_pid = 0;
}

/* In the server child: serve until stopped, and write the port to
 * `ready_fd` once listening. Never returns. */
static void net_serve_child(const struct net_options *o, int ready_fd)
{
    struct server_config cfg;
    http_server_config_default(&cfg);
    cfg.port = 0;
    /* Every client is a task of this run: one that is slow to send (a
     * process among 10,000 on 2 cores waits seconds for its turn) is
     * what the run measures, not a client to cut off. */
    cfg.idle_timeout_s = 0;
    /* ... and one that finds the server out of descriptors (connections
     * just closed by other tasks not yet released) waits for a slot,
     * which the up-front fd check has made sure there will be. */
    cfg.refuse_when_full = false;
    if (o->server_loops > 0)
        cfg.loops = (int)o->server_loops;
    cfg.ready_fd = ready_fd;
    _exit(http_server_run(&cfg));
}

/* Our own server runs in a child process, so its CPU time is not the
 * client's; it dies with us (PDEATHSIG) even if we are killed. */
static int net_start_server(const struct net_options *o, struct net_target *target)
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) {
        fprintf(stderr, "cbench: net: pipe: %s\n", strerror(errno));
        return 1;
    }
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        close(ready[0]);
        /* cbench's own stop handler is not the server's: until the server
         * sets up its own, SIGTERM (the PDEATHSIG below) must end it */
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        net_serve_child(o, ready[1]);
    }
    close(ready[1]);
    long port = pid > 0 ? net_read_server_port(ready[0]) : -1;
    close(ready[0]);
    target->server_pid = pid;
    if (pid < 0 || port <= 0) {
        fprintf(stderr, "cbench: net: could not start the HTTP server: %s\n",
                pid < 0 ? strerror(errno) : "it did not report a port");
        net_stop_server(target);
        return 1;
    }
    char host_port[32];
    snprintf(host_port, sizeof host_port, "127.0.0.1:%ld", port);
    return net_resolve(target, host_port) ? 0 : 1;
}

/* A blocking connect that an interrupt cut short goes on in the kernel:
 * wait for it within `timeout_ns`. The connect's errno (EINPROGRESS when it
 * did not complete in time), or 0. */
static int net_finish_interrupted_connect(int fd, int64_t timeout_ns)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    int64_t end = clock_now_ns() + timeout_ns;
    int n;
    do {
        int64_t left_ms = (end - clock_now_ns()) / 1000000;
        n = poll(&pfd, 1, (int)(left_ms > 0 ? left_ms : 0));
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        return EINPROGRESS;
    int err;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return errno;
    return err;
}

/* Fail early, with one clear line, when nothing listens at the target. */
static int net_probe(const struct net_target *target, int64_t timeout_ns)
{
    int fd = socket(target->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        net_bound_blocking(fd, timeout_ns);   /* a full backlog: EINPROGRESS, not minutes */
    int ok = fd >= 0 && connect(fd, (const struct sockaddr *)&target->addr, target->addr_len) == 0;
    int err = errno;
    if (!ok && fd >= 0 && err == EINTR) {
        /* io_uring's task work, when the uring model has just probed for a
         * ring, interrupts a connect bounded by SO_SNDTIMEO */
        err = net_finish_interrupted_connect(fd, timeout_ns);
        ok = err == 0;
    }
    if (fd >= 0)
        close(fd);
    if (ok)
        return 0;
    if (err == EINPROGRESS)   /* SO_SNDTIMEO expired */
        fprintf(stderr, "cbench: net: cannot connect to %s: timeout: no answer within %lld ms\n",
                target->name, (long long)(timeout_ns / 1000000));
    else
        fprintf(stderr, "cbench: net: cannot connect to %s: %s (is the server running?)\n",
                target->name, strerror(err));
    return 1;
}

int net_open_target(const struct net_options *o, struct net_target *target, int64_t timeout_ns)
{
    int status;
    if (o->connect)
        status = net_resolve(target, o->connect) ? 0 : 2;
    else
        status = net_start_server(o, target);
    if (status == 0)
        status = net_probe(target, timeout_ns);
    if (status != 0)   /* the run stops here: nothing else would stop our server */
        net_stop_server(target);
    return status;
}

/* The server cbench starts is a process of its own with the same
 * RLIMIT_NOFILE: it holds a connection for every task running at once, plus
 * its listening socket and each loop's descriptors (about 4, as async.c). */
int net_check_server_fds(const struct net_options *o, const struct workload_env *env)
{
    long loops = o->server_loops > 0 ? o->server_loops : online_cores();
    long own = loops * 4 + 16, need = env->concurrency + own, fits = env->fd_limit - own;
    if (o->connect || env->fd_limit <= 0 || need <= env->fd_limit)
        return 0;
    fprintf(stderr, "cbench: net: the server cbench starts needs about %ld file descriptors for "
            "%ld connections at once but the limit is %ld (ulimit -n): ", need, env->concurrency,
            env->fd_limit);
    if (fits < 1)
        fprintf(stderr, "raise ulimit -n, or --connect a server started with more\n");
    else
        fprintf(stderr, "use %s %ld or fewer, or --connect a server started with more\n",
                env->concurrency < env->tasks ? "-w" : "-n", fits);
    return 2;
}
