/* unit_histogram.c - lib/histogram.c against the exact answer: nearest-rank
 * percentiles of the same samples, sorted (lib/stats.c), within 1 %; the
 * edge cases (empty, one sample, the largest values, merge) and recording
 * from several threads and from a fork child at once. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/histogram.h"
#include "../lib/stats.h"
#include "unit.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static const double quantiles[] = { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99,
                                    0.995, 0.999, 0.9999, 1.0 };

/* splitmix64: the same samples on every run. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unit_random(uint64_t *s)
{
    return (double)(next_random(s) >> 11) / 9007199254740992.0;   /* [0, 1) */
}

static struct histogram *histogram_new(void)
{
    struct histogram *h = malloc(sizeof *h);
    assert_non_null(h);
    histogram_init(h);
    return h;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Every quantile of `h` within 1 % of the nearest-rank sample of `sorted`. */
static void assert_matches_sorted(const struct histogram *h, const uint64_t *sorted, size_t n,
                                  const char *what)
{
    assert_int_equal(histogram_count(h), n);
    assert_true(histogram_min(h) == sorted[0]);
    assert_true(histogram_max(h) == sorted[n - 1]);
    for (size_t k = 0; k < COUNT(quantiles); k++) {
        double exact = (double)sorted[stats_rank(quantiles[k], n) - 1];
        double got = (double)histogram_percentile(h, quantiles[k]);
        if (fabs(got - exact) > 0.01 * exact)
            fail_msg("%s, %zu samples: p%g is %.0f, the sorted samples say %.0f (%.3f %% off)",
                     what, n, quantiles[k] * 100, got, exact, 100 * fabs(got - exact) / exact);
    }
}

/* `n` samples drawn by `draw`, through a histogram and through a sort. */
static void check_distribution(uint64_t (*draw)(uint64_t *), size_t n, const char *what)
{
    uint64_t seed = 42 + n;
    uint64_t *samples = malloc(n * sizeof *samples);
    struct histogram *h = histogram_new();
    assert_non_null(samples);
    for (size_t i = 0; i < n; i++) {
        samples[i] = draw(&seed);
        histogram_record(h, samples[i]);
    }
    qsort(samples, n, sizeof *samples, compare_u64);
    assert_matches_sorted(h, samples, n, what);
    free(h);
    free(samples);
}

/* Latencies in ns from 1 µs to 10 s, evenly spread on a log scale. */
static uint64_t draw_log_uniform(uint64_t *s)
{
    return (uint64_t)(1e3 * pow(1e7, unit_random(s)));
}

/* A service time of ~200 µs with an exponential tail. */
static uint64_t draw_exponential(uint64_t *s)
{
    return 200000 + (uint64_t)(-50000.0 * log(1.0 - unit_random(s)));
}

/* Small values: the exact buckets (and the first octaves). */
static uint64_t draw_small(uint64_t *s)
{
    return next_random(s) % 300;
}

/* Mostly fast, 0.5 % stalled for about a second: the shape of a pause. */
static uint64_t draw_bimodal(uint64_t *s)
{
    return unit_random(s) < 0.005 ? 900000000 + next_random(s) % 200000000 : 5000 + next_random(s) % 1000;
}

static void test_histogram_percentiles_match_sorted_samples(void **state)
{
    (void)state;
    static const size_t sizes[] = { 1, 2, 3, 10, 99, 1000, 12345, 200000 };
    for (size_t i = 0; i < COUNT(sizes); i++) {
        check_distribution(draw_log_uniform, sizes[i], "log-uniform 1 µs..10 s");
        check_distribution(draw_exponential, sizes[i], "exponential");
        check_distribution(draw_small, sizes[i], "0..299");
        check_distribution(draw_bimodal, sizes[i], "bimodal");
    }
}

/* Each bucket boundary: a value v recorded between a smaller and a larger
 * one, so that min and max (kept exactly) cannot stand in for it, reads
 * back within 1/128 from the middle of its own bucket. */
static void test_histogram_every_octave_boundary(void **state)
{
    (void)state;
    struct histogram *h = histogram_new();
    for (unsigned k = 1; k < HISTOGRAM_VALUE_BITS; k++) {
        uint64_t base = UINT64_C(1) << k;
        uint64_t values[] = { base - 1, base, base + 1, base + base / 3 };
        for (size_t j = 0; j < COUNT(values); j++) {
            uint64_t v = values[j];
            histogram_init(h);
            histogram_record(h, 0);
            histogram_record(h, v);
            histogram_record(h, v);
            histogram_record(h, UINT64_MAX);
            uint64_t got = histogram_percentile(h, 0.5);   /* rank 2: v's bucket */
            double err = fabs((double)got - (double)v);
            if (v < 128 ? got != v : err > (double)v / 128)
                fail_msg("value %llu reads back as %llu", (unsigned long long)v, (unsigned long long)got);
        }
    }
    free(h);
}

static void test_histogram_empty(void **state)
{
    (void)state;
    struct histogram *h = histogram_new();
    assert_int_equal(histogram_count(h), 0);
    assert_int_equal(histogram_min(h), 0);
    assert_int_equal(histogram_max(h), 0);
    for (size_t k = 0; k < COUNT(quantiles); k++)
        assert_int_equal(histogram_percentile(h, quantiles[k]), 0);
    /* zeroed memory (as mmap gives it) is an empty histogram too */
    struct histogram *z = calloc(1, sizeof *z);
    assert_non_null(z);
    assert_int_equal(histogram_count(z), 0);
    histogram_record(z, 777);
    assert_int_equal(histogram_min(z), 777);
    assert_int_equal(histogram_max(z), 777);
    free(z);
    free(h);
}

static void test_histogram_one_sample(void **state)
{
    (void)state;
    static const uint64_t values[] = { 0, 1, 127, 128, 1000003, 123456789012ULL };
    struct histogram *h = histogram_new();
    for (size_t i = 0; i < COUNT(values); i++) {
        histogram_init(h);
        histogram_record(h, values[i]);
        assert_int_equal(histogram_count(h), 1);
        for (size_t k = 0; k < COUNT(quantiles); k++)
            assert_true(histogram_percentile(h, quantiles[k]) == values[i]);
    }
    free(h);
}

/* Beyond the bucketed range: counted in the top bucket, max still exact. */
static void test_histogram_largest_values(void **state)
{
    (void)state;
    struct histogram *h = histogram_new();
    uint64_t top = (UINT64_C(1) << HISTOGRAM_VALUE_BITS) - 1;
    histogram_record(h, 5);
    histogram_record(h, top);
    histogram_record(h, UINT64_MAX);
    assert_int_equal(histogram_count(h), 3);
    assert_true(histogram_max(h) == UINT64_MAX);
    assert_true(histogram_percentile(h, 1.0) == UINT64_MAX);
    assert_int_equal(histogram_percentile(h, 0.3), 5);
    uint64_t mid = histogram_percentile(h, 0.5);   /* the top bucket, clamped */
    assert_true(fabs((double)mid - (double)top) <= (double)top / 128);
    histogram_init(h);
    histogram_record(h, UINT64_MAX);
    histogram_record(h, UINT64_MAX);
    assert_true(histogram_min(h) == UINT64_MAX);
    assert_true(histogram_percentile(h, 0.5) == UINT64_MAX);
    free(h);
}

static void assert_same_histogram(const struct histogram *a, const struct histogram *b)
{
    assert_int_equal(histogram_count(a), histogram_count(b));
    assert_true(histogram_min(a) == histogram_min(b));
    assert_true(histogram_max(a) == histogram_max(b));
    for (size_t k = 0; k < COUNT(quantiles); k++)
        assert_true(histogram_percentile(a, quantiles[k]) == histogram_percentile(b, quantiles[k]));
}

static void test_histogram_merge(void **state)
{
    (void)state;
    struct histogram *all = histogram_new(), *a = histogram_new(), *b = histogram_new(),
                     *empty = histogram_new(), *copy = histogram_new();
    uint64_t seed = 7;
    for (int i = 0; i < 50000; i++) {
        uint64_t v = draw_log_uniform(&seed);
        histogram_record(all, v);
        histogram_record(i % 3 ? a : b, v);   /* two unequal halves */
    }
    histogram_merge(a, b);
    assert_same_histogram(a, all);
    histogram_merge(a, empty);   /* adds nothing, moves neither min nor max */
    assert_same_histogram(a, all);
    histogram_merge(copy, all);  /* into an empty one: a copy */
    assert_same_histogram(copy, all);
    histogram_merge(empty, empty);
    assert_int_equal(histogram_count(empty), 0);
    assert_int_equal(histogram_min(empty), 0);
    free(all);
    free(a);
    free(b);
    free(empty);
    free(copy);
}

/* ---- recording from several threads, and from a fork child ---- */

#define RECORDERS 4
#define RECORDS 50000

static void *record_many(void *arg)
{
    struct histogram *h = arg;
    for (uint64_t i = 1; i <= RECORDS; i++)
        histogram_record(h, i);
    return NULL;
}

static void test_histogram_concurrent_recording(void **state)
{
    (void)state;
    struct histogram *h = histogram_new();
    pthread_t threads[RECORDERS];
    for (int i = 0; i < RECORDERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, record_many, h), 0);
    for (int i = 0; i < RECORDERS; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(histogram_count(h), RECORDERS * RECORDS);   /* none lost */
    assert_int_equal(histogram_min(h), 1);
    assert_int_equal(histogram_max(h), RECORDS);
    double p50 = (double)histogram_percentile(h, 0.5);
    assert_true(fabs(p50 - RECORDS / 2.0) <= RECORDS / 2.0 / 100);
    free(h);
}

/* As fork's workers use it: a child records into MAP_SHARED memory. */
static void test_histogram_shared_with_a_fork_child(void **state)
{
    (void)state;
    struct histogram *h = mmap(NULL, sizeof *h, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(h != MAP_FAILED);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        record_many(h);
        _exit(0);
    }
    record_many(h);
    int wstatus;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    assert_int_equal(histogram_count(h), 2 * RECORDS);
    assert_int_equal(histogram_max(h), RECORDS);
    munmap(h, sizeof *h);
}

int unit_histogram_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_percentiles_match_sorted_samples),
        cmocka_unit_test(test_histogram_every_octave_boundary),
        cmocka_unit_test(test_histogram_empty),
        cmocka_unit_test(test_histogram_one_sample),
        cmocka_unit_test(test_histogram_largest_values),
        cmocka_unit_test(test_histogram_merge),
        cmocka_unit_test(test_histogram_concurrent_recording),
        cmocka_unit_test(test_histogram_shared_with_a_fork_child),
    };
    return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
