/* libev_sleep_bare.c - P3's floor: what `cbench run async sleep -n N --ms MS`
 * cannot go under on this machine. N ev_timers of MS ms (48 B each, one
 * calloc), started in one loop and fired by libev, nothing else: no task
 * array, no per-task state, no latency samples, no timerfd. Prints the wall
 * from before the loop's creation to the last timer's callback, the time
 * the starts took, and the peak RSS (and the RSS before) in KiB.
 * Build: cc -O2 -o /tmp/libev_sleep_bare libev_sleep_bare.c -lev
 * Usage: libev_sleep_bare [N [MS]] */
#define _GNU_SOURCE
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long fired;
static long long last_ns;

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    fired++;
    last_ns = now_ns();
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    double seconds = (argc > 2 ? atof(argv[2]) : 1000) / 1000.0;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    long long t0 = now_ns();
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    ev_timer *timers = calloc((size_t)n, sizeof *timers);
    if (!loop || !timers) {
        fprintf(stderr, "libev_sleep_bare: cannot set up %ld timers\n", n);
        return 1;
    }
    for (long i = 0; i < n; i++) {
        ev_timer_init(&timers[i], on_timer, seconds, 0);
        ev_timer_start(loop, &timers[i]);
    }
    long long t1 = now_ns();
    ev_run(loop, 0);
    getrusage(RUSAGE_SELF, &r1);
    printf("wall_s %.3f start_s %.3f maxrss_kib %ld base_kib %ld fired %ld\n",
           (double)(last_ns - t0) / 1e9, (double)(t1 - t0) / 1e9, r1.ru_maxrss, r0.ru_maxrss, fired);
    free(timers);
    ev_loop_destroy(loop);
    return fired == n ? 0 : 1;
}
