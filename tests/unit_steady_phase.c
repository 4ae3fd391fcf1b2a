/* unit_steady_phase.c - lib/steady_phase.c: the steady phase of net's closed
 * loop begins at the last connect and holds only what was answered after
 * it. Asserted here, where the order of connects and answers is chosen,
 * because a real run's order depends on the scheduler (a quiet machine may
 * open every connection before the first answer, a loaded one not). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../lib/steady_phase.h"
#include "unit.h"

static void answer(struct steady_phase *s, int times)
{
    for (int i = 0; i < times; i++)
        steady_answered(s);
}

/* Connection 1 is answered 3 times before connection 2 opens at 500 ns;
 * the phase starts there and holds only the 5 answers after it. */
static void test_steady_phase_leaves_out_answers_before_the_last_connect(void **state)
{
    (void)state;
    struct steady_phase s = { 0 };
    steady_connected(&s, 2, 100);
    answer(&s, 3);
    assert_int_equal(steady_result(&s).start_ns, 0);   /* not yet begun */
    steady_connected(&s, 2, 500);
    answer(&s, 5);
    struct steady_result r = steady_result(&s);
    assert_int_equal(r.start_ns, 500);
    assert_int_equal(r.answered, 5);
}

/* Every connection open before the first answer: the phase holds them all. */
static void test_steady_phase_holds_everything_when_all_connect_first(void **state)
{
    (void)state;
    struct steady_phase s = { 0 };
    for (int64_t t = 1; t <= 4; t++)
        steady_connected(&s, 4, t * 10);
    answer(&s, 40);
    struct steady_result r = steady_result(&s);
    assert_int_equal(r.start_ns, 40);
    assert_int_equal(r.answered, 40);
}

/* A run whose last connection never opened (it failed) has no phase. */
static void test_steady_phase_never_begins_without_the_last_connect(void **state)
{
    (void)state;
    struct steady_phase s = { 0 };
    steady_connected(&s, 3, 10);
    steady_connected(&s, 3, 20);
    answer(&s, 7);
    struct steady_result r = steady_result(&s);
    assert_int_equal(r.start_ns, 0);
    assert_int_equal(r.answered, 0);
}

int unit_steady_phase_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_phase_leaves_out_answers_before_the_last_connect),
        cmocka_unit_test(test_steady_phase_holds_everything_when_all_connect_first),
        cmocka_unit_test(test_steady_phase_never_begins_without_the_last_connect),
    };
    return cmocka_run_group_tests_name("steady_phase", tests, NULL, NULL);
}
