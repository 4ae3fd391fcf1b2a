"""py_workload.py - what a Python workload is (the counterpart of
workloads/workload.h for the Python models, bench/py_cbench.py).

A workload is written once, as two functions of the same work: task(),
which blocks (serial, processes, threads call it), and task_async(), a
coroutine (asyncio and uvloop await it). Both return a TaskResult; the
model only decides how tasks run, never what they compute, so every model
folds the same checksum. A workload module defines NAME, SUMMARY, OPTIONS,
default_tasks(), setup(params, tasks, model) -> run state, task(params,
run, tid), task_async(params, run, tid), and optionally teardown(run),
metrics(params, run, results, wall_s, model) and note(params, run)."""

import time


class Option:
    """One option: --name VALUE (or a flag), strict bounds, a help line.
    The params column prints it as name_with_underscores=value, as C does."""

    def __init__(self, name, kind, default, low=None, high=None, help_text=""):
        self.name, self.kind, self.default = name, kind, default
        self.low, self.high, self.help = low, high, help_text

    @property
    def key(self):
        return self.name.replace("-", "_")

    def parse(self, text):
        """The value of text, or ValueError with the reason."""
        if self.kind is str:
            return text
        try:
            value = int(text, 10) if self.kind is int else float(text)
        except ValueError:
            raise ValueError('"%s" is not %s' % (text, "a whole number" if self.kind is int else "a number"))
        if value != value or (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError("%s is outside %s..%s" % (text, self.low, self.high))
        return value

    def show(self, value):
        if self.kind is float:
            return "%g" % value
        return str(value)


class TaskResult:
    """What one task did: its checksum (folded by the run in id order), its
    operations and their latencies (µs), its errors, and figures the
    workload's metrics need (extra)."""

    __slots__ = ("tid", "checksum", "ops", "errors", "latencies_us", "extra")

    def __init__(self, tid):
        self.tid, self.checksum, self.ops, self.errors = tid, 0, 0, 0
        self.latencies_us = []
        self.extra = {}

    def __getstate__(self):   # crosses a process boundary (processes model)
        return (self.tid, self.checksum, self.ops, self.errors, self.latencies_us, self.extra)

    def __setstate__(self, state):
        self.tid, self.checksum, self.ops, self.errors, self.latencies_us, self.extra = state


class TaskFailed(Exception):
    """A task's error that ends it (a wrong body, a missed deadline): the run
    is invalid, counted in errors, and no model starts another task."""


def now_ns():
    return time.monotonic_ns()


def ended_early(since_ns, seconds):
    """A wait of `seconds` begun at since_ns ended before they had passed
    (the monotonic clock, no tolerance: as workloads/common.c)."""
    return now_ns() - since_ns < int(seconds * 1e9)
