/* limits.h - are there processes, threads and memory for the workers a run
 * is about to create? (see limits.c) */
#ifndef CBENCH_LIMITS_H
#define CBENCH_LIMITS_H

#include "../models/model.h"

/* 0, or 2 after naming the limit and a smaller -n, -w or --loops that fits:
 * before the first worker is created (the model's check() has set
 * r->model_workers). */
int run_check_workers(const struct run *r);

/* How many more threads (processes: `processes`) the machine and the user
 * leave room for now, by the tightest of the limits above, which `why`
 * names; -1 when none applies. (cbench serve's connection limit.) */
long run_worker_room(bool processes, char *why, size_t size);

#endif
