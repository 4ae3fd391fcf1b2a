/* stats.h - latency distribution: every sample, sorted, nearest-rank. */
#ifndef CBENCH_STATS_H
#define CBENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct latency_summary {
    size_t count;
    double p50_us, p90_us, p99_us, max_us, mean_us;
};

/* Sorts `samples` in place and summarises them. count 0 gives all zeros. */
struct latency_summary stats_summarise(uint32_t *samples, size_t count);

/* Nearest-rank percentile (0 < q <= 1) of sorted samples; 0 when empty. */
double stats_percentile(const uint32_t *sorted, size_t count, double q);

#endif
