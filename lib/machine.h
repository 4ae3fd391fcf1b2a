/* machine.h - what cbench asks of the machine, each asked in one place:
 * the clock every figure is timed with, the number of cores, and memory
 * shared with fork's children. Uses nothing else of cbench. */
#ifndef CBENCH_MACHINE_H
#define CBENCH_MACHINE_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_now_ns(void);   /* CLOCK_MONOTONIC in ns */

/* Cores online, at least 1. */
long online_cores(void);

/* `size` bytes of zeroed memory shared with the children fork() makes
 * (MAP_SHARED | MAP_ANONYMOUS); release with munmap(p, size). NULL when it
 * cannot be mapped, after a message naming `who` and the reason. */
void *shared_memory(size_t size, const char *who);

#endif
