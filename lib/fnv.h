/* fnv.h - FNV-1a, 64-bit: the one hash of cbench's checksums. The run's
 * checksum starts from the workload's name hashed with it, net folds each
 * response body with it (and an open-loop run the body it expects), and the
 * cpu kernel folds its xorshift words the same way. */
#ifndef CBENCH_FNV_H
#define CBENCH_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_OFFSET 0xcbf29ce484222325ULL   /* the hash of nothing */
#define FNV1A_PRIME 0x100000001b3ULL

/* Fold one value (a byte, or the cpu kernel's word) into `h`. */
static inline uint64_t fnv1a_fold(uint64_t h, uint64_t v)
{
    return (h ^ v) * FNV1A_PRIME;
}

/* Fold `len` bytes into `h` (FNV1A_OFFSET to start a hash). */
static inline uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = fnv1a_fold(h, p[i]);
    return h;
}

#endif
