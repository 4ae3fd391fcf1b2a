/* steady_phase.c - see steady_phase.h. */
#include "steady_phase.h"

void steady_connected(struct steady_phase *s, long total, int64_t now_ns)
{
    if (atomic_fetch_add(&s->connected, 1) + 1 == total) {
        atomic_store(&s->answered_before, atomic_load(&s->answered));
        atomic_store(&s->start_ns, now_ns);
    }
}

void steady_answered(struct steady_phase *s)
{
    atomic_fetch_add_explicit(&s->answered, 1, memory_order_relaxed);
}

struct steady_result steady_result(struct steady_phase *s)
{
    struct steady_result r = { atomic_load(&s->start_ns), 0 };
    if (r.start_ns > 0)
        r.answered = atomic_load(&s->answered) - atomic_load(&s->answered_before);
    return r;
}
