"""py_threads.py - CPython's threading: a Thread per task (or a pool of -w
threads taking task ids in turn), each running the workload's blocking
function. The GIL lets one thread run Python code at a time; a thread
waiting in sleep(), recv() or connect() has released it. This is what
`cbench run threads --gil` emulates in C."""

import threading

from models.py_model import LockedCounter, run_task

NAME = "py-threads"
SUMMARY = "CPython: a threading.Thread per task (or a pool of -w threads), under the GIL"
SEQUENTIAL, WORKERS, EVENT_LOOP = False, True, False


counter = LockedCounter


def available():
    return True, ""


def run(workload, params, run_state, tasks, ctx):
    results = [None] * tasks
    failed = threading.Event()
    taken = LockedCounter()

    def one(tid):
        if not failed.is_set():   # once a task has failed, start no more
            results[tid] = run_task(workload, params, run_state, tid)
            if results[tid].errors:
                failed.set()

    def pool_worker():
        while True:
            tid = taken.add(1) - 1
            if tid >= tasks or failed.is_set():
                return
            one(tid)

    if ctx.workers:
        threads = [threading.Thread(target=pool_worker) for _ in range(min(ctx.workers, tasks))]
    else:
        threads = [threading.Thread(target=one, args=(tid,)) for tid in range(tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ctx.workers_started = len(threads)
    return results
