"""py_serial.py - the Python baseline: tasks one after another in the
interpreter's one thread, each the workload's blocking function."""

from models.py_model import LockedCounter, run_task

NAME = "py-serial"
SUMMARY = "CPython: tasks one after another in one thread: the baseline"
SEQUENTIAL, WORKERS, EVENT_LOOP = True, False, False


counter = LockedCounter


def available():
    return True, ""


def run(workload, params, run_state, tasks, ctx):
    results = [None] * tasks
    for tid in range(tasks):
        results[tid] = run_task(workload, params, run_state, tid)
        if results[tid].errors:   # a failed task: the run is invalid, start no more
            break
    ctx.workers_started = 1
    return results
