/* gil.h - a global interpreter lock as CPython (3.2+) implements it, so the
 * threads model can show what Python's threads do with CPU work.
 *
 * A thread holds the lock while it runs a task's step() and drops it while
 * it waits (I/O, timers), as CPython drops it around blocking calls. A
 * thread that has waited one switch interval for the lock sets a drop
 * request; the holder honours it at its next step boundary (gil_yield) and
 * then waits until another thread has taken the lock, so it cannot simply
 * take it back (CPython's FORCE_SWITCHING). */
#ifndef CBENCH_GIL_H
#define CBENCH_GIL_H

#include <stdbool.h>

struct gil;

/* NULL on failure (after printing why). interval_s: CPython's 0.005. */
struct gil *gil_new(double interval_s);
void gil_free(struct gil *g);

void gil_take(struct gil *g);
void gil_drop(struct gil *g);                /* voluntary: about to wait */
bool gil_drop_requested(const struct gil *g);
void gil_yield(struct gil *g);               /* forced hand-over, then take again */
long gil_forced_switches(const struct gil *g);

#endif
