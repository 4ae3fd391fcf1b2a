/* stats.c - percentiles from every recorded sample (no sampling, no
 * histogram buckets), so p99 and max are exact. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t stats_rank(double q, size_t count)
{
    size_t rank = (size_t)ceil(q * (double)count);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return rank;
}

double stats_percentile(const uint32_t *sorted, size_t count, double q)
{
    if (count == 0)
        return 0;
    return sorted[stats_rank(q, count) - 1];
}

struct latency_summary stats_summarise(uint32_t *samples, size_t count)
{
    struct latency_summary s = { .count = count };
    if (count == 0)
        return s;
    qsort(samples, count, sizeof *samples, compare_u32);
    double sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += samples[i];
    s.mean_us = sum / (double)count;
    s.p50_us = stats_percentile(samples, count, 0.50);
    s.p90_us = stats_percentile(samples, count, 0.90);
    s.p99_us = stats_percentile(samples, count, 0.99);
    s.p999_us = stats_percentile(samples, count, 0.999);
    s.p9999_us = stats_percentile(samples, count, 0.9999);
    s.max_us = samples[count - 1];
    return s;
}
