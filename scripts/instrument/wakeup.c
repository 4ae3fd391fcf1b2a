/* wakeup.c - P9's floor: how late this machine wakes a sleeping thread.
 * cyclictest-style: N absolute clock_nanosleep(CLOCK_MONOTONIC) waits of
 * INTERVAL µs each; the lateness of each wakeup (now - due) is sorted and
 * printed as p50/p99/p99.9/max in µs. Run pinned (taskset -c 0).
 * Build: cc -O2 -o /tmp/wakeup wakeup.c
 * Usage: wakeup [N [INTERVAL_US [SLACK_NS]]] (SLACK_NS: PR_SET_TIMERSLACK,
 * default: the thread's own, 50,000 ns) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

static long long ns_of(struct timespec t)
{
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    long interval = argc > 2 ? atol(argv[2]) : 50;
    if (argc > 3)
        prctl(PR_SET_TIMERSLACK, atol(argv[3]));
    long long *late = malloc(sizeof *late * (size_t)n);
    struct timespec due, now;
    clock_gettime(CLOCK_MONOTONIC, &due);
    for (long i = 0; i < n; i++) {
        long long d = ns_of(due) + interval * 1000LL;
        due.tv_sec = d / 1000000000LL;
        due.tv_nsec = d % 1000000000LL;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        late[i] = ns_of(now) - d;
        if (late[i] > interval * 1000LL)
            due = now;   /* fell behind: no catching up in a burst */
    }
    qsort(late, (size_t)n, sizeof *late, cmp);
    printf("wakeups=%ld interval_us=%ld late_us p50=%.1f p99=%.1f p99.9=%.1f max=%.1f\n", n, interval,
           late[n / 2] / 1e3, late[n * 99 / 100] / 1e3, late[n * 999 / 1000] / 1e3, late[n - 1] / 1e3);
    return 0;
}
