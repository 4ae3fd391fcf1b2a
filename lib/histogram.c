/* histogram.c - the log-linear histogram of histogram.h. */
#include "histogram.h"
#include "stats.h"

#define EXACT (1u << HISTOGRAM_EXACT_BITS)
#define SUB (1u << HISTOGRAM_SUB_BITS)
#define TOP ((UINT64_C(1) << HISTOGRAM_VALUE_BITS) - 1)

/* Bucket of `v`: v itself below 128; above, which power of two (k) and
 * which 64th of it. Within octave k a bucket is 2^(k-6) wide and starts at
 * 2^k or more, hence the 1/128 bound on the middle's error. */
static size_t histogram_index(uint64_t v)
{
    if (v > TOP)
        v = TOP;
    if (v < EXACT)
        return (size_t)v;
    unsigned k = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = k - HISTOGRAM_SUB_BITS;
    uint64_t sub = (v >> shift) & (SUB - 1);
    return EXACT + (size_t)(k - HISTOGRAM_EXACT_BITS) * SUB + (size_t)sub;
}

/* The middle of bucket `i` (its lowest value when it is one or two wide). */
static uint64_t histogram_middle(size_t i)
{
    if (i < EXACT)
        return i;
    size_t octave = (i - EXACT) / SUB, sub = (i - EXACT) % SUB;
    unsigned shift = (unsigned)(octave + HISTOGRAM_EXACT_BITS - HISTOGRAM_SUB_BITS);
    uint64_t low = (uint64_t)(SUB + sub) << shift, width = UINT64_C(1) << shift;
    return low + (width - 1) / 2;
}

void histogram_init(struct histogram *h)
{
    atomic_init(&h->count, 0);
    atomic_init(&h->max, 0);
    atomic_init(&h->min_inverted, 0);
    for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++)
        atomic_init(&h->bucket[i], 0);
}

/* *a = the larger of *a and v, however many record at once. */
static void histogram_raise(_Atomic uint64_t *a, uint64_t v)
{
    uint64_t cur = atomic_load_explicit(a, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak_explicit(a, &cur, v, memory_order_relaxed,
                                                              memory_order_relaxed))
        ;
}

void histogram_record(struct histogram *h, uint64_t value)
{
    atomic_fetch_add_explicit(&h->bucket[histogram_index(value)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    histogram_raise(&h->max, value);
    histogram_raise(&h->min_inverted, ~value);
}

void histogram_merge(struct histogram *into, const struct histogram *from)
{
    for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++) {
        uint64_t n = atomic_load_explicit(&from->bucket[i], memory_order_relaxed);
        if (n)
            atomic_fetch_add_explicit(&into->bucket[i], n, memory_order_relaxed);
    }
    uint64_t count = histogram_count(from);
    if (count == 0)
        return;
    atomic_fetch_add_explicit(&into->count, count, memory_order_relaxed);
    histogram_raise(&into->max, histogram_max(from));
    histogram_raise(&into->min_inverted, ~histogram_min(from));
}

uint64_t histogram_count(const struct histogram *h)
{
    return atomic_load_explicit(&h->count, memory_order_relaxed);
}

uint64_t histogram_max(const struct histogram *h)
{
    return atomic_load_explicit(&h->max, memory_order_relaxed);
}

uint64_t histogram_min(const struct histogram *h)
{
    return histogram_count(h) ? ~atomic_load_explicit(&h->min_inverted, memory_order_relaxed) : 0;
}

uint64_t histogram_percentile(const struct histogram *h, double q)
{
    uint64_t count = histogram_count(h);
    if (count == 0)
        return 0;
    size_t rank = stats_rank(q, (size_t)count);
    if (rank == count)
        return histogram_max(h);
    uint64_t seen = 0;
    for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++) {
        seen += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (seen >= rank) {
            /* the exact min and max bound every bucket's samples */
            uint64_t v = histogram_middle(i), lo = histogram_min(h), hi = histogram_max(h);
            return v < lo ? lo : v > hi ? hi : v;
        }
    }
    return histogram_max(h);   /* counts still arriving: the top is the max */
}
