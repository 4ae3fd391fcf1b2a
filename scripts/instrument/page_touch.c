/* page_touch.c - what a fresh page costs here: calloc N items of SIZE bytes
 * and write one pointer into each, as an event loop's first pass over its
 * task array does; prints the time, the minor faults it took (getrusage),
 * µs per fault and µs per item.
 * Build: cc -O2 -o /tmp/page_touch page_touch.c
 * Usage: page_touch N SIZE */
#define _GNU_SOURCE
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

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: page_touch N SIZE\n");
        return 2;
    }
    long n = atol(argv[1]);
    size_t size = (size_t)atol(argv[2]);
    if (n <= 0 || size < sizeof(void *)) {
        fprintf(stderr, "page_touch: N > 0 and SIZE >= %zu\n", sizeof(void *));
        return 2;
    }
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    long long t0 = now_ns();
    char *p = calloc((size_t)n, size);
    if (!p)
        return 1;
    for (long i = 0; i < n; i++)
        *(void **)(p + (size_t)i * size) = p;
    long long t1 = now_ns();
    getrusage(RUSAGE_SELF, &r1);
    long faults = r1.ru_minflt - r0.ru_minflt;
    printf("%ld x %zu B: %.1f ms, %ld faults, %.2f us per fault, %.3f us per item\n", n, size,
           (double)(t1 - t0) / 1e6, faults, faults ? (double)(t1 - t0) / 1e3 / (double)faults : 0.0,
           (double)(t1 - t0) / 1e3 / (double)n);
    free(p);
    return 0;
}
