"""py_processes.py - multiprocessing: a Process per task (or a pool of -w
processes taking task ids in turn), each running the workload's blocking
function in its own interpreter, with its own GIL: CPU work runs in
parallel. Started by fork (named explicitly: Python 3.14 makes forkserver
the default), as C's fork model; each child sends its TaskResult back
through its own pipe, and a child that dies without one is a failed task."""

import multiprocessing
import multiprocessing.connection as connection
import os

from models.py_model import failed_result, run_task
from workloads.py_workload import TaskResult

NAME = "py-processes"
SUMMARY = "CPython multiprocessing: a Process per task (or a pool of -w processes), forked"
SEQUENTIAL, WORKERS, EVENT_LOOP = False, True, False
PROCESSES = True   # a GIL per worker: CPU work runs in parallel
FORK = multiprocessing.get_context("fork")


class SharedCounter:
    """A counter every process of the run shares (spawn's arrivals, the
    pool's next task id)."""

    def __init__(self):
        self._v = FORK.Value("q", 0)

    def add(self, k):
        with self._v.get_lock():
            self._v.value += k
            return self._v.value

    def value(self):
        return self._v.value


counter = SharedCounter


def available():
    return True, ""


def _child(send, tids, workload, params, run_state, failed):
    """One process: its task (or, in a pool, ids taken in turn), results
    sent as they finish; None ends the stream."""
    for tid in tids():
        if failed.value:
            break
        result = run_task(workload, params, run_state, tid)
        if result.errors:
            failed.value = 1
        send.send(result)
    send.send(None)
    send.close()
    os._exit(0)   # no atexit handlers, no flushing the parent's buffers twice


def run(workload, params, run_state, tasks, ctx):
    failed = FORK.Value("b", 0, lock=False)
    taken = SharedCounter()

    def pool_ids():
        while True:
            tid = taken.add(1) - 1
            if tid >= tasks:
                return
            yield tid

    count = min(ctx.workers, tasks) if ctx.workers else tasks
    procs, readers = [], {}
    for k in range(count):
        recv, send = FORK.Pipe(duplex=False)
        ids = pool_ids if ctx.workers else (lambda k=k: iter((k,)))
        p = FORK.Process(target=_child, args=(send, ids, workload, params, run_state, failed))
        p.start()
        send.close()
        procs.append(p)
        readers[recv] = k
    ctx.workers_started = len(procs)
    return _gather(procs, readers, tasks, per_task=not ctx.workers)


def _gather(procs, readers, tasks, per_task):
    """Results as the children send them; a child that ended without its
    final None died: its task (per-task mode) is failed."""
    results = [None] * tasks
    open_readers = dict(readers)
    while open_readers:
        for r in connection.wait(list(open_readers)):
            try:
                result = r.recv()
            except EOFError:
                k = open_readers.pop(r)
                if per_task and results[k] is None:
                    results[k] = failed_result(k, "the worker process died")
                continue
            if result is None:
                open_readers.pop(r)
            else:
                results[result.tid] = result
    for p in procs:
        p.join()
    return results
