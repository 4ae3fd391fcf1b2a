"""py_model.py - what the Python models share (the counterpart of
models/model.h): a model module defines NAME, SUMMARY, the traits
`cbench list` prints (SEQUENTIAL, WORKERS, EVENT_LOOP), available() ->
(bool, reason) and run(workload, params, run, tasks, ctx) -> the tasks'
TaskResults in id order (None for a task never started). ctx carries -w
(ctx.workers, 0 = one worker per task), the failure flag and what the
harness reads back (workers_started).

Failure rules as C's: a task that raises TaskFailed or any other error
is counted (errors) and its message kept; once a task has failed no model
starts another (a pool stops taking tasks, serial stops)."""

import threading
import traceback

from workloads.py_workload import TaskFailed, TaskResult


def run_task(workload, params, run, tid):
    """One blocking task; an escaping error becomes a failed TaskResult."""
    try:
        return workload.task(params, run, tid)
    except TaskFailed as e:
        return failed_result(tid, str(e))
    except Exception as e:   # a bug or a resource error: counted, never fatal
        return failed_result(tid, "%s: %s" % (type(e).__name__, e or traceback.format_exc(1)))


async def run_task_async(workload, params, run, tid):
    try:
        return await workload.task_async(params, run, tid)
    except TaskFailed as e:
        return failed_result(tid, str(e))
    except Exception as e:
        return failed_result(tid, "%s: %s" % (type(e).__name__, e))


def failed_result(tid, message):
    result = TaskResult(tid)
    result.errors = 1
    result.extra["error"] = message
    return result


class LockedCounter:
    """A counter tasks of one process share (threads, serial, asyncio)."""

    def __init__(self):
        self._n = 0
        self._lock = threading.Lock()

    def add(self, k):
        with self._lock:
            self._n += k
            return self._n

    def value(self):
        with self._lock:
            return self._n

