"""py_spawn.py - workloads/spawn.c in Python: tasks that do nothing but
start and finish, so the run is the model's own cost per worker: a
multiprocessing Process, a threading.Thread, an asyncio Task.

--hold-ms H: every task waits H ms so that all are alive at once; the first
to leave counts how many are (alive). Memory per worker: what the run
added over the tasks (kib_per_worker) - the interpreter's peak RSS less its
RSS before the run, plus, under processes, each child's private memory
(read by the child itself from /proc/self/smaps_rollup at the end of its
hold: pages it shares with the parent are the parent's). A hold that ends
early is an error. The checksum folds the id, the hold (µs) and whether it was kept, as
spawn.c does."""

import asyncio
import os
import time

from lib.py_checksum import checksum_mix
from workloads.py_workload import Option, TaskResult, ended_early, now_ns

NAME = "spawn"
SUMMARY = "tasks that only start and finish: cost (and, with --hold-ms, memory) per worker"
OPTIONS = [Option("hold-ms", float, 0.0, 0, 3600e3,
                  "each task waits this long so all are alive at once; memory is sampled then (default 0)")]


def default_tasks():
    return 1000


def setup(params, tasks, model):
    return {"arrived": model.counter(), "left": model.counter(), "tasks": tasks,
            "base_kib": rss_kib(), "pid": os.getpid()}


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4   # resident pages of 4 KiB


def private_kib():
    """This process's own memory (pages not shared with its parent)."""
    total = 0
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except OSError:
        return 0
    return total


def _leave(run):
    """Tasks alive as this one leaves its hold: arrived, less those gone
    before it (the first to leave sees them all, if all were alive)."""
    gone_before = run["left"].add(1) - 1
    return run["arrived"].value() - gone_before


def _result(params, tid, start_ns, early):
    result = TaskResult(tid)
    result.ops = 1
    result.errors = int(early)
    if params["hold-ms"] > 0:   # without a hold there is nothing to time (spawn.c)
        result.latencies_us.append((now_ns() - start_ns) // 1000)
    result.checksum = checksum_mix(checksum_mix(tid, int(params["hold-ms"] * 1000.0)), int(not early))
    return result


def task(params, run, tid):
    start = now_ns()
    early = False
    if params["hold-ms"] > 0:
        run["arrived"].add(1)
        time.sleep(params["hold-ms"] / 1000.0)
        early = ended_early(start, params["hold-ms"] / 1000.0)
    result = _result(params, tid, start, early)
    if params["hold-ms"] > 0:
        result.extra["alive_seen"] = _leave(run)
        if os.getpid() != run["pid"]:   # a worker process: its own pages
            result.extra["private_kib"] = private_kib()
    return result


async def task_async(params, run, tid):
    start = now_ns()
    early = False
    if params["hold-ms"] > 0:
        run["arrived"].add(1)
        left = params["hold-ms"] / 1000.0
        while left > 0:   # a timer due within the clock's resolution is waited out again
            await asyncio.sleep(left)
            left = params["hold-ms"] / 1000.0 - (now_ns() - start) / 1e9
        early = ended_early(start, params["hold-ms"] / 1000.0)
    else:
        await asyncio.sleep(0)   # one yield: a task that was scheduled once
    result = _result(params, tid, start, early)
    if params["hold-ms"] > 0:
        result.extra["alive_seen"] = _leave(run)
    return result


def metrics(params, run, results, wall_s, model):
    n = max(len(results), 1)
    out = "us_per_worker=%.5f" % (wall_s * 1e6 / n)
    if params["hold-ms"] > 0:
        # alive: the most tasks seen alive at once
        alive = max((r.extra.get("alive_seen", 0) for r in results), default=0)
        added = model.peak_rss_kib - run["base_kib"] + sum(r.extra.get("private_kib", 0) for r in results)
        out += ";kib_per_worker=%.1f;alive=%d" % (max(added, 0) / n, alive)
    return out


def note(params, run, results):
    if params["hold-ms"] > 0:
        return "memory per worker in metrics (kib_per_worker)"
    return ""
