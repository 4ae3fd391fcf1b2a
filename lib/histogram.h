/* histogram.h - a log-linear histogram of non-negative integers, as
 * HdrHistogram keeps them (Debian packages no C HdrHistogram).
 *
 * Values below 128 have a bucket each; every power of two above is cut into
 * 64 equal buckets. A percentile is read back as the middle of the bucket
 * that holds the nearest-rank sample, so it is within 1/128 (0.8 %) of that
 * sample; min and max are kept exactly. Values up to 2^44 - 1 are bucketed
 * (2^44 ns is 4.9 hours); larger ones go into the top bucket (max stays
 * exact).
 *
 * Fixed size, no allocation, and a zeroed histogram is an empty one, so it
 * can live in MAP_SHARED memory as it comes from mmap; recording is a few
 * relaxed atomic operations, so threads and fork's processes may record
 * into one histogram at once. About 19.5 KiB each, whatever it counts.
 * Uses nothing of cbench outside lib/. */
#ifndef CBENCH_HISTOGRAM_H
#define CBENCH_HISTOGRAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_EXACT_BITS 7    /* 0..127: one bucket per value */
#define HISTOGRAM_SUB_BITS   6    /* 64 buckets per power of two above */
#define HISTOGRAM_VALUE_BITS 44   /* the largest value bucketed: 2^44 - 1 */
#define HISTOGRAM_BUCKETS ((1 << HISTOGRAM_EXACT_BITS) + \
                           (HISTOGRAM_VALUE_BITS - HISTOGRAM_EXACT_BITS) * (1 << HISTOGRAM_SUB_BITS))

struct histogram {
    _Atomic uint64_t count;
    _Atomic uint64_t max;
    _Atomic uint64_t min_inverted;   /* ~min, so that zeroed memory means "none yet" */
    _Atomic uint64_t bucket[HISTOGRAM_BUCKETS];
};

/* Empty `h` (zeroed memory is empty already). */
void histogram_init(struct histogram *h);
/* Count one value; safe from any thread or process sharing `h`. */
void histogram_record(struct histogram *h, uint64_t value);
/* Add every value counted in `from` to `into`. */
void histogram_merge(struct histogram *into, const struct histogram *from);

uint64_t histogram_count(const struct histogram *h);
uint64_t histogram_min(const struct histogram *h);   /* 0 when empty */
uint64_t histogram_max(const struct histogram *h);   /* 0 when empty */
/* The nearest-rank percentile (0 < q <= 1), within 0.8 % of the exact one
 * (exact for values below 128, for q = 1 and for one sample); 0 when empty. */
uint64_t histogram_percentile(const struct histogram *h, double q);

#endif
