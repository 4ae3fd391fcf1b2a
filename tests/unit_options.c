/* unit_options.c - lib/options.c (strict number parsing, option lookup,
 * storing into a params struct, help lines) and run_format_params (the
 * "k=v;k=v" params column of the output). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* strtok_r, dup2 */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../lib/options.h"
#include "../bench/run.h"
#include "../models/model.h"
#include "../workloads/workload.h"
#include "unit.h"

/* ---- opt_parse_long / opt_parse_double, with the message they print ---- */

static const char *last_message;   /* stderr of the last parse */

static bool parse_long(const char *text, long min, long max, long *out)
{
    unit_capture_begin(2);
    bool ok = opt_parse_long("tasks", text, min, max, out);
    last_message = unit_capture_end();
    return ok;
}

static bool parse_double(const char *text, double min, double max, double *out)
{
    unit_capture_begin(2);
    bool ok = opt_parse_double("ms", text, min, max, out);
    last_message = unit_capture_end();
    return ok;
}

/* A rejected value must leave *out alone and say which option and value. */
static void expect_long_rejected(const char *text, long min, long max, const char *why)
{
    long out = 777;
    char quoted[128];
    if (parse_long(text, min, max, &out))
        fail_msg("opt_parse_long accepted \"%s\" (as %ld) in %ld..%ld", text, out, min, max);
    assert_int_equal(out, 777);
    assert_contains(last_message, "cbench: --tasks: ");
    assert_contains(last_message, why);
    /* the value itself appears, quoted when it is not a number */
    snprintf(quoted, sizeof quoted, strstr(why, "range") ? "%s" : "\"%s\"", text);
    assert_contains(last_message, quoted);
}

static void expect_double_rejected(const char *text, double min, double max, const char *why)
{
    double out = 777;
    char quoted[128];
    if (parse_double(text, min, max, &out))
        fail_msg("opt_parse_double accepted \"%s\" (as %g) in %g..%g", text, out, min, max);
    assert_double_exact(out, 777);
    assert_contains(last_message, "cbench: --ms: ");
    assert_contains(last_message, why);
    snprintf(quoted, sizeof quoted, strstr(why, "range") ? "%s" : "\"%s\"", text);
    assert_contains(last_message, quoted);
}

static void test_parse_long_accepts_whole_numbers(void **state)
{
    (void)state;
    long out = 0;
    assert_true(parse_long("42", 1, 100, &out));
    assert_int_equal(out, 42);
    assert_string_equal(last_message, "");   /* success is silent */
    assert_true(parse_long("-3", -5, 5, &out));
    assert_int_equal(out, -3);
    assert_true(parse_long("0", 0, 0, &out));
    assert_int_equal(out, 0);
}

static void test_parse_long_range_is_inclusive(void **state)
{
    (void)state;
    long out = 0;
    assert_true(parse_long("1", 1, 100, &out));
    assert_int_equal(out, 1);
    assert_true(parse_long("100", 1, 100, &out));
    assert_int_equal(out, 100);
    assert_true(parse_long("9223372036854775807", 0, LONG_MAX, &out));
    assert_true(out == LONG_MAX);
    assert_true(parse_long("-9223372036854775808", LONG_MIN, 0, &out));
    assert_true(out == LONG_MIN);
}

static void test_parse_long_rejects_out_of_range(void **state)
{
    (void)state;
    expect_long_rejected("0", 1, 100, "0 is out of range (1..100)");
    expect_long_rejected("101", 1, 100, "101 is out of range (1..100)");
    expect_long_rejected("-5", 1, 100, "-5 is out of range");
    expect_long_rejected("-0", 0, 100, "-0 is out of range");   /* no sign */
    expect_double_rejected("-0.0", 0, 100, "-0.0 is out of range");
}

static void test_parse_long_rejects_overflow(void **state)
{
    (void)state;
    /* strtol clamps these to LONG_MAX / LONG_MIN: ERANGE must still reject them */
    expect_long_rejected("99999999999999999999", LONG_MIN, LONG_MAX, "out of range");
    expect_long_rejected("-99999999999999999999", LONG_MIN, LONG_MAX, "out of range");
    expect_long_rejected("9223372036854775808", LONG_MIN, LONG_MAX, "out of range");
}

static void test_parse_long_rejects_non_numbers(void **state)
{
    (void)state;
    static const char *const bad[] = { "abc", "", "12x", "x12", " 5", "5 ", "1.5", "1e3",
                                       "0x10", "--5", "5-", "-", "+", "1,000" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_long_rejected(bad[i], LONG_MIN, LONG_MAX, "is not a whole number");
}

/* " 5" is rejected; so must any other leading white space strtol skips. */
static void test_parse_long_rejects_leading_whitespace(void **state)
{
    (void)state;
    expect_long_rejected("\t5", LONG_MIN, LONG_MAX, "is not a whole number");
    expect_long_rejected("\n5", LONG_MIN, LONG_MAX, "is not a whole number");
}

static void test_parse_double_accepts_numbers(void **state)
{
    (void)state;
    double out = 0;
    assert_true(parse_double("2.5", 0, 10, &out));
    assert_double_exact(out, 2.5);
    assert_string_equal(last_message, "");
    assert_true(parse_double("0.5", 0, 1, &out));
    assert_double_exact(out, 0.5);
    assert_true(parse_double("7", 0, 10, &out));
    assert_double_exact(out, 7);
    assert_true(parse_double("-0.5", -1, 1, &out));
    assert_double_exact(out, -0.5);
}

static void test_parse_double_range_is_inclusive(void **state)
{
    (void)state;
    double out = -1;
    assert_true(parse_double("0", 0, 10, &out));
    assert_double_exact(out, 0);
    assert_true(parse_double("10", 0, 10, &out));
    assert_double_exact(out, 10);
}

static void test_parse_double_rejects_out_of_range(void **state)
{
    (void)state;
    expect_double_rejected("-5", 0, 3600e3, "-5 is out of range");
    expect_double_rejected("10.5", 0, 10, "10.5 is out of range");
    /* 400 digits: strtod overflows (ERANGE) */
    char big[402];
    memset(big, '9', 400);
    big[400] = '\0';
    expect_double_rejected(big, 0, 1e308, "out of range");
}

static void test_parse_double_rejects_nan_and_inf(void **state)
{
    (void)state;
    expect_double_rejected("nan", -1e308, 1e308, "is not a number");
    expect_double_rejected("NAN", -1e308, 1e308, "is not a number");
    expect_double_rejected("-nan", -1e308, 1e308, "is not a number");
    /* strtod reads these as infinities: only plain decimals are numbers */
    expect_double_rejected("inf", -1e308, 1e308, "is not a number");
    expect_double_rejected("-inf", -1e308, 1e308, "is not a number");
    expect_double_rejected("infinity", -1e308, 1e308, "is not a number");
}

/* strtol/strtod accept a sign, hex, exponents: "--ms 0x1p3" was 8. */
static void test_parse_rejects_sign_hex_exponent(void **state)
{
    (void)state;
    static const char *const bad[] = { "+5", "0x10", "0X10", "0x1p3", "1e3", "1E3", "5e-1",
                                       "1p3", "- 5", "-+5", "0b101" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_long_rejected(bad[i], LONG_MIN, LONG_MAX, "is not a whole number");
        expect_double_rejected(bad[i], -1e308, 1e308, "is not a number");
    }
}

/* Plain decimals with a fraction, either side of the point. */
static void test_parse_double_accepts_plain_decimals(void **state)
{
    (void)state;
    double out = -1;
    assert_true(parse_double(".5", 0, 1, &out));
    assert_double_exact(out, 0.5);
    assert_true(parse_double("5.", 0, 10, &out));
    assert_double_exact(out, 5);
    assert_true(parse_double("007", 0, 10, &out));
    assert_double_exact(out, 7);
}

static void test_parse_double_rejects_non_numbers(void **state)
{
    (void)state;
    static const char *const bad[] = { "abc", "", "12x", " 5", "5 ", "1.5.2", ".", "-",
                                       "5ms", "1,5", "e3" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_double_rejected(bad[i], -1e308, 1e308, "is not a number");
}

static void test_parse_double_rejects_leading_whitespace(void **state)
{
    (void)state;
    expect_double_rejected("\t5", -1e308, 1e308, "is not a number");
    expect_double_rejected("\n5", -1e308, 1e308, "is not a number");
}

/* ---- opt_find / opt_store / opt_print_help over a test table ---- */

struct test_params {
    long count;
    double ratio;
    const char *name;
    bool flag;
    long m, ms, stack_kib;
};

/* "m" comes before "ms" so that prefix matching would find the wrong one. */
static const struct opt_spec table[] = {
    { "tasks", 'n', OPT_INT, offsetof(struct test_params, count), 1, 100, "how many tasks" },
    { "ratio", 0, OPT_DOUBLE, offsetof(struct test_params, ratio), 0, 1, "a ratio" },
    { "name", 0, OPT_STRING, offsetof(struct test_params, name), 0, 0, "a name" },
    { "gil", 0, OPT_FLAG, offsetof(struct test_params, flag), 0, 0, "a flag" },
    { "m", 0, OPT_INT, offsetof(struct test_params, m), 0, 10, "one letter" },
    { "ms", 0, OPT_INT, offsetof(struct test_params, ms), 0, 10, "two letters" },
    { "stack-kib", 0, OPT_INT, offsetof(struct test_params, stack_kib), 16, 64, "dashed" },
    OPT_END,
};

static const struct opt_spec *spec_named(const char *name)
{
    for (const struct opt_spec *s = table; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    fail_msg("no option %s in the test table", name);
    return NULL;
}

static void test_find_long_and_short_forms(void **state)
{
    (void)state;
    const struct opt_spec *tasks = spec_named("tasks");
    assert_ptr_equal(opt_find(table, "--tasks"), tasks);
    assert_ptr_equal(opt_find(table, "--tasks=5"), tasks);
    assert_ptr_equal(opt_find(table, "--tasks="), tasks);
    assert_ptr_equal(opt_find(table, "-n"), tasks);
    assert_ptr_equal(opt_find(table, "--stack-kib"), spec_named("stack-kib"));
    assert_ptr_equal(opt_find(table, "--stack-kib=32"), spec_named("stack-kib"));
    assert_ptr_equal(opt_find(table, "--gil"), spec_named("gil"));
}

static void test_find_is_exact_not_prefix(void **state)
{
    (void)state;
    /* --ms must find "ms", not the earlier "m" it starts with */
    assert_ptr_equal(opt_find(table, "--ms"), spec_named("ms"));
    assert_ptr_equal(opt_find(table, "--ms=3"), spec_named("ms"));
    assert_ptr_equal(opt_find(table, "--m"), spec_named("m"));
    assert_ptr_equal(opt_find(table, "--m=3"), spec_named("m"));
    static const char *const none[] = {
        "--tasksx", "--task", "--tasks-", "--tasks5", "--stack", "--stack-kibs", "--msx",
        "-n5", "-nx", "-n=5", "--n", "-tasks", "tasks", "n", "-", "--", "", "---tasks",
        "--TASKS", "-N", "-m", "--=5",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        const struct opt_spec *s = opt_find(table, none[i]);
        if (s)
            fail_msg("opt_find(\"%s\") matched --%s", none[i], s->name);
    }
}

static void test_find_in_empty_tables(void **state)
{
    (void)state;
    static const struct opt_spec empty[] = { OPT_END };
    assert_null(opt_find(empty, "--tasks"));
    assert_null(opt_find(NULL, "--tasks"));   /* modules without options */
}

static bool store(const char *name, struct test_params *p, const char *value)
{
    unit_capture_begin(2);
    bool ok = opt_store(spec_named(name), p, value);
    last_message = unit_capture_end();
    return ok;
}

static const struct test_params sentinel = {
    .count = -1, .ratio = -1, .name = "unset", .flag = false, .m = -1, .ms = -1, .stack_kib = -1,
};

static void test_store_int(void **state)
{
    (void)state;
    struct test_params p = sentinel;
    assert_true(store("tasks", &p, "7"));
    assert_int_equal(p.count, 7);
    assert_true(store("stack-kib", &p, "32"));
    assert_int_equal(p.stack_kib, 32);
    /* neighbours untouched */
    assert_double_exact(p.ratio, -1);
    assert_int_equal(p.m, -1);
    assert_int_equal(p.ms, -1);
}

static void test_store_int_rejects_with_option_name(void **state)
{
    (void)state;
    struct test_params p = sentinel;
    assert_false(store("tasks", &p, "0"));
    assert_int_equal(p.count, -1);
    assert_contains(last_message, "--tasks: 0 is out of range (1..100)");
    assert_false(store("stack-kib", &p, "abc"));
    assert_int_equal(p.stack_kib, -1);
    assert_contains(last_message, "--stack-kib: \"abc\" is not a whole number");
}

static void test_store_double(void **state)
{
    (void)state;
    struct test_params p = sentinel;
    assert_true(store("ratio", &p, "0.25"));
    assert_double_exact(p.ratio, 0.25);
    assert_int_equal(p.count, -1);
    assert_false(store("ratio", &p, "2"));
    assert_double_exact(p.ratio, 0.25);
    assert_contains(last_message, "--ratio: 2 is out of range");
    assert_false(store("ratio", &p, "nan"));
    assert_contains(last_message, "--ratio: \"nan\" is not a number");
}

static void test_store_string_and_flag(void **state)
{
    (void)state;
    struct test_params p = sentinel;
    const char *value = "epoll";
    assert_true(store("name", &p, value));
    assert_ptr_equal(p.name, value);   /* points into argv, not a copy */
    assert_false(p.flag);
    assert_true(store("gil", &p, NULL));
    assert_true(p.flag);
    assert_int_equal(p.count, -1);
    assert_string_equal(last_message, "");
}

static void test_print_help_lists_every_option(void **state)
{
    (void)state;
    unit_capture_begin(1);
    opt_print_help(table, "  ");
    const char *out = unit_capture_end();
    assert_contains(out, "  -n, --tasks N");
    assert_contains(out, "how many tasks");
    assert_contains(out, "--ratio N");
    assert_contains(out, "--name S");
    assert_contains(out, "--stack-kib N");
    assert_contains(out, "dashed");
    assert_contains(out, "--gil ");
    assert_null(strstr(out, "--gil N"));   /* a flag takes no value */
    int lines = 0;
    for (const char *c = out; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 7);
}

/* ---- run_format_params: the params column ---- */

struct fmt_params {
    long delay_ms;
    double ratio;
    const char *text;
    bool flag;
};

static const struct opt_spec fmt_table[] = {
    { "delay-ms", 0, OPT_INT, offsetof(struct fmt_params, delay_ms), -10, 10, "" },
    { "ratio", 0, OPT_DOUBLE, offsetof(struct fmt_params, ratio), 0, 1, "" },
    { "text", 0, OPT_STRING, offsetof(struct fmt_params, text), 0, 0, "" },
    { "gil", 0, OPT_FLAG, offsetof(struct fmt_params, flag), 0, 0, "" },
    OPT_END,
};

static void test_format_params_keys_and_values(void **state)
{
    (void)state;
    struct fmt_params p = { .delay_ms = -5, .ratio = 0.5, .text = "a-b", .flag = true };
    char buf[256] = "";
    run_format_params(buf, sizeof buf, fmt_table, &p);
    /* '-' becomes '_' in keys only: delay_ms=-5, text=a-b */
    assert_string_equal(buf, "delay_ms=-5;ratio=0.5;text=a-b;gil=1");
}

static void test_format_params_sanitises_values(void **state)
{
    (void)state;
    /* ',' would add a CSV column, '"' breaks quoting, ';' a pair, '\n' a row */
    struct fmt_params p = { .delay_ms = 0, .ratio = 0, .text = "a,b;c\"d\ne", .flag = false };
    char buf[256] = "";
    run_format_params(buf, sizeof buf, fmt_table, &p);
    assert_string_equal(buf, "delay_ms=0;ratio=0;text=a_b_c_d_e;gil=0");
}

static void test_format_params_appends_and_handles_null(void **state)
{
    (void)state;
    struct fmt_params p = { .delay_ms = 3, .ratio = 1, .text = NULL, .flag = false };
    char buf[256] = "ms=10";
    run_format_params(buf, sizeof buf, fmt_table, &p);
    assert_string_equal(buf, "ms=10;delay_ms=3;ratio=1;text=;gil=0");
    run_format_params(buf, sizeof buf, NULL, &p);       /* a module without options */
    assert_string_equal(buf, "ms=10;delay_ms=3;ratio=1;text=;gil=0");
    char empty[16] = "";
    static const struct opt_spec none[] = { OPT_END };
    run_format_params(empty, sizeof empty, none, &p);
    assert_string_equal(empty, "");
}

static void test_format_params_truncates_within_size(void **state)
{
    (void)state;
    struct fmt_params p = { .delay_ms = 3, .ratio = 1, .text = "long-value", .flag = true };
    for (size_t size = 1; size <= 40; size++) {
        char buf[64];
        memset(buf, 'X', sizeof buf);
        buf[0] = '\0';
        run_format_params(buf, size, fmt_table, &p);
        assert_true(strlen(buf) < size);
        assert_true(strncmp(buf, "delay_ms=3;ratio=1;text=long-value;gil=1", strlen(buf)) == 0);
        for (size_t i = size; i < sizeof buf; i++)
            if (buf[i] != 'X')
                fail_msg("size %zu: byte %zu was written", size, i);
    }
}

/* Every registered model and workload formats to clean "k=v" pairs whose
 * keys are its option names with '-' turned into '_'. */
static void check_module_params(const char *module, const struct opt_spec *options,
                                size_t size, const void *defaults)
{
    char buf[512] = "";
    if (!options)
        return;
    if (!size || !defaults)
        fail_msg("%s has options but no params struct or defaults", module);
    run_format_params(buf, sizeof buf, options, defaults);
    if (strpbrk(buf, ",\"\n"))
        fail_msg("%s: params \"%s\" would break a CSV field", module, buf);
    char *save = NULL;
    const struct opt_spec *o = options;
    for (char *pair = strtok_r(buf, ";", &save); pair; pair = strtok_r(NULL, ";", &save), o++) {
        char key[64];
        snprintf(key, sizeof key, "%s", o->name ? o->name : "(end of table)");
        for (char *c = key; *c; c++)
            if (*c == '-')
                *c = '_';
        size_t len = strlen(key);
        if (strncmp(pair, key, len) != 0 || pair[len] != '=')
            fail_msg("%s: pair \"%s\" should start with \"%s=\"", module, pair, key);
    }
    if (o->name)
        fail_msg("%s: option --%s missing from the params", module, o->name);
}

static void test_format_params_of_every_module(void **state)
{
    (void)state;
    int checked = 0;
    for (const struct model *const *m = models; *m; m++, checked++)
        check_module_params((*m)->name, (*m)->options, (*m)->params_size, (*m)->params_default);
    for (const struct workload *const *w = workloads; *w; w++, checked++)
        check_module_params((*w)->name, (*w)->options, (*w)->params_size, (*w)->params_default);
    assert_true(checked >= 6);

    const struct model *threads = model_find("threads");
    assert_non_null(threads);
    char buf[256] = ";";   /* so that every pair is ";k=v;" */
    run_format_params(buf + 1, sizeof buf - 2, threads->options, threads->params_default);
    strcat(buf, ";");
    assert_contains(buf, ";stack_kib=64;");   /* --stack-kib, default 64 */
}

int unit_options_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_long_accepts_whole_numbers),
        cmocka_unit_test(test_parse_long_range_is_inclusive),
        cmocka_unit_test(test_parse_long_rejects_out_of_range),
        cmocka_unit_test(test_parse_long_rejects_overflow),
        cmocka_unit_test(test_parse_long_rejects_non_numbers),
        cmocka_unit_test(test_parse_long_rejects_leading_whitespace),
        cmocka_unit_test(test_parse_double_accepts_numbers),
        cmocka_unit_test(test_parse_double_range_is_inclusive),
        cmocka_unit_test(test_parse_double_rejects_out_of_range),
        cmocka_unit_test(test_parse_double_rejects_nan_and_inf),
        cmocka_unit_test(test_parse_double_rejects_non_numbers),
        cmocka_unit_test(test_parse_rejects_sign_hex_exponent),
        cmocka_unit_test(test_parse_double_accepts_plain_decimals),
        cmocka_unit_test(test_parse_double_rejects_leading_whitespace),
        cmocka_unit_test(test_find_long_and_short_forms),
        cmocka_unit_test(test_find_is_exact_not_prefix),
        cmocka_unit_test(test_find_in_empty_tables),
        cmocka_unit_test(test_store_int),
        cmocka_unit_test(test_store_int_rejects_with_option_name),
        cmocka_unit_test(test_store_double),
        cmocka_unit_test(test_store_string_and_flag),
        cmocka_unit_test(test_print_help_lists_every_option),
        cmocka_unit_test(test_format_params_keys_and_values),
        cmocka_unit_test(test_format_params_sanitises_values),
        cmocka_unit_test(test_format_params_appends_and_handles_null),
        cmocka_unit_test(test_format_params_truncates_within_size),
        cmocka_unit_test(test_format_params_of_every_module),
    };
    return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
