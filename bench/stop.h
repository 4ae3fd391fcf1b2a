/* stop.h - SIGTERM and SIGINT during `cbench run` cancel the run. */
#ifndef CBENCH_STOP_H
#define CBENCH_STOP_H

#include <signal.h>
#include <stdbool.h>
#include "../models/model.h"

/* The dispositions run_stop_catch replaced. */
struct run_stop_saved {
    struct sigaction term, intr;
};

/* From now on SIGTERM and SIGINT cancel run `r` (run_cancel_request), set
 * run_stop_signal and interrupt every thread of this process, so that a
 * task blocked in a call steps again and ends. */
void run_stop_catch(struct run *r, struct run_stop_saved *saved);
/* The run is over: the dispositions as they were. After a stop they stay
 * caught, since a thread may still have the interrupting signal pending. */
void run_stop_release(const struct run_stop_saved *saved);
/* "SIGTERM", "SIGINT": the signal that stopped the run. */
const char *run_stop_name(int sig);

#endif
