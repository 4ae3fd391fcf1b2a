"""py_cpu.py - workloads/cpu.c in Python: each task runs --work million
iterations of the integer kernel (py_cpu_kernel.py), seeded by its id, in
chunks of one million; the checksum is the kernel's hash, so it equals
the C models' for the same --work. Pure Python is some hundred times
slower than C: the note says how many iterations a millisecond holds, and
make bench gives the Python series fewer (a smaller --work, its own
group). Between chunks an asyncio task yields to the loop (C's WAIT_CPU),
which is what lets the loop interleave tasks - and not run them at once."""

import asyncio
import time

from workloads import py_cpu_kernel as kernel
from workloads.py_workload import Option, TaskResult, now_ns

NAME = "cpu"
SUMMARY = "each task runs an integer kernel (default 4 x cores tasks; pure Python: ~0.3-0.5 s per million)"
OPTIONS = [Option("work", int, 58, 1, 1000000, "millions of kernel iterations per task (default 58)")]
CHUNK = 1000000          # iterations per step, as cpu.c's CPU_CHUNK
C_ITERS_PER_MS = 580000  # cpu_kernel.h's CPU_KERNEL_ITERS_PER_MS (reference VM)


def default_tasks():
    import os
    return 4 * (os.cpu_count() or 1)


def setup(params, tasks, model):
    return {}


def _result(tid, start_ns, h, cpu_ns):
    result = TaskResult(tid)
    result.ops = 1
    result.latencies_us.append((now_ns() - start_ns) // 1000)
    result.checksum = h
    result.extra["cpu_ns"] = cpu_ns
    return result


def task(params, run, tid):
    start, cpu0 = now_ns(), time.thread_time_ns()
    x, h = kernel.seed_of_task(tid)
    for _ in range(params["work"]):
        x, h = kernel.run(x, h, CHUNK)
    return _result(tid, start, h, time.thread_time_ns() - cpu0)


async def task_async(params, run, tid):
    start, cpu = now_ns(), 0
    x, h = kernel.seed_of_task(tid)
    await asyncio.sleep(0)   # the first step only says "CPU work follows"
    for _ in range(params["work"]):
        t0 = time.thread_time_ns()
        x, h = kernel.run(x, h, CHUNK)
        cpu += time.thread_time_ns() - t0
        await asyncio.sleep(0)
    return _result(tid, start, h, cpu)


def note(params, run, results):
    cpu_ns = sum(r.extra.get("cpu_ns", 0) for r in results)
    iters = params["work"] * CHUNK * len(results)
    if cpu_ns <= 0 or iters == 0:
        return ""
    per_ms = iters / (cpu_ns / 1e6)
    return ("pure-Python kernel: %.0f iterations per CPU ms, C %d (%.0fx as many)"
            % (per_ms, C_ITERS_PER_MS, C_ITERS_PER_MS / per_ms))


def metrics(params, run, results, wall_s, model):
    cpu_ns = sum(r.extra.get("cpu_ns", 0) for r in results)
    iters = params["work"] * CHUNK * len(results)
    return "iters_per_cpu_ms=%.0f" % (iters / (cpu_ns / 1e6)) if cpu_ns > 0 else ""
