/* unit_stats.c - what turns a run into a result: lib/stats.c (nearest-rank
 * percentiles, mean, max), bench/output.c (the human/csv/json contract),
 * run_measure (same checksum under every model) and the registries. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* strtok_r, dup2 */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/output.h"
#include "../bench/run.h"
#include "../lib/fnv.h"
#include "../lib/stats.h"
#include "../models/model.h"
#include "../workloads/workload.h"
#include "unit.h"

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* ---- stats ---- */

static void assert_summary(struct latency_summary s, size_t count, double p50, double p90,
                           double p99, double max, double mean)
{
    assert_int_equal(s.count, count);
    assert_double_exact(s.p50_us, p50);
    assert_double_exact(s.p90_us, p90);
    assert_double_exact(s.p99_us, p99);
    assert_double_exact(s.max_us, max);
    assert_double_exact(s.mean_us, mean);
}

static void test_summary_of_nothing_is_zero(void **state)
{
    (void)state;
    assert_summary(stats_summarise(NULL, 0), 0, 0, 0, 0, 0, 0);
    uint32_t one = 5;
    assert_summary(stats_summarise(&one, 0), 0, 0, 0, 0, 0, 0);
    assert_int_equal(one, 5);
    assert_double_exact(stats_percentile(NULL, 0, 0.5), 0);
    assert_double_exact(stats_percentile(NULL, 0, 1.0), 0);
}

static void test_summary_of_one_sample(void **state)
{
    (void)state;
    uint32_t s[] = { 7 };
    assert_summary(stats_summarise(s, 1), 1, 7, 7, 7, 7, 7);
}

static void test_summary_nearest_rank_1_to_10(void **state)
{
    (void)state;
    uint32_t s[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    /* ranks ceil(q*n): p50 -> 5th, p90 -> 9th, p99 -> 10th */
    assert_summary(stats_summarise(s, COUNT(s)), 10, 5, 9, 10, 10, 5.5);
}

static void test_summary_sorts_unsorted_input(void **state)
{
    (void)state;
    uint32_t s[100];
    for (uint32_t i = 0; i < 100; i++)
        s[i] = (i * 37) % 100 + 1;   /* a permutation of 1..100 */
    assert_summary(stats_summarise(s, COUNT(s)), 100, 50, 90, 99, 100, 50.5);
    for (size_t i = 0; i < COUNT(s); i++)
        assert_int_equal(s[i], i + 1);   /* sorted in place, nothing lost */

    uint32_t t[] = { 30, 10, 20 };
    assert_summary(stats_summarise(t, COUNT(t)), 3, 20, 30, 30, 30, 20);
    uint32_t d[] = { 5, 5, 1, 5 };
    assert_summary(stats_summarise(d, COUNT(d)), 4, 5, 5, 5, 5, 4);
    uint32_t two[] = { 2, 1 };
    assert_summary(stats_summarise(two, COUNT(two)), 2, 1, 2, 2, 2, 1.5);
}

/* The tail: p99.9 and p99.99 of 1..10,000 are the 9,990th and 9,999th. */
static void test_summary_tail(void **state)
{
    (void)state;
    static uint32_t s[10000];
    for (uint32_t i = 0; i < COUNT(s); i++)
        s[i] = COUNT(s) - i;   /* descending: sorted by the summary */
    struct latency_summary sum = stats_summarise(s, COUNT(s));
    assert_double_exact(sum.p99_us, 9900);
    assert_double_exact(sum.p999_us, 9990);
    assert_double_exact(sum.p9999_us, 9999);
    assert_double_exact(sum.max_us, 10000);
    uint32_t one = 42;   /* and one sample is every percentile */
    sum = stats_summarise(&one, 1);
    assert_double_exact(sum.p999_us, 42);
    assert_double_exact(sum.p9999_us, 42);
}

static void test_summary_max_is_the_largest(void **state)
{
    (void)state;
    /* a single outlier: max sees it, p50 does not; no overflow near 2^32 */
    uint32_t s[] = { 3, UINT32_MAX, 1, 2, UINT32_MAX - 1 };
    struct latency_summary sum = stats_summarise(s, COUNT(s));
    assert_double_exact(sum.max_us, UINT32_MAX);
    assert_double_exact(sum.p50_us, 3);
    assert_double_exact(sum.mean_us, (3.0 + UINT32_MAX + 1 + 2 + (UINT32_MAX - 1.0)) / 5);
}

static void test_percentile_bounds(void **state)
{
    (void)state;
    const uint32_t s[] = { 10, 20, 30, 40 };
    assert_double_exact(stats_percentile(s, 4, 1.0), 40);
    assert_double_exact(stats_percentile(s, 4, 0.0001), 10);
    assert_double_exact(stats_percentile(s, 4, 0.25), 10);
    assert_double_exact(stats_percentile(s, 4, 0.26), 20);
    assert_double_exact(stats_percentile(s, 4, 0.0), 10);   /* rank clamps to 1 */
}

/* Nearest rank = ceil(p/100 * n), computed in integers, for many n: a
 * floating-point rounding in q*n would pick the neighbouring sample. */
static void test_percentile_matches_integer_rank(void **state)
{
    (void)state;
    static uint32_t s[20000];
    static const int per10k[] = { 5000, 9000, 9900, 9990, 9999 };   /* p50 .. p99.99 */
    for (size_t i = 0; i < COUNT(s); i++)
        s[i] = (uint32_t)(3 * i + 1);
    for (size_t n = 1; n <= COUNT(s); n++) {
        for (size_t k = 0; k < COUNT(per10k); k++) {
            size_t rank = ((size_t)per10k[k] * n + 9999) / 10000;
            double got = stats_percentile(s, n, per10k[k] / 10000.0);
            if (got != s[rank - 1])
                fail_msg("p%g of %zu samples: got %g, expected %u (rank %zu)",
                         per10k[k] / 100.0, n, got, s[rank - 1], rank);
        }
    }
}

/* ---- output ---- */

/* The keys DESIGN.md and scripts rely on: JSON and CSV carry at least these
 * (more may follow), and both carry the same keys in the same order. */
static const char *const contract_keys =
    "model,workload,tasks,workers,wall_s,user_s,sys_s,maxrss_kib,ops,ops_per_s,"
    "lat_p50_us,lat_p90_us,lat_p99_us,lat_max_us,errors,checksum,workers_started,params,note,"
    "cancelled,cancel_ms,mem_kib,lat_p999_us,lat_p9999_us,metrics";

static struct result sample_result(void)
{
    struct result r = {
        .model = "threads", .workload = "cpu", .tasks = 4, .workers = 2, .workers_started = 2,
        .wall_s = 0.5, .user_s = 0.25, .sys_s = 0.125, .maxrss_kib = 2048, .ops = 4,
        .errors = 1, .ops_per_s = 8, .ran = true,
        .latency = { .count = 4, .p50_us = 100, .p90_us = 2000, .p99_us = 3000,
                     .max_us = 4000000, .mean_us = 150, .p999_us = 3500, .p9999_us = 3900 },
    };
    snprintf(r.checksum, sizeof r.checksum, "00000000000000ff");
    snprintf(r.params, sizeof r.params, "work=2;stack_kib=64");
    snprintf(r.note, sizeof r.note, "a,b \"q\\\" x\ny");
    snprintf(r.metrics, sizeof r.metrics, "move_ms=0.5;theory_ratio=11.8");
    r.mem_kib = 3000;
    return r;
}

/* The text output_print writes for `r`, malloc'ed. */
static char *print_result(enum output_format format, const struct result *r)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    output_print(f, format, r);
    long size = ftell(f);
    assert_true(size > 0);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)size, f), size);
    text[size] = '\0';
    fclose(f);
    return text;
}

/* The keys of a flat JSON object, comma-joined, in order. */
static void json_keys(const char *json, char *keys, size_t size)
{
    size_t len = 0;
    keys[0] = '\0';
    for (const char *c = json; *c; c++) {
        if (*c != '"')
            continue;
        const char *start = ++c;
        while (*c && *c != '"')
            c += (*c == '\\' && c[1]) ? 2 : 1;
        if (!*c)
            fail_msg("unterminated string in %s", json);
        if (c[1] == ':')
            len += (size_t)snprintf(keys + len, size - len, "%s%.*s", len ? "," : "",
                                    (int)(c - start), start);
    }
}

/* Every key of the contract is in the comma-joined `keys`, once. */
static void assert_has_contract_keys(const char *keys)
{
    char contract[512], padded[1024];
    snprintf(contract, sizeof contract, "%s", contract_keys);
    snprintf(padded, sizeof padded, ",%s,", keys);
    char *save = NULL;
    for (char *k = strtok_r(contract, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        char needle[64];
        snprintf(needle, sizeof needle, ",%s,", k);
        char *at = strstr(padded, needle);
        if (!at || strstr(at + 1, needle))
            fail_msg("key %s is %s in \"%s\"", k, at ? "repeated" : "missing", keys);
    }
}

static int count_char(const char *s, char ch)
{
    int n = 0;
    for (; *s; s++)
        n += *s == ch;
    return n;
}

static void test_json_is_one_object_with_the_contract_keys(void **state)
{
    (void)state;
    struct result r = sample_result();
    char *json = print_result(FORMAT_JSON, &r);
    char keys[1024];
    json_keys(json, keys, sizeof keys);
    assert_has_contract_keys(keys);
    assert_int_equal(count_char(json, '\n'), 1);   /* one line */
    assert_int_equal(json[strlen(json) - 1], '\n');
    assert_int_equal(json[0], '{');
    assert_contains(json, "\"model\":\"threads\"");
    assert_contains(json, "\"tasks\":4,");
    assert_contains(json, "\"wall_s\":0.500000,");
    assert_contains(json, "\"lat_max_us\":4000000,");
    assert_contains(json, "\"errors\":1,");
    assert_contains(json, "\"checksum\":\"00000000000000ff\"");   /* a string */
    assert_contains(json, "\"params\":\"work=2;stack_kib=64\"");
    /* quotes and backslashes escaped, the newline dropped */
    assert_contains(json, "\"note\":\"a,b \\\"q\\\\\\\" xy\"");
    assert_int_equal(json[strlen(json) - 2], '}');
    /* mem_kib, the tail percentiles (added later, so after it), then
     * metrics: always the last key */
    assert_contains(json, ",\"mem_kib\":3000,\"lat_p999_us\":3500,\"lat_p9999_us\":3900,"
                    "\"metrics\":\"move_ms=0.5;theory_ratio=11.8\"}\n");
    assert_string_equal(keys + strlen(keys) - strlen(",metrics"), ",metrics");
    free(json);
}

static void test_csv_header_matches_json_and_row(void **state)
{
    (void)state;
    struct result r = sample_result();
    char *json = print_result(FORMAT_JSON, &r);
    char keys[1024];
    json_keys(json, keys, sizeof keys);
    free(json);
    char *csv = print_result(FORMAT_CSV, &r);
    char *nl = strchr(csv, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_string_equal(csv, keys);   /* the JSON keys, in the JSON order */
    assert_has_contract_keys(csv);
    char *row = nl + 1;
    assert_int_equal(count_char(row, '\n'), 1);   /* exactly one data row */
    assert_int_equal(row[strlen(row) - 1], '\n');
    row[strlen(row) - 1] = '\0';
    /* the note's ',' '"' and newline must not add columns */
    assert_int_equal(count_char(row, ','), count_char(csv, ','));
    assert_null(strchr(row, '"'));
    assert_contains(row, "threads,cpu,4,2,0.500000,0.250000,0.125000,2048,4,8.000,");
    assert_contains(row, ",1,00000000000000ff,2,work=2;stack_kib=64,");
    /* metrics is the last column, after mem_kib and the tail percentiles */
    const char *last = strrchr(row, ',');
    assert_string_equal(last, ",move_ms=0.5;theory_ratio=11.8");
    assert_contains(row, ",3000,3500,3900,move_ms=0.5;theory_ratio=11.8");
    const char *tail = ",mem_kib,lat_p999_us,lat_p9999_us,metrics";
    assert_string_equal(csv + strlen(csv) - strlen(tail), tail);
    free(csv);
}

static void test_human_output(void **state)
{
    (void)state;
    struct result r = sample_result();
    char *text = print_result(FORMAT_HUMAN, &r);
    assert_contains(text, "threads cpu: 4 tasks, 2 workers");
    assert_contains(text, "wall time   0.500 s");
    assert_contains(text, "checksum    00000000000000ff");
    assert_contains(text, "errors      1");
    /* latencies in a readable unit */
    assert_contains(text, "p50 100 µs, p90 2.000 ms, p99 3.000 ms, p99.9 3.500 ms, p99.99 3.900 ms, "
                    "max 4.000 s (4 samples)\n");
    assert_null(strstr(text, "open loop"));   /* a closed-loop run */
    assert_contains(text, "  metrics     move_ms=0.5, theory_ratio=11.8\n");
    free(text);
}

/* An open-loop run (net --rate): the metrics it carries in words, with
 * units, and the latency line says it is corrected. */
static void test_human_output_open_loop(void **state)
{
    (void)state;
    struct result r = sample_result();
    snprintf(r.metrics, sizeof r.metrics, "delay_ms=5;offered_req_per_s=200;achieved_req_per_s=150.5;"
             "saturated=1;uncorrected_p50_us=5100;uncorrected_p90_us=5200;uncorrected_p99_us=6000;"
             "uncorrected_p999_us=1000000;uncorrected_max_us=1200000;lag_p50_us=12.5;"
             "lag_p99_us=800;lag_max_us=2500000");
    char *text = print_result(FORMAT_HUMAN, &r);
    assert_contains(text, "(4 samples; corrected: from each request's intended send time)\n");
    assert_contains(text, "  open loop   offered 200.0 req/s, achieved 150.5 req/s: saturated "
                    "(below 95 % of offered)\n");
    assert_contains(text, "  uncorrected p50 5.100 ms, p90 5.200 ms, p99 6.000 ms, p99.9 1.000 s, "
                    "max 1.200 s (from the actual send)\n");
    assert_contains(text, "  send lag    p50 12 µs, p99 800 µs, max 2.500 s");
    free(text);
    snprintf(r.metrics, sizeof r.metrics, "offered_req_per_s=200;achieved_req_per_s=199;saturated=0");
    text = print_result(FORMAT_HUMAN, &r);
    assert_contains(text, "  open loop   offered 200.0 req/s, achieved 199.0 req/s\n");
    free(text);
}

/* A run refused before its tasks started shows no zero figures. */
static void test_human_output_not_run(void **state)
{
    (void)state;
    struct result r = sample_result();
    r.ran = false;
    r.errors = 4;
    char *text = print_result(FORMAT_HUMAN, &r);
    assert_contains(text, "errors      4 (no task ran: see the message above)");
    assert_null(strstr(text, "wall time"));
    assert_null(strstr(text, "checksum"));
    free(text);
}

/* A failed run has no checksum (run.h: ""): printed as invalid in every
 * format, never as a number. */
static void test_failed_run_checksum_is_invalid(void **state)
{
    (void)state;
    struct result r = sample_result();
    r.checksum[0] = '\0';
    char *json = print_result(FORMAT_JSON, &r);
    assert_contains(json, "\"checksum\":null,");
    free(json);
    char *csv = print_result(FORMAT_CSV, &r);
    assert_contains(csv, ",1,-,2,work=2;stack_kib=64,");
    free(csv);
    char *text = print_result(FORMAT_HUMAN, &r);
    assert_contains(text, "checksum    -\n");
    free(text);
}

static void test_parse_format(void **state)
{
    (void)state;
    enum output_format f = FORMAT_JSON;
    assert_true(output_parse_format("human", &f));
    assert_int_equal(f, FORMAT_HUMAN);
    assert_true(output_parse_format("csv", &f));
    assert_int_equal(f, FORMAT_CSV);
    assert_true(output_parse_format("json", &f));
    assert_int_equal(f, FORMAT_JSON);
    static const char *const bad[] = { "xml", "", "JSON", "jsonx", "cs" };
    for (size_t i = 0; i < COUNT(bad); i++) {
        f = FORMAT_CSV;
        unit_capture_begin(2);
        bool ok = output_parse_format(bad[i], &f);
        const char *msg = unit_capture_end();
        assert_false(ok);
        assert_int_equal(f, FORMAT_CSV);
        char want[64];
        snprintf(want, sizeof want, "--format: \"%s\" is not one of human, csv, json", bad[i]);
        assert_contains(msg, want);
    }
}

/* ---- registries ---- */

static void test_registries(void **state)
{
    (void)state;
    static const char *const model_names[] = { "serial", "fork", "threads", "async", "hybrid" };
    for (size_t i = 0; i < COUNT(model_names); i++) {
        const struct model *m = model_find(model_names[i]);
        assert_non_null(m);
        assert_string_equal(m->name, model_names[i]);
        assert_non_null(m->run);
        assert_non_null(m->summary);
    }
    static const char *const workload_names[] = { "sleep", "cpu" };
    for (size_t i = 0; i < COUNT(workload_names); i++) {
        const struct workload *w = workload_find(workload_names[i]);
        assert_non_null(w);
        assert_string_equal(w->name, workload_names[i]);
        assert_non_null(w->step);
        assert_non_null(w->default_tasks);
        assert_true(w->default_tasks() >= 1);
    }
    /* and every model the registry holds, whatever its name */
    size_t nmodels = 0;
    for (const struct model *const *m = models; *m; m++, nmodels++) {
        assert_ptr_equal(model_find((*m)->name), *m);
        assert_non_null((*m)->run);
        assert_non_null((*m)->summary);
    }
    assert_true(nmodels >= COUNT(model_names));
    assert_null(model_find("nosuch"));
    assert_null(model_find(""));
    assert_null(model_find("Serial"));
    assert_null(model_find("seria"));
    assert_null(workload_find("sleepy"));
    assert_null(workload_find(""));
}

static void test_checksum_mix_is_order_sensitive(void **state)
{
    (void)state;
    /* Known values: checksums in published results stay comparable only as
     * long as the fold does not change. checksum_mix(0, 0) is splitmix64's
     * finaliser applied to its golden-ratio increment, i.e. the first output
     * of splitmix64 seeded with 0, a published constant. */
    assert_true(checksum_mix(0, 0) == 0xe220a8397b1dcdafULL);
    assert_true(checksum_mix(0, 1) == 0x910a2dec89025cc1ULL);
    assert_true(checksum_mix(checksum_mix(0, 1), 2) == 0x35eaeb1c84d55087ULL);
    /* Order matters, within a fold and between h and v. */
    assert_true(checksum_mix(checksum_mix(0, 1), 2) != checksum_mix(checksum_mix(0, 2), 1));
    assert_true(checksum_mix(0, 1) != checksum_mix(1, 0));
    /* 1,000 values folded into the same h give 1,000 different results, and
     * a result never equals its input h (a fold that loses v would). */
    enum { N = 1000 };
    static uint64_t seen[N];
    for (uint64_t v = 0; v < N; v++) {
        seen[v] = checksum_mix(42, v);
        assert_true(seen[v] != 42);
        for (uint64_t k = 0; k < v; k++)
            if (seen[k] == seen[v])
                fail_msg("checksum_mix(42, %llu) == checksum_mix(42, %llu)",
                         (unsigned long long)v, (unsigned long long)k);
    }
}

/* metrics_add: "k=v;k=v", plain decimals (no exponent), zeros trimmed. */
static void test_metrics_add_format(void **state)
{
    (void)state;
    char buf[256] = "";
    metrics_add(buf, sizeof buf, "boards", 24);
    metrics_add(buf, sizeof buf, "move_ms", 0.5);
    metrics_add(buf, sizeof buf, "big_s", 1e7);
    metrics_add(buf, sizeof buf, "tiny_us", 0.0000001);
    metrics_add(buf, sizeof buf, "neg_kib", -2.25);
    metrics_add(buf, sizeof buf, "nan_ms", NAN);
    assert_string_equal(buf, "boards=24;move_ms=0.5;big_s=10000000;tiny_us=0;neg_kib=-2.25;nan_ms=0");
    char small[16] = "";
    metrics_add(small, sizeof small, "a_very_long_key", 123456);   /* truncated, terminated */
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* A wait is early only if less than the whole interval has passed. */
static void test_wait_ended_early(void **state)
{
    (void)state;
    int64_t now = clock_now_ns();
    assert_true(wait_ended_early(now, 10.0));             /* 10 s have not passed */
    assert_false(wait_ended_early(now - 2000000, 0.001));  /* 2 ms ago, 1 ms asked */
    assert_false(wait_ended_early(now, 0));
}

/* ---- run_measure: the harness around a model ---- */

struct request {
    struct run_request req;
    const char *message;   /* stderr of the run */
};

static void *params_copy(size_t size, const void *defaults)
{
    void *p = calloc(1, size ? size : 1);
    assert_non_null(p);
    if (size)
        memcpy(p, defaults, size);
    return p;
}

static void request_init(struct request *r, const char *model, const char *workload, long tasks)
{
    memset(r, 0, sizeof *r);
    r->req.model = model_find(model);
    r->req.workload = workload_find(workload);
    assert_non_null(r->req.model);
    assert_non_null(r->req.workload);
    r->req.tasks = tasks;
    r->req.model_params = params_copy(r->req.model->params_size, r->req.model->params_default);
    r->req.workload_params = params_copy(r->req.workload->params_size,
                                         r->req.workload->params_default);
}

/* Set `--name value` through the module's own option table, as main does. */
static void request_set(struct request *r, const char *name, const char *value)
{
    const struct opt_spec *spec = opt_find(r->req.model->options, name);
    void *target = r->req.model_params;
    if (!spec) {
        spec = opt_find(r->req.workload->options, name);
        target = r->req.workload_params;
    }
    if (!spec)
        fail_msg("%s is not an option of %s or %s", name, r->req.model->name, r->req.workload->name);
    if (!opt_store(spec, target, value))
        fail_msg("%s %s rejected", name, value);
}

static int request_run(struct request *r, struct result *res)
{
    unit_capture_begin(2);
    int status = run_measure(&r->req, res);
    r->message = unit_capture_end();
    free(r->req.model_params);
    free(r->req.workload_params);
    return status;
}

static void test_run_sleep_checksum_folds_tasks_in_id_order(void **state)
{
    (void)state;
    struct request r;
    struct result res;
    request_init(&r, "serial", "sleep", 5);
    request_set(&r, "--ms", "0");
    assert_int_equal(request_run(&r, &res), 0);
    assert_string_equal(r.message, "");
    assert_string_equal(res.model, "serial");
    assert_string_equal(res.workload, "sleep");
    assert_int_equal(res.tasks, 5);
    assert_int_equal(res.ops, 5);
    assert_int_equal(res.errors, 0);
    assert_int_equal(res.latency.count, 5);
    assert_int_equal(res.workers_started, 1);
    assert_string_equal(res.params, "ms=0");
    /* a sleep task's result is mix(mix(id, µs), kept); the run folds them
     * by id, starting from the FNV-1a hash of the workload's name */
    uint64_t h = fnv1a(FNV1A_OFFSET, "sleep", 5);
    for (uint64_t id = 0; id < 5; id++)
        h = checksum_mix(h, checksum_mix(checksum_mix(id, 0), 1));
    char want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
    assert_string_equal(res.checksum, want);
}

struct variant {
    const char *model;
    long workers;
    const char *loops;
    long started;   /* expected workers_started for 3 tasks; -1: one per core */
};

static void test_run_every_model_gives_the_serial_checksum(void **state)
{
    (void)state;
    static const struct variant variants[] = {
        { "serial", 0, NULL, 1 }, { "fork", 0, NULL, 3 }, { "fork", 2, NULL, 2 },
        { "threads", 0, NULL, 3 }, { "threads", 2, NULL, 2 }, { "async", 0, NULL, 1 },
        { "async", 0, "2", 2 }, { "hybrid", 0, NULL, -1 }, { "hybrid", 1, NULL, 1 },
        { "hybrid", 2, NULL, 2 }, { "uring", 0, NULL, 1 }, { "uring", 0, "2", 2 },
    };
    /* Every model of the registry is among the variants: a new model cannot
     * be left out of this test by accident. */
    for (const struct model *const *m = models; *m; m++) {
        size_t v = 0;
        while (v < COUNT(variants) && strcmp(variants[v].model, (*m)->name) != 0)
            v++;
        if (v == COUNT(variants))
            fail_msg("model %s is not tested here: add it to variants[]", (*m)->name);
    }
    long cores = online_cores();   /* hybrid's default pool */
    static const char *const workloads_[][3] = {   /* workload, option, value */
        { "cpu", "--work", "1" }, { "sleep", "--ms", "1" },
    };
    for (size_t k = 0; k < COUNT(workloads_); k++) {
        char serial[17] = "";
        for (size_t v = 0; v < COUNT(variants); v++) {
            struct request r;
            struct result res;
            request_init(&r, variants[v].model, workloads_[k][0], 3);
            request_set(&r, workloads_[k][1], workloads_[k][2]);
            r.req.workers = variants[v].workers;
            if (variants[v].loops)
                request_set(&r, "--loops", variants[v].loops);
            int status = request_run(&r, &res);
            if (status != 0 || res.ops != 3 || res.errors != 0)
                fail_msg("%s %s -w %ld: status %d, ops %llu, errors %llu: %s", variants[v].model,
                         workloads_[k][0], variants[v].workers, status,
                         (unsigned long long)res.ops, (unsigned long long)res.errors, r.message);
            assert_int_equal(res.workers_started, variants[v].started < 0 ? cores : variants[v].started);
            assert_int_equal(strlen(res.checksum), 16);
            if (v == 0)
                memcpy(serial, res.checksum, sizeof serial);
            else if (strcmp(serial, res.checksum) != 0)
                fail_msg("%s %s -w %ld: checksum %s, serial %s", variants[v].model,
                         workloads_[k][0], variants[v].workers, res.checksum, serial);
        }
    }
}

/* The checksum depends on the work: otherwise "equal" would prove nothing. */
static void test_run_checksum_depends_on_options(void **state)
{
    (void)state;
    char sums[3][17];
    static const char *const opts[][2] = { { "--work", "1" }, { "--work", "2" } };
    for (int i = 0; i < 3; i++) {
        struct request r;
        struct result res;
        request_init(&r, "serial", "cpu", i == 2 ? 2 : 3);
        request_set(&r, opts[i == 1][0], opts[i == 1][1]);
        assert_int_equal(request_run(&r, &res), 0);
        memcpy(sums[i], res.checksum, sizeof sums[i]);
    }
    assert_string_not_equal(sums[0], sums[1]);   /* other --work */
    assert_string_not_equal(sums[0], sums[2]);   /* other -n */
}

static void test_run_model_check_rejects_bad_usage(void **state)
{
    (void)state;
    struct request r;
    struct result res;
    request_init(&r, "async", "sleep", 2);
    request_set(&r, "--ms", "0");
    request_set(&r, "--loops", "5");
    assert_int_equal(request_run(&r, &res), 2);
    assert_contains(r.message, "--loops: 5 is more than the 2 tasks");

    request_init(&r, "async", "sleep", 2);
    request_set(&r, "--ms", "0");
    request_set(&r, "--backend", "kqueue");
    assert_int_equal(request_run(&r, &res), 2);
    assert_contains(r.message, "--backend: \"kqueue\"");
}

int unit_stats_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_of_nothing_is_zero),
        cmocka_unit_test(test_summary_of_one_sample),
        cmocka_unit_test(test_summary_nearest_rank_1_to_10),
        cmocka_unit_test(test_summary_sorts_unsorted_input),
        cmocka_unit_test(test_summary_tail),
        cmocka_unit_test(test_summary_max_is_the_largest),
        cmocka_unit_test(test_percentile_bounds),
        cmocka_unit_test(test_percentile_matches_integer_rank),
        cmocka_unit_test(test_json_is_one_object_with_the_contract_keys),
        cmocka_unit_test(test_csv_header_matches_json_and_row),
        cmocka_unit_test(test_human_output),
        cmocka_unit_test(test_human_output_open_loop),
        cmocka_unit_test(test_human_output_not_run),
        cmocka_unit_test(test_failed_run_checksum_is_invalid),
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_metrics_add_format),
        cmocka_unit_test(test_wait_ended_early),
        cmocka_unit_test(test_registries),
        cmocka_unit_test(test_checksum_mix_is_order_sensitive),
        cmocka_unit_test(test_run_sleep_checksum_folds_tasks_in_id_order),
        cmocka_unit_test(test_run_every_model_gives_the_serial_checksum),
        cmocka_unit_test(test_run_checksum_depends_on_options),
        cmocka_unit_test(test_run_model_check_rejects_bad_usage),
    };
    return cmocka_run_group_tests_name("stats, output, run", tests, NULL, NULL);
}
