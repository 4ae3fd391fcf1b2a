"""py_asyncio.py - asyncio: one event loop in the interpreter's one thread,
an asyncio Task per task, each awaiting the workload's coroutine. Waits
become the loop's timers and selector registrations; CPU work runs inline
and holds the loop until the task yields (await asyncio.sleep(0))."""

import asyncio

from models.py_model import LockedCounter, run_task_async

NAME = "py-asyncio"
SUMMARY = "CPython asyncio: one event loop, an asyncio Task per task"
SEQUENTIAL, WORKERS, EVENT_LOOP = False, False, True
counter = LockedCounter


def available():
    return True, ""


async def run_all(workload, params, run_state, tasks):
    """Every task at once; once one has failed, those not yet started are
    cancelled before they begin (the C models' rule)."""
    failed = False

    async def one(tid):
        nonlocal failed
        if failed:
            return None
        result = await run_task_async(workload, params, run_state, tid)
        failed = failed or bool(result.errors)
        return result

    return list(await asyncio.gather(*(one(tid) for tid in range(tasks))))


def run(workload, params, run_state, tasks, ctx):
    ctx.workers_started = 1
    return asyncio.run(run_all(workload, params, run_state, tasks))
