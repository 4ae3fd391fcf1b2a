/* steady_phase.h - the steady phase of a closed-loop run where every
 * connection runs at once: it begins when the last connection is open and
 * holds only what was answered from then on. Requests answered while other
 * connections were still opening were served by fewer connections, so
 * counting them would flatter a model that connects slowly.
 *
 * The struct is plain atomics so that it can live in MAP_SHARED memory and
 * fork's workers count into it too. Zero-initialised means "nothing yet". */
#ifndef CBENCH_STEADY_PHASE_H
#define CBENCH_STEADY_PHASE_H

#include <stdatomic.h>
#include <stdint.h>

struct steady_phase {
    atomic_long connected;            /* connections open so far */
    atomic_ullong answered;           /* requests answered so far */
    atomic_ullong answered_before;    /* `answered` when the last one opened */
    atomic_llong start_ns;            /* when it opened (0: not yet) */
};

/* What the run's report needs, copied out before the shared memory goes. */
struct steady_result {
    int64_t start_ns;    /* when the last connection opened (0: it never did) */
    uint64_t answered;   /* requests answered since then */
};

/* One more connection is open at now_ns; the `total`-th starts the phase. */
void steady_connected(struct steady_phase *s, long total, int64_t now_ns);

/* One more request was answered. */
void steady_answered(struct steady_phase *s);

/* The phase as it stands (call it once every task has ended). */
struct steady_result steady_result(struct steady_phase *s);

#endif
