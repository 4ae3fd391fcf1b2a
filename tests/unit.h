/* unit.h - the cmocka unit tests: one runner per tests/unit_*.c file, all
 * called by the single main() in tests/unit_main.c (the Makefile links every
 * tests/unit_*.c into build/unit_tests). Each runner returns the number of
 * failed tests of its group, 0 when all passed. */
#ifndef CBENCH_UNIT_H
#define CBENCH_UNIT_H

int unit_options_run(void);   /* lib/options.c, run_format_params */
int unit_stats_run(void);     /* lib/stats.c, bench/output.c, run_measure */
int unit_models_run(void);    /* model behaviour no shipped workload reaches */
int unit_histogram_run(void); /* lib/histogram.c */
int unit_steady_phase_run(void); /* lib/steady_phase.c */

/* Capture what the code under test writes to fd 1 or 2 (stdout/stderr),
 * so a test can assert on its messages. Between begin and end nothing
 * reaches the terminal; always call end before asserting, so cmocka's own
 * failure messages are never captured. end returns the text (NUL-terminated,
 * valid until the next capture). */
void unit_capture_begin(int fd);
const char *unit_capture_end(void);

/* Exact double comparison that prints both values when it fails (cmocka
 * 1.1.5 has no assert_double_equal). Use only where the value is exact. */
#define assert_double_exact(a, b) do { \
        double unit_a_ = (a), unit_b_ = (b); \
        if (!(unit_a_ == unit_b_)) \
            fail_msg("%s is %.17g, expected %.17g", #a, unit_a_, unit_b_); \
    } while (0)

/* `text` contains `part`, else fail showing both. */
#define assert_contains(text, part) do { \
        const char *unit_t_ = (text), *unit_p_ = (part); \
        if (!unit_t_ || !strstr(unit_t_, unit_p_)) \
            fail_msg("expected \"%s\" in \"%s\"", unit_p_, unit_t_ ? unit_t_ : "(null)"); \
    } while (0)

#endif
