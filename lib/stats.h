/* stats.h - latency distribution: every sample, sorted, nearest-rank
 * (histogram.h keeps one in bounded memory instead). */
#ifndef CBENCH_STATS_H
#define CBENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct latency_summary {
    size_t count;
    double p50_us, p90_us, p99_us, max_us, mean_us;
    double p999_us, p9999_us;   /* the tail: p99.9, p99.99 */
};

/* Sorts `samples` in place and summarises them. count 0 gives all zeros. */
struct latency_summary stats_summarise(uint32_t *samples, size_t count);

/* The 1-based nearest rank of percentile q (0 < q <= 1) among count > 0
 * samples: ceil(q * count), clamped to 1..count. */
size_t stats_rank(double q, size_t count);

/* Nearest-rank percentile (0 < q <= 1) of sorted samples; 0 when empty. */
double stats_percentile(const uint32_t *sorted, size_t count, double q);

#endif
