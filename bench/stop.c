/* stop.c - SIGTERM and SIGINT during `cbench run`.
 *
 * Killed by its default action, cbench would leave its workers to finish
 * on their own (a fork worker blocked in recv() waits out its timeout) and
 * print nothing. Caught, the signal cancels the run as a failed task does
 * under --fail-task (models/model.h): task_step ends every task, event
 * loops wake on the cancel eventfd, fork's parent kills its workers and
 * reaps them (models/fork.c), and teardown stops net's server child; the
 * run then fails (exit 1, no checksum) with a line saying why.
 *
 * Without --fail-task a blocking model's waits do not poll the cancel
 * eventfd (that would cost a syscall per wait in every run), so the
 * handler interrupts every thread of the process instead: a blocking call
 * returns EINTR, which the models do not resume once run_stop_signal is
 * set. The handler uses async-signal-safe calls only (raw syscalls for the
 * thread list: opendir and readdir allocate). */
#include "stop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The run a stop signal cancels. */
static struct run *stop_run;

/* A directory entry as getdents64 returns it. */
struct stop_dirent {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static pid_t stop_parse_tid(const char *name)
{
    pid_t tid = 0;
    for (; *name >= '0' && *name <= '9'; name++)
        tid = tid * 10 + (*name - '0');
    return *name == '\0' ? tid : 0;   /* "." and ".." are not threads */
}

/* Send `sig` to every other thread of this process: its blocking call
 * returns EINTR (the handler runs there too and finds the stop done). */
static void stop_interrupt_threads(int sig)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
    _Alignas(8) char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long at = 0; at < n;) {
            const struct stop_dirent *d = (const struct stop_dirent *)(buf + at);
            at += d->reclen;
            pid_t tid = stop_parse_tid(d->name);
            if (tid > 0 && tid != self)
                syscall(SYS_tgkill, pid, tid, sig);
        }
    }
    close(fd);
}

static void stop_on_signal(int sig)
{
    int saved = errno;
    if (!run_stop_signal) {
        run_cancel_request(stop_run);   /* first, so that an interrupted task finds it */
        run_stop_signal = sig;
        stop_interrupt_threads(sig);
    }
    errno = saved;
}

void run_stop_catch(struct run *r, struct run_stop_saved *saved)
{
    stop_run = r;
    /* no SA_RESTART: the point is to interrupt the call blocked in */
    struct sigaction sa = { .sa_handler = stop_on_signal, .sa_flags = 0 };
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaction(SIGTERM, &sa, &saved->term);
    sigaction(SIGINT, &sa, &saved->intr);
    /* a signal ignored on purpose (a shell's background job ignores
     * SIGINT) stays ignored */
    if (saved->term.sa_handler == SIG_IGN)
        sigaction(SIGTERM, &saved->term, NULL);
    if (saved->intr.sa_handler == SIG_IGN)
        sigaction(SIGINT, &saved->intr, NULL);
}

void run_stop_release(const struct run_stop_saved *saved)
{
    if (run_stop_signal)
        return;
    sigaction(SIGTERM, &saved->term, NULL);
    sigaction(SIGINT, &saved->intr, NULL);
    stop_run = NULL;
}

const char *run_stop_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
