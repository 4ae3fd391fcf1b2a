/* fork_sleep_bare.c - P1's floor: what `cbench run fork sleep -n 3 --ms 1000`
 * cannot go under on this machine. Forks N children that each sleep MS ms
 * (clock_nanosleep, relative, as cbench does) and exit; the parent reaps
 * them. Prints the wall from before the first fork to the last reap, and
 * each phase: forks done, last child's sleep overshoot, exit+reap.
 * Build: cc -O2 -o /tmp/fork_sleep_bare fork_sleep_bare.c
 * Usage: fork_sleep_bare [N [MS]] */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    long ms = argc > 2 ? atol(argv[2]) : 1000;
    _Atomic long long *woke = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    long long t0 = now_ns();
    for (int i = 0; i < n; i++) {
        if (fork() == 0) {
            struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
            long long s = now_ns();
            clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
            long long over = now_ns() - s - ms * 1000000LL, old = woke[0];
            while (over > old && !atomic_compare_exchange_weak(&woke[0], &old, over))
                ;
            woke[1] = now_ns();
            _exit(0);
        }
    }
    long long t1 = now_ns();
    while (wait(NULL) > 0)
        ;
    long long t2 = now_ns();
    printf("wall_s=%.6f fork_ms=%.3f max_overshoot_us=%.1f exit_reap_us=%.1f\n", (t2 - t0) / 1e9,
           (t1 - t0) / 1e6, woke[0] / 1e3, (t2 - woke[1]) / 1e3);
    return 0;
}
