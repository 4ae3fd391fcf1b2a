/* spawn_bare.h - the spawn workload's bare loops: creating and destroying
 * workers with nothing of cbench around them, to show what a model adds. */
#ifndef CBENCH_SPAWN_BARE_H
#define CBENCH_SPAWN_BARE_H

#include <stddef.h>

/* Each returns microseconds per worker, or a negative value after printing
 * why it could not finish.
 *
 * "alive" loops create all n workers first, each blocked on a gate, then
 * open the gate and reap them: the pattern of the fork and threads models,
 * where every worker exists before any starts. "seq" loops create and
 * destroy one worker at a time: the textbook figure, cheaper because the
 * kernel never holds n workers at once. */
double spawn_bare_fork_alive(long n);
double spawn_bare_fork_seq(long n);
double spawn_bare_threads_alive(long n, size_t stack_bytes);
double spawn_bare_threads_seq(long n, size_t stack_bytes);
/* n zero-second libev timers started together, fired and stopped in one loop. */
double spawn_bare_async(long n);

#endif
