"""py_sleep.py - workloads/sleep.c in Python: each task waits --ms. The
checksum folds the task id, the requested wait (µs) and whether it was kept,
exactly as sleep.c does, so it equals the C models' checksum."""

import asyncio
import time

from lib.py_checksum import checksum_mix
from workloads.py_workload import Option, TaskResult, ended_early, now_ns

NAME = "sleep"
SUMMARY = "each task waits --ms (default 3 tasks x 1000 ms): pure waiting"
OPTIONS = [Option("ms", float, 1000.0, 0, 3600e3, "milliseconds each task waits (default 1000)")]


def default_tasks():
    return 3


def setup(params, tasks, model):
    return {}


def _finish(params, tid, start_ns):
    result = TaskResult(tid)
    early = ended_early(start_ns, params["ms"] / 1000.0)
    result.ops = 1
    result.latencies_us.append((now_ns() - start_ns) // 1000)
    result.errors = int(early)
    result.checksum = checksum_mix(checksum_mix(tid, int(params["ms"] * 1000.0)), int(not early))
    return result


def task(params, run, tid):
    start = now_ns()
    time.sleep(params["ms"] / 1000.0)
    return _finish(params, tid, start)


async def task_async(params, run, tid):
    start = now_ns()
    # asyncio runs a timer that is due within its clock's resolution: the
    # rest, if any, is waited out again (as a C model's early timer is)
    left = params["ms"] / 1000.0
    while left > 0:
        await asyncio.sleep(left)
        left = params["ms"] / 1000.0 - (now_ns() - start) / 1e9
    return _finish(params, tid, start)
