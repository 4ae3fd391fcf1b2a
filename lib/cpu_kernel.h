/* cpu_kernel.h - the integer kernel of cpu.c, for workloads that mix CPU
 * work with waits (mixed, chess) and for the server's cpu_us= (http_request.c):
 * a shared helper, so it lives in lib/.
 *
 * Work is given in kernel iterations, never in measured time, so that the
 * checksum is the same on every machine and under every model. Options in
 * milliseconds convert with CPU_KERNEL_ITERS_PER_MS, measured once on the
 * reference 2-core VM (100 M iterations in 0.172-0.177 s, as cpu.c's
 * "58 M ~ 100 ms"); elsewhere a "ms" of work is only approximately one. */
#ifndef CBENCH_CPU_KERNEL_H
#define CBENCH_CPU_KERNEL_H

#include <stdint.h>
#include "fnv.h"

#define CPU_KERNEL_ITERS_PER_MS 580000.0

struct cpu_kernel {
    uint64_t x, h;
};

/* xorshift64 folded into an FNV-style hash: the compiler cannot fold the
 * loop away, and every seed computes something different. */
static inline void cpu_kernel_seed(struct cpu_kernel *k, uint64_t seed)
{
    k->x = (seed * 0x9e3779b97f4a7c15ULL) | 1;   /* xorshift needs x != 0 */
    k->h = FNV1A_OFFSET;
}

static inline void cpu_kernel_run(struct cpu_kernel *k, long iterations)
{
    uint64_t x = k->x, h = k->h;
    for (long i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h = fnv1a_fold(h, x);
    }
    k->x = x;
    k->h = h;
}

static inline long cpu_kernel_iters(double ms)
{
    long n = (long)(ms * CPU_KERNEL_ITERS_PER_MS + 0.5);
    return n > 0 ? n : 1;
}

#endif
