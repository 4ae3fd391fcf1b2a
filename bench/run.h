/* run.h - one measurement: set up tasks, time the model, gather results. */
#ifndef CBENCH_RUN_H
#define CBENCH_RUN_H

#include <stdint.h>
#include <sys/resource.h>
#include "../models/model.h"
#include "../lib/stats.h"

struct result {
    const char *model, *workload;
    long tasks, workers, workers_started;
    double wall_s, user_s, sys_s;
    long maxrss_kib;
    uint64_t ops, errors;
    double ops_per_s;
    struct latency_summary latency;
    char checksum[17];  /* "" when the run failed or had errors: printed as -/null */
    char params[512];   /* workload and model options, "k=v;k=v" */
    char note[320];     /* backend, failure reason, the workload's note */
    long fail_task;     /* --fail-task, or -1 */
    long cancelled;     /* tasks stopped before they finished */
    double cancel_ms;   /* from the failure until every task had stopped */
    bool ran;           /* the model ran the tasks; false: refused before (see run_measure) */
    long mem_kib;       /* memory by the one method of run.c */
    long mem_base_kib;  /* cbench's own memory before the run (not output) */
    char metrics[512];  /* the workload's figures, "k=v;k=v" (may be empty) */
};

/* Everything `cbench run` parsed. */
struct run_request {
    const struct model *model;
    const struct workload *workload;
    long tasks, workers;
    bool fail;          /* --fail-task given (zero-initialised: no) */
    long fail_task;     /* ... and its K */
    void *model_params, *workload_params;
};

/* Runs one measurement. Returns the exit status: 0 ok, 1 the run failed
 * (errors, resources), 2 bad usage found by a model/workload check. `out`
 * is filled whenever the status is 0 or 1; a run that failed before its
 * tasks started (a limit, a server that is down) has `ran` false, "not run"
 * in its note and every task counted in `errors`. */
int run_measure(const struct run_request *req, struct result *out);

/* Descriptors the busiest process of run `r` needs, given `open_now`
 * already open (for the up-front check; exported for the unit tests). */
long run_fd_need(const struct run *r, long open_now);
/* Each task's id, fds mode, workload params and run state, and its slice of
 * `latency` (per_task samples each; NULL: no samples, cbench serve). */
void run_init_tasks(struct run *r, uint32_t *latency, uint32_t per_task);

/* The cancellation block (model.h) of a run: every cbench run (a failed
 * task, a stop signal) and cbench serve --model. NULL when it cannot be
 * made. */
struct run_cancel *run_cancel_new(void);
void run_cancel_free(struct run_cancel *c);
/* The one memory method (run.c) and the CPU time around a model's run:
 * begin just before model->run, end just after (before any teardown).
 * mem_kib and mem_base_kib as in struct result; CPU over cbench and every
 * child that ended and was reaped. */
struct run_usage {
    struct rusage self0, kids0, self1, kids1;
    long mem_base_kib, mem_kib;
};
void run_usage_begin(struct run *r, struct run_usage *u);
void run_usage_end(struct run *r, struct run_usage *u);
double run_usage_cpu_s(const struct run_usage *u);
/* Resets this process's peak RSS to its RSS now (Linux 4.0+, clear_refs 5),
 * so that a peak taken after is the run's, not setup's: cbench serve, whose
 * connections' memory is smaller than what its setup touched and freed. */
void run_usage_reset_peak(void);

/* Descriptors open in this process now. */
long run_open_fds(void);

/* "k=v;k=v" of every option in `table` as stored in `params`. */
void run_format_params(char *buf, size_t size, const struct opt_spec *table, const void *params);

#endif
